//! The hot path: find TLS rows in a byte range and fold them into a
//! [`Tally`]. No I/O: callers hand in the mapped (or read) file.
//!
//! Rather than split every row, one `memmem` search looks for
//! `" negotiation "`, which both TLS lines contain
//! (`TLS protocol … negotiation succeeded`, `TLS negotiation failed …`) and
//! almost nothing else does. Only the lines around a hit are split into
//! fields. Newlines are counted between hits, while those bytes are still
//! in cache, for the line statistics.

use crate::parse::fields::{self, Row};
use crate::parse::tls;
use crate::parse::{BOM, Direction, endpoint};
use crate::tally::{BadRow, Tally};
use memchr::memmem;
use std::sync::LazyLock;

static NEEDLE: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"negotiation"));

/// What the scanner needs to know about the file a range comes from.
#[derive(Clone, Copy, Debug)]
pub struct FileCtx {
    /// Index of the file in the input list.
    pub id: usize,
    /// From the `#Log-type:` header or the file name; `None` leaves it to
    /// each TLS row's `_SERVER`/`_CLIENT` role.
    pub direction: Option<Direction>,
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

/// Scans the lines that *start* in `[start, end)` of `data` (a whole file).
///
/// Chunks cut at arbitrary offsets cover each line exactly once, because
/// both ends are moved to the next line start.
pub fn scan_range(data: &[u8], start: usize, end: usize, ctx: FileCtx, tally: &mut Tally) {
    let mut s = align(data, start);
    let e = align(data, end);
    let chunk_start = s as u64;
    if s == 0 && data.starts_with(BOM) {
        s = BOM.len();
    }
    let region = &data[s.min(e)..e];
    let at_file_end = e == data.len();

    let mut pos = 0;
    let mut counted = 0;
    let mut lines = 0u64;
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
        if let Err(error) = row(line, ctx, tally)
            && complete
        {
            let stats = tally.file(ctx.id);
            stats.malformed += 1;
            let offset = (s + line_start) as u64;
            if stats.first_bad.is_none_or(|b| offset < b.offset) {
                stats.first_bad = Some(BadRow {
                    offset,
                    chunk_start,
                    line_in_chunk: lines,
                    error,
                });
            }
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

fn count_lines(bytes: &[u8]) -> u64 {
    // bytecount's AVX2 path measured ~30% faster than memchr's count here.
    bytecount::count(bytes, b'\n') as u64
}

/// Handles one candidate line. `Err` means it is not a well-formed row.
fn row(line: &[u8], ctx: FileCtx, tally: &mut Tally) -> Result<(), fields::RowError> {
    if line.first() == Some(&b'#') {
        return Ok(());
    }
    let row = Row::parse(line)?;
    if row.get(fields::EVENT) != b"*" {
        return Ok(()); // peer text that happens to contain the word
    }
    let context = row.get(fields::CONTEXT);
    let connector = row.get(fields::CONNECTOR_ID);
    let remote_ip = endpoint::ip(row.get(fields::REMOTE_ENDPOINT));
    let stamp = row.get(fields::DATE_TIME);
    if let Some(neg) = tls::parse_success(context) {
        let (version, role) = tls::parse_protocol(neg.protocol);
        let dir = direction(ctx, role, &row);
        tally.file(ctx.id).tls_rows += 1;
        tally.success(dir, version, connector, remote_ip, stamp, context);
    } else if let Some(error) = tls::parse_failure(context) {
        let dir = direction(ctx, None, &row);
        tally.file(ctx.id).tls_rows += 1;
        tally.failure(dir, connector, remote_ip, stamp, error);
    }
    Ok(())
}

fn direction(ctx: FileCtx, role: Option<tls::Role>, row: &Row) -> Direction {
    ctx.direction
        .or(role.map(Direction::from_role))
        .unwrap_or_else(|| Direction::from_ports(row.get(fields::LOCAL_ENDPOINT)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::tls::Version;

    const OK: &str = "2023-01-11T16:00:01.010Z,EX\\Default Frontend EX,123453EC62278461,7,10.10.10.10:25,95.10.20.33:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"";
    const FAIL: &str = "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,21,10.10.248.7:16547,216.32.181.234:25,*,,TLS negotiation failed with error UnknownCredentials";

    fn scan_all(data: &[u8], chunk: usize) -> Tally {
        let mut t = Tally::default();
        let ctx = FileCtx {
            id: 0,
            direction: None,
        };
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
