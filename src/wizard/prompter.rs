//! How the wizard asks: the [`Prompter`] trait, its terminal implementation on inquire, and
//! a scripted one for tests. Prompters know nothing about answers: they show a message, a
//! help line and a default, and run the validator they are given (the same code that checks
//! flags and answers files).

use std::fmt;
use std::sync::Arc;

/// The user pressed Ctrl-C or Esc: the run stops, nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// A validator: Ok, or the reason the value is refused (shown under the prompt).
pub type Check = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// A secret typed at a prompt. It has no `Display`, and its `Debug` shows nothing, so it
/// cannot end up in a message or a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself, for the one place that writes it (postfix/sasl_passwd).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// What a prompt shows.
#[derive(Clone, Debug)]
pub struct Prompt<'a> {
    /// The question's key (the answer key, or a wizard step such as `fixes`).
    pub key: &'a str,
    pub message: &'a str,
    /// One line under the prompt, naming the flag that answers it.
    pub help: &'a str,
}

/// Asks questions. Every method returns [`Cancelled`] on Ctrl-C or Esc.
pub trait Prompter {
    /// Free text; `default` is taken on an empty Enter; `check` refuses bad values.
    fn text(
        &mut self,
        p: &Prompt<'_>,
        default: Option<&str>,
        check: Check,
    ) -> Result<String, Cancelled>;
    fn confirm(&mut self, p: &Prompt<'_>, default: bool) -> Result<bool, Cancelled>;
    /// One of `options`; returns its index.
    fn select(
        &mut self,
        p: &Prompt<'_>,
        options: &[String],
        default: usize,
    ) -> Result<usize, Cancelled>;
    /// Any of `options`; returns the chosen indexes in order. `summary` is the answer line
    /// once chosen, with `{count}` and `{total}` replaced.
    fn multi_select(
        &mut self,
        p: &Prompt<'_>,
        options: &[String],
        selected: &[usize],
        summary: &str,
    ) -> Result<Vec<usize>, Cancelled>;
    /// A secret, masked while typed and never echoed.
    fn secret(&mut self, p: &Prompt<'_>, check: Check) -> Result<Secret, Cancelled>;
}

/// The terminal prompter (inquire).
pub struct InquirePrompter;

fn stop(e: inquire::InquireError) -> Cancelled {
    // Esc, Ctrl-C and a terminal that went away all end the run the same way: nothing
    // written, exit 130.
    let _ = e;
    Cancelled
}

fn validator(
    check: Check,
) -> impl Fn(&str) -> Result<inquire::validator::Validation, inquire::CustomUserError> + Clone {
    move |input: &str| {
        Ok(match check(input) {
            Ok(()) => inquire::validator::Validation::Valid,
            Err(reason) => inquire::validator::Validation::Invalid(reason.into()),
        })
    }
}

impl Prompter for InquirePrompter {
    fn text(
        &mut self,
        p: &Prompt<'_>,
        default: Option<&str>,
        check: Check,
    ) -> Result<String, Cancelled> {
        let mut prompt = inquire::Text::new(p.message)
            .with_help_message(p.help)
            .with_validator(validator(check));
        if let Some(d) = default {
            prompt = prompt.with_default(d);
        }
        prompt.prompt().map_err(stop)
    }

    fn confirm(&mut self, p: &Prompt<'_>, default: bool) -> Result<bool, Cancelled> {
        inquire::Confirm::new(p.message)
            .with_help_message(p.help)
            .with_default(default)
            .prompt()
            .map_err(stop)
    }

    fn select(
        &mut self,
        p: &Prompt<'_>,
        options: &[String],
        default: usize,
    ) -> Result<usize, Cancelled> {
        inquire::Select::new(p.message, options.to_vec())
            .with_help_message(p.help)
            .with_starting_cursor(default.min(options.len().saturating_sub(1)))
            .with_page_size(12)
            .raw_prompt()
            .map(|choice| choice.index)
            .map_err(stop)
    }

    fn multi_select(
        &mut self,
        p: &Prompt<'_>,
        options: &[String],
        selected: &[usize],
        summary: &str,
    ) -> Result<Vec<usize>, Cancelled> {
        let total = options.len();
        let format = move |chosen: &[inquire::list_option::ListOption<&String>]| {
            summary
                .replace("{count}", &chosen.len().to_string())
                .replace("{total}", &total.to_string())
        };
        inquire::MultiSelect::new(p.message, options.to_vec())
            .with_help_message(p.help)
            .with_default(selected)
            .with_formatter(&format)
            .with_page_size(14)
            .raw_prompt()
            .map(|chosen| chosen.into_iter().map(|c| c.index).collect())
            .map_err(stop)
    }

    fn secret(&mut self, p: &Prompt<'_>, check: Check) -> Result<Secret, Cancelled> {
        let check = move |input: &str| {
            Ok(match check(input) {
                Ok(()) => inquire::validator::Validation::Valid,
                Err(reason) => inquire::validator::Validation::Invalid(reason.into()),
            })
        };
        inquire::Password::new(p.message)
            .with_help_message(p.help)
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .without_confirmation()
            .with_validator(check)
            .prompt()
            .map(Secret::new)
            .map_err(stop)
    }
}

/// A prompter that plays back scripted replies, for tests. It panics on a question it was
/// not told to expect, so a test also proves which questions were asked, in which order.
#[cfg(test)]
pub mod scripted {
    use std::collections::VecDeque;

    use super::*;

    #[derive(Clone, Debug)]
    pub enum Reply {
        /// Type this (text, or a secret).
        Type(String),
        /// Press Enter on the default.
        Enter,
        Yes,
        No,
        /// Pick the option whose label contains this.
        Pick(String),
        /// Pick exactly the options whose labels contain these.
        PickAll(Vec<String>),
        /// Press Esc.
        Cancel,
    }

    #[derive(Default)]
    pub struct ScriptedPrompter {
        script: VecDeque<(String, Reply)>,
        /// Every prompt shown: (key, message, help, default).
        pub shown: Vec<(String, String, String, Option<String>)>,
        /// Values a validator refused.
        pub refused: Vec<(String, String)>,
    }

    impl ScriptedPrompter {
        pub fn new(script: &[(&str, Reply)]) -> Self {
            ScriptedPrompter {
                script: script
                    .iter()
                    .map(|(k, r)| (k.to_string(), r.clone()))
                    .collect(),
                ..Default::default()
            }
        }

        pub fn finished(&self) -> bool {
            self.script.is_empty()
        }

        fn next(&mut self, p: &Prompt<'_>, default: Option<String>) -> Reply {
            self.shown.push((
                p.key.to_string(),
                p.message.to_string(),
                p.help.to_string(),
                default,
            ));
            let (key, reply) = self.script.pop_front().unwrap_or_else(|| {
                panic!("unexpected question {:?}: the script is finished", p.key)
            });
            assert_eq!(
                key, p.key,
                "the wizard asked {:?} where the script expects {key:?}",
                p.key
            );
            reply
        }
    }

    impl Prompter for ScriptedPrompter {
        fn text(
            &mut self,
            p: &Prompt<'_>,
            default: Option<&str>,
            check: Check,
        ) -> Result<String, Cancelled> {
            loop {
                let value = match self.next(p, default.map(str::to_string)) {
                    Reply::Cancel => return Err(Cancelled),
                    Reply::Enter => default.unwrap_or("").to_string(),
                    Reply::Type(v) => v,
                    other => panic!("{}: {other:?} is no reply to a text prompt", p.key),
                };
                match check(&value) {
                    Ok(()) => return Ok(value),
                    // Like the terminal: the prompt stays and asks again.
                    Err(reason) => self.refused.push((p.key.to_string(), reason)),
                }
            }
        }

        fn confirm(&mut self, p: &Prompt<'_>, default: bool) -> Result<bool, Cancelled> {
            match self.next(p, Some(if default { "yes" } else { "no" }.into())) {
                Reply::Cancel => Err(Cancelled),
                Reply::Enter => Ok(default),
                Reply::Yes => Ok(true),
                Reply::No => Ok(false),
                other => panic!("{}: {other:?} is no reply to a yes/no prompt", p.key),
            }
        }

        fn select(
            &mut self,
            p: &Prompt<'_>,
            options: &[String],
            default: usize,
        ) -> Result<usize, Cancelled> {
            match self.next(p, options.get(default).cloned()) {
                Reply::Cancel => Err(Cancelled),
                Reply::Enter => Ok(default),
                Reply::Pick(label) => Ok(options
                    .iter()
                    .position(|o| o.contains(&label))
                    .unwrap_or_else(|| panic!("{}: no option {label:?} in {options:?}", p.key))),
                other => panic!("{}: {other:?} is no reply to a choice", p.key),
            }
        }

        fn multi_select(
            &mut self,
            p: &Prompt<'_>,
            options: &[String],
            selected: &[usize],
            _summary: &str,
        ) -> Result<Vec<usize>, Cancelled> {
            let default: Vec<&str> = selected
                .iter()
                .filter_map(|i| options.get(*i))
                .map(String::as_str)
                .collect();
            match self.next(p, Some(default.join(" | "))) {
                Reply::Cancel => Err(Cancelled),
                Reply::Enter => Ok(selected.to_vec()),
                Reply::PickAll(labels) => Ok(options
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| labels.iter().any(|l| o.contains(l.as_str())))
                    .map(|(i, _)| i)
                    .collect()),
                other => panic!("{}: {other:?} is no reply to a multiple choice", p.key),
            }
        }

        fn secret(&mut self, p: &Prompt<'_>, check: Check) -> Result<Secret, Cancelled> {
            loop {
                let value = match self.next(p, None) {
                    Reply::Cancel => return Err(Cancelled),
                    Reply::Type(v) => v,
                    other => panic!("{}: {other:?} is no reply to a secret prompt", p.key),
                };
                match check(&value) {
                    Ok(()) => return Ok(Secret::new(value)),
                    Err(reason) => self.refused.push((p.key.to_string(), reason)),
                }
            }
        }
    }
}
