use crate::harness::{Nsd, check_json, findings, fixtures, has};

fn dns() -> Nsd {
    Nsd::start(&[&fixtures().join("zones")])
}

#[test]
fn mx_findings() {
    let nsd = dns();
    let cases = [
        ("good.test", "mx.ok", "ok"),
        ("nosuch.good.test", "mx.missing", "critical"),
        ("nomx.test", "mx.missing", "warning"),
        ("nullmx.test", "mx.null", "warning"),
        ("mxcname.test", "mx.target-cname", "warning"),
        ("mxdangling.test", "mx.target-unresolvable", "critical"),
    ];
    for (domain, id, severity) in cases {
        let (_, report) = check_json(&nsd, &[domain]);
        let got = findings(&report);
        assert!(
            got.iter().any(|(i, s)| i == id && s == severity),
            "{domain}: want {id} {severity}, got {got:?}"
        );
    }
}

#[test]
fn host_and_reverse_dns_findings() {
    let nsd = dns();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--host", "mail.good.test", "--ip", "192.0.2.10"],
            "host.ok",
            "mail.good.test",
        ),
        (
            &["--host", "nohost.good.test"],
            "host.no-address",
            "nohost.good.test",
        ),
        (
            &["--host", "mail.good.test", "--ip", "192.0.2.99"],
            "host.ip-mismatch",
            "mail.good.test",
        ),
        (
            &["--ip", "192.0.2.10", "--host", "mail.good.test"],
            "ptr.ok",
            "192.0.2.10",
        ),
        (
            &["--ip", "2001:db8::10", "--host", "mail.good.test"],
            "ptr.ok",
            "2001:db8::10",
        ),
        (&["--ip", "192.0.2.12"], "ptr.missing", "192.0.2.12"),
        (&["--ip", "2001:db8::11"], "ptr.missing", "2001:db8::11"),
        (&["--ip", "192.0.2.11"], "ptr.not-confirmed", "192.0.2.11"),
        (&["--ip", "192.0.2.13"], "ptr.generic", "192.0.2.13"),
        (
            &["--ip", "192.0.2.20", "--host", "mail.good.test"],
            "helo.mismatch",
            "192.0.2.20",
        ),
    ];
    for (args, id, subject) in cases {
        let mut full = vec!["good.test"];
        full.extend_from_slice(args);
        let (_, report) = check_json(&nsd, &full);
        assert!(
            has(&report, id, Some(subject)),
            "{args:?}: want {id} about {subject}, got {:?}",
            findings(&report)
        );
    }
}

#[test]
fn json_report_follows_the_schema() {
    let nsd = dns();
    let (code, report) = check_json(
        &nsd,
        &[
            "good.test",
            "--ip",
            "192.0.2.12",
            "--host",
            "mail.good.test",
            "--selector",
            "mail",
        ],
    );
    assert_eq!(report["schema"], "mxdoctor/report/v1");
    assert_eq!(report["tool"]["name"], "mxdoctor");
    assert_eq!(report["target"]["domain"], "good.test");
    assert_eq!(report["target"]["ips"][0], "192.0.2.12");
    assert_eq!(report["target"]["host"], "mail.good.test");
    assert_eq!(report["target"]["selectors"][0], "mail");
    let missing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ptr.missing")
        .expect("ptr.missing");
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
        assert!(missing.get(key).is_some(), "finding lacks {key}: {missing}");
    }
    assert_eq!(missing["severity"], "critical");
    assert!(missing["title"].as_str().unwrap().contains("192.0.2.12"));
    assert!(report["summary"]["critical"].as_u64().unwrap() >= 1);
    assert_eq!(code, 3, "a critical finding exits 3");
}

#[test]
fn text_and_markdown_reports() {
    let nsd = dns();
    let (code, stdout, _) = crate::harness::run(crate::harness::mxdoctor().args([
        "check",
        "nomx.test",
        "--resolver",
        &nsd.addr(),
    ]));
    assert_eq!(code, 1, "warnings only exit 1:\n{stdout}");
    assert!(
        stdout.contains("[WARN] nomx.test has no MX record"),
        "{stdout}"
    );
    assert!(stdout.contains("Fix:"), "{stdout}");
    assert!(stdout.contains("Summary:"), "{stdout}");
    assert!(!stdout.contains("\u{1b}["), "no colour when piped");

    let (_, md, _) = crate::harness::run(crate::harness::mxdoctor().args([
        "check",
        "nomx.test",
        "--resolver",
        &nsd.addr(),
        "--format",
        "markdown",
    ]));
    assert!(md.starts_with("# mxdoctor report for nomx.test"), "{md}");
    assert!(
        md.contains("### WARNING: nomx.test has no MX record"),
        "{md}"
    );
}

#[test]
fn facts_round_trip_replays_the_same_report_offline() {
    let nsd = dns();
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    let facts_arg = facts.to_str().unwrap();
    let (code1, first) = check_json(
        &nsd,
        &[
            "good.test",
            "--ip",
            "192.0.2.11",
            "--host",
            "mail.good.test",
            "--facts-out",
            facts_arg,
        ],
    );
    drop(nsd);
    // No resolver at all: a replay must not ask the network.
    let (code2, stdout, stderr) = crate::harness::run(crate::harness::mxdoctor().args([
        "check",
        "--facts-in",
        facts_arg,
        "--format",
        "json",
        "--resolver",
        "127.0.0.1:9",
    ]));
    let second: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    assert_eq!(code1, code2);
    assert_eq!(first["findings"], second["findings"]);
}

/// The fully correct fixture domain, with its MTA-STS policy served over HTTPS: every area
/// passes, nothing is a warning or critical, and the exit code is 0.
#[test]
fn the_correct_domain_has_no_warning_or_critical_finding() {
    use std::collections::HashMap;

    use crate::harness::https::{Answer, HttpsServer};

    let nsd = dns();
    let policy = "version: STSv1\r\nmode: enforce\r\nmx: mail.good.test\r\nmax_age: 604800\r\n";
    let server = HttpsServer::start(
        &["mta-sts.good.test"],
        HashMap::from([("mta-sts.good.test".to_string(), Answer::policy(policy))]),
    );
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
            "--selector",
            "mail",
            "--https-port",
            &server.port_arg(),
            "--ca-file",
            &server.ca_arg(),
        ],
    );
    let got = findings(&report);
    let bad: Vec<_> = got
        .iter()
        .filter(|(_, s)| s != "ok" && s != "info")
        .collect();
    assert!(bad.is_empty(), "good.test must be fully correct: {got:?}");
    for area in [
        "mx.", "host.", "ptr.", "spf.", "dkim.", "dmarc.", "mta-sts.", "tlsrpt.",
    ] {
        assert!(
            got.iter().any(|(id, s)| id.starts_with(area) && s == "ok"),
            "no passed {area} check: {got:?}"
        );
    }
    assert_eq!(code, 0, "{got:?}");
}
