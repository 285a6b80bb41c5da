//! The hot path: find TLS rows in a byte range and fold them into a
//! [`SmtpCounts`]. No I/O: callers hand in the mapped (or read) file.
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
//!
//! Both scans decide a file's direction by one rule (see `pipeline`): the
//! `#Log-type:` header, else the file name, else the role (`_SERVER`,
//! `_CLIENT`) of the file's first TLS line; only a file with none of these
//! falls back to the local port, per row here and per session there.

use super::tally::SmtpCounts;
use crate::chunk::{FileCtx, Range, release_behind};
use crate::files::{BadRow, FileStats};
use crate::parse::fields::{self, Row, TimestampCheck};
use crate::parse::lines::{Line, for_each_line};
use crate::parse::stamp::Bounds;
use crate::parse::tls;
use crate::parse::{BOM, Stamp, endpoint};
use crate::smtp::session::stitch::{Carried, Fragment, direction_of};
use crate::smtp::session::{self, Session};
use memchr::memmem;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::LazyLock;

/// What both TLS lines hold.
const WORD: &[u8] = b"negotiation";

static NEEDLE: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(WORD));

/// The first `negotiation` in `hay`: [`NEEDLE`]'s answer, for fewer
/// instructions per byte on AVX2 (the TLS-only run is mostly this search).
#[inline]
fn find_word(hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { find_word_avx2(hay) };
    }
    NEEDLE.find(hay)
}

/// [`find_word`] on AVX2: 256 bytes a round, a candidate wherever the
/// word's `g` and its last `o` stand 7 bytes apart (on the busy corpus
/// that pair is rarer than any other of the word: every candidate of a
/// 40 MB slice was a hit), three instructions per 32 bytes, one test per
/// round. The tail, under 265 bytes, is left to `memmem`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn find_word_avx2(hay: &[u8]) -> Option<usize> {
    use std::arch::x86_64::*;
    const G: usize = 2;
    const O: usize = 9;
    const ROUND: usize = 256;
    debug_assert!(WORD[G] == b'g' && WORD[O] == b'o');
    let (g, o) = (_mm256_set1_epi8(b'g' as i8), _mm256_set1_epi8(b'o' as i8));
    let mut at = 0;
    while at + O + ROUND <= hay.len() {
        // SAFETY: every load reads 32 bytes below `at + O + ROUND`, inside
        // `hay` (checked by the loop); unaligned loads are allowed.
        let pairs = |k: usize| unsafe {
            let p = hay.as_ptr().add(at + 32 * k);
            let a = _mm256_cmpeq_epi8(_mm256_loadu_si256(p.add(G).cast()), g);
            let b = _mm256_cmpeq_epi8(_mm256_loadu_si256(p.add(O).cast()), o);
            _mm256_and_si256(a, b)
        };
        let m = [0, 1, 2, 3, 4, 5, 6, 7].map(pairs);
        let or = |a, b| _mm256_or_si256(a, b);
        let any = or(
            or(or(m[0], m[1]), or(m[2], m[3])),
            or(or(m[4], m[5]), or(m[6], m[7])),
        );
        if _mm256_testz_si256(any, any) == 0 {
            for (k, v) in m.iter().enumerate() {
                let mut bits = _mm256_movemask_epi8(*v) as u32;
                while bits != 0 {
                    let start = at + 32 * k + bits.trailing_zeros() as usize;
                    if hay[start..].starts_with(WORD) {
                        return Some(start);
                    }
                    bits &= bits - 1;
                }
            }
        }
        at += ROUND;
    }
    NEEDLE.find(&hay[at..]).map(|i| at + i)
}

/// Scans the lines that *start* in `[start, end)` of `data` (a whole file).
///
/// Chunks cut at arbitrary offsets cover each line exactly once, because
/// both ends are moved to the next line start.
pub fn scan_range(
    data: &[u8],
    start: usize,
    end: usize,
    ctx: FileCtx,
    counts: &mut SmtpCounts,
    file: &mut FileStats,
) {
    scan_range_in(Range::new(data, start, end), ctx, counts, file)
}

/// [`scan_range`] on the lines of `range`.
pub fn scan_range_in(range: Range, ctx: FileCtx, counts: &mut SmtpCounts, file: &mut FileStats) {
    let region = range.region;
    let mut pos = 0;
    let mut counted = 0;
    let mut lines = 0u64;
    let mut tls_rows = 0u64;
    let mut released = range.s;
    while let Some(h) = find_word(&region[pos..]) {
        let hit = pos + h;
        let line_start = memchr::memrchr(b'\n', &region[..hit]).map_or(0, |i| i + 1);
        release_behind(&ctx, &mut released, range.s + line_start);
        // Every line of the region is complete.
        let line_end = hit + memchr::memchr(b'\n', &region[hit..]).unwrap_or(region.len() - hit);
        lines += count_lines(&region[counted..line_start]);
        counted = line_start;
        match row(&region[line_start..line_end], ctx, counts) {
            Ok(is_tls) => tls_rows += u64::from(is_tls),
            Err(error) => file.malformed_row(BadRow {
                offset: range.at(line_start),
                chunk_start: range.chunk_start,
                line_in_chunk: lines,
                error,
            }),
        }
        pos = line_end + 1;
        if pos >= region.len() {
            break;
        }
    }
    lines += count_lines(&region[counted.min(region.len())..]);
    range.count(file, lines, tls_rows);
}

/// How many lines the row finder would hand to the parser: the prefilter
/// alone, for benchmarks.
pub fn count_candidates(data: &[u8]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while let Some(h) = find_word(&data[pos..]) {
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

/// A TLS line's time as a first or last time: none from a skewed clock.
fn seen_at(stamp: &[u8], bounds: &Bounds) -> Option<Stamp> {
    (!bounds.excludes(stamp)).then(|| Stamp::new(stamp))
}

/// Handles one candidate line: `Ok(true)` for a TLS row, `Err` when it is
/// not a well-formed row.
fn row(line: &[u8], ctx: FileCtx, counts: &mut SmtpCounts) -> Result<bool, fields::RowError> {
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
    let dir = direction_of(ctx.direction, &row);
    if let Some(neg) = tls::parse_success(context) {
        let version = tls::parse_protocol(neg.protocol).0;
        if f.time(stamp) && f.keys(dir, connector, remote_ip) {
            let seen = seen_at(stamp, ctx.bounds);
            counts.success(
                ctx.server,
                dir,
                version,
                connector,
                remote_ip,
                seen.as_ref(),
                context,
            );
        }
    } else if let Some(error) = tls::parse_failure(context) {
        if f.time(stamp) && f.keys(dir, connector, remote_ip) {
            let seen = seen_at(stamp, ctx.bounds);
            counts.failure(ctx.server, dir, connector, remote_ip, seen.as_ref(), error);
        }
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Session mode: every row of the lines that start in `[start, end)` is
/// split and folded into its session. Sessions that begin and end in the
/// range go to `finished` at once; what crosses the range's edges is
/// returned as a [`Fragment`] for [`crate::smtp::session::stitch::stitch`].
/// The range's statistics are added to `stats`.
pub fn scan_sessions(
    data: &[u8],
    start: usize,
    end: usize,
    ctx: FileCtx,
    stats: &mut FileStats,
    finished: &mut impl FnMut(Session),
) -> Fragment {
    scan_sessions_in(Range::new(data, start, end), ctx, stats, finished)
}

/// [`scan_sessions`] on the lines of `range`.
pub fn scan_sessions_in(
    range: Range,
    ctx: FileCtx,
    stats: &mut FileStats,
    finished: &mut impl FnMut(Session),
) -> Fragment {
    let (region, chunk_start) = (range.region, range.chunk_start);
    let mut joiner = Joiner {
        live: FxHashMap::default(),
        begun: FxHashSet::default(),
        fragment: Fragment {
            file: ctx.id,
            start: chunk_start as usize,
            folder: ctx.folder,
            server: ctx.server,
            direction: ctx.direction,
            bounds: *ctx.bounds,
            ..Fragment::default()
        },
        tls_rows: 0,
        stamps: TimestampCheck::default(),
    };
    let mut lines = 0u64;
    let mut released = range.s;
    for_each_line(region, |line| {
        lines += 1;
        release_behind(&ctx, &mut released, range.s + line.start);
        let text = line.text;
        // A row starts with its date: only a line that starts with white
        // space is read to its end to see whether it is blank.
        let blank =
            |t: &[u8]| t.first().is_none_or(u8::is_ascii_whitespace) && t.trim_ascii().is_empty();
        if text.first() == Some(&b'#') || blank(text) {
            return;
        }
        let plain_id = plain_key(line);
        if let Some(id) = plain_id
            && joiner.touch(id, line, &range, &ctx, stats)
        {
            return;
        }
        // A BOM mid-file: logs concatenated by hand (`cat RECV*.LOG`).
        let parsed = match text.strip_prefix(BOM) {
            Some(rest) if rest.first() == Some(&b'#') => return,
            Some(rest) => Row::parse(rest),
            None => line.row(),
        };
        // Matched by reference: moving the row out would copy it.
        let row = match &parsed {
            Ok(r) => r,
            Err(error) => {
                stats.malformed_row(BadRow {
                    offset: range.at(line.start),
                    chunk_start,
                    line_in_chunk: lines - 1,
                    error: *error,
                });
                return;
            }
        };
        stats.record(row.get(fields::DATE_TIME), range.at(line.start), ctx.bounds);
        // A plain line's id is its field as written: no need to key it twice.
        let id = plain_id.unwrap_or_else(|| session::key(row.get(fields::SESSION_ID)));
        joiner.fold(id, row, text, &ctx, stats, finished);
    });
    range.count(stats, lines, joiner.tls_rows);
    joiner.into_fragment()
}

/// The id of a line's session, keyed from its field as the line pass
/// split it, when that is the field as written: most rows need no
/// splitting beyond the commas the line pass found. On a quoted line, the
/// fields read here must be unquoted as written.
#[inline(always)]
fn plain_key(line: &Line) -> Option<u128> {
    let keys_as_written = line.is_split()
        && (!line.quoted
            || [fields::SESSION_ID, fields::SEQUENCE, fields::EVENT]
                .iter()
                .all(|&i| line.field(i).first() != Some(&b'"')));
    keys_as_written.then(|| session::key(line.field(fields::SESSION_ID)))
}

/// The sessions of one range being joined, row by row.
struct Joiner {
    /// Sessions begun in the range and not ended yet, by id.
    live: FxHashMap<u128, Session>,
    /// Ids whose row 0 the range holds.
    begun: FxHashSet<u128>,
    /// What crosses the range's edges.
    fragment: Fragment,
    tls_rows: u64,
    /// Checks the time of the rows [`Joiner::touch`] takes.
    stamps: TimestampCheck,
}

impl Joiner {
    /// A row of a live session that only moves its end time: counted and
    /// applied without splitting the row further. Returns whether it was.
    #[inline(always)]
    fn touch(
        &mut self,
        id: u128,
        line: &Line,
        range: &Range,
        ctx: &FileCtx,
        stats: &mut FileStats,
    ) -> bool {
        if let Some(session) = self.live.get_mut(&id)
            && session.is_routine(
                line.field(fields::SEQUENCE),
                line.field(fields::EVENT),
                line.field(fields::DATA),
                line.field(fields::CONTEXT),
            )
            && self.stamps.check(line.field(fields::DATE_TIME))
        {
            let stamp = line.field(fields::DATE_TIME);
            stats.record(stamp, range.at(line.start), ctx.bounds);
            session.touch(stamp);
            return true;
        }
        false
    }

    /// Folds a parsed row (`text`, as the line holds it) into its session
    /// `id`: begins it (row 0), applies it, ends it (`-`), or carries it to
    /// the stitcher when its session did not begin in this range.
    #[inline(always)]
    fn fold(
        &mut self,
        id: u128,
        row: &Row,
        text: &[u8],
        ctx: &FileCtx,
        stats: &mut FileStats,
        finished: &mut impl FnMut(Session),
    ) {
        let is_end = row.get(fields::EVENT) == b"-";
        // Row 0 always begins a session, even if the id was seen before (a
        // restarted counter, a duplicated row): deciding by the row alone,
        // never by what this chunk happened to see, keeps any split of the
        // input giving the same sessions.
        if row.get(fields::SEQUENCE) == b"0" {
            // An id that begins again while its session is open: counted
            // here and, across chunks, by the stitcher (the same count for
            // any split).
            if let Some(old) = self.live.remove(&id) {
                finished(old);
                stats.restarts += 1;
            }
            self.begun.insert(id);
            let mut session = Session::new(direction_of(ctx.direction, row), row);
            session.details = ctx.details;
            session.start_skewed = ctx.bounds.excludes(row.get(fields::DATE_TIME));
            self.tls_rows += u64::from(session.apply_within(row, ctx.bounds));
            if is_end {
                finished(session);
            } else {
                self.live.insert(id, session);
            }
        } else if let Some(session) = self.live.get_mut(&id) {
            self.tls_rows += u64::from(session.apply_within(row, ctx.bounds));
            if is_end {
                finished(self.live.remove(&id).expect("present"));
            }
        } else {
            // Not begun in this chunk. If it was, and has ended, this row
            // starts another session: the stitcher must close the older
            // one of this id first.
            if self.begun.remove(&id) {
                self.fragment.carried.push((id, Carried::Restart));
            }
            let text = text.strip_prefix(BOM).unwrap_or(text);
            self.fragment.carried.push((id, Carried::Row(text.into())));
        }
    }

    /// The fragment, with the sessions still open and the ids begun, in
    /// key order.
    fn into_fragment(self) -> Fragment {
        let mut fragment = self.fragment;
        fragment.open = self.live.into_iter().collect();
        fragment.open.sort_unstable_by_key(|(k, _)| *k);
        fragment.begun = self.begun.into_iter().collect();
        fragment.begun.sort_unstable();
        fragment
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::align;
    use crate::parse::Direction;
    use crate::parse::tls::Version;
    use crate::tally::Tally;

    const OK: &str = "2023-01-11T16:00:01.010Z,EX\\Default Frontend EX,123453EC62278461,7,10.10.10.10:25,95.10.20.33:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"";
    const FAIL: &str = "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,21,10.10.248.7:16547,216.32.181.234:25,*,,TLS negotiation failed with error UnknownCredentials";

    fn scan_all(data: &[u8], chunk: usize) -> Tally {
        let mut t = Tally::default();
        let ctx = FileCtx::new(0, None);
        let mut start = 0;
        while start < data.len() {
            scan_range(
                data,
                start,
                start + chunk,
                ctx,
                &mut t.smtp,
                t.files.entry(0).or_default(),
            );
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
        let c = &t.smtp.connector[&0][Direction::Receive.index()][&b"EX\\Default Frontend EX"[..]];
        assert_eq!(c.tls.versions[Version::Tls12.index()], 1);
        // No header, no name: the failure's direction comes from its ports.
        let s = &t.smtp.connector[&0][Direction::Send.index()][&b"Outbound to Office 365"[..]];
        assert_eq!(s.tls.failed, 1);
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
            assert_eq!(t.smtp.connector, whole.smtp.connector);
            assert_eq!(t.smtp.failure, whole.smtp.failure);
        }
    }

    #[test]
    fn unterminated_last_line_is_counted_never_parsed() {
        // Cut mid-word, it would still split into 9 fields: a failure
        // "Unkn". Whole, it would be a valid row. Neither may count.
        let cut = &FAIL[..FAIL.len() - "ownCredentials".len()];
        assert!(cut.ends_with("error Unkn"));
        for last in [cut, OK] {
            let data = format!("{OK}\r\n{last}");
            let t = scan_all(data.as_bytes(), 1 << 20);
            let f = &t.files[&0];
            assert_eq!(
                (f.tls_rows, f.malformed, f.lines, f.unterminated),
                (1, 0, 2, 1)
            );
            assert!(t.smtp.failure.is_empty());
            // The session scan agrees, for any chunk size.
            for chunk in [7, 100, 1 << 20] {
                let mut stats = FileStats::default();
                let mut start = 0;
                let mut carried = 0;
                while start < data.len() {
                    let end = (start + chunk).min(data.len());
                    let ctx = FileCtx::new(0, None);
                    let f =
                        scan_sessions(data.as_bytes(), start, end, ctx, &mut stats, &mut |_| {});
                    carried += f.carried.len();
                    start = end;
                }
                // Row 7 of a session begun elsewhere: left to the stitcher.
                assert_eq!(carried, 1, "chunk {chunk}");
                assert_eq!((stats.lines, stats.unterminated), (2, 1), "chunk {chunk}");
            }
        }
        // With its line ending, the same line is a row.
        let t = scan_all(format!("{OK}\r\n{OK}\r\n").as_bytes(), 1 << 20);
        assert_eq!((t.files[&0].tls_rows, t.files[&0].unterminated), (2, 0));
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

    /// The AVX2 search finds what `memmem` finds: the first occurrence,
    /// wherever it stands against the 128-byte rounds and the tail, with
    /// near misses (the `g`-`o` pair without the word) before it.
    #[test]
    fn find_word_is_memmem() {
        let near = b"xxgxxxxxxo negotiatio negotiaXion ";
        for len in [0usize, 10, 11, 136, 137, 138, 264, 265, 266, 300, 600, 1000] {
            for at in (0..len.max(1)).step_by(7).chain([len.saturating_sub(11)]) {
                let mut hay: Vec<u8> = near.iter().copied().cycle().take(len).collect();
                let n = NEEDLE.find(&hay);
                assert_eq!(find_word(&hay), n, "none, {len} bytes");
                if at + WORD.len() <= len {
                    hay[at..at + WORD.len()].copy_from_slice(WORD);
                    let want = NEEDLE.find(&hay);
                    assert!(want.is_some_and(|w| w <= at));
                    assert_eq!(find_word(&hay), want, "at {at} of {len}");
                }
            }
        }
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
