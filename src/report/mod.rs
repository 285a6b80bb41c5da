//! Reports: sorted rows built once from the merged tally, then written as
//! CSV, JSON or a terminal table. Writers are pure (rows in, bytes out).

pub mod burndown;
pub(crate) mod cipher;
pub(crate) mod connector;
pub(crate) mod coverage;
pub mod csv;
pub(crate) mod day;
pub(crate) mod failure;
pub mod fallout;
pub mod html;
pub(crate) mod http_app;
pub(crate) mod http_client;
pub(crate) mod json;
pub(crate) mod legacy;
pub mod readiness;
pub(crate) mod remote;
pub(crate) mod server;
pub mod sessions;
pub(crate) mod svg;
pub(crate) mod table;
pub(crate) mod tlsrpt;
pub(crate) mod week;
pub(crate) mod window;
pub(crate) mod xlsx;

use crate::parse::Direction;
use crate::parse::tls::{self, Version};
use crate::servers::Servers;
use crate::smtp::counts::VersionCounts;
use crate::tally::Tally;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::table::{Cell, Kind, Table, count, hundredths, neutralize, size_text};
pub(crate) use crate::table::{dir, stamp_cell, text, time_cell, version_columns};

pub(crate) fn counts_cells(c: &VersionCounts) -> impl Iterator<Item = Cell> + '_ {
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

/// The readiness window when `--window-days` is not given: two weeks, so
/// that weekly jobs (a Monday batch, a weekend backup) show up in it.
pub const DEFAULT_WINDOW_DAYS: u32 = 14;

impl Options {
    /// A window of `window_days`, sessions read or not, no filters.
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
    /// Per server and ISO week: legacy sessions and remotes (the HTML
    /// report's burn-down; see [`burndown`]).
    pub burndown: Vec<burndown::Week>,
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

/// What a report needs of the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// TLS rows alone: the fast path, and `--tls-only`.
    Tls,
    /// TLS rows for its first `tls_columns` columns, sessions for the
    /// rest: without sessions it has those columns alone.
    TlsThenSessions { tls_columns: usize },
    /// Counts of rows joined into sessions: none without them.
    Sessions,
    /// The kept sessions themselves, a row each: the longest report,
    /// written after all others.
    SessionList,
}

impl Needs {
    /// Whether `--by` this report reads sessions (unless `--tls-only`).
    pub fn sessions(self) -> bool {
        self != Needs::Tls
    }

    /// Whether the report is nothing without sessions (`--tls-only`
    /// refuses it).
    pub fn only_sessions(self) -> bool {
        matches!(self, Needs::Sessions | Needs::SessionList)
    }
}

/// What a report is built from: the merged counts and the options, the
/// servers read, and what was kept beside the counts.
pub struct Input<'a> {
    pub tally: &'a Tally,
    pub servers: &'a Servers,
    pub options: &'a Options,
    /// The servers read, with the time each covers ([`Summary::servers`]).
    pub infos: &'a [ServerInfo],
    /// The TLS-RPT reports, when any was read.
    pub tlsrpt: Option<&'a crate::tlsrpt::Read>,
    /// The kept sessions in report order, when they were kept whole.
    pub sessions: Option<&'a [(crate::smtp::session::Session, u32)]>,
}

/// One report: its module holds one value of this, listed in [`REPORTS`].
pub trait Report: Send + Sync {
    /// The id, its name as `--by` spells it.
    fn kind(&self) -> Kind;

    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// One line on what the report holds (`--by`'s help).
    fn about(&self) -> &'static str;

    /// Its columns for `--help`'s list of reports: lines joined by `\n`,
    /// notes in parentheses.
    fn help_columns(&self) -> &'static str;

    fn needs(&self) -> Needs;

    /// Builds the report; `None` when what it is made of was not read
    /// (no IIS logs, no TLS-RPT report, no kept sessions).
    fn build(&self, from: &Input) -> Option<Table>;

    /// The header written when the report was not built. Empty by
    /// default: the reports of TLS rows are always built when asked for,
    /// and those of session counts whenever sessions were read (a merge of
    /// `--tls-only` partial results writes an empty header for them).
    fn empty_columns(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Certificates and disconnect reasons are read for it.
    fn needs_details(&self) -> bool {
        false
    }

    /// The rows the terminal table's totals line adds up; `None` when the
    /// rows overlap and no sum means anything.
    fn counted_rows(&self, table: &Table) -> Option<Vec<bool>> {
        Some(vec![true; table.rows.len()])
    }

    /// What the terminal prints under the report.
    fn footer(&self, doc: &Document) -> String {
        let s = &doc.reports.summary;
        format!(
            "\n{}, {} failed, in {}\n",
            count(s.negotiations, "negotiation", "negotiations"),
            s.failures,
            count(s.files, "file", "files")
        )
    }
}

impl std::fmt::Debug for dyn Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every report, in the order of `--by`'s help, the JSON document, the
/// workbook's sheets and `-o DIR/` (the session list last in the three
/// outputs). Adding a report: its module, and a line here.
pub static REPORTS: [&dyn Report; 15] = [
    &connector::Connector,
    &remote::Remote,
    &cipher::Cipher,
    &failure::Failure,
    &sessions::SessionList,
    &day::Day,
    &week::Week,
    &readiness::Readiness,
    &coverage::Coverage,
    &server::Server,
    &legacy::Legacy,
    &fallout::Fallout,
    &http_client::HttpClient,
    &http_app::HttpApp,
    &tlsrpt::Tlsrpt,
];

/// The report `--by name` prints.
pub fn find(name: &str) -> Option<&'static dyn Report> {
    REPORTS.iter().copied().find(|r| r.name() == name)
}

/// The report of `kind`.
pub fn of(kind: Kind) -> Option<&'static dyn Report> {
    REPORTS.iter().copied().find(|r| r.kind() == kind)
}

/// The reports in the order they are written: the session list last.
fn in_written_order() -> impl Iterator<Item = &'static dyn Report> {
    let list = |r: &&dyn Report| r.needs() == Needs::SessionList;
    let first = REPORTS.iter().copied().filter(move |r| !list(r));
    first.chain(REPORTS.iter().copied().filter(list))
}

/// The reports `-o DIR/` writes as files: those of TLS rows, then those of
/// sessions when sessions are read, the session list only when kept.
pub fn folder_reports(with_sessions: bool, session_list: bool) -> Vec<&'static str> {
    let tls = in_written_order().filter(|r| !r.needs().only_sessions());
    let sessions = in_written_order().filter(|r| match r.needs() {
        Needs::Sessions => with_sessions,
        Needs::SessionList => with_sessions && session_list,
        _ => false,
    });
    tls.chain(sessions).map(|r| r.name()).collect()
}

/// What every writer takes: the reports, the messages, and what some
/// reports write beside their table.
pub struct Document<'a> {
    pub reports: &'a Reports,
    /// Errors and warnings, as also sent to stderr.
    pub messages: &'a [crate::diagnostic::Diagnostic],
    /// The session list as CSV lines the workers rendered (`--by session`
    /// as CSV, `-o DIR/`).
    pub session_lines: Option<&'a crate::sorted_lines::SortedLines>,
    /// The TLS-RPT reports read (their totals close the terminal table).
    pub tlsrpt: &'a crate::tlsrpt::Read,
}

/// A way to write reports (table, CSV, JSON, xlsx, HTML).
pub trait Writer {
    /// Writes `doc` to `out`; returns notes for stderr.
    fn write(&self, doc: &Document, out: &mut dyn std::io::Write) -> std::io::Result<Vec<String>>;
}

/// Built reports plus totals.
#[derive(Clone, Debug)]
pub struct Reports {
    pub tables: Vec<Table>,
    pub summary: Summary,
}

impl Reports {
    /// The report of `kind`, when it was built.
    pub fn table(&self, kind: Kind) -> Option<&Table> {
        self.tables.iter().find(|t| t.kind == kind)
    }

    /// The report of `kind`, or its header alone.
    pub fn table_or_empty(&self, kind: Kind) -> Cow<'_, Table> {
        match self.table(kind) {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(Table {
                kind,
                columns: of(kind).map(|r| r.empty_columns()).unwrap_or_default(),
                rows: Vec::new(),
            }),
        }
    }

    /// Builds every report from the counts (no TLS-RPT, no kept sessions).
    pub fn build(tally: &Tally, servers: &Servers, options: &Options) -> Reports {
        let from = Sources {
            tally,
            servers,
            options,
            tlsrpt: None,
            sessions: None,
        };
        Reports::build_some(&from, |_| true)
    }

    /// Builds the sorted reports `wanted` says yes to: a busy server's
    /// remote report costs real time, and `--by cipher` does not print it.
    /// Rows sort by their key columns in byte order, so output does not
    /// depend on hashing or thread count. Without sessions (the TLS-only
    /// scan) the session columns and the session reports are left out
    /// rather than shown as 0.
    pub fn build_some(from: &Sources, wanted: impl Fn(Kind) -> bool) -> Reports {
        let summary = summary(from);
        let input = Input {
            tally: from.tally,
            servers: from.servers,
            options: from.options,
            infos: &summary.servers,
            tlsrpt: from.tlsrpt,
            sessions: from.sessions,
        };
        let sessions = from.options.sessions;
        let tables = in_written_order()
            .filter(|r| wanted(r.kind()) && (sessions || r.needs() != Needs::Sessions))
            .filter_map(|r| Some(thinned(r.build(&input)?, r.needs(), sessions)))
            .collect();
        Reports { tables, summary }
    }
}

/// What reports are built from, as the caller has it.
pub struct Sources<'a> {
    pub tally: &'a Tally,
    pub servers: &'a Servers,
    pub options: &'a Options,
    pub tlsrpt: Option<&'a crate::tlsrpt::Read>,
    pub sessions: Option<&'a [(crate::smtp::session::Session, u32)]>,
}

/// Without sessions, a report of TLS rows keeps the columns of issue 4's
/// contract, nothing more.
fn thinned(mut t: Table, needs: Needs, sessions: bool) -> Table {
    if let (Needs::TlsThenSessions { tls_columns: keep }, false) = (needs, sessions)
        && keep < t.columns.len()
    {
        t.columns.truncate(keep);
        for row in &mut t.rows {
            row.truncate(keep);
        }
    }
    t
}

/// The totals over everything scanned, and the servers read.
fn summary(from: &Sources) -> Summary {
    let (tally, options) = (from.tally, from.options);
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
    summary.servers = server_infos(tally, from.servers, options);
    if options.sessions {
        summary.switches = fallout::switches(tally, from.servers, options);
        summary.burndown = burndown::weeks(tally, &summary.servers, options);
    }
    summary
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

/// A suite as the cipher report and the session list write it: version,
/// cipher, bits, hash, bits, key exchange, bits.
pub(crate) fn suite_cells(version: &str, names: [String; 6]) -> [Cell; 7] {
    let [c, cb, h, hb, k, kb] = names;
    [
        Cell::Text(version.into()),
        Cell::Text(c.into()),
        bits(&cb),
        Cell::Text(h.into()),
        bits(&hb),
        Cell::Text(k.into()),
        bits(&kb),
    ]
}

/// Bits as a number cell (empty when the log left them out).
pub(crate) fn bits(s: &str) -> Cell {
    Cell::Bits(s.parse().ok())
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// The `--by NAME` headings of docs/reports.md, in its order.
    fn documented() -> Vec<String> {
        let doc = include_str!("../../docs/reports.md");
        doc.lines()
            .filter_map(|l| l.strip_prefix("## `--by ")?.strip_suffix('`'))
            .map(String::from)
            .collect()
    }

    #[test]
    fn registry_lists_every_report_once_with_distinct_names() {
        let names: Vec<&str> = REPORTS.iter().map(|r| r.name()).collect();
        let distinct: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(distinct.len(), names.len(), "a name twice: {names:?}");
        // Counted by hand in docs/reports.md: connector, remote, cipher,
        // failure, day, week, server, legacy, fallout, session, readiness,
        // coverage, http-client, http-app, tlsrpt.
        assert_eq!(names.len(), 15);
        for r in REPORTS {
            assert!(!r.about().is_empty(), "{}: no help text", r.name());
            assert_eq!(find(r.name()).map(|f| f.kind()), Some(r.kind()));
            assert_eq!(of(r.kind()).map(|f| f.name()), Some(r.name()));
        }
        assert!(find("no-such-report").is_none());
    }

    #[test]
    fn registry_and_docs_name_the_same_reports() {
        let doc: BTreeSet<String> = documented().into_iter().collect();
        let registry: BTreeSet<String> = REPORTS.iter().map(|r| r.name().to_string()).collect();
        assert_eq!(
            documented().len(),
            doc.len(),
            "a heading twice in docs/reports.md"
        );
        let undocumented: Vec<_> = registry.difference(&doc).collect();
        let unregistered: Vec<_> = doc.difference(&registry).collect();
        assert!(
            undocumented.is_empty(),
            "not in docs/reports.md: {undocumented:?}"
        );
        assert!(
            unregistered.is_empty(),
            "documented, not registered: {unregistered:?}"
        );
    }

    #[test]
    fn folders_get_the_session_reports_only_with_sessions() {
        // By hand from each report's needs: the seven of TLS rows, then
        // the seven of session counts, then the session list.
        let tls = [
            "connector",
            "remote",
            "cipher",
            "failure",
            "http-client",
            "http-app",
            "tlsrpt",
        ];
        let counts = [
            "day",
            "week",
            "readiness",
            "coverage",
            "server",
            "legacy",
            "fallout",
        ];
        assert_eq!(folder_reports(false, true), tls);
        let with: Vec<&str> = tls.iter().chain(&counts).copied().collect();
        assert_eq!(folder_reports(true, false), with);
        let mut all = with.clone();
        all.push("session");
        assert_eq!(folder_reports(true, true), all);
    }
}
