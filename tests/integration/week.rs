//! Issue 26 §3, history you can watch: `--by week` against `--by day`
//! added up per ISO week by a calendar of this file's own, and the HTML
//! burn-down against the legacy sessions exlog-gen wrote (its own records,
//! never exlog's output), with the switch-off marked on the right server.

use crate::util::{exlog_on, root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

// ------------------------------------------------- a calendar of our own

const DAY_MS: i64 = 86_400_000;

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_days(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01, counted year by year and month by month (dates
/// from 1970 on).
fn serial(y: i64, m: i64, d: i64) -> i64 {
    let years: i64 = (1970..y).map(|y| if is_leap(y) { 366 } else { 365 }).sum();
    let months: i64 = (1..m).map(|m| month_days(y, m)).sum();
    years + months + d - 1
}

/// The date of a day since 1970, counted back out the same way.
fn date_of(mut n: i64) -> (i64, i64, i64) {
    let mut y = 1970;
    while n >= if is_leap(y) { 366 } else { 365 } {
        n -= if is_leap(y) { 366 } else { 365 };
        y += 1;
    }
    let mut m = 1;
    while n >= month_days(y, m) {
        n -= month_days(y, m);
        m += 1;
    }
    (y, m, n + 1)
}

fn parse_date(s: &str) -> (i64, i64, i64) {
    let p: Vec<i64> = s.split('-').map(|x| x.parse().unwrap()).collect();
    (p[0], p[1], p[2])
}

fn date_text((y, m, d): (i64, i64, i64)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// ISO 8601 week of a day since 1970, by the Thursday rule: a week
/// belongs to the year of its Thursday, and is numbered from that year's
/// first Thursday. Returns (`2024-W10`, its Monday `2024-03-04`).
fn iso_week(day: i64) -> (String, String) {
    // 1970-01-01 was a Thursday: 0 = Monday … 6 = Sunday.
    let weekday = (day + 3).rem_euclid(7);
    let monday = day - weekday;
    let thursday = monday + 3;
    let year = date_of(thursday).0;
    let week = (thursday - serial(year, 1, 1)) / 7 + 1;
    (format!("{year}-W{week:02}"), date_text(date_of(monday)))
}

fn week_of_date(date: &str) -> (String, String) {
    let (y, m, d) = parse_date(date);
    iso_week(serial(y, m, d))
}

#[test]
fn the_tests_own_iso_weeks_agree_with_a_calendar_at_year_boundaries() {
    // From a printed calendar: 2020 began on a Wednesday, so it has 53
    // weeks and its last one runs into 2021; 2021-01-04 is the first
    // Monday of 2021-W01; 2025-01-02 is a Thursday, so 2024-12-30 starts
    // 2025-W01.
    for (date, week, monday) in [
        ("2020-12-31", "2020-W53", "2020-12-28"),
        ("2021-01-03", "2020-W53", "2020-12-28"),
        ("2021-01-04", "2021-W01", "2021-01-04"),
        ("2024-12-29", "2024-W52", "2024-12-23"),
        ("2024-12-30", "2025-W01", "2024-12-30"),
        ("2024-03-04", "2024-W10", "2024-03-04"),
        ("2024-03-10", "2024-W10", "2024-03-04"),
    ] {
        assert_eq!(week_of_date(date), (week.into(), monday.into()), "{date}");
    }
    assert_eq!(serial(2024, 3, 4), 19786);
    assert_eq!(date_of(19786), (2024, 3, 4));
}

// ------------------------------------------------ --by week vs --by day

fn csv_of(dir: &Path, by: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let run = exlog_on(dir, &["--by", by, "--format", "csv"]);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    let mut rdr = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// `--by day`'s rows added up per (own ISO week, direction, clock_skew),
/// as `--by week`'s CSV should read: week and Monday in front.
fn days_summed_by_week(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let (header, rows) = csv_of(dir, "day");
    assert_eq!(header[0], "date");
    assert_eq!(header.last().unwrap(), "clock_skew");
    let n = header.len();
    let mut weeks: BTreeMap<(String, String, String), (String, Vec<u64>)> = BTreeMap::new();
    for r in rows {
        let (week, monday) = week_of_date(&r[0]);
        let sums = &mut weeks
            .entry((week, r[1].clone(), r[n - 1].clone()))
            .or_insert_with(|| (monday, vec![0; n - 3]))
            .1;
        for (s, v) in sums.iter_mut().zip(&r[2..n - 1]) {
            *s += v.parse::<u64>().unwrap();
        }
    }
    let mut want_header = vec!["week".to_string(), "week_start".to_string()];
    want_header.extend(header[1..].iter().cloned());
    let want = weeks
        .into_iter()
        .map(|((week, direction, skew), (monday, sums))| {
            let mut row = vec![week, monday, direction];
            row.extend(sums.iter().map(u64::to_string));
            row.push(skew);
            row
        })
        .collect();
    (want_header, want)
}

/// A generated corpus of one server from `start` (`yyyy-mm-dd`) over
/// `days` days.
fn corpus_from(start: &str, days: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size("2MB").unwrap());
    cfg.servers = 1;
    cfg.seed = 26;
    cfg.days = Some(days);
    cfg.remotes = Some(30);
    let (y, m, d) = parse_date(start);
    cfg.start_ms = serial(y, m, d) * DAY_MS + 3_570_000;
    exlog_gen::generate(&cfg).unwrap();
    dir
}

fn week_labels(dir: &Path) -> BTreeSet<(String, String)> {
    let (_, rows) = csv_of(dir, "week");
    rows.into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[test]
fn week_rows_are_the_sum_of_their_days_on_the_sample_logs() {
    // sample-logs has days of 2022, 2024 and a skewed clock's 2031 row.
    let dir = root().join("sample-logs");
    let (want_header, want) = days_summed_by_week(&dir);
    let (header, got) = csv_of(&dir, "week");
    assert_eq!(header, want_header);
    assert_eq!(got, want);
    assert!(
        got.iter().any(|r| r.last().unwrap() == "true"),
        "a clock_skew row"
    );
}

#[test]
fn week_rows_are_the_sum_of_their_days_across_iso_year_boundaries() {
    // 2020-12-20 + ~20 days: weeks 2020-W51 … 2021-W02, through 2020-W53.
    let a = corpus_from("2020-12-20", 20);
    // 2024-12-16 + ~21 days: 2024-W51, 2024-W52, then 2025-W01 from
    // Monday 2024-12-30.
    let b = corpus_from("2024-12-16", 21);
    for dir in [a.path(), b.path()] {
        let (want_header, want) = days_summed_by_week(dir);
        let (header, got) = csv_of(dir, "week");
        assert_eq!(header, want_header);
        assert_eq!(got, want);
    }
    // The boundary weeks, written by hand from a calendar.
    let a = week_labels(a.path());
    for w in [("2020-W53", "2020-12-28"), ("2021-W01", "2021-01-04")] {
        assert!(a.contains(&(w.0.into(), w.1.into())), "{w:?} in {a:?}");
    }
    let b = week_labels(b.path());
    for w in [("2024-W52", "2024-12-23"), ("2025-W01", "2024-12-30")] {
        assert!(b.contains(&(w.0.into(), w.1.into())), "{w:?} in {b:?}");
    }
}

// ---------------------------------------------------------- burn-down

/// One server's burn-down as the page shows it: its caption, the rows of
/// its table (week, from, days with logs, legacy sessions, legacy
/// remotes), and the text of its switch marks.
#[derive(Debug, Default)]
struct Shown {
    rows: Vec<[String; 5]>,
    switches: Vec<String>,
}

/// The text of the cells of `html`'s table rows (tags stripped).
fn cells(html: &str) -> Vec<Vec<String>> {
    html.split("<tr>")
        .skip(1)
        .filter(|r| r.contains("<td"))
        .map(|r| {
            r.split("</td>")
                .filter(|c| c.contains("<td"))
                .map(|c| c[c.rfind('>').unwrap() + 1..].to_string())
                .collect()
        })
        .collect()
}

/// Every `<figure class="burndown">` of the page, by its caption.
fn burndowns(page: &str) -> BTreeMap<String, Shown> {
    let mut out = BTreeMap::new();
    for fig in page.split("<figure class=\"burndown\">").skip(1) {
        let fig = &fig[..fig.find("</figure>").unwrap()];
        let caption = &fig["<figcaption>".len()..fig.find("</figcaption>").unwrap()];
        let table = &fig[fig.find("<tbody>").unwrap()..];
        let rows = cells(table)
            .into_iter()
            .map(|r| r.try_into().expect("five cells"))
            .collect();
        let switches = fig
            .split("<line class=\"switch\"")
            .skip(1)
            .map(|l| l[l.find("<title>").unwrap() + 7..l.find("</title>").unwrap()].to_string())
            .collect();
        out.insert(caption.to_string(), Shown { rows, switches });
    }
    out
}

/// What the burn-down of each server should say, from the generator's
/// own records: every week from the first to the last day with records,
/// its days with records, its legacy sessions and their distinct remotes.
fn burndown_truth(truth: &exlog_gen::Truth) -> BTreeMap<String, Vec<[String; 5]>> {
    type Week = (u64, BTreeSet<String>);
    let mut legacy: BTreeMap<(String, String), Week> = BTreeMap::new();
    for s in truth.legacy_sessions() {
        let (_, monday) = iso_week(s.start_ms.div_euclid(DAY_MS));
        let w = legacy.entry((s.server, monday)).or_default();
        w.0 += 1;
        w.1.insert(s.remote_ip);
    }
    let mut out = BTreeMap::new();
    for (server, days) in truth.record_days() {
        let first = iso_week(*days.first().unwrap()).1;
        let (y, m, d) = parse_date(&first);
        let mut monday = serial(y, m, d);
        let mut rows = Vec::new();
        while monday <= *days.last().unwrap() {
            let (week, start) = iso_week(monday);
            let logged = days.range(monday..monday + 7).count();
            let (n, ips) = legacy
                .get(&(server.clone(), start.clone()))
                .cloned()
                .unwrap_or_default();
            rows.push([
                week,
                start,
                logged.to_string(),
                n.to_string(),
                ips.len().to_string(),
            ]);
            monday += 7;
        }
        out.insert(server, rows);
    }
    out
}

#[test]
fn the_burndown_counts_the_generators_legacy_sessions_and_marks_the_switch() {
    // Three servers from Monday 2024-03-04 over ~25 days (four ISO
    // weeks); EX01 switched off on Wednesday 2024-03-13, EX02 on Tuesday
    // 2024-03-12, EX03 never.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size("8MB").unwrap());
    cfg.servers = 3;
    cfg.seed = 3;
    cfg.days = Some(25);
    cfg.remotes = Some(60);
    cfg.switch_off = vec![
        exlog_gen::parse_switch_off("EX01=2024-03-13").unwrap(),
        exlog_gen::parse_switch_off("EX02=2024-03-12").unwrap(),
    ];
    let truth = exlog_gen::generate(&cfg).unwrap();
    let want = burndown_truth(&truth);
    let out = dir.path().join("report.html");
    let run = exlog_on(dir.path(), &["-q", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(&out).unwrap();
    let shown = burndowns(&page);
    assert_eq!(shown.keys().collect::<Vec<_>>(), ["EX01", "EX02", "EX03"]);
    for (server, rows) in &want {
        assert!(rows.len() >= 4, "{server}: {rows:?}");
        assert_eq!(&shown[server].rows, rows, "{server}");
    }
    // Legacy use stops on the switched servers, not on EX03.
    let last_legacy = |s: &str| want[s].last().unwrap()[3].clone();
    assert_eq!(
        (last_legacy("EX01"), last_legacy("EX02")),
        ("0".into(), "0".into())
    );
    assert_ne!(last_legacy("EX03"), "0");
    assert_eq!(
        shown["EX01"].switches,
        ["TLS 1.0/1.1 switched off on 2024-03-13"]
    );
    assert_eq!(
        shown["EX02"].switches,
        ["TLS 1.0/1.1 switched off on 2024-03-12"]
    );
    assert!(shown["EX03"].switches.is_empty());
}

#[test]
fn a_history_of_a_week_or_less_draws_no_burndown_but_says_so() {
    let dir = corpus_from("2024-03-04", 5);
    let out = dir.path().join("report.html");
    let run = exlog_on(dir.path(), &["-q", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("id=\"burndown\""), "the section is there");
    assert!(page.contains("No burn-down: the logs cover one week or less"));
    assert!(!page.contains("<figure class=\"burndown\">"));
}
