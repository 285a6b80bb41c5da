//! Which files to read: walk the paths given on the command line.

use crate::archive::{self, Packed};
use crate::diagnostic::{Diagnostic, Kind};
use crate::parse::Direction;
use std::path::{Path, PathBuf};

/// One file to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub size: u64,
    /// From the `RECV`/`SEND` name prefix; the header, when present, wins.
    pub name_direction: Option<Direction>,
    /// The PATH (from the command line) it was found under; a file named
    /// directly has its own folder. Servers are named relative to it.
    pub root: PathBuf,
    /// Compressed, archived or standard input: read as a stream. `path` is
    /// then the file (`x.LOG.gz`), the entry inside its archive
    /// (`logs.zip/EX01/…/RECV….LOG`) or `-`.
    pub packed: Option<Packed>,
    /// A packed input's cheap content key, from its gzip trailer or zip
    /// directory (CRC-32 and uncompressed size), for finding copies.
    pub fingerprint: Option<u64>,
    /// Bytes an earlier run read already (`--state`): the scan starts here,
    /// at a line start, and reads nothing of a file read to its `size`.
    pub start: u64,
}

/// The files found, the problems met on the way (missing paths,
/// unreadable folders, symlink loops: errors) and the copies left out
/// (warnings): each names the path.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub files: Vec<Input>,
    pub problems: Vec<Diagnostic>,
    /// Files with the same content as one read (an Explorer `… - Copy.LOG`,
    /// a second copy of a folder): read once, with a warning each.
    pub copies: Vec<Diagnostic>,
    /// Candidate TLS-RPT reports (`.json`, `.json.gz`, or inside a `.zip`):
    /// small documents read whole, apart from the logs.
    pub reports: Vec<Report>,
    /// `.csv` files that may be a connector inventory (their header
    /// decides), and whether each was named on the command line.
    pub inventories: Vec<(PathBuf, bool)>,
}

/// A `.csv` name (any case): a possible connector inventory.
pub(crate) fn is_csv_name(name: &str) -> bool {
    name.len() > 4 && name[name.len() - 4..].eq_ignore_ascii_case(".csv")
}

/// A TLS-RPT report to read: a file, or a gzip file or zip entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Report {
    /// As shown in messages (`x.zip/a!b!1!2.json` for an entry).
    pub path: PathBuf,
    pub packed: Option<Packed>,
    /// Named on the command line: read as a report whatever it holds.
    /// Found in a folder or an archive, it is one only if its content
    /// begins like one ([`crate::tlsrpt::looks_like_report`]); other JSON
    /// is left alone without a word.
    pub named: bool,
}

/// A `.json` or `.json.gz` name (any case): maybe a TLS-RPT report,
/// whatever the rest of its name (RFC 8460's `a!b!c!d.json` or not).
pub(crate) fn is_json_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".json.gz")
}

/// How much of each end of a file is compared to find copies.
const COPY_PROBE: u64 = 64 * 1024;

/// What identifies a file's content, for finding copies and for a
/// partial result's fingerprint: its size, and the CRC-32 of its first
/// 64 KiB (high half) and of the rest up to its last 64 KiB (low half; 0
/// for a file of at most 64 KiB). CRC-32, not the std hasher: the key
/// must be the same from one build of exlog to the next.
pub(crate) fn content_key(path: &Path, size: u64) -> std::io::Result<(u64, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; COPY_PROBE.min(size) as usize];
    file.read_exact(&mut buf)?;
    let head = crc32fast::hash(&buf);
    let tail_len = COPY_PROBE.min(size.saturating_sub(COPY_PROBE));
    file.seek(SeekFrom::Start(size - tail_len))?;
    buf.resize(tail_len as usize, 0);
    file.read_exact(&mut buf)?;
    let tail = crc32fast::hash(&buf);
    Ok((size, (u64::from(head) << 32) | u64::from(tail)))
}

/// Keeps the first of files with the same content (in reading order) and
/// names the others in `walk.copies`. Only files of equal size are read.
fn drop_copies(walk: &mut Walk) {
    use std::collections::HashMap;
    // Cheap keys first; the content is read only where two files share one.
    let group = |f: &Input| match f.packed {
        None => (0u8, f.size),
        Some(_) => (1, f.fingerprint.unwrap_or(u64::MAX)),
    };
    let mut groups: HashMap<(u8, u64), usize> = HashMap::new();
    for f in &walk.files {
        *groups.entry(group(f)).or_insert(0) += 1;
    }
    let mut first: HashMap<(u8, u64, u64), PathBuf> = HashMap::new();
    let mut copies = Vec::new();
    walk.files.retain(|f| {
        let g = group(f);
        let unknown = f.packed.is_some() && f.fingerprint.is_none();
        if (f.packed.is_none() && f.size == 0) || unknown || groups[&g] < 2 {
            return true;
        }
        // An unreadable file is kept: the scan reports why it cannot be read.
        let key = match &f.packed {
            None => content_key(&f.path, f.size).ok(),
            Some(p) => packed_head_hash(p).map(|h| (g.1, h)),
        };
        let Some((a, b)) = key else {
            return true;
        };
        match first.get(&(g.0, a, b)) {
            Some(original) => {
                let text = format!(
                    "{}: same content as {}: read once",
                    f.path.display(),
                    original.display()
                );
                copies
                    .push(Diagnostic::warning(Kind::CopyReadOnce, text).in_file(f.path.display()));
                false
            }
            None => {
                first.insert((g.0, a, b), f.path.clone());
                true
            }
        }
    });
    walk.copies = copies;
}

/// A hash of the first 64 KiB of a packed input's uncompressed bytes.
fn packed_head_hash(p: &Packed) -> Option<u64> {
    use std::hash::Hasher;
    use std::io::Read;
    archive::with_reader(p, |r| {
        let mut buf = Vec::new();
        r.take(COPY_PROBE).read_to_end(&mut buf).ok()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(&buf);
        Some(h.finish())
    })
    .ok()
    .flatten()
}

/// Adds the file at `path` (named `name`, of `size` bytes, found under
/// `root`): a gzip file as one stream, a zip archive as its log entries,
/// anything else as a plain file. `named`: given on the command line.
fn add(walk: &mut Walk, path: &Path, name: &str, size: u64, root: &Path, named: bool) {
    if is_csv_name(name) {
        walk.inventories.push((path.to_path_buf(), named));
        return;
    }
    if is_json_name(name) {
        walk.reports.push(Report {
            path: path.to_path_buf(),
            packed: archive::is_gzip_name(name).then(|| Packed::Gzip(path.to_path_buf())),
            named,
        });
        return;
    }
    if archive::is_zip_name(name) {
        let wanted = |n: &str| is_log_name(n) || is_json_name(n);
        match archive::zip_entries(path, wanted) {
            Ok(entries) => {
                if entries.is_empty() && named {
                    walk.problems.push(path_error(
                        path,
                        "no RECV*.LOG, SEND*.LOG or .json entries in this zip archive",
                    ));
                }
                for e in entries {
                    let virtual_path = path.join(&e.path);
                    if is_json_name(&e.path) {
                        walk.reports.push(Report {
                            path: virtual_path,
                            packed: Some(Packed::ZipEntry {
                                archive: path.to_path_buf(),
                                index: e.index,
                            }),
                            named: false,
                        });
                        continue;
                    }
                    walk.files.push(Input {
                        packed: Some(Packed::ZipEntry {
                            archive: path.to_path_buf(),
                            index: e.index,
                        }),
                        fingerprint: Some((u64::from(e.crc) << 32) ^ e.size),
                        ..Input::under(&virtual_path, e.compressed, path)
                    });
                }
            }
            Err(e) => walk.problems.push(path_error(
                path,
                &format!("cannot read this zip archive: {e}"),
            )),
        }
        return;
    }
    if archive::is_gzip_name(name) {
        let stem = Path::new(&name[..name.len() - 3]);
        walk.files.push(Input {
            packed: Some(Packed::Gzip(path.to_path_buf())),
            fingerprint: archive::gzip_trailer(path),
            name_direction: Direction::from_file_name(&stem.to_string_lossy()),
            ..Input::under(path, size, root)
        });
        return;
    }
    walk.files.push(Input::under(path, size, root));
}

/// `RECV*.LOG` / `SEND*.LOG`, case-insensitive: the only names taken from a
/// folder.
pub(crate) fn is_log_name(name: &str) -> bool {
    name.len() > 8
        && Direction::from_file_name(name).is_some()
        && name
            .get(name.len() - 4..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".LOG"))
}

/// Sort key of a log name: `(RECV|SEND)yyyyMMdd[HH]-N.LOG` orders by date,
/// then a daily file before that date's hourly ones, then by hour and
/// instance number. Other names sort after, by name.
fn name_key(name: &str) -> (u8, u32, i8, u32, String) {
    let parsed = (|| {
        let stem = name.get(4..name.len().checked_sub(4)?)?;
        let (stamp, n) = stem.split_once('-')?;
        let n: u32 = n.parse().ok()?;
        if !stamp.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let date: u32 = stamp.get(..8)?.parse().ok()?;
        let hour: i8 = match stamp.len() {
            8 => -1,
            10 => stamp[8..].parse().ok()?,
            _ => return None,
        };
        Some((date, hour, n))
    })();
    match parsed {
        Some((date, hour, n)) => (0, date, hour, n, name.to_string()),
        None => (1, 0, 0, 0, name.to_string()),
    }
}

/// Where a file goes in the order files are read: by folder, then in
/// Exchange's own order ([`name_key`]; `x.LOG.gz` as `x.LOG`).
pub(crate) type OrderKey = (Option<PathBuf>, (u8, u32, i8, u32, String));

pub(crate) fn order_key(path: &Path) -> OrderKey {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match archive::is_gzip_name(&name) {
        true => name[..name.len() - 3].to_string(),
        false => name,
    };
    (path.parent().map(Path::to_path_buf), name_key(&name))
}

/// Collects the files to read from `paths`, sorted by folder and then in
/// Exchange's own order (date, hour, instance). A file named on the command
/// line is always taken; inside folders only `RECV*.LOG`/`SEND*.LOG` are.
pub(crate) fn collect(paths: &[PathBuf]) -> Walk {
    let mut walk = Walk::default();
    for path in paths {
        if path.as_os_str() == "-" {
            walk.files.push(Input {
                packed: Some(Packed::Stdin),
                ..Input::under(path, 0, Path::new("stdin"))
            });
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                walk.problems
                    .push(path_error(path, &format!("cannot read this path: {e}")));
                continue;
            }
        };
        if meta.is_file() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let root = path.parent().unwrap_or(Path::new(""));
            add(&mut walk, path, &name, meta.len(), root, true);
            continue;
        }
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    walk.problems.push(walk_error(&e));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            let packed = archive::is_zip_name(&name)
                || (archive::is_gzip_name(&name) && is_log_name(&name[..name.len() - 3]));
            let iis = is_iis_name(&name);
            let report = is_json_name(&name) || is_csv_name(&name);
            if !is_log_name(&name) && !packed && !iis && !report {
                continue;
            }
            match entry.metadata() {
                Ok(m) => add(&mut walk, entry.path(), &name, m.len(), path, false),
                Err(e) => walk.problems.push(walk_error(&e)),
            }
        }
    }
    walk.files.sort_by_cached_key(|f| order_key(&f.path));
    // The same file reached twice (named twice, or by a link) is read once.
    let mut seen = std::collections::HashSet::new();
    walk.files.retain(|f| {
        let id = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
        seen.insert(id)
    });
    drop_copies(&mut walk);
    walk.reports.sort_by(|a, b| a.path.cmp(&b.path));
    walk
}

impl Input {
    /// A file named directly: `path` of `size` bytes; its name may give
    /// the direction.
    pub fn new(path: &Path, size: u64) -> Input {
        Input::under(path, size, path.parent().unwrap_or(Path::new("")))
    }

    /// A file found under the folder `root`.
    pub fn under(path: &Path, size: u64, root: &Path) -> Input {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        Input {
            path: path.to_path_buf(),
            size,
            name_direction: Direction::from_file_name(&name),
            root: root.to_path_buf(),
            packed: None,
            fingerprint: None,
            start: 0,
        }
    }
}

/// `PATH: problem`, an error about a path that could not be read.
fn path_error(path: &Path, problem: &str) -> Diagnostic {
    let text = format!("{}: {problem}", path.display());
    Diagnostic::error(Kind::UnreadablePath, text).in_file(path.display())
}

fn walk_error(e: &walkdir::Error) -> Diagnostic {
    let file = e.path().map(|p| p.display().to_string());
    let path = file.clone().unwrap_or_else(|| "?".into());
    let text = if e.loop_ancestor().is_some() {
        format!("{path}: symbolic link loop, not followed")
    } else {
        let cause = e
            .io_error()
            .map(|io| io.to_string())
            .unwrap_or_else(|| e.to_string());
        format!("{path}: {cause}")
    };
    Diagnostic {
        file,
        ..Diagnostic::error(Kind::UnreadablePath, text)
    }
}

/// `u_ex*.log` (any case, with IIS 8.5's `_x` too): the IIS names taken
/// from a folder.
pub(crate) fn is_iis_name(name: &str) -> bool {
    name.len() > 8
        && name[..4].eq_ignore_ascii_case("u_ex")
        && name[name.len() - 4..].eq_ignore_ascii_case(".log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names() {
        assert!(is_log_name("RECV2023011116-1.LOG"));
        assert!(is_log_name("send20221228-12.log"));
        assert!(is_log_name("RECVsomething.Log"));
        assert!(!is_log_name("RECV.LOG"));
        assert!(!is_log_name("notes.txt"));
        assert!(!is_log_name("u_ex210304_x.log"));
        assert!(!is_log_name("RECV2023011116-1.LOG.gz"));
    }

    #[test]
    fn exchange_order() {
        let mut names = vec![
            "RECV2023011116-2.LOG",
            "RECV2023011116-10.LOG",
            "RECV20230111-1.LOG",
            "RECV2023011109-1.LOG",
            "RECVzzz.LOG",
            "RECV2023011116-1.LOG",
            "RECV20230110-3.LOG",
        ];
        names.sort_by_key(|n| name_key(n));
        assert_eq!(
            names,
            [
                "RECV20230110-3.LOG",
                "RECV20230111-1.LOG",
                "RECV2023011109-1.LOG",
                "RECV2023011116-1.LOG",
                "RECV2023011116-2.LOG",
                "RECV2023011116-10.LOG",
                "RECVzzz.LOG",
            ]
        );
    }
}
