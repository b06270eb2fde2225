//! What SMTP servers answered: greeting, capabilities, TLS, relay attempts, postmaster@.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Lookup;

/// Every SMTP server probed during a `check` run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SmtpFacts {
    /// Why no server was probed at all (`--no-smtp`), when that is the case.
    #[serde(default)]
    pub skipped: Option<String>,
    #[serde(default)]
    pub probes: Vec<SmtpProbe>,
}

/// Why a server was probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetOrigin {
    /// An MX host of the checked domain.
    Mx,
    /// Named on the command line (`--smtp`, `relay-test`).
    Flag,
}

/// One SMTP session (or a few, when the server hung up mid-way) with one address of a server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmtpProbe {
    /// The name (or address literal) the server was known by.
    pub host: String,
    pub port: u16,
    pub origin: TargetOrigin,
    /// TLS from the first byte (port 465, "smtps") instead of STARTTLS.
    #[serde(default)]
    pub implicit_tls: bool,
    /// The address connected to; None when the name had no usable address.
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// Reverse DNS of `address`, compared with the greeting name.
    #[serde(default)]
    pub ptr: Lookup<String>,
    /// The domain whose postmaster@ and abuse@ were asked for, and that stood for "our own
    /// domain" in the relay cases.
    #[serde(default)]
    pub domain: Option<String>,
    /// When the probe ran (Unix seconds): the reference for certificate expiry.
    pub checked_at: u64,
    pub connection: Connection,
    /// The 220 greeting (or whatever came instead).
    #[serde(default)]
    pub greeting: Option<Reply>,
    /// The reply to the first EHLO (or HELO when EHLO was refused).
    #[serde(default)]
    pub ehlo: Option<Reply>,
    /// EHLO keywords with their parameters ("SIZE 10240000", "STARTTLS"…), from the last EHLO.
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub tls: TlsOutcome,
    /// The relay attempts, in matrix order; empty when the session never got that far.
    #[serde(default)]
    pub relay: Vec<RelayCase>,
    #[serde(default)]
    pub postmaster: Option<RcptCheck>,
    #[serde(default)]
    pub abuse: Option<RcptCheck>,
    /// What cut the session short, when something did.
    #[serde(default)]
    pub failure: Option<SessionFailure>,
    /// The dialogue, "C: …" and "S: …" lines, bounded and cleaned of control characters.
    #[serde(default)]
    pub transcript: Vec<String>,
}

impl SmtpProbe {
    /// "mail.example.org[192.0.2.10]:25", the way Postfix names peers in its log.
    pub fn label(&self) -> String {
        match self.address {
            Some(ip) if ip.to_string() == self.host => format!("[{}]:{}", ip, self.port),
            Some(ip) => format!("{}[{}]:{}", self.host, ip, self.port),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    /// The greeting was a 220: the server is willing to talk.
    pub fn greeted(&self) -> bool {
        self.greeting.as_ref().is_some_and(|g| g.code == 220)
    }
}

/// How the TCP connection went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Connection {
    Connected {
        millis: u64,
    },
    /// Not attempted on purpose (loopback-only safety switch).
    Skipped {
        reason: String,
    },
    /// The name had no address to connect to, or its lookup failed.
    NoAddress {
        detail: String,
    },
    Failed {
        failure: ConnectFailure,
        detail: String,
    },
    #[default]
    NotAsked,
}

/// Why a TCP connection could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectFailure {
    /// An RST came back: nothing listens, or a firewall rejects.
    Refused,
    /// No answer at all within the time allowed: dropped by a firewall on either side.
    Timeout,
    /// No route from this machine (no network, or no IPv6).
    Unreachable,
    /// The connection was reset right after it was made.
    Reset,
    Error,
}

/// One SMTP reply: its code and the text of each line (after "250-" / "250 ").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: try again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx: refused for good.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The enhanced status code (RFC 3463) at the start of the first line, e.g. "5.7.1".
    pub fn enhanced(&self) -> Option<&str> {
        let first = self.lines.first()?;
        let word = first.split_whitespace().next()?;
        let mut parts = word.split('.');
        let class = parts.next()?;
        let ok = class.len() == 1
            && class.starts_with(char::from(b'0' + (self.code / 100) as u8))
            && parts.clone().count() == 2
            && parts
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(word)
    }

    /// Code and text on one line, for reports: "554 5.7.1 <x@example.net>: Relay access denied".
    pub fn one_line(&self) -> String {
        let text = self.lines.join(" ");
        let text = text.trim();
        if text.is_empty() {
            self.code.to_string()
        } else {
            format!("{} {}", self.code, text)
        }
    }

    /// The first word of the first line: the name a 220 greeting announces.
    pub fn first_word(&self) -> Option<&str> {
        self.lines.first()?.split_whitespace().next()
    }
}

/// What came of TLS on this server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum TlsOutcome {
    /// The session never got as far as EHLO.
    #[default]
    NotTried,
    /// EHLO did not list STARTTLS.
    NotOffered,
    /// STARTTLS was refused, or the handshake failed.
    Failed {
        /// "STARTTLS" when the command was refused, "handshake" when TLS itself failed.
        stage: String,
        detail: String,
    },
    Established(TlsSession),
}

/// A TLS session that was set up, and what its certificate is worth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSession {
    /// "TLSv1.3"
    pub version: String,
    /// "TLS13_AES_256_GCM_SHA384"
    pub cipher: String,
    /// The certificates the server sent, its own first.
    pub chain: Vec<CertificateInfo>,
    /// The name the certificate was checked against; None when the server was reached by
    /// address only, so no name could be checked.
    pub checked_name: Option<String>,
    /// Chain, validity dates and name checked against the trusted roots.
    pub verification: CertificateVerdict,
}

/// The outcome of certificate verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum CertificateVerdict {
    Valid,
    Invalid {
        problem: CertificateProblem,
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateProblem {
    /// Not signed by a CA senders trust (a private CA, or a missing intermediate).
    UnknownIssuer,
    /// Signed by itself.
    SelfSigned,
    Expired,
    NotYetValid,
    /// Valid, but not for the name senders connect to.
    NameMismatch,
    Revoked,
    BadSignature,
    NoCertificate,
    Other,
}

impl CertificateProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer => "unknown-issuer",
            CertificateProblem::SelfSigned => "self-signed",
            CertificateProblem::Expired => "expired",
            CertificateProblem::NotYetValid => "not-yet-valid",
            CertificateProblem::NameMismatch => "name-mismatch",
            CertificateProblem::Revoked => "revoked",
            CertificateProblem::BadSignature => "bad-signature",
            CertificateProblem::NoCertificate => "no-certificate",
            CertificateProblem::Other => "other",
        }
    }
}

/// The parts of a certificate a person needs to recognise it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// DNS names of the subjectAltName extension.
    #[serde(default)]
    pub dns_names: Vec<String>,
}

/// One relay attempt: MAIL FROM, RCPT TO, then RSET. DATA is never sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayCase {
    /// Stable case id: "external", "null-sender", "percent-hack"…
    pub case: String,
    /// The reverse-path as sent, without angle brackets ("" for the null sender).
    pub sender: String,
    /// The forward-path as sent, without angle brackets.
    pub recipient: String,
    pub result: RcptResult,
    #[serde(default)]
    pub mail_reply: Option<Reply>,
    #[serde(default)]
    pub rcpt_reply: Option<Reply>,
}

/// What the server did with a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcptResult {
    /// 2xx to RCPT: the server would have taken the message.
    Accepted,
    /// 5xx to MAIL or RCPT.
    Refused,
    /// 4xx: try again later (greylisting, rate limits, temporary lookup failures).
    TempFailed,
    /// The session ended (or had to be abandoned) before an answer.
    NotTested,
}

impl RcptResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RcptResult::Accepted => "accepted",
            RcptResult::Refused => "refused",
            RcptResult::TempFailed => "temp-failed",
            RcptResult::NotTested => "not-tested",
        }
    }
}

/// RCPT TO one role address of the domain (postmaster@, abuse@), from the null sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptCheck {
    pub address: String,
    pub result: RcptResult,
    /// The reply that decided, MAIL's when MAIL was already refused.
    #[serde(default)]
    pub reply: Option<Reply>,
}

/// What ended a session before QUIT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFailure {
    /// What was being waited for: "greeting", "EHLO", "STARTTLS", "RCPT"…
    pub stage: String,
    pub kind: FailureKind,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// No complete reply in time (or the session ran out of time).
    Timeout,
    /// The server hung up.
    Closed,
    /// The connection was reset.
    Reset,
    /// Bytes that are not an SMTP reply.
    Garbage,
    /// A reply longer than any sane server sends.
    TooLong,
    /// The server refused to go on (421, or a 5xx greeting).
    Refused,
    Io,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Closed => "closed",
            FailureKind::Reset => "reset",
            FailureKind::Garbage => "garbage",
            FailureKind::TooLong => "too-long",
            FailureKind::Refused => "refused",
            FailureKind::Io => "io",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, line: &str) -> Reply {
        Reply {
            code,
            lines: vec![line.into()],
        }
    }

    #[test]
    fn enhanced_codes() {
        assert_eq!(
            reply(554, "5.7.1 <a@b>: Relay access denied").enhanced(),
            Some("5.7.1")
        );
        assert_eq!(reply(250, "2.1.5 Ok").enhanced(), Some("2.1.5"));
        assert_eq!(reply(550, "4.7.1 wrong class").enhanced(), None);
        assert_eq!(reply(250, "mail.example.org").enhanced(), None);
        assert_eq!(reply(250, "").enhanced(), None);
        assert_eq!(reply(421, "4.x.1 no").enhanced(), None);
    }

    #[test]
    fn labels() {
        let mut p = SmtpProbe {
            host: "mail.example.org".into(),
            port: 25,
            origin: TargetOrigin::Mx,
            implicit_tls: false,
            address: Some("192.0.2.10".parse().unwrap()),
            ptr: Lookup::NotAsked,
            domain: None,
            checked_at: 0,
            connection: Connection::NotAsked,
            greeting: None,
            ehlo: None,
            capabilities: vec![],
            tls: TlsOutcome::NotTried,
            relay: vec![],
            postmaster: None,
            abuse: None,
            failure: None,
            transcript: vec![],
        };
        assert_eq!(p.label(), "mail.example.org[192.0.2.10]:25");
        p.host = "192.0.2.10".into();
        assert_eq!(p.label(), "[192.0.2.10]:25");
        p.address = None;
        assert_eq!(p.label(), "192.0.2.10:25");
    }
}
