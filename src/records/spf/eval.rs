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
use std::net::IpAddr;
use std::pin::Pin;

use super::macros::{MacroContext, MacroLetter, MacroString, Place, parse_macro_string};
use super::result::{Evaluation, MatchedTerm, Request, SpfResult};
use super::trace::{DnsOutcome, TermOutcome, TraceEvent};
use super::{SpfRecord, is_spf_record, parse};
use crate::facts::{Failure, Lookup};
use crate::probe::dns::Resolve;

mod mechanisms;
mod names;
pub(crate) use names::txt_records;
use names::{clip, is_valid_domain, normalize, truncate_domain};

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

#[cfg(test)]
mod tests;
