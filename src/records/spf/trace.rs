//! The trace of an evaluation: every record, term and DNS answer, in order.

use serde::{Deserialize, Serialize};

use super::result::SpfResult;

/// How a term fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermOutcome {
    Match,
    NoMatch,
    Error,
}

/// How a DNS question fared, as the trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsOutcome {
    Answer,
    Nxdomain,
    NoData,
    Failed,
}

/// One step of an evaluation, in order. Every variant carries its nesting depth (0 for the
/// domain asked about, 1 inside its include or redirect, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum TraceEvent {
    /// check_host() starts on a domain, reached through `via` (an include or redirect term).
    Check {
        depth: u8,
        domain: String,
        via: Option<String>,
    },
    /// A DNS question and its answer.
    Dns {
        depth: u8,
        name: String,
        #[serde(rename = "type")]
        rtype: String,
        outcome: DnsOutcome,
        answers: Vec<String>,
        detail: Option<String>,
        /// This answer counted as a void lookup.
        void: bool,
        void_lookups: u32,
    },
    /// The SPF record selected for a domain.
    Record {
        depth: u8,
        domain: String,
        record: String,
    },
    /// One term evaluated, with the lookup count after it.
    Term {
        depth: u8,
        domain: String,
        term: String,
        outcome: TermOutcome,
        detail: Option<String>,
        /// The term is one of the DNS-querying terms counted against the limit of 10.
        counted: bool,
        lookups: u32,
    },
    /// The explanation of a fail, or why the domain's `exp=` was ignored.
    Explanation {
        depth: u8,
        domain: String,
        text: Option<String>,
        detail: Option<String>,
    },
    /// check_host() on a domain ends.
    Result {
        depth: u8,
        domain: String,
        result: SpfResult,
        reason: Option<String>,
    },
    /// Steps left out to keep the trace readable.
    Truncated { depth: u8, omitted: usize },
}
