//! Playbooks: the words and the remediation knowledge, as data.

pub mod playbook;

pub use playbook::{FindingText, PlaybookError, Playbooks};
