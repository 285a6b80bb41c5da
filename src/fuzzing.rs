//! Entry points shared by the fuzz target (`fuzz/`) and the tests that
//! replay its corpus: the real pipeline (planning, sniffing, parallel
//! scan, stitching) on byte slices, rendered in every format (CSV, table,
//! JSON, HTML, xlsx), and written as a partial result that merge reads
//! back.

use crate::partial::{self, FileEntry, ScanFlags};
use crate::pipeline::{Keep, Mode, Plan, Scanned, scan_slices};
use crate::report::{Options, Reports, csv, html, json, sessions, table, xlsx};
use std::io::Read;
use std::path::Path;

/// Scans `files` (`(path, bytes)`) through the pipeline with `chunk`-byte
/// chunks and `threads` workers, and renders every report in every format
/// (and the statistics) into one string. Any panic on the way is a bug;
/// the string lets callers compare two ways of splitting the work. With
/// `per_server`, the counts are kept per server and also written as a
/// partial result and merged back (as `--partial` and `exlog merge` do):
/// the merged reports must equal the scan's, or this panics.
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
    let options = Options::new(crate::report::DEFAULT_WINDOW_DAYS, with_sessions);
    let merged = per_server.then(|| merged_reports(files, &scanned, &options));
    scanned.sum_parts();
    sessions::sort_sessions(&mut scanned.sessions, &scanned.servers);
    let mut reports = Reports::build(&scanned.tally, &scanned.servers, &options);
    if let Some(merged) = merged {
        assert_eq!(
            String::from_utf8_lossy(&json::to_vec(&merged, &[])),
            String::from_utf8_lossy(&json::to_vec(&reports, &[])),
            "a partial result written and merged gives other reports"
        );
    }
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
    out.push_str(&html::page(&reports, &[]));
    out.push_str(&workbook_text(&reports));
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

/// The reports of `scanned` (kept per server, not yet summed) written as
/// a partial result to a temporary file and merged back, as `--partial`
/// and `exlog merge` do.
fn merged_reports(files: &[(&Path, &[u8])], scanned: &Scanned, options: &Options) -> Reports {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let one = rayon::ThreadPoolBuilder::new().num_threads(1);
        one.build().expect("a thread pool")
    });
    let entries: Vec<FileEntry> = files
        .iter()
        .enumerate()
        .map(|(id, (path, data))| FileEntry {
            id,
            path: path.display().to_string(),
            size: data.len() as u64,
            fingerprint: format!("{}:{:08x}", data.len(), crc32fast::hash(data)),
        })
        .collect();
    let mut part = tempfile::NamedTempFile::new().expect("a temporary file");
    let flags = ScanFlags::default();
    let rpt = crate::tlsrpt::Read::default();
    partial::write(
        part.as_file_mut(),
        &flags,
        scanned,
        &entries,
        &rpt,
        None,
        pool,
    )
    .expect("the partial result is written");
    let mut merged = partial::merge(&[part.path().to_path_buf()]).expect("the partial merges");
    assert!(merged.errors.is_empty(), "{:?}", merged.errors);
    merged.scanned.sum_parts();
    Reports::build(&merged.scanned.tally, &merged.scanned.servers, options)
}

/// The xlsx workbook's parts as text, but its creation time: the cell
/// values and their layout, compared like the other formats.
fn workbook_text(reports: &Reports) -> String {
    let (bytes, _) = xlsx::write(reports, &[]).expect("the workbook is written");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the workbook is a zip");
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("a part of the workbook");
        let name = entry.name().expect("a part's name").into_owned();
        if name == "docProps/core.xml" {
            continue;
        }
        out.push_str(&name);
        entry.read_to_string(&mut out).expect("a part in UTF-8");
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
