//! `--by week`: the trend per ISO 8601 week (Monday 00:00 UTC to the next),
//! each row the sum of its days' rows of `--by day`.

use super::{Cell, Input, Kind, Needs, Report, Table, dir, version_columns};
use crate::parse::Direction;
use crate::smtp::counts::DayCounts;
use crate::tally::Tally;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

pub(crate) const KIND: Kind = Kind::named("week");

/// The report's entry in the registry.
pub(crate) struct Week;

impl Report for Week {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "per ISO week (Monday to Sunday, UTC): the trend over months"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "week,week_start,direction,SSL2,...,other,failed,plaintext,total,clock_skew",
            "\n(week: 2024-W10, week_start: its Monday; each row the sum of --by day's)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally))
    }
}

/// An ISO 8601 week: its label (`2024-W10`) and its Monday.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IsoWeek {
    pub label: String,
    pub monday: NaiveDate,
}

/// The ISO week of a day: weeks start on Monday, and week 1 is the one
/// with the year's first Thursday, so 2024-12-30 is in 2025-W01 and
/// 2021-01-01 in 2020-W53.
pub(crate) fn iso_week(day: NaiveDate) -> IsoWeek {
    let w = day.iso_week();
    let back = u64::from(day.weekday().num_days_from_monday());
    IsoWeek {
        label: format!("{}-W{:02}", w.year(), w.week()),
        monday: day - chrono::Days::new(back),
    }
}

/// The week of a `--by day` date; `None` for text that is no calendar
/// day (a log's `2024-02-30`).
fn week_of_date(date: &[u8]) -> Option<IsoWeek> {
    let text = std::str::from_utf8(date).ok()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(iso_week)
}

/// `week,week_start,direction,SSL2,…,other,failed,plaintext,total,clock_skew`:
/// the day counts of `--by day` added up per ISO week, direction and
/// clock skew, in that order. A date that is no calendar day keeps a row
/// of its own, its text as the week and no `week_start`, so that the
/// weeks still add up to the days.
pub(crate) fn table(tally: &Tally) -> Table {
    // Keyed as `--by day` sorts: by the label, the direction's name, skew.
    type Key = (String, &'static str, bool);
    let mut weeks: BTreeMap<Key, (Option<NaiveDate>, Direction, DayCounts)> = BTreeMap::new();
    for (&(date, direction, skew), counts) in &tally.smtp.day {
        let (label, monday) = match week_of_date(&date) {
            Some(w) => (w.label, Some(w.monday)),
            None => (String::from_utf8_lossy(&date).into_owned(), None),
        };
        let row = weeks.entry((label, direction.label(), skew)).or_insert((
            monday,
            direction,
            DayCounts::default(),
        ));
        row.2.add(counts);
    }
    let mut columns = vec!["week", "week_start", "direction"];
    columns.extend(version_columns());
    columns.extend(["failed", "plaintext", "total", "clock_skew"]);
    let rows = weeks
        .into_iter()
        .map(|((label, _, skew), (monday, direction, c))| {
            let total = c.versions.iter().sum::<u64>() + c.failed;
            let start = monday.map(|d| d.format("%Y-%m-%d").to_string());
            [
                Cell::Text(label.into()),
                Cell::Text(start.unwrap_or_default().into()),
                dir(direction),
            ]
            .into_iter()
            .chain(c.versions.iter().map(|&n| Cell::Count(n)))
            .chain([
                Cell::Count(c.failed),
                Cell::Count(c.plaintext),
                Cell::Count(total),
                Cell::Flag(skew),
            ])
            .collect()
        })
        .collect();
    Table {
        kind: KIND,
        columns,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(date: &str) -> (String, String) {
        let w = iso_week(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap());
        (w.label, w.monday.to_string())
    }

    #[test]
    fn iso_weeks_cross_year_boundaries_as_the_standard_says() {
        // By hand from a calendar: 2020 began on a Wednesday and had 53
        // weeks; 2021-01-04 was the first Monday of 2021; 2024-12-30 is
        // the Monday of the week of Thursday 2025-01-02.
        let want = [
            ("2020-12-31", "2020-W53", "2020-12-28"),
            ("2021-01-03", "2020-W53", "2020-12-28"),
            ("2021-01-04", "2021-W01", "2021-01-04"),
            ("2024-12-29", "2024-W52", "2024-12-23"),
            ("2024-12-30", "2025-W01", "2024-12-30"),
            ("2025-01-05", "2025-W01", "2024-12-30"),
            ("2024-03-04", "2024-W10", "2024-03-04"),
            ("2024-03-10", "2024-W10", "2024-03-04"),
        ];
        for (date, label, monday) in want {
            assert_eq!(week(date), (label.into(), monday.into()), "{date}");
        }
    }

    #[test]
    fn a_date_that_is_no_day_has_no_week() {
        assert_eq!(week_of_date(b"2024-02-30"), None);
        assert_eq!(
            week_of_date(b"2024-02-29").map(|w| w.label).as_deref(),
            Some("2024-W09")
        );
    }
}
