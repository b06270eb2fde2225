//! From the bytes a user gives to what a bounce says, recipient by recipient.
//!
//! The input may be a MIME bounce (mail-parser reads the MIME; RFC 3464 field blocks are
//! read by [`super::dsn`]), a bounce without a report part (its notice is read by
//! [`super::scan`]), an Amazon SES notification (JSON), a complaint report (ARF), an
//! auto-reply, a bare delivery-status block, or a pasted reply or log line.

use std::sync::LazyLock;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;

use super::dsn::{self, DsnReport, RecipientFields};
use super::reply;
use super::scan::{self, Block, Hints};
use super::ses;
use super::status::{SmtpCommand, Status};

/// Longest diagnostic read from a report: replies are a few hundred bytes.
const MAX_DIAGNOSTIC_BYTES: usize = 8 * 1024;

/// At most `max` bytes of `text`, cut on a character boundary.
fn bounded(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How the input carried its information.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// A message with an RFC 3464 / RFC 6533 delivery-status part.
    DeliveryStatus,
    /// A bounce message written for humans only.
    Notice,
    /// A pasted SMTP reply, log line or notice text (not a whole message).
    Reply,
    /// An Amazon SES (or SNS) JSON notification.
    SesNotification,
    /// An ARF complaint report (RFC 5965).
    FeedbackReport,
    /// An out-of-office or other automatic reply (RFC 3834).
    AutoReply,
}

/// What the input says about one recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<Status>,
    pub reply_code: Option<u16>,
    /// The remote server's words (or the notice's), one line.
    pub diagnostic: String,
    /// `smtp`, `x-unix`… when a report says it.
    pub diagnostic_type: Option<String>,
    pub remote_mta: Option<String>,
    pub command: Option<SmtpCommand>,
    /// More words about this recipient, for classification only.
    pub context: String,
    /// Set when the form of the input decides the reason (complaints, auto-replies).
    pub forced_reason: Option<&'static str>,
}

/// Everything extracted from one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub form: Form,
    /// The address the bounced message was sent from, when the bounce reveals it.
    pub sender: Option<String>,
    /// The server that wrote the report.
    pub reporting_mta: Option<String>,
    /// Whether headers mark the input as a bounce (report part, mailer-daemon sender…).
    pub bounce_marked: bool,
    pub deliveries: Vec<Delivery>,
}

/// Regexes from `extract.yaml` that recognise bounces and auto-replies by their headers.
pub struct FormRules {
    pub bounce_subject: Regex,
    pub auto_reply_subject: Regex,
    pub feedback_subject: Regex,
}

/// Headers only automatic replies carry (RFC 3834 and common vendor headers).
const AUTO_REPLY_HEADERS: &[&str] = &[
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-Apple-Action",
    "X-Vacation",
];

static HEADER_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][A-Za-z0-9_-]{0,62}):").expect("static regex"));

/// Header names that only a message starts with.
const MESSAGE_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "received",
    "return-path",
    "message-id",
    "mime-version",
    "content-type",
    "delivered-to",
    "x-failed-recipients",
    "auto-submitted",
];

/// Local parts of the addresses bounces come from.
const DAEMON_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "mailer_daemon",
    "mail-daemon",
    "maildaemon",
    "postmaster",
    "mail.delivery.system",
    "mdaemon",
    "bounce",
    "bounces",
    "mailerdaemon",
];

/// Read the input. `None` when it is a message that is neither a bounce, nor a report,
/// nor an auto-reply; pasted text is always returned (the caller decides if it is a reply).
pub fn extract(bytes: &[u8], rules: &FormRules) -> Option<Extracted> {
    let text = String::from_utf8_lossy(bytes);
    if looks_like_message(&text) {
        return from_message(bytes, rules);
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && let Some(ses) = ses::from_json(trimmed)
    {
        return Some(ses);
    }
    let report = dsn::parse(&text);
    if report.recipients.iter().any(|r| r.address().is_some()) {
        let blocks = scan::scan(&text, &Hints::default());
        return Some(Extracted {
            form: Form::DeliveryStatus,
            sender: report.sender.clone(),
            reporting_mta: report.reporting_mta.as_ref().map(|t| t.value.clone()),
            bounce_marked: true,
            deliveries: from_report(&report, &blocks),
        });
    }
    let deliveries = scan::scan(&text, &Hints::default())
        .into_iter()
        .map(from_block)
        .collect();
    Some(Extracted {
        form: Form::Reply,
        sender: None,
        reporting_mta: None,
        bounce_marked: false,
        deliveries,
    })
}

/// A header block at the top: at least two fields, one of them a message header.
fn looks_like_message(text: &str) -> bool {
    let mut fields = 0usize;
    let mut message_fields = 0usize;
    for (i, line) in text.lines().enumerate() {
        if i == 0 && line.starts_with("From ") {
            // An mbox separator line.
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some(c) = HEADER_LINE.captures(line) else {
            return false;
        };
        fields += 1;
        if MESSAGE_HEADERS.contains(&c[1].to_ascii_lowercase().as_str()) {
            message_fields += 1;
        }
        if i > 500 {
            break;
        }
    }
    fields >= 2 && message_fields >= 1
}

/// The parts of a message that matter, collected once.
#[derive(Default)]
struct Collected {
    reports: Vec<String>,
    notice: String,
    html_notice: String,
    feedback: Option<String>,
    original_sender: Option<String>,
    original_recipient: Option<String>,
}

fn from_message(bytes: &[u8], rules: &FormRules) -> Option<Extracted> {
    let message = MessageParser::default().parse(bytes)?;
    if message.parts.is_empty() {
        return None;
    }
    let mut collected = Collected::default();
    collect(&message, &mut collected);
    if collected.notice.trim().is_empty() && !collected.html_notice.is_empty() {
        collected.notice = mail_parser::decoders::html::html_to_text(&collected.html_notice);
    }

    let subject = message.subject().unwrap_or_default().to_string();
    let from = first_address(message.from());
    let to = first_address(message.to());
    let failed_recipients: Vec<String> = message
        .header_raw("X-Failed-Recipients")
        .map(|v| {
            v.split(',')
                .map(|a| a.trim().trim_matches(['<', '>']).to_string())
                .filter(|a| a.contains('@'))
                .take(500)
                .collect()
        })
        .unwrap_or_default();
    let from_daemon = from.as_deref().is_some_and(|a| {
        let local = a.split('@').next().unwrap_or("").to_ascii_lowercase();
        DAEMON_LOCAL_PARTS.contains(&local.as_str())
    });
    let null_return_path = message
        .header_raw("Return-Path")
        .is_some_and(|v| v.trim() == "<>");

    // Amazon SES notifications arrive as a message whose body is JSON.
    let body = collected.notice.trim_start();
    if body.starts_with('{')
        && let Some(mut ses) = ses::from_json(body)
    {
        ses.bounce_marked = true;
        return Some(ses);
    }

    let reports: Vec<DsnReport> = collected.reports.iter().map(|r| dsn::parse(r)).collect();
    let hints = Hints {
        exclude: [to.clone(), from.clone()].into_iter().flatten().collect(),
        known_recipients: failed_recipients.clone(),
    };
    let notice = collected.notice.clone();
    let blocks = scan::scan(&notice, &hints);
    let sender = collected
        .original_sender
        .clone()
        .or_else(|| reports.iter().find_map(|r| r.sender.clone()))
        .or_else(|| inline_original_sender(&notice))
        .or_else(|| to.clone());
    let reporting_mta = reports
        .iter()
        .find_map(|r| r.reporting_mta.as_ref().map(|t| t.value.clone()));

    // A complaint report: an ARF part, or a report whose MIME structure could not be
    // followed (the fields are then read from the raw body), or Apple's unsubscribe report.
    let report_type = message
        .content_type()
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    if collected.feedback.is_none() && report_type.as_deref() == Some("feedback-report") {
        collected.feedback = Some(raw_body(bytes));
    }
    let apple_unsubscribe = message
        .header_raw("X-Apple-Unsubscribe")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if apple_unsubscribe && collected.feedback.is_none() {
        return Some(Extracted {
            form: Form::FeedbackReport,
            sender: to,
            reporting_mta,
            bounce_marked: true,
            deliveries: vec![Delivery {
                recipient: from,
                diagnostic: "Feedback-Type: opt-out".into(),
                forced_reason: Some("feedback"),
                ..Delivery::default()
            }],
        });
    }
    if let Some(feedback) = &collected.feedback {
        let recipient = feedback_field(feedback, "original-rcpt-to")
            .or_else(|| feedback_field(feedback, "removal-recipient"))
            .or_else(|| collected.original_recipient.clone());
        let kind = feedback_field(feedback, "feedback-type").unwrap_or_else(|| "abuse".into());
        return Some(Extracted {
            form: Form::FeedbackReport,
            sender,
            reporting_mta,
            bounce_marked: true,
            deliveries: vec![Delivery {
                recipient,
                diagnostic: format!("Feedback-Type: {kind}"),
                forced_reason: Some("feedback"),
                ..Delivery::default()
            }],
        });
    }

    let recipients_in_reports = reports.iter().any(|r| !r.recipients.is_empty());
    let bounce_marked = recipients_in_reports
        || from_daemon
        || !failed_recipients.is_empty()
        || rules.bounce_subject.is_match(&subject);

    if !bounce_marked && rules.feedback_subject.is_match(&subject) {
        // Complaint reports that are not ARF (Microsoft's JMRP, for one).
        return Some(Extracted {
            form: Form::FeedbackReport,
            sender,
            reporting_mta,
            bounce_marked: true,
            deliveries: vec![Delivery {
                recipient: collected.original_recipient.clone(),
                diagnostic: subject,
                forced_reason: Some("feedback"),
                ..Delivery::default()
            }],
        });
    }
    let auto_reply_header = AUTO_REPLY_HEADERS
        .iter()
        .any(|h| message.header_raw(*h).is_some())
        || message
            .header_raw("Precedence")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("auto_reply"));
    if !bounce_marked && (auto_reply_header || rules.auto_reply_subject.is_match(&subject)) {
        return Some(Extracted {
            form: Form::AutoReply,
            sender: to,
            reporting_mta: None,
            bounce_marked: true,
            deliveries: vec![Delivery {
                recipient: from,
                diagnostic: subject,
                context: scan::cut_original(&notice).to_string(),
                forced_reason: Some("vacation"),
                ..Delivery::default()
            }],
        });
    }

    let mut deliveries = Vec::new();
    let mut form = Form::Notice;
    for report in &reports {
        if !report.recipients.is_empty() {
            form = Form::DeliveryStatus;
            deliveries.extend(from_report(report, &blocks));
        }
    }
    if deliveries.is_empty() {
        // Some MTAs paste the report fields into the notice text.
        let inline = dsn::parse(scan::cut_original(&notice));
        if inline
            .recipients
            .iter()
            .any(|r| r.address().is_some() && (r.status.is_some() || r.diagnostic.is_some()))
        {
            form = Form::DeliveryStatus;
            deliveries = from_report(&inline, &blocks);
        }
    }
    if !deliveries.iter().any(has_signal) {
        // A MIME structure the parser could not follow (a boundary that does not match the
        // header): read the raw body as text.
        let raw = raw_body(bytes);
        let inline = dsn::parse(scan::cut_original(&raw));
        if inline
            .recipients
            .iter()
            .any(|r| r.address().is_some() && (r.status.is_some() || r.diagnostic.is_some()))
        {
            form = Form::DeliveryStatus;
            let raw_blocks = scan::scan(&raw, &hints);
            deliveries = from_report(&inline, &raw_blocks);
        }
    }
    if deliveries.is_empty() {
        deliveries = blocks.into_iter().map(from_block).collect();
        if deliveries.len() == 1
            && deliveries[0].recipient.is_none()
            && let Some(r) = failed_recipients.first()
        {
            deliveries[0].recipient = Some(r.clone());
        }
    }
    if deliveries.is_empty() && !bounce_marked {
        return None;
    }
    let null_marked = null_return_path && deliveries.iter().any(has_signal);
    Some(Extracted {
        form,
        sender,
        reporting_mta,
        bounce_marked: bounce_marked || null_marked,
        deliveries,
    })
}

/// The body of a raw message (after the first blank line), as text.
fn raw_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let start = text
        .find("\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| text.find("\n\n").map(|i| i + 2))
        .unwrap_or(0);
    text[start..].to_string()
}

/// Whether a delivery carries any error information at all.
pub fn has_signal(d: &Delivery) -> bool {
    d.status.is_some() || d.reply_code.is_some() || d.forced_reason.is_some()
}

fn first_address(address: Option<&mail_parser::Address>) -> Option<String> {
    address
        .and_then(|a| a.first())
        .and_then(|a| a.address.as_deref())
        .map(|a| a.trim().to_string())
        .filter(|a| a.contains('@'))
}

/// Walk the top-level parts (not into attached messages, whose texts are not the notice).
fn collect(message: &Message, out: &mut Collected) {
    for part in &message.parts {
        let (ctype, subtype) = part
            .content_type()
            .map(|ct| {
                (
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype().unwrap_or("").to_ascii_lowercase(),
                )
            })
            .unwrap_or_else(|| ("text".into(), "plain".into()));
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status" | "global-delivery-status") => {
                out.reports
                    .push(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "feedback-report") => {
                out.feedback = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "rfc822" | "global" | "global-headers")
            | ("text", "rfc822-headers" | "global-headers") => {
                let nested;
                let original = match &part.body {
                    PartType::Message(m) => Some(m),
                    _ => {
                        nested = MessageParser::default().parse_headers(part.contents());
                        nested.as_ref()
                    }
                };
                if let Some(original) = original.filter(|m| !m.parts.is_empty()) {
                    if out.original_sender.is_none() {
                        out.original_sender = original
                            .return_address()
                            .map(|a| a.trim().trim_matches(['<', '>']).to_string())
                            .filter(|a| a.contains('@'));
                    }
                    if out.original_recipient.is_none() {
                        out.original_recipient = first_address(original.to());
                    }
                }
            }
            ("text", "html") => {
                if let PartType::Html(html) = &part.body {
                    out.html_notice.push_str(html);
                    out.html_notice.push('\n');
                }
            }
            ("text", _) => {
                if let PartType::Text(text) = &part.body {
                    out.notice.push_str(text);
                    out.notice.push('\n');
                }
            }
            _ => {}
        }
    }
}

/// The sender of a message copied inline below a notice ("--- Below this line is a copy").
fn inline_original_sender(notice: &str) -> Option<String> {
    let cut = scan::cut_original(notice).len();
    let rest = notice.get(cut..)?;
    let start = rest
        .lines()
        .position(|l| HEADER_LINE.is_match(l) && !l.starts_with("Content-Type: message"))?;
    let headers: String = rest.lines().skip(start).collect::<Vec<_>>().join("\n");
    let parsed = MessageParser::default().parse_headers(headers.as_bytes())?;
    if parsed.parts.is_empty() {
        return None;
    }
    parsed
        .return_address()
        .map(|a| a.trim().trim_matches(['<', '>']).to_string())
        .filter(|a| a.contains('@'))
}

fn feedback_field(report: &str, name: &str) -> Option<String> {
    report.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches(['<', '>']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// Deliveries from a report, each completed with its part of the notice.
fn from_report(report: &DsnReport, blocks: &[Block]) -> Vec<Delivery> {
    let single = report.recipients.len() == 1 && blocks.len() == 1;
    report
        .recipients
        .iter()
        .map(|fields| {
            let block = fields
                .address()
                .and_then(|a| {
                    blocks.iter().find(|b| {
                        b.recipient
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case(a))
                    })
                })
                .or(if single { blocks.first() } else { None });
            from_fields(fields, block)
        })
        .collect()
}

fn from_fields(fields: &RecipientFields, block: Option<&Block>) -> Delivery {
    let mut diagnostic = fields
        .diagnostic
        .as_ref()
        .map(|d| {
            reply::clean(&reply::unquote_relayed(bounded(
                &d.value,
                MAX_DIAGNOSTIC_BYTES,
            )))
        })
        .filter(|d| !d.is_empty())
        .or_else(|| block.map(|b| b.diagnostic.clone()))
        .unwrap_or_default();
    // Sendmail keeps only the first line of a multi-line reply in the report; the
    // transcript in the notice has all of it.
    if let Some(b) = block
        && b.diagnostic.len() > diagnostic.len()
        && extends(&b.diagnostic, &diagnostic)
    {
        diagnostic = b.diagnostic.clone();
    }
    let reported: Option<Status> = fields.status.as_deref().and_then(|s| s.parse().ok());
    let written = reply::find_status(&diagnostic);
    // A generic x.0.0 says less than the code in the reply itself.
    let status = match (reported, written) {
        (Some(r), Some(w)) if r.subject == 0 && r.detail == 0 && r.class == w.class => Some(w),
        (Some(r), _) => Some(r),
        (None, w) => w,
    };
    let remote_mta = fields
        .remote_mta
        .as_ref()
        .map(|t| host_of(&t.value))
        .filter(|h| !h.is_empty())
        .or_else(|| block.and_then(|b| b.remote_mta.clone()));
    // The report's diagnostic is the remote server's own words; the notice around it adds
    // the reporting MTA's words (Sendmail's "554 5.0.0 Service unavailable"), which would
    // only mislead. The notice is read only when the report has no diagnostic.
    let context = match (&fields.diagnostic, block) {
        (Some(d), _) if !d.value.trim().is_empty() => String::new(),
        (_, Some(b)) => b.context.clone(),
        _ => String::new(),
    };
    Delivery {
        recipient: fields.address().map(str::to_string),
        action: fields.action.clone(),
        status,
        reply_code: reply::find_reply_code(&diagnostic),
        command: block.and_then(|b| b.command).or_else(|| {
            scan::scan(&diagnostic, &Hints::default())
                .first()
                .and_then(|b| b.command)
        }),
        diagnostic_type: fields
            .diagnostic
            .as_ref()
            .map(|d| d.kind.clone())
            .filter(|k| !k.is_empty()),
        remote_mta,
        context,
        diagnostic,
        forced_reason: None,
    }
}

/// Whether `longer` is `shorter` continued (reply codes and case aside).
fn extends(longer: &str, shorter: &str) -> bool {
    let words = |t: &str| -> String {
        reply::for_matching(t)
            .split_whitespace()
            .filter(|w| reply::find_status(w).is_none() && reply::find_reply_code(w).is_none())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (l, s) = (words(longer), words(shorter));
    s.len() >= 12 && l.starts_with(&s)
}

/// "mx.example.net [192.0.2.1]" → "mx.example.net"; "[192.0.2.1]" → "192.0.2.1".
pub(super) fn host_of(value: &str) -> String {
    value
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(['[', ']', '.'])
        .to_ascii_lowercase()
}

fn from_block(block: Block) -> Delivery {
    let status = block
        .status
        .as_deref()
        .and_then(|s| s.parse().ok())
        .or_else(|| reply::find_status(&block.diagnostic));
    Delivery {
        reply_code: reply::find_reply_code(&block.diagnostic),
        status,
        recipient: block.recipient,
        action: block.action,
        diagnostic: block.diagnostic,
        diagnostic_type: None,
        remote_mta: block.remote_mta,
        command: block.command,
        context: block.context,
        forced_reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> FormRules {
        FormRules {
            bounce_subject: Regex::new(r"(?i)undeliver|delivery status|failure notice").unwrap(),
            auto_reply_subject: Regex::new(r"(?i)out of (the )?office|automatic reply").unwrap(),
            feedback_subject: Regex::new(r"(?i)complaint about message from").unwrap(),
        }
    }

    #[test]
    fn tells_messages_from_pastes() {
        assert!(looks_like_message("From: a@b.example\nSubject: x\n\nbody"));
        assert!(looks_like_message(
            "From MAILER-DAEMON Thu Apr 29 2010\nReturn-Path: <>\nReceived: from x\n\tby y\nTo: z@example\n\nbody"
        ));
        assert!(!looks_like_message("550 5.7.1 blocked\n"));
        assert!(!looks_like_message(
            "Final-Recipient: rfc822; a@b.example\nAction: failed\n"
        ));
        assert!(!looks_like_message(
            "Mar  1 10:00:00 host postfix/smtp[1]: to=<a@b>"
        ));
    }

    #[test]
    fn a_multipart_report() {
        let raw = "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n\
            To: alice@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\
            MIME-Version: 1.0\r\n\
            Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
            --B\r\nContent-Type: text/plain\r\n\r\n\
            <bob@example.net>: host mx.example.net[192.0.2.9] said: 550 5.1.1 <bob@example.net>:\r\n    \
            Recipient address rejected: User unknown (in reply to RCPT TO command)\r\n\r\n\
            --B\r\nContent-Type: message/delivery-status\r\n\r\n\
            Reporting-MTA: dns; mail.example.org\r\n\r\n\
            Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\
            Remote-MTA: dns; mx.example.net\r\n\
            Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected:\r\n    \
            User unknown\r\n\r\n\
            --B\r\nContent-Type: message/rfc822\r\n\r\n\
            From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nhello\r\n\
            --B--\r\n";
        let e = extract(raw.as_bytes(), &rules()).unwrap();
        assert_eq!(e.form, Form::DeliveryStatus);
        assert_eq!(e.sender.as_deref(), Some("alice@example.org"));
        assert_eq!(e.reporting_mta.as_deref(), Some("mail.example.org"));
        assert_eq!(e.deliveries.len(), 1);
        let d = &e.deliveries[0];
        assert_eq!(d.recipient.as_deref(), Some("bob@example.net"));
        assert_eq!(d.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        assert_eq!(d.reply_code, Some(550));
        assert_eq!(d.remote_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(d.command, Some(SmtpCommand::Rcpt));
        assert_eq!(d.diagnostic_type.as_deref(), Some("smtp"));
        assert_eq!(
            d.diagnostic,
            "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"
        );
    }

    #[test]
    fn a_plain_message_is_not_a_bounce() {
        let raw = "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: lunch?\n\nSee you at noon.\n";
        let e = extract(raw.as_bytes(), &rules());
        assert!(e.is_none_or(|e| !e.bounce_marked && !e.deliveries.iter().any(has_signal)));
    }

    #[test]
    fn an_ses_bounce_notification() {
        let json = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",
            "bounceSubType":"General","bouncedRecipients":[{"emailAddress":"bob@example.net",
            "action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
            "reportingMTA":"dsn; a1.smtp-out.amazonses.com"},"mail":{"source":"alice@example.org"}}"#;
        let e = extract(json.as_bytes(), &rules()).unwrap();
        assert_eq!(e.form, Form::SesNotification);
        assert_eq!(e.sender.as_deref(), Some("alice@example.org"));
        let d = &e.deliveries[0];
        assert_eq!(d.recipient.as_deref(), Some("bob@example.net"));
        assert_eq!(d.reply_code, Some(550));
        assert_eq!(d.diagnostic, "550 5.1.1 user unknown");
    }

    #[test]
    fn a_bare_report_block() {
        let text = "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.2.2\n\
                    Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n";
        let e = extract(text.as_bytes(), &rules()).unwrap();
        assert_eq!(e.form, Form::DeliveryStatus);
        assert_eq!(e.deliveries[0].reply_code, Some(552));
    }
}
