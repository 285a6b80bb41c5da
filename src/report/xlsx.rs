//! The Excel workbook: a `Summary` sheet (statistics, totals by version,
//! readiness verdicts, a native chart), then one sheet per report with a
//! bold frozen header, an autofilter and fitted columns. Counts are
//! numbers, time stamps Excel dates, and text that Excel could read as a
//! formula is neutralised as in CSV.

use super::{Cell, Kind, Reports, Table, neutralize};
use crate::parse::tls::Version;
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

/// Excel's row limit, header included.
const MAX_ROWS: usize = 1_048_576;

/// Columns holding `yyyy-MM-ddTHH:mm:ss.fffZ` times, and UTC dates.
const TIME_COLUMNS: [&str; 13] = [
    "first_seen",
    "last_seen",
    "start",
    "end",
    "last_legacy",
    "first_legacy",
    "coverage_from",
    "coverage_to",
    "window_from",
    "window_to",
    "first_record",
    "last_record",
    "date_end",
];
const DATE_COLUMNS: [&str; 1] = ["date"];

/// Builds the workbook; `warnings` are listed on the Summary sheet. Returns
/// the file's bytes and any notes (a sheet cut at Excel's row limit).
pub fn write(reports: &Reports, warnings: &[String]) -> Result<(Vec<u8>, Vec<String>), XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut notes = Vec::new();
    summary(book.add_worksheet(), reports, warnings, &bold)?;
    for table in &reports.tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.kind.name())?;
        if let Some(note) = report_sheet(sheet, table, &bold)? {
            notes.push(note);
        }
    }
    Ok((book.save_to_buffer()?, notes))
}

fn report_sheet(
    sheet: &mut Worksheet,
    table: &Table,
    bold: &Format,
) -> Result<Option<String>, XlsxError> {
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss.000");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, name) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, bold)?;
    }
    let rows = table.rows.len().min(MAX_ROWS - 1);
    for (r, row) in table.rows.iter().take(rows).enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let column = table.columns[c as usize];
            match cell {
                Cell::Count(n) | Cell::Bits(Some(n)) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Cell::Bits(None) => {}
                Cell::Hundredths(n) => {
                    sheet.write_number(r, c, *n as f64 / 100.0)?;
                }
                Cell::Flag(b) => {
                    sheet.write_boolean(r, c, *b)?;
                }
                Cell::Text(_) | Cell::Bytes(_) => {
                    let text = cell.as_text().expect("text cell");
                    let serial = if TIME_COLUMNS.contains(&column) {
                        excel_time(&text).map(|v| (v, &time))
                    } else if DATE_COLUMNS.contains(&column) {
                        excel_time(&text).map(|v| (v, &date))
                    } else {
                        None
                    };
                    match serial {
                        Some((v, format)) => sheet.write_number_with_format(r, c, v, format)?,
                        None if text.is_empty() => sheet,
                        None => sheet.write_string(r, c, neutralize(&text))?,
                    };
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_col = table.columns.len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, rows as u32, last_col)?;
    sheet.autofit();
    Ok((rows < table.rows.len()).then(|| {
        format!(
            "sheet {}: only the first {rows} of {} rows fit in Excel; use CSV for all of them",
            table.kind.name(),
            table.rows.len()
        )
    }))
}

/// `yyyy-MM-ddTHH:mm:ss[.fff]Z` or `yyyy-MM-dd` as an Excel serial date
/// (days since 1899-12-30, the fraction being the time of day).
fn excel_time(text: &str) -> Option<f64> {
    use chrono::{NaiveDate, NaiveDateTime};
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })?;
    let ms = (t - epoch).num_milliseconds();
    Some(ms as f64 / 86_400_000.0)
}

fn summary(
    sheet: &mut Worksheet,
    reports: &Reports,
    warnings: &[String],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let s = &reports.summary;
    sheet.write_string_with_format(0, 0, "exlog report", bold)?;
    let with_sessions = reports.table(Kind::Readiness).is_some();
    let mut stats: Vec<(&str, u64)> = vec![
        ("files read", s.files),
        ("files skipped", s.files_skipped),
        ("bytes", s.bytes),
        ("lines", s.lines),
        ("unterminated last lines (not read)", s.unterminated_lines),
        ("TLS rows", s.tls_rows),
        ("negotiations", s.negotiations),
        ("failed negotiations", s.failures),
        ("malformed rows", s.malformed_rows),
    ];
    if with_sessions {
        stats.extend([
            ("sessions", s.sessions.iter().sum()),
            ("sessions with TLS", s.sessions[0]),
            ("sessions with failed TLS", s.sessions[1]),
            ("plaintext sessions (mail or AUTH in clear)", s.sessions[2]),
            ("idle sessions (no TLS, no mail)", s.sessions[3]),
            ("sessions of unknown class", s.sessions[4]),
            ("incomplete sessions", s.sessions_incomplete),
        ]);
    }
    let mut row = 2u32;
    for (label, n) in stats {
        sheet.write_string(row, 0, label)?;
        sheet.write_number(row, 1, n as f64)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "negotiations by version", bold)?;
    row += 1;
    for v in Version::ALL {
        sheet.write_string(row, 0, v.label())?;
        sheet.write_number(row, 1, s.by_version[v.index()] as f64)?;
        row += 1;
    }
    sheet.write_string(row, 0, "failed")?;
    sheet.write_number(row, 1, s.failures as f64)?;
    row += 2;
    if !s.servers.is_empty() && with_sessions {
        sheet.write_string_with_format(row, 0, "servers: first and last record", bold)?;
        row += 1;
        let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss.000");
        for i in &s.servers {
            sheet.write_string(row, 0, neutralize(&i.name))?;
            for (c, ms) in [(1, i.coverage.first), (2, i.coverage.last)] {
                let serial = ms
                    .map(crate::parse::stamp::format_millis)
                    .and_then(|t| excel_time(&t));
                if let Some(v) = serial {
                    sheet.write_number_with_format(row, c, v, &time)?;
                }
            }
            sheet.write_number(row, 3, i.files as f64)?;
            row += 1;
        }
        row += 1;
    }
    if let Some(t) = reports.table(Kind::Readiness) {
        sheet.write_string_with_format(row, 0, "readiness", bold)?;
        row += 1;
        let text = |r: &[Cell], name: &str| {
            t.columns
                .iter()
                .position(|c| *c == name)
                .and_then(|i| r[i].as_text())
                .map(|t| neutralize(&t).into_owned())
                .unwrap_or_default()
        };
        for r in &t.rows {
            sheet.write_string(row, 0, text(r, "server"))?;
            sheet.write_string(row, 1, text(r, "connector"))?;
            sheet.write_string(row, 2, text(r, "status"))?;
            sheet.write_string(row, 3, text(r, "verdict"))?;
            row += 1;
        }
        row += 1;
    }
    if !warnings.is_empty() {
        sheet.write_string_with_format(row, 0, "warnings", bold)?;
        for w in warnings {
            row += 1;
            sheet.write_string(row, 0, neutralize(w))?;
        }
    }
    sheet.autofit();
    // A stacked column per connector, one series per TLS version, drawn
    // from the connector sheet (its rows 2.., version columns C..I).
    if let Some(t) = reports.table(Kind::Connector)
        && !t.rows.is_empty()
    {
        let last = t.rows.len().min(MAX_ROWS - 1) as u32;
        let mut chart = Chart::new(ChartType::ColumnStacked);
        chart
            .title()
            .set_name("Sessions by TLS version per connector");
        for (i, v) in Version::ALL.iter().enumerate() {
            let col = 2 + i as u16;
            chart
                .add_series()
                .set_name(v.label())
                .set_categories(("connector", 1, 1, last, 1))
                .set_values(("connector", 1, col, last, col));
        }
        chart.set_width(900).set_height(420);
        sheet.insert_chart(1, 4, &chart)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials() {
        assert_eq!(excel_time("1900-01-01"), Some(2.0));
        assert_eq!(excel_time("2024-03-08"), Some(45359.0));
        let t = excel_time("2024-03-08T12:00:00.000Z").unwrap();
        assert!((t - 45359.5).abs() < 1e-9);
        assert_eq!(excel_time("not a time"), None);
    }
}
