//! DMARC policy records (`_dmarc.<domain>` TXT) and the DNS Tree Walk that finds the record
//! that applies to a domain and its Organizational Domain (DMARCbis, RFC 9989: DNS Tree Walk).
//!
//! ```text
//! record    = "v=DMARC1" *( ";" tag ) [ ";" ]         ; must start with v=DMARC1
//! p, sp, np = none / quarantine / reject
//! adkim, aspf = r / s          fo = 0 / 1 / d / s (colon separated)
//! rua, ruf  = uri *( "," uri ) ; uri = URI [ "!" 1*DIGIT [ k / m / g / t ] ]
//! psd = y / n / u              t = y / n
//! removed by DMARCbis: pct, rf, ri
//! ```
//! Receivers ignore unknown tags; they are reported anyway because a misspelt tag is ignored
//! too (`rau=` instead of `rua=`).

use serde::Serialize;

use super::tags::{self, Problem, TagList};
use crate::answers::validate;

/// The prefix of every DMARC record name.
pub const DMARC_PREFIX: &str = "_dmarc.";

/// What the domain owner asks receivers to do with mail that fails DMARC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// One report destination of rua= or ruf=.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportUri {
    /// The URI as written, without the size limit.
    pub uri: String,
    /// The mailbox of a mailto: URI.
    pub address: Option<String>,
    /// The domain reports go to (lower-case, ASCII), for mailto: URIs.
    pub domain: Option<String>,
    /// The `!10m` size limit, when given.
    pub max_size: Option<String>,
}

/// A tag DMARCbis removed, with its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObsoleteTag {
    pub tag: String,
    pub value: String,
}

/// What one DMARC record says and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// p=, when valid.
    pub policy: Option<Policy>,
    /// sp=, when valid.
    pub subdomain_policy: Option<Policy>,
    /// np=, when valid.
    pub nonexistent_policy: Option<Policy>,
    /// Usable aggregate-report destinations.
    pub rua: Vec<ReportUri>,
    /// Usable failure-report destinations.
    pub ruf: Vec<ReportUri>,
    /// psd= (y, n or u).
    pub psd: Option<String>,
    /// t=y: receivers apply a policy one step milder (DMARCbis test mode).
    pub testing: bool,
    pub obsolete: Vec<ObsoleteTag>,
    pub unknown_tags: Vec<String>,
    pub problems: Vec<Problem>,
}

impl DmarcRecord {
    /// The policy receivers apply to the domain that published the record: p=, or "none" when
    /// p= is missing or invalid but reports are requested (RFC 9989, DMARC Policy Discovery).
    pub fn effective_policy(&self) -> Option<Policy> {
        self.policy
            .or_else(|| (!self.rua.is_empty()).then_some(Policy::None))
    }

    /// The policy applied to an existing subdomain that has no record of its own.
    pub fn subdomain_effective_policy(&self) -> Option<Policy> {
        self.subdomain_policy.or_else(|| self.effective_policy())
    }

    /// True when receivers discard the whole record.
    pub fn is_unusable(&self) -> bool {
        tags::any_fatal(&self.problems)
    }

    /// Every report destination, aggregate first.
    pub fn destinations(&self) -> impl Iterator<Item = &ReportUri> {
        self.rua.iter().chain(self.ruf.iter())
    }
}

/// True when a TXT record is a DMARC record: it starts with `v=DMARC1` (exact case; white
/// space around `=` is allowed). Receivers discard every other record at `_dmarc`.
pub fn is_record(txt: &str) -> bool {
    let Some(rest) = txt.trim_start_matches(tags::is_wsp).strip_prefix('v') else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(tags::is_wsp).strip_prefix('=') else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(tags::is_wsp).strip_prefix("DMARC1") else {
        return false;
    };
    rest.is_empty() || rest.starts_with(';') || rest.starts_with(tags::is_wsp)
}

/// True when a TXT record that is not a DMARC record was probably meant to be one (wrong case,
/// `v=` not first), so that it is reported as broken rather than ignored silently.
pub fn looks_like_attempt(txt: &str) -> bool {
    let compact: String = txt
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    compact.contains("v=dmarc") || (compact.starts_with("p=") && compact.contains(';'))
}

/// Read and lint one record (that passed [`is_record`]).
pub fn parse(txt: &str) -> DmarcRecord {
    let list = tags::parse(txt);
    let mut problems = list.problems();
    let mut record = DmarcRecord {
        policy: None,
        subdomain_policy: None,
        nonexistent_policy: None,
        rua: Vec::new(),
        ruf: Vec::new(),
        psd: None,
        testing: false,
        obsolete: Vec::new(),
        unknown_tags: Vec::new(),
        problems: Vec::new(),
    };
    let mut bad_policies = Vec::new();
    for tag in &list.tags {
        let value = tag.value;
        match tag.name {
            "v" => {}
            "p" | "sp" | "np" => match Policy::parse(value) {
                Some(policy) => match tag.name {
                    "p" => record.policy = Some(policy),
                    "sp" => record.subdomain_policy = Some(policy),
                    _ => record.nonexistent_policy = Some(policy),
                },
                None => bad_policies.push(format!(
                    "{}={} is not none, quarantine or reject",
                    tag.name,
                    tags::clip(value)
                )),
            },
            "adkim" | "aspf" => {
                if !matches!(value, "r" | "s") {
                    problems.push(Problem::minor(
                        "bad-alignment",
                        format!(
                            "{}={} is not r or s; receivers use r (relaxed)",
                            tag.name,
                            tags::clip(value)
                        ),
                    ));
                }
            }
            "fo" => {
                let options: Vec<&str> = value.split(':').map(str::trim).collect();
                if options.iter().any(|o| !matches!(*o, "0" | "1" | "d" | "s")) {
                    problems.push(Problem::minor(
                        "bad-fo",
                        format!(
                            "fo={} is not a colon-separated list of 0, 1, d and s",
                            tags::clip(value)
                        ),
                    ));
                }
            }
            "rua" | "ruf" => {
                let (uris, mut uri_problems) = parse_uris(tag.name, value);
                problems.append(&mut uri_problems);
                if tag.name == "rua" {
                    record.rua = uris;
                } else {
                    record.ruf = uris;
                }
            }
            "psd" => {
                if matches!(value, "y" | "n" | "u") {
                    record.psd = Some(value.to_string());
                } else {
                    problems.push(Problem::minor(
                        "bad-psd",
                        format!("psd={} is not y, n or u", tags::clip(value)),
                    ));
                }
            }
            "t" => match value {
                "y" => record.testing = true,
                "n" => {}
                _ => problems.push(Problem::minor(
                    "bad-t",
                    format!("t={} is not y or n", tags::clip(value)),
                )),
            },
            "pct" | "rf" | "ri" => {
                if let Some(problem) = check_obsolete(tag.name, value) {
                    problems.push(problem);
                }
                record.obsolete.push(ObsoleteTag {
                    tag: tag.name.to_string(),
                    value: value.to_string(),
                });
            }
            other => {
                record.unknown_tags.push(other.to_string());
                problems.push(Problem::minor(
                    "unknown-tag",
                    format!("{other}= is not a DMARC tag; receivers ignore it (a typo?)"),
                ));
            }
        }
    }
    check_policy_tags(&list, &record, bad_policies, &mut problems);
    tags::cap(&mut problems);
    record.problems = problems;
    record
}

/// p= is required in substance: without a valid p= (or with an invalid sp=/np=) receivers fall
/// back to p=none when reports are requested, and ignore the record otherwise (RFC 9989, DMARC Policy Discovery).
fn check_policy_tags(
    list: &TagList<'_>,
    record: &DmarcRecord,
    bad_policies: Vec<String>,
    problems: &mut Vec<Problem>,
) {
    let fallback = if record.rua.is_empty() {
        "receivers ignore the whole record"
    } else {
        "receivers treat the record as p=none"
    };
    let fatal = record.rua.is_empty();
    let mut push = |code: &str, message: String| {
        let message = format!("{message}: {fallback}");
        problems.push(if fatal {
            Problem::fatal(code, message)
        } else {
            Problem::minor(code, message)
        });
    };
    if list.get("p").is_none() {
        push("no-policy", "the record has no p= tag".to_string());
    }
    for message in bad_policies {
        push("bad-policy", message);
    }
}

fn check_obsolete(name: &str, value: &str) -> Option<Problem> {
    let valid = match name {
        "pct" => value.parse::<u8>().is_ok_and(|p| p <= 100),
        "ri" => value.parse::<u32>().is_ok(),
        _ => value.split(':').all(|f| f.trim() == "afrf"),
    };
    (!valid).then(|| {
        Problem::minor(
            "bad-obsolete-tag",
            format!("{name}={} is not a valid value", tags::clip(value)),
        )
    })
}

/// Parse a comma-separated list of DMARC URIs; keeps the usable ones.
fn parse_uris(tag: &str, value: &str) -> (Vec<ReportUri>, Vec<Problem>) {
    let mut uris = Vec::new();
    let mut problems = Vec::new();
    for raw in value.split(',') {
        let raw = raw.trim_matches(tags::is_wsp);
        if raw.is_empty() {
            problems.push(Problem::minor(
                "bad-uri",
                format!("{tag}= has an empty entry"),
            ));
            continue;
        }
        match parse_uri(raw) {
            Ok(uri) => uris.push(uri),
            Err(message) => problems.push(Problem::minor("bad-uri", format!("{tag}=: {message}"))),
        }
    }
    (uris, problems)
}

fn parse_uri(raw: &str) -> Result<ReportUri, String> {
    let (uri, max_size) = match raw.rsplit_once('!') {
        Some((uri, size)) => {
            let digits = size.trim_end_matches(['k', 'm', 'g', 't']);
            let suffix_len = size.len() - digits.len();
            if digits.is_empty() || suffix_len > 1 || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "{} has a bad size limit (expected e.g. !10m)",
                    tags::clip(raw)
                ));
            }
            (uri, Some(size.to_string()))
        }
        None => (raw, None),
    };
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(format!(
            "{} is not a URI (expected mailto:reports@example.org)",
            tags::clip(raw)
        ));
    };
    if !scheme.eq_ignore_ascii_case("mailto") {
        return Err(format!(
            "{} is not a mailto: URI; receivers only send reports by mail",
            tags::clip(raw)
        ));
    }
    let address = rest.split('?').next().unwrap_or_default();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(format!("{} has no e-mail address", tags::clip(raw)));
    };
    if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{} has no valid mailbox before @", tags::clip(raw)));
    }
    let domain = validate::domain("domain", domain)
        .map_err(|_| format!("{} has no valid domain after @", tags::clip(raw)))?;
    Ok(ReportUri {
        uri: uri.to_string(),
        address: Some(address.to_string()),
        domain: Some(domain),
        max_size,
    })
}

/// The domains asked for DMARC records, in order: the domain itself, then its parents up to
/// the top-level domain, with the RFC 9989 shortcut that jumps from a name of five or more
/// labels straight to its last four.
pub fn tree_walk(domain: &str) -> Vec<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let mut names = vec![labels.join(".")];
    let mut count = labels.len().min(5);
    while count > 1 {
        count -= 1;
        names.push(labels[labels.len() - count..].join("."));
    }
    names.dedup();
    names
}

/// One level of a tree walk: the domain and its DMARC record, if it has exactly one.
#[derive(Clone, Copy, Debug)]
pub struct Level<'a> {
    pub domain: &'a str,
    pub record: Option<&'a DmarcRecord>,
}

/// The levels a receiver actually uses: the walk stops at a record with psd=n (anywhere) or
/// psd=y (above the starting domain), RFC 9989 DNS Tree Walk, steps 2 and 7.
fn retrieved<'w, 'a>(walk: &'w [Level<'a>]) -> &'w [Level<'a>] {
    for (i, level) in walk.iter().enumerate() {
        let psd = level.record.and_then(|r| r.psd.as_deref());
        if psd == Some("n") || (i > 0 && psd == Some("y")) {
            return &walk[..=i];
        }
    }
    walk
}

/// The Organizational Domain of the first domain of `walk` (RFC 9989, Organizational Domain Discovery).
pub fn organizational_domain(walk: &[Level<'_>]) -> Option<String> {
    let start = walk.first()?.domain;
    let levels = retrieved(walk);
    for (i, level) in levels.iter().enumerate() {
        match level.record.and_then(|r| r.psd.as_deref()) {
            Some("n") => return Some(level.domain.to_string()),
            Some("y") if i > 0 => return Some(one_label_below(start, level.domain)),
            _ => {}
        }
    }
    let fewest = levels.iter().rev().find(|l| l.record.is_some());
    Some(fewest.map_or(start, |l| l.domain).to_string())
}

/// The name with one more label than `ancestor` on the way down to `start`.
fn one_label_below(start: &str, ancestor: &str) -> String {
    let wanted = ancestor.split('.').count() + 1;
    let labels: Vec<&str> = start.split('.').collect();
    labels[labels.len().saturating_sub(wanted)..].join(".")
}

/// Which record applies to the first domain of a walk, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applies {
    /// The domain's own record (p= applies).
    Own,
    /// The record of a parent domain: its Organizational Domain or Public Suffix Domain (sp=
    /// applies, else p=).
    Inherited { domain: String },
    /// No record applies: DMARC does not protect the domain.
    Nothing,
}

/// Policy discovery (RFC 9989, DMARC Policy Discovery): the domain's own record, else that of its
/// Organizational Domain, else that of a Public Suffix Domain (psd=y) above it.
pub fn discover(walk: &[Level<'_>]) -> Applies {
    let Some(first) = walk.first() else {
        return Applies::Nothing;
    };
    if first.record.is_some() {
        return Applies::Own;
    }
    if let Some(org) = organizational_domain(walk)
        && org != first.domain
        && walk.iter().any(|l| l.domain == org && l.record.is_some())
    {
        return Applies::Inherited { domain: org };
    }
    match retrieved(walk)
        .iter()
        .find(|l| l.record.and_then(|r| r.psd.as_deref()) == Some("y"))
    {
        Some(psd) => Applies::Inherited {
            domain: psd.domain.to_string(),
        },
        None => Applies::Nothing,
    }
}

/// The records a tree walk found: for each level, the domain and its single DMARC record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    levels: Vec<(String, Option<DmarcRecord>)>,
}

impl Walk {
    /// Build from the TXT records of each `_dmarc` name, the starting domain first.
    pub fn new<'a>(levels: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Self {
        Walk {
            levels: levels
                .into_iter()
                .map(|(domain, txts)| (domain.to_string(), single_record(txts).map(|t| parse(t))))
                .collect(),
        }
    }

    fn levels(&self) -> Vec<Level<'_>> {
        self.levels
            .iter()
            .map(|(domain, record)| Level {
                domain,
                record: record.as_ref(),
            })
            .collect()
    }

    pub fn discover(&self) -> Applies {
        discover(&self.levels())
    }

    pub fn organizational_domain(&self) -> Option<String> {
        organizational_domain(&self.levels())
    }

    /// The record of `domain`, if it is a level of the walk and has exactly one.
    pub fn record(&self, domain: &str) -> Option<&DmarcRecord> {
        self.levels
            .iter()
            .find(|(d, _)| d == domain)
            .and_then(|(_, r)| r.as_ref())
    }

    /// The domain whose record applies to the starting domain, and that record.
    pub fn applying(&self) -> Option<(&str, &DmarcRecord)> {
        let domain = match self.discover() {
            Applies::Own => self.levels.first()?.0.clone(),
            Applies::Inherited { domain } => domain,
            Applies::Nothing => return None,
        };
        let (domain, record) = self.levels.iter().find(|(d, _)| *d == domain)?;
        Some((domain.as_str(), record.as_ref()?))
    }
}

/// The DMARC record among the TXT records of one `_dmarc` name, when there is exactly one
/// (receivers discard all of them when there are several).
pub fn single_record(txts: &[String]) -> Option<&String> {
    let mut records = txts.iter().filter(|t| is_record(t));
    let first = records.next()?;
    records.next().is_none().then_some(first)
}

/// The name of the record that authorizes `destination` to receive reports about
/// `policy_domain` (RFC 7489 §7.1).
pub fn authorization_name(policy_domain: &str, destination: &str) -> String {
    format!("{policy_domain}._report._dmarc.{destination}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(record: &DmarcRecord) -> Vec<&str> {
        record.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn recognises_records() {
        for txt in [
            "v=DMARC1; p=none",
            "v = DMARC1;p=none",
            "v=DMARC1",
            " v=DMARC1 ;",
        ] {
            assert!(is_record(txt), "{txt}");
        }
        for txt in [
            "v=dmarc1; p=none",
            "p=none; v=DMARC1",
            "v=DMARC10",
            "v=spf1 -all",
        ] {
            assert!(!is_record(txt), "{txt}");
        }
        assert!(looks_like_attempt("v=dmarc1; p=none"));
        assert!(looks_like_attempt("p=reject; v=DMARC1"));
        assert!(!looks_like_attempt("v=spf1 -all"));
        assert!(!looks_like_attempt("google-site-verification=x"));
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Option<Policy>, Vec<&str>, bool)> = vec![
            (
                "v=DMARC1; p=reject; rua=mailto:d@example.org",
                Some(Policy::Reject),
                vec![],
                false,
            ),
            ("v=DMARC1; p=none", Some(Policy::None), vec![], false),
            (
                "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=r; fo=1:d",
                Some(Policy::Quarantine),
                vec![],
                false,
            ),
            ("v=DMARC1", None, vec!["no-policy"], true),
            (
                "v=DMARC1; rua=mailto:d@example.org",
                Some(Policy::None),
                vec!["no-policy"],
                false,
            ),
            ("v=DMARC1; p=rejected", None, vec!["bad-policy"], true),
            (
                "v=DMARC1; p=reject; sp=nope",
                Some(Policy::Reject),
                vec!["bad-policy"],
                true,
            ),
            (
                "v=DMARC1; p=reject; p=none",
                Some(Policy::Reject),
                vec!["duplicate-tag"],
                true,
            ),
            (
                "v=DMARC1; p=reject; adkim=strict",
                Some(Policy::Reject),
                vec!["bad-alignment"],
                false,
            ),
            (
                "v=DMARC1; p=reject; fo=2",
                Some(Policy::Reject),
                vec!["bad-fo"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rau=mailto:d@example.org",
                Some(Policy::Reject),
                vec!["unknown-tag"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rua=d@example.org",
                Some(Policy::Reject),
                vec!["bad-uri"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rua=https://r.example.org/",
                Some(Policy::Reject),
                vec!["bad-uri"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rua=mailto:d@",
                Some(Policy::Reject),
                vec!["bad-uri"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rua=mailto:d@example.org!10x",
                Some(Policy::Reject),
                vec!["bad-uri"],
                false,
            ),
            (
                "v=DMARC1; p=reject; rua=mailto:d@example.org!10m, mailto:e@example.net!5",
                Some(Policy::Reject),
                vec![],
                false,
            ),
            (
                "v=DMARC1; p=reject; pct=100; rf=afrf; ri=86400",
                Some(Policy::Reject),
                vec![],
                false,
            ),
            (
                "v=DMARC1; p=reject; pct=150",
                Some(Policy::Reject),
                vec!["bad-obsolete-tag"],
                false,
            ),
            (
                "v=DMARC1; p=reject; psd=x; t=maybe",
                Some(Policy::Reject),
                vec!["bad-psd", "bad-t"],
                false,
            ),
            (
                "v=DMARC1; p=reject; oops",
                Some(Policy::Reject),
                vec!["not-a-tag"],
                true,
            ),
        ];
        for (txt, policy, want, unusable) in cases {
            let record = parse(txt);
            assert_eq!(record.effective_policy(), policy, "{txt}");
            assert_eq!(codes(&record), want, "{txt}: {:?}", record.problems);
            assert_eq!(record.is_unusable(), unusable, "{txt}");
        }
    }

    #[test]
    fn report_uris() {
        let record = parse(
            "v=DMARC1; p=none; rua=mailto:A@Reports.Example.NET!10m,mailto:b@example.org; ruf=mailto:f@example.org",
        );
        let got: Vec<(Option<&str>, Option<&str>)> = record
            .destinations()
            .map(|u| (u.domain.as_deref(), u.max_size.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("reports.example.net"), Some("10m")),
                (Some("example.org"), None),
                (Some("example.org"), None)
            ]
        );
        assert_eq!(
            record.rua[0].address.as_deref(),
            Some("A@Reports.Example.NET")
        );
        let obsolete = parse("v=DMARC1; p=none; pct=50");
        assert_eq!(
            obsolete.obsolete,
            vec![ObsoleteTag {
                tag: "pct".into(),
                value: "50".into()
            }]
        );
    }

    #[test]
    fn tree_walk_names() {
        assert_eq!(tree_walk("example.org"), vec!["example.org", "org"]);
        assert_eq!(
            tree_walk("Mail.Example.org."),
            vec!["mail.example.org", "example.org", "org"]
        );
        assert_eq!(
            tree_walk("a.b.c.d.e.mail.example.com"),
            vec![
                "a.b.c.d.e.mail.example.com",
                "e.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        assert_eq!(
            tree_walk("d.e.mail.example.com"),
            vec![
                "d.e.mail.example.com",
                "e.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
    }

    fn walk<'a>(levels: &[(&'a str, Option<&'a DmarcRecord>)]) -> Vec<Level<'a>> {
        levels
            .iter()
            .map(|(domain, record)| Level {
                domain,
                record: *record,
            })
            .collect()
    }

    #[test]
    fn organizational_domain_and_discovery() {
        let plain = parse("v=DMARC1; p=reject");
        let psd_y = parse("v=DMARC1; p=reject; psd=y");
        let psd_n = parse("v=DMARC1; p=reject; psd=n");

        // RFC 9989's first example: records at mail.example.com and example.com.
        let w = walk(&[
            ("a.mail.example.com", None),
            ("mail.example.com", Some(&plain)),
            ("example.com", Some(&plain)),
            ("com", None),
        ]);
        assert_eq!(organizational_domain(&w).as_deref(), Some("example.com"));
        assert_eq!(
            discover(&w),
            Applies::Inherited {
                domain: "example.com".into()
            }
        );

        // Its second example: only a psd=y record at com.
        let w = walk(&[
            ("a.mail.example.com", None),
            ("mail.example.com", None),
            ("example.com", None),
            ("com", Some(&psd_y)),
        ]);
        assert_eq!(organizational_domain(&w).as_deref(), Some("example.com"));
        assert_eq!(
            discover(&w),
            Applies::Inherited {
                domain: "com".into()
            }
        );

        // psd=n stops the walk: the record above it is not used.
        let w = walk(&[
            ("a.example.com", None),
            ("example.com", Some(&psd_n)),
            ("com", Some(&plain)),
        ]);
        assert_eq!(organizational_domain(&w).as_deref(), Some("example.com"));

        // Own record.
        let w = walk(&[("example.com", Some(&plain)), ("com", None)]);
        assert_eq!(organizational_domain(&w).as_deref(), Some("example.com"));
        assert_eq!(discover(&w), Applies::Own);

        // Nothing anywhere: the domain is its own Organizational Domain and nothing applies.
        let w = walk(&[
            ("sub.example.com", None),
            ("example.com", None),
            ("com", None),
        ]);
        assert_eq!(
            organizational_domain(&w).as_deref(),
            Some("sub.example.com")
        );
        assert_eq!(discover(&w), Applies::Nothing);
        assert_eq!(discover(&[]), Applies::Nothing);
    }

    #[test]
    fn single_record_rules() {
        let txts = vec!["v=spf1 -all".to_string(), "v=DMARC1; p=none".to_string()];
        assert_eq!(single_record(&txts), Some(&txts[1]));
        let two = vec![
            "v=DMARC1; p=none".to_string(),
            "v=DMARC1; p=reject".to_string(),
        ];
        assert_eq!(single_record(&two), None);
        assert_eq!(
            authorization_name("example.org", "rua.example.net"),
            "example.org._report._dmarc.rua.example.net"
        );
    }
}
