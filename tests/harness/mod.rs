//! Test harness: real servers on loopback, started on free ports, stopped on drop.
//!
//! Tests never leave the machine: every mxdoctor run gets `--resolver 127.0.0.1:PORT` and
//! only loopback addresses are ever connected to. [`mxdoctor`] also sets the
//! `MXDOCTOR_LOOPBACK_ONLY` safety switch, so that mxdoctor itself refuses any connection
//! outside 127.0.0.0/8 and ::1, skips its built-in Internet targets (port 25 egress test,
//! public-address services) and ignores this machine's own Postfix and addresses.

#![allow(dead_code)]

pub mod https;
pub mod nsd;
pub mod postfix;
pub mod smtp_peer;

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;

pub use nsd::Nsd;

/// The project's fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The built mxdoctor binary with a clean environment (no inherited resolver, colour
/// setting or DQS key) and the loopback-only safety switch on. `check` skips the blocklist
/// sweep (MXDOCTOR_NO_DNSBL=1) because the fixture zones serve no blocklist; blocklist tests
/// start from [`mxdoctor_with_dnsbl`].
pub fn mxdoctor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mxdoctor"));
    cmd.env_remove("MXDOCTOR_RESOLVER")
        .env_remove("NO_COLOR")
        .env_remove("MXDOCTOR_DQS_KEY")
        .env("MXDOCTOR_NO_DNSBL", "1")
        .env("MXDOCTOR_LOOPBACK_ONLY", "1");
    cmd
}

/// [`mxdoctor`] with the blocklist sweep of `check` left on.
pub fn mxdoctor_with_dnsbl() -> Command {
    let mut cmd = mxdoctor();
    cmd.env_remove("MXDOCTOR_NO_DNSBL");
    cmd
}

/// A port free for both UDP and TCP on 127.0.0.1 at the time of asking.
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1");
}

/// A UDP "resolver" that receives queries and never answers (and a TCP port that accepts
/// and stays silent), to test timeouts.
pub struct SilentResolver {
    _udp: UdpSocket,
    _tcp: TcpListener,
    pub addr: String,
}

impl SilentResolver {
    pub fn start() -> Self {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().unwrap().port();
        let tcp = TcpListener::bind(("127.0.0.1", port)).expect("bind tcp");
        SilentResolver {
            _udp: udp,
            _tcp: tcp,
            addr: format!("127.0.0.1:{port}"),
        }
    }
}

/// Run a command and return (exit code, stdout, stderr), panicking if it was killed.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run mxdoctor");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {:?}", out.status));
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `mxdoctor check ARGS --resolver NSD --format json`: exit code and parsed report.
/// SMTP probing is off (`--no-smtp`) unless ARGS name a server with `--smtp` or `--smtp-port`.
pub fn check_json(nsd: &Nsd, args: &[&str]) -> (i32, serde_json::Value) {
    let mut cmd = mxdoctor();
    cmd.arg("check")
        .args(args)
        .args(["--resolver", &nsd.addr(), "--format", "json"]);
    if !args.iter().any(|a| *a == "--smtp" || *a == "--smtp-port") {
        cmd.arg("--no-smtp");
    }
    let (code, stdout, stderr) = run(&mut cmd);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}); exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    });
    (code, report)
}

/// The (id, severity) pairs of a JSON report.
pub fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// True when the report has a finding `id`, optionally about `subject`.
pub fn has(report: &serde_json::Value, id: &str, subject: Option<&str>) -> bool {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id && subject.is_none_or(|s| f["subject"] == s))
}
