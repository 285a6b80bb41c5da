//! `exlog merge --by fallout`: the timelines of two switched servers,
//! each from its own partial result, stay each server's own.

use crate::util::exlog;
use std::path::{Path, PathBuf};

/// Three servers; EX01 and EX02 switched off part-way (as in `impact`).
fn switched_corpus() -> tempfile::TempDir {
    crate::impact::switched_corpus_of("6MB")
}

fn run(args: Vec<std::ffi::OsString>) -> String {
    let r = exlog(args.clone());
    assert_eq!(r.code, 0, "exlog {args:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn merged_partials_of_two_switched_servers_give_each_its_own_fallout() {
    let dir = switched_corpus();
    let out = tempfile::tempdir().unwrap();
    let by = ["--by", "fallout", "--format", "csv"].map(std::ffi::OsString::from);
    let mut parts: Vec<PathBuf> = Vec::new();
    for server in ["EX01", "EX02", "EX03"] {
        let part = out.path().join(format!("{server}.partial"));
        let folder: &Path = &dir.path().join(server);
        run(vec![folder.into(), "--partial".into(), part.clone().into()]);
        parts.push(part);
    }
    let mut whole_args = vec![dir.path().as_os_str().to_owned()];
    whole_args.extend(by.clone());
    let whole = run(whole_args);
    let mut merge_args: Vec<std::ffi::OsString> = vec!["merge".into()];
    merge_args.extend(parts.iter().map(|p| p.clone().into_os_string()));
    merge_args.extend(by);
    let merged = run(merge_args);
    // Both switched servers have rows of their own (column 2 is the server).
    for server in ["EX01", "EX02"] {
        let rows = whole
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some(server))
            .count();
        assert!(rows > 0, "no fallout rows of {server}:\n{whole}");
    }
    assert_eq!(merged, whole);
}
