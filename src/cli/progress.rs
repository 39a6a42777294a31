//! The progress bar, on stderr and only on a terminal.

use std::io::IsTerminal;

/// A bar over `total` replications, labelled with what runs (a compared strategy), or
/// none when stderr is not a terminal or there is nothing to show progress of.
pub(super) fn progress_bar(total: u64, label: Option<&str>) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template(label.is_some()))
            .expect("valid progress template"),
    );
    if let Some(label) = label {
        bar.set_prefix(crate::output::table::terminal_safe(label, false).into_owned());
    }
    Some(bar)
}

/// The bar's layout: the label first when there is one.
fn template(labelled: bool) -> &'static str {
    if labelled {
        "{prefix}  {bar:40} {pos}/{len} replications  {per_sec}  ETA {eta}"
    } else {
        "{bar:40} {pos}/{len} replications  {per_sec}  ETA {eta}"
    }
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn a_labelled_bar_shows_its_label_before_the_bar() {
        let style = |labelled| indicatif::ProgressStyle::with_template(template(labelled));
        assert!(style(true).is_ok() && style(false).is_ok());
        assert!(template(true).starts_with("{prefix}"));
        assert!(!template(false).contains("{prefix}"));
    }
}
