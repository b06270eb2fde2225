//! Probing SMTP servers: connect, greeting, EHLO, STARTTLS, postmaster@/abuse@, and the
//! relay matrix, each envelope ending at RCPT followed by RSET. Never DATA.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use rustls::pki_types::ServerName;

use super::connect::{self, ConnectError};
use super::dns::{DnsClient, Resolve};
use crate::answers::validate;
use crate::facts::{
    Connection, Facts, FailureKind, Lookup, RcptCheck, RcptResult, RelayCase, Reply,
    SessionFailure, SmtpFacts, SmtpProbe, TargetOrigin, TlsOutcome,
};
use crate::smtp::relay::{self, CaseSpec};
use crate::smtp::{
    Failed, HeloName, Limits, Path, Session, SessionError, StartTlsResult, TlsTrust, Transcript,
};

/// Most MX hosts probed per domain.
const MAX_MX_HOSTS: usize = 5;
/// Most reconnections after a server hung up in the middle of the tests.
const MAX_RECONNECTS: usize = 2;
/// Refusals after which the session is closed and a fresh one opened: Postfix slows every
/// reply by a second from the tenth error on (`smtpd_soft_error_limit`), others hang up.
const REFUSALS_PER_SESSION: usize = 8;
/// Most fresh sessions opened for that reason.
const MAX_FRESH_SESSIONS: usize = 3;

/// How to talk to servers.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub trust: TlsTrust,
    pub limits: Limits,
    /// Time allowed for the TCP connection.
    pub connect_timeout: Duration,
    /// The name given in EHLO.
    pub helo: HeloName,
}

/// A server to probe: `HOST[:PORT]`, `[IPV6]:PORT`, or `smtps://HOST[:PORT]` for implicit TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub implicit_tls: bool,
    pub origin: TargetOrigin,
}

impl Target {
    /// Parse a target given on the command line. Port 25 by default; port 465 (or the
    /// `smtps://` prefix) means TLS from the first byte.
    pub fn parse(spec: &str) -> Result<Target, String> {
        let spec = spec.trim();
        let (scheme, rest) = match spec.split_once("://") {
            Some((s, r)) => (Some(s.to_ascii_lowercase()), r),
            None => (None, spec),
        };
        let implicit = match scheme.as_deref() {
            None => None,
            Some("smtp") => Some(false),
            Some("smtps") => Some(true),
            Some(other) => {
                return Err(format!(
                    "{spec:?}: unknown scheme {other:?} (use smtp:// or smtps://)"
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (ip, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("{spec:?}: missing ']'"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("{spec:?}: expected :PORT after ']'"))?,
                ),
            };
            (ip.to_string(), port)
        } else if rest.matches(':').count() > 1 {
            (rest.to_string(), None)
        } else {
            match rest.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (rest.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{spec:?}: {p:?} is not a port number"))?,
            None if implicit == Some(true) => 465,
            None => 25,
        };
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => validate::hostname("server", &host).map_err(|e| e.to_string())?,
        };
        Ok(Target {
            host,
            port,
            implicit_tls: implicit.unwrap_or(port == 465),
            origin: TargetOrigin::Flag,
        })
    }

    fn server_name(&self) -> ServerName<'static> {
        match self.host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(self.host.clone())
                .unwrap_or_else(|_| ServerName::IpAddress(IpAddr::from([0, 0, 0, 0]).into())),
        }
    }
}

/// What to ask once connected.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Ask RCPT for postmaster@ and abuse@ of this domain.
    pub roles_of: Option<String>,
    /// Run the relay matrix.
    pub relay: bool,
    /// The server's own domain for the relay cases; derived from the host name (or the
    /// greeting, for an address) when None.
    pub own_domain: Option<String>,
}

/// What `check` asked for.
#[derive(Clone, Debug, Default)]
pub struct SmtpRequest {
    /// `--no-smtp`.
    pub skip: bool,
    /// `--smtp` targets; empty means the domain's MX hosts.
    pub targets: Vec<Target>,
    /// Port for MX hosts (25 unless a test server says otherwise).
    pub mx_port: u16,
}

/// Probe the servers `check` should look at: `--smtp` targets, else the domain's MX hosts.
pub async fn gather(
    facts: &Facts,
    request: &SmtpRequest,
    dns: &DnsClient,
    settings: &SmtpSettings,
) -> SmtpFacts {
    if request.skip {
        return SmtpFacts {
            skipped: Some("--no-smtp".into()),
            probes: Vec::new(),
        };
    }
    let domain = facts.target.domain.clone();
    let targets = if request.targets.is_empty() {
        mx_targets(facts, request.mx_port)
    } else {
        request.targets.clone()
    };
    let plan = Plan {
        roles_of: Some(domain.clone()),
        relay: true,
        own_domain: Some(domain),
    };
    let jobs = targets.iter().map(|target| async {
        let addresses = addresses_of(facts, target, dns).await;
        let per_address = match addresses {
            Ok(list) => list,
            Err(detail) => {
                return vec![unconnected(
                    target,
                    None,
                    &plan,
                    Connection::NoAddress { detail },
                )];
            }
        };
        join_all(
            per_address
                .into_iter()
                .map(|ip| probe_with_ptr(target, ip, &plan, dns, settings)),
        )
        .await
    });
    let probes = join_all(jobs).await.into_iter().flatten().collect();
    SmtpFacts {
        skipped: None,
        probes,
    }
}

/// Probe a target named on the command line: its first address (IPv4 first).
pub async fn probe_target(
    target: &Target,
    plan: &Plan,
    dns: &DnsClient,
    settings: &SmtpSettings,
) -> SmtpProbe {
    let facts_less = match target.host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![ip]),
        Err(_) => {
            let names = dns.name_addresses(&target.host).await;
            let all = names.addresses();
            if all.is_empty() {
                Err(format!(
                    "{} has no address (A: {}, AAAA: {})",
                    target.host,
                    names.a.label(),
                    names.aaaa.label()
                ))
            } else {
                Ok(all)
            }
        }
    };
    match facts_less {
        Ok(addresses) => probe_with_ptr(target, addresses[0], plan, dns, settings).await,
        Err(detail) => unconnected(target, None, plan, Connection::NoAddress { detail }),
    }
}

/// Probe one address of a target, looking up its PTR meanwhile.
pub async fn probe_with_ptr(
    target: &Target,
    ip: IpAddr,
    plan: &Plan,
    dns: &DnsClient,
    settings: &SmtpSettings,
) -> SmtpProbe {
    if !connect::allowed(ip) {
        return unconnected(
            target,
            Some(ip),
            plan,
            Connection::Skipped {
                reason: connect::LOOPBACK_ONLY_REASON.into(),
            },
        );
    }
    let (ptr, mut probe) = tokio::join!(dns.ptr(ip), probe(target, ip, plan, settings));
    probe.ptr = ptr;
    probe
}

/// The MX hosts of the domain, best preference first.
fn mx_targets(facts: &Facts, port: u16) -> Vec<Target> {
    let mut records = facts.dns.mx.records().to_vec();
    records.sort_by_key(|r| r.preference);
    let mut names: Vec<String> = Vec::new();
    for r in records {
        if !r.exchange.is_empty() && !names.contains(&r.exchange) {
            names.push(r.exchange);
        }
    }
    names
        .into_iter()
        .take(MAX_MX_HOSTS)
        .map(|host| Target {
            host,
            port,
            implicit_tls: port == 465,
            origin: TargetOrigin::Mx,
        })
        .collect()
}

/// The addresses to probe: the first IPv4 and the first IPv6 address of the name.
async fn addresses_of(
    facts: &Facts,
    target: &Target,
    dns: &DnsClient,
) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let known = facts.dns.mx_hosts.iter().find(|h| h.name == target.host);
    let resolved;
    let names = match (target.origin, known) {
        (TargetOrigin::Mx, Some(known)) => known,
        _ => {
            resolved = dns.name_addresses(&target.host).await;
            &resolved
        }
    };
    let all = names.addresses();
    let mut chosen: Vec<IpAddr> = all
        .iter()
        .find(|a| a.is_ipv4())
        .into_iter()
        .copied()
        .collect();
    chosen.extend(all.iter().find(|a| a.is_ipv6()));
    if chosen.is_empty() {
        Err(format!(
            "{} has no address (A: {}, AAAA: {})",
            target.host,
            names.a.label(),
            names.aaaa.label()
        ))
    } else {
        Ok(chosen)
    }
}

fn unconnected(
    target: &Target,
    address: Option<IpAddr>,
    plan: &Plan,
    connection: Connection,
) -> SmtpProbe {
    let mut p = blank(target, address, plan);
    p.connection = connection;
    p
}

fn blank(target: &Target, address: Option<IpAddr>, plan: &Plan) -> SmtpProbe {
    SmtpProbe {
        host: target.host.clone(),
        port: target.port,
        origin: target.origin,
        implicit_tls: target.implicit_tls,
        address,
        ptr: Lookup::NotAsked,
        domain: plan.roles_of.clone().or_else(|| plan.own_domain.clone()),
        checked_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        connection: Connection::NotAsked,
        greeting: None,
        ehlo: None,
        capabilities: Vec::new(),
        tls: TlsOutcome::NotTried,
        relay: Vec::new(),
        postmaster: None,
        abuse: None,
        failure: None,
        transcript: Vec::new(),
    }
}

/// One work item of a session after the greeting.
enum Step {
    Roles(String),
    Relay(CaseSpec),
}

/// Everything one probe needs, so helpers take one argument.
struct Run<'a> {
    target: &'a Target,
    ip: IpAddr,
    settings: &'a SmtpSettings,
    deadline: Instant,
    out: SmtpProbe,
}

/// Probe one address: one session, or a few when the server hangs up in the middle.
pub async fn probe(target: &Target, ip: IpAddr, plan: &Plan, settings: &SmtpSettings) -> SmtpProbe {
    let mut run = Run {
        target,
        ip,
        settings,
        deadline: Instant::now() + settings.limits.session,
        out: blank(target, Some(ip), plan),
    };
    let transcript = match run.first_session().await {
        Ok((session, use_starttls)) => {
            let steps = run.steps(plan);
            run.run_steps(session, &steps, use_starttls).await
        }
        Err(transcript) => transcript,
    };
    run.out.transcript = transcript.finish();
    run.out
}

impl Run<'_> {
    /// The first session, whose greeting, EHLO and TLS become the facts. When STARTTLS
    /// breaks the connection, a second session goes on in plain text, as senders with
    /// opportunistic TLS do. Returns the session and whether it may use STARTTLS.
    async fn first_session(&mut self) -> Result<(Session, bool), Transcript> {
        let transcript = Transcript::new(self.settings.limits.max_transcript);
        match self.open(true, true, transcript).await {
            Ok(session) => Ok((session, true)),
            Err(mut transcript) => {
                let tls_broke =
                    matches!(self.out.tls, TlsOutcome::Failed { .. }) && self.out.greeted();
                if !tls_broke {
                    return Err(transcript);
                }
                transcript.push("   (reconnecting without STARTTLS)".into());
                self.open(false, false, transcript)
                    .await
                    .map(|s| (s, false))
            }
        }
    }

    /// postmaster@/abuse@ first (accepted recipients are not errors), then the relay cases.
    fn steps(&self, plan: &Plan) -> Vec<Step> {
        let own = plan.own_domain.clone().unwrap_or_else(|| {
            let from_greeting = self
                .out
                .greeting
                .as_ref()
                .and_then(|g| g.first_word())
                .filter(|w| {
                    self.target.host.parse::<IpAddr>().is_ok()
                        && validate::hostname("greeting", w).is_ok()
                });
            relay::own_domain_of(from_greeting.unwrap_or(&self.target.host))
        });
        let mut steps: Vec<Step> = Vec::new();
        if let Some(domain) = &plan.roles_of {
            steps.push(Step::Roles(domain.clone()));
        }
        if plan.relay {
            steps.extend(relay::matrix(&own).into_iter().map(Step::Relay));
        }
        steps
    }

    /// Run every step, in fresh sessions when the server has refused a lot, and in new ones
    /// when it hangs up. A step cut short by a hang-up is tried once more: servers drop
    /// clients after a number of refused recipients, which says nothing about that step.
    async fn run_steps(
        &mut self,
        mut session: Session,
        steps: &[Step],
        use_starttls: bool,
    ) -> Transcript {
        let mut reconnects = 0;
        let mut fresh = 0;
        let mut index = 0;
        let mut retried = false;
        while index < steps.len() {
            if session.refusals() >= REFUSALS_PER_SESSION && fresh < MAX_FRESH_SESSIONS {
                fresh += 1;
                let mut transcript = session.quit().await;
                transcript.push("   (a fresh session, before the server tires of refusing)".into());
                match self.open(false, use_starttls, transcript).await {
                    Ok(s) => session = s,
                    Err(transcript) => return self.give_up(&steps[index..], transcript),
                }
            }
            let failed = match self.step(&mut session, &steps[index]).await {
                Ok(()) => {
                    index += 1;
                    retried = false;
                    continue;
                }
                Err(failed) => failed,
            };
            self.note_failure(&failed);
            self.forget(&steps[index]);
            let mut transcript = session.abandon();
            let can_retry = reconnects < MAX_RECONNECTS
                && Instant::now() < self.deadline
                && !matches!(failed.error, SessionError::SessionTimeout(_));
            if !can_retry {
                return self.give_up(&steps[index..], transcript);
            }
            reconnects += 1;
            transcript.push("   (reconnecting to go on with the remaining tests)".into());
            match self.open(false, use_starttls, transcript).await {
                Ok(s) => session = s,
                Err(transcript) => return self.give_up(&steps[index..], transcript),
            }
            if retried {
                self.not_tested(&steps[index]);
                index += 1;
            }
            retried = !retried;
        }
        session.quit().await
    }

    fn give_up(&mut self, rest: &[Step], transcript: Transcript) -> Transcript {
        for step in rest {
            self.not_tested(step);
        }
        transcript
    }

    /// Connect, read the greeting, EHLO, STARTTLS and EHLO again. With `record`, what is
    /// seen becomes the probe's facts; reconnections only get the session going again.
    async fn open(
        &mut self,
        record: bool,
        use_starttls: bool,
        mut transcript: Transcript,
    ) -> Result<Session, Transcript> {
        let limits = self.settings.limits;
        let addr = SocketAddr::new(self.ip, self.target.port);
        transcript.push(format!("   (connecting to {addr})"));
        let started = Instant::now();
        let left = self.deadline.saturating_duration_since(started);
        if left.is_zero() {
            self.note(SessionFailure {
                stage: "connect".into(),
                kind: FailureKind::Timeout,
                detail: format!(
                    "the session ran out of its {} ms",
                    self.settings.limits.session.as_millis()
                ),
            });
            return Err(transcript);
        }
        let tcp = match connect::tcp(addr, self.settings.connect_timeout.min(left)).await {
            Ok(tcp) => tcp,
            Err(error) => {
                transcript.push(format!("   {error}"));
                if record {
                    self.out.connection = match error {
                        ConnectError::Blocked => Connection::Skipped {
                            reason: connect::LOOPBACK_ONLY_REASON.into(),
                        },
                        ConnectError::Failed { failure, detail } => {
                            Connection::Failed { failure, detail }
                        }
                    };
                } else {
                    self.note(SessionFailure {
                        stage: "reconnect".into(),
                        kind: FailureKind::Closed,
                        detail: error.to_string(),
                    });
                }
                return Err(transcript);
            }
        };
        if record {
            self.out.connection = Connection::Connected {
                millis: started.elapsed().as_millis() as u64,
            };
        }
        let name = self.target.server_name();
        let (mut session, greeting) = if self.target.implicit_tls {
            match Session::start_tls(
                tcp,
                limits,
                self.deadline,
                transcript,
                &self.settings.trust,
                name.clone(),
            )
            .await
            {
                Ok((session, info, greeting)) => {
                    if record {
                        self.out.tls = TlsOutcome::Established(info);
                    }
                    (session, greeting)
                }
                Err((failed, transcript)) => {
                    if record {
                        self.out.tls = TlsOutcome::Failed {
                            stage: "handshake".into(),
                            detail: failed.error.to_string(),
                        };
                    }
                    self.note_failure(&failed);
                    return Err(transcript);
                }
            }
        } else {
            Session::start(tcp, limits, self.deadline, transcript).await
        };
        let greeting = match greeting {
            Ok(reply) => reply,
            Err(failed) => {
                self.note_failure(&failed);
                return Err(session.abandon());
            }
        };
        if record {
            self.out.greeting = Some(greeting.clone());
        }
        if greeting.code != 220 {
            self.note(SessionFailure {
                stage: "greeting".into(),
                kind: FailureKind::Refused,
                detail: greeting.one_line(),
            });
            return Err(session.quit().await);
        }

        let helo = &self.settings.helo;
        let mut ehlo = match session.ehlo(helo).await {
            Ok(reply) => reply,
            Err(failed) => {
                self.note_failure(&failed);
                return Err(session.abandon());
            }
        };
        if ehlo.is_permanent() {
            // No ESMTP: fall back to HELO (no STARTTLS possible then).
            ehlo = match session.helo(helo).await {
                Ok(reply) => reply,
                Err(failed) => {
                    self.note_failure(&failed);
                    return Err(session.abandon());
                }
            };
        }
        if !ehlo.is_positive() {
            self.note(SessionFailure {
                stage: "EHLO".into(),
                kind: if ehlo.code == 421 {
                    FailureKind::Refused
                } else {
                    FailureKind::Garbage
                },
                detail: format!("EHLO and HELO refused: {}", ehlo.one_line()),
            });
            if record {
                self.out.ehlo = Some(ehlo);
            }
            return Err(session.quit().await);
        }
        let mut capabilities = capabilities_of(&ehlo);
        if record {
            self.out.ehlo = Some(ehlo);
            self.out.capabilities = capabilities.clone();
        }
        if self.target.implicit_tls {
            return Ok(session);
        }
        if !has_keyword(&capabilities, "STARTTLS") {
            if record {
                self.out.tls = TlsOutcome::NotOffered;
            }
            return Ok(session);
        }
        if !use_starttls {
            return Ok(session);
        }
        match session.starttls(&self.settings.trust, name).await {
            StartTlsResult::Established(mut session, info) => {
                if record {
                    self.out.tls = TlsOutcome::Established(info);
                }
                match session.ehlo(helo).await {
                    Ok(reply) if reply.is_positive() => {
                        capabilities = capabilities_of(&reply);
                        if record {
                            self.out.capabilities = capabilities;
                        }
                        Ok(session)
                    }
                    Ok(reply) => {
                        self.note(SessionFailure {
                            stage: "EHLO".into(),
                            kind: FailureKind::Refused,
                            detail: format!("EHLO after STARTTLS refused: {}", reply.one_line()),
                        });
                        Err(session.quit().await)
                    }
                    Err(failed) => {
                        self.note_failure(&failed);
                        Err(session.abandon())
                    }
                }
            }
            StartTlsResult::Refused(session, reply) => {
                if record {
                    self.out.tls = TlsOutcome::Failed {
                        stage: "STARTTLS".into(),
                        detail: reply.one_line(),
                    };
                }
                Ok(session)
            }
            StartTlsResult::Broken(failed, transcript) => {
                if record {
                    self.out.tls = TlsOutcome::Failed {
                        stage: if failed.stage == "STARTTLS" {
                            "STARTTLS"
                        } else {
                            "handshake"
                        }
                        .into(),
                        detail: failed.error.to_string(),
                    };
                }
                Err(transcript)
            }
        }
    }

    /// One envelope: MAIL, RCPT (one or two), RSET.
    async fn step(&mut self, session: &mut Session, step: &Step) -> Result<(), Failed> {
        match step {
            Step::Roles(domain) => {
                let addresses = [format!("postmaster@{domain}"), format!("abuse@{domain}")];
                let mail = session.mail_from(&Path::null()).await?;
                closing(&mail, "MAIL")?;
                let mut checks = Vec::new();
                for address in addresses {
                    let check = if mail.is_positive() {
                        let path =
                            Path::new(address.clone()).map_err(|e| invalid_path(e.to_string()))?;
                        let reply = session.rcpt_to(&path).await?;
                        closing(&reply, "RCPT")?;
                        RcptCheck {
                            address,
                            result: relay::result_of(&reply),
                            reply: Some(reply),
                        }
                    } else {
                        RcptCheck {
                            address,
                            result: relay::result_of(&mail),
                            reply: Some(mail.clone()),
                        }
                    };
                    checks.push(check);
                }
                let mut checks = checks.into_iter();
                self.out.postmaster = checks.next();
                self.out.abuse = checks.next();
                let reset = session.rset().await?;
                closing(&reset, "RSET")
            }
            Step::Relay(spec) => {
                let mut case = RelayCase {
                    case: spec.id.to_string(),
                    sender: spec.sender.clone(),
                    recipient: spec.recipient.clone(),
                    result: RcptResult::NotTested,
                    mail_reply: None,
                    rcpt_reply: None,
                };
                let sender =
                    Path::new(spec.sender.clone()).map_err(|e| invalid_path(e.to_string()))?;
                let recipient =
                    Path::new(spec.recipient.clone()).map_err(|e| invalid_path(e.to_string()))?;
                let outcome = async {
                    let mail = session.mail_from(&sender).await?;
                    case.mail_reply = Some(mail.clone());
                    closing(&mail, "MAIL")?;
                    if !mail.is_positive() {
                        case.result = relay::result_of(&mail);
                    } else {
                        let rcpt = session.rcpt_to(&recipient).await?;
                        case.rcpt_reply = Some(rcpt.clone());
                        closing(&rcpt, "RCPT")?;
                        case.result = relay::result_of(&rcpt);
                    }
                    let reset = session.rset().await?;
                    closing(&reset, "RSET")
                }
                .await;
                self.out.relay.push(case);
                outcome
            }
        }
    }

    /// Drop what a step cut short had recorded, so that a retry starts clean.
    fn forget(&mut self, step: &Step) {
        match step {
            Step::Roles(_) => {
                self.out.postmaster = None;
                self.out.abuse = None;
            }
            Step::Relay(spec) => self.out.relay.retain(|c| c.case != spec.id),
        }
    }

    fn not_tested(&mut self, step: &Step) {
        match step {
            Step::Roles(domain) => {
                for (slot, local) in [
                    (&mut self.out.postmaster, "postmaster"),
                    (&mut self.out.abuse, "abuse"),
                ] {
                    if slot.is_none() {
                        *slot = Some(RcptCheck {
                            address: format!("{local}@{domain}"),
                            result: RcptResult::NotTested,
                            reply: None,
                        });
                    }
                }
            }
            Step::Relay(spec) => self.out.relay.push(RelayCase {
                case: spec.id.to_string(),
                sender: spec.sender.clone(),
                recipient: spec.recipient.clone(),
                result: RcptResult::NotTested,
                mail_reply: None,
                rcpt_reply: None,
            }),
        }
    }

    fn note_failure(&mut self, failed: &Failed) {
        let kind = failed.error.kind();
        self.note(SessionFailure {
            stage: failed.stage.to_string(),
            kind,
            detail: failed.error.to_string(),
        });
    }

    /// Keep the first failure: it is the one that explains the rest.
    fn note(&mut self, failure: SessionFailure) {
        if self.out.failure.is_none() {
            self.out.failure = Some(failure);
        }
    }
}

/// A 421 reply means the server is closing the session: treat it as a hang-up.
fn closing(reply: &Reply, stage: &'static str) -> Result<(), Failed> {
    if reply.code == 421 {
        Err(Failed {
            stage,
            error: SessionError::Io(format!(
                "the server is closing the session: {}",
                reply.one_line()
            )),
        })
    } else {
        Ok(())
    }
}

fn invalid_path(detail: String) -> Failed {
    Failed {
        stage: "MAIL",
        error: SessionError::Io(detail),
    }
}

/// EHLO keywords with their parameters: every line but the first (the server's name).
fn capabilities_of(ehlo: &Reply) -> Vec<String> {
    ehlo.lines
        .iter()
        .skip(1)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .take(50)
        .collect()
}

fn has_keyword(capabilities: &[String], keyword: &str) -> bool {
    capabilities.iter().any(|c| {
        c.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = Target::parse("mail.example.org").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.implicit_tls),
            ("mail.example.org", 25, false)
        );
        let t = Target::parse("Mail.Example.org:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("mail.example.org", 2525));
        let t = Target::parse("127.0.0.1:465").unwrap();
        assert!(t.implicit_tls);
        let t = Target::parse("smtps://127.0.0.1:2465").unwrap();
        assert!(t.implicit_tls);
        assert_eq!(t.port, 2465);
        let t = Target::parse("smtps://mail.example.org").unwrap();
        assert_eq!(t.port, 465);
        let t = Target::parse("smtp://127.0.0.1:465").unwrap();
        assert!(!t.implicit_tls);
        let t = Target::parse("[::1]:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 2525));
        let t = Target::parse("2001:db8::25").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("2001:db8::25", 25));
        for bad in [
            "",
            "mail",
            "mail.example.org:0",
            "mail.example.org:x",
            "http://a.example",
            "[::1",
            "a b.example",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn capabilities() {
        let ehlo = Reply {
            code: 250,
            lines: vec![
                "mail.example.org".into(),
                "PIPELINING".into(),
                "starttls".into(),
                "SIZE 100".into(),
            ],
        };
        let caps = capabilities_of(&ehlo);
        assert_eq!(caps, ["PIPELINING", "starttls", "SIZE 100"]);
        assert!(has_keyword(&caps, "STARTTLS"));
        assert!(!has_keyword(&caps, "AUTH"));
    }
}
