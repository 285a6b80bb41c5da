//! The connector inventory of the generated servers, written as the
//! README's `Get-ReceiveConnector` and `Get-SendConnector` commands export
//! it: `inventory/receive-connectors.csv` in UTF-16 LE with a BOM (Windows
//! PowerShell's `-Encoding Unicode`), `inventory/send-connectors.csv` in
//! UTF-8 with a BOM (`-Encoding UTF8`), every value double-quoted, CRLF.
//!
//! Every server has Exchange's five default receive connectors and the
//! relay connector it logs (the relay requires TLS: its sessions without
//! STARTTLS get `530 5.7.0`); the send connectors it logs are sourced on
//! every server (the intra-organization one is implicit, never listed).
//! How each server is set up depends on its index only (the same for every
//! seed), so that any corpus of four servers shows each status:
//!
//! | index % 4 | `Client Frontend` | Hub receive connectors | TLS below 1.2 |
//! |---|---|---|---|
//! | 0 | `None` (scanners submit there, unseen) | `None` | yes |
//! | 1 | `Verbose` | `Verbose`, no Hub logs: not read | yes |
//! | 2 | `None` | disabled | yes |
//! | 3 | `Verbose` | disabled | none: its peers already moved on |

use std::io;
use std::path::Path;

/// The name of the custom relay connector (it needs CSV quoting).
pub const RELAY: &str = "Relay, Scanners \"Floor 3\"";

/// `TransportRole` of FrontEnd and Hub receive connectors.
const FRONTEND: &str = "FrontendTransport";
const HUB: &str = "HubTransport";

/// What the Hub receive connectors (`Default`, `Client Proxy`) of a server
/// are set to; the generator never writes Hub receive logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubReceive {
    Verbose,
    NotLogged,
    Disabled,
}

/// How one generated server is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// `Client Frontend` logs (`Verbose`); else `None`, and the
    /// generator writes none of its sessions.
    pub client_frontend_logs: bool,
    pub hub_receive: HubReceive,
    /// Every peer negotiates TLS 1.2 or later with it.
    pub modern: bool,
}

/// The setup of the server with this index (see the module's table).
pub fn setup(index: usize) -> Setup {
    let (client_frontend_logs, hub_receive, modern) = match index % 4 {
        0 => (false, HubReceive::NotLogged, false),
        1 => (true, HubReceive::Verbose, false),
        2 => (false, HubReceive::Disabled, false),
        _ => (true, HubReceive::Disabled, true),
    };
    Setup {
        client_frontend_logs,
        hub_receive,
        modern,
    }
}

/// One receive connector, as `Get-ReceiveConnector` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receive {
    pub server: String,
    /// The name after `SERVER\`.
    pub name: String,
    pub frontend: bool,
    pub port: u16,
    pub enabled: bool,
    pub verbose: bool,
    /// `RequireTLS`: only the relay (its scanners must use STARTTLS).
    pub require_tls: bool,
}

impl Receive {
    /// `SERVER\Name`, as in the logs' connector-id.
    pub fn identity(&self) -> String {
        format!("{}\\{}", self.server, self.name)
    }

    /// The transport service whose folder holds its logs.
    pub fn service(&self) -> &'static str {
        if self.frontend { "FrontEnd" } else { "Hub" }
    }

    fn auth(&self) -> &'static str {
        match self.port {
            587 => "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
            717 | 2525 => "Tls, Integrated, ExchangeServer",
            465 => "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            _ if self.name == RELAY => "Tls, ExternalAuthoritative",
            _ => "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
        }
    }

    fn permission_groups(&self) -> &'static str {
        match self.port {
            587 => "ExchangeUsers",
            717 => "ExchangeServers",
            2525 => "ExchangeUsers, ExchangeServers, ExchangeLegacyServers",
            465 => "ExchangeUsers, ExchangeServers",
            _ if self.name == RELAY => "AnonymousUsers, ExchangeServers",
            _ => "AnonymousUsers, ExchangeServers, ExchangeLegacyServers",
        }
    }
}

/// The receive connectors of the server `server` with index `index`:
/// Exchange's five defaults, then the relay.
pub fn receive_connectors(index: usize, server: &str) -> Vec<Receive> {
    let s = setup(index);
    let hub_enabled = s.hub_receive != HubReceive::Disabled;
    let hub_verbose = s.hub_receive == HubReceive::Verbose;
    let list = [
        ("Default Frontend", true, 25, true, true),
        ("Client Frontend", true, 587, true, s.client_frontend_logs),
        ("Outbound Proxy Frontend", true, 717, true, true),
        ("Default", false, 2525, hub_enabled, hub_verbose),
        ("Client Proxy", false, 465, hub_enabled, hub_verbose),
    ];
    let mut out: Vec<Receive> = list
        .iter()
        .map(|&(name, frontend, port, enabled, verbose)| Receive {
            server: server.to_string(),
            name: format!("{name} {server}"),
            frontend,
            port,
            enabled,
            verbose,
            require_tls: false,
        })
        .collect();
    out.push(Receive {
        server: server.to_string(),
        name: RELAY.to_string(),
        frontend: true,
        port: 25,
        enabled: true,
        verbose: true,
        require_tls: true,
    });
    out
}

/// One send connector: name, `RequireTLS`, `TlsAuthLevel`, address space.
pub struct Send {
    pub name: &'static str,
    require_tls: bool,
    tls_auth_level: &'static str,
    address_space: &'static str,
}

impl Send {
    /// `RequireTLS`, or a `TlsAuthLevel`: the connector requires TLS.
    pub fn requires_tls(&self) -> bool {
        self.require_tls || !self.tls_auth_level.is_empty()
    }
}

/// The send connectors the generator logs, sourced on every server, all
/// `Verbose`.
pub const SEND: [Send; 2] = [
    Send {
        name: "Outbound to Internet",
        require_tls: false,
        tls_auth_level: "",
        address_space: "SMTP:*;1",
    },
    Send {
        name: "Outbound to Office 365",
        require_tls: true,
        tls_auth_level: "DomainValidation",
        address_space: "SMTP:contoso.mail.onmicrosoft.com;1",
    },
];

fn flag(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// One CSV line as `Export-Csv` writes it: every value double-quoted
/// (quotes doubled), CRLF.
fn csv_line(values: &[&str]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| format!("\"{}\"", v.replace('"', "\"\"")))
        .collect();
    quoted.join(",") + "\r\n"
}

/// `receive-connectors.csv` as text, before its encoding.
pub fn receive_csv(servers: &[String]) -> String {
    let mut text = csv_line(&[
        "Identity",
        "Server",
        "TransportRole",
        "Enabled",
        "Bindings",
        "ProtocolLoggingLevel",
        "RequireTLS",
        "AuthMechanism",
        "PermissionGroups",
        "Fqdn",
    ]);
    for (i, server) in servers.iter().enumerate() {
        for c in receive_connectors(i, server) {
            let bindings = format!("[::]:{0} 0.0.0.0:{0}", c.port);
            let fqdn = format!("{server}.contoso.com");
            text += &csv_line(&[
                &c.identity(),
                server,
                if c.frontend { FRONTEND } else { HUB },
                flag(c.enabled),
                &bindings,
                if c.verbose { "Verbose" } else { "None" },
                flag(c.require_tls),
                c.auth(),
                c.permission_groups(),
                &fqdn,
            ]);
        }
    }
    text
}

/// `send-connectors.csv` as text, before its encoding.
pub fn send_csv(servers: &[String]) -> String {
    let mut text = csv_line(&[
        "Identity",
        "Enabled",
        "SourceTransportServers",
        "RequireTLS",
        "TlsAuthLevel",
        "AddressSpaces",
        "SmartHosts",
        "ProtocolLoggingLevel",
        "Fqdn",
    ]);
    let sources = servers.join(" ");
    for c in &SEND {
        text += &csv_line(&[
            c.name,
            "True",
            &sources,
            flag(c.require_tls),
            c.tls_auth_level,
            c.address_space,
            "",
            "Verbose",
            "mail.contoso.com",
        ]);
    }
    text
}

/// UTF-16 LE with a BOM.
fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Writes `out/inventory/` for the servers (in index order).
pub fn write(out: &Path, servers: &[String]) -> io::Result<()> {
    let dir = out.join("inventory");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("receive-connectors.csv"),
        utf16(&receive_csv(servers)),
    )?;
    let mut send = b"\xEF\xBB\xBF".to_vec();
    send.extend_from_slice(send_csv(servers).as_bytes());
    std::fs::write(dir.join("send-connectors.csv"), send)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits CRLF lines of `Export-Csv` text into fields, checking that
    /// every value is quoted: a reader written apart from the writer.
    fn parse(text: &str) -> Vec<Vec<String>> {
        assert!(text.ends_with("\r\n"), "ends with CRLF");
        let body = &text[..text.len() - 2];
        body.split("\r\n")
            .map(|line| {
                assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
                let mut fields = Vec::new();
                let mut chars = line.chars().peekable();
                loop {
                    assert_eq!(chars.next(), Some('"'), "a quoted value in {line:?}");
                    let mut v = String::new();
                    loop {
                        match chars.next().expect("closing quote") {
                            '"' if chars.peek() == Some(&'"') => {
                                chars.next();
                                v.push('"');
                            }
                            '"' => break,
                            c => v.push(c),
                        }
                    }
                    fields.push(v);
                    match chars.next() {
                        Some(',') => {}
                        None => break,
                        Some(c) => panic!("{c:?} after a value in {line:?}"),
                    }
                }
                fields
            })
            .collect()
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("EX{i:02}")).collect()
    }

    #[test]
    fn receive_connectors_are_utf16_le_with_a_bom_quoted_and_crlf() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &names(4)).unwrap();
        let bytes = std::fs::read(dir.path().join("inventory/receive-connectors.csv")).unwrap();
        assert_eq!(
            &bytes[..4],
            b"\xFF\xFE\"\0",
            "BOM, then a quote in UTF-16 LE"
        );
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        let rows = parse(&String::from_utf16(&units).unwrap());
        assert_eq!(
            rows[0].join(","),
            "Identity,Server,TransportRole,Enabled,Bindings,ProtocolLoggingLevel,RequireTLS,AuthMechanism,PermissionGroups,Fqdn"
        );
        // Six connectors per server: five defaults and the relay.
        assert_eq!(rows.len(), 1 + 4 * 6);
        assert!(rows.iter().all(|r| r.len() == 10));
        let ex03: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "EX03").collect();
        let client = ex03
            .iter()
            .find(|r| r[0] == "EX03\\Client Frontend EX03")
            .unwrap();
        assert_eq!(
            client[2..6],
            ["FrontendTransport", "True", "[::]:587 0.0.0.0:587", "None"]
        );
        let hub = ex03.iter().find(|r| r[0] == "EX03\\Default EX03").unwrap();
        assert_eq!(
            hub[2..6],
            ["HubTransport", "False", "[::]:2525 0.0.0.0:2525", "None"]
        );
        // The quotes of the relay's name come back whole.
        assert!(
            ex03.iter()
                .any(|r| r[0] == "EX03\\Relay, Scanners \"Floor 3\"")
        );
    }

    #[test]
    fn send_connectors_are_utf8_with_a_bom_sourced_on_every_server() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &names(3)).unwrap();
        let bytes = std::fs::read(dir.path().join("inventory/send-connectors.csv")).unwrap();
        assert_eq!(&bytes[..4], b"\xEF\xBB\xBF\"");
        let rows = parse(std::str::from_utf8(&bytes[3..]).unwrap());
        assert_eq!(
            rows[0].join(","),
            "Identity,Enabled,SourceTransportServers,RequireTLS,TlsAuthLevel,AddressSpaces,SmartHosts,ProtocolLoggingLevel,Fqdn"
        );
        let named: Vec<(&str, &str, &str)> = rows[1..]
            .iter()
            .map(|r| (r[0].as_str(), r[2].as_str(), r[7].as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("Outbound to Internet", "EX01 EX02 EX03", "Verbose"),
                ("Outbound to Office 365", "EX01 EX02 EX03", "Verbose"),
            ]
        );
    }

    #[test]
    fn four_servers_show_every_setup() {
        let s: Vec<Setup> = (0..4).map(setup).collect();
        assert!(s.iter().any(|s| !s.client_frontend_logs));
        for h in [
            HubReceive::Verbose,
            HubReceive::NotLogged,
            HubReceive::Disabled,
        ] {
            assert!(s.iter().any(|s| s.hub_receive == h), "{h:?}");
        }
        assert_eq!(s.iter().filter(|s| s.modern).count(), 1);
        assert_eq!(setup(5), setup(1));
    }
}
