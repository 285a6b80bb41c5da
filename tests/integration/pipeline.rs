//! The parallel pipeline, through the library (`pipeline::scan_slices`):
//! counts of small logs worked out by hand, whatever the chunk size and
//! the thread count, sessions joined within a folder and not across, the
//! TLS-rows-only mode, and counts kept per server.

use exlog::pipeline::{Mode, Plan, Scanned, scan_slices};
use exlog::report::{Options, Reports, Summary};
use std::path::Path;

/// Rows of session `id` (one hex digit) on `server`'s Default Frontend,
/// from second `from` on: `rows` are `(event, data, context)`.
pub fn session(server: &str, id: char, from: u32, rows: &[(&str, &str, &str)]) -> String {
    rows.iter()
        .enumerate()
        .map(|(n, (event, data, context))| {
            format!(
                "2024-03-08T10:00:{:02}.000Z,{server}\\Default Frontend {server},08DC00000000000{id},{n},\
                 10.0.0.1:25,192.0.2.{id}:5000,{event},{data},{context}\r\n",
                from + n as u32
            )
        })
        .collect()
}

pub fn tls(version: &str) -> String {
    format!(
        "\"TLS protocol SP_PROT_{version}_SERVER negotiation succeeded using bulk encryption \
         algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with \
         strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\""
    )
}

/// Four sessions, 15 rows: TLS 1.0 (4 rows), TLS 1.2 (4), a failed
/// negotiation (4) and an idle one (3: connect, EHLO, reset).
pub fn four_sessions() -> String {
    let (t10, t12) = (tls("TLS1_0"), tls("TLS1_2"));
    let failed = "TLS negotiation failed with error SocketError";
    [
        session(
            "EX01",
            '1',
            0,
            &[
                ("+", "", ""),
                ("<", "STARTTLS", ""),
                ("*", "", &t10),
                ("-", "", "Local"),
            ],
        ),
        session(
            "EX01",
            '2',
            10,
            &[
                ("+", "", ""),
                ("<", "STARTTLS", ""),
                ("*", "", &t12),
                ("-", "", "Local"),
            ],
        ),
        session(
            "EX01",
            '3',
            20,
            &[
                ("+", "", ""),
                ("<", "STARTTLS", ""),
                ("*", "", failed),
                ("-", "", "Local"),
            ],
        ),
        session(
            "EX01",
            '4',
            30,
            &[
                ("+", "", ""),
                ("<", "EHLO scanner", ""),
                ("-", "", "Remote(ConnectionReset)"),
            ],
        ),
    ]
    .concat()
}

fn summary(files: &[(&Path, &[u8])], plan: &Plan, threads: usize) -> (Summary, Scanned) {
    let scanned = scan_slices(files, plan, threads);
    let options = Options::new(14, plan.mode == Mode::Sessions);
    let reports = Reports::build(&scanned.tally, &scanned.servers, &options);
    (reports.summary, scanned)
}

#[test]
fn four_sessions_counted_by_hand_for_any_chunk_and_thread_count() {
    let log = four_sessions();
    let files = [(Path::new("a/RECV2024030810-1.LOG"), log.as_bytes())];
    for chunk in [1, 7, 64, 1000, usize::MAX] {
        for threads in [1, 2, 3] {
            let plan = Plan {
                chunk,
                ..Plan::sessions()
            };
            let (s, _) = summary(&files, &plan, threads);
            let at = format!("chunk {chunk}, threads {threads}");
            assert_eq!(
                (s.files, s.lines, s.bytes),
                (1, 15, log.len() as u64),
                "{at}"
            );
            // Three TLS rows: two negotiations (1.0 and 1.2), one failure.
            assert_eq!((s.tls_rows, s.negotiations, s.failures), (3, 2, 1), "{at}");
            assert_eq!(s.by_version, [0, 0, 1, 0, 1, 0, 0], "{at}");
            // tls, failed, plaintext, idle, unknown.
            assert_eq!(s.sessions, [2, 1, 0, 1, 0], "{at}");
            assert_eq!(s.malformed_rows, 0, "{at}");
        }
    }
}

#[test]
fn tls_mode_counts_the_tls_rows_and_no_sessions() {
    let log = four_sessions();
    let files = [(Path::new("a/RECV2024030810-1.LOG"), log.as_bytes())];
    let plan = Plan {
        mode: Mode::Tls,
        chunk: 16,
        ..Plan::sessions()
    };
    let (s, _) = summary(&files, &plan, 2);
    assert_eq!((s.tls_rows, s.negotiations, s.failures), (3, 2, 1));
    assert_eq!(s.by_version, [0, 0, 1, 0, 1, 0, 0]);
    assert_eq!(s.sessions, [0; 5]);
}

#[test]
fn a_session_goes_on_in_the_next_file_of_its_folder_only() {
    // Session 1 cut in two after its STARTTLS: the rest, the TLS 1.0 line
    // and the disconnect, in the next hour's file.
    let t10 = tls("TLS1_0");
    let head = session("EX01", '1', 0, &[("+", "", ""), ("<", "STARTTLS", "")]);
    let tail: String = session(
        "EX01",
        '1',
        0,
        &[
            ("+", "", ""),
            ("<", "STARTTLS", ""),
            ("*", "", &t10),
            ("-", "", "Local"),
        ],
    )
    .lines()
    .skip(2)
    .map(|l| format!("{l}\n"))
    .collect();
    let same = [
        (Path::new("a/RECV2024030810-1.LOG"), head.as_bytes()),
        (Path::new("a/RECV2024030811-1.LOG"), tail.as_bytes()),
    ];
    let (s, _) = summary(&same, &Plan::sessions(), 2);
    // One session, negotiated.
    assert_eq!(s.sessions.iter().sum::<u64>(), 1, "{:?}", s.sessions);
    assert_eq!(s.sessions[0], 1);
    // In two folders (two servers' logs), the halves are two sessions;
    // the negotiation is counted once all the same.
    let apart = [
        (Path::new("a/RECV2024030810-1.LOG"), head.as_bytes()),
        (Path::new("b/RECV2024030811-1.LOG"), tail.as_bytes()),
    ];
    let (s, _) = summary(&apart, &Plan::sessions(), 2);
    assert_eq!(s.sessions.iter().sum::<u64>(), 2, "{:?}", s.sessions);
    assert_eq!(s.by_version[2], 1);
}

#[test]
fn counts_kept_per_server_add_up_to_the_whole() {
    // EX01's four sessions in one folder, EX02's one TLS 1.2 session in another.
    let ex01 = four_sessions();
    let ex02 = session(
        "EX02",
        '5',
        0,
        &[
            ("+", "", ""),
            ("<", "STARTTLS", ""),
            ("*", "", &tls("TLS1_2")),
            ("-", "", "Local"),
        ],
    );
    let files = [
        (Path::new("EX01/RECV2024030810-1.LOG"), ex01.as_bytes()),
        (Path::new("EX02/RECV2024030810-1.LOG"), ex02.as_bytes()),
    ];
    let plan = Plan {
        by_server: true,
        chunk: 32,
        ..Plan::sessions()
    };
    let mut scanned = scan_slices(&files, &plan, 2);
    assert_eq!(scanned.parts.len(), 2);
    assert_eq!(scanned.servers.names, ["EX01", "EX02"]);
    scanned.sum_parts();
    let reports = Reports::build(&scanned.tally, &scanned.servers, &Options::new(14, true));
    let s = reports.summary;
    // EX01: 1.0, 1.2, a failure, an idle session; EX02: one more 1.2.
    assert_eq!(s.by_version, [0, 0, 1, 0, 2, 0, 0]);
    assert_eq!(s.sessions, [3, 1, 0, 1, 0]);
    assert_eq!(s.lines, 15 + 4);
}
