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
    // Two daily charts (receive, send) and one per connector, each parsed.
    let mut charts = 0;
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").unwrap() + start + 6;
        let svg = &rest[start..end];
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        let bars = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("rect"))
            .count();
        assert!(bars > 2, "a chart with bars");
        charts += 1;
        rest = &rest[end..];
    }
    assert_eq!(charts, 3);
    // The connector table's row equals the CSV's.
    assert!(html.contains(
        "<td>receive</td><td>EX01\\Default Frontend EX01</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n legacy\">2</td><td class=\"n legacy\">1</td><td class=\"n\">6</td>"
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
