//! DKIM key records (`<selector>._domainkey.<domain>` TXT, RFC 6376 §3.6.1), and the public
//! key inside them: RSA (RFC 8301) or Ed25519 (RFC 8463).
//!
//! ```text
//! key-record = [ "v=DKIM1" ";" ] *( tag ";" )     ; v=, when present, must come first
//! tags: h= (hash list) k= (rsa / ed25519) n= (notes) p= (base64 key, empty = revoked)
//!       s= (service list: * / email) t= (flags: y testing, s strict)
//! ```
//! Unknown tags are ignored by verifiers (RFC 6376 §3.6.1), so they are listed, not flagged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use rsa::pkcs1::RsaPublicKeyRef;
use rsa::pkcs1::der::Decode as _;
use rsa::pkcs8::ObjectIdentifier;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use serde::Serialize;

use super::tags::{self, Problem};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// RSA keys shorter than this are not valid for any verifier (RFC 8301 §3.2).
pub const RSA_MIN_BITS: usize = 1024;
/// RSA keys shorter than this are accepted but weak (RFC 8301 §3.2: signers SHOULD use 2048).
pub const RSA_RECOMMENDED_BITS: usize = 2048;

/// How an RSA key is encoded in p=.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RsaEncoding {
    /// SubjectPublicKeyInfo (`MIIBIjANBgkq…`), what opendkim and rspamd publish.
    SubjectPublicKeyInfo,
    /// A bare PKCS#1 RSAPublicKey (`MIIBCgKCAQEA…`), which some tools publish.
    Pkcs1,
}

/// The public key a record publishes, as far as it could be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Key {
    /// `p=` is empty: the key was withdrawn.
    Revoked,
    Rsa {
        bits: usize,
        encoding: RsaEncoding,
    },
    Ed25519,
    /// No usable key; a fatal problem says why.
    Unusable,
}

/// What a DKIM key record says and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub key: Key,
    /// `t=y`: the domain is testing DKIM; verifiers treat its signatures as absent.
    pub testing: bool,
    /// `t=s`: the i= domain of signatures must equal d= exactly.
    pub strict: bool,
    /// Tags verifiers ignore (n= and unknown ones).
    pub ignored_tags: Vec<String>,
    pub problems: Vec<Problem>,
}

/// True when a TXT record is meant as a DKIM key: it starts with `v=DKIM1` or has a `p=` tag.
/// Used to tell keys from unrelated TXT records (wildcards) when guessing selectors.
pub fn looks_like_key(txt: &str) -> bool {
    let list = tags::parse(txt);
    txt.trim_start().starts_with("v=DKIM1") || list.get("p").is_some()
}

/// Read and lint one DKIM key record.
pub fn check(txt: &str) -> KeyRecord {
    let list = tags::parse(txt);
    let mut problems = list.problems();
    let mut ignored_tags = Vec::new();
    let mut testing = false;
    let mut strict = false;
    let mut key_type = KeyType::Rsa;

    for (index, tag) in list.tags.iter().enumerate() {
        match tag.name {
            "v" => {
                if index != 0 {
                    problems.push(Problem::fatal(
                        "version-not-first",
                        format!(
                            "v= must be the first tag (found at position {})",
                            tag.position
                        ),
                    ));
                }
                if tag.value != "DKIM1" {
                    problems.push(Problem::fatal(
                        "bad-version",
                        format!("v={} is not v=DKIM1", tags::clip(tag.value)),
                    ));
                }
            }
            "k" => match tag.value {
                "rsa" => key_type = KeyType::Rsa,
                "ed25519" => key_type = KeyType::Ed25519,
                other => {
                    key_type = KeyType::Unknown;
                    problems.push(Problem::fatal(
                        "unknown-key-type",
                        format!(
                            "k={} is not a key type verifiers know (rsa or ed25519)",
                            tags::clip(other)
                        ),
                    ));
                }
            },
            "h" => check_hashes(tag.value, &mut problems),
            "s" => {
                let services = colon_list(tag.value);
                if !services.iter().any(|s| *s == "*" || *s == "email") {
                    problems.push(Problem::fatal(
                        "not-for-email",
                        format!(
                            "s={} does not include email or *: the key may not be used for mail",
                            tags::clip(tag.value)
                        ),
                    ));
                }
            }
            "t" => {
                for flag in colon_list(tag.value) {
                    match flag {
                        "y" => testing = true,
                        "s" => strict = true,
                        _ => {}
                    }
                }
            }
            "p" => {}
            other => ignored_tags.push(other.to_string()),
        }
    }

    let key = match list.get("p") {
        None => {
            problems.push(Problem::fatal(
                "no-key",
                "the record has no p= tag (the public key)",
            ));
            Key::Unusable
        }
        Some(p) => read_key(p.value, key_type, &mut problems),
    };
    tags::cap(&mut problems);
    KeyRecord {
        key,
        testing,
        strict,
        ignored_tags,
        problems,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    Ed25519,
    Unknown,
}

fn colon_list(value: &str) -> Vec<&str> {
    value
        .split(':')
        .map(|s| s.trim_matches(tags::is_wsp))
        .filter(|s| !s.is_empty())
        .collect()
}

/// h= lists the hashes the key may be used with; unknown names are ignored (RFC 6376), and
/// SHA-1 is no longer accepted (RFC 8301 §3.1).
fn check_hashes(value: &str, problems: &mut Vec<Problem>) {
    let hashes = colon_list(value);
    if hashes.contains(&"sha256") {
        return;
    }
    let message = if hashes.contains(&"sha1") {
        format!("h={value} allows only SHA-1, which verifiers no longer accept (RFC 8301)")
    } else {
        format!(
            "h={} names no hash verifiers know (sha256)",
            tags::clip(value)
        )
    };
    problems.push(Problem::fatal("no-usable-hash", message));
}

fn read_key(value: &str, key_type: KeyType, problems: &mut Vec<Problem>) -> Key {
    let compact: String = value.chars().filter(|c| !tags::is_wsp(*c)).collect();
    if compact.is_empty() {
        return Key::Revoked;
    }
    let der = match STANDARD_PAD_INDIFFERENT.decode(compact.as_bytes()) {
        Ok(der) => der,
        Err(e) => {
            problems.push(Problem::fatal(
                "bad-base64",
                format!("p= is not valid base64: {e}"),
            ));
            return Key::Unusable;
        }
    };
    match key_type {
        KeyType::Unknown => Key::Unusable,
        KeyType::Rsa => match rsa_key(&der) {
            Ok(key) => key,
            Err(problem) => {
                problems.push(problem);
                Key::Unusable
            }
        },
        KeyType::Ed25519 => {
            if der.len() == 32 {
                Key::Ed25519
            } else {
                let message = if spki_algorithm(&der) == Some(ED25519) {
                    "p= holds the Ed25519 key wrapped in SubjectPublicKeyInfo; publish only the bare 32-byte key (RFC 8463)".to_string()
                } else if spki_algorithm(&der) == Some(RSA_ENCRYPTION) {
                    "k=ed25519 but p= holds an RSA key".to_string()
                } else {
                    format!("an Ed25519 key is 32 bytes; p= holds {} bytes", der.len())
                };
                problems.push(Problem::fatal("bad-key", message));
                Key::Unusable
            }
        }
    }
}

fn spki_algorithm(der: &[u8]) -> Option<ObjectIdentifier> {
    SubjectPublicKeyInfoRef::from_der(der)
        .ok()
        .map(|spki| spki.algorithm.oid)
}

/// An RSA key in SubjectPublicKeyInfo or bare PKCS#1 form, measured without judging its size
/// (the rsa crate refuses keys below 1024 bits, which are exactly the ones to report).
fn rsa_key(der: &[u8]) -> Result<Key, Problem> {
    let (pkcs1, encoding) = match SubjectPublicKeyInfoRef::from_der(der) {
        Ok(spki) if spki.algorithm.oid == RSA_ENCRYPTION => {
            let Some(bytes) = spki.subject_public_key.as_bytes() else {
                return Err(Problem::fatal("bad-key", "the RSA key in p= is malformed"));
            };
            (bytes, RsaEncoding::SubjectPublicKeyInfo)
        }
        Ok(spki) if spki.algorithm.oid == ED25519 => {
            return Err(Problem::fatal(
                "bad-key",
                "p= holds an Ed25519 key but the record says k=rsa (add k=ed25519)",
            ));
        }
        Ok(spki) => {
            return Err(Problem::fatal(
                "bad-key",
                format!(
                    "p= holds a key of algorithm {} (expected RSA)",
                    spki.algorithm.oid
                ),
            ));
        }
        Err(_) => (der, RsaEncoding::Pkcs1),
    };
    let key = RsaPublicKeyRef::from_der(pkcs1).map_err(|_| {
        Problem::fatal(
            "bad-key",
            "p= does not hold an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1)",
        )
    })?;
    let bits = bit_length(key.modulus.as_bytes());
    if bits == 0 {
        return Err(Problem::fatal("bad-key", "the RSA modulus in p= is zero"));
    }
    Ok(Key::Rsa { bits, encoding })
}

/// Bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    (bytes.len() - 1) * 8 + (8 - bytes[0].leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2048-bit SPKI key of the good.test fixture.
    const RSA_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtTNjfA8ze185VsI+RSi87uEf593Cp7sPCU2Hgs1tXB/udWbd75u6z8nxB7OT+jyP9kFY/O25q8f2lDtlYHxKczUkC0zBUKDpMeq1kj7zW22DQxwXRUkR3vCEwVlRMm3ulznr1EVThpvP+OUlab+NwWqqvwutG2+al9r+uA23H2xzZ+tfNmjgJYCy9XluEEmrTj3YlVpybbhr6kVYW/IOaQMlZvl2zpvBDv2xPA6gcmrZXHXJx0v2CoBUnwAH35Ym+1mcQ8K5VsU3jZFIJtRBUCmzMS400nPBszL0Z7TAGOOlHRjpGh73DzC485XU9F2PYcDH3ER9lyGkcYZnX96tlwIDAQAB";
    /// 512-bit SPKI key (openssl genrsa 512).
    const RSA_512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANekrqa576NCS59e4hO0RhCDm+Q0oy0DT5L9uFjfezhtbKTGzqmjBiNCB7AkIo9rPPXkSrAjFWV88HHyqyob0nUCAwEAAQ==";
    /// The same 512-bit key as bare PKCS#1.
    const RSA_512_PKCS1: &str = "MEgCQQDXpK6mue+jQkufXuITtEYQg5vkNKMtA0+S/bhY33s4bWykxs6powYjQgewJCKPazz15EqwIxVlfPBx8qsqG9J1AgMBAAE=";
    /// An Ed25519 key in SubjectPublicKeyInfo form (the mistake) and bare.
    const ED25519_SPKI: &str = "MCowBQYDK2VwAyEAqZxwsJk9wBYCjVL27chT1n1LNG5pY+dMNchJj2GGfhE=";
    const ED25519_RAW: &str = "qZxwsJk9wBYCjVL27chT1n1LNG5pY+dMNchJj2GGfhE=";

    fn codes(record: &KeyRecord) -> Vec<&str> {
        record.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn table() {
        let rsa2048 = Key::Rsa {
            bits: 2048,
            encoding: RsaEncoding::SubjectPublicKeyInfo,
        };
        let cases: Vec<(&str, String, Key, Vec<&str>)> = vec![
            (
                "good",
                format!("v=DKIM1; k=rsa; p={RSA_2048}"),
                rsa2048.clone(),
                vec![],
            ),
            (
                "no v, no k",
                format!("p={RSA_2048}"),
                rsa2048.clone(),
                vec![],
            ),
            (
                "key split by white space",
                format!("v=DKIM1; p={} {}", &RSA_2048[..100], &RSA_2048[100..]),
                rsa2048.clone(),
                vec![],
            ),
            (
                "512 bits",
                format!("v=DKIM1; p={RSA_512}"),
                Key::Rsa {
                    bits: 512,
                    encoding: RsaEncoding::SubjectPublicKeyInfo,
                },
                vec![],
            ),
            (
                "PKCS#1",
                format!("v=DKIM1; k=rsa; p={RSA_512_PKCS1}"),
                Key::Rsa {
                    bits: 512,
                    encoding: RsaEncoding::Pkcs1,
                },
                vec![],
            ),
            ("revoked", "v=DKIM1; k=rsa; p=".into(), Key::Revoked, vec![]),
            (
                "ed25519",
                format!("v=DKIM1; k=ed25519; p={ED25519_RAW}"),
                Key::Ed25519,
                vec![],
            ),
            (
                "ed25519 as SPKI",
                format!("v=DKIM1; k=ed25519; p={ED25519_SPKI}"),
                Key::Unusable,
                vec!["bad-key"],
            ),
            (
                "ed25519 key without k=",
                format!("v=DKIM1; p={ED25519_SPKI}"),
                Key::Unusable,
                vec!["bad-key"],
            ),
            (
                "no p",
                "v=DKIM1; k=rsa".into(),
                Key::Unusable,
                vec!["no-key"],
            ),
            (
                "bad base64",
                "v=DKIM1; p=MIIB*IjAN".into(),
                Key::Unusable,
                vec!["bad-base64"],
            ),
            (
                "truncated key",
                format!("v=DKIM1; p={}", &RSA_2048[..200]),
                Key::Unusable,
                vec!["bad-key"],
            ),
            (
                "v not first",
                format!("k=rsa; v=DKIM1; p={RSA_2048}"),
                rsa2048.clone(),
                vec!["version-not-first"],
            ),
            (
                "bad version",
                format!("v=DKIM2; p={RSA_2048}"),
                rsa2048.clone(),
                vec!["bad-version"],
            ),
            (
                "unknown k",
                format!("k=dsa; p={RSA_2048}"),
                Key::Unusable,
                vec!["unknown-key-type"],
            ),
            (
                "sha1 only",
                format!("h=sha1; p={RSA_2048}"),
                rsa2048.clone(),
                vec!["no-usable-hash"],
            ),
            (
                "sha1 and sha256",
                format!("h=sha1:sha256; p={RSA_2048}"),
                rsa2048.clone(),
                vec![],
            ),
            (
                "service not email",
                format!("s=tlsrpt; p={RSA_2048}"),
                rsa2048.clone(),
                vec!["not-for-email"],
            ),
            (
                "service any",
                format!("s=*; p={RSA_2048}"),
                rsa2048.clone(),
                vec![],
            ),
            (
                "duplicate p",
                format!("p={RSA_2048}; p="),
                rsa2048.clone(),
                vec!["duplicate-tag"],
            ),
        ];
        for (name, txt, key, want) in cases {
            let record = check(&txt);
            assert_eq!(record.key, key, "{name}");
            assert_eq!(codes(&record), want, "{name}: {:?}", record.problems);
        }
    }

    #[test]
    fn flags_and_ignored_tags() {
        let record = check(&format!("v=DKIM1; t=y:s:x; n=hello; g=*; p={RSA_2048}"));
        assert!(record.testing && record.strict);
        assert_eq!(record.ignored_tags, vec!["n", "g"]);
        assert!(record.problems.is_empty());
    }

    #[test]
    fn recognises_key_records() {
        assert!(looks_like_key("v=DKIM1; p="));
        assert!(looks_like_key("k=rsa; p=MIIB"));
        assert!(!looks_like_key("v=spf1 -all"));
        assert!(!looks_like_key("google-site-verification=abc"));
    }

    #[test]
    fn never_panics_on_garbage() {
        for txt in [
            "",
            ";",
            "=",
            "p",
            "p==",
            "v=DKIM1; p=AAAA",
            "p=////",
            "\u{0}p=\u{7f}",
        ] {
            let _ = check(txt);
        }
        assert_eq!(bit_length(&[0, 0, 1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[]), 0);
    }
}
