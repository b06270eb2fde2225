//! The mail host name (`--host`): it must resolve, and to the sending addresses.

use std::net::IpAddr;

use crate::facts::Facts;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(host) = &facts.dns.host else {
        return;
    };
    let name = &host.name;
    if host.a.is_missing() && host.aaaa.is_missing() {
        out.push(
            Finding::new(FindingId::HostNoAddress, Severity::Critical, name).with("host", name),
        );
        return;
    }
    let failures: Vec<Finding> = [
        lookup_failed(FindingId::HostLookupFailed, name, "A", &host.a),
        lookup_failed(FindingId::HostLookupFailed, name, "AAAA", &host.aaaa),
    ]
    .into_iter()
    .flatten()
    .collect();
    if host.addresses().is_empty() {
        out.extend(failures);
        return;
    }
    let addresses = host.addresses();
    let mut problem = false;
    for ip in &facts.target.ips {
        if addresses.contains(ip) {
            continue;
        }
        if let Some(failure) = host.family_lookup_failure(ip) {
            problem = true;
            let rtype = if ip.is_ipv4() { "A" } else { "AAAA" };
            out.push(
                Finding::new(FindingId::HostLookupFailed, Severity::Unknown, name)
                    .with("name", name)
                    .with("type", rtype)
                    .with("failure", failure.as_str())
                    .with("error", "the address lookup for this family failed"),
            );
            continue;
        }
        problem = true;
        let same_family: Vec<&IpAddr> = addresses
            .iter()
            .filter(|a| a.is_ipv4() == ip.is_ipv4())
            .collect();
        out.push(
            Finding::new(FindingId::HostIpMismatch, Severity::Warning, name)
                .with("host", name)
                .with("ip", ip)
                .with("resolves_to", &same_family)
                .with("record_type", if ip.is_ipv4() { "A" } else { "AAAA" }),
        );
    }
    if !problem {
        out.push(
            Finding::new(FindingId::HostOk, Severity::Ok, name)
                .with("host", name)
                .with("addresses", &addresses),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Lookup, NameAddresses};
    use crate::testing::{facts_for, failed};
    use std::net::Ipv4Addr;

    fn run(a: Lookup<Ipv4Addr>, ips: &[&str]) -> Vec<(FindingId, Severity)> {
        let mut facts = facts_for("example.org");
        facts.target.ips = ips.iter().map(|s| s.parse().unwrap()).collect();
        facts.dns.host = Some(NameAddresses {
            name: "mail.example.org".into(),
            cname: Lookup::NoData,
            a,
            aaaa: Lookup::NoData,
        });
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        out.into_iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn table() {
        let one = || Lookup::Answer {
            records: vec![Ipv4Addr::new(192, 0, 2, 10)],
        };
        assert_eq!(
            run(one(), &["192.0.2.10"]),
            [(FindingId::HostOk, Severity::Ok)]
        );
        assert_eq!(run(one(), &[]), [(FindingId::HostOk, Severity::Ok)]);
        assert_eq!(
            run(one(), &["192.0.2.11"]),
            [(FindingId::HostIpMismatch, Severity::Warning)]
        );
        assert_eq!(
            run(Lookup::NxDomain, &["192.0.2.10"]),
            [(FindingId::HostNoAddress, Severity::Critical)]
        );
        assert_eq!(
            run(failed(), &["192.0.2.10"]),
            [(FindingId::HostLookupFailed, Severity::Unknown)]
        );
        // An IPv6 sending address with no AAAA at all is a mismatch, not a pass.
        assert_eq!(
            run(one(), &["192.0.2.10", "2001:db8::10"]),
            [(FindingId::HostIpMismatch, Severity::Warning)]
        );
    }
}
