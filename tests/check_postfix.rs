use std::path::PathBuf;
use std::process::Command;

use crate::harness::nsd::which;
use crate::harness::{Nsd, check_json, findings, fixtures};

fn case(name: &str) -> PathBuf {
    fixtures().join("postfix").join(name)
}

/// Every fixture directory: each one is a configuration real Postfix accepts (except the
/// deliberately broken one).
fn all_cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("postfix"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("main.cf").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn fixtures_are_what_real_postconf_reads() {
    let postconf =
        which("postconf").expect("postconf is not installed: run scripts/install-test-deps.sh");
    let names = all_cases();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        for flag in ["-n", "-M", "-P"] {
            let out = Command::new(&postconf)
                .arg("-c")
                .arg(case(&name))
                .arg(flag)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if name == "broken" {
                assert!(!out.status.success(), "{name} {flag} should fail");
                assert!(stderr.contains("missing '='"), "{stderr}");
            } else {
                assert!(out.status.success(), "{name} {flag}: {stderr}");
                // No typos: postconf warns about parameters it does not know.
                assert!(!stderr.contains("warning"), "{name} {flag}: {stderr}");
            }
        }
    }
}

#[test]
fn each_fixture_gives_its_finding() {
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    // 192.0.2.10 has PTR mail.good.test; 2001:db8::11 has none.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("ok", &["--ip", "192.0.2.10"], &[("postfix.ok", "ok")]),
        (
            "open-relay-mynetworks",
            &[],
            &[("postfix.open-relay-config", "critical")],
        ),
        (
            "open-relay-permit",
            &[],
            &[("postfix.open-relay-config", "critical")],
        ),
        (
            "mynetworks-broad",
            &[],
            &[("postfix.mynetworks-broad", "warning")],
        ),
        (
            "hostname-mismatch",
            &["--ip", "192.0.2.10"],
            &[("postfix.hostname-mismatch", "warning")],
        ),
        (
            "no-outbound-tls",
            &[],
            &[("postfix.no-outbound-tls", "warning")],
        ),
        (
            "submission-no-auth",
            &[],
            &[("postfix.submission-no-auth", "warning")],
        ),
        (
            "ipv6-without-ptr",
            &["--ip", "192.0.2.10", "--ip", "2001:db8::11"],
            &[("postfix.ipv6-without-ptr", "critical")],
        ),
        (
            "relayhost-no-tls",
            &[],
            &[("postfix.relayhost-no-tls", "critical")],
        ),
        ("broken", &[], &[("postfix.config-unreadable", "unknown")]),
    ];
    let mut tested: Vec<&str> = cases.iter().map(|(name, _, _)| *name).collect();
    tested.sort();
    assert_eq!(tested, all_cases(), "every fixture has a case here");
    for (name, extra, want) in cases {
        let dir = case(name);
        let mut args = vec!["good.test", "--postfix-config", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (_, report) = check_json(&nsd, &args);
        let got: Vec<(String, String)> = findings(&report)
            .into_iter()
            .filter(|(id, _)| id.starts_with("postfix."))
            .collect();
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_open_relay_finding_explains_itself() {
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let dir = case("open-relay-mynetworks");
    let (code, report) = check_json(
        &nsd,
        &["good.test", "--postfix-config", dir.to_str().unwrap()],
    );
    assert_eq!(code, 3);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "postfix.open-relay-config")
        .unwrap();
    assert_eq!(finding["evidence"]["via_mynetworks"], true);
    assert_eq!(
        finding["evidence"]["open_networks"],
        serde_json::json!(["0.0.0.0/0", "[::]/0"])
    );
    assert!(
        finding["remedy"]
            .as_str()
            .unwrap()
            .contains("reject_unauth_destination")
    );
    assert_eq!(finding["fix"], "postfix-relay");
}

#[test]
fn without_a_config_dir_the_safety_switch_leaves_the_local_postfix_alone() {
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let (_, report) = check_json(&nsd, &["good.test"]);
    assert!(
        !findings(&report)
            .iter()
            .any(|(id, _)| id.starts_with("postfix."))
    );
}
