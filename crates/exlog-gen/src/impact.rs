//! The truth of issue 25's impact classes (what breaks if TLS 1.0/1.1 is
//! switched off) and of the new `--by legacy` columns, by the lead's rules
//! (`impact`, `auth_users`, `senders`, `certificate_subject`), worked out
//! from the generator's own record of each session it wrote ([`Seen`]),
//! never by reading the logs back.
//!
//! The impact of a session is the first class that applies:
//! 1. `internal`: X-ANONYMOUSTLS, or a send to port 2525 (the generator's
//!    only internal hops);
//! 2. `client_submission`: authenticated, or received on port 587;
//! 3. `tls_required`: its connector requires TLS: the inventory the
//!    generator writes says so (`RequireTLS`, a send connector's
//!    `TlsAuthLevel`), or any session on it got a `530 5.7.0` or
//!    `451 5.7.3` reply;
//! 4. `opportunistic`: anything else.

use crate::inventory;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A row key of `--by legacy` and `--by fallout`: direction (0 receive,
/// 1 send), server, connector, remote IP.
pub(crate) type Key = (u8, String, String, String);

/// What switching TLS 1.0/1.1 off does to a session's remote, in the
/// rules' order (the lowest that applies wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Impact {
    Internal,
    ClientSubmission,
    TlsRequired,
    Opportunistic,
}

impl Impact {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Impact::Internal => "internal",
            Impact::ClientSubmission => "client_submission",
            Impact::TlsRequired => "tls_required",
            Impact::Opportunistic => "opportunistic",
        }
    }
}

/// What the session builder knows of a session beyond its TLS lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Facts {
    /// X-ANONYMOUSTLS or a send to port 2525 (rule 1).
    pub internal: bool,
    /// Received on port 587 (rule 2; `auth_user` is the other half).
    pub submission_port: bool,
    /// The user of the `authenticated` row.
    pub auth_user: Option<String>,
    /// MAIL FROM addresses as written, in order (repeats allowed).
    pub senders: Vec<String>,
    /// The subject of the peer's certificate, when a row logged it.
    pub peer_subject: Option<String>,
    /// `530 5.7.0` or `451 5.7.3`: the receiver demanded STARTTLS.
    pub required_reply: Option<&'static str>,
}

/// One session as the impact and fallout rules see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Seen {
    /// Start (ms since the epoch).
    pub start: i64,
    /// Lowest successful version (index into `VERSION_LABELS`).
    pub lowest: Option<usize>,
    /// A negotiation used a weak suite (3DES, RC4, MD5).
    pub weak: bool,
    /// `TLS negotiation failed with error X`: the X of each.
    pub tls_errors: Vec<&'static str>,
    /// No TLS attempted, mail or credentials sent (every generated session
    /// without TLS sends MAIL FROM or AUTH): exlog's class `plaintext`.
    pub plaintext: bool,
    pub facts: Facts,
}

impl Seen {
    pub(crate) fn legacy(&self) -> bool {
        self.lowest.is_some_and(crate::is_legacy)
    }

    fn flagged(&self) -> bool {
        self.legacy() || self.weak
    }

    /// Rules 1 and 2; rule 3 needs every session of the connector.
    pub(crate) fn base(&self) -> Impact {
        if self.facts.internal {
            Impact::Internal
        } else if self.facts.auth_user.is_some() || self.facts.submission_port {
            Impact::ClientSubmission
        } else {
            Impact::Opportunistic
        }
    }

    /// The failure labels of the session: TLS error names and the reply.
    fn error_labels(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tls_errors
            .iter()
            .copied()
            .chain(self.facts.required_reply)
    }
}

/// Labels a failed session can carry; bit i of [`Brief::errors`] is
/// `ERRORS[i]`.
pub(crate) const ERRORS: [&str; 9] = [
    "451 5.7.3",
    "530 5.7.0",
    "AlgorithmMismatch",
    "IllegalMessage",
    "IncompleteMessage",
    "NoCredentials",
    "SocketError",
    "UnknownCredentials",
    "other",
];

fn error_bit(label: &str) -> u16 {
    let i = ERRORS
        .iter()
        .position(|e| *e == label)
        .unwrap_or(ERRORS.len() - 1);
    1 << i
}

/// A session reduced to what the fallout rules weigh (kept for every
/// session, so small).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Brief {
    pub start: i64,
    pub legacy: bool,
    /// Negotiated TLS 1.2 or later, nothing lower.
    pub modern: bool,
    /// Mail or credentials in clear, and not a failed session.
    pub plaintext: bool,
    /// Bits of [`ERRORS`]; non-zero: a failed session.
    pub errors: u16,
    pub base: Impact,
}

/// What the flagged sessions of one `--by legacy` row hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Flagged {
    legacy: u64,
    weak: u64,
    base: Option<Impact>,
    users: BTreeSet<String>,
    senders: BTreeSet<String>,
    subjects: BTreeMap<String, u64>,
}

/// The generator's record of its sessions for impact and fallout.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Book {
    pub by_key: BTreeMap<Key, Vec<Brief>>,
    flagged: BTreeMap<Key, Flagged>,
    /// Connectors (direction, server, connector) on which a session got a
    /// `530 5.7.0` / `451 5.7.3` reply.
    replied: BTreeSet<(u8, String, String)>,
}

impl Book {
    pub(crate) fn add(&mut self, key: Key, s: &Seen) {
        let errors = s.error_labels().fold(0, |m, e| m | error_bit(e));
        if s.facts.required_reply.is_some() {
            self.replied.insert((key.0, key.1.clone(), key.2.clone()));
        }
        if s.flagged() {
            let f = self.flagged.entry(key.clone()).or_default();
            f.legacy += u64::from(s.legacy());
            f.weak += u64::from(s.weak);
            f.base = Some(f.base.map_or(s.base(), |b| b.min(s.base())));
            f.users.extend(s.facts.auth_user.iter().cloned());
            f.senders.extend(s.facts.senders.iter().cloned());
            if let Some(subject) = &s.facts.peer_subject {
                *f.subjects.entry(subject.clone()).or_default() += 1;
            }
        }
        self.by_key.entry(key).or_default().push(Brief {
            start: s.start,
            legacy: s.legacy(),
            modern: s.lowest.is_some_and(|v| !crate::is_legacy(v) && v <= 5),
            // A session refused for want of STARTTLS sent nothing in clear
            // (the lead's rule: it is a failure, not a fallback).
            plaintext: s.plaintext && errors == 0,
            errors,
            base: s.base(),
        });
    }

    pub(crate) fn merge(&mut self, other: Book) {
        for (k, v) in other.by_key {
            self.by_key.entry(k).or_default().extend(v);
        }
        for (k, v) in other.flagged {
            let f = self.flagged.entry(k).or_default();
            f.legacy += v.legacy;
            f.weak += v.weak;
            f.base = match (f.base, v.base) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            f.users.extend(v.users);
            f.senders.extend(v.senders);
            for (s, n) in v.subjects {
                *f.subjects.entry(s).or_default() += n;
            }
        }
        self.replied.extend(other.replied);
    }

    /// Sorts each key's sessions by start: the streams are merged in
    /// any order.
    pub(crate) fn settle(&mut self) {
        for v in self.by_key.values_mut() {
            v.sort_by_key(|b| b.start);
        }
    }

    /// Rule 3 for a connector: the inventory requires TLS, or the logs
    /// show a session on it that was told to STARTTLS first.
    pub(crate) fn tls_required(&self, servers: &[String], d: u8, server: &str, c: &str) -> bool {
        self.replied
            .contains(&(d, server.to_string(), c.to_string()))
            || inventory_requires_tls(servers, d, server, c)
    }

    /// The class of a session of the connector, from its rules 1–2 class.
    pub(crate) fn impact(&self, servers: &[String], key: &Key, base: Impact) -> Impact {
        if base == Impact::Opportunistic && self.tls_required(servers, key.0, &key.1, &key.2) {
            Impact::TlsRequired
        } else {
            base
        }
    }

    /// The `--by legacy` rows' truth, in the report's order: impact, then
    /// legacy+weak sessions descending, legacy descending, then the key.
    pub(crate) fn legacy_json(&self, servers: &[String]) -> Vec<Value> {
        let mut rows: Vec<(Impact, &Key, &Flagged)> = self
            .flagged
            .iter()
            .map(|(k, f)| {
                let base = f.base.expect("a flagged session was added");
                (self.impact(servers, k, base), k, f)
            })
            .collect();
        rows.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then((b.2.legacy + b.2.weak).cmp(&(a.2.legacy + a.2.weak)))
                .then(b.2.legacy.cmp(&a.2.legacy))
                .then(a.1.cmp(b.1))
        });
        rows.into_iter()
            .map(|(impact, (d, server, connector, ip), f)| {
                json!({
                    "direction": crate::dir_label(*d), "server": server,
                    "connector": connector, "remote_ip": ip,
                    "legacy_sessions": f.legacy, "weak_cipher_sessions": f.weak,
                    "impact": impact.label(),
                    "auth_users": capped(&f.users), "senders": capped(&f.senders),
                    "certificate_subject": top_subject(&f.subjects),
                })
            })
            .collect()
    }
}

/// Whether the inventory the generator writes says the connector requires
/// TLS (receive: `RequireTLS`; send: `RequireTLS` or `TlsAuthLevel`).
fn inventory_requires_tls(servers: &[String], d: u8, server: &str, c: &str) -> bool {
    if d == 1 {
        return inventory::SEND
            .iter()
            .any(|s| s.name == c && s.requires_tls());
    }
    servers.iter().position(|s| s == server).is_some_and(|i| {
        inventory::receive_connectors(i, server)
            .iter()
            .any(|r| r.identity() == c && r.require_tls)
    })
}

/// Distinct values, byte-sorted: the first five `;`-joined, then
/// `;+N more` when there are more.
pub(crate) fn capped(values: &BTreeSet<String>) -> String {
    let mut text: Vec<&str> = values.iter().take(5).map(String::as_str).collect();
    let more = values.len().saturating_sub(5);
    let tail = format!("+{more} more");
    if more > 0 {
        text.push(&tail);
    }
    text.join(";")
}

/// The subject in most sessions, ties to the byte-smallest; empty if none.
fn top_subject(subjects: &BTreeMap<String, u64>) -> String {
    subjects
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(s, _)| s.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(d: u8, c: &str, ip: &str) -> Key {
        (d, "EX01".into(), c.into(), ip.into())
    }

    fn servers() -> Vec<String> {
        vec!["EX01".to_string()]
    }

    /// A TLS 1.0 session (version index 2) starting at `start`.
    fn legacy(start: i64) -> Seen {
        Seen {
            start,
            lowest: Some(2),
            ..Seen::default()
        }
    }

    fn impact_of(book: &Book, k: &Key) -> String {
        let rows = book.legacy_json(&servers());
        let row = rows
            .iter()
            .find(|r| {
                r["direction"] == crate::dir_label(k.0)
                    && r["connector"] == k.2.as_str()
                    && r["remote_ip"] == k.3.as_str()
            })
            .expect("a row");
        row["impact"].as_str().unwrap().to_string()
    }

    #[test]
    fn x_anonymoustls_is_internal_even_when_authenticated() {
        let mut book = Book::default();
        let k = key(1, "Intra-Organization SMTP Send Connector", "10.0.0.5");
        let mut s = legacy(1);
        s.facts.internal = true;
        s.facts.auth_user = Some("CONTOSO\\x".into());
        book.add(k.clone(), &s);
        assert_eq!(impact_of(&book, &k), "internal");
    }

    #[test]
    fn an_authenticated_session_or_port_587_is_client_submission() {
        let mut book = Book::default();
        let on25 = key(0, "EX01\\Default Frontend EX01", "10.30.3.15");
        let mut s = legacy(1);
        s.facts.auth_user = Some("CONTOSO\\scan".into());
        book.add(on25.clone(), &s);
        let on587 = key(0, "EX01\\Client Frontend EX01", "10.30.3.16");
        let mut s = legacy(2);
        s.facts.submission_port = true;
        book.add(on587.clone(), &s);
        assert_eq!(impact_of(&book, &on25), "client_submission");
        assert_eq!(impact_of(&book, &on587), "client_submission");
    }

    #[test]
    fn a_530_reply_anywhere_on_the_connector_makes_it_tls_required() {
        let mut book = Book::default();
        let c = "EX01\\Default Frontend EX01";
        let old = key(0, c, "192.0.2.1");
        book.add(old.clone(), &legacy(1));
        assert_eq!(impact_of(&book, &old), "opportunistic");
        // Another remote, no TLS, told to STARTTLS first.
        let mut told = Seen {
            start: 5,
            plaintext: true,
            ..Seen::default()
        };
        told.facts.required_reply = Some("530 5.7.0");
        book.add(key(0, c, "192.0.2.9"), &told);
        assert_eq!(impact_of(&book, &old), "tls_required");
        // The same on the send side is another connector.
        let send = key(1, c, "192.0.2.1");
        book.add(send.clone(), &legacy(1));
        assert_eq!(impact_of(&book, &send), "opportunistic");
    }

    #[test]
    fn the_inventory_makes_the_relay_and_office_365_tls_required() {
        let mut book = Book::default();
        let relay = key(0, &format!("EX01\\{}", inventory::RELAY), "10.20.0.1");
        let o365 = key(1, "Outbound to Office 365", "203.0.113.5");
        let internet = key(1, "Outbound to Internet", "203.0.113.6");
        for k in [&relay, &o365, &internet] {
            book.add(k.clone(), &legacy(1));
        }
        assert_eq!(impact_of(&book, &relay), "tls_required");
        assert_eq!(impact_of(&book, &o365), "tls_required");
        assert_eq!(impact_of(&book, &internet), "opportunistic");
    }

    #[test]
    fn a_row_takes_the_lowest_class_of_its_flagged_sessions_only() {
        let mut book = Book::default();
        let k = key(0, "EX01\\Default Frontend EX01", "192.0.2.1");
        book.add(k.clone(), &legacy(1));
        // An authenticated TLS 1.2 session is not flagged: no change.
        let mut modern = Seen {
            start: 2,
            lowest: Some(4),
            ..Seen::default()
        };
        modern.facts.auth_user = Some("CONTOSO\\a".into());
        book.add(k.clone(), &modern);
        assert_eq!(impact_of(&book, &k), "opportunistic");
        let mut auth = legacy(3);
        auth.facts.auth_user = Some("CONTOSO\\b".into());
        book.add(k.clone(), &auth);
        assert_eq!(impact_of(&book, &k), "client_submission");
        let row = &book.legacy_json(&servers())[0];
        // Only the flagged session's user.
        assert_eq!(row["auth_users"], "CONTOSO\\b");
        assert_eq!(row["legacy_sessions"], 2);
    }

    #[test]
    fn senders_past_five_end_in_n_more_byte_sorted() {
        let mut book = Book::default();
        let k = key(0, "EX01\\Client Frontend EX01", "10.30.0.7");
        let mut s = legacy(1);
        // 8 distinct (one repeated), `Z` sorts before `a` by bytes.
        s.facts.senders = [
            "orders", "ap", "Zeta", "invoices", "ap", "payroll", "ar", "x", "y",
        ]
        .iter()
        .map(|x| format!("{x}@contoso.com"))
        .collect();
        book.add(k.clone(), &s);
        let row = &book.legacy_json(&servers())[0];
        assert_eq!(
            row["senders"],
            "Zeta@contoso.com;ap@contoso.com;ar@contoso.com;invoices@contoso.com;orders@contoso.com;+3 more"
        );
        assert_eq!(row["auth_users"], "");
        // Exactly five: no tail.
        let five: BTreeSet<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
        assert_eq!(capped(&five), "a;b;c;d;e");
    }

    #[test]
    fn the_certificate_in_most_flagged_sessions_wins_ties_to_the_smallest() {
        let mut book = Book::default();
        let k = key(1, "Outbound to Internet", "198.51.100.7");
        for (i, subject) in ["CN=b", "CN=a", "CN=b", "CN=c"].iter().enumerate() {
            let mut s = legacy(i as i64);
            s.facts.peer_subject = Some(subject.to_string());
            book.add(k.clone(), &s);
        }
        assert_eq!(
            book.legacy_json(&servers())[0]["certificate_subject"],
            "CN=b"
        );
        let mut s = legacy(9);
        s.facts.peer_subject = Some("CN=a".into());
        book.add(k.clone(), &s);
        // 2 each: the byte-smallest.
        assert_eq!(
            book.legacy_json(&servers())[0]["certificate_subject"],
            "CN=a"
        );
    }

    #[test]
    fn rows_sort_by_impact_then_sessions() {
        let mut book = Book::default();
        let busy = key(0, "EX01\\Default Frontend EX01", "192.0.2.1");
        for t in 0..3 {
            book.add(busy.clone(), &legacy(t));
        }
        let client = key(0, "EX01\\Client Frontend EX01", "10.30.3.15");
        let mut s = legacy(1);
        s.facts.submission_port = true;
        book.add(client.clone(), &s);
        let rows = book.legacy_json(&servers());
        let ips: Vec<&str> = rows
            .iter()
            .map(|r| r["remote_ip"].as_str().unwrap())
            .collect();
        assert_eq!(ips, ["10.30.3.15", "192.0.2.1"]);
    }
}
