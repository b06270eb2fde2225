//! Probe of the dkim area.

use crate::facts::{DkimFacts, Target};

use super::dns::DnsClient;

pub async fn gather(_dns: &DnsClient, _target: &Target) -> DkimFacts {
    DkimFacts::default()
}
