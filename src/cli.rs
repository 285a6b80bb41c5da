//! Command-line flags (clap derive). Raw flags only: `config` turns them
//! into decisions.

use crate::report::{self, REPORTS, Report};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for reading on a terminal.
    Table,
    /// Comma-separated, header row first; opens in Excel.
    Csv,
    /// All reports, scan statistics and warnings in one document.
    Json,
    /// An Excel workbook (needs -o FILE): a Summary sheet with a chart,
    /// then one sheet per report.
    Xlsx,
    /// One self-contained HTML page with charts (needs -o FILE), to send.
    Html,
}

/// `--by`: the report names, each with its one-line help.
fn report_parser() -> impl clap::builder::TypedValueParser<Value = &'static dyn Report> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(REPORTS.map(|r| PossibleValue::new(r.name()).help(r.about())))
        .map(|name| report::find(&name).expect("one of the possible values"))
}

/// `--direction` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Receive,
    Send,
}

/// `--help`'s closing text: every report of the registry with its
/// columns, then the exit codes and examples.
fn after_help() -> String {
    let mut out =
        String::from("Reports (--by; without it: an overview on a terminal, else connector):\n");
    for r in REPORTS {
        // Lines after a report's first are indented under its columns.
        let columns = r.help_columns().replace('\n', "\n             ");
        out.push_str(&format!("  {:<9}  {columns}\n", r.name()));
    }
    out + AFTER_REPORTS
}

/// What follows the reports in `--help`.
const AFTER_REPORTS: &str = "  (total = successful plus failed negotiations, in every report)

Exit codes:
  0  report made, all input read
  1  no report could be made (no log files found, bad option, output error)
  2  report made, but some input was skipped or malformed (see the warnings)

Examples:
  exlog D:\\Logs                       overview on a terminal: totals, connectors, servers, readiness
  exlog D:\\Logs > tls.csv             connector report as CSV, for Excel
  exlog --by readiness D:\\Logs        can TLS 1.0/1.1 be switched off, per server and connector?
  exlog --by legacy D:\\Logs           who to call: remotes below TLS 1.2 or on weak ciphers
  exlog D:\\Logs -o report.xlsx        every report in one workbook for Excel
  exlog D:\\Logs -o report.html        one page with charts, to send
  exlog --server EX01 --as-of 2024-03-31 --by readiness D:\\Logs
  exlog --ehlo '(?i)scan|mfp' D:\\Logs devices by their EHLO name
  exlog --format json D:\\Logs | jq .  every report plus statistics
  exlog D:\\Logs --partial ex01.json   ... and a partial result, to combine with others:
  exlog merge ex01.json ex02.json --by readiness   (the reports of one run over both)";

/// For `-h`: where the rest is.
const SHORT_AFTER_HELP: &str = "\
--help shows each flag in detail, the reports' columns, exit codes and examples.";

/// `--window-days`: a whole number of days, at least 1. Parsed here (with
/// negative numbers allowed through) so that `-3` gets the rule, not
/// clap's tip to write `-- -3`.
fn at_least_one_day(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => u32::try_from(n).map_err(|_| format!("{n} days is too many")),
        Ok(_) => Err("must be at least 1 (a number of days)".to_string()),
        Err(_) => Err("must be a whole number of days, at least 1".to_string()),
    }
}

/// `exlog merge`'s PATH: partial results, not logs (`main` puts this in
/// place of [`Args::paths`]' help).
pub const MERGE_PATHS_HELP: &str = "Partial results: the files that `exlog --partial FILE` \
wrote, one per earlier run (or the JSON report of an older exlog, which embeds one)";

/// The flags that steer a scan, which `exlog merge` refuses
/// (`Config::for_merge`) and so leaves out of its help.
pub const MERGE_REFUSES: [&str; 16] = [
    "state",
    "rebuild",
    "state_keep_days",
    "since",
    "until",
    "connector",
    "server",
    "direction",
    "remote",
    "exclude_remote",
    "ehlo",
    "exclude_internal",
    "tls_only",
    "no_mmap",
    "chunk_size",
    "events",
];

/// `exlog merge`'s description.
pub const MERGE_ABOUT: &str = "Combine the partial results of earlier `exlog --partial FILE` runs \
into the reports of one run over all their files";

/// Which servers, connectors, remote hosts and HTTPS clients still
/// negotiate TLS below 1.2.
///
/// From Exchange SMTP protocol logs and IIS logs: which servers,
/// connectors, remote hosts and HTTPS clients still negotiate old TLS (SSL
/// 3, TLS 1.0/1.1), with which ciphers, which negotiations fail, and what
/// TLS-RPT reports say of outbound mail.
#[derive(Debug, Parser)]
#[command(
    name = "exlog",
    version,
    after_help = SHORT_AFTER_HELP,
    after_long_help = after_help()
)]
pub struct Args {
    /// Log files or folders, or - for standard input.
    ///
    /// Folders are searched recursively for RECV*.LOG and SEND*.LOG (any
    /// case, also .gz), .zip archives, IIS u_ex*.log and TLS-RPT reports
    /// (.json or .json.gz that begin like one); a file named here is always
    /// read.
    #[arg(required = true, value_name = "PATH", help_heading = "Input")]
    pub paths: Vec<PathBuf>,

    /// Report to print (the list: --help).
    ///
    /// One of those listed under "Reports" below [default: an overview on
    /// a terminal, else connector].
    #[arg(help_heading = "Reports", long, value_name = "REPORT", value_parser = report_parser(), hide_possible_values = true)]
    pub by: Option<&'static dyn Report>,

    /// Readiness window in days, at least 1.
    ///
    /// Old TLS within this many days before each server's latest record
    /// (or --as-of) means "not ready"; "ready" needs logs that cover all of
    /// it.
    #[arg(
        help_heading = "Reports",
        long,
        value_name = "DAYS",
        default_value_t = crate::report::DEFAULT_WINDOW_DAYS,
        value_parser = at_least_one_day,
        allow_negative_numbers = true
    )]
    pub window_days: u32,

    /// End the readiness window at this time for every server.
    ///
    /// A UTC date (the end of that day) or an RFC 3339 time [default: each
    /// server's own latest record].
    #[arg(help_heading = "Reports", long, value_name = "TIME")]
    pub as_of: Option<String>,

    /// Only records at or after this UTC date or RFC 3339 time.
    #[arg(help_heading = "Filters", long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only records before this time (a date: up to its end).
    ///
    /// An RFC 3339 time, or a UTC date: records up to the end of that day.
    #[arg(help_heading = "Filters", long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only connectors matching one of these globs.
    ///
    /// `*`, `?` and `[…]`, any case; repeat the flag or separate with
    /// commas (`?` stands for a comma in a name), e.g. '*Default Frontend*'.
    #[arg(
        help_heading = "Filters",
        long,
        value_name = "PATTERN",
        value_delimiter = ','
    )]
    pub connector: Vec<String>,

    /// Only these servers (globs, any case).
    ///
    /// Repeat the flag or separate with commas. How a file's server is
    /// found: docs/guide.md, section Servers.
    #[arg(
        help_heading = "Filters",
        long,
        value_name = "PATTERN",
        value_delimiter = ','
    )]
    pub server: Vec<String>,

    /// Only receive logs or only send logs.
    #[arg(help_heading = "Filters", long, value_enum)]
    pub direction: Option<DirectionArg>,

    /// Only remote IPs in these networks or equal to these addresses.
    ///
    /// Networks such as 10.0.0.0/8 or 2001:db8::/32, or single addresses;
    /// repeat the flag or separate with commas.
    #[arg(
        help_heading = "Filters",
        long,
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub remote: Vec<String>,

    /// Leave out remote IPs in these networks or equal to these addresses.
    ///
    /// E.g. your own relays; repeat the flag or separate with commas.
    #[arg(
        help_heading = "Filters",
        long,
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub exclude_remote: Vec<String>,

    /// Only sessions whose EHLO name or banner host matches this regex.
    ///
    /// The EHLO name for receive sessions, the banner host for send
    /// sessions, e.g. '(?i)scan|mfp|printer|copier'.
    #[arg(help_heading = "Filters", long, value_name = "REGEX")]
    pub ehlo: Option<String>,

    /// Leave out Exchange-internal sessions.
    ///
    /// X-ANONYMOUSTLS, proxied hops (XPROXYFROM), ports 2525/717/465 and
    /// intra-organisation send connectors.
    #[arg(help_heading = "Filters", long)]
    pub exclude_internal: bool,

    /// Connector inventory: a Get-ReceiveConnector/Get-SendConnector CSV.
    ///
    /// See the README's commands. Any .csv among the PATHs whose header
    /// holds Identity and ProtocolLoggingLevel is read as one too.
    #[arg(help_heading = "Coverage", long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,

    /// Who owns a remote: a CSV with the columns match,owner,contact.
    ///
    /// `match` is an IP, a CIDR, an EHLO glob (*.partner.example) or
    /// @domain (a sender domain); the first row that matches fills the
    /// owner and contact columns of --by legacy and the HTML call list.
    #[arg(help_heading = "Reports", long, value_name = "FILE")]
    pub owners: Option<PathBuf>,

    /// Leave a connector known to be unused out of the coverage rule.
    ///
    /// A glob, any case, matched against SERVER\Name for receive
    /// connectors and the name for send connectors; repeatable.
    #[arg(help_heading = "Coverage", long, value_name = "GLOB")]
    pub ignore_connector: Vec<String>,

    /// Output format.
    ///
    /// [default: table when stdout is a terminal, else csv; with -o FILE,
    /// from its extension: .xlsx, .json, .html, else csv]
    #[arg(help_heading = "Output", long, value_enum)]
    pub format: Option<Format>,

    /// Write to this file, or every report into this folder.
    ///
    /// A file instead of stdout; with a folder (or a path ending in /),
    /// every report as NAME.csv there, plus report.json.
    #[arg(help_heading = "Output", long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Also write every session to a Parquet file (or one per server).
    ///
    /// One row per session, zstd-compressed, for DuckDB, Spark or Trino;
    /// with a folder (`events/`), one file per server.
    #[arg(help_heading = "Output", long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Start CSV output with a UTF-8 BOM, also on stdout.
    ///
    /// So that Excel shows non-ASCII names right [default: on for CSV
    /// files written with -o, off for stdout].
    #[arg(help_heading = "Output", long, conflicts_with = "no_bom")]
    pub bom: bool,

    /// No BOM, even in CSV files written with -o.
    #[arg(help_heading = "Output", long)]
    pub no_bom: bool,

    /// Also write a partial result to this file, for `exlog merge`.
    ///
    /// Per server, every count the aggregate reports are built from, and
    /// the files read; written whole or not at all (see
    /// docs/scale-out.md).
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    pub partial: Option<PathBuf>,

    /// Keep a state in this file: each run reads only what is new.
    ///
    /// The first run reads everything and saves the counts, the files read
    /// (how far) and the sessions still open. Later runs read only the
    /// bytes added since; the reports cover everything read so far, also
    /// logs Exchange has deleted since (see docs/guide.md, Every night).
    #[arg(help_heading = "History", long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// With --state: start the state afresh, reading every file again.
    ///
    /// For a state that was refused (damaged, of an older exlog) or whose
    /// logs were replaced. A file that is no exlog state is never
    /// overwritten.
    #[arg(help_heading = "History", long)]
    pub rebuild: bool,

    /// With --state: keep each session's detail for N days only.
    ///
    /// Older sessions stay counted (every report still equals one run
    /// over all the logs) but the state stops growing with every session:
    /// months of a busy server load in well under a second. N must be at
    /// least --window-days; readiness over a longer window later says
    /// "insufficient data". Default: keep everything.
    #[arg(help_heading = "History", long, value_name = "N")]
    pub state_keep_days: Option<u32>,

    /// Print scan statistics to stderr at the end.
    ///
    /// Files, bytes, lines, TLS rows, time and GB/s.
    #[arg(help_heading = "Output", long)]
    pub stats: bool,

    /// No progress bar and no warnings (errors are still printed).
    #[arg(help_heading = "Output", long, short = 'q')]
    pub quiet: bool,

    /// Worker threads [default: all cores].
    #[arg(help_heading = "Performance", long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Read only the TLS rows: about five times faster, fewer reports.
    ///
    /// Without sessions, the connector and remote reports lose their
    /// plaintext, sessions and ehlo columns; the session, day, week,
    /// readiness, coverage, server, legacy and fallout reports, --ehlo,
    /// --exclude-internal and --events are not available.
    #[arg(help_heading = "Performance", long)]
    pub tls_only: bool,

    /// Read files instead of memory-mapping them (a little slower).
    ///
    /// For logs that another tool may truncate while exlog runs: a
    /// truncated mapped file would end the run with SIGBUS.
    #[arg(help_heading = "Performance", long)]
    pub no_mmap: bool,

    /// Split files larger than this many bytes into chunks scanned in
    /// parallel (for tests and benchmarks).
    #[arg(help_heading = "Performance", long, hide = true, value_name = "BYTES")]
    pub chunk_size: Option<usize>,
}
