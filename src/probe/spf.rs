//! Probe of the spf area.

use crate::facts::{SpfFacts, Target};

use super::dns::DnsClient;

pub async fn gather(_dns: &DnsClient, _target: &Target) -> SpfFacts {
    SpfFacts::default()
}
