//! The connector inventory reader on exports made as PowerShell writes
//! them (tests/data/inventory/make_inventory.py says how each was made).
//! Expected connectors are written here from the generator's description:
//! two servers, five default receive connectors each, a relay on EX01, a
//! disabled French-named connector on EX02, three send connectors.

use crate::util::root;
use exlog::inventory::{
    Error, Inventory, Logging, ReceiveConnector, SendConnector, Warning, is_inventory, read_file,
};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/data/inventory").join(name)
}

fn read(names: &[&str]) -> (Result<Inventory, Error>, Vec<Warning>) {
    let mut inv = Inventory::default();
    let mut warnings = Vec::new();
    for name in names {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        if let Err(e) = read_file(Path::new(name), &bytes, &mut inv, &mut warnings) {
            return (Err(e), warnings);
        }
    }
    (Ok(inv), warnings)
}

fn messages(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

/// The connectors without where they were read, to compare two exports.
fn without_place(inv: &Inventory) -> (Vec<ReceiveConnector>, Vec<SendConnector>) {
    let receive = inv.receive.iter().map(|r| ReceiveConnector {
        file: PathBuf::new(),
        line: 0,
        ..r.clone()
    });
    let send = inv.send.iter().map(|s| SendConnector {
        file: PathBuf::new(),
        line: 0,
        ..s.clone()
    });
    (receive.collect(), send.collect())
}

const AUTH_ALL: &str = "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer";

#[test]
fn the_readme_exports_by_hand() {
    let (inv, warnings) = read(&["receive-connectors.csv", "send-connectors.csv"]);
    let inv = inv.unwrap();
    assert_eq!(messages(&warnings), Vec::<String>::new());
    // 5 defaults + the relay on EX01, 5 + the French one on EX02.
    assert_eq!(inv.receive.len(), 12);
    assert_eq!(inv.servers(), ["EX01", "EX02"]);
    let names: Vec<&str> = inv.receive_of("ex02").map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Default EX02",
            "Client Proxy EX02",
            "Default Frontend EX02",
            "Outbound Proxy Frontend EX02",
            "Client Frontend EX02",
            "Réception clients EX02",
        ]
    );
    // Row n is on line n + 1: the fifth is EX01's Client Frontend.
    let client = &inv.receive[4];
    assert_eq!(client.identity, "EX01\\Client Frontend EX01");
    assert_eq!(
        (client.line, client.file.as_path()),
        (6, Path::new("receive-connectors.csv"))
    );
    assert_eq!(client.role.as_deref(), Some("FrontendTransport"));
    assert_eq!(client.bindings, ["[::]:587", "0.0.0.0:587"]);
    assert_eq!(client.ports(), [587]);
    assert_eq!(
        (client.enabled, client.logging),
        (Some(true), Some(Logging::None))
    );
    assert_eq!(
        client.auth.as_deref(),
        Some("Tls, Integrated, BasicAuth, BasicAuthRequireTLS")
    );
    assert_eq!(client.permission_groups.as_deref(), Some("ExchangeUsers"));
    let relay = &inv.receive[5];
    assert_eq!(relay.name, "Relay \"Scan, Print\" EX01");
    assert_eq!((relay.server.as_str(), relay.ports()), ("EX01", vec![25]));
    let french = &inv.receive[11];
    assert_eq!(
        (french.enabled, french.require_tls),
        (Some(false), Some(true))
    );
    let front = &inv.receive[8];
    assert_eq!(front.identity, "EX02\\Default Frontend EX02");
    assert_eq!(front.auth.as_deref(), Some(AUTH_ALL));
    assert_eq!(front.logging, Some(Logging::Verbose));
    assert_eq!(front.fqdn.as_deref(), Some("ex02.contoso.com"));

    let send: Vec<&str> = inv.send_of("EX02").map(|s| s.identity.as_str()).collect();
    assert_eq!(send, ["Outbound to Internet", "Partner relay"]);
    let internet = &inv.send[0];
    assert_eq!(internet.source_servers, ["EX01", "EX02"]);
    assert_eq!(
        (internet.tls_auth_level.as_deref(), internet.fqdn.as_deref()),
        (None, None)
    );
    assert_eq!(internet.smart_hosts, Vec::<String>::new());
    assert_eq!(internet.address_spaces, ["SMTP:*;1"]);
    let partner = &inv.send[2];
    assert_eq!(
        partner.address_spaces,
        ["SMTP:partner.example;1", "SMTP:*.partner.example;2"]
    );
    assert_eq!(
        partner.smart_hosts,
        ["[192.0.2.25]", "relay.partner.example"]
    );
    assert_eq!(
        (partner.enabled, partner.require_tls, partner.logging),
        (Some(false), Some(true), Some(Logging::Verbose))
    );
    assert_eq!(
        partner.tls_auth_level.as_deref(),
        Some("CertificateValidation")
    );
    assert_eq!(inv.send[1].line, 3);
}

#[test]
fn every_encoding_and_a_type_line_read_the_same() {
    let (readme, _) = read(&["receive-connectors.csv", "send-connectors.csv"]);
    let readme = readme.unwrap();
    for (receive, send) in [
        ("receive-pwsh7.csv", "send-redirected.csv"),
        ("receive-unicode.csv", "send-redirected.csv"),
        ("receive-typed.csv", "send-connectors.csv"),
    ] {
        let (inv, warnings) = read(&[receive, send]);
        let inv = inv.unwrap();
        assert_eq!(messages(&warnings), Vec::<String>::new(), "{receive}");
        assert_eq!(without_place(&inv), without_place(&readme), "{receive}");
    }
    // The type line comes first: each row one line further down.
    let (typed, _) = read(&["receive-typed.csv"]);
    let lines: Vec<u64> = typed.unwrap().receive.iter().map(|r| r.line).collect();
    assert_eq!(lines, (3..=14).collect::<Vec<u64>>());
}

#[test]
fn an_ascii_export_warns_once_of_its_question_marks() {
    let (inv, warnings) = read(&["receive-ascii.csv"]);
    let mut inv = inv.unwrap();
    // "Réception clients EX02", the last row (line 13), lost its "é"; its
    // Identity is the first name column checked.
    assert_eq!(
        messages(&warnings),
        [
            "receive-ascii.csv:13: column Identity holds '?': Windows PowerShell writes letters \
          outside ASCII as '?' unless Export-Csv is given -Encoding UTF8, and such names match \
          no log; export with the README's command (see README, 'Connector inventory')"
        ]
    );
    let french = inv.receive.pop().unwrap();
    assert_eq!(french.identity, "EX02\\R?ception clients EX02");
    let (mut readme, _) = read(&["receive-connectors.csv"]);
    let readme = readme.as_mut().unwrap();
    readme.receive.pop();
    assert_eq!(without_place(&inv), without_place(readme));
}

/// What a plain export gives: everything but the bindings.
fn plain_expected() -> (Vec<ReceiveConnector>, Vec<SendConnector>) {
    let (readme, _) = read(&["receive-connectors.csv"]);
    let mut readme = readme.unwrap();
    for r in &mut readme.receive {
        r.bindings.clear();
    }
    without_place(&readme)
}

#[test]
fn a_plain_local_export_reads_all_but_bindings_with_one_warning() {
    let (inv, warnings) = read(&["receive-plain-local.csv"]);
    let inv = inv.unwrap();
    assert_eq!(without_place(&inv), plain_expected());
    // RemoteIPRanges, ObjectClass and TlsDomainCapabilities hold type
    // names too, but are not read. Line 1 is #TYPE, line 2 the header.
    assert_eq!(
        messages(&warnings),
        [
            "receive-plain-local.csv:3: column Bindings holds a .NET type name, not its values \
          (a plain Export-Csv): read as unknown; export with the README's command \
          (see README, 'Connector inventory')"
        ]
    );
}

#[test]
fn plain_remote_exports_read_what_they_can() {
    let (inv, warnings) = read(&["receive-plain-remote.csv"]);
    assert_eq!(without_place(&inv.unwrap()), plain_expected());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .message
            .starts_with("column Bindings holds a .NET type name")
    );

    let (inv, warnings) = read(&["send-plain-remote.csv"]);
    let inv = inv.unwrap();
    let names: Vec<&str> = inv.send.iter().map(|s| s.identity.as_str()).collect();
    assert_eq!(
        names,
        [
            "Outbound to Internet",
            "Outbound to Office 365 - 1c0a5b7e",
            "Partner relay"
        ]
    );
    assert!(inv.send.iter().all(|s| s.source_servers.is_empty()
        && s.address_spaces.is_empty()
        && s.smart_hosts.is_empty()));
    let hybrid = &inv.send[1];
    assert_eq!(
        (hybrid.enabled, hybrid.require_tls, hybrid.logging),
        (Some(true), Some(true), Some(Logging::None))
    );
    assert_eq!(hybrid.tls_auth_level.as_deref(), Some("DomainValidation"));
    assert_eq!(hybrid.fqdn.as_deref(), Some("mail.contoso.com"));
    // One warning per column, on the first row (line 3), as they are read.
    let columns: Vec<String> = warnings
        .iter()
        .map(|w| {
            assert_eq!(
                (w.file.as_path(), w.line),
                (Path::new("send-plain-remote.csv"), Some(3))
            );
            w.message.split(' ').nth(1).unwrap().to_string()
        })
        .collect();
    assert_eq!(
        columns,
        ["SourceTransportServers", "AddressSpaces", "SmartHosts"]
    );
}

#[test]
fn copies_cut_short_are_errors_naming_the_line() {
    // Cut inside the 8th row (line 9), which so has too few fields.
    let (inv, _) = read(&["malformed-cut.csv"]);
    let err = inv.unwrap_err();
    assert_eq!(
        (err.line, err.file.as_path()),
        (Some(9), Path::new("malformed-cut.csv"))
    );
    assert!(
        err.message
            .ends_with("fields, where the header (line 1) has 10"),
        "{err}"
    );
    // Cut after 11 line ends (python3: the even prefix's '\n' count is 11),
    // inside a character.
    let (inv, _) = read(&["malformed-cut-utf16.csv"]);
    assert_eq!(
        inv.unwrap_err().to_string(),
        "malformed-cut-utf16.csv:12: invalid UTF-16 (an odd number of bytes: cut short?)"
    );
    // Nothing of a file in error is added to what was read before.
    let mut inv = Inventory::default();
    let mut warnings = Vec::new();
    let good = std::fs::read(fixture("send-connectors.csv")).unwrap();
    let bad = std::fs::read(fixture("malformed-cut.csv")).unwrap();
    read_file(Path::new("s"), &good, &mut inv, &mut warnings).unwrap();
    assert!(read_file(Path::new("b"), &bad, &mut inv, &mut warnings).is_err());
    assert_eq!((inv.receive.len(), inv.send.len()), (0, 3));
}

#[test]
fn every_export_is_told_an_inventory_and_logs_are_not() {
    for entry in std::fs::read_dir(fixture("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(8192)];
            assert!(is_inventory(head), "{}", path.display());
        }
    }
    let mut logs = 0;
    for entry in walkdir::WalkDir::new(root().join("tests/data/real")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!is_inventory(&bytes), "{}", entry.path().display());
            logs += 1;
        }
    }
    assert!(logs > 0);
}
