//! The TLS success and failure lines (docs/log-format.md §3).
//!
//! Success, in the context of a `*` row:
//! `TLS protocol {P} negotiation succeeded using bulk encryption algorithm
//! {C} with strength {n} bits, MAC hash algorithm {H} with strength {n} bits
//! and key exchange algorithm {K} with strength {n} bits`.
//! Failure: `TLS negotiation failed with error {X}`.

use memchr::memmem::Finder;
use std::borrow::Cow;
use std::sync::LazyLock;

// Built once: constructing a searcher costs more than one short search.
static SUCCEEDED: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("negotiation succeeded"));
static CIPHER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("bulk encryption algorithm "));
static HASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("hash algorithm "));
static KEY_EXCHANGE: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("key exchange algorithm "));

/// Context prefix of a successful negotiation.
pub const SUCCESS_PREFIX: &[u8] = b"TLS protocol ";
/// Context prefix of a failed negotiation.
pub const FAILURE_PREFIX: &[u8] = b"TLS negotiation failed with error ";

/// A negotiated protocol version, in report column order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Version {
    Ssl2,
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
    /// A token exlog does not know (PCT, DTLS, a future name).
    Other,
}

impl Version {
    /// All versions, in the order of the report columns.
    pub const ALL: [Version; 7] = [
        Version::Ssl2,
        Version::Ssl3,
        Version::Tls10,
        Version::Tls11,
        Version::Tls12,
        Version::Tls13,
        Version::Other,
    ];

    /// The column label (`TLS1.0` …).
    pub fn label(self) -> &'static str {
        match self {
            Version::Ssl2 => "SSL2",
            Version::Ssl3 => "SSL3",
            Version::Tls10 => "TLS1.0",
            Version::Tls11 => "TLS1.1",
            Version::Tls12 => "TLS1.2",
            Version::Tls13 => "TLS1.3",
            Version::Other => "other",
        }
    }

    /// Index into a `[u64; 7]` of counts.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Below TLS 1.2: what administrators want to find and switch off.
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            Version::Ssl2 | Version::Ssl3 | Version::Tls10 | Version::Tls11
        )
    }
}

/// Which side of the handshake Exchange was on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `_SERVER`: Exchange accepted the connection (a receive log).
    Server,
    /// `_CLIENT`: Exchange connected out (a send log).
    Client,
}

/// Reads a protocol token: `SP_PROT_TLS1_2_SERVER`, the documentation's
/// hyphen form `SP_PROT-TLS1_0_CLIENT`, or a bare SchannelProtocols number
/// (`4096`/`8192` for TLS 1.3, which older .NET builds do not name).
pub fn parse_protocol(token: &[u8]) -> (Version, Option<Role>) {
    if !token.is_empty() && token.iter().all(u8::is_ascii_digit) {
        return parse_protocol_number(token);
    }
    let Some(rest) = token
        .strip_prefix(b"SP_PROT_")
        .or_else(|| token.strip_prefix(b"SP_PROT-"))
    else {
        return (Version::Other, None);
    };
    let (name, role) = if let Some(n) = rest.strip_suffix(b"_SERVER") {
        (n, Some(Role::Server))
    } else if let Some(n) = rest.strip_suffix(b"_CLIENT") {
        (n, Some(Role::Client))
    } else {
        (rest, None)
    };
    let version = match name {
        b"SSL2" => Version::Ssl2,
        b"SSL3" => Version::Ssl3,
        // `TLS1` is the Windows alias of TLS1_0.
        b"TLS1_0" | b"TLS1" => Version::Tls10,
        b"TLS1_1" => Version::Tls11,
        b"TLS1_2" => Version::Tls12,
        b"TLS1_3" => Version::Tls13,
        _ => Version::Other,
    };
    (version, role)
}

fn parse_protocol_number(token: &[u8]) -> (Version, Option<Role>) {
    let Some(n) = std::str::from_utf8(token)
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    else {
        return (Version::Other, None);
    };
    // Server flags are the even bits, client flags the odd ones (0x4/0x8 …).
    let version = match n {
        0x4 | 0x8 => Version::Ssl2,
        0x10 | 0x20 => Version::Ssl3,
        0x40 | 0x80 => Version::Tls10,
        0x100 | 0x200 => Version::Tls11,
        0x400 | 0x800 => Version::Tls12,
        0x1000 | 0x2000 => Version::Tls13,
        _ => return (Version::Other, None),
    };
    let role = if n & 0x1555 != 0 {
        Role::Server
    } else {
        Role::Client
    };
    (version, Some(role))
}

/// A successful negotiation, as written; names are normalised only when a
/// report is built (see [`normalize_alg`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Negotiation<'a> {
    pub protocol: &'a [u8],
    pub cipher: &'a [u8],
    pub cipher_bits: &'a [u8],
    pub hash: &'a [u8],
    pub hash_bits: &'a [u8],
    pub key_exchange: &'a [u8],
    pub key_exchange_bits: &'a [u8],
}

impl Negotiation<'_> {
    /// A weak suite, whatever the version: RC4, DES or 3DES (and RC2), an
    /// MD5 MAC, or an export-grade cipher (under 112 bits of strength).
    pub fn is_weak(&self) -> bool {
        let export = std::str::from_utf8(self.cipher_bits)
            .ok()
            .and_then(|b| b.parse::<u64>().ok())
            .is_some_and(is_export_bits);
        WEAK_CIPHERS.contains(&self.cipher) || self.hash == WEAK_HASH || export
    }
}

/// Ciphers weak whatever the version: RC4, DES, 3DES (both names), RC2.
const WEAK_CIPHERS: [&[u8]; 5] = [
    b"CALG_RC4",
    b"CALG_DES",
    b"CALG_3DES",
    b"CALG_3DES_112",
    b"CALG_RC2",
];

/// The MAC hash weak whatever the version.
const WEAK_HASH: &[u8] = b"CALG_MD5";

/// A cipher strength of an export-grade cipher (under 112 bits; 0 is
/// unknown).
pub fn is_export_bits(bits: u64) -> bool {
    bits > 0 && bits < 112
}

/// The weak-suite rule of [`Negotiation::is_weak`] on the names the
/// reports print ([`normalize_alg`]): whether the cipher named `name` is
/// weak.
pub fn is_weak_cipher_name(name: &str) -> bool {
    WEAK_CIPHERS.iter().any(|t| normalize_alg(t) == name)
}

/// Whether the MAC hash the reports name `name` is weak.
pub fn is_weak_hash_name(name: &str) -> bool {
    normalize_alg(WEAK_HASH) == name
}

/// Parses the context of a success row; `None` if it is not one.
///
/// Lenient past the protocol token: a missing algorithm part leaves that
/// part empty rather than dropping the negotiation.
pub fn parse_success(context: &[u8]) -> Option<Negotiation<'_>> {
    let rest = context.strip_prefix(SUCCESS_PREFIX)?;
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let protocol = &rest[..end];
    let after = &rest[end..];
    if let Some(n) = as_exchange_writes_it(protocol, after) {
        return Some(n);
    }
    searched(protocol, after)
}

/// The layout Exchange writes, read left to right with no search: the
/// answer of [`searched`], since each label stands first where it is
/// found (the text before it holds no `algorithm ` but after
/// `encryption` and `hash`, and the tokens hold no space). `None` for
/// any other layout, left to [`searched`].
#[inline]
fn as_exchange_writes_it<'a>(protocol: &'a [u8], after: &'a [u8]) -> Option<Negotiation<'a>> {
    let rest = after.strip_prefix(b" negotiation succeeded using bulk encryption algorithm ")?;
    let (cipher, cipher_bits, rest) = token_and_bits(rest)?;
    let rest = rest.strip_prefix(b" bits, MAC hash algorithm ")?;
    let (hash, hash_bits, rest) = token_and_bits(rest)?;
    let rest = rest.strip_prefix(b" bits and key exchange algorithm ")?;
    let (key_exchange, key_exchange_bits, _) = token_and_bits(rest)?;
    Some(Negotiation {
        protocol,
        cipher,
        cipher_bits,
        hash,
        hash_bits,
        key_exchange,
        key_exchange_bits,
    })
}

/// `TOKEN with strength N` at the start of `text`: TOKEN, N (its digits,
/// maybe none) and what follows them.
#[inline]
fn token_and_bits(text: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let end = text.iter().position(|&c| c == b' ')?;
    let r = text[end..].strip_prefix(b" with strength ")?;
    let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
    Some((&text[..end], &r[..n], &r[n..]))
}

/// [`parse_success`] of any layout: each label searched for.
fn searched<'a>(protocol: &'a [u8], after: &'a [u8]) -> Option<Negotiation<'a>> {
    SUCCEEDED.find(after)?;
    let (cipher, cipher_bits) = algorithm(after, &CIPHER);
    let (hash, hash_bits) = algorithm(after, &HASH);
    let (key_exchange, key_exchange_bits) = algorithm(after, &KEY_EXCHANGE);
    Some(Negotiation {
        protocol,
        cipher,
        cipher_bits,
        hash,
        hash_bits,
        key_exchange,
        key_exchange_bits,
    })
}

/// Finds `<label><TOKEN> with strength <N> bits` and returns TOKEN and N.
fn algorithm<'a>(text: &'a [u8], label: &Finder) -> (&'a [u8], &'a [u8]) {
    let Some(at) = label.find(text) else {
        return (b"", b"");
    };
    let rest = &text[at + label.needle().len()..];
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let token = &rest[..end];
    let bits = rest[end..]
        .strip_prefix(b" with strength ")
        .map(|r| {
            let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
            &r[..n]
        })
        .unwrap_or(b"");
    (token, bits)
}

/// The error name of a failure row's context; `None` if it is not one.
pub fn parse_failure(context: &[u8]) -> Option<&[u8]> {
    context.strip_prefix(FAILURE_PREFIX).map(|e| e.trim_ascii())
}

/// Report name of an ALG_ID token: `CALG_AES_128` → `AES-128`, both names of
/// ECDHE → `ECDHE`; any other token loses its `CALG_` prefix, and a bare
/// number (an ALG_ID .NET does not name) stays as printed.
pub fn normalize_alg(token: &[u8]) -> Cow<'_, str> {
    let name = match token {
        b"CALG_AES_128" => "AES-128",
        b"CALG_AES_192" => "AES-192",
        b"CALG_AES_256" => "AES-256",
        b"CALG_3DES" => "3DES",
        b"CALG_DES" => "DES",
        b"CALG_RC4" => "RC4",
        b"CALG_RC2" => "RC2",
        b"CALG_MD5" => "MD5",
        b"CALG_SHA1" => "SHA-1",
        b"CALG_SHA_256" => "SHA-256",
        b"CALG_SHA_384" => "SHA-384",
        b"CALG_SHA_512" => "SHA-512",
        b"CALG_ECDHE" | b"CALG_ECDH_EPHEM" => "ECDHE",
        b"CALG_DH_EPHEM" => "DHE",
        b"CALG_RSA_KEYX" => "RSA",
        b"CALG_ECDH" => "ECDH",
        _ => {
            let rest = token.strip_prefix(b"CALG_").unwrap_or(token);
            return String::from_utf8_lossy(rest);
        }
    };
    Cow::Borrowed(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE1: &[u8] = b"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits";
    const LINE2: &[u8] = b"TLS protocol SP_PROT_TLS1_0_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits";

    /// The left-to-right read gives what the searches give, on the real
    /// lines, every cut of them, each byte of them changed to a space, a
    /// letter, a digit or a comma, and labels out of order.
    #[test]
    fn reading_exchanges_layout_is_searching_it() {
        let both = |context: &[u8]| {
            let Some(rest) = context.strip_prefix(SUCCESS_PREFIX) else {
                return;
            };
            let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            let (protocol, after) = rest.split_at(end);
            if let Some(n) = as_exchange_writes_it(protocol, after) {
                assert_eq!(
                    Some(n),
                    searched(protocol, after),
                    "{:?}",
                    String::from_utf8_lossy(context)
                );
            }
        };
        let swapped = b"TLS protocol X negotiation succeeded using bulk encryption algorithm A with strength 1 bits and key exchange algorithm K with strength 3 bits, MAC hash algorithm H with strength 2 bits";
        let mut read = 0;
        for line in [LINE1, LINE2, &swapped[..]] {
            read += usize::from(parse_success(line).is_some());
            for cut in 0..=line.len() {
                both(&line[..cut]);
            }
            for at in SUCCESS_PREFIX.len()..line.len() {
                for b in [b' ', b'x', b'7', b',', b'h'] {
                    let mut changed = line.to_vec();
                    changed[at] = b;
                    both(&changed);
                }
            }
        }
        assert_eq!(read, 3);
        assert!(as_exchange_writes_it(b"X", &swapped[14..]).is_none());
    }

    #[test]
    fn real_line_tls12_gcm() {
        let n = parse_success(LINE1).unwrap();
        assert_eq!(n.protocol, b"SP_PROT_TLS1_2_SERVER");
        assert_eq!(n.cipher, b"CALG_AES_128");
        assert_eq!(n.cipher_bits, b"128");
        assert_eq!(n.hash, b"CALG_SHA_256");
        assert_eq!(n.hash_bits, b"0");
        assert_eq!(n.key_exchange, b"CALG_ECDH_EPHEM");
        assert_eq!(n.key_exchange_bits, b"256");
        assert_eq!(
            parse_protocol(n.protocol),
            (Version::Tls12, Some(Role::Server))
        );
    }

    #[test]
    fn real_line_tls10_client() {
        let n = parse_success(LINE2).unwrap();
        assert_eq!(
            parse_protocol(n.protocol),
            (Version::Tls10, Some(Role::Client))
        );
        assert_eq!(normalize_alg(n.cipher), "AES-256");
        assert_eq!(normalize_alg(n.hash), "SHA-1");
        assert_eq!(n.hash_bits, b"160");
        assert_eq!(normalize_alg(n.key_exchange), "ECDHE");
    }

    #[test]
    fn every_named_protocol_token() {
        let cases: &[(&[u8], Version, Option<Role>)] = &[
            (b"SP_PROT_SSL2_SERVER", Version::Ssl2, Some(Role::Server)),
            (b"SP_PROT_SSL2_CLIENT", Version::Ssl2, Some(Role::Client)),
            (b"SP_PROT_SSL3_SERVER", Version::Ssl3, Some(Role::Server)),
            (b"SP_PROT_SSL3_CLIENT", Version::Ssl3, Some(Role::Client)),
            (b"SP_PROT_TLS1_0_SERVER", Version::Tls10, Some(Role::Server)),
            (b"SP_PROT_TLS1_0_CLIENT", Version::Tls10, Some(Role::Client)),
            (b"SP_PROT_TLS1_1_SERVER", Version::Tls11, Some(Role::Server)),
            (b"SP_PROT_TLS1_1_CLIENT", Version::Tls11, Some(Role::Client)),
            (b"SP_PROT_TLS1_2_SERVER", Version::Tls12, Some(Role::Server)),
            (b"SP_PROT_TLS1_2_CLIENT", Version::Tls12, Some(Role::Client)),
            (b"SP_PROT_TLS1_3_SERVER", Version::Tls13, Some(Role::Server)),
            (b"SP_PROT_TLS1_3_CLIENT", Version::Tls13, Some(Role::Client)),
            (b"SP_PROT-TLS1_0_CLIENT", Version::Tls10, Some(Role::Client)),
            (b"SP_PROT-TLS1_1_CLIENT", Version::Tls11, Some(Role::Client)),
            (b"SP_PROT-TLS1_2_CLIENT", Version::Tls12, Some(Role::Client)),
            (b"SP_PROT_PCT1_SERVER", Version::Other, Some(Role::Server)),
            (
                b"SP_PROT_DTLS1_2_SERVER",
                Version::Other,
                Some(Role::Server),
            ),
            (b"TLS1_2", Version::Other, None),
        ];
        for (token, v, r) in cases {
            assert_eq!(
                parse_protocol(token),
                (*v, *r),
                "{}",
                String::from_utf8_lossy(token)
            );
        }
    }

    #[test]
    fn numeric_protocol_tokens() {
        let cases: &[(&[u8], Version, Option<Role>)] = &[
            (b"4096", Version::Tls13, Some(Role::Server)),
            (b"8192", Version::Tls13, Some(Role::Client)),
            (b"1024", Version::Tls12, Some(Role::Server)),
            (b"2048", Version::Tls12, Some(Role::Client)),
            (b"512", Version::Tls11, Some(Role::Client)),
            (b"64", Version::Tls10, Some(Role::Server)),
            (b"32", Version::Ssl3, Some(Role::Client)),
            (b"8", Version::Ssl2, Some(Role::Client)),
            (b"1", Version::Other, None),
            (b"65536", Version::Other, None),
            (b"99999999999999999999", Version::Other, None),
        ];
        for (token, v, r) in cases {
            assert_eq!(parse_protocol(token), (*v, *r));
        }
    }

    #[test]
    fn tls13_numeric_line_with_unnamed_hash() {
        let n = parse_success(b"TLS protocol 4096 negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm 32780 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits").unwrap();
        assert_eq!(parse_protocol(n.protocol).0, Version::Tls13);
        assert_eq!(normalize_alg(n.hash), "32780");
        assert_eq!(n.key_exchange_bits, b"384");
    }

    #[test]
    fn truncated_success_line_keeps_what_it_has() {
        let n = parse_success(
            b"TLS protocol SP_PROT_TLS1_1_SERVER negotiation succeeded using bulk encryption algorithm CALG_RC4",
        )
        .unwrap();
        assert_eq!(n.cipher, b"CALG_RC4");
        assert_eq!(n.cipher_bits, b"");
        assert_eq!(n.hash, b"");
        assert!(parse_success(b"TLS protocol SP_PROT_TLS1_2_SERVER negotiation").is_none());
        assert!(parse_success(b"Sending certificate").is_none());
    }

    #[test]
    fn failure_lines() {
        assert_eq!(
            parse_failure(b"TLS negotiation failed with error UnknownCredentials"),
            Some(&b"UnknownCredentials"[..])
        );
        assert_eq!(
            parse_failure(b"TLS negotiation failed with error NoCredentials"),
            Some(&b"NoCredentials"[..])
        );
        assert_eq!(parse_failure(b"TLS protocol x"), None);
    }

    #[test]
    fn algorithm_names() {
        let cases: &[(&[u8], &str)] = &[
            (b"CALG_AES_128", "AES-128"),
            (b"CALG_AES_192", "AES-192"),
            (b"CALG_AES_256", "AES-256"),
            (b"CALG_3DES", "3DES"),
            (b"CALG_DES", "DES"),
            (b"CALG_RC4", "RC4"),
            (b"CALG_RC2", "RC2"),
            (b"CALG_MD5", "MD5"),
            (b"CALG_SHA1", "SHA-1"),
            (b"CALG_SHA_256", "SHA-256"),
            (b"CALG_SHA_384", "SHA-384"),
            (b"CALG_SHA_512", "SHA-512"),
            (b"CALG_ECDHE", "ECDHE"),
            (b"CALG_ECDH_EPHEM", "ECDHE"),
            (b"CALG_DH_EPHEM", "DHE"),
            (b"CALG_RSA_KEYX", "RSA"),
            (b"CALG_ECDH", "ECDH"),
            (b"CALG_3DES_112", "3DES_112"),
            (b"CALG_AES", "AES"),
            (b"24576", "24576"),
        ];
        for (token, name) in cases {
            assert_eq!(normalize_alg(token), *name);
        }
    }

    /// The rule on report names agrees with the rule on tokens, for every
    /// token the reports name and a few they do not.
    #[test]
    fn weak_names_follow_the_weak_tokens() {
        let tokens: [&[u8]; 9] = [
            b"CALG_RC4",
            b"CALG_DES",
            b"CALG_3DES",
            b"CALG_3DES_112",
            b"CALG_RC2",
            b"CALG_AES_128",
            b"CALG_AES_256",
            b"CALG_SHA1",
            b"CALG_MD5",
        ];
        for t in tokens {
            let cipher = Negotiation {
                cipher: t,
                ..Negotiation::default()
            };
            let hash = Negotiation {
                hash: t,
                ..Negotiation::default()
            };
            let name = normalize_alg(t);
            assert_eq!(is_weak_cipher_name(&name), cipher.is_weak(), "{name}");
            assert_eq!(is_weak_hash_name(&name), hash.is_weak(), "{name}");
        }
        // By hand: RC4, DES, 3DES, 3DES_112 and RC2 are weak ciphers; MD5
        // the one weak hash.
        let weak: Vec<&str> = ["RC4", "DES", "3DES", "3DES_112", "RC2", "AES-128", "MD5"]
            .into_iter()
            .filter(|n| is_weak_cipher_name(n))
            .collect();
        assert_eq!(weak, ["RC4", "DES", "3DES", "3DES_112", "RC2"]);
        assert!(is_weak_hash_name("MD5") && !is_weak_hash_name("SHA-1"));
        assert!(is_export_bits(56) && !is_export_bits(0) && !is_export_bits(112));
    }
}
