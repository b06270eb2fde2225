//! Probe of the dmarc area.

use crate::facts::{DmarcFacts, Target};

use super::dns::DnsClient;

pub async fn gather(_dns: &DnsClient, _target: &Target) -> DmarcFacts {
    DmarcFacts::default()
}
