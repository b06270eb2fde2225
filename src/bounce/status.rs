//! SMTP enhanced status codes (RFC 3463, `class.subject.detail`) and basic reply codes
//! (RFC 5321), as values: parsing and the lookups the classifier needs. Their meanings
//! are words, so they live in `playbooks/bounces/codes.yaml`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// An enhanced status code such as 5.7.26. Providers use details beyond the registry
/// (Microsoft's 5.7.509, 4.4.316), so a detail is any number up to 999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl Status {
    /// Permanent (5), persistent transient (4) or success (2).
    pub fn is_permanent(self) -> bool {
        self.class == 5
    }

    pub fn is_temporary(self) -> bool {
        self.class == 4
    }

    /// "5.7" for 5.7.26: the family the generic rules of RFC 3463 speak about.
    pub fn family(self) -> String {
        format!("{}.{}", self.class, self.subject)
    }

    /// "7.26" for 5.7.26: subject and detail without the class.
    pub fn subject_detail(self) -> String {
        format!("{}.{}", self.subject, self.detail)
    }

    /// Whether this status starts with `prefix`, on component boundaries: "5.7" and
    /// "5.7." match 5.7.26, "5.7.2" does not; "5.7.26" matches only itself.
    pub fn has_prefix(self, prefix: &str) -> bool {
        let prefix = prefix.trim_end_matches('.');
        let full = self.to_string();
        full == prefix || full.starts_with(&format!("{prefix}."))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for Status {
    type Err = ();

    /// Exactly `D.DDD.DDD` with class 2, 4 or 5 (RFC 3463 §2; subject and detail up to
    /// three digits as in the registry and in provider codes).
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.trim().split('.');
        let (Some(c), Some(sub), Some(det), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(());
        };
        let num = |p: &str, max_len: usize| -> Result<u16, ()> {
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            p.parse().map_err(|_| ())
        };
        let class = num(c, 1)? as u8;
        if !matches!(class, 2 | 4 | 5) {
            return Err(());
        }
        Ok(Status {
            class,
            subject: num(sub, 3)?,
            detail: num(det, 3)?,
        })
    }
}

/// A three-digit SMTP reply code (RFC 5321 §4.2): 2xx–5xx.
pub fn parse_reply_code(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = s.parse().ok()?;
    (200..=599).contains(&code).then_some(code)
}

/// An SMTP command a reply answered, as bounces name it ("in reply to RCPT TO command").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SmtpCommand {
    /// The greeting, before any command.
    Connect,
    Helo,
    Ehlo,
    Starttls,
    Auth,
    Mail,
    Rcpt,
    Data,
    Quit,
}

impl SmtpCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpCommand::Connect => "CONNECT",
            SmtpCommand::Helo => "HELO",
            SmtpCommand::Ehlo => "EHLO",
            SmtpCommand::Starttls => "STARTTLS",
            SmtpCommand::Auth => "AUTH",
            SmtpCommand::Mail => "MAIL",
            SmtpCommand::Rcpt => "RCPT",
            SmtpCommand::Data => "DATA",
            SmtpCommand::Quit => "QUIT",
        }
    }

    /// Commands sent before the message content: a rejection there cannot be about the
    /// content, whatever its words say.
    pub fn is_before_data(self) -> bool {
        !matches!(self, SmtpCommand::Data | SmtpCommand::Quit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let cases = [
            ("5.7.26", Some("5.7.26")),
            ("4.4.316", Some("4.4.316")),
            (" 2.0.0 ", Some("2.0.0")),
            ("5.7.509", Some("5.7.509")),
            ("3.1.1", None),
            ("5.1", None),
            ("5.1.1.1", None),
            ("5.a.1", None),
            ("5.1.1234", None),
            ("55.1.1", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = input.parse::<Status>().ok().map(|s| s.to_string());
            assert_eq!(got.as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn prefixes_respect_component_boundaries() {
        let s: Status = "5.7.26".parse().unwrap();
        assert!(s.has_prefix("5.7"));
        assert!(s.has_prefix("5.7."));
        assert!(s.has_prefix("5.7.26"));
        assert!(!s.has_prefix("5.7.2"));
        assert!(!s.has_prefix("4.7"));
        assert_eq!(s.family(), "5.7");
        assert_eq!(s.subject_detail(), "7.26");
    }

    #[test]
    fn reply_codes() {
        assert_eq!(parse_reply_code("550"), Some(550));
        assert_eq!(parse_reply_code("421"), Some(421));
        assert_eq!(parse_reply_code("150"), None);
        assert_eq!(parse_reply_code("55"), None);
        assert_eq!(parse_reply_code("5501"), None);
    }
}
