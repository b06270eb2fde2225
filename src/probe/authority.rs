//! Asking a zone's own name servers directly, for `check --watch`: is a new record live at
//! the authority yet, and how long may resolvers keep serving the old answer?
//!
//! The zone's NS names are looked up through the configured resolver, then their addresses;
//! after that each name server gets its own small [`DnsClient`] (recursion off, no cache), so
//! every poll reads the authority's data of the moment, never a cache's. Under the
//! loopback-only safety switch, name servers outside loopback are not asked.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::proto::rr::{RData, RecordType};

use super::connect;
use super::dns::{DnsClient, DnsConfig, FreshAnswer, normalize_name};
use crate::facts::Lookup;

/// Most NS names and addresses used per zone (bounds the fan-out of a hostile zone).
const MAX_SERVERS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("no NS records found for {0} or any parent zone")]
    NoZone(String),
    #[error("the NS lookup for {name} failed: {detail}")]
    Lookup { name: String, detail: String },
    #[error("none of the name servers of {zone} can be asked: {detail}")]
    NoServer { zone: String, detail: String },
}

/// One name server address of the zone.
pub struct NameServer {
    /// The NS name.
    pub name: String,
    pub addr: SocketAddr,
    client: DnsClient,
}

/// A zone and the name servers to ask.
pub struct Authority {
    pub zone: String,
    pub servers: Vec<NameServer>,
    /// Name servers not asked, and why (no address, loopback-only).
    pub skipped: Vec<String>,
}

/// Find the zone that holds `name` (the closest enclosing NS set) and its name servers.
/// `port` is the port to ask them on (53 but for test servers).
pub async fn discover(
    resolver: &DnsClient,
    name: &str,
    port: u16,
    timeout: Duration,
) -> Result<Authority, AuthorityError> {
    let mut zone = normalize_name(name);
    let ns_names = loop {
        match resolver.ns(&zone).await {
            Lookup::Answer { records } => break records,
            Lookup::NxDomain | Lookup::NoData | Lookup::NotAsked => match zone.split_once('.') {
                Some((_, parent)) if parent.contains('.') => zone = parent.to_string(),
                _ => return Err(AuthorityError::NoZone(normalize_name(name))),
            },
            Lookup::Failed { detail, .. } => {
                return Err(AuthorityError::Lookup { name: zone, detail });
            }
        }
    };
    let mut ns_names: Vec<String> = ns_names.into_iter().map(|n| normalize_name(&n)).collect();
    ns_names.sort();
    ns_names.dedup();
    ns_names.truncate(MAX_SERVERS);
    let lookups =
        futures::future::join_all(ns_names.iter().map(|n| resolver.name_addresses(n))).await;
    let mut servers = Vec::new();
    let mut skipped = Vec::new();
    for found in lookups {
        let addrs: Vec<IpAddr> = found
            .a
            .records()
            .iter()
            .map(|a| IpAddr::V4(*a))
            .chain(found.aaaa.records().iter().map(|a| IpAddr::V6(*a)))
            .collect();
        if addrs.is_empty() {
            skipped.push(format!("{}: no address", found.name));
        }
        for ip in addrs {
            if servers.len() >= MAX_SERVERS {
                break;
            }
            if !connect::allowed(ip) {
                skipped.push(format!(
                    "{} ({ip}): {}",
                    found.name,
                    connect::LOOPBACK_ONLY_REASON
                ));
                continue;
            }
            let addr = SocketAddr::new(ip, port);
            let client = DnsClient::new(&DnsConfig {
                resolvers: vec![addr],
                timeout,
                retries: 1,
                authoritative: true,
            })
            .map_err(|e| AuthorityError::NoServer {
                zone: zone.clone(),
                detail: e.to_string(),
            })?;
            servers.push(NameServer {
                name: found.name.clone(),
                addr,
                client,
            });
        }
    }
    if servers.is_empty() {
        return Err(AuthorityError::NoServer {
            zone,
            detail: skipped.join("; "),
        });
    }
    Ok(Authority {
        zone,
        servers,
        skipped,
    })
}

impl NameServer {
    /// Ask this server now (no cache).
    pub async fn ask(&self, name: &str, rtype: RecordType) -> FreshAnswer {
        self.client.ask_fresh(name, rtype).await
    }
}

/// A record's data as one string in the form `records.tsv` uses: TXT strings joined, MX as
/// "preference host", names without the trailing dot, addresses as usual.
pub fn value_of(data: &RData) -> String {
    match data {
        RData::TXT(t) => t
            .txt_data
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        RData::MX(mx) => format!(
            "{} {}",
            mx.preference,
            normalize_name(&mx.exchange.to_ascii())
        ),
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => normalize_name(&c.0.to_ascii()),
        RData::NS(n) => normalize_name(&n.0.to_ascii()),
        other => other.to_string(),
    }
}

/// True when an observed value is the expected one (names compared without case or the
/// trailing dot, addresses as addresses, TXT exactly).
pub fn same_value(rtype: RecordType, expected: &str, observed: &str) -> bool {
    match rtype {
        RecordType::TXT => expected == observed,
        RecordType::A | RecordType::AAAA => matches!(
            (expected.trim().parse::<IpAddr>(), observed.parse::<IpAddr>()),
            (Ok(a), Ok(b)) if a == b
        ),
        _ => normalize_name(expected.trim()) == normalize_name(observed.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_as_their_kind() {
        assert!(same_value(
            RecordType::MX,
            "10 mail.example.org",
            "10 Mail.Example.org."
        ));
        assert!(!same_value(
            RecordType::MX,
            "10 mail.example.org",
            "20 mail.example.org"
        ));
        assert!(same_value(
            RecordType::AAAA,
            "2001:db8::10",
            "2001:0db8:0:0::10"
        ));
        assert!(same_value(RecordType::TXT, "v=spf1 -all", "v=spf1 -all"));
        assert!(!same_value(RecordType::TXT, "v=spf1 -all", "v=spf1 ~all"));
    }
}
