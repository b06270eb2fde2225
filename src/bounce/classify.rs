//! From a reply to a reason, by a fixed precedence:
//!
//! 1. a provider- or MTA-specific pattern (tier `provider` in the playbooks),
//! 2. a generic text pattern (tier `text`),
//! 3. the enhanced status code: the exact code (`5.7.26`), then its family (`5.7`),
//! 4. the SMTP reply code (`521`, `525`…),
//! 5. what the bounce says around the reply: a delayed action, a local program's exit, a
//!    rejected greeting; else `onhold` when there are words, `undefined` when there are none.
//!
//! Within a tier, files are tried by their `order` and name, patterns in file order; the
//! first pattern whose constraints (reply code, status, command, rejecting host) hold wins.
//! All patterns are compiled once. A reply is first scanned once with an Aho-Corasick
//! automaton of the literals every match of a pattern must start with; only the patterns
//! whose literals occur are then run, in precedence order, until one holds.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

use crate::plan::PlaybookError;

use super::playbook::{BounceBook, RankedPattern, Tier};
use super::status::{SmtpCommand, Status};

/// Reasons the classifier can give without a pattern: each needs words in `reasons.yaml`.
pub const REQUIRED_REASONS: &[&str] = &[
    "delivered",
    "expired",
    "mailererror",
    "blocked",
    "syntaxerror",
    "onhold",
    "undefined",
    "feedback",
    "vacation",
];

/// Longest text handed to the pattern set; replies are short, notices are cut before this.
const MAX_MATCH_BYTES: usize = 16 * 1024;

/// What decided the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    ProviderPattern,
    TextPattern,
    Status,
    StatusFamily,
    ReplyCode,
    Context,
    /// The bounce's form says it (a complaint report, an auto-reply, a delivery report).
    Form,
}

/// What the classifier looks at for one recipient.
#[derive(Clone, Debug, Default)]
pub struct Input<'a> {
    /// Lowercased, one line (see `reply::for_matching`).
    pub text: &'a str,
    pub reply_code: Option<u16>,
    pub status: Option<Status>,
    pub command: Option<SmtpCommand>,
    pub action: Option<&'a str>,
    /// Lowercased host name of the server that rejected.
    pub remote_mta: Option<&'a str>,
    pub recipient_domain: Option<&'a str>,
    /// `smtp`, `x-unix`… from the DSN.
    pub diagnostic_type: Option<&'a str>,
    /// Whether the bounce quotes any words of the remote server.
    pub has_diagnostic: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub reason: String,
    pub matched_by: MatchedBy,
    /// Index into `Classifier::patterns`.
    pub pattern: Option<usize>,
}

/// The compiled playbook patterns.
pub struct Classifier {
    regexes: Vec<Regex>,
    prefilter: Prefilter,
    patterns: Vec<RankedPattern>,
    markers: Vec<(usize, Regex)>,
    sender_domain: Vec<Regex>,
    blocklists: Vec<Regex>,
}

fn compile_error(what: &str, pattern: &str, e: regex::Error) -> PlaybookError {
    PlaybookError::Parse {
        path: super::playbook::DIR.to_string(),
        message: format!("{what}: bad regex {pattern:?}: {e}"),
    }
}

/// A playbook pattern: written lowercase, matched on lowercased text, with ASCII word
/// boundaries (a Unicode `\b` keeps the regex out of its fast DFA on non-ASCII text).
fn pattern_regex(id: &str, pattern: &str) -> Result<Regex, PlaybookError> {
    RegexBuilder::new(&dfa_friendly(pattern))
        .build()
        .map_err(|e| compile_error(id, pattern, e))
}

/// The literals that start every match of each pattern, in one Aho-Corasick automaton.
struct Prefilter {
    automaton: AhoCorasick,
    /// For each literal of the automaton, the patterns it may start.
    owners: Vec<Vec<usize>>,
    /// Patterns without usable literals: always tried.
    always: Vec<usize>,
    count: usize,
}

impl Prefilter {
    fn new(book: &BounceBook) -> Result<Self, PlaybookError> {
        let mut extractor = Extractor::new();
        extractor
            .kind(ExtractKind::Prefix)
            .limit_class(8)
            .limit_repeat(4)
            .limit_literal_len(24)
            .limit_total(4000);
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index_of: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut always = Vec::new();
        for (i, p) in book.patterns.iter().enumerate() {
            let hir = regex_syntax::ParserBuilder::new()
                .build()
                .parse(&dfa_friendly(&p.pattern.pattern))
                .map_err(|e| PlaybookError::Parse {
                    path: p.file.clone(),
                    message: format!("pattern {}: {e}", p.pattern.id),
                })?;
            let seq = extractor.extract(&hir);
            match seq.literals() {
                Some(lits) if !lits.is_empty() && lits.iter().all(|l| !l.is_empty()) => {
                    for lit in lits {
                        let bytes = lit.as_bytes().to_vec();
                        let slot = *index_of.entry(bytes.clone()).or_insert_with(|| {
                            literals.push(bytes);
                            owners.push(Vec::new());
                            owners.len() - 1
                        });
                        if !owners[slot].contains(&i) {
                            owners[slot].push(i);
                        }
                    }
                }
                _ => always.push(i),
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| PlaybookError::Parse {
                path: super::playbook::DIR.to_string(),
                message: format!("pattern literals: {e}"),
            })?;
        Ok(Prefilter {
            automaton,
            owners,
            always,
            count: book.patterns.len(),
        })
    }

    /// The patterns that may match `text`, in precedence order.
    fn candidates(&self, text: &str) -> Vec<usize> {
        let mut hit = vec![false; self.count];
        for &i in &self.always {
            hit[i] = true;
        }
        for m in self.automaton.find_overlapping_iter(text) {
            for &i in &self.owners[m.pattern().as_usize()] {
                hit[i] = true;
            }
        }
        hit.iter()
            .enumerate()
            .filter_map(|(i, &h)| h.then_some(i))
            .collect()
    }
}

/// `\b` as an ASCII word boundary, which the lazy DFA supports on any text.
fn dfa_friendly(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn regex(what: &str, pattern: &str) -> Result<Regex, PlaybookError> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| compile_error(what, pattern, e))
}

impl Classifier {
    pub fn new(book: &BounceBook) -> Result<Self, PlaybookError> {
        let mut regexes = Vec::with_capacity(book.patterns.len());
        for p in &book.patterns {
            regexes.push(pattern_regex(&p.pattern.id, &p.pattern.pattern)?);
        }
        let prefilter = Prefilter::new(book)?;
        let mut markers = Vec::new();
        for (i, provider) in book.providers.iter().enumerate() {
            for m in &provider.markers {
                markers.push((i, regex(&format!("provider {}", provider.id), m)?));
            }
        }
        let sender_domain = book
            .extract
            .sender_domain
            .iter()
            .map(|p| regex("sender_domain", p))
            .collect::<Result<Vec<_>, _>>()?;
        let blocklists = book
            .extract
            .blocklists
            .iter()
            .map(|b| regex(&format!("blocklist {}", b.name), &b.pattern))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Classifier {
            regexes,
            prefilter,
            patterns: book.patterns.clone(),
            markers,
            sender_domain,
            blocklists,
        })
    }

    pub fn pattern(&self, index: usize) -> &RankedPattern {
        &self.patterns[index]
    }

    /// The reason for one recipient.
    pub fn classify(&self, book: &BounceBook, input: &Input) -> Verdict {
        let verdict = |reason: &str, matched_by| Verdict {
            reason: reason.to_string(),
            matched_by,
            pattern: None,
        };
        if input.action == Some("delivered")
            || input.status.is_some_and(|s| s.class == 2)
            || (input.status.is_none() && input.reply_code.is_some_and(|c| c < 300))
        {
            return verdict("delivered", MatchedBy::Status);
        }
        let text = bounded(input.text);
        if !text.is_empty() {
            for index in self.prefilter.candidates(text) {
                let ranked = &self.patterns[index];
                if constraints_hold(ranked, input) && self.regexes[index].is_match(text) {
                    return Verdict {
                        reason: ranked.pattern.reason.clone(),
                        matched_by: match ranked.tier {
                            Tier::Provider => MatchedBy::ProviderPattern,
                            Tier::Text => MatchedBy::TextPattern,
                        },
                        pattern: Some(index),
                    };
                }
            }
        }
        if let Some(status) = input.status {
            if let Some(reason) = book.codes.status_reasons.get(&status.to_string()) {
                return verdict(reason, MatchedBy::Status);
            }
            if let Some(reason) = book.codes.family_reasons.get(&status.family()) {
                return verdict(reason, MatchedBy::StatusFamily);
            }
        }
        if let Some(reason) = input
            .reply_code
            .and_then(|c| book.codes.reply_codes.get(&c.to_string()))
            .and_then(|m| m.reason.as_ref())
        {
            return verdict(reason, MatchedBy::ReplyCode);
        }
        if matches!(input.action, Some("delayed") | Some("expired")) {
            return verdict("expired", MatchedBy::Context);
        }
        if input
            .diagnostic_type
            .is_some_and(|t| t.starts_with("x-unix"))
        {
            return verdict("mailererror", MatchedBy::Context);
        }
        if matches!(
            input.command,
            Some(SmtpCommand::Helo | SmtpCommand::Ehlo | SmtpCommand::Connect)
        ) && input.reply_code.is_none_or(|c| c >= 400)
        {
            // Refused before any message was offered: the refusal is about the client.
            return verdict("blocked", MatchedBy::Context);
        }
        if input
            .reply_code
            .is_some_and(|c| (401..=407).contains(&c) || (501..=507).contains(&c))
        {
            return verdict("syntaxerror", MatchedBy::ReplyCode);
        }
        if !input.has_diagnostic && input.status.is_none() && input.reply_code.is_none() {
            verdict("undefined", MatchedBy::Context)
        } else {
            verdict("onhold", MatchedBy::Context)
        }
    }

    /// Whether any pattern matches at all (used to tell a reply from unrelated text).
    pub fn matches_any(&self, text: &str) -> bool {
        let text = bounded(text);
        self.prefilter
            .candidates(text)
            .into_iter()
            .any(|i| self.regexes[i].is_match(text))
    }

    /// The provider that rejected: by host name, then by words only it writes, then by the
    /// recipient's domain.
    pub fn provider(&self, book: &BounceBook, input: &Input) -> Option<usize> {
        if let Some(host) = input.remote_mta {
            let by_host = book
                .providers
                .iter()
                .position(|p| p.hosts.iter().any(|h| domain_ends_with(host, h)));
            if by_host.is_some() {
                return by_host;
            }
        }
        let text = bounded(input.text);
        if let Some((i, _)) = self.markers.iter().find(|(_, re)| re.is_match(text)) {
            return Some(*i);
        }
        let domain = input.recipient_domain?;
        book.providers
            .iter()
            .position(|p| p.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    /// The sender's domain when the reply names it ("sending domain [example.org]").
    pub fn sender_domain(&self, text: &str) -> Option<String> {
        let text = bounded(text);
        self.sender_domain.iter().find_map(|re| {
            re.captures(text)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().trim_end_matches('.').to_ascii_lowercase())
                .filter(|d| d.contains('.'))
        })
    }

    /// Index of the first blocklist named in `text`.
    pub fn blocklist(&self, text: &str) -> Option<usize> {
        let text = bounded(text);
        self.blocklists.iter().position(|re| re.is_match(text))
    }
}

fn bounded(text: &str) -> &str {
    if text.len() <= MAX_MATCH_BYTES {
        return text;
    }
    let mut end = MAX_MATCH_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `mx1.gmail-smtp-in.l.google.com` ends with `google.com`, `notgoogle.com` does not.
pub fn domain_ends_with(host: &str, suffix: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let suffix = suffix.trim_start_matches('.').to_ascii_lowercase();
    host == suffix || host.ends_with(&format!(".{suffix}"))
}

fn constraints_hold(ranked: &RankedPattern, input: &Input) -> bool {
    let p = &ranked.pattern;
    if !p.reply.is_empty() && !input.reply_code.is_some_and(|c| p.reply.contains(&c)) {
        return false;
    }
    if !p.status.is_empty()
        && !input
            .status
            .is_some_and(|s| p.status.iter().any(|prefix| s.has_prefix(prefix)))
    {
        return false;
    }
    if input
        .status
        .is_some_and(|s| p.not_status.iter().any(|prefix| s.has_prefix(prefix)))
    {
        return false;
    }
    if !p.command.is_empty() && !input.command.is_some_and(|c| p.command.contains(&c)) {
        return false;
    }
    if input.command.is_some_and(|c| p.not_command.contains(&c)) {
        return false;
    }
    if !p.remote.is_empty()
        && !input
            .remote_mta
            .is_some_and(|host| p.remote.iter().any(|s| domain_ends_with(host, s)))
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;

    #[test]
    fn the_prefilter_never_hides_a_matching_pattern() {
        let book = BounceBook::load(&Assets::default()).unwrap();
        let classifier = Classifier::new(&book).unwrap();
        let mut texts: Vec<String> = book
            .patterns
            .iter()
            .flat_map(|p| {
                p.pattern.pattern.split('|').map(|alt| {
                    // A sample text per alternative: the alternative without regex syntax.
                    alt.chars()
                        .filter(|c| c.is_alphanumeric() || *c == ' ')
                        .collect::<String>()
                })
            })
            .collect();
        texts.push("550 5.7.1 client host [192.0.2.1] blocked using zen.spamhaus.org".into());
        texts.push("421 4.7.0 [tss04] messages from 192.0.2.1 temporarily deferred".into());
        for text in texts {
            let text = crate::bounce::reply::for_matching(&text);
            let brute: Vec<usize> = (0..classifier.regexes.len())
                .filter(|&i| classifier.regexes[i].is_match(&text))
                .collect();
            let candidates = classifier.prefilter.candidates(&text);
            for i in brute {
                assert!(
                    candidates.contains(&i),
                    "pattern {} matches {text:?} but the prefilter skipped it",
                    book.patterns[i].pattern.id
                );
            }
        }
    }

    /// (text, reply, status, command, action, remote, diagnostic type) → reason, by what.
    #[test]
    fn precedence_and_constraints() {
        let book = BounceBook::load(&Assets::default()).unwrap();
        let classifier = Classifier::new(&book).unwrap();
        type Row<'a> = (
            &'a str,
            Option<u16>,
            Option<&'a str>,
            Option<SmtpCommand>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            MatchedBy,
        );
        let rows: &[Row] = &[
            // A provider pattern wins over a generic one and over the status.
            (
                "550 5.7.26 this mail is unauthenticated",
                Some(550),
                Some("5.7.26"),
                None,
                None,
                None,
                None,
                "authfailure",
                MatchedBy::ProviderPattern,
            ),
            // The same words mean different things depending on the rejecting host.
            (
                "421 4.7.0 [tss04] messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
                Some(421),
                Some("4.7.0"),
                None,
                None,
                Some("mta5.am0.yahoodns.net"),
                None,
                "rejected",
                MatchedBy::ProviderPattern,
            ),
            (
                "421 4.7.0 [tss04] messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
                Some(421),
                Some("4.7.0"),
                None,
                None,
                None,
                None,
                "badreputation",
                MatchedBy::ProviderPattern,
            ),
            // Words about a missing user at MAIL FROM are about the sender.
            (
                "550 5.1.0 <a@b.example>: user unknown",
                Some(550),
                Some("5.1.0"),
                Some(SmtpCommand::Mail),
                None,
                None,
                None,
                "rejected",
                MatchedBy::TextPattern,
            ),
            (
                "550 5.1.1 <a@b.example>: user unknown",
                Some(550),
                Some("5.1.1"),
                Some(SmtpCommand::Rcpt),
                None,
                None,
                None,
                "userunknown",
                MatchedBy::TextPattern,
            ),
            // A size limit for one mailbox is not a size limit of the system.
            (
                "552 5.2.3 message size exceeds fixed maximum message size",
                Some(552),
                Some("5.2.3"),
                None,
                None,
                None,
                None,
                "exceedlimit",
                MatchedBy::TextPattern,
            ),
            (
                "552 5.3.4 message size exceeds fixed maximum message size",
                Some(552),
                Some("5.3.4"),
                None,
                None,
                None,
                None,
                "mesgtoobig",
                MatchedBy::TextPattern,
            ),
            // No words that match: the exact status, then its family, then the reply code.
            (
                "550 5.2.2 nope",
                Some(550),
                Some("5.2.2"),
                None,
                None,
                None,
                None,
                "mailboxfull",
                MatchedBy::Status,
            ),
            (
                "550 5.7.99 nope",
                Some(550),
                Some("5.7.99"),
                None,
                None,
                None,
                None,
                "securityerror",
                MatchedBy::StatusFamily,
            ),
            (
                "525 nope",
                Some(525),
                None,
                None,
                None,
                None,
                None,
                "suspend",
                MatchedBy::ReplyCode,
            ),
            // Then the context of the bounce.
            (
                "",
                None,
                None,
                None,
                Some("delayed"),
                None,
                None,
                "expired",
                MatchedBy::Context,
            ),
            (
                "procmail exited 75",
                None,
                None,
                None,
                None,
                None,
                Some("x-unix"),
                "mailererror",
                MatchedBy::Context,
            ),
            (
                "554 nope",
                Some(554),
                None,
                Some(SmtpCommand::Helo),
                None,
                None,
                None,
                "blocked",
                MatchedBy::Context,
            ),
            (
                "something odd",
                None,
                None,
                None,
                None,
                None,
                None,
                "onhold",
                MatchedBy::Context,
            ),
            (
                "",
                None,
                None,
                None,
                None,
                None,
                None,
                "undefined",
                MatchedBy::Context,
            ),
            (
                "250 2.0.0 ok",
                Some(250),
                Some("2.0.0"),
                None,
                None,
                None,
                None,
                "delivered",
                MatchedBy::Status,
            ),
        ];
        for (text, reply, status, command, action, remote, dtype, want, by) in rows {
            let input = Input {
                text,
                reply_code: *reply,
                status: status.map(|s| s.parse().unwrap()),
                command: *command,
                action: *action,
                remote_mta: *remote,
                recipient_domain: None,
                diagnostic_type: *dtype,
                has_diagnostic: !text.is_empty(),
            };
            let got = classifier.classify(&book, &input);
            assert_eq!(
                (got.reason.as_str(), got.matched_by),
                (*want, *by),
                "{text:?}"
            );
        }
    }

    #[test]
    fn host_suffixes_respect_labels() {
        assert!(domain_ends_with("gmail-smtp-in.l.google.com", "google.com"));
        assert!(domain_ends_with("Google.com.", ".google.com"));
        assert!(!domain_ends_with("notgoogle.com", "google.com"));
    }
}
