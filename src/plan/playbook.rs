//! Loading `playbooks/`: finding texts, report areas, and lookup tables used by the rules.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::assets::{AssetError, Assets, Kind};
use crate::blocklist::Catalog;

#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error("playbook {path}: {message}")]
    Parse { path: String, message: String },
    #[error("playbook {path}: finding {id} is defined twice")]
    Duplicate { path: String, id: String },
    #[error("playbook {path} is missing")]
    Missing { path: String },
}

/// The text of one finding id. Every string is a Handlebars template filled with the
/// finding's evidence plus `subject` and `domain`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingText {
    /// One line naming the problem (or what passed).
    pub title: String,
    /// What we saw, with the numbers and names of this case.
    pub detail: String,
    /// Why receivers care: who rejects or junks mail for this, and how.
    #[serde(default)]
    pub why: Option<String>,
    /// What to do, in order.
    #[serde(default)]
    pub remedy: Option<String>,
    /// The remediation step (plan playbook id) that fixes it.
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

/// A report section: one area of finding ids.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub title: String,
}

/// Name patterns that make a PTR look dynamic, residential or a provider default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericPtrPatterns {
    /// Whole labels or dash/dot separated tokens, e.g. "dyn", "pool", "dsl".
    pub tokens: Vec<String>,
    /// Token prefixes followed by digits, e.g. "dsl" in "dsl123".
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Name suffixes of cloud and hosting defaults, e.g. ".compute.amazonaws.com".
    pub suffixes: Vec<PtrSuffix>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtrSuffix {
    pub suffix: String,
    pub provider: String,
}

/// Everything loaded from `playbooks/`.
#[derive(Clone, Debug)]
pub struct Playbooks {
    pub findings: BTreeMap<String, FindingText>,
    pub areas: Vec<Area>,
    pub generic_ptr: GenericPtrPatterns,
    /// Remediation steps, in plan order (`steps.yaml`).
    pub steps: Vec<super::Step>,
    /// Smarthost presets and destination groups (`smarthosts.yaml`).
    pub smarthosts: super::Smarthosts,
    /// The blocklists the reputation sweep asks, and how to get off them.
    pub blocklists: Catalog,
}

impl Playbooks {
    pub fn load(assets: &Assets) -> Result<Self, PlaybookError> {
        let mut findings = BTreeMap::new();
        for (path, text) in assets.files(Kind::Playbooks, "findings/")? {
            if !path.ends_with(".yaml") {
                continue;
            }
            let entries: BTreeMap<String, FindingText> = parse(&path, &text)?;
            for (id, entry) in entries {
                if findings.insert(id.clone(), entry).is_some() {
                    return Err(PlaybookError::Duplicate { path, id });
                }
            }
        }
        Ok(Playbooks {
            findings,
            areas: load_one(assets, "areas.yaml")?,
            generic_ptr: load_one(assets, "generic-ptr.yaml")?,
            steps: load_one(assets, "steps.yaml")?,
            smarthosts: load_one(assets, "smarthosts.yaml")?,
            blocklists: load_blocklists(assets)?,
        })
    }
}

fn load_blocklists(assets: &Assets) -> Result<Catalog, PlaybookError> {
    let path = "blocklists.yaml";
    let catalog: Catalog = load_one(assets, path)?;
    catalog.validate().map_err(|e| PlaybookError::Parse {
        path: path.into(),
        message: e.to_string(),
    })?;
    Ok(catalog)
}

fn load_one<T: for<'de> Deserialize<'de>>(assets: &Assets, path: &str) -> Result<T, PlaybookError> {
    let text = assets
        .file(Kind::Playbooks, path)?
        .ok_or_else(|| PlaybookError::Missing { path: path.into() })?;
    parse(path, &text)
}

/// The only place YAML is parsed (playbooks and answers files), so the YAML crate can be
/// swapped.
pub fn parse<T: for<'de> Deserialize<'de>>(path: &str, text: &str) -> Result<T, PlaybookError> {
    serde_saphyr::from_str(text).map_err(|e| PlaybookError::Parse {
        path: path.into(),
        message: e.to_string(),
    })
}

/// The only place YAML is written (the answers file), next to [`parse`].
pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::FindingId;

    /// Every id the code can emit has words, and every entry of the playbooks is an id the
    /// code can emit: no finding is ever shown without text, and no text is dead.
    #[test]
    fn playbook_entries_match_finding_ids_exactly() {
        let playbooks = Playbooks::load(&Assets::default()).expect("built-in playbooks load");
        let ids: Vec<&str> = FindingId::ALL.iter().map(|id| id.as_str()).collect();
        let without_text: Vec<&&str> = ids
            .iter()
            .filter(|id| !playbooks.findings.contains_key(**id))
            .collect();
        assert!(
            without_text.is_empty(),
            "ids without a playbook entry: {without_text:?}"
        );
        let unused: Vec<&String> = playbooks
            .findings
            .keys()
            .filter(|key| !ids.contains(&key.as_str()))
            .collect();
        assert!(
            unused.is_empty(),
            "playbook entries for no finding id: {unused:?}"
        );
    }

    /// Every area of a finding id has a report section.
    #[test]
    fn every_area_has_a_section() {
        let playbooks = Playbooks::load(&Assets::default()).expect("built-in playbooks load");
        for id in FindingId::ALL {
            assert!(
                playbooks.areas.iter().any(|a| a.id == id.area()),
                "{id}: no section for area {} in areas.yaml",
                id.area()
            );
        }
    }
}
