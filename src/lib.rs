//! exlog: which connectors and remote hosts still negotiate old TLS in
//! Exchange SMTP protocol logs.
//!
//! One folder per input kind: [`smtp`] (Exchange SMTP protocol logs),
//! [`iis`] (IIS W3C logs), [`tlsrpt`] (TLS-RPT reports) and [`inventory`]
//! (the connector inventory). Dependencies run one way, from `parse`
//! (rows, TLS lines, time stamps) through the sessions, the counts
//! ([`tally`]), the scans of one chunk and the parallel [`pipeline`], to
//! the [`report`]s, the partial results and events, and [`app`] (flags →
//! [`config::Config`] → scan → reports → output). CONTRIBUTING.md draws
//! the layers, and `scripts/layers.py` checks them.
//!
//! ```
//! use exlog::pipeline::{Plan, scan_slices};
//! use std::path::Path;
//! let log = b"2024-03-08T10:00:00.000Z,EX01\\Default Frontend EX01,08DC000000000001,7,10.0.0.1:25,192.0.2.7:5000,*,,\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\"\r\n";
//! let scanned = scan_slices(&[(Path::new("RECV2024030810-1.LOG"), &log[..])], &Plan::sessions(), 1);
//! let options = exlog::report::Options::new(14, true);
//! let reports = exlog::report::Reports::build(&scanned.tally, &scanned.servers, &options);
//! assert_eq!(reports.summary.by_version[2], 1); // one TLS 1.0 negotiation
//! ```

#![warn(unreachable_pub)]

pub mod app;
pub(crate) mod archive;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub(crate) mod events;
pub(crate) mod files;
pub(crate) mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod iis;
pub(crate) mod input;
pub mod inventory;
pub(crate) mod output;
pub(crate) mod owners;
pub mod parse;
pub mod partial;
pub mod pipeline;
pub(crate) mod progress;
pub mod reader;
pub mod report;
pub(crate) mod servers;
pub(crate) mod sink;
pub mod smtp;
pub(crate) mod sorted_lines;
pub(crate) mod state;
pub(crate) mod table;
pub mod tally;
pub(crate) mod tlsrpt;
pub(crate) mod wildcard;
pub(crate) mod wire;

pub use app::run;

/// Exit code: report made, all input read.
pub const EXIT_OK: u8 = 0;
/// Exit code: no report could be made.
pub const EXIT_FATAL: u8 = 1;
/// Exit code: report made, but some input was skipped or malformed.
pub const EXIT_PARTIAL: u8 = 2;
