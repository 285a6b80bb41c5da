//! `Config::new`, through the library: the flags' rules as the guide and
//! `--help` state them, each checked on the validated configuration.

use clap::Parser;
use exlog::cli::{Args, Format};
use exlog::config::Config;
use exlog::pipeline::{Keep, Mode};

fn config(flags: &[&str], terminal: bool) -> Result<Config, String> {
    let args = Args::try_parse_from(["exlog"].iter().chain(flags)).expect("flags parse");
    Config::new(&args, terminal)
}

fn ok(flags: &[&str], terminal: bool) -> Config {
    config(flags, terminal).unwrap_or_else(|e| panic!("{flags:?}: {e}"))
}

#[test]
fn format_follows_the_terminal_then_the_output_name() {
    // No --format: a table on a terminal, CSV into a pipe.
    assert_eq!(ok(&["logs"], true).format, Format::Table);
    assert_eq!(ok(&["logs"], false).format, Format::Csv);
    // -o FILE: its extension, any case; an unknown one is CSV.
    for (name, format) in [
        ("r.XLSX", Format::Xlsx),
        ("r.json", Format::Json),
        ("r.htm", Format::Html),
        ("r.Html", Format::Html),
        ("r.txt", Format::Csv),
    ] {
        assert_eq!(ok(&["logs", "-o", name], true).format, format, "{name}");
    }
    // --format wins over both.
    assert_eq!(
        ok(&["logs", "-o", "r.json", "--format", "csv"], true).format,
        Format::Csv
    );
}

#[test]
fn the_overview_is_a_terminal_table_without_by() {
    assert!(ok(&["logs"], true).overview);
    assert!(!ok(&["logs", "--by", "remote"], true).overview);
    assert!(!ok(&["logs"], false).overview);
}

#[test]
fn a_workbook_or_a_page_needs_an_output_file() {
    for format in ["xlsx", "html"] {
        let e = config(&["logs", "--format", format], false).unwrap_err();
        assert!(
            e.contains(&format!("--format {format}")) && e.contains("-o"),
            "{e}"
        );
    }
}

#[test]
fn zero_window_threads_or_chunk_is_refused_naming_the_flag() {
    // The command line refuses a 0 already; Config checks again for
    // callers of the library, which set the fields themselves.
    let base = || Args::try_parse_from(["exlog", "logs"]).unwrap();
    let mut window = base();
    window.window_days = 0;
    let mut threads = base();
    threads.threads = Some(0);
    let mut chunk = base();
    chunk.chunk_size = Some(0);
    for (flag, args) in [
        ("--window-days", window),
        ("--threads", threads),
        ("--chunk-size", chunk),
    ] {
        let e = Config::new(&args, false).unwrap_err();
        assert!(e.starts_with(flag) && e.contains("at least 1"), "{e}");
    }
}

#[test]
fn tls_only_refuses_what_needs_sessions() {
    // The session list, an --ehlo filter and --events need sessions.
    for flags in [
        &["--by", "session"][..],
        &["--ehlo", "scan"],
        &["--exclude-internal"],
        &["--events", "e.parquet"],
    ] {
        let mut all = vec!["logs", "--tls-only"];
        all.extend(flags);
        let e = config(&all, false).unwrap_err();
        assert!(
            e.contains("--tls-only") && e.contains("drop --tls-only"),
            "{flags:?}: {e}"
        );
    }
    // The cipher report comes from TLS rows alone.
    let c = ok(&["logs", "--tls-only", "--by", "cipher"], false);
    assert_eq!(c.plan.mode, Mode::Tls);
}

#[test]
fn sessions_are_read_only_when_a_report_needs_them() {
    // cipher and failure: TLS rows; connector: sessions (plaintext column).
    assert_eq!(ok(&["logs", "--by", "cipher"], false).plan.mode, Mode::Tls);
    assert_eq!(ok(&["logs", "--by", "failure"], false).plan.mode, Mode::Tls);
    assert_eq!(
        ok(&["logs", "--by", "connector"], false).plan.mode,
        Mode::Sessions
    );
    // JSON has every report, so the session ones too.
    assert_eq!(
        ok(&["logs", "--by", "cipher", "--format", "json"], false)
            .plan
            .mode,
        Mode::Sessions
    );
}

#[test]
fn session_csv_is_kept_as_lines_and_other_formats_keep_sessions() {
    let csv = ok(&["logs", "--by", "session", "--format", "csv"], false);
    assert!(matches!(csv.plan.keep, Keep::Lines(_)));
    let table = ok(&["logs", "--by", "session", "--format", "table"], false);
    assert!(matches!(table.plan.keep, Keep::Sessions));
    let connector = ok(&["logs", "--by", "connector"], false);
    assert!(matches!(connector.plan.keep, Keep::Nothing));
}

#[test]
fn as_of_a_date_is_the_end_of_that_day() {
    // 2024-03-08T23:59:59.999Z: 19790 days after 1970-01-01 (by hand:
    // 54 years with 13 leap days = 19723 days to 2024-01-01, then 31 + 29
    // + 7 days), times 86 400 000 ms, plus one day less 1 ms.
    let day = 19_790_i64 * 86_400_000;
    assert_eq!(
        ok(&["logs", "--as-of", "2024-03-08"], false).as_of,
        Some(day + 86_400_000 - 1)
    );
    assert_eq!(
        ok(&["logs", "--as-of", "2024-03-08T12:00:00Z"], false).as_of,
        Some(day + 12 * 3_600_000)
    );
    let e = config(&["logs", "--as-of", "soon"], false).unwrap_err();
    assert!(e.starts_with("--as-of"), "{e}");
}

#[test]
fn the_scan_flags_record_the_filters_for_merge() {
    let c = ok(
        &["logs", "--since", "2024-03-01", "--connector", "EX01*"],
        false,
    );
    assert!(c.scan_flags.sessions);
    assert!(
        c.scan_flags
            .since
            .as_deref()
            .unwrap()
            .starts_with("2024-03-01")
    );
    assert_eq!(c.scan_flags.until, None);
    assert_eq!(c.scan_flags.filters, ["--connector=EX01*"]);
}
