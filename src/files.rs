//! What was read from each file: bytes, lines, malformed rows, the time
//! its records cover. Every input kind's scan fills one per file; the
//! reports say from them what was read and what was skipped.

use crate::parse::fields::RowError;
use crate::parse::stamp::{Bounds, Key};
use crate::parse::{Direction, Service, Stamp};

/// The first malformed row of a file (the one with the lowest offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BadRow {
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// Start of the chunk it was found in, and its line index there: the
    /// absolute line number is known only after all chunks are counted.
    pub chunk_start: u64,
    pub line_in_chunk: u64,
    pub error: RowError,
}

/// What was read from one file (summed over its chunks).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileStats {
    pub bytes: u64,
    pub lines: u64,
    pub tls_rows: u64,
    pub malformed: u64,
    /// A last line without its line ending (a log still being written):
    /// counted in `lines`, never parsed.
    pub unterminated: u64,
    pub first_bad: Option<BadRow>,
    /// `(chunk start, lines in chunk)`, to turn `first_bad` into a line number.
    #[serde(with = "crate::wire::sorted")]
    pub chunks: Vec<(u64, u64)>,
    /// Set when the file was not scanned at all; says why.
    pub skipped: Option<String>,
    /// A stream that broke off (a corrupt gzip or zip entry, a bad CRC, a
    /// zip bomb): says why. What was read before is counted.
    pub error: Option<String>,
    /// An IIS log: whether its `#Fields:` name the crypt-* fields (`None`:
    /// not an IIS log).
    pub iis_crypt: Option<bool>,
    /// The file's direction, when the file says (header, name, TLS role).
    pub direction: Option<Direction>,
    /// The time the file covers: its first and last record, leaving out
    /// records with a skewed clock (session mode), as [`Key`]s.
    pub cover: Option<(Key, Key)>,
    /// Records more than a day away from the file's own time, or later
    /// than this machine's clock; the first one (lowest offset) is kept.
    pub skewed: u64,
    pub first_skewed: Option<(u64, Stamp)>,
    /// Session ids that began again while (or right after) a session of
    /// the same id was open: a restarted counter or duplicated rows.
    pub restarts: u64,
    /// The UTC days (since 1970) on which the file has records, clock skew
    /// left out, ascending: readiness needs every day of its window.
    pub days: Vec<i32>,
    /// The transport service whose log folder holds the file, by its path.
    pub service: Option<Service>,
    /// Exchange's major version, from the `#Version:` header (14 is
    /// Exchange 2010, whose default connectors differ).
    pub exchange_major: Option<u16>,
}

impl FileStats {
    pub fn merge(&mut self, other: FileStats) {
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.tls_rows += other.tls_rows;
        self.malformed += other.malformed;
        self.unterminated += other.unterminated;
        self.first_bad = match (self.first_bad, other.first_bad) {
            (Some(a), Some(b)) => Some(if a.offset <= b.offset { a } else { b }),
            (a, b) => a.or(b),
        };
        self.chunks.extend(other.chunks);
        if self.skipped.is_none() {
            self.skipped = other.skipped;
        }
        self.direction = self.direction.or(other.direction);
        if self.error.is_none() {
            self.error = other.error;
        }
        self.iis_crypt = match (self.iis_crypt, other.iis_crypt) {
            (Some(a), Some(b)) => Some(a || b),
            (a, b) => a.or(b),
        };
        self.cover = match (self.cover, other.cover) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        self.skewed += other.skewed;
        self.first_skewed = match (self.first_skewed, other.first_skewed) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        self.restarts += other.restarts;
        for day in other.days {
            self.add_day(day);
        }
        self.service = self.service.or(other.service);
        self.exchange_major = self.exchange_major.or(other.exchange_major);
    }

    /// Takes `day` into [`FileStats::days`], keeping them sorted.
    fn add_day(&mut self, day: i32) {
        if let Err(at) = self.days.binary_search(&day) {
            self.days.insert(at, day);
        }
    }

    /// Takes the day of a record key into [`FileStats::days`]: called only
    /// when the key's day differs from the days at the covered span's ends.
    #[cold]
    fn note_day(&mut self, k: &Key) {
        if let Some(ms) = Stamp::from_key(k).millis() {
            self.add_day(ms.div_euclid(86_400_000) as i32);
        }
    }

    /// The first record (clock skew left out).
    pub fn first_record(&self) -> Option<Stamp> {
        self.cover.map(|c| Stamp::from_key(&c.0))
    }

    /// The last record (clock skew left out).
    pub fn last_record(&self) -> Option<Stamp> {
        self.cover.map(|c| Stamp::from_key(&c.1))
    }

    /// Takes a record's time into the file's coverage, unless it lies
    /// outside `bounds` (then it is counted as skewed). Times not in
    /// Exchange's 24-byte form are no evidence of coverage either way.
    /// Returns whether the time was taken (fits the bounds).
    #[inline(always)]
    pub fn record(&mut self, stamp: &[u8], offset: u64, bounds: &Bounds) -> bool {
        let Some(k) = crate::parse::stamp::key(stamp) else {
            return false;
        };
        // Records come in time order: most are past the last one, so one
        // comparison with it and one with the upper bound decide. Inside
        // what is covered is inside the bounds (they are an interval).
        // A key's day is its first ten bytes: the first word and the top
        // two bytes of the second. A day not at either end of the span is
        // new only where the span crosses midnight, which is rare.
        let day = |k: &Key| (k[0], k[1] >> 48);
        let mut new_day = false;
        let fits = match &mut self.cover {
            Some((first, last)) => {
                if k > *last {
                    let ok = k <= bounds.to;
                    if ok {
                        new_day = day(&k) != day(last);
                        *last = k;
                    }
                    ok
                } else if k < *first {
                    let ok = k >= bounds.from;
                    if ok {
                        new_day = day(&k) != day(first);
                        *first = k;
                    }
                    ok
                } else {
                    new_day = day(&k) != day(last) && day(&k) != day(first);
                    true
                }
            }
            None => {
                let ok = bounds.from <= k && k <= bounds.to;
                if ok {
                    self.cover = Some((k, k));
                    new_day = true;
                }
                ok
            }
        };
        if new_day {
            self.note_day(&k);
        }
        if !fits {
            self.skew(offset, stamp);
        }
        fits
    }

    #[cold]
    fn skew(&mut self, offset: u64, stamp: &[u8]) {
        self.skewed += 1;
        if self.first_skewed.is_none_or(|(o, _)| offset < o) {
            self.first_skewed = Some((offset, Stamp::new(stamp)));
        }
    }

    /// Records a malformed row; the first one (lowest offset) is kept.
    pub fn malformed_row(&mut self, bad: BadRow) {
        self.malformed += 1;
        if self.first_bad.is_none_or(|b| bad.offset < b.offset) {
            self.first_bad = Some(bad);
        }
    }

    /// 1-based line number of the first malformed row.
    /// The same stats as if the file had been read in one chunk: what a
    /// partial result writes, whatever the chunk size.
    pub fn one_chunk(&mut self) {
        if let (Some(line), Some(bad)) = (self.first_bad_line(), self.first_bad.as_mut()) {
            bad.chunk_start = 0;
            bad.line_in_chunk = line - 1;
        }
        let lines = self.chunks.iter().map(|(_, n)| n).sum();
        self.chunks = vec![(0, lines)];
    }

    /// Takes the half-written last line (`len` bytes from offset `at`)
    /// out of these stats, and returns it as stats of its own: what a
    /// `--state` run leaves for the next run to read whole.
    pub(crate) fn split_unterminated(&mut self, at: u64, len: u64) -> FileStats {
        self.bytes -= len;
        self.lines -= 1;
        self.unterminated -= 1;
        if let Some(last) = self.chunks.iter_mut().max_by_key(|(start, _)| *start) {
            last.1 -= 1;
        }
        FileStats {
            bytes: len,
            lines: 1,
            unterminated: 1,
            chunks: vec![(at, 1)],
            ..FileStats::default()
        }
    }

    pub fn first_bad_line(&self) -> Option<u64> {
        let bad = self.first_bad?;
        let before: u64 = self
            .chunks
            .iter()
            .filter(|(start, _)| *start < bad.chunk_start)
            .map(|(_, lines)| lines)
            .sum();
        Some(before + bad.line_in_chunk + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bad_line_spans_chunks() {
        let mut a = FileStats {
            chunks: vec![(0, 10)],
            ..Default::default()
        };
        let b = FileStats {
            chunks: vec![(100, 7)],
            malformed: 1,
            first_bad: Some(BadRow {
                offset: 150,
                chunk_start: 100,
                line_in_chunk: 2,
                error: RowError::FieldCount(3),
            }),
            ..Default::default()
        };
        a.merge(b);
        assert_eq!(a.first_bad_line(), Some(13));
    }
}
