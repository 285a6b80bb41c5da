//! The parallel scan: files (and line-aligned chunks of big files) are
//! spread over rayon workers, each folding into its own [`Tally`]; the
//! tallies are then merged. No lock is taken per row or per file.

use crate::filter::Filters;
use crate::input::Input;
use crate::parse::{Direction, sniff};
use crate::reader::Source;
use crate::scan::{FileCtx, scan_range, scan_sessions, stitch};
use crate::tally::{Keep, Tally};
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Files larger than this are split so that one big file keeps every core
/// busy; smaller ones (Exchange rolls over at 10 MB) are one unit each.
pub const DEFAULT_CHUNK: usize = 16 << 20;

/// How much of each row is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only TLS rows, found by `memmem` (the cipher and failure reports).
    Tls,
    /// Every row, joined into sessions; `keep` says what to hold of each
    /// session for `--by session`.
    Sessions { keep: Keep },
}

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct Plan {
    pub chunk: usize,
    /// Map files (the default) or read them (`--no-mmap`).
    pub mmap: bool,
    pub mode: Mode,
    pub filters: Filters,
}

enum Unit {
    /// A file the worker opens and scans whole.
    Whole(usize),
    /// A byte range of a file the planner already opened.
    Part {
        file: usize,
        source: Arc<Source>,
        direction: Option<Direction>,
        start: usize,
        end: usize,
    },
}

/// Scans `inputs` on the current rayon pool.
pub fn scan(inputs: &[Input], plan: &Plan, progress: &ProgressBar) -> Tally {
    let chunk = plan.chunk.max(1);
    let folders = folder_ids(inputs);
    let mut planned = Tally::default();
    let mut units = Vec::new();
    for (id, input) in inputs.iter().enumerate() {
        if input.size <= chunk as u64 {
            units.push(Unit::Whole(id));
            continue;
        }
        let Some((source, direction)) = open(inputs, id, plan.mmap, &mut planned) else {
            progress.inc(input.size);
            continue;
        };
        let source = Arc::new(source);
        let mut start = 0;
        while start < source.len() {
            let end = (start + chunk).min(source.len());
            units.push(Unit::Part {
                file: id,
                source: Arc::clone(&source),
                direction,
                start,
                end,
            });
            start = end;
        }
    }
    // Big units first, so the last ones to run are small (less idle time).
    units.sort_by_key(|u| match u {
        Unit::Whole(id) => std::cmp::Reverse(inputs[*id].size),
        Unit::Part { start, end, .. } => std::cmp::Reverse((end - start) as u64),
    });
    let scanned = units
        .into_par_iter()
        // One unit per job: rayon otherwise hands each thread a run of
        // units it cannot give away, and one core idles at the end.
        .with_max_len(1)
        .fold(Tally::default, |mut tally, unit| {
            let done = run(unit, inputs, &folders, plan, &mut tally);
            progress.inc(done);
            tally
        })
        .reduce(Tally::default, Tally::merge);
    let mut tally = planned.merge(scanned);
    if let Mode::Sessions { keep } = plan.mode {
        stitch(&mut tally, &plan.filters, keep);
    }
    tally
}

/// Files of one folder share sessions; number the folders.
fn folder_ids(inputs: &[Input]) -> Vec<usize> {
    let mut ids = HashMap::new();
    inputs
        .iter()
        .map(|i| {
            let n = ids.len();
            *ids.entry(i.path.parent().map(|p| p.to_path_buf()))
                .or_insert(n)
        })
        .collect()
}

/// Runs one unit; returns the bytes it covered, for the progress bar.
fn run(unit: Unit, inputs: &[Input], folders: &[usize], plan: &Plan, tally: &mut Tally) -> u64 {
    let (file, source, direction, start, end) = match unit {
        Unit::Whole(id) => {
            let Some((source, direction)) = open(inputs, id, plan.mmap, tally) else {
                return inputs[id].size;
            };
            let len = source.len();
            (id, Arc::new(source), direction, 0, len)
        }
        Unit::Part {
            file,
            source,
            direction,
            start,
            end,
        } => (file, source, direction, start, end),
    };
    let ctx = FileCtx {
        id: file,
        folder: folders[file],
        direction,
        filters: &plan.filters,
    };
    match plan.mode {
        Mode::Tls => scan_range(&source, start, end, ctx, tally),
        Mode::Sessions { keep } => scan_sessions(&source, start, end, ctx, keep, tally),
    }
    source.release(start, end);
    (end - start) as u64
}

/// Opens and sniffs a file; records why when it cannot be scanned.
fn open(
    inputs: &[Input],
    id: usize,
    mmap: bool,
    tally: &mut Tally,
) -> Option<(Source, Option<Direction>)> {
    let input = &inputs[id];
    let source = match Source::open(&input.path, mmap) {
        Ok(s) => s,
        Err(e) => {
            tally.file(id).skipped = Some(format!("cannot read: {e}"));
            return None;
        }
    };
    let sniffed = sniff(&source);
    if let Some(why) = sniffed.not_a_log {
        tally.file(id).skipped = Some(why);
        return None;
    }
    Some((source, sniffed.direction.or(input.name_direction)))
}
