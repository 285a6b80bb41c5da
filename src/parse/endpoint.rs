//! `local-endpoint` / `remote-endpoint`: .NET `IPEndPoint` text.

/// The address part of `ip:port` or `[ipv6]:port`, without brackets.
///
/// Splits at the *last* colon: splitting at the first breaks IPv6. A value
/// without a port (no colon, or an IPv6 address without brackets) is
/// returned whole.
pub(crate) fn ip(endpoint: &[u8]) -> &[u8] {
    if let Some(rest) = endpoint.strip_prefix(b"[") {
        return match memchr::memrchr(b']', rest) {
            Some(i) => &rest[..i],
            None => rest,
        };
    }
    match memchr::memrchr(b':', endpoint) {
        // Two or more colons without brackets: a bare IPv6 address.
        Some(i) if memchr::memchr(b':', &endpoint[..i]).is_none() => &endpoint[..i],
        _ => endpoint,
    }
}

/// The port number, if the endpoint has one.
pub(crate) fn port(endpoint: &[u8]) -> Option<u16> {
    let i = memchr::memrchr(b':', endpoint)?;
    if !endpoint.starts_with(b"[") && memchr::memchr(b':', &endpoint[..i]).is_some() {
        return None;
    }
    std::str::from_utf8(&endpoint[i + 1..]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4() {
        assert_eq!(ip(b"10.0.0.6:25"), b"10.0.0.6");
        assert_eq!(port(b"10.0.0.6:25"), Some(25));
        assert_eq!(ip(b"x.x.x.x:25"), b"x.x.x.x");
    }

    #[test]
    fn ipv6_bracketed() {
        assert_eq!(ip(b"[2001:db8::1]:25"), b"2001:db8::1");
        assert_eq!(port(b"[2001:db8::1]:25"), Some(25));
        assert_eq!(ip(b"[fe80::1%12]:2525"), b"fe80::1%12");
        assert_eq!(port(b"[fe80::1%12]:2525"), Some(2525));
    }

    #[test]
    fn odd_values() {
        assert_eq!(ip(b""), b"");
        assert_eq!(port(b""), None);
        assert_eq!(ip(b"2001:db8::1"), b"2001:db8::1");
        assert_eq!(port(b"2001:db8::1"), None);
        assert_eq!(ip(b"[::1"), b"::1");
        assert_eq!(ip(b"LOCAL_IP"), b"LOCAL_IP");
        assert_eq!(port(b"host:notaport"), None);
    }
}
