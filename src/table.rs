//! What every report is: a [`Table`] of [`Cell`]s, named by its [`Kind`].
//! The reports build tables; the writers (CSV, JSON, table, xlsx, HTML)
//! turn them into bytes. Shared by the reports of every input kind.

use crate::parse::tls::Version;
use crate::parse::{Direction, Stamp};
use std::borrow::Cow;

/// A report's id: its name as `--by` spells it. Each report module holds
/// its own (`report::legacy::KIND`); the registry in `report` says what
/// each report is and does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind(&'static str);

impl Kind {
    /// The id of the report `--by name` prints.
    pub const fn named(name: &'static str) -> Kind {
        Kind(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }
}

/// One cell. Counts are integers in every format; `Bits` is a number the
/// log may leave out (empty in CSV, `null` in JSON).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// Boxed rather than a `String` (and `Bytes` likewise): a cell is then
    /// 24 bytes, not 32, and the remote report holds about 700,000 cells.
    Text(Box<str>),
    /// Log text that is not valid UTF-8: shown lossily in CSV, tables and
    /// xlsx, kept exact (as hex) beside the lossy string in JSON.
    Bytes(Box<[u8]>),
    Count(u64),
    Bits(Option<u64>),
    Flag(bool),
    /// A number with two decimals, kept in hundredths (`coverage_days`).
    Hundredths(u64),
}

impl Cell {
    /// The cell as display text (lossy for [`Cell::Bytes`]), or `None` for
    /// numbers and flags.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Text(s) => Some(Cow::Borrowed(s)),
            Cell::Bytes(b) => Some(String::from_utf8_lossy(b)),
            _ => None,
        }
    }
}

/// Hundredths as `12.34`.
pub fn hundredths(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

/// `n` and the noun, singular or plural: "1 file", "2 files".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A size as people read it, in binary units: "812 bytes", "1.5 KiB",
/// "301 KiB", "20 MiB"; one decimal below 10 of a unit, none above.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return count(bytes, "byte", "bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    // Rounding may carry into the next unit (1023.9 KiB is 1.0 MiB).
    while v.round() >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v < 9.95 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// CSV/formula injection defence (OWASP): text that a spreadsheet would
/// read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a
/// leading `'`. Only for text: counts and bits are written as numbers.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// A report as columns and rows: the one shape every writer consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub kind: Kind,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// Version columns, in order, shared by the connector and remote reports.
pub(crate) fn version_columns() -> impl Iterator<Item = &'static str> {
    Version::ALL.iter().map(|v| v.label())
}

/// Log text for a report: lossy where the log held invalid UTF-8.
pub(crate) fn text(bytes: &[u8]) -> Cell {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cell::Text(s.into()),
        Err(_) => Cell::Bytes(bytes.into()),
    }
}

/// A time (ms since 1970) as Exchange writes it; empty when unknown.
pub(crate) fn time_cell(ms: Option<i64>) -> Cell {
    Cell::Text(
        ms.map(crate::parse::stamp::format_millis)
            .unwrap_or_default()
            .into(),
    )
}

/// A record time as the log wrote it (empty when there is none).
pub(crate) fn stamp_cell(s: Option<Stamp>) -> Cell {
    s.map_or(Cell::Text("".into()), |s| text(s.as_bytes()))
}

pub(crate) fn dir(d: Direction) -> Cell {
    Cell::Text(d.label().into())
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn sizes_in_binary_units() {
        use super::size_text;
        // Worked by hand: 1536 / 1024 = 1.5; 308472 / 1024 = 301.24;
        // 10239 / 1024 = 9.999, shown as 10; 1048000 / 1024 = 1023.4;
        // 1048500 / 1024 = 1023.9, 1.0 MiB; 20 * 2^20 + 300 * 1024 is
        // 20.3 MiB; 2^64 is 16384 PiB.
        for (bytes, text) in [
            (0, "0 bytes"),
            (1, "1 byte"),
            (1023, "1023 bytes"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (10_239, "10 KiB"),
            (308_472, "301 KiB"),
            (1_048_000, "1023 KiB"),
            (1_048_500, "1.0 MiB"),
            (21_278_720, "20 MiB"),
            (u64::MAX, "16384 PiB"),
        ] {
            assert_eq!(size_text(bytes), text, "{bytes}");
        }
    }
}
