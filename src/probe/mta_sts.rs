//! MTA-STS probe: the `_mta-sts` TXT record, then, when it announces a policy, the policy
//! file over HTTPS (see [`super::http`]).

use crate::facts::{FetchOutcome, FetchStage, Lookup, MtaStsFacts, PolicyFetch, Target};
use crate::records::mta_sts;

use super::TlsSettings;
use super::dns::{DnsClient, Resolve};
use super::http;

pub async fn gather(dns: &DnsClient, target: &Target, tls: &TlsSettings) -> MtaStsFacts {
    let domain = &target.domain;
    let txt = dns.txt(&mta_sts::txt_name(domain)).await;
    let announced = txt
        .records()
        .iter()
        .any(|t| mta_sts::is_record(t) || mta_sts::looks_like_attempt(t));
    if !announced {
        return MtaStsFacts { txt, policy: None };
    }
    let url = mta_sts::policy_url(domain);
    // Asked here for the facts; the HTTPS client asks the same (coalesced) questions.
    let host = dns.name_addresses(&mta_sts::policy_host(domain)).await;
    let outcome = if host.addresses().is_empty() {
        let failed = failure_detail(&host.a).or_else(|| failure_detail(&host.aaaa));
        match failed {
            Some(detail) => FetchOutcome::Failed {
                stage: FetchStage::DnsFailed,
                detail,
            },
            None => FetchOutcome::Failed {
                stage: FetchStage::Dns,
                detail: format!(
                    "{} has no address (A: {}, AAAA: {})",
                    host.name,
                    host.a.label(),
                    host.aaaa.label()
                ),
            },
        }
    } else {
        http::fetch(dns, tls, &url, mta_sts::MAX_POLICY_BYTES).await
    };
    MtaStsFacts {
        txt,
        policy: Some(PolicyFetch { url, host, outcome }),
    }
}

fn failure_detail<T>(lookup: &Lookup<T>) -> Option<String> {
    match lookup {
        Lookup::Failed { detail, .. } => Some(detail.clone()),
        _ => None,
    }
}
