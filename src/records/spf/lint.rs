//! What one record costs and risks, read from the record alone: the terms a receiver can
//! reach, those that cost a DNS lookup, its `all`, `ptr` terms, and the names it points at.
//! [`super::tree`] puts records together into a policy; [`super::suggest`] rewrites them.

use super::{MechanismKind, Modifier, Qualifier, SpfRecord, TermKind};

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

pub(super) fn literal_name(spec: &super::MacroString) -> Option<String> {
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

#[cfg(test)]
mod tests;
