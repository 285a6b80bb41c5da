//! `--by coverage` and readiness held to exlog-gen's truth, on a corpus of
//! four servers spread over 17 days with the connector inventory the
//! generator writes (each server set up differently, see
//! `exlog_gen::inventory`), and on a copy with one day of one server's
//! logs deleted, checked against values worked out by hand.

use crate::util::exlog_on;
use serde_json::Value;
use std::path::Path;

/// The columns of `--by coverage` that the truth computes.
const TRUTH_COLUMNS: [&str; 9] = [
    "server",
    "direction",
    "connector",
    "source",
    "service",
    "sessions",
    "days_with_logs",
    "missing_days",
    "status",
];

/// Four servers, 6 MB, sessions spread over 17 days: longer than the
/// 14-day window, so that a server can be covered on every day of it.
fn spread_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size("6MB").unwrap());
    cfg.servers = 4;
    cfg.seed = 7;
    cfg.file_size = 400_000;
    cfg.days = Some(17);
    exlog_gen::generate(&cfg).unwrap();
    dir
}

fn truth(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

/// `--by coverage` as CSV, each row cut to `TRUTH_COLUMNS`, in order.
fn coverage_rows(dir: &Path) -> Vec<Vec<String>> {
    let run = exlog_on(dir, &["--by", "coverage", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::util::csv_columns(&run.stdout, &TRUTH_COLUMNS)
}

/// The truth's coverage rows as `TRUTH_COLUMNS` text.
fn truth_rows(truth: &Value) -> Vec<Vec<String>> {
    truth["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            TRUTH_COLUMNS
                .iter()
                .map(|c| match &r[*c] {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .collect()
        })
        .collect()
}

fn statuses(rows: &[Vec<String>]) -> std::collections::BTreeSet<&str> {
    rows.iter().map(|r| r[8].as_str()).collect()
}

#[test]
fn coverage_report_equals_the_generators_truth() {
    let dir = spread_corpus();
    let truth = truth(dir.path());
    // The corpus spans more than the window: at least 15 UTC days of TLS.
    let dates: std::collections::BTreeSet<&str> = truth["day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert!(dates.len() >= 15, "{dates:?}");
    let want = truth_rows(&truth);
    // Four servers of six receive connectors and two listed send
    // connectors each, plus each one's implicit intra-organization one.
    assert_eq!(want.len(), 4 * 9, "{want:?}");
    let shown = statuses(&want);
    for s in ["covered", "not_logged", "not_read", "disabled"] {
        assert!(shown.contains(s), "the corpus shows {s}: {shown:?}");
    }
    let got = coverage_rows(dir.path());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "coverage row {i}");
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn readiness_equals_the_generators_truth() {
    let dir = spread_corpus();
    let truth = truth(dir.path());
    let run = exlog_on(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut want: Vec<String> = truth["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    want.sort();
    assert_eq!(
        crate::util::project(&got["readiness"], &truth["readiness"]),
        want
    );
    // Servers with TLS 1.0 clients are not ready, whatever their
    // coverage; the one whose peers all moved on and whose every enabled
    // connector is covered is ready.
    let servers: Vec<(&str, &str)> = truth["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["scope"] == "server")
        .map(|r| (r["server"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        servers,
        [
            ("EX01", "not_ready"),
            ("EX02", "not_ready"),
            ("EX03", "not_ready"),
            ("EX04", "ready")
        ]
    );
}

/// Client submission on 587 (AUTH, then mail) is logged where `Client
/// Frontend` logs, some of it below TLS 1.2, and not where it does not.
#[test]
fn client_submission_is_logged_where_client_frontend_logs() {
    let dir = spread_corpus();
    let truth = truth(dir.path());
    let row = |name: &str| {
        truth["connector"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["connector"] == name)
            .cloned()
    };
    let ex02 = row("EX02\\Client Frontend EX02").expect("EX02 logs client submission");
    assert!(ex02["TLS1.0"].as_u64().unwrap() > 0, "{ex02}");
    let ex04 = row("EX04\\Client Frontend EX04").expect("EX04 logs client submission");
    assert!(ex04["total"].as_u64().unwrap() > 0, "{ex04}");
    assert_eq!(ex04["TLS1.0"], 0, "EX04's peers all use TLS 1.2 or later");
    // `ProtocolLoggingLevel None`: no rows at all.
    assert!(row("EX01\\Client Frontend EX01").is_none());
    assert!(row("EX03\\Client Frontend EX03").is_none());
    let logs = std::fs::read_dir(
        dir.path()
            .join("EX02/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive"),
    )
    .unwrap()
    .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
    .collect::<String>();
    assert!(logs.contains("Client Frontend EX02,") && logs.contains(",<,AUTH LOGIN,"));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Deletes EX04's files of 2024-03-14 (hourly files, by name) in both its
/// folders; returns how many.
fn delete_day(logs: &Path) -> usize {
    let mut deleted = 0;
    for folder in [
        "FrontEnd/ProtocolLog/SmtpReceive",
        "Hub/ProtocolLog/SmtpSend",
    ] {
        for entry in std::fs::read_dir(logs.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name[4..12] == *"20240314" {
                std::fs::remove_file(&path).unwrap();
                deleted += 1;
            } else if name[4..14] == *"2024031500" {
                // Rows are stamped when queued, a little before they are
                // written: none of the 14th may be left in the next file.
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(!text.contains("\n2024-03-14T"), "{name}");
            }
        }
    }
    deleted
}

#[test]
fn a_day_deleted_from_a_ready_server_is_missing_and_it_is_not_ready() {
    let dir = spread_corpus();
    let truth = truth(dir.path());
    let ex04 = truth["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "server" && r["server"] == "EX04")
        .unwrap();
    assert_eq!(ex04["status"], "ready");
    // 2024-03-14 is well inside EX04's window (it ends days later).
    assert!(ex04["window_from"].as_str().unwrap() < "2024-03-13");
    assert!(ex04["window_to"].as_str().unwrap() > "2024-03-16");
    let copy = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), copy.path());
    let deleted = delete_day(&copy.path().join("EX04/TransportRoles/Logs"));
    assert!(deleted >= 2, "{deleted} files of 2024-03-14");

    let before = truth_rows(&truth);
    let after = coverage_rows(copy.path());
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a[..5], b[..5], "the same connectors");
        if b[0] != "EX04" {
            assert_eq!(a[6..], b[6..], "other servers unchanged");
            continue;
        }
        // FrontEnd receive and Hub send lost the day; the Hub receive
        // connectors (no Hub receive logs) had no days to lose.
        let read = (b[1] == "receive" && b[4] == "FrontEnd") || b[1] == "send";
        let (with, missing) = if read { ("13", "1") } else { ("0", "14") };
        assert_eq!((a[6].as_str(), a[7].as_str()), (with, missing), "{a:?}");
        let status = match b[8].as_str() {
            "covered" => "partial",
            s => s,
        };
        assert_eq!(a[8], status, "{a:?}");
    }

    let run = exlog_on(copy.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    let server = got["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "server" && r["server"] == "EX04")
        .unwrap();
    assert_eq!(server["status"], "insufficient_data", "{server}");
    assert_eq!(server["days_with_logs"], 13, "{server}");
    assert_eq!(server["missing_days"], 1, "{server}");
    let verdict = server["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("logs missing for 1 of 14 days (2024-03-14)"),
        "{verdict}"
    );
}
