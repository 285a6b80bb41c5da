//! The warnings of an inventory that disagrees with the logs name the
//! inventory file they are about: the one that should have listed a
//! connector of the logs, and the row that names a server without logs.
//!
//! The logs are `sample-logs/EX01`: receive connectors `Default Frontend
//! EX01`, `Client Frontend EX01`, `Default EX01` and `Partner Inbound
//! EX01`, send connector `Outbound to Internet` (the connector-id column
//! of its files). The inventory below lists one of each direction that
//! EX01 does not log, and servers EX02 and EX03, which have no logs here.

use crate::util::{exlog, root, write};
use serde_json::{Value, json};

const RECEIVE: &str = "\"Identity\",\"Server\",\"TransportRole\",\"Enabled\",\"Bindings\",\"ProtocolLoggingLevel\"\n\
\"EX01\\Default Frontend EX01\",\"EX01\",\"FrontendTransport\",\"True\",\"0.0.0.0:25\",\"Verbose\"\n\
\"EX02\\Default Frontend EX02\",\"EX02\",\"FrontendTransport\",\"True\",\"0.0.0.0:25\",\"Verbose\"\n";

const SEND: &str = "\"Identity\",\"Enabled\",\"SourceTransportServers\",\"ProtocolLoggingLevel\"\n\
\"Partner Outbound\",\"True\",\"EX01 EX03\",\"Verbose\"\n";

/// The `inventory_mismatch` warnings of a JSON report, sorted by message.
fn mismatches(stdout: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(stdout).unwrap();
    let mut found: Vec<Value> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "inventory_mismatch")
        .cloned()
        .collect();
    found.sort_by_key(|w| w["message"].as_str().unwrap().to_string());
    found
}

/// The warnings worked out by hand from the logs and the inventory above,
/// sorted by message; `located` tells whether the files are known.
fn expected(receive: &str, send: &str, located: bool) -> Vec<Value> {
    let warning = |message: String, file: &str, line: Option<u64>| {
        let (file, line) = if located {
            (json!(file), json!(line))
        } else {
            (Value::Null, Value::Null)
        };
        json!({"severity": "warning", "kind": "inventory_mismatch", "file": file,
               "offset": null, "line": line, "message": message})
    };
    let unlisted = |direction: &str, connector: &str| {
        format!(
            "EX01: logs of {direction} connector {connector}, which the connector inventory \
             does not list (renamed or removed?)"
        )
    };
    let no_logs = |server: &str| {
        format!(
            "the connector inventory lists connectors of {server}, but no logs of {server} were read"
        )
    };
    let mut want = vec![
        warning(
            unlisted("receive", "EX01\\Client Frontend EX01"),
            receive,
            None,
        ),
        warning(unlisted("receive", "EX01\\Default EX01"), receive, None),
        warning(
            unlisted("receive", "EX01\\Partner Inbound EX01"),
            receive,
            None,
        ),
        warning(unlisted("send", "Outbound to Internet"), send, None),
        // EX02: line 3 of the receive file; EX03: line 2 of the send file.
        warning(no_logs("EX02"), receive, Some(3)),
        warning(no_logs("EX03"), send, Some(2)),
    ];
    want.sort_by_key(|w| w["message"].as_str().unwrap().to_string());
    want
}

#[test]
fn inventory_mismatches_name_the_inventory_file() {
    let dir = tempfile::tempdir().unwrap();
    let (receive, send) = (dir.path().join("receive.csv"), dir.path().join("send.csv"));
    write(&receive, RECEIVE.as_bytes());
    write(&send, SEND.as_bytes());
    let logs = root().join("sample-logs/EX01");
    let part = dir.path().join("part.json");
    let run = exlog([
        logs.as_os_str(),
        "--inventory".as_ref(),
        receive.as_os_str(),
        "--inventory".as_ref(),
        send.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--partial".as_ref(),
        part.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (r, s) = (receive.to_str().unwrap(), send.to_str().unwrap());
    assert_eq!(mismatches(&run.stdout), expected(r, s, true));
    // stderr says what it said before: the message alone.
    let first = "the connector inventory lists connectors of EX02, but no logs of EX02 were read";
    assert!(
        run.stderr.contains(&format!("warning: {first}\n")),
        "{}",
        run.stderr
    );

    // A partial result carries the inventory without its paths: merged,
    // the same warnings name no file.
    let merged = exlog([
        "merge".as_ref(),
        part.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_eq!(mismatches(&merged.stdout), expected(r, s, false));
}
