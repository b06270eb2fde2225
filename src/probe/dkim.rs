//! DKIM probe: the key record of every selector given, or of the common selectors when none
//! was given (`playbooks/dkim-selectors.yaml`), all asked at once.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use serde::Deserialize;

use crate::answers::validate;
use crate::assets::{Assets, Kind};
use crate::facts::{DkimFacts, SelectorLookup, Target};
use crate::plan::PlaybookError;
use crate::plan::playbook::parse;

use super::dns::{DnsClient, Resolve};

/// Where the common selectors live, relative to `playbooks/`.
pub const SELECTORS_PLAYBOOK: &str = "dkim-selectors.yaml";

/// Upper bound on the selectors tried without `--selector`, whatever the playbook says.
const MAX_GUESSES: usize = 100;

/// The selectors tried when the user names none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonSelectors {
    pub selectors: Vec<String>,
    /// Templates where `{year}` stands for a year.
    #[serde(default)]
    pub dated: Vec<String>,
}

impl CommonSelectors {
    pub fn load(assets: &Assets) -> Result<Self, PlaybookError> {
        let text = assets
            .file(Kind::Playbooks, SELECTORS_PLAYBOOK)?
            .ok_or_else(|| PlaybookError::Missing {
                path: SELECTORS_PLAYBOOK.into(),
            })?;
        parse(SELECTORS_PLAYBOOK, &text)
    }

    /// Every selector to try in `year`: the plain ones, then the dated ones for `year` and the
    /// year before; invalid names and repeats dropped.
    pub fn expand(&self, year: i64) -> Vec<String> {
        let dated = self.dated.iter().flat_map(|template| {
            [year, year - 1].map(|y| template.replace("{year}", &y.to_string()))
        });
        let mut out: Vec<String> = Vec::new();
        for candidate in self.selectors.iter().cloned().chain(dated) {
            if let Ok(selector) = validate::selector("selector", &candidate)
                && !out.contains(&selector)
            {
                out.push(selector);
            }
        }
        out.truncate(MAX_GUESSES);
        out
    }
}

pub async fn gather(dns: &DnsClient, target: &Target, common: &CommonSelectors) -> DkimFacts {
    let guessed = target.selectors.is_empty();
    let selectors = if guessed {
        common.expand(current_year())
    } else {
        target.selectors.clone()
    };
    let lookups = selectors.into_iter().map(|selector| async move {
        let name = format!("{selector}._domainkey.{}", target.domain);
        let txt = dns.txt(&name).await;
        SelectorLookup {
            selector,
            name,
            txt,
        }
    });
    DkimFacts {
        guessed,
        selectors: join_all(lookups).await,
    }
}

/// The current year (UTC) from the system clock.
fn current_year() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    year_of_day(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// The civil year of a day counted from 1970-01-01 (proleptic Gregorian calendar).
fn year_of_day(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    year_of_era + era * 400 + i64::from(month_index >= 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(364), 1970);
        assert_eq!(year_of_day(365), 1971);
        assert_eq!(year_of_day(20_454), 2026); // 2026-01-01
        assert_eq!(year_of_day(20_453), 2025); // 2025-12-31
        assert_eq!(year_of_day(11_016), 2000); // 2000-02-29
    }

    #[test]
    fn built_in_list_expands() {
        let common = CommonSelectors::load(&Assets::default()).unwrap();
        let all = common.expand(2026);
        for want in [
            "default",
            "mail",
            "selector1",
            "google",
            "mail2026",
            "mail2025",
            "2026",
        ] {
            assert!(all.iter().any(|s| s == want), "{want} missing from {all:?}");
        }
        assert!(all.len() <= MAX_GUESSES);
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
    }

    #[test]
    fn invalid_and_repeated_entries_are_dropped() {
        let common = CommonSelectors {
            selectors: vec!["mail".into(), "bad name".into(), "mail".into()],
            dated: vec!["mail{year}".into(), "x;{year}".into()],
        };
        assert_eq!(common.expand(2026), vec!["mail", "mail2026", "mail2025"]);
    }
}
