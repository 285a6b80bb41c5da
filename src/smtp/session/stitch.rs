//! Joining sessions that cross chunk and file boundaries.
//!
//! A worker scans one chunk of one file and follows the sessions that
//! begin there. What it cannot finish it leaves in a [`Fragment`]: the
//! rows of sessions that began before the chunk (in file order), and the
//! sessions begun in the chunk that are still open at its end. After the
//! parallel pass, [`stitch`] replays the fragments of each folder in file
//! order, so every session gets its rows in the order a single pass over
//! the whole input would have given them.

use super::{Session, key};
use crate::parse::stamp::Bounds;
use crate::parse::{Direction, Row, fields};
use rustc_hash::FxHashMap;

/// Something a chunk saw of a session it did not begin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carried {
    /// A row (the whole line, without its line ending).
    Row(Box<[u8]>),
    /// Row 0 of this id: whatever session of the id is still open from
    /// earlier chunks ends here (a restarted counter, a duplicated row).
    /// The new session itself is followed by the chunk.
    Restart,
}

/// What one chunk leaves for [`stitch`].
#[derive(Debug, Default)]
pub struct Fragment {
    /// Index of the file in the input list, and where the chunk starts:
    /// fragments are replayed in this order.
    pub file: usize,
    pub start: usize,
    /// Sessions are joined within a folder only.
    pub folder: usize,
    /// The server of the folder, for the sessions finished here.
    pub server: u32,
    /// The file's direction, if the file says (for sessions the stitcher
    /// has to begin from a carried row).
    pub direction: Option<Direction>,
    /// The record times the file may hold (others are a skewed clock's).
    pub bounds: Bounds,
    /// `(session key, what)` in file order.
    pub carried: Vec<(u128, Carried)>,
    /// Keys of the sessions begun in the chunk (sorted) and not already
    /// announced by a [`Carried::Restart`]: a session of the same key still
    /// open from earlier chunks ended where this one began.
    pub begun: Vec<u128>,
    /// Sessions begun in the chunk and open at its end, by key.
    pub open: Vec<(u128, Session)>,
}

impl Fragment {
    pub fn is_empty(&self) -> bool {
        self.carried.is_empty() && self.open.is_empty() && self.begun.is_empty()
    }
}

/// A session's direction when the file does not say: from the local port
/// of its first row.
pub(crate) fn direction_of(file: Option<Direction>, row: &Row) -> Direction {
    file.unwrap_or_else(|| Direction::from_ports(row.get(fields::LOCAL_ENDPOINT)))
}

/// What the stitcher tells about a file, for its statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Note {
    /// A carried row was a TLS line.
    TlsRow,
    /// A session id began again while a session of that id was open.
    Restart,
}

/// Sessions still open at the end of what was read: `((folder, session
/// key), (session, server))`, sorted by folder and key.
pub(crate) type Open = Vec<((usize, u128), (Session, u32))>;

/// Replays `fragments` (in any order; they are sorted here) after the
/// sessions `before` left open (an earlier run's, with `--state`), and
/// hands every session, with its server, to `done` once it is complete:
/// at its `-` row, or when a restart replaces it. Returns the sessions
/// still open at the end of the input: a run over all of it counts them
/// as incomplete, a run with `--state` keeps them for the next one.
/// `note` hears of carried TLS lines and restarts, by file.
pub(crate) fn stitch(
    before: Open,
    mut fragments: Vec<Fragment>,
    mut done: impl FnMut(Session, u32, usize),
    mut note: impl FnMut(usize, Note),
) -> Open {
    fragments.sort_by_key(|f| (f.file, f.start));
    let mut open: FxHashMap<(usize, u128), (Session, u32)> = before.into_iter().collect();
    // Each session with its server and folder.
    let mut finish = |(s, server): (Session, u32), folder: usize| done(s, server, folder);
    for fragment in fragments {
        let server = fragment.server;
        for (id, what) in fragment.carried {
            let k = (fragment.folder, id);
            let line = match what {
                Carried::Restart => {
                    if let Some(old) = open.remove(&k) {
                        finish(old, fragment.folder);
                        note(fragment.file, Note::Restart);
                    }
                    continue;
                }
                Carried::Row(line) => line,
            };
            let Ok(row) = Row::parse(&line) else {
                continue; // cannot happen: the scan parsed it before carrying it
            };
            debug_assert_eq!(key(row.get(fields::SESSION_ID)), id);
            let (session, _) = open.entry(k).or_insert_with(|| {
                let mut s = Session::new(direction_of(fragment.direction, &row), &row);
                s.start_skewed = fragment.bounds.excludes(row.get(fields::DATE_TIME));
                (s, server)
            });
            if session.apply_within(&row, &fragment.bounds) {
                note(fragment.file, Note::TlsRow);
            }
            if row.get(fields::EVENT) == b"-" {
                finish(open.remove(&k).expect("present"), fragment.folder);
            }
        }
        for id in fragment.begun {
            if let Some(old) = open.remove(&(fragment.folder, id)) {
                finish(old, fragment.folder);
                note(fragment.file, Note::Restart);
            }
        }
        for (id, session) in fragment.open {
            // Every session begun in the chunk was announced above, so no
            // older one of its key is open; kept as a safety net.
            if let Some(old) = open.insert((fragment.folder, id), (session, server)) {
                finish(old, fragment.folder);
            }
        }
    }
    let mut rest: Open = open.into_iter().collect();
    rest.sort_unstable_by_key(|(k, _)| *k);
    rest
}
