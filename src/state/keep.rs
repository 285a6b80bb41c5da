//! `--state-keep-days N`: a state of months stays small. Session by
//! session detail older than N days (readiness marks, legacy times,
//! fallout's steps) is folded into what the reports read of it, so that
//! every report stays what one run over all the logs would give, as long
//! as readiness windows (`--window-days`) fit in the N days kept.

use crate::partial::ScanFlags;
use crate::smtp::timeline::DAY_MS;
use crate::tally::Tally;

/// Where one server's kept detail starts: the UTC day N − 1 days before
/// the day of its latest record (as the coverage report finds it: clock
/// skew left out, clipped to `--until`). A readiness window of at most N
/// days ends on that day or later, so it starts at the cut or after it.
pub(crate) fn cut(tally: &Tally, days: u32, until: Option<i64>) -> Option<i64> {
    let last = tally
        .files
        .values()
        .filter(|f| f.skipped.is_none())
        .filter_map(|f| f.last_record().and_then(|s| s.millis()))
        .map(|ms| until.map_or(ms, |u| ms.min(u - 1)))
        .max()?;
    Some((last.div_euclid(DAY_MS) - (i64::from(days) - 1)) * DAY_MS)
}

/// Folds the detail of one server's counts before its cut (see [`cut`]).
pub(crate) fn keep_days(tally: &mut Tally, days: u32, scan: &ScanFlags) {
    let ms = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| crate::parse::stamp::millis(t.as_bytes()))
    };
    let (since, until) = (ms(&scan.since), ms(&scan.until));
    let Some(cut) = cut(tally, days, until) else {
        return;
    };
    // The burn-down's clip, as it applies it to the steps it reads.
    let inside = |ms: i64| since.is_none_or(|s| ms >= s) && until.is_none_or(|u| ms < u);
    for maps in tally.smtp.connector.values_mut() {
        for c in maps.iter_mut().flat_map(|m| m.values_mut()) {
            c.keep_detail_from(cut);
        }
    }
    for maps in tally.smtp.timelines.values_mut() {
        for c in maps.iter_mut().flat_map(|m| m.values_mut()) {
            c.keep_detail_from(cut, inside);
        }
    }
}
