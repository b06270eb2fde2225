//! `mxdoctor dkim keygen`: keys (0600), records and OpenDKIM settings, checked with NSD,
//! opendkim-testkey and OpenSSL.

use std::collections::BTreeMap;
use std::process::Command;

use crate::generate::{dig, mode, opendkim_config, openssl_public_key, read, tool};
use crate::harness::{Nsd, mxdoctor, run};

#[test]
fn keygen_writes_keys_records_and_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys");
    let (code, stdout, stderr) = run(mxdoctor()
        .args([
            "dkim",
            "keygen",
            "--domain",
            "example.test",
            "--selector",
            "k1",
            "--algorithm",
            "both",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let files: BTreeMap<String, u32> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                mode(&e.path()),
            )
        })
        .collect();
    assert_eq!(files.get("k1-rsa.private"), Some(&0o600));
    assert_eq!(files.get("k1-ed25519.private"), Some(&0o600));
    for f in [
        "KeyTable",
        "SigningTable",
        "TrustedHosts",
        "opendkim.conf.snippet",
        "postfix-milter.cf.snippet",
        "dns.txt",
    ] {
        assert!(files.contains_key(f), "{f} missing: {files:?}");
    }
    let rsa = read(&out.join("k1-rsa.private"));
    assert!(
        !stdout.contains(rsa.lines().nth(1).unwrap()),
        "private key printed"
    );
    assert!(
        stdout.contains("k1-rsa._domainkey") && stdout.contains("k=ed25519"),
        "{stdout}"
    );
    // The record file is a zone the DNS server serves, and opendkim-testkey accepts the key.
    let zones = tmp.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(
        zones.join("example.test.zone"),
        format!(
            "$TTL 3600\n@ IN SOA ns1 h 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n{}",
            read(&out.join("dns.txt"))
        ),
    )
    .unwrap();
    let nsd = Nsd::start(&[&zones]);
    let conf = opendkim_config(tmp.path(), &nsd);
    let test = Command::new(tool("opendkim-testkey"))
        .arg("-x")
        .arg(&conf)
        .args(["-d", "example.test", "-s", "k1-rsa", "-vvv", "-k"])
        .arg(out.join("k1-rsa.private"))
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );
    let published = dig(&nsd, "k1-ed25519._domainkey.example.test", "TXT");
    assert!(published[0].ends_with(&openssl_public_key(&out.join("k1-ed25519.private"), true)));
    // RSA-2048 by default: 392 base64 characters of SPKI.
    let p = dig(&nsd, "k1-rsa._domainkey.example.test", "TXT")[0]
        .rsplit_once("p=")
        .unwrap()
        .1
        .to_string();
    assert_eq!(p.len(), 392);
    // Refuses to overwrite, and bad input names the flag.
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "dkim",
            "keygen",
            "--domain",
            "example.test",
            "--selector",
            "k1",
            "--algorithm",
            "both",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 2);
    assert!(stderr.contains("k1-rsa.private"), "{stderr}");
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "dkim",
            "keygen",
            "--domain",
            "example.test",
            "--selector",
            "a;b",
            "--out",
        ])
        .arg(tmp.path().join("x")));
    assert_eq!(code, 2);
    assert!(stderr.contains("--selector"), "{stderr}");
}
