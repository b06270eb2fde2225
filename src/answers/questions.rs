//! The one table of questions: every answer, its flag and help, when the wizard asks it, the
//! default it offers, and how a typed value is checked and stored. The command-line flags
//! (`cli::AnswerArgs`), the wizard's prompts and the equivalent command line it prints are
//! all made from [`QUESTIONS`], and every value goes through [`Question::set`], so a value
//! typed at a prompt passes exactly the validation a flag or an answers file does.
//!
//! The words of the prompts live in `playbooks/wizard.yaml`, keyed by [`Question::key`].

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use super::validate::{self, InvalidValue};
use super::{
    AnswerLayer, Answers, DkimLayer, DmarcLayer, MtaStsLayer, Outbound, SmarthostLayer, TlsRptLayer,
};
use crate::plan::Smarthosts;

/// What kind of value a question takes (how a prompt asks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Bool,
    /// One of fixed words.
    Choice(&'static [&'static str]),
    /// A comma-separated list.
    List,
    Number,
    Path,
    /// One of the smarthost presets of `playbooks/smarthosts.yaml`.
    Preset,
    /// A secret: the flag names a file holding it, the prompt asks for the secret itself
    /// (masked, kept in memory only).
    Secret,
}

/// When the wizard asks a question, relative to the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before the checks: what to check (domain, host, addresses).
    Identity,
    /// After the checks, whose facts give the defaults: how to fix it.
    Setup,
}

/// Whether the wizard asks a question at all.
#[derive(Clone, Copy)]
pub enum Ask {
    Always,
    /// Only when the answers so far make it relevant (e.g. smarthost questions).
    When(fn(&AnswerLayer, &Smarthosts) -> bool),
    /// Never prompted: a flag or the answers file sets it, else the built-in default holds.
    Never,
}

/// Whether a question may be left empty.
#[derive(Clone, Copy)]
pub enum Optional {
    No,
    Yes,
    /// Optional unless this holds (e.g. a login for a relay that requires one).
    Unless(fn(&AnswerLayer, &Smarthosts) -> bool),
}

/// What the wizard found out before asking: the defaults it offers come from here. Plain
/// data, filled by the wizard from its probes, so defaults are pure functions of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    /// This machine's fully qualified name.
    pub fqdn: Option<String>,
    /// Postfix's `mydomain`, `myhostname` and `relayhost`, when Postfix is configured.
    pub postfix_mydomain: Option<String>,
    pub postfix_myhostname: Option<String>,
    pub postfix_relayhost: Option<String>,
    /// The smarthost preset whose host is Postfix's relayhost.
    pub relay_preset: Option<String>,
    /// This machine's public addresses, as detected.
    pub public_v4: Option<Ipv4Addr>,
    pub public_v6: Option<Ipv6Addr>,
    /// The domain's MX hosts as published now.
    pub mx_hosts: Vec<String>,
    /// Public addresses the mail host name resolves to now.
    pub host_v4: Vec<Ipv4Addr>,
    pub host_v6: Vec<Ipv6Addr>,
    /// DKIM selectors with a key published now.
    pub dkim_selectors: Vec<String>,
    /// The report address of the published DMARC record.
    pub dmarc_rua: Option<String>,
    /// The mode of the published MTA-STS policy.
    pub mta_sts_mode: Option<String>,
    /// What the checks recommend: `direct` or `smarthost`, and for which destinations.
    pub outbound: Option<String>,
    pub smarthost_destinations: Vec<String>,
    /// The current year, for the name of a new DKIM selector.
    pub year: Option<i32>,
}

/// One answer: its key in the answers file, its flag, and how the wizard asks for it.
pub struct Question {
    /// Dotted path in the answers file, e.g. `dkim.selector`.
    pub key: &'static str,
    /// The command-line flag that sets it.
    pub flag: &'static str,
    /// The flag's value name in `--help`.
    pub value_name: &'static str,
    /// One line of `--help`.
    pub help: &'static str,
    pub kind: Kind,
    pub stage: Stage,
    pub ask: Ask,
    /// Whether an empty answer is a valid one ("none": no address, no login, all
    /// destinations).
    pub optional: Optional,
    /// The default the prompt offers (and `--yes` takes), from what the wizard found.
    default: fn(&Hints, &AnswerLayer) -> Option<String>,
    /// This answer as a flag value, read back from validated answers.
    value: fn(&Answers) -> Option<String>,
    set: fn(&mut AnswerLayer, &str, &str) -> Result<(), InvalidValue>,
    is_set: fn(&AnswerLayer) -> bool,
}

impl Question {
    /// Check `value` and store it in `layer`.
    pub fn set(&self, layer: &mut AnswerLayer, value: &str) -> Result<(), InvalidValue> {
        (self.set)(layer, self.key, value)
    }

    /// True when an empty answer is acceptable, given the answers so far.
    pub fn is_optional(&self, layer: &AnswerLayer, smarthosts: &Smarthosts) -> bool {
        match self.optional {
            Optional::No => false,
            Optional::Yes => true,
            Optional::Unless(needed) => !needed(layer, smarthosts),
        }
    }

    /// Check `value` without keeping it (the prompts' validator). An empty value is valid
    /// when `optional` (see [`Question::is_optional`]).
    pub fn check(&self, value: &str, optional: bool) -> Result<(), InvalidValue> {
        if value.trim().is_empty() {
            return if optional {
                Ok(())
            } else {
                Err(InvalidValue::new(self.key, "needs an answer"))
            };
        }
        match self.kind {
            Kind::Secret => validate::sasl_password(self.key, value).map(|_| ()),
            _ => self.set(&mut AnswerLayer::default(), value),
        }
    }

    /// True when `layer` already holds this answer (the wizard asks only for the rest).
    pub fn is_set(&self, layer: &AnswerLayer) -> bool {
        (self.is_set)(layer)
    }

    /// The default offered for this question.
    pub fn default(&self, hints: &Hints, layer: &AnswerLayer) -> Option<String> {
        (self.default)(hints, layer)
    }

    /// The flag value that gives these answers' value for this question, if any.
    pub fn value(&self, answers: &Answers) -> Option<String> {
        (self.value)(answers)
    }

    /// True when the wizard should ask this question, given the answers so far.
    pub fn applies(&self, layer: &AnswerLayer, smarthosts: &Smarthosts) -> bool {
        match self.ask {
            Ask::Always => true,
            Ask::When(f) => f(layer, smarthosts),
            Ask::Never => false,
        }
    }
}

fn smarthost(l: &mut AnswerLayer) -> &mut SmarthostLayer {
    l.smarthost.get_or_insert_with(Default::default)
}
fn dkim(l: &mut AnswerLayer) -> &mut DkimLayer {
    l.dkim.get_or_insert_with(Default::default)
}
fn dmarc(l: &mut AnswerLayer) -> &mut DmarcLayer {
    l.dmarc.get_or_insert_with(Default::default)
}

fn parse_bool(key: &str, v: &str) -> Result<bool, InvalidValue> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" | "1" | "on" => Ok(true),
        "no" | "false" | "n" | "0" | "off" => Ok(false),
        _ => Err(InvalidValue::new(key, format!("{v:?} is not yes or no"))),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn word<T: std::str::FromStr<Err = String>>(key: &str, v: &str) -> Result<T, InvalidValue> {
    v.parse().map_err(|e: String| InvalidValue::new(key, e))
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// An optional address: "none" (or empty) turns the reports off.
fn optional_report_address(key: &str, v: &str) -> Result<Option<String>, InvalidValue> {
    let t = v.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        validate::report_address(key, t).map(Some)
    }
}

/// The domain a layer names, for defaults that derive from it.
fn domain_of(l: &AnswerLayer) -> Option<&str> {
    l.domain.as_deref()
}

fn outbound_is_smarthost(l: &AnswerLayer) -> bool {
    l.outbound == Some(Outbound::Smarthost)
}

/// The preset a layer names (`generic` when none is named yet).
fn preset<'a>(l: &AnswerLayer, s: &'a Smarthosts) -> Option<&'a crate::plan::Provider> {
    let id = l
        .smarthost
        .as_ref()
        .and_then(|s| s.provider.as_deref())
        .unwrap_or("generic");
    s.providers.get(id)
}

/// The first label stripped from a host name, when what remains is still a domain.
fn parent_domain(name: &str) -> Option<String> {
    let (_, rest) = name.split_once('.')?;
    rest.contains('.').then(|| rest.to_string())
}

/// A name usable as a default: valid, and not a placeholder such as `localhost` or
/// `localdomain`.
fn usable_name(name: &str) -> Option<String> {
    let n = validate::hostname("name", name).ok()?;
    const PRIVATE: [&str; 7] = [
        "localhost",
        "localdomain",
        "local",
        "internal",
        "lan",
        "home",
        "home.arpa",
    ];
    let placeholder = PRIVATE
        .iter()
        .any(|p| n == *p || n.ends_with(&format!(".{p}")));
    (!placeholder).then_some(n)
}

fn default_domain(h: &Hints, _: &AnswerLayer) -> Option<String> {
    h.postfix_mydomain
        .as_deref()
        .and_then(usable_name)
        .or_else(|| h.fqdn.as_deref().and_then(parent_domain))
        .and_then(|d| usable_name(&d))
}

fn default_hostname(h: &Hints, l: &AnswerLayer) -> Option<String> {
    let domain = domain_of(l)?;
    let inside = |n: &Option<String>| {
        n.as_deref()
            .and_then(usable_name)
            .filter(|n| super::in_zone(n, domain) && n != domain)
    };
    inside(&h.postfix_myhostname)
        .or_else(|| inside(&h.fqdn))
        .or_else(|| inside(&h.mx_hosts.first().cloned()))
        .or_else(|| Some(format!("mail.{domain}")))
}

fn default_ipv4(h: &Hints, _: &AnswerLayer) -> Option<String> {
    h.public_v4
        .or_else(|| {
            h.host_v4
                .iter()
                .copied()
                .find(|ip| validate::public_ipv4("ipv4", &ip.to_string()).is_ok())
        })
        .map(|ip| ip.to_string())
}

fn default_ipv6(h: &Hints, _: &AnswerLayer) -> Option<String> {
    h.public_v6
        .or_else(|| {
            h.host_v6
                .iter()
                .copied()
                .find(|ip| validate::public_ipv6("ipv6", &ip.to_string()).is_ok())
        })
        .map(|ip| ip.to_string())
}

/// Receiving is the default unless the domain's MX hosts are published and none of them
/// is this server (the mail is hosted elsewhere).
fn default_receives(h: &Hints, l: &AnswerLayer) -> Option<String> {
    let host = l.hostname.clone().or_else(|| default_hostname(h, l));
    let elsewhere = !h.mx_hosts.is_empty() && host.is_some_and(|host| !h.mx_hosts.contains(&host));
    Some(yes_no(!elsewhere))
}

fn default_outbound(h: &Hints, _: &AnswerLayer) -> Option<String> {
    Some(h.outbound.clone().unwrap_or_else(|| "direct".into()))
}

/// The preset whose relay Postfix already uses, else the generic one.
fn default_provider(h: &Hints, _: &AnswerLayer) -> Option<String> {
    Some(h.relay_preset.clone().unwrap_or_else(|| "generic".into()))
}

/// `[host]:port` or `host:port` as Postfix writes a relayhost, reduced to the host.
pub fn relay_host(relayhost: &str) -> String {
    let t = relayhost.trim();
    let t = t
        .strip_prefix('[')
        .map_or(t, |rest| rest.split(']').next().unwrap_or(rest));
    t.split(':').next().unwrap_or(t).to_ascii_lowercase()
}

fn default_smarthost_host(h: &Hints, _: &AnswerLayer) -> Option<String> {
    h.postfix_relayhost
        .as_deref()
        .map(relay_host)
        .and_then(|host| usable_name(&host))
}

fn default_dkim_selector(h: &Hints, _: &AnswerLayer) -> Option<String> {
    if h.dkim_selectors.is_empty() {
        return Some("mail".into());
    }
    // A key is published already: a new selector keeps it working until the switch.
    let base = match h.year {
        Some(year) => format!("mail{year}"),
        None => "mail2".into(),
    };
    let taken = |s: &str| h.dkim_selectors.iter().any(|t| t == s);
    let candidates = std::iter::once(base.clone()).chain(('b'..='z').map(|c| format!("{base}{c}")));
    candidates.into_iter().find(|s| !taken(s))
}

fn default_dmarc_rua(h: &Hints, l: &AnswerLayer) -> Option<String> {
    h.dmarc_rua
        .clone()
        .or_else(|| domain_of(l).map(|d| format!("dmarc@{d}")))
}

fn default_mta_sts(h: &Hints, _: &AnswerLayer) -> Option<String> {
    Some(h.mta_sts_mode.clone().unwrap_or_else(|| "testing".into()))
}

/// Every question, in the order the wizard asks them.
pub const QUESTIONS: &[Question] = &[
    Question {
        key: "domain",
        flag: "--domain",
        value_name: "DOMAIN",
        help: "Your mail domain (the part of your addresses after @).",
        kind: Kind::Text,
        stage: Stage::Identity,
        ask: Ask::Always,
        optional: Optional::No,
        default: default_domain,
        value: |a| Some(a.domain.clone()),
        set: |l, k, v| {
            l.domain = Some(validate::domain(k, v)?);
            Ok(())
        },
        is_set: |l| l.domain.is_some(),
    },
    Question {
        key: "hostname",
        flag: "--hostname",
        value_name: "FQDN",
        help: "Your mail server's name (EHLO name, MX target); default mail.DOMAIN.",
        kind: Kind::Text,
        stage: Stage::Identity,
        ask: Ask::Always,
        optional: Optional::No,
        default: default_hostname,
        value: |a| Some(a.hostname.clone()),
        set: |l, k, v| {
            l.hostname = Some(validate::hostname(k, v)?);
            Ok(())
        },
        is_set: |l| l.hostname.is_some(),
    },
    Question {
        key: "ipv4",
        flag: "--ipv4",
        value_name: "IP",
        help: "The public IPv4 address your server sends from.",
        kind: Kind::Text,
        stage: Stage::Identity,
        ask: Ask::Always,
        optional: Optional::Yes,
        default: default_ipv4,
        value: |a| a.ipv4.map(|ip| ip.to_string()),
        set: |l, k, v| {
            l.ipv4 = Some(validate::public_ipv4(k, v)?.to_string());
            Ok(())
        },
        is_set: |l| l.ipv4.is_some(),
    },
    Question {
        key: "ipv6",
        flag: "--ipv6",
        value_name: "IP",
        help: "The public IPv6 address your server sends from, if it uses IPv6.",
        kind: Kind::Text,
        stage: Stage::Identity,
        ask: Ask::Always,
        optional: Optional::Yes,
        default: default_ipv6,
        value: |a| a.ipv6.map(|ip| ip.to_string()),
        set: |l, k, v| {
            l.ipv6 = Some(validate::public_ipv6(k, v)?.to_string());
            Ok(())
        },
        is_set: |l| l.ipv6.is_some(),
    },
    Question {
        key: "receives_mail",
        flag: "--receives-mail",
        value_name: "YES|NO",
        help: "Whether this server receives the domain's mail (yes/no; default yes).",
        kind: Kind::Bool,
        stage: Stage::Identity,
        ask: Ask::Always,
        optional: Optional::No,
        default: default_receives,
        value: |a| Some(yes_no(a.receives_mail)),
        set: |l, k, v| {
            l.receives_mail = Some(parse_bool(k, v)?);
            Ok(())
        },
        is_set: |l| l.receives_mail.is_some(),
    },
    Question {
        key: "outbound",
        flag: "--outbound",
        value_name: "HOW",
        help: "How mail leaves: direct or smarthost.",
        kind: Kind::Choice(&["direct", "smarthost"]),
        stage: Stage::Setup,
        ask: Ask::Always,
        optional: Optional::No,
        default: default_outbound,
        value: |a| Some(a.outbound.to_string()),
        set: |l, k, v| {
            l.outbound = Some(word(k, v)?);
            Ok(())
        },
        is_set: |l| l.outbound.is_some(),
    },
    Question {
        key: "smarthost.provider",
        flag: "--smarthost-provider",
        value_name: "NAME",
        help: "Smarthost preset (see playbooks/smarthosts.yaml), e.g. sendgrid, generic.",
        kind: Kind::Preset,
        stage: Stage::Setup,
        ask: Ask::When(|l, _| outbound_is_smarthost(l)),
        optional: Optional::No,
        default: default_provider,
        value: |a| a.smarthost.as_ref().map(|s| s.provider.clone()),
        set: |l, k, v| {
            smarthost(l).provider = Some(validate::token(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.provider.is_some()),
    },
    Question {
        key: "smarthost.host",
        flag: "--smarthost-host",
        value_name: "HOST",
        help: "Smarthost host name (overrides the preset's).",
        kind: Kind::Text,
        stage: Stage::Setup,
        ask: Ask::When(|l, s| {
            outbound_is_smarthost(l) && preset(l, s).is_some_and(|p| p.host.is_none())
        }),
        optional: Optional::No,
        default: default_smarthost_host,
        value: |a| a.smarthost.as_ref().map(|s| s.host.clone()),
        set: |l, k, v| {
            smarthost(l).host = Some(validate::hostname(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.host.is_some()),
    },
    Question {
        key: "smarthost.port",
        flag: "--smarthost-port",
        value_name: "PORT",
        help: "Smarthost port (465 means implicit TLS).",
        kind: Kind::Number,
        stage: Stage::Setup,
        ask: Ask::When(|l, s| {
            outbound_is_smarthost(l) && preset(l, s).is_some_and(|p| p.host.is_none())
        }),
        optional: Optional::No,
        default: |_, l| {
            let id = l.smarthost.as_ref().and_then(|s| s.provider.as_deref());
            Some(
                if id == Some("generic-smtps") {
                    "465"
                } else {
                    "587"
                }
                .to_string(),
            )
        },
        value: |a| a.smarthost.as_ref().map(|s| s.port.to_string()),
        set: |l, k, v| {
            smarthost(l).port = Some(u32::from(validate::port_text(k, v)?));
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.port.is_some()),
    },
    Question {
        key: "smarthost.username",
        flag: "--smarthost-username",
        value_name: "USER",
        help: "Smarthost login name.",
        kind: Kind::Text,
        stage: Stage::Setup,
        ask: Ask::When(|l, _| outbound_is_smarthost(l)),
        optional: Optional::Unless(|l, s| preset(l, s).is_some_and(|p| p.needs_credentials)),
        default: |_, _| None,
        value: |a| a.smarthost.as_ref().and_then(|s| s.username.clone()),
        set: |l, k, v| {
            smarthost(l).username = Some(validate::sasl_username(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.username.is_some()),
    },
    Question {
        key: "smarthost.password_file",
        flag: "--smarthost-password-file",
        value_name: "FILE",
        help: "File whose first line is the smarthost password (never the password itself).",
        kind: Kind::Secret,
        stage: Stage::Setup,
        ask: Ask::When(|l, _| {
            outbound_is_smarthost(l) && l.smarthost.as_ref().is_some_and(|s| s.username.is_some())
        }),
        optional: Optional::No,
        default: |_, _| None,
        value: |a| {
            a.smarthost
                .as_ref()
                .and_then(|s| s.password_file.as_ref())
                .map(|p| p.display().to_string())
        },
        set: |l, k, v| {
            smarthost(l).password_file = Some(validate::path(k, &PathBuf::from(v))?);
            Ok(())
        },
        is_set: |l| {
            l.smarthost
                .as_ref()
                .is_some_and(|s| s.password_file.is_some())
        },
    },
    Question {
        key: "smarthost.destinations",
        flag: "--smarthost-destinations",
        value_name: "LIST",
        help: "Send only mail for these domains or groups through the smarthost \
               (comma-separated, e.g. microsoft-consumer).",
        kind: Kind::List,
        stage: Stage::Setup,
        ask: Ask::When(|l, _| outbound_is_smarthost(l)),
        optional: Optional::Yes,
        default: |h, _| {
            (!h.smarthost_destinations.is_empty()).then(|| h.smarthost_destinations.join(","))
        },
        value: |a| {
            a.smarthost
                .as_ref()
                .filter(|s| !s.destinations.is_empty())
                .map(|s| s.destinations.join(","))
        },
        set: |l, k, v| {
            let items = list(v);
            for item in &items {
                if validate::token(k, item).is_err() {
                    validate::domain(k, item)?;
                }
            }
            smarthost(l).destinations = Some(items);
            Ok(())
        },
        is_set: |l| {
            l.smarthost
                .as_ref()
                .is_some_and(|s| s.destinations.is_some())
        },
    },
    Question {
        key: "smarthost.spf_include",
        flag: "--smarthost-spf-include",
        value_name: "DOMAIN",
        help: "SPF include for the smarthost (overrides the preset's).",
        kind: Kind::Text,
        stage: Stage::Setup,
        // Only for relays without a preset host: a preset without an include sends with
        // its own envelope sender, so SPF needs nothing for it (DKIM carries DMARC).
        ask: Ask::When(|l, s| {
            outbound_is_smarthost(l) && preset(l, s).is_some_and(|p| p.host.is_none())
        }),
        optional: Optional::Yes,
        default: |_, _| None,
        value: |a| a.smarthost.as_ref().and_then(|s| s.spf_include.clone()),
        set: |l, k, v| {
            smarthost(l).spf_include = Some(validate::domain(k, v)?);
            Ok(())
        },
        is_set: |l| {
            l.smarthost
                .as_ref()
                .is_some_and(|s| s.spf_include.is_some())
        },
    },
    Question {
        key: "dkim.selector",
        flag: "--dkim-selector",
        value_name: "S",
        help: "DKIM selector (default mail).",
        kind: Kind::Text,
        stage: Stage::Setup,
        ask: Ask::Always,
        optional: Optional::No,
        default: default_dkim_selector,
        value: |a| Some(a.dkim.selector.clone()),
        set: |l, k, v| {
            dkim(l).selector = Some(validate::selector(k, v)?);
            Ok(())
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.selector.is_some()),
    },
    Question {
        key: "dkim.algorithms",
        flag: "--dkim-algorithms",
        value_name: "LIST",
        help: "DKIM algorithms, comma-separated: rsa, ed25519 (both: dual signing).",
        kind: Kind::Choice(&["rsa", "rsa,ed25519", "ed25519"]),
        stage: Stage::Setup,
        ask: Ask::Always,
        optional: Optional::No,
        default: |_, _| Some("rsa".into()),
        value: |a| {
            Some(
                a.dkim
                    .algorithms
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            )
        },
        set: |l, k, v| {
            let algorithms = list(v)
                .iter()
                .map(|a| word(k, a))
                .collect::<Result<Vec<_>, _>>()?;
            dkim(l).algorithms = Some(algorithms);
            Ok(())
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.algorithms.is_some()),
    },
    Question {
        key: "dkim.rsa_bits",
        flag: "--dkim-rsa-bits",
        value_name: "BITS",
        help: "RSA key size: 2048 (default), 3072 or 4096.",
        kind: Kind::Choice(&["2048", "3072", "4096"]),
        stage: Stage::Setup,
        ask: Ask::Never,
        optional: Optional::No,
        default: |_, _| Some("2048".into()),
        value: |a| Some(a.dkim.rsa_bits.to_string()),
        set: |l, k, v| {
            let bits = v
                .trim()
                .parse::<u32>()
                .map_err(|_| InvalidValue::new(k, format!("{v:?} is not a number of bits")))?;
            dkim(l).rsa_bits = Some(bits);
            Ok(())
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.rsa_bits.is_some()),
    },
    Question {
        key: "dmarc.policy",
        flag: "--dmarc-policy",
        value_name: "POLICY",
        help: "DMARC policy to publish now: none (default), quarantine, reject.",
        kind: Kind::Choice(&["none", "quarantine", "reject"]),
        stage: Stage::Setup,
        ask: Ask::Never,
        optional: Optional::No,
        default: |_, _| Some("none".into()),
        value: |a| Some(a.dmarc.policy.to_string()),
        set: |l, k, v| {
            dmarc(l).policy = Some(word(k, v)?);
            Ok(())
        },
        is_set: |l| l.dmarc.as_ref().is_some_and(|d| d.policy.is_some()),
    },
    Question {
        key: "dmarc.rua",
        flag: "--dmarc-rua",
        value_name: "ADDR",
        help: "Address for DMARC aggregate reports (default dmarc@DOMAIN; \"none\" for no reports).",
        kind: Kind::Text,
        stage: Stage::Setup,
        ask: Ask::Always,
        optional: Optional::Yes,
        default: default_dmarc_rua,
        value: |a| Some(a.dmarc.rua.clone().unwrap_or_else(|| "none".into())),
        set: |l, k, v| {
            dmarc(l).rua = Some(optional_report_address(k, v)?);
            Ok(())
        },
        is_set: |l| l.dmarc.as_ref().is_some_and(|d| d.rua.is_some()),
    },
    Question {
        key: "mta_sts.mode",
        flag: "--mta-sts-mode",
        value_name: "MODE",
        help: "MTA-STS mode: none, testing (default), enforce.",
        kind: Kind::Choice(&["testing", "enforce", "none"]),
        stage: Stage::Setup,
        ask: Ask::When(|l, _| l.receives_mail != Some(false)),
        optional: Optional::No,
        default: default_mta_sts,
        value: |a| Some(a.mta_sts.mode.to_string()),
        set: |l, k, v| {
            l.mta_sts = Some(MtaStsLayer {
                mode: Some(word(k, v)?),
            });
            Ok(())
        },
        is_set: |l| l.mta_sts.as_ref().is_some_and(|m| m.mode.is_some()),
    },
    Question {
        key: "tls_rpt.rua",
        flag: "--tls-rpt-rua",
        value_name: "ADDR",
        help: "Address for TLS reports (default tlsrpt@DOMAIN; \"none\" for no record).",
        kind: Kind::Text,
        stage: Stage::Setup,
        ask: Ask::Never,
        optional: Optional::Yes,
        default: |_, l| domain_of(l).map(|d| format!("tlsrpt@{d}")),
        value: |a| Some(a.tls_rpt.rua.clone().unwrap_or_else(|| "none".into())),
        set: |l, k, v| {
            l.tls_rpt = Some(TlsRptLayer {
                rua: Some(optional_report_address(k, v)?),
            });
            Ok(())
        },
        is_set: |l| l.tls_rpt.as_ref().is_some_and(|t| t.rua.is_some()),
    },
];

/// The question for a key, e.g. "dkim.selector".
pub fn question(key: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.key == key)
}

/// Store the value of one answer by key, validating it.
pub fn set(layer: &mut AnswerLayer, key: &str, value: &str) -> Result<(), InvalidValue> {
    match question(key) {
        Some(q) => q.set(layer, value),
        None => Err(InvalidValue::new(key, "is not a known answer")),
    }
}

/// A layer built from (key, value) pairs such as flags; every error is collected.
pub fn layer_from_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
) -> Result<AnswerLayer, Vec<InvalidValue>> {
    let mut layer = AnswerLayer::default();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        if let Some(value) = value
            && let Err(e) = set(&mut layer, key, value)
        {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(layer)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::plan::Playbooks;

    fn layer(yaml: &str) -> AnswerLayer {
        AnswerLayer::from_yaml("test", yaml).unwrap()
    }

    #[test]
    fn keys_and_flags_are_unique_and_match() {
        for (i, q) in QUESTIONS.iter().enumerate() {
            assert_eq!(
                q.flag,
                format!("--{}", q.key.replace(['.', '_'], "-")),
                "flag of {}",
                q.key
            );
            assert!(
                !QUESTIONS[..i].iter().any(|o| o.key == q.key),
                "{} twice",
                q.key
            );
            assert!(q.help.ends_with('.'), "help of {}", q.key);
        }
    }

    #[test]
    fn value_reads_back_what_set_stored() {
        let presets = Playbooks::load(&Assets::default()).unwrap().smarthosts;
        let answers = layer(
            "domain: example.org\nhostname: mx.example.org\nipv4: 203.0.113.10\nipv6: 2001:db8::10\n\
             receives_mail: false\noutbound: smarthost\nmta_sts: {mode: none}\n\
             smarthost: {provider: generic, host: relay.example.net, port: 465, username: u, \
             password_file: /p, destinations: [microsoft-consumer], spf_include: spf.example.net}\n\
             dkim: {selector: s1, algorithms: [rsa, ed25519], rsa_bits: 3072}\n\
             dmarc: {policy: reject, rua: null}\ntls_rpt: {rua: t@example.org}\n",
        )
        .resolve(&presets)
        .unwrap();
        let mut rebuilt = AnswerLayer::default();
        for q in QUESTIONS {
            let v = q
                .value(&answers)
                .unwrap_or_else(|| panic!("{} has no value", q.key));
            q.set(&mut rebuilt, &v).unwrap();
        }
        assert_eq!(rebuilt.resolve(&presets).unwrap(), answers);
    }

    #[test]
    fn defaults_come_from_the_hints() {
        let l = layer("domain: example.org\n");
        let q = |k: &str| question(k).unwrap();
        let mut h = Hints {
            fqdn: Some("box.example.org".into()),
            ..Hints::default()
        };
        assert_eq!(
            q("domain").default(&h, &AnswerLayer::default()).as_deref(),
            Some("example.org")
        );
        assert_eq!(
            q("hostname").default(&h, &l).as_deref(),
            Some("box.example.org")
        );
        h.postfix_myhostname = Some("mx.example.org".into());
        assert_eq!(
            q("hostname").default(&h, &l).as_deref(),
            Some("mx.example.org")
        );
        h.postfix_myhostname = Some("localhost".into());
        h.fqdn = Some("laptop.home.arpa".into());
        assert_eq!(
            q("hostname").default(&h, &l).as_deref(),
            Some("mail.example.org")
        );
        assert_eq!(q("domain").default(&h, &AnswerLayer::default()), None);

        h.host_v4 = vec!["10.0.0.5".parse().unwrap(), "203.0.113.7".parse().unwrap()];
        assert_eq!(q("ipv4").default(&h, &l).as_deref(), Some("203.0.113.7"));
        h.public_v4 = Some("198.51.100.4".parse().unwrap());
        assert_eq!(q("ipv4").default(&h, &l).as_deref(), Some("198.51.100.4"));

        assert_eq!(q("receives_mail").default(&h, &l).as_deref(), Some("yes"));
        h.mx_hosts = vec!["aspmx.l.google.com".into()];
        assert_eq!(q("receives_mail").default(&h, &l).as_deref(), Some("no"));
        h.mx_hosts = vec!["mail.example.org".into()];
        assert_eq!(q("receives_mail").default(&h, &l).as_deref(), Some("yes"));

        assert_eq!(q("dkim.selector").default(&h, &l).as_deref(), Some("mail"));
        h.dkim_selectors = vec!["mail".into(), "mail2026".into()];
        h.year = Some(2026);
        assert_eq!(
            q("dkim.selector").default(&h, &l).as_deref(),
            Some("mail2026b")
        );

        assert_eq!(
            q("dmarc.rua").default(&h, &l).as_deref(),
            Some("dmarc@example.org")
        );
        h.dmarc_rua = Some("reports@example.net".into());
        assert_eq!(
            q("dmarc.rua").default(&h, &l).as_deref(),
            Some("reports@example.net")
        );

        assert_eq!(
            q("smarthost.provider").default(&h, &l).as_deref(),
            Some("generic")
        );
        h.relay_preset = Some("sendgrid".into());
        assert_eq!(
            q("smarthost.provider").default(&h, &l).as_deref(),
            Some("sendgrid")
        );
        assert_eq!(q("smarthost.host").default(&h, &l), None);
        h.postfix_relayhost = Some("[Relay.Example.NET]:587".into());
        assert_eq!(
            q("smarthost.host").default(&h, &l).as_deref(),
            Some("relay.example.net")
        );
        assert_eq!(relay_host("relay.example.net:25"), "relay.example.net");
    }

    #[test]
    fn what_is_asked_follows_the_answers() {
        let presets = Playbooks::load(&Assets::default()).unwrap().smarthosts;
        let q = |k: &str| question(k).unwrap();
        let direct = layer("domain: example.org\noutbound: direct\n");
        assert!(!q("smarthost.provider").applies(&direct, &presets));
        let generic =
            layer("domain: example.org\noutbound: smarthost\nsmarthost: {provider: generic}\n");
        assert!(q("smarthost.host").applies(&generic, &presets));
        assert!(q("smarthost.spf_include").applies(&generic, &presets));
        assert!(!q("smarthost.password_file").applies(&generic, &presets));
        let sendgrid = layer(
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: sendgrid, username: apikey}\n",
        );
        assert!(!q("smarthost.host").applies(&sendgrid, &presets));
        assert!(q("smarthost.password_file").applies(&sendgrid, &presets));
        let send_only = layer("domain: example.org\nreceives_mail: false\n");
        assert!(!q("mta_sts.mode").applies(&send_only, &presets));
        assert!(!q("dkim.rsa_bits").applies(&send_only, &presets));
    }

    #[test]
    fn prompts_validate_like_flags() {
        let q = |k: &str| question(k).unwrap();
        assert!(q("ipv6").check("", true).is_ok());
        assert!(q("ipv4").check("10.0.0.1", true).is_err());
        assert!(q("domain").check("", false).is_err());
        assert!(
            q("hostname")
                .check("mail.example.org\nrelayhost = x", false)
                .is_err()
        );
        assert!(q("smarthost.password_file").check("s3cret", false).is_ok());
        assert!(
            q("smarthost.password_file")
                .check("two\nlines", false)
                .is_err()
        );
        assert!(
            q("smarthost.destinations")
                .check("microsoft-consumer, example.com", true)
                .is_ok()
        );
        assert!(
            q("smarthost.destinations")
                .check("bad domain", true)
                .is_err()
        );
        let presets = Playbooks::load(&Assets::default()).unwrap().smarthosts;
        let sendgrid =
            layer("domain: example.org\noutbound: smarthost\nsmarthost: {provider: sendgrid}\n");
        assert!(!q("smarthost.username").is_optional(&sendgrid, &presets));
        let generic =
            layer("domain: example.org\noutbound: smarthost\nsmarthost: {provider: generic}\n");
        assert!(q("smarthost.username").is_optional(&generic, &presets));
    }
}
