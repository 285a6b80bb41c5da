//! One inventory file's header and rows, to connectors.

use super::{
    Error, INTRA_ORG, Logging, ReceiveConnector, SendConnector, TransportService, Warning,
};
use csv::StringRecord;
use std::path::Path;

const SEE_README: &str = "see README, 'Connector inventory'";

/// Which connectors a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Receive,
    Send,
    /// `Get-TransportService`: each server's intra-organization send
    /// connector logging.
    Service,
}

/// A column: where it is in the file (if it is), and its name for messages.
#[derive(Clone, Copy, Debug)]
pub(super) struct Col {
    at: Option<usize>,
    name: &'static str,
}

/// The columns exlog reads, found by name in any case (PowerShell's
/// property names are case-insensitive, and `Select-Object` writes them
/// as typed).
#[derive(Debug)]
pub(super) struct Columns {
    pub kind: Kind,
    pub count: usize,
    identity: usize,
    name: Col,
    server: Col,
    role: Col,
    enabled: Col,
    bindings: Col,
    logging: Col,
    require_tls: Col,
    auth: Col,
    groups: Col,
    fqdn: Col,
    sources: Col,
    tls_auth: Col,
    spaces: Col,
    smart_hosts: Col,
    intra_org: Col,
}

/// Whether a header holds the column `name`.
pub(super) fn position(header: &StringRecord, name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
}

impl Columns {
    /// The header's columns, and the kind of connector its columns (else
    /// its `#TYPE` line) tell.
    pub(super) fn new(header: &StringRecord, type_line: Option<&str>) -> Result<Columns, String> {
        let col = |name| Col {
            at: position(header, name),
            name,
        };
        let has = |names: &[&str]| names.iter().any(|n| position(header, n).is_some());
        // A transport service is named by Name (the README's command) or
        // Identity (a plain export has both: the server's name).
        let service = has(&["IntraOrgConnectorProtocolLoggingLevel"]);
        let identity = match service {
            true => position(header, "Identity").or(position(header, "Name")),
            false => position(header, "Identity"),
        };
        let identity = identity.ok_or(if service {
            "no Name or Identity column"
        } else {
            "no Identity column"
        })?;
        let send = has(&["SourceTransportServers", "AddressSpaces"]);
        // TransportRole alone does not make a file of send connectors one
        // of receive connectors, in case an export holds it.
        let receive = has(&["Bindings", "PermissionGroups"]);
        let kind = match (receive, send) {
            (true, true) => {
                return Err(
                    "both receive connector columns (Bindings, PermissionGroups) \
                            and send connector columns (SourceTransportServers, \
                            AddressSpaces)"
                        .into(),
                );
            }
            (false, true) => Kind::Send,
            _ if service => Kind::Service,
            _ if receive || has(&["TransportRole"]) => Kind::Receive,
            _ => kind_of_type(type_line).ok_or(
                "neither receive nor send connectors: no Bindings, PermissionGroups, \
                 TransportRole, SourceTransportServers or AddressSpaces column, \
                 and no #TYPE line naming them",
            )?,
        };
        Ok(Columns {
            kind,
            count: header.len(),
            identity,
            name: col("Name"),
            server: col("Server"),
            role: col("TransportRole"),
            enabled: col("Enabled"),
            bindings: col("Bindings"),
            logging: col("ProtocolLoggingLevel"),
            require_tls: col("RequireTLS"),
            auth: col("AuthMechanism"),
            groups: col("PermissionGroups"),
            fqdn: col("Fqdn"),
            sources: col("SourceTransportServers"),
            tls_auth: col("TlsAuthLevel"),
            spaces: col("AddressSpaces"),
            smart_hosts: col("SmartHosts"),
            intra_org: col("IntraOrgConnectorProtocolLoggingLevel"),
        })
    }
}

/// `#TYPE …ReceiveConnector` (`Selected.`, `Deserialized.` or neither) and
/// `#TYPE …SmtpSendConnectorConfig`.
fn kind_of_type(type_line: Option<&str>) -> Option<Kind> {
    let t = type_line?.to_ascii_lowercase();
    if t.contains("receiveconnector") {
        Some(Kind::Receive)
    } else if t.contains("sendconnector") {
        Some(Kind::Send)
    } else {
        None
    }
}

/// What PowerShell writes for a value it cannot show as text: the type's
/// name, e.g. `System.Collections.ArrayList`, `System.Object[]` or
/// ``Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]``.
/// Host names are not taken for one: each part of the name before a
/// backtick or bracket starts with a capital (`.com` does not), and the
/// first is `System`, `Microsoft` or `Deserialized`.
pub(super) fn is_type_name(s: &str) -> bool {
    let end = s.find(['`', '[']).unwrap_or(s.len());
    let (name, generic) = s.split_at(end);
    let mut parts = name.split('.');
    let first_ok = matches!(parts.next(), Some("System" | "Microsoft" | "Deserialized"));
    let mut rest = parts.peekable();
    let dotted = rest.peek().is_some()
        && rest.all(|p| {
            p.starts_with(|c: char| c.is_ascii_uppercase())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    let generic_ok = match generic.strip_prefix('`') {
        Some(arity) => {
            let digits = arity.len() - arity.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let args = &arity[digits..];
            digits > 0 && (args.is_empty() || (args.starts_with('[') && args.ends_with(']')))
        }
        None => generic.is_empty() || (generic.starts_with('[') && generic.ends_with(']')),
    };
    first_ok && dotted && generic_ok
}

/// The reading of one file: its path, and what it has warned of already
/// (once per file and column).
pub(super) struct Context<'p> {
    path: &'p Path,
    /// Written without BOM in ASCII: a `?` in a name may be a lost letter.
    pub ascii: bool,
    warned_columns: Vec<&'static str>,
    warned_question_mark: bool,
    pub warnings: Vec<Warning>,
}

impl<'p> Context<'p> {
    pub(super) fn new(path: &'p Path, ascii: bool) -> Context<'p> {
        Context {
            path,
            ascii,
            warned_columns: Vec::new(),
            warned_question_mark: false,
            warnings: Vec::new(),
        }
    }

    pub(super) fn error(&self, line: Option<u64>, message: impl Into<String>) -> Error {
        Error {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub(super) fn warn(&mut self, line: Option<u64>, message: impl Into<String>) {
        self.warnings.push(Warning {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    /// A column's text in a row; `None` when the file lacks the column,
    /// the value is empty (PowerShell's `$null`), or it is a type name.
    fn text(&mut self, rec: &StringRecord, line: u64, col: Col) -> Option<String> {
        let value = rec.get(col.at?)?;
        if value.is_empty() {
            return None;
        }
        if is_type_name(value) {
            if !self.warned_columns.contains(&col.name) {
                self.warned_columns.push(col.name);
                let message = format!(
                    "column {} holds a .NET type name, not its values (a plain Export-Csv): \
                     read as unknown; export with the README's command ({SEE_README})",
                    col.name
                );
                self.warn(Some(line), message);
            }
            return None;
        }
        Some(value.to_string())
    }

    /// Space- or comma-separated values (`-join ' '`, `"$(…)"`).
    fn list(&mut self, rec: &StringRecord, line: u64, col: Col) -> Vec<String> {
        let text = self.text(rec, line, col).unwrap_or_default();
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn flag(&mut self, rec: &StringRecord, line: u64, col: Col) -> Result<Option<bool>, Error> {
        let Some(value) = self.text(rec, line, col) else {
            return Ok(None);
        };
        match value.trim() {
            v if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            v if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            _ => Err(self.error(
                Some(line),
                format!("column {}: neither True nor False", col.name),
            )),
        }
    }

    fn logging(
        &mut self,
        rec: &StringRecord,
        line: u64,
        col: Col,
    ) -> Result<Option<Logging>, Error> {
        let Some(value) = self.text(rec, line, col) else {
            return Ok(None);
        };
        match Logging::parse(value.trim()) {
            Some(l) => Ok(Some(l)),
            None => Err(self.error(
                Some(line),
                format!("column {}: neither None nor Verbose", col.name),
            )),
        }
    }

    /// The Identity, never empty; a name column's `?` is warned of.
    fn identity(&mut self, rec: &StringRecord, line: u64, c: &Columns) -> Result<String, Error> {
        let identity = rec.get(c.identity).unwrap_or_default();
        if identity.is_empty() {
            return Err(self.error(Some(line), "empty Identity"));
        }
        let name = self.text(rec, line, c.name);
        self.check_question_mark(line, "Identity", identity);
        self.check_question_mark(line, "Name", name.as_deref().unwrap_or_default());
        Ok(identity.to_string())
    }

    /// Windows PowerShell 5.1's `Export-Csv` writes ASCII by default, each
    /// letter outside it as `?`: such names match no log. Warned once.
    fn check_question_mark(&mut self, line: u64, column: &str, value: &str) {
        if self.ascii && !self.warned_question_mark && value.contains('?') {
            self.warned_question_mark = true;
            let message = format!(
                "column {column} holds '?': Windows PowerShell writes letters outside ASCII \
                 as '?' unless Export-Csv is given -Encoding UTF8, and such names match no \
                 log; export with the README's command ({SEE_README})"
            );
            self.warn(Some(line), message);
        }
    }

    pub(super) fn receive(
        &mut self,
        rec: &StringRecord,
        line: u64,
        c: &Columns,
    ) -> Result<ReceiveConnector, Error> {
        let identity = self.identity(rec, line, c)?;
        let (prefix, name) = match identity.split_once('\\') {
            Some((server, name)) => (Some(server), name),
            None => (None, identity.as_str()),
        };
        let server = self.text(rec, line, c.server);
        let Some(server) = server.or(prefix.map(str::to_string)) else {
            return Err(self.error(
                Some(line),
                "Identity is not SERVER\\Name, and there is no Server",
            ));
        };
        let fqdn = self.text(rec, line, c.fqdn);
        self.check_question_mark(line, "Fqdn", fqdn.as_deref().unwrap_or_default());
        Ok(ReceiveConnector {
            name: name.to_string(),
            server,
            role: self.text(rec, line, c.role),
            enabled: self.flag(rec, line, c.enabled)?,
            bindings: self.list(rec, line, c.bindings),
            logging: self.logging(rec, line, c.logging)?,
            require_tls: self.flag(rec, line, c.require_tls)?,
            auth: self.text(rec, line, c.auth),
            permission_groups: self.text(rec, line, c.groups),
            fqdn,
            file: self.path.to_path_buf(),
            line,
            identity,
        })
    }

    pub(super) fn send(
        &mut self,
        rec: &StringRecord,
        line: u64,
        c: &Columns,
    ) -> Result<SendConnector, Error> {
        let identity = self.identity(rec, line, c)?;
        let fqdn = self.text(rec, line, c.fqdn);
        self.check_question_mark(line, "Fqdn", fqdn.as_deref().unwrap_or_default());
        Ok(SendConnector {
            identity,
            source_servers: self.list(rec, line, c.sources),
            enabled: self.flag(rec, line, c.enabled)?,
            require_tls: self.flag(rec, line, c.require_tls)?,
            tls_auth_level: self.text(rec, line, c.tls_auth),
            address_spaces: self.list(rec, line, c.spaces),
            smart_hosts: self.list(rec, line, c.smart_hosts),
            logging: self.logging(rec, line, c.logging)?,
            fqdn,
            file: self.path.to_path_buf(),
            line,
        })
    }

    /// A transport service: its server's intra-organization send connector,
    /// enabled (it always is), logging as the service says.
    pub(super) fn service(
        &mut self,
        rec: &StringRecord,
        line: u64,
        c: &Columns,
    ) -> Result<TransportService, Error> {
        let server = self.identity(rec, line, c)?;
        let intra_org = SendConnector {
            identity: INTRA_ORG.to_string(),
            source_servers: vec![server.clone()],
            enabled: Some(true),
            require_tls: None,
            tls_auth_level: None,
            address_spaces: Vec::new(),
            smart_hosts: Vec::new(),
            logging: self.logging(rec, line, c.intra_org)?,
            fqdn: None,
            file: self.path.to_path_buf(),
            line,
        };
        Ok(TransportService { server, intra_org })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_told_from_host_names() {
        for t in [
            "System.Collections.ArrayList",
            "System.Object[]",
            "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]",
            "Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.SmartHost, \
             Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral]]",
            "System.Collections.Generic.List`1",
        ] {
            assert!(is_type_name(t), "{t}");
        }
        for t in [
            "",
            "System",
            "mail.contoso.com",
            "Microsoft.com",
            "System.contoso.Com",
            "Microsoft.Exchange.Data.Foo`",
            "Microsoft.Exchange.Data.Foo`1x",
            "Microsoft.Exchange.Data.Foo[",
            "System.Collections.ArrayList extra",
            "[::]:25 0.0.0.0:25",
            "SMTP:*;1",
            "Tls, Integrated, BasicAuth",
        ] {
            assert!(!is_type_name(t), "{t}");
        }
    }

    fn header(cols: &[&str]) -> StringRecord {
        StringRecord::from(cols.to_vec())
    }

    #[test]
    fn the_kind_comes_from_columns_then_the_type_line() {
        let kind = |cols: &[&str], t| Columns::new(&header(cols), t).map(|c| c.kind);
        let by_type = "#TYPE Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration";
        assert_eq!(kind(&["identity", "BINDINGS"], None), Ok(Kind::Receive));
        assert_eq!(kind(&["Identity", "AddressSpaces"], None), Ok(Kind::Send));
        assert_eq!(
            kind(
                &["Identity", "TransportRole"],
                Some("#TYPE x.SendConnector")
            ),
            Ok(Kind::Receive)
        );
        assert_eq!(
            kind(&["Identity", "TransportRole", "AddressSpaces"], None),
            Ok(Kind::Send)
        );
        let receive = format!("{by_type}.ReceiveConnector");
        let send = format!("{by_type}.SmtpSendConnectorConfig");
        assert_eq!(kind(&["Identity"], Some(&receive)), Ok(Kind::Receive));
        assert_eq!(kind(&["Identity"], Some(&send)), Ok(Kind::Send));
        assert!(kind(&["Identity"], Some("#TYPE System.Object")).is_err());
        assert!(kind(&["Identity", "Bindings", "SourceTransportServers"], None).is_err());
        assert_eq!(
            kind(&["Name", "Bindings"], None),
            Err("no Identity column".into())
        );
    }
}
