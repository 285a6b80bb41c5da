//! `exlog merge`: partial results of runs over separate servers give the
//! reports of one run over all of them, byte for byte; a server read twice
//! counts once; broken, altered or foreign partials are refused by name.

use crate::util::{exlog, root};
use exlog::partial::VERSION;
use std::path::{Path, PathBuf};

/// Every report a partial result can rebuild.
const AGGREGATE: [&str; 12] = [
    "connector",
    "remote",
    "cipher",
    "failure",
    "day",
    "week",
    "readiness",
    "server",
    "legacy",
    "http-client",
    "http-app",
    "tlsrpt",
];

/// Three servers with SMTP logs (sessions crossing files) and IIS logs,
/// and TLS-RPT reports beside them.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), exlog_gen::parse_size("3MB").unwrap());
    cfg.servers = 3;
    cfg.seed = 12;
    cfg.file_size = 400_000;
    exlog_gen::generate(&cfg).unwrap();
    // Partials are made per server folder, without the connector
    // inventory a run over the whole folder would read.
    std::fs::remove_dir_all(dir.path().join("inventory")).unwrap();
    exlog_gen::iis::generate(dir.path(), 1_500_000, 3, 5, 1_709_513_970_000, false).unwrap();
    let reports = dir.path().join("tlsrpt");
    std::fs::create_dir_all(&reports).unwrap();
    for entry in std::fs::read_dir(root().join("tests/data/tlsrpt")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("google.com") || name.starts_with("microsoft.com") {
            std::fs::copy(&path, reports.join(&name)).unwrap();
        }
    }
    dir
}

/// Runs exlog; returns stdout, and checks the exit code.
fn run(args: &[&Path], more: &[&str], code: i32) -> String {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|p| p.as_os_str()).collect();
    all.extend(more.iter().map(std::ffi::OsStr::new));
    let r = exlog(all);
    assert_eq!(r.code, code, "exlog {args:?} {more:?}: {}", r.stderr);
    r.stdout
}

/// `exlog merge PARTS... ARGS` (exit code `code`): stdout and stderr.
fn merge(parts: &[PathBuf], args: &[&str], code: i32) -> (String, String) {
    let mut all: Vec<std::ffi::OsString> = vec!["merge".into()];
    all.extend(parts.iter().map(|p| p.clone().into_os_string()));
    all.extend(args.iter().map(|a| a.into()));
    let r = exlog(all);
    assert_eq!(r.code, code, "exlog merge {parts:?} {args:?}: {}", r.stderr);
    (r.stdout, r.stderr)
}

/// The JSON document without what differs between two runs over the same
/// counts: the timing and the warnings (they name the files as each run
/// found them).
fn counts_of(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let doc = v.as_object_mut().unwrap();
    doc.shift_remove("warnings");
    let stats = doc["stats"].as_object_mut().unwrap();
    stats.shift_remove("elapsed_seconds");
    stats.shift_remove("gb_per_s");
    v
}

/// One partial per server (the TLS-RPT reports go with the first).
fn partials(dir: &Path, out: &Path) -> Vec<PathBuf> {
    ["EX01", "EX02", "EX03"]
        .iter()
        .map(|server| {
            let part = out.join(format!("{server}.json"));
            let mut paths = vec![dir.join(server)];
            if *server == "EX01" {
                paths.push(dir.join("tlsrpt"));
            }
            let mut args: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            args.extend([Path::new("--partial"), &part]);
            run(&args, &[], 0);
            part
        })
        .collect()
}

#[test]
fn merged_partials_of_each_server_give_the_reports_of_one_run() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let parts = partials(dir.path(), out.path());
    // The corpus has every kind of report in it.
    let whole_json = run(&[dir.path()], &["--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&whole_json).unwrap();
    for kind in AGGREGATE {
        let rows = doc[kind].as_array().map_or(0, Vec::len);
        assert!(rows > 0, "no {kind} rows in the corpus");
    }
    for kind in AGGREGATE {
        let whole = run(&[dir.path()], &["--by", kind, "--format", "csv"], 0);
        let (merged, _) = merge(&parts, &["--by", kind, "--format", "csv"], 0);
        assert_eq!(merged, whole, "--by {kind}");
    }
    let (merged_json, _) = merge(&parts, &["--format", "json"], 0);
    assert_eq!(counts_of(&merged_json), counts_of(&whole_json));
    // In any order, and the merged result merges again to the same.
    let reversed: Vec<PathBuf> = parts.iter().rev().cloned().collect();
    let (again, _) = merge(&reversed, &["--format", "json"], 0);
    assert_eq!(counts_of(&again), counts_of(&merged_json));
    let twice = out.path().join("merged.json");
    let twice_arg = twice.to_str().unwrap();
    merge(&parts, &["--partial", twice_arg, "--format", "json"], 0);
    let (remerged, _) = merge(&[twice], &["--by", "readiness", "--format", "csv"], 0);
    let whole = run(&[dir.path()], &["--by", "readiness", "--format", "csv"], 0);
    assert_eq!(remerged, whole);
}

#[test]
fn a_partial_is_the_same_bytes_for_any_thread_count_or_chunk_size() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("part.json");
    let partial = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--partial", file.to_str().unwrap()]);
        run(&[dir.path()], &all, 0);
        std::fs::read_to_string(&file).unwrap()
    };
    let one = partial(&["-j", "1"]);
    assert!(one.contains("\"crc32\""), "{}", &one[..200.min(one.len())]);
    for (threads, chunk) in [("2", "100000"), ("3", "33333")] {
        let other = partial(&["-j", threads, "--chunk-size", chunk]);
        assert!(one == other, "-j {threads} --chunk-size {chunk}");
    }
}

#[test]
fn a_server_read_twice_is_counted_once() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let parts = partials(dir.path(), out.path());
    let whole = run(&[dir.path()], &["--by", "connector", "--format", "csv"], 0);
    // The same partial twice.
    let copy = out.path().join("EX02 again.json");
    std::fs::copy(&parts[1], &copy).unwrap();
    let mut with_copy = parts.clone();
    with_copy.push(copy.clone());
    let (merged, err) = merge(&with_copy, &["--by", "connector", "--format", "csv"], 0);
    assert_eq!(merged, whole);
    assert!(err.contains("EX02 again.json: server EX02's"), "{err}");
    assert!(err.contains("counted once"), "{err}");
    // A partial of part of a server (its receive folder) beside the whole
    // server: the whole one is kept, whichever comes first.
    let receive = dir
        .path()
        .join("EX03/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive");
    assert!(receive.is_dir());
    let some = out.path().join("EX03-receive.json");
    run(&[&receive, Path::new("--partial"), &some], &[], 0);
    for order in [
        vec![
            some.clone(),
            parts[0].clone(),
            parts[1].clone(),
            parts[2].clone(),
        ],
        vec![
            parts[0].clone(),
            parts[1].clone(),
            parts[2].clone(),
            some.clone(),
        ],
    ] {
        let (merged, err) = merge(&order, &["--by", "connector", "--format", "csv"], 0);
        assert_eq!(merged, whole);
        assert!(err.contains("counted once"), "{err}");
    }
}

#[test]
fn a_server_sharing_only_some_files_is_refused() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let mut logs: Vec<PathBuf> = walkdir::WalkDir::new(dir.path().join("EX01"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.to_string_lossy().contains("TransportRoles"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 3, "{logs:?}");
    // Two runs over EX01's SMTP logs, each without a file the other has.
    let a = out.path().join("a.json");
    let b = out.path().join("b.json");
    let mut first: Vec<&Path> = logs[1..].iter().map(PathBuf::as_path).collect();
    first.extend([Path::new("--partial"), &a]);
    run(&first, &[], 0);
    let mut second: Vec<&Path> = logs[..logs.len() - 1]
        .iter()
        .map(PathBuf::as_path)
        .collect();
    second.extend([Path::new("--partial"), &b]);
    run(&second, &[], 0);
    let (merged, err) = merge(
        &[a.clone(), b],
        &["--by", "connector", "--format", "csv"],
        2,
    );
    assert!(err.contains("b.json: server EX01 shares"), "{err}");
    assert!(err.contains("not merged"), "{err}");
    // What is left is the first partial's counts.
    let (alone, _) = merge(&[a], &["--by", "connector", "--format", "csv"], 0);
    assert_eq!(merged, alone);
}

#[test]
fn broken_altered_or_foreign_partials_are_refused_by_name() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let parts = partials(dir.path(), out.path());
    let good = std::fs::read_to_string(&parts[0]).unwrap();
    let write = |name: &str, text: &str| {
        let p = out.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cut = write("cut.json", &good[..good.len() / 2]);
    // One digit of a count changed, inside the checked body.
    let at = good.find("\"classes\":[").unwrap() + "\"classes\":[".len();
    let digit = good.as_bytes()[at];
    let changed = if digit == b'9' {
        '1'
    } else {
        (digit + 1) as char
    };
    let altered = write(
        "altered.json",
        &format!("{}{changed}{}", &good[..at], &good[at + 1..]),
    );
    let newer = write(
        "newer.json",
        &good.replacen(
            &format!("\"version\": {VERSION},"),
            &format!("\"version\": {},", VERSION + 1),
            1,
        ),
    );
    let newer_message = format!(
        "format version {}; this exlog reads version {VERSION}",
        VERSION + 1
    );
    let plain = write("plain.json", "{\"stats\": {}}");
    // Today's JSON report, which no longer embeds one.
    let report = write(
        "report.json",
        &run(&[&dir.path().join("EX02")], &["--format", "json"], 0),
    );
    let cases = [
        (&cut, "cut short"),
        (&altered, "altered after it was written"),
        (&newer, &*newer_message),
        (&plain, "holds no partial result"),
        (
            &report,
            "holds no partial result (written by `exlog --partial FILE`?)",
        ),
    ];
    for (bad, says) in cases {
        let (_, err) = merge(
            &[bad.clone(), parts[1].clone()],
            &["--by", "connector", "--format", "csv"],
            2,
        );
        let name = bad.file_name().unwrap().to_string_lossy().into_owned();
        assert!(err.contains(&format!("{name}: ")), "{err}");
        assert!(err.contains(says), "{name}: {err}");
    }
    // Nothing readable at all: no report.
    let (_, err) = merge(&[cut], &[], 1);
    assert!(err.contains("no partial result could be read"), "{err}");
}

/// The files of a folder `-o DIR/` wrote, by name.
fn folder(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// `merge -o DIR/` writes the reports a run over the logs writes there,
/// byte for byte, less `session.csv` (a partial result holds no sessions;
/// a note says so once) and with its own `report.json`; partials made with
/// `--tls-only` give the files `--tls-only -o DIR/` gives (no day,
/// readiness, coverage, server, legacy or session report).
#[test]
fn merge_into_a_folder_writes_only_the_reports_it_can_make() {
    let out = tempfile::tempdir().unwrap();
    let servers: Vec<PathBuf> = ["EX01", "EX02", "EX03"]
        .iter()
        .map(|s| root().join("sample-logs").join(s))
        .collect();
    for fast in [false, true] {
        let flag: &[&str] = if fast { &["--tls-only", "-q"] } else { &["-q"] };
        let tag = if fast { "tls" } else { "full" };
        let mut parts = Vec::new();
        for s in &servers {
            let part = out.path().join(format!("{tag}-{}.json", parts.len()));
            run(&[s, Path::new("--partial"), &part], flag, 0);
            parts.push(part);
        }
        let direct = out.path().join(format!("{tag}-direct/"));
        let mut all: Vec<&Path> = servers.iter().map(PathBuf::as_path).collect();
        all.extend([Path::new("-o"), &direct]);
        run(&all, flag, 0);
        let merged = out.path().join(format!("{tag}-merged/"));
        let (_, stderr) = merge(&parts, &["-o", merged.to_str().unwrap()], 0);
        let mut want = folder(&direct);
        let mut got = folder(&merged);
        // report.json: its warnings name the files as each run found them.
        assert!(want.remove("report.json").is_some() && got.remove("report.json").is_some());
        if !fast {
            assert!(want.remove("session.csv").unwrap().len() > 1000);
        }
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{tag}"
        );
        for (name, bytes) in &want {
            assert!(got[name] == *bytes, "{tag}: {name} differs");
        }
        let notes = stderr.matches("session.csv").count();
        assert_eq!(notes, usize::from(!fast), "{tag}: {stderr}");
    }
}

#[test]
fn partials_made_with_other_scan_flags_are_not_added() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let fast = out.path().join("fast.json");
    run(
        &[&dir.path().join("EX01"), Path::new("--partial"), &fast],
        &["--tls-only"],
        0,
    );
    let full = out.path().join("full.json");
    run(
        &[&dir.path().join("EX02"), Path::new("--partial"), &full],
        &[],
        0,
    );
    let (_, err) = merge(&[fast.clone(), full], &[], 1);
    assert!(err.contains("different scan flags"), "{err}");
    assert!(err.contains("--tls-only"), "{err}");
    // Flags that steer a scan are not taken by merge.
    let (_, err) = merge(std::slice::from_ref(&fast), &["--since", "2024-03-01"], 1);
    assert!(err.contains("--since steers a scan"), "{err}");
    let (_, err) = merge(&[fast], &["--connector", "x"], 1);
    assert!(err.contains("--connector steers a scan"), "{err}");
}

/// A partial result carries the connector inventory its run read: merged
/// without `--inventory`, the per-server partials of `sample-logs/` (each
/// run given the sample's inventory) give the readiness of one run over
/// the whole folder, EX03 `ready` (every connector the inventory lists is
/// covered, see verdict.rs), where without the inventory it would be
/// `insufficient_data` (its default connectors without rows).
#[test]
fn partials_carry_the_inventory_into_merge() {
    let sample = root().join("sample-logs");
    let inventory = sample.join("inventory");
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for server in ["EX01", "EX02", "EX03"] {
        let part = dir.path().join(format!("{server}.json"));
        let r = exlog([
            sample.join(server).into_os_string(),
            inventory.clone().into_os_string(),
            "--partial".into(),
            part.clone().into_os_string(),
        ]);
        assert_eq!(r.code, 0, "{server}: {}", r.stderr);
        parts.push(part);
    }
    let (merged, err) = merge(&parts, &["--by", "readiness", "--format", "csv"], 0);
    // The three carry the same inventory: combined without a word.
    assert!(!err.contains("inventory"), "{err}");
    let one = run(&[&sample], &["--by", "readiness", "--format", "csv"], 0);
    let servers = |csv: &str| -> Vec<String> {
        csv.lines()
            .filter(|l| l.starts_with("server,"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(servers(&merged), servers(&one));
    assert!(
        servers(&merged)
            .iter()
            .any(|l| l.starts_with("server,,EX03,,ready,")),
        "{merged}"
    );
}

/// The JSON report holds the reports, not the partial result (issue 26
/// §2): `stats` is its first member. The partial goes to `--partial FILE`,
/// alone in its folder afterwards (no temporary file left), and written
/// again over an earlier one.
#[test]
fn the_partial_result_goes_to_its_own_file_not_into_the_json() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let part = out.path().join("EX01.json");
    let ex01 = dir.path().join("EX01");
    let json = run(
        &[&ex01, Path::new("--partial"), &part],
        &["--format", "json"],
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let doc = doc.as_object().unwrap();
    assert_eq!(doc.keys().next().map(String::as_str), Some("stats"));
    assert!(!doc.contains_key("partial"));
    let first = std::fs::read_to_string(&part).unwrap();
    let head = format!(
        "{{\"format\": \"exlog partial result\", \"version\": {}, \"body\": {{",
        VERSION
    );
    assert!(first.starts_with(&head), "{}", &first[..80]);
    assert!(first.ends_with("\"}\n"), "{}", &first[first.len() - 40..]);
    // Again over the same file, from EX02: replaced whole.
    run(
        &[&dir.path().join("EX02"), Path::new("--partial"), &part],
        &[],
        0,
    );
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["EX01.json"]);
    let second = std::fs::read_to_string(&part).unwrap();
    assert!(second.contains("\"name\":\"EX02\"") && !second.contains("\"name\":\"EX01\""));
}

/// A `--partial` path that cannot be written stops the run before the
/// scan, naming the path; so does a folder.
#[test]
fn a_partial_that_cannot_be_written_is_an_error_before_the_scan() {
    let out = tempfile::tempdir().unwrap();
    let missing = out.path().join("no such folder").join("part.json");
    let sample = root().join("sample-logs");
    for (target, says) in [
        (missing.as_path(), "cannot write here"),
        (out.path(), "--partial needs a file name, not a folder"),
    ] {
        let r = exlog([sample.as_os_str(), "--partial".as_ref(), target.as_os_str()]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{}: {says}", target.display())),
            "{}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
}

/// The JSON report of an older exlog embeds the partial result as its
/// `partial` member: merge still reads it, into the same reports as the
/// partial's own file.
#[test]
fn an_older_json_report_that_embeds_a_partial_still_merges() {
    let dir = corpus();
    let out = tempfile::tempdir().unwrap();
    let parts = partials(dir.path(), out.path());
    let text = std::fs::read_to_string(&parts[0]).unwrap();
    // The older layout: `{"partial": ..., "stats": ...}`, pretty-printed.
    let old = out.path().join("old-EX01.json");
    let doc = format!(
        "{{\n  \"partial\": {},\n  \"stats\": {{\n    \"files\": 1\n  }}\n}}\n",
        text.trim_end()
    );
    std::fs::write(&old, doc).unwrap();
    let args = ["--by", "connector", "--format", "csv"];
    let (from_old, _) = merge(&[old, parts[1].clone()], &args, 0);
    let (from_new, _) = merge(&parts[..2], &args, 0);
    assert_eq!(from_old, from_new);
    assert!(from_new.lines().count() > 2, "{from_new}");
}

/// Two partials carrying inventories that disagree on one connector: the
/// merge keeps the first and names the connector, in one clean sentence.
#[test]
fn partials_with_differing_inventories_name_the_connector() {
    let sample = root().join("sample-logs");
    let dir = tempfile::tempdir().unwrap();
    // The receive inventory (UTF-16 LE with BOM) with Client Frontend EX01
    // logging Verbose instead of None, written as UTF-8 with BOM.
    let bytes = std::fs::read(sample.join("inventory/receive-connectors.csv")).unwrap();
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("\"EX01\\Client Frontend EX01\"") {
                l.replace("\"None\"", "\"Verbose\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_ne!(
        changed.join("\n"),
        text.lines().collect::<Vec<_>>().join("\n")
    );
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(changed.join("\r\n").into_bytes());
    std::fs::write(other.join("receive-connectors.csv"), out).unwrap();
    let mut parts = Vec::new();
    for (server, inventory) in [
        ("EX01", sample.join("inventory/receive-connectors.csv")),
        ("EX02", other.join("receive-connectors.csv")),
    ] {
        let part = dir.path().join(format!("{server}.json"));
        let r = exlog([
            sample.join(server).into_os_string(),
            "--inventory".into(),
            inventory.into_os_string(),
            "--partial".into(),
            part.clone().into_os_string(),
        ]);
        assert!(r.code == 0 || r.code == 2, "{server}: {}", r.stderr);
        parts.push(part);
    }
    let mut all: Vec<std::ffi::OsString> = vec!["merge".into()];
    all.extend(parts.iter().map(|p| p.clone().into_os_string()));
    all.extend(["--by".into(), "readiness".into()]);
    let r = exlog(all);
    assert!(
        r.stderr.contains(
            "its connector inventory differs from an earlier partial's on connector \"EX01\\\\Client Frontend EX01\": the earlier one is used"
        ),
        "{}",
        r.stderr
    );
}

/// Partial results read with `--tls-only` hold no sessions: merging them
/// into a report that is nothing without sessions is refused as the run
/// itself refuses it (it printed `""` or empty tables), and the reports
/// they can give still come.
#[test]
fn tls_only_partials_refuse_the_reports_that_need_sessions() {
    let out = tempfile::tempdir().unwrap();
    let part = out.path().join("fast.json");
    let logs = root().join("sample-logs");
    run(
        &[&logs, Path::new("--partial"), &part],
        &["--tls-only", "-q"],
        0,
    );
    let parts = [part];
    for by in [
        "day",
        "week",
        "readiness",
        "coverage",
        "server",
        "legacy",
        "fallout",
    ] {
        let direct = exlog([
            logs.as_os_str(),
            "--tls-only".as_ref(),
            "--by".as_ref(),
            by.as_ref(),
        ]);
        assert_eq!(direct.code, 1, "--by {by}: {}", direct.stderr);
        let (stdout, stderr) = merge(&parts, &["--by", by], 1);
        assert!(stdout.is_empty(), "--by {by}: {stdout}");
        assert!(
            stderr.contains("--tls-only") && stderr.contains(&format!("--by {by}")),
            "--by {by}: {stderr}"
        );
    }
    let (connector, _) = merge(&parts, &["--by", "connector"], 0);
    assert!(connector.starts_with("direction,connector,"), "{connector}");
}
