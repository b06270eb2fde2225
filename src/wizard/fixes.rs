//! Which plan steps ("fixes") the wizard offers, and which it preselects. Pure.
//!
//! Offered: the steps the check's findings call for (as `generate --facts` plans them), plus
//! the steps the answers call for that no finding can: a DNS record the kit writes that is
//! not published yet in that form (a new DKIM key, an SPF record with the relay's include,
//! a first DMARC record…), and a relay the user just chose. Preselected: steps with a
//! critical or warning finding (what receivers act on), steps the answers call for, and the
//! steps that continue a preselected one (`with`); informational ones are offered unticked.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::answers::Answers;
use crate::diagnose::{Finding, Severity};
use crate::facts::{Facts, Lookup, NameAddresses};
use crate::generate::{DnsRecord, Existing, RecordSet};
use crate::plan::{self, Condition, FindingText, Step};
use crate::probe::dns::normalize_name;

/// The step that sets a relay up.
pub const SMARTHOST_STEP: &str = "smarthost";

/// One fix on offer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    pub step: String,
    /// The most severe finding calling for it (none when only the answers do).
    pub worst: Option<Severity>,
    /// How many findings call for it.
    pub findings: usize,
    /// The answers call for it (a record to publish or change, a chosen relay).
    pub chosen: bool,
    pub preselected: bool,
}

/// The plan step that publishes a record of this purpose (see `generate::records`).
fn step_of(purpose: &str, answers: &Answers) -> Option<&'static str> {
    match purpose {
        "spf" => Some("spf-record"),
        "dkim" => Some("dkim-record"),
        "dmarc" => Some("dmarc-record"),
        "mx" => Some("mx-record"),
        "host" if answers.receives_mail => Some("mx-record"),
        "mta-sts" | "mta-sts-host" => Some("mta-sts"),
        "tls-rpt" => Some("tls-rpt"),
        "report-auth" => Some("dmarc-reports"),
        _ => None,
    }
}

/// The steps whose records the kit writes differently from what the check saw published
/// (or could not see: an unknown counts as a change).
pub fn changed_steps(
    records: &RecordSet,
    facts: &Facts,
    answers: &Answers,
) -> BTreeSet<&'static str> {
    let existing = Existing::from_facts(facts);
    records
        .own
        .iter()
        .chain(&records.other)
        .filter(|r| published(r, facts, &existing) != Some(true))
        .filter_map(|r| step_of(r.purpose, answers))
        .collect()
}

/// Whether the check saw exactly this record published; None when it did not look.
fn published(r: &DnsRecord, facts: &Facts, existing: &Existing) -> Option<bool> {
    let txt = |lookup: &Lookup<String>| lookup.records().contains(&r.value);
    let addresses = |n: &NameAddresses| match r.rtype {
        "A" => n.a.records().iter().any(|ip| ip.to_string() == r.value),
        "AAAA" => n
            .aaaa
            .records()
            .iter()
            .any(|ip| Some(*ip) == r.value.parse().ok()),
        _ => false,
    };
    let dns = &facts.dns;
    match r.purpose {
        "mx" => Some(dns.mx.records().iter().any(|mx| {
            format!("{} {}", mx.preference, normalize_name(&mx.exchange))
                == normalize_name(&r.value)
        })),
        "spf" => Some(existing.spf.contains(&r.value)),
        "dmarc" => Some(existing.dmarc.as_deref() == Some(r.value.as_str())),
        "dkim" => dns
            .dkim
            .selectors
            .iter()
            .find(|s| normalize_name(&s.name) == r.fqdn)
            .map(|s| txt(&s.txt)),
        "mta-sts" => Some(txt(&dns.mta_sts.txt)),
        "tls-rpt" => Some(txt(&dns.tlsrpt.txt)),
        "host" => dns
            .host
            .as_ref()
            .filter(|h| h.name == r.fqdn)
            .map(addresses),
        "mta-sts-host" => dns.mta_sts.policy.as_ref().map(|p| addresses(&p.host)),
        _ => None,
    }
}

/// The fixes to offer, in plan order. `changed` are the steps whose records the kit
/// changes ([`changed_steps`]).
pub fn offer(
    steps: &[Step],
    answers: &Answers,
    findings: &[Finding],
    texts: &BTreeMap<String, FindingText>,
    changed: &BTreeSet<&'static str>,
) -> Vec<Fix> {
    let planned = plan::build(steps, answers, Some(findings), texts);
    let chosen = |id: &str| match id {
        SMARTHOST_STEP => Condition::Smarthost.holds(answers),
        other => changed.contains(other),
    };
    let applicable = |s: &Step| s.when.iter().all(|c| c.holds(answers));
    let mut fixes: Vec<Fix> = Vec::new();
    for step in steps {
        let planned_step = planned.iter().find(|p| p.id == step.id);
        let is_chosen = chosen(&step.id) && applicable(step);
        let continues_preselected = step
            .with
            .iter()
            .any(|w| fixes.iter().any(|f| f.step == *w && f.preselected));
        if planned_step.is_none() && !is_chosen && !(continues_preselected && applicable(step)) {
            continue;
        }
        let because = planned_step.map(|p| p.because.as_slice()).unwrap_or(&[]);
        let worst = because.iter().map(|r| r.severity).min_by_key(|s| s.rank());
        fixes.push(Fix {
            step: step.id.clone(),
            worst,
            findings: because.len(),
            chosen: is_chosen,
            preselected: is_chosen
                || matches!(worst, Some(Severity::Critical | Severity::Warning))
                || continues_preselected,
        });
    }
    fixes
}

/// `--fixes`: critical (the preselection), all, none, or step ids separated by commas.
pub fn choose(fixes: &[Fix], spec: &str) -> Result<Vec<String>, String> {
    let spec = spec.trim();
    let ids: Vec<String> = match spec {
        "critical" => fixes
            .iter()
            .filter(|f| f.preselected)
            .map(|f| f.step.clone())
            .collect(),
        "all" => fixes.iter().map(|f| f.step.clone()).collect(),
        "none" | "" => Vec::new(),
        list => {
            let wanted: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            // Every id must be a step of the plan; steps not on offer are kept too (the user
            // may want a step no finding calls for), in plan order.
            for w in &wanted {
                if !w
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(format!("--fixes: {w:?} is not a step id"));
                }
            }
            wanted.iter().map(|s| s.to_string()).collect()
        }
    };
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::AnswerLayer;
    use crate::assets::Assets;
    use crate::diagnose::FindingId;
    use crate::facts::{MxRecord, Target};
    use crate::plan::Playbooks;

    fn setup(yaml: &str) -> (Playbooks, Answers) {
        let p = Playbooks::load(&Assets::default()).unwrap();
        let a = AnswerLayer::from_yaml("t", yaml)
            .unwrap()
            .resolve(&p.smarthosts)
            .unwrap();
        (p, a)
    }

    fn ids(fixes: &[Fix], pre: bool) -> Vec<&str> {
        fixes
            .iter()
            .filter(|f| !pre || f.preselected)
            .map(|f| f.step.as_str())
            .collect()
    }

    #[test]
    fn findings_and_changes_make_the_offer() {
        let (p, a) = setup("domain: example.org\nipv4: 203.0.113.10\n");
        let findings = vec![
            Finding::new(FindingId::SpfMissing, Severity::Critical, "example.org"),
            Finding::new(FindingId::MtaStsMissing, Severity::Info, "example.org"),
        ];
        let fixes = offer(&p.steps, &a, &findings, &p.findings, &BTreeSet::new());
        assert_eq!(ids(&fixes, true), vec!["spf-record"]);
        assert!(ids(&fixes, false).contains(&"mta-sts"));
        let spf = fixes.iter().find(|f| f.step == "spf-record").unwrap();
        assert_eq!(
            (spf.worst, spf.findings, spf.chosen),
            (Some(Severity::Critical), 1, false)
        );
        // A record the kit changes is offered and preselected, with what continues it.
        let changed = BTreeSet::from(["dkim-record", "dmarc-record"]);
        let fixes = offer(&p.steps, &a, &findings, &p.findings, &changed);
        let pre = ids(&fixes, true);
        for step in [
            "spf-record",
            "dkim-record",
            "dmarc-record",
            "dmarc-reports",
            "dmarc-enforce",
        ] {
            assert!(pre.contains(&step), "{step} in {pre:?}");
        }
        let dkim = fixes.iter().find(|f| f.step == "dkim-record").unwrap();
        assert!(dkim.chosen && dkim.worst.is_none());

        let (p, a) = setup(
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: sendgrid, username: apikey, password_file: /p}\n",
        );
        let fixes = offer(&p.steps, &a, &[], &p.findings, &BTreeSet::new());
        assert_eq!(ids(&fixes, true), vec![SMARTHOST_STEP]);
    }

    #[test]
    fn changes_are_what_the_check_did_not_see_published() {
        let (_, a) = setup(
            "domain: example.org\nhostname: mail.example.org\nipv4: 203.0.113.10\nmta_sts: {mode: none}\ntls_rpt: {rua: null}\n",
        );
        let mut facts = Facts::new(Target {
            domain: "example.org".into(),
            ..Target::default()
        });
        facts.dns.mx = Lookup::Answer {
            records: vec![MxRecord {
                preference: 10,
                exchange: "mail.example.org".into(),
            }],
        };
        let records = crate::generate::records::build(&a, &[], None, &Existing::from_facts(&facts));
        // The host's A record was not looked at: a change, as far as anyone knows.
        assert!(changed_steps(&records, &facts, &a).contains("mx-record"));
        facts.dns.host = Some(NameAddresses {
            name: "mail.example.org".into(),
            cname: Lookup::NoData,
            a: Lookup::Answer {
                records: vec!["203.0.113.10".parse().unwrap()],
            },
            aaaa: Lookup::NoData,
        });
        let changed = changed_steps(&records, &facts, &a);
        assert!(!changed.contains("mx-record"), "{changed:?}");
        assert!(
            changed.contains("spf-record") && changed.contains("dmarc-record"),
            "{changed:?}"
        );
        assert!(
            !changed.contains("mta-sts") && !changed.contains("tls-rpt"),
            "{changed:?}"
        );
    }

    #[test]
    fn the_fixes_flag() {
        let fixes = vec![
            Fix {
                step: "a".into(),
                worst: Some(Severity::Critical),
                findings: 1,
                chosen: false,
                preselected: true,
            },
            Fix {
                step: "b".into(),
                worst: Some(Severity::Warning),
                findings: 1,
                chosen: false,
                preselected: false,
            },
        ];
        assert_eq!(choose(&fixes, "critical").unwrap(), vec!["a"]);
        assert_eq!(choose(&fixes, "all").unwrap(), vec!["a", "b"]);
        assert!(choose(&fixes, "none").unwrap().is_empty());
        assert_eq!(
            choose(&fixes, "b, spf-record").unwrap(),
            vec!["b", "spf-record"]
        );
        assert!(choose(&fixes, "B;rm").is_err());
    }
}
