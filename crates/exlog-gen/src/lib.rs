//! A realistic, deterministic Exchange log tree for tests and benchmarks.
//!
//! Per server, a FrontEnd receive stream (`Default Frontend`, `Client
//! Frontend` and a relay connector whose name needs CSV quoting) and a Hub
//! send stream (Internet, Office 365 and intra-organisation connectors,
//! the last with X-ANONYMOUSTLS). Sessions arrive at random, run for
//! seconds, and their rows interleave in time order; files roll over at
//! each hour and at a size limit, so sessions cross files. Every remote has
//! a TLS profile: most negotiate TLS 1.2, some TLS 1.3, a tail TLS 1.0/1.1,
//! a few SSL 3, and some never try TLS or fail.
//!
//! What switching TLS 1.0/1.1 off would break shows in every impact class:
//! devices submitting on 587 with their own account and senders (most
//! below TLS 1.2, one with a client certificate), a hop to an Exchange 2010
//! server at TLS 1.0 over X-ANONYMOUSTLS (port 2525), scanners on the relay
//! that requires TLS (`530 5.7.0` without STARTTLS), Internet senders and
//! MX hosts (their certificates logged). With `--switch-off`, a server
//! stops negotiating below TLS 1.2 on a day (see [`switchoff`]).
//!
//! While writing, the generator counts what it wrote into a [`Truth`]: the
//! exact rows of exlog's four reports, computed from what was generated
//! (not by parsing), so tests can compare exlog's output with it.

mod coverage;
mod fallout;
pub mod history;
pub mod iis;
mod impact;
pub mod inventory;
mod switchoff;

use impact::{Book, Facts, Impact, Seen};
pub use switchoff::parse_switch_off;
use switchoff::{Mode, SwitchState};

use rayon::prelude::*;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    pub out: PathBuf,
    /// Total bytes to write (the sessions open when it is reached still
    /// end: the result is within `concurrency` sessions per stream of it).
    pub size: u64,
    pub servers: usize,
    pub seed: u64,
    /// Size rollover, as Exchange's `MaxFileSize` (10 MB by default).
    pub file_size: u64,
    /// Time of the first session, in ms since the Unix epoch (UTC).
    pub start_ms: i64,
    /// Sessions open at once per stream (server and direction): their rows
    /// interleave. 1 writes one session after another.
    pub concurrency: usize,
    /// Distinct remote hosts to draw from (Internet senders and MX hosts);
    /// `None` scales with `size` like a busy server (80 k per GB).
    pub remotes: Option<usize>,
    /// Spread the sessions over about this many days (the clock keeps pace
    /// with the bytes written); `None`: back to back, as a busy server
    /// writes them (a few MB span minutes).
    pub days: Option<u32>,
    /// `--switch-off`: per server name, the start (ms, a UTC midnight)
    /// of the day from which it negotiates nothing below TLS 1.2.
    pub switch_off: Vec<(String, i64)>,
}

impl Config {
    pub fn new(out: impl Into<PathBuf>, size: u64) -> Config {
        Config {
            out: out.into(),
            size,
            servers: 4,
            seed: 1,
            file_size: 10_000_000,
            // 2024-03-04T00:59:30Z: even a small corpus crosses an hour.
            start_ms: 1_709_513_970_000,
            concurrency: DEFAULT_CONCURRENCY,
            remotes: None,
            days: None,
            switch_off: Vec::new(),
        }
    }

    /// When `server` switches TLS 1.0/1.1 off (the last `--switch-off`
    /// naming it wins).
    fn switch_at(&self, server: &str) -> Option<i64> {
        self.switch_off
            .iter()
            .rev()
            .find(|(s, _)| s == server)
            .map(|(_, t)| *t)
    }

    /// The remote pool size: as given, or scaled with the corpus size.
    pub fn remote_count(&self) -> usize {
        self.remotes.unwrap_or((self.size / 12_500) as usize).max(1)
    }
}

/// Sessions open at once on a busy FrontEnd: rows of about a dozen
/// sessions interleave in its receive log.
pub const DEFAULT_CONCURRENCY: usize = 12;

/// Days of the readiness window exlog uses by default (its
/// `--window-days`): the truth of the coverage and IIS reports is worked
/// out over it.
pub(crate) const WINDOW_DAYS: i64 = 14;

/// Parses sizes such as `64MB`, `1GB`, `1.5GiB`, `4096`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as u64)
}

/// xorshift64*: small, fast and the same on every platform and version.
/// The project's one PRNG: exlog's tests draw their random inputs from it
/// too.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// Stream `stream` of `seed`: streams of one seed are distinct.
    pub fn new(seed: u64, stream: u64) -> Rng {
        // splitmix64 of (seed, stream): distinct, non-zero states.
        let mut z = seed
            .wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    /// The next 64 random bits. (Not an `Iterator`: it never ends, and
    /// `next` reads as in every PRNG.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (`n` below 2^32).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    /// A delay between two rows, in ms.
    fn gap(&mut self, (lo, hi): (u64, u64)) -> u64 {
        self.range(lo, hi)
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------- suites

/// A cipher suite as Schannel prints it, with the report's names.
#[derive(Clone, Copy)]
struct Suite {
    cipher: (&'static str, &'static str, u32),
    hash: (&'static str, &'static str, u32),
    kx: (&'static str, &'static str, u32),
}

const fn suite(
    cipher: (&'static str, &'static str, u32),
    hash: (&'static str, &'static str, u32),
    kx: (&'static str, &'static str, u32),
) -> Suite {
    Suite { cipher, hash, kx }
}

const AES128: (&str, &str, u32) = ("CALG_AES_128", "AES-128", 128);
const AES256: (&str, &str, u32) = ("CALG_AES_256", "AES-256", 256);
const DES3: (&str, &str, u32) = ("CALG_3DES", "3DES", 168);
const RC4: (&str, &str, u32) = ("CALG_RC4", "RC4", 128);
const SHA1: (&str, &str, u32) = ("CALG_SHA1", "SHA-1", 160);
const MD5: (&str, &str, u32) = ("CALG_MD5", "MD5", 128);
const ECDHE_NEW: &str = "CALG_ECDH_EPHEM";
const ECDHE_OLD: &str = "CALG_ECDHE";

/// TLS 1.2 suites: GCM (hash strength 0) first, then CBC.
const TLS12: [Suite; 4] = [
    suite(AES256, ("CALG_SHA_384", "SHA-384", 0), ("", "ECDHE", 384)),
    suite(AES128, ("CALG_SHA_256", "SHA-256", 0), ("", "ECDHE", 256)),
    suite(AES256, ("CALG_SHA_384", "SHA-384", 384), ("", "ECDHE", 384)),
    suite(
        AES128,
        ("CALG_SHA_256", "SHA-256", 256),
        ("CALG_DH_EPHEM", "DHE", 2048),
    ),
];
const TLS13: [Suite; 2] = [
    suite(AES256, ("CALG_SHA_384", "SHA-384", 0), ("", "ECDHE", 384)),
    suite(AES128, ("CALG_SHA_256", "SHA-256", 0), ("", "ECDHE", 256)),
];
const LEGACY: [Suite; 3] = [
    suite(AES256, SHA1, ("", "ECDHE", 256)),
    suite(AES128, SHA1, ("CALG_RSA_KEYX", "RSA", 2048)),
    suite(DES3, SHA1, ("CALG_RSA_KEYX", "RSA", 2048)),
];
const SSL3: [Suite; 1] = [suite(RC4, MD5, ("CALG_RSA_KEYX", "RSA", 1024))];

const VERSION_LABELS: [&str; 7] = [
    "SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other",
];

/// What a remote does when it talks to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    /// Index into `VERSION_LABELS`.
    Version(usize),
    Plain,
}

fn draw_profile(rng: &mut Rng) -> Tls {
    match rng.below(1000) {
        0..=779 => Tls::Version(4),
        780..=859 => Tls::Version(5),
        860..=919 => Tls::Version(2),
        920..=949 => Tls::Version(3),
        950..=954 => Tls::Version(1),
        _ => Tls::Plain,
    }
}

const FAIL_RECEIVE: [&str; 4] = [
    "AlgorithmMismatch",
    "IllegalMessage",
    "SocketError",
    "IncompleteMessage",
];
const FAIL_SEND: [&str; 3] = ["UnknownCredentials", "NoCredentials", "SocketError"];

// ----------------------------------------------------------------- truth

type Counts = [u64; 8]; // 7 versions, then failed

/// Sessions, plaintext sessions, and EHLO names as written with their uses.
type RemoteSessions = (u64, u64, BTreeMap<Vec<u8>, u64>);

/// What the generator wrote, as exlog's reports would show it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Truth {
    connector: BTreeMap<(u8, String), Counts>,
    remote: BTreeMap<(u8, String), (Counts, String, String)>,
    cipher: BTreeMap<(u8, &'static str, [String; 6]), u64>,
    /// (direction, server, connector, remote IP, error).
    failure: BTreeMap<(u8, String, String, String, String), u64>,
    /// Per connector: sessions, plaintext sessions.
    connector_sessions: BTreeMap<(u8, String), (u64, u64)>,
    /// Per remote: sessions, plaintext sessions, EHLO names as written.
    remote_sessions: BTreeMap<(u8, String), RemoteSessions>,
    /// Per (UTC day, direction): 7 versions, failed, plaintext.
    day: BTreeMap<(String, u8), [u64; 9]>,
    /// Sessions by kind: tls, failed, plaintext.
    sessions: [u64; 3],
    /// How many rows lie between consecutive rows of one session (index =
    /// distance, capped): the interleaving a scanner has to cope with.
    distances: Vec<u64>,
    /// Per (direction, server): first and last record (ms).
    records: BTreeMap<(u8, String), (i64, i64)>,
    /// Per (server, direction, connector): what the readiness report
    /// weighs, each with its time.
    evidence: BTreeMap<(String, u8, String), Evidence>,
    /// Per (server, direction): the UTC days (since 1970) of the rows
    /// written; each direction is one service folder (receive: FrontEnd,
    /// send: Hub).
    days: BTreeMap<(String, u8), BTreeSet<i64>>,
    /// Every session as the impact and fallout rules see it.
    book: Book,
    /// The servers, in index order (their inventory depends on it).
    pub servers: Vec<String>,
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
}

/// The times readiness counts by, for one connector of one server.
#[derive(Debug, Default, Clone, PartialEq)]
struct Evidence {
    /// Session starts, and whether the session was plaintext.
    sessions: Vec<(i64, bool)>,
    /// Negotiations: time and version index (`None`: failed).
    negotiations: Vec<(i64, Option<usize>)>,
    /// Sessions below TLS 1.2: the time of the last such negotiation, the
    /// remote IP and the session's impact class by rules 1 and 2.
    legacy: Vec<(i64, String, Impact)>,
}

/// The version indexes below TLS 1.2 (SSL 2, SSL 3, TLS 1.0, TLS 1.1).
fn is_legacy(v: usize) -> bool {
    v < 4
}

const DAY_MS: i64 = 86_400_000;

fn dir_label(d: u8) -> &'static str {
    if d == 0 { "receive" } else { "send" }
}

impl Truth {
    fn merge(&mut self, other: Truth) {
        for (k, v) in other.connector {
            let e = self.connector.entry(k).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        for (k, (v, first, last)) in other.remote {
            match self.remote.get_mut(&k) {
                Some(e) => {
                    for (a, b) in e.0.iter_mut().zip(v) {
                        *a += b;
                    }
                    if first < e.1 {
                        e.1 = first;
                    }
                    if last > e.2 {
                        e.2 = last;
                    }
                }
                None => {
                    self.remote.insert(k, (v, first, last));
                }
            }
        }
        for (k, v) in other.cipher {
            *self.cipher.entry(k).or_default() += v;
        }
        for (k, v) in other.failure {
            *self.failure.entry(k).or_default() += v;
        }
        for (k, v) in other.connector_sessions {
            let e = self.connector_sessions.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in other.remote_sessions {
            let e = self.remote_sessions.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
            for (name, n) in v.2 {
                *e.2.entry(name).or_default() += n;
            }
        }
        for (k, v) in other.day {
            let e = self.day.entry(k).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        for (a, b) in self.sessions.iter_mut().zip(other.sessions) {
            *a += b;
        }
        if self.distances.len() < other.distances.len() {
            self.distances.resize(other.distances.len(), 0);
        }
        for (a, b) in self.distances.iter_mut().zip(other.distances) {
            *a += b;
        }
        for (k, (a, b)) in other.records {
            let e = self.records.entry(k).or_insert((a, b));
            e.0 = e.0.min(a);
            e.1 = e.1.max(b);
        }
        for (k, v) in other.days {
            self.days.entry(k).or_default().extend(v);
        }
        for (k, v) in other.evidence {
            let e = self.evidence.entry(k).or_default();
            e.sessions.extend(v.sessions);
            e.negotiations.extend(v.negotiations);
            e.legacy.extend(v.legacy);
        }
        self.book.merge(other.book);
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
    }

    /// What one session of `server` leaves for the readiness and server
    /// reports: its rows' times, its start, its negotiations.
    fn evidence(&mut self, d: u8, server: &str, connector: &str, s: &Session, seen: &Seen) {
        let plain = seen.plaintext;
        let (first, last) = s
            .rows
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), r| (a.min(r.t), b.max(r.t)));
        let e = self
            .records
            .entry((d, server.to_string()))
            .or_insert((first, last));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
        let ev = self
            .evidence
            .entry((server.to_string(), d, connector.to_string()))
            .or_default();
        ev.sessions.push((s.rows[0].t, plain));
        let mut last_legacy = None;
        for r in &s.rows {
            match r.tls {
                Some(Outcome::Success(v, _)) => {
                    ev.negotiations.push((r.t, Some(v)));
                    if is_legacy(v) {
                        last_legacy = last_legacy.max(Some(r.t));
                    }
                }
                Some(Outcome::Failure(_)) => ev.negotiations.push((r.t, None)),
                None => {}
            }
        }
        if let Some(t) = last_legacy {
            ev.legacy.push((t, s.remote_ip.clone(), seen.base()));
        }
        let key = (
            d,
            server.to_string(),
            connector.to_string(),
            s.remote_ip.clone(),
        );
        self.book.add(key, seen);
    }

    /// The server report: per direction and server, from the connectors'
    /// evidence.
    fn servers_json(&self) -> Vec<Value> {
        let mut rows: BTreeMap<(u8, &str), ([u64; 8], u64, u64)> = BTreeMap::new();
        for ((server, d, _), ev) in &self.evidence {
            let r = rows.entry((*d, server.as_str())).or_default();
            for (_, v) in &ev.negotiations {
                r.0[v.unwrap_or(7)] += 1;
            }
            r.1 += ev.sessions.iter().filter(|s| s.1).count() as u64;
            r.2 += ev.sessions.len() as u64;
        }
        rows.into_iter()
            .map(|((d, server), (c, plain, sessions))| {
                let mut o = Map::new();
                o.insert("direction".into(), json!(dir_label(d)));
                o.insert("server".into(), json!(server));
                for (label, n) in VERSION_LABELS.iter().zip(c) {
                    o.insert(label.to_string(), json!(n));
                }
                o.insert("failed".into(), json!(c[7]));
                o.insert("total".into(), json!(c.iter().sum::<u64>()));
                o.insert("plaintext".into(), json!(plain));
                o.insert("sessions".into(), json!(sessions));
                let (a, b) = self.records[&(d, server.to_string())];
                o.insert("first_record".into(), json!(stamp_text(a)));
                o.insert("last_record".into(), json!(stamp_text(b)));
                Value::Object(o)
            })
            .collect()
    }

    fn tls_row(
        &mut self,
        d: u8,
        server: &str,
        connector: &str,
        ip: &str,
        stamp: &str,
        outcome: Outcome,
    ) {
        let slot = match outcome {
            Outcome::Success(v, _) => v,
            Outcome::Failure(_) => 7,
        };
        self.connector
            .entry((d, connector.to_string()))
            .or_default()[slot] += 1;
        let r = self
            .remote
            .entry((d, ip.to_string()))
            .or_insert_with(|| ([0; 8], stamp.to_string(), stamp.to_string()));
        r.0[slot] += 1;
        self.day.entry((stamp[..10].to_string(), d)).or_default()[slot] += 1;
        if stamp < r.1.as_str() {
            r.1 = stamp.to_string();
        }
        if stamp > r.2.as_str() {
            r.2 = stamp.to_string();
        }
        match outcome {
            Outcome::Success(v, s) => {
                let key = [
                    s.cipher.1.to_string(),
                    s.cipher.2.to_string(),
                    s.hash.1.to_string(),
                    s.hash.2.to_string(),
                    s.kx.1.to_string(),
                    s.kx.2.to_string(),
                ];
                *self.cipher.entry((d, VERSION_LABELS[v], key)).or_default() += 1;
            }
            Outcome::Failure(err) => {
                *self
                    .failure
                    .entry((d, server.into(), connector.into(), ip.into(), err.into()))
                    .or_default() += 1;
            }
        }
    }

    /// Counts one session (all generated sessions are complete).
    fn session(&mut self, d: u8, connector: &str, ip: &str, ehlo: &[u8], plain: bool, start: &str) {
        let c = self
            .connector_sessions
            .entry((d, connector.to_string()))
            .or_default();
        c.0 += 1;
        c.1 += u64::from(plain);
        let r = self.remote_sessions.entry((d, ip.to_string())).or_default();
        r.0 += 1;
        r.1 += u64::from(plain);
        *r.2.entry(ehlo.to_vec()).or_default() += 1;
        self.day.entry((start[..10].to_string(), d)).or_default()[8] += u64::from(plain);
    }

    fn see_distance(&mut self, rows: u64) {
        let i = rows.min(MAX_DISTANCE) as usize;
        if self.distances.len() <= i {
            self.distances.resize(i + 1, 0);
        }
        self.distances[i] += 1;
    }

    /// Median distance (in rows of the same file stream) between two
    /// consecutive rows of one session: 1 means sessions never interleave.
    pub fn median_row_distance(&self) -> u64 {
        let n: u64 = self.distances.iter().sum();
        let mut seen = 0;
        for (d, &k) in self.distances.iter().enumerate() {
            seen += k;
            if seen * 2 >= n {
                return d as u64;
            }
        }
        0
    }

    /// Distinct remote IPs, over both directions.
    pub fn distinct_remotes(&self) -> usize {
        let mut ips: Vec<&str> = self
            .remote
            .keys()
            .chain(self.remote_sessions.keys())
            .map(|(_, ip)| ip.as_str())
            .collect();
        ips.sort_unstable();
        ips.dedup();
        ips.len()
    }

    /// The remote's most used EHLO name (per direction, over every server
    /// and connector); ties go to the smallest bytes.
    fn top_ehlo(&self, k: &(u8, String)) -> Vec<u8> {
        self.remote_sessions
            .get(k)
            .and_then(|(_, _, names)| {
                names
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            })
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// `"fallout"` and `"switch"`: see [`Truth::to_json`].
    fn fallout_json(&self) -> (Vec<Value>, Vec<Value>) {
        let rows = fallout::rows(&self.book, |k, base| {
            self.book.impact(&self.servers, k, base)
        });
        let json = rows
            .iter()
            .map(|r| r.to_json(&self.top_ehlo(&(r.key.0, r.key.3.clone()))))
            .collect();
        (json, fallout::switch_json(&self.book, &rows))
    }

    /// The reports in exlog's JSON shape, plus totals. Besides exlog's
    /// report names (`connector`, `remote`, `cipher`, `failure`, `day`,
    /// `server`, `readiness`, `coverage`), issue 25's:
    ///
    /// - `legacy`: one object per `--by legacy` row, in the report's order
    ///   (impact, then legacy+weak sessions descending, legacy descending,
    ///   key), with the keys `direction`, `server`, `connector`,
    ///   `remote_ip`, `legacy_sessions`, `weak_cipher_sessions`, `impact`,
    ///   `auth_users`, `senders`, `certificate_subject` (the last three
    ///   as the report writes them: `a;b;c;d;e;+N more`, empty if none).
    /// - `readiness` rows (server and connector scope) gain
    ///   `internal_remotes`, `client_remotes`, `tls_required_remotes`,
    ///   `opportunistic_remotes` after `legacy_remotes`.
    /// - `fallout`: one object per `--by fallout` row (no `--since`),
    ///   sorted by direction, server, connector, remote IP, with every
    ///   column: `direction`, `server`, `connector`, `remote_ip`, `ehlo`
    ///   (plus `ehlo_hex` when not UTF-8, as in `remote`), `impact`,
    ///   `last_legacy` (empty when none), `first_failure`, `last_failure`,
    ///   `failures`, `errors`, `outcome`, `plaintext_sessions_after`,
    ///   `modern_sessions_after`, `last_seen`. Times are session starts
    ///   as `yyyy-MM-ddTHH:mm:ss.fffZ` (as `first_record`, `window_from`).
    /// - `switch`: per server with a switch, `server`, `switch_day`
    ///   (`yyyy-MM-dd`), `first_failure` (the failed session that shows
    ///   it) and `outcomes` (rows of each outcome in its period).
    ///
    /// Impact classes assume exlog reads the inventory the generator
    /// writes (`inventory/`, found among the paths).
    pub fn to_json(&self) -> Value {
        let counts = |obj: &mut Map<String, Value>, c: &Counts| {
            for (label, n) in VERSION_LABELS.iter().zip(c) {
                obj.insert(label.to_string(), json!(n));
            }
            obj.insert("failed".into(), json!(c[7]));
            obj.insert("total".into(), json!(c.iter().sum::<u64>()));
        };
        let connector: Vec<Value> = union_keys(&self.connector, &self.connector_sessions)
            .into_iter()
            .map(|k| {
                let mut o = Map::new();
                o.insert("direction".into(), json!(dir_label(k.0)));
                o.insert("connector".into(), json!(k.1));
                counts(&mut o, &self.connector.get(k).copied().unwrap_or_default());
                o.insert(
                    "plaintext".into(),
                    json!(self.connector_sessions.get(k).map_or(0, |c| c.1)),
                );
                Value::Object(o)
            })
            .collect();
        // Remote keys sort as exlog does: by the IP's bytes.
        let remote: Vec<Value> = union_keys(&self.remote, &self.remote_sessions)
            .into_iter()
            .map(|k| {
                let mut o = Map::new();
                o.insert("direction".into(), json!(dir_label(k.0)));
                o.insert("remote_ip".into(), json!(k.1));
                let (c, first, last) = self.remote.get(k).cloned().unwrap_or_default();
                counts(&mut o, &c);
                o.insert("first_seen".into(), json!(first));
                o.insert("last_seen".into(), json!(last));
                let (sessions, plain, _) = self.remote_sessions.get(k).cloned().unwrap_or_default();
                let top = self.top_ehlo(k);
                o.insert("plaintext".into(), json!(plain));
                o.insert("sessions".into(), json!(sessions));
                o.insert("ehlo".into(), json!(String::from_utf8_lossy(&top)));
                // exlog keeps invalid UTF-8 exact in JSON, as hex.
                if std::str::from_utf8(&top).is_err() {
                    let hex: String = top.iter().map(|x| format!("{x:02x}")).collect();
                    o.insert("ehlo_hex".into(), json!(hex));
                }
                Value::Object(o)
            })
            .collect();
        let day: Vec<Value> = self
            .day
            .iter()
            .map(|((date, d), c)| {
                let mut o = Map::new();
                o.insert("date".into(), json!(date));
                o.insert("direction".into(), json!(dir_label(*d)));
                for (label, n) in VERSION_LABELS.iter().zip(c) {
                    o.insert(label.to_string(), json!(n));
                }
                o.insert("failed".into(), json!(c[7]));
                o.insert("plaintext".into(), json!(c[8]));
                // Negotiations only, as in exlog's other reports.
                o.insert("total".into(), json!(c[..8].iter().sum::<u64>()));
                // Every record is stamped within its file's own time.
                o.insert("clock_skew".into(), json!(false));
                Value::Object(o)
            })
            .collect();
        let cipher: Vec<Value> = self
            .cipher
            .iter()
            .map(|((d, v, [c, cb, h, hb, k, kb]), n)| {
                let num = |s: &String| json!(s.parse::<u64>().expect("generated bits"));
                json!({
                    "direction": dir_label(*d), "tls_version": v,
                    "cipher": c, "cipher_bits": num(cb), "hash": h, "hash_bits": num(hb),
                    "key_exchange": k, "key_exchange_bits": num(kb), "sessions": n,
                })
            })
            .collect();
        let failure: Vec<Value> = self
            .failure
            .iter()
            .map(|((d, server, c, ip, e), n)| {
                json!({"direction": dir_label(*d), "server": server, "connector": c, "remote_ip": ip, "error": e, "sessions": n})
            })
            .collect();
        let (fallout, switch) = self.fallout_json();
        json!({
            "totals": {
                "files": self.files, "bytes": self.bytes, "lines": self.lines,
                "sessions_tls": self.sessions[0], "sessions_failed": self.sessions[1],
                "sessions_plaintext": self.sessions[2],
            },
            "shape": {
                "median_row_distance": self.median_row_distance(),
                "distinct_remotes": self.distinct_remotes(),
            },
            "connector": connector,
            "remote": remote,
            "cipher": cipher,
            "failure": failure,
            "day": day,
            "server": self.servers_json(),
            "readiness": self.readiness_json(),
            "coverage": self.coverage_json(),
            "legacy": self.book.legacy_json(&self.servers),
            "fallout": fallout,
            "switch": switch,
        })
    }
}

/// Keys in either map, sorted: a row for TLS counts, sessions, or both.
fn union_keys<'a, K: Ord, A, B>(a: &'a BTreeMap<K, A>, b: &'a BTreeMap<K, B>) -> Vec<&'a K> {
    let mut keys: Vec<&K> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys
}

#[derive(Clone, Copy)]
enum Outcome {
    Success(usize, Suite),
    Failure(&'static str),
}

// ------------------------------------------------------------------ time

/// [`stamp`] as a string.
fn stamp_text(ms: i64) -> String {
    let mut v = Vec::with_capacity(24);
    stamp(ms, &mut v);
    String::from_utf8(v).expect("ascii")
}

/// `yyyy-MM-ddTHH:mm:ss.fffZ` for `ms` since the epoch.
fn stamp(ms: i64, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s) = civil(ms);
    let f = ms.rem_euclid(1000);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}Z");
}

fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60)
}

/// `Mon, 04 Mar 2024 10:00:00 +0000`, as in the 220 banner.
fn rfc2822(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil(ms);
    let wd = DAYS[ms.div_euclid(86_400_000).rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} +0000",
        MONTHS[mo as usize - 1]
    )
}

// -------------------------------------------------------------- sessions

/// One row of a session, before it is written.
struct Row {
    t: i64,
    event: u8,
    data: Cow<'static, [u8]>,
    context: Cow<'static, str>,
    /// Send rows before the connect have an empty local endpoint.
    no_local: bool,
    tls: Option<Outcome>,
}

struct Session {
    connector: usize,
    sid: u64,
    /// What exlog should report as EHLO: the client's name (receive) or
    /// the remote's banner host (send), as bytes written.
    ehlo: Vec<u8>,
    local: String,
    remote: String,
    remote_ip: String,
    rows: Vec<Row>,
    next: usize,
    /// Index (in the stream) of the row written last, for the distances.
    last_row: u64,
    facts: Facts,
}

/// Builds the rows of one session; times advance a few ms to seconds.
struct Builder {
    t: i64,
    rows: Vec<Row>,
}

impl Builder {
    fn row(
        &mut self,
        gap_ms: u64,
        event: u8,
        data: impl Into<Cow<'static, [u8]>>,
        context: impl Into<Cow<'static, str>>,
    ) {
        self.t += gap_ms as i64;
        self.rows.push(Row {
            t: self.t,
            event,
            data: data.into(),
            context: context.into(),
            no_local: false,
            tls: None,
        });
    }
    fn text(&mut self, gap_ms: u64, event: u8, data: String) {
        self.row(gap_ms, event, data.into_bytes(), "");
    }
    fn info(&mut self, data: impl Into<Cow<'static, [u8]>>, context: impl Into<Cow<'static, str>>) {
        self.rows.push(Row {
            t: self.t,
            event: b'*',
            data: data.into(),
            context: context.into(),
            no_local: false,
            tls: None,
        });
    }
}

impl Builder {
    /// A failed negotiation and the dropped connection after it; a peer
    /// that offered only old versions may reset it first (`switched`).
    fn tls_failure(&mut self, rng: &mut Rng, err: &'static str, switched: bool) {
        let context = format!("TLS negotiation failed with error {err}");
        self.row(rng.gap(NET), b'*', &b""[..], context);
        self.rows.last_mut().expect("row").tls = Some(Outcome::Failure(err));
        let end = if switched && rng.chance(500) {
            "Remote(SocketError)"
        } else {
            "DroppedSession"
        };
        self.row(rng.gap(FAST), b'-', &b""[..], end);
    }

    /// A successful negotiation of `version` (index into `VERSION_LABELS`).
    fn tls_success(&mut self, rng: &mut Rng, version: usize, server: bool, old_names: bool) {
        let (text, outcome) = negotiate(rng, version, server, old_names);
        self.row(rng.gap(NET), b'*', &b""[..], text);
        self.rows.last_mut().expect("row").tls = Some(outcome);
    }
}

const FAST: (u64, u64) = (0, 3);
const NET: (u64, u64) = (5, 400);
const SLOW: (u64, u64) = (50, 2500);

fn hex(rng: &mut Rng, digits: usize) -> String {
    let mut s = String::with_capacity(digits);
    while s.len() < digits {
        s.push_str(&format!("{:016X}", rng.next()));
    }
    s.truncate(digits);
    s
}

fn certificate(
    b: &mut Builder,
    rng: &mut Rng,
    single_row: bool,
    kind: &'static str,
    subject: &str,
    issuer: &str,
    sans: &str,
) {
    let serial = hex(rng, 32);
    let thumb = hex(rng, 40);
    if single_row {
        let data = format!(
            " {subject} {issuer} {serial} {thumb} 2023-06-01T00:00:00.000Z 2025-06-01T00:00:00.000Z {sans}"
        );
        let ctx = format!(
            "{kind} Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names"
        );
        b.info(data.into_bytes(), ctx);
    } else {
        b.info(&b""[..], kind);
        b.info(subject.as_bytes().to_vec(), "Certificate subject");
        b.info(issuer.as_bytes().to_vec(), "Certificate issuer name");
        b.info(serial.into_bytes(), "Certificate serial number");
        b.info(thumb.into_bytes(), "Certificate thumbprint");
        b.info(sans.as_bytes().to_vec(), "Certificate alternate names");
    }
}

/// The `TLS protocol …` context and its outcome.
fn negotiate(rng: &mut Rng, version: usize, server: bool, old_names: bool) -> (String, Outcome) {
    let s = *match version {
        5 => rng.pick(&TLS13),
        4 => rng.pick(&TLS12),
        2 | 3 => rng.pick(&LEGACY),
        _ => rng.pick(&SSL3),
    };
    let role = if server { "SERVER" } else { "CLIENT" };
    let protocol = match version {
        // Builds that do not name TLS 1.3 print the SchannelProtocols value.
        5 if rng.chance(500) => (if server { "4096" } else { "8192" }).to_string(),
        5 => format!("SP_PROT_TLS1_3_{role}"),
        4 => format!("SP_PROT_TLS1_2_{role}"),
        3 => format!("SP_PROT_TLS1_1_{role}"),
        2 => format!("SP_PROT_TLS1_0_{role}"),
        _ => format!("SP_PROT_SSL3_{role}"),
    };
    let kx = if s.kx.0.is_empty() {
        if old_names { ECDHE_OLD } else { ECDHE_NEW }
    } else {
        s.kx.0
    };
    let text = format!(
        "TLS protocol {protocol} negotiation succeeded using bulk encryption algorithm {} with strength {} bits, MAC hash algorithm {} with strength {} bits and key exchange algorithm {kx} with strength {} bits",
        s.cipher.0, s.cipher.2, s.hash.0, s.hash.2, s.kx.2
    );
    (text, Outcome::Success(version, s))
}

// ------------------------------------------------------------- the world

struct Remote {
    ip: String,
    endpoint_host: String,
    name: Vec<u8>,
    profile: Tls,
    /// Per mille of sessions whose negotiation fails.
    fail: u64,
}

fn remote_pool(rng: &mut Rng, n: usize, internal: bool) -> Vec<Remote> {
    (0..n)
        .map(|i| {
            let v6 = !internal && rng.chance(50);
            let ip = if internal {
                format!(
                    "10.{}.{}.{}",
                    20 + rng.below(4),
                    rng.below(256),
                    1 + rng.below(254)
                )
            } else if v6 {
                format!("2001:db8:{:x}::{:x}", rng.below(4096), 1 + rng.below(65535))
            } else {
                format!(
                    "{}.{}.{}.{}",
                    1 + rng.below(223),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                )
            };
            let endpoint_host = if v6 { format!("[{ip}]") } else { ip.clone() };
            let mut name = if internal {
                format!("DEVICE-{i:04}").into_bytes()
            } else {
                format!("mail{}.example{}.net", rng.below(9), i).into_bytes()
            };
            // A few peers send 8-bit EHLO names: raw bytes, not UTF-8.
            if rng.chance(5) {
                name.extend_from_slice(b"-caf\xe9");
            }
            let profile = if internal && rng.chance(400) {
                if rng.chance(500) {
                    Tls::Plain
                } else {
                    Tls::Version(2)
                }
            } else {
                draw_profile(rng)
            };
            let fail = if rng.chance(30) { 300 } else { 3 };
            Remote {
                ip,
                endpoint_host,
                name,
                profile,
                fail,
            }
        })
        .collect()
}

/// A remote from a pool (its index), as a busy server sees them: a few
/// hosts send much of the mail, and a long tail connects once or twice.
fn pick_remote(rng: &mut Rng, pool: &[Remote]) -> usize {
    if rng.chance(300) {
        rng.below(pool.len().div_ceil(50) as u64) as usize
    } else {
        rng.below(pool.len() as u64) as usize
    }
}

/// A device or application that submits on 587 with its own account: a
/// stable IP and name, one user, its few sender addresses.
struct Device {
    remote: Remote,
    user: &'static str,
    senders: &'static [&'static str],
    /// The client certificate it presents, if any.
    certificate: Option<&'static str>,
}

/// The submitting devices (the same for every seed): most below TLS 1.2,
/// one with more than five senders, one with a client certificate.
fn devices() -> Vec<Device> {
    let device = |ip, name, v, user, senders, certificate| Device {
        remote: fixed_remote(ip, name, Tls::Version(v)),
        user,
        senders,
        certificate,
    };
    const ERP: &[&str] = &[
        "invoices@contoso.com",
        "orders@contoso.com",
        "ap@contoso.com",
        "ar@contoso.com",
        "payroll@contoso.com",
        "purchasing@contoso.com",
        "reminders@contoso.com",
        "statements@contoso.com",
    ];
    vec![
        device(
            "10.30.3.15",
            "SCAN-3RDFLOOR",
            2,
            "CONTOSO\\scan-3rdfloor",
            &["scan-3rdfloor@contoso.com"],
            None,
        ),
        device(
            "10.30.1.40",
            "MFP-LOBBY",
            3,
            "CONTOSO\\mfp-lobby",
            &["mfp-lobby@contoso.com", "reception@contoso.com"],
            None,
        ),
        device(
            "10.30.0.7",
            "APP-ERP01",
            2,
            "CONTOSO\\svc-erp",
            ERP,
            Some("CN=app-erp01.contoso.com"),
        ),
        device(
            "10.30.4.9",
            "UPS-MONITOR",
            1,
            "CONTOSO\\svc-ups",
            &["ups-alerts@contoso.com"],
            None,
        ),
        device(
            "10.30.2.15",
            "SCAN-2NDFLOOR",
            2,
            "CONTOSO\\scan-2ndfloor",
            &["scan-2ndfloor@contoso.com", "scans@contoso.com"],
            None,
        ),
        device(
            "10.30.0.12",
            "CRM-WEB02",
            4,
            "CONTOSO\\svc-crm",
            &["crm@contoso.com", "newsletter@contoso.com"],
            None,
        ),
    ]
}

/// A remote that never fails by chance.
fn fixed_remote(ip: &str, name: &str, profile: Tls) -> Remote {
    Remote {
        ip: ip.to_string(),
        endpoint_host: ip.to_string(),
        name: name.as_bytes().to_vec(),
        profile,
        fail: 0,
    }
}

/// Who a session is with (an index into its pool where there is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// Receive, on `Default Frontend`.
    Internet(usize),
    /// Receive, from an internal host on `Client Frontend` (connector 1)
    /// or on the relay (2).
    Internal(usize, usize),
    /// Receive, on `Client Frontend`.
    Device(usize),
    /// Receive, on the relay: a scanner first seen after a switch-off.
    Newcomer,
    /// Send, on `Outbound to Internet`.
    Mx(usize),
    /// Send, on `Outbound to Office 365`.
    O365(usize),
    /// Send, on the intra-organization connector to another generated
    /// server (its index), or to the old Exchange 2010 server.
    Peer(usize),
    OldExchange,
}

struct Server {
    name: String,
    ip: String,
    single_row: bool,
    old_names: bool,
    receive_connectors: Vec<String>,
    /// Per receive connector: the inventory's `RequireTLS`.
    receive_required: Vec<bool>,
    send_connectors: Vec<String>,
    setup: inventory::Setup,
}

impl Server {
    /// Whether the inventory says the connector (index on its side)
    /// requires TLS: the relay (receive), Office 365 (send).
    fn requires_tls(&self, send: bool, connector: usize) -> bool {
        if send {
            inventory::SEND
                .iter()
                .any(|c| c.name == self.send_connectors[connector] && c.requires_tls())
        } else {
            self.receive_required[connector]
        }
    }

    /// What a remote negotiates with this server: a modern server's peers
    /// all speak TLS 1.2 or later.
    fn tls(&self, profile: Tls) -> Tls {
        match profile {
            Tls::Version(v) if self.setup.modern && is_legacy(v) => Tls::Version(4),
            p => p,
        }
    }
}

fn servers(n: usize) -> Vec<Server> {
    (0..n)
        .map(|i| {
            let name = format!("EX{:02}", i + 1);
            let intra = if i % 4 == 2 {
                "组织内 SMTP 发送连接器".to_string()
            } else {
                "Intra-Organization SMTP Send Connector".to_string()
            };
            let receive_connectors = vec![
                format!("{name}\\Default Frontend {name}"),
                format!("{name}\\Client Frontend {name}"),
                format!("{name}\\{}", inventory::RELAY),
            ];
            let listed = inventory::receive_connectors(i, &name);
            let receive_required = receive_connectors
                .iter()
                .map(|c| listed.iter().any(|r| r.identity() == *c && r.require_tls))
                .collect();
            Server {
                receive_connectors,
                receive_required,
                send_connectors: vec![
                    "Outbound to Internet".into(),
                    "Outbound to Office 365".into(),
                    intra,
                ],
                ip: format!("10.0.0.{}", 11 + i),
                setup: inventory::setup(i),
                single_row: i % 2 == 0,
                old_names: i % 2 == 1,
                name,
            }
        })
        .collect()
}

/// Everything a stream needs to build sessions.
struct World {
    servers: Vec<Server>,
    internet: Vec<Remote>,
    internal: Vec<Remote>,
    o365: Vec<Remote>,
    mx: Vec<Remote>,
    devices: Vec<Device>,
    /// The generated servers as peers of the intra-organization hop.
    peers: Vec<Remote>,
    /// An Exchange 2010 server still in the organization: TLS 1.0 over
    /// X-ANONYMOUSTLS.
    old_exchange: Remote,
    newcomer: Remote,
}

impl World {
    fn new(seed: u64, servers_n: usize, remotes: usize) -> World {
        let mut rng = Rng::new(seed, 0xD00D);
        let mut o365 = remote_pool(&mut rng, 24, false);
        for r in &mut o365 {
            r.profile = Tls::Version(4);
            r.fail = 1;
        }
        let servers = servers(servers_n);
        let peers = servers
            .iter()
            .map(|s| fixed_remote(&s.ip, &format!("{}.contoso.com", s.name), Tls::Version(4)))
            .collect();
        World {
            servers,
            internet: remote_pool(&mut rng, (remotes * 2 / 3).max(1), false),
            internal: remote_pool(&mut rng, 120, true),
            o365,
            mx: remote_pool(&mut rng, (remotes / 3).max(1), false),
            devices: devices(),
            peers,
            old_exchange: fixed_remote("10.0.0.5", "EX2010.contoso.com", Tls::Version(2)),
            newcomer: fixed_remote("10.30.9.9", "SCAN-BASEMENT", Tls::Version(2)),
        }
    }

    /// The connector (index on its side) and the remote of a session.
    fn resolve(&self, who: Who) -> (usize, &Remote) {
        match who {
            Who::Internet(i) => (0, &self.internet[i]),
            Who::Internal(i, c) => (c, &self.internal[i]),
            Who::Device(i) => (1, &self.devices[i].remote),
            Who::Newcomer => (2, &self.newcomer),
            Who::Mx(i) => (0, &self.mx[i]),
            Who::O365(i) => (1, &self.o365[i]),
            Who::Peer(i) => (2, &self.peers[i]),
            Who::OldExchange => (2, &self.old_exchange),
        }
    }

    /// Who the next receive session of server `srv` is with. Client
    /// submission on 587 is written only where `Client Frontend` logs;
    /// elsewhere the logs show port 25 only.
    fn draw_receive(&self, srv: usize, rng: &mut Rng) -> Who {
        let logs_587 = self.servers[srv].setup.client_frontend_logs;
        match rng.below(100) {
            0..=84 => Who::Internet(pick_remote(rng, &self.internet)),
            85..=94 if logs_587 && rng.chance(500) => {
                Who::Device(rng.below(self.devices.len() as u64) as usize)
            }
            85..=94 if logs_587 => Who::Internal(rng.below(self.internal.len() as u64) as usize, 1),
            _ => Who::Internal(rng.below(self.internal.len() as u64) as usize, 2),
        }
    }

    /// Who the next send session (`sid`) of server `srv` is with. A
    /// quarter of the intra-organization hops go to the old server, chosen
    /// by the session id: the draws stay those of corpora without it.
    fn draw_send(&self, srv: usize, rng: &mut Rng, sid: u64) -> Who {
        let n = self.servers.len();
        let peer = (srv + 1 + rng.below(n.max(2) as u64 - 1) as usize) % n;
        match rng.below(100) {
            0..=54 => Who::Mx(pick_remote(rng, &self.mx)),
            55..=84 => Who::O365(rng.below(self.o365.len() as u64) as usize),
            _ if (sid >> 1).is_multiple_of(4) => Who::OldExchange,
            _ => Who::Peer(peer),
        }
    }
}

/// The EHLO capabilities of a FrontEnd receive connector, before TLS and
/// after it.
const CAPS_TLS: &[&str] = &[
    "SIZE 37748736",
    "PIPELINING",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "STARTTLS",
    "X-ANONYMOUSTLS",
    "AUTH NTLM",
    "X-EXPS GSSAPI NTLM",
    "8BITMIME",
    "BINARYMIME",
    "CHUNKING",
    "XRDST",
];
const CAPS_AFTER: &[&str] = &[
    "SIZE 37748736",
    "PIPELINING",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "AUTH NTLM LOGIN",
    "X-EXPS GSSAPI NTLM",
    "8BITMIME",
    "BINARYMIME",
    "CHUNKING",
    "XRDST",
];

/// One receive session being written: who talks to which server.
struct Inbound<'a> {
    s: &'a Server,
    host: String,
    remote: &'a Remote,
    device: Option<&'a Device>,
    ehlo: Vec<u8>,
}

impl Inbound<'_> {
    /// Connect, banner, EHLO and its reply.
    fn greet(&self, rng: &mut Rng, t: i64) -> Builder {
        let mut b = Builder {
            t,
            rows: Vec::with_capacity(40),
        };
        b.row(rng.gap((0, 0)), b'+', &b""[..], "");
        b.info(&b"None"[..], "Set Session Permissions");
        b.text(
            rng.gap(FAST),
            b'>',
            format!(
                "220 {} Microsoft ESMTP MAIL Service ready at {}",
                self.host,
                rfc2822(t)
            ),
        );
        b.row(rng.gap(NET), b'<', self.ehlo.clone(), "");
        self.ehlo_reply(&mut b, rng, CAPS_TLS);
        b
    }

    /// The reply of Exchange 2013 and later: one row per line. (The other
    /// real shape, one row with two spaces after 250, is in the fixtures.)
    fn ehlo_reply(&self, b: &mut Builder, rng: &mut Rng, caps: &[&str]) {
        b.text(
            rng.gap(FAST),
            b'>',
            format!("250-{} Hello [{}]", self.host, self.remote.ip),
        );
        for (k, c) in caps.iter().enumerate() {
            let sep = if k + 1 == caps.len() { ' ' } else { '-' };
            b.text(rng.gap((0, 0)), b'>', format!("250{sep}{c}"));
        }
    }

    /// STARTTLS at version `v`; false if the negotiation failed (the
    /// session is then over): always with `Mode::Fail`, else by chance.
    fn starttls(
        &self,
        b: &mut Builder,
        rng: &mut Rng,
        v: usize,
        mode: Mode,
        facts: &mut Facts,
    ) -> bool {
        let host = &self.host;
        b.row(rng.gap(NET), b'<', &b"STARTTLS"[..], "");
        b.row(rng.gap(FAST), b'>', &b"220 2.0.0 SMTP server ready"[..], "");
        certificate(
            b,
            rng,
            self.s.single_row,
            "Sending certificate",
            &format!("CN={host}"),
            "CN=Contoso-Issuing-CA",
            &format!("{host};mail.contoso.com"),
        );
        let failure = if mode == Mode::Fail {
            Some("AlgorithmMismatch")
        } else if rng.chance(self.remote.fail) {
            Some(*rng.pick(&FAIL_RECEIVE))
        } else {
            None
        };
        if let Some(err) = failure {
            b.tls_failure(rng, err, mode == Mode::Fail);
            return false;
        }
        b.tls_success(rng, v, true, self.s.old_names);
        match self.device.and_then(|d| d.certificate) {
            Some(subject) => {
                certificate(
                    b,
                    rng,
                    false,
                    "Validated received certificate",
                    subject,
                    "CN=Contoso-Issuing-CA",
                    &subject[3..],
                );
                facts.peer_subject = Some(subject.to_string());
            }
            None => {
                b.info(
                    &b""[..],
                    "Client certificate chain validation status: 'EmptyCertificate'",
                );
                b.info(
                    &b""[..],
                    "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'",
                );
            }
        }
        b.row(rng.gap(NET), b'<', self.ehlo.clone(), "");
        self.ehlo_reply(b, rng, CAPS_AFTER);
        true
    }

    /// Without TLS, where the connector refuses to go on in clear: the
    /// relay requires TLS (`530 5.7.0` to MAIL FROM), and 587 takes no
    /// credentials in clear from a device that fell back. True if the
    /// session was refused (and is over).
    fn refused_in_clear(
        &self,
        b: &mut Builder,
        rng: &mut Rng,
        connector: usize,
        mode: Mode,
        facts: &mut Facts,
    ) -> bool {
        if connector == 2 {
            let from = sender(rng, self.device);
            b.text(rng.gap(NET), b'<', format!("MAIL FROM:<{from}>"));
            b.row(
                rng.gap(FAST),
                b'>',
                &b"530 5.7.0 Must issue a STARTTLS command first"[..],
                "",
            );
            facts.senders.push(from);
            facts.required_reply = Some("530 5.7.0");
        } else if mode == Mode::Plain && connector == 1 {
            b.row(rng.gap(NET), b'<', &b"AUTH LOGIN"[..], "");
            b.row(
                rng.gap(FAST),
                b'>',
                &b"504 5.7.4 Unrecognized authentication type"[..],
                "",
            );
        } else {
            return false;
        }
        quit(b, rng);
        true
    }

    /// One to three messages, each to one or two recipients.
    fn messages(&self, b: &mut Builder, rng: &mut Rng, sid: u64, facts: &mut Facts) {
        let host = &self.host;
        for m in 0..rng.range(1, 3) {
            let from = sender(rng, self.device);
            b.text(
                rng.gap(NET),
                b'<',
                format!("MAIL FROM:<{from}> SIZE={}", rng.range(2_000, 900_000)),
            );
            facts.senders.push(from);
            let mut stamp_buf = Vec::new();
            stamp(b.t, &mut stamp_buf);
            b.info(
                format!(
                    "{sid:016X};{};{}",
                    String::from_utf8_lossy(&stamp_buf),
                    m + 1
                )
                .into_bytes(),
                "receiving message",
            );
            b.row(rng.gap(FAST), b'>', &b"250 2.1.0 Sender OK"[..], "");
            for _ in 0..rng.range(1, 2) {
                b.text(
                    rng.gap(NET),
                    b'<',
                    format!("RCPT TO:<user{}@contoso.com>", rng.below(5000)),
                );
                b.row(rng.gap(FAST), b'>', &b"250 2.1.5 Recipient OK"[..], "");
            }
            let size = rng.range(2_000, 900_000);
            b.text(rng.gap(SLOW), b'<', format!("BDAT {size} LAST"));
            b.row(rng.gap(NET), b'*', &b""[..], format!("Proxy destination(s) obtained from OnProxyInboundMessage event. Correlation Id:{}-{}-4{}-8{}-{}", hex(rng, 8).to_lowercase(), hex(rng, 4).to_lowercase(), hex(rng, 3).to_lowercase(), hex(rng, 3).to_lowercase(), hex(rng, 12).to_lowercase()));
            b.text(rng.gap(NET), b'>', format!("250 2.6.0 <{}@{host}> [InternalId={}, Hostname={host}] {size} bytes in 0.{:03}, {},{:03} KB/sec Queued mail for delivery", hex(rng, 32).to_lowercase(), rng.below(1 << 40), rng.below(1000), rng.range(1, 99), rng.below(1000)));
        }
    }
}

/// AUTH LOGIN as `user`, successful.
fn authenticate(b: &mut Builder, rng: &mut Rng, user: &str) {
    b.row(rng.gap(NET), b'<', &b"AUTH LOGIN"[..], "");
    b.row(
        rng.gap(FAST),
        b'>',
        &b"334 <authentication response>"[..],
        "",
    );
    b.row(
        rng.gap(SLOW),
        b'*',
        user.as_bytes().to_vec(),
        "authenticated",
    );
    b.row(
        rng.gap(FAST),
        b'>',
        &b"235 2.7.0 Authentication successful"[..],
        "",
    );
}

fn receive_session(
    w: &World,
    srv: usize,
    rng: &mut Rng,
    t: i64,
    sid: u64,
    who: Who,
    mode: Mode,
) -> Session {
    let s = &w.servers[srv];
    let (connector, remote) = w.resolve(who);
    let port = if connector == 1 { 587 } else { 25 };
    let device = match who {
        Who::Device(i) => Some(&w.devices[i]),
        _ => None,
    };
    let mut ehlo = b"EHLO ".to_vec();
    ehlo.extend_from_slice(&remote.name);
    let inbound = Inbound {
        s,
        host: format!("{}.contoso.com", s.name),
        remote,
        device,
        ehlo,
    };
    let mut facts = Facts {
        submission_port: port == 587,
        ..Facts::default()
    };
    let mut b = inbound.greet(rng, t);
    let tls = match mode {
        Mode::Normal | Mode::Fail => s.tls(remote.profile),
        Mode::Plain => Tls::Plain,
        Mode::Modern => Tls::Version(4),
    };
    let over = match tls {
        Tls::Version(v) => !inbound.starttls(&mut b, rng, v, mode, &mut facts),
        Tls::Plain => inbound.refused_in_clear(&mut b, rng, connector, mode, &mut facts),
    };
    if !over {
        if connector == 1 {
            let user = match (device, who) {
                (Some(d), _) => d.user.to_string(),
                (None, Who::Internal(i, _)) => format!("CONTOSO\\user{}", i * 7 % 500),
                _ => "CONTOSO\\user0".to_string(),
            };
            authenticate(&mut b, rng, &user);
            facts.auth_user = Some(user);
        }
        inbound.messages(&mut b, rng, sid, &mut facts);
        if rng.chance(900) {
            quit(&mut b, rng);
        } else {
            b.row(rng.gap(SLOW), b'-', &b""[..], "Remote(ConnectionReset)");
        }
    }
    finish(
        b,
        connector,
        sid,
        s,
        Listener::Exchange(port),
        remote,
        facts,
    )
}

/// A MAIL FROM address: one of the device's, or an Internet sender's.
fn sender(rng: &mut Rng, device: Option<&Device>) -> String {
    match device {
        Some(d) => rng.pick(d.senders).to_string(),
        None => format!("sender{}@example{}.net", rng.below(90), rng.below(400)),
    }
}

/// QUIT, 221 and the local close of a receive session.
fn quit(b: &mut Builder, rng: &mut Rng) {
    b.row(rng.gap(NET), b'<', &b"QUIT"[..], "");
    b.row(
        rng.gap(FAST),
        b'>',
        &b"221 2.0.0 Service closing transmission channel"[..],
        "",
    );
    b.row(rng.gap(FAST), b'-', &b""[..], "Local");
}

/// Who listens on the well-known port: Exchange (receive) or the remote
/// server (send); the other side uses an ephemeral port.
#[derive(Clone, Copy)]
enum Listener {
    Exchange(u16),
    Remote(u16),
}

fn finish(
    b: Builder,
    connector: usize,
    sid: u64,
    s: &Server,
    listener: Listener,
    remote: &Remote,
    facts: Facts,
) -> Session {
    let ephemeral = 1024 + (sid % 60_000);
    let (local, remote_end, ehlo) = match listener {
        Listener::Exchange(port) => (
            format!("{}:{port}", s.ip),
            format!("{}:{ephemeral}", remote.endpoint_host),
            remote.name.clone(),
        ),
        // The remote's banner host, as the send log writes it.
        Listener::Remote(port) => (
            format!("{}:{ephemeral}", s.ip),
            format!("{}:{port}", remote.endpoint_host),
            String::from_utf8_lossy(&remote.name)
                .into_owned()
                .into_bytes(),
        ),
    };
    Session {
        connector,
        sid,
        ehlo,
        local,
        remote: remote_end,
        remote_ip: remote.ip.clone(),
        rows: b.rows,
        next: 0,
        last_row: 0,
        facts,
    }
}

/// One send session being written: which server sends to whom.
struct Outbound<'a> {
    s: &'a Server,
    host: String,
    remote: &'a Remote,
    /// The remote's banner host, as the send log writes it.
    banner: String,
    /// The intra-organization hop: X-ANONYMOUSTLS, no remote certificate.
    anonymous: bool,
}

impl Outbound<'_> {
    /// Permissions, connect, the remote's banner, EHLO and its reply.
    fn connect(&self, rng: &mut Rng, t: i64, offers_tls: bool) -> Builder {
        let mut b = Builder {
            t,
            rows: Vec::with_capacity(40),
        };
        b.row(
            rng.gap((0, 0)),
            b'*',
            &b"SendRoutingHeaders"[..],
            "Set Session Permissions",
        );
        b.info(&b""[..], "attempting to connect");
        for r in &mut b.rows {
            r.no_local = true;
        }
        b.row(rng.gap(NET), b'+', &b""[..], "");
        b.text(
            rng.gap(SLOW),
            b'<',
            format!(
                "220 {} Microsoft ESMTP MAIL Service ready at {}",
                self.banner,
                rfc2822(b.t)
            ),
        );
        b.text(rng.gap(FAST), b'>', format!("EHLO {}", self.host));
        self.remote_ehlo(&mut b, rng, offers_tls);
        b
    }

    fn remote_ehlo(&self, b: &mut Builder, rng: &mut Rng, with_tls: bool) {
        b.text(
            rng.gap(NET),
            b'<',
            format!("250-{} Hello [{}]", self.banner, self.s.ip),
        );
        let mut caps = vec!["SIZE 157286400", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES"];
        if with_tls {
            caps.push(if self.anonymous {
                "X-ANONYMOUSTLS"
            } else {
                "STARTTLS"
            });
        }
        if self.anonymous && !with_tls {
            caps.push("X-EXPS EXCHANGEAUTH");
        }
        caps.extend(["8BITMIME", "BINARYMIME", "CHUNKING"]);
        let last = caps.len() - 1;
        for (k, c) in caps.iter().enumerate() {
            b.text(
                rng.gap((0, 0)),
                b'<',
                format!("250{}{c}", if k == last { ' ' } else { '-' }),
            );
        }
    }

    /// STARTTLS (or X-ANONYMOUSTLS) at version `v`; false if the
    /// negotiation failed (the session is then over): always with
    /// `Mode::Fail`, else by chance.
    fn starttls(
        &self,
        b: &mut Builder,
        rng: &mut Rng,
        v: usize,
        mode: Mode,
        facts: &mut Facts,
    ) -> bool {
        let verb: &'static [u8] = if self.anonymous {
            b"X-ANONYMOUSTLS"
        } else {
            b"STARTTLS"
        };
        b.row(rng.gap(FAST), b'>', verb, "");
        b.row(rng.gap(NET), b'<', &b"220 2.0.0 SMTP server ready"[..], "");
        let host = &self.host;
        certificate(
            b,
            rng,
            self.s.single_row,
            "Sending certificate",
            &format!("CN={host}"),
            "CN=Contoso-Issuing-CA",
            host,
        );
        let failure = if mode == Mode::Fail {
            Some("AlgorithmMismatch")
        } else if rng.chance(self.remote.fail) {
            Some(*rng.pick(&FAIL_SEND))
        } else {
            None
        };
        if let Some(err) = failure {
            b.tls_failure(rng, err, mode == Mode::Fail);
            return false;
        }
        if !self.anonymous {
            let subject = format!("CN={}", self.banner);
            certificate(
                b,
                rng,
                self.s.single_row,
                "Remote certificate",
                &subject,
                "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1",
                &self.banner,
            );
            facts.peer_subject = Some(subject);
        }
        b.tls_success(rng, v, false, self.s.old_names);
        if self.anonymous {
            b.info(&b""[..], "Received certificate");
            b.info(hex(rng, 40).into_bytes(), "Certificate thumbprint");
        }
        b.text(rng.gap(FAST), b'>', format!("EHLO {host}"));
        self.remote_ehlo(b, rng, false);
        true
    }

    /// One to three messages, then QUIT.
    fn messages(&self, b: &mut Builder, rng: &mut Rng, facts: &mut Facts) {
        let host = &self.host;
        for _ in 0..rng.range(1, 3) {
            let from = format!("user{}@contoso.com", rng.below(5000));
            b.text(
                rng.gap(FAST),
                b'>',
                format!("MAIL FROM:<{from}> SIZE={}", rng.range(2_000, 900_000)),
            );
            facts.senders.push(from);
            b.text(
                rng.gap((0, 0)),
                b'>',
                format!(
                    "RCPT TO:<rcpt{}@{}>",
                    rng.below(900),
                    self.banner.split_once('.').map_or("example.net", |x| x.1)
                ),
            );
            b.row(rng.gap(NET), b'<', &b"250 2.1.0 Sender OK"[..], "");
            b.row(rng.gap((0, 0)), b'<', &b"250 2.1.5 Recipient OK"[..], "");
            b.text(
                rng.gap(FAST),
                b'>',
                format!("BDAT {} LAST", rng.range(2_000, 900_000)),
            );
            b.text(
                rng.gap(SLOW),
                b'<',
                format!(
                    "250 2.6.0 <{}@{host}> Queued mail for delivery",
                    hex(rng, 32).to_lowercase()
                ),
            );
            b.row(
                rng.gap(FAST),
                b'*',
                &b""[..],
                format!(
                    "sending message with RecordId {} and InternetMessageId <{}@{host}>",
                    rng.below(1 << 36),
                    hex(rng, 24).to_lowercase()
                ),
            );
        }
        b.row(rng.gap(FAST), b'>', &b"QUIT"[..], "");
        b.row(
            rng.gap(NET),
            b'<',
            &b"221 2.0.0 Service closing transmission channel"[..],
            "",
        );
        b.row(rng.gap(FAST), b'-', &b""[..], "Local");
    }
}

fn send_session(
    w: &World,
    srv: usize,
    rng: &mut Rng,
    t: i64,
    sid: u64,
    who: Who,
    mode: Mode,
) -> Session {
    let s = &w.servers[srv];
    let (connector, remote) = w.resolve(who);
    let port = if connector == 2 { 2525 } else { 25 };
    let out = Outbound {
        s,
        host: format!("{}.contoso.com", s.name),
        remote,
        banner: String::from_utf8_lossy(&remote.name).into_owned(),
        anonymous: connector == 2,
    };
    let mut facts = Facts {
        internal: connector == 2,
        ..Facts::default()
    };
    let mut b = out.connect(rng, t, s.tls(remote.profile) != Tls::Plain);
    let profile = match mode {
        Mode::Normal | Mode::Fail => s.tls(remote.profile),
        // A fallback: the remote still offers STARTTLS, Exchange skips it.
        Mode::Plain => Tls::Plain,
        Mode::Modern => Tls::Version(4),
    };
    let failed = match profile {
        Tls::Version(v) => !out.starttls(&mut b, rng, v, mode, &mut facts),
        Tls::Plain => false,
    };
    if !failed {
        out.messages(&mut b, rng, &mut facts);
    }
    finish(b, connector, sid, s, Listener::Remote(port), remote, facts)
}

// ---------------------------------------------------------------- output

/// Longest pause between writing two rows of one session, in ms: with
/// `concurrency` sessions open, about that many other rows fall between.
const WRITE_DELAY_MS: u64 = 300;

/// Distances are counted exactly up to here (the median is far below).
const MAX_DISTANCE: u64 = 4096;

const FIELDS: &str = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context";

/// Writes one stream's files, rolling over by hour and by size.
struct FileSet {
    dir: PathBuf,
    prefix: &'static str,
    log_type: &'static str,
    limit: u64,
    file: Option<(i64, u32, BufWriter<File>, u64)>,
    truth: Truth,
}

impl FileSet {
    fn write_row(&mut self, t: i64, line: &[u8], rng: &mut Rng) -> io::Result<()> {
        let hour = t.div_euclid(3_600_000);
        let next = match &self.file {
            Some((h, n, _, bytes)) if *h == hour && *bytes >= self.limit => Some(n + 1),
            Some((h, _, _, _)) if *h == hour => None,
            _ => Some(1),
        };
        if let Some(n) = next {
            if let Some((_, _, mut w, _)) = self.file.take() {
                w.flush()?;
            }
            let (y, mo, d, h, _, _) = civil(t);
            let path = self
                .dir
                .join(format!("{}{y:04}{mo:02}{d:02}{h:02}-{n}.LOG", self.prefix));
            let mut w = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let mut head = b"\xEF\xBB\xBF".to_vec();
            let mut date = Vec::new();
            // #Date is when the file was made: rows queued earlier can predate it.
            stamp(t + rng.range(0, 9000) as i64, &mut date);
            let _ = write!(
                head,
                "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: {}\r\n#Date: {}\r\n#Fields: {FIELDS}\r\n",
                self.log_type,
                String::from_utf8_lossy(&date)
            );
            w.write_all(&head)?;
            self.truth.files += 1;
            self.truth.lines += 5;
            self.truth.bytes += head.len() as u64;
            self.file = Some((hour, n, w, head.len() as u64));
        }
        let (_, _, w, bytes) = self.file.as_mut().expect("opened above");
        w.write_all(line)?;
        *bytes += line.len() as u64;
        self.truth.bytes += line.len() as u64;
        self.truth.lines += 1;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some((_, _, mut w, _)) = self.file.take() {
            w.flush()?;
        }
        Ok(())
    }
}

fn quoted(field: &[u8], out: &mut Vec<u8>) {
    if memchr::memchr2(b',', b'"', field).is_some() {
        out.push(b'"');
        for &c in field {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// Generates one stream (one server, one direction) up to `budget` bytes.
fn stream(cfg: &Config, world: &World, srv: usize, send: bool, budget: u64) -> io::Result<Truth> {
    let server = &world.servers[srv];
    let mut rng = Rng::new(cfg.seed, (srv as u64) * 2 + u64::from(send) + 1);
    let (sub, prefix, log_type) = if send {
        ("Hub/ProtocolLog/SmtpSend", "SEND", "SMTP Send Protocol Log")
    } else {
        (
            "FrontEnd/ProtocolLog/SmtpReceive",
            "RECV",
            "SMTP Receive Protocol Log",
        )
    };
    let dir = cfg
        .out
        .join(&server.name)
        .join("TransportRoles/Logs")
        .join(sub);
    std::fs::create_dir_all(&dir)?;
    let mut files = FileSet {
        dir,
        prefix,
        log_type,
        limit: cfg.file_size,
        file: None,
        truth: Truth::default(),
    };
    let connectors: Vec<Vec<u8>> = (if send {
        &server.send_connectors
    } else {
        &server.receive_connectors
    })
    .iter()
    .map(|c| {
        let mut q = Vec::new();
        quoted(c.as_bytes(), &mut q);
        q
    })
    .collect();
    let connector_names = if send {
        &server.send_connectors
    } else {
        &server.receive_connectors
    };
    // `concurrency` lanes each run one session after another, a short
    // pause apart: that many sessions are open at once, and their rows
    // interleave in time order.
    let base_sid: u64 = 0x08DC_3C00_0000_0000 + ((srv as u64) << 36);
    let mut next_sid = 0u64;
    let lanes = cfg.concurrency.max(1);
    let mut arrivals: BinaryHeap<std::cmp::Reverse<i64>> = (0..lanes)
        .map(|_| std::cmp::Reverse(cfg.start_ms + rng.below(4000) as i64))
        .collect();
    let mut sessions: Vec<Option<Session>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut heap: BinaryHeap<std::cmp::Reverse<(i64, u64, usize)>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut rows_written = 0u64;
    let mut line = Vec::with_capacity(1024);
    let mut ts = Vec::with_capacity(32);
    // The UTC days of the rows written, for coverage.
    let mut days: BTreeSet<i64> = BTreeSet::new();
    let mut last_day = None;
    let mut switch = SwitchState::new(cfg.switch_at(&server.name), cfg.seed, srv);
    loop {
        let arrivals_open = files.truth.bytes < budget;
        let next_arrival = arrivals.peek().map(|a| a.0);
        let take_arrival =
            arrivals_open && next_arrival.is_some_and(|a| heap.peek().is_none_or(|r| a <= r.0.0));
        if take_arrival {
            let next_arrival = arrivals.pop().expect("peeked").0;
            // Receive and send sessions of one transport process share a counter.
            let sid = base_sid + next_sid * 2 + u64::from(send);
            next_sid += 1;
            let s = next_session(world, srv, send, &mut rng, &mut switch, next_arrival, sid);
            let kind = if s
                .rows
                .iter()
                .any(|r| matches!(r.tls, Some(Outcome::Success(..))))
            {
                0
            } else if s.rows.iter().any(|r| r.tls.is_some()) {
                1
            } else {
                2
            };
            files.truth.sessions[kind] += 1;
            let t0 = s.rows[0].t;
            ts.clear();
            stamp(t0, &mut ts);
            let start = String::from_utf8_lossy(&ts).into_owned();
            files.truth.session(
                u8::from(send),
                &connector_names[s.connector],
                &s.remote_ip,
                &s.ehlo,
                kind == 2,
                &start,
            );
            files.truth.evidence(
                u8::from(send),
                &server.name,
                &connector_names[s.connector],
                &s,
                &seen(&s, kind == 2),
            );
            let slot = match free.pop() {
                Some(i) => {
                    sessions[i] = Some(s);
                    i
                }
                None => {
                    sessions.push(Some(s));
                    sessions.len() - 1
                }
            };
            heap.push(std::cmp::Reverse((t0, order, slot)));
            order += 1;
            continue;
        }
        // `due` is when the row is written; `t`, its stamp, is when it was
        // queued (earlier, and in the file only roughly in order).
        let Some(std::cmp::Reverse((due, _, slot))) = heap.pop() else {
            break;
        };
        let s = sessions[slot].as_mut().expect("live session");
        let seq = s.next;
        let row = &s.rows[seq];
        let t = row.t;
        line.clear();
        ts.clear();
        stamp(t, &mut ts);
        line.extend_from_slice(&ts);
        line.push(b',');
        line.extend_from_slice(&connectors[s.connector]);
        let _ = write!(line, ",{:016X},{seq},", s.sid);
        if !row.no_local {
            line.extend_from_slice(s.local.as_bytes());
        }
        line.push(b',');
        line.extend_from_slice(s.remote.as_bytes());
        line.push(b',');
        line.push(row.event);
        line.push(b',');
        quoted(&row.data, &mut line);
        line.push(b',');
        quoted(row.context.as_bytes(), &mut line);
        line.extend_from_slice(b"\r\n");
        if let Some(outcome) = row.tls {
            let stamp_text = std::str::from_utf8(&ts).expect("ascii");
            files.truth.tls_row(
                u8::from(send),
                &server.name,
                &connector_names[s.connector],
                &s.remote_ip,
                stamp_text,
                outcome,
            );
        }
        files.write_row(due, &line, &mut rng)?;
        let day = t.div_euclid(DAY_MS);
        if last_day != Some(day) {
            days.insert(day);
            last_day = Some(day);
        }
        if s.next > 0 {
            files.truth.see_distance(rows_written - s.last_row);
        }
        s.last_row = rows_written;
        rows_written += 1;
        s.next += 1;
        if s.next < s.rows.len() {
            // Exchange queues rows and a timer writes them: rows of the open
            // sessions mix in the file, each session's still in order.
            let due = due.max(s.rows[s.next].t) + rng.range(1, WRITE_DELAY_MS) as i64;
            heap.push(std::cmp::Reverse((due, order, slot)));
            order += 1;
        } else {
            sessions[slot] = None;
            free.push(slot);
            // The lane's next session starts after a short pause.
            let mut next = due + rng.range(1, 400) as i64;
            if let Some(d) = cfg.days {
                next = next.max(paced(
                    cfg.start_ms,
                    d,
                    files.truth.bytes,
                    budget,
                    lanes,
                    &mut rng,
                ));
            }
            arrivals.push(std::cmp::Reverse(next));
        }
    }
    files.close()?;
    files
        .truth
        .days
        .insert((server.name.clone(), u8::from(send)), days);
    Ok(files.truth)
}

/// The session starting at `t`: a retry that is due, or a remote drawn
/// at random; after a switch-off, written as its remote's fate says.
fn next_session(
    world: &World,
    srv: usize,
    send: bool,
    rng: &mut Rng,
    switch: &mut SwitchState<Who>,
    t: i64,
    sid: u64,
) -> Session {
    let server = &world.servers[srv];
    let who = switch.next(t).unwrap_or_else(|| {
        if send {
            world.draw_send(srv, rng, sid)
        } else {
            world.draw_receive(srv, rng)
        }
    });
    let (connector, remote) = world.resolve(who);
    let legacy = matches!(server.tls(remote.profile), Tls::Version(v) if is_legacy(v));
    let required = server.requires_tls(send, connector);
    let mode = switch.mode(t, connector, &remote.ip, legacy, required);
    let s = if send {
        send_session(world, srv, rng, t, sid, who, mode)
    } else {
        receive_session(world, srv, rng, t, sid, who, mode)
    };
    switch.after(mode, t, connector, &remote.ip, who, rng);
    let negotiated_legacy = s
        .rows
        .iter()
        .any(|r| matches!(r.tls, Some(Outcome::Success(v, _)) if is_legacy(v)));
    if switch.note(mode, connector, &remote.ip, who, negotiated_legacy) && !send {
        // Once the first known remote broke, a scanner nobody knew about
        // tries TLS 1.0 too.
        switch.schedule(t + 2 * 3_600_000, Who::Newcomer);
    }
    s
}

/// The session as the impact and fallout rules see it; `plain`: it has
/// no TLS line (every such session sends mail or AUTH).
fn seen(s: &Session, plain: bool) -> Seen {
    let mut out = Seen {
        start: s.rows[0].t,
        plaintext: plain,
        facts: s.facts.clone(),
        ..Seen::default()
    };
    for r in &s.rows {
        match r.tls {
            Some(Outcome::Success(v, suite)) => {
                out.lowest = Some(out.lowest.map_or(v, |l| l.min(v)));
                out.weak |= matches!(suite.cipher.1, "3DES" | "RC4") || suite.hash.1 == "MD5";
            }
            Some(Outcome::Failure(e)) => out.tls_errors.push(e),
            None => {}
        }
    }
    out
}

/// With `--days`: the earliest start of a lane's next session, so that
/// the clock keeps pace with the bytes (`budget` bytes span `days` days),
/// spread at random over the time `lanes` sessions of some 4 KB take.
fn paced(start: i64, days: u32, bytes: u64, budget: u64, lanes: usize, rng: &mut Rng) -> i64 {
    let span = i128::from(days) * i128::from(DAY_MS);
    let budget = i128::from(budget.max(1));
    let pace = start as i128 + i128::from(bytes) * span / budget;
    let spread = (span * lanes as i128 * 4_000 / budget).clamp(1, i128::from(DAY_MS));
    (pace + i128::from(rng.below(spread as u64))) as i64
}

/// Writes the corpus and `truth.json` into `cfg.out`; returns the truth.
pub fn generate(cfg: &Config) -> io::Result<Truth> {
    let servers = cfg.servers.max(1);
    let world = World::new(cfg.seed, servers, cfg.remote_count());
    if let Some((name, _)) = cfg
        .switch_off
        .iter()
        .find(|(n, _)| !world.servers.iter().any(|s| s.name == *n))
    {
        let last = &world.servers[servers - 1].name;
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--switch-off names {name:?}, but the servers are EX01 to {last}"),
        ));
    }
    // Receive logs are the bigger share on a FrontEnd.
    let streams: Vec<(usize, bool, u64)> = (0..servers)
        .flat_map(|s| {
            let per = cfg.size / servers as u64;
            [(s, false, per * 3 / 5), (s, true, per - per * 3 / 5)]
        })
        .collect();
    let parts: Vec<io::Result<Truth>> = streams
        .par_iter()
        .map(|&(srv, send, budget)| stream(cfg, &world, srv, send, budget))
        .collect();
    let mut truth = Truth::default();
    for p in parts {
        truth.merge(p?);
    }
    truth.book.settle();
    truth.servers = world.servers.iter().map(|s| s.name.clone()).collect();
    inventory::write(&cfg.out, &truth.servers)?;
    let mut json = serde_json::to_vec_pretty(&truth.to_json()).map_err(io::Error::other)?;
    json.push(b'\n');
    std::fs::write(cfg.out.join("truth.json"), json)?;
    Ok(truth)
}

/// Where `generate` puts the truth file.
pub fn truth_path(out: &Path) -> PathBuf {
    out.join("truth.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        let mut b = Vec::new();
        stamp(1_709_513_970_123, &mut b);
        assert_eq!(b, b"2024-03-04T00:59:30.123Z");
        b.clear();
        stamp(951_782_400_000, &mut b); // leap day 2000
        assert_eq!(b, b"2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc2822(1_709_513_970_123),
            "Mon, 04 Mar 2024 00:59:30 +0000"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GB"), Some(1_000_000_000));
        assert_eq!(parse_size("64MB"), Some(64_000_000));
        assert_eq!(parse_size("1.5GiB"), Some(1_610_612_736));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn same_seed_same_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let mut cfg = Config::new(a.path(), 400_000);
        cfg.servers = 2;
        let ta = generate(&cfg).unwrap();
        cfg.out = b.path().to_path_buf();
        let tb = generate(&cfg).unwrap();
        assert_eq!(ta, tb);
        let files = |p: &Path| {
            let mut v: Vec<_> = walkdir::WalkDir::new(p)
                .into_iter()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    (
                        e.path().strip_prefix(p).unwrap().to_path_buf(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(files(a.path()), files(b.path()));
        // Sessions open when the budget is reached still end: at most
        // `concurrency` sessions (of some 8 KB) per stream more.
        let slack = 2 * 2 * DEFAULT_CONCURRENCY as u64 * 8_000;
        assert!(
            ta.bytes >= 400_000 && ta.bytes < 400_000 + slack,
            "{}",
            ta.bytes
        );
    }
}
