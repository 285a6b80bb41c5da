//! The HTML report's burn-down: per server and ISO week, the sessions
//! below TLS 1.2 and the remotes that had one, over all the history the
//! counts hold, so that an administrator can watch legacy use go down.
//!
//! It reads the sessions' timelines (`--by fallout`'s), which keep every
//! session a filter let through whatever its time; `--since` and
//! `--until` clip them here as they clip the other reports.

use super::window::DAY_MS;
use super::{Options, ServerInfo};
use crate::smtp::timeline::Step;
use crate::tally::Tally;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// One week of one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    pub server: String,
    /// The ISO week, `2024-W10`.
    pub week: String,
    /// Its Monday, `2024-03-04`.
    pub week_start: String,
    /// Days of the week with SMTP records of the server (0 to 7): a week
    /// without legacy sessions means little without logs.
    pub days_with_logs: u32,
    /// Sessions whose lowest negotiated version is below TLS 1.2, by the
    /// week of their start.
    pub legacy_sessions: u64,
    /// Distinct remote IPs (both directions, every connector) with one of
    /// those sessions in the week.
    pub legacy_remotes: u64,
}

pub(crate) use crate::smtp::timeline::monday;

/// The legacy sessions of one server: per Monday, the sessions and the
/// remotes that had them.
type Legacy<'a> = BTreeMap<i64, (u64, BTreeSet<&'a [u8]>)>;

fn legacy_by_week<'a>(tally: &'a Tally, server: u32, options: &Options) -> Legacy<'a> {
    let mut weeks = Legacy::new();
    let Some(maps) = tally.smtp.timelines.get(&server) else {
        return weeks;
    };
    let inside =
        |ms: i64| options.since.is_none_or(|s| ms >= s) && options.until.is_none_or(|u| ms < u);
    let remotes = maps
        .iter()
        .flat_map(|m| m.values())
        .flat_map(|c| &c.remotes);
    for (ip, timeline) in remotes {
        // Steps before a state's cut stand for fallout's sake only: the
        // connector's `earlier` weeks counted them.
        let dated = |ms: i64| timeline.detail_from.is_none_or(|d| ms >= d);
        let legacy = timeline.steps.iter().map(|&m| Step::decode(m));
        for (ms, _) in legacy.filter(|&(ms, s)| s.is_legacy() && inside(ms) && dated(ms)) {
            let week = weeks.entry(monday(ms.div_euclid(DAY_MS))).or_default();
            week.0 += 1;
            week.1.insert(ip);
        }
    }
    let earlier = maps
        .iter()
        .flat_map(|m| m.values())
        .flat_map(|c| &c.earlier);
    for (&monday, w) in earlier {
        let week = weeks.entry(monday).or_default();
        week.0 += w.sessions;
        week.1.extend(w.remotes.iter().map(|ip| &**ip));
    }
    weeks
}

/// The server's weeks: from the first week its logs cover (or that has a
/// legacy session) to the last, every week in between included, so that
/// a week with none shows as 0.
fn span(info: &ServerInfo, legacy: &Legacy) -> Option<(i64, i64)> {
    let covered = [info.coverage.first, info.coverage.last]
        .into_iter()
        .flatten()
        .map(|ms| monday(ms.div_euclid(DAY_MS)));
    let all: Vec<i64> = covered.chain(legacy.keys().copied()).collect();
    Some((*all.iter().min()?, *all.iter().max()?))
}

/// `2024-03-04` and `2024-W10` of a Monday (days since 1970).
pub(crate) fn labels(monday: i64) -> Option<(String, String)> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let date = epoch.checked_add_signed(chrono::TimeDelta::try_days(monday)?)?;
    let week = super::week::iso_week(date);
    Some((date.format("%Y-%m-%d").to_string(), week.label))
}

/// Every server's weeks, by server name then week. `infos` are the
/// servers read, with the time and days their logs cover.
pub(crate) fn weeks(tally: &Tally, infos: &[ServerInfo], options: &Options) -> Vec<Week> {
    let mut out = Vec::new();
    for info in infos {
        let legacy = legacy_by_week(tally, info.id, options);
        let Some((first, last)) = span(info, &legacy) else {
            continue;
        };
        let logged: BTreeSet<i64> = info.days.values().flatten().copied().collect();
        for m in (first..=last).step_by(7) {
            let Some((week_start, week)) = labels(m) else {
                continue;
            };
            let (sessions, remotes) = legacy.get(&m).map_or((0, 0), |(n, r)| (*n, r.len()));
            out.push(Week {
                server: info.name.clone(),
                week,
                week_start,
                days_with_logs: logged.range(m..m + 7).count() as u32,
                legacy_sessions: sessions,
                legacy_remotes: remotes as u64,
            });
        }
    }
    out.sort_by(|a, b| (&a.server, &a.week_start).cmp(&(&b.server, &b.week_start)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mondays_are_mondays() {
        // 1970-01-01 (day 0) was a Thursday: its Monday is 1969-12-29.
        assert_eq!(monday(0), -3);
        // 2024-03-04 is day 19786 (by hand: 54 years of 365 days plus 13
        // leap days, plus 63 days of 2024), a Monday; 2024-03-10, a
        // Sunday, belongs to it.
        assert_eq!(monday(19786), 19786);
        assert_eq!(monday(19792), 19786);
        assert_eq!(monday(19793), 19793);
        assert_eq!(
            labels(19786),
            Some(("2024-03-04".into(), "2024-W10".into()))
        );
    }
}
