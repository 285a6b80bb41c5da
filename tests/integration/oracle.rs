//! The parallel, chunked scan must equal a plain sequential reading of
//! every row (here: the csv crate over whole files, an independent parser),
//! and must give the same bytes for any thread count and chunk size.

use crate::util::{exlog_on, write};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The project's PRNG (exlog-gen's), so the corpus is the same on every
/// run.
struct Rng(exlog_gen::Rng);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(exlog_gen::Rng::new(seed, 0))
    }
    fn next(&mut self) -> u64 {
        self.0.next()
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const RECV_CONNECTORS: &[&str] = &[
    "EX01\\Default Frontend EX01",
    "EX01\\Client Frontend EX01",
    "\"EX01\\Relay, \"\"scanners\"\"\"",
];
const SEND_CONNECTORS: &[&str] = &[
    "Outbound to Office 365",
    "组织内 SMTP 发送连接器",
    "\"Partner, Legacy\"",
];
const PROTOCOLS: &[&str] = &[
    "SP_PROT_TLS1_2",
    "SP_PROT_TLS1_2",
    "SP_PROT_TLS1_2",
    "SP_PROT_TLS1_0",
    "SP_PROT_TLS1_1",
    "SP_PROT_SSL3",
    "SP_PROT-TLS1_1",
    "SP_PROT_TLS1_3",
    "NUM",
    "SP_PROT_PCT1",
];
const SUITES: &[(&str, u32, &str, u32, &str, u32)] = &[
    (
        "CALG_AES_256",
        256,
        "CALG_SHA_384",
        0,
        "CALG_ECDH_EPHEM",
        384,
    ),
    ("CALG_AES_128", 128, "CALG_SHA_256", 0, "CALG_ECDHE", 256),
    ("CALG_AES_256", 256, "CALG_SHA1", 160, "CALG_ECDHE", 256),
    ("CALG_3DES", 168, "CALG_SHA1", 160, "CALG_RSA_KEYX", 2048),
    ("CALG_RC4", 128, "CALG_MD5", 128, "CALG_RSA_KEYX", 1024),
];
const ERRORS: &[&str] = &[
    "UnknownCredentials",
    "NoCredentials",
    "SocketError",
    "AlgorithmMismatch",
];

fn remote(rng: &mut Rng) -> String {
    if rng.below(8) == 0 {
        format!(
            "[2001:db8::{:x}]:{}",
            rng.below(20),
            1024 + rng.below(60000)
        )
    } else {
        format!("192.0.2.{}:{}", rng.below(40), 1024 + rng.below(60000))
    }
}

/// Writes `files` logs with a mix of TLS rows and filler into `dir`.
fn corpus(dir: &Path, files: usize, rows: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for f in 0..files {
        let send = f % 2 == 1;
        // Daily files of 2024-03-02: their times (2024-03-01 to 03) are all
        // within a day of the file's own, so none is a skewed clock's.
        let name = format!(
            "{}20240302-{}.LOG",
            if send { "SEND" } else { "RECV" },
            f + 1
        );
        let crlf = rng.below(4) != 0;
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut s = String::new();
        if rng.below(3) != 0 {
            s.push('\u{feff}');
        }
        for h in [
            "#Software: Microsoft Exchange Server".to_string(),
            format!("#Log-type: SMTP {} Protocol Log", if send { "Send" } else { "Receive" }),
            "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context".into(),
        ] {
            s.push_str(&h);
            s.push_str(nl);
        }
        for i in 0..rows {
            let t = format!(
                "2024-03-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                1 + rng.below(3),
                rng.below(24),
                rng.below(60),
                rng.below(60),
                rng.below(1000)
            );
            let conn = *rng.pick(if send {
                SEND_CONNECTORS
            } else {
                RECV_CONNECTORS
            });
            let (local, rem) = if send {
                (
                    format!("10.0.0.1:{}", 20000 + rng.below(40000)),
                    remote(&mut rng),
                )
            } else {
                ("10.0.0.1:25".to_string(), remote(&mut rng))
            };
            let role = if send { "CLIENT" } else { "SERVER" };
            let (event, data, ctx) = match rng.below(10) {
                0..=2 => {
                    let p = *rng.pick(PROTOCOLS);
                    let token = if p == "NUM" {
                        (if send { "8192" } else { "4096" }).to_string()
                    } else {
                        format!("{p}_{role}")
                    };
                    let (c, cb, h, hb, k, kb) = *rng.pick(SUITES);
                    (
                        "*",
                        String::new(),
                        format!(
                            "\"TLS protocol {token} negotiation succeeded using bulk encryption algorithm {c} with strength {cb} bits, MAC hash algorithm {h} with strength {hb} bits and key exchange algorithm {k} with strength {kb} bits\""
                        ),
                    )
                }
                3 => (
                    "*",
                    String::new(),
                    format!("TLS negotiation failed with error {}", rng.pick(ERRORS)),
                ),
                4 => (
                    "<",
                    "EHLO negotiation succeeded.example".into(),
                    String::new(),
                ),
                5 => (
                    "<",
                    "\"MAIL FROM:<a@b>, TLS protocol negotiation succeeded\"".into(),
                    String::new(),
                ),
                6 => ("*", String::new(), "Sending certificate".into()),
                _ => (">", "250 2.1.0 Sender OK".into(), String::new()),
            };
            let _ = write!(
                s,
                "{t},{conn},08DC{:012X},{i},{local},{rem},{event},{data},{ctx}{nl}",
                rng.next() & 0xFFFF_FFFF_FFFF
            );
        }
        write(&dir.join(&name), s.as_bytes());
    }
}

/// The reference: every row of every file through the csv crate.
fn naive(dir: &Path) -> BTreeMap<&'static str, String> {
    let labels = [
        "SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other",
    ];
    let version = |token: &str| -> usize {
        let core = token
            .trim_start_matches("SP_PROT_")
            .trim_start_matches("SP_PROT-");
        let core = core.trim_end_matches("_SERVER").trim_end_matches("_CLIENT");
        match core {
            "SSL2" => 0,
            "SSL3" => 1,
            "TLS1_0" => 2,
            "TLS1_1" => 3,
            "TLS1_2" | "1024" | "2048" => 4,
            "TLS1_3" | "4096" | "8192" => 5,
            _ => 6,
        }
    };
    let norm = |t: &str| -> String {
        match t {
            "CALG_AES_128" => "AES-128".into(),
            "CALG_AES_256" => "AES-256".into(),
            "CALG_3DES" => "3DES".into(),
            "CALG_RC4" => "RC4".into(),
            "CALG_MD5" => "MD5".into(),
            "CALG_SHA1" => "SHA-1".into(),
            "CALG_SHA_256" => "SHA-256".into(),
            "CALG_SHA_384" => "SHA-384".into(),
            "CALG_ECDHE" | "CALG_ECDH_EPHEM" => "ECDHE".into(),
            "CALG_RSA_KEYX" => "RSA".into(),
            "CALG_DH_EPHEM" => "DHE".into(),
            other => other.trim_start_matches("CALG_").into(),
        }
    };
    type Counts = ([u64; 7], u64);
    let mut conn: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut rem: BTreeMap<(String, String), (Counts, String, String)> = BTreeMap::new();
    let mut ciph: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    let mut fail: BTreeMap<(String, String, String, String, String), u64> = BTreeMap::new();
    let mut paths: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "LOG"))
        .collect();
    paths.sort();
    // The server, by the README's rules as they apply to these corpora:
    // the folder above TransportRoles, else the one SERVER\ prefix of the
    // receive connectors.
    let mut prefixes = std::collections::BTreeSet::new();
    for p in &paths {
        if p.file_name().unwrap().to_str().unwrap().starts_with("RECV") {
            for line in String::from_utf8_lossy(&std::fs::read(p).unwrap()).lines() {
                let f: Vec<&str> = line.splitn(3, ',').collect();
                if f.len() == 3
                    && !line.starts_with('#')
                    && let Some((pre, _)) = f[1].trim_start_matches('"').split_once('\\')
                {
                    prefixes.insert(pre.trim_start_matches('\u{feff}').to_string());
                }
            }
        }
    }
    let server_of = |p: &Path| -> String {
        let parts: Vec<String> = p
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match parts.iter().position(|c| c == "TransportRoles") {
            Some(i) => parts[i - 1].clone(),
            None => {
                assert_eq!(prefixes.len(), 1, "one server per naive corpus");
                prefixes.iter().next().unwrap().clone()
            }
        }
    };
    for p in paths {
        let server = server_of(&p);
        let dir_label = if p.file_name().unwrap().to_str().unwrap().starts_with("SEND") {
            "send"
        } else {
            "receive"
        };
        let bytes = std::fs::read(&p).unwrap();
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(body);
        for rec in rdr.byte_records() {
            let rec: Vec<String> = rec
                .unwrap()
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            if rec.len() != 9 || &rec[6] != "*" {
                continue;
            }
            let ctx = &rec[8];
            let ip = rec[5]
                .rsplit_once(':')
                .unwrap()
                .0
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let t = rec[0].to_string();
            let key = (dir_label.to_string(), rec[1].to_string());
            let rkey = (dir_label.to_string(), ip.clone());
            let is_tls = ctx.starts_with("TLS protocol ")
                || ctx.starts_with("TLS negotiation failed with error ");
            if !is_tls {
                continue;
            }
            let r = rem
                .entry(rkey)
                .or_insert_with(|| (([0; 7], 0), t.clone(), t.clone()));
            if t < r.1 {
                r.1 = t.clone();
            }
            if t > r.2 {
                r.2 = t.clone();
            }
            if let Some(rest) = ctx.strip_prefix("TLS protocol ") {
                // TOKEN negotiation succeeded using bulk encryption algorithm C with strength N bits,
                // MAC hash algorithm H with strength N bits and key exchange algorithm K with strength N bits
                let w: Vec<&str> = rest.split(' ').collect();
                let v = version(w[0]);
                conn.entry(key).or_default().0[v] += 1;
                r.0.0[v] += 1;
                let (c, cb, h, hb, k, kb) = (w[7], w[10], w[15], w[18], w[24], w[27]);
                let row = vec![
                    dir_label.to_string(),
                    labels[v].to_string(),
                    norm(c),
                    cb.into(),
                    norm(h),
                    hb.into(),
                    norm(k),
                    kb.into(),
                ];
                *ciph.entry(row).or_default() += 1;
            } else if let Some(err) = ctx.strip_prefix("TLS negotiation failed with error ") {
                conn.entry(key.clone()).or_default().1 += 1;
                r.0.1 += 1;
                let k = (key.0, server.clone(), key.1, ip, err.to_string());
                *fail.entry(k).or_default() += 1;
            }
        }
    }
    let csv_line = |fields: Vec<String>| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&fields).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let counts = |c: &Counts| -> Vec<String> {
        c.0.iter()
            .map(|n| n.to_string())
            .chain([c.1.to_string(), (c.0.iter().sum::<u64>() + c.1).to_string()])
            .collect()
    };
    let mut out = BTreeMap::new();
    let mut s = String::from(
        "direction,connector,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total\n",
    );
    for ((d, c), v) in &conn {
        s += &csv_line(
            [d.clone(), c.clone()]
                .into_iter()
                .chain(counts(v))
                .collect(),
        );
    }
    out.insert("connector", s);
    let mut s = String::from(
        "direction,remote_ip,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total,first_seen,last_seen\n",
    );
    for ((d, ip), (v, first, last)) in &rem {
        s += &csv_line(
            [d.clone(), ip.clone()]
                .into_iter()
                .chain(counts(v))
                .chain([first.clone(), last.clone()])
                .collect(),
        );
    }
    out.insert("remote", s);
    let mut s = String::from(
        "direction,tls_version,cipher,cipher_bits,hash,hash_bits,key_exchange,key_exchange_bits,sessions\n",
    );
    for (k, n) in &ciph {
        s += &csv_line(k.iter().cloned().chain([n.to_string()]).collect());
    }
    out.insert("cipher", s);
    let mut s = String::from("direction,server,connector,remote_ip,error,sessions\n");
    for ((d, server, c, ip, e), n) in &fail {
        s += &csv_line(vec![
            d.clone(),
            server.clone(),
            c.clone(),
            ip.clone(),
            e.clone(),
            n.to_string(),
        ]);
    }
    out.insert("failure", s);
    out
}

#[test]
fn parallel_chunked_scan_equals_naive_sequential_reading() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path(), 12, 3000, 0x5EED);
    let expected = naive(dir.path());
    assert!(expected["connector"].lines().count() > 4);
    assert!(expected["failure"].lines().count() > 10);
    for (report, want) in &expected {
        let seq = exlog_on(dir.path(), &["--by", report, "--threads", "1"]);
        assert_eq!(seq.code, 0, "{}", seq.stderr);
        assert_eq!(
            &tls_view(report, &seq.stdout),
            want,
            "{report}: 1 thread vs naive"
        );
        // The TLS-only scan gives exactly the naive reading.
        let fast = exlog_on(
            dir.path(),
            &["--by", report, "--tls-only", "--chunk-size", "3000"],
        );
        assert_eq!(&fast.stdout, want, "{report}: --tls-only vs naive");
        for (threads, chunk) in [("2", "1000"), ("4", "65536"), ("3", "7777")] {
            let par = exlog_on(
                dir.path(),
                &["--by", report, "--threads", threads, "--chunk-size", chunk],
            );
            assert_eq!(par.code, 0, "{}", par.stderr);
            assert_eq!(
                par.stdout, seq.stdout,
                "{report}: {threads} threads, chunk {chunk}"
            );
        }
    }
}

#[test]
fn json_is_identical_for_any_thread_count_but_for_timing() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path(), 6, 2000, 42);
    let one = exlog_on(dir.path(), &["--format", "json", "--threads", "1"]);
    let many = exlog_on(
        dir.path(),
        &["--format", "json", "--threads", "4", "--chunk-size", "4096"],
    );
    assert_eq!(
        crate::util::stable_json(&one.stdout),
        crate::util::stable_json(&many.stdout)
    );
}

/// Generates a corpus into a temp folder: a few MB, small files so that
/// hourly and size rollovers both happen and sessions cross files.
pub fn generated(size: &str, seed: &str) -> tempfile::TempDir {
    generated_with(size, seed, exlog_gen::DEFAULT_CONCURRENCY)
}

/// As [`generated`], with `concurrency` sessions open at once per stream.
pub fn generated_with(size: &str, seed: &str, concurrency: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size(size).unwrap());
    cfg.servers = 3;
    cfg.seed = seed.parse().unwrap();
    cfg.file_size = 400_000;
    cfg.concurrency = concurrency;
    exlog_gen::generate(&cfg).unwrap();
    dir
}

#[test]
fn exlog_equals_the_generators_truth() {
    // Sessions one after another, a few at once, and a busy server.
    for concurrency in [1, 4, exlog_gen::DEFAULT_CONCURRENCY, 40] {
        equals_truth(&generated_with("6MB", "11", concurrency), concurrency);
    }
}

/// The corpus shape the defaults promise: interleaved sessions and many
/// remotes (a corpus too small for them to show is no test).
#[test]
fn default_corpus_interleaves_like_a_busy_server() {
    let truth = |c: usize| -> serde_json::Value {
        let dir = generated_with("8MB", "3", c);
        serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).unwrap()).unwrap()
    };
    let busy = truth(exlog_gen::DEFAULT_CONCURRENCY);
    assert!(
        busy["shape"]["median_row_distance"].as_u64().unwrap() >= 8,
        "{}",
        busy["shape"]
    );
    // 8 MB at 40 000 remotes per GB or more.
    assert!(
        busy["shape"]["distinct_remotes"].as_u64().unwrap() >= 320,
        "{}",
        busy["shape"]
    );
    let calm = truth(1);
    assert_eq!(calm["shape"]["median_row_distance"], 1, "{}", calm["shape"]);
}

fn equals_truth(dir: &tempfile::TempDir, concurrency: usize) {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).unwrap()).unwrap();
    let run = exlog_on(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for report in ["connector", "remote", "cipher", "failure", "day", "server"] {
        assert!(!truth[report].as_array().unwrap().is_empty(), "{report}");
        assert_eq!(
            got[report], truth[report],
            "{report} differs from truth.json (concurrency {concurrency})"
        );
    }
    // Readiness: the truth gives status and counts, not the sentences.
    let mut want: Vec<String> = truth["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    want.sort();
    assert_eq!(
        crate::util::project(&got["readiness"], &truth["readiness"]),
        want,
        "readiness differs from truth.json (concurrency {concurrency})"
    );
    for (ours, theirs) in [
        ("files", "files"),
        ("bytes", "bytes"),
        ("lines", "lines"),
        ("sessions_tls", "sessions_tls"),
        ("sessions_failed", "sessions_failed"),
        ("sessions_plaintext", "sessions_plaintext"),
    ] {
        assert_eq!(got["stats"][ours], truth["totals"][theirs], "{ours}");
    }
    assert!(
        truth["totals"]["files"].as_u64().unwrap() > 12,
        "rollovers happened"
    );
}

#[test]
fn generated_corpus_equals_naive_reading() {
    let dir = generated("3MB", "5");
    let expected = naive(dir.path());
    for (report, want) in &expected {
        let run = exlog_on(dir.path(), &["--by", report, "--chunk-size", "50000"]);
        assert_eq!(&tls_view(report, &run.stdout), want, "{report}");
    }
}

/// The TLS columns of a report, for comparison with the naive reading:
/// the connector and remote reports also carry session columns and rows
/// for remotes without TLS, which the naive reading does not compute.
fn tls_view(report: &str, csv_text: &str) -> String {
    let keep = match report {
        "connector" => 11,
        "remote" => 13,
        _ => return csv_text.to_string(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        if i > 0 && &rec[10] == "0" {
            continue; // no TLS rows: a plaintext-only remote
        }
        w.write_record(rec.iter().take(keep)).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn session_reports_are_identical_for_any_split() {
    // Small files and chunks: sessions cross files and chunks everywhere.
    let dir = generated("4MB", "23");
    for report in ["session", "day", "readiness", "connector", "remote"] {
        let base = exlog_on(dir.path(), &["--by", report, "--threads", "1"]);
        assert_eq!(base.code, 0, "{}", base.stderr);
        assert!(base.stdout.lines().count() > 2, "{report}");
        for (threads, chunk) in [("2", "4096"), ("3", "100000"), ("2", "999")] {
            let par = exlog_on(
                dir.path(),
                &["--by", report, "--threads", threads, "--chunk-size", chunk],
            );
            assert_eq!(
                par.stdout, base.stdout,
                "{report}: {threads} threads, chunk {chunk}"
            );
        }
    }
    // Every generated session starts and ends inside the corpus.
    let sessions = exlog_on(dir.path(), &["--by", "session", "--chunk-size", "999"]);
    let incomplete = sessions
        .stdout
        .lines()
        .filter(|l| l.ends_with(",true"))
        .count();
    assert_eq!(incomplete, 0, "a stitched session was left incomplete");
}
