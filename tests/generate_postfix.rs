//! Generated Postfix settings checked by Postfix itself: `postconf -n`/`-M` with no
//! warning for every smarthost preset, `postfix check` and `apply.sh` on a real
//! configuration directory, and a running Postfix that refuses to relay for a client
//! outside mynetworks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::generate::{direct_answers, generate};
use crate::harness::{free_port, nsd::which, run};

/// The services every Postfix instance needs (all unchrooted: no chroot copies of resolv.conf).
const BASE_MASTER_CF: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
";

fn tool(name: &str) -> PathBuf {
    which(name)
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/install-test-deps.sh"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A self-signed certificate for the snippet's TLS lines (Postfix only checks that the
/// files exist when it starts a TLS session).
fn write_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = rcgen::generate_simple_self_signed(vec!["mail.example.test".to_string()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.signing_key.serialize_pem()).unwrap();
    (c, k)
}

/// The snippet with its certificate lines pointing at test files, as a user would edit it.
fn snippet_with_cert(out: &Path, cert: &Path, key: &Path) -> String {
    read(&out.join("postfix/main.cf.snippet"))
        .lines()
        .map(|l| {
            if l.starts_with("smtpd_tls_cert_file =") {
                format!("smtpd_tls_cert_file = {}", cert.display())
            } else if l.starts_with("smtpd_tls_key_file =") {
                format!("smtpd_tls_key_file = {}", key.display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `postconf -c DIR ARGS`: (success, stdout, stderr).
fn postconf(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool("postconf"))
        .arg("-c")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// main.cf = a minimal config plus the snippet; master.cf = the base services plus the
/// snippet. Both must parse with no warning at all.
fn assert_postconf_accepts(out: &Path, what: &str) -> PathBuf {
    let dir = out.join("etc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.cf"),
        format!(
            "compatibility_level = 3.6\n{}",
            read(&out.join("postfix/main.cf.snippet"))
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("master.cf"),
        format!(
            "{BASE_MASTER_CF}{}",
            read(&out.join("postfix/master.cf.snippet"))
        ),
    )
    .unwrap();
    let (ok, stdout, stderr) = postconf(&dir, &["-n"]);
    assert!(ok && stderr.is_empty(), "{what}: postconf -n:\n{stderr}");
    assert!(stdout.contains("smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"));
    let (ok, stdout, stderr) = postconf(&dir, &["-M"]);
    assert!(ok && stderr.is_empty(), "{what}: postconf -M:\n{stderr}");
    assert!(stdout.contains("submission inet"), "{what}: {stdout}");
    let (ok, stdout, _) = postconf(&dir, &["-P", "submission/inet/smtpd_tls_security_level"]);
    assert!(ok && stdout.contains("= encrypt"), "{what}: {stdout}");
    dir
}

#[test]
fn postconf_accepts_the_direct_setup() {
    let tmp = tempfile::tempdir().unwrap();
    generate(
        tmp.path(),
        &["--answers", direct_answers().to_str().unwrap()],
    );
    let dir = assert_postconf_accepts(tmp.path(), "direct");
    let (_, main, _) = postconf(&dir, &["-n"]);
    for want in [
        "mynetworks = 127.0.0.0/8 [::1]/128",
        "smtpd_helo_required = yes",
        "myhostname = mail.example.test",
        "smtp_tls_security_level = may",
        "smtpd_tls_security_level = may",
        "smtpd_milters = inet:127.0.0.1:8891",
    ] {
        assert!(main.contains(want), "{want} missing:\n{main}");
    }
    assert!(!main.contains("relayhost"));
    // The plan's postconf commands work on this configuration and show what they should.
    let plan = read(&tmp.path().join("plan.md"));
    let commands: Vec<&str> = plan
        .lines()
        .filter(|l| l.starts_with("postconf "))
        .collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let (ok, stdout, stderr) = postconf(&dir, &args);
        assert!(
            ok && stderr.is_empty() && !stdout.trim().is_empty(),
            "{command}: {stderr}"
        );
    }
    // Without an IPv6 address the server stays on IPv4.
    let v4 = tmp.path().join("v4");
    generate(&v4, &["--domain", "example.test", "--ipv4", "192.0.2.10"]);
    let dir = assert_postconf_accepts(&v4, "ipv4 only");
    assert!(postconf(&dir, &["-n"]).1.contains("inet_protocols = ipv4"));
}

/// Answers flags for a preset: its host when it has none, a login when it needs one.
fn preset_args(id: &str, preset: &mxdoctor::plan::Provider, pw: &Path) -> Vec<String> {
    let mut args = vec![
        "--domain".into(),
        "example.test".into(),
        "--ipv4".into(),
        "192.0.2.10".into(),
        "--outbound".into(),
        "smarthost".into(),
        "--smarthost-provider".into(),
        id.into(),
    ];
    if preset.host.is_none() {
        args.extend(["--smarthost-host".into(), "relay.example.net".into()]);
    }
    if preset.needs_credentials {
        args.extend([
            "--smarthost-username".into(),
            "user@example.test".into(),
            "--smarthost-password-file".into(),
            pw.display().to_string(),
        ]);
    }
    args
}

#[test]
fn every_smarthost_preset_is_accepted_by_postconf() {
    let playbooks = mxdoctor::plan::Playbooks::load(&mxdoctor::assets::Assets::default()).unwrap();
    assert!(playbooks.smarthosts.providers.len() >= 8);
    let tmp = tempfile::tempdir().unwrap();
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "relay-password\n").unwrap();
    for (id, preset) in &playbooks.smarthosts.providers {
        let out = tmp.path().join(id);
        let args = preset_args(id, preset, &pw);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        generate(&out, &args);
        let dir = assert_postconf_accepts(&out, id);
        let (_, main, _) = postconf(&dir, &["-n"]);
        let host = preset.host.as_deref().unwrap_or("relay.example.net");
        assert!(
            main.contains(&format!("relayhost = [{host}]:{}", preset.port)),
            "{id}:\n{main}"
        );
        assert!(main.contains("smtp_tls_security_level = encrypt"), "{id}");
        assert_eq!(
            main.contains("smtp_tls_wrappermode = yes"),
            preset.port == 465,
            "{id}: wrappermode"
        );
        let sasl = out.join("postfix/sasl_passwd");
        assert_eq!(sasl.exists(), preset.needs_credentials, "{id}");
        assert_eq!(
            main.contains("smtp_sasl_auth_enable = yes"),
            preset.needs_credentials,
            "{id}"
        );
        if preset.needs_credentials {
            // postmap builds the map and finds the login under the relay's next-hop.
            let map = format!("hash:{}", sasl.display());
            let status = Command::new(tool("postmap"))
                .arg("-c")
                .arg(&dir)
                .arg(&map)
                .status()
                .unwrap();
            assert!(status.success(), "{id}: postmap");
            let q = Command::new(tool("postmap"))
                .arg("-c")
                .arg(&dir)
                .args(["-q", &format!("[{host}]:{}", preset.port), &map])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&q.stdout).trim(),
                "user@example.test:relay-password",
                "{id}"
            );
        }
        let spf = std::fs::read_to_string(out.join("dns/records.tsv")).unwrap();
        if let Some(include) = &preset.spf_include {
            assert!(
                spf.contains(&format!("include:{include}")),
                "{id}: SPF lacks its include"
            );
        }
    }
}

#[test]
fn per_destination_relaying_uses_a_transport_map() {
    let tmp = tempfile::tempdir().unwrap();
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "pw\n").unwrap();
    let out = tmp.path().join("out");
    generate(
        &out,
        &[
            "--answers",
            direct_answers().to_str().unwrap(),
            "--outbound",
            "smarthost",
            "--smarthost-provider",
            "generic-smtps",
            "--smarthost-host",
            "relay.example.net",
            "--smarthost-username",
            "me",
            "--smarthost-password-file",
            pw.to_str().unwrap(),
            "--smarthost-destinations",
            "microsoft-consumer,example.org",
        ],
    );
    let dir = assert_postconf_accepts(&out, "per destination");
    let (_, main, _) = postconf(&dir, &["-n"]);
    assert!(!main.contains("relayhost"), "{main}");
    assert!(
        main.contains("smtp_tls_security_level = may"),
        "direct mail keeps opportunistic TLS"
    );
    assert!(main.contains("transport_maps = hash:$config_directory/transport"));
    let (_, service, _) = postconf(&dir, &["-P", "smarthost/unix"]);
    for want in [
        "smtp_tls_security_level = encrypt",
        "smtp_tls_wrappermode = yes",
        "smtp_sasl_auth_enable = yes",
    ] {
        assert!(service.contains(want), "{want} missing:\n{service}");
    }
    let transport = out.join("postfix/transport");
    let map = format!("hash:{}", transport.display());
    assert!(
        Command::new(tool("postmap"))
            .arg("-c")
            .arg(&dir)
            .arg(&map)
            .status()
            .unwrap()
            .success()
    );
    for (domain, want) in [
        ("hotmail.com", "smarthost:[relay.example.net]:465"),
        ("example.org", "smarthost:[relay.example.net]:465"),
        ("gmail.com", ""),
    ] {
        let q = Command::new(tool("postmap"))
            .arg("-c")
            .arg(&dir)
            .args(["-q", domain, &map])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), want, "{domain}");
    }
}

/// A private Postfix instance in `root` (config in root/etc), from a base main.cf and extra
/// master.cf lines. Not started.
fn instance(root: &Path, main_extra: &str, master_extra: &str) -> PathBuf {
    let etc = root.join("etc");
    for d in ["etc", "spool", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // data_directory belongs to the mail owner, and every parent must be searchable.
    let status = Command::new("chown")
        .arg("postfix:postfix")
        .arg(root.join("data"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut p = Some(root);
    while let Some(dir) = p {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        if mode & 0o005 != 0o005 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o755)).unwrap();
        }
        p = dir
            .parent()
            .filter(|d| d.starts_with(std::env::temp_dir()) && *d != std::env::temp_dir());
    }
    let r = root.display();
    std::fs::write(
        etc.join("main.cf"),
        format!(
            "compatibility_level = 3.6\nqueue_directory = {r}/spool\ndata_directory = {r}/data\n\
             maillog_file_prefixes = /var, /dev/stdout, {r}\nmaillog_file = {r}/maillog\n\
             inet_interfaces = 127.0.0.1\nmydestination = $myhostname, localhost\n\
             alias_database =\nalias_maps = inline:{{ postmaster=root, root=root }}\n\
             local_recipient_maps = $alias_maps\n\
             default_transport = discard:relaying disabled in test instance\n\
             relay_transport = discard:relaying disabled in test instance\n\
             local_transport = discard:local delivery disabled in test instance\n\
             smtpd_peername_lookup = no\n{main_extra}"
        ),
    )
    .unwrap();
    std::fs::write(
        etc.join("master.cf"),
        format!("{BASE_MASTER_CF}{master_extra}"),
    )
    .unwrap();
    etc
}

/// `postfix -c ETC ARGS` through `script` so that Postfix prints its errors (it only does
/// on a terminal); (success, output).
fn postfix(etc: &Path, args: &str) -> (bool, String) {
    let out = Command::new("script")
        .args([
            "-qec",
            &format!("{} -c {} {args}", tool("postfix").display(), etc.display()),
            "/dev/null",
        ])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn apply_sh_backs_up_applies_checks_and_restores() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "pw\n").unwrap();
    generate(
        &out,
        &[
            "--answers",
            direct_answers().to_str().unwrap(),
            "--outbound",
            "smarthost",
            "--smarthost-provider",
            "mailgun-eu",
            "--smarthost-username",
            "postmaster@mg.example.test",
            "--smarthost-password-file",
            pw.to_str().unwrap(),
            "--smarthost-destinations",
            "microsoft-consumer",
        ],
    );
    let apply = out.join("postfix/apply.sh");
    if let Some(shellcheck) = which("shellcheck") {
        let check = Command::new(shellcheck).arg(&apply).output().unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    assert!(
        Command::new("sh")
            .arg("-n")
            .arg(&apply)
            .status()
            .unwrap()
            .success()
    );
    let root = tmp.path().join("pf");
    let etc = instance(&root, "myhostname = old.example.test\n", "");
    let run_apply = || {
        run(Command::new("sh")
            .arg(&apply)
            .env("POSTFIX_CONFIG_DIR", &etc))
    };
    // The certificate named in the snippet does not exist yet: refused, nothing changed.
    let before = read(&etc.join("main.cf"));
    let (code, _, stderr) = run_apply();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("TLS file") && stderr.contains("letsencrypt"),
        "{stderr}"
    );
    assert_eq!(read(&etc.join("main.cf")), before);
    // With a certificate: a broken current configuration is refused too.
    let (cert, key) = write_cert(tmp.path());
    std::fs::write(
        out.join("postfix/main.cf.snippet"),
        snippet_with_cert(&out, &cert, &key),
    )
    .unwrap();
    std::fs::write(
        etc.join("main.cf"),
        format!("{before}inet_protocols = ipv5\n"),
    )
    .unwrap();
    let (code, _, stderr) = run_apply();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    // A good configuration: backed up, applied, checked.
    std::fs::write(etc.join("main.cf"), &before).unwrap();
    let (code, stdout, stderr) = run_apply();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let backups: Vec<String> = std::fs::read_dir(&etc)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 2, "{backups:?}");
    assert!(
        backups
            .iter()
            .any(|b| b.starts_with("main.cf.") && read(&etc.join(b)) == before)
    );
    let (_, main, stderr) = postconf(&etc, &["-n"]);
    assert!(stderr.is_empty(), "{stderr}");
    assert!(main.contains("myhostname = mail.example.test"));
    assert!(main.contains("transport_maps = hash:$config_directory/transport"));
    let (_, master, _) = postconf(&etc, &["-M"]);
    let services: Vec<String> = master
        .lines()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        services.contains(&"submission inet".to_string()),
        "{master}"
    );
    assert!(services.contains(&"smarthost unix".to_string()), "{master}");
    assert!(etc.join("sasl_passwd.db").exists() && etc.join("transport.db").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(etc.join("sasl_passwd"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(postfix(&etc, "check").0);
    // Applying twice leaves one submission service, not two.
    std::thread::sleep(Duration::from_millis(1100));
    let (code, _, stderr) = run_apply();
    assert_eq!(code, 0, "{stderr}");
    let (_, master, _) = postconf(&etc, &["-M"]);
    let submissions = master
        .lines()
        .filter(|l| l.starts_with("submission "))
        .count();
    assert_eq!(submissions, 1, "{master}");
    // A snippet that breaks the configuration is rolled back.
    let good = read(&etc.join("main.cf"));
    let mut broken = read(&out.join("postfix/main.cf.snippet"));
    broken.push_str("inet_protocols = ipv5\n");
    std::fs::write(out.join("postfix/main.cf.snippet"), broken).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let (code, _, stderr) = run_apply();
    assert_eq!(code, 1);
    assert!(stderr.contains("restored"), "{stderr}");
    assert_eq!(read(&etc.join("main.cf")), good);
}

/// Read the first line a server sends on `port`, within a few seconds.
fn banner(port: u16) -> Option<String> {
    use std::io::{BufRead, BufReader};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    Some(line)
}

struct Running(PathBuf);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = postfix(&self.0, "stop");
    }
}

#[test]
fn running_postfix_refuses_relay_for_clients_outside_mynetworks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    generate(&out, &["--answers", direct_answers().to_str().unwrap()]);
    let (cert, key) = write_cert(tmp.path());
    let port = free_port();
    // The generated settings, plus XCLIENT from loopback so the test can speak as a client
    // from another address (every real client here is 127.0.0.1, inside mynetworks).
    let main = format!(
        "{}smtpd_authorized_xclient_hosts = 127.0.0.1\n",
        snippet_with_cert(&out, &cert, &key)
    );
    let root = tmp.path().join("pf");
    let etc = instance(
        &root,
        &main,
        &format!("127.0.0.1:{port} inet n - n - - smtpd\n"),
    );
    let (ok, text) = postfix(&etc, "start");
    assert!(
        ok,
        "postfix start: {text}\n{}",
        std::fs::read_to_string(root.join("maillog")).unwrap_or_default()
    );
    let _running = Running(etc.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !banner(port).is_some_and(|b| b.starts_with("220 ")) {
        assert!(Instant::now() < deadline, "no banner on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let swaks = |extra: &[&str]| {
        let out = Command::new(tool("swaks"))
            .args(["--server", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--from",
                "someone@external.example",
                "--to",
                "victim@external.example",
            ])
            .args([
                "--quit-after",
                "RCPT",
                "--helo",
                "client.example.net",
                "--timeout",
                "10",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // A client outside mynetworks: relay refused at RCPT.
    let (code, transcript) = swaks(&[
        "--xclient-addr",
        "203.0.113.7",
        "--xclient-name",
        "[UNAVAILABLE]",
    ]);
    assert_eq!(code, Some(24), "{transcript}");
    assert!(
        transcript.contains("554 5.7.1") && transcript.contains("Relay access denied"),
        "{transcript}"
    );
    // The machine itself (127.0.0.1, in mynetworks) may relay: the control case.
    let (code, transcript) = swaks(&[]);
    assert_eq!(code, Some(0), "{transcript}");
    // HELO is required before MAIL FROM.
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    stream
        .write_all(b"MAIL FROM:<someone@external.example>\r\n")
        .unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("503"), "MAIL without HELO: {line}");
    stream.write_all(b"QUIT\r\n").unwrap();
}
