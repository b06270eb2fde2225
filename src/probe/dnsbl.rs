//! The blocklist sweep: every (subject, list) question at once, through the one DNS client.
//!
//! Each question is an A lookup of the RFC 5782 name; the TXT record (the list's own words)
//! is asked only after an answer that is not a refusal. The probe records answers; what they
//! mean is decided by the rules from the catalog.
//!
//! Nothing serialises the sweep: hickory sends each UDP question on its own socket with no
//! cap on questions in flight (`num_concurrent_reqs` only fans one question out over several
//! name servers; `max_active_requests` only limits multiplexed TCP/TLS connections), so a
//! clean sweep takes one round trip whatever the number of lists (scripts/bench-dnsbl.sh).

use std::net::IpAddr;

use futures::future::join_all;
use indicatif::ProgressBar;

use crate::blocklist::{Blocklist, Catalog, DqsKey, Subject};
use crate::facts::{
    DnsFacts, DnsblCheck, DnsblFacts, DnsblTestPoint, Facts, Lookup, QueryLog, ReverseDns, Target,
};

use super::dns::Resolve;

/// What to ask and how to show progress.
pub struct Sweep<'a> {
    pub catalog: &'a Catalog,
    /// Ask Spamhaus through DQS with this key instead of the public mirrors.
    pub dqs_key: Option<&'a DqsKey>,
    /// Advanced by one per answered question; hidden when no bar is wanted.
    pub progress: ProgressBar,
}

/// One planned question.
struct Question<'a> {
    subject: String,
    list: &'a Blocklist,
    /// The zone as shown (never with the key).
    zone: &'a str,
    dqs: bool,
    /// The name to ask (may contain the key).
    name: String,
}

/// The subjects a `check` sweeps: every sending address and the domain.
pub fn subjects_of(target: &Target) -> Vec<Subject> {
    let mut subjects: Vec<Subject> = target.ips.iter().map(|ip| Subject::Ip(*ip)).collect();
    subjects.push(Subject::Domain(target.domain.clone()));
    subjects
}

fn plan<'a>(subjects: &[Subject], sweep: &Sweep<'a>) -> Vec<Question<'a>> {
    let with_dqs = sweep.dqs_key.is_some();
    let mut out = Vec::new();
    for subject in subjects {
        // Lists that do not hold this kind of subject (IPv4-only lists for an IPv6 address)
        // are not asked: their silence would mean nothing.
        for list in sweep
            .catalog
            .lists
            .iter()
            .filter(|l| l.is_asked(with_dqs) && l.holds(subject))
        {
            let Some((zone, dqs)) = list.zone_for(with_dqs) else {
                continue;
            };
            let asked_zone = match (dqs, sweep.dqs_key) {
                (true, Some(key)) => key.zone(zone),
                _ => zone.to_string(),
            };
            out.push(Question {
                subject: subject.as_string(),
                list,
                zone,
                dqs,
                name: subject.query_name(&asked_zone),
            });
        }
    }
    out
}

/// The test entry of every list asked about anything, once per list.
fn plan_test_points<'a>(questions: &[Question<'a>], sweep: &Sweep<'a>) -> Vec<Question<'a>> {
    let mut out: Vec<Question<'a>> = Vec::new();
    for q in questions {
        if out.iter().any(|t| t.list.id == q.list.id) {
            continue;
        }
        let Some(point) = q.list.test_point.as_deref() else {
            continue;
        };
        let Ok(subject) = Subject::parse(point) else {
            continue;
        };
        let asked_zone = match (q.dqs, sweep.dqs_key) {
            (true, Some(key)) => key.zone(q.zone),
            _ => q.zone.to_string(),
        };
        out.push(Question {
            subject: point.to_string(),
            list: q.list,
            zone: q.zone,
            dqs: q.dqs,
            name: subject.query_name(&asked_zone),
        });
    }
    out
}

/// Ask every list about every subject, and each list about its test entry, concurrently.
pub async fn sweep<R: Resolve>(dns: &R, subjects: &[Subject], sweep: &Sweep<'_>) -> DnsblFacts {
    let questions = plan(subjects, sweep);
    let test_points = plan_test_points(&questions, sweep);
    sweep
        .progress
        .set_length((questions.len() + test_points.len()) as u64);
    let (checks, test_points) = tokio::join!(
        join_all(questions.iter().map(|q| ask(dns, q, sweep))),
        join_all(test_points.iter().map(|q| ask_test_point(dns, q, sweep))),
    );
    DnsblFacts {
        checks,
        test_points,
    }
}

async fn ask_test_point<R: Resolve>(
    dns: &R,
    q: &Question<'_>,
    sweep: &Sweep<'_>,
) -> DnsblTestPoint {
    let a = dns.a(&q.name).await;
    sweep.progress.inc(1);
    let redact = |s: &str| match sweep.dqs_key {
        Some(key) => key.redact(s),
        None => s.to_string(),
    };
    DnsblTestPoint {
        list: q.list.id.clone(),
        zone: q.zone.to_string(),
        dqs: q.dqs,
        query: redact(&q.name),
        a: redact_failure(a, &redact),
    }
}

async fn ask<R: Resolve>(dns: &R, q: &Question<'_>, sweep: &Sweep<'_>) -> DnsblCheck {
    let a = dns.a(&q.name).await;
    let worth_a_txt = a.records().iter().any(|code| !q.list.is_refusal(*code));
    let txt = if worth_a_txt {
        dns.txt(&q.name).await
    } else {
        Lookup::NotAsked
    };
    sweep.progress.inc(1);
    let redact = |s: &str| match sweep.dqs_key {
        Some(key) => key.redact(s),
        None => s.to_string(),
    };
    DnsblCheck {
        subject: q.subject.clone(),
        list: q.list.id.clone(),
        zone: q.zone.to_string(),
        dqs: q.dqs,
        query: redact(&q.name),
        a: redact_failure(a, &redact),
        txt: redact_failure(txt, &redact).map(|t| redact(&t)),
    }
}

fn redact_failure<T>(lookup: Lookup<T>, redact: &impl Fn(&str) -> String) -> Lookup<T> {
    match lookup {
        Lookup::Failed { failure, detail } => Lookup::Failed {
            failure,
            detail: redact(&detail),
        },
        other => other,
    }
}

/// The query log with any DQS key replaced, fit for a facts file.
pub fn redact_queries(log: Vec<QueryLog>, key: Option<&DqsKey>) -> Vec<QueryLog> {
    let Some(key) = key else { return log };
    log.into_iter()
        .map(|q| QueryLog {
            name: key.redact(&q.name),
            outcome: key.redact(&q.outcome),
            ..q
        })
        .collect()
}

/// Facts for `mxdoctor blocklist`: the sweep and, when `with_ptr` (the delisting checklists
/// name it), the PTR of each address, asked concurrently.
pub async fn blocklist_facts(
    dns: &super::dns::DnsClient,
    target: &Target,
    subjects: &[Subject],
    settings: &Sweep<'_>,
    with_ptr: bool,
) -> Facts {
    let ips: Vec<IpAddr> = subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Ip(ip) if with_ptr => Some(*ip),
            _ => None,
        })
        .collect();
    let (dnsbl, reverse) = tokio::join!(
        sweep(dns, subjects, settings),
        join_all(ips.iter().map(|ip| async move {
            ReverseDns {
                ip: *ip,
                ptr: dns.ptr(*ip).await,
                forward: Vec::new(),
            }
        })),
    );
    Facts {
        dns: DnsFacts {
            reverse,
            dnsbl,
            ..DnsFacts::default()
        },
        queries: redact_queries(dns.query_log(), settings.dqs_key),
        ..Facts::new(target.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::facts::{Failure, MxRecord};
    use crate::plan::Playbooks;
    use std::collections::HashMap;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::Mutex;

    /// Answers from a table; records every name asked.
    #[derive(Default)]
    struct Table {
        a: HashMap<String, Lookup<Ipv4Addr>>,
        asked: Mutex<Vec<String>>,
    }

    impl Resolve for Table {
        async fn txt(&self, name: &str) -> Lookup<String> {
            self.asked.lock().unwrap().push(format!("TXT {name}"));
            Lookup::Answer {
                records: vec![format!("see https://example.test/{name}")],
            }
        }
        async fn a(&self, name: &str) -> Lookup<Ipv4Addr> {
            self.asked.lock().unwrap().push(format!("A {name}"));
            self.a.get(name).cloned().unwrap_or(Lookup::NxDomain)
        }
        async fn aaaa(&self, _: &str) -> Lookup<Ipv6Addr> {
            Lookup::NotAsked
        }
        async fn mx(&self, _: &str) -> Lookup<MxRecord> {
            Lookup::NotAsked
        }
        async fn ptr(&self, _: IpAddr) -> Lookup<String> {
            Lookup::NotAsked
        }
    }

    fn catalog() -> Catalog {
        Playbooks::load(&Assets::default()).unwrap().blocklists
    }

    #[tokio::test]
    async fn asks_each_list_that_holds_the_subject_and_txt_only_after_a_listing() {
        let catalog = catalog();
        let mut table = Table::default();
        table.a.insert(
            "2.0.0.127.zen.spamhaus.org".into(),
            Lookup::Answer {
                records: vec!["127.0.0.2".parse().unwrap()],
            },
        );
        table.a.insert(
            "example.org.dbl.spamhaus.org".into(),
            Lookup::Answer {
                records: vec!["127.255.255.254".parse().unwrap()],
            },
        );
        let settings = Sweep {
            catalog: &catalog,
            dqs_key: None,
            progress: ProgressBar::hidden(),
        };
        let subjects = [
            Subject::Ip("127.0.0.2".parse().unwrap()),
            Subject::Ip("2001:db8::1".parse().unwrap()),
            Subject::Domain("example.org".into()),
        ];
        let facts = sweep(&table, &subjects, &settings).await;
        let asked = table.asked.lock().unwrap().clone();
        let v4_lists = catalog
            .lists
            .iter()
            .filter(|l| l.is_asked(false) && l.holds(&subjects[0]))
            .count();
        let v6_lists: Vec<&str> = facts
            .checks
            .iter()
            .filter(|c| c.subject == "2001:db8::1")
            .map(|c| c.list.as_str())
            .collect();
        assert!(v4_lists >= 8);
        assert_eq!(v6_lists, ["spamhaus-zen"], "IPv4-only lists are not asked");
        assert!(asked.contains(&"TXT 2.0.0.127.zen.spamhaus.org".to_string()));
        assert!(!asked.iter().any(|q| q.starts_with("TXT example.org")));
        assert_eq!(
            settings.progress.position(),
            (facts.checks.len() + facts.test_points.len()) as u64
        );
        let points: Vec<&str> = facts.test_points.iter().map(|t| t.query.as_str()).collect();
        assert!(points.contains(&"2.0.0.127.zen.spamhaus.org"), "{points:?}");
        assert!(
            points.contains(&"dbltest.com.dbl.spamhaus.org"),
            "{points:?}"
        );
        assert!(!facts.checks.iter().any(|c| c.list == "spamhaus-zrd"));
    }

    #[tokio::test]
    async fn with_a_dqs_key_spamhaus_is_asked_through_dqs_and_the_key_never_recorded() {
        let catalog = catalog();
        let key = DqsKey::parse("abcdefghijklmnopqrstuvwxyz").unwrap();
        let mut table = Table::default();
        table.a.insert(
            "example.org.abcdefghijklmnopqrstuvwxyz.dbl.dq.spamhaus.net".into(),
            Lookup::Failed {
                failure: Failure::ServFail,
                detail: "example.org.abcdefghijklmnopqrstuvwxyz.dbl.dq.spamhaus.net failed".into(),
            },
        );
        let settings = Sweep {
            catalog: &catalog,
            dqs_key: Some(&key),
            progress: ProgressBar::hidden(),
        };
        let subjects = [
            Subject::Ip("192.0.2.1".parse().unwrap()),
            Subject::Domain("example.org".into()),
        ];
        let facts = sweep(&table, &subjects, &settings).await;
        let asked = table.asked.lock().unwrap().clone();
        assert!(
            asked.contains(&"A 1.2.0.192.abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net".into())
        );
        assert!(
            asked.contains(&"A example.org.abcdefghijklmnopqrstuvwxyz.zrd.dq.spamhaus.net".into())
        );
        assert!(!asked.iter().any(|q| q.contains("spamhaus.org")));
        let json = serde_json::to_string(&facts).unwrap();
        assert!(!json.contains("abcdefghijklmnopqrstuvwxyz"), "{json}");
        assert!(json.contains("<dqs-key>.zen.dq.spamhaus.net"));
        let zen = facts
            .checks
            .iter()
            .find(|c| c.list == "spamhaus-zen")
            .unwrap();
        assert_eq!(zen.zone, "zen.dq.spamhaus.net");
        assert!(zen.dqs);
    }
}
