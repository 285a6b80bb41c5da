//! Issue 22: a verdict that knows what it has not seen. Expected values are
//! worked out by hand from `sample-logs/` (see `scripts/make_sample_logs.py`:
//! EX03 holds 16 daily files, 2024-02-21 to 2024-03-07, of its FrontEnd and
//! Hub receive logs and its Hub send logs; its inventory lists five receive
//! connectors and two send connectors, all logged) and from
//! `sample-logs/truth.json`, which that script computes from the sessions
//! it made, not from exlog's output.

use crate::util::{exlog, root};
use std::path::Path;

/// The CSV rows of `--by readiness` (or another report) as column → value.
fn rows(args: &[&str]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let run = exlog(args.iter().copied().chain(["--format", "csv"]));
    assert!(
        run.code == 0 || run.code == 2,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), serde_json::Value::from(v)))
                .collect()
        })
        .collect()
}

fn server_row<'a>(
    rows: &'a [serde_json::Map<String, serde_json::Value>],
    server: &str,
) -> &'a serde_json::Map<String, serde_json::Value> {
    rows.iter()
        .find(|r| r["scope"] == "server" && r["server"] == server)
        .unwrap_or_else(|| panic!("no server row for {server}"))
}

/// Copies EX03's logs (all, or those whose name holds one of `days`) and,
/// if asked, the sample's inventory into a new folder.
fn copy_ex03(to: &Path, days: Option<&[&str]>, inventory: bool) {
    let from = root().join("sample-logs");
    for entry in walkdir(&from.join("EX03")) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if days.is_some_and(|d| !d.iter().any(|d| name.contains(d))) {
            continue;
        }
        let rel = entry.strip_prefix(&from).unwrap();
        std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, to.join(rel)).unwrap();
    }
    if inventory {
        std::fs::create_dir_all(to.join("inventory")).unwrap();
        for f in ["receive-connectors.csv", "send-connectors.csv"] {
            std::fs::copy(from.join("inventory").join(f), to.join("inventory").join(f)).unwrap();
        }
    }
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_default_connector_without_rows_or_inventory_is_never_ready() {
    // EX03 alone: no inventory. Client Frontend, Outbound Proxy Frontend
    // and Client Proxy have no rows: unknown, so EX03 is not ready.
    let rows = rows(&["sample-logs/EX03", "--by", "readiness"]);
    let ex03 = server_row(&rows, "EX03");
    assert_eq!(ex03["status"], "insufficient_data");
    let verdict = ex03["verdict"].as_str().unwrap();
    assert!(
        verdict.contains(
            "no rows of Client Frontend EX03 (:587, client submission): it does not log \
             (Exchange's default) or was not used; turn its logging on, or give exlog the \
             connector inventory (see README)"
        ),
        "{verdict}"
    );
    // Its logs themselves cover every day: 14 of 14.
    assert_eq!(
        (
            ex03["days_with_logs"].as_str(),
            ex03["missing_days"].as_str()
        ),
        (Some("14"), Some("0"))
    );
}

#[test]
fn only_the_first_and_last_day_is_never_ready() {
    // Window: the 14 days to 2024-03-07 11:00 are 2024-02-23 to 2024-03-07.
    // Kept: 2024-02-21 (before the window) and 2024-03-07: 1 day with logs,
    // 13 without (2024-02-23 to 2024-03-06).
    let dir = tempfile::tempdir().unwrap();
    copy_ex03(dir.path(), Some(&["20240221", "20240307"]), true);
    let path = dir.path().to_string_lossy().into_owned();
    let rows = rows(&[&path, "--by", "readiness"]);
    let ex03 = server_row(&rows, "EX03");
    assert_eq!(ex03["status"], "insufficient_data");
    assert_eq!(ex03["days_with_logs"], "1");
    assert_eq!(ex03["missing_days"], "13");
    assert_eq!(ex03["window_from"], "2024-02-23T00:00:00.000Z");
    let verdict = ex03["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with(
            "insufficient data: logs missing for 13 of 14 days (2024-02-23 to 2024-03-06)"
        ),
        "{verdict}"
    );
}

#[test]
fn since_never_invents_coverage() {
    // Logs end in 2024: nothing is kept from 2030 on, so nothing is covered.
    let rows = rows(&["sample-logs", "--since", "2030-01-01", "--by", "readiness"]);
    for r in rows.iter().filter(|r| r["scope"] == "server") {
        assert_eq!(r["coverage_from"], "", "{r:?}");
        assert_eq!(r["coverage_to"], "", "{r:?}");
        assert_eq!(r["status"], "insufficient_data", "{r:?}");
    }
}

#[test]
fn ignored_connectors_are_left_out_and_said() {
    // Without the inventory, EX03's blind defaults are Client Frontend,
    // Outbound Proxy Frontend and Client Proxy (Default EX03 has rows on
    // every day). Ignoring them leaves every connector covered: ready.
    let rows = rows(&[
        "sample-logs/EX03",
        "--by",
        "readiness",
        "--ignore-connector",
        "ex03\\client *",
        "--ignore-connector",
        "*Outbound Proxy*",
    ]);
    let ex03 = server_row(&rows, "EX03");
    assert_eq!(ex03["status"], "ready", "{ex03:?}");
    let verdict = ex03["verdict"].as_str().unwrap();
    assert!(
        verdict.contains(
            "left out by --ignore-connector: Client Frontend EX03 (:587, client submission), \
             Client Proxy EX03 (:465, client proxy), Outbound Proxy Frontend EX03 (:717, outbound proxy)"
        ),
        "{verdict}"
    );
}

#[test]
fn coverage_without_inventory_by_hand() {
    // EX03 alone: its logs hold Default Frontend (FrontEnd), Default
    // (Hub), and the send connectors Outbound to Internet and Partner Relay;
    // the three other defaults have no rows, and FrontEnd and Hub receive
    // logs were both read: unknown.
    let rows = rows(&["sample-logs/EX03", "--by", "coverage"]);
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["direction"].as_str().unwrap(),
                r["connector"].as_str().unwrap(),
                r["source"].as_str().unwrap(),
                r["service"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "receive EX03\\Client Frontend EX03 default FrontEnd unknown",
            "receive EX03\\Client Proxy EX03 default Hub unknown",
            "receive EX03\\Default EX03 logs Hub covered",
            "receive EX03\\Default Frontend EX03 logs FrontEnd covered",
            "receive EX03\\Outbound Proxy Frontend EX03 default FrontEnd unknown",
            "send Outbound to Internet logs Hub covered",
            "send Partner Relay logs Hub covered",
        ]
    );
    // Default EX03: one session a day for 16 days.
    let hub = rows
        .iter()
        .find(|r| r["connector"] == "EX03\\Default EX03")
        .unwrap();
    assert_eq!(hub["sessions"], "16");
    assert_eq!(hub["days_with_logs"], "14");
}

#[test]
fn a_hub_folder_not_copied_is_not_read() {
    // Only EX03's FrontEnd receive folder: the Hub defaults were not read.
    let dir = tempfile::tempdir().unwrap();
    copy_ex03(dir.path(), None, false);
    std::fs::remove_dir_all(dir.path().join("EX03/TransportRoles/Logs/Hub")).unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let rows = rows(&[&path, "--by", "coverage"]);
    let status = |c: &str| {
        rows.iter()
            .find(|r| r["connector"] == c)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("EX03\\Default EX03").as_deref(), Some("not_read"));
    assert_eq!(
        status("EX03\\Client Proxy EX03").as_deref(),
        Some("not_read")
    );
    assert_eq!(
        status("EX03\\Client Frontend EX03").as_deref(),
        Some("unknown")
    );
    assert_eq!(
        status("EX03\\Default Frontend EX03").as_deref(),
        Some("covered")
    );
}

/// EX03's transport service as `Get-TransportService | Select-Object
/// Name,IntraOrgConnectorProtocolLoggingLevel | Export-Csv` writes it (the
/// README's third command): UTF-8 with a BOM, or (Windows PowerShell's
/// `-Encoding Unicode`) UTF-16 LE with a BOM, CRLF.
fn transport_services(dir: &Path, level: &str, utf16: bool) {
    let text =
        format!("\"Name\",\"IntraOrgConnectorProtocolLoggingLevel\"\r\n\"EX03\",\"{level}\"\r\n");
    let bytes: Vec<u8> = if utf16 {
        let mut b = vec![0xFF, 0xFE];
        b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        b
    } else {
        [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()
    };
    std::fs::write(dir.join("inventory/transport-services.csv"), bytes).unwrap();
}

#[test]
fn the_intra_org_send_connector_follows_its_transport_service() {
    // With the inventory alone EX03 is ready (CI checks it). Its intra-
    // organization send connector has no rows in the sample: exported with
    // level None, it is not_logged and EX03 has no evidence for it; with
    // Verbose, its Hub send logs cover all 14 days: still ready.
    for utf16 in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        copy_ex03(dir.path(), None, true);
        let path = dir.path().to_string_lossy().into_owned();
        transport_services(dir.path(), "None", utf16);
        let rows_none = rows(&[&path, "--by", "readiness"]);
        let ex03 = server_row(&rows_none, "EX03");
        assert_eq!(ex03["status"], "insufficient_data", "{ex03:?}");
        let verdict = ex03["verdict"].as_str().unwrap();
        assert!(
            verdict.contains(
                "Intra-Organization SMTP Send Connector is not logged: Set-TransportService \
                 \"EX03\" -IntraOrgConnectorProtocolLoggingLevel Verbose, then read 14 days \
                 of its logs"
            ),
            "{verdict}"
        );
        let coverage = rows(&[&path, "--by", "coverage"]);
        let intra: Vec<_> = coverage
            .iter()
            .filter(|r| r["connector"] == "Intra-Organization SMTP Send Connector")
            .collect();
        assert_eq!(intra.len(), 1, "{coverage:?}");
        let r = intra[0];
        let got = [
            &r["server"],
            &r["direction"],
            &r["source"],
            &r["service"],
            &r["logging"],
            &r["status"],
        ];
        assert_eq!(
            got,
            ["EX03", "send", "inventory", "Hub", "None", "not_logged"],
            "{r:?}"
        );

        transport_services(dir.path(), "Verbose", utf16);
        let rows_verbose = rows(&[&path, "--by", "readiness"]);
        assert_eq!(server_row(&rows_verbose, "EX03")["status"], "ready");
    }
}

#[test]
fn a_verdict_under_connector_says_what_it_left_out() {
    // EX03's inventory lists five receive connectors and two send
    // connectors. `EX03\Default*` chooses Default Frontend EX03 and
    // Default EX03; the other five are named (three, then "and 2 more"),
    // sorted by direction then identity.
    let chosen = rows(&[
        "sample-logs",
        "--connector",
        "EX03\\Default*",
        "--by",
        "readiness",
    ]);
    let ex03 = server_row(&chosen, "EX03");
    assert_eq!(ex03["status"], "ready", "{ex03:?}");
    let verdict = ex03["verdict"].as_str().unwrap();
    assert!(
        verdict.ends_with(
            "; judged on the connectors --connector/--direction chose only, not on 5 others: \
             Client Frontend EX03 (:587, client submission), Client Proxy EX03 (:465, client \
             proxy), Outbound Proxy Frontend EX03 (:717, outbound proxy) and 2 more"
        ),
        "{verdict}"
    );
    // Without a filter, no such clause.
    let all = rows(&["sample-logs", "--by", "readiness"]);
    assert!(
        !server_row(&all, "EX03")["verdict"]
            .as_str()
            .unwrap()
            .contains("judged on")
    );
}
