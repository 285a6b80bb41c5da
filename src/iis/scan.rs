//! The IIS scan: every request of a byte range of a W3C log, counted per
//! client, per application and as readiness evidence of its site.

use super::counts::IisCounts;
use super::counts::{HttpCounts, HttpKey, HttpsEvidence};
use super::parse;
use crate::chunk::{FileCtx, Range, release_behind};
use crate::files::{BadRow, FileStats};
use crate::parse::fields;
use crate::parse::{Stamp, tls};
use rustc_hash::{FxHashMap, FxHashSet};

/// The lines of an IIS W3C log that start in `[start, end)`, read with the
/// `#Fields:` names in effect at `start` (found by the planner; a
/// `#Fields:` line may come anywhere): every request counted per client
/// and per application of `site` (the `W3SVC…` folder). The counts are
/// kept by borrowed keys and handed to `counts` once, at the end; what was
/// read goes to `stats`.
pub(crate) fn scan_iis(
    range: Range,
    fields_at_start: Option<&[u8]>,
    ctx: FileCtx,
    site: &str,
    counts: &mut IisCounts,
    stats: &mut FileStats,
) {
    let mut fields = fields_at_start
        .map(parse::Fields::parse)
        .unwrap_or_default();
    let mut crypt: Option<bool> = fields_at_start.map(|_| fields.has_crypt());
    let mut seen = Seen::default();
    let mut starts = parse::Starts::default();
    let f = ctx.filters;
    let mut lines = 0u64;
    let mut seconds = parse::Seconds::default();
    let region = range.region;
    let mut at = 0usize;
    let mut released = range.s;
    while at < region.len() {
        let start = at;
        at = (parse::line_end(region, start, &starts) + 1).min(region.len());
        let line = &region[start..at];
        lines += 1;
        release_behind(&ctx, &mut released, range.s + start);
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"#") {
            if let Some(names) = rest.strip_prefix(b"Fields:") {
                fields = parse::Fields::parse(names);
                crypt = Some(crypt.unwrap_or(false) || fields.has_crypt());
            }
            continue;
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        let Some(r) = parse::request(line, &fields, &mut starts) else {
            stats.malformed_row(BadRow {
                offset: range.at(start),
                chunk_start: range.chunk_start,
                line_in_chunk: lines - 1,
                error: fields::RowError::NotARequest,
            });
            continue;
        };
        if !f.time(&r.stamp) || !f.remote_matches(r.client_ip) {
            continue;
        }
        let taken = stats.record(&r.stamp, range.at(start), ctx.bounds);
        let app = parse::app_index(r.uri_stem);
        if let Some(sec) = seconds.of(&r.stamp) {
            seen.evidence(&r, app, sec, taken, fields.has_crypt());
        }
        seen.request(&r, app);
    }
    range.count(stats, lines, 0);
    // The file logs the crypt-* fields if any of its #Fields lines names them.
    stats.iis_crypt = Some(stats.iis_crypt.unwrap_or(false) || crypt.unwrap_or(false));
    seen.hand_to(counts, site, ctx.server);
}

/// One client's requests, by borrowed keys.
#[derive(Default)]
struct Client<'a> {
    versions: [u64; 7],
    requests: u64,
    users: FxHashSet<&'a [u8]>,
    /// The user of this client's last request that named one: a client's
    /// requests mostly repeat it, and a comparison costs less than the
    /// set's hash and probe (the set is the same either way).
    last_user: &'a [u8],
    first: Option<Stamp>,
    last: Option<Stamp>,
}

/// Agents an address keeps apart before the rest go to a map by both.
const AGENTS: usize = 4;

/// An address's clients: the address, and its agents with their counts.
type Agents<'a> = (&'a [u8], Vec<(&'a [u8], Client<'a>)>);

/// An address of 4 to 15 bytes (any IPv4 address) packed into a map key:
/// its bytes, and its length in the top byte, so that no two addresses
/// share a key. Hashing and comparing the key costs less than hashing the
/// bytes and a `memcmp`. `None` for other lengths (IPv6, or none).
fn short_key(ip: &[u8]) -> Option<u128> {
    let n = ip.len();
    let word = |at: usize| {
        u128::from(u64::from_le_bytes(
            ip[at..at + 8].try_into().expect("8 bytes"),
        ))
    };
    let half = |at: usize| {
        u128::from(u32::from_le_bytes(
            ip[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    // Two loads that overlap, the second shifted to where its bytes sit.
    let bytes = match n {
        8..=15 => word(0) | (word(n - 8) << (8 * (n - 8))),
        4..=7 => half(0) | (half(n - 4) << (8 * (n - 4))),
        _ => return None,
    };
    Some(bytes | (n as u128) << 120)
}

/// What the requests of a range add up to, by borrowed keys.
#[derive(Default)]
struct Seen<'a> {
    /// Clients by address ([`short_key`], else the bytes in `long`), then
    /// user agent: hashing the short address and comparing the agent with
    /// the few seen from it costs less than hashing a hundred-byte agent
    /// on every request. Past [`AGENTS`] agents (a balancer, the front end
    /// seen from the back end), an address keeps the rest in `crowded`, by
    /// both.
    clients: FxHashMap<u128, Agents<'a>>,
    long: FxHashMap<&'a [u8], Agents<'a>>,
    crowded: FxHashMap<(&'a [u8], &'a [u8]), Client<'a>>,
    /// Per application: requests by version, and in all (at 7).
    apps: [[u64; 8]; parse::APPS.len() + 1],
    https: HttpsEvidence,
    /// Legacy requests' seconds by client, application and version;
    /// copied once per key at the end.
    legacy: FxHashMap<(&'a [u8], &'static str, tls::Version), Vec<i64>>,
}

impl<'a> Seen<'a> {
    /// Counts request `r` of application `app` at second `sec` as
    /// readiness evidence (`taken`: within the file's own time).
    #[inline(always)]
    fn evidence(&mut self, r: &parse::Request<'a>, app: usize, sec: i64, taken: bool, crypt: bool) {
        if taken {
            self.https.cover(sec);
        }
        self.https
            .add_request(sec, HttpsEvidence::kind(r.version, crypt));
        if let Some(v) = r.version.filter(|v| v.is_legacy()) {
            self.legacy
                .entry((r.client_ip, parse::app_name(app), v))
                .or_default()
                .push(sec);
        }
    }

    /// Counts request `r` for its client and its application `app`.
    #[inline(always)]
    fn request(&mut self, r: &parse::Request<'a>, app: usize) {
        let c = self.client(r.client_ip, r.user_agent);
        c.requests += 1;
        if let Some(v) = r.version {
            c.versions[v.index()] += 1;
        }
        if !r.username.is_empty() && r.username != c.last_user {
            c.users.insert(r.username);
            c.last_user = r.username;
        }
        // Compared as words, not with a `memcmp` call per request.
        match &mut c.first {
            Some(first) if first.cmp_text(&r.stamp).is_le() => {}
            first => *first = Some(Stamp::new(&r.stamp)),
        }
        match &mut c.last {
            Some(last) if last.cmp_text(&r.stamp).is_ge() => {}
            last => *last = Some(Stamp::new(&r.stamp)),
        }
        let a = &mut self.apps[app];
        if let Some(v) = r.version {
            a[v.index()] += 1;
        }
        a[7] += 1;
    }

    /// The counts of client `ip` with agent `ua`.
    #[inline(always)]
    fn client(&mut self, ip: &'a [u8], ua: &'a [u8]) -> &mut Client<'a> {
        let (_, agents) = match short_key(ip) {
            Some(key) => self.clients.entry(key).or_insert_with(|| (ip, Vec::new())),
            None => self.long.entry(ip).or_insert_with(|| (ip, Vec::new())),
        };
        match agents.iter().position(|(seen, _)| *seen == ua) {
            Some(i) => &mut agents[i].1,
            None if agents.len() < AGENTS => {
                agents.push((ua, Client::default()));
                &mut agents.last_mut().expect("just pushed").1
            }
            None => self.crowded.entry((ip, ua)).or_default(),
        }
    }

    /// Adds what was seen to `counts`, under `site` of `server`.
    fn hand_to(self, counts: &mut IisCounts, site: &str, server: crate::servers::ServerId) {
        for (ip, ua, c) in self
            .clients
            .into_values()
            .chain(self.long.into_values())
            .flat_map(|(ip, agents)| agents.into_iter().map(move |(ua, c)| (ip, ua, c)))
            .chain(self.crowded.into_iter().map(|((ip, ua), c)| (ip, ua, c)))
        {
            let key = HttpKey {
                site: site.into(),
                server,
                client_ip: ip.into(),
                user_agent: ua.into(),
            };
            let e = counts.http.entry(key).or_default();
            e.add(HttpCounts {
                versions: c.versions,
                requests: c.requests,
                users: Default::default(),
                first_seen: c.first,
                last_seen: c.last,
            });
            // The same union as adding a set of copies, but only the names
            // not yet in it are copied: a client's users recur from file
            // to file.
            for user in c.users {
                if !e.users.contains(user) {
                    e.users.insert(user.into());
                }
            }
        }
        let mut https = self.https;
        https.legacy = self
            .legacy
            .into_iter()
            .map(|((ip, app, v), secs)| ((ip.into(), app, v), secs))
            .collect();
        if !https.seconds.is_empty() {
            counts
                .https
                .entry((server, site.into()))
                .or_default()
                .add(https);
        }
        for (app, by_version) in self.apps.into_iter().enumerate() {
            if by_version[7] == 0 {
                continue;
            }
            let e = counts
                .http_app
                .entry((site.into(), server, parse::app_name(app)))
                .or_default();
            for (a, b) in e.iter_mut().zip(by_version) {
                *a += b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::short_key;

    /// Addresses of 4 to 15 bytes get keys, and two get the same key only
    /// when they are the same bytes: every pair of a set of addresses that
    /// differ in one byte, in length, or by trailing NULs.
    #[test]
    fn short_keys_are_distinct_per_address() {
        let mut ips: Vec<Vec<u8>> = Vec::new();
        for base in [
            &b"10.0.0.1"[..],
            b"1.2.3.4",
            b"203.118.52.153",
            b"192.168.100.200",
        ] {
            for n in 0..=base.len() {
                ips.push(base[..n].to_vec());
            }
            for at in 0..base.len() {
                let mut changed = base.to_vec();
                changed[at] ^= 1;
                ips.push(changed);
            }
            ips.push([base, b"\0"].concat());
            ips.push([b"\0", base].concat());
        }
        ips.push(b"2001:db8::1".to_vec());
        ips.push(b"fe80::1234:5678:9abc:def0".to_vec());
        ips.sort();
        ips.dedup();
        for a in &ips {
            let key = short_key(a);
            assert_eq!(key.is_some(), (4..=15).contains(&a.len()), "{a:?}");
            for b in &ips {
                if a != b && key.is_some() {
                    assert_ne!(key, short_key(b), "{a:?} {b:?}");
                }
            }
        }
        // The bytes themselves, in order, under the length.
        assert_eq!(
            short_key(b"1.2.3.4"),
            Some(u128::from_le_bytes(*b"1.2.3.4\0\0\0\0\0\0\0\0\x07"))
        );
        assert_eq!(
            short_key(b"203.118.52.153"),
            Some(u128::from_le_bytes(*b"203.118.52.153\0\x0e"))
        );
    }
}
