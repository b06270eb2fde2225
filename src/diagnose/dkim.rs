//! Rules of the dkim area.

use crate::facts::Facts;

use super::Finding;

pub fn diagnose(_facts: &Facts, _out: &mut Vec<Finding>) {}
