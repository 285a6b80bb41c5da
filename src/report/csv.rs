//! CSV: a header row with the contract's column names, then one record per
//! row. Quoting is the csv crate's (only where a field needs it).

use super::{Cell, Table};
use std::borrow::Cow;
use std::io::{self, Write};

/// The CSV writer: one report, with the UTF-8 byte-order mark first when
/// `bom`; on a terminal, log text is shown escaped so that it cannot
/// drive the terminal.
pub struct Csv {
    pub kind: super::Kind,
    pub bom: bool,
    pub terminal: bool,
}

impl super::Writer for Csv {
    fn write(&self, doc: &super::Document, out: &mut dyn Write) -> io::Result<Vec<String>> {
        if !self.terminal {
            self.write_plain(doc, out)?;
            return Ok(Vec::new());
        }
        let mut buf = Vec::new();
        self.write_plain(doc, &mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        for line in text.split_inclusive('\n') {
            let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            out.write_all(super::table::sanitize(body).as_bytes())?;
            out.write_all(nl.as_bytes())?;
        }
        Ok(Vec::new())
    }
}

impl Csv {
    /// The report's bytes; the session list's rows are the lines the
    /// workers rendered.
    fn write_plain(&self, doc: &super::Document, out: &mut dyn Write) -> io::Result<()> {
        if self.bom {
            out.write_all(crate::output::BOM)?;
        }
        write_to(&doc.reports.table_or_empty(self.kind), &mut *out)?;
        let list = super::of(self.kind).is_some_and(|r| r.needs() == super::Needs::SessionList);
        match doc.session_lines {
            Some(lines) if list => lines.write_to(&mut *out),
            _ => Ok(()),
        }
    }
}

/// Writes `table` as CSV bytes.
pub fn write(table: &Table) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    write_to(table, &mut out).expect("in-memory write");
    out
}

/// Writes `table`'s header and rows to `out` as they come.
pub fn write_to<W: std::io::Write>(table: &Table, out: W) -> std::io::Result<()> {
    let header: Vec<Cell> = table
        .columns
        .iter()
        .map(|c| Cell::Text((*c).into()))
        .collect();
    rows(
        std::iter::once(&header[..]).chain(table.rows.iter().map(Vec::as_slice)),
        out,
    )
}

/// Writes rows without a header (a block of a longer report).
pub fn rows<'c, W: std::io::Write>(
    rows: impl Iterator<Item = &'c [Cell]>,
    out: W,
) -> std::io::Result<()> {
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    // Each field written as it comes, numbers through one buffer: the
    // session report has millions of cells.
    let mut number = Vec::with_capacity(24);
    for row in rows {
        for c in row {
            match c {
                Cell::Count(n) | Cell::Bits(Some(n)) => {
                    use std::io::Write as _;
                    number.clear();
                    write!(number, "{n}")?;
                    w.write_field(&number).map_err(io_error)?;
                }
                other => w.write_field(cell(other).as_bytes()).map_err(io_error)?,
            }
        }
        w.write_record(None::<&[u8]>).map_err(io_error)?;
    }
    w.flush()?;
    Ok(())
}

/// The I/O error inside a csv error, so a closed pipe stays recognisable.
fn io_error(e: ::csv::Error) -> std::io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

fn cell(c: &Cell) -> Cow<'_, str> {
    match c {
        Cell::Text(s) => super::neutralize(s),
        Cell::Bytes(b) => Cow::Owned(super::neutralize(&String::from_utf8_lossy(b)).into_owned()),
        Cell::Count(n) | Cell::Bits(Some(n)) => Cow::Owned(n.to_string()),
        Cell::Bits(None) => Cow::Borrowed(""),
        Cell::Hundredths(n) => Cow::Owned(super::hundredths(*n)),
        Cell::Flag(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let t = Table {
            kind: crate::report::failure::KIND,
            columns: vec!["direction", "connector", "sessions"],
            rows: vec![vec![
                Cell::Text("send".into()),
                Cell::Text("Relay, \"old\"".into()),
                Cell::Count(3),
            ]],
        };
        assert_eq!(
            String::from_utf8(write(&t)).unwrap(),
            "direction,connector,sessions\nsend,\"Relay, \"\"old\"\"\",3\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        let t = Table {
            kind: crate::report::remote::KIND,
            columns: vec!["ehlo", "n", "x"],
            rows: vec![
                vec![
                    Cell::Text("=HYPERLINK(\"http://x\",\"y\")".into()),
                    Cell::Count(3),
                    Cell::Text("@SUM(1)".into()),
                ],
                vec![
                    Cell::Text("-2+3".into()),
                    Cell::Count(0),
                    Cell::Bytes(b"+\xff".to_vec().into()),
                ],
                vec![
                    Cell::Text("\tx".into()),
                    Cell::Count(1),
                    Cell::Text("ok=1".into()),
                ],
            ],
        };
        assert_eq!(
            String::from_utf8(write(&t)).unwrap(),
            "ehlo,n,x\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",3,'@SUM(1)\n'-2+3,0,'+\u{fffd}\n'\tx,1,ok=1\n"
        );
    }

    /// The writer as `--by failure --format csv` uses it, on `table`.
    fn written(table: Table, bom: bool, terminal: bool) -> Vec<u8> {
        use crate::report::{Document, Reports, Writer};
        let reports = Reports {
            tables: vec![table],
            summary: Default::default(),
        };
        let doc = Document {
            reports: &reports,
            messages: &[],
            session_lines: None,
            tlsrpt: &Default::default(),
        };
        let csv = Csv {
            kind: crate::report::failure::KIND,
            bom,
            terminal,
        };
        let mut out = Vec::new();
        let notes = csv.write(&doc, &mut out).unwrap();
        assert!(notes.is_empty());
        out
    }

    #[test]
    fn csv_writer_puts_the_bom_first_and_escapes_log_text_on_a_terminal() {
        let t = Table {
            kind: crate::report::failure::KIND,
            columns: vec!["error", "sessions"],
            rows: vec![vec![Cell::Text("bad\x1b[2Jcert".into()), Cell::Count(2)]],
        };
        // By hand: the header, then the row; ESC is 0x1b.
        assert_eq!(
            written(t.clone(), false, false),
            b"error,sessions\nbad\x1b[2Jcert,2\n"
        );
        assert_eq!(
            written(t.clone(), true, false),
            b"\xEF\xBB\xBFerror,sessions\nbad\x1b[2Jcert,2\n"
        );
        assert_eq!(
            String::from_utf8(written(t, false, true)).unwrap(),
            "error,sessions\nbad\\x1b[2Jcert,2\n"
        );
    }

    #[test]
    fn csv_writer_of_a_report_not_built_writes_its_empty_header() {
        // The tlsrpt report without TLS-RPT files: its 14 columns alone.
        let reports = crate::report::Reports {
            tables: Vec::new(),
            summary: Default::default(),
        };
        let t = reports.table_or_empty(crate::report::tlsrpt::KIND);
        assert_eq!(t.columns, crate::tlsrpt::report::COLUMNS);
        assert!(t.rows.is_empty());
    }
}
