//! IP and domain reputation: the blocklist catalog, the Spamhaus DQS key, and the delisting
//! and provider checklists written into `--out DIR/delisting/`.

mod catalog;
pub mod delisting;
mod dqs;

pub use catalog::{
    Blocklist, Catalog, CatalogError, CodeKind, Decoded, Holds, Matching, Procedure,
    PublicResolvers, ReturnCode, Status, Subject,
};
pub use dqs::{DqsKey, InvalidDqsKey, REDACTED};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr for the sweep, or a hidden one when `show` is false (piped
/// stderr, `--no-progress`).
pub fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} blocklists {pos}/{len} {wide_bar}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
