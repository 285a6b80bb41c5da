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
    assert_eq!(v["connector"].as_array().unwrap().len(), 6);
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
/// the phone twice; TLS 1.1: alice; TLS 1.2: three EWS and bob), 9 in all.
#[test]
fn the_overview_has_an_https_line() {
    let run = exlog(["tests/data/iis", "--format", "table"]);
    assert!(
        run.stdout.contains(
            "  HTTPS (IIS)    SSL3 0  TLS1.0 2!  TLS1.1 1!  TLS1.2 4  TLS1.3 0  other 0  requests 9\n"
        ),
        "{}",
        run.stdout
    );
    // An IIS-only server has no SMTP verdict.
    assert!(!run.stdout.contains("EX05: insufficient data"));
}
