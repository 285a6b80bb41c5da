//! After the switch: what became of the remotes once TLS 1.0/1.1 stopped
//! working on a server.
//!
//! The logs show the switch: it is the first failed negotiation (a `TLS
//! negotiation failed` line, or a `530 5.7.0`/`451 5.7.3` reply) of a
//! remote that had negotiated below TLS 1.2 there before, after which no
//! session below TLS 1.2 starts on that server any more. The report covers
//! each server from the start of that UTC day (or from `--since`), one row
//! per direction, server, connector and remote that failed in that time.
//! The latest evidence after a remote's first failure gives its outcome:
//! a session at TLS 1.2 or later (`recovered`), mail or credentials in
//! clear (`fell_back_to_plaintext`), or none (`blocked`); a remote with no
//! session below TLS 1.2 before it failed is a `new_failure`.

use super::window::DAY_MS;
use super::{Cell, Input, Kind, Needs, Options, Report, Table, dir, text, time_cell};
use crate::parse::Direction;
use crate::servers::{ServerId, Servers};
use crate::smtp::impact::{ConnectorTraits, Impact};
use crate::smtp::timeline::{Step, Timeline};
use crate::tally::Tally;

pub const KIND: Kind = Kind::named("fallout");

/// The report's entry in the registry.
pub struct Fallout;

impl Report for Fallout {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "after the switch: who failed, recovered or fell back to plaintext"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "direction,server,connector,remote_ip,ehlo,impact,last_legacy,first_failure,",
            "\nlast_failure,failures,errors,outcome,plaintext_sessions_after,",
            "\nmodern_sessions_after,last_seen",
            "\n(after the switch the logs show; outcome: recovered, fell_back_to_plaintext,",
            "\nblocked or new_failure)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally, from.servers, from.options))
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }
}

pub const COLUMNS: [&str; 15] = [
    "direction",
    "server",
    "connector",
    "remote_ip",
    "ehlo",
    "impact",
    "last_legacy",
    "first_failure",
    "last_failure",
    "failures",
    "errors",
    "outcome",
    "plaintext_sessions_after",
    "modern_sessions_after",
    "last_seen",
];

/// What became of a remote after its first failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Recovered,
    FellBack,
    Blocked,
    NewFailure,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::FellBack => "fell_back_to_plaintext",
            Outcome::Blocked => "blocked",
            Outcome::NewFailure => "new_failure",
        }
    }
}

/// One remote's timeline on one connector, with where it is.
struct Track<'a> {
    direction: Direction,
    connector: &'a [u8],
    ip: &'a [u8],
    timeline: &'a Timeline,
    replied: bool,
}

/// The remotes' timelines of one server, before `--until`.
fn tracks<'a>(tally: &'a Tally, server: ServerId) -> Vec<Track<'a>> {
    let mut out = Vec::new();
    let Some(maps) = tally.smtp.timelines.get(&server) else {
        return out;
    };
    for d in Direction::ALL {
        for (connector, c) in &maps[d.index()] {
            for (ip, t) in &c.remotes {
                out.push(Track {
                    direction: d,
                    connector,
                    ip,
                    timeline: t,
                    replied: c.tls_required_reply,
                });
            }
        }
    }
    out
}

/// The steps of a timeline before `until`, by start.
fn steps(t: &Timeline, until: Option<i64>) -> impl Iterator<Item = (i64, Step)> + '_ {
    t.steps
        .iter()
        .map(|&m| Step::decode(m))
        .filter(move |(ms, _)| until.is_none_or(|u| *ms < u))
}

/// The start of a server's switch: the UTC day of the first failure of a
/// remote with an earlier legacy session, after which no legacy session
/// starts on the server.
fn switch_day(tracks: &[Track], until: Option<i64>) -> Option<i64> {
    let last_legacy = tracks
        .iter()
        .flat_map(|t| steps(t.timeline, until).filter(|(_, s)| s.is_legacy()))
        .map(|(ms, _)| ms)
        .max()?;
    tracks
        .iter()
        .filter_map(|t| {
            let first_legacy = steps(t.timeline, until)
                .filter(|(_, s)| s.is_legacy())
                .map(|(ms, _)| ms)
                .min()?;
            t.timeline
                .failures
                .iter()
                .map(|f| f.start)
                .filter(|&f| f > last_legacy && f > first_legacy && until.is_none_or(|u| f < u))
                .min()
        })
        .min()
        .map(|ms| ms - ms.rem_euclid(DAY_MS))
}

/// Each server's switch (the start of its UTC day), by server name.
pub fn switches(tally: &Tally, servers: &Servers, options: &Options) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = tally
        .smtp
        .timelines
        .keys()
        .filter_map(|&id| {
            switch_day(&tracks(tally, id), options.until)
                .map(|day| (servers.name(id).to_string(), day))
        })
        .collect();
    out.sort();
    out
}

/// A row of the report for one remote, if it failed from `from` on.
fn row(
    t: &Track,
    server: &str,
    from: i64,
    tally: &Tally,
    options: &Options,
) -> Option<(Outcome, Vec<Cell>)> {
    let until = options.until;
    let failed: Vec<_> = t
        .timeline
        .failures
        .iter()
        .filter(|f| f.start >= from && until.is_none_or(|u| f.start < u))
        .collect();
    let first = failed.iter().map(|f| f.start).min()?;
    let last = failed.iter().map(|f| f.start).max()?;
    let mut errors: Vec<&str> = failed
        .iter()
        .flat_map(|f| f.errors.iter().map(String::as_str))
        .collect();
    errors.sort_unstable();
    errors.dedup();
    let all: Vec<(i64, Step)> = steps(t.timeline, until).collect();
    let legacy_before = all
        .iter()
        .filter(|(ms, s)| s.is_legacy() && *ms < first)
        .max_by_key(|(ms, s)| (*ms, *s as u8));
    let after = all.iter().filter(|(ms, _)| *ms > first);
    let plaintext = after.clone().filter(|(_, s)| *s == Step::Plaintext).count();
    let modern = after.clone().filter(|(_, s)| *s == Step::Modern).count();
    let latest = after
        .filter(|(_, s)| matches!(s, Step::Plaintext | Step::Modern))
        .max_by_key(|(ms, s)| (*ms, *s as u8));
    let outcome = match (legacy_before, latest) {
        (None, _) => Outcome::NewFailure,
        (_, Some((_, Step::Modern))) => Outcome::Recovered,
        (_, Some(_)) => Outcome::FellBack,
        (_, None) => Outcome::Blocked,
    };
    let own = match outcome {
        Outcome::NewFailure => failed.iter().map(|f| f.impact).min(),
        _ => all
            .iter()
            .filter(|(_, s)| s.is_legacy())
            .map(|(_, s)| s.impact())
            .min(),
    };
    let traits = ConnectorTraits::of(
        options.inventory.as_deref(),
        t.direction,
        server,
        t.connector,
        t.replied,
    );
    let impact = traits.resolve(own.unwrap_or(Impact::Opportunistic));
    let ehlo = tally.smtp.remote[t.direction.index()]
        .get(t.ip)
        .and_then(|rc| rc.top_ehlo())
        .unwrap_or(b"");
    Some((
        outcome,
        vec![
            dir(t.direction),
            Cell::Text(server.into()),
            text(t.connector),
            text(t.ip),
            text(ehlo),
            Cell::Text(impact.label().into()),
            time_cell(legacy_before.map(|(ms, _)| *ms)),
            time_cell(Some(first)),
            time_cell(Some(last)),
            Cell::Count(failed.len() as u64),
            Cell::Text(errors.join(";").into()),
            Cell::Text(outcome.label().into()),
            Cell::Count(plaintext as u64),
            Cell::Count(modern as u64),
            time_cell(t.timeline.last_seen),
        ],
    ))
}

/// The rows of every server with a switch (or of every server, from
/// `--since`), sorted by direction, server, connector and remote.
pub fn table(tally: &Tally, servers: &Servers, options: &Options) -> Table {
    let mut rows = Vec::new();
    for &id in tally.smtp.timelines.keys() {
        let tracks = tracks(tally, id);
        let Some(from) = options.since.or_else(|| switch_day(&tracks, options.until)) else {
            continue;
        };
        let name = servers.name(id);
        rows.extend(
            tracks
                .iter()
                .filter_map(|t| row(t, name, from, tally, options))
                .map(|(_, r)| r),
        );
    }
    rows.sort();
    Table {
        kind: KIND,
        columns: COLUMNS.to_vec(),
        rows,
    }
}
