//! Reading a bounce written for humans: the notice text of Exim, qmail, Sendmail,
//! Exchange, Gmail, Yahoo and many others, a pasted SMTP reply, or a pasted Postfix log
//! line. Finds each failed recipient, the remote server's reply, the remote host and the
//! command the reply answered.
//!
//! The notice is cut before the copy of the original message, split into one block per
//! recipient, and each block is read with a few layout-independent rules (a reply code,
//! "host X said:", "in reply to RCPT TO command"). Words that say *why* are left to the
//! classifier and its playbooks.

use std::sync::LazyLock;

use regex::Regex;

use super::reply;
use super::status::SmtpCommand;

/// The most notice text read: the explanation is at the top, the original message below.
pub const MAX_NOTICE_BYTES: usize = 64 * 1024;

/// Most recipients read from one notice.
const MAX_RECIPIENTS: usize = 200;

/// Longest diagnostic kept for display.
const MAX_DIAGNOSTIC_CHARS: usize = 1500;

/// What a notice says about one recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Block {
    pub recipient: Option<String>,
    /// The remote server's reply, or the notice's own words when there is no reply.
    pub diagnostic: String,
    /// All the text about this recipient, for classification.
    pub context: String,
    pub remote_mta: Option<String>,
    pub command: Option<SmtpCommand>,
    /// Set when the notice says so: "delayed" or "failed".
    pub action: Option<String>,
    /// A `dsn=5.7.1` field of a pasted Postfix log line.
    pub status: Option<String>,
}

/// Addresses that are not failed recipients: the bounce's own sender and addressee.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    pub exclude: Vec<String>,
    /// Recipients already known (X-Failed-Recipients): their blocks are looked for first.
    pub known_recipients: Vec<String>,
}

static ORIGINAL_MESSAGE_CUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            -{2,}\s*(?:this\s+is\s+a\s+copy\s+of|original\s+message|the\s+original\s+message|
                     below\s+this\s+line|undelivered\s+message|returned\s+message|
                     forwarded\s+message|message\s+header|headers?\s+of\s+(?:the\s+)?original|
                     original\s+mail|your\s+message\s+follows)
          | message\s+headers\s+follow
          | below\s+is\s+a\s+copy\s+of\s+the\s+original\s+message
          | original\s+message\s+headers:?
          | included\s+is\s+a\s+copy\s+of\s+the\s+message\s+header
          | original\s+message\s+follows
          | the\s+original\s+message\s+(?:was|headers?)
          | below\s+this\s+line\s+is\s+a\s+copy
          | content-type:\s*(?:message/rfc822|text/rfc822-headers)
          | -{3,}\s*original\s+message\s*-{3,}
        )",
    )
    .expect("static regex")
});

/// The first lines of a message copied inline into the notice.
static INLINE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:return-path|received|dkim-signature|x-received|arc-seal|message-id):\s")
        .expect("static regex")
});

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9!#$%&'*+/=?^_`{|}~.\-\x{80}-\x{10FFFF}]+@(?:[a-z0-9\-\x{80}-\x{10FFFF}]+\.)+[a-z\x{80}-\x{10FFFF}][a-z0-9\-\x{80}-\x{10FFFF}]*")
        .expect("static regex")
});

/// A line that starts with the recipient: `<a@b>:`, `a@b`, `a@b on <date>`, `<a@b>... User unknown`.
static LEADING_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:[*\-\x{2022}]\s+)?(?:rcpt\s*to:?\s*)?<?([^\s<>@]+@[^\s<>]+)>?\s*(?:$|:|\.\.\.|\(|,|\s+on\s|\s+-\s|\s+\S)")
        .expect("static regex")
});

/// A recipient named inside a sentence: "to a@b", "recipient: a@b", "to=<a@b>".
static ADDRESS_AFTER_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bto\b|\bfor\b|recipients?|rcpt\s+to|to=|address(?:es)?|destinataire|delivered\s+to|adresse)\s*:?\s*<?([^\s<>@,;()]+@[^\s<>,;()]+)>?(?:[\s,;.:()]|$)",
    )
    .expect("static regex")
});

static HOST_SAID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
          \bhost\s+([a-z0-9][a-z0-9.\-]*[a-z0-9])\.?\s*\[[0-9a-f.:]+\]
        | relay=([a-z0-9][a-z0-9.\-]*[a-z0-9])\[
        | while\s+talking\s+to\s+([a-z0-9][a-z0-9.\-]*[a-z0-9])\.?:
        | ([a-z0-9][a-z0-9.\-]*\.[a-z]{2,})\.?\s*\[[0-9a-f.:]+\]\s*(?::\d+)?\s*(?:did\s+not\s+like|said|returned|refused|:)
        | rejected\s+by\s+the\s+server\s+for\s+the\s+recipient\s+domain\s+\S+\s+by\s+([a-z0-9][a-z0-9.\-]*[a-z0-9])\.?\s
        | remote\s+(?:server|host|mta)\s*[:=]?\s*([a-z0-9][a-z0-9.\-]*\.[a-z]{2,})
        | connected\s+to\s+([0-9a-f.:]{7,})\s+but
        | \(\d+\)\s+([a-z0-9][a-z0-9.\-]*\.[a-z]{2,})\.?\s*\[",
    )
    .expect("static regex")
});

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
          in\s+reply\s+to\s+(?:the\s+)?(end\s+of\s+data|rcpt\s+to|mail\s+from|data|ehlo|helo|starttls|auth|quit)
        | after\s+(end\s+of\s+data|rcpt\s+to|mail\s+from|data|initial\s+connection|ehlo|helo|starttls|auth|quit|connect)
        | did\s+not\s+like\s+our\s+(rcpt\s+to|mail\s+from|final\s+data|data|helo|ehlo)
        | >>>\s*(rcpt|mail|data|ehlo|helo|starttls|quit)\b
        | \[(rcpt_to|mail_from|data|ehlo|helo)\]
        | but\s+(sender|my\s+name)\s+was\s+rejected
        | smtp\s+command\s*:\s*(rcpt|mail|data|ehlo|helo)
        | while\s+talking\s+to\s+\S+:\s*(?:<<<\s*)?([2-5][0-9]{2})[\s\-]
        | does\s+not\s+like\s+(recipient)
        | failed\s+(on\s+data\s+command|after\s+i\s+sent\s+the\s+message)
        | but\s+(greeting)\s+failed
        | \bin:\s+(rcpt|mail|data|ehlo|helo)\b
        | refused\s+to\s+talk\s+to\s+(me)",
    )
    .expect("static regex")
});

static DELAYED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)status=deferred|delivery\s+(?:to\s+the\s+following\s+recipients?\s+)?(?:has\s+been|is)\s+delayed|will\s+(?:continue\s+to\s+)?(?:be\s+)?retr(?:y|ied)|warning\s+message\s+only|temporary\s+failure\s+report|delivery\s+status\s+notification\s+\(delay\)|do\s+not\s+need\s+to\s+resend",
    )
    .expect("static regex")
});

static POSTFIX_DSN_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bdsn=([245]\.[0-9]{1,3}\.[0-9]{1,3})\b").expect("static regex"));

static POSTFIX_STATUS_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bstatus=(bounced|deferred|sent|expired)\b").expect("static regex")
});

/// Where the remote server's words start: "said:", "<<<", a reply code at a line start…
static REPLY_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
          (?:said|returned|replied|responded|response|reply|error|message|reason|diagnostic-code|smtp)\s*:\s*(?:smtp;\s*)?(?:\x22|')?([2-5][0-9]{2}[\s\-])
        | <<<\s*([2-5][0-9]{2}[\s\-])
        | \(reason:\s*([2-5][0-9]{2}[\s\-])
        | (?:^|\n)\s*\#?([2-5][0-9]{2}[\s\-])
        | returned\s+'([2-5][0-9]{2}[\s\-])
        | \bout:\s*([2-5][0-9]{2}[\s\-])",
    )
    .expect("static regex")
});

/// Trailing remarks that are not the remote server's words.
static REPLY_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\s*\(in\s+reply\s+to\s+[^)]*\)\)?|\s*\#\#|')\s*$").expect("static regex")
});

/// Local parts that never are the failed recipient of a bounce.
const SYSTEM_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "mailer_daemon",
    "postmaster",
    "no-reply",
    "noreply",
    "double-bounce",
];

/// The notice without the copy of the original message, bounded.
pub fn cut_original(text: &str) -> &str {
    let mut offset = 0usize;
    let mut previous_blank = true;
    let mut seen_content = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if seen_content
            && (ORIGINAL_MESSAGE_CUT.is_match(trimmed)
                || (previous_blank && INLINE_HEADER.is_match(trimmed)))
        {
            return bounded(&text[..offset]);
        }
        if !trimmed.trim().is_empty() {
            seen_content = true;
        }
        previous_blank = trimmed.trim().is_empty();
        offset += line.len();
        if offset >= MAX_NOTICE_BYTES {
            break;
        }
    }
    bounded(&text[..offset.min(text.len())])
}

fn bounded(text: &str) -> &str {
    if text.len() <= MAX_NOTICE_BYTES {
        return text;
    }
    let mut end = MAX_NOTICE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Read a notice (or a paste) into one block per recipient; at least one block when the
/// text is not empty.
pub fn scan(text: &str, hints: &Hints) -> Vec<Block> {
    let notice = cut_original(text);
    let lines = logical_lines(notice);
    if lines.iter().all(|l| l.trim().is_empty()) {
        return Vec::new();
    }
    let starts = recipient_lines(&lines, hints);
    let mut blocks = Vec::new();
    if starts.is_empty() {
        blocks.push(read_block(None, &lines));
    } else {
        for (i, (line_no, address)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(lines.len(), |(next, _)| *next);
            // Words before the first recipient ("did not reach the following recipients")
            // belong to no one; words after it belong to it.
            blocks.push(read_block(Some(address.clone()), &lines[*line_no..end]));
        }
    }
    blocks
}

/// Lines with their indented continuations joined, after joining multi-line replies.
fn logical_lines(text: &str) -> Vec<String> {
    let joined = reply::join_multiline(text);
    let mut out: Vec<String> = Vec::new();
    let mut previous_blank = true;
    for line in joined.lines() {
        let line = line.trim_end_matches('\r');
        let blank = line.trim().is_empty();
        let continues = !blank && !previous_blank && line.starts_with([' ', '\t']);
        if continues && let Some(last) = out.last_mut() {
            // A deeper indent continues the line above; the same indent starts a sibling,
            // unless the line above ends mid-sentence.
            let last_indent = last.len() - last.trim_start().len();
            let indent = line.len() - line.trim_start().len();
            let last_open =
                last.trim_end().ends_with([':', ',']) || !last.trim_end().ends_with(['.', ')']);
            if indent > last_indent || last_open {
                last.push(' ');
                last.push_str(line.trim());
                previous_blank = false;
                continue;
            }
        }
        out.push(line.to_string());
        previous_blank = blank;
    }
    out
}

fn is_excluded(address: &str, hints: &Hints) -> bool {
    let lower = address.to_lowercase();
    let local = lower.split('@').next().unwrap_or("");
    SYSTEM_LOCAL_PARTS.contains(&local)
        || hints
            .exclude
            .iter()
            .any(|e| e.eq_ignore_ascii_case(address))
}

fn clean_address(raw: &str) -> Option<String> {
    let addr = raw
        .trim()
        .trim_start_matches(['<', '"', '\'', '('])
        .trim_end_matches(['>', '"', '\'', ')', '.', ',', ';', ':']);
    let m = ADDRESS.find(addr)?;
    (m.start() == 0 && m.end() == addr.len()).then(|| addr.to_string())
}

/// The line where each recipient's part of the notice starts, in order.
fn recipient_lines(lines: &[String], hints: &Hints) -> Vec<(usize, String)> {
    let mut found: Vec<(usize, String)> = Vec::new();
    let push = |i: usize, addr: String, found: &mut Vec<(usize, String)>| {
        if found.len() < MAX_RECIPIENTS
            && !is_excluded(&addr, hints)
            && !found.iter().any(|(_, a)| a.eq_ignore_ascii_case(&addr))
        {
            found.push((i, addr));
        }
    };
    // 1. Recipients the headers already name.
    if !hints.known_recipients.is_empty() {
        let lowered: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
        for known in hints.known_recipients.iter().take(MAX_RECIPIENTS) {
            let needle = known.to_lowercase();
            if let Some(i) = lowered.iter().position(|l| l.contains(&needle)) {
                push(i, known.clone(), &mut found);
            }
        }
    }
    if !found.is_empty() {
        found.sort_by_key(|(i, _)| *i);
        return found;
    }
    // 2. Lines that start with an address.
    for (i, line) in lines.iter().enumerate() {
        if let Some(c) = LEADING_ADDRESS.captures(line)
            && let Some(addr) = clean_address(&c[1])
        {
            push(i, addr, &mut found);
        }
    }
    if !found.is_empty() {
        return found;
    }
    // 3. Addresses named as recipients inside a sentence.
    for (i, line) in lines.iter().enumerate() {
        for c in ADDRESS_AFTER_MARKER.captures_iter(line) {
            if let Some(addr) = clean_address(&c[1]) {
                push(i, addr, &mut found);
            }
        }
    }
    found
}

/// Sentences a notice adds to every recipient, whatever the cause.
static BOILERPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)i'm\s+not\s+going\s+to\s+try\s+again;\s+this\s+message\s+has\s+been\s+in\s+the\s+queue\s+too\s+long\.?")
        .expect("static regex")
});

fn read_block(recipient: Option<String>, lines: &[String]) -> Block {
    let context = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let context = BOILERPLATE.replace_all(&context, "").trim().to_string();
    let remote_mta = HOST_SAID.captures(&context).and_then(|c| {
        c.iter()
            .skip(1)
            .flatten()
            .next()
            .map(|m| m.as_str().trim_end_matches('.').to_lowercase())
    });
    let command = COMMAND
        .captures_iter(&context)
        .last()
        .and_then(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().to_string())
        })
        .and_then(|word| command_from_words(&word));
    let action = if DELAYED.is_match(&context) {
        Some("delayed".to_string())
    } else {
        POSTFIX_STATUS_FIELD
            .captures(&context)
            .map(|c| match &c[1] {
                "sent" => "delivered".to_string(),
                _ => "failed".to_string(),
            })
    };
    let status = POSTFIX_DSN_FIELD
        .captures(&context)
        .map(|c| c[1].to_string());
    Block {
        diagnostic: diagnostic(&context, recipient.as_deref()),
        recipient,
        context,
        remote_mta,
        command,
        action,
        status,
    }
}

fn command_from_words(words: &str) -> Option<SmtpCommand> {
    let w = words.to_lowercase().replace('_', " ");
    let w = w.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match w.as_str() {
        "rcpt to" | "rcpt" | "recipient" => SmtpCommand::Rcpt,
        "mail from" | "mail" | "sender" => SmtpCommand::Mail,
        "end of data" | "data" | "final data" | "on data command" | "after i sent the message" => {
            SmtpCommand::Data
        }
        "initial connection" | "connect" | "greeting" => SmtpCommand::Connect,
        // A reply right after "while talking to X:" answered the connection itself.
        code if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => SmtpCommand::Connect,
        "ehlo" => SmtpCommand::Ehlo,
        "helo" | "my name" | "me" => SmtpCommand::Helo,
        "starttls" => SmtpCommand::Starttls,
        "auth" => SmtpCommand::Auth,
        "quit" => SmtpCommand::Quit,
        _ => return None,
    })
}

/// The remote server's reply in a block, or the block's own words without the recipient.
fn diagnostic(context: &str, recipient: Option<&str>) -> String {
    // Every reply in the block, each from its code to the end of its (logical) line; what
    // follows a reply is the notice's own words (Sendmail's "554 5.0.0 Service
    // unavailable"). The longest is the most complete (Sendmail's transcript repeats the
    // "(reason: …)" line in full).
    let replies: Vec<String> = REPLY_START
        .captures_iter(context)
        .filter_map(|c| {
            let inside_parens = c.get(3).is_some();
            let start = c.iter().skip(1).flatten().next()?.start();
            let rest = &context[start..];
            let mut end = rest.find('\n').unwrap_or(rest.len());
            if inside_parens {
                // "(reason: 550 …) (expanded from: …)": stop at the wrapper's parenthesis.
                let mut depth = 1i32;
                for (i, ch) in rest[..end].char_indices() {
                    match ch {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
            }
            Some(rest[..end].trim_end().to_string())
        })
        .collect();
    let text = if let Some(longest) = replies.into_iter().max_by_key(|r| r.len()) {
        longest
    } else {
        let mut words: Vec<&str> = context.lines().collect();
        if let (Some(first), Some(addr)) = (words.first(), recipient) {
            let rest = first
                .replacen(&format!("<{addr}>"), "", 1)
                .replacen(addr, "", 1);
            if rest.trim_matches(|c: char| !c.is_alphanumeric()).is_empty() {
                words.remove(0);
            }
        }
        words.join("\n")
    };
    let cleaned = reply::clean(&text);
    let cleaned = REPLY_TAIL.replace(&cleaned, "").trim().to_string();
    truncate_chars(&cleaned, MAX_DIAGNOSTIC_CHARS)
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Block {
        let blocks = scan(text, &Hints::default());
        assert_eq!(blocks.len(), 1, "{blocks:#?}");
        blocks.into_iter().next().unwrap()
    }

    #[test]
    fn exim_notice() {
        let text = "This message was created automatically by mail delivery software.\n\n\
            A message that you sent could not be delivered to one or more of its\n\
            recipients. This is a permanent error. The following address(es) failed:\n\n  \
              bob@example.net\n    host mx.example.net [192.0.2.222]\n    \
                SMTP error from remote mail server after RCPT TO:<bob@example.net>:\n    \
                550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown\n\n\
            ------ This is a copy of the message, including all the headers. ------\n\n\
            Return-path: <alice@example.org>\nTo: carol@example.com\n";
        let b = one(text);
        assert_eq!(b.recipient.as_deref(), Some("bob@example.net"));
        assert_eq!(b.remote_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(b.command, Some(SmtpCommand::Rcpt));
        assert_eq!(
            b.diagnostic,
            "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"
        );
        assert!(!b.context.contains("carol@"));
    }

    #[test]
    fn postfix_style_notice_and_two_recipients() {
        let text = "<a@example.net>: host mx.example.net[192.0.2.1] said: 550 5.7.1\n    \
                    Service unavailable; Client host [203.0.113.5] blocked using\n    \
                    zen.spamhaus.org (in reply to RCPT TO command)\n\n\
                    <b@example.com>: host mx.example.com[192.0.2.2] said: 452 4.2.2 Mailbox\n    \
                    full (in reply to RCPT TO command)\n";
        let blocks = scan(text, &Hints::default());
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].recipient.as_deref(), Some("a@example.net"));
        assert_eq!(
            blocks[0].diagnostic,
            "550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org"
        );
        assert_eq!(blocks[1].remote_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(blocks[1].diagnostic, "452 4.2.2 Mailbox full");
    }

    #[test]
    fn qmail_notice() {
        let text = "Hi. This is the qmail-send program at mx.example.jp.\n\
            I'm afraid I wasn't able to deliver your message to the following addresses.\n\
            This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
            <kijitora@example.net>:\nConnected to 192.0.2.112 but my name was rejected.\n\
            Remote host said: 501 5.0.0 Invalid domain name\n\
            I'm not going to try again; this message has been in the queue too long.\n\n\
            --- Below this line is a copy of the message.\n\nReturn-Path: <x@example.jp>\n";
        let b = one(text);
        assert_eq!(b.recipient.as_deref(), Some("kijitora@example.net"));
        assert_eq!(b.command, Some(SmtpCommand::Helo));
        assert_eq!(b.diagnostic, "501 5.0.0 Invalid domain name");
        assert_eq!(b.remote_mta.as_deref(), Some("192.0.2.112"));
    }

    #[test]
    fn pasted_gmail_reply_without_recipient() {
        let text = "550-5.7.1 [203.0.113.5] The IP you're using to send mail is not authorized to\n\
                    550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n\
                    550 5.7.1 service provider instead. x1si123.45 - gsmtp\n";
        let b = one(text);
        assert_eq!(b.recipient, None);
        assert!(
            b.diagnostic
                .starts_with("550 5.7.1 [203.0.113.5] The IP you're using")
        );
        assert!(b.diagnostic.contains("directly to our servers"));
    }

    #[test]
    fn pasted_postfix_log_line() {
        let text = "Mar  1 10:00:00 mail postfix/smtp[123]: 4AB: to=<bob@gmail.com>, \
                    relay=gmail-smtp-in.l.google.com[192.0.2.27]:25, delay=1, dsn=5.7.26, \
                    status=bounced (host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 \
                    This mail is unauthenticated 550 5.7.26 more text (in reply to end of DATA command))";
        let b = one(text);
        assert_eq!(b.recipient.as_deref(), Some("bob@gmail.com"));
        assert_eq!(b.remote_mta.as_deref(), Some("gmail-smtp-in.l.google.com"));
        assert_eq!(b.status.as_deref(), Some("5.7.26"));
        assert_eq!(b.action.as_deref(), Some("failed"));
        assert_eq!(b.command, Some(SmtpCommand::Data));
        assert_eq!(
            b.diagnostic,
            "550 5.7.26 This mail is unauthenticated more text"
        );
    }

    #[test]
    fn exchange_legacy_notice_without_reply_code() {
        let text = "Your message\n\n  To:      alice@example.com\n  Subject: Hi\n\n\
                    did not reach the following recipient(s):\n\n\
                    bob@example.jp on Thu, 29 Apr 2010 00:00:00 -0000\n    \
                    The recipient name is not recognized\n    MSEXCH:IMS:NNN 0 (000C05A6)\nUnknown Recipient\n";
        let blocks = scan(
            text,
            &Hints {
                exclude: vec!["alice@example.com".into()],
                known_recipients: vec![],
            },
        );
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].recipient.as_deref(), Some("bob@example.jp"));
        assert!(
            blocks[0]
                .diagnostic
                .contains("The recipient name is not recognized"),
            "{}",
            blocks[0].diagnostic
        );
    }

    #[test]
    fn cuts_before_the_original_message() {
        let text = "error here\n\n----- Original message -----\n\nTo: x@example.org\n";
        assert_eq!(cut_original(text), "error here\n\n");
        let inline = "550 nope\n\nReceived: from a by b\nTo: y@example.org\n";
        assert_eq!(cut_original(inline), "550 nope\n\n");
        assert_eq!(cut_original(""), "");
    }

    #[test]
    fn empty_and_blank_text_give_no_block() {
        assert!(scan("", &Hints::default()).is_empty());
        assert!(scan("\n \n\t\n", &Hints::default()).is_empty());
    }
}
