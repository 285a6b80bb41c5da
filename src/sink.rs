//! The one way counted sessions leave the pipeline: a [`SessionSink`]
//! (ripgrep's `Sink` is the model). The pipeline hands each session that
//! passed the filters and was counted to every sink of the scan, and knows
//! nothing else of them. The sinks: the Parquet events (`crate::events`),
//! and here the two ways a session report is kept ([`Keep`]): the sessions
//! themselves, or each one's CSV line.

use crate::parse::Service;
use crate::servers::{ServerId, Servers};
use crate::smtp::session::Session;
use crate::sorted_lines::SortedLines;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where a batch of sessions stands in the one order they are handed over
/// in, whatever the thread count: by work unit, then batch within it
/// (`last`: the unit's final one), then the sessions joined at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Order {
    pub unit: usize,
    pub batch: usize,
    pub last: bool,
}

/// What a sink needs to name a session's server and folder.
pub struct SinkContext<'a> {
    pub servers: &'a Servers,
    pub folders: &'a [PathBuf],
    /// The transport service of each folder, by its path.
    pub services: Vec<Option<Service>>,
}

/// Takes counted sessions as they finish, from any worker, in batches: a
/// sink that cares for the order puts the batches in [`Order`] itself.
pub trait SessionSink: Send + Sync + std::fmt::Debug {
    /// An empty batch, for one worker to fill.
    fn batch(&self) -> Box<dyn SessionBatch>;
}

/// Sessions on their way to a sink. A session is taken in (turned into
/// what the sink keeps of it) the moment it is counted: holding thousands
/// of sessions, and freeing them all at once, costs more than the sink.
pub trait SessionBatch: Send {
    /// Takes a session, with its server and log folder (an index into
    /// [`SinkContext::folders`]).
    fn add(&mut self, session: &Session, server: ServerId, folder: usize, ctx: &SinkContext);
    /// Takes a session no other sink needs after this one: a sink that
    /// keeps sessions whole moves it instead of copying it.
    fn take(&mut self, session: Session, server: ServerId, folder: usize, ctx: &SinkContext) {
        self.add(&session, server, folder, ctx);
    }
    /// How many sessions it holds.
    fn sessions(&self) -> usize;
    /// Hands the batch to its sink, at `at` in the order.
    fn hand_over(self: Box<Self>, at: Order);
}

/// What to keep of each counted session for the session report.
#[derive(Clone, Copy, Debug)]
pub enum Keep {
    Nothing,
    /// The sessions themselves (table, JSON and xlsx output).
    Sessions,
    /// Each session rendered by this function (a CSV line; the second
    /// argument is its server's name) on the worker that finished it:
    /// rendering runs in parallel, and a line is smaller than a session.
    Lines(fn(&Session, &str) -> Box<[u8]>),
}

/// The sink [`Keep`] asks for, and what it kept once the scan is over.
#[derive(Debug)]
pub(crate) enum Kept {
    Nothing,
    Sessions(KeptSessions),
    Lines(KeptLines),
}

impl Kept {
    /// The sink for `keep`; kept lines go to disk past `spill_at` bytes.
    pub(crate) fn new(keep: Keep, spill_at: usize) -> Kept {
        match keep {
            Keep::Nothing => Kept::Nothing,
            Keep::Sessions => Kept::Sessions(KeptSessions::default()),
            Keep::Lines(render) => Kept::Lines(KeptLines {
                render,
                spill_at,
                lines: Arc::default(),
            }),
        }
    }

    /// The sink, if anything is kept.
    pub(crate) fn sink(&self) -> Option<&dyn SessionSink> {
        match self {
            Kept::Nothing => None,
            Kept::Sessions(s) => Some(s),
            Kept::Lines(l) => Some(l),
        }
    }

    /// The kept sessions (with their server) and lines (in no particular
    /// order: the caller sorts them).
    pub(crate) fn into_parts(self) -> (Vec<(Session, ServerId)>, SortedLines) {
        match self {
            Kept::Nothing => Default::default(),
            Kept::Sessions(s) => (into_inner(s.sessions), SortedLines::default()),
            Kept::Lines(l) => (Vec::new(), into_inner(l.lines)),
        }
    }
}

/// What a shared store holds once every batch has been handed over.
fn into_inner<T: Default>(store: Arc<Mutex<T>>) -> T {
    Arc::into_inner(store)
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_default()
}

/// Keeps the sessions whole.
#[derive(Debug, Default)]
pub(crate) struct KeptSessions {
    sessions: Arc<Mutex<Vec<(Session, ServerId)>>>,
}

impl SessionSink for KeptSessions {
    fn batch(&self) -> Box<dyn SessionBatch> {
        Box::new(SessionsBatch {
            held: Vec::new(),
            to: Arc::clone(&self.sessions),
        })
    }
}

struct SessionsBatch {
    held: Vec<(Session, ServerId)>,
    to: Arc<Mutex<Vec<(Session, ServerId)>>>,
}

impl SessionBatch for SessionsBatch {
    fn add(&mut self, session: &Session, server: ServerId, folder: usize, ctx: &SinkContext) {
        self.take(session.clone(), server, folder, ctx);
    }
    fn take(&mut self, session: Session, server: ServerId, _: usize, _: &SinkContext) {
        self.held.push((session, server));
    }
    fn sessions(&self) -> usize {
        self.held.len()
    }
    fn hand_over(self: Box<Self>, _: Order) {
        let mut to = self.to.lock().unwrap_or_else(|e| e.into_inner());
        to.extend(self.held);
    }
}

/// Keeps each session's rendered line, in bounded memory ([`SortedLines`]).
#[derive(Debug)]
pub(crate) struct KeptLines {
    render: fn(&Session, &str) -> Box<[u8]>,
    spill_at: usize,
    lines: Arc<Mutex<SortedLines>>,
}

impl SessionSink for KeptLines {
    fn batch(&self) -> Box<dyn SessionBatch> {
        Box::new(LinesBatch {
            render: self.render,
            spill_at: self.spill_at,
            held: Vec::new(),
            to: Arc::clone(&self.lines),
        })
    }
}

struct LinesBatch {
    render: fn(&Session, &str) -> Box<[u8]>,
    spill_at: usize,
    held: Vec<(crate::parse::Stamp, Box<[u8]>)>,
    to: Arc<Mutex<SortedLines>>,
}

impl SessionBatch for LinesBatch {
    fn add(&mut self, session: &Session, server: ServerId, _: usize, ctx: &SinkContext) {
        let line = (self.render)(session, ctx.servers.name(server));
        self.held.push((session.start, line));
    }
    fn sessions(&self) -> usize {
        self.held.len()
    }
    fn hand_over(self: Box<Self>, _: Order) {
        // Pushed one by one: past `spill_at` the store writes a sorted run
        // to disk, so memory stays bounded however many batches come.
        let mut to = self.to.lock().unwrap_or_else(|e| e.into_inner());
        for (start, line) in self.held {
            to.push(start, line, self.spill_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Plan, scan_slices};
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Records what it is handed: each session's server and id, and the
    /// order of each batch.
    #[derive(Debug, Default)]
    struct Recorder {
        seen: Arc<Mutex<Vec<(String, String)>>>,
        orders: Arc<Mutex<Vec<Order>>>,
    }

    struct Recording {
        held: Vec<(String, String)>,
        seen: Arc<Mutex<Vec<(String, String)>>>,
        orders: Arc<Mutex<Vec<Order>>>,
    }

    impl SessionSink for Recorder {
        fn batch(&self) -> Box<dyn SessionBatch> {
            Box::new(Recording {
                held: Vec::new(),
                seen: Arc::clone(&self.seen),
                orders: Arc::clone(&self.orders),
            })
        }
    }

    impl SessionBatch for Recording {
        fn add(&mut self, s: &Session, server: ServerId, _: usize, ctx: &SinkContext) {
            let id = String::from_utf8_lossy(&s.session_id).into_owned();
            self.held.push((ctx.servers.name(server).to_string(), id));
        }
        fn sessions(&self) -> usize {
            self.held.len()
        }
        fn hand_over(self: Box<Self>, at: Order) {
            self.orders.lock().unwrap().push(at);
            self.seen.lock().unwrap().extend(self.held);
        }
    }

    /// A receive log of `n` sessions of three rows each, interleaved (row
    /// 0 of session i, row 1 of i-1, the end of i-2) so that sessions
    /// cross any cut; the last `open` sessions never end.
    fn log(server: &str, n: usize, open: usize) -> Vec<u8> {
        let mut out = String::from(
            "#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n\
             #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n",
        );
        let row = |i: usize, seq: usize| {
            let event = ["+", "<", "-"][seq];
            format!(
                "2024-03-08T10:{:02}:{:02}.000Z,{server}\\Default {server},{server}{i:012},{seq},10.0.0.1:25,192.0.2.{}:4000{seq},{event},EHLO a,\r\n",
                i / 60,
                i % 60,
                i % 200 + 1,
            )
        };
        for step in 0..n + 2 {
            if step < n {
                out += &row(step, 0);
            }
            if (1..=n).contains(&step) {
                out += &row(step - 1, 1);
            }
            if step >= 2 && step - 2 < n - open {
                out += &row(step - 2, 2);
            }
        }
        out.into_bytes()
    }

    /// Every counted session reaches the sink exactly once, whatever the
    /// chunk size and thread count; the batches' orders are distinct and
    /// each unit (and the stitcher's) ends with one `last` batch. The
    /// session report's sink, last in line, takes the same sessions.
    #[test]
    fn the_sink_gets_every_finished_session_once() {
        // 25 sessions on EX01 (3 never end: the stitcher finishes them)
        // and 15 on EX02: 40 in all.
        let (ex01, ex02) = (log("EX01", 25, 3), log("EX02", 15, 0));
        let files = [
            (Path::new("logs/EX01/RECV2024030810-1.LOG"), &ex01[..]),
            (Path::new("logs/EX02/RECV2024030810-1.LOG"), &ex02[..]),
        ];
        for chunk in [1, 97, 700, 4096, 1 << 20] {
            for threads in [1, 2, 4] {
                let recorder = Arc::new(Recorder::default());
                let plan = Plan {
                    chunk,
                    keep: Keep::Sessions,
                    events: Some(Arc::clone(&recorder) as Arc<dyn SessionSink>),
                    ..Plan::sessions()
                };
                let scanned = scan_slices(&files, &plan, threads);
                let case = format!("chunk {chunk}, {threads} threads");
                let seen = recorder.seen.lock().unwrap().clone();
                assert_eq!(seen.len(), 40, "{case}");
                let mut once: BTreeMap<&(String, String), usize> = BTreeMap::new();
                for s in &seen {
                    *once.entry(s).or_default() += 1;
                }
                assert_eq!(once.len(), 40, "{case}: a session came twice");
                let per_server = |name: &str| once.keys().filter(|(s, _)| s == name).count();
                assert_eq!((per_server("EX01"), per_server("EX02")), (25, 15), "{case}");
                let mut kept: Vec<(String, String)> = scanned
                    .sessions
                    .iter()
                    .map(|(s, server)| {
                        let id = String::from_utf8_lossy(&s.session_id).into_owned();
                        (scanned.servers.name(*server).to_string(), id)
                    })
                    .collect();
                kept.sort();
                assert_eq!(
                    kept,
                    once.keys().cloned().cloned().collect::<Vec<_>>(),
                    "{case}"
                );
                let mut orders = recorder.orders.lock().unwrap().clone();
                orders.sort();
                orders.dedup();
                assert_eq!(
                    orders.len(),
                    recorder.orders.lock().unwrap().len(),
                    "{case}"
                );
                let units = orders.iter().filter(|o| o.last).count();
                let unit_ids: std::collections::BTreeSet<usize> =
                    orders.iter().map(|o| o.unit).collect();
                assert_eq!(units, unit_ids.len(), "{case}: one last batch a unit");
            }
        }
    }
}
