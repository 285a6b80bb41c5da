//! Output for Excel: -o folder and file, BOM, xlsx read back with
//! calamine, formula-injection defence.

use crate::util::{exlog, root, stable_json};
use calamine::{Data, Reader, Xlsx, open_workbook};

const BOM: &str = "\u{feff}";

#[test]
fn output_folder_has_every_report_with_bom() {
    let dir = tempfile::tempdir().unwrap();
    let out = format!("{}/", dir.path().join("reports").display());
    let run = exlog(["sample-logs", "-o", &out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // Every report there is, no fewer.
    let mut names = exlog::output::dir_reports(true);
    names.sort();
    let mut all: Vec<&str> = exlog::report::Kind::ALL.iter().map(|k| k.name()).collect();
    all.sort();
    assert_eq!(names, all);
    for name in exlog::output::dir_reports(true) {
        let file = std::fs::read_to_string(dir.path().join("reports").join(format!("{name}.csv")))
            .unwrap();
        let stdout = exlog(["sample-logs", "--by", name, "--format", "csv"]).stdout;
        assert_eq!(file, format!("{BOM}{stdout}"), "{name}.csv");
    }
    let json = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    let direct = exlog(["sample-logs", "--format", "json"]).stdout;
    assert_eq!(stable_json(&json), stable_json(&direct));
}

#[test]
fn bom_switches() {
    let stdout = exlog(["sample-logs", "--format", "csv"]).stdout;
    assert!(!stdout.starts_with(BOM), "no BOM on stdout by default");
    assert!(exlog(["sample-logs", "--bom"]).stdout.starts_with(BOM));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.csv");
    assert_eq!(
        exlog([
            root().join("sample-logs").as_os_str(),
            "-o".as_ref(),
            file.as_os_str()
        ])
        .code,
        0
    );
    assert!(std::fs::read_to_string(&file).unwrap().starts_with(BOM));
    exlog([
        root().join("sample-logs").as_os_str(),
        "-o".as_ref(),
        file.as_os_str(),
        "--no-bom".as_ref(),
    ]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
}

#[test]
fn bad_output_path_fails_before_the_scan() {
    let run = exlog(["sample-logs", "-o", "/nonexistent/dir/x.csv"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("/nonexistent/dir/x.csv: cannot write here"),
        "{}",
        run.stderr
    );
    let run = exlog(["sample-logs", "--format", "xlsx"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("-o report.xlsx"));
}

fn workbook(args: &[&str]) -> (Xlsx<std::io::BufReader<std::fs::File>>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xlsx");
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.extend(["-o".as_ref(), file.as_os_str()]);
    let run = exlog(all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&file).unwrap();
    let book: Xlsx<_> = open_workbook(&file).unwrap();
    (book, bytes)
}

/// An ISO time or date from the CSV as an Excel serial date, computed
/// independently of exlog (days since 1899-12-30).
fn serial(text: &str) -> Option<f64> {
    let date = &text[..10];
    let (y, m, d): (i64, i64, i64) = (
        date[..4].parse().ok()?,
        date[5..7].parse().ok()?,
        date[8..10].parse().ok()?,
    );
    // Days from civil (Howard Hinnant), then shift to Excel's epoch.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468 + 25_569;
    let mut v = days as f64;
    if text.len() > 10 {
        let h: f64 = text[11..13].parse().ok()?;
        let mi: f64 = text[14..16].parse().ok()?;
        let sec: f64 = text[17..text.len() - 1].parse().ok()?;
        v += (h * 3600.0 + mi * 60.0 + sec) / 86400.0;
    }
    Some(v)
}

#[test]
fn xlsx_sheets_numbers_dates_and_chart() {
    let (mut book, bytes) = workbook(&["sample-logs"]);
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "connector",
            "remote",
            "cipher",
            "failure",
            "day",
            "readiness",
            "coverage",
            "server",
            "legacy"
        ]
    );
    // Every report sheet has the CSV's header and rows.
    // (sample-logs holds no IIS logs or TLS-RPT reports: no sheets for them.)
    for name in exlog::output::dir_reports(true)
        .into_iter()
        .filter(|&n| n != "session" && !n.starts_with("http-") && n != "tlsrpt")
    {
        let range = book.worksheet_range(name).unwrap();
        let csv = exlog(["sample-logs", "--by", name, "--format", "csv"]).stdout;
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let sheet_header: Vec<String> = (0..header.len())
            .map(|c| range.get((0, c)).unwrap().to_string())
            .collect();
        assert_eq!(sheet_header, header, "{name}");
        // Every cell equals the CSV's: numbers as numbers, times as Excel
        // dates, text as text (both neutralised the same way).
        let mut rows = 0;
        for (r, record) in rdr.records().enumerate() {
            let record = record.unwrap();
            for (c, want) in record.iter().enumerate() {
                let got = range.get((r + 1, c)).unwrap_or(&Data::Empty);
                match got {
                    Data::Float(f) => assert_eq!(Ok(*f), want.parse::<f64>(), "{name} {r} {c}"),
                    Data::DateTime(t) => {
                        let want =
                            serial(want).unwrap_or_else(|| panic!("{name} {r} {c}: {want:?}"));
                        assert!((want - t.as_f64()).abs() < 1e-9, "{name} {r} {c}");
                    }
                    Data::Bool(b) => assert_eq!(b.to_string(), want, "{name} {r} {c}"),
                    Data::Empty => assert_eq!(want, "", "{name} {r} {c}"),
                    other => assert_eq!(other.to_string(), want, "{name} {r} {c}"),
                }
            }
            rows += 1;
        }
        assert_eq!(range.height(), rows + 1, "{name}");
    }
    let connector = book.worksheet_range("connector").unwrap();
    // Row 1: receive, EX01\Default Frontend EX01, 0, 0, 2, 1, 6, 0, 0, 1, 10, 1
    assert_eq!(
        connector.get((1, 1)),
        Some(&Data::String("EX01\\Default Frontend EX01".into()))
    );
    assert_eq!(connector.get((1, 4)), Some(&Data::Float(2.0)));
    assert_eq!(connector.get((1, 10)), Some(&Data::Float(10.0)));
    let remote = book.worksheet_range("remote").unwrap();
    // Row 2: 10.20.0.15 (row 1 is EX03's Hub neighbour 10.0.0.14).
    assert_eq!(remote.get((2, 1)), Some(&Data::String("10.20.0.15".into())));
    match remote.get((2, 11)) {
        Some(Data::DateTime(t)) => {
            // 2024-03-08T10:07:00.753Z as an Excel serial date.
            let want = 45359.0 + (10.0 * 3600.0 + 7.0 * 60.0 + 0.753) / 86400.0;
            assert!((t.as_f64() - want).abs() < 1e-8, "{}", t.as_f64());
        }
        other => panic!("first_seen is not a date: {other:?}"),
    }
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(
        summary.get((2, 0)),
        Some(&Data::String("files read".into()))
    );
    // 3 EX01 files (and an Explorer copy of one, not read), 2 of EX02, 48
    // of EX03 (16 days of FrontEnd receive, Hub receive and Hub send).
    assert_eq!(summary.get((2, 1)), Some(&Data::Float(53.0)));
    let text: Vec<String> = summary.rows().flatten().map(|c| c.to_string()).collect();
    assert!(text.iter().any(|t| t.starts_with("not ready: 3 remotes")));
    assert!(text.iter().any(|t| t == "servers: first and last record"));
    // The chart is a part of the package (calamine does not read charts).
    let needle = b"xl/charts/chart1.xml";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn hostile_text_is_neutralised_in_csv_and_xlsx_raw_in_json() {
    let csv = exlog(["tests/data/hostile", "--by", "remote", "--format", "csv"]).stdout;
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n"),
        "{csv}"
    );
    assert!(csv.contains(",'@SUM(1)\n"));
    assert!(csv.contains(",'-2+3\n"));
    assert!(csv.contains(",'+cmd|' /C calc'!A0\n"));
    let sessions = exlog(["tests/data/hostile", "--by", "session", "--format", "csv"]).stdout;
    assert!(sessions.contains(",'=1+1,"), "auth user: {sessions}");
    let json = exlog(["tests/data/hostile", "--format", "json"]).stdout;
    assert!(
        json.contains("\"ehlo\": \"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\""),
        "JSON stays raw"
    );
    let (mut book, _) = workbook(&["tests/data/hostile"]);
    let remote = book.worksheet_range("remote").unwrap();
    let ehlos: Vec<String> = (1..remote.height())
        .map(|r| remote.get((r, 15)).unwrap().to_string())
        .collect();
    assert_eq!(
        ehlos,
        [
            "'=HYPERLINK(\"http://x\",\"y\")",
            "'@SUM(1)",
            "'-2+3",
            "'+cmd|' /C calc'!A0",
            "TAB"
        ]
    );
}

#[test]
fn terminal_table_escapes_control_characters() {
    let run = exlog([
        "tests/data/hostile",
        "--by",
        "connector",
        "--format",
        "table",
    ]);
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{202e}'));
    assert!(
        run.stdout
            .contains(r"EXH\\x1b[31mEvil\x1b[0m \u{202e}Relay"),
        "{}",
        run.stdout
    );
}
