//! MTA-STS (RFC 8461): the `_mta-sts.<domain>` TXT record, the policy file served at
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt`, and how its `mx:` patterns match.
//!
//! ```text
//! TXT:    "v=STSv1" *( *WSP ";" *WSP field ) [ ";" ]    ; id = 1*32( ALPHA / DIGIT ), required
//! policy: version: STSv1 / mode: enforce|testing|none / max_age: 0..31557600 / mx: [*.]domain
//!         one "key: value" per line (CRLF or LF); unknown keys are ignored
//! ```

use serde::Serialize;

use super::tags::{self, Problem};
use crate::answers::validate;

/// Largest policy body senders accept (RFC 8461 §3.3 suggests 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// Largest max_age a policy may give: one year (RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

/// The name of the TXT record of `domain`.
pub fn txt_name(domain: &str) -> String {
    format!("_mta-sts.{domain}")
}

/// The host that serves the policy of `domain`.
pub fn policy_host(domain: &str) -> String {
    format!("mta-sts.{domain}")
}

/// Where the policy of `domain` is fetched from.
pub fn policy_url(domain: &str) -> String {
    format!("https://{}/.well-known/mta-sts.txt", policy_host(domain))
}

/// True when a TXT record is an MTA-STS record (starts with `v=STSv1`); senders discard others.
pub fn is_record(txt: &str) -> bool {
    txt.strip_prefix("v=STSv1")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
}

/// True when a TXT record was probably meant as an MTA-STS record.
pub fn looks_like_attempt(txt: &str) -> bool {
    let lower = txt.to_ascii_lowercase();
    lower.contains("v=stsv") || lower.trim_start().starts_with("id=")
}

/// What the TXT record says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StsRecord {
    pub id: Option<String>,
    pub problems: Vec<Problem>,
}

/// Read and lint one TXT record that passed [`is_record`] (or [`looks_like_attempt`]).
pub fn parse_record(txt: &str) -> StsRecord {
    let list = tags::parse(txt);
    let mut problems = list.problems();
    if !is_record(txt) {
        problems.push(Problem::fatal(
            "bad-version",
            "the record must start with exactly v=STSv1",
        ));
    }
    let id = list.value("id").map(str::to_string);
    match &id {
        None => problems.push(Problem::fatal("no-id", "the record has no id= field")),
        Some(id)
            if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            problems.push(Problem::fatal(
                "bad-id",
                format!("id={} must be 1 to 32 letters and digits", tags::clip(id)),
            ));
        }
        Some(_) => {}
    }
    for tag in &list.tags {
        if tag.value.contains('=') && tag.name != "v" {
            problems.push(Problem::fatal(
                "bad-field",
                format!("the value of {}= may not contain '='", tag.name),
            ));
        }
    }
    tags::cap(&mut problems);
    StsRecord { id, problems }
}

/// What a sender does when delivery to an MX does not satisfy the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuse to deliver.
    Enforce,
    /// Deliver anyway and send a TLS report.
    Testing,
    /// The policy is switched off.
    None,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// What a policy file says and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub mode: Option<Mode>,
    pub max_age: Option<u64>,
    /// The `mx:` patterns, lower-case, without a trailing dot.
    pub mx: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Policy {
    /// True when senders ignore the policy.
    pub fn is_unusable(&self) -> bool {
        tags::any_fatal(&self.problems)
    }

    /// The hosts of `hosts` that no `mx:` pattern matches.
    pub fn uncovered<'a>(&self, hosts: &'a [String]) -> Vec<&'a String> {
        hosts
            .iter()
            .filter(|h| !self.mx.iter().any(|p| mx_matches(p, h)))
            .collect()
    }
}

/// Read and lint a policy body. Every problem makes senders ignore the policy.
pub fn parse_policy(body: &str) -> Policy {
    let mut problems = Vec::new();
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    let mut mx_lines = 0;
    let mut seen: Vec<&str> = Vec::new();
    for (index, line) in body.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            problems.push(Problem::fatal(
                "bad-line",
                format!("line {number} ({}) is not \"key: value\"", tags::clip(line)),
            ));
            continue;
        };
        let value = value.trim_matches(tags::is_wsp);
        if ["version", "mode", "max_age"].contains(&key) {
            if seen.contains(&key) {
                problems.push(Problem::fatal(
                    "duplicate-key",
                    format!("line {number}: {key} is given more than once"),
                ));
                continue;
            }
            seen.push(key);
        }
        if key == "mx" {
            mx_lines += 1;
        }
        match key {
            "version" => version = Some(value),
            "mode" => {
                mode = match value {
                    "enforce" => Some(Mode::Enforce),
                    "testing" => Some(Mode::Testing),
                    "none" => Some(Mode::None),
                    other => {
                        problems.push(Problem::fatal(
                            "bad-mode",
                            format!(
                                "line {number}: mode {} is not enforce, testing or none",
                                tags::clip(other)
                            ),
                        ));
                        None
                    }
                }
            }
            "max_age" => {
                let parsed = value
                    .parse::<u64>()
                    .ok()
                    .filter(|v| value.len() <= 10 && *v <= MAX_AGE_LIMIT);
                if parsed.is_none() {
                    problems.push(Problem::fatal(
                        "bad-max-age",
                        format!(
                            "line {number}: max_age {} is not a number of seconds from 0 to {MAX_AGE_LIMIT}",
                            tags::clip(value)
                        ),
                    ));
                }
                max_age = parsed;
            }
            "mx" => match mx_pattern(value) {
                Some(pattern) => mx.push(pattern),
                None => problems.push(Problem::fatal(
                    "bad-mx",
                    format!(
                        "line {number}: mx {} is not a host name or *.domain pattern",
                        tags::clip(value)
                    ),
                )),
            },
            other if other.trim() != other || other.is_empty() => {
                problems.push(Problem::fatal(
                    "bad-line",
                    format!(
                        "line {number}: \"{}\" is not a valid key",
                        tags::clip(other)
                    ),
                ));
            }
            _ => {}
        }
    }
    match version {
        None => problems.push(Problem::fatal(
            "no-version",
            "the policy has no version line",
        )),
        Some("STSv1") => {}
        Some(other) => problems.push(Problem::fatal(
            "bad-version",
            format!("version {} is not STSv1", tags::clip(other)),
        )),
    }
    if !seen.contains(&"mode") {
        problems.push(Problem::fatal("no-mode", "the policy has no mode line"));
    }
    if !seen.contains(&"max_age") {
        problems.push(Problem::fatal(
            "no-max-age",
            "the policy has no max_age line",
        ));
    }
    if mx_lines == 0 && matches!(mode, Some(Mode::Enforce | Mode::Testing)) {
        problems.push(Problem::fatal(
            "no-mx",
            "the policy lists no mx line, so no mail server is allowed",
        ));
    }
    tags::cap(&mut problems);
    Policy {
        mode,
        max_age,
        mx,
        problems,
    }
}

/// A valid `mx:` value: a host name, optionally with a leading `*.`; lower-case, no trailing dot.
fn mx_pattern(value: &str) -> Option<String> {
    let value = value.trim_end_matches('.');
    let (wildcard, host) = match value.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let host = validate::hostname("mx", host).ok()?;
    Some(if wildcard { format!("*.{host}") } else { host })
}

/// RFC 8461 §4.1: a pattern matches a host exactly (ignoring case and a trailing dot); a
/// `*.` pattern matches exactly one extra label on the left.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.')),
        None => pattern == host,
    }
}

/// True when a Content-Type header value is text/plain (parameters such as charset allowed).
pub fn is_text_plain(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn txt_records() {
        let cases: Vec<(&str, bool, Vec<&str>)> = vec![
            ("v=STSv1; id=20261124T000000;", true, vec![]),
            ("v=STSv1;id=1", true, vec![]),
            ("v=STSv1; id=abc; ext=1", true, vec![]),
            ("v=STSv1;", true, vec!["no-id"]),
            ("v=STSv1; id=", true, vec!["bad-id"]),
            ("v=STSv1; id=2026-11-24", true, vec!["bad-id"]),
            (
                "v=STSv1; id=123456789012345678901234567890123",
                true,
                vec!["bad-id"],
            ),
            ("v=STSv1; id=a=b", true, vec!["bad-id", "bad-field"]),
            ("v=stsv1; id=1", false, vec!["bad-version"]),
            ("id=1; v=STSv1", false, vec!["bad-version"]),
        ];
        for (txt, record, want) in cases {
            assert_eq!(is_record(txt), record, "{txt}");
            assert!(record || looks_like_attempt(txt), "{txt}");
            assert_eq!(codes(&parse_record(txt).problems), want, "{txt}");
        }
        assert!(!is_record("v=STSv10; id=1"));
        assert!(!looks_like_attempt("v=spf1 -all"));
    }

    #[test]
    fn policies() {
        let good = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.backup.example.org\r\nmax_age: 604800\r\n";
        let policy = parse_policy(good);
        assert!(policy.problems.is_empty(), "{:?}", policy.problems);
        assert_eq!(policy.mode, Some(Mode::Enforce));
        assert_eq!(policy.max_age, Some(604_800));
        assert_eq!(policy.mx, vec!["mail.example.org", "*.backup.example.org"]);

        let cases: Vec<(&str, Vec<&str>)> = vec![
            (
                "version: STSv1\nmode: testing\nmx: MX.Example.org.\nmax_age: 86400",
                vec![],
            ),
            ("version: STSv1\nmode: none\nmax_age: 86400\n", vec![]),
            (
                "version: STSv1\nmode: enforce\nmax_age: 86400\n",
                vec!["no-mx"],
            ),
            (
                "mode: enforce\nmx: a.example.org\nmax_age: 1\n",
                vec!["no-version"],
            ),
            (
                "version: STSv2\nmode: enforce\nmx: a.example.org\nmax_age: 1\n",
                vec!["bad-version"],
            ),
            (
                "version: STSv1\nmode: enforcing\nmx: a.example.org\nmax_age: 1\n",
                vec!["bad-mode"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.example.org\nmax_age: 31557601\n",
                vec!["bad-max-age"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.example.org\nmax_age: -1\n",
                vec!["bad-max-age"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.example.org\n",
                vec!["no-max-age"],
            ),
            (
                "version: STSv1\nmx: a.example.org\nmax_age: 1\n",
                vec!["no-mode"],
            ),
            (
                "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example.org\nmax_age: 1\n",
                vec!["duplicate-key"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a..example.org\nmax_age: 1\n",
                vec!["bad-mx"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: *.*.example.org\nmax_age: 1\n",
                vec!["bad-mx"],
            ),
            (
                "version: STSv1\nmode enforce\nmx: a.example.org\nmax_age: 1\n",
                vec!["bad-line", "no-mode"],
            ),
            (
                "<html>not found</html>",
                vec!["bad-line", "no-version", "no-mode", "no-max-age"],
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.example.org\nmax_age: 1\nextension_key: yes\n",
                vec![],
            ),
        ];
        for (body, want) in cases {
            assert_eq!(codes(&parse_policy(body).problems), want, "{body:?}");
        }
    }

    #[test]
    fn mx_pattern_matching() {
        let cases = [
            ("mail.example.org", "mail.example.org", true),
            ("mail.example.org", "MAIL.example.org.", true),
            ("mail.example.org", "mx.example.org", false),
            ("*.example.org", "mail.example.org", true),
            ("*.example.org", "example.org", false),
            ("*.example.org", "a.b.example.org", false),
            ("*.example.org", "mailexample.org", false),
            ("*.example.org", ".example.org", false),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(mx_matches(pattern, host), want, "{pattern} vs {host}");
        }
        let policy = parse_policy("version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 1");
        let hosts = vec![
            "mx1.example.org".to_string(),
            "backup.example.net".to_string(),
        ];
        assert_eq!(policy.uncovered(&hosts), vec![&hosts[1]]);
    }

    #[test]
    fn content_types() {
        assert!(is_text_plain("text/plain"));
        assert!(is_text_plain("Text/Plain; charset=utf-8"));
        assert!(!is_text_plain("text/html"));
    }

    #[test]
    fn urls() {
        assert_eq!(
            policy_url("example.org"),
            "https://mta-sts.example.org/.well-known/mta-sts.txt"
        );
        assert_eq!(txt_name("example.org"), "_mta-sts.example.org");
    }
}
