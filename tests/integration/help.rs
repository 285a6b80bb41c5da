//! What `--help` says against what exlog does: the reports' columns, and
//! where it sends the reader.

use crate::util::{exlog, root};

/// The "Reports" part of `exlog --help`: each report's name and its text
/// (continuation lines joined with no space, as they continue a list).
fn help_reports() -> Vec<(String, String)> {
    let help = exlog(["--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    let section = help
        .stdout
        .split("\nReports (--by")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("a Reports section in --help")
        .to_string();
    let mut reports: Vec<(String, String)> = Vec::new();
    for line in section.lines().skip(1) {
        let text = line.trim();
        let top_level = line.starts_with("  ") && !line.starts_with("   ");
        match reports.last_mut() {
            // A note on every report, not a report.
            _ if top_level && text.starts_with('(') => continue,
            Some((_, body)) if !top_level => body.push_str(text),
            _ => {
                let (name, body) = text.split_once(' ').expect("NAME COLUMNS");
                reports.push((name.into(), body.trim().into()));
            }
        }
    }
    reports
}

/// `text` without its parenthesised notes.
fn without_notes(text: &str) -> String {
    regex::Regex::new(r"\s*\([^)]*\)")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

/// Whether a help list (`direction,SSL2,...,other`) names the columns of
/// `header` in order, `...` standing for one or more of them.
fn names(list: &[&str], header: &[&str]) -> bool {
    match (list.split_first(), header.split_first()) {
        (None, None) => true,
        (Some((&"...", rest)), _) => (1..=header.len()).any(|k| names(rest, &header[k..])),
        (Some((item, rest)), Some((column, more))) => item == column && names(rest, more),
        _ => false,
    }
}

#[test]
fn list_matcher_expands_dots_and_nothing_else() {
    let header = ["a", "b", "c", "d"];
    assert!(names(&["a", "b", "c", "d"], &header));
    assert!(names(&["a", "...", "d"], &header));
    assert!(!names(&["a", "...", "b", "c", "d"], &header));
    assert!(!names(&["a", "b", "c"], &header));
    assert!(!names(&["a", "c", "b", "d"], &header));
}

/// Every report of `--by` is in `--help`'s list, in the order of `-o DIR/`,
/// and each list of columns is the CSV header the report writes (the
/// session report gives its number of columns instead).
#[test]
fn help_lists_every_report_with_its_real_columns() {
    let reports = help_reports();
    let listed: Vec<&str> = reports.iter().map(|(n, _)| n.as_str()).collect();
    let all: Vec<&str> = exlog::report::REPORTS.map(|r| r.name()).to_vec();
    assert_eq!(listed, all);
    let tlsrpt = root().join("tests/data/tlsrpt");
    for (name, text) in &reports {
        let run = exlog([
            "sample-logs".as_ref(),
            tlsrpt.as_os_str(),
            "--by".as_ref(),
            name.as_ref(),
            "--format".as_ref(),
            "csv".as_ref(),
        ]);
        let header = run.stdout.lines().next().unwrap_or_default().to_string();
        let columns: Vec<&str> = header.split(',').collect();
        let list = without_notes(text);
        if !list.contains(',') {
            let count = format!("its {} columns", columns.len());
            assert!(text.contains(&count), "--by {name}: {text:?} vs {header}");
            continue;
        }
        let list: Vec<&str> = list.split(',').collect();
        assert!(
            names(&list, &columns),
            "--by {name}: --help says\n  {}\nthe CSV header is\n  {header}",
            list.join(",")
        );
    }
}

/// `--server`'s help sends the reader to the guide's section on how a
/// file's server is found, and that section is there.
#[test]
fn server_help_points_at_the_guides_servers_section() {
    let help = exlog(["--help"]).stdout;
    let at = help.find("--server <PATTERN>").expect("--server in --help");
    let server = &help[at..at + help[at..].find("\n\n").unwrap()];
    assert!(
        server.contains("docs/guide.md, section Servers"),
        "{server}"
    );
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    assert!(guide.contains("\n## Servers\n"));
}

/// `--tls-only`'s help names every report and flag it refuses, and no
/// other report but the two it thins (connector and remote).
#[test]
fn tls_only_help_names_what_it_refuses() {
    use clap::CommandFactory;
    let cmd = exlog::cli::Args::command();
    let arg = cmd
        .get_arguments()
        .find(|a| a.get_id() == "tls_only")
        .expect("--tls-only");
    let help = arg.get_long_help().expect("long help").to_string();
    let said = |word: &str| {
        regex::Regex::new(&format!(r"(^|[^\w-]){}($|[^\w-])", regex::escape(word)))
            .unwrap()
            .is_match(&help)
    };
    let refused = |args: &[&str]| {
        let mut all = vec!["sample-logs", "--tls-only", "--format", "csv", "-q"];
        all.extend(args);
        let run = exlog(&all);
        run.stderr.contains("--tls-only reads no sessions")
    };
    for report in exlog::report::REPORTS {
        let name = report.name();
        let no = refused(&["--by", name]);
        let thinned = matches!(name, "connector" | "remote");
        assert_eq!(
            said(name),
            no || thinned,
            "--by {name}: refused {no}; help: {help}"
        );
    }
    for (flag, value) in [
        ("--ehlo", "x"),
        ("--exclude-internal", ""),
        ("--events", "e"),
    ] {
        let args: Vec<&str> = [flag, value]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let no = refused(&args);
        assert!(no, "{flag} is accepted with --tls-only");
        assert!(said(flag), "{flag} is refused; help: {help}");
    }
}

/// `exlog merge --help` shows exactly the flags merge takes: each of
/// exlog's flags is run through merge with a valid value, and is shown
/// if and only if merge accepts it.
#[test]
fn merge_help_shows_the_flags_merge_takes_and_no_other() {
    use clap::CommandFactory;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("ex01.json");
    let made = exlog([
        root().join("sample-logs/EX01").as_os_str(),
        "--partial".as_ref(),
        part.as_os_str(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let inventory = root().join("sample-logs/inventory/receive-connectors.csv");
    let out = dir.path().join("out.csv");
    let events = dir.path().join("events.parquet");
    let again = dir.path().join("again.json");
    let owners = dir.path().join("owners.csv");
    let state = dir.path().join("s.exlog");
    std::fs::write(
        &owners,
        "match,owner,contact\n10.0.0.0/8,Net,net@contoso.com\n",
    )
    .unwrap();
    let value = |id: &str| -> Option<&std::ffi::OsStr> {
        Some(match id {
            "since" => "2024-01-01".as_ref(),
            "until" => "2024-12-31".as_ref(),
            "as_of" => "2024-03-31".as_ref(),
            "window_days" => "14".as_ref(),
            "by" => "server".as_ref(),
            "connector" | "server" | "ignore_connector" => "EX0*".as_ref(),
            "direction" => "receive".as_ref(),
            "remote" | "exclude_remote" => "10.0.0.0/8".as_ref(),
            "ehlo" => "mail".as_ref(),
            "format" => "csv".as_ref(),
            "threads" | "state_keep_days" => "1".as_ref(),
            "inventory" => inventory.as_os_str(),
            "output" => out.as_os_str(),
            "events" => events.as_os_str(),
            "partial" => again.as_os_str(),
            "owners" => owners.as_os_str(),
            "state" => state.as_os_str(),
            "exclude_internal" | "tls_only" | "no_mmap" | "bom" | "no_bom" | "stats" | "quiet"
            | "rebuild" => {
                return None;
            }
            other => panic!("--{other}: give it a value in this test"),
        })
    };
    let help = exlog(["merge", "--help"]).stdout;
    let shown = |long: &str| {
        help.lines()
            .any(|l| l.contains(&format!("--{long}")) && l.trim_start().starts_with('-'))
    };
    let cmd = exlog::cli::Args::command();
    let flags = cmd
        .get_arguments()
        .filter(|a| a.get_long().is_some() && !a.is_hide_set())
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"));
    let mut checked = [0, 0];
    for arg in flags {
        let long = arg.get_long().unwrap();
        let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref(), part.as_os_str()];
        let flag = format!("--{long}");
        args.push(flag.as_ref());
        args.extend(value(arg.get_id().as_str()));
        let run = exlog(&args);
        let accepted = run.code == 0;
        assert!(
            accepted || run.stderr.contains(&format!("{flag} steers a scan")),
            "merge {flag}: exit code {}: {}",
            run.code,
            run.stderr
        );
        assert_eq!(
            shown(long),
            accepted,
            "merge {flag}: accepted {accepted}; shown in merge --help?"
        );
        checked[usize::from(accepted)] += 1;
    }
    // The 29 flags of -h but --help and --version (--chunk-size is hidden):
    // the 13 report, coverage and output flags (--partial and --owners
    // among them) and --threads merge takes, the 9 filters, --tls-only,
    // --no-mmap, --events, --state, --rebuild and --state-keep-days it
    // refuses.
    assert_eq!(checked, [15, 14]);
}
