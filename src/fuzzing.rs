//! Entry points shared by the fuzz target (`fuzz/`) and the regression
//! test that replays its corpus (`tests/integration/fuzz.rs`).

use crate::report::{Reports, csv, json, sessions, table};
use crate::scan::{FileCtx, NO_FILTERS, scan_range, scan_sessions, stitch};
use crate::tally::{Keep, Tally};

/// Scans `data` as one log file in `chunk`-byte pieces and renders every
/// report in every format (and the statistics) into one string. Any panic
/// on the way is a bug; the string lets callers compare two splits.
pub fn reports(data: &[u8], chunk: usize, with_sessions: bool) -> String {
    let _ = crate::parse::sniff(data);
    let mut tally = Tally::default();
    let ctx = FileCtx::new(0, None);
    let chunk = chunk.max(1);
    let mut start: usize = 0;
    loop {
        let end = start.saturating_add(chunk).min(data.len());
        if with_sessions {
            scan_sessions(data, start, end, ctx, Keep::Sessions, &mut tally);
        } else {
            scan_range(data, start, end, ctx, &mut tally);
        }
        if end >= data.len() {
            break;
        }
        start = end;
    }
    if with_sessions {
        stitch(&mut tally, &NO_FILTERS, Keep::Sessions);
    }
    let mut kept = std::mem::take(&mut tally.sessions.rows);
    sessions::sort_sessions(&mut kept);
    let mut reports = Reports::build(&tally, 14, with_sessions);
    reports.tables.push(sessions::session_list(&kept));
    let mut out = String::new();
    for t in &reports.tables {
        out.push_str(&String::from_utf8_lossy(&csv::write(t)));
        out.push_str(&table::write(t, false));
    }
    // No time was measured here, so the JSON has no timing to differ.
    out.push_str(&String::from_utf8_lossy(&json::write(&reports, &[])));
    let s = &reports.summary;
    out.push_str(&format!(
        "{} {} {} {} {} {:?}\n",
        s.files, s.bytes, s.lines, s.tls_rows, s.malformed_rows, s.sessions
    ));
    let f = tally.files.get(&0);
    out.push_str(&format!(
        "{:?}\n",
        f.map(|f| (f.malformed, f.first_bad_line()))
    ));
    out
}
