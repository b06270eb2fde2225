//! Facts of the mta_sts area.

use serde::{Deserialize, Serialize};

/// What was observed about mta_sts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MtaStsFacts {}
