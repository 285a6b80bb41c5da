//! IIS logs with the crypt-* fields: HTTPS clients and applications by TLS
//! version, counted by hand from tests/data/iis (tests/data/make_fixtures.py).

use crate::util::exlog;

#[test]
fn https_clients_by_hand_count() {
    let run = exlog(["tests/data/iis", "--by", "http-client", "--format", "csv"]);
    // The row cut short ("2021-03-04 00:04") is skipped and named: exit 2.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(
        "W3SVC1/u_ex210304.log: skipped 1 malformed row; first at line 14: no date and time where the #Fields: line puts them"
    ), "{}", run.stderr);
    // W3SVC1: the excerpt's three EWS requests at TLS 1.2 (400) from two
    // clients, one signed in; the phone twice at TLS 1.0 (40), once behind
    // a balancer (OriginalClientIP 192.0.2.77); after the #Fields change,
    // a browser at TLS 1.1 (100) as alice, TLS 1.2 (800) as bob, and once
    // in plain HTTP (a request, no version). W3SVC2 logs no crypt-*.
    assert_eq!(
        run.stdout,
        "site,server,client_ip,user_agent,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,requests,users,first_seen,last_seen\n\
         W3SVC1,EX05,10.10.1.58,ExchangeServicesClient/15.00.0913.015,0,0,0,1,0,0,1,1,2021-03-03T23:59:55.000Z,2021-03-03T23:59:55.000Z\n\
         W3SVC1,EX05,10.10.12.120,ExchangeServicesClient/15.00.0913.015,0,0,0,2,0,0,2,0,2021-03-03T23:59:55.000Z,2021-03-03T23:59:55.000Z\n\
         W3SVC1,EX05,192.0.2.77,Apple-iPhone9C1/1402.42,0,1,0,0,0,0,1,1,2021-03-04T00:01:30.000Z,2021-03-04T00:01:30.000Z\n\
         W3SVC1,EX05,198.51.100.4,Mozilla/5.0,0,0,1,1,0,0,3,2,2021-03-04T00:02:00.000Z,2021-03-04T00:03:00.000Z\n\
         W3SVC1,EX05,203.0.113.9,Apple-iPhone9C1/1402.42,0,1,0,0,0,0,1,1,2021-03-04T00:01:00.000Z,2021-03-04T00:01:00.000Z\n\
         W3SVC2,EX05,198.51.100.4,Mozilla/5.0,0,0,0,0,0,0,1,0,2021-03-04T00:02:00.000Z,2021-03-04T00:02:00.000Z\n"
    );
    // No crypt-* fields: one warning for the folder, saying how to add them.
    let blind: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("IIS logs without the crypt-* fields"))
        .collect();
    assert_eq!(blind.len(), 1, "{}", run.stderr);
    assert!(blind[0].contains("W3SVC2: "));
    assert!(blind[0].contains("crypt-protocol = CRYPT_PROTOCOL"));
}

#[test]
fn requests_per_application_by_hand_count() {
    let run = exlog(["tests/data/iis", "--by", "http-app", "--format", "csv"]);
    assert_eq!(
        run.stdout,
        "site,server,application,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,requests\n\
         W3SVC1,EX05,/owa,0,0,1,1,0,0,3\n\
         W3SVC1,EX05,/Microsoft-Server-ActiveSync,0,2,0,0,0,0,2\n\
         W3SVC1,EX05,/EWS,0,0,0,3,0,0,3\n\
         W3SVC2,EX05,/ecp,0,0,0,0,0,0,1\n"
    );
}

/// SMTP logs and IIS logs in one run: each report counts its own, and the
/// IIS reports stay out of an SMTP-only run.
#[test]
fn one_run_reads_smtp_and_iis() {
    let both = exlog(["sample-logs", "tests/data/iis", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&both.stdout).unwrap();
    assert_eq!(v["http-client"].as_array().unwrap().len(), 6);
    // sample-logs' 10 connectors (scripts/make_sample_logs.py: 4 on EX01's receive side).
    assert_eq!(v["connector"].as_array().unwrap().len(), 10);
    let smtp = exlog(["sample-logs", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&smtp.stdout).unwrap();
    assert!(v.get("http-client").is_none());
}

/// Cut into chunks anywhere (a #Fields: change falls inside some of them),
/// read on two threads: the same reports and messages.
#[test]
fn any_chunk_size_gives_the_same_iis_reports() {
    let whole = exlog(["tests/data/iis", "--format", "json", "-j", "1"]);
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        let stats = v["stats"].as_object_mut().unwrap();
        stats.remove("elapsed_seconds");
        stats.remove("gb_per_s");
        v
    };
    for chunk in ["64", "300", "1000", "5000"] {
        let run = exlog([
            "tests/data/iis",
            "--format",
            "json",
            "-j",
            "2",
            "--chunk-size",
            chunk,
        ]);
        assert_eq!(strip(&run.stdout), strip(&whole.stdout), "chunk {chunk}");
        assert_eq!(run.stderr, whole.stderr, "chunk {chunk}");
    }
}

/// The overview's HTTPS line: the fixture's requests by version (TLS 1.0:
/// the phone twice; TLS 1.1: alice; TLS 1.2: three EWS and bob), 9 in all,
/// and the readiness of the one server that has IIS logs.
#[test]
fn the_overview_has_an_https_line() {
    let run = exlog(["tests/data/iis", "--format", "table"]);
    assert!(
        run.stdout.contains(
            "  HTTPS (IIS)    SSL3 0  TLS1.0 2!  TLS1.1 1!  TLS1.2 4  TLS1.3 0  other 0  requests 9  | servers by their least ready site: 1 not_ready\n"
        ),
        "{}",
        run.stdout
    );
    // An IIS-only server's SMTP side was not read: its default connectors
    // are not_read, and a server-wide switch affects them too.
    assert!(
        run.stdout.contains(
            "EX05: SMTP: insufficient data: no FrontEnd logs of EX05 were read, so nothing of Client Frontend EX05 (:587, client submission)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(" | HTTPS W3SVC1: not ready"),
        "{}",
        run.stdout
    );
}

/// Readiness per IIS site, counted by hand from the same fixture. W3SVC1:
/// eight requests (the cut-short row is not one), seven over TLS, three
/// below TLS 1.2 (the phone twice at TLS 1.0, as 203.0.113.9 and behind
/// the balancer as 192.0.2.77; alice's browser at TLS 1.1), one in plain
/// HTTP; its logs span five minutes, so it cannot be ready, and old TLS
/// makes it not ready. W3SVC2 logs no crypt-* fields: one request whose
/// TLS is unknown, never counted as plain HTTP.
#[test]
fn readiness_counts_https_per_site_by_hand() {
    let run = exlog(["tests/data/iis", "--by", "readiness", "--format", "csv"]);
    let rows: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    let w1 = "https,,EX05,W3SVC1,not_ready,2021-03-03T23:59:55.000Z,2021-03-04T00:03:00.000Z,0.00,2,12,8,7,3,3,,,,,1,2021-03-04T00:02:00.000Z,2021-02-19T00:00:00.000Z,2021-03-04T00:03:00.000Z,\"not ready: 3 requests below TLS 1.2 (TLS1.0/TLS1.1) from 3 clients in the window, the last on 2021-03-04 00:02; /Microsoft-Server-ActiveSync x2, /owa x1\"";
    let w2 = "https,,EX05,W3SVC2,insufficient_data,2021-03-04T00:02:00.000Z,2021-03-04T00:02:00.000Z,0.00,1,13,1,0,0,0,,,,,0,,2021-02-19T00:00:00.000Z,2021-03-04T00:03:00.000Z,\"insufficient data: logs cover 0.0 hours (2021-03-04 00:02–00:02), window is 14 days\"";
    assert_eq!(rows[2], w1);
    assert_eq!(rows[3], w2);
    // The server: as ready as its least ready site; SMTP counts (none).
    assert!(rows[1].starts_with("server,,EX05,,not_ready,2021-03-03T23:59:55.000Z,2021-03-04T00:03:00.000Z,0.00,0,0,0,0,0,0,0,0,0,0,0,,"), "{}", rows[1]);
    assert!(
        rows[1].contains("\"SMTP: insufficient data: no FrontEnd logs of EX05 were read"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains(" | HTTPS W3SVC1: not ready: 3 requests"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains(" | HTTPS W3SVC2: insufficient data"),
        "{}",
        rows[1]
    );
}

/// A copy of sample-logs/EX03 (SMTP ready: 16 days of logs, only TLS 1.2
/// in its window 2024-02-22 11:00:02.019 – 2024-03-07 11:00:02.019) with
/// an IIS site holding `rows` (date, time, uri, client, crypt-protocol).
fn ex03_with_iis(rows: &[(&str, &str, &str, &str, &str)]) -> tempfile::TempDir {
    ex03_with_iis_in("W3SVC1", rows)
}

/// [`ex03_with_iis`] with the IIS log in the folder `site` under EX03.
fn ex03_with_iis_in(site: &str, rows: &[(&str, &str, &str, &str, &str)]) -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(
        &crate::util::root().join("sample-logs/EX03"),
        &dir.path().join("EX03"),
    );
    // Its connector inventory: every connector logs (SMTP alone: ready).
    copy(
        &crate::util::root().join("sample-logs/inventory"),
        &dir.path().join("inventory"),
    );
    let mut log = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time cs-uri-stem s-port cs-username c-ip cs(User-Agent) crypt-protocol crypt-cipher crypt-hash crypt-keyexchange\r\n",
    );
    for (date, time, uri, ip, proto) in rows {
        log.push_str(&format!(
            "{date} {time} {uri} 443 - {ip} Client/1.0 {proto} 6610 800c ae06\r\n"
        ));
    }
    crate::util::write(
        &dir.path().join("EX03").join(site).join("u_ex240220.log"),
        log.as_bytes(),
    );
    dir
}

fn readiness_rows(dir: &std::path::Path) -> Vec<String> {
    let run = crate::util::exlog_on(dir, &["--by", "readiness", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .filter(|l| l.starts_with("server,") || l.starts_with("https,"))
        .map(String::from)
        .collect()
}

/// SMTP alone would say ready; one TLS 1.0 request to EWS in the window
/// makes the server not ready, and the sentence names the application.
/// The first request (2024-02-20) is before the window: not counted.
#[test]
fn old_https_clients_make_an_smtp_ready_server_not_ready() {
    let dir = ex03_with_iis(&[
        ("2024-02-20", "08:00:00", "/owa/", "10.0.0.5", "800"),
        (
            "2024-03-05",
            "12:00:00",
            "/EWS/Exchange.asmx",
            "10.1.1.1",
            "40",
        ),
        ("2024-03-07", "10:59:59", "/mapi/emsmdb", "10.0.0.6", "800"),
    ]);
    let rows = readiness_rows(dir.path());
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with("server,,EX03,,not_ready,2024-02-20T08:00:00.000Z,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("\"SMTP: ready: 42 negotiations"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(" | HTTPS W3SVC1: not ready: 1 request below TLS 1.2 (TLS1.0) from 1 client in the window, the last on 2024-03-05 12:00; /EWS x1\""), "{}", rows[0]);
    assert_eq!(
        rows[1],
        "https,,EX03,W3SVC1,not_ready,2024-02-20T08:00:00.000Z,2024-03-07T10:59:59.000Z,16.12,2,12,2,2,1,1,,,,,0,2024-03-05T12:00:00.000Z,2024-02-23T00:00:00.000Z,2024-03-07T11:00:02.019Z,\"not ready: 1 request below TLS 1.2 (TLS1.0) from 1 client in the window, the last on 2024-03-05 12:00; /EWS x1\""
    );
}

/// Only TLS 1.2 over HTTPS in the window, old TLS before it: ready, and
/// the sentence says when old TLS was last used. IIS logs that start
/// inside the window cannot clear the server.
#[test]
fn https_evidence_clears_or_holds_back_a_server() {
    let dir = ex03_with_iis(&[
        ("2024-02-21", "00:00:00", "/owa/", "10.1.1.1", "40"),
        ("2024-03-07", "10:59:59", "/mapi/emsmdb", "10.0.0.6", "800"),
    ]);
    let rows = readiness_rows(dir.path());
    assert!(rows[0].starts_with("server,,EX03,,ready,"), "{}", rows[0]);
    assert_eq!(
        rows[1],
        "https,,EX03,W3SVC1,ready,2024-02-21T00:00:00.000Z,2024-03-07T10:59:59.000Z,15.46,1,13,1,1,0,0,,,,,0,2024-02-21T00:00:00.000Z,2024-02-23T00:00:00.000Z,2024-03-07T11:00:02.019Z,\"ready: 1 HTTPS request at TLS 1.2 or later and none older in the 14 days to 2024-03-07 11:00; TLS below 1.2 was last used on 2024-02-21 00:00, before the window\""
    );
    let short = ex03_with_iis(&[("2024-03-07", "10:00:00", "/owa/", "10.0.0.5", "800")]);
    let rows = readiness_rows(short.path());
    assert!(
        rows[0].starts_with("server,,EX03,,insufficient_data,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(
            "insufficient data: logs cover 0.0 hours (2024-03-07 10:00–10:00), window is 14 days"
        ),
        "{}",
        rows[1]
    );
}

/// exlog-gen's IIS logs (four servers, front and back end, restarts with
/// a layout change on the back end, clients behind a balancer) against
/// the generator's own count of every request: the two reports row for
/// row, and each site's readiness counts and status. The same for any
/// chunk size and thread count.
#[test]
fn generated_iis_logs_match_the_generators_truth() {
    let dir = tempfile::tempdir().unwrap();
    let t =
        exlog_gen::iis::generate(dir.path(), 3_000_000, 4, 7, 1_709_513_970_000, false).unwrap();
    let truth = t.to_json();
    let sorted = |v: &serde_json::Value| {
        let mut rows: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        rows.sort();
        rows
    };
    let run = crate::util::exlog_on(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for report in ["http-client", "http-app"] {
        assert_eq!(sorted(&got[report]), sorted(&truth[report]), "{report}");
    }
    let https: Vec<serde_json::Value> = got["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["scope"] == "https")
        .cloned()
        .collect();
    let https = serde_json::Value::Array(https);
    let mut want = truth["readiness"].clone();
    for r in want.as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("legacy_by_application");
    }
    assert_eq!(
        crate::util::project(&https, &want),
        sorted(&want),
        "readiness per site"
    );
    // Every verdict is there: old TLS to the end, old TLS before the
    // window only, modern, and logs too short.
    let statuses: Vec<&str> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    for s in ["not_ready", "ready", "insufficient_data"] {
        assert!(statuses.contains(&s), "{statuses:?}");
    }
    // The not-ready sentence names each application with its count.
    let ex01 = got["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "https" && r["server"] == "EX01" && r["connector"] == "W3SVC1")
        .unwrap();
    let by_app = &truth["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["server"] == "EX01" && r["connector"] == "W3SVC1")
        .unwrap()["legacy_by_application"];
    for (app, n) in by_app.as_object().unwrap() {
        assert!(
            ex01["verdict"]
                .as_str()
                .unwrap()
                .contains(&format!("{app} x{n}")),
            "{}",
            ex01["verdict"]
        );
    }
    let strip = |s: &str| crate::util::stable_json(s);
    for chunk in ["20000", "333333"] {
        let split = crate::util::exlog_on(
            dir.path(),
            &["--format", "json", "--chunk-size", chunk, "-j", "2"],
        );
        assert_eq!(strip(&split.stdout), strip(&run.stdout), "chunk {chunk}");
    }
}

/// IIS logs that end before the window starts: the overview counts their
/// two TLS 1.2 requests (2024-02-20 08:00 and 20:00), and the readiness
/// row says why none of them is in the window (EX03's window starts
/// 2024-02-23 00:00) instead of claiming that no request was at
/// TLS 1.2. Coverage 12 hours = 0.50 days; nothing in the window.
#[test]
fn https_logs_that_end_before_the_window_say_so() {
    let dir = ex03_with_iis(&[
        ("2024-02-20", "08:00:00", "/owa/", "10.0.0.5", "800"),
        ("2024-02-20", "20:00:00", "/owa/", "10.0.0.5", "800"),
    ]);
    let overview = crate::util::exlog_on(dir.path(), &["--format", "table"]);
    assert!(
        overview.stdout.contains(
            "  HTTPS (IIS)    SSL3 0  TLS1.0 0  TLS1.1 0  TLS1.2 2  TLS1.3 0  other 0  requests 2  | servers by their least ready site: 1 insufficient_data\n"
        ),
        "{}",
        overview.stdout
    );
    let rows = readiness_rows(dir.path());
    assert_eq!(
        rows[1],
        "https,,EX03,W3SVC1,insufficient_data,2024-02-20T08:00:00.000Z,2024-02-20T20:00:00.000Z,0.50,0,14,0,0,0,0,,,,,0,,2024-02-23T00:00:00.000Z,2024-03-07T11:00:02.019Z,\"insufficient data: logs end 2024-02-20 20:00, before the window starts (2024-02-23 00:00)\""
    );
}

/// An IIS log outside a `W3SVCn` folder: the site is named after its
/// folder, never left empty; the server is still EX03 (rule 3: the one
/// server of its collection).
#[test]
fn a_site_outside_a_w3svc_folder_is_named_by_its_folder() {
    let dir = ex03_with_iis_in(
        "iislogs",
        &[("2024-03-07", "10:59:59", "/mapi/emsmdb", "10.0.0.6", "800")],
    );
    let rows = readiness_rows(dir.path());
    assert!(rows[1].starts_with("https,,EX03,iislogs,"), "{}", rows[1]);
    let overview = crate::util::exlog_on(dir.path(), &["--format", "table"]);
    assert!(
        overview.stdout.contains("  https    iislogs: "),
        "{}",
        overview.stdout
    );
}
