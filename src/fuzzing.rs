//! Entry points shared by the fuzz target (`fuzz/`) and the tests that
//! replay its corpus: the real pipeline (planning, sniffing, parallel
//! scan, stitching) on byte slices, rendered in every format.

use crate::pipeline::{Keep, Mode, Plan, scan_slices};
use crate::report::{Options, Reports, csv, json, sessions, table};
use std::path::Path;

/// Scans `files` (`(path, bytes)`) through the pipeline with `chunk`-byte
/// chunks and `threads` workers, and renders every report in every format
/// (and the statistics) into one string. Any panic on the way is a bug;
/// the string lets callers compare two ways of splitting the work. With
/// `per_server`, the counts are kept per server, each written as a partial
/// result writes it and read back, then summed (as `--format json` and
/// `exlog merge` do): the reports must not change.
pub fn reports(
    files: &[(&Path, &[u8])],
    chunk: usize,
    threads: usize,
    with_sessions: bool,
    per_server: bool,
) -> String {
    for (_, data) in files {
        let _ = crate::parse::sniff(data);
    }
    let plan = Plan {
        chunk: chunk.max(1),
        mode: if with_sessions {
            Mode::Sessions
        } else {
            Mode::Tls
        },
        keep: if with_sessions {
            Keep::Sessions
        } else {
            Keep::Nothing
        },
        by_server: per_server,
        ..Plan::sessions()
    };
    let mut scanned = scan_slices(files, &plan, threads);
    for (_, part) in &mut scanned.parts {
        let text = serde_json::to_string(&*part).expect("counts serialize");
        *part = serde_json::from_str(&text).expect("counts read back");
    }
    scanned.sum_parts();
    sessions::sort_sessions(&mut scanned.sessions, &scanned.servers);
    let options = Options::new(14, with_sessions);
    let mut reports = Reports::build(&scanned.tally, &scanned.servers, &options);
    reports
        .tables
        .push(sessions::session_list(&scanned.sessions, &scanned.servers));
    let mut out = String::new();
    for t in &reports.tables {
        out.push_str(&String::from_utf8_lossy(&csv::write(t)));
        out.push_str(&table::write(t, false));
    }
    // No time was measured here, so the JSON has no timing to differ.
    out.push_str(&String::from_utf8_lossy(&json::to_vec(&reports, &[])));
    let s = &reports.summary;
    out.push_str(&format!(
        "{} {} {} {} {} {} {:?}\n",
        s.files, s.bytes, s.lines, s.unterminated_lines, s.tls_rows, s.malformed_rows, s.sessions
    ));
    let mut ids: Vec<_> = scanned.tally.files.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let f = &scanned.tally.files[&id];
        out.push_str(&format!(
            "{id}: {:?} {:?} {:?}\n",
            f.malformed,
            f.first_bad_line(),
            f.skipped
        ));
    }
    out
}

/// Splits fuzz input into up to three files: a `\x00\x00` pair ends one
/// file, the first files share a folder and the last has one of its own,
/// so stitching within and across folders is exercised.
pub fn files(data: &[u8]) -> Vec<(&'static Path, &[u8])> {
    const PATHS: [&str; 3] = [
        "a/RECV2024010100-1.LOG",
        "a/RECV2024010101-1.LOG",
        "b/weird-name.log",
    ];
    let mut out = Vec::new();
    let mut rest = data;
    for (i, path) in PATHS.iter().enumerate() {
        let cut = if i + 1 < PATHS.len() {
            memchr::memmem::find(rest, b"\x00\x00")
        } else {
            None
        };
        match cut {
            Some(at) => {
                out.push((Path::new(path), &rest[..at]));
                rest = &rest[at + 2..];
            }
            None => {
                out.push((Path::new(path), rest));
                break;
            }
        }
    }
    out
}
