//! Asking for what is still open, one question of the table at a time.
//!
//! An answer is open when neither a flag nor the answers file gave it (an answers file
//! stands for its optional answers too: what it leaves out is "none"), and the answers so
//! far make the question relevant. Each open question is asked through the [`Prompter`],
//! answered with its default (`--yes`), or reported missing (no terminal).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::answers::AnswerLayer;
use crate::answers::questions::{Hints, Kind, QUESTIONS, Question, Stage};
use crate::plan::Smarthosts;

use super::prompter::{Cancelled, Check, Prompt, Prompter, Secret};
use super::words::Words;

/// How open questions get their answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Prompt on the terminal.
    Ask,
    /// Take the defaults (`--yes`); a question without one is missing.
    Defaults,
    /// Ask nothing, take nothing: every open question is missing (no terminal).
    Report,
}

/// The answers being gathered.
#[derive(Clone, Debug, Default)]
pub struct Answering {
    pub layer: AnswerLayer,
    /// Keys answered by a flag, the file, a prompt or a default taken.
    answered: BTreeSet<&'static str>,
    /// Keys the user was asked at a prompt.
    pub asked: Vec<&'static str>,
    /// The smarthost password typed at the prompt (never in `layer`).
    pub password: Option<Secret>,
}

impl Answering {
    /// Start from the flags over the answers file.
    pub fn new(
        flags: AnswerLayer,
        file: Option<AnswerLayer>,
        smarthosts: Option<&Smarthosts>,
    ) -> Self {
        let file_given = file.is_some();
        let file = file.unwrap_or_default();
        let layer = flags.clone().merge(file.clone());
        let mut answered = BTreeSet::new();
        for q in QUESTIONS {
            let optional_in_file = file_given
                && smarthosts.is_none_or(|s| q.is_optional(&layer, s))
                && !matches!(q.optional, crate::answers::questions::Optional::No);
            if q.is_set(&flags) || q.is_set(&file) || optional_in_file {
                answered.insert(q.key);
            }
        }
        Answering {
            layer,
            answered,
            asked: Vec::new(),
            password: None,
        }
    }

    pub fn is_answered(&self, q: &Question) -> bool {
        self.answered.contains(q.key)
    }

    /// The next open question of `stage`, in table order.
    pub fn next_open(&self, stage: Stage, smarthosts: &Smarthosts) -> Option<&'static Question> {
        QUESTIONS.iter().find(|q| {
            q.stage == stage && !self.is_answered(q) && q.applies(&self.layer, smarthosts)
        })
    }

    /// Mark a question answered without a value (skipped as missing, or left empty).
    pub fn settle(&mut self, q: &'static Question) {
        self.answered.insert(q.key);
    }
}

/// What became of one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    /// No terminal to ask on and no default to take: the flag must be given.
    Missing,
}

/// Answer one open question.
pub fn answer(
    q: &'static Question,
    state: &mut Answering,
    hints: &Hints,
    smarthosts: &Smarthosts,
    words: &Words,
    prompter: &mut dyn Prompter,
    mode: Mode,
) -> Result<Outcome, Cancelled> {
    let optional = q.is_optional(&state.layer, smarthosts);
    let default = q
        .default(hints, &state.layer)
        .filter(|d| q.check(d, optional).is_ok());
    let outcome = match mode {
        Mode::Report => Outcome::Missing,
        Mode::Defaults => match (&default, q.kind) {
            (_, Kind::Secret) => Outcome::Missing,
            (Some(d), _) => {
                store(q, state, d);
                Outcome::Answered
            }
            (None, _) if optional => Outcome::Answered,
            (None, _) => Outcome::Missing,
        },
        Mode::Ask => {
            prompt(
                q,
                state,
                default.as_deref(),
                optional,
                smarthosts,
                words,
                prompter,
            )?;
            state.asked.push(q.key);
            Outcome::Answered
        }
    };
    state.settle(q);
    Ok(outcome)
}

/// Answer every open question of `stage` in turn (defaults from `hints` as they are);
/// returns the questions found missing.
pub fn stage(
    stage: Stage,
    state: &mut Answering,
    hints: &Hints,
    smarthosts: &Smarthosts,
    words: &Words,
    prompter: &mut dyn Prompter,
    mode: Mode,
) -> Result<Vec<&'static Question>, Cancelled> {
    let mut missing = Vec::new();
    while let Some(q) = state.next_open(stage, smarthosts) {
        if answer(q, state, hints, smarthosts, words, prompter, mode)? == Outcome::Missing {
            missing.push(q);
        }
    }
    Ok(missing)
}

/// Store a value that passed `q.check`; an empty optional answer stores "none" where the
/// answer has such a value (report addresses) and nothing otherwise.
fn store(q: &Question, state: &mut Answering, value: &str) {
    let value = value.trim();
    // The value was checked by the prompt's validator (or is a checked default).
    let _ = q.set(&mut state.layer, value);
}

fn prompt(
    q: &'static Question,
    state: &mut Answering,
    default: Option<&str>,
    optional: bool,
    smarthosts: &Smarthosts,
    words: &Words,
    prompter: &mut dyn Prompter,
) -> Result<(), Cancelled> {
    let w = words.question(q.key);
    let help = if optional && !matches!(q.kind, Kind::Bool | Kind::Choice(_) | Kind::Preset) {
        format!("{} {}", w.help, words.optional)
    } else {
        w.help.clone()
    };
    let help = words.help_line(&help, q.flag);
    let p = Prompt {
        key: q.key,
        message: &w.prompt,
        help: &help,
    };
    let check: Check = Arc::new(move |v: &str| q.check(v, optional).map_err(|e| e.reason));
    match q.kind {
        Kind::Bool => {
            let yes = prompter.confirm(&p, default.is_none_or(|d| d == "yes"))?;
            store(q, state, if yes { "yes" } else { "no" });
        }
        Kind::Choice(values) => {
            let labels: Vec<String> = values
                .iter()
                .map(|v| w.choices.get(*v).cloned().unwrap_or_else(|| v.to_string()))
                .collect();
            let start = default
                .and_then(|d| values.iter().position(|v| *v == d))
                .unwrap_or(0);
            let i = prompter.select(&p, &labels, start)?;
            store(q, state, values[i.min(values.len() - 1)]);
        }
        Kind::Preset => {
            let ids: Vec<&String> = smarthosts.providers.keys().collect();
            let labels: Vec<String> = smarthosts
                .providers
                .iter()
                .map(|(id, p)| format!("{} ({id})", p.name))
                .collect();
            let start = default
                .and_then(|d| ids.iter().position(|id| *id == d))
                .unwrap_or(0);
            let i = prompter.select(&p, &labels, start)?;
            if let Some(id) = ids.get(i) {
                store(q, state, id);
            }
        }
        Kind::Secret => {
            state.password = Some(prompter.secret(&p, check)?);
        }
        Kind::Text | Kind::List | Kind::Number | Kind::Path => {
            let value = prompter.text(&p, default, check)?;
            if !value.trim().is_empty() || q.set(&mut AnswerLayer::default(), "").is_ok() {
                store(q, state, &value);
            }
        }
    }
    Ok(())
}
