//! `mxdoctor check`: gather (or replay) facts, diagnose, report.

use anyhow::{Context as _, bail};

use super::{Context, read_facts};
use crate::answers::validate;
use crate::blocklist;
use crate::cli::CheckArgs;
use crate::diagnose;
use crate::exit;
use crate::facts::{Facts, Target};
use crate::probe::smtp::{SmtpRequest, SmtpSettings, Target as SmtpTarget};
use crate::probe::{self, TlsSettings, dns::DnsClient, dnsbl::Sweep};
use crate::report::Report;

/// `mxdoctor check`: gather (or replay) facts, diagnose, report.
pub(super) async fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
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
            let dqs_key = super::blocklist::dqs_key(&args.dqs)?;
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
            let local = LocalChecks::from_args(ctx, &args)?;
            let sweep = Sweep {
                catalog: &ctx.playbooks.blocklists,
                dqs_key: dqs_key.as_ref(),
                progress: blocklist::progress_bar(ctx.progress && !args.no_dnsbl),
            };
            let dnsbl = (!args.no_dnsbl).then_some(&sweep);
            let facts = gather(&target, &dns, &tls, &selectors, dnsbl, &local).await;
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
        super::blocklist::write_out(ctx, dir, &report, &facts, &findings, args.force)?;
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
        let settings =
            super::relay::smtp_settings(ctx, &args.smtp_session, args.tls.ca_file.as_deref())?;
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

/// Every probe of `check`: DNS, then the SMTP servers it names; meanwhile this machine's
/// network and its Postfix.
async fn gather(
    target: &Target,
    dns: &DnsClient,
    tls: &TlsSettings,
    selectors: &probe::dkim::CommonSelectors,
    dnsbl: Option<&Sweep<'_>>,
    local: &LocalChecks,
) -> Facts {
    let runner = probe::postfix::SystemRunner {
        timeout: std::time::Duration::from_secs(10),
    };
    let (mut facts, env, egress, postfix) = tokio::join!(
        async {
            let mut facts = probe::gather(target, dns, tls, selectors, dnsbl).await;
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
    // Asked last so the SMTP probes' lookups are in; the DQS key never reaches the log.
    facts.queries = probe::dnsbl::redact_queries(dns.query_log(), dnsbl.and_then(|s| s.dqs_key));
    facts
}

/// Validate the command-line target before any question is asked.
pub(super) fn target_from_args(args: &CheckArgs) -> anyhow::Result<Target> {
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
