//! One SMTP session, driven command by command, every wait bounded.
//!
//! The client can say EHLO, HELO, STARTTLS, MAIL FROM, RCPT TO, RSET and QUIT, and nothing
//! else: there is no DATA (nor BDAT, nor a way to send raw text), so no message can ever be
//! relayed through a server under test. Paths are checked to be printable ASCII without
//! angle brackets, so no input can smuggle a second command onto the line either.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::reply::{self, Parsed, ReplyError, ReplyLimits};
use super::tls::{self, TlsTrust};
use crate::facts::{FailureKind, Reply, TlsSession};

/// Time and size limits for one session.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From sending a command (or connecting) to the last byte of its reply.
    pub reply: Duration,
    /// The whole session, reconnections included.
    pub session: Duration,
    pub reply_size: ReplyLimits,
    /// Most bytes read over the whole session.
    pub max_session_bytes: usize,
    /// Most transcript lines kept.
    pub max_transcript: usize,
}

impl Limits {
    /// Limits for a reply timeout of `reply`: the session may last twelve of them.
    pub fn new(reply: Duration) -> Self {
        Limits {
            reply,
            session: reply * 12,
            reply_size: ReplyLimits::default(),
            max_session_bytes: 512 * 1024,
            max_transcript: 400,
        }
    }
}

/// Why a session could not go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("no complete reply within {0} ms")]
    Timeout(u128),
    #[error("the session ran out of its {0} ms")]
    SessionTimeout(u128),
    #[error("the server closed the connection")]
    Closed,
    #[error("the connection was reset")]
    Reset,
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("the server sent more than {0} bytes in one session")]
    SessionTooLarge(usize),
    #[error("TLS handshake failed: {0}")]
    Tls(String),
}

impl SessionError {
    pub fn kind(&self) -> FailureKind {
        match self {
            SessionError::Timeout(_) | SessionError::SessionTimeout(_) => FailureKind::Timeout,
            SessionError::Closed => FailureKind::Closed,
            SessionError::Reset => FailureKind::Reset,
            SessionError::Io(_) | SessionError::Tls(_) => FailureKind::Io,
            SessionError::Reply(ReplyError::Garbage(_)) => FailureKind::Garbage,
            SessionError::Reply(_) | SessionError::SessionTooLarge(_) => FailureKind::TooLong,
        }
    }
}

/// A mailbox path as it goes between angle brackets: "" (null sender) or printable ASCII
/// without spaces or angle brackets. Deliberately odd forms used by relay tests (quotes,
/// `%`, `!`, `@a:b@c`, `[192.0.2.1]`) are allowed; line breaks and control characters are not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot be sent as an SMTP path")]
pub struct InvalidPath(String);

impl Path {
    pub fn new(path: impl Into<String>) -> Result<Self, InvalidPath> {
        let path = path.into();
        let ok = path.len() <= 256
            && path
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
        if ok {
            Ok(Path(path))
        } else {
            Err(InvalidPath(path))
        }
    }

    /// The null reverse-path `<>` (bounces).
    pub fn null() -> Self {
        Path(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name for EHLO/HELO: a domain name or an address literal, nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeloName(String);

impl HeloName {
    pub fn new(name: &str) -> Result<Self, InvalidPath> {
        let ok = !name.is_empty()
            && name.len() <= 255
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b));
        if ok {
            Ok(HeloName(name.to_string()))
        } else {
            Err(InvalidPath(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every command this client can send. There is no DATA, by design.
enum Command<'a> {
    Ehlo(&'a HeloName),
    Helo(&'a HeloName),
    StartTls,
    MailFrom(&'a Path),
    RcptTo(&'a Path),
    Rset,
    Quit,
}

impl Command<'_> {
    /// The stage name used in facts and reports.
    fn stage(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::MailFrom(_) => "MAIL",
            Command::RcptTo(_) => "RCPT",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
        }
    }
}

impl fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ehlo(name) => write!(f, "EHLO {}", name.as_str()),
            Command::Helo(name) => write!(f, "HELO {}", name.as_str()),
            Command::StartTls => f.write_str("STARTTLS"),
            Command::MailFrom(path) => write!(f, "MAIL FROM:<{}>", path.as_str()),
            Command::RcptTo(path) => write!(f, "RCPT TO:<{}>", path.as_str()),
            Command::Rset => f.write_str("RSET"),
            Command::Quit => f.write_str("QUIT"),
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn io(&mut self) -> &mut dyn Io {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.as_mut(),
        }
    }
}

/// An open SMTP session.
pub struct Session {
    stream: Stream,
    buffer: Vec<u8>,
    limits: Limits,
    deadline: Instant,
    bytes_read: usize,
    /// Negative (4xx/5xx) replies so far: servers slow down or hang up after a few.
    refusals: usize,
    transcript: Transcript,
}

/// The dialogue of a session, shared across reconnections, bounded.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    pub lines: Vec<String>,
    pub max: usize,
    pub dropped: usize,
}

impl Transcript {
    pub fn new(max: usize) -> Self {
        Transcript {
            lines: Vec::new(),
            max,
            dropped: 0,
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() < self.max {
            self.lines.push(line);
        } else {
            self.dropped += 1;
        }
    }

    /// The lines, with a last line saying how many were left out.
    pub fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines
                .push(format!("… {} more lines not kept", self.dropped));
        }
        self.lines
    }
}

/// What a failed command leaves: the error and the stage it happened at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    pub stage: &'static str,
    pub error: SessionError,
}

impl Session {
    /// Wrap a connected socket and read the greeting.
    pub async fn start(
        tcp: TcpStream,
        limits: Limits,
        deadline: Instant,
        transcript: Transcript,
    ) -> (Self, Result<Reply, Failed>) {
        let mut session = Session {
            stream: Stream::Plain(tcp),
            buffer: Vec::new(),
            limits,
            deadline,
            bytes_read: 0,
            refusals: 0,
            transcript,
        };
        let greeting = session.read_reply("greeting").await;
        (session, greeting)
    }

    /// Implicit TLS (port 465): handshake first, then the greeting.
    pub async fn start_tls(
        tcp: TcpStream,
        limits: Limits,
        deadline: Instant,
        mut transcript: Transcript,
        trust: &TlsTrust,
        name: ServerName<'static>,
    ) -> Result<(Self, TlsSession, Result<Reply, Failed>), (Failed, Transcript)> {
        transcript.push("C: (TLS handshake)".into());
        match handshake(tcp, trust, name, limits.reply, deadline).await {
            Ok((tls, info)) => {
                let mut session = Session {
                    stream: Stream::Tls(Box::new(tls)),
                    buffer: Vec::new(),
                    limits,
                    deadline,
                    bytes_read: 0,
                    refusals: 0,
                    transcript,
                };
                session.note_tls(&info);
                let greeting = session.read_reply("greeting").await;
                Ok((session, info, greeting))
            }
            Err(error) => {
                transcript.push(format!("   {error}"));
                Err((
                    Failed {
                        stage: "TLS handshake",
                        error,
                    },
                    transcript,
                ))
            }
        }
    }

    pub async fn ehlo(&mut self, name: &HeloName) -> Result<Reply, Failed> {
        self.command(Command::Ehlo(name)).await
    }

    pub async fn helo(&mut self, name: &HeloName) -> Result<Reply, Failed> {
        self.command(Command::Helo(name)).await
    }

    pub async fn mail_from(&mut self, path: &Path) -> Result<Reply, Failed> {
        self.command(Command::MailFrom(path)).await
    }

    pub async fn rcpt_to(&mut self, path: &Path) -> Result<Reply, Failed> {
        self.command(Command::RcptTo(path)).await
    }

    /// How many 4xx/5xx replies this session got so far.
    pub fn refusals(&self) -> usize {
        self.refusals
    }

    pub async fn rset(&mut self) -> Result<Reply, Failed> {
        self.command(Command::Rset).await
    }

    /// Say QUIT and close, waiting briefly for the reply; the session is over either way.
    pub async fn quit(mut self) -> Transcript {
        let short = self.limits.reply.min(Duration::from_secs(2));
        self.deadline = self.deadline.min(Instant::now() + short);
        let _ = self.command(Command::Quit).await;
        let _ = tokio::time::timeout(short, self.stream.io().shutdown()).await;
        self.transcript
    }

    /// Give up the session without a word (after an error), keeping its transcript.
    pub fn abandon(self) -> Transcript {
        self.transcript
    }

    /// STARTTLS and the handshake. On success the session continues encrypted; the caller
    /// must say EHLO again (RFC 3207 §4.2).
    pub async fn starttls(mut self, trust: &TlsTrust, name: ServerName<'static>) -> StartTlsResult {
        let reply = match self.command(Command::StartTls).await {
            Ok(reply) => reply,
            Err(failed) => return StartTlsResult::Broken(failed, self.transcript),
        };
        if reply.code != 220 {
            return StartTlsResult::Refused(self, reply);
        }
        // Anything the server sent after its 220 came before encryption: never trust it
        // (the STARTTLS command-injection family of bugs, CVE-2011-0411).
        self.buffer.clear();
        let Stream::Plain(tcp) = self.stream else {
            return StartTlsResult::Broken(
                Failed {
                    stage: "STARTTLS",
                    error: SessionError::Tls("the session is already encrypted".into()),
                },
                self.transcript,
            );
        };
        self.transcript.push("C: (TLS handshake)".into());
        match handshake(tcp, trust, name, self.limits.reply, self.deadline).await {
            Ok((tls, info)) => {
                let mut session = Session {
                    stream: Stream::Tls(Box::new(tls)),
                    buffer: Vec::new(),
                    limits: self.limits,
                    deadline: self.deadline,
                    bytes_read: self.bytes_read,
                    refusals: self.refusals,
                    transcript: self.transcript,
                };
                session.note_tls(&info);
                StartTlsResult::Established(session, info)
            }
            Err(error) => {
                let mut transcript = self.transcript;
                transcript.push(format!("   {error}"));
                StartTlsResult::Broken(
                    Failed {
                        stage: "TLS handshake",
                        error,
                    },
                    transcript,
                )
            }
        }
    }

    fn note_tls(&mut self, info: &TlsSession) {
        self.transcript.push(format!(
            "   (TLS established: {}, {})",
            info.version, info.cipher
        ));
    }

    async fn command(&mut self, command: Command<'_>) -> Result<Reply, Failed> {
        let stage = command.stage();
        let line = command.to_string();
        self.transcript.push(format!("C: {line}"));
        let fail = |error| Failed { stage, error };
        let now = Instant::now();
        if now >= self.deadline {
            return Err(fail(SessionError::SessionTimeout(
                self.limits.session.as_millis(),
            )));
        }
        let write = async {
            let io = self.stream.io();
            io.write_all(format!("{line}\r\n").as_bytes()).await?;
            io.flush().await
        };
        match tokio::time::timeout_at(self.deadline.into(), write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(fail(io_error(&e))),
            Err(_) => {
                return Err(fail(SessionError::SessionTimeout(
                    self.limits.session.as_millis(),
                )));
            }
        }
        self.read_reply(stage).await
    }

    /// Read one whole reply within the reply and session deadlines.
    async fn read_reply(&mut self, stage: &'static str) -> Result<Reply, Failed> {
        let fail = |error| Failed { stage, error };
        let reply_deadline = Instant::now() + self.limits.reply;
        let (deadline, session_bound) = if self.deadline < reply_deadline {
            (self.deadline, true)
        } else {
            (reply_deadline, false)
        };
        let mut chunk = [0u8; 4096];
        loop {
            match reply::parse(&self.buffer, &self.limits.reply_size) {
                Parsed::Complete(reply, used) => {
                    self.buffer.drain(..used);
                    if reply.code >= 400 {
                        self.refusals += 1;
                    }
                    let last = reply.lines.len().saturating_sub(1);
                    for (i, line) in reply.lines.iter().enumerate() {
                        let sep = if i == last { ' ' } else { '-' };
                        self.transcript
                            .push(format!("S: {}{sep}{line}", reply.code));
                    }
                    return Ok(reply);
                }
                Parsed::Invalid(e) => {
                    self.transcript
                        .push(format!("S: {}", reply::sample(&self.buffer)));
                    return Err(fail(e.into()));
                }
                Parsed::Incomplete => {}
            }
            let read = tokio::time::timeout_at(deadline.into(), self.stream.io().read(&mut chunk));
            let n = match read.await {
                Ok(Ok(0)) => {
                    if !self.buffer.is_empty() {
                        self.transcript
                            .push(format!("S: {}", reply::sample(&self.buffer)));
                    }
                    return Err(fail(SessionError::Closed));
                }
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(fail(io_error(&e))),
                Err(_) => {
                    if !self.buffer.is_empty() {
                        self.transcript
                            .push(format!("S: {}", reply::sample(&self.buffer)));
                    }
                    return Err(fail(if session_bound {
                        SessionError::SessionTimeout(self.limits.session.as_millis())
                    } else {
                        SessionError::Timeout(self.limits.reply.as_millis())
                    }));
                }
            };
            self.bytes_read += n;
            if self.bytes_read > self.limits.max_session_bytes {
                return Err(fail(SessionError::SessionTooLarge(
                    self.limits.max_session_bytes,
                )));
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// How STARTTLS went.
pub enum StartTlsResult {
    Established(Session, TlsSession),
    /// The server answered STARTTLS with something other than 220; the session goes on in
    /// plain text.
    Refused(Session, Reply),
    /// The session is gone (an error during the command or the handshake).
    Broken(Failed, Transcript),
}

async fn handshake(
    tcp: TcpStream,
    trust: &TlsTrust,
    name: ServerName<'static>,
    reply: Duration,
    deadline: Instant,
) -> Result<(TlsStream<TcpStream>, TlsSession), SessionError> {
    let (config, verdict) = trust
        .probe_config()
        .map_err(|e| SessionError::Tls(e.to_string()))?;
    let checked_name = match &name {
        ServerName::DnsName(n) => Some(n.as_ref().to_string()),
        _ => None,
    };
    let connector = TlsConnector::from(Arc::new(config));
    let deadline = deadline.min(Instant::now() + reply);
    let stream = match tokio::time::timeout_at(deadline.into(), connector.connect(name, tcp)).await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(SessionError::Tls(tls_error(&e))),
        Err(_) => return Err(SessionError::Timeout(reply.as_millis())),
    };
    let (_, conn) = stream.get_ref();
    let info = TlsSession {
        version: conn
            .protocol_version()
            .map(tls::version_name)
            .unwrap_or_default(),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        chain: conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .take(10)
            .filter_map(|c| tls::describe_certificate(c))
            .collect(),
        checked_name,
        verification: verdict.get(),
    };
    Ok((stream, info))
}

fn tls_error(error: &std::io::Error) -> String {
    let text = crate::probe::connect::describe(error);
    if text.contains("PeerIncompatible") || text.contains("protocol version") {
        format!("{text} (the server may offer only TLS 1.0/1.1 or ciphers nobody accepts any more)")
    } else {
        text
    }
}

fn io_error(error: &std::io::Error) -> SessionError {
    use std::io::ErrorKind as K;
    match error.kind() {
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => SessionError::Reset,
        K::UnexpectedEof => SessionError::Closed,
        _ => SessionError::Io(crate::probe::connect::describe(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_carry_a_second_command() {
        assert!(Path::new("user@example.org").is_ok());
        assert!(Path::new("\"a@b\"@example.org").is_ok());
        assert!(Path::new("@a.example:b@c.example").is_ok());
        assert!(Path::new("user@[192.0.2.1]").is_ok());
        for bad in [
            "a@b>\r\nDATA",
            "a@b\nDATA",
            "a b@c",
            "a@b>",
            "<a@b",
            "é@example.org",
            "a\0@b",
        ] {
            assert!(Path::new(bad).is_err(), "{bad:?}");
        }
        assert!(HeloName::new("mail.example.org").is_ok());
        assert!(HeloName::new("[192.0.2.1]").is_ok());
        assert!(HeloName::new("a\r\nDATA").is_err());
        assert!(HeloName::new("").is_err());
    }

    #[test]
    fn commands_are_what_they_say() {
        let p = Path::new("x@example.net").unwrap();
        let h = HeloName::new("probe.example").unwrap();
        let lines: Vec<String> = [
            Command::Ehlo(&h),
            Command::Helo(&h),
            Command::StartTls,
            Command::MailFrom(&Path::null()),
            Command::RcptTo(&p),
            Command::Rset,
            Command::Quit,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            [
                "EHLO probe.example",
                "HELO probe.example",
                "STARTTLS",
                "MAIL FROM:<>",
                "RCPT TO:<x@example.net>",
                "RSET",
                "QUIT"
            ]
        );
        assert!(lines.iter().all(|l| !l.starts_with("DATA")));
    }
}
