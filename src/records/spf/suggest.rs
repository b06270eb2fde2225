//! Corrected records for the playbook remedies: a strict `all`, added addresses, no `ptr`,
//! several records merged into one, includes flattened into addresses.

use std::net::IpAddr;

use super::lint::literal_name;
use super::tree::{NodeState, PolicyTree};

/// Records visited to flatten one include, at most (also ends loops).
const MAX_PLAIN_VISITS: usize = 64;
use super::{MechanismKind, Modifier, Qualifier, SpfRecord, Term, TermKind};

fn rebuild(terms: &[String]) -> String {
    let mut out = String::from("v=spf1");
    for t in terms {
        out.push(' ');
        out.push_str(t);
    }
    out
}

fn is_all(term: &Term) -> bool {
    matches!(&term.kind, TermKind::Mechanism(m) if m.kind == MechanismKind::All)
}

fn is_modifier(term: &Term) -> bool {
    matches!(term.kind, TermKind::Modifier(_))
}

/// The record with its `all` set to `qualifier` ("-all", "~all"…); added when missing
/// (a redirect is then dropped: it would be ignored next to an `all`).
pub fn with_all(record: &SpfRecord, qualifier: Qualifier) -> String {
    let all = format!("{}all", qualifier.symbol());
    let mut terms: Vec<String> = Vec::new();
    let mut placed = false;
    for term in &record.terms {
        if is_all(term) {
            if !placed {
                terms.push(all.clone());
                placed = true;
            }
        } else if matches!(term.kind, TermKind::Modifier(Modifier::Redirect(_))) {
            continue;
        } else if is_modifier(term) && !placed {
            terms.push(all.clone());
            placed = true;
            terms.push(term.text.clone());
        } else {
            terms.push(term.text.clone());
        }
    }
    if !placed {
        terms.push(all);
    }
    rebuild(&terms)
}

/// The record with `ip4:`/`ip6:` terms for each address it lacks, placed before its `all`.
pub fn with_ips(record: &SpfRecord, ips: &[IpAddr]) -> String {
    let new: Vec<String> = ips
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(v4) => format!("ip4:{v4}"),
            IpAddr::V6(v6) => format!("ip6:{v6}"),
        })
        .filter(|t| !record.terms.iter().any(|x| x.text.eq_ignore_ascii_case(t)))
        .collect();
    let mut terms = Vec::new();
    let mut inserted = false;
    for term in &record.terms {
        if !inserted && (is_all(term) || is_modifier(term)) {
            terms.extend(new.iter().cloned());
            inserted = true;
        }
        terms.push(term.text.clone());
    }
    if !inserted {
        terms.extend(new);
    }
    rebuild(&terms)
}

/// The record without its `ptr` terms.
pub fn without_ptr(record: &SpfRecord) -> String {
    let terms: Vec<String> = record
        .terms
        .iter()
        .filter(|t| !matches!(&t.kind, TermKind::Mechanism(m) if matches!(m.kind, MechanismKind::Ptr { .. })))
        .map(|t| t.text.clone())
        .collect();
    rebuild(&terms)
}

/// Several records merged into one: every mechanism once, the first record's `all` last,
/// the first `exp=`. Records that do not parse are left out.
pub fn merge(texts: &[String]) -> String {
    let mut mechanisms: Vec<String> = Vec::new();
    let mut all: Option<String> = None;
    let mut exp: Option<String> = None;
    for text in texts {
        let Ok(record) = super::parse(text) else {
            continue;
        };
        for term in &record.terms {
            match &term.kind {
                TermKind::Mechanism(m) if m.kind == MechanismKind::All => {
                    all.get_or_insert_with(|| term.text.clone());
                }
                TermKind::Mechanism(_) => {
                    if !mechanisms
                        .iter()
                        .any(|x| x.eq_ignore_ascii_case(&term.text))
                    {
                        mechanisms.push(term.text.clone());
                    }
                }
                TermKind::Modifier(Modifier::Explanation(_)) => {
                    exp.get_or_insert_with(|| term.text.clone());
                }
                TermKind::Modifier(_) => {}
            }
        }
    }
    mechanisms.push(all.unwrap_or_else(|| "-all".into()));
    mechanisms.extend(exp);
    rebuild(&mechanisms)
}

/// A record rewritten to need fewer DNS lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flattened {
    pub record: String,
    pub lookups: usize,
    /// The include/a terms replaced by addresses.
    pub replaced: Vec<String>,
}

/// Replace the root's includes whose whole subtree is plain `ip4`/`ip6` (and its own `a`
/// terms whose addresses are known) by those addresses. None when nothing can be replaced.
/// `addresses` gives the A and AAAA answers of a name, when known.
pub fn flatten(
    tree: &PolicyTree,
    addresses: impl Fn(&str) -> Option<Vec<IpAddr>>,
) -> Option<Flattened> {
    let (record, _) = tree.root_record()?;
    let mut mechanisms: Vec<String> = Vec::new();
    let mut all: Option<String> = None;
    let mut modifiers: Vec<String> = Vec::new();
    let mut replaced = Vec::new();
    let mut lookups = 0usize;
    let push_unique = |list: &mut Vec<String>, t: String| {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
            list.push(t);
        }
    };
    for term in &record.terms {
        let m = match &term.kind {
            TermKind::Modifier(Modifier::Redirect(_)) => {
                if record.all().is_none() {
                    lookups += 1 + subtree_lookups(tree, &tree.root, &term.text);
                    modifiers.push(term.text.clone());
                }
                continue;
            }
            TermKind::Modifier(_) => {
                modifiers.push(term.text.clone());
                continue;
            }
            TermKind::Mechanism(m) => m,
        };
        if all.is_some() {
            continue;
        }
        let plain = m.qualifier == Qualifier::Pass && !term.text.starts_with('+');
        match &m.kind {
            MechanismKind::All => all = Some(term.text.clone()),
            MechanismKind::Include { domain } if plain => {
                let mut budget = MAX_PLAIN_VISITS;
                match literal_name(domain).and_then(|t| plain_addresses(tree, &t, &mut budget)) {
                    Some(ips) => {
                        replaced.push(term.text.clone());
                        for ip in ips {
                            push_unique(&mut mechanisms, ip);
                        }
                    }
                    None => {
                        lookups += 1 + subtree_lookups(tree, &tree.root, &term.text);
                        mechanisms.push(term.text.clone());
                    }
                }
            }
            MechanismKind::A { domain, cidr } if plain => {
                let name = match domain {
                    None => Some(tree.root.clone()),
                    Some(spec) => literal_name(spec),
                };
                match name.and_then(|n| addresses(&n)).filter(|a| !a.is_empty()) {
                    Some(ips) => {
                        replaced.push(term.text.clone());
                        for ip in ips {
                            let t = match ip {
                                IpAddr::V4(v4) if cidr.v4 == 32 => format!("ip4:{v4}"),
                                IpAddr::V4(v4) => format!("ip4:{v4}/{}", cidr.v4),
                                IpAddr::V6(v6) if cidr.v6 == 128 => format!("ip6:{v6}"),
                                IpAddr::V6(v6) => format!("ip6:{v6}/{}", cidr.v6),
                            };
                            push_unique(&mut mechanisms, t);
                        }
                    }
                    None => {
                        lookups += 1;
                        mechanisms.push(term.text.clone());
                    }
                }
            }
            kind => {
                if kind.queries_dns() {
                    lookups += 1 + subtree_lookups(tree, &tree.root, &term.text);
                }
                push_unique(&mut mechanisms, term.text.clone());
            }
        }
    }
    if replaced.is_empty() {
        return None;
    }
    mechanisms.extend(all);
    mechanisms.extend(modifiers);
    Some(Flattened {
        record: rebuild(&mechanisms),
        lookups,
        replaced,
    })
}

/// Lookups below the child reached from `parent` through `term`.
fn subtree_lookups(tree: &PolicyTree, parent: &str, term: &str) -> usize {
    tree.nodes
        .iter()
        .find(|n| {
            n.via
                .as_ref()
                .is_some_and(|v| v.parent == parent && v.term == term)
        })
        .map_or(0, |n| n.lookups)
}

/// The `ip4:`/`ip6:` terms of a record whose effective terms are only plain ip4/ip6 and
/// includes of such records, and whose `all` (if any) is not a pass. None otherwise.
fn plain_addresses(tree: &PolicyTree, name: &str, budget: &mut usize) -> Option<Vec<String>> {
    // Records including each other in a diamond would be walked once per path: cap the walk.
    *budget = budget.checked_sub(1)?;
    let node = tree.nodes.iter().find(|n| n.name == name)?;
    let NodeState::Record { record, summary } = &node.state else {
        return None;
    };
    if summary.redirect.is_some() || summary.all == Some(Qualifier::Pass) {
        return None;
    }
    let mut out = Vec::new();
    for (term, m) in record.mechanisms() {
        match &m.kind {
            MechanismKind::All => break,
            MechanismKind::Ip4 { .. } | MechanismKind::Ip6 { .. }
                if m.qualifier == Qualifier::Pass =>
            {
                out.push(term.text.trim_start_matches('+').to_string());
            }
            MechanismKind::Include { domain } if m.qualifier == Qualifier::Pass => {
                out.extend(plain_addresses(tree, &literal_name(domain)?, budget)?);
            }
            _ => return None,
        }
    }
    Some(out)
}
