//! [`SmtpCounts`]: what SMTP TLS rows and finished sessions add up to.
//! Counts only, and no filtering: the scan decides what is counted.
//!
//! Keys stay as the bytes the log wrote; names are normalised and sorted
//! only once, when reports are built. Every piece has a `Default` identity
//! and a `merge` that is associative and commutative, so workers fold
//! without a lock and the result does not depend on how work was split.

use super::counts::{
    ConnectorCounts, Connectors, DayCounts, DayKey, FailureKey, Mark, PerConnector, RemoteCounts,
    VersionCounts, earliest,
};
use super::impact::Impact;
use super::session::{Class, Session, TlsEvent};
use super::timeline::{ConnectorTimelines, FailedSession, Step};
use crate::parse::tls::Version;
use crate::parse::{Direction, Service, Stamp};
use crate::servers::ServerId;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// What SMTP protocol logs add up to: per connector, remote, cipher,
/// failure and day, and sessions by class.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmtpCounts {
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
}

/// A session's TLS marks: a few fit a buffer, more (rare) go to the heap.
#[derive(Default)]
struct Marks {
    buf: [u64; 8],
    n: usize,
    more: Vec<u64>,
}

impl Marks {
    #[inline(always)]
    fn push(&mut self, mark: u64) {
        match self.buf.get_mut(self.n) {
            Some(slot) => {
                *slot = mark;
                self.n += 1;
            }
            None => self.more.push(mark),
        }
    }

    /// Appends the marks, in the order pushed, to `to`.
    #[inline(always)]
    fn move_to(self, to: &mut Vec<u64>) {
        to.extend_from_slice(&self.buf[..self.n]);
        to.extend(self.more);
    }
}

/// The mark of a successful negotiation of `version`.
#[inline(always)]
fn version_mark(version: Version) -> Mark {
    match version {
        Version::Tls12 | Version::Tls13 => Mark::Modern,
        Version::Other => Mark::Other,
        _ => Mark::Legacy,
    }
}

/// Counts a failed negotiation of `s` on `server`.
#[inline(always)]
fn count_failure(
    failure: &mut FxHashMap<FailureKey, u64>,
    s: &Session,
    server: ServerId,
    error: &[u8],
) {
    let key = FailureKey {
        direction: s.direction,
        server,
        connector: s.connector.clone(),
        remote_ip: s.remote_ip.clone(),
        error: error.into(),
    };
    *failure.entry(key).or_insert(0) += 1;
}

/// Counts the negotiations of a counted session on its connector `c`, in
/// the window of its TLS lines; per remote for the legacy report.
#[inline(always)]
fn count_negotiations(c: &mut ConnectorCounts, s: &Session, own: Impact) {
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
        return;
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

impl SmtpCounts {
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

    /// Counts one failed negotiation (`seen` as for [`SmtpCounts::success`]).
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

    /// Adds `other` into `self`.
    pub fn merge(mut self, mut other: SmtpCounts) -> SmtpCounts {
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
        self
    }

    /// The same counts with `id` for the (one) server they were counted
    /// on: a partial result's server gets a new id in the merge.
    pub fn reassign(self, id: ServerId) -> SmtpCounts {
        SmtpCounts {
            connector: self.connector.into_values().map(|c| (id, c)).collect(),
            timelines: self.timelines.into_values().map(|c| (id, c)).collect(),
            failure: self
                .failure
                .into_iter()
                .map(|(mut k, n)| {
                    k.server = id;
                    (k, n)
                })
                .collect(),
            ..self
        }
    }

    /// Counts one finished session of `server` that passed the filters,
    /// and of its TLS lines those `in_window` keeps (by their stamps, as
    /// written); returns whether the session itself was counted.
    /// Session-level numbers go by the session's start, TLS numbers by each
    /// TLS line's own time, as in the TLS-only scan.
    pub fn session(
        &mut self,
        s: &Session,
        server: ServerId,
        timelines: bool,
        in_window: impl Fn(&[u8]) -> bool,
    ) -> bool {
        let d = s.direction;
        let own = Impact::of_session(s);
        self.follow(s, server, own, timelines);
        let counted = |e: &&TlsEvent| in_window(e.stamp().as_bytes());
        let start_ok = in_window(s.start.as_bytes());
        if !start_ok && !s.tls.iter().any(|e| counted(&e)) {
            return false;
        }
        // One lookup each of the remote and the connector per session.
        let r = entry(&mut self.remote[d.index()], &s.remote_ip);
        let mut tls = VersionCounts::default();
        let mut marks = Marks::default();
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
                    version_mark(*version)
                }
                TlsEvent::Failure { error, .. } => {
                    day.failed += 1;
                    r.tls.failed += 1;
                    tls.failed += 1;
                    count_failure(&mut self.failure, s, server, error);
                    Mark::Other
                }
            };
            if let Some(ms) = stamp.millis() {
                marks.push(mark.encode(ms));
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
        marks.move_to(&mut c.marks);
        if !start_ok {
            return false;
        }
        c.sessions.sessions += 1;
        c.sessions.plaintext += u64::from(plain);
        if let Some(ms) = s.start.millis() {
            c.marks.push(Mark::Session.encode(ms));
            if plain {
                c.marks.push(Mark::Plaintext.encode(ms));
            }
        }
        count_negotiations(c, s, own);
        true
    }

    /// Notes a session (that passed the filters but time) in its remote's
    /// timeline on its connector, for `--by fallout`, which applies
    /// `--since` itself: the history before it decides the outcomes.
    fn follow(&mut self, s: &Session, server: ServerId, own: Impact, timelines: bool) {
        if !timelines {
            return;
        }
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
    fn parts() -> Vec<SmtpCounts> {
        let mut a = SmtpCounts::default();
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
        let mut b = SmtpCounts::default();
        b.success(
            0,
            Direction::Receive,
            Version::Tls12,
            b"C",
            b"1.1.1.1",
            Some(&stamp("2024-01-01T00:00:00.000Z")),
            b"ctx",
        );
        let mut c = SmtpCounts::default();
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
        let [a, b, c] = <[SmtpCounts; 3]>::try_from(parts()).unwrap();
        let abc = a.merge(b).merge(c);
        for order in [[2, 1, 0], [1, 0, 2], [0, 2, 1], [2, 0, 1]] {
            let mut p: Vec<Option<SmtpCounts>> = parts().into_iter().map(Some).collect();
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
}

/// The connectors of each server, for a partial result: sorted pairs of
/// server and its two per-direction maps.
mod connectors {
    use super::{PerConnector, ServerId};
    use crate::wire::{ByteMap, Owned, byte_map_from};
    use rustc_hash::FxHashMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Wire<V> = (ServerId, Vec<(Owned, V)>, Vec<(Owned, V)>);

    pub(super) fn serialize<V: Serialize, S: Serializer>(
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

    pub(super) fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<FxHashMap<ServerId, PerConnector<V>>, D::Error> {
        let all: Vec<Wire<V>> = Vec::deserialize(d)?;
        Ok(all
            .into_iter()
            .map(|(id, a, b)| (id, [byte_map_from(a), byte_map_from(b)]))
            .collect())
    }
}
