//! SPF: the domain's record and everything it includes (present, single, valid, within the
//! 10-lookup and 2-void-lookup limits, no loops, a strict `all`, no `ptr`, small enough for
//! one UDP answer), the HELO name's record, and check_host() for every --ip.
//!
//! Severities: anything that makes receivers see a permerror or lets anyone send as the
//! domain is critical; weak policies (?all, no all, ptr, oversized answers) are warnings.
//! The HELO name's policy matters mostly for bounces (null sender), so its problems are one
//! step milder, and a HELO name without SPF is only info.
//!
//! Size rule (`spf.record-too-long`): a record longer than 255 bytes split into several
//! strings is fine; what counts is the whole TXT answer. RFC 7208 §3.4 advises keeping the
//! name plus the text of every TXT record at it under 450 bytes so the answer fits a
//! 512-byte UDP packet; above that receivers need TCP or EDNS, which some networks break,
//! so it is a warning for any record of the policy.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::facts::{Facts, Lookup, SpfCheck, SpfPolicy};
use crate::records::spf::lint::{MAX_TXT_BYTES, Target, TargetKind};
use crate::records::spf::suggest::{flatten, merge, with_all, with_ips, without_ptr};
use crate::records::spf::tree::{EffectiveAll, NodeState, PolicyTree, analyze};
use crate::records::spf::{Identity, Qualifier, SpfResult, TraceEvent};

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let spf = &facts.dns.spf;
    let mut found = Vec::new();
    if let Some(policy) = &spf.domain {
        policy_findings(policy, Identity::MailFrom, &facts.target.ips, &mut found);
    }
    if let Some(policy) = &spf.helo {
        policy_findings(policy, Identity::Helo, &facts.target.ips, &mut found);
    }
    for check in &spf.checks {
        let policy = match check.identity {
            Identity::MailFrom => spf.domain.as_ref(),
            Identity::Helo => spf.helo.as_ref(),
        };
        if let Some(f) = check_finding(check, policy) {
            found.push(f);
        }
    }
    // One finding per id, subject and identity: a failed TXT lookup shows up in the tree
    // and again in every check that needed it.
    // A failed lookup is keyed by the name that failed, whoever reported it.
    let mut seen = HashSet::new();
    out.extend(found.into_iter().filter(|f| {
        let key = match f.id {
            FindingId::SpfLookupFailed => f.evidence.get("name").map(ToString::to_string),
            _ => Some(f.subject.clone()),
        };
        seen.insert((f.id, key, f.evidence.get("identity").cloned()))
    }));
}

fn identity_str(identity: Identity) -> &'static str {
    match identity {
        Identity::MailFrom => "mailfrom",
        Identity::Helo => "helo",
    }
}

/// The HELO name's problems are one step milder than the mail domain's.
fn severity(identity: Identity, base: Severity) -> Severity {
    match (identity, base) {
        (Identity::Helo, Severity::Critical) => Severity::Warning,
        (Identity::Helo, Severity::Warning) => Severity::Info,
        (_, s) => s,
    }
}

/// Whether a target name is void for every receiver: Some(true) void, Some(false) not,
/// None when its answers are not known.
fn void_of(policy: &SpfPolicy, target: &Target) -> Option<bool> {
    let t = policy.target(&target.name)?;
    match target.kind {
        TargetKind::A => {
            (answered(&t.a) && answered(&t.aaaa)).then(|| t.a.is_missing() && t.aaaa.is_missing())
        }
        TargetKind::Exists => answered(&t.a).then(|| t.a.is_missing()),
        TargetKind::Mx => answered(&t.mx).then(|| t.mx.is_missing()),
    }
}

fn answered<T>(lookup: &Lookup<T>) -> bool {
    matches!(
        lookup,
        Lookup::Answer { .. } | Lookup::NxDomain | Lookup::NoData
    )
}

/// A record to publish where there is none: the sending addresses, else the MX hosts.
fn suggested_record(identity: Identity, ips: &[IpAddr]) -> String {
    if identity == Identity::Helo {
        return "v=spf1 a -all".into();
    }
    if ips.is_empty() {
        return "v=spf1 mx -all".into();
    }
    let mut record = String::from("v=spf1");
    for ip in ips {
        match ip {
            IpAddr::V4(v4) => record.push_str(&format!(" ip4:{v4}")),
            IpAddr::V6(v6) => record.push_str(&format!(" ip6:{v6}")),
        }
    }
    record.push_str(" -all");
    record
}

fn policy_findings(policy: &SpfPolicy, identity: Identity, ips: &[IpAddr], out: &mut Vec<Finding>) {
    let name = policy.name.as_str();
    let Some(root_lookup) = policy.txt_of(name) else {
        return;
    };
    if let Some(f) = lookup_failed(FindingId::SpfLookupFailed, name, "TXT", root_lookup) {
        out.push(
            f.with("identity", identity_str(identity))
                .with("included_by", None::<String>),
        );
        return;
    }
    if matches!(root_lookup, Lookup::NotAsked) {
        return;
    }
    let tree = analyze(name, |n| policy.txt_of(n), |t| void_of(policy, t));
    let before = out.len();
    node_findings(&tree, identity, ips, out);
    if tree.root_record().is_none() {
        return;
    }
    root_policy_findings(&tree, policy, identity, out);
    let problems = out[before..].iter().any(|f| {
        matches!(
            f.severity,
            Severity::Critical | Severity::Warning | Severity::Unknown
        )
    });
    if !problems && let Some((record, summary)) = tree.root_record() {
        out.push(
            Finding::new(FindingId::SpfOk, Severity::Ok, name)
                .with("ip", None::<String>)
                .with("name", name)
                .with("identity", identity_str(identity))
                .with("record", &record.text)
                .with("lookups", tree.lookups)
                .with(
                    "all",
                    match tree.effective_all() {
                        EffectiveAll::Found { qualifier, .. } => Some(qualifier),
                        _ => summary.all,
                    }
                    .map(|q| format!("{}all", q.symbol())),
                )
                .with("matched", None::<String>),
        );
    }
}

/// Findings about each record of the tree: missing, multiple, broken, unreadable, ptr,
/// oversized, and includes that authorise everyone.
fn node_findings(tree: &PolicyTree, identity: Identity, ips: &[IpAddr], out: &mut Vec<Finding>) {
    let id = identity_str(identity);
    let mut seen: HashSet<(FindingId, String)> = HashSet::new();
    for node in &tree.nodes {
        let included_by = node.via.as_ref().map(|v| v.parent.clone());
        let via = node.via.as_ref().map(|v| v.term.clone());
        let is_root = node.via.is_none();
        let mut push = |f: Finding| {
            if seen.insert((f.id, f.subject.clone())) {
                out.push(f);
            }
        };
        match &node.state {
            NodeState::NoRecord { why } => push(
                Finding::new(
                    FindingId::SpfMissing,
                    if is_root && identity == Identity::Helo {
                        Severity::Info
                    } else {
                        severity(identity, Severity::Critical)
                    },
                    &node.name,
                )
                .with("name", &node.name)
                .with("identity", id)
                .with("included_by", &included_by)
                .with("via", &via)
                .with("why", why.as_str())
                .with(
                    "suggested_record",
                    is_root.then(|| suggested_record(identity, ips)),
                ),
            ),
            NodeState::Multiple { records } => push(
                Finding::new(
                    FindingId::SpfMultiple,
                    severity(identity, Severity::Critical),
                    &node.name,
                )
                .with("name", &node.name)
                .with("identity", id)
                .with("included_by", &included_by)
                .with("count", records.len())
                .with("records", records)
                .with("merged_record", merge(records)),
            ),
            NodeState::Invalid { text, error } => {
                let (excerpt, marker) = excerpt(text, error.position);
                push(
                    Finding::new(
                        FindingId::SpfSyntax,
                        severity(identity, Severity::Critical),
                        &node.name,
                    )
                    .with("name", &node.name)
                    .with("identity", id)
                    .with("included_by", &included_by)
                    .with("record", text)
                    .with("position", error.position)
                    .with("column", error.position + 1)
                    .with("error", error.kind.to_string())
                    .with("excerpt", excerpt)
                    .with("marker", marker),
                );
            }
            NodeState::Failed { .. } => {
                if !is_root
                    && let Some(f) = lookup_failed(
                        FindingId::SpfLookupFailed,
                        &node.name,
                        "TXT",
                        &failed_lookup(&node.state),
                    )
                {
                    push(f.with("identity", id).with("included_by", &included_by));
                }
            }
            NodeState::NotFetched => {}
            NodeState::Record { record, summary } => {
                if !summary.ptr_terms.is_empty() {
                    push(
                        Finding::new(
                            FindingId::SpfPtrMechanism,
                            severity(identity, Severity::Warning),
                            &node.name,
                        )
                        .with("name", &node.name)
                        .with("identity", id)
                        .with("included_by", &included_by)
                        .with("terms", &summary.ptr_terms)
                        .with("record", &record.text)
                        .with("suggested_record", is_root.then(|| without_ptr(record))),
                    );
                }
                let through_include = via.as_deref().is_some_and(|t| {
                    t.trim_start_matches(['+', '-', '~', '?'])
                        .to_ascii_lowercase()
                        .starts_with("include:")
                });
                if through_include && summary.all == Some(Qualifier::Pass) {
                    push(
                        Finding::new(
                            FindingId::SpfPassAll,
                            severity(identity, Severity::Critical),
                            &node.name,
                        )
                        .with("name", &node.name)
                        .with("identity", id)
                        .with("included_by", &included_by)
                        .with("record", &record.text)
                        .with("record_name", &node.name)
                        .with("suggested_record", None::<String>),
                    );
                }
            }
        }
        if node.txt_bytes > MAX_TXT_BYTES {
            push(
                Finding::new(
                    FindingId::SpfRecordTooLong,
                    severity(identity, Severity::Warning),
                    &node.name,
                )
                .with("name", &node.name)
                .with("identity", id)
                .with("included_by", &included_by)
                .with("bytes", node.txt_bytes)
                .with("limit", MAX_TXT_BYTES)
                .with("udp_estimate", udp_estimate(node.txt_bytes, &node.name)),
            );
        }
    }
}

fn failed_lookup(state: &NodeState) -> Lookup<String> {
    match state {
        NodeState::Failed { failure, detail } => Lookup::Failed {
            failure: *failure,
            detail: detail.clone(),
        },
        _ => Lookup::NotAsked,
    }
}

/// Bytes of a TXT answer: header, question, one RR per 255-byte string group (an estimate:
/// the text, length bytes, and per-RR overhead with a compressed owner name).
fn udp_estimate(txt_bytes: usize, name: &str) -> usize {
    let text = txt_bytes.saturating_sub(name.len());
    let question = name.len() + 2 + 4;
    12 + question + 12 + text + text.div_ceil(255)
}

/// Findings about the root's policy as a whole: its `all`, loops, and the limits.
fn root_policy_findings(
    tree: &PolicyTree,
    policy: &SpfPolicy,
    identity: Identity,
    out: &mut Vec<Finding>,
) {
    let id = identity_str(identity);
    let name = tree.root.as_str();
    let Some((record, _)) = tree.root_record() else {
        return;
    };
    match tree.effective_all() {
        EffectiveAll::Found {
            record: where_,
            qualifier: Qualifier::Pass,
        } => out.push(
            Finding::new(
                FindingId::SpfPassAll,
                severity(identity, Severity::Critical),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("included_by", None::<String>)
            .with("record", &record.text)
            .with("record_name", &where_)
            .with(
                "suggested_record",
                (where_ == name).then(|| with_all(record, Qualifier::Fail)),
            ),
        ),
        EffectiveAll::Found {
            record: where_,
            qualifier: Qualifier::Neutral,
        } => out.push(
            Finding::new(
                FindingId::SpfNeutralAll,
                severity(identity, Severity::Warning),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("record", &record.text)
            .with("record_name", &where_)
            .with(
                "suggested_record",
                (where_ == name).then(|| with_all(record, Qualifier::SoftFail)),
            )
            .with(
                "strict_record",
                (where_ == name).then(|| with_all(record, Qualifier::Fail)),
            ),
        ),
        EffectiveAll::Missing => out.push(
            Finding::new(
                FindingId::SpfNoAll,
                severity(identity, Severity::Warning),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("record", &record.text)
            .with("suggested_record", with_all(record, Qualifier::Fail))
            .with("soft_record", with_all(record, Qualifier::SoftFail)),
        ),
        EffectiveAll::Found { .. } | EffectiveAll::Unknown => {}
    }
    for cycle in &tree.loops {
        out.push(
            Finding::new(
                FindingId::SpfIncludeLoop,
                severity(identity, Severity::Critical),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("loop", cycle.join(" → "))
            .with("record", &record.text),
        );
    }
    if tree.lookups > 10 {
        let breakdown: Vec<String> = tree
            .nodes
            .iter()
            .filter_map(|n| match &n.state {
                NodeState::Record { summary, .. } if summary.dns_terms > 0 => {
                    Some(format!("{}: {}", n.name, summary.dns_terms))
                }
                _ => None,
            })
            .collect();
        let flattened = flatten(tree, |n| {
            policy
                .target(n)
                .filter(|t| answered(&t.a) && answered(&t.aaaa))
                .map(|t| t.addresses())
        });
        out.push(
            Finding::new(
                FindingId::SpfTooManyLookups,
                severity(identity, Severity::Critical),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("lookups", tree.lookups)
            .with("at_least", !tree.complete)
            .with("breakdown", breakdown)
            .with("record", &record.text)
            .with(
                "flattened_record",
                flattened.as_ref().map(|f| f.record.clone()),
            )
            .with("flattened_lookups", flattened.as_ref().map(|f| f.lookups))
            .with(
                "replaced",
                flattened.map(|f| f.replaced).unwrap_or_default(),
            ),
        );
    }
    if tree.void_targets.len() > 2 {
        let names: Vec<String> = tree
            .void_targets
            .iter()
            .map(|t| {
                if t.term.to_ascii_lowercase().contains(&t.name) {
                    t.term.clone()
                } else {
                    format!("{} ({})", t.term, t.name)
                }
            })
            .collect();
        out.push(
            Finding::new(
                FindingId::SpfTooManyVoidLookups,
                severity(identity, Severity::Critical),
                name,
            )
            .with("name", name)
            .with("identity", id)
            .with("count", tree.void_targets.len())
            .with("names", names)
            .with("record", &record.text),
        );
    }
}

/// A window of the record around the error and a caret line under it.
fn excerpt(text: &str, position: usize) -> (String, String) {
    let position = position.min(text.len());
    let mut start = position.saturating_sub(40);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (position + 40).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let shown: String = text[start..end]
        .chars()
        .map(|c| if c.is_control() { '␣' } else { c })
        .collect();
    let offset = prefix.chars().count() + text[start..position].chars().count();
    (
        format!("{prefix}{shown}{suffix}"),
        format!("{}^", " ".repeat(offset)),
    )
}

/// The finding for one check_host() run: ok, not permitted, or could not tell.
fn check_finding(check: &SpfCheck, policy: Option<&SpfPolicy>) -> Option<Finding> {
    let e = &check.evaluation;
    let identity = identity_str(check.identity);
    let subject = check.ip.to_string();
    let matched = e.matched.as_ref().map(|m| m.term.clone());
    let matched_domain = e.matched.as_ref().map(|m| m.domain.clone());
    match e.result {
        SpfResult::Pass => Some(
            Finding::new(FindingId::SpfOk, Severity::Ok, &subject)
                .with("ip", check.ip)
                .with("name", &check.domain)
                .with("identity", identity)
                .with("record", None::<String>)
                .with("lookups", e.lookups)
                .with("all", None::<String>)
                .with("matched", matched),
        ),
        SpfResult::None => None,
        SpfResult::TempError => {
            let failed = e.trace.iter().rev().find_map(|t| match t {
                TraceEvent::Dns {
                    name,
                    rtype,
                    detail: Some(detail),
                    ..
                } => Some((name.clone(), rtype.clone(), detail.clone())),
                _ => None,
            });
            let (name, rtype, failure) =
                failed.unwrap_or_else(|| (check.domain.clone(), "TXT".into(), "timeout".into()));
            Some(
                Finding::new(FindingId::SpfLookupFailed, Severity::Unknown, &check.domain)
                    .with("name", name)
                    .with("type", rtype)
                    .with("failure", failure.split(':').next().unwrap_or("error"))
                    .with("error", e.reason.clone().unwrap_or_default())
                    .with("identity", identity)
                    .with("included_by", None::<String>)
                    .with("ip", check.ip),
            )
        }
        SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral | SpfResult::PermError => {
            let base = match (check.identity, e.result) {
                (Identity::MailFrom, SpfResult::Neutral) => Severity::Warning,
                (Identity::MailFrom, _) => Severity::Critical,
                (Identity::Helo, SpfResult::Neutral) => Severity::Info,
                (Identity::Helo, _) => Severity::Warning,
            };
            let root = policy.and_then(|p| {
                let tree = analyze(&p.name, |n| p.txt_of(n), |_| None);
                tree.root_record().map(|(r, _)| r.clone())
            });
            let term = match check.ip {
                IpAddr::V4(v4) => format!("ip4:{v4}"),
                IpAddr::V6(v6) => format!("ip6:{v6}"),
            };
            let suggested = match (&root, e.result) {
                (Some(record), SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral) => {
                    Some(with_ips(record, &[check.ip]))
                }
                _ => None,
            };
            Some(
                Finding::new(FindingId::SpfIpNotPermitted, base, &subject)
                    .with("ip", check.ip)
                    .with("name", &check.domain)
                    .with("identity", identity)
                    .with("sender", &check.sender)
                    .with("result", e.result.as_str())
                    .with("reason", &e.reason)
                    .with("matched", matched)
                    .with("matched_domain", matched_domain)
                    .with("explanation", &e.explanation)
                    .with("lookups", e.lookups)
                    .with("record", root.map(|r| r.text))
                    .with("term", term)
                    .with("suggested_record", suggested),
            )
        }
    }
}

#[cfg(test)]
mod tests;
