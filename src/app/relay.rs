//! `mxdoctor relay-test`: the open-relay matrix against one server (never DATA).

use std::path::Path;

use super::Context;
use crate::answers::validate;
use crate::cli::{Format, RelayTestArgs, SmtpArgs};
use crate::probe;
use crate::probe::smtp::{Plan, SmtpSettings, Target as SmtpTarget};
use crate::report::Verbosity;
use crate::smtp::{HeloName, Limits, TlsTrust, report::RelayReport};

/// `mxdoctor relay-test`: the relay matrix against one server.
pub(super) async fn relay_test(ctx: &Context, args: RelayTestArgs) -> anyhow::Result<u8> {
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

/// How to talk SMTP: timeouts, EHLO name, trusted roots.
pub(super) fn smtp_settings(
    ctx: &Context,
    args: &SmtpArgs,
    ca_file: Option<&Path>,
) -> anyhow::Result<SmtpSettings> {
    smtp_settings_with(ctx.dns.timeout, args, ca_file)
}

/// [`smtp_settings`] from the network try timeout alone (the wizard sets its probes up
/// before the rest of the context is loaded).
pub(crate) fn smtp_settings_with(
    timeout: std::time::Duration,
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
        connect_timeout: timeout * 2,
        helo,
    })
}
