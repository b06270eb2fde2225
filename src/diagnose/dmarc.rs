//! DMARC: which policy applies to the domain (its own record, or a parent's found by the DNS
//! Tree Walk), whether it is valid, whether it protects anything, and whether the reports it
//! asks for can arrive.

use crate::facts::{DmarcTxt, Facts, Lookup, ReportDestination};
use crate::records::dmarc::{self, Applies, DMARC_PREFIX, DmarcRecord, Policy, Walk};
use crate::records::tags::Problem;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let dmarc = &facts.dns.dmarc;
    let Some(own) = dmarc.walk.first() else {
        return;
    };
    let name = format!("{DMARC_PREFIX}{}", own.domain);
    if let Some(f) = lookup_failed(FindingId::DmarcLookupFailed, &name, "TXT", &own.txt) {
        out.push(f);
        return;
    }
    if matches!(own.txt, Lookup::NotAsked) {
        return;
    }
    let txts = own.txt.records();
    let records: Vec<&String> = txts.iter().filter(|t| dmarc::is_record(t)).collect();
    if records.len() > 1 {
        out.push(
            Finding::new(FindingId::DmarcMultiple, Severity::Critical, &name)
                .with("name", &name)
                .with("records", &records)
                .with("count", records.len()),
        );
        return;
    }
    if let [txt] = records[..] {
        lint(facts, &own.domain, txt, &dmarc::parse(txt), false, out);
        return;
    }
    let attempts: Vec<&String> = txts
        .iter()
        .filter(|t| dmarc::looks_like_attempt(t))
        .collect();
    for txt in &attempts {
        let mut problems = vec![Problem::fatal(
            "bad-version",
            "the record does not start with v=DMARC1 (exactly this, in capitals)",
        )];
        problems.extend(dmarc::parse(txt).problems);
        out.push(syntax(&name, txt, &problems));
    }
    if attempts.is_empty() {
        missing(facts, &name, out);
    }
}

/// No record of its own: say so, and whose policy applies instead.
fn missing(facts: &Facts, name: &str, out: &mut Vec<Finding>) {
    let walk = records_of(&facts.dns.dmarc.walk);
    let incomplete: Vec<String> = facts.dns.dmarc.walk[1..]
        .iter()
        .filter(|l| l.txt.failure().is_some())
        .map(|l| format!("{DMARC_PREFIX}{}", l.domain))
        .collect();
    let finding = |severity| {
        Finding::new(FindingId::DmarcMissing, severity, name)
            .with("name", name)
            .with("walk_incomplete", &incomplete)
    };
    match walk.discover() {
        Applies::Inherited { domain: parent } => {
            let Some(record) = walk.record(&parent) else {
                return;
            };
            let txt = facts
                .dns
                .dmarc
                .walk
                .iter()
                .find(|l| l.domain == parent)
                .and_then(|l| dmarc::single_record(l.txt.records()))
                .cloned()
                .unwrap_or_default();
            let policy = record.subdomain_effective_policy().map(Policy::as_str);
            out.push(
                finding(Severity::Info)
                    .with("inherited_from", &parent)
                    .with("policy", policy)
                    .with("record", &txt),
            );
            lint(facts, &parent, &txt, record, true, out);
        }
        Applies::Own | Applies::Nothing => out.push(
            finding(Severity::Warning)
                .with("inherited_from", None::<String>)
                .with("policy", None::<String>)
                .with("record", None::<String>),
        ),
    }
}

/// Findings about the record that applies, published at `_dmarc.<policy_domain>`.
/// `inherited`: it is a parent's record, so its sp= applies to the domain checked.
fn lint(
    facts: &Facts,
    policy_domain: &str,
    txt: &str,
    record: &DmarcRecord,
    inherited: bool,
    out: &mut Vec<Finding>,
) {
    let name = format!("{DMARC_PREFIX}{policy_domain}");
    let before = out.len();
    if !record.problems.is_empty() {
        out.push(syntax(&name, txt, &record.problems));
    }
    if record.is_unusable() {
        return;
    }
    let (policy, tag) = if inherited {
        let tag = if record.subdomain_policy.is_some() {
            "sp"
        } else {
            "p"
        };
        (record.subdomain_effective_policy(), tag)
    } else {
        (record.effective_policy(), "p")
    };
    let finding = |id, severity| {
        Finding::new(id, severity, &name)
            .with("name", &name)
            .with("record", txt)
            .with("inherited", inherited)
    };
    if policy == Some(Policy::None) {
        out.push(finding(FindingId::DmarcPolicyNone, Severity::Info).with("tag", tag));
    }
    if record.rua.is_empty() {
        out.push(finding(FindingId::DmarcNoReports, Severity::Info));
    }
    let problems = out.len();
    for obsolete in &record.obsolete {
        out.push(
            finding(FindingId::DmarcObsoleteTag, Severity::Info)
                .with("tag", &obsolete.tag)
                .with("value", &obsolete.value),
        );
    }
    let unauthorized_before = out.len();
    destinations(facts, policy_domain, record, out);
    let clean = problems == before && out.len() == unauthorized_before;
    if clean {
        let rua: Vec<&str> = record.rua.iter().map(|u| u.uri.as_str()).collect();
        out.push(
            finding(FindingId::DmarcOk, Severity::Ok)
                .with("policy", policy.map(Policy::as_str))
                .with(
                    "subdomain_policy",
                    record.subdomain_effective_policy().map(Policy::as_str),
                )
                .with("rua", rua),
        );
    }
}

/// RFC 7489 §7.1: a destination in another Organizational Domain must publish
/// `<policy domain>._report._dmarc.<destination>` or receivers send it nothing.
fn destinations(facts: &Facts, policy_domain: &str, record: &DmarcRecord, out: &mut Vec<Finding>) {
    let own_walk = &facts.dns.dmarc.walk;
    let start = own_walk
        .iter()
        .position(|l| l.domain == policy_domain)
        .unwrap_or(0);
    let policy_org = records_of(&own_walk[start..]).organizational_domain();
    for destination in &facts.dns.dmarc.destinations {
        let destination_org = records_of(&destination.walk).organizational_domain();
        if destination_org == policy_org {
            continue;
        }
        if let Some(f) = lookup_failed(
            FindingId::DmarcLookupFailed,
            &destination.authorization_name,
            "TXT",
            &destination.authorization,
        ) {
            out.push(f);
            continue;
        }
        if authorized(destination) {
            continue;
        }
        let uris: Vec<&str> = record
            .destinations()
            .filter(|u| u.domain.as_deref() == Some(destination.domain.as_str()))
            .map(|u| u.uri.as_str())
            .collect();
        out.push(
            Finding::new(
                FindingId::DmarcReportUnauthorized,
                Severity::Warning,
                &destination.authorization_name,
            )
            .with("destination", &destination.domain)
            .with("policy_domain", policy_domain)
            .with("authorization_name", &destination.authorization_name)
            .with("uris", uris),
        );
    }
}

fn authorized(destination: &ReportDestination) -> bool {
    destination
        .authorization
        .records()
        .iter()
        .any(|t| dmarc::is_record(t))
}

fn records_of(walk: &[DmarcTxt]) -> Walk {
    Walk::new(walk.iter().map(|l| (l.domain.as_str(), l.txt.records())))
}

fn syntax(name: &str, txt: &str, problems: &[Problem]) -> Finding {
    let fatal = problems.iter().any(|p| p.fatal);
    let errors: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    Finding::new(
        FindingId::DmarcSyntax,
        if fatal {
            Severity::Critical
        } else {
            Severity::Warning
        },
        name,
    )
    .with("name", name)
    .with("record", txt)
    .with("errors", errors)
    .with("ignored", fatal)
    .with("problems", problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::DmarcFacts;
    use crate::testing::{explain_all, facts_for, failed};
    use FindingId::*;
    use Severity::*;

    /// (name, TXT lookup, expected findings)
    type Case = (&'static str, Lookup<String>, Vec<(FindingId, Severity)>);

    fn answer(txts: &[&str]) -> Lookup<String> {
        Lookup::Answer {
            records: txts.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn walk(levels: Vec<(&str, Lookup<String>)>) -> Vec<DmarcTxt> {
        levels
            .into_iter()
            .map(|(domain, txt)| DmarcTxt {
                domain: domain.into(),
                txt,
            })
            .collect()
    }

    fn run(domain: &str, dmarc: DmarcFacts) -> Vec<Finding> {
        let mut facts = facts_for(domain);
        facts.dns.dmarc = dmarc;
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        explain_all(&facts, &out);
        out
    }

    fn ids(findings: &[Finding]) -> Vec<(FindingId, Severity)> {
        findings.iter().map(|f| (f.id, f.severity)).collect()
    }

    fn own(txt: Lookup<String>) -> DmarcFacts {
        DmarcFacts {
            walk: walk(vec![("example.org", txt), ("org", Lookup::NxDomain)]),
            destinations: Vec::new(),
        }
    }

    #[test]
    fn own_record() {
        let cases: Vec<Case> = vec![
            (
                "good",
                answer(&["v=DMARC1; p=reject; rua=mailto:d@example.org"]),
                vec![(DmarcOk, Ok)],
            ),
            ("timeout", failed(), vec![(DmarcLookupFailed, Unknown)]),
            ("nxdomain", Lookup::NxDomain, vec![(DmarcMissing, Warning)]),
            (
                "other txt only",
                answer(&["v=spf1 -all"]),
                vec![(DmarcMissing, Warning)],
            ),
            (
                "two",
                answer(&["v=DMARC1; p=none", "v=DMARC1; p=reject"]),
                vec![(DmarcMultiple, Critical)],
            ),
            (
                "p=none",
                answer(&["v=DMARC1; p=none; rua=mailto:d@example.org"]),
                vec![(DmarcPolicyNone, Info)],
            ),
            (
                "no rua",
                answer(&["v=DMARC1; p=reject"]),
                vec![(DmarcNoReports, Info)],
            ),
            (
                "lower case version",
                answer(&["v=dmarc1; p=reject"]),
                vec![(DmarcSyntax, Critical)],
            ),
            (
                "no p, no rua",
                answer(&["v=DMARC1; sp=reject"]),
                vec![(DmarcSyntax, Critical)],
            ),
            (
                "no p but rua",
                answer(&["v=DMARC1; rua=mailto:d@example.org"]),
                vec![(DmarcSyntax, Warning), (DmarcPolicyNone, Info)],
            ),
            (
                "typo in a tag",
                answer(&["v=DMARC1; p=reject; rau=mailto:d@example.org"]),
                vec![(DmarcSyntax, Warning), (DmarcNoReports, Info)],
            ),
            (
                "obsolete pct",
                answer(&["v=DMARC1; p=reject; pct=100; rua=mailto:d@example.org"]),
                vec![(DmarcObsoleteTag, Info), (DmarcOk, Ok)],
            ),
        ];
        for (name, txt, want) in cases {
            assert_eq!(ids(&run("example.org", own(txt))), want, "{name}");
        }
        assert!(run("example.org", DmarcFacts::default()).is_empty());
    }

    #[test]
    fn inherited_policy() {
        let facts = DmarcFacts {
            walk: walk(vec![
                ("mail.example.org", Lookup::NxDomain),
                (
                    "example.org",
                    answer(&["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"]),
                ),
                ("org", Lookup::NxDomain),
            ]),
            destinations: Vec::new(),
        };
        let got = run("mail.example.org", facts);
        assert_eq!(
            ids(&got),
            vec![(DmarcMissing, Info), (DmarcPolicyNone, Info)]
        );
        assert_eq!(got[0].evidence["inherited_from"], "example.org");
        assert_eq!(got[0].evidence["policy"], "none");
        assert_eq!(got[1].subject, "_dmarc.example.org");
        assert_eq!(got[1].evidence["tag"], "sp");

        // A failed lookup above the domain: still missing (its own record is authoritatively
        // absent), and the report says the walk is incomplete.
        let facts = DmarcFacts {
            walk: walk(vec![("example.org", Lookup::NxDomain), ("org", failed())]),
            destinations: Vec::new(),
        };
        let got = run("example.org", facts);
        assert_eq!(ids(&got), vec![(DmarcMissing, Warning)]);
        assert_eq!(got[0].evidence["walk_incomplete"][0], "_dmarc.org");
    }

    fn destination(
        domain: &str,
        levels: Vec<(&str, Lookup<String>)>,
        authorization: Lookup<String>,
    ) -> ReportDestination {
        ReportDestination {
            domain: domain.into(),
            walk: walk(levels),
            authorization_name: dmarc::authorization_name("example.org", domain),
            authorization,
        }
    }

    #[test]
    fn report_destinations() {
        let record =
            "v=DMARC1; p=reject; rua=mailto:d@reports.example.net,mailto:x@sub.example.org";
        let base = |destinations| DmarcFacts {
            walk: walk(vec![
                ("example.org", answer(&[record])),
                ("org", Lookup::NxDomain),
            ]),
            destinations,
        };
        let internal = destination(
            "sub.example.org",
            vec![
                ("sub.example.org", Lookup::NxDomain),
                ("example.org", answer(&[record])),
                ("org", Lookup::NxDomain),
            ],
            Lookup::NxDomain,
        );
        let external = |authorization| {
            destination(
                "reports.example.net",
                vec![
                    ("reports.example.net", Lookup::NxDomain),
                    ("example.net", answer(&["v=DMARC1; p=none"])),
                    ("net", Lookup::NxDomain),
                ],
                authorization,
            )
        };
        let got = run(
            "example.org",
            base(vec![internal.clone(), external(Lookup::NxDomain)]),
        );
        assert_eq!(ids(&got), vec![(DmarcReportUnauthorized, Warning)]);
        assert_eq!(got[0].evidence["uris"][0], "mailto:d@reports.example.net");

        let got = run(
            "example.org",
            base(vec![internal.clone(), external(answer(&["v=DMARC1"]))]),
        );
        assert_eq!(ids(&got), vec![(DmarcOk, Ok)]);

        let got = run("example.org", base(vec![internal, external(failed())]));
        assert_eq!(ids(&got), vec![(DmarcLookupFailed, Unknown)]);
    }
}
