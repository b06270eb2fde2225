//! The bounce knowledge, loaded from `playbooks/bounces/`: reasons with their words and
//! checks, providers, status and reply code meanings, and the patterns that map a
//! reply to a reason. Patterns are data so that a new provider message needs no code.
//!
//! Files:
//! - `reasons.yaml`: one entry per reason (Sisimai's vocabulary): title, explanation, fix,
//!   finding ids to re-check and whose side must act.
//! - `providers.yaml`: mailbox providers, recognised by host, recipient domain or marker.
//! - `codes.yaml`: RFC 3463 class/subject/detail meanings, status and reply code reasons.
//! - `extract.yaml`: regexes that pull the sender domain and blocklist names out of replies.
//! - every other `*.yaml`: a pattern file (`tier`, `order`, `patterns`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::assets::{Assets, Kind};
use crate::diagnose::FindingId;
use crate::plan::playbook::{PlaybookError, parse};

use super::status::SmtpCommand;

/// The folder of bounce playbooks inside `playbooks/`.
pub const DIR: &str = "bounces/";

/// Whose side has to act on a reason; decides which domain the check command names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Your server, DNS or content: run `mxdoctor check` on your domain.
    Sender,
    /// The address or the recipient's domain: check the recipient domain.
    Recipient,
    /// The receiving system had a problem of its own: wait or contact them.
    Remote,
    /// Nothing to do (delivered, auto-replies).
    None,
}

/// What one reason means for the sender.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonText {
    /// One line naming the cause.
    pub title: String,
    /// Why it happened, in plain words (Handlebars).
    pub explanation: String,
    /// What to do (Handlebars).
    pub fix: String,
    /// Findings to re-check, most likely first.
    #[serde(default)]
    pub findings: Vec<FindingId>,
    pub side: Side,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub name: String,
    /// Host name suffixes of the provider's mail servers (label boundary).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Recipient domains hosted by the provider.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Regexes that only this provider's replies contain (URLs, codes).
    #[serde(default)]
    pub markers: Vec<String>,
    /// Where senders read the provider's rules.
    #[serde(default)]
    pub postmaster: Option<String>,
}

/// The meaning of one status detail or reply code, and the reason it implies alone.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMeaning {
    pub meaning: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `codes.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    /// "2", "4", "5" → meaning.
    pub classes: BTreeMap<String, String>,
    /// "0".."7" → meaning.
    pub subjects: BTreeMap<String, String>,
    /// "subject.detail" (e.g. "7.26") → meaning of the registered detail.
    pub details: BTreeMap<String, String>,
    /// Full status ("5.1.1") → reason implied by the status alone.
    pub status_reasons: BTreeMap<String, String>,
    /// "class.subject" ("5.7") → reason when nothing more precise matched.
    pub family_reasons: BTreeMap<String, String>,
    /// Reply code ("550") → meaning and the reason it implies alone.
    pub reply_codes: BTreeMap<String, CodeMeaning>,
}

/// A blocklist named in a reply.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistName {
    #[serde(rename = "match")]
    pub pattern: String,
    pub name: String,
    /// Findings that this listing points to (IP list, policy list or domain list).
    pub findings: Vec<FindingId>,
    #[serde(default)]
    pub lookup: Option<String>,
}

/// `extract.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Regexes with one capture group: the sender's domain as a reply names it.
    pub sender_domain: Vec<String>,
    pub blocklists: Vec<BlocklistName>,
    /// Subjects that mark a message as a bounce.
    pub bounce_subject: Vec<String>,
    /// Subjects that mark a message as an automatic reply.
    pub auto_reply_subject: Vec<String>,
    /// Subjects of complaint reports that are not in ARF format.
    #[serde(default)]
    pub feedback_subject: Vec<String>,
}

/// A pattern file's tier: provider-specific words win over generic ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Words only one provider or one MTA writes.
    Provider,
    /// Words any server may write.
    Text,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternFile {
    pub tier: Tier,
    /// Files of one tier are tried in this order (then by name).
    #[serde(default)]
    pub order: i32,
    /// Provider id given to every pattern of the file.
    #[serde(default)]
    pub provider: Option<String>,
    pub patterns: Vec<Pattern>,
}

/// One text pattern and what it means.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Stable id, shown in JSON ("google.unauthenticated").
    pub id: String,
    /// A regex over the lowercased reply (one line, single spaces).
    #[serde(rename = "match")]
    pub pattern: String,
    pub reason: String,
    /// Only with one of these reply codes.
    #[serde(default)]
    pub reply: Vec<u16>,
    /// Only with a status that starts with one of these ("5.7", "4.7.650").
    #[serde(default)]
    pub status: Vec<String>,
    /// Never with a status that starts with one of these.
    #[serde(default)]
    pub not_status: Vec<String>,
    /// Only in reply to one of these commands (when the bounce says which).
    #[serde(default)]
    pub command: Vec<SmtpCommand>,
    /// Never in reply to one of these commands.
    #[serde(default)]
    pub not_command: Vec<SmtpCommand>,
    /// Only when the rejecting host ends with one of these names.
    #[serde(default)]
    pub remote: Vec<String>,
    /// Provider id, when the words are one provider's (defaults to the file's).
    #[serde(default)]
    pub provider: Option<String>,
    /// Findings to re-check instead of the reason's.
    #[serde(default)]
    pub findings: Option<Vec<FindingId>>,
    /// Explanation instead of the reason's (Handlebars).
    #[serde(default)]
    pub explanation: Option<String>,
    /// Fix instead of the reason's (Handlebars).
    #[serde(default)]
    pub fix: Option<String>,
}

/// A pattern with the tier and order of its file.
#[derive(Clone, Debug)]
pub struct RankedPattern {
    pub tier: Tier,
    pub file: String,
    pub pattern: Pattern,
}

/// Everything under `playbooks/bounces/`.
#[derive(Clone, Debug)]
pub struct BounceBook {
    pub reasons: BTreeMap<String, ReasonText>,
    pub providers: Vec<Provider>,
    pub codes: Codes,
    pub extract: Extract,
    /// In precedence order: provider tier first, then by file order, name and position.
    pub patterns: Vec<RankedPattern>,
}

const SPECIAL_FILES: &[&str] = &[
    "reasons.yaml",
    "providers.yaml",
    "codes.yaml",
    "extract.yaml",
];

impl BounceBook {
    pub fn load(assets: &Assets) -> Result<Self, PlaybookError> {
        let files = assets.files(Kind::Playbooks, DIR)?;
        let get = |name: &str| -> Result<&String, PlaybookError> {
            files
                .get(&format!("{DIR}{name}"))
                .ok_or_else(|| PlaybookError::Missing {
                    path: format!("{DIR}{name}"),
                })
        };
        let reasons: BTreeMap<String, ReasonText> =
            parse(&format!("{DIR}reasons.yaml"), get("reasons.yaml")?)?;
        let providers: Vec<Provider> =
            parse(&format!("{DIR}providers.yaml"), get("providers.yaml")?)?;
        let codes: Codes = parse(&format!("{DIR}codes.yaml"), get("codes.yaml")?)?;
        let extract: Extract = parse(&format!("{DIR}extract.yaml"), get("extract.yaml")?)?;

        let mut ranked: Vec<(Tier, i32, String, usize, Pattern)> = Vec::new();
        for (path, text) in &files {
            let name = path.strip_prefix(DIR).unwrap_or(path);
            if !name.ends_with(".yaml") || SPECIAL_FILES.contains(&name) {
                continue;
            }
            let file: PatternFile = parse(path, text)?;
            for (i, mut pattern) in file.patterns.into_iter().enumerate() {
                if pattern.provider.is_none() {
                    pattern.provider = file.provider.clone();
                }
                ranked.push((file.tier, file.order, path.clone(), i, pattern));
            }
        }
        ranked.sort_by(|a, b| (a.0, a.1, &a.2, a.3).cmp(&(b.0, b.1, &b.2, b.3)));
        let book = BounceBook {
            reasons,
            providers,
            codes,
            extract,
            patterns: ranked
                .into_iter()
                .map(|(tier, _, file, _, pattern)| RankedPattern {
                    tier,
                    file,
                    pattern,
                })
                .collect(),
        };
        book.check()?;
        Ok(book)
    }

    /// Every reason named anywhere has words, every provider named exists, ids are unique.
    fn check(&self) -> Result<(), PlaybookError> {
        let err = |path: &str, message: String| PlaybookError::Parse {
            path: path.to_string(),
            message,
        };
        let known_reason = |r: &str| self.reasons.contains_key(r);
        let mut ids = std::collections::HashSet::new();
        for p in &self.patterns {
            let pat = &p.pattern;
            if !ids.insert(pat.id.as_str()) {
                return Err(err(&p.file, format!("pattern id {} is used twice", pat.id)));
            }
            if has_uppercase_literal(&pat.pattern) {
                return Err(err(
                    &p.file,
                    format!(
                        "pattern {}: write patterns in lowercase (they match the lowercased reply)",
                        pat.id
                    ),
                ));
            }
            if !known_reason(&pat.reason) {
                return Err(err(
                    &p.file,
                    format!("pattern {}: unknown reason {:?}", pat.id, pat.reason),
                ));
            }
            if let Some(provider) = &pat.provider
                && !self.providers.iter().any(|x| &x.id == provider)
            {
                return Err(err(
                    &p.file,
                    format!("pattern {}: unknown provider {provider:?}", pat.id),
                ));
            }
        }
        let codes_path = format!("{DIR}codes.yaml");
        for reason in self
            .codes
            .status_reasons
            .values()
            .chain(self.codes.family_reasons.values())
            .chain(
                self.codes
                    .reply_codes
                    .values()
                    .filter_map(|c| c.reason.as_ref()),
            )
        {
            if !known_reason(reason) {
                return Err(err(&codes_path, format!("unknown reason {reason:?}")));
            }
        }
        for required in super::classify::REQUIRED_REASONS {
            if !known_reason(required) {
                return Err(err(
                    &format!("{DIR}reasons.yaml"),
                    format!("reason {required:?} has no entry"),
                ));
            }
        }
        Ok(())
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

/// An uppercase letter outside an escape (`\S`, `\B` are escapes, `A` is not).
fn has_uppercase_literal(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c.is_uppercase() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_playbooks_load_and_check() {
        let book = BounceBook::load(&Assets::default()).expect("bounce playbooks");
        assert!(book.patterns.len() > 100);
        // Provider-specific patterns come before generic ones.
        let first_text = book
            .patterns
            .iter()
            .position(|p| p.tier == Tier::Text)
            .unwrap();
        assert!(
            book.patterns[first_text..]
                .iter()
                .all(|p| p.tier == Tier::Text)
        );
        for provider in ["google", "microsoft", "yahoo", "apple"] {
            assert!(book.provider(provider).is_some(), "{provider}");
        }
    }

    #[test]
    fn uppercase_literals_are_found_outside_escapes() {
        assert!(!has_uppercase_literal(r"\S+ \d\B spam"));
        assert!(has_uppercase_literal("Spam"));
    }
}
