//! Probe of the SPF area: the domain's policy tree (and the HELO name's), fetched level by
//! level with every question of a level asked at once, the names its `a`/`mx`/`exists`
//! terms ask about, and check_host() for every --ip, concurrently with the walk.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::join_all;

use crate::answers::validate::{self, InvalidValue};
use crate::facts::{Lookup, NamedTxt, SpfCheck, SpfFacts, SpfPolicy, Target, TargetLookup};
use crate::records::spf::eval::txt_records;
use crate::records::spf::lint::{TargetKind, summarize};
use crate::records::spf::tree::{MAX_TREE_DEPTH, MAX_TREE_RECORDS};
use crate::records::spf::{Evaluation, Identity, Request, Sender, SpfResult, check_host};
use crate::records::spf::{is_spf_record, parse};

use super::dns::{DnsClient, Resolve, normalize_name};

/// RFC 7208 §4.6.4: an evaluation that takes longer than this is a temperror (at least 20 s).
pub const CHECK_HOST_TIME_LIMIT: Duration = Duration::from_secs(20);
/// Names asked about for a/mx/exists terms, at most, per policy.
const MAX_TARGETS: usize = 40;
/// `%{r}`: mxdoctor is not a receiving MTA.
const RECEIVER: &str = "unknown";

pub async fn gather(dns: &DnsClient, target: &Target) -> SpfFacts {
    gather_with(dns, target, now()).await
}

/// Everything SPF for `target`, through any resolver (tests use an in-memory one).
pub(crate) async fn gather_with<R: Resolve>(dns: &R, target: &Target, timestamp: u64) -> SpfFacts {
    let helo_name = target
        .host
        .as_deref()
        .filter(|h| !h.eq_ignore_ascii_case(&target.domain));
    let helo = target.host.clone().unwrap_or_else(|| target.domain.clone());
    let mut requests = Vec::new();
    for ip in &target.ips {
        requests.push((
            Identity::MailFrom,
            Request {
                ip: *ip,
                domain: target.domain.clone(),
                sender: Sender {
                    local: "postmaster".into(),
                    domain: target.domain.clone(),
                },
                helo: helo.clone(),
                receiver: RECEIVER.into(),
                timestamp,
            },
        ));
        if let Some(name) = helo_name {
            requests.push((
                Identity::Helo,
                Request {
                    ip: *ip,
                    domain: name.to_string(),
                    sender: Sender {
                        local: "postmaster".into(),
                        domain: name.to_string(),
                    },
                    helo: name.to_string(),
                    receiver: RECEIVER.into(),
                    timestamp,
                },
            ));
        }
    }
    let (domain, helo_policy, evaluations) = tokio::join!(
        walk(dns, &target.domain),
        async {
            match helo_name {
                Some(name) => Some(walk(dns, name).await),
                None => None,
            }
        },
        join_all(requests.iter().map(|(_, r)| evaluate(dns, r))),
    );
    let checks = requests
        .into_iter()
        .zip(evaluations)
        .map(|((identity, request), evaluation)| SpfCheck {
            ip: request.ip,
            identity,
            domain: request.domain,
            sender: request.sender.address(),
            evaluation,
        })
        .collect();
    SpfFacts {
        domain: Some(domain),
        helo: helo_policy,
        checks,
    }
}

/// check_host() within the RFC 7208 time limit.
pub async fn evaluate<R: Resolve>(dns: &R, request: &Request) -> Evaluation {
    match tokio::time::timeout(CHECK_HOST_TIME_LIMIT, check_host(dns, request)).await {
        Ok(evaluation) => evaluation,
        Err(_) => Evaluation {
            result: SpfResult::TempError,
            explanation: None,
            reason: Some(format!(
                "the evaluation did not finish within {} seconds",
                CHECK_HOST_TIME_LIMIT.as_secs()
            )),
            matched: None,
            lookups: 0,
            void_lookups: 0,
            trace: Vec::new(),
        },
    }
}

/// Seconds since the epoch, for `%{t}`.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The check_host() arguments of `mxdoctor spf --ip IP --sender ADDR [--helo NAME]`.
/// An empty sender is the null reverse-path: the HELO identity is checked.
pub fn command_request(
    ip: &str,
    sender: &str,
    helo: Option<&str>,
) -> Result<(Request, Identity), InvalidValue> {
    let ip = validate::ip("--ip", ip)?;
    let printable = |field: &str, value: &str, max: usize| {
        if value.len() > max || value.chars().any(|c| c.is_control()) {
            Err(InvalidValue {
                field: field.into(),
                reason: format!(
                    "{value:?} must be at most {max} characters without control characters"
                ),
            })
        } else {
            Ok(())
        }
    };
    printable("--sender", sender, 512)?;
    if let Some(h) = helo {
        printable("--helo", h, 255)?;
        if h.trim().is_empty() {
            return Err(InvalidValue {
                field: "--helo".into(),
                reason: "the HELO name is empty".into(),
            });
        }
    }
    let helo = helo.map(str::trim);
    let identity = if sender.trim().is_empty() {
        Identity::Helo
    } else {
        Identity::MailFrom
    };
    let sender = Sender::from_mail_from(sender, helo).ok_or_else(|| InvalidValue {
        field: "--sender".into(),
        reason: "an empty sender (the null reverse-path, <>) is checked against the HELO name: give --helo too".into(),
    })?;
    let request = Request {
        ip,
        domain: sender.domain.clone(),
        helo: helo.map_or_else(|| sender.domain.clone(), str::to_string),
        sender,
        receiver: RECEIVER.into(),
        timestamp: now(),
    };
    Ok((request, identity))
}

/// Fetch the TXT records of `name` and of everything it includes or redirects to, level by
/// level, plus the names its a/mx/exists terms ask about; bounded in depth and count.
pub(crate) async fn walk<R: Resolve>(dns: &R, name: &str) -> SpfPolicy {
    let root = normalize_name(name);
    let mut policy = SpfPolicy {
        name: root.clone(),
        txt: Vec::new(),
        targets: Vec::new(),
        truncated: false,
    };
    let mut fetched: HashSet<String> = HashSet::new();
    // name → (needs A/AAAA, needs MX), in discovery order.
    let mut wanted: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let mut asked: HashSet<String> = HashSet::new();
    let mut level = vec![root];
    let mut depth = 0;
    while !level.is_empty() {
        fetched.extend(level.iter().cloned());
        let pending: Vec<(String, (bool, bool))> = wanted
            .iter()
            .filter(|(n, _)| !asked.contains(*n))
            .map(|(n, w)| (n.clone(), *w))
            .collect();
        asked.extend(pending.iter().map(|(n, _)| n.clone()));
        let (answers, targets) = tokio::join!(
            join_all(level.iter().map(|n| txt_records(dns, n))),
            join_all(pending.iter().map(|(n, w)| lookup_target(dns, n, *w))),
        );
        policy.targets.extend(targets);
        let mut next = Vec::new();
        for (name, lookup) in level.iter().zip(answers) {
            discover(name, &lookup, &mut next, &mut wanted, &fetched);
            policy.txt.push(NamedTxt {
                name: name.clone(),
                lookup,
            });
        }
        depth += 1;
        next.retain(|n: &String| !fetched.contains(n));
        next.dedup();
        if !next.is_empty() && (depth > MAX_TREE_DEPTH || fetched.len() >= MAX_TREE_RECORDS) {
            policy.truncated = true;
            break;
        }
        let room = MAX_TREE_RECORDS.saturating_sub(fetched.len());
        if next.len() > room {
            next.truncate(room);
            policy.truncated = true;
        }
        level = next;
    }
    let pending: Vec<(String, (bool, bool))> = wanted
        .iter()
        .filter(|(n, _)| !asked.contains(*n))
        .take(MAX_TARGETS.saturating_sub(asked.len()))
        .map(|(n, w)| (n.clone(), *w))
        .collect();
    policy
        .targets
        .extend(join_all(pending.iter().map(|(n, w)| lookup_target(dns, n, *w))).await);
    policy
}

/// Note what a fetched record leads to: include/redirect targets and a/mx/exists names.
fn discover(
    name: &str,
    lookup: &Lookup<String>,
    next: &mut Vec<String>,
    wanted: &mut BTreeMap<String, (bool, bool)>,
    fetched: &HashSet<String>,
) {
    let spf: Vec<&String> = lookup
        .records()
        .iter()
        .filter(|r| is_spf_record(r))
        .collect();
    let [text] = spf.as_slice() else {
        return;
    };
    let Ok(record) = parse(text) else {
        return;
    };
    let summary = summarize(&record, name);
    for reference in summary.includes.iter().chain(summary.redirect.iter()) {
        if let Some(target) = &reference.target
            && !fetched.contains(target)
            && !next.contains(target)
        {
            next.push(target.clone());
        }
    }
    for target in summary.targets {
        if wanted.len() >= MAX_TARGETS && !wanted.contains_key(&target.name) {
            continue;
        }
        let entry = wanted.entry(target.name).or_insert((false, false));
        match target.kind {
            TargetKind::A | TargetKind::Exists => entry.0 = true,
            TargetKind::Mx => entry.1 = true,
        }
    }
}

async fn lookup_target<R: Resolve>(dns: &R, name: &str, (addr, mx): (bool, bool)) -> TargetLookup {
    let (a, aaaa, mx) = tokio::join!(
        async {
            if addr {
                dns.a(name).await
            } else {
                Lookup::NotAsked
            }
        },
        async {
            if addr {
                dns.aaaa(name).await
            } else {
                Lookup::NotAsked
            }
        },
        async {
            if mx {
                dns.mx(name).await
            } else {
                Lookup::NotAsked
            }
        },
    );
    TargetLookup {
        name: name.to_string(),
        a,
        aaaa,
        mx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::spf::fake_dns::FakeDns;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn walks_the_tree_and_asks_about_targets() {
        let dns = FakeDns::new(
            "example.org TXT v=spf1 a mx include:one.test redirect=ignored.test -all
             one.test TXT v=spf1 include:two.test a:host.one.test ~all
             two.test TXT v=spf1 ip4:192.0.2.0/24 -all
             example.org A 192.0.2.10
             example.org MX 10 mail.example.org
             host.one.test A 192.0.2.20",
        );
        let policy = run(walk(&dns, "Example.ORG."));
        assert_eq!(policy.name, "example.org");
        let names: Vec<&str> = policy.txt.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["example.org", "one.test", "two.test"]);
        assert!(!policy.truncated);
        let t = policy.target("example.org").unwrap();
        assert!(matches!(t.a, Lookup::Answer { .. }) && matches!(t.mx, Lookup::Answer { .. }));
        let t = policy.target("host.one.test").unwrap();
        assert_eq!(t.mx, Lookup::NotAsked);
        assert_eq!(
            t.addresses(),
            ["192.0.2.20".parse::<std::net::IpAddr>().unwrap()]
        );
    }

    #[test]
    fn the_walk_is_bounded() {
        let mut zone = String::new();
        for i in 0..40 {
            zone.push_str(&format!(
                "c{i}.test TXT v=spf1 include:c{}.test include:c{i}.test -all\n",
                i + 1
            ));
        }
        let dns = FakeDns::new(&zone);
        let policy = run(walk(&dns, "c0.test"));
        assert!(policy.truncated);
        assert!(policy.txt.len() <= MAX_TREE_DEPTH + 1);
        assert!(dns.asked().len() <= MAX_TREE_DEPTH + 2);
    }

    #[test]
    fn gathers_checks_for_every_ip_and_identity() {
        let dns = FakeDns::new(
            "example.org TXT v=spf1 ip4:192.0.2.10 -all
             mail.example.org TXT v=spf1 a -all
             mail.example.org A 192.0.2.10",
        );
        let target = Target {
            domain: "example.org".into(),
            ips: vec!["192.0.2.10".parse().unwrap(), "192.0.2.99".parse().unwrap()],
            host: Some("mail.example.org".into()),
            selectors: vec![],
        };
        let facts = run(gather_with(&dns, &target, 0));
        let got: Vec<(String, Identity, SpfResult)> = facts
            .checks
            .iter()
            .map(|c| (c.ip.to_string(), c.identity, c.evaluation.result))
            .collect();
        assert_eq!(
            got,
            [
                ("192.0.2.10".into(), Identity::MailFrom, SpfResult::Pass),
                ("192.0.2.10".into(), Identity::Helo, SpfResult::Pass),
                ("192.0.2.99".into(), Identity::MailFrom, SpfResult::Fail),
                ("192.0.2.99".into(), Identity::Helo, SpfResult::Fail),
            ]
        );
        assert_eq!(facts.helo.unwrap().name, "mail.example.org");
        assert_eq!(facts.checks[1].sender, "postmaster@mail.example.org");
    }

    #[test]
    fn command_requests() {
        let (r, id) = command_request("192.0.2.1", "user@example.org", None).unwrap();
        assert_eq!(
            (r.domain.as_str(), r.helo.as_str(), id),
            ("example.org", "example.org", Identity::MailFrom)
        );
        let (r, id) = command_request("192.0.2.1", "", Some("mx.example.org")).unwrap();
        assert_eq!(
            (r.sender.address().as_str(), id),
            ("postmaster@mx.example.org", Identity::Helo)
        );
        let (r, _) = command_request("::ffff:192.0.2.1", "example.org", Some("mx")).unwrap();
        assert_eq!(r.sender.address(), "postmaster@example.org");
        assert!(command_request("192.0.2.300", "a@b.example", None).is_err());
        assert!(command_request("192.0.2.1", "", None).is_err());
        assert!(command_request("192.0.2.1", "a@b.example\n", None).is_err());
        assert!(command_request("192.0.2.1", "a@b.example", Some("x\ry")).is_err());
    }
}
