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
use super::{Cell, Reports, Table};
use crate::parse::tls::Version;
use crate::smtp::impact::Impact;
use std::fmt::Write;

/// Rows shown per table; the rest are counted and left to the CSV.
const TOP: usize = 50;

const CSS: &str = "
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
p.note{color:var(--muted);margin:.3em 0}
.kpi{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}
.kpi div{border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:120px}
.kpi b{display:block;font-size:1.25em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.4em 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td{overflow-wrap:anywhere}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.ip{white-space:nowrap}
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
details{margin:.2em 0 1em}summary{color:var(--muted);cursor:pointer}
footer{color:var(--muted);font-size:.85em;margin:2em 0 1em}
@media (max-width:600px){body{font-size:14px}main{padding:8px}th,td{padding:3px 5px}
table.ready thead{display:none}table.ready tr,table.ready td{display:block}
table.ready td{border:0;padding:2px 6px}table.ready tr{border-bottom:1px solid var(--line);padding:4px 0}}
@media print{@page{size:A4;margin:14mm}main{max-width:none;padding:0}.scroll{overflow:visible}
table,figure,svg,tr{break-inside:avoid}h2,h2+p.note,figcaption{break-after:avoid}.badge{border:1px solid #000}
table{font-size:.72em}svg.chart{min-width:0}}
";

/// The version series (and failures) of a table with version columns, for
/// `rows`, one value per row.
fn version_series(t: &Table, rows: &[&Vec<Cell>]) -> Vec<Series> {
    svg::styles()
        .map(|style| {
            let col = t.columns.iter().position(|c| *c == style.label);
            Series {
                label: style.label,
                color: style.color,
                hatched: style.hatched,
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

/// Longest run of days without a record that the daily chart still draws
/// day by day; a longer one is cut out of the axis and marked.
const MAX_EMPTY_DAYS: i64 = 7;

/// The daily chart's time axis over `days` (ascending `yyyy-mm-dd`, one per
/// value of `series`): every day from the first to the last, the days
/// without a record empty, except runs of more than [`MAX_EMPTY_DAYS`]
/// of those, which become breaks. Returns the axis's days, the series
/// over them and the breaks.
fn time_axis(days: &[String], series: Vec<Series>) -> (Vec<String>, Vec<Series>, Vec<svg::Break>) {
    use chrono::{Days, NaiveDate};
    let date = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let mut axis: Vec<String> = Vec::with_capacity(days.len());
    let mut slot = Vec::with_capacity(days.len());
    let mut breaks = Vec::new();
    for (i, d) in days.iter().enumerate() {
        if let Some((a, b)) = i
            .checked_sub(1)
            .and_then(|p| Some((date(&days[p])?, date(d)?)))
        {
            let empty = (b - a).num_days() - 1;
            if empty > MAX_EMPTY_DAYS {
                let text = format!("{empty} days with no record");
                breaks.push(svg::Break {
                    before: axis.len(),
                    text,
                });
            } else {
                let between =
                    (1..=empty.max(0) as u64).filter_map(|k| a.checked_add_days(Days::new(k)));
                axis.extend(between.map(|e| e.format("%Y-%m-%d").to_string()));
            }
        }
        slot.push(axis.len());
        axis.push(d.clone());
    }
    let series = series
        .into_iter()
        .map(|s| {
            let mut values = vec![0; axis.len()];
            for (i, v) in s.values.iter().enumerate() {
                values[slot[i]] = *v;
            }
            Series { values, ..s }
        })
        .collect();
    (axis, series, breaks)
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

/// A time stamp of the reports (`2024-03-08T10:07:00.753Z`) to the
/// minute (`2024-03-08 10:07`), as the page shows times; the whole stamp
/// stays in the cell's tooltip and in the CSV.
fn minute_of(text: &str) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3fZ").ok()?;
    Some(format!("{} {}", &text[..10], &text[11..16]))
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
        // Long names such as `weak_cipher_sessions` may wrap after a `_`.
        let _ = write!(out, "<th>{}</th>", escape(name).replace('_', "_<wbr>"));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows.iter().take(TOP) {
        out.push_str("<tr>");
        for (i, name) in &idx {
            let c = &row[*i];
            let text = cell_text(c);
            let numeric = matches!(c, Cell::Count(_) | Cell::Bits(_) | Cell::Hundredths(_));
            // Text wraps anywhere when the table is too wide; addresses
            // never (they keep their own line).
            let kind = if numeric {
                Some("n")
            } else {
                text.parse::<std::net::IpAddr>().is_ok().then_some("ip")
            };
            let class = match (kind, mark(name, c)) {
                (Some(k), Some(m)) => format!(" class=\"{k} {m}\""),
                (Some(k), None) => format!(" class=\"{k}\""),
                (None, Some(m)) => format!(" class=\"{m}\""),
                (None, None) => String::new(),
            };
            let _ = match minute_of(&text) {
                Some(m) => write!(out, "<td{class} title=\"{}\">{m}</td>", escape(&text)),
                None => write!(out, "<td{class}>{}</td>", escape(&text)),
            };
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
    let Some(t) = reports.table(super::coverage::KIND) else {
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
        "sessions",
        "days_with_logs",
        "missing_days",
        "status",
    ];
    table(
        out,
        t,
        &columns,
        &rows,
        &|name, c| match (name, c.as_text()) {
            ("status", Some(s)) if s == "covered" => Some("covered"),
            ("status", Some(s)) if s != "disabled" && s != "ignored" => Some("blind"),
            _ => None,
        },
    );
}

/// The HTML writer: one self-contained page.
pub struct Html;

impl super::Writer for Html {
    fn write(
        &self,
        doc: &super::Document,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<Vec<String>> {
        out.write_all(page(doc.reports, doc.messages).as_bytes())?;
        Ok(Vec::new())
    }
}

/// The page. `warnings` are the messages also printed to stderr.
pub fn page(reports: &Reports, warnings: &[crate::diagnostic::Diagnostic]) -> String {
    let mut out = String::with_capacity(1 << 16);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>exlog: TLS on Exchange SMTP</title><style>",
    );
    let _ = write!(
        out,
        ":root{{--ink:#1b1f23;--muted:#57606a;--line:#d0d7de;--ok:#00704a;--bad:{};--unk:#6e5a00}}",
        svg::BAD
    );
    out.push_str(CSS);
    out.push_str("</style></head><body><main>");
    out.push_str("<h1>TLS on Exchange SMTP: can TLS 1.0/1.1 be switched off?</h1>");

    read_section(&mut out, reports, warnings);
    readiness_section(&mut out, reports);
    trend_section(&mut out, reports);
    burndown_section(&mut out, &reports.summary);
    connectors_section(&mut out, reports);
    who_to_call_section(&mut out, reports);
    fallout_section(&mut out, reports);
    failures_section(&mut out, reports);
    ciphers_section(&mut out, reports);
    https_section(&mut out, reports);
    tlsrpt_section(&mut out, reports);
    let _ = writeln!(
        out,
        "<footer>Made by exlog {} from Exchange SMTP protocol logs. This page loads \
         nothing from outside and runs no script.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// What was read.
fn read_section(out: &mut String, reports: &Reports, warnings: &[crate::diagnostic::Diagnostic]) {
    let s = &reports.summary;
    out.push_str("<h2 id=\"read\">What was read</h2><div class=\"kpi\">");
    kpi(out, "files", s.files);
    kpi(out, "read", super::size_text(s.bytes));
    kpi(out, "sessions", s.sessions.iter().sum::<u64>());
    // Negotiations successful or failed, as the reports' `total` and
    // readiness's `negotiations` count them.
    kpi(out, "negotiations", s.negotiations + s.failures);
    let legacy: u64 = Version::ALL
        .iter()
        .filter(|v| v.is_legacy())
        .map(|v| s.by_version[v.index()])
        .sum();
    kpi(out, "below TLS 1.2", legacy);
    kpi(out, "failed negotiations", s.failures);
    kpi(out, "plaintext sessions", s.sessions[2]);
    out.push_str("</div>");
    if !s.servers.is_empty() {
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>server</th><th>first record</th>\
             <th>last record</th><th>covers</th><th>files</th><th>size</th></tr></thead><tbody>",
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
                super::size_text(i.bytes)
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
            let _ = write!(out, "<li>{}</li>", escape(&w.message));
        }
        if warnings.len() > TOP {
            let _ = write!(out, "<li>… and {} more</li>", warnings.len() - TOP);
        }
        out.push_str("</ul>");
    }
}

/// Readiness.
fn readiness_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::readiness::KIND) {
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

    coverage_section(out, reports);
}

/// Daily trend, one chart per direction.
fn trend_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::day::KIND) {
        out.push_str("<h2 id=\"trend\">Daily trend</h2>");
        out.push_str(
            "<p class=\"note\">Negotiations per UTC day by TLS version; hatched: below \
             TLS 1.2. Days without records are empty; a dashed line cuts out more than a \
             week of them.</p>",
        );
        let (date, dir) = (col(t, "date"), col(t, "direction"));
        // A skewed clock's day (2031 in logs of 2024) is no day of the logs:
        // it would stretch the time axis. The table marks it.
        let skew = col(t, "clock_skew");
        let skewed = |r: &Vec<Cell>| skew.is_some_and(|i| matches!(r[i], Cell::Flag(true)));
        if t.rows.iter().any(skewed) {
            out.push_str(
                "<p class=\"note\">Records written by a skewed clock (far from their \
                 file's own time) are counted, but left out of these charts: see \
                 <code>--by day</code>, column <code>clock_skew</code>.</p>",
            );
        }
        for d in ["receive", "send"] {
            let rows: Vec<&Vec<Cell>> = t
                .rows
                .iter()
                .filter(|r| dir.is_some_and(|i| cell_text(&r[i]) == d) && !skewed(r))
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
            let (days, series, breaks) = time_axis(&days, version_series(t, &rows));
            out.push_str(&svg::columns(
                &format!("day-{d}"),
                &format!("negotiations per day, {d}"),
                &days,
                &series,
                &breaks,
            ));
            out.push_str("</div></figure>");
        }
    }
}

/// A server's history no longer than this draws no burn-down.
const SHORTEST_BURNDOWN_MS: i64 = 7 * super::window::DAY_MS;

/// The burn-down: per server, legacy sessions and remotes per ISO week over
/// the whole history read, the switch-off marked.
fn burndown_section(out: &mut String, s: &super::Summary) {
    if s.burndown.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"burndown\">Burn-down: legacy use per week</h2>");
    let span = |name: &str| {
        let info = s.servers.iter().find(|i| i.name == name)?;
        Some(info.coverage.last? - info.coverage.first?)
    };
    let longest = s.burndown.iter().filter_map(|w| span(&w.server)).max();
    if longest.is_none_or(|ms| ms <= SHORTEST_BURNDOWN_MS) {
        let _ = write!(
            out,
            "<p class=\"note\">No burn-down: the logs cover one week or less ({} at most); \
             it needs a longer history.</p>",
            longest.map_or_else(|| "no time".into(), super::readiness::duration_text)
        );
        return;
    }
    out.push_str(
        "<p class=\"note\">Per server and ISO week (Monday to Sunday, UTC), over all the \
         history read: the sessions below TLS 1.2 (bars) and the distinct remotes that had \
         one (line). A green line marks the day the logs show TLS 1.0/1.1 was switched off. \
         A week with fewer than 7 days of logs says so under its bar. Readiness above is \
         judged on its window only.</p>",
    );
    let mut rest = &s.burndown[..];
    for n in 0.. {
        let Some(first) = rest.first() else { break };
        let len = rest.iter().take_while(|w| w.server == first.server).count();
        let (weeks, tail) = rest.split_at(len);
        rest = tail;
        match span(&first.server) {
            Some(ms) if ms > SHORTEST_BURNDOWN_MS => server_burndown(out, n, weeks, s),
            ms => {
                let _ = write!(
                    out,
                    "<p class=\"note\">{}: no burn-down, its logs cover {}.</p>",
                    escape(&first.server),
                    ms.map_or_else(|| "no time".into(), super::readiness::duration_text)
                );
            }
        }
    }
}

/// One server's burn-down (`weeks`, in order): a chart, or a line when it
/// had no legacy session at all, then its numbers.
fn server_burndown(
    out: &mut String,
    n: usize,
    weeks: &[super::burndown::Week],
    s: &super::Summary,
) {
    let server = &weeks[0].server;
    if weeks.iter().all(|w| w.legacy_sessions == 0) {
        let _ = write!(
            out,
            "<p>{}: no session below TLS 1.2 in its {}.</p>",
            escape(server),
            super::count(weeks.len() as u64, "week", "weeks")
        );
        return;
    }
    let _ = write!(
        out,
        "<figure class=\"burndown\"><figcaption>{}</figcaption><div class=\"scroll\">",
        escape(server)
    );
    // A partial week's fall is no progress: its label says so.
    let labels: Vec<String> = weeks
        .iter()
        .map(|w| match w.days_with_logs {
            7 => w.week.clone(),
            n => format!("{} ({n}/7 days)", w.week),
        })
        .collect();
    let sessions: Vec<u64> = weeks.iter().map(|w| w.legacy_sessions).collect();
    let remotes: Vec<u64> = weeks.iter().map(|w| w.legacy_remotes).collect();
    out.push_str(&svg::burndown(
        &format!("burndown-{n}"),
        &format!("legacy sessions and remotes per week, {server}"),
        &labels,
        (&sessions, &remotes),
        &switch_marks(weeks, s),
    ));
    out.push_str(
        "</div><details><summary>the numbers</summary><div class=\"scroll\"><table>\
         <thead><tr><th>week</th><th>from</th><th>days with logs</th>\
         <th>legacy sessions</th><th>legacy remotes</th></tr></thead><tbody>",
    );
    for w in weeks {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escape(&w.week),
            escape(&w.week_start),
            w.days_with_logs,
            w.legacy_sessions,
            w.legacy_remotes
        );
    }
    out.push_str("</tbody></table></div></details></figure>");
}

/// Where the logs show the server's switch-off, on its weeks' axis.
fn switch_marks(weeks: &[super::burndown::Week], s: &super::Summary) -> Vec<svg::Mark> {
    use super::burndown::{labels, monday};
    s.switches
        .iter()
        .filter(|(name, _)| *name == weeks[0].server)
        .filter_map(|&(_, ms)| {
            let day = ms.div_euclid(super::window::DAY_MS);
            let (week_start, _) = labels(monday(day))?;
            let at = weeks.iter().position(|w| w.week_start == week_start)?;
            let date = super::readiness::minute(ms).get(..10)?.to_string();
            Some(svg::Mark {
                at,
                frac: (day - monday(day)) as f64 / 7.0,
                text: format!("TLS 1.0/1.1 switched off on {date}"),
            })
        })
        .collect()
}

/// Versions per connector.
fn connectors_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::connector::KIND) {
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
                out,
                "conn",
                "negotiations per connector by TLS version",
                &names,
                t,
                &shown,
            );
        }
        let cols: Vec<&str> = t.columns.clone();
        table(out, t, &cols, &rows, &legacy_count);
    }
}

/// The legacy report's columns the call list leaves out on the page (the
/// CSV has them all): the heading of each group says the impact.
const NOT_ON_CALL_LIST: [&str; 4] = ["versions", "weak_cipher_sessions", "first_legacy", "impact"];

/// Who to call, grouped by what switching old TLS off does to them.
fn who_to_call_section(out: &mut String, reports: &Reports) {
    let Some(t) = reports.table(super::legacy::KIND) else {
        return;
    };
    out.push_str("<h2 id=\"legacy\">Who to call</h2>");
    let _ = write!(
        out,
        "<p class=\"note\">Remotes that negotiated below TLS 1.2 or used a weak suite, \
         grouped by what switching TLS 1.0/1.1 off does to them, most sessions first: \
         the top {TOP} of each group here, all {} in <code>exlog … --by legacy \
         --format csv</code>.</p>",
        t.rows.len()
    );
    let impact = col(t, "impact");
    let columns: Vec<&str> = (super::legacy::COLUMNS.iter().copied())
        .filter(|c| !NOT_ON_CALL_LIST.contains(c))
        .collect();
    for class in Impact::ALL {
        let rows: Vec<&Vec<Cell>> = t
            .rows
            .iter()
            .filter(|r| impact.is_some_and(|i| r[i].as_text().as_deref() == Some(class.label())))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3>{} ({}): {}</h3>",
            escape(class.label()),
            rows.len(),
            escape(class.consequence())
        );
        table(out, t, &columns, &rows, &|name, c| {
            (name == "lowest_version"
                && Version::ALL
                    .iter()
                    .any(|v| v.is_legacy() && Cell::Text(v.label().into()) == *c))
            .then_some("legacy")
        });
    }
}

/// After the switch: a line per switched server, then the remotes.
fn fallout_section(out: &mut String, reports: &Reports) {
    let Some(t) = reports.table(super::fallout::KIND) else {
        return;
    };
    if t.rows.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"fallout\">After the switch</h2>");
    let lines = super::table::fallout_lines(reports);
    for line in lines
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("After"))
    {
        let _ = write!(out, "<p>{}</p>", escape(line));
    }
    let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
    let cols: Vec<&str> = t.columns.clone();
    table(out, t, &cols, &rows, &|name, c| {
        (name == "outcome"
            && matches!(
                c.as_text().as_deref(),
                Some("blocked" | "fell_back_to_plaintext" | "new_failure")
            ))
        .then_some("legacy")
    });
}

/// Failures by error, with where they happened, as `--by failure`.
fn failures_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::failure::KIND) {
        out.push_str("<h2 id=\"failures\">Failures by error</h2>");
        let mut rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        let (err, n) = (col(t, "error"), col(t, "sessions"));
        let key = |r: &Vec<Cell>, i: Option<usize>| i.map(|i| r[i].clone());
        // By error, then most failures first; a stable sort keeps the
        // report's order among equals.
        rows.sort_by(|a, b| {
            key(a, err)
                .cmp(&key(b, err))
                .then_with(|| key(b, n).cmp(&key(a, n)))
        });
        if rows.is_empty() {
            out.push_str("<p class=\"note\">No failed negotiation.</p>");
        } else {
            table(out, t, &t.columns.clone(), &rows, &|_, _| None);
        }
    }
}

/// Ciphers.
fn ciphers_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::cipher::KIND) {
        out.push_str("<h2 id=\"ciphers\">Ciphers</h2>");
        out.push_str(
            "<p class=\"note\">Marked: versions below TLS 1.2, and weak suites (RC4, DES, \
             3DES, RC2, MD5, or under 112 bits).</p>",
        );
        let rows: Vec<&Vec<Cell>> = t.rows.iter().collect();
        table(out, t, &t.columns.clone(), &rows, &|name, c| {
            let text = cell_text(c);
            let weak = match name {
                "cipher" => crate::parse::tls::is_weak_cipher_name(&text),
                "hash" => crate::parse::tls::is_weak_hash_name(&text),
                "cipher_bits" => {
                    matches!(c, Cell::Bits(Some(b)) if crate::parse::tls::is_export_bits(*b))
                }
                "tls_version" => Version::ALL
                    .iter()
                    .any(|v| v.is_legacy() && v.label() == text),
                _ => false,
            };
            weak.then_some("weak")
        });
    }
}

/// HTTPS clients, when IIS logs were read.
fn https_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::http_app::KIND) {
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
                out,
                "http",
                "HTTPS requests per application by TLS version",
                &names,
                t,
                &shown,
            );
        }
        table(out, t, &t.columns.clone(), &rows, &legacy_count);
        if let Some(c) = reports.table(super::http_client::KIND) {
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
                table(out, c, &c.columns.clone(), &legacy, &legacy_count);
            }
        }
    }
}

/// TLS-RPT failures, when reports were read.
fn tlsrpt_section(out: &mut String, reports: &Reports) {
    if let Some(t) = reports.table(super::tlsrpt::KIND) {
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
                out,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::burndown::Week;
    use crate::report::{Coverage, ServerInfo, Summary};

    #[test]
    fn the_time_axis_keeps_empty_days_and_cuts_long_runs_of_them() {
        let days: Vec<String> = ["2024-03-01", "2024-03-03", "2024-03-11", "2024-03-20"]
            .map(String::from)
            .to_vec();
        let series = vec![Series {
            label: "TLS1.2",
            color: "#56B4E9",
            hatched: false,
            values: vec![1, 2, 3, 4],
        }];
        let (axis, series, breaks) = time_axis(&days, series);
        // 03-01 to 03-03: 03-02 empty, drawn. 03-03 to 03-11: 7 empty days
        // (04 to 10), drawn. 03-11 to 03-20: 8 (12 to 19), a break.
        let want = [
            "2024-03-01",
            "2024-03-02",
            "2024-03-03",
            "2024-03-04",
            "2024-03-05",
            "2024-03-06",
            "2024-03-07",
            "2024-03-08",
            "2024-03-09",
            "2024-03-10",
            "2024-03-11",
            "2024-03-20",
        ];
        assert_eq!(axis, want);
        assert_eq!(series[0].values, [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 4]);
        assert_eq!(
            breaks,
            [svg::Break {
                before: 11,
                text: "8 days with no record".into()
            }]
        );
    }

    /// A server named `name` whose logs cover `days` days from 2024-03-04,
    /// with a burn-down row per week of `legacy` sessions.
    fn burndown_server(name: &str, days: i64, legacy: &[u64]) -> (ServerInfo, Vec<Week>) {
        let first = 19786 * super::super::window::DAY_MS;
        let info = ServerInfo {
            name: name.into(),
            coverage: Coverage {
                first: Some(first),
                last: Some(first + days * super::super::window::DAY_MS),
            },
            ..ServerInfo::default()
        };
        let weeks = legacy
            .iter()
            .enumerate()
            .map(|(i, &n)| Week {
                server: name.into(),
                week: format!("2024-W{}", 10 + i),
                week_start: format!("2024-03-{:02}", 4 + 7 * i),
                days_with_logs: 7,
                legacy_sessions: n,
                legacy_remotes: n.min(3),
            })
            .collect();
        (info, weeks)
    }

    #[test]
    fn the_burndown_escapes_server_names_and_marks_the_switch_in_its_week() {
        let hostile = "<img src=x onerror=y>EX01";
        let (a, mut weeks) = burndown_server(hostile, 20, &[9, 4, 0]);
        weeks[2].days_with_logs = 3;
        let (b, short) = burndown_server("EX02", 5, &[2]);
        weeks.extend(short);
        // Switched off on Wednesday 2024-03-13: week 2, two days in.
        let switch = (19786 + 9) * super::super::window::DAY_MS;
        let summary = Summary {
            servers: vec![a, b],
            burndown: weeks,
            switches: vec![(hostile.into(), switch)],
            ..Summary::default()
        };
        let page = page(
            &Reports {
                tables: Vec::new(),
                summary,
            },
            &[],
        );
        assert!(!page.contains("<img"), "escaped");
        assert!(page.contains("<figcaption>&lt;img src=x onerror=y&gt;EX01</figcaption>"));
        assert_eq!(page.matches("<line class=\"switch\"").count(), 1);
        assert!(page.contains("<title>TLS 1.0/1.1 switched off on 2024-03-13</title>"));
        // 880 wide, plot from 56 to 832: three slots of 258.67; the mark
        // is 1 + 2/7 slots in, at 56 + 258.67 * 9/7 = 388.6.
        assert!(page.contains("<line class=\"switch\" x1=\"388.6\""));
        assert!(page.contains("EX02: no burn-down, its logs cover 5.0 days."));
        // Its last week had logs on 3 days: its label says so, no other.
        assert!(page.contains(">2024-W12 (3/7 days)</text>"));
        assert_eq!(page.matches("/7 days)</text>").count(), 1);
    }

    #[test]
    fn hostile_text_is_escaped_and_nothing_is_loaded() {
        let t = Table {
            kind: crate::report::legacy::KIND,
            columns: vec!["direction", "remote_ip", "ehlo", "lowest_version", "impact"],
            rows: vec![vec![
                Cell::Text("receive".into()),
                Cell::Text("192.0.2.1".into()),
                Cell::Text("<script>alert(1)</script><img src=x onerror=y>".into()),
                Cell::Text("TLS1.0".into()),
                Cell::Text("opportunistic".into()),
            ]],
        };
        let page = page(
            &Reports {
                tables: vec![t],
                summary: Summary::default(),
            },
            &[crate::diagnostic::Diagnostic::warning(
                crate::diagnostic::Kind::SkippedFile,
                "<b>warning</b>",
            )],
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
