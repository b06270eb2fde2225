//! Facts of the TLS-RPT area.

use serde::{Deserialize, Serialize};

use super::Lookup;

/// What was observed about SMTP TLS reporting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsRptFacts {
    /// TXT records at `_smtp._tls.<domain>`.
    #[serde(default)]
    pub txt: Lookup<String>,
}
