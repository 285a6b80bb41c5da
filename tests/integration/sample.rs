//! `sample-logs/` against the truth `scripts/make_sample_logs.py` computes
//! from the sessions it writes (not from the logs): the impact columns of
//! `--by legacy`, every column of `--by fallout`, and EX01's switch.

use crate::util::{exlog, project, root};
use serde_json::Value;

fn truth() -> Value {
    serde_json::from_slice(&std::fs::read(root().join("sample-logs/truth.json")).unwrap()).unwrap()
}

/// `exlog sample-logs --by REPORT --format json`: that report's rows.
fn rows(report: &str) -> Value {
    let run = exlog(["sample-logs", "--by", report, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    got[report].clone()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v.as_array().unwrap().iter().map(Value::to_string).collect();
    r.sort();
    r
}

fn column<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    let rows = v.as_array().unwrap().iter();
    rows.map(|r| r[name].as_str().unwrap()).collect()
}

#[test]
fn sample_legacy_impact_columns_equal_the_generators_truth() {
    // The row key and the new columns only: the older ones are held to the
    // truth by fixtures::sample_logs_equal_their_generators_truth.
    let keys = [
        "direction",
        "server",
        "connector",
        "remote_ip",
        "impact",
        "auth_users",
        "senders",
        "certificate_subject",
    ];
    let truth = truth()["legacy"].clone();
    let like: Vec<Value> = truth
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            keys.iter()
                .map(|k| (k.to_string(), r[*k].clone()))
                .collect()
        })
        .collect();
    let like = Value::Array(like);
    assert_eq!(project(&rows("legacy"), &like), sorted(&like));
}

#[test]
fn sample_fallout_equals_the_generators_truth_in_every_column() {
    let truth = truth();
    let got = rows("fallout");
    // Every column exlog prints is in the truth, and the other way round.
    let mut want: Vec<&String> = truth["fallout"][0].as_object().unwrap().keys().collect();
    let mut have: Vec<&String> = got[0].as_object().unwrap().keys().collect();
    want.sort();
    have.sort();
    assert_eq!(have, want);
    assert_eq!(sorted(&got), sorted(&truth["fallout"]));
    // The truth's switch days: EX01 only (EX02 and EX03 never fail a remote
    // with a legacy past), and the overview names it.
    assert_eq!(truth["switch"], serde_json::json!({"EX01": "2024-03-09"}));
    let overview = exlog(["sample-logs", "--format", "table"]);
    assert!(
        overview
            .stdout
            .contains("EX01: after TLS 1.0/1.1 stopped working on 2024-03-09:"),
        "{}",
        overview.stdout
    );
}

#[test]
fn sample_shows_every_impact_class_and_every_outcome() {
    let legacy = rows("legacy");
    let impacts = column(&legacy, "impact");
    for class in [
        "internal",
        "client_submission",
        "tls_required",
        "opportunistic",
    ] {
        assert!(impacts.contains(&class), "{class} missing: {impacts:?}");
    }
    let fallout = rows("fallout");
    let outcomes = column(&fallout, "outcome");
    for outcome in [
        "recovered",
        "fell_back_to_plaintext",
        "blocked",
        "new_failure",
    ] {
        assert!(
            outcomes.contains(&outcome),
            "{outcome} missing: {outcomes:?}"
        );
    }
    // And some rows carry what to call with: a user, a certificate.
    assert!(column(&legacy, "auth_users").contains(&"CONTOSO\\scanner-3rdfloor"));
    assert!(column(&legacy, "certificate_subject").contains(&"CN=mail.slowpartner.example"));
}
