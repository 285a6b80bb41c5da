//! The one progress-bar constructor: visible only when it helps.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Inputs smaller than this finish before a bar would be worth drawing.
const MIN_BYTES: u64 = 8 << 20;

/// A bytes bar on stderr, or a hidden one when stderr is not a terminal,
/// `--quiet` is set, or the input is small.
pub(crate) fn bar(total_bytes: u64, quiet: bool) -> ProgressBar {
    if quiet || total_bytes < MIN_BYTES || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .expect("valid template");
    bar.set_style(style);
    bar
}
