//! The 9-field row splitter.
//!
//! Exchange writes RFC 4180 rows: a field is quoted only when it holds `,`
//! or `"`, and an inner `"` is doubled. Rows never span lines (the logger
//! splits data at CRLF), so a row is one line. Everything here works on
//! bytes: the `data` field carries raw wire bytes that need not be UTF-8.

use std::borrow::Cow;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowError {
    /// Fewer or more than nine fields.
    FieldCount(usize),
    /// A quoted field whose closing quote is missing (often a line cut short).
    UnterminatedQuote,
    /// A closing quote followed by something other than `,` or the line end.
    TextAfterQuote,
    /// The first field is not a `yyyy-MM-ddTHH:mm:ss` time stamp.
    BadTimestamp,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::FieldCount(n) => write!(f, "{n} fields instead of 9"),
            RowError::UnterminatedQuote => f.write_str("quoted field without closing quote"),
            RowError::TextAfterQuote => f.write_str("text after a closing quote"),
            RowError::BadTimestamp => f.write_str("date-time is not an ISO time stamp"),
        }
    }
}

/// One row split into its nine fields. Fields borrow from the line unless
/// they held doubled quotes, which are undone into an owned copy.
#[derive(Debug, Default)]
pub struct Row<'a> {
    fields: [Cow<'a, [u8]>; FIELD_COUNT],
}

impl<'a> Row<'a> {
    /// The field at `index` (0..9), unquoted.
    pub fn get(&self, index: usize) -> &[u8] {
        &self.fields[index]
    }

    /// Splits one line (without its line ending; a trailing CR is ignored)
    /// into exactly nine fields and checks the time stamp's shape.
    pub fn parse(line: &'a [u8]) -> Result<Row<'a>, RowError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut row = Row::default();
        let mut count = 0;
        let mut pos = 0;
        loop {
            let (field, next) = split_field(line, pos)?;
            if count < FIELD_COUNT {
                row.fields[count] = field;
            }
            count += 1;
            match next {
                Some(n) => pos = n,
                None => break,
            }
        }
        if count != FIELD_COUNT {
            return Err(RowError::FieldCount(count));
        }
        if !is_timestamp(row.get(DATE_TIME)) {
            return Err(RowError::BadTimestamp);
        }
        Ok(row)
    }
}

/// Reads the field starting at `pos`; returns it and the start of the next
/// field (`None` at the end of the line).
fn split_field(line: &[u8], pos: usize) -> Result<(Cow<'_, [u8]>, Option<usize>), RowError> {
    let rest = &line[pos..];
    if rest.first() != Some(&b'"') {
        return Ok(match memchr::memchr(b',', rest) {
            Some(i) => (Cow::Borrowed(&rest[..i]), Some(pos + i + 1)),
            None => (Cow::Borrowed(rest), None),
        });
    }
    // Quoted: find the closing quote, skipping doubled ones.
    let body = &rest[1..];
    let mut i = 0;
    let mut doubled = false;
    loop {
        let q = match memchr::memchr(b'"', &body[i..]) {
            Some(q) => i + q,
            None => return Err(RowError::UnterminatedQuote),
        };
        if body.get(q + 1) == Some(&b'"') {
            doubled = true;
            i = q + 2;
            continue;
        }
        let inner = &body[..q];
        let field = if doubled {
            Cow::Owned(undouble(inner))
        } else {
            Cow::Borrowed(inner)
        };
        let after = pos + 1 + q + 1;
        return match line.get(after) {
            None => Ok((field, None)),
            Some(b',') => Ok((field, Some(after + 1))),
            Some(_) => Err(RowError::TextAfterQuote),
        };
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
/// from garbage or a placeholder such as `Date/Time`.
pub fn is_timestamp(s: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"0000-00-00T00:00:00";
    s.len() >= SHAPE.len()
        && s.len() <= 40
        && SHAPE.iter().zip(s).all(|(&p, &c)| {
            if p == b'0' {
                c.is_ascii_digit()
            } else {
                p == c
            }
        })
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
    fn invalid_utf8_in_data_is_kept_as_bytes() {
        let line = b"2024-01-01T00:00:00.000Z,C,S,2,a:1,b:2,<,EHLO \xff\xfe,";
        let row = Row::parse(line).unwrap();
        assert_eq!(row.get(7), b"EHLO \xff\xfe");
    }
}
