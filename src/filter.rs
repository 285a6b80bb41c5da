//! Record filters: time window, connector globs, direction, remote
//! networks (in and out), EHLO names, internal traffic. They apply to every
//! report: to each TLS row by its own time, and to each session by its
//! start.

use crate::parse::Direction;
use std::net::IpAddr;

/// What to keep. The default keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Inclusive lower bound, as `yyyy-MM-ddTHH:mm:ss.fffZ` (compares as bytes).
    pub since: Option<String>,
    /// Exclusive upper bound, same form.
    pub until: Option<String>,
    /// Any of these (none: every connector).
    pub connector: Vec<Glob>,
    pub direction: Option<Direction>,
    /// Any of these (none: every remote).
    pub remote: Vec<Cidr>,
    /// None of these.
    pub exclude_remote: Vec<Cidr>,
    /// Matched against the session's EHLO (receive) or banner (send) name;
    /// session mode only.
    pub ehlo: Option<regex::bytes::Regex>,
    pub exclude_internal: bool,
}

impl Filters {
    /// True when no filter is set: nothing to check per row.
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.connector.is_empty()
            && self.direction.is_none()
            && self.remote.is_empty()
            && self.exclude_remote.is_empty()
            && self.ehlo.is_none()
            && !self.exclude_internal
    }

    /// A record time (`date-time` text) inside the window.
    pub fn time(&self, stamp: &[u8]) -> bool {
        self.since.as_ref().is_none_or(|s| stamp >= s.as_bytes())
            && self.until.as_ref().is_none_or(|u| stamp < u.as_bytes())
    }

    /// Direction, connector and remote all pass.
    pub fn keys(&self, direction: Direction, connector: &[u8], remote_ip: &[u8]) -> bool {
        self.direction.is_none_or(|d| d == direction)
            && self.connector_matches(connector)
            && self.remote_matches(remote_ip)
    }

    /// `--connector` (any glob, or none given).
    pub fn connector_matches(&self, connector: &[u8]) -> bool {
        self.connector.is_empty() || self.connector.iter().any(|g| g.matches(connector))
    }

    /// `--remote` and `--exclude-remote`.
    pub fn remote_matches(&self, remote_ip: &[u8]) -> bool {
        (self.remote.is_empty() || self.remote.iter().any(|c| c.contains(remote_ip)))
            && !self.exclude_remote.iter().any(|c| c.contains(remote_ip))
    }

    /// `--ehlo`: a session with no name never matches a pattern.
    pub fn ehlo_matches(&self, ehlo: Option<&[u8]>) -> bool {
        self.ehlo
            .as_ref()
            .is_none_or(|re| ehlo.is_some_and(|name| re.is_match(name)))
    }

    /// The session-level filters: internal traffic and the EHLO name.
    pub fn session(&self, internal: bool, ehlo: Option<&[u8]>) -> bool {
        !(self.exclude_internal && internal) && self.ehlo_matches(ehlo)
    }
}

/// Parses `--since`/`--until`: a date (`2024-03-01`) or an RFC 3339 time
/// (`2024-03-01T10:00:00Z`, `2024-03-01T11:00:00+01:00`), taken as UTC.
/// A date given to `until` means the end of that day.
pub(crate) fn parse_time(text: &str, end_of_day: bool) -> Result<String, String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let t = text.trim();
    let utc: DateTime<Utc> = if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let d = if end_of_day {
            d.succ_opt().ok_or("date out of range")?
        } else {
            d
        };
        d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
    } else if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        dt.with_timezone(&Utc)
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        dt.and_utc()
    } else {
        return Err(format!(
            "{t:?} is not a date (2024-03-01) or an RFC 3339 time (2024-03-01T10:00:00Z)"
        ));
    };
    Ok(utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A case-insensitive glob (the `globset` crate): `*` any run, `?` one
/// character, `[abc]` a class. A backslash is a plain character, as in
/// connector names (`EX01\Default Frontend EX01`).
#[derive(Clone, Debug)]
pub struct Glob(globset::GlobMatcher);

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        globset::GlobBuilder::new(pattern)
            .case_insensitive(true)
            .backslash_escape(false)
            .literal_separator(false)
            .build()
            .map(|g| Glob(g.compile_matcher()))
            .map_err(|e| format!("{pattern:?} is not a glob: {}", e.kind()))
    }

    pub fn matches(&self, text: &[u8]) -> bool {
        self.0.is_match(String::from_utf8_lossy(text).as_ref())
    }
}

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not an address or network (10.0.0.0/8, 2001:db8::/32)");
        let (addr, bits) = match text.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
            None => (text.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(bad());
        }
        Ok(Cidr { net, bits })
    }

    /// Whether the remote IP text (as printed in reports) is inside.
    pub fn contains(&self, ip: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(ip) else {
            return false;
        };
        // A zone (`fe80::1%12`) does not change the address.
        let text = text.split('%').next().unwrap_or(text);
        let Ok(ip) = text.parse::<IpAddr>() else {
            return false;
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    a[..full] == b[..full]
        && (rest == 0 || {
            let mask = 0xFFu8 << (8 - rest);
            a[full] & mask == b[full] & mask
        })
}

/// Per filter: sessions that passed it (each filter alone), and a few of
/// the values seen where it did not: "filter matched nothing" warnings
/// show up to five values that exist.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterHits {
    pub connector: u64,
    pub remote: u64,
    pub ehlo: u64,
    pub direction: u64,
    pub time: u64,
    pub seen_connectors: Examples,
    pub seen_remotes: Examples,
    pub seen_ehlo: Examples,
    pub seen_directions: Examples,
}

impl FilterHits {
    pub fn add(&mut self, o: FilterHits) {
        self.connector += o.connector;
        self.remote += o.remote;
        self.ehlo += o.ehlo;
        self.direction += o.direction;
        self.time += o.time;
        self.seen_connectors.add(o.seen_connectors);
        self.seen_remotes.add(o.seen_remotes);
        self.seen_ehlo.add(o.seen_ehlo);
        self.seen_directions.add(o.seen_directions);
    }
}

/// The five smallest distinct values seen (byte order): deterministic
/// under any split of the input.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Examples {
    #[serde(with = "crate::wire::byte_set")]
    pub values: std::collections::BTreeSet<Box<[u8]>>,
    /// More distinct values were seen than are kept.
    pub more: bool,
}

impl Examples {
    pub const KEEP: usize = 5;

    pub fn see(&mut self, v: &[u8]) {
        if self.values.len() >= Self::KEEP && self.values.last().is_some_and(|l| **l <= *v) {
            self.more |= self.values.last().is_some_and(|l| **l < *v);
            return;
        }
        if self.values.insert(v.into()) && self.values.len() > Self::KEEP {
            self.values.pop_last();
            self.more = true;
        }
    }

    pub fn add(&mut self, o: Examples) {
        self.more |= o.more;
        for v in o.values {
            self.see(&v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2024-03-01", false).unwrap(),
            "2024-03-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_time("2024-03-01", true).unwrap(),
            "2024-03-02T00:00:00.000Z"
        );
        assert_eq!(
            parse_time("2024-03-01T11:30:00+01:00", false).unwrap(),
            "2024-03-01T10:30:00.000Z"
        );
        assert_eq!(
            parse_time("2024-03-01T10:30:00.5Z", false).unwrap(),
            "2024-03-01T10:30:00.500Z"
        );
        assert!(parse_time("yesterday", false).is_err());
        let f = Filters {
            since: Some(parse_time("2024-03-01", false).unwrap()),
            until: Some(parse_time("2024-03-01", true).unwrap()),
            ..Default::default()
        };
        assert!(f.time(b"2024-03-01T00:00:00.000Z"));
        assert!(f.time(b"2024-03-01T23:59:59.999Z"));
        assert!(!f.time(b"2024-03-02T00:00:00.000Z"));
        assert!(!f.time(b"2024-02-29T23:59:59.999Z"));
    }

    #[test]
    fn lists_and_exclusions() {
        let f = Filters {
            connector: vec![
                Glob::new("*frontend*").unwrap(),
                Glob::new("relay").unwrap(),
            ],
            remote: vec![
                Cidr::parse("10.0.0.0/8").unwrap(),
                Cidr::parse("2001:db8::/32").unwrap(),
            ],
            exclude_remote: vec![Cidr::parse("10.9.0.0/16").unwrap()],
            ..Default::default()
        };
        let d = Direction::Receive;
        assert!(f.keys(d, b"EX\\Default Frontend EX", b"10.1.2.3"));
        assert!(f.keys(d, b"Relay", b"2001:db8::1"));
        assert!(
            !f.keys(d, b"Outbound", b"10.1.2.3"),
            "no connector glob matches"
        );
        assert!(!f.keys(d, b"Relay", b"192.0.2.1"), "no network matches");
        assert!(!f.keys(d, b"Relay", b"10.9.1.1"), "excluded");
        assert!(Filters::default().keys(d, b"anything", b"anywhere"));
    }

    #[test]
    fn ehlo_and_internal() {
        let f = Filters {
            ehlo: Some(regex::bytes::Regex::new("(?i)scan|mfp|printer").unwrap()),
            ..Default::default()
        };
        assert!(f.session(false, Some(b"SCAN-3RDFLOOR")));
        assert!(f.session(true, Some(b"hp-mfp-2")));
        assert!(!f.session(false, Some(b"mail.example.net")));
        assert!(!f.session(false, None), "no name: no match");
        let f = Filters {
            exclude_internal: true,
            ..Default::default()
        };
        assert!(!f.session(true, None));
        assert!(f.session(false, None));
    }

    #[test]
    fn globs() {
        let g = |p: &str| Glob::new(p).unwrap();
        assert!(g("*default frontend*").matches(b"EX01\\Default Frontend EX01"));
        assert!(!g("*default frontend*").matches(b"EX01\\Client Frontend EX01"));
        assert!(g("EX0?\\*").matches(b"ex01\\Relay"));
        assert!(g("组织内*").matches("组织内 SMTP 发送连接器".as_bytes()));
        assert!(g("*").matches(b""));
        assert!(!g("a*b").matches(b"ac"));
        // A star in the text is text: the first matcher missed this.
        assert!(g("a*").matches(b"a*b"));
        assert!(g("*/*").matches(b"Relay 10/8"));
        assert!(Glob::new("[unclosed").is_err());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.20.0.0/16").unwrap();
        assert!(c.contains(b"10.20.3.4"));
        assert!(!c.contains(b"10.21.0.1"));
        assert!(!c.contains(b"2001:db8::1"));
        assert!(!c.contains(b"x.x.x.x"));
        let c = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c.contains(b"2001:db8:5::25"));
        assert!(!c.contains(b"2001:db9::1"));
        assert!(Cidr::parse("fe80::/10").unwrap().contains(b"fe80::1%12"));
        assert!(Cidr::parse("192.0.2.7").unwrap().contains(b"192.0.2.7"));
        assert!(Cidr::parse("192.0.2.0/33").is_err());
        assert!(Cidr::parse("nonsense").is_err());
        assert!(Cidr::parse("10.0.0.0/9").unwrap().contains(b"10.127.0.1"));
        assert!(!Cidr::parse("10.0.0.0/9").unwrap().contains(b"10.128.0.1"));
    }
}
