//! A loopback HTTPS server for MTA-STS policies: one self-signed certificate (rcgen) for the
//! names given, answers chosen by the Host header, served on a free 127.0.0.1 port. mxdoctor
//! reaches it through `--https-port PORT --ca-file CA` with the policy hosts resolving to
//! 127.0.0.1 in the fixture zones.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivatePkcs8KeyDer};

/// What the server answers for one host name.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub location: Option<String>,
    /// Accept the request, then never answer.
    pub stall: bool,
}

impl Answer {
    /// 200 with a text/plain body.
    pub fn policy(body: &str) -> Self {
        Answer {
            status: 200,
            content_type: "text/plain",
            body: body.to_string(),
            location: None,
            stall: false,
        }
    }

    pub fn status(status: u16) -> Self {
        Answer {
            status,
            content_type: "text/html",
            body: format!("<html>{status}</html>"),
            location: None,
            stall: false,
        }
    }
}

pub struct HttpsServer {
    pub port: u16,
    /// PEM file with the server's certificate, to pass as `--ca-file`.
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Serve `answers` (by host name) with a certificate valid for `names`; other hosts get 404.
    pub fn start(names: &[&str], answers: HashMap<String, Answer>) -> Self {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let certified = rcgen::generate_simple_self_signed(names).expect("test certificate");
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, certified.cert.pem()).expect("write ca.pem");
        let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key.into())
        .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let answers = Arc::new(answers);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    _ = stopped => {}
                    _ = serve(listener, acceptor, answers) => {}
                }
            });
        });
        HttpsServer {
            port,
            ca_file,
            _dir: dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn port_arg(&self) -> String {
        self.port.to_string()
    }

    pub fn ca_arg(&self) -> String {
        self.ca_file.display().to_string()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    answers: Arc<HashMap<String, Answer>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let answers = answers.clone();
        tokio::spawn(async move {
            let Ok(Ok(mut tls)) =
                tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await
            else {
                return;
            };
            let Some(host) = read_host(&mut tls).await else {
                return;
            };
            let answer = answers
                .get(&host)
                .cloned()
                .unwrap_or_else(|| Answer::status(404));
            if answer.stall {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
            let mut head = format!(
                "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                answer.status,
                answer.content_type,
                answer.body.len()
            );
            if let Some(location) = &answer.location {
                head.push_str(&format!("Location: {location}\r\n"));
            }
            head.push_str("\r\n");
            let _ = tls.write_all(head.as_bytes()).await;
            let _ = tls.write_all(answer.body.as_bytes()).await;
            let _ = tls.shutdown().await;
        });
    }
}

/// Read a request head (at most 16 KiB) and return its Host without a port.
async fn read_host<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("host").then(|| {
            value
                .trim()
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
    })
}
