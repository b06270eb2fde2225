//! `generate` output checked by the programs that consume it: named-checkzone, NSD + dig,
//! nsupdate, opendkim-testkey, openssl; and the file-writing contract (0600 secrets,
//! --force, --dry-run, injection attempts rejected with the field named).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Nsd, fixtures, mxdoctor, nsd::which, run};

/// The fixture answers of a server that sends directly and receives mail.
pub fn direct_answers() -> PathBuf {
    fixtures().join("answers/direct.yaml")
}

/// Run `mxdoctor generate ARGS --out DIR`; panics unless it succeeds.
pub fn generate(out: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(mxdoctor().arg("generate").args(args).arg("--out").arg(out));
    assert_eq!(
        code, 0,
        "generate failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// dns/zone.txt inside a minimal zone (SOA, NS) written as `<zone>.zone` in `dir`.
pub fn zone_file(out: &Path, zone: &str, dir: &Path) -> PathBuf {
    let text = format!(
        "$TTL 3600\n@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n@ IN NS ns1.{zone}.\nns1.{zone}. IN A 127.0.0.1\n{}",
        read(&out.join("dns/zone.txt"))
    );
    let path = dir.join(format!("{zone}.zone"));
    std::fs::write(&path, text).unwrap();
    path
}

pub fn tool(name: &str) -> PathBuf {
    which(name)
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/install-test-deps.sh"))
}

/// `dig +short` against the test server; TXT character-strings joined.
pub fn dig(nsd: &Nsd, name: &str, rtype: &str) -> Vec<String> {
    let out = Command::new(tool("dig"))
        .args([
            "@127.0.0.1",
            "-p",
            &nsd.port.to_string(),
            "+short",
            "+norecurse",
            name,
            rtype,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            if l.starts_with('"') {
                l.split("\" \"")
                    .collect::<String>()
                    .trim_matches('"')
                    .to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// records.tsv rows as (name, type, value).
fn tsv(out: &Path) -> Vec<(String, String, String, String)> {
    read(&out.join("dns/records.tsv"))
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad TSV line {l:?}");
            (
                cols[0].into(),
                cols[1].into(),
                cols[3].into(),
                cols[4].into(),
            )
        })
        .collect()
}

#[test]
fn zone_is_valid_and_serves_exactly_the_tsv_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    generate(&out, &["--answers", direct_answers().to_str().unwrap()]);
    let zones = tmp.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    let zone = zone_file(&out, "example.test", &zones);
    let check = Command::new(tool("named-checkzone"))
        .args(["-k", "fail", "-M", "fail", "-n", "fail", "example.test"])
        .arg(&zone)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "named-checkzone:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // Every TXT line of the zone: strings of at most 255 bytes, all on one line.
    for line in read(&out.join("dns/zone.txt"))
        .lines()
        .filter(|l| l.contains(" TXT "))
    {
        assert!(!line.contains('('), "{line}");
        let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert!(strings.iter().all(|s| s.len() <= 255), "{line}");
    }
    let nsd = Nsd::start(&[&zones]);
    let rows = tsv(&out);
    assert!(rows.len() >= 10, "{rows:?}");
    for (name, rtype, value, zone) in &rows {
        assert!(!value.contains('"'), "TSV value must be unquoted: {value}");
        let fqdn = if name == "@" {
            zone.clone()
        } else {
            format!("{name}.{zone}")
        };
        let got = dig(&nsd, &fqdn, rtype);
        let want = if rtype == "MX" {
            format!("{value}.")
        } else {
            value.clone()
        };
        assert!(
            got.contains(&want),
            "{fqdn} {rtype}: served {got:?}, TSV says {want:?}"
        );
    }
    let dkim = rows.iter().find(|r| r.0 == "mail2026._domainkey").unwrap();
    assert!(dkim.2.len() > 300, "the DKIM value is one unsplit string");
}

#[test]
fn plan_dig_commands_work_against_the_published_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    generate(&out, &["--answers", direct_answers().to_str().unwrap()]);
    let zones = tmp.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    zone_file(&out, "example.test", &zones);
    let nsd = Nsd::start(&[&zones]);
    let plan = read(&out.join("plan.md"));
    let digs: Vec<&str> = plan
        .lines()
        .filter(|l| l.starts_with("dig +short") && !l.contains(" -x "))
        .collect();
    assert!(digs.len() >= 7, "{digs:?}");
    for command in digs {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = Command::new(tool("dig"))
            .args(["@127.0.0.1", "-p", &nsd.port.to_string()])
            .args(&args)
            .output()
            .unwrap();
        let answer = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !answer.trim().is_empty(),
            "{command}: no answer"
        );
    }
}

#[test]
fn nsupdate_accepts_the_update_script() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    generate(
        &out,
        &[
            "--answers",
            direct_answers().to_str().unwrap(),
            "--dmarc-rua",
            "dmarc@reports.example.net",
        ],
    );
    let script = read(&out.join("dns/nsupdate.txt"));
    assert!(script.contains("zone reports.example.net."), "{script}");
    // Port 9 on loopback is closed: nsupdate parses everything, then fails to send.
    let path = tmp.path().join("update.txt");
    std::fs::write(&path, format!("server 127.0.0.1 9\n{script}")).unwrap();
    let result = Command::new(tool("nsupdate"))
        .args(["-t", "2", "-u", "1", "-r", "0"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        !stderr.contains("syntax error") && !stderr.contains("invalid"),
        "{stderr}"
    );
    assert!(
        stderr.contains("127.0.0.1#9"),
        "nsupdate did not get to sending: {stderr}"
    );
    // The authorisation record for the report domain is a valid zone of its own.
    let auth = read(&out.join("dns/report-auth.zone.txt"));
    assert!(auth.contains("example.test._report._dmarc"), "{auth}");
    let zone = tmp.path().join("auth.zone");
    std::fs::write(
        &zone,
        format!(
            "$TTL 3600\n@ IN SOA ns1 h 1 3600 600 86400 300\n@ IN NS ns1.example.test.\n{auth}"
        ),
    )
    .unwrap();
    let check = Command::new(tool("named-checkzone"))
        .arg("reports.example.net")
        .arg(&zone)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// A libunbound configuration that sends every query to the test server (libunbound
/// answers NXDOMAIN for `.test` by itself unless told otherwise).
pub fn opendkim_config(dir: &Path, nsd: &Nsd) -> PathBuf {
    let unbound = dir.join("unbound.conf");
    std::fs::write(
        &unbound,
        format!(
            "server:\n  local-zone: \"test.\" nodefault\n  module-config: \"iterator\"\n  use-syslog: no\nforward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@{}\n",
            nsd.port
        ),
    )
    .unwrap();
    let conf = dir.join("opendkim.conf");
    std::fs::write(
        &conf,
        format!("ResolverConfiguration {}\n", unbound.display()),
    )
    .unwrap();
    conf
}

/// The base64 public key derived from a private key file by OpenSSL (SPKI DER for RSA, the
/// raw 32 bytes for Ed25519).
pub fn openssl_public_key(private: &Path, ed25519: bool) -> String {
    let out = Command::new(tool("openssl"))
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(private)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cannot read {}",
        private.display()
    );
    let der = if ed25519 {
        out.stdout[out.stdout.len() - 32..].to_vec()
    } else {
        out.stdout
    };
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der)
}

#[test]
fn dkim_keys_match_their_published_records() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    generate(
        &out,
        &[
            "--answers",
            direct_answers().to_str().unwrap(),
            "--dkim-algorithms",
            "rsa,ed25519",
        ],
    );
    let zones = tmp.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    zone_file(&out, "example.test", &zones);
    let nsd = Nsd::start(&[&zones]);
    let conf = opendkim_config(tmp.path(), &nsd);
    for (selector, ed25519) in [("mail2026-rsa", false), ("mail2026-ed25519", true)] {
        let key = out.join(format!("dkim/{selector}.private"));
        let published = dig(&nsd, &format!("{selector}._domainkey.example.test"), "TXT");
        let p = published[0].rsplit_once("p=").unwrap().1.to_string();
        assert_eq!(
            p,
            openssl_public_key(&key, ed25519),
            "{selector}: p= differs from the key"
        );
        if !ed25519 {
            // opendkim-testkey compares RSA keys only ("expecting an rsa key" otherwise).
            let test = Command::new(tool("opendkim-testkey"))
                .arg("-x")
                .arg(&conf)
                .args(["-d", "example.test", "-s", selector, "-vvv", "-k"])
                .arg(&key)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&test.stderr).into_owned()
                + &String::from_utf8_lossy(&test.stdout);
            assert!(test.status.success() && text.contains("key OK"), "{text}");
        }
    }
    let signing = read(&out.join("dkim/SigningTable"));
    assert_eq!(
        signing
            .lines()
            .filter(|l| l.starts_with("*@example.test "))
            .count(),
        2
    );
    assert!(read(&out.join("dkim/opendkim.conf.snippet")).contains("MultipleSignatures"));
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn secrets_are_0600_and_never_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let password = "s3cr3t-Pa55w0rd-xyzzy";
    let pw_file = tmp.path().join("relay.pw");
    std::fs::write(&pw_file, format!("{password}\n")).unwrap();
    let answers = direct_answers();
    let args = [
        "--answers",
        answers.to_str().unwrap(),
        "--outbound",
        "smarthost",
        "--smarthost-provider",
        "sendgrid",
        "--smarthost-username",
        "apikey",
        "--smarthost-password-file",
        pw_file.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(mxdoctor()
        .arg("generate")
        .args(args)
        .arg("--out")
        .arg(&out)
        .args(["-v"]));
    assert_eq!(code, 0, "{stderr}");
    let (_, json_stdout, _) = run(mxdoctor()
        .arg("generate")
        .args(args)
        .args(["--dry-run", "--format", "json", "--out"])
        .arg(&out));
    let sasl = out.join("postfix/sasl_passwd");
    assert_eq!(mode(&sasl), 0o600);
    assert_eq!(mode(&out.join("dkim/mail2026.private")), 0o600);
    assert_eq!(mode(&out.join("postfix/apply.sh")), 0o755);
    assert_eq!(mode(&out.join("plan.md")), 0o644);
    assert!(read(&sasl).contains(&format!("[smtp.sendgrid.net]:587 apikey:{password}")));
    let key = read(&out.join("dkim/mail2026.private"));
    let key_body: String = key.lines().nth(1).unwrap().to_string();
    for (what, text) in [
        ("stdout", stdout.clone()),
        ("stderr", stderr),
        ("json stdout", json_stdout),
        ("plan.md", read(&out.join("plan.md"))),
        ("answers.yaml", read(&out.join("answers.yaml"))),
        (
            "main.cf.snippet",
            read(&out.join("postfix/main.cf.snippet")),
        ),
        ("apply.sh", read(&out.join("postfix/apply.sh"))),
    ] {
        assert!(!text.contains(password), "the password shows in {what}");
        assert!(!text.contains(&key_body), "the private key shows in {what}");
    }
    assert!(read(&out.join("answers.yaml")).contains("password_file"));
    // A password file of more than one line is refused without echoing it.
    std::fs::write(&pw_file, format!("{password}\nrelayhost = evil\n")).unwrap();
    let (code, _, stderr) = run(mxdoctor()
        .arg("generate")
        .args(args)
        .arg("--out")
        .arg(tmp.path().join("o2")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("smarthost.password_file") && !stderr.contains(password),
        "{stderr}"
    );
}

#[test]
fn force_dry_run_and_kept_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let answers = direct_answers();
    let args = ["--answers", answers.to_str().unwrap()];
    // Dry run on an empty directory: lists, writes nothing.
    let stdout = generate(&out, &[args[0], args[1], "--dry-run"]);
    assert!(
        stdout.contains("would write") && stdout.contains("plan.md"),
        "{stdout}"
    );
    assert!(!out.exists());
    generate(&out, &args);
    let record = |out: &Path| {
        tsv(out)
            .into_iter()
            .find(|r| r.0 == "mail2026._domainkey")
            .unwrap()
            .2
    };
    let first = record(&out);
    // Without --force: refused, every conflicting file listed, nothing changed.
    std::fs::write(out.join("plan.md"), "edited").unwrap();
    let (code, _, stderr) = run(mxdoctor().arg("generate").args(args).arg("--out").arg(&out));
    assert_eq!(code, 2);
    for f in [
        "dns/zone.txt",
        "postfix/main.cf.snippet",
        "plan.md",
        "answers.yaml",
    ] {
        assert!(stderr.contains(f), "{f} not listed in:\n{stderr}");
    }
    assert!(stderr.contains("--force"));
    assert_eq!(read(&out.join("plan.md")), "edited");
    // Dry run on the full directory names the files that exist.
    let stdout = generate(&out, &[args[0], args[1], "--dry-run"]);
    assert!(
        stdout.contains("exists") && stdout.contains("--force"),
        "{stdout}"
    );
    // With --force: rewritten, but the DKIM key (already published) is kept.
    let stdout = generate(&out, &[args[0], args[1], "--force"]);
    assert!(stdout.contains("dkim/mail2026.private"), "{stdout}");
    assert_ne!(read(&out.join("plan.md")), "edited");
    assert_eq!(
        record(&out),
        first,
        "a re-run must not change the published DKIM key"
    );
    // Generated answers read back to the same output.
    let again = tmp.path().join("again");
    std::fs::create_dir_all(again.join("dkim")).unwrap();
    std::fs::copy(
        out.join("dkim/mail2026.private"),
        again.join("dkim/mail2026.private"),
    )
    .unwrap();
    generate(
        &again,
        &["--answers", out.join("answers.yaml").to_str().unwrap()],
    );
    for f in [
        "dns/zone.txt",
        "postfix/main.cf.snippet",
        "postfix/master.cf.snippet",
        "plan.md",
    ] {
        assert_eq!(read(&out.join(f)), read(&again.join(f)), "{f} differs");
    }
}

#[test]
fn injection_attempts_are_rejected_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let base = ["--domain", "example.test", "--ipv4", "192.0.2.10"];
    let flag_cases: &[(&str, &str, &str)] = &[
        ("--domain", "example.test\nevil IN A 192.0.2.66", "domain"),
        (
            "--hostname",
            "mail.example.test. IN A 192.0.2.66",
            "hostname",
        ),
        ("--ipv4", "192.0.2.10\n@ IN TXT x", "ipv4"),
        ("--ipv6", "2001:db8::1 ; x", "ipv6"),
        (
            "--receives-mail",
            "yes\nmynetworks = 0.0.0.0/0",
            "receives_mail",
        ),
        ("--outbound", "direct\nrelayhost = evil", "outbound"),
        (
            "--smarthost-provider",
            "generic\nrelayhost=evil",
            "smarthost.provider",
        ),
        (
            "--smarthost-host",
            "relay.example.net\nmynetworks = 0.0.0.0/0",
            "smarthost.host",
        ),
        ("--smarthost-port", "587\nx", "smarthost.port"),
        (
            "--smarthost-username",
            "me\nrelayhost = evil",
            "smarthost.username",
        ),
        (
            "--smarthost-password-file",
            "/tmp/x\ny",
            "smarthost.password_file",
        ),
        (
            "--smarthost-destinations",
            "outlook.com,evil\"domain",
            "smarthost.destinations",
        ),
        (
            "--smarthost-spf-include",
            "x.example +all",
            "smarthost.spf_include",
        ),
        ("--dkim-selector", "mail\" \"p=evil", "dkim.selector"),
        ("--dkim-algorithms", "rsa;ed25519", "dkim.algorithms"),
        ("--dkim-rsa-bits", "2048 -all", "dkim.rsa_bits"),
        (
            "--dmarc-policy",
            "none; rua=mailto:x@evil.example",
            "dmarc.policy",
        ),
        ("--dmarc-rua", "a@example.test; p=none", "dmarc.rua"),
        (
            "--mta-sts-mode",
            "testing\nmx: evil.example",
            "mta_sts.mode",
        ),
        (
            "--tls-rpt-rua",
            "x@example.test,mailto:y@evil.example",
            "tls_rpt.rua",
        ),
    ];
    for (flag, value, field) in flag_cases {
        let mut args: Vec<&str> = base
            .chunks(2)
            .filter(|pair| pair[0] != *flag)
            .flatten()
            .copied()
            .collect();
        args.extend([*flag, *value]);
        if flag.starts_with("--smarthost") {
            args.extend(["--outbound", "smarthost"]);
        }
        let (code, stdout, stderr) = run(mxdoctor()
            .arg("generate")
            .args(&args)
            .arg("--out")
            .arg(&out));
        assert_eq!(code, 2, "{flag}={value:?} accepted:\n{stdout}");
        assert!(
            stderr.contains(&format!("{field}:")),
            "{flag}: field {field} not named in:\n{stderr}"
        );
        assert!(!out.exists(), "{flag}: files were written");
    }
    // The same through an answers file.
    let file_cases = [
        ("domain: \"example.test\\n@ IN A 192.0.2.66\"\n", "domain"),
        (
            "domain: example.test\nhostname: \"mail.example.test\\\"\"\n",
            "hostname",
        ),
        (
            "domain: example.test\ndkim: {selector: \"s;1\"}\n",
            "dkim.selector",
        ),
        (
            "domain: example.test\ndmarc: {rua: \"d@example.test\\\" \\\"p=reject\"}\n",
            "dmarc.rua",
        ),
        (
            "domain: example.test\noutbound: smarthost\nsmarthost: {provider: generic, host: \"r.example.net\\nrelayhost = x\"}\n",
            "smarthost.host",
        ),
        (
            "domain: example.test\noutbound: smarthost\nsmarthost: {provider: sendgrid, username: \"apikey\\nx\", password_file: /p}\n",
            "smarthost.username",
        ),
    ];
    for (yaml, field) in file_cases {
        let path = tmp.path().join("answers.yaml");
        std::fs::write(&path, yaml).unwrap();
        let (code, _, stderr) = run(mxdoctor()
            .arg("generate")
            .arg("--answers")
            .arg(&path)
            .arg("--out")
            .arg(&out));
        assert_eq!(code, 2, "{yaml:?} accepted");
        assert!(
            stderr.contains(&format!("{field}:")),
            "{field} not named in:\n{stderr}"
        );
    }
    let path = tmp.path().join("typo.yaml");
    std::fs::write(&path, "domain: example.test\nsmarthost_host: x\n").unwrap();
    let (code, _, stderr) = run(mxdoctor()
        .arg("generate")
        .arg("--answers")
        .arg(&path)
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("smarthost_host") && stderr.contains("line 2"),
        "{stderr}"
    );
}

#[test]
fn facts_limit_the_plan_to_what_the_check_found() {
    let tmp = tempfile::tempdir().unwrap();
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let facts = tmp.path().join("facts.json");
    // nomx.test has no MX; 192.0.2.12 has no PTR.
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "check",
            "nomx.test",
            "--ip",
            "192.0.2.12",
            "--resolver",
            &nsd.addr(),
            "--facts-out",
        ])
        .arg(&facts));
    assert!(code != 2, "{stderr}");
    let out = tmp.path().join("out");
    generate(
        &out,
        &[
            "--domain",
            "nomx.test",
            "--ipv4",
            "192.0.2.12",
            "--facts",
            facts.to_str().unwrap(),
        ],
    );
    let plan = read(&out.join("plan.md"));
    let titles: Vec<&str> = plan.lines().filter(|l| l.starts_with("## ")).collect();
    assert!(titles.iter().any(|t| t.contains("MX record")), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("PTR")), "{titles:?}");
    assert!(plan.contains("`mx.missing`"), "{plan}");
    assert!(
        !titles.iter().any(|t| t.contains("Close the relay")),
        "{titles:?}"
    );
    let report: serde_json::Value = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert_eq!(report["schema"], "mxdoctor/report/v1");
    // Blind, every applicable step is there, in order.
    let blind = tmp.path().join("blind");
    generate(&blind, &["--domain", "nomx.test", "--ipv4", "192.0.2.12"]);
    let plan = read(&blind.join("plan.md"));
    let order = [
        "port 25",
        "PTR",
        "MX record",
        "Close the relay",
        "TLS",
        "SPF",
        "DKIM",
        "DMARC with",
        "DMARC reports",
        "quarantine",
        "MTA-STS",
        "TLS reports",
        "blocklists",
        "sender programs",
    ];
    let mut at = 0;
    for want in order {
        let found = plan[at..]
            .find(want)
            .unwrap_or_else(|| panic!("{want} missing or out of order"));
        at += found;
    }
    assert!(!blind.join("report.json").exists());
    // Facts about another domain are refused.
    let (code, _, stderr) = run(mxdoctor()
        .args(["generate", "--domain", "other.test", "--facts"])
        .arg(&facts)
        .arg("--out")
        .arg(tmp.path().join("x")));
    assert_eq!(code, 2);
    assert!(stderr.contains("nomx.test"), "{stderr}");
}

/// With the facts of a check, the generated records merge with what is published: one SPF
/// record that keeps the provider's include and adds the server, and the stricter DMARC
/// policy kept.
#[test]
fn records_merge_with_what_a_check_found_published() {
    let tmp = tempfile::tempdir().unwrap();
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let facts = tmp.path().join("facts.json");
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "check",
            "merge.test",
            "--resolver",
            &nsd.addr(),
            "--facts-out",
        ])
        .arg(&facts));
    assert!(code != 2, "{stderr}");
    let out = tmp.path().join("out");
    generate(
        &out,
        &[
            "--domain",
            "merge.test",
            "--hostname",
            "mail.merge.test",
            "--ipv4",
            "192.0.2.50",
            "--facts",
            facts.to_str().unwrap(),
        ],
    );
    let zone = read(&out.join("dns/zone.txt"));
    let spf: Vec<&str> = zone.lines().filter(|l| l.contains("v=spf1")).collect();
    assert_eq!(spf.len(), 1, "one SPF record: {zone}");
    assert!(
        spf[0].contains("include:_spf.provider.merge.test"),
        "{}",
        spf[0]
    );
    assert!(spf[0].contains("ip4:192.0.2.50"), "{}", spf[0]);
    let dmarc: Vec<&str> = zone.lines().filter(|l| l.contains("v=DMARC1")).collect();
    assert!(
        dmarc.iter().all(|l| !l.contains("p=none")),
        "a published p=quarantine is never weakened: {dmarc:?}"
    );
}
