//! IIS W3C logs with the crypt-* fields: which HTTPS clients (Outlook on
//! the web, ActiveSync, EWS, MAPI) still connect below TLS 1.2.
//!
//! `parse` reads a request row by its `#Fields:` names, `scan` counts a
//! byte range of a log into [`counts::IisCounts`], and `report` builds the
//! http-client and http-app tables.

pub(crate) mod counts;
pub(crate) mod parse;
pub(crate) mod report;
pub(crate) mod scan;
