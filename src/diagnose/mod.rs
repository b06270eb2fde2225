//! Diagnosis: pure functions from facts to findings, one module per area.
//!
//! Nothing here does I/O or reads the clock. Every rule emits `ok` findings for what passed,
//! so a report shows what was verified, and `*.lookup-failed` (severity `unknown`) when a
//! fact could not be observed: "could not check" is never "missing".

mod dkim;
mod dmarc;
pub mod dnsbl;
mod finding;
mod host;
mod ids;
mod mta_sts;
mod mx;
mod net;
mod postfix;
mod ptr;
mod smtp;
mod spf;
mod tlsrpt;

pub use finding::{Finding, Severity};
pub use ids::FindingId;
pub use ptr::generic_ptr_reason;

use crate::facts::{Facts, Lookup};
use crate::plan::Playbooks;

/// Every finding for a set of facts, in area order.
pub fn diagnose(facts: &Facts, playbooks: &Playbooks) -> Vec<Finding> {
    let mut out = Vec::new();
    mx::diagnose(facts, &mut out);
    host::diagnose(facts, &mut out);
    ptr::diagnose(facts, &playbooks.generic_ptr, &mut out);
    spf::diagnose(facts, &mut out);
    dkim::diagnose(facts, &mut out);
    dmarc::diagnose(facts, &mut out);
    mta_sts::diagnose(facts, &mut out);
    tlsrpt::diagnose(facts, &mut out);
    dnsbl::diagnose(facts, &playbooks.blocklists, &mut out);
    smtp::diagnose(facts, &mut out);
    net::diagnose(facts, &mut out);
    postfix::diagnose(facts, &mut out);
    out
}

/// The `*.lookup-failed` finding for a failed lookup, or None when the lookup answered.
pub(crate) fn lookup_failed<T>(
    id: FindingId,
    name: &str,
    rtype: &str,
    lookup: &Lookup<T>,
) -> Option<Finding> {
    match lookup {
        Lookup::Failed { failure, detail } => Some(
            Finding::new(id, Severity::Unknown, name)
                .with("name", name)
                .with("type", rtype)
                .with("failure", failure.as_str())
                .with("error", detail),
        ),
        _ => None,
    }
}
