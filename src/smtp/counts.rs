//! What SMTP logs count: per connector, per remote, per failure and per
//! day, and the readiness marks. Mergeable; [`crate::tally::Tally`] holds
//! them per server and folds sessions into them.

use crate::parse::tls::Version;
use crate::parse::{Direction, Service, Stamp};
use crate::servers::ServerId;
use crate::smtp::impact::Impact;
use crate::smtp::session::Session;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::collections::hash_map::Entry;

/// Successful negotiations by version, plus failed ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// What readiness weighs, one mark per record: its time in milliseconds
/// since 1970, shifted left by 3, with the kind in the low bits. The
/// window is known only once every server's latest record is, so marks
/// are kept and counted when the reports are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Mark {
    /// A session, by its start.
    Session = 0,
    /// A plaintext session (mail or credentials in clear), by its start.
    Plaintext = 1,
    /// A negotiation at TLS 1.2 or later, by its TLS line.
    Modern = 2,
    /// A negotiation below TLS 1.2, by its TLS line.
    Legacy = 3,
    /// Any other negotiation (failed, unknown protocol), by its TLS line.
    Other = 4,
    /// A session below TLS 1.2, by its last such negotiation.
    LegacySession = 5,
}

impl Mark {
    pub(crate) const ALL: [Mark; 6] = [
        Mark::Session,
        Mark::Plaintext,
        Mark::Modern,
        Mark::Legacy,
        Mark::Other,
        Mark::LegacySession,
    ];

    pub(crate) fn encode(self, ms: i64) -> u64 {
        tagged(ms, self as u8)
    }

    /// `(milliseconds, kind)` of an encoded mark.
    pub(crate) fn decode(m: u64) -> (i64, Mark) {
        let (ms, tag) = untagged(m);
        (ms, Mark::ALL[tag % Mark::ALL.len()])
    }
}

/// A time (ms since 1970; none before) and a tag of three bits in one
/// `u64`: how readiness marks and fallout steps keep a session's events
/// in sortable lists.
pub(crate) fn tagged(ms: i64, tag: u8) -> u64 {
    ((ms.max(0) as u64) << 3) | u64::from(tag & 7)
}

/// `(milliseconds, tag)` of a [`tagged`] value.
pub(crate) fn untagged(m: u64) -> (i64, usize) {
    ((m >> 3) as i64, (m & 7) as usize)
}

/// One remote IP on one connector of one server: what the legacy report
/// lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteUse {
    /// Successful negotiations by version (sessions counted).
    pub versions: [u64; 7],
    /// Per session below TLS 1.2: the time of its last such negotiation (ms).
    #[serde(with = "crate::wire::deltas")]
    pub legacy_times: Vec<i64>,
    /// Sessions below TLS 1.2 whose times a state no longer keeps
    /// (`--state-keep-days`): counted, no longer dated.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub legacy_earlier: u64,
    /// Sessions that negotiated a weak suite (RC4, DES, 3DES, MD5, export).
    pub weak_sessions: u64,
    /// First and last session below TLS 1.2 or with a weak suite (ms).
    pub first_flagged: Option<i64>,
    pub last_flagged: Option<i64>,
    /// The times of `legacy_times` whose session was an Exchange hop, and
    /// those of client submissions ([`Impact::of_session`]).
    #[serde(with = "crate::wire::deltas")]
    pub legacy_internal: Vec<i64>,
    #[serde(with = "crate::wire::deltas")]
    pub legacy_client: Vec<i64>,
    /// Of the flagged sessions (below TLS 1.2 or weak): the first impact
    /// that applies by the sessions alone, the users that authenticated,
    /// the MAIL FROM addresses, and the peer certificates' subjects.
    pub flagged_impact: Option<Impact>,
    #[serde(with = "crate::wire::byte_set")]
    pub auth_users: BTreeSet<Box<[u8]>>,
    #[serde(with = "crate::wire::byte_set")]
    pub senders: BTreeSet<Box<[u8]>>,
    #[serde(with = "crate::wire::byte_map")]
    pub peer_subjects: FxHashMap<Box<[u8]>, u64>,
}

impl RemoteUse {
    fn add(&mut self, o: RemoteUse) {
        for (a, b) in self.versions.iter_mut().zip(o.versions) {
            *a += b;
        }
        self.legacy_times.extend(o.legacy_times);
        self.legacy_earlier += o.legacy_earlier;
        self.weak_sessions += o.weak_sessions;
        self.first_flagged = earliest(self.first_flagged, o.first_flagged);
        self.last_flagged = self.last_flagged.max(o.last_flagged);
        self.legacy_internal.extend(o.legacy_internal);
        self.legacy_client.extend(o.legacy_client);
        self.flagged_impact = earliest(self.flagged_impact, o.flagged_impact);
        self.auth_users.extend(o.auth_users);
        self.senders.extend(o.senders);
        for (k, n) in o.peer_subjects {
            *self.peer_subjects.entry(k).or_insert(0) += n;
        }
    }

    /// Notes one flagged session: its own impact, user, senders and the
    /// peer's certificate.
    pub fn flag(&mut self, s: &Session, own: Impact) {
        self.flagged_impact = earliest(self.flagged_impact, Some(own));
        if let Some(user) = &s.auth_user {
            self.auth_users.insert(user.clone());
        }
        for sender in &s.senders {
            if !self.senders.contains(sender) {
                self.senders.insert(sender.clone());
            }
        }
        if let Some(subject) = s.peer_subject() {
            *self.peer_subjects.entry(subject.into()).or_insert(0) += 1;
        }
    }

    /// The peer certificate seen in most flagged sessions (ties: the
    /// byte-smallest subject).
    pub fn top_subject(&self) -> Option<&[u8]> {
        self.peer_subjects
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, _)| &**k)
    }

    /// Sessions below TLS 1.2, dated or not.
    pub fn legacy_count(&self) -> u64 {
        self.legacy_times.len() as u64 + self.legacy_earlier
    }

    /// Forgets the times before `cut`, keeping their count: only the
    /// readiness window reads them, and it starts at or after `cut`.
    fn forget_times_before(&mut self, cut: i64) {
        let before = self.legacy_times.len();
        self.legacy_times.retain(|&t| t >= cut);
        self.legacy_earlier += (before - self.legacy_times.len()) as u64;
        self.legacy_internal.retain(|&t| t >= cut);
        self.legacy_client.retain(|&t| t >= cut);
    }

    /// Below TLS 1.2 or weak: a row of the legacy report.
    pub fn flagged(&self) -> bool {
        self.first_flagged.is_some()
    }

    /// The lowest version negotiated (`other` only if nothing else was).
    pub fn lowest(&self) -> Option<Version> {
        Version::ALL
            .iter()
            .copied()
            .find(|v| self.versions[v.index()] > 0)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The earlier of two optional values (`None`: not seen).
pub(crate) fn earliest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Everything counted for one connector of one direction on one server.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConnectorCounts {
    /// Negotiations, by the time of each TLS line.
    pub tls: VersionCounts,
    /// Sessions, by their start (session mode only).
    pub sessions: SessionCounts,
    /// Sessions whose lowest negotiated version is below TLS 1.2.
    pub legacy_sessions: u64,
    /// Sessions with a weak suite.
    pub weak_sessions: u64,
    /// Remote IPs that negotiated here (session mode only).
    #[serde(with = "crate::wire::byte_map")]
    pub remotes: FxHashMap<Box<[u8]>, Box<RemoteUse>>,
    /// Readiness marks (see [`Mark`]), in no order.
    #[serde(with = "crate::wire::deltas")]
    pub marks: Vec<u64>,
    /// The services whose logs hold its sessions: a bit per
    /// [`Service`] (by `Service as u8`), and [`ConnectorCounts::UNKNOWN`]
    /// for a folder whose path does not say.
    pub services: u8,
    /// A session on it got `530 5.7.0` or `451 5.7.3`: TLS is required.
    pub tls_required_reply: bool,
    /// A state keeps each mark from this time on, and before it only the
    /// few that a report reads outside a readiness window
    /// (`--state-keep-days`): a window that starts earlier is not judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_from: Option<i64>,
}

impl ConnectorCounts {
    /// The bit of [`ConnectorCounts::services`] for logs of no known service.
    pub const UNKNOWN: u8 = 1 << 7;

    /// The bit of `service` (or of an unknown one).
    pub fn service_bit(service: Option<Service>) -> u8 {
        service.map_or(Self::UNKNOWN, |s| 1 << s as u8)
    }

    pub(crate) fn add(&mut self, o: ConnectorCounts) {
        self.services |= o.services;
        self.tls.add(&o.tls);
        self.sessions.add(o.sessions);
        self.legacy_sessions += o.legacy_sessions;
        self.weak_sessions += o.weak_sessions;
        for (ip, r) in o.remotes {
            match self.remotes.entry(ip) {
                Entry::Occupied(mut e) => e.get_mut().add(*r),
                Entry::Vacant(e) => {
                    e.insert(r);
                }
            }
        }
        self.marks.extend(o.marks);
        self.tls_required_reply |= o.tls_required_reply;
        self.detail_from = self.detail_from.max(o.detail_from);
    }

    /// Drops the session detail before `cut` that no report needs once
    /// readiness windows start at or after it: of the marks before it,
    /// only the first and last session and the last negotiation below
    /// TLS 1.2 stay (the coverage report's first and last session, and
    /// readiness's "last seen"); the remotes' legacy times become counts.
    pub(crate) fn keep_detail_from(&mut self, cut: i64) {
        let mut first_session: Option<u64> = None;
        let mut last_session: Option<u64> = None;
        let mut last_legacy: Option<u64> = None;
        self.marks.retain(|&m| {
            let (ms, kind) = Mark::decode(m);
            if ms >= cut {
                return true;
            }
            match kind {
                Mark::Session => {
                    first_session = earliest(first_session, Some(m));
                    last_session = last_session.max(Some(m));
                }
                Mark::Legacy => last_legacy = last_legacy.max(Some(m)),
                _ => {}
            }
            false
        });
        let kept = [first_session, last_session, last_legacy];
        let mut kept: Vec<u64> = kept.into_iter().flatten().collect();
        kept.dedup();
        self.marks.extend(kept);
        for r in self.remotes.values_mut() {
            r.forget_times_before(cut);
        }
        self.detail_from = self.detail_from.max(Some(cut));
    }
}

/// Per direction: connector-id → `V`.
pub(crate) type PerConnector<V> = [FxHashMap<Box<[u8]>, V>; 2];

/// Per direction: connector-id → counts.
pub(crate) type Connectors = PerConnector<ConnectorCounts>;

/// Everything counted for one remote IP of one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteCounts {
    pub tls: VersionCounts,
    /// Time span of its TLS lines.
    pub first_seen: Option<Stamp>,
    pub last_seen: Option<Stamp>,
    pub sessions: SessionCounts,
    /// EHLO (or banner) names with their uses. Most remotes use one name,
    /// so a short list beats a map per remote.
    #[serde(with = "crate::wire::byte_counts")]
    pub ehlo: Vec<(Box<[u8]>, u64)>,
}

impl RemoteCounts {
    pub(crate) fn see(&mut self, stamp: &Stamp) {
        if self.first_seen.is_none_or(|f| *stamp < f) {
            self.first_seen = Some(*stamp);
        }
        if self.last_seen.is_none_or(|l| *stamp > l) {
            self.last_seen = Some(*stamp);
        }
    }

    pub(crate) fn name(&mut self, name: &[u8], n: u64) {
        match self.ehlo.iter_mut().find(|(k, _)| **k == *name) {
            Some((_, c)) => *c += n,
            None => self.ehlo.push((name.into(), n)),
        }
    }

    pub(crate) fn add(&mut self, o: RemoteCounts) {
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
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FailureKey {
    pub direction: Direction,
    pub server: ServerId,
    #[serde(with = "crate::wire::bytes")]
    pub connector: Box<[u8]>,
    #[serde(with = "crate::wire::bytes")]
    pub remote_ip: Box<[u8]>,
    #[serde(with = "crate::wire::bytes")]
    pub error: Box<[u8]>,
}

/// A UTC day (`YYYY-MM-DD`), a direction, and whether the times were
/// written by a skewed clock.
pub(crate) type DayKey = ([u8; 10], Direction, bool);

/// One UTC day of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayCounts {
    pub versions: [u64; 7],
    pub failed: u64,
    pub plaintext: u64,
}

impl DayCounts {
    pub(crate) fn add(&mut self, o: &DayCounts) {
        for (a, b) in self.versions.iter_mut().zip(o.versions) {
            *a += b;
        }
        self.failed += o.failed;
        self.plaintext += o.plaintext;
    }
}
