//! Which plan steps ("fixes") the wizard offers, and which it preselects. Pure.
//!
//! Offered: the steps the check's findings call for (as `generate --facts` plans them), plus
//! the steps the answers call for that no check could have seen done: a relay the user just
//! chose, a DKIM key the wizard just generated. Preselected: steps with a critical finding,
//! steps the answers call for, and the steps that continue a preselected one (`with`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answers::Answers;
use crate::diagnose::{Finding, FindingId, Severity};
use crate::plan::{self, Condition, FindingText, Step};

/// The step that publishes DKIM keys, and the one that sets a relay up.
pub const DKIM_STEP: &str = "dkim-record";
pub const SMARTHOST_STEP: &str = "smarthost";

/// One fix on offer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    pub step: String,
    /// The most severe finding calling for it (none when only the answers do).
    pub worst: Option<Severity>,
    /// How many findings call for it.
    pub findings: usize,
    /// The answers call for it (a new key, a chosen relay).
    pub chosen: bool,
    pub preselected: bool,
}

/// The fixes to offer, in plan order. `new_keys` are selectors whose key the wizard just
/// generated (not kept from the output directory).
pub fn offer(
    steps: &[Step],
    answers: &Answers,
    findings: &[Finding],
    texts: &BTreeMap<String, FindingText>,
    new_keys: &[String],
) -> Vec<Fix> {
    let planned = plan::build(steps, answers, Some(findings), texts);
    let published: Vec<&str> = findings
        .iter()
        .filter(|f| f.id == FindingId::DkimOk)
        .filter_map(|f| f.evidence.get("selector").and_then(|v| v.as_str()))
        .collect();
    let unpublished_key = answers
        .dkim_selectors()
        .iter()
        .any(|(_, s)| new_keys.contains(s) || !published.contains(&s.as_str()));
    let chosen = |id: &str| match id {
        SMARTHOST_STEP => Condition::Smarthost.holds(answers),
        DKIM_STEP => unpublished_key,
        _ => false,
    };
    let applicable = |s: &Step| s.when.iter().all(|c| c.holds(answers));
    let mut fixes: Vec<Fix> = Vec::new();
    for step in steps {
        let planned_step = planned.iter().find(|p| p.id == step.id);
        let is_chosen = chosen(&step.id) && applicable(step);
        if planned_step.is_none() && !is_chosen {
            continue;
        }
        let because = planned_step.map(|p| p.because.as_slice()).unwrap_or(&[]);
        let worst = because.iter().map(|r| r.severity).min_by_key(|s| s.rank());
        let continues_preselected = step
            .with
            .iter()
            .any(|w| fixes.iter().any(|f| f.step == *w && f.preselected));
        fixes.push(Fix {
            step: step.id.clone(),
            worst,
            findings: because.len(),
            chosen: is_chosen,
            preselected: is_chosen || worst == Some(Severity::Critical) || continues_preselected,
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
    fn findings_and_choices_make_the_offer() {
        let (p, a) = setup("domain: example.org\nipv4: 203.0.113.10\n");
        let findings = vec![
            Finding::new(FindingId::SpfMissing, Severity::Critical, "example.org"),
            Finding::new(FindingId::DmarcPolicyNone, Severity::Warning, "example.org"),
            Finding::new(
                FindingId::DkimOk,
                Severity::Ok,
                "mail._domainkey.example.org",
            )
            .with("selector", "mail"),
        ];
        // The key for "mail" is published and was kept: no DKIM step.
        let fixes = offer(&p.steps, &a, &findings, &p.findings, &[]);
        assert!(ids(&fixes, false).contains(&"spf-record"));
        assert!(!ids(&fixes, false).contains(&DKIM_STEP), "{fixes:?}");
        assert_eq!(ids(&fixes, true), vec!["spf-record"]);
        let spf = fixes.iter().find(|f| f.step == "spf-record").unwrap();
        assert_eq!(
            (spf.worst, spf.findings, spf.chosen),
            (Some(Severity::Critical), 1, false)
        );
        // A new key must be published: offered and preselected.
        let fixes = offer(&p.steps, &a, &findings, &p.findings, &["mail".into()]);
        let dkim = fixes.iter().find(|f| f.step == DKIM_STEP).unwrap();
        assert!(dkim.chosen && dkim.preselected && dkim.worst.is_none());

        let (p, a) = setup(
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: sendgrid, username: apikey, password_file: /p}\n",
        );
        let fixes = offer(&p.steps, &a, &[], &p.findings, &[]);
        assert_eq!(ids(&fixes, true), vec![SMARTHOST_STEP, DKIM_STEP]);
    }

    #[test]
    fn continuing_steps_follow_their_parent() {
        let (p, a) = setup("domain: example.org\nipv4: 203.0.113.10\n");
        let findings = vec![Finding::new(
            FindingId::DmarcMissing,
            Severity::Critical,
            "example.org",
        )];
        let fixes = offer(&p.steps, &a, &findings, &p.findings, &[]);
        let pre = ids(&fixes, true);
        assert!(
            pre.contains(&"dmarc-record") && pre.contains(&"dmarc-reports"),
            "{pre:?}"
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
