//! `mxdoctor generate`: answers (+ facts) → files. The I/O around the pure generator:
//! reading the answers, facts and password files, generating or reusing DKIM keys,
//! writing the output directory.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::answers::{AnswerLayer, Answers, AnswersError, questions};
use crate::cli::{Format, GenerateArgs};
use crate::diagnose;
use crate::exit;
use crate::generate::{self, Input};
use crate::keys::DkimKey;
use crate::keys::files::SelectorKey;
use crate::output::{self, Mode};
use crate::report::Report;

use super::{Context, read_facts};

/// Largest answers file read.
const MAX_ANSWERS_BYTES: u64 = 1024 * 1024;
/// Largest password file read (the password is its first line).
const MAX_PASSWORD_BYTES: u64 = 4096;
/// Largest private key file read back.
const MAX_KEY_BYTES: u64 = 64 * 1024;

#[derive(Serialize)]
struct FileLine {
    path: String,
    status: &'static str,
    secret: bool,
    mode: &'static str,
}

#[derive(Serialize)]
struct Summary {
    schema: &'static str,
    out: String,
    dry_run: bool,
    written: usize,
    files: Vec<FileLine>,
    conflicts: Vec<String>,
    kept: Vec<String>,
    plan: String,
}

pub fn run(ctx: &Context, args: GenerateArgs) -> anyhow::Result<u8> {
    let answers = load_answers(ctx, &args)?;
    let facts = args.facts.as_deref().map(read_facts).transpose()?;
    if let Some(facts) = &facts
        && facts.target.domain != answers.domain
    {
        bail!(
            "the facts are about {}, the answers about {}: run the check for {} or fix the answers",
            facts.target.domain,
            answers.domain,
            answers.domain
        );
    }
    let findings = facts
        .as_ref()
        .map(|f| diagnose::diagnose(f, &ctx.playbooks));
    let report_json = match (&facts, &findings) {
        (Some(facts), Some(findings)) => Some(
            Report::build(
                facts.target.clone(),
                findings,
                &ctx.playbooks,
                &ctx.renderer,
            )?
            .to_json(),
        ),
        _ => None,
    };
    let password = read_password(&answers)?;
    let keys = dkim_keys(&answers, &args.out)?;
    let files = generate::generate(
        &Input {
            answers: &answers,
            facts: facts.as_ref(),
            findings: findings.as_deref(),
            keys: &keys,
            sasl_password: password.as_deref(),
            report_json: report_json.as_deref(),
            chosen_steps: None,
        },
        &ctx.playbooks,
        &ctx.renderer,
    )?;

    let conflicts: Vec<String> = files
        .iter()
        .filter(|f| args.out.join(&f.path).exists())
        .map(|f| f.path.clone())
        .collect();
    if !args.dry_run {
        output::write_all(&args.out, &files, args.force)?;
    }
    let kept: Vec<String> = keys
        .iter()
        .filter(|k| k.kept)
        .map(|k| format!("dkim/{}", k.file_name()))
        .collect();
    let summary = Summary {
        schema: "mxdoctor/generate/v1",
        out: args.out.display().to_string(),
        dry_run: args.dry_run,
        written: if args.dry_run { 0 } else { files.len() },
        files: files
            .iter()
            .map(|f| FileLine {
                path: f.path.clone(),
                status: match (args.dry_run, conflicts.contains(&f.path)) {
                    (true, true) => "exists",
                    (true, false) => "would write",
                    (false, true) => "overwritten",
                    (false, false) => "written",
                },
                secret: f.mode == Mode::Secret,
                mode: match f.mode {
                    Mode::Public => "0644",
                    Mode::Secret => "0600",
                    Mode::Executable => "0755",
                },
            })
            .collect(),
        conflicts,
        kept,
        plan: args.out.join("plan.md").display().to_string(),
    };
    match ctx.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        _ => print!("{}", ctx.renderer.render("plan/summary", &summary)?),
    }
    Ok(exit::CLEAN)
}

/// Built-in defaults < answers file < flags, validated as a whole.
fn load_answers(ctx: &Context, args: &GenerateArgs) -> anyhow::Result<Answers> {
    let file_layer = match &args.answers {
        Some(path) => {
            let bytes = output::read_limited(path, MAX_ANSWERS_BYTES)
                .with_context(|| format!("cannot read answers from {}", path.display()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
            AnswerLayer::from_yaml(&path.display().to_string(), &text)?
        }
        None => AnswerLayer::default(),
    };
    let flag_layer =
        questions::layer_from_pairs(args.answer_flags.pairs()).map_err(AnswersError)?;
    Ok(flag_layer
        .merge(file_layer)
        .resolve(&ctx.playbooks.smarthosts)?)
}

/// The smarthost password, from the first line of `password_file`. It is never printed:
/// errors name the file and the field, not the content.
pub(crate) fn read_password(answers: &Answers) -> anyhow::Result<Option<String>> {
    let Some(path) = answers
        .smarthost
        .as_ref()
        .and_then(|s| s.password_file.as_ref())
    else {
        return Ok(None);
    };
    let bytes = output::read_limited(path, MAX_PASSWORD_BYTES).with_context(|| {
        format!(
            "smarthost.password_file: cannot read {} (it must hold the password on its first line)",
            path.display()
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "smarthost.password_file: {} is not UTF-8 text",
            path.display()
        )
    })?;
    let first = text.split_inclusive('\n').next().unwrap_or("");
    if !text[first.len()..].trim().is_empty() {
        bail!(
            "smarthost.password_file: {} holds more than one line; put only the password in it",
            path.display()
        );
    }
    Ok(Some(generate::validate_password(first)?))
}

/// One key per selector: the one already in `DIR/dkim/` when there is one (so a re-run
/// never invalidates a published record), else a new one.
pub(crate) fn dkim_keys(answers: &Answers, out: &Path) -> anyhow::Result<Vec<SelectorKey>> {
    let mut keys = Vec::new();
    for (algorithm, selector) in answers.dkim_selectors() {
        let path: PathBuf = out.join("dkim").join(format!("{selector}.private"));
        let (key, kept) = if path.exists() {
            let bytes = output::read_limited(&path, MAX_KEY_BYTES)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let pem = String::from_utf8(bytes).unwrap_or_default();
            let key = DkimKey::from_private_pem(algorithm, &path.display().to_string(), &pem)
                .with_context(|| {
                    format!(
                        "{} is in the way: move it elsewhere to generate a new key for selector {selector}",
                        path.display()
                    )
                })?;
            (key, true)
        } else {
            (DkimKey::generate(algorithm, answers.dkim.rsa_bits)?, false)
        };
        keys.push(SelectorKey {
            selector,
            key,
            kept,
        });
    }
    Ok(keys)
}
