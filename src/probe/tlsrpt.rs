//! TLS-RPT probe: the `_smtp._tls` TXT record.

use crate::facts::{Target, TlsRptFacts};
use crate::records::tlsrpt;

use super::dns::{DnsClient, Resolve};

pub async fn gather(dns: &DnsClient, target: &Target) -> TlsRptFacts {
    TlsRptFacts {
        txt: dns.txt(&tlsrpt::txt_name(&target.domain)).await,
    }
}
