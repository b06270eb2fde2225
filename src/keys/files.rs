//! The files that install DKIM keys: private keys (0600), OpenDKIM tables and settings, and
//! the Postfix milter lines. Shared by `dkim keygen` and `generate`.

use serde::Serialize;

use crate::answers::Algorithm;
use crate::output::{Mode, OutputFile};
use crate::render::{RenderError, Renderer};

use super::DkimKey;

/// Where OpenDKIM listens and Postfix connects (TCP on loopback works for chrooted and
/// non-chrooted Postfix alike).
pub const OPENDKIM_SOCKET: &str = "inet:8891@127.0.0.1";
pub const POSTFIX_MILTER: &str = "inet:127.0.0.1:8891";

/// A key with the selector it is published under.
pub struct SelectorKey {
    pub selector: String,
    pub key: DkimKey,
    /// True when the private key was already in the output directory and is kept as it is.
    pub kept: bool,
}

impl SelectorKey {
    /// File name of the private key, e.g. `mail.private`.
    pub fn file_name(&self) -> String {
        format!("{}.private", self.selector)
    }
}

/// Public facts about one key, for templates (never the private key).
#[derive(Clone, Debug, Serialize)]
pub struct KeyView {
    pub selector: String,
    pub algorithm: Algorithm,
    pub bits: u32,
    pub file: String,
    pub record_name: String,
    /// Record name relative to the domain, e.g. `mail._domainkey`.
    pub record_label: String,
    pub record_value: String,
    pub kept: bool,
}

#[derive(Serialize)]
struct Context<'a> {
    version: &'static str,
    domain: &'a str,
    hostname: Option<&'a str>,
    key_dir: String,
    keys: Vec<KeyView>,
    multiple: bool,
    socket: &'static str,
    milter: &'static str,
    ttl: u32,
}

pub fn views(domain: &str, keys: &[SelectorKey]) -> Vec<KeyView> {
    keys.iter()
        .map(|k| KeyView {
            selector: k.selector.clone(),
            algorithm: k.key.algorithm,
            bits: k.key.bits,
            file: k.file_name(),
            record_name: format!("{}._domainkey.{domain}", k.selector),
            record_label: format!("{}._domainkey", k.selector),
            record_value: k.key.dns_value(),
            kept: k.kept,
        })
        .collect()
}

/// Every DKIM file under `prefix` ("dkim/" in `generate`, "" for `dkim keygen`). Kept keys
/// are not written again. `with_record` adds `<selector>.txt`-style `dns.txt` with the TXT
/// records (keygen has no zone file of its own).
pub fn files(
    renderer: &Renderer,
    domain: &str,
    hostname: Option<&str>,
    keys: &[SelectorKey],
    prefix: &str,
    with_record: bool,
) -> Result<Vec<OutputFile>, RenderError> {
    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        domain,
        hostname,
        key_dir: format!("/etc/opendkim/keys/{domain}"),
        keys: views(domain, keys),
        multiple: keys.len() > 1,
        socket: OPENDKIM_SOCKET,
        milter: POSTFIX_MILTER,
        ttl: crate::generate::records::TTL,
    };
    let mut out = Vec::new();
    for k in keys.iter().filter(|k| !k.kept) {
        out.push(OutputFile::new(
            format!("{prefix}{}", k.file_name()),
            k.key.private_pem().as_bytes().to_vec(),
            Mode::Secret,
        ));
    }
    let mut templates = vec![
        ("KeyTable", "KeyTable"),
        ("SigningTable", "SigningTable"),
        ("TrustedHosts", "TrustedHosts"),
        ("opendkim.conf", "opendkim.conf.snippet"),
        ("postfix-milter.cf", "postfix-milter.cf.snippet"),
    ];
    if with_record {
        templates.push(("record.txt", "dns.txt"));
    }
    for (template, file) in templates {
        out.push(OutputFile::new(
            format!("{prefix}{file}"),
            renderer.render(&format!("dkim/{template}"), &context)?,
            Mode::Public,
        ));
    }
    Ok(out)
}
