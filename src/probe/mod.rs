//! Probes: the only code that touches the network. Each probe records what it observed,
//! failures included, into [`Facts`]; none of them judges.

pub mod connect;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod egress;
pub mod host;
pub mod mta_sts;
pub mod postfix;
pub mod smtp;
pub mod spf;
pub mod tlsrpt;

use std::net::IpAddr;
use std::path::PathBuf;

use futures::future::join_all;

use crate::facts::{DnsFacts, FACTS_SCHEMA, Facts, Lookup, ReverseDns, Target};
use dns::{DnsClient, Resolve};

/// Trust and transport settings shared by the HTTPS and SMTP probes.
#[derive(Clone, Debug, Default)]
pub struct TlsSettings {
    /// Extra CA certificates (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// Port for HTTPS fetches instead of 443 (test servers).
    pub https_port: Option<u16>,
}

/// Gather every DNS-side fact about `target`, all independent lookups concurrently.
pub async fn gather(target: &Target, dns: &DnsClient, tls: &TlsSettings) -> Facts {
    let (mx_side, host, reverse, spf, dkim, dmarc, mta_sts, tlsrpt) = tokio::join!(
        mx_and_targets(dns, &target.domain),
        async {
            match &target.host {
                Some(host) => Some(dns.name_addresses(host).await),
                None => None,
            }
        },
        join_all(target.ips.iter().map(|ip| reverse_dns(dns, *ip))),
        spf::gather(dns, target),
        dkim::gather(dns, target),
        dmarc::gather(dns, target),
        mta_sts::gather(dns, target, tls),
        tlsrpt::gather(dns, target),
    );
    let (mx, mx_hosts) = mx_side;
    Facts {
        schema: FACTS_SCHEMA.to_string(),
        target: target.clone(),
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
        },
        smtp: Default::default(),
        env: Default::default(),
        postfix: Default::default(),
        queries: dns.query_log(),
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
