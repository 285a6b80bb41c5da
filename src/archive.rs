//! Compressed and archived logs, and standard input: read as streams,
//! never unpacked to disk and never held whole in memory.
//!
//! - `RECV2024031512-1.LOG.gz`: one gzip file (several gzip members, as
//!   `cat a.gz b.gz` makes, are read one after another);
//! - `logs.zip`: every entry whose name is `RECV*.LOG`/`SEND*.LOG` is a log
//!   of its own, in the folder the archive holds it in;
//! - `-`: standard input, plain or gzip (told by its first two bytes).
//!
//! A zip bomb is refused: an entry whose declared size is more than
//! [`MAX_RATIO`] times its compressed size is not read, and any stream
//! stops with an error once it has given more than [`MAX_RATIO`] times the
//! compressed bytes read (plus [`SLACK`]). Logs compress 10 to 30 times.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// The largest uncompressed-to-compressed ratio read.
pub(crate) const MAX_RATIO: u64 = 200;
/// Uncompressed bytes always allowed, whatever the ratio (tiny files).
pub(crate) const SLACK: u64 = 1 << 20;

/// Where a streamed input's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packed {
    /// A gzip file.
    Gzip(PathBuf),
    /// Entry `index` of a zip archive.
    ZipEntry { archive: PathBuf, index: usize },
    /// Standard input.
    Stdin,
}

/// True for a name that ends in `.gz` (any case).
pub(crate) fn is_gzip_name(name: &str) -> bool {
    name.len() > 3 && name[name.len() - 3..].eq_ignore_ascii_case(".gz")
}

/// True for a name that ends in `.zip` (any case).
pub(crate) fn is_zip_name(name: &str) -> bool {
    name.len() > 4 && name[name.len() - 4..].eq_ignore_ascii_case(".zip")
}

/// A log entry of a zip archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub index: usize,
    /// Its path inside the archive, with `/` separators.
    pub path: String,
    pub compressed: u64,
    /// Uncompressed size and CRC-32, as the directory declares them.
    pub size: u64,
    pub crc: u32,
}

/// The file entries of a zip archive whose own name `wanted` takes.
pub(crate) fn zip_entries(archive: &Path, wanted: impl Fn(&str) -> bool) -> io::Result<Vec<Entry>> {
    let mut zip = zip::ZipArchive::new(BufReader::new(File::open(archive)?)).map_err(zip_error)?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        // Raw: names and sizes only, nothing inflated (nor refused for a
        // password yet: that is said when the entry is read).
        let Ok(f) = zip.by_index_raw(i) else {
            continue;
        };
        let Ok(name) = f.name() else {
            continue; // a name that is not text: not a log's
        };
        let name = name.replace('\\', "/");
        let own = name.rsplit('/').next().unwrap_or(&name);
        if f.is_dir() || !wanted(own) {
            continue;
        }
        out.push(Entry {
            index: i,
            path: name.clone(),
            compressed: f.compressed_size(),
            size: f.size(),
            crc: f.crc32(),
        });
    }
    Ok(out)
}

/// The CRC-32 and size (mod 2^32) in a gzip file's last 8 bytes, as one
/// number: equal for copies, whatever name the header carries.
pub(crate) fn gzip_trailer(path: &Path) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::End(-8)).ok()?;
    let mut t = [0u8; 8];
    f.read_exact(&mut t).ok()?;
    Some(u64::from_le_bytes(t))
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// Counts what goes through: the compressed bytes read from the source.
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops a decompressed stream that outgrows its compressed input.
pub(crate) struct Guarded<'a> {
    inner: Box<dyn Read + 'a>,
    compressed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// A known compressed size (zip entries), else what was read so far.
    declared: Option<u64>,
    out: u64,
}

impl Read for Guarded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let packed = self
            .declared
            .unwrap_or(0)
            .max(self.compressed.load(std::sync::atomic::Ordering::Relaxed));
        if self.out > packed.saturating_mul(MAX_RATIO).saturating_add(SLACK) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "more than {MAX_RATIO} times its compressed size ({} bytes from {packed}): \
                     a zip bomb? not read further",
                    self.out
                ),
            ));
        }
        Ok(n)
    }
}

fn guarded<'a>(
    make: impl FnOnce(Counted<Box<dyn Read + 'a>>) -> Box<dyn Read + 'a>,
    source: Box<dyn Read + 'a>,
    declared: Option<u64>,
) -> Guarded<'a> {
    let compressed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Counted {
        inner: source,
        read: std::sync::Arc::clone(&compressed),
    };
    Guarded {
        inner: make(counted),
        compressed,
        declared,
        out: 0,
    }
}

/// Standard input's first bytes, as read for [`head`] before the scan:
/// the scan reads them again from here, then the rest from stdin.
static STDIN_KEPT: std::sync::Mutex<Option<Vec<u8>>> = std::sync::Mutex::new(None);

/// How much of standard input [`head`] reads ahead: logs compress 10 to
/// 30 times, so this is enough for a head's uncompressed bytes.
const STDIN_AHEAD: usize = 64 * 1024;

/// The first `max` uncompressed bytes of a streamed input, for naming its
/// server before the scan (the README's rule 3). Standard input cannot be
/// read twice: its first bytes are kept for the scan.
pub(crate) fn head(packed: &Packed, max: usize) -> io::Result<Vec<u8>> {
    if *packed == Packed::Stdin {
        let mut kept = STDIN_KEPT.lock().unwrap_or_else(|e| e.into_inner());
        if kept.is_none() {
            let mut raw = Vec::with_capacity(STDIN_AHEAD);
            io::stdin()
                .lock()
                .take(STDIN_AHEAD as u64)
                .read_to_end(&mut raw)?;
            *kept = Some(raw);
        }
        let raw = kept.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        if raw.starts_with(&[0x1f, 0x8b]) {
            // A cut gzip stream: what inflated before the cut is the head.
            let _ = flate2::read::MultiGzDecoder::new(raw)
                .take(max as u64)
                .read_to_end(&mut out);
        } else {
            out.extend_from_slice(&raw[..raw.len().min(max)]);
        }
        return Ok(out);
    }
    with_reader(packed, |r| {
        let mut out = Vec::new();
        r.take(max as u64).read_to_end(&mut out).map(|_| out)
    })?
}

/// Runs `f` on a reader of the uncompressed bytes of a streamed input.
/// (A callback, since a zip entry's reader borrows its archive.)
pub(crate) fn with_reader<T>(packed: &Packed, f: impl FnOnce(&mut dyn Read) -> T) -> io::Result<T> {
    let gzip = |source: Box<dyn Read>| {
        guarded(
            |c| Box::new(flate2::read::MultiGzDecoder::new(c)),
            source,
            None,
        )
    };
    match packed {
        Packed::Gzip(path) => {
            let file = BufReader::with_capacity(1 << 16, File::open(path)?);
            Ok(f(&mut gzip(Box::new(file))))
        }
        Packed::ZipEntry { archive, index } => {
            let mut zip =
                zip::ZipArchive::new(BufReader::new(File::open(archive)?)).map_err(zip_error)?;
            let entry = zip.by_index(*index).map_err(zip_error)?;
            let (size, packed) = (entry.size(), entry.compressed_size());
            if size > packed.saturating_mul(MAX_RATIO).saturating_add(SLACK) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "declared size {size} is more than {MAX_RATIO} times its compressed \
                         size {packed}: a zip bomb? not read"
                    ),
                ));
            }
            // The entry reader checks the CRC at its end; the guard stops
            // an entry that inflates past what its header declared.
            let mut reader = Guarded {
                inner: Box::new(entry),
                compressed: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
                declared: Some(packed),
                out: 0,
            };
            Ok(f(&mut reader))
        }
        Packed::Stdin => {
            let kept = STDIN_KEPT
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            let source = io::Cursor::new(kept).chain(io::stdin());
            let mut stdin = BufReader::with_capacity(1 << 16, source);
            let magic = {
                use std::io::BufRead;
                stdin.fill_buf()?.starts_with(&[0x1f, 0x8b])
            };
            if magic {
                Ok(f(&mut gzip(Box::new(stdin))))
            } else {
                Ok(f(&mut stdin))
            }
        }
    }
}
