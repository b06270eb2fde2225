//! The machine mxdoctor runs on: its name, its addresses as seen from inside and from
//! outside, and whether it can open connections to port 25 on the Internet.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ReverseDns;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvFacts {
    #[serde(default)]
    pub hostname: Option<Hostname>,
    /// The source address the kernel picks for Internet destinations, per family.
    #[serde(default)]
    pub local: LocalAddresses,
    /// This machine's address as the Internet sees it.
    #[serde(default)]
    pub public: PublicAddresses,
    /// Reverse DNS of the detected public addresses and of global IPv6 source addresses.
    #[serde(default)]
    pub reverse: Vec<ReverseDns>,
    /// Can this machine reach port 25 of a big receiver?
    #[serde(default)]
    pub egress: Egress,
}

/// The machine's own name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hostname {
    /// The kernel's host name.
    pub name: String,
    /// The fully qualified name, when the host name has dots or /etc/hosts gives one.
    pub fqdn: Option<String>,
}

/// Source addresses for Internet-bound traffic (found with a UDP route lookup: nothing is sent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalAddresses {
    /// Why they were not looked up (loopback-only safety switch).
    #[serde(default)]
    pub skipped: Option<String>,
    #[serde(default)]
    pub v4: Option<IpAddr>,
    #[serde(default)]
    pub v6: Option<IpAddr>,
}

/// Public address detection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum PublicAddresses {
    #[default]
    NotAsked,
    /// `--ip` named the sending addresses: nothing was detected.
    Given,
    Detected {
        v4: Detection,
        v6: Detection,
    },
}

/// The public address of one family and how it was found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    /// The address found by the first method that answered.
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// Every method, in the order tried.
    #[serde(default)]
    pub attempts: Vec<DetectionAttempt>,
}

impl Detection {
    /// True when at least one method actually ran (was not skipped).
    pub fn tried(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| !matches!(a.outcome, AttemptOutcome::Skipped { .. }))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectionAttempt {
    /// "dns:myip.opendns.com", "https:https://api.ipify.org/"…
    pub method: String,
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AttemptOutcome {
    Found { address: IpAddr },
    Failed { detail: String },
    Skipped { reason: String },
}

/// The outbound port 25 test.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Egress {
    #[default]
    NotAsked,
    Skipped {
        reason: String,
    },
    Checked(EgressCheck),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EgressCheck {
    /// Host name (or address) and port tried.
    pub target: String,
    pub port: u16,
    /// True for the built-in target (a big receiver's MX), false for `--egress-target`.
    pub builtin: bool,
    #[serde(default)]
    pub address: Option<IpAddr>,
    pub outcome: EgressOutcome,
    /// The first greeting line, when one came.
    #[serde(default)]
    pub banner: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    pub millis: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EgressOutcome {
    /// Connected.
    Open,
    /// Connection refused (an RST to the SYN).
    Refused,
    /// Connected, then reset before or during the greeting.
    Reset,
    /// No answer to the SYN in time: dropped.
    Timeout,
    /// No route from this machine.
    Unreachable,
    /// The target's name could not be resolved.
    NoAddress,
    Error,
}

impl EgressOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            EgressOutcome::Open => "open",
            EgressOutcome::Refused => "refused",
            EgressOutcome::Reset => "reset",
            EgressOutcome::Timeout => "timeout",
            EgressOutcome::Unreachable => "unreachable",
            EgressOutcome::NoAddress => "no-address",
            EgressOutcome::Error => "error",
        }
    }
}

/// True for addresses that are not routed on the Internet: RFC 1918, shared address space
/// (carrier-grade NAT, RFC 6598), link-local, unique local IPv6 (RFC 4193), loopback.
pub fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// True for the shared address space of carrier-grade NAT (100.64.0.0/10).
pub fn is_cgnat(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]),
        IpAddr::V6(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.10",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.1.1",
            "127.0.0.1",
            "fd00::1",
            "fe80::1",
            "::1",
        ] {
            assert!(is_private(&ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "192.0.2.10",
            "203.0.113.5",
            "100.128.0.1",
            "2001:db8::10",
            "8.8.8.8",
        ] {
            assert!(!is_private(&ip.parse().unwrap()), "{ip}");
        }
        assert!(is_cgnat(&"100.100.1.1".parse().unwrap()));
        assert!(!is_cgnat(&"10.0.0.1".parse().unwrap()));
    }
}
