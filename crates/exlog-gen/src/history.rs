//! What exlog's weekly views (issue 26: `--by week`, the HTML burn-down)
//! are checked against: every session below TLS 1.2 the generator wrote,
//! with its start, and the days each server has records on. Raw records,
//! not weeks: the tests group them with a week function of their own.

use crate::Truth;
use std::collections::{BTreeMap, BTreeSet};

/// A session whose lowest negotiated version is below TLS 1.2.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LegacySession {
    pub server: String,
    /// 0: receive, 1: send.
    pub direction: u8,
    pub remote_ip: String,
    /// Its first row's time (ms since 1970).
    pub start_ms: i64,
}

impl Truth {
    /// Every legacy session written, sorted.
    pub fn legacy_sessions(&self) -> Vec<LegacySession> {
        let mut out: Vec<LegacySession> = self
            .book
            .by_key
            .iter()
            .flat_map(|((d, server, _, ip), briefs)| {
                briefs.iter().filter(|b| b.legacy).map(|b| LegacySession {
                    server: server.clone(),
                    direction: *d,
                    remote_ip: ip.clone(),
                    start_ms: b.start,
                })
            })
            .collect();
        out.sort();
        out
    }

    /// Per server, the UTC days (since 1970) with rows in either
    /// direction's logs.
    pub fn record_days(&self) -> BTreeMap<String, BTreeSet<i64>> {
        let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        for ((server, _), days) in &self.days {
            out.entry(server.clone()).or_default().extend(days);
        }
        out
    }
}
