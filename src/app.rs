//! Orchestration only: turn a parsed command line into answers, probes, diagnosis, report
//! and files, and say how the run ended. No checking logic lives here.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

use crate::answers::validate;
use crate::assets::Assets;
use crate::cli::{CheckArgs, Cli, Command, Format, GlobalArgs, RelayTestArgs, SmtpArgs};
use crate::diagnose;
use crate::exit;
use crate::facts::{FACTS_SCHEMA, Facts, Target};
use crate::output::{self, Mode, OutputFile};
use crate::plan::Playbooks;
use crate::probe::smtp::{Plan, SmtpRequest, SmtpSettings, Target as SmtpTarget};
use crate::probe::{self, TlsSettings, dns::DnsClient, dns::DnsConfig};
use crate::render::Renderer;
use crate::report::{Report, Verbosity};
use crate::smtp::{HeloName, Limits, TlsTrust, report::RelayReport};

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
        Command::Spf(_) => bail!("the spf command is not available in this build"),
        Command::RelayTest(args) => {
            let ctx = Context::new(&cli.global)?;
            relay_test(&ctx, args).await
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
            let local = LocalChecks::from_args(ctx, &args)?;
            gather(&target, &dns, &tls, &local).await
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

/// The SMTP, network and Postfix probes of `check`, as the flags ask for them.
struct LocalChecks {
    settings: SmtpSettings,
    smtp: SmtpRequest,
    env: probe::host::EnvRequest,
    egress: probe::egress::EgressRequest,
    postfix: probe::postfix::PostfixRequest,
}

impl LocalChecks {
    fn from_args(ctx: &Context, args: &CheckArgs) -> anyhow::Result<Self> {
        let settings = smtp_settings(ctx, &args.smtp_session, args.tls.ca_file.as_deref())?;
        let targets = args
            .smtp
            .iter()
            .map(|s| SmtpTarget::parse(s).map_err(|e| anyhow::anyhow!("--smtp {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let egress_target = args
            .egress_target
            .as_deref()
            .map(|s| SmtpTarget::parse(s).map_err(|e| anyhow::anyhow!("--egress-target {e}")))
            .transpose()?;
        if let Some(dir) = &args.postfix_config
            && !dir.join("main.cf").is_file()
        {
            bail!("--postfix-config: {} has no main.cf", dir.display());
        }
        for url in &args.ip_echo_url {
            reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("--ip-echo-url {url:?}: {e}"))?;
        }
        Ok(LocalChecks {
            smtp: SmtpRequest {
                skip: args.no_smtp,
                targets,
                mx_port: args.smtp_port.unwrap_or(25),
            },
            env: probe::host::EnvRequest {
                ips_given: !args.ips.is_empty(),
                resolver_given: !ctx.dns.resolvers.is_empty(),
                echo_urls: args.ip_echo_url.clone(),
                timeout: ctx.dns.timeout,
            },
            egress: probe::egress::EgressRequest {
                skip: args.no_egress,
                target: egress_target,
                connect_timeout: settings.connect_timeout,
                greeting_timeout: settings.limits.reply,
            },
            postfix: probe::postfix::PostfixRequest {
                skip: args.no_postfix,
                config_dir: args.postfix_config.clone(),
            },
            settings,
        })
    }
}

/// How to talk SMTP: timeouts, EHLO name, trusted roots.
fn smtp_settings(
    ctx: &Context,
    args: &SmtpArgs,
    ca_file: Option<&Path>,
) -> anyhow::Result<SmtpSettings> {
    let helo = match &args.helo {
        Some(name) => HeloName::new(name)
            .map_err(|_| anyhow::anyhow!("--helo {name:?} is not a host name"))?,
        None => probe::host::local_fqdn()
            .and_then(|n| HeloName::new(&n).ok())
            .unwrap_or_else(|| HeloName::new("mxdoctor.invalid").expect("a valid name")),
    };
    Ok(SmtpSettings {
        trust: TlsTrust::new(ca_file)?,
        limits: Limits::new(args.smtp_timeout),
        // Twice the try timeout: room for one lost SYN to be sent again.
        connect_timeout: ctx.dns.timeout * 2,
        helo,
    })
}

/// Every probe of `check`: DNS, then the SMTP servers it names; meanwhile this machine's
/// network and its Postfix.
async fn gather(target: &Target, dns: &DnsClient, tls: &TlsSettings, local: &LocalChecks) -> Facts {
    let runner = probe::postfix::SystemRunner {
        timeout: std::time::Duration::from_secs(10),
    };
    let (mut facts, env, egress, postfix) = tokio::join!(
        async {
            let mut facts = probe::gather(target, dns, tls).await;
            facts.smtp = probe::smtp::gather(&facts, &local.smtp, dns, &local.settings).await;
            facts
        },
        probe::host::gather(&local.env, dns, &local.settings.trust),
        probe::egress::gather(&local.egress, dns),
        probe::postfix::gather(&local.postfix, &runner),
    );
    facts.env = crate::facts::EnvFacts {
        hostname: env.hostname,
        local: env.local,
        public: env.public,
        reverse: env.reverse,
        egress,
    };
    facts.postfix = postfix;
    facts.queries = dns.query_log();
    facts
}

/// `mxdoctor relay-test`: the relay matrix against one server.
async fn relay_test(ctx: &Context, args: RelayTestArgs) -> anyhow::Result<u8> {
    let target = SmtpTarget::parse(&args.server).map_err(|e| anyhow::anyhow!("{e}"))?;
    let own_domain = args
        .domain
        .as_deref()
        .map(|d| validate::domain("--domain", d))
        .transpose()?;
    let settings = smtp_settings(ctx, &args.smtp_session, args.tls.ca_file.as_deref())?;
    let dns = ctx.dns_client()?;
    let plan = Plan {
        roles_of: None,
        relay: true,
        own_domain,
    };
    let probe = probe::smtp::probe_target(&target, &plan, &dns, &settings).await;
    let report = RelayReport::new(&probe);
    let text = match ctx.format {
        Format::Json => report.to_json(),
        Format::Text => {
            report.render(&ctx.renderer, "text", ctx.verbosity == Verbosity::Verbose)?
        }
        Format::Markdown => report.render(
            &ctx.renderer,
            "markdown",
            ctx.verbosity == Verbosity::Verbose,
        )?,
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
