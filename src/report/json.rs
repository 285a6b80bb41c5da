//! JSON: every report plus scan statistics and warnings in one document.
//! Rows are objects keyed by the CSV column names.
//!
//! Written as a stream, row by row, in serde_json's pretty layout (two
//! spaces, `"key": value`): a document tree of a big report would cost
//! more memory than the scan itself.

use super::{Cell, Reports};
use crate::diagnostic::Diagnostic;
use std::io::{self, Write};

/// The JSON writer: every report, the scan's statistics and the messages.
pub(crate) struct Json;

impl super::Writer for Json {
    fn write(&self, doc: &super::Document, out: &mut dyn Write) -> io::Result<Vec<String>> {
        write(doc.reports, doc.messages, out)?;
        Ok(Vec::new())
    }
}

/// Writes the document; `warnings` are the errors and warnings also sent
/// to stderr, each an object (see docs/reports.md).
pub(crate) fn write<W: Write>(
    reports: &Reports,
    warnings: &[Diagnostic],
    out: W,
) -> io::Result<()> {
    let mut j = Pretty::new(out);
    j.open(b'{')?;
    j.key("stats")?;
    stats(&mut j, reports)?;
    for table in &reports.tables {
        j.key(table.kind.name())?;
        rows(&mut j, table)?;
    }
    j.key("warnings")?;
    j.open(b'[')?;
    for w in warnings {
        j.item()?;
        diagnostic(&mut j, w)?;
    }
    j.close(b']')?;
    j.close(b'}')?;
    j.finish()
}

/// The scan's statistics: counts, the servers read, the time taken.
fn stats<W: Write>(j: &mut Pretty<W>, reports: &Reports) -> io::Result<()> {
    let s = &reports.summary;
    j.open(b'{')?;
    let mut counts = vec![
        ("files", s.files),
        ("files_skipped", s.files_skipped),
        ("bytes", s.bytes),
        ("lines", s.lines),
        ("unterminated_lines", s.unterminated_lines),
        ("tls_rows", s.tls_rows),
        ("negotiations", s.negotiations),
        ("failures", s.failures),
        ("malformed_rows", s.malformed_rows),
    ];
    // Session counts only when sessions were read (not with --tls-only).
    if reports.table(super::readiness::KIND).is_some() {
        counts.extend([
            ("sessions", s.sessions.iter().sum::<u64>()),
            ("sessions_tls", s.sessions[0]),
            ("sessions_failed", s.sessions[1]),
            ("sessions_plaintext", s.sessions[2]),
            ("sessions_idle", s.sessions[3]),
            ("sessions_unknown", s.sessions[4]),
            ("sessions_incomplete", s.sessions_incomplete),
        ]);
    }
    for (k, n) in counts {
        j.key(k)?;
        j.number(n)?;
    }
    // The time each server's logs cover (session mode).
    if !s.servers.is_empty() {
        j.key("servers")?;
        servers(j, &s.servers)?;
    }
    j.key("elapsed_seconds")?;
    j.float(round(s.elapsed_seconds, 6))?;
    j.key("gb_per_s")?;
    j.float(round(s.gb_per_s(), 3))?;
    j.close(b'}')
}

/// Per server: its name, files, bytes, first and last record.
fn servers<W: Write>(j: &mut Pretty<W>, servers: &[super::ServerInfo]) -> io::Result<()> {
    j.open(b'[')?;
    for i in servers {
        let time = |ms: Option<i64>| ms.map(crate::parse::stamp::format_millis);
        j.item()?;
        j.open(b'{')?;
        j.key("server")?;
        j.string(&i.name)?;
        j.key("files")?;
        j.number(i.files)?;
        j.key("bytes")?;
        j.number(i.bytes)?;
        for (k, v) in [
            ("first_record", time(i.coverage.first)),
            ("last_record", time(i.coverage.last)),
        ] {
            j.key(k)?;
            match v {
                Some(t) => j.string(&t)?,
                None => j.raw(b"null")?,
            }
        }
        j.close(b'}')?;
    }
    j.close(b']')
}

/// A report as an array of objects keyed by its columns.
fn rows<W: Write>(j: &mut Pretty<W>, table: &super::Table) -> io::Result<()> {
    j.open(b'[')?;
    for row in &table.rows {
        j.item()?;
        j.open(b'{')?;
        for (col, c) in table.columns.iter().zip(row) {
            j.key(col)?;
            cell(j, c)?;
            // Invalid UTF-8 stays exact: the bytes in hex beside it.
            if let Cell::Bytes(b) = c {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                j.key(&format!("{col}_hex"))?;
                j.string(&hex)?;
            }
        }
        j.close(b'}')?;
        j.spill()?;
    }
    j.close(b']')
}

/// `{"severity": …, "kind": …, "file": …, "offset": …, "line": …,
/// "message": …}`, unknown members `null`.
fn diagnostic<W: Write>(j: &mut Pretty<W>, d: &Diagnostic) -> io::Result<()> {
    j.open(b'{')?;
    j.key("severity")?;
    j.string(d.severity.name())?;
    j.key("kind")?;
    j.string(d.kind.name())?;
    j.key("file")?;
    match &d.file {
        Some(f) => j.string(f)?,
        None => j.raw(b"null")?,
    }
    for (key, n) in [("offset", d.offset), ("line", d.line)] {
        j.key(key)?;
        match n {
            Some(n) => j.number(n)?,
            None => j.raw(b"null")?,
        }
    }
    j.key("message")?;
    j.string(&d.message)?;
    j.close(b'}')
}

/// The document as bytes (tests, and callers that need it whole).
pub(crate) fn to_vec(reports: &Reports, warnings: &[Diagnostic]) -> Vec<u8> {
    let mut out = Vec::new();
    write(reports, warnings, &mut out).expect("in-memory write");
    out
}

fn cell<W: Write>(j: &mut Pretty<W>, c: &Cell) -> io::Result<()> {
    match c {
        Cell::Text(s) => j.string(s),
        Cell::Bytes(b) => j.string(&String::from_utf8_lossy(b)),
        Cell::Count(n) | Cell::Bits(Some(n)) => j.number(*n),
        Cell::Bits(None) => j.raw(b"null"),
        Cell::Hundredths(n) => j.raw(super::hundredths(*n).as_bytes()),
        Cell::Flag(b) => j.raw(if *b { b"true" } else { b"false" }),
    }
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// A pretty-printing JSON writer: containers are opened and closed
/// explicitly, and each member or element starts with `key` or `item`.
/// Output gathers in a buffer that is handed on in large pieces.
struct Pretty<W: Write> {
    sink: W,
    out: Vec<u8>,
    /// Per open container: whether it has a member yet.
    stack: Vec<bool>,
}

impl<W: Write> Pretty<W> {
    fn new(sink: W) -> Pretty<W> {
        Pretty {
            sink,
            out: Vec::with_capacity(1 << 16),
            stack: Vec::new(),
        }
    }

    /// Hands the buffer on once it is big.
    fn spill(&mut self) -> io::Result<()> {
        if self.out.len() >= 1 << 16 {
            self.sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.push(b'\n');
        self.sink.write_all(&self.out)
    }

    fn open(&mut self, bracket: u8) -> io::Result<()> {
        self.stack.push(false);
        self.out.push(bracket);
        Ok(())
    }

    fn close(&mut self, bracket: u8) -> io::Result<()> {
        let had_members = self.stack.pop().expect("an open container");
        if had_members {
            self.newline()?;
        }
        self.out.push(bracket);
        Ok(())
    }

    /// Starts a member or element: separator, new line, indentation.
    fn item(&mut self) -> io::Result<()> {
        let first = !std::mem::replace(self.stack.last_mut().expect("open"), true);
        if !first {
            self.out.push(b',');
        }
        self.newline()
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.item()?;
        self.string(key)?;
        self.out.extend_from_slice(b": ");
        Ok(())
    }

    fn newline(&mut self) -> io::Result<()> {
        self.out.push(b'\n');
        for _ in 0..self.stack.len() {
            self.out.extend_from_slice(b"  ");
        }
        Ok(())
    }

    /// A string, escaped as serde_json escapes it. Most (IPs, versions,
    /// names) need no escape: those are copied as they are, after one
    /// branch-free pass over their bytes, eight at a time.
    fn string(&mut self, s: &str) -> io::Result<()> {
        if needs_escape(s.as_bytes()) {
            return serde_json::to_writer(&mut self.out, s).map_err(io::Error::other);
        }
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        Ok(())
    }

    fn float(&mut self, x: f64) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &x).map_err(io::Error::other)
    }

    /// A count, its decimal digits written into the buffer (no string per
    /// number, and no trip through `core::fmt`, which cost three times
    /// the digits: the remote report alone has half a million counts per
    /// GB of logs).
    fn number(&mut self, n: u64) -> io::Result<()> {
        let mut digits = [0u8; 20]; // u64::MAX has 20
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[at..]);
        Ok(())
    }

    fn raw(&mut self, text: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(text);
        Ok(())
    }
}

/// Whether `bytes` holds what JSON escapes: a control byte (below
/// 0x20), `"` or `\\`. Eight bytes a word, the last word overlapping
/// the one before it, and a string under eight bytes read as one word
/// padded with `A` (most strings here are short: the byte loop's branches
/// on their tails cost more than the words): a word has a byte below `n`
/// (`n` at most 0x80) when `(w - n·0x01…01) & !w & 0x80…80` is not zero
/// (exact for whether there is one, not for which), and a byte `c` when
/// `w ^ c·0x01…01` has a byte below 1.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u64| w.wrapping_sub(n * ONES) & !w & HIGH;
    let word = |w: u64| {
        below(w, 0x20)
            | below(w ^ (u64::from(b'"') * ONES), 1)
            | below(w ^ (u64::from(b'\\') * ONES), 1)
    };
    let at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let n = bytes.len();
    if n < 8 {
        let mut padded = [b'A'; 8];
        padded[..n].copy_from_slice(bytes);
        return word(u64::from_le_bytes(padded)) != 0;
    }
    let mut words = bytes.chunks_exact(8);
    let found = words.by_ref().fold(0, |any, w| {
        any | word(u64::from_le_bytes(w.try_into().expect("8 bytes")))
    });
    found | word(at(n - 8)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Summary, Table};

    /// Strings with and without what JSON escapes (quotes, backslashes,
    /// control bytes, and DEL and non-ASCII, which it leaves) are written
    /// as serde_json writes them.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let texts = [
            "",
            "10.0.0.1",
            "TLS1.2",
            "a\"b",
            "back\\slash",
            "\u{1}",
            "tab\t",
            "\u{1f}x",
            " ",
            "\u{7f}",
            "é ü",
            "EX01\\Default Frontend EX01",
            "\"",
            "x\n",
        ];
        for text in texts {
            let mut j = Pretty::new(Vec::new());
            j.string(text).unwrap();
            assert_eq!(j.out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    /// The word-wise check finds each byte JSON escapes at every place
    /// of a string (in a word or in the tail), and none of its neighbours
    /// (0x20, `!`, `#`, `[`, `]`, DEL, and bytes of `é`).
    #[test]
    fn needs_escape_finds_each_escaped_byte_anywhere() {
        assert!(!needs_escape(b""));
        for len in 1..=20 {
            for at in 0..len {
                for (c, escaped) in [
                    ('\0', true),
                    ('\u{1f}', true),
                    ('\n', true),
                    ('"', true),
                    ('\\', true),
                    (' ', false),
                    ('!', false),
                    ('#', false),
                    ('[', false),
                    (']', false),
                    ('\u{7f}', false),
                ] {
                    let mut text: Vec<char> = "a.b-c_d:e/f;g h".chars().cycle().take(len).collect();
                    text[at] = c;
                    let text: String = text.into_iter().collect();
                    assert_eq!(needs_escape(text.as_bytes()), escaped, "{text:?}");
                    let mut j = Pretty::new(Vec::new());
                    j.string(&text).unwrap();
                    assert_eq!(j.out, serde_json::to_vec(&text).unwrap(), "{text:?}");
                }
            }
            let plain: String = "é".repeat(len);
            assert!(!needs_escape(plain.as_bytes()), "{plain:?}");
        }
    }

    /// Counts are written as `format!` writes them: one digit, each
    /// power of ten and the number before it, and the largest.
    #[test]
    fn numbers_are_written_as_format_writes_them() {
        let mut numbers = vec![0, 1, 9, 42, 1_234_567, u64::MAX - 1, u64::MAX];
        numbers.extend((1..20).flat_map(|k| [10u64.pow(k) - 1, 10u64.pow(k)]));
        for n in numbers {
            let mut j = Pretty::new(Vec::new());
            j.number(n).unwrap();
            assert_eq!(String::from_utf8(j.out).unwrap(), n.to_string());
        }
    }

    /// The stream must be the document serde_json would print for the same
    /// values: compare with its pretty printer on a small document.
    #[test]
    fn same_bytes_as_serde_json_pretty() {
        let reports = Reports {
            tables: vec![
                Table {
                    kind: crate::report::failure::KIND,
                    columns: vec!["a", "b", "c", "d", "e"],
                    rows: vec![
                        vec![
                            Cell::Text("x \"y\" \u{1}\n".into()),
                            Cell::Bytes(b"caf\xe9".to_vec().into()),
                            Cell::Count(7),
                            Cell::Bits(None),
                            Cell::Flag(true),
                        ],
                        vec![
                            Cell::Text("".into()),
                            Cell::Text("ü".into()),
                            Cell::Count(0),
                            Cell::Bits(Some(128)),
                            Cell::Flag(false),
                        ],
                    ],
                },
                Table {
                    kind: crate::report::cipher::KIND,
                    columns: vec!["a"],
                    rows: vec![],
                },
            ],
            summary: Summary {
                files: 2,
                elapsed_seconds: 0.25,
                bytes: 1000,
                ..Summary::default()
            },
        };
        let w1 = Diagnostic::warning(crate::diagnostic::Kind::ClockSkew, "a.LOG: w1")
            .in_file("a.LOG")
            .at(None, Some(12));
        let got = to_vec(&reports, &[w1]);
        let expected = serde_json::json!({
            "stats": {
                "files": 2, "files_skipped": 0, "bytes": 1000, "lines": 0,
                "unterminated_lines": 0, "tls_rows": 0, "negotiations": 0,
                "failures": 0, "malformed_rows": 0,
                "elapsed_seconds": 0.25, "gb_per_s": 0.0,
            },
            "failure": [
                {"a": "x \"y\" \u{1}\n", "b": "caf\u{fffd}", "b_hex": "636166e9", "c": 7, "d": null, "e": true},
                {"a": "", "b": "ü", "c": 0, "d": 128, "e": false},
            ],
            "cipher": [],
            "warnings": [{
                "severity": "warning", "kind": "clock_skew", "file": "a.LOG",
                "offset": 12, "line": null, "message": "a.LOG: w1",
            }],
        });
        let mut want = serde_json::to_vec_pretty(&expected).unwrap();
        want.push(b'\n');
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }
}
