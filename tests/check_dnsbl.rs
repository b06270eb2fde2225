//! Blocklists through the built binary against NSD serving fake list zones
//! (tests/fixtures/dnsbl): every return code of every list family, refusals, timeouts, IPv6,
//! DQS, the sweep inside `check`, the checklists of `--out`, and the progress bar.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Nsd, SilentResolver, findings, fixtures, mxdoctor, mxdoctor_with_dnsbl, run};

/// The test DQS key of the fixture zone dq.spamhaus.net.
const KEY: &str = "0123456789abcdefghijklmnop";

fn lists() -> Nsd {
    Nsd::start(&[&fixtures().join("dnsbl")])
}

fn lists_and_zones() -> Nsd {
    Nsd::start(&[&fixtures().join("dnsbl"), &fixtures().join("zones")])
}

/// `mxdoctor blocklist ARGS --resolver ADDR --format json`: exit code and report.
fn blocklist_json(resolver: &str, args: &[&str]) -> (i32, Value) {
    let (code, stdout, stderr) = run(mxdoctor().arg("blocklist").args(args).args([
        "--resolver",
        resolver,
        "--format",
        "json",
    ]));
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}); exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    });
    (code, report)
}

/// (id, severity, code, sublist or cause) of the findings about `subject` on list `list`.
fn about(report: &Value, subject: &str, list: &str) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == subject && f["evidence"]["list_id"] == list)
        .map(|f| {
            let e = &f["evidence"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let label = if e["sublist"].is_string() {
                text(&e["sublist"])
            } else {
                text(&e["cause"])
            };
            (
                text(&f["id"]),
                text(&f["severity"]),
                text(&e["code"]),
                label,
            )
        })
        .collect()
}

fn one(id: &str, severity: &str, code: &str, label: &str) -> Vec<(String, String, String, String)> {
    vec![(id.into(), severity.into(), code.into(), label.into())]
}

/// (finding id, severity, code, sub-list or cause) expected for one subject on one list.
type Expected = (&'static str, &'static str, &'static str, &'static str);

#[test]
fn every_return_code_of_every_list_family() {
    let nsd = lists();
    let cases: &[(&str, &str, &[Expected])] = &[
        // Spamhaus ZEN: each sub-list, and what is not a listing.
        (
            "198.51.100.2",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.2", "SBL")],
        ),
        (
            "198.51.100.3",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.3", "CSS")],
        ),
        (
            "198.51.100.4",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.4", "XBL")],
        ),
        (
            "198.51.100.5",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.5", "XBL")],
        ),
        (
            "198.51.100.6",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.6", "XBL")],
        ),
        (
            "198.51.100.7",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.7", "XBL")],
        ),
        (
            "198.51.100.9",
            "spamhaus-zen",
            &[
                ("dnsbl.listed", "critical", "127.0.0.2", "SBL"),
                ("dnsbl.listed", "critical", "127.0.0.9", "DROP"),
            ],
        ),
        (
            "198.51.100.10",
            "spamhaus-zen",
            &[("dnsbl.policy-listed", "critical", "127.0.0.10", "PBL")],
        ),
        (
            "198.51.100.11",
            "spamhaus-zen",
            &[("dnsbl.policy-listed", "critical", "127.0.0.11", "PBL")],
        ),
        (
            "198.51.100.30",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.30", "BCL")],
        ),
        (
            "198.51.100.99",
            "spamhaus-zen",
            &[("dnsbl.listed", "unknown", "127.0.0.99", "")],
        ),
        (
            "198.51.100.98",
            "spamhaus-zen",
            &[("dnsbl.lookup-failed", "unknown", "", "")],
        ),
        (
            "198.51.100.250",
            "spamhaus-zen",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.250",
                "dqs-key",
            )],
        ),
        (
            "198.51.100.251",
            "spamhaus-zen",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.251",
                "dqs-key",
            )],
        ),
        (
            "198.51.100.252",
            "spamhaus-zen",
            &[("dnsbl.query-refused", "unknown", "127.255.255.252", "typo")],
        ),
        (
            "198.51.100.254",
            "spamhaus-zen",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.254",
                "public-resolver",
            )],
        ),
        (
            "198.51.100.255",
            "spamhaus-zen",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.255",
                "rate-limit",
            )],
        ),
        (
            "198.51.100.97",
            "spamhaus-zen",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.7",
                "undocumented error code",
            )],
        ),
        (
            "198.51.100.1",
            "spamhaus-zen",
            &[("dnsbl.clean", "ok", "", "")],
        ),
        // IPv6, nibble form.
        (
            "2001:db8::2",
            "spamhaus-zen",
            &[("dnsbl.listed", "critical", "127.0.0.2", "SBL")],
        ),
        (
            "2001:db8::a",
            "spamhaus-zen",
            &[("dnsbl.policy-listed", "critical", "127.0.0.10", "PBL")],
        ),
        (
            "2001:db8::1",
            "spamhaus-zen",
            &[("dnsbl.clean", "ok", "", "")],
        ),
        // The other IP lists.
        (
            "203.0.113.3",
            "barracuda",
            &[("dnsbl.listed", "critical", "127.0.0.2", "")],
        ),
        (
            "203.0.113.4",
            "spamcop",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.5",
            "uceprotect-1",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.6",
            "uceprotect-2",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.7",
            "uceprotect-3",
            &[("dnsbl.listed", "info", "127.0.0.2", "")],
        ),
        (
            "203.0.113.8",
            "psbl",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.9",
            "mailspike",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.10",
            "mailspike",
            &[("dnsbl.listed", "warning", "127.0.0.10", "")],
        ),
        (
            "203.0.113.11",
            "mailspike",
            &[("dnsbl.listed", "warning", "127.0.0.11", "")],
        ),
        (
            "203.0.113.12",
            "mailspike",
            &[("dnsbl.listed", "info", "127.0.0.12", "")],
        ),
        (
            "203.0.113.13",
            "nixspam",
            &[("dnsbl.listed", "warning", "127.0.0.2", "")],
        ),
        (
            "203.0.113.3",
            "spamhaus-zen",
            &[("dnsbl.clean", "ok", "", "")],
        ),
        // Spamhaus DBL.
        (
            "spam.test",
            "spamhaus-dbl",
            &[("dbl.listed", "critical", "127.0.1.2", "DBL spam")],
        ),
        (
            "phish.test",
            "spamhaus-dbl",
            &[("dbl.listed", "critical", "127.0.1.4", "DBL phish")],
        ),
        (
            "malware.test",
            "spamhaus-dbl",
            &[("dbl.listed", "critical", "127.0.1.5", "DBL malware")],
        ),
        (
            "botnet.test",
            "spamhaus-dbl",
            &[("dbl.listed", "critical", "127.0.1.6", "DBL botnet C&C")],
        ),
        (
            "abused.test",
            "spamhaus-dbl",
            &[(
                "dbl.listed",
                "critical",
                "127.0.1.102",
                "DBL abused-legit spam",
            )],
        ),
        (
            "redirector.test",
            "spamhaus-dbl",
            &[(
                "dbl.listed",
                "critical",
                "127.0.1.103",
                "DBL abused redirector",
            )],
        ),
        (
            "abusedphish.test",
            "spamhaus-dbl",
            &[(
                "dbl.listed",
                "critical",
                "127.0.1.104",
                "DBL abused-legit phish",
            )],
        ),
        (
            "abusedmalware.test",
            "spamhaus-dbl",
            &[(
                "dbl.listed",
                "critical",
                "127.0.1.105",
                "DBL abused-legit malware",
            )],
        ),
        (
            "abusedcc.test",
            "spamhaus-dbl",
            &[(
                "dbl.listed",
                "critical",
                "127.0.1.106",
                "DBL abused-legit C&C",
            )],
        ),
        (
            "ipquery.test",
            "spamhaus-dbl",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.0.1.255",
                "ip-on-domain-list",
            )],
        ),
        (
            "refused.test",
            "spamhaus-dbl",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.255.255.254",
                "public-resolver",
            )],
        ),
        ("clean.test", "spamhaus-dbl", &[("dbl.clean", "ok", "", "")]),
        // URIBL and SURBL bit masks.
        (
            "black.test",
            "uribl",
            &[("dbl.listed", "critical", "127.0.0.2", "black")],
        ),
        (
            "grey.test",
            "uribl",
            &[("dbl.listed", "warning", "127.0.0.4", "grey")],
        ),
        (
            "red.test",
            "uribl",
            &[("dbl.listed", "warning", "127.0.0.8", "red")],
        ),
        (
            "all.test",
            "uribl",
            &[
                ("dbl.listed", "critical", "127.0.0.2", "black"),
                ("dbl.listed", "warning", "127.0.0.4", "grey"),
                ("dbl.listed", "warning", "127.0.0.8", "red"),
            ],
        ),
        (
            "uriblrefused.test",
            "uribl",
            &[(
                "dnsbl.query-refused",
                "unknown",
                "127.0.0.1",
                "public-resolver",
            )],
        ),
        (
            "ph.test",
            "surbl",
            &[("dbl.listed", "critical", "127.0.0.8", "PH")],
        ),
        (
            "mw.test",
            "surbl",
            &[("dbl.listed", "critical", "127.0.0.16", "MW")],
        ),
        (
            "abuse.test",
            "surbl",
            &[("dbl.listed", "critical", "127.0.0.64", "ABUSE")],
        ),
        (
            "cr.test",
            "surbl",
            &[("dbl.listed", "critical", "127.0.0.128", "CR")],
        ),
        (
            "phabuse.test",
            "surbl",
            &[
                ("dbl.listed", "critical", "127.0.0.8", "PH"),
                ("dbl.listed", "critical", "127.0.0.64", "ABUSE"),
            ],
        ),
        (
            "surblrefused.test",
            "surbl",
            &[("dnsbl.query-refused", "unknown", "127.0.0.1", "blocked")],
        ),
    ];
    let mut subjects: Vec<&str> = cases.iter().map(|c| c.0).collect();
    subjects.dedup();
    let started = Instant::now();
    let (code, report) = blocklist_json(&nsd.addr(), &subjects);
    assert_eq!(code, 3, "critical listings exit 3");
    assert!(started.elapsed() < Duration::from_secs(10));
    for (subject, list, want) in cases {
        let want: Vec<_> = want
            .iter()
            .map(|(i, s, c, l)| (i.to_string(), s.to_string(), c.to_string(), l.to_string()))
            .collect();
        assert_eq!(about(&report, subject, list), want, "{subject} on {list}");
    }
    // IPv4-only lists are not asked about IPv6 addresses: no finding at all.
    let v6_lists: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == "2001:db8::1")
        .map(|f| f["evidence"]["list_id"].as_str().unwrap())
        .collect();
    assert_eq!(v6_lists, ["spamhaus-zen"]);
    // The TXT record of a listing is the list's own words.
    let xbl = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "198.51.100.4" && f["id"] == "dnsbl.listed")
        .unwrap();
    assert_eq!(
        xbl["evidence"]["reason"],
        "https://check.spamhaus.org/query/ip/198.51.100.4"
    );
    assert_eq!(xbl["fix"], "delisting");
    assert!(xbl["remedy"].as_str().unwrap().contains("infected host"));
    // Without a DQS key, the DQS-only ZRD list is not asked.
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["evidence"]["list_id"] == "spamhaus-zrd")
    );
}

#[test]
fn clean_subjects_exit_0_and_the_report_follows_the_schema() {
    let nsd = lists();
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.1", "clean.test"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema"], "mxdoctor/report/v1");
    assert_eq!(report["target"]["ips"][0], "198.51.100.1");
    assert_eq!(report["target"]["domain"], "clean.test");
    let got = findings(&report);
    assert!(got.len() >= 12, "{got:?}");
    assert!(got.iter().all(|(_, s)| s == "ok"), "{got:?}");
    assert_eq!(
        report["summary"]["ok"].as_u64().unwrap() as usize,
        got.len()
    );
    let first = &report["findings"][0];
    for key in [
        "id",
        "severity",
        "subject",
        "title",
        "detail",
        "evidence",
        "fix",
        "references",
    ] {
        assert!(first.get(key).is_some(), "finding lacks {key}: {first}");
    }
}

#[test]
fn a_refusal_alone_is_unknown_exit_4_never_clean_never_listed() {
    let nsd = lists();
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.254"]);
    assert_eq!(code, 4, "{report:#}");
    let zen = about(&report, "198.51.100.254", "spamhaus-zen");
    assert_eq!(zen.len(), 1);
    assert_eq!(zen[0].0, "dnsbl.query-refused");
    let refused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "dnsbl.query-refused")
        .unwrap();
    let remedy = refused["remedy"].as_str().unwrap();
    assert!(remedy.contains("--dqs-key"), "{remedy}");
    assert!(remedy.contains("recursive resolver"), "{remedy}");
    assert!(refused["title"].as_str().unwrap().contains("not a listing"));
}

#[test]
fn empty_answers_even_for_the_test_entry_are_not_clean() {
    // Some resolvers get NXDOMAIN from Spamhaus for everything instead of 127.255.255.254.
    let nsd = Nsd::start(&[&fixtures().join("dnsbl/silent")]);
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.4"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(
        about(&report, "198.51.100.4", "spamhaus-zen"),
        one("dnsbl.query-refused", "unknown", "", "test-point-missing")
    );
    let refused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "dnsbl.query-refused")
        .unwrap();
    assert_eq!(
        refused["evidence"]["test_point"],
        "2.0.0.127.zen.spamhaus.org"
    );
    assert!(refused["remedy"].as_str().unwrap().contains("--dqs-key"));
}

#[test]
fn a_resolver_that_never_answers_gives_unknown_never_clean() {
    let silent = SilentResolver::start();
    let started = Instant::now();
    let (code, report) = blocklist_json(
        &silent.addr,
        &[
            "198.51.100.1",
            "2001:db8::1",
            "clean.test",
            "--timeout",
            "0.2",
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(code, 4, "{report:#}");
    let got = findings(&report);
    assert!(got.len() >= 12, "{got:?}");
    for (id, severity) in &got {
        assert!(id.ends_with(".lookup-failed"), "{id}");
        assert_eq!(severity, "unknown", "{id}");
    }
    // Every question waits at the same time: one question's bound, not the sum.
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
}

#[test]
fn lists_the_resolver_refuses_are_unknown() {
    let zen = fixtures().join("dnsbl/zen.spamhaus.org.zone");
    let nsd = Nsd::start_zones(&[("zen.spamhaus.org".to_string(), zen)]);
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.1"]);
    assert_eq!(code, 4);
    assert_eq!(
        about(&report, "198.51.100.1", "spamhaus-zen")[0].0,
        "dnsbl.clean"
    );
    let failed = about(&report, "198.51.100.1", "barracuda");
    assert_eq!(failed[0].0, "dnsbl.lookup-failed");
    let barracuda = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"]["list_id"] == "barracuda")
        .unwrap();
    assert_eq!(barracuda["evidence"]["failure"], "REFUSED");
}

#[test]
fn a_dqs_key_asks_the_dqs_zones_and_is_never_shown() {
    let nsd = lists();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = run(mxdoctor().args([
        "blocklist",
        "198.51.100.200",
        "spam.test",
        "new.test",
        "--dqs-key",
        KEY,
        "--resolver",
        &nsd.addr(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 3, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let zen = about(&report, "198.51.100.200", "spamhaus-zen");
    assert_eq!(zen, one("dnsbl.listed", "critical", "127.0.0.4", "XBL"));
    let dbl = about(&report, "spam.test", "spamhaus-dbl");
    assert_eq!(dbl, one("dbl.listed", "critical", "127.0.1.2", "DBL spam"));
    let zrd = about(&report, "new.test", "spamhaus-zrd");
    assert_eq!(zrd, one("dbl.listed", "warning", "127.0.2.5", ""));
    let listed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "198.51.100.200" && f["id"] == "dnsbl.listed")
        .unwrap();
    assert_eq!(listed["evidence"]["zone"], "zen.dq.spamhaus.net");
    assert_eq!(listed["evidence"]["dqs"], true);
    assert_eq!(
        listed["evidence"]["query"],
        "200.100.51.198.<dqs-key>.zen.dq.spamhaus.net"
    );
    let mut written = String::new();
    for entry in walk(&out) {
        written.push_str(&std::fs::read_to_string(entry).unwrap());
    }
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("--out", &written),
    ] {
        assert!(!text.contains(KEY), "the key leaked into {what}");
    }

    // The same key from the environment; and without a key the public zone is asked.
    let (code, stdout, _) = run(mxdoctor().env("MXDOCTOR_DQS_KEY", KEY).args([
        "blocklist",
        "198.51.100.200",
        "--format",
        "json",
        "--resolver",
        &nsd.addr(),
    ]));
    assert_eq!(code, 3);
    assert!(stdout.contains("zen.dq.spamhaus.net"));
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.200"]);
    assert_eq!(code, 0);
    assert_eq!(
        about(&report, "198.51.100.200", "spamhaus-zen"),
        one("dnsbl.clean", "ok", "", "")
    );

    // A disabled key is a query error, not a listing.
    let (code, report) = blocklist_json(&nsd.addr(), &["198.51.100.1", "--dqs-key", "badkey"]);
    assert_eq!(code, 4);
    assert_eq!(
        about(&report, "198.51.100.1", "spamhaus-zen"),
        one(
            "dnsbl.query-refused",
            "unknown",
            "127.255.255.250",
            "dqs-key"
        )
    );

    // A malformed key is refused before any question, and not echoed.
    let secret = "abc.def";
    let (code, _, stderr) = run(mxdoctor().args([
        "blocklist",
        "198.51.100.1",
        "--dqs-key",
        secret,
        "--resolver",
        &nsd.addr(),
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("DQS key"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}

#[test]
fn check_sweeps_every_address_and_the_domain_unless_told_not_to() {
    let nsd = lists_and_zones();
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    let check = |extra: &[&str]| {
        let (code, stdout, stderr) = run(mxdoctor_with_dnsbl()
            .args([
                "check",
                "good.test",
                "--ip",
                "192.0.2.10",
                "--ip",
                "2001:db8::a",
            ])
            .args(["--host", "mail.good.test", "--dqs-key", KEY])
            .args(extra)
            .args(["--resolver", &nsd.addr(), "--format", "json"]));
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (code, report)
    };
    let (code, report) = check(&["--facts-out", facts.to_str().unwrap()]);
    assert_eq!(code, 3);
    // The DQS key applies to the check's sweep too; 192.0.2.10 is only on the public zone.
    assert_eq!(
        about(&report, "192.0.2.10", "spamhaus-zen"),
        one("dnsbl.clean", "ok", "", "")
    );
    assert_eq!(
        about(&report, "good.test", "spamhaus-dbl"),
        one("dbl.clean", "ok", "", "")
    );
    assert_eq!(
        about(&report, "good.test", "spamhaus-zrd"),
        one("dbl.clean", "ok", "", "")
    );
    for list in ["barracuda", "spamcop", "psbl", "uceprotect-1"] {
        assert_eq!(
            about(&report, "192.0.2.10", list)[0].0,
            "dnsbl.clean",
            "{list}"
        );
    }
    let saved = std::fs::read_to_string(&facts).unwrap();
    assert!(
        !saved.contains(KEY),
        "the DQS key leaked into the facts file"
    );
    assert!(saved.contains("<dqs-key>"));

    // Replayed offline: the same blocklist findings.
    let (code2, stdout, stderr) = run(mxdoctor_with_dnsbl().args([
        "check",
        "--facts-in",
        facts.to_str().unwrap(),
        "--format",
        "json",
        "--resolver",
        "127.0.0.1:9",
    ]));
    let replay: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    assert_eq!(code2, code);
    assert_eq!(replay["findings"], report["findings"]);

    // Public zones: the fixture's mail server is on the XBL, the IPv6 address on the PBL.
    let (code, stdout, _) = run(mxdoctor_with_dnsbl().args([
        "check",
        "good.test",
        "--ip",
        "192.0.2.10",
        "--ip",
        "2001:db8::a",
        "--resolver",
        &nsd.addr(),
        "--format",
        "json",
    ]));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 3);
    assert_eq!(
        about(&report, "192.0.2.10", "spamhaus-zen"),
        one("dnsbl.listed", "critical", "127.0.0.4", "XBL")
    );
    assert_eq!(
        about(&report, "2001:db8::a", "spamhaus-zen"),
        one("dnsbl.policy-listed", "critical", "127.0.0.10", "PBL")
    );

    let swept = |report: &Value| {
        findings(report)
            .iter()
            .any(|(id, _)| id.starts_with("dnsbl.") || id.starts_with("dbl."))
    };
    let (_, report) = check(&["--no-dnsbl"]);
    assert!(!swept(&report), "--no-dnsbl still swept");
    // MXDOCTOR_NO_DNSBL: set to 1 by the harness, 0 turns the sweep back on.
    for (value, expected) in [("1", false), ("yes", false), ("0", true), ("false", true)] {
        let (_, stdout, stderr) = run(mxdoctor().env("MXDOCTOR_NO_DNSBL", value).args([
            "check",
            "good.test",
            "--resolver",
            &nsd.addr(),
            "--format",
            "json",
        ]));
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        assert_eq!(swept(&report), expected, "MXDOCTOR_NO_DNSBL={value}");
    }
}

#[test]
fn out_writes_checklists_for_each_listing_and_never_overwrites() {
    let nsd = lists_and_zones();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = |force: bool| {
        let mut a = vec![
            "blocklist".to_string(),
            "192.0.2.10".into(),
            "198.51.100.10".into(),
            "spam.test".into(),
            "--host".into(),
            "mail.good.test".into(),
            "--resolver".into(),
            nsd.addr(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let (code, _, stderr) = run(mxdoctor().args(args(false)));
    assert_eq!(code, 3, "{stderr}");
    let mut names: Vec<String> = walk(&out)
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "delisting/google.md",
            "delisting/microsoft.md",
            "delisting/spamhaus-dbl.md",
            "delisting/spamhaus-pbl.md",
            "delisting/spamhaus-xbl.md",
            "delisting/yahoo.md",
            "report.json",
        ]
    );
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let xbl = read("delisting/spamhaus-xbl.md");
    for needle in [
        "`192.0.2.10` on Spamhaus ZEN (XBL)",
        "| Reverse DNS (PTR) | `mail.good.test` |",
        "| HELO name | `mail.good.test` |",
        "## 1. Fix before asking",
        "Where: https://check.spamhaus.org/",
        "What to write:",
        "## 3. Verify afterwards",
        "- [ ] mxdoctor blocklist 192.0.2.10",
    ] {
        assert!(xbl.contains(needle), "{needle:?} missing:\n{xbl}");
    }
    let pbl = read("delisting/spamhaus-pbl.md");
    assert!(
        pbl.contains("smarthost") && pbl.contains("198.51.100.10"),
        "{pbl}"
    );
    assert!(read("delisting/spamhaus-dbl.md").contains("spam.test"));
    let microsoft = read("delisting/microsoft.md");
    for needle in [
        "SNDS",
        "JMRP",
        "https://sender.office.com",
        "5.7.606",
        "S3150",
        "S3140",
        "silently",
        "192.0.2.10",
    ] {
        assert!(
            microsoft.contains(needle) || microsoft.contains(&needle.to_lowercase()),
            "{needle:?} missing:\n{microsoft}"
        );
    }
    assert!(read("delisting/google.md").contains("https://postmaster.google.com/"));
    assert!(read("delisting/yahoo.md").contains("Sender Hub"));
    let report: Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(report["schema"], "mxdoctor/report/v1");

    // A second run refuses to overwrite anything; --force does.
    std::fs::write(out.join("delisting/google.md"), "mine").unwrap();
    let (code, _, stderr) = run(mxdoctor().args(args(false)));
    assert_eq!(code, 2);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(read("delisting/google.md"), "mine");
    let (code, _, _) = run(mxdoctor().args(args(true)));
    assert_eq!(code, 3);
    assert_ne!(read("delisting/google.md"), "mine");

    // check --out: provider checklists every time, even with nothing listed.
    let out2 = dir.path().join("out2");
    let (code, _, stderr) = run(mxdoctor_with_dnsbl().args([
        "check",
        "good.test",
        "--resolver",
        &nsd.addr(),
        "--out",
        out2.to_str().unwrap(),
    ]));
    assert!(code != 2, "{stderr}");
    for name in ["microsoft", "google", "yahoo"] {
        assert!(
            out2.join(format!("delisting/{name}.md")).is_file(),
            "{name}"
        );
    }
    assert_eq!(walk(&out2.join("delisting")).len(), 3);
}

#[test]
fn bad_subjects_are_refused_with_exit_2() {
    for (args, needle) in [
        (
            vec!["blocklist", "300.1.2.3"],
            "not an IPv4 or IPv6 address",
        ),
        (
            vec!["blocklist", "2001:db8::zz"],
            "not an IPv4 or IPv6 address",
        ),
        (
            vec!["blocklist", "not a domain"],
            "neither an IP address nor a domain",
        ),
        (vec!["blocklist"], "required"),
        (
            vec!["blocklist", "192.0.2.1", "--host", "bad host"],
            "--host",
        ),
    ] {
        let (code, _, stderr) = run(mxdoctor().args(&args).args(["--resolver", "127.0.0.1:9"]));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn the_progress_bar_shows_only_on_a_terminal() {
    let nsd = lists();
    // Piped: nothing on stderr.
    let (code, _, stderr) =
        run(mxdoctor().args(["blocklist", "198.51.100.1", "--resolver", &nsd.addr()]));
    assert_eq!(code, 0);
    assert!(stderr.is_empty(), "{stderr:?}");

    // On a terminal: a bar, unless --no-progress.
    let on_tty = |extra: &[&str]| {
        let mut cmd = mxdoctor();
        cmd.args(["blocklist", "198.51.100.1", "--resolver", &nsd.addr()])
            .args(extra);
        let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
        session.exp_eof().unwrap()
    };
    // The bar reads "blocklists N/M …".
    let has_bar = |text: &str| {
        text.match_indices("blocklists ")
            .any(|(i, m)| text[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
    };
    let shown = on_tty(&[]);
    assert!(has_bar(&shown), "{shown:?}");
    let hidden = on_tty(&["--no-progress"]);
    assert!(!has_bar(&hidden), "{hidden:?}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The catalog covers every list of the reference data set, agrees on which are shut down,
/// and documents every Spamhaus code it names. Needs MXDOCTOR_TEST_DATA (the shared data
/// folder, with dnsbl/blocklists.tsv).
#[test]
#[ignore = "reads the reference data set named by MXDOCTOR_TEST_DATA"]
fn the_catalog_agrees_with_the_reference_data() {
    use mxdoctor::blocklist::Status;
    let root = std::env::var_os("MXDOCTOR_TEST_DATA")
        .expect("set MXDOCTOR_TEST_DATA to the shared data folder (the one holding dnsbl/)");
    let path = std::path::Path::new(&root).join("dnsbl/blocklists.tsv");
    let tsv = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let catalog = mxdoctor::plan::Playbooks::load(&mxdoctor::assets::Assets::default())
        .unwrap()
        .blocklists;
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (zone_col, codes_col, status_col) = (col("zone"), col("return_codes"), col("status"));
    let names_in = |text: &str| -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || "/():,;\"".contains(c))
            .map(|t| {
                t.trim_start_matches("<key>.")
                    .trim_matches('.')
                    .to_ascii_lowercase()
            })
            .filter(|t| t.contains('.') && !t.starts_with("127."))
            .collect()
    };
    let codes_in = |text: &str| -> Vec<std::net::Ipv4Addr> {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|t| t.starts_with("127.") && t.split('.').count() == 4)
            .filter_map(|t| t.parse().ok())
            .collect()
    };
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let row: Vec<&str> = line.split('\t').collect();
        let zones = names_in(row[zone_col]);
        let first_word = row[zone_col]
            .split_whitespace()
            .next()
            .unwrap()
            .to_lowercase();
        let list = catalog
            .lists
            .iter()
            .find(|l| {
                zones.iter().any(|z| {
                    l.zone.as_deref() == Some(z.as_str())
                        || l.dqs_zone.as_deref() == Some(z.as_str())
                }) || l.id.contains(&first_word)
            })
            .unwrap_or_else(|| panic!("no catalog entry for {:?}", row[zone_col]));
        if row[status_col].contains("SHUT DOWN") {
            assert_eq!(list.status, Status::ShutDown, "{}", list.id);
            assert!(!list.query, "{} is shut down but asked", list.id);
        }
        if zones.iter().any(|z| z.ends_with("spamhaus.org")) {
            // A row may name several zones (the ZEN components): any of them may hold a code.
            let named: Vec<_> = catalog
                .lists
                .iter()
                .filter(|l| l.zone.as_ref().is_some_and(|z| zones.contains(z)))
                .collect();
            for code in codes_in(row[codes_col]) {
                assert!(
                    named.iter().any(|l| l.codes.iter().any(|c| c.code == code)),
                    "{:?} does not document {code}",
                    row[zone_col]
                );
            }
        }
    }
}
