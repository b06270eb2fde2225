//! Exit codes: a contract with scripts (see `mxdoctor --help`).

use crate::report::Outcome;

/// Nothing to fix.
pub const CLEAN: u8 = 0;
/// Warnings, nothing critical.
pub const WARNINGS: u8 = 1;
/// The tool itself failed: bad usage, unreadable input, unwritable output.
pub const FAILURE: u8 = 2;
/// At least one critical finding.
pub const CRITICAL: u8 = 3;
/// Nothing critical, but some checks could not complete.
pub const INCOMPLETE: u8 = 4;
/// Cancelled by the user (Ctrl-C, Esc).
pub const CANCELLED: u8 = 130;

pub fn from_outcome(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Clean => CLEAN,
        Outcome::Warnings => WARNINGS,
        Outcome::Critical => CRITICAL,
        Outcome::Incomplete => INCOMPLETE,
    }
}
