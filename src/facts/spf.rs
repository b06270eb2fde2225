//! Facts of the spf area.

use serde::{Deserialize, Serialize};

/// What was observed about spf.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpfFacts {}
