//! exlog: which connectors and remote hosts still negotiate old TLS in
//! Exchange SMTP protocol logs.
//!
//! Pipeline: [`input::collect`] walks the paths → [`pipeline::scan`] maps
//! each file (or line-aligned chunk of a big one) and, on rayon workers,
//! lets [`scan::scan_range`] find TLS rows with `memmem` and fold them into
//! a [`tally::Tally`] → tallies are merged → [`report::Reports::build`]
//! sorts them into reports → a writer in [`report`] prints CSV, JSON or a
//! table.
//!
//! ```
//! use exlog::scan::{scan_range, FileCtx};
//! use exlog::tally::Tally;
//! let log = b"2024-03-08T10:00:00.000Z,EX01\\Default Frontend EX01,08DC,7,10.0.0.1:25,192.0.2.7:5000,*,,\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\"\r\n";
//! let mut tally = Tally::default();
//! scan_range(log, 0, log.len(), FileCtx::new(0, None), &mut tally);
//! let reports = exlog::report::Reports::build(&tally, 14, false);
//! assert_eq!(reports.summary.by_version[2], 1); // one TLS 1.0 negotiation
//! ```

pub mod cli;
pub mod corpus;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod parse;
pub mod pipeline;
pub mod progress;
pub mod reader;
pub mod report;
pub mod scan;
pub mod session;
pub mod tally;

use cli::{Args, Format};
use report::{Kind, Reports};
use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Exit code: report made, all input read.
pub const EXIT_OK: u8 = 0;
/// Exit code: no report could be made.
pub const EXIT_FATAL: u8 = 1;
/// Exit code: report made, but some input was skipped or malformed.
pub const EXIT_PARTIAL: u8 = 2;

/// Turns the filter flags into [`filter::Filters`]; `Err` names the flag.
fn filters(args: &Args) -> Result<filter::Filters, String> {
    Ok(filter::Filters {
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
        connector: args.connector.as_deref().map(filter::Glob::new),
        direction: args.direction.map(|d| match d {
            cli::DirectionArg::Receive => parse::Direction::Receive,
            cli::DirectionArg::Send => parse::Direction::Send,
        }),
        remote: args
            .remote
            .as_deref()
            .map(filter::Cidr::parse)
            .transpose()
            .map_err(|e| format!("--remote: {e}"))?,
        exclude_internal: args.exclude_internal,
    })
}

/// Runs exlog with parsed flags and returns the exit code. Errors are
/// output failures (a closed pipe among them; the caller decides).
pub fn run(args: &Args) -> anyhow::Result<u8> {
    let started = Instant::now();
    let filters = match filters(args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("exlog: error: {e}");
            return Ok(EXIT_FATAL);
        }
    };
    let stdout = std::io::stdout();
    let format = args.format.unwrap_or(if stdout.is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    // No --by: an overview on a terminal, the connector report elsewhere.
    let overview = args.by.is_none() && format == Format::Table;
    let kind = args.by.unwrap_or(Kind::Connector);
    let needs = kind.needs_sessions() && !matches!(kind, Kind::Connector | Kind::Remote);
    if args.tls_only && (needs || filters.exclude_internal) {
        eprintln!(
            "exlog: error: --tls-only reads no sessions, so it cannot give {}; drop --tls-only",
            if filters.exclude_internal {
                "--exclude-internal".to_string()
            } else {
                format!("--by {}", kind.name())
            }
        );
        return Ok(EXIT_FATAL);
    }
    let with_sessions = !args.tls_only
        && (format == Format::Json || kind.needs_sessions() || filters.exclude_internal);
    let plan = pipeline::Plan {
        chunk: args.chunk_size.unwrap_or(pipeline::DEFAULT_CHUNK),
        mode: if with_sessions {
            pipeline::Mode::Sessions {
                keep: match (kind, format) {
                    (Kind::Session, Format::Csv) => tally::Keep::CsvLines,
                    (Kind::Session, _) => tally::Keep::Sessions,
                    _ => tally::Keep::Nothing,
                },
            }
        } else {
            pipeline::Mode::Tls
        },
        filters,
    };

    let walk = input::collect(&args.paths);
    for p in &walk.problems {
        eprintln!("exlog: error: {p}");
    }
    if walk.files.is_empty() {
        let looked: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "exlog: error: no Exchange SMTP protocol logs found in {}\n\
             exlog: looked for files named RECV*.LOG or SEND*.LOG (any case) in those folders \
             and their subfolders (e.g. ...\\TransportRoles\\Logs\\FrontEnd\\ProtocolLog\\SmtpReceive); \
             name a file directly to read it whatever its name",
            looked.join(", ")
        );
        return Ok(EXIT_FATAL);
    }

    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads.filter(|&n| n > 0) {
        pool = pool.num_threads(n);
    }
    let pool = pool.build()?;
    let total: u64 = walk.files.iter().map(|f| f.size).sum();
    let bar = progress::bar(total, args.quiet);
    let tally = pool.install(|| pipeline::scan(&walk.files, &plan, &bar));
    bar.finish_and_clear();

    let mut tally = tally;
    let mut sessions = std::mem::take(&mut tally.sessions.rows);
    pool.install(|| report::sessions::sort_sessions(&mut sessions));
    let mut reports = Reports::build(&tally, args.window_days, with_sessions);
    let stream_sessions = kind == Kind::Session && format == Format::Csv;
    if kind == Kind::Session && !stream_sessions {
        reports
            .tables
            .push(report::sessions::session_list(&sessions));
    }
    reports.summary.elapsed_seconds = started.elapsed().as_secs_f64();
    let (errors, warnings) = messages(&walk.files, &tally);
    let partial = !walk.problems.is_empty()
        || !errors.is_empty()
        || reports.summary.files_skipped > 0
        || reports.summary.malformed_rows > 0;

    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let bytes = match format {
        Format::Csv if stream_sessions => {
            let mut lines = std::mem::take(&mut tally.sessions.lines);
            pool.install(|| report::sessions::sort_lines(&mut lines));
            out.write_all(&report::csv::write(&reports.table_or_empty(Kind::Session)))?;
            for (_, line) in &lines {
                out.write_all(line)?;
            }
            Vec::new()
        }
        Format::Csv => report::csv::write(&reports.table_or_empty(kind)),
        Format::Json => {
            let all: Vec<String> = walk
                .problems
                .iter()
                .chain(&errors)
                .chain(&warnings)
                .cloned()
                .collect();
            report::json::write(&reports, &all)
        }
        Format::Table => {
            let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            if overview {
                report::table::overview(&reports, color).into_bytes()
            } else {
                table_output(&reports, kind, color).into_bytes()
            }
        }
    };
    out.write_all(&bytes)?;
    out.flush()?;
    drop(out);

    for e in &errors {
        eprintln!("exlog: error: {e}");
    }
    if !args.quiet {
        for w in &warnings {
            eprintln!("exlog: warning: {w}");
        }
    }
    if args.stats {
        eprintln!("{}", stats_line(&reports.summary));
    }
    Ok(if partial { EXIT_PARTIAL } else { EXIT_OK })
}

fn table_output(reports: &Reports, kind: Kind, color: bool) -> String {
    let s = &reports.summary;
    let mut out = report::table::write(&reports.table_or_empty(kind), color);
    out.push_str(&format!(
        "\n{} negotiations, {} failed, in {} files\n",
        s.negotiations, s.failures, s.files
    ));
    out
}

/// Errors (files that could not be read) and warnings (files that are not
/// logs, malformed rows, unknown protocol tokens), each naming its file.
fn messages(files: &[input::Input], tally: &tally::Tally) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut ids: Vec<_> = tally.files.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let f = &tally.files[&id];
        let path = files[id].path.display();
        if let Some(why) = &f.skipped {
            if why.starts_with("cannot read") {
                errors.push(format!("{path}: {why}"));
            } else {
                warnings.push(format!("{path}: skipped: {why}"));
            }
        } else if let (Some(bad), Some(line)) = (f.first_bad, f.first_bad_line()) {
            warnings.push(format!(
                "{path}: skipped {} malformed row{}; first at line {line}: {}",
                f.malformed,
                if f.malformed == 1 { "" } else { "s" },
                bad.error
            ));
        }
    }
    for (token, (n, example)) in report::unknown_protocols(tally) {
        warnings.push(format!(
            "{n} negotiation{} with unrecognised protocol token {token:?} counted as 'other', e.g. {example:?}",
            if n == 1 { "" } else { "s" }
        ));
    }
    (errors, warnings)
}

/// The `--stats` line.
pub fn stats_line(s: &report::Summary) -> String {
    format!(
        "exlog: {} files ({} skipped), {} bytes, {} lines, {} TLS rows ({} negotiated, {} failed), \
         {} malformed rows, {} sessions; {:.3} s, {:.2} GB/s",
        s.files,
        s.files_skipped,
        s.bytes,
        s.lines,
        s.tls_rows,
        s.negotiations,
        s.failures,
        s.malformed_rows,
        s.sessions.iter().sum::<u64>(),
        s.elapsed_seconds,
        s.gb_per_s()
    )
}
