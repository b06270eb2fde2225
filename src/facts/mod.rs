//! Facts: plain, serialisable observations gathered by the probes.
//!
//! Everything a diagnosis needs is here and nothing else, so that `check --facts-out F`
//! followed by `check --facts-in F` replays the same diagnosis with no network. A failure
//! to observe is itself a fact ([`Lookup::Failed`]), never an absence.

mod dkim;
mod dmarc;
mod dns;
mod dnsbl;
mod env;
mod mta_sts;
mod postfix;
mod smtp;
mod spf;
mod tlsrpt;

pub use dkim::{DkimFacts, SelectorLookup};
pub use dmarc::{DmarcFacts, DmarcTxt, ReportDestination};
pub use dns::{Failure, Lookup, MxRecord, NameAddresses, QueryLog, ReverseDns};
pub use dnsbl::{DnsblCheck, DnsblFacts, DnsblTestPoint};
pub use env::*;
pub use mta_sts::{FetchOutcome, FetchStage, MtaStsFacts, PolicyFetch};
pub use postfix::{MasterService, PostfixConfig, PostfixFacts};
pub use smtp::*;
pub use spf::{NamedTxt, SpfCheck, SpfFacts, SpfPolicy, TargetLookup};
pub use tlsrpt::TlsRptFacts;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Version tag written into every facts file; bumped when the shape changes incompatibly.
pub const FACTS_SCHEMA: &str = "mxdoctor/facts/v1";

/// What the user asked us to look at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub domain: String,
    #[serde(default)]
    pub ips: Vec<IpAddr>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub selectors: Vec<String>,
}

/// Everything observed during one `check` run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub schema: String,
    pub target: Target,
    pub dns: DnsFacts,
    /// SMTP servers probed (the MX hosts, or `--smtp`).
    #[serde(default)]
    pub smtp: SmtpFacts,
    /// The machine mxdoctor ran on: name, addresses, outbound port 25.
    #[serde(default)]
    pub env: EnvFacts,
    /// The local Postfix configuration.
    #[serde(default)]
    pub postfix: PostfixFacts,
    /// Every DNS question asked during the run, in order of completion.
    #[serde(default)]
    pub queries: Vec<QueryLog>,
}

impl Facts {
    /// Facts about `target` with nothing observed yet.
    pub fn new(target: Target) -> Self {
        Facts {
            schema: FACTS_SCHEMA.to_string(),
            target,
            dns: DnsFacts::default(),
            smtp: SmtpFacts::default(),
            env: EnvFacts::default(),
            postfix: PostfixFacts::default(),
            queries: Vec::new(),
        }
    }
}

/// The DNS side of a domain's mail setup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsFacts {
    /// MX records of the domain.
    pub mx: Lookup<MxRecord>,
    /// Address and CNAME lookups for each MX target (a null MX has none).
    #[serde(default)]
    pub mx_hosts: Vec<NameAddresses>,
    /// Address lookups for `--host`, when given.
    #[serde(default)]
    pub host: Option<NameAddresses>,
    /// Reverse DNS for every `--ip`, with the forward lookups of each PTR name.
    #[serde(default)]
    pub reverse: Vec<ReverseDns>,
    #[serde(default)]
    pub spf: SpfFacts,
    #[serde(default)]
    pub dkim: DkimFacts,
    #[serde(default)]
    pub dmarc: DmarcFacts,
    #[serde(default)]
    pub mta_sts: MtaStsFacts,
    #[serde(default)]
    pub tlsrpt: TlsRptFacts,
    /// IP and domain blocklist answers.
    #[serde(default)]
    pub dnsbl: DnsblFacts,
}
