//! A small SMTP client for probing servers: greeting, EHLO, STARTTLS, implicit TLS, and
//! envelopes that stop at RCPT. It cannot send DATA.
//!
//! Not lettre: a diagnosis needs the raw greeting, every EHLO keyword, the negotiated TLS
//! version and cipher, the certificate whatever its faults, and hard bounds on what a
//! hostile server may send; a mail-sending library hides or refuses all of that.

mod client;
pub mod relay;
mod reply;
pub mod report;
pub mod tls;

pub use client::{
    Failed, HeloName, InvalidPath, Limits, Path, Session, SessionError, StartTlsResult, Transcript,
};
pub use reply::{ReplyError, ReplyLimits};
pub use tls::{TlsSetupError, TlsTrust};
