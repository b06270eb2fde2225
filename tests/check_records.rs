//! `check` against NSD and a loopback HTTPS server: DKIM, DMARC, MTA-STS and TLS-RPT.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::harness::https::{Answer, HttpsServer};
use crate::harness::{Nsd, findings, fixtures, mxdoctor, run};

/// The areas of these tests.
const AREAS: [&str; 4] = ["dkim.", "dmarc.", "mta-sts.", "tlsrpt."];

/// The policy hosts with a valid certificate; mta-sts.badcert.sts.test is left out on purpose.
const CERT_NAMES: [&str; 10] = [
    "mta-sts.good.test",
    "mta-sts.syntax.sts.test",
    "mta-sts.notfound.sts.test",
    "mta-sts.redirect.sts.test",
    "mta-sts.slow.sts.test",
    "mta-sts.invalid.sts.test",
    "mta-sts.html.sts.test",
    "mta-sts.huge.sts.test",
    "mta-sts.uncovered.sts.test",
    "mta-sts.nohost.sts.test",
];

fn policy(mode: &str, mx: &str) -> String {
    format!("version: STSv1\r\nmode: {mode}\r\nmx: {mx}\r\nmax_age: 604800\r\n")
}

fn https() -> HttpsServer {
    let mut answers = HashMap::new();
    let mut add = |host: &str, answer: Answer| {
        answers.insert(host.to_string(), answer);
    };
    add(
        "mta-sts.good.test",
        Answer::policy(&policy("enforce", "mail.good.test")),
    );
    add(
        "mta-sts.syntax.sts.test",
        Answer::policy(&policy("testing", "*.syntax.sts.test")),
    );
    add(
        "mta-sts.redirect.sts.test",
        Answer {
            location: Some("https://www.redirect.sts.test/mta-sts.txt".into()),
            ..Answer::status(301)
        },
    );
    add(
        "mta-sts.slow.sts.test",
        Answer {
            stall: true,
            ..Answer::status(200)
        },
    );
    add(
        "mta-sts.invalid.sts.test",
        Answer::policy("version: STSv1\nmode: strict\nmx: mail.invalid.sts.test\nmax_age: 86400\n"),
    );
    add(
        "mta-sts.html.sts.test",
        Answer {
            content_type: "text/html",
            ..Answer::policy(&policy("testing", "mail.html.sts.test"))
        },
    );
    let huge =
        policy("testing", "mail.huge.sts.test") + &format!("comment: {}\n", "x".repeat(100 * 1024));
    add("mta-sts.huge.sts.test", Answer::policy(&huge));
    add(
        "mta-sts.uncovered.sts.test",
        Answer::policy(&policy("enforce", "mail.elsewhere.sts.test")),
    );
    HttpsServer::start(&CERT_NAMES, answers)
}

fn servers() -> (Nsd, HttpsServer) {
    (Nsd::start(&[&fixtures().join("zones")]), https())
}

/// `mxdoctor check ARGS` with the HTTPS test knobs, as JSON: exit code and report.
fn check(nsd: &Nsd, server: &HttpsServer, args: &[&str]) -> (i32, serde_json::Value) {
    check_with_timeout(nsd, server, args, "1")
}

fn check_with_timeout(
    nsd: &Nsd,
    server: &HttpsServer,
    args: &[&str],
    timeout: &str,
) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = run(mxdoctor().arg("check").args(args).args([
        "--resolver",
        &nsd.addr(),
        "--https-port",
        &server.port_arg(),
        "--ca-file",
        &server.ca_arg(),
        "--timeout",
        timeout,
        "--format",
        "json",
    ]));
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); exit {code}\n{stdout}\n{stderr}"));
    (code, report)
}

fn finding<'a>(report: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"] == id)
}

/// Run every case and check that the report has `id` with `severity` (and about `subject`).
fn expect(nsd: &Nsd, server: &HttpsServer, cases: &[(&[&str], &str, &str, Option<&str>)]) {
    for (args, id, severity, subject) in cases {
        let (_, report) = check(nsd, server, args);
        let found = report["findings"].as_array().unwrap().iter().any(|f| {
            f["id"] == *id
                && f["severity"] == *severity
                && subject.is_none_or(|s| f["subject"] == s)
        });
        assert!(
            found,
            "{args:?}: want {id} {severity} about {subject:?}, got {:?}",
            findings(&report)
        );
    }
}

#[test]
fn the_correct_domain_passes_every_record_check() {
    let (nsd, server) = servers();
    let (_, report) = check(&nsd, &server, &["good.test", "--selector", "mail"]);
    let got = findings(&report);
    let ours: Vec<&(String, String)> = got
        .iter()
        .filter(|(id, _)| AREAS.iter().any(|a| id.starts_with(a)))
        .collect();
    for (id, severity) in &ours {
        assert!(
            severity == "ok" || severity == "info",
            "good.test: {id} is {severity}: {got:?}"
        );
    }
    for id in ["dkim.ok", "dmarc.ok", "mta-sts.ok", "tlsrpt.ok"] {
        assert!(
            ours.iter().any(|(i, s)| i == id && s == "ok"),
            "no {id}: {got:?}"
        );
    }
    let sts = finding(&report, "mta-sts.ok").unwrap();
    assert_eq!(sts["evidence"]["mode"], "enforce");
    assert_eq!(sts["evidence"]["mx"][0], "mail.good.test");
    let dkim = finding(&report, "dkim.ok").unwrap();
    assert_eq!(dkim["evidence"]["bits"], 2048);
}

#[test]
fn dkim_findings() {
    let (nsd, server) = servers();
    let s = |selector: &'static str| -> [&'static str; 3] { ["dkim.test", "--selector", selector] };
    let cases: &[(&[&str], &str, &str, Option<&str>)] = &[
        (
            &s("good"),
            "dkim.ok",
            "ok",
            Some("good._domainkey.dkim.test"),
        ),
        (
            &s("nosuch"),
            "dkim.missing",
            "critical",
            Some("nosuch._domainkey.dkim.test"),
        ),
        (&s("bad"), "dkim.syntax", "critical", None),
        (&s("spf"), "dkim.syntax", "critical", None),
        (&s("edspki"), "dkim.syntax", "critical", None),
        (&s("revoked"), "dkim.revoked", "critical", None),
        (&s("short"), "dkim.key-too-short", "critical", None),
        (&s("pkcs1"), "dkim.key-too-short", "critical", None),
        (&s("weak"), "dkim.key-too-short", "warning", None),
        (&s("testing"), "dkim.testing", "warning", None),
        (&s("ed"), "dkim.ok", "ok", None),
        (
            &["found.dkim.test"],
            "dkim.ok",
            "ok",
            Some("default._domainkey.found.dkim.test"),
        ),
        (
            &["nodkim.dkim.test"],
            "dkim.selector-unknown",
            "info",
            Some("nodkim.dkim.test"),
        ),
        (
            &["notserved.example", "--selector", "mail"],
            "dkim.lookup-failed",
            "unknown",
            None,
        ),
        (
            &["notserved.example"],
            "dkim.lookup-failed",
            "unknown",
            None,
        ),
    ];
    expect(&nsd, &server, cases);

    let (_, report) = check(&nsd, &server, &["dkim.test", "--selector", "short"]);
    let short = finding(&report, "dkim.key-too-short").unwrap();
    assert_eq!(short["evidence"]["bits"], 512);
    let (_, report) = check(&nsd, &server, &["nodkim.dkim.test"]);
    assert_eq!(
        findings(&report)
            .iter()
            .filter(|(id, _)| id.starts_with("dkim."))
            .count(),
        1,
        "a wildcard TXT that is not a key is not a key"
    );
}

#[test]
fn dmarc_findings() {
    let (nsd, server) = servers();
    let cases: &[(&[&str], &str, &str, Option<&str>)] = &[
        (&["missing.dmarc.test"], "dmarc.missing", "warning", None),
        (
            &["sub.org.dmarc.test"],
            "dmarc.missing",
            "info",
            Some("_dmarc.sub.org.dmarc.test"),
        ),
        (
            &["sub.org.dmarc.test"],
            "dmarc.ok",
            "ok",
            Some("_dmarc.org.dmarc.test"),
        ),
        (&["multiple.dmarc.test"], "dmarc.multiple", "critical", None),
        (&["syntax.dmarc.test"], "dmarc.syntax", "critical", None),
        (&["case.dmarc.test"], "dmarc.syntax", "critical", None),
        (&["typo.dmarc.test"], "dmarc.syntax", "warning", None),
        (&["typo.dmarc.test"], "dmarc.no-reports", "info", None),
        (&["none.dmarc.test"], "dmarc.policy-none", "info", None),
        (&["noreports.dmarc.test"], "dmarc.no-reports", "info", None),
        (&["obsolete.dmarc.test"], "dmarc.obsolete-tag", "info", None),
        (&["obsolete.dmarc.test"], "dmarc.ok", "ok", None),
        (
            &["external.dmarc.test"],
            "dmarc.report-unauthorized",
            "warning",
            Some("external.dmarc.test._report._dmarc.reports.rua.test"),
        ),
        (&["authorized.dmarc.test"], "dmarc.ok", "ok", None),
        (&["inside.dmarc.test"], "dmarc.ok", "ok", None),
        (
            &["notserved.example"],
            "dmarc.lookup-failed",
            "unknown",
            None,
        ),
        (&["hostile.dmarc.test"], "dmarc.syntax", "critical", None),
    ];
    expect(&nsd, &server, cases);

    // A record of about 10 KB with thousands of repeated tags: a bounded list of errors.
    let (_, report) = check(&nsd, &server, &["hostile.dmarc.test"]);
    let syntax = finding(&report, "dmarc.syntax").unwrap();
    let errors = syntax["evidence"]["errors"].as_array().unwrap();
    assert!(errors.len() <= 21, "{} errors", errors.len());
    assert!(
        errors.iter().any(|e| e.as_str().unwrap().contains("more")),
        "{errors:?}"
    );

    let (_, report) = check(&nsd, &server, &["sub.org.dmarc.test"]);
    let missing = finding(&report, "dmarc.missing").unwrap();
    assert_eq!(missing["evidence"]["inherited_from"], "org.dmarc.test");
    assert_eq!(
        missing["evidence"]["policy"], "quarantine",
        "sp= applies to a subdomain"
    );
    let (_, report) = check(&nsd, &server, &["obsolete.dmarc.test"]);
    let tags: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "dmarc.obsolete-tag")
        .map(|f| f["evidence"]["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, vec!["pct", "ri"]);
}

#[test]
fn mta_sts_findings() {
    let (nsd, server) = servers();
    let cases: &[(&[&str], &str, &str, Option<&str>)] = &[
        (&["missing.sts.test"], "mta-sts.missing", "info", None),
        (
            &["syntax.sts.test"],
            "mta-sts.syntax",
            "warning",
            Some("_mta-sts.syntax.sts.test"),
        ),
        (
            &["nohost.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["refused.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["badcert.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["notfound.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["redirect.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["slow.sts.test"],
            "mta-sts.policy-unreachable",
            "warning",
            None,
        ),
        (
            &["invalid.sts.test"],
            "mta-sts.policy-invalid",
            "warning",
            None,
        ),
        (
            &["html.sts.test"],
            "mta-sts.policy-invalid",
            "warning",
            None,
        ),
        (
            &["huge.sts.test"],
            "mta-sts.policy-invalid",
            "warning",
            None,
        ),
        (
            &["uncovered.sts.test"],
            "mta-sts.mx-not-covered",
            "critical",
            Some("mail.uncovered.sts.test"),
        ),
        (&["good.test"], "mta-sts.ok", "ok", Some("good.test")),
        (
            &["notserved.example"],
            "mta-sts.lookup-failed",
            "unknown",
            None,
        ),
    ];
    expect(&nsd, &server, cases);

    // Each unreachable policy names its precise cause.
    let causes = [
        ("nohost.sts.test", "dns", "NXDOMAIN"),
        ("refused.sts.test", "connect", "refused"),
        ("badcert.sts.test", "tls", "certificate"),
        ("notfound.sts.test", "http", "404"),
        (
            "redirect.sts.test",
            "http",
            "https://www.redirect.sts.test/mta-sts.txt",
        ),
        ("slow.sts.test", "timeout", ""),
    ];
    for (domain, stage, needle) in causes {
        let (_, report) = check(&nsd, &server, &[domain]);
        let f = finding(&report, "mta-sts.policy-unreachable").unwrap();
        assert_eq!(f["evidence"]["stage"], stage, "{domain}: {f}");
        assert!(
            f["evidence"]["cause"].as_str().unwrap().contains(needle),
            "{domain}: {f}"
        );
    }
}

#[test]
fn the_policy_certificate_is_verified() {
    let (nsd, server) = servers();
    // Without --ca-file the test certificate is not trusted.
    let (_, stdout, stderr) = run(mxdoctor().args([
        "check",
        "good.test",
        "--resolver",
        &nsd.addr(),
        "--https-port",
        &server.port_arg(),
        "--format",
        "json",
    ]));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let f = finding(&report, "mta-sts.policy-unreachable")
        .unwrap_or_else(|| panic!("{:?}", findings(&report)));
    assert_eq!(f["evidence"]["stage"], "tls", "{f}");

    let (code, _, stderr) = run(mxdoctor().args([
        "check",
        "good.test",
        "--resolver",
        &nsd.addr(),
        "--ca-file",
        "/nonexistent/ca.pem",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");
}

#[test]
fn a_stalled_policy_server_costs_a_bounded_time() {
    let (nsd, server) = servers();
    let started = Instant::now();
    let (_, report) = check_with_timeout(&nsd, &server, &["slow.sts.test"], "0.5");
    assert!(finding(&report, "mta-sts.policy-unreachable").is_some());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn tlsrpt_findings() {
    let (nsd, server) = servers();
    let cases: &[(&[&str], &str, &str, Option<&str>)] = &[
        (
            &["good.test"],
            "tlsrpt.ok",
            "ok",
            Some("_smtp._tls.good.test"),
        ),
        (&["missing.sts.test"], "tlsrpt.missing", "info", None),
        (&["syntax.sts.test"], "tlsrpt.syntax", "warning", None),
        (
            &["notserved.example"],
            "tlsrpt.lookup-failed",
            "unknown",
            None,
        ),
    ];
    expect(&nsd, &server, cases);
}

#[test]
fn record_facts_replay_offline() {
    let (nsd, server) = servers();
    let dir = tempfile::tempdir().unwrap();
    for domain in [
        "good.test",
        "uncovered.sts.test",
        "external.dmarc.test",
        "dkim.test",
    ] {
        let facts = dir.path().join(format!("{domain}.json"));
        let facts_arg = facts.to_str().unwrap();
        let (code1, first) = check(&nsd, &server, &[domain, "--facts-out", facts_arg]);
        let (code2, stdout, stderr) = run(mxdoctor().args([
            "check",
            "--facts-in",
            facts_arg,
            "--format",
            "json",
            "--resolver",
            "127.0.0.1:9",
        ]));
        let second: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        assert_eq!(code1, code2, "{domain}");
        assert_eq!(first["findings"], second["findings"], "{domain}");
    }
}
