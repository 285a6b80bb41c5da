//! One `match` value, to what it matches: an address, a network, an EHLO
//! glob or a sender domain.
//!
//! Text that looks like an address is held to be one: a typo there
//! (`10.0.0.256`, `10.0.0.0/33`, `10.20.*.*`) is an error, not a glob
//! that would silently match no EHLO.

use std::net::IpAddr;

/// The four kinds of `match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One IPv4 or IPv6 address: the remote's IP.
    Ip,
    /// A network, `10.20.0.0/16` or `2001:db8::/32`: the remote's IP.
    Cidr,
    /// A case-insensitive glob: the remote's EHLO name.
    EhloGlob,
    /// `@domain`: the domain of a sender (MAIL FROM) address, any case.
    SenderDomain,
}

/// A parsed `match`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Pattern {
    /// The address as a network of one (`/32`, `/128`).
    Ip(Net),
    Net(Net),
    Glob(Shape),
    /// Lowercased, without the `@`.
    Domain(String),
}

impl Pattern {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Pattern::Ip(_) => Kind::Ip,
            Pattern::Net(_) => Kind::Cidr,
            Pattern::Glob(_) => Kind::EhloGlob,
            Pattern::Domain(_) => Kind::SenderDomain,
        }
    }
}

/// An EHLO glob by its shape: the usual ones (a name, `SCAN-*`,
/// `*.partner.example`) are lowercased text that a lookup finds by hash,
/// any other is a glob for globset (thousands of those in one GlobSet
/// are slow: 18 ms a lookup for 5,000 `*.hostN.example` globs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// No wildcard (or an address literal): the whole EHLO, any case.
    Exact(String),
    /// `text*` (`*` alone is the empty prefix).
    Prefix(String),
    /// `*text`.
    Suffix(String),
    /// Anything else, as written.
    Glob(String),
}

/// The characters globset gives a meaning (a backslash is plain here).
const GLOB_SYNTAX: [char; 6] = ['*', '?', '[', ']', '{', '}'];

impl Shape {
    fn of(text: &str) -> Shape {
        let plain = |t: &str| !t.contains(GLOB_SYNTAX);
        if plain(text) {
            return Shape::Exact(text.to_lowercase());
        }
        if let Some(rest) = text.strip_suffix('*').filter(|r| plain(r)) {
            return Shape::Prefix(rest.to_lowercase());
        }
        if let Some(rest) = text.strip_prefix('*').filter(|r| plain(r)) {
            return Shape::Suffix(rest.to_lowercase());
        }
        Shape::Glob(text.to_string())
    }
}

/// A network: its address with the host bits cleared, and its mask, both
/// as a 128-bit number (IPv4 in the low 32 bits; `v6` tells the family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Net {
    pub v6: bool,
    pub net: u128,
    pub mask: u128,
}

impl Net {
    pub(super) fn new(addr: IpAddr, bits: u8) -> Net {
        let (v6, value, width) = number(addr);
        // `bits` is at most `width`; a /0 masks everything.
        let ones = u128::MAX.checked_shl(u32::from(width - bits)).unwrap_or(0);
        let mask = match v6 {
            true => ones,
            false => ones & u128::from(u32::MAX),
        };
        Net {
            v6,
            net: value & mask,
            mask,
        }
    }

    /// The index probes masked addresses by hash instead; the tests ask.
    #[cfg(test)]
    pub(crate) fn contains(&self, addr: IpAddr) -> bool {
        let (v6, value, _) = number(addr);
        v6 == self.v6 && value & self.mask == self.net
    }
}

/// An address as (is IPv6, its value, its width in bits).
pub(super) fn number(addr: IpAddr) -> (bool, u128, u8) {
    match addr {
        IpAddr::V4(a) => (false, u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (true, u128::from(a), 128),
    }
}

/// A remote's IP as exlog holds it (`192.0.2.7`, `2001:db8::1`, perhaps
/// with a `%zone`), and its IPv4 form when it is IPv4-mapped IPv6
/// (`::ffff:192.0.2.7`), so that IPv4 rows match it. `None`: not an IP.
pub(super) fn remote_addrs(ip: &[u8]) -> Option<(IpAddr, Option<IpAddr>)> {
    let text = std::str::from_utf8(ip).ok()?;
    let text = text.split('%').next().unwrap_or(text);
    let addr: IpAddr = text.parse().ok()?;
    let mapped = match addr {
        IpAddr::V6(a) => a.to_ipv4_mapped().map(IpAddr::V4),
        IpAddr::V4(_) => None,
    };
    Some((addr, mapped))
}

/// Reads a `match` value (already trimmed, not empty). The error says why,
/// without quoting the value (the caller names the line).
pub(super) fn parse(text: &str) -> Result<Pattern, String> {
    if let Some(domain) = text.strip_prefix('@') {
        return parse_domain(domain);
    }
    if text.contains('@') {
        return Err("a whole address: a sender is matched by its domain, write @domain".into());
    }
    if is_address_literal(text) {
        // `[192.0.2.7]`: an EHLO written as an address literal, matched
        // as written (the brackets would otherwise be a glob class).
        return Ok(Pattern::Glob(Shape::Exact(text.to_lowercase())));
    }
    if let Some((addr, bits)) = text.split_once('/') {
        return parse_net(addr, bits);
    }
    if text.contains(':') || text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let addr = parse_ip(text)?;
        return Ok(Pattern::Ip(Net::new(addr, number(addr).2)));
    }
    let ip_like = |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'*' | b'?');
    if text.bytes().any(|b| b.is_ascii_digit()) && text.bytes().all(ip_like) {
        return Err(
            "an address with wildcards matches no IP: write a network (10.20.0.0/16)".into(),
        );
    }
    glob(text)?;
    Ok(Pattern::Glob(Shape::of(text)))
}

/// `[192.0.2.7]` or `[IPv6:2001:db8::1]` (any case).
fn is_address_literal(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return false;
    };
    let ip = match inner.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ipv6:") => &inner[5..],
        _ => inner,
    };
    ip.parse::<IpAddr>().is_ok()
}

fn parse_domain(domain: &str) -> Result<Pattern, String> {
    if domain.is_empty() {
        return Err("@ without a domain".into());
    }
    if domain.contains(['@', '*', '?', '[', ']']) || domain.contains(char::is_whitespace) {
        return Err(
            "not a domain (@partner.example: no wildcards, spaces or second @; \
             list each domain on a row of its own)"
                .into(),
        );
    }
    Ok(Pattern::Domain(domain.to_lowercase()))
}

/// An address. Leading zeros (`10.000.0.1`) are refused: some Windows
/// tools read `010` as octal 8, so what was meant is not certain.
fn parse_ip(text: &str) -> Result<IpAddr, String> {
    text.parse::<IpAddr>().map_err(|_| {
        let leading_zero = !text.contains(':')
            && text.split('.').any(|o| {
                o.len() > 1 && o.starts_with('0') && o.bytes().all(|b| b.is_ascii_digit())
            });
        match leading_zero {
            true => "an IPv4 address with leading zeros (read as decimal or octal?): \
                     write each number without them"
                .to_string(),
            false => "not an IPv4 or IPv6 address".to_string(),
        }
    })
}

/// `10.20.0.0/16`; host bits set (`10.20.0.5/16`) are cleared, as
/// Exchange's remote IP ranges read them.
fn parse_net(addr: &str, bits: &str) -> Result<Pattern, String> {
    let addr = parse_ip(addr)?;
    let width = number(addr).2;
    let bits = match bits.parse::<u8>() {
        Ok(b) if b <= width && bits.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => {
            return Err(format!(
                "not a network: the prefix length after / must be 0 to {width}"
            ));
        }
    };
    Ok(Pattern::Net(Net::new(addr, bits)))
}

/// Builds the glob as the matcher will (to report a bad one at its line).
pub(super) fn glob(text: &str) -> Result<globset::Glob, String> {
    globset::GlobBuilder::new(text)
        .case_insensitive(true)
        .backslash_escape(false)
        .literal_separator(false)
        .build()
        .map_err(|e| format!("not a glob: {}", e.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn each_kind_is_told_by_its_text() {
        let host = |s| Pattern::Ip(Net::new(ip(s), number(ip(s)).2));
        assert_eq!(parse("10.0.0.1"), Ok(host("10.0.0.1")));
        assert_eq!(parse("2001:DB8:0::1"), Ok(host("2001:db8::1")));
        assert_eq!(parse("10.20.0.0/16").map(|p| p.kind()), Ok(Kind::Cidr));
        let glob = |s: Shape| Ok(Pattern::Glob(s));
        assert_eq!(
            parse("*.Partner.example"),
            glob(Shape::Suffix(".partner.example".into()))
        );
        assert_eq!(parse("SCAN-*"), glob(Shape::Prefix("scan-".into())));
        assert_eq!(parse("*"), glob(Shape::Prefix("".into())));
        assert_eq!(
            parse("Mail.Contoso.com"),
            glob(Shape::Exact("mail.contoso.com".into()))
        );
        assert_eq!(parse("SCAN-?"), glob(Shape::Glob("SCAN-?".into())));
        assert_eq!(
            parse("*.mx*.example"),
            glob(Shape::Glob("*.mx*.example".into()))
        );
        assert_eq!(parse("{a,b}*"), glob(Shape::Glob("{a,b}*".into())));
        assert_eq!(
            parse("@Partner.EXAMPLE"),
            Ok(Pattern::Domain("partner.example".into()))
        );
        // An address literal is an EHLO written as such, brackets and all.
        let exact = |s: &str| Ok(Pattern::Glob(Shape::Exact(s.into())));
        assert_eq!(parse("[192.0.2.7]"), exact("[192.0.2.7]"));
        assert_eq!(parse("[IPv6:2001:DB8::1]"), exact("[ipv6:2001:db8::1]"));
    }

    #[test]
    fn address_like_typos_are_errors() {
        for bad in [
            "10.0.0.256",
            "10.0.0",
            "10.000.0.1",
            "10.0.0.0/33",
            "2001:db8::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/ 8",
            "10.20.*.*",
            "10.20.0.?",
            "2001:db8::g",
            "fe80::1%12",
            "@",
            "@*.partner.example",
            "@a b",
            "user@partner.example",
            "[unclosed",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("010.0.0.1").unwrap_err().contains("leading zeros"));
    }

    #[test]
    fn a_network_clears_its_host_bits() {
        // 10.20.0.5/16 is 10.20.0.0/16: 10.20.255.255 is in, 10.21.0.0 out.
        let Ok(Pattern::Net(net)) = parse("10.20.0.5/16") else {
            panic!("not a network")
        };
        assert_eq!(parse("10.20.0.0/16"), Ok(Pattern::Net(net)));
        assert!(net.contains(ip("10.20.255.255")));
        assert!(!net.contains(ip("10.21.0.0")));
        assert!(
            !net.contains(ip("::ffff:10.20.0.1")),
            "IPv6 is another family"
        );
    }

    #[test]
    fn prefix_lengths_at_both_ends() {
        let net = |s| match parse(s) {
            Ok(Pattern::Net(n)) => n,
            other => panic!("{s}: {other:?}"),
        };
        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        assert!(net("192.0.2.7/32").contains(ip("192.0.2.7")));
        assert!(!net("192.0.2.7/32").contains(ip("192.0.2.6")));
        // /31: 192.0.2.6 and .7 only.
        assert!(net("192.0.2.7/31").contains(ip("192.0.2.6")));
        assert!(!net("192.0.2.7/31").contains(ip("192.0.2.8")));
        // 2001:db8::/32 holds 2001:db8:ffff::1, not 2001:db9::.
        assert!(net("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(!net("2001:db8::/32").contains(ip("2001:db9::")));
        assert!(net("2001:db8::1/128").contains(ip("2001:DB8:0:0:0:0:0:1")));
    }

    #[test]
    fn remote_ips_lose_their_zone_and_map_to_ipv4() {
        assert_eq!(remote_addrs(b"192.0.2.7"), Some((ip("192.0.2.7"), None)));
        assert_eq!(
            remote_addrs(b"::ffff:192.0.2.7"),
            Some((ip("::ffff:192.0.2.7"), Some(ip("192.0.2.7"))))
        );
        assert_eq!(remote_addrs(b"fe80::1%12"), Some((ip("fe80::1"), None)));
        assert_eq!(remote_addrs(b"x.x.x.x"), None);
        assert_eq!(remote_addrs(b"\xff"), None);
    }
}
