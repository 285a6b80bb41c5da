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

#[test]
fn session_shapes() {
    check_folder("sessions", "tests/data/sessions", 0);
}

#[test]
fn filters_apply_to_every_report() {
    let cases: &[(&str, &[&str])] = &[
        (
            "filter.since",
            &["sample-logs", "--since", "2024-01-01", "--by", "connector"],
        ),
        (
            "filter.until",
            &["sample-logs", "--until", "2022-12-28", "--by", "day"],
        ),
        (
            "filter.connector",
            &[
                "sample-logs",
                "--connector",
                "*frontend ex01",
                "--by",
                "remote",
            ],
        ),
        (
            "filter.direction",
            &["sample-logs", "--direction", "send", "--by", "cipher"],
        ),
        (
            "filter.remote4",
            &["sample-logs", "--remote", "10.20.0.0/16", "--by", "remote"],
        ),
        (
            "filter.remote6",
            &["sample-logs", "--remote", "2001:db8::/32", "--by", "remote"],
        ),
        (
            "filter.internal",
            &[
                "tests/data/sessions",
                "--exclude-internal",
                "--by",
                "connector",
            ],
        ),
        (
            "filter.window",
            &[
                "sample-logs",
                "--since",
                "2024-03-08T10:30:00Z",
                "--until",
                "2024-03-08T11:00:00+00:00",
                "--by",
                "session",
            ],
        ),
        (
            "filter.readiness",
            &["sample-logs", "--window-days", "600", "--by", "readiness"],
        ),
    ];
    for (name, args) in cases {
        let run = exlog(args.iter());
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_expected(&format!("{name}.csv"), &run.stdout);
    }
}

#[test]
fn bad_filters_exit_1_naming_the_option() {
    for (args, needle) in [
        (["sample-logs", "--since", "yesterday"], "--since"),
        (["sample-logs", "--remote", "10.0.0.0/40"], "--remote"),
    ] {
        let run = exlog(args);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains(needle), "{}", run.stderr);
    }
}

#[test]
fn terminal_overview() {
    // What a terminal shows without --by (forced here with --format table).
    let run = exlog(["sample-logs", "--format", "table"]);
    assert_eq!(run.code, 0);
    assert_expected("sample.overview.table", &run.stdout);
}

/// `scripts/make_sample_logs.py` computes the report rows from the
/// sessions it writes (not from the logs): exlog must find the same.
#[test]
fn sample_logs_equal_their_generators_truth() {
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::util::root().join("sample-logs/truth.json")).unwrap(),
    )
    .unwrap();
    let run = exlog(["sample-logs", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // Row order is exlog's business (byte order of the keys); the rows are
    // compared as sets.
    let rows = |v: &serde_json::Value| {
        let mut r: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.to_string())
            .collect();
        r.sort();
        r
    };
    for report in ["connector", "remote", "cipher", "failure", "day", "server"] {
        assert!(!truth[report].as_array().unwrap().is_empty(), "{report}");
        assert_eq!(rows(&got[report]), rows(&truth[report]), "{report}");
    }
    // Reports with columns the script does not compute (sentences, EHLO
    // names): the columns it does, row by row.
    for report in ["legacy", "readiness"] {
        assert!(!truth[report].as_array().unwrap().is_empty(), "{report}");
        assert_eq!(
            crate::util::project(&got[report], &truth[report]),
            rows(&truth[report]),
            "{report}"
        );
    }
    // Every status occurs: the samples show each verdict.
    for status in ["ready", "not_ready", "insufficient_data"] {
        assert!(
            got["readiness"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["status"] == status),
            "{status}"
        );
    }
    for k in [
        "sessions_tls",
        "sessions_failed",
        "sessions_plaintext",
        "sessions_idle",
    ] {
        assert_eq!(got["stats"][k], truth["totals"][k], "{k}");
    }
    // The Explorer copy is read once, with a warning; the skewed clock is
    // named with its file.
    let warnings = got["warnings"].to_string();
    assert!(
        warnings.contains("- Copy.LOG: same content as"),
        "{warnings}"
    );
    assert!(warnings.contains("RECV20240307-1.LOG: 32 records more than a day away"));
}
