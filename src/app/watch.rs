//! `check --watch`: wait until the records of a generated kit are live at the domain's own
//! name servers, then let the check run.
//!
//! The records come from `dns/records.tsv` (beside the answers file, or `--watch-records`).
//! Each zone's name servers are found through the resolver and then asked directly (see
//! `probe::authority`), again and again with a growing pause, until every record is served
//! by every one of them, the time is up (`--watch-timeout`, exit 4) or the user presses
//! Ctrl-C (exit 130). For each record that goes live it says how long resolvers may still
//! serve the old answer: the TTL of the old records, or the negative-caching time of the
//! zone when there were none (RFC 2308).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use hickory_resolver::proto::rr::RecordType;
use serde::Serialize;

use super::Context;
use crate::cli::CheckArgs;
use crate::exit;
use crate::facts::{Lookup, Target};
use crate::output;
use crate::probe::authority::{self, Authority};

/// Largest records file read.
const MAX_RECORDS_BYTES: u64 = 1024 * 1024;
/// Most records watched.
const MAX_RECORDS: usize = 200;
/// First pause between two rounds, growth factor and longest pause.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const GROWTH: f64 = 1.5;
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// One record to wait for, from records.tsv.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// Full name, without the trailing dot.
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub value: String,
    pub zone: String,
}

/// What was seen of one record so far.
#[derive(Clone, Debug, Default)]
struct Progress {
    /// How long resolvers may cache what the authority served at the first look.
    old_ttl: Option<u32>,
    /// Live at the first look already.
    already: bool,
    live: bool,
    /// The last failure to ask, if the last round had one.
    failure: Option<String>,
}

#[derive(Serialize)]
struct LiveView<'a> {
    record: &'a Expected,
    servers: Vec<String>,
    already: bool,
    waited: String,
    old_ttl: Option<String>,
}

/// Wait for the records; `Ok(None)` when all are live (the check runs next), `Ok(Some(code))`
/// when the run must stop with that exit code.
pub(super) async fn wait(
    ctx: &Context,
    args: &CheckArgs,
    target: &Target,
) -> anyhow::Result<Option<u8>> {
    let path = records_path(args)?;
    let text = output::read_limited(&path, MAX_RECORDS_BYTES).with_context(|| {
        format!(
            "cannot read the records to wait for from {}",
            path.display()
        )
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
    let records = parse_records(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if records.is_empty() {
        bail!("{} lists no records to wait for", path.display());
    }
    if !records
        .iter()
        .any(|r| crate::answers::in_zone(&r.name, &target.domain))
    {
        bail!(
            "{} holds records for other domains than {}",
            path.display(),
            target.domain
        );
    }
    let dns = ctx.dns_client()?;
    let port = args.ns_port.unwrap_or(53);
    let mut zones: BTreeMap<String, Authority> = BTreeMap::new();
    for zone in records
        .iter()
        .map(|r| r.zone.clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match authority::discover(&dns, &zone, port, ctx.dns.timeout).await {
            Ok(a) => {
                zones.insert(zone, a);
            }
            Err(e) => {
                eprint!(
                    "{}",
                    ctx.renderer.render(
                        "watch/no-authority",
                        &serde_json::json!({"zone": zone, "error": e.to_string()})
                    )?
                );
                return Ok(Some(exit::INCOMPLETE));
            }
        }
    }
    let servers: Vec<serde_json::Value> = zones
        .values()
        .map(|a| {
            serde_json::json!({
                "zone": a.zone,
                "servers": a.servers.iter().map(|s| format!("{} ({})", s.name, s.addr)).collect::<Vec<_>>(),
                "skipped": a.skipped,
            })
        })
        .collect();
    eprint!(
        "{}",
        ctx.renderer.render(
            "watch/start",
            &serde_json::json!({"count": records.len(), "zones": servers, "timeout": human(args.watch_timeout.as_secs())}),
        )?
    );

    let started = Instant::now();
    let deadline = started + args.watch_timeout;
    let spinner = spinner(ctx.progress);
    let mut seen: Vec<Progress> = vec![Progress::default(); records.len()];
    let mut pause = FIRST_PAUSE;
    let mut first = true;
    loop {
        let rounds = futures::future::join_all(
            records
                .iter()
                .enumerate()
                .filter(|(i, _)| !seen[*i].live)
                .map(|(i, r)| {
                    let authority = zones.get(&r.zone);
                    async move { (i, look(authority, r).await) }
                }),
        )
        .await;
        for (i, look) in rounds {
            let p = &mut seen[i];
            if first {
                p.old_ttl = look.old_ttl;
                p.already = look.live;
            }
            p.failure = look.failure;
            if look.live {
                p.live = true;
                spinner.suspend(|| -> anyhow::Result<()> {
                    let view = LiveView {
                        record: &records[i],
                        servers: zones
                            .get(&records[i].zone)
                            .map(|a| a.servers.iter().map(|s| s.name.clone()).collect())
                            .unwrap_or_default(),
                        already: p.already,
                        waited: human(started.elapsed().as_secs()),
                        old_ttl: p.old_ttl.map(|t| human(u64::from(t))),
                    };
                    eprint!("{}", ctx.renderer.render("watch/live", &view)?);
                    Ok(())
                })?;
            }
        }
        first = false;
        let pending: Vec<&Expected> = records
            .iter()
            .zip(&seen)
            .filter(|(_, p)| !p.live)
            .map(|(r, _)| r)
            .collect();
        if pending.is_empty() {
            spinner.finish_and_clear();
            eprint!(
                "{}",
                ctx.renderer.render(
                    "watch/all-live",
                    &serde_json::json!({"count": records.len()})
                )?
            );
            return Ok(None);
        }
        let now = Instant::now();
        if now >= deadline {
            spinner.finish_and_clear();
            eprint!(
                "{}",
                ctx.renderer.render(
                    "watch/gave-up",
                    &stopped_view(&records, &seen, args.watch_timeout)
                )?
            );
            return Ok(Some(exit::INCOMPLETE));
        }
        let sleep = pause.min(deadline - now);
        spinner.set_message(
            ctx.renderer
                .render(
                    "watch/waiting",
                    &serde_json::json!({
                        "live": records.len() - pending.len(),
                        "count": records.len(),
                        "seconds": sleep.as_secs().max(1),
                    }),
                )?
                .trim()
                .to_string(),
        );
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = tokio::signal::ctrl_c() => {
                spinner.finish_and_clear();
                eprint!("{}", ctx.renderer.render("watch/stopped", &stopped_view(&records, &seen, started.elapsed()))?);
                return Ok(Some(exit::CANCELLED));
            }
        }
        pause = pause.mul_f64(GROWTH).min(LONGEST_PAUSE);
    }
}

/// What one round saw of one record.
struct Look {
    live: bool,
    old_ttl: Option<u32>,
    failure: Option<String>,
}

/// Ask every name server of the record's zone; live when all of them serve it.
async fn look(authority: Option<&Authority>, r: &Expected) -> Look {
    let Some(authority) = authority else {
        return Look {
            live: false,
            old_ttl: None,
            failure: Some("no name server".into()),
        };
    };
    let Ok(rtype) = RecordType::from_str(&r.rtype) else {
        return Look {
            live: false,
            old_ttl: None,
            failure: Some(format!("unknown record type {}", r.rtype)),
        };
    };
    let answers =
        futures::future::join_all(authority.servers.iter().map(|s| s.ask(&r.name, rtype))).await;
    let mut live = true;
    let mut old_ttl: Option<u32> = None;
    let mut failure = None;
    for a in &answers {
        let ttl = match &a.lookup {
            Lookup::Answer { records } => {
                let has = records
                    .iter()
                    .any(|d| authority::same_value(rtype, &r.value, &authority::value_of(d)));
                live &= has;
                a.ttl
            }
            Lookup::NxDomain | Lookup::NoData => {
                live = false;
                a.negative_ttl
            }
            Lookup::Failed { detail, .. } => {
                live = false;
                failure = Some(detail.clone());
                None
            }
            Lookup::NotAsked => {
                live = false;
                None
            }
        };
        old_ttl = match (old_ttl, ttl) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    Look {
        live,
        old_ttl,
        failure,
    }
}

#[derive(Serialize)]
struct PendingView<'a> {
    record: &'a Expected,
    failure: Option<&'a str>,
}

fn stopped_view(records: &[Expected], seen: &[Progress], after: Duration) -> serde_json::Value {
    let pending: Vec<PendingView> = records
        .iter()
        .zip(seen)
        .filter(|(_, p)| !p.live)
        .map(|(r, p)| PendingView {
            record: r,
            failure: p.failure.as_deref(),
        })
        .collect();
    serde_json::json!({"pending": pending, "after": human(after.as_secs()), "live": seen.iter().filter(|p| p.live).count()})
}

/// `--watch-records`, else `dns/records.tsv` beside the answers file.
fn records_path(args: &CheckArgs) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.watch_records {
        return Ok(p.clone());
    }
    match &args.answers {
        Some(answers) => {
            let dir = answers
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Ok(dir.join("dns").join("records.tsv"))
        }
        None => bail!(
            "--watch needs the records to wait for: give --answers with the answers.yaml of a kit (its dns/records.tsv is used), or --watch-records FILE"
        ),
    }
}

/// The lines of a records.tsv (header `name type ttl value zone`, tab-separated).
pub fn parse_records(text: &str) -> Result<Vec<Expected>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if n == 0 && line.starts_with("name\t") || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, rtype, _ttl, value, zone] = fields[..] else {
            return Err(format!(
                "line {}: expected 5 tab-separated fields (name, type, ttl, value, zone)",
                n + 1
            ));
        };
        let zone = crate::answers::validate::domain("zone", zone)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        let name = if name == "@" {
            zone.clone()
        } else {
            format!("{}.{zone}", name.trim_end_matches('.'))
        };
        if RecordType::from_str(rtype).is_err() {
            return Err(format!("line {}: {rtype:?} is not a record type", n + 1));
        }
        out.push(Expected {
            name: name.to_ascii_lowercase(),
            rtype: rtype.to_string(),
            value: value.to_string(),
            zone,
        });
        if out.len() > MAX_RECORDS {
            return Err(format!("more than {MAX_RECORDS} records"));
        }
    }
    Ok(out)
}

/// A number of seconds for people: "300 s (5 min)".
fn human(secs: u64) -> String {
    let unit = match secs {
        0..60 => return format!("{secs} s"),
        60..3600 => format!("{} min", (secs + 30) / 60),
        3600..86_400 => format!("{:.1} h", secs as f64 / 3600.0),
        _ => format!("{:.1} days", secs as f64 / 86_400.0),
    };
    format!("{secs} s ({unit})")
}

fn spinner(visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_tsv_lines() {
        let text = "name\ttype\tttl\tvalue\tzone\n@\tMX\t3600\t10 mail.example.org\texample.org\n\
                    _dmarc\tTXT\t3600\tv=DMARC1; p=none\texample.org\n\
                    example.org._report._dmarc\tTXT\t3600\tv=DMARC1\treports.example.net\n";
        let r = parse_records(text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].name, "example.org");
        assert_eq!(r[1].name, "_dmarc.example.org");
        assert_eq!(r[1].value, "v=DMARC1; p=none");
        assert_eq!(r[2].name, "example.org._report._dmarc.reports.example.net");
        assert!(parse_records("name\ttype\n@\tTXT\n").is_err());
        assert!(parse_records("@\tBOGUS\t1\tx\texample.org\n").is_err());
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(human(45), "45 s");
        assert_eq!(human(300), "300 s (5 min)");
        assert_eq!(human(3600), "3600 s (1.0 h)");
        assert_eq!(human(172_800), "172800 s (2.0 days)");
    }
}
