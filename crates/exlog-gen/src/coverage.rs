//! The truth of coverage and readiness: per connector of each server,
//! whether the logs the generator wrote speak for it on every day of the
//! server's window, and per server and connector, whether TLS below 1.2
//! can be switched off. Worked out from what was written (the inventory it
//! was given, the UTC days of the rows in each service folder, the
//! sessions and negotiations), never by reading the files back, by the
//! README's rules.

use crate::WINDOW_DAYS;
use crate::impact::Impact;
use crate::inventory::{SEND, receive_connectors};
use crate::{DAY_MS, Evidence, Truth, dir_label, is_legacy, stamp_text};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// One row of `--by coverage`, the columns the truth knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub server: String,
    pub direction: u8,
    pub connector: String,
    pub source: &'static str,
    pub service: &'static str,
    pub sessions: u64,
    pub days_with_logs: u64,
    pub missing_days: u64,
    pub status: &'static str,
}

/// What is known of a connector before its status is decided.
struct Known<'a> {
    direction: u8,
    identity: String,
    source: &'static str,
    service: &'static str,
    /// From the inventory: `Enabled` and `ProtocolLoggingLevel Verbose`.
    enabled: Option<bool>,
    verbose: Option<bool>,
    window: &'a [i64],
}

/// Statuses that leave a server's verdict without evidence.
fn is_blind(status: &str) -> bool {
    !matches!(status, "covered" | "disabled" | "ignored")
}

/// The service folder the generator writes for a direction: receive logs
/// in FrontEnd, send logs in Hub (it writes no Hub receive logs).
fn folder_service(direction: u8) -> &'static str {
    if direction == 0 { "FrontEnd" } else { "Hub" }
}

impl Truth {
    /// Servers with logs, by name.
    fn server_names(&self) -> BTreeSet<&str> {
        self.records.keys().map(|(_, s)| s.as_str()).collect()
    }

    /// The window of `server`: the 14 calendar days (UTC) that end with
    /// the day of its latest record, as (from, to) in ms and its days.
    fn window(&self, server: &str) -> (i64, i64, Vec<i64>) {
        let to = self
            .records
            .iter()
            .filter(|((_, s), _)| s == server)
            .map(|(_, (_, last))| *last)
            .max()
            .expect("a server with records");
        let last_day = to.div_euclid(DAY_MS);
        let days: Vec<i64> = (last_day - WINDOW_DAYS + 1..=last_day).collect();
        (days[0] * DAY_MS, to, days)
    }

    /// The days of the server's folder for `direction`, if it was written.
    fn folder_days(&self, server: &str, direction: u8) -> Option<&BTreeSet<i64>> {
        self.days.get(&(server.to_string(), direction))
    }

    /// The coverage rows of every server with logs: its inventory's
    /// connectors, then those it has rows of that no inventory lists (the
    /// implicit intra-organization send connector), each server's sorted
    /// by direction and identity, as exlog sorts them.
    pub(crate) fn coverage(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for server in self.server_names() {
            let (_, _, window) = self.window(server);
            let mut known = Vec::new();
            if let Some(i) = self.servers.iter().position(|s| s == server) {
                for c in receive_connectors(i, server) {
                    known.push(Known {
                        direction: 0,
                        identity: c.identity(),
                        source: "inventory",
                        service: c.service(),
                        enabled: Some(c.enabled),
                        verbose: Some(c.verbose),
                        window: &window,
                    });
                }
                for c in &SEND {
                    known.push(Known {
                        direction: 1,
                        identity: c.name.to_string(),
                        source: "inventory",
                        service: "Hub",
                        enabled: Some(true),
                        verbose: Some(true),
                        window: &window,
                    });
                }
            }
            let listed: BTreeSet<(u8, String)> = known
                .iter()
                .map(|k| (k.direction, k.identity.to_lowercase()))
                .collect();
            for (_, d, connector) in self.evidence.keys().filter(|k| k.0 == server) {
                if !listed.contains(&(*d, connector.to_lowercase())) {
                    known.push(Known {
                        direction: *d,
                        identity: connector.clone(),
                        source: "logs",
                        service: folder_service(*d),
                        enabled: None,
                        verbose: None,
                        window: &window,
                    });
                }
            }
            let mut rows: Vec<Row> = known.into_iter().map(|k| self.row(server, k)).collect();
            rows.sort_by(|a, b| {
                (a.direction, a.connector.as_bytes()).cmp(&(b.direction, b.connector.as_bytes()))
            });
            out.extend(rows);
        }
        out
    }

    /// One connector's row: its service's days in the window, its
    /// sessions, and its status by the README's rules.
    fn row(&self, server: &str, k: Known) -> Row {
        let days = self
            .folder_days(server, k.direction)
            .filter(|_| k.service == folder_service(k.direction));
        let with = k
            .window
            .iter()
            .filter(|d| days.is_some_and(|s| s.contains(d)))
            .count() as u64;
        let missing = k.window.len() as u64 - with;
        let sessions = self
            .evidence
            .get(&(server.to_string(), k.direction, k.identity.clone()))
            .map_or(0, |e| e.sessions.len() as u64);
        let has_rows = sessions > 0;
        let status = if k.enabled == Some(false) {
            "disabled"
        } else if k.verbose == Some(false) {
            "not_logged"
        } else if days.is_none() && !has_rows {
            "not_read"
        } else if !has_rows && k.verbose != Some(true) {
            "unknown"
        } else if missing == 0 {
            "covered"
        } else {
            "partial"
        };
        Row {
            server: server.to_string(),
            direction: k.direction,
            connector: k.identity,
            source: k.source,
            service: k.service,
            sessions,
            days_with_logs: with,
            missing_days: missing,
            status,
        }
    }

    pub(crate) fn coverage_json(&self) -> Vec<Value> {
        self.coverage()
            .into_iter()
            .map(|r| {
                json!({
                    "server": r.server, "direction": dir_label(r.direction),
                    "connector": r.connector, "source": r.source, "service": r.service,
                    "sessions": r.sessions, "days_with_logs": r.days_with_logs,
                    "missing_days": r.missing_days, "status": r.status,
                })
            })
            .collect()
    }

    /// Whether a window day lacks records in a folder of `server` that was
    /// written: one direction's (`Some`), or any (`None`).
    fn has_gap(&self, server: &str, direction: Option<u8>, window: &[i64]) -> bool {
        self.days
            .iter()
            .filter(|((s, d), _)| s == server && direction.is_none_or(|x| x == *d))
            .any(|(_, days)| window.iter().any(|w| !days.contains(w)))
    }

    /// Readiness per server and per connector with rows: `not_ready` if
    /// a negotiation below TLS 1.2 is in the window; else
    /// `insufficient_data` if a window day lacks records in a service
    /// folder read (a connector: its own) or (a server) an enabled
    /// connector is not covered; else `ready` if a negotiation at TLS 1.2
    /// or later is in the window, `insufficient_data` if none is.
    pub(crate) fn readiness_json(&self) -> Vec<Value> {
        let coverage = self.coverage();
        let mut out = Vec::new();
        for server in self.server_names() {
            let (from, to, window) = self.window(server);
            let blind = coverage
                .iter()
                .any(|c| c.server == server && is_blind(c.status));
            let mine: Vec<(&(String, u8, String), &Evidence)> = self
                .evidence
                .iter()
                .filter(|((s, _, _), _)| s == server)
                .collect();
            // Each connector's evidence, and whether it requires TLS.
            let mine: Vec<(&(String, u8, String), Scoped)> = mine
                .into_iter()
                .map(|(k, e)| {
                    let required = self.book.tls_required(&self.servers, k.1, &k.0, &k.2);
                    (k, (e, required))
                })
                .collect();
            // The server (no direction and connector), then each connector.
            type Scope<'a> = (Option<(u8, &'a str)>, Vec<Scoped<'a>>);
            let mut scopes: Vec<Scope> = vec![(None, mine.iter().map(|(_, e)| *e).collect())];
            for ((_, d, c), e) in &mine {
                scopes.push((Some((*d, c.as_str())), vec![*e]));
            }
            for (scope, evs) in scopes {
                let without = match scope {
                    None => blind || self.has_gap(server, None, &window),
                    Some((d, _)) => self.has_gap(server, Some(d), &window),
                };
                let mut row = scope_row(&evs, from, to, without);
                let (scope_name, d, connector) = match scope {
                    None => ("server", "", ""),
                    Some((d, c)) => ("connector", dir_label(d), c),
                };
                row["scope"] = json!(scope_name);
                row["direction"] = json!(d);
                row["server"] = json!(server);
                row["connector"] = json!(connector);
                out.push(reorder(row));
            }
        }
        out
    }
}

/// A connector's evidence, and whether it requires TLS (impact rule 3).
type Scoped<'a> = (&'a Evidence, bool);

/// The legacy remotes of a scope in the window per impact class: each
/// remote once, in the lowest class of its legacy sessions there.
fn remotes_by_impact(evs: &[Scoped], inside: impl Fn(i64) -> bool) -> [usize; 4] {
    let mut class: BTreeMap<&str, Impact> = BTreeMap::new();
    for (e, required) in evs {
        for (t, ip, base) in &e.legacy {
            if !inside(*t) {
                continue;
            }
            let c = match base {
                Impact::Opportunistic if *required => Impact::TlsRequired,
                b => *b,
            };
            let e = class.entry(ip.as_str()).or_insert(c);
            *e = (*e).min(c);
        }
    }
    let mut n = [0; 4];
    for c in class.values() {
        n[*c as usize] += 1;
    }
    n
}

/// Status and counts of one scope in the window `from..=to`; `blind`:
/// the logs cannot speak for the whole scope.
fn scope_row(scoped: &[Scoped], from: i64, to: i64, blind: bool) -> Value {
    let inside = |t: i64| from <= t && t <= to;
    let evs: Vec<&Evidence> = scoped.iter().map(|s| s.0).collect();
    let (mut all, mut old, mut new) = (0u64, 0u64, 0u64);
    for (_, v) in evs
        .iter()
        .flat_map(|e| &e.negotiations)
        .filter(|n| inside(n.0))
    {
        all += 1;
        match v {
            Some(v) if is_legacy(*v) => old += 1,
            Some(4 | 5) => new += 1,
            _ => {}
        }
    }
    let legacy: Vec<&(i64, String, Impact)> = evs
        .iter()
        .flat_map(|e| &e.legacy)
        .filter(|l| inside(l.0))
        .collect();
    let remotes: BTreeSet<&str> = legacy.iter().map(|l| l.1.as_str()).collect();
    let starts = evs.iter().flat_map(|e| &e.sessions).filter(|s| inside(s.0));
    let (sessions, plain) = starts.fold((0u64, 0u64), |(n, p), s| (n + 1, p + u64::from(s.1)));
    let status = if old > 0 {
        "not_ready"
    } else if !blind && new > 0 {
        "ready"
    } else {
        "insufficient_data"
    };
    let [internal, client, required, opportunistic] = remotes_by_impact(scoped, inside);
    json!({
        "status": status, "sessions": sessions, "negotiations": all,
        "legacy_sessions": legacy.len(), "legacy_remotes": remotes.len(),
        "internal_remotes": internal, "client_remotes": client,
        "tls_required_remotes": required, "opportunistic_remotes": opportunistic,
        "plaintext_sessions": plain,
        "window_from": stamp_text(from), "window_to": stamp_text(to),
    })
}

/// The readiness row's keys in the report's column order.
fn reorder(row: Value) -> Value {
    const KEYS: [&str; 16] = [
        "scope",
        "direction",
        "server",
        "connector",
        "status",
        "sessions",
        "negotiations",
        "legacy_sessions",
        "legacy_remotes",
        "internal_remotes",
        "client_remotes",
        "tls_required_remotes",
        "opportunistic_remotes",
        "plaintext_sessions",
        "window_from",
        "window_to",
    ];
    let mut o = serde_json::Map::new();
    for k in KEYS {
        o.insert(k.to_string(), row[k].clone());
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(legacy: &[(i64, &str, Impact)]) -> Evidence {
        Evidence {
            legacy: legacy
                .iter()
                .map(|(t, ip, c)| (*t, ip.to_string(), *c))
                .collect(),
            ..Evidence::default()
        }
    }

    #[test]
    fn each_legacy_remote_counts_once_in_its_lowest_class_in_the_window() {
        use Impact::*;
        // A: internal on one connector, opportunistic on another: internal.
        // B: opportunistic on a connector that requires TLS: tls_required.
        // C: only outside the window (t = 50). D: client submission, twice.
        let open = evidence(&[(5, "A", Opportunistic), (6, "D", ClientSubmission)]);
        let internal = evidence(&[(7, "A", Internal), (8, "D", ClientSubmission)]);
        let required = evidence(&[(9, "B", Opportunistic), (50, "C", Opportunistic)]);
        let scoped = [(&open, false), (&internal, false), (&required, true)];
        let inside = |t: i64| (0..=10).contains(&t);
        // By hand: internal A, client D, tls_required B, no opportunistic.
        assert_eq!(remotes_by_impact(&scoped, inside), [1, 1, 1, 0]);
        // The same remote on the connector alone that does not require TLS.
        assert_eq!(remotes_by_impact(&scoped[..1], inside), [0, 1, 0, 1]);
    }
}
