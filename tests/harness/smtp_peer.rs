//! In-process fake peers on loopback: a scripted SMTP server (with STARTTLS or implicit
//! TLS when asked), hostile servers a real MTA cannot imitate (silent, one byte per second,
//! endless replies, binary garbage, resets), an HTTPS address echo, and a test CA.
//!
//! Every SMTP peer records the command lines it received, so tests can prove that DATA was
//! never sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A private certificate authority for test servers.
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pub pem: String,
}

/// A server certificate with its key.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

/// Unix seconds `days` from now.
fn days_from_now(days: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now + days * 86_400) as u64
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mxdoctor test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A certificate for `names`, valid from `from` to `to` days from now.
    pub fn issue(&self, names: &[&str], from: i64, to: i64) -> Issued {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0]);
        params.not_before =
            rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(days_from_now(from));
        params.not_after =
            rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(days_from_now(to));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    /// Write the CA certificate to `dir/ca.pem`.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

/// A self-signed certificate for `names`.
pub fn self_signed(names: &[&str]) -> Issued {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    }
}

/// A rustls server configuration for a certificate.
pub fn server_config(issued: &Issued) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(issued.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.key_der.clone())),
        )
        .unwrap();
    Arc::new(config)
}

/// How a fake SMTP peer behaves.
#[derive(Clone)]
pub enum Behaviour {
    /// Accepts the connection and never says anything.
    Silent,
    /// Sends a valid greeting at one byte per second.
    SlowGreeting,
    /// A multi-line greeting that never ends.
    EndlessGreeting,
    /// Binary noise instead of a greeting.
    Garbage,
    /// Half a greeting, then a TCP reset.
    ResetMidReply,
    /// A working server, as scripted.
    Smtp(Script),
}

/// A scripted SMTP server.
#[derive(Clone)]
pub struct Script {
    /// The greeting line(s) after "220 ".
    pub greeting: String,
    /// Offer STARTTLS with this configuration.
    pub starttls: Option<Arc<rustls::ServerConfig>>,
    /// TLS from the first byte with this configuration.
    pub implicit_tls: Option<Arc<rustls::ServerConfig>>,
    /// Local parts accepted at RCPT (in any domain); everything else is refused as relaying.
    pub accept: Vec<String>,
    /// Accept every recipient (an open relay).
    pub open_relay: bool,
    /// Answer RCPT for these local parts with a 450 (greylisting).
    pub greylist: Vec<String>,
    /// Reply to EHLO with binary garbage.
    pub garbage_after_ehlo: bool,
    /// Say "421" and hang up at the N-th RCPT of each connection.
    pub hang_up_at_rcpt: Option<usize>,
    /// Answer STARTTLS with 220, then send noise instead of a TLS handshake.
    pub broken_tls: bool,
}

impl Script {
    pub fn new(greeting: &str) -> Script {
        Script {
            greeting: greeting.into(),
            starttls: None,
            implicit_tls: None,
            accept: vec!["postmaster".into(), "abuse".into()],
            open_relay: false,
            greylist: Vec::new(),
            garbage_after_ehlo: false,
            hang_up_at_rcpt: None,
            broken_tls: false,
        }
    }
}

/// A fake peer listening on 127.0.0.1 until dropped.
pub struct Peer {
    pub port: u16,
    commands: Arc<Mutex<Vec<String>>>,
    connections: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
}

impl Peer {
    pub fn start(behaviour: Behaviour) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, n, s) = (commands.clone(), connections.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                *n.lock().unwrap() += 1;
                let (behaviour, c, s) = (behaviour.clone(), c.clone(), s.clone());
                thread::spawn(move || serve(stream, behaviour, c, s));
            }
        });
        Peer {
            port,
            commands,
            connections,
            stop,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every command line received, over all connections.
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    commands: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    match behaviour {
        Behaviour::Silent => {
            let mut sink = [0u8; 512];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            while !stop.load(Ordering::SeqCst) {
                match stream.read(&mut sink) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        Behaviour::SlowGreeting => {
            for byte in b"220 slow.example.test ESMTP\r\n" {
                if stop.load(Ordering::SeqCst) || stream.write_all(&[*byte]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_secs(1));
            }
        }
        Behaviour::EndlessGreeting => {
            let line = b"220-still greeting you, please wait\r\n";
            for _ in 0..100_000 {
                if stop.load(Ordering::SeqCst) || stream.write_all(line).is_err() {
                    return;
                }
            }
        }
        Behaviour::Garbage => {
            let noise: Vec<u8> = (0..2048u32).map(|i| (i * 7919 % 251) as u8).collect();
            let _ = stream.write_all(&noise);
            thread::sleep(Duration::from_secs(5));
        }
        Behaviour::ResetMidReply => {
            let _ = stream.write_all(b"220-mail.example.test ESMTP\r\n220-and");
            let _ = stream.flush();
            thread::sleep(Duration::from_millis(100));
            reset(stream);
        }
        Behaviour::Smtp(script) => {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            if let Some(config) = &script.implicit_tls {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    return;
                };
                let tls = rustls::StreamOwned::new(conn, stream);
                dialogue(Box::new(tls), &script, &commands, true);
            } else {
                dialogue(Box::new(stream), &script, &commands, false);
            }
        }
    }
}

/// Close with a TCP reset (SO_LINGER 0) instead of a normal close.
fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

trait Io: Read + Write + Send {}
impl<T: Read + Write + Send> Io for T {}

fn dialogue(io: Box<dyn Io>, script: &Script, commands: &Mutex<Vec<String>>, encrypted: bool) {
    let mut reader = BufReader::new(io);
    let send = |r: &mut BufReader<Box<dyn Io>>, text: &str| {
        let w = r.get_mut();
        let _ = w.write_all(text.as_bytes());
        let _ = w.flush();
    };
    send(&mut reader, &format!("220 {}\r\n", script.greeting));
    run(reader, script, commands, encrypted);
}

fn run(
    mut reader: BufReader<Box<dyn Io>>,
    script: &Script,
    commands: &Mutex<Vec<String>>,
    mut encrypted: bool,
) {
    let mut rcpts = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end().to_string();
        commands.lock().unwrap().push(line.clone());
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            if script.garbage_after_ehlo {
                "\u{1}\u{2}\u{3}garbage\u{0}\r\n".into()
            } else {
                let mut r = String::from("250-mail.example.test\r\n250-PIPELINING\r\n");
                if (script.starttls.is_some() || script.broken_tls) && !encrypted {
                    r.push_str("250-STARTTLS\r\n");
                }
                r.push_str("250 8BITMIME\r\n");
                r
            }
        } else if upper.starts_with("HELO") {
            "250 mail.example.test\r\n".into()
        } else if upper == "STARTTLS" && script.broken_tls && !encrypted {
            let w = reader.get_mut();
            let _ = w.write_all(b"220 2.0.0 Ready to start TLS\r\n");
            let _ = w.write_all(b"\x15\x03\x03\x00\x02\x02\x28 this is not TLS\r\n");
            let _ = w.flush();
            return;
        } else if upper == "STARTTLS" {
            match (&script.starttls, encrypted) {
                (Some(config), false) => {
                    let w = reader.get_mut();
                    let _ = w.write_all(b"220 2.0.0 Ready to start TLS\r\n");
                    let _ = w.flush();
                    let inner = reader.into_inner();
                    let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                        return;
                    };
                    let tls: Box<dyn Io> = Box::new(rustls::StreamOwned::new(conn, inner));
                    reader = BufReader::new(tls);
                    encrypted = true;
                    continue;
                }
                _ => "502 5.5.1 STARTTLS not available\r\n".into(),
            }
        } else if upper.starts_with("MAIL FROM:") {
            "250 2.1.0 Ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            rcpts += 1;
            if script.hang_up_at_rcpt == Some(rcpts) {
                let w = reader.get_mut();
                let _ = w.write_all(b"421 4.7.0 Too many errors, closing\r\n");
                let _ = w.flush();
                return;
            }
            let address = line[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            let local = address
                .rsplit_once('@')
                .map_or(address, |(l, _)| l)
                .to_ascii_lowercase();
            if script.greylist.contains(&local) {
                format!("450 4.7.1 <{address}>: Greylisted, try again later\r\n")
            } else if script.open_relay || script.accept.contains(&local) {
                "250 2.1.5 Ok\r\n".into()
            } else {
                format!("554 5.7.1 <{address}>: Relay access denied\r\n")
            }
        } else if upper == "RSET" {
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            let w = reader.get_mut();
            let _ = w.write_all(b"221 2.0.0 Bye\r\n");
            let _ = w.flush();
            return;
        } else if upper == "DATA" || upper.starts_with("BDAT") {
            // Recorded above; a test asserts this never happens.
            "554 5.5.1 This test server takes no messages\r\n".into()
        } else {
            "502 5.5.2 Error: command not recognized\r\n".into()
        };
        let w = reader.get_mut();
        if w.write_all(reply.as_bytes()).is_err() {
            return;
        }
        let _ = w.flush();
    }
}

/// An HTTPS service answering every request with a fixed body (an address echo).
pub struct HttpsEcho {
    pub port: u16,
    stop: Arc<AtomicBool>,
    pub requests: Arc<Mutex<usize>>,
}

impl HttpsEcho {
    pub fn start(config: Arc<rustls::ServerConfig>, body: &str) -> HttpsEcho {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(0));
        let (s, r, body) = (stop.clone(), requests.clone(), body.to_string());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                *r.lock().unwrap() += 1;
                let body = body.clone();
                thread::spawn(move || {
                    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, stream));
                    let mut line = String::new();
                    while tls.read_line(&mut line).is_ok_and(|n| n > 0) {
                        if line == "\r\n" {
                            break;
                        }
                        line.clear();
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let w = tls.get_mut();
                    let _ = w.write_all(response.as_bytes());
                    let _ = w.flush();
                    w.conn.send_close_notify();
                    let _ = w.flush();
                });
            }
        });
        HttpsEcho {
            port,
            stop,
            requests,
        }
    }
}

impl Drop for HttpsEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A port on 127.0.0.1 where nothing listens (connections are refused).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
