//! The local Postfix configuration, as `postconf` reports it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Whether and how the local Postfix configuration was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PostfixFacts {
    #[default]
    NotAsked,
    /// Not looked at on purpose (`--no-postfix`, or the loopback-only safety switch).
    Skipped {
        reason: String,
    },
    /// No `postconf` program, or Postfix was installed but never configured (no main.cf).
    NotInstalled {
        reason: String,
    },
    /// `postconf` ran but failed (permissions, a broken main.cf…).
    Unreadable {
        command: String,
        detail: String,
    },
    Read(PostfixConfig),
}

/// What `postconf -n`, `postconf -x NAME…`, `postconf -M` and `postconf -P` printed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostfixConfig {
    /// The directory given with `-c`, or None for the default one.
    #[serde(default)]
    pub config_directory: Option<String>,
    /// Parameters set explicitly in main.cf (`postconf -n`), unexpanded.
    pub explicit: BTreeMap<String, String>,
    /// Effective values, `$name` expanded (`postconf -x`), of the parameters the rules read.
    pub effective: BTreeMap<String, String>,
    /// master.cf services with their `-o` overrides.
    pub services: Vec<MasterService>,
    /// Warnings postconf printed (unknown parameters, duplicates…).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl PostfixConfig {
    /// The effective main.cf value of `name` ("" when unset or unknown).
    pub fn main(&self, name: &str) -> &str {
        self.effective
            .get(name)
            .or_else(|| self.explicit.get(name))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The value of `name` for one master.cf service: its `-o` override, `$name`
    /// references expanded, or else the main.cf value.
    pub fn for_service(&self, service: &MasterService, name: &str) -> String {
        match service.overrides.get(name) {
            Some(value) => self.expand(value, 0),
            None => self.main(name).to_string(),
        }
    }

    /// Expand `$name` and `${name}` the way Postfix does, for override values (postconf -P
    /// prints them unexpanded). Bounded: nesting deeper than 10 levels stays unexpanded.
    pub fn expand(&self, value: &str, depth: u8) -> String {
        if depth > 10 || !value.contains('$') {
            return value.to_string();
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
                match inner.find('}') {
                    Some(end) => (&inner[..end], end + 2),
                    None => ("", 0),
                }
            } else if let Some(inner) = after.strip_prefix('(') {
                match inner.find(')') {
                    Some(end) => (&inner[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            };
            if name.is_empty() || consumed == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            let known = self.effective.get(name).or_else(|| self.explicit.get(name));
            match known {
                Some(v) => out.push_str(&self.expand(v, depth + 1)),
                None => {
                    out.push('$');
                    out.push_str(&after[..consumed]);
                }
            }
            rest = &after[consumed..];
        }
        out.push_str(rest);
        out
    }
}

/// One master.cf service line (`postconf -M`) and its overrides (`postconf -P`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterService {
    /// "smtp", "submission", "127.0.0.1:2525", "[::1]:25"…
    pub name: String,
    /// "inet", "unix", "fifo", "pass", "unix-dgram".
    #[serde(rename = "type")]
    pub kind: String,
    /// The daemon: "smtpd", "smtp", "qmgr"…
    pub command: String,
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
}

impl MasterService {
    /// An SMTP server listening on the network.
    pub fn is_inet_smtpd(&self) -> bool {
        self.kind == "inet" && self.command == "smtpd"
    }

    /// The port part of the service name ("smtp" → "smtp", "127.0.0.1:2525" → "2525").
    pub fn port(&self) -> &str {
        self.name.rsplit_once(':').map_or(&self.name, |(_, p)| p)
    }

    /// The address part of the service name, when it has one.
    pub fn host(&self) -> Option<&str> {
        self.name
            .rsplit_once(':')
            .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
    }

    /// Mail submission by users (port 587 "submission", port 465 "submissions"/"smtps").
    pub fn is_submission(&self) -> bool {
        matches!(
            self.port(),
            "submission" | "submissions" | "smtps" | "587" | "465"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_postfix_syntax_and_is_bounded() {
        let mut config = PostfixConfig::default();
        config.explicit.insert(
            "mua_relay".into(),
            "permit_sasl_authenticated, reject".into(),
        );
        config
            .effective
            .insert("myhostname".into(), "mail.example.org".into());
        config.effective.insert("loop".into(), "$loop".into());
        assert_eq!(
            config.expand("$mua_relay", 0),
            "permit_sasl_authenticated, reject"
        );
        assert_eq!(config.expand("${myhostname}x", 0), "mail.example.orgx");
        assert_eq!(config.expand("$(myhostname)", 0), "mail.example.org");
        assert_eq!(config.expand("$unknown, a", 0), "$unknown, a");
        assert_eq!(config.expand("a$", 0), "a$");
        assert_eq!(config.expand("$loop", 0), "$loop");
    }

    #[test]
    fn service_names() {
        let s = |name: &str| MasterService {
            name: name.into(),
            kind: "inet".into(),
            command: "smtpd".into(),
            overrides: BTreeMap::new(),
        };
        assert!(s("submission").is_submission());
        assert!(s("127.0.0.1:587").is_submission());
        assert!(!s("smtp").is_submission());
        assert_eq!(s("[::1]:25").host(), Some("::1"));
        assert_eq!(s("smtp").host(), None);
        assert_eq!(s("127.0.0.1:2525").port(), "2525");
    }
}
