//! The inputs and outputs of check_host(): who is asking about whom, and what came out.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::trace::TraceEvent;

/// The result of `check_host()` (RFC 7208 §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which identity is checked: the MAIL FROM domain or the HELO name (RFC 7208 §2.3, §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    MailFrom,
    Helo,
}

/// The `<sender>` of check_host(): local-part and domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub local: String,
    pub domain: String,
}

impl Sender {
    /// MAIL FROM as given. "user@domain" as is; "@domain" and a bare "domain" mean
    /// postmaster@domain (RFC 7208 §4.3); the null sender "" means postmaster@HELO (§2.4).
    /// None for a null sender without a HELO name.
    pub fn from_mail_from(mail_from: &str, helo: Option<&str>) -> Option<Sender> {
        let mail_from = mail_from
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if mail_from.is_empty() {
            return helo.map(|h| Sender {
                local: "postmaster".into(),
                domain: h.to_string(),
            });
        }
        Some(match mail_from.rsplit_once('@') {
            Some((local, domain)) => Sender {
                local: if local.is_empty() {
                    "postmaster".into()
                } else {
                    local.to_string()
                },
                domain: domain.to_string(),
            },
            None => Sender {
                local: "postmaster".into(),
                domain: mail_from.to_string(),
            },
        })
    }

    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// The arguments of check_host() plus the values only macros need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The SMTP client's address. An IPv4-mapped IPv6 address is evaluated as IPv4.
    pub ip: IpAddr,
    /// The domain whose policy is evaluated (the sender's domain or the HELO name).
    pub domain: String,
    pub sender: Sender,
    /// The HELO/EHLO name, for `%{h}`.
    pub helo: String,
    /// The checking host's name, for `%{r}` ("unknown" when there is none).
    pub receiver: String,
    /// Seconds since the epoch, for `%{t}`.
    pub timestamp: u64,
}

/// What one check_host() concluded, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub result: SpfResult,
    /// The domain's own explanation (`exp=`) for a fail, when it could be built.
    pub explanation: Option<String>,
    /// Why the result is what it is when no mechanism decided it (errors, none, default).
    pub reason: Option<String>,
    /// The mechanism that matched, and the domain whose record holds it.
    pub matched: Option<MatchedTerm>,
    /// DNS-querying terms evaluated (the limit is 10).
    pub lookups: u32,
    /// Void lookups met (the limit is 2).
    pub void_lookups: u32,
    pub trace: Vec<TraceEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTerm {
    pub domain: String,
    pub term: String,
}
