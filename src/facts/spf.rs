//! Facts of the SPF area: the TXT answers of a policy and everything it includes, the
//! address/MX answers of the names its terms ask about, and check_host() for every --ip.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::{Lookup, MxRecord};
use crate::records::spf::{Evaluation, Identity};

/// What was observed about SPF.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpfFacts {
    /// The mail domain's policy (absent when SPF was not looked at).
    #[serde(default)]
    pub domain: Option<SpfPolicy>,
    /// The HELO name's policy, when --host names a host other than the domain.
    #[serde(default)]
    pub helo: Option<SpfPolicy>,
    /// check_host() for each --ip, against the domain and against the HELO name.
    #[serde(default)]
    pub checks: Vec<SpfCheck>,
}

/// A policy and the tree under it, as DNS answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpfPolicy {
    /// The name whose SPF record this is.
    pub name: String,
    /// TXT answers of the name and of every include/redirect target reached, in walk order.
    pub txt: Vec<NamedTxt>,
    /// Answers for the names `a`, `mx` and `exists` terms ask about (those without macros).
    #[serde(default)]
    pub targets: Vec<TargetLookup>,
    /// The walk stopped at its bounds before reaching every record.
    #[serde(default)]
    pub truncated: bool,
}

impl SpfPolicy {
    /// The TXT answer fetched for `name`, if it was fetched.
    pub fn txt_of(&self, name: &str) -> Option<&Lookup<String>> {
        self.txt
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| &t.lookup)
    }

    /// The answers for a target name, if it was asked about.
    pub fn target(&self, name: &str) -> Option<&TargetLookup> {
        self.targets
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedTxt {
    pub name: String,
    pub lookup: Lookup<String>,
}

/// A, AAAA and MX answers of one name (each asked only when some term needs it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetLookup {
    pub name: String,
    #[serde(default)]
    pub a: Lookup<Ipv4Addr>,
    #[serde(default)]
    pub aaaa: Lookup<Ipv6Addr>,
    #[serde(default)]
    pub mx: Lookup<MxRecord>,
}

impl TargetLookup {
    /// Every address found, IPv4 first.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let v4 = self.a.records().iter().map(|a| IpAddr::V4(*a));
        let v6 = self.aaaa.records().iter().map(|a| IpAddr::V6(*a));
        v4.chain(v6).collect()
    }
}

/// check_host() for one client address and one identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfCheck {
    pub ip: IpAddr,
    pub identity: Identity,
    /// The domain evaluated: the mail domain, or the HELO name.
    pub domain: String,
    pub sender: String,
    pub evaluation: Evaluation,
}
