//! Integration tests: run the built `exlog` binary on fixture folders and
//! compare whole outputs with expected files.
//!
//! Expected files live in `tests/data/expected/`. After an intended output
//! change, rerun with `EXLOG_BLESS=1` to rewrite them, then review the diff.

mod archives;
mod cli;
mod config;
mod coverage;
mod events;
mod excel;
mod filters;
mod fixtures;
mod fuzz;
mod help;
mod hostile;
mod html;
mod html_page;
mod iis;
mod impact;
mod impact_rules;
mod inventory;
mod inventory_mismatch;
mod layers;
mod merge;
mod merge_fallout;
mod oracle;
mod pipeline;
mod readiness;
mod sample;
mod sample_coverage;
mod servers;
mod session_lines;
mod splits;
mod state;
mod tlsrpt;
mod util;
mod verdict;
mod week;
