//! The readiness rules (docs/guide.md, "Readiness"), through the library
//! on logs written here, each status worked out by hand from the rules.

use crate::pipeline::{four_sessions, session, tls};
use crate::util::csv_columns;
use exlog::pipeline::{Plan, scan_slices};
use exlog::report::{Options, Reports};
use std::path::Path;

const COLUMNS: [&str; 9] = [
    "scope",
    "server",
    "status",
    "days_with_logs",
    "missing_days",
    "sessions",
    "negotiations",
    "legacy_sessions",
    "legacy_remotes",
];

/// The server row of the readiness report over `files` with a window of
/// `days`, cut to [`COLUMNS`].
fn server_row(files: &[(&Path, &[u8])], days: u32) -> Vec<String> {
    let scanned = scan_slices(files, &Plan::sessions(), 2);
    let reports = Reports::build(&scanned.tally, &scanned.servers, &Options::new(days, true));
    let table = reports
        .table(exlog::report::readiness::KIND)
        .expect("the readiness report");
    let csv = String::from_utf8(exlog::report::csv::write(table)).unwrap();
    let rows = csv_columns(&csv, &COLUMNS);
    rows.into_iter()
        .find(|r| r[0] == "server")
        .expect("a server row")
}

#[test]
fn one_old_negotiation_in_the_window_is_not_ready() {
    let log = four_sessions();
    let files = [(Path::new("EX01/RECV2024030810-1.LOG"), log.as_bytes())];
    // Sessions 1 to 4; TLS 1.0 (session 1, from 192.0.2.1) and 1.2
    // negotiated, one failure: 3 negotiations as readiness counts them
    // (failures too), 1 legacy session of 1 remote; one day, no gap.
    assert_eq!(
        server_row(&files, 1),
        ["server", "EX01", "not_ready", "1", "0", "4", "3", "1", "1"]
    );
}

#[test]
fn days_without_logs_are_insufficient_data_even_at_tls_1_2() {
    let log = session(
        "EX01",
        '2',
        0,
        &[
            ("+", "", ""),
            ("<", "STARTTLS", ""),
            ("*", "", &tls("TLS1_2")),
            ("-", "", "Local"),
        ],
    );
    let files = [(Path::new("EX01/RECV2024030810-1.LOG"), log.as_bytes())];
    // A window of 3 days ending 2024-03-08: the 6th and the 7th have no
    // logs.
    assert_eq!(
        server_row(&files, 3),
        [
            "server",
            "EX01",
            "insufficient_data",
            "1",
            "2",
            "1",
            "1",
            "0",
            "0"
        ]
    );
}

#[test]
fn only_failures_are_insufficient_data() {
    let failed = "TLS negotiation failed with error SocketError";
    let log = session(
        "EX01",
        '3',
        0,
        &[
            ("+", "", ""),
            ("<", "STARTTLS", ""),
            ("*", "", failed),
            ("-", "", "Local"),
        ],
    );
    let files = [(Path::new("EX01/RECV2024030810-1.LOG"), log.as_bytes())];
    // No negotiation succeeded: nothing says what the remotes can do.
    assert_eq!(
        server_row(&files, 1),
        [
            "server",
            "EX01",
            "insufficient_data",
            "1",
            "0",
            "1",
            "1",
            "0",
            "0"
        ]
    );
}
