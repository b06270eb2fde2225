//! Answers: layering, defaults, validation naming the field, and injection attempts.

use super::*;
use crate::assets::Assets;
use crate::plan::Playbooks;

fn presets() -> Smarthosts {
    Playbooks::load(&Assets::default()).unwrap().smarthosts
}

fn layer(yaml: &str) -> AnswerLayer {
    AnswerLayer::from_yaml("test", yaml).unwrap()
}

fn fields(err: AnswersError) -> Vec<String> {
    err.0.into_iter().map(|e| e.field).collect()
}

#[test]
fn defaults_fill_what_is_missing() {
    let a = layer("domain: Example.ORG\n").resolve(&presets()).unwrap();
    assert_eq!(a.domain, "example.org");
    assert_eq!(a.hostname, "mail.example.org");
    assert!(a.receives_mail);
    assert_eq!(a.outbound, Outbound::Direct);
    assert_eq!(a.dkim.selector, "mail");
    assert_eq!(a.dkim.algorithms, vec![Algorithm::Rsa]);
    assert_eq!(a.dkim.rsa_bits, 2048);
    assert_eq!(a.dmarc.policy, DmarcPolicy::None);
    assert_eq!(a.dmarc.rua.as_deref(), Some("dmarc@example.org"));
    assert_eq!(a.mta_sts.mode, MtaStsMode::Testing);
    assert_eq!(a.tls_rpt.rua.as_deref(), Some("tlsrpt@example.org"));
}

#[test]
fn flags_override_the_file_field_by_field() {
    let file = layer("domain: example.org\ndkim: {selector: old, rsa_bits: 4096}\n");
    let flags =
        questions::layer_from_pairs([("dkim.selector", Some("new")), ("dmarc.rua", Some("none"))])
            .unwrap();
    let a = flags.merge(file).resolve(&presets()).unwrap();
    assert_eq!(a.dkim.selector, "new");
    assert_eq!(a.dkim.rsa_bits, 4096);
    assert_eq!(a.dmarc.rua, None);
}

#[test]
fn unknown_fields_and_bad_types_are_errors_with_a_location() {
    let err = AnswerLayer::from_yaml("answers.yaml", "domian: example.org\n").unwrap_err();
    assert!(err.to_string().contains("domian"), "{err}");
    let err = AnswerLayer::from_yaml(
        "answers.yaml",
        "domain: x.org\nsmarthost: {port: \"587\\nrelayhost = evil\"}\n",
    );
    assert!(err.is_err());
}

#[test]
fn written_answers_read_back_the_same() {
    let a = layer(
        "domain: example.org\nipv4: 203.0.113.10\nipv6: 2001:db8::10\noutbound: smarthost\n\
         smarthost: {provider: sendgrid, username: apikey, password_file: /root/sg.pw, destinations: [microsoft-consumer]}\n\
         dkim: {selector: s2026, algorithms: [rsa, ed25519]}\ndmarc: {policy: quarantine, rua: r@reports.example.net}\n",
    )
    .resolve(&presets())
    .unwrap();
    let yaml = crate::plan::playbook::to_yaml(&a).unwrap();
    let again = layer(&yaml).resolve(&presets()).unwrap();
    assert_eq!(again, a, "{yaml}");
    assert!(!yaml.contains("password:"));
}

#[test]
fn every_problem_is_reported_with_its_field() {
    let err = layer(
        "domain: \"example.org\\nevil.example. IN A 1.2.3.4\"\nhostname: \"mail.example.org; rm -rf\"\n\
         ipv4: 10.0.0.5\nipv6: fe80::1\ndkim: {selector: \"a\\\"b\", algorithms: [], rsa_bits: 1024}\n\
         dmarc: {rua: \"d@example.org; p=none\"}\ntls_rpt: {rua: \"x@example.org,mailto:y@evil.example\"}\n",
    )
    .resolve(&presets())
    .unwrap_err();
    let got = fields(err);
    for want in [
        "domain",
        "hostname",
        "ipv4",
        "ipv6",
        "dkim.selector",
        "dkim.algorithms",
        "dkim.rsa_bits",
        "dmarc.rua",
        "tls_rpt.rua",
    ] {
        assert!(
            got.iter().any(|f| f == want),
            "{want} not reported in {got:?}"
        );
    }
}

#[test]
fn smarthost_values_are_checked() {
    let base = "domain: example.org\noutbound: smarthost\n";
    let cases = [
        ("smarthost: {provider: nosuch}", "smarthost.provider"),
        (
            "smarthost: {provider: \"generic\\nrelayhost\"}",
            "smarthost.provider",
        ),
        ("smarthost: {provider: generic}", "smarthost.host"),
        (
            "smarthost: {provider: generic, host: \"relay.example.net\\nx = y\"}",
            "smarthost.host",
        ),
        (
            "smarthost: {provider: generic, host: relay.example.net, port: 70000}",
            "smarthost.port",
        ),
        (
            "smarthost: {provider: generic, host: relay.example.net, port: 0}",
            "smarthost.port",
        ),
        (
            "smarthost: {provider: sendgrid, username: \"api key\", password_file: /p}",
            "smarthost.username",
        ),
        (
            "smarthost: {provider: sendgrid, username: \"a:b\", password_file: /p}",
            "smarthost.username",
        ),
        (
            "smarthost: {provider: sendgrid, username: apikey}",
            "smarthost.password_file",
        ),
        ("smarthost: {provider: sendgrid}", "smarthost.username"),
        (
            "smarthost: {provider: sendgrid, username: u, password_file: \"/a\\nb\"}",
            "smarthost.password_file",
        ),
        (
            "smarthost: {provider: mailgun-eu, username: u, password_file: /p, destinations: [\"bad domain\"]}",
            "smarthost.destinations",
        ),
        (
            "smarthost: {provider: generic, host: r.example.net, spf_include: \"x -all\"}",
            "smarthost.spf_include",
        ),
    ];
    for (yaml, field) in cases {
        let err = layer(&format!("{base}{yaml}\n"))
            .resolve(&presets())
            .unwrap_err();
        assert!(
            fields(err.clone()).iter().any(|f| f == field),
            "{yaml}: {err}"
        );
    }
    let err = layer("domain: example.org\nsmarthost: {provider: generic}\n")
        .resolve(&presets())
        .unwrap_err();
    assert_eq!(fields(err), vec!["smarthost"]);
    let err = layer("domain: example.org\noutbound: smarthost\n")
        .resolve(&presets())
        .unwrap_err();
    assert_eq!(fields(err), vec!["smarthost"]);
}

#[test]
fn smarthost_presets_fill_host_and_port() {
    let a = layer("domain: example.org\noutbound: smarthost\nsmarthost: {provider: mailgun-eu, username: postmaster@mg.example.org, password_file: /p}\n")
        .resolve(&presets())
        .unwrap();
    let s = a.smarthost.clone().unwrap();
    assert_eq!((s.host.as_str(), s.port), ("smtp.eu.mailgun.org", 587));
    assert!(!a.sends_directly());
}

#[test]
fn flag_values_pass_the_same_validators() {
    for (key, value) in [
        ("domain", "exa mple.org"),
        ("ipv4", "203.0.113.10\n"),
        ("receives_mail", "perhaps"),
        ("outbound", "carrier-pigeon"),
        ("smarthost.port", "587 "),
        ("dkim.algorithms", "rsa,dsa"),
        ("dmarc.policy", "reject\n"),
        ("mta_sts.mode", "strict"),
        ("dmarc.rua", "a@b"),
    ] {
        let result = questions::layer_from_pairs([(key, Some(value))]);
        // "587 " and "reject\n" are trimmed into valid values; the rest must fail.
        if value.trim() == "587" || value.trim() == "reject" || value.trim() == "203.0.113.10" {
            assert!(result.is_ok(), "{key}={value:?}");
        } else {
            let errors = result.unwrap_err();
            assert_eq!(errors[0].field, key, "{key}={value:?}");
        }
    }
}

#[test]
fn dual_signing_selectors() {
    let a = layer("domain: example.org\ndkim: {selector: s1, algorithms: [ed25519, rsa]}\n")
        .resolve(&presets())
        .unwrap();
    assert_eq!(
        a.dkim_selectors(),
        vec![
            (Algorithm::Rsa, "s1-rsa".to_string()),
            (Algorithm::Ed25519, "s1-ed25519".to_string())
        ]
    );
}

#[test]
fn enum_words_round_trip() {
    for v in Outbound::ALL {
        assert_eq!(v.as_str().parse::<Outbound>().unwrap(), *v);
    }
    for v in DmarcPolicy::ALL {
        assert_eq!(v.as_str().parse::<DmarcPolicy>().unwrap(), *v);
    }
    for v in MtaStsMode::ALL {
        assert_eq!(v.as_str().parse::<MtaStsMode>().unwrap(), *v);
    }
    for v in Algorithm::ALL {
        assert_eq!(v.as_str().parse::<Algorithm>().unwrap(), *v);
    }
}
