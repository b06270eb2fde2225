//! Blocklists: what each answer of each list means for an address or a domain.
//!
//! NXDOMAIN is the only "clean". A refusal code (Spamhaus 127.255.255.x, DBL 127.0.1.255,
//! URIBL/SURBL 127.0.0.1) says nothing about the subject and is `unknown`; so is a code the
//! list does not document, and a timeout. An answer outside 127.0.0.0/8 is no list's answer
//! (a resolver rewrote NXDOMAIN) and is a failed lookup, never a listing.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::Value;

use crate::blocklist::{Blocklist, Catalog, CodeKind, Decoded, ReturnCode};
use crate::facts::{DnsblCheck, DnsblTestPoint, Facts, Lookup};

use super::{Finding, FindingId, Severity};

/// Longest TXT reason kept in the evidence.
const MAX_REASON: usize = 300;

pub fn diagnose(facts: &Facts, catalog: &Catalog, out: &mut Vec<Finding>) {
    let dnsbl = &facts.dns.dnsbl;
    for check in &dnsbl.checks {
        let test_point = dnsbl
            .test_points
            .iter()
            .find(|t| t.list == check.list && t.dqs == check.dqs);
        one_check(check, test_point, catalog, out);
    }
}

/// The ids of an IP list or a domain list.
struct Ids {
    listed: FindingId,
    clean: FindingId,
    failed: FindingId,
}

fn ids_for(subject: &str) -> Ids {
    if subject.parse::<IpAddr>().is_ok() {
        Ids {
            listed: FindingId::DnsblListed,
            clean: FindingId::DnsblClean,
            failed: FindingId::DnsblLookupFailed,
        }
    } else {
        Ids {
            listed: FindingId::DblListed,
            clean: FindingId::DblClean,
            failed: FindingId::DblLookupFailed,
        }
    }
}

fn one_check(
    check: &DnsblCheck,
    test_point: Option<&DnsblTestPoint>,
    catalog: &Catalog,
    out: &mut Vec<Finding>,
) {
    let ids = ids_for(&check.subject);
    let list = catalog.get(&check.list);
    let base = |id: FindingId, severity: Severity| {
        Finding::new(id, severity, &check.subject)
            .with(
                "list",
                list.map_or(check.list.as_str(), |l| l.name.as_str()),
            )
            .with("list_id", &check.list)
            .with("zone", &check.zone)
            .with("dqs", check.dqs)
            .with("query", &check.query)
            .with(
                "lookup_url",
                list.and_then(|l| l.lookup_url_for(&check.subject)),
            )
    };
    let records = match &check.a {
        Lookup::NotAsked => return,
        Lookup::Failed { failure, detail } => {
            out.push(
                base(ids.failed, Severity::Unknown)
                    .with("failure", failure.as_str())
                    .with("error", detail)
                    .with("answers", Value::Null),
            );
            return;
        }
        Lookup::NxDomain | Lookup::NoData if test_point.is_some_and(|t| t.a.is_missing()) => {
            // The list's own test entry is "not listed" too: the silence means nothing.
            let remedy = list.and_then(|l| {
                l.codes
                    .iter()
                    .find(|c| c.cause.as_deref() == Some("public-resolver"))
                    .map(|c| &c.remedy)
            });
            out.push(
                base(FindingId::DnsblQueryRefused, Severity::Unknown)
                    .with("code", Value::Null)
                    .with("meaning", Value::Null)
                    .with("cause", "test-point-missing")
                    .with("remedy", remedy)
                    .with("test_point", test_point.map(|t| &t.query)),
            );
            return;
        }
        Lookup::NxDomain | Lookup::NoData => {
            let answer = if check.a == Lookup::NxDomain {
                "NXDOMAIN"
            } else {
                "no A record"
            };
            out.push(base(ids.clean, Severity::Ok).with("answer", answer));
            return;
        }
        Lookup::Answer { records } => records,
    };
    let Some(list) = list else {
        // A list this version does not know (facts from another version): report honestly.
        for code in records {
            out.push(undocumented(
                base(ids.listed, Severity::Unknown),
                *code,
                check,
                None,
            ));
        }
        return;
    };
    let decoded = list.decode(records);

    let foreign: Vec<String> = decoded
        .iter()
        .filter_map(|d| match d {
            Decoded::Foreign(a) => Some(a.to_string()),
            _ => None,
        })
        .collect();
    if !foreign.is_empty() {
        let answers: Vec<String> = records.iter().map(Ipv4Addr::to_string).collect();
        out.push(
            base(ids.failed, Severity::Unknown)
                .with("failure", "unexpected answer")
                .with(
                    "error",
                    format!(
                        "the resolver answered {} for a blocklist name; lists only answer \
                         127.0.0.0/8 or NXDOMAIN, so the resolver rewrote the answer",
                        foreign.join(", ")
                    ),
                )
                .with("answers", answers),
        );
        return;
    }

    let refusals: Vec<&Decoded> = decoded
        .iter()
        .filter(|d| match d {
            Decoded::Known(c) => c.kind == CodeKind::Refused,
            Decoded::UndocumentedError(_) => true,
            _ => false,
        })
        .collect();
    if let Some(first) = refusals.first() {
        let refused =
            base(FindingId::DnsblQueryRefused, Severity::Unknown).with("test_point", Value::Null);
        out.push(match first {
            Decoded::Known(code) => refused
                .with("code", code.code)
                .with("meaning", &code.meaning)
                .with("cause", &code.cause)
                .with("remedy", &code.remedy),
            Decoded::UndocumentedError(code) => refused
                .with("code", code)
                .with("meaning", Value::Null)
                .with("cause", "undocumented error code")
                .with("remedy", Value::Null),
            _ => unreachable!("only refusals were kept"),
        });
        return;
    }

    for d in decoded {
        match d {
            Decoded::Known(code) if code.kind == CodeKind::Allowlist => {
                out.push(base(ids.clean, Severity::Ok).with("answer", code.code));
            }
            Decoded::Known(code) => {
                out.push(listed(base, &ids, list, code, check, catalog));
            }
            Decoded::Undocumented(code) => {
                let f = base(ids.listed, Severity::Unknown);
                out.push(undocumented(f, code, check, Some((list, catalog))));
            }
            Decoded::Foreign(_) | Decoded::UndocumentedError(_) => {}
        }
    }
}

fn listed(
    base: impl Fn(FindingId, Severity) -> Finding,
    ids: &Ids,
    list: &Blocklist,
    code: &ReturnCode,
    check: &DnsblCheck,
    catalog: &Catalog,
) -> Finding {
    let id = if code.kind == CodeKind::Policy && ids.listed == FindingId::DnsblListed {
        FindingId::DnsblPolicyListed
    } else {
        ids.listed
    };
    let severity = code.severity.unwrap_or(Severity::Unknown);
    let finding = base(id, severity)
        .with("code", code.code)
        .with("documented", true)
        .with("sublist", &code.sublist)
        .with("meaning", &code.meaning)
        .with("remedy", &code.remedy)
        .with("used_by", &list.used_by)
        .with("reason", reason(&check.txt));
    with_procedure(finding, code.procedure.as_deref(), catalog)
}

fn undocumented(
    finding: Finding,
    code: Ipv4Addr,
    check: &DnsblCheck,
    list: Option<(&Blocklist, &Catalog)>,
) -> Finding {
    let finding = finding
        .with("code", code)
        .with("documented", false)
        .with("sublist", Value::Null)
        .with("meaning", Value::Null)
        .with("remedy", Value::Null)
        .with("used_by", list.map(|(l, _)| &l.used_by))
        .with("reason", reason(&check.txt));
    match list {
        Some((l, catalog)) => with_procedure(finding, l.default_procedure.as_deref(), catalog),
        None => with_procedure(finding, None, &Catalog::default()),
    }
}

/// The delisting procedure's id, form, cost and delay, for the finding's remedy text.
fn with_procedure(finding: Finding, id: Option<&str>, catalog: &Catalog) -> Finding {
    let procedure = id.and_then(|id| catalog.procedures.get(id));
    finding
        .with("procedure", procedure.and(id))
        .with("form", procedure.and_then(|p| p.form.as_ref()))
        .with("cost", procedure.map(|p| &p.cost))
        .with("duration", procedure.map(|p| &p.duration))
}

/// The list's TXT words, bounded, or null.
fn reason(txt: &Lookup<String>) -> Option<String> {
    let text = txt.records().join(" / ");
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut bounded: String = text.chars().take(MAX_REASON).collect();
    if bounded.len() < text.len() {
        bounded.push('…');
    }
    Some(bounded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::plan::Playbooks;
    use crate::render::Renderer;
    use crate::report::Report;
    use crate::testing::{facts_for, failed};

    fn playbooks() -> Playbooks {
        Playbooks::load(&Assets::default()).unwrap()
    }

    fn check(subject: &str, list: &str, a: Lookup<Ipv4Addr>) -> DnsblCheck {
        DnsblCheck {
            subject: subject.into(),
            list: list.into(),
            zone: "zone.example".into(),
            dqs: false,
            query: format!("q.{subject}.zone.example"),
            a,
            txt: Lookup::NotAsked,
        }
    }

    fn answer(codes: &[&str]) -> Lookup<Ipv4Addr> {
        Lookup::Answer {
            records: codes.iter().map(|c| c.parse().unwrap()).collect(),
        }
    }

    /// Diagnose the checks, and render every finding with the real playbook text (strict).
    fn run(checks: Vec<DnsblCheck>) -> Vec<(FindingId, Severity, Option<String>)> {
        let pb = playbooks();
        let mut facts = facts_for("example.org");
        facts.dns.dnsbl.checks = checks;
        let mut out = Vec::new();
        diagnose(&facts, &pb.blocklists, &mut out);
        let renderer = Renderer::new(&Assets::default(), false).unwrap();
        Report::build(facts.target.clone(), &out, &pb, &renderer)
            .unwrap_or_else(|e| panic!("{e}: {out:#?}"));
        out.into_iter()
            .map(|f| {
                let label = f
                    .evidence
                    .get("sublist")
                    .and_then(|v| v.as_str())
                    .or_else(|| f.evidence.get("cause").and_then(|v| v.as_str()))
                    .map(str::to_string);
                (f.id, f.severity, label)
            })
            .collect()
    }

    #[test]
    fn spamhaus_zen_codes() {
        use FindingId::*;
        use Severity::*;
        let ip = "192.0.2.1";
        let zen = |codes: &[&str]| run(vec![check(ip, "spamhaus-zen", answer(codes))]);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(zen(&["127.0.0.2"]), [(DnsblListed, Critical, s("SBL"))]);
        assert_eq!(zen(&["127.0.0.3"]), [(DnsblListed, Critical, s("CSS"))]);
        for x in 4..=7 {
            assert_eq!(
                zen(&[&format!("127.0.0.{x}")]),
                [(DnsblListed, Critical, s("XBL"))]
            );
        }
        assert_eq!(
            zen(&["127.0.0.2", "127.0.0.9"]),
            [
                (DnsblListed, Critical, s("SBL")),
                (DnsblListed, Critical, s("DROP"))
            ]
        );
        assert_eq!(
            zen(&["127.0.0.10"]),
            [(DnsblPolicyListed, Critical, s("PBL"))]
        );
        assert_eq!(
            zen(&["127.0.0.11"]),
            [(DnsblPolicyListed, Critical, s("PBL"))]
        );
        for (code, cause) in [
            ("127.255.255.252", "typo"),
            ("127.255.255.254", "public-resolver"),
            ("127.255.255.255", "rate-limit"),
            ("127.255.255.250", "dqs-key"),
            ("127.255.255.251", "dqs-key"),
            ("127.255.255.7", "undocumented error code"),
        ] {
            assert_eq!(
                zen(&[code]),
                [(DnsblQueryRefused, Unknown, s(cause))],
                "{code}"
            );
        }
        // A refusal mixed with anything is still no answer about the address.
        assert_eq!(
            zen(&["127.0.0.2", "127.255.255.254"])[0].0,
            DnsblQueryRefused
        );
        assert_eq!(zen(&["127.0.0.99"]), [(DnsblListed, Unknown, None)]);
        assert_eq!(zen(&["192.0.2.200"]), [(DnsblLookupFailed, Unknown, None)]);
        assert_eq!(
            run(vec![check(ip, "spamhaus-zen", Lookup::NxDomain)]),
            [(DnsblClean, Ok, None)]
        );
        assert_eq!(
            run(vec![check(ip, "spamhaus-zen", failed())]),
            [(DnsblLookupFailed, Unknown, None)]
        );
        assert!(run(vec![check(ip, "spamhaus-zen", Lookup::NotAsked)]).is_empty());
    }

    #[test]
    fn domain_lists_use_the_dbl_ids() {
        use FindingId::*;
        use Severity::*;
        let d = "example.org";
        let dbl = |a| run(vec![check(d, "spamhaus-dbl", a)]);
        for code in [
            "127.0.1.2",
            "127.0.1.4",
            "127.0.1.5",
            "127.0.1.6",
            "127.0.1.102",
            "127.0.1.103",
            "127.0.1.104",
            "127.0.1.105",
            "127.0.1.106",
        ] {
            let got = dbl(answer(&[code]));
            assert_eq!((got[0].0, got[0].1), (DblListed, Critical), "{code}");
        }
        assert_eq!(
            dbl(answer(&["127.0.1.255"])),
            [(DnsblQueryRefused, Unknown, Some("ip-on-domain-list".into()))]
        );
        assert_eq!(dbl(Lookup::NxDomain), [(DblClean, Ok, None)]);
        assert_eq!(dbl(failed()), [(DblLookupFailed, Unknown, None)]);
        let uribl = run(vec![check(d, "uribl", answer(&["127.0.0.6"]))]);
        assert_eq!(
            uribl.iter().map(|f| f.1).collect::<Vec<_>>(),
            [Critical, Warning]
        );
        assert_eq!(
            run(vec![check(d, "uribl", answer(&["127.0.0.1"]))])[0].0,
            DnsblQueryRefused
        );
    }

    #[test]
    fn every_code_of_every_queried_list_renders() {
        let pb = playbooks();
        let mut checks = Vec::new();
        for list in pb.blocklists.lists.iter().filter(|l| l.query) {
            let subject = if list.holds.contains(&crate::blocklist::Holds::Domain) {
                "example.org"
            } else {
                "192.0.2.1"
            };
            for code in &list.codes {
                let mut c = check(subject, &list.id, answer(&[&code.code.to_string()]));
                c.txt = Lookup::Answer {
                    records: vec!["listed, see the list's web site".into()],
                };
                checks.push(c);
            }
        }
        let got = run(checks);
        assert!(got.len() > 40, "{}", got.len());
        assert!(
            !got.iter().any(|f| f.1 == Severity::Ok),
            "a documented code read as clean"
        );
    }

    #[test]
    fn an_empty_answer_from_a_list_whose_test_entry_is_empty_is_not_clean() {
        let pb = playbooks();
        let point = |a: Lookup<Ipv4Addr>| DnsblTestPoint {
            list: "spamhaus-zen".into(),
            zone: "zen.spamhaus.org".into(),
            dqs: false,
            query: "2.0.0.127.zen.spamhaus.org".into(),
            a,
        };
        let renderer = Renderer::new(&Assets::default(), false).unwrap();
        for (test_point, want) in [
            (point(Lookup::NxDomain), FindingId::DnsblQueryRefused),
            (point(answer(&["127.0.0.2"])), FindingId::DnsblClean),
            (point(failed()), FindingId::DnsblClean),
        ] {
            let mut facts = facts_for("example.org");
            facts.dns.dnsbl.checks = vec![check("192.0.2.1", "spamhaus-zen", Lookup::NxDomain)];
            facts.dns.dnsbl.test_points = vec![test_point];
            let mut out = Vec::new();
            diagnose(&facts, &pb.blocklists, &mut out);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].id, want);
            let report = Report::build(facts.target.clone(), &out, &pb, &renderer).unwrap();
            if want == FindingId::DnsblQueryRefused {
                assert_eq!(out[0].severity, Severity::Unknown);
                assert!(
                    report.findings[0]
                        .detail
                        .contains("2.0.0.127.zen.spamhaus.org")
                );
                assert!(
                    report.findings[0]
                        .remedy
                        .as_ref()
                        .unwrap()
                        .contains("--dqs-key")
                );
            }
        }
    }

    #[test]
    fn unknown_lists_from_other_versions_are_reported_not_trusted() {
        let got = run(vec![check(
            "192.0.2.1",
            "gone-list",
            answer(&["127.0.0.2"]),
        )]);
        assert_eq!(got, [(FindingId::DnsblListed, Severity::Unknown, None)]);
    }
}
