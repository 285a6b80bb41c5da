//! JSON: every report plus scan statistics and warnings in one document.
//! Rows are objects keyed by the CSV column names.

use super::{Cell, Reports};
use serde_json::{Map, Value, json};

/// Builds the document; `warnings` are the messages also sent to stderr.
pub fn write(reports: &Reports, warnings: &[String]) -> Vec<u8> {
    let s = &reports.summary;
    let mut doc = Map::new();
    let mut stats = json!({
        "files": s.files,
        "files_skipped": s.files_skipped,
        "bytes": s.bytes,
        "lines": s.lines,
        "tls_rows": s.tls_rows,
        "negotiations": s.negotiations,
        "failures": s.failures,
        "malformed_rows": s.malformed_rows,
    });
    // Session counts only when sessions were read (not with --tls-only).
    if reports.table(super::Kind::Readiness).is_some() {
        let more = json!({
            "sessions": s.sessions.iter().sum::<u64>(),
            "sessions_tls": s.sessions[0],
            "sessions_failed": s.sessions[1],
            "sessions_plaintext": s.sessions[2],
            "sessions_unknown": s.sessions[3],
            "sessions_incomplete": s.sessions_incomplete,
        });
        for (k, v) in more.as_object().expect("object") {
            stats[k] = v.clone();
        }
    }
    stats["elapsed_seconds"] = json!(round(s.elapsed_seconds, 6));
    stats["gb_per_s"] = json!(round(s.gb_per_s(), 3));
    doc.insert("stats".into(), stats);
    for table in &reports.tables {
        let rows = table
            .rows
            .iter()
            .map(|row| {
                let mut obj = Map::new();
                for (col, c) in table.columns.iter().zip(row) {
                    obj.insert(col.to_string(), value(c));
                    // Invalid UTF-8 stays exact: the bytes in hex beside it.
                    if let Cell::Bytes(b) = c {
                        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                        obj.insert(format!("{col}_hex"), Value::String(hex));
                    }
                }
                Value::Object(obj)
            })
            .collect();
        doc.insert(table.kind.name().into(), Value::Array(rows));
    }
    doc.insert("warnings".into(), json!(warnings));
    let mut out = serde_json::to_vec_pretty(&Value::Object(doc)).expect("serialisable");
    out.push(b'\n');
    out
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn value(c: &Cell) -> Value {
    match c {
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Cell::Count(n) => json!(n),
        Cell::Bits(Some(n)) => json!(n),
        Cell::Bits(None) => Value::Null,
        Cell::Flag(b) => Value::Bool(*b),
    }
}
