//! Reports: sorted rows built once from the merged tally, then written as
//! CSV, JSON or a terminal table. Writers are pure (rows in, bytes out).

pub mod coverage;
pub mod csv;
pub mod fallout;
pub mod html;
pub mod json;
pub mod legacy;
pub mod readiness;
pub mod server;
pub mod sessions;
pub mod svg;
pub mod table;
pub mod window;
pub mod xlsx;

use crate::parse::Direction;
use crate::parse::tls::{self, Version};
use crate::servers::Servers;
use crate::smtp::counts::VersionCounts;
use crate::tally::Tally;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::table::{Cell, Kind, Table, count, hundredths, neutralize, size_text};
pub(crate) use crate::table::{dir, stamp_cell, text, time_cell, version_columns};

fn counts_cells(c: &VersionCounts) -> impl Iterator<Item = Cell> + '_ {
    c.versions
        .iter()
        .map(|&n| Cell::Count(n))
        .chain([Cell::Count(c.failed), Cell::Count(c.total())])
}

/// The time a server's logs cover (SMTP and IIS): first and last record (ms since
/// 1970), clock skew left out, clipped to `--since`/`--until`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl Coverage {
    fn add(&mut self, first: Option<i64>, last: Option<i64>) {
        self.first = match (self.first, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(last);
    }
}

/// One server of the scan: what was read and the time it covers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerInfo {
    /// Index in [`Servers::names`], the key of the tally's maps.
    pub id: u32,
    pub name: String,
    pub files: u64,
    pub bytes: u64,
    /// Both directions, and each (receive, send).
    pub coverage: Coverage,
    pub by_direction: [Coverage; 2],
    /// The days with records of each service folder of its SMTP logs.
    pub days: coverage::ServiceDays,
    /// Exchange's major version, from the logs' headers (the highest).
    pub exchange_major: Option<u16>,
    /// Named after its log folder (no server name was found): Exchange's
    /// default connectors are then known only by the logs' `SERVER\`.
    pub by_folder: bool,
}

/// How reports are built.
#[derive(Clone, Debug)]
pub struct Options {
    /// The readiness window, in days (≥ 1).
    pub window_days: u32,
    /// `--as-of` (ms since 1970): the window's end for every server;
    /// otherwise each server's own latest record.
    pub as_of: Option<i64>,
    /// Sessions were read (not `--tls-only`).
    pub sessions: bool,
    /// `--since`/`--until` (ms): the covered time is clipped to them.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// The connector inventory (`--inventory`, or found among the inputs).
    pub inventory: Option<std::sync::Arc<crate::inventory::Inventory>>,
    /// `--ignore-connector`: connectors left out of the coverage rule.
    pub ignore_connector: Vec<crate::filter::Glob>,
    /// `--connector` and `--direction`: connectors outside them are not
    /// part of a coverage.
    pub connector: Vec<crate::filter::Glob>,
    pub direction: Option<Direction>,
    /// `--owners`: who owns a remote, and how to reach them.
    pub owners: Option<std::sync::Arc<dyn Owners>>,
}

/// Who owns a remote: the `owner` and `contact` of the first rule that
/// matches its IP, its EHLO name or one of its sender addresses.
pub trait Owners: Send + Sync + std::fmt::Debug {
    fn lookup(
        &self,
        ip: &[u8],
        ehlo: &[u8],
        senders: &std::collections::BTreeSet<Box<[u8]>>,
    ) -> Option<(&str, &str)>;
}

impl Owners for crate::owners::Owners {
    fn lookup(
        &self,
        ip: &[u8],
        ehlo: &[u8],
        senders: &std::collections::BTreeSet<Box<[u8]>>,
    ) -> Option<(&str, &str)> {
        let ehlos = (!ehlo.is_empty()).then_some(ehlo);
        self.owner_of(ip, ehlos, senders.iter().map(|s| &**s))
            .map(|row| (row.owner.as_str(), row.contact.as_str()))
    }
}

impl Options {
    /// Sessions read, a 14-day window, no filters.
    pub fn new(window_days: u32, sessions: bool) -> Options {
        Options {
            window_days,
            as_of: None,
            sessions,
            since: None,
            until: None,
            inventory: None,
            ignore_connector: Vec::new(),
            connector: Vec::new(),
            direction: None,
            owners: None,
        }
    }

    /// Whether a connector (`SERVER\Name` or a send connector's name) is
    /// inside `--direction` and `--connector`.
    pub fn considers(&self, direction: Direction, identity: &str) -> bool {
        self.direction.is_none_or(|d| d == direction)
            && (self.connector.is_empty()
                || self
                    .connector
                    .iter()
                    .any(|g| g.matches(identity.as_bytes())))
    }

    /// Whether `--ignore-connector` names a connector.
    pub fn ignores(&self, _direction: Direction, identity: &str) -> bool {
        self.ignore_connector
            .iter()
            .any(|g| g.matches(identity.as_bytes()))
    }
}

/// Totals over everything that was scanned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub files: u64,
    pub files_skipped: u64,
    pub bytes: u64,
    pub lines: u64,
    /// Last lines without a line ending (files still being written): not
    /// parsed.
    pub unterminated_lines: u64,
    pub tls_rows: u64,
    pub negotiations: u64,
    pub failures: u64,
    pub malformed_rows: u64,
    pub by_version: [u64; 7],
    /// Sessions by class (tls, failed, plaintext, idle, unknown); session
    /// mode.
    pub sessions: [u64; 5],
    pub sessions_incomplete: u64,
    /// Per server, by name (session mode gives coverage).
    pub servers: Vec<ServerInfo>,
    /// Per server: the start of the UTC day its old TLS was switched off,
    /// as the logs show it (see [`fallout`]).
    pub switches: Vec<(String, i64)>,
    pub elapsed_seconds: f64,
}

impl Summary {
    pub fn gb_per_s(&self) -> f64 {
        if self.elapsed_seconds > 0.0 {
            self.bytes as f64 / 1e9 / self.elapsed_seconds
        } else {
            0.0
        }
    }
}

/// All four reports plus totals.
#[derive(Clone, Debug)]
pub struct Reports {
    pub tables: Vec<Table>,
    pub summary: Summary,
}

impl Reports {
    /// The report of `kind`; the session list is added only on request
    /// (it can be large), so it may be absent (then an empty table is given).
    pub fn table(&self, kind: Kind) -> Option<&Table> {
        self.tables.iter().find(|t| t.kind == kind)
    }

    pub fn table_or_empty(&self, kind: Kind) -> Cow<'_, Table> {
        match self.table(kind) {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(Table {
                kind,
                columns: match kind {
                    Kind::Session => sessions::SESSION_COLUMNS.to_vec(),
                    Kind::HttpClient => {
                        crate::iis::report::clients(&Default::default(), &Servers::default())
                            .columns
                    }
                    Kind::HttpApp => {
                        crate::iis::report::apps(&Default::default(), &Servers::default()).columns
                    }
                    Kind::Tlsrpt => crate::tlsrpt::report::COLUMNS.to_vec(),
                    Kind::Coverage => coverage::COLUMNS.to_vec(),
                    Kind::Fallout => fallout::COLUMNS.to_vec(),
                    _ => Vec::new(),
                },
                rows: Vec::new(),
            }),
        }
    }

    /// Builds the sorted reports. Rows sort by their key columns in byte
    /// order, so output does not depend on hashing or thread count.
    /// Without sessions (the TLS-only scan) the session columns and the
    /// session-based reports are left out rather than shown as 0.
    pub fn build(tally: &Tally, servers: &Servers, options: &Options) -> Reports {
        Reports::build_some(tally, servers, options, |_| true)
    }

    /// [`Reports::build`], for the reports `wanted` says yes to: a busy
    /// server's remote report costs real time, and `--by cipher` does not
    /// print it.
    pub fn build_some(
        tally: &Tally,
        servers: &Servers,
        options: &Options,
        wanted: impl Fn(Kind) -> bool,
    ) -> Reports {
        let mut summary = Summary::default();
        for f in tally.files.values() {
            if f.skipped.is_some() {
                summary.files_skipped += 1;
                continue;
            }
            summary.files += 1;
            summary.bytes += f.bytes;
            summary.lines += f.lines;
            summary.unterminated_lines += f.unterminated;
            summary.tls_rows += f.tls_rows;
            summary.malformed_rows += f.malformed;
        }
        for maps in tally.smtp.connector.values() {
            for c in maps.iter().flat_map(|m| m.values()) {
                for (s, n) in summary.by_version.iter_mut().zip(c.tls.versions) {
                    *s += n;
                }
                summary.failures += c.tls.failed;
            }
        }
        summary.negotiations = summary.by_version.iter().sum();
        summary.sessions = tally.smtp.classes;
        summary.sessions_incomplete = tally.smtp.incomplete;
        summary.servers = server_infos(tally, servers, options);
        if options.sessions {
            summary.switches = fallout::switches(tally, servers, options);
        }
        let sessions = options.sessions;
        let infos = &summary.servers;
        let builders: [(Kind, &dyn Fn() -> Table); 12] = [
            (Kind::Connector, &|| connector(tally)),
            (Kind::Remote, &|| remote(tally)),
            (Kind::Cipher, &|| cipher(tally)),
            (Kind::Failure, &|| failure(tally, servers)),
            (Kind::Day, &|| sessions::day(tally)),
            (Kind::Readiness, &|| readiness::table(tally, infos, options)),
            (Kind::Coverage, &|| {
                coverage::table(&coverage::servers(tally, infos, options))
            }),
            (Kind::Server, &|| server::table(tally, infos)),
            (Kind::Legacy, &|| legacy::table(tally, servers, options)),
            (Kind::Fallout, &|| fallout::table(tally, servers, options)),
            (Kind::HttpClient, &|| {
                crate::iis::report::clients(&tally.iis, servers)
            }),
            (Kind::HttpApp, &|| {
                crate::iis::report::apps(&tally.iis, servers)
            }),
        ];
        // The IIS reports only when IIS logs were read (or asked for).
        let iis = tally.files.values().any(|f| f.iis_crypt.is_some());
        let mut tables = Vec::new();
        for (kind, build) in builders {
            let http = matches!(kind, Kind::HttpClient | Kind::HttpApp);
            let session_report = !http
                && !matches!(
                    kind,
                    Kind::Connector | Kind::Remote | Kind::Cipher | Kind::Failure
                );
            if !wanted(kind) || (session_report && !sessions) || (http && !iis) {
                continue;
            }
            let mut t = build();
            // Without sessions: the TLS columns of issue 4's contract,
            // nothing more.
            let keep = match kind {
                Kind::Connector => 11,
                Kind::Remote => 13,
                _ => usize::MAX,
            };
            if !sessions && keep < t.columns.len() {
                t.columns.truncate(keep);
                for row in &mut t.rows {
                    row.truncate(keep);
                }
            }
            tables.push(t);
        }
        Reports { tables, summary }
    }
}

/// Per server: files, bytes and the time covered (from each file's first
/// and last record, clock skew left out), clipped to --since/--until.
fn server_infos(tally: &Tally, servers: &Servers, options: &Options) -> Vec<ServerInfo> {
    let mut infos: Vec<ServerInfo> = servers
        .names
        .iter()
        .enumerate()
        .map(|(id, n)| ServerInfo {
            id: id as u32,
            name: n.clone(),
            by_folder: servers.rules.get(id) == Some(&crate::servers::Rule::Folder),
            ..ServerInfo::default()
        })
        .collect();
    let mut seen = vec![false; infos.len()];
    for (&id, f) in &tally.files {
        let Some(&server) = servers.of_file.get(id) else {
            continue;
        };
        seen[server as usize] = true;
        let info = &mut infos[server as usize];
        if f.skipped.is_some() {
            continue;
        }
        info.files += 1;
        info.bytes += f.bytes;
        // IIS logs cover the server, not an SMTP direction.
        let dirs: &[Direction] = match f.direction {
            _ if f.iis_crypt.is_some() => &[],
            Some(Direction::Receive) => &[Direction::Receive],
            Some(Direction::Send) => &[Direction::Send],
            None => &Direction::ALL,
        };
        if !dirs.is_empty() {
            info.exchange_major = info.exchange_major.max(f.exchange_major);
        }
        // A service folder read counts even with no record kept: its
        // connectors were read, and its days are gaps.
        let kept_days: BTreeSet<i64> = f
            .days
            .iter()
            .map(|&d| i64::from(d))
            .filter(|&d| kept_day(d, options))
            .collect();
        for d in dirs {
            let days = info.days.entry((*d, f.service)).or_default();
            days.extend(kept_days.iter().copied());
        }
        let (Some(first), Some(last)) = (
            f.first_record().and_then(|s| s.millis()),
            f.last_record().and_then(|s| s.millis()),
        ) else {
            continue;
        };
        // --since and --until never invent coverage: a file whose records
        // all lie outside them covers nothing.
        if options.since.is_some_and(|s| last < s) || options.until.is_some_and(|u| first >= u) {
            continue;
        }
        let clip = |ms: i64| {
            let ms = options.since.map_or(ms, |s| ms.max(s));
            Some(options.until.map_or(ms, |u| ms.min(u - 1)))
        };
        let (first, last) = (clip(first), clip(last));
        info.coverage.add(first, last);
        for d in dirs {
            info.by_direction[d.index()].add(first, last);
        }
    }
    // Servers whose files were all left out (--server) are not listed.
    let mut seen = seen.into_iter();
    infos.retain(|_| seen.next().unwrap_or(false));
    infos
}

/// Whether a day (since 1970) is inside `--since` and `--until`.
fn kept_day(day: i64, options: &Options) -> bool {
    const DAY: i64 = 86_400_000;
    options.since.is_none_or(|s| day >= s.div_euclid(DAY))
        && options.until.is_none_or(|u| day <= (u - 1).div_euclid(DAY))
}

fn connector(tally: &Tally) -> Table {
    let mut columns = vec!["direction", "connector"];
    columns.extend(version_columns());
    columns.extend(["failed", "total", "plaintext"]);
    let mut rows = Vec::new();
    for d in Direction::ALL {
        // One row per connector, over every server: a send connector is
        // one object across its source servers.
        let mut merged: BTreeMap<&[u8], (VersionCounts, u64)> = BTreeMap::new();
        for maps in tally.smtp.connector.values() {
            for (name, c) in &maps[d.index()] {
                let m = merged.entry(&**name).or_default();
                m.0.add(&c.tls);
                m.1 += c.sessions.plaintext;
            }
        }
        for (name, (tls, plaintext)) in merged {
            rows.push(
                [dir(d), text(name)]
                    .into_iter()
                    .chain(counts_cells(&tls))
                    .chain([Cell::Count(plaintext)])
                    .collect(),
            );
        }
    }
    Table {
        kind: Kind::Connector,
        columns,
        rows,
    }
}

fn remote(tally: &Tally) -> Table {
    let mut columns = vec!["direction", "remote_ip"];
    columns.extend(version_columns());
    columns.extend([
        "failed",
        "total",
        "first_seen",
        "last_seen",
        "plaintext",
        "sessions",
        "ehlo",
    ]);
    use rayon::prelude::*;
    // Tens of thousands of remotes on a busy server: sorted and rendered
    // on every core.
    let mut rows = Vec::new();
    for d in Direction::ALL {
        let map = &tally.smtp.remote[d.index()];
        let mut keys: Vec<&[u8]> = map.keys().map(|k| &**k).collect();
        keys.par_sort_unstable();
        let part: Vec<Vec<Cell>> = keys
            .par_iter()
            .map(|&ip| {
                let r = &map[ip];
                [dir(d), text(ip)]
                    .into_iter()
                    .chain(counts_cells(&r.tls))
                    .chain([
                        stamp_cell(r.first_seen),
                        stamp_cell(r.last_seen),
                        Cell::Count(r.sessions.plaintext),
                        Cell::Count(r.sessions.sessions),
                        text(r.top_ehlo().unwrap_or(b"")),
                    ])
                    .collect()
            })
            .collect();
        rows.extend(part);
    }
    Table {
        kind: Kind::Remote,
        columns,
        rows,
    }
}

/// The cipher report's key, normalised; several written lines can share
/// one (`CALG_ECDHE` and `CALG_ECDH_EPHEM` are both `ECDHE`).
type CipherKey = (Direction, &'static str, [String; 6]);

/// Version and normalised suite of a success context: cipher, bits, hash,
/// bits, key exchange, bits.
pub(crate) fn suite(context: &[u8]) -> Option<(Version, [String; 6])> {
    let neg = tls::parse_success(context)?;
    let version = tls::parse_protocol(neg.protocol).0;
    Some((
        version,
        [
            tls::normalize_alg(neg.cipher).into_owned(),
            lossy(neg.cipher_bits),
            tls::normalize_alg(neg.hash).into_owned(),
            lossy(neg.hash_bits),
            tls::normalize_alg(neg.key_exchange).into_owned(),
            lossy(neg.key_exchange_bits),
        ],
    ))
}

/// Bits as a number cell (empty when the log left them out).
pub(crate) fn bits(s: &str) -> Cell {
    Cell::Bits(s.parse().ok())
}

fn cipher(tally: &Tally) -> Table {
    let mut merged: BTreeMap<CipherKey, u64> = BTreeMap::new();
    for d in Direction::ALL {
        for (context, &n) in &tally.smtp.cipher[d.index()] {
            if let Some((version, names)) = suite(context) {
                *merged.entry((d, version.label(), names)).or_insert(0) += n;
            }
        }
    }
    Table {
        kind: Kind::Cipher,
        columns: vec![
            "direction",
            "tls_version",
            "cipher",
            "cipher_bits",
            "hash",
            "hash_bits",
            "key_exchange",
            "key_exchange_bits",
            "sessions",
        ],
        rows: merged
            .into_iter()
            .map(|((d, version, [c, cb, h, hb, k, kb]), n)| {
                vec![
                    dir(d),
                    Cell::Text(version.into()),
                    Cell::Text(c.into()),
                    bits(&cb),
                    Cell::Text(h.into()),
                    bits(&hb),
                    Cell::Text(k.into()),
                    bits(&kb),
                    Cell::Count(n),
                ]
            })
            .collect(),
    }
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn failure(tally: &Tally, servers: &Servers) -> Table {
    let mut rows: Vec<_> = tally
        .smtp
        .failure
        .iter()
        .map(|(k, n)| ((k.direction, servers.name(k.server), k), n))
        .collect();
    rows.sort();
    Table {
        kind: Kind::Failure,
        columns: vec![
            "direction",
            "server",
            "connector",
            "remote_ip",
            "error",
            "sessions",
        ],
        rows: rows
            .into_iter()
            .map(|((_, server, k), &n)| {
                vec![
                    dir(k.direction),
                    Cell::Text(server.into()),
                    text(&k.connector),
                    text(&k.remote_ip),
                    text(&k.error),
                    Cell::Count(n),
                ]
            })
            .collect(),
    }
}

/// Protocol tokens exlog did not recognise (counted as `other`), with how
/// many negotiations used each and one example line.
pub fn unknown_protocols(tally: &Tally) -> BTreeMap<String, (u64, String)> {
    let mut out: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for map in &tally.smtp.cipher {
        for (context, &n) in map {
            let Some(neg) = tls::parse_success(context) else {
                continue;
            };
            if tls::parse_protocol(neg.protocol).0 != Version::Other {
                continue;
            }
            let token: Cow<str> = String::from_utf8_lossy(neg.protocol);
            let entry = out
                .entry(token.into_owned())
                .or_insert_with(|| (0, lossy(context)));
            entry.0 += n;
            // Keep the smallest example so the message is deterministic.
            let example = lossy(context);
            if example < entry.1 {
                entry.1 = example;
            }
        }
    }
    out
}
