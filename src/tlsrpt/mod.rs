//! TLS-RPT aggregate reports (RFC 8460): what receiving domains that
//! publish MTA-STS or DANE say of our outbound TLS. `parse` reads them,
//! `report` builds the `tlsrpt` table.

mod parse;
pub mod report;

pub use parse::{Read, Row, SNIFF_BYTES, looks_like_report, parse};
