//! `--state FILE`: each run reads only what is new.
//!
//! A state is a partial result ([`crate::partial`]) with more in it: per
//! server, the counts of every session finished so far and the files read
//! (how far: up to their last complete line, with a CRC-32 of their head
//! to tell a replaced file), and the sessions still open at the end. The
//! next run reads the bytes added since, goes on with the open sessions,
//! and adds its counts: the reports are those of one run over everything,
//! also over files Exchange deleted since (their counts stay in the state).
//!
//! What a run counts but must not keep, because the next run reads on
//! from there, is its *tail*: the sessions still open (counted as
//! incomplete, as a run over all the bytes would at their end), a
//! half-written last line, a file skipped (read again next time). Reports
//! are the counts and the tail; the state keeps both apart, so that merge
//! reads a state as the partial result of its run.
//!
//! - [`file`]: the state file, read (refused with a reason) and written.
//! - [`known`]: which files were read and how far; matching the files of
//!   a new run against them.
//! - [`absorb`]: a run's counts added to the state's, the tail apart.

mod absorb;
mod file;
mod keep;
mod known;
mod run;

pub(crate) use absorb::{Absorbed, absorb};
pub(crate) use file::{Loaded, load, write};
pub(crate) use run::{Flags, run};

use crate::partial::ScanFlags;
use crate::pipeline::OpenSession;
use crate::servers::Rule;
use crate::tally::Tally;
use crate::tlsrpt;
use serde::{Deserialize, Serialize};

/// A file earlier runs read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Known {
    /// Its index in the run that wrote the state (the key of its stats).
    pub id: usize,
    pub path: String,
    /// Bytes counted: up to the end of its last complete line (a
    /// compressed file: its size; it is read whole, once).
    pub size: u64,
    /// What a copy of it has ([`crate::partial::fingerprint`]), as merge
    /// compares; empty when it was not read.
    pub fingerprint: String,
    /// The CRC-32 of its first `head` bytes: a file whose head changed was
    /// replaced or rewritten.
    pub head: u64,
    pub head_crc: String,
    /// Compressed or archived: read whole, as a stream.
    #[serde(default)]
    pub packed: bool,
}

impl Known {
    /// A TLS-RPT report read (whole, once): known by its path.
    pub(crate) fn report(r: &crate::input::Report) -> Known {
        Known {
            id: 0,
            path: r.path.display().to_string(),
            size: 0,
            fingerprint: String::new(),
            head: 0,
            head_crc: String::new(),
            packed: r.packed.is_some(),
        }
    }
}

/// One server in the state.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ServerState {
    pub name: String,
    pub rule: Rule,
    pub files: Vec<Known>,
    /// Every session finished so far, every complete line read.
    pub tally: Tally,
    /// What the last run counted but the state does not keep (see the
    /// module's doc): the next run counts it anew.
    pub tail: Tally,
}

/// The state's body.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub scan: ScanFlags,
    pub servers: Vec<ServerState>,
    pub other_servers: u64,
    pub tlsrpt: tlsrpt::Read,
    /// The TLS-RPT reports read (each once, whole).
    pub reports: Vec<Known>,
    /// Sessions open at the end of the last run, by folder and server.
    pub open: Vec<OpenSession>,
    /// When the state was last written (ms since 1970), for messages.
    pub written_ms: i64,
}
