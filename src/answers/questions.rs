//! The one table of questions: every answer, its flag, and how a typed value is checked and
//! stored. Flags (`generate`, later the wizard's prompts) all go through [`set`], so a value
//! typed at a prompt passes exactly the validation a flag or an answers file does.

use std::path::PathBuf;

use super::validate::{self, InvalidValue};
use super::{AnswerLayer, DkimLayer, DmarcLayer, MtaStsLayer, SmarthostLayer, TlsRptLayer};

/// What kind of value a question takes (how a prompt should ask it).
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
}

/// One answer: its key in the answers file, its flag, and how to store a typed value.
pub struct Question {
    /// Dotted path in the answers file, e.g. `dkim.selector`.
    pub key: &'static str,
    /// The command-line flag that sets it.
    pub flag: &'static str,
    pub kind: Kind,
    set: fn(&mut AnswerLayer, &str, &str) -> Result<(), InvalidValue>,
    is_set: fn(&AnswerLayer) -> bool,
}

impl Question {
    /// Check `value` and store it in `layer`.
    pub fn set(&self, layer: &mut AnswerLayer, value: &str) -> Result<(), InvalidValue> {
        (self.set)(layer, self.key, value)
    }

    /// True when `layer` already holds this answer (the wizard asks only for the rest).
    pub fn is_set(&self, layer: &AnswerLayer) -> bool {
        (self.is_set)(layer)
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

/// Every question, in the order a wizard asks them.
pub const QUESTIONS: &[Question] = &[
    Question {
        key: "domain",
        flag: "--domain",
        kind: Kind::Text,
        set: |l, k, v| {
            l.domain = Some(validate::domain(k, v)?);
            Ok(())
        },
        is_set: |l| l.domain.is_some(),
    },
    Question {
        key: "hostname",
        flag: "--hostname",
        kind: Kind::Text,
        set: |l, k, v| {
            l.hostname = Some(validate::hostname(k, v)?);
            Ok(())
        },
        is_set: |l| l.hostname.is_some(),
    },
    Question {
        key: "ipv4",
        flag: "--ipv4",
        kind: Kind::Text,
        set: |l, k, v| {
            l.ipv4 = Some(validate::public_ipv4(k, v)?.to_string());
            Ok(())
        },
        is_set: |l| l.ipv4.is_some(),
    },
    Question {
        key: "ipv6",
        flag: "--ipv6",
        kind: Kind::Text,
        set: |l, k, v| {
            l.ipv6 = Some(validate::public_ipv6(k, v)?.to_string());
            Ok(())
        },
        is_set: |l| l.ipv6.is_some(),
    },
    Question {
        key: "receives_mail",
        flag: "--receives-mail",
        kind: Kind::Bool,
        set: |l, k, v| {
            l.receives_mail = Some(parse_bool(k, v)?);
            Ok(())
        },
        is_set: |l| l.receives_mail.is_some(),
    },
    Question {
        key: "outbound",
        flag: "--outbound",
        kind: Kind::Choice(&["direct", "smarthost"]),
        set: |l, k, v| {
            l.outbound = Some(word(k, v)?);
            Ok(())
        },
        is_set: |l| l.outbound.is_some(),
    },
    Question {
        key: "smarthost.provider",
        flag: "--smarthost-provider",
        kind: Kind::Text,
        set: |l, k, v| {
            smarthost(l).provider = Some(validate::token(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.provider.is_some()),
    },
    Question {
        key: "smarthost.host",
        flag: "--smarthost-host",
        kind: Kind::Text,
        set: |l, k, v| {
            smarthost(l).host = Some(validate::hostname(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.host.is_some()),
    },
    Question {
        key: "smarthost.port",
        flag: "--smarthost-port",
        kind: Kind::Number,
        set: |l, k, v| {
            smarthost(l).port = Some(u32::from(validate::port_text(k, v)?));
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.port.is_some()),
    },
    Question {
        key: "smarthost.username",
        flag: "--smarthost-username",
        kind: Kind::Text,
        set: |l, k, v| {
            smarthost(l).username = Some(validate::sasl_username(k, v)?);
            Ok(())
        },
        is_set: |l| l.smarthost.as_ref().is_some_and(|s| s.username.is_some()),
    },
    Question {
        key: "smarthost.password_file",
        flag: "--smarthost-password-file",
        kind: Kind::Path,
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
        kind: Kind::List,
        set: |l, _, v| {
            smarthost(l).destinations = Some(list(v));
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
        kind: Kind::Text,
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
        kind: Kind::Text,
        set: |l, k, v| {
            dkim(l).selector = Some(validate::selector(k, v)?);
            Ok(())
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.selector.is_some()),
    },
    Question {
        key: "dkim.algorithms",
        flag: "--dkim-algorithms",
        kind: Kind::List,
        set: |l, k, v| {
            let algorithms = list(v)
                .iter()
                .map(|a| word(k, a))
                .collect::<Result<Vec<_>, _>>()?;
            {
                dkim(l).algorithms = Some(algorithms);
                Ok(())
            }
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.algorithms.is_some()),
    },
    Question {
        key: "dkim.rsa_bits",
        flag: "--dkim-rsa-bits",
        kind: Kind::Choice(&["2048", "3072", "4096"]),
        set: |l, k, v| {
            let bits = v
                .trim()
                .parse::<u32>()
                .map_err(|_| InvalidValue::new(k, format!("{v:?} is not a number of bits")))?;
            {
                dkim(l).rsa_bits = Some(bits);
                Ok(())
            }
        },
        is_set: |l| l.dkim.as_ref().is_some_and(|d| d.rsa_bits.is_some()),
    },
    Question {
        key: "dmarc.policy",
        flag: "--dmarc-policy",
        kind: Kind::Choice(&["none", "quarantine", "reject"]),
        set: |l, k, v| {
            dmarc(l).policy = Some(word(k, v)?);
            Ok(())
        },
        is_set: |l| l.dmarc.as_ref().is_some_and(|d| d.policy.is_some()),
    },
    Question {
        key: "dmarc.rua",
        flag: "--dmarc-rua",
        kind: Kind::Text,
        set: |l, k, v| {
            dmarc(l).rua = Some(optional_report_address(k, v)?);
            Ok(())
        },
        is_set: |l| l.dmarc.as_ref().is_some_and(|d| d.rua.is_some()),
    },
    Question {
        key: "mta_sts.mode",
        flag: "--mta-sts-mode",
        kind: Kind::Choice(&["none", "testing", "enforce"]),
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
        kind: Kind::Text,
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
