//! TLS-RPT aggregate reports (RFC 8460): what receiving domains that
//! publish MTA-STS or DANE say of our outbound TLS. `parse` reads them,
//! `report` builds the `tlsrpt` table.

mod parse;
pub(crate) mod report;

pub(crate) use parse::{Read, SNIFF_BYTES, looks_like_report};
