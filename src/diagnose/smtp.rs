//! SMTP servers as senders and people see them: reachable, greeting with their own name,
//! STARTTLS with a valid certificate, not an open relay, postmaster@ and abuse@ accepted.

use crate::facts::{
    CertificateProblem, CertificateVerdict, ConnectFailure, Connection, Egress, EgressOutcome,
    Facts, Lookup, RcptCheck, RcptResult, SmtpProbe, TargetOrigin, TlsOutcome, TlsSession,
};
use crate::smtp::relay::RelayVerdict;

use super::{Finding, FindingId, Severity};

/// A certificate this close to its end gets a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;

/// What the outbound port 25 test says about our own network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OurNetwork {
    /// We reached a big receiver on port 25: failures are the server's.
    Open,
    /// Our port 25 is blocked: failures may be ours.
    Blocked,
    /// Not tested or inconclusive.
    Unknown,
}

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let network = match &facts.env.egress {
        Egress::Checked(c) => match c.outcome {
            EgressOutcome::Open => OurNetwork::Open,
            EgressOutcome::Timeout | EgressOutcome::Refused | EgressOutcome::Reset => {
                OurNetwork::Blocked
            }
            _ => OurNetwork::Unknown,
        },
        _ => OurNetwork::Unknown,
    };
    for probe in &facts.smtp.probes {
        one_probe(probe, network, out);
    }
}

fn base(id: FindingId, severity: Severity, probe: &SmtpProbe) -> Finding {
    Finding::new(id, severity, probe.label())
        .with("server", probe.label())
        .with("name", &probe.host)
        .with("port", probe.port)
        .with("address", probe.address)
}

fn network_label(network: OurNetwork) -> &'static str {
    match network {
        OurNetwork::Open => "open",
        OurNetwork::Blocked => "blocked",
        OurNetwork::Unknown => "unknown",
    }
}

fn one_probe(probe: &SmtpProbe, network: OurNetwork, out: &mut Vec<Finding>) {
    // Connection.
    match &probe.connection {
        Connection::NotAsked | Connection::Skipped { .. } => return,
        Connection::NoAddress { detail } => {
            // An MX host without an address is an MX finding already.
            if probe.origin == TargetOrigin::Flag {
                out.push(
                    base(FindingId::SmtpUnreachable, Severity::Unknown, probe)
                        .with("reason", "no-address")
                        .with("detail", detail)
                        .with("network", network_label(network)),
                );
            }
            return;
        }
        Connection::Failed { failure, detail } => {
            let severity = match (failure, network) {
                (_, OurNetwork::Blocked) => Severity::Unknown,
                (ConnectFailure::Refused, _) => Severity::Critical,
                (ConnectFailure::Timeout, OurNetwork::Open) => Severity::Critical,
                _ => Severity::Unknown,
            };
            let reason = match failure {
                ConnectFailure::Refused => "refused",
                ConnectFailure::Timeout => "timeout",
                ConnectFailure::Unreachable => "unreachable",
                ConnectFailure::Reset => "reset",
                ConnectFailure::Error => "error",
            };
            out.push(
                base(FindingId::SmtpUnreachable, severity, probe)
                    .with("reason", reason)
                    .with("detail", detail)
                    .with("network", network_label(network)),
            );
            return;
        }
        Connection::Connected { .. } => {}
    }

    // Implicit TLS comes before the greeting.
    if probe.implicit_tls
        && let TlsOutcome::Failed { stage, detail } = &probe.tls
    {
        out.push(tls_failed(probe, stage, detail));
        return;
    }

    // Greeting.
    let Some(greeting) = &probe.greeting else {
        let (kind, detail) = probe
            .failure
            .as_ref()
            .map(|f| (f.kind.as_str(), f.detail.as_str()))
            .unwrap_or(("closed", "no greeting"));
        let severity = if network == OurNetwork::Blocked {
            Severity::Unknown
        } else {
            Severity::Critical
        };
        out.push(
            base(FindingId::SmtpUnreachable, severity, probe)
                .with("reason", format!("greeting-{kind}"))
                .with("detail", detail)
                .with("network", network_label(network)),
        );
        return;
    };
    if greeting.code != 220 {
        // 554 at the greeting usually means "not you": it may be this machine that is
        // refused (a blocklisted address), so the server's own state is unknown.
        out.push(
            base(FindingId::SmtpUnreachable, Severity::Unknown, probe)
                .with("reason", "greeting-refused")
                .with("detail", greeting.one_line())
                .with("network", network_label(network)),
        );
        return;
    }

    // EHLO / HELO.
    let ehlo_ok = probe.ehlo.as_ref().is_some_and(|r| r.is_positive());
    if !ehlo_ok {
        let failure = probe.failure.as_ref();
        out.push(
            base(FindingId::SmtpProtocolError, Severity::Critical, probe)
                .with("stage", failure.map_or("EHLO", |f| f.stage.as_str()))
                .with("kind", failure.map(|f| f.kind.as_str()))
                .with(
                    "detail",
                    failure.map_or_else(
                        || {
                            probe
                                .ehlo
                                .as_ref()
                                .map(|r| r.one_line())
                                .unwrap_or_default()
                        },
                        |f| f.detail.clone(),
                    ),
                ),
        );
        return;
    }

    let mut problem = false;

    // The greeting names the server; it should be the name its address resolves back to.
    // RFC 5321 §4.3.1: "220 SP (Domain / address-literal)"; a first word without a dot
    // ("ESMTP", "localhost") is no usable name.
    let greeting_name = greeting
        .first_word()
        .map(normalize)
        .filter(|w| w.contains('.') || w.starts_with('['));
    let mut known: Vec<String> = Vec::new();
    if probe.host.parse::<std::net::IpAddr>().is_err() {
        known.push(normalize(&probe.host));
    }
    known.extend(probe.ptr.records().iter().map(|n| normalize(n)));
    let ptr_answered = matches!(probe.ptr, Lookup::Answer { .. }) || probe.ptr.is_missing();
    if !known.is_empty() || ptr_answered {
        let matches = greeting_name
            .as_ref()
            .is_some_and(|g| known.iter().any(|k| k == g));
        if !matches {
            problem = true;
            out.push(
                base(FindingId::SmtpBannerMismatch, Severity::Warning, probe)
                    .with("greeting", greeting.one_line())
                    .with("greeting_name", &greeting_name)
                    .with("ptr", probe.ptr.records())
                    .with("expected", &known),
            );
        }
    }

    // TLS.
    match &probe.tls {
        TlsOutcome::NotOffered => {
            problem = true;
            out.push(
                base(FindingId::SmtpNoStarttls, Severity::Warning, probe)
                    .with("capabilities", &probe.capabilities),
            );
        }
        TlsOutcome::Failed { stage, detail } => {
            problem = true;
            out.push(tls_failed(probe, stage, detail));
        }
        TlsOutcome::Established(session) => {
            problem |= certificate(probe, session, out);
        }
        TlsOutcome::NotTried => {}
    }

    // Relay matrix.
    if !probe.relay.is_empty() {
        let verdict = RelayVerdict::of(probe.relay.iter().map(|c| c.result));
        let accepted: Vec<String> = probe
            .relay
            .iter()
            .filter(|c| c.result == RcptResult::Accepted)
            .map(|c| format!("{} (RCPT TO:<{}>)", c.case, c.recipient))
            .collect();
        let untested: Vec<String> = probe
            .relay
            .iter()
            .filter(|c| matches!(c.result, RcptResult::TempFailed | RcptResult::NotTested))
            .map(|c| match c.rcpt_reply.as_ref().or(c.mail_reply.as_ref()) {
                Some(reply) => format!("{}: {}", c.case, reply.one_line()),
                None => format!("{}: no answer", c.case),
            })
            .collect();
        let cases: Vec<String> = probe
            .relay
            .iter()
            .map(|c| format!("{}: {}", c.case, c.result.as_str()))
            .collect();
        let finding = match verdict {
            RelayVerdict::Open => base(FindingId::SmtpOpenRelay, Severity::Critical, probe),
            RelayVerdict::Closed => base(FindingId::SmtpRelayClosed, Severity::Ok, probe),
            RelayVerdict::Incomplete => {
                base(FindingId::SmtpRelayTestIncomplete, Severity::Unknown, probe)
            }
        };
        out.push(
            finding
                .with("accepted", &accepted)
                .with("untested", &untested)
                .with("cases", &cases)
                .with("tested", probe.relay.len())
                .with(
                    "failure",
                    probe
                        .failure
                        .as_ref()
                        .map(|f| format!("{}: {}", f.stage, f.detail)),
                ),
        );
    }

    // postmaster@ and abuse@.
    let mut accepted_roles: Vec<&str> = Vec::new();
    for (check, id) in [
        (&probe.postmaster, FindingId::SmtpPostmasterRejected),
        (&probe.abuse, FindingId::SmtpAbuseRejected),
    ] {
        let Some(check) = check else { continue };
        match check.result {
            RcptResult::Accepted => accepted_roles.push(&check.address),
            RcptResult::Refused => {
                problem = true;
                out.push(role(probe, id, Severity::Warning, check, false));
            }
            RcptResult::TempFailed => {
                out.push(role(probe, id, Severity::Unknown, check, true));
            }
            RcptResult::NotTested => {}
        }
    }

    if !problem {
        let (version, cipher) = match &probe.tls {
            TlsOutcome::Established(s) => (Some(s.version.as_str()), Some(s.cipher.as_str())),
            _ => (None, None),
        };
        out.push(
            base(FindingId::SmtpOk, Severity::Ok, probe)
                .with("greeting", greeting.one_line())
                .with("tls_version", version)
                .with("tls_cipher", cipher)
                .with("roles_accepted", &accepted_roles),
        );
    }
}

fn tls_failed(probe: &SmtpProbe, stage: &str, detail: &str) -> Finding {
    base(FindingId::SmtpTlsFailed, Severity::Critical, probe)
        .with("stage", stage)
        .with("detail", detail)
        .with("implicit", probe.implicit_tls)
}

fn role(
    probe: &SmtpProbe,
    id: FindingId,
    severity: Severity,
    check: &RcptCheck,
    greylisted: bool,
) -> Finding {
    base(id, severity, probe)
        .with("recipient", &check.address)
        .with("reply", check.reply.as_ref().map(|r| r.one_line()))
        .with("greylisted", greylisted)
}

/// Certificate findings; true when there was a problem.
fn certificate(probe: &SmtpProbe, session: &TlsSession, out: &mut Vec<Finding>) -> bool {
    let leaf = session.chain.first();
    let evidence = |f: Finding| {
        f.with("tls_version", &session.version)
            .with("cert_subject", leaf.map(|c| c.subject.as_str()))
            .with("cert_issuer", leaf.map(|c| c.issuer.as_str()))
            .with(
                "cert_names",
                leaf.map(|c| c.dns_names.clone()).unwrap_or_default(),
            )
            .with("not_after", leaf.map(|c| date(c.not_after)))
            .with("checked_name", &session.checked_name)
    };
    match &session.verification {
        CertificateVerdict::Invalid { problem, detail } => {
            // Reached by address only: there was no name to check, so no name can mismatch.
            if *problem == CertificateProblem::NameMismatch && session.checked_name.is_none() {
                return false;
            }
            out.push(evidence(
                base(
                    FindingId::SmtpTlsCertificateInvalid,
                    Severity::Warning,
                    probe,
                )
                .with("problem", problem.as_str())
                .with("detail", detail),
            ));
            true
        }
        CertificateVerdict::Valid => {
            let Some(leaf) = leaf else { return false };
            let days_left = (leaf.not_after - probe.checked_at as i64).div_euclid(86_400);
            if days_left < EXPIRY_WARNING_DAYS {
                out.push(evidence(
                    base(
                        FindingId::SmtpTlsCertificateExpiring,
                        Severity::Warning,
                        probe,
                    )
                    .with("days_left", days_left),
                ));
                return true;
            }
            false
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// "2026-12-01" for Unix seconds (UTC).
pub(crate) fn date(unix: i64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm), valid for any date after 1970.
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::facts::{
        CertificateInfo, EgressCheck, FailureKind, RelayCase, Reply, SessionFailure,
    };
    use crate::testing::facts_for;

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    fn good_probe() -> SmtpProbe {
        SmtpProbe {
            host: "mail.example.org".into(),
            port: 25,
            origin: TargetOrigin::Mx,
            implicit_tls: false,
            address: Some("192.0.2.10".parse().unwrap()),
            ptr: Lookup::Answer {
                records: vec!["mail.example.org".into()],
            },
            domain: Some("example.org".into()),
            checked_at: 1_800_000_000,
            connection: Connection::Connected { millis: 3 },
            greeting: Some(reply(220, "mail.example.org ESMTP Postfix")),
            ehlo: Some(Reply {
                code: 250,
                lines: vec!["mail.example.org".into(), "STARTTLS".into()],
            }),
            capabilities: vec!["STARTTLS".into()],
            tls: TlsOutcome::Established(TlsSession {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
                chain: vec![CertificateInfo {
                    subject: "CN=mail.example.org".into(),
                    issuer: "CN=R11,O=Let's Encrypt,C=US".into(),
                    not_before: 1_790_000_000,
                    not_after: 1_800_000_000 + 60 * 86_400,
                    dns_names: vec!["mail.example.org".into()],
                }],
                checked_name: Some("mail.example.org".into()),
                verification: CertificateVerdict::Valid,
            }),
            relay: ["external", "null-sender"]
                .iter()
                .map(|id| RelayCase {
                    case: id.to_string(),
                    sender: "".into(),
                    recipient: "x@example.net".into(),
                    result: RcptResult::Refused,
                    mail_reply: Some(reply(250, "2.1.0 Ok")),
                    rcpt_reply: Some(reply(554, "5.7.1 Relay access denied")),
                })
                .collect(),
            postmaster: Some(RcptCheck {
                address: "postmaster@example.org".into(),
                result: RcptResult::Accepted,
                reply: Some(reply(250, "2.1.5 Ok")),
            }),
            abuse: Some(RcptCheck {
                address: "abuse@example.org".into(),
                result: RcptResult::Accepted,
                reply: Some(reply(250, "2.1.5 Ok")),
            }),
            failure: None,
            transcript: vec![],
        }
    }

    fn run(probe: SmtpProbe, egress: Option<EgressOutcome>) -> Vec<(FindingId, Severity)> {
        findings(probe, egress)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    fn findings(probe: SmtpProbe, egress: Option<EgressOutcome>) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.smtp.probes = vec![probe];
        if let Some(outcome) = egress {
            facts.env.egress = Egress::Checked(EgressCheck {
                target: "gmail-smtp-in.l.google.com".into(),
                port: 25,
                builtin: true,
                address: None,
                outcome,
                banner: None,
                detail: None,
                millis: 1,
            });
        }
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        out
    }

    /// One finding of every kind this module emits, for the playbook rendering test.
    pub(crate) fn samples() -> Vec<Finding> {
        let mut all = findings(good_probe(), Some(EgressOutcome::Open));
        let mut variant = |f: &dyn Fn(&mut SmtpProbe)| {
            let mut p = good_probe();
            f(&mut p);
            all.extend(findings(p, None));
        };
        for failure in [
            ConnectFailure::Refused,
            ConnectFailure::Timeout,
            ConnectFailure::Unreachable,
            ConnectFailure::Reset,
            ConnectFailure::Error,
        ] {
            variant(&|p| {
                p.connection = Connection::Failed {
                    failure,
                    detail: "x".into(),
                }
            });
        }
        variant(&|p| {
            p.origin = TargetOrigin::Flag;
            p.connection = Connection::NoAddress {
                detail: "mail.example.org has no address".into(),
            }
        });
        for kind in [
            FailureKind::Timeout,
            FailureKind::Closed,
            FailureKind::Reset,
            FailureKind::Garbage,
            FailureKind::TooLong,
            FailureKind::Io,
        ] {
            variant(&|p| {
                p.greeting = None;
                p.failure = Some(SessionFailure {
                    stage: "greeting".into(),
                    kind,
                    detail: "x".into(),
                });
            });
        }
        variant(&|p| p.greeting = Some(reply(554, "5.7.1 no")));
        variant(&|p| {
            p.ehlo = None;
            p.failure = Some(SessionFailure {
                stage: "EHLO".into(),
                kind: FailureKind::Garbage,
                detail: "not an SMTP reply".into(),
            });
        });
        variant(&|p| {
            p.greeting = Some(reply(220, "ESMTP"));
            p.ptr = Lookup::NxDomain;
            p.host = "192.0.2.10".into();
        });
        variant(&|p| p.tls = TlsOutcome::NotOffered);
        for stage in ["STARTTLS", "handshake"] {
            variant(&|p| {
                p.tls = TlsOutcome::Failed {
                    stage: stage.into(),
                    detail: "x".into(),
                }
            });
        }
        variant(&|p| {
            p.implicit_tls = true;
            p.greeting = None;
            p.tls = TlsOutcome::Failed {
                stage: "handshake".into(),
                detail: "x".into(),
            };
        });
        for problem in [
            CertificateProblem::UnknownIssuer,
            CertificateProblem::SelfSigned,
            CertificateProblem::Expired,
            CertificateProblem::NotYetValid,
            CertificateProblem::NameMismatch,
            CertificateProblem::Revoked,
            CertificateProblem::BadSignature,
            CertificateProblem::NoCertificate,
            CertificateProblem::Other,
        ] {
            variant(&|p| {
                if let TlsOutcome::Established(s) = &mut p.tls {
                    s.verification = CertificateVerdict::Invalid {
                        problem,
                        detail: "x".into(),
                    };
                }
            });
        }
        variant(&|p| {
            if let TlsOutcome::Established(s) = &mut p.tls {
                s.chain[0].not_after = p.checked_at as i64 + 86_400;
            }
        });
        variant(&|p| p.relay[0].result = RcptResult::Accepted);
        variant(&|p| {
            p.relay[0].result = RcptResult::TempFailed;
            p.failure = Some(SessionFailure {
                stage: "RCPT".into(),
                kind: FailureKind::Closed,
                detail: "closed".into(),
            });
        });
        for result in [RcptResult::Refused, RcptResult::TempFailed] {
            variant(&|p| {
                p.postmaster.as_mut().unwrap().result = result;
                p.abuse.as_mut().unwrap().result = result;
            });
        }
        all
    }

    use FindingId::*;
    use Severity::*;

    #[test]
    fn a_good_server() {
        assert_eq!(
            run(good_probe(), None),
            [(SmtpRelayClosed, Ok), (SmtpOk, Ok)]
        );
    }

    #[test]
    fn unreachable_depends_on_our_own_network() {
        let failed = |failure| {
            let mut p = good_probe();
            p.connection = Connection::Failed {
                failure,
                detail: "x".into(),
            };
            p
        };
        use ConnectFailure as C;
        assert_eq!(run(failed(C::Refused), None), [(SmtpUnreachable, Critical)]);
        assert_eq!(run(failed(C::Timeout), None), [(SmtpUnreachable, Unknown)]);
        assert_eq!(
            run(failed(C::Timeout), Some(EgressOutcome::Open)),
            [(SmtpUnreachable, Critical)]
        );
        assert_eq!(
            run(failed(C::Refused), Some(EgressOutcome::Timeout)),
            [(SmtpUnreachable, Unknown)]
        );
        assert_eq!(
            run(failed(C::Unreachable), None),
            [(SmtpUnreachable, Unknown)]
        );

        let mut skipped = good_probe();
        skipped.connection = Connection::Skipped {
            reason: "loopback-only".into(),
        };
        assert_eq!(run(skipped, None), []);

        let mut no_address = good_probe();
        no_address.connection = Connection::NoAddress {
            detail: "NXDOMAIN".into(),
        };
        assert_eq!(run(no_address.clone(), None), []);
        no_address.origin = TargetOrigin::Flag;
        assert_eq!(run(no_address, None), [(SmtpUnreachable, Unknown)]);
    }

    #[test]
    fn greeting_problems() {
        let mut silent = good_probe();
        silent.greeting = None;
        silent.failure = Some(SessionFailure {
            stage: "greeting".into(),
            kind: FailureKind::Timeout,
            detail: "no complete reply within 1000 ms".into(),
        });
        assert_eq!(run(silent, None), [(SmtpUnreachable, Critical)]);

        let mut refused = good_probe();
        refused.greeting = Some(reply(554, "5.7.1 go away"));
        assert_eq!(run(refused, None), [(SmtpUnreachable, Unknown)]);

        let mut garbled = good_probe();
        garbled.ehlo = None;
        garbled.failure = Some(SessionFailure {
            stage: "EHLO".into(),
            kind: FailureKind::Garbage,
            detail: "not an SMTP reply".into(),
        });
        assert_eq!(run(garbled, None), [(SmtpProtocolError, Critical)]);

        let mut other_name = good_probe();
        other_name.greeting = Some(reply(220, "localhost.localdomain ESMTP"));
        assert_eq!(
            run(other_name, None),
            [(SmtpBannerMismatch, Warning), (SmtpRelayClosed, Ok)]
        );

        // The greeting may name the PTR rather than the MX name.
        let mut ptr_name = good_probe();
        ptr_name.ptr = Lookup::Answer {
            records: vec!["host1.example.org".into()],
        };
        ptr_name.greeting = Some(reply(220, "HOST1.example.org. ESMTP"));
        assert_eq!(run(ptr_name, None), [(SmtpRelayClosed, Ok), (SmtpOk, Ok)]);
    }

    #[test]
    fn tls_problems() {
        let mut none = good_probe();
        none.tls = TlsOutcome::NotOffered;
        assert_eq!(
            run(none, None),
            [(SmtpNoStarttls, Warning), (SmtpRelayClosed, Ok)]
        );

        let mut failed = good_probe();
        failed.tls = TlsOutcome::Failed {
            stage: "handshake".into(),
            detail: "peer is incompatible".into(),
        };
        assert_eq!(
            run(failed, None),
            [(SmtpTlsFailed, Critical), (SmtpRelayClosed, Ok)]
        );

        let with_verdict = |verdict, checked: Option<&str>| {
            let mut p = good_probe();
            if let TlsOutcome::Established(s) = &mut p.tls {
                s.verification = verdict;
                s.checked_name = checked.map(str::to_string);
            }
            p
        };
        let invalid = |problem| CertificateVerdict::Invalid {
            problem,
            detail: "x".into(),
        };
        assert_eq!(
            run(
                with_verdict(
                    invalid(CertificateProblem::UnknownIssuer),
                    Some("mail.example.org")
                ),
                None
            ),
            [(SmtpTlsCertificateInvalid, Warning), (SmtpRelayClosed, Ok)]
        );
        // Reached by address: a name mismatch means nothing.
        assert_eq!(
            run(
                with_verdict(invalid(CertificateProblem::NameMismatch), None),
                None
            ),
            [(SmtpRelayClosed, Ok), (SmtpOk, Ok)]
        );

        let mut expiring = good_probe();
        if let TlsOutcome::Established(s) = &mut expiring.tls {
            s.chain[0].not_after = 1_800_000_000 + 3 * 86_400;
        }
        assert_eq!(
            run(expiring, None),
            [(SmtpTlsCertificateExpiring, Warning), (SmtpRelayClosed, Ok)]
        );
    }

    #[test]
    fn relay_and_roles() {
        let mut open = good_probe();
        open.relay[1].result = RcptResult::Accepted;
        assert_eq!(run(open, None), [(SmtpOpenRelay, Critical), (SmtpOk, Ok)]);

        let mut incomplete = good_probe();
        incomplete.relay[1].result = RcptResult::NotTested;
        assert_eq!(
            run(incomplete, None),
            [(SmtpRelayTestIncomplete, Unknown), (SmtpOk, Ok)]
        );

        let mut roles = good_probe();
        roles.postmaster.as_mut().unwrap().result = RcptResult::Refused;
        roles.abuse.as_mut().unwrap().result = RcptResult::TempFailed;
        assert_eq!(
            run(roles, None),
            [
                (SmtpRelayClosed, Ok),
                (SmtpPostmasterRejected, Warning),
                (SmtpAbuseRejected, Unknown)
            ]
        );
    }

    #[test]
    fn implicit_tls_failure() {
        let mut p = good_probe();
        p.implicit_tls = true;
        p.greeting = None;
        p.tls = TlsOutcome::Failed {
            stage: "handshake".into(),
            detail: "received corrupt message".into(),
        };
        assert_eq!(run(p, None), [(SmtpTlsFailed, Critical)]);
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_800_000_000), "2027-01-15");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
