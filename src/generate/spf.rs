//! Building the domain's one SPF record from the answers, merged with what is published.
//!
//! A domain must have exactly one SPF record (RFC 7208 §3.2), so an existing record is never
//! duplicated: its mechanisms and includes are kept, the server's and the relay's are added,
//! and several existing records are folded into one.

use serde::Serialize;

/// Terms that cost a DNS lookup at the top level of a record (RFC 7208 §4.6.4).
const LOOKUP_TERMS: [&str; 6] = ["include:", "a", "mx", "ptr", "exists:", "redirect="];

/// The SPF record to publish and how it came about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpfRecord {
    pub value: String,
    /// Existing records this one replaces (exact text).
    pub replaces: Vec<String>,
    /// Terms added to what was published.
    pub added: Vec<String>,
    /// Terms kept from what was published.
    pub kept: Vec<String>,
    /// DNS lookups the record's own terms cost (includes' own lookups come on top).
    pub lookups: usize,
}

/// What the record must authorise.
pub struct SpfInput<'a> {
    /// `ip4:…`/`ip6:…`/`mx`/`a:…` terms for the server itself.
    pub own: Vec<String>,
    pub include: Option<&'a str>,
}

/// The merged record: existing terms first (their order matters to evaluation cost only),
/// then ours, then modifiers, then the `all` (kept from the old record when it was `-all`
/// or `~all`; `~all` replaces a `+all`/`?all`; `-all` for a new record).
pub fn build(input: &SpfInput<'_>, existing: &[String]) -> SpfRecord {
    let mut terms: Vec<String> = Vec::new();
    let mut modifiers: Vec<String> = Vec::new();
    let mut old_all: Option<char> = None;
    let mut kept = Vec::new();
    for record in existing {
        for term in record.split_whitespace().skip(1) {
            let lower = term.to_ascii_lowercase();
            let bare = lower.trim_start_matches(['+', '-', '~', '?']);
            if bare == "all" {
                let q = lower
                    .chars()
                    .next()
                    .filter(|c| "+-~?".contains(*c))
                    .unwrap_or('+');
                // The strictest `all` among several records wins.
                old_all = Some(match (old_all, q) {
                    (Some('-'), _) | (_, '-') => '-',
                    (Some('~'), _) | (_, '~') => '~',
                    _ => q,
                });
            } else if lower.starts_with("redirect=") || lower.starts_with("exp=") {
                if !modifiers.iter().any(|m| m.eq_ignore_ascii_case(term)) {
                    modifiers.push(term.to_string());
                }
            } else if !terms.iter().any(|t| same_term(t, term)) {
                terms.push(term.to_string());
                kept.push(term.to_string());
            }
        }
    }
    let mut added = Vec::new();
    let ours = input
        .own
        .iter()
        .cloned()
        .chain(input.include.map(|i| format!("include:{i}")));
    for term in ours {
        if !terms.iter().any(|t| same_term(t, &term)) {
            terms.push(term.clone());
            added.push(term);
        }
    }
    let has_redirect = modifiers
        .iter()
        .any(|m| m.to_ascii_lowercase().starts_with("redirect="));
    let all = match old_all {
        Some('-') => Some("-all"),
        Some(_) => Some("~all"),
        None if has_redirect => None,
        None => Some("-all"),
    };
    let mut parts = vec!["v=spf1".to_string()];
    parts.extend(terms.iter().cloned());
    // A redirect= is ignored when an `all` is present, so the two never go together.
    if let Some(all) = all {
        parts.extend(
            modifiers
                .iter()
                .filter(|m| !m.to_ascii_lowercase().starts_with("redirect="))
                .cloned(),
        );
        parts.push(all.to_string());
    } else {
        parts.extend(modifiers.iter().cloned());
    }
    let lookups = parts.iter().filter(|t| costs_lookup(t)).count();
    SpfRecord {
        value: parts.join(" "),
        replaces: existing.to_vec(),
        added,
        kept,
        lookups,
    }
}

fn costs_lookup(term: &str) -> bool {
    let t = term.to_ascii_lowercase();
    let t = t.trim_start_matches(['+', '-', '~', '?']);
    LOOKUP_TERMS.iter().any(|p| {
        if p.ends_with(':') || p.ends_with('=') {
            t.starts_with(p)
        } else {
            t == *p || t.starts_with(&format!("{p}:")) || t.starts_with(&format!("{p}/"))
        }
    })
}

/// Two terms authorise the same thing (case-insensitive; `ip4:x` equals `ip4:x/32`).
fn same_term(a: &str, b: &str) -> bool {
    let norm = |t: &str| {
        let t = t.to_ascii_lowercase();
        let t = t.trim_start_matches('+').to_string();
        t.strip_suffix("/32")
            .filter(|s| s.starts_with("ip4:"))
            .or_else(|| t.strip_suffix("/128").filter(|s| s.starts_with("ip6:")))
            .map(str::to_string)
            .unwrap_or(t)
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(own: &[&str], include: Option<&'static str>) -> SpfInput<'static> {
        SpfInput {
            own: own.iter().map(|s| s.to_string()).collect(),
            include,
        }
    }

    #[test]
    fn new_record() {
        let r = build(
            &input(
                &["ip4:203.0.113.10", "ip6:2001:db8::10"],
                Some("sendgrid.net"),
            ),
            &[],
        );
        assert_eq!(
            r.value,
            "v=spf1 ip4:203.0.113.10 ip6:2001:db8::10 include:sendgrid.net -all"
        );
        assert_eq!(r.lookups, 1);
    }

    #[test]
    fn merges_existing_keeping_includes_and_qualifier() {
        let existing = vec!["v=spf1 include:_spf.google.com ip4:203.0.113.10/32 ~all".to_string()];
        let r = build(&input(&["ip4:203.0.113.10", "mx"], None), &existing);
        assert_eq!(
            r.value,
            "v=spf1 include:_spf.google.com ip4:203.0.113.10/32 mx ~all"
        );
        assert_eq!(r.added, vec!["mx"]);
        assert_eq!(r.replaces, existing);
    }

    #[test]
    fn folds_several_records_and_replaces_pass_all() {
        let existing = vec![
            "v=spf1 +all".to_string(),
            "v=spf1 include:mailgun.org ?all".to_string(),
        ];
        let r = build(&input(&["mx"], None), &existing);
        assert_eq!(r.value, "v=spf1 include:mailgun.org mx ~all");
    }

    #[test]
    fn keeps_a_redirect_without_adding_all() {
        let existing = vec!["v=spf1 redirect=_spf.example.net".to_string()];
        let r = build(&input(&["ip4:203.0.113.10"], None), &existing);
        assert_eq!(r.value, "v=spf1 ip4:203.0.113.10 redirect=_spf.example.net");
        assert_eq!(r.lookups, 1);
    }
}
