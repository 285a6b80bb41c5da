//! What every scan shares: the file a byte range comes from
//! ([`FileCtx`]), the range moved to whole lines ([`Range`]), and giving
//! read bytes back to the system as the scan goes.

use crate::files::FileStats;
use crate::filter::Filters;
use crate::parse::stamp::Bounds;
use crate::parse::{BOM, Direction};
use crate::servers::ServerId;

/// What the scanner needs to know about the file a range comes from.
#[derive(Clone, Copy)]
pub struct FileCtx<'a> {
    /// Index of the file in the input list.
    pub id: usize,
    /// Index of the file's folder: sessions are keyed by (folder, id).
    pub folder: usize,
    /// The server that wrote the file (see [`crate::servers`]).
    pub server: ServerId,
    /// Record times the file may hold; others are clock skew.
    pub bounds: &'a Bounds,
    /// The file's direction (header, name, or the role of its first TLS
    /// line); `None` leaves it to the local port of each row or session.
    pub direction: Option<Direction>,
    pub filters: &'a Filters,
    /// Called with `[start, end)` of the file once those bytes are read, a
    /// few MB at a time: a mapped file's pages can then leave this
    /// process's memory while the chunk is still being scanned.
    pub release: &'a (dyn Fn(usize, usize) + Sync),
    /// Sessions are kept or written out (the session report): read the
    /// rows only that report shows (certificates, the disconnect reason).
    pub details: bool,
}

/// How far the scan gets between two calls of [`FileCtx::release`].
const RELEASE_STEP: usize = 4 << 20;

/// Calls `ctx.release` once `at` is a step past `done`.
#[inline]
pub(crate) fn release_behind(ctx: &FileCtx, done: &mut usize, at: usize) {
    if at - *done >= RELEASE_STEP {
        (ctx.release)(*done, at);
        *done = at;
    }
}

/// No filters: keep every record.
pub static NO_FILTERS: Filters = Filters {
    since: None,
    until: None,
    connector: Vec::new(),
    direction: None,
    remote: Vec::new(),
    exclude_remote: Vec::new(),
    ehlo: None,
    exclude_internal: false,
};

impl FileCtx<'static> {
    /// A file with no filters applied (tests, benchmarks, examples).
    pub fn new(id: usize, direction: Option<Direction>) -> FileCtx<'static> {
        FileCtx {
            id,
            folder: 0,
            server: 0,
            bounds: &Bounds::ANY,
            direction,
            filters: &NO_FILTERS,
            release: &|_, _| {},
            details: true,
        }
    }
}

/// First line start at or after `pos` (a line starts at 0 or after `\n`).
pub fn align(data: &[u8], pos: usize) -> usize {
    if pos == 0 || pos >= data.len() {
        return pos.min(data.len());
    }
    if data[pos - 1] == b'\n' {
        return pos;
    }
    match memchr::memchr(b'\n', &data[pos..]) {
        Some(i) => pos + i + 1,
        None => data.len(),
    }
}

/// The lines of a chunk: `[start, end)` moved to line starts, the BOM
/// skipped at the start of the file, and a half-written last line (no
/// line ending at the end of the file) set aside.
pub struct Range<'a> {
    /// Where `data` starts in the file (a block of a stream; 0 for a
    /// whole file).
    base: usize,
    /// First byte scanned, and the end (both line starts), in `data`.
    pub(crate) s: usize,
    e: usize,
    /// Where the chunk begins, for line numbers and byte counts.
    pub(crate) chunk_start: u64,
    /// Complete lines only.
    pub(crate) region: &'a [u8],
    /// The file ends in a line without its line ending, inside this chunk:
    /// a log still being written may have cut it anywhere, so it is counted
    /// as a line but never parsed.
    unterminated: bool,
}

impl<'a> Range<'a> {
    pub(crate) fn new(data: &'a [u8], start: usize, end: usize) -> Range<'a> {
        let mut s = align(data, start);
        let e = align(data, end);
        let chunk_start = s as u64;
        if s == 0 && data.starts_with(BOM) {
            s = BOM.len();
        }
        let mut region = &data[s.min(e)..e];
        let unterminated = e == data.len() && region.last().is_some_and(|&b| b != b'\n');
        if unterminated {
            let keep = memchr::memrchr(b'\n', region).map_or(0, |i| i + 1);
            region = &region[..keep];
        }
        Range {
            base: 0,
            s,
            e,
            chunk_start,
            region,
            unterminated,
        }
    }

    /// A block of a stream (a decompressed file): `data` holds whole lines
    /// starting at byte `base` of the file; the `last` block may end in a
    /// line without its line ending.
    pub fn block(data: &'a [u8], base: usize, last: bool) -> Range<'a> {
        let s = if base == 0 && data.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut region = &data[s.min(data.len())..];
        let unterminated = last && region.last().is_some_and(|&b| b != b'\n');
        if unterminated {
            let keep = memchr::memrchr(b'\n', region).map_or(0, |i| i + 1);
            region = &region[..keep];
        }
        Range {
            base,
            s,
            e: data.len(),
            chunk_start: base as u64,
            region,
            unterminated,
        }
    }

    /// The file offset of byte `local` of the region.
    pub(crate) fn at(&self, local: usize) -> u64 {
        (self.base + self.s + local) as u64
    }

    /// Adds the range's size and line counts to `stats`.
    pub(crate) fn count(&self, stats: &mut FileStats, lines: u64, tls_rows: u64) {
        let lines = lines + u64::from(self.unterminated);
        stats.bytes += (self.base + self.e) as u64 - self.chunk_start;
        stats.lines += lines;
        stats.unterminated += u64::from(self.unterminated);
        stats.tls_rows += tls_rows;
        stats.chunks.push((self.chunk_start, lines));
    }
}
