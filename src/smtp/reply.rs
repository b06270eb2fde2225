//! Parsing SMTP replies out of received bytes, within hard limits.
//!
//! A reply is one or more lines `CODE-text` ending with a line `CODE text` (RFC 5321
//! §4.2). Servers are not trusted: every line, the number of lines and the whole reply are
//! bounded, and anything that is not a reply is reported as such instead of being guessed at.

use crate::facts::Reply;

/// Size limits for one reply.
#[derive(Clone, Copy, Debug)]
pub struct ReplyLimits {
    /// Longest line, CRLF included. RFC 5321 §4.5.3.1.5 allows 512 octets.
    pub max_line: usize,
    /// Most lines in one multi-line reply.
    pub max_lines: usize,
    /// Most bytes in one reply.
    pub max_reply: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line: 2048,
            max_lines: 100,
            max_reply: 32 * 1024,
        }
    }
}

/// Longest reply-line text kept in facts; the rest is cut with an ellipsis.
const KEPT_TEXT: usize = 512;

/// The outcome of looking at the bytes received so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole reply, and how many bytes it used.
    Complete(Reply, usize),
    /// Not enough bytes yet.
    Incomplete,
    Invalid(ReplyError),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("not an SMTP reply: {0}")]
    Garbage(String),
    #[error("reply line longer than {0} bytes")]
    LineTooLong(usize),
    #[error("reply longer than {0} lines")]
    TooManyLines(usize),
    #[error("reply longer than {0} bytes")]
    TooLarge(usize),
}

/// Parse the first reply in `buf`.
pub fn parse(buf: &[u8], limits: &ReplyLimits) -> Parsed {
    let mut code: Option<u16> = None;
    let mut lines = Vec::new();
    let mut offset = 0;
    loop {
        let rest = &buf[offset..];
        let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
            // An unfinished line: bounded already, before its end arrives.
            if rest.len() >= limits.max_line {
                return Parsed::Invalid(ReplyError::LineTooLong(limits.max_line));
            }
            if offset + rest.len() > limits.max_reply {
                return Parsed::Invalid(ReplyError::TooLarge(limits.max_reply));
            }
            if !rest.is_empty() && !plausible_start(rest) {
                return Parsed::Invalid(ReplyError::Garbage(sample(rest)));
            }
            return Parsed::Incomplete;
        };
        if newline + 1 > limits.max_line {
            return Parsed::Invalid(ReplyError::LineTooLong(limits.max_line));
        }
        let mut line = &rest[..newline];
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        offset += newline + 1;
        if offset > limits.max_reply {
            return Parsed::Invalid(ReplyError::TooLarge(limits.max_reply));
        }
        let (this_code, last, text) = match split_line(line) {
            Some(parts) => parts,
            None => return Parsed::Invalid(ReplyError::Garbage(sample(line))),
        };
        if code.is_some_and(|c| c != this_code) {
            return Parsed::Invalid(ReplyError::Garbage(format!(
                "a multi-line reply changed its code: {}",
                sample(line)
            )));
        }
        code = Some(this_code);
        lines.push(clean(text));
        if last {
            return Parsed::Complete(
                Reply {
                    code: this_code,
                    lines,
                },
                offset,
            );
        }
        if lines.len() >= limits.max_lines {
            return Parsed::Invalid(ReplyError::TooManyLines(limits.max_lines));
        }
    }
}

/// `CODE`, `CODE text`, `CODE-text`: (code, is last line, text).
fn split_line(line: &[u8]) -> Option<(u16, bool, &[u8])> {
    if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !(b'2'..=b'5').contains(&line[0]) {
        return None;
    }
    let code = u16::from(line[0] - b'0') * 100
        + u16::from(line[1] - b'0') * 10
        + u16::from(line[2] - b'0');
    match line.get(3) {
        None => Some((code, true, &[])),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        Some(_) => None,
    }
}

/// Could these bytes be the beginning of a reply line?
fn plausible_start(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4)];
    head.iter().enumerate().all(|(i, b)| match i {
        0 => (b'2'..=b'5').contains(b),
        1 | 2 => b.is_ascii_digit(),
        _ => matches!(b, b' ' | b'-' | b'\r'),
    })
}

/// Reply text as it may be shown and stored: UTF-8 (lossy), control characters replaced,
/// bounded in length.
pub fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(KEPT_TEXT)
        .collect();
    if text.chars().count() > KEPT_TEXT {
        out.push('…');
    }
    out
}

/// The start of bad input, shown escaped so that binary noise stays readable.
pub fn sample(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(40)];
    let mut out: String = head.escape_ascii().to_string();
    if bytes.len() > head.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ReplyLimits {
        ReplyLimits {
            max_line: 64,
            max_lines: 4,
            max_reply: 200,
        }
    }

    fn complete(input: &[u8]) -> (Reply, usize) {
        match parse(input, &limits()) {
            Parsed::Complete(r, n) => (r, n),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn single_and_multi_line() {
        let (r, n) = complete(b"220 mail.example.org ESMTP\r\nextra");
        assert_eq!(r.code, 220);
        assert_eq!(r.lines, ["mail.example.org ESMTP"]);
        assert_eq!(n, 28);
        let (r, _) = complete(b"250-mail.example.org\r\n250-STARTTLS\r\n250 SIZE 100\r\n");
        assert_eq!(r.lines, ["mail.example.org", "STARTTLS", "SIZE 100"]);
        let (r, _) = complete(b"250\n");
        assert_eq!((r.code, r.lines.len()), (250, 1));
        let (r, _) = complete(b"220-first\r\n220-second\r\n220 ready\r\n");
        assert_eq!(r.lines.len(), 3);
    }

    #[test]
    fn waits_for_the_rest() {
        assert_eq!(parse(b"", &limits()), Parsed::Incomplete);
        assert_eq!(parse(b"22", &limits()), Parsed::Incomplete);
        assert_eq!(parse(b"220-a\r\n220", &limits()), Parsed::Incomplete);
        assert_eq!(parse(b"250 partial line", &limits()), Parsed::Incomplete);
    }

    #[test]
    fn refuses_what_is_not_a_reply() {
        for bad in [
            &b"HTTP/1.1 400 Bad Request\r\n"[..],
            b"\x16\x03\x01\x02\x00",
            b"\x00\x01\x02",
            b"220x\r\n",
            b"999 nine\r\n",
            b"250-a\r\n251 b\r\n",
            b"SSH-2.0-OpenSSH_9.2",
        ] {
            assert!(
                matches!(
                    parse(bad, &limits()),
                    Parsed::Invalid(ReplyError::Garbage(_))
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn limits_are_enforced() {
        let long = [b"250 ".as_slice(), &[b'a'; 100]].concat();
        assert_eq!(
            parse(&long, &limits()),
            Parsed::Invalid(ReplyError::LineTooLong(64))
        );
        let endless = b"250-x\r\n".repeat(10);
        assert_eq!(
            parse(&endless, &limits()),
            Parsed::Invalid(ReplyError::TooManyLines(4))
        );
        let wide = ReplyLimits {
            max_line: 64,
            max_lines: 100,
            max_reply: 50,
        };
        assert_eq!(
            parse(&b"250-xxxxxxxxxxxxxx\r\n".repeat(5), &wide),
            Parsed::Invalid(ReplyError::TooLarge(50))
        );
    }

    #[test]
    fn text_is_cleaned() {
        let (r, _) = complete(b"220 hi\x1b[31m\xff there\r\n");
        assert_eq!(r.lines[0], "hi\u{fffd}[31m\u{fffd} there");
        assert_eq!(sample(b"\x00\x01abc"), "\"\\x00\\x01abc\"");
    }
}
