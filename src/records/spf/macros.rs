//! Macro strings (RFC 7208 §7): parsing with positions, and expansion.
//!
//! ```text
//! macro-string = *( macro-expand / macro-literal )
//! macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
//! macro-literal = %x21-24 / %x26-7E
//! ```

use std::net::IpAddr;

use super::parse::{ParseError, ParseErrorKind};

/// `macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacroLetter {
    /// `<sender>`
    Sender,
    /// local-part of `<sender>`
    Local,
    /// domain of `<sender>`
    SenderDomain,
    /// `<domain>`
    Domain,
    /// `<ip>` in dotted form
    Ip,
    /// the validated domain name of `<ip>` (do not use)
    Validated,
    /// HELO/EHLO domain
    Helo,
    /// SMTP client IP, readable (explanations only)
    ClientIp,
    /// domain name of the host performing the check (explanations only)
    Receiver,
    /// current timestamp (explanations only)
    Timestamp,
    /// "in-addr" or "ip6"
    Version,
}

impl MacroLetter {
    fn from_char(c: char) -> Option<Self> {
        Some(match c.to_ascii_lowercase() {
            's' => MacroLetter::Sender,
            'l' => MacroLetter::Local,
            'o' => MacroLetter::SenderDomain,
            'd' => MacroLetter::Domain,
            'i' => MacroLetter::Ip,
            'p' => MacroLetter::Validated,
            'h' => MacroLetter::Helo,
            'c' => MacroLetter::ClientIp,
            'r' => MacroLetter::Receiver,
            't' => MacroLetter::Timestamp,
            'v' => MacroLetter::Version,
            _ => return None,
        })
    }

    /// `c`, `r` and `t` may only appear in explanation text (RFC 7208 §7.1).
    fn explanation_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacroPart {
    Literal(String),
    Expand {
        letter: MacroLetter,
        /// Keep this many right-hand parts (never zero).
        digits: Option<u8>,
        reverse: bool,
        /// Split on these characters; empty means ".".
        delimiters: String,
        /// Upper-case letter: URL-escape the value.
        escape: bool,
    },
    /// `%%`
    Percent,
    /// `%_`
    Space,
    /// `%-`
    UrlSpace,
}

/// A parsed macro string: a domain-spec, an unknown modifier's value or explanation text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacroString {
    pub parts: Vec<MacroPart>,
}

/// Where a macro string appears: explanation text allows spaces and the `c`, `r`, `t` letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    Term,
    Explanation,
}

/// The values macros expand to.
#[derive(Clone, Debug)]
pub struct MacroContext<'a> {
    pub sender: &'a str,
    pub local: &'a str,
    pub sender_domain: &'a str,
    pub domain: &'a str,
    pub ip: IpAddr,
    /// The `p` value: a validated PTR name or "unknown".
    pub validated: &'a str,
    pub helo: &'a str,
    pub receiver: &'a str,
    pub timestamp: u64,
}

impl MacroString {
    /// True when the string uses `letter` anywhere.
    pub fn uses(&self, letter: MacroLetter) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, MacroPart::Expand { letter: l, .. } if *l == letter))
    }

    /// The text when the string has no macro at all (a plain domain name).
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                MacroPart::Literal(s) => out.push_str(s),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Expand every macro.
    pub fn expand(&self, ctx: &MacroContext<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                MacroPart::Literal(s) => out.push_str(s),
                MacroPart::Percent => out.push('%'),
                MacroPart::Space => out.push(' '),
                MacroPart::UrlSpace => out.push_str("%20"),
                MacroPart::Expand {
                    letter,
                    digits,
                    reverse,
                    delimiters,
                    escape,
                } => {
                    let value = letter_value(*letter, ctx);
                    let value = transform(&value, *digits, *reverse, delimiters);
                    if *escape {
                        out.push_str(&url_escape(&value));
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        out
    }
}

fn letter_value(letter: MacroLetter, ctx: &MacroContext<'_>) -> String {
    match letter {
        MacroLetter::Sender => ctx.sender.to_string(),
        MacroLetter::Local => ctx.local.to_string(),
        MacroLetter::SenderDomain => ctx.sender_domain.to_string(),
        MacroLetter::Domain => ctx.domain.to_string(),
        MacroLetter::Ip => dotted(ctx.ip),
        MacroLetter::Validated => ctx.validated.to_string(),
        MacroLetter::Helo => ctx.helo.to_string(),
        MacroLetter::ClientIp => ctx.ip.to_string(),
        MacroLetter::Receiver => ctx.receiver.to_string(),
        MacroLetter::Timestamp => ctx.timestamp.to_string(),
        MacroLetter::Version => match ctx.ip {
            IpAddr::V4(_) => "in-addr".to_string(),
            IpAddr::V6(_) => "ip6".to_string(),
        },
    }
}

/// `%{i}`: dotted quad for IPv4, dot-separated lower-case nibbles for IPv6 (RFC 7208 §7.3).
pub(crate) fn dotted(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .flat_map(|b| [b >> 4, b & 0x0f])
            .map(|n| format!("{n:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// Split on the delimiters, optionally reverse, keep the right-most `digits` parts, join with ".".
fn transform(value: &str, digits: Option<u8>, reverse: bool, delimiters: &str) -> String {
    if digits.is_none() && !reverse && (delimiters.is_empty() || delimiters == ".") {
        return value.to_string();
    }
    let delims: &str = if delimiters.is_empty() {
        "."
    } else {
        delimiters
    };
    let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    if let Some(n) = digits {
        let n = usize::from(n);
        if parts.len() > n {
            parts.drain(..parts.len() - n);
        }
    }
    parts.join(".")
}

/// URL-escape everything outside RFC 3986 "unreserved".
fn url_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parse a macro string that starts at byte `base` of the record (for error positions).
pub(crate) fn parse_macro_string(
    text: &str,
    base: usize,
    place: Place,
) -> Result<MacroString, ParseError> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    let err = |at: usize, kind: ParseErrorKind| ParseError {
        position: base + at,
        kind,
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !literal.is_empty() {
                parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
            }
            match bytes.get(i + 1) {
                Some(b'%') => {
                    parts.push(MacroPart::Percent);
                    i += 2;
                }
                Some(b'_') => {
                    parts.push(MacroPart::Space);
                    i += 2;
                }
                Some(b'-') => {
                    parts.push(MacroPart::UrlSpace);
                    i += 2;
                }
                Some(b'{') => {
                    let (part, used) = parse_expand(&bytes[i + 2..], place)
                        .map_err(|(at, kind)| err(i + 2 + at, kind))?;
                    parts.push(part);
                    i += 2 + used;
                }
                _ => return Err(err(i, ParseErrorKind::LonePercent)),
            }
        } else if (0x21..=0x7e).contains(&b) || (b == b' ' && place == Place::Explanation) {
            literal.push(char::from(b));
            i += 1;
        } else {
            return Err(err(i, invalid_character(text, i)));
        }
    }
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(literal));
    }
    Ok(MacroString { parts })
}

/// The error for a byte that may not appear: a character outside printable ASCII.
pub(crate) fn invalid_character(text: &str, at: usize) -> ParseErrorKind {
    let b = text.as_bytes()[at];
    if b.is_ascii() {
        ParseErrorKind::InvalidCharacter(b)
    } else {
        let c = text
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        ParseErrorKind::NonAscii(c)
    }
}

/// Parse what follows `%{`; returns the part and the bytes used including the closing `}`.
fn parse_expand(bytes: &[u8], place: Place) -> Result<(MacroPart, usize), (usize, ParseErrorKind)> {
    let Some(&first) = bytes.first() else {
        return Err((0, ParseErrorKind::UnterminatedMacro));
    };
    let c = char::from(first);
    let letter = MacroLetter::from_char(c).ok_or((0, ParseErrorKind::UnknownMacroLetter(c)))?;
    if letter.explanation_only() && place != Place::Explanation {
        return Err((0, ParseErrorKind::ExplanationOnlyMacro(c)));
    }
    let escape = first.is_ascii_uppercase();
    let mut i = 1;
    let digits_start = i;
    let mut value: u32 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        value = value
            .saturating_mul(10)
            .saturating_add(u32::from(bytes[i] - b'0'));
        i += 1;
    }
    let digits = if i > digits_start {
        if value == 0 {
            return Err((digits_start, ParseErrorKind::ZeroMacroDigits));
        }
        Some(u8::try_from(value).unwrap_or(u8::MAX))
    } else {
        None
    };
    let mut reverse = false;
    if i < bytes.len() && (bytes[i] == b'r' || bytes[i] == b'R') {
        reverse = true;
        i += 1;
    }
    let mut delimiters = String::new();
    while i < bytes.len() && b".-+,/_=".contains(&bytes[i]) {
        delimiters.push(char::from(bytes[i]));
        i += 1;
    }
    match bytes.get(i) {
        Some(b'}') => Ok((
            MacroPart::Expand {
                letter,
                digits,
                reverse,
                delimiters,
                escape,
            },
            i + 1,
        )),
        Some(&other) => Err((i, ParseErrorKind::BadMacroCharacter(char::from(other)))),
        None => Err((i, ParseErrorKind::UnterminatedMacro)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext<'static> {
        MacroContext {
            sender: "strong-bad@email.example.com",
            local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            validated: "mx.example.org",
            helo: "mx.example.org",
            receiver: "unknown",
            timestamp: 1_700_000_000,
        }
    }

    fn expand(text: &str, ip: &str) -> String {
        parse_macro_string(text, 0, Place::Explanation)
            .unwrap()
            .expand(&ctx(ip))
    }

    /// The examples of RFC 7208 §7.4.
    #[test]
    fn rfc_examples() {
        let v4 = "192.0.2.3";
        let cases = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
            ),
            (
                "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                "3.2.0.192.in-addr.strong.lp._spf.example.com",
            ),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
            ("%%%_%-", "% %20"),
            ("%{c} at %{t} by %{r}", "192.0.2.3 at 1700000000 by unknown"),
        ];
        for (text, want) in cases {
            assert_eq!(expand(text, v4), want, "{text}");
        }
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(expand("%{c}", "2001:DB8::CB01"), "2001:db8::cb01");
    }

    #[test]
    fn upper_case_letters_url_escape() {
        let mut c = ctx("192.0.2.3");
        c.local = "~jack&jill=up-a_b3.c";
        let ms = parse_macro_string("%{L}", 0, Place::Term).unwrap();
        assert_eq!(ms.expand(&c), "~jack%26jill%3Dup-a_b3.c");
    }

    #[test]
    fn errors_carry_positions() {
        let cases = [
            ("%(ir).sbl", 0, ParseErrorKind::LonePercent),
            ("foo%", 3, ParseErrorKind::LonePercent),
            ("%{x}", 2, ParseErrorKind::UnknownMacroLetter('x')),
            ("%{d0}", 3, ParseErrorKind::ZeroMacroDigits),
            ("%{d", 3, ParseErrorKind::UnterminatedMacro),
            ("%{d2q}", 4, ParseErrorKind::BadMacroCharacter('q')),
            ("a%{r}", 3, ParseErrorKind::ExplanationOnlyMacro('r')),
            ("a b", 1, ParseErrorKind::InvalidCharacter(b' ')),
            ("a\u{e9}", 1, ParseErrorKind::NonAscii('\u{e9}')),
        ];
        for (text, at, kind) in cases {
            let e = parse_macro_string(text, 10, Place::Term).unwrap_err();
            assert_eq!((e.position, e.kind), (10 + at, kind), "{text}");
        }
        // Explanation text allows spaces and c/r/t.
        assert!(parse_macro_string("from %{c} by %{r}", 0, Place::Explanation).is_ok());
    }

    #[test]
    fn huge_digits_saturate() {
        assert_eq!(
            expand("%{d99999999999999999}", "192.0.2.3"),
            "email.example.com"
        );
    }
}
