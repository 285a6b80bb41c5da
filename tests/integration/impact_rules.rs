//! Issue 25 by hand: a receive log of one server, EXH, written here
//! session by session, with one remote for each impact rule, the day
//! TLS 1.0/1.1 was switched off with one remote for each outcome, and an
//! owners file with each kind of match. Every expected value below is
//! worked out from the sessions as written, not from exlog's output.

use crate::util::{exlog_on, write};
use std::path::Path;

const TLS10: &str = "\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_RSA_KEYX with strength 2048 bits\"";
const TLS11: &str = "\"TLS protocol SP_PROT_TLS1_1_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_RSA_KEYX with strength 2048 bits\"";
const TLS12: &str = "\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits\"";

/// One session: its rows 100 ms apart from `start` (`2024-03-10T10:00:00`),
/// each `(event, data, context)`, between a `+` and a `-` row.
fn session(
    start: &str,
    connector: &str,
    id: &str,
    local: &str,
    remote: &str,
    rows: &[(&str, &str, &str)],
) -> String {
    let all = std::iter::once(("+", "", ""))
        .chain(rows.iter().copied())
        .chain(std::iter::once(("-", "", "Local")));
    all.enumerate()
        .map(|(i, (event, data, context))| {
            format!(
                "{start}.{:03}Z,EXH\\{connector} EXH,{id},{i},{local},{remote},{event},{data},{context}\r\n",
                i * 100
            )
        })
        .collect()
}

/// A session on port 25 of `Default Frontend` from `ip`, after its EHLO.
fn port25(start: &str, id: &str, ip: &str, ehlo: &str, rows: &[(&str, &str, &str)]) -> String {
    let mut all = vec![("<", format!("EHLO {ehlo}"), String::new())];
    all.extend(
        rows.iter()
            .map(|(e, d, c)| (*e, d.to_string(), c.to_string())),
    );
    let all: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|(e, d, c)| (*e, d.as_str(), c.as_str()))
        .collect();
    session(
        start,
        "Default Frontend",
        id,
        "10.0.0.9:25",
        &format!("{ip}:40000"),
        &all,
    )
}

/// An anonymous port-25 session with STARTTLS that negotiated `tls`.
fn starttls(start: &str, id: &str, ip: &str, ehlo: &str, tls: &str, sender: &str) -> String {
    let mail = format!("MAIL FROM:<{sender}>");
    port25(
        start,
        id,
        ip,
        ehlo,
        &[("<", "STARTTLS", ""), ("*", "", tls), ("<", &mail, "")],
    )
}

/// A port-25 session whose negotiation failed with `error`.
fn failed(start: &str, id: &str, ip: &str, ehlo: &str, error: &str) -> String {
    let context = format!("TLS negotiation failed with error {error}");
    port25(
        start,
        id,
        ip,
        ehlo,
        &[("<", "STARTTLS", ""), ("*", "", &context)],
    )
}

/// A port-25 session that sent mail without trying TLS.
fn plaintext(start: &str, id: &str, ip: &str, ehlo: &str) -> String {
    port25(
        start,
        id,
        ip,
        ehlo,
        &[("<", "MAIL FROM:<x@ext.example>", ""), ("<", "DATA", "")],
    )
}

fn header(date: &str) -> String {
    format!(
        "\u{feff}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n\
         #Log-type: SMTP Receive Protocol Log\r\n#Date: {date}T00:00:00.000Z\r\n\
         #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,\
         remote-endpoint,event,data,context\r\n"
    )
}

/// Day 1 (2024-03-10): a remote for each impact rule. Day 2: the switch.
fn write_logs(dir: &Path) {
    let folder = dir.join("EXH/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive");
    let d1 = "2024-03-10T";
    let mut day1 = header("2024-03-10");
    // internal: X-ANONYMOUSTLS on 2525 from another Exchange server.
    day1 += &session(
        &format!("{d1}10:00:00"),
        "Default",
        "A",
        "10.0.0.9:2525",
        "10.0.0.8:40001",
        &[
            ("<", "EHLO ex2010.contoso.com", ""),
            ("<", "X-ANONYMOUSTLS", ""),
            ("*", "", TLS10),
        ],
    );
    // client_submission by port 587 (and it authenticated).
    day1 += &session(
        &format!("{d1}10:10:00"),
        "Client Frontend",
        "B",
        "10.0.0.9:587",
        "10.20.0.15:40002",
        &[
            ("<", "EHLO SCAN-3", ""),
            ("<", "STARTTLS", ""),
            ("*", "", TLS10),
            ("*", "CONTOSO\\scan3", "authenticated"),
            ("<", "MAIL FROM:<scan3@contoso.com>", ""),
        ],
    );
    // client_submission by AUTH alone, on port 25, with six senders.
    let mut rows: Vec<(&str, &str, &str)> = vec![
        ("<", "EHLO APP-1", ""),
        ("<", "STARTTLS", ""),
        ("*", "", TLS11),
        ("*", "CONTOSO\\app1", "authenticated"),
    ];
    let senders: Vec<String> = (1..=6)
        .map(|i| format!("MAIL FROM:<a{i}@contoso.com> SIZE=100"))
        .collect();
    rows.extend(senders.iter().map(|m| ("<", m.as_str(), "")));
    day1 += &session(
        &format!("{d1}10:20:00"),
        "Default Frontend",
        "C",
        "10.0.0.9:25",
        "10.20.0.16:40003",
        &rows,
    );
    // tls_required: the relay refused a client that skipped STARTTLS…
    day1 += &session(
        &format!("{d1}10:30:00"),
        "Secure Relay",
        "D1",
        "10.0.0.9:25",
        "192.0.2.50:40004",
        &[
            ("<", "EHLO relay2.partner.example", ""),
            ("<", "MAIL FROM:<x@partner.example>", ""),
            (">", "530 5.7.0 Must issue a STARTTLS command first", ""),
        ],
    );
    // …so another remote's TLS 1.0 there is tls_required.
    day1 += &session(
        &format!("{d1}10:40:00"),
        "Secure Relay",
        "D2",
        "10.0.0.9:25",
        "192.0.2.51:40005",
        &[
            ("<", "EHLO relay.partner.example", ""),
            ("<", "STARTTLS", ""),
            ("*", "", TLS10),
        ],
    );
    // opportunistic: four anonymous senders at TLS 1.0.
    for i in 1..=4 {
        let start = format!("{d1}11:0{i}:00");
        let ip = format!("198.51.100.{i}");
        day1 += &starttls(
            &start,
            &format!("R{i}"),
            &ip,
            &format!("mx{i}.ext.example"),
            TLS10,
            &format!("n{i}@ext.example"),
        );
    }
    write(&folder.join("RECV2024031010-1.LOG"), day1.as_bytes());
    // Day 2: nothing below TLS 1.2 succeeds; the first failure (R1 at
    // 09:00) is the switch.
    let d2 = "2024-03-11T";
    let mut day2 = header("2024-03-11");
    let ip = |i: u8| format!("198.51.100.{i}");
    let ehlo = |i: u8| format!("mx{i}.ext.example");
    day2 += &failed(
        &format!("{d2}09:00:00"),
        "F1",
        &ip(1),
        &ehlo(1),
        "AlgorithmMismatch",
    );
    day2 += &failed(
        &format!("{d2}09:01:00"),
        "F2",
        &ip(2),
        &ehlo(2),
        "AlgorithmMismatch",
    );
    day2 += &failed(
        &format!("{d2}09:02:00"),
        "F3",
        &ip(3),
        &ehlo(3),
        "AlgorithmMismatch",
    );
    day2 += &failed(
        &format!("{d2}09:03:00"),
        "F4",
        &ip(4),
        &ehlo(4),
        "AlgorithmMismatch",
    );
    day2 += &failed(
        &format!("{d2}09:04:00"),
        "F5",
        &ip(5),
        &ehlo(5),
        "SocketError",
    );
    day2 += &session(
        &format!("{d2}09:05:00"),
        "Client Frontend",
        "FB",
        "10.0.0.9:587",
        "10.20.0.15:40002",
        &[
            ("<", "EHLO SCAN-3", ""),
            ("<", "STARTTLS", ""),
            (
                "*",
                "",
                "TLS negotiation failed with error AlgorithmMismatch",
            ),
        ],
    );
    day2 += &starttls(
        &format!("{d2}09:10:00"),
        "G1",
        &ip(1),
        &ehlo(1),
        TLS12,
        "n1@ext.example",
    );
    day2 += &plaintext(&format!("{d2}09:20:00"), "P2", &ip(2), &ehlo(2));
    day2 += &failed(
        &format!("{d2}09:30:00"),
        "F3b",
        &ip(3),
        &ehlo(3),
        "AlgorithmMismatch",
    );
    day2 += &plaintext(&format!("{d2}09:40:00"), "P4", &ip(4), &ehlo(4));
    day2 += &starttls(
        &format!("{d2}10:00:00"),
        "G4",
        &ip(4),
        &ehlo(4),
        TLS12,
        "n4@ext.example",
    );
    write(&folder.join("RECV2024031109-1.LOG"), day2.as_bytes());
}

/// CSV rows of a report, cut to `columns`, each joined with `|`.
fn table(dir: &Path, args: &[&str], columns: &[&str]) -> Vec<String> {
    let run = exlog_on(dir, args);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    let rows = crate::util::csv_columns(&run.stdout, columns);
    rows.into_iter().map(|r| r.join("|")).collect()
}

#[test]
fn each_impact_rule_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    let legacy = table(
        dir.path(),
        &["--by", "legacy", "--format", "csv"],
        &[
            "connector",
            "remote_ip",
            "legacy_sessions",
            "impact",
            "auth_users",
            "senders",
        ],
    );
    // Internal first, then client submissions, TLS required, the rest;
    // within a class most sessions first (all have 1), then by key.
    assert_eq!(
        legacy,
        [
            "EXH\\Default EXH|10.0.0.8|1|internal||",
            "EXH\\Client Frontend EXH|10.20.0.15|1|client_submission|CONTOSO\\scan3|scan3@contoso.com",
            "EXH\\Default Frontend EXH|10.20.0.16|1|client_submission|CONTOSO\\app1|a1@contoso.com;a2@contoso.com;a3@contoso.com;a4@contoso.com;a5@contoso.com;+1 more",
            "EXH\\Secure Relay EXH|192.0.2.51|1|tls_required||",
            "EXH\\Default Frontend EXH|198.51.100.1|1|opportunistic||n1@ext.example",
            "EXH\\Default Frontend EXH|198.51.100.2|1|opportunistic||n2@ext.example",
            "EXH\\Default Frontend EXH|198.51.100.3|1|opportunistic||n3@ext.example",
            "EXH\\Default Frontend EXH|198.51.100.4|1|opportunistic||n4@ext.example",
        ]
    );
    // The server row: 8 remotes below TLS 1.2 in the window, by class.
    let readiness = table(
        dir.path(),
        &["--by", "readiness", "--format", "csv"],
        &[
            "scope",
            "status",
            "legacy_remotes",
            "internal_remotes",
            "client_remotes",
            "tls_required_remotes",
            "opportunistic_remotes",
            "verdict",
        ],
    );
    let server = &readiness[0];
    assert!(
        server.starts_with("server|not_ready|8|1|2|1|4|"),
        "{server}"
    );
    assert!(
        server.contains(
            "|not ready: switching TLS 1.0/1.1 off would stop 2 client devices \
             (10.20.0.15 SCAN-3, 10.20.0.16 APP-1), 1 internal server (10.0.0.8 \
             ex2010.contoso.com) and 1 host that requires TLS (192.0.2.51 \
             relay.partner.example); 4 senders (198.51.100.1 mx1.ext.example, \
             198.51.100.2 mx2.ext.example, 198.51.100.3 mx3.ext.example, …) would \
             likely fall back to plaintext; 8 remotes negotiated below TLS 1.2"
        ),
        "{server}"
    );
}

#[test]
fn each_fallout_outcome_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    let columns = exlog::report::fallout::COLUMNS;
    let rows = table(
        dir.path(),
        &["--by", "fallout", "--format", "csv"],
        &columns,
    );
    let d1 = "2024-03-10T";
    let d2 = "2024-03-11T";
    // direction|server|connector|remote_ip|ehlo|impact|last_legacy|
    // first_failure|last_failure|failures|errors|outcome|plaintext_after|
    // modern_after|last_seen; a session's time is its first row's.
    let want = [
        format!(
            "receive|EXH|EXH\\Client Frontend EXH|10.20.0.15|SCAN-3|client_submission|{d1}10:10:00.000Z|{d2}09:05:00.000Z|{d2}09:05:00.000Z|1|AlgorithmMismatch|blocked|0|0|{d2}09:05:00.000Z"
        ),
        format!(
            "receive|EXH|EXH\\Default Frontend EXH|198.51.100.1|mx1.ext.example|opportunistic|{d1}11:01:00.000Z|{d2}09:00:00.000Z|{d2}09:00:00.000Z|1|AlgorithmMismatch|recovered|0|1|{d2}09:10:00.000Z"
        ),
        format!(
            "receive|EXH|EXH\\Default Frontend EXH|198.51.100.2|mx2.ext.example|opportunistic|{d1}11:02:00.000Z|{d2}09:01:00.000Z|{d2}09:01:00.000Z|1|AlgorithmMismatch|fell_back_to_plaintext|1|0|{d2}09:20:00.000Z"
        ),
        format!(
            "receive|EXH|EXH\\Default Frontend EXH|198.51.100.3|mx3.ext.example|opportunistic|{d1}11:03:00.000Z|{d2}09:02:00.000Z|{d2}09:30:00.000Z|2|AlgorithmMismatch|blocked|0|0|{d2}09:30:00.000Z"
        ),
        format!(
            "receive|EXH|EXH\\Default Frontend EXH|198.51.100.4|mx4.ext.example|opportunistic|{d1}11:04:00.000Z|{d2}09:03:00.000Z|{d2}09:03:00.000Z|1|AlgorithmMismatch|recovered|1|1|{d2}10:00:00.000Z"
        ),
        format!(
            "receive|EXH|EXH\\Default Frontend EXH|198.51.100.5|mx5.ext.example|opportunistic||{d2}09:04:00.000Z|{d2}09:04:00.000Z|1|SocketError|new_failure|0|0|{d2}09:04:00.000Z"
        ),
    ];
    assert_eq!(rows, want);
    // The relay's refusal on day 1 came before the last legacy session:
    // no switch then, and no row for 192.0.2.50.
    let run = exlog_on(dir.path(), &["--format", "table"]);
    assert!(
        run.stdout.contains(
            "EXH: after TLS 1.0/1.1 stopped working on 2024-03-11: 2 remotes recovered, \
             1 fell back to plaintext, 2 blocked; 1 new remote failed that never used old TLS"
        ),
        "{}",
        run.stdout
    );
    // --since moves the start: from day 2 at 09:02, R1 (09:00) and R2
    // (09:01) failed before it; R3 (09:02, 09:30), R4, R5 and the scanner
    // (09:05) remain.
    let late = table(
        dir.path(),
        &[
            "--by",
            "fallout",
            "--format",
            "csv",
            "--since",
            "2024-03-11T09:02:00Z",
        ],
        &["remote_ip", "failures", "outcome"],
    );
    assert_eq!(
        late,
        [
            "10.20.0.15|1|blocked",
            "198.51.100.3|2|blocked",
            "198.51.100.4|1|recovered",
            "198.51.100.5|1|new_failure"
        ]
    );
}

#[test]
fn each_owners_match_kind_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    // Line 2 an IP, 3 a CIDR, 4 an EHLO glob, 5 a sender domain; line 6
    // matches R1–R4 too, but line 5 comes first; line 7 matches nothing.
    let owners = dir.path().join("owners.csv");
    write(
        &owners,
        b"\xef\xbb\xbfmatch,owner,contact\r\n10.0.0.8,Exchange team,ex@contoso.com\r\n\
          10.20.0.0/24,Facilities,\"fac@contoso.com, ext. 4410\"\r\n\
          *.partner.example,Partner NOC,noc@partner.example\r\n\
          @ext.example,Ext Corp,it@ext.example\r\n198.51.100.0/24,Never,never\r\n\
          192.0.2.99,Nobody,none\r\n",
    );
    let logs = dir.path().join("EXH");
    let run = crate::util::exlog([
        logs.to_str().unwrap(),
        "--by",
        "legacy",
        "--format",
        "csv",
        "--owners",
        owners.to_str().unwrap(),
    ]);
    let mut rdr = csv::Reader::from_reader(run.stdout.as_bytes());
    let got: Vec<String> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            format!("{}|{}|{}", &r[3], &r[15], &r[16])
        })
        .collect();
    assert_eq!(
        got,
        [
            "10.0.0.8|Exchange team|ex@contoso.com",
            "10.20.0.15|Facilities|fac@contoso.com, ext. 4410",
            "10.20.0.16|Facilities|fac@contoso.com, ext. 4410",
            "192.0.2.51|Partner NOC|noc@partner.example",
            "198.51.100.1|Ext Corp|it@ext.example",
            "198.51.100.2|Ext Corp|it@ext.example",
            "198.51.100.3|Ext Corp|it@ext.example",
            "198.51.100.4|Ext Corp|it@ext.example",
        ]
    );
    let owners_text = owners.display().to_string();
    for line in [6, 7] {
        let want = format!("{owners_text}:{line}:");
        assert!(
            run.stderr.contains(&want),
            "no warning for line {line}: {}",
            run.stderr
        );
    }
    // A malformed row stops the run before the scan, naming file and line.
    write(&owners, b"match,owner,contact\r\n10.0.0.0/33,Bad,bad\r\n");
    let bad = crate::util::exlog([logs.to_str().unwrap(), "--owners", owners.to_str().unwrap()]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(&format!("{owners_text}:2:")),
        "{}",
        bad.stderr
    );
}
