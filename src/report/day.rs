//! `--by day`: the trend, per UTC day.

use super::{Cell, Input, Kind, Needs, Report, Table, dir, text, version_columns};
use crate::tally::Tally;

pub(crate) const KIND: Kind = Kind::named("day");

/// The report's entry in the registry.
pub(crate) struct Day;

impl Report for Day {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "per UTC day: the trend"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "date,direction,SSL2,...,other,failed,plaintext,total,clock_skew",
            "\n(clock_skew=true: records of a skewed clock, in a row of their own)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally))
    }
}

/// `date,direction,SSL2,…,other,failed,plaintext,total` per UTC day.
/// Negotiations count on the day of their TLS line, plaintext sessions on
/// the day they started; `total` is the negotiations, successful and
/// failed, as in every other report (plaintext sessions are no
/// negotiation).
pub(crate) fn table(tally: &Tally) -> Table {
    let mut keys: Vec<_> = tally.smtp.day.keys().copied().collect();
    keys.sort_by(|a, b| (a.0, a.1.label(), a.2).cmp(&(b.0, b.1.label(), b.2)));
    let mut columns = vec!["date", "direction"];
    columns.extend(version_columns());
    // `clock_skew`: the mark of records a skewed clock wrote (outside their
    // file's own time): counted, but no day of the logs.
    columns.extend(["failed", "plaintext", "total", "clock_skew"]);
    let rows = keys
        .into_iter()
        .map(|k| {
            let c = &tally.smtp.day[&k];
            let total = c.versions.iter().sum::<u64>() + c.failed;
            [text(&k.0), dir(k.1)]
                .into_iter()
                .chain(c.versions.iter().map(|&n| Cell::Count(n)))
                .chain([
                    Cell::Count(c.failed),
                    Cell::Count(c.plaintext),
                    Cell::Count(total),
                    Cell::Flag(k.2),
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
