//! Probe of the tlsrpt area.

use crate::facts::{Target, TlsRptFacts};

use super::dns::DnsClient;

pub async fn gather(_dns: &DnsClient, _target: &Target) -> TlsRptFacts {
    TlsRptFacts::default()
}
