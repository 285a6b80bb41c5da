//! `--switch-off` on a corpus, checked against the log files themselves:
//! a reader of the rows written here (a second, simple one, apart from the
//! generator's record) finds the switch, and the truth's fallout rows are
//! recounted from the sessions it reads.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// 2024-03-14T00:00:00Z.
const SWITCH: i64 = 1_710_374_400_000;

/// One session as read from the rows.
#[derive(Default, Debug)]
struct Read {
    start: String,
    connector: String,
    ip: String,
    /// Lowest version label negotiated (`TLS1_0` …), if any.
    versions: Vec<String>,
    /// A failure line, or a `530 5.7.0` / `451 5.7.3` reply.
    failed: bool,
    /// STARTTLS, X-ANONYMOUSTLS or a TLS line.
    tls_attempt: bool,
    mail_or_auth: bool,
}

impl Read {
    fn legacy(&self) -> bool {
        self.versions
            .iter()
            .any(|v| ["SSL3", "TLS1_0", "TLS1_1"].contains(&v.as_str()))
    }
    fn modern(&self) -> bool {
        !self.versions.is_empty() && !self.legacy()
    }
    /// Mail or credentials sent, TLS never tried.
    fn plaintext(&self) -> bool {
        !self.tls_attempt && self.mail_or_auth
    }
}

/// Splits a CSV line (quotes doubled inside quoted fields).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn ip_of(endpoint: &str) -> String {
    match endpoint.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap().to_string(),
        None => endpoint.rsplit_once(':').unwrap().0.to_string(),
    }
}

/// Every session of the corpus by (server, direction, session id).
fn read_sessions(root: &Path) -> BTreeMap<(String, String, String), Read> {
    let mut out: BTreeMap<(String, String, String), Read> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".LOG") {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap();
        let server = rel.iter().next().unwrap().to_string_lossy().into_owned();
        let direction = if name.starts_with("RECV") {
            "receive"
        } else {
            "send"
        };
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('\u{feff}'))
        {
            let f = fields(line.trim_end_matches('\r'));
            let key = (server.clone(), direction.to_string(), f[2].clone());
            let s = out.entry(key).or_default();
            if s.start.is_empty() || f[0] < s.start {
                s.start = f[0].clone();
            }
            s.connector = f[1].clone();
            s.ip = ip_of(&f[5]);
            let (event, data, context) = (f[6].as_str(), f[7].as_str(), f[8].as_str());
            let client = if direction == "receive" { "<" } else { ">" };
            if context.starts_with("TLS ")
                || event == client && (data == "STARTTLS" || data == "X-ANONYMOUSTLS")
            {
                s.tls_attempt = true;
            }
            if let Some(rest) = context.strip_prefix("TLS protocol ") {
                let protocol = rest.split(' ').next().unwrap();
                let v = match protocol {
                    "4096" | "8192" => "TLS1_3".to_string(),
                    // SP_PROT_TLS1_0_SERVER: the part before the role.
                    p => p
                        .trim_start_matches("SP_PROT_")
                        .rsplit_once('_')
                        .unwrap()
                        .0
                        .to_string(),
                };
                s.versions.push(v);
            }
            let server_mark = if direction == "receive" { ">" } else { "<" };
            if context.starts_with("TLS negotiation failed")
                || event == server_mark
                    && (data.starts_with("530 5.7.0") || data.starts_with("451 5.7.3"))
            {
                s.failed = true;
            }
            if event == client && (data.starts_with("MAIL FROM:") || data.starts_with("AUTH")) {
                s.mail_or_auth = true;
            }
        }
    }
    out
}

fn corpus(dir: &Path) -> Value {
    let mut cfg = exlog_gen::Config::new(dir, exlog_gen::parse_size("8MB").unwrap());
    cfg.servers = 3;
    cfg.seed = 3;
    cfg.days = Some(24);
    cfg.remotes = Some(60);
    cfg.switch_off = vec![exlog_gen::parse_switch_off("EX01=2024-03-14").unwrap()];
    exlog_gen::generate(&cfg).unwrap();
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

fn ms(stamp: &str) -> i64 {
    // Days since the switch day are enough here: the corpus is in March 2024.
    let day: i64 = stamp[8..10].parse().unwrap();
    let (h, m, s): (i64, i64, f64) = (
        stamp[11..13].parse().unwrap(),
        stamp[14..16].parse().unwrap(),
        stamp[17..23].parse().unwrap(),
    );
    assert_eq!(&stamp[..8], "2024-03-");
    SWITCH + (day - 14) * 86_400_000 + (h * 3600 + m * 60) * 1000 + (s * 1000.0).round() as i64
}

#[test]
fn after_the_switch_off_the_logs_show_what_the_truth_says() {
    let dir = tempfile::tempdir().unwrap();
    let truth = corpus(dir.path());
    let sessions = read_sessions(dir.path());

    // No session of EX01 starting on or after the day negotiates below
    // TLS 1.2; EX02 still does; EX01's legacy remotes fail.
    let after = |server: &str, pred: &dyn Fn(&Read) -> bool| {
        sessions
            .iter()
            .filter(|((s, _, _), r)| s == server && ms(&r.start) >= SWITCH && pred(r))
            .count()
    };
    assert_eq!(after("EX01", &|r| r.legacy()), 0);
    assert!(after("EX02", &|r| r.legacy()) > 0);
    assert!(after("EX01", &|r| r.failed) > 0);
    let before = sessions
        .iter()
        .filter(|((s, _, _), r)| s == "EX01" && r.legacy() && ms(&r.start) < SWITCH)
        .count();
    assert!(before > 0);

    // The switch shows on its day (the first session after it is the last
    // legacy remote's), and only on EX01.
    let switches: Vec<(&str, &str)> = truth["switch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["server"].as_str().unwrap(),
                s["switch_day"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(switches, [("EX01", "2024-03-14")]);

    // Each fallout row recounted from the sessions read.
    let rows = truth["fallout"].as_array().unwrap();
    let mut outcomes: Vec<&str> = rows
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    outcomes.sort();
    outcomes.dedup();
    assert_eq!(
        outcomes,
        [
            "blocked",
            "fell_back_to_plaintext",
            "new_failure",
            "recovered"
        ]
    );
    for row in rows {
        let mine: Vec<&Read> = {
            let mut v: Vec<&Read> = sessions
                .iter()
                .filter(|((s, d, _), r)| {
                    s == row["server"].as_str().unwrap()
                        && d == row["direction"].as_str().unwrap()
                        && r.connector == row["connector"].as_str().unwrap()
                        && r.ip == row["remote_ip"].as_str().unwrap()
                })
                .map(|(_, r)| r)
                .collect();
            v.sort_by(|a, b| a.start.cmp(&b.start));
            v
        };
        let failed: Vec<&&Read> = mine
            .iter()
            .filter(|r| r.failed && ms(&r.start) >= SWITCH)
            .collect();
        let first = &failed[0].start;
        let later: Vec<&&Read> = mine.iter().filter(|r| r.start > *first).collect();
        let outcome = if !mine.iter().any(|r| r.legacy() && r.start < *first) {
            "new_failure"
        } else {
            match later.iter().rev().find(|r| r.modern() || r.plaintext()) {
                Some(r) if r.modern() => "recovered",
                Some(_) => "fell_back_to_plaintext",
                None => "blocked",
            }
        };
        let got = (
            row["failures"].as_u64().unwrap() as usize,
            row["first_failure"].as_str().unwrap(),
            row["outcome"].as_str().unwrap(),
            row["plaintext_sessions_after"].as_u64().unwrap() as usize,
            row["modern_sessions_after"].as_u64().unwrap() as usize,
        );
        let want = (
            failed.len(),
            first.as_str(),
            outcome,
            later.iter().filter(|r| r.plaintext()).count(),
            later.iter().filter(|r| r.modern()).count(),
        );
        assert_eq!(got, want, "{row}");
    }
}
