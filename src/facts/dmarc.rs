//! Facts of the DMARC area: the records of the DNS Tree Walk above the domain, and what was
//! asked about each external report destination.

use serde::{Deserialize, Serialize};

use super::Lookup;

/// What was observed about DMARC.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DmarcFacts {
    /// `_dmarc.<name>` for the domain and each name of its tree walk (RFC 9989, DNS Tree Walk),
    /// the domain first. Empty when nothing was asked.
    #[serde(default)]
    pub walk: Vec<DmarcTxt>,
    /// Report destinations of the applying record in another domain than the policy domain.
    #[serde(default)]
    pub destinations: Vec<ReportDestination>,
}

/// The TXT records at `_dmarc.<domain>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcTxt {
    pub domain: String,
    pub txt: Lookup<String>,
}

/// A domain that rua=/ruf= send reports to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDestination {
    /// The domain of the mailto: address.
    pub domain: String,
    /// The tree walk of the destination, to find its Organizational Domain.
    pub walk: Vec<DmarcTxt>,
    /// `<policy domain>._report._dmarc.<domain>`.
    pub authorization_name: String,
    /// The TXT records there; one starting with `v=DMARC1` authorizes the reports.
    pub authorization: Lookup<String>,
}
