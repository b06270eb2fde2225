//! Orchestration only: turn a parsed command line into answers, probes, diagnosis, report
//! and files, and say how the run ended. No checking logic lives here.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

use crate::answers::validate;
use crate::assets::Assets;
use crate::cli::{CheckArgs, Cli, Command, Format, GlobalArgs, SpfArgs};
use crate::diagnose;
use crate::exit;
use crate::facts::{FACTS_SCHEMA, Facts, Target};
use crate::output::{self, Mode, OutputFile};
use crate::plan::Playbooks;
use crate::probe::{self, TlsSettings, dns::DnsClient, dns::DnsConfig};
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
            let dns = ctx.dns_client()?;
            let tls = TlsSettings {
                ca_file: args.tls.ca_file.clone(),
                https_port: args.tls.https_port,
            };
            probe::gather(&target, &dns, &tls).await
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
        let files = [OutputFile::new(
            "report.json",
            report.to_json(),
            Mode::Public,
        )];
        output::write_all(dir, &files, args.force)?;
    }
    Ok(exit::from_outcome(report.outcome()))
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

fn read_facts(path: &Path) -> anyhow::Result<Facts> {
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
