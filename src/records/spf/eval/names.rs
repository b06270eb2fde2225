//! Names and addresses as check_host() handles them: validity, truncation, CIDR matching,
//! and the DNS questions it asks besides the plain ones.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::facts::{Failure, Lookup};
use crate::probe::dns::Resolve;
use crate::records::spf::MacroString;

/// Aliases followed to tell a CNAME loop from a name without records.
const MAX_ALIASES: usize = 8;
/// Longest text (record, TXT answer) copied into one trace step.
const MAX_TRACE_TEXT: usize = 600;

/// The TXT records of `name`. "No data" caused by aliases that loop (or never end) is a
/// failure, as recursive resolvers report it (SERVFAIL), not a missing record.
pub(crate) async fn txt_records<R: Resolve>(dns: &R, name: &str) -> Lookup<String> {
    let txt = dns.txt(name).await;
    if txt != Lookup::NoData {
        return txt;
    }
    let mut chain = vec![name.trim_end_matches('.').to_ascii_lowercase()];
    for _ in 0..MAX_ALIASES {
        let current = chain.last().cloned().unwrap_or_default();
        let Lookup::Answer { records } = dns.cname(&current).await else {
            return txt;
        };
        let Some(target) = records.first() else {
            return txt;
        };
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        let looped = chain.contains(&target);
        chain.push(target);
        if looped {
            return Lookup::Failed {
                failure: Failure::ServFail,
                detail: format!("CNAME loop: {}", chain.join(" → ")),
            };
        }
    }
    Lookup::Failed {
        failure: Failure::ServFail,
        detail: format!("more than {MAX_ALIASES} CNAMEs in a row from {name}"),
    }
}

pub(super) async fn address_lookup<R: Resolve>(dns: &R, ip: IpAddr, name: &str) -> Lookup<IpAddr> {
    match ip {
        IpAddr::V4(_) => dns.a(name).await.map(IpAddr::V4),
        IpAddr::V6(_) => dns.aaaa(name).await.map(IpAddr::V6),
    }
}

pub(super) fn family_type(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "A" } else { "AAAA" }
}

pub(super) fn invalid_target(name: &str) -> String {
    format!("{name:?} is not a valid domain name: no match")
}

/// How a domain-spec reads in the trace: as written when it has macros, else the name.
pub(super) fn display_spec(spec: &MacroString, expanded: &str) -> String {
    spec.as_literal().unwrap_or_else(|| expanded.to_string())
}

pub(super) fn display_name(name: &str) -> String {
    if name.is_empty() {
        ".".into()
    } else {
        name.to_string()
    }
}

/// The reverse-mapping name asked for `ip`, for the trace.
pub(super) fn reverse_name(ip: IpAddr) -> String {
    use crate::records::spf::macros::dotted;
    let forward = dotted(ip);
    let mut parts: Vec<&str> = forward.split('.').collect();
    parts.reverse();
    let suffix = if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{suffix}", parts.join("."))
}

pub(super) fn clip(text: &str) -> String {
    if text.len() <= MAX_TRACE_TEXT {
        return text.to_string();
    }
    let mut end = MAX_TRACE_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Lower-case would change what macros see; only the trailing dot goes.
pub(super) fn normalize(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_string()
}

/// Drop labels from the left until the name fits 253 characters.
pub(super) fn truncate_domain(name: &str) -> String {
    let mut name = name;
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    name.to_string()
}

/// A name DNS can carry: labels of 1–63 bytes, at most 253 characters, not a literal.
pub(super) fn is_valid_domain(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('[')
        && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

pub(super) fn in_v4(ip: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    u32::from(ip) & mask == u32::from(network) & mask
}

pub(super) fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    };
    u128::from(ip) & mask == u128::from(network) & mask
}

/// Whether `candidate` (an A/AAAA answer) covers the client at the mechanism's CIDR length.
pub(super) fn in_cidr(ip: IpAddr, candidate: IpAddr, v4: u8, v6: u8) -> bool {
    match (ip, candidate) {
        (IpAddr::V4(ip), IpAddr::V4(c)) => in_v4(ip, c, v4),
        (IpAddr::V6(ip), IpAddr::V6(c)) => in_v6(ip, c, v6),
        _ => false,
    }
}
