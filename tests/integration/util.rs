use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `exlog` with `args` from the crate root.
pub fn exlog<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_exlog"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run exlog");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the expected file, or rewrites it under
/// `EXLOG_BLESS=1`. On mismatch, shows the first differing line.
pub fn assert_expected(name: &str, actual: &str) {
    let path = root().join("tests/data/expected").join(name);
    if std::env::var_os("EXLOG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with EXLOG_BLESS=1 to create)", path.display()));
    if expected != actual {
        let (i, (e, a)) = expected
            .lines()
            .chain(std::iter::repeat("<end>"))
            .zip(actual.lines().chain(std::iter::repeat("<end>")))
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .unwrap();
        panic!(
            "{} differs at line {}:\nexpected: {e}\nactual:   {a}\n--- whole actual output ---\n{actual}",
            path.display(),
            i + 1
        );
    }
}

/// JSON output with the two timing fields zeroed: everything else in the
/// document is deterministic.
pub fn stable_json(stdout: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(stdout).expect("valid JSON");
    v["stats"]["elapsed_seconds"] = 0.into();
    v["stats"]["gb_per_s"] = 0.into();
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Runs `exlog` on one path with string options.
pub fn exlog_on(path: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&std::ffi::OsStr> = vec![path.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    exlog(all)
}

/// A CSV report's rows cut to `columns` (in that order), in report order.
pub fn csv_columns(csv_text: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let at: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == *c).expect(c))
        .collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            at.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect()
}

/// The rows of `v` (a JSON report) cut to the columns of the rows in
/// `like`, each as its JSON text, sorted: for truths that do not compute
/// every column (sentences, EHLO names).
pub fn project(v: &serde_json::Value, like: &serde_json::Value) -> Vec<String> {
    let keys: Vec<&String> = like.as_array().unwrap()[0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut r: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let o: serde_json::Map<String, serde_json::Value> = keys
                .iter()
                .map(|k| ((*k).clone(), row[k.as_str()].clone()))
                .collect();
            serde_json::Value::Object(o).to_string()
        })
        .collect();
    r.sort();
    r
}
