//! The Excel workbook: a `Summary` sheet (a native chart, statistics,
//! totals by version, readiness verdicts), then one sheet per report with a
//! bold frozen header, an autofilter and fitted columns. Counts are
//! numbers, time stamps Excel dates shown as the CSV writes them, and text
//! that Excel could read as a formula is neutralised as in CSV. Versions
//! below TLS 1.2 and `not_ready` rows are marked by conditional formats in
//! the HTML report's colours ([`svg::style`], [`svg::BAD`]).

use super::svg;
use super::{Cell, Reports, Table, neutralize};
use crate::parse::tls::Version;
use rust_xlsxwriter::utility::{cell_autofit_width, column_number_to_name, row_col_to_cell};
use rust_xlsxwriter::{
    Chart, ChartSolidFill, ChartType, ConditionalFormatCell, ConditionalFormatCellRule,
    ConditionalFormatFormula, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};
use unicode_width::UnicodeWidthStr;

/// Excel's row limit, header included.
const MAX_ROWS: usize = 1_048_576;

/// Columns holding `yyyy-MM-ddTHH:mm:ss.fffZ` times, and UTC dates.
const TIME_COLUMNS: [&str; 15] = [
    "first_seen",
    "first_failure",
    "last_failure",
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
const DATE_COLUMNS: [&str; 2] = ["date", "week_start"];

/// Times and dates shown as the CSV writes them (24 and 10 characters).
const TIME_FORMAT: &str = "yyyy-mm-dd\"T\"hh:mm:ss.000\"Z\"";
const DATE_FORMAT: &str = "yyyy-mm-dd";

/// No column wider than this, in characters; longer text is cut (report
/// sheets) or wrapped (Summary).
const MAX_WIDTH: f64 = 60.0;

/// The Summary's chart, in pixels: 880 wide fits a 1280-pixel window from
/// column A; it fills the 20 rows (of 20 pixels) under the title.
const CHART_WIDTH: u32 = 880;
const CHART_HEIGHT: u32 = 400;
const CHART_ROWS: u32 = CHART_HEIGHT / 20;

/// The formats cells and conditional rules share.
struct Formats {
    bold: Format,
    time: Format,
    top_time: Format,
    date: Format,
    /// Wrapped text, at the top of its (taller) row.
    wrap: Format,
    /// Other Summary cells, at the top of a row that wrapped text makes
    /// taller.
    top: Format,
    /// A count or version below TLS 1.2: the HTML report's mark.
    legacy: Format,
    /// A `not_ready` row.
    not_ready: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            time: Format::new().set_num_format(TIME_FORMAT),
            top_time: Format::new()
                .set_num_format(TIME_FORMAT)
                .set_align(FormatAlign::Top),
            date: Format::new().set_num_format(DATE_FORMAT),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            top: Format::new().set_align(FormatAlign::Top),
            legacy: Format::new().set_bold().set_font_color(svg::BAD),
            not_ready: Format::new()
                .set_background_color(svg::BAD_TINT)
                .set_font_color(svg::BAD),
        }
    }
}

/// How wide `text` shows, in Excel's unit (the width of a digit in
/// Calibri 11, 7 pixels): Excel's own glyph widths, and never less than
/// one unit a character (two for East Asian wide ones), so that a stamp of
/// 24 characters gets 24 units.
fn shown_width(text: &str) -> f64 {
    let glyphs = f64::from(cell_autofit_width(text).saturating_sub(7)) / 7.0;
    glyphs.max(text.width() as f64)
}

/// A column's width for its widest value: a unit of padding, at most
/// [`MAX_WIDTH`].
fn column_width(widest: f64) -> f64 {
    (widest + 1.0).min(MAX_WIDTH)
}

/// The Excel writer: the workbook's bytes, with a note for each sheet cut
/// at Excel's row limit.
pub(crate) struct Xlsx;

impl super::Writer for Xlsx {
    fn write(
        &self,
        doc: &super::Document,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<Vec<String>> {
        let (bytes, notes) = write(doc.reports, doc.messages).map_err(std::io::Error::other)?;
        out.write_all(&bytes)?;
        Ok(notes)
    }
}

/// Builds the workbook; `warnings` are listed on the Summary sheet. Returns
/// the file's bytes and any notes (a sheet cut at Excel's row limit).
pub(crate) fn write(
    reports: &Reports,
    warnings: &[crate::diagnostic::Diagnostic],
) -> Result<(Vec<u8>, Vec<String>), XlsxError> {
    let mut book = Workbook::new();
    let formats = Formats::new();
    let mut notes = Vec::new();
    summary(book.add_worksheet(), reports, warnings, &formats)?;
    for table in &reports.tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.kind.name())?;
        if let Some(note) = report_sheet(sheet, table, &formats)? {
            notes.push(note);
        }
    }
    Ok((book.save_to_buffer()?, notes))
}

/// Writes one cell of a report; returns the text it shows.
fn report_cell(
    sheet: &mut Worksheet,
    (r, c): (u32, u16),
    column: &str,
    cell: &Cell,
    f: &Formats,
) -> Result<String, XlsxError> {
    Ok(match cell {
        Cell::Count(n) | Cell::Bits(Some(n)) => {
            sheet.write_number(r, c, *n as f64)?;
            n.to_string()
        }
        Cell::Bits(None) => String::new(),
        Cell::Hundredths(n) => {
            sheet.write_number(r, c, *n as f64 / 100.0)?;
            super::hundredths(*n)
        }
        Cell::Flag(b) => {
            sheet.write_boolean(r, c, *b)?;
            if *b { "TRUE" } else { "FALSE" }.to_string()
        }
        Cell::Text(_) | Cell::Bytes(_) => {
            let text = cell.as_text().expect("text cell");
            let serial = if TIME_COLUMNS.contains(&column) {
                excel_time(&text).map(|v| (v, &f.time))
            } else if DATE_COLUMNS.contains(&column) {
                excel_time(&text).map(|v| (v, &f.date))
            } else {
                None
            };
            match serial {
                // Shown as the CSV writes it: the text's width.
                Some((v, format)) => {
                    sheet.write_number_with_format(r, c, v, format)?;
                    text.into_owned()
                }
                None if text.is_empty() => String::new(),
                None => {
                    let text = neutralize(&text);
                    sheet.write_string(r, c, text.as_ref())?;
                    text.into_owned()
                }
            }
        }
    })
}

fn report_sheet(
    sheet: &mut Worksheet,
    table: &Table,
    f: &Formats,
) -> Result<Option<String>, XlsxError> {
    // A bold header, with the autofilter's button beside it (16 pixels).
    let mut widest: Vec<f64> = Vec::with_capacity(table.columns.len());
    for (c, name) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &f.bold)?;
        widest.push(shown_width(name) * 1.1 + 16.0 / 7.0);
    }
    let rows = table.rows.len().min(MAX_ROWS - 1);
    for (r, row) in table.rows.iter().take(rows).enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let shown = report_cell(sheet, (r as u32 + 1, c as u16), table.columns[c], cell, f)?;
            widest[c] = widest[c].max(shown_width(&shown));
        }
    }
    for (c, w) in widest.iter().enumerate() {
        sheet.set_column_width(c as u16, column_width(*w))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    let last_col = table.columns.len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, rows as u32, last_col)?;
    if rows > 0 {
        mark_report(sheet, table, rows as u32, f)?;
    }
    Ok((rows < table.rows.len()).then(|| {
        format!(
            "sheet {}: only the first {rows} of {} rows fit in Excel; use CSV for all of them",
            table.kind.name(),
            table.rows.len()
        )
    }))
}

fn is_legacy_label(text: &str) -> bool {
    Version::ALL
        .iter()
        .any(|v| v.is_legacy() && v.label() == text)
}

/// `OR(F2="SSL2",F2="SSL3",…)`: the cell holds a version below TLS 1.2.
fn legacy_label_formula(cell: &str) -> String {
    let labels: Vec<String> = Version::ALL
        .iter()
        .filter(|v| v.is_legacy())
        .map(|v| format!("{cell}=\"{}\"", v.label()))
        .collect();
    format!("OR({})", labels.join(","))
}

/// Conditional colour on rows 1..=`rows` of a report, as in the HTML
/// report: counts below TLS 1.2 above 0, version columns naming one, and
/// whole `not_ready` rows.
fn mark_report(
    sheet: &mut Worksheet,
    table: &Table,
    rows: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let positive = ConditionalFormatCell::new()
        .set_rule(ConditionalFormatCellRule::GreaterThan(0))
        .set_format(&f.legacy);
    for (c, name) in table.columns.iter().enumerate() {
        let c16 = c as u16;
        let counts = matches!(table.rows[0][c], Cell::Count(_));
        if counts && is_legacy_label(name) {
            sheet.add_conditional_format(1, c16, rows, c16, &positive)?;
        } else if table
            .rows
            .iter()
            .any(|r| matches!(&r[c], Cell::Text(t) if is_legacy_label(t)))
        {
            let rule = ConditionalFormatFormula::new()
                .set_rule(format!("={}", legacy_label_formula(&row_col_to_cell(1, c16))).as_str())
                .set_format(&f.legacy);
            sheet.add_conditional_format(1, c16, rows, c16, &rule)?;
        }
    }
    if let Some(status) = table.columns.iter().position(|c| *c == "status") {
        let last = table.columns.len() as u16 - 1;
        let rule = not_ready_rule(status as u16, 1, f);
        sheet.add_conditional_format(1, 0, rows, last, &rule)?;
    }
    Ok(())
}

/// `$E2="not_ready"` for a range whose first row is `row`, the status in
/// column `status`.
fn not_ready_rule(status: u16, row: u32, f: &Formats) -> ConditionalFormatFormula {
    ConditionalFormatFormula::new()
        .set_rule(
            format!(
                "=${}{}=\"not_ready\"",
                column_number_to_name(status),
                row + 1
            )
            .as_str(),
        )
        .set_format(&f.not_ready)
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

/// A value on the Summary sheet.
enum Value {
    Text(String),
    Bold(String),
    Number(u64),
    /// Milliseconds since 1970, shown as the CSV writes times.
    Time(i64),
    /// Long text (a warning): wrapped in its column, and not widening it.
    Note(String),
}

/// The Summary's cells, collected first so that each column can be sized
/// from what it holds before anything is written.
#[derive(Default)]
struct Layout {
    cells: Vec<(u32, u16, Value)>,
}

impl Layout {
    fn put(&mut self, row: u32, col: u16, value: Value) {
        self.cells.push((row, col, value));
    }

    fn text(&mut self, row: u32, col: u16, text: &str) {
        self.put(row, col, Value::Text(neutralize(text).into_owned()));
    }

    /// Per column, the width of its widest value (notes aside).
    fn widths(&self) -> Vec<f64> {
        let mut widest: Vec<f64> = Vec::new();
        for (_, c, v) in &self.cells {
            let shown = match v {
                Value::Text(t) => shown_width(t),
                Value::Bold(t) => shown_width(t) * 1.1,
                Value::Number(n) => n.to_string().len() as f64,
                Value::Time(_) => shown_width(&crate::parse::stamp::format_millis(0)),
                Value::Note(_) => 0.0,
            };
            let c = *c as usize;
            if widest.len() <= c {
                widest.resize(c + 1, 0.0);
            }
            widest[c] = widest[c].max(shown);
        }
        widest.into_iter().map(column_width).collect()
    }

    /// Writes every cell; text wider than its column wraps, in a row made
    /// tall enough for its lines (neither Excel nor LibreOffice sizes rows
    /// on opening a file).
    fn write(&self, sheet: &mut Worksheet, f: &Formats) -> Result<(), XlsxError> {
        let widths = self.widths();
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, *w)?;
        }
        let mut lines: std::collections::BTreeMap<u32, f64> = Default::default();
        for (r, c, v) in &self.cells {
            let (r, c) = (*r, *c);
            match v {
                Value::Text(t) | Value::Note(t) if shown_width(t) + 1.0 > widths[c as usize] => {
                    // The glyphs' width, and a tenth more: words wrap less
                    // tightly than letters.
                    let glyphs = f64::from(cell_autofit_width(t).saturating_sub(7)) / 7.0;
                    let n = (glyphs * 1.1 / (widths[c as usize] - 1.0)).ceil();
                    let e = lines.entry(r).or_default();
                    *e = e.max(n);
                    sheet.write_string_with_format(r, c, t, &f.wrap)?
                }
                Value::Text(t) | Value::Note(t) => {
                    sheet.write_string_with_format(r, c, t, &f.top)?
                }
                Value::Bold(t) => sheet.write_string_with_format(r, c, t, &f.bold)?,
                Value::Number(n) => sheet.write_number_with_format(r, c, *n as f64, &f.top)?,
                Value::Time(ms) => match excel_time(&crate::parse::stamp::format_millis(*ms)) {
                    Some(v) => sheet.write_number_with_format(r, c, v, &f.top_time)?,
                    None => sheet,
                },
            };
        }
        // 15 points a line of Calibri 11, Excel's default row.
        for (r, n) in lines {
            sheet.set_row_height(r, 15.0 * n)?;
        }
        Ok(())
    }
}

fn summary(
    sheet: &mut Worksheet,
    reports: &Reports,
    warnings: &[crate::diagnostic::Diagnostic],
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    // Printed (and turned to PDF) as seen: landscape, one page wide.
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    let mut layout = Layout::default();
    layout.put(0, 0, Value::Bold("exlog report".into()));
    // The chart first, under the title, where the window opens.
    let chart = reports
        .table(super::connector::KIND)
        .and_then(connector_chart);
    let mut row = if chart.is_some() { CHART_ROWS + 2 } else { 2 };
    row = summary_stats(&mut layout, reports, row);
    let versions = row + 1;
    row = summary_versions(&mut layout, reports, row);
    row = summary_servers(&mut layout, reports, row);
    let readiness = row + 1;
    row = summary_readiness(&mut layout, reports, row);
    if !warnings.is_empty() {
        layout.put(row, 0, Value::Bold("warnings".into()));
        for w in warnings {
            row += 1;
            layout.put(row, 0, Value::Note(neutralize(&w.message).into_owned()));
        }
    }
    layout.write(sheet, f)?;
    // Counts below TLS 1.2 above 0, and not_ready verdicts, as in the
    // report sheets.
    let last_version = versions + Version::ALL.len() as u32 - 1;
    let legacy_count = ConditionalFormatFormula::new()
        .set_rule(
            format!(
                "=AND({},$B{}>0)",
                legacy_label_formula(&format!("$A{}", versions + 1)),
                versions + 1
            )
            .as_str(),
        )
        .set_format(&f.legacy);
    sheet.add_conditional_format(versions, 0, last_version, 1, &legacy_count)?;
    if reports
        .table(super::readiness::KIND)
        .is_some_and(|t| !t.rows.is_empty())
    {
        sheet.add_conditional_format(readiness, 0, row - 2, 3, &not_ready_rule(2, readiness, f))?;
    }
    if let Some(chart) = chart {
        sheet.insert_chart(1, 0, &chart)?;
    }
    Ok(())
}

/// The scan's statistics from `row`; returns the next free row.
fn summary_stats(layout: &mut Layout, reports: &Reports, mut row: u32) -> u32 {
    let s = &reports.summary;
    let mut stats: Vec<(&str, u64)> = vec![
        ("files read", s.files),
        ("files skipped", s.files_skipped),
        ("bytes", s.bytes),
        ("lines", s.lines),
        ("unterminated last lines (not read)", s.unterminated_lines),
        ("TLS rows", s.tls_rows),
        // Successful or failed, as `total` and readiness count them.
        ("negotiations", s.negotiations + s.failures),
        ("failed negotiations", s.failures),
        ("malformed rows", s.malformed_rows),
    ];
    if reports.table(super::readiness::KIND).is_some() {
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
    for (label, n) in stats {
        layout.text(row, 0, label);
        layout.put(row, 1, Value::Number(n));
        row += 1;
    }
    row + 1
}

/// Negotiations by version, then failures, under a heading at `row`.
fn summary_versions(layout: &mut Layout, reports: &Reports, mut row: u32) -> u32 {
    let s = &reports.summary;
    layout.put(row, 0, Value::Bold("negotiations by version".into()));
    row += 1;
    for v in Version::ALL {
        layout.text(row, 0, v.label());
        layout.put(row, 1, Value::Number(s.by_version[v.index()]));
        row += 1;
    }
    layout.text(row, 0, svg::style(None).label);
    layout.put(row, 1, Value::Number(s.failures));
    row + 2
}

/// Per server, its first and last record and files.
fn summary_servers(layout: &mut Layout, reports: &Reports, mut row: u32) -> u32 {
    let s = &reports.summary;
    if s.servers.is_empty() || reports.table(super::readiness::KIND).is_none() {
        return row;
    }
    layout.put(row, 0, Value::Bold("servers: first and last record".into()));
    row += 1;
    for i in &s.servers {
        layout.text(row, 0, &i.name);
        for (c, ms) in [(1, i.coverage.first), (2, i.coverage.last)] {
            if let Some(ms) = ms {
                layout.put(row, c, Value::Time(ms));
            }
        }
        layout.put(row, 3, Value::Number(i.files));
        row += 1;
    }
    row + 1
}

/// The readiness verdicts: server, connector, status, verdict.
fn summary_readiness(layout: &mut Layout, reports: &Reports, mut row: u32) -> u32 {
    let Some(t) = reports.table(super::readiness::KIND) else {
        return row;
    };
    layout.put(row, 0, Value::Bold("readiness".into()));
    row += 1;
    let text = |r: &[Cell], name: &str| {
        t.columns
            .iter()
            .position(|c| *c == name)
            .and_then(|i| r[i].as_text())
            .map(|t| t.into_owned())
            .unwrap_or_default()
    };
    for r in &t.rows {
        for (c, name) in ["server", "connector", "status", "verdict"]
            .iter()
            .enumerate()
        {
            layout.text(row, c as u16, &text(r, name));
        }
        row += 1;
    }
    row + 1
}

/// A stacked column per connector, one series per TLS version and one for
/// failures, drawn from the connector sheet, in the HTML report's colours;
/// series that are 0 everywhere are left out, as from the report's legend.
fn connector_chart(t: &Table) -> Option<Chart> {
    let last = t.rows.len().min(MAX_ROWS - 1) as u32;
    let name_col = t.columns.iter().position(|c| *c == "connector")? as u16;
    if last == 0 {
        return None;
    }
    let sheet = super::connector::KIND.name();
    let mut chart = Chart::new(ChartType::ColumnStacked);
    chart
        .title()
        .set_name("Negotiations by TLS version per connector");
    // Connectors without a negotiation (idle or plaintext sessions only)
    // leave no series, and a chart needs one.
    let mut series = 0;
    for style in svg::styles() {
        let Some(c) = t.columns.iter().position(|c| *c == style.label) else {
            continue;
        };
        if t.rows.iter().all(|r| matches!(r[c], Cell::Count(0))) {
            continue;
        }
        let c = c as u16;
        chart
            .add_series()
            .set_name(style.label)
            .set_categories((sheet, 1, name_col, last, name_col))
            .set_values((sheet, 1, c, last, c))
            .set_format(ChartSolidFill::new().set_color(style.color));
        series += 1;
    }
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    (series > 0).then_some(chart)
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
