//! SMTP sessions: the rows of one `session-id` folded into what an
//! administrator asks about (who, which TLS, which certificate, plaintext?).
//!
//! [`Session::apply`] is a state machine over rows in `sequence` order. It
//! is fed live while a worker scans, and again by [`stitch`] for the rows
//! of sessions that cross chunk or file boundaries, so one function
//! defines a session whichever way its rows arrive.

pub(crate) mod stitch;

use crate::parse::stamp::Bounds;
use crate::parse::tls::{self, Version};
use crate::parse::{Direction, Row, Stamp, endpoint, fields};

/// A session-id as a map key. IDs are opaque (only equality matters), so
/// the usual 16 hex digits are used as they are, without parsing; any
/// other length is hashed, with its top byte set to 0xFF, which no
/// 16-digit hex ID has.
pub(crate) fn key(id: &[u8]) -> u128 {
    if let Ok(raw) = <[u8; 16]>::try_from(id) {
        // Big-endian: keys sort as the IDs do, and IDs of one process
        // (a counter) lie close together.
        return u128::from_be_bytes(raw);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(id);
    (0xFF << 120) | u128::from(h.finish()) | (id.len() as u128) << 64
}

/// The command that started TLS in a session.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum TlsCommand {
    #[default]
    None,
    StartTls,
    /// Exchange-to-Exchange TLS with the transport certificate.
    AnonymousTls,
}

impl TlsCommand {
    pub fn label(self) -> &'static str {
        match self {
            TlsCommand::None => "",
            TlsCommand::StartTls => "STARTTLS",
            TlsCommand::AnonymousTls => "X-ANONYMOUSTLS",
        }
    }
}

/// What became of a session's TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// TLS negotiated.
    Tls,
    /// TLS attempted (a TLS command or a failure line) but not negotiated.
    Failed,
    /// Mail or credentials went in clear: MAIL FROM, AUTH or DATA/BDAT in a
    /// session seen from its start, without any TLS attempt.
    Plaintext,
    /// Seen from start to end, without TLS and without mail or AUTH: a
    /// connect (and maybe an EHLO) and goodbye. Nothing went in clear.
    Idle,
    /// Too little of the session is in the logs to tell: its start is
    /// missing, or it stops before TLS would have been decided.
    Unknown,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Tls => "tls",
            Class::Failed => "failed",
            Class::Plaintext => "plaintext",
            Class::Idle => "idle",
            Class::Unknown => "unknown",
        }
    }
}

/// One TLS line of a session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TlsEvent {
    /// The success context, as written (the cipher report normalises it),
    /// and its version, parsed once here.
    Success {
        stamp: Stamp,
        #[serde(with = "crate::wire::bytes")]
        context: Box<[u8]>,
        version: Version,
        /// RC4, DES/3DES, MD5 or export strength (see
        /// [`tls::Negotiation::is_weak`]).
        weak: bool,
        /// Written by a skewed clock (outside the file's own time): counted,
        /// but it moves no first or last time.
        skewed: bool,
    },
    Failure {
        stamp: Stamp,
        #[serde(with = "crate::wire::bytes")]
        error: Box<[u8]>,
        skewed: bool,
    },
}

impl TlsEvent {
    pub fn stamp(&self) -> &Stamp {
        match self {
            TlsEvent::Success { stamp, .. } | TlsEvent::Failure { stamp, .. } => stamp,
        }
    }

    /// Whether a skewed clock wrote the line (see [`Session::skew_last_tls`]).
    pub fn skewed(&self) -> bool {
        match self {
            TlsEvent::Success { skewed, .. } | TlsEvent::Failure { skewed, .. } => *skewed,
        }
    }

    /// Version of a success, `None` for a failure.
    pub fn version(&self) -> Option<Version> {
        match self {
            TlsEvent::Success { version, .. } => Some(*version),
            TlsEvent::Failure { .. } => None,
        }
    }
}

/// Whose certificate a certificate row describes; higher ranks win, since
/// the peer's certificate says more about the peer than our own does.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
enum CertRank {
    #[default]
    None,
    /// The certificate Exchange presented.
    Sending,
    /// The peer's (`Remote certificate`, `Received certificate`).
    Peer,
}

/// Everything known about one session. Serializable: `--state` keeps the
/// sessions still open at the end of a run, for the next run to finish.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub direction: Direction,
    #[serde(with = "crate::wire::bytes")]
    pub connector: Box<[u8]>,
    #[serde(with = "crate::wire::bytes")]
    pub session_id: Box<[u8]>,
    pub start: Stamp,
    pub end: Stamp,
    pub local_port: Option<u16>,
    #[serde(with = "crate::wire::bytes")]
    pub remote_ip: Box<[u8]>,
    /// The peer's port (send: 2525, 717 or 465 is another Exchange server's
    /// transport service).
    pub remote_port: Option<u16>,
    /// The FrontEnd's send side said `Proxying inbound session with
    /// session id …`: the hop to the Hub, whatever the connector's name.
    pub proxy_hop: bool,
    /// Receive: the client's EHLO/HELO argument. Send: the remote's banner
    /// host (first word after `220`).
    #[serde(with = "crate::wire::opt_bytes")]
    pub ehlo: Option<Box<[u8]>>,
    pub starttls_offered: bool,
    pub tls_command: TlsCommand,
    pub tls: Vec<TlsEvent>,
    #[serde(with = "crate::wire::opt_bytes")]
    pub cert_subject: Option<Box<[u8]>>,
    #[serde(with = "crate::wire::opt_bytes")]
    pub cert_thumbprint: Option<Box<[u8]>>,
    cert_rank: CertRank,
    /// A multi-row certificate block in progress (its type row was seen).
    cert_block: CertRank,
    #[serde(with = "crate::wire::opt_bytes")]
    pub auth_user: Option<Box<[u8]>>,
    /// The client authenticated as an Exchange server (`X-EXPS`).
    pub exchange_auth: bool,
    /// MAIL FROM addresses as written (between `<` and `>`), in order,
    /// without the null sender.
    #[serde(with = "crate::wire::bytes_list")]
    pub senders: Vec<Box<[u8]>>,
    /// The server refused to go on in clear: `530 5.7.0` or `451 5.7.3`
    /// (`Must issue a STARTTLS command first`), the first such code.
    #[serde(with = "reply_code")]
    pub tls_required_reply: ReplyCode,
    /// Original client IP from `XPROXYFROM … IP=` (Hub behind a FrontEnd).
    #[serde(with = "crate::wire::opt_bytes")]
    pub client_ip: Option<Box<[u8]>>,
    /// MAIL FROM commands.
    pub messages: u32,
    /// AUTH, DATA or BDAT was sent, or a user authenticated: with no TLS,
    /// credentials or mail went in clear.
    pub clear_auth_or_data: bool,
    #[serde(with = "crate::wire::opt_bytes")]
    pub disconnect: Option<Box<[u8]>>,
    /// Row 0 (or the `+` row) was seen: the session's start is in the logs.
    pub began: bool,
    /// The `-` row was seen.
    pub ended: bool,
    /// The first row's time is a skewed clock's: the session is counted,
    /// but its day is marked and it moves no first or last time.
    pub start_skewed: bool,
    /// Read what only the session report shows: the certificate and the
    /// disconnect reason (true unless the scan says no report needs them).
    pub details: bool,
}

fn boxed(b: &[u8]) -> Box<[u8]> {
    b.into()
}

impl Session {
    /// A session whose first row we have is `row`.
    pub fn new(direction: Direction, row: &Row) -> Session {
        let stamp = Stamp::new(row.get(fields::DATE_TIME));
        Session {
            direction,
            connector: boxed(row.get(fields::CONNECTOR_ID)),
            session_id: boxed(row.get(fields::SESSION_ID)),
            start: stamp,
            end: stamp,
            local_port: None,
            remote_ip: boxed(b""),
            remote_port: None,
            proxy_hop: false,
            ehlo: None,
            starttls_offered: false,
            tls_command: TlsCommand::None,
            tls: Vec::new(),
            cert_subject: None,
            cert_thumbprint: None,
            cert_rank: CertRank::None,
            cert_block: CertRank::None,
            auth_user: None,
            exchange_auth: false,
            senders: Vec::new(),
            tls_required_reply: None,
            client_ip: None,
            messages: 0,
            clear_auth_or_data: false,
            disconnect: None,
            began: false,
            ended: false,
            start_skewed: false,
            details: true,
        }
    }

    /// Marks the last TLS line as written by a skewed clock (the scan
    /// knows the file's time bounds; the session does not).
    pub fn skew_last_tls(&mut self) {
        if let Some(TlsEvent::Success { skewed, .. } | TlsEvent::Failure { skewed, .. }) =
            self.tls.last_mut()
        {
            *skewed = true;
        }
    }

    /// [`Session::apply`], then marks a TLS line outside the file's time
    /// `bounds` as a skewed clock's.
    pub fn apply_within(&mut self, row: &Row, bounds: &Bounds) -> bool {
        let tls = self.apply(row);
        if tls && bounds.excludes(row.get(fields::DATE_TIME)) {
            self.skew_last_tls();
        }
        tls
    }

    /// Folds one row (of this session, in sequence order) into the state.
    /// Returns whether the row was a TLS line (success or failure), for the
    /// scan statistics.
    pub fn apply(&mut self, row: &Row) -> bool {
        self.touch(row.get(fields::DATE_TIME));
        if row.get(fields::SEQUENCE) == b"0" {
            self.began = true;
        }
        let local = row.get(fields::LOCAL_ENDPOINT);
        if self.local_port.is_none() && !local.is_empty() {
            self.local_port = endpoint::port(local);
        }
        if self.remote_ip.is_empty() {
            let remote = row.get(fields::REMOTE_ENDPOINT);
            self.remote_ip = boxed(endpoint::ip(remote));
            self.remote_port = endpoint::port(remote);
        }
        let data = row.get(fields::DATA);
        let context = row.get(fields::CONTEXT);
        let event = row.get(fields::EVENT).first().copied().unwrap_or(0);
        let (client, server) = self.sides();
        match event {
            b'+' => self.began = true,
            b'-' => {
                self.ended = true;
                if self.details && self.disconnect.is_none() && !context.is_empty() {
                    self.disconnect = Some(boxed(context));
                }
            }
            b'*' => return self.information(row, data, context),
            e if e == client => self.client_line(data),
            e if e == server => self.server_line(data),
            _ => {}
        }
        false
    }

    /// The event marks of the SMTP client's and server's lines. Receive
    /// logs: `<` is the peer. Send logs: `>` is Exchange, the client.
    fn sides(&self) -> (u8, u8) {
        match self.direction {
            Direction::Receive => (b'<', b'>'),
            Direction::Send => (b'>', b'<'),
        }
    }

    /// Takes a row's time: the session spans it.
    #[inline(always)]
    pub fn touch(&mut self, stamp: &[u8]) {
        // Rows of a session come in time order: the end moves, the start
        // seldom does.
        match self.end.cmp_text(stamp) {
            std::cmp::Ordering::Less => self.end.set(stamp),
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Greater => {
                if self.start.cmp_text(stamp).is_gt() {
                    self.start = Stamp::new(stamp);
                }
            }
        }
    }

    /// Whether [`Session::apply`] would take nothing from a row but its
    /// time ([`Session::touch`]): most rows of a session (the capability
    /// lines, RCPT, BDAT, the 250s, the `*` rows about messages and
    /// permissions). Decided from the row's sequence number, event and the
    /// first bytes of its data or context; when in doubt, no.
    #[inline]
    pub fn is_routine(&self, sequence: &[u8], event: &[u8], data: &[u8], context: &[u8]) -> bool {
        if sequence == b"0" || self.local_port.is_none() || self.remote_ip.is_empty() {
            return false;
        }
        let (client, server) = self.sides();
        match event.first() {
            Some(b'+' | b'-') => false,
            Some(b'*') => self.is_routine_information(context),
            // EHLO, HELO, STARTTLS, X-ANONYMOUSTLS, XPROXYFROM, MAIL FROM,
            // and AUTH, DATA, BDAT until one of those was seen.
            Some(&e) if e == client => match data.first().map(u8::to_ascii_uppercase) {
                Some(b'E' | b'H' | b'S' | b'X' | b'M' | b'"') => false,
                Some(b'A' | b'D' | b'B') => self.clear_auth_or_data,
                _ => true,
            },
            Some(&e) if e == server => {
                // A quoted reply (`"250 2.6.0 <…> [InternalId=…, …] Queued…"`)
                // is read inside its quotes; doubled quotes inside change
                // neither its first bytes nor its words.
                let data = match data {
                    [b'"', inner @ .., b'"'] => inner,
                    _ => data,
                };
                if tls_required_code(data).is_some() {
                    false
                } else if data.starts_with(b"250") {
                    // Before STARTTLS was offered, each capability line is
                    // read for it (what `server_line` does).
                    self.starttls_offered || !offers_starttls(&data[3..])
                } else {
                    !(self.direction == Direction::Send
                        && self.ehlo.is_none()
                        && data.starts_with(b"220"))
                }
            }
            _ => true,
        }
    }

    /// [`Session::is_routine`] for a `*` row: what `information` and
    /// `certificate` would ignore (`receiving message`, `Proxy
    /// destination(s) obtained`, `Set Session Permissions`,
    /// `TlsDomainCapabilities…`, `Client certificate chain validation…`).
    #[inline]
    fn is_routine_information(&self, context: &[u8]) -> bool {
        match context.first() {
            None => true,
            Some(b'T') => !context.starts_with(b"TLS "),
            Some(b'P') => self.proxy_hop || !context.starts_with(PROXYING),
            Some(b'a') => context != b"authenticated",
            Some(b'S' | b'R' | b'V' | b'C') => {
                !self.details
                    || (cert_rank_of(context).is_none() && !context.starts_with(b"Certificate "))
            }
            Some(b'"') => false,
            Some(_) => true,
        }
    }

    fn client_line(&mut self, data: &[u8]) {
        let verb_end = data.iter().position(|&c| c == b' ').unwrap_or(data.len());
        let verb = &data[..verb_end];
        if verb.eq_ignore_ascii_case(b"EHLO") || verb.eq_ignore_ascii_case(b"HELO") {
            if self.direction == Direction::Receive && self.ehlo.is_none() {
                let arg = data[verb_end..].trim_ascii();
                self.ehlo = Some(boxed(arg));
            }
        } else if verb.eq_ignore_ascii_case(b"STARTTLS") {
            self.tls_command = TlsCommand::StartTls;
        } else if verb.eq_ignore_ascii_case(b"X-ANONYMOUSTLS") {
            self.tls_command = TlsCommand::AnonymousTls;
        } else if starts_with_ignore_case(data, b"MAIL FROM:") {
            self.messages += 1;
            // Senders name whom to call: the legacy report reads them,
            // and it asks for details.
            let sender = self
                .details
                .then(|| mail_from_address(&data[10..]))
                .flatten();
            if let Some(sender) = sender {
                self.senders.push(boxed(sender));
            }
        } else if verb.eq_ignore_ascii_case(b"X-EXPS") || is_exchange_auth(verb, &data[verb_end..])
        {
            self.exchange_auth = true;
            self.clear_auth_or_data = true;
        } else if verb.eq_ignore_ascii_case(b"AUTH")
            || verb.eq_ignore_ascii_case(b"DATA")
            || verb.eq_ignore_ascii_case(b"BDAT")
        {
            self.clear_auth_or_data = true;
        } else if verb.eq_ignore_ascii_case(b"XPROXYFROM")
            && self.client_ip.is_none()
            && let Some(ip) = data
                .split(|&c| c == b' ')
                .find_map(|w| w.strip_prefix(b"IP="))
        {
            self.client_ip = Some(boxed(ip));
        }
    }

    fn server_line(&mut self, data: &[u8]) {
        if let Some(code) = tls_required_code(data) {
            self.tls_required_reply.get_or_insert(code);
        } else if data.starts_with(b"250") {
            // `250-STARTTLS` (a row per line) or `250  host Hello … STARTTLS …`.
            if !self.starttls_offered && offers_starttls(&data[3..]) {
                self.starttls_offered = true;
            }
        } else if self.direction == Direction::Send
            && self.ehlo.is_none()
            && let Some(rest) = data.strip_prefix(b"220 ")
        {
            let host = rest.split(|&c| c == b' ').next().unwrap_or(b"");
            self.ehlo = Some(boxed(host));
        }
    }

    fn information(&mut self, row: &Row, data: &[u8], context: &[u8]) -> bool {
        if context.starts_with(b"TLS ") {
            let stamp = Stamp::new(row.get(fields::DATE_TIME));
            if let Some(neg) = tls::parse_success(context) {
                self.tls.push(TlsEvent::Success {
                    stamp,
                    context: boxed(context),
                    version: tls::parse_protocol(neg.protocol).0,
                    weak: neg.is_weak(),
                    skewed: false,
                });
                return true;
            }
            if let Some(error) = tls::parse_failure(context) {
                self.tls.push(TlsEvent::Failure {
                    stamp,
                    error: boxed(error),
                    skewed: false,
                });
                return true;
            }
        }
        if context.starts_with(PROXYING) {
            self.proxy_hop = true;
            return false;
        }
        if context == b"authenticated" {
            self.clear_auth_or_data = true;
            if self.auth_user.is_none() && !data.is_empty() {
                self.auth_user = Some(boxed(data));
            }
            return false;
        }
        if self.details {
            self.certificate(data, context);
        }
        false
    }

    /// The three certificate layouts of docs/log-format.md §4.3.
    fn certificate(&mut self, data: &[u8], context: &[u8]) {
        // Most `*` rows are no certificate row: decide by the first letter.
        if !matches!(context.first(), Some(b'S' | b'R' | b'V' | b'C')) {
            return;
        }
        if let Some(rank) = cert_rank_of(context) {
            if context.ends_with(b"Subject alternate names") && !data.trim_ascii().is_empty() {
                // Single row: ` <Subject> <Issuer> <Serial> <Thumbprint> <NotBefore> <NotAfter> <SANs>`.
                if rank >= self.cert_rank
                    && let Some((subject, thumbprint)) = split_single_row_cert(data)
                {
                    self.cert_rank = rank;
                    self.cert_subject = Some(boxed(subject));
                    self.cert_thumbprint = Some(boxed(thumbprint));
                }
                self.cert_block = CertRank::None;
            } else {
                // Type row of a multi-row block (or thumbprint-only).
                self.cert_block = rank;
            }
            return;
        }
        let block = self.cert_block;
        if block == CertRank::None || block < self.cert_rank {
            return;
        }
        match context {
            b"Certificate subject" => {
                self.cert_subject = Some(boxed(data));
                if block > self.cert_rank {
                    self.cert_thumbprint = None;
                }
                self.cert_rank = block;
            }
            b"Certificate thumbprint" => {
                self.cert_thumbprint = Some(boxed(data));
                if block > self.cert_rank {
                    self.cert_subject = None;
                }
                self.cert_rank = block;
            }
            b"Certificate alternate names" => self.cert_block = CertRank::None,
            _ => {}
        }
    }

    /// How the session's TLS went.
    pub fn class(&self) -> Class {
        if self
            .tls
            .iter()
            .any(|e| matches!(e, TlsEvent::Success { .. }))
        {
            Class::Tls
        } else if !self.tls.is_empty() || (self.tls_command != TlsCommand::None && self.ended) {
            // A TLS command with no TLS line is a failure only if the
            // session went on to end; cut off by the end of the logs, its
            // outcome is unknown.
            Class::Failed
        } else if self.tls_command != TlsCommand::None || !self.began {
            Class::Unknown
        } else if self.messages > 0 || self.clear_auth_or_data {
            Class::Plaintext
        } else if self.ended {
            Class::Idle
        } else {
            Class::Unknown
        }
    }

    /// Start and end both in the logs.
    pub fn incomplete(&self) -> bool {
        !(self.began && self.ended)
    }

    /// Exchange-internal traffic, by what the rows say: X-ANONYMOUSTLS, a
    /// proxied hop (XPROXYFROM, or `Proxying inbound session …`), Exchange's
    /// transport ports ([`crate::parse::TRANSPORT_PORTS`]) on either end
    /// (Exchange sends no implicit TLS, so a send to 465 is a Hub's client
    /// proxy), or a
    /// built-in internal send connector under its English name.
    pub fn internal(&self) -> bool {
        const INTERNAL_SEND: [&[u8]; 2] = [
            b"Intra-Organization SMTP Send Connector",
            b"Inbound Proxy Internal Send Connector",
        ];
        let transport_port = |p: Option<u16>| p.is_some_and(crate::parse::is_transport_port);
        self.tls_command == TlsCommand::AnonymousTls
            || self.client_ip.is_some()
            || self.proxy_hop
            || (self.direction == Direction::Receive && transport_port(self.local_port))
            || (self.direction == Direction::Send
                && (transport_port(self.remote_port) || INTERNAL_SEND.contains(&&*self.connector)))
    }

    /// A negotiation used a weak suite.
    pub fn weak(&self) -> bool {
        self.tls
            .iter()
            .any(|e| matches!(e, TlsEvent::Success { weak: true, .. }))
    }

    /// The peer's certificate subject (not Exchange's own), if one was logged.
    pub fn peer_subject(&self) -> Option<&[u8]> {
        match self.cert_rank {
            CertRank::Peer => self.cert_subject.as_deref(),
            _ => None,
        }
    }

    /// The lowest negotiated version, if any (what readiness cares about).
    pub fn lowest_version(&self) -> Option<Version> {
        self.tls.iter().filter_map(TlsEvent::version).min()
    }
}

/// The context of the `*` row that says a hop came from a FrontEnd proxy.
const PROXYING: &[u8] = b"Proxying inbound session with session id";

/// The certificate a `*` row's context announces: Exchange's own or the
/// peer's (the type row of a block, or a single-row certificate).
fn cert_rank_of(context: &[u8]) -> Option<CertRank> {
    if context.starts_with(b"Sending certificate") {
        Some(CertRank::Sending)
    } else if context.starts_with(b"Remote certificate")
        || context.starts_with(b"Received certificate")
        || context.starts_with(b"Validated received certificate")
    {
        Some(CertRank::Peer)
    } else {
        None
    }
}

/// Whether a 250 reply's text lists STARTTLS as a word (after a space or
/// the `-` of a multi-line reply), in capitals or in lower case. Every
/// capability line before the offer passes here: a byte loop, no searcher.
fn offers_starttls(text: &[u8]) -> bool {
    text.split(|&c| c == b' ' || c == b'-')
        .any(|w| w == b"STARTTLS" || w == b"starttls")
}

/// A reply that says TLS is required (`530 5.7.0`), if one came. (An
/// alias: serde would take a `&'static str` field for a borrowed one.)
pub(crate) type ReplyCode = Option<&'static str>;

/// `#[serde(with)]` for [`Session::tls_required_reply`]: one of the codes
/// [`tls_required_code`] knows, by its text.
mod reply_code {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        v: &Option<&'static str>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<&'static str>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(code) => super::tls_required_code(code.as_bytes())
                .filter(|known| *known == code)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown reply code {code:?}"))),
        }
    }
}

/// `530 5.7.0` or `451 5.7.3`: the replies of a server that requires
/// STARTTLS first (a quoted reply is read inside its quotes). Every
/// server row asks (`is_routine`), and most start with `2`: the first
/// byte decides for them, inline, without a call.
#[inline(always)]
fn tls_required_code(data: &[u8]) -> Option<&'static str> {
    let data = data.strip_prefix(b"\"").unwrap_or(data);
    match data.first() {
        Some(b'5') if data.starts_with(b"530 5.7.0") => Some("530 5.7.0"),
        Some(b'4') if data.starts_with(b"451 5.7.3") => Some("451 5.7.3"),
        _ => None,
    }
}

/// The address of `MAIL FROM:<addr> SIZE=…` (what follows the colon);
/// `None` for the null sender `<>` or no brackets.
fn mail_from_address(rest: &[u8]) -> Option<&[u8]> {
    let rest = rest.trim_ascii_start();
    let inner = rest.strip_prefix(b"<")?;
    let end = inner.iter().position(|&c| c == b'>')?;
    (end > 0).then(|| &inner[..end])
}

/// `AUTH X-EXPS …`: Exchange server authentication.
fn is_exchange_auth(verb: &[u8], rest: &[u8]) -> bool {
    verb.eq_ignore_ascii_case(b"AUTH")
        && starts_with_ignore_case(rest.trim_ascii_start(), b"X-EXPS")
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Splits single-row certificate data into subject and thumbprint. The last
/// five words are serial, thumbprint, not-before, not-after and SANs; what
/// is left is `Subject Issuer`, two DNs that may hold spaces: the issuer
/// starts at the first space that is not after a comma and is followed by
/// an attribute name and `=` (`CN=`, `O=` …).
fn split_single_row_cert(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let data = data.trim_ascii();
    let mut words = data.rsplitn(6, |&c| c == b' ');
    let _sans = words.next()?;
    let _not_after = words.next()?;
    let _not_before = words.next()?;
    let thumbprint = words.next()?;
    let _serial = words.next()?;
    let dns = words.next()?;
    let mut subject = dns;
    for (i, &c) in dns.iter().enumerate() {
        if c == b' ' && i > 0 && dns[i - 1] != b',' {
            let rest = &dns[i + 1..];
            let name_len = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            if name_len > 0 && rest.get(name_len) == Some(&b'=') {
                subject = &dns[..i];
                break;
            }
        }
    }
    Some((subject, thumbprint))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(direction: Direction, lines: &[&str]) -> Session {
        let rows: Vec<Row> = lines
            .iter()
            .map(|l| Row::parse(l.as_bytes()).unwrap())
            .collect();
        let mut s = Session::new(direction, &rows[0]);
        for r in &rows {
            s.apply(r);
        }
        s
    }

    const QAZEER: &[&str] = &[
        "2023-01-11T15:59:51.433Z,SRV\\Default Frontend SRV,123453EC62278461,0,10.10.10.10:25,95.10.20.33:56026,+,,",
        "2023-01-11T15:59:51.433Z,SRV\\Default Frontend SRV,123453EC62278461,1,10.10.10.10:25,95.10.20.33:56026,>,\"220 SRV.DOMAIN.TEST Microsoft ESMTP MAIL Service ready at Wed, 11 Jan 2023 16:59:51 +0100\",",
        "2023-01-11T15:59:53.909Z,SRV\\Default Frontend SRV,123453EC62278461,2,10.10.10.10:25,95.10.20.33:56026,<,EHLO [95.10.20.33],",
        "2023-01-11T15:59:53.910Z,SRV\\Default Frontend SRV,123453EC62278461,3,10.10.10.10:25,95.10.20.33:56026,>,250  SRV.DOMAIN.TEST Hello [95.10.20.33] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST,",
        "2023-01-11T15:59:56.232Z,SRV\\Default Frontend SRV,123453EC62278461,4,10.10.10.10:25,95.10.20.33:56026,<,STARTTLS,",
        "2023-01-11T15:59:56.232Z,SRV\\Default Frontend SRV,123453EC62278461,5,10.10.10.10:25,95.10.20.33:56026,>,220 2.0.0 SMTP server ready,",
        "2023-01-11T15:59:56.232Z,SRV\\Default Frontend SRV,123453EC62278461,6,10.10.10.10:25,95.10.20.33:56026,*, CN=SERVER-HOSTNAME CN=SERVER-HOSTNAME 12DEABC6565646512346ABDC13456894 12DEABC6565646512346ABDC1345689413589876 2020-01-17T15:15:33.000Z 2025-01-17T15:15:33.000Z SERVER-HOSTNAME;SERVER-HOSTNAME.DOMAIN.TEST,Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names",
        "2023-01-11T16:00:01.010Z,SRV\\Default Frontend SRV,123453EC62278461,7,10.10.10.10:25,95.10.20.33:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"",
        "2023-01-11T16:00:02.105Z,SRV\\Default Frontend SRV,123453EC62278461,8,10.10.10.10:25,95.10.20.33:56026,<,EHLO [95.10.20.33],",
        "2023-01-11T16:00:03.115Z,SRV\\Default Frontend SRV,123453EC62278461,9,10.10.10.10:25,95.10.20.33:56026,*,CONTOSO\\svc,authenticated",
        "2023-01-11T16:00:04.000Z,SRV\\Default Frontend SRV,123453EC62278461,10,10.10.10.10:25,95.10.20.33:56026,<,MAIL FROM:<a@b.example>,",
        "2023-01-11T16:00:10.644Z,SRV\\Default Frontend SRV,123453EC62278461,11,10.10.10.10:25,95.10.20.33:56026,-,,Local",
    ];

    /// A multi-line EHLO reply, then commands and replies of a message.
    const MULTI_ROW_REPLY: [&str; 10] = [
        "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,4,10.100.100.25:25,10.100.100.30:62136,>,250-Exchange.contoso.com Hello [10.100.100.30],",
        "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,5,10.100.100.25:25,10.100.100.30:62136,>,250-SIZE 37748736,",
        "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,6,10.100.100.25:25,10.100.100.30:62136,>,250-STARTTLS,",
        "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,7,10.100.100.25:25,10.100.100.30:62136,>,250 XRDST,",
        "2024-03-13T09:01:19.000Z,EX\\Default Frontend EX,08DC42C8FF236A1F,8,10.100.100.25:25,10.100.100.30:62136,<,RCPT TO:<a@b.example>,",
        "2024-03-13T09:01:19.100Z,EX\\Default Frontend EX,08DC42C8FF236A1F,9,10.100.100.25:25,10.100.100.30:62136,<,mail from:<x@y.example>,",
        "2024-03-13T09:01:19.200Z,EX\\Default Frontend EX,08DC42C8FF236A1F,10,10.100.100.25:25,10.100.100.30:62136,<,BDAT 100 LAST,",
        "2024-03-13T09:01:19.300Z,EX\\Default Frontend EX,08DC42C8FF236A1F,11,10.100.100.25:25,10.100.100.30:62136,>,250 2.6.0 Queued mail for delivery,",
        "2024-03-13T09:01:19.400Z,EX\\Default Frontend EX,08DC42C8FF236A1F,12,10.100.100.25:25,10.100.100.30:62136,<,BDAT 5 LAST,",
        "2024-03-13T09:01:19.500Z,EX\\Default Frontend EX,08DC42C8FF236A1F,13,10.100.100.25:25,10.100.100.30:62136,<,QUIT,",
    ];

    /// `*` rows that change nothing, among ones that do (a certificate
    /// block, authentication), and capability lines before STARTTLS.
    fn starred_session() -> Vec<String> {
        let p = "2024-03-13T09:02:00.000Z,EX\\Default Frontend EX,08DC42C8FF236A20";
        let e = "10.100.100.25:25,10.100.100.31:62140";
        [
            "0|+|,",
            "1|>|220 EX.contoso.com Microsoft ESMTP MAIL Service ready,",
            "2|<|EHLO client.example,",
            "3|>|250-EX.contoso.com Hello [10.100.100.31],",
            "4|>|250-SIZE 37748736,",
            "5|>|250-PIPELINING,",
            "6|>|\"250-AUTH, STARTTLS\",",
            "7|>|\"250-X-ANONYMOUSTLS, \"\"quoted\"\"\",",
            "8|*|,Set Session Permissions",
            "9|<|STARTTLS,",
            "10|*|,Remote certificate",
            "11|*|CN=client.example,Certificate subject",
            "12|*|ABCDEF0123456789ABCDEF0123456789ABCDEF01,Certificate thumbprint",
            "13|*|client.example,Certificate alternate names",
            "14|*|,TlsDomainCapabilities='None'; Status='Success'; DomainMatch='true'",
            "15|*|,Client certificate chain validation status: 'EmptyCertificate'",
            "16|*|08DC42C8FF236A20;2024-03-13T09:02:00.000Z;1,receiving message",
            "17|*|,Proxy destination(s) obtained from OnProxyInboundMessage event",
            "18|*|CONTOSO\\svc,authenticated",
            "19|*|,TLS something else",
            "20|*|,Proxying inbound session with session id 08DC42C8FF236A1F",
            "21|*|,Proxying inbound session with session id 08DC42C8FF236A1F",
            "22|*|,Certificate subject",
            "23|>|\"250 2.6.0 <a@EX> [InternalId=1, Hostname=EX] Queued mail for delivery\",",
            "24|-|,Local",
        ]
        .iter()
        .map(|r| {
            let mut f = r.splitn(3, '|');
            let (seq, event, rest) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            format!("{p},{seq},{e},{event},{rest}")
        })
        .collect()
    }

    /// Replays one session's rows both ways (with `is_routine`'s fast
    /// path and without), with and without details, checking after each
    /// row; counts the routine rows found in `routine[details]`.
    fn replay(direction: Direction, lines: &[&str], routine: &mut [usize; 2]) {
        let rows: Vec<Row> = lines
            .iter()
            .map(|l| Row::parse(l.as_bytes()).unwrap())
            .collect();
        // The fields as the scan's line pass hands them over: a quoted
        // field with its quotes.
        let text = lines.join("\r\n") + "\r\n";
        let mut raw = Vec::new();
        crate::parse::lines::for_each_line(text.as_bytes(), |l| {
            assert!(l.is_split());
            raw.push(
                [
                    fields::SEQUENCE,
                    fields::EVENT,
                    fields::DATA,
                    fields::CONTEXT,
                ]
                .map(|i| l.field(i).to_vec()),
            );
        });
        // With and without the session report's details (without
        // them, certificate rows are routine too).
        for details in [true, false] {
            let mut full = Session::new(direction, &rows[0]);
            full.details = details;
            let mut fast = full.clone();
            for (r, [seq, event, data, context]) in rows.iter().zip(&raw) {
                if fast.is_routine(seq, event, data, context) {
                    fast.touch(r.get(fields::DATE_TIME));
                    routine[usize::from(details)] += 1;
                } else {
                    fast.apply(r);
                }
                full.apply(r);
                assert_eq!(fast, full, "after row {}", String::from_utf8_lossy(seq));
            }
            if !details {
                assert_eq!((&full.cert_subject, &full.disconnect), (&None, &None));
            }
        }
    }

    /// A row `is_routine` calls routine must change nothing but the time:
    /// replay real-shaped sessions both ways, row by row.
    #[test]
    fn routine_rows_change_only_the_time() {
        let starred = starred_session();
        let sessions: [(Direction, Vec<&str>); 4] = [
            (
                Direction::Receive,
                starred.iter().map(String::as_str).collect(),
            ),
            (Direction::Receive, QAZEER.to_vec()),
            (
                Direction::Receive,
                [&QAZEER[..3], &MULTI_ROW_REPLY[..], &QAZEER[4..]].concat(),
            ),
            (Direction::Send, SEND_FAILURE.to_vec()),
        ];
        // Routine rows found without and with details.
        let mut routine = [0, 0];
        for (direction, lines) in sessions {
            replay(direction, &lines, &mut routine);
        }
        assert!(
            routine[1] >= 20 && routine[0] > routine[1],
            "routine rows {routine:?}: the test tests little"
        );
    }

    /// A real FrontEnd send log with a Russian connector name: the hop to
    /// the Hub is internal by what its rows say (port 2525, `Proxying
    /// inbound session`), not by an English connector name.
    #[test]
    fn localized_inbound_proxy_is_internal() {
        let c = "Внутренний соединитель отправки для вход. подкл. прокси-сервера";
        let rows = [
            format!(
                "2017-12-12T13:18:04.525Z,{c},08D54162A04116F2,0,,172.17.99.125:2525,*,,attempting to connect"
            ),
            format!(
                "2017-12-12T13:18:04.540Z,{c},08D54162A04116F2,1,172.17.99.125:47741,172.17.99.125:2525,+,,"
            ),
            format!(
                "2017-12-12T13:18:04.540Z,{c},08D54162A04116F2,2,172.17.99.125:47741,172.17.99.125:2525,<,\"220 EX2.domain.local Microsoft ESMTP MAIL Service ready at Tue, 12 Dec 2017 16:18:04 +0300\","
            ),
            format!(
                "2017-12-12T13:18:04.540Z,{c},08D54162A04116F2,3,172.17.99.125:47741,172.17.99.125:2525,*,,Proxying inbound session with session id 08D54162A04116F1"
            ),
        ];
        let lines: Vec<&str> = rows.iter().map(String::as_str).collect();
        let s = run(Direction::Send, &lines);
        assert!(s.internal());
        assert!(s.proxy_hop);
        assert_eq!(s.remote_port, Some(2525));
        // Either sign alone is enough.
        let s = run(Direction::Send, &lines[..3]);
        assert!(s.internal() && !s.proxy_hop);
        let other_port: Vec<String> = rows.iter().map(|r| r.replace(":2525", ":25")).collect();
        let lines: Vec<&str> = other_port.iter().map(String::as_str).collect();
        assert!(run(Direction::Send, &lines).internal());
        assert!(!run(Direction::Send, &lines[..3]).internal());
    }

    #[test]
    fn receive_starttls_single_row_cert() {
        let s = run(Direction::Receive, QAZEER);
        assert_eq!(s.class(), Class::Tls);
        assert!(!s.incomplete());
        assert!(!s.internal());
        assert_eq!(s.ehlo.as_deref(), Some(&b"[95.10.20.33]"[..]));
        assert!(s.starttls_offered);
        assert_eq!(s.tls_command, TlsCommand::StartTls);
        assert_eq!(s.lowest_version(), Some(Version::Tls12));
        assert_eq!(s.cert_subject.as_deref(), Some(&b"CN=SERVER-HOSTNAME"[..]));
        assert_eq!(
            s.cert_thumbprint.as_deref(),
            Some(&b"12DEABC6565646512346ABDC1345689413589876"[..])
        );
        assert_eq!(s.auth_user.as_deref(), Some(&b"CONTOSO\\svc"[..]));
        assert_eq!(s.messages, 1);
        assert_eq!(s.local_port, Some(25));
        assert_eq!(s.remote_ip.as_ref(), b"95.10.20.33");
        assert_eq!(s.disconnect.as_deref(), Some(&b"Local"[..]));
        assert_eq!(s.start.as_bytes(), b"2023-01-11T15:59:51.433Z");
        assert_eq!(s.end.as_bytes(), b"2023-01-11T16:00:10.644Z");
    }

    const SEND_FAILURE: &[&str] = &[
        "2017-10-07T04:42:56.700Z,Outbound to Office 365,08D50D3D9730A8D2,0,,216.32.181.234:25,*,,attempting to connect",
        "2017-10-07T04:42:56.701Z,Outbound to Office 365,08D50D3D9730A8D2,1,10.10.248.7:16547,216.32.181.234:25,+,,",
        "2017-10-07T04:42:56.702Z,Outbound to Office 365,08D50D3D9730A8D2,2,10.10.248.7:16547,216.32.181.234:25,<,\"220 BN3NAM01FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Sat, 7 Oct 2017 04:42:56 +0000\",",
        "2017-10-07T04:42:56.703Z,Outbound to Office 365,08D50D3D9730A8D2,3,10.10.248.7:16547,216.32.181.234:25,>,EHLO mail.contoso.com,",
        "2017-10-07T04:42:56.704Z,Outbound to Office 365,08D50D3D9730A8D2,4,10.10.248.7:16547,216.32.181.234:25,<,250-BN3NAM01FT012.mail.protection.outlook.com Hello [1.2.3.4],",
        "2017-10-07T04:42:56.704Z,Outbound to Office 365,08D50D3D9730A8D2,5,10.10.248.7:16547,216.32.181.234:25,<,250-STARTTLS,",
        "2017-10-07T04:42:56.704Z,Outbound to Office 365,08D50D3D9730A8D2,6,10.10.248.7:16547,216.32.181.234:25,<,250 CHUNKING,",
        "2017-10-07T04:42:56.705Z,Outbound to Office 365,08D50D3D9730A8D2,7,10.10.248.7:16547,216.32.181.234:25,>,STARTTLS,",
        "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,8,10.10.248.7:16547,216.32.181.234:25,*,,Sending certificate",
        "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,9,10.10.248.7:16547,216.32.181.234:25,*,\"CN=*.domain.com, OU=Enterprise SSL Wildcard, O=Contoso Corporation\",Certificate subject",
        "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,10,10.10.248.7:16547,216.32.181.234:25,*,ABCDEF,Certificate thumbprint",
        "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,11,10.10.248.7:16547,216.32.181.234:25,*,*.domain.com,Certificate alternate names",
        "2017-10-07T04:42:56.804Z,Outbound to Office 365,08D50D3D9730A8D2,12,10.10.248.7:16547,216.32.181.234:25,*,,TLS negotiation failed with error UnknownCredentials",
        "2017-10-07T04:42:56.805Z,Outbound to Office 365,08D50D3D9730A8D2,13,10.10.248.7:16547,216.32.181.234:25,-,,DroppedSession",
    ];

    #[test]
    fn send_multi_row_remote_cert_and_failure() {
        let s = run(Direction::Send, SEND_FAILURE);
        assert_eq!(s.class(), Class::Failed);
        assert_eq!(
            s.ehlo.as_deref(),
            Some(&b"BN3NAM01FT012.mail.protection.outlook.com"[..])
        );
        assert!(s.starttls_offered);
        assert_eq!(
            s.cert_subject.as_deref(),
            Some(&b"CN=*.domain.com, OU=Enterprise SSL Wildcard, O=Contoso Corporation"[..])
        );
        assert_eq!(s.cert_thumbprint.as_deref(), Some(&b"ABCDEF"[..]));
        assert_eq!(s.local_port, Some(16547));
        assert_eq!(s.disconnect.as_deref(), Some(&b"DroppedSession"[..]));
        assert!(
            matches!(&s.tls[0], TlsEvent::Failure { error, .. } if &**error == b"UnknownCredentials")
        );
    }

    #[test]
    fn anonymous_tls_is_internal_and_peer_thumbprint_wins() {
        let s = run(
            Direction::Receive,
            &[
                "2024-01-01T00:00:00.000Z,EX1\\Default EX1,08DC000000000001,0,10.0.0.1:2525,10.0.0.2:40000,+,,",
                "2024-01-01T00:00:00.001Z,EX1\\Default EX1,08DC000000000001,1,10.0.0.1:2525,10.0.0.2:40000,<,X-ANONYMOUSTLS,",
                "2024-01-01T00:00:00.002Z,EX1\\Default EX1,08DC000000000001,2,10.0.0.1:2525,10.0.0.2:40000,*,,Sending certificate",
                "2024-01-01T00:00:00.002Z,EX1\\Default EX1,08DC000000000001,3,10.0.0.1:2525,10.0.0.2:40000,*,CN=EX1,Certificate subject",
                "2024-01-01T00:00:00.002Z,EX1\\Default EX1,08DC000000000001,4,10.0.0.1:2525,10.0.0.2:40000,*,1111,Certificate thumbprint",
                "2024-01-01T00:00:00.003Z,EX1\\Default EX1,08DC000000000001,5,10.0.0.1:2525,10.0.0.2:40000,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits\"",
                "2024-01-01T00:00:00.004Z,EX1\\Default EX1,08DC000000000001,6,10.0.0.1:2525,10.0.0.2:40000,*,,Received certificate",
                "2024-01-01T00:00:00.004Z,EX1\\Default EX1,08DC000000000001,7,10.0.0.1:2525,10.0.0.2:40000,*,2222,Certificate thumbprint",
                "2024-01-01T00:00:00.005Z,EX1\\Default EX1,08DC000000000001,8,10.0.0.1:2525,10.0.0.2:40000,<,XPROXYFROM SID=08DC000000000000 IP=192.0.2.9 PORT=5000 DOMAIN=x SEQNUM=1,",
            ],
        );
        assert!(s.internal());
        assert_eq!(s.tls_command, TlsCommand::AnonymousTls);
        assert_eq!(s.cert_thumbprint.as_deref(), Some(&b"2222"[..]));
        assert_eq!(s.cert_subject, None, "the peer's block had no subject");
        assert_eq!(s.client_ip.as_deref(), Some(&b"192.0.2.9"[..]));
        assert!(s.incomplete());
        assert_eq!(s.class(), Class::Tls);
    }

    #[test]
    fn plaintext_needs_the_start_and_mail_or_auth_idle_needs_the_end() {
        let start = "2024-03-13T09:01:18.723Z,EX\\Default Frontend EX,08DC42C8FF236A1F,0,10.100.100.25:25,10.100.100.30:62136,+,,";
        let offer = "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,3,10.100.100.25:25,10.100.100.30:62136,>,250 Exchange.contoso.com Hello [10.100.100.30] SIZE 37748736 PIPELINING STARTTLS X-ANONYMOUSTLS,";
        let mail = "2024-03-13T09:01:18.724Z,EX\\Default Frontend EX,08DC42C8FF236A1F,4,10.100.100.25:25,10.100.100.30:62136,<,MAIL FROM:<veeam@contoso.com>,";
        let s = run(Direction::Receive, &[start, offer, mail]);
        assert_eq!(s.class(), Class::Plaintext);
        assert!(s.starttls_offered);
        assert!(s.incomplete());
        assert_eq!(
            run(Direction::Receive, &[start, offer]).class(),
            Class::Unknown
        );
        assert_eq!(
            run(Direction::Receive, &[offer, mail]).class(),
            Class::Unknown
        );
        // Connect, EHLO, goodbye: nothing went in clear.
        let end = "2024-03-13T09:01:19.000Z,EX\\Default Frontend EX,08DC42C8FF236A1F,5,10.100.100.25:25,10.100.100.30:62136,-,,Remote(ConnectionReset)";
        assert_eq!(
            run(Direction::Receive, &[start, offer, end]).class(),
            Class::Idle
        );
        assert_eq!(run(Direction::Receive, &[start, end]).class(), Class::Idle);
        // Credentials or data in clear are plaintext, ended or not.
        for verb in ["AUTH LOGIN", "DATA", "BDAT 100 LAST", "auth ntlm"] {
            let row = mail.replace("MAIL FROM:<veeam@contoso.com>", verb);
            assert_eq!(
                run(Direction::Receive, &[start, offer, &row, end]).class(),
                Class::Plaintext,
                "{verb}"
            );
            assert_eq!(
                run(Direction::Receive, &[start, &row]).class(),
                Class::Plaintext
            );
        }
        let user = "2024-03-13T09:01:18.800Z,EX\\Default Frontend EX,08DC42C8FF236A1F,4,10.100.100.25:25,10.100.100.30:62136,*,CONTOSO\\svc,authenticated";
        assert_eq!(
            run(Direction::Receive, &[start, user, end]).class(),
            Class::Plaintext
        );
    }

    #[test]
    fn starttls_is_found_as_a_word() {
        assert!(offers_starttls(
            b"  EX.contoso.com Hello [1.2.3.4] SIZE 37748736 STARTTLS X-ANONYMOUSTLS"
        ));
        assert!(offers_starttls(b"-STARTTLS"));
        assert!(offers_starttls(b" starttls"));
        assert!(!offers_starttls(b" X-ANONYMOUSTLS AUTH"));
        assert!(!offers_starttls(b" NOSTARTTLS"));
        assert!(!offers_starttls(b" STARTTLSX"));
    }

    /// The first-byte dispatch finds the codes where the plain prefix
    /// test does: quoted or not, cut short, with a near miss.
    #[test]
    fn tls_required_code_is_the_prefix_test() {
        let by_prefix = |d: &[u8]| {
            let d = d.strip_prefix(b"\"").unwrap_or(d);
            ["530 5.7.0", "451 5.7.3"]
                .into_iter()
                .find(|c| d.starts_with(c.as_bytes()))
        };
        let cases: [&[u8]; 12] = [
            b"530 5.7.0 Must issue a STARTTLS command first",
            b"\"530 5.7.0 Must issue a STARTTLS command first\"",
            b"451 5.7.3 STARTTLS is required to send mail",
            b"\"451 5.7.3",
            b"530 5.7.",
            b"530 5.7.1 Client was not authenticated",
            b"451 4.7.0 Temporary server error",
            b"250 2.0.0 OK",
            b"\"\"530 5.7.0",
            b"5",
            b"\"",
            b"",
        ];
        let found = cases.map(tls_required_code);
        assert_eq!(found, cases.map(by_prefix));
        // The cases reach both codes, quoted and not.
        assert_eq!(
            found.iter().flatten().count(),
            4,
            "{:?}",
            found.map(|c| c.unwrap_or("-"))
        );
    }

    #[test]
    fn single_row_cert_split() {
        assert_eq!(
            split_single_row_cert(b" CN=mail.contoso.com, O=Contoso CN=Contoso CA, O=Contoso 0A 1B 2020-01-01T00:00:00.000Z 2021-01-01T00:00:00.000Z mail.contoso.com"),
            Some((&b"CN=mail.contoso.com, O=Contoso"[..], &b"1B"[..]))
        );
        assert_eq!(
            split_single_row_cert(b" CN=Trusted Secure CA 5 CN=Root 0A 1B x y z"),
            Some((&b"CN=Trusted Secure CA 5"[..], &b"1B"[..]))
        );
        assert_eq!(split_single_row_cert(b" too short"), None);
    }
}
