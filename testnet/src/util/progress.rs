//! Progress bars on stderr (indicatif hides them when stderr is not a terminal, so logs and
//! CI output stay clean). The final summary goes to stdout.

use indicatif::{ProgressBar, ProgressStyle};

pub fn bar(len: u64, prefix: &'static str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len).with_prefix(prefix);
    let style =
        ProgressStyle::with_template("{prefix:>9} [{bar:32}] {pos}/{len} {msg} ({elapsed})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb
}

pub fn spinner(prefix: &'static str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner().with_prefix(prefix);
    let style = ProgressStyle::with_template("{prefix:>9} {spinner} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    pb.set_style(style);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
