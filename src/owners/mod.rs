//! `--owners FILE`: who owns a remote, and how to reach them.
//!
//! The file is a CSV with the columns `match,owner,contact` (a header in
//! any case, the columns in any order, other columns ignored), read in the
//! connector inventory's encodings ([`crate::inventory::decode`]) with a
//! `,`, `;` or tab separator (`read.rs`). `match` is one of four kinds
//! ([`Kind`], `pattern.rs`): an IP, a CIDR network, an EHLO glob or a
//! `@domain` of sender addresses. For a remote, the first row in file
//! order that matches its IP, any of its EHLO names or any of its sender
//! addresses wins ([`Owners::owner_of`]). The rows are indexed by kind
//! (`index.rs`), so that a lookup is a few hash probes, not a pass over
//! every row.
//!
//! Owner and contact are kept as written but for their surrounding
//! whitespace, control characters and all: they are hostile text, and
//! whoever shows them escapes or neutralizes them. Messages quote only a
//! row's `match`, escaped (Rust's `{:?}`).
//!
//! Lookups record which rows filled something: after the reports are
//! built, [`Owners::unmatched`] names each row that never did.

mod index;
mod pattern;
mod read;

pub(crate) use crate::inventory::{Error, Warning};
pub(crate) use pattern::Kind;

use index::Index;
use pattern::Pattern;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Larger than this is not an owners file (64 MiB, the inventory's limit).
const LIMIT: u64 = 64 << 20;

/// One row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The 1-based line the row starts on.
    pub line: u64,
    /// `match` as written (trimmed).
    pub text: String,
    /// Owner and contact: one may be empty, not both (such a row is
    /// left out when read).
    pub owner: String,
    pub contact: String,
    pattern: Pattern,
}

impl Row {
    pub fn kind(&self) -> Kind {
        self.pattern.kind()
    }
}

/// An owners file, indexed for lookups, with what the lookups matched.
/// Lookups take `&self` and may run on many threads.
#[derive(Debug)]
pub struct Owners {
    path: PathBuf,
    rows: Vec<Row>,
    warnings: Vec<Warning>,
    index: Index,
    /// Per row: it won a lookup.
    won: Vec<AtomicBool>,
    /// Per row: the earliest row that won a lookup this row matched too
    /// (`u32::MAX`: none). The earliest, so that threads' order does not
    /// change the warning.
    taken_by: Vec<AtomicU32>,
}

impl Owners {
    /// Reads and indexes the owners file at `path`. A malformed file is an
    /// Error naming it and the line; warnings are in [`Owners::warnings`].
    pub fn read(path: &Path) -> Result<Owners, Error> {
        let error = |message: String| Error {
            file: path.to_path_buf(),
            line: None,
            message,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(LIMIT + 1).read_to_end(&mut bytes))
            .map_err(|e| error(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > LIMIT {
            return Err(error(format!(
                "larger than {} MiB: not an owners file",
                LIMIT >> 20
            )));
        }
        Owners::from_bytes(path, &bytes)
    }

    /// [`Owners::read`] of `bytes`, read from `path`.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Owners, Error> {
        let read = read::read(path, bytes)?;
        if read.rows.len() >= u32::MAX as usize {
            return Err(Error {
                file: path.to_path_buf(),
                line: None,
                message: "more than 4 billion rows".into(),
            });
        }
        let index = Index::new(&read.rows);
        Ok(Owners {
            path: path.to_path_buf(),
            won: read.rows.iter().map(|_| AtomicBool::new(false)).collect(),
            taken_by: read.rows.iter().map(|_| AtomicU32::new(u32::MAX)).collect(),
            rows: read.rows,
            warnings: read.warnings,
            index,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rows in file order (empty lines, and rows with neither owner
    /// nor contact, left out).
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// What reading found that the user should know (a file that is not
    /// UTF-8, no rows): the file was read.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The owner of a remote: the first row in file order that matches its
    /// IP (exlog's text: `192.0.2.7`, `2001:db8::1`; an IPv4-mapped IPv6
    /// address matches IPv4 rows too), any of its EHLO names, or the
    /// domain of any of its sender (MAIL FROM) addresses (the part after
    /// the last `@`). Records the rows that matched, for
    /// [`Owners::unmatched`].
    pub fn owner_of<'e, 's>(
        &self,
        ip: &[u8],
        ehlos: impl IntoIterator<Item = &'e [u8]>,
        senders: impl IntoIterator<Item = &'s [u8]>,
    ) -> Option<&Row> {
        let mut hits = Vec::new();
        self.index.ip_hits(ip, &mut hits);
        for ehlo in ehlos {
            self.index.ehlo_hits(ehlo, &mut hits);
        }
        for sender in senders {
            self.index.sender_hits(sender, &mut hits);
        }
        let first = *hits.iter().min()?;
        self.won[first as usize].store(true, Ordering::Relaxed);
        for &hit in hits.iter().filter(|&&h| h != first) {
            self.taken_by[hit as usize].fetch_min(first, Ordering::Relaxed);
        }
        Some(&self.rows[first as usize])
    }

    /// One warning per row that filled no owner in the lookups so far, in
    /// file order, naming the file, the line and its `match`: it matched
    /// no remote, or only remotes an earlier row matched first.
    pub fn unmatched(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if self.won[i].load(Ordering::Relaxed) {
                continue;
            }
            let message = match self.taken_by[i].load(Ordering::Relaxed) {
                u32::MAX => format!("owners row {:?} matched no remote", row.text),
                by => format!(
                    "owners row {:?} matched only remotes that line {} matched first: \
                     it filled no owner",
                    row.text, self.rows[by as usize].line
                ),
            };
            out.push(Warning {
                file: self.path.clone(),
                line: Some(row.line),
                message,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
