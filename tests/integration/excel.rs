//! Output for Excel: -o folder and file, BOM, xlsx read back with
//! calamine, formula-injection defence.

use crate::util::{exlog, root, stable_json};
use calamine::{Data, Reader, Xlsx, open_workbook};

const BOM: &str = "\u{feff}";

#[test]
fn output_folder_has_every_report_with_bom() {
    let dir = tempfile::tempdir().unwrap();
    let out = format!("{}/", dir.path().join("reports").display());
    let run = exlog(["sample-logs", "-o", &out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // Every report there is, no fewer.
    let mut names = exlog::report::folder_reports(true, true);
    names.sort();
    let mut all: Vec<&str> = exlog::report::REPORTS.iter().map(|r| r.name()).collect();
    all.sort();
    assert_eq!(names, all);
    for name in exlog::report::folder_reports(true, true) {
        let file = std::fs::read_to_string(dir.path().join("reports").join(format!("{name}.csv")))
            .unwrap();
        let stdout = exlog(["sample-logs", "--by", name, "--format", "csv"]).stdout;
        assert_eq!(file, format!("{BOM}{stdout}"), "{name}.csv");
    }
    let json = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    let direct = exlog(["sample-logs", "--format", "json"]).stdout;
    assert_eq!(stable_json(&json), stable_json(&direct));
}

#[test]
fn bom_switches() {
    let stdout = exlog(["sample-logs", "--format", "csv"]).stdout;
    assert!(!stdout.starts_with(BOM), "no BOM on stdout by default");
    assert!(exlog(["sample-logs", "--bom"]).stdout.starts_with(BOM));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.csv");
    assert_eq!(
        exlog([
            root().join("sample-logs").as_os_str(),
            "-o".as_ref(),
            file.as_os_str()
        ])
        .code,
        0
    );
    assert!(std::fs::read_to_string(&file).unwrap().starts_with(BOM));
    exlog([
        root().join("sample-logs").as_os_str(),
        "-o".as_ref(),
        file.as_os_str(),
        "--no-bom".as_ref(),
    ]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
}

#[test]
fn bad_output_path_fails_before_the_scan() {
    let run = exlog(["sample-logs", "-o", "/nonexistent/dir/x.csv"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("/nonexistent/dir/x.csv: cannot write here"),
        "{}",
        run.stderr
    );
    let run = exlog(["sample-logs", "--format", "xlsx"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("-o report.xlsx"));
}

fn workbook(args: &[&str]) -> (Xlsx<std::io::BufReader<std::fs::File>>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xlsx");
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.extend(["-o".as_ref(), file.as_os_str()]);
    let run = exlog(all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&file).unwrap();
    let book: Xlsx<_> = open_workbook(&file).unwrap();
    (book, bytes)
}

/// An ISO time or date from the CSV as an Excel serial date, computed
/// independently of exlog (days since 1899-12-30).
fn serial(text: &str) -> Option<f64> {
    let date = &text[..10];
    let (y, m, d): (i64, i64, i64) = (
        date[..4].parse().ok()?,
        date[5..7].parse().ok()?,
        date[8..10].parse().ok()?,
    );
    // Days from civil (Howard Hinnant), then shift to Excel's epoch.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468 + 25_569;
    let mut v = days as f64;
    if text.len() > 10 {
        let h: f64 = text[11..13].parse().ok()?;
        let mi: f64 = text[14..16].parse().ok()?;
        let sec: f64 = text[17..text.len() - 1].parse().ok()?;
        v += (h * 3600.0 + mi * 60.0 + sec) / 86400.0;
    }
    Some(v)
}

#[test]
fn xlsx_sheets_numbers_dates_and_chart() {
    let (mut book, bytes) = workbook(&["sample-logs"]);
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "connector",
            "remote",
            "cipher",
            "failure",
            "day",
            "week",
            "readiness",
            "coverage",
            "server",
            "legacy",
            "fallout"
        ]
    );
    // Every report sheet has the CSV's header and rows.
    // (sample-logs holds no IIS logs or TLS-RPT reports: no sheets for them.)
    for name in exlog::report::folder_reports(true, true)
        .into_iter()
        .filter(|&n| n != "session" && !n.starts_with("http-") && n != "tlsrpt")
    {
        let range = book.worksheet_range(name).unwrap();
        let csv = exlog(["sample-logs", "--by", name, "--format", "csv"]).stdout;
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let sheet_header: Vec<String> = (0..header.len())
            .map(|c| range.get((0, c)).unwrap().to_string())
            .collect();
        assert_eq!(sheet_header, header, "{name}");
        // Every cell equals the CSV's: numbers as numbers, times as Excel
        // dates, text as text (both neutralised the same way).
        let mut rows = 0;
        for (r, record) in rdr.records().enumerate() {
            let record = record.unwrap();
            for (c, want) in record.iter().enumerate() {
                let got = range.get((r + 1, c)).unwrap_or(&Data::Empty);
                match got {
                    Data::Float(f) => assert_eq!(Ok(*f), want.parse::<f64>(), "{name} {r} {c}"),
                    Data::DateTime(t) => {
                        let want =
                            serial(want).unwrap_or_else(|| panic!("{name} {r} {c}: {want:?}"));
                        assert!((want - t.as_f64()).abs() < 1e-9, "{name} {r} {c}");
                    }
                    Data::Bool(b) => assert_eq!(b.to_string(), want, "{name} {r} {c}"),
                    Data::Empty => assert_eq!(want, "", "{name} {r} {c}"),
                    other => assert_eq!(other.to_string(), want, "{name} {r} {c}"),
                }
            }
            rows += 1;
        }
        assert_eq!(range.height(), rows + 1, "{name}");
    }
    let connector = book.worksheet_range("connector").unwrap();
    // Row 1: receive, EX01\Client Frontend EX01, 0, 0, 2, 0, 0, 0, 0, 2, 4, 1
    // (SCAN-3RDFLOOR's two TLS 1.0 sessions, its and SCAN-2NDFLOOR's failures).
    assert_eq!(
        connector.get((1, 1)),
        Some(&Data::String("EX01\\Client Frontend EX01".into()))
    );
    assert_eq!(connector.get((1, 4)), Some(&Data::Float(2.0)));
    assert_eq!(connector.get((1, 10)), Some(&Data::Float(4.0)));
    let remote = book.worksheet_range("remote").unwrap();
    // Row 3: 10.20.0.15 (rows 1 and 2 are the Hub neighbours 10.0.0.12 of
    // EX01 and 10.0.0.14 of EX03).
    assert_eq!(remote.get((3, 1)), Some(&Data::String("10.20.0.15".into())));
    match remote.get((3, 11)) {
        Some(Data::DateTime(t)) => {
            // 2024-03-08T10:07:00.753Z as an Excel serial date.
            let want = 45359.0 + (10.0 * 3600.0 + 7.0 * 60.0 + 0.753) / 86400.0;
            assert!((t.as_f64() - want).abs() < 1e-8, "{}", t.as_f64());
        }
        other => panic!("first_seen is not a date: {other:?}"),
    }
    let summary = book.worksheet_range("Summary").unwrap();
    let stat = |label: &str| {
        let r = (0..summary.height())
            .find(|&r| summary.get((r, 0)) == Some(&Data::String(label.into())))
            .unwrap_or_else(|| panic!("no {label} on the Summary"));
        summary.get((r, 1)).cloned()
    };
    // 8 EX01 files (2 days of FrontEnd receive hours 10 and 11, Hub
    // receive and Hub send hour 10; an Explorer copy, not read), 2 of EX02,
    // 48 of EX03 (16 days of FrontEnd receive, Hub receive and Hub send).
    assert_eq!(stat("files read"), Some(Data::Float(58.0)));
    // Negotiations successful or failed, as connector.csv's `total`:
    // 4 + 2 + 11 + 1 + 5 + 16 + 18 + 2 + 23 + 1 = 83, of which 2 + 2 + 3 + 1 = 8 failed.
    assert_eq!(stat("negotiations"), Some(Data::Float(83.0)));
    assert_eq!(stat("failed negotiations"), Some(Data::Float(8.0)));
    let text: Vec<String> = summary.rows().flatten().map(|c| c.to_string()).collect();
    assert!(text.iter().any(|t| t.starts_with("not ready: 3 hosts (")
        && t.contains("; 3 remotes negotiated below TLS 1.2")));
    assert!(text.iter().any(|t| t == "servers: first and last record"));
    // The chart is a part of the package (calamine does not read charts).
    let needle = b"xl/charts/chart1.xml";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn hostile_text_is_neutralised_in_csv_and_xlsx_raw_in_json() {
    let csv = exlog(["tests/data/hostile", "--by", "remote", "--format", "csv"]).stdout;
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n"),
        "{csv}"
    );
    assert!(csv.contains(",'@SUM(1)\n"));
    assert!(csv.contains(",'-2+3\n"));
    assert!(csv.contains(",'+cmd|' /C calc'!A0\n"));
    let sessions = exlog(["tests/data/hostile", "--by", "session", "--format", "csv"]).stdout;
    assert!(sessions.contains(",'=1+1,"), "auth user: {sessions}");
    let json = exlog(["tests/data/hostile", "--format", "json"]).stdout;
    assert!(
        json.contains("\"ehlo\": \"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\""),
        "JSON stays raw"
    );
    let (mut book, _) = workbook(&["tests/data/hostile"]);
    let remote = book.worksheet_range("remote").unwrap();
    let ehlos: Vec<String> = (1..remote.height())
        .map(|r| remote.get((r, 15)).unwrap().to_string())
        .collect();
    assert_eq!(
        ehlos,
        [
            "'=HYPERLINK(\"http://x\",\"y\")",
            "'@SUM(1)",
            "'-2+3",
            "'+cmd|' /C calc'!A0",
            "TAB"
        ]
    );
}

#[test]
fn terminal_table_escapes_control_characters() {
    let run = exlog([
        "tests/data/hostile",
        "--by",
        "connector",
        "--format",
        "table",
    ]);
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{202e}'));
    assert!(
        run.stdout
            .contains(r"EXH\\x1b[31mEvil\x1b[0m \u{202e}Relay"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------
// The workbook as Excel and LibreOffice show it (issue 23): read back from
// the package's XML, since calamine reads values, not how they look.

/// One part of the xlsx package, as text.
fn part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("no {name} in the workbook"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The package part of each sheet, by sheet name (through the workbook's
/// relationships, as Excel finds them).
fn sheet_parts(bytes: &[u8]) -> Vec<(String, String)> {
    let book = part(bytes, "xl/workbook.xml");
    let rels = part(bytes, "xl/_rels/workbook.xml.rels");
    let book = roxmltree::Document::parse(&book).unwrap();
    let rels = roxmltree::Document::parse(&rels).unwrap();
    book.descendants()
        .filter(|n| n.has_tag_name("sheet"))
        .map(|s| {
            let id = s
                .attributes()
                .find(|a| a.name() == "id")
                .unwrap()
                .value()
                .to_string();
            let target = rels
                .descendants()
                .find(|r| r.attribute("Id") == Some(id.as_str()))
                .and_then(|r| r.attribute("Target"))
                .unwrap();
            (
                s.attribute("name").unwrap().to_string(),
                format!("xl/{target}"),
            )
        })
        .collect()
}

/// `L12` as (row 11, column 11), zero-based.
fn cell_ref(r: &str) -> (usize, usize) {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let col = letters
        .bytes()
        .fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize)
        - 1;
    let row: usize = r[letters.len()..].parse().unwrap();
    (row - 1, col)
}

/// The width Excel shows for each column of a sheet, in characters (8.43
/// where the sheet sets none), for the first `n` columns. The file holds
/// the width with its 5 pixels of padding: 60.71 for 60 characters.
fn column_widths(sheet: &str, n: usize) -> Vec<f64> {
    let doc = roxmltree::Document::parse(sheet).unwrap();
    let mut widths = vec![8.43; n];
    for c in doc.descendants().filter(|n| n.has_tag_name("col")) {
        let (min, max): (usize, usize) = (
            c.attribute("min").unwrap().parse().unwrap(),
            c.attribute("max").unwrap().parse().unwrap(),
        );
        let w: f64 = c.attribute("width").unwrap().parse().unwrap();
        for i in min..=max.min(n) {
            widths[i - 1] = ((w * 7.0).round() - 5.0) / 7.0;
        }
    }
    widths
}

/// A column's width in pixels at 100% zoom with Calibri 11, as Excel
/// converts it (a 7-pixel digit plus 5 pixels of padding).
fn column_pixels(width: f64) -> f64 {
    (width * 7.0 + 5.0).round()
}

/// The styles of the workbook: per cell style index, its number format
/// code (None for a built-in one) and whether it wraps text.
fn cell_styles(bytes: &[u8]) -> Vec<(Option<String>, bool)> {
    let styles = part(bytes, "xl/styles.xml");
    let doc = roxmltree::Document::parse(&styles).unwrap();
    let codes: std::collections::HashMap<&str, &str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("numFmt"))
        .map(|n| {
            (
                n.attribute("numFmtId").unwrap(),
                n.attribute("formatCode").unwrap(),
            )
        })
        .collect();
    let xfs = doc
        .descendants()
        .find(|n| n.has_tag_name("cellXfs"))
        .unwrap();
    xfs.children()
        .filter(|n| n.has_tag_name("xf"))
        .map(|xf| {
            let code = codes
                .get(xf.attribute("numFmtId").unwrap_or("0"))
                .map(|c| c.to_string());
            let wraps = xf
                .children()
                .any(|a| a.has_tag_name("alignment") && a.attribute("wrapText") == Some("1"));
            (code, wraps)
        })
        .collect()
}

/// Each cell of a sheet: (row, column, style index, shared string or
/// value).
fn sheet_cells(bytes: &[u8], sheet: &str) -> Vec<(usize, usize, usize, String)> {
    let shared = part(bytes, "xl/sharedStrings.xml");
    let shared = roxmltree::Document::parse(&shared).unwrap();
    let strings: Vec<String> = shared
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("si"))
        .map(|si| {
            si.descendants()
                .filter(|n| n.has_tag_name("t"))
                .filter_map(|t| t.text())
                .collect()
        })
        .collect();
    let doc = roxmltree::Document::parse(sheet).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("c"))
        .filter_map(|c| {
            let (row, col) = cell_ref(c.attribute("r").unwrap());
            let style = c.attribute("s").map_or(0, |s| s.parse().unwrap());
            let v = c
                .children()
                .find(|n| n.has_tag_name("v"))?
                .text()?
                .to_string();
            let v = match c.attribute("t") {
                Some("s") => strings[v.parse::<usize>().unwrap()].clone(),
                _ => v,
            };
            Some((row, col, style, v))
        })
        .collect()
}

/// What a date format shows, in characters: `yyyy-mm-dd"T"hh:mm:ss.000"Z"`
/// shows `2024-03-08T10:07:00.753Z`, as long as the code without its
/// quotes (true of the codes that spell out every field, as ours do).
fn shown_len(code: &str) -> usize {
    code.chars().filter(|&c| c != '"' && c != '\\').count()
}

#[test]
fn every_column_is_as_wide_as_its_longest_value_as_shown() {
    let (_, bytes) = workbook(&["sample-logs"]);
    let styles = cell_styles(&bytes);
    for (name, path) in sheet_parts(&bytes) {
        if name == "Summary" {
            continue;
        }
        let sheet = part(&bytes, &path);
        let csv = exlog(["sample-logs", "--by", &name, "--format", "csv"]).stdout;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_bytes());
        let rows: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        let widths = column_widths(&sheet, rows[0].len());
        // Dates show as the CSV writes them (same length), so that the
        // CSV's text is what the sheet shows.
        for (r, c, style, _) in sheet_cells(&bytes, &sheet) {
            if let Some(code) = &styles[style].0
                && code.contains("yy")
            {
                assert_eq!(
                    shown_len(code),
                    rows[r][c].chars().count(),
                    "{name} {r} {c}: {code:?} shows {:?} otherwise",
                    rows[r][c]
                );
            }
        }
        for (c, width) in widths.iter().enumerate() {
            // The header has the autofilter's button beside it (16 px:
            // about 3 characters).
            let longest = rows
                .iter()
                .enumerate()
                .map(|(r, row)| row[c].chars().count() + if r == 0 { 3 } else { 0 })
                .max()
                .unwrap() as f64;
            let want = longest.min(60.0);
            assert!(
                *width + 1e-6 >= want && *width <= 60.0 + 1e-6,
                "{name} column {c} ({}): width {width} for {longest} characters",
                rows[0][c]
            );
            // Fitted, not padded: a proportional font's capitals take at
            // most about 1.4 digit widths.
            assert!(
                *width <= want * 1.4 + 3.0,
                "{name} column {c} ({}): width {width} for {longest} characters",
                rows[0][c]
            );
        }
    }
}

#[test]
fn the_summary_wraps_long_text_in_narrow_columns() {
    let (_, bytes) = workbook(&["sample-logs"]);
    let styles = cell_styles(&bytes);
    let (_, path) = sheet_parts(&bytes)
        .into_iter()
        .find(|(n, _)| n == "Summary")
        .unwrap();
    let sheet = part(&bytes, &path);
    let cells = sheet_cells(&bytes, &sheet);
    let widths = column_widths(&sheet, 8);
    assert!(widths.iter().all(|w| *w <= 60.0 + 1e-6), "{widths:?}");
    // sample-logs has warnings (a copied file, a clock) over 200
    // characters and verdicts over 150: each such text wraps.
    let long = cells.iter().filter(|c| c.3.chars().count() > 100).count();
    assert!(long >= 5, "{long} long texts");
    for (r, c, style, text) in &cells {
        let shown = match &styles[*style].0 {
            Some(code) if code.contains("yy") => shown_len(code),
            _ => text.chars().count(),
        } as f64;
        if shown > widths[*c] {
            let number = text.parse::<f64>().is_ok();
            assert!(
                styles[*style].1 && !number,
                "Summary row {r} column {c}: {shown} characters in a column {} wide, not wrapped: {text:?}",
                widths[*c]
            );
        }
    }
}

/// The series of the Summary's chart: (label, fill colour, values, the
/// cells the values come from).
fn chart_series(bytes: &[u8]) -> Vec<(String, String, Vec<f64>, String)> {
    let chart = part(bytes, "xl/charts/chart1.xml");
    let doc = roxmltree::Document::parse(&chart).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("ser"))
        .map(|ser| {
            let child = |name: &str| ser.children().find(|n| n.has_tag_name(name));
            let label = child("tx")
                .and_then(|t| t.descendants().find(|n| n.has_tag_name("v")))
                .and_then(|v| v.text())
                .unwrap_or_default()
                .to_string();
            let color = child("spPr")
                .and_then(|sp| sp.descendants().find(|n| n.has_tag_name("srgbClr")))
                .and_then(|c| c.attribute("val"))
                .unwrap_or("(theme colour)")
                .to_uppercase();
            let val = child("val").unwrap();
            let values = val
                .descendants()
                .filter(|n| n.has_tag_name("pt"))
                .map(|p| {
                    p.children()
                        .find(|n| n.has_tag_name("v"))
                        .unwrap()
                        .text()
                        .unwrap()
                        .parse()
                        .unwrap()
                })
                .collect();
            let cells = val
                .descendants()
                .find(|n| n.has_tag_name("f"))
                .and_then(|f| f.text())
                .unwrap_or_default()
                .to_string();
            (label, color, values, cells)
        })
        .collect()
}

/// Hue in degrees (0 red, 30 orange, 45 amber, 200 sky blue) and
/// saturation (0 grey) of an `RRGGBB` colour.
fn hue_saturation(rgb: &str) -> (f64, f64) {
    let v = u32::from_str_radix(rgb.trim_start_matches('#'), 16).unwrap();
    let [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map(|x| x as f64 / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let d = max - min;
    if d == 0.0 {
        return (0.0, 0.0);
    }
    let h = if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    (h, d / max)
}

/// The colour the HTML report gives each label in its connector chart's
/// legend (a hatched swatch points at a pattern of that colour).
fn html_legend_colours() -> std::collections::HashMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let run = exlog(["sample-logs".as_ref(), "-o".as_ref(), out.as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out).unwrap();
    let start = html.find("<svg").unwrap();
    let start = start + html[start..].find("negotiations per connector").unwrap();
    let start = html[..start].rfind("<svg").unwrap();
    let end = start + html[start..].find("</svg>").unwrap() + 6;
    let doc = roxmltree::Document::parse(&html[start..end]).unwrap();
    let pattern_colour = |id: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("pattern") && n.attribute("id") == Some(id))
            .and_then(|p| p.children().find(|n| n.has_tag_name("rect")))
            .and_then(|r| r.attribute("fill"))
            .unwrap()
            .to_string()
    };
    let mut colours = std::collections::HashMap::new();
    for text in doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("lg"))
    {
        let swatch = text.prev_sibling_element().unwrap();
        let fill = swatch.attribute("fill").unwrap();
        let colour = match fill.strip_prefix("url(#") {
            Some(id) => pattern_colour(id.trim_end_matches(')')),
            None => fill.to_string(),
        };
        colours.insert(
            text.text().unwrap().to_string(),
            colour.trim_start_matches('#').to_uppercase(),
        );
    }
    colours
}

#[test]
fn the_chart_colours_versions_as_the_html_report_and_shows_failures() {
    let (_, bytes) = workbook(&["sample-logs"]);
    let series = chart_series(&bytes);
    let labels: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
    // The versions the sample has (connector.csv: SSL3 on EX02, TLS1.0,
    // TLS1.1 and TLS1.2 on several) and its 3 failures; SSL2, TLS1.3 and
    // other are 0 everywhere and left out, as from the HTML legend.
    assert_eq!(labels, ["SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "failed"]);
    let colour = |label: &str| series.iter().find(|s| s.0 == label).unwrap().1.clone();
    // The HTML report's rule: below TLS 1.2 warm, red (SSL3) to orange
    // (TLS1.0) to amber (TLS1.1); TLS 1.2 cool; failures apart.
    let hue = |label: &str| {
        let (h, s) = hue_saturation(&colour(label));
        assert!(s > 0.5, "{label}: {} is greyish", colour(label));
        // Reds just below 360 degrees count as just below 0.
        if h > 300.0 { h - 360.0 } else { h }
    };
    let (ssl3, tls10, tls11, tls12) = (hue("SSL3"), hue("TLS1.0"), hue("TLS1.1"), hue("TLS1.2"));
    assert!((-20.0..=15.0).contains(&ssl3), "SSL3 red: {ssl3}");
    assert!((15.0..=35.0).contains(&tls10), "TLS1.0 orange: {tls10}");
    assert!((35.0..=50.0).contains(&tls11), "TLS1.1 amber: {tls11}");
    assert!((180.0..=250.0).contains(&tls12), "TLS1.2 blue: {tls12}");
    let failed = colour("failed");
    for other in &labels[..4] {
        assert_ne!(colour(other), failed, "failed has its own colour");
    }
    let (h, s) = hue_saturation(&failed);
    assert!(s < 0.2 || !(-20.0..=250.0).contains(&h), "failed {failed}");
    // One rule in one place: the same colours as the HTML page's legend.
    let html = html_legend_colours();
    for s in &series {
        assert_eq!(html.get(&s.0), Some(&s.1), "{}", s.0);
    }
    // Failures come from the connector sheet's `failed` column (truth.json's
    // failure rows): EX01's Client Frontend 2 (the two scanners after the
    // switch), its Default Frontend 2 (legacy-gw, mx1.oldpartner after the
    // switch), Outbound to Internet 3 (brokenpartner, slowpartner twice),
    // Partner Relay 1, so Partner Relay's bar is not empty.
    let (_, _, values, cells) = series.iter().find(|s| s.0 == "failed").unwrap();
    // Rows: EX01 Client Frontend, Default, Default Frontend, Partner Inbound,
    // EX02 Default Frontend, EX03 Default, EX03 Default Frontend, Internet
    // Send Connector, Outbound to Internet, Partner Relay.
    assert_eq!(cells, "connector!$J$2:$J$11");
    assert_eq!(values, &[2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 1.0]);
}

#[test]
fn the_chart_is_on_the_first_screen_of_a_1280_pixel_window() {
    let (mut book, bytes) = workbook(&["sample-logs"]);
    let drawing = part(&bytes, "xl/drawings/drawing1.xml");
    let doc = roxmltree::Document::parse(&drawing).unwrap();
    let anchor = doc
        .descendants()
        .find(|n| n.has_tag_name("twoCellAnchor") || n.has_tag_name("oneCellAnchor"))
        .unwrap();
    let corner = |name: &str| {
        let n = anchor.children().find(|n| n.has_tag_name(name)).unwrap();
        let field = |f: &str| -> i64 {
            n.children()
                .find(|c| c.has_tag_name(f))
                .unwrap()
                .text()
                .unwrap()
                .parse()
                .unwrap()
        };
        (field("col"), field("colOff"), field("row"), field("rowOff"))
    };
    let (col, col_off, row, row_off) = corner("from");
    let (to_col, to_col_off, to_row, _) = corner("to");
    let (_, path) = sheet_parts(&bytes)
        .into_iter()
        .find(|(n, _)| n == "Summary")
        .unwrap();
    let widths = column_widths(&part(&bytes, &path), to_col as usize);
    // Where a column and an offset in it (EMU: 9525 a pixel) lie.
    let x = |col: i64, off: i64| {
        widths[..col as usize]
            .iter()
            .map(|w| column_pixels(*w))
            .sum::<f64>()
            + off as f64 / 9525.0
    };
    let left = x(col, col_off);
    let width = x(to_col, to_col_off) - left;
    // A 1280-pixel window less Excel's row numbers (about 30 px), the
    // scroll bar (17) and the borders: about 1220 pixels of cells.
    assert!(
        left + width <= 1220.0,
        "the chart spans {left:.0} to {:.0} px",
        left + width
    );
    assert!(width >= 600.0, "{width} px is too small to read");
    // Its top on the first screen: within the first 3 rows (20 px each).
    assert!(row * 20 + row_off / 9525 <= 60, "row {row}");
    // It hides no cell.
    let summary = book.worksheet_range("Summary").unwrap();
    let (r0, c0) = summary.start().unwrap();
    for (r, c, v) in summary.used_cells() {
        let (r, c) = ((r + r0 as usize) as i64, (c + c0 as usize) as i64);
        let covered = (row..=to_row).contains(&r) && (col..=to_col).contains(&c);
        assert!(!covered, "the chart hides row {r} column {c}: {v}");
    }
}

/// A conditional format: range, rule type, formula, font colour, fill.
type Rule = (String, String, String, Option<String>, Option<String>);

#[test]
fn legacy_versions_and_not_ready_rows_are_coloured() {
    let (_, bytes) = workbook(&["sample-logs"]);
    let styles = part(&bytes, "xl/styles.xml");
    let styles = roxmltree::Document::parse(&styles).unwrap();
    // The differential formats conditional rules point at: each one's font
    // colour and fill.
    let dxfs: Vec<(Option<String>, Option<String>)> = styles
        .descendants()
        .filter(|n| n.has_tag_name("dxf"))
        .map(|d| {
            let rgb = |parent: &str, tag: &str| {
                d.descendants()
                    .find(|n| n.has_tag_name(parent))
                    .and_then(|p| p.descendants().find(|n| n.has_tag_name(tag)))
                    .and_then(|c| c.attribute("rgb"))
                    .map(|c| c[c.len() - 6..].to_uppercase())
            };
            (rgb("font", "color"), rgb("fill", "bgColor"))
        })
        .collect();
    let rules = |sheet: &str| -> Vec<Rule> {
        let doc = roxmltree::Document::parse(sheet).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("conditionalFormatting"))
            .flat_map(|cf| {
                let range = cf.attribute("sqref").unwrap().to_string();
                cf.children()
                    .filter(|n| n.has_tag_name("cfRule"))
                    .map(|r| {
                        let (font, fill) =
                            dxfs[r.attribute("dxfId").unwrap().parse::<usize>().unwrap()].clone();
                        let kind = format!(
                            "{} {}",
                            r.attribute("type").unwrap(),
                            r.attribute("operator").unwrap_or("")
                        );
                        let formula = r
                            .children()
                            .find(|n| n.has_tag_name("formula"))
                            .and_then(|f| f.text())
                            .unwrap_or_default()
                            .to_string();
                        (range.clone(), kind.trim().to_string(), formula, font, fill)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let parts: std::collections::HashMap<String, String> = sheet_parts(&bytes)
        .into_iter()
        .map(|(n, p)| (n, part(&bytes, &p)))
        .collect();
    // The HTML report's mark for a count below TLS 1.2: its `--bad` colour.
    const BAD: &str = "B93A00";
    // connector: SSL2..TLS1.1 are columns C..F of rows 2..11 (10 connectors).
    let connector = rules(&parts["connector"]);
    for range in ["C2:C11", "D2:D11", "E2:E11", "F2:F11"] {
        assert!(
            connector.iter().any(|r| r.0 == range
                && r.1 == "cellIs greaterThan"
                && r.2 == "0"
                && r.3.as_deref() == Some(BAD)),
            "connector {range}: {connector:?}"
        );
    }
    assert!(
        !connector.iter().any(|r| r.0.starts_with('G')),
        "TLS1.2 is not marked: {connector:?}"
    );
    // readiness: status is column E; 14 rows (3 servers, 11 connectors:
    // EX01 5, EX02 2, EX03 4),
    // 23 columns (A..W). Each not_ready row is filled.
    let readiness = rules(&parts["readiness"]);
    assert!(
        readiness.iter().any(|r| r.0 == "A2:W15"
            && r.1 == "expression"
            && r.2 == "$E2=\"not_ready\""
            && r.4.is_some()),
        "readiness: {readiness:?}"
    );
    // legacy (who to call): lowest_version is column F, 9 rows (EX01 5,
    // EX02 3, EX03 1).
    let legacy = rules(&parts["legacy"]);
    assert!(
        legacy
            .iter()
            .any(|r| r.0 == "F2:F10" && r.2.contains("\"TLS1.0\"") && r.3.as_deref() == Some(BAD)),
        "legacy: {legacy:?}"
    );
    // The Summary's readiness block and its counts by version, too.
    let summary = rules(&parts["Summary"]);
    assert!(
        summary
            .iter()
            .any(|r| r.2.contains("\"not_ready\"") && r.4.is_some()),
        "Summary: {summary:?}"
    );
    assert!(
        summary.iter().any(|r| r.1 == "expression"
            && r.2.contains("\"TLS1.0\"")
            && r.3.as_deref() == Some(BAD)),
        "Summary: {summary:?}"
    );
}

/// Sessions without a single negotiation (one plaintext, one idle): the
/// connector sheet has its rows and no chart, and the workbook is written
/// (it failed with "Chart must contain at least one series").
#[test]
fn a_workbook_without_negotiations_has_no_chart_and_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = "#Log-type: SMTP Receive Protocol Log\r\n\
#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n\
2024-03-08T10:00:00.000Z,EX01\\Default Frontend EX01,08DC01,0,10.0.0.1:25,192.0.2.7:5000,+,,\r\n\
2024-03-08T10:00:00.100Z,EX01\\Default Frontend EX01,08DC01,1,10.0.0.1:25,192.0.2.7:5000,<,EHLO a.example,\r\n\
2024-03-08T10:00:00.200Z,EX01\\Default Frontend EX01,08DC01,2,10.0.0.1:25,192.0.2.7:5000,<,MAIL FROM:<a@a.example>,\r\n\
2024-03-08T10:00:00.300Z,EX01\\Default Frontend EX01,08DC01,3,10.0.0.1:25,192.0.2.7:5000,-,,Local\r\n\
2024-03-08T10:00:01.000Z,EX01\\Default Frontend EX01,08DC02,0,10.0.0.1:25,192.0.2.8:5000,+,,\r\n\
2024-03-08T10:00:01.300Z,EX01\\Default Frontend EX01,08DC02,1,10.0.0.1:25,192.0.2.8:5000,-,,Local\r\n";
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("RECV2024030810-1.LOG"), log).unwrap();
    let (mut book, bytes) = workbook(&[logs.to_str().unwrap()]);
    let sheet = book.worksheet_range("connector").unwrap();
    // The header and the one connector, with its two sessions.
    assert_eq!(sheet.height(), 2);
    let zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    assert!(
        !zip.file_names()
            .any(|n| n.is_ok_and(|n| n.contains("charts/chart"))),
        "a chart part without series"
    );
}
