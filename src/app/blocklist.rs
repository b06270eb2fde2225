//! `mxdoctor blocklist`: the DNSBL/DBL sweep on its own, and the delisting checklists.

use std::path::Path;

use super::Context;
use crate::answers::validate;
use crate::blocklist::{self, DqsKey, Subject, delisting};
use crate::cli::{BlocklistArgs, DqsArgs};
use crate::diagnose;
use crate::exit;
use crate::facts::{Facts, Target};
use crate::output::{self, Mode, OutputFile};
use crate::probe::{self, dnsbl::Sweep};
use crate::report::Report;

/// `mxdoctor blocklist`: sweep the blocklists for addresses and domains, report, and write
/// the checklists.
pub(super) async fn blocklist(ctx: &Context, args: BlocklistArgs) -> anyhow::Result<u8> {
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
pub(super) fn dqs_key(args: &DqsArgs) -> anyhow::Result<Option<DqsKey>> {
    match args.dqs_key.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(key) => Ok(Some(DqsKey::parse(key)?)),
    }
}

/// Everything `--out DIR` receives: the report and the checklists, all or nothing.
pub(super) fn write_out(
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
