//! `--by tlsrpt`: TLS-RPT aggregate reports, outbound TLS as receiving
//! domains saw it (built in `tlsrpt/report.rs`).

use super::{Document, Input, Kind, Needs, Report, Table};
use crate::tlsrpt::report::{COLUMNS, table};

pub(crate) const KIND: Kind = crate::tlsrpt::report::KIND;

/// The report's entry in the registry.
pub(crate) struct Tlsrpt;

impl Report for Tlsrpt {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "TLS-RPT reports: per policy and failure detail"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "report_org,report_id,date_start,date_end,policy_type,policy_domain,mx_host,successful,",
            "\nfailed,result_type,sending_ip,receiving_ip,receiving_mx_hostname,failed_sessions",
            "\n(TLS-RPT reports, one row per policy and failure detail)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Tls
    }
    fn build(&self, from: &Input) -> Option<Table> {
        from.tlsrpt.filter(|r| r.files > 0).map(table)
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }
    fn counted_rows(&self, table: &Table) -> Option<Vec<bool>> {
        Some(first_of_policy(table))
    }
    fn footer(&self, doc: &Document) -> String {
        super::table::tlsrpt_totals(doc.tlsrpt)
    }
}

/// For the totals line of the `tlsrpt` table: whether each row is the
/// first of its policy (report, type, domain, MX patterns). The policy's
/// summary is repeated on each of its failure rows and counts once.
fn first_of_policy(table: &Table) -> Vec<bool> {
    let at = |name: &str| table.columns.iter().position(|c| *c == name);
    let keys = ["report_id", "policy_type", "policy_domain", "mx_host"].map(at);
    let mut seen = std::collections::HashSet::new();
    table
        .rows
        .iter()
        .map(|row| {
            let key: Vec<_> = keys
                .iter()
                .map(|k| k.and_then(|i| row[i].as_text()))
                .collect();
            seen.insert(key)
        })
        .collect()
}
