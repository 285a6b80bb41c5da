//! The readiness window of a server: the calendar days (UTC) a verdict
//! speaks for. Readiness and coverage both count in it.

use super::{Coverage, Options};

/// A day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The window of one server: `[from, to]` in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    /// The window of a server whose logs cover `coverage`: it ends at
    /// `--as-of` if given, else at the server's own latest record, and
    /// holds the `--window-days` calendar days (UTC) up to that day: 14
    /// days to 2024-03-07 11:00 are 2024-02-23 00:00 to 2024-03-07 11:00.
    pub(crate) fn of(coverage: &Coverage, options: &Options) -> Option<Window> {
        let to = options.as_of.or(coverage.last)?;
        let days = i64::from(options.window_days.max(1)) - 1;
        Some(Window {
            from: (to.div_euclid(DAY_MS) - days) * DAY_MS,
            to,
        })
    }

    /// The window's days, as day numbers (days since 1970), oldest first.
    pub(crate) fn days(&self) -> std::ops::RangeInclusive<i64> {
        self.from.div_euclid(DAY_MS)..=self.to.div_euclid(DAY_MS)
    }

    pub(crate) fn contains(&self, ms: i64) -> bool {
        self.from <= ms && ms <= self.to
    }
}
