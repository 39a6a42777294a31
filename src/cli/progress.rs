//! The progress bar, on stderr and only on a terminal.

use std::io::IsTerminal;

/// A bar over `total` replications, or none when stderr is not a terminal or there is
/// nothing to show progress of.
pub(super) fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} replications  {per_sec}  ETA {eta}",
        )
        .expect("valid progress template"),
    );
    Some(bar)
}
