//! Reverse DNS of every sending address: present, forward-confirmed, not generic, and
//! matching the name the server gives in EHLO.

use std::net::IpAddr;

use crate::facts::{Facts, Lookup, ReverseDns};
use crate::plan::playbook::GenericPtrPatterns;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, patterns: &GenericPtrPatterns, out: &mut Vec<Finding>) {
    for rdns in &facts.dns.reverse {
        one_address(rdns, facts.target.host.as_deref(), patterns, out);
    }
}

fn one_address(
    rdns: &ReverseDns,
    host: Option<&str>,
    patterns: &GenericPtrPatterns,
    out: &mut Vec<Finding>,
) {
    let ip = rdns.ip;
    let subject = ip.to_string();
    if let Some(f) = lookup_failed(FindingId::PtrLookupFailed, &subject, "PTR", &rdns.ptr) {
        out.push(f.with("ip", ip));
        return;
    }
    if rdns.ptr.is_missing() {
        out.push(
            Finding::new(FindingId::PtrMissing, Severity::Critical, &subject)
                .with("ip", ip)
                .with("family", family(&ip))
                .with("host", host),
        );
        return;
    }
    let Lookup::Answer { records: names } = &rdns.ptr else {
        return;
    };

    // Forward confirmation: some PTR name must resolve back to the address.
    let confirmed: Vec<&str> = rdns
        .forward
        .iter()
        .filter(|f| f.addresses().contains(&ip))
        .map(|f| f.name.as_str())
        .collect();
    let mut problem = false;
    if confirmed.is_empty() {
        let unanswered: Vec<&str> = rdns
            .forward
            .iter()
            .filter(|f| f.family_lookup_failure(&ip).is_some())
            .map(|f| f.name.as_str())
            .collect();
        if !unanswered.is_empty() {
            out.push(
                Finding::new(FindingId::PtrLookupFailed, Severity::Unknown, &subject)
                    .with("ip", ip)
                    .with("name", unanswered[0])
                    .with("type", if ip.is_ipv4() { "A" } else { "AAAA" })
                    .with("failure", "forward lookup failed")
                    .with("error", "could not resolve the PTR name back to an address"),
            );
            return;
        }
        problem = true;
        let resolves_to: Vec<String> = rdns
            .forward
            .iter()
            .flat_map(|f| f.addresses())
            .map(|a| a.to_string())
            .collect();
        out.push(
            Finding::new(FindingId::PtrNotConfirmed, Severity::Critical, &subject)
                .with("ip", ip)
                .with("ptr", names)
                .with("ptr_name", &names[0])
                .with("resolves_to", resolves_to)
                .with("record_type", if ip.is_ipv4() { "A" } else { "AAAA" }),
        );
    }

    let name = confirmed.first().copied().unwrap_or(&names[0]);
    if let Some(reason) = generic_ptr_reason(name, ip, patterns) {
        problem = true;
        out.push(
            Finding::new(FindingId::PtrGeneric, Severity::Warning, &subject)
                .with("ip", ip)
                .with("ptr_name", name)
                .with("reason", reason),
        );
    }

    if let Some(host) = host
        && !names.iter().any(|n| n.eq_ignore_ascii_case(host))
    {
        problem = true;
        out.push(
            Finding::new(FindingId::HeloMismatch, Severity::Warning, &subject)
                .with("ip", ip)
                .with("host", host)
                .with("ptr", names)
                .with("ptr_name", name),
        );
    }

    if !problem {
        out.push(
            Finding::new(FindingId::PtrOk, Severity::Ok, &subject)
                .with("ip", ip)
                .with("ptr_name", name),
        );
    }
}

fn family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
}

/// Why `name` looks like a generic (dynamic, residential or provider-default) PTR for `ip`,
/// or None when it looks like a name someone chose for a mail server.
pub fn generic_ptr_reason(name: &str, ip: IpAddr, patterns: &GenericPtrPatterns) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if embeds_ip(&name, ip) {
        return Some(format!("the name contains the address {ip}"));
    }
    if let Some(s) = patterns
        .suffixes
        .iter()
        .find(|s| name.ends_with(&s.suffix.to_ascii_lowercase()))
    {
        return Some(format!(
            "it is the default name {} gives its servers",
            s.provider
        ));
    }
    let tokens: Vec<&str> = name
        .split(['.', '-', '_'])
        .filter(|t| !t.is_empty())
        .collect();
    for pattern in &patterns.tokens {
        let parts: Vec<&str> = pattern.split('-').collect();
        if tokens.windows(parts.len()).any(|w| w == parts.as_slice()) {
            return Some(format!(
                "it contains \"{pattern}\", typical of dynamic or residential addresses"
            ));
        }
    }
    for token in &tokens {
        for prefix in &patterns.prefixes {
            if let Some(rest) = token.strip_prefix(prefix.as_str())
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_digit())
            {
                return Some(format!(
                    "it contains \"{token}\", typical of dynamic or residential addresses"
                ));
            }
        }
    }
    None
}

/// True when the name spells the address: IPv4 octets in order or reversed (at least the
/// last three), zero-padded or in hex; IPv6 as its hex nibbles.
fn embeds_ip(name: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let numbers: Vec<u32> = name
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| !t.is_empty() && t.len() <= 3)
                .filter_map(|t| t.parse().ok())
                .collect();
            let forward = [o[0], o[1], o[2], o[3]].map(u32::from);
            let reverse = [o[3], o[2], o[1], o[0]].map(u32::from);
            let contains = |seq: &[u32]| numbers.windows(seq.len()).any(|w| w == seq);
            let compact = name.replace(['.', '-', '_'], "");
            contains(&forward)
                || contains(&reverse)
                || contains(&forward[1..])
                || contains(&reverse[..3])
                || compact.contains(&format!("{:03}{:03}{:03}{:03}", o[0], o[1], o[2], o[3]))
                || compact.contains(&format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]))
        }
        IpAddr::V6(v6) => {
            let nibbles: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
            let compact = name.replace(['.', '-', '_'], "");
            let reversed: String = nibbles.chars().rev().collect();
            let segments = v6.segments();
            let tail = format!("{:x}{:x}{:x}", segments[5], segments[6], segments[7]);
            let dashed_label = name
                .split('.')
                .any(|label| label.replace('-', ":").parse::<std::net::Ipv6Addr>() == Ok(v6));
            dashed_label
                || compact.contains(&nibbles)
                || compact.contains(&reversed)
                || (segments[5..].iter().any(|s| *s != 0)
                    && tail.len() >= 6
                    && compact.contains(&tail))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::facts::NameAddresses;
    use crate::plan::Playbooks;
    use crate::testing::{facts_for, failed};

    fn patterns() -> GenericPtrPatterns {
        Playbooks::load(&Assets::default()).unwrap().generic_ptr
    }

    #[test]
    fn generic_names() {
        let p = patterns();
        let generic = [
            ("203-0-113-10.static.isp.example", "203.0.113.10"),
            ("10.113.0.203.in-addr.isp.example", "203.0.113.10"),
            ("host-0-113-10.isp.example", "203.0.113.10"),
            ("cpe203000113010.isp.example", "203.0.113.10"),
            ("cb00710a.isp.example", "203.0.113.10"),
            (
                "ec2-3-120-1-1.eu-central-1.compute.amazonaws.com",
                "3.120.1.1",
            ),
            ("static.10.113.0.203.clients.your-server.de", "203.0.113.10"),
            ("x.y.clients.your-server.de", "203.0.113.10"),
            ("dyn.pool.isp.example", "203.0.113.10"),
            ("adsl-line.isp.example", "203.0.113.10"),
            ("dsl12.isp.example", "203.0.113.10"),
            ("customer.example-cable.net", "203.0.113.10"),
            ("vmi123456.contaboserver.net", "203.0.113.10"),
            ("static-ip.isp.example", "203.0.113.10"),
            ("2001-db8--10.ip6.isp.example", "2001:db8::10"),
            (
                "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.isp.example",
                "2001:db8::10",
            ),
        ];
        for (name, ip) in generic {
            assert!(
                generic_ptr_reason(name, ip.parse().unwrap(), &p).is_some(),
                "{name} not seen as generic"
            );
        }
        let custom = [
            ("mail.example.org", "203.0.113.10"),
            ("mx1.example.org", "203.0.113.10"),
            ("smtp.mail-server.example", "203.0.113.10"),
            ("outbound.example.test", "192.0.2.10"),
            ("mail2026.example.org", "203.0.113.10"),
            ("mail.example.org", "2001:db8::10"),
        ];
        for (name, ip) in custom {
            assert_eq!(
                generic_ptr_reason(name, ip.parse().unwrap(), &p),
                None,
                "{name} seen as generic"
            );
        }
    }

    fn run(ptr: Lookup<String>, forward: Vec<NameAddresses>, host: Option<&str>) -> Vec<FindingId> {
        let mut facts = facts_for("example.org");
        facts.target.host = host.map(str::to_string);
        facts.dns.reverse = vec![ReverseDns {
            ip: "192.0.2.10".parse().unwrap(),
            ptr,
            forward,
        }];
        let mut out = Vec::new();
        diagnose(&facts, &patterns(), &mut out);
        out.into_iter().map(|f| f.id).collect()
    }

    fn names(n: &str) -> Lookup<String> {
        Lookup::Answer {
            records: vec![n.into()],
        }
    }

    fn fwd(name: &str, ip: &str) -> NameAddresses {
        NameAddresses {
            name: name.into(),
            cname: Lookup::NoData,
            a: Lookup::Answer {
                records: vec![ip.parse().unwrap()],
            },
            aaaa: Lookup::NoData,
        }
    }

    #[test]
    fn table() {
        use FindingId::*;
        assert_eq!(run(Lookup::NxDomain, vec![], None), [PtrMissing]);
        assert_eq!(run(failed(), vec![], None), [PtrLookupFailed]);
        assert_eq!(
            run(
                names("mail.example.org"),
                vec![fwd("mail.example.org", "192.0.2.10")],
                Some("mail.example.org")
            ),
            [PtrOk]
        );
        assert_eq!(
            run(
                names("mail.example.org"),
                vec![fwd("mail.example.org", "192.0.2.99")],
                None
            ),
            [PtrNotConfirmed]
        );
        assert_eq!(
            run(
                names("mail.example.org"),
                vec![fwd("mail.example.org", "192.0.2.10")],
                Some("mx.example.org")
            ),
            [HeloMismatch]
        );
        assert_eq!(
            run(
                names("192-0-2-10.dyn.isp.example"),
                vec![fwd("192-0-2-10.dyn.isp.example", "192.0.2.10")],
                None
            ),
            [PtrGeneric]
        );
        let timed_out = NameAddresses {
            name: "mail.example.org".into(),
            cname: Lookup::NoData,
            a: failed(),
            aaaa: Lookup::NoData,
        };
        assert_eq!(
            run(names("mail.example.org"), vec![timed_out], None),
            [PtrLookupFailed]
        );
    }
}
