//! `mxdoctor spf`: RFC 7208 check_host() for one address and sender, with its trace.

use super::Context;
use crate::cli::{Format, SpfArgs};
use crate::probe;
use crate::records::spf::report::SpfReport;

/// `mxdoctor spf`: check_host() for one client address and sender, with its trace.
pub(super) async fn spf(ctx: &Context, args: SpfArgs) -> anyhow::Result<u8> {
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
