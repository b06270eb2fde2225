//! The explained bounce: the JSON contract (`mxdoctor/bounce/v1`), and the text and
//! Markdown views through `templates/bounce/`.

use serde::Serialize;
use serde_json::json;

use crate::render::{RenderError, Renderer};
use crate::report::Tool;

use super::classify::MatchedBy;
use super::message::Form;
use super::playbook::Side;

pub const BOUNCE_SCHEMA: &str = "mxdoctor/bounce/v1";

/// The explanation of one bounce (or pasted reply).
#[derive(Clone, Debug, Serialize)]
pub struct BounceReport {
    pub schema: &'static str,
    pub tool: Tool,
    /// How the input carried its information.
    pub source: Form,
    /// The address the bounced message was sent from, when the bounce reveals it.
    pub sender: Option<String>,
    pub sender_domain: Option<String>,
    /// Your server's address as the receiver saw it, when a reply names it.
    pub sending_ip: Option<String>,
    pub reporting_mta: Option<String>,
    pub recipients: Vec<RecipientReport>,
}

/// One recipient, explained. The first eleven fields are the design's contract.
#[derive(Clone, Debug, Serialize)]
pub struct RecipientReport {
    pub recipient: Option<String>,
    pub action: Option<String>,
    /// Enhanced status code, e.g. "5.7.1".
    pub status: Option<String>,
    pub reply_code: Option<u16>,
    pub diagnostic: String,
    pub remote_mta: Option<String>,
    /// Sisimai's reason vocabulary.
    pub reason: String,
    /// Provider id ("google", "microsoft"…).
    pub provider: Option<String>,
    /// Finding ids to re-check with `mxdoctor check`.
    pub findings: Vec<String>,
    pub explanation: String,
    pub fix: String,

    /// One line naming the cause.
    pub title: String,
    /// A temporary failure: the sending server retries by itself.
    pub temporary: bool,
    pub provider_name: Option<String>,
    /// Where the provider documents its rules for senders.
    pub postmaster: Option<String>,
    /// The blocklist the reply names.
    pub blocklist: Option<String>,
    /// Where to look the listing up.
    pub blocklist_lookup: Option<String>,
    /// RFC 3463 meaning of the status code's class, subject and detail.
    pub status_meaning: Option<StatusMeaning>,
    /// RFC 5321 meaning of the reply code.
    pub reply_meaning: Option<String>,
    /// The SMTP command the reply answered.
    pub smtp_command: Option<String>,
    /// Your server's address, when the reply names it.
    pub sending_ip: Option<String>,
    /// Who has to act.
    pub side: Side,
    /// The command that re-checks the findings (placeholders DOMAIN and IP when unknown).
    pub check: Option<String>,
    /// More commands worth running.
    pub commands: Vec<String>,
    pub matched_by: MatchedBy,
    /// The playbook pattern that decided, when one did.
    pub pattern: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusMeaning {
    pub class: String,
    pub subject: String,
    /// Absent for details outside the registry (provider-specific codes).
    pub detail: Option<String>,
}

impl BounceReport {
    pub fn to_json(&self) -> String {
        // Only strings, numbers and lists: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Text or Markdown through `bounce/<format>`.
    pub fn to_template(&self, renderer: &Renderer, format: &str) -> Result<String, RenderError> {
        let view = json!({
            "report": self,
            "count": self.recipients.len(),
        });
        renderer.render(&format!("bounce/{format}"), &view)
    }
}
