//! Issue 25 held to exlog-gen's truth: the impact, users, senders and
//! certificate of every `--by legacy` row, and every `--by fallout` row,
//! on a corpus of three servers over 25 days with TLS 1.0/1.1 switched
//! off on EX01 (2024-03-13) and EX02 (2024-03-12). The truth is computed
//! from the sessions the generator wrote, by rules of its own
//! (`exlog_gen::impact`, `exlog_gen::fallout`), never from exlog's output.

use crate::util::exlog_on;
use serde_json::Value;
use std::path::Path;

/// Three servers, 25 days, two of them switched off part-way.
fn switched_corpus() -> tempfile::TempDir {
    switched_corpus_of("8MB")
}

/// [`switched_corpus`] of another size (`merge_fallout` uses it too).
pub(crate) fn switched_corpus_of(size: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size(size).unwrap());
    cfg.servers = 3;
    cfg.seed = 3;
    cfg.days = Some(25);
    cfg.remotes = Some(60);
    cfg.switch_off = vec![
        exlog_gen::parse_switch_off("EX01=2024-03-13").unwrap(),
        exlog_gen::parse_switch_off("EX02=2024-03-12").unwrap(),
    ];
    exlog_gen::generate(&cfg).unwrap();
    dir
}

fn truth(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

/// A report as CSV: its rows cut to `columns`, in report order.
fn rows(dir: &Path, by: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let run = exlog_on(dir, &["--by", by, "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::util::csv_columns(&run.stdout, columns)
}

/// The truth's rows of `key`, cut to `columns`, in the truth's order.
fn truth_rows(truth: &Value, key: &str, columns: &[&str]) -> Vec<Vec<String>> {
    truth[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match &r[*c] {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn legacy_impact_users_senders_and_certificate_equal_the_truth() {
    let dir = switched_corpus();
    let columns = [
        "direction",
        "server",
        "connector",
        "remote_ip",
        "legacy_sessions",
        "weak_cipher_sessions",
        "impact",
        "auth_users",
        "senders",
        "certificate_subject",
    ];
    let truth = truth(dir.path());
    let want = truth_rows(&truth, "legacy", &columns);
    let got = rows(dir.path(), "legacy", &columns);
    assert_eq!(got, want);
    // The corpus shows every class, and lists long enough to be cut.
    for class in [
        "internal",
        "client_submission",
        "tls_required",
        "opportunistic",
    ] {
        assert!(got.iter().any(|r| r[6] == class), "no {class} row");
    }
    assert!(got.iter().any(|r| r[8].contains(";+")), "no +N more");
}

#[test]
fn fallout_rows_equal_the_truth() {
    let dir = switched_corpus();
    let columns = exlog::report::fallout::COLUMNS;
    let truth = truth(dir.path());
    let want = truth_rows(&truth, "fallout", &columns);
    let got = rows(dir.path(), "fallout", &columns);
    assert_eq!(got, want);
    for outcome in [
        "recovered",
        "fell_back_to_plaintext",
        "blocked",
        "new_failure",
    ] {
        assert!(got.iter().any(|r| r[11] == outcome), "no {outcome} row");
    }
    // The overview names each switch the truth found, with its day.
    let run = exlog_on(dir.path(), &["--format", "table"]);
    for s in truth["switch"].as_array().unwrap() {
        let line = format!(
            "{}: after TLS 1.0/1.1 stopped working on {}:",
            s["server"].as_str().unwrap(),
            s["switch_day"].as_str().unwrap()
        );
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }
}
