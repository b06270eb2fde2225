//! MX: can the domain receive mail (and bounces), and do its MX targets make sense?

use crate::facts::{Facts, Lookup};

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let domain = &facts.target.domain;
    let mx = &facts.dns.mx;
    if let Some(f) = lookup_failed(FindingId::MxLookupFailed, domain, "MX", mx) {
        out.push(f);
        return;
    }
    match mx {
        Lookup::NxDomain => {
            out.push(
                Finding::new(FindingId::MxMissing, Severity::Critical, domain)
                    .with("nxdomain", true),
            );
            return;
        }
        Lookup::NoData => {
            out.push(
                Finding::new(FindingId::MxMissing, Severity::Warning, domain)
                    .with("nxdomain", false),
            );
            return;
        }
        Lookup::NotAsked | Lookup::Failed { .. } => return,
        Lookup::Answer { .. } => {}
    }
    let records = mx.records();
    let listed: Vec<String> = records
        .iter()
        .map(|r| {
            let target = if r.exchange.is_empty() {
                "."
            } else {
                &r.exchange
            };
            format!("{} {}", r.preference, target)
        })
        .collect();
    if records.iter().any(|r| r.exchange.is_empty()) {
        // RFC 7505: a null MX must be the only MX; mixed with others it is an error.
        let alone = records.len() == 1;
        out.push(
            Finding::new(
                FindingId::MxNull,
                if alone {
                    Severity::Warning
                } else {
                    Severity::Critical
                },
                domain,
            )
            .with("records", &listed)
            .with("alone", alone),
        );
        return;
    }

    let mut problems = false;
    let mut unresolvable = Vec::new();
    for host in &facts.dns.mx_hosts {
        if let Lookup::Answer { records } = &host.cname {
            problems = true;
            out.push(
                Finding::new(FindingId::MxTargetCname, Severity::Warning, &host.name)
                    .with("target", &host.name)
                    .with("alias_of", records.first()),
            );
        }
        let failed = [
            lookup_failed(FindingId::MxLookupFailed, &host.name, "A", &host.a),
            lookup_failed(FindingId::MxLookupFailed, &host.name, "AAAA", &host.aaaa),
        ];
        if host.a.is_missing() && host.aaaa.is_missing() {
            unresolvable.push(host.name.clone());
        } else if host.addresses().is_empty() {
            problems = true;
            out.extend(failed.into_iter().flatten().take(1));
        }
    }
    if !unresolvable.is_empty() {
        problems = true;
        let all = unresolvable.len() == facts.dns.mx_hosts.len();
        for name in &unresolvable {
            out.push(
                Finding::new(
                    FindingId::MxTargetUnresolvable,
                    if all {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    name,
                )
                .with("target", name)
                .with("all_targets_unresolvable", all),
            );
        }
    }
    if !problems {
        out.push(Finding::new(FindingId::MxOk, Severity::Ok, domain).with("records", &listed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{MxRecord, NameAddresses};
    use crate::testing::{facts_for, failed};
    use std::net::Ipv4Addr;

    fn ids(facts: &Facts) -> Vec<(FindingId, Severity)> {
        let mut out = Vec::new();
        diagnose(facts, &mut out);
        out.into_iter().map(|f| (f.id, f.severity)).collect()
    }

    fn mx(records: &[(u16, &str)]) -> Lookup<MxRecord> {
        Lookup::Answer {
            records: records
                .iter()
                .map(|(p, e)| MxRecord {
                    preference: *p,
                    exchange: e.to_string(),
                })
                .collect(),
        }
    }

    fn host(name: &str, a: Lookup<Ipv4Addr>, cname: Lookup<String>) -> NameAddresses {
        NameAddresses {
            name: name.into(),
            cname,
            a,
            aaaa: Lookup::NoData,
        }
    }

    fn addr() -> Lookup<Ipv4Addr> {
        Lookup::Answer {
            records: vec![Ipv4Addr::new(192, 0, 2, 10)],
        }
    }

    type Case = (
        &'static str,
        Lookup<MxRecord>,
        Vec<NameAddresses>,
        Vec<(FindingId, Severity)>,
    );

    #[test]
    fn table() {
        let cases: Vec<Case> = vec![
            (
                "nxdomain",
                Lookup::NxDomain,
                vec![],
                vec![(FindingId::MxMissing, Severity::Critical)],
            ),
            (
                "nodata",
                Lookup::NoData,
                vec![],
                vec![(FindingId::MxMissing, Severity::Warning)],
            ),
            (
                "timeout",
                failed(),
                vec![],
                vec![(FindingId::MxLookupFailed, Severity::Unknown)],
            ),
            (
                "null",
                mx(&[(0, "")]),
                vec![],
                vec![(FindingId::MxNull, Severity::Warning)],
            ),
            (
                "null mixed",
                mx(&[(0, ""), (10, "mx.example.org")]),
                vec![],
                vec![(FindingId::MxNull, Severity::Critical)],
            ),
            (
                "good",
                mx(&[(10, "mx.example.org")]),
                vec![host("mx.example.org", addr(), Lookup::NoData)],
                vec![(FindingId::MxOk, Severity::Ok)],
            ),
            (
                "cname",
                mx(&[(10, "mx.example.org")]),
                vec![host(
                    "mx.example.org",
                    addr(),
                    Lookup::Answer {
                        records: vec!["real.example.org".into()],
                    },
                )],
                vec![(FindingId::MxTargetCname, Severity::Warning)],
            ),
            (
                "unresolvable",
                mx(&[(10, "mx.example.org")]),
                vec![host("mx.example.org", Lookup::NxDomain, Lookup::NoData)],
                vec![(FindingId::MxTargetUnresolvable, Severity::Critical)],
            ),
            (
                "one of two unresolvable",
                mx(&[(10, "mx.example.org"), (20, "mx2.example.org")]),
                vec![
                    host("mx.example.org", addr(), Lookup::NoData),
                    host("mx2.example.org", Lookup::NxDomain, Lookup::NoData),
                ],
                vec![(FindingId::MxTargetUnresolvable, Severity::Warning)],
            ),
            (
                "target lookup timed out",
                mx(&[(10, "mx.example.org")]),
                vec![NameAddresses {
                    name: "mx.example.org".into(),
                    cname: Lookup::NoData,
                    a: failed(),
                    aaaa: failed(),
                }],
                vec![(FindingId::MxLookupFailed, Severity::Unknown)],
            ),
        ];
        for (name, mx, hosts, want) in cases {
            let mut facts = facts_for("example.org");
            facts.dns.mx = mx;
            facts.dns.mx_hosts = hosts;
            assert_eq!(ids(&facts), want, "{name}");
        }
    }
}
