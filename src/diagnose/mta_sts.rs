//! MTA-STS: is the TXT record valid, can senders fetch the policy, is the policy valid, and
//! does it allow every MX host? In enforce mode an MX the policy does not name receives no
//! mail from senders that honour MTA-STS (Gmail, Microsoft, …).

use crate::facts::{Facts, FetchOutcome, FetchStage, Lookup, PolicyFetch};
use crate::records::mta_sts::{self, Mode};
use crate::records::tags::Problem;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let sts = &facts.dns.mta_sts;
    let name = mta_sts::txt_name(&facts.target.domain);
    if let Some(f) = lookup_failed(FindingId::MtaStsLookupFailed, &name, "TXT", &sts.txt) {
        out.push(f);
        return;
    }
    if matches!(sts.txt, Lookup::NotAsked) {
        return;
    }
    let txts = sts.txt.records();
    let records: Vec<&String> = txts.iter().filter(|t| mta_sts::is_record(t)).collect();
    let attempts: Vec<&String> = txts
        .iter()
        .filter(|t| !mta_sts::is_record(t) && mta_sts::looks_like_attempt(t))
        .collect();
    if records.is_empty() && attempts.is_empty() {
        out.push(
            Finding::new(
                FindingId::MtaStsMissing,
                Severity::Info,
                &facts.target.domain,
            )
            .with("name", &name),
        );
        return;
    }
    let before = out.len();
    let mut id = None;
    if records.len() > 1 {
        let problem = Problem::fatal(
            "multiple-records",
            format!(
                "{} records start with v=STSv1; senders use none of them",
                records.len()
            ),
        );
        out.push(syntax(&name, records[0], &[problem]));
    } else {
        let txt = records
            .first()
            .or(attempts.first())
            .map_or("", |t| t.as_str());
        let record = mta_sts::parse_record(txt);
        if record.problems.is_empty() {
            id = record.id;
        } else {
            out.push(syntax(&name, txt, &record.problems));
        }
    }
    let Some(fetch) = &sts.policy else {
        return;
    };
    let Some(policy) = policy(facts, fetch, out) else {
        return;
    };
    if out.len() == before {
        let severity = if policy.mode == Some(Mode::None) {
            Severity::Info
        } else {
            Severity::Ok
        };
        out.push(
            Finding::new(FindingId::MtaStsOk, severity, &facts.target.domain)
                .with("id", id)
                .with("mode", policy.mode.map(Mode::as_str))
                .with("max_age", policy.max_age)
                .with("mx", &policy.mx)
                .with("url", &fetch.url),
        );
    }
}

/// Findings about the fetched policy; the policy itself when senders can use it.
fn policy(facts: &Facts, fetch: &PolicyFetch, out: &mut Vec<Finding>) -> Option<mta_sts::Policy> {
    let unreachable = |stage: &str, cause: &str| {
        Finding::new(
            FindingId::MtaStsPolicyUnreachable,
            Severity::Warning,
            &fetch.url,
        )
        .with("url", &fetch.url)
        .with("policy_host", &fetch.host.name)
        .with("addresses", fetch.host.addresses())
        .with("stage", stage)
        .with("cause", cause)
    };
    let (status, content_type, location, body, truncated) = match &fetch.outcome {
        FetchOutcome::Failed {
            stage: stage @ (FetchStage::DnsFailed | FetchStage::Setup),
            detail,
        } => {
            let rtype = if *stage == FetchStage::Setup {
                "HTTPS"
            } else {
                "A/AAAA"
            };
            out.push(
                Finding::new(FindingId::MtaStsLookupFailed, Severity::Unknown, &fetch.url)
                    .with("name", &fetch.host.name)
                    .with("type", rtype)
                    .with("failure", stage.as_str())
                    .with("error", detail),
            );
            return None;
        }
        FetchOutcome::Failed { stage, detail } => {
            out.push(
                unreachable(stage.as_str(), detail)
                    .with("status", None::<u16>)
                    .with("location", None::<String>),
            );
            return None;
        }
        FetchOutcome::Response {
            status,
            content_type,
            location,
            body,
            truncated,
        } => (*status, content_type, location, body, *truncated),
    };
    let Some(body) = body.as_deref().filter(|_| status == 200) else {
        let cause = match location {
            Some(to) => format!("HTTP status {status}, a redirect to {to}"),
            None => format!("HTTP status {status}"),
        };
        out.push(
            unreachable("http", &cause)
                .with("status", status)
                .with("location", location),
        );
        return None;
    };
    let mut policy = mta_sts::parse_policy(body);
    if truncated {
        policy.problems.push(Problem::fatal(
            "too-large",
            format!(
                "the policy is larger than {} KiB",
                mta_sts::MAX_POLICY_BYTES / 1024
            ),
        ));
    }
    match content_type {
        Some(t) if mta_sts::is_text_plain(t) => {}
        other => policy.problems.push(Problem::minor(
            "content-type",
            format!(
                "the server sends it as {}, not text/plain",
                other.as_deref().unwrap_or("(no Content-Type)")
            ),
        )),
    }
    if !policy.problems.is_empty() {
        let errors: Vec<&str> = policy.problems.iter().map(|p| p.message.as_str()).collect();
        out.push(
            Finding::new(
                FindingId::MtaStsPolicyInvalid,
                Severity::Warning,
                &fetch.url,
            )
            .with("url", &fetch.url)
            .with("errors", errors)
            .with("ignored", policy.is_unusable())
            .with("problems", &policy.problems)
            .with("body", body),
        );
    }
    if policy.is_unusable() {
        return None;
    }
    coverage(facts, &policy, out);
    Some(policy)
}

/// Every MX host must match an `mx:` pattern (RFC 8461 §4.1).
fn coverage(facts: &Facts, policy: &mta_sts::Policy, out: &mut Vec<Finding>) {
    let Some(mode) = policy.mode.filter(|m| *m != Mode::None) else {
        return;
    };
    let hosts = mx_hosts(facts);
    let uncovered = policy.uncovered(&hosts);
    let all = !hosts.is_empty() && uncovered.len() == hosts.len();
    for host in &uncovered {
        let severity = if mode == Mode::Enforce && all {
            Severity::Critical
        } else {
            Severity::Warning
        };
        out.push(
            Finding::new(FindingId::MtaStsMxNotCovered, severity, *host)
                .with("mx", host)
                .with("patterns", &policy.mx)
                .with("mode", mode.as_str())
                .with("all_uncovered", all),
        );
    }
}

/// The MX hosts of the domain (none for a null MX or when the lookup gave no answer).
fn mx_hosts(facts: &Facts) -> Vec<String> {
    facts
        .dns
        .mx
        .records()
        .iter()
        .filter(|r| !r.exchange.is_empty())
        .map(|r| r.exchange.clone())
        .collect()
}

fn syntax(name: &str, txt: &str, problems: &[Problem]) -> Finding {
    let errors: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    Finding::new(FindingId::MtaStsSyntax, Severity::Warning, name)
        .with("name", name)
        .with("record", txt)
        .with("errors", errors)
        .with("problems", problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{MtaStsFacts, MxRecord, NameAddresses};
    use crate::testing::{explain_all, facts_for, failed};
    use FindingId::*;
    use Severity::*;
    use std::net::Ipv4Addr;

    const GOOD: &str = "version: STSv1\nmode: enforce\nmx: mail.example.org\nmx: *.backup.example.org\nmax_age: 604800\n";

    fn answer(txts: &[&str]) -> Lookup<String> {
        Lookup::Answer {
            records: txts.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn response(status: u16, content_type: Option<&str>, body: Option<&str>) -> FetchOutcome {
        FetchOutcome::Response {
            status,
            content_type: content_type.map(str::to_string),
            location: None,
            body: body.map(str::to_string),
            truncated: false,
        }
    }

    fn fetch(outcome: FetchOutcome) -> Option<PolicyFetch> {
        Some(PolicyFetch {
            url: mta_sts::policy_url("example.org"),
            host: NameAddresses {
                name: "mta-sts.example.org".into(),
                cname: Lookup::NoData,
                a: Lookup::Answer {
                    records: vec![Ipv4Addr::new(192, 0, 2, 80)],
                },
                aaaa: Lookup::NoData,
            },
            outcome,
        })
    }

    fn run(txt: Lookup<String>, policy: Option<PolicyFetch>, mx: &[&str]) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.dns.mta_sts = MtaStsFacts { txt, policy };
        facts.dns.mx = Lookup::Answer {
            records: mx
                .iter()
                .map(|e| MxRecord {
                    preference: 10,
                    exchange: e.to_string(),
                })
                .collect(),
        };
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        explain_all(&facts, &out);
        out
    }

    fn ids(findings: &[Finding]) -> Vec<(FindingId, Severity)> {
        findings.iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn table() {
        let txt = || answer(&["v=STSv1; id=20261124"]);
        let good = || fetch(response(200, Some("text/plain"), Some(GOOD)));
        let mx = ["mail.example.org", "mx1.backup.example.org"];
        type Case = (
            &'static str,
            Lookup<String>,
            Option<PolicyFetch>,
            Vec<&'static str>,
            Vec<(FindingId, Severity)>,
        );
        let cases: Vec<Case> = vec![
            ("good", txt(), good(), mx.to_vec(), vec![(MtaStsOk, Ok)]),
            (
                "no record",
                Lookup::NxDomain,
                None,
                mx.to_vec(),
                vec![(MtaStsMissing, Info)],
            ),
            (
                "unrelated txt",
                answer(&["hello"]),
                None,
                mx.to_vec(),
                vec![(MtaStsMissing, Info)],
            ),
            (
                "timeout",
                failed(),
                None,
                mx.to_vec(),
                vec![(MtaStsLookupFailed, Unknown)],
            ),
            (
                "bad id",
                answer(&["v=STSv1; id=2026-11-24"]),
                good(),
                mx.to_vec(),
                vec![(MtaStsSyntax, Warning)],
            ),
            (
                "two records",
                answer(&["v=STSv1; id=1", "v=STSv1; id=2"]),
                good(),
                mx.to_vec(),
                vec![(MtaStsSyntax, Warning)],
            ),
            (
                "refused",
                txt(),
                fetch(FetchOutcome::Failed {
                    stage: FetchStage::Connect,
                    detail: "connection refused".into(),
                }),
                mx.to_vec(),
                vec![(MtaStsPolicyUnreachable, Warning)],
            ),
            (
                "dns lookup failed",
                txt(),
                fetch(FetchOutcome::Failed {
                    stage: FetchStage::DnsFailed,
                    detail: "timeout".into(),
                }),
                mx.to_vec(),
                vec![(MtaStsLookupFailed, Unknown)],
            ),
            (
                "404",
                txt(),
                fetch(response(404, Some("text/html"), None)),
                mx.to_vec(),
                vec![(MtaStsPolicyUnreachable, Warning)],
            ),
            (
                "invalid",
                txt(),
                fetch(response(
                    200,
                    Some("text/plain"),
                    Some("version: STSv1\nmode: strict\n"),
                )),
                mx.to_vec(),
                vec![(MtaStsPolicyInvalid, Warning)],
            ),
            (
                "html content type",
                txt(),
                fetch(response(200, Some("text/html"), Some(GOOD))),
                mx.to_vec(),
                vec![(MtaStsPolicyInvalid, Warning)],
            ),
            (
                "one mx not covered",
                txt(),
                good(),
                vec!["mail.example.org", "mx.other.example"],
                vec![(MtaStsMxNotCovered, Warning)],
            ),
            (
                "no mx covered in enforce",
                txt(),
                good(),
                vec!["mx.other.example"],
                vec![(MtaStsMxNotCovered, Critical)],
            ),
            (
                "testing mode",
                txt(),
                fetch(response(
                    200,
                    Some("text/plain"),
                    Some(&GOOD.replace("enforce", "testing")),
                )),
                vec!["mx.other.example"],
                vec![(MtaStsMxNotCovered, Warning)],
            ),
            (
                "mode none",
                txt(),
                fetch(response(
                    200,
                    Some("text/plain"),
                    Some("version: STSv1\nmode: none\nmax_age: 86400\n"),
                )),
                vec!["mx.other.example"],
                vec![(MtaStsOk, Info)],
            ),
        ];
        for (name, txt, policy, mx, want) in cases {
            assert_eq!(ids(&run(txt, policy, &mx)), want, "{name}");
        }
    }
}
