//! Each filter flag against counts worked out by hand from a small log
//! written here: four sessions of one server, each told apart from the
//! others by one thing a filter looks at.
//!
//! | session | direction | connector                  | start (UTC)  | remote       | TLS |
//! |---------|-----------|----------------------------|--------------|--------------|-----|
//! | A       | receive   | EX01\Default Frontend EX01 | 03-08 10:05  | 192.0.2.7    | 1.0 |
//! | B       | send      | Outbound to Internet       | 03-08 10:20  | 203.0.113.9  | 1.1 |
//! | C       | receive   | EX01\Default Frontend EX01 | 03-08 10:40  | 10.20.0.5    | 1.2 |
//! | D       | receive   | EX01\Client Frontend EX01  | 03-08 11:30  | 2001:db8::9  | 1.2 |

use crate::util::{csv_columns, exlog_on, write};
use std::path::Path;

const DEFAULT_FE: &str = "EX01\\Default Frontend EX01";
const CLIENT_FE: &str = "EX01\\Client Frontend EX01";
const SEND: &str = "Outbound to Internet";

fn header(kind: &str) -> String {
    format!(
        "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n\
         #Log-type: SMTP {kind} Protocol Log\r\n#Date: 2024-03-08T10:00:00.000Z\r\n\
         #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,\
         remote-endpoint,event,data,context\r\n"
    )
}

/// The TLS line of a negotiation of `protocol` (`SP_PROT_TLS1_0_SERVER`).
fn tls(protocol: &str) -> String {
    format!(
        "\"TLS protocol {protocol} negotiation succeeded using bulk encryption algorithm \
         CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 \
         bits and key exchange algorithm CALG_ECDHE with strength 256 bits\""
    )
}

/// The rows of one received session at `hh:mm` of 2024-03-08.
fn received(connector: &str, id: &str, hhmm: &str, remote: &str, protocol: &str) -> String {
    let at = |s: u32| format!("2024-03-08T{hhmm}:0{s}.000Z");
    let row = |s: u32, n: u32, event: &str, data: &str, context: &str| {
        format!(
            "{},{connector},{id},{n},10.0.0.11:25,{remote},{event},{data},{context}\r\n",
            at(s)
        )
    };
    [
        row(0, 0, "+", "", ""),
        row(0, 1, "<", "EHLO client.example", ""),
        row(1, 2, "<", "STARTTLS", ""),
        row(1, 3, ">", "220 2.0.0 SMTP server ready", ""),
        row(1, 4, "*", "", &tls(protocol)),
        row(2, 5, "<", "QUIT", ""),
        row(2, 6, "-", "", "Local"),
    ]
    .concat()
}

/// The rows of one sent session at `hh:mm` of 2024-03-08.
fn sent(id: &str, hhmm: &str, remote: &str, protocol: &str) -> String {
    let at = |s: u32| format!("2024-03-08T{hhmm}:0{s}.000Z");
    let row = |s: u32, n: u32, event: &str, data: &str, context: &str| {
        format!(
            "{},{SEND},{id},{n},10.0.0.11:53983,{remote},{event},{data},{context}\r\n",
            at(s)
        )
    };
    [
        row(0, 0, "+", "", ""),
        row(0, 1, "<", "220 mx.partner.example ESMTP", ""),
        row(0, 2, ">", "EHLO EX01.contoso.com", ""),
        row(1, 3, "<", "250-STARTTLS", ""),
        row(1, 4, ">", "STARTTLS", ""),
        row(1, 5, "*", "", &tls(protocol)),
        row(2, 6, ">", "QUIT", ""),
        row(2, 7, "-", "", "Local"),
    ]
    .concat()
}

/// Sessions A to D of the table above, in EX01's log folders.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("EX01/TransportRoles/Logs");
    let receive = header("Receive")
        + &received(
            DEFAULT_FE,
            "08DC000000000001",
            "10:05",
            "192.0.2.7:5001",
            "SP_PROT_TLS1_0_SERVER",
        )
        + &received(
            DEFAULT_FE,
            "08DC000000000003",
            "10:40",
            "10.20.0.5:5003",
            "SP_PROT_TLS1_2_SERVER",
        )
        + &received(
            CLIENT_FE,
            "08DC000000000004",
            "11:30",
            "[2001:db8::9]:5004",
            "SP_PROT_TLS1_2_SERVER",
        );
    let send = header("Send")
        + &sent(
            "08DC000000000002",
            "10:20",
            "203.0.113.9:25",
            "SP_PROT_TLS1_1_CLIENT",
        );
    write(
        &logs.join("FrontEnd/ProtocolLog/SmtpReceive/RECV2024030810-1.LOG"),
        receive.as_bytes(),
    );
    write(
        &logs.join("Hub/ProtocolLog/SmtpSend/SEND2024030810-1.LOG"),
        send.as_bytes(),
    );
    dir
}

/// The `columns` of `--by report` with `filter` on the corpus.
fn rows(dir: &Path, report: &str, filter: &[&str], columns: &[&str]) -> Vec<Vec<String>> {
    let mut args = filter.to_vec();
    args.extend(["--by", report, "--format", "csv"]);
    let run = exlog_on(dir, &args);
    assert_eq!(run.code, 0, "{filter:?}: {}", run.stderr);
    csv_columns(&run.stdout, columns)
}

fn owned(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn unfiltered_corpus_has_the_four_sessions_of_the_table() {
    let dir = corpus();
    // A, C and D received; B sent.
    let got = rows(
        dir.path(),
        "connector",
        &[],
        &[
            "direction",
            "connector",
            "TLS1.0",
            "TLS1.1",
            "TLS1.2",
            "total",
        ],
    );
    let want: &[&[&str]] = &[
        &["receive", CLIENT_FE, "0", "0", "1", "1"],  // D
        &["receive", DEFAULT_FE, "1", "0", "1", "2"], // A, C
        &["send", SEND, "0", "1", "0", "1"],          // B
    ];
    assert_eq!(got, owned(want));
}

#[test]
fn since_keeps_the_sessions_from_then_on_in_the_connector_report() {
    let dir = corpus();
    // From 10:30: C (Default FE, 1.2) and D (Client FE, 1.2); A and B began before.
    let got = rows(
        dir.path(),
        "connector",
        &["--since", "2024-03-08T10:30:00Z"],
        &[
            "direction",
            "connector",
            "TLS1.0",
            "TLS1.1",
            "TLS1.2",
            "total",
        ],
    );
    let want: &[&[&str]] = &[
        &["receive", CLIENT_FE, "0", "0", "1", "1"],
        &["receive", DEFAULT_FE, "0", "0", "1", "1"],
    ];
    assert_eq!(got, owned(want));
}

#[test]
fn until_keeps_the_sessions_before_then_in_the_day_report() {
    let dir = corpus();
    // Until 10:30: A (receive, 1.0) and B (send, 1.1), both on 2024-03-08.
    let got = rows(
        dir.path(),
        "day",
        &["--until", "2024-03-08T10:30:00Z"],
        &["date", "direction", "TLS1.0", "TLS1.1", "TLS1.2", "total"],
    );
    let want: &[&[&str]] = &[
        &["2024-03-08", "receive", "1", "0", "0", "1"],
        &["2024-03-08", "send", "0", "1", "0", "1"],
    ];
    assert_eq!(got, owned(want));
}

#[test]
fn connector_keeps_the_matching_connector_in_the_remote_report() {
    let dir = corpus();
    // Only D came in on the Client Frontend connector (the pattern is case-blind).
    let got = rows(
        dir.path(),
        "remote",
        &["--connector", "*client frontend ex01"],
        &["direction", "remote_ip", "TLS1.2", "total"],
    );
    assert_eq!(got, owned(&[&["receive", "2001:db8::9", "1", "1"]]));
}

#[test]
fn direction_keeps_one_direction_in_the_cipher_report() {
    let dir = corpus();
    // Only B was sent: one TLS 1.1 session with AES-256 / SHA-1 / ECDHE.
    let got = rows(
        dir.path(),
        "cipher",
        &["--direction", "send"],
        &[
            "direction",
            "tls_version",
            "cipher",
            "hash",
            "key_exchange",
            "sessions",
        ],
    );
    assert_eq!(
        got,
        owned(&[&["send", "TLS1.1", "AES-256", "SHA-1", "ECDHE", "1"]])
    );
}

#[test]
fn remote_ipv4_and_ipv6_ranges_keep_their_remotes_in_the_remote_report() {
    let dir = corpus();
    // 10.20.0.0/16 holds C's 10.20.0.5 only; 2001:db8::/32 holds D's address only.
    let got = rows(
        dir.path(),
        "remote",
        &["--remote", "10.20.0.0/16"],
        &["remote_ip", "TLS1.2", "total"],
    );
    assert_eq!(got, owned(&[&["10.20.0.5", "1", "1"]]));
    let got = rows(
        dir.path(),
        "remote",
        &["--remote", "2001:db8::/32"],
        &["remote_ip", "TLS1.2", "total"],
    );
    assert_eq!(got, owned(&[&["2001:db8::9", "1", "1"]]));
}

#[test]
fn exclude_remote_drops_its_remotes_from_the_remote_report() {
    let dir = corpus();
    // Everything but 192.0.2.7 (A): B, C and D, in address order.
    let got = rows(
        dir.path(),
        "remote",
        &["--exclude-remote", "192.0.2.0/24"],
        &["remote_ip"],
    );
    assert_eq!(
        got,
        owned(&[&["10.20.0.5"], &["2001:db8::9"], &["203.0.113.9"]])
    );
}

#[test]
fn since_and_until_together_keep_the_window_in_the_session_report() {
    let dir = corpus();
    // 10:30 to 11:00: C alone (A and B began before, D after).
    let got = rows(
        dir.path(),
        "session",
        &[
            "--since",
            "2024-03-08T10:30:00Z",
            "--until",
            "2024-03-08T11:00:00+00:00",
        ],
        &["direction", "session_id", "remote_ip", "tls_version"],
    );
    assert_eq!(
        got,
        owned(&[&["receive", "08DC000000000003", "10.20.0.5", "TLS1.2"]])
    );
}
