//! Stacked bar charts as inline SVG for the HTML report.
//!
//! Written by hand rather than with a plotting crate: three chart shapes
//! (vertical bars per day, horizontal bars per connector, the weekly
//! burn-down of bars and a line) in a few hundred lines, no dependency,
//! and output we control to the byte (every text escaped, no script, no
//! external reference).

use crate::parse::tls::Version;
use std::fmt::Write;

/// How a TLS version (or, for `None`, a failed negotiation) is drawn: one
/// rule for the HTML report's charts and the workbook's chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    /// The column label (`SSL3`, `TLS1.0`, …, `failed`).
    pub label: &'static str,
    /// `#RRGGBB`.
    pub color: &'static str,
    /// Below TLS 1.2: hatched in the page, so it stays apart in greyscale.
    pub hatched: bool,
}

/// Below TLS 1.2 in warm colours, darkest for the oldest (SSL2 and SSL3
/// red, TLS1.0 orange, TLS1.1 amber), TLS 1.2 and 1.3 in blues, unknown
/// protocols grey and failures near-black, apart from both. The orange,
/// amber and blues are Okabe–Ito's (told apart with red–green colour
/// blindness); legacy is hatched in the page besides.
pub(crate) fn style(v: Option<Version>) -> Style {
    let (label, color, hatched) = match v {
        Some(Version::Ssl2) => ("SSL2", "#7F0000", true),
        Some(Version::Ssl3) => ("SSL3", "#C0182B", true),
        Some(Version::Tls10) => ("TLS1.0", "#D55E00", true),
        Some(Version::Tls11) => ("TLS1.1", "#E69F00", true),
        Some(Version::Tls12) => ("TLS1.2", "#56B4E9", false),
        Some(Version::Tls13) => ("TLS1.3", "#0072B2", false),
        Some(Version::Other) => ("other", "#999999", false),
        None => ("failed", "#333333", false),
    };
    Style {
        label,
        color,
        hatched,
    }
}

/// The mark of a count below TLS 1.2 or a `not_ready` verdict, in the page's
/// tables and badges and in the workbook's conditional formats.
pub(crate) const BAD: &str = "#B93A00";
/// A light tint of [`BAD`], for the background of a whole row.
pub(crate) const BAD_TINT: &str = "#FBE3D8";

/// Every version, then failures: the order of the report columns, the
/// charts' stacks and their legends.
pub(crate) fn styles() -> impl Iterator<Item = Style> {
    Version::ALL
        .iter()
        .map(|v| Some(*v))
        .chain([None])
        .map(style)
}

/// One series of a stacked chart: a TLS version, or failures.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub label: &'static str,
    /// Fill colour (Okabe–Ito: tells apart for red–green colour blindness).
    pub color: &'static str,
    /// Hatched, so that legacy versions stay distinct in greyscale print.
    pub hatched: bool,
    /// One value per category.
    pub values: Vec<u64>,
}

/// Escapes text for HTML and SVG (element text and quoted attributes).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML; show them escaped.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Pattern definitions (hatching) for the hatched series of a chart; ids
/// are made unique per chart with `id`.
fn defs(id: &str, series: &[Series]) -> String {
    let mut out = String::from("<defs>");
    for (i, s) in series.iter().enumerate().filter(|(_, s)| s.hatched) {
        let _ = write!(
            out,
            "<pattern id=\"{id}-p{i}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
             patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\"/>\
             <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\"/></pattern>",
            s.color
        );
    }
    out.push_str("</defs>");
    out
}

fn fill(id: &str, i: usize, s: &Series) -> String {
    if s.hatched {
        format!("url(#{id}-p{i})")
    } else {
        s.color.to_string()
    }
}

/// The legend: a swatch per series that has any value.
fn legend(id: &str, series: &[Series], x0: f64, y: f64, out: &mut String) {
    let mut x = x0;
    for (i, s) in series.iter().enumerate() {
        if s.values.iter().all(|&v| v == 0) {
            continue;
        }
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"lg\">{}</text>",
            y - 10.0,
            fill(id, i, s),
            x + 16.0,
            y,
            escape(s.label)
        );
        x += 24.0 + 7.0 * s.label.len() as f64;
    }
}

/// A round axis maximum and its tick step.
fn scale(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1u64;
    while max / step > 5 {
        step = match step.to_string().as_bytes()[0] {
            b'1' => step * 2,
            b'2' => step / 2 * 5,
            _ => step * 2,
        };
    }
    (max.div_ceil(step) * step, step)
}

/// A break in a time axis: before category `before`, a run of days with no
/// record, cut out of the axis and marked with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Break {
    pub before: usize,
    pub text: String,
}

/// The plot area of a vertical bar chart, in SVG units, and the value at
/// its top.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    height: f64,
    max: u64,
}

/// Horizontal grid lines and the y axis labels, in `step`s.
fn grid(out: &mut String, p: &Plot, step: u64) {
    let mut tick = 0;
    while tick <= p.max {
        let y = p.top + p.height - p.height * tick as f64 / p.max as f64;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"ax\" text-anchor=\"end\">{tick}</text>",
            p.left,
            p.right,
            p.left - 6.0,
            y + 4.0
        );
        tick += step;
    }
}

/// Category `c`'s stacked bar at `x`, `bar` wide: a rectangle per
/// non-zero series, each with a tooltip naming the category.
fn stack(
    out: &mut String,
    id: &str,
    series: &[Series],
    p: &Plot,
    (x, bar): (f64, f64),
    c: usize,
    name: &str,
) {
    let mut y = p.top + p.height;
    for (i, s) in series.iter().enumerate() {
        let v = s.values[c];
        if v == 0 {
            continue;
        }
        let hgt = p.height * v as f64 / p.max as f64;
        y -= hgt;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{hgt:.1}\" fill=\"{}\"><title>{} {}: {v}</title></rect>",
            fill(id, i, s),
            escape(name),
            escape(s.label)
        );
    }
}

/// A break: a dashed line across the plot at `x`, with its text written
/// along it (on a white halo, so that the line does not cross it).
fn break_mark(out: &mut String, p: &Plot, x: f64, text: &str) {
    let (y0, y1) = (p.top, p.top + p.height);
    let mid = p.top + p.height / 2.0;
    let _ = write!(
        out,
        "<line class=\"break\" x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" \
         stroke=\"#333\" stroke-dasharray=\"4 3\"><title>{}</title></line>\
         <text class=\"ax break\" x=\"{x:.1}\" y=\"{mid:.1}\" dy=\"4\" text-anchor=\"middle\" \
         stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\" \
         transform=\"rotate(-90 {x:.1} {mid:.1})\">{}</text>",
        y1 + 8.0,
        escape(text),
        escape(text)
    );
}

/// Vertical stacked bars, one per category (a day), with a legend above;
/// `breaks` are gaps in the axis, each marked. `title` names the chart
/// for screen readers.
pub(crate) fn columns(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[Series],
    breaks: &[Break],
) -> String {
    let (w, h) = (880.0, 300.0);
    let totals: Vec<u64> = (0..categories.len())
        .map(|c| series.iter().map(|s| s.values[c]).sum())
        .collect();
    let (max, step) = scale(totals.iter().copied().max().unwrap_or(0));
    let p = Plot {
        left: 56.0,
        right: w - 12.0,
        top: 34.0,
        height: h - 34.0 - 58.0,
        max,
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"{}\" class=\"chart\">",
        escape(title)
    );
    out.push_str(&defs(id, series));
    grid(&mut out, &p, step);
    let plot_w = p.right - p.left;
    // Each break takes a gap of its own, at most a third of the width.
    let gap = if breaks.is_empty() {
        0.0
    } else {
        (plot_w / 3.0 / breaks.len() as f64).min(28.0)
    };
    let n = categories.len().max(1) as f64;
    let slot = (plot_w - gap * breaks.len() as f64) / n;
    // Thin bars for many days, never a wall for one.
    let bar = (slot * 0.8).clamp(1.0, 48.0);
    let mut gaps_before = 0;
    let mut last_label = f64::MIN;
    for (c, name) in categories.iter().enumerate() {
        let brk = breaks.iter().find(|b| b.before == c);
        if let Some(b) = brk {
            let x = p.left + slot * c as f64 + gap * gaps_before as f64 + gap / 2.0;
            break_mark(&mut out, &p, x, &b.text);
            gaps_before += 1;
        }
        let x = p.left + slot * c as f64 + gap * gaps_before as f64 + (slot - bar) / 2.0;
        stack(&mut out, id, series, &p, (x, bar), c, name);
        // Labels 70 units apart so that they do not overlap, and always
        // the first day after a break.
        let lx = x + bar / 2.0;
        if c == 0 || brk.is_some() || lx - last_label >= 70.0 {
            last_label = lx;
            axis_label(&mut out, lx, p.top + p.height + 14.0, name);
        }
    }
    let base = p.top + p.height;
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\" stroke=\"#333\"/>",
        p.left, p.right
    );
    legend(id, series, p.left, 18.0, &mut out);
    out.push_str("</svg>");
    out
}

/// Horizontal stacked bars, one per category (a connector), names on the
/// left, with a legend above.
pub(crate) fn bars(id: &str, title: &str, categories: &[String], series: &[Series]) -> String {
    let row = 22.0;
    let (left, right, top) = (280.0, 60.0, 34.0);
    let w = 880.0;
    let h = top + row * categories.len().max(1) as f64 + 10.0;
    let totals: Vec<u64> = (0..categories.len())
        .map(|c| series.iter().map(|s| s.values[c]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot_w = w - left - right;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h:.0}\" role=\"img\" \
         aria-label=\"{}\" class=\"chart\">",
        escape(title)
    );
    out.push_str(&defs(id, series));
    for (c, name) in categories.iter().enumerate() {
        let y = top + row * c as f64;
        // Long names are cut, with the whole name in a tooltip.
        let shown: String = if name.chars().count() > 40 {
            name.chars().take(39).chain(['…']).collect()
        } else {
            name.clone()
        };
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"ax\" text-anchor=\"end\">{}<title>{}</title></text>",
            left - 8.0,
            y + 15.0,
            escape(&shown),
            escape(name)
        );
        let mut x = left;
        for (i, s) in series.iter().enumerate() {
            let v = s.values[c];
            if v == 0 {
                continue;
            }
            let wid = plot_w * v as f64 / max as f64;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{wid:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: {v}</title></rect>",
                y + 3.0,
                row - 6.0,
                fill(id, i, s),
                escape(name),
                escape(s.label)
            );
            x += wid;
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"ax\">{}</text>",
            x + 6.0,
            y + 15.0,
            totals[c]
        );
    }
    legend(id, series, left, 18.0, &mut out);
    out.push_str("</svg>");
    out
}

/// A moment marked on a time axis: `frac` (0 to 1) of the way through
/// category `at`, with its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mark {
    pub at: usize,
    pub frac: f64,
    pub text: String,
}

/// The colour of a good event (old TLS switched off): the page's `--ok`.
pub(crate) const OK: &str = "#00704A";

/// The legacy remotes' line: SSL's dark red, apart from the bars' orange
/// in colour and in greyscale.
const REMOTES: &str = "#7F0000";

/// The smallest round step (1, 2, 5, 10, …) that `ticks` steps reach
/// `max` with: a right axis whose ticks fall on the left axis's grid.
fn aligned_step(max: u64, ticks: u64) -> u64 {
    let mut step = 1u64;
    let mut k = 0;
    while step.saturating_mul(ticks.max(1)) < max {
        step = [2, 5, 10][k % 3] * 10u64.pow((k / 3) as u32);
        k += 1;
    }
    step
}

/// The right axis's labels, `step` per grid line of `p`.
fn right_axis(out: &mut String, p: &Plot, left_step: u64, step: u64) {
    let mut tick = 0;
    while tick <= p.max {
        let y = p.top + p.height - p.height * tick as f64 / p.max as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"ax\" fill=\"{REMOTES}\">{}</text>",
            p.right + 6.0,
            y + 4.0,
            tick / left_step * step
        );
        tick += left_step;
    }
}

/// The line of `values` over categories centred at `xs`, scaled so that
/// `top` is the plot's top, with a dot and a tooltip per value.
fn line(out: &mut String, p: &Plot, xs: &[f64], values: &[u64], top: u64, names: &[String]) {
    let y = |v: u64| p.top + p.height - p.height * v as f64 / top.max(1) as f64;
    let points: Vec<String> = xs
        .iter()
        .zip(values)
        .map(|(x, &v)| format!("{x:.1},{:.1}", y(v)))
        .collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{REMOTES}\" stroke-width=\"2\"/>",
        points.join(" ")
    );
    for ((x, &v), name) in xs.iter().zip(values).zip(names) {
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{REMOTES}\"><title>{}: {v} legacy remotes</title></circle>",
            y(v),
            escape(name)
        );
    }
}

/// A switch-off: a solid line across the plot at `x`, its text at the
/// top, on a white halo, on the side with room.
fn switch_mark(out: &mut String, p: &Plot, x: f64, text: &str) {
    let anchor = if x > (p.left + p.right) / 2.0 {
        ("end", x - 4.0)
    } else {
        ("start", x + 4.0)
    };
    let _ = write!(
        out,
        "<line class=\"switch\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" \
         stroke=\"{OK}\" stroke-width=\"2\"><title>{}</title></line>\
         <text class=\"ax switch\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\" fill=\"{OK}\" \
         stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\">{}</text>",
        p.top - 4.0,
        p.top + p.height,
        escape(text),
        anchor.1,
        p.top + 10.0,
        anchor.0,
        escape(text)
    );
}

/// The burn-down's legend: bars, line, and the switch when marked.
fn burndown_legend(out: &mut String, id: &str, x: f64, y: f64, switched: bool) {
    let _ = write!(
        out,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"url(#{id}-p0)\" \
         stroke=\"#333\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{y:.1}\" class=\"lg\">\
         legacy sessions (left axis)</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{REMOTES}\" stroke-width=\"2\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\" class=\"lg\">legacy remotes (right axis)</text>",
        y - 10.0,
        x + 16.0,
        x + 210.0,
        y - 4.0,
        x + 226.0,
        y - 4.0,
        x + 232.0,
    );
    if switched {
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"{OK}\" stroke-width=\"2\"/>\
             <text x=\"{3:.1}\" y=\"{y:.1}\" class=\"lg\">TLS 1.0/1.1 switched off</text>",
            x + 440.0,
            y - 11.0,
            y + 1.0,
            x + 448.0,
        );
    }
}

/// A burn-down: `sessions` per week as hatched bars on the left axis,
/// `remotes` as a line on the right axis (its ticks on the same grid),
/// and `marks` (the switch-off) as lines across. `title` names the chart
/// for screen readers.
pub(crate) fn burndown(
    id: &str,
    title: &str,
    weeks: &[String],
    (sessions, remotes): (&[u64], &[u64]),
    marks: &[Mark],
) -> String {
    let (w, h) = (880.0, 290.0);
    let (max, step) = scale(sessions.iter().copied().max().unwrap_or(0));
    // Room below for a slanted `2024-W18 (4/7 days)`.
    let p = Plot {
        left: 56.0,
        right: w - 48.0,
        top: 34.0,
        height: h - 34.0 - 92.0,
        max,
    };
    let r_step = aligned_step(remotes.iter().copied().max().unwrap_or(0), max / step);
    let bars = Series {
        label: "legacy sessions",
        color: style(Some(Version::Tls10)).color,
        hatched: true,
        values: sessions.to_vec(),
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"{}\" class=\"chart\">",
        escape(title)
    );
    out.push_str(&defs(id, std::slice::from_ref(&bars)));
    grid(&mut out, &p, step);
    right_axis(&mut out, &p, step, r_step);
    let slot = (p.right - p.left) / weeks.len().max(1) as f64;
    let bar = (slot * 0.6).clamp(1.0, 48.0);
    let xs: Vec<f64> = (0..weeks.len())
        .map(|c| p.left + slot * (c as f64 + 0.5))
        .collect();
    let mut last_label = f64::MIN;
    for (c, name) in weeks.iter().enumerate() {
        stack(
            &mut out,
            id,
            std::slice::from_ref(&bars),
            &p,
            (xs[c] - bar / 2.0, bar),
            c,
            name,
        );
        if c == 0 || xs[c] - last_label >= 70.0 {
            last_label = xs[c];
            axis_label(&mut out, xs[c], p.top + p.height + 14.0, name);
        }
    }
    let base = p.top + p.height;
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\" stroke=\"#333\"/>",
        p.left, p.right
    );
    line(&mut out, &p, &xs, remotes, max / step * r_step, weeks);
    for m in marks {
        switch_mark(
            &mut out,
            &p,
            p.left + slot * (m.at as f64 + m.frac),
            &m.text,
        );
    }
    burndown_legend(&mut out, id, p.left, 18.0, !marks.is_empty());
    out.push_str("</svg>");
    out
}

/// A category's label under the axis, slanted.
fn axis_label(out: &mut String, x: f64, y: f64, name: &str) {
    let _ = write!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" class=\"ax\" text-anchor=\"end\" \
         transform=\"rotate(-35 {x:.1} {y:.1})\">{}</text>",
        escape(name)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> Vec<Series> {
        vec![
            Series {
                label: "TLS1.0",
                color: "#D55E00",
                hatched: true,
                values: vec![3, 0],
            },
            Series {
                label: "TLS1.2",
                color: "#009E73",
                hatched: false,
                values: vec![5, 7],
            },
        ]
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b"
        );
    }

    #[test]
    fn charts_are_well_formed_xml_with_a_bar_per_value() {
        let cats = vec!["2024-03-08".to_string(), "<b>&x".to_string()];
        for svg in [
            columns("d", "by day", &cats, &series(), &[]),
            bars("c", "by connector", &cats, &series()),
        ] {
            let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
            let rects = doc
                .descendants()
                .filter(|n| {
                    n.has_tag_name("rect") && n.parent().is_some_and(|p| p.has_tag_name("svg"))
                })
                .count();
            // 3 non-zero values, plus 2 legend swatches.
            assert_eq!(rects, 5, "{svg}");
            assert!(!svg.contains("<b>"));
            assert!(svg.contains("url(#"), "legacy versions are hatched");
        }
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(23), (25, 5));
        assert_eq!(scale(950), (1000, 200));
    }
}
