//! The open-relay test matrix: which envelopes to try, and what the replies mean.
//!
//! Every address uses names reserved for documentation and testing (RFC 2606, RFC 5737):
//! the recipient domain is `example.net`. Unlike `.invalid` or `.test`, `example.net` is a
//! name that exists in the DNS, so a server that first checks that the recipient domain
//! exists still has to make its relaying decision about it; and being reserved, it can
//! never be a real person's mailbox. The sender is `example.com` for the same reasons. The
//! sessions stop at RCPT and never send DATA, so nothing could be relayed anyway.
//!
//! An open relay accepts one of these for a recipient that is not its own. The odd forms
//! (`%`-hack, quoted `@`, source routes, bang paths, IP literals, case changes) catch servers
//! whose relay check parses the address differently from their delivery code.

use crate::facts::{RcptResult, Reply};

/// Local part of every probe address.
pub const PROBE_LOCAL: &str = "mxdoctor-probe";
/// The sender domain of "external" senders (RFC 2606).
pub const EXTERNAL_SENDER_DOMAIN: &str = "example.com";
/// Local part of the relay recipient.
pub const RELAY_LOCAL: &str = "mxdoctor-relay-test";
/// The recipient domain, which no server under test may call its own (RFC 2606).
pub const RELAY_DOMAIN: &str = "example.net";
/// An address literal from TEST-NET-1 (RFC 5737).
pub const RELAY_IP_LITERAL: &str = "[192.0.2.1]";

/// One envelope to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSpec {
    pub id: &'static str,
    pub sender: String,
    pub recipient: String,
}

/// The matrix for a server whose own domain is `own` (an address literal such as
/// "[192.0.2.25]" works too).
///
/// Nine cases: Postfix slows every reply down after ten errors in a session
/// (`smtpd_soft_error_limit`), and a closed relay answers each case with an error.
pub fn matrix(own: &str) -> Vec<CaseSpec> {
    let external = format!("{PROBE_LOCAL}@{EXTERNAL_SENDER_DOMAIN}");
    let target = format!("{RELAY_LOCAL}@{RELAY_DOMAIN}");
    let case = |id, sender: &str, recipient: String| CaseSpec {
        id,
        sender: sender.to_string(),
        recipient,
    };
    vec![
        case("external", &external, target.clone()),
        case("null-sender", "", target.clone()),
        case(
            "own-domain-sender",
            &format!("{PROBE_LOCAL}@{own}"),
            target.clone(),
        ),
        case(
            "percent-hack",
            &external,
            format!("{RELAY_LOCAL}%{RELAY_DOMAIN}@{own}"),
        ),
        case(
            "quoted-at",
            &external,
            format!("\"{RELAY_LOCAL}@{RELAY_DOMAIN}\"@{own}"),
        ),
        case(
            "source-route",
            &external,
            format!("@{own}:{RELAY_LOCAL}@{RELAY_DOMAIN}"),
        ),
        case(
            "bang-path",
            &external,
            format!("{RELAY_DOMAIN}!{RELAY_LOCAL}@{own}"),
        ),
        case(
            "ip-literal",
            &external,
            format!("{RELAY_LOCAL}@{RELAY_IP_LITERAL}"),
        ),
        case(
            "upper-case",
            &external,
            format!(
                "{}@{}",
                RELAY_LOCAL.to_ascii_uppercase(),
                RELAY_DOMAIN.to_ascii_uppercase()
            ),
        ),
    ]
}

/// What a reply to RCPT (or to MAIL, when MAIL already failed) says about the recipient.
///
/// 530 ("must issue STARTTLS first") and 421 ("closing") decide nothing about relaying.
pub fn result_of(reply: &Reply) -> RcptResult {
    match reply.code {
        421 | 530 => RcptResult::NotTested,
        c if (200..300).contains(&c) => RcptResult::Accepted,
        c if (400..500).contains(&c) => RcptResult::TempFailed,
        c if (500..600).contains(&c) => RcptResult::Refused,
        _ => RcptResult::NotTested,
    }
}

/// The overall answer of a matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayVerdict {
    /// At least one case was accepted.
    Open,
    /// Every case was refused.
    Closed,
    /// Nothing accepted, but some cases got no definite answer.
    Incomplete,
}

impl RelayVerdict {
    pub fn of(results: impl IntoIterator<Item = RcptResult>) -> Self {
        let mut any = false;
        let mut all_refused = true;
        for r in results {
            any = true;
            match r {
                RcptResult::Accepted => return RelayVerdict::Open,
                RcptResult::Refused => {}
                RcptResult::TempFailed | RcptResult::NotTested => all_refused = false,
            }
        }
        if any && all_refused {
            RelayVerdict::Closed
        } else {
            RelayVerdict::Incomplete
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RelayVerdict::Open => "open",
            RelayVerdict::Closed => "closed",
            RelayVerdict::Incomplete => "incomplete",
        }
    }
}

/// "Our own domain" for a server known as `host`: the host name without its first label
/// when it has three or more ("mail.example.org" → "example.org"), else the name itself.
pub fn own_domain_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => return format!("[{v4}]"),
        Ok(std::net::IpAddr::V6(v6)) => return format!("[IPv6:{v6}]"),
        Err(_) => {}
    }
    match host.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest.to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::Path;

    #[test]
    fn every_case_is_a_sendable_path_and_names_only_reserved_domains() {
        let cases = matrix("example.org");
        assert_eq!(cases.len(), 9);
        let mut ids: Vec<_> = cases.iter().map(|c| c.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 9);
        for c in &cases {
            assert!(Path::new(&c.sender).is_ok(), "{c:?}");
            assert!(Path::new(&c.recipient).is_ok(), "{c:?}");
            let lower = c.recipient.to_ascii_lowercase();
            assert!(
                lower.contains(RELAY_DOMAIN) || lower.contains(RELAY_IP_LITERAL),
                "{c:?} does not aim at the reserved relay domain"
            );
        }
        assert_eq!(
            cases[5].recipient,
            "@example.org:mxdoctor-relay-test@example.net"
        );
        assert_eq!(
            cases[4].recipient,
            "\"mxdoctor-relay-test@example.net\"@example.org"
        );
    }

    #[test]
    fn replies_and_verdicts() {
        let r = |code| Reply {
            code,
            lines: vec![],
        };
        assert_eq!(result_of(&r(250)), RcptResult::Accepted);
        assert_eq!(result_of(&r(554)), RcptResult::Refused);
        assert_eq!(result_of(&r(450)), RcptResult::TempFailed);
        assert_eq!(result_of(&r(530)), RcptResult::NotTested);
        assert_eq!(result_of(&r(421)), RcptResult::NotTested);
        use RcptResult::*;
        assert_eq!(RelayVerdict::of([Refused, Accepted]), RelayVerdict::Open);
        assert_eq!(RelayVerdict::of([Refused, Refused]), RelayVerdict::Closed);
        assert_eq!(
            RelayVerdict::of([Refused, TempFailed]),
            RelayVerdict::Incomplete
        );
        assert_eq!(RelayVerdict::of([]), RelayVerdict::Incomplete);
    }

    #[test]
    fn own_domains() {
        assert_eq!(own_domain_of("mail.example.org"), "example.org");
        assert_eq!(own_domain_of("example.org"), "example.org");
        assert_eq!(own_domain_of("MX1.Mail.Example.org."), "mail.example.org");
        assert_eq!(own_domain_of("127.0.0.1"), "[127.0.0.1]");
        assert_eq!(own_domain_of("::1"), "[IPv6:::1]");
    }
}
