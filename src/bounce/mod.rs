//! The bounce explainer: from a bounce message, a delivery-status report or a pasted SMTP
//! reply to, for each recipient, the reason (in Sisimai's vocabulary), the findings to
//! re-check, the `mxdoctor check` command to run and the fix in plain words.
//!
//! Pipeline: [`input`] (bounded read) → [`message`] (MIME via mail-parser; RFC 3464 blocks
//! via [`dsn`]; notices and pastes via [`scan`] and [`reply`]; SES JSON via [`ses`]) →
//! [`classify`] (playbook patterns, status and reply codes, see its precedence) →
//! [`report`] (words from `playbooks/bounces/`, rendered through `templates/bounce/`).

pub mod classify;
pub mod dsn;
pub mod input;
pub mod message;
pub mod playbook;
pub mod reply;
pub mod report;
pub mod scan;
pub mod ses;
pub mod status;

use std::net::IpAddr;

use regex::RegexBuilder;
use serde_json::json;

use crate::assets::Assets;
use crate::plan::PlaybookError;
use crate::render::{RenderError, Renderer};
use crate::report::Tool;

use classify::{Classifier, Input, MatchedBy};
use message::{Delivery, Extracted, Form, FormRules};
use playbook::{BounceBook, Side};
use report::{BOUNCE_SCHEMA, BounceReport, RecipientReport, StatusMeaning};

pub use input::{MAX_INPUT_BYTES, read_input};

/// Why an input could not be explained.
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(
        "the input is empty: give a bounce message (.eml), a delivery report or a pasted SMTP reply"
    )]
    Empty,
    #[error(
        "the input looks like binary data, not a mail message or an SMTP reply \
         (save the bounce as .eml or paste the reply as text)"
    )]
    Binary,
    #[error("not a bounce: {0}")]
    NotABounce(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Playbooks and compiled patterns, built once and used for any number of inputs.
pub struct Explainer {
    book: BounceBook,
    classifier: Classifier,
    rules: FormRules,
}

impl Explainer {
    pub fn new(assets: &Assets) -> Result<Self, PlaybookError> {
        let book = BounceBook::load(assets)?;
        let classifier = Classifier::new(&book)?;
        let any = |what: &str, list: &[String]| -> Result<regex::Regex, PlaybookError> {
            let joined = if list.is_empty() {
                "$^".to_string()
            } else {
                list.iter()
                    .map(|p| format!("(?:{p})"))
                    .collect::<Vec<_>>()
                    .join("|")
            };
            RegexBuilder::new(&joined)
                .case_insensitive(true)
                .build()
                .map_err(|e| PlaybookError::Parse {
                    path: format!("{}extract.yaml", playbook::DIR),
                    message: format!("{what}: {e}"),
                })
        };
        let rules = FormRules {
            bounce_subject: any("bounce_subject", &book.extract.bounce_subject)?,
            auto_reply_subject: any("auto_reply_subject", &book.extract.auto_reply_subject)?,
            feedback_subject: any("feedback_subject", &book.extract.feedback_subject)?,
        };
        Ok(Explainer {
            book,
            classifier,
            rules,
        })
    }

    pub fn book(&self) -> &BounceBook {
        &self.book
    }

    /// Explain one input.
    pub fn explain(&self, bytes: &[u8], renderer: &Renderer) -> Result<BounceReport, BounceError> {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(BounceError::Empty);
        }
        if looks_binary(bytes) {
            return Err(BounceError::Binary);
        }
        let extracted = message::extract(bytes, &self.rules).ok_or_else(|| {
            BounceError::NotABounce(
                "this is a mail message, but it has no delivery report, no error reply and \
                 no bounce notice"
                    .into(),
            )
        })?;
        let extracted = self.keep_meaningful(extracted)?;
        self.build(extracted, renderer)
    }

    /// Drop recipients that carry no information, and refuse inputs that carry none.
    fn keep_meaningful(&self, mut e: Extracted) -> Result<Extracted, BounceError> {
        let informative = |d: &Delivery| {
            message::has_signal(d)
                || self.classifier.matches_any(&reply::for_matching(&format!(
                    "{}\n{}",
                    d.diagnostic, d.context
                )))
        };
        let any_informative = e.deliveries.iter().any(informative);
        if any_informative {
            e.deliveries
                .retain(|d| informative(d) || d.recipient.is_some());
            if e.form == Form::Reply {
                e.deliveries.retain(informative);
            }
            return Ok(e);
        }
        match e.form {
            Form::Reply => Err(BounceError::NotABounce(
                "no SMTP reply code, enhanced status code or known bounce wording found \
                 (paste the whole reply, e.g. \"550 5.7.1 ...\", or give the bounce as .eml)"
                    .into(),
            )),
            _ if !e.bounce_marked => Err(BounceError::NotABounce(
                "this is a mail message, but it has no delivery report, no error reply and \
                 no bounce notice"
                    .into(),
            )),
            _ => {
                if e.deliveries.is_empty() {
                    e.deliveries.push(Delivery::default());
                }
                Ok(e)
            }
        }
    }

    fn build(&self, e: Extracted, renderer: &Renderer) -> Result<BounceReport, BounceError> {
        let mut sender_domain = e
            .sender
            .as_deref()
            .and_then(|s| s.rsplit_once('@'))
            .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
            .filter(|d| d.contains('.'));
        if sender_domain.is_none() {
            sender_domain = e.deliveries.iter().find_map(|d| {
                self.classifier.sender_domain(&reply::for_matching(&format!(
                    "{}\n{}",
                    d.diagnostic, d.context
                )))
            });
        }
        let mut recipients = Vec::with_capacity(e.deliveries.len());
        for d in &e.deliveries {
            recipients.push(self.explain_one(d, &e, sender_domain.as_deref(), renderer)?);
        }
        let sending_ip = recipients.iter().find_map(|r| r.sending_ip.clone());
        Ok(BounceReport {
            schema: BOUNCE_SCHEMA,
            tool: Tool::current(),
            source: e.form,
            sender: e.sender.clone(),
            sender_domain,
            sending_ip,
            reporting_mta: e.reporting_mta.clone(),
            recipients,
        })
    }

    fn explain_one(
        &self,
        d: &Delivery,
        e: &Extracted,
        sender_domain: Option<&str>,
        renderer: &Renderer,
    ) -> Result<RecipientReport, BounceError> {
        let book = &self.book;
        let text = reply::for_matching(&format!("{}\n{}", d.diagnostic, d.context));
        let recipient_domain = d
            .recipient
            .as_deref()
            .and_then(|r| r.rsplit_once('@'))
            .map(|(_, dom)| dom.to_ascii_lowercase());
        let remote = d.remote_mta.as_deref().map(str::to_ascii_lowercase);
        let input = Input {
            text: &text,
            reply_code: d.reply_code,
            status: d.status,
            command: d.command,
            action: d.action.as_deref(),
            remote_mta: remote.as_deref(),
            recipient_domain: recipient_domain.as_deref(),
            diagnostic_type: d.diagnostic_type.as_deref(),
            has_diagnostic: !d.diagnostic.trim().is_empty(),
        };
        let verdict = match d.forced_reason {
            Some(reason) => classify::Verdict {
                reason: reason.to_string(),
                matched_by: MatchedBy::Form,
                pattern: None,
            },
            None => self.classifier.classify(book, &input),
        };
        let pattern = verdict.pattern.map(|i| &self.classifier.pattern(i).pattern);
        let provider = pattern
            .and_then(|p| p.provider.as_deref())
            .and_then(|id| book.providers.iter().position(|p| p.id == id))
            .or_else(|| self.classifier.provider(book, &input))
            .map(|i| &book.providers[i]);
        let blocklist = self
            .classifier
            .blocklist(&text)
            .map(|i| &book.extract.blocklists[i]);
        let reason = book
            .reasons
            .get(&verdict.reason)
            .or_else(|| book.reasons.get("undefined"))
            .ok_or_else(|| RenderError::Render {
                name: "bounces/reasons.yaml".into(),
                message: format!("no words for reason {}", verdict.reason),
            })?;

        // Findings: the blocklist's first (it names the listing), then the pattern's or
        // the reason's.
        let mut findings: Vec<String> = Vec::new();
        let base = pattern
            .and_then(|p| p.findings.clone())
            .unwrap_or_else(|| reason.findings.clone());
        let listed = blocklist
            .filter(|_| reason.side == Side::Sender)
            .map(|b| b.findings.clone())
            .unwrap_or_default();
        for id in listed.iter().chain(base.iter()) {
            let id = id.as_str().to_string();
            if !findings.contains(&id) {
                findings.push(id);
            }
        }

        let remote_ip: Option<IpAddr> = remote.as_deref().and_then(|r| r.parse().ok());
        let sending_ip = reply::find_ips(&d.diagnostic)
            .into_iter()
            .find(|ip| Some(*ip) != remote_ip)
            .map(|ip| ip.to_string());
        let temporary = d.status.is_some_and(|s| s.is_temporary())
            || d.reply_code.is_some_and(|c| (400..500).contains(&c))
            || d.action.as_deref() == Some("delayed");

        let (check, commands) = commands(
            reason.side,
            &findings,
            sender_domain,
            sending_ip.as_deref(),
            recipient_domain.as_deref(),
        );
        let status_meaning = d.status.map(|s| StatusMeaning {
            class: book
                .codes
                .classes
                .get(&s.class.to_string())
                .cloned()
                .unwrap_or_default(),
            subject: book
                .codes
                .subjects
                .get(&s.subject.to_string())
                .cloned()
                .unwrap_or_else(|| "Unregistered subject".into()),
            detail: book.codes.details.get(&s.subject_detail()).cloned(),
        });
        let reply_meaning = d
            .reply_code
            .and_then(|c| book.codes.reply_codes.get(&c.to_string()))
            .map(|m| m.meaning.clone());

        let words = json!({
            "recipient": d.recipient,
            "recipient_domain": recipient_domain,
            "domain": sender_domain,
            "ip": sending_ip,
            "remote_mta": d.remote_mta,
            "provider_name": provider.map(|p| p.name.clone()),
            "postmaster": provider.and_then(|p| p.postmaster.clone()),
            "blocklist": blocklist.map(|b| b.name.clone()),
            "blocklist_lookup": blocklist.and_then(|b| b.lookup.clone()),
            "status": d.status.map(|s| s.to_string()),
            "reply_code": d.reply_code,
            "check": check,
            "temporary": temporary,
        });
        let origin = |what: &str| match pattern {
            Some(p) => format!("bounces pattern {} {what}", p.id),
            None => format!("bounces reason {} {what}", verdict.reason),
        };
        let explanation_template = pattern
            .and_then(|p| p.explanation.as_deref())
            .unwrap_or(&reason.explanation);
        let fix_template = pattern
            .and_then(|p| p.fix.as_deref())
            .unwrap_or(&reason.fix);
        let explanation = renderer
            .render_str(&origin("explanation"), explanation_template, &words)?
            .trim()
            .to_string();
        let fix = renderer
            .render_str(&origin("fix"), fix_template, &words)?
            .trim()
            .to_string();
        let title = renderer
            .render_str(&origin("title"), &reason.title, &words)?
            .trim()
            .to_string();

        Ok(RecipientReport {
            recipient: d.recipient.clone(),
            action: d.action.clone().or_else(|| {
                (e.form != Form::Reply && d.forced_reason.is_none())
                    .then(|| if temporary { "delayed" } else { "failed" }.to_string())
            }),
            status: d.status.map(|s| s.to_string()),
            reply_code: d.reply_code,
            diagnostic: d.diagnostic.clone(),
            remote_mta: d.remote_mta.clone(),
            reason: verdict.reason.clone(),
            provider: provider.map(|p| p.id.clone()),
            findings,
            explanation,
            fix,
            title,
            temporary,
            provider_name: provider.map(|p| p.name.clone()),
            postmaster: provider.and_then(|p| p.postmaster.clone()),
            blocklist: blocklist.map(|b| b.name.clone()),
            blocklist_lookup: blocklist.and_then(|b| b.lookup.clone()),
            status_meaning,
            reply_meaning,
            smtp_command: d.command.map(|c| c.as_str().to_string()),
            sending_ip,
            side: reason.side,
            check,
            commands,
            matched_by: verdict.matched_by,
            pattern: pattern.map(|p| p.id.clone()),
        })
    }
}

/// The check command for the side that must act, and further commands worth running.
/// Unknown values stay as the placeholders DOMAIN and IP.
fn commands(
    side: Side,
    findings: &[String],
    sender_domain: Option<&str>,
    ip: Option<&str>,
    recipient_domain: Option<&str>,
) -> (Option<String>, Vec<String>) {
    if findings.is_empty() {
        return (None, Vec::new());
    }
    match side {
        Side::Sender => {
            let check = format!(
                "mxdoctor check {} --ip {}",
                sender_domain.unwrap_or("DOMAIN"),
                ip.unwrap_or("IP")
            );
            let mut more = Vec::new();
            if findings
                .iter()
                .any(|f| f.starts_with("dnsbl.") || f.starts_with("dbl."))
            {
                let mut targets = vec![ip.unwrap_or("IP").to_string()];
                if findings.iter().any(|f| f.starts_with("dbl.")) {
                    targets.push(sender_domain.unwrap_or("DOMAIN").to_string());
                }
                more.push(format!("mxdoctor blocklist {}", targets.join(" ")));
            }
            (Some(check), more)
        }
        Side::Recipient => (
            Some(format!(
                "mxdoctor check {}",
                recipient_domain.unwrap_or("RECIPIENT-DOMAIN")
            )),
            Vec::new(),
        ),
        Side::Remote | Side::None => (None, Vec::new()),
    }
}

/// NUL bytes or many control characters in the first 8 KiB: not text.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    nuls > 0 && nuls * 1000 > sample.len() || controls * 100 > sample.len() * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_detection() {
        assert!(looks_binary(&[0u8, 1, 2, 3, 4, 5, 200, 201]));
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(looks_binary(&noise));
        assert!(!looks_binary(b"550 5.7.1 blocked\r\n"));
        assert!(!looks_binary(
            "ISO-2022-JP \x1b$B%F%9%H\x1b(B text".as_bytes()
        ));
        assert!(!looks_binary(&[
            0xe9, b'l', 0xe8, b'v', b'e', b' ', b'5', b'5', b'0'
        ]));
    }

    #[test]
    fn check_commands_fill_what_is_known() {
        let findings = vec!["dnsbl.listed".to_string(), "ptr.missing".to_string()];
        let (check, more) = commands(Side::Sender, &findings, Some("example.org"), None, None);
        assert_eq!(check.as_deref(), Some("mxdoctor check example.org --ip IP"));
        assert_eq!(more, ["mxdoctor blocklist IP"]);
        let (check, more) = commands(
            Side::Recipient,
            &["mx.missing".to_string()],
            Some("example.org"),
            Some("192.0.2.1"),
            Some("example.net"),
        );
        assert_eq!(check.as_deref(), Some("mxdoctor check example.net"));
        assert!(more.is_empty());
        assert_eq!(commands(Side::Remote, &findings, None, None, None).0, None);
        assert_eq!(commands(Side::Sender, &[], None, None, None).0, None);
    }
}
