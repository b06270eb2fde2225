//! SMTP replies as they appear in bounces and pastes: multi-line replies joined into one
//! (`550-5.7.1 a` / `550 5.7.1 b` → `550 5.7.1 a b`), the reply code and the enhanced status
//! found in free text, and the text normalised for matching.

use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;

use super::status::{Status, parse_reply_code};

/// `550-5.7.1 text`, `550 text`, `<<< 550 5.1.1 text`, `452-4.2.2 text`: one line of a reply.
static REPLY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:<<<\s*)?([2-5][0-9]{2})([ -]|$)(?:\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})\b)?\s*(.*)$",
    )
    .expect("static regex")
});

/// A reply code that starts a reply: at the start, or after "said:", "<<<", a colon, a
/// bracket or a quote. Followed by a space, a dash or the end.
static REPLY_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|said:|<<<|[:(\["'=]|\s)\s*([2-5][0-9]{2})(?:[ -]|$)"#).expect("static regex")
});

static STATUS_CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}").expect("static regex"));

/// `550-5.7.26 ` (or `550 5.7.26 `) repeated inside an unfolded reply.
static INLINE_CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s([2-5][0-9]{2})[- ]([245]\.[0-9]{1,3}\.[0-9]{1,3})\s").expect("static regex")
});

static IPV4_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)")
        .expect("static regex")
});

static IPV6_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:ipv6:)?([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})").expect("static regex")
});

/// Amazon SES's older diagnostics wrap the remote reply: `5.1.0 - Unknown address error
/// 550-'5.7.1 <…>... Access denied' (delivery attempts: 0)`. The quoted reply is the one that
/// says why.
static RELAYED_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*[245]\.\d{1,3}\.\d{1,3} - [^']*?([2-5][0-9]{2})[ -]'([^']*)'")
        .expect("static regex")
});

/// The remote reply a relay quoted inside its own diagnostic, or the text unchanged.
pub fn unquote_relayed(text: &str) -> std::borrow::Cow<'_, str> {
    match RELAYED_REPLY.captures(text) {
        Some(c) => format!("{} {}", &c[1], c[2].trim()).into(),
        None => text.into(),
    }
}

/// Join the lines of multi-line replies: consecutive lines with the same code become one
/// `CODE STATUS text…` line; other lines are kept as they are.
pub fn join_multiline(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<(String, Option<String>, String)> = None;
    let flush = |current: &mut Option<(String, Option<String>, String)>, out: &mut Vec<String>| {
        if let Some((code, status, text)) = current.take() {
            let mut line = code;
            if let Some(s) = status {
                line.push(' ');
                line.push_str(&s);
            }
            if !text.is_empty() {
                line.push(' ');
                line.push_str(&text);
            }
            out.push(line);
        }
    };
    for line in text.lines() {
        let Some(caps) = REPLY_LINE.captures(line) else {
            flush(&mut current, &mut out);
            out.push(line.to_string());
            continue;
        };
        let code = caps[1].to_string();
        let last_of_reply = &caps[2] != "-";
        let status = caps.get(3).map(|m| m.as_str().to_string());
        let rest = caps.get(4).map_or("", |m| m.as_str().trim());
        match &mut current {
            Some((c, s, t)) if *c == code => {
                if s.is_none() {
                    *s = status;
                }
                if !rest.is_empty() {
                    if !t.is_empty() {
                        t.push(' ');
                    }
                    t.push_str(rest);
                }
            }
            _ => {
                flush(&mut current, &mut out);
                current = Some((code, status, rest.to_string()));
            }
        }
        if last_of_reply {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out.join("\n")
}

/// One line, single spaces, repeated `550-5.7.1 ` prefixes of an unfolded multi-line reply
/// removed; case kept (this is what users read).
pub fn clean(text: &str) -> String {
    let joined = join_multiline(text);
    let mut one_line = String::with_capacity(joined.len());
    for word in joined.split_whitespace() {
        if !one_line.is_empty() {
            one_line.push(' ');
        }
        one_line.push_str(word);
    }
    // Drop the `CODE STATUS` that repeats the first one inside the text.
    let first = INLINE_CONTINUATION
        .captures(&format!(" {one_line} "))
        .map(|c| (c[1].to_string(), c[2].to_string()));
    if let Some((code, status)) = first {
        let mut seen_first = false;
        let padded = format!(" {one_line} ");
        let replaced = INLINE_CONTINUATION.replace_all(&padded, |c: &regex::Captures| {
            if c[1] == code && c[2] == status {
                if seen_first {
                    return " ".to_string();
                }
                seen_first = true;
            }
            c[0].to_string()
        });
        one_line = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    one_line
}

/// Text prepared for pattern matching: cleaned, lowercased, typographic quotes made plain.
pub fn for_matching(text: &str) -> String {
    clean(text)
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{2032}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// The first reply code that starts a reply in `text`.
pub fn find_reply_code(text: &str) -> Option<u16> {
    REPLY_CODE
        .captures_iter(text)
        .filter_map(|c| parse_reply_code(&c[1]))
        .next()
}

/// The first enhanced status code in `text` that is not part of a longer dotted number
/// (an IP address or a version).
pub fn find_status(text: &str) -> Option<Status> {
    let bytes = text.as_bytes();
    for m in STATUS_CANDIDATE.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(m.end()).copied();
        let after2 = bytes.get(m.end() + 1).copied();
        if before.is_some_and(|b| b.is_ascii_digit() || b == b'.') {
            continue;
        }
        if after.is_some_and(|b| b.is_ascii_digit())
            || (after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if let Ok(status) = m.as_str().parse() {
            return Some(status);
        }
    }
    None
}

/// Public IP addresses written in `text`, in order, without duplicates.
pub fn find_ips(text: &str) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    let push = |ip: IpAddr, out: &mut Vec<IpAddr>| {
        if is_public(ip) && !out.contains(&ip) {
            out.push(ip);
        }
    };
    for c in IPV4_CANDIDATE.captures_iter(text) {
        if let Ok(ip) = c[1].parse::<std::net::Ipv4Addr>() {
            push(IpAddr::V4(ip), &mut out);
        }
    }
    for c in IPV6_CANDIDATE.captures_iter(text) {
        let candidate = c[1].trim_end_matches(':');
        if candidate.matches(':').count() < 2 {
            continue;
        }
        if let Ok(ip) = candidate.parse::<std::net::Ipv6Addr>() {
            push(IpAddr::V6(ip), &mut out);
        }
    }
    out
}

/// Addresses a receiver could have seen us connect from: not private, loopback or link-local.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
                || v4.octets()[0] >= 224)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xffc0) == 0xfe80
                || (first & 0xfe00) == 0xfc00
                || v6.to_ipv4_mapped().is_some())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_a_gmail_multiline_reply() {
        let text = "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n\
                    550-5.7.26 sender and Gmail users, and has been blocked.\n\
                    550 5.7.26  https://support.google.com/mail/answer/81126 - gsmtp";
        assert_eq!(
            join_multiline(text),
            "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender and \
             Gmail users, and has been blocked. https://support.google.com/mail/answer/81126 - gsmtp"
        );
    }

    #[test]
    fn cleans_an_unfolded_diagnostic_code() {
        let text = "550-5.7.1 [192.0.2.9 12] Our system has detected\n 550-5.7.1 an unusual rate \
                    550 5.7.1 of unsolicited mail.";
        assert_eq!(
            clean(text),
            "550 5.7.1 [192.0.2.9 12] Our system has detected an unusual rate of unsolicited mail."
        );
    }

    #[test]
    fn keeps_other_lines() {
        let text = "host mx.example.net[192.0.2.7] said:\n421-4.7.0 a\n421 4.7.0 b\nbye";
        assert_eq!(
            join_multiline(text),
            "host mx.example.net[192.0.2.7] said:\n421 4.7.0 a b\nbye"
        );
    }

    #[test]
    fn codes_in_free_text() {
        let cases: [(&str, Option<u16>, Option<&str>); 7] = [
            (
                "550 5.1.1 <a@b.example>: user unknown",
                Some(550),
                Some("5.1.1"),
            ),
            (
                "host x[192.0.2.1] said: 452 4.2.2 full",
                Some(452),
                Some("4.2.2"),
            ),
            ("smtp; 554 Service unavailable", Some(554), None),
            (
                "Remote host said: 501 5.1.8 Sender address rejected",
                Some(501),
                Some("5.1.8"),
            ),
            ("blocked using 5.5.5.5 and 4.4.4.4", None, None),
            ("version 5.0.0.1 said nothing", None, None),
            ("#5.1.1 bad address", None, Some("5.1.1")),
        ];
        for (text, code, status) in cases {
            assert_eq!(find_reply_code(text), code, "{text}");
            assert_eq!(
                find_status(text).map(|s| s.to_string()).as_deref(),
                status,
                "{text}"
            );
        }
    }

    #[test]
    fn public_ips_only() {
        let ips = find_ips(
            "Client host [203.0.113.9] via 10.1.2.3 and [2001:db8::25] at 12:30:45; \
             again 203.0.113.9 and ::1",
        );
        let got: Vec<String> = ips.iter().map(|i| i.to_string()).collect();
        assert_eq!(got, ["203.0.113.9", "2001:db8::25"]);
        assert!(find_ips("version 1.2.3.4.5").is_empty());
    }

    #[test]
    fn unquotes_a_relayed_reply() {
        assert_eq!(
            unquote_relayed(
                "5.1.0 - Unknown address error 550-'5.7.1 <a@b>... Access denied' (delivery attempts: 0)"
            ),
            "550 5.7.1 <a@b>... Access denied"
        );
        assert_eq!(unquote_relayed("550 5.1.1 nope"), "550 5.1.1 nope");
    }

    #[test]
    fn matching_text_is_lowercase_with_plain_quotes() {
        assert_eq!(
            for_matching("The IP you\u{2019}re  using"),
            "the ip you're using"
        );
    }
}
