use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::postfix::Postfix;
use crate::harness::smtp_peer::{Behaviour, Peer, Script};
use crate::harness::{mxdoctor, run};

fn relay_test(args: &[&str]) -> (i32, String, String) {
    run(mxdoctor().arg("relay-test").args(args).args([
        "--resolver",
        "127.0.0.1:9",
        "--smtp-timeout",
        "3",
    ]))
}

fn relay_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = relay_test(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); exit {code}\n{stdout}\n{stderr}"));
    (code, report)
}

fn results(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["result"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn real_postfix_matrix_and_its_log_shows_no_data() {
    let postfix = Postfix::shared();
    let ca = postfix.ca_file.to_str().unwrap();
    let server = |port: u16| format!("127.0.0.1:{port}");

    let started = Instant::now();
    let (code, report) = relay_json(&[
        &server(postfix.closed),
        "--domain",
        "smtp.test",
        "--ca-file",
        ca,
    ]);
    eprintln!("relay-test, closed MX: {:?}", started.elapsed());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema"], "mxdoctor/relay-test/v1");
    assert_eq!(report["verdict"], "closed");
    assert_eq!(results(&report), vec!["refused"; 9]);
    assert_eq!(report["tls"]["version"], "TLSv1.3");
    assert_eq!(report["tls"]["certificate"], "valid");
    let first = &report["cases"][0];
    assert_eq!(first["case"], "external");
    assert_eq!(first["sender"], "mxdoctor-probe@example.com");
    assert_eq!(first["recipient"], "mxdoctor-relay-test@example.net");
    assert!(
        first["reply"]
            .as_str()
            .unwrap()
            .contains("Relay access denied"),
        "{first}"
    );

    let (code, report) = relay_json(&[
        &server(postfix.open),
        "--domain",
        "smtp.test",
        "--ca-file",
        ca,
    ]);
    assert_eq!(code, 3);
    assert_eq!(report["verdict"], "open");
    assert_eq!(results(&report), vec!["accepted"; 9]);

    let (code, report) = relay_json(&[&server(postfix.tls_only), "--domain", "smtp.test"]);
    assert_eq!(code, 0);
    assert_eq!(report["verdict"], "closed");
    assert!(
        report["tls"]["certificate"]
            .as_str()
            .unwrap()
            .starts_with("unknown-issuer")
    );

    let (code, report) = relay_json(&[
        &format!("smtps://{}", server(postfix.smtps)),
        "--domain",
        "smtp.test",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["server"]["implicit_tls"], true);

    // Text and Markdown.
    let (code, text, _) = relay_test(&[&server(postfix.open), "--domain", "smtp.test", "-v"]);
    assert_eq!(code, 3);
    assert!(text.contains("[CRIT] percent-hack"), "{text}");
    assert!(text.contains("OPEN RELAY"), "{text}");
    assert!(
        text.contains("C: RCPT TO:<@smtp.test:mxdoctor-relay-test@example.net>"),
        "{text}"
    );
    let (_, markdown, _) = relay_test(&[&server(postfix.closed), "--format", "markdown"]);
    assert!(
        markdown.starts_with("# mxdoctor relay test: [127.0.0.1]:"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| external | `<mxdoctor-probe@example.com>` |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Closed: every case was refused"),
        "{markdown}"
    );

    // Postfix logs every command it received (debug_peer_list): the relay tests reached
    // RCPT, reset each envelope, said QUIT, and never sent DATA; nothing was queued.
    let log = postfix.wait_for_log("RCPT TO:<MXDOCTOR-RELAY-TEST@EXAMPLE.NET>");
    let received: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once("]: < ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(": ").map(|(_, command)| command))
        .collect();
    assert!(
        received.contains(&"RCPT TO:<mxdoctor-relay-test@example.net>"),
        "the log does not show the commands: {log}"
    );
    let rcpts = received
        .iter()
        .filter(|c| c.starts_with("RCPT TO:"))
        .count();
    let resets = received.iter().filter(|c| **c == "RSET").count();
    assert!(rcpts >= 36 && resets >= 36, "{rcpts} RCPT, {resets} RSET");
    assert!(received.contains(&"QUIT"));
    for command in &received {
        let upper = command.to_ascii_uppercase();
        assert!(
            !upper.starts_with("DATA") && !upper.starts_with("BDAT"),
            "sent {command}"
        );
    }
    assert!(
        !log.contains("postfix/cleanup"),
        "a message was received:\n{log}"
    );
    assert!(
        !log.contains("postfix/qmgr"),
        "a message was queued:\n{log}"
    );
}

#[test]
fn an_open_relay_is_never_sent_data() {
    let mut script = Script::new("mail.relay.test ESMTP");
    script.open_relay = true;
    let peer = Peer::start(Behaviour::Smtp(script));
    let (code, report) = relay_json(&[&peer.addr(), "--domain", "relay.test"]);
    assert_eq!(code, 3);
    assert_eq!(report["verdict"], "open");
    let commands = peer.commands();
    let verbs: Vec<String> = commands
        .iter()
        .map(|c| c.split([' ', ':']).next().unwrap().to_ascii_uppercase())
        .collect();
    // EHLO, then (MAIL, RCPT, RSET) nine times, then QUIT: nothing else.
    assert_eq!(verbs[0], "EHLO");
    let envelopes: Vec<&[String]> = verbs[1..verbs.len() - 1].chunks(3).collect();
    assert_eq!(envelopes.len(), 9, "{commands:?}");
    for envelope in envelopes {
        assert_eq!(envelope, ["MAIL", "RCPT", "RSET"], "{commands:?}");
    }
    assert_eq!(verbs.last().unwrap(), "QUIT");
    assert!(!verbs.iter().any(|v| v == "DATA" || v == "BDAT"));
}

#[test]
fn hostile_servers_end_the_relay_test_in_time() {
    for behaviour in [
        Behaviour::Silent,
        Behaviour::SlowGreeting,
        Behaviour::EndlessGreeting,
        Behaviour::Garbage,
        Behaviour::ResetMidReply,
    ] {
        let peer = Peer::start(behaviour);
        let started = Instant::now();
        let (code, stdout, _) = run(mxdoctor().args([
            "relay-test",
            &peer.addr(),
            "--smtp-timeout",
            "1",
            "--resolver",
            "127.0.0.1:9",
        ]));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(code, 4, "{stdout}");
        assert!(stdout.contains("No relay case could be tried"), "{stdout}");
        assert!(stdout.contains("Session problem: greeting:"), "{stdout}");
    }
}
