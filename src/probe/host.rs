//! The machine mxdoctor runs on: its name, the source addresses it uses towards the
//! Internet, and its public address as seen from outside.
//!
//! Public address detection asks, in order: DNS services that echo the asking address
//! (OpenDNS's `myip.opendns.com` at its own resolver, Google's `o-o.myaddr.l.google.com` at
//! its own name server), then an HTTPS echo service. The DNS methods need those particular
//! servers, so they are skipped whenever `--resolver` is given: with `--resolver`, no DNS
//! question goes anywhere else. The HTTPS echo's host name is then resolved through the
//! given resolver. `--ip` replaces detection altogether.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;

use super::connect;
use super::dns::{DnsClient, DnsConfig, Resolve};
use crate::facts::{
    AttemptOutcome, Detection, DetectionAttempt, Hostname, LocalAddresses, Lookup, PublicAddresses,
    ReverseDns,
};
use crate::smtp::TlsTrust;

/// Built-in HTTPS echo services, per family: they answer with the client's address as text.
const ECHO_V4: &str = "https://api.ipify.org/";
const ECHO_V6: &str = "https://api6.ipify.org/";

/// Most bytes read from an echo service.
const MAX_ECHO_BODY: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn matches(self, ip: &IpAddr) -> bool {
        match self {
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// What the environment probe should do.
#[derive(Clone, Debug, Default)]
pub struct EnvRequest {
    /// `--ip` was given: detect nothing.
    pub ips_given: bool,
    /// `--resolver` was given: no DNS question may go to any other server.
    pub resolver_given: bool,
    /// HTTPS echo URLs replacing the built-in ones (test servers).
    pub echo_urls: Vec<String>,
    /// Time allowed for each method.
    pub timeout: Duration,
}

/// Everything the environment probe found.
pub struct EnvObservation {
    pub hostname: Option<Hostname>,
    pub local: LocalAddresses,
    pub public: PublicAddresses,
    pub reverse: Vec<ReverseDns>,
}

pub async fn gather(request: &EnvRequest, dns: &DnsClient, trust: &TlsTrust) -> EnvObservation {
    let hostname = read_hostname();
    let local = if connect::loopback_only() {
        LocalAddresses {
            skipped: Some(connect::LOOPBACK_ONLY_REASON.into()),
            v4: None,
            v6: None,
        }
    } else {
        route_sources()
    };
    let public = if request.ips_given {
        PublicAddresses::Given
    } else {
        // Whether the machine has a route for each family; unknown when not looked up.
        let known = local.skipped.is_none();
        let (v4, v6) = tokio::join!(
            detect(
                Family::V4,
                request,
                dns,
                trust,
                known.then_some(local.v4.is_some())
            ),
            detect(
                Family::V6,
                request,
                dns,
                trust,
                known.then_some(local.v6.is_some())
            ),
        );
        PublicAddresses::Detected { v4, v6 }
    };
    // Reverse DNS of the addresses this machine sends from: detected public ones, and a
    // global IPv6 source address (IPv6 is rarely translated).
    let mut to_check: Vec<IpAddr> = Vec::new();
    if let PublicAddresses::Detected { v4, v6 } = &public {
        to_check.extend(v4.address);
        to_check.extend(v6.address);
    }
    if let Some(v6) = local.v6
        && !crate::facts::is_private(&v6)
        && !to_check.contains(&v6)
    {
        to_check.push(v6);
    }
    let reverse = join_all(to_check.into_iter().map(|ip| super::reverse_dns(dns, ip))).await;
    EnvObservation {
        hostname,
        local,
        public,
        reverse,
    }
}

/// This machine's fully qualified name, when it has one (the default EHLO name of probes).
pub fn local_fqdn() -> Option<String> {
    read_hostname().and_then(|h| h.fqdn)
}

/// The kernel's host name and, when it can be found without asking DNS, the FQDN.
fn read_hostname() -> Option<Hostname> {
    let name = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| crate::output::read_limited(std::path::Path::new(p), 4096).ok())
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .find(|n| !n.is_empty())?;
    let hosts = crate::output::read_limited(std::path::Path::new("/etc/hosts"), 1024 * 1024)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let fqdn = fqdn_of(&name, &hosts);
    Some(Hostname { name, fqdn })
}

/// The FQDN as `hostname -f` finds it without DNS: the name itself when it has dots, else
/// the canonical (first) name of the /etc/hosts line that lists it.
pub fn fqdn_of(name: &str, hosts: &str) -> Option<String> {
    let valid = |n: &str| crate::answers::validate::hostname("hostname", n).ok();
    if name.contains('.') {
        return valid(name);
    }
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(_address) = fields.next() else {
            continue;
        };
        let names: Vec<&str> = fields.collect();
        if names.iter().any(|n| n.eq_ignore_ascii_case(name))
            && let Some(fqdn) = names
                .iter()
                .find(|n| n.contains('.'))
                .and_then(|n| valid(n))
        {
            return Some(fqdn);
        }
    }
    None
}

/// The source addresses the kernel would use towards the Internet, per family. A UDP
/// "connect" only looks up the route: no packet is sent.
fn route_sources() -> LocalAddresses {
    let source = |bind: SocketAddr, to: SocketAddr| -> Option<IpAddr> {
        let socket = UdpSocket::bind(bind).ok()?;
        socket.connect(to).ok()?;
        let ip = socket.local_addr().ok()?.ip();
        (!ip.is_unspecified()).then_some(ip)
    };
    LocalAddresses {
        skipped: None,
        v4: source(
            (Ipv4Addr::UNSPECIFIED, 0).into(),
            (Ipv4Addr::new(8, 8, 8, 8), 53).into(),
        ),
        v6: source(
            (Ipv6Addr::UNSPECIFIED, 0).into(),
            (
                "2001:4860:4860::8888"
                    .parse::<Ipv6Addr>()
                    .unwrap_or(Ipv6Addr::LOCALHOST),
                53,
            )
                .into(),
        ),
    }
}

/// Try the methods for one family until one answers.
async fn detect(
    family: Family,
    request: &EnvRequest,
    dns: &DnsClient,
    trust: &TlsTrust,
    has_route: Option<bool>,
) -> Detection {
    let mut detection = Detection::default();
    let loopback_only = connect::loopback_only();
    let dns_skip = if loopback_only {
        Some(connect::LOOPBACK_ONLY_REASON.to_string())
    } else if request.resolver_given {
        Some("--resolver is given: no DNS question may go to another server".to_string())
    } else if has_route == Some(false) {
        Some(format!("no {} route on this machine", family_name(family)))
    } else {
        None
    };
    for method in dns_methods(family) {
        if detection.address.is_some() {
            break;
        }
        let outcome = match &dns_skip {
            Some(reason) => AttemptOutcome::Skipped {
                reason: reason.clone(),
            },
            None => method.run(request.timeout).await,
        };
        record(
            &mut detection,
            format!("dns:{}@{}", method.name, method.server.ip()),
            outcome,
        );
    }
    let builtin = request.echo_urls.is_empty();
    let urls: Vec<String> = if builtin {
        vec![match family {
            Family::V4 => ECHO_V4.into(),
            Family::V6 => ECHO_V6.into(),
        }]
    } else {
        request.echo_urls.clone()
    };
    for url in urls {
        if detection.address.is_some() {
            break;
        }
        let outcome = if builtin && loopback_only {
            AttemptOutcome::Skipped {
                reason: connect::LOOPBACK_ONLY_REASON.into(),
            }
        } else if has_route == Some(false) {
            AttemptOutcome::Skipped {
                reason: format!("no {} route on this machine", family_name(family)),
            }
        } else {
            https_echo(&url, family, dns, trust, request.timeout).await
        };
        record(&mut detection, format!("https:{url}"), outcome);
    }
    detection
}

fn record(detection: &mut Detection, method: String, outcome: AttemptOutcome) {
    if let AttemptOutcome::Found { address } = &outcome {
        detection.address = Some(*address);
    }
    detection
        .attempts
        .push(DetectionAttempt { method, outcome });
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}

/// A DNS service that answers with the address of whoever asks it directly.
struct DnsMethod {
    name: &'static str,
    server: SocketAddr,
    kind: DnsKind,
    family: Family,
}

enum DnsKind {
    /// An A or AAAA answer is the address.
    Address,
    /// A TXT answer is the address.
    Txt,
}

fn dns_methods(family: Family) -> Vec<DnsMethod> {
    let server = |v4: [u8; 4], v6: &str| {
        let ip = match family {
            Family::V4 => IpAddr::from(v4),
            Family::V6 => v6.parse().unwrap_or(IpAddr::from([0u8; 16])),
        };
        SocketAddr::new(ip, 53)
    };
    vec![
        DnsMethod {
            name: "myip.opendns.com",
            // resolver1.opendns.com
            server: server([208, 67, 222, 222], "2620:119:35::35"),
            kind: DnsKind::Address,
            family,
        },
        DnsMethod {
            name: "o-o.myaddr.l.google.com",
            // ns1.google.com
            server: server([216, 239, 32, 10], "2001:4860:4802:32::a"),
            kind: DnsKind::Txt,
            family,
        },
    ]
}

impl DnsMethod {
    async fn run(&self, timeout: Duration) -> AttemptOutcome {
        let config = DnsConfig {
            resolvers: vec![self.server],
            timeout,
            retries: 1,
            authoritative: false,
        };
        let client = match DnsClient::new(&config) {
            Ok(c) => c,
            Err(e) => {
                return AttemptOutcome::Failed {
                    detail: e.to_string(),
                };
            }
        };
        let found: Result<Vec<IpAddr>, String> = match (&self.kind, self.family) {
            (DnsKind::Address, Family::V4) => answer(client.a(self.name).await, IpAddr::V4),
            (DnsKind::Address, Family::V6) => answer(client.aaaa(self.name).await, IpAddr::V6),
            (DnsKind::Txt, _) => answer(client.txt(self.name).await, |t| {
                t.trim()
                    .parse::<IpAddr>()
                    .unwrap_or(IpAddr::from([0, 0, 0, 0]))
            }),
        };
        match found {
            Ok(list) => match list
                .into_iter()
                .find(|ip| self.family.matches(ip) && !ip.is_unspecified())
            {
                Some(address) => AttemptOutcome::Found { address },
                None => AttemptOutcome::Failed {
                    detail: "the answer held no address of this family".into(),
                },
            },
            Err(detail) => AttemptOutcome::Failed { detail },
        }
    }
}

fn answer<T: Clone>(lookup: Lookup<T>, f: impl Fn(T) -> IpAddr) -> Result<Vec<IpAddr>, String> {
    match lookup {
        Lookup::Answer { records } => Ok(records.into_iter().map(f).collect()),
        other => Err(other.label()),
    }
}

/// GET an echo URL over `family` and read the address it answers with.
async fn https_echo(
    url: &str,
    family: Family,
    dns: &DnsClient,
    trust: &TlsTrust,
    timeout: Duration,
) -> AttemptOutcome {
    match https_echo_inner(url, family, dns, trust, timeout).await {
        Ok(Some(address)) => AttemptOutcome::Found { address },
        Ok(None) => AttemptOutcome::Skipped {
            reason: connect::LOOPBACK_ONLY_REASON.into(),
        },
        Err(detail) => AttemptOutcome::Failed { detail },
    }
}

async fn https_echo_inner(
    url: &str,
    family: Family,
    dns: &DnsClient,
    trust: &TlsTrust,
    timeout: Duration,
) -> Result<Option<IpAddr>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if parsed.scheme() != "https" {
        return Err(format!("{url}: only https:// echo services are used"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => match family {
            Family::V4 => answer(dns.a(&host).await, IpAddr::V4),
            Family::V6 => answer(dns.aaaa(&host).await, IpAddr::V6),
        }
        .map_err(|outcome| {
            format!(
                "{host}: {} lookup: {outcome}",
                if family == Family::V4 { "A" } else { "AAAA" }
            )
        })?,
    };
    let addresses: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|ip| family.matches(ip))
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    if addresses.is_empty() {
        return Err(format!("{host} has no {} address", family_name(family)));
    }
    let allowed: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|a| connect::allowed(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Ok(None);
    }
    let tls = trust.strict_config().map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .dns_resolver(Arc::new(PinnedResolver {
            names: HashMap::from([(host.to_ascii_lowercase(), allowed)]),
        }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout * 2)
        .timeout(timeout * 3)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .get(parsed)
        .header("accept", "text/plain")
        .send()
        .await
        .map_err(|e| error_chain(&e))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered HTTP {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ECHO_BODY {
            return Err(format!("{url} answered more than {MAX_ECHO_BODY} bytes"));
        }
    }
    let text = String::from_utf8_lossy(&body);
    let ip: IpAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("{url} did not answer with an address: {:?}", text.trim()))?;
    if !family.matches(&ip) {
        return Err(format!(
            "{url} answered {ip}, not an {} address",
            family_name(family)
        ));
    }
    Ok(Some(ip))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// reqwest's name resolution, limited to the addresses mxdoctor resolved and allowed
/// itself: the system resolver is never asked.
struct PinnedResolver {
    names: HashMap<String, Vec<SocketAddr>>,
}

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self.names.get(&name.as_str().to_ascii_lowercase()).cloned();
        let name = name.as_str().to_string();
        Box::pin(async move {
            match found {
                Some(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                None => Err(format!("{name} was not resolved by mxdoctor").into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::Message;
    use hickory_resolver::proto::rr::rdata::{A, TXT};
    use hickory_resolver::proto::rr::{RData, Record, RecordType};

    /// A DNS server that answers every A and TXT question with 203.0.113.9, like the echo
    /// services do with the asker's address.
    async fn echo_server() -> SocketAddr {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
                reply.metadata.authoritative = true;
                reply.add_queries(query.queries.clone());
                for q in &query.queries {
                    let rdata = match q.query_type() {
                        RecordType::A => RData::A(A::new(203, 0, 113, 9)),
                        RecordType::TXT => RData::TXT(TXT::new(vec!["203.0.113.9".into()])),
                        _ => continue,
                    };
                    reply.add_answer(Record::from_rdata(q.name().clone(), 60, rdata));
                }
                let _ = socket.send_to(&reply.to_vec().unwrap(), peer).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn dns_echo_methods_read_the_address() {
        let server = echo_server().await;
        for method in dns_methods(Family::V4) {
            let name = method.name;
            let method = DnsMethod { server, ..method };
            assert_eq!(
                method.run(Duration::from_secs(1)).await,
                AttemptOutcome::Found {
                    address: "203.0.113.9".parse().unwrap()
                },
                "{name}"
            );
        }
        // An IPv4 answer is no IPv6 address.
        let v6 = dns_methods(Family::V6).remove(1);
        let method = DnsMethod { server, ..v6 };
        assert!(matches!(
            method.run(Duration::from_secs(1)).await,
            AttemptOutcome::Failed { .. }
        ));
    }

    #[test]
    fn fqdn_from_hosts_file() {
        let hosts = "127.0.0.1 localhost\n# comment mx\n192.0.2.10 mx.example.org mx # primary\n::1 localhost ip6-localhost\n";
        assert_eq!(fqdn_of("mx", hosts).as_deref(), Some("mx.example.org"));
        assert_eq!(fqdn_of("MX", hosts).as_deref(), Some("mx.example.org"));
        assert_eq!(fqdn_of("other", hosts), None);
        assert_eq!(
            fqdn_of("mail.example.org", "").as_deref(),
            Some("mail.example.org")
        );
        assert_eq!(fqdn_of("bad..name", ""), None);
        assert_eq!(fqdn_of("box", "127.0.1.1 box\n"), None);
    }
}
