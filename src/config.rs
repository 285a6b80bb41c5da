//! Flags turned into decisions, once: which report, which format, what to
//! scan and how. Every error names the flag it is about.

use crate::cli::{Args, DirectionArg, Format};
use crate::filter::{self, Filters};
use crate::output;
use crate::parse::Direction;
use crate::partial::ScanFlags;
use crate::pipeline::{DEFAULT_CHUNK, Keep, Mode, Plan};
use crate::report::{self, Needs, Report, sessions};
use std::path::PathBuf;

/// A validated run.
#[derive(Clone, Debug)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    /// The report to print.
    pub report: &'static dyn Report,
    /// No `--by` on a terminal: the overview instead of one report.
    pub overview: bool,
    pub format: Format,
    pub output: Option<PathBuf>,
    /// `-o` names a folder: every report as its own file.
    pub to_dir: bool,
    /// `--bom` / `--no-bom`; `None` leaves it to the destination.
    pub bom: Option<bool>,
    pub threads: Option<usize>,
    pub stats: bool,
    pub quiet: bool,
    pub window_days: u32,
    /// `--as-of`, ms since 1970.
    pub as_of: Option<i64>,
    pub plan: Plan,
    /// What a partial result records of the scan flags.
    pub scan_flags: ScanFlags,
    /// `--events`: the Parquet file, or a folder for one file per server.
    pub events: Option<PathBuf>,
    /// `--state`: the state file, and whether to start it afresh.
    pub state: Option<PathBuf>,
    pub rebuild: bool,
    /// `--state-keep-days`.
    pub keep_days: Option<u32>,
    /// `--inventory`: connector inventories named on the command line.
    pub inventory: Vec<PathBuf>,
    /// `--ignore-connector`.
    pub ignore_connector: Vec<filter::Glob>,
    /// `--owners`, read before the scan (a bad file stops the run early).
    pub owners: Option<std::sync::Arc<crate::owners::Owners>>,
}

impl Config {
    /// Checks the flags; `stdout_is_terminal` picks the default format.
    pub fn new(args: &Args, stdout_is_terminal: bool) -> Result<Config, String> {
        let filters = filters(args)?;
        let to_dir = args.output.as_deref().is_some_and(output::is_dir_target);
        let format = format_of(args, to_dir, stdout_is_terminal)?;
        // No --by: an overview on a terminal, the connector report elsewhere.
        let overview = args.by.is_none() && format == Format::Table;
        let report = args.by.unwrap_or(&report::connector::Connector);
        let session_filter = check_tls_only(args, report, &filters)?;
        let (with_sessions, keep, details) =
            scan_needs(args, report, format, to_dir, session_filter.is_some());
        let timelines = needs_timelines(args, report, format, to_dir || overview);
        check_numbers(args)?;
        check_state(args, report)?;
        check_distinct_files(args)?;
        let as_of = as_of(args)?;
        let servers = globs(&args.server, "--server")?;
        let ignore_connector = globs(&args.ignore_connector, "--ignore-connector")?;
        let scan_flags = ScanFlags {
            sessions: with_sessions,
            since: filters.since.clone(),
            until: filters.until.clone(),
            filters: filter_flags(args),
        };
        Ok(Config {
            inventory: args.inventory.clone(),
            ignore_connector,
            owners: None,
            scan_flags,
            // cmd and PowerShell leave `RECV2024*.LOG` to the program.
            paths: crate::wildcard::expand_args(&args.paths)?,
            report,
            overview,
            format,
            output: args.output.clone(),
            to_dir,
            bom: if args.bom {
                Some(true)
            } else if args.no_bom {
                Some(false)
            } else {
                None
            },
            threads: args.threads,
            stats: args.stats,
            quiet: args.quiet,
            window_days: args.window_days,
            as_of,
            plan: Plan {
                chunk: args.chunk_size.unwrap_or(DEFAULT_CHUNK),
                mmap: !args.no_mmap,
                mode: if with_sessions {
                    Mode::Sessions
                } else {
                    Mode::Tls
                },
                keep,
                details,
                timelines,
                filters,
                servers,
                now_ms: crate::pipeline::now_ms(),
                // --partial, --state: counts kept per server.
                by_server: args.partial.is_some() || args.state.is_some(),
                // Set by the caller, which makes the writer.
                events: None,
                spill_at: crate::sorted_lines::SPILL_AT,
                // Set by the caller, which reads the state.
                resume: None,
            },
            events: args.events.clone(),
            state: args.state.clone(),
            rebuild: args.rebuild,
            keep_days: args.state_keep_days,
        })
    }

    /// `exlog merge`: the paths are partial results, and the flags that
    /// steer a scan belong to the runs that made them.
    pub fn for_merge(mut self, args: &Args) -> Result<Config, String> {
        let scan_flags = [
            (args.since.is_some(), "--since"),
            (args.until.is_some(), "--until"),
            (args.tls_only, "--tls-only"),
            (args.no_mmap, "--no-mmap"),
            (args.chunk_size.is_some(), "--chunk-size"),
            (args.events.is_some(), "--events"),
            (args.state.is_some(), "--state"),
            (args.rebuild, "--rebuild"),
            (args.state_keep_days.is_some(), "--state-keep-days"),
        ];
        let filters = filter_flags(args);
        let given = scan_flags
            .iter()
            .find(|(set, _)| *set)
            .map(|(_, flag)| flag.to_string())
            .or_else(|| {
                let f = filters.first()?;
                Some(f.split('=').next().unwrap_or(f).to_string())
            });
        if let Some(flag) = given {
            return Err(format!(
                "{flag} steers a scan: give it to the runs that make the partial results, not to merge"
            ));
        }
        if self.report.needs() == Needs::SessionList {
            return Err(format!(
                "--by {}: a partial result holds counts, not sessions; run exlog on the logs",
                self.report.name()
            ));
        }
        self.plan.keep = Keep::Nothing;
        Ok(self)
    }

    /// Takes on the scan flags the merged partial results were made with;
    /// an error when the report needs sessions they did not read.
    pub fn merged_from(&mut self, flags: &ScanFlags) -> Result<(), String> {
        if !flags.sessions && self.report.needs().only_sessions() {
            return Err(format!(
                "the partial results were read with --tls-only, which reads no sessions, so \
                 they cannot give --by {}; make them without --tls-only",
                self.report.name()
            ));
        }
        self.plan.mode = if flags.sessions {
            Mode::Sessions
        } else {
            Mode::Tls
        };
        self.plan.filters.since = flags.since.clone();
        self.plan.filters.until = flags.until.clone();
        self.scan_flags = flags.clone();
        Ok(())
    }

    /// How the reports are built.
    pub fn report_options(&self) -> crate::report::Options {
        let ms = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| crate::parse::stamp::millis(t.as_bytes()))
        };
        crate::report::Options {
            window_days: self.window_days,
            as_of: self.as_of,
            sessions: self.with_sessions(),
            since: ms(&self.plan.filters.since),
            until: ms(&self.plan.filters.until),
            inventory: None,
            ignore_connector: self.ignore_connector.clone(),
            connector: self.plan.filters.connector.clone(),
            direction: self.plan.filters.direction,
            owners: self
                .owners
                .clone()
                .map(|o| o as std::sync::Arc<dyn crate::report::Owners>),
        }
    }

    /// Whether sessions are read (not `--tls-only`'s fast path).
    pub fn with_sessions(&self) -> bool {
        self.plan.mode == Mode::Sessions
    }
}

/// The output format: `--format`, else by the output's extension, else a
/// table on a terminal and CSV elsewhere. A workbook or a page needs a file.
fn format_of(args: &Args, to_dir: bool, stdout_is_terminal: bool) -> Result<Format, String> {
    let format = args.format.unwrap_or(match &args.output {
        None if stdout_is_terminal => Format::Table,
        None => Format::Csv,
        Some(p) => match p.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm") => {
                Format::Html
            }
            _ => Format::Csv,
        },
    });
    if format == Format::Xlsx && (args.output.is_none() || to_dir) {
        return Err("--format xlsx writes a workbook file: add -o report.xlsx".into());
    }
    if format == Format::Html && (args.output.is_none() || to_dir) {
        return Err("--format html writes a page: add -o report.html".into());
    }
    Ok(format)
}

/// `--tls-only` reads no sessions: an error if the report or a filter
/// needs them. Returns the filter flag that needs sessions, if any.
fn check_tls_only(
    args: &Args,
    report: &dyn Report,
    filters: &Filters,
) -> Result<Option<&'static str>, String> {
    let only_sessions = report.needs().only_sessions();
    let session_filter = if filters.exclude_internal {
        Some("--exclude-internal")
    } else if filters.ehlo.is_some() {
        Some("--ehlo")
    } else {
        None
    };
    if args.tls_only && (only_sessions || session_filter.is_some()) {
        return Err(format!(
            "--tls-only reads no sessions, so it cannot give {}; drop --tls-only",
            match session_filter {
                Some(flag) => flag.to_string(),
                None => format!("--by {}", report.name()),
            }
        ));
    }
    if args.tls_only && args.events.is_some() {
        return Err(
            "--events writes a row per session, and --tls-only reads no sessions; drop --tls-only"
                .into(),
        );
    }
    Ok(session_filter)
}

/// The session list is kept only when it is printed: as CSV lines
/// rendered by the workers, or whole for the other formats.
fn keep_of(needs: Needs, format: Format, to_dir: bool, with_sessions: bool) -> Keep {
    match (needs, format) {
        _ if !with_sessions => Keep::Nothing,
        _ if to_dir => Keep::Lines(sessions::csv_line),
        (Needs::SessionList, Format::Csv) => Keep::Lines(sessions::csv_line),
        (Needs::SessionList, _) => Keep::Sessions,
        _ => Keep::Nothing,
    }
}

/// The files a run writes must be distinct: `--partial F -o F` would
/// leave one of the two (the last written) and lose the other silently.
fn check_distinct_files(args: &Args) -> Result<(), String> {
    let named = [
        ("-o", &args.output),
        ("--events", &args.events),
        ("--partial", &args.partial),
        ("--state", &args.state),
    ];
    let given: Vec<(&str, &PathBuf)> = named
        .iter()
        .filter_map(|(flag, p)| p.as_ref().map(|p| (*flag, p)))
        .filter(|(_, p)| p.as_os_str() != "-")
        .collect();
    let same = |a: &PathBuf, b: &PathBuf| {
        let full = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        full(a) == full(b)
    };
    for (i, (flag, path)) in given.iter().enumerate() {
        if let Some((other, _)) = given[i + 1..].iter().find(|(_, p)| same(path, p)) {
            return Err(format!(
                "{flag} and {other} name the same file ({}): one would overwrite the other; \
                 give each its own file",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The numbers that must be at least 1.
fn check_numbers(args: &Args) -> Result<(), String> {
    if args.window_days == 0 {
        return Err(
            "--window-days must be at least 1: a window of 0 days holds no evidence".into(),
        );
    }
    if args.threads == Some(0) {
        return Err("--threads must be at least 1 (leave it out to use every core)".into());
    }
    if args.chunk_size == Some(0) {
        return Err("--chunk-size must be at least 1 byte".into());
    }
    Ok(())
}

/// What the scan must read and keep for the reports asked: sessions (or
/// TLS rows only), which sessions to keep, and whether their details
/// (certificates, disconnect reasons).
fn scan_needs(
    args: &Args,
    report: &dyn crate::report::Report,
    format: Format,
    to_dir: bool,
    session_filter: bool,
) -> (bool, Keep, bool) {
    // A state holds what every report needs, whichever is asked.
    let with_sessions = !args.tls_only
        && (args.events.is_some()
            || args.state.is_some()
            || matches!(format, Format::Json | Format::Xlsx)
            || to_dir
            || report.needs().sessions()
            || session_filter);
    let keep = match args.state {
        // A state keeps counts: -o DIR/ writes no session list.
        Some(_) => Keep::Nothing,
        None => keep_of(report.needs(), format, to_dir, with_sessions),
    };
    // Certificates and disconnect reasons: for the session list, and
    // for the legacy report's certificate subject.
    let all_reports = to_dir || matches!(format, Format::Json | Format::Xlsx | Format::Html);
    // A partial result may be merged into any report.
    let details = !matches!(keep, Keep::Nothing)
        || report.needs_details()
        || all_reports
        || args.partial.is_some()
        || args.state.is_some();
    (with_sessions, keep, details)
}

/// Whether sessions go into their remotes' timelines: for `--by
/// fallout`, the overview's fallout lines (`several`: it or a folder of
/// every report), every report at once (the HTML burn-down), and what is
/// merged later.
fn needs_timelines(args: &Args, report: &dyn Report, format: Format, several: bool) -> bool {
    several
        || report.kind() == crate::report::fallout::KIND
        || matches!(format, Format::Json | Format::Xlsx | Format::Html)
        || args.partial.is_some()
        || args.state.is_some()
}

/// `--state` keeps counts: what needs each session, or reads standard
/// input, cannot go with it.
fn check_state(args: &Args, report: &dyn crate::report::Report) -> Result<(), String> {
    match (args.state_keep_days, &args.state) {
        (Some(n), Some(_)) if n < args.window_days.max(1) => {
            return Err(format!(
                "--state-keep-days {n} is shorter than the readiness window ({} days, \
                 --window-days): readiness needs every session of its window",
                args.window_days
            ));
        }
        (_, None) => return Ok(()),
        _ => {}
    }
    if report.needs() == Needs::SessionList {
        return Err(format!(
            "--by {} lists the sessions of one run; a state keeps counts, not sessions: run it \
             without --state",
            report.name()
        ));
    }
    if args.events.is_some() {
        return Err(
            "--events writes the sessions of one run; a state keeps counts, not \
                    sessions: run it without --state"
                .into(),
        );
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("--state follows files as they grow; standard input (-) is not one".into());
    }
    Ok(())
}

/// `--as-of`, in ms since 1970; a date means the end of that day, as
/// with --until.
fn as_of(args: &Args) -> Result<Option<i64>, String> {
    args.as_of
        .as_deref()
        .map(|t| {
            let text = filter::parse_time(t, true).map_err(|e| format!("--as-of: {e}"))?;
            let is_date = chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").is_ok();
            crate::parse::stamp::millis(text.as_bytes())
                .map(|ms| if is_date { ms - 1 } else { ms })
                .ok_or_else(|| format!("--as-of: {t:?} is out of range"))
        })
        .transpose()
}

/// The patterns given to `flag`; an error names the flag.
fn globs(list: &[String], flag: &str) -> Result<Vec<filter::Glob>, String> {
    list.iter()
        .map(|p| filter::Glob::new(p))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{flag}: {e}"))
}

/// The filter flags besides the time, as given (`--connector=EX01*`),
/// sorted: partial results merge only when theirs are the same.
fn filter_flags(args: &Args) -> Vec<String> {
    let mut out = Vec::new();
    let lists = [
        ("--connector", &args.connector),
        ("--server", &args.server),
        ("--remote", &args.remote),
        ("--exclude-remote", &args.exclude_remote),
    ];
    for (flag, values) in lists {
        out.extend(values.iter().map(|v| format!("{flag}={v}")));
    }
    if let Some(d) = args.direction {
        out.push(format!("--direction={d:?}").to_lowercase());
    }
    if let Some(re) = &args.ehlo {
        out.push(format!("--ehlo={re}"));
    }
    if args.exclude_internal {
        out.push("--exclude-internal".into());
    }
    out.sort();
    out
}

/// The filter flags; errors name the flag.
fn filters(args: &Args) -> Result<Filters, String> {
    Ok(Filters {
        since: args
            .since
            .as_deref()
            .map(|t| filter::parse_time(t, false))
            .transpose()
            .map_err(|e| format!("--since: {e}"))?,
        until: args
            .until
            .as_deref()
            .map(|t| filter::parse_time(t, true))
            .transpose()
            .map_err(|e| format!("--until: {e}"))?,
        connector: globs(&args.connector, "--connector")?,
        direction: args.direction.map(|d| match d {
            DirectionArg::Receive => Direction::Receive,
            DirectionArg::Send => Direction::Send,
        }),
        remote: cidrs(&args.remote, "--remote")?,
        exclude_remote: cidrs(&args.exclude_remote, "--exclude-remote")?,
        ehlo: args
            .ehlo
            .as_deref()
            .map(|re| {
                regex::bytes::Regex::new(re)
                    .map_err(|e| format!("--ehlo: {re:?} is not a regular expression: {e}"))
            })
            .transpose()?,
        exclude_internal: args.exclude_internal,
    })
}

/// The networks given to `flag`; an error names the flag.
fn cidrs(list: &[String], flag: &str) -> Result<Vec<filter::Cidr>, String> {
    list.iter()
        .map(|c| filter::Cidr::parse(c).map_err(|e| format!("{flag}: {e}")))
        .collect()
}
