//! SPF (RFC 7208): the record grammar, a linter, and the `check_host()` evaluator.
//!
//! [`parse`] turns a TXT string into an [`SpfRecord`] or a [`ParseError`] that names the byte
//! where the record stops making sense. [`lint`] summarises what a record costs and risks
//! (DNS-querying terms, `all`, `ptr`, include targets), [`tree`] puts a policy's records
//! together (lookup counts, loops, void names) and [`suggest`] writes corrected records, all
//! without asking anything. [`check_host`] runs the RFC algorithm against any
//! [`crate::probe::dns::Resolve`] and keeps a trace of every step. [`report`] shapes the
//! `mxdoctor spf` output.

pub mod eval;
#[cfg(test)]
pub(crate) mod fake_dns;
pub mod lint;
mod macros;
mod parse;
pub mod report;
mod result;
pub mod suggest;
mod trace;
pub mod tree;

pub use eval::check_host;
pub use macros::{MacroContext, MacroLetter, MacroPart, MacroString};
pub use parse::{ParseError, ParseErrorKind, is_spf_record, parse};
pub use result::{Evaluation, Identity, MatchedTerm, Request, Sender, SpfResult};
pub use trace::{DnsOutcome, TermOutcome, TraceEvent};

use std::net::{Ipv4Addr, Ipv6Addr};

/// `qualifier = "+" / "-" / "?" / "~"`: the result a matching mechanism gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    /// The qualifier character as written in records.
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }

    pub fn result(self) -> SpfResult {
        match self {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`, defaults /32 and /128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DualCidr {
    pub v4: u8,
    pub v6: u8,
}

impl Default for DualCidr {
    fn default() -> Self {
        DualCidr { v4: 32, v6: 128 }
    }
}

/*  mechanism = ( all / include / a / mx / ptr / ip4 / ip6 / exists ) */
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MechanismKind {
    All,
    Include {
        domain: MacroString,
    },
    A {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Mx {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Ptr {
        domain: Option<MacroString>,
    },
    Ip4 {
        network: Ipv4Addr,
        prefix: u8,
    },
    Ip6 {
        network: Ipv6Addr,
        prefix: u8,
    },
    Exists {
        domain: MacroString,
    },
}

impl MechanismKind {
    /// The mechanism name as RFC 7208 spells it.
    pub fn name(&self) -> &'static str {
        match self {
            MechanismKind::All => "all",
            MechanismKind::Include { .. } => "include",
            MechanismKind::A { .. } => "a",
            MechanismKind::Mx { .. } => "mx",
            MechanismKind::Ptr { .. } => "ptr",
            MechanismKind::Ip4 { .. } => "ip4",
            MechanismKind::Ip6 { .. } => "ip6",
            MechanismKind::Exists { .. } => "exists",
        }
    }

    /// True for the mechanisms that count against the 10-lookup limit (RFC 7208 §4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            MechanismKind::Include { .. }
                | MechanismKind::A { .. }
                | MechanismKind::Mx { .. }
                | MechanismKind::Ptr { .. }
                | MechanismKind::Exists { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mechanism {
    pub qualifier: Qualifier,
    pub kind: MechanismKind,
}

/*  modifier = redirect / explanation / unknown-modifier */
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Modifier {
    Redirect(MacroString),
    Explanation(MacroString),
    Unknown { name: String, value: MacroString },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermKind {
    Mechanism(Mechanism),
    Modifier(Modifier),
}

/// One space-separated term, with where it sits in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The term as written.
    pub text: String,
    /// Byte offset of the term in the record.
    pub position: usize,
    pub kind: TermKind,
}

/// A parsed `v=spf1` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfRecord {
    pub text: String,
    pub terms: Vec<Term>,
}

impl SpfRecord {
    /// The mechanisms in order, each with its term.
    pub fn mechanisms(&self) -> impl Iterator<Item = (&Term, &Mechanism)> {
        self.terms.iter().filter_map(|t| match &t.kind {
            TermKind::Mechanism(m) => Some((t, m)),
            TermKind::Modifier(_) => None,
        })
    }

    /// The `redirect=` target, if any (the parser refuses a second one).
    pub fn redirect(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Redirect(d)) => Some(d),
            _ => None,
        })
    }

    /// The `exp=` domain, if any.
    pub fn explanation(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Explanation(d)) => Some(d),
            _ => None,
        })
    }

    /// The first `all` mechanism: it ends evaluation, so it decides the default result.
    pub fn all(&self) -> Option<(&Term, Qualifier)> {
        self.mechanisms()
            .find(|(_, m)| m.kind == MechanismKind::All)
            .map(|(t, m)| (t, m.qualifier))
    }
}
