//! `--by http-client`: HTTPS clients (IP and user agent) by TLS version,
//! from the IIS logs (the table is built in `iis/report.rs`).

use super::{Input, Kind, Needs, Report, Table};
use crate::iis::report::{CLIENTS_KIND, clients};

pub(crate) const KIND: Kind = CLIENTS_KIND;

/// The report's entry in the registry.
pub(crate) struct HttpClient;

impl Report for HttpClient {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "IIS logs: HTTPS clients (IP and user agent) by TLS version"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "site,server,client_ip,user_agent,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,requests,users,",
            "\nfirst_seen,last_seen (IIS logs with the crypt-* fields)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Tls
    }
    fn build(&self, from: &Input) -> Option<Table> {
        // Only when IIS logs were read.
        let iis = from.tally.files.values().any(|f| f.iis_crypt.is_some());
        iis.then(|| clients(&from.tally.iis, from.servers))
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        clients(&Default::default(), &Default::default()).columns
    }
}
