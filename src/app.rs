//! One run: flags → [`Config`] → scan → reports → output.

use crate::cli::{Args, Format};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Kind as DiagKind};
use crate::events::Events;
use crate::inventory::{self, Inventory};
use crate::pipeline::{self, Files, Keep, Scanned};
use crate::report::{self, Document, Kind, Reports, Writer};
use crate::{EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, input, output, partial, progress};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Runs exlog with parsed flags and returns the exit code. Errors are
/// output failures (a closed pipe among them; the caller decides).
///
/// Meant to be followed by the end of the process: the tallies and reports
/// are not freed (one allocation at a time, that took 60-75 ms of a
/// one-second run over 1 GB; the OS takes the memory back at once).
pub fn run(args: &Args) -> anyhow::Result<u8> {
    execute(args, false)
}

/// `exlog merge PART.json...`: the partial results that `--format json`
/// wrote, combined into the reports of one run over all their files.
pub fn merge(args: &Args) -> anyhow::Result<u8> {
    execute(args, true)
}

/// What was read, by a scan of the logs or from partial results.
struct Gathered {
    walk: input::Walk,
    scanned: Scanned,
    rpt: crate::tlsrpt::Read,
    /// The files with their fingerprints, when known already (merge).
    files: Option<Vec<partial::FileEntry>>,
    /// The connector inventory partial results carry (merge).
    inventory: Option<Inventory>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// Prints a fatal error; the run ends with [`EXIT_FATAL`].
fn fatal(e: impl std::fmt::Display) -> u8 {
    eprintln!("exlog: error: {e}");
    EXIT_FATAL
}

/// The flags made a [`Config`], with the owners file read; `Err` holds
/// the exit code when they cannot be (the error is printed).
fn configure(args: &Args, merging: bool) -> Result<Config, u8> {
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let config = Config::new(args, stdout_is_terminal).and_then(|c| match merging {
        true => c.for_merge(args),
        false => Ok(c),
    });
    let mut config = config.map_err(fatal)?;
    if args.rebuild && args.state.is_none() && !merging {
        return Err(fatal(
            "--rebuild starts a state afresh: give it with --state FILE",
        ));
    }
    if args.state_keep_days.is_some() && args.state.is_none() && !merging {
        return Err(fatal(
            "--state-keep-days says how long a state keeps session detail: give it with \
             --state FILE",
        ));
    }
    if let Some(path) = &args.owners {
        match crate::owners::Owners::read(path) {
            Ok(o) => config.owners = Some(Arc::new(o)),
            Err(e) => return Err(fatal(e)),
        }
    }
    Ok(config)
}

fn execute(args: &Args, merging: bool) -> anyhow::Result<u8> {
    let started = Instant::now();
    let mut config = match configure(args, merging) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let pending = match args.partial.as_deref().map(partial::Pending::create) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return Ok(fatal(e)),
    };
    // Create the output now: a bad path should fail before a long scan;
    // merge's once the partial results say whether they hold sessions.
    let early = match merging {
        true => None,
        false => match open_dest(&config) {
            Some(d) => Some(d),
            None => return Ok(EXIT_FATAL),
        },
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = config.threads.filter(|&n| n > 0) {
        pool = pool.num_threads(n);
    }
    let pool = pool.build()?;
    // --events: the writer is made (and its path checked) before the scan.
    let events = match config.events.as_deref().map(Events::new).transpose() {
        Ok(e) => e.map(Arc::new),
        Err(e) => return Ok(fatal(e)),
    };
    config.plan.events = events.clone().map(|e| e as Arc<dyn pipeline::SessionSink>);
    let gathered = match (merging, &config.state) {
        (true, _) => from_partials(&mut config),
        (false, Some(_)) => with_state(&mut config, &pool),
        (false, None) => scan(&config, &pool),
    };
    let Some(gathered) = gathered else {
        return Ok(EXIT_FATAL);
    };
    let Some(dest) = early.or_else(|| open_dest(&config)) else {
        return Ok(EXIT_FATAL);
    };
    config.plan.events = None;
    if let Some(events) = events {
        let events = Arc::into_inner(events).expect("the scan is over");
        events.finish().map_err(anyhow::Error::msg)?;
    }
    finish(config, &pool, gathered, pending, dest, started)
}

/// After the scan: the partial result, the reports, their output and the
/// messages on stderr; returns the exit code.
fn finish(
    config: Config,
    pool: &rayon::ThreadPool,
    gathered: Gathered,
    pending: Option<partial::Pending>,
    dest: output::Dest,
    started: Instant,
) -> anyhow::Result<u8> {
    let Gathered {
        walk,
        mut scanned,
        rpt,
        files,
        inventory: carried_inventory,
        errors: gathered_errors,
        warnings: gathered_warnings,
    } = gathered;
    let mut inventory = load_inventory(&walk.inventories, &config.inventory);
    // Merging: the inventory the partials carry, unless one is given.
    if inventory.inventory.is_none() && inventory.errors.is_empty() {
        inventory.inventory = carried_inventory.map(Arc::new);
    }
    if let Some(pending) = pending {
        // From each server's counts, which are summed only then (never
        // held twice).
        let files = files.unwrap_or_else(|| partial::file_entries(&walk.files));
        let carried = inventory.inventory.as_deref();
        let flags = &config.scan_flags;
        pending
            .finish(|w| partial::write(w, flags, &scanned, &files, &rpt, carried, pool))
            .map_err(anyhow::Error::msg)?;
        std::mem::forget(files);
    }
    scanned.sum_parts();

    let mut reports = build_reports(&config, pool, &mut scanned, &rpt, &inventory);
    reports.summary.elapsed_seconds = started.elapsed().as_secs_f64();
    let (mut errors, mut warnings) = messages(&walk.files, &scanned);
    errors.extend(gathered_errors);
    errors.extend(inventory.errors.iter().cloned());
    warnings.extend(gathered_warnings);
    warnings.extend(later_warnings(
        &config, &scanned, &reports, &rpt, &inventory,
    ));
    let partial = !walk.problems.is_empty()
        || !errors.is_empty()
        || rpt.skipped > 0
        || reports.summary.files_skipped > 0
        || reports.summary.malformed_rows > 0;
    warnings.splice(0..0, walk.copies.iter().cloned());
    let all: Vec<Diagnostic> = walk
        .problems
        .iter()
        .chain(&errors)
        .chain(&warnings)
        .cloned()
        .collect();

    let notes = emit(&config, dest, &reports, &scanned, &all, &rpt)?;
    print_messages(&config, &notes, &errors, &warnings);
    if config.stats {
        eprintln!("{}", stats_line(&reports.summary));
    }
    std::mem::forget(scanned);
    std::mem::forget(reports);
    Ok(if partial { EXIT_PARTIAL } else { EXIT_OK })
}

/// The warnings of the inventory, the TLS-RPT reports, the owners file
/// and the filters, in that order, after those of the scan.
fn later_warnings(
    config: &Config,
    scanned: &Scanned,
    reports: &Reports,
    rpt: &crate::tlsrpt::Read,
    inventory: &Loaded,
) -> Vec<Diagnostic> {
    let mut warnings = inventory.warnings.clone();
    if let Some(inv) = &inventory.inventory {
        let mut options = config.report_options();
        options.inventory = Some(inv.clone());
        let coverage =
            report::coverage::servers(&scanned.tally, &reports.summary.servers, &options);
        warnings.extend(report::coverage::inventory_warnings(&coverage, inv));
    }
    warnings.extend(rpt.warnings.iter().cloned());
    if let Some(o) = &config.owners {
        warnings.extend(o.warnings().iter().map(|w| w.diagnostic(DiagKind::Owners)));
        // Rows that matched no remote, once the call list was made.
        if reports.table(report::legacy::KIND).is_some() {
            warnings.extend(o.unmatched().iter().map(|w| w.diagnostic(DiagKind::Owners)));
        }
    }
    warnings.extend(filter_warnings(config, scanned, &reports.summary));
    warnings
}

/// Notes, errors and (unless `--quiet`) warnings on stderr; log text in
/// warnings neutralized for the terminal.
fn print_messages(
    config: &Config,
    notes: &[String],
    errors: &[Diagnostic],
    warnings: &[Diagnostic],
) {
    for n in notes {
        eprintln!("exlog: note: {n}");
    }
    for e in errors {
        eprintln!("exlog: error: {e}");
    }
    if !config.quiet {
        for w in warnings {
            eprintln!("exlog: warning: {}", report::table::sanitize(&w.message));
        }
    }
}

/// Creates the output (a message says what went wrong). A folder gets the
/// reports there is something for: with no sessions kept (merge), no
/// session list, which a note says once.
fn open_dest(config: &Config) -> Option<output::Dest> {
    let kept = !matches!(config.plan.keep, Keep::Nothing);
    let files = report::folder_reports(config.with_sessions(), kept);
    match output::Dest::open(config.output.as_deref(), &files) {
        Ok(dest) => {
            if config.to_dir && config.with_sessions() && !kept && !config.quiet {
                let (holder, run) = match config.state {
                    Some(_) => ("a state", "without --state"),
                    None => ("a partial result", ""),
                };
                eprintln!(
                    "exlog: note: no session.csv: {holder} holds counts, not sessions; \
                     run exlog on the logs{} for the session report",
                    if run.is_empty() {
                        String::new()
                    } else {
                        format!(" {run}")
                    }
                );
            }
            Some(dest)
        }
        Err(e) => {
            eprintln!("exlog: error: {e}");
            None
        }
    }
}

/// The reports to print: one, the overview's, or all (JSON, xlsx, HTML,
/// a folder), with the TLS-RPT table and the kept sessions.
fn build_reports(
    config: &Config,
    pool: &rayon::ThreadPool,
    scanned: &mut Scanned,
    rpt: &crate::tlsrpt::Read,
    inventory: &Loaded,
) -> Reports {
    let wanted = |k: Kind| match config.format {
        _ if config.to_dir => true,
        Format::Json | Format::Xlsx | Format::Html => true,
        Format::Table if config.overview => report::table::OVERVIEW.contains(&k),
        _ => k == config.report.kind(),
    };
    let mut options = config.report_options();
    options.inventory = inventory.inventory.clone();
    pool.install(|| sort_kept(scanned));
    let from = report::Sources {
        tally: &scanned.tally,
        servers: &scanned.servers,
        options: &options,
        tlsrpt: Some(rpt),
        sessions: matches!(config.plan.keep, Keep::Sessions).then_some(&scanned.sessions[..]),
    };
    pool.install(|| Reports::build_some(&from, wanted))
}

/// The connector inventory read from the inputs and `--inventory`, with
/// what went wrong (each message names its file).
#[derive(Default)]
struct Loaded {
    inventory: Option<Arc<Inventory>>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// The most of an inventory file read: Exchange has hundreds of connectors
/// at most, a few KB each.
const INVENTORY_LIMIT: u64 = 64 << 20;

/// Reads every `.csv` found whose header makes it an inventory (one named
/// on the command line that is not one is an error), and each
/// `--inventory` file (which must be one).
fn load_inventory(found: &[(PathBuf, bool)], named: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut inv = Inventory::default();
    let mut warnings = Vec::new();
    let mut any = false;
    let candidates = found
        .iter()
        .map(|(p, n)| (p, *n))
        .chain(named.iter().map(|p| (p, true)));
    for (path, named) in candidates {
        let bytes = match read_limited(path) {
            Ok(b) => b,
            Err(e) => {
                let text = format!("{}: cannot read: {e}", path.display());
                let error = Diagnostic::error(DiagKind::Inventory, text).in_file(path.display());
                loaded.errors.push(error);
                continue;
            }
        };
        if !inventory::is_inventory(&bytes) {
            if named {
                let text = format!(
                    "{}: not a connector inventory: its header holds no Identity and \
                     ProtocolLoggingLevel columns (see the README's Get-ReceiveConnector command)",
                    path.display()
                );
                let error = Diagnostic::error(DiagKind::Inventory, text).in_file(path.display());
                loaded.errors.push(error);
            }
            continue;
        }
        match inventory::read_file(path, &bytes, &mut inv, &mut warnings) {
            Ok(()) => any = true,
            Err(e) => loaded.errors.push(e.diagnostic(
                DiagKind::Inventory,
                "; the logs are counted without this inventory file",
            )),
        }
    }
    loaded.warnings = warnings
        .iter()
        .map(|w| w.diagnostic(DiagKind::Inventory))
        .collect();
    loaded.inventory = any.then(|| Arc::new(inv));
    loaded
}

fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(INVENTORY_LIMIT)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads and combines the partial results named as paths, and takes on
/// their scan flags; `None` when they cannot be combined (the error is
/// printed).
fn from_partials(config: &mut Config) -> Option<Gathered> {
    let merged =
        partial::merge(&config.paths).and_then(|m| config.merged_from(&m.flags).map(|()| m));
    match merged {
        Ok(m) => Some(Gathered {
            walk: input::Walk {
                files: m.inputs,
                ..input::Walk::default()
            },
            scanned: m.scanned,
            rpt: m.tlsrpt,
            files: Some(m.files),
            inventory: m.inventory,
            errors: m.errors,
            warnings: m.warnings,
        }),
        Err(e) => {
            eprintln!("exlog: error: {e}");
            None
        }
    }
}

/// `--state`: reads the state and what is new in the logs, and writes the
/// state back; `None` when that fails (the error is printed, the state
/// is left as it was).
fn with_state(config: &mut Config, pool: &rayon::ThreadPool) -> Option<Gathered> {
    let path = config.state.clone()?;
    let flags = crate::state::Flags {
        state: &path,
        rebuild: config.rebuild,
        keep_days: config.keep_days,
        paths: &config.paths,
        scan: &config.scan_flags,
        quiet: config.quiet,
    };
    match crate::state::run(&flags, &mut config.plan, pool, read_reports_into) {
        Ok(run) => Some(Gathered {
            walk: run.walk,
            scanned: run.scanned,
            rpt: run.rpt,
            files: Some(run.files),
            inventory: None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }),
        Err(e) => {
            eprintln!("exlog: error: {e}");
            None
        }
    }
}

/// Finds the files under the paths and scans them; `None` when there is
/// nothing to read (the error is printed).
fn scan(config: &Config, pool: &rayon::ThreadPool) -> Option<Gathered> {
    let walk = input::collect(&config.paths);
    for p in &walk.problems {
        eprintln!("exlog: error: {p}");
    }
    // JSON found in folders that is no TLS-RPT report is not input.
    let rpt = read_reports_into(crate::tlsrpt::Read::default(), &walk.reports);
    if walk.files.is_empty() && rpt.files + rpt.skipped == 0 {
        let looked: Vec<String> = config
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "exlog: error: no Exchange SMTP protocol logs found in {}\n\
             exlog: looked for files named RECV*.LOG or SEND*.LOG (any case, also .gz), .zip \
             archives, IIS u_ex*.log and TLS-RPT .json reports in those folders and their subfolders (e.g. ...\\TransportRoles\\Logs\\FrontEnd\\ProtocolLog\\SmtpReceive); \
             name a file directly to read it whatever its name",
            looked.join(", ")
        );
        return None;
    }
    let total: u64 = walk.files.iter().map(|f| f.size).sum();
    let bar = progress::bar(total, config.quiet);
    let scanned = pool.install(|| pipeline::scan(&Files(&walk.files), &config.plan, &bar));
    bar.finish_and_clear();
    Some(Gathered {
        walk,
        scanned,
        rpt,
        files: None,
        inventory: None,
        errors: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Reads the TLS-RPT reports. One found in a folder or an archive is read
/// only if it begins like a report.
fn read_reports_into(mut read: crate::tlsrpt::Read, list: &[input::Report]) -> crate::tlsrpt::Read {
    for r in list {
        let name = r.path.display().to_string();
        let text = match &r.packed {
            None => std::fs::File::open(&r.path).and_then(|mut f| report_text(&mut f, r.named)),
            Some(p) => {
                crate::archive::with_reader(p, |rd| report_text(rd, r.named)).and_then(|x| x)
            }
        };
        match text {
            Ok(Some(t)) => read.add(&name, &t),
            Ok(None) => {} // other JSON: not a report, nothing to say
            Err(e) => {
                read.skipped += 1;
                let text = format!("{name}: cannot read: {e}");
                read.warnings
                    .push(crate::tlsrpt::Read::warning(&name, text));
            }
        }
    }
    read
}

/// A report's bytes (at most 64 MB; a `.json.gz` inside a zip archive
/// inflated), or `None` when it is not `named` and does not begin like a
/// TLS-RPT report.
fn report_text(rd: &mut dyn std::io::Read, named: bool) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    const MAX: u64 = 64 << 20;
    let mut magic = Vec::new();
    (&mut *rd).take(2).read_to_end(&mut magic)?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let raw = std::io::Cursor::new(magic).chain(rd);
    let mut rd: Box<dyn std::io::Read + '_> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut v = Vec::new();
    (&mut rd)
        .take(crate::tlsrpt::SNIFF_BYTES as u64)
        .read_to_end(&mut v)?;
    if !named && !crate::tlsrpt::looks_like_report(&v) {
        return Ok(None);
    }
    rd.take(MAX - v.len() as u64).read_to_end(&mut v)?;
    Ok(Some(v))
}

/// Puts the kept sessions (or their lines) in report order.
fn sort_kept(scanned: &mut Scanned) {
    report::sessions::sort_sessions(&mut scanned.sessions, &scanned.servers);
    scanned.lines.sort();
}

/// Writes the reports to `dest`; returns notes for stderr.
fn emit(
    config: &Config,
    dest: output::Dest,
    reports: &Reports,
    scanned: &Scanned,
    messages: &[Diagnostic],
    rpt: &crate::tlsrpt::Read,
) -> anyhow::Result<Vec<String>> {
    let bom = config.bom.unwrap_or(!dest.is_stdout());
    let doc = Document {
        reports,
        messages,
        session_lines: Some(&scanned.lines),
        tlsrpt: rpt,
    };
    let mut notes = Vec::new();
    if let Some(e) = scanned.lines.spill_error() {
        notes.push(format!(
            "the session lines could not go to a temporary file ({e}); they were kept in memory"
        ));
    }
    let stdout = std::io::stdout();
    let mut outputs: Vec<(Box<dyn Writer>, Box<dyn Write>)> = match dest {
        output::Dest::Dir(files) => (files.into_iter())
            .map(|(name, file)| (folder_writer(&name, bom), buffered(file)))
            .collect(),
        output::Dest::File(file) => vec![(writer(config, bom, false), buffered(file))],
        output::Dest::Stdout => {
            let terminal = stdout.is_terminal();
            let out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            vec![(writer(config, bom, terminal), Box::new(out))]
        }
    };
    for (writer, out) in &mut outputs {
        notes.extend(writer.write(&doc, out)?);
        out.flush()?;
    }
    Ok(notes)
}

fn buffered(file: std::fs::File) -> Box<dyn Write> {
    Box::new(std::io::BufWriter::new(file))
}

/// The writer of `config.format`; `terminal`: stdout is the destination
/// and a terminal.
fn writer(config: &Config, bom: bool, terminal: bool) -> Box<dyn Writer> {
    let kind = config.report.kind();
    match config.format {
        Format::Csv => Box::new(report::csv::Csv {
            kind,
            bom,
            terminal,
        }),
        Format::Json => Box::new(report::json::Json),
        Format::Html => Box::new(report::html::Html),
        Format::Xlsx => Box::new(report::xlsx::Xlsx),
        Format::Table => Box::new(report::table::Terminal {
            report: config.report,
            overview: config.overview,
            // Colour is for the screen: never in a file, never with NO_COLOR.
            color: terminal && std::env::var_os("NO_COLOR").is_none(),
        }),
    }
}

/// The writer of one file of `-o DIR/`: `NAME.csv` or `report.json`.
fn folder_writer(file: &str, bom: bool) -> Box<dyn Writer> {
    match file.strip_suffix(".csv").and_then(report::find) {
        Some(r) => Box::new(report::csv::Csv {
            kind: r.kind(),
            bom,
            terminal: false,
        }),
        None => Box::new(report::json::Json),
    }
}

/// Errors (files that could not be read) and warnings (files that are not
/// logs, malformed rows, unknown protocol tokens), each naming its file.
fn messages(files: &[input::Input], scanned: &Scanned) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let tally = &scanned.tally;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut ids: Vec<_> = tally.files.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let (e, w) = file_messages(&files[id], &tally.files[&id]);
        errors.extend(e);
        warnings.extend(w);
    }
    warnings.extend(folder_messages(files, tally));
    for (token, (n, example)) in report::unknown_protocols(tally) {
        let text = format!(
            "{n} negotiation{} with unrecognised protocol token {token:?} counted as 'other', e.g. {example:?}",
            if n == 1 { "" } else { "s" }
        );
        warnings.push(Diagnostic::warning(DiagKind::UnknownProtocol, text));
    }
    (errors, warnings)
}

/// The errors and the warnings about one file.
fn file_messages(
    input: &input::Input,
    f: &crate::files::FileStats,
) -> (Option<Diagnostic>, Vec<Diagnostic>) {
    let path = input.path.display();
    let warning = |kind, text: String| Diagnostic::warning(kind, text).in_file(&path);
    let error = |kind, text: String| Diagnostic::error(kind, text).in_file(&path);
    if let Some(why) = &f.skipped {
        return match why.starts_with("cannot read") {
            true => (
                Some(error(DiagKind::UnreadableFile, format!("{path}: {why}"))),
                vec![],
            ),
            false => (
                None,
                vec![warning(
                    DiagKind::SkippedFile,
                    format!("{path}: skipped: {why}"),
                )],
            ),
        };
    }
    let broken = f.error.as_ref().map(|why| {
        let text = format!("{path}: {why}; what was read before is counted");
        error(DiagKind::BrokenStream, text)
    });
    let mut warnings = Vec::new();
    if let (Some(bad), Some(line)) = (f.first_bad, f.first_bad_line()) {
        let text = format!(
            "{path}: skipped {} malformed row{}; first at line {line}: {}",
            f.malformed,
            if f.malformed == 1 { "" } else { "s" },
            bad.error
        );
        warnings.push(warning(DiagKind::MalformedRows, text).at(Some(line), Some(bad.offset)));
    }
    if f.unterminated > 0 {
        // Exchange writes plain files; a .gz or zip entry is not
        // still being written, whatever cut it.
        let live = matches!(input.packed, None | Some(crate::archive::Packed::Stdin));
        let text = format!(
            "{path}: last line {} has no line ending{}: not read",
            f.lines,
            if live {
                " (a log still being written?)"
            } else {
                ""
            }
        );
        warnings.push(warning(DiagKind::TruncatedLastLine, text).at(Some(f.lines), None));
    }
    if let Some((offset, first)) = &f.first_skewed {
        let text = format!(
            "{path}: {} more than a day away from the file's own time (its name or #Date:) \
             or later than this machine's clock, e.g. {}: counted, but a wrong clock does \
             not move the readiness window",
            report::count(f.skewed, "record", "records"),
            String::from_utf8_lossy(first.as_bytes())
        );
        warnings.push(warning(DiagKind::ClockSkew, text).at(None, Some(*offset)));
    }
    (broken, warnings)
}

/// Per folder: IIS logs that cannot answer (no crypt-* fields), and
/// restarted session ids (sessions are joined per folder).
fn folder_messages(files: &[input::Input], tally: &crate::tally::Tally) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let blind = per_folder(files, tally, |f| u64::from(f.iis_crypt == Some(false)));
    for folder in blind.keys() {
        let text = format!(
            "{folder}: IIS logs without the crypt-* fields, so their TLS versions are unknown; \
             add them in IIS Manager (the site, Logging, Select Fields, Add Field, source type \
             Server Variable): crypt-protocol = CRYPT_PROTOCOL, crypt-cipher = CRYPT_CIPHER_ALG_ID, \
             crypt-hash = CRYPT_HASH_ALG_ID, crypt-keyexchange = CRYPT_KEYEXCHANGE_ALG_ID"
        );
        out.push(Diagnostic::warning(DiagKind::IisWithoutCrypt, text).in_file(folder));
    }
    for (folder, n) in per_folder(files, tally, |f| f.restarts) {
        let text = format!(
            "{folder}: {} began again while a session of that id was still open \
             (a restarted counter or duplicated rows): counted as separate sessions",
            report::count(n, "session id", "session ids")
        );
        out.push(Diagnostic::warning(DiagKind::RestartedSession, text).in_file(folder));
    }
    out
}

/// `count` of each file summed per folder, for the folders where it is
/// not zero.
fn per_folder(
    files: &[input::Input],
    tally: &crate::tally::Tally,
    count: impl Fn(&crate::files::FileStats) -> u64,
) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for (&id, f) in &tally.files {
        let n = count(f);
        if n > 0 {
            let folder = files[id].path.parent().map(|p| p.display().to_string());
            *out.entry(folder.unwrap_or_default()).or_default() += n;
        }
    }
    out
}

/// Filters that matched nothing: each named, with up to five values that
/// do exist. Only when nothing at all was counted.
fn filter_warnings(config: &Config, scanned: &Scanned, s: &report::Summary) -> Vec<Diagnostic> {
    let f = &config.plan.filters;
    let files = scanned.servers.of_file.len() as u64;
    let counted = s.negotiations + s.failures + s.sessions.iter().sum::<u64>();
    let out = if !config.plan.servers.is_empty() && files > 0 && scanned.other_servers == files {
        vec![format!(
            "--server matches no server; servers found: {}",
            list(scanned.servers.names.iter().map(String::as_str))
        )]
    } else if f.is_empty() || counted > 0 || s.files == 0 {
        Vec::new()
    } else if !config.with_sessions() {
        vec!["no TLS row passes the filters: the report is empty".to_string()]
    } else {
        session_filter_warnings(f, scanned)
    };
    out.into_iter()
        .map(|text| Diagnostic::warning(DiagKind::FilterMatchedNothing, text))
        .collect()
}

/// Which session filters matched nothing, or that none passes all of
/// them together.
fn session_filter_warnings(f: &crate::filter::Filters, scanned: &Scanned) -> Vec<String> {
    let mut out = Vec::new();
    let h = &scanned.tally.hits;
    let seen = |e: &crate::filter::Examples| {
        let mut text = list(e.values.iter().map(|v| String::from_utf8_lossy(v)));
        if e.more && !text.ends_with('…') {
            text.push_str(", …");
        }
        text
    };
    if (f.since.is_some() || f.until.is_some()) && h.time == 0 {
        out.push(format!(
            "--since/--until match no session; the logs cover {}",
            logs_span(&scanned.tally)
        ));
    }
    // (set, sessions it passed, what it matched, values that exist)
    let checks = [
        (
            f.direction.is_some(),
            h.direction,
            "--direction matches no session; directions found",
            &h.seen_directions,
        ),
        (
            !f.connector.is_empty(),
            h.connector,
            "--connector matches no connector; connectors found include",
            &h.seen_connectors,
        ),
        (
            !f.remote.is_empty() || !f.exclude_remote.is_empty(),
            h.remote,
            "--remote/--exclude-remote match no remote IP; remote IPs found include",
            &h.seen_remotes,
        ),
        (
            f.ehlo.is_some(),
            h.ehlo,
            "--ehlo matches no EHLO or banner name; names found include",
            &h.seen_ehlo,
        ),
    ];
    for (set, hits, what, values) in checks {
        if set && hits == 0 {
            out.push(format!("{what}: {}", seen(values)));
        }
    }
    if out.is_empty() {
        out.push("each filter matches some sessions, but none passes all of them together: the report is empty".into());
    }
    out
}

/// The first and the last record time of the logs read.
fn logs_span(tally: &crate::tally::Tally) -> String {
    let first = tally.files.values().filter_map(|x| x.first_record()).min();
    let last = tally.files.values().filter_map(|x| x.last_record()).max();
    match (first, last) {
        (Some(a), Some(b)) => format!(
            "{} to {}",
            String::from_utf8_lossy(a.as_bytes()),
            String::from_utf8_lossy(b.as_bytes())
        ),
        _ => "no time".into(),
    }
}

/// Up to five values, comma-separated (with "…" when there are more).
fn list<'a>(values: impl Iterator<Item = impl AsRef<str> + 'a>) -> String {
    let v: Vec<String> = values.map(|x| x.as_ref().to_string()).collect();
    let shown: Vec<&str> = v.iter().take(5).map(String::as_str).collect();
    let more = if v.len() > 5 { ", …" } else { "" };
    if shown.is_empty() {
        "none".into()
    } else {
        format!("{}{more}", shown.join(", "))
    }
}

/// The `--stats` line.
pub fn stats_line(s: &report::Summary) -> String {
    format!(
        "exlog: {} ({} skipped), {} bytes, {} lines, {} TLS rows ({} negotiated, {} failed), \
         {}, {}; {:.3} s, {:.2} GB/s",
        report::count(s.files, "file", "files"),
        s.files_skipped,
        s.bytes,
        s.lines,
        s.tls_rows,
        s.negotiations,
        s.failures,
        report::count(s.malformed_rows, "malformed row", "malformed rows"),
        report::count(s.sessions.iter().sum::<u64>(), "session", "sessions"),
        s.elapsed_seconds,
        s.gb_per_s()
    )
}
