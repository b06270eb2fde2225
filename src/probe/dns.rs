//! The one door to DNS.
//!
//! Every lookup of a run goes through [`DnsClient`]: it points hickory at the resolvers the
//! user named (and nowhere else), bounds every question in time, coalesces identical
//! questions asked concurrently, logs each question for the facts file, and turns every
//! outcome into a [`Lookup`] through a single [`classify`] so that NXDOMAIN, NODATA,
//! SERVFAIL, REFUSED and timeouts can never be confused.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::Shared;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use crate::facts::{Failure, Lookup, MxRecord, NameAddresses, QueryLog};

/// Where and how to ask.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// Resolvers to use; empty means the system's resolv.conf.
    pub resolvers: Vec<SocketAddr>,
    /// Time allowed for one try of one question.
    pub timeout: Duration,
    /// Extra tries after the first.
    pub retries: usize,
    /// The servers are a zone's own name servers, asked directly: recursion off and no
    /// cache, so every question gets the authority's answer of the moment.
    pub authoritative: bool,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            resolvers: Vec::new(),
            timeout: Duration::from_secs(2),
            retries: 1,
            authoritative: false,
        }
    }
}

/// One answer asked afresh, with what caches may do with it.
#[derive(Clone, Debug, PartialEq)]
pub struct FreshAnswer {
    pub lookup: Lookup<RData>,
    /// The lowest TTL of the answer records (how long resolvers may keep them).
    pub ttl: Option<u32>,
    /// For NXDOMAIN/NODATA: how long resolvers may keep the negative answer (RFC 2308).
    pub negative_ttl: Option<u32>,
}

/// The resolver could not be set up (unreadable resolv.conf, no name server).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the DNS resolver: {0}")]
pub struct DnsSetupError(String);

/// DNS questions the record checks need; implemented by [`DnsClient`] and by in-memory
/// fakes in unit tests.
pub trait Resolve: Send + Sync {
    /// TXT records at `name`, each with its character-strings joined.
    fn txt(&self, name: &str) -> impl Future<Output = Lookup<String>> + Send;
    fn a(&self, name: &str) -> impl Future<Output = Lookup<Ipv4Addr>> + Send;
    fn aaaa(&self, name: &str) -> impl Future<Output = Lookup<Ipv6Addr>> + Send;
    fn mx(&self, name: &str) -> impl Future<Output = Lookup<MxRecord>> + Send;
    /// PTR names of an address, lower-case without the trailing dot.
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = Lookup<String>> + Send;
    /// CNAME target at exactly `name` (to tell an alias loop from a missing record).
    /// Resolvers that cannot say answer NotAsked.
    fn cname(&self, name: &str) -> impl Future<Output = Lookup<String>> + Send {
        let _ = name;
        async { Lookup::NotAsked }
    }
}

type SharedLookup = Shared<Pin<Box<dyn Future<Output = Lookup<RData>> + Send>>>;

/// A hickory resolver with bounded, coalesced, logged questions.
#[derive(Clone)]
pub struct DnsClient {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: TokioResolver,
    /// Upper bound for one question, all tries and servers included.
    budget: Duration,
    in_flight: Mutex<HashMap<(String, RecordType), SharedLookup>>,
    log: Mutex<Vec<QueryLog>>,
}

impl DnsClient {
    pub fn new(config: &DnsConfig) -> Result<Self, DnsSetupError> {
        let mut builder = if config.resolvers.is_empty() {
            Resolver::builder_tokio().map_err(|e| DnsSetupError(e.to_string()))?
        } else {
            let servers = config
                .resolvers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect();
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let opts = builder.options_mut();
        opts.timeout = config.timeout;
        opts.attempts = config.retries;
        opts.ndots = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.cache_size = if config.authoritative { 0 } else { 1024 };
        opts.recursion_desired = !config.authoritative;
        opts.preserve_intermediates = true;
        opts.edns0 = true;
        let servers = config.resolvers.len().max(1) as u32;
        let tries = (config.retries + 1) as u32;
        // hickory bounds each try; this outer bound is a second fence around the whole question.
        let budget = config.timeout * tries * servers + Duration::from_millis(500);
        let resolver = builder.build().map_err(|e| DnsSetupError(e.to_string()))?;
        Ok(DnsClient {
            inner: Arc::new(Inner {
                resolver,
                budget,
                in_flight: Mutex::new(HashMap::new()),
                log: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Every question asked so far.
    pub fn query_log(&self) -> Vec<QueryLog> {
        self.inner.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Ask one question, sharing the answer with any identical question in flight or done.
    pub async fn lookup(&self, name: &str, rtype: RecordType) -> Lookup<RData> {
        let fqdn = match to_fqdn(name) {
            Ok(n) => n,
            Err(detail) => {
                return Lookup::Failed {
                    failure: Failure::InvalidName,
                    detail,
                };
            }
        };
        let key = (fqdn.to_ascii().to_ascii_lowercase(), rtype);
        let shared = {
            let mut map = match self.inner.in_flight.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            map.entry(key)
                .or_insert_with(|| {
                    let inner = self.inner.clone();
                    let fut: Pin<Box<dyn Future<Output = Lookup<RData>> + Send>> =
                        Box::pin(async move { inner.ask(fqdn, rtype).await });
                    fut.shared()
                })
                .clone()
        };
        shared.await
    }

    /// Ask one question now, past the coalescing of [`DnsClient::lookup`] (which keeps
    /// every answer for the run): for watching a record change. Logged like every question.
    pub async fn ask_fresh(&self, name: &str, rtype: RecordType) -> FreshAnswer {
        let fqdn = match to_fqdn(name) {
            Ok(n) => n,
            Err(detail) => {
                return FreshAnswer {
                    lookup: Lookup::Failed {
                        failure: Failure::InvalidName,
                        detail,
                    },
                    ttl: None,
                    negative_ttl: None,
                };
            }
        };
        self.inner.ask_with_ttl(fqdn, rtype).await
    }

    /// CNAME target at exactly `name`, if any.
    pub async fn cname(&self, name: &str) -> Lookup<String> {
        self.lookup(name, RecordType::CNAME)
            .await
            .filter_map(|r| match r {
                RData::CNAME(c) => Some(name_to_string(&c.0)),
                _ => None,
            })
    }

    /// NS names of a zone.
    pub async fn ns(&self, name: &str) -> Lookup<String> {
        self.lookup(name, RecordType::NS)
            .await
            .filter_map(|r| match r {
                RData::NS(n) => Some(name_to_string(&n.0)),
                _ => None,
            })
    }

    /// CNAME, A and AAAA of a host name, asked concurrently.
    pub async fn name_addresses(&self, name: &str) -> NameAddresses {
        let (cname, a, aaaa) = tokio::join!(self.cname(name), self.a(name), self.aaaa(name));
        NameAddresses {
            name: normalize_name(name),
            cname,
            a,
            aaaa,
        }
    }
}

impl Resolve for DnsClient {
    async fn cname(&self, name: &str) -> Lookup<String> {
        DnsClient::cname(self, name).await
    }

    async fn txt(&self, name: &str) -> Lookup<String> {
        self.lookup(name, RecordType::TXT)
            .await
            .filter_map(|r| match r {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
    }

    async fn a(&self, name: &str) -> Lookup<Ipv4Addr> {
        self.lookup(name, RecordType::A)
            .await
            .filter_map(|r| match r {
                RData::A(a) => Some(a.0),
                _ => None,
            })
    }

    async fn aaaa(&self, name: &str) -> Lookup<Ipv6Addr> {
        self.lookup(name, RecordType::AAAA)
            .await
            .filter_map(|r| match r {
                RData::AAAA(a) => Some(a.0),
                _ => None,
            })
    }

    async fn mx(&self, name: &str) -> Lookup<MxRecord> {
        self.lookup(name, RecordType::MX)
            .await
            .filter_map(|r| match r {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: name_to_string(&mx.exchange),
                }),
                _ => None,
            })
    }

    async fn ptr(&self, ip: IpAddr) -> Lookup<String> {
        let name = Name::from(ip).to_ascii();
        self.lookup(&name, RecordType::PTR)
            .await
            .filter_map(|r| match r {
                RData::PTR(p) => Some(name_to_string(&p.0)),
                _ => None,
            })
    }
}

impl Inner {
    async fn ask(&self, name: Name, rtype: RecordType) -> Lookup<RData> {
        self.ask_with_ttl(name, rtype).await.lookup
    }

    async fn ask_with_ttl(&self, name: Name, rtype: RecordType) -> FreshAnswer {
        let started = Instant::now();
        let mut ttl = None;
        let mut negative_ttl = None;
        let outcome = match tokio::time::timeout(
            self.budget,
            self.resolver.lookup(name.clone(), rtype),
        )
        .await
        {
            Ok(Ok(lookup)) => {
                let matching = lookup.answers().iter().filter(|r| r.record_type() == rtype);
                ttl = matching.clone().map(|r| r.ttl).min();
                let records: Vec<RData> = matching.map(|r| r.data.clone()).collect();
                if records.is_empty() {
                    // Only aliases came back (a CNAME to a name without this type).
                    Lookup::NoData
                } else {
                    Lookup::Answer { records }
                }
            }
            Ok(Err(error)) => {
                if let NetError::Dns(DnsError::NoRecordsFound(no)) = &error {
                    negative_ttl = no.negative_ttl;
                }
                classify(&error)
            }
            Err(_) => Lookup::Failed {
                failure: Failure::Timeout,
                detail: format!("no answer within {} ms", self.budget.as_millis()),
            },
        };
        let entry = QueryLog {
            name: name.to_ascii(),
            rtype: rtype.to_string(),
            outcome: outcome.label(),
            millis: started.elapsed().as_millis() as u64,
        };
        if let Ok(mut log) = self.log.lock() {
            log.push(entry);
        }
        FreshAnswer {
            lookup: outcome,
            ttl,
            negative_ttl,
        }
    }
}

/// The single place that tells DNS outcomes apart.
pub fn classify<T>(error: &NetError) -> Lookup<T> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            if *response_code == ResponseCode::NXDomain {
                Lookup::NxDomain
            } else {
                Lookup::NoData
            }
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => Lookup::Failed {
            failure: Failure::Refused,
            detail: "the resolver refused to answer (REFUSED)".into(),
        },
        NetError::Dns(DnsError::ResponseCode(code)) => Lookup::Failed {
            failure: Failure::ServFail,
            detail: format!("the resolver answered {code}"),
        },
        NetError::Timeout => Lookup::Failed {
            failure: Failure::Timeout,
            detail: "no answer from the resolver".into(),
        },
        other => Lookup::Failed {
            failure: Failure::Error,
            detail: other.to_string(),
        },
    }
}

impl<T> Lookup<T> {
    /// Keep the records `f` accepts; an answer left empty becomes NODATA.
    fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Lookup<U> {
        match self {
            Lookup::Answer { records } => {
                let records: Vec<U> = records.into_iter().filter_map(f).collect();
                if records.is_empty() {
                    Lookup::NoData
                } else {
                    Lookup::Answer { records }
                }
            }
            Lookup::NxDomain => Lookup::NxDomain,
            Lookup::NoData => Lookup::NoData,
            Lookup::Failed { failure, detail } => Lookup::Failed { failure, detail },
            Lookup::NotAsked => Lookup::NotAsked,
        }
    }
}

/// Parse a name for asking: absolute, ASCII (IDNA applied), within RFC 1035 limits.
fn to_fqdn(name: &str) -> Result<Name, String> {
    let trimmed = name.trim_end_matches('.');
    if trimmed.is_empty() {
        return Err("empty domain name".into());
    }
    let mut parsed = match Name::from_utf8(trimmed) {
        Ok(n) => n,
        // DNS labels may hold any byte. ASCII names IDNA refuses ("a_b", SPF macro results
        // such as "foo:bar/baz" or spaces, escaped names read back from answers) are asked
        // in their presentation form, else byte for byte.
        Err(e) if trimmed.is_ascii() => {
            Name::from_labels(presentation_labels(trimmed)).map_err(|_| format!("{name:?}: {e}"))?
        }
        Err(e) => return Err(format!("{name:?}: {e}")),
    };
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The labels of a name in presentation form: `\\X` is X and `\\DDD` the byte DDD (as
/// hickory writes names it read), every other byte as it is; unescaped dots separate.
fn presentation_labels(name: &str) -> Vec<Vec<u8>> {
    let bytes = name.as_bytes();
    let mut labels = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() => {
                let digits = &bytes[i + 1..bytes.len().min(i + 4)];
                if digits.len() == 3 && digits.iter().all(u8::is_ascii_digit) {
                    let value = digits
                        .iter()
                        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                    label.push(u8::try_from(value).unwrap_or(u8::MAX));
                    i += 4;
                } else {
                    label.push(bytes[i + 1]);
                    i += 2;
                }
            }
            b'.' => {
                labels.push(std::mem::take(&mut label));
                i += 1;
            }
            b => {
                label.push(b);
                i += 1;
            }
        }
    }
    labels.push(label);
    labels
}

/// Lower-case, no trailing dot: the one spelling of names in facts.
pub fn normalize_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn name_to_string(name: &Name) -> String {
    normalize_name(&name.to_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_idna_refuses_are_asked_as_written() {
        let labels = |n: &str| {
            to_fqdn(n)
                .unwrap()
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(labels("Mail.Example.org."), ["mail", "example", "org"]);
        assert_eq!(labels("a_b.example"), ["a_b", "example"]);
        assert_eq!(labels("foo:bar/baz.example"), ["foo:bar/baz", "example"]);
        assert_eq!(
            labels("foo\\:bar\\/baz.example"),
            ["foo:bar/baz", "example"]
        );
        assert_eq!(labels("a\\032b.example"), ["a b", "example"]);
        assert_eq!(labels("two  spaces.example"), ["two  spaces", "example"]);
        assert!(to_fqdn("a..b").is_err());
        assert!(to_fqdn(&format!("{}.example", "x".repeat(64))).is_err());
    }
}
