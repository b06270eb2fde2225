//! NSD, the authoritative DNS server, serving fixture zone files on a free loopback port.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::free_port;

pub struct Nsd {
    pub port: u16,
    state: tempfile::TempDir,
    pid: Option<i32>,
}

impl Nsd {
    /// Serve every `*.zone` file of `dirs` (zone name = file name without `.zone`).
    pub fn start(dirs: &[&Path]) -> Nsd {
        let mut zones = Vec::new();
        for dir in dirs {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "zone"))
                .collect();
            files.sort();
            for f in files {
                let name = f.file_stem().unwrap().to_string_lossy().into_owned();
                zones.push((name, f));
            }
        }
        Nsd::start_zones(&zones)
    }

    /// Serve the given (zone name, zone file) pairs.
    pub fn start_zones(zones: &[(String, PathBuf)]) -> Nsd {
        let nsd = which("nsd").unwrap_or_else(|| {
            panic!("nsd is not installed: run the test command from README.md (it installs nsd, postfix and the other test servers)")
        });
        let mut last_error = String::new();
        for _ in 0..5 {
            let state = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let dir = state.path().display().to_string();
            let mut conf = format!(
                "server:\n  ip-address: 127.0.0.1@{port}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  database: \"\"\n  zonelistfile: \"{dir}/zone.list\"\n  xfrdfile: \"{dir}/xfrd.state\"\n  xfrdir: \"{dir}\"\n  pidfile: \"{dir}/nsd.pid\"\n  logfile: \"{dir}/nsd.log\"\n  server-count: 1\n  verbosity: 1\n  refuse-any: no\n  tcp-count: 200\nremote-control:\n  control-enable: no\n"
            );
            for (name, file) in zones {
                let file = file.canonicalize().unwrap_or_else(|_| file.clone());
                conf.push_str(&format!(
                    "zone:\n  name: \"{name}\"\n  zonefile: \"{}\"\n",
                    file.display()
                ));
            }
            let conf_path = state.path().join("nsd.conf");
            std::fs::write(&conf_path, conf).unwrap();
            let status = Command::new(&nsd)
                .arg("-c")
                .arg(&conf_path)
                .status()
                .expect("start nsd");
            if !status.success() {
                last_error =
                    std::fs::read_to_string(state.path().join("nsd.log")).unwrap_or_default();
                continue;
            }
            let mut server = Nsd {
                port,
                state,
                pid: None,
            };
            if server.wait_ready() {
                return server;
            }
            last_error = server.log();
        }
        panic!("nsd did not start: {last_error}");
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Make NSD read its zone files again (SIGHUP), and wait until it answers again.
    pub fn reload(&self) {
        if let Some(pid) = self.pid {
            let _ = Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status();
        }
        // The reload runs in a child process that takes over the sockets: give it a moment.
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.path().join("nsd.log")).unwrap_or_default()
    }

    /// Wait until the pid file exists and the server answers a UDP query.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        // A minimal query: id 0x1234, RD off, one question ". SOA IN".
        let query = [0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1];
        while Instant::now() < deadline {
            if self.pid.is_none()
                && let Ok(text) = std::fs::read_to_string(self.state.path().join("nsd.pid"))
            {
                self.pid = text.trim().parse().ok();
            }
            if self.pid.is_some() {
                let _ = socket.send_to(&query, ("127.0.0.1", self.port));
                let mut buf = [0u8; 512];
                if let Ok((n, _)) = socket.recv_from(&mut buf)
                    && n >= 2
                    && buf[..2] == [0x12, 0x34]
                {
                    return true;
                }
            } else {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        false
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

/// Find a program on PATH or in the sbin directories (NSD and Postfix live in /usr/sbin).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .map(PathBuf::from)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
