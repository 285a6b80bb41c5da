//! `--state FILE` (issue 26): nightly runs that read only what is new give,
//! after each night, the reports of one run over everything so far. The
//! expected values are those of that one run over the same bytes, which
//! the other test files hold to hand counts and the generator's truth.

use crate::util::{exlog, root, stable_json, write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Every report as CSV (session lists cannot go with --state).
const REPORTS: &[&str] = &[
    "connector",
    "remote",
    "cipher",
    "failure",
    "day",
    "week",
    "server",
    "legacy",
    "fallout",
    "readiness",
    "coverage",
    "http-client",
    "http-app",
    "tlsrpt",
];

fn is_log(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with(".LOG") && !name.contains(' ')
}

/// Night `k` of `n` of the tree `from`, written to `to` as Exchange would
/// have left it: per folder, the logs in their order are one stream cut
/// at k/n of its bytes (37 bytes on, inside a line: a line still being
/// written), so the file holding the cut is cut there and later files do
/// not exist yet. Other files (TLS-RPT reports, inventories, copies of
/// logs) appear on the last night.
fn night(from: &Path, to: &Path, k: u64, n: u64) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    let mut logs: Vec<PathBuf> = Vec::new();
    let mut others: Vec<PathBuf> = Vec::new();
    for entry in walk(from) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        match is_log(&name) {
            true => logs.push(entry),
            false => others.push(entry),
        }
    }
    // Exchange's names sort in the order written within a folder.
    logs.sort();
    let mut folders: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for log in logs {
        let dir = log.parent().unwrap().to_path_buf();
        match folders.last_mut() {
            Some((d, files)) if *d == dir => files.push(log),
            _ => folders.push((dir, vec![log])),
        }
    }
    for (_, files) in folders {
        let total: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
        let cut = total * k / n + if k < n { 37 } else { 0 };
        let mut at = 0;
        for f in files {
            if at >= cut {
                break;
            }
            let bytes = std::fs::read(&f).unwrap();
            let keep = (cut - at).min(bytes.len() as u64) as usize;
            write(&to.join(f.strip_prefix(from).unwrap()), &bytes[..keep]);
            at += bytes.len() as u64;
        }
    }
    if k == n {
        for f in others {
            write(
                &to.join(f.strip_prefix(from).unwrap()),
                &std::fs::read(&f).unwrap(),
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The JSON document of a run (timings zeroed), and the run's stderr.
fn json(tree: &Path, extra: &[&str]) -> (String, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec![tree.as_os_str()];
    args.extend(["--format", "json"].iter().map(std::ffi::OsStr::new));
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let run = exlog(args);
    match run.code {
        // Nothing to read yet (a night with TLS-RPT reports only, say).
        1 if run.stdout.is_empty() => (String::new(), run.stderr),
        0 | 2 => (stable_json(&run.stdout), run.stderr),
        _ => panic!("exlog failed: {}", run.stderr),
    }
}

fn csv(tree: &Path, by: &str, extra: &[&str]) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec![tree.as_os_str()];
    for a in ["--by", by, "--format", "csv"]
        .into_iter()
        .chain(extra.iter().copied())
    {
        args.push(a.as_ref());
    }
    exlog(args).stdout
}

/// Asserts `a == b`, showing the first line that differs.
fn same(a: &str, b: &str, what: &str) {
    if let Some((i, (x, y))) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        panic!("{what}: line {}: {x:?} (state) vs {y:?} (one run)", i + 1);
    }
    assert_eq!(a.lines().count(), b.lines().count(), "{what}: line counts");
}

/// Runs `n` nights over `corpus` with a state, and checks each night's
/// JSON, and the last night's every report, against one run over the
/// same files. Returns the state's path (in `work`).
fn nightly_equals_one_run(corpus: &Path, work: &Path, n: u64, extra: &[&str]) -> PathBuf {
    nightly(corpus, work, n, extra).0
}

/// [`nightly_equals_one_run`], also returning the nights that left
/// sessions open for the next one to finish.
fn nightly(corpus: &Path, work: &Path, n: u64, extra: &[&str]) -> (PathBuf, Vec<u64>) {
    nightly_with(corpus, work, n, extra, &[])
}

/// [`nightly`], with `state_only` given to the runs with a state only.
fn nightly_with(
    corpus: &Path,
    work: &Path,
    n: u64,
    extra: &[&str],
    state_only: &[&str],
) -> (PathBuf, Vec<u64>) {
    let mut cut_sessions = Vec::new();
    let tree = work.join("logs");
    let state = work.join("state.exlog");
    let with_state = |more: &[&str]| -> Vec<String> {
        let mut a = vec!["--state".to_string(), state.display().to_string()];
        let flags = extra.iter().chain(state_only).chain(more);
        a.extend(flags.map(|s| s.to_string()));
        a
    };
    for k in 1..=n {
        night(corpus, &tree, k, n);
        let args = with_state(&[]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (nightly, stderr) = json(&tree, &args);
        let (one, _) = json(&tree, extra);
        assert!(
            stderr.contains("exlog: state: ") || one.is_empty(),
            "{stderr}"
        );
        if k < n && stderr.contains(" left open") && !stderr.contains(" 0 sessions left open") {
            cut_sessions.push(k);
        }
        same(
            &nightly,
            &one,
            &format!("night {k} of {n} of {}", corpus.display()),
        );
    }
    for by in REPORTS {
        let args = with_state(&[]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let what = format!("--by {by} of {}", corpus.display());
        same(&csv(&tree, by, &args), &csv(&tree, by, extra), &what);
    }
    (state, cut_sessions)
}

#[test]
fn nightly_pieces_of_the_sample_logs_give_one_runs_reports() {
    let work = tempfile::tempdir().unwrap();
    nightly_equals_one_run(&root().join("sample-logs"), work.path(), 4, &[]);
}

#[test]
fn nightly_pieces_of_the_fixture_corpora_give_one_runs_reports() {
    // Interleaved sessions, real excerpts, IIS logs, TLS-RPT reports.
    for corpus in ["sessions", "iis", "tlsrpt", "ugly"] {
        let work = tempfile::tempdir().unwrap();
        let from = root().join("tests/data").join(corpus);
        nightly_equals_one_run(&from, work.path(), 3, &[]);
    }
}

/// A generated busy shape: three servers, twelve sessions at a time,
/// 10 days, files of 200 kB, so that sessions cross files and nights.
#[test]
fn nightly_pieces_of_a_generated_corpus_give_one_runs_reports() {
    let corpus = generated("6MB", 3, 26, 10, &[]);
    let work = tempfile::tempdir().unwrap();
    let (_, cut) = nightly(corpus.path(), work.path(), 5, &[]);
    assert_eq!(cut, [1, 2, 3, 4], "the nights that left sessions open");
    // And with filters, which the state records.
    let work = tempfile::tempdir().unwrap();
    nightly_equals_one_run(corpus.path(), work.path(), 3, &["--exclude-internal"]);
}

/// `--state-keep-days 14` over 40 days of three servers, two of which
/// switch TLS 1.0/1.1 off (days 22 and 36): the detail folded away each night
/// changes no report (readiness, coverage, legacy, fallout, the weekly
/// burn-down and the rest equal one run's), and the state is smaller.
#[test]
fn a_state_that_keeps_14_days_of_detail_gives_one_runs_reports() {
    // EX03 switches after the last night's cut (2024-03-30): remotes
    // folded before they fail.
    let corpus = generated("8MB", 3, 27, 40, &["EX02=2024-03-25", "EX03=2024-04-08"]);
    let work = tempfile::tempdir().unwrap();
    let keep = ["--state-keep-days", "14"];
    let (state, _) = nightly_with(corpus.path(), work.path(), 5, &[], &keep);
    let kept = std::fs::read_to_string(&state).unwrap();
    assert!(kept.contains("\"detail_from\""), "nothing was folded");
    // The burn-down (HTML only) of the state's weeks, against one run's.
    let tree = work.path().join("logs");
    let page = work.path().join("report.html");
    let html = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![tree.as_os_str()];
        args.extend(["--format", "html", "-o"].iter().map(std::ffi::OsStr::new));
        args.push(page.as_os_str());
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        assert_eq!(exlog(args).code, 0);
        let page = std::fs::read_to_string(&page).unwrap();
        let at = page.find("<h2 id=\"burndown\">").expect("a burn-down");
        let section = &page[at..];
        let end = section[4..].find("<h2").map_or(section.len(), |e| e + 4);
        section[..end].to_string()
    };
    let with_state = ["--state", state.to_str().unwrap()];
    same(&html(&with_state), &html(&[]), "the burn-down");
    // One state without the flag, over the same logs: it holds every
    // session's marks and steps, the state above about 14 days' worth.
    let all = work.path().join("all.exlog");
    json(&tree, &["--state", all.to_str().unwrap()]);
    let (small, large) = (
        detail(&kept),
        detail(&std::fs::read_to_string(&all).unwrap()),
    );
    assert!(
        small * 2 < large,
        "{small} session marks and steps kept against {large}"
    );
}

/// A corpus of exlog-gen's busy shape: `servers` servers over `days`
/// days, files of 200 kB (sessions cross files and nights), and the
/// switch-offs given (`EX02=2024-03-25`).
fn generated(size: &str, servers: usize, seed: u64, days: u32, off: &[&str]) -> TempDir {
    let corpus = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(corpus.path(), exlog_gen::parse_size(size).unwrap());
    cfg.servers = servers;
    cfg.seed = seed;
    cfg.days = Some(days);
    cfg.file_size = 200_000;
    cfg.switch_off = off
        .iter()
        .map(|s| exlog_gen::parse_switch_off(s).unwrap())
        .collect();
    exlog_gen::generate(&cfg).unwrap();
    corpus
}

/// The number of dated items (marks, steps, legacy times) in a state.
fn detail(state: &str) -> usize {
    fn walk(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("marks" | "steps" | "legacy_times", serde_json::Value::Array(a)) => a.len(),
                    _ => walk(v),
                })
                .sum(),
            serde_json::Value::Array(a) => a.iter().map(walk).sum(),
            _ => 0,
        }
    }
    walk(&serde_json::from_str(state).unwrap())
}

/// A readiness window longer than the detail a state keeps is not judged
/// ready: it says what is missing. Days shorter than the window are
/// refused, and so is the flag without a state.
#[test]
fn a_window_longer_than_the_detail_kept_is_not_judged() {
    let corpus = generated("3MB", 2, 28, 30, &[]);
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("s.exlog");
    let s = state.to_str().unwrap();
    let logs = corpus.path().as_os_str();
    json(corpus.path(), &["--state", s, "--state-keep-days", "14"]);
    let merge = |days: &str| {
        let args = [
            "merge",
            s,
            "--by",
            "readiness",
            "--format",
            "csv",
            "--window-days",
            days,
        ];
        exlog(args.iter().map(std::ffi::OsStr::new).collect::<Vec<_>>()).stdout
    };
    let fits = merge("14");
    assert!(!fits.contains("--state-keep-days"), "{fits}");
    let longer = merge("20");
    let rows: Vec<&str> = longer.lines().skip(1).collect();
    assert!(!rows.is_empty());
    for row in rows {
        assert!(
            row.contains(",not_ready,")
                || (row.contains(",insufficient_data,") && row.contains("--state-keep-days")),
            "{row}"
        );
        assert!(!row.contains(",ready,"), "{row}");
    }
    let refused = exlog([
        logs,
        "--state".as_ref(),
        s.as_ref(),
        "--state-keep-days".as_ref(),
        "7".as_ref(),
    ]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("shorter than the readiness window"),
        "{}",
        refused.stderr
    );
    let alone = exlog([logs, "--state-keep-days".as_ref(), "30".as_ref()]);
    assert_eq!(alone.code, 1);
    assert!(
        alone.stderr.contains("give it with --state FILE"),
        "{}",
        alone.stderr
    );
}

#[test]
fn nightly_pieces_of_a_generated_iis_corpus_give_one_runs_reports() {
    let corpus = tempfile::tempdir().unwrap();
    exlog_gen::iis::generate(corpus.path(), 3_000_000, 3, 7, 1_709_251_200_000, false).unwrap();
    let work = tempfile::tempdir().unwrap();
    nightly_equals_one_run(corpus.path(), work.path(), 4, &[]);
}

/// Exchange's retention deletes the oldest logs between nights: their
/// counts stay in the state, and the reports are still those of one run
/// over every file, the deleted ones too.
#[test]
fn deleted_logs_keep_their_counts() {
    let work = tempfile::tempdir().unwrap();
    let (tree, all) = (work.path().join("logs"), work.path().join("all"));
    let state = work.path().join("state.exlog");
    let from = root().join("sample-logs");
    night(&from, &tree, 2, 3);
    let s = state.to_str().unwrap();
    json(&tree, &["--state", s]);
    let complete: std::collections::BTreeMap<PathBuf, u64> = walk(&tree)
        .into_iter()
        .map(|p| {
            let len = p.metadata().unwrap().len();
            (p, len)
        })
        .collect();
    night(&from, &all, 3, 3);
    night(&from, &tree, 3, 3);
    // Retention: the oldest log of every folder goes, if the first night
    // read it to its end.
    let mut deleted = 0;
    let folders: std::collections::BTreeSet<PathBuf> = walk(&tree)
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    for dir in folders {
        let mut logs: Vec<PathBuf> = walk(&dir)
            .into_iter()
            .filter(|p| {
                p.parent() == Some(&*dir) && is_log(&p.file_name().unwrap().to_string_lossy())
            })
            .collect();
        logs.sort();
        let read_whole = |p: &PathBuf| complete.get(p) == Some(&p.metadata().unwrap().len());
        // (A copy of it beside it would be read in its place.)
        let copied = walk(&dir)
            .iter()
            .any(|p| p.to_string_lossy().contains(" - Copy"));
        if logs.len() > 1 && read_whole(&logs[0]) && !copied {
            std::fs::remove_file(&logs[0]).unwrap();
            deleted += 1;
        }
    }
    assert!(deleted >= 3, "{deleted}");
    let (nightly, stderr) = json(&tree, &["--state", s]);
    // One run over every file, deleted ones too, under the same paths.
    let (one, _) = json(&all, &[]);
    let one = one.replace(all.to_str().unwrap(), tree.to_str().unwrap());
    same(&nightly, &one, "after retention");
    assert!(stderr.contains(&format!("{deleted} gone")), "{stderr}");
}

/// The second night reads only the bytes added since the first, and
/// says how many; the JSON `stats` still describe everything.
#[test]
fn a_grown_log_is_read_from_where_the_last_run_stopped() {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("EX01/RECV2024030810-1.LOG");
    let header = "#Software: Microsoft Exchange Server\r\n#Version: 15.2.1118.7\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-03-08T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";
    let session = |id: u32, min: u32| {
        let row = |seq: u32, event: &str, ctx: &str| {
            format!(
                "2024-03-08T10:{min:02}:{seq:02}.000Z,EX01\\Default Frontend EX01,08DC00000000{id:04X},{seq},10.0.0.1:25,192.0.2.{id}:5000,{event},,{ctx}\r\n"
            )
        };
        [
            row(0, "+", ""),
            row(1, "*", "\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\""),
            row(2, "-", "Local"),
        ]
        .concat()
    };
    let first = format!("{header}{}{}", session(1, 1), session(2, 2));
    write(&log, first.as_bytes());
    let state = work.path().join("s.exlog");
    let s = state.to_str().unwrap();
    let dir = work.path().join("EX01");
    json(&dir, &["--state", s]);
    // Two more sessions: 2 × 3 rows.
    let added = format!("{}{}", session(3, 3), session(4, 4));
    write(&log, format!("{first}{added}").as_bytes());
    let (doc, stderr) = json(&dir, &["--state", s]);
    let mb = format!("read {} bytes of new log lines from 1 file", added.len());
    assert!(stderr.contains(&mb), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    // 5 header lines and 4 sessions of 3 rows; 4 TLS 1.0 sessions.
    assert_eq!(v["stats"]["lines"], 17, "{}", v["stats"]);
    assert_eq!(v["stats"]["sessions"], 4);
    let (again, stderr) = json(&dir, &["--state", s]);
    assert!(
        stderr.contains("nothing new since the last run"),
        "{stderr}"
    );
    assert_eq!(again, doc);
}

/// A log whose head changed was replaced: an error naming it, nothing
/// counted, the state untouched; --rebuild starts afresh.
#[test]
fn a_replaced_log_is_an_error_until_rebuild() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("logs");
    night(&root().join("tests/data/sessions"), &tree, 1, 1);
    let state = work.path().join("s.exlog");
    let s = state.to_str().unwrap();
    json(&tree, &["--state", s]);
    let before = std::fs::read(&state).unwrap();
    let victim = walk(&tree)
        .into_iter()
        .find(|p| is_log(&p.to_string_lossy()))
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[20] ^= 1;
    write(&victim, &bytes);
    let run = exlog([tree.as_os_str(), "--state".as_ref(), state.as_os_str()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let name = victim.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        run.stderr.contains(&name) && run.stderr.contains("--rebuild"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
    let (rebuilt, _) = json(&tree, &["--state", s, "--rebuild"]);
    assert_eq!(rebuilt, json(&tree, &[]).0);
}

/// A state that is cut short, altered, of another version, or no state at
/// all, is refused with a message naming it, and left as it was.
#[test]
fn damaged_or_foreign_states_are_refused_and_left_alone() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("logs");
    night(&root().join("tests/data/sessions"), &tree, 1, 1);
    let good = work.path().join("good.exlog");
    json(&tree, &["--state", good.to_str().unwrap()]);
    let bytes = std::fs::read(&good).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut flipped = bytes.clone();
    let tally = text.find("\"tally\"").unwrap();
    let at = tally + text[tally..].find(|c: char| c.is_ascii_digit()).unwrap();
    flipped[at] = if flipped[at] == b'1' { b'2' } else { b'1' };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("cut", bytes[..bytes.len() / 2].to_vec(), "cut short"),
        ("flipped", flipped, "CRC-32"),
        (
            "old",
            text.replacen("\"version\": 2", "\"version\": 1", 1)
                .into_bytes(),
            "format version 1",
        ),
        (
            "foreign",
            b"2024-03-08T10:00:00.000Z,EX01\\Default,1,0,a,b,+,,\r\n".to_vec(),
            "not an exlog state",
        ),
        (
            "partial",
            b"{\"format\": \"exlog partial result\"}".to_vec(),
            "not an exlog state",
        ),
    ];
    for (name, content, says) in cases {
        let path = work.path().join(format!("{name}.exlog"));
        write(&path, &content);
        let run = exlog([tree.as_os_str(), "--state".as_ref(), path.as_os_str()]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{name}.exlog")),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read(&path).unwrap(), content, "{name} was changed");
    }
    // --rebuild replaces a damaged state, but never a file that is none.
    let cut = work.path().join("cut.exlog");
    let run = exlog([
        tree.as_os_str(),
        "--state".as_ref(),
        cut.as_os_str(),
        "--rebuild".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let foreign = work.path().join("foreign.exlog");
    let run = exlog([
        tree.as_os_str(),
        "--state".as_ref(),
        foreign.as_os_str(),
        "--rebuild".as_ref(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

/// A run killed at any moment, also while it writes the state, leaves
/// the previous state whole: the next run gives the right reports.
#[test]
fn a_run_killed_while_writing_leaves_the_previous_state_whole() {
    let corpus = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(corpus.path(), exlog_gen::parse_size("4MB").unwrap());
    cfg.servers = 2;
    cfg.seed = 9;
    cfg.days = Some(6);
    exlog_gen::generate(&cfg).unwrap();
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("logs");
    let state = work.path().join("s.exlog");
    night(corpus.path(), &tree, 1, 2);
    json(&tree, &["--state", state.to_str().unwrap()]);
    let first = std::fs::read(&state).unwrap();
    night(corpus.path(), &tree, 2, 2);
    // How long a whole run takes, then kills spread over that time.
    let started = std::time::Instant::now();
    let probe = work.path().join("probe.exlog");
    std::fs::copy(&state, &probe).unwrap();
    json(&tree, &["--state", probe.to_str().unwrap()]);
    let whole = started.elapsed();
    let mut outcomes = std::collections::BTreeSet::new();
    for i in 0..12u32 {
        std::fs::write(&state, &first).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_exlog"))
            .arg(&tree)
            .args(["--state", state.to_str().unwrap(), "--format", "json", "-q"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole * i / 10);
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(&state).unwrap();
        // Either untouched, or the whole new state.
        let same_as = if now == first { "previous" } else { "new" };
        outcomes.insert(same_as);
        let (reports, _) = json(&tree, &["--state", state.to_str().unwrap()]);
        assert_eq!(
            reports,
            json(&tree, &[]).0,
            "after a kill at {i}/10 of a run"
        );
    }
    assert!(outcomes.contains("previous"), "{outcomes:?}");
}

/// `exlog merge` reads a state as the partial result of its run.
#[test]
fn merge_reads_a_state() {
    let work = tempfile::tempdir().unwrap();
    let state = nightly_equals_one_run(&root().join("sample-logs"), work.path(), 2, &[]);
    let tree = work.path().join("logs");
    // The state carries no connector inventory: merge is given it.
    let receive = tree.join("inventory/receive-connectors.csv");
    let send = tree.join("inventory/send-connectors.csv");
    for by in ["connector", "readiness", "legacy", "fallout"] {
        let run = exlog([
            "merge".as_ref(),
            state.as_os_str(),
            "--inventory".as_ref(),
            receive.as_os_str(),
            "--inventory".as_ref(),
            send.as_os_str(),
            "--by".as_ref(),
            by.as_ref(),
            "--format".as_ref(),
            "csv".as_ref(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let what = format!("merge --by {by}");
        same(&run.stdout, &csv(&tree, by, &[]), &what);
    }
}

/// The state records the scan's filters: a run with others is refused.
#[test]
fn a_state_is_not_mixed_with_other_filters() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("logs");
    night(&root().join("sample-logs"), &tree, 1, 1);
    let state = work.path().join("s.exlog");
    json(&tree, &["--state", state.to_str().unwrap()]);
    let run = exlog([
        tree.as_os_str(),
        "--state".as_ref(),
        state.as_os_str(),
        "--exclude-internal".as_ref(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("other scan flags"), "{}", run.stderr);
    for flags in [&["--by", "session"][..], &["--events", "x.parquet"][..]] {
        let mut args = vec![tree.as_os_str(), "--state".as_ref(), state.as_os_str()];
        args.extend(flags.iter().map(std::ffi::OsStr::new));
        let run = exlog(args);
        assert_eq!(run.code, 1, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains("state keeps counts"), "{}", run.stderr);
    }
}

/// Rule 3 names a folder's server by its connectors; when a new log
/// brings a server of its own, the logs counted as one server are now
/// several, and a server's counts cannot be split: an error, and
/// --rebuild.
#[test]
fn a_server_whose_logs_are_now_several_servers_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("logs");
    let state = work.path().join("s.exlog");
    let s = state.to_str().unwrap();
    // Real excerpts of several servers, in one collection: the first
    // night holds only one server's connectors.
    let from = root().join("tests/data/real");
    night(&from, &tree, 1, 3);
    json(&tree, &["--state", s]);
    night(&from, &tree, 3, 3);
    let run = exlog([tree.as_os_str(), "--state".as_ref(), state.as_os_str()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot be split") && run.stderr.contains("--rebuild"),
        "{}",
        run.stderr
    );
    let (rebuilt, _) = json(&tree, &["--state", s, "--rebuild"]);
    same(&rebuilt, &json(&tree, &[]).0, "rebuilt");
}

/// A share reached under another path: the logs are recognized by their
/// head, read on from where the state stopped, and nothing is counted
/// twice.
#[test]
fn logs_under_a_new_path_are_recognized_by_their_head() {
    let work = tempfile::tempdir().unwrap();
    let (old, new) = (work.path().join("share"), work.path().join("renamed"));
    let state = work.path().join("s.exlog");
    let s = state.to_str().unwrap();
    let from = root().join("sample-logs/EX01");
    night(&from, &old, 1, 2);
    json(&old, &["--state", s]);
    std::fs::rename(&old, &new).unwrap();
    night(&from, &new, 2, 2);
    let (nightly, stderr) = json(&new, &["--state", s]);
    assert!(stderr.contains("found under a new path"), "{stderr}");
    let moved = stderr
        .split("; ")
        .find(|p| p.contains("new path"))
        .unwrap_or_default()
        .to_string();
    let (one, _) = json(&new, &[]);
    same(&nightly, &one, &format!("after the move ({moved})"));
}
