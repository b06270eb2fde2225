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
