//! Playbooks (the words and the remediation knowledge, as data) and the plan builder.

pub mod playbook;
pub mod smarthosts;
pub mod steps;

pub use playbook::{FindingText, PlaybookError, Playbooks};
pub use smarthosts::{DestinationGroup, Provider, RelayTls, Smarthosts};
pub use steps::{Condition, PlannedStep, Reason, Step, build};
