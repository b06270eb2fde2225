//! One progress line per area while the checks run (indicatif MultiProgress on stderr),
//! hidden with `--no-progress` or when stderr is not a terminal.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::words::ProgressWords;

pub struct AreaProgress {
    multi: MultiProgress,
    lines: HashMap<String, ProgressBar>,
    done_word: String,
}

impl AreaProgress {
    /// A line per area of `words`, spinning until [`AreaProgress::done`].
    pub fn new(words: &ProgressWords, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template("  {spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut lines = HashMap::new();
        for area in &words.areas {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_message(area.label.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            lines.insert(area.id.clone(), bar);
        }
        AreaProgress {
            multi,
            lines,
            done_word: words.done.clone(),
        }
    }

    /// The blocklist sweep's counter, drawn in the blocklists line's place.
    pub fn blocklist_bar(&self) -> ProgressBar {
        let bar = ProgressBar::hidden();
        if let Some(line) = self.lines.get("dnsbl") {
            let counter = self.multi.insert_after(line, ProgressBar::new(0));
            counter.set_style(
                ProgressStyle::with_template("      {pos}/{len} {wide_bar}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            return counter;
        }
        bar
    }

    /// Mark an area done (idempotent; unknown areas are ignored).
    pub fn done(&self, area: &str) {
        if let Some(bar) = self.lines.get(area)
            && !bar.is_finished()
        {
            let done_style = ProgressStyle::with_template("  ✓ {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(done_style);
            let label = bar.message();
            bar.finish_with_message(format!("{label} … {}", self.done_word));
        }
    }

    /// Remove every line (before the findings are printed).
    pub fn clear(&self) {
        for bar in self.lines.values() {
            bar.finish();
        }
        let _ = self.multi.clear();
    }
}
