use std::collections::HashMap;

use super::*;
use crate::facts::Lookup;
use crate::records::spf::suggest::{flatten, merge, with_all, with_ips, without_ptr};
use crate::records::spf::tree::{EffectiveAll, MAX_TREE_DEPTH, NodeState, PolicyTree, analyze};
use crate::records::spf::{Qualifier, parse};

fn summary(record: &str) -> RecordSummary {
    summarize(&parse(record).unwrap(), "example.org")
}

#[test]
fn summaries() {
    let s = summary(
        "v=spf1 a mx:mx.example.org include:_spf.a.test ptr exists:%{i}.x.test ip4:192.0.2.1 -all include:late.test",
    );
    assert_eq!(s.all, Some(Qualifier::Fail));
    assert_eq!(s.dns_terms, 5);
    assert_eq!(s.ptr_terms, ["ptr"]);
    assert_eq!(s.macro_targets, 1);
    assert_eq!(s.unreachable, ["include:late.test"]);
    assert_eq!(
        s.targets
            .iter()
            .map(|t| (t.kind, t.name.as_str()))
            .collect::<Vec<_>>(),
        [
            (TargetKind::A, "example.org"),
            (TargetKind::Mx, "mx.example.org")
        ]
    );
    assert_eq!(s.includes[0].target.as_deref(), Some("_spf.a.test"));

    let s = summary("v=spf1 ip4:192.0.2.1 redirect=_spf.Example.org.");
    assert_eq!(s.all, None);
    assert_eq!(s.dns_terms, 1);
    assert_eq!(
        s.redirect.unwrap().target.as_deref(),
        Some("_spf.example.org")
    );

    // A redirect next to an all is never followed and costs nothing.
    let s = summary("v=spf1 redirect=x.test ~all");
    assert_eq!((s.dns_terms, s.unreachable.len()), (0, 1));
}

fn tree(zone: &[(&str, Lookup<String>)], voids: &[&str]) -> PolicyTree {
    let map: HashMap<String, Lookup<String>> = zone
        .iter()
        .map(|(n, l)| (n.to_string(), l.clone()))
        .collect();
    analyze(
        zone[0].0,
        |name| map.get(name),
        |t| Some(voids.contains(&t.name.as_str())),
    )
}

fn txt(records: &[&str]) -> Lookup<String> {
    Lookup::Answer {
        records: records.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn tree_counts_lookups_across_includes() {
    let t = tree(
        &[
            (
                "example.org",
                txt(&["v=spf1 a mx include:one.test include:two.test -all"]),
            ),
            (
                "one.test",
                txt(&["v=spf1 include:three.test ip4:192.0.2.0/24 ~all"]),
            ),
            ("two.test", txt(&["v=spf1 a:x.test a:y.test ?all"])),
            ("three.test", txt(&["v=spf1 ip4:198.51.100.0/24 -all"])),
        ],
        &["y.test"],
    );
    assert_eq!(t.lookups, 4 + 1 + 2);
    assert!(t.complete);
    assert_eq!(t.nodes.len(), 4);
    assert_eq!(t.nodes[0].lookups, 7);
    assert_eq!(t.nodes[2].via.as_ref().unwrap().term, "include:three.test");
    assert_eq!(
        t.void_targets
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        ["y.test"]
    );
    assert_eq!(
        t.effective_all(),
        EffectiveAll::Found {
            record: "example.org".into(),
            qualifier: Qualifier::Fail
        }
    );
}

#[test]
fn tree_finds_loops_missing_and_broken_records() {
    let t = tree(
        &[
            (
                "a.test",
                txt(&["v=spf1 include:b.test include:gone.test include:bad.test -all"]),
            ),
            ("b.test", txt(&["v=spf1 include:a.test -all"])),
            ("gone.test", Lookup::NxDomain),
            ("bad.test", txt(&["v=spf1 ip4:1.2.3"])),
        ],
        &[],
    );
    assert_eq!(
        t.loops,
        [vec!["a.test".to_string(), "b.test".into(), "a.test".into()]]
    );
    assert!(matches!(t.nodes[2].state, NodeState::NoRecord { .. }));
    assert!(matches!(t.nodes[3].state, NodeState::Invalid { .. }));
}

#[test]
fn deep_chains_are_cut_and_marked_incomplete() {
    let names: Vec<String> = (0..40).map(|i| format!("c{i}.test")).collect();
    let records: Vec<String> = (0..40)
        .map(|i| format!("v=spf1 include:c{}.test -all", i + 1))
        .collect();
    let zone: Vec<(&str, Lookup<String>)> = names
        .iter()
        .zip(&records)
        .map(|(n, r)| (n.as_str(), txt(&[r.as_str()])))
        .collect();
    let t = tree(&zone, &[]);
    assert!(!t.complete);
    assert!(t.lookups > 10);
    assert!(t.nodes.len() <= MAX_TREE_DEPTH + 2);
}

#[test]
fn effective_all_follows_redirects() {
    let t = tree(
        &[
            ("example.org", txt(&["v=spf1 mx redirect=_spf.example.org"])),
            ("_spf.example.org", txt(&["v=spf1 ip4:192.0.2.0/24 ?all"])),
        ],
        &[],
    );
    assert_eq!(
        t.effective_all(),
        EffectiveAll::Found {
            record: "_spf.example.org".into(),
            qualifier: Qualifier::Neutral
        }
    );
    let t = tree(&[("example.org", txt(&["v=spf1 mx"]))], &[]);
    assert_eq!(t.effective_all(), EffectiveAll::Missing);
    let t = tree(
        &[("self.example", txt(&["v=spf1 redirect=self.example"]))],
        &[],
    );
    assert_eq!(t.effective_all(), EffectiveAll::Unknown);
}

#[test]
fn suggestions() {
    let r = parse("v=spf1 mx +all exp=why.example.org").unwrap();
    assert_eq!(
        with_all(&r, Qualifier::Fail),
        "v=spf1 mx -all exp=why.example.org"
    );
    let r = parse("v=spf1 mx exp=why.example.org").unwrap();
    assert_eq!(
        with_all(&r, Qualifier::SoftFail),
        "v=spf1 mx ~all exp=why.example.org"
    );
    let r = parse("v=spf1 ip4:192.0.2.10 ptr -all").unwrap();
    assert_eq!(
        with_ips(
            &r,
            &[
                "192.0.2.10".parse().unwrap(),
                "2001:db8::25".parse().unwrap()
            ]
        ),
        "v=spf1 ip4:192.0.2.10 ptr ip6:2001:db8::25 -all"
    );
    assert_eq!(without_ptr(&r), "v=spf1 ip4:192.0.2.10 -all");
    assert_eq!(
        merge(&[
            "v=spf1 mx -all".into(),
            "v=spf1 ip4:192.0.2.1 mx +all".into()
        ]),
        "v=spf1 mx ip4:192.0.2.1 -all"
    );
}

#[test]
fn flattening_replaces_plain_includes_and_own_a() {
    let t = tree(
        &[
            (
                "example.org",
                txt(&["v=spf1 a include:plain.test include:nested.test include:dynamic.test -all"]),
            ),
            (
                "plain.test",
                txt(&["v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/48 ~all"]),
            ),
            (
                "nested.test",
                txt(&["v=spf1 include:plain.test ip4:198.51.100.1 -all"]),
            ),
            ("dynamic.test", txt(&["v=spf1 mx a:x.dynamic.test -all"])),
        ],
        &[],
    );
    let f = flatten(&t, |n| {
        (n == "example.org").then(|| vec!["203.0.113.5".parse().unwrap()])
    })
    .unwrap();
    assert_eq!(
        f.record,
        "v=spf1 ip4:203.0.113.5 ip4:192.0.2.0/24 ip6:2001:db8::/48 ip4:198.51.100.1 include:dynamic.test -all"
    );
    assert_eq!(f.lookups, 3);
    assert_eq!(
        f.replaced,
        ["a", "include:plain.test", "include:nested.test"]
    );
}
