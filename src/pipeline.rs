//! The parallel scan: files (and line-aligned chunks of big files) are
//! spread over rayon workers, each folding into its own [`Tally`]; the
//! tallies are then merged. No lock is taken per row or per file.

use crate::input::Input;
use crate::parse::{Direction, sniff};
use crate::reader::Source;
use crate::scan::{FileCtx, scan_range};
use crate::tally::Tally;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::sync::Arc;

/// Files larger than this are split so that one big file keeps every core
/// busy; smaller ones (Exchange rolls over at 10 MB) are one unit each.
pub const DEFAULT_CHUNK: usize = 16 << 20;

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

/// Scans `inputs` on the current rayon pool; `chunk` is the split size.
pub fn scan(inputs: &[Input], chunk: usize, progress: &ProgressBar) -> Tally {
    let chunk = chunk.max(1);
    let mut planned = Tally::default();
    let mut units = Vec::new();
    for (id, input) in inputs.iter().enumerate() {
        if input.size <= chunk as u64 {
            units.push(Unit::Whole(id));
            continue;
        }
        let Some((source, direction)) = open(inputs, id, &mut planned) else {
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
            let done = run(unit, inputs, &mut tally);
            progress.inc(done);
            tally
        })
        .reduce(Tally::default, Tally::merge);
    planned.merge(scanned)
}

/// Runs one unit; returns the bytes it covered, for the progress bar.
fn run(unit: Unit, inputs: &[Input], tally: &mut Tally) -> u64 {
    match unit {
        Unit::Whole(id) => {
            let Some((source, direction)) = open(inputs, id, tally) else {
                return inputs[id].size;
            };
            let ctx = FileCtx { id, direction };
            scan_range(&source, 0, source.len(), ctx, tally);
            source.len() as u64
        }
        Unit::Part {
            file,
            source,
            direction,
            start,
            end,
        } => {
            let ctx = FileCtx {
                id: file,
                direction,
            };
            scan_range(&source, start, end, ctx, tally);
            source.release(start, end);
            (end - start) as u64
        }
    }
}

/// Opens and sniffs a file; records why when it cannot be scanned.
fn open(inputs: &[Input], id: usize, tally: &mut Tally) -> Option<(Source, Option<Direction>)> {
    let input = &inputs[id];
    let source = match Source::open(&input.path) {
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
