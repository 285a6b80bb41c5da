//! One self-contained HTML page to send to a change board or a partner:
//! what was read, readiness per server and connector, the daily trend,
//! versions per connector, who to call, failures and ciphers.
//!
//! It loads nothing from outside (no script, no font, no image: charts are
//! inline SVG from [`super::svg`]) and says so in a Content-Security-Policy
//! that forbids everything but its own inline styles. Every text from the
//! logs is escaped. Tables are capped, with the count of the rest, so the
//! page stays small whatever the input.

use super::svg::{self, Series, escape};
use super::{Cell, Kind, Reports, Table};
use crate::parse::tls::Version;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows shown per table; the rest are counted and left to the CSV.
const TOP: usize = 50;

const CSS: &str = "
:root{--ink:#1b1f23;--muted:#57606a;--line:#d0d7de;--ok:#00704a;--bad:#b93a00;--unk:#6e5a00}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1040px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
p.note{color:var(--muted);margin:.3em 0}
.kpi{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}
.kpi div{border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:120px}
.kpi b{display:block;font-size:1.25em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.4em 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.legacy{color:var(--bad);font-weight:600}
tr.server td{background:#f6f8fa;font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:.85em;font-weight:600;color:#fff;white-space:nowrap}
.badge.ready{background:var(--ok)}.badge.not_ready{background:var(--bad)}.badge.insufficient_data{background:var(--unk)}
.weak{color:var(--bad);font-weight:600}
td.blind{color:var(--bad);font-weight:600}td.covered{color:var(--ok)}
svg.chart{width:100%;min-width:640px;height:auto;display:block;margin:.4em 0}
svg .ax{font-size:11px;fill:#444}svg .lg{font-size:12px;fill:#222}
ul.warn{color:var(--muted);font-size:.9em;overflow-wrap:anywhere}
figure{margin:.4em 0}figcaption{font-weight:600}
footer{color:var(--muted);font-size:.85em;margin:2em 0 1em}
@media (max-width:600px){body{font-size:14px}main{padding:8px}th,td{padding:3px 5px}
table.ready thead{display:none}table.ready tr,table.ready td{display:block}
table.ready td{border:0;padding:2px 6px}table.ready tr{border-bottom:1px solid var(--line);padding:4px 0}}
@media print{@page{size:A4;margin:14mm}main{max-width:none;padding:0}.scroll{overflow:visible}
table,figure,svg,tr{break-inside:avoid}h2,h2+p.note,figcaption{break-after:avoid}.badge{border:1px solid #000}
table{font-size:.72em}th{white-space:normal}svg.chart{min-width:0}}
";

/// Colours and hatching per version, then failures (Okabe–Ito palette:
/// distinct for red–green colour blindness; legacy versions hatched, so
/// they stay apart in greyscale print).
fn style(v: Option<Version>) -> (&'static str, &'static str, bool) {
    match v {
        Some(Version::Ssl2) => ("SSL2", "#000000", true),
        Some(Version::Ssl3) => ("SSL3", "#CC79A7", true),
        Some(Version::Tls10) => ("TLS1.0", "#D55E00", true),
        Some(Version::Tls11) => ("TLS1.1", "#E69F00", true),
        Some(Version::Tls12) => ("TLS1.2", "#56B4E9", false),
        Some(Version::Tls13) => ("TLS1.3", "#0072B2", false),
        Some(Version::Other) => ("other", "#999999", false),
        None => ("failed", "#F0E442", false),
    }
}

/// The version series (and failures) of a table with version columns, for
/// the rows `pick` says yes to, one value per row.
fn version_series(t: &Table, rows: &[&Vec<Cell>]) -> Vec<Series> {
    Version::ALL
        .iter()
        .map(|v| Some(*v))
        .chain([None])
        .map(|v| {
            let (label, color, hatched) = style(v);
            let col = t.columns.iter().position(|c| *c == label);
            Series {
                label,
                color,
                hatched,
                values: rows
                    .iter()
                    .map(|r| match col.map(|i| &r[i]) {
                        Some(Cell::Count(n)) => *n,
                        _ => 0,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A horizontal bar chart of the version columns of `rows`, in a box that
/// scrolls sideways on a narrow screen.
fn bars(out: &mut String, id: &str, title: &str, names: &[String], t: &Table, rows: &[&Vec<Cell>]) {
    out.push_str("<div class=\"scroll\">");
    out.push_str(&svg::bars(id, title, names, &version_series(t, rows)));
    out.push_str("</div>");
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.to_string(),
        Cell::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Cell::Count(n) => n.to_string(),
        Cell::Bits(b) => b.map(|n| n.to_string()).unwrap_or_default(),
        Cell::Flag(b) => b.to_string(),
        Cell::Hundredths(n) => super::hundredths(*n),
    }
}

fn col(t: &Table, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| *c == name)
}

/// A table of the named columns of `t`, capped at [`TOP`] rows. `mark`
/// may give a row's cells a class.
fn table(
    out: &mut String,
    t: &Table,
    columns: &[&str],
    rows: &[&Vec<Cell>],
    mark: &dyn Fn(&str, &Cell) -> Option<&'static str>,
) {
    let idx: Vec<(usize, &str)> = columns
        .iter()
        .filter_map(|c| col(t, c).map(|i| (i, *c)))
        .collect();
    out.push_str("<div class=\"scroll\"><table><thead><tr>");
    for (_, name) in &idx {
        let _ = write!(out, "<th>{}</th>", escape(name));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows.iter().take(TOP) {
        out.push_str("<tr>");
        for (i, name) in &idx {
            let c = &row[*i];
            let numeric = matches!(c, Cell::Count(_) | Cell::Bits(_) | Cell::Hundredths(_));
            let class = match (numeric, mark(name, c)) {
                (true, Some(m)) => format!(" class=\"n {m}\""),
                (true, None) => " class=\"n\"".to_string(),
                (false, Some(m)) => format!(" class=\"{m}\""),
                (false, None) => String::new(),
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&cell_text(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if rows.len() > TOP {
        let _ = write!(
            out,
            "<p class=\"note\">{} more rows: see <code>exlog … --by {} --format csv</code>.</p>",
            rows.len() - TOP,
            t.kind.name()
        );
    }
}

fn legacy_count(name: &str, c: &Cell) -> Option<&'static str> {
    let legacy = Version::ALL
        .iter()
        .any(|v| v.is_legacy() && v.label() == name);
    matches!(c, Cell::Count(n) if *n > 0 && legacy).then_some("legacy")
}

fn kpi(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = write!(
        out,
        "<div><b>{}</b>{}</div>",
        escape(&value.to_string()),
        escape(label)
    );
}

/// Which connectors of each server the logs speak for: blind ones (every
/// status but covered, disabled and ignored) in a warm colour.
fn coverage_section(out: &mut String, reports: &Reports) {
    let Some(t) = reports.table(Kind::Coverage) else {
        return;
    };
    if t.rows.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"coverage\">Coverage: what the logs speak for</h2>");
    out.push_str(
        "<p class=\"note\">A server is <b>ready</b> only when every enabled connector logs \
         and its service has records on every day of the window. <b>unknown</b>: no rows and \
         no inventory (Exchange does not log most connectors by default); <b>not_read</b>: \
         its service's folder was not among the inputs.</p>",
    );
    let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
    let columns = [
        "server",
        "direction",
        "connector",
        "source",
        "service",
        "logging",
        "bindings",
        "sessions",
        "days_with_logs",
        "missing_days",
        "status",
    ];
    table(out, t, &columns, &rows, &|name, c| match (name, c.as_text()) {
        ("status", Some(s)) if s == "covered" => Some("covered"),
        ("status", Some(s)) if s != "disabled" && s != "ignored" => Some("blind"),
        _ => None,
    });
}

/// The page. `warnings` are the messages also printed to stderr.
pub fn page(reports: &Reports, warnings: &[String]) -> String {
    let s = &reports.summary;
    let mut out = String::with_capacity(1 << 16);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>exlog: TLS on Exchange SMTP</title><style>",
    );
    out.push_str(CSS);
    out.push_str("</style></head><body><main>");
    out.push_str("<h1>TLS on Exchange SMTP: can TLS 1.0/1.1 be switched off?</h1>");

    // 1. What was read.
    out.push_str("<h2 id=\"read\">What was read</h2><div class=\"kpi\">");
    kpi(&mut out, "files", s.files);
    kpi(&mut out, "bytes", s.bytes);
    kpi(&mut out, "sessions", s.sessions.iter().sum::<u64>());
    kpi(&mut out, "negotiations", s.negotiations);
    let legacy: u64 = Version::ALL
        .iter()
        .filter(|v| v.is_legacy())
        .map(|v| s.by_version[v.index()])
        .sum();
    kpi(&mut out, "below TLS 1.2", legacy);
    kpi(&mut out, "failed negotiations", s.failures);
    kpi(&mut out, "plaintext sessions", s.sessions[2]);
    out.push_str("</div>");
    if !s.servers.is_empty() {
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>server</th><th>first record</th>\
             <th>last record</th><th>covers</th><th>files</th><th>bytes</th></tr></thead><tbody>",
        );
        for i in &s.servers {
            let time = |ms: Option<i64>| {
                ms.map(super::readiness::minute)
                    .unwrap_or_else(|| "no SMTP records".into())
            };
            let span = match (i.coverage.first, i.coverage.last) {
                (Some(a), Some(b)) => super::readiness::duration_text(b - a),
                _ => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&i.name),
                time(i.coverage.first),
                time(i.coverage.last),
                span,
                i.files,
                i.bytes
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if !warnings.is_empty() {
        let _ = write!(
            out,
            "<p class=\"note\">{}:</p><ul class=\"warn\">",
            super::count(warnings.len() as u64, "warning", "warnings")
        );
        for w in warnings.iter().take(TOP) {
            let _ = write!(out, "<li>{}</li>", escape(w));
        }
        if warnings.len() > TOP {
            let _ = write!(out, "<li>… and {} more</li>", warnings.len() - TOP);
        }
        out.push_str("</ul>");
    }

    // 2. Readiness.
    if let Some(t) = reports.table(Kind::Readiness) {
        out.push_str("<h2 id=\"readiness\">Readiness per server and connector</h2>");
        out.push_str(
            "<p class=\"note\">Each server is judged on its own logs: the window is the \
             days before its own latest record. <b>ready</b> needs logs covering the whole \
             window, a negotiation at TLS 1.2 or later in it, and none older.</p>",
        );
        out.push_str(
            "<div class=\"scroll\"><table class=\"ready\"><thead><tr><th>server / connector</th>\
             <th>status</th><th>verdict</th></tr></thead><tbody>",
        );
        let (scope, dir, server, conn, status, verdict) = (
            col(t, "scope"),
            col(t, "direction"),
            col(t, "server"),
            col(t, "connector"),
            col(t, "status"),
            col(t, "verdict"),
        );
        for r in &t.rows {
            let get = |i: Option<usize>| i.map(|i| cell_text(&r[i])).unwrap_or_default();
            let st = get(status);
            let label = st.replace('_', " ");
            let is_server = get(scope) == "server";
            let name = if is_server {
                get(server)
            } else {
                format!("{} {}", get(dir), get(conn))
            };
            let _ = write!(
                out,
                "<tr{}><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
                if is_server { " class=\"server\"" } else { "" },
                escape(&name),
                escape(&st),
                escape(&label),
                escape(&get(verdict))
            );
        }
        out.push_str("</tbody></table></div>");
    }

    coverage_section(&mut out, reports);

    // 3. Daily trend, one chart per direction.
    if let Some(t) = reports.table(Kind::Day) {
        out.push_str("<h2 id=\"trend\">Daily trend</h2>");
        out.push_str(
            "<p class=\"note\">Negotiations per UTC day by TLS version; hatched: below \
             TLS 1.2.</p>",
        );
        let (date, dir) = (col(t, "date"), col(t, "direction"));
        for d in ["receive", "send"] {
            let rows: Vec<&Vec<Cell>> = t
                .rows
                .iter()
                .filter(|r| dir.is_some_and(|i| cell_text(&r[i]) == d))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let days: Vec<String> = rows
                .iter()
                .map(|r| date.map(|i| cell_text(&r[i])).unwrap_or_default())
                .collect();
            let _ = write!(
                out,
                "<figure><figcaption>{d}</figcaption><div class=\"scroll\">"
            );
            out.push_str(&svg::columns(
                &format!("day-{d}"),
                &format!("negotiations per day, {d}"),
                &days,
                &version_series(t, &rows),
            ));
            out.push_str("</div></figure>");
        }
    }

    // 4. Versions per connector.
    if let Some(t) = reports.table(Kind::Connector) {
        out.push_str("<h2 id=\"connectors\">Versions per connector</h2>");
        let (dir, conn) = (col(t, "direction"), col(t, "connector"));
        let mut rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        let total = col(t, "total");
        rows.sort_by_key(|r| {
            std::cmp::Reverse(match total.map(|i| &r[i]) {
                Some(Cell::Count(n)) => *n,
                _ => 0,
            })
        });
        let shown: Vec<&Vec<Cell>> = rows.iter().take(TOP).copied().collect();
        let names: Vec<String> = shown
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    dir.map(|i| cell_text(&r[i])).unwrap_or_default(),
                    conn.map(|i| cell_text(&r[i])).unwrap_or_default()
                )
            })
            .collect();
        if !names.is_empty() {
            bars(
                &mut out,
                "conn",
                "negotiations per connector by TLS version",
                &names,
                t,
                &shown,
            );
        }
        let cols: Vec<&str> = t.columns.clone();
        table(&mut out, t, &cols, &rows, &legacy_count);
    }

    // 5. Who to call.
    if let Some(t) = reports.table(Kind::Legacy) {
        out.push_str("<h2 id=\"legacy\">Who to call</h2>");
        let _ = write!(
            out,
            "<p class=\"note\">Remotes that negotiated below TLS 1.2 or used a weak suite, \
             most sessions first: the top {TOP} here, all {} in <code>exlog … --by legacy \
             --format csv</code>.</p>",
            t.rows.len()
        );
        let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        table(&mut out, t, &super::legacy::COLUMNS, &rows, &|name, c| {
            (name == "lowest_version"
                && Version::ALL
                    .iter()
                    .any(|v| v.is_legacy() && Cell::Text(v.label().into()) == *c))
            .then_some("legacy")
        });
    }

    // 6. Failures by error.
    if let Some(t) = reports.table(Kind::Failure) {
        out.push_str("<h2 id=\"failures\">Failures by error</h2>");
        let (dir, err, n) = (col(t, "direction"), col(t, "error"), col(t, "sessions"));
        let mut by: BTreeMap<(String, String), u64> = BTreeMap::new();
        for r in &t.rows {
            let key = (
                dir.map(|i| cell_text(&r[i])).unwrap_or_default(),
                err.map(|i| cell_text(&r[i])).unwrap_or_default(),
            );
            if let Some(Cell::Count(c)) = n.map(|i| &r[i]) {
                *by.entry(key).or_default() += c;
            }
        }
        let grouped = Table {
            kind: Kind::Failure,
            columns: vec!["direction", "error", "negotiations"],
            rows: by
                .into_iter()
                .map(|((d, e), c)| vec![Cell::Text(d.into()), Cell::Text(e.into()), Cell::Count(c)])
                .collect(),
        };
        let mut rows: Vec<&Vec<Cell>> = grouped.rows.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(matches!(r[2], Cell::Count(c) if c > 0)));
        if rows.is_empty() {
            out.push_str("<p class=\"note\">No failed negotiation.</p>");
        } else {
            table(
                &mut out,
                &grouped,
                &["direction", "error", "negotiations"],
                &rows,
                &|_, _| None,
            );
        }
    }

    // 7. Ciphers.
    if let Some(t) = reports.table(Kind::Cipher) {
        out.push_str("<h2 id=\"ciphers\">Ciphers</h2>");
        out.push_str(
            "<p class=\"note\">Marked: versions below TLS 1.2, and weak suites (RC4, DES, \
             3DES, RC2, MD5, or under 112 bits).</p>",
        );
        let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        table(&mut out, t, &t.columns.clone(), &rows, &|name, c| {
            let text = cell_text(c);
            let weak = match name {
                "cipher" => matches!(text.as_str(), "RC4" | "DES" | "3DES" | "RC2"),
                "hash" => text == "MD5",
                "cipher_bits" => matches!(c, Cell::Bits(Some(b)) if *b > 0 && *b < 112),
                "tls_version" => Version::ALL
                    .iter()
                    .any(|v| v.is_legacy() && v.label() == text),
                _ => false,
            };
            weak.then_some("weak")
        });
    }
    // 8. HTTPS clients, when IIS logs were read.
    if let Some(t) = reports.table(Kind::HttpApp) {
        out.push_str("<h2 id=\"https\">HTTPS clients (IIS)</h2>");
        let (site, server, app) = (col(t, "site"), col(t, "server"), col(t, "application"));
        let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        let names: Vec<String> = rows
            .iter()
            .take(TOP)
            .map(|r| {
                [site, server, app]
                    .iter()
                    .filter_map(|i| i.map(|i| cell_text(&r[i])))
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if !names.is_empty() {
            let shown: Vec<&Vec<Cell>> = rows.iter().take(TOP).copied().collect();
            bars(
                &mut out,
                "http",
                "HTTPS requests per application by TLS version",
                &names,
                t,
                &shown,
            );
        }
        table(&mut out, t, &t.columns.clone(), &rows, &legacy_count);
        if let Some(c) = reports.table(Kind::HttpClient) {
            let legacy: Vec<&Vec<Cell>> = c
                .rows
                .iter()
                .filter(|r| {
                    ["SSL3", "TLS1.0", "TLS1.1"]
                        .iter()
                        .any(|v| col(c, v).is_some_and(|i| matches!(r[i], Cell::Count(n) if n > 0)))
                })
                .collect();
            let _ = write!(
                out,
                "<p class=\"note\">Clients below TLS 1.2: {} (client address and user agent; \
                 all clients in <code>exlog … --by http-client --format csv</code>).</p>",
                legacy.len()
            );
            if !legacy.is_empty() {
                table(&mut out, c, &c.columns.clone(), &legacy, &legacy_count);
            }
        }
    }
    // 8b. TLS-RPT failures, when reports were read.
    if let Some(t) = reports.table(Kind::Tlsrpt) {
        out.push_str(
            "<h2 id=\"tlsrpt\">Outbound TLS failures reported by receivers (TLS-RPT)</h2>",
        );
        let result = col(t, "result_type");
        let failures: Vec<&Vec<Cell>> = t
            .rows
            .iter()
            .filter(|r| result.is_some_and(|i| !cell_text(&r[i]).is_empty()))
            .collect();
        let _ = write!(
            out,
            "<p class=\"note\">{} with failure details, of {} from {} reports (all in \
             <code>exlog … --by tlsrpt --format csv</code>).</p>",
            super::count(failures.len() as u64, "row", "rows"),
            t.rows.len(),
            {
                let id = col(t, "report_id");
                let mut ids: Vec<String> = t
                    .rows
                    .iter()
                    .filter_map(|r| id.map(|i| cell_text(&r[i])))
                    .collect();
                ids.sort();
                ids.dedup();
                ids.len()
            }
        );
        if !failures.is_empty() {
            table(
                &mut out,
                t,
                &[
                    "report_org",
                    "date_start",
                    "policy_domain",
                    "result_type",
                    "sending_ip",
                    "receiving_mx_hostname",
                    "receiving_ip",
                    "failed_sessions",
                ],
                &failures,
                &|_, _| None,
            );
        }
    }
    let _ = writeln!(
        out,
        "<footer>Made by exlog {} from Exchange SMTP protocol logs. This page loads \
         nothing from outside and runs no script.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Summary;

    #[test]
    fn hostile_text_is_escaped_and_nothing_is_loaded() {
        let t = Table {
            kind: Kind::Legacy,
            columns: vec!["direction", "remote_ip", "ehlo", "lowest_version"],
            rows: vec![vec![
                Cell::Text("receive".into()),
                Cell::Text("192.0.2.1".into()),
                Cell::Text("<script>alert(1)</script><img src=x onerror=y>".into()),
                Cell::Text("TLS1.0".into()),
            ]],
        };
        let page = page(
            &Reports {
                tables: vec![t],
                summary: Summary::default(),
            },
            &["<b>warning</b>".into()],
        );
        assert!(!page.contains("<script"));
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;warning&lt;/b&gt;"));
        assert!(page.contains("default-src 'none'"));
        for external in [
            "<script", "<img", "<link", "<iframe", "<object", "https://", "@import", "url(http",
        ] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
