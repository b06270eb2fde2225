//! TLS for the probe: which roots are trusted, and a handshake that always completes so
//! that a bad certificate can be described instead of only refused.
//!
//! Roots: the Mozilla set compiled into webpki-roots, plus `--ca-file`. Not the operating
//! system's store (rustls-platform-verifier): the question is whether *senders* (Gmail,
//! Microsoft, Postfix with MTA-STS) accept the certificate, and they use public CA sets, not
//! the private CAs an administrator may have added to this machine. It also makes the
//! verdict the same on every machine.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use x509_cert::der::Decode;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::facts::{CertificateInfo, CertificateProblem, CertificateVerdict};

/// The trust settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read CA certificates from {path}: {detail}")]
    CaFile { path: String, detail: String },
    #[error("{path} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)")]
    NoCertificate { path: String },
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// Trusted roots and the crypto provider, built once per run.
#[derive(Clone, Debug)]
pub struct TlsTrust {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl TlsTrust {
    /// The public roots, plus every certificate of `ca_file` (PEM).
    pub fn new(ca_file: Option<&Path>) -> Result<Self, TlsSetupError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            let shown = path.display().to_string();
            let bytes = crate::output::read_limited(path, 4 * 1024 * 1024).map_err(|e| {
                TlsSetupError::CaFile {
                    path: shown.clone(),
                    detail: e.to_string(),
                }
            })?;
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|e| TlsSetupError::CaFile {
                    path: shown.clone(),
                    detail: e.to_string(),
                })?;
                roots.add(cert).map_err(|e| TlsSetupError::CaFile {
                    path: shown.clone(),
                    detail: e.to_string(),
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(TlsSetupError::NoCertificate { path: shown });
            }
        }
        Ok(TlsTrust {
            roots: Arc::new(roots),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        })
    }

    /// A rustls client configuration that trusts these roots and verifies normally (for
    /// HTTPS fetches, where a bad certificate must stop the request).
    pub fn strict_config(&self) -> Result<ClientConfig, TlsSetupError> {
        ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Setup(e.to_string()))
            .map(|b| {
                b.with_root_certificates(self.roots.clone())
                    .with_no_client_auth()
            })
    }

    /// A configuration whose handshake completes whatever the certificate, with the real
    /// verdict kept in the returned [`Verdict`] for the report.
    pub fn probe_config(&self) -> Result<(ClientConfig, Verdict), TlsSetupError> {
        let inner =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
                .build()
                .map_err(|e| TlsSetupError::Setup(e.to_string()))?;
        let verdict = Verdict::default();
        let verifier = Arc::new(RecordingVerifier {
            inner,
            verdict: verdict.clone(),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok((config, verdict))
    }
}

/// Where the recording verifier leaves its verdict.
#[derive(Clone, Debug, Default)]
pub struct Verdict(Arc<Mutex<Option<CertificateVerdict>>>);

impl Verdict {
    fn set(&self, verdict: CertificateVerdict) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(verdict);
        }
    }

    /// The verdict, or "no certificate" when the server never showed one.
    pub fn get(&self) -> CertificateVerdict {
        self.0
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .unwrap_or(CertificateVerdict::Invalid {
                problem: CertificateProblem::NoCertificate,
                detail: "the server sent no certificate".into(),
            })
    }
}

/// Verifies like rustls's WebPKI verifier, records the result, and lets the handshake go
/// on: a probe must see the certificate to explain what is wrong with it. Handshake
/// signatures are still checked, so the session is really with the holder of that key.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Verdict,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        self.verdict.set(match result {
            Ok(_) => CertificateVerdict::Valid,
            Err(error) => {
                let mut problem = problem_of(&error);
                // A lone certificate that signed itself: say so rather than "unknown issuer"
                // (or webpki's "CA used as end entity" for self-signed CA certificates).
                if matches!(
                    problem,
                    CertificateProblem::UnknownIssuer | CertificateProblem::Other
                ) && intermediates.is_empty()
                    && describe_certificate(end_entity).is_some_and(|c| c.subject == c.issuer)
                {
                    problem = CertificateProblem::SelfSigned;
                }
                CertificateVerdict::Invalid {
                    problem,
                    detail: error.to_string(),
                }
            }
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The one place that names certificate errors.
fn problem_of(error: &rustls::Error) -> CertificateProblem {
    use CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(e) => match e {
            C::UnknownIssuer => CertificateProblem::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => CertificateProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => CertificateProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                CertificateProblem::NameMismatch
            }
            C::Revoked => CertificateProblem::Revoked,
            C::BadSignature => CertificateProblem::BadSignature,
            _ => CertificateProblem::Other,
        },
        _ => CertificateProblem::Other,
    }
}

/// Subject, issuer, validity and DNS names of a DER certificate; None if it does not parse.
pub fn describe_certificate(der: &[u8]) -> Option<CertificateInfo> {
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let tbs = cert.tbs_certificate();
    let validity = tbs.validity();
    let mut dns_names = Vec::new();
    if let Ok(Some((_, san))) = tbs.get_extension::<SubjectAltName>() {
        for name in san.0 {
            match name {
                GeneralName::DnsName(n) => dns_names.push(n.to_string()),
                GeneralName::IpAddress(bytes) => {
                    let b = bytes.as_bytes();
                    let ip: Option<std::net::IpAddr> = match b.len() {
                        4 => <[u8; 4]>::try_from(b).ok().map(Into::into),
                        16 => <[u8; 16]>::try_from(b).ok().map(Into::into),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        dns_names.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Some(CertificateInfo {
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        not_before: validity.not_before.to_unix_duration().as_secs() as i64,
        not_after: validity.not_after.to_unix_duration().as_secs() as i64,
        dns_names: dns_names.into_iter().take(100).collect(),
    })
}

/// "TLSv1.3" from rustls's `TLSv1_3`.
pub fn version_name(version: rustls::ProtocolVersion) -> String {
    format!("{version:?}").replace('_', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_described() {
        let mut params =
            rcgen::CertificateParams::new(vec!["mail.example.test".into(), "127.0.0.1".into()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mail.example.test");
        params.not_after = rcgen::date_time_ymd(2031, 1, 2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let info = describe_certificate(cert.der()).unwrap();
        assert_eq!(info.subject, "CN=mail.example.test");
        assert_eq!(info.issuer, "CN=mail.example.test");
        assert_eq!(info.dns_names, ["mail.example.test", "127.0.0.1"]);
        assert_eq!(info.not_after, 1_924_992_000 + 86_400);
        assert!(describe_certificate(b"not a certificate").is_none());
    }

    #[test]
    fn ca_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        assert!(matches!(
            TlsTrust::new(Some(&empty)),
            Err(TlsSetupError::NoCertificate { .. })
        ));
        assert!(matches!(
            TlsTrust::new(Some(&dir.path().join("missing.pem"))),
            Err(TlsSetupError::CaFile { .. })
        ));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.example.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, cert.pem()).unwrap();
        let trust = TlsTrust::new(Some(&good)).unwrap();
        assert_eq!(trust.roots.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
        assert_eq!(version_name(rustls::ProtocolVersion::TLSv1_3), "TLSv1.3");
    }
}
