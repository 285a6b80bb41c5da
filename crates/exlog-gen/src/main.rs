//! `exlog-gen`: writes a realistic Exchange SMTP protocol log tree and the
//! exact tallies it contains (`truth.json`), or with `--iis` the IIS logs
//! of the same servers (`truth-iis.json`), for tests and benchmarks.

use clap::Parser;
use exlog_gen::{Config, generate, parse_size};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Generate Exchange SMTP protocol logs (deterministic for a seed and size).
#[derive(Debug, Parser)]
#[command(name = "exlog-gen", version)]
struct Args {
    /// Folder to write the servers' log trees and truth.json into.
    #[arg(long)]
    out: PathBuf,
    /// Total size to write, e.g. 64MB, 1GB, 1.5GiB.
    #[arg(long, default_value = "64MB", value_parser = size)]
    size: u64,
    /// Number of Exchange servers.
    #[arg(long, default_value_t = 4)]
    servers: usize,
    /// Random seed: the same seed and size give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Size rollover per file (Exchange's default is 10 MB).
    #[arg(long, default_value = "10MB", value_parser = size)]
    file_size: u64,
    /// Sessions open at once per server and direction; their rows
    /// interleave as on a busy server. 1 writes one session after another.
    #[arg(long, default_value_t = exlog_gen::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Distinct remote hosts to draw from [default: 80 000 per GB].
    #[arg(long)]
    remotes: Option<usize>,
    /// Time of the first session, in ms since the Unix epoch (UTC)
    /// [default: 1709513970000, 2024-03-04T00:59:30Z].
    #[arg(long)]
    start_ms: Option<i64>,
    /// Spread the sessions over about this many days (the clock keeps
    /// pace with the bytes written) instead of back to back as a busy
    /// server writes them: readiness windows and daily coverage need days.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: Option<u32>,
    /// Write IIS W3C logs with the crypt-* fields instead (W3SVC1 and
    /// W3SVC2 per server, daily files) and truth-iis.json.
    #[arg(long)]
    iis: bool,
    /// With --iis: every header block names the same fields (the back end
    /// otherwise changes its layout at restarts), so tools that need one
    /// schema per file can read the logs.
    #[arg(long, requires = "iis")]
    iis_one_layout: bool,
    /// From this UTC day on, SERVER negotiates nothing below TLS 1.2:
    /// its legacy remotes fail, then recover, fall back to plaintext or
    /// stay blocked (truth.json's "fallout" and "switch"). Repeatable.
    #[arg(long, value_name = "SERVER=YYYY-MM-DD", value_parser = exlog_gen::parse_switch_off, conflicts_with = "iis")]
    switch_off: Vec<(String, i64)>,
}

fn size(s: &str) -> Result<u64, String> {
    parse_size(s).ok_or_else(|| format!("not a size: {s:?} (try 64MB or 1GB)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut cfg = Config::new(&args.out, args.size);
    cfg.servers = args.servers;
    cfg.seed = args.seed;
    cfg.file_size = args.file_size.max(1);
    cfg.concurrency = args.concurrency.max(1);
    cfg.remotes = args.remotes;
    cfg.start_ms = args.start_ms.unwrap_or(cfg.start_ms);
    cfg.days = args.days;
    cfg.switch_off = args.switch_off.clone();
    let started = Instant::now();
    if args.iis {
        return match exlog_gen::iis::generate(
            &args.out,
            args.size,
            args.servers,
            args.seed,
            cfg.start_ms,
            args.iis_one_layout,
        ) {
            Ok(t) => {
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "exlog-gen: {} IIS files, {} bytes, {} requests in {secs:.2} s; truth in {}",
                    t.files,
                    t.bytes,
                    t.requests,
                    args.out.join("truth-iis.json").display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("exlog-gen: error: {}: {e}", args.out.display());
                ExitCode::from(1)
            }
        };
    }
    match generate(&cfg) {
        Ok(truth) => {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "exlog-gen: {} files, {} bytes, {} lines, {} remotes, median row distance {} in {:.2} s ({:.0} MB/s); truth in {}",
                truth.files,
                truth.bytes,
                truth.lines,
                truth.distinct_remotes(),
                truth.median_row_distance(),
                secs,
                truth.bytes as f64 / 1e6 / secs,
                exlog_gen::truth_path(&args.out).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("exlog-gen: error: {}: {e}", args.out.display());
            ExitCode::from(1)
        }
    }
}
