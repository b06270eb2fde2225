use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Nsd, fixtures, mxdoctor, run};

/// The wizard's domain served from a directory the test may change.
fn zone_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wizard.test.zone", "100.51.198.in-addr.arpa.zone"] {
        std::fs::copy(fixtures().join("wizard").join(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// A kit for wizard.test, written by `generate`.
fn kit(root: &Path) -> std::path::PathBuf {
    let out = root.join("kit");
    let (code, stdout, stderr) = run(mxdoctor()
        .args([
            "generate",
            "--domain",
            "wizard.test",
            "--hostname",
            "mail.wizard.test",
        ])
        .args(["--ipv4", "198.51.100.10", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    out
}

fn watch(nsd: &Nsd, kit: &Path, timeout: &str) -> Command {
    let mut cmd = mxdoctor();
    cmd.args(["check", "--answers"])
        .arg(kit.join("answers.yaml"))
        .args([
            "--watch",
            "--watch-timeout",
            timeout,
            "--ns-port",
            &nsd.port.to_string(),
        ])
        .args([
            "--resolver",
            &nsd.addr(),
            "--timeout",
            "1",
            "--no-smtp",
            "--no-egress",
        ]);
    cmd
}

/// The zone as a user publishes the kit: the old SPF record replaced by the kit's records.
fn publish(dir: &Path, kit: &Path) {
    let base = std::fs::read_to_string(fixtures().join("wizard/wizard.test.zone")).unwrap();
    let mut zone: String = base
        .lines()
        .filter(|l| !l.contains("v=spf1"))
        .map(|l| format!("{l}\n"))
        .collect();
    zone.push_str(&std::fs::read_to_string(kit.join("dns/zone.txt")).unwrap());
    std::fs::write(dir.join("wizard.test.zone"), zone).unwrap();
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the watch did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn records_not_published_time_out_with_what_is_missing() {
    let dir = zone_dir();
    let nsd = Nsd::start(&[dir.path()]);
    let root = tempfile::tempdir().unwrap();
    let kit = kit(root.path());
    let started = Instant::now();
    let (code, stdout, stderr) = run(&mut watch(&nsd, &kit, "2s"));
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(stderr.contains("ns1.wizard.test (127.0.0.1:"), "{stderr}");
    // Already published as the kit wants it.
    assert!(
        stderr.contains("MX wizard.test was already live"),
        "{stderr}"
    );
    assert!(
        stderr.contains("A mail.wizard.test was already live"),
        "{stderr}"
    );
    assert!(stderr.contains("Gave up after"), "{stderr}");
    for pending in [
        "TXT _dmarc.wizard.test",
        "TXT mail._domainkey.wizard.test",
        "TXT wizard.test  v=spf1",
    ] {
        assert!(stderr.contains(pending), "{pending} not listed:\n{stderr}");
    }
    assert!(stdout.is_empty(), "no check ran: {stdout}");
}

#[test]
fn records_going_live_are_seen_at_the_authority_with_the_ttl_caches_may_keep() {
    let dir = zone_dir();
    let nsd = Nsd::start(&[dir.path()]);
    let root = tempfile::tempdir().unwrap();
    let kit = kit(root.path());
    let mut child = watch(&nsd, &kit, "60s")
        .args(["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let the first round see the old state, then publish.
    std::thread::sleep(Duration::from_millis(1500));
    publish(dir.path(), &kit);
    nsd.reload();
    let code = wait_exit(&mut child, Duration::from_secs(40));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(
        stderr.contains("TXT _dmarc.wizard.test is live at ns1.wizard.test"),
        "{stderr}\n{}",
        nsd.log()
    );
    // _dmarc did not exist: caches keep that for the SOA's negative TTL (300 s).
    assert!(
        stderr.contains("old answer for up to 300 s (5 min)"),
        "{stderr}"
    );
    assert!(stderr.contains("are live at the authority"), "{stderr}");
    // Then the check ran, on the records now published.
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"dkim.ok") && ids.contains(&"dmarc.policy-none"),
        "{ids:?}"
    );
    assert!([1, 3, 4].contains(&code), "exit {code}");
}

#[test]
fn ctrl_c_stops_the_watch() {
    let dir = zone_dir();
    let nsd = Nsd::start(&[dir.path()]);
    let root = tempfile::tempdir().unwrap();
    let kit = kit(root.path());
    let mut child = watch(&nsd, &kit, "60s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(wait_exit(&mut child, Duration::from_secs(5)), 130);
}

/// Name servers outside loopback are never asked under the safety switch; with none
/// left, the watch says so and stops.
#[test]
fn name_servers_outside_loopback_are_not_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("far.test.zone"),
        "$ORIGIN far.test.\n$TTL 300\n@ IN SOA ns.far.test. h.far.test. ( 1 3600 600 86400 300 )\n@ IN NS ns.far.test.\nns IN A 192.0.2.53\n",
    )
    .unwrap();
    let nsd = Nsd::start(&[dir.path()]);
    let root = tempfile::tempdir().unwrap();
    let records = root.path().join("records.tsv");
    std::fs::write(
        &records,
        "name\ttype\tttl\tvalue\tzone\n_dmarc\tTXT\t300\tv=DMARC1; p=none\tfar.test\n",
    )
    .unwrap();
    let (code, _, stderr) = run(mxdoctor()
        .args(["check", "far.test", "--watch", "--watch-records"])
        .arg(&records)
        .args(["--resolver", &nsd.addr(), "--no-smtp", "--no-egress"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("Cannot watch far.test") && stderr.contains("loopback-only"),
        "{stderr}"
    );

    let (code, _, stderr) =
        run(mxdoctor().args(["check", "far.test", "--watch", "--resolver", &nsd.addr()]));
    assert_eq!(code, 2, "--watch needs records: {stderr}");
    assert!(stderr.contains("--watch-records"), "{stderr}");
}
