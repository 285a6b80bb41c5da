//! A run's counts added to the state's: every file (read now, read
//! before, or gone) gets the place a run over all of them would give it,
//! and what the run counted but the state must not keep goes to the tail.

use super::known::{HEAD, Resume, head_crc};
use super::{Known, ServerState, State};
use crate::files::FileStats;
use crate::filter::Filters;
use crate::input::{Input, order_key};
use crate::parse::Service;
use crate::partial::{FileEntry, ScanFlags, fingerprint, reassign};
use crate::pipeline::{Scanned, count_session};
use crate::servers::{Rule, ServerId, Servers};
use crate::tally::Tally;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The state after a run, and the files in the order of its counts.
#[derive(Debug)]
pub(crate) struct Absorbed {
    pub state: State,
    /// The servers of the state's counts (ids as in its tallies).
    pub servers: Servers,
    /// Every file, read now or before, by its id in the counts.
    pub inputs: Vec<Input>,
    pub files: Vec<FileEntry>,
    /// Bytes this run read, and of how many files.
    pub read_now: (u64, usize),
}

impl Absorbed {
    /// The counts the reports show: each server's, with its tail.
    pub(crate) fn parts(servers: Vec<ServerState>, ids: &Servers) -> Vec<(ServerId, Tally)> {
        servers
            .into_iter()
            .map(|s| {
                let id = ids
                    .names
                    .binary_search(&s.name)
                    .expect("every server named") as ServerId;
                (id, s.tally.merge(s.tail))
            })
            .collect()
    }
}

/// One file of the state after the run.
struct Entry {
    input: Input,
    server: String,
    rule: Rule,
    /// Its index in this run's scan, if found.
    run: Option<usize>,
    /// The state's record of it, if it had one: the server it was counted
    /// under (index in the state), and the record (at its path now).
    old: Option<(usize, Known)>,
}

/// Adds what `scanned` counted (its files as `resume` matched them to
/// the state's) to `old`; `filters` decide whether the sessions left open
/// count, as they would have in the scan.
pub(crate) fn absorb(
    old: State,
    resume: Resume,
    files: Vec<Input>,
    scanned: Scanned,
    filters: &Filters,
    scan: ScanFlags,
) -> Result<Absorbed, String> {
    let mut entries = entries(&old, resume, files, &scanned.servers);
    let servers = servers_of(&entries, &old);
    let mut run_ids = BTreeMap::new();
    let mut old_ids: Vec<BTreeMap<usize, usize>> = vec![BTreeMap::new(); old.servers.len()];
    for (new, e) in entries.iter().enumerate() {
        if let Some(i) = e.run {
            run_ids.insert(i, new);
        }
        if let Some((s, k)) = &e.old {
            old_ids[*s].insert(k.id, new);
        }
    }
    let n = servers.names.len();
    let mut counts: Vec<Tally> = (0..n).map(|_| Tally::default()).collect();
    let mut tails: Vec<Tally> = (0..n).map(|_| Tally::default()).collect();
    let (open, other_servers) = (scanned.open, scanned.other_servers);
    let mut knowns: Vec<Option<Known>> = entries
        .iter()
        .map(|e| e.old.as_ref().map(|(_, k)| k.clone()))
        .collect();
    let mut read_now = (0, 0);
    for (s, server) in old.servers.into_iter().enumerate() {
        let id = sid(&servers, &server.name);
        let t = reassign(server.tally, id, &old_ids[s])?;
        add(&mut counts[id as usize], t);
    }
    for (run_id, mut part) in scanned.parts {
        let name = scanned.servers.name(run_id).to_string();
        let id = sid(&servers, &name);
        let mut tail = Tally::default();
        for (i, stats) in std::mem::take(&mut part.files) {
            let new = run_ids[&i];
            read_now.0 += stats.bytes;
            read_now.1 += 1;
            let (kept, left) = split(&entries[new].input, stats, &mut knowns[new]);
            part.files.insert(i, kept);
            if let Some(left) = left {
                tail.files.insert(i, left);
            }
        }
        part.files.retain(|_, f| *f != FileStats::default());
        add(&mut counts[id as usize], reassign(part, id, &run_ids)?);
        add(&mut tails[id as usize], reassign(tail, id, &run_ids)?);
    }
    for o in &open {
        let id = sid(&servers, &o.server);
        let service = Service::from_path(&o.folder.to_string_lossy());
        let tail = &mut tails[id as usize];
        count_session(tail, &o.session, id, service, filters, true);
    }
    let state = State {
        scan,
        servers: server_states(&servers, &mut knowns, counts, tails),
        other_servers,
        tlsrpt: old.tlsrpt,
        reports: old.reports,
        open,
        written_ms: crate::pipeline::now_ms(),
    };
    let files = file_entries(&entries, &knowns);
    for e in &mut entries {
        e.input.start = 0;
    }
    let inputs = entries.into_iter().map(|e| e.input).collect();
    Ok(Absorbed {
        state,
        servers,
        inputs,
        files,
        read_now,
    })
}

fn sid(servers: &Servers, name: &str) -> ServerId {
    servers
        .names
        .binary_search_by(|n| n.as_str().cmp(name))
        .expect("every server named") as ServerId
}

fn add(to: &mut Tally, t: Tally) {
    *to = std::mem::take(to).merge(t);
}

/// Every file of the state after the run, in the order a run over all of
/// them reads them.
fn entries(old: &State, resume: Resume, files: Vec<Input>, run: &Servers) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(files.len());
    let mut found = BTreeSet::new();
    for (i, (input, known)) in files.into_iter().zip(resume.of_file).enumerate() {
        let server = run.of_file[i];
        let old = known.map(|(s, mut k)| {
            found.insert((s, k.id));
            k.path = input.path.display().to_string();
            (s, k)
        });
        entries.push(Entry {
            input,
            server: run.name(server).to_string(),
            rule: run.rules[server as usize],
            run: Some(i),
            old,
        });
    }
    for (s, server) in old.servers.iter().enumerate() {
        for k in server.files.iter().filter(|k| !found.contains(&(s, k.id))) {
            entries.push(Entry {
                input: Input::new(Path::new(&k.path), k.size),
                server: server.name.clone(),
                rule: server.rule,
                run: None,
                old: Some((s, k.clone())),
            });
        }
    }
    entries.sort_by_cached_key(|e| order_key(&e.input.path));
    entries
}

/// The servers of the files, and of the state's counts, by name.
fn servers_of(entries: &[Entry], old: &State) -> Servers {
    let mut rules: BTreeMap<&str, Rule> = BTreeMap::new();
    for s in &old.servers {
        rules.insert(&s.name, s.rule);
    }
    // The run's rule wins: it read the paths as they are now.
    for e in entries.iter().filter(|e| e.run.is_some()) {
        rules.insert(&e.server, e.rule);
    }
    for e in entries {
        rules.entry(&e.server).or_insert(e.rule);
    }
    let names: Vec<String> = rules.keys().map(|n| n.to_string()).collect();
    Servers {
        of_file: entries
            .iter()
            .map(|e| names.binary_search(&e.server).expect("named") as ServerId)
            .collect(),
        rules: rules.into_values().collect(),
        names,
    }
}

/// A file's counts of this run, split into what the state keeps and what
/// it leaves to the tail; `known` becomes what the state knows of it.
fn split(
    input: &Input,
    mut stats: FileStats,
    known: &mut Option<Known>,
) -> (FileStats, Option<FileStats>) {
    if stats.skipped.is_some() {
        // Not read: looked at again next time.
        return (FileStats::default(), Some(stats));
    }
    if input.packed.is_some() {
        *known = Some(Known {
            id: 0,
            path: input.path.display().to_string(),
            size: input.size,
            fingerprint: fingerprint(input),
            head: 0,
            head_crc: String::new(),
            packed: true,
        });
        return (stats, None);
    }
    let end = input.start + stats.bytes;
    let mut cut = end;
    let mut left = None;
    if stats.unterminated > 0 {
        // A line still being written: the next run reads it whole.
        cut = last_line_start(&input.path, input.start, end).unwrap_or(input.start);
        left = Some(stats.split_unterminated(cut, end - cut));
    }
    let head = cut.min(HEAD);
    let head_crc = match known {
        Some(k) if k.head == head => k.head_crc.clone(),
        _ => head_crc(&input.path, head).unwrap_or_default(),
    };
    *known = Some(Known {
        id: 0,
        path: input.path.display().to_string(),
        size: cut,
        fingerprint: fingerprint(input),
        head,
        head_crc,
        packed: false,
    });
    (stats, left)
}

/// Where the last line before `end` starts (after the last line ending
/// in `from..end`), reading the file backwards a block at a time.
fn last_line_start(path: &Path, from: u64, end: u64) -> std::io::Result<u64> {
    const BLOCK: u64 = 64 << 10;
    let mut file = std::fs::File::open(path)?;
    let mut at = end;
    let mut buf = Vec::new();
    while at > from {
        let start = at.saturating_sub(BLOCK).max(from);
        buf.resize((at - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(i) = memchr::memrchr(b'\n', &buf) {
            return Ok(start + i as u64 + 1);
        }
        at = start;
    }
    Ok(from)
}

/// The state's servers: each with the files it knows (ids as in the
/// counts), its counts (made canonical) and its tail.
fn server_states(
    servers: &Servers,
    knowns: &mut [Option<Known>],
    counts: Vec<Tally>,
    tails: Vec<Tally>,
) -> Vec<ServerState> {
    let mut files: Vec<Vec<Known>> = vec![Vec::new(); servers.names.len()];
    for (id, known) in knowns.iter_mut().enumerate() {
        if let Some(k) = known {
            k.id = id;
            files[servers.of_file[id] as usize].push(k.clone());
        }
    }
    counts
        .into_iter()
        .zip(tails)
        .zip(files)
        .enumerate()
        .filter(|(_, ((c, t), f))| !(f.is_empty() && c.files.is_empty() && t.files.is_empty()))
        .map(|(id, ((mut tally, tail), files))| {
            tally.canonical();
            ServerState {
                name: servers.names[id].clone(),
                rule: servers.rules[id],
                files,
                tally,
                tail,
            }
        })
        .collect()
}

/// What `--partial` writes of each file.
fn file_entries(entries: &[Entry], knowns: &[Option<Known>]) -> Vec<FileEntry> {
    entries
        .iter()
        .zip(knowns)
        .enumerate()
        .map(|(id, (e, k))| FileEntry {
            id,
            path: e.input.path.display().to_string(),
            size: e.input.size,
            fingerprint: k
                .as_ref()
                .map(|k| k.fingerprint.clone())
                .unwrap_or_default(),
        })
        .collect()
}
