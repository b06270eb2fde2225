//! The one door for TCP connections made by probes (SMTP, the port 25 egress test, the
//! HTTPS address echo), and the loopback-only safety switch.
//!
//! Safety switch: when the environment variable `MXDOCTOR_LOOPBACK_ONLY` is set (to anything
//! but "" or "0"), mxdoctor refuses, before any packet is sent, every connection to an address
//! outside 127.0.0.0/8 and ::1, never uses its built-in Internet targets (a big receiver's MX,
//! public-address services), and does not read the state of the machine it runs on (its
//! local Postfix unless `--postfix-config` names one, its source addresses). Probes that were
//! refused are recorded as skipped, exactly as if they had been switched off by a flag. Test
//! suites set it so that no test can ever reach the network or depend on the test machine.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

use crate::facts::ConnectFailure;

/// Name of the safety switch variable.
pub const LOOPBACK_ONLY_ENV: &str = "MXDOCTOR_LOOPBACK_ONLY";

/// Why a skipped probe was skipped, in facts.
pub const LOOPBACK_ONLY_REASON: &str = "loopback-only (MXDOCTOR_LOOPBACK_ONLY is set)";

/// True when the loopback-only safety switch is on.
pub fn loopback_only() -> bool {
    std::env::var_os(LOOPBACK_ONLY_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// May a probe connect to `ip`? Always, unless the safety switch is on.
pub fn allowed(ip: IpAddr) -> bool {
    !loopback_only() || is_loopback(ip)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// A connection that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("not attempted: {LOOPBACK_ONLY_REASON}")]
    Blocked,
    #[error("{detail}")]
    Failed {
        failure: ConnectFailure,
        detail: String,
    },
}

/// Connect to `addr` within `timeout`, honouring the safety switch.
pub async fn tcp(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ConnectError> {
    if !allowed(addr.ip()) {
        return Err(ConnectError::Blocked);
    }
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(error)) => Err(ConnectError::Failed {
            failure: classify(&error),
            detail: describe(&error),
        }),
        Err(_) => Err(ConnectError::Failed {
            failure: ConnectFailure::Timeout,
            detail: format!("no answer within {} ms", timeout.as_millis()),
        }),
    }
}

/// The one place that sorts socket errors into what they mean for a diagnosis.
pub fn classify(error: &io::Error) -> ConnectFailure {
    use io::ErrorKind as K;
    match error.kind() {
        K::ConnectionRefused => ConnectFailure::Refused,
        K::TimedOut => ConnectFailure::Timeout,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => ConnectFailure::Reset,
        K::NetworkUnreachable | K::HostUnreachable | K::AddrNotAvailable => {
            ConnectFailure::Unreachable
        }
        _ => ConnectFailure::Error,
    }
}

/// The error without Rust's "(os error 111)" suffix.
pub fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(pos) => text[..pos].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_errors_are_classified() {
        use io::ErrorKind as K;
        let cases = [
            (K::ConnectionRefused, ConnectFailure::Refused),
            (K::TimedOut, ConnectFailure::Timeout),
            (K::ConnectionReset, ConnectFailure::Reset),
            (K::NetworkUnreachable, ConnectFailure::Unreachable),
            (K::HostUnreachable, ConnectFailure::Unreachable),
            (K::PermissionDenied, ConnectFailure::Error),
        ];
        for (kind, want) in cases {
            assert_eq!(classify(&io::Error::from(kind)), want, "{kind:?}");
        }
        assert_eq!(
            describe(&io::Error::from_raw_os_error(111)),
            "Connection refused"
        );
    }

    #[test]
    fn loopback_addresses() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("127.5.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.10".parse().unwrap()));
        assert!(!is_loopback("::ffff:192.0.2.10".parse().unwrap()));
    }

    #[tokio::test]
    async fn refused_connection_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        match tcp(addr, Duration::from_secs(2)).await {
            Err(ConnectError::Failed { failure, .. }) => {
                assert_eq!(failure, ConnectFailure::Refused)
            }
            other => panic!("{other:?}"),
        }
    }
}
