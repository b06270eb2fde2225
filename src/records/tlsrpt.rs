//! SMTP TLS Reporting records (`_smtp._tls.<domain>` TXT, RFC 8460 §3).
//!
//! ```text
//! record = "v=TLSRPTv1" 1*( *WSP ";" *WSP field ) [ ";" ]
//! rua    = uri *( *WSP "," *WSP uri )      ; mailto:addr or https:URL, required, once
//! ```
//! Unknown fields are extensions and are ignored.

use serde::Serialize;

use super::tags::{self, Problem};
use crate::answers::validate;

/// The name of the TXT record of `domain`.
pub fn txt_name(domain: &str) -> String {
    format!("_smtp._tls.{domain}")
}

/// True when a TXT record is a TLS-RPT record (starts with `v=TLSRPTv1`).
pub fn is_record(txt: &str) -> bool {
    txt.strip_prefix("v=TLSRPTv1")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
}

/// True when a TXT record was probably meant as a TLS-RPT record.
pub fn looks_like_attempt(txt: &str) -> bool {
    let lower = txt.to_ascii_lowercase();
    lower.contains("v=tlsrpt") || lower.trim_start().starts_with("rua=")
}

/// What the record says and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsRptRecord {
    /// The usable report destinations.
    pub rua: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Read and lint one record. Every problem makes senders ignore the record.
pub fn parse(txt: &str) -> TlsRptRecord {
    let list = tags::parse(txt);
    let mut problems = list.problems();
    if !is_record(txt) {
        problems.push(Problem::fatal(
            "bad-version",
            "the record must start with exactly v=TLSRPTv1",
        ));
    }
    let mut rua = Vec::new();
    match list.value("rua") {
        None => problems.push(Problem::fatal(
            "no-rua",
            "the record has no rua= field, so reports have nowhere to go",
        )),
        Some(value) => {
            for raw in value.split(',') {
                let uri = raw.trim_matches(tags::is_wsp);
                match check_uri(uri) {
                    Ok(()) => rua.push(uri.to_string()),
                    Err(message) => problems.push(Problem::fatal("bad-uri", message)),
                }
            }
        }
    }
    tags::cap(&mut problems);
    TlsRptRecord { rua, problems }
}

fn check_uri(uri: &str) -> Result<(), String> {
    if uri.is_empty() {
        return Err("rua= has an empty entry".into());
    }
    let (scheme, rest) = uri.split_once(':').unwrap_or(("", uri));
    if scheme.eq_ignore_ascii_case("mailto") {
        let address = rest.split('?').next().unwrap_or_default();
        let valid = address.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !local.chars().any(|c| c.is_whitespace() || c.is_control())
                && validate::domain("rua", domain).is_ok()
        });
        if valid {
            Ok(())
        } else {
            Err(format!("{} has no valid e-mail address", tags::clip(uri)))
        }
    } else if scheme.eq_ignore_ascii_case("https") {
        let host = rest
            .strip_prefix("//")
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
            .map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h));
        if host.is_some_and(|h| validate::hostname("rua", h).is_ok()) {
            Ok(())
        } else {
            Err(format!("{} is not a valid https:// URL", tags::clip(uri)))
        }
    } else {
        Err(format!(
            "{} is neither a mailto: nor an https: URI",
            tags::clip(uri)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: Vec<(&str, Vec<&str>, usize)> = vec![
            ("v=TLSRPTv1; rua=mailto:tlsrpt@example.org", vec![], 1),
            (
                "v=TLSRPTv1;rua=mailto:a@example.org,https://reports.example.net/tls",
                vec![],
                2,
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.org , mailto:b@example.net;",
                vec![],
                2,
            ),
            (
                "v=TLSRPTv1; rua=https://reports.example.net:8443/x?y=1",
                vec![],
                1,
            ),
            ("v=TLSRPTv1; rua=mailto:a@example.org; ext=1", vec![], 1),
            ("v=TLSRPTv1", vec!["no-rua"], 0),
            ("v=TLSRPTv1; rua=tlsrpt@example.org", vec!["bad-uri"], 0),
            (
                "v=TLSRPTv1; rua=http://reports.example.net/",
                vec!["bad-uri"],
                0,
            ),
            ("v=TLSRPTv1; rua=mailto:a@example.org,", vec!["bad-uri"], 1),
            (
                "v=TLSRPTv1; rua=mailto:a@example.org; rua=mailto:b@example.org",
                vec!["duplicate-tag"],
                1,
            ),
            (
                "v=tlsrptv1; rua=mailto:a@example.org",
                vec!["bad-version"],
                1,
            ),
        ];
        for (txt, want, uris) in cases {
            let record = parse(txt);
            let codes: Vec<&str> = record.problems.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(codes, want, "{txt}");
            assert_eq!(record.rua.len(), uris, "{txt}");
        }
        assert!(is_record("v=TLSRPTv1;rua=mailto:a@example.org"));
        assert!(!is_record("v=TLSRPTv10; rua=x"));
        assert!(looks_like_attempt("v=tlsrptv1; rua=x"));
        assert!(!looks_like_attempt("v=spf1 -all"));
    }
}
