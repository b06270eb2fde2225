//! Filling [`Hints`] (what the defaults of the questions come from) from what the probes
//! found: this machine, its Postfix, the domain's DNS, the check's facts. Pure.

use crate::answers::questions::{Hints, relay_host};
use crate::answers::validate;
use crate::facts::{FetchOutcome, Lookup, MxRecord, NameAddresses, PostfixFacts, PublicAddresses};
use crate::generate::existing::{Existing, dmarc_tag};
use crate::plan::Smarthosts;
use crate::probe::host::EnvObservation;
use crate::recommend::Recommendation;
use crate::records::{dkim, mta_sts};

/// This machine's name and public addresses.
pub fn add_env(h: &mut Hints, env: &EnvObservation) {
    if let Some(fqdn) = env.hostname.as_ref().and_then(|n| n.fqdn.clone()) {
        h.fqdn = Some(fqdn);
    }
    if let PublicAddresses::Detected { v4, v6 } = &env.public {
        h.public_v4 = v4.address.and_then(|ip| match ip {
            std::net::IpAddr::V4(v4) => Some(v4),
            std::net::IpAddr::V6(_) => None,
        });
        h.public_v6 = v6.address.and_then(|ip| match ip {
            std::net::IpAddr::V6(v6) => Some(v6),
            std::net::IpAddr::V4(_) => None,
        });
    }
}

/// Postfix's idea of the domain, the host name and the relay.
pub fn add_postfix(h: &mut Hints, postfix: &PostfixFacts, smarthosts: &Smarthosts) {
    let PostfixFacts::Read(config) = postfix else {
        return;
    };
    let value = |name: &str| {
        let v = config.main(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    h.postfix_mydomain = value("mydomain");
    h.postfix_myhostname = value("myhostname");
    h.postfix_relayhost = value("relayhost");
    h.relay_preset = h.postfix_relayhost.as_deref().and_then(|relay| {
        let host = relay_host(relay);
        smarthosts
            .providers
            .iter()
            .find(|(_, p)| {
                p.host
                    .as_deref()
                    .is_some_and(|ph| ph.eq_ignore_ascii_case(&host))
            })
            .map(|(id, _)| id.clone())
    });
}

/// The domain's MX hosts as published now, most preferred first.
pub fn add_mx(h: &mut Hints, mx: &Lookup<MxRecord>) {
    let mut records: Vec<&MxRecord> = mx
        .records()
        .iter()
        .filter(|r| !r.exchange.is_empty())
        .collect();
    records.sort_by_key(|r| r.preference);
    h.mx_hosts = records.iter().map(|r| r.exchange.clone()).collect();
}

/// The addresses the mail host name resolves to now.
pub fn add_host(h: &mut Hints, host: &NameAddresses) {
    h.host_v4 = host.a.records().to_vec();
    h.host_v6 = host.aaaa.records().to_vec();
}

/// What the check found published, and what it recommends.
pub fn add_facts(h: &mut Hints, facts: &crate::facts::Facts, advice: &Recommendation) {
    h.dkim_selectors = facts
        .dns
        .dkim
        .selectors
        .iter()
        .filter(|s| {
            s.txt.records().iter().any(|txt| {
                dkim::looks_like_key(txt) && !matches!(dkim::check(txt).key, dkim::Key::Revoked)
            })
        })
        .map(|s| s.selector.clone())
        .collect();
    h.dmarc_rua = Existing::from_facts(facts)
        .dmarc
        .as_deref()
        .and_then(|record| dmarc_tag(record, "rua"))
        .and_then(|rua| rua.split(',').next())
        .map(|uri| uri.trim().trim_start_matches("mailto:"))
        .map(|addr| addr.split('!').next().unwrap_or(addr))
        .and_then(|addr| validate::report_address("dmarc.rua", addr).ok());
    h.mta_sts_mode = facts
        .dns
        .mta_sts
        .policy
        .as_ref()
        .and_then(|fetch| match &fetch.outcome {
            FetchOutcome::Response {
                status: 200,
                body: Some(body),
                ..
            } => mta_sts::parse_policy(body)
                .mode
                .map(|m| m.as_str().to_string()),
            _ => None,
        });
    h.outbound = Some(advice.outbound.to_string());
    h.smarthost_destinations = advice.destinations.clone();
}

/// The current year (UTC), for a new selector's name; from the days since 1970
/// (Howard Hinnant's civil-from-days).
pub fn year_now() -> Option<i32> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(year_of_day((secs / 86_400) as i64))
}

fn year_of_day(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(365), 1971);
        // 2025-11-24, 2024-12-31 and 2025-01-01.
        assert_eq!(year_of_day(20_416), 2025);
        assert_eq!(year_of_day(20_088), 2024);
        assert_eq!(year_of_day(20_089), 2025);
        assert!(year_now().unwrap() >= 2025);
    }

    #[test]
    fn postfix_gives_domain_host_and_relay_preset() {
        use crate::assets::Assets;
        use crate::facts::PostfixConfig;
        let smarthosts = crate::plan::Playbooks::load(&Assets::default())
            .unwrap()
            .smarthosts;
        let mut config = PostfixConfig::default();
        for (k, v) in [
            ("mydomain", "example.org"),
            ("myhostname", "mx.example.org"),
            ("relayhost", "[smtp.sendgrid.net]:587"),
        ] {
            config.effective.insert(k.into(), v.into());
        }
        let mut h = Hints::default();
        add_postfix(&mut h, &PostfixFacts::Read(config), &smarthosts);
        assert_eq!(h.postfix_mydomain.as_deref(), Some("example.org"));
        assert_eq!(h.postfix_myhostname.as_deref(), Some("mx.example.org"));
        assert_eq!(h.relay_preset.as_deref(), Some("sendgrid"));
    }

    #[test]
    fn dns_hints_sort_mx_by_preference() {
        let mut h = Hints::default();
        let mx = Lookup::Answer {
            records: vec![
                MxRecord {
                    preference: 20,
                    exchange: "b.example.org".into(),
                },
                MxRecord {
                    preference: 10,
                    exchange: "a.example.org".into(),
                },
            ],
        };
        add_mx(&mut h, &mx);
        assert_eq!(h.mx_hosts, vec!["a.example.org", "b.example.org"]);
    }
}
