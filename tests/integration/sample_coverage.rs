//! `sample-logs/`'s `--by coverage` (its inventory is in the tree) against the truth
//! `scripts/make_sample_logs.py` works out from the sessions it writes and
//! its inventory lists (not from the logs): sessions per connector (a
//! skewed clock's session counted, its days not), days with logs, missing
//! days and status.

use crate::util::{exlog, project, root};
use serde_json::Value;

#[test]
fn sample_coverage_equals_the_generators_truth_skewed_session_included() {
    let truth: Value =
        serde_json::from_slice(&std::fs::read(root().join("sample-logs/truth.json")).unwrap())
            .unwrap();
    let want = &truth["coverage"];
    // The inventory's two CSVs sit in sample-logs/inventory/: read as one.
    let run = exlog(["sample-logs", "--by", "coverage", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut expected: Vec<String> = want
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    expected.sort();
    assert_eq!(project(&got["coverage"], want), expected);
    // The 2031 record's session is EX03's 18th on Default Frontend: the
    // script's 17 sessions of that connector and the skewed one.
    let ex03 = want
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["connector"] == "EX03\\Default Frontend EX03")
        .unwrap();
    assert_eq!(ex03["sessions"], 18);
}
