//! `mxdoctor bounce` as users run it: files and standard input, the three formats, exit
//! codes, and bad input (empty, binary, broken MIME, non-UTF-8, oversized, not a bounce).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::{fixtures, mxdoctor, run};

/// Run `mxdoctor bounce ARGS` with `input` on standard input.
fn bounce_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = mxdoctor()
        .arg("bounce")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mxdoctor");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Write from a thread: a large input must not deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait mxdoctor");
    writer.join().unwrap();
    (
        out.status.code().expect("not killed"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bounce_file(args: &[&str]) -> (i32, String, String) {
    run(mxdoctor().arg("bounce").args(args))
}

fn fixture(name: &str) -> String {
    fixtures().join("bounces").join(name).display().to_string()
}

#[test]
fn explains_a_file_in_text_json_and_markdown() {
    let file = fixture("postfix-gmail-unauthenticated.eml");
    let (code, text, stderr) = bounce_file(&[&file, "--no-color"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("bob.example@gmail.com · authfailure"),
        "{text}"
    );
    assert!(
        text.contains("mxdoctor check example.org --ip 203.0.113.25"),
        "{text}"
    );

    let (code, json, _) = bounce_file(&[&file, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["schema"], "mxdoctor/bounce/v1");
    assert_eq!(v["recipients"][0]["reason"], "authfailure");
    assert_eq!(v["recipients"][0]["provider"], "google");

    let (code, md, _) = bounce_file(&[&file, "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.starts_with("# Bounce explained"), "{md}");
}

#[test]
fn reads_a_pasted_reply_from_standard_input() {
    let paste = b"550-5.7.1 [203.0.113.5] The IP you're using to send mail is not authorized to\n\
                  550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n\
                  550 5.7.1 service provider instead. a1si2 - gsmtp\n";
    for args in [vec!["-", "--format", "json"], vec!["--format", "json"]] {
        let (code, json, stderr) = bounce_stdin(&args, paste);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let r = &v["recipients"][0];
        assert_eq!(r["reason"], "blocked");
        assert_eq!(r["provider"], "google");
        assert_eq!(r["reply_code"], 550);
        assert_eq!(r["status"], "5.7.1");
        assert_eq!(r["recipient"], serde_json::Value::Null);
        assert_eq!(r["check"], "mxdoctor check DOMAIN --ip 203.0.113.5");
        let findings = r["findings"].as_array().unwrap();
        assert!(
            findings.iter().any(|f| f == "dnsbl.policy-listed"),
            "{findings:?}"
        );
    }
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    let mut x: u32 = 7;
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    std::fs::write(&junk, &bytes).unwrap();
    let huge = dir.path().join("huge.eml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let empty = dir.path().join("empty.eml");
    std::fs::write(&empty, b"").unwrap();
    let plain = dir.path().join("note.txt");
    std::fs::write(&plain, "Remember to buy milk.\n").unwrap();
    let missing = dir.path().join("missing.eml");

    let cases: Vec<(String, &str)> = vec![
        (empty.display().to_string(), "empty"),
        (junk.display().to_string(), "binary"),
        (huge.display().to_string(), "larger than 16 MiB"),
        (plain.display().to_string(), "not a bounce"),
        (fixture("not-a-bounce.eml"), "not a bounce"),
        (missing.display().to_string(), "cannot read"),
        (dir.path().display().to_string(), "directory"),
    ];
    for (path, needle) in cases {
        let (code, stdout, stderr) = bounce_file(&[&path]);
        assert_eq!(code, 2, "{path}: stdout {stdout} stderr {stderr}");
        assert!(
            stderr.contains(needle),
            "{path}: stderr should say {needle:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stdout.is_empty(), "{path}: {stdout}");
    }
}

#[test]
fn oversized_standard_input_is_refused_after_a_bounded_read() {
    let big = vec![b'a'; 17 * 1024 * 1024];
    let (code, _, stderr) = bounce_stdin(&[], &big);
    assert_eq!(code, 2);
    assert!(stderr.contains("larger than 16 MiB"), "{stderr}");
}

#[test]
fn broken_and_non_utf8_bounces_are_still_explained() {
    for (name, reason) in [
        ("broken-mime-boundary.eml", "requireptr"),
        ("latin1-notice.eml", "userunknown"),
    ] {
        let (code, json, stderr) = bounce_file(&[&fixture(name), "--format", "json"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["recipients"][0]["reason"], reason, "{name}");
    }
    // Invalid UTF-8 pasted directly.
    let (code, json, stderr) = bounce_stdin(
        &["--format", "json"],
        b"550 5.1.1 <caf\xe9@example.net>: utilisateur inconnu \xff\xfe",
    );
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["recipients"][0]["reason"], "userunknown");
}

#[test]
fn help_documents_the_size_limit() {
    let out = Command::new(env!("CARGO_BIN_EXE_mxdoctor"))
        .args(["bounce", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let one_line = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(one_line.contains("At most 16 MiB"), "{help}");
}
