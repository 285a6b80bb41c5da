//! Mergeable counts: what each worker folds TLS rows and finished sessions
//! into. Counts only: no rows, no sessions, no rendering.
//!
//! Keys stay as the bytes the log wrote; names are normalised and sorted
//! only once, when reports are built. Every piece has a `Default` identity
//! and a `merge` that is associative and commutative, so workers fold
//! without a lock and the result does not depend on how work was split.

use crate::filter::Filters;
use crate::iis::counts::IisCounts;
use crate::parse::fields::RowError;
pub use crate::parse::stamp::Bounds;
use crate::parse::stamp::Key;
use crate::parse::tls::Version;
use crate::parse::{Direction, Service, Stamp};
use crate::servers::ServerId;
use crate::smtp::counts::{
    ConnectorCounts, Connectors, DayCounts, DayKey, FailureKey, Mark, PerConnector, RemoteCounts,
    VersionCounts, earliest,
};
use crate::smtp::impact::Impact;
use crate::smtp::session::{Class, Session, TlsEvent};
use crate::smtp::timeline::{ConnectorTimelines, FailedSession, Step};
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

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
    fn one_chunk(&mut self) {
        if let (Some(line), Some(bad)) = (self.first_bad_line(), self.first_bad.as_mut()) {
            bad.chunk_start = 0;
            bad.line_in_chunk = line - 1;
        }
        let lines = self.chunks.iter().map(|(_, n)| n).sum();
        self.chunks = vec![(0, lines)];
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

/// Per filter: sessions that passed it (each filter alone), and a few of
/// the values seen where it did not: "filter matched nothing" warnings
/// show up to five values that exist.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterHits {
    pub connector: u64,
    pub remote: u64,
    pub ehlo: u64,
    pub direction: u64,
    pub time: u64,
    pub seen_connectors: Examples,
    pub seen_remotes: Examples,
    pub seen_ehlo: Examples,
    pub seen_directions: Examples,
}

impl FilterHits {
    fn add(&mut self, o: FilterHits) {
        self.connector += o.connector;
        self.remote += o.remote;
        self.ehlo += o.ehlo;
        self.direction += o.direction;
        self.time += o.time;
        self.seen_connectors.add(o.seen_connectors);
        self.seen_remotes.add(o.seen_remotes);
        self.seen_ehlo.add(o.seen_ehlo);
        self.seen_directions.add(o.seen_directions);
    }
}

/// The five smallest distinct values seen (byte order): deterministic
/// under any split of the input.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Examples {
    #[serde(with = "crate::wire::byte_set")]
    pub values: std::collections::BTreeSet<Box<[u8]>>,
    /// More distinct values were seen than are kept.
    pub more: bool,
}

impl Examples {
    pub const KEEP: usize = 5;

    pub fn see(&mut self, v: &[u8]) {
        if self.values.len() >= Self::KEEP && self.values.last().is_some_and(|l| **l <= *v) {
            self.more |= self.values.last().is_some_and(|l| **l < *v);
            return;
        }
        if self.values.insert(v.into()) && self.values.len() > Self::KEEP {
            self.values.pop_last();
            self.more = true;
        }
    }

    fn add(&mut self, o: Examples) {
        self.more |= o.more;
        for v in o.values {
            self.see(&v);
        }
    }
}

/// Everything one worker has counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Per server: the connectors of each direction.
    #[serde(with = "connectors")]
    pub connector: FxHashMap<ServerId, Connectors>,
    /// Per server: each connector's remotes, session by session (for
    /// `--by fallout`; session mode only).
    #[serde(with = "connectors")]
    pub timelines: FxHashMap<ServerId, PerConnector<ConnectorTimelines>>,
    /// Per direction: remote IP → counts.
    #[serde(with = "crate::wire::byte_maps")]
    pub remote: [FxHashMap<Box<[u8]>, Box<RemoteCounts>>; 2],
    /// Per direction: success context as written → negotiations. There are
    /// few distinct lines, so the cipher report parses each one once.
    #[serde(with = "crate::wire::byte_maps")]
    pub cipher: [FxHashMap<Box<[u8]>, u64>; 2],
    #[serde(with = "crate::wire::pairs")]
    pub failure: FxHashMap<FailureKey, u64>,
    /// Per UTC day, direction, and whether a skewed clock wrote the
    /// records (such days are marked: no real day of the logs), session
    /// mode only.
    #[serde(with = "crate::wire::pairs")]
    pub day: FxHashMap<DayKey, DayCounts>,
    /// Sessions by [`Class`] (tls, failed, plaintext, idle, unknown).
    pub classes: [u64; 5],
    pub incomplete: u64,
    /// File index (into the input list) → what was read from it.
    #[serde(with = "crate::wire::pairs")]
    pub files: FxHashMap<usize, FileStats>,
    /// What each filter let through (session mode, with filters set).
    pub hits: FilterHits,
    /// What IIS logs count (flattened: a partial result's fields are
    /// where they always were).
    #[serde(flatten)]
    pub iis: IisCounts,
}

fn merge_remotes(
    mine: &mut FxHashMap<Box<[u8]>, Box<RemoteCounts>>,
    theirs: FxHashMap<Box<[u8]>, Box<RemoteCounts>>,
) {
    for (k, v) in theirs {
        match mine.entry(k) {
            Entry::Occupied(mut e) => e.get_mut().add(*v),
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
    /// The same counts in a form that does not depend on how the files
    /// were split into chunks (a partial result's bytes must not).
    pub fn canonical(&mut self) {
        for f in self.files.values_mut() {
            f.one_chunk();
        }
        self.iis.canonical();
    }

    /// The counts of `connector` (of direction `dir`) on `server`.
    fn place(
        &mut self,
        server: ServerId,
        dir: Direction,
        connector: &[u8],
    ) -> &mut ConnectorCounts {
        let map = &mut self.connector.entry(server).or_default()[dir.index()];
        entry(map, connector)
    }

    /// Notes the service whose logs held a counted session (coverage).
    pub fn note_service(&mut self, server: ServerId, s: &Session, service: Option<Service>) {
        let c = self.place(server, s.direction, &s.connector);
        c.services |= ConnectorCounts::service_bit(service);
    }

    /// Counts one successful negotiation; `seen` is its time, `None` when a
    /// skewed clock wrote it (counted, but no first or last time).
    #[allow(clippy::too_many_arguments)]
    pub fn success(
        &mut self,
        server: ServerId,
        dir: Direction,
        version: Version,
        connector: &[u8],
        remote_ip: &[u8],
        seen: Option<&Stamp>,
        context: &[u8],
    ) {
        let d = dir.index();
        self.place(server, dir, connector).tls.versions[version.index()] += 1;
        let r = entry(&mut self.remote[d], remote_ip);
        r.tls.versions[version.index()] += 1;
        if let Some(stamp) = seen {
            r.see(stamp);
        }
        *entry(&mut self.cipher[d], context) += 1;
    }

    /// Counts one failed negotiation (`seen` as for [`Tally::success`]).
    pub fn failure(
        &mut self,
        server: ServerId,
        dir: Direction,
        connector: &[u8],
        remote_ip: &[u8],
        seen: Option<&Stamp>,
        error: &[u8],
    ) {
        let d = dir.index();
        self.place(server, dir, connector).tls.failed += 1;
        let r = entry(&mut self.remote[d], remote_ip);
        r.tls.failed += 1;
        if let Some(stamp) = seen {
            r.see(stamp);
        }
        let key = FailureKey {
            direction: dir,
            server,
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
        for (server, maps) in std::mem::take(&mut other.connector) {
            let mine = self.connector.entry(server).or_default();
            for (d, map) in maps.into_iter().enumerate() {
                for (k, v) in map {
                    mine[d].entry(k).or_default().add(v);
                }
            }
        }
        for (server, maps) in std::mem::take(&mut other.timelines) {
            let mine = self.timelines.entry(server).or_default();
            for (d, map) in maps.into_iter().enumerate() {
                for (k, v) in map {
                    mine[d].entry(k).or_default().add(v);
                }
            }
        }
        for d in 0..2 {
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
        for (k, v) in other.files {
            self.files.entry(k).or_default().merge(v);
        }
        self.hits.add(other.hits);
        self.iis.merge(other.iis);
        self
    }

    /// Whether a session passes `filters`; notes which filters it passed
    /// (for the "matched nothing" warnings) when any are set.
    fn passes(&mut self, s: &Session, f: &Filters) -> bool {
        if f.is_empty() {
            return true;
        }
        let d = s.direction;
        let time = f.time(s.start.as_bytes()) || s.tls.iter().any(|e| f.time(e.stamp().as_bytes()));
        let direction = f.direction.is_none_or(|x| x == d);
        let connector = f.connector_matches(&s.connector);
        let remote = f.remote_matches(&s.remote_ip);
        let ehlo = f.ehlo_matches(s.ehlo.as_deref());
        let h = &mut self.hits;
        h.time += u64::from(time);
        h.direction += u64::from(direction);
        h.connector += u64::from(connector);
        h.remote += u64::from(remote);
        h.ehlo += u64::from(ehlo);
        if !f.connector.is_empty() && !connector {
            h.seen_connectors.see(&s.connector);
        }
        if !f.remote.is_empty() && !remote {
            h.seen_remotes.see(&s.remote_ip);
        }
        if f.ehlo.is_some() && !ehlo {
            h.seen_ehlo.see(s.ehlo.as_deref().unwrap_or(b""));
        }
        if !direction {
            h.seen_directions.see(d.label().as_bytes());
        }
        direction && connector && remote && ehlo && !(f.exclude_internal && s.internal())
    }

    /// Counts one finished session of `server` (and its TLS lines) through
    /// `filters`; returns whether the session itself was counted.
    /// Session-level numbers go by the session's start, TLS numbers by each
    /// TLS line's own time, as in the TLS-only scan.
    pub fn session(&mut self, s: &Session, server: ServerId, filters: &Filters) -> bool {
        let d = s.direction;
        if !self.passes(s, filters) {
            return false;
        }
        let own = Impact::of_session(s);
        self.follow(s, server, own);
        let counted = |e: &&TlsEvent| filters.time(e.stamp().as_bytes());
        let start_ok = filters.time(s.start.as_bytes());
        if !start_ok && !s.tls.iter().any(|e| counted(&e)) {
            return false;
        }
        // One lookup each of the remote and the connector per session.
        let r = entry(&mut self.remote[d.index()], &s.remote_ip);
        let mut tls = VersionCounts::default();
        let mut marks = [0u64; 8];
        let mut n_marks = 0;
        let mut more = Vec::new();
        for e in s.tls.iter().filter(counted) {
            let stamp = e.stamp();
            let day = self.day.entry((stamp.day(), d, e.skewed())).or_default();
            if !e.skewed() {
                r.see(stamp);
            }
            let mark = match e {
                TlsEvent::Success {
                    context, version, ..
                } => {
                    day.versions[version.index()] += 1;
                    r.tls.versions[version.index()] += 1;
                    tls.versions[version.index()] += 1;
                    *entry(&mut self.cipher[d.index()], context) += 1;
                    match version {
                        Version::Tls12 | Version::Tls13 => Mark::Modern,
                        Version::Other => Mark::Other,
                        _ => Mark::Legacy,
                    }
                }
                TlsEvent::Failure { error, .. } => {
                    day.failed += 1;
                    r.tls.failed += 1;
                    tls.failed += 1;
                    let key = FailureKey {
                        direction: d,
                        server,
                        connector: s.connector.clone(),
                        remote_ip: s.remote_ip.clone(),
                        error: error.clone(),
                    };
                    *self.failure.entry(key).or_insert(0) += 1;
                    Mark::Other
                }
            };
            if let Some(ms) = stamp.millis() {
                match marks.get_mut(n_marks) {
                    Some(slot) => {
                        *slot = mark.encode(ms);
                        n_marks += 1;
                    }
                    // More TLS lines than the buffer holds: rare.
                    None => more.push(mark.encode(ms)),
                }
            }
        }
        let class = s.class();
        let plain = start_ok && class == Class::Plaintext;
        if start_ok {
            self.classes[class as usize] += 1;
            self.incomplete += u64::from(s.incomplete());
            r.sessions.sessions += 1;
            r.sessions.plaintext += u64::from(plain);
            if let Some(ehlo) = &s.ehlo {
                r.name(ehlo, 1);
            }
            if plain {
                let key = (s.start.day(), d, s.start_skewed);
                self.day.entry(key).or_default().plaintext += 1;
            }
        }
        let c = self.place(server, d, &s.connector);
        c.tls_required_reply |= s.tls_required_reply.is_some();
        c.tls.add(&tls);
        c.marks.extend_from_slice(&marks[..n_marks]);
        c.marks.extend(more);
        if !start_ok {
            return false;
        }
        c.sessions.sessions += 1;
        c.sessions.plaintext += u64::from(plain);
        let start_ms = s.start.millis();
        if let Some(ms) = start_ms {
            c.marks.push(Mark::Session.encode(ms));
            if plain {
                c.marks.push(Mark::Plaintext.encode(ms));
            }
        }
        // Negotiations of the session, counted in the window of the TLS
        // lines above; here per remote for the legacy report.
        let mut versions = [0u64; 7];
        let mut last_legacy: Option<&Stamp> = None;
        let mut last_flagged: Option<&Stamp> = None;
        let mut weak = false;
        let mut legacy = false;
        for e in &s.tls {
            if let TlsEvent::Success {
                version,
                weak: w,
                skewed,
                ..
            } = e
            {
                versions[version.index()] += 1;
                weak |= *w;
                legacy |= version.is_legacy();
                // A skewed clock's time is no last time (it is still counted).
                let at = (!skewed).then(|| e.stamp());
                if version.is_legacy() {
                    last_legacy = last_legacy.max(at);
                }
                if version.is_legacy() || *w {
                    last_flagged = last_flagged.max(at);
                }
            }
        }
        if versions.iter().all(|&n| n == 0) {
            return true;
        }
        c.legacy_sessions += u64::from(legacy);
        c.weak_sessions += u64::from(weak);
        let legacy_ms = last_legacy.and_then(Stamp::millis);
        if let Some(ms) = legacy_ms {
            c.marks.push(Mark::LegacySession.encode(ms));
        }
        let ru = entry(&mut c.remotes, &s.remote_ip);
        for (a, b) in ru.versions.iter_mut().zip(versions) {
            *a += b;
        }
        ru.weak_sessions += u64::from(weak);
        if let Some(ms) = legacy_ms {
            ru.legacy_times.push(ms);
            match own {
                Impact::Internal => ru.legacy_internal.push(ms),
                Impact::ClientSubmission => ru.legacy_client.push(ms),
                _ => {}
            }
        }
        if legacy || weak {
            ru.flag(s, own);
        }
        if let Some(ms) = last_flagged.and_then(Stamp::millis) {
            ru.first_flagged = earliest(ru.first_flagged, Some(ms));
            ru.last_flagged = ru.last_flagged.max(Some(ms));
        }
        true
    }

    /// Notes a session (that passed the filters but time) in its remote's
    /// timeline on its connector, for `--by fallout`, which applies
    /// `--since` itself: the history before it decides the outcomes.
    fn follow(&mut self, s: &Session, server: ServerId, own: Impact) {
        let map = &mut self.timelines.entry(server).or_default()[s.direction.index()];
        let c = entry(map, &s.connector);
        c.tls_required_reply |= s.tls_required_reply.is_some();
        let Some(start) = s.start.millis().filter(|_| !s.start_skewed) else {
            return;
        };
        if s.remote_ip.is_empty() {
            return;
        }
        let mut errors: Vec<String> = s
            .tls
            .iter()
            .filter_map(|e| match e {
                TlsEvent::Failure { error, .. } => {
                    Some(String::from_utf8_lossy(error).into_owned())
                }
                TlsEvent::Success { .. } => None,
            })
            .collect();
        errors.extend(s.tls_required_reply.map(String::from));
        let lowest = s.lowest_version();
        let step = match lowest {
            Some(v) if v.is_legacy() => Some(Step::legacy(own)),
            Some(Version::Tls12 | Version::Tls13) => Some(Step::Modern),
            // A session refused for want of STARTTLS sent nothing in clear.
            _ if s.class() == Class::Plaintext && errors.is_empty() => Some(Step::Plaintext),
            _ => None,
        };
        let t = entry(&mut c.remotes, &s.remote_ip);
        t.last_seen = t.last_seen.max(Some(start));
        if let Some(step) = step {
            t.steps.push(step.encode(start));
        }
        if !errors.is_empty() {
            errors.sort_unstable();
            errors.dedup();
            t.failures.push(FailedSession {
                start,
                impact: own,
                errors,
            });
        }
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
            0,
            Direction::Receive,
            Version::Tls10,
            b"C",
            b"1.1.1.1",
            Some(&stamp("2024-01-02T00:00:00.000Z")),
            b"ctx",
        );
        a.failure(
            0,
            Direction::Send,
            b"S",
            b"2.2.2.2",
            Some(&stamp("2024-01-01T00:00:00.000Z")),
            b"NoCredentials",
        );
        let mut b = Tally::default();
        b.success(
            0,
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            Some(&stamp("2024-01-01T00:00:00.000Z")),
            b"ctx",
        );
        let mut c = Tally::default();
        c.success(
            0,
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            Some(&stamp("2024-01-03T00:00:00.000Z")),
            b"ctx",
        );
        c.success(
            0,
            Direction::Receive,
            Version::Tls13,
            b"D",
            b"3.3.3.3",
            Some(&stamp("2024-01-03T00:00:00.000Z")),
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
        let c = &abc.connector[&0][0][&b"C"[..]];
        assert_eq!(c.tls.versions[Version::Tls10.index()], 1);
        assert_eq!(c.tls.versions[Version::Tls12.index()], 2);
        assert_eq!(c.tls.total(), 3);
        assert_eq!(c.tls.legacy(), 1);
        let r = &abc.remote[0][&b"1.1.1.1"[..]];
        assert_eq!(r.first_seen, Some(stamp("2024-01-01T00:00:00.000Z")));
        assert_eq!(r.last_seen, Some(stamp("2024-01-03T00:00:00.000Z")));
        assert_eq!(abc.cipher[0][&b"ctx"[..]], 3);
        assert_eq!(abc.connector[&0][1][&b"S"[..]].tls.failed, 1);
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

/// The connectors of each server, for a partial result: sorted pairs of
/// server and its two per-direction maps.
mod connectors {
    use super::{PerConnector, ServerId};
    use crate::wire::{ByteMap, Owned, byte_map_from};
    use rustc_hash::FxHashMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Wire<V> = (ServerId, Vec<(Owned, V)>, Vec<(Owned, V)>);

    pub fn serialize<V: Serialize, S: Serializer>(
        m: &FxHashMap<ServerId, PerConnector<V>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut all: Vec<_> = m.iter().collect();
        all.sort_unstable_by_key(|(id, _)| **id);
        s.collect_seq(
            all.into_iter()
                .map(|(id, c)| (id, ByteMap(&c[0]), ByteMap(&c[1]))),
        )
    }

    pub fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<FxHashMap<ServerId, PerConnector<V>>, D::Error> {
        let all: Vec<Wire<V>> = Vec::deserialize(d)?;
        Ok(all
            .into_iter()
            .map(|(id, a, b)| (id, [byte_map_from(a), byte_map_from(b)]))
            .collect())
    }
}
