//! The HTML page: sections in order, numbers that agree with the CSV,
//! every chart well-formed SVG, hostile text escaped, nothing loaded.

use crate::util::{exlog, exlog_on, write};

fn page(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(["-o".into(), out.display().to_string()]);
    let run = exlog(&all);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn the_sample_page_has_every_section_in_order_and_its_numbers() {
    let html = page(&["sample-logs"]);
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("missing {needle}"))
    };
    let order = [
        "id=\"read\"",
        "id=\"readiness\"",
        "id=\"trend\"",
        "id=\"burndown\"",
        "id=\"connectors\"",
        "id=\"legacy\"",
        "id=\"failures\"",
        "id=\"ciphers\"",
    ];
    let places: Vec<usize> = order.iter().map(|n| at(n)).collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{places:?}");
    // scripts/make_sample_logs.py: EX03 is ready, EX01 and EX02 are not,
    // EX03's Partner Relay has only a failure.
    assert!(html.contains("<td>EX03</td><td><span class=\"badge ready\">ready</span>"));
    assert!(html.contains("<td>EX01</td><td><span class=\"badge not_ready\">not ready</span>"));
    assert!(html.contains(
        "<td>send Partner Relay</td><td><span class=\"badge insufficient_data\">insufficient data</span>"
    ));
    // Two daily charts (receive, send), EX03's burn-down (the only server
    // with more than a week of logs) and one per connector, each parsed.
    let mut charts = 0;
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").unwrap() + start + 6;
        let svg = &rest[start..end];
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        // Bars carry a tooltip; legend swatches do not.
        let bars = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("rect") && n.children().any(|c| c.has_tag_name("title")))
            .count();
        assert!(bars > 0, "a chart with bars");
        charts += 1;
        rest = &rest[end..];
    }
    assert_eq!(charts, 4);
    // The connector table's row equals the CSV's.
    assert!(html.contains(
        "<td>receive</td><td>EX01\\Default Frontend EX01</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n legacy\">1</td><td class=\"n\">8</td>"
    ));
    assert!(html.len() < 200_000, "{}", html.len());
    // Nothing to load, nothing to run.
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    for bad in ["<script", "<link", "<img", "<iframe", "https://", "@import"] {
        assert!(!html.contains(bad), "{bad}");
    }
    // The same bytes on a second run.
    assert_eq!(html, page(&["sample-logs"]));
}

#[test]
fn hostile_names_are_text_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let tls = "\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_RC4 with strength 128 bits, MAC hash algorithm CALG_MD5 with strength 128 bits and key exchange algorithm CALG_RSA_KEYX with strength 1024 bits\"";
    let rows = [
        ("+", "", ""),
        ("<", "EHLO <script>alert(1)</script>", ""),
        ("*", "", tls),
        ("-", "", "Local"),
    ];
    let mut log = String::from("#Log-type: SMTP Receive Protocol Log\r\n");
    for (seq, (event, data, ctx)) in rows.iter().enumerate() {
        log.push_str(&format!(
            "2024-03-01T10:00:0{seq}.000Z,EX1\\<b>Front</b>,08DC000000000001,{seq},10.0.0.1:25,192.0.2.9:5000,{event},\"{}\",{ctx}\r\n",
            data.replace('"', "\"\"")
        ));
    }
    write(&dir.path().join("RECV2024030110-1.LOG"), log.as_bytes());
    let out = dir.path().join("r.html");
    let run = exlog_on(dir.path(), &["-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the EHLO, as text"
    );
    assert!(html.contains("EX1\\&lt;b&gt;Front&lt;/b&gt;"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<b>Front"));
    // The RC4/MD5 suite is marked weak.
    assert!(html.contains("<td class=\"weak\">RC4</td>"));
}

#[test]
fn html_needs_a_file() {
    let run = exlog(["sample-logs", "--format", "html"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("--format html writes a page: add -o report.html")
    );
}

#[test]
fn iis_and_tlsrpt_sections_appear_when_present() {
    let html = page(&["sample-logs", "tests/data/iis", "tests/data/tlsrpt"]);
    let https = html.find("id=\"https\"").expect("HTTPS section");
    let rpt = html.find("id=\"tlsrpt\"").expect("TLS-RPT section");
    assert!(html.find("id=\"ciphers\"").unwrap() < https && https < rpt);
    // The RFC example's three failure details; 4 distinct reports (the
    // Google copy is the same report).
    assert!(
        html.contains("3 rows with failure details, of 6 from 4 reports"),
        "{html}"
    );
    assert!(html.contains("<td>starttls-not-supported</td>"));
    // The phone at TLS 1.0 is among the clients below TLS 1.2.
    assert!(html.contains("Clients below TLS 1.2: 3"));
    assert!(!page(&["sample-logs"]).contains("id=\"tlsrpt\""));
}

/// The part of the page from the heading `id` to the next heading.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start + 1..]
        .find("<h2")
        .map_or(html.len(), |e| start + 1 + e);
    &html[start..end]
}

#[test]
fn failures_name_the_connector_and_the_remote_as_the_failure_report() {
    let html = page(&["sample-logs"]);
    let failures = section(&html, "failures");
    assert!(
        failures.contains(
            "<tr><th>direction</th><th>server</th><th>connector</th><th>remote_<wbr>ip</th>\
             <th>error</th><th>sessions</th></tr>"
        ),
        "{failures}"
    );
    // truth.json's three failure rows (scripts/make_sample_logs.py).
    for row in [
        [
            "receive",
            "EX01",
            "EX01\\Default Frontend EX01",
            "198.51.100.99",
            "AlgorithmMismatch",
        ],
        [
            "send",
            "EX01",
            "Outbound to Internet",
            "192.0.2.80",
            "UnknownCredentials",
        ],
        [
            "send",
            "EX03",
            "Partner Relay",
            "192.0.2.80",
            "UnknownCredentials",
        ],
    ] {
        // (Addresses do not wrap: class "ip".)
        let cells: String = row
            .iter()
            .map(|c| match c.parse::<std::net::IpAddr>() {
                Ok(_) => format!("<td class=\"ip\">{c}</td>"),
                Err(_) => format!("<td>{c}</td>"),
            })
            .collect();
        assert!(
            failures.contains(&format!("<tr>{cells}<td class=\"n\">1</td></tr>")),
            "{row:?} in {failures}"
        );
    }
}

/// A daily chart's bars: (x, width, title) of each bar.
fn day_bars(svg: &roxmltree::Document) -> Vec<(f64, f64, String)> {
    svg.root_element()
        .children()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|r| {
            let title = r.children().find(|n| n.has_tag_name("title"))?.text()?;
            Some((
                r.attribute("x")?.parse().ok()?,
                r.attribute("width")?.parse().ok()?,
                title.to_string(),
            ))
        })
        .collect()
}

#[test]
fn the_daily_trend_marks_the_gaps_between_days() {
    let html = page(&["sample-logs"]);
    let chart = |direction: &str| {
        let label = format!("aria-label=\"negotiations per day, {direction}\"");
        let at = html.find(&label).unwrap();
        let start = html[..at].rfind("<svg").unwrap();
        let end = at + html[at..].find("</svg>").unwrap() + 6;
        html[start..end].to_string()
    };
    // sample-logs: EX02's day 2022-12-28, EX03's 2024-02-21 to 2024-03-07,
    // EX01's 2024-03-08. Days between 2022-12-28 and 2024-02-21: 4 to the
    // year's end, 365 in 2023, 31 in January and 20 in February = 420, so
    // 419 days without a record. The receive record at 2031-01-01 (a
    // skewed clock) is left out of the charts: no second gap to 2031.
    assert!(html.contains("left out of these charts"), "the skew note");
    for (direction, gaps) in [
        ("receive", vec!["419 days with no record"]),
        ("send", vec!["419 days with no record"]),
    ] {
        let svg = chart(direction);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let marks: Vec<(f64, String)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line") && n.attribute("class") == Some("break"))
            .map(|n| {
                let x: f64 = n.attribute("x1").unwrap().parse().unwrap();
                let title = n
                    .children()
                    .find(|c| c.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .unwrap_or_default()
                    .to_string();
                (x, title)
            })
            .collect();
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("ax break"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(texts, gaps, "{direction}: {svg}");
        assert_eq!(marks.len(), gaps.len(), "{direction}");
        // The first mark lies between the last bar of 2022-12-28 and the
        // first of 2024-02-21.
        let bars = day_bars(&doc);
        let right_of_2022 = bars
            .iter()
            .filter(|b| b.2.starts_with("2022-12-28 "))
            .map(|b| b.0 + b.1)
            .fold(f64::MIN, f64::max);
        let left_of_2024 = bars
            .iter()
            .filter(|b| b.2.starts_with("2024-02-21 "))
            .map(|b| b.0)
            .fold(f64::MAX, f64::min);
        assert!(
            right_of_2022 < marks[0].0 && marks[0].0 < left_of_2024,
            "{direction}: {right_of_2022} < {} < {left_of_2024}",
            marks[0].0
        );
        // Both sides of a break are named on the axis.
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("ax"))
            .filter_map(|n| n.text())
            .collect();
        assert!(labels.contains(&"2022-12-28"), "{labels:?}");
        assert!(labels.contains(&"2024-02-21"), "{labels:?}");
    }
}

#[test]
fn sizes_are_written_as_people_read_them() {
    let html = page(&["sample-logs"]);
    let read = section(&html, "read");
    // The 58 files read (not the Explorer copy): EX01 115777 bytes (its 8
    // files), EX02 57197, EX03 263947 (`stat -c %s`), 436921 in all.
    // 436921 / 1024 = 426.7 KiB; 115777 / 1024 = 113.1; 57197 / 1024 =
    // 55.9; 263947 / 1024 = 257.8: whole KiB from 10 on.
    assert!(read.contains("<b>427 KiB</b>"), "{read}");
    for (server, size) in [("EX01", "113 KiB"), ("EX02", "56 KiB"), ("EX03", "258 KiB")] {
        let row = read.find(&format!("<tr><td>{server}</td>")).unwrap();
        let end = row + read[row..].find("</tr>").unwrap();
        assert!(
            read[row..end].ends_with(&format!("<td class=\"n\">{size}</td>")),
            "{}",
            &read[row..end]
        );
    }
    assert!(!html.contains("436921"), "no raw byte count");
    let overview = exlog(["sample-logs", "--format", "table", "-q"]).stdout;
    assert!(
        overview.starts_with("58 files, 427 KiB, 2909 lines;"),
        "{overview}"
    );
}

#[test]
fn the_negotiations_card_counts_failures_as_everywhere_else() {
    let html = page(&["sample-logs"]);
    let read = section(&html, "read");
    // connector.csv's `total` column: 4 + 2 + 11 + 1 + 5 + 16 + 18 + 2 +
    // 23 + 1 = 83 negotiations, of which `failed`: 2 + 2 + 3 + 1 = 8.
    assert!(read.contains("<div><b>83</b>negotiations</div>"), "{read}");
    assert!(
        read.contains("<div><b>8</b>failed negotiations</div>"),
        "{read}"
    );
}
