//! DKIM key generation and reading back.
//!
//! RSA keys come from the `rsa` crate (ring cannot generate RSA keys), Ed25519 keys from
//! `ed25519-dalek`. Private keys are PKCS#8 PEM, the form OpenDKIM, rspamd and OpenSSL read.
//! The DNS `p=` value is base64 of the SubjectPublicKeyInfo DER for RSA (RFC 6376 §3.6.1)
//! and of the raw 32-byte public key for Ed25519 (RFC 8463 §4.2).
//!
//! A private key never leaves this module except as the PEM text meant for a 0600 file:
//! [`DkimKey`]'s `Debug` output leaves it out.

pub mod files;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::pkcs8::{EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;

use crate::answers::Algorithm;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate a {bits}-bit RSA key: {message}")]
    Rsa { bits: u32, message: String },
    #[error("cannot encode the key: {0}")]
    Encode(String),
    #[error("{origin} is not a {algorithm} private key in PEM form")]
    Decode {
        origin: String,
        algorithm: Algorithm,
    },
}

/// A DKIM key pair for one selector.
pub struct DkimKey {
    pub algorithm: Algorithm,
    /// Key size in bits (256 for Ed25519).
    pub bits: u32,
    private_pem: String,
    /// Base64 of the public key, the DNS `p=` value.
    pub public_b64: String,
}

impl fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimKey")
            .field("algorithm", &self.algorithm)
            .field("bits", &self.bits)
            .field("public_b64", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    /// A new key. `rsa_bits` is used for RSA only; pass it explicitly (the rsa crate's own
    /// default is 3072, which some DNS forms cannot hold).
    pub fn generate(algorithm: Algorithm, rsa_bits: u32) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::Rsa => {
                let key =
                    rsa::PrivateKey::new(&mut rand::rng(), rsa_bits as usize).map_err(|e| {
                        KeyError::Rsa {
                            bits: rsa_bits,
                            message: e.to_string(),
                        }
                    })?;
                Self::from_rsa(&key)
            }
            Algorithm::Ed25519 => {
                let key = ed25519_dalek::SigningKey::generate(&mut rand::rng());
                Self::from_ed25519(&key)
            }
        }
    }

    /// Read back a private key written earlier (to keep a published key on a re-run).
    pub fn from_private_pem(
        algorithm: Algorithm,
        origin: &str,
        pem: &str,
    ) -> Result<Self, KeyError> {
        let bad = || KeyError::Decode {
            origin: origin.to_string(),
            algorithm,
        };
        match algorithm {
            Algorithm::Rsa => {
                use rsa::pkcs1::DecodeRsaPrivateKey as _;
                use rsa::pkcs8::DecodePrivateKey as _;
                let key = rsa::PrivateKey::from_pkcs8_pem(pem)
                    .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(pem))
                    .map_err(|_| bad())?;
                Self::from_rsa(&key)
            }
            Algorithm::Ed25519 => {
                let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|_| bad())?;
                Self::from_ed25519(&key)
            }
        }
    }

    fn from_rsa(key: &rsa::PrivateKey) -> Result<Self, KeyError> {
        use rsa::pkcs8::EncodePrivateKey as _;
        let public = key.to_public_key();
        let der = public
            .to_public_key_der()
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(DkimKey {
            algorithm: Algorithm::Rsa,
            bits: (public.size() * 8) as u32,
            private_pem: pem.to_string(),
            public_b64: BASE64.encode(der.as_bytes()),
        })
    }

    fn from_ed25519(key: &ed25519_dalek::SigningKey) -> Result<Self, KeyError> {
        // PKCS#8 v1 (no embedded public key): OpenSSL 3.0, which OpenDKIM uses on Debian 12,
        // refuses the v2 form with "wrong tag".
        let pem = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: key.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(DkimKey {
            algorithm: Algorithm::Ed25519,
            bits: 256,
            private_pem: pem.to_string(),
            public_b64: BASE64.encode(key.verifying_key().as_bytes()),
        })
    }

    /// The PEM text for the private key file (write it with mode 0600, never print it).
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The TXT value published at `<selector>._domainkey.<domain>`.
    pub fn dns_value(&self) -> String {
        let k = match self.algorithm {
            Algorithm::Rsa => "rsa",
            Algorithm::Ed25519 => "ed25519",
        };
        format!("v=DKIM1; k={k}; p={}", self.public_b64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_key_is_2048_bits_spki_and_reads_back() {
        let key = DkimKey::generate(Algorithm::Rsa, 2048).unwrap();
        assert_eq!(key.bits, 2048);
        // SPKI DER of an RSA-2048 key: 294 bytes, 392 base64 characters, "MIIBIjAN…".
        assert_eq!(key.public_b64.len(), 392);
        assert!(key.public_b64.starts_with("MIIBIjAN"));
        assert!(
            key.private_pem()
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        let again = DkimKey::from_private_pem(Algorithm::Rsa, "test", key.private_pem()).unwrap();
        assert_eq!(again.public_b64, key.public_b64);
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn ed25519_key_is_raw_32_bytes_and_reads_back() {
        let key = DkimKey::generate(Algorithm::Ed25519, 2048).unwrap();
        assert_eq!(BASE64.decode(&key.public_b64).unwrap().len(), 32);
        assert!(key.dns_value().starts_with("v=DKIM1; k=ed25519; p="));
        let again =
            DkimKey::from_private_pem(Algorithm::Ed25519, "test", key.private_pem()).unwrap();
        assert_eq!(again.public_b64, key.public_b64);
        assert!(DkimKey::from_private_pem(Algorithm::Rsa, "test", key.private_pem()).is_err());
    }
}
