//! Tag-value lists (`v=DKIM1; k=rsa; p=…`), the syntax DKIM (RFC 6376 §3.2), DMARC, MTA-STS
//! and TLS-RPT records share, and [`Problem`], what every linter in `records` reports.
//!
//! The parser is lenient on purpose: it keeps every well-formed tag and records what is wrong
//! with the rest, so that one typo does not hide the other findings of a record.

use serde::{Deserialize, Serialize};

/// One `name=value` pair, with the 1-based character position of its name in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag<'a> {
    pub name: &'a str,
    /// The value with surrounding white space removed (inner white space is kept).
    pub value: &'a str,
    pub position: usize,
}

/// What is wrong with one part of a tag-value list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("\"{text}\" at position {position} is not a name=value pair")]
    NoEquals { text: String, position: usize },
    #[error("\"{name}\" at position {position} is not a valid tag name")]
    BadName { name: String, position: usize },
    #[error("the value of {name}= at position {position} has characters a record may not contain")]
    BadValue { name: String, position: usize },
    #[error("{name}= appears more than once (again at position {position})")]
    Duplicate { name: String, position: usize },
}

impl TagError {
    /// A stable code for programs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            TagError::NoEquals { .. } => "not-a-tag",
            TagError::BadName { .. } => "bad-tag-name",
            TagError::BadValue { .. } => "bad-tag-value",
            TagError::Duplicate { .. } => "duplicate-tag",
        }
    }

    pub fn position(&self) -> usize {
        match self {
            TagError::NoEquals { position, .. }
            | TagError::BadName { position, .. }
            | TagError::BadValue { position, .. }
            | TagError::Duplicate { position, .. } => *position,
        }
    }
}

/// At most this many errors are kept per record; a hostile record can have thousands.
pub const MAX_ERRORS: usize = 10;

/// The tags of a record and the parts that could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagList<'a> {
    /// Well-formed tags in record order; of a duplicated name only the first is kept.
    pub tags: Vec<Tag<'a>>,
    /// The first [`MAX_ERRORS`] errors.
    pub errors: Vec<TagError>,
    /// How many more errors there were.
    pub more_errors: usize,
}

impl<'a> TagList<'a> {
    /// The first tag called `name` (names are case-sensitive, RFC 6376 §3.2).
    pub fn get(&self, name: &str) -> Option<&Tag<'a>> {
        self.tags.iter().find(|t| t.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).map(|t| t.value)
    }

    /// The errors as problems (receivers reject a record whose tag list is malformed).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self.errors.iter().map(Problem::from_tag_error).collect();
        if self.more_errors > 0 {
            problems.push(Problem::fatal(
                "more-errors",
                format!("… and {} more errors like these", self.more_errors),
            ));
        }
        problems
    }

    fn error(&mut self, error: TagError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        } else {
            self.more_errors += 1;
        }
    }
}

/// Split `record` on `;` into tags. Empty parts (`a=b;;c=d`, a trailing `;`) are skipped:
/// verifiers accept them.
pub fn parse(record: &str) -> TagList<'_> {
    let mut list = TagList::default();
    // Character offset of the current part: counted as we go, so a record of many KB with
    // thousands of tags stays linear.
    let mut chars_before = 0;
    for part in record.split(';') {
        let offset = chars_before;
        chars_before += part.chars().count() + 1;
        let trimmed = part.trim_matches(is_wsp);
        if trimmed.is_empty() {
            continue;
        }
        let lead = part.len() - part.trim_start_matches(is_wsp).len();
        let position = offset + lead + 1;
        let Some((name, value)) = trimmed.split_once('=') else {
            list.error(TagError::NoEquals {
                text: clip(trimmed),
                position,
            });
            continue;
        };
        let name = name.trim_matches(is_wsp);
        let value = value.trim_matches(is_wsp);
        if !is_tag_name(name) {
            list.error(TagError::BadName {
                name: clip(name),
                position,
            });
            continue;
        }
        if !value.chars().all(|c| is_wsp(c) || ('!'..='~').contains(&c)) {
            list.error(TagError::BadValue {
                name: name.to_string(),
                position,
            });
            continue;
        }
        if list.get(name).is_some() {
            list.error(TagError::Duplicate {
                name: name.to_string(),
                position,
            });
            continue;
        }
        list.tags.push(Tag {
            name,
            value,
            position,
        });
    }
    list
}

/// Space or tab: the white space allowed around tags and inside values.
pub fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A letter or digit first, then letters, digits, `_`, `-` or `.` (the union of the DKIM and
/// the MTA-STS/TLS-RPT grammars), at most 32 characters.
fn is_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// At most 40 characters of `text` for a message.
pub fn clip(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// One thing wrong with a record or policy, as the linters report it.
///
/// `code` is stable (tests and JSON consumers key on it); `message` is a short technical
/// description with the values of this case; the playbook text around it explains the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    /// True when receivers discard the whole record (or policy) because of it; false when
    /// they only ignore one part of it.
    pub fatal: bool,
}

impl Problem {
    pub fn fatal(code: &str, message: impl Into<String>) -> Self {
        Problem {
            code: code.to_string(),
            message: message.into(),
            fatal: true,
        }
    }

    pub fn minor(code: &str, message: impl Into<String>) -> Self {
        Problem {
            code: code.to_string(),
            message: message.into(),
            fatal: false,
        }
    }

    /// A tag-list error; receivers reject a record whose tag list is malformed.
    pub fn from_tag_error(error: &TagError) -> Self {
        Problem::fatal(error.code(), error.to_string())
    }
}

/// Keep at most [`MAX_PROBLEMS`] problems, fatal ones first, and say how many were left out.
pub fn cap(problems: &mut Vec<Problem>) {
    problems.sort_by_key(|p| !p.fatal);
    if problems.len() > MAX_PROBLEMS {
        let left_out = problems.len() - MAX_PROBLEMS;
        let fatal = problems[MAX_PROBLEMS..].iter().any(|p| p.fatal);
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem {
            code: "more-problems".into(),
            message: format!("… and {left_out} more problems"),
            fatal,
        });
    }
}

/// At most this many problems are reported per record or policy.
pub const MAX_PROBLEMS: usize = 20;

/// True when any problem makes receivers discard the record.
pub fn any_fatal(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.fatal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_with_positions() {
        let list = parse("v=DKIM1; k=rsa;\tp=AB CD ;");
        assert!(list.errors.is_empty(), "{:?}", list.errors);
        let got: Vec<(&str, &str, usize)> = list
            .tags
            .iter()
            .map(|t| (t.name, t.value, t.position))
            .collect();
        assert_eq!(
            got,
            vec![("v", "DKIM1", 1), ("k", "rsa", 10), ("p", "AB CD", 17)]
        );
        assert_eq!(list.value("k"), Some("rsa"));
        assert_eq!(list.value("K"), None, "names are case-sensitive");
    }

    #[test]
    fn reports_malformed_parts_and_keeps_the_rest() {
        let list = parse("v=DMARC1; p=reject; oops; 9$=x; p=none; rua=mailto:a@b.example");
        let codes: Vec<&str> = list.errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes, vec!["not-a-tag", "bad-tag-name", "duplicate-tag"]);
        assert_eq!(
            list.value("p"),
            Some("reject"),
            "the first of a duplicate wins"
        );
        assert_eq!(list.value("rua"), Some("mailto:a@b.example"));
        assert_eq!(list.errors[0].position(), 21);
    }

    #[test]
    fn empty_parts_and_values_are_accepted() {
        let list = parse(";; v=STSv1 ;; id= ;");
        assert!(list.errors.is_empty());
        assert_eq!(list.value("id"), Some(""));
    }

    #[test]
    fn huge_records_parse_quickly() {
        let record = "a=b;".repeat(20_000);
        let started = std::time::Instant::now();
        let list = parse(&record);
        assert_eq!(list.tags.len(), 1);
        assert_eq!(list.errors.len(), MAX_ERRORS);
        assert_eq!(list.more_errors, 19_999 - MAX_ERRORS);
        assert_eq!(list.problems().len(), MAX_ERRORS + 1);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn problems_are_capped_fatal_first() {
        let mut problems: Vec<Problem> = (0..30)
            .map(|i| Problem::minor("x", format!("{i}")))
            .collect();
        problems.push(Problem::fatal("y", "bad"));
        cap(&mut problems);
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert_eq!(problems[0].code, "y");
        assert_eq!(problems.last().unwrap().code, "more-problems");
        assert!(!problems.last().unwrap().fatal);
    }

    #[test]
    fn non_ascii_values_are_errors() {
        let list = parse("v=DKIM1; p=caf\u{e9}");
        assert_eq!(list.errors.len(), 1);
        assert_eq!(list.errors[0].code(), "bad-tag-value");
        // Positions count characters, not bytes.
        let list = parse("n=\u{e9}\u{e9}; x");
        assert_eq!(list.errors.last().unwrap().position(), 7);
    }
}
