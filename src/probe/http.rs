//! HTTPS fetches (the MTA-STS policy), with the rules RFC 8461 §3.3 sets: the certificate is
//! verified for the host, redirects are not followed, the body is capped, and every wait is
//! bounded. Names resolve through the run's [`DnsClient`], never through the system resolver,
//! so `--resolver` holds for HTTPS too.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;

use crate::facts::{FetchOutcome, FetchStage};

use super::TlsSettings;
use super::dns::DnsClient;

/// Largest CA file read for `--ca-file`.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// The time allowed for one HTTPS exchange when none is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// `--ca-file` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("--ca-file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("--ca-file {path}: larger than {MAX_CA_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("--ca-file {path}: no PEM certificate in it ({detail})")]
    NoCertificate { path: PathBuf, detail: String },
}

/// Read the certificates of a PEM file (for `--ca-file`).
pub fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, CaFileError> {
    let read_error = |error| CaFileError::Read {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut pem = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(read_error)?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(CaFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let no_certificate = |detail: String| CaFileError::NoCertificate {
        path: path.to_path_buf(),
        detail,
    };
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| no_certificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(no_certificate(
            "the file holds no BEGIN CERTIFICATE block".into(),
        ));
    }
    Ok(certs)
}

/// reqwest's name resolution, answered by the [`DnsClient`] of the run.
///
/// `port` is put into every address: reqwest keeps a non-zero port when the URL has none, which
/// is how `--https-port` reaches test servers; 0 means the scheme's port (443).
struct ViaDnsClient {
    dns: DnsClient,
    port: u16,
}

/// The host name has no address, or its address lookup failed.
#[derive(Debug, thiserror::Error)]
#[error("{host} has no address (A: {a}, AAAA: {aaaa})")]
struct NoAddress {
    host: String,
    a: String,
    aaaa: String,
    /// True when a lookup failed rather than answering "none".
    failed: bool,
}

impl Resolve for ViaDnsClient {
    fn resolve(&self, name: Name) -> Resolving {
        let dns = self.dns.clone();
        let port = self.port;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = dns.name_addresses(&host).await;
            let addresses = found.addresses();
            if addresses.is_empty() {
                let error = NoAddress {
                    failed: found.a.failure().is_some() || found.aaaa.failure().is_some(),
                    a: found.a.label(),
                    aaaa: found.aaaa.label(),
                    host,
                };
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(move |ip| SocketAddr::new(ip, port)),
            );
            Ok(addrs)
        })
    }
}

/// GET `url` over HTTPS and record the response (body only for 200, at most `max_body` bytes).
pub async fn fetch(dns: &DnsClient, tls: &TlsSettings, url: &str, max_body: usize) -> FetchOutcome {
    let client = match client(dns, tls) {
        Ok(client) => client,
        Err(detail) => {
            return FetchOutcome::Failed {
                stage: FetchStage::Setup,
                detail,
            };
        }
    };
    // One outer fence around the whole exchange, in case a peer trickles bytes.
    let limit = tls.timeout * 3;
    match tokio::time::timeout(limit, exchange(&client, url, max_body)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            let (stage, detail) = classify(&error);
            FetchOutcome::Failed { stage, detail }
        }
        Err(_) => FetchOutcome::Failed {
            stage: FetchStage::Timeout,
            detail: format!("no complete answer within {} ms", limit.as_millis()),
        },
    }
}

fn client(dns: &DnsClient, tls: &TlsSettings) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .https_only(true)
        .connect_timeout(tls.timeout)
        .read_timeout(tls.timeout)
        .timeout(tls.timeout * 2)
        .user_agent(concat!("mxdoctor/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(ViaDnsClient {
            dns: dns.clone(),
            port: tls.https_port.unwrap_or(0),
        });
    if let Some(path) = &tls.ca_file {
        let certs = read_ca_file(path).map_err(|e| e.to_string())?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {}", chain(&e)))
}

async fn exchange(
    client: &reqwest::Client,
    url: &str,
    max_body: usize,
) -> Result<FetchOutcome, reqwest::Error> {
    let mut response = client.get(url).send().await?;
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let location = header(reqwest::header::LOCATION);
    let mut body = None;
    let mut truncated = false;
    if status == 200 {
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            let room = max_body.saturating_sub(bytes.len());
            if chunk.len() > room {
                bytes.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        body = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(FetchOutcome::Response {
        status,
        content_type,
        location,
        body,
        truncated,
    })
}

/// Tell where a request failed, with the most precise cause in the error chain.
fn classify(error: &reqwest::Error) -> (FetchStage, String) {
    let causes = causes(error);
    for cause in &causes {
        if let Some(no_address) = cause.downcast_ref::<NoAddress>() {
            let stage = if no_address.failed {
                FetchStage::DnsFailed
            } else {
                FetchStage::Dns
            };
            return (stage, no_address.to_string());
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return (FetchStage::Tls, tls.to_string());
        }
    }
    for cause in &causes {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return (FetchStage::Connect, "connection refused".into());
                }
                std::io::ErrorKind::TimedOut => return (FetchStage::Timeout, io.to_string()),
                _ => {}
            }
        }
    }
    let stage = if error.is_timeout() {
        FetchStage::Timeout
    } else if error.is_connect() {
        FetchStage::Connect
    } else {
        FetchStage::Http
    };
    (stage, chain(error))
}

/// Every error in the chain of `error`, including those wrapped inside `io::Error`s (whose
/// `source()` skips the error they wrap), at most 32.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        if out.len() >= 32 {
            break;
        }
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_ca_file(&dir.path().join("nope.pem")).unwrap_err();
        assert!(matches!(missing, CaFileError::Read { .. }), "{missing}");

        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate\n").unwrap();
        let error = read_ca_file(&text).unwrap_err();
        assert!(
            matches!(error, CaFileError::NoCertificate { .. }),
            "{error}"
        );

        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'a'; MAX_CA_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            read_ca_file(&big),
            Err(CaFileError::TooLarge { .. })
        ));

        let cert =
            rcgen::generate_simple_self_signed(vec!["mta-sts.example.test".to_string()]).unwrap();
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, cert.cert.pem()).unwrap();
        assert_eq!(read_ca_file(&good).unwrap().len(), 1);
    }

    #[test]
    fn causes_look_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(inner);
        let found = causes(&outer);
        assert!(
            found
                .iter()
                .any(|e| e.downcast_ref::<rustls::Error>().is_some())
        );
    }
}
