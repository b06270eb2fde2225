//! The `relay-test` report: one row per relay case, a verdict, and the dialogue.

use serde::Serialize;

use super::relay::RelayVerdict;
use crate::facts::{CertificateVerdict, RcptResult, SmtpProbe, TlsOutcome};
use crate::render::{RenderError, Renderer};
use crate::report::Tool;

pub const RELAY_SCHEMA: &str = "mxdoctor/relay-test/v1";

#[derive(Clone, Debug, Serialize)]
pub struct RelayReport {
    pub schema: &'static str,
    pub tool: Tool,
    pub server: Server,
    /// "open", "closed", "incomplete", or "unreachable" when no case could be tried.
    pub verdict: &'static str,
    /// The domain that stood for the server's own in the cases.
    pub domain: Option<String>,
    pub greeting: Option<String>,
    pub tls: Tls,
    pub cases: Vec<CaseRow>,
    /// What cut a session short, if anything: "RCPT: the server closed the connection".
    pub failure: Option<String>,
    pub transcript: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Server {
    pub label: String,
    pub host: String,
    pub port: u16,
    pub address: Option<String>,
    pub implicit_tls: bool,
    /// Why no session could be opened, when none was.
    pub connection: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tls {
    /// "established", "not-offered", "failed", "not-tried".
    pub status: &'static str,
    pub version: Option<String>,
    pub cipher: Option<String>,
    /// "valid", or the problem and its detail.
    pub certificate: Option<String>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseRow {
    pub case: String,
    pub sender: String,
    pub recipient: String,
    pub result: &'static str,
    /// The severity mark of the row: an accepted case is critical.
    pub mark: &'static str,
    /// The reply that decided.
    pub reply: Option<String>,
    pub mail_reply: Option<String>,
    pub rcpt_reply: Option<String>,
}

impl RelayReport {
    pub fn new(probe: &SmtpProbe) -> Self {
        let verdict = if probe.relay.is_empty()
            || probe
                .relay
                .iter()
                .all(|c| c.result == RcptResult::NotTested)
        {
            "unreachable"
        } else {
            RelayVerdict::of(probe.relay.iter().map(|c| c.result)).as_str()
        };
        let connection = match &probe.connection {
            crate::facts::Connection::Connected { .. } => None,
            crate::facts::Connection::Failed { detail, .. }
            | crate::facts::Connection::NoAddress { detail } => Some(detail.clone()),
            crate::facts::Connection::Skipped { reason } => {
                Some(format!("not attempted: {reason}"))
            }
            crate::facts::Connection::NotAsked => Some("not attempted".into()),
        };
        let tls = match &probe.tls {
            TlsOutcome::Established(s) => Tls {
                status: "established",
                version: Some(s.version.clone()),
                cipher: Some(s.cipher.clone()),
                certificate: Some(match &s.verification {
                    CertificateVerdict::Valid => "valid".into(),
                    CertificateVerdict::Invalid { problem, detail } => {
                        format!("{} ({detail})", problem.as_str())
                    }
                }),
                detail: None,
            },
            TlsOutcome::NotOffered => Tls {
                status: "not-offered",
                version: None,
                cipher: None,
                certificate: None,
                detail: None,
            },
            TlsOutcome::Failed { stage, detail } => Tls {
                status: "failed",
                version: None,
                cipher: None,
                certificate: None,
                detail: Some(format!("{stage}: {detail}")),
            },
            TlsOutcome::NotTried => Tls {
                status: "not-tried",
                version: None,
                cipher: None,
                certificate: None,
                detail: None,
            },
        };
        let cases = probe
            .relay
            .iter()
            .map(|c| {
                let mail = c.mail_reply.as_ref().map(|r| r.one_line());
                let rcpt = c.rcpt_reply.as_ref().map(|r| r.one_line());
                CaseRow {
                    case: c.case.clone(),
                    sender: c.sender.clone(),
                    recipient: c.recipient.clone(),
                    result: c.result.as_str(),
                    mark: match c.result {
                        RcptResult::Accepted => "critical",
                        RcptResult::Refused => "ok",
                        RcptResult::TempFailed | RcptResult::NotTested => "unknown",
                    },
                    reply: rcpt.clone().or_else(|| mail.clone()),
                    mail_reply: mail,
                    rcpt_reply: rcpt,
                }
            })
            .collect();
        RelayReport {
            schema: RELAY_SCHEMA,
            tool: Tool::current(),
            server: Server {
                label: probe.label(),
                host: probe.host.clone(),
                port: probe.port,
                address: probe.address.map(|a| a.to_string()),
                implicit_tls: probe.implicit_tls,
                connection,
            },
            verdict,
            domain: probe.domain.clone(),
            greeting: probe.greeting.as_ref().map(|g| g.one_line()),
            tls,
            cases,
            failure: probe
                .failure
                .as_ref()
                .map(|f| format!("{}: {}", f.stage, f.detail)),
            transcript: probe.transcript.clone(),
        }
    }

    /// Exit code: 3 when any case was accepted, 0 when all were refused, 4 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            "open" => crate::exit::CRITICAL,
            "closed" => crate::exit::CLEAN,
            _ => crate::exit::INCOMPLETE,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Text or Markdown through `relay/<format>`; `verbose` adds the dialogue.
    pub fn render(
        &self,
        renderer: &Renderer,
        format: &str,
        verbose: bool,
    ) -> Result<String, RenderError> {
        #[derive(Serialize)]
        struct View<'a> {
            #[serde(flatten)]
            report: &'a RelayReport,
            verbose: bool,
        }
        renderer.render(
            &format!("relay/{format}"),
            &View {
                report: self,
                verbose,
            },
        )
    }
}
