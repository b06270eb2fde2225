//! The wizard's words (`playbooks/wizard.yaml`): prompts and help for every question,
//! labels of choices and progress lines, the words of the recommendation. Read before the
//! first prompt, so this file stays small and is the only playbook parsed on that path.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::assets::{Assets, Kind};
use crate::plan::PlaybookError;

pub const PATH: &str = "wizard.yaml";

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Printed once before the first question.
    pub welcome: String,
    /// The help line under every prompt: `{help}` and `{flag}` are replaced.
    pub help_line: String,
    /// Added to the help of questions that may be left empty.
    pub optional: String,
    /// Shown while a default is still being looked up.
    pub waiting: String,
    /// Printed when the user stops the wizard.
    pub cancelled: String,
    pub questions: BTreeMap<String, QuestionWords>,
    pub progress: ProgressWords,
    pub fixes: FixWords,
    pub recommendation: RecommendationWords,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionWords {
    pub prompt: String,
    pub help: String,
    /// Labels of the values of a choice, by value.
    #[serde(default)]
    pub choices: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressWords {
    /// One progress line per area, by area id, in this order.
    pub areas: Vec<AreaLine>,
    /// Appended to a line when its area is done.
    pub done: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaLine {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixWords {
    pub prompt: String,
    pub help: String,
    /// Label of a fix the answers call for (a new key, a chosen relay), not a finding.
    pub chosen: String,
    /// The answer line once chosen: `{count}` and `{total}` are replaced.
    pub picked: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationWords {
    /// Blocklist ids (playbooks/blocklists.yaml) whose listings Microsoft refuses mail for.
    pub microsoft_lists: Vec<String>,
    /// The advice, by kind: direct, smarthost, smarthost-for (templates).
    pub advice: BTreeMap<String, String>,
    /// Every reason, by id (templates over the finding's subject and evidence).
    pub reasons: BTreeMap<String, String>,
}

impl Words {
    pub fn load(assets: &Assets) -> Result<Self, PlaybookError> {
        let text = assets
            .file(Kind::Playbooks, PATH)?
            .ok_or_else(|| PlaybookError::Missing { path: PATH.into() })?;
        crate::plan::playbook::parse(PATH, &text)
    }

    /// The words of a question; every question has some (a test proves it).
    pub fn question(&self, key: &str) -> QuestionWords {
        self.questions
            .get(key)
            .cloned()
            .unwrap_or_else(|| QuestionWords {
                prompt: key.to_string(),
                help: String::new(),
                choices: BTreeMap::new(),
            })
    }

    /// The help line of a prompt, naming its flag.
    pub fn help_line(&self, help: &str, flag: &str) -> String {
        self.help_line
            .replace("{help}", help)
            .replace("{flag}", flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::questions::{Kind as QKind, QUESTIONS};
    use crate::recommend::ReasonId;

    #[test]
    fn every_question_reason_and_advice_has_words() {
        let words = Words::load(&Assets::default()).unwrap();
        for q in QUESTIONS {
            let w = words
                .questions
                .get(q.key)
                .unwrap_or_else(|| panic!("no words for question {}", q.key));
            assert!(!w.prompt.is_empty() && !w.help.is_empty(), "{}", q.key);
            if let QKind::Choice(values) = q.kind {
                for v in values {
                    assert!(w.choices.contains_key(*v), "{}: no label for {v}", q.key);
                }
            }
        }
        for key in words.questions.keys() {
            assert!(
                QUESTIONS.iter().any(|q| q.key == key),
                "words for unknown question {key}"
            );
        }
        for r in ReasonId::ALL {
            assert!(
                words.recommendation.reasons.contains_key(r.as_str()),
                "reason {}",
                r.as_str()
            );
        }
        for kind in ["direct", "smarthost", "smarthost-for"] {
            assert!(
                words.recommendation.advice.contains_key(kind),
                "advice {kind}"
            );
        }
        // Every reason renders in strict mode with the keys the wizard guarantees.
        let renderer = crate::render::Renderer::new(&Assets::default(), false).unwrap();
        let data = serde_json::json!({
            "subject": "198.51.100.10", "detail": "timed out", "list": "Spamhaus ZEN",
            "sublist": "PBL", "ptr_name": "198-51-100-10.dsl.example.net",
        });
        for (id, template) in &words.recommendation.reasons {
            let text = renderer.render_str(id, template, &data).unwrap();
            assert!(!text.contains("{{"), "{id}: {text}");
        }
        for (kind, template) in &words.recommendation.advice {
            renderer
                .render_str(kind, template, &serde_json::json!({}))
                .unwrap();
        }
        let line = words.help_line("Your domain.", "--domain");
        assert!(
            line.contains("--domain") && line.contains("Your domain."),
            "{line}"
        );
    }
}
