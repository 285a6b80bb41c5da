//! Whole-output comparisons on the shipped sample and the fixture folders.

use crate::util::{assert_expected, exlog, stable_json};

const REPORTS: [&str; 7] = [
    "connector",
    "remote",
    "cipher",
    "failure",
    "session",
    "day",
    "readiness",
];

fn check_folder(case: &str, path: &str, expected_code: i32) {
    for report in REPORTS {
        let run = exlog([path, "--by", report, "--format", "csv"]);
        assert_eq!(run.code, expected_code, "{case} {report}: {}", run.stderr);
        assert_expected(&format!("{case}.{report}.csv"), &run.stdout);
    }
    let run = exlog([path, "--format", "json"]);
    assert_eq!(run.code, expected_code, "{case} json: {}", run.stderr);
    assert_expected(&format!("{case}.json"), &stable_json(&run.stdout));
}

#[test]
fn sample_logs() {
    check_folder("sample", "sample-logs", 0);
}

#[test]
fn real_excerpts() {
    check_folder("real", "tests/data/real", 2);
}

#[test]
fn ugly_files() {
    check_folder("ugly", "tests/data/ugly", 2);
}

#[test]
fn ugly_warnings_name_file_and_problem() {
    let run = exlog(["tests/data/ugly", "--format", "csv"]);
    assert_expected("ugly.stderr", &run.stderr);
}

#[test]
fn sample_table() {
    let run = exlog(["sample-logs", "--format", "table"]);
    assert_eq!(run.code, 0);
    assert_expected("sample.connector.table", &run.stdout);
    let run = exlog(["sample-logs", "--format", "table", "--by", "remote"]);
    assert_expected("sample.remote.table", &run.stdout);
}
