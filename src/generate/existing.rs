//! What the domain already publishes, read from the facts of a `check` run, so generated
//! records merge with it instead of duplicating it.

use crate::answers::DmarcPolicy;
use crate::facts::{Facts, Lookup};

/// Records already published for the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Existing {
    /// MX hosts (without the null MX).
    pub mx_hosts: Vec<String>,
    /// Every SPF record at the domain (more than one is an error receivers punish).
    pub spf: Vec<String>,
    /// The DMARC record, when one is published at the domain itself.
    pub dmarc: Option<String>,
}

impl Existing {
    pub fn from_facts(facts: &Facts) -> Self {
        let dns = &facts.dns;
        let mx_hosts = dns
            .mx
            .records()
            .iter()
            .filter(|mx| !mx.exchange.is_empty())
            .map(|mx| mx.exchange.clone())
            .collect();
        // The domain's own TXT answer, not those of the names its record includes.
        let spf = dns
            .spf
            .domain
            .as_ref()
            .and_then(|policy| policy.txt_of(&policy.name))
            .map(|txt| tagged(txt, "v=spf1"))
            .unwrap_or_default();
        // The first name of the tree walk is the domain itself; a parent's record is not ours
        // to merge with.
        let dmarc = dns
            .dmarc
            .walk
            .first()
            .and_then(|own| tagged(&own.txt, "v=DMARC1").into_iter().next());
        Existing {
            mx_hosts,
            spf,
            dmarc,
        }
    }

    /// The policy of the published DMARC record, if any.
    pub fn dmarc_policy(&self) -> Option<DmarcPolicy> {
        dmarc_tag(self.dmarc.as_deref()?, "p")?.parse().ok()
    }
}

/// The value of one tag of a DMARC record.
pub fn dmarc_tag<'a>(record: &'a str, tag: &str) -> Option<&'a str> {
    record.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        k.trim().eq_ignore_ascii_case(tag).then_some(v.trim())
    })
}

/// The records of an answer that start with `tag` (case-insensitive, followed by a space,
/// `;` or the end), without repeats.
fn tagged(lookup: &Lookup<String>, tag: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for record in lookup.records() {
        if has_tag(record, tag) && !found.contains(record) {
            found.push(record.clone());
        }
    }
    found
}

fn has_tag(record: &str, tag: &str) -> bool {
    let r = record.trim_start();
    r.len() >= tag.len()
        && r.is_char_boundary(tag.len())
        && r[..tag.len()].eq_ignore_ascii_case(tag)
        && r[tag.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == ';')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{DmarcTxt, NamedTxt, SpfPolicy};
    use crate::testing::{facts_for, failed};

    fn answer(records: &[&str]) -> Lookup<String> {
        Lookup::Answer {
            records: records.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn reads_the_domains_own_records_only() {
        let mut facts = facts_for("example.org");
        facts.dns.spf.domain = Some(SpfPolicy {
            name: "example.org".into(),
            txt: vec![
                NamedTxt {
                    name: "example.org".into(),
                    lookup: answer(&["v=spf1 include:a.example -all", "other text"]),
                },
                NamedTxt {
                    name: "a.example".into(),
                    lookup: answer(&["v=spf1 ip4:192.0.2.1 -all"]),
                },
            ],
            ..SpfPolicy::default()
        });
        facts.dns.dmarc.walk = vec![
            DmarcTxt {
                domain: "example.org".into(),
                txt: Lookup::NxDomain,
            },
            DmarcTxt {
                domain: "org".into(),
                txt: answer(&["v=DMARC1; p=reject"]),
            },
        ];
        let existing = Existing::from_facts(&facts);
        assert_eq!(existing.spf, vec!["v=spf1 include:a.example -all"]);
        assert_eq!(
            existing.dmarc, None,
            "a parent's policy is not the domain's record"
        );

        facts.dns.dmarc.walk[0].txt = answer(&["v=DMARC1; p=quarantine"]);
        assert_eq!(
            Existing::from_facts(&facts).dmarc.as_deref(),
            Some("v=DMARC1; p=quarantine")
        );
        facts.dns.spf.domain.as_mut().unwrap().txt[0].lookup = failed();
        assert!(Existing::from_facts(&facts).spf.is_empty());
        assert!(!has_tag("v=spf10 -all", "v=spf1"));
        assert!(has_tag("V=SPF1", "v=spf1"));
        assert!(!has_tag("vé", "v=spf1"));
    }

    #[test]
    fn dmarc_tags() {
        let e = Existing {
            dmarc: Some("v=DMARC1; p=quarantine; rua=mailto:d@example.org".into()),
            ..Existing::default()
        };
        assert_eq!(e.dmarc_policy(), Some(DmarcPolicy::Quarantine));
        assert_eq!(
            dmarc_tag(e.dmarc.as_deref().unwrap(), "rua"),
            Some("mailto:d@example.org")
        );
    }
}
