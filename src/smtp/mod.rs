//! Exchange SMTP protocol logs: `session` folds a session's rows into
//! what an administrator asks about and stitches sessions across chunks;
//! `scan` reads a byte range of a log, the TLS rows alone or every row;
//! `impact` says what switching old TLS off does to a session's remote.

pub mod counts;
pub mod impact;
pub mod scan;
pub mod select;
pub mod session;
pub mod tally;
pub mod timeline;
