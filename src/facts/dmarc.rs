//! Facts of the dmarc area.

use serde::{Deserialize, Serialize};

/// What was observed about dmarc.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DmarcFacts {}
