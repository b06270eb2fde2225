//! `mxdoctor bounce`: explain a bounce message, a delivery report or a pasted reply.

use std::io::IsTerminal;

use super::Context;
use crate::bounce::{Explainer, read_input};
use crate::cli::{BounceArgs, Format};
use crate::exit;

/// Read the input (bounded), explain it, print it. Exit 0 when explained; errors (unreadable
/// input, not a bounce) go to the caller and end with exit 2.
pub(super) fn explain(ctx: &Context, args: BounceArgs) -> anyhow::Result<u8> {
    let from_stdin = args.input.as_deref().is_none_or(|p| p.as_os_str() == "-");
    if from_stdin && std::io::stdin().is_terminal() {
        eprintln!("Paste the bounce or the server's reply, then press Ctrl-D.");
    }
    let bytes = read_input(args.input.as_deref())?;
    let explainer = Explainer::new(&ctx.assets)?;
    let report = explainer.explain(&bytes, &ctx.renderer)?;
    let text = match ctx.format {
        Format::Json => report.to_json(),
        Format::Text => report.to_template(&ctx.renderer, "text")?,
        Format::Markdown => report.to_template(&ctx.renderer, "markdown")?,
    };
    print!("{text}");
    Ok(exit::CLEAN)
}
