//! A run with `--state`: read the state, scan what is new, add it up,
//! write the state back, and hand the reports everything.

use super::{Absorbed, Loaded, State, absorb, known, load, write};
use crate::input::{self, Report, Walk};
use crate::partial::{FileEntry, ScanFlags};
use crate::pipeline::{self, Files, Inputs, Plan, Scanned};
use crate::tlsrpt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a run with a state gives the reports: every file (read now or
/// before), every count.
pub(crate) struct Run {
    pub walk: Walk,
    pub scanned: Scanned,
    pub rpt: tlsrpt::Read,
    pub files: Vec<FileEntry>,
}

/// The flags of a run with a state.
pub(crate) struct Flags<'a> {
    pub state: &'a Path,
    pub rebuild: bool,
    /// `--state-keep-days`.
    pub keep_days: Option<u32>,
    pub paths: &'a [PathBuf],
    pub scan: &'a ScanFlags,
    pub quiet: bool,
}

/// Reads the state and the new bytes of the logs under `flags.paths`,
/// and writes the state back; `read_reports` reads TLS-RPT reports into
/// what was read before. An error (printed by the caller) leaves the
/// state as it was.
pub(crate) fn run(
    flags: &Flags,
    plan: &mut Plan,
    pool: &rayon::ThreadPool,
    read_reports: impl FnOnce(tlsrpt::Read, &[Report]) -> tlsrpt::Read,
) -> Result<Run, String> {
    let name = flags.state.display();
    let (mut old, fresh) = match load(flags.state, flags.rebuild)? {
        Loaded::State(s) => (*s, false),
        Loaded::Fresh | Loaded::Rebuilt => (State::default(), true),
    };
    if !fresh && old.scan != *flags.scan {
        return Err(format!(
            "{name}: the state was made with other scan flags ({} / now {}): its counts and \
             this run's cannot be added; run with the same flags, or with --rebuild",
            crate::partial::describe(&old.scan),
            crate::partial::describe(flags.scan)
        ));
    }
    let mut walk = input::collect(flags.paths);
    for p in &walk.problems {
        eprintln!("exlog: error: {p}");
    }
    let resume = known::plan(&old, &mut walk.files, &mut walk.reports)?;
    // The servers as the scan will name them (it names them the same way).
    let servers = crate::servers::assign(&walk.files, |id| Files(&walk.files).head(id));
    let renamed = known::follow(&mut old, &resume, &walk.files, &servers)?;
    let rpt = read_reports(std::mem::take(&mut old.tlsrpt), &walk.reports);
    old.reports
        .extend(walk.reports.iter().map(super::Known::report));
    if walk.files.is_empty() && old.servers.is_empty() && rpt.files + rpt.skipped == 0 {
        return Err(format!(
            "no Exchange SMTP protocol logs found in {} (and {name} holds none yet)",
            flags
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    plan.resume = Some(Arc::from(std::mem::take(&mut old.open)));
    let new: u64 = walk
        .files
        .iter()
        .map(|f| f.size.saturating_sub(f.start))
        .sum();
    let bar = crate::progress::bar(new, flags.quiet);
    let moved = resume.moved;
    let gone = resume.gone;
    let files = std::mem::take(&mut walk.files);
    let scanned = pool.install(|| pipeline::scan(&Files(&files), plan, &bar));
    bar.finish_and_clear();
    let mut absorbed = absorb(
        old,
        resume,
        files,
        scanned,
        &plan.filters,
        flags.scan.clone(),
    )?;
    if let Some(days) = flags.keep_days {
        for server in &mut absorbed.state.servers {
            super::keep::keep_days(&mut server.tally, days, flags.scan);
        }
    }
    absorbed.state.tlsrpt = rpt;
    // Nothing read, nothing moved: the state on disk says it all already.
    let changed =
        fresh || renamed || moved > 0 || absorbed.read_now.1 > 0 || !walk.reports.is_empty();
    let size = match changed {
        true => Some(write(flags.state, &absorbed.state)?),
        false => None,
    };
    if !flags.quiet {
        eprintln!("{}", summary(&absorbed, flags.state, size, moved, gone));
    }
    Ok(into_run(absorbed, walk))
}

/// What the run says of the state on stderr.
fn summary(a: &Absorbed, path: &Path, size: Option<u64>, moved: usize, gone: usize) -> String {
    let count = crate::report::count;
    let (bytes, files) = a.read_now;
    let read = match bytes {
        0 => "nothing new since the last run".to_string(),
        _ => format!(
            "read {} of new log lines from {}",
            megabytes(bytes),
            count(files as u64, "file", "files")
        ),
    };
    let text = format!(
        "exlog: state: {read}; the reports cover {} ({} gone, counts kept{}), {} left open; {} {}",
        count(a.inputs.len() as u64, "file", "files"),
        gone,
        match moved {
            0 => String::new(),
            n => format!(
                ", {} found under a new path",
                count(n as u64, "file", "files")
            ),
        },
        count(a.state.open.len() as u64, "session", "sessions"),
        path.display(),
        match size {
            Some(n) => format!("written ({})", megabytes(n)),
            None => "unchanged".to_string(),
        }
    );
    crate::report::table::sanitize(&text).into_owned()
}

/// `12.3 MB` (decimal, as file managers say), or under 1 MB the bytes.
fn megabytes(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{bytes} bytes"),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn into_run(a: Absorbed, walk: Walk) -> Run {
    let State {
        servers,
        tlsrpt,
        other_servers,
        ..
    } = a.state;
    let scanned = Scanned {
        parts: Absorbed::parts(servers, &a.servers),
        servers: a.servers,
        other_servers,
        ..Scanned::default()
    };
    Run {
        walk: Walk {
            files: a.inputs,
            ..walk
        },
        scanned,
        rpt: tlsrpt,
        files: a.files,
    }
}
