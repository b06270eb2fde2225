//! The wizard's questions driven by a scripted prompter: what is asked, in which order, with
//! which defaults; flags and files pre-filling; validation at the prompt; cancelling; the
//! typed password kept out of the answers; flags and prompts giving the same answers.

use super::ask::{self, Answering, Mode};
use super::prompter::Cancelled;
use super::prompter::scripted::{Reply, ScriptedPrompter};
use super::words::Words;
use crate::answers::questions::{self, Hints, Stage};
use crate::answers::{AnswerLayer, Answers, PasswordSource};
use crate::assets::Assets;
use crate::plan::{Playbooks, Smarthosts};

fn setup() -> (Words, Smarthosts) {
    let assets = Assets::default();
    (
        Words::load(&assets).unwrap(),
        Playbooks::load(&assets).unwrap().smarthosts,
    )
}

fn hints() -> Hints {
    Hints {
        fqdn: Some("box.example.org".into()),
        public_v4: Some("203.0.113.10".parse().unwrap()),
        year: Some(2026),
        ..Hints::default()
    }
}

fn t(s: &str) -> Reply {
    Reply::Type(s.into())
}

/// Both stages, as the wizard runs them (the checks in between are not needed here).
fn run_both(
    state: &mut Answering,
    hints: &Hints,
    prompter: &mut ScriptedPrompter,
    mode: Mode,
) -> Result<Vec<&'static str>, Cancelled> {
    let (words, smarthosts) = setup();
    let mut missing = ask::stage(
        Stage::Identity,
        state,
        hints,
        &smarthosts,
        &words,
        prompter,
        mode,
    )?;
    missing.extend(ask::stage(
        Stage::Setup,
        state,
        hints,
        &smarthosts,
        &words,
        prompter,
        mode,
    )?);
    Ok(missing.into_iter().map(|q| q.flag).collect())
}

fn resolve(state: &Answering) -> Answers {
    let (_, smarthosts) = setup();
    let source = if state.password.is_some() {
        PasswordSource::Elsewhere
    } else {
        PasswordSource::File
    };
    state.layer.resolve_with(&smarthosts, source).unwrap()
}

#[test]
fn every_question_is_asked_in_order_with_defaults_from_the_machine() {
    let mut state = Answering::new(AnswerLayer::default(), None, None);
    let mut p = ScriptedPrompter::new(&[
        ("domain", Reply::Enter),
        ("hostname", t("mail.example.org")),
        ("ipv4", Reply::Enter),
        ("ipv6", Reply::Enter),
        ("receives_mail", Reply::Yes),
        ("outbound", Reply::Enter),
        ("dkim.selector", Reply::Enter),
        ("dkim.algorithms", Reply::Pick("two signatures".into())),
        ("dmarc.rua", t("none")),
        ("mta_sts.mode", Reply::Pick("enforce".into())),
    ]);
    let missing = run_both(&mut state, &hints(), &mut p, Mode::Ask).unwrap();
    assert!(missing.is_empty() && p.finished());
    let defaults: Vec<(&str, Option<&str>)> = p
        .shown
        .iter()
        .map(|(k, _, _, d)| (k.as_str(), d.as_deref()))
        .collect();
    assert_eq!(defaults[0], ("domain", Some("example.org")));
    assert_eq!(defaults[1], ("hostname", Some("box.example.org")));
    assert_eq!(defaults[2], ("ipv4", Some("203.0.113.10")));
    assert_eq!(defaults[3], ("ipv6", None));
    // Every help line names the question's flag.
    for (key, _, help, _) in &p.shown {
        let flag = questions::question(key).unwrap().flag;
        assert!(help.contains(flag), "{key}: {help}");
    }
    let a = resolve(&state);
    assert_eq!(a.domain, "example.org");
    assert_eq!(a.hostname, "mail.example.org");
    assert_eq!(a.ipv4.unwrap().to_string(), "203.0.113.10");
    assert_eq!(a.ipv6, None);
    assert_eq!(a.dkim.selector, "mail");
    assert_eq!(a.dkim.algorithms.len(), 2);
    assert_eq!(a.dmarc.rua, None);
    assert_eq!(a.mta_sts.mode.as_str(), "enforce");
}

#[test]
fn flags_and_the_answers_file_leave_only_the_rest_to_ask() {
    let flags = questions::layer_from_pairs([
        ("domain", Some("example.org")),
        ("outbound", Some("direct")),
    ])
    .unwrap();
    let file = AnswerLayer::from_yaml(
        "answers.yaml",
        "hostname: mx.example.org\nreceives_mail: true\ndkim: {selector: s1, algorithms: [rsa]}\n",
    )
    .unwrap();
    let (_, smarthosts) = setup();
    let mut state = Answering::new(flags, Some(file), Some(&smarthosts));
    let mut p = ScriptedPrompter::new(&[("mta_sts.mode", Reply::Enter)]);
    run_both(&mut state, &hints(), &mut p, Mode::Ask).unwrap();
    assert!(p.finished());
    assert_eq!(state.asked, vec!["mta_sts.mode"]);
    // The file stands for its optional answers: no address or report questions; what it
    // leaves out takes the built-in value.
    let a = resolve(&state);
    assert_eq!(a.ipv4, None);
    assert_eq!(a.dmarc.rua.as_deref(), Some("dmarc@example.org"));
}

#[test]
fn prompts_refuse_what_flags_refuse() {
    let mut state = Answering::new(AnswerLayer::default(), None, None);
    let mut p = ScriptedPrompter::new(&[
        ("domain", t("example.org\nrelayhost = evil")),
        ("domain", t("example.org")),
        ("hostname", t("localhost")),
        ("hostname", Reply::Enter),
        ("ipv4", t("10.0.0.5")),
        ("ipv4", t("192.0.2.1:25")),
        ("ipv4", t("203.0.113.9")),
        ("ipv6", t("::1")),
        ("ipv6", Reply::Enter),
        ("receives_mail", Reply::No),
    ]);
    let (words, smarthosts) = setup();
    ask::stage(
        Stage::Identity,
        &mut state,
        &hints(),
        &smarthosts,
        &words,
        &mut p,
        Mode::Ask,
    )
    .unwrap();
    assert!(p.finished());
    let refused: Vec<&str> = p.refused.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(refused, vec!["domain", "hostname", "ipv4", "ipv4", "ipv6"]);
    for (key, value) in [
        ("domain", "example.org\nrelayhost = evil"),
        ("ipv4", "10.0.0.5"),
        ("ipv6", "::1"),
    ] {
        assert!(
            questions::layer_from_pairs([(questions::question(key).unwrap().key, Some(value))])
                .is_err(),
            "the flag takes {value:?}"
        );
    }
    assert_eq!(state.layer.ipv4.as_deref(), Some("203.0.113.9"));
    assert_eq!(state.layer.receives_mail, Some(false));
}

#[test]
fn esc_at_any_prompt_cancels() {
    for at in 0..4 {
        let mut script = vec![
            ("domain", t("example.org")),
            ("hostname", Reply::Enter),
            ("ipv4", Reply::Enter),
            ("ipv6", Reply::Enter),
        ];
        script[at].1 = Reply::Cancel;
        script.truncate(at + 1);
        let mut state = Answering::new(AnswerLayer::default(), None, None);
        let mut p = ScriptedPrompter::new(&script);
        assert_eq!(
            run_both(&mut state, &hints(), &mut p, Mode::Ask),
            Err(Cancelled)
        );
    }
}

#[test]
fn a_typed_password_stays_out_of_the_answers() {
    let flags = questions::layer_from_pairs([
        ("domain", Some("example.org")),
        ("hostname", Some("mail.example.org")),
        ("ipv4", Some("203.0.113.10")),
        ("receives_mail", Some("yes")),
    ])
    .unwrap();
    let mut state = Answering::new(flags, None, None);
    let mut p = ScriptedPrompter::new(&[
        ("ipv6", Reply::Enter),
        ("outbound", Reply::Pick("smarthost".into())),
        ("smarthost.provider", Reply::Pick("(sendgrid)".into())),
        ("smarthost.username", Reply::Enter),
        ("smarthost.username", t("apikey")),
        ("smarthost.password_file", t("two\nlines")),
        ("smarthost.password_file", t("S3cr3t-pass")),
        ("smarthost.destinations", Reply::Enter),
        ("dkim.selector", Reply::Enter),
        ("dkim.algorithms", Reply::Enter),
        ("dmarc.rua", Reply::Enter),
        ("mta_sts.mode", Reply::Enter),
    ]);
    run_both(&mut state, &hints(), &mut p, Mode::Ask).unwrap();
    assert!(
        p.finished(),
        "sendgrid has its own host: no host or port question"
    );
    assert_eq!(p.refused.len(), 2, "{:?}", p.refused);
    assert_eq!(state.password.as_ref().unwrap().expose(), "S3cr3t-pass");
    assert!(!format!("{:?}", state.password).contains("S3cr3t"));
    let answers = resolve(&state);
    let yaml = crate::plan::playbook::to_yaml(&answers).unwrap();
    let layer_yaml = crate::plan::playbook::to_yaml(&state.layer).unwrap();
    for text in [
        &yaml,
        &layer_yaml,
        &format!("{answers:?}"),
        &format!("{:?}", state.layer),
    ] {
        assert!(!text.contains("S3cr3t"), "{text}");
    }
    assert!(yaml.contains("username: apikey"), "{yaml}");
    assert!(!yaml.contains("password"), "{yaml}");
}

#[test]
fn yes_takes_defaults_and_names_what_has_none() {
    let mut state = Answering::new(AnswerLayer::default(), None, None);
    let mut p = ScriptedPrompter::new(&[]);
    let missing = run_both(&mut state, &Hints::default(), &mut p, Mode::Defaults).unwrap();
    assert_eq!(missing, vec!["--domain", "--hostname"]);

    let mut state = Answering::new(AnswerLayer::default(), None, None);
    let missing = run_both(&mut state, &hints(), &mut p, Mode::Defaults).unwrap();
    assert!(missing.is_empty(), "{missing:?}");
    let a = resolve(&state);
    assert_eq!(
        (a.domain.as_str(), a.hostname.as_str()),
        ("example.org", "box.example.org")
    );
    assert_eq!(a.outbound.as_str(), "direct");

    // A login given by flag needs the password file: no default for a secret.
    let flags = questions::layer_from_pairs([
        ("outbound", Some("smarthost")),
        ("smarthost.provider", Some("sendgrid")),
        ("smarthost.username", Some("apikey")),
    ])
    .unwrap();
    let mut state = Answering::new(flags, None, None);
    let missing = run_both(&mut state, &hints(), &mut p, Mode::Defaults).unwrap();
    assert_eq!(missing, vec!["--smarthost-password-file"]);
}

#[test]
fn without_a_terminal_every_open_answer_is_missing() {
    let flags = questions::layer_from_pairs([("domain", Some("example.org"))]).unwrap();
    let mut state = Answering::new(flags, None, None);
    let mut p = ScriptedPrompter::new(&[]);
    let missing = run_both(&mut state, &hints(), &mut p, Mode::Report).unwrap();
    assert_eq!(
        missing,
        vec![
            "--hostname",
            "--ipv4",
            "--ipv6",
            "--receives-mail",
            "--outbound",
            "--dkim-selector",
            "--dkim-algorithms",
            "--dmarc-rua",
            "--mta-sts-mode"
        ]
    );
}

#[test]
fn the_same_answers_by_flags_and_by_prompts_resolve_the_same() {
    let values: &[(&str, &str)] = &[
        ("domain", "example.org"),
        ("hostname", "mail.example.org"),
        ("ipv4", "203.0.113.10"),
        ("ipv6", "2001:db8::10"),
        ("receives_mail", "yes"),
        ("outbound", "smarthost"),
        ("smarthost.provider", "generic"),
        ("smarthost.host", "relay.example.net"),
        ("smarthost.port", "465"),
        ("smarthost.username", "me"),
        ("smarthost.destinations", "microsoft-consumer"),
        ("smarthost.spf_include", "spf.example.net"),
        ("dkim.selector", "s2026"),
        ("dkim.algorithms", "rsa,ed25519"),
        ("dmarc.rua", "reports@example.org"),
        ("mta_sts.mode", "enforce"),
    ];
    let by_flags = questions::layer_from_pairs(
        values
            .iter()
            .map(|(k, v)| (questions::question(k).unwrap().key, Some(*v))),
    )
    .unwrap();
    let (_, smarthosts) = setup();
    let from_flags = by_flags
        .resolve_with(&smarthosts, PasswordSource::Elsewhere)
        .unwrap();

    let mut script: Vec<(&str, Reply)> = Vec::new();
    for (k, v) in values {
        let reply = match *k {
            "receives_mail" => Reply::Yes,
            "outbound" => Reply::Pick("smarthost".into()),
            "smarthost.provider" => Reply::Pick("(generic)".into()),
            "dkim.algorithms" => Reply::Pick("two signatures".into()),
            "mta_sts.mode" => Reply::Pick("enforce".into()),
            _ => t(v),
        };
        script.push((k, reply));
        if *k == "smarthost.username" {
            script.push(("smarthost.password_file", t("pw")));
        }
    }
    let mut state = Answering::new(AnswerLayer::default(), None, None);
    let mut p = ScriptedPrompter::new(&script);
    run_both(&mut state, &Hints::default(), &mut p, Mode::Ask).unwrap();
    assert!(p.finished());
    assert_eq!(resolve(&state), from_flags);
}
