//! Exchange SMTP protocol logs: `session` folds a session's rows into
//! what an administrator asks about and stitches sessions across chunks;
//! `scan` reads a byte range of a log, the TLS rows alone or every row;
//! `impact` says what switching old TLS off does to a session's remote.

pub(crate) mod counts;
pub(crate) mod impact;
pub mod scan;
pub(crate) mod select;
pub(crate) mod session;
pub(crate) mod tally;
pub(crate) mod timeline;
