//! The session report as CSV in bounded memory: lines sorted in runs on
//! disk and merged give the bytes of one sort in memory, through the real
//! pipeline (chunks, threads, sessions stitched across files).

use exlog::pipeline::{Keep, Plan, scan_slices};
use exlog::report::sessions::csv_line;
use std::path::{Path, PathBuf};

fn logs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "LOG") {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn session_csv_spilled_to_disk_is_the_one_sorted_in_memory() {
    let dir = crate::oracle::generated_with("4MB", "5", exlog_gen::DEFAULT_CONCURRENCY);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).unwrap()).unwrap();
    let sessions: u64 = ["sessions_tls", "sessions_failed", "sessions_plaintext"]
        .iter()
        .map(|k| truth["totals"][k].as_u64().unwrap())
        .sum();
    let files = logs(dir.path());
    let slices: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    let report = |spill_at: usize, threads: usize| -> Vec<u8> {
        let plan = Plan {
            chunk: 64 << 10,
            keep: Keep::Lines(csv_line),
            spill_at,
            ..Plan::sessions()
        };
        let mut scanned = scan_slices(&slices, &plan, threads);
        scanned.lines.sort();
        assert_eq!(scanned.lines.spill_error(), None);
        let mut out = Vec::new();
        scanned.lines.write_to(&mut out).unwrap();
        out
    };
    let memory = report(usize::MAX, 1);
    // One row per session the generator wrote, in start order (a CSV
    // reader: connector names may hold commas and quotes).
    let starts: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(memory.as_slice())
        .records()
        .map(|r| r.unwrap()[4].to_owned())
        .collect();
    assert_eq!(starts.len() as u64, sessions);
    for pair in starts.windows(2) {
        assert!(pair[0] <= pair[1], "in start order: {pair:?}");
    }
    // A run per line, a few lines a run, a few hundred.
    for (spill_at, threads) in [(1, 1), (1, 2), (4096, 2), (64 << 10, 3)] {
        assert!(
            report(spill_at, threads) == memory,
            "spill at {spill_at} bytes, {threads} threads"
        );
    }
}
