//! Facts of the MTA-STS area: the TXT record and the policy fetched over HTTPS.

use serde::{Deserialize, Serialize};

use super::{Lookup, NameAddresses};

/// What was observed about MTA-STS.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MtaStsFacts {
    /// TXT records at `_mta-sts.<domain>`.
    #[serde(default)]
    pub txt: Lookup<String>,
    /// The policy fetch; absent when the TXT record gave no reason to fetch one.
    #[serde(default)]
    pub policy: Option<PolicyFetch>,
}

/// One attempt to fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    /// The addresses of `mta-sts.<domain>`, asked through the same resolver as everything else.
    pub host: NameAddresses,
    pub outcome: FetchOutcome,
}

/// What the HTTPS server answered, or why there was no answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum FetchOutcome {
    /// An HTTP response. `body` is read only for status 200, and at most up to the size limit.
    Response {
        status: u16,
        content_type: Option<String>,
        /// The Location header of a redirect (which is not followed, RFC 8461 §3.3).
        location: Option<String>,
        body: Option<String>,
        /// True when the body was longer than the limit and was cut.
        truncated: bool,
    },
    /// No response.
    Failed { stage: FetchStage, detail: String },
}

/// Where a fetch failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchStage {
    /// The host name has no address (NXDOMAIN or no A/AAAA record).
    Dns,
    /// The address lookup itself failed (timeout, SERVFAIL): nothing can be concluded.
    DnsFailed,
    /// The TCP connection was refused or could not be made.
    Connect,
    /// The TLS handshake failed, usually on the certificate.
    Tls,
    /// No complete answer within the time allowed.
    Timeout,
    /// The HTTP exchange failed after connecting.
    Http,
    /// The fetch could not be attempted on this machine (TLS setup, unreadable CA file).
    Setup,
}

impl FetchStage {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchStage::Dns => "dns",
            FetchStage::DnsFailed => "dns-failed",
            FetchStage::Connect => "connect",
            FetchStage::Tls => "tls",
            FetchStage::Timeout => "timeout",
            FetchStage::Http => "http",
            FetchStage::Setup => "setup",
        }
    }
}
