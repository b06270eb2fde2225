//! This machine's network: is it behind NAT, and can it reach port 25 on the Internet?

use std::net::IpAddr;

use crate::facts::{
    AttemptOutcome, Detection, Egress, EgressOutcome, Facts, PostfixFacts, PublicAddresses,
    is_cgnat, is_private,
};

use super::{Finding, FindingId, Severity};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    egress(facts, out);
    public_addresses(facts, out);
}

fn egress(facts: &Facts, out: &mut Vec<Finding>) {
    let Egress::Checked(check) = &facts.env.egress else {
        return;
    };
    let relayhost = match &facts.postfix {
        PostfixFacts::Read(config) => {
            Some(config.main("relayhost").to_string()).filter(|r| !r.is_empty())
        }
        _ => None,
    };
    let subject = format!("{}:{}", check.target, check.port);
    let finding = |id, severity| {
        Finding::new(id, severity, &subject)
            .with("target", &check.target)
            .with("port", check.port)
            .with("address", check.address)
            .with("builtin", check.builtin)
            .with("outcome", check.outcome.as_str())
            .with("detail", &check.detail)
            .with("millis", check.millis)
    };
    match check.outcome {
        EgressOutcome::Open => out.push(
            finding(FindingId::NetOutbound25Open, Severity::Ok).with("banner", &check.banner),
        ),
        EgressOutcome::Timeout | EgressOutcome::Refused | EgressOutcome::Reset => {
            // With a smarthost, mail leaves on port 587 or 465: port 25 does not matter.
            let severity = if relayhost.is_some() {
                Severity::Info
            } else {
                Severity::Critical
            };
            out.push(
                finding(FindingId::NetOutbound25Blocked, severity).with("relayhost", &relayhost),
            );
        }
        EgressOutcome::Unreachable | EgressOutcome::NoAddress | EgressOutcome::Error => {
            out.push(finding(FindingId::NetOutbound25Unknown, Severity::Unknown))
        }
    }
}

fn public_addresses(facts: &Facts, out: &mut Vec<Finding>) {
    let PublicAddresses::Detected { v4, v6 } = &facts.env.public else {
        return;
    };
    let local = &facts.env.local;
    for (family, detection, source) in [("IPv4", v4, local.v4), ("IPv6", v6, local.v6)] {
        one_family(family, detection, source, facts, out);
    }
}

fn one_family(
    family: &str,
    detection: &Detection,
    source: Option<IpAddr>,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    let host = facts
        .env
        .hostname
        .as_ref()
        .map(|h| h.fqdn.clone().unwrap_or_else(|| h.name.clone()));
    let method = detection.attempts.iter().find_map(|a| match a.outcome {
        AttemptOutcome::Found { .. } => Some(a.method.clone()),
        _ => None,
    });
    let attempts: Vec<String> = detection
        .attempts
        .iter()
        .map(|a| match &a.outcome {
            AttemptOutcome::Failed { detail } => format!("{}: {detail}", a.method),
            AttemptOutcome::Skipped { reason } => format!("{}: skipped ({reason})", a.method),
            AttemptOutcome::Found { address } => format!("{}: {address}", a.method),
        })
        .collect();
    // With --resolver, the DNS echo services (which need their own servers) are not asked.
    let dns_skipped = detection.attempts.iter().any(|a| {
        a.method.starts_with("dns:")
            && matches!(&a.outcome, AttemptOutcome::Skipped { reason } if reason.contains("--resolver"))
    });
    match detection.address {
        Some(public) => {
            let subject = public.to_string();
            if let Some(local) = source
                && is_private(&local)
                && local != public
            {
                out.push(
                    Finding::new(FindingId::NetBehindNat, Severity::Info, subject)
                        .with("family", family)
                        .with("local", local)
                        .with("public", public)
                        .with("cgnat", is_cgnat(&local))
                        .with("method", method)
                        .with("machine", host)
                        .with("dns_skipped", dns_skipped)
                        .with("attempts", &attempts),
                );
            } else {
                out.push(
                    Finding::new(FindingId::NetPublicAddress, Severity::Ok, subject)
                        .with("family", family)
                        .with("local", source)
                        .with("public", public)
                        .with("method", method)
                        .with("machine", host)
                        .with("dns_skipped", dns_skipped)
                        .with("attempts", &attempts),
                );
            }
        }
        None => {
            if !detection.tried() {
                return;
            }
            // Many machines have no public IPv6 at all: a failed IPv6 detection only matters
            // when the machine routes IPv6 from a global address (a ULA or link-local source
            // means IPv6 stays inside the network; NAT for IPv6 is rare).
            if family == "IPv6" && source.is_none_or(|s| is_private(&s)) {
                return;
            }
            if let Some(local) = source
                && !is_private(&local)
            {
                // The machine holds a public address itself: that is what the Internet sees.
                out.push(
                    Finding::new(FindingId::NetPublicAddress, Severity::Ok, local.to_string())
                        .with("family", family)
                        .with("local", local)
                        .with("public", local)
                        .with("method", "the machine's own address")
                        .with("machine", host)
                        .with("dns_skipped", dns_skipped)
                        .with("attempts", &attempts),
                );
                return;
            }
            let failures: Vec<String> = detection
                .attempts
                .iter()
                .map(|a| match &a.outcome {
                    AttemptOutcome::Failed { detail } => format!("{}: {detail}", a.method),
                    AttemptOutcome::Skipped { reason } => {
                        format!("{}: skipped ({reason})", a.method)
                    }
                    AttemptOutcome::Found { address } => format!("{}: {address}", a.method),
                })
                .collect();
            out.push(
                Finding::new(
                    FindingId::NetPublicAddressUnknown,
                    Severity::Unknown,
                    family,
                )
                .with("family", family)
                .with("local", source)
                .with("attempts", failures),
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::facts::{DetectionAttempt, EgressCheck, LocalAddresses, PostfixConfig};
    use crate::testing::facts_for;

    use FindingId::*;
    use Severity::*;

    fn egress(outcome: EgressOutcome, relayhost: &str) -> Vec<(FindingId, Severity)> {
        egress_findings(outcome, relayhost)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    fn egress_findings(outcome: EgressOutcome, relayhost: &str) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.env.egress = Egress::Checked(EgressCheck {
            target: "gmail-smtp-in.l.google.com".into(),
            port: 25,
            builtin: true,
            address: Some("192.0.2.25".parse().unwrap()),
            outcome,
            banner: None,
            detail: None,
            millis: 5,
        });
        let mut config = PostfixConfig::default();
        config
            .effective
            .insert("relayhost".into(), relayhost.into());
        facts.postfix = PostfixFacts::Read(config);
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        out
    }

    #[test]
    fn egress_table() {
        assert_eq!(egress(EgressOutcome::Open, ""), [(NetOutbound25Open, Ok)]);
        assert_eq!(
            egress(EgressOutcome::Timeout, ""),
            [(NetOutbound25Blocked, Critical)]
        );
        assert_eq!(
            egress(EgressOutcome::Refused, ""),
            [(NetOutbound25Blocked, Critical)]
        );
        assert_eq!(
            egress(EgressOutcome::Reset, "[smtp.example.net]:587"),
            [(NetOutbound25Blocked, Info)]
        );
        assert_eq!(
            egress(EgressOutcome::NoAddress, ""),
            [(NetOutbound25Unknown, Unknown)]
        );
        assert_eq!(
            egress(EgressOutcome::Unreachable, ""),
            [(NetOutbound25Unknown, Unknown)]
        );
    }

    fn found(ip: &str) -> Detection {
        Detection {
            address: Some(ip.parse().unwrap()),
            attempts: vec![DetectionAttempt {
                method: "https:https://api.ipify.org/".into(),
                outcome: AttemptOutcome::Found {
                    address: ip.parse().unwrap(),
                },
            }],
        }
    }

    fn failed() -> Detection {
        Detection {
            address: None,
            attempts: vec![DetectionAttempt {
                method: "https:https://api.ipify.org/".into(),
                outcome: AttemptOutcome::Failed {
                    detail: "timeout".into(),
                },
            }],
        }
    }

    fn skipped() -> Detection {
        Detection {
            address: None,
            attempts: vec![DetectionAttempt {
                method: "dns:myip.opendns.com@208.67.222.222".into(),
                outcome: AttemptOutcome::Skipped {
                    reason: "--resolver".into(),
                },
            }],
        }
    }

    fn nat(v4: Detection, local: Option<&str>) -> Vec<(FindingId, Severity)> {
        nat_findings(v4, local)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    /// One finding of every kind this module emits, for the playbook rendering test.
    pub(crate) fn samples() -> Vec<Finding> {
        let mut all = Vec::new();
        for outcome in [
            EgressOutcome::Open,
            EgressOutcome::Timeout,
            EgressOutcome::Refused,
            EgressOutcome::Reset,
            EgressOutcome::Unreachable,
            EgressOutcome::NoAddress,
            EgressOutcome::Error,
        ] {
            all.extend(egress_findings(outcome, ""));
            all.extend(egress_findings(outcome, "[smtp.example.net]:587"));
        }
        all.extend(nat_findings(found("203.0.113.7"), Some("192.168.1.20")));
        all.extend(nat_findings(found("203.0.113.7"), Some("100.64.3.4")));
        all.extend(nat_findings(found("203.0.113.7"), None));
        all.extend(nat_findings(failed(), Some("203.0.113.7")));
        all.extend(nat_findings(failed(), Some("10.0.0.5")));
        all
    }

    fn nat_findings(v4: Detection, local: Option<&str>) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.env.local = LocalAddresses {
            skipped: None,
            v4: local.map(|l| l.parse().unwrap()),
            v6: None,
        };
        facts.env.public = PublicAddresses::Detected { v4, v6: skipped() };
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        out
    }

    #[test]
    fn nat_table() {
        assert_eq!(
            nat(found("203.0.113.7"), Some("192.168.1.20")),
            [(NetBehindNat, Info)]
        );
        assert_eq!(
            nat(found("203.0.113.7"), Some("100.64.3.4")),
            [(NetBehindNat, Info)]
        );
        assert_eq!(
            nat(found("203.0.113.7"), Some("203.0.113.7")),
            [(NetPublicAddress, Ok)]
        );
        assert_eq!(nat(found("203.0.113.7"), None), [(NetPublicAddress, Ok)]);
        assert_eq!(nat(failed(), Some("203.0.113.7")), [(NetPublicAddress, Ok)]);
        assert_eq!(
            nat(failed(), Some("10.0.0.5")),
            [(NetPublicAddressUnknown, Unknown)]
        );
        assert_eq!(nat(skipped(), Some("10.0.0.5")), []);
    }
}
