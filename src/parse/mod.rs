//! I/O-free parsing of Exchange SMTP protocol logs: functions over `&[u8]`.

pub(crate) mod endpoint;
pub mod fields;
pub mod lines;
pub(crate) mod masks;
pub(crate) mod stamp;
pub mod tls;

pub use fields::{Row, RowError};
pub use stamp::Stamp;

/// Which way the SMTP session went, seen from Exchange.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Direction {
    /// A receive log (`RECV*`, `SMTP Receive Protocol Log`): Exchange is the
    /// SMTP server.
    Receive,
    /// A send log (`SEND*`, `SMTP Send Protocol Log`): Exchange connects out.
    Send,
}

/// The ports of Exchange's own transport hops: 2525 (the Mailbox
/// server's transport service), 717 (the FrontEnd's outbound proxy) and
/// 465 (the FrontEnd's client proxy; Exchange sends no implicit TLS).
pub const TRANSPORT_PORTS: [u16; 3] = [2525, 717, 465];

/// Whether `port` is one of [`TRANSPORT_PORTS`].
#[inline]
pub fn is_transport_port(port: u16) -> bool {
    TRANSPORT_PORTS.contains(&port)
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Receive, Direction::Send];

    pub fn label(self) -> &'static str {
        match self {
            Direction::Receive => "receive",
            Direction::Send => "send",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// From a file name's `RECV`/`SEND` prefix (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<Direction> {
        let prefix = name.get(..4)?;
        if prefix.eq_ignore_ascii_case("RECV") {
            Some(Direction::Receive)
        } else if prefix.eq_ignore_ascii_case("SEND") {
            Some(Direction::Send)
        } else {
            None
        }
    }

    /// From the TLS token's `_SERVER`/`_CLIENT` role.
    pub fn from_role(role: tls::Role) -> Direction {
        match role {
            tls::Role::Server => Direction::Receive,
            tls::Role::Client => Direction::Send,
        }
    }

    /// Last resort for a row in a file with no header, no RECV/SEND name and
    /// no role in its TLS token: Exchange listens on 25, 587 and its
    /// [`TRANSPORT_PORTS`], so a well-known local port means it received
    /// the connection.
    pub fn from_ports(local_endpoint: &[u8]) -> Direction {
        match endpoint::port(local_endpoint) {
            Some(p) if p == 25 || p == 587 || is_transport_port(p) => Direction::Receive,
            _ if local_endpoint.is_empty() => Direction::Send,
            Some(_) => Direction::Send,
            None => Direction::Receive,
        }
    }
}

/// The transport service that wrote a protocol log. Exchange writes all
/// receive connectors of one service into the same files, so the folder
/// tells the service and the connector-id the connector.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Service {
    /// The Front End Transport service (`FrontEnd\ProtocolLog`).
    FrontEnd,
    /// The Transport service (`Hub\ProtocolLog`; Exchange 2010's one
    /// service, `Logs\ProtocolLog`).
    Hub,
    /// The Mailbox Transport services (`Mailbox\ProtocolLog`).
    Mailbox,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::FrontEnd, Service::Hub, Service::Mailbox];

    pub fn label(self) -> &'static str {
        match self {
            Service::FrontEnd => "FrontEnd",
            Service::Hub => "Hub",
            Service::Mailbox => "Mailbox",
        }
    }

    /// The service of a log by the folder above its `ProtocolLog` folder
    /// (any case, `/` or `\\`): `FrontEnd`, `Hub`, `Mailbox`, or Exchange
    /// 2010's `Logs`. `None` when the path does not say (a flat copy).
    pub fn from_path(path: &str) -> Option<Service> {
        let parts: Vec<&str> = path.split(['/', '\\']).collect();
        let at = parts
            .iter()
            .rposition(|p| p.eq_ignore_ascii_case("ProtocolLog"))?;
        let above = parts.get(at.checked_sub(1)?)?;
        [
            ("FrontEnd", Service::FrontEnd),
            ("Hub", Service::Hub),
            ("Mailbox", Service::Mailbox),
            ("Logs", Service::Hub),
        ]
        .into_iter()
        .find(|(name, _)| above.eq_ignore_ascii_case(name))
        .map(|(_, s)| s)
    }
}

/// The time a log's name gives, as `[start, end)` in ms since 1970:
/// the hour of `RECVyyyyMMddHH-N.LOG`, the day of `RECVyyyyMMdd-N.LOG`.
pub fn name_time(name: &str) -> Option<(i64, i64)> {
    Direction::from_file_name(name)?;
    let digits: String = name[4..].chars().take_while(char::is_ascii_digit).collect();
    let rest = &name[4 + digits.len()..];
    if !rest.starts_with('-') {
        return None;
    }
    let (day, hours) = match digits.len() {
        8 => (digits.as_str(), None),
        10 => (&digits[..8], Some(&digits[8..])),
        _ => return None,
    };
    let text = format!(
        "{}-{}-{}T{}:00:00.000Z",
        &day[..4],
        &day[4..6],
        &day[6..8],
        hours.unwrap_or("00")
    );
    let start = stamp::millis(text.as_bytes())?;
    let len = if hours.is_some() {
        3_600_000
    } else {
        86_400_000
    };
    Some((start, start + len))
}

/// Random text for the splitters' differential tests: `n` lines, each a
/// time stamp and up to `max` bytes drawn from `alphabet` (the project's
/// PRNG, so every run sees the same lines).
#[cfg(test)]
pub(crate) fn random_lines(
    seed: u64,
    n: usize,
    max: u64,
    alphabet: &[u8],
) -> impl Iterator<Item = Vec<u8>> {
    let mut rng = exlog_gen::Rng::new(seed, 0);
    let mut next = move || rng.next();
    let alphabet = alphabet.to_vec();
    (0..n).map(move |_| {
        let mut line = b"2024-01-01T00:00:00.000Z".to_vec();
        for _ in 0..(next() % max) {
            line.push(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        line
    })
}

/// The UTF-8 byte-order mark Exchange writes at offset 0 of a new file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the first bytes of a file say about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sniff {
    /// From a `#Log-type:` header line.
    pub direction: Option<Direction>,
    /// Set when the file is clearly not a protocol log; says why.
    pub not_a_log: Option<String>,
    /// The `#Date:` header (ms since 1970): when the file was created.
    pub date: Option<i64>,
    /// The major version of the `#Version:` header (15 for `15.0.0.0`).
    pub exchange_major: Option<u16>,
}

/// How much of a file's start is looked at to tell a log from garbage.
const SNIFF_BYTES: usize = 64 * 1024;
/// How many data lines are tried; one good row is enough.
const SNIFF_ROWS: usize = 4;

/// Reads the header block and the first rows of a file.
///
/// A file is "not a log" if its start holds a NUL byte (binary) or if none
/// of its first data lines splits into a protocol-log row. An empty or
/// header-only file is a log with nothing in it.
pub fn sniff(data: &[u8]) -> Sniff {
    let head = &data[..data.len().min(SNIFF_BYTES)];
    let mut sniff = Sniff::default();
    let body = head.strip_prefix(BOM).unwrap_or(head);
    let mut tried = 0;
    let mut first_error = None;
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        // The last piece of a cut-off head may be a partial line.
        let complete = lines.peek().is_some() || head.len() == data.len();
        if line.first() == Some(&b'#') {
            if let Some(v) = line.strip_prefix(b"#Log-type:") {
                let v = v.trim_ascii();
                if v.eq_ignore_ascii_case(b"SMTP Receive Protocol Log") {
                    sniff.direction = Some(Direction::Receive);
                } else if v.eq_ignore_ascii_case(b"SMTP Send Protocol Log") {
                    sniff.direction = Some(Direction::Send);
                }
            } else if let Some(v) = line.strip_prefix(b"#Date:") {
                sniff.date = stamp::millis(v.trim_ascii());
            } else if let Some(v) = line.strip_prefix(b"#Version:") {
                let major = v.trim_ascii().split(|&b| b == b'.').next().unwrap_or(b"");
                sniff.exchange_major = std::str::from_utf8(major).ok().and_then(|m| m.parse().ok());
            }
            continue;
        }
        if line.trim_ascii().is_empty() || !complete || tried == SNIFF_ROWS {
            continue;
        }
        tried += 1;
        match Row::parse(line) {
            Ok(_) => return sniff,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // A NUL in a row's data (a peer can send one) is no reason to skip a
    // file whose rows parse; it only names the problem when none do.
    if let Some(e) = first_error {
        sniff.not_a_log = Some(if memchr::memchr(0, head).is_some() {
            "binary data (NUL bytes), not a text log".into()
        } else {
            format!(
                "not an Exchange SMTP protocol log: none of its first {tried} data lines is a row ({e})"
            )
        });
    }
    sniff
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"\xEF\xBB\xBF#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2019-03-21T13:01:06.525Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";

    #[test]
    fn file_times_from_names() {
        let hour = stamp::millis(b"2024-03-08T10:00:00.000Z").unwrap();
        assert_eq!(
            name_time("RECV2024030810-1.LOG"),
            Some((hour, hour + 3_600_000))
        );
        assert_eq!(
            name_time("send20240308-12 - Copy.log"),
            Some((hour - 10 * 3_600_000, hour + 14 * 3_600_000))
        );
        for bad in [
            "RECV2024031-1.LOG",
            "RECVzzz.LOG",
            "u_ex210304.log",
            "RECV2024133110-1.LOG",
        ] {
            assert_eq!(name_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_gives_direction() {
        let s = sniff(HEADER);
        assert_eq!(s.direction, Some(Direction::Send));
        assert_eq!(s.date, stamp::millis(b"2019-03-21T13:01:06.525Z"));
        assert_eq!(s.not_a_log, None);
    }

    #[test]
    fn empty_and_rows_are_logs() {
        assert_eq!(sniff(b""), Sniff::default());
        let mut data = HEADER.to_vec();
        data.extend_from_slice(b"2019-03-21T13:00:45.039Z,Outbound to Office 365,08D6A8D416004F77,0,,x.x.x.x:25,*,SendRoutingHeaders,Set Session Permissions\r\n");
        assert_eq!(sniff(&data).not_a_log, None);
    }

    #[test]
    fn garbage_and_binary_are_not_logs() {
        assert!(
            sniff(b"hello world\nthis is not a log\n")
                .not_a_log
                .is_some()
        );
        assert!(
            sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00")
                .not_a_log
                .unwrap()
                .contains("binary")
        );
    }

    #[test]
    fn direction_from_name_and_ports() {
        assert_eq!(
            Direction::from_file_name("recv2023011116-1.log"),
            Some(Direction::Receive)
        );
        assert_eq!(
            Direction::from_file_name("SEND20221228-1.LOG"),
            Some(Direction::Send)
        );
        assert_eq!(Direction::from_file_name("x.log"), None);
        assert_eq!(Direction::from_ports(b"10.0.0.6:25"), Direction::Receive);
        assert_eq!(Direction::from_ports(b"10.0.0.6:44276"), Direction::Send);
        assert_eq!(Direction::from_ports(b""), Direction::Send);
    }
}
