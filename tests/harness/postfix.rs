//! A private Postfix instance on loopback: its own config, queue and data directories, four
//! smtpd services on free 127.0.0.1 ports, nothing ever delivered anywhere.
//!
//! - closed: a correct MX for `smtp.test` (relaying refused), STARTTLS offered;
//! - open: the same, but `mynetworks = 0.0.0.0/0` on that port only (an open relay; a bare
//!   `smtpd_relay_restrictions = permit` would make smtpd refuse to start);
//! - tls_only: STARTTLS required before MAIL;
//! - smtps: TLS from the first byte.
//!
//! Every transport is `discard:`, and `debug_peer_list` makes smtpd log every command it
//! receives, so tests can read from the log what clients sent. Started once and shared by
//! the tests that run at the same time; stopped when the last of them drops it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::free_port;
use super::nsd::which;
use super::smtp_peer::TestCa;

/// The name Postfix greets with, and whose certificate it holds.
pub const HOSTNAME: &str = "mail.smtp.test";

pub struct Postfix {
    dir: tempfile::TempDir,
    pub closed: u16,
    pub open: u16,
    pub tls_only: u16,
    pub smtps: u16,
    /// The test CA that signed the server certificate (pass with `--ca-file`).
    pub ca_file: PathBuf,
}

static SHARED: Mutex<Weak<Postfix>> = Mutex::new(Weak::new());

impl Postfix {
    /// The running shared instance, started if none is.
    pub fn shared() -> Arc<Postfix> {
        let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = slot.upgrade() {
            return running;
        }
        let started = Arc::new(Postfix::start());
        *slot = Arc::downgrade(&started);
        started
    }

    fn start() -> Postfix {
        let postfix = which("postfix").unwrap_or_else(|| {
            panic!("postfix is not installed: run scripts/install-test-deps.sh")
        });
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&uid).trim(),
            "0",
            "the real-Postfix tests start a private Postfix instance, which only root may do"
        );
        let mut last_error = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let instance = Postfix {
                closed: free_port(),
                open: free_port(),
                tls_only: free_port(),
                smtps: free_port(),
                ca_file: dir.path().join("tls/ca.pem"),
                dir,
            };
            instance.write_config();
            let out = Command::new(&postfix)
                .arg("-c")
                .arg(instance.etc())
                .arg("start")
                .output()
                .expect("run postfix");
            if out.status.success() && instance.wait_ready() {
                return instance;
            }
            last_error = format!(
                "postfix start: {}{}\nmaillog:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                instance.maillog()
            );
        }
        panic!("postfix did not start: {last_error}");
    }

    pub fn etc(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    /// Everything Postfix logged so far.
    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// Wait until the log contains `needle` (postlogd writes asynchronously).
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.maillog();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn write_config(&self) {
        let dir = self.dir.path();
        let d = dir.display();
        for sub in ["etc", "spool", "data", "tls"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // data_directory must belong to the mail owner and every parent must be searchable.
        let _ = Command::new("chown")
            .args(["postfix:postfix"])
            .arg(dir.join("data"))
            .status();
        set_mode(dir, 0o755);

        let ca = TestCa::new();
        ca.write(&dir.join("tls"));
        let cert = ca.issue(&[HOSTNAME, "localhost", "127.0.0.1"], -1, 365);
        std::fs::write(dir.join("tls/cert.pem"), &cert.cert_pem).unwrap();
        std::fs::write(dir.join("tls/key.pem"), &cert.key_pem).unwrap();
        set_mode(&dir.join("tls/key.pem"), 0o600);

        std::fs::write(
            dir.join("etc/virtual"),
            "postmaster@noabuse.test root@localhost\npostmaster@grey.test root@localhost\nabuse@grey.test root@localhost\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("etc/greylist"),
            "postmaster@grey.test 450 4.7.1 Greylisted, please try again later\nabuse@grey.test 450 4.7.1 Greylisted, please try again later\n",
        )
        .unwrap();

        let main_cf = format!(
            "compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
maillog_file_prefixes = /var, /dev/stdout, {d}
maillog_file = {d}/maillog
myhostname = {HOSTNAME}
mydomain = smtp.test
myorigin = $mydomain
mydestination = $myhostname, smtp.test, localhost
virtual_alias_domains = noabuse.test, grey.test
virtual_alias_maps = texthash:{d}/etc/virtual
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.2/32
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
readme_directory = no
alias_database =
alias_maps = inline:{{ postmaster=root, abuse=root, root=root }}
local_recipient_maps = $alias_maps
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{d}/etc/greylist
default_transport = discard:relaying disabled in test instance
relay_transport = discard:relaying disabled in test instance
local_transport = discard:local delivery disabled in test instance
virtual_transport = discard:virtual delivery disabled in test instance
smtpd_peername_lookup = no
smtpd_tls_cert_file = {d}/tls/cert.pem
smtpd_tls_key_file = {d}/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = none
debug_peer_list = 127.0.0.1
debug_peer_level = 2
"
        );
        std::fs::write(dir.join("etc/main.cf"), main_cf).unwrap();
        let (closed, open, tls_only, smtps) = (self.closed, self.open, self.tls_only, self.smtps);
        let master_cf = format!(
            "127.0.0.1:{closed} inet n - n - - smtpd
127.0.0.1:{open} inet n - n - - smtpd
  -o syslog_name=postfix/openrelay
  -o mynetworks=0.0.0.0/0
  -o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination
127.0.0.1:{tls_only} inet n - n - - smtpd
  -o syslog_name=postfix/tlsonly
  -o smtpd_tls_security_level=encrypt
127.0.0.1:{smtps} inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"
        );
        std::fs::write(dir.join("etc/master.cf"), master_cf).unwrap();
    }

    /// Ready means answering: smtpd is spawned per connection, and the master process holds
    /// the sockets even when smtpd fails to start, so only a 220 proves it works.
    fn wait_ready(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [self.closed, self.open, self.tls_only] {
            loop {
                if greets(port) {
                    break;
                }
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        loop {
            if self.greets_tls(self.smtps) {
                return !self.maillog().contains("fatal:");
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn greets_tls(&self, port: u16) -> bool {
        let Ok(tcp) = TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(3)));
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(&self.ca_file).unwrap();
        for cert in
            <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::pem_slice_iter(
                &pem,
            )
        {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(HOSTNAME).unwrap();
        let Ok(conn) = rustls::ClientConnection::new(Arc::new(config), name) else {
            return false;
        };
        let mut tls = BufReader::new(rustls::StreamOwned::new(conn, tcp));
        let mut line = String::new();
        let ok = tls.read_line(&mut line).is_ok() && line.starts_with("220 ");
        let _ = tls.get_mut().write_all(b"QUIT\r\n");
        ok
    }
}

fn greets(port: u16) -> bool {
    let Ok(tcp) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(3)));
    let mut reader = BufReader::new(tcp);
    let mut line = String::new();
    let ok = reader.read_line(&mut line).is_ok() && line.starts_with("220 ");
    let _ = reader.get_mut().write_all(b"QUIT\r\n");
    ok
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.path().join("spool/pid/master.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok());
        if let Some(postfix) = which("postfix") {
            let _ = Command::new(postfix)
                .arg("-c")
                .arg(self.etc())
                .arg("stop")
                .output();
        }
        // Let the master finish before its directory goes away.
        if let Some(pid) = pid {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Zone files for the domains the instance serves (smtp.test, noabuse.test, grey.test), all
/// with MX mail.smtp.test on 127.0.0.1, plus other.smtp.test and echo.smtp.test on 127.0.0.1.
pub fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for zone in ["smtp.test", "noabuse.test", "grey.test"] {
        let mut text = format!(
            "$ORIGIN {zone}.\n$TTL 300\n@ IN SOA ns1.smtp.test. hostmaster.smtp.test. ( 1 3600 600 86400 300 )\n@ IN NS ns1.smtp.test.\n@ IN MX 10 {HOSTNAME}.\n\
             @ IN TXT \"v=spf1 mx -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:postmaster@{zone}\"\n"
        );
        if zone == "smtp.test" {
            text.push_str("ns1 IN A 127.0.0.1\nmail IN A 127.0.0.1\nother IN A 127.0.0.1\necho IN A 127.0.0.1\n");
        }
        std::fs::write(dir.path().join(format!("{zone}.zone")), text).unwrap();
    }
    dir
}
