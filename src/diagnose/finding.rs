//! What a rule says about one thing it looked at.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::FindingId;

/// How bad a finding is. `Unknown` means the check could not complete; it is never a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Critical,
    Unknown,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::Unknown,
        Severity::Warning,
        Severity::Info,
        Severity::Ok,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
            Severity::Unknown => "unknown",
        }
    }

    /// Display order: what needs attention first.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::Unknown => 1,
            Severity::Warning => 2,
            Severity::Info => 3,
            Severity::Ok => 4,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?}"))
    }
}

/// One observation of a rule: an id, how bad, about what, and the evidence.
///
/// Rules produce these from facts alone; the words shown to people come later from the
/// playbook entry of `id`, filled in with `evidence`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    /// What the finding is about: a domain, a host name, an IP address, a record name.
    pub subject: String,
    pub evidence: Map<String, Value>,
}

impl Finding {
    pub fn new(id: FindingId, severity: Severity, subject: impl Into<String>) -> Self {
        Finding {
            id,
            severity,
            subject: subject.into(),
            evidence: Map::new(),
        }
    }

    /// Add one piece of evidence; it is shown in JSON and available to the playbook text.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.evidence.insert(key.to_string(), value);
        self
    }
}
