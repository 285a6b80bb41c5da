//! Bytes of a file: memory-mapped, or read into memory.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

/// Files smaller than this are read: mapping costs a few system calls and
/// page faults that a small `read` does not.
pub const MMAP_MIN: u64 = 64 * 1024;

/// A whole file's bytes, however they were obtained.
pub enum Source {
    Mmap(memmap2::Mmap),
    Heap(Vec<u8>),
}

impl Deref for Source {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Source::Mmap(m) => m,
            Source::Heap(v) => v,
        }
    }
}

impl Source {
    /// Opens `path` read-only (Exchange keeps writing its newest file; we
    /// never lock or write). Large regular files are mapped, with a plain
    /// read when mapping fails.
    /// `mmap: false` always reads (`--no-mmap`).
    pub fn open(path: &Path, mmap: bool) -> std::io::Result<Source> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if mmap && meta.is_file() && meta.len() >= MMAP_MIN {
            // SAFETY: the map is read-only and private to this process. If
            // another process truncates the file while it is mapped, reads
            // past the new end raise SIGBUS and end the run; Exchange only
            // appends to its logs and deletes whole files (an unlinked file
            // stays mapped), so this is not expected on real log folders.
            // Where other tools may truncate logs, --no-mmap reads instead.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                #[cfg(unix)]
                let _ = map.advise(memmap2::Advice::Sequential);
                return Ok(Source::Mmap(map));
            }
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut buf)?;
        Ok(Source::Heap(buf))
    }

    /// Drops this process's page-table entries for `[start, end)` of a
    /// mapped file once it has been scanned, so a 4 GB file does not stay
    /// resident in *our* address space (the pages stay in the page cache).
    /// A no-op for read files and where the OS refuses.
    pub fn release(&self, start: usize, end: usize) {
        #[cfg(not(unix))]
        let _ = (start, end);
        #[cfg(unix)]
        if let Source::Mmap(m) = self
            && end > start
        {
            // SAFETY: the map is read-only and file-backed: MADV_DONTNEED only
            // unmaps pages, and a later read (another chunk touching a shared
            // page) faults them back in from the page cache unchanged.
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
}
