//! The truth of `--by fallout` (issue 25 §3) by the lead's rules, from the
//! generator's record of every session it wrote ([`Book`]).
//!
//! A *failed* session has a `TLS negotiation failed` line or a `530 5.7.0`
//! / `451 5.7.3` reply. The switch of a server is the earliest failed
//! session, of a row key with a legacy session that started before it,
//! after which no legacy session starts on the server (any direction, any
//! remote); its UTC day is the switch day, and the report covers each
//! server from that day's 00:00 UTC. One row per key with a failed session
//! in that period.

use crate::impact::{Book, Brief, ERRORS, Impact, Key};
use crate::{DAY_MS, dir_label, stamp_text};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One `--by fallout` row, without the EHLO (the truth's remote report
/// knows it).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub key: Key,
    pub impact: Impact,
    pub last_legacy: Option<i64>,
    pub first_failure: i64,
    pub last_failure: i64,
    pub failures: u64,
    pub errors: String,
    pub outcome: &'static str,
    pub plaintext_after: u64,
    pub modern_after: u64,
    pub last_seen: i64,
}

/// The start of the session that shows each server's switch (servers
/// without one are left out).
pub(crate) fn switches(book: &Book) -> BTreeMap<String, i64> {
    let mut last_legacy: BTreeMap<&str, i64> = BTreeMap::new();
    for (k, sessions) in &book.by_key {
        for b in sessions.iter().filter(|b| b.legacy) {
            let e = last_legacy.entry(k.1.as_str()).or_insert(b.start);
            *e = (*e).max(b.start);
        }
    }
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (k, sessions) in &book.by_key {
        let Some(&after) = last_legacy.get(k.1.as_str()) else {
            continue;
        };
        let first_legacy = sessions.iter().filter(|b| b.legacy).map(|b| b.start).min();
        // No legacy session at or after F: F starts after the server's
        // last legacy start, and so after one of this key's.
        let f = sessions
            .iter()
            .filter(|b| b.errors != 0 && b.start > after)
            .filter(|b| first_legacy.is_some_and(|l| l < b.start))
            .map(|b| b.start)
            .min();
        if let Some(f) = f {
            let e = out.entry(k.1.clone()).or_insert(f);
            *e = (*e).min(f);
        }
    }
    out
}

/// The period start of a server: its switch day's 00:00 UTC.
pub(crate) fn period_start(switch: i64) -> i64 {
    switch.div_euclid(DAY_MS) * DAY_MS
}

/// The rows, sorted by key; `impact` maps a key and a rules-1–2 class to
/// the session's class.
pub(crate) fn rows(book: &Book, impact: impl Fn(&Key, Impact) -> Impact) -> Vec<Row> {
    let starts = switches(book);
    let mut out = Vec::new();
    for (k, sessions) in &book.by_key {
        let Some(&switch) = starts.get(&k.1) else {
            continue;
        };
        if let Some(row) = row(k, sessions, period_start(switch), &impact) {
            out.push(row);
        }
    }
    out
}

/// One key's row, if it has a failed session in the period from `from`;
/// `sessions` sorted by start.
fn row(
    key: &Key,
    sessions: &[Brief],
    from: i64,
    impact: impl Fn(&Key, Impact) -> Impact,
) -> Option<Row> {
    let failed: Vec<&Brief> = sessions
        .iter()
        .filter(|b| b.errors != 0 && b.start >= from)
        .collect();
    let first = failed.first()?.start;
    let last_legacy = sessions.iter().filter(|b| b.legacy).map(|b| b.start).max();
    let legacy_before = sessions.iter().any(|b| b.legacy && b.start < first);
    let after: Vec<&Brief> = sessions.iter().filter(|b| b.start > first).collect();
    let outcome = if !legacy_before {
        "new_failure"
    } else {
        match after.iter().rev().find(|b| b.modern || b.plaintext) {
            Some(b) if b.modern => "recovered",
            Some(_) => "fell_back_to_plaintext",
            None => "blocked",
        }
    };
    // The legacy sessions' classes, or for a new failure its failed ones'.
    let classes: Vec<Impact> = if legacy_before {
        sessions
            .iter()
            .filter(|b| b.legacy)
            .map(|b| b.base)
            .collect()
    } else {
        failed.iter().map(|b| b.base).collect()
    };
    let base = classes
        .into_iter()
        .min()
        .expect("a legacy or failed session");
    let bits = failed.iter().fold(0u16, |m, b| m | b.errors);
    let errors: Vec<&str> = ERRORS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, e)| *e)
        .collect();
    Some(Row {
        key: key.clone(),
        impact: impact(key, base),
        last_legacy,
        first_failure: first,
        last_failure: failed.last().expect("one").start,
        failures: failed.len() as u64,
        errors: errors.join(";"),
        outcome,
        plaintext_after: after.iter().filter(|b| b.plaintext).count() as u64,
        modern_after: after.iter().filter(|b| b.modern).count() as u64,
        last_seen: sessions.iter().map(|b| b.start).max().expect("one"),
    })
}

impl Row {
    /// The row as JSON, with `ehlo` (and `ehlo_hex` when it is not UTF-8)
    /// given; times as `stamp_text`, `last_legacy` empty when none.
    pub(crate) fn to_json(&self, ehlo: &[u8]) -> Value {
        let (d, server, connector, ip) = &self.key;
        let mut o = json!({
            "direction": dir_label(*d), "server": server, "connector": connector,
            "remote_ip": ip, "ehlo": String::from_utf8_lossy(ehlo),
            "impact": self.impact.label(),
            "last_legacy": self.last_legacy.map(stamp_text).unwrap_or_default(),
            "first_failure": stamp_text(self.first_failure),
            "last_failure": stamp_text(self.last_failure),
            "failures": self.failures, "errors": self.errors, "outcome": self.outcome,
            "plaintext_sessions_after": self.plaintext_after,
            "modern_sessions_after": self.modern_after,
            "last_seen": stamp_text(self.last_seen),
        });
        if std::str::from_utf8(ehlo).is_err() {
            let hex: String = ehlo.iter().map(|x| format!("{x:02x}")).collect();
            o["ehlo_hex"] = json!(hex);
        }
        o
    }
}

/// Per server with a switch: its day, the failed session that shows it,
/// and how many rows of each outcome the period holds.
pub(crate) fn switch_json(book: &Book, rows: &[Row]) -> Vec<Value> {
    switches(book)
        .into_iter()
        .map(|(server, f)| {
            let mut outcomes = serde_json::Map::new();
            for o in [
                "recovered",
                "fell_back_to_plaintext",
                "blocked",
                "new_failure",
            ] {
                let n = rows
                    .iter()
                    .filter(|r| r.key.1 == server && r.outcome == o)
                    .count();
                outcomes.insert(o.to_string(), json!(n));
            }
            json!({
                "server": server,
                "switch_day": stamp_text(period_start(f))[..10],
                "first_failure": stamp_text(f),
                "outcomes": outcomes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::Seen;

    const H: i64 = 3_600_000;
    /// 2024-03-10T00:00:00Z.
    const DAY10: i64 = 1_710_028_800_000;

    fn key(ip: &str) -> Key {
        (
            0,
            "EX01".into(),
            "EX01\\Default Frontend EX01".into(),
            ip.into(),
        )
    }

    fn legacy(start: i64) -> Seen {
        Seen {
            start,
            lowest: Some(2),
            ..Seen::default()
        }
    }

    fn modern(start: i64) -> Seen {
        Seen {
            start,
            lowest: Some(4),
            ..Seen::default()
        }
    }

    fn failed(start: i64, err: &'static str) -> Seen {
        Seen {
            start,
            tls_errors: vec![err],
            ..Seen::default()
        }
    }

    fn plain(start: i64) -> Seen {
        Seen {
            start,
            plaintext: true,
            ..Seen::default()
        }
    }

    fn book(sessions: &[(&str, Seen)]) -> Book {
        let mut b = Book::default();
        for (ip, s) in sessions {
            b.add(key(ip), s);
        }
        b.settle();
        b
    }

    fn fallout(b: &Book) -> Vec<Row> {
        rows(b, |_, i| i)
    }

    #[test]
    fn each_outcome_by_hand() {
        // Legacy on day 9; switch on day 10 at 08:00 (A fails first).
        let b = book(&[
            ("A", legacy(DAY10 - 5 * H)),
            ("B", legacy(DAY10 - 4 * H)),
            ("C", legacy(DAY10 - 3 * H)),
            ("D", legacy(DAY10 - 2 * H)),
            ("A", failed(DAY10 + 8 * H, "AlgorithmMismatch")),
            ("A", modern(DAY10 + 9 * H)),
            ("B", failed(DAY10 + 10 * H, "AlgorithmMismatch")),
            ("B", plain(DAY10 + 11 * H)),
            ("C", failed(DAY10 + 12 * H, "AlgorithmMismatch")),
            ("C", failed(DAY10 + 13 * H, "SocketError")),
            // D falls back, then recovers: the latest evidence wins.
            ("D", failed(DAY10 + 14 * H, "AlgorithmMismatch")),
            ("D", plain(DAY10 + 15 * H)),
            ("D", plain(DAY10 + 16 * H)),
            ("D", modern(DAY10 + 30 * H)),
            // E was never seen below TLS 1.2.
            ("E", failed(DAY10 + 17 * H, "AlgorithmMismatch")),
            ("E", plain(DAY10 + 18 * H)),
        ]);
        assert_eq!(switches(&b)["EX01"], DAY10 + 8 * H);
        let rows = fallout(&b);
        let got: Vec<(&str, &str, u64, &str, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.key.3.as_str(),
                    r.outcome,
                    r.failures,
                    r.errors.as_str(),
                    r.plaintext_after,
                    r.modern_after,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("A", "recovered", 1, "AlgorithmMismatch", 0, 1),
                ("B", "fell_back_to_plaintext", 1, "AlgorithmMismatch", 1, 0),
                ("C", "blocked", 2, "AlgorithmMismatch;SocketError", 0, 0),
                ("D", "recovered", 1, "AlgorithmMismatch", 2, 1),
                ("E", "new_failure", 1, "AlgorithmMismatch", 1, 0),
            ]
        );
        let c = &rows[2];
        assert_eq!(
            (c.last_legacy, c.first_failure, c.last_failure, c.last_seen),
            (
                Some(DAY10 - 3 * H),
                DAY10 + 12 * H,
                DAY10 + 13 * H,
                DAY10 + 13 * H
            )
        );
        assert_eq!(rows[4].last_legacy, None);
    }

    #[test]
    fn a_failure_before_a_later_legacy_success_is_no_switch() {
        // A fails at 01:00, but B still negotiates TLS 1.0 at 02:00: the
        // switch is A's next failure, at 03:00 on the next day.
        let b = book(&[
            ("A", legacy(DAY10 - 5 * H)),
            ("A", failed(DAY10 + H, "AlgorithmMismatch")),
            ("B", legacy(DAY10 + 2 * H)),
            ("A", failed(DAY10 + 27 * H, "AlgorithmMismatch")),
        ]);
        assert_eq!(switches(&b)["EX01"], DAY10 + 27 * H);
        // The period starts on day 11: A's failure on day 10 is before it.
        let rows = fallout(&b);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].failures, rows[0].first_failure),
            (1, DAY10 + 27 * H)
        );
    }

    #[test]
    fn failures_of_remotes_without_legacy_history_alone_are_no_switch() {
        let b = book(&[
            ("A", legacy(DAY10)),
            ("E", failed(DAY10 + H, "AlgorithmMismatch")),
            ("E", failed(DAY10 + 2 * H, "AlgorithmMismatch")),
        ]);
        assert!(switches(&b).is_empty());
        assert!(fallout(&b).is_empty());
    }

    #[test]
    fn a_required_tls_reply_is_a_failure_and_its_label() {
        let mut told = plain(DAY10 + 2 * H);
        told.facts.required_reply = Some("530 5.7.0");
        let b = book(&[
            ("A", legacy(DAY10 - H)),
            ("A", failed(DAY10 + H, "AlgorithmMismatch")),
            ("A", told),
        ]);
        let r = &fallout(&b)[0];
        assert_eq!(r.errors, "530 5.7.0;AlgorithmMismatch");
        assert_eq!(r.failures, 2);
    }

    #[test]
    fn the_switch_day_and_row_as_json() {
        let b = book(&[
            ("A", legacy(DAY10 - H)),
            ("A", failed(DAY10 + 8 * H, "AlgorithmMismatch")),
        ]);
        let rows = fallout(&b);
        let j = rows[0].to_json(b"mail.example.net");
        assert_eq!(j["first_failure"], "2024-03-10T08:00:00.000Z");
        assert_eq!(j["last_legacy"], "2024-03-09T23:00:00.000Z");
        assert_eq!(j["outcome"], "blocked");
        let s = &switch_json(&b, &rows)[0];
        assert_eq!(s["switch_day"], "2024-03-10");
        assert_eq!(s["outcomes"]["blocked"], 1);
    }
}
