//! Orchestration only: turn a parsed command line into answers, probes, diagnosis, report
//! and files, and say how the run ended. No checking logic lives here.

mod dkim;
mod generate;

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

use crate::answers::validate;
use crate::assets::Assets;
use crate::blocklist::{self, DqsKey, Subject, delisting};
use crate::cli::{BlocklistArgs, CheckArgs, Cli, Command, DqsArgs, Format, GlobalArgs, SpfArgs};
use crate::diagnose;
use crate::exit;
use crate::facts::{FACTS_SCHEMA, Facts, Target};
use crate::output::{self, Mode, OutputFile};
use crate::plan::Playbooks;
use crate::probe::{self, TlsSettings, dns::DnsClient, dns::DnsConfig, dnsbl::Sweep};
use crate::records::spf::report::SpfReport;
use crate::render::Renderer;
use crate::report::{Report, Verbosity};

/// Largest facts file accepted by `--facts-in`.
const MAX_FACTS_BYTES: u64 = 64 * 1024 * 1024;

/// What every command shares: assets, words and output settings.
pub struct Context {
    pub assets: Assets,
    pub playbooks: Playbooks,
    pub renderer: Renderer,
    pub format: Format,
    pub verbosity: Verbosity,
    pub progress: bool,
    pub dns: DnsConfig,
}

impl Context {
    pub fn new(global: &GlobalArgs) -> anyhow::Result<Self> {
        let assets = Assets::new(global.templates.clone(), global.playbooks.clone());
        let playbooks = Playbooks::load(&assets)?;
        let color = !global.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        let renderer = Renderer::new(&assets, color)?;
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Ok(Context {
            assets,
            playbooks,
            renderer,
            format: global.format,
            verbosity,
            progress: !global.no_progress && std::io::stderr().is_terminal(),
            dns: DnsConfig {
                resolvers: global.resolver.clone(),
                timeout: global.timeout,
                retries: 1,
            },
        })
    }

    pub fn dns_client(&self) -> anyhow::Result<DnsClient> {
        Ok(DnsClient::new(&self.dns)?)
    }

    /// Print a report in the chosen format.
    pub fn print_report(&self, report: &Report) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Json => report.to_json(),
            Format::Text => {
                report.to_template(&self.renderer, &self.playbooks, "text", self.verbosity)?
            }
            Format::Markdown => {
                report.to_template(&self.renderer, &self.playbooks, "markdown", self.verbosity)?
            }
        };
        print!("{text}");
        Ok(())
    }
}

/// Run a parsed command line; the result is the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let Some(command) = cli.command else {
        Cli::command().print_help()?;
        return Ok(exit::CLEAN);
    };
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "mxdoctor",
                &mut std::io::stdout(),
            );
            Ok(exit::CLEAN)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::CLEAN)
        }
        Command::Check(args) => {
            let ctx = Context::new(&cli.global)?;
            check(&ctx, args).await
        }
        Command::Spf(args) => {
            let ctx = Context::new(&cli.global)?;
            spf(&ctx, args).await
        }
        Command::Generate(args) => {
            let ctx = Context::new(&cli.global)?;
            generate::run(&ctx, *args)
        }
        Command::Dkim {
            command: crate::cli::DkimCommand::Keygen(args),
        } => {
            let ctx = Context::new(&cli.global)?;
            dkim::keygen(&ctx, args)
        }
        Command::Blocklist(args) => {
            let ctx = Context::new(&cli.global)?;
            blocklist(&ctx, args).await
        }
    }
}

/// `mxdoctor check`: gather (or replay) facts, diagnose, report.
async fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    let facts = match &args.facts_in {
        Some(path) => {
            let facts = read_facts(path)?;
            if let Some(domain) = &args.domain {
                let domain = validate::domain("domain", domain)?;
                if domain != facts.target.domain {
                    bail!(
                        "{} holds facts about {}, not {domain}",
                        path.display(),
                        facts.target.domain
                    );
                }
            }
            facts
        }
        None => {
            let target = target_from_args(&args)?;
            let dqs_key = dqs_key(&args.dqs)?;
            let dns = ctx.dns_client()?;
            let tls = TlsSettings {
                ca_file: args.tls.ca_file.clone(),
                https_port: args.tls.https_port,
                timeout: ctx.dns.timeout,
            };
            if let Some(path) = &tls.ca_file {
                probe::http::read_ca_file(path)?;
            }
            let selectors = probe::dkim::CommonSelectors::load(&ctx.assets)?;
            let sweep = Sweep {
                catalog: &ctx.playbooks.blocklists,
                dqs_key: dqs_key.as_ref(),
                progress: blocklist::progress_bar(ctx.progress && !args.no_dnsbl),
            };
            let facts = probe::gather(
                &target,
                &dns,
                &tls,
                &selectors,
                (!args.no_dnsbl).then_some(&sweep),
            )
            .await;
            sweep.progress.finish_and_clear();
            facts
        }
    };
    if let Some(path) = &args.facts_out {
        let json = serde_json::to_string_pretty(&facts)? + "\n";
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let findings = diagnose::diagnose(&facts, &ctx.playbooks);
    let report = Report::build(
        facts.target.clone(),
        &findings,
        &ctx.playbooks,
        &ctx.renderer,
    )?;
    ctx.print_report(&report)?;
    if let Some(dir) = &args.out {
        write_out(ctx, dir, &report, &facts, &findings, args.force)?;
    }
    Ok(exit::from_outcome(report.outcome()))
}

/// `mxdoctor blocklist`: sweep the blocklists for addresses and domains, report, and write
/// the checklists.
async fn blocklist(ctx: &Context, args: BlocklistArgs) -> anyhow::Result<u8> {
    let mut subjects: Vec<Subject> = Vec::new();
    for arg in &args.subjects {
        let subject = Subject::parse(arg)?;
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    let target = Target {
        // The report's target names the first domain; every subject is in the findings.
        domain: subjects
            .iter()
            .find_map(|s| match s {
                Subject::Domain(d) => Some(d.clone()),
                Subject::Ip(_) => None,
            })
            .unwrap_or_default(),
        ips: subjects
            .iter()
            .filter_map(|s| match s {
                Subject::Ip(ip) => Some(*ip),
                Subject::Domain(_) => None,
            })
            .collect(),
        host: args
            .host
            .as_deref()
            .map(|h| validate::hostname("--host", h))
            .transpose()?,
        selectors: Vec::new(),
    };
    let dqs_key = dqs_key(&args.dqs)?;
    let dns = ctx.dns_client()?;
    let sweep = Sweep {
        catalog: &ctx.playbooks.blocklists,
        dqs_key: dqs_key.as_ref(),
        progress: blocklist::progress_bar(ctx.progress),
    };
    let facts =
        probe::dnsbl::blocklist_facts(&dns, &target, &subjects, &sweep, args.out.is_some()).await;
    sweep.progress.finish_and_clear();
    let mut findings = Vec::new();
    diagnose::dnsbl::diagnose(&facts, &ctx.playbooks.blocklists, &mut findings);
    let report = Report::build(target, &findings, &ctx.playbooks, &ctx.renderer)?;
    ctx.print_report(&report)?;
    if let Some(dir) = &args.out {
        write_out(ctx, dir, &report, &facts, &findings, args.force)?;
    }
    Ok(exit::from_outcome(report.outcome()))
}

/// The DQS key from `--dqs-key` / MXDOCTOR_DQS_KEY; an empty value means none.
fn dqs_key(args: &DqsArgs) -> anyhow::Result<Option<DqsKey>> {
    match args.dqs_key.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(key) => Ok(Some(DqsKey::parse(key)?)),
    }
}

/// Everything `--out DIR` receives: the report and the checklists, all or nothing.
fn write_out(
    ctx: &Context,
    dir: &Path,
    report: &Report,
    facts: &Facts,
    findings: &[diagnose::Finding],
    force: bool,
) -> anyhow::Result<()> {
    let mut files = vec![OutputFile::new(
        "report.json",
        report.to_json(),
        Mode::Public,
    )];
    files.extend(delisting::files(
        facts,
        findings,
        &ctx.playbooks.blocklists,
        &ctx.renderer,
    )?);
    output::write_all(dir, &files, force)?;
    Ok(())
}

/// `mxdoctor spf`: check_host() for one client address and sender, with its trace.
async fn spf(ctx: &Context, args: SpfArgs) -> anyhow::Result<u8> {
    let (request, identity) =
        probe::spf::command_request(&args.ip, &args.sender, args.helo.as_deref())?;
    let dns = ctx.dns_client()?;
    let evaluation = probe::spf::evaluate(&dns, &request).await;
    let report = SpfReport::new(&request, identity, evaluation);
    let text = match ctx.format {
        Format::Json => report.to_json(),
        Format::Text => ctx.renderer.render("spf/text", &report.view())?,
        Format::Markdown => ctx.renderer.render("spf/markdown", &report.view())?,
    };
    print!("{text}");
    Ok(report.exit_code())
}

/// Validate the command-line target before any question is asked.
fn target_from_args(args: &CheckArgs) -> anyhow::Result<Target> {
    let Some(domain) = &args.domain else {
        bail!("a domain to check is required");
    };
    let mut ips = Vec::new();
    for ip in &args.ips {
        let ip = validate::ip("--ip", ip)?;
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    let mut selectors = Vec::new();
    for s in &args.selectors {
        let s = validate::selector("--selector", s)?;
        if !selectors.contains(&s) {
            selectors.push(s);
        }
    }
    Ok(Target {
        domain: validate::domain("domain", domain)?,
        ips,
        host: args
            .host
            .as_deref()
            .map(|h| validate::hostname("--host", h))
            .transpose()?,
        selectors,
    })
}

pub(crate) fn read_facts(path: &Path) -> anyhow::Result<Facts> {
    let bytes = output::read_limited(path, MAX_FACTS_BYTES)
        .with_context(|| format!("cannot read facts from {}", path.display()))?;
    let facts: Facts = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a mxdoctor facts file", path.display()))?;
    if facts.schema != FACTS_SCHEMA {
        bail!(
            "{} has schema {:?}; this mxdoctor reads {FACTS_SCHEMA:?}",
            path.display(),
            facts.schema
        );
    }
    Ok(facts)
}
