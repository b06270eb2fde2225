//! RFC 3464 delivery-status field blocks (and RFC 6533 `message/global-delivery-status`,
//! which has the same syntax in UTF-8).
//!
//! A report is a per-message block followed by per-recipient blocks, separated by blank
//! lines; each block holds `Name: value` fields with RFC 5322 folding. Typed values
//! (`rfc822; addr`, `dns; host`, `smtp; 550 …`) keep their type apart. Real reports bend
//! the rules (blocks merged or split, comments after a status, untyped values), so the
//! parser is lenient and never fails: what it cannot read it skips.

/// Most recipient blocks read from one report; a bounce lists a handful.
const MAX_RECIPIENTS: usize = 500;

/// Most fields read from one report.
const MAX_FIELDS: usize = 10_000;

/// A typed value: `type; value` (RFC 3464 §2.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Typed {
    /// Lowercased type, e.g. "rfc822", "dns", "smtp", "x-unix"; empty when untyped.
    pub kind: String,
    pub value: String,
}

impl Typed {
    fn parse(raw: &str) -> Typed {
        if let Some((kind, value)) = raw.split_once(';') {
            let kind = kind.trim();
            let looks_like_type = !kind.is_empty()
                && kind.len() <= 32
                && kind
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if looks_like_type {
                return Typed {
                    kind: kind.to_ascii_lowercase(),
                    value: value.trim().to_string(),
                };
            }
        }
        Typed {
            kind: String::new(),
            value: raw.trim().to_string(),
        }
    }
}

/// The fields of one report that explaining a bounce needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DsnReport {
    pub reporting_mta: Option<Typed>,
    /// The original envelope sender when the MTA says it (Postfix `X-Postfix-Sender`).
    pub sender: Option<String>,
    pub recipients: Vec<RecipientFields>,
}

/// One per-recipient block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientFields {
    pub final_recipient: Option<Typed>,
    pub original_recipient: Option<Typed>,
    /// Lowercased: failed, delayed, delivered, relayed, expanded.
    pub action: Option<String>,
    /// As written, comments removed, e.g. "5.1.1".
    pub status: Option<String>,
    pub remote_mta: Option<Typed>,
    pub diagnostic: Option<Typed>,
}

impl RecipientFields {
    fn is_empty(&self) -> bool {
        *self == RecipientFields::default()
    }

    /// The recipient address, preferring the final one.
    pub fn address(&self) -> Option<&str> {
        self.final_recipient
            .as_ref()
            .or(self.original_recipient.as_ref())
            .map(|t| t.value.trim().trim_start_matches('<').trim_end_matches('>'))
            .filter(|a| !a.is_empty())
    }
}

/// Parse a delivery-status body. Never fails; an empty report means nothing was found.
pub fn parse(text: &str) -> DsnReport {
    let mut report = DsnReport::default();
    let mut field_count = 0usize;
    for block in blocks(text) {
        let mut current = RecipientFields::default();
        for (name, value) in block {
            field_count += 1;
            if field_count > MAX_FIELDS {
                break;
            }
            // Some writers list several recipients in one block: a second recipient field
            // starts the next recipient.
            let starts_next = (name == "final-recipient" && current.final_recipient.is_some())
                || (name == "original-recipient"
                    && current.original_recipient.is_some()
                    && current.final_recipient.is_some());
            if starts_next && report.recipients.len() < MAX_RECIPIENTS {
                report.recipients.push(std::mem::take(&mut current));
            }
            apply_field(&mut report, &mut current, &name, &value);
        }
        if current.is_empty() {
            continue;
        }
        // A block without a recipient continues the previous one (some MTAs put a blank
        // line inside a recipient block).
        let continues_previous = current.final_recipient.is_none()
            && current.original_recipient.is_none()
            && report.recipients.last().is_some_and(|last| {
                (last.status.is_none() || current.status.is_none())
                    && (last.diagnostic.is_none() || current.diagnostic.is_none())
            });
        if continues_previous {
            if let Some(last) = report.recipients.last_mut() {
                merge(last, current);
            }
        } else if report.recipients.len() < MAX_RECIPIENTS {
            report.recipients.push(current);
        }
    }
    report
}

fn merge(into: &mut RecipientFields, from: RecipientFields) {
    into.action = into.action.take().or(from.action);
    into.status = into.status.take().or(from.status);
    into.remote_mta = into.remote_mta.take().or(from.remote_mta);
    into.diagnostic = into.diagnostic.take().or(from.diagnostic);
}

fn apply_field(report: &mut DsnReport, rcpt: &mut RecipientFields, name: &str, value: &str) {
    match name {
        "reporting-mta" => report.reporting_mta = Some(Typed::parse(value)),
        "x-postfix-sender" | "x-original-sender" | "x-sender" => {
            let typed = Typed::parse(value);
            let addr = typed.value.trim_matches(|c| c == '<' || c == '>').trim();
            if !addr.is_empty() && report.sender.is_none() {
                report.sender = Some(addr.to_string());
            }
        }
        "final-recipient" => rcpt.final_recipient = Some(Typed::parse(value)),
        "original-recipient" => rcpt.original_recipient = Some(Typed::parse(value)),
        "action" => {
            let action = strip_comments(value).to_ascii_lowercase();
            if !action.is_empty() {
                rcpt.action = Some(action);
            }
        }
        "status" => {
            let status = strip_comments(value);
            // "5.1.1 (bad destination mailbox)" or "5.1.1 Unknown user": keep the code.
            let code = status.split_whitespace().next().unwrap_or("").to_string();
            if !code.is_empty() {
                rcpt.status = Some(code);
            }
        }
        "remote-mta" => rcpt.remote_mta = Some(Typed::parse(value)),
        "diagnostic-code" => {
            let typed = Typed::parse(value);
            if !typed.value.is_empty() {
                rcpt.diagnostic = Some(typed);
            }
        }
        _ => {}
    }
}

/// Remove RFC 5322 comments: "failed (permanent)" → "failed".
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Split the body into blocks of unfolded `(lowercased name, value)` fields.
fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut block: Vec<(String, String)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Folded continuation of the previous field.
            if let Some((_, value)) = block.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            let is_field_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if is_field_name {
                block.push((name.to_ascii_lowercase(), value.trim().to_string()));
                continue;
            }
        }
        // Not a field: some writers wrap long values without indenting them.
        if let Some((name, value)) = block.last_mut()
            && name == "diagnostic-code"
        {
            value.push(' ');
            value.push_str(line.trim());
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postfix_report_with_folded_diagnostic() {
        let text = "Reporting-MTA: dns; mail.example.org\n\
                    X-Postfix-Queue-ID: 4ABC\n\
                    X-Postfix-Sender: rfc822; alice@example.org\n\
                    Arrival-Date: Thu, 29 Apr 2021 23:45:41 +0900 (JST)\n\
                    \n\
                    Final-Recipient: rfc822; bob@example.net\n\
                    Original-Recipient: rfc822;bob@example.net\n\
                    Action: failed\n\
                    Status: 5.7.1\n\
                    Remote-MTA: dns; mx.example.net\n\
                    Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host\n    \
                    [192.0.2.1] blocked using zen.spamhaus.org\n";
        let report = parse(text);
        assert_eq!(report.reporting_mta.unwrap().value, "mail.example.org");
        assert_eq!(report.sender.as_deref(), Some("alice@example.org"));
        assert_eq!(report.recipients.len(), 1);
        let r = &report.recipients[0];
        assert_eq!(r.address(), Some("bob@example.net"));
        assert_eq!(r.action.as_deref(), Some("failed"));
        assert_eq!(r.status.as_deref(), Some("5.7.1"));
        assert_eq!(r.remote_mta.as_ref().unwrap().kind, "dns");
        let d = r.diagnostic.as_ref().unwrap();
        assert_eq!(d.kind, "smtp");
        assert_eq!(
            d.value,
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
        );
    }

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            text: &'static str,
            recipients: &'static [(&'static str, &'static str, &'static str)],
        }
        let cases = [
            Case {
                name: "two recipients, CRLF, comments",
                text: "Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: RFC822; <x@b.example>\r\n\
                       Action: failed (permanent)\r\nStatus: 5.1.1 (bad mailbox)\r\n\r\n\
                       Final-Recipient: rfc822; y@b.example\r\nAction: Delayed\r\nStatus: 4.4.7\r\n",
                recipients: &[
                    ("x@b.example", "failed", "5.1.1"),
                    ("y@b.example", "delayed", "4.4.7"),
                ],
            },
            Case {
                name: "everything in one block",
                text: "Reporting-MTA: dns; a.example\nAction: failed\nFinal-Recipient: rfc822; z@c.example\n\
                       Diagnostic-Code: smtp; 550 5.1.1 <z@c.example>... User Unknown\nStatus: 5.1.1\n",
                recipients: &[("z@c.example", "failed", "5.1.1")],
            },
            Case {
                name: "a recipient block split by a blank line",
                text: "Final-Recipient: rfc822; w@d.example\nAction: failed\n\nStatus: 5.2.2\n\
                       Diagnostic-Code: smtp; 552 mailbox full\n",
                recipients: &[("w@d.example", "failed", "5.2.2")],
            },
            Case {
                name: "global DSN with a UTF-8 address",
                text: "Reporting-MTA: dns; a.example\n\nFinal-Recipient: utf-8; 用户@例子.广告\n\
                       Action: failed\nStatus: 5.1.1\n",
                recipients: &[("用户@例子.广告", "failed", "5.1.1")],
            },
            Case {
                name: "two recipients in one block",
                text: "Final-Recipient: rfc822; a@e.example\nAction: failed\nStatus: 5.2.2\n\
                       Final-Recipient: rfc822; b@e.example\nOriginal-Recipient: rfc822;b@e.example\n\
                       Action: failed\nStatus: 5.1.1\n",
                recipients: &[
                    ("a@e.example", "failed", "5.2.2"),
                    ("b@e.example", "failed", "5.1.1"),
                ],
            },
            Case {
                name: "junk",
                text: "\u{0}\u{1}garbage without fields\n::::\n",
                recipients: &[],
            },
        ];
        for case in cases {
            let report = parse(case.text);
            let got: Vec<(String, String, String)> = report
                .recipients
                .iter()
                .map(|r| {
                    (
                        r.address().unwrap_or_default().to_string(),
                        r.action.clone().unwrap_or_default(),
                        r.status.clone().unwrap_or_default(),
                    )
                })
                .collect();
            let want: Vec<(String, String, String)> = case
                .recipients
                .iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect();
            assert_eq!(got, want, "{}", case.name);
        }
    }

    #[test]
    fn untyped_and_odd_values() {
        assert_eq!(
            Typed::parse("550 5.1.1 no such user; sorry"),
            Typed {
                kind: String::new(),
                value: "550 5.1.1 no such user; sorry".into()
            }
        );
        assert_eq!(Typed::parse("X-Unix; 1").kind, "x-unix");
        assert_eq!(strip_comments("failed (a (nested) comment) x"), "failed  x");
    }
}
