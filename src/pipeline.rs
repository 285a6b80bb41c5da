//! The parallel scan: files (and line-aligned chunks of big files) are
//! spread over rayon workers, each folding into its own [`Tally`]; then the
//! tallies are merged and the sessions that cross chunks are stitched.
//! No lock is contended: each worker thread owns its accumulator.
//!
//! The pipeline owns what a scan leaves besides counts: the session
//! fragments for stitching, and the sessions (or their rendered lines)
//! kept for `--by session`.

use crate::filter::Filters;
use crate::input::Input;
use crate::parse::{Direction, Row, Stamp, fields, sniff, tls};
use crate::reader::Source;
use crate::scan::{FileCtx, scan_range, scan_sessions};
use crate::session::Session;
use crate::session::stitch::{Fragment, stitch};
use crate::tally::Tally;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Files larger than this are split so that one big file keeps every core
/// busy; smaller ones (Exchange rolls over at 10 MB) are one unit each.
pub const DEFAULT_CHUNK: usize = 16 << 20;

/// How much of each row is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only TLS rows, found by `memmem` (the cipher and failure reports).
    Tls,
    /// Every row, joined into sessions.
    Sessions,
}

/// What to keep of each counted session besides its counts.
#[derive(Clone, Copy, Debug)]
pub enum Keep {
    Nothing,
    /// The sessions themselves (table, JSON and xlsx output).
    Sessions,
    /// Each session rendered by this function (a CSV line) on the worker
    /// that finished it: rendering runs in parallel, and a line is smaller
    /// than a session.
    Lines(fn(&Session) -> Box<[u8]>),
}

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct Plan {
    pub chunk: usize,
    /// Map files (the default) or read them (`--no-mmap`).
    pub mmap: bool,
    pub mode: Mode,
    pub keep: Keep,
    pub filters: Filters,
}

impl Plan {
    /// Every row, whole files, nothing kept, no filters.
    pub fn sessions() -> Plan {
        Plan {
            chunk: DEFAULT_CHUNK,
            mmap: true,
            mode: Mode::Sessions,
            keep: Keep::Nothing,
            filters: Filters::default(),
        }
    }
}

/// What a scan leaves: the counts, and the kept sessions or lines (in no
/// particular order: the caller sorts them).
#[derive(Debug, Default)]
pub struct Scanned {
    pub tally: Tally,
    pub sessions: Vec<Session>,
    pub lines: Vec<(Stamp, Box<[u8]>)>,
}

/// A file's bytes: read or mapped from disk, or handed in by the caller.
pub enum Bytes<'a> {
    File(Source),
    Slice(&'a [u8]),
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::File(s) => s,
            Bytes::Slice(s) => s,
        }
    }
}

impl Bytes<'_> {
    fn release(&self, start: usize, end: usize) {
        if let Bytes::File(s) = self {
            s.release(start, end);
        }
    }
}

/// The files of a scan, however their bytes are had.
pub trait Inputs: Sync {
    fn inputs(&self) -> &[Input];
    fn open(&self, id: usize, mmap: bool) -> std::io::Result<Bytes<'_>>;
}

/// Files on disk.
pub struct Files<'a>(pub &'a [Input]);

impl Inputs for Files<'_> {
    fn inputs(&self) -> &[Input] {
        self.0
    }
    fn open(&self, id: usize, mmap: bool) -> std::io::Result<Bytes<'_>> {
        Source::open(&self.0[id].path, mmap).map(Bytes::File)
    }
}

/// Byte slices standing for files (tests, fuzzing): `(path, bytes)`. The
/// path gives the folder and the name, as a file's would.
pub struct Slices<'a> {
    inputs: Vec<Input>,
    data: Vec<&'a [u8]>,
}

impl<'a> Slices<'a> {
    pub fn new(files: &[(&Path, &'a [u8])]) -> Slices<'a> {
        Slices {
            inputs: files
                .iter()
                .map(|(path, data)| Input::new(path, data.len() as u64))
                .collect(),
            data: files.iter().map(|(_, d)| *d).collect(),
        }
    }
}

impl Inputs for Slices<'_> {
    fn inputs(&self) -> &[Input] {
        &self.inputs
    }
    fn open(&self, id: usize, _mmap: bool) -> std::io::Result<Bytes<'_>> {
        Ok(Bytes::Slice(self.data[id]))
    }
}

/// One piece of work.
enum Unit<'b> {
    /// A file the worker opens and scans whole.
    Whole(usize),
    /// A byte range of a file the planner already opened.
    Part {
        file: usize,
        bytes: Arc<Bytes<'b>>,
        direction: Option<Direction>,
        start: usize,
        end: usize,
    },
}

/// What one worker thread accumulates.
#[derive(Default)]
struct Worker {
    scanned: Scanned,
    fragments: Vec<Fragment>,
}

impl Worker {
    /// Counts a finished session and keeps what the plan asks for.
    fn finish(&mut self, s: Session, plan: &Plan) {
        if !self.scanned.tally.session(&s, &plan.filters) {
            return;
        }
        match plan.keep {
            Keep::Nothing => {}
            Keep::Sessions => self.scanned.sessions.push(s),
            Keep::Lines(render) => self.scanned.lines.push((s.start, render(&s))),
        }
    }
}

/// Scans `inputs` on the current rayon pool.
pub fn scan(inputs: &impl Inputs, plan: &Plan, progress: &ProgressBar) -> Scanned {
    let files = inputs.inputs();
    let chunk = plan.chunk.max(1);
    let folders = folder_ids(files);
    let mut planned = Tally::default();
    let mut units = Vec::new();
    for (id, input) in files.iter().enumerate() {
        if input.size <= chunk as u64 {
            units.push(Unit::Whole(id));
            continue;
        }
        let Some((bytes, direction)) = open(inputs, id, plan.mmap, &mut planned) else {
            progress.inc(input.size);
            continue;
        };
        let bytes = Arc::new(bytes);
        let mut start = 0;
        while start < bytes.len() {
            let end = start.saturating_add(chunk).min(bytes.len());
            units.push(Unit::Part {
                file: id,
                bytes: Arc::clone(&bytes),
                direction,
                start,
                end,
            });
            start = end;
        }
    }
    // Big units first, so the last ones to run are small (less idle time).
    units.sort_by_key(|u| match u {
        Unit::Whole(id) => std::cmp::Reverse(files[*id].size),
        Unit::Part { start, end, .. } => std::cmp::Reverse((end - start) as u64),
    });
    let workers: Vec<Mutex<Worker>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::default())
        .collect();
    units
        .into_par_iter()
        // One unit per job: rayon otherwise hands each thread a run of
        // units it cannot give away, and one core idles at the end.
        .with_max_len(1)
        .for_each(|unit| {
            // Each thread locks only its own worker: never contended.
            let me = rayon::current_thread_index().unwrap_or(0) % workers.len();
            let mut worker = workers[me].lock().expect("no worker panics");
            let done = run(unit, inputs, &folders, plan, &mut worker);
            progress.inc(done);
        });
    let mut all = Worker::default();
    all.scanned.tally = planned;
    for w in workers {
        let w = w.into_inner().expect("no worker panics");
        all.scanned.tally = std::mem::take(&mut all.scanned.tally).merge(w.scanned.tally);
        all.scanned.sessions.extend(w.scanned.sessions);
        all.scanned.lines.extend(w.scanned.lines);
        all.fragments.extend(w.fragments);
    }
    let fragments = std::mem::take(&mut all.fragments);
    let mut tls_rows: Vec<usize> = Vec::new();
    stitch(
        fragments,
        |s| all.finish(s, plan),
        |file| tls_rows.push(file),
    );
    for file in tls_rows {
        // Counted here: the scan saw these rows but left them to the stitcher.
        all.scanned.tally.file(file).tls_rows += 1;
    }
    all.scanned
}

/// The I/O-free entry point: scans byte slices as files with `threads`
/// workers (0: all cores). Tests and the fuzzer use it to check that any
/// chunk size and thread count give the same result.
pub fn scan_slices(files: &[(&Path, &[u8])], plan: &Plan, threads: usize) -> Scanned {
    // One pool per thread count, made once: the fuzzer calls this
    // thousands of times a second.
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let pool = {
        let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
        match pools.iter().find(|(n, _)| *n == threads) {
            Some((_, p)) => Arc::clone(p),
            None => {
                let p = Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .expect("a thread pool"),
                );
                pools.push((threads, Arc::clone(&p)));
                p
            }
        }
    };
    let slices = Slices::new(files);
    pool.install(|| scan(&slices, plan, &ProgressBar::hidden()))
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
fn run<'b>(
    unit: Unit<'b>,
    inputs: &'b impl Inputs,
    folders: &[usize],
    plan: &Plan,
    worker: &mut Worker,
) -> u64 {
    let (file, bytes, direction, start, end) = match unit {
        Unit::Whole(id) => {
            let Some((bytes, direction)) = open(inputs, id, plan.mmap, &mut worker.scanned.tally)
            else {
                return inputs.inputs()[id].size;
            };
            let len = bytes.len();
            (id, Arc::new(bytes), direction, 0, len)
        }
        Unit::Part {
            file,
            bytes,
            direction,
            start,
            end,
        } => (file, bytes, direction, start, end),
    };
    let release = |s, e| bytes.release(s, e);
    let ctx = FileCtx {
        id: file,
        folder: folders[file],
        direction,
        filters: &plan.filters,
        release: &release,
    };
    match plan.mode {
        Mode::Tls => scan_range(&bytes, start, end, ctx, &mut worker.scanned.tally),
        Mode::Sessions => {
            let mut stats = std::mem::take(worker.scanned.tally.file(file));
            let fragment = scan_sessions(&bytes, start, end, ctx, &mut stats, &mut |s| {
                worker.finish(s, plan)
            });
            worker.scanned.tally.file(file).merge(stats);
            if !fragment.is_empty() {
                worker.fragments.push(fragment);
            }
        }
    }
    bytes.release(start, end);
    (end - start) as u64
}

/// Opens and sniffs a file; records why when it cannot be scanned. The
/// direction is the one rule both scans use: header, else name, else the
/// role of the file's first TLS line (else `None`: the local port decides).
fn open<'b>(
    inputs: &'b impl Inputs,
    id: usize,
    mmap: bool,
    tally: &mut Tally,
) -> Option<(Bytes<'b>, Option<Direction>)> {
    let bytes = match inputs.open(id, mmap) {
        Ok(b) => b,
        Err(e) => {
            tally.file(id).skipped = Some(format!("cannot read: {e}"));
            return None;
        }
    };
    let sniffed = sniff(&bytes);
    if let Some(why) = sniffed.not_a_log {
        tally.file(id).skipped = Some(why);
        return None;
    }
    let direction = sniffed
        .direction
        .or(inputs.inputs()[id].name_direction)
        .or_else(|| first_role(&bytes));
    Some((bytes, direction))
}

/// The direction that the role of the first TLS success line in `data`
/// names (`_SERVER`: receive, `_CLIENT`: send), if any.
fn first_role(data: &[u8]) -> Option<Direction> {
    let finder = memchr::memmem::Finder::new(b"negotiation succeeded");
    for hit in finder.find_iter(data) {
        let start = memchr::memrchr(b'\n', &data[..hit]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |i| hit + i);
        let Ok(row) = Row::parse(&data[start..end]) else {
            continue;
        };
        if row.get(fields::EVENT) != b"*" {
            continue;
        }
        if let Some(role) = tls::parse_success(row.get(fields::CONTEXT))
            .and_then(|neg| tls::parse_protocol(neg.protocol).1)
        {
            return Some(Direction::from_role(role));
        }
    }
    None
}
