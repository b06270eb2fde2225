//! What the user told us, and the validation every value passes before it is used.
//!
//! Answers come in layers: built-in defaults < `--answers FILE` < flags < wizard prompts.
//! Each layer is an [`AnswerLayer`] (every field optional, the shape of the answers file);
//! [`AnswerLayer::merge`] stacks them and [`AnswerLayer::resolve`] validates the result into
//! [`Answers`], the complete, checked values that generators render. Nothing reaches a zone
//! line or a Postfix directive without passing [`validate`].
//!
//! The answers never hold a secret: a smarthost password is only ever a `password_file` path.

pub mod questions;
pub mod validate;

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::plan::Smarthosts;
pub use validate::InvalidValue;

/// Where the smarthost password comes from when the answers name a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// The answers' `password_file` (flags and answers files).
    File,
    /// Somewhere else: typed into the wizard and kept in memory, or not needed at all.
    Elsewhere,
}

/// Every problem found in a set of answers, each naming its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid answers:\n  {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
pub struct AnswersError(pub Vec<InvalidValue>);

/// How mail leaves the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outbound {
    /// Straight to the recipients' MX hosts on port 25.
    #[default]
    Direct,
    /// Through a relay (relayhost), for all mail or for chosen destinations.
    Smarthost,
}

/// DKIM signing algorithm (RFC 6376 rsa-sha256, RFC 8463 ed25519-sha256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Rsa,
    Ed25519,
}

/// DMARC policy (RFC 7489 `p=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    #[default]
    None,
    Quarantine,
    Reject,
}

/// MTA-STS policy mode (RFC 8461); `none` publishes no policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MtaStsMode {
    None,
    #[default]
    Testing,
    Enforce,
}

macro_rules! word_enum {
    ($ty:ty { $($variant:ident = $word:literal,)* }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $word,)* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let s = s.trim();
                <$ty>::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
                    format!("{s:?} is not one of: {}", <$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
                })
            }
        }
    };
}

word_enum!(Outbound { Direct = "direct", Smarthost = "smarthost", });
word_enum!(Algorithm { Rsa = "rsa", Ed25519 = "ed25519", });
word_enum!(DmarcPolicy { None = "none", Quarantine = "quarantine", Reject = "reject", });
word_enum!(MtaStsMode { None = "none", Testing = "testing", Enforce = "enforce", });

/// RSA key sizes offered: 2048 is what every verifier accepts in one TXT record; larger keys
/// are stronger but some DNS providers' forms cannot hold them.
pub const RSA_BITS: [u32; 3] = [2048, 3072, 4096];

/// The complete, validated answers: what the generators render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub domain: String,
    /// EHLO name and MX target.
    pub hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Ipv6Addr>,
    pub receives_mail: bool,
    pub outbound: Outbound,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smarthost: Option<Smarthost>,
    pub dkim: Dkim,
    pub dmarc: Dmarc,
    pub mta_sts: MtaSts,
    pub tls_rpt: TlsRpt,
}

/// A relay that carries outbound mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Smarthost {
    /// A preset id from `playbooks/smarthosts.yaml` (`generic` for any other relay).
    pub provider: String,
    pub host: String,
    pub port: u16,
    /// SASL user name; none for relays that authorise by IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// File holding the SASL password (its first line); never the password itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Send only mail for these recipient domains (or destination groups such as
    /// `microsoft-consumer`) through the relay; empty means all mail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<String>,
    /// SPF include for the relay, overriding the preset's (for `generic` relays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf_include: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dkim {
    pub selector: String,
    pub algorithms: Vec<Algorithm>,
    pub rsa_bits: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dmarc {
    pub policy: DmarcPolicy,
    /// Where aggregate reports go; none publishes no `rua=` (written as `rua: null`, which
    /// reads back as "no reports", not as the default address).
    pub rua: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MtaSts {
    pub mode: MtaStsMode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsRpt {
    /// Where TLS reports go; none publishes no TLS-RPT record (written as `rua: null`).
    pub rua: Option<String>,
}

impl Answers {
    /// The DKIM selectors in use, one per algorithm: the selector itself for a single
    /// algorithm, `<selector>-rsa` and `<selector>-ed25519` when signing with both.
    pub fn dkim_selectors(&self) -> Vec<(Algorithm, String)> {
        dkim_selectors(&self.dkim.selector, &self.dkim.algorithms)
    }

    /// True when some mail leaves the server directly (no smarthost, or one only for
    /// chosen destinations).
    pub fn sends_directly(&self) -> bool {
        match &self.smarthost {
            Some(s) if self.outbound == Outbound::Smarthost => !s.destinations.is_empty(),
            _ => true,
        }
    }

    /// True when the hostname is inside the domain, so its A/AAAA belong in the same zone.
    pub fn hostname_in_zone(&self) -> bool {
        in_zone(&self.hostname, &self.domain)
    }
}

/// Selector names per algorithm (see [`Answers::dkim_selectors`]).
pub fn dkim_selectors(selector: &str, algorithms: &[Algorithm]) -> Vec<(Algorithm, String)> {
    if algorithms.len() == 1 {
        return vec![(algorithms[0], selector.to_string())];
    }
    algorithms
        .iter()
        .map(|a| (*a, format!("{selector}-{}", a.as_str())))
        .collect()
}

/// True when `name` is `zone` or a name below it.
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// One layer of answers: the answers file's shape, every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receives_mail: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<Outbound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smarthost: Option<SmarthostLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkim: Option<DkimLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<DmarcLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaStsLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_rpt: Option<TlsRptLayer>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmarthostLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf_include: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Vec<Algorithm>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsa_bits: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmarcLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<DmarcPolicy>,
    /// `Some(None)` (an explicit `rua: null`) turns reports off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "explicit_null"
    )]
    pub rua: Option<Option<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtaStsLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<MtaStsMode>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsRptLayer {
    /// `Some(None)` (an explicit `rua: null`) publishes no TLS-RPT record.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "explicit_null"
    )]
    pub rua: Option<Option<String>>,
}

/// `rua: null` must differ from a missing `rua` (which takes the default address).
mod explicit_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|inner| inner.as_ref()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// Collects validation errors so that every bad field is reported at once.
struct Checker<'a>(&'a mut Vec<InvalidValue>);

impl Checker<'_> {
    fn ok<T>(&mut self, result: Result<T, InvalidValue>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
}

fn pick<T>(high: Option<T>, low: Option<T>) -> Option<T> {
    high.or(low)
}

fn merge_nested<T>(high: Option<T>, low: Option<T>, merge: impl FnOnce(T, T) -> T) -> Option<T> {
    match (high, low) {
        (Some(h), Some(l)) => Some(merge(h, l)),
        (h, l) => h.or(l),
    }
}

impl AnswerLayer {
    /// Parse an answers file (YAML). Unknown fields are errors, with line and column.
    pub fn from_yaml(origin: &str, text: &str) -> Result<Self, crate::plan::PlaybookError> {
        crate::plan::playbook::parse(origin, text)
    }

    /// This layer over `lower`: every value set here wins.
    pub fn merge(self, lower: AnswerLayer) -> AnswerLayer {
        AnswerLayer {
            domain: pick(self.domain, lower.domain),
            hostname: pick(self.hostname, lower.hostname),
            ipv4: pick(self.ipv4, lower.ipv4),
            ipv6: pick(self.ipv6, lower.ipv6),
            receives_mail: pick(self.receives_mail, lower.receives_mail),
            outbound: pick(self.outbound, lower.outbound),
            smarthost: merge_nested(self.smarthost, lower.smarthost, |h, l| SmarthostLayer {
                provider: pick(h.provider, l.provider),
                host: pick(h.host, l.host),
                port: pick(h.port, l.port),
                username: pick(h.username, l.username),
                password_file: pick(h.password_file, l.password_file),
                destinations: pick(h.destinations, l.destinations),
                spf_include: pick(h.spf_include, l.spf_include),
            }),
            dkim: merge_nested(self.dkim, lower.dkim, |h, l| DkimLayer {
                selector: pick(h.selector, l.selector),
                algorithms: pick(h.algorithms, l.algorithms),
                rsa_bits: pick(h.rsa_bits, l.rsa_bits),
            }),
            dmarc: merge_nested(self.dmarc, lower.dmarc, |h, l| DmarcLayer {
                policy: pick(h.policy, l.policy),
                rua: pick(h.rua, l.rua),
            }),
            mta_sts: merge_nested(self.mta_sts, lower.mta_sts, |h, l| MtaStsLayer {
                mode: pick(h.mode, l.mode),
            }),
            tls_rpt: merge_nested(self.tls_rpt, lower.tls_rpt, |h, l| TlsRptLayer {
                rua: pick(h.rua, l.rua),
            }),
        }
    }

    /// Validate every value and fill what is still missing with the built-in defaults.
    /// All problems are reported at once, each naming its field.
    pub fn resolve(&self, smarthosts: &Smarthosts) -> Result<Answers, AnswersError> {
        self.resolve_with(smarthosts, PasswordSource::File)
    }

    /// [`AnswerLayer::resolve`], saying where the smarthost password comes from: with
    /// [`PasswordSource::Elsewhere`] (typed into the wizard, or not needed because only the
    /// target is read) a login needs no `password_file`.
    pub fn resolve_with(
        &self,
        smarthosts: &Smarthosts,
        password: PasswordSource,
    ) -> Result<Answers, AnswersError> {
        let mut errors = Vec::new();
        let mut check = Checker(&mut errors);

        let domain = match &self.domain {
            Some(d) => check.ok(validate::domain("domain", d)),
            None => check.ok(Err(InvalidValue::new(
                "domain",
                "is required (the part of your addresses after @)",
            ))),
        };
        let hostname = match (&self.hostname, &domain) {
            (Some(h), _) => check.ok(validate::hostname("hostname", h)),
            (None, Some(d)) => Some(format!("mail.{d}")),
            (None, None) => None,
        };
        let ipv4 = self
            .ipv4
            .as_deref()
            .and_then(|ip| check.ok(validate::public_ipv4("ipv4", ip)));
        let ipv6 = self
            .ipv6
            .as_deref()
            .and_then(|ip| check.ok(validate::public_ipv6("ipv6", ip)));
        let receives_mail = self.receives_mail.unwrap_or(true);
        let outbound = self.outbound.unwrap_or_default();

        let smarthost = match (outbound, &self.smarthost) {
            (Outbound::Direct, Some(_)) => check.ok(Err(InvalidValue::new(
                "smarthost",
                "is only used with outbound: smarthost (set outbound: smarthost, or remove it)",
            ))),
            (Outbound::Direct, None) => None,
            (Outbound::Smarthost, None) => check.ok(Err(InvalidValue::new(
                "smarthost",
                "is required with outbound: smarthost (at least smarthost.provider)",
            ))),
            (Outbound::Smarthost, Some(layer)) => {
                let (ok, errs) = resolve_smarthost(layer, smarthosts, password);
                errors.extend(errs);
                ok
            }
        };
        let mut check = Checker(&mut errors);

        let dkim_layer = self.dkim.clone().unwrap_or_default();
        let selector = check.ok(validate::selector(
            "dkim.selector",
            dkim_layer.selector.as_deref().unwrap_or("mail"),
        ));
        let algorithms = dkim_layer
            .algorithms
            .unwrap_or_else(|| vec![Algorithm::Rsa]);
        let unique: BTreeSet<Algorithm> = algorithms.iter().copied().collect();
        let algorithms = if algorithms.is_empty() {
            check.ok::<Vec<Algorithm>>(Err(InvalidValue::new(
                "dkim.algorithms",
                "needs at least one of: rsa, ed25519",
            )))
        } else if unique.len() != algorithms.len() {
            check.ok::<Vec<Algorithm>>(Err(InvalidValue::new(
                "dkim.algorithms",
                "lists an algorithm twice",
            )))
        } else {
            Some(unique.into_iter().collect::<Vec<_>>())
        };
        let rsa_bits = dkim_layer.rsa_bits.unwrap_or(2048);
        if !RSA_BITS.contains(&rsa_bits) {
            check.ok::<()>(Err(InvalidValue::new(
                "dkim.rsa_bits",
                format!("{rsa_bits} is not one of 2048, 3072, 4096"),
            )));
        }
        if let (Some(sel), Some(algs)) = (&selector, &algorithms) {
            for (_, name) in dkim_selectors(sel, algs) {
                check.ok(validate::selector("dkim.selector", &name));
            }
        }

        let dmarc_layer = self.dmarc.clone().unwrap_or_default();
        let default_rua = |local: &str| domain.as_ref().map(|d| format!("{local}@{d}"));
        let dmarc_rua = match dmarc_layer.rua {
            Some(Some(rua)) => check.ok(validate::report_address("dmarc.rua", &rua)),
            Some(None) => None,
            None => default_rua("dmarc"),
        };
        let tls_rua = match self.tls_rpt.as_ref().and_then(|t| t.rua.clone()) {
            Some(Some(rua)) => check.ok(validate::report_address("tls_rpt.rua", &rua)),
            Some(None) => None,
            None => default_rua("tlsrpt"),
        };
        let mta_sts_mode = self
            .mta_sts
            .as_ref()
            .and_then(|m| m.mode)
            .unwrap_or(if receives_mail {
                MtaStsMode::Testing
            } else {
                MtaStsMode::None
            });
        if !receives_mail && mta_sts_mode != MtaStsMode::None {
            check.ok::<()>(Err(InvalidValue::new(
                "mta_sts.mode",
                "must be none when receives_mail is false (MTA-STS protects mail sent to this server)",
            )));
        }
        if outbound == Outbound::Direct && ipv4.is_none() && ipv6.is_none() && !receives_mail {
            check.ok::<()>(Err(InvalidValue::new(
                "ipv4",
                "is required to build SPF for a server that sends directly and does not receive mail",
            )));
        }

        if !errors.is_empty() {
            return Err(AnswersError(errors));
        }
        // Every value checked above: the unwraps below cannot fail.
        let (Some(domain), Some(hostname), Some(selector), Some(algorithms)) =
            (domain, hostname, selector, algorithms)
        else {
            return Err(AnswersError(vec![InvalidValue::new(
                "answers",
                "incomplete",
            )]));
        };
        Ok(Answers {
            domain,
            hostname,
            ipv4,
            ipv6,
            receives_mail,
            outbound,
            smarthost,
            dkim: Dkim {
                selector,
                algorithms,
                rsa_bits,
            },
            dmarc: Dmarc {
                policy: dmarc_layer.policy.unwrap_or_default(),
                rua: dmarc_rua,
            },
            mta_sts: MtaSts { mode: mta_sts_mode },
            tls_rpt: TlsRpt { rua: tls_rua },
        })
    }
}

fn resolve_smarthost(
    layer: &SmarthostLayer,
    presets: &Smarthosts,
    password: PasswordSource,
) -> (Option<Smarthost>, Vec<InvalidValue>) {
    let mut errors = Vec::new();
    let mut check = Checker(&mut errors);
    let provider_id = layer.provider.as_deref().unwrap_or("generic");
    let preset = check
        .ok(validate::token("smarthost.provider", provider_id))
        .and_then(|id| {
            let found = presets.providers.get(&id);
            if found.is_none() {
                check.ok::<()>(Err(InvalidValue::new(
                    "smarthost.provider",
                    format!(
                        "{id:?} is not a known provider; choose one of: {}",
                        presets
                            .providers
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )));
            }
            found.map(|p| (id, p))
        });
    let host = match (
        &layer.host,
        preset.as_ref().and_then(|(_, p)| p.host.as_deref()),
    ) {
        (Some(h), _) => check.ok(validate::hostname("smarthost.host", h)),
        (None, Some(h)) => Some(h.to_string()),
        (None, None) => check.ok(Err(InvalidValue::new(
            "smarthost.host",
            "is required for this provider (the relay's host name)",
        ))),
    };
    let port = match layer.port {
        Some(p) => check.ok(validate::port("smarthost.port", p)),
        None => preset.as_ref().map(|(_, p)| p.port),
    };
    let username = layer
        .username
        .as_deref()
        .and_then(|u| check.ok(validate::sasl_username("smarthost.username", u)));
    let password_file = layer
        .password_file
        .as_ref()
        .and_then(|p| check.ok(validate::path("smarthost.password_file", p)));
    let has_password = password_file.is_some() || password == PasswordSource::Elsewhere;
    if let Some((id, p)) = &preset
        && p.needs_credentials
        && username.is_none()
        && (password_file.is_none() || password == PasswordSource::Elsewhere)
    {
        check.ok::<()>(Err(InvalidValue::new(
            "smarthost.username",
            format!("{id} needs a login: set smarthost.username and smarthost.password_file"),
        )));
    } else if username.is_some() && !has_password {
        check.ok::<()>(Err(InvalidValue::new(
            "smarthost.password_file",
            "username and password_file go together (leave both out for a relay that trusts your IP address)",
        )));
    } else if username.is_none() && password_file.is_some() {
        check.ok::<()>(Err(InvalidValue::new(
            "smarthost.username",
            "username and password_file go together (leave both out for a relay that trusts your IP address)",
        )));
    }
    let mut destinations = Vec::new();
    for d in layer.destinations.iter().flatten() {
        let d = d.trim();
        if presets.destination_groups.contains_key(d) {
            destinations.push(d.to_string());
        } else if let Some(d) = check.ok(validate::domain("smarthost.destinations", d)) {
            destinations.push(d);
        }
    }
    destinations.dedup();
    let spf_include = layer
        .spf_include
        .as_deref()
        .and_then(|s| check.ok(validate::domain("smarthost.spf_include", s)));
    if !errors.is_empty() {
        return (None, errors);
    }
    match (preset, host, port) {
        (Some((provider, _)), Some(host), Some(port)) => (
            Some(Smarthost {
                provider,
                host,
                port,
                username,
                password_file,
                destinations,
                spf_include,
            }),
            errors,
        ),
        _ => (None, errors),
    }
}

#[cfg(test)]
mod tests;
