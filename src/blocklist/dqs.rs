//! The Spamhaus Data Query Service key: part of every DQS query name, and a credential.
//!
//! The key is never printed: its `Debug` hides it, it has no `Display`, and every string that
//! may contain it (query names, error details, the query log) goes through [`DqsKey::redact`].

use std::fmt;

/// What stands in for the key wherever a query name is shown.
pub const REDACTED: &str = "<dqs-key>";

#[derive(Clone, PartialEq, Eq)]
pub struct DqsKey(String);

/// The value given is not a DQS key. The message never contains the value.
#[derive(Debug, thiserror::Error)]
#[error(
    "--dqs-key (or MXDOCTOR_DQS_KEY) is not a Spamhaus DQS key: expected one word of letters \
     and digits (26 characters in keys issued today), as shown in your Spamhaus account"
)]
pub struct InvalidDqsKey;

impl DqsKey {
    /// One DNS label of ASCII letters and digits, lower-cased. Anything else could change the
    /// query name (a dot would add a label), so it is refused.
    pub fn parse(input: &str) -> Result<Self, InvalidDqsKey> {
        let key = input.trim();
        if key.is_empty() || key.len() > 63 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(InvalidDqsKey);
        }
        Ok(DqsKey(key.to_ascii_lowercase()))
    }

    /// The zone to ask: `<key>.<dqs zone>`.
    pub fn zone(&self, dqs_zone: &str) -> String {
        format!("{}.{}", self.0, dqs_zone.trim_end_matches('.'))
    }

    /// `text` with every occurrence of the key replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        // DNS names are case-insensitive and may come back upper-cased.
        let lower = text.to_ascii_lowercase();
        if !lower.contains(&self.0) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = 0;
        while let Some(at) = lower[rest..].find(&self.0) {
            out.push_str(&text[rest..rest + at]);
            out.push_str(REDACTED);
            rest += at + self.0.len();
        }
        out.push_str(&text[rest..]);
        out
    }
}

impl fmt::Debug for DqsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DqsKey(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_label_and_never_shown() {
        let key = DqsKey::parse(" AbCdEfGhIjKlMnOpQrStUvWxYz ").unwrap();
        assert_eq!(
            key.zone("zen.dq.spamhaus.net"),
            "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net"
        );
        assert_eq!(format!("{key:?}"), "DqsKey(<hidden>)");
        assert_eq!(
            key.redact("2.0.0.127.ABCDEFGHIJKLMNOPQRSTUVWXYZ.zen.dq.spamhaus.net."),
            "2.0.0.127.<dqs-key>.zen.dq.spamhaus.net."
        );
        assert_eq!(key.redact("nothing here"), "nothing here");
        for bad in ["", "a.b", "key with space", "k\ney", "ä", &"a".repeat(64)] {
            assert!(DqsKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!InvalidDqsKey.to_string().contains("with space"));
    }
}
