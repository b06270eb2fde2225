//! Can this machine open connections to port 25 on the Internet? Many ISPs and cloud
//! providers block it, and then no mail leaves except through a smarthost.
//!
//! The built-in target is the best MX of gmail.com, looked up at run time so it never goes
//! stale; `--egress-target HOST:PORT` replaces it. Only the greeting is read, then QUIT.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::connect::{self, ConnectError};
use super::dns::{DnsClient, Resolve};
use super::smtp::Target;
use crate::facts::{ConnectFailure, Egress, EgressCheck, EgressOutcome, FailureKind, Lookup};
use crate::smtp::{Limits, Session, Transcript};

/// The receiver whose MX the built-in test connects to.
pub const BUILTIN_DOMAIN: &str = "gmail.com";

#[derive(Clone, Debug, Default)]
pub struct EgressRequest {
    /// `--no-egress`.
    pub skip: bool,
    /// `--egress-target`; None means the built-in target.
    pub target: Option<Target>,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for the greeting once connected.
    pub greeting_timeout: Duration,
}

pub async fn gather(request: &EgressRequest, dns: &DnsClient) -> Egress {
    if request.skip {
        return Egress::Skipped {
            reason: "--no-egress".into(),
        };
    }
    let builtin = request.target.is_none();
    if builtin && connect::loopback_only() {
        return Egress::Skipped {
            reason: connect::LOOPBACK_ONLY_REASON.into(),
        };
    }
    let started = Instant::now();
    let (host, port) = match &request.target {
        Some(t) => (t.host.clone(), t.port),
        None => match best_mx(dns, BUILTIN_DOMAIN).await {
            Ok(host) => (host, 25),
            Err(detail) => {
                return Egress::Checked(EgressCheck {
                    target: format!("MX of {BUILTIN_DOMAIN}"),
                    port: 25,
                    builtin,
                    address: None,
                    outcome: EgressOutcome::NoAddress,
                    banner: None,
                    detail: Some(detail),
                    millis: started.elapsed().as_millis() as u64,
                });
            }
        },
    };
    let mut check = EgressCheck {
        target: host.clone(),
        port,
        builtin,
        address: None,
        outcome: EgressOutcome::NoAddress,
        banner: None,
        detail: None,
        millis: 0,
    };
    let address = match address_of(dns, &host).await {
        Ok(ip) => ip,
        Err(detail) => {
            check.detail = Some(detail);
            check.millis = started.elapsed().as_millis() as u64;
            return Egress::Checked(check);
        }
    };
    check.address = Some(address);
    let tcp = match connect::tcp(SocketAddr::new(address, port), request.connect_timeout).await {
        Ok(tcp) => tcp,
        Err(ConnectError::Blocked) => {
            return Egress::Skipped {
                reason: connect::LOOPBACK_ONLY_REASON.into(),
            };
        }
        Err(ConnectError::Failed { failure, detail }) => {
            check.outcome = match failure {
                ConnectFailure::Refused => EgressOutcome::Refused,
                ConnectFailure::Timeout => EgressOutcome::Timeout,
                ConnectFailure::Unreachable => EgressOutcome::Unreachable,
                ConnectFailure::Reset => EgressOutcome::Reset,
                ConnectFailure::Error => EgressOutcome::Error,
            };
            check.detail = Some(detail);
            check.millis = started.elapsed().as_millis() as u64;
            return Egress::Checked(check);
        }
    };
    check.outcome = EgressOutcome::Open;
    let limits = Limits::new(request.greeting_timeout);
    let deadline = Instant::now() + request.greeting_timeout * 2;
    let (session, greeting) = Session::start(tcp, limits, deadline, Transcript::new(8)).await;
    match greeting {
        Ok(reply) => {
            check.banner = Some(reply.one_line());
            session.quit().await;
        }
        Err(failed) => {
            match failed.error.kind() {
                // Connected, then cut off before a greeting: something on the path
                // intercepts port 25 (a transparent proxy that refuses, or a reset).
                FailureKind::Reset | FailureKind::Closed => check.outcome = EgressOutcome::Reset,
                _ => {}
            }
            check.detail = Some(format!("connected; then {}", failed.error));
            session.abandon();
        }
    }
    check.millis = started.elapsed().as_millis() as u64;
    Egress::Checked(check)
}

async fn best_mx(dns: &DnsClient, domain: &str) -> Result<String, String> {
    match dns.mx(domain).await {
        Lookup::Answer { mut records } => {
            records.sort_by_key(|r| r.preference);
            records
                .into_iter()
                .map(|r| r.exchange)
                .find(|e| !e.is_empty())
                .ok_or_else(|| format!("{domain} has a null MX"))
        }
        other => Err(format!("MX lookup for {domain}: {}", other.label())),
    }
}

/// The first IPv4 address (port 25 blocks are about IPv4 first), else the first IPv6 one.
async fn address_of(dns: &DnsClient, host: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let (a, aaaa) = tokio::join!(dns.a(host), dns.aaaa(host));
    if let Some(v4) = a.records().first() {
        return Ok(IpAddr::V4(*v4));
    }
    if let Some(v6) = aaaa.records().first() {
        return Ok(IpAddr::V6(*v6));
    }
    Err(format!(
        "{host} has no address (A: {}, AAAA: {})",
        a.label(),
        aaaa.label()
    ))
}
