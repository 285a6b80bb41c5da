//! The parallel scan: files (and line-aligned chunks of big files) are
//! spread over rayon workers, each folding into its own [`Tally`]; then the
//! tallies are merged and the sessions that cross chunks are stitched.
//! No lock is contended: each worker thread owns its accumulator.
//!
//! The pipeline owns what a scan leaves besides counts: the session
//! fragments for stitching, and the sessions (or their rendered lines)
//! kept for `--by session`.

use crate::chunk::{FileCtx, Range};
use crate::files::FileStats;
use crate::filter::Filters;
use crate::input::Input;
use crate::parse::stamp::Bounds;
use crate::parse::{Direction, Row, Service, Sniff, fields, sniff, tls};
use crate::reader::Source;
use crate::servers::ServerId;
use crate::servers::{self, Servers};
use crate::sink::Kept;
pub use crate::sink::{Keep, Order, SessionBatch, SessionSink, SinkContext};
use crate::smtp::scan::{scan_range_in, scan_sessions_in};
use crate::smtp::select;
use crate::smtp::session::Session;
use crate::smtp::session::stitch::{Fragment, Note, Open, stitch};
use crate::sorted_lines::{SPILL_AT, SortedLines};
use crate::tally::Tally;
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct Plan {
    pub chunk: usize,
    /// Map files (the default) or read them (`--no-mmap`).
    pub mmap: bool,
    pub mode: Mode,
    pub keep: Keep,
    /// Read what only some reports show (certificates, disconnect
    /// reasons): the session list and the legacy report need them.
    pub details: bool,
    /// Note each session in its remote's timeline: `--by fallout` and
    /// what shows all reports (the HTML burn-down) read them.
    pub timelines: bool,
    pub filters: Filters,
    /// `--server`: only the servers matching one of these (none: all).
    pub servers: Vec<crate::filter::Glob>,
    /// This machine's clock (ms since 1970): later records are skewed.
    pub now_ms: i64,
    /// Also keep each server's counts apart ([`Scanned::parts`]), for a
    /// partial result that `exlog merge` can combine.
    pub by_server: bool,
    /// `--events`: every counted session also goes here.
    pub events: Option<Arc<dyn SessionSink>>,
    /// Bytes of kept lines a worker holds before it writes them to disk
    /// ([`SortedLines`]).
    pub spill_at: usize,
    /// `--state`: the sessions an earlier run left open, to go on with;
    /// the sessions open at the end of this scan are then left uncounted
    /// in [`Scanned::open`] instead of being counted as incomplete.
    pub resume: Option<Arc<[OpenSession]>>,
}

/// A session still open at the end of a scan's input (`--state`): by the
/// folder and server of its log, which outlive the run's numbering.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenSession {
    pub folder: PathBuf,
    pub server: String,
    pub session: Session,
}

/// Sessions a worker holds before handing them to the sink.
const SINK_BATCH: usize = 8192;

/// This machine's clock, in ms since 1970.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Plan {
    /// Every row, whole files, nothing kept, no filters.
    pub fn sessions() -> Plan {
        Plan {
            chunk: DEFAULT_CHUNK,
            mmap: true,
            mode: Mode::Sessions,
            keep: Keep::Nothing,
            details: true,
            timelines: true,
            filters: Filters::default(),
            servers: Vec::new(),
            now_ms: now_ms(),
            by_server: false,
            events: None,
            spill_at: SPILL_AT,
            resume: None,
        }
    }
}

/// What a scan leaves: the counts, and the kept sessions or lines (in no
/// particular order: the caller sorts them).
#[derive(Debug, Default)]
pub struct Scanned {
    pub tally: Tally,
    /// Kept sessions, with their server.
    pub sessions: Vec<(Session, ServerId)>,
    pub lines: SortedLines,
    /// Which server wrote each input file.
    pub servers: Servers,
    /// Files not read because `--server` left their server out.
    pub other_servers: u64,
    /// With [`Plan::by_server`]: each server's own counts, by server, for
    /// the servers that had files to read; `tally` is empty until
    /// [`Scanned::sum_parts`].
    pub parts: Vec<(ServerId, Tally)>,
    /// With [`Plan::resume`]: the sessions open at the end, not counted.
    pub open: Vec<OpenSession>,
}

impl Scanned {
    /// Adds the servers' counts into `tally` (they are gone after).
    pub fn sum_parts(&mut self) {
        for (_, part) in std::mem::take(&mut self.parts) {
            self.tally = std::mem::take(&mut self.tally).merge(part);
        }
    }
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
    /// The first bytes of a file (at most [`servers::HEAD_BYTES`]).
    fn head(&self, id: usize) -> Option<Vec<u8>>;
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
    fn head(&self, id: usize) -> Option<Vec<u8>> {
        use std::io::Read;
        if let Some(packed) = &self.0[id].packed {
            return crate::archive::head(packed, servers::HEAD_BYTES).ok();
        }
        let file = std::fs::File::open(&self.0[id].path).ok()?;
        let mut buf = Vec::with_capacity(servers::HEAD_BYTES);
        file.take(servers::HEAD_BYTES as u64)
            .read_to_end(&mut buf)
            .ok()?;
        Some(buf)
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
    fn head(&self, id: usize) -> Option<Vec<u8>> {
        let d = self.data[id];
        Some(d[..d.len().min(servers::HEAD_BYTES)].to_vec())
    }
}

/// One piece of work.
enum Unit<'b> {
    /// A file the worker opens and scans whole.
    Whole(usize),
    /// A compressed or archived file (or standard input) the worker reads
    /// as a stream, block by block.
    Stream(usize),
    /// A byte range of an IIS log.
    Iis(IisPart<'b>),
    /// A byte range of an SMTP log the planner already opened.
    Part(Part<'b>),
}

/// A byte range of an IIS log, with the `#Fields:` names in effect where
/// it starts (none at the file's start).
struct IisPart<'b> {
    file: usize,
    bytes: Arc<Bytes<'b>>,
    start: usize,
    end: usize,
    fields: Option<Arc<[u8]>>,
}

/// A byte range of an SMTP log, with what opening the file found.
struct Part<'b> {
    file: usize,
    bytes: Arc<Bytes<'b>>,
    direction: Option<Direction>,
    bounds: Bounds,
    start: usize,
    end: usize,
}

impl Unit<'_> {
    /// The file it reads.
    fn file(&self) -> usize {
        match self {
            Unit::Whole(id) | Unit::Stream(id) => *id,
            Unit::Iis(part) => part.file,
            Unit::Part(part) => part.file,
        }
    }

    /// About how long it takes: its bytes (a compressed file's about ten
    /// times its size).
    fn cost(&self, files: &[Input]) -> u64 {
        match self {
            Unit::Stream(id) => files[*id].size.saturating_mul(10),
            Unit::Whole(id) => files[*id].size,
            Unit::Iis(IisPart { start, end, .. }) | Unit::Part(Part { start, end, .. }) => {
                (end - start) as u64
            }
        }
    }
}

/// What every unit of a scan shares: the plan, each file's folder, what
/// the sinks need to name a session's server, and the sinks.
struct Shared<'a> {
    plan: &'a Plan,
    /// The folder number of each file.
    folders: &'a [usize],
    ctx: SinkContext<'a>,
    sinks: &'a [&'a dyn SessionSink],
    slots: Slots,
}

/// Which tally a server counts into: its own with [`Plan::by_server`]
/// (sessions never cross servers: a folder holds one server's logs), else
/// the one for all.
#[derive(Clone, Copy)]
struct Slots {
    by_server: bool,
    count: usize,
}

impl Slots {
    fn new(plan: &Plan, servers: &Servers) -> Slots {
        Slots {
            by_server: plan.by_server,
            count: if plan.by_server {
                servers.names.len().max(1)
            } else {
                1
            },
        }
    }

    fn of(self, server: ServerId) -> usize {
        if self.by_server { server as usize } else { 0 }
    }
}

/// What one worker thread accumulates.
#[derive(Default)]
struct Worker {
    /// Counts go to `scanned.tally`: slot `slot`'s tally, taken out of
    /// `parts` while it is in use.
    scanned: Scanned,
    parts: Vec<Tally>,
    slot: Option<usize>,
    fragments: Vec<Fragment>,
    /// Sessions for each sink, and the unit and batch they belong to.
    batches: Vec<Option<Box<dyn SessionBatch>>>,
    order: Order,
}

impl Worker {
    /// Makes `slot`'s tally (of `slots`) the one counted into.
    fn enter(&mut self, slot: usize, slots: usize) {
        if self.slot == Some(slot) {
            return;
        }
        self.park();
        if self.parts.len() < slots {
            self.parts.resize_with(slots, Tally::default);
        }
        self.scanned.tally = std::mem::take(&mut self.parts[slot]);
        self.slot = Some(slot);
    }

    /// Puts the tally in use back in its slot.
    fn park(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.parts[slot] = std::mem::take(&mut self.scanned.tally);
        }
    }

    /// Counts a finished session and, if it was counted, gives it to the
    /// sinks.
    fn finish(&mut self, s: Session, server: ServerId, folder: usize, shared: &Shared) {
        let service = shared.ctx.services.get(folder).copied().flatten();
        let (filters, timelines) = (&shared.plan.filters, shared.plan.timelines);
        let tally = &mut self.scanned.tally;
        if !count_session(tally, &s, server, service, filters, timelines) {
            return;
        }
        if !shared.sinks.is_empty() {
            self.give(s, server, folder, shared);
        }
    }

    /// Gives a counted session to every sink: a copy to each but the
    /// last, which takes it.
    fn give(&mut self, s: Session, server: ServerId, folder: usize, shared: &Shared) {
        let (ctx, sinks) = (&shared.ctx, shared.sinks);
        if self.batches.len() < sinks.len() {
            self.batches.resize_with(sinks.len(), || None);
        }
        let last = sinks.len() - 1;
        for (i, sink) in sinks.iter().enumerate().take(last) {
            let batch = self.batches[i].get_or_insert_with(|| sink.batch());
            batch.add(&s, server, folder, ctx);
        }
        let batch = self.batches[last].get_or_insert_with(|| sinks[last].batch());
        batch.take(s, server, folder, ctx);
        let full = |b: &Option<Box<dyn SessionBatch>>| b.as_ref().map_or(0, |b| b.sessions());
        if self.batches.iter().any(|b| full(b) >= SINK_BATCH) {
            self.hand_over(sinks, false);
        }
    }

    /// Gives the sinks the sessions held (`last`: the unit is done; its
    /// last batch is handed over even when empty, to keep the order).
    fn hand_over(&mut self, sinks: &[&dyn SessionSink], last: bool) {
        if sinks.is_empty() {
            return;
        }
        let at = Order { last, ..self.order };
        self.batches.resize_with(sinks.len(), || None);
        for (batch, sink) in self.batches.iter_mut().zip(sinks) {
            batch.take().unwrap_or_else(|| sink.batch()).hand_over(at);
        }
        self.order.batch += 1;
    }

    /// Starts unit `unit` (for the sinks' order).
    fn begin(&mut self, unit: usize) {
        self.order = Order {
            unit,
            batch: 0,
            last: false,
        };
    }
}

/// Counts a finished session of `server`, whose log folder belongs to
/// `service`, if the filters let it through (and notes it in its
/// remote's timeline if `timelines`); returns whether it was counted.
pub(crate) fn count_session(
    tally: &mut Tally,
    s: &Session,
    server: ServerId,
    service: Option<Service>,
    filters: &Filters,
    timelines: bool,
) -> bool {
    if !select::passes(s, filters, &mut tally.hits)
        || !tally
            .smtp
            .session(s, server, timelines, |t| filters.time(t))
    {
        return false;
    }
    tally.smtp.note_service(server, s, service);
    true
}

/// Scans `inputs` on the current rayon pool; the sessions [`Plan::keep`]
/// asks for are in [`Scanned::sessions`] or [`Scanned::lines`].
pub fn scan(inputs: &impl Inputs, plan: &Plan, progress: &ProgressBar) -> Scanned {
    let kept = Kept::new(plan.keep, plan.spill_at);
    let mut sinks: Vec<&dyn SessionSink> = plan.events.iter().map(|e| e.as_ref()).collect();
    sinks.extend(kept.sink());
    let mut scanned = scan_to(inputs, plan, &sinks, progress);
    (scanned.sessions, scanned.lines) = kept.into_parts();
    scanned
}

/// Scans `inputs` on the current rayon pool; every counted session goes
/// to each of `sinks` once (the last one takes it).
pub fn scan_to(
    inputs: &impl Inputs,
    plan: &Plan,
    sinks: &[&dyn SessionSink],
    progress: &ProgressBar,
) -> Scanned {
    let files = inputs.inputs();
    let servers = servers::assign(files, |id| inputs.head(id));
    let (folders, folder_paths) = folder_ids(files);
    let slots = Slots::new(plan, &servers);
    let shared = Shared {
        plan,
        folders: &folders,
        ctx: SinkContext {
            servers: &servers,
            folders: &folder_paths,
            services: folder_paths
                .iter()
                .map(|f| Service::from_path(&f.to_string_lossy()))
                .collect(),
        },
        sinks,
        slots,
    };
    let mut planned = Planned::new(slots.count);
    let units = planned.units(inputs, plan, &servers, slots, progress);
    let workers = run_units(units, inputs, &shared, progress);
    let mut all = Worker {
        parts: planned.tallies,
        ..Worker::default()
    };
    let stitched = planned.units;
    gather(&mut all, workers);
    stitch_fragments(&mut all, stitched, &shared);
    let mut scanned = split_parts(all, plan);
    scanned.other_servers = planned.other_servers;
    scanned.servers = servers;
    scanned
}

/// The units of a scan, and what planning them counted.
struct Planned {
    /// Per slot: what opening the big files found (files skipped, their
    /// origin).
    tallies: Vec<Tally>,
    /// Files not read because `--server` left their server out.
    other_servers: u64,
    /// How many units there are.
    units: usize,
}

impl Planned {
    fn new(slots: usize) -> Planned {
        Planned {
            tallies: (0..slots).map(|_| Tally::default()).collect(),
            other_servers: 0,
            units: 0,
        }
    }

    /// The units of the chosen servers' files, biggest first: whole files,
    /// streams, and the chunks of files over [`Plan::chunk`].
    fn units<'b>(
        &mut self,
        inputs: &'b impl Inputs,
        plan: &Plan,
        servers: &Servers,
        slots: Slots,
        progress: &ProgressBar,
    ) -> Vec<Unit<'b>> {
        let files = inputs.inputs();
        let chunk = plan.chunk.max(1);
        let chosen: Vec<bool> = servers
            .names
            .iter()
            .map(|n| {
                plan.servers.is_empty() || plan.servers.iter().any(|g| g.matches(n.as_bytes()))
            })
            .collect();
        let mut units = Vec::new();
        for (id, input) in files.iter().enumerate() {
            let server = servers.of_file[id];
            if !chosen[server as usize] {
                self.other_servers += 1;
                progress.inc(input.size);
            } else if input.start > 0 && input.start >= input.size {
                // Read to its end by an earlier run (--state).
                progress.inc(input.size);
            } else if input.packed.is_some() {
                units.push(Unit::Stream(id));
            } else if input.size <= chunk as u64 && input.start == 0 {
                units.push(Unit::Whole(id));
            } else {
                let tally = &mut self.tallies[slots.of(server)];
                progress.inc(input.start);
                match open(inputs, id, plan, tally) {
                    Some(opened) => units.extend(chunk_units(id, opened, chunk, input.start)),
                    None => progress.inc(input.size - input.start),
                }
            }
        }
        // Big units first, so the last ones to run are small (less idle time).
        units.sort_by_key(|u| std::cmp::Reverse(u.cost(files)));
        self.units = units.len();
        units
    }
}

/// The units of a big file from byte `start` on (a line start: 0, or
/// where an earlier run stopped), `chunk` bytes each.
fn chunk_units(id: usize, opened: Opened<'_>, chunk: usize, start: u64) -> Vec<Unit<'_>> {
    let (bytes, direction, bounds, iis) = opened;
    let bytes = Arc::new(bytes);
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    if !iis {
        let part = |(start, end)| {
            Unit::Part(Part {
                file: id,
                bytes: Arc::clone(&bytes),
                direction,
                bounds,
                start,
                end,
            })
        };
        return chunks(start, bytes.len(), chunk).map(part).collect();
    }
    // An IIS log: each chunk starts with the #Fields: in effect there.
    let headers = iis_headers(&bytes);
    // That pass touched every page: give them back until the chunks are
    // read, or every big IIS log stays resident.
    bytes.release(0, bytes.len());
    let iis = |(start, end)| {
        let from = crate::chunk::align(&bytes, start);
        let fields = headers
            .iter()
            .take_while(|(at, _)| *at < from)
            .last()
            .map(|(_, f)| Arc::clone(f));
        Unit::Iis(IisPart {
            file: id,
            bytes: Arc::clone(&bytes),
            start,
            end,
            fields,
        })
    };
    chunks(start, bytes.len(), chunk).map(iis).collect()
}

/// Runs the units on every thread of the current pool; returns the
/// workers, each with what it counted and kept.
fn run_units(
    units: Vec<Unit>,
    inputs: &impl Inputs,
    shared: &Shared,
    progress: &ProgressBar,
) -> Vec<Mutex<Worker>> {
    let workers: Vec<Mutex<Worker>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::default())
        .collect();
    let servers = shared.ctx.servers;
    // Each thread takes the next unit from one queue, so units finish in
    // about the order they are numbered and a sink writes them as they
    // come. (Rayon's split of a range gives each thread a half of it: the
    // sessions of the second half would wait, in memory, for the first.)
    let queue = Mutex::new(units.into_iter().enumerate());
    rayon::broadcast(|_| {
        // Each thread locks only its own worker: never contended.
        let me = rayon::current_thread_index().unwrap_or(0) % workers.len();
        let mut worker = workers[me].lock().expect("no worker panics");
        loop {
            let next = queue.lock().expect("no worker panics").next();
            let Some((i, unit)) = next else { break };
            let here = shared.slots.of(servers.of_file[unit.file()]);
            worker.enter(here, shared.slots.count);
            worker.begin(i);
            let done = run(unit, inputs, shared, &mut worker);
            worker.hand_over(shared.sinks, true);
            progress.inc(done);
        }
    });
    workers
}

/// Adds the workers' counts, kept lines and fragments into `all`.
fn gather(all: &mut Worker, workers: Vec<Mutex<Worker>>) {
    for w in workers {
        let mut w = w.into_inner().expect("no worker panics");
        w.park();
        for (mine, theirs) in all.parts.iter_mut().zip(w.parts) {
            *mine = std::mem::take(mine).merge(theirs);
        }
        all.fragments.extend(w.fragments);
    }
}

/// Joins the sessions that cross units (as unit number `unit` in the
/// sinks' order), counts them, and counts the rows the scan left to the
/// stitcher. The sessions open at the end are counted as incomplete, or
/// with [`Plan::resume`] kept in `all.scanned.open`.
fn stitch_fragments(all: &mut Worker, unit: usize, shared: &Shared) {
    let fragments = std::mem::take(&mut all.fragments);
    let mut notes: Vec<(usize, Note)> = Vec::new();
    let slots = shared.slots;
    let (before, mut open) = resumed(shared);
    all.begin(unit);
    let rest = stitch(
        before,
        fragments,
        |s, server, folder| {
            all.enter(slots.of(server), slots.count);
            all.finish(s, server, folder, shared);
        },
        |file, note| notes.push((file, note)),
    );
    if shared.plan.resume.is_some() {
        let ctx = &shared.ctx;
        open.extend(
            rest.into_iter()
                .map(|((folder, _), (session, server))| OpenSession {
                    folder: ctx.folders[folder].clone(),
                    server: ctx.servers.name(server).to_string(),
                    session,
                }),
        );
        all.scanned.open = open;
    } else {
        for ((folder, _), (session, server)) in rest {
            all.enter(slots.of(server), slots.count);
            all.finish(session, server, folder, shared);
        }
    }
    all.hand_over(shared.sinks, true);
    let of_file = &shared.ctx.servers.of_file;
    for (file, note) in notes {
        // Counted here: the scan saw these rows but left them to the stitcher.
        all.enter(slots.of(of_file[file]), slots.count);
        let stats = all.scanned.tally.file(file);
        match note {
            Note::TlsRow => stats.tls_rows += 1,
            Note::Restart => stats.restarts += 1,
        }
    }
}

/// The sessions an earlier run left open ([`Plan::resume`]): those of a
/// folder this scan reads, for the stitcher to go on with, and the others,
/// which stay open as they were.
fn resumed(shared: &Shared) -> (Open, Vec<OpenSession>) {
    let Some(resume) = &shared.plan.resume else {
        return Default::default();
    };
    let ctx = &shared.ctx;
    let mut before = Open::new();
    let mut untouched = Vec::new();
    for o in resume.iter() {
        let folder = ctx.folders.iter().position(|f| *f == o.folder);
        let server = ctx.servers.names.iter().position(|n| *n == o.server);
        match (folder, server) {
            (Some(folder), Some(server)) => {
                let key = crate::smtp::session::key(&o.session.session_id);
                before.push(((folder, key), (o.session.clone(), server as ServerId)));
            }
            _ => untouched.push(o.clone()),
        }
    }
    (before, untouched)
}

/// The counts: one tally, or with [`Plan::by_server`] each server's part.
fn split_parts(mut all: Worker, plan: &Plan) -> Scanned {
    all.park();
    let mut parts = std::mem::take(&mut all.parts);
    let mut scanned = all.scanned;
    if plan.by_server {
        for (id, mut part) in parts.into_iter().enumerate() {
            if !part.files.is_empty() {
                // A state adds these to its own first (their chunks are
                // where the run began), then makes them canonical.
                if plan.resume.is_none() {
                    part.canonical();
                }
                scanned.parts.push((id as ServerId, part));
            }
        }
    } else {
        scanned.tally = parts.pop().unwrap_or_default();
    }
    scanned
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

/// Files of one folder share sessions; number the folders. Returns each
/// file's folder number and each folder's path.
fn folder_ids(inputs: &[Input]) -> (Vec<usize>, Vec<PathBuf>) {
    let mut ids: HashMap<&Path, usize> = HashMap::new();
    let mut paths = Vec::new();
    let of_file = inputs
        .iter()
        .map(|i| {
            let folder = i.path.parent().unwrap_or(Path::new(""));
            *ids.entry(folder).or_insert_with(|| {
                paths.push(folder.to_path_buf());
                paths.len() - 1
            })
        })
        .collect();
    (of_file, paths)
}

/// A file opened and sniffed for a scan: its bytes, direction, the bounds
/// of its record times, and whether it is an IIS log.
type Opened<'b> = (Bytes<'b>, Option<Direction>, Bounds, bool);

/// The context of a scan of `file`'s bytes.
fn file_ctx<'a>(
    file: usize,
    shared: &'a Shared,
    bounds: &'a Bounds,
    direction: Option<Direction>,
    release: &'a (dyn Fn(usize, usize) + Sync),
) -> FileCtx<'a> {
    FileCtx {
        id: file,
        folder: shared.folders[file],
        server: shared.ctx.servers.of_file[file],
        bounds,
        direction,
        filters: &shared.plan.filters,
        release,
        details: shared.plan.details,
    }
}

/// Runs one unit; returns the bytes it covered, for the progress bar.
fn run<'b>(unit: Unit<'b>, inputs: &'b impl Inputs, shared: &Shared, worker: &mut Worker) -> u64 {
    match unit {
        Unit::Stream(id) => run_stream(id, inputs, shared, worker),
        Unit::Whole(id) => run_whole(id, inputs, shared, worker),
        Unit::Iis(part) => run_iis(part, inputs, shared, worker),
        Unit::Part(part) => run_part(part, shared, worker),
    }
}

/// Opens a file not over the chunk size and scans it as one unit.
fn run_whole(id: usize, inputs: &impl Inputs, shared: &Shared, worker: &mut Worker) -> u64 {
    let Some((bytes, direction, bounds, iis)) =
        open(inputs, id, shared.plan, &mut worker.scanned.tally)
    else {
        return inputs.inputs()[id].size;
    };
    let end = bytes.len();
    let bytes = Arc::new(bytes);
    if iis {
        let part = IisPart {
            file: id,
            bytes,
            start: 0,
            end,
            fields: None,
        };
        return run_iis(part, inputs, shared, worker);
    }
    let part = Part {
        file: id,
        bytes,
        direction,
        bounds,
        start: 0,
        end,
    };
    run_part(part, shared, worker)
}

/// Scans a byte range of an IIS log.
fn run_iis(part: IisPart, inputs: &impl Inputs, shared: &Shared, worker: &mut Worker) -> u64 {
    let IisPart {
        file,
        bytes,
        start,
        end,
        fields,
    } = part;
    let release = |s, e| bytes.release(s, e);
    let ctx = FileCtx {
        details: false,
        ..file_ctx(file, shared, &Bounds::ANY, None, &release)
    };
    let site = site_of(&inputs.inputs()[file].path);
    let tally = &mut worker.scanned.tally;
    let range = Range::new(&bytes, start, end);
    let stats = tally.files.entry(file).or_default();
    crate::iis::scan::scan_iis(range, fields.as_deref(), ctx, &site, &mut tally.iis, stats);
    bytes.release(start, end);
    (end - start) as u64
}

/// Scans a byte range of an SMTP log.
fn run_part(part: Part, shared: &Shared, worker: &mut Worker) -> u64 {
    let Part {
        file,
        bytes,
        direction,
        bounds,
        start,
        end,
    } = part;
    let release = |s, e| bytes.release(s, e);
    let ctx = file_ctx(file, shared, &bounds, direction, &release);
    worker.scanned.tally.file(file).direction = direction;
    scan_smtp(Range::new(&bytes, start, end), ctx, shared, worker);
    bytes.release(start, end);
    (end - start) as u64
}

/// Scans the lines of `range` as the plan's mode asks: the TLS rows alone
/// into the counts, or every row into sessions.
fn scan_smtp(range: Range, ctx: FileCtx, shared: &Shared, worker: &mut Worker) {
    let file = ctx.id;
    match shared.plan.mode {
        Mode::Tls => {
            let tally = &mut worker.scanned.tally;
            let stats = tally.files.entry(file).or_default();
            scan_range_in(range, ctx, &mut tally.smtp, stats)
        }
        Mode::Sessions => {
            let (server, folder) = (ctx.server, ctx.folder);
            let mut stats = std::mem::take(worker.scanned.tally.file(file));
            let fragment = scan_sessions_in(range, ctx, &mut stats, &mut |s| {
                worker.finish(s, server, folder, shared)
            });
            worker.scanned.tally.file(file).merge(stats);
            if !fragment.is_empty() {
                worker.fragments.push(fragment);
            }
        }
    }
}

/// `[start, end)` pieces of `chunk` bytes covering bytes `from..len`.
fn chunks(from: usize, len: usize, chunk: usize) -> impl Iterator<Item = (usize, usize)> {
    (from..len)
        .step_by(chunk.max(1))
        .map(move |start| (start, start.saturating_add(chunk).min(len)))
}

/// The `#Fields:` lines of an IIS log: where each starts, and its names.
fn iis_headers(data: &[u8]) -> Vec<(usize, Arc<[u8]>)> {
    memchr::memmem::find_iter(data, b"#Fields:")
        .filter(|&at| {
            at == 0 || data[at - 1] == b'\n' || (at == 3 && data.starts_with(crate::parse::BOM))
        })
        .map(|at| {
            let names = &data[at + 8..];
            let end = memchr::memchr(b'\n', names).unwrap_or(names.len());
            (at, Arc::from(names[..end].trim_ascii()))
        })
        .collect()
}

/// An IIS log, by its name (`u_ex*.log`) or its first lines.
fn is_iis(input: &Input, bytes: &[u8]) -> bool {
    let name = input
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    crate::input::is_iis_name(&name) || crate::iis::parse::is_iis(bytes)
}

/// The IIS site of a log: the folder it is in (IIS's `W3SVCn`, or any
/// other folder's name, never empty); `stdin` for standard input.
fn site_of(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "stdin".into();
    }
    servers::folder_label(path.parent().unwrap_or(Path::new("")))
}

/// How much of a stream is scanned at a time.
const BLOCK: usize = 8 << 20;

/// Reads into `buf` (from its current length) until it holds `want`
/// bytes or the stream ends; returns whether it ended.
fn fill(reader: &mut dyn std::io::Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while buf.len() < want {
        let have = buf.len();
        buf.resize(want, 0);
        match reader.read(&mut buf[have..]) {
            Ok(0) => {
                buf.truncate(have);
                return Ok(true);
            }
            Ok(n) => buf.truncate(have + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(have),
            Err(e) => {
                buf.truncate(have);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// Scans a compressed or archived file, or standard input, block by
/// block: each block of whole lines is a chunk like a big file's, so
/// sessions are stitched across blocks and files the same way. Memory: one
/// block and the decompressor. Returns the compressed bytes covered.
fn run_stream(id: usize, inputs: &impl Inputs, shared: &Shared, worker: &mut Worker) -> u64 {
    let input = &inputs.inputs()[id];
    let Some(packed) = &input.packed else {
        return 0;
    };
    let result = crate::archive::with_reader(packed, |reader| -> Result<(), String> {
        let mut stream = Stream {
            reader,
            buf: Vec::with_capacity(BLOCK + (1 << 16)),
            ended: false,
            broke: None,
        };
        stream.more(BLOCK);
        let sniffed = sniff(&stream.buf);
        if let Some(why) = sniffed.not_a_log {
            worker.scanned.tally.file(id).skipped = Some(match stream.broke {
                Some(e) if stream.buf.is_empty() => format!("cannot read: {e}"),
                _ => why,
            });
            return Ok(());
        }
        let name = file_name(input);
        let name = name
            .strip_suffix(".gz")
            .or(name.strip_suffix(".GZ"))
            .unwrap_or(&name);
        let direction = file_direction(input, &sniffed, &stream.buf);
        let bounds = bounds_of(name, &sniffed, shared.plan.now_ms);
        let ctx = file_ctx(id, shared, &bounds, direction, &|_, _| {});
        worker.scanned.tally.file(id).direction = direction;
        note_origin(worker.scanned.tally.file(id), input, &sniffed);
        stream.scan(ctx, shared, worker);
        stream.broke.map_or(Ok(()), Err)
    });
    let why = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = why {
        let stats = worker.scanned.tally.file(id);
        // Rows before the error are counted; the file is named as cut short.
        stats.error = Some(why);
    }
    input.size
}

/// A stream being read block by block.
struct Stream<'r> {
    reader: &'r mut dyn std::io::Read,
    buf: Vec<u8>,
    /// The stream has ended (or broken off).
    ended: bool,
    /// Why it broke off: it ends there, what came before is scanned, and
    /// the error is reported with the file.
    broke: Option<String>,
}

impl Stream<'_> {
    /// Reads until the buffer holds `want` bytes or the stream ends.
    fn more(&mut self, want: usize) {
        self.ended = fill(self.reader, &mut self.buf, want).unwrap_or_else(|e| {
            self.broke = Some(e.to_string());
            true
        });
    }

    /// Scans the stream's lines, a block of whole lines at a time (all of
    /// the rest at the end of the stream).
    fn scan(&mut self, ctx: FileCtx, shared: &Shared, worker: &mut Worker) {
        let mut base = 0usize;
        loop {
            let cut = if self.ended {
                self.buf.len()
            } else {
                match memchr::memrchr(b'\n', &self.buf) {
                    Some(i) => i + 1,
                    // One line longer than a block: read on.
                    None => {
                        self.more(self.buf.len() + BLOCK);
                        continue;
                    }
                }
            };
            let range = Range::block(&self.buf[..cut], base, self.ended);
            scan_smtp(range, ctx, shared, worker);
            if self.ended {
                return;
            }
            base += cut;
            self.buf.drain(..cut);
            self.more(self.buf.len() + BLOCK);
        }
    }
}

/// Opens and sniffs a file; records why when it cannot be scanned.
fn open<'b>(
    inputs: &'b impl Inputs,
    id: usize,
    plan: &Plan,
    tally: &mut Tally,
) -> Option<Opened<'b>> {
    let bytes = match inputs.open(id, plan.mmap) {
        Ok(b) => b,
        Err(e) => {
            tally.file(id).skipped = Some(format!("cannot read: {e}"));
            return None;
        }
    };
    let input = &inputs.inputs()[id];
    if is_iis(input, &bytes) {
        return Some((bytes, None, Bounds::ANY, true));
    }
    let sniffed = sniff(&bytes);
    if let Some(why) = sniffed.not_a_log {
        tally.file(id).skipped = Some(why);
        return None;
    }
    note_origin(tally.file(id), input, &sniffed);
    let direction = file_direction(input, &sniffed, &bytes);
    let bounds = bounds_of(&file_name(input), &sniffed, plan.now_ms);
    Some((bytes, direction, bounds, false))
}

/// A file's name (lossy), empty if it has none.
fn file_name(input: &Input) -> String {
    input
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The direction rule both scans use: header, else name, else the role of
/// the file's first TLS line in `bytes` (else `None`: the local port
/// decides).
fn file_direction(input: &Input, sniffed: &Sniff, bytes: &[u8]) -> Option<Direction> {
    sniffed
        .direction
        .or(input.name_direction)
        .or_else(|| first_role(bytes))
}

/// The bounds of a file's record times: from its name (without `.gz`),
/// else its `#Date:`, else any time up to this machine's clock.
fn bounds_of(name: &str, sniffed: &Sniff, now_ms: i64) -> Bounds {
    let own_time = crate::parse::name_time(name).or(sniffed.date.map(|d| (d, d)));
    match own_time {
        Some((start, end)) => Bounds::around(start, end, now_ms),
        None => Bounds::until(now_ms),
    }
}

/// What a file's path and header say of where it came from: the transport
/// service (its folder) and Exchange's version (its header).
fn note_origin(stats: &mut FileStats, input: &Input, sniffed: &Sniff) {
    stats.service = Service::from_path(&input.path.to_string_lossy());
    stats.exchange_major = sniffed.exchange_major;
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
