//! What IIS logs count: per HTTPS client, per application, and the
//! readiness evidence of each site. Mergeable, like every count.

use crate::parse::Stamp;
use crate::parse::tls::Version;
use crate::servers::ServerId;
use rustc_hash::{FxHashMap, FxHashSet};

/// Everything counted of IIS logs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IisCounts {
    /// Per HTTPS client, and per application (versions, then all
    /// requests).
    #[serde(with = "crate::wire::pairs")]
    pub http: FxHashMap<HttpKey, HttpCounts>,
    #[serde(with = "apps")]
    pub http_app: FxHashMap<AppKey, [u64; 8]>,
    /// Readiness evidence per (server, site).
    #[serde(with = "crate::wire::pairs")]
    pub https: FxHashMap<(ServerId, Box<str>), HttpsEvidence>,
}

impl IisCounts {
    pub fn merge(&mut self, other: IisCounts) {
        for (k, v) in other.http {
            self.http.entry(k).or_default().add(v);
        }
        for (k, v) in other.http_app {
            let e = self.http_app.entry(k).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        for (k, v) in other.https {
            self.https.entry(k).or_default().add(v);
        }
    }

    /// The same counts under another server id (merging partials).
    pub fn reassign(self, id: ServerId) -> IisCounts {
        IisCounts {
            http: self
                .http
                .into_iter()
                .map(|(mut k, c)| {
                    k.server = id;
                    (k, c)
                })
                .collect(),
            http_app: self
                .http_app
                .into_iter()
                .map(|((site, _, app), n)| ((site, id, app), n))
                .collect(),
            https: self
                .https
                .into_iter()
                .map(|((_, site), e)| ((id, site), e))
                .collect(),
        }
    }

    /// Each site's requests in one run: the same bytes for any split.
    pub fn canonical(&mut self) {
        for e in self.https.values_mut() {
            e.one_run();
        }
    }
}

/// One HTTPS client (address and user agent) of one IIS site on one
/// server: a row of the http-client report.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct HttpKey {
    pub site: Box<str>,
    pub server: ServerId,
    #[serde(with = "crate::wire::bytes")]
    pub client_ip: Box<[u8]>,
    #[serde(with = "crate::wire::bytes")]
    pub user_agent: Box<[u8]>,
}

/// What one HTTPS client did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HttpCounts {
    /// Requests by the version of their connection.
    pub versions: [u64; 7],
    /// All requests, plain HTTP among them.
    pub requests: u64,
    /// Distinct `cs-username` values (empty ones left out).
    #[serde(with = "crate::wire::byte_set")]
    pub users: FxHashSet<Box<[u8]>>,
    pub first_seen: Option<Stamp>,
    pub last_seen: Option<Stamp>,
}

impl HttpCounts {
    pub fn add(&mut self, o: HttpCounts) {
        for (a, b) in self.versions.iter_mut().zip(o.versions) {
            *a += b;
        }
        self.requests += o.requests;
        self.users.extend(o.users);
        self.first_seen = self.first_seen.into_iter().chain(o.first_seen).min();
        self.last_seen = self.last_seen.max(o.last_seen);
    }
}

/// Request times and kinds, packed: IIS logs are in time order, so each
/// is stored as the distance from the one before (zigzag varint) with the
/// kind in its low three bits, mostly one byte. Exact at any window edge,
/// without a counter per second of the logs.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SecondRun {
    last: i64,
    #[serde(with = "crate::wire::hex")]
    packed: Vec<u8>,
}

impl SecondRun {
    #[inline]
    pub fn push(&mut self, sec: i64, kind: usize) {
        let delta = sec - self.last;
        self.last = sec;
        let zigzag = ((delta << 1) ^ (delta >> 63)) as u64;
        let mut v = (zigzag << 3) | kind as u64;
        while v >= 0x80 {
            self.packed.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.packed.push(v as u8);
    }

    /// `(second, kind)` of every request, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = (i64, usize)> + '_ {
        let mut at = 0;
        let mut sec = 0i64;
        std::iter::from_fn(move || {
            let mut v = 0u64;
            let mut shift = 0;
            loop {
                let b = *self.packed.get(at)?;
                at += 1;
                v |= u64::from(b & 0x7F) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            let zigzag = v >> 3;
            sec += ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
            Some((sec, (v & 7) as usize))
        })
    }
}

/// An HTTPS client below TLS 1.2: its address, the application it asked
/// for and the version it used.
pub(crate) type LegacyClient = (Box<[u8]>, &'static str, Version);

/// What an IIS site's requests say for readiness: when they came and how
/// they were secured, exact at IIS's one-second resolution for any window.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HttpsEvidence {
    /// First and last request (seconds since 1970), clock skew left out.
    pub cover: Option<(i64, i64)>,
    /// Every request's second and [`HttpsEvidence::kind`], packed (about a
    /// byte a request): a run per chunk read.
    #[serde(with = "crate::wire::sorted")]
    pub seconds: Vec<SecondRun>,
    /// Requests below TLS 1.2 by client, application and version: the
    /// second of each.
    #[serde(with = "legacy_clients")]
    pub legacy: FxHashMap<LegacyClient, Vec<i64>>,
}

impl HttpsEvidence {
    pub const PLAIN: usize = 0;
    pub const MODERN: usize = 1;
    pub const LEGACY: usize = 2;
    pub const OTHER: usize = 3;
    pub const UNLOGGED: usize = 4;

    /// The counter a request goes to: plain HTTP, TLS 1.2 or later, below
    /// TLS 1.2, a protocol value exlog does not know, or a row of a log
    /// without the crypt-* fields (`logged` false: nothing is known).
    pub fn kind(version: Option<Version>, logged: bool) -> usize {
        match version {
            _ if !logged => Self::UNLOGGED,
            None => Self::PLAIN,
            Some(Version::Other) => Self::OTHER,
            Some(v) if v.is_legacy() => Self::LEGACY,
            Some(_) => Self::MODERN,
        }
    }

    /// Counts one request at second `sec` (inlined: every request comes
    /// here).
    #[inline]
    pub fn add_request(&mut self, sec: i64, kind: usize) {
        if self.seconds.is_empty() {
            self.seconds.push(SecondRun::default());
        }
        if let Some(run) = self.seconds.last_mut() {
            run.push(sec, kind);
        }
    }

    pub fn cover(&mut self, sec: i64) {
        self.cover = Some(
            self.cover
                .map_or((sec, sec), |(a, b)| (a.min(sec), b.max(sec))),
        );
    }

    /// Every request in one run, in time order: the same whatever the
    /// chunks the logs were read in.
    pub(crate) fn one_run(&mut self) {
        let mut runs = std::mem::take(&mut self.seconds);
        // Logs are written in time order, so each run is, and runs taken
        // by their first request follow each other: counting each second's
        // kinds then gives the sorted requests without a sort of millions.
        runs.sort_unstable_by_key(|r| r.iter().next());
        let mut run = SecondRun::default();
        let mut second: Option<(i64, [u64; 8])> = None;
        let emit = |run: &mut SecondRun, sec: i64, kinds: [u64; 8]| {
            for (kind, n) in kinds.into_iter().enumerate() {
                for _ in 0..n {
                    run.push(sec, kind);
                }
            }
        };
        for (sec, kind) in runs.iter().flat_map(SecondRun::iter) {
            match &mut second {
                Some((s, kinds)) if *s == sec => kinds[kind] += 1,
                Some((s, _)) if *s > sec => {
                    // A clock set back, or files out of order: sort.
                    let mut all: Vec<(i64, usize)> =
                        runs.iter().flat_map(SecondRun::iter).collect();
                    all.sort_unstable();
                    run = SecondRun::default();
                    for (sec, kind) in all {
                        run.push(sec, kind);
                    }
                    self.seconds = vec![run];
                    return;
                }
                _ => {
                    if let Some((s, kinds)) = second {
                        emit(&mut run, s, kinds);
                    }
                    let mut kinds = [0; 8];
                    kinds[kind] += 1;
                    second = Some((sec, kinds));
                }
            }
        }
        if let Some((s, kinds)) = second {
            emit(&mut run, s, kinds);
        }
        self.seconds = vec![run];
    }

    pub fn add(&mut self, o: HttpsEvidence) {
        if let Some((a, b)) = o.cover {
            self.cover(a);
            self.cover(b);
        }
        self.seconds.extend(o.seconds);
        for (k, v) in o.legacy {
            self.legacy.entry(k).or_default().extend(v);
        }
    }
}

/// Requests per application (an [`super::parse::APPS`] entry or
/// `other`) of a site on a server: the http-app report.
pub(crate) type AppKey = (Box<str>, ServerId, &'static str);

/// An application name read back as the `&'static str` the scan uses.
fn static_app<E: serde::de::Error>(name: &str) -> Result<&'static str, E> {
    let apps = crate::iis::parse::APPS;
    match apps.iter().position(|a| *a == name) {
        Some(i) => Ok(apps[i]),
        None if name == "other" => Ok(crate::iis::parse::app_name(apps.len())),
        None => Err(E::custom(format!("unknown application {name:?}"))),
    }
}

/// HTTPS clients below TLS 1.2, for a partial result.
mod legacy_clients {
    use super::{LegacyClient, static_app};
    use crate::parse::tls::Version;
    use crate::wire::{Owned, Text};
    use rustc_hash::FxHashMap;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        m: &FxHashMap<LegacyClient, Vec<i64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut all: Vec<_> = m.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s.collect_seq(all.into_iter().map(|((ip, app, v), times)| {
            let mut times = times.clone();
            times.sort_unstable();
            (Text(ip), app, v, times)
        }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<FxHashMap<LegacyClient, Vec<i64>>, D::Error> {
        let all: Vec<(Owned, String, Version, Vec<i64>)> = Vec::deserialize(d)?;
        all.into_iter()
            .map(|(ip, app, v, times)| Ok(((ip.0, static_app(&app)?, v), times)))
            .collect()
    }
}

/// Requests per application, for a partial result.
mod apps {
    use super::{AppKey, static_app};
    use crate::servers::ServerId;
    use rustc_hash::FxHashMap;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        m: &FxHashMap<AppKey, [u64; 8]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut all: Vec<_> = m.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s.collect_seq(
            all.into_iter()
                .map(|((site, server, app), n)| (site, server, app, n)),
        )
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<FxHashMap<AppKey, [u64; 8]>, D::Error> {
        let all: Vec<(Box<str>, ServerId, String, [u64; 8])> = Vec::deserialize(d)?;
        all.into_iter()
            .map(|(site, server, app, n)| Ok(((site, server, static_app(&app)?), n)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `one_run` gives every request sorted by (second, kind), as a sort
    /// of them all would, whether the runs are in time order (the counted
    /// path), shuffled, overlapping or going back in time (the sort).
    #[test]
    fn one_run_is_every_request_sorted() {
        let mut rng = exlog_gen::Rng::new(7, 0);
        let mut next = |n: u64| rng.below(n);
        for case in 0..300 {
            let mut evidence = HttpsEvidence::default();
            let mut want = Vec::new();
            let mut sec = 1_709_513_970i64;
            for _ in 0..1 + next(6) {
                let mut run = SecondRun::default();
                for _ in 0..next(40) {
                    // In time order mostly; now and then a step back.
                    sec += match next(20) {
                        0 if case % 3 == 0 => -(next(5) as i64),
                        1..=9 => 0,
                        _ => next(3) as i64,
                    };
                    let kind = next(5) as usize;
                    run.push(sec, kind);
                    want.push((sec, kind));
                }
                evidence.seconds.push(run);
            }
            if case % 2 == 1 {
                evidence.seconds.reverse();
            }
            want.sort_unstable();
            evidence.one_run();
            assert_eq!(evidence.seconds.len(), 1, "case {case}");
            assert_eq!(
                evidence.seconds[0].iter().collect::<Vec<_>>(),
                want,
                "case {case}"
            );
        }
    }

    /// Packed request times decode to what was pushed: any order, big
    /// jumps both ways, every kind.
    #[test]
    fn second_runs_round_trip() {
        let mut run = SecondRun::default();
        let mut want = Vec::new();
        let mut sec = 1_709_513_970i64;
        for i in 0..5000i64 {
            sec += match i % 7 {
                0 => 0,
                1 => 1,
                2 => 63,
                3 => -5,
                4 => 86_400 * 40,
                5 => -86_400 * 39,
                _ => 12,
            };
            let kind = (i % 5) as usize;
            run.push(sec, kind);
            want.push((sec, kind));
        }
        assert_eq!(run.iter().collect::<Vec<_>>(), want);
        // Requests a second or less apart take a byte each.
        let mut dense = SecondRun::default();
        dense.push(0, 0);
        for s in 0..1000 {
            dense.push(s, 1);
        }
        assert!(dense.packed.len() <= 1002, "{}", dense.packed.len());
    }
}
