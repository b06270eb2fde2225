//! Probes: the only code that touches the network. Each probe records what it observed,
//! failures included, into [`Facts`]; none of them judges.

pub mod authority;
pub mod connect;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod dnsbl;
pub mod egress;
pub mod host;
pub mod http;
pub mod mta_sts;
pub mod postfix;
pub mod smtp;
pub mod spf;
pub mod tlsrpt;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;

use crate::facts::{DnsFacts, Facts, Lookup, ReverseDns, Target};
use dns::{DnsClient, Resolve};

/// Trust and transport settings shared by the HTTPS and SMTP probes.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    /// Extra CA certificates (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// Port for HTTPS fetches instead of 443 (test servers).
    pub https_port: Option<u16>,
    /// Time allowed for one network try (`--timeout`).
    pub timeout: Duration,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            ca_file: None,
            https_port: None,
            timeout: http::DEFAULT_TIMEOUT,
        }
    }
}

/// Gather every DNS-side fact about `target`, all independent lookups concurrently.
/// `selectors` are the DKIM selectors tried when the target names none; `dnsbl` is the
/// blocklist sweep to run alongside, or None (`--no-dnsbl`).
pub async fn gather(
    target: &Target,
    dns: &DnsClient,
    tls: &TlsSettings,
    selectors: &dkim::CommonSelectors,
    dnsbl: Option<&dnsbl::Sweep<'_>>,
) -> Facts {
    gather_reporting(target, dns, tls, selectors, dnsbl, &|_| {}).await
}

/// [`gather`], calling `done(area)` as each area's lookups finish (for progress lines);
/// areas are the report's: mx, host, ptr, spf, dkim, dmarc, mta-sts, tlsrpt, dnsbl.
pub async fn gather_reporting(
    target: &Target,
    dns: &DnsClient,
    tls: &TlsSettings,
    selectors: &dkim::CommonSelectors,
    dnsbl: Option<&dnsbl::Sweep<'_>>,
    done: &(dyn Fn(&'static str) + Sync),
) -> Facts {
    async fn reported<T>(
        area: &'static str,
        done: &(dyn Fn(&'static str) + Sync),
        f: impl std::future::Future<Output = T>,
    ) -> T {
        let out = f.await;
        done(area);
        out
    }
    let (mx_side, host, reverse, spf, dkim, dmarc, mta_sts, tlsrpt, dnsbl_facts) = tokio::join!(
        reported("mx", done, mx_and_targets(dns, &target.domain)),
        reported("host", done, async {
            match &target.host {
                Some(host) => Some(dns.name_addresses(host).await),
                None => None,
            }
        }),
        reported(
            "ptr",
            done,
            join_all(target.ips.iter().map(|ip| reverse_dns(dns, *ip)))
        ),
        reported("spf", done, spf::gather(dns, target)),
        reported("dkim", done, dkim::gather(dns, target, selectors)),
        reported("dmarc", done, dmarc::gather(dns, target)),
        reported("mta-sts", done, mta_sts::gather(dns, target, tls)),
        reported("tlsrpt", done, tlsrpt::gather(dns, target)),
        reported("dnsbl", done, async {
            match dnsbl {
                Some(sweep) => dnsbl::sweep(dns, &dnsbl::subjects_of(target), sweep).await,
                None => Default::default(),
            }
        }),
    );
    let (mx, mx_hosts) = mx_side;
    Facts {
        dns: DnsFacts {
            mx,
            mx_hosts,
            host,
            reverse,
            spf,
            dkim,
            dmarc,
            mta_sts,
            tlsrpt,
            dnsbl: dnsbl_facts,
        },
        queries: dnsbl::redact_queries(dns.query_log(), dnsbl.and_then(|s| s.dqs_key)),
        ..Facts::new(target.clone())
    }
}

async fn mx_and_targets(
    dns: &DnsClient,
    domain: &str,
) -> (
    Lookup<crate::facts::MxRecord>,
    Vec<crate::facts::NameAddresses>,
) {
    let mx = dns.mx(domain).await;
    let mut names: Vec<&str> = mx
        .records()
        .iter()
        .map(|r| r.exchange.as_str())
        .filter(|e| !e.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    let hosts = join_all(names.into_iter().map(|n| dns.name_addresses(n))).await;
    (mx, hosts)
}

async fn reverse_dns(dns: &DnsClient, ip: IpAddr) -> ReverseDns {
    let ptr = dns.ptr(ip).await;
    // Bound the fan-out: a PTR set larger than this is itself a problem worth no more queries.
    let names: Vec<&String> = ptr.records().iter().take(10).collect();
    let forward = join_all(names.into_iter().map(|n| dns.name_addresses(n))).await;
    ReverseDns { ip, ptr, forward }
}
