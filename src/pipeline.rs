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
use crate::smtp::scan::{scan_range, scan_sessions};
use crate::smtp::select;
use crate::smtp::session::Session;
use crate::smtp::session::stitch::{Fragment, Note, stitch};
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

/// What to keep of each counted session besides its counts.
#[derive(Clone, Copy, Debug)]
pub enum Keep {
    Nothing,
    /// The sessions themselves (table, JSON and xlsx output).
    Sessions,
    /// Each session rendered by this function (a CSV line; the second
    /// argument is its server's name) on the worker that finished it:
    /// rendering runs in parallel, and a line is smaller than a session.
    Lines(fn(&Session, &str) -> Box<[u8]>),
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
}

/// Where a batch of sessions stands in the one order they are handed over
/// in, whatever the thread count: by work unit, then batch within it
/// (`last`: the unit's final one), then the sessions joined at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Order {
    pub unit: usize,
    pub batch: usize,
    pub last: bool,
}

/// What a sink needs to name a session's server and folder.
pub struct SinkContext<'a> {
    pub servers: &'a Servers,
    pub folders: &'a [PathBuf],
    /// The transport service of each folder, by its path.
    pub services: Vec<Option<Service>>,
}

/// Takes counted sessions as they finish (`--events`), from any worker,
/// in batches: the sink puts the batches in [`Order`] itself.
pub trait SessionSink: Send + Sync + std::fmt::Debug {
    /// An empty batch, for one worker to fill.
    fn batch(&self) -> Box<dyn SessionBatch>;
}

/// Sessions on their way to a sink. A session is taken in (turned into
/// what the sink keeps of it) the moment it is counted: holding thousands
/// of sessions, and freeing them all at once, costs more than the sink.
pub trait SessionBatch: Send {
    /// Takes a session, with its server and log folder (an index into
    /// [`SinkContext::folders`]).
    fn add(&mut self, session: &Session, server: ServerId, folder: usize, ctx: &SinkContext);
    /// How many sessions it holds.
    fn sessions(&self) -> usize;
    /// Hands the batch to its sink, at `at` in the order.
    fn hand_over(self: Box<Self>, at: Order);
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
            filters: Filters::default(),
            servers: Vec::new(),
            now_ms: now_ms(),
            by_server: false,
            events: None,
            spill_at: SPILL_AT,
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

impl Unit<'_> {
    /// The file it reads.
    fn file(&self) -> usize {
        match self {
            Unit::Whole(id) | Unit::Stream(id) => *id,
            Unit::Iis { file, .. } | Unit::Part { file, .. } => *file,
        }
    }
}

/// One piece of work.
enum Unit<'b> {
    /// A file the worker opens and scans whole.
    Whole(usize),
    /// A compressed or archived file (or standard input) the worker reads
    /// as a stream, block by block.
    Stream(usize),
    /// A byte range of an IIS log, with the `#Fields:` names in effect
    /// where it starts (none at the file's start).
    Iis {
        file: usize,
        bytes: Arc<Bytes<'b>>,
        start: usize,
        end: usize,
        fields: Option<Arc<[u8]>>,
    },
    /// A byte range of a file the planner already opened.
    Part {
        file: usize,
        bytes: Arc<Bytes<'b>>,
        direction: Option<Direction>,
        bounds: Bounds,
        start: usize,
        end: usize,
    },
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
    /// Sessions for the sink, and the unit and batch they belong to.
    batch: Option<Box<dyn SessionBatch>>,
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

    /// Counts a finished session and keeps what the plan asks for.
    fn finish(
        &mut self,
        s: Session,
        server: ServerId,
        folder: usize,
        plan: &Plan,
        ctx: &SinkContext,
    ) {
        let tally = &mut self.scanned.tally;
        let filters = &plan.filters;
        if !select::passes(&s, filters, &mut tally.hits)
            || !tally.smtp.session(&s, server, |t| filters.time(t))
        {
            return;
        }
        let service = ctx.services.get(folder).copied().flatten();
        tally.smtp.note_service(server, &s, service);
        if let Some(sink) = &plan.events {
            let batch = self.batch.get_or_insert_with(|| sink.batch());
            batch.add(&s, server, folder, ctx);
            if batch.sessions() >= SINK_BATCH {
                self.hand_over(sink.as_ref(), false);
            }
        }
        match plan.keep {
            Keep::Nothing => {}
            Keep::Sessions => self.scanned.sessions.push((s, server)),
            Keep::Lines(render) => {
                let line = render(&s, ctx.servers.name(server));
                self.scanned.lines.push(s.start, line, plan.spill_at);
            }
        }
    }

    /// Gives the sink the sessions held (`last`: the unit is done; its
    /// last batch is handed over even when empty, to keep the order).
    fn hand_over(&mut self, sink: &dyn SessionSink, last: bool) {
        let at = Order { last, ..self.order };
        self.batch
            .take()
            .unwrap_or_else(|| sink.batch())
            .hand_over(at);
        self.order.batch += 1;
    }

    /// Starts unit `unit` (for the sink's order).
    fn begin(&mut self, unit: usize) {
        self.order = Order {
            unit,
            batch: 0,
            last: false,
        };
    }
}

/// Scans `inputs` on the current rayon pool.
pub fn scan(inputs: &impl Inputs, plan: &Plan, progress: &ProgressBar) -> Scanned {
    let files = inputs.inputs();
    let servers = servers::assign(files, |id| inputs.head(id));
    let chunk = plan.chunk.max(1);
    let (folders, folder_paths) = folder_ids(files);
    // With `by_server`, a tally per server (sessions never cross servers:
    // a folder holds one server's logs); else one for all.
    let slots = if plan.by_server {
        servers.names.len().max(1)
    } else {
        1
    };
    let slot_of = |server: ServerId| match plan.by_server {
        true => server as usize,
        false => 0,
    };
    let slot = |file: usize| slot_of(servers.of_file[file]);
    let chosen: Vec<bool> = servers
        .names
        .iter()
        .map(|n| plan.servers.is_empty() || plan.servers.iter().any(|g| g.matches(n.as_bytes())))
        .collect();
    let mut planned: Vec<Tally> = (0..slots).map(|_| Tally::default()).collect();
    let mut units = Vec::new();
    let mut other_servers = 0;
    for (id, input) in files.iter().enumerate() {
        if !chosen[servers.of_file[id] as usize] {
            other_servers += 1;
            progress.inc(input.size);
            continue;
        }
        if input.packed.is_some() {
            units.push(Unit::Stream(id));
            continue;
        }
        if input.size <= chunk as u64 {
            units.push(Unit::Whole(id));
            continue;
        }
        let Some((bytes, direction, bounds, iis)) = open(inputs, id, plan, &mut planned[slot(id)])
        else {
            progress.inc(input.size);
            continue;
        };
        let bytes = Arc::new(bytes);
        // An IIS log: each chunk starts with the #Fields: in effect there.
        if iis {
            let headers = iis_headers(&bytes);
            // That pass touched every page: give them back until the
            // chunks are read, or every big IIS log stays resident.
            bytes.release(0, bytes.len());
            for (start, end) in chunks(bytes.len(), chunk) {
                let from = crate::chunk::align(&bytes, start);
                let fields = headers
                    .iter()
                    .take_while(|(at, _)| *at < from)
                    .last()
                    .map(|(_, f)| Arc::clone(f));
                units.push(Unit::Iis {
                    file: id,
                    bytes: Arc::clone(&bytes),
                    start,
                    end,
                    fields,
                });
            }
            continue;
        }
        for (start, end) in chunks(bytes.len(), chunk) {
            units.push(Unit::Part {
                file: id,
                bytes: Arc::clone(&bytes),
                direction,
                bounds,
                start,
                end,
            });
        }
    }
    // Big units first, so the last ones to run are small (less idle time).
    units.sort_by_key(|u| match u {
        // Compressed: about ten times its size to scan.
        Unit::Stream(id) => std::cmp::Reverse(files[*id].size.saturating_mul(10)),
        Unit::Whole(id) => std::cmp::Reverse(files[*id].size),
        Unit::Part { start, end, .. } | Unit::Iis { start, end, .. } => {
            std::cmp::Reverse((end - start) as u64)
        }
    });
    let workers: Vec<Mutex<Worker>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::default())
        .collect();
    let ctx = SinkContext {
        servers: &servers,
        folders: &folder_paths,
        services: folder_paths
            .iter()
            .map(|f| Service::from_path(&f.to_string_lossy()))
            .collect(),
    };
    let stitched = units.len();
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
            let here = slot(unit.file());
            worker.enter(here, slots);
            worker.begin(i);
            let done = run(unit, inputs, &folders, &ctx, plan, &mut worker);
            if let Some(sink) = &plan.events {
                worker.hand_over(sink.as_ref(), true);
            }
            progress.inc(done);
        }
    });
    let mut all = Worker {
        parts: planned,
        ..Worker::default()
    };
    for w in workers {
        let mut w = w.into_inner().expect("no worker panics");
        w.park();
        for (mine, theirs) in all.parts.iter_mut().zip(w.parts) {
            *mine = std::mem::take(mine).merge(theirs);
        }
        all.scanned.sessions.extend(w.scanned.sessions);
        all.scanned.lines.append(w.scanned.lines);
        all.fragments.extend(w.fragments);
    }
    let fragments = std::mem::take(&mut all.fragments);
    let mut notes: Vec<(usize, Note)> = Vec::new();
    all.begin(stitched);
    stitch(
        fragments,
        |s, server, folder| {
            all.enter(slot_of(server), slots);
            all.finish(s, server, folder, plan, &ctx);
        },
        |file, note| notes.push((file, note)),
    );
    if let Some(sink) = &plan.events {
        all.hand_over(sink.as_ref(), true);
    }
    for (file, note) in notes {
        // Counted here: the scan saw these rows but left them to the stitcher.
        all.enter(slot(file), slots);
        let stats = all.scanned.tally.file(file);
        match note {
            Note::TlsRow => stats.tls_rows += 1,
            Note::Restart => stats.restarts += 1,
        }
    }
    all.park();
    let mut parts = std::mem::take(&mut all.parts);
    let mut scanned = all.scanned;
    if plan.by_server {
        for (id, mut part) in parts.into_iter().enumerate() {
            if !part.files.is_empty() {
                part.canonical();
                scanned.parts.push((id as ServerId, part));
            }
        }
    } else {
        scanned.tally = parts.pop().unwrap_or_default();
    }
    scanned.other_servers = other_servers;
    scanned.servers = servers;
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

/// Runs one unit; returns the bytes it covered, for the progress bar.
fn run<'b>(
    unit: Unit<'b>,
    inputs: &'b impl Inputs,
    folders: &[usize],
    sink: &SinkContext,
    plan: &Plan,
    worker: &mut Worker,
) -> u64 {
    let servers = sink.servers;
    let (file, bytes, direction, bounds, start, end) = match unit {
        Unit::Stream(id) => return run_stream(id, inputs, folders, sink, plan, worker),
        Unit::Iis {
            file,
            bytes,
            start,
            end,
            fields,
        } => {
            let release = |s, e| bytes.release(s, e);
            let ctx = FileCtx {
                id: file,
                folder: folders[file],
                server: servers.of_file[file],
                bounds: &Bounds::ANY,
                direction: None,
                filters: &plan.filters,
                release: &release,
                details: false,
            };
            let site = site_of(&inputs.inputs()[file].path);
            let tally = &mut worker.scanned.tally;
            let range = Range::new(&bytes, start, end);
            let stats = tally.files.entry(file).or_default();
            crate::iis::scan::scan_iis(range, fields.as_deref(), ctx, &site, &mut tally.iis, stats);
            bytes.release(start, end);
            return (end - start) as u64;
        }
        Unit::Whole(id) => {
            let Some((bytes, direction, bounds, iis)) =
                open(inputs, id, plan, &mut worker.scanned.tally)
            else {
                return inputs.inputs()[id].size;
            };
            let len = bytes.len();
            if iis {
                let bytes = Arc::new(bytes);
                let unit = Unit::Iis {
                    file: id,
                    bytes,
                    start: 0,
                    end: len,
                    fields: None,
                };
                return run(unit, inputs, folders, sink, plan, worker);
            }
            (id, Arc::new(bytes), direction, bounds, 0, len)
        }
        Unit::Part {
            file,
            bytes,
            direction,
            bounds,
            start,
            end,
        } => (file, bytes, direction, bounds, start, end),
    };
    let release = |s, e| bytes.release(s, e);
    let server = servers.of_file[file];
    let ctx = FileCtx {
        id: file,
        folder: folders[file],
        server,
        bounds: &bounds,
        direction,
        filters: &plan.filters,
        release: &release,
        details: plan.details,
    };
    worker.scanned.tally.file(file).direction = direction;
    match plan.mode {
        Mode::Tls => {
            let tally = &mut worker.scanned.tally;
            let stats = tally.files.entry(file).or_default();
            scan_range(&bytes, start, end, ctx, &mut tally.smtp, stats)
        }
        Mode::Sessions => {
            let mut stats = std::mem::take(worker.scanned.tally.file(file));
            let fragment = scan_sessions(&bytes, start, end, ctx, &mut stats, &mut |s| {
                worker.finish(s, server, folders[file], plan, sink)
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

/// `[start, end)` pieces of `chunk` bytes covering `len` bytes.
fn chunks(len: usize, chunk: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..len)
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
fn run_stream(
    id: usize,
    inputs: &impl Inputs,
    folders: &[usize],
    sink: &SinkContext,
    plan: &Plan,
    worker: &mut Worker,
) -> u64 {
    let servers = sink.servers;
    let input = &inputs.inputs()[id];
    let Some(packed) = &input.packed else {
        return 0;
    };
    let server = servers.of_file[id];
    let result = crate::archive::with_reader(packed, |reader| -> Result<(), String> {
        let mut buf = Vec::with_capacity(BLOCK + (1 << 16));
        // A stream that breaks off ends there: what came before is
        // scanned, and the error is reported with the file.
        let mut broke = None;
        let mut more = |reader: &mut dyn std::io::Read, buf: &mut Vec<u8>, want: usize| {
            fill(reader, buf, want).unwrap_or_else(|e| {
                broke = Some(e.to_string());
                true
            })
        };
        let mut ended = more(reader, &mut buf, BLOCK);
        let sniffed = sniff(&buf);
        if let Some(why) = sniffed.not_a_log {
            worker.scanned.tally.file(id).skipped = Some(match broke {
                Some(e) if buf.is_empty() => format!("cannot read: {e}"),
                _ => why,
            });
            return Ok(());
        }
        let name = input
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name
            .strip_suffix(".gz")
            .or(name.strip_suffix(".GZ"))
            .unwrap_or(&name);
        let direction = sniffed
            .direction
            .or(input.name_direction)
            .or_else(|| first_role(&buf));
        let own_time = crate::parse::name_time(name).or(sniffed.date.map(|d| (d, d)));
        let bounds = match own_time {
            Some((start, end)) => Bounds::around(start, end, plan.now_ms),
            None => Bounds::until(plan.now_ms),
        };
        let ctx = FileCtx {
            id,
            folder: folders[id],
            server,
            bounds: &bounds,
            direction,
            filters: &plan.filters,
            release: &|_, _| {},
            details: plan.details,
        };
        worker.scanned.tally.file(id).direction = direction;
        note_origin(worker.scanned.tally.file(id), input, &sniffed);
        let mut base = 0usize;
        loop {
            // Whole lines now; the rest waits for the next block (all of
            // it at the end of the stream).
            let cut = if ended {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => i + 1,
                    // One line longer than a block: read on.
                    None => {
                        let want = buf.len() + BLOCK;
                        ended = more(reader, &mut buf, want);
                        continue;
                    }
                }
            };
            let range = crate::chunk::Range::block(&buf[..cut], base, ended);
            match plan.mode {
                Mode::Tls => {
                    let tally = &mut worker.scanned.tally;
                    let stats = tally.files.entry(id).or_default();
                    crate::smtp::scan::scan_range_in(range, ctx, &mut tally.smtp, stats)
                }
                Mode::Sessions => {
                    let mut stats = std::mem::take(worker.scanned.tally.file(id));
                    let fragment =
                        crate::smtp::scan::scan_sessions_in(range, ctx, &mut stats, &mut |s| {
                            worker.finish(s, server, folders[id], plan, sink)
                        });
                    worker.scanned.tally.file(id).merge(stats);
                    if !fragment.is_empty() {
                        worker.fragments.push(fragment);
                    }
                }
            }
            if ended {
                return broke.map_or(Ok(()), Err);
            }
            base += cut;
            buf.drain(..cut);
            let want = buf.len() + BLOCK;
            ended = more(reader, &mut buf, want);
        }
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

/// Opens and sniffs a file; records why when it cannot be scanned. The
/// direction is the one rule both scans use: header, else name, else the
/// role of the file's first TLS line (else `None`: the local port decides).
/// The bounds of its record times come from its name, else `#Date:`.
/// The last value says it is an IIS log (decided here, once).
fn open<'b>(
    inputs: &'b impl Inputs,
    id: usize,
    plan: &Plan,
    tally: &mut Tally,
) -> Option<(Bytes<'b>, Option<Direction>, Bounds, bool)> {
    let bytes = match inputs.open(id, plan.mmap) {
        Ok(b) => b,
        Err(e) => {
            tally.file(id).skipped = Some(format!("cannot read: {e}"));
            return None;
        }
    };
    if is_iis(&inputs.inputs()[id], &bytes) {
        return Some((bytes, None, Bounds::ANY, true));
    }
    let sniffed = sniff(&bytes);
    if let Some(why) = sniffed.not_a_log {
        tally.file(id).skipped = Some(why);
        return None;
    }
    let input = &inputs.inputs()[id];
    note_origin(tally.file(id), input, &sniffed);
    let direction = sniffed
        .direction
        .or(input.name_direction)
        .or_else(|| first_role(&bytes));
    let name = input
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let own_time = crate::parse::name_time(&name).or(sniffed.date.map(|d| (d, d)));
    let bounds = match own_time {
        Some((start, end)) => Bounds::around(start, end, plan.now_ms),
        None => Bounds::until(plan.now_ms),
    };
    Some((bytes, direction, bounds, false))
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
