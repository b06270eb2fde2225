//! A DNS proxy on loopback in front of a real server that swallows chosen questions, so a
//! "timeout" in test data times out for real (UDP and TCP), while every other question is
//! relayed untouched.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// Decides whether a question (lower-case name without the final dot, numeric type) is dropped.
pub type DropRule = Arc<dyn Fn(&str, u16) -> bool + Send + Sync>;

pub struct DropProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl DropProxy {
    pub fn start(upstream: SocketAddr, drop: DropRule) -> DropProxy {
        let (udp, tcp) = bind_pair();
        let port = udp.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        udp.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        tcp.set_nonblocking(true).unwrap();
        {
            let stop = stop.clone();
            let drop = drop.clone();
            thread::spawn(move || serve_udp(udp, upstream, drop, stop));
        }
        {
            let stop = stop.clone();
            thread::spawn(move || serve_tcp(tcp, upstream, drop, stop));
        }
        DropProxy { port, stop }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for DropProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            return (udp, tcp);
        }
    }
    panic!("no free port pair on 127.0.0.1");
}

/// The question of a DNS message: (lower-case name, type).
pub fn question(message: &[u8]) -> Option<(String, u16)> {
    let mut i = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = usize::from(*message.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        let label = message.get(i..i + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*message.get(i)?, *message.get(i + 1)?]);
    Some((labels.join("."), qtype))
}

fn serve_udp(socket: UdpSocket, upstream: SocketAddr, drop: DropRule, stop: Arc<AtomicBool>) {
    let mut buf = [0u8; 65535];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, client)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let query = buf[..n].to_vec();
        if question(&query).is_some_and(|(name, qtype)| drop(&name, qtype)) {
            continue;
        }
        let Ok(reply_socket) = socket.try_clone() else {
            continue;
        };
        thread::spawn(move || {
            let Ok(up) = UdpSocket::bind("127.0.0.1:0") else {
                return;
            };
            let _ = up.set_read_timeout(Some(Duration::from_secs(3)));
            if up.send_to(&query, upstream).is_err() {
                return;
            }
            let mut answer = [0u8; 65535];
            if let Ok((m, _)) = up.recv_from(&mut answer) {
                let _ = reply_socket.send_to(&answer[..m], client);
            }
        });
    }
}

fn serve_tcp(listener: TcpListener, upstream: SocketAddr, drop: DropRule, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let drop = drop.clone();
                thread::spawn(move || relay_tcp(stream, upstream, drop));
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut message).ok()?;
    Some(message)
}

fn relay_tcp(mut client: TcpStream, upstream: SocketAddr, drop: DropRule) {
    let _ = client.set_nonblocking(false);
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    while let Some(query) = read_message(&mut client) {
        if question(&query).is_some_and(|(name, qtype)| drop(&name, qtype)) {
            // Swallow it: the client waits for an answer that never comes.
            continue;
        }
        let Ok(mut up) = TcpStream::connect_timeout(&upstream, Duration::from_secs(3)) else {
            return;
        };
        let _ = up.set_read_timeout(Some(Duration::from_secs(3)));
        let mut framed = (query.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&query);
        if up.write_all(&framed).is_err() {
            return;
        }
        let Some(answer) = read_message(&mut up) else {
            return;
        };
        let mut framed = (answer.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&answer);
        if client.write_all(&framed).is_err() {
            return;
        }
    }
}
