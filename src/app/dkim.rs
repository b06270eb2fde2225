//! `mxdoctor dkim keygen`: a key pair per selector, written with the OpenDKIM and Postfix
//! settings that use it.

use anyhow::bail;
use serde::Serialize;

use crate::answers::{Algorithm, RSA_BITS, dkim_selectors, validate};
use crate::cli::{Format, KeyAlgorithm, KeygenArgs};
use crate::exit;
use crate::keys::DkimKey;
use crate::keys::files::{self, KeyView, SelectorKey};
use crate::output::{self, Mode};

use super::Context;

#[derive(Serialize)]
struct FileLine {
    path: String,
    secret: bool,
}

#[derive(Serialize)]
struct Summary {
    schema: &'static str,
    out: String,
    domain: String,
    multiple: bool,
    keys: Vec<KeyView>,
    files: Vec<FileLine>,
    /// The zone lines to publish (public keys only).
    record: String,
}

pub fn keygen(ctx: &Context, args: KeygenArgs) -> anyhow::Result<u8> {
    let domain = validate::domain("--domain", &args.domain)?;
    let selector = validate::selector("--selector", &args.selector)?;
    if !RSA_BITS.contains(&args.bits) {
        bail!("--bits: {} is not one of 2048, 3072, 4096", args.bits);
    }
    let algorithms = match args.algorithm {
        KeyAlgorithm::Rsa => vec![Algorithm::Rsa],
        KeyAlgorithm::Ed25519 => vec![Algorithm::Ed25519],
        KeyAlgorithm::Both => vec![Algorithm::Rsa, Algorithm::Ed25519],
    };
    let mut keys = Vec::new();
    for (algorithm, selector) in dkim_selectors(&selector, &algorithms) {
        keys.push(SelectorKey {
            selector: validate::selector("--selector", &selector)?,
            key: DkimKey::generate(algorithm, args.bits)?,
            kept: false,
        });
    }
    let files = files::files(&ctx.renderer, &domain, None, &keys, "", true)?;
    output::write_all(&args.out, &files, args.force)?;
    let record = files
        .iter()
        .find(|f| f.path == "dns.txt")
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .unwrap_or_default();
    let summary = Summary {
        schema: "mxdoctor/dkim-keygen/v1",
        out: args.out.display().to_string(),
        multiple: keys.len() > 1,
        keys: files::views(&domain, &keys),
        domain,
        files: files
            .iter()
            .map(|f| FileLine {
                path: f.path.clone(),
                secret: f.mode == Mode::Secret,
            })
            .collect(),
        record,
    };
    match ctx.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        _ => print!("{}", ctx.renderer.render("dkim/keygen-summary", &summary)?),
    }
    Ok(exit::CLEAN)
}
