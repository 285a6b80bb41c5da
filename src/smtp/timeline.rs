//! The sessions of each remote one by one, by their start: what
//! `--by fallout` needs to tell what happened after old TLS was switched
//! off. Kept apart from the counts: every session a filter lets through is
//! here, whatever `--since` says (the history before it decides outcomes).

use crate::smtp::impact::Impact;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

/// A day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The Monday (days since 1970) of the week of a day (days since 1970):
/// 1970-01-01 was a Thursday.
pub(crate) fn monday(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

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
    /// A state keeps every step from this time on; before it, only the
    /// legacy steps `--by fallout` reads (`--state-keep-days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_from: Option<i64>,
}

impl Timeline {
    fn add(&mut self, o: Timeline) {
        self.steps.extend(o.steps);
        self.failures.extend(o.failures);
        self.last_seen = self.last_seen.max(o.last_seen);
        self.detail_from = self.detail_from.max(o.detail_from);
    }

    /// The steps before `cut` of a remote that never failed, but what
    /// `--by fallout` reads of them: its first and last legacy step, and
    /// one of the lowest impact. Fallout lists only remotes that failed,
    /// and the steps it counts come after their first failure: a failure
    /// at or after `cut`, for a remote that fails later. The legacy steps
    /// dropped are passed to `dropped` (ms, for the burn-down).
    fn keep_detail_from(&mut self, cut: i64, mut dropped: impl FnMut(i64)) {
        if !self.failures.is_empty() {
            return;
        }
        let already = self.detail_from.unwrap_or(i64::MIN);
        let (mut first, mut last, mut lowest): (Option<u64>, Option<u64>, Option<u64>) =
            (None, None, None);
        self.steps.retain(|&m| {
            let (ms, step) = Step::decode(m);
            if ms >= cut {
                return true;
            }
            if step.is_legacy() {
                // Steps before an earlier cut were kept for their place
                // only: the burn-down counted them then.
                if ms >= already {
                    dropped(ms);
                }
                first = crate::smtp::counts::earliest(first, Some(m));
                last = last.max(Some(m));
                let lower = lowest.is_none_or(|l| step.impact() < Step::decode(l).1.impact());
                if lower {
                    lowest = Some(m);
                }
            }
            false
        });
        let mut kept: Vec<u64> = [first, last, lowest].into_iter().flatten().collect();
        kept.sort_unstable();
        kept.dedup();
        self.steps.extend(kept);
        self.detail_from = self.detail_from.max(Some(cut));
    }
}

/// The legacy sessions of a week that a state no longer keeps one by one
/// (`--state-keep-days`): what the burn-down shows of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EarlierWeek {
    pub sessions: u64,
    /// The remote IPs that had them.
    #[serde(with = "crate::wire::byte_set")]
    pub remotes: std::collections::BTreeSet<Box<[u8]>>,
}

/// The timelines of the remotes of one connector.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConnectorTimelines {
    /// A session on it got `530 5.7.0` or `451 5.7.3`: TLS is required.
    pub tls_required_reply: bool,
    /// Remote IP → its sessions.
    #[serde(with = "crate::wire::byte_map")]
    pub remotes: FxHashMap<Box<[u8]>, Timeline>,
    /// Per Monday (days since 1970): the legacy sessions the timelines no
    /// longer hold one by one (`--state-keep-days`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub earlier: BTreeMap<i64, EarlierWeek>,
}

impl ConnectorTimelines {
    pub(crate) fn add(&mut self, o: ConnectorTimelines) {
        self.tls_required_reply |= o.tls_required_reply;
        for (monday, w) in o.earlier {
            let mine = self.earlier.entry(monday).or_default();
            mine.sessions += w.sessions;
            mine.remotes.extend(w.remotes);
        }
        for (ip, t) in o.remotes {
            match self.remotes.entry(ip) {
                Entry::Occupied(mut e) => e.get_mut().add(t),
                Entry::Vacant(e) => {
                    e.insert(t);
                }
            }
        }
    }

    /// Drops the steps before `cut` that no report reads (see
    /// [`Timeline::keep_detail_from`]), keeping the burn-down's weekly
    /// counts of the legacy ones that `inside` (`--since`, `--until`)
    /// lets through.
    pub(crate) fn keep_detail_from(&mut self, cut: i64, inside: impl Fn(i64) -> bool) {
        for (ip, t) in &mut self.remotes {
            t.keep_detail_from(cut, |ms| {
                if inside(ms) {
                    let week = self
                        .earlier
                        .entry(monday(ms.div_euclid(DAY_MS)))
                        .or_default();
                    week.sessions += 1;
                    if !week.remotes.contains(ip) {
                        week.remotes.insert(ip.clone());
                    }
                }
            });
        }
    }
}
