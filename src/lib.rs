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
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod output;
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
    let to_dir = args.output.as_deref().is_some_and(output::is_dir_target);
    let format = args.format.unwrap_or(match &args.output {
        None if stdout.is_terminal() => Format::Table,
        None => Format::Csv,
        Some(p) => match p.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Csv,
        },
    });
    if format == Format::Xlsx && (args.output.is_none() || to_dir) {
        eprintln!("exlog: error: --format xlsx writes a workbook file: add -o report.xlsx");
        return Ok(EXIT_FATAL);
    }
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
        && (matches!(format, Format::Json | Format::Xlsx)
            || to_dir
            || kind.needs_sessions()
            || filters.exclude_internal);
    let plan = pipeline::Plan {
        chunk: args.chunk_size.unwrap_or(pipeline::DEFAULT_CHUNK),
        mmap: !args.no_mmap,
        mode: if with_sessions {
            pipeline::Mode::Sessions {
                keep: match (kind, format) {
                    _ if to_dir => tally::Keep::CsvLines,
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
    // Create the output now: a bad path should fail before a long scan.
    let dest = match output::Dest::open(args.output.as_deref(), with_sessions) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("exlog: error: {e}");
            return Ok(EXIT_FATAL);
        }
    };
    let bom = args.bom || (!dest.is_stdout() && !args.no_bom);

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
    let mut tally = pool.install(|| pipeline::scan(&walk.files, &plan, &bar));
    bar.finish_and_clear();

    let mut sessions = std::mem::take(&mut tally.sessions.rows);
    pool.install(|| report::sessions::sort_sessions(&mut sessions));
    let mut reports = Reports::build(&tally, args.window_days, with_sessions);
    // Kept whole only for --by session in table, JSON or xlsx output.
    if plan.mode
        == (pipeline::Mode::Sessions {
            keep: tally::Keep::Sessions,
        })
    {
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

    let all_messages: Vec<String> = walk
        .problems
        .iter()
        .chain(&errors)
        .chain(&warnings)
        .cloned()
        .collect();
    let mut lines = std::mem::take(&mut tally.sessions.lines);
    pool.install(|| report::sessions::sort_lines(&mut lines));
    // CSV of one report; the session list comes from the kept lines.
    let csv = |k: Kind, out: &mut dyn Write| -> std::io::Result<()> {
        if bom {
            out.write_all(output::BOM)?;
        }
        out.write_all(&report::csv::write(&reports.table_or_empty(k)))?;
        if k == Kind::Session {
            for (_, line) in &lines {
                out.write_all(line)?;
            }
        }
        Ok(())
    };
    let mut notes = Vec::new();
    match dest {
        output::Dest::Dir(_, files) => {
            for (name, file) in files {
                let mut out = std::io::BufWriter::new(file);
                match name.strip_suffix(".csv") {
                    Some(report) => {
                        let k = Kind::from_name(report).expect("a report name");
                        csv(k, &mut out)?;
                    }
                    None => out.write_all(&report::json::write(&reports, &all_messages))?,
                }
                out.flush()?;
            }
        }
        dest => {
            let dest_is_terminal = dest.is_stdout() && stdout.is_terminal();
            let mut out: Box<dyn Write> = match dest {
                output::Dest::File(_, file) => Box::new(std::io::BufWriter::new(file)),
                _ => Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock())),
            };
            match format {
                // CSV read on a terminal: log text must not drive it.
                Format::Csv if dest_is_terminal => {
                    let mut buf = Vec::new();
                    csv(kind, &mut buf)?;
                    let text = String::from_utf8_lossy(&buf);
                    for line in text.split_inclusive('\n') {
                        let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
                        out.write_all(report::table::sanitize(body).as_bytes())?;
                        out.write_all(nl.as_bytes())?;
                    }
                }
                Format::Csv => csv(kind, &mut out)?,
                Format::Json => out.write_all(&report::json::write(&reports, &all_messages))?,
                Format::Xlsx => {
                    let (bytes, n) = report::xlsx::write(&reports, &all_messages)?;
                    notes = n;
                    out.write_all(&bytes)?;
                }
                Format::Table => {
                    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    let text = if overview {
                        report::table::overview(&reports, color)
                    } else {
                        table_output(&reports, kind, color)
                    };
                    out.write_all(text.as_bytes())?;
                }
            }
            out.flush()?;
        }
    }
    for n in &notes {
        eprintln!("exlog: note: {n}");
    }

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
