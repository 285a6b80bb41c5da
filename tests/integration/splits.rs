//! Exact under any split: the defects of the first session engine, each
//! with the input that showed it. Every test runs the binary whole and in
//! chunks (`--chunk-size`), on one and on several threads.

use crate::util::{exlog_on, write};
use std::path::Path;

const FIELDS: &str = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";
const K: &str = "08DC000000000001";

fn row(seq: u32, event: &str, data: &str, context: &str) -> String {
    format!(
        "2024-03-08T10:00:{:02}.000Z,EX01\\Default Frontend EX01,{K},{seq},10.0.0.1:25,192.0.2.7:5000,{event},{data},{context}\r\n",
        seq % 60
    )
}

/// Session rows of `--by session`, as CSV lines without the header.
fn sessions(path: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--by", "session", "--format", "csv"];
    args.extend_from_slice(extra);
    let run = exlog_on(path, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.lines().skip(1).map(str::to_owned).collect()
}

/// A session id that starts again (row 0) while an older session of that
/// id is open in an earlier chunk: the stray row after the second
/// session's end is a third session, wherever the chunks end.
#[test]
fn restarted_session_id_gives_the_same_sessions_for_any_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RECV2024030810-1.LOG");
    let mut log = format!("\u{feff}#Log-type: SMTP Receive Protocol Log\r\n{FIELDS}");
    log.push_str(&row(0, ">", &format!("220 {}", "x".repeat(2000)), ""));
    log.push_str(&row(0, "+", "", ""));
    log.push_str(&row(1, "-", "", "Local"));
    log.push_str(&row(2, "<", "NOOP", ""));
    write(&path, log.as_bytes());
    let whole = sessions(&path, &[]);
    assert_eq!(whole.len(), 3, "{whole:#?}");
    for chunk in ["1000", "2200", "2400", "64"] {
        for threads in ["1", "2", "3"] {
            let split = sessions(&path, &["--chunk-size", chunk, "--threads", threads]);
            assert_eq!(split, whole, "chunk {chunk}, threads {threads}");
        }
    }
}

/// A headerless file whose name says nothing, on a port Exchange does not
/// use by default: both scans take the direction from the role of its
/// TLS line (`_SERVER`: receive), not one from the role and one from the
/// port.
#[test]
fn one_direction_rule_for_both_scans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay-excerpt.txt");
    let line = |seq: u32, event: &str, data: &str, context: &str| {
        format!(
            "2024-03-08T10:00:0{seq}.000Z,EX01\\Relay 2526,{K},{seq},10.0.0.1:2526,192.0.2.7:5000,{event},{data},{context}\r\n"
        )
    };
    let log = [
        line(0, "+", "", ""),
        line(1, "<", "STARTTLS", ""),
        line(2, "*", "", "\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\""),
        line(3, "-", "", "Local"),
    ]
    .concat();
    write(&path, log.as_bytes());
    for by in ["cipher", "connector", "remote", "failure", "session", "day"] {
        let run = exlog_on(&path, &["--by", by, "--format", "csv"]);
        assert_eq!(run.code, 0, "{by}: {}", run.stderr);
        assert!(
            !run.stdout.contains("send"),
            "--by {by} calls it send:\n{}",
            run.stdout
        );
        if by != "failure" {
            assert!(run.stdout.contains("receive"), "--by {by}:\n{}", run.stdout);
        }
    }
}

/// The logs end after STARTTLS, before any TLS line: the session's outcome
/// is unknown, not a failure.
#[test]
fn session_cut_off_after_starttls_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RECV2024030810-1.LOG");
    let mut log = format!("\u{feff}#Log-type: SMTP Receive Protocol Log\r\n{FIELDS}");
    log.push_str(&row(0, "+", "", ""));
    log.push_str(&row(1, "<", "EHLO client.example", ""));
    log.push_str(&row(2, ">", "250-STARTTLS", ""));
    log.push_str(&row(3, "<", "STARTTLS", ""));
    log.push_str(&row(4, ">", "220 2.0.0 SMTP server ready", ""));
    write(&path, log.as_bytes());
    let rows = sessions(&path, &[]);
    assert_eq!(rows.len(), 1);
    // class, internal, incomplete are the last three columns.
    assert!(rows[0].ends_with(",unknown,false,true"), "{}", rows[0]);
    // Had it ended (a `-` row), it would have failed.
    log.push_str(&row(5, "-", "", "Remote(ConnectionReset)"));
    write(&path, log.as_bytes());
    let rows = sessions(&path, &[]);
    assert!(rows[0].ends_with(",failed,false,false"), "{}", rows[0]);
}

/// A log still being written ends in half a line. Whatever it happens to
/// split into, it is not read: here it would have been a failure named
/// `Unkn`.
#[test]
fn half_written_last_line_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RECV2024030810-1.LOG");
    let mut log = format!("\u{feff}#Log-type: SMTP Receive Protocol Log\r\n{FIELDS}");
    log.push_str(&row(0, "+", "", ""));
    log.push_str(&row(1, "<", "STARTTLS", ""));
    let last = row(
        2,
        "*",
        "",
        "TLS negotiation failed with error UnknownCredentials",
    );
    log.push_str(&last[..last.find("Unkn").unwrap() + 4]);
    write(&path, log.as_bytes());
    for chunk in ["50", "100000"] {
        let run = exlog_on(&path, &["--format", "json", "--chunk-size", chunk]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(v["stats"]["failures"], 0, "chunk {chunk}");
        assert_eq!(v["stats"]["unterminated_lines"], 1);
        assert_eq!(v["stats"]["lines"], 5);
        assert!(v["failure"].as_array().unwrap().is_empty());
        assert!(run.stderr.contains("has no line ending"), "{}", run.stderr);
    }
}
