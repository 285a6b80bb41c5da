//! The Exchange connector inventory: what `Get-ReceiveConnector` and
//! `Get-SendConnector` exported, with the README's commands or without
//! them, in any encoding PowerShell writes (`decode.rs`).
//!
//! Connectors are matched with the logs by identity (`SERVER\Name`, as in
//! a receive log's connector-id) and by server. Their text (names, FQDNs)
//! is kept exactly as read, control characters and all: it is hostile, and
//! whoever shows it escapes it. Messages never quote it.

pub(crate) mod decode;
mod rows;

use crate::diagnostic::{self, Diagnostic};
use decode::Encoding;
use rows::{Columns, Context, Kind};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What `Get-ReceiveConnector` / `Get-SendConnector` exported, as the
/// README's commands write it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    pub receive: Vec<ReceiveConnector>,
    pub send: Vec<SendConnector>,
    /// What `Get-TransportService` exported (the README's third command).
    pub services: Vec<TransportService>,
}

/// The name of each server's implicit send connector to the
/// organization's other Exchange servers. `Get-SendConnector` does not
/// list it; its logging is the transport service's
/// `IntraOrgConnectorProtocolLoggingLevel` (default `None`).
pub(crate) const INTRA_ORG: &str = "Intra-Organization SMTP Send Connector";

/// One server's transport service, as its intra-organization send
/// connector: sourced on that server, enabled, logging as exported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransportService {
    pub server: String,
    pub intra_org: SendConnector,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReceiveConnector {
    /// `SERVER\Name` as exported (Identity column).
    pub identity: String,
    /// Server column, else the part of Identity before the first `\`.
    pub server: String,
    /// Identity after the first `\` (all of it when it has none).
    pub name: String,
    /// TransportRole: FrontendTransport, HubTransport, …
    pub role: Option<String>,
    pub enabled: Option<bool>,
    /// "0.0.0.0:587", "[::]:587"; empty when unknown.
    pub bindings: Vec<String>,
    pub logging: Option<Logging>,
    pub require_tls: Option<bool>,
    /// AuthMechanism as text: "Tls, Integrated, BasicAuth, …".
    pub auth: Option<String>,
    /// "AnonymousUsers, ExchangeUsers, ExchangeServers, …".
    pub permission_groups: Option<String>,
    pub fqdn: Option<String>,
    /// Where it was read: the file, and the 1-based line its row starts on.
    /// A partial result does not carry them (a path need not be UTF-8).
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub line: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendConnector {
    /// The connector's name.
    pub identity: String,
    /// SourceTransportServers, read space- or comma-separated.
    pub source_servers: Vec<String>,
    pub enabled: Option<bool>,
    pub require_tls: Option<bool>,
    /// `None` when exported empty (PowerShell's `$null`).
    pub tls_auth_level: Option<String>,
    pub address_spaces: Vec<String>,
    pub smart_hosts: Vec<String>,
    pub logging: Option<Logging>,
    pub fqdn: Option<String>,
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub line: u64,
}

/// A connector's ProtocolLoggingLevel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Logging {
    None,
    Verbose,
}

impl Logging {
    /// `None` or `Verbose`, in any case.
    pub fn parse(s: &str) -> Option<Logging> {
        if s.eq_ignore_ascii_case("none") {
            Some(Logging::None)
        } else if s.eq_ignore_ascii_case("verbose") {
            Some(Logging::Verbose)
        } else {
            None
        }
    }

    /// As Exchange writes it.
    pub fn label(self) -> &'static str {
        match self {
            Logging::None => "None",
            Logging::Verbose => "Verbose",
        }
    }
}

/// Something read that the user should know of; the file was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

/// Why a file was not read: nothing of it was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

/// `FILE[:LINE]: message`.
fn write_located(
    f: &mut fmt::Formatter<'_>,
    file: &Path,
    line: Option<u64>,
    message: &str,
) -> fmt::Result {
    match line {
        Some(line) => write!(f, "{}:{line}: {message}", file.display()),
        None => write!(f, "{}: {message}", file.display()),
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, self.line, &self.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, self.line, &self.message)
    }
}

impl Warning {
    /// As a diagnostic of `kind` (the inventory's, or the owners file's),
    /// its text `FILE[:LINE]: message`.
    pub fn diagnostic(&self, kind: diagnostic::Kind) -> Diagnostic {
        Diagnostic::warning(kind, self.to_string())
            .in_file(self.file.display())
            .at(self.line, None)
    }
}

impl Error {
    /// As a diagnostic of `kind`, its text `FILE[:LINE]: message` and then
    /// `consequence` (what exlog did without the file).
    pub fn diagnostic(&self, kind: diagnostic::Kind, consequence: &str) -> Diagnostic {
        Diagnostic::error(kind, format!("{self}{consequence}"))
            .in_file(self.file.display())
            .at(self.line, None)
    }
}

impl std::error::Error for Error {}

/// Server names compare in any case (NetBIOS names are case-insensitive).
fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

impl Inventory {
    /// Adds what `other` holds that `self` does not (by identity in any
    /// case; a transport service by server): the inventories carried by
    /// the partial results of one organization's servers, usually the
    /// same. Returns the identities both hold with other values (the
    /// first is kept).
    pub(crate) fn absorb(&mut self, other: Inventory) -> Vec<String> {
        let mut differ = Vec::new();
        absorb_each(
            &mut self.receive,
            other.receive,
            |c| &c.identity,
            &mut differ,
        );
        absorb_each(&mut self.send, other.send, |c| &c.identity, &mut differ);
        absorb_each(
            &mut self.services,
            other.services,
            |s| &s.server,
            &mut differ,
        );
        differ
    }

    /// Receive connectors of `server` (case-insensitive), in file order.
    pub fn receive_of<'a>(
        &'a self,
        server: &'a str,
    ) -> impl Iterator<Item = &'a ReceiveConnector> + 'a {
        self.receive
            .iter()
            .filter(move |r| same_name(&r.server, server))
    }

    /// Send connectors whose SourceTransportServers hold `server`
    /// (case-insensitive), in file order.
    pub fn send_of<'a>(&'a self, server: &'a str) -> impl Iterator<Item = &'a SendConnector> + 'a {
        self.send
            .iter()
            .filter(move |s| s.source_servers.iter().any(|x| same_name(x, server)))
    }

    /// The intra-organization send connector of `server`, when its
    /// transport service was exported.
    pub(crate) fn intra_org_of(&self, server: &str) -> Option<&SendConnector> {
        self.services
            .iter()
            .find(|s| same_name(&s.server, server))
            .map(|s| &s.intra_org)
    }

    /// Every server named (receive `server`s, send source servers and
    /// transport services),
    /// sorted, case-insensitively deduplicated (the first spelling in byte
    /// order is kept).
    pub fn servers(&self) -> Vec<String> {
        let named = self.receive.iter().map(|r| &r.server);
        let sources = self.send.iter().flat_map(|s| &s.source_servers);
        let services = self.services.iter().map(|s| &s.server);
        let mut all: Vec<(String, &String)> = named
            .chain(sources)
            .chain(services)
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_lowercase(), s))
            .collect();
        all.sort();
        all.dedup_by(|a, b| a.0 == b.0);
        all.into_iter().map(|(_, s)| s.clone()).collect()
    }
}

impl ReceiveConnector {
    /// Ports of the bindings (587 from "0.0.0.0:587" and "[::]:587"),
    /// sorted, deduplicated; a binding without a port is left out.
    pub fn ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .bindings
            .iter()
            .filter_map(|b| b.rsplit_once(':')?.1.parse::<u16>().ok())
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }
}

/// Splits off a `#TYPE …` first line (an export without
/// `-NoTypeInformation`): the type line, and the rest.
pub(crate) fn split_type_line(text: &str) -> (Option<&str>, &str) {
    if !text.starts_with("#TYPE") {
        return (None, text);
    }
    match text.split_once('\n') {
        Some((line, rest)) => (Some(line.trim_end_matches('\r')), rest),
        None => (Some(text), ""),
    }
}

/// A CSV reader of `text` that leaves the header to the caller and
/// counts fields itself (to name the line of a row that is off).
fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// True when the first bytes of a file (any encoding PowerShell writes)
/// are a CSV header, after an optional `#TYPE` line, that holds the
/// columns `Identity` and `ProtocolLoggingLevel` (connectors), or `Name`
/// or `Identity` and `IntraOrgConnectorProtocolLoggingLevel` (transport
/// services), in any case. `head`
/// may end anywhere; it must hold the header line (a plain export's is
/// about 3 KB in ASCII, twice that in UTF-16).
pub fn is_inventory(head: &[u8]) -> bool {
    let decoded = decode::decode(head);
    let (_, body) = split_type_line(&decoded.text);
    let mut header = csv::StringRecord::new();
    match csv_reader(body).read_record(&mut header) {
        Ok(true) => {
            let has = |name| rows::position(&header, name).is_some();
            let connectors = has("Identity") && has("ProtocolLoggingLevel");
            let services =
                (has("Identity") || has("Name")) && has("IntraOrgConnectorProtocolLoggingLevel");
            connectors || services
        }
        _ => false,
    }
}

/// Reads one file into `inv`: receive or send connectors, told by its
/// columns (`SourceTransportServers`/`AddressSpaces` mean send;
/// `Bindings`/`PermissionGroups`/`TransportRole` mean receive), else by
/// its `#TYPE` line, else an Error. Warnings are pushed. A malformed file
/// is an Error naming the file and line, and nothing of it is added. A
/// connector already read (the same identity, in any case, from this file
/// or another) is not added again, with a warning naming where it was.
pub fn read_file(
    path: &Path,
    bytes: &[u8],
    inv: &mut Inventory,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let decoded = decode::decode(bytes);
    let mut ctx = Context::new(path, decoded.encoding == Encoding::Ascii);
    if let Some((line, why)) = decoded.bad_utf16 {
        return Err(ctx.error(Some(line), why));
    }
    if let Some(line) = decoded.not_utf8_line {
        ctx.warn(
            Some(line),
            "not UTF-8 (an ANSI export?): letters outside ASCII are read as U+FFFD and \
             such names match no log; export with -Encoding UTF8 \
             (see README, 'Connector inventory')",
        );
    }
    let (type_line, body) = split_type_line(&decoded.text);
    let skipped = u64::from(type_line.is_some());
    let mut new = Inventory::default();
    read_rows(&mut ctx, body, skipped, type_line, &mut new)?;
    add_new(&mut ctx, inv, new);
    warnings.append(&mut ctx.warnings);
    Ok(())
}

/// The header and rows of `body`, which starts `skipped` lines into the
/// file.
fn read_rows(
    ctx: &mut Context<'_>,
    body: &str,
    skipped: u64,
    type_line: Option<&str>,
    out: &mut Inventory,
) -> Result<(), Error> {
    let mut reader = csv_reader(body);
    let mut rec = csv::StringRecord::new();
    let mut lines = Lines::new(body);
    let mut line_of = |rec: &csv::StringRecord| lines.of(rec) + skipped;
    let csv_error = |ctx: &Context<'_>, e: csv::Error| {
        let line = e.position().map(|p| p.line() + skipped);
        ctx.error(line, format!("not CSV: {e}"))
    };
    match reader.read_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => return Err(ctx.error(Some(skipped + 1), "no header line")),
        Err(e) => return Err(csv_error(ctx, e)),
    }
    let header_line = line_of(&rec);
    let columns = Columns::new(&rec, type_line).map_err(|why| ctx.error(Some(header_line), why))?;
    loop {
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(csv_error(ctx, e)),
        }
        let line = line_of(&rec);
        if rec.len() != columns.count {
            let message = format!(
                "{} fields, where the header (line {header_line}) has {}",
                rec.len(),
                columns.count
            );
            return Err(ctx.error(Some(line), message));
        }
        match columns.kind {
            Kind::Receive => out.receive.push(ctx.receive(&rec, line, &columns)?),
            Kind::Send => out.send.push(ctx.send(&rec, line, &columns)?),
            Kind::Service => out.services.push(ctx.service(&rec, line, &columns)?),
        }
    }
}

/// The 1-based lines that records start on, counted from their byte
/// offsets as they come. The csv crate's own line is taken before the end
/// of the previous line is read (a CRLF's LF), so it is one short.
pub(crate) struct Lines<'a> {
    body: &'a [u8],
    counted_to: usize,
    newlines: u64,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(body: &'a str) -> Lines<'a> {
        let body = body.as_bytes();
        Lines {
            body,
            counted_to: 0,
            newlines: 0,
        }
    }

    /// The line `rec` starts on: past the line ends before it (no record
    /// starts with one: a value that does is quoted).
    pub(crate) fn of(&mut self, rec: &csv::StringRecord) -> u64 {
        let byte = rec.position().map_or(0, |p| p.byte() as usize);
        let skip = self.body.get(byte..).unwrap_or_default();
        let start = byte
            + skip
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
        let start = start.clamp(self.counted_to, self.body.len());
        self.newlines += bytecount::count(&self.body[self.counted_to..start], b'\n') as u64;
        self.counted_to = start;
        self.newlines + 1
    }
}

/// [`Inventory::absorb`] for one kind of row.
fn absorb_each<T: PartialEq>(
    into: &mut Vec<T>,
    new: Vec<T>,
    key: fn(&T) -> &String,
    differ: &mut Vec<String>,
) {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(into.len() + new.len());
    for (i, x) in into.iter().enumerate() {
        seen.entry(key(x).to_lowercase()).or_insert(i);
    }
    for x in new {
        match seen.get(&key(&x).to_lowercase()) {
            Some(&i) if into[i] != x => differ.push(key(&x).clone()),
            Some(_) => {}
            None => {
                seen.insert(key(&x).to_lowercase(), into.len());
                into.push(x);
            }
        }
    }
}

/// Adds the connectors of one file, each identity once.
fn add_new(ctx: &mut Context<'_>, inv: &mut Inventory, new: Inventory) {
    add_each(ctx, &mut inv.receive, new.receive, "receive", |r| {
        (&r.identity, &r.file, r.line)
    });
    add_each(ctx, &mut inv.send, new.send, "send", |s| {
        (&s.identity, &s.file, s.line)
    });
    add_each(
        ctx,
        &mut inv.services,
        new.services,
        "intra-organization send",
        |s| (&s.server, &s.intra_org.file, s.intra_org.line),
    );
}

/// Adds `new` to `into` but for identities `into` holds (in any case),
/// found by hash: a hostile inventory of many rows stays linear.
fn add_each<T>(
    ctx: &mut Context<'_>,
    into: &mut Vec<T>,
    new: Vec<T>,
    kind: &str,
    place: fn(&T) -> (&str, &Path, u64),
) {
    let key = |x: &T| place(x).0.to_lowercase();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(into.len() + new.len());
    for (i, x) in into.iter().enumerate() {
        seen.entry(key(x)).or_insert(i);
    }
    for x in new {
        match seen.get(&key(&x)) {
            Some(&first) => {
                let (_, file, first_line) = place(&into[first]);
                warn_again(ctx, place(&x).2, kind, file, first_line);
            }
            None => {
                seen.insert(key(&x), into.len());
                into.push(x);
            }
        }
    }
}

fn warn_again(ctx: &mut Context<'_>, line: u64, kind: &str, file: &Path, first: u64) {
    let message = format!(
        "this {kind} connector was read already, from {}:{first}; this row is left out",
        file.display()
    );
    ctx.warn(Some(line), message);
}

#[cfg(test)]
mod tests;
