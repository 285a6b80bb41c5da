//! The 9-field row splitter.
//!
//! Exchange writes RFC 4180 rows: a field is quoted only when it holds `,`
//! or `"`, and an inner `"` is doubled. Rows never span lines (the logger
//! splits data at CRLF), so a row is one line. Everything here works on
//! bytes: the `data` field carries raw wire bytes that need not be UTF-8.

use super::masks::{self, BLOCK, masks_at};

/// Number of fields in every protocol-log row (`#Fields:` lists the same
/// nine for receive and send logs of every Exchange version).
pub const FIELD_COUNT: usize = 9;

/// Field positions, as listed by `#Fields:`.
pub const DATE_TIME: usize = 0;
pub const CONNECTOR_ID: usize = 1;
pub const SESSION_ID: usize = 2;
pub const SEQUENCE: usize = 3;
pub const LOCAL_ENDPOINT: usize = 4;
pub const REMOTE_ENDPOINT: usize = 5;
pub const EVENT: usize = 6;
pub const DATA: usize = 7;
pub const CONTEXT: usize = 8;

/// Why a line is not a protocol-log row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RowError {
    /// Fewer or more than nine fields.
    FieldCount(usize),
    /// A quoted field whose closing quote is missing (often a line cut short).
    UnterminatedQuote,
    /// A closing quote followed by something other than `,` or the line end.
    TextAfterQuote,
    /// The first field is not a `yyyy-MM-ddTHH:mm:ss` time stamp.
    BadTimestamp,
    /// An IIS row without the `date` and `time` its `#Fields:` line names.
    NotARequest,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::FieldCount(n) => write!(f, "{n} fields instead of 9"),
            RowError::UnterminatedQuote => f.write_str("quoted field without closing quote"),
            RowError::TextAfterQuote => f.write_str("text after a closing quote"),
            RowError::BadTimestamp => f.write_str("date-time is not an ISO time stamp"),
            RowError::NotARequest => {
                f.write_str("no date and time where the #Fields: line puts them")
            }
        }
    }
}

/// One row split into its nine fields. Fields borrow from the line; the
/// rare field that held doubled quotes is undone into an owned copy.
#[derive(Debug)]
pub struct Row<'a> {
    fields: [&'a [u8]; FIELD_COUNT],
    /// Undone copies of fields with doubled quotes (allocated only then).
    /// `(field index, text)`; empty (no allocation) for almost every row.
    undone: Vec<(usize, Vec<u8>)>,
}

impl<'a> Row<'a> {
    /// The field at `index` (0..9), unquoted.
    pub fn get(&self, index: usize) -> &[u8] {
        if self.undone.is_empty() {
            return self.fields[index];
        }
        match self.undone.iter().find(|(i, _)| *i == index) {
            Some((_, text)) => text,
            None => self.fields[index],
        }
    }

    /// Splits one line (without its line ending; a trailing CR is ignored)
    /// into exactly nine fields and checks the time stamp's shape.
    pub fn parse(line: &'a [u8]) -> Result<Row<'a>, RowError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match Row::split_plain(line) {
            Some(r) => r,
            None => Row::split_quoted(line),
        }
    }

    /// [`Row::parse`] for a line known to hold a quote.
    pub fn parse_quoted(line: &'a [u8]) -> Result<Row<'a>, RowError> {
        Row::split_quoted(line.strip_suffix(b"\r").unwrap_or(line))
    }

    /// A line without any `"` whose first eight commas are at `commas`
    /// (and that has no other): every comma ends a field.
    #[inline(always)]
    pub fn from_commas(
        line: &'a [u8],
        commas: &[u32; FIELD_COUNT - 1],
    ) -> Result<Row<'a>, RowError> {
        let mut fields = [&line[..0]; FIELD_COUNT];
        let mut start = 0;
        for (f, &c) in fields.iter_mut().zip(commas) {
            *f = &line[start..c as usize];
            start = c as usize + 1;
        }
        let last = &line[start..];
        fields[FIELD_COUNT - 1] = last.strip_suffix(b"\r").unwrap_or(last);
        if !is_timestamp(fields[DATE_TIME]) {
            return Err(RowError::BadTimestamp);
        }
        Ok(Row {
            fields,
            undone: Vec::new(),
        })
    }

    /// A line whose quotes follow RFC 4180 and whose eight separators are
    /// at `commas` (found by the line pass): quoted fields lose their outer
    /// quotes, and doubled quotes inside them are undone.
    pub fn from_quoted_commas(
        line: &'a [u8],
        commas: &[u32; FIELD_COUNT - 1],
    ) -> Result<Row<'a>, RowError> {
        let mut row = Row {
            fields: [&line[..0]; FIELD_COUNT],
            undone: Vec::new(),
        };
        let mut start = 0;
        for i in 0..FIELD_COUNT {
            let mut field = match commas.get(i) {
                Some(&c) => &line[start..c as usize],
                None => {
                    let last = &line[start..];
                    last.strip_suffix(b"\r").unwrap_or(last)
                }
            };
            if let Some(&c) = commas.get(i) {
                start = c as usize + 1;
            }
            if field.len() >= 2 && field[0] == b'"' {
                field = &field[1..field.len() - 1];
                if memchr::memchr(b'"', field).is_some() {
                    row.undone.push((i, undouble(field)));
                }
            }
            row.fields[i] = field;
        }
        if !is_timestamp(row.fields[DATE_TIME]) {
            return Err(RowError::BadTimestamp);
        }
        Ok(row)
    }

    /// The common case, a line without any `"`: every comma ends a field.
    /// `None` when the line holds a quote (then [`Row::split_quoted`]).
    fn split_plain(line: &'a [u8]) -> Option<Result<Row<'a>, RowError>> {
        let mut commas = [0usize; FIELD_COUNT - 1];
        let mut n = 0;
        let mut i = 0;
        while i < line.len() {
            let [mut comma, quote] = masks_at(line, i, [b',', b'"'], masks::masks);
            if quote != 0 {
                return None;
            }
            while comma != 0 {
                if n < commas.len() {
                    commas[n] = i + comma.trailing_zeros() as usize;
                }
                n += 1;
                comma &= comma - 1;
            }
            i += BLOCK;
        }
        if n != FIELD_COUNT - 1 {
            return Some(Err(RowError::FieldCount(n + 1)));
        }
        let mut fields = [&line[..0]; FIELD_COUNT];
        let mut start = 0;
        for (f, &c) in fields.iter_mut().zip(&commas) {
            *f = &line[start..c];
            start = c + 1;
        }
        fields[FIELD_COUNT - 1] = &line[start..];
        if !is_timestamp(fields[DATE_TIME]) {
            return Some(Err(RowError::BadTimestamp));
        }
        Some(Ok(Row {
            fields,
            undone: Vec::new(),
        }))
    }

    /// Any line: quoted fields, doubled quotes, and the errors they allow.
    /// Field by field: a quoted field ends at a quote that is not doubled,
    /// any other field at the next comma.
    fn split_quoted(line: &'a [u8]) -> Result<Row<'a>, RowError> {
        let mut row = Row {
            fields: [b""; FIELD_COUNT],
            undone: Vec::new(),
        };
        let mut count = 0;
        let mut pos = 0;
        loop {
            let (field, doubled, next) = if line.get(pos) == Some(&b'"') {
                let mut i = pos + 1;
                let mut doubled = false;
                loop {
                    let Some(k) = memchr::memchr(b'"', &line[i..]) else {
                        return Err(RowError::UnterminatedQuote);
                    };
                    let q = i + k;
                    if line.get(q + 1) == Some(&b'"') {
                        doubled = true;
                        i = q + 2;
                        continue;
                    }
                    let next = match line.get(q + 1) {
                        None => None,
                        Some(b',') => Some(q + 2),
                        Some(_) => return Err(RowError::TextAfterQuote),
                    };
                    break (&line[pos + 1..q], doubled, next);
                }
            } else {
                match memchr::memchr(b',', &line[pos..]) {
                    Some(k) => (&line[pos..pos + k], false, Some(pos + k + 1)),
                    None => (&line[pos..], false, None),
                }
            };
            if count < FIELD_COUNT {
                row.fields[count] = field;
                if doubled {
                    row.undone.push((count, undouble(field)));
                }
            }
            count += 1;
            match next {
                Some(p) => pos = p,
                None => break,
            }
        }
        if count != FIELD_COUNT {
            return Err(RowError::FieldCount(count));
        }
        if !is_timestamp(row.fields[DATE_TIME]) {
            return Err(RowError::BadTimestamp);
        }
        Ok(row)
    }

    /// The first splitter, a state machine over every `,` and `"`: the
    /// reference the tests hold [`Row::split_quoted`] to.
    #[cfg(test)]
    fn split_reference(line: &'a [u8]) -> Result<Row<'a>, RowError> {
        let mut row = Row {
            fields: [b""; FIELD_COUNT],
            undone: Vec::new(),
        };
        let mut count = 0;
        let mut push = |row: &mut Row<'a>, field: &'a [u8], doubled: bool| {
            if count < FIELD_COUNT {
                row.fields[count] = field;
                if doubled {
                    row.undone.push((count, undouble(field)));
                }
            }
            count += 1;
        };
        // A state machine over the positions of `,` and `"` only.
        let mut field_start = 0;
        let mut quoted: Option<(usize, bool)> = None; // (content start, doubled)
        let mut skip_through = None; // a position already consumed
        let mut error = None;
        delimiters(line, |p| {
            if skip_through.is_some_and(|s| p <= s) {
                return true;
            }
            match quoted {
                None if line[p] == b'"' && p == field_start => quoted = Some((p + 1, false)),
                None if line[p] == b',' => {
                    push(&mut row, &line[field_start..p], false);
                    field_start = p + 1;
                }
                None => {} // a quote inside an unquoted field is text
                Some(_) if line[p] == b',' => {}
                Some((start, doubled)) => {
                    if line.get(p + 1) == Some(&b'"') {
                        quoted = Some((start, true));
                        skip_through = Some(p + 1);
                        return true;
                    }
                    push(&mut row, &line[start..p], doubled);
                    quoted = None;
                    match line.get(p + 1) {
                        None => field_start = usize::MAX,
                        Some(b',') => {
                            field_start = p + 2;
                            skip_through = Some(p + 1);
                        }
                        Some(_) => {
                            error = Some(RowError::TextAfterQuote);
                            return false;
                        }
                    }
                }
            }
            true
        });
        if let Some(e) = error {
            return Err(e);
        }
        if quoted.is_some() {
            return Err(RowError::UnterminatedQuote);
        }
        if field_start != usize::MAX {
            push(&mut row, &line[field_start.min(line.len())..], false);
        }
        if count != FIELD_COUNT {
            return Err(RowError::FieldCount(count));
        }
        if !is_timestamp(row.fields[DATE_TIME]) {
            return Err(RowError::BadTimestamp);
        }
        Ok(row)
    }
}

/// Calls `f` with the position of every `,` and `"` in `line`, in order,
/// until it returns false. Protocol-log fields are short, and a `memchr`
/// call per field cost more than it saved on them (callgrind): one pass
/// over 64-byte blocks ([`masks::masks`]) finds all delimiters instead.
#[cfg(test)]
fn delimiters(line: &[u8], mut f: impl FnMut(usize) -> bool) {
    let mut i = 0;
    while i < line.len() {
        let [comma, quote] = masks_at(line, i, [b',', b'"'], masks::masks);
        let mut hits = comma | quote;
        while hits != 0 {
            if !f(i + hits.trailing_zeros() as usize) {
                return;
            }
            hits &= hits - 1;
        }
        i += BLOCK;
    }
}

fn undouble(inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        out.push(inner[i]);
        i += if inner[i] == b'"' { 2 } else { 1 };
    }
    out
}

/// `yyyy-MM-ddTHH:mm:ss` prefix check: cheap, and enough to tell a row
/// from garbage or a placeholder such as `Date/Time`. Inlined: a call
/// per row cost as much again as the check.
#[inline]
pub fn is_timestamp(s: &[u8]) -> bool {
    if s.len() < 19 || s.len() > 40 {
        return false;
    }
    // Runs for every row: the 19-byte prefix as three words.
    let word = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    // "yyyy-MM-" "ddTHH:mm" ":ss" (the last read from byte 11).
    const D0: u64 = 0x00FF_FF00_FFFF_FFFF; // digits at 0..4, 5, 6
    const S0: u64 = 0x2D00_002D_0000_0000; // '-' at 4 and 7
    const D1: u64 = 0xFFFF_00FF_FF00_FFFF; // digits at 8, 9, 11, 12, 14, 15
    const S1: u64 = 0x0000_3A00_0054_0000; // 'T' at 10, ':' at 13
    let (a, b, c) = (word(0), word(8), word(11));
    digits(a, D0)
        && a & !D0 == S0
        && digits(b, D1)
        && b & !D1 == S1
        && (c >> 40) & 0xFF == u64::from(b':')
        && digits(c >> 48, 0xFFFF)
}

/// [`is_timestamp`] for a run of rows that mostly share a date (the rows
/// of one log file): the date part (`yyyy-MM-ddT`) of the last stamp that
/// passed the whole check is kept, and a stamp with the same date needs
/// only its time (`HH:mm:ss`) checked: one word instead of three.
#[derive(Default)]
pub struct TimestampCheck {
    /// Bytes 0..8 and 3..11 of the last stamp that passed.
    date: Option<[u64; 2]>,
}

impl TimestampCheck {
    /// Whether `s` is a time stamp, as [`is_timestamp`] says.
    #[inline(always)]
    pub fn check(&mut self, s: &[u8]) -> bool {
        if s.len() < 19 || s.len() > 40 {
            return false;
        }
        let word = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        let date = [word(0), word(3)];
        if self.date == Some(date) {
            // "HH:mm:ss": digits at 0, 1, 3, 4, 6, 7 and ':' at 2 and 5.
            const D: u64 = 0xFFFF_00FF_FF00_FFFF;
            const S: u64 = 0x0000_3A00_003A_0000;
            let time = word(11);
            return time & !D == S && digits(time, D);
        }
        let ok = is_timestamp(s);
        if ok {
            self.date = Some(date);
        }
        ok
    }
}

/// Whether the bytes of `w` under `mask` (whole bytes) are ASCII digits.
/// Digits are 0x30..=0x39: high nibble 3, and low nibble + 6 stays below 16.
#[inline(always)]
fn digits(w: u64, mask: u64) -> bool {
    let w = w & mask;
    let ones = 0x0101_0101_0101_0101 & mask;
    (w & (0xF0F0_F0F0_F0F0_F0F0 & mask)) == ones * 0x30
        && ((w & (0x0F0F_0F0F_0F0F_0F0F & mask)) + ones * 6) & (0xF0F0_F0F0_F0F0_F0F0 & mask) == 0
}

/// The byte-by-byte form of [`is_timestamp`], as the reference its tests
/// compare with.
#[cfg(test)]
fn is_timestamp_bytes(s: &[u8]) -> bool {
    let d = |i: usize| s[i].is_ascii_digit();
    s.len() >= 19
        && s.len() <= 40
        && d(0)
        && d(1)
        && d(2)
        && d(3)
        && s[4] == b'-'
        && d(5)
        && d(6)
        && s[7] == b'-'
        && d(8)
        && d(9)
        && s[10] == b'T'
        && d(11)
        && d(12)
        && s[13] == b':'
        && d(14)
        && d(15)
        && s[16] == b':'
        && d(17)
        && d(18)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let row = Row::parse(line.as_bytes()).unwrap();
        (0..FIELD_COUNT)
            .map(|i| String::from_utf8(row.get(i).to_vec()).unwrap())
            .collect()
    }

    /// The field-by-field splitter must split (and fail) exactly as the
    /// state machine it replaced, on lines full of quotes and commas.
    #[test]
    fn quoted_splitter_equals_reference() {
        for line in crate::parse::random_lines(7, 50_000, 40, b"a,\"\",\"x ") {
            let show = String::from_utf8_lossy(&line).into_owned();
            match (Row::split_quoted(&line), Row::split_reference(&line)) {
                (Ok(a), Ok(b)) => {
                    for i in 0..FIELD_COUNT {
                        assert_eq!(a.get(i), b.get(i), "{show}");
                    }
                }
                (a, b) => assert_eq!(a.err(), b.err(), "{show}"),
            }
        }
    }

    /// The quote-free fast path must split exactly as the general one.
    #[test]
    fn plain_and_quoted_splitters_agree() {
        for line in crate::parse::random_lines(9, 20_000, 60, b"ab,\r x:1-T") {
            let plain = Row::split_plain(&line).expect("no quote in the line");
            let quoted = Row::split_reference(&line);
            match (plain, quoted) {
                (Ok(a), Ok(b)) => {
                    for i in 0..FIELD_COUNT {
                        assert_eq!(a.get(i), b.get(i), "{:?}", String::from_utf8_lossy(&line));
                    }
                }
                (a, b) => assert_eq!(a.err(), b.err(), "{:?}", String::from_utf8_lossy(&line)),
            }
        }
    }

    #[test]
    fn plain_row() {
        let f = fields(
            "2019-01-25T00:03:58.478Z,TAIL-EXCH-1\\Internet Mail,08D675E58CA1DA38,0,10.0.0.6:25,185.234.217.220:61061,+,,",
        );
        assert_eq!(f[1], "TAIL-EXCH-1\\Internet Mail");
        assert_eq!(f[6], "+");
        assert_eq!(f[7], "");
        assert_eq!(f[8], "");
    }

    #[test]
    fn quoted_fields_with_commas_and_quotes() {
        let f = fields(
            "2024-01-01T00:00:00.000Z,\"EX1\\Relay, \"\"Legacy\"\"\",08D,3,1.2.3.4:25,5.6.7.8:1,>,\"220 a, b\",",
        );
        assert_eq!(f[1], "EX1\\Relay, \"Legacy\"");
        assert_eq!(f[7], "220 a, b");
        assert_eq!(f[8], "");
    }

    #[test]
    fn trailing_cr_is_dropped_and_quoted_last_field() {
        let f = fields("2024-01-01T00:00:00.000Z,C,S,7,a:1,b:2,*,,\"TLS protocol x, y\"\r");
        assert_eq!(f[8], "TLS protocol x, y");
    }

    #[test]
    fn field_count_errors() {
        assert_eq!(
            Row::parse(b"2024-01-01T00:00:00.000Z,a,b").unwrap_err(),
            RowError::FieldCount(3)
        );
        assert_eq!(
            Row::parse(b"2024-01-01T00:00:00.000Z,a,b,c,d,e,f,g,h,i").unwrap_err(),
            RowError::FieldCount(10)
        );
    }

    #[test]
    fn quote_errors() {
        assert_eq!(
            Row::parse(b"2024-01-01T00:00:00.000Z,C,S,7,a:1,b:2,*,,\"TLS protocol cut sh")
                .unwrap_err(),
            RowError::UnterminatedQuote
        );
        assert_eq!(
            Row::parse(b"2024-01-01T00:00:00.000Z,\"C\"x,S,7,a:1,b:2,*,,").unwrap_err(),
            RowError::TextAfterQuote
        );
    }

    #[test]
    fn timestamp_words_equal_bytes() {
        let good = b"2023-01-11T16:00:01.010Z";
        assert!(is_timestamp(good));
        // Every byte of the checked prefix, replaced by every value.
        for i in 0..19 {
            for v in 0..=255u8 {
                let mut t = *good;
                t[i] = v;
                assert_eq!(is_timestamp(&t), is_timestamp_bytes(&t), "byte {i} = {v}");
            }
        }
        for len in 0..45 {
            let t: Vec<u8> = good.iter().copied().cycle().take(len).collect();
            assert_eq!(is_timestamp(&t), is_timestamp_bytes(&t), "length {len}");
        }
    }

    /// A run of stamps, most sharing a date, some with a bad time, a bad
    /// date, a bad length, or a date that differs in one byte from the one
    /// kept: the checker says what `is_timestamp` says of each.
    #[test]
    fn timestamp_check_is_is_timestamp() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let good = *b"2023-01-11T16:00:01.010Z";
        let mut check = TimestampCheck::default();
        let (mut passed, mut failed) = (0, 0);
        for _ in 0..200_000 {
            let mut t = good.to_vec();
            match next(4) {
                0 => {}
                1 => t[next(19) as usize] = next(256) as u8,
                2 => t[11 + next(8) as usize] = b"0123456789:x/ T-"[next(16) as usize],
                _ => t.truncate(next(25) as usize),
            }
            if next(8) == 0 {
                t.extend(std::iter::repeat_n(b'7', next(24) as usize));
            }
            let want = is_timestamp(&t);
            assert_eq!(check.check(&t), want, "{:?}", String::from_utf8_lossy(&t));
            if want { passed += 1 } else { failed += 1 }
        }
        assert!(passed > 50_000 && failed > 30_000, "{passed} {failed}");
    }

    #[test]
    fn timestamp_shape() {
        assert!(is_timestamp(b"2023-01-11T16:00:01.010Z"));
        assert!(!is_timestamp(b"Date/Time.ConnectorId"));
        assert!(!is_timestamp(b"2023-01-11"));
        assert_eq!(
            Row::parse(b"Date/Time.ConnectorId,a,b,c,d,e,f,g,h").unwrap_err(),
            RowError::BadTimestamp
        );
    }

    #[test]
    fn empty_and_quote_only_quoted_fields() {
        let f = fields("2024-01-01T00:00:00.000Z,\"\",S,1,a:1,b:2,*,\"\"\"\"\"\",\"x,\"\"\"");
        assert_eq!(f[1], "");
        assert_eq!(f[7], "\"\"");
        assert_eq!(f[8], "x,\"");
        // A quote inside an unquoted field is text.
        let f = fields("2024-01-01T00:00:00.000Z,a\"b,S,1,a:1,b:2,*,,");
        assert_eq!(f[1], "a\"b");
        // Long fields cross the 8-byte words at every offset.
        for pad in 0..17 {
            let data = "x".repeat(pad);
            let line = format!("2024-01-01T00:00:00.000Z,C,S,1,a:1,b:2,<,\"{data},{data}\",{data}");
            let f = fields(&line);
            assert_eq!(f[7], format!("{data},{data}"));
            assert_eq!(f[8], data);
        }
    }

    #[test]
    fn invalid_utf8_in_data_is_kept_as_bytes() {
        let line = b"2024-01-01T00:00:00.000Z,C,S,2,a:1,b:2,<,EHLO \xff\xfe,";
        let row = Row::parse(line).unwrap();
        assert_eq!(row.get(7), b"EHLO \xff\xfe");
    }
}
