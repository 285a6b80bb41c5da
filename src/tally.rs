//! Mergeable counts: what each worker folds TLS rows and finished sessions
//! into. Counts only: no rows, no sessions, no rendering.
//!
//! Keys stay as the bytes the log wrote; names are normalised and sorted
//! only once, when reports are built. Every piece has a `Default` identity
//! and a `merge` that is associative and commutative, so workers fold
//! without a lock and the result does not depend on how work was split.

use crate::filter::Filters;
use crate::parse::fields::RowError;
use crate::parse::tls::Version;
use crate::parse::{Direction, Stamp};
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

/// A remote still on TLS below 1.2, for the readiness report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offender {
    pub sessions: u64,
    pub lowest: Version,
    pub last_seen: Stamp,
}

impl Offender {
    fn add(&mut self, o: &Offender) {
        self.sessions += o.sessions;
        self.lowest = self.lowest.min(o.lowest);
        self.last_seen = self.last_seen.max(o.last_seen);
    }
}

/// Everything counted for one connector of one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectorCounts {
    /// Negotiations, by the time of each TLS line.
    pub tls: VersionCounts,
    /// Sessions, by their start (session mode only).
    pub sessions: SessionCounts,
    /// Sessions whose lowest negotiated version is below TLS 1.2.
    pub legacy_sessions: u64,
    pub last_legacy: Option<Stamp>,
    /// The latest negotiation at TLS 1.2 or later: the evidence that
    /// clients manage without the old versions.
    pub last_modern: Option<Stamp>,
    /// The remotes of those sessions.
    pub offenders: FxHashMap<Box<[u8]>, Offender>,
}

impl ConnectorCounts {
    fn add(&mut self, o: ConnectorCounts) {
        self.tls.add(&o.tls);
        self.sessions.add(o.sessions);
        self.legacy_sessions += o.legacy_sessions;
        self.last_legacy = self.last_legacy.max(o.last_legacy);
        self.last_modern = self.last_modern.max(o.last_modern);
        for (ip, off) in o.offenders {
            match self.offenders.entry(ip) {
                Entry::Occupied(mut e) => e.get_mut().add(&off),
                Entry::Vacant(e) => {
                    e.insert(off);
                }
            }
        }
    }
}

/// Everything counted for one remote IP of one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteCounts {
    pub tls: VersionCounts,
    /// Time span of its TLS lines.
    pub first_seen: Option<Stamp>,
    pub last_seen: Option<Stamp>,
    pub sessions: SessionCounts,
    /// EHLO (or banner) names with their uses. Most remotes use one name,
    /// so a short list beats a map per remote.
    pub ehlo: Vec<(Box<[u8]>, u64)>,
}

impl RemoteCounts {
    fn see(&mut self, stamp: &Stamp) {
        if self.first_seen.is_none_or(|f| *stamp < f) {
            self.first_seen = Some(*stamp);
        }
        if self.last_seen.is_none_or(|l| *stamp > l) {
            self.last_seen = Some(*stamp);
        }
    }

    fn name(&mut self, name: &[u8], n: u64) {
        match self.ehlo.iter_mut().find(|(k, _)| **k == *name) {
            Some((_, c)) => *c += n,
            None => self.ehlo.push((name.into(), n)),
        }
    }

    fn add(&mut self, o: RemoteCounts) {
        self.tls.add(&o.tls);
        if let Some(f) = o.first_seen {
            self.see(&f);
        }
        if let Some(l) = o.last_seen {
            self.see(&l);
        }
        self.sessions.add(o.sessions);
        for (name, n) in o.ehlo {
            self.name(&name, n);
        }
    }

    /// The most frequent EHLO name (ties: the smallest in byte order).
    pub fn top_ehlo(&self) -> Option<&[u8]> {
        self.ehlo
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(k, _)| &**k)
    }
}

/// Key of the failure report, as bytes from the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FailureKey {
    pub direction: Direction,
    pub connector: Box<[u8]>,
    pub remote_ip: Box<[u8]>,
    pub error: Box<[u8]>,
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
    /// A last line without its line ending (a log still being written):
    /// counted in `lines`, never parsed.
    pub unterminated: u64,
    pub first_bad: Option<BadRow>,
    /// `(chunk start, lines in chunk)`, to turn `first_bad` into a line number.
    pub chunks: Vec<(u64, u64)>,
    /// Set when the file was not scanned at all; says why.
    pub skipped: Option<String>,
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
    }

    /// Records a malformed row; the first one (lowest offset) is kept.
    pub fn malformed_row(&mut self, bad: BadRow) {
        self.malformed += 1;
        if self.first_bad.is_none_or(|b| bad.offset < b.offset) {
            self.first_bad = Some(bad);
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

/// One UTC day of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub versions: [u64; 7],
    pub failed: u64,
    pub plaintext: u64,
}

impl DayCounts {
    fn add(&mut self, o: &DayCounts) {
        for (a, b) in self.versions.iter_mut().zip(o.versions) {
            *a += b;
        }
        self.failed += o.failed;
        self.plaintext += o.plaintext;
    }
}

/// Everything one worker has counted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Per direction: connector-id → counts.
    pub connector: [FxHashMap<Box<[u8]>, ConnectorCounts>; 2],
    /// Per direction: remote IP → counts.
    pub remote: [FxHashMap<Box<[u8]>, RemoteCounts>; 2],
    /// Per direction: success context as written → negotiations. There are
    /// few distinct lines, so the cipher report parses each one once.
    pub cipher: [FxHashMap<Box<[u8]>, u64>; 2],
    pub failure: FxHashMap<FailureKey, u64>,
    /// Per (UTC day, direction), session mode only.
    pub day: FxHashMap<([u8; 10], Direction), DayCounts>,
    /// Sessions by [`Class`] (tls, failed, plaintext, idle, unknown).
    pub classes: [u64; 5],
    pub incomplete: u64,
    /// The latest record time counted in session mode: "now" for the
    /// readiness window.
    pub latest: Option<Stamp>,
    /// The earliest one: with `latest`, the time the logs cover.
    pub earliest: Option<Stamp>,
    /// File index (into the input list) → what was read from it.
    pub files: FxHashMap<usize, FileStats>,
}

/// The earlier of two optional times (`None`: not seen).
fn earlier(a: Option<Stamp>, b: Option<Stamp>) -> Option<Stamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn merge_remotes(
    mine: &mut FxHashMap<Box<[u8]>, RemoteCounts>,
    theirs: FxHashMap<Box<[u8]>, RemoteCounts>,
) {
    for (k, v) in theirs {
        match mine.entry(k) {
            Entry::Occupied(mut e) => e.get_mut().add(v),
            Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
}

/// The entry for `key`, allocating the key only when it is new.
fn entry<'m, V: Default>(map: &'m mut FxHashMap<Box<[u8]>, V>, key: &[u8]) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.into(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

impl Tally {
    /// Counts one successful negotiation.
    pub fn success(
        &mut self,
        dir: Direction,
        version: Version,
        connector: &[u8],
        remote_ip: &[u8],
        stamp: &Stamp,
        context: &[u8],
    ) {
        let d = dir.index();
        let c = entry(&mut self.connector[d], connector);
        c.tls.versions[version.index()] += 1;
        if matches!(version, Version::Tls12 | Version::Tls13) {
            c.last_modern = c.last_modern.max(Some(*stamp));
        }
        let r = entry(&mut self.remote[d], remote_ip);
        r.tls.versions[version.index()] += 1;
        r.see(stamp);
        *entry(&mut self.cipher[d], context) += 1;
    }

    /// Counts one failed negotiation.
    pub fn failure(
        &mut self,
        dir: Direction,
        connector: &[u8],
        remote_ip: &[u8],
        stamp: &Stamp,
        error: &[u8],
    ) {
        let d = dir.index();
        entry(&mut self.connector[d], connector).tls.failed += 1;
        let r = entry(&mut self.remote[d], remote_ip);
        r.tls.failed += 1;
        r.see(stamp);
        let key = FailureKey {
            direction: dir,
            connector: connector.into(),
            remote_ip: remote_ip.into(),
            error: error.into(),
        };
        *self.failure.entry(key).or_insert(0) += 1;
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
        // The remote maps are the big ones: one direction on each core.
        let [mine_r, mine_s] = &mut self.remote;
        let [theirs_r, theirs_s] = std::mem::take(&mut other.remote);
        rayon::join(
            || merge_remotes(mine_r, theirs_r),
            || merge_remotes(mine_s, theirs_s),
        );
        for d in 0..2 {
            for (k, v) in std::mem::take(&mut other.connector[d]) {
                self.connector[d].entry(k).or_default().add(v);
            }
            for (k, v) in std::mem::take(&mut other.cipher[d]) {
                *self.cipher[d].entry(k).or_insert(0) += v;
            }
        }
        for (k, v) in other.failure {
            *self.failure.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.day {
            self.day.entry(k).or_default().add(&v);
        }
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        self.incomplete += other.incomplete;
        self.latest = self.latest.max(other.latest);
        self.earliest = earlier(self.earliest, other.earliest);
        for (k, v) in other.files {
            self.files.entry(k).or_default().merge(v);
        }
        self
    }

    /// Counts one finished session (and its TLS lines) through `filters`;
    /// returns whether the session itself was counted. Session-level
    /// numbers go by the session's start, TLS numbers by each TLS line's
    /// own time, as in the TLS-only scan.
    pub fn session(&mut self, s: &Session, filters: &Filters) -> bool {
        let d = s.direction;
        if !filters.session(s.internal(), s.ehlo.as_deref())
            || !filters.keys(d, &s.connector, &s.remote_ip)
        {
            return false;
        }
        for e in &s.tls {
            let stamp = e.stamp();
            if !filters.time(stamp.as_bytes()) {
                continue;
            }
            self.latest = self.latest.max(Some(*stamp));
            self.earliest = earlier(self.earliest, Some(*stamp));
            let day = self.day.entry((stamp.day(), d)).or_default();
            match e {
                TlsEvent::Success {
                    context, version, ..
                } => {
                    day.versions[version.index()] += 1;
                    self.success(d, *version, &s.connector, &s.remote_ip, stamp, context);
                }
                TlsEvent::Failure { error, .. } => {
                    day.failed += 1;
                    self.failure(d, &s.connector, &s.remote_ip, stamp, error);
                }
            }
        }
        if !filters.time(s.start.as_bytes()) {
            return false;
        }
        self.latest = self.latest.max(Some(s.end));
        self.earliest = earlier(self.earliest, Some(s.start));
        let class = s.class();
        let plain = u64::from(class == Class::Plaintext);
        self.classes[class as usize] += 1;
        self.incomplete += u64::from(s.incomplete());
        let r = entry(&mut self.remote[d.index()], &s.remote_ip);
        r.sessions.sessions += 1;
        r.sessions.plaintext += plain;
        if let Some(ehlo) = &s.ehlo {
            r.name(ehlo, 1);
        }
        if plain > 0 {
            self.day.entry((s.start.day(), d)).or_default().plaintext += plain;
        }
        let c = entry(&mut self.connector[d.index()], &s.connector);
        c.sessions.sessions += 1;
        c.sessions.plaintext += plain;
        if let Some(v) = s.lowest_version().filter(|v| v.is_legacy()) {
            let last = *s
                .tls
                .iter()
                .filter(|e| e.version().is_some_and(|x| x.is_legacy()))
                .map(TlsEvent::stamp)
                .max()
                .expect("a legacy event exists");
            c.legacy_sessions += 1;
            c.last_legacy = c.last_legacy.max(Some(last));
            let found = Offender {
                sessions: 1,
                lowest: v,
                last_seen: last,
            };
            match c.offenders.get_mut(&*s.remote_ip) {
                Some(o) => o.add(&found),
                None => {
                    c.offenders.insert(s.remote_ip.clone(), found);
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(s: &str) -> Stamp {
        Stamp::new(s.as_bytes())
    }

    /// Three small tallies with overlapping keys.
    fn parts() -> Vec<Tally> {
        let mut a = Tally::default();
        a.success(
            Direction::Receive,
            Version::Tls10,
            b"C",
            b"1.1.1.1",
            &stamp("2024-01-02T00:00:00.000Z"),
            b"ctx",
        );
        a.failure(
            Direction::Send,
            b"S",
            b"2.2.2.2",
            &stamp("2024-01-01T00:00:00.000Z"),
            b"NoCredentials",
        );
        let mut b = Tally::default();
        b.success(
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            &stamp("2024-01-01T00:00:00.000Z"),
            b"ctx",
        );
        let mut c = Tally::default();
        c.success(
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            &stamp("2024-01-03T00:00:00.000Z"),
            b"ctx",
        );
        c.success(
            Direction::Receive,
            Version::Tls13,
            b"D",
            b"3.3.3.3",
            &stamp("2024-01-03T00:00:00.000Z"),
            b"ctx13",
        );
        vec![a, b, c]
    }

    #[test]
    fn merge_is_order_independent() {
        let [a, b, c] = <[Tally; 3]>::try_from(parts()).unwrap();
        let abc = a.merge(b).merge(c);
        for order in [[2, 1, 0], [1, 0, 2], [0, 2, 1], [2, 0, 1]] {
            let mut p: Vec<Option<Tally>> = parts().into_iter().map(Some).collect();
            let mut m = p[order[0]].take().unwrap();
            for i in &order[1..] {
                m = m.merge(p[*i].take().unwrap());
            }
            assert_eq!(m, abc, "order {order:?}");
        }
        let c = &abc.connector[0][&b"C"[..]];
        assert_eq!(c.tls.versions[Version::Tls10.index()], 1);
        assert_eq!(c.tls.versions[Version::Tls12.index()], 2);
        assert_eq!(c.tls.total(), 3);
        assert_eq!(c.tls.legacy(), 1);
        let r = &abc.remote[0][&b"1.1.1.1"[..]];
        assert_eq!(r.first_seen, Some(stamp("2024-01-01T00:00:00.000Z")));
        assert_eq!(r.last_seen, Some(stamp("2024-01-03T00:00:00.000Z")));
        assert_eq!(abc.cipher[0][&b"ctx"[..]], 3);
        assert_eq!(abc.connector[1][&b"S"[..]].tls.failed, 1);
        assert_eq!(abc.failure.values().sum::<u64>(), 1);
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
