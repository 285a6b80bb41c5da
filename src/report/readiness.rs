//! Readiness: can TLS 1.0/1.1 be switched off? Asked per server (Schannel
//! is configured per machine) and per connector on each server.
//!
//! Each server has its own window: the `--window-days` before its own
//! latest record (or before `--as-of`), never another server's. A verdict
//! needs evidence:
//!
//! - `not_ready`: a negotiation below TLS 1.2 in the window;
//! - `ready`: the logs cover the whole window, at least one negotiation at
//!   TLS 1.2 or later is in it, and none older;
//! - `insufficient_data`: anything else (logs shorter than the window, no
//!   negotiation, only failures).
//!
//! Counts are over the window: sessions and plaintext sessions by their
//! start, negotiations by their TLS line, a session below TLS 1.2 (and
//! its remote) by its last such negotiation.

use super::{Cell, Coverage, Kind, Options, ServerInfo, Table, text, time_cell};
use crate::parse::Direction;
use crate::parse::stamp::format_millis;
use crate::parse::tls::Version;
use crate::tally::{ConnectorCounts, Mark, Tally};
use std::collections::BTreeMap;

pub const COLUMNS: [&str; 17] = [
    "scope",
    "direction",
    "server",
    "connector",
    "status",
    "coverage_from",
    "coverage_to",
    "coverage_days",
    "sessions",
    "negotiations",
    "legacy_sessions",
    "legacy_remotes",
    "plaintext_sessions",
    "last_legacy",
    "window_from",
    "window_to",
    "verdict",
];

const DAY_MS: i64 = 86_400_000;

/// How many remotes the verdict of a `not_ready` row names.
const NAMED: usize = 3;

/// The window of one server: `[from, to]` in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    /// The window of a server whose logs cover `coverage`: it ends at
    /// `--as-of` if given, else at the server's own latest record.
    pub fn of(coverage: &Coverage, options: &Options) -> Option<Window> {
        let to = options.as_of.or(coverage.last)?;
        Some(Window {
            from: to - i64::from(options.window_days) * DAY_MS,
            to,
        })
    }

    fn contains(&self, ms: i64) -> bool {
        self.from <= ms && ms <= self.to
    }
}

/// What the window holds for one scope.
#[derive(Debug, Default)]
struct Evidence<'a> {
    sessions: u64,
    plaintext: u64,
    modern: u64,
    legacy: u64,
    other: u64,
    legacy_sessions: u64,
    /// The latest negotiation below TLS 1.2 up to the window's end.
    last_legacy: Option<i64>,
    /// Remote IP → (sessions below TLS 1.2 in the window, lowest version).
    remotes: BTreeMap<&'a [u8], (u64, Option<Version>)>,
}

impl<'a> Evidence<'a> {
    fn add(&mut self, c: &'a ConnectorCounts, w: &Window) {
        for &m in &c.marks {
            let (ms, kind) = Mark::decode(m);
            if kind == Mark::Legacy && ms <= w.to {
                self.last_legacy = self.last_legacy.max(Some(ms));
            }
            if !w.contains(ms) {
                continue;
            }
            match kind {
                Mark::Session => self.sessions += 1,
                Mark::Plaintext => self.plaintext += 1,
                Mark::Modern => self.modern += 1,
                Mark::Legacy => self.legacy += 1,
                Mark::Other => self.other += 1,
                Mark::LegacySession => self.legacy_sessions += 1,
            }
        }
        for (ip, r) in &c.remotes {
            let n = r.legacy_times.iter().filter(|&&t| w.contains(t)).count() as u64;
            if n > 0 {
                let e = self.remotes.entry(&**ip).or_insert((0, None));
                e.0 += n;
                let lowest = r.lowest();
                e.1 = match (e.1, lowest) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
    }

    fn negotiations(&self) -> u64 {
        self.modern + self.legacy + self.other
    }
}

/// Readiness status, as written in the `status` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ready,
    NotReady,
    InsufficientData,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::NotReady => "not_ready",
            Status::InsufficientData => "insufficient_data",
        }
    }
}

/// `yyyy-MM-dd HH:mm`.
pub(crate) fn minute(ms: i64) -> String {
    let t = format_millis(ms);
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(m)) => format!("{d} {m}"),
        _ => t,
    }
}

/// `2024-03-08 10:02–11:12`, or with both dates when they differ.
fn span_text(from: i64, to: i64) -> String {
    let (a, b) = (minute(from), minute(to));
    match (a.get(..10), b.get(..10)) {
        (Some(x), Some(y)) if x == y => format!("{a}–{}", &b[11..]),
        _ => format!("{a}–{b}"),
    }
}

/// A duration in hours (under two days) or days.
pub(crate) fn duration_text(ms: i64) -> String {
    let hours = ms as f64 / 3_600_000.0;
    if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    super::count(n, one, many)
}

/// The status and the sentence that says why.
fn verdict(
    ev: &Evidence,
    coverage: &Coverage,
    window: Option<Window>,
    options: &Options,
) -> (Status, String) {
    let days = options.window_days;
    let (status, mut sentence) = match (window, coverage.first, coverage.last) {
        _ if ev.legacy > 0 => {
            let mut versions: Vec<Version> = ev.remotes.values().filter_map(|r| r.1).collect();
            versions.sort();
            versions.dedup();
            let versions: Vec<&str> = versions.iter().map(|v| v.label()).collect();
            let mut top: Vec<(&[u8], u64)> = ev.remotes.iter().map(|(ip, r)| (*ip, r.0)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let named: Vec<String> = top
                .iter()
                .take(NAMED)
                .map(|(ip, n)| format!("{} x{n}", String::from_utf8_lossy(ip)))
                .collect();
            (
                Status::NotReady,
                format!(
                    "not ready: {} negotiated below TLS 1.2 ({}) in {} in the window, the last on {}; {}{}",
                    plural(ev.remotes.len() as u64, "remote", "remotes"),
                    versions.join("/"),
                    plural(ev.legacy_sessions, "session", "sessions"),
                    ev.last_legacy.map(minute).unwrap_or_default(),
                    named.join(", "),
                    if top.len() > NAMED {
                        ", … (see --by legacy)"
                    } else {
                        ""
                    },
                ),
            )
        }
        (None, _, _) | (_, None, _) | (_, _, None) => (
            Status::InsufficientData,
            "insufficient data: no records".to_string(),
        ),
        (Some(w), Some(first), Some(last)) if first > w.from => (
            Status::InsufficientData,
            format!(
                "insufficient data: logs cover {} ({}), window is {}",
                duration_text(last - first),
                span_text(first, last),
                plural(u64::from(days), "day", "days"),
            ),
        ),
        (Some(w), Some(_), Some(last)) if options.as_of.is_some() && last < w.to => (
            Status::InsufficientData,
            format!(
                "insufficient data: logs end {}, before the window does ({})",
                minute(last),
                minute(w.to)
            ),
        ),
        _ if ev.modern == 0 && ev.other > 0 => (
            Status::InsufficientData,
            format!(
                "insufficient data: no negotiation at TLS 1.2 or later in the window, only {} that failed or used an unknown protocol",
                ev.other
            ),
        ),
        _ if ev.modern == 0 => (
            Status::InsufficientData,
            "insufficient data: no TLS negotiation in the window".to_string(),
        ),
        (Some(w), _, _) => (
            Status::Ready,
            format!(
                "ready: {} at TLS 1.2 or later and none older in the {} to {}",
                plural(ev.modern, "negotiation", "negotiations"),
                plural(u64::from(days), "day", "days"),
                minute(w.to)
            ),
        ),
    };
    if let (Status::Ready, Some(last)) = (status, ev.last_legacy) {
        sentence.push_str(&format!(
            "; TLS below 1.2 was last negotiated on {}, before the window",
            minute(last)
        ));
    }
    if ev.plaintext > 0 {
        sentence.push_str(&format!(
            "; {} sent mail or credentials in clear",
            plural(ev.plaintext, "session", "sessions")
        ));
    }
    (status, sentence)
}

/// Which row: scope, direction (none for a server), server, connector.
struct Scope<'a>(&'a str, Option<Direction>, &'a str, Cell);

fn row(
    Scope(scope, direction, server, connector): Scope,
    ev: &Evidence,
    coverage: &Coverage,
    window: Option<Window>,
    options: &Options,
) -> Vec<Cell> {
    let (status, sentence) = verdict(ev, coverage, window, options);
    let days = match (coverage.first, coverage.last) {
        (Some(a), Some(b)) => ((b - a) as f64 / DAY_MS as f64 * 100.0).round() as u64,
        _ => 0,
    };
    vec![
        Cell::Text(scope.to_string()),
        Cell::Text(direction.map(|d| d.label()).unwrap_or("").to_string()),
        Cell::Text(server.to_string()),
        connector,
        Cell::Text(status.label().to_string()),
        time_cell(coverage.first),
        time_cell(coverage.last),
        Cell::Hundredths(days),
        Cell::Count(ev.sessions),
        Cell::Count(ev.negotiations()),
        Cell::Count(ev.legacy_sessions),
        Cell::Count(ev.remotes.len() as u64),
        Cell::Count(ev.plaintext),
        time_cell(ev.last_legacy),
        time_cell(window.map(|w| w.from)),
        time_cell(window.map(|w| w.to)),
        Cell::Text(sentence),
    ]
}

/// One row per server (both directions: its Schannel setting covers
/// both), then one per connector of each direction on it.
pub fn table(tally: &Tally, servers: &[ServerInfo], options: &Options) -> Table {
    let mut rows = Vec::new();
    for info in servers {
        let name = info.name.as_str();
        let window = Window::of(&info.coverage, options);
        let maps = tally.connector.get(&info.id);
        // A server known only from its IIS logs has no SMTP verdict (yet).
        if maps.is_none() && info.coverage.first.is_none() {
            continue;
        }
        let mut all = Evidence::default();
        let mut connector_rows = Vec::new();
        if let (Some(maps), Some(w)) = (maps, window) {
            for d in Direction::ALL {
                let map = &maps[d.index()];
                let mut keys: Vec<&[u8]> = map.keys().map(|k| &**k).collect();
                keys.sort_unstable();
                for k in keys {
                    let mut ev = Evidence::default();
                    ev.add(&map[k], &w);
                    all.add(&map[k], &w);
                    connector_rows.push(row(
                        Scope("connector", Some(d), name, text(k)),
                        &ev,
                        &info.by_direction[d.index()],
                        window,
                        options,
                    ));
                }
            }
        } else if let Some(maps) = maps {
            // No record time to count back from: every row says so.
            for d in Direction::ALL {
                let mut keys: Vec<&[u8]> = maps[d.index()].keys().map(|k| &**k).collect();
                keys.sort_unstable();
                for k in keys {
                    connector_rows.push(row(
                        Scope("connector", Some(d), name, text(k)),
                        &Evidence::default(),
                        &info.by_direction[d.index()],
                        None,
                        options,
                    ));
                }
            }
        }
        rows.push(row(
            Scope("server", None, name, Cell::Text(String::new())),
            &all,
            &info.coverage,
            window,
            options,
        ));
        rows.extend(connector_rows);
    }
    Table {
        kind: Kind::Readiness,
        columns: COLUMNS.to_vec(),
        rows,
    }
}
