//! The sessions of each remote one by one, by their start: what
//! `--by fallout` needs to tell what happened after old TLS was switched
//! off. Kept apart from the counts: every session a filter lets through is
//! here, whatever `--since` says (the history before it decides outcomes).

use crate::smtp::impact::Impact;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// What a session of a remote was, for `--by fallout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Step {
    /// Below TLS 1.2, an Exchange hop.
    LegacyInternal = 0,
    /// Below TLS 1.2, a client submission.
    LegacyClient = 1,
    /// Below TLS 1.2, neither.
    Legacy = 2,
    /// TLS 1.2 or later.
    Modern = 3,
    /// Mail or credentials in clear.
    Plaintext = 4,
}

impl Step {
    const ALL: [Step; 5] = [
        Step::LegacyInternal,
        Step::LegacyClient,
        Step::Legacy,
        Step::Modern,
        Step::Plaintext,
    ];

    /// The step of a legacy session with this own impact.
    pub(crate) fn legacy(own: Impact) -> Step {
        match own {
            Impact::Internal => Step::LegacyInternal,
            Impact::ClientSubmission => Step::LegacyClient,
            _ => Step::Legacy,
        }
    }

    pub(crate) fn is_legacy(self) -> bool {
        (self as u8) <= Step::Legacy as u8
    }

    /// The own impact of a legacy step.
    pub(crate) fn impact(self) -> Impact {
        match self {
            Step::LegacyInternal => Impact::Internal,
            Step::LegacyClient => Impact::ClientSubmission,
            _ => Impact::Opportunistic,
        }
    }

    pub(crate) fn encode(self, ms: i64) -> u64 {
        super::counts::tagged(ms, self as u8)
    }

    /// `(milliseconds, step)` of an encoded step.
    pub(crate) fn decode(m: u64) -> (i64, Step) {
        let (ms, tag) = super::counts::untagged(m);
        (ms, Step::ALL[tag % Step::ALL.len()])
    }
}

/// A session that failed to negotiate, or was told TLS is required.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FailedSession {
    /// Its start (ms).
    pub start: i64,
    /// What the session says of its impact by itself.
    pub impact: Impact,
    /// The TLS error names, or the reply codes (`530 5.7.0`).
    pub errors: Vec<String>,
}

/// The sessions of one remote on one connector, by their start: what
/// happened before and after old TLS was switched off.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeline {
    /// Legacy, modern and plaintext sessions ([`Step`]), in no order.
    #[serde(with = "crate::wire::deltas")]
    pub steps: Vec<u64>,
    #[serde(with = "crate::wire::sorted")]
    pub failures: Vec<FailedSession>,
    /// The latest session start (ms).
    pub last_seen: Option<i64>,
}

impl Timeline {
    fn add(&mut self, o: Timeline) {
        self.steps.extend(o.steps);
        self.failures.extend(o.failures);
        self.last_seen = self.last_seen.max(o.last_seen);
    }
}

/// The timelines of the remotes of one connector.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConnectorTimelines {
    /// A session on it got `530 5.7.0` or `451 5.7.3`: TLS is required.
    pub tls_required_reply: bool,
    /// Remote IP → its sessions.
    #[serde(with = "crate::wire::byte_map")]
    pub remotes: FxHashMap<Box<[u8]>, Timeline>,
}

impl ConnectorTimelines {
    pub(crate) fn add(&mut self, o: ConnectorTimelines) {
        self.tls_required_reply |= o.tls_required_reply;
        for (ip, t) in o.remotes {
            match self.remotes.entry(ip) {
                Entry::Occupied(mut e) => e.get_mut().add(t),
                Entry::Vacant(e) => {
                    e.insert(t);
                }
            }
        }
    }
}
