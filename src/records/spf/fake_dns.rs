//! An in-memory [`Resolve`] for unit tests, written like a tiny zone file:
//! one `name TYPE data` per line; `name TIMEOUT` makes every type without data time out.
//! PTR lines use the address as the name: `192.0.2.10 PTR mail.example.org`.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

use crate::facts::{Failure, Lookup, MxRecord};
use crate::probe::dns::Resolve;

#[derive(Default)]
pub struct FakeDns {
    records: HashMap<(String, String), Vec<String>>,
    names: HashSet<String>,
    timeouts: HashSet<String>,
    /// Every question asked, as "TYPE name".
    pub asked: Mutex<Vec<String>>,
}

impl FakeDns {
    pub fn new(zone: &str) -> Self {
        let mut dns = FakeDns::default();
        for line in zone.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut parts = line.splitn(3, ' ');
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let rtype = parts.next().unwrap_or_default().to_ascii_uppercase();
            let data = parts.next().unwrap_or_default().to_string();
            dns.names.insert(name.clone());
            if rtype == "TIMEOUT" {
                dns.timeouts.insert(name);
            } else {
                dns.records.entry((name, rtype)).or_default().push(data);
            }
        }
        dns
    }

    fn get(&self, name: &str, rtype: &str) -> Lookup<String> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(format!("{rtype} {name}"));
        }
        if let Some(records) = self.records.get(&(name.clone(), rtype.to_string())) {
            return Lookup::Answer {
                records: records.clone(),
            };
        }
        if self.timeouts.contains(&name) {
            return Lookup::Failed {
                failure: Failure::Timeout,
                detail: "no answer".into(),
            };
        }
        if self.names.contains(&name) {
            Lookup::NoData
        } else {
            Lookup::NxDomain
        }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

fn parsed<T: std::str::FromStr>(lookup: Lookup<String>) -> Lookup<T> {
    match lookup {
        Lookup::Answer { records } => Lookup::Answer {
            records: records.iter().filter_map(|r| r.parse().ok()).collect(),
        },
        Lookup::NxDomain => Lookup::NxDomain,
        Lookup::NoData => Lookup::NoData,
        Lookup::Failed { failure, detail } => Lookup::Failed { failure, detail },
        Lookup::NotAsked => Lookup::NotAsked,
    }
}

impl Resolve for FakeDns {
    async fn txt(&self, name: &str) -> Lookup<String> {
        self.get(name, "TXT")
    }

    async fn a(&self, name: &str) -> Lookup<Ipv4Addr> {
        parsed(self.get(name, "A"))
    }

    async fn aaaa(&self, name: &str) -> Lookup<Ipv6Addr> {
        parsed(self.get(name, "AAAA"))
    }

    async fn mx(&self, name: &str) -> Lookup<MxRecord> {
        self.get(name, "MX").map(|r| {
            let (pref, exchange) = r.split_once(' ').unwrap_or(("0", r.as_str()));
            MxRecord {
                preference: pref.parse().unwrap_or(0),
                exchange: exchange.trim_end_matches('.').to_ascii_lowercase(),
            }
        })
    }

    async fn cname(&self, name: &str) -> Lookup<String> {
        self.get(name, "CNAME")
    }

    async fn ptr(&self, ip: IpAddr) -> Lookup<String> {
        self.get(&ip.to_string(), "PTR")
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
    }
}
