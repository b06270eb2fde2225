//! Facts of the DKIM area: the TXT record of each selector asked.

use serde::{Deserialize, Serialize};

use super::Lookup;

/// What was observed about DKIM keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DkimFacts {
    /// True when no selector was given and `selectors` are the common ones that were tried.
    #[serde(default)]
    pub guessed: bool,
    /// One TXT lookup per selector, in the order asked.
    #[serde(default)]
    pub selectors: Vec<SelectorLookup>,
}

/// The TXT lookup of one selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectorLookup {
    pub selector: String,
    /// `<selector>._domainkey.<domain>`.
    pub name: String,
    pub txt: Lookup<String>,
}
