//! Helpers for unit tests: minimal facts to mutate per case.

use crate::facts::{Facts, Failure, Lookup, Target};

/// Facts for `domain` with nothing asked yet.
pub fn facts_for(domain: &str) -> Facts {
    Facts::new(Target {
        domain: domain.into(),
        ..Target::default()
    })
}

/// A lookup that timed out.
pub fn failed<T>() -> Lookup<T> {
    Lookup::Failed {
        failure: Failure::Timeout,
        detail: "no answer".into(),
    }
}

/// Explain `findings` with the built-in playbooks: panics when an id has no entry or a
/// template needs evidence the finding lacks (templates run in strict mode).
pub fn explain_all(facts: &Facts, findings: &[crate::diagnose::Finding]) {
    let assets = crate::assets::Assets::default();
    let playbooks = crate::plan::Playbooks::load(&assets).expect("built-in playbooks load");
    let renderer = crate::render::Renderer::new(&assets, false).expect("built-in templates load");
    if let Err(e) =
        crate::report::Report::build(facts.target.clone(), findings, &playbooks, &renderer)
    {
        panic!("{e}");
    }
}
