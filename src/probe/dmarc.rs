//! DMARC probe: the records of the DNS Tree Walk above the domain (asked all at once), then,
//! for every report destination of the applying record in another domain, that domain's tree
//! walk and its authorization record (RFC 7489 §7.1).

use futures::future::join_all;

use crate::facts::{DmarcFacts, DmarcTxt, ReportDestination, Target};
use crate::records::dmarc::{self, DMARC_PREFIX, Walk};

use super::dns::{DnsClient, Resolve};

/// Upper bound on the report destinations looked into.
const MAX_DESTINATIONS: usize = 10;

pub async fn gather(dns: &DnsClient, target: &Target) -> DmarcFacts {
    let own_walk = walk(dns, &target.domain).await;
    let records = records_of(&own_walk);
    let Some((policy_domain, record)) = records.applying() else {
        return DmarcFacts {
            walk: own_walk,
            destinations: Vec::new(),
        };
    };
    let mut domains: Vec<String> = record
        .destinations()
        .filter_map(|uri| uri.domain.clone())
        .filter(|d| d != policy_domain)
        .collect();
    domains.sort();
    domains.dedup();
    domains.truncate(MAX_DESTINATIONS);
    let destinations = join_all(domains.into_iter().map(|domain| async move {
        let authorization_name = dmarc::authorization_name(policy_domain, &domain);
        let (walk, authorization) = tokio::join!(walk(dns, &domain), dns.txt(&authorization_name));
        ReportDestination {
            domain,
            walk,
            authorization_name,
            authorization,
        }
    }))
    .await;
    DmarcFacts {
        walk: own_walk,
        destinations,
    }
}

/// `_dmarc.<name>` for every name of the tree walk of `domain`, concurrently.
async fn walk(dns: &DnsClient, domain: &str) -> Vec<DmarcTxt> {
    join_all(
        dmarc::tree_walk(domain)
            .into_iter()
            .map(|domain| async move {
                let txt = dns.txt(&format!("{DMARC_PREFIX}{domain}")).await;
                DmarcTxt { domain, txt }
            }),
    )
    .await
}

/// The records of a walk as the record module reads them.
fn records_of(walk: &[DmarcTxt]) -> Walk {
    Walk::new(walk.iter().map(|l| (l.domain.as_str(), l.txt.records())))
}
