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
    decimal_u16(&endpoint[i + 1..])
}

/// `str::parse::<u16>` on bytes: an optional `+`, then at least one ASCII
/// digit and nothing else, at most 65535. Without the UTF-8 check and the
/// generic parser (every session reads two ports).
fn decimal_u16(text: &[u8]) -> Option<u16> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    let mut n: u16 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u16::from(d))?;
    }
    Some(n)
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

    /// The port is read as `str::parse::<u16>` reads it, for every text
    /// of up to three bytes from an alphabet of digits, signs, spaces and
    /// others, and around the limits of a u16.
    #[test]
    fn port_parses_as_std_parses() {
        let alphabet: &[u8] = b"0159+- a\xff";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=3u32 {
            for k in 0..alphabet.len().pow(len) {
                let mut t = Vec::new();
                let mut k = k;
                for _ in 0..len {
                    t.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                texts.push(t);
            }
        }
        for t in [
            "65535",
            "65536",
            "+65535",
            "0065535",
            "99999",
            "100000",
            "00000",
            "+",
            "++1",
            "1 ",
            "4294967296",
            "18446744073709551616",
            "25",
        ] {
            texts.push(t.as_bytes().to_vec());
        }
        for t in texts {
            let want = std::str::from_utf8(&t)
                .ok()
                .and_then(|s| s.parse::<u16>().ok());
            assert_eq!(decimal_u16(&t), want, "{:?}", String::from_utf8_lossy(&t));
            let mut endpoint = b"10.0.0.1:".to_vec();
            endpoint.extend_from_slice(&t);
            assert_eq!(port(&endpoint), want);
        }
    }
}
