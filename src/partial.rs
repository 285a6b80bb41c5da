//! A partial result: what `--partial FILE` writes, so that `exlog merge`
//! rebuilds every aggregate report of runs over separate servers exactly
//! as one run over all their files would. (Older exlogs embedded it in the
//! `--format json` document, as its `partial` member; merge reads those
//! too.)
//!
//! Its unit is the server: sessions never cross servers (a log folder holds
//! one server's logs), so the counts of separate servers add up exactly.
//! Each server comes with its files (path, size, fingerprint) and its
//! counts. The body is checked by a CRC-32 written after it, and the
//! format by its name and version.
//!
//! Merging, a server whose files were all read already (a second partial
//! of it, or a copy) is counted once, with a warning; one that shares only
//! some of its files with another cannot be split exactly, and is refused.

use crate::diagnostic::{Diagnostic, Kind};
use crate::input::Input;
use crate::inventory::Inventory;
use crate::pipeline::Scanned;
use crate::servers::ServerId;
use crate::servers::{Rule, Servers};
use crate::tally::Tally;
use crate::tlsrpt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The name a partial result carries, so nothing else is taken for one.
pub const FORMAT: &str = "exlog partial result";
/// Raised whenever the body changes shape; other versions are refused.
pub const VERSION: u32 = 5;
/// A state (`--state FILE`) is a partial result with more in it (how far
/// each file was read, the sessions still open): merge reads it as one.
pub const STATE_FORMAT: &str = "exlog state";
pub const STATE_VERSION: u32 = 2;

/// What the scan was asked to count: partials merge only when these agree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFlags {
    /// Sessions were read (not `--tls-only`).
    pub sessions: bool,
    /// `--since`/`--until`, as the scan compared them.
    pub since: Option<String>,
    pub until: Option<String>,
    /// The other filter flags as given (`--connector=EX01*`), sorted.
    pub filters: Vec<String>,
}

/// One file read: the merge knows a file read twice by these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its index in the run that wrote the partial (the key of its stats).
    pub id: usize,
    pub path: String,
    pub size: u64,
    pub fingerprint: String,
}

#[derive(Serialize)]
struct ServerOut<'a> {
    name: &'a str,
    rule: Rule,
    files: Vec<FileEntry>,
    tally: &'a Tally,
}

/// The body as one value: [`write`] writes the same bytes a piece at a
/// time (a test checks).
#[cfg(test)]
#[derive(Serialize)]
struct BodyOut<'a> {
    scan: &'a ScanFlags,
    servers: Vec<ServerOut<'a>>,
    other_servers: u64,
    tlsrpt: &'a tlsrpt::Read,
    inventory: Option<&'a Inventory>,
}

#[derive(Deserialize)]
struct ServerIn {
    name: String,
    rule: Rule,
    files: Vec<FileEntry>,
    tally: Tally,
    /// A state's: what its run counted but the state does not keep (the
    /// sessions left open, counted as incomplete; a half-written last
    /// line), which a merge counts as that run's reports did.
    #[serde(default)]
    tail: Option<Tally>,
}

#[derive(Deserialize)]
struct BodyIn {
    scan: ScanFlags,
    servers: Vec<ServerIn>,
    other_servers: u64,
    tlsrpt: tlsrpt::Read,
    /// The connector inventory the run read, so that merge needs it not
    /// again.
    #[serde(default)]
    inventory: Option<Inventory>,
}

/// The envelope of a partial result (and of a state): the format's name
/// and version, the body, and the body's CRC-32.
#[derive(Deserialize)]
pub(crate) struct Envelope<'a> {
    pub(crate) format: String,
    pub(crate) version: u32,
    #[serde(borrow)]
    pub(crate) body: &'a serde_json::value::RawValue,
    pub(crate) crc32: String,
}

/// What merge reads: a partial result's file (the envelope's members at
/// the top), or an older exlog's JSON report that embeds one as its
/// `partial` member.
#[derive(Deserialize)]
struct Document<'a> {
    format: Option<String>,
    version: Option<u32>,
    #[serde(borrow)]
    body: Option<&'a serde_json::value::RawValue>,
    crc32: Option<String>,
    #[serde(borrow)]
    partial: Option<Envelope<'a>>,
}

impl<'a> Document<'a> {
    fn envelope(self) -> Option<Envelope<'a>> {
        match self {
            Document {
                partial: Some(env), ..
            } => Some(env),
            Document {
                format: Some(format),
                version: Some(version),
                body: Some(body),
                crc32: Some(crc32),
                ..
            } => Some(Envelope {
                format,
                version,
                body,
                crc32,
            }),
            _ => None,
        }
    }
}

/// The file `--partial` names, while the run goes on: a temporary file
/// beside it, made before the scan (so that a bad path fails at once),
/// written, synced and only then renamed over it. A crash, a full disk or
/// Ctrl-C leave the earlier file as it was (and at worst a stray
/// `.NAME.*.tmp` beside it).
pub struct Pending {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    /// What is written, for messages.
    what: &'static str,
}

impl Pending {
    pub fn create(path: &Path) -> Result<Pending, String> {
        Pending::create_for(path, "--partial", "the partial result")
    }

    /// The file `flag` names, which will hold `what`.
    pub(crate) fn create_for(
        path: &Path,
        flag: &str,
        what: &'static str,
    ) -> Result<Pending, String> {
        let name = path.display();
        let file_name = match path.file_name() {
            Some(n) if !path.is_dir() => n.to_string_lossy(),
            _ => return Err(format!("{name}: {flag} needs a file name, not a folder")),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let prefix = format!(".{file_name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // Readable as the reports are (the umask applies), not 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder
            .tempfile_in(dir)
            .map_err(|e| format!("{name}: cannot write here: {e}"))?;
        Ok(Pending {
            path: path.to_path_buf(),
            temp,
            what,
        })
    }

    /// Writes the partial result with `write` (then a newline), and puts
    /// the file in place.
    pub fn finish(
        self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), String> {
        let fail =
            |e: io::Error| format!("{}: cannot write {}: {e}", self.path.display(), self.what);
        let mut out = io::BufWriter::with_capacity(1 << 16, self.temp.as_file());
        write(&mut out).map_err(fail)?;
        out.write_all(b"\n").map_err(fail)?;
        out.into_inner()
            .map_err(|e| fail(e.into_error()))?
            .sync_all()
            .map_err(fail)?;
        let path = self.path.clone();
        self.temp.persist(&path).map_err(|e| fail(e.error))?;
        // The rename itself survives a crash once the folder is synced.
        #[cfg(unix)]
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Passes bytes on and keeps their CRC-32.
pub(crate) struct Checked<'w> {
    pub(crate) out: &'w mut dyn Write,
    pub(crate) crc: crc32fast::Hasher,
}

impl Write for Checked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The files of a scan, each with its fingerprint.
pub fn file_entries(inputs: &[Input]) -> Vec<FileEntry> {
    inputs
        .iter()
        .enumerate()
        .map(|(id, input)| FileEntry {
            id,
            path: input.path.display().to_string(),
            size: input.size,
            fingerprint: fingerprint(input),
        })
        .collect()
}

/// Text held outside the heap, in blocks of anonymous memory given back
/// to the system when dropped: a server's part is megabytes, and on the
/// heap of the thread that wrote it, freed, it would stay resident while
/// the reports are built.
#[derive(Default)]
struct Blocks {
    blocks: Vec<memmap2::MmapMut>,
    /// Bytes used in the last block.
    used: usize,
}

impl Blocks {
    const SIZE: usize = 1 << 20;

    fn filled(&self) -> impl Iterator<Item = &[u8]> {
        let last = self.blocks.len().saturating_sub(1);
        self.blocks
            .iter()
            .enumerate()
            .map(move |(i, b)| if i == last { &b[..self.used] } else { &b[..] })
    }
}

impl Write for Blocks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.blocks.is_empty() || self.used == Self::SIZE {
            self.blocks.push(memmap2::MmapMut::map_anon(Self::SIZE)?);
            self.used = 0;
        }
        let block = self.blocks.last_mut().expect("a block");
        let n = buf.len().min(Self::SIZE - self.used);
        block[self.used..self.used + n].copy_from_slice(&buf[..n]);
        self.used += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the partial says of one server.
fn server_out<'a>(
    servers: &'a Servers,
    files: &[FileEntry],
    (id, tally): &'a (ServerId, Tally),
) -> ServerOut<'a> {
    ServerOut {
        name: servers.name(*id),
        rule: servers.rules[*id as usize],
        files: files
            .iter()
            .filter(|f| servers.of_file[f.id] == *id)
            .cloned()
            .collect(),
        tally,
    }
}

/// Writes the partial result of a scan (one JSON object, on one line):
/// `files` are the scan's files ([`file_entries`]), by index.
pub fn write(
    out: &mut dyn Write,
    flags: &ScanFlags,
    scanned: &Scanned,
    files: &[FileEntry],
    rpt: &tlsrpt::Read,
    inventory: Option<&Inventory>,
    pool: &rayon::ThreadPool,
) -> io::Result<()> {
    write!(
        out,
        "{{\"format\": {}, \"version\": {VERSION}, \"body\": ",
        serde_json::to_string(FORMAT)?
    )?;
    // serde_json writes token by token: check and pass on whole blocks.
    let mut checked = io::BufWriter::with_capacity(
        1 << 16,
        Checked {
            out: &mut *out,
            crc: crc32fast::Hasher::new(),
        },
    );
    // The body as serde would write `BodyOut`, a server at a time: while
    // this thread writes one, another core (if the pool has two) turns
    // the next into text, so that at most one server is held as text.
    checked.write_all(b"{\"scan\":")?;
    serde_json::to_writer(&mut checked, flags)?;
    checked.write_all(b",\"servers\":[")?;
    let servers = &scanned.servers;
    let as_text = |part| -> io::Result<Blocks> {
        let mut text = Blocks::default();
        serde_json::to_writer(&mut text, &server_out(servers, files, part))?;
        Ok(text)
    };
    let pair = if pool.current_num_threads() > 1 { 2 } else { 1 };
    for (round, group) in scanned.parts.chunks(pair).enumerate() {
        let mut next = None;
        let written: io::Result<()> = pool.in_place_scope(|scope| {
            if let Some(part) = group.get(1) {
                scope.spawn(|_| next = Some(as_text(part)));
            }
            if round > 0 {
                checked.write_all(b",")?;
            }
            serde_json::to_writer(&mut checked, &server_out(servers, files, &group[0]))
                .map_err(io::Error::from)
        });
        written?;
        if let Some(text) = next {
            checked.write_all(b",")?;
            for block in text?.filled() {
                checked.write_all(block)?;
            }
        }
    }
    write!(
        checked,
        "],\"other_servers\":{},\"tlsrpt\":",
        scanned.other_servers
    )?;
    serde_json::to_writer(&mut checked, rpt)?;
    checked.write_all(b",\"inventory\":")?;
    serde_json::to_writer(&mut checked, &inventory)?;
    checked.write_all(b"}")?;
    let crc = checked
        .into_inner()
        .map_err(|e| e.into_error())?
        .crc
        .finalize();
    write!(out, ", \"crc32\": \"{crc:08x}\"}}")
}

/// What tells a file read by two runs: its size and a CRC-32 of its first
/// and last 64 KiB ([`crate::input::content_key`]; of a compressed file:
/// its own CRC-32 and size). Only an exact copy has the same; standard
/// input has none.
pub fn fingerprint(input: &Input) -> String {
    if input.packed.is_some() {
        return input
            .fingerprint
            .map_or_else(String::new, |f| format!("packed:{f:016x}"));
    }
    match crate::input::content_key(&input.path, input.size) {
        Ok((size, ends)) => format!("{size}:{:08x}:{:08x}", ends >> 32, ends & 0xffff_ffff),
        Err(_) => String::new(),
    }
}

/// Partials combined: what a scan of all their files would have left.
#[derive(Debug, Default)]
pub struct Merged {
    /// The counts, per server ([`Scanned::sum_parts`] adds them up).
    pub scanned: Scanned,
    /// The files, in the order of `scanned.servers.of_file`.
    pub inputs: Vec<Input>,
    pub files: Vec<FileEntry>,
    pub flags: ScanFlags,
    pub tlsrpt: tlsrpt::Read,
    /// The connector inventories the partials carry, combined.
    pub inventory: Option<Inventory>,
    /// Partials or servers not merged (exit code 2).
    pub errors: Vec<Diagnostic>,
    /// Servers read twice and counted once, reports read twice.
    pub warnings: Vec<Diagnostic>,
}

/// A server of a partial, with the file it came from.
struct Unit {
    from: PathBuf,
    server: ServerIn,
}

impl Unit {
    fn prints(&self) -> std::collections::BTreeSet<&str> {
        self.server
            .files
            .iter()
            .map(|f| f.fingerprint.as_str())
            .filter(|f| !f.is_empty())
            .collect()
    }
}

/// The body of a partial result or a state (`format`, `version`) laid
/// out exactly as exlog writes it, if its CRC-32 holds. Such a body is
/// parsed once, not first skipped over to find where it ends; `None`
/// sends the file through the general reading, which says what is wrong.
pub(crate) fn as_written<'a>(bytes: &'a [u8], format: &str, version: u32) -> Option<&'a [u8]> {
    let head = format!("{{\"format\": \"{format}\", \"version\": {version}, \"body\": ");
    let rest = bytes.strip_prefix(head.as_bytes())?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    // `, "crc32": "0123abcd"}`
    const TAIL: usize = ", \"crc32\": \"\"}".len() + 8;
    let (body, tail) = rest.split_at_checked(rest.len().checked_sub(TAIL)?)?;
    let crc = tail
        .strip_prefix(b", \"crc32\": \"")?
        .strip_suffix(b"\"}")?;
    (crc == format!("{:08x}", crc32fast::hash(body)).as_bytes()).then_some(body)
}

/// Reads one partial; the error names the file and says what is wrong.
fn read(path: &Path) -> Result<BodyIn, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let written = as_written(&bytes, FORMAT, VERSION)
        .or_else(|| as_written(&bytes, STATE_FORMAT, STATE_VERSION));
    if let Some(body) = written {
        return serde_json::from_slice(body)
            .map_err(|e| format!("{name}: the partial result cannot be read: {e}"));
    }
    let not_partial = |what: String| {
        format!(
            "{name}: not merged: exlog merge reads a partial result written by \
             `exlog --partial FILE`; this file is {what}"
        )
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| not_partial(what_is(&bytes)))?;
    let doc: Document = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() && text.trim_start().starts_with('{') {
            format!(
                "{name}: cut short (the JSON ends at line {}): not merged",
                e.line()
            )
        } else {
            not_partial(what_is(&bytes))
        }
    })?;
    let env = doc.envelope().ok_or_else(|| {
        format!("{name}: holds no partial result (written by `exlog --partial FILE`?)")
    })?;
    if env.format == STATE_FORMAT && env.version != STATE_VERSION {
        return Err(format!(
            "{name}: a state of format version {}; this exlog reads version {STATE_VERSION}",
            env.version
        ));
    } else if env.format != FORMAT && env.format != STATE_FORMAT {
        return Err(format!(
            "{name}: not an exlog partial result ({:?})",
            env.format
        ));
    } else if env.format == FORMAT && env.version != VERSION {
        return Err(format!(
            "{name}: a partial result of format version {}; this exlog reads version {VERSION}: \
             make it again with this exlog",
            env.version
        ));
    }
    let crc = format!("{:08x}", crc32fast::hash(env.body.get().as_bytes()));
    if crc != env.crc32 {
        return Err(format!(
            "{name}: the partial result was altered after it was written (CRC-32 {crc}, \
             written {}): not merged",
            env.crc32
        ));
    }
    serde_json::from_str(env.body.get())
        .map_err(|e| format!("{name}: the partial result cannot be read: {e}"))
}

/// What a file that is not a partial result seems to be, for the message:
/// its kind, and its first line (neutralized, cut to 60 characters).
fn what_is(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return "gzip-compressed (unpack it first)".into();
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return "a zip archive".into();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return "binary, not text".into();
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first: String = text.lines().next().unwrap_or("").chars().take(60).collect();
    let first = crate::report::table::sanitize(&first);
    let kind = if text.trim_start().starts_with(['{', '[']) {
        "JSON of another kind"
    } else if first.contains(',') {
        "CSV"
    } else if text.trim().is_empty() {
        return "empty".into();
    } else {
        "text"
    };
    format!("{kind} (its first line: {first})")
}

/// Combines the partial results in `paths`. An error is returned only when
/// they cannot be combined at all (different scan flags, or none readable).
pub fn merge(paths: &[PathBuf]) -> Result<Merged, String> {
    let mut merged = Merged::default();
    let (flags, mut units) = read_all(paths, &mut merged)?;
    merged.flags = flags;
    // Servers by name, and within one name by their first file: the same
    // result whatever the order of the partials.
    units.sort_by(|a, b| {
        (&a.server.name, a.server.files.first().map(|f| &f.path))
            .cmp(&(&b.server.name, b.server.files.first().map(|f| &f.path)))
    });
    let mut names: Vec<String> = units.iter().map(|u| u.server.name.clone()).collect();
    names.dedup();
    let mut servers = Servers {
        rules: vec![Rule::Folder; names.len()],
        names,
        of_file: Vec::new(),
    };
    let mut parts: Vec<(ServerId, Tally)> = Vec::new();
    for unit in units {
        let (id, part) = renumber(unit, &mut servers, &mut merged)?;
        match parts.last_mut() {
            Some((last, t)) if *last == id => *t = std::mem::take(t).merge(part),
            _ => parts.push((id, part)),
        }
    }
    merged.scanned.parts = parts;
    merged.scanned.servers = servers;
    Ok(merged)
}

/// Reads the partial results: their scan flags (all the same, or an
/// error), and each server's part, once; what cannot be read is an error
/// in `merged`.
fn read_all(paths: &[PathBuf], merged: &mut Merged) -> Result<(ScanFlags, Vec<Unit>), String> {
    let mut flags: Option<(ScanFlags, &Path)> = None;
    let mut units: Vec<Unit> = Vec::new();
    for path in paths {
        let body = match read(path) {
            Ok(b) => b,
            Err(e) => {
                merged
                    .errors
                    .push(Diagnostic::error(Kind::Partial, e).in_file(path.display()));
                continue;
            }
        };
        match &flags {
            None => flags = Some((body.scan.clone(), path)),
            Some((f, first)) if *f != body.scan => {
                return Err(format!(
                    "{} and {} were made with different scan flags ({} / {}): their counts \
                     cannot be added",
                    first.display(),
                    path.display(),
                    describe(f),
                    describe(&body.scan)
                ));
            }
            Some(_) => {}
        }
        merged.scanned.other_servers += body.other_servers;
        add_reports(merged, body.tlsrpt, path);
        add_inventory(merged, body.inventory, path);
        for server in body.servers {
            let unit = Unit {
                from: path.clone(),
                server,
            };
            place(&mut units, unit, merged);
        }
    }
    match flags {
        Some((flags, _)) => Ok((flags, units)),
        None => Err(format!(
            "no partial result could be read: {}",
            merged
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

/// Gives a unit's server its id in `servers` and its files new ids after
/// those taken; returns the id and its counts, renumbered.
fn renumber(
    unit: Unit,
    servers: &mut Servers,
    merged: &mut Merged,
) -> Result<(ServerId, Tally), String> {
    let id = servers
        .names
        .binary_search(&unit.server.name)
        .expect("every unit's name") as ServerId;
    servers.rules[id as usize] = unit.server.rule;
    let mut ids = BTreeMap::new();
    for f in &unit.server.files {
        let new = merged.inputs.len();
        ids.insert(f.id, new);
        servers.of_file.push(id);
        let mut input = Input::new(Path::new(&f.path), f.size);
        input.root = unit.from.clone();
        merged.inputs.push(input);
        merged.files.push(FileEntry {
            id: new,
            ..f.clone()
        });
    }
    let tally = match unit.server.tail {
        Some(tail) => unit.server.tally.merge(tail),
        None => unit.server.tally,
    };
    let part = reassign(tally, id, &ids)
        .map_err(|e| format!("{}: server {}: {e}", unit.from.display(), unit.server.name))?;
    Ok((id, part))
}

/// Adds `unit` unless its files were read already.
fn place(units: &mut Vec<Unit>, unit: Unit, merged: &mut Merged) {
    let mine = unit.prints();
    let name = &unit.server.name;
    let overlapping: Vec<usize> = (0..units.len())
        .filter(|&i| !units[i].prints().is_disjoint(&mine))
        .collect();
    for &i in &overlapping {
        let theirs = units[i].prints();
        if mine.is_subset(&theirs) {
            let text = format!(
                "{}: server {name}'s {} were read already from {}: counted once",
                unit.from.display(),
                crate::report::count(mine.len() as u64, "file", "files"),
                units[i].from.display()
            );
            merged
                .warnings
                .push(Diagnostic::warning(Kind::Partial, text).in_file(unit.from.display()));
            return;
        }
    }
    for &i in &overlapping {
        let theirs = units[i].prints();
        if !theirs.is_subset(&mine) {
            let shared = theirs.intersection(&mine).count();
            let text = format!(
                "{}: server {name} shares {shared} of its {} files with {}, and each has files \
                 the other lacks (a log that grew between the runs?): not merged; make one \
                 partial result of all of that server's files",
                unit.from.display(),
                mine.len(),
                units[i].from.display()
            );
            merged
                .errors
                .push(Diagnostic::error(Kind::Partial, text).in_file(unit.from.display()));
            return;
        }
    }
    // This one holds every file of the overlapping ones: it replaces them.
    for &i in overlapping.iter().rev() {
        let old = units.remove(i);
        let text = format!(
            "{}: server {}'s files are all in {} too: counted once",
            old.from.display(),
            old.server.name,
            unit.from.display()
        );
        merged
            .warnings
            .push(Diagnostic::warning(Kind::Partial, text).in_file(old.from.display()));
    }
    units.push(unit);
}

/// TLS-RPT reports of one partial; a report-id seen already is counted once.
/// Adds the inventory a partial carries; a connector two partials hold
/// with other values keeps the first, with a warning.
fn add_inventory(merged: &mut Merged, carried: Option<Inventory>, from: &Path) {
    let Some(carried) = carried else { return };
    let Some(inv) = merged.inventory.as_mut() else {
        merged.inventory = Some(carried);
        return;
    };
    for identity in inv.absorb(carried) {
        let text = format!(
            "{}: its connector inventory differs from an earlier partial's on connector {identity:?}: the earlier one is used (give merge --inventory to choose)",
            from.display()
        );
        merged
            .warnings
            .push(Diagnostic::warning(Kind::Partial, text).in_file(from.display()));
    }
}

fn add_reports(merged: &mut Merged, read: tlsrpt::Read, from: &Path) {
    add_reports_to(&mut merged.tlsrpt, read, &from.display().to_string());
}

/// Adds the TLS-RPT reports another run read (`from` names it) to `rpt`;
/// a report-id seen already is counted once.
pub(crate) fn add_reports_to(rpt: &mut tlsrpt::Read, read: tlsrpt::Read, from: &str) {
    rpt.files += read.files;
    rpt.skipped += read.skipped;
    rpt.duplicates += read.duplicates;
    rpt.warnings.extend(read.warnings);
    let mut again = std::collections::BTreeSet::new();
    for (id, file) in read.seen {
        match rpt.seen.get(&id) {
            Some(first) => {
                rpt.duplicates += 1;
                let text = format!(
                    "{from} ({file}): report-id {id:?} was read already from {first}: counted once"
                );
                rpt.warnings.push(tlsrpt::Read::warning(&file, text));
                again.insert(id);
            }
            None => {
                rpt.seen.insert(id, file);
            }
        }
    }
    rpt.rows.extend(
        read.rows
            .into_iter()
            .filter(|r| !again.contains(&r.report_id)),
    );
}

/// Scan flags in words, for the mismatch message.
pub(crate) fn describe(f: &ScanFlags) -> String {
    let mut parts = vec![if f.sessions { "sessions" } else { "--tls-only" }.to_string()];
    if let Some(s) = &f.since {
        parts.push(format!("--since {s}"));
    }
    if let Some(u) = &f.until {
        parts.push(format!("--until {u}"));
    }
    parts.extend(f.filters.iter().cloned());
    parts.join(" ")
}

/// A server's counts with its new server id and file ids.
pub(crate) fn reassign(
    t: Tally,
    id: ServerId,
    files: &BTreeMap<usize, usize>,
) -> Result<Tally, String> {
    let file = |old: usize| {
        files
            .get(&old)
            .copied()
            .ok_or_else(|| format!("counts for file {old}, which is not in its file list"))
    };
    Ok(Tally {
        smtp: t.smtp.reassign(id),
        files: t
            .files
            .into_iter()
            .map(|(f, s)| Ok((file(f)?, s)))
            .collect::<Result<_, String>>()?,
        iis: t.iis.reassign(id),
        ..t
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Plan, scan_slices};
    use crate::tally::Tally;
    use std::path::Path;

    /// Every kind of count, written and read back, is the same tally:
    /// sessions, TLS lines, failures, an IIS log with legacy clients.
    #[test]
    fn a_tally_reads_back_as_written() {
        let smtp = b"#Log-type: SMTP Receive Protocol Log\r\n\
2024-03-08T10:00:00.000Z,EX01\\Default Frontend EX01,08DC01,0,10.0.0.1:25,192.0.2.7:5000,+,,\r\n\
2024-03-08T10:00:00.100Z,EX01\\Default Frontend EX01,08DC01,1,10.0.0.1:25,192.0.2.7:5000,<,EHLO m\xe9.example,\r\n\
2024-03-08T10:00:00.200Z,EX01\\Default Frontend EX01,08DC01,2,10.0.0.1:25,192.0.2.7:5000,*,,\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"\r\n\
2024-03-08T10:00:01.000Z,EX01\\Default Frontend EX01,08DC02,0,10.0.0.1:25,192.0.2.8:5000,+,,\r\n\
2024-03-08T10:00:01.200Z,EX01\\Default Frontend EX01,08DC02,1,10.0.0.1:25,192.0.2.8:5000,*,,TLS negotiation failed with error UnknownCredentials\r\n\
2024-03-08T10:00:01.300Z,EX01\\Default Frontend EX01,08DC02,2,10.0.0.1:25,192.0.2.8:5000,-,,Local\r\n";
        let iis = b"#Software: Microsoft Internet Information Services 10.0\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken crypt-protocol crypt-cipher crypt-hash crypt-keyexchange\r\n\
2024-03-08 10:00:00 10.0.0.1 GET /EWS/Exchange.asmx - 443 u1 192.0.2.9 App/1.0 - 200 0 0 5 40 6610 800d ae06\r\n\
2024-03-08 10:00:02 10.0.0.1 GET /owa/ - 443 u2 192.0.2.10 Browser - 200 0 0 5 800 6610 800d ae06\r\n";
        let files = [
            (Path::new("logs/EX01/RECV2024030810-1.LOG"), &smtp[..]),
            (Path::new("logs/EX01/W3SVC1/u_ex240308.log"), &iis[..]),
        ];
        let mut plan = Plan::sessions();
        plan.by_server = true;
        let scanned = scan_slices(&files, &plan, 1);
        assert!(!scanned.parts.is_empty());
        for (_, tally) in &scanned.parts {
            // Lists in no order are written sorted: compare as written.
            let text = serde_json::to_string(tally).unwrap();
            let back: Tally = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
            assert_eq!(back.files, tally.files);
            assert_eq!(back.smtp.remote, tally.smtp.remote);
            assert_eq!(back.iis.http, tally.iis.http);
        }
        let any = |f: fn(&Tally) -> bool| scanned.parts.iter().any(|(_, t)| f(t));
        assert!(any(|t| t.iis.https.values().any(|e| !e.legacy.is_empty())));
        assert!(any(
            |t| !t.smtp.failure.is_empty() && !t.smtp.remote[0].is_empty()
        ));
        assert!(any(|t| !t.iis.http_app.is_empty()));
    }

    /// Text across several blocks, in pieces of odd sizes, reads back as
    /// written; so does text of exactly one block, and none.
    #[test]
    fn blocks_hold_what_was_written() {
        for len in [0, 1, Blocks::SIZE, 2 * Blocks::SIZE + Blocks::SIZE / 2 + 7] {
            let text: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut blocks = Blocks::default();
            for piece in text.chunks(65_521) {
                blocks.write_all(piece).unwrap();
            }
            let back: Vec<u8> = blocks.filled().flatten().copied().collect();
            assert_eq!(back.len(), len);
            assert!(back == text, "{len} bytes");
        }
    }

    /// The body written a server at a time, on one thread or more, is
    /// what serde writes for the whole body at once.
    #[test]
    fn the_body_written_in_pieces_is_the_body_serde_writes() {
        let log = |n: u8| {
            format!(
                "2024-03-08T10:00:0{n}.000Z,EX0{n}\\Default Frontend EX0{n},08DC0{n},0,10.0.0.{n}:25,192.0.2.{n}:5000,+,,\r\n\
                 2024-03-08T10:00:0{n}.200Z,EX0{n}\\Default Frontend EX0{n},08DC0{n},1,10.0.0.{n}:25,192.0.2.{n}:5000,*,,TLS negotiation failed with error UnknownCredentials\r\n"
            )
            .into_bytes()
        };
        let logs: Vec<(String, Vec<u8>)> = (1..=3)
            .map(|n| (format!("logs/EX0{n}/RECV2024030810-1.LOG"), log(n)))
            .collect();
        let files: Vec<(&Path, &[u8])> = logs
            .iter()
            .map(|(p, b)| (Path::new(p.as_str()), b.as_slice()))
            .collect();
        let mut plan = Plan::sessions();
        plan.by_server = true;
        let scanned = scan_slices(&files, &plan, 1);
        assert_eq!(scanned.parts.len(), 3);
        let entries: Vec<FileEntry> = logs
            .iter()
            .enumerate()
            .map(|(id, (path, bytes))| FileEntry {
                id,
                path: path.clone(),
                size: bytes.len() as u64,
                fingerprint: format!("f{id}"),
            })
            .collect();
        let (flags, rpt) = (ScanFlags::default(), crate::tlsrpt::Read::default());
        let whole = serde_json::to_string(&BodyOut {
            scan: &flags,
            servers: scanned
                .parts
                .iter()
                .map(|p| server_out(&scanned.servers, &entries, p))
                .collect(),
            other_servers: scanned.other_servers,
            tlsrpt: &rpt,
            inventory: None,
        })
        .unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = Vec::new();
            write(&mut out, &flags, &scanned, &entries, &rpt, None, &pool).unwrap();
            let text = String::from_utf8(out).unwrap();
            let body = text
                .split_once("\"body\": ")
                .and_then(|(_, b)| b.rsplit_once(", \"crc32\""))
                .map(|(b, _)| b)
                .unwrap();
            assert_eq!(body, whole, "{threads} threads");
            for n in 1..=3 {
                assert!(body.contains(&format!("\"name\":\"EX0{n}\"")), "{body}");
            }
        }
    }
}
