//! IIS W3C logs with the crypt-* fields, shaped like an Exchange server's:
//! the front-end site (`W3SVC1`, clients through a load balancer logged
//! with `OriginalClientIP`) and the back-end site (`W3SVC2`, every request
//! proxied from a front end at TLS 1.2). Daily files `u_exYYMMDD.log`, a
//! header block again wherever IIS restarted, and (unless `one_layout`)
//! a back end that logs fewer fields in another order after a restart.
//!
//! The servers differ on purpose, so every readiness verdict appears: the
//! first keeps old phones and an old EWS application on TLS 1.0/1.1 to
//! the end; the second sees old TLS only in its first days, before the
//! window; the last has logs for a few days only; the others are modern.
//!
//! The truth is counted here, request by request, as the report columns
//! define them, never by exlog.

use super::{Rng, civil};
use crate::WINDOW_DAYS;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

const DAY: i64 = 86_400;

/// The fields of the front end (the layout of Exchange's own excerpts).
const FRONT: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken crypt-protocol crypt-cipher crypt-hash crypt-keyexchange OriginalClientIP";
/// The back end after a restart (`one_layout` false): no referer and no
/// OriginalClientIP, the crypt-* fields before the status.
const BACK_OTHER: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) crypt-protocol crypt-cipher crypt-hash crypt-keyexchange sc-status sc-substatus sc-win32-status time-taken";

/// A kind of client: its user agent, what it asks for, how it connects.
struct Kind {
    agent: &'static str,
    /// URI stems and queries it requests.
    uris: &'static [(&'static str, &'static str)],
    /// Signs in (else `-`).
    user: bool,
    /// crypt-protocol values it uses (hex; IIS logs the server-side flag:
    /// `40` TLS 1.0, `100` TLS 1.1, `400` TLS 1.2, `1000` TLS 1.3), `-`
    /// for plain HTTP.
    protocols: &'static [&'static str],
}

const OUTLOOK: Kind = Kind {
    agent: "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17328;+Pro)",
    uris: &[
        ("/mapi/emsmdb/", "MailboxId=a1@contoso.com"),
        ("/mapi/nspi/", "MailboxId=a1@contoso.com"),
        ("/autodiscover/autodiscover.xml", "-"),
        ("/EWS/Exchange.asmx", "-"),
        ("/oab/0b9c8e7d/oab.xml", "-"),
    ],
    user: true,
    protocols: &["400", "400", "400", "1000"],
};
const OUTLOOK_2010: Kind = Kind {
    agent: "Microsoft+Office/14.0+(Windows+NT+6.1;+Microsoft+Outlook+14.0.7268;+Pro)",
    uris: &[
        ("/rpc/rpcproxy.dll", "ex01.contoso.com:6001"),
        ("/EWS/Exchange.asmx", "-"),
        ("/autodiscover/autodiscover.xml", "-"),
    ],
    user: true,
    protocols: &["40"],
};
const IPHONE: Kind = Kind {
    agent: "Apple-iPhone14C2/2101.11",
    uris: &[
        (
            "/Microsoft-Server-ActiveSync/default.eas",
            "Cmd=Ping&User=a1&DeviceId=ABC&DeviceType=iPhone",
        ),
        (
            "/Microsoft-Server-ActiveSync/default.eas",
            "Cmd=Sync&User=a1&DeviceId=ABC&DeviceType=iPhone",
        ),
    ],
    user: true,
    protocols: &["400", "1000"],
};
const OLD_ANDROID: Kind = Kind {
    agent: "Android-Mail/7.3.9",
    uris: &[(
        "/Microsoft-Server-ActiveSync/default.eas",
        "Cmd=Sync&DeviceType=Android",
    )],
    user: true,
    protocols: &["40", "100"],
};
const BROWSER: Kind = Kind {
    agent: "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/122.0.0.0+Safari/537.36",
    uris: &[
        ("/owa/", "-"),
        ("/owa/service.svc", "action=GetAccessTokenforResource"),
        ("/ecp/", "-"),
        ("/favicon.ico", "-"),
    ],
    user: true,
    protocols: &["400", "1000", "1000", "-"],
};
const EWS_APP: Kind = Kind {
    agent: "ExchangeServicesClient/15.00.0913.015",
    uris: &[("/EWS/Exchange.asmx", "-")],
    user: true,
    protocols: &["40", "100"],
};
const PROBE: Kind = Kind {
    agent: "AMProbe/Local/ClientAccess",
    uris: &[
        ("/owa/", "-"),
        ("/powershell/", "clientApplication=ActiveMonitor"),
        ("/mapi/healthcheck.htm", "-"),
    ],
    user: false,
    protocols: &["400"],
};

/// Modern clients, and the ones that still use old TLS.
const MODERN: [&Kind; 4] = [&OUTLOOK, &IPHONE, &BROWSER, &PROBE];
const OLD: [&Kind; 3] = [&OUTLOOK_2010, &OLD_ANDROID, &EWS_APP];

/// One client of a server: a kind, an address, its users.
struct Client {
    kind: &'static Kind,
    ip: String,
    /// Behind the load balancer: `c-ip` is the balancer's, the client's
    /// address is in `OriginalClientIP`.
    balanced: bool,
    users: Vec<String>,
}

/// How a server's clients change over its logs (see the module text).
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    /// Old TLS clients throughout.
    Old,
    /// Old TLS clients in the first days only.
    OldEarly,
    Modern,
    /// Logs for a few days only.
    Short,
}

/// Totals of one report row, counted as the columns define them.
#[derive(Default)]
struct ClientRow {
    versions: [u64; 7],
    requests: u64,
    users: BTreeSet<String>,
    first: String,
    last: String,
}

/// What one server's IIS logs hold.
#[derive(Default)]
struct ServerTruth {
    clients: BTreeMap<(String, String, String), ClientRow>,
    apps: BTreeMap<(String, &'static str), [u64; 8]>,
    /// Per site: (second, kind index) of every request, and the requests
    /// below TLS 1.2 as (second, client, application, version label).
    requests: BTreeMap<String, Vec<(i64, usize)>>,
    legacy: BTreeMap<String, Vec<(i64, String, &'static str, &'static str)>>,
    files: u64,
    bytes: u64,
    lines: u64,
}

/// What `generate` wrote: every number the IIS reports should show.
pub struct IisTruth {
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
    pub requests: u64,
    json: Value,
}

impl IisTruth {
    pub fn to_json(&self) -> &Value {
        &self.json
    }
}

/// Report column order of the versions: SSL2 … TLS1.3, other.
fn version_of(hex: &str) -> Option<usize> {
    match hex {
        "-" => None,
        "4" | "8" => Some(0),
        "10" | "20" => Some(1),
        "40" | "80" => Some(2),
        "100" | "200" => Some(3),
        "400" | "800" => Some(4),
        "1000" | "2000" => Some(5),
        _ => Some(6),
    }
}

const LABELS: [&str; 7] = [
    "SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other",
];

/// The application of a URI stem as the `http-app` report defines it
/// (first path segment, any case). Written again here on purpose: the
/// truth must not come from exlog's own code.
fn app(stem: &str) -> &'static str {
    const APPS: [&str; 9] = [
        "/owa",
        "/ecp",
        "/Microsoft-Server-ActiveSync",
        "/EWS",
        "/autodiscover",
        "/mapi",
        "/rpc",
        "/oab",
        "/powershell",
    ];
    let first = match stem[1..].find('/') {
        Some(i) => &stem[..i + 1],
        None => stem,
    };
    APPS.iter()
        .find(|a| a.eq_ignore_ascii_case(first))
        .copied()
        .unwrap_or("other")
}

fn date_time(sec: i64) -> (String, String) {
    let (y, mo, d, h, mi, s) = civil(sec * 1000);
    (
        format!("{y:04}-{mo:02}-{d:02}"),
        format!("{h:02}:{mi:02}:{s:02}"),
    )
}

fn iso(sec: i64) -> String {
    let (d, t) = date_time(sec);
    format!("{d}T{t}.000Z")
}

/// Writes IIS logs for `servers` servers (`EX01`…) under `out`, about
/// `size` bytes in all, from `start_ms`; returns the truth.
pub fn generate(
    out: &Path,
    size: u64,
    servers: usize,
    seed: u64,
    start_ms: i64,
    one_layout: bool,
) -> io::Result<IisTruth> {
    let servers = servers.max(1);
    let parts: Vec<io::Result<ServerTruth>> = (0..servers)
        .into_par_iter()
        .map(|s| {
            let profile = match s {
                0 => Profile::Old,
                1 => Profile::OldEarly,
                _ if s + 1 == servers && servers > 2 => Profile::Short,
                _ => Profile::Modern,
            };
            server(
                out,
                s,
                profile,
                size / servers as u64,
                seed,
                start_ms / 1000,
                one_layout,
            )
        })
        .collect();
    let mut all = Vec::new();
    for p in parts {
        all.push(p?);
    }
    let truth = truth(&all);
    let mut doc = serde_json::to_vec_pretty(&truth.json).map_err(io::Error::other)?;
    doc.push(b'\n');
    std::fs::write(out.join("truth-iis.json"), doc)?;
    Ok(truth)
}

/// Average bytes of a request line: sets the request count from the size.
const LINE: u64 = 205;

fn server(
    out: &Path,
    s: usize,
    profile: Profile,
    budget: u64,
    seed: u64,
    start: i64,
    one_layout: bool,
) -> io::Result<ServerTruth> {
    let name = format!("EX{:02}", s + 1);
    let mut rng = Rng::new(seed, 0x115_0000 + s as u64);
    let days: i64 = if profile == Profile::Short { 5 } else { 20 };
    let requests = (budget / LINE).max(10);
    // Mean gap in ms, so that the requests span `days`.
    let gap = (days * DAY * 1000 / requests as i64).max(1) as u64;
    let make = |rng: &mut Rng, kind: &'static Kind, n: usize| -> Client {
        let ip = if rng.chance(500) {
            format!("10.{}.{}.{}", 20 + s, rng.below(250), 1 + rng.below(250))
        } else {
            format!(
                "{}.{}.{}.{}",
                [198, 203, 192, 81, 185][rng.below(5) as usize],
                rng.below(256),
                rng.below(256),
                1 + rng.below(250)
            )
        };
        Client {
            kind,
            ip,
            balanced: rng.chance(600),
            users: (0..1 + rng.below(3))
                .map(|_| format!("CONTOSO\\user{}", n * 7 + rng.below(5000) as usize))
                .collect(),
        }
    };
    let modern: Vec<Client> = (0..400)
        .map(|n| {
            let kind = MODERN[rng.below(MODERN.len() as u64) as usize];
            make(&mut rng, kind, n)
        })
        .collect();
    let old: Vec<Client> = (0..40)
        .map(|n| {
            let kind = OLD[rng.below(OLD.len() as u64) as usize];
            make(&mut rng, kind, 1000 + n)
        })
        .collect();
    let s_ip = format!("10.0.0.{}", 11 + s);
    let mut truth = ServerTruth::default();
    let mut sites = [
        Site::new(out, &name, "W3SVC1", &s_ip, false, requests),
        Site::new(out, &name, "W3SVC2", &s_ip, !one_layout, requests / 7),
    ];
    let mut t_ms = start * 1000;
    let old_until = start + 3 * DAY;
    for i in 0..requests {
        t_ms += rng.gap((0, 2 * gap)) as i64;
        let sec = t_ms.div_euclid(1000);
        let use_old = match profile {
            Profile::Old => rng.chance(60),
            Profile::OldEarly => sec < old_until && rng.chance(60),
            _ => false,
        };
        let c = if use_old {
            rng.pick(&old)
        } else {
            rng.pick(&modern)
        };
        let (stem, query) = *rng.pick(c.kind.uris);
        let proto = *rng.pick(c.kind.protocols);
        let user = if c.kind.user && !rng.chance(80) {
            rng.pick(&c.users).as_str()
        } else {
            "-"
        };
        // One request in seven is proxied on to the back end (W3SVC2),
        // by this front end, at TLS 1.2 and with the same user agent.
        let back = i % 7 == 3 && proto != "-";
        let site = &mut sites[usize::from(back)];
        let (client_ip, c_ip, original, proto) = if back {
            (s_ip.as_str(), s_ip.as_str(), "-", "400")
        } else if c.balanced {
            (c.ip.as_str(), "10.0.1.10", c.ip.as_str(), proto)
        } else {
            (c.ip.as_str(), c.ip.as_str(), "-", proto)
        };
        let r = Request {
            sec,
            stem,
            query,
            port: if proto == "-" { "80" } else { "443" },
            user,
            c_ip,
            agent: c.kind.agent,
            original,
            proto,
            status: if user == "-" && c.kind.user {
                "401"
            } else {
                "200"
            },
            taken: 1 + rng.below(900),
        };
        site.write(&r, &mut truth)?;
        // The truth, as the report columns define it.
        let row = truth
            .clients
            .entry((
                site.name.to_string(),
                client_ip.to_string(),
                c.kind.agent.to_string(),
            ))
            .or_default();
        let version = version_of(proto);
        if let Some(v) = version {
            row.versions[v] += 1;
        }
        row.requests += 1;
        if user != "-" {
            row.users.insert(user.to_string());
        }
        let stamp = iso(sec);
        if row.first.is_empty() {
            row.first = stamp.clone();
        }
        row.last = stamp;
        let a = truth
            .apps
            .entry((site.name.to_string(), app(stem)))
            .or_default();
        if let Some(v) = version {
            a[v] += 1;
        }
        a[7] += 1;
        let kind = match version {
            None => 0,
            Some(6) => 3,
            Some(v) if v < 4 => 2,
            Some(_) => 1,
        };
        truth
            .requests
            .entry(site.name.to_string())
            .or_default()
            .push((sec, kind));
        if kind == 2 {
            truth
                .legacy
                .entry(site.name.to_string())
                .or_default()
                .push((
                    sec,
                    client_ip.to_string(),
                    app(stem),
                    LABELS[version.unwrap_or(6)],
                ));
        }
    }
    for site in &mut sites {
        site.close(&mut truth)?;
    }
    Ok(truth)
}

struct Request<'a> {
    sec: i64,
    stem: &'a str,
    query: &'a str,
    port: &'a str,
    user: &'a str,
    c_ip: &'a str,
    agent: &'a str,
    original: &'a str,
    proto: &'a str,
    status: &'a str,
    taken: u64,
}

/// One IIS site's log folder: the open daily file and its layout.
struct Site<'a> {
    dir: std::path::PathBuf,
    name: &'static str,
    s_ip: &'a str,
    file: Option<(String, BufWriter<File>)>,
    /// Requests written, and every how many IIS restarts (a new header
    /// block mid-file): some forty times over the logs.
    written: u64,
    restart_every: u64,
    /// Restarts switch to the other layout (the back end, unless
    /// `one_layout`), which is in effect when `other` is.
    switches: bool,
    other: bool,
}

impl<'a> Site<'a> {
    fn new(
        out: &Path,
        server: &str,
        name: &'static str,
        s_ip: &'a str,
        switches: bool,
        requests: u64,
    ) -> Site<'a> {
        Site {
            dir: out.join(server).join(name),
            name,
            s_ip,
            file: None,
            written: 0,
            restart_every: (requests / 40).max(50),
            switches,
            other: false,
        }
    }

    fn header(&self, sec: i64) -> String {
        let (d, t) = date_time(sec);
        let fields = if self.other { BACK_OTHER } else { FRONT };
        format!(
            "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: {d} {t}\r\n#Fields: {fields}\r\n"
        )
    }

    fn write(&mut self, r: &Request, truth: &mut ServerTruth) -> io::Result<()> {
        self.written += 1;
        let (d, t) = date_time(r.sec);
        let (y, mo, day, ..) = civil(r.sec * 1000);
        let file_name = format!("u_ex{:02}{mo:02}{day:02}.log", y % 100);
        let mut head = String::new();
        if self.file.as_ref().is_none_or(|(n, _)| *n != file_name) {
            self.close(truth)?;
            std::fs::create_dir_all(&self.dir)?;
            let f = BufWriter::with_capacity(1 << 20, File::create(self.dir.join(&file_name))?);
            self.file = Some((file_name, f));
            truth.files += 1;
            head = self.header(r.sec);
        } else if self.written.is_multiple_of(self.restart_every) {
            // IIS restarted: a new header block, on the back end in the
            // other layout.
            self.other = self.switches && !self.other;
            head = self.header(r.sec);
        }
        let line = if self.other {
            format!(
                "{d} {t} {} POST {} {} {} {} {} {} {} 6610 800c ae06 {} 0 0 {}\r\n",
                self.s_ip,
                r.stem,
                r.query,
                r.port,
                r.user,
                r.c_ip,
                r.agent,
                r.proto,
                r.status,
                r.taken
            )
        } else {
            let crypt = if r.proto == "-" {
                "- - - -".to_string()
            } else {
                format!("{} 6610 800c ae06", r.proto)
            };
            format!(
                "{d} {t} {} POST {} {} {} {} {} {} - {} 0 0 {} {crypt} {}\r\n",
                self.s_ip,
                r.stem,
                r.query,
                r.port,
                r.user,
                r.c_ip,
                r.agent,
                r.status,
                r.taken,
                r.original
            )
        };
        let (_, f) = self.file.as_mut().expect("opened above");
        f.write_all(head.as_bytes())?;
        f.write_all(line.as_bytes())?;
        truth.bytes += (head.len() + line.len()) as u64;
        truth.lines += head.lines().count() as u64 + 1;
        Ok(())
    }

    fn close(&mut self, _truth: &mut ServerTruth) -> io::Result<()> {
        if let Some((_, mut f)) = self.file.take() {
            f.flush()?;
        }
        Ok(())
    }
}

/// The truth document: the two reports' rows and readiness per site.
fn truth(servers: &[ServerTruth]) -> IisTruth {
    let mut clients = Vec::new();
    let mut apps = Vec::new();
    let mut readiness = Vec::new();
    let (mut files, mut bytes, mut lines, mut requests) = (0, 0, 0, 0);
    for (s, t) in servers.iter().enumerate() {
        files += t.files;
        bytes += t.bytes;
        lines += t.lines;
        let name = format!("EX{:02}", s + 1);
        for ((site, ip, ua), r) in &t.clients {
            let mut row = serde_json::Map::new();
            row.insert("site".into(), json!(site));
            row.insert("server".into(), json!(name));
            row.insert("client_ip".into(), json!(ip));
            row.insert("user_agent".into(), json!(ua));
            for (i, l) in LABELS.iter().enumerate().skip(1).take(5) {
                row.insert((*l).into(), json!(r.versions[i]));
            }
            row.insert("other".into(), json!(r.versions[0] + r.versions[6]));
            row.insert("requests".into(), json!(r.requests));
            row.insert("users".into(), json!(r.users.len()));
            row.insert("first_seen".into(), json!(r.first));
            row.insert("last_seen".into(), json!(r.last));
            clients.push(Value::Object(row));
        }
        for ((site, a), c) in &t.apps {
            let mut row = serde_json::Map::new();
            row.insert("site".into(), json!(site));
            row.insert("server".into(), json!(name));
            row.insert("application".into(), json!(a));
            for (i, l) in LABELS.iter().enumerate().skip(1).take(5) {
                row.insert((*l).into(), json!(c[i]));
            }
            row.insert("other".into(), json!(c[0] + c[6]));
            row.insert("requests".into(), json!(c[7]));
            apps.push(Value::Object(row));
            requests += c[7];
        }
        // The server's window ends at its latest request, on any site.
        let Some(to) = t.requests.values().flatten().map(|r| r.0).max() else {
            continue;
        };
        // The calendar days (UTC) that end with the day of `to`.
        let from = (to.div_euclid(DAY) - (WINDOW_DAYS - 1)) * DAY;
        for (site, reqs) in &t.requests {
            let inside = |sec: i64| from <= sec && sec <= to;
            let mut counts = [0u64; 4];
            for &(sec, kind) in reqs {
                if inside(sec) {
                    counts[kind] += 1;
                }
            }
            let first = reqs.iter().map(|r| r.0).min().unwrap_or(0);
            let last = reqs.iter().map(|r| r.0).max().unwrap_or(0);
            let legacy = t.legacy.get(site).map(Vec::as_slice).unwrap_or_default();
            let in_window: Vec<_> = legacy.iter().filter(|l| inside(l.0)).collect();
            let last_legacy = legacy.iter().map(|l| l.0).filter(|&s| s <= to).max();
            let clients: BTreeSet<&str> = in_window.iter().map(|l| l.1.as_str()).collect();
            let mut by_app: BTreeMap<&str, u64> = BTreeMap::new();
            for l in &in_window {
                *by_app.entry(l.2).or_default() += 1;
            }
            let status = if !in_window.is_empty() {
                "not_ready"
            } else if first > from || counts[1] == 0 {
                "insufficient_data"
            } else {
                "ready"
            };
            readiness.push(json!({
                "scope": "https",
                "server": name,
                "connector": site,
                "status": status,
                "coverage_from": iso(first),
                "coverage_to": iso(last),
                "sessions": counts.iter().sum::<u64>(),
                "negotiations": counts[1] + counts[2] + counts[3],
                "legacy_sessions": counts[2],
                "legacy_remotes": clients.len(),
                "plaintext_sessions": counts[0],
                "last_legacy": last_legacy.map(iso).unwrap_or_default(),
                "window_from": iso(from),
                "window_to": iso(to),
                "legacy_by_application": by_app,
            }));
        }
    }
    IisTruth {
        files,
        bytes,
        lines,
        requests,
        json: json!({
            "totals": { "files": files, "bytes": bytes, "lines": lines, "requests": requests },
            "http-client": clients,
            "http-app": apps,
            "readiness": readiness,
        }),
    }
}
