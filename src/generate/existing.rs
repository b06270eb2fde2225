//! What the domain already publishes, read from the facts of a `check` run, so generated
//! records merge with it instead of duplicating it.
//!
//! MX records are typed facts. The TXT-based areas (SPF, DMARC) record their lookups in
//! their own fact types; this module reads them through their serialised form and takes the
//! records of the shallowest [`Lookup`](crate::facts::Lookup) answers that hold the record's
//! version tag (`v=spf1`, `v=DMARC1`). Deeper answers are included or referenced records of
//! other names (an SPF include tree), never the domain's own.

use serde_json::Value;

use crate::answers::DmarcPolicy;
use crate::facts::Facts;

/// Deepest level of the facts tree searched; bounds the walk.
const MAX_DEPTH: usize = 6;

/// Records already published for the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Existing {
    /// MX hosts (without the null MX).
    pub mx_hosts: Vec<String>,
    /// Every SPF record at the domain (more than one is an error receivers punish).
    pub spf: Vec<String>,
    /// The DMARC record, when one is published.
    pub dmarc: Option<String>,
}

impl Existing {
    pub fn from_facts(facts: &Facts) -> Self {
        let mx_hosts = facts
            .dns
            .mx
            .records()
            .iter()
            .filter(|mx| !mx.exchange.is_empty())
            .map(|mx| mx.exchange.clone())
            .collect();
        let spf = serde_json::to_value(&facts.dns.spf)
            .map(|v| tagged_records(&v, "v=spf1"))
            .unwrap_or_default();
        let dmarc = serde_json::to_value(&facts.dns.dmarc)
            .map(|v| tagged_records(&v, "v=DMARC1"))
            .unwrap_or_default()
            .into_iter()
            .next();
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

/// Records starting with `tag` (case-insensitive, followed by a space, `;` or the end) in the
/// shallowest lookup answers of `tree` that hold any.
fn tagged_records(tree: &Value, tag: &str) -> Vec<String> {
    let mut level: Vec<&Value> = vec![tree];
    for _ in 0..MAX_DEPTH {
        let mut found = Vec::new();
        let mut next = Vec::new();
        for value in &level {
            if let Some(records) = answer_records(value) {
                for r in records {
                    if has_tag(&r, tag) && !found.contains(&r) {
                        found.push(r);
                    }
                }
            }
            match value {
                Value::Object(map) => next.extend(map.values()),
                Value::Array(items) => next.extend(items.iter()),
                _ => {}
            }
        }
        if !found.is_empty() {
            return found;
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Vec::new()
}

/// The records of a serialised `Lookup::Answer` as text: strings as they are, arrays of
/// strings (TXT character-strings) joined, and objects by their first string that looks like
/// a record.
fn answer_records(value: &Value) -> Option<Vec<String>> {
    let map = value.as_object()?;
    if map.get("outcome")?.as_str()? != "answer" {
        return None;
    }
    let records = map.get("records")?.as_array()?;
    Some(records.iter().filter_map(record_text).collect())
}

fn record_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(|p| p.as_str())
            .collect::<Option<Vec<_>>>()
            .map(|p| p.concat()),
        Value::Object(map) => map.values().find_map(|v| match v {
            Value::String(s) if s.to_ascii_lowercase().starts_with("v=") => Some(s.clone()),
            Value::Array(_) => record_text(v),
            _ => None,
        }),
        _ => None,
    }
}

fn has_tag(record: &str, tag: &str) -> bool {
    let r = record.trim_start();
    r.len() >= tag.len()
        && r[..tag.len()].eq_ignore_ascii_case(tag)
        && r[tag.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == ';')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_shallowest_tagged_answers_in_any_shape() {
        let tree = json!({
            "record": {"outcome": "answer", "records": [["v=spf1 include:a.example", " -all"], "other text"]},
            "includes": [{"name": "a.example", "txt": {"outcome": "answer", "records": ["v=spf1 ip4:192.0.2.1 -all"]}}]
        });
        assert_eq!(
            tagged_records(&tree, "v=spf1"),
            vec!["v=spf1 include:a.example -all"]
        );
        let failed = json!({"record": {"outcome": "failed", "failure": "timeout", "detail": ""}});
        assert!(tagged_records(&failed, "v=spf1").is_empty());
        assert!(!has_tag("v=spf10 -all", "v=spf1"));
        assert!(has_tag("V=SPF1", "v=spf1"));
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
