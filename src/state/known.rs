//! Which of a run's files the state read already, and how far: each file
//! found is new (read whole), known (read from where the state stopped),
//! or known under another path (a renamed share: the same head). A known
//! file whose head changed, or that shrank, was replaced: an error.

use super::{Known, State};
use crate::input::{Input, Report};
use crate::servers::Servers;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

/// At most this many bytes of a file's head are compared.
pub(crate) const HEAD: u64 = 4096;

/// What the state knows of each of a run's files, by the run's file
/// index: `(server index in the state, the file)`.
#[derive(Debug, Default)]
pub(crate) struct Resume {
    pub of_file: Vec<Option<(usize, Known)>>,
    /// Files not found again (deleted by Exchange's retention, or out of
    /// the paths given this time): their counts stay.
    pub gone: usize,
    /// Files found under another path than the state's.
    pub moved: usize,
}

/// Sets each file's [`Input::start`] from the state, and drops the TLS-RPT
/// reports read already. An error lists every file that was replaced.
pub(crate) fn plan(
    state: &State,
    files: &mut [Input],
    reports: &mut Vec<Report>,
) -> Result<Resume, String> {
    let mut by_path: HashMap<&str, (usize, &Known)> = HashMap::new();
    for (server, s) in state.servers.iter().enumerate() {
        for f in &s.files {
            by_path.insert(&f.path, (server, f));
        }
    }
    let here: HashSet<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    // Known files not found at their path: a renamed share, a restored
    // copy. Found again by their head.
    let mut away: Vec<(usize, &Known)> = by_path
        .iter()
        .filter(|(path, _)| !here.contains(**path))
        .map(|(_, &found)| found)
        .collect();
    away.sort_by_key(|(_, k)| k.id);
    let mut resume = Resume::default();
    let mut replaced = Vec::new();
    for input in files.iter_mut() {
        let path = input.path.display().to_string();
        let found = match by_path.get(path.as_str()) {
            Some(&(server, known)) => match check(input, known) {
                Ok(()) => Some((server, known.clone())),
                Err(why) => {
                    replaced.push(format!("{path}: {why}"));
                    None
                }
            },
            None => moved_here(input, &mut away).inspect(|_| resume.moved += 1),
        };
        if let Some((_, known)) = &found {
            input.start = if known.packed { u64::MAX } else { known.size };
        }
        resume.of_file.push(found);
    }
    if !replaced.is_empty() {
        return Err(format!(
            "{} replaced or rewritten since the state read {}: not read, nothing counted \
             twice; run with --rebuild to start the state afresh\n  {}",
            crate::report::count(replaced.len() as u64, "file was", "files were"),
            if replaced.len() == 1 { "it" } else { "them" },
            replaced.join("\n  ")
        ));
    }
    let found: HashSet<usize> = resume.of_file.iter().flatten().map(|(_, k)| k.id).collect();
    resume.gone = by_path
        .values()
        .filter(|(_, k)| !found.contains(&k.id))
        .count();
    let read: HashSet<&str> = state.reports.iter().map(|r| r.path.as_str()).collect();
    reports.retain(|r| !read.contains(r.path.display().to_string().as_str()));
    Ok(resume)
}

/// Whether `input` is still the file `known` describes (grown, maybe).
fn check(input: &Input, known: &Known) -> Result<(), String> {
    if known.packed {
        return match crate::partial::fingerprint(input) == known.fingerprint {
            true => Ok(()),
            false => Err("a compressed file whose content changed".into()),
        };
    }
    if input.size < known.size {
        return Err(format!(
            "now {} bytes, shorter than the {} read",
            input.size, known.size
        ));
    }
    match head_crc(&input.path, known.head) {
        Ok(crc) if crc == known.head_crc => Ok(()),
        Ok(_) => Err(format!("its first {} bytes changed", known.head)),
        Err(e) => Err(format!("cannot read it: {e}")),
    }
}

/// A known file that left its path and is `input` now: the same head,
/// and at least as long. Taken once.
fn moved_here(input: &Input, away: &mut Vec<(usize, &Known)>) -> Option<(usize, Known)> {
    if input.packed.is_some() {
        return None;
    }
    let mut heads: HashMap<u64, Option<String>> = HashMap::new();
    let at = away.iter().position(|(_, k)| {
        !k.packed
            && k.size > 0
            && input.size >= k.size
            && heads
                .entry(k.head)
                .or_insert_with(|| head_crc(&input.path, k.head).ok())
                .as_deref()
                == Some(k.head_crc.as_str())
    })?;
    let (server, known) = away.remove(at);
    Some((server, known.clone()))
}

/// The CRC-32 (hex) of the first `len` bytes of the file at `path`.
pub(crate) fn head_crc(path: &Path, len: u64) -> std::io::Result<String> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(len)
        .read_to_end(&mut head)?;
    if (head.len() as u64) < len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "shorter than its head",
        ));
    }
    Ok(format!("{:08x}", crc32fast::hash(&head)))
}

/// Follows what changed since the state was written: a server whose files
/// are named otherwise now (rule 3 names a folder's server by its
/// connectors, and a new log may disagree) takes its new name, and a
/// session left open in a folder now reached under another path goes
/// with it. A server whose files are now split between servers cannot
/// be split exactly: an error. Returns whether anything changed.
pub(crate) fn follow(
    state: &mut State,
    resume: &Resume,
    files: &[Input],
    servers: &Servers,
) -> Result<bool, String> {
    let mut names: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); state.servers.len()];
    let mut folders: BTreeMap<String, String> = BTreeMap::new();
    for (i, found) in resume.of_file.iter().enumerate() {
        let Some((s, known)) = found else { continue };
        names[*s].insert(servers.name(servers.of_file[i]));
        let parent = |p: &str| Path::new(p).parent().map(|d| d.display().to_string());
        if let (Some(old), Some(new)) = (
            parent(&known.path),
            parent(&files[i].path.display().to_string()),
        ) {
            folders.insert(old, new);
        }
    }
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for (server, now) in state.servers.iter_mut().zip(names) {
        match now.len() {
            0 => {}
            1 => {
                let name = now.into_iter().next().expect("one").to_string();
                if name != server.name {
                    renamed.insert(std::mem::replace(&mut server.name, name.clone()), name);
                }
            }
            _ => {
                return Err(format!(
                    "the logs the state counted as server {} are now those of servers {}: \
                     its counts cannot be split between them; run with --rebuild",
                    server.name,
                    now.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    for o in &mut state.open {
        if let Some(name) = renamed.get(&o.server) {
            o.server = name.clone();
        }
        if let Some(folder) = folders.get(&o.folder.display().to_string()) {
            o.folder = folder.into();
        }
    }
    Ok(!renamed.is_empty())
}
