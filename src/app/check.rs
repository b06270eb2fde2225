//! `mxdoctor check`: gather (or replay) facts, diagnose, report. The probe set-up here is
//! shared with the wizard, which runs exactly these checks.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::{Context, read_facts};
use crate::answers::{AnswerLayer, PasswordSource, validate};
use crate::blocklist;
use crate::cli::{CheckArgs, ProbeArgs};
use crate::diagnose;
use crate::exit;
use crate::facts::{EnvFacts, Facts, PostfixFacts, Target};
use crate::output;
use crate::probe::smtp::{SmtpRequest, SmtpSettings, Target as SmtpTarget};
use crate::probe::{self, TlsSettings, dns::DnsClient, dnsbl::Sweep};
use crate::report::Report;

/// Largest answers file read.
const MAX_ANSWERS_BYTES: u64 = 1024 * 1024;

/// `mxdoctor check`: gather (or replay) facts, diagnose, report; with `--watch`, first wait
/// for the generated records to be live at the domain's name servers.
pub(super) async fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    if args.watch {
        let target = target_from_args(ctx, &args)?;
        if let Some(code) = super::watch::wait(ctx, &args, &target).await? {
            return Ok(code);
        }
    }
    run(ctx, &args).await
}

async fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<u8> {
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
            let target = target_from_args(ctx, args)?;
            let dqs_key = super::blocklist::dqs_key(&args.probes.dqs)?;
            let dns = ctx.dns_client()?;
            let tls = tls_settings(&args.probes, ctx.dns.timeout)?;
            let selectors = probe::dkim::CommonSelectors::load(&ctx.assets)?;
            let local = LocalChecks::new(
                ctx.dns.timeout,
                &args.probes,
                !ctx.dns.resolvers.is_empty(),
                !target.ips.is_empty(),
            )?;
            let sweep = Sweep {
                catalog: &ctx.playbooks.blocklists,
                dqs_key: dqs_key.as_ref(),
                progress: blocklist::progress_bar(ctx.progress && !args.probes.no_dnsbl),
            };
            let dnsbl = (!args.probes.no_dnsbl).then_some(&sweep);
            let (remote, here) = tokio::join!(
                gather_remote(&target, &dns, &tls, &selectors, dnsbl, &local, &|_| {}),
                gather_local(&local, &dns),
            );
            sweep.progress.finish_and_clear();
            combine(remote, here, &dns, dnsbl.and_then(|s| s.dqs_key))
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

/// HTTPS settings for the MTA-STS policy fetch.
pub(crate) fn tls_settings(probes: &ProbeArgs, timeout: Duration) -> anyhow::Result<TlsSettings> {
    let tls = TlsSettings {
        ca_file: probes.tls.ca_file.clone(),
        https_port: probes.tls.https_port,
        timeout,
    };
    if let Some(path) = &tls.ca_file {
        probe::http::read_ca_file(path)?;
    }
    Ok(tls)
}

/// The SMTP, network and Postfix probes of `check`, as the flags ask for them.
pub(crate) struct LocalChecks {
    pub settings: SmtpSettings,
    pub smtp: SmtpRequest,
    pub env: probe::host::EnvRequest,
    pub egress: probe::egress::EgressRequest,
    pub postfix: probe::postfix::PostfixRequest,
}

impl LocalChecks {
    /// `timeout` is one network try (`--timeout`); `ips_given` turns public address
    /// detection off.
    pub(crate) fn new(
        timeout: Duration,
        probes: &ProbeArgs,
        resolver_given: bool,
        ips_given: bool,
    ) -> anyhow::Result<Self> {
        let settings = super::relay::smtp_settings_with(
            timeout,
            &probes.smtp_session,
            probes.tls.ca_file.as_deref(),
        )?;
        let targets = probes
            .smtp
            .iter()
            .map(|s| SmtpTarget::parse(s).map_err(|e| anyhow::anyhow!("--smtp {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let egress_target = probes
            .egress_target
            .as_deref()
            .map(|s| SmtpTarget::parse(s).map_err(|e| anyhow::anyhow!("--egress-target {e}")))
            .transpose()?;
        if let Some(dir) = &probes.postfix_config
            && !dir.join("main.cf").is_file()
        {
            bail!("--postfix-config: {} has no main.cf", dir.display());
        }
        for url in &probes.ip_echo_url {
            reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("--ip-echo-url {url:?}: {e}"))?;
        }
        Ok(LocalChecks {
            smtp: SmtpRequest {
                skip: probes.no_smtp,
                targets,
                mx_port: probes.smtp_port.unwrap_or(25),
            },
            env: probe::host::EnvRequest {
                ips_given,
                resolver_given,
                echo_urls: probes.ip_echo_url.clone(),
                timeout,
            },
            egress: probe::egress::EgressRequest {
                skip: probes.no_egress,
                target: egress_target,
                connect_timeout: settings.connect_timeout,
                greeting_timeout: settings.limits.reply,
            },
            postfix: probe::postfix::PostfixRequest {
                skip: probes.no_postfix,
                config_dir: probes.postfix_config.clone(),
            },
            settings,
        })
    }
}

/// What the probes of this machine found: its name and addresses, port 25, its Postfix.
pub(crate) struct LocalFacts {
    pub env: probe::host::EnvObservation,
    pub egress: crate::facts::Egress,
    pub postfix: PostfixFacts,
}

/// This machine's network and Postfix (independent of the domain).
pub(crate) async fn gather_local(local: &LocalChecks, dns: &DnsClient) -> LocalFacts {
    let runner = probe::postfix::SystemRunner {
        timeout: Duration::from_secs(10),
    };
    let (env, egress, postfix) = tokio::join!(
        probe::host::gather(&local.env, dns, &local.settings.trust),
        probe::egress::gather(&local.egress, dns),
        probe::postfix::gather(&local.postfix, &runner),
    );
    LocalFacts {
        env,
        egress,
        postfix,
    }
}

/// The domain's DNS, then the SMTP servers it names; `done(area)` as each area finishes.
pub(crate) async fn gather_remote(
    target: &Target,
    dns: &DnsClient,
    tls: &TlsSettings,
    selectors: &probe::dkim::CommonSelectors,
    dnsbl: Option<&Sweep<'_>>,
    local: &LocalChecks,
    done: &(dyn Fn(&'static str) + Sync),
) -> Facts {
    let mut facts = probe::gather_reporting(target, dns, tls, selectors, dnsbl, done).await;
    facts.smtp = probe::smtp::gather(&facts, &local.smtp, dns, &local.settings).await;
    done("smtp");
    facts
}

/// One facts value from both sides; the query log is read last so every lookup is in it,
/// and the DQS key never reaches it.
pub(crate) fn combine(
    mut facts: Facts,
    local: LocalFacts,
    dns: &DnsClient,
    dqs_key: Option<&blocklist::DqsKey>,
) -> Facts {
    facts.env = EnvFacts {
        hostname: local.env.hostname,
        local: local.env.local,
        public: local.env.public,
        reverse: local.env.reverse,
        egress: local.egress,
    };
    facts.postfix = local.postfix;
    facts.queries = probe::dnsbl::redact_queries(dns.query_log(), dqs_key);
    facts
}

/// The target: the domain, --host, --ip and --selector, each falling back on the answers
/// file when one is given; validated before any question is asked.
pub(super) fn target_from_args(ctx: &Context, args: &CheckArgs) -> anyhow::Result<Target> {
    let from_file = match &args.answers {
        Some(path) => Some(
            read_answers_layer(path)?
                .resolve_with(&ctx.playbooks.smarthosts, PasswordSource::Elsewhere)
                .with_context(|| format!("{} holds invalid answers", path.display()))?,
        ),
        None => None,
    };
    let domain = match (&args.domain, &from_file) {
        (Some(d), _) => validate::domain("domain", d)?,
        (None, Some(a)) => a.domain.clone(),
        (None, None) => bail!("a domain to check is required"),
    };
    let mut ips = Vec::new();
    for ip in &args.ips {
        let ip = validate::ip("--ip", ip)?;
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if args.ips.is_empty()
        && let Some(a) = &from_file
    {
        ips.extend(a.ipv4.map(std::net::IpAddr::V4));
        ips.extend(a.ipv6.map(std::net::IpAddr::V6));
    }
    let mut selectors = Vec::new();
    for s in &args.selectors {
        let s = validate::selector("--selector", s)?;
        if !selectors.contains(&s) {
            selectors.push(s);
        }
    }
    if args.selectors.is_empty()
        && let Some(a) = &from_file
    {
        selectors.extend(a.dkim_selectors().into_iter().map(|(_, s)| s));
    }
    let host = match (&args.host, &from_file) {
        (Some(h), _) => Some(validate::hostname("--host", h)?),
        (None, Some(a)) => Some(a.hostname.clone()),
        (None, None) => None,
    };
    Ok(Target {
        domain,
        ips,
        host,
        selectors,
    })
}

/// An answers file as one layer (YAML; unknown fields are errors).
pub(crate) fn read_answers_layer(path: &Path) -> anyhow::Result<AnswerLayer> {
    let bytes = output::read_limited(path, MAX_ANSWERS_BYTES)
        .with_context(|| format!("cannot read answers from {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
    Ok(AnswerLayer::from_yaml(&path.display().to_string(), &text)?)
}
