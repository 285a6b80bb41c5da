//! The `exlog` binary: parse flags, run, map the result to an exit code.

use exlog::cli::Args;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `exlog merge PART.json...` takes the report and output flags, with
    // partial results in place of log paths.
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let merging = argv.get(1).is_some_and(|a| a == "merge");
    if merging {
        argv.remove(1);
        argv[0] = "exlog merge".into();
    }
    let args = match parse(argv, merging) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; a bad flag means no report.
            return ExitCode::from(if e.use_stderr() { exlog::EXIT_FATAL } else { 0 });
        }
    };
    let outcome = if merging {
        exlog::app::merge(&args)
    } else {
        exlog::run(&args)
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("exlog: error: {e:#}");
            ExitCode::from(exlog::EXIT_FATAL)
        }
    }
}

/// The flags; `exlog merge` describes its PATHs as partial results.
fn parse(argv: Vec<std::ffi::OsString>, merging: bool) -> Result<Args, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Args::command();
    if merging {
        command = command
            .name("exlog merge")
            .about(exlog::cli::MERGE_ABOUT)
            .long_about(None::<&str>)
            .mut_arg("paths", |a| {
                a.value_name("PART.json")
                    .help(exlog::cli::MERGE_PATHS_HELP)
                    .long_help(None::<&str>)
            });
        for id in exlog::cli::MERGE_REFUSES {
            command = command.mut_arg(id, |a| a.hide(true));
        }
    }
    Args::from_arg_matches_mut(&mut command.try_get_matches_from(argv)?)
}

/// `exlog … | head` closes the pipe early: that is success, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
