//! The terminal table: aligned columns, a totals line, and versions below
//! TLS 1.2 (their counts, or the version named in a cell) marked with `!`
//! (and red, when colour is on).

use super::{Cell, Document, Kind, Report, Reports, Table, Writer};
use crate::parse::tls::Version;
use std::borrow::Cow;
use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

const RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// The terminal writer: one report (and what its report prints under it),
/// or the overview.
pub(crate) struct Terminal {
    pub report: &'static dyn Report,
    /// No `--by`: the overview instead of one report.
    pub overview: bool,
    /// ANSI colour on legacy counts.
    pub color: bool,
}

/// The reports the overview shows.
pub(crate) const OVERVIEW: [Kind; 5] = [
    super::connector::KIND,
    super::readiness::KIND,
    super::coverage::KIND,
    super::http_app::KIND,
    super::fallout::KIND,
];

impl Writer for Terminal {
    fn write(&self, doc: &Document, out: &mut dyn std::io::Write) -> std::io::Result<Vec<String>> {
        let text = if self.overview {
            overview(doc.reports, self.color) + &tlsrpt_totals(doc.tlsrpt)
        } else {
            write(&doc.reports.table_or_empty(self.report.kind()), self.color)
                + &self.report.footer(doc)
        };
        out.write_all(text.as_bytes())?;
        Ok(Vec::new())
    }
}

/// A cell as the terminal shows it, and whether it is marked as legacy.
type Shown = (String, bool);

/// Renders `table`; `color` adds ANSI colour to legacy counts.
pub(crate) fn write(table: &Table, color: bool) -> String {
    let all = || vec![true; table.rows.len()];
    // Which rows the totals line adds up (none where rows overlap).
    let counted = super::of(table.kind).map_or_else(|| Some(all()), |r| r.counted_rows(table));
    let (mut grid, totals) = shown_rows(table, &counted.clone().unwrap_or_else(all));
    let has_counts = counted.is_some()
        && table
            .rows
            .first()
            .is_none_or(|r| r.iter().any(|c| matches!(c, Cell::Count(_))));
    if has_counts {
        grid.push(total_line(table, &totals));
    }
    let numeric: Vec<bool> = (0..table.columns.len())
        .map(|i| table.rows.first().is_some_and(|r| r[i].as_text().is_none()))
        .collect();
    let ruled = has_counts && !table.rows.is_empty();
    let mut out = layout(&grid, &numeric, ruled, color);
    if table.rows.is_empty() {
        out.push_str("(no TLS rows)\n");
    } else if grid.iter().flatten().any(|(_, m)| *m) {
        out.push_str("! = negotiated below TLS 1.2\n");
    }
    out
}

/// The header and the rows as shown, with the column sums of the
/// `counted` rows.
fn shown_rows(table: &Table, counted: &[bool]) -> (Vec<Vec<Shown>>, Vec<u64>) {
    let legacy: Vec<bool> = table.columns.iter().map(|c| is_legacy_label(c)).collect();
    // Columns whose values are versions (cipher, session, legacy reports).
    let versions: Vec<bool> = table
        .columns
        .iter()
        .map(|c| matches!(*c, "tls_version" | "lowest_version"))
        .collect();
    let mut grid: Vec<Vec<Shown>> = Vec::with_capacity(table.rows.len() + 2);
    grid.push(
        table
            .columns
            .iter()
            .map(|c| (c.to_string(), false))
            .collect(),
    );
    let mut totals = vec![0u64; table.columns.len()];
    for (row, &counted) in table.rows.iter().zip(counted) {
        let mut line = Vec::with_capacity(row.len());
        for (i, cell) in row.iter().enumerate() {
            if let (Cell::Count(n), true) = (cell, counted) {
                totals[i] += n;
            }
            line.push(shown(cell, legacy[i], versions[i]));
        }
        grid.push(line);
    }
    (grid, totals)
}

/// One cell: counts of a legacy version above 0 and a version below TLS
/// 1.2 are marked; log text that reads like one (an EHLO name) is not.
fn shown(cell: &Cell, legacy_column: bool, version_column: bool) -> Shown {
    match cell {
        Cell::Count(n) => {
            let marked = legacy_column && *n > 0;
            (format!("{n}{}", if marked { "!" } else { "" }), marked)
        }
        Cell::Bits(b) => (b.map(|n| n.to_string()).unwrap_or_default(), false),
        Cell::Hundredths(n) => (super::hundredths(*n), false),
        Cell::Flag(b) => (if *b { "yes" } else { "no" }.to_string(), false),
        Cell::Text(s) => {
            let marked = version_column && is_legacy_label(s);
            let mark = if marked { "!" } else { "" };
            (format!("{}{mark}", sanitize(s)), marked)
        }
        Cell::Bytes(b) => (sanitize(&String::from_utf8_lossy(b)).into_owned(), false),
    }
}

/// `total` and the sum under each count column.
fn total_line(table: &Table, totals: &[u64]) -> Vec<Shown> {
    (0..table.columns.len())
        .map(|i| match table.rows.first().map(|r| &r[i]) {
            Some(Cell::Count(_)) => (totals[i].to_string(), false),
            _ if i == 0 => ("total".to_string(), false),
            _ => (String::new(), false),
        })
        .collect()
}

/// The grid in aligned columns (numbers to the right), a rule above the
/// last row when `ruled`.
fn layout(grid: &[Vec<Shown>], numeric: &[bool], ruled: bool, color: bool) -> String {
    let widths: Vec<usize> = (0..numeric.len())
        .map(|i| grid.iter().map(|r| r[i].0.width()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let last_row = grid.len() - 1;
    for (r, row) in grid.iter().enumerate() {
        if r == last_row && ruled {
            let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "-".repeat(rule));
        }
        let mut line = String::new();
        for (i, (text, marked)) in row.iter().enumerate() {
            let pad = widths[i] - text.width();
            if i > 0 {
                line.push_str("  ");
            }
            let painted = if *marked && color {
                Cow::Owned(format!("{RED}{text}{RESET}"))
            } else {
                Cow::Borrowed(text.as_str())
            };
            if numeric[i] {
                line.push_str(&" ".repeat(pad));
                line.push_str(&painted);
            } else {
                line.push_str(&painted);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The terminal default: totals by version and per source, the connector
/// table, the servers, coverage and readiness verdicts, and the fallout.
pub(crate) fn overview(reports: &Reports, color: bool) -> String {
    let mut out = scan_line(reports);
    out.push_str(&negotiations_line(&reports.summary, color));
    out.push_str(&source_lines(reports, color));
    out.push('\n');
    if let Some(t) = reports.table(super::connector::KIND) {
        out.push_str(&write(t, color));
    }
    out.push_str(&server_lines(reports));
    if let Some(t) = reports.table(super::coverage::KIND) {
        out.push_str(&coverage_lines(t));
    }
    if let Some(t) = reports.table(super::readiness::KIND) {
        out.push_str("\nReadiness (per server, then per connector and IIS site):\n");
        match readiness_lines(t) {
            Some(lines) => out.push_str(&lines),
            // A readiness table without its columns ends the overview.
            None => return out,
        }
    }
    out.push_str(&fallout_lines(reports));
    out
}

/// Files, size and lines read, and the sessions by class.
fn scan_line(reports: &Reports) -> String {
    let s = &reports.summary;
    let mut out = format!(
        "{}, {}, {} lines",
        super::count(s.files, "file", "files"),
        super::size_text(s.bytes),
        s.lines
    );
    if reports.table(super::readiness::KIND).is_some() {
        let _ = write!(
            out,
            "; {} sessions: {} TLS, {} failed, {} plaintext, {} idle, {} unknown",
            s.sessions.iter().sum::<u64>(),
            s.sessions[0],
            s.sessions[1],
            s.sessions[2],
            s.sessions[3],
            s.sessions[4]
        );
    }
    out.push('\n');
    out
}

/// `Negotiations:` by version, then the failures.
fn negotiations_line(s: &super::Summary, color: bool) -> String {
    let mut out = String::from("Negotiations:");
    for v in Version::ALL {
        let n = s.by_version[v.index()];
        let mark = if v.is_legacy() && n > 0 { "!" } else { "" };
        let cell = format!("{n}{mark}");
        if !mark.is_empty() && color {
            let _ = write!(out, "  {} {RED}{cell}{RESET}", v.label());
        } else {
            let _ = write!(out, "  {} {cell}", v.label());
        }
    }
    let _ = writeln!(out, "  failed {}", s.failures);
    out
}

/// A line per source (SMTP each way, HTTPS): what is below TLS 1.2 where,
/// and how ready its servers are.
fn source_lines(reports: &Reports, color: bool) -> String {
    let mut out = String::new();
    if let Some(t) = reports.table(super::connector::KIND) {
        let cols = [
            "SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other", "failed",
        ];
        for d in ["receive", "send"] {
            let is = |r: &[Cell]| r.first().and_then(Cell::as_text).is_some_and(|x| x == d);
            let n = column_sums(t, &is, &cols);
            if n.iter().sum::<u64>() == 0 {
                continue;
            }
            let _ = write!(out, "  SMTP {d:<8}");
            for (c, v) in cols.iter().zip(n) {
                out.push_str(&marked_count(c, v, color));
            }
            out.push_str(&readiness_of(reports, "connector", d));
            out.push('\n');
        }
    }
    if let Some(t) = reports.table(super::http_app::KIND) {
        let cols = [
            "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other", "requests",
        ];
        let n = column_sums(t, &|_| true, &cols);
        out.push_str("  HTTPS (IIS)  ");
        for (c, v) in cols.iter().zip(n) {
            out.push_str(&marked_count(c, v, color));
        }
        out.push_str(&readiness_of(reports, "https", ""));
        out.push('\n');
    }
    out
}

/// `  TLS1.0 3!`: a count after its label, marked when legacy and above 0.
fn marked_count(label: &str, n: u64, color: bool) -> String {
    let legacy = is_legacy_label(label) && n > 0;
    match (legacy, color) {
        (true, true) => format!("  {label} {RED}{n}!{RESET}"),
        (true, false) => format!("  {label} {n}!"),
        _ => format!("  {label} {n}"),
    }
}

/// The sums of the count columns `cols` over the rows `filter` keeps.
fn column_sums(t: &Table, filter: &dyn Fn(&[Cell]) -> bool, cols: &[&str]) -> Vec<u64> {
    cols.iter()
        .map(|c| {
            let i = t.columns.iter().position(|x| x == c);
            t.rows
                .iter()
                .filter(|r| filter(r))
                .map(|r| match i.map(|i| &r[i]) {
                    Some(Cell::Count(n)) => *n,
                    _ => 0,
                })
                .sum()
        })
        .collect()
}

/// Each server's first and last record (session mode).
fn server_lines(reports: &Reports) -> String {
    let s = &reports.summary;
    if s.servers.is_empty() || reports.table(super::readiness::KIND).is_none() {
        return String::new();
    }
    let mut out = String::from("\nServers (first and last record):\n");
    let width = s.servers.iter().map(|i| i.name.width()).max().unwrap_or(0);
    for i in &s.servers {
        let span = match (i.coverage.first, i.coverage.last) {
            (Some(a), Some(b)) => format!(
                "{} to {} ({})",
                super::readiness::minute(a),
                super::readiness::minute(b),
                super::readiness::duration_text(b - a)
            ),
            _ => "no records".into(),
        };
        let _ = writeln!(
            out,
            "{}{}  {span}, {}",
            sanitize(&i.name),
            " ".repeat(width - i.name.width()),
            super::count(i.files, "file", "files")
        );
    }
    out
}

/// A line per readiness verdict: the server's, then its connectors' and
/// sites' indented; `None` when the table lacks a column it needs.
fn readiness_lines(t: &Table) -> Option<String> {
    let col = |name: &str| t.columns.iter().position(|c| *c == name);
    let (scope, dir, server) = (col("scope")?, col("direction")?, col("server")?);
    let (conn, verdict) = (col("connector")?, col("verdict")?);
    let mut out = String::new();
    for row in &t.rows {
        let text = |i: usize| row[i].as_text().unwrap_or_default();
        let v = text(verdict);
        let (scope, dir) = (text(scope), text(dir));
        if scope == "server" {
            let _ = writeln!(out, "{}: {}", sanitize(&text(server)), sanitize(&v));
        } else {
            // A connector row names its direction; an IIS site row, HTTPS.
            let _ = writeln!(
                out,
                "  {:<8} {}: {}",
                if dir.is_empty() { scope } else { dir },
                sanitize(&text(conn)),
                sanitize(&v)
            );
        }
    }
    Some(out)
}

/// The TLS-RPT totals per policy domain, under the `tlsrpt` table and the
/// overview; empty without TLS-RPT reports.
pub(crate) fn tlsrpt_totals(rpt: &crate::tlsrpt::Read) -> String {
    let totals = rpt.totals();
    if totals.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nTLS-RPT ({}), sessions per policy domain:\n",
        super::count(
            rpt.files - rpt.skipped - rpt.duplicates,
            "report",
            "reports"
        )
    );
    for (domain, (ok, failed)) in totals {
        out.push_str(&format!(
            "  {}: {ok} successful, {failed} failed\n",
            sanitize(&domain)
        ));
    }
    out
}

/// `EX01: after TLS 1.0/1.1 stopped working on 2024-03-10: 2 remotes
/// recovered, 1 fell back to plaintext, 1 blocked`, a line per server
/// whose switch the logs show (`--by fallout` has the rows).
pub(crate) fn fallout_lines(reports: &Reports) -> String {
    let Some(t) = reports.table(super::fallout::KIND) else {
        return String::new();
    };
    let col = |name: &str| t.columns.iter().position(|c| *c == name);
    let (Some(server), Some(outcome)) = (col("server"), col("outcome")) else {
        return String::new();
    };
    let mut out = String::new();
    for (name, day) in &reports.summary.switches {
        let mut n = [0u64; 4];
        let labels = [
            "recovered",
            "fell_back_to_plaintext",
            "blocked",
            "new_failure",
        ];
        for row in t
            .rows
            .iter()
            .filter(|r| r[server].as_text().as_deref() == Some(name))
        {
            if let Some(i) = labels
                .iter()
                .position(|l| row[outcome].as_text().as_deref() == Some(*l))
            {
                n[i] += 1;
            }
        }
        let date = crate::parse::stamp::format_millis(*day);
        let _ = write!(
            out,
            "{}: after TLS 1.0/1.1 stopped working on {}: {} recovered, {} fell back to plaintext, {} blocked",
            sanitize(name),
            date.get(..10).unwrap_or(&date),
            super::count(n[0], "remote", "remotes"),
            n[1],
            n[2]
        );
        if n[3] > 0 {
            let _ = write!(
                out,
                "; {} failed that never used old TLS",
                super::count(n[3], "new remote", "new remotes")
            );
        }
        out.push('\n');
    }
    if !out.is_empty() {
        out.insert_str(0, "\nAfter the switch (--by fallout):\n");
    }
    out
}

/// Per server: how many of its connectors the logs cover, and the blind
/// ones with their status (`--by coverage` has the rest).
fn coverage_lines(t: &Table) -> String {
    let col = |name: &str| t.columns.iter().position(|c| *c == name);
    let (Some(server), Some(conn), Some(status)) = (col("server"), col("connector"), col("status"))
    else {
        return String::new();
    };
    let mut per: std::collections::BTreeMap<String, (usize, usize, Vec<String>)> =
        Default::default();
    for row in &t.rows {
        let text = |i: usize| row[i].as_text().unwrap_or_default().into_owned();
        let e = per.entry(text(server)).or_default();
        e.1 += 1;
        match text(status).as_str() {
            "covered" => e.0 += 1,
            "disabled" | "ignored" => {}
            s => e.2.push(format!("{} ({s})", text(conn))),
        }
    }
    if per.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nCoverage (connectors the logs speak for; see --by coverage):\n");
    for (name, (covered, all, blind)) in &per {
        let blind = match blind.is_empty() {
            true => String::new(),
            false => format!("; blind: {}", blind.join(", ")),
        };
        let _ = writeln!(
            out,
            "{}: {covered} of {all} covered{}",
            sanitize(name),
            sanitize(&blind)
        );
    }
    out
}

/// ` | readiness: 1 not_ready, 2 ready` for one source: each server
/// counted once, with the worst status of its rows of that `scope` (and
/// direction); empty without a readiness report or such rows.
fn readiness_of(reports: &Reports, scope: &str, direction: &str) -> String {
    let Some(t) = reports.table(super::readiness::KIND) else {
        return String::new();
    };
    let col = |name: &str| t.columns.iter().position(|c| *c == name);
    let (Some(sc), Some(dir), Some(server), Some(status)) =
        (col("scope"), col("direction"), col("server"), col("status"))
    else {
        return String::new();
    };
    const WORST_FIRST: [&str; 3] = ["not_ready", "insufficient_data", "ready"];
    let mut worst: std::collections::BTreeMap<String, usize> = Default::default();
    for row in &t.rows {
        let text = |i: usize| row[i].as_text().unwrap_or_default();
        if text(sc) != scope || text(dir) != direction {
            continue;
        }
        let rank = WORST_FIRST
            .iter()
            .position(|s| *s == text(status))
            .unwrap_or(1);
        let e = worst.entry(text(server).into_owned()).or_insert(rank);
        *e = (*e).min(rank);
    }
    if worst.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = WORST_FIRST
        .iter()
        .enumerate()
        .filter_map(|(rank, label)| {
            let n = worst.values().filter(|&&r| r == rank).count();
            (n > 0).then(|| format!("{n} {label}"))
        })
        .collect();
    format!(
        "  | servers by their least ready {}: {}",
        if scope == "https" {
            "site"
        } else {
            "connector"
        },
        parts.join(", ")
    )
}

fn is_legacy_label(s: &str) -> bool {
    Version::ALL.iter().any(|v| v.is_legacy() && v.label() == s)
}

/// Log text is written by anyone on the Internet: control characters and
/// bidirectional overrides are shown escaped, never sent to the terminal.
pub(crate) fn sanitize(s: &str) -> Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            kind: crate::report::connector::KIND,
            columns: vec!["direction", "connector", "TLS1.0", "TLS1.2", "total"],
            rows: vec![
                vec![
                    Cell::Text("receive".into()),
                    Cell::Text("EX\\Default \x1b[2J".into()),
                    Cell::Count(3),
                    Cell::Count(10),
                    Cell::Count(13),
                ],
                vec![
                    Cell::Text("send".into()),
                    Cell::Text("组织内".into()),
                    Cell::Count(0),
                    Cell::Count(5),
                    Cell::Count(5),
                ],
            ],
        }
    }

    #[test]
    fn aligned_with_totals_and_marks() {
        let out = write(&sample(), false);
        let expected = "\
direction  connector           TLS1.0  TLS1.2  total
receive    EX\\Default \\x1b[2J      3!      10     13
send       组织内                   0       5      5
----------------------------------------------------
total                               3      15     18
! = negotiated below TLS 1.2
";
        assert_eq!(out, expected);
        assert!(!out.contains('\x1b'));
    }

    /// The legacy table marks the versions below TLS 1.2 it names, as the
    /// footnote says: `lowest_version` TLS1.0 gets a `!`, a remote with
    /// only weak ciphers at TLS1.2 none, and log text that reads like a
    /// version (an EHLO name `SSL3`) none either.
    #[test]
    fn legacy_versions_are_marked_like_counts() {
        let text = |s: &str| Cell::Text(s.into());
        let table = Table {
            kind: crate::report::legacy::KIND,
            columns: vec!["remote_ip", "ehlo", "lowest_version", "legacy_sessions"],
            rows: vec![
                vec![
                    text("10.0.0.1"),
                    text("scan"),
                    text("TLS1.0"),
                    Cell::Count(2),
                ],
                vec![
                    text("10.0.0.2"),
                    text("SSL3"),
                    text("TLS1.2"),
                    Cell::Count(0),
                ],
            ],
        };
        // Widths: remote_ip 9, ehlo 4, lowest_version 14, legacy_sessions
        // 15 (numeric, right-aligned); rule 9+4+14+15 + 3 gaps of 2 = 48.
        let expected = "\
remote_ip  ehlo  lowest_version  legacy_sessions
10.0.0.1   scan  TLS1.0!                       2
10.0.0.2   SSL3  TLS1.2                        0
------------------------------------------------
total                                          2
! = negotiated below TLS 1.2
";
        assert_eq!(write(&table, false), expected);
        let red = write(&table, true);
        assert!(red.contains("\x1b[1;31mTLS1.0!\x1b[0m"), "{red}");
        assert!(!red.contains("\x1b[1;31mSSL3"), "{red}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(write(&sample(), true).contains("\x1b[1;31m3!\x1b[0m"));
    }

    #[test]
    fn sanitize_escapes() {
        assert_eq!(sanitize("ok"), "ok");
        assert_eq!(sanitize("a\x07b\u{202e}c"), "a\\x07b\\u{202e}c");
    }
}
