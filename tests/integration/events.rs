//! `--events`: the Parquet rows, read by DuckDB, give exlog's own
//! connector, remote and day reports and each server's readiness numbers;
//! the same bytes for any thread count.

use crate::oracle::generated;
use crate::util::{exlog, root};
use std::path::Path;

/// Runs exlog on `dir` with `args`; checks it succeeded.
fn run(dir: &Path, args: &[&str]) -> String {
    let mut all: Vec<&std::ffi::OsStr> = vec![dir.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let r = exlog(all);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r.stdout
}

fn duckdb_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the DuckDB tests can run. `.ci/run` installs the package, so
/// under CI a missing one fails; anywhere else the test says it was not
/// run.
fn duckdb_or_skip() -> bool {
    if duckdb_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the duckdb Python package (pip install duckdb)"
    );
    eprintln!("SKIPPED: the duckdb Python package is not installed");
    false
}

#[test]
fn duckdb_over_the_events_gives_the_connector_remote_day_and_readiness_reports() {
    if !duckdb_or_skip() {
        return;
    }
    let dir = generated("4MB", "41");
    let out = tempfile::tempdir().unwrap();
    for (target, name) in [("events.parquet", "one file"), ("per-server/", "a folder")] {
        let events = out.path().join(target);
        let events_arg = events.to_string_lossy().into_owned();
        let mut reports = Vec::new();
        for kind in ["connector", "remote", "day", "readiness"] {
            let csv = run(
                dir.path(),
                &["--by", kind, "--format", "csv", "--events", &events_arg],
            );
            let path = out.path().join(format!("{kind}.csv"));
            std::fs::write(&path, csv).unwrap();
            reports.push(path);
        }
        let check = std::process::Command::new("python3")
            .arg(root().join("scripts/events_sql.py"))
            .arg(&events)
            .args(&reports)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success(), "{name}: {said}");
        assert!(
            said.contains("connector: ") && said.contains("the same"),
            "{said}"
        );
    }
    let servers: Vec<String> = std::fs::read_dir(out.path().join("per-server"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(servers.len(), 3, "{servers:?}");
}

#[test]
fn events_are_the_same_bytes_for_any_thread_count() {
    let dir = generated("3MB", "42");
    let out = tempfile::tempdir().unwrap();
    let bytes = |threads: &str| {
        let path = out.path().join(format!("e{threads}.parquet"));
        let arg = path.to_string_lossy().into_owned();
        run(
            dir.path(),
            &["--format", "csv", "--events", &arg, "-j", threads],
        );
        std::fs::read(&path).unwrap()
    };
    let one = bytes("1");
    assert!(one.starts_with(b"PAR1") && one.ends_with(b"PAR1"));
    assert!(one == bytes("2"), "-j 2");
    assert!(one == bytes("3"), "-j 3");
}

#[test]
fn events_need_sessions() {
    let r = exlog([
        "sample-logs",
        "--tls-only",
        "--events",
        "/nonexistent/x.parquet",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--events"), "{}", r.stderr);
    let r = exlog(["sample-logs", "--events", "/nonexistent/dir/x.parquet"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("x.parquet: cannot write here"),
        "{}",
        r.stderr
    );
}

/// The README's recipe 5 query, run as the README gives it (only the
/// events' folder replaced) over the events of `sample-logs/`: per server,
/// remote, EHLO and version below TLS 1.2, its sessions. Expected from
/// `sample-logs/truth.json`, which `scripts/make_sample_logs.py` computes
/// from the sessions it wrote: each legacy row's versions (`TLS1.0 x2`),
/// summed per server, remote and version.
#[test]
fn the_readme_duckdb_recipe_counts_the_legacy_sessions_of_the_truth() {
    if !duckdb_or_skip() {
        return;
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("duckdb -c \"")
        .expect("the recipe's duckdb command")
        + 11;
    let sql = &readme[start..start + readme[start..].find("\"\n").expect("its end")];
    assert!(sql.contains("'events/*.parquet'"), "{sql}");
    let out = tempfile::tempdir().unwrap();
    let events = out.path().join("events");
    let events_arg = format!("{}/", events.display());
    run(
        &root().join("sample-logs"),
        &[
            "--events",
            &events_arg,
            "-o",
            &out.path().join("all.json").to_string_lossy(),
        ],
    );
    let sql = sql.replace(
        "'events/*.parquet'",
        &format!("'{}/*.parquet'", events.display()),
    );
    let query = std::process::Command::new("python3")
        .args([
            "-c",
            "import duckdb,sys\nfor r in duckdb.sql(sys.argv[1]).fetchall(): print(r[0], r[1], r[3], r[4])",
            &sql,
        ])
        .output()
        .unwrap();
    assert!(
        query.status.success(),
        "{}",
        String::from_utf8_lossy(&query.stderr)
    );
    let mut got: Vec<String> = String::from_utf8_lossy(&query.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    got.sort();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("sample-logs/truth.json")).unwrap())
            .unwrap();
    let mut want: std::collections::BTreeMap<(String, String, String), u64> = Default::default();
    for row in truth["legacy"].as_array().unwrap() {
        for part in row["versions"].as_str().unwrap().split("; ") {
            let (version, n) = part.split_once(" x").unwrap();
            if ["SSL2", "SSL3", "TLS1.0", "TLS1.1"].contains(&version) {
                let key = (
                    row["server"].as_str().unwrap().to_string(),
                    row["remote_ip"].as_str().unwrap().to_string(),
                    version.to_string(),
                );
                *want.entry(key).or_default() += n.parse::<u64>().unwrap();
            }
        }
    }
    let mut want: Vec<String> = want
        .into_iter()
        .map(|((server, ip, v), n)| format!("{server} {ip} {v} {n}"))
        .collect();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
