//! The bounce explainer as a library: pasted replies and fixture bounces written for
//! mxdoctor, the JSON contract, and every playbook text rendered in strict mode.

use std::path::PathBuf;
use std::sync::OnceLock;

use mxdoctor::assets::Assets;
use mxdoctor::bounce::report::BounceReport;
use mxdoctor::bounce::{BounceError, Explainer};
use mxdoctor::render::Renderer;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces")
}

/// One explainer and renderer for all tests of this file (compiling the patterns once).
fn explainer() -> &'static (Explainer, Renderer) {
    static ONCE: OnceLock<(Explainer, Renderer)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let assets = Assets::default();
        (
            Explainer::new(&assets).expect("bounce playbooks load"),
            Renderer::new(&assets, false).expect("templates load"),
        )
    })
}

fn explain(bytes: &[u8]) -> Result<BounceReport, BounceError> {
    let (explainer, renderer) = explainer();
    explainer.explain(bytes, renderer)
}

#[test]
fn pasted_replies_get_their_reason_and_provider() {
    let table = std::fs::read_to_string(fixtures().join("replies.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in table.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (Some(reason), Some(provider), Some(text)) = (cols.next(), cols.next(), cols.next())
        else {
            panic!("bad line in replies.tsv: {line}");
        };
        count += 1;
        let text = text.replace("\\n", "\n");
        match explain(text.as_bytes()) {
            Ok(report) => {
                let r = &report.recipients[0];
                let want_provider = (provider != "-").then_some(provider);
                if r.reason != reason
                    || (want_provider.is_some() && r.provider.as_deref() != want_provider)
                {
                    failures.push(format!(
                        "{text}\n    want {reason}/{provider}, got {}/{} ({:?} {:?})",
                        r.reason,
                        r.provider.as_deref().unwrap_or("-"),
                        r.matched_by,
                        r.pattern
                    ));
                }
            }
            Err(e) => failures.push(format!("{text}\n    error: {e}")),
        }
    }
    assert!(count > 150, "only {count} replies in the table");
    assert!(
        failures.is_empty(),
        "{} of {count} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

struct Case {
    file: &'static str,
    /// (recipient, reason, provider)
    recipients: &'static [(&'static str, &'static str, Option<&'static str>)],
    sender_domain: Option<&'static str>,
    sending_ip: Option<&'static str>,
    check: Option<&'static str>,
}

#[test]
fn fixture_bounces_are_explained() {
    let cases = [
        Case {
            file: "postfix-gmail-unauthenticated.eml",
            recipients: &[("bob.example@gmail.com", "authfailure", Some("google"))],
            sender_domain: Some("example.org"),
            sending_ip: Some("203.0.113.25"),
            check: Some("mxdoctor check example.org --ip 203.0.113.25"),
        },
        Case {
            file: "postfix-two-recipients.eml",
            recipients: &[
                ("dave@example.net", "mailboxfull", None),
                ("erin@example.net", "userunknown", None),
            ],
            sender_domain: Some("example.com"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "exim-spamhaus.eml",
            recipients: &[("grace@example.net", "blocked", None)],
            sender_domain: Some("example.org"),
            sending_ip: Some("203.0.113.40"),
            check: Some("mxdoctor check example.org --ip 203.0.113.40"),
        },
        Case {
            file: "office365-dmarc.eml",
            recipients: &[("ivan@contoso.example", "authfailure", Some("microsoft"))],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: Some("mxdoctor check example.org --ip IP"),
        },
        Case {
            file: "sendmail-user-unknown.eml",
            recipients: &[("ken@example.com", "userunknown", None)],
            sender_domain: Some("example.jp"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "qmail-helo-rejected.eml",
            recipients: &[("mia@example.org", "blocked", None)],
            sender_domain: Some("example.net"),
            sending_ip: None,
            check: Some("mxdoctor check example.net --ip IP"),
        },
        Case {
            file: "global-dsn-utf8.eml",
            recipients: &[("用户@例子.example", "userunknown", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "ses-bounce.json",
            recipients: &[("olivia@example.net", "mailboxfull", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "arf-complaint.eml",
            recipients: &[("paul@example.net", "feedback", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "out-of-office.eml",
            recipients: &[("quinn@example.net", "vacation", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "postfix-greylisted-delay.eml",
            recipients: &[("tina@example.net", "blocked", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "exchange-text-ndr.eml",
            recipients: &[("victor@example.com", "userunknown", Some("microsoft"))],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
        Case {
            file: "broken-mime-boundary.eml",
            recipients: &[("xavier@example.net", "requireptr", None)],
            sender_domain: Some("example.org"),
            sending_ip: Some("203.0.113.25"),
            check: Some("mxdoctor check example.org --ip 203.0.113.25"),
        },
        Case {
            file: "latin1-notice.eml",
            recipients: &[("béa@example.net", "userunknown", None)],
            sender_domain: Some("example.org"),
            sending_ip: None,
            check: None,
        },
    ];
    for case in cases {
        let bytes = std::fs::read(fixtures().join(case.file)).unwrap();
        let report = explain(&bytes).unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let got: Vec<(String, String, Option<String>)> = report
            .recipients
            .iter()
            .map(|r| {
                (
                    r.recipient.clone().unwrap_or_default(),
                    r.reason.clone(),
                    r.provider.clone(),
                )
            })
            .collect();
        let want: Vec<(String, String, Option<String>)> = case
            .recipients
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.map(str::to_string)))
            .collect();
        assert_eq!(got, want, "{}", case.file);
        assert_eq!(
            report.sender_domain.as_deref(),
            case.sender_domain,
            "{}",
            case.file
        );
        assert_eq!(
            report.sending_ip.as_deref(),
            case.sending_ip,
            "{}",
            case.file
        );
        assert_eq!(
            report.recipients[0].check.as_deref(),
            case.check,
            "{}",
            case.file
        );
    }
}

#[test]
fn a_gmail_bounce_has_every_field_of_the_contract() {
    let bytes = std::fs::read(fixtures().join("postfix-gmail-unauthenticated.eml")).unwrap();
    let report = explain(&bytes).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["schema"], "mxdoctor/bounce/v1");
    let r = &json["recipients"][0];
    for key in [
        "recipient",
        "action",
        "status",
        "reply_code",
        "diagnostic",
        "remote_mta",
        "reason",
        "provider",
        "findings",
        "explanation",
        "fix",
    ] {
        assert!(r.get(key).is_some(), "missing {key} in {r}");
    }
    assert_eq!(r["action"], "failed");
    assert_eq!(r["status"], "5.7.26");
    assert_eq!(r["reply_code"], 550);
    assert_eq!(r["remote_mta"], "gmail-smtp-in.l.google.com");
    assert_eq!(r["smtp_command"], "DATA");
    assert!(
        r["diagnostic"].as_str().unwrap().starts_with(
            "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender"
        ),
        "{}",
        r["diagnostic"]
    );
    let findings: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        findings.contains(&"spf.missing") && findings.contains(&"dkim.missing"),
        "{findings:?}"
    );
    assert_eq!(
        r["status_meaning"]["detail"],
        "Multiple authentication checks failed"
    );
    assert!(r["explanation"].as_str().unwrap().contains("example.org"));
    assert!(r["fix"].as_str().unwrap().contains("DKIM"));
}

#[test]
fn blocklist_rejections_name_the_list_and_the_commands() {
    let report = explain(
        b"554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9",
    )
    .unwrap();
    let r = &report.recipients[0];
    assert_eq!(r.reason, "blocked");
    assert_eq!(r.blocklist.as_deref(), Some("Spamhaus (ZEN)"));
    assert_eq!(r.findings[0], "dnsbl.listed");
    assert_eq!(
        r.check.as_deref(),
        Some("mxdoctor check DOMAIN --ip 203.0.113.9")
    );
    assert_eq!(r.commands, ["mxdoctor blocklist 203.0.113.9"]);
    assert!(!r.temporary);

    let pbl = explain(b"550 5.7.1 203.0.113.9 is listed in pbl.spamhaus.org").unwrap();
    assert_eq!(pbl.recipients[0].findings[0], "dnsbl.policy-listed");
}

#[test]
fn greylisting_is_temporary_and_needs_no_check() {
    let report = explain(b"451 4.7.1 Greylisting in action, please come back later").unwrap();
    let r = &report.recipients[0];
    assert!(r.temporary);
    assert_eq!(r.check, None);
    assert!(r.explanation.contains("greylisting"), "{}", r.explanation);
}

#[test]
fn codes_get_their_rfc_meaning() {
    let report =
        explain(b"550 5.1.1 <x@example.net>: Recipient address rejected: User unknown").unwrap();
    let r = &report.recipients[0];
    let meaning = r.status_meaning.as_ref().unwrap();
    assert!(
        meaning.class.starts_with("Permanent failure"),
        "{}",
        meaning.class
    );
    assert!(
        meaning.subject.starts_with("Addressing status"),
        "{}",
        meaning.subject
    );
    assert!(
        meaning
            .detail
            .as_deref()
            .unwrap()
            .starts_with("Bad destination mailbox address")
    );
    assert!(
        r.reply_meaning
            .as_deref()
            .unwrap()
            .contains("Mailbox unavailable")
    );

    // A provider detail outside the registry: class and subject only.
    let ms = explain(b"550 5.7.606 Access denied, banned sending IP [203.0.113.9]").unwrap();
    let m = ms.recipients[0].status_meaning.as_ref().unwrap();
    assert!(m.subject.starts_with("Security or policy"));
    assert_eq!(m.detail, None);
}

#[test]
fn inputs_that_are_not_bounces_are_refused() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"hello, how are you?", "not a bounce"),
        (&[0u8, 159, 146, 150, 1, 2, 3, 4, 0, 0, 7, 8], "binary"),
        (
            b"From: a@example.org\nTo: b@example.net\nSubject: hi\n\nJust saying hello.\n",
            "not a bounce",
        ),
    ];
    for (input, needle) in cases {
        let err = explain(input).expect_err(needle);
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    // Pseudo-random bytes of many lengths, then text-like noise, then broken structures.
    let mut x: u32 = 2463534242;
    for len in [1usize, 7, 64, 500, 4096, 70_000] {
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push((x % 95 + 32) as u8);
        }
        inputs.push(v);
    }
    inputs.push(
        b"Content-Type: multipart/report; boundary=\"x\"\nFrom: a@b\n\n--x\n--x\n--x--".to_vec(),
    );
    inputs.push(b"From: MAILER-DAEMON@x\nSubject: Undelivered\n\n".to_vec());
    inputs.push(b"Final-Recipient: rfc822;\nAction:\nStatus: 9.9.9\nDiagnostic-Code: ;\n".to_vec());
    inputs.push("550-".repeat(5000).into_bytes());
    inputs.push(format!("550 5.1.1 {}", "<".repeat(20_000)).into_bytes());
    inputs.push(
        format!(
            "From: a@b\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n{}",
            "--b\nContent-Type: multipart/mixed; boundary=b\n\n".repeat(300)
        )
        .into_bytes(),
    );
    inputs.push(
        b"{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{}]}}".to_vec(),
    );
    inputs.push(b"{\"notificationType\":\"Bounce\"".to_vec());
    // Every fixture cut short at many points and with bytes flipped.
    let mut dir: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dir.sort();
    for path in dir {
        let bytes = std::fs::read(&path).unwrap();
        for step in 1..=12 {
            let cut = bytes.len() * step / 13;
            inputs.push(bytes[..cut].to_vec());
            let mut flipped = bytes.clone();
            for i in (step * 7..flipped.len()).step_by(97 + step) {
                flipped[i] = flipped[i].wrapping_add((step as u8).wrapping_mul(31));
            }
            inputs.push(flipped);
        }
    }
    for input in inputs {
        let _ = explain(&input);
    }
}

#[test]
fn every_playbook_text_renders_with_and_without_values() {
    let (explainer, renderer) = explainer();
    let book = explainer.book();
    let empty = serde_json::json!({
        "recipient": null, "recipient_domain": null, "domain": null, "ip": null,
        "remote_mta": null, "provider_name": null, "postmaster": null, "blocklist": null,
        "blocklist_lookup": null, "status": null, "reply_code": null, "check": null,
        "temporary": false,
    });
    let full = serde_json::json!({
        "recipient": "bob@example.net", "recipient_domain": "example.net", "domain": "example.org",
        "ip": "203.0.113.5", "remote_mta": "mx.example.net", "provider_name": "Example Mail",
        "postmaster": "https://postmaster.example", "blocklist": "Example BL",
        "blocklist_lookup": "https://bl.example", "status": "5.7.1", "reply_code": 550,
        "check": "mxdoctor check example.org --ip 203.0.113.5", "temporary": true,
    });
    let mut texts: Vec<(String, &str)> = Vec::new();
    for (id, reason) in &book.reasons {
        texts.push((format!("reason {id} title"), &reason.title));
        texts.push((format!("reason {id} explanation"), &reason.explanation));
        texts.push((format!("reason {id} fix"), &reason.fix));
    }
    for ranked in &book.patterns {
        let p = &ranked.pattern;
        if let Some(e) = &p.explanation {
            texts.push((format!("pattern {} explanation", p.id), e));
        }
        if let Some(f) = &p.fix {
            texts.push((format!("pattern {} fix", p.id), f));
        }
    }
    for (name, text) in texts {
        for data in [&empty, &full] {
            let out = renderer
                .render_str(&name, text, data)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!out.trim().is_empty(), "{name} renders empty");
            assert!(!out.contains("{{"), "{name}: {out}");
        }
    }
}

#[test]
fn templates_render_text_and_markdown() {
    let (_, renderer) = explainer();
    let bytes = std::fs::read(fixtures().join("postfix-two-recipients.eml")).unwrap();
    let report = explain(&bytes).unwrap();
    let text = report.to_template(renderer, "text").unwrap();
    assert!(text.starts_with("mxdoctor bounce · 2 recipients"), "{text}");
    for needle in [
        "dave@example.net · mailboxfull",
        "erin@example.net · userunknown",
        "The server said:",
        "552 5.2.2 <dave@example.net>: Recipient address rejected: Mailbox full",
        "Status 5.2.2: Permanent failure",
        "Remote server: mx1.example.net, in reply to RCPT",
        "Why:",
        "Fix:",
    ] {
        assert!(text.contains(needle), "text lacks {needle:?}:\n{text}");
    }
    assert!(
        !text.contains("Re-check"),
        "nothing to re-check for recipients' problems:\n{text}"
    );

    let gmail =
        explain(&std::fs::read(fixtures().join("postfix-gmail-unauthenticated.eml")).unwrap())
            .unwrap();
    let md = gmail.to_template(renderer, "markdown").unwrap();
    for needle in [
        "# Bounce explained: 1 recipient",
        "## `bob.example@gmail.com`: authfailure",
        "| Status | `5.7.26`",
        "| Provider | Gmail / Google Workspace",
        "```sh\nmxdoctor check example.org --ip 203.0.113.25\n```",
        "Re-check `spf.missing`, ",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle:?}:\n{md}");
    }
    let text = gmail.to_template(renderer, "text").unwrap();
    assert!(
        text.contains("Re-check: spf.missing, spf.ip-not-permitted"),
        "{text}"
    );
    assert!(
        text.contains("    mxdoctor check example.org --ip 203.0.113.25"),
        "{text}"
    );
}
