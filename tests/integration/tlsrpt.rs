//! TLS-RPT reports (RFC 8460), from tests/data/tlsrpt
//! (tests/data/make_fixtures.py: the published examples as files).

use crate::util::exlog;

#[test]
fn tlsrpt_rows_by_hand() {
    let run = exlog(["tests/data/tlsrpt", "--by", "tlsrpt", "--format", "csv"]);
    // Two malformed reports are not counted: exit 2.
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The RFC example: one row per failure detail (3), each with its
    // policy's summary; Google once (its copy has the same report-id);
    // Microsoft twice, one from a .json.gz and with zone-less dates (UTC).
    assert_eq!(
        run.stdout,
        "report_org,report_id,date_start,date_end,policy_type,policy_domain,mx_host,successful,failed,result_type,sending_ip,receiving_ip,receiving_mx_hostname,failed_sessions\n\
         Company-X,5065427c-23d3-47ca-b6e0-946ea0e8c4be,2016-04-01T00:00:00Z,2016-04-01T23:59:59Z,sts,company-y.example,*.mail.company-y.example,5326,303,certificate-expired,2001:db8:abcd:0012::1,,mx1.mail.company-y.example,100\n\
         Company-X,5065427c-23d3-47ca-b6e0-946ea0e8c4be,2016-04-01T00:00:00Z,2016-04-01T23:59:59Z,sts,company-y.example,*.mail.company-y.example,5326,303,starttls-not-supported,2001:db8:abcd:0013::1,203.0.113.56,mx2.mail.company-y.example,200\n\
         Company-X,5065427c-23d3-47ca-b6e0-946ea0e8c4be,2016-04-01T00:00:00Z,2016-04-01T23:59:59Z,sts,company-y.example,*.mail.company-y.example,5326,303,validation-failure,198.51.100.62,203.0.113.58,mx-backup.mail.company-y.example,3\n\
         Google Inc.,2024-02-17T00:00:00Z_example.com,2024-02-17T00:00:00Z,2024-02-17T23:59:59Z,sts,example.com,example.com,53,0,,,,,\n\
         Microsoft Corporation,133526718584528772+example.com,2024-02-16T00:00:00Z,2024-02-16T23:59:59Z,sts,example.com,,18,0,,,,,\n\
         Microsoft Corporation,133561180919336230+example.com,2024-03-26T00:00:00Z,2024-03-26T23:59:59Z,sts,example.com,,7,0,,,,,\n"
    );
    let err = &run.stderr;
    assert!(
        err.contains(
            "!002.json: report-id \"2024-02-17T00:00:00Z_example.com\" was read already from "
        ),
        "{err}"
    );
    assert!(err.contains("bad.example!example.com!1!2.json: not counted: not a TLS-RPT report: \"total-successful-session-count\" is -3, not a count"), "{err}");
    assert!(
        err.contains(
            "cut.example!example.com!1!2.json: not counted: not a TLS-RPT report: not JSON"
        ),
        "{err}"
    );
}

/// On a terminal: totals per policy domain, each policy's summary once
/// (18 + 7 + 53 for example.com; 5326 and 303 for company-y.example).
#[test]
fn totals_per_policy_domain() {
    let run = exlog(["tests/data/tlsrpt", "--by", "tlsrpt", "--format", "table"]);
    assert!(run.stdout.contains("TLS-RPT ("), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  company-y.example: 5326 successful, 303 failed\n")
    );
    assert!(
        run.stdout
            .contains("  example.com: 78 successful, 0 failed\n")
    );
}

/// Logs and reports in one run; JSON carries the TLS-RPT rows.
#[test]
fn logs_and_reports_in_one_run() {
    let run = exlog(["sample-logs", "tests/data/tlsrpt", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["tlsrpt"].as_array().unwrap().len(), 6);
    assert_eq!(v["connector"].as_array().unwrap().len(), 7);
}
