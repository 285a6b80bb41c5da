//! Options, exit codes and messages.

use crate::util::{exlog, exlog_on, root, write};

#[test]
fn default_format_off_a_terminal_is_csv() {
    let run = exlog(["sample-logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(
        "direction,connector,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total,plaintext\n"
    ));
    // No progress bar in a pipe; the samples' warnings (an Explorer copy,
    // a skewed clock) are all that is on stderr.
    assert!(
        run.stderr
            .lines()
            .all(|l| l.starts_with("exlog: warning: ")),
        "{}",
        run.stderr
    );
}

#[test]
fn no_logs_found_exits_1_and_says_where_and_what() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("notes.txt"), b"x");
    let run = exlog([dir.path()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("no Exchange SMTP protocol logs found in")
    );
    assert!(run.stderr.contains(&dir.path().display().to_string()));
    assert!(run.stderr.contains("RECV*.LOG or SEND*.LOG"));
    assert_eq!(run.stdout, "");
}

#[test]
fn missing_path_is_named_and_exit_is_2_when_others_were_read() {
    let run = exlog(["sample-logs", "no/such/folder"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/folder: cannot read this path"));
    let run = exlog(["no/such/folder"]);
    assert_eq!(run.code, 1);
}

#[test]
fn bad_option_exits_1() {
    let run = exlog(["sample-logs", "--by", "nonsense"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nonsense"));
    assert_eq!(exlog(["--help"]).code, 0);
}

#[test]
fn explicit_file_is_read_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("tests/data/real/FrontEnd/SmtpReceive/RECV2023011116-1.LOG");
    let dst = dir.path().join("copy.txt");
    std::fs::copy(src, &dst).unwrap();
    let run = exlog_on(&dst, &["--by", "remote"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("receive,95.10.20.33,0,0,0,0,1,0,0,0,1,")
    );
    // Inside a folder the same file is not taken: wrong name.
    let run = exlog([dir.path()]);
    assert_eq!(run.code, 1);
}

#[test]
fn stats_and_quiet() {
    let run = exlog(["tests/data/ugly", "--stats", "--quiet"]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let stats = run.stderr.lines().last().unwrap();
    // 4 SMTP logs and an IIS log without crypt-* fields; the binary one
    // is skipped.
    assert!(stats.starts_with("exlog: 5 files (1 skipped), "), "{stats}");
    // The SEND file's last TLS line has no line ending: counted as a line,
    // never read (a log still being written).
    assert!(stats.contains("8 TLS rows (6 negotiated, 2 failed), 1 malformed row, 9 sessions"));
    assert!(stats.contains("GB/s"));
}

#[test]
fn closed_pipe_exits_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_exlog"))
        .args(["sample-logs", "--format", "json"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn one_file_is_read_once_even_if_named_twice() {
    let f = "tests/data/real/FrontEnd/SmtpReceive/RECV2023011116-1.LOG";
    let once = exlog([f]);
    let twice = exlog([f, f, &format!("./{f}")]);
    assert_eq!(once.stdout, twice.stdout);
}

#[test]
fn tls_only_keeps_the_issue_4_columns_and_refuses_session_reports() {
    let run = exlog(["sample-logs", "--tls-only"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(
        "direction,connector,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total\n"
    ));
    for by in ["session", "day", "readiness"] {
        let run = exlog(["sample-logs", "--tls-only", "--by", by]);
        assert_eq!(run.code, 1, "{by}");
        assert!(run.stderr.contains("--tls-only"));
    }
    assert_eq!(
        exlog(["sample-logs", "--tls-only", "--exclude-internal"]).code,
        1
    );
}

#[test]
fn concatenated_logs_with_a_bom_mid_file_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for f in [
        "RECV2024030810-1.LOG",
        "RECV2024030811-1.LOG",
        "RECV2024030910-1.LOG",
        "RECV2024030911-1.LOG",
    ] {
        all.extend(
            std::fs::read(
                root()
                    .join("sample-logs/EX01/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive")
                    .join(f),
            )
            .unwrap(),
        );
    }
    write(&dir.path().join("RECV-all.LOG"), &all);
    let joined = exlog_on(dir.path(), &["--by", "session"]);
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    let split = exlog([
        "sample-logs/EX01/TransportRoles/Logs/FrontEnd",
        "--by",
        "session",
    ]);
    assert_eq!(joined.stdout, split.stdout);
}

#[test]
fn a_zero_day_window_is_refused() {
    // With no days in the window nothing old is "in the window": every
    // connector would look ready.
    let run = exlog(["sample-logs", "--by", "readiness", "--window-days", "0"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--window-days"), "{}", run.stderr);
    assert!(run.stderr.contains("must be at least 1"), "{}", run.stderr);
}

#[test]
fn idle_session_counts_in_sessions_not_in_plaintext() {
    // Connect, EHLO, reset: no TLS, but nothing went in clear either.
    let dir = tempfile::tempdir().unwrap();
    let row = |seq: u32, event: &str, data: &str, context: &str| {
        format!(
            "2024-03-08T10:00:0{seq}.000Z,EX01\\Default Frontend EX01,08DC000000000009,{seq},10.0.0.1:25,192.0.2.9:5000,{event},{data},{context}\r\n"
        )
    };
    let log = format!(
        "#Log-type: SMTP Receive Protocol Log\r\n{}{}{}",
        row(0, "+", "", ""),
        row(1, "<", "EHLO scanner", ""),
        row(2, "-", "", "Remote(ConnectionReset)")
    );
    crate::util::write(&dir.path().join("RECV2024030810-1.LOG"), log.as_bytes());
    let run = crate::util::exlog_on(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["stats"]["sessions"], 1);
    assert_eq!(v["stats"]["sessions_idle"], 1);
    assert_eq!(v["stats"]["sessions_plaintext"], 0);
    assert_eq!(v["connector"][0]["plaintext"], 0);
    assert_eq!(v["remote"][0]["sessions"], 1);
    assert_eq!(v["remote"][0]["plaintext"], 0);
}

#[test]
fn an_explorer_copy_is_read_once_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("sample-logs/EX01/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive");
    let dst = dir.path().join("SmtpReceive");
    std::fs::create_dir_all(&dst).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dst.join(path.file_name().unwrap())).unwrap();
    }
    let once = crate::util::exlog_on(&dst, &["--format", "csv", "--by", "connector"]);
    // What Explorer makes of a copy in the same folder.
    let first = std::fs::read_dir(&dst)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let copy = dst.join(format!(
        "{} - Copy.LOG",
        first.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::copy(&first, &copy).unwrap();
    let twice = crate::util::exlog_on(&dst, &["--format", "csv", "--by", "connector"]);
    assert_eq!(twice.code, 0, "{}", twice.stderr);
    assert_eq!(twice.stdout, once.stdout, "the copy was counted");
    assert!(
        twice.stderr.contains("- Copy.LOG: same content as") && twice.stderr.contains("read once"),
        "{}",
        twice.stderr
    );
    // A file of the same size but other content is read.
    let mut other = std::fs::read(&first).unwrap();
    let last = other.len() - 3;
    other[last] ^= 1;
    std::fs::write(&copy, other).unwrap();
    let both = crate::util::exlog_on(&dst, &["--format", "json"]);
    assert!(!both.stderr.contains("same content"), "{}", both.stderr);
}

#[test]
fn filter_lists_exclusions_and_ehlo() {
    let csv = |args: &[&str]| {
        let mut all = vec!["sample-logs", "--format", "csv"];
        all.extend_from_slice(args);
        let run = exlog(all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    // scripts/make_sample_logs.py: the scanner on EX01 says EHLO
    // SCAN-3RDFLOOR four times: twice TLS 1.0, then after the switch one
    // failure and one plaintext session; SCAN-2NDFLOOR once, a failure
    // (first and last seen at 11:02:00.972, its failure); the printer on EX02 says
    // OLD-MFP-2008 once, SSL 3; the one on EX03 says OLD-SCANNER once,
    // TLS 1.0. Nothing else is a device.
    let scan = csv(&["--by", "remote", "--ehlo", "(?i)scan|mfp|printer"]);
    let rows: Vec<String> = scan
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [&f[..11], &f[13..]].concat().join(",")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "receive,10.20.0.15,0,0,2,0,0,0,0,1,3,1,4,SCAN-3RDFLOOR",
            "receive,10.20.0.16,0,0,0,0,0,0,0,1,1,0,1,SCAN-2NDFLOOR",
            "receive,10.20.0.90,0,1,0,0,0,0,0,0,1,0,1,OLD-MFP-2008",
            "receive,10.30.0.5,0,0,1,0,0,0,0,0,1,0,1,OLD-SCANNER"
        ],
        "{scan}"
    );
    // Two networks by comma equal the same two by repeating the flag.
    let a = csv(&["--by", "remote", "--remote", "10.0.0.0/8,203.0.113.0/24"]);
    let b = csv(&[
        "--by",
        "remote",
        "--remote",
        "10.0.0.0/8",
        "--remote",
        "203.0.113.0/24",
    ]);
    assert_eq!(a, b);
    assert!(
        a.contains("203.0.113.77") && a.contains("10.20.0.15") && !a.contains("40.92.10.21"),
        "{a}"
    );
    // Excluding the internal network leaves the rest.
    let ext = csv(&["--by", "remote", "--exclude-remote", "10.0.0.0/8"]);
    assert!(
        !ext.contains(",10.20.") && ext.contains("40.92.10.21"),
        "{ext}"
    );
    // Connectors: any of the globs.
    // EX01's 4 receive connectors and Internet Send Connector, a header.
    let two = csv(&["--by", "connector", "--connector", "*EX01*,Internet Send*"]);
    assert_eq!(two.lines().count(), 6, "{two}");
    let bad = exlog(["sample-logs", "--ehlo", "(unclosed"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("--ehlo"), "{}", bad.stderr);
    let tls_only = exlog(["sample-logs", "--tls-only", "--ehlo", "x"]);
    assert_eq!(tls_only.code, 1);
    assert!(
        tls_only
            .stderr
            .contains("--tls-only reads no sessions, so it cannot give --ehlo")
    );
}

/// Hand-made readiness cases, each verdict worked out by hand.
#[test]
fn readiness_is_never_ready_without_evidence() {
    let tls = |v: &str| {
        format!(
            "\"TLS protocol SP_PROT_{v}_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits\""
        )
    };
    // One session of connector `conn` at `time` whose TLS line is `line`.
    let session = |conn: &str, sid: u32, time: &str, line: &str| {
        let row = |seq: u32, event: &str, ctx: &str| {
            format!(
                "{time},EX01\\{conn},08DC0000{sid:08X},{seq},10.0.0.1:25,192.0.2.{sid}:5000,{event},,{ctx}\r\n"
            )
        };
        format!(
            "{}{}{}",
            row(0, "+", ""),
            row(1, "*", line),
            row(2, "-", "Local")
        )
    };
    // Each session in its own daily file, as Exchange would roll them,
    // and a heartbeat (an idle session of EX01\Heartbeat at 09:00) on
    // every day from the first file's to the last's: the logs have
    // records on each of those days (all in March 2024).
    let readiness = |sessions: &[(&str, String)], extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        for (day, text) in sessions {
            let log = format!("#Log-type: SMTP Receive Protocol Log\r\n{text}");
            write(&dir.path().join(format!("RECV{day}-1.LOG")), log.as_bytes());
        }
        let days: Vec<u32> = sessions.iter().map(|(d, _)| d.parse().unwrap()).collect();
        for day in *days.iter().min().unwrap()..=*days.iter().max().unwrap() {
            let d = day % 100;
            let time = format!("2024-03-{d:02}T09:00:00.000Z");
            let log = format!(
                "#Log-type: SMTP Receive Protocol Log\r\n{}",
                session("Heartbeat", 100 + d, &time, "")
            );
            write(&dir.path().join(format!("RECV{day}-2.LOG")), log.as_bytes());
        }
        let mut args = vec!["--by", "readiness", "--format", "csv"];
        args.extend(extra);
        let run = exlog_on(dir.path(), &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut rdr = csv::Reader::from_reader(run.stdout.as_bytes());
        let head = rdr.headers().unwrap().clone();
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                head.iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>()
            })
            .collect::<Vec<_>>()
    };
    // The columns that carry the decision, as one line per row.
    let brief = |rows: &[std::collections::BTreeMap<String, String>]| {
        rows.iter()
            .map(|r| {
                [
                    "scope",
                    "connector",
                    "status",
                    "sessions",
                    "negotiations",
                    "legacy_sessions",
                    "legacy_remotes",
                    "last_legacy",
                    "window_from",
                    "window_to",
                ]
                .iter()
                .map(|c| r[*c].as_str())
                .collect::<Vec<_>>()
                .join(" ")
            })
            .collect::<Vec<_>>()
    };
    // Logs from 2024-03-01 to 2024-03-20, 19.00 days, a record every day.
    // Each server's window ends at its latest record (E, 03-20 10:00) and
    // holds the 14 calendar days to it (from 03-07 00:00). A: TLS 1.2 on
    // 03-10: ready. B: TLS 1.0 on 03-15: not ready. C: only a failure on
    // 03-12: no evidence. D: TLS 1.2, but only before the window (03-01):
    // no negotiation in it. E: TLS 1.3: ready. The heartbeat never
    // negotiates. The server: A, B, C, E and 14 heartbeats (03-07 to 03-20)
    // are in the window (18 sessions, 4 negotiations), B's TLS 1.0 makes it
    // not ready.
    let all = [
        (
            "20240310",
            session("A", 1, "2024-03-10T10:00:00.000Z", &tls("TLS1_2")),
        ),
        (
            "20240315",
            session("B", 2, "2024-03-15T10:00:00.000Z", &tls("TLS1_0")),
        ),
        (
            "20240312",
            session(
                "C",
                3,
                "2024-03-12T10:00:00.000Z",
                "TLS negotiation failed with error UnknownCredentials",
            ),
        ),
        (
            "20240301",
            session("D", 4, "2024-03-01T10:00:00.000Z", &tls("TLS1_2")),
        ),
        (
            "20240320",
            session("E", 5, "2024-03-20T10:00:00.000Z", &tls("TLS1_3")),
        ),
    ];
    let w = "2024-03-07T00:00:00.000Z 2024-03-20T10:00:00.000Z";
    let rows = readiness(&all, &[]);
    assert_eq!(
        brief(&rows),
        [
            format!("server  not_ready 18 4 1 1 2024-03-15T10:00:00.000Z {w}"),
            format!("connector EX01\\A ready 1 1 0 0  {w}"),
            format!("connector EX01\\B not_ready 1 1 1 1 2024-03-15T10:00:00.000Z {w}"),
            format!("connector EX01\\C insufficient_data 1 1 0 0  {w}"),
            format!("connector EX01\\D insufficient_data 0 0 0 0  {w}"),
            format!("connector EX01\\E ready 1 1 0 0  {w}"),
            format!("connector EX01\\Heartbeat insufficient_data 14 0 0 0  {w}"),
        ]
    );
    assert!(rows.iter().all(|r| r["server"] == "EX01"));
    // From the heartbeat of 03-01 09:00 to E at 03-20 10:00: 19 days and
    // an hour.
    assert_eq!(rows[0]["coverage_from"], "2024-03-01T09:00:00.000Z");
    assert_eq!(rows[0]["coverage_to"], "2024-03-20T10:00:00.000Z");
    assert_eq!(rows[0]["coverage_days"], "19.04");
    assert!(rows[1]["verdict"].starts_with("ready: 1 negotiation at TLS 1.2 or later"));
    // One anonymous remote on port 25: opportunistic, so the verdict
    // leads with the plaintext fallback, then what the window holds.
    assert!(
        rows[2]["verdict"].starts_with("not ready: 1 sender ("),
        "{}",
        rows[2]["verdict"]
    );
    assert!(rows[2]["verdict"].contains(
        "would likely fall back to plaintext; 1 remote negotiated below TLS 1.2 (TLS1.0)"
    ));
    assert!(
        rows[3]["verdict"].starts_with(
            "insufficient data: no negotiation at TLS 1.2 or later in the window, only 1"
        ),
        "{}",
        rows[3]["verdict"]
    );
    assert_eq!(
        rows[4]["verdict"],
        "insufficient data: no TLS negotiation in the window"
    );
    // Without D, the logs (03-10 to 03-20) miss 03-07 to 03-09 of the
    // window: A and E lack evidence too; B is still not ready.
    let rows = readiness(&[all[0].clone(), all[1].clone(), all[4].clone()], &[]);
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(
        status,
        [
            "not_ready",
            "insufficient_data",
            "not_ready",
            "insufficient_data",
            "insufficient_data"
        ]
    );
    assert_eq!(
        rows[1]["verdict"],
        "insufficient data: logs missing for 3 of 14 days (2024-03-07 to 2024-03-09)"
    );
    assert_eq!(
        (
            rows[1]["days_with_logs"].as_str(),
            rows[1]["missing_days"].as_str()
        ),
        ("11", "3")
    );
    // --as-of moves the window for every server: 03-02 00:00 to 03-15
    // 12:00 holds A, B (10:00 on 03-15), C and 14 heartbeats; not D (10:00
    // on 03-01) nor E.
    let rows = readiness(&all, &["--as-of", "2024-03-15T12:00:00Z"]);
    let w = "2024-03-02T00:00:00.000Z 2024-03-15T12:00:00.000Z";
    assert_eq!(
        brief(&rows),
        [
            format!("server  not_ready 17 3 1 1 2024-03-15T10:00:00.000Z {w}"),
            format!("connector EX01\\A ready 1 1 0 0  {w}"),
            format!("connector EX01\\B not_ready 1 1 1 1 2024-03-15T10:00:00.000Z {w}"),
            format!("connector EX01\\C insufficient_data 1 1 0 0  {w}"),
            format!("connector EX01\\D insufficient_data 0 0 0 0  {w}"),
            format!("connector EX01\\E insufficient_data 0 0 0 0  {w}"),
            format!("connector EX01\\Heartbeat insufficient_data 14 0 0 0  {w}"),
        ]
    );
    // An --as-of after the logs end: they do not cover the window's end.
    let rows = readiness(&all, &["--as-of", "2024-04-01"]);
    assert_eq!(rows[1]["window_to"], "2024-04-01T23:59:59.999Z");
    // Its window, 03-19 to 04-01, has logs on 03-19 and 03-20 only.
    assert_eq!(
        rows[1]["verdict"],
        "insufficient data: logs missing for 12 of 14 days (2024-03-21 to 2024-04-01)"
    );
}

/// A server's verdict depends on its own logs only: EX02 read alone and
/// read beside EX01 (whose records are a year later) gives the same rows.
#[test]
fn a_servers_verdict_ignores_other_servers() {
    let alone = exlog(["sample-logs/EX02", "--by", "readiness", "--format", "csv"]);
    let both = exlog(["sample-logs", "--by", "readiness", "--format", "csv"]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    let ex02 = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains(",EX02,"))
            .map(String::from)
            .collect()
    };
    assert_eq!(ex02(&alone.stdout).len(), 3, "{}", alone.stdout);
    assert_eq!(ex02(&alone.stdout), ex02(&both.stdout));
    assert!(both.stdout.contains(",EX01,"));
}

/// A filter that matches nothing says so, naming itself and values that
/// exist (sample-logs: scripts/make_sample_logs.py).
#[test]
fn filters_that_match_nothing_are_named() {
    let run = exlog([
        "sample-logs",
        "--connector",
        "*Nope*",
        "--ehlo",
        "^zzz",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "only the header");
    assert!(run.stderr.contains(
        "--connector matches no connector; connectors found include: EX01\\Client Frontend EX01, EX01\\Default EX01, EX01\\Default Frontend EX01, EX01\\Partner Inbound EX01, EX02\\Default Frontend EX02, …"
    ), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--ehlo matches no EHLO or banner name; names found include: ")
    );
    // Each filter alone matches, together nothing: said as such.
    let run = exlog([
        "sample-logs",
        "--connector",
        "Partner Relay",
        "--remote",
        "10.20.0.15",
        "--format",
        "csv",
    ]);
    assert!(
        run.stderr
            .contains("each filter matches some sessions, but none passes all of them together"),
        "{}",
        run.stderr
    );
    // A time filter outside the logs names the time they cover.
    let run = exlog([
        "sample-logs",
        "--since",
        "2030-01-01",
        "--until",
        "2030-06-01",
        "--format",
        "csv",
    ]);
    assert!(
        run.stderr.contains("--since/--until match no session; the logs cover 2022-12-28T08:05:00.000Z to 2024-03-09T11:02:00.972Z"),
        "{}",
        run.stderr
    );
    // A filter that matches is quiet.
    let run = exlog([
        "sample-logs",
        "--connector",
        "*Frontend*",
        "--format",
        "csv",
    ]);
    assert!(!run.stderr.contains("matches no"), "{}", run.stderr);
}

/// `--server` reads only the servers it names (globs, commas, any case)
/// and says which exist when it names none.
#[test]
fn server_filter_picks_servers() {
    let run = exlog([
        "sample-logs",
        "--server",
        "ex01,EX0[3]",
        "--by",
        "server",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let servers: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(servers, ["EX01", "EX03", "EX01", "EX03"]);
    let run = exlog(["sample-logs", "--server", "EX9", "--format", "csv"]);
    assert!(
        run.stderr
            .contains("--server matches no server; servers found: EX01, EX02, EX03"),
        "{}",
        run.stderr
    );
}

/// A session id that begins again while its session is open: two
/// sessions, one warning naming the folder, for any chunk size.
#[test]
fn restarted_session_ids_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let row = |seq: u32, event: &str, data: &str| {
        format!(
            "2024-03-01T10:00:0{seq}.000Z,EX01\\Default Frontend EX01,08DC000000000001,{seq},10.0.0.1:25,192.0.2.1:5000,{event},{data},\r\n"
        )
    };
    // Rows 0-2 of a session, then row 0 again (a restarted counter) and
    // the new session's end.
    let log = format!(
        "#Log-type: SMTP Receive Protocol Log\r\n{}{}{}{}{}",
        row(0, "+", ""),
        row(1, "<", "EHLO a"),
        row(2, "<", "MAIL FROM:<x@y>"),
        row(0, "+", ""),
        row(1, "-", "")
    );
    write(&dir.path().join("RECV2024030110-1.LOG"), log.as_bytes());
    for chunk in ["40", "200", "100000"] {
        let run = exlog_on(
            dir.path(),
            &["--format", "json", "--chunk-size", chunk, "-j", "2"],
        );
        let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(got["stats"]["sessions"], 2, "chunk {chunk}");
        assert!(
            run.stderr
                .contains(": 1 session id began again while a session of that id was still open"),
            "chunk {chunk}: {}",
            run.stderr
        );
    }
}

/// Records a day away from their file's hour, or in the future, are
/// counted, warned about, and do not move the coverage or the window.
#[test]
fn skewed_clocks_do_not_move_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let tls = "\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits\"";
    let session = |sid: u32, time: &str| {
        (0..3)
            .map(|seq| {
                let (event, ctx) = [("+", ""), ("*", tls), ("-", "Local")][seq as usize];
                format!("{time},EX01\\Default Frontend EX01,08DC0000{sid:08X},{seq},10.0.0.1:25,192.0.2.{sid}:5000,{event},,{ctx}\r\n")
            })
            .collect::<String>()
    };
    // The hourly file of 2024-03-01 10:00 holds a session at 10:05, one
    // written with a clock two days ahead, and one in 2099.
    let log = format!(
        "#Log-type: SMTP Receive Protocol Log\r\n{}{}{}",
        session(1, "2024-03-01T10:05:00.000Z"),
        session(2, "2024-03-03T10:06:00.000Z"),
        session(3, "2099-01-01T00:00:00.000Z")
    );
    write(&dir.path().join("RECV2024030110-1.LOG"), log.as_bytes());
    let run = exlog_on(dir.path(), &["--by", "readiness", "--format", "csv"]);
    assert!(
        run.stderr.contains(
            "RECV2024030110-1.LOG: 6 records more than a day away from the file's own time"
        ),
        "{}",
        run.stderr
    );
    let server = run.stdout.lines().nth(1).unwrap();
    // Coverage and window end at 10:05, not in 2024-03-03 or 2099; all
    // three sessions are counted (two of them after the window's end).
    assert!(
        server.starts_with("server,,EX01,,insufficient_data,2024-03-01T10:05:00.000Z,2024-03-01T10:05:00.000Z,0.00,1,13,1,1,"),
        "{server}"
    );
    let all = exlog_on(dir.path(), &["--by", "connector", "--format", "csv"]);
    assert!(
        all.stdout.contains(",0,0,0,0,3,0,0,0,3,0"),
        "{}",
        all.stdout
    );
    // Each remote keeps its negotiation, but a skewed clock's time is no
    // first or last time: 192.0.2.2 and .3 were seen only at skewed times.
    let remote = exlog_on(dir.path(), &["--by", "remote", "--format", "csv"]);
    let seen: Vec<&str> = remote.stdout.lines().skip(1).collect();
    assert_eq!(
        seen,
        [
            "receive,192.0.2.1,0,0,0,0,1,0,0,0,1,2024-03-01T10:05:00.000Z,2024-03-01T10:05:00.000Z,0,1,",
            "receive,192.0.2.2,0,0,0,0,1,0,0,0,1,,,0,1,",
            "receive,192.0.2.3,0,0,0,0,1,0,0,0,1,,,0,1,",
        ],
        "{}",
        remote.stdout
    );
    // By day: the skewed days are there, counted, and marked.
    let day = exlog_on(dir.path(), &["--by", "day", "--format", "csv"]);
    assert_eq!(
        day.stdout,
        "date,direction,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,plaintext,total,clock_skew\n\
         2024-03-01,receive,0,0,0,0,1,0,0,0,0,1,false\n\
         2024-03-03,receive,0,0,0,0,1,0,0,0,0,1,true\n\
         2099-01-01,receive,0,0,0,0,1,0,0,0,0,1,true\n"
    );
}

/// Runs `exlog` in the folder `dir`.
fn exlog_in(dir: &std::path::Path, args: &[&str]) -> crate::util::Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_exlog"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    crate::util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Files named in the current folder (`RECV….LOG`, `./SEND….LOG`) are a
/// server named after that folder (rule 4), never `.` or empty. The two
/// receive logs of tests/data/real name two different servers in their
/// connectors (EXCHANGE, SERVER-HOSTNAME), so rule 3 names none.
#[test]
fn files_named_in_the_current_folder_take_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().join("Hub7");
    let real = root().join("tests/data/real");
    for f in [
        "FrontEnd/SmtpReceive/RECV2023011116-1.LOG",
        "FrontEnd/SmtpReceive/RECV2024031309-1.LOG",
        "Hub/SmtpSend/SEND20171007-1.LOG",
    ] {
        let name = std::path::Path::new(f).file_name().unwrap();
        write(&here.join(name), &std::fs::read(real.join(f)).unwrap());
    }
    let run = exlog_in(
        &here,
        &[
            "RECV2023011116-1.LOG",
            "RECV2024031309-1.LOG",
            "./SEND20171007-1.LOG",
            "--by",
            "server",
            "--format",
            "csv",
        ],
    );
    let servers: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(servers, ["Hub7", "Hub7"], "{}{}", run.stdout, run.stderr);
    // The same from the folder given as `.`.
    let run = exlog_in(&here, &[".", "--by", "server", "--format", "csv"]);
    assert!(run.stdout.contains("\nreceive,Hub7,"), "{}", run.stdout);
}

/// Every flag has help of its own: none without, none sharing another's
/// text, and each says what its flag is about (a word only it would use).
#[test]
fn every_flags_help_is_its_own() {
    use clap::CommandFactory;
    let own = [
        ("paths", "standard input"),
        ("by", "Report"),
        ("window_days", "window"),
        ("as_of", "End the readiness window"),
        ("since", "at or after"),
        ("until", "before"),
        ("connector", "connectors"),
        ("server", "servers"),
        ("direction", "receive"),
        ("remote", "Only remote IPs"),
        ("exclude_remote", "Leave out remote IPs"),
        ("ehlo", "EHLO"),
        ("exclude_internal", "internal"),
        ("format", "format"),
        ("output", "Write"),
        ("events", "Parquet"),
        ("partial", "partial result"),
        ("bom", "BOM"),
        ("no_bom", "No BOM"),
        ("stats", "statistics"),
        ("quiet", "progress"),
        ("threads", "threads"),
        ("tls_only", "TLS rows"),
        ("no_mmap", "memory-map"),
        ("chunk_size", "chunks"),
        ("inventory", "inventory"),
        ("ignore_connector", "unused"),
        ("owners", "owns"),
        ("state", "state"),
        ("rebuild", "afresh"),
        ("state_keep_days", "detail"),
    ];
    let cmd = exlog::cli::Args::command();
    let mut seen = std::collections::BTreeMap::new();
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        let short = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let word = own
            .iter()
            .find(|(a, _)| *a == id)
            .unwrap_or_else(|| panic!("--{id}: add it to this test's list"))
            .1;
        assert!(
            short.contains(word),
            "--{id}: {short:?} should say {word:?}"
        );
        if let Some(other) = seen.insert(short.clone(), id) {
            panic!("--{id} and --{other} share their help: {short:?}");
        }
    }
    assert_eq!(seen.len(), own.len());
}

/// `-h`: one line a flag, each fitting a 100-column terminal; `--help`:
/// the detail, the report columns, exit codes and examples.
#[test]
fn short_help_is_one_line_a_flag_long_help_the_detail() {
    let short = exlog(["-h"]);
    let long = exlog(["--help"]);
    assert_eq!((short.code, long.code), (0, 0));
    for line in short.stdout.lines() {
        assert!(line.chars().count() <= 100, "too long for -h: {line:?}");
    }
    let flags = short
        .stdout
        .lines()
        .filter(|l| l.starts_with("  -") || l.starts_with("      --") || l.starts_with("  <"))
        .count();
    // Every flag once; the headings, usage and a few lines around them.
    assert_eq!(flags, 32, "{}", short.stdout);
    assert!(short.stdout.lines().count() < 54, "{}", short.stdout);
    for detail in ["SIGBUS", "Exit codes:", "Examples:", "X-ANONYMOUSTLS"] {
        assert!(!short.stdout.contains(detail), "{detail} in -h");
        assert!(long.stdout.contains(detail), "{detail} not in --help");
    }
}

/// A negative window is refused with the rule, not with clap's tip about
/// `-- -3`.
#[test]
fn a_negative_window_says_it_must_be_at_least_1() {
    let run = exlog(["sample-logs", "--window-days", "-3"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("must be at least 1"), "{}", run.stderr);
    assert!(!run.stderr.contains("-- -3"), "{}", run.stderr);
}

/// `exlog merge --help` describes its own PATH: partial results, not logs.
#[test]
fn merge_help_describes_partial_results() {
    let run = exlog(["merge", "--help"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("exlog --partial FILE"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Log files or folders"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("<PART.json>..."), "{}", run.stdout);
}

/// `exlog merge` on a CSV report: the message names the file, says what
/// merge reads and what this file is.
#[test]
fn merge_of_a_csv_file_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("connector.csv");
    write(
        &csv,
        b"direction,connector,SSL2,SSL3,TLS1.0\nreceive,EX01\\Default,0,0,1\n",
    );
    let run = crate::util::exlog(["merge".as_ref(), csv.as_os_str()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}: ", csv.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("a partial result written by `exlog --partial FILE`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("CSV"), "{}", run.stderr);
}

/// `--partial F -o F` (or any two of -o, --events, --partial and --state
/// naming one file) would keep the last file written and lose the other:
/// refused before anything is read or written.
#[test]
fn one_file_named_by_two_flags_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let logs = root().join("sample-logs");
    let file = dir.path().join("out.json");
    let same = dir.path().join(".").join("out.json");
    for (a, b) in [
        ("--partial", "-o"),
        ("--events", "--partial"),
        ("--state", "-o"),
    ] {
        let run = exlog([
            logs.as_os_str(),
            a.as_ref(),
            file.as_os_str(),
            b.as_ref(),
            same.as_os_str(),
        ]);
        assert_eq!(run.code, 1, "{a} {b}: {}", run.stderr);
        let said = run.stderr.contains("name the same file")
            && run.stderr.contains(&format!("{a} and"))
            && run.stderr.contains(&format!("and {b} name"))
            || run
                .stderr
                .contains(&format!("{b} and {a} name the same file"));
        assert!(said, "{a} {b}: {}", run.stderr);
        assert!(!file.exists(), "{a} {b}: nothing is written");
    }
}

/// A table written to a file (`-o FILE`) has no colour even when stdout is
/// a terminal: the escape codes are for the screen, and a file with them
/// reads as `←[31m` in Notepad. Run under `script`, which gives exlog a
/// pseudo-terminal; the same run to stdout is coloured, so the terminal
/// is real.
#[cfg(target_os = "linux")]
#[test]
fn a_table_written_to_a_file_has_no_colour_when_stdout_is_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("table.txt");
    let shown = dir.path().join("shown.txt");
    let quoted = |p: &std::path::Path| format!("'{}'", p.display());
    let exe = quoted(std::path::Path::new(env!("CARGO_BIN_EXE_exlog")));
    let logs = quoted(&crate::util::root().join("sample-logs"));
    let in_terminal = |command: String, log: &std::path::Path| {
        let status = std::process::Command::new("script")
            .args(["-qec", &command])
            .arg(log)
            .env_remove("NO_COLOR")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("script (util-linux) runs");
        assert!(status.success(), "{command}");
        std::fs::read_to_string(log).unwrap()
    };
    let typescript = dir.path().join("typescript");
    let to_screen = in_terminal(format!("{exe} {logs} --format table"), &shown);
    assert!(to_screen.contains("\x1b["), "{to_screen}");
    in_terminal(
        format!("{exe} {logs} --format table -o {}", quoted(&file)),
        &typescript,
    );
    let table = std::fs::read_to_string(&file).unwrap();
    assert!(table.contains("TLS1.0"), "{table}");
    assert!(!table.contains('\x1b'), "{table}");
}
