//! The mechanisms that look at the client or ask DNS: whether each one matches, and the
//! validated PTR names behind `ptr` and `%{p}`.

use std::net::IpAddr;

use futures::future::join_all;

use super::names::{
    address_lookup, display_name, display_spec, family_type, in_cidr, in_v4, in_v6, invalid_target,
    is_valid_domain, reverse_name,
};
use super::{Abort, MAX_NAMES, Run, permerror, temperror};
use crate::facts::{Failure, Lookup, MxRecord};
use crate::probe::dns::Resolve;
use crate::records::spf::{MacroString, Mechanism, MechanismKind, SpfResult};

impl<R: Resolve> Run<'_, R> {
    /// Whether one mechanism matches, with an optional note for the trace.
    pub(super) async fn matches(
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
    pub(super) async fn validated_names(
        &mut self,
        count_void: bool,
    ) -> Result<Option<Vec<String>>, Abort> {
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
    pub(super) async fn p_value(&mut self, domain: &str) -> String {
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
}
