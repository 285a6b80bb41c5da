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
//!
//! HTTPS counts too: each IIS site of a server (from its logs with the
//! crypt-* fields) gets an `https` row judged by the same rules, with
//! requests in place of sessions, and the server's status is the worst of
//! its sources (SMTP, each site): Schannel serves them all.

use super::coverage::{self, ranges_text};
use super::window::{DAY_MS, Window};
use super::{
    Cell, Coverage, Input, Kind, Needs, Options, Report, ServerInfo, Table, text, time_cell,
};
use crate::iis::counts::HttpsEvidence;
use crate::parse::Direction;
use crate::parse::stamp::format_millis;
use crate::parse::tls::Version;
use crate::smtp::counts::{ConnectorCounts, Mark, RemoteCounts};
use crate::smtp::impact::{ConnectorTraits, Impact};
use crate::tally::Tally;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

pub const KIND: Kind = Kind::named("readiness");

/// The report's entry in the registry.
pub(crate) struct Readiness;

impl Report for Readiness {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "per server and connector: can TLS 1.0/1.1 be switched off?"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "scope,direction,server,connector,status,coverage_from,coverage_to,coverage_days,",
            "\ndays_with_logs,missing_days,sessions,negotiations,legacy_sessions,legacy_remotes,",
            "\ninternal_remotes,client_remotes,tls_required_remotes,opportunistic_remotes,",
            "\nplaintext_sessions,last_legacy,window_from,window_to,verdict",
            "\n(status: ready, not_ready or insufficient_data)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally, from.infos, from.options))
    }
    fn counted_rows(&self, _: &Table) -> Option<Vec<bool>> {
        // A server's row, then its connectors': no sum means anything.
        None
    }
}

pub(crate) const COLUMNS: [&str; 23] = [
    "scope",
    "direction",
    "server",
    "connector",
    "status",
    "coverage_from",
    "coverage_to",
    "coverage_days",
    "days_with_logs",
    "missing_days",
    "sessions",
    "negotiations",
    "legacy_sessions",
    "legacy_remotes",
    "internal_remotes",
    "client_remotes",
    "tls_required_remotes",
    "opportunistic_remotes",
    "plaintext_sessions",
    "last_legacy",
    "window_from",
    "window_to",
    "verdict",
];

/// How many remotes the verdict of a `not_ready` row names.
const NAMED: usize = 3;

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
    /// Remote IP → what it did below TLS 1.2 in the window.
    remotes: BTreeMap<&'a [u8], LegacyRemote<'a>>,
    /// The window starts before a state's session detail does
    /// (`--state-keep-days`): from when the detail is kept.
    undated: Option<i64>,
}

/// A remote below TLS 1.2 in a window.
#[derive(Debug)]
struct LegacyRemote<'a> {
    /// Sessions below TLS 1.2 in the window.
    sessions: u64,
    lowest: Option<Version>,
    /// The first impact class that applies to them.
    impact: Impact,
    /// Its most used EHLO name (or banner host), to name it by.
    ehlo: &'a [u8],
    /// Seen in receive logs (a sender), not only in send logs.
    sender: bool,
}

/// Where a connector's remotes are: its direction, what it says of
/// impact, and the remotes' names.
struct Place<'a> {
    direction: Direction,
    traits: ConnectorTraits,
    names: &'a FxHashMap<Box<[u8]>, Box<RemoteCounts>>,
}

impl<'a> Evidence<'a> {
    fn add(&mut self, c: &'a ConnectorCounts, w: &Window, place: &Place<'a>) {
        if let Some(from) = c.detail_from.filter(|&d| w.from < d) {
            self.undated = self.undated.max(Some(from));
        }
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
            let within = |times: &[i64]| times.iter().filter(|&&t| w.contains(t)).count() as u64;
            let n = within(&r.legacy_times);
            if n == 0 {
                continue;
            }
            let own = if within(&r.legacy_internal) > 0 {
                Impact::Internal
            } else if within(&r.legacy_client) > 0 {
                Impact::ClientSubmission
            } else {
                Impact::Opportunistic
            };
            let impact = place.traits.resolve(own);
            let receive = place.direction == Direction::Receive;
            let e = self.remotes.entry(&**ip).or_insert_with(|| LegacyRemote {
                sessions: 0,
                lowest: None,
                impact,
                ehlo: place
                    .names
                    .get(&**ip)
                    .and_then(|rc| rc.top_ehlo())
                    .unwrap_or(b""),
                sender: receive,
            });
            e.sessions += n;
            e.lowest = match (e.lowest, r.lowest()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            e.impact = e.impact.min(impact);
            e.sender |= receive;
        }
    }

    /// Distinct remotes below TLS 1.2 in the window, by impact class.
    fn by_impact(&self) -> [u64; 4] {
        let mut n = [0; 4];
        for r in self.remotes.values() {
            n[r.impact.index()] += 1;
        }
        n
    }

    fn negotiations(&self) -> u64 {
        self.modern + self.legacy + self.other
    }
}

/// Readiness status, as written in the `status` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ready,
    NotReady,
    InsufficientData,
}

impl Status {
    /// How bad: not ready outweighs too little evidence, which outweighs
    /// ready (a server is as ready as its least ready source).
    fn rank(self) -> u8 {
        match self {
            Status::Ready => 0,
            Status::InsufficientData => 1,
            Status::NotReady => 2,
        }
    }

    pub(crate) fn label(self) -> &'static str {
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

/// Why the logs cannot show a whole window, if they cannot: no records,
/// logs that start after the window does, that end before it starts, or
/// (with `--as-of`) that end before it does.
fn coverage_gap(coverage: &Coverage, window: Option<Window>, options: &Options) -> Option<String> {
    let (Some(w), Some(first), Some(last)) = (window, coverage.first, coverage.last) else {
        return Some("insufficient data: no records".to_string());
    };
    if first > w.from {
        return Some(format!(
            "insufficient data: logs cover {} ({}), window is {}",
            duration_text(last - first),
            span_text(first, last),
            plural(u64::from(options.window_days), "day", "days"),
        ));
    }
    // A source (an IIS site, a direction) whose logs end before the
    // server's window starts has nothing in it: say so, not "no request".
    if last < w.from {
        return Some(format!(
            "insufficient data: logs end {}, before the window starts ({})",
            minute(last),
            minute(w.from)
        ));
    }
    if options.as_of.is_some() && last < w.to {
        return Some(format!(
            "insufficient data: logs end {}, before the window does ({})",
            minute(last),
            minute(w.to)
        ));
    }
    None
}

/// A ready verdict says when TLS below 1.2 was last seen, if ever.
fn old_tls_before(sentence: &mut String, status: Status, last: Option<i64>, verb: &str) {
    if let (Status::Ready, Some(last)) = (status, last) {
        sentence.push_str(&format!(
            "; TLS below 1.2 was last {verb} on {}, before the window",
            minute(last)
        ));
    }
}

/// The days of a window with logs, and the days without: what an SMTP
/// verdict needs of coverage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Days {
    pub with_logs: u64,
    pub missing: Vec<i64>,
    /// Blind connectors and other reasons the logs cannot speak for the
    /// scope, each a clause of the verdict.
    pub blind: Vec<String>,
    /// Clauses on connectors `--ignore-connector` took out.
    pub ignored: Vec<String>,
    /// Connectors `--connector`/`--direction` did not choose.
    pub not_chosen: Vec<String>,
}

impl Days {
    fn gap(&self) -> Option<String> {
        (!self.missing.is_empty()).then(|| gap_text(self.with_logs, &self.missing))
    }
}

/// `logs missing for 13 of 14 days (2024-02-23 to 2024-03-06)`.
fn gap_text(with_logs: u64, missing: &[i64]) -> String {
    let of = with_logs + missing.len() as u64;
    format!(
        "logs missing for {} of {} ({})",
        missing.len(),
        plural(of, "day", "days"),
        ranges_text(missing)
    )
}

/// `2 client devices (10.20.0.15 SCAN-3RDFLOOR, 10.20.0.16 SCAN-2, …)`:
/// remotes of one impact class, most sessions first.
fn named_remotes(ev: &Evidence, impact: Impact, one: &str, many: &str) -> Option<String> {
    let mut top: Vec<(&[u8], &LegacyRemote)> = ev
        .remotes
        .iter()
        .filter(|(_, r)| r.impact == impact)
        .map(|(ip, r)| (*ip, r))
        .collect();
    if top.is_empty() {
        return None;
    }
    top.sort_by(|a, b| b.1.sessions.cmp(&a.1.sessions).then(a.0.cmp(b.0)));
    let mut named: Vec<String> = top
        .iter()
        .take(NAMED)
        .map(|(ip, r)| {
            let ip = String::from_utf8_lossy(ip);
            match r.ehlo {
                [] => ip.into_owned(),
                ehlo => format!("{ip} {}", String::from_utf8_lossy(ehlo)),
            }
        })
        .collect();
    if top.len() > NAMED {
        named.push("…".into());
    }
    Some(format!(
        "{} ({})",
        plural(top.len() as u64, one, many),
        named.join(", ")
    ))
}

/// A `not_ready` verdict: what switching TLS 1.0/1.1 off would do first,
/// then what the window holds.
fn not_ready_text(ev: &Evidence) -> String {
    let stopped: Vec<String> = [
        (Impact::ClientSubmission, "client device", "client devices"),
        (Impact::Internal, "internal server", "internal servers"),
        (
            Impact::TlsRequired,
            "host that requires TLS",
            "hosts that require TLS",
        ),
    ]
    .into_iter()
    .filter_map(|(impact, one, many)| named_remotes(ev, impact, one, many))
    .collect();
    let mut clauses = Vec::new();
    if !stopped.is_empty() {
        let last = stopped.len() - 1;
        let list = match &stopped[..] {
            [one] => one.clone(),
            _ => format!("{} and {}", stopped[..last].join(", "), stopped[last]),
        };
        clauses.push(format!("switching TLS 1.0/1.1 off would stop {list}"));
    }
    let senders = ev
        .remotes
        .values()
        .filter(|r| r.impact == Impact::Opportunistic)
        .all(|r| r.sender);
    let (one, many) = if senders {
        ("sender", "senders")
    } else {
        ("host", "hosts")
    };
    if let Some(fallback) = named_remotes(ev, Impact::Opportunistic, one, many) {
        clauses.push(format!("{fallback} would likely fall back to plaintext"));
    }
    let mut versions: Vec<Version> = ev.remotes.values().filter_map(|r| r.lowest).collect();
    versions.sort();
    versions.dedup();
    let versions: Vec<&str> = versions.iter().map(|v| v.label()).collect();
    clauses.push(format!(
        "{} negotiated below TLS 1.2 ({}) in {} in the window, the last on {} (see --by legacy)",
        plural(ev.remotes.len() as u64, "remote", "remotes"),
        versions.join("/"),
        plural(ev.legacy_sessions, "session", "sessions"),
        ev.last_legacy.map(minute).unwrap_or_default(),
    ));
    format!("not ready: {}", clauses.join("; "))
}

/// The status and the sentence that says why.
fn verdict(
    ev: &Evidence,
    coverage: &Coverage,
    days_seen: &Days,
    window: Option<Window>,
    options: &Options,
) -> (Status, String) {
    let days = options.window_days;
    let mut blind: Vec<String> = days_seen.gap().into_iter().collect();
    blind.extend(days_seen.blind.iter().cloned());
    if let (Some(from), Some(w)) = (ev.undated, window) {
        blind.push(format!(
            "the state keeps each session from {} on only (--state-keep-days), and the window \
             starts {}",
            minute(from),
            minute(w.from)
        ));
    }
    let (status, mut sentence) = match (window, coverage.first, coverage.last) {
        _ if ev.legacy > 0 => (Status::NotReady, not_ready_text(ev)),
        _ if !blind.is_empty() => (
            Status::InsufficientData,
            format!("insufficient data: {}", blind.join("; ")),
        ),
        (None, _, _) | (_, None, _) | (_, _, None) => (
            Status::InsufficientData,
            "insufficient data: no records".to_string(),
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
    old_tls_before(&mut sentence, status, ev.last_legacy, "negotiated");
    if !days_seen.ignored.is_empty() {
        sentence.push_str(&format!(
            "; left out by --ignore-connector: {}",
            days_seen.ignored.join(", ")
        ));
    }
    if !days_seen.not_chosen.is_empty() {
        sentence.push_str(&not_chosen_clause(&days_seen.not_chosen));
    }
    if ev.plaintext > 0 {
        sentence.push_str(&format!(
            "; {} sent mail or credentials in clear",
            plural(ev.plaintext, "session", "sessions")
        ));
    }
    (status, sentence)
}

/// What the window holds for one IIS site.
#[derive(Debug, Default)]
struct HttpsWindow<'a> {
    /// Requests by [`HttpsEvidence::kind`].
    counts: [u64; 5],
    /// Days with a request, in or out of the window (for [`https_days`]):
    /// gathered in the same pass over the requests.
    days: BTreeSet<i64>,
    /// The latest request below TLS 1.2 up to the window's end.
    last_legacy: Option<i64>,
    /// Clients with a request below TLS 1.2 in the window.
    clients: BTreeSet<&'a [u8]>,
    /// Requests below TLS 1.2 per application, and their versions.
    apps: BTreeMap<&'static str, u64>,
    versions: BTreeSet<Version>,
}

impl<'a> HttpsWindow<'a> {
    /// IIS times are whole seconds: a second is in the window or not.
    fn of(e: &'a HttpsEvidence, w: &Window) -> HttpsWindow<'a> {
        let mut h = HttpsWindow::default();
        // Requests come in time order within a run: a day is inserted when
        // it differs from the one before, not once per request (the set is
        // the same in any order).
        let mut previous = None;
        for (sec, kind) in e.seconds.iter().flat_map(|run| run.iter()) {
            let ms = sec * 1000;
            if w.contains(ms) {
                h.counts[kind] += 1;
            }
            let day = ms.div_euclid(DAY_MS);
            if previous != Some(day) {
                h.days.insert(day);
                previous = Some(day);
            }
        }
        for ((ip, app, v), secs) in &e.legacy {
            let mut n = 0;
            for &sec in secs {
                let ms = sec * 1000;
                if ms <= w.to {
                    h.last_legacy = h.last_legacy.max(Some(ms));
                }
                n += u64::from(w.contains(ms));
            }
            if n > 0 {
                h.clients.insert(ip);
                *h.apps.entry(app).or_default() += n;
                h.versions.insert(*v);
            }
        }
        h
    }

    fn negotiations(&self) -> u64 {
        self.counts[HttpsEvidence::MODERN]
            + self.counts[HttpsEvidence::LEGACY]
            + self.counts[HttpsEvidence::OTHER]
    }
}

/// [`verdict`] for an IIS site: requests in place of sessions.
fn https_verdict(
    h: &HttpsWindow,
    coverage: &Coverage,
    window: Option<Window>,
    options: &Options,
) -> (Status, String) {
    let [plain, modern, legacy, other, unlogged] = h.counts;
    let (status, mut sentence) = if legacy > 0 {
        // Requests without the crypt-* fields cannot clear a site, but
        // those that show old TLS are enough to hold it back.
        let versions: Vec<&str> = h.versions.iter().map(|v| v.label()).collect();
        let mut apps: Vec<(&str, u64)> = h.apps.iter().map(|(a, n)| (*a, *n)).collect();
        apps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let apps: Vec<String> = apps.iter().map(|(a, n)| format!("{a} x{n}")).collect();
        (
            Status::NotReady,
            format!(
                "not ready: {} below TLS 1.2 ({}) from {} in the window, the last on {}; {}",
                plural(legacy, "request", "requests"),
                versions.join("/"),
                plural(h.clients.len() as u64, "client", "clients"),
                h.last_legacy.map(minute).unwrap_or_default(),
                apps.join(", "),
            ),
        )
    } else if let Some(gap) = coverage_gap(coverage, window, options) {
        (Status::InsufficientData, gap)
    } else if modern == 0 && unlogged > 0 && plain + other == 0 {
        (
            Status::InsufficientData,
            format!(
                "insufficient data: these IIS logs do not record TLS (no crypt-* fields) for the {} in the window",
                plural(unlogged, "request", "requests")
            ),
        )
    } else if modern == 0 {
        (
            Status::InsufficientData,
            format!(
                "insufficient data: no HTTPS request at TLS 1.2 or later in the window ({} with an unknown protocol, {} over plain HTTP, {} without the crypt-* fields)",
                other, plain, unlogged
            ),
        )
    } else {
        (
            Status::Ready,
            format!(
                "ready: {} at TLS 1.2 or later and none older in the {} to {}",
                plural(modern, "HTTPS request", "HTTPS requests"),
                plural(u64::from(options.window_days), "day", "days"),
                window.map(|w| minute(w.to)).unwrap_or_default()
            ),
        )
    };
    old_tls_before(&mut sentence, status, h.last_legacy, "used");
    (status, sentence)
}

/// Which row: scope, direction (none for a server), server, connector.
struct Scope<'a>(&'a str, Option<Direction>, &'a str, Cell);

/// The window's counts of a row: sessions (requests for HTTPS),
/// negotiations, legacy sessions (requests), legacy remotes (clients),
/// plaintext sessions (plain HTTP requests), and the last legacy one.
struct Counts {
    sessions: u64,
    negotiations: u64,
    legacy_sessions: u64,
    legacy_remotes: u64,
    /// Legacy remotes by impact class (SMTP; none for HTTPS clients).
    by_impact: Option<[u64; 4]>,
    plaintext: u64,
    last_legacy: Option<i64>,
}

impl Counts {
    fn smtp(ev: &Evidence) -> Counts {
        Counts {
            sessions: ev.sessions,
            negotiations: ev.negotiations(),
            legacy_sessions: ev.legacy_sessions,
            legacy_remotes: ev.remotes.len() as u64,
            by_impact: Some(ev.by_impact()),
            plaintext: ev.plaintext,
            last_legacy: ev.last_legacy,
        }
    }

    fn https(h: &HttpsWindow) -> Counts {
        Counts {
            sessions: h.counts.iter().sum(),
            negotiations: h.negotiations(),
            legacy_sessions: h.counts[HttpsEvidence::LEGACY],
            legacy_remotes: h.clients.len() as u64,
            by_impact: None,
            plaintext: h.counts[HttpsEvidence::PLAIN],
            last_legacy: h.last_legacy,
        }
    }
}

/// A count of legacy remotes of one impact class; empty for HTTPS rows.
fn impact_cell(counts: &Counts, impact: Impact) -> Cell {
    Cell::Bits(counts.by_impact.map(|n| n[impact.index()]))
}

fn row(
    Scope(scope, direction, server, connector): Scope,
    (status, sentence): (Status, String),
    counts: &Counts,
    coverage: &Coverage,
    days_seen: &Days,
    window: Option<Window>,
) -> Vec<Cell> {
    let days = match (coverage.first, coverage.last) {
        (Some(a), Some(b)) => ((b - a) as f64 / DAY_MS as f64 * 100.0).round() as u64,
        _ => 0,
    };
    vec![
        Cell::Text(scope.into()),
        Cell::Text(direction.map(|d| d.label()).unwrap_or("").into()),
        Cell::Text(server.into()),
        connector,
        Cell::Text(status.label().into()),
        time_cell(coverage.first),
        time_cell(coverage.last),
        Cell::Hundredths(days),
        Cell::Count(days_seen.with_logs),
        Cell::Count(days_seen.missing.len() as u64),
        Cell::Count(counts.sessions),
        Cell::Count(counts.negotiations),
        Cell::Count(counts.legacy_sessions),
        Cell::Count(counts.legacy_remotes),
        impact_cell(counts, Impact::Internal),
        impact_cell(counts, Impact::ClientSubmission),
        impact_cell(counts, Impact::TlsRequired),
        impact_cell(counts, Impact::Opportunistic),
        Cell::Count(counts.plaintext),
        time_cell(counts.last_legacy),
        time_cell(window.map(|w| w.from)),
        time_cell(window.map(|w| w.to)),
        Cell::Text(sentence.into()),
    ]
}

/// One row per server (both directions and HTTPS: its Schannel setting
/// covers them all), then one per connector of each direction on it, then
/// one per IIS site.
pub(crate) fn table(tally: &Tally, servers: &[ServerInfo], options: &Options) -> Table {
    let coverage = coverage::servers(tally, servers, options);
    let mut rows = Vec::new();
    for info in servers {
        let Some(cov) = coverage.iter().find(|c| c.id == Some(info.id)) else {
            continue;
        };
        rows.extend(server_rows(tally, info, cov, options));
    }
    Table {
        kind: KIND,
        columns: COLUMNS.to_vec(),
        rows,
    }
}

/// The IIS sites of a server, by name.
fn sites_of(tally: &Tally, server: u32) -> Vec<(&str, &HttpsEvidence)> {
    let mut sites: Vec<(&str, &HttpsEvidence)> = tally
        .iis
        .https
        .iter()
        .filter(|((s, _), _)| *s == server)
        .map(|((_, site), e)| (&**site, e))
        .collect();
    sites.sort_unstable_by_key(|(site, _)| *site);
    sites
}

/// The server's row, then its connectors' and its sites'.
fn server_rows(
    tally: &Tally,
    info: &ServerInfo,
    cov: &coverage::Server,
    options: &Options,
) -> Vec<Vec<Cell>> {
    let name = info.name.as_str();
    let window = Window::of(&info.coverage, options);
    let maps = tally.smtp.connector.get(&info.id);
    let mut smtp_coverage = Coverage::default();
    for c in &info.by_direction {
        smtp_coverage.add(c.first, c.last);
    }
    let sites = sites_of(tally, info.id);
    let server_days = server_days(cov, options);
    let smtp = maps.is_some() || smtp_coverage.first.is_some() || !server_days.blind.is_empty();
    if !smtp && sites.is_empty() {
        return Vec::new();
    }
    let (all, mut connector_rows) = connector_rows(tally, info, cov, window, options);
    let mut parts = Vec::new();
    if smtp {
        parts.push((
            "SMTP".to_string(),
            verdict(&all, &smtp_coverage, &server_days, window, options),
        ));
    }
    for (site, e) in &sites {
        let h = window.map(|w| HttpsWindow::of(e, &w)).unwrap_or_default();
        let coverage = Coverage {
            first: e.cover.map(|c| c.0 * 1000),
            last: e.cover.map(|c| c.1 * 1000),
        };
        let judged = https_verdict(&h, &coverage, window, options);
        parts.push((format!("HTTPS {site}"), judged.clone()));
        connector_rows.push(row(
            Scope("https", None, name, Cell::Text((*site).into())),
            judged,
            &Counts::https(&h),
            &coverage,
            &https_days(&h, window),
            window,
        ));
    }
    let mut rows = vec![row(
        Scope("server", None, name, Cell::Text("".into())),
        least_ready(&parts),
        &Counts::smtp(&all),
        &info.coverage,
        &server_days,
        window,
    )];
    rows.extend(connector_rows);
    rows
}

/// A row per SMTP connector of the server, each way, and the evidence of
/// them all.
fn connector_rows<'a>(
    tally: &'a Tally,
    info: &'a ServerInfo,
    cov: &coverage::Server,
    window: Option<Window>,
    options: &Options,
) -> (Evidence<'a>, Vec<Vec<Cell>>) {
    let name = info.name.as_str();
    let maps = tally.smtp.connector.get(&info.id);
    let mut all = Evidence::default();
    let mut connector_rows = Vec::new();
    for d in Direction::ALL {
        let Some(map) = maps.map(|m| &m[d.index()]) else {
            break;
        };
        let mut keys: Vec<&[u8]> = map.keys().map(|k| &**k).collect();
        keys.sort_unstable();
        for k in keys {
            // No record time to count back from: every row says so.
            let mut ev = Evidence::default();
            if let Some(w) = window {
                let c = &map[k];
                let place = Place {
                    direction: d,
                    traits: ConnectorTraits::of(
                        options.inventory.as_deref(),
                        d,
                        name,
                        k,
                        c.tls_required_reply,
                    ),
                    names: &tally.smtp.remote[d.index()],
                };
                ev.add(c, &w, &place);
                all.add(c, &w, &place);
            }
            let coverage = &info.by_direction[d.index()];
            let days = connector_days(cov, d, k);
            connector_rows.push(row(
                Scope("connector", Some(d), name, text(k)),
                verdict(&ev, coverage, &days, window, options),
                &Counts::smtp(&ev),
                coverage,
                &days,
                window,
            ));
        }
    }
    (all, connector_rows)
}

/// The server is as ready as its least ready source; with one source its
/// sentence is that source's.
fn least_ready(parts: &[(String, (Status, String))]) -> (Status, String) {
    let status = parts
        .iter()
        .map(|(_, (s, _))| *s)
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::InsufficientData);
    let sentence = match parts {
        [(_, (_, one))] => one.clone(),
        _ => parts
            .iter()
            .map(|(source, (_, s))| format!("{source}: {s}"))
            .collect::<Vec<_>>()
            .join(" | "),
    };
    (status, sentence)
}

/// `; judged on the connectors --connector/--direction chose only, not
/// on 2 others: A, B`, naming at most [`NAMED`] of them.
fn not_chosen_clause(names: &[String]) -> String {
    let mut named = names
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMED {
        named.push_str(&format!(" and {} more", names.len() - NAMED));
    }
    format!(
        "; judged on the connectors --connector/--direction chose only, not on {}: {named}",
        plural(names.len() as u64, "other", "others")
    )
}

/// The server's days, and a clause for each blind connector.
fn server_days(cov: &coverage::Server, options: &Options) -> Days {
    Days {
        with_logs: cov.days_with_logs,
        missing: cov.missing.clone(),
        blind: cov
            .blind()
            .filter(|c| c.status != coverage::Status::Partial || c.sessions == 0)
            .map(|c| blind_clause(c, &cov.name, options))
            .chain(
                cov.blind()
                    .filter(|c| c.status == coverage::Status::Partial && c.sessions > 0)
                    .filter(|c| c.missing != cov.missing)
                    .map(|c| blind_clause(c, &cov.name, options)),
            )
            .collect(),
        ignored: cov.ignored().map(|c| c.described()).collect(),
        not_chosen: cov.left_out.iter().map(|c| c.described()).collect(),
    }
}

/// A connector row's days: those of its service.
fn connector_days(cov: &coverage::Server, d: Direction, name: &[u8]) -> Days {
    let name = String::from_utf8_lossy(name);
    let c = cov
        .connectors
        .iter()
        .find(|c| c.direction == d && c.identity.eq_ignore_ascii_case(&name));
    match c {
        Some(c) => Days {
            with_logs: c.days_with_logs,
            missing: c.missing.clone(),
            ..Days::default()
        },
        None => Days::default(),
    }
}

/// An IIS site's days with requests in the window (it has no services),
/// from the days [`HttpsWindow::of`] gathered (none without a window,
/// when there is nothing to split).
fn https_days(h: &HttpsWindow, window: Option<Window>) -> Days {
    let (with_logs, missing) = coverage::split_window(window, &h.days);
    Days {
        with_logs,
        missing,
        ..Days::default()
    }
}

/// PowerShell text in double quotes: a backtick before `` ` ``, `$` and `"`
/// so a hostile connector name cannot run anything when pasted.
fn ps_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        if matches!(ch, '`' | '$' | '"' | '\u{201C}' | '\u{201D}') {
            out.push('`');
        }
        if !ch.is_control() {
            out.push(ch);
        }
    }
    out.push('"');
    out
}

/// Why a connector leaves its server without evidence, and what to do.
fn blind_clause(c: &coverage::Connector, server: &str, options: &Options) -> String {
    use coverage::Status as S;
    let days = plural(u64::from(options.window_days), "day", "days");
    let what = c.described();
    let cmdlet = match c.direction {
        Direction::Receive => "Set-ReceiveConnector",
        Direction::Send => "Set-SendConnector",
    };
    let folder = match c.direction {
        Direction::Receive => "SmtpReceive",
        Direction::Send => "SmtpSend",
    };
    match c.status {
        // The implicit connector's logging is its transport service's.
        S::NotLogged if c.is_intra_org() => format!(
            "{what} is not logged: Set-TransportService {} -IntraOrgConnectorProtocolLoggingLevel Verbose, then read {days} of its logs",
            ps_quote(server)
        ),
        S::NotLogged => format!(
            "{what} is not logged: {cmdlet} {} -ProtocolLoggingLevel Verbose, then read {days} of its logs",
            ps_quote(&c.identity)
        ),
        S::Unknown if c.source == coverage::Source::Default => format!(
            "no rows of {what}: it does not log (Exchange's default) or was not used; turn its logging on, or give exlog the connector inventory (see README)"
        ),
        S::Unknown => format!(
            "no rows of {what}, and the inventory does not say that it logs; if it does, it was not used"
        ),
        S::NotRead => match c.service {
            Some(s) => format!(
                "no {} logs of {server} were read, so nothing of {what}: add {server}'s {}\\ProtocolLog\\{folder} folder",
                s.label(),
                s.label()
            ),
            None => format!("no logs of {what} were read"),
        },
        _ => format!("{what}: {}", gap_text(c.days_with_logs, &c.missing)),
    }
}
