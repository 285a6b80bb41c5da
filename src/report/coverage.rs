//! Coverage: which connectors of each server the logs speak for, and on
//! which days of its readiness window. A verdict is a claim about what was
//! seen: "ready" needs every enabled connector of the server covered.
//!
//! A server's connectors come from three sources, the first that knows a
//! connector wins: the connector inventory (`Get-ReceiveConnector`,
//! `Get-SendConnector`), the logs (a connector-id with rows), and
//! Exchange's default receive connectors, matched by name
//! (`<name> <server>`, any case). Each gets a [`Status`]:
//!
//! - `ignored`: `--ignore-connector` names it;
//! - `disabled`: the inventory says `Enabled False`;
//! - `not_logged`: the inventory says `ProtocolLoggingLevel None`;
//! - `not_read`: no logs of its service (FrontEnd, Hub) were read;
//! - `unknown`: nothing says it logs (no rows, no inventory) though its
//!   service's logs were read: either it does not log or it was not used;
//! - `covered`: it logs (rows, or `Verbose` in the inventory) and its
//!   service has records on every day of the window; `partial`: on some.
//!
//! Exchange writes every receive connector of one transport service into
//! the same files, so a connector's days are its service's days.

use super::window::{DAY_MS, Window};
use super::{Cell, Input, Kind, Needs, Options, Report, ServerInfo, Table, time_cell};
use crate::diagnostic::{Diagnostic, Kind as DiagKind};
use crate::inventory::{Inventory, Logging, ReceiveConnector, SendConnector};
use crate::parse::{Direction, Service};
use crate::smtp::counts::{ConnectorCounts, Mark};
use crate::tally::Tally;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub(crate) const KIND: Kind = Kind::named("coverage");

/// The report's entry in the registry.
pub(crate) struct Coverage;

impl Report for Coverage {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "per connector of each server: logged on every day of the window?"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "server,direction,connector,source,service,enabled,logging,bindings,require_tls,auth,",
            "\nsessions,first_record,last_record,days_with_logs,missing_days,status",
            "\n(one row per connector of each server, from the inventory and the logs)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(&servers(from.tally, from.infos, from.options)))
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }
}

pub(crate) const COLUMNS: [&str; 16] = [
    "server",
    "direction",
    "connector",
    "source",
    "service",
    "enabled",
    "logging",
    "bindings",
    "require_tls",
    "auth",
    "sessions",
    "first_record",
    "last_record",
    "days_with_logs",
    "missing_days",
    "status",
];

/// Where exlog learned that a connector exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Logs,
    Inventory,
    Default,
}

impl Source {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Source::Logs => "logs",
            Source::Inventory => "inventory",
            Source::Default => "default",
        }
    }
}

/// What the logs can say of a connector (see the module's comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Covered,
    Partial,
    NotLogged,
    Unknown,
    NotRead,
    Disabled,
    Ignored,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partial => "partial",
            Status::NotLogged => "not_logged",
            Status::Unknown => "unknown",
            Status::NotRead => "not_read",
            Status::Disabled => "disabled",
            Status::Ignored => "ignored",
        }
    }

    /// Whether the connector leaves its server's verdict without evidence.
    pub(crate) fn is_blind(self) -> bool {
        !matches!(self, Status::Covered | Status::Disabled | Status::Ignored)
    }
}

/// One of Exchange's default receive connectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Default {
    /// The name before the server's: `Client Frontend` of
    /// `Client Frontend EX01`.
    pub name: &'static str,
    pub service: Service,
    pub port: u16,
}

/// Exchange 2013 and later: five receive connectors per Mailbox server.
const DEFAULTS_2013: [Default; 5] = [
    Default {
        name: "Default Frontend",
        service: Service::FrontEnd,
        port: 25,
    },
    Default {
        name: "Client Frontend",
        service: Service::FrontEnd,
        port: 587,
    },
    Default {
        name: "Outbound Proxy Frontend",
        service: Service::FrontEnd,
        port: 717,
    },
    Default {
        name: "Default",
        service: Service::Hub,
        port: 2525,
    },
    Default {
        name: "Client Proxy",
        service: Service::Hub,
        port: 465,
    },
];

/// Exchange 2010 (`#Version: 14…`): two, in its one transport service.
const DEFAULTS_2010: [Default; 2] = [
    Default {
        name: "Default",
        service: Service::Hub,
        port: 25,
    },
    Default {
        name: "Client",
        service: Service::Hub,
        port: 587,
    },
];

/// The default receive connectors of a server of Exchange `major`.
pub(crate) fn defaults(major: Option<u16>) -> &'static [Default] {
    match major {
        Some(m) if m <= 14 => &DEFAULTS_2010,
        _ => &DEFAULTS_2013,
    }
}

/// Who uses a receive connector on this port, for verdicts.
pub(crate) fn purpose(port: u16) -> Option<&'static str> {
    match port {
        25 => Some("Internet and partner mail"),
        587 => Some("client submission"),
        717 => Some("outbound proxy"),
        2525 => Some("Exchange servers"),
        465 => Some("client proxy"),
        _ => None,
    }
}

/// Connectors Exchange creates without listing them in `Get-*Connector`.
const IMPLICIT: [&str; 4] = [
    "Intra-Organization SMTP Send Connector",
    "Inbound Proxy Internal Send Connector",
    "Default Mailbox Delivery",
    "Mailbox Delivery",
];

/// Whether `name` (a send connector's, or a receive connector's after its
/// `SERVER\`) is one Exchange never lists.
pub(crate) fn is_implicit(name: &str) -> bool {
    // By bytes: a localized name may hold a character where the cut falls.
    IMPLICIT.iter().any(|i| {
        name.as_bytes()
            .get(..i.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(i.as_bytes()))
    })
}

/// The default that `identity` (`SERVER\Name`) is, if any.
fn default_of(identity: &str, major: Option<u16>) -> Option<Default> {
    let (server, name) = identity.split_once('\\')?;
    defaults(major)
        .iter()
        .find(|d| name.eq_ignore_ascii_case(&format!("{} {server}", d.name)))
        .copied()
}

/// One connector of one server, as the coverage report shows it.
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    pub direction: Direction,
    /// `SERVER\Name` for receive connectors, the name for send connectors.
    pub identity: String,
    pub source: Source,
    pub service: Option<Service>,
    pub enabled: Option<bool>,
    pub logging: Option<Logging>,
    pub bindings: String,
    pub port: Option<u16>,
    pub require_tls: Option<bool>,
    pub auth: String,
    pub sessions: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Days of the window with records of its service, and without.
    pub days_with_logs: u64,
    pub missing: Vec<i64>,
    pub status: Status,
}

impl Connector {
    /// The name without its `SERVER\` prefix.
    pub(crate) fn name(&self) -> &str {
        match self.direction {
            Direction::Receive => self.identity.split_once('\\').map_or("", |p| p.1),
            Direction::Send => &self.identity,
        }
    }

    /// The implicit send connector to the organization's other Exchange
    /// servers, whose logging its transport service sets.
    pub(crate) fn is_intra_org(&self) -> bool {
        self.direction == Direction::Send
            && self
                .identity
                .eq_ignore_ascii_case(crate::inventory::INTRA_ORG)
    }

    /// `Client Frontend EX03 (:587, client submission)`.
    pub(crate) fn described(&self) -> String {
        let mut about = Vec::new();
        if let Some(p) = self.port {
            about.push(format!(":{p}"));
            about.extend(purpose(p).map(str::to_string));
        }
        let name = match self.name() {
            "" => self.identity.as_str(),
            n => n,
        };
        if about.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({})", about.join(", "))
        }
    }
}

/// The coverage of one server.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub id: Option<u32>,
    pub name: String,
    pub connectors: Vec<Connector>,
    /// Connectors `--connector` or `--direction` did not choose: the
    /// verdict speaks for the others only, and says so.
    pub left_out: Vec<Connector>,
    /// Days of the window on which every service read has records.
    pub days_with_logs: u64,
    /// Days of the window on which a service read has none.
    pub missing: Vec<i64>,
}

impl Server {
    /// Connectors that leave the verdict without evidence.
    pub(crate) fn blind(&self) -> impl Iterator<Item = &Connector> {
        self.connectors.iter().filter(|c| c.status.is_blind())
    }

    pub(crate) fn ignored(&self) -> impl Iterator<Item = &Connector> {
        self.connectors
            .iter()
            .filter(|c| c.status == Status::Ignored)
    }
}

/// The days (since 1970) of each service group of one server: `(direction,
/// service)` → days with records. `None` is a folder whose path does not
/// name its service.
pub(crate) type ServiceDays = BTreeMap<(Direction, Option<Service>), BTreeSet<i64>>;

/// The window's days that `days` holds, and those it lacks.
pub(crate) fn split_window(window: Option<Window>, days: &BTreeSet<i64>) -> (u64, Vec<i64>) {
    let Some(w) = window else {
        return (0, Vec::new());
    };
    let (mut with, mut missing) = (0, Vec::new());
    for d in w.days() {
        if days.contains(&d) {
            with += 1;
        } else {
            missing.push(d);
        }
    }
    (with, missing)
}

/// What is known of one connector before its status is decided.
struct Facts<'a> {
    direction: Direction,
    identity: String,
    counts: Option<&'a ConnectorCounts>,
    receive: Option<&'a ReceiveConnector>,
    send: Option<&'a SendConnector>,
    default: Option<Default>,
}

/// Builds the coverage of every server: those with logs (`infos`), then
/// servers the inventory names that have no logs at all.
pub(crate) fn servers(tally: &Tally, infos: &[ServerInfo], options: &Options) -> Vec<Server> {
    let mut out: Vec<Server> = infos
        .iter()
        .map(|info| server(tally, info, options))
        .collect();
    if let Some(inv) = options.inventory.as_deref() {
        for name in inv.servers() {
            if infos.iter().any(|i| i.name.eq_ignore_ascii_case(&name)) {
                continue;
            }
            let info = ServerInfo {
                name,
                ..ServerInfo::default()
            };
            let mut s = server(tally, &info, options);
            s.id = None;
            out.push(s);
        }
    }
    out
}

fn server(tally: &Tally, info: &ServerInfo, options: &Options) -> Server {
    let window = Window::of(&info.coverage, options);
    let major = info.exchange_major;
    let mut facts: BTreeMap<(Direction, String), Facts> = BTreeMap::new();
    if let Some(inv) = options.inventory.as_deref() {
        for c in inv.receive_of(&info.name) {
            fact(&mut facts, Direction::Receive, &c.identity).receive = Some(c);
        }
        for c in inv.send_of(&info.name) {
            fact(&mut facts, Direction::Send, &c.identity).send = Some(c);
        }
        if let Some(c) = inv.intra_org_of(&info.name) {
            fact(&mut facts, Direction::Send, &c.identity).send = Some(c);
        }
    }
    if let Some(maps) = tally
        .smtp
        .connector
        .get(&info.id)
        .filter(|_| info.files > 0)
    {
        for d in Direction::ALL {
            // In byte order: of names that differ only in case (one
            // connector to Exchange), the first keeps its name and counts,
            // whatever order the counts were added in (a merge's or a
            // scan's).
            let mut named: Vec<_> = maps[d.index()].iter().collect();
            named.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (name, counts) in named {
                let identity = String::from_utf8_lossy(name);
                fact(&mut facts, d, &identity).counts.get_or_insert(counts);
            }
        }
    }
    // Exchange's defaults, unless the inventory lists the server (it then
    // says what exists, localized names included).
    let listed = options
        .inventory
        .as_deref()
        .is_some_and(|inv| inv.receive_of(&info.name).next().is_some());
    if !listed {
        for server in default_servers(info, &facts) {
            for d in defaults(major) {
                let identity = format!("{server}\\{} {server}", d.name);
                fact(&mut facts, Direction::Receive, &identity);
            }
        }
    }
    for f in facts.values_mut() {
        if f.direction == Direction::Receive {
            f.default = default_of(&f.identity, major);
        }
    }
    let inferred = inferred_services(&facts, &info.days);
    let (mut connectors, mut left_out): (Vec<Connector>, Vec<Connector>) = facts
        .into_values()
        .map(|f| connector(f, info, window, &inferred, options))
        .partition(|c| options.considers(c.direction, &c.identity));
    for list in [&mut connectors, &mut left_out] {
        list.sort_by(|a, b| {
            (a.direction, a.identity.as_bytes()).cmp(&(b.direction, b.identity.as_bytes()))
        });
    }
    let (days_with_logs, missing) = server_days(window, &info.days, options);
    Server {
        id: Some(info.id),
        name: info.name.clone(),
        connectors,
        left_out,
        days_with_logs,
        missing,
    }
}

/// The servers whose default connectors a server has: its own name, and
/// the `SERVER\` of each receive connector in its logs (only those when
/// the name is its log folder's).
fn default_servers(info: &ServerInfo, facts: &BTreeMap<(Direction, String), Facts>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !info.by_folder {
        out.push(info.name.clone());
    }
    for f in facts.values().filter(|f| f.counts.is_some()) {
        if let (Direction::Receive, Some((server, _))) = (f.direction, f.identity.split_once('\\'))
            && !server.is_empty()
            && !out.iter().any(|o| o.eq_ignore_ascii_case(server))
        {
            out.push(server.to_string());
        }
    }
    out
}

/// The facts of a connector, by its identity in any case.
fn fact<'a, 'm>(
    facts: &'m mut BTreeMap<(Direction, String), Facts<'a>>,
    direction: Direction,
    identity: &str,
) -> &'m mut Facts<'a> {
    facts
        .entry((direction, identity.to_ascii_lowercase()))
        .or_insert_with(|| Facts {
            direction,
            identity: identity.to_string(),
            counts: None,
            receive: None,
            send: None,
            default: None,
        })
}

/// The services that folders without a service in their path belong to,
/// per direction: those of the default connectors with rows there.
fn inferred_services(
    facts: &BTreeMap<(Direction, String), Facts>,
    days: &ServiceDays,
) -> BTreeSet<(Direction, Service)> {
    let mut out = BTreeSet::new();
    for f in facts.values() {
        let unknown = f
            .counts
            .is_some_and(|c| c.services & ConnectorCounts::UNKNOWN != 0);
        if let (true, Some(d)) = (unknown, f.default)
            && days.contains_key(&(f.direction, None))
        {
            out.insert((f.direction, d.service));
        }
    }
    out
}

/// The days on which a service group of the server has records; a server
/// day counts when every group read has records on it.
fn server_days(window: Option<Window>, days: &ServiceDays, options: &Options) -> (u64, Vec<i64>) {
    let groups: Vec<&BTreeSet<i64>> = days
        .iter()
        .filter(|((d, _), _)| options.direction.is_none_or(|x| x == *d))
        .map(|(_, days)| days)
        .collect();
    // No SMTP logs read (an IIS-only server): its connectors say so.
    let (Some(w), false) = (window, groups.is_empty()) else {
        return (0, Vec::new());
    };
    let every: BTreeSet<i64> = w
        .days()
        .filter(|day| groups.iter().all(|g| g.contains(day)))
        .collect();
    split_window(window, &every)
}

/// The service of a connector without rows: the inventory's role, else its
/// default's, else (a send connector) the Transport service.
fn declared_service(f: &Facts) -> Option<Service> {
    if let Some(role) = f.receive.and_then(|c| c.role.as_deref()) {
        if role.to_ascii_lowercase().starts_with("frontend") {
            return Some(Service::FrontEnd);
        }
        return Some(Service::Hub);
    }
    if let Some(d) = f.default {
        return Some(d.service);
    }
    match f.direction {
        Direction::Send => Some(Service::Hub),
        Direction::Receive => None,
    }
}

fn connector(
    f: Facts,
    info: &ServerInfo,
    window: Option<Window>,
    inferred: &BTreeSet<(Direction, Service)>,
    options: &Options,
) -> Connector {
    let d = f.direction;
    let (service, groups) = service_groups(&f, inferred);
    let mut days = BTreeSet::new();
    let mut read = false;
    for g in &groups {
        if let Some(set) = info.days.get(&(d, *g)) {
            read = true;
            days.extend(set.iter().copied());
        }
    }
    let (days_with_logs, missing) = split_window(window, &days);
    let (first, last) = f
        .counts
        .map_or((None, None), |c| first_last(c, &info.coverage));
    let logging = f
        .receive
        .and_then(|c| c.logging)
        .or(f.send.and_then(|c| c.logging));
    let enabled = f
        .receive
        .and_then(|c| c.enabled)
        .or(f.send.and_then(|c| c.enabled));
    let status = if options.ignores(d, &f.identity) {
        Status::Ignored
    } else if enabled == Some(false) {
        Status::Disabled
    } else {
        logged_status(&f, logging, read, window.is_some() && missing.is_empty())
    };
    let (bindings, port) = bindings_and_port(&f);
    Connector {
        direction: d,
        source: source_of(&f),
        service,
        enabled,
        logging,
        bindings,
        port,
        require_tls: f
            .receive
            .and_then(|c| c.require_tls)
            .or(f.send.and_then(|c| c.require_tls)),
        auth: match (f.receive, f.send) {
            (Some(c), _) => c.auth.clone().unwrap_or_default(),
            (None, Some(c)) => c.tls_auth_level.clone().unwrap_or_default(),
            _ => String::new(),
        },
        sessions: f.counts.map_or(0, |c| c.sessions.sessions),
        first,
        last,
        days_with_logs,
        missing,
        status,
        identity: f.identity,
    }
}

/// The connector's service, and the service groups whose days speak for
/// it: those its rows were seen in, else the one it is declared for (and
/// the unknown group, when that service was only inferred).
fn service_groups(
    f: &Facts,
    inferred: &BTreeSet<(Direction, Service)>,
) -> (Option<Service>, Vec<Option<Service>>) {
    let declared = declared_service(f);
    let mut groups: Vec<Option<Service>> = Vec::new();
    let mut service = declared;
    if let Some(c) = f.counts.filter(|c| c.services != 0) {
        let known: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| c.services & (1 << *s as u8) != 0)
            .collect();
        service = known.first().copied().or(declared);
        groups.extend(known.into_iter().map(Some));
        if c.services & ConnectorCounts::UNKNOWN != 0 {
            groups.push(None);
        }
    } else if let Some(s) = declared {
        groups.push(Some(s));
        if inferred.contains(&(f.direction, s)) {
            groups.push(None);
        }
    }
    (service, groups)
}

/// The status of an enabled connector no flag leaves out: what its
/// logging, its folder (`read`) and its rows say; `whole` when the window
/// has no day without logs.
fn logged_status(f: &Facts, logging: Option<Logging>, read: bool, whole: bool) -> Status {
    let has_rows = f.counts.is_some();
    if logging == Some(Logging::None) {
        Status::NotLogged
    } else if !read && !has_rows {
        Status::NotRead
    } else if !has_rows && logging != Some(Logging::Verbose) {
        Status::Unknown
    } else if whole {
        Status::Covered
    } else {
        Status::Partial
    }
}

/// Where the connector is known from: the inventory, else the logs, else
/// Exchange's defaults.
fn source_of(f: &Facts) -> Source {
    if f.receive.is_some() || f.send.is_some() {
        Source::Inventory
    } else if f.counts.is_some() {
        Source::Logs
    } else {
        Source::Default
    }
}

/// A receive connector's bindings and first port (a default's port when
/// the inventory lists none).
fn bindings_and_port(f: &Facts) -> (String, Option<u16>) {
    match (f.receive, f.default) {
        (Some(c), default) => (
            c.bindings.join(" "),
            c.ports().first().copied().or(default.map(|d| d.port)),
        ),
        (None, Some(d)) => (format!(":{}", d.port), Some(d.port)),
        (None, None) => (String::new(), None),
    }
}

/// The first and last session start of a connector (its readiness
/// marks), inside the server's coverage: a skewed clock moves neither.
fn first_last(c: &ConnectorCounts, cover: &super::Coverage) -> (Option<i64>, Option<i64>) {
    let (Some(from), Some(to)) = (cover.first, cover.last) else {
        return (None, None);
    };
    let starts = c
        .marks
        .iter()
        .map(|&m| Mark::decode(m))
        .filter(|(ms, k)| *k == Mark::Session && from <= *ms && *ms <= to)
        .map(|(ms, _)| ms);
    starts.fold((None, None), |(a, b): (Option<i64>, Option<i64>), ms| {
        (
            Some(a.map_or(ms, |a| a.min(ms))),
            Some(b.map_or(ms, |b| b.max(ms))),
        )
    })
}

/// What the inventory and the logs disagree on: logs of a connector the
/// inventory does not list (renamed or removed; implicit connectors are
/// never listed, so never named), and servers the inventory lists that
/// have no logs at all. Each names the inventory file it is about.
pub(crate) fn inventory_warnings(coverage: &[Server], inv: &Inventory) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in coverage {
        if s.id.is_none() {
            let text = format!(
                "the connector inventory lists connectors of {}, but no logs of {} were read",
                s.name, s.name
            );
            let row = first_row_of(inv, &s.name);
            out.push(mismatch(text, row.map(|r| r.0)).at(row.map(|r| r.1), None));
            continue;
        }
        for c in &s.connectors {
            let listed_kind = match c.direction {
                Direction::Receive => !inv.receive.is_empty(),
                Direction::Send => !inv.send.is_empty(),
            };
            if c.source == Source::Logs && listed_kind && !is_implicit(c.name()) {
                let text = format!(
                    "{}: logs of {} connector {}, which the connector inventory does not list (renamed or removed?)",
                    s.name,
                    c.direction.label(),
                    c.identity
                );
                out.push(mismatch(text, listing_file(inv, &s.name, c.direction)));
            }
        }
    }
    out
}

/// An `inventory_mismatch` warning, about `file` where one is known.
fn mismatch(text: String, file: Option<&Path>) -> Diagnostic {
    let d = Diagnostic::warning(DiagKind::InventoryMismatch, text);
    match file {
        Some(f) => d.in_file(f.display()),
        None => d,
    }
}

/// The file and line of the first row that names `server`: its first
/// receive connector, else the first send connector it is a source of,
/// else its transport service. `None` when the inventory came from
/// partial results (they carry no paths).
fn first_row_of<'a>(inv: &'a Inventory, server: &'a str) -> Option<(&'a Path, u64)> {
    let receive = inv.receive_of(server).map(|c| (&c.file, c.line));
    let send = inv.send_of(server).map(|c| (&c.file, c.line));
    let service = inv.intra_org_of(server).map(|c| (&c.file, c.line));
    let (file, line) = receive.chain(send).chain(service).next()?;
    (!file.as_os_str().is_empty()).then_some((file.as_path(), line))
}

/// The inventory file where a connector of `server` in `direction` was
/// looked for: the one listing that server's connectors of the direction,
/// else the first listing any of them. `None` as in [`first_row_of`].
fn listing_file<'a>(inv: &'a Inventory, server: &'a str, direction: Direction) -> Option<&'a Path> {
    let file = match direction {
        Direction::Receive => inv
            .receive_of(server)
            .next()
            .or(inv.receive.first())
            .map(|c| &c.file),
        Direction::Send => inv
            .send_of(server)
            .next()
            .or(inv.send.first())
            .map(|c| &c.file),
    }?;
    (!file.as_os_str().is_empty()).then_some(file.as_path())
}

/// `2024-02-23`.
pub(crate) fn day_text(day: i64) -> String {
    let t = crate::parse::stamp::format_millis(day * DAY_MS);
    t.get(..10).unwrap_or(&t).to_string()
}

/// Missing days as ranges: `2024-02-23 to 2024-03-06, 2024-03-08`.
pub(crate) fn ranges_text(days: &[i64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            day_text(days[i])
        } else {
            format!("{} to {}", day_text(days[i]), day_text(days[j]))
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn flag(b: Option<bool>) -> Cell {
    Cell::Text(
        match b {
            Some(true) => "True",
            Some(false) => "False",
            None => "",
        }
        .into(),
    )
}

/// The `--by coverage` report: one row per connector of each server.
pub(crate) fn table(coverage: &[Server]) -> Table {
    let mut rows = Vec::new();
    for s in coverage {
        for c in &s.connectors {
            rows.push(vec![
                Cell::Text(s.name.as_str().into()),
                super::dir(c.direction),
                Cell::Text(c.identity.as_str().into()),
                Cell::Text(c.source.label().into()),
                Cell::Text(c.service.map_or("", Service::label).into()),
                flag(c.enabled),
                Cell::Text(
                    match c.logging {
                        Some(Logging::Verbose) => "Verbose",
                        Some(Logging::None) => "None",
                        None => "",
                    }
                    .into(),
                ),
                Cell::Text(c.bindings.as_str().into()),
                flag(c.require_tls),
                Cell::Text(c.auth.as_str().into()),
                Cell::Count(c.sessions),
                time_cell(c.first),
                time_cell(c.last),
                Cell::Count(c.days_with_logs),
                Cell::Count(c.missing.len() as u64),
                Cell::Text(c.status.label().into()),
            ]);
        }
    }
    Table {
        kind: KIND,
        columns: COLUMNS.to_vec(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_matched_by_name_and_server_in_any_case() {
        let d = default_of("EX03\\client frontend ex03", Some(15)).expect("a default");
        assert_eq!(
            (d.name, d.port, d.service),
            ("Client Frontend", 587, Service::FrontEnd)
        );
        assert_eq!(default_of("EX03\\Client Frontend EX04", Some(15)), None);
        assert_eq!(default_of("EX03\\Relay", Some(15)), None);
        // Exchange 2010: `Client <srv>` on 587, in the one service.
        let d = default_of("EX10\\Client EX10", Some(14)).expect("a 2010 default");
        assert_eq!((d.port, d.service), (587, Service::Hub));
        assert_eq!(default_of("EX10\\Client Frontend EX10", Some(14)), None);
    }

    #[test]
    fn missing_days_are_written_as_ranges() {
        // 19776 is 2024-02-23.
        assert_eq!(day_text(19776), "2024-02-23");
        let days: Vec<i64> = (19776..19789).chain([19790]).collect();
        assert_eq!(ranges_text(&days), "2024-02-23 to 2024-03-06, 2024-03-08");
        assert_eq!(ranges_text(&[19776]), "2024-02-23");
    }

    #[test]
    fn blind_statuses_are_those_without_evidence() {
        let blind: Vec<&str> = [
            Status::Covered,
            Status::Partial,
            Status::NotLogged,
            Status::Unknown,
            Status::NotRead,
            Status::Disabled,
            Status::Ignored,
        ]
        .into_iter()
        .filter(|s| s.is_blind())
        .map(Status::label)
        .collect();
        assert_eq!(blind, ["partial", "not_logged", "unknown", "not_read"]);
    }

    #[test]
    fn implicit_connectors_are_known_by_name() {
        assert!(is_implicit("Intra-Organization SMTP Send Connector"));
        assert!(is_implicit("inbound proxy internal send connector"));
        assert!(is_implicit("Default Mailbox Delivery EX01"));
        assert!(!is_implicit("Outbound to Internet"));
        // A cut inside a character must not panic.
        assert!(!is_implicit("组织内 SMTP 发送连接器"));
    }
}
