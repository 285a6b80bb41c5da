//! The hot path: find TLS rows in a byte range and fold them into a
//! [`Tally`]. No I/O: callers hand in the mapped (or read) file.
//!
//! Rather than split every row, one `memmem` search looks for
//! `negotiation`, which both TLS lines contain
//! (`TLS protocol … negotiation succeeded`, `TLS negotiation failed …`) and
//! almost nothing else does. Only the lines around a hit are split into
//! fields. Newlines are counted between hits, while those bytes are still
//! in cache, for the line statistics.
//!
//! Session mode ([`scan_sessions`]) splits every row instead, since a
//! session's plaintext or EHLO is in rows the TLS search never sees.

use crate::filter::Filters;
use crate::parse::fields::{self, Row, RowError};
use crate::parse::tls;
use crate::parse::{BOM, Direction, endpoint};
use crate::session::Session;
use crate::tally::{BadRow, Keep, Tally};
use memchr::memmem;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::LazyLock;

static NEEDLE: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"negotiation"));

/// What the scanner needs to know about the file a range comes from.
#[derive(Clone, Copy, Debug)]
pub struct FileCtx<'a> {
    /// Index of the file in the input list.
    pub id: usize,
    /// Index of the file's folder: sessions are keyed by (folder, id).
    pub folder: usize,
    /// From the `#Log-type:` header or the file name; `None` leaves it to
    /// each TLS row's `_SERVER`/`_CLIENT` role.
    pub direction: Option<Direction>,
    pub filters: &'a Filters,
}

/// No filters: keep every record.
pub static NO_FILTERS: Filters = Filters {
    since: None,
    until: None,
    connector: None,
    direction: None,
    remote: None,
    exclude_internal: false,
};

impl FileCtx<'static> {
    /// A file with no filters applied (tests, benchmarks, examples).
    pub fn new(id: usize, direction: Option<Direction>) -> FileCtx<'static> {
        FileCtx {
            id,
            folder: 0,
            direction,
            filters: &NO_FILTERS,
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
/// skipped at the start of the file.
struct Range<'a> {
    /// First byte scanned, and the end (both line starts).
    s: usize,
    e: usize,
    /// Where the chunk begins, for line numbers and byte counts.
    chunk_start: u64,
    region: &'a [u8],
    /// Only the file's last line may lack its `\n`.
    at_file_end: bool,
}

impl<'a> Range<'a> {
    fn new(data: &'a [u8], start: usize, end: usize) -> Range<'a> {
        let mut s = align(data, start);
        let e = align(data, end);
        let chunk_start = s as u64;
        if s == 0 && data.starts_with(BOM) {
            s = BOM.len();
        }
        Range {
            s,
            e,
            chunk_start,
            region: &data[s.min(e)..e],
            at_file_end: e == data.len(),
        }
    }
}

/// Scans the lines that *start* in `[start, end)` of `data` (a whole file).
///
/// Chunks cut at arbitrary offsets cover each line exactly once, because
/// both ends are moved to the next line start.
pub fn scan_range(data: &[u8], start: usize, end: usize, ctx: FileCtx, tally: &mut Tally) {
    let Range {
        s,
        e,
        chunk_start,
        region,
        at_file_end,
    } = Range::new(data, start, end);

    let mut pos = 0;
    let mut counted = 0;
    let mut lines = 0u64;
    let mut tls_rows = 0u64;
    while let Some(h) = NEEDLE.find(&region[pos..]) {
        let hit = pos + h;
        let line_start = memchr::memrchr(b'\n', &region[..hit]).map_or(0, |i| i + 1);
        let (line_end, complete) = match memchr::memchr(b'\n', &region[hit..]) {
            Some(i) => (hit + i, true),
            // Only the file's last line can lack its `\n`; a log still being
            // written may have cut it anywhere.
            None => (region.len(), !at_file_end),
        };
        lines += count_lines(&region[counted..line_start]);
        counted = line_start;
        let line = &region[line_start..line_end];
        match row(line, ctx, tally) {
            Ok(is_tls) => tls_rows += u64::from(is_tls),
            Err(error) if complete => malformed(
                tally,
                ctx,
                (s + line_start) as u64,
                chunk_start,
                lines,
                error,
            ),
            Err(_) => {}
        }
        pos = (line_end + 1).min(region.len());
        if pos >= region.len() {
            break;
        }
    }
    lines += count_lines(&region[counted..]);
    if region.last().is_some_and(|&b| b != b'\n') {
        lines += 1;
    }
    let stats = tally.file(ctx.id);
    stats.bytes += (e - chunk_start as usize) as u64;
    stats.lines += lines;
    stats.tls_rows += tls_rows;
    stats.chunks.push((chunk_start, lines));
}

/// How many lines the row finder would hand to the parser: the prefilter
/// alone, for benchmarks.
pub fn count_candidates(data: &[u8]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while let Some(h) = NEEDLE.find(&data[pos..]) {
        n += 1;
        pos += h;
        pos = match memchr::memchr(b'\n', &data[pos..]) {
            Some(i) => pos + i + 1,
            None => break,
        };
    }
    n
}

fn malformed(
    tally: &mut Tally,
    ctx: FileCtx,
    offset: u64,
    chunk_start: u64,
    line: u64,
    error: RowError,
) {
    let stats = tally.file(ctx.id);
    stats.malformed += 1;
    if stats.first_bad.is_none_or(|b| offset < b.offset) {
        stats.first_bad = Some(BadRow {
            offset,
            chunk_start,
            line_in_chunk: line,
            error,
        });
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    // bytecount's AVX2 path measured ~30% faster than memchr's count here.
    bytecount::count(bytes, b'\n') as u64
}

/// Handles one candidate line: `Ok(true)` for a TLS row, `Err` when it is
/// not a well-formed row.
fn row(line: &[u8], ctx: FileCtx, tally: &mut Tally) -> Result<bool, fields::RowError> {
    if line.first() == Some(&b'#') {
        return Ok(false);
    }
    let row = Row::parse(line)?;
    if row.get(fields::EVENT) != b"*" {
        return Ok(false); // peer text that happens to contain the word
    }
    let context = row.get(fields::CONTEXT);
    let connector = row.get(fields::CONNECTOR_ID);
    let remote_ip = endpoint::ip(row.get(fields::REMOTE_ENDPOINT));
    let stamp = row.get(fields::DATE_TIME);
    let f = ctx.filters;
    if let Some(neg) = tls::parse_success(context) {
        let (version, role) = tls::parse_protocol(neg.protocol);
        let dir = direction(ctx, role, &row);
        if f.time(stamp) && f.keys(dir, connector, remote_ip) {
            tally.success(dir, version, connector, remote_ip, stamp, context);
        }
    } else if let Some(error) = tls::parse_failure(context) {
        let dir = direction(ctx, None, &row);
        if f.time(stamp) && f.keys(dir, connector, remote_ip) {
            tally.failure(dir, connector, remote_ip, stamp, error);
        }
    } else {
        return Ok(false);
    }
    Ok(true)
}

fn direction(ctx: FileCtx, role: Option<tls::Role>, row: &Row) -> Direction {
    ctx.direction
        .or(role.map(Direction::from_role))
        .unwrap_or_else(|| Direction::from_ports(row.get(fields::LOCAL_ENDPOINT)))
}

/// What one chunk leaves for the stitching step: rows of sessions that
/// began before it, and sessions that began in it but did not end.
#[derive(Debug)]
pub struct SessionUnit {
    pub file: usize,
    pub start: usize,
    pub folder: usize,
    pub direction: Option<Direction>,
    /// `(session key, line)` in file order, for sessions begun earlier.
    pub continued: Vec<(u64, Vec<u8>)>,
    /// Sessions begun here and still open at the chunk's end.
    pub open: Vec<(u64, Session)>,
}

/// A session-id as a number: 16 hex digits parse; anything else is hashed
/// (IDs are opaque; only equality matters).
pub fn session_key(id: &[u8]) -> u64 {
    // Hex digit values; 0xFF marks a byte that is not one.
    const HEX: [u8; 256] = {
        let mut t = [0xFF; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'A' as usize + i] = 10 + i as u8;
            t[b'a' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    if id.len() == 16 {
        let mut n = 0u64;
        let mut bad = 0u8;
        for &c in id {
            let v = HEX[c as usize];
            bad |= v;
            n = n << 4 | u64::from(v & 0x0F);
        }
        // Any 0xFF sets the high bits, which no digit value has.
        if bad & 0xF0 == 0 {
            return n;
        }
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(id);
    // A hashed ID could equal a hex one only by a 1-in-2^64 chance.
    h.finish()
}

/// The session direction of a row when the file does not say.
pub fn session_direction(direction: Option<Direction>, row: &Row) -> Direction {
    direction.unwrap_or_else(|| Direction::from_ports(row.get(fields::LOCAL_ENDPOINT)))
}

/// Session mode: every row of the lines that start in `[start, end)` is
/// split and folded into its session. Sessions that begin and end in the
/// range are counted at once; the rest go to `tally.pending`.
pub fn scan_sessions(
    data: &[u8],
    start: usize,
    end: usize,
    ctx: FileCtx,
    keep: Keep,
    tally: &mut Tally,
) {
    let Range {
        s,
        e,
        chunk_start,
        region,
        at_file_end,
    } = Range::new(data, start, end);
    let mut live: FxHashMap<u64, Session> = FxHashMap::default();
    let mut begun_before: FxHashSet<u64> = FxHashSet::default();
    let mut unit = SessionUnit {
        file: ctx.id,
        start: chunk_start as usize,
        folder: ctx.folder,
        direction: ctx.direction,
        continued: Vec::new(),
        open: Vec::new(),
    };
    let mut lines = 0u64;
    let mut tls_rows = 0u64;
    let mut pos = 0;
    while pos < region.len() {
        let (line_end, next, complete) = match memchr::memchr(b'\n', &region[pos..]) {
            Some(i) => (pos + i, pos + i + 1, true),
            None => (region.len(), region.len(), !at_file_end),
        };
        let line = &region[pos..line_end];
        let line_start = pos;
        pos = next;
        lines += 1;
        // A BOM mid-file: logs concatenated by hand (`cat RECV*.LOG`).
        let line = line.strip_prefix(BOM).unwrap_or(line);
        if line.first() == Some(&b'#') || line.trim_ascii().is_empty() {
            continue;
        }
        let row = match Row::parse(line) {
            Ok(r) => r,
            Err(error) => {
                if complete {
                    malformed(
                        tally,
                        ctx,
                        (s + line_start) as u64,
                        chunk_start,
                        lines - 1,
                        error,
                    );
                }
                continue;
            }
        };
        let is_end = row.get(fields::EVENT) == b"-";
        let key = session_key(row.get(fields::SESSION_ID));
        // Row 0 always begins a session, even if the id was seen before (a
        // restarted counter, a duplicated row): deciding by the row alone,
        // never by what this chunk happened to see, keeps any split of the
        // input giving the same sessions (found by the fuzzer).
        if row.get(fields::SEQUENCE) == b"0" {
            if let Some(old) = live.remove(&key) {
                tally.finish_session(old, ctx.filters, keep);
            }
            begun_before.remove(&key);
            let mut session = Session::new(session_direction(ctx.direction, &row), &row);
            tls_rows += u64::from(session.apply(&row));
            if is_end {
                tally.finish_session(session, ctx.filters, keep);
            } else {
                live.insert(key, session);
            }
        } else if let Some(session) = live.get_mut(&key) {
            tls_rows += u64::from(session.apply(&row));
            if is_end {
                let done = live.remove(&key).expect("present");
                tally.finish_session(done, ctx.filters, keep);
            }
        } else {
            begun_before.insert(key);
            unit.continued.push((key, line.to_vec()));
        }
    }
    let stats = tally.file(ctx.id);
    stats.bytes += (e - chunk_start as usize) as u64;
    stats.lines += lines;
    stats.tls_rows += tls_rows;
    stats.chunks.push((chunk_start, lines));
    if !live.is_empty() || !unit.continued.is_empty() {
        unit.open = live.into_iter().collect();
        unit.open.sort_by_key(|(k, _)| *k);
        tally.pending.push(unit);
    }
}

/// Joins the fragments left by [`scan_sessions`] in file order (sessions
/// cross chunks and files of one folder) and counts every session; those
/// still open at the end of the input are counted as incomplete.
pub fn stitch(tally: &mut Tally, filters: &Filters, keep: Keep) {
    let mut pending = std::mem::take(&mut tally.pending);
    pending.sort_by_key(|u| (u.file, u.start));
    let mut open: FxHashMap<(usize, u64), Session> = FxHashMap::default();
    for unit in pending {
        for (key, line) in unit.continued {
            let row = Row::parse(&line).expect("this line parsed during the scan");
            let k = (unit.folder, key);
            let session = open
                .entry(k)
                .or_insert_with(|| Session::new(session_direction(unit.direction, &row), &row));
            // Counted here: the scan saw this row but left it to us.
            tally.file(unit.file).tls_rows += u64::from(session.apply(&row));
            if row.get(fields::EVENT) == b"-" {
                let done = open.remove(&k).expect("present");
                tally.finish_session(done, filters, keep);
            }
        }
        for (key, session) in unit.open {
            if let Some(old) = open.insert((unit.folder, key), session) {
                tally.finish_session(old, filters, keep);
            }
        }
    }
    let mut rest: Vec<_> = open.into_iter().collect();
    rest.sort_by_key(|(k, _)| *k);
    for (_, session) in rest {
        tally.finish_session(session, filters, keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::tls::Version;

    const OK: &str = "2023-01-11T16:00:01.010Z,EX\\Default Frontend EX,123453EC62278461,7,10.10.10.10:25,95.10.20.33:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"";
    const FAIL: &str = "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,21,10.10.248.7:16547,216.32.181.234:25,*,,TLS negotiation failed with error UnknownCredentials";

    fn scan_all(data: &[u8], chunk: usize) -> Tally {
        let mut t = Tally::default();
        let ctx = FileCtx::new(0, None);
        let mut start = 0;
        while start < data.len() {
            scan_range(data, start, start + chunk, ctx, &mut t);
            start += chunk;
        }
        t
    }

    #[test]
    fn counts_success_failure_and_lines() {
        let data = format!("\u{feff}#Fields: x\r\n{OK}\r\n{FAIL}\r\nplain line\r\n");
        let t = scan_all(data.as_bytes(), 1 << 20);
        let f = &t.files[&0];
        assert_eq!(f.lines, 4);
        assert_eq!(f.tls_rows, 2);
        assert_eq!(f.malformed, 0);
        assert_eq!(f.bytes, data.len() as u64);
        let c = t.connector[Direction::Receive.index()][&b"EX\\Default Frontend EX"[..]];
        assert_eq!(c.versions[Version::Tls12.index()], 1);
        // No header, no name: the failure's direction comes from its ports.
        let s = t.connector[Direction::Send.index()][&b"Outbound to Office 365"[..]];
        assert_eq!(s.failed, 1);
    }

    #[test]
    fn any_chunk_size_gives_the_same_counts() {
        let mut data = String::new();
        for i in 0..50 {
            data.push_str(if i % 3 == 0 { FAIL } else { OK });
            data.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
            data.push_str("2024-01-01T00:00:00.000Z,C,S,1,a:25,b:1,<,EHLO x,\r\n");
        }
        let whole = scan_all(data.as_bytes(), 1 << 20);
        for chunk in [1, 7, 64, 333, 1000] {
            let t = scan_all(data.as_bytes(), chunk);
            assert_eq!(t.files[&0].lines, whole.files[&0].lines, "chunk {chunk}");
            assert_eq!(t.files[&0].tls_rows, 50);
            assert_eq!(t.files[&0].bytes, data.len() as u64);
            assert_eq!(t.connector, whole.connector);
            assert_eq!(t.failure, whole.failure);
        }
    }

    #[test]
    fn partial_last_line_is_ignored_complete_one_counted() {
        let cut = &OK[..OK.len() - 20];
        let t = scan_all(format!("{OK}\r\n{cut}").as_bytes(), 1 << 20);
        assert_eq!(t.files[&0].tls_rows, 1);
        assert_eq!(t.files[&0].malformed, 0);
        assert_eq!(t.files[&0].lines, 2);
        let t = scan_all(format!("{OK}\r\n{OK}").as_bytes(), 1 << 20);
        assert_eq!(t.files[&0].tls_rows, 2);
    }

    #[test]
    fn malformed_tls_row_is_counted_with_its_line() {
        let data = format!("{OK}\r\nbroken, TLS negotiation failed\r\n{OK}\r\n");
        let t = scan_all(data.as_bytes(), 1 << 20);
        let f = &t.files[&0];
        assert_eq!(f.malformed, 1);
        assert_eq!(f.tls_rows, 2);
        assert_eq!(f.first_bad_line(), Some(2));
    }

    #[test]
    fn peer_text_and_comments_are_not_tls_rows() {
        let data = "#note TLS negotiation failed\r\n2024-01-01T00:00:00.000Z,C,S,1,a:25,b:1,<,EHLO TLS negotiation failed with error X,\r\n";
        let t = scan_all(data.as_bytes(), 1 << 20);
        assert_eq!(t.files[&0].tls_rows, 0);
        assert_eq!(t.files[&0].malformed, 0);
    }

    #[test]
    fn align_moves_to_line_starts() {
        let d = b"ab\ncd\nef";
        assert_eq!(align(d, 0), 0);
        assert_eq!(align(d, 1), 3);
        assert_eq!(align(d, 3), 3);
        assert_eq!(align(d, 4), 6);
        assert_eq!(align(d, 99), 8);
    }
}
