//! What a record, and the whole tree of records it includes, costs and risks.
//!
//! Nothing here asks DNS: [`summarize`] reads one parsed record, [`analyze`] walks a tree
//! of records already fetched (by the probe, or replayed from a facts file), and the
//! `with_*`/[`flatten`] helpers write corrected records for the playbook remedies.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{MechanismKind, Modifier, ParseError, Qualifier, SpfRecord, TermKind, is_spf_record};
use crate::facts::{Failure, Lookup};

/// How deep the include/redirect tree is followed. A chain deeper than 10 is over the
/// lookup limit already; one more level proves it.
pub const MAX_TREE_DEPTH: usize = 11;
/// Records fetched for one policy at most (a flat record with many includes still fits).
pub const MAX_TREE_RECORDS: usize = 40;
/// The RFC 7208 §3.4 guideline: name plus all TXT text at it under 450 bytes keeps the DNS
/// answer within a 512-byte UDP packet.
pub const MAX_TXT_BYTES: usize = 450;

/// The kind of name an `a`, `mx` or `exists` term asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetKind {
    A,
    Mx,
    Exists,
}

/// A name a term asks about, written without macros (so every receiver asks the same).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub kind: TargetKind,
    pub name: String,
    /// The term as written.
    pub term: String,
}

/// An include or redirect term and its target when written without macros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub term: String,
    pub target: Option<String>,
}

/// What one record does, read from the record alone. Only terms a receiver can reach count:
/// nothing after the first `all`, and `redirect=` only when there is no `all`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSummary {
    pub all: Option<Qualifier>,
    pub includes: Vec<Reference>,
    pub redirect: Option<Reference>,
    /// Terms that cost one of the 10 DNS lookups (include, a, mx, ptr, exists, redirect).
    pub dns_terms: usize,
    pub ptr_terms: Vec<String>,
    /// a/mx/exists names written without macros.
    pub targets: Vec<Target>,
    /// Some include, redirect, a, mx or exists target uses macros: not followed statically.
    pub macro_targets: usize,
    /// Terms no receiver ever evaluates (after `all`; a redirect next to an `all`).
    pub unreachable: Vec<String>,
}

fn literal_name(spec: &super::MacroString) -> Option<String> {
    spec.as_literal()
        .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
}

/// Summarise a record published at `domain`.
pub fn summarize(record: &SpfRecord, domain: &str) -> RecordSummary {
    let mut s = RecordSummary::default();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut after_all = false;
    for term in &record.terms {
        let mechanism = match &term.kind {
            TermKind::Mechanism(m) => m,
            TermKind::Modifier(Modifier::Redirect(spec)) => {
                if record.all().is_some() {
                    s.unreachable.push(term.text.clone());
                } else {
                    s.dns_terms += 1;
                    let target = literal_name(spec);
                    s.macro_targets += usize::from(target.is_none());
                    s.redirect = Some(Reference {
                        term: term.text.clone(),
                        target,
                    });
                }
                continue;
            }
            TermKind::Modifier(_) => continue,
        };
        if after_all {
            s.unreachable.push(term.text.clone());
            continue;
        }
        if mechanism.kind.queries_dns() {
            s.dns_terms += 1;
        }
        let mut target = |kind, spec: &Option<super::MacroString>| match spec {
            None => s.targets.push(Target {
                kind,
                name: domain.clone(),
                term: term.text.clone(),
            }),
            Some(spec) => match literal_name(spec) {
                Some(name) => s.targets.push(Target {
                    kind,
                    name,
                    term: term.text.clone(),
                }),
                None => s.macro_targets += 1,
            },
        };
        match &mechanism.kind {
            MechanismKind::All => {
                s.all = Some(mechanism.qualifier);
                after_all = true;
            }
            MechanismKind::A { domain: spec, .. } => target(TargetKind::A, spec),
            MechanismKind::Mx { domain: spec, .. } => target(TargetKind::Mx, spec),
            MechanismKind::Exists { domain: spec } => {
                target(TargetKind::Exists, &Some(spec.clone()))
            }
            MechanismKind::Ptr { .. } => s.ptr_terms.push(term.text.clone()),
            MechanismKind::Include { domain: spec } => {
                let target = literal_name(spec);
                s.macro_targets += usize::from(target.is_none());
                s.includes.push(Reference {
                    term: term.text.clone(),
                    target,
                });
            }
            MechanismKind::Ip4 { .. } | MechanismKind::Ip6 { .. } => {}
        }
    }
    s
}

/// How a name of the tree was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    pub parent: String,
    pub term: String,
}

/// What the DNS held at one name of the tree.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeState {
    Record {
        record: SpfRecord,
        summary: RecordSummary,
    },
    /// No `v=spf1` record.
    NoRecord {
        why: NoRecordWhy,
    },
    Multiple {
        records: Vec<String>,
    },
    Invalid {
        text: String,
        error: ParseError,
    },
    Failed {
        failure: Failure,
        detail: String,
    },
    /// Beyond the walk's bounds, or not in the facts.
    NotFetched,
}

/// Why a name has no SPF record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRecordWhy {
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no TXT record.
    NoTxt,
    /// Only TXT records of other kinds.
    OtherTxt,
}

impl NoRecordWhy {
    pub fn as_str(self) -> &'static str {
        match self {
            NoRecordWhy::NxDomain => "nxdomain",
            NoRecordWhy::NoTxt => "no-txt",
            NoRecordWhy::OtherTxt => "other-txt",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub depth: usize,
    pub via: Option<Via>,
    pub state: NodeState,
    /// RFC 7208 §3.4 size: the name plus the text of every TXT record there.
    pub txt_bytes: usize,
    /// DNS-querying terms of this record and everything below it.
    pub lookups: usize,
}

/// A policy and everything it includes or redirects to.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyTree {
    pub root: String,
    /// Every record reached, depth first in evaluation order (a name included twice appears twice).
    pub nodes: Vec<Node>,
    /// DNS-querying terms a receiver evaluates when nothing matches early.
    pub lookups: usize,
    /// False when part of the tree could not be read (macros, failures, bounds): then
    /// `lookups` and `void_targets` are lower bounds.
    pub complete: bool,
    /// a/mx/exists names that do not exist or have no records: void for every receiver.
    pub void_targets: Vec<Target>,
    /// include/redirect cycles, each as the names from the repeated one back to itself.
    pub loops: Vec<Vec<String>>,
}

/// Walk the tree under `root` through `txt` (the TXT answers by name) and `void` (whether a
/// target name is void: Some(true), exists: Some(false), unknown: None).
pub fn analyze<'a>(
    root: &str,
    txt: impl Fn(&str) -> Option<&'a Lookup<String>>,
    void: impl Fn(&Target) -> Option<bool>,
) -> PolicyTree {
    let mut tree = PolicyTree {
        root: root.to_string(),
        nodes: Vec::new(),
        lookups: 0,
        complete: true,
        void_targets: Vec::new(),
        loops: Vec::new(),
    };
    let mut path = Vec::new();
    tree.lookups = visit(&mut tree, &txt, &void, root, None, &mut path);
    let mut seen = BTreeSet::new();
    tree.void_targets
        .retain(|t| seen.insert((t.kind, t.name.clone())));
    tree
}

fn visit<'a>(
    tree: &mut PolicyTree,
    txt: &impl Fn(&str) -> Option<&'a Lookup<String>>,
    void: &impl Fn(&Target) -> Option<bool>,
    name: &str,
    via: Option<Via>,
    path: &mut Vec<String>,
) -> usize {
    let depth = path.len();
    if depth > MAX_TREE_DEPTH || tree.nodes.len() >= MAX_TREE_RECORDS * 4 {
        tree.complete = false;
        return 0;
    }
    let lookup = txt(name);
    let txt_bytes = match lookup {
        Some(Lookup::Answer { records }) => {
            name.len() + records.iter().map(String::len).sum::<usize>()
        }
        _ => 0,
    };
    let state = node_state(name, lookup);
    if !matches!(state, NodeState::Record { .. }) {
        if !matches!(state, NodeState::NoRecord { .. }) {
            tree.complete = false;
        }
        tree.nodes.push(Node {
            name: name.to_string(),
            depth,
            via,
            state,
            txt_bytes,
            lookups: 0,
        });
        return 0;
    }
    let index = tree.nodes.len();
    tree.nodes.push(Node {
        name: name.to_string(),
        depth,
        via,
        state,
        txt_bytes,
        lookups: 0,
    });
    let NodeState::Record { summary, .. } = &tree.nodes[index].state else {
        return 0;
    };
    let summary = summary.clone();
    let mut lookups = summary.dns_terms;
    if summary.macro_targets > 0 {
        tree.complete = false;
    }
    for target in &summary.targets {
        match void(target) {
            Some(true) => tree.void_targets.push(target.clone()),
            Some(false) => {}
            None => tree.complete = false,
        }
    }
    path.push(name.to_string());
    let children = summary.includes.iter().chain(summary.redirect.iter());
    for reference in children {
        let Some(child) = &reference.target else {
            continue;
        };
        if let Some(start) = path.iter().position(|p| p == child) {
            let mut cycle: Vec<String> = path[start..].to_vec();
            cycle.push(child.clone());
            tree.loops.push(cycle);
            continue;
        }
        lookups += visit(
            tree,
            txt,
            void,
            child,
            Some(Via {
                parent: name.to_string(),
                term: reference.term.clone(),
            }),
            path,
        );
    }
    path.pop();
    tree.nodes[index].lookups = lookups;
    lookups
}

fn node_state(name: &str, lookup: Option<&Lookup<String>>) -> NodeState {
    match lookup {
        None | Some(Lookup::NotAsked) => NodeState::NotFetched,
        Some(Lookup::Failed { failure, detail }) => NodeState::Failed {
            failure: *failure,
            detail: detail.clone(),
        },
        Some(Lookup::NxDomain) => NodeState::NoRecord {
            why: NoRecordWhy::NxDomain,
        },
        Some(Lookup::NoData) => NodeState::NoRecord {
            why: NoRecordWhy::NoTxt,
        },
        Some(Lookup::Answer { records }) => {
            let spf: Vec<&String> = records.iter().filter(|r| is_spf_record(r)).collect();
            match spf.as_slice() {
                [] => NodeState::NoRecord {
                    why: NoRecordWhy::OtherTxt,
                },
                [one] => match super::parse(one) {
                    Ok(record) => {
                        let summary = summarize(&record, name);
                        NodeState::Record { record, summary }
                    }
                    Err(error) => NodeState::Invalid {
                        text: (*one).clone(),
                        error,
                    },
                },
                many => NodeState::Multiple {
                    records: many.iter().map(|s| (*s).clone()).collect(),
                },
            }
        }
    }
}

impl PolicyTree {
    /// The root's record, when it has exactly one valid one.
    pub fn root_record(&self) -> Option<(&SpfRecord, &RecordSummary)> {
        match self.nodes.first().map(|n| &n.state) {
            Some(NodeState::Record { record, summary }) => Some((record, summary)),
            _ => None,
        }
    }

    /// The `all` that ends evaluation for the root: its own, or that of the record its
    /// redirect chain leads to.
    pub fn effective_all(&self) -> EffectiveAll {
        let Some(mut node) = self.nodes.first() else {
            return EffectiveAll::Unknown;
        };
        loop {
            let NodeState::Record { summary, .. } = &node.state else {
                return EffectiveAll::Unknown;
            };
            if let Some(qualifier) = summary.all {
                return EffectiveAll::Found {
                    record: node.name.clone(),
                    qualifier,
                };
            }
            let Some(redirect) = &summary.redirect else {
                return EffectiveAll::Missing;
            };
            let Some(target) = &redirect.target else {
                return EffectiveAll::Unknown;
            };
            let next = self.nodes.iter().find(|n| {
                &n.name == target
                    && n.via
                        .as_ref()
                        .is_some_and(|v| v.parent == node.name && v.term == redirect.term)
            });
            match next {
                Some(n) => node = n,
                // A loop or a target beyond the walk: nobody can tell.
                None => return EffectiveAll::Unknown,
            }
        }
    }
}

/// Where a policy's evaluation ends when no mechanism matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EffectiveAll {
    /// An `all` with this qualifier, in the record of `record`.
    Found {
        record: String,
        qualifier: Qualifier,
    },
    /// The chain ends in a record with neither `all` nor `redirect=`: the default, neutral.
    Missing,
    /// The chain cannot be followed (loop, macro, missing or unreadable record).
    Unknown,
}

fn record_terms(record: &SpfRecord) -> Vec<String> {
    record.terms.iter().map(|t| t.text.clone()).collect()
}

fn rebuild(terms: &[String]) -> String {
    let mut out = String::from("v=spf1");
    for t in terms {
        out.push(' ');
        out.push_str(t);
    }
    out
}

fn is_all(term: &super::Term) -> bool {
    matches!(&term.kind, TermKind::Mechanism(m) if m.kind == MechanismKind::All)
}

fn is_modifier(term: &super::Term) -> bool {
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
/// the first `exp=`. Records that do not parse are merged term by term as far as possible.
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
                match literal_name(domain).and_then(|t| plain_addresses(tree, &t, 0)) {
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
fn plain_addresses(tree: &PolicyTree, name: &str, depth: usize) -> Option<Vec<String>> {
    if depth > MAX_TREE_DEPTH {
        return None;
    }
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
                out.extend(plain_addresses(tree, &literal_name(domain)?, depth + 1)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The terms of a record, as written.
pub fn terms_of(record: &SpfRecord) -> Vec<String> {
    record_terms(record)
}

#[cfg(test)]
mod tests;
