//! The command line that repeats a wizard run without questions: the options the user gave
//! (resolver, probes…) as they were, then one flag per answer from the table, the output
//! directory, the chosen fixes and `--yes`. A typed password becomes a placeholder: it is
//! never printed.

use std::ffi::OsString;
use std::path::Path;

use crate::answers::questions::{Kind, QUESTIONS};
use crate::answers::{AnswerLayer, Answers};

/// Stands for the file that holds the smarthost password.
pub const PASSWORD_PLACEHOLDER: &str = "PASSWORD_FILE";

/// Flags this module writes itself, dropped from the user's command line (all take a
/// value except `--yes`).
const REWRITTEN: &[&str] = &["--answers", "--out", "--fixes"];
/// Flags whose value is a secret: never printed (the environment variable carries it).
const SECRET: &[&str] = &["--dqs-key"];

/// What the equivalent command line is made of.
pub struct Parts<'a> {
    /// The arguments the wizard was started with (without the program name).
    pub args: &'a [OsString],
    pub answers: &'a Answers,
    /// The final answers layer: a flag is written for every answer set in it.
    pub layer: &'a AnswerLayer,
    pub password_typed: bool,
    pub out: &'a Path,
    pub fixes: &'a [String],
}

/// The command, as one line of shell.
pub fn equivalent(parts: &Parts<'_>) -> String {
    let mut words: Vec<String> = vec!["mxdoctor".into(), "wizard".into()];
    words.extend(kept_args(parts.args));
    words.push("--out".into());
    words.push(parts.out.display().to_string());
    for q in QUESTIONS {
        if q.is_set(parts.layer)
            && let Some(value) = q.value(parts.answers)
        {
            words.push(q.flag.to_string());
            words.push(value);
        } else if q.kind == Kind::Secret && parts.password_typed {
            words.push(q.flag.to_string());
            words.push(PASSWORD_PLACEHOLDER.into());
        }
    }
    words.push("--fixes".into());
    words.push(if parts.fixes.is_empty() {
        "none".into()
    } else {
        parts.fixes.join(",")
    });
    words.push("--yes".into());
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// The user's arguments minus the subcommand, the answer flags and the flags written anew.
fn kept_args(args: &[OsString]) -> Vec<String> {
    let answer_flags: Vec<&str> = QUESTIONS.iter().map(|q| q.flag).collect();
    let mut out = Vec::new();
    let mut iter = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .peekable();
    let mut subcommand_seen = false;
    while let Some(arg) = iter.next() {
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        let takes_value =
            answer_flags.contains(&name) || REWRITTEN.contains(&name) || SECRET.contains(&name);
        if takes_value {
            if !arg.contains('=') {
                iter.next();
            }
            continue;
        }
        if arg == "--yes" || arg == "-y" {
            continue;
        }
        if arg == "wizard" && !subcommand_seen {
            subcommand_seen = true;
            continue;
        }
        out.push(arg);
    }
    out
}

/// One POSIX shell word: as it is when it is plain, else single-quoted.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,=+%^".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::plan::Playbooks;

    #[test]
    fn answers_become_flags_and_the_rest_is_kept() {
        let presets = Playbooks::load(&Assets::default()).unwrap().smarthosts;
        let layer = AnswerLayer::from_yaml(
            "t",
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: sendgrid, username: apikey}\n",
        )
        .unwrap();
        let answers = layer
            .resolve_with(&presets, crate::answers::PasswordSource::Elsewhere)
            .unwrap();
        let args: Vec<OsString> = [
            "--resolver",
            "127.0.0.1:5353",
            "wizard",
            "--domain=old.example",
            "--answers",
            "a.yaml",
            "-y",
            "--smtp",
            "127.0.0.1:2525",
            "--fixes",
            "all",
            "--no-color",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let line = equivalent(&Parts {
            args: &args,
            answers: &answers,
            layer: &layer,
            password_typed: true,
            out: Path::new("my kit"),
            fixes: &["smarthost".into(), "dkim-record".into()],
        });
        assert_eq!(
            line,
            "mxdoctor wizard --resolver 127.0.0.1:5353 --smtp 127.0.0.1:2525 --no-color \
             --out 'my kit' --domain example.org --outbound smarthost \
             --smarthost-provider sendgrid --smarthost-username apikey \
             --smarthost-password-file PASSWORD_FILE --fixes smarthost,dkim-record --yes"
        );
    }

    #[test]
    fn secret_flags_are_dropped() {
        let args: Vec<OsString> = ["--dqs-key", "k1", "--no-dnsbl", "--dqs-key=k2"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(kept_args(&args), vec!["--no-dnsbl"]);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a-b.c"), "a-b.c");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$(rm)"), "'$(rm)'");
    }
}
