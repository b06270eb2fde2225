//! SPF through the built binary against NSD: every spf.* finding from fixture zones, the
//! correct domain, hostile zones, and the `spf` command's outputs and exit codes.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Nsd, SilentResolver, check_json, fixtures, mxdoctor, run};

fn dns() -> Nsd {
    Nsd::start(&[&fixtures().join("zones")])
}

fn spf_findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("spf."))
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_spf_finding_from_fixture_zones() {
    let nsd = dns();
    let cases: &[(&[&str], &str, &str, &str)] = &[
        (&["spf.test"], "spf.ok", "ok", "spf.test"),
        (
            &["spf.test", "--ip", "192.0.2.10"],
            "spf.ok",
            "ok",
            "192.0.2.10",
        ),
        (
            &["nospf.spf.test"],
            "spf.missing",
            "critical",
            "nospf.spf.test",
        ),
        (
            &["two.spf.test"],
            "spf.multiple",
            "critical",
            "two.spf.test",
        ),
        (
            &["typo.spf.test"],
            "spf.syntax",
            "critical",
            "typo.spf.test",
        ),
        (
            &["lookups.spf.test"],
            "spf.too-many-lookups",
            "critical",
            "lookups.spf.test",
        ),
        (
            &["voids.spf.test"],
            "spf.too-many-void-lookups",
            "critical",
            "voids.spf.test",
        ),
        (
            &["loop.spf.test"],
            "spf.include-loop",
            "critical",
            "loop.spf.test",
        ),
        (
            &["open.spf.test"],
            "spf.pass-all",
            "critical",
            "open.spf.test",
        ),
        (
            &["inc-open.spf.test"],
            "spf.pass-all",
            "critical",
            "open.spf.test",
        ),
        (
            &["neutral.spf.test"],
            "spf.neutral-all",
            "warning",
            "neutral.spf.test",
        ),
        (
            &["noall.spf.test"],
            "spf.no-all",
            "warning",
            "noall.spf.test",
        ),
        (
            &["ptr.spf.test"],
            "spf.ptr-mechanism",
            "warning",
            "ptr.spf.test",
        ),
        (
            &["long.spf.test"],
            "spf.record-too-long",
            "warning",
            "long.spf.test",
        ),
        (
            &["inc-missing.spf.test"],
            "spf.missing",
            "critical",
            "nothing.spf.test",
        ),
        (
            &["inc-refused.spf.test"],
            "spf.lookup-failed",
            "unknown",
            "_spf.not-served.example",
        ),
        (
            &["good.test", "--ip", "192.0.2.99"],
            "spf.ip-not-permitted",
            "critical",
            "192.0.2.99",
        ),
        (
            &["soft.spf.test", "--ip", "192.0.2.99"],
            "spf.ip-not-permitted",
            "critical",
            "192.0.2.99",
        ),
        (
            &["neutral.spf.test", "--ip", "192.0.2.99"],
            "spf.ip-not-permitted",
            "warning",
            "192.0.2.99",
        ),
        (
            &[
                "good.test",
                "--ip",
                "192.0.2.10",
                "--host",
                "helo-wrong.spf.test",
            ],
            "spf.ip-not-permitted",
            "warning",
            "192.0.2.10",
        ),
        (
            &[
                "good.test",
                "--ip",
                "192.0.2.10",
                "--host",
                "other.good.test",
            ],
            "spf.missing",
            "info",
            "other.good.test",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (args, id, severity, subject) in cases {
        let (_, report) = check_json(&nsd, args);
        let got = spf_findings(&report);
        assert!(
            got.iter()
                .any(|(i, s, sub)| i == id && s == severity && sub == subject),
            "{args:?}: want {id} {severity} about {subject}, got {got:?}"
        );
        seen.insert(id.to_string());
    }
    assert_eq!(seen.len(), 14, "every spf id is exercised: {seen:?}");
}

#[test]
fn the_correct_domain_passes_spf_for_every_address_and_its_helo_name() {
    let nsd = dns();
    let (code, report) = check_json(
        &nsd,
        &[
            "good.test",
            "--ip",
            "192.0.2.10",
            "--ip",
            "2001:db8::10",
            "--host",
            "mail.good.test",
        ],
    );
    let got = spf_findings(&report);
    assert!(got.iter().all(|(_, s, _)| s == "ok"), "{got:?}");
    assert_eq!(
        got.len(),
        6,
        "record ok ×2, pass for 2 addresses × 2 identities: {got:?}"
    );
    // Exit 1 at most: without the MTA-STS policy server that area warns (see check_dns).
    assert!(code == 0 || code == 1, "exit {code}");
}

#[test]
fn syntax_errors_say_where() {
    let nsd = dns();
    let (_, report) = check_json(&nsd, &["typo.spf.test"]);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "spf.syntax")
        .unwrap();
    assert_eq!(f["evidence"]["column"], 23);
    assert!(f["title"].as_str().unwrap().contains("character 23"));
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("v=spf1 ip4:192.0.2.10 ipv4:192.0.2.11 -all\n                          ^"),
        "{}",
        f["detail"]
    );
}

#[test]
fn hostile_zones_end_quickly_with_the_right_findings() {
    let nsd = dns();
    let cases: &[(&str, &[&str])] = &[
        ("hostile.test", &["spf.too-many-lookups"]),
        ("chain.hostile.test", &["spf.too-many-lookups"]),
        ("loop.hostile.test", &["spf.include-loop"]),
        ("self.hostile.test", &["spf.include-loop"]),
        ("big.hostile.test", &["spf.record-too-long", "spf.ok"]),
        ("cname.hostile.test", &["spf.lookup-failed"]),
        ("inc-cname.hostile.test", &["spf.lookup-failed"]),
        (
            "wide.hostile.test",
            &["spf.too-many-lookups", "spf.missing"],
        ),
    ];
    for (domain, ids) in cases {
        let started = Instant::now();
        let (code, report) = check_json(&nsd, &[domain, "--ip", "192.0.2.10"]);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(5),
            "{domain} took {elapsed:?}"
        );
        assert!(matches!(code, 1 | 3 | 4), "{domain}: exit {code}");
        let got = spf_findings(&report);
        for id in *ids {
            assert!(
                got.iter().any(|(i, _, _)| i == id),
                "{domain}: want {id}, got {got:?}"
            );
        }
    }
    // The chain is cut where it is already over the limit, and says so.
    let (_, report) = check_json(&nsd, &["chain.hostile.test"]);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "spf.too-many-lookups")
        .unwrap();
    assert_eq!(f["evidence"]["at_least"], true);
    // A CNAME loop is a failure to look up, never a missing record.
    let (_, report) = check_json(&nsd, &["cname.hostile.test"]);
    assert!(
        !spf_findings(&report)
            .iter()
            .any(|(i, _, _)| i == "spf.missing")
    );
}

fn spf(nsd: &str, args: &[&str]) -> (i32, String, String) {
    run(mxdoctor().arg("spf").args(args).args(["--resolver", nsd]))
}

#[test]
fn spf_command_results_and_exit_codes() {
    let nsd = dns();
    let addr = nsd.addr();
    let cases: &[(&[&str], &str, i32)] = &[
        (
            &["--ip", "192.0.2.10", "--sender", "someone@good.test"],
            "pass",
            0,
        ),
        (&["--ip", "192.0.2.99", "--sender", "good.test"], "fail", 3),
        (
            &["--ip", "192.0.2.99", "--sender", "x@soft.spf.test"],
            "softfail",
            1,
        ),
        (
            &["--ip", "192.0.2.99", "--sender", "x@neutral.spf.test"],
            "neutral",
            1,
        ),
        (
            &["--ip", "192.0.2.10", "--sender", "x@nospf.spf.test"],
            "none",
            1,
        ),
        (
            &["--ip", "192.0.2.10", "--sender", "x@typo.spf.test"],
            "permerror",
            3,
        ),
        (
            &["--ip", "192.0.2.99", "--sender", "x@inc-refused.spf.test"],
            "temperror",
            4,
        ),
        (
            &[
                "--ip",
                "2001:db8::10",
                "--sender",
                "",
                "--helo",
                "mail.good.test",
            ],
            "pass",
            0,
        ),
    ];
    for (args, result, want_code) in cases {
        let mut full = args.to_vec();
        full.extend(["--format", "json"]);
        let (code, stdout, stderr) = spf(&addr, &full);
        let report: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout} {stderr}"));
        assert_eq!(report["schema"], "mxdoctor/spf/v1");
        assert_eq!(report["result"], *result, "{args:?}: {report}");
        assert_eq!(code, *want_code, "{args:?}");
        for key in ["explanation", "lookups", "void_lookups", "trace"] {
            assert!(report.get(key).is_some(), "{args:?}: no {key}");
        }
        assert!(report["trace"].as_array().unwrap().len() >= 2);
    }
}

#[test]
fn spf_command_text_and_markdown_show_the_trace() {
    let nsd = dns();
    let addr = nsd.addr();
    let (code, text, _) = spf(&addr, &["--ip", "192.0.2.99", "--sender", "good.test"]);
    assert_eq!(code, 3);
    for needle in [
        "SPF check: 192.0.2.99 sending as postmaster@good.test",
        "check_host(good.test)",
        "DNS TXT good.test: \"v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all\"",
        "ip4:192.0.2.10 → no match",
        "-all → match",
        "Result: FAIL",
        "DNS lookups: 0 of 10",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let (_, text, _) = spf(
        &addr,
        &["--ip", "192.0.2.10", "--sender", "x@lookups.spf.test"],
    );
    assert!(
        text.contains("check_host(p1.spf.test)  ← include:p1.spf.test"),
        "{text}"
    );
    assert!(text.contains("[lookup 11 of 10]"), "{text}");
    let (_, md, _) = spf(
        &addr,
        &[
            "--ip",
            "192.0.2.10",
            "--sender",
            "good.test",
            "--format",
            "markdown",
        ],
    );
    assert!(
        md.starts_with("# SPF check: 192.0.2.10 sending as postmaster@good.test"),
        "{md}"
    );
    assert!(md.contains("**Result: pass**"), "{md}");
    assert!(md.contains("- `ip4:192.0.2.10` → **match**"), "{md}");
}

#[test]
fn spf_command_bad_usage_exits_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--ip", "192.0.2.300", "--sender", "a@good.test"], "--ip"),
        (&["--ip", "192.0.2.10", "--sender", ""], "--helo"),
        (
            &["--ip", "192.0.2.10", "--sender", "a@good.test\nRCPT TO:<x>"],
            "--sender",
        ),
        (&["--ip", "192.0.2.10"], "--sender"),
    ];
    for (args, needle) in cases {
        let (code, stdout, stderr) = spf("127.0.0.1:9", args);
        assert_eq!(code, 2, "{args:?}: {stdout} {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn spf_command_against_a_silent_resolver_is_a_temperror() {
    let silent = SilentResolver::start();
    let started = Instant::now();
    let (code, stdout, _) = spf(
        &silent.addr,
        &[
            "--ip",
            "192.0.2.10",
            "--sender",
            "good.test",
            "--timeout",
            "0.3",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 4, "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["result"], "temperror");
}
