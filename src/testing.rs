//! Helpers for unit tests: minimal facts to mutate per case.

use crate::facts::{DnsFacts, FACTS_SCHEMA, Facts, Failure, Lookup, Target};

/// Facts for `domain` with nothing asked yet.
pub fn facts_for(domain: &str) -> Facts {
    Facts {
        schema: FACTS_SCHEMA.into(),
        target: Target {
            domain: domain.into(),
            ..Target::default()
        },
        dns: DnsFacts::default(),
        smtp: Default::default(),
        env: Default::default(),
        postfix: Default::default(),
        queries: Vec::new(),
    }
}

/// A lookup that timed out.
pub fn failed<T>() -> Lookup<T> {
    Lookup::Failed {
        failure: Failure::Timeout,
        detail: "no answer".into(),
    }
}
