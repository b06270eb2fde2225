//! Validators shared by flags, answers files and prompts.
//!
//! Every value that can reach a DNS question, a zone line or a Postfix directive passes
//! here first, so no input can carry a newline, a quote or a second directive.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// A value the user gave is not acceptable; `field` names the flag or answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidValue {
    pub field: String,
    pub reason: String,
}

impl InvalidValue {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        invalid(field, reason)
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> InvalidValue {
    InvalidValue {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// A domain name as it will be asked of DNS: ASCII (IDNA applied), lower-case, no trailing
/// dot, letters/digits/hyphens, labels of 1–63 bytes, at most 253 bytes, at least two labels.
pub fn domain(field: &str, input: &str) -> Result<String, InvalidValue> {
    let name = host_like(field, input, false)?;
    if !name.contains('.') {
        return Err(invalid(
            field,
            format!("{input:?} is not a full domain name (expected something like example.org)"),
        ));
    }
    Ok(name)
}

/// A host name (EHLO name, MX target): the same rules as [`domain`].
pub fn hostname(field: &str, input: &str) -> Result<String, InvalidValue> {
    domain(field, input)
}

/// A DKIM selector: one or more labels of letters, digits, hyphens and underscores.
pub fn selector(field: &str, input: &str) -> Result<String, InvalidValue> {
    host_like(field, input, true)
}

/// An IPv4 or IPv6 address (no prefix length, no port).
pub fn ip(field: &str, input: &str) -> Result<IpAddr, InvalidValue> {
    let trimmed = input.trim();
    trimmed
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map_err(|_| invalid(field, format!("{input:?} is not an IPv4 or IPv6 address")))
}

/// An e-mail address whose domain is a valid domain and whose local part is plain
/// (no quotes, spaces, angle brackets or control characters).
pub fn email(field: &str, input: &str) -> Result<String, InvalidValue> {
    let input = input.trim();
    let Some((local, domain_part)) = input.rsplit_once('@') else {
        return Err(invalid(
            field,
            format!("{input:?} is not an e-mail address"),
        ));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return Err(invalid(
            field,
            format!("{input:?}: the part before @ must be letters, digits and . _ + - only"),
        ));
    }
    let domain_part = domain(field, domain_part)?;
    Ok(format!("{local}@{domain_part}"))
}

/// A public IPv4 address a server sends from: not private, loopback, link-local,
/// multicast or unspecified (those can never appear in a receiver's SPF check or PTR).
pub fn public_ipv4(field: &str, input: &str) -> Result<Ipv4Addr, InvalidValue> {
    let ip = match ip(field, input)? {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => {
            return Err(invalid(
                field,
                format!("{input:?} is an IPv6 address; put it in ipv6"),
            ));
        }
    };
    if ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.octets()[0] == 0
        || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
    {
        return Err(invalid(
            field,
            format!(
                "{ip} is not a public address; give the address receivers see your server connect from"
            ),
        ));
    }
    Ok(ip)
}

/// A public IPv6 address (not loopback, link-local, unique-local, multicast or unspecified).
pub fn public_ipv6(field: &str, input: &str) -> Result<Ipv6Addr, InvalidValue> {
    let ip = match ip(field, input)? {
        IpAddr::V6(v6) => v6,
        IpAddr::V4(_) => {
            return Err(invalid(
                field,
                format!("{input:?} is an IPv4 address; put it in ipv4"),
            ));
        }
    };
    let first = ip.segments()[0];
    if ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        || (first & 0xfe00) == 0xfc00
        || ip.to_ipv4_mapped().is_some()
    {
        return Err(invalid(
            field,
            format!(
                "{ip} is not a public IPv6 address; give the address receivers see your server connect from"
            ),
        ));
    }
    Ok(ip)
}

/// An address that goes into a `mailto:` report URI (DMARC `rua=`, TLS-RPT `rua=`): the local
/// part is restricted to letters, digits and `. _ + -`, because `!`, `,` and `;` have
/// meanings inside those records and others would need URI escaping.
pub fn report_address(field: &str, input: &str) -> Result<String, InvalidValue> {
    let input = input.trim();
    let input = input.strip_prefix("mailto:").unwrap_or(input);
    let address = email(field, input)?;
    let local = address.rsplit_once('@').map_or("", |(l, _)| l);
    if !local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
    {
        return Err(invalid(
            field,
            format!(
                "{input:?}: for a report address use only letters, digits and . _ + - before @"
            ),
        ));
    }
    Ok(address)
}

/// A short identifier (preset names, destination groups): lower-case letters, digits, hyphens.
pub fn token(field: &str, input: &str) -> Result<String, InvalidValue> {
    let t = input.trim();
    if t.is_empty()
        || t.len() > 64
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid(
            field,
            format!("{input:?} is not a name (lower-case letters, digits and hyphens)"),
        ));
    }
    Ok(t.to_string())
}

/// A TCP port, 1–65535.
pub fn port(field: &str, input: u32) -> Result<u16, InvalidValue> {
    u16::try_from(input)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid(field, format!("{input} is not a port (1 to 65535)")))
}

/// A port given as text (a flag or a prompt).
pub fn port_text(field: &str, input: &str) -> Result<u16, InvalidValue> {
    let n = input
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(field, format!("{input:?} is not a port number")))?;
    port(field, n)
}

/// A SASL user name as it goes into `sasl_passwd` (`[host]:port user:password`): printable
/// ASCII without spaces, `:` (the separator), `#`, quotes or backslashes.
pub fn sasl_username(field: &str, input: &str) -> Result<String, InvalidValue> {
    let u = input.trim();
    if u.is_empty() || u.len() > 256 {
        return Err(invalid(field, "must be 1 to 256 characters"));
    }
    if let Some(bad) = u
        .chars()
        .find(|c| !c.is_ascii_graphic() || ":#\"'`".contains(*c))
    {
        return Err(invalid(
            field,
            format!(
                "contains {bad:?}; a user name cannot hold spaces, control characters, : # quotes or backslashes"
            ),
        ));
    }
    Ok(u.to_string())
}

/// A SASL password (the first line of `password_file`, or typed at the wizard's prompt).
/// The error never shows the password.
pub fn sasl_password(field: &str, input: &str) -> Result<String, InvalidValue> {
    let p = input.strip_suffix('\n').unwrap_or(input);
    let p = p.strip_suffix('\r').unwrap_or(p);
    if p.is_empty() {
        return Err(invalid(field, "the password is empty"));
    }
    if p.len() > 1024 {
        return Err(invalid(
            field,
            "the password is longer than 1024 characters",
        ));
    }
    if p.chars().any(|c| c.is_control()) {
        return Err(invalid(
            field,
            "the password must be one line of text (a password file holds it alone on its first line)",
        ));
    }
    if p.starts_with(char::is_whitespace) || p.ends_with(char::is_whitespace) {
        return Err(invalid(
            field,
            "the password starts or ends with a space, which Postfix's sasl_passwd cannot keep",
        ));
    }
    Ok(p.to_string())
}

/// A file path given as an answer: non-empty, no control characters.
pub fn path(field: &str, input: &Path) -> Result<PathBuf, InvalidValue> {
    let text = input.to_string_lossy();
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(invalid(
            field,
            format!("{text:?} contains control characters"),
        ));
    }
    Ok(input.to_path_buf())
}

fn host_like(field: &str, input: &str, allow_underscore: bool) -> Result<String, InvalidValue> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(
            field,
            format!("{input:?} contains spaces or control characters"),
        ));
    }
    let without_dot = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let ascii = if without_dot.is_ascii() {
        without_dot.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(without_dot).map_err(|_| {
            invalid(
                field,
                format!("{input:?} is not a valid internationalised name"),
            )
        })?
    };
    if ascii.len() > 253 {
        return Err(invalid(
            field,
            format!("{input:?} is longer than 253 characters"),
        ));
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(invalid(
                field,
                format!("{input:?} has an empty label (\"..\")"),
            ));
        }
        if label.len() > 63 {
            return Err(invalid(
                field,
                format!("{input:?} has a label longer than 63 characters: {label:?}"),
            ));
        }
        let ok_char =
            |c: char| c.is_ascii_alphanumeric() || c == '-' || (allow_underscore && c == '_');
        if let Some(bad) = label.chars().find(|c| !ok_char(*c)) {
            return Err(invalid(
                field,
                format!("{input:?} contains {bad:?}; only letters, digits and hyphens are allowed"),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(invalid(
                field,
                format!("{input:?}: a label cannot start or end with a hyphen"),
            ));
        }
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        let ok = [
            ("Example.ORG.", "example.org"),
            ("mail.example.test", "mail.example.test"),
            ("bücher.example", "xn--bcher-kva.example"),
        ];
        for (input, want) in ok {
            assert_eq!(domain("domain", input).unwrap(), want, "{input}");
        }
        let bad = [
            "",
            "localhost",
            "exa mple.org",
            "example..org",
            "-bad.example",
            "bad-.example",
            "a_b.example",
            "example.org\nmx 10 evil",
            "\"quoted\".example",
        ];
        for input in bad {
            assert!(domain("domain", input).is_err(), "{input:?} accepted");
        }
        let long_label = format!("{}.example", "a".repeat(64));
        assert!(domain("domain", &long_label).is_err());
        let long_name = format!("{}.example", vec!["a".repeat(60); 5].join("."));
        assert!(domain("domain", &long_name).is_err());
    }

    #[test]
    fn selectors_ips_emails() {
        assert_eq!(selector("selector", "Mail2026").unwrap(), "mail2026");
        assert_eq!(selector("selector", "s1_k.a").unwrap(), "s1_k.a");
        assert!(selector("selector", "bad;sel").is_err());
        assert!(ip("ip", "203.0.113.10").is_ok());
        assert!(ip("ip", "2001:db8::10").is_ok());
        assert!(ip("ip", "[2001:db8::10]").is_ok());
        assert!(ip("ip", "203.0.113.300").is_err());
        assert!(ip("ip", "203.0.113.0/24").is_err());
        assert_eq!(
            email("rua", "DMARC@Example.org").unwrap(),
            "DMARC@example.org"
        );
        for bad in [
            "no-at",
            "a b@example.org",
            "\"q\"@example.org",
            "a@b",
            "x@example.org>",
        ] {
            assert!(email("rua", bad).is_err(), "{bad:?} accepted");
        }
    }
}
