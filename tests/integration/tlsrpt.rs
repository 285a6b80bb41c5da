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
    // sample-logs' 10 connectors (scripts/make_sample_logs.py: 4 on EX01's receive side).
    assert_eq!(v["connector"].as_array().unwrap().len(), 10);
}

/// The `total` line of `--by tlsrpt` adds each policy's summary once,
/// however many failure-detail rows repeat it. By hand from the JSON in
/// tests/data/tlsrpt: the RFC example's one policy, 5326 successful and
/// 303 failed (on its 3 detail rows, so a sum of the rows gave 15978 and
/// 909); Google's 53 (its second copy has the same report-id: counted
/// once); Microsoft's 18 and 7; no failures in those. 5326 + 53 + 18 + 7
/// = 5404 successful, 303 failed: what the per-domain lines say too.
#[test]
fn the_total_line_counts_each_policy_once() {
    let run = exlog(["tests/data/tlsrpt", "--by", "tlsrpt", "--format", "table"]);
    let total: Vec<&str> = run
        .stdout
        .lines()
        .find(|l| l.starts_with("total "))
        .unwrap_or_else(|| panic!("{}", run.stdout))
        .split_whitespace()
        .collect();
    assert_eq!(total, ["total", "5404", "303"], "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  company-y.example: 5326 successful, 303 failed\n  example.com: 78 successful, 0 failed\n"),
        "{}",
        run.stdout
    );
}

/// Report files as people keep them: renamed, beside other JSON, cut off.
/// `(name, bytes)`: a renamed Microsoft report, a gzipped Google one, one
/// that begins like a report but is cut off, and two other JSON files.
fn report_files() -> Vec<(String, Vec<u8>)> {
    let data = crate::util::root().join("tests/data/tlsrpt");
    let read = |n: &str| std::fs::read(data.join(n)).unwrap();
    let google = read("google.com!example.com!1708128000!1708214399!001.json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &google).unwrap();
    vec![
        (
            "tlsrpt/ms-report.json".into(),
            read("microsoft.com!example.com!1708041600!1708127999.json"),
        ),
        ("tlsrpt/google.JSON.gz".into(), gz.finish().unwrap()),
        (
            "tlsrpt/cut.json".into(),
            b"{\"organization-name\": \"Cut Off Inc.\", \"policies\": [{".to_vec(),
        ),
        (
            "truth.json".into(),
            std::fs::read(crate::util::root().join("sample-logs/truth.json")).unwrap(),
        ),
        ("settings.json".into(), b"[1, 2, 3]".to_vec()),
    ]
}

/// One rule in folders and in zip archives: a `.json` or `.json.gz` that
/// begins like a TLS-RPT report is read as one, whatever its name; one
/// that then fails to parse is named in a warning (exit 2); other JSON is
/// left alone without a word.
#[test]
fn reports_are_known_by_their_content_in_folders_and_zips() {
    // Microsoft's 18 and Google's 53 successful sessions, by hand.
    let want = "report_org,report_id,date_start,date_end,policy_type,policy_domain,mx_host,successful,failed,result_type,sending_ip,receiving_ip,receiving_mx_hostname,failed_sessions\n\
         Google Inc.,2024-02-17T00:00:00Z_example.com,2024-02-17T00:00:00Z,2024-02-17T23:59:59Z,sts,example.com,example.com,53,0,,,,,\n\
         Microsoft Corporation,133526718584528772+example.com,2024-02-16T00:00:00Z,2024-02-16T23:59:59Z,sts,example.com,,18,0,,,,,\n";
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder");
    for (name, bytes) in report_files() {
        crate::util::write(&folder.join(name), &bytes);
    }
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.path().join("all.zip")).unwrap());
    for (name, bytes) in report_files() {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &bytes).unwrap();
    }
    z.finish().unwrap();
    for (path, cut) in [
        (folder.clone(), folder.join("tlsrpt/cut.json")),
        (
            dir.path().join("all.zip"),
            dir.path().join("all.zip/tlsrpt/cut.json"),
        ),
    ] {
        let run = crate::util::exlog_on(&path, &["--by", "tlsrpt", "--format", "csv"]);
        assert_eq!(run.stdout, want, "{}: {}", path.display(), run.stderr);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(
            run.stderr.lines().collect::<Vec<_>>(),
            [format!(
                "exlog: warning: {}: not counted: not a TLS-RPT report: not JSON: EOF while parsing an object at line 1 column 52",
                cut.display()
            )],
            "{}",
            path.display()
        );
    }
}

/// sample-logs holds truth.json, which is no report: the folder and a
/// zip of it are read without a word about it, exit 0.
#[test]
fn a_zip_of_sample_logs_reads_as_the_folder_does() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("sample-logs.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let root = crate::util::root().join("sample-logs");
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let name = e.path().strip_prefix(&root).unwrap().to_string_lossy();
            z.start_file(
                format!("sample-logs/{name}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
    z.finish().unwrap();
    let folder = exlog(["sample-logs", "--format", "csv"]);
    let zipped = crate::util::exlog_on(&zip_path, &["--format", "csv"]);
    assert_eq!((folder.code, zipped.code), (0, 0), "{}", zipped.stderr);
    assert!(!zipped.stderr.contains("truth.json"), "{}", zipped.stderr);
    assert_eq!(zipped.stdout, folder.stdout);
}
