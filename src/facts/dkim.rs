//! Facts of the dkim area.

use serde::{Deserialize, Serialize};

/// What was observed about dkim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DkimFacts {}
