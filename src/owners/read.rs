//! An owners file's bytes to rows: the connector inventory's encodings,
//! `#TYPE` line and line numbers, and the separator Excel's locale chose.

use super::Row;
use super::pattern;
use crate::inventory::decode;
use crate::inventory::{Error, Lines, Warning, split_type_line};
use csv::StringRecord;
use std::path::Path;

const SEE_GUIDE: &str = "see docs/guide.md, 'Owners'";

/// Separators tried in this order, the first whose header holds a `match`
/// column wins: Excel writes `;` where the decimal mark is a comma
/// (German, French, …), and its "Unicode Text" is tab-separated.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

/// The rows of a file, and what the user should know of it.
pub(super) struct Read {
    pub rows: Vec<Row>,
    pub warnings: Vec<Warning>,
}

/// Where the three columns are, and how many the header has.
struct Columns {
    count: usize,
    matches: usize,
    owner: usize,
    contact: usize,
}

/// Reads `bytes`, the contents of `path`. Any malformed row is an Error
/// naming the file and the line; then nothing of the file is used.
pub(super) fn read(path: &Path, bytes: &[u8]) -> Result<Read, Error> {
    let error = |line: Option<u64>, message: String| Error {
        file: path.to_path_buf(),
        line,
        message,
    };
    let decoded = decode::decode(bytes);
    if let Some((line, why)) = decoded.bad_utf16 {
        return Err(error(Some(line), why.to_string()));
    }
    let mut warnings = Vec::new();
    if let Some(line) = decoded.not_utf8_line {
        warnings.push(Warning {
            file: path.to_path_buf(),
            line: Some(line),
            message: format!(
                "not UTF-8 (Excel's \"CSV (Comma delimited)\" writes the ANSI code page): \
                 letters outside ASCII are read as U+FFFD; save as \"CSV UTF-8\" ({SEE_GUIDE})"
            ),
        });
    }
    let (type_line, body) = split_type_line(&decoded.text);
    let skipped = u64::from(type_line.is_some());
    let rows = read_rows(body, skipped).map_err(|(line, why)| error(line, why))?;
    if rows.is_empty() {
        warnings.push(Warning {
            file: path.to_path_buf(),
            line: None,
            message: "no row with an owner or a contact: no owner will be filled".into(),
        });
    }
    Ok(Read { rows, warnings })
}

/// A reader of `body` with `separator`, that leaves the header to the
/// caller and counts fields itself (to name the line of a row that is off).
fn csv_reader(body: &str, separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(body.as_bytes())
}

/// A failure: the line (if known) and why.
type Failure = (Option<u64>, String);

/// The rows of `body`, which starts `skipped` lines into the file.
fn read_rows(body: &str, skipped: u64) -> Result<Vec<Row>, Failure> {
    let mut reader = csv_reader(body, separator_of(body));
    let mut lines = Lines::new(body);
    let mut rec = StringRecord::new();
    let not_csv = |e: csv::Error| {
        (
            e.position().map(|p| p.line() + skipped),
            format!("not CSV: {e}"),
        )
    };
    if !reader.read_record(&mut rec).map_err(not_csv)? {
        return Err((
            Some(skipped + 1),
            "no header line (match,owner,contact)".into(),
        ));
    }
    let header_line = lines.of(&rec) + skipped;
    let columns = Columns::new(&rec).map_err(|why| (Some(header_line), why))?;
    let mut rows = Vec::new();
    while reader.read_record(&mut rec).map_err(not_csv)? {
        let line = lines.of(&rec) + skipped;
        // Excel writes a row it holds empty as `,,`.
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != columns.count {
            let why = format!(
                "{} fields, where the header (line {header_line}) has {}",
                rec.len(),
                columns.count
            );
            return Err((Some(line), why));
        }
        let row = columns.row(&rec, line).map_err(|why| (Some(line), why))?;
        // A remote listed but not yet given an owner or contact says
        // nothing: it must not take the remote from a later row.
        if !(row.owner.is_empty() && row.contact.is_empty()) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The first of [`SEPARATORS`] that splits the header into fields one of
/// which is `match`; a comma when none does (the header's error says so).
fn separator_of(body: &str) -> u8 {
    let mut header = StringRecord::new();
    for sep in SEPARATORS {
        let read = csv_reader(body, sep).read_record(&mut header);
        if matches!(read, Ok(true)) && position(&header, "match").is_some() {
            return sep;
        }
    }
    b','
}

/// Where the header holds `name` (trimmed, any case).
fn position(header: &StringRecord, name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
}

impl Columns {
    fn new(header: &StringRecord) -> Result<Columns, String> {
        let find = |name: &str| {
            let count = header
                .iter()
                .filter(|h| h.trim().eq_ignore_ascii_case(name))
                .count();
            match (position(header, name), count) {
                (Some(at), 1) => Ok(at),
                (Some(_), _) => Err(format!("the header holds {count} {name} columns")),
                (None, _) => Err(format!(
                    "no {name} column: the header must hold match, owner and contact \
                     (any case, any order), separated by commas, semicolons or tabs \
                     ({SEE_GUIDE})"
                )),
            }
        };
        Ok(Columns {
            count: header.len(),
            matches: find("match")?,
            owner: find("owner")?,
            contact: find("contact")?,
        })
    }

    /// One row. Values lose their surrounding whitespace, nothing else.
    fn row(&self, rec: &StringRecord, line: u64) -> Result<Row, String> {
        let field = |at: usize| rec.get(at).unwrap_or_default().trim();
        let text = field(self.matches);
        if text.is_empty() {
            return Err("empty match".into());
        }
        let pattern = pattern::parse(text).map_err(|why| format!("match: {why}"))?;
        Ok(Row {
            line,
            text: text.to_string(),
            owner: field(self.owner).to_string(),
            contact: field(self.contact).to_string(),
            pattern,
        })
    }
}
