//! Facts of the tlsrpt area.

use serde::{Deserialize, Serialize};

/// What was observed about tlsrpt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsRptFacts {}
