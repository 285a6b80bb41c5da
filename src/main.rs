//! The `exlog` binary: parse flags, run, map the result to an exit code.

use clap::Parser;
use exlog::cli::Args;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; a bad flag means no report.
            return ExitCode::from(if e.use_stderr() { exlog::EXIT_FATAL } else { 0 });
        }
    };
    match exlog::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("exlog: error: {e:#}");
            ExitCode::from(exlog::EXIT_FATAL)
        }
    }
}

/// `exlog … | head` closes the pipe early: that is success, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
