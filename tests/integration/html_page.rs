//! The HTML builder (`report::html::page`), through the library: the
//! "What was read" numbers of a scan counted by hand, and the warnings
//! escaped and capped.

use crate::pipeline::four_sessions;
use exlog::diagnostic::{Diagnostic, Kind};
use exlog::pipeline::{Plan, scan_slices};
use exlog::report::{Options, Reports, html};
use std::path::Path;

fn reports() -> Reports {
    let log = four_sessions();
    let files = [(Path::new("EX01/RECV2024030810-1.LOG"), log.as_bytes())];
    let scanned = scan_slices(&files, &Plan::sessions(), 1);
    Reports::build(&scanned.tally, &scanned.servers, &Options::new(1, true))
}

#[test]
fn what_was_read_shows_the_counts_of_the_scan() {
    let page = html::page(&reports(), &[]);
    // Four sessions; two negotiations and a failure (3 as the reports'
    // `total`), one below TLS 1.2 (the TLS 1.0 one), one failed, none in
    // clear; one file.
    for (value, label) in [
        ("1", "files"),
        ("4", "sessions"),
        ("3", "negotiations"),
        ("1", "below TLS 1.2"),
        ("1", "failed negotiations"),
        ("0", "plaintext sessions"),
    ] {
        let kpi = format!("<div><b>{value}</b>{label}</div>");
        assert!(page.contains(&kpi), "{kpi} not in the page");
    }
    assert!(!page.contains("class=\"warn\""), "no warnings, no list");
}

#[test]
fn warnings_are_escaped_counted_and_capped_at_fifty() {
    let hostile = Diagnostic::warning(Kind::MalformedRows, "<script>alert(1)</script> & \"x\"");
    let many: Vec<Diagnostic> = (0..52)
        .map(|i| Diagnostic::warning(Kind::ClockSkew, format!("file {i}")))
        .chain([hostile])
        .collect();
    let page = html::page(&reports(), &many);
    assert!(page.contains("<p class=\"note\">53 warnings:</p>"));
    // The first 50 shown, then how many more (3: files 50 and 51 and the
    // hostile one).
    assert!(page.contains("<li>file 49</li>") && !page.contains("<li>file 50</li>"));
    assert!(page.contains("<li>… and 3 more</li>"));
    let few = html::page(&reports(), &many[52..]);
    assert!(few.contains("<p class=\"note\">1 warning:</p>"));
    assert!(few.contains("&lt;script&gt;"), "escaped");
    assert!(!few.contains("<script>"));
}
