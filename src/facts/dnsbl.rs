//! Blocklist answers, as asked: one entry per (subject, list). What the codes mean is decided
//! later from the catalog, so a saved facts file is re-read with today's meanings.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::Lookup;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsblFacts {
    /// Every blocklist question asked; empty when the sweep was skipped (`--no-dnsbl`).
    #[serde(default)]
    pub checks: Vec<DnsblCheck>,
    /// The answer of each asked list's test entry (RFC 5782 §5), once per list.
    #[serde(default)]
    pub test_points: Vec<DnsblTestPoint>,
}

/// A list's own test entry, which it must list: if it comes back "not listed", the list is
/// not really answering this resolver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsblTestPoint {
    pub list: String,
    pub zone: String,
    #[serde(default)]
    pub dqs: bool,
    /// The name asked; a DQS key appears as `<dqs-key>`.
    pub query: String,
    pub a: Lookup<Ipv4Addr>,
}

/// One subject asked of one list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsblCheck {
    /// The IP address or domain looked up, as the user gave it (normalised).
    pub subject: String,
    /// The catalog id of the list ("spamhaus-zen").
    pub list: String,
    /// The zone asked, without any DQS key ("zen.spamhaus.org", "zen.dq.spamhaus.net").
    pub zone: String,
    /// True when asked through the Spamhaus Data Query Service.
    #[serde(default)]
    pub dqs: bool,
    /// The name asked; a DQS key appears as `<dqs-key>`.
    pub query: String,
    /// The A records: NXDOMAIN means "not listed".
    pub a: Lookup<Ipv4Addr>,
    /// The TXT records (the list's own words), asked only when the A answer was not a refusal.
    #[serde(default)]
    pub txt: Lookup<String>,
}
