//! Mergeable TLS tallies: what each worker folds rows into.
//!
//! Keys stay as the bytes the log wrote; names are normalised and sorted
//! only once, when reports are built (`report::Reports::build`). Every
//! piece has a `Default` identity and a `merge`, so rayon can fold per
//! worker and reduce without a lock.

use crate::filter::Filters;
use crate::parse::Direction;
use crate::parse::fields::RowError;
use crate::parse::tls::Version;
use crate::session::{Class, Session, TlsEvent};
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// Successful negotiations by version, plus failed ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VersionCounts {
    pub versions: [u64; 7],
    pub failed: u64,
}

impl VersionCounts {
    pub fn add(&mut self, other: &VersionCounts) {
        for (a, b) in self.versions.iter_mut().zip(other.versions) {
            *a += b;
        }
        self.failed += other.failed;
    }

    /// All negotiations, successful and failed.
    pub fn total(&self) -> u64 {
        self.versions.iter().sum::<u64>() + self.failed
    }

    /// Successful negotiations below TLS 1.2.
    pub fn legacy(&self) -> u64 {
        Version::ALL
            .iter()
            .filter(|v| v.is_legacy())
            .map(|v| self.versions[v.index()])
            .sum()
    }
}

/// A `date-time` value kept inline: rows are ISO text of fixed width, so
/// byte order is time order and no allocation is needed per update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u8,
    buf: [u8; 40],
}

impl Stamp {
    /// `text` is at most 40 bytes (checked by the row splitter); longer
    /// text is cut, which cannot happen for a row that parsed.
    pub fn new(text: &[u8]) -> Stamp {
        let n = text.len().min(40);
        let mut buf = [0; 40];
        buf[..n].copy_from_slice(&text[..n]);
        Stamp { len: n as u8, buf }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

// Order by text (ISO time stamps sort as time), not by the derived field order.
impl Ord for Stamp {
    fn cmp(&self, other: &Stamp) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Stamp) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Counts for one remote IP, with the time span of its TLS rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteCounts {
    pub counts: VersionCounts,
    pub first_seen: Stamp,
    pub last_seen: Stamp,
}

impl RemoteCounts {
    fn new(stamp: Stamp) -> RemoteCounts {
        RemoteCounts {
            counts: VersionCounts::default(),
            first_seen: stamp,
            last_seen: stamp,
        }
    }

    fn see(&mut self, stamp: &[u8]) {
        if stamp < self.first_seen.as_bytes() {
            self.first_seen = Stamp::new(stamp);
        }
        if stamp > self.last_seen.as_bytes() {
            self.last_seen = Stamp::new(stamp);
        }
    }

    fn add(&mut self, other: &RemoteCounts) {
        self.counts.add(&other.counts);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}

/// Key of the failure report, as bytes from the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FailureKey {
    pub direction: Direction,
    pub connector: Vec<u8>,
    pub remote_ip: Vec<u8>,
    pub error: Vec<u8>,
}

/// The first malformed row of a file (the one with the lowest offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    pub bytes: u64,
    pub lines: u64,
    pub tls_rows: u64,
    pub malformed: u64,
    pub first_bad: Option<BadRow>,
    /// `(chunk start, lines in chunk)`, to turn `first_bad` into a line number.
    pub chunks: Vec<(u64, u64)>,
    /// Set when the file was not scanned at all; says why.
    pub skipped: Option<String>,
}

impl FileStats {
    fn merge(&mut self, other: FileStats) {
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.tls_rows += other.tls_rows;
        self.malformed += other.malformed;
        self.first_bad = match (self.first_bad, other.first_bad) {
            (Some(a), Some(b)) => Some(if a.offset <= b.offset { a } else { b }),
            (a, b) => a.or(b),
        };
        self.chunks.extend(other.chunks);
        if self.skipped.is_none() {
            self.skipped = other.skipped;
        }
    }

    /// 1-based line number of the first malformed row.
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

/// Everything one worker has counted. `merge` is associative and
/// commutative, so the result does not depend on how work was split.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per direction: connector-id → counts.
    pub connector: [FxHashMap<Vec<u8>, VersionCounts>; 2],
    /// Per direction: remote IP → counts and time span.
    pub remote: [FxHashMap<Vec<u8>, RemoteCounts>; 2],
    /// Per direction: success context as written → negotiations. There are
    /// few distinct lines, so the cipher report parses each one once.
    pub cipher: [FxHashMap<Vec<u8>, u64>; 2],
    pub failure: FxHashMap<FailureKey, u64>,
    /// File index (into the input list) → what was read from it.
    pub files: FxHashMap<usize, FileStats>,
    /// Session-level counts (session mode only).
    pub sessions: SessionTally,
    /// Session fragments that cross chunk or file boundaries, stitched
    /// after the parallel pass (session mode only).
    pub pending: Vec<crate::scan::SessionUnit>,
}

impl Tally {
    /// Counts one successful negotiation.
    pub fn success(
        &mut self,
        dir: Direction,
        version: Version,
        connector: &[u8],
        remote_ip: &[u8],
        stamp: &[u8],
        context: &[u8],
    ) {
        let d = dir.index();
        bump(&mut self.connector[d], connector).versions[version.index()] += 1;
        self.remote_entry(d, remote_ip, stamp).counts.versions[version.index()] += 1;
        match self.cipher[d].get_mut(context) {
            Some(n) => *n += 1,
            None => {
                self.cipher[d].insert(context.to_vec(), 1);
            }
        }
    }

    /// Counts one failed negotiation.
    pub fn failure(
        &mut self,
        dir: Direction,
        connector: &[u8],
        remote_ip: &[u8],
        stamp: &[u8],
        error: &[u8],
    ) {
        let d = dir.index();
        bump(&mut self.connector[d], connector).failed += 1;
        self.remote_entry(d, remote_ip, stamp).counts.failed += 1;
        let key = FailureKey {
            direction: dir,
            connector: connector.to_vec(),
            remote_ip: remote_ip.to_vec(),
            error: error.to_vec(),
        };
        *self.failure.entry(key).or_insert(0) += 1;
    }

    fn remote_entry(&mut self, d: usize, ip: &[u8], stamp: &[u8]) -> &mut RemoteCounts {
        let map = &mut self.remote[d];
        // Look up by borrowed bytes first: allocate only for a new remote.
        if map.contains_key(ip) {
            let r = map.get_mut(ip).expect("present");
            r.see(stamp);
            r
        } else {
            map.entry(ip.to_vec())
                .or_insert_with(|| RemoteCounts::new(Stamp::new(stamp)))
        }
    }

    pub fn file(&mut self, id: usize) -> &mut FileStats {
        self.files.entry(id).or_default()
    }

    /// Adds `other` into `self`.
    pub fn merge(mut self, mut other: Tally) -> Tally {
        // Merge the smaller into the larger: fewer inserts.
        if self.remote[0].len() + self.remote[1].len()
            < other.remote[0].len() + other.remote[1].len()
        {
            std::mem::swap(&mut self, &mut other);
        }
        for d in 0..2 {
            for (k, v) in std::mem::take(&mut other.connector[d]) {
                self.connector[d].entry(k).or_default().add(&v);
            }
            for (k, v) in std::mem::take(&mut other.remote[d]) {
                match self.remote[d].entry(k) {
                    Entry::Occupied(mut e) => e.get_mut().add(&v),
                    Entry::Vacant(e) => {
                        e.insert(v);
                    }
                }
            }
            for (k, v) in std::mem::take(&mut other.cipher[d]) {
                *self.cipher[d].entry(k).or_insert(0) += v;
            }
        }
        for (k, v) in other.failure {
            *self.failure.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.files {
            self.files.entry(k).or_default().merge(v);
        }
        self.sessions.merge(other.sessions);
        self.pending.extend(other.pending);
        self
    }

    /// Counts one finished session (and its TLS lines) through `filters`.
    /// Session-level numbers go by the session's start, TLS numbers by
    /// each TLS line's own time, as in the TLS-only scan.
    pub fn finish_session(&mut self, s: Session, filters: &Filters, keep: Keep) {
        let d = s.direction;
        if (filters.exclude_internal && s.internal())
            || !filters.keys(d, &s.connector, &s.remote_ip)
        {
            return;
        }
        for e in &s.tls {
            let stamp = e.stamp().as_bytes();
            if !filters.time(stamp) {
                continue;
            }
            self.sessions.see_time(e.stamp());
            let day = (day_of(stamp), d);
            match e {
                TlsEvent::Success {
                    context, version, ..
                } => {
                    self.sessions.day.entry(day).or_default().versions[version.index()] += 1;
                    self.success(d, *version, &s.connector, &s.remote_ip, stamp, context);
                }
                TlsEvent::Failure { error, .. } => {
                    self.sessions.day.entry(day).or_default().failed += 1;
                    self.failure(d, &s.connector, &s.remote_ip, stamp, error);
                }
            }
        }
        if !filters.time(s.start.as_bytes()) {
            return;
        }
        let st = &mut self.sessions;
        st.see_time(&s.end);
        let class = s.class();
        let plain = u64::from(class == Class::Plaintext);
        st.classes[class as usize] += 1;
        st.incomplete += u64::from(s.incomplete());
        let c = bump_sessions(&mut st.by_connector[d.index()], &s.connector);
        c.sessions += 1;
        c.plaintext += plain;
        let r = st.by_remote[d.index()]
            .entry(s.remote_ip.to_vec())
            .or_default();
        r.counts.sessions += 1;
        r.counts.plaintext += plain;
        if let Some(ehlo) = &s.ehlo {
            *r.ehlo.entry(ehlo.clone()).or_insert(0) += 1;
        }
        if plain > 0 {
            st.day
                .entry((day_of(s.start.as_bytes()), d))
                .or_default()
                .plaintext += plain;
        }
        let ready = st.readiness[d.index()]
            .entry(s.connector.to_vec())
            .or_default();
        ready.plaintext += plain;
        if let Some(v) = s.lowest_version().filter(|v| v.is_legacy()) {
            let last = *s
                .tls
                .iter()
                .filter(|e| e.version().is_some_and(|x| x.is_legacy()))
                .map(TlsEvent::stamp)
                .max()
                .expect("a legacy event exists");
            ready.legacy_sessions += 1;
            ready.last_legacy = ready.last_legacy.max(Some(last));
            let o = ready
                .offenders
                .entry(s.remote_ip.to_vec())
                .or_insert(Offender {
                    sessions: 0,
                    lowest: v,
                    last_seen: last,
                });
            o.sessions += 1;
            o.lowest = o.lowest.min(v);
            o.last_seen = o.last_seen.max(last);
        }
        match keep {
            Keep::Nothing => {}
            Keep::Sessions => st.rows.push(s),
            Keep::CsvLines => {
                let line = crate::report::sessions::csv_line(&s);
                st.lines.push((s.start, line));
            }
        }
    }
}

fn day_of(stamp: &[u8]) -> [u8; 10] {
    let mut d = [b'?'; 10];
    let n = stamp.len().min(10);
    d[..n].copy_from_slice(&stamp[..n]);
    d
}

fn bump_sessions<'m>(
    map: &'m mut FxHashMap<Vec<u8>, SessionCounts>,
    key: &[u8],
) -> &'m mut SessionCounts {
    if !map.contains_key(key) {
        map.insert(key.to_vec(), SessionCounts::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// What `--by session` needs kept of each session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    Nothing,
    /// The sessions themselves (table and JSON output).
    Sessions,
    /// Each session's CSV line, made by the worker that finished it: the
    /// formatting runs in parallel and a line is smaller than a session.
    CsvLines,
}

/// Sessions, and how many of them never tried TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub sessions: u64,
    pub plaintext: u64,
}

impl SessionCounts {
    fn add(&mut self, o: SessionCounts) {
        self.sessions += o.sessions;
        self.plaintext += o.plaintext;
    }
}

/// Per remote: session counts and how often each EHLO name was used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteSessions {
    pub counts: SessionCounts,
    pub ehlo: FxHashMap<Box<[u8]>, u64>,
}

impl RemoteSessions {
    /// The most frequent EHLO name (ties: the smallest in byte order).
    pub fn top_ehlo(&self) -> Option<&[u8]> {
        self.ehlo
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(k, _)| &**k)
    }
}

/// One UTC day of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub versions: [u64; 7],
    pub failed: u64,
    pub plaintext: u64,
}

/// A remote still on TLS below 1.2, for the readiness report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offender {
    pub sessions: u64,
    pub lowest: Version,
    pub last_seen: Stamp,
}

/// Per connector: what stands between it and switching TLS 1.0/1.1 off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    pub legacy_sessions: u64,
    pub plaintext: u64,
    pub last_legacy: Option<Stamp>,
    pub offenders: FxHashMap<Vec<u8>, Offender>,
}

/// Session-level tallies, mergeable like the rest.
#[derive(Debug, Default)]
pub struct SessionTally {
    pub by_connector: [FxHashMap<Vec<u8>, SessionCounts>; 2],
    pub by_remote: [FxHashMap<Vec<u8>, RemoteSessions>; 2],
    pub day: FxHashMap<([u8; 10], Direction), DayCounts>,
    pub readiness: [FxHashMap<Vec<u8>, Readiness>; 2],
    /// Sessions by [`Class`] (tls, failed, plaintext, unknown).
    pub classes: [u64; 4],
    pub incomplete: u64,
    /// The latest record time counted: "now" for the readiness window.
    pub latest: Option<Stamp>,
    /// Every counted session, for `--by session`.
    pub rows: Vec<Session>,
    /// Or each one's CSV line, with its start for sorting.
    pub lines: Vec<(Stamp, Box<[u8]>)>,
}

impl SessionTally {
    fn see_time(&mut self, t: &Stamp) {
        self.latest = self.latest.max(Some(*t));
    }

    fn merge(&mut self, o: SessionTally) {
        for d in 0..2 {
            for (k, v) in &o.by_connector[d] {
                self.by_connector[d].entry(k.clone()).or_default().add(*v);
            }
            for (k, v) in &o.by_remote[d] {
                let e = self.by_remote[d].entry(k.clone()).or_default();
                e.counts.add(v.counts);
                for (name, n) in &v.ehlo {
                    *e.ehlo.entry(name.clone()).or_insert(0) += n;
                }
            }
            for (k, v) in &o.readiness[d] {
                let e = self.readiness[d].entry(k.clone()).or_default();
                e.legacy_sessions += v.legacy_sessions;
                e.plaintext += v.plaintext;
                e.last_legacy = e.last_legacy.max(v.last_legacy);
                for (ip, off) in &v.offenders {
                    match e.offenders.entry(ip.clone()) {
                        Entry::Occupied(mut x) => {
                            let x = x.get_mut();
                            x.sessions += off.sessions;
                            x.lowest = x.lowest.min(off.lowest);
                            x.last_seen = x.last_seen.max(off.last_seen);
                        }
                        Entry::Vacant(x) => {
                            x.insert(*off);
                        }
                    }
                }
            }
        }
        for (k, v) in o.day {
            let e = self.day.entry(k).or_default();
            for (a, b) in e.versions.iter_mut().zip(v.versions) {
                *a += b;
            }
            e.failed += v.failed;
            e.plaintext += v.plaintext;
        }
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
        self.incomplete += o.incomplete;
        self.latest = self.latest.max(o.latest);
        self.rows.extend(o.rows);
        self.lines.extend(o.lines);
    }
}

fn bump<'m>(map: &'m mut FxHashMap<Vec<u8>, VersionCounts>, key: &[u8]) -> &'m mut VersionCounts {
    if !map.contains_key(key) {
        map.insert(key.to_vec(), VersionCounts::default());
    }
    map.get_mut(key).expect("inserted above")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_order_independent() {
        let mut a = Tally::default();
        a.success(
            Direction::Receive,
            Version::Tls10,
            b"C",
            b"1.1.1.1",
            b"2024-01-02T00:00:00.000Z",
            b"ctx",
        );
        a.failure(
            Direction::Send,
            b"S",
            b"2.2.2.2",
            b"2024-01-01T00:00:00.000Z",
            b"NoCredentials",
        );
        let mut b = Tally::default();
        b.success(
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            b"2024-01-01T00:00:00.000Z",
            b"ctx",
        );
        b.success(
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            b"2024-01-03T00:00:00.000Z",
            b"ctx",
        );
        let m = a.merge(b);
        let c = m.connector[0][&b"C"[..]];
        assert_eq!(c.versions[Version::Tls10.index()], 1);
        assert_eq!(c.versions[Version::Tls12.index()], 2);
        assert_eq!(c.total(), 3);
        assert_eq!(c.legacy(), 1);
        let r = m.remote[0][&b"1.1.1.1"[..]];
        assert_eq!(r.first_seen.as_bytes(), b"2024-01-01T00:00:00.000Z");
        assert_eq!(r.last_seen.as_bytes(), b"2024-01-03T00:00:00.000Z");
        assert_eq!(m.cipher[0][&b"ctx"[..]], 3);
        assert_eq!(m.connector[1][&b"S"[..]].failed, 1);
        assert_eq!(m.failure.values().sum::<u64>(), 1);
    }

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
