//! Reports built from sessions: the daily trend, readiness verdicts and
//! the list of sessions.

use super::{Cell, Kind, Table, bits, dir, lossy, suite, text, version_columns};
use crate::parse::tls::Version;
use crate::parse::{Direction, Stamp};
use crate::session::{Session, TlsEvent};
use crate::tally::Tally;

/// `date,direction,SSL2,…,other,failed,plaintext,total` per UTC day.
/// Negotiations count on the day of their TLS line, plaintext sessions on
/// the day they started; `total` is the negotiations, successful and
/// failed, as in every other report (plaintext sessions are no
/// negotiation).
pub fn day(tally: &Tally) -> Table {
    let mut keys: Vec<_> = tally.day.keys().copied().collect();
    keys.sort_by(|a, b| (a.0, a.1.label()).cmp(&(b.0, b.1.label())));
    let mut columns = vec!["date", "direction"];
    columns.extend(version_columns());
    columns.extend(["failed", "plaintext", "total"]);
    let rows = keys
        .into_iter()
        .map(|k| {
            let c = &tally.day[&k];
            let total = c.versions.iter().sum::<u64>() + c.failed;
            [text(&k.0), dir(k.1)]
                .into_iter()
                .chain(c.versions.iter().map(|&n| Cell::Count(n)))
                .chain([
                    Cell::Count(c.failed),
                    Cell::Count(c.plaintext),
                    Cell::Count(total),
                ])
                .collect()
        })
        .collect();
    Table {
        kind: Kind::Day,
        columns,
        rows,
    }
}

/// How many offenders the readiness report lists per connector.
const TOP_OFFENDERS: usize = 5;

fn human(v: Version) -> &'static str {
    match v {
        Version::Ssl2 => "SSL 2",
        Version::Ssl3 => "SSL 3",
        Version::Tls10 => "TLS 1.0",
        Version::Tls11 => "TLS 1.1",
        Version::Tls12 => "TLS 1.2",
        Version::Tls13 => "TLS 1.3",
        Version::Other => "an unknown protocol",
    }
}

fn date(s: &Stamp) -> String {
    lossy(&s.as_bytes()[..s.as_bytes().len().min(10)])
}

/// The first instant of the readiness window: `days` before `latest`.
fn window_start(latest: &Stamp, days: u32) -> String {
    use chrono::{DateTime, Duration, Utc};
    let text = lossy(latest.as_bytes());
    match DateTime::parse_from_rfc3339(&text) {
        Ok(t) => (t.with_timezone(&Utc) - Duration::days(i64::from(days)))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        Err(_) => String::new(),
    }
}

/// The verdict when the logs begin after the window does: they cannot say
/// what happened in all of it.
fn short_coverage(tally: &Tally, cutoff: &str, window_days: u32) -> Option<String> {
    let (from, to) = (tally.earliest?, tally.latest?);
    if from.as_bytes() <= cutoff.as_bytes() {
        return None;
    }
    let hours = match (parse_time(&from), parse_time(&to)) {
        (Some(a), Some(b)) => (b - a).num_minutes() as f64 / 60.0,
        _ => 0.0,
    };
    let span = if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    };
    Some(format!(
        "insufficient data: logs cover {span} ({}–{}), window is {window_days} days",
        minute(&from),
        minute(&to)
    ))
}

fn parse_time(s: &Stamp) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(&lossy(s.as_bytes())).ok()
}

/// `yyyy-MM-dd HH:mm` of a record time.
fn minute(s: &Stamp) -> String {
    let t = lossy(s.as_bytes());
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(m)) => format!("{d} {m}"),
        _ => t,
    }
}

/// Per connector: sessions and remotes still below TLS 1.2, plaintext
/// sessions, the last such session, the top offenders and a verdict.
pub fn readiness(tally: &Tally, window_days: u32) -> Table {
    let cutoff = tally
        .latest
        .as_ref()
        .map(|l| window_start(l, window_days))
        .unwrap_or_default();
    let mut rows = Vec::new();
    for d in Direction::ALL {
        let map = &tally.connector[d.index()];
        // Connectors with counted sessions (others have only TLS lines of
        // sessions that started before --since).
        let mut names: Vec<&[u8]> = map
            .iter()
            .filter(|(_, c)| c.sessions.sessions > 0)
            .map(|(k, _)| &**k)
            .collect();
        names.sort_unstable();
        for name in names {
            let r = &map[name];
            let mut offenders: Vec<_> = r.offenders.iter().collect();
            offenders.sort_by(|a, b| {
                b.1.sessions
                    .cmp(&a.1.sessions)
                    .then(b.1.last_seen.cmp(&a.1.last_seen))
                    .then(a.0.cmp(b.0))
            });
            let top: Vec<String> = offenders
                .iter()
                .take(TOP_OFFENDERS)
                .map(|(ip, o)| {
                    let ehlo = tally.remote[d.index()]
                        .get(&***ip)
                        .and_then(|r| r.top_ehlo())
                        .map(lossy)
                        .unwrap_or_default();
                    let ehlo = if ehlo.is_empty() {
                        String::new()
                    } else {
                        format!(" ({ehlo})")
                    };
                    format!(
                        "{}{} {} x{} last {}",
                        lossy(ip),
                        ehlo,
                        o.lowest.label(),
                        o.sessions,
                        lossy(o.last_seen.as_bytes())
                    )
                })
                .collect();
            let recent: Vec<_> = offenders
                .iter()
                .filter(|(_, o)| o.last_seen.as_bytes() >= cutoff.as_bytes())
                .collect();
            let versions = |list: &mut dyn Iterator<Item = Version>| {
                let mut v: Vec<Version> = list.collect();
                v.sort();
                v.dedup();
                v.into_iter().map(human).collect::<Vec<_>>().join("/")
            };
            let last = r.last_legacy.as_ref().map(date).unwrap_or_default();
            let plural = |n: usize| if n == 1 { "remote" } else { "remotes" };
            let mut verdict = if !recent.is_empty() {
                format!(
                    "{} {} still used {} in the last {window_days} days (last {last}); not ready to disable TLS 1.0/1.1",
                    recent.len(),
                    plural(recent.len()),
                    versions(&mut recent.iter().map(|(_, o)| o.lowest)),
                )
            } else if r
                .last_modern
                .is_none_or(|t| t.as_bytes() < cutoff.as_bytes())
            {
                // No old TLS, but no new TLS either: nothing says clients
                // can do without the old versions.
                format!(
                    "insufficient data: no negotiation at TLS 1.2 or later in the last {window_days} days; no evidence that TLS 1.0/1.1 can go"
                )
            } else if let Some(short) = short_coverage(tally, &cutoff, window_days) {
                short
            } else if !offenders.is_empty() {
                format!(
                    "no TLS below 1.2 in the last {window_days} days ({} {} used {} until {last}); ready to disable TLS 1.0/1.1",
                    offenders.len(),
                    plural(offenders.len()),
                    versions(&mut offenders.iter().map(|(_, o)| o.lowest)),
                )
            } else {
                format!(
                    "no TLS below 1.2 in the last {window_days} days; ready to disable TLS 1.0/1.1"
                )
            };
            if r.sessions.plaintext > 0 {
                verdict.push_str(&format!(
                    "; {} plaintext session{}",
                    r.sessions.plaintext,
                    if r.sessions.plaintext == 1 { "" } else { "s" }
                ));
            }
            rows.push(vec![
                dir(d),
                text(name),
                Cell::Count(r.legacy_sessions),
                Cell::Count(r.offenders.len() as u64),
                Cell::Count(r.sessions.plaintext),
                Cell::Text(last),
                Cell::Text(top.join("; ")),
                Cell::Text(verdict),
            ]);
        }
    }
    Table {
        kind: Kind::Readiness,
        columns: vec![
            "direction",
            "connector",
            "legacy_sessions",
            "legacy_remotes",
            "plaintext_sessions",
            "last_legacy",
            "top_offenders",
            "verdict",
        ],
        rows,
    }
}

/// Column names of the session report.
pub const SESSION_COLUMNS: [&str; 27] = [
    "direction",
    "connector",
    "session_id",
    "start",
    "end",
    "local_port",
    "remote_ip",
    "ehlo",
    "starttls_offered",
    "tls_command",
    "tls_version",
    "cipher",
    "cipher_bits",
    "hash",
    "hash_bits",
    "key_exchange",
    "key_exchange_bits",
    "error",
    "certificate_subject",
    "certificate_thumbprint",
    "auth_user",
    "client_ip",
    "messages",
    "disconnect",
    "class",
    "internal",
    "incomplete",
];

/// Puts sessions in report order: start time, then the row itself
/// (direction, connector, session-id, …): the same order as
/// [`sort_lines`], whatever the output format.
pub fn sort_sessions(rows: &mut [Session]) {
    use rayon::slice::ParallelSliceMut;
    rows.par_sort_by_cached_key(|s| (s.start, csv_line(s)));
}

/// Sorts kept CSV lines into report order.
pub fn sort_lines(lines: &mut [(Stamp, Box<[u8]>)]) {
    use rayon::slice::ParallelSliceMut;
    lines.par_sort_unstable();
}

/// One session as a CSV line (with its line ending).
pub fn csv_line(s: &Session) -> Box<[u8]> {
    let mut buf = Vec::with_capacity(512);
    super::csv::rows(std::iter::once(&session_cells(s)[..]), &mut buf).expect("in-memory write");
    buf.into_boxed_slice()
}

/// The session report's row for one session.
pub fn session_cells(s: &Session) -> Vec<Cell> {
    let opt = |b: &Option<Box<[u8]>>| text(b.as_deref().unwrap_or(b""));
    let success = s.tls.iter().find_map(|e| match e {
        TlsEvent::Success { context, .. } => suite(context),
        TlsEvent::Failure { .. } => None,
    });
    let error = s.tls.iter().find_map(|e| match e {
        TlsEvent::Failure { error, .. } => Some(&**error),
        TlsEvent::Success { .. } => None,
    });
    let (version, [c, cb, h, hb, k, kb]) = match success {
        Some((v, names)) => (v.label().to_string(), names),
        None => Default::default(),
    };
    vec![
        dir(s.direction),
        text(&s.connector),
        text(&s.session_id),
        text(s.start.as_bytes()),
        text(s.end.as_bytes()),
        Cell::Bits(s.local_port.map(u64::from)),
        text(&s.remote_ip),
        opt(&s.ehlo),
        Cell::Flag(s.starttls_offered),
        Cell::Text(s.tls_command.label().to_string()),
        Cell::Text(version),
        Cell::Text(c),
        bits(&cb),
        Cell::Text(h),
        bits(&hb),
        Cell::Text(k),
        bits(&kb),
        text(error.unwrap_or(b"")),
        opt(&s.cert_subject),
        opt(&s.cert_thumbprint),
        opt(&s.auth_user),
        opt(&s.client_ip),
        Cell::Count(u64::from(s.messages)),
        opt(&s.disconnect),
        Cell::Text(s.class().label().to_string()),
        Cell::Flag(s.internal()),
        Cell::Flag(s.incomplete()),
    ]
}

/// One row per session, for sessions already in report order
/// ([`sort_sessions`]).
pub fn session_list(sorted: &[Session]) -> Table {
    Table {
        kind: Kind::Session,
        columns: SESSION_COLUMNS.to_vec(),
        rows: sorted.iter().map(session_cells).collect(),
    }
}
