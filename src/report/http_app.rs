//! `--by http-app`: requests per Exchange application by TLS version, from
//! the IIS logs (the table is built in `iis/report.rs`).

use super::{Input, Kind, Needs, Report, Table};
use crate::iis::report::{APPS_KIND, apps};

pub(crate) const KIND: Kind = APPS_KIND;

/// The report's entry in the registry.
pub(crate) struct HttpApp;

impl Report for HttpApp {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "IIS logs: requests per Exchange application by TLS version"
    }
    fn help_columns(&self) -> &'static str {
        "site,server,application,SSL3,...,TLS1.3,other,requests (IIS logs)"
    }
    fn needs(&self) -> Needs {
        Needs::Tls
    }
    fn build(&self, from: &Input) -> Option<Table> {
        // Only when IIS logs were read.
        let iis = from.tally.files.values().any(|f| f.iis_crypt.is_some());
        iis.then(|| apps(&from.tally.iis, from.servers))
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        apps(&Default::default(), &Default::default()).columns
    }
}
