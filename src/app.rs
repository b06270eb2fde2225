//! Orchestration only: turn a parsed command line into answers, probes, diagnosis, report
//! and files, and say how the run ended. No checking logic lives here; each command has
//! its own file.

mod blocklist;
mod bounce;
pub(crate) mod check;
mod dkim;
pub(crate) mod generate;
mod relay;
mod spf;
mod watch;

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

use crate::assets::Assets;
use crate::cli::{Cli, Command, Format, GlobalArgs};
use crate::exit;
use crate::facts::{FACTS_SCHEMA, Facts};
use crate::output;
use crate::plan::Playbooks;
use crate::probe::dns::{DnsClient, DnsConfig};
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
                authoritative: false,
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
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            return crate::wizard::run(&cli.global, crate::cli::WizardArgs::defaults()).await;
        }
        Cli::command().print_help()?;
        return Ok(exit::CLEAN);
    };
    match command {
        Command::Wizard(args) => crate::wizard::run(&cli.global, *args).await,
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
            check::check(&ctx, args).await
        }
        Command::Spf(args) => {
            let ctx = Context::new(&cli.global)?;
            spf::spf(&ctx, args).await
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
            blocklist::blocklist(&ctx, args).await
        }
        Command::RelayTest(args) => {
            let ctx = Context::new(&cli.global)?;
            relay::relay_test(&ctx, args).await
        }
        Command::Bounce(args) => {
            let ctx = Context::new(&cli.global)?;
            bounce::explain(&ctx, args)
        }
    }
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
