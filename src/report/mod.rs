//! The report of a check: findings explained with their playbook text, a summary, and the
//! three output formats. Formatters return strings; the caller decides where they go.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnose::{Finding, Severity};
use crate::facts::Target;
use crate::plan::Playbooks;
use crate::render::{RenderError, Renderer};

pub const REPORT_SCHEMA: &str = "mxdoctor/report/v1";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no playbook entry for finding {0}")]
    NoText(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn current() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// A finding with its words.
#[derive(Clone, Debug, Serialize)]
pub struct ReportFinding {
    pub id: String,
    pub severity: Severity,
    pub subject: String,
    pub title: String,
    pub detail: String,
    /// Why receivers care (absent for passed checks).
    pub why: Option<String>,
    /// What to do (absent for passed checks).
    pub remedy: Option<String>,
    pub evidence: Map<String, Value>,
    /// The remediation step that fixes it, when one applies.
    pub fix: Option<String>,
    pub references: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub info: usize,
    pub warning: usize,
    pub critical: usize,
    pub unknown: usize,
}

impl Summary {
    pub fn count(findings: &[ReportFinding]) -> Self {
        let mut s = Summary::default();
        for f in findings {
            match f.severity {
                Severity::Ok => s.ok += 1,
                Severity::Info => s.info += 1,
                Severity::Warning => s.warning += 1,
                Severity::Critical => s.critical += 1,
                Severity::Unknown => s.unknown += 1,
            }
        }
        s
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub target: Target,
    pub findings: Vec<ReportFinding>,
    pub summary: Summary,
}

/// How a run ends, by the design's exit-code contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean = 0,
    Warnings = 1,
    Critical = 3,
    Incomplete = 4,
}

impl Report {
    /// Explain every finding with its playbook text, most severe first within each area.
    pub fn build(
        target: Target,
        findings: &[Finding],
        playbooks: &Playbooks,
        renderer: &Renderer,
    ) -> Result<Self, ReportError> {
        let explained = findings
            .iter()
            .map(|f| explain(f, &target, playbooks, renderer))
            .collect::<Result<Vec<_>, _>>()?;
        let summary = Summary::count(&explained);
        Ok(Report {
            schema: REPORT_SCHEMA,
            tool: Tool::current(),
            target,
            findings: explained,
            summary,
        })
    }

    pub fn outcome(&self) -> Outcome {
        let s = &self.summary;
        if s.critical > 0 {
            Outcome::Critical
        } else if s.unknown > 0 {
            Outcome::Incomplete
        } else if s.warning > 0 {
            Outcome::Warnings
        } else {
            Outcome::Clean
        }
    }

    pub fn to_json(&self) -> String {
        // A Report holds only strings, numbers and maps: serialising it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Text or Markdown through the `report/<format>` template.
    pub fn to_template(
        &self,
        renderer: &Renderer,
        playbooks: &Playbooks,
        format: &str,
        verbosity: Verbosity,
    ) -> Result<String, ReportError> {
        let view = ReportView::new(self, playbooks, verbosity);
        Ok(renderer.render(&format!("report/{format}"), &view)?)
    }
}

/// How much the text and Markdown reports show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Problems only.
    Quiet,
    /// Problems explained, passed checks as one line each.
    Normal,
    /// Also the evidence of every finding.
    Verbose,
}

/// The report regrouped by area, as the templates see it.
#[derive(Serialize)]
struct ReportView<'a> {
    tool: &'a Tool,
    target: &'a Target,
    summary: &'a Summary,
    areas: Vec<AreaView<'a>>,
    verbose: bool,
}

#[derive(Serialize)]
struct AreaView<'a> {
    id: String,
    title: String,
    findings: Vec<FindingView<'a>>,
}

#[derive(Serialize)]
struct FindingView<'a> {
    #[serde(flatten)]
    finding: &'a ReportFinding,
    /// True for problems: the template shows why and what to do.
    explain: bool,
    /// The same finding with the same why and fix was shown just above in this area: the
    /// template shows only what differs (title and detail) instead of repeating them.
    repeat: bool,
    evidence_lines: Vec<String>,
}

impl<'a> ReportView<'a> {
    fn new(report: &'a Report, playbooks: &Playbooks, verbosity: Verbosity) -> Self {
        let mut by_area: BTreeMap<String, Vec<&ReportFinding>> = BTreeMap::new();
        for f in &report.findings {
            if verbosity == Verbosity::Quiet && matches!(f.severity, Severity::Ok | Severity::Info)
            {
                continue;
            }
            let area = f.id.split_once('.').map_or(f.id.as_str(), |(a, _)| a);
            by_area.entry(area.to_string()).or_default().push(f);
        }
        let mut order: Vec<(String, String)> = playbooks
            .areas
            .iter()
            .map(|a| (a.id.clone(), a.title.clone()))
            .collect();
        for area in by_area.keys() {
            if !order.iter().any(|(id, _)| id == area) {
                order.push((area.clone(), area.clone()));
            }
        }
        let areas = order
            .into_iter()
            .filter_map(|(id, title)| {
                let mut findings = by_area.remove(&id)?;
                findings.sort_by_key(|f| f.severity.rank());
                let mut views: Vec<FindingView> = Vec::with_capacity(findings.len());
                for f in findings {
                    let repeat = views.last().is_some_and(|prev| {
                        prev.finding.id == f.id
                            && prev.finding.why == f.why
                            && prev.finding.remedy == f.remedy
                    });
                    views.push(FindingView {
                        finding: f,
                        explain: !matches!(f.severity, Severity::Ok),
                        repeat,
                        evidence_lines: evidence_lines(&f.evidence),
                    });
                }
                Some(AreaView {
                    id,
                    title,
                    findings: views,
                })
            })
            .collect();
        ReportView {
            tool: &report.tool,
            target: &report.target,
            summary: &report.summary,
            areas,
            verbose: verbosity == Verbosity::Verbose,
        }
    }
}

fn evidence_lines(evidence: &Map<String, Value>) -> Vec<String> {
    evidence
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect()
}

fn explain(
    finding: &Finding,
    target: &Target,
    playbooks: &Playbooks,
    renderer: &Renderer,
) -> Result<ReportFinding, ReportError> {
    let id = finding.id.as_str();
    let text = playbooks
        .findings
        .get(id)
        .ok_or_else(|| ReportError::NoText(id.to_string()))?;
    let mut data = finding.evidence.clone();
    data.insert("subject".into(), Value::String(finding.subject.clone()));
    data.insert("domain".into(), Value::String(target.domain.clone()));
    data.insert(
        "host".into(),
        target.host.clone().map_or(Value::Null, Value::String),
    );
    let render = |field: &str, template: &str| {
        renderer
            .render_str(&format!("{id}.{field}"), template, &data)
            .map(|s| s.trim().to_string())
    };
    let problem = !matches!(finding.severity, Severity::Ok);
    Ok(ReportFinding {
        id: id.to_string(),
        severity: finding.severity,
        subject: finding.subject.clone(),
        title: render("title", &text.title)?,
        detail: render("detail", &text.detail)?,
        why: match (&text.why, problem) {
            (Some(t), true) => Some(render("why", t)?),
            _ => None,
        },
        remedy: match (&text.remedy, problem) {
            (Some(t), true) => Some(render("remedy", t)?),
            _ => None,
        },
        evidence: finding.evidence.clone(),
        fix: if problem { text.fix.clone() } else { None },
        references: text.references.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::diagnose::FindingId;

    /// A run of the same finding with the same explanation shows the explanation once.
    #[test]
    fn repeated_explanations_are_shown_once() {
        let assets = Assets::default();
        let playbooks = Playbooks::load(&assets).unwrap();
        let renderer = Renderer::new(&assets, false).unwrap();
        let failed = |list: &str| {
            Finding::new(
                FindingId::DnsblLookupFailed,
                Severity::Unknown,
                "192.0.2.10",
            )
            .with("list", list)
            .with("failure", "timeout")
            .with("query", format!("10.2.0.192.{list}"))
            .with("error", "no answer from the resolver")
            .with("lookup_url", serde_json::Value::Null)
        };
        let target = Target {
            domain: "example.org".into(),
            ..Target::default()
        };
        let findings = [
            failed("a.example"),
            failed("b.example"),
            failed("c.example"),
        ];
        let report = Report::build(target, &findings, &playbooks, &renderer).unwrap();
        let text = report
            .to_template(&renderer, &playbooks, "text", Verbosity::Normal)
            .unwrap();
        assert_eq!(text.matches("Fix:").count(), 1, "{text}");
        assert_eq!(text.matches("as above").count(), 2, "{text}");
        for list in ["a.example", "b.example", "c.example"] {
            assert!(text.contains(&format!("10.2.0.192.{list}")), "{text}");
        }
    }
}
