//! `scripts/layers.py`, the layer check CI runs: it passes on src/, and
//! fails on a copy given an edge up the layers, a circle of files, or a
//! circle of top-level modules (a folder taken whole).

use crate::util::root;
use std::path::Path;
use std::process::Command;

/// Copies src/ into a temporary folder, puts each `(file, line)`'s line
/// at the top of its file there, and runs the check on the copy: (exit
/// code, output).
fn check_with(added: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("src"), dir.path());
    for (file, line) in added {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{line}\n{text}")).unwrap();
    }
    let out = Command::new("python3")
        .arg(root().join("scripts/layers.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn the_layer_check_passes_on_src_and_fails_on_an_edge_up_or_a_circle_of_files_or_folders() {
    let (code, out) = check_with(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 problems"), "{out}");
    // The parser using the pipeline: an edge up the layers.
    let up = (
        "parse/tls.rs",
        "fn _up() { let _ = crate::pipeline::Plan::sessions; }",
    );
    let (code, out) = check_with(&[up]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("parse::tls (parse) uses pipeline (pipeline), a layer above it"),
        "{out}"
    );
    // Two files of one layer: one way is fine, both ways a circle.
    let one = (
        "wire.rs",
        "fn _a() { let _ = crate::inventory::decode::decode; }",
    );
    let back = (
        "inventory/decode.rs",
        "fn _b() { let _ = crate::wire::pairs; }",
    );
    let (code, out) = check_with(&[one]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check_with(&[one, back]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("circle: inventory::decode <-> wire"), "{out}");
    // The filters naming the smtp folder (its mod.rs is a foundation: no
    // edge up), while smtp's session selection uses the filters: no two
    // files in a circle, but two top-level modules.
    let folder = ("filter.rs", "use crate::smtp;");
    let (code, out) = check_with(&[folder]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("a layer above"), "{out}");
    assert!(
        out.contains("circle of top-level modules: chunk <-> filter <-> smtp"),
        "{out}"
    );
}

/// `scripts/long_fns.py` on a folder holding `file` with `text`.
fn long_fns_on(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rs"), text).unwrap();
    let out = Command::new("python3")
        .arg(root().join("scripts/long_fns.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_long_function_check_passes_on_src_and_counts_from_fn_to_its_brace() {
    let out = Command::new("python3")
        .arg(root().join("scripts/long_fns.py"))
        .arg(root().join("src"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // 80 lines from `fn` to `}` pass, 81 do not; braces in strings, raw
    // strings (a backslash escapes nothing there), chars and comments do
    // not count.
    let body = |n: usize| {
        let mut f = String::from("fn f() {\n");
        f.push_str("    let _ = r\"\\\\?\\\"; let _ = \"{\"; let _ = '}'; // }\n");
        for _ in 0..n - 3 {
            f.push_str("    let _ = 1;\n");
        }
        f.push_str("}\n");
        f
    };
    let (code, out) = long_fns_on(&body(80));
    assert_eq!(code, 0, "{out}");
    let (code, out) = long_fns_on(&body(81));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("a.rs:1: fn f is 81 lines"), "{out}");
}
