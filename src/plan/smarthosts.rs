//! Smarthost presets (`playbooks/smarthosts.yaml`): relays people commonly send through,
//! with the settings Postfix needs for each, and named groups of recipient domains that can
//! be routed through a relay on their own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How the connection to the relay is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayTls {
    /// Plain connection upgraded with STARTTLS (ports 587, 2525, 25).
    Starttls,
    /// TLS from the first byte (port 465, Postfix `smtp_tls_wrappermode = yes`).
    Implicit,
}

/// One relay provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Display name.
    pub name: String,
    /// Relay host; none when it depends on the account (the answers must give it).
    #[serde(default)]
    pub host: Option<String>,
    pub port: u16,
    pub tls: RelayTls,
    /// What to use as the SASL user name, in words.
    pub username: String,
    /// Whether the relay needs SASL credentials (false: it can authorise by IP address).
    #[serde(default = "yes")]
    pub needs_credentials: bool,
    /// The `include:` to add to SPF, when the relay sends with your domain in MAIL FROM.
    #[serde(default)]
    pub spf_include: Option<String>,
    /// Setup notes shown in the plan.
    pub notes: String,
    /// Where the settings come from.
    pub sources: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A named set of recipient domains, e.g. Microsoft's consumer mail domains.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationGroup {
    pub name: String,
    pub domains: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

/// Everything in `smarthosts.yaml`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smarthosts {
    pub providers: BTreeMap<String, Provider>,
    #[serde(default)]
    pub destination_groups: BTreeMap<String, DestinationGroup>,
}

impl Smarthosts {
    /// The recipient domains a list of destinations stands for, groups expanded, in order,
    /// without repeats.
    pub fn expand_destinations(&self, destinations: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in destinations {
            let domains = match self.destination_groups.get(d) {
                Some(group) => group.domains.clone(),
                None => vec![d.clone()],
            };
            for domain in domains {
                if !out.contains(&domain) {
                    out.push(domain);
                }
            }
        }
        out
    }
}
