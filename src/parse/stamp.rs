//! Record times kept as the text the log wrote.

/// A `date-time` value kept inline: rows are ISO text of fixed width, so
/// byte order is time order and no allocation is needed per update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    len: u8,
    buf: [u8; Stamp::MAX],
}

impl Stamp {
    /// Longest time text a row may carry (checked by the row splitter).
    pub const MAX: usize = 40;

    /// `text` is at most [`Stamp::MAX`] bytes for a row that parsed; longer
    /// text is cut.
    #[inline]
    pub fn new(text: &[u8]) -> Stamp {
        let mut buf = [0; Stamp::MAX];
        // Exchange always writes 24 bytes: a fixed-size copy, no call.
        if let Ok(t) = <&[u8; 24]>::try_from(text) {
            buf[..24].copy_from_slice(t);
            return Stamp { len: 24, buf };
        }
        let n = text.len().min(Stamp::MAX);
        buf[..n].copy_from_slice(&text[..n]);
        Stamp { len: n as u8, buf }
    }

    /// Replaces the time with `text` (as [`Stamp::new`], in place).
    #[inline]
    pub fn set(&mut self, text: &[u8]) {
        if let Ok(t) = <&[u8; 24]>::try_from(text)
            && self.len == 24
        {
            self.buf[..24].copy_from_slice(t);
            return;
        }
        *self = Stamp::new(text);
    }

    /// Compares with time text as it stands in a row (`self` vs `text`).
    #[inline]
    pub fn cmp_text(&self, text: &[u8]) -> std::cmp::Ordering {
        // The usual 24-byte form: three big-endian words, no call.
        if self.len == 24
            && let Ok(t) = <&[u8; 24]>::try_from(text)
        {
            let word =
                |b: &[u8], i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            return (word(&self.buf, 0), word(&self.buf, 8), word(&self.buf, 16)).cmp(&(
                word(t, 0),
                word(t, 8),
                word(t, 16),
            ));
        }
        self.as_bytes().cmp(text)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The UTC day, `yyyy-MM-dd`.
    pub fn day(&self) -> [u8; 10] {
        let mut d = [b'?'; 10];
        let n = (self.len as usize).min(10);
        d[..n].copy_from_slice(&self.buf[..n]);
        d
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since 1970 of a record time, `yyyy-MM-ddTHH:mm:ss[.f…]Z`
/// (Exchange writes three fraction digits; fewer or more are taken as a
/// fraction too). `None` for any other text.
pub(crate) fn millis(text: &[u8]) -> Option<i64> {
    match <&[u8; 24]>::try_from(text) {
        Ok(exact) => millis_exchange(exact),
        Err(_) => millis_general(text),
    }
}

/// [`millis`] of any length.
fn millis_general(text: &[u8]) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(r)?;
        part.iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let sep = |i: usize, c: u8| text.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d, h, mi, s) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let rest = &text[19..];
    let rest = rest.strip_suffix(b"Z")?;
    let ms = match rest.strip_prefix(b".") {
        None if rest.is_empty() => 0,
        None => return None,
        Some(frac) if !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) => {
            let mut v = 0i64;
            for i in 0..3 {
                v = v * 10 + frac.get(i).map_or(0, |b| i64::from(b - b'0'));
            }
            v
        }
        Some(_) => return None,
    };
    Some((((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms)
}

/// [`millis`] of the 24-byte form Exchange writes (nearly every stamp),
/// without the general parser's loops: it runs for every session's start
/// and end with `--events`.
#[inline]
fn millis_exchange(t: &[u8; 24]) -> Option<i64> {
    Some(midnight(t)? + time_of_day(t)?)
}

/// The `yyyy-MM-dd` of an Exchange stamp as its midnight in ms since 1970;
/// `None` if that part is not a valid date.
#[inline]
fn midnight(t: &[u8; 24]) -> Option<i64> {
    if !(t[4] == b'-' && t[7] == b'-') {
        return None;
    }
    let mut bad = 0u8;
    let (y, mo, d) = (
        digits(t, 0, 4, &mut bad),
        digits(t, 5, 2, &mut bad),
        digits(t, 8, 2, &mut bad),
    );
    if bad != 0 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400_000)
}

/// The number written in `t[from..from + len]`; `bad` gets a bit if a
/// byte is not a digit (checked once, after all the fields are read).
#[inline(always)]
fn digits(t: &[u8; 24], from: usize, len: usize, bad: &mut u8) -> i64 {
    t[from..from + len].iter().fold(0i64, |n, &b| {
        let d = b.wrapping_sub(b'0');
        *bad |= u8::from(d > 9);
        n * 10 + i64::from(d)
    })
}

/// [`millis`] for many stamps in a row, most of one day: the day's start
/// is kept, so a stamp of the same day costs only its time of day.
#[derive(Default)]
pub(crate) struct DayCache {
    /// A date (`yyyy-MM-dd`) and its midnight in ms since 1970.
    day: Option<([u8; 10], i64)>,
}

impl DayCache {
    pub(crate) fn millis(&mut self, text: &[u8]) -> Option<i64> {
        let Ok(exact) = <&[u8; 24]>::try_from(text) else {
            return millis(text);
        };
        let day = match self.day {
            Some((date, day)) if exact[..10] == date => day,
            _ => {
                let day = midnight(exact)?;
                self.day = Some((exact[..10].try_into().expect("10 bytes"), day));
                day
            }
        };
        Some(day + time_of_day(exact)?)
    }
}

/// The `THH:mm:ss.fffZ` of an Exchange stamp in ms since its midnight;
/// `None` if that part is not a valid time.
#[inline]
fn time_of_day(t: &[u8; 24]) -> Option<i64> {
    let at = |i: usize, c: u8| t[i] == c;
    if !(at(10, b'T') && at(13, b':') && at(16, b':') && at(19, b'.') && at(23, b'Z')) {
        return None;
    }
    let mut bad = 0u8;
    let (h, mi, s, ms) = (
        digits(t, 11, 2, &mut bad),
        digits(t, 14, 2, &mut bad),
        digits(t, 17, 2, &mut bad),
        digits(t, 20, 3, &mut bad),
    );
    if bad != 0 || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(((h * 60 + mi) * 60 + s) * 1000 + ms)
}

/// A record time as Exchange writes it, `yyyy-MM-ddTHH:mm:ss.fffZ`.
pub(crate) fn format_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => String::new(),
    }
}

/// A record time in Exchange's 24-byte form as three big-endian words:
/// they compare as the text does, in three integer comparisons.
pub(crate) type Key = [u64; 3];

/// A partial result writes a stamp as its text.
impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::wire::Text(self.as_bytes()).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::Owned::deserialize(d).map(|o| Stamp::new(&o.0))
    }
}

/// The [`Key`] of `text`, if it is 24 bytes long.
#[inline(always)]
pub(crate) fn key(text: &[u8]) -> Option<Key> {
    let t: &[u8; 24] = text.try_into().ok()?;
    let word = |i: usize| u64::from_be_bytes(t[i..i + 8].try_into().expect("8 bytes"));
    Some([word(0), word(8), word(16)])
}

impl Stamp {
    /// The time a [`Key`] holds.
    pub fn from_key(k: &Key) -> Stamp {
        let mut text = [0u8; 24];
        for (i, w) in k.iter().enumerate() {
            text[i * 8..i * 8 + 8].copy_from_slice(&w.to_be_bytes());
        }
        Stamp::new(&text)
    }

    /// Milliseconds since 1970 (see [`millis`]).
    pub fn millis(&self) -> Option<i64> {
        millis(self.as_bytes())
    }
}

// Order by text (ISO time stamps sort as time), not by the derived field order.
impl Ord for Stamp {
    fn cmp(&self, other: &Stamp) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Stamp) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The record times a file may hold: within a day of its own time (from
/// its name or `#Date:`), and not after this machine's clock; as [`Key`]s
/// (`from` is all zeros when the file has no time of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub from: Key,
    pub to: Key,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::ANY
    }
}

impl Bounds {
    /// Any time at all (tests, benchmarks).
    pub const ANY: Bounds = Bounds {
        from: [0; 3],
        to: [u64::MAX; 3],
    };

    fn key_of(ms: i64) -> Key {
        let text = format_millis(ms);
        key(text.as_bytes()).unwrap_or([u64::MAX; 3])
    }

    /// Only "not after `now`" (a file with no time of its own).
    pub fn until(now_ms: i64) -> Bounds {
        Bounds {
            from: [0; 3],
            to: Bounds::key_of(now_ms),
        }
    }

    /// A file whose own time is `[start, end)` (ms): one day either side,
    /// never after `now`.
    pub fn around(start: i64, end: i64, now_ms: i64) -> Bounds {
        const DAY: i64 = 86_400_000;
        Bounds {
            from: Bounds::key_of(start - DAY),
            to: Bounds::key_of((end + DAY).min(now_ms)),
        }
    }

    /// Whether a record time lies outside the bounds (a skewed clock).
    /// A time not in Exchange's 24-byte form is no evidence either way.
    pub fn excludes(&self, stamp: &[u8]) -> bool {
        key(stamp).is_some_and(|k| k < self.from || k > self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_agree_with_chrono() {
        for t in [
            "1970-01-01T00:00:00.000Z",
            "2000-02-29T23:59:59.999Z",
            "2024-03-08T10:02:03.456Z",
            "2100-03-01T00:00:00.001Z",
            "1969-12-31T23:59:59.000Z",
        ] {
            let want = chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp_millis();
            assert_eq!(millis(t.as_bytes()), Some(want), "{t}");
            assert_eq!(format_millis(want), t);
        }
        assert_eq!(
            millis(b"2024-03-08T10:02:03Z"),
            millis(b"2024-03-08T10:02:03.000Z")
        );
        assert_eq!(
            millis(b"2024-03-08T10:02:03.4Z"),
            millis(b"2024-03-08T10:02:03.400Z")
        );
        for bad in [
            "",
            "2024-03-08",
            "2024-13-08T10:02:03.456Z",
            "2024-03-08T10:02:03.456",
            "x024-03-08T10:02:03.456Z",
        ] {
            assert_eq!(millis(bad.as_bytes()), None, "{bad}");
        }
    }

    /// The 24-byte fast path gives what the general parser gives, for
    /// valid stamps and for each byte replaced by a digit, a separator or
    /// a letter.
    #[test]
    fn exchange_stamps_parse_as_the_general_parser_does() {
        let mut checked = 0;
        for base in [
            "2024-03-08T10:02:03.456Z",
            "1999-12-31T23:59:59.999Z",
            "2000-02-29T00:00:00.000Z",
        ] {
            for i in 0..24 {
                for c in b"0159:-.TZx/" {
                    let mut t: [u8; 24] = base.as_bytes().try_into().unwrap();
                    t[i] = *c;
                    assert_eq!(
                        millis_exchange(&t),
                        millis_general(&t),
                        "{}",
                        String::from_utf8_lossy(&t)
                    );
                    checked += usize::from(millis_general(&t).is_some());
                }
            }
        }
        assert!(checked > 100, "only {checked} valid variants");
    }

    /// A day cache gives [`millis`] for any sequence of stamps: same day,
    /// next day, other lengths, broken dates and times.
    #[test]
    fn a_day_cache_gives_what_millis_gives() {
        let stamps = [
            "2024-03-08T10:02:03.456Z",
            "2024-03-08T23:59:59.999Z",
            "2024-03-08T24:00:00.000Z",
            "2024-03-08T10:02:03.45xZ",
            "2024-03-09T00:00:00.000Z",
            "2024-03-08T00:00:00.001Z",
            "2024-03-08T10:02:03Z",
            "2024-02-30T10:02:03.456Z",
            "2024-13-08T10:02:03.456Z",
            "2024-03-08X10:02:03.456Z",
            "1969-12-31T23:59:59.000Z",
            "2024-03-08T10:02:03.456Z",
        ];
        let mut cache = DayCache::default();
        for round in 0..3 {
            for i in 0..stamps.len() {
                let t = stamps[(i * (2 * round + 1)) % stamps.len()];
                assert_eq!(cache.millis(t.as_bytes()), millis(t.as_bytes()), "{t}");
            }
        }
    }

    #[test]
    fn orders_as_time_and_gives_the_day() {
        let a = Stamp::new(b"2024-03-08T10:00:00.000Z");
        let b = Stamp::new(b"2024-03-08T10:00:00.001Z");
        assert!(a < b);
        assert_eq!(&a.day(), b"2024-03-08");
        assert_eq!(Stamp::new(&[b'9'; 50]).as_bytes().len(), Stamp::MAX);
        use std::cmp::Ordering::*;
        for (x, y) in [
            ("2024-03-08T10:00:00.000Z", "2024-03-08T10:00:00.001Z"),
            ("2024-03-08T10:00:00.000Z", "2024-03-08T10:00:00.000Z"),
            ("2024-03-09T00:00:00.000Z", "2024-03-08T23:59:59.999Z"),
            ("2024-03-08T10:00:00Z", "2024-03-08T10:00:00.000Z"),
        ] {
            let want = x.as_bytes().cmp(y.as_bytes());
            assert_eq!(
                Stamp::new(x.as_bytes()).cmp_text(y.as_bytes()),
                want,
                "{x} {y}"
            );
            assert!(matches!(want, Less | Equal | Greater));
        }
    }
}
