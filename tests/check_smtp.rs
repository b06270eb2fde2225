use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::postfix::{self, Postfix};
use crate::harness::smtp_peer::{
    Behaviour, HttpsEcho, Peer, Script, TestCa, closed_port, server_config,
};
use crate::harness::{Nsd, check_json, findings, fixtures, mxdoctor, run};

/// The (id, severity) pairs of one area, in report order.
fn area(report: &Value, prefix: &str) -> Vec<(String, String)> {
    findings(report)
        .into_iter()
        .filter(|(id, _)| id.starts_with(prefix))
        .collect()
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", findings(report)))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn real_postfix_closed_open_tls_only_and_implicit_tls() {
    let postfix = Postfix::shared();
    let zones = postfix::zones();
    let nsd = Nsd::start(&[zones.path()]);
    let ca = postfix.ca_file.to_str().unwrap();
    let port = |p: u16| p.to_string();
    let ok = pairs(&[("smtp.relay-closed", "ok"), ("smtp.ok", "ok")]);

    // The closed MX, found through the domain's MX record (on a test port).
    let started = Instant::now();
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp-port",
            &port(postfix.closed),
            "--ca-file",
            ca,
            "--smtp-timeout",
            "3",
        ],
    );
    eprintln!("closed MX check: {:?}", started.elapsed());
    assert_eq!(area(&report, "smtp."), ok, "{report:#}");
    let good = finding(&report, "smtp.ok");
    assert_eq!(good["evidence"]["tls_version"], "TLSv1.3");
    assert_eq!(
        good["evidence"]["roles_accepted"],
        serde_json::json!(["postmaster@smtp.test", "abuse@smtp.test"])
    );
    assert_eq!(
        good["subject"],
        format!("mail.smtp.test[127.0.0.1]:{}", postfix.closed)
    );
    assert_eq!(
        finding(&report, "smtp.relay-closed")["evidence"]["tested"],
        9
    );

    // The open relay.
    let (code, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp",
            &format!("mail.smtp.test:{}", postfix.open),
            "--ca-file",
            ca,
        ],
    );
    assert_eq!(code, 3);
    let open = finding(&report, "smtp.open-relay");
    assert_eq!(open["severity"], "critical");
    assert_eq!(open["evidence"]["accepted"].as_array().unwrap().len(), 9);
    assert!(open["title"].as_str().unwrap().contains("OPEN RELAY"));

    // STARTTLS required before MAIL: the probe upgrades first.
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp",
            &format!("mail.smtp.test:{}", postfix.tls_only),
            "--ca-file",
            ca,
        ],
    );
    assert_eq!(area(&report, "smtp."), ok, "{report:#}");

    // TLS from the first byte.
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp",
            &format!("smtps://mail.smtp.test:{}", postfix.smtps),
            "--ca-file",
            ca,
        ],
    );
    assert_eq!(area(&report, "smtp."), ok, "{report:#}");

    // Without the test CA the certificate is not trusted; the rest still works.
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp",
            &format!("mail.smtp.test:{}", postfix.closed),
        ],
    );
    assert_eq!(
        area(&report, "smtp."),
        pairs(&[
            ("smtp.tls-certificate-invalid", "warning"),
            ("smtp.relay-closed", "ok")
        ])
    );
    assert_eq!(
        finding(&report, "smtp.tls-certificate-invalid")["evidence"]["problem"],
        "unknown-issuer"
    );

    // Reached by another name: neither the greeting nor the certificate match it.
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--smtp",
            &format!("other.smtp.test:{}", postfix.closed),
            "--ca-file",
            ca,
        ],
    );
    let got = area(&report, "smtp.");
    assert!(
        got.contains(&("smtp.banner-mismatch".into(), "warning".into())),
        "{got:?}"
    );
    let cert = finding(&report, "smtp.tls-certificate-invalid");
    assert_eq!(cert["evidence"]["problem"], "name-mismatch");
    assert_eq!(cert["evidence"]["checked_name"], "other.smtp.test");

    // abuse@ unknown in a virtual domain: refused for good.
    let (_, report) = check_json(
        &nsd,
        &[
            "noabuse.test",
            "--smtp",
            &format!("mail.smtp.test:{}", postfix.closed),
            "--ca-file",
            ca,
        ],
    );
    let abuse = finding(&report, "smtp.abuse-rejected");
    assert_eq!(abuse["severity"], "warning");
    assert!(
        abuse["evidence"]["reply"]
            .as_str()
            .unwrap()
            .starts_with("550 5.1.1"),
        "{abuse}"
    );
    assert!(!area(&report, "smtp.postmaster").iter().any(|_| true));

    // Greylisted role addresses: unknown, and said to be greylisting.
    let (code, report) = check_json(
        &nsd,
        &[
            "grey.test",
            "--smtp",
            &format!("mail.smtp.test:{}", postfix.closed),
            "--ca-file",
            ca,
        ],
    );
    let grey = finding(&report, "smtp.postmaster-rejected");
    assert_eq!(grey["severity"], "unknown");
    assert_eq!(grey["evidence"]["greylisted"], true);
    assert!(
        grey["detail"].as_str().unwrap().contains("greylisting"),
        "{grey}"
    );
    assert_eq!(
        finding(&report, "smtp.abuse-rejected")["severity"],
        "unknown"
    );
    assert_ne!(code, 0);
}

fn smtp_check(nsd: &Nsd, peer_port: u16, extra: &[&str]) -> (i32, Value, Duration) {
    let target = format!("127.0.0.1:{peer_port}");
    let mut args = vec!["smtp.test", "--smtp", &target, "--smtp-timeout", "1"];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let (code, report) = check_json(nsd, &args);
    (code, report, started.elapsed())
}

#[test]
fn hostile_peers_end_within_the_timeout_with_a_clear_finding() {
    let zones = postfix::zones();
    let nsd = Nsd::start(&[zones.path()]);
    let cases = [
        (Behaviour::Silent, &["greeting-timeout"][..]),
        (Behaviour::SlowGreeting, &["greeting-timeout"][..]),
        (Behaviour::EndlessGreeting, &["greeting-too-long"][..]),
        (Behaviour::Garbage, &["greeting-garbage"][..]),
        (
            Behaviour::ResetMidReply,
            &["greeting-reset", "greeting-closed"][..],
        ),
    ];
    std::thread::scope(|scope| {
        for (behaviour, reasons) in cases {
            let nsd = &nsd;
            scope.spawn(move || {
                let peer = Peer::start(behaviour);
                let (code, report, elapsed) = smtp_check(nsd, peer.port, &[]);
                let unreachable = finding(&report, "smtp.unreachable");
                let reason = unreachable["evidence"]["reason"].as_str().unwrap();
                assert!(
                    reasons.contains(&reason),
                    "{reasons:?}: got {unreachable:#}"
                );
                assert_eq!(unreachable["severity"], "critical");
                assert_eq!(code, 3);
                // One reply may take 1 s; the session 12 s at most. Well within that here.
                assert!(
                    elapsed < Duration::from_secs(5),
                    "{reasons:?} took {elapsed:?}"
                );
                assert!(!peer.commands().iter().any(|c| c.starts_with("DATA")));
            });
        }
        let nsd = &nsd;
        scope.spawn(move || {
            let (_, report, elapsed) = smtp_check(nsd, closed_port(), &[]);
            let unreachable = finding(&report, "smtp.unreachable");
            assert_eq!(unreachable["evidence"]["reason"], "refused");
            assert_eq!(unreachable["severity"], "critical");
            assert!(elapsed < Duration::from_secs(5));
        });
    });
}

#[test]
fn scripted_peers_mid_session() {
    let zones = postfix::zones();
    let nsd = Nsd::start(&[zones.path()]);
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(dir.path());
    let ca_arg = ca_file.to_str().unwrap();

    // EHLO answered with garbage.
    let mut script = Script::new("mail.smtp.test ESMTP");
    script.garbage_after_ehlo = true;
    let peer = Peer::start(Behaviour::Smtp(script));
    let (_, report, _) = smtp_check(&nsd, peer.port, &[]);
    let error = finding(&report, "smtp.protocol-error");
    assert_eq!(error["evidence"]["stage"], "EHLO");
    assert_eq!(error["evidence"]["kind"], "garbage");

    // No STARTTLS at all.
    let peer = Peer::start(Behaviour::Smtp(Script::new("mail.smtp.test ESMTP")));
    let (_, report, _) = smtp_check(&nsd, peer.port, &[]);
    assert_eq!(finding(&report, "smtp.no-starttls")["severity"], "warning");

    // STARTTLS offered, then no TLS: reported, and the tests go on in plain text.
    let mut script = Script::new("mail.smtp.test ESMTP");
    script.broken_tls = true;
    let peer = Peer::start(Behaviour::Smtp(script));
    let (_, report, _) = smtp_check(&nsd, peer.port, &[]);
    assert_eq!(finding(&report, "smtp.tls-failed")["severity"], "critical");
    assert_eq!(
        finding(&report, "smtp.relay-closed")["evidence"]["tested"],
        9
    );
    // The one TLS broke, one in plain text, and a fresh one after eight refusals.
    assert_eq!(peer.connections(), 3);

    // Certificates: expired, self-signed, about to expire.
    let certificates = [
        (ca.issue(&["mail.smtp.test"], -30, -1), Some("expired")),
        (
            crate::harness::smtp_peer::self_signed(&["mail.smtp.test"]),
            Some("self-signed"),
        ),
        (ca.issue(&["mail.smtp.test"], -80, 5), None),
    ];
    for (issued, problem) in certificates {
        let mut script = Script::new("mail.smtp.test ESMTP");
        script.starttls = Some(server_config(&issued));
        let peer = Peer::start(Behaviour::Smtp(script));
        let target = format!("mail.smtp.test:{}", peer.port);
        let (_, report) = check_json(&nsd, &["smtp.test", "--smtp", &target, "--ca-file", ca_arg]);
        match problem {
            Some(problem) => assert_eq!(
                finding(&report, "smtp.tls-certificate-invalid")["evidence"]["problem"],
                problem
            ),
            None => {
                let expiring = finding(&report, "smtp.tls-certificate-expiring");
                let days = expiring["evidence"]["days_left"].as_i64().unwrap();
                assert!((4..=5).contains(&days), "{expiring}");
            }
        }
    }

    // The server hangs up at every third RCPT: the probe reconnects twice, then gives up
    // honestly instead of calling the relay closed.
    let mut script = Script::new("mail.smtp.test ESMTP");
    script.hang_up_at_rcpt = Some(3);
    let peer = Peer::start(Behaviour::Smtp(script));
    let (code, report, _) = smtp_check(&nsd, peer.port, &[]);
    let incomplete = finding(&report, "smtp.relay-test-incomplete");
    assert_eq!(incomplete["severity"], "unknown");
    assert!(
        !area(&report, "smtp.")
            .iter()
            .any(|(id, _)| id == "smtp.relay-closed")
    );
    assert_eq!(peer.connections(), 3);
    assert_eq!(code, 4, "{report:#}");

    // A fake open relay: found, and still no DATA.
    let mut script = Script::new("mail.smtp.test ESMTP");
    script.open_relay = true;
    let peer = Peer::start(Behaviour::Smtp(script));
    let (code, report, _) = smtp_check(&nsd, peer.port, &[]);
    assert_eq!(finding(&report, "smtp.open-relay")["severity"], "critical");
    assert_eq!(code, 3);
    assert!(
        !peer
            .commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("DATA"))
    );
}

#[test]
fn outbound_port_25_test_on_loopback() {
    let zones = postfix::zones();
    let nsd = Nsd::start(&[zones.path()]);
    let peer = Peer::start(Behaviour::Smtp(Script::new("gmail-like.test ESMTP")));
    let by_name = format!("mail.smtp.test:{}", peer.port);
    let (_, report) = check_json(&nsd, &["smtp.test", "--egress-target", &by_name]);
    let open = finding(&report, "net.outbound-25-open");
    assert_eq!(open["severity"], "ok");
    assert_eq!(open["evidence"]["banner"], "220 gmail-like.test ESMTP");
    assert_eq!(open["evidence"]["address"], "127.0.0.1");

    let refused = format!("127.0.0.1:{}", closed_port());
    let (code, report) = check_json(&nsd, &["smtp.test", "--egress-target", &refused]);
    let blocked = finding(&report, "net.outbound-25-blocked");
    assert_eq!(blocked["severity"], "critical");
    assert_eq!(blocked["evidence"]["outcome"], "refused");
    assert!(blocked["detail"].as_str().unwrap().contains("refused"));
    assert_eq!(code, 3);

    let resetting = Peer::start(Behaviour::ResetMidReply);
    let target = format!("127.0.0.1:{}", resetting.port);
    let (_, report) = check_json(&nsd, &["smtp.test", "--egress-target", &target]);
    let outcome = finding(&report, "net.outbound-25-blocked")["evidence"]["outcome"].clone();
    assert!(outcome == "reset", "{outcome}");

    let (_, report) = check_json(&nsd, &["smtp.test", "--no-egress"]);
    assert!(area(&report, "net.").is_empty());
}

#[test]
fn public_address_from_an_https_echo() {
    let zones = postfix::zones();
    let nsd = Nsd::start(&[zones.path()]);
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(dir.path());
    let echo = HttpsEcho::start(
        server_config(&ca.issue(&["echo.smtp.test"], -1, 30)),
        "203.0.113.7\n",
    );
    let url = format!("https://echo.smtp.test:{}/", echo.port);
    let facts = dir.path().join("facts.json");
    let (_, report) = check_json(
        &nsd,
        &[
            "smtp.test",
            "--ip-echo-url",
            &url,
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--facts-out",
            facts.to_str().unwrap(),
        ],
    );
    let public = finding(&report, "net.public-address");
    assert_eq!(public["evidence"]["public"], "203.0.113.7");
    assert_eq!(public["subject"], "203.0.113.7");
    let facts: Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    let attempts = facts["env"]["public"]["v4"]["attempts"].as_array().unwrap();
    // With --resolver (and the safety switch) the DNS echo services are never asked.
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    assert!(
        attempts[..2].iter().all(|a| a["result"] == "skipped"),
        "{attempts:#?}"
    );
    assert_eq!(attempts[2]["result"], "found");
    assert_eq!(attempts[2]["address"], "203.0.113.7");
    assert!(
        !area(&report, "net.")
            .iter()
            .any(|(id, _)| id == "net.public-address-unknown")
    );

    // An untrusted certificate is a failed method, not an address.
    let (code, report) = check_json(&nsd, &["smtp.test", "--ip-echo-url", &url]);
    let unknown = finding(&report, "net.public-address-unknown");
    assert_eq!(unknown["evidence"]["family"], "IPv4");
    assert_eq!(code, 4);

    // --ip: nothing is detected.
    let (_, report) = check_json(
        &nsd,
        &["smtp.test", "--ip", "192.0.2.10", "--ip-echo-url", &url],
    );
    assert!(area(&report, "net.").is_empty(), "{:?}", findings(&report));
}

#[test]
fn the_safety_switch_keeps_every_probe_on_loopback() {
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    // good.test's MX is 192.0.2.10 / 2001:db8::10: the switch must refuse both, and the
    // built-in Internet targets must not even be looked up.
    let started = Instant::now();
    let (code, stdout, stderr) = run(mxdoctor().args([
        "check",
        "good.test",
        "--resolver",
        &nsd.addr(),
        "--format",
        "json",
        "--facts-out",
        facts.to_str().unwrap(),
    ]));
    assert!(started.elapsed() < Duration::from_secs(5));
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    for prefix in ["smtp.", "net.", "postfix."] {
        assert!(area(&report, prefix).is_empty(), "{:?}", findings(&report));
    }
    let facts: Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    let probes = facts["smtp"]["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 2, "{probes:#?}");
    for p in probes {
        assert_eq!(p["connection"]["outcome"], "skipped", "{p:#}");
        assert!(p["transcript"].as_array().unwrap().is_empty());
    }
    assert_eq!(facts["env"]["egress"]["status"], "skipped");
    assert_eq!(facts["postfix"]["status"], "skipped");
    assert!(facts["env"]["local"]["skipped"].is_string());
    let asked: Vec<&str> = facts["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(
        !asked
            .iter()
            .any(|n| n.contains("gmail") || n.contains("ipify")),
        "{asked:?}"
    );
    // Nothing of it changes the report: the same as with every such probe switched off.
    let (off_code, off) = check_json(&nsd, &["good.test", "--no-egress", "--no-postfix"]);
    assert_eq!(findings(&report), findings(&off));
    assert_eq!(code, off_code);

    // relay-test and --egress-target to a non-loopback address: refused before connecting.
    let (code, stdout, _) = run(mxdoctor().args([
        "relay-test",
        "192.0.2.10",
        "--format",
        "json",
        "--resolver",
        &nsd.addr(),
    ]));
    assert_eq!(code, 4);
    let relay: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(relay["verdict"], "unreachable");
    assert!(
        relay["server"]["connection"]
            .as_str()
            .unwrap()
            .contains("loopback-only")
    );
    let (_, report) = check_json(&nsd, &["good.test", "--egress-target", "192.0.2.10:25"]);
    assert!(area(&report, "net.").is_empty());
}

#[test]
fn smtp_flags_are_checked() {
    let cases: &[(&[&str], &str)] = &[
        (&["check", "good.test", "--smtp", "not a host"], "--smtp"),
        (
            &["check", "good.test", "--smtp", "mail.good.test:99999"],
            "--smtp",
        ),
        (
            &["check", "good.test", "--smtp", "x.test", "--no-smtp"],
            "cannot be used",
        ),
        (
            &["check", "good.test", "--egress-target", "ftp://x"],
            "--egress-target",
        ),
        (
            &["check", "good.test", "--ca-file", "/nonexistent/ca.pem"],
            "ca.pem",
        ),
        (
            &["check", "good.test", "--postfix-config", "/nonexistent"],
            "main.cf",
        ),
        (&["check", "good.test", "--helo", "bad name"], "--helo"),
        (&["relay-test", "mail"], "full domain name"),
        (
            &["relay-test", "mail.good.test", "--domain", "bad domain"],
            "--domain",
        ),
    ];
    for (args, needle) in cases {
        let (code, stdout, stderr) =
            run(mxdoctor().args(*args).args(["--resolver", "127.0.0.1:9"]));
        assert_eq!(code, 2, "{args:?}: {stdout} {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
