//! A policy as a receiver sees it: the root record and everything it includes or
//! redirects to, read from answers already fetched (by the probe, or replayed from a facts
//! file). Nothing here asks DNS.

use std::collections::BTreeSet;

use super::lint::{RecordSummary, Target, summarize};
use super::{ParseError, Qualifier, SpfRecord, is_spf_record};
use crate::facts::{Failure, Lookup};

/// How deep the include/redirect tree is followed. A chain deeper than 10 is over the
/// lookup limit already; one more level proves it.
pub const MAX_TREE_DEPTH: usize = 11;
/// Records fetched for one policy at most (a flat record with many includes still fits).
pub const MAX_TREE_RECORDS: usize = 40;

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
