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
    let run = exlog(["tests/data/ugly", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let warnings = doc["warnings"].as_array().unwrap();
    let ugly = "tests/data/ugly/";
    let malformed = ugly.to_string() + "RECV2024010103-1.LOG";
    // Line 10 of that file: the 9th line ending ends the line before it.
    let bytes = std::fs::read(crate::util::root().join(&malformed)).unwrap();
    let line_10 = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(8)
        .unwrap()
        .0
        + 1;
    // Per file, by reading it: its problem, the JSON kind, and the line
    // (lines counted in the files by hand; `-` for a folder).
    let expected: &[(&str, &str, &str, Option<u64>)] = &[
        // 11 lines, the last without CRLF.
        (
            "SEND2024010100-1.LOG",
            "truncated_last_line",
            "last line 11 has no line ending",
            Some(11),
        ),
        // NUL bytes from its first byte on.
        (
            "RECV2024010102-1.LOG",
            "skipped_file",
            "skipped: binary data (NUL bytes)",
            None,
        ),
        // Line 10 has no remote endpoint: 8 fields.
        (
            "RECV2024010103-1.LOG",
            "malformed_rows",
            "first at line 10: 8 fields instead of 9",
            Some(10),
        ),
        // 12 lines, the last cut off in its TLS line.
        (
            "RECV2024010103-1.LOG",
            "truncated_last_line",
            "last line 12 has no line ending",
            Some(12),
        ),
        // u_ex240101.log's #Fields: lists no crypt-* field.
        (
            "",
            "iis_without_crypt",
            "IIS logs without the crypt-* fields",
            None,
        ),
    ];
    for (name, kind, problem, line) in expected {
        let file = format!("{ugly}{name}").trim_end_matches('/').to_string();
        let found = warnings
            .iter()
            .find(|w| w["kind"] == *kind && w["file"] == file.as_str());
        let w = found.unwrap_or_else(|| panic!("no {kind} warning about {file}: {warnings:#?}"));
        let message = w["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{file}: ")), "{message}");
        assert!(message.contains(problem), "{message}");
        assert_eq!(w["line"].as_u64(), *line, "{message}");
        assert_eq!(w["severity"], "warning");
        // The same text on stderr, one line, after `exlog: warning: `.
        assert!(
            run.stderr.contains(&format!("exlog: warning: {message}\n")),
            "{}",
            run.stderr
        );
    }
    let bad = warnings
        .iter()
        .find(|w| w["kind"] == "malformed_rows")
        .unwrap();
    assert_eq!(bad["offset"].as_u64(), Some(line_10 as u64));
    // SEND2024010100-1.LOG line 9: SP_PROT_TLS1_4_CLIENT, a protocol no
    // Windows has; a token is about all files, so it names none.
    let token = warnings
        .iter()
        .find(|w| w["kind"] == "unknown_protocol")
        .unwrap();
    assert!(
        token["message"]
            .as_str()
            .unwrap()
            .contains("\"SP_PROT_TLS1_4_CLIENT\"")
    );
    assert!(token["file"].is_null());
    // The empty log, the log of a header only and notes.txt (not a log
    // name, in a folder) are no problem: 6 warnings in all.
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
    for quiet in ["RECV2024010100-1.LOG", "RECV2024010101-1.LOG", "notes.txt"] {
        assert!(!run.stderr.contains(quiet), "{}", run.stderr);
    }
}

/// A regression check: stderr of the ugly folder, byte for byte, as
/// blessed (what the warnings say is checked above).
#[test]
fn ugly_stderr_is_unchanged() {
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

/// A regression check: one report per filter, byte for byte, as blessed
/// (tests/integration/filters.rs checks each filter against hand counts).
#[test]
fn filtered_reports_are_unchanged() {
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
