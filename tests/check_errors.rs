use std::time::{Duration, Instant};

use crate::harness::{SilentResolver, findings, mxdoctor, run};

#[test]
fn malformed_input_is_a_clear_error_with_exit_2() {
    let long_label = format!("{}.example", "a".repeat(64));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", "not a domain"], "domain"),
        (vec!["check", "exa..mple.org"], "empty label"),
        (vec!["check", &long_label], "longer than 63"),
        (vec!["check", "localhost"], "full domain name"),
        (vec!["check", "example.org", "--ip", "300.1.2.3"], "--ip"),
        (vec!["check", "example.org", "--ip", "192.0.2.0/24"], "--ip"),
        (vec!["check", "example.org", "--host", "bad host"], "--host"),
        (
            vec!["check", "example.org", "--selector", "a;b"],
            "--selector",
        ),
        (
            vec!["check", "example.org", "--resolver", "dns.example"],
            "resolver",
        ),
        (vec!["check", "example.org", "--timeout", "0"], "timeout"),
        (vec!["check"], "required"),
        (
            vec!["check", "--facts-in", "/nonexistent/facts.json"],
            "cannot read facts",
        ),
    ];
    for (args, needle) in cases {
        let (code, stdout, stderr) =
            run(mxdoctor().args(&args).args(["--resolver", "127.0.0.1:9"]));
        assert_eq!(
            code, 2,
            "{args:?} should exit 2; stdout {stdout} stderr {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: stderr should mention {needle:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn facts_in_rejects_a_file_that_is_not_facts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    std::fs::write(&path, "{\"hello\": 1}").unwrap();
    let (code, _, stderr) = run(mxdoctor().args(["check", "--facts-in", path.to_str().unwrap()]));
    assert_eq!(code, 2);
    assert!(stderr.contains("not a mxdoctor facts file"), "{stderr}");
}

#[test]
fn a_silent_resolver_gives_unknown_findings_and_exit_4_within_the_bound() {
    let silent = SilentResolver::start();
    let started = Instant::now();
    let (code, stdout, stderr) = run(mxdoctor().args([
        "check",
        "example.org",
        "--ip",
        "192.0.2.10",
        "--host",
        "mail.example.org",
        "--selector",
        "mail",
        "--resolver",
        &silent.addr,
        "--format",
        "json",
    ]));
    let elapsed = started.elapsed();
    assert_eq!(code, 4, "stdout {stdout} stderr {stderr}");
    assert!(elapsed < Duration::from_secs(12), "took {elapsed:?}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let got = findings(&report);
    assert!(!got.is_empty());
    for (id, severity) in &got {
        assert_eq!(
            severity, "unknown",
            "{id} is {severity} although nothing answered"
        );
        assert!(
            !id.ends_with(".missing"),
            "{id}: a timeout is never 'missing'"
        );
    }
}
