//! The `tlsrpt` report: one row per policy and failure detail.

use super::Read;
use crate::table::{Cell, Kind, Table};

/// The id of the `tlsrpt` report.
pub(crate) const KIND: Kind = Kind::named("tlsrpt");

/// Columns of the TLS-RPT report.
pub(crate) const COLUMNS: [&str; 14] = [
    "report_org",
    "report_id",
    "date_start",
    "date_end",
    "policy_type",
    "policy_domain",
    "mx_host",
    "successful",
    "failed",
    "result_type",
    "sending_ip",
    "receiving_ip",
    "receiving_mx_hostname",
    "failed_sessions",
];

/// The `tlsrpt` report, sorted.
pub(crate) fn table(read: &Read) -> Table {
    let mut rows = read.rows.clone();
    rows.sort();
    let t = |s: &String| Cell::Text(s.as_str().into());
    Table {
        kind: KIND,
        columns: COLUMNS.to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    t(&r.report_org),
                    t(&r.report_id),
                    t(&r.date_start),
                    t(&r.date_end),
                    t(&r.policy_type),
                    t(&r.policy_domain),
                    t(&r.mx_host),
                    Cell::Count(r.successful),
                    Cell::Count(r.failed),
                    t(&r.result_type),
                    t(&r.sending_ip),
                    t(&r.receiving_ip),
                    t(&r.receiving_mx_hostname),
                    Cell::Bits(r.failed_sessions),
                ]
            })
            .collect(),
    }
}
