//! `check_host()` (RFC 7208 §4–§7), generic over [`Resolve`], with a trace of every step.
//!
//! The algorithm is the RFC's: fetch and select the record, parse it whole, evaluate the
//! mechanisms left to right, then `redirect=`, then the default neutral. Limits: at most 10
//! DNS-querying terms (include, a, mx, ptr, exists, redirect) per evaluation, at most 2 void
//! lookups (a term's own query answered NXDOMAIN or with no records; the address queries of
//! MX and PTR names are bounded by their own 10-name limits instead), more than 10 MX names
//! is a permerror, PTR names beyond the first 10 are ignored. An include or redirect back to
//! a domain already being evaluated is reported as a loop (a permerror, which the lookup
//! limit would also reach, later and less clearly). Errors never escape as `Err`: a DNS
//! failure is a `temperror`, a broken record a `permerror`, each with its reason.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

use futures::future::join_all;
use serde::{Deserialize, Serialize};

use super::macros::{MacroContext, MacroLetter, MacroString, Place, parse_macro_string};
use super::{Mechanism, MechanismKind, SpfRecord, is_spf_record, parse};
use crate::facts::{Failure, Lookup, MxRecord};
use crate::probe::dns::Resolve;

/// DNS-querying terms allowed in one evaluation (RFC 7208 §4.6.4).
pub const MAX_LOOKUPS: u32 = 10;
/// Void lookups allowed in one evaluation (RFC 7208 §4.6.4).
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// MX names an `mx` mechanism may look up, and PTR names a `ptr` mechanism or `%{p}` considers.
pub const MAX_NAMES: usize = 10;
/// Nesting of include/redirect; the lookup limit stops well before this.
const MAX_DEPTH: u8 = 12;
/// Trace events kept; a record of thousands of terms would otherwise print thousands of lines.
pub const MAX_TRACE: usize = 400;
/// Answers shown per DNS step in the trace.
const MAX_TRACE_ANSWERS: usize = 12;
/// Longest text (record, TXT answer) copied into one trace step.
const MAX_TRACE_TEXT: usize = 600;

/// The result of `check_host()` (RFC 7208 §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which identity is checked: the MAIL FROM domain or the HELO name (RFC 7208 §2.3, §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    MailFrom,
    Helo,
}

/// The `<sender>` of check_host(): local-part and domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub local: String,
    pub domain: String,
}

impl Sender {
    /// MAIL FROM as given. "user@domain" as is; "@domain" and a bare "domain" mean
    /// postmaster@domain (RFC 7208 §4.3); the null sender "" means postmaster@HELO (§2.4).
    /// None for a null sender without a HELO name.
    pub fn from_mail_from(mail_from: &str, helo: Option<&str>) -> Option<Sender> {
        let mail_from = mail_from
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if mail_from.is_empty() {
            return helo.map(|h| Sender {
                local: "postmaster".into(),
                domain: h.to_string(),
            });
        }
        Some(match mail_from.rsplit_once('@') {
            Some((local, domain)) => Sender {
                local: if local.is_empty() {
                    "postmaster".into()
                } else {
                    local.to_string()
                },
                domain: domain.to_string(),
            },
            None => Sender {
                local: "postmaster".into(),
                domain: mail_from.to_string(),
            },
        })
    }

    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// The arguments of check_host() plus the values only macros need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The SMTP client's address. An IPv4-mapped IPv6 address is evaluated as IPv4.
    pub ip: IpAddr,
    /// The domain whose policy is evaluated (the sender's domain or the HELO name).
    pub domain: String,
    pub sender: Sender,
    /// The HELO/EHLO name, for `%{h}`.
    pub helo: String,
    /// The checking host's name, for `%{r}` ("unknown" when there is none).
    pub receiver: String,
    /// Seconds since the epoch, for `%{t}`.
    pub timestamp: u64,
}

/// What one check_host() concluded, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub result: SpfResult,
    /// The domain's own explanation (`exp=`) for a fail, when it could be built.
    pub explanation: Option<String>,
    /// Why the result is what it is when no mechanism decided it (errors, none, default).
    pub reason: Option<String>,
    /// The mechanism that matched, and the domain whose record holds it.
    pub matched: Option<MatchedTerm>,
    /// DNS-querying terms evaluated (the limit is 10).
    pub lookups: u32,
    /// Void lookups met (the limit is 2).
    pub void_lookups: u32,
    pub trace: Vec<TraceEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTerm {
    pub domain: String,
    pub term: String,
}

/// How a term fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermOutcome {
    Match,
    NoMatch,
    Error,
}

/// How a DNS question fared, as the trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsOutcome {
    Answer,
    Nxdomain,
    NoData,
    Failed,
}

/// One step of an evaluation, in order. Every variant carries its nesting depth (0 for the
/// domain asked about, 1 inside its include or redirect, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum TraceEvent {
    /// check_host() starts on a domain, reached through `via` (an include or redirect term).
    Check {
        depth: u8,
        domain: String,
        via: Option<String>,
    },
    /// A DNS question and its answer.
    Dns {
        depth: u8,
        name: String,
        #[serde(rename = "type")]
        rtype: String,
        outcome: DnsOutcome,
        answers: Vec<String>,
        detail: Option<String>,
        /// This answer counted as a void lookup.
        void: bool,
        void_lookups: u32,
    },
    /// The SPF record selected for a domain.
    Record {
        depth: u8,
        domain: String,
        record: String,
    },
    /// One term evaluated, with the lookup count after it.
    Term {
        depth: u8,
        domain: String,
        term: String,
        outcome: TermOutcome,
        detail: Option<String>,
        /// The term is one of the DNS-querying terms counted against the limit of 10.
        counted: bool,
        lookups: u32,
    },
    /// The explanation of a fail, or why the domain's `exp=` was ignored.
    Explanation {
        depth: u8,
        domain: String,
        text: Option<String>,
        detail: Option<String>,
    },
    /// check_host() on a domain ends.
    Result {
        depth: u8,
        domain: String,
        result: SpfResult,
        reason: Option<String>,
    },
    /// Steps left out to keep the trace readable.
    Truncated { depth: u8, omitted: usize },
}

/// Run check_host() for `request` against `dns`.
pub async fn check_host<R: Resolve>(dns: &R, request: &Request) -> Evaluation {
    let mut request = request.clone();
    if let IpAddr::V6(v6) = request.ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        request.ip = IpAddr::V4(v4);
    }
    let mut run = Run {
        dns,
        request: &request,
        lookups: 0,
        voids: 0,
        trace: Vec::new(),
        omitted: 0,
        path: Vec::new(),
        level: 0,
        sender: request.sender.address(),
        validated: None,
    };
    let domain = normalize(&request.domain);
    let outcome = run.check(domain, 0, None, true).await;
    if run.omitted > 0 {
        run.trace.push(TraceEvent::Truncated {
            depth: 0,
            omitted: run.omitted,
        });
    }
    Evaluation {
        result: outcome.result,
        explanation: outcome.explanation,
        reason: outcome.reason,
        matched: outcome.matched,
        lookups: run.lookups,
        void_lookups: run.voids,
        trace: run.trace,
    }
}

/// What check_host() on one domain returns to its caller.
#[derive(Debug)]
struct Outcome {
    result: SpfResult,
    reason: Option<String>,
    matched: Option<MatchedTerm>,
    explanation: Option<String>,
}

impl Outcome {
    fn new(result: SpfResult, reason: impl Into<Option<String>>) -> Self {
        Outcome {
            result,
            reason: reason.into(),
            matched: None,
            explanation: None,
        }
    }
}

/// A term could not be evaluated: the whole check_host() ends with this result.
struct Abort {
    result: SpfResult,
    reason: String,
    /// Set when the error comes from an included record: the trace names it instead of
    /// repeating the reason at every level.
    from: Option<String>,
}

impl Abort {
    fn trace_detail(&self) -> String {
        match &self.from {
            Some(domain) => format!("{} in {domain}", self.result),
            None => self.reason.clone(),
        }
    }
}

fn temperror(reason: String) -> Abort {
    Abort {
        result: SpfResult::TempError,
        reason,
        from: None,
    }
}

fn permerror(reason: String) -> Abort {
    Abort {
        result: SpfResult::PermError,
        reason,
        from: None,
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Run<'a, R: Resolve> {
    dns: &'a R,
    request: &'a Request,
    lookups: u32,
    voids: u32,
    trace: Vec<TraceEvent>,
    omitted: usize,
    /// Domains being evaluated, outermost first: a repeat is an include/redirect loop.
    path: Vec<String>,
    /// Nesting depth of the check_host() running now, for the trace.
    level: u8,
    /// `<sender>` as one string, for `%{s}`.
    sender: String,
    /// Validated PTR names of the client (for `%{p}`), once looked up.
    validated: Option<Vec<String>>,
}

impl<'a, R: Resolve> Run<'a, R> {
    fn push(&mut self, event: TraceEvent) {
        if self.trace.len() < MAX_TRACE {
            self.trace.push(event);
        } else {
            self.omitted += 1;
        }
    }

    /// check_host() on one domain (boxed: include and redirect recurse).
    fn check(
        &mut self,
        domain: String,
        depth: u8,
        via: Option<String>,
        explain: bool,
    ) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            self.push(TraceEvent::Check {
                depth,
                domain: domain.clone(),
                via,
            });
            let outer = std::mem::replace(&mut self.level, depth);
            let outcome = self.check_inner(&domain, depth, explain).await;
            self.level = outer;
            self.push(TraceEvent::Result {
                depth,
                domain: domain.clone(),
                result: outcome.result,
                reason: outcome.reason.clone(),
            });
            outcome
        })
    }

    async fn check_inner(&mut self, domain: &str, depth: u8, explain: bool) -> Outcome {
        if !is_valid_domain(domain) || !domain.contains('.') {
            return Outcome::new(
                SpfResult::None,
                format!("{domain:?} is not a valid multi-label domain name"),
            );
        }
        if let Some(start) = self
            .path
            .iter()
            .position(|d| d.eq_ignore_ascii_case(domain))
        {
            let mut cycle: Vec<&str> = self.path[start..].iter().map(String::as_str).collect();
            cycle.push(domain);
            return Outcome::new(
                SpfResult::PermError,
                format!("include/redirect loop: {}", cycle.join(" → ")),
            );
        }
        if depth >= MAX_DEPTH {
            return Outcome::new(
                SpfResult::PermError,
                format!("includes and redirects nested more than {MAX_DEPTH} deep"),
            );
        }
        let txt = txt_records(self.dns, domain).await;
        self.trace_dns(domain, "TXT", &txt, false, |s| clip(s));
        let texts = match txt {
            Lookup::Answer { records } => records,
            Lookup::Failed {
                failure: Failure::InvalidName,
                ..
            } => {
                return Outcome::new(
                    SpfResult::None,
                    format!("{domain:?} cannot be asked in DNS"),
                );
            }
            Lookup::Failed { failure, detail } => {
                return Outcome::new(
                    SpfResult::TempError,
                    format!(
                        "the TXT lookup of {domain} failed ({}): {detail}",
                        failure.as_str()
                    ),
                );
            }
            Lookup::NxDomain => {
                return Outcome::new(SpfResult::None, format!("{domain} does not exist"));
            }
            Lookup::NoData | Lookup::NotAsked => {
                return Outcome::new(SpfResult::None, format!("{domain} has no TXT records"));
            }
        };
        let spf: Vec<&String> = texts.iter().filter(|t| is_spf_record(t)).collect();
        let text = match spf.as_slice() {
            [] => {
                return Outcome::new(
                    SpfResult::None,
                    format!("{domain} has no SPF (v=spf1) record"),
                );
            }
            [one] => one.as_str(),
            many => {
                return Outcome::new(
                    SpfResult::PermError,
                    format!(
                        "{domain} publishes {} SPF records; there must be exactly one",
                        many.len()
                    ),
                );
            }
        };
        self.push(TraceEvent::Record {
            depth,
            domain: domain.to_string(),
            record: clip(text),
        });
        let record = match parse(text) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::new(
                    SpfResult::PermError,
                    format!("syntax error in the record of {domain} {e}"),
                );
            }
        };
        self.path.push(domain.to_string());
        let outcome = self.evaluate(&record, domain, depth, explain).await;
        self.path.pop();
        outcome
    }

    /// Evaluate a parsed record's mechanisms, then its redirect, then the default.
    async fn evaluate(
        &mut self,
        record: &SpfRecord,
        domain: &str,
        depth: u8,
        explain: bool,
    ) -> Outcome {
        for (term, mechanism) in record.mechanisms() {
            let counted = mechanism.kind.queries_dns();
            if counted && let Err(abort) = self.count_lookup() {
                self.trace_term(
                    domain,
                    &term.text,
                    counted,
                    TermOutcome::Error,
                    Some(&abort.reason),
                );
                return Outcome::new(abort.result, abort.reason);
            }
            match self.matches(mechanism, domain, depth).await {
                Ok((true, detail)) => {
                    self.trace_term(
                        domain,
                        &term.text,
                        counted,
                        TermOutcome::Match,
                        detail.as_deref(),
                    );
                    let result = mechanism.qualifier.result();
                    let explanation = if result == SpfResult::Fail && explain {
                        self.explain(record, domain, depth).await
                    } else {
                        None
                    };
                    return Outcome {
                        result,
                        reason: None,
                        matched: Some(MatchedTerm {
                            domain: domain.to_string(),
                            term: term.text.clone(),
                        }),
                        explanation,
                    };
                }
                Ok((false, detail)) => {
                    self.trace_term(
                        domain,
                        &term.text,
                        counted,
                        TermOutcome::NoMatch,
                        detail.as_deref(),
                    );
                }
                Err(abort) => {
                    self.trace_term(
                        domain,
                        &term.text,
                        counted,
                        TermOutcome::Error,
                        Some(&abort.trace_detail()),
                    );
                    return Outcome::new(abort.result, abort.reason);
                }
            }
        }
        // No mechanism matched (an `all` always matches, so there is none): redirect or default.
        let Some(target) = record.redirect() else {
            return Outcome::new(
                SpfResult::Neutral,
                format!(
                    "no mechanism of {domain} matched and it has no \"all\": the default is neutral"
                ),
            );
        };
        let term = record
            .terms
            .iter()
            .find(|t| {
                matches!(
                    &t.kind,
                    super::TermKind::Modifier(super::Modifier::Redirect(_))
                )
            })
            .map(|t| t.text.clone())
            .unwrap_or_default();
        if let Err(abort) = self.count_lookup() {
            self.trace_term(domain, &term, true, TermOutcome::Error, Some(&abort.reason));
            return Outcome::new(abort.result, abort.reason);
        }
        let name = self.expand_domain(target, domain).await;
        if !is_valid_domain(&name) {
            let reason = format!("the redirect target {name:?} is not a valid domain name");
            self.trace_term(domain, &term, true, TermOutcome::Error, Some(&reason));
            return Outcome::new(SpfResult::PermError, reason);
        }
        self.trace_term(domain, &term, true, TermOutcome::Match, None);
        let inner = self
            .check(name.clone(), depth + 1, Some(term), explain)
            .await;
        if inner.result == SpfResult::None {
            return Outcome::new(
                SpfResult::PermError,
                format!(
                    "redirect to {name}, which has no usable SPF record ({})",
                    inner.reason.unwrap_or_default()
                ),
            );
        }
        inner
    }

    fn count_lookup(&mut self) -> Result<(), Abort> {
        self.lookups += 1;
        if self.lookups > MAX_LOOKUPS {
            return Err(permerror(format!(
                "more than {MAX_LOOKUPS} DNS-querying terms (include, a, mx, ptr, exists, redirect)"
            )));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Result<(), Abort> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            return Err(permerror(format!(
                "more than {MAX_VOID_LOOKUPS} void lookups (names that do not exist or have no records)"
            )));
        }
        Ok(())
    }

    /// Whether one mechanism matches, with an optional note for the trace.
    async fn matches(
        &mut self,
        mechanism: &Mechanism,
        domain: &str,
        depth: u8,
    ) -> Result<(bool, Option<String>), Abort> {
        let ip = self.request.ip;
        match &mechanism.kind {
            MechanismKind::All => Ok((true, None)),
            MechanismKind::Ip4 { network, prefix } => Ok((
                matches!(ip, IpAddr::V4(v4) if in_v4(v4, *network, *prefix)),
                None,
            )),
            MechanismKind::Ip6 { network, prefix } => Ok((
                matches!(ip, IpAddr::V6(v6) if in_v6(v6, *network, *prefix)),
                None,
            )),
            MechanismKind::A { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                if !is_valid_domain(&target) {
                    return Ok((false, Some(invalid_target(&target))));
                }
                let addresses = self.addresses(&target).await;
                match addresses {
                    Lookup::Answer { records } => Ok((
                        records.iter().any(|a| in_cidr(ip, *a, cidr.v4, cidr.v6)),
                        None,
                    )),
                    other => self.no_answer(&other, &target).map(|_| (false, None)),
                }
            }
            MechanismKind::Mx { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                if !is_valid_domain(&target) {
                    return Ok((false, Some(invalid_target(&target))));
                }
                let mx = self.dns.mx(&target).await;
                self.trace_dns(&target, "MX", &mx, mx.is_missing(), |m: &MxRecord| {
                    format!("{} {}", m.preference, display_name(&m.exchange))
                });
                let records = match mx {
                    Lookup::Answer { records } => records,
                    other => return self.no_answer(&other, &target).map(|_| (false, None)),
                };
                if records.len() > MAX_NAMES {
                    return Err(permerror(format!(
                        "{target} has {} MX records; an mx mechanism may look up at most {MAX_NAMES}",
                        records.len()
                    )));
                }
                let mut names: Vec<String> = records
                    .into_iter()
                    .map(|m| m.exchange)
                    .filter(|e| !e.is_empty())
                    .collect();
                names.dedup();
                let lookups = self.addresses_of_all(&names).await;
                let mut failure = None;
                for (name, lookup) in names.iter().zip(lookups) {
                    match lookup {
                        Lookup::Answer { records }
                            if records.iter().any(|a| in_cidr(ip, *a, cidr.v4, cidr.v6)) =>
                        {
                            return Ok((true, Some(format!("via MX host {name}"))));
                        }
                        Lookup::Failed { failure: f, detail } if f != Failure::InvalidName => {
                            failure.get_or_insert(format!(
                                "the address lookup of MX host {name} failed ({}): {detail}",
                                f.as_str()
                            ));
                        }
                        _ => {}
                    }
                }
                match failure {
                    Some(reason) => Err(temperror(reason)),
                    None => Ok((false, None)),
                }
            }
            MechanismKind::Ptr { domain: spec } => {
                let target = self.target(spec.as_ref(), domain).await;
                let names = match self.validated_names(true).await? {
                    Some(names) => names,
                    None => return Ok((false, None)),
                };
                let target = target.to_ascii_lowercase();
                let hit = names.iter().find(|n| {
                    let n = n.to_ascii_lowercase();
                    n == target || n.ends_with(&format!(".{target}"))
                });
                Ok(match hit {
                    Some(name) => (true, Some(format!("validated PTR name {name}"))),
                    None => (false, None),
                })
            }
            MechanismKind::Exists { domain: spec } => {
                let target = self.expand_domain(spec, domain).await;
                if !is_valid_domain(&target) {
                    return Ok((false, Some(invalid_target(&target))));
                }
                let a = self.dns.a(&target).await;
                self.trace_dns(&target, "A", &a, a.is_missing(), ToString::to_string);
                match a {
                    Lookup::Answer { .. } => Ok((true, None)),
                    other => self.no_answer(&other, &target).map(|_| (false, None)),
                }
            }
            MechanismKind::Include { domain: spec } => {
                let target = self.expand_domain(spec, domain).await;
                let via = format!("include:{}", display_spec(spec, &target));
                let inner = self
                    .check(target.clone(), depth + 1, Some(via), false)
                    .await;
                match inner.result {
                    SpfResult::Pass => Ok((true, None)),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                        Ok((false, Some(format!("{target} gave {}", inner.result))))
                    }
                    SpfResult::TempError | SpfResult::PermError => Err(Abort {
                        result: inner.result,
                        reason: inner.reason.unwrap_or_default(),
                        from: Some(target),
                    }),
                    SpfResult::None => Err(permerror(format!(
                        "include:{target} has no usable SPF record ({})",
                        inner.reason.unwrap_or_default()
                    ))),
                }
            }
        }
    }

    /// NXDOMAIN/NODATA count as void; a failed question ends the evaluation as temperror,
    /// except a name DNS cannot even carry, which simply does not match.
    fn no_answer<T>(&mut self, lookup: &Lookup<T>, name: &str) -> Result<(), Abort> {
        match lookup {
            Lookup::Failed {
                failure: Failure::InvalidName,
                ..
            }
            | Lookup::Answer { .. } => Ok(()),
            Lookup::Failed { failure, detail } => Err(temperror(format!(
                "the lookup of {name} failed ({}): {detail}",
                failure.as_str()
            ))),
            Lookup::NxDomain | Lookup::NoData | Lookup::NotAsked => self.count_void(),
        }
    }

    /// The target of a/mx/ptr: the expanded domain-spec, or the current domain.
    async fn target(&mut self, spec: Option<&MacroString>, domain: &str) -> String {
        match spec {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => domain.to_string(),
        }
    }

    /// A or AAAA of `name`, by the client's address family, traced (void counted by caller).
    async fn addresses(&mut self, name: &str) -> Lookup<IpAddr> {
        let lookup = address_lookup(self.dns, self.request.ip, name).await;
        let void = lookup.is_missing();
        self.trace_dns(
            name,
            family_type(self.request.ip),
            &lookup,
            void,
            ToString::to_string,
        );
        lookup
    }

    /// Address lookups of several names at once (MX hosts, PTR names), traced in order.
    async fn addresses_of_all(&mut self, names: &[String]) -> Vec<Lookup<IpAddr>> {
        let dns = self.dns;
        let ip = self.request.ip;
        let lookups = join_all(names.iter().map(|n| address_lookup(dns, ip, n))).await;
        for (name, lookup) in names.iter().zip(&lookups) {
            self.trace_dns(name, family_type(ip), lookup, false, ToString::to_string);
        }
        lookups
    }

    /// The client's validated PTR names (RFC 7208 §5.5): PTR names (the first 10) whose
    /// addresses include the client. None when the PTR lookup found nothing usable.
    /// `count_void` is set for the ptr mechanism; the `%{p}` macro counts nothing.
    async fn validated_names(&mut self, count_void: bool) -> Result<Option<Vec<String>>, Abort> {
        if let Some(names) = &self.validated {
            return Ok(Some(names.clone()));
        }
        let ptr = self.dns.ptr(self.request.ip).await;
        let reverse = reverse_name(self.request.ip);
        self.trace_dns(&reverse, "PTR", &ptr, count_void && ptr.is_missing(), |n| {
            display_name(n)
        });
        let names = match ptr {
            Lookup::Answer { records } => records,
            Lookup::NxDomain | Lookup::NoData | Lookup::NotAsked => {
                if count_void {
                    self.count_void()?;
                }
                return Ok(None);
            }
            // A failed PTR lookup makes the mechanism not match (RFC 7208 §5.5).
            Lookup::Failed { .. } => return Ok(None),
        };
        let names: Vec<String> = names.into_iter().take(MAX_NAMES).collect();
        let lookups = self.addresses_of_all(&names).await;
        let ip = self.request.ip;
        let validated: Vec<String> = names
            .into_iter()
            .zip(lookups)
            .filter(|(_, l)| l.records().contains(&ip))
            .map(|(n, _)| n)
            .collect();
        self.validated = Some(validated.clone());
        Ok(Some(validated))
    }

    /// `%{p}`: a validated name equal to the domain, else one under it, else any, else "unknown".
    async fn p_value(&mut self, domain: &str) -> String {
        let names = match self.validated_names(false).await {
            Ok(Some(names)) => names,
            _ => Vec::new(),
        };
        let domain = domain.to_ascii_lowercase();
        let suffix = format!(".{domain}");
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&domain))
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(&suffix))
            })
            .or_else(|| names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".into())
    }

    fn macro_context<'c>(&'c self, domain: &'c str, validated: &'c str) -> MacroContext<'c> {
        let req = self.request;
        MacroContext {
            sender: &self.sender,
            local: &req.sender.local,
            sender_domain: &req.sender.domain,
            domain,
            ip: req.ip,
            validated,
            helo: &req.helo,
            receiver: &req.receiver,
            timestamp: req.timestamp,
        }
    }

    /// Expand a domain-spec into a name to ask: macros filled in, trailing dot dropped, and
    /// cut from the left to 253 characters (RFC 7208 §7.3).
    async fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> String {
        let validated = if spec.uses(MacroLetter::Validated) {
            self.p_value(domain).await
        } else {
            String::new()
        };
        let expanded = spec.expand(&self.macro_context(domain, &validated));
        truncate_domain(expanded.strip_suffix('.').unwrap_or(&expanded))
    }

    /// The explanation of a fail from this record's `exp=` (RFC 7208 §6.2), or None when
    /// there is none or it cannot be used; explanation lookups count against no limit.
    async fn explain(&mut self, record: &SpfRecord, domain: &str, depth: u8) -> Option<String> {
        let spec = record.explanation()?;
        let name = self.expand_domain(spec, domain).await;
        let ignore = |run: &mut Self, detail: String| {
            run.push(TraceEvent::Explanation {
                depth,
                domain: domain.to_string(),
                text: None,
                detail: Some(detail),
            });
            None
        };
        if !is_valid_domain(&name) {
            return ignore(self, format!("exp= names {name:?}, not a valid domain"));
        }
        let txt = self.dns.txt(&name).await;
        self.trace_dns(&name, "TXT", &txt, false, |s| clip(s));
        let text = match txt {
            Lookup::Answer { records } if records.len() == 1 => records[0].clone(),
            Lookup::Answer { records } => {
                return ignore(
                    self,
                    format!("{name} has {} TXT records, not exactly one", records.len()),
                );
            }
            other => return ignore(self, format!("{name}: {}", other.label())),
        };
        if !text.is_ascii() {
            return ignore(self, "the explanation is not ASCII".into());
        }
        let parsed = match parse_macro_string(&text, 0, Place::Explanation) {
            Ok(p) => p,
            Err(e) => return ignore(self, format!("the explanation has a macro error {e}")),
        };
        let validated = if parsed.uses(MacroLetter::Validated) {
            self.p_value(domain).await
        } else {
            String::new()
        };
        let expanded = parsed.expand(&self.macro_context(domain, &validated));
        self.push(TraceEvent::Explanation {
            depth,
            domain: domain.to_string(),
            text: Some(expanded.clone()),
            detail: None,
        });
        Some(expanded)
    }

    fn trace_term(
        &mut self,
        domain: &str,
        term: &str,
        counted: bool,
        outcome: TermOutcome,
        detail: Option<&str>,
    ) {
        let depth = self.level;
        let lookups = self.lookups;
        self.push(TraceEvent::Term {
            depth,
            domain: domain.to_string(),
            term: term.to_string(),
            outcome,
            detail: detail.map(str::to_string),
            counted,
            lookups,
        });
    }

    fn trace_dns<T>(
        &mut self,
        name: &str,
        rtype: &str,
        lookup: &Lookup<T>,
        void: bool,
        show: impl Fn(&T) -> String,
    ) {
        let (outcome, answers, detail) = match lookup {
            Lookup::Answer { records } => {
                let mut shown: Vec<String> =
                    records.iter().take(MAX_TRACE_ANSWERS).map(&show).collect();
                if records.len() > MAX_TRACE_ANSWERS {
                    shown.push(format!("(+{} more)", records.len() - MAX_TRACE_ANSWERS));
                }
                (DnsOutcome::Answer, shown, None)
            }
            Lookup::NxDomain => (DnsOutcome::Nxdomain, Vec::new(), None),
            Lookup::NoData | Lookup::NotAsked => (DnsOutcome::NoData, Vec::new(), None),
            Lookup::Failed { failure, detail } => (
                DnsOutcome::Failed,
                Vec::new(),
                Some(format!("{}: {detail}", failure.as_str())),
            ),
        };
        // A void lookup is counted by the caller right after; show the count it reaches.
        let void_lookups = self.voids + u32::from(void);
        let depth = self.level;
        self.push(TraceEvent::Dns {
            depth,
            name: name.to_string(),
            rtype: rtype.to_string(),
            outcome,
            answers,
            detail,
            void,
            void_lookups,
        });
    }
}

/// Aliases followed to tell a CNAME loop from a name without records.
const MAX_ALIASES: usize = 8;

/// The TXT records of `name`. "No data" caused by aliases that loop (or never end) is a
/// failure, as recursive resolvers report it (SERVFAIL), not a missing record.
pub(crate) async fn txt_records<R: Resolve>(dns: &R, name: &str) -> Lookup<String> {
    let txt = dns.txt(name).await;
    if txt != Lookup::NoData {
        return txt;
    }
    let mut chain = vec![name.trim_end_matches('.').to_ascii_lowercase()];
    for _ in 0..MAX_ALIASES {
        let current = chain.last().cloned().unwrap_or_default();
        let Lookup::Answer { records } = dns.cname(&current).await else {
            return txt;
        };
        let Some(target) = records.first() else {
            return txt;
        };
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        let looped = chain.contains(&target);
        chain.push(target);
        if looped {
            return Lookup::Failed {
                failure: Failure::ServFail,
                detail: format!("CNAME loop: {}", chain.join(" → ")),
            };
        }
    }
    Lookup::Failed {
        failure: Failure::ServFail,
        detail: format!("more than {MAX_ALIASES} CNAMEs in a row from {name}"),
    }
}

async fn address_lookup<R: Resolve>(dns: &R, ip: IpAddr, name: &str) -> Lookup<IpAddr> {
    match ip {
        IpAddr::V4(_) => dns.a(name).await.map(IpAddr::V4),
        IpAddr::V6(_) => dns.aaaa(name).await.map(IpAddr::V6),
    }
}

fn family_type(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "A" } else { "AAAA" }
}

fn invalid_target(name: &str) -> String {
    format!("{name:?} is not a valid domain name: no match")
}

/// How a domain-spec reads in the trace: as written when it has macros, else the name.
fn display_spec(spec: &MacroString, expanded: &str) -> String {
    spec.as_literal().unwrap_or_else(|| expanded.to_string())
}

fn display_name(name: &str) -> String {
    if name.is_empty() {
        ".".into()
    } else {
        name.to_string()
    }
}

/// The reverse-mapping name asked for `ip`, for the trace.
fn reverse_name(ip: IpAddr) -> String {
    use super::macros::dotted;
    let forward = dotted(ip);
    let mut parts: Vec<&str> = forward.split('.').collect();
    parts.reverse();
    let suffix = if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{suffix}", parts.join("."))
}

fn clip(text: &str) -> String {
    if text.len() <= MAX_TRACE_TEXT {
        return text.to_string();
    }
    let mut end = MAX_TRACE_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Lower-case would change what macros see; only the trailing dot goes.
fn normalize(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_string()
}

/// Drop labels from the left until the name fits 253 characters.
fn truncate_domain(name: &str) -> String {
    let mut name = name;
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    name.to_string()
}

/// A name DNS can carry: labels of 1–63 bytes, at most 253 characters, not a literal.
fn is_valid_domain(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('[')
        && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

fn in_v4(ip: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    u32::from(ip) & mask == u32::from(network) & mask
}

fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    };
    u128::from(ip) & mask == u128::from(network) & mask
}

/// Whether `candidate` (an A/AAAA answer) covers the client at the mechanism's CIDR length.
fn in_cidr(ip: IpAddr, candidate: IpAddr, v4: u8, v6: u8) -> bool {
    match (ip, candidate) {
        (IpAddr::V4(ip), IpAddr::V4(c)) => in_v4(ip, c, v4),
        (IpAddr::V6(ip), IpAddr::V6(c)) => in_v6(ip, c, v6),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
