//! Remediation steps (`playbooks/steps.yaml`) and the plan builder.
//!
//! A step is data: a title, why it matters, what to do and how to verify it, as Handlebars
//! templates. Finding playbooks point at steps through their `fix:` field. [`build`] is pure:
//! findings + answers + steps → the ordered steps to take, each with the findings that call
//! for it. Rendering the words happens later, in the generator.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::answers::{Answers, MtaStsMode, Outbound};
use crate::diagnose::{Finding, Severity};

use super::FindingText;

/// Something about the answers a step needs to be useful at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// The server receives mail for the domain (MX points at it).
    ReceivesMail,
    /// Some mail leaves the server straight to recipients on port 25.
    SendsDirectly,
    /// A smarthost carries some or all outbound mail.
    Smarthost,
    /// DMARC aggregate reports are requested (`dmarc.rua` set).
    DmarcReports,
    /// An MTA-STS policy is published.
    MtaSts,
    /// A TLS-RPT record is published.
    TlsRpt,
}

impl Condition {
    pub fn holds(self, answers: &Answers) -> bool {
        match self {
            Condition::ReceivesMail => answers.receives_mail,
            Condition::SendsDirectly => answers.sends_directly(),
            Condition::Smarthost => {
                answers.outbound == Outbound::Smarthost && answers.smarthost.is_some()
            }
            Condition::DmarcReports => answers.dmarc.rua.is_some(),
            Condition::MtaSts => answers.mta_sts.mode != MtaStsMode::None,
            Condition::TlsRpt => answers.tls_rpt.rua.is_some(),
        }
    }
}

/// One remediation step as written in `steps.yaml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable id, referenced by the `fix:` of finding playbooks.
    pub id: String,
    pub title: String,
    /// Why receivers care (template).
    pub why: String,
    /// What to do, pointing at the generated files (template).
    #[serde(rename = "do")]
    pub actions: String,
    /// Commands that show the step worked (templates, one command each).
    pub verify: Vec<String>,
    /// Include the step only when all of these hold.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// Include the step whenever one of these steps is included (it continues them).
    #[serde(default)]
    pub with: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

/// A step chosen for the plan and the findings that call for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedStep {
    pub id: String,
    /// Ids and subjects of the findings whose fix is this step (empty when generating blind).
    pub because: Vec<Reason>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub finding: String,
    pub severity: Severity,
    pub subject: String,
}

/// The ordered steps for these answers. Without findings (generating blind) every step whose
/// conditions hold; with findings only those a non-ok finding calls for, plus the steps that
/// continue them (`with`).
pub fn build(
    steps: &[Step],
    answers: &Answers,
    findings: Option<&[Finding]>,
    texts: &std::collections::BTreeMap<String, FindingText>,
) -> Vec<PlannedStep> {
    let applicable = |s: &Step| s.when.iter().all(|c| c.holds(answers));
    let Some(findings) = findings else {
        return steps
            .iter()
            .filter(|s| applicable(s))
            .map(|s| PlannedStep {
                id: s.id.clone(),
                because: Vec::new(),
            })
            .collect();
    };
    let mut reasons: Vec<(String, Reason)> = Vec::new();
    for f in findings.iter().filter(|f| f.severity != Severity::Ok) {
        if let Some(fix) = texts.get(f.id.as_str()).and_then(|t| t.fix.as_ref()) {
            reasons.push((
                fix.clone(),
                Reason {
                    finding: f.id.as_str().to_string(),
                    severity: f.severity,
                    subject: f.subject.clone(),
                },
            ));
        }
    }
    let mut wanted: BTreeSet<&str> = reasons.iter().map(|(id, _)| id.as_str()).collect();
    // Follow `with` links; each pass adds at least one step or stops, so steps.len() bounds it.
    for _ in 0..steps.len() {
        let before = wanted.len();
        for s in steps {
            if s.with.iter().any(|w| wanted.contains(w.as_str())) {
                wanted.insert(&s.id);
            }
        }
        if wanted.len() == before {
            break;
        }
    }
    steps
        .iter()
        .filter(|s| wanted.contains(s.id.as_str()) && applicable(s))
        .map(|s| PlannedStep {
            id: s.id.clone(),
            because: reasons
                .iter()
                .filter(|(id, _)| *id == s.id)
                .map(|(_, r)| r.clone())
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::AnswerLayer;
    use crate::assets::Assets;
    use crate::diagnose::FindingId;
    use crate::plan::Playbooks;

    fn playbooks() -> Playbooks {
        Playbooks::load(&Assets::default()).unwrap()
    }

    fn answers(p: &Playbooks, yaml: &str) -> Answers {
        AnswerLayer::from_yaml("test", yaml)
            .unwrap()
            .resolve(&p.smarthosts)
            .unwrap()
    }

    #[test]
    fn every_fix_names_an_existing_step() {
        let p = playbooks();
        let ids: BTreeSet<&str> = p.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), p.steps.len(), "duplicate step id");
        for (finding, text) in &p.findings {
            if let Some(fix) = &text.fix {
                assert!(
                    ids.contains(fix.as_str()),
                    "{finding}: fix {fix:?} is not a step"
                );
            }
        }
        for step in &p.steps {
            for w in &step.with {
                assert!(
                    ids.contains(w.as_str()),
                    "{}: with {w:?} is not a step",
                    step.id
                );
            }
        }
        for required in [
            "mx-record",
            "ptr-and-helo",
            "spf-record",
            "dkim-record",
            "dmarc-record",
            "mta-sts",
            "tls-rpt",
            "delisting",
            "smarthost",
            "postfix-relay",
        ] {
            assert!(ids.contains(required), "step {required} missing");
        }
    }

    #[test]
    fn blind_plans_follow_the_answers() {
        let p = playbooks();
        let ids = |a: &Answers| -> Vec<String> {
            build(&p.steps, a, None, &p.findings)
                .into_iter()
                .map(|s| s.id)
                .collect()
        };
        let direct = answers(&p, "domain: example.org\nipv4: 203.0.113.10\n");
        let got = ids(&direct);
        assert_eq!(got.first().map(String::as_str), Some("egress"));
        assert!(!got.contains(&"smarthost".to_string()));
        assert!(got.contains(&"mta-sts".to_string()));
        let relayed = answers(
            &p,
            "domain: example.org\nreceives_mail: false\nmta_sts: {mode: none}\noutbound: smarthost\n\
             smarthost: {provider: sendgrid, username: apikey, password_file: /p}\n",
        );
        let got = ids(&relayed);
        for absent in [
            "egress",
            "ptr-and-helo",
            "mx-record",
            "mta-sts",
            "delisting",
        ] {
            assert!(!got.contains(&absent.to_string()), "{absent} in {got:?}");
        }
        assert!(got.contains(&"smarthost".to_string()));
    }

    #[test]
    fn findings_choose_steps_and_with_links_follow() {
        let p = playbooks();
        let a = answers(&p, "domain: example.org\nipv4: 203.0.113.10\n");
        let findings = vec![
            Finding::new(FindingId::MxMissing, Severity::Critical, "example.org"),
            Finding::new(FindingId::PtrOk, Severity::Ok, "203.0.113.10"),
        ];
        let plan = build(&p.steps, &a, Some(&findings), &p.findings);
        let ids: Vec<&str> = plan.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["mx-record"]);
        assert_eq!(plan[0].because[0].finding, "mx.missing");
        // A step pulls in the steps that continue it.
        let mut texts = p.findings.clone();
        texts.get_mut("mx.missing").unwrap().fix = Some("dmarc-record".into());
        let plan = build(&p.steps, &a, Some(&findings), &texts);
        let ids: Vec<&str> = plan.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "dmarc-record",
                "dmarc-reports",
                "dmarc-enforce",
                "provider-enrolment"
            ]
        );
        assert!(build(&p.steps, &a, Some(&[]), &p.findings).is_empty());
    }
}
