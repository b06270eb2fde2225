//! DNS outcomes as data.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// Why a DNS question got no usable answer although the name may exist.
///
/// None of these may ever be read as "the record is missing": the truth is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Failure {
    /// The server answered SERVFAIL (or another error code such as FORMERR/NOTIMP).
    ServFail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No answer within the timeout, after every retry.
    Timeout,
    /// The name cannot be asked at all (too long, empty label, bad characters).
    InvalidName,
    /// Anything else: no connection, I/O error, malformed reply.
    Error,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::ServFail => "SERVFAIL",
            Failure::Refused => "REFUSED",
            Failure::Timeout => "timeout",
            Failure::InvalidName => "invalid name",
            Failure::Error => "error",
        }
    }
}

/// The outcome of one DNS question.
///
/// Only [`Lookup::NxDomain`] and [`Lookup::NoData`] mean "not there"; a
/// [`Lookup::Failed`] means "could not tell".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Lookup<T> {
    /// At least one record of the asked type.
    Answer { records: Vec<T> },
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of this type.
    NoData,
    /// The question could not be answered.
    Failed { failure: Failure, detail: String },
    /// The question was not asked (a skipped check, or a fact older than this field).
    #[default]
    NotAsked,
}

impl<T> Lookup<T> {
    /// The records, or an empty slice for any outcome other than an answer.
    pub fn records(&self) -> &[T] {
        match self {
            Lookup::Answer { records } => records,
            _ => &[],
        }
    }

    /// True only when the DNS said authoritatively that there is nothing.
    pub fn is_missing(&self) -> bool {
        matches!(self, Lookup::NxDomain | Lookup::NoData)
    }

    /// The failure, when the question could not be answered.
    pub fn failure(&self) -> Option<Failure> {
        match self {
            Lookup::Failed { failure, .. } => Some(*failure),
            _ => None,
        }
    }

    /// A short label for reports: "answer", "NXDOMAIN", "no data", "timeout"…
    pub fn label(&self) -> String {
        match self {
            Lookup::Answer { records } => format!("{} record(s)", records.len()),
            Lookup::NxDomain => "NXDOMAIN".into(),
            Lookup::NoData => "no data".into(),
            Lookup::Failed { failure, .. } => failure.as_str().into(),
            Lookup::NotAsked => "not asked".into(),
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Answer { records } => Lookup::Answer {
                records: records.into_iter().map(f).collect(),
            },
            Lookup::NxDomain => Lookup::NxDomain,
            Lookup::NoData => Lookup::NoData,
            Lookup::Failed { failure, detail } => Lookup::Failed { failure, detail },
            Lookup::NotAsked => Lookup::NotAsked,
        }
    }
}

/// One MX record. `exchange` is lower-case, without the trailing dot; "" is the null MX target ".".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxRecord {
    pub preference: u16,
    pub exchange: String,
}

/// What a host name resolves to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameAddresses {
    pub name: String,
    /// CNAME at this exact name (an MX target must not be an alias, RFC 2181 §10.3).
    #[serde(default)]
    pub cname: Lookup<String>,
    pub a: Lookup<Ipv4Addr>,
    pub aaaa: Lookup<Ipv6Addr>,
}

impl NameAddresses {
    /// Every address found, IPv4 first.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let v4 = self.a.records().iter().map(|a| IpAddr::V4(*a));
        let v6 = self.aaaa.records().iter().map(|a| IpAddr::V6(*a));
        v4.chain(v6).collect()
    }

    /// The address lookup of the same family as `ip`.
    pub fn family_lookup_failure(&self, ip: &IpAddr) -> Option<super::Failure> {
        match ip {
            IpAddr::V4(_) => self.a.failure(),
            IpAddr::V6(_) => self.aaaa.failure(),
        }
    }
}

/// Reverse DNS of one sending address and the forward confirmation of each PTR name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseDns {
    pub ip: IpAddr,
    pub ptr: Lookup<String>,
    #[serde(default)]
    pub forward: Vec<NameAddresses>,
}

/// One question asked of DNS, for bug reports and the benchmark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryLog {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub outcome: String,
    pub millis: u64,
}
