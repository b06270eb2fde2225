//! Table tests: zone → facts (through the probe, on an in-memory resolver) → findings.

use std::collections::BTreeSet;

use super::*;
use crate::assets::Assets;
use crate::facts::Target;
use crate::plan::Playbooks;
use crate::probe::spf::gather_with;
use crate::records::spf::fake_dns::FakeDns;
use crate::render::Renderer;
use crate::report::Report;
use crate::testing::facts_for;

const ZONE: &str = "
good.test TXT v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all
mail.good.test TXT v=spf1 a -all
mail.good.test A 192.0.2.10
mail.good.test AAAA 2001:db8::10
bare.test TXT nothing to see
twice.test TXT v=spf1 -all
twice.test TXT v=spf1 mx ~all
typo.test TXT v=spf1 ip4:192.0.2.10 ip4:192.0.2.300 -all
open.test TXT v=spf1 ip4:192.0.2.10 +all
maybe.test TXT v=spf1 ip4:192.0.2.10 ?all
endless.test TXT v=spf1 ip4:192.0.2.10
ptr.test TXT v=spf1 ptr ip4:192.0.2.10 -all
loop.test TXT v=spf1 include:loop2.test ip4:192.0.2.10 -all
loop2.test TXT v=spf1 include:loop.test -all
voids.test TXT v=spf1 a:gone1.test a:gone2.test mx:gone3.test ip4:192.0.2.10 -all
heavy.test TXT v=spf1 a mx include:p1.test include:p2.test include:p3.test include:p4.test include:p5.test include:p6.test include:p7.test ip4:192.0.2.10 -all
heavy.test A 192.0.2.10
heavy.test MX 10 heavy.test
p1.test TXT v=spf1 ip4:198.51.100.1 -all
p2.test TXT v=spf1 ip4:198.51.100.2 -all
p3.test TXT v=spf1 ip4:198.51.100.3 -all
p4.test TXT v=spf1 ip4:198.51.100.4 -all
p5.test TXT v=spf1 ip4:198.51.100.5 -all
p6.test TXT v=spf1 ip4:198.51.100.6 -all
p7.test TXT v=spf1 a:x1.p7.test a:x2.p7.test ~all
x1.p7.test A 198.51.100.71
x2.p7.test A 198.51.100.72
slow.test TIMEOUT
inc-slow.test TXT v=spf1 include:slow.test ip4:192.0.2.10 -all
inc-missing.test TXT v=spf1 include:nothing.test ip4:192.0.2.10 -all
inc-open.test TXT v=spf1 include:open.test -all
big.test TXT v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip4:192.0.2.12 ip4:192.0.2.13 ip4:192.0.2.14 ip4:192.0.2.15 ip4:192.0.2.16 ip4:192.0.2.17 ip4:192.0.2.18 ip4:192.0.2.19 ip4:192.0.2.20 ip4:192.0.2.21 ip4:192.0.2.22 ip4:192.0.2.23 ip4:192.0.2.24 ip4:192.0.2.25 ip4:192.0.2.26 ip4:192.0.2.27 ip4:192.0.2.28 ip4:192.0.2.29 ip4:192.0.2.30 ip4:192.0.2.31 ip4:192.0.2.32 -all
big.test TXT verification-one=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
helo.other.test A 192.0.2.10
";

fn gather(domain: &str, ips: &[&str], host: Option<&str>) -> Facts {
    let dns = FakeDns::new(ZONE);
    let mut facts = facts_for(domain);
    facts.target = Target {
        domain: domain.into(),
        ips: ips.iter().map(|i| i.parse().unwrap()).collect(),
        host: host.map(str::to_string),
        selectors: vec![],
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    facts.dns.spf = runtime.block_on(gather_with(&dns, &facts.target, 0));
    facts
}

fn findings(domain: &str, ips: &[&str], host: Option<&str>) -> Vec<Finding> {
    let facts = gather(domain, ips, host);
    let mut out = Vec::new();
    diagnose(&facts, &mut out);
    out
}

/// (id, severity, subject) of one finding.
type Seen = (FindingId, Severity, String);

fn ids(domain: &str, ips: &[&str], host: Option<&str>) -> Vec<Seen> {
    findings(domain, ips, host)
        .into_iter()
        .map(|f| (f.id, f.severity, f.subject))
        .collect()
}

fn one(id: FindingId, severity: Severity, subject: &str) -> Seen {
    (id, severity, subject.to_string())
}

#[test]
fn a_correct_domain_is_ok_for_every_ip_and_the_helo_name() {
    use FindingId::SpfOk;
    assert_eq!(
        ids(
            "good.test",
            &["192.0.2.10", "2001:db8::10"],
            Some("mail.good.test")
        ),
        // Each address passes twice: as MAIL FROM for good.test and as HELO mail.good.test.
        [
            one(SpfOk, Severity::Ok, "good.test"),
            one(SpfOk, Severity::Ok, "mail.good.test"),
            one(SpfOk, Severity::Ok, "192.0.2.10"),
            one(SpfOk, Severity::Ok, "192.0.2.10"),
            one(SpfOk, Severity::Ok, "2001:db8::10"),
            one(SpfOk, Severity::Ok, "2001:db8::10"),
        ]
    );
}

#[test]
fn table() {
    use FindingId::*;
    use Severity::*;
    let cases: Vec<(&str, &[&str], Vec<Seen>)> = vec![
        (
            "bare.test",
            &[],
            vec![one(SpfMissing, Critical, "bare.test")],
        ),
        (
            "nowhere.test",
            &[],
            vec![one(SpfMissing, Critical, "nowhere.test")],
        ),
        (
            "twice.test",
            &[],
            vec![one(SpfMultiple, Critical, "twice.test")],
        ),
        (
            "typo.test",
            &[],
            vec![one(SpfSyntax, Critical, "typo.test")],
        ),
        (
            "open.test",
            &[],
            vec![one(SpfPassAll, Critical, "open.test")],
        ),
        (
            "maybe.test",
            &[],
            vec![one(SpfNeutralAll, Warning, "maybe.test")],
        ),
        (
            "endless.test",
            &[],
            vec![one(SpfNoAll, Warning, "endless.test")],
        ),
        (
            "ptr.test",
            &[],
            vec![one(SpfPtrMechanism, Warning, "ptr.test")],
        ),
        (
            "loop.test",
            &[],
            vec![one(SpfIncludeLoop, Critical, "loop.test")],
        ),
        (
            "voids.test",
            &[],
            vec![one(SpfTooManyVoidLookups, Critical, "voids.test")],
        ),
        (
            "heavy.test",
            &[],
            vec![one(SpfTooManyLookups, Critical, "heavy.test")],
        ),
        (
            "inc-slow.test",
            &[],
            vec![one(SpfLookupFailed, Unknown, "slow.test")],
        ),
        (
            "slow.test",
            &[],
            vec![one(SpfLookupFailed, Unknown, "slow.test")],
        ),
        (
            "inc-missing.test",
            &[],
            vec![one(SpfMissing, Critical, "nothing.test")],
        ),
        (
            "inc-open.test",
            &[],
            vec![one(SpfPassAll, Critical, "open.test")],
        ),
        (
            "big.test",
            &[],
            vec![one(SpfRecordTooLong, Warning, "big.test")],
        ),
        (
            "good.test",
            &["192.0.2.99"],
            vec![
                one(SpfOk, Ok, "good.test"),
                one(SpfIpNotPermitted, Critical, "192.0.2.99"),
            ],
        ),
        (
            "maybe.test",
            &["192.0.2.99"],
            vec![
                one(SpfNeutralAll, Warning, "maybe.test"),
                one(SpfIpNotPermitted, Warning, "192.0.2.99"),
            ],
        ),
        (
            "typo.test",
            &["192.0.2.10"],
            vec![
                one(SpfSyntax, Critical, "typo.test"),
                one(SpfIpNotPermitted, Critical, "192.0.2.10"),
            ],
        ),
        (
            "slow.test",
            &["192.0.2.10"],
            vec![one(SpfLookupFailed, Unknown, "slow.test")],
        ),
        (
            "bare.test",
            &["192.0.2.10"],
            vec![one(SpfMissing, Critical, "bare.test")],
        ),
    ];
    for (domain, ips, want) in cases {
        assert_eq!(ids(domain, ips, None), want, "{domain} {ips:?}");
    }
}

#[test]
fn the_helo_name_is_checked_too_and_milder() {
    use FindingId::*;
    let got = ids("good.test", &["192.0.2.10"], Some("helo.other.test"));
    assert!(
        got.contains(&one(SpfMissing, Severity::Info, "helo.other.test")),
        "{got:?}"
    );
    let got = ids("good.test", &["192.0.2.99"], Some("mail.good.test"));
    assert!(got.contains(&one(SpfIpNotPermitted, Severity::Critical, "192.0.2.99")));
    assert!(
        got.contains(&one(SpfIpNotPermitted, Severity::Warning, "192.0.2.99")),
        "{got:?}"
    );
}

#[test]
fn evidence_carries_positions_counts_and_ready_records() {
    let f = findings("typo.test", &[], None);
    let e = &f[0].evidence;
    assert_eq!(e["position"], 26);
    assert_eq!(e["excerpt"], "v=spf1 ip4:192.0.2.10 ip4:192.0.2.300 -all");
    assert_eq!(e["marker"], format!("{}^", " ".repeat(26)));
    assert!(e["error"].as_str().unwrap().contains("192.0.2.300"));

    let f = findings("heavy.test", &[], None);
    let e = &f[0].evidence;
    assert_eq!(e["lookups"], 11);
    assert_eq!(e["at_least"], false);
    assert_eq!(
        e["flattened_record"],
        "v=spf1 ip4:192.0.2.10 mx ip4:198.51.100.1 ip4:198.51.100.2 ip4:198.51.100.3 \
         ip4:198.51.100.4 ip4:198.51.100.5 ip4:198.51.100.6 include:p7.test -all"
    );
    assert_eq!(e["flattened_lookups"], 4);

    let f = findings("good.test", &["192.0.2.99"], None);
    let e = &f[1].evidence;
    assert_eq!(
        e["suggested_record"],
        "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ip4:192.0.2.99 -all"
    );
    assert_eq!(e["matched"], "-all");

    let f = findings("bare.test", &["192.0.2.10", "2001:db8::25"], None);
    assert_eq!(
        f[0].evidence["suggested_record"],
        "v=spf1 ip4:192.0.2.10 ip6:2001:db8::25 -all"
    );
    let f = findings("endless.test", &[], None);
    assert_eq!(
        f[0].evidence["suggested_record"],
        "v=spf1 ip4:192.0.2.10 -all"
    );
}

/// Every SPF id can be produced, has a playbook entry, and its texts render with the
/// evidence the rules give (the renderer is strict: a missing key is an error).
#[test]
fn every_finding_renders_and_every_spf_id_is_covered() {
    let assets = Assets::default();
    let playbooks = Playbooks::load(&assets).unwrap();
    let renderer = Renderer::new(&assets, false).unwrap();
    let mut produced = BTreeSet::new();
    let runs: &[(&str, &[&str], Option<&str>)] = &[
        (
            "good.test",
            &["192.0.2.10", "192.0.2.99"],
            Some("mail.good.test"),
        ),
        ("good.test", &["192.0.2.10"], Some("helo.other.test")),
        ("bare.test", &["192.0.2.10"], None),
        ("nowhere.test", &[], None),
        ("twice.test", &["192.0.2.10"], None),
        ("typo.test", &["192.0.2.10"], None),
        ("open.test", &["192.0.2.10"], None),
        ("maybe.test", &["192.0.2.99"], None),
        ("endless.test", &[], None),
        ("ptr.test", &[], None),
        ("loop.test", &["192.0.2.10"], None),
        ("voids.test", &[], None),
        ("heavy.test", &["192.0.2.10"], None),
        ("inc-slow.test", &["192.0.2.10"], None),
        ("slow.test", &["192.0.2.10"], None),
        ("inc-missing.test", &[], None),
        ("inc-open.test", &[], None),
        ("big.test", &[], None),
    ];
    for (domain, ips, host) in runs {
        let facts = gather(domain, ips, *host);
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        produced.extend(out.iter().map(|f| f.id));
        Report::build(facts.target.clone(), &out, &playbooks, &renderer)
            .unwrap_or_else(|e| panic!("{domain}: {e}"));
    }
    for id in FindingId::ALL.iter().filter(|id| id.area() == "spf") {
        assert!(produced.contains(id), "no rule case produces {id}");
        assert!(
            playbooks.findings.contains_key(id.as_str()),
            "{id} has no playbook entry"
        );
    }
}
