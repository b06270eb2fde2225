//! Probe of the mta_sts area.

use crate::facts::{MtaStsFacts, Target};

use super::dns::DnsClient;

pub async fn gather(_dns: &DnsClient, _target: &Target, _tls: &super::TlsSettings) -> MtaStsFacts {
    MtaStsFacts::default()
}
