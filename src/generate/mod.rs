//! `generate`: from validated answers (and, when a check ran, its facts and findings) to
//! every file of the output directory: DNS records, DKIM files, Postfix settings, the
//! MTA-STS policy, the answers and the plan.
//!
//! Everything here is pure: keys are generated, the SASL password read and the files
//! written by the caller. The words come from `templates/` and `playbooks/steps.yaml`.

pub mod existing;
pub mod records;
pub mod spf;

use std::net::IpAddr;

use serde::Serialize;

use crate::answers::{Answers, validate};
use crate::diagnose::{Finding, FindingId, Severity};
use crate::facts::Facts;
use crate::keys::files::{self as key_files, KeyView, POSTFIX_MILTER, SelectorKey};
use crate::output::{Mode, OutputFile};
use crate::plan::{self, PlannedStep, Playbooks, Provider, RelayTls};
use crate::render::{RenderError, Renderer};

pub use existing::Existing;
pub use records::{DnsRecord, RecordSet};

/// Loopback only: the machine itself may relay, nobody else without logging in.
pub const MYNETWORKS: &str = "127.0.0.0/8 [::1]/128";
/// The master.cf service that carries mail for chosen destinations to the relay.
pub const RELAY_TRANSPORT: &str = "smarthost";

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot write the answers file: {0}")]
    Yaml(String),
    #[error("{file}, line {line}: refusing to write a line that is not a single setting: {text:?}")]
    Unsafe {
        file: String,
        line: usize,
        text: String,
    },
    #[error("the plan names step {0:?}, which playbooks/steps.yaml does not define")]
    UnknownStep(String),
}

/// What `generate` works from.
pub struct Input<'a> {
    pub answers: &'a Answers,
    pub facts: Option<&'a Facts>,
    pub findings: Option<&'a [Finding]>,
    pub keys: &'a [SelectorKey],
    /// The smarthost's SASL password, already read from `password_file` and validated.
    pub sasl_password: Option<&'a str>,
    /// `report.json` of the check, when facts were given.
    pub report_json: Option<&'a str>,
    /// The plan steps the user chose (the wizard's fix selection): the plan holds exactly
    /// these, in plan order, whatever the findings call for. None: the findings decide.
    pub chosen_steps: Option<&'a [String]>,
}

/// The relay as the Postfix templates and the plan see it.
#[derive(Clone, Debug, Serialize)]
pub struct RelayView {
    pub provider: String,
    pub name: String,
    pub host: String,
    pub port: u16,
    /// Postfix next-hop: `[host]:port` (brackets: no MX lookup for the relay's name).
    pub nexthop: String,
    /// Implicit TLS (port 465): `smtp_tls_wrappermode = yes`.
    pub wrappermode: bool,
    pub credentials: bool,
    pub username: Option<String>,
    /// True when all mail goes through the relay (relayhost), false for chosen destinations.
    pub all_mail: bool,
    pub transport: &'static str,
    /// Recipient domains routed through the relay (groups expanded).
    pub destinations: Vec<String>,
    pub spf_include: Option<String>,
    pub notes: String,
    pub username_hint: String,
    pub sources: Vec<String>,
}

/// The relay of the answers with its preset.
pub fn relay_view(answers: &Answers, playbooks: &Playbooks) -> Option<RelayView> {
    let s = answers.smarthost.as_ref()?;
    let preset: Option<&Provider> = playbooks.smarthosts.providers.get(&s.provider);
    let wrappermode = match preset {
        _ if s.port == 465 => true,
        Some(p) if p.port == s.port => p.tls == RelayTls::Implicit,
        _ => false,
    };
    let destinations = playbooks.smarthosts.expand_destinations(&s.destinations);
    Some(RelayView {
        provider: s.provider.clone(),
        name: preset.map_or_else(|| s.provider.clone(), |p| p.name.clone()),
        host: s.host.clone(),
        port: s.port,
        nexthop: format!("[{}]:{}", s.host, s.port),
        wrappermode,
        credentials: s.username.is_some(),
        username: s.username.clone(),
        all_mail: destinations.is_empty(),
        transport: RELAY_TRANSPORT,
        destinations,
        spf_include: s
            .spf_include
            .clone()
            .or_else(|| preset.and_then(|p| p.spf_include.clone())),
        notes: preset.map(|p| p.notes.clone()).unwrap_or_default(),
        username_hint: preset.map(|p| p.username.clone()).unwrap_or_default(),
        sources: preset.map(|p| p.sources.clone()).unwrap_or_default(),
    })
}

/// Postfix settings derived from answers and findings.
#[derive(Clone, Debug, Serialize)]
pub struct PostfixView {
    pub tls_cert: String,
    pub tls_key: String,
    /// No IPv6 address given: `inet_protocols = ipv4`.
    pub ipv4_only: bool,
    /// The IPv6 address has no working PTR (from the findings): prefer IPv4.
    pub prefer_ipv4: bool,
    pub milter: Option<&'static str>,
    pub mynetworks: &'static str,
}

/// Everything templates and step texts may use.
#[derive(Serialize)]
struct Context<'a> {
    version: &'static str,
    domain: &'a str,
    hostname: &'a str,
    ipv4: Option<String>,
    ipv6: Option<String>,
    answers: &'a Answers,
    from_facts: bool,
    ttl: u32,
    records: &'a [DnsRecord],
    other_records: &'a [DnsRecord],
    /// Zone of the DMARC report authorisation record, when one is needed.
    report_auth_zone: Option<String>,
    spf: &'a spf::SpfRecord,
    spf_too_many_lookups: bool,
    dmarc: &'a records::DmarcStages,
    dkim: Vec<KeyView>,
    mta_sts: Option<MtaStsView>,
    relay: Option<RelayView>,
    postfix: PostfixView,
    // Flattened for the Postfix templates.
    tls_cert: String,
    tls_key: String,
    ipv4_only: bool,
    prefer_ipv4: bool,
    milter: Option<&'static str>,
    mynetworks: &'static str,
    check_command: String,
}

#[derive(Serialize)]
struct MtaStsView {
    mode: String,
    mx: Vec<String>,
    url: String,
    policy: String,
}

/// One rendered plan step.
#[derive(Serialize)]
struct StepView {
    number: usize,
    id: String,
    title: String,
    because: Vec<plan::Reason>,
    why: String,
    actions: String,
    verify: Vec<String>,
    references: Vec<String>,
}

/// Every output file, in a stable order.
pub fn generate(
    input: &Input<'_>,
    playbooks: &Playbooks,
    renderer: &Renderer,
) -> Result<Vec<OutputFile>, GenerateError> {
    let answers = input.answers;
    let existing = input.facts.map(Existing::from_facts).unwrap_or_default();
    let relay = relay_view(answers, playbooks);
    let key_refs: Vec<(String, &crate::keys::DkimKey)> = input
        .keys
        .iter()
        .map(|k| (k.selector.clone(), &k.key))
        .collect();
    let records = records::build(
        answers,
        &key_refs,
        relay.as_ref().and_then(|r| r.spf_include.as_deref()),
        &existing,
    );
    let postfix = PostfixView {
        tls_cert: format!("/etc/letsencrypt/live/{}/fullchain.pem", answers.hostname),
        tls_key: format!("/etc/letsencrypt/live/{}/privkey.pem", answers.hostname),
        ipv4_only: answers.ipv6.is_none(),
        prefer_ipv4: answers.ipv6.is_some() && ipv6_lacks_ptr(input.findings),
        milter: (!input.keys.is_empty()).then_some(POSTFIX_MILTER),
        mynetworks: MYNETWORKS,
    };
    let report_auth_zone = records.other.first().map(|r| r.zone.clone());
    let ctx = Context {
        version: env!("CARGO_PKG_VERSION"),
        domain: &answers.domain,
        hostname: &answers.hostname,
        ipv4: answers.ipv4.map(|ip| ip.to_string()),
        ipv6: answers.ipv6.map(|ip| ip.to_string()),
        answers,
        from_facts: input.facts.is_some(),
        ttl: records::TTL,
        records: &records.own,
        other_records: &records.other,
        report_auth_zone: report_auth_zone.clone(),
        spf: &records.spf,
        spf_too_many_lookups: records.spf.lookups > 10,
        dmarc: &records.dmarc,
        dkim: key_files::views(&answers.domain, input.keys),
        mta_sts: records.mta_sts_policy.as_ref().map(|policy| MtaStsView {
            mode: answers.mta_sts.mode.to_string(),
            mx: records.mta_sts_mx.clone(),
            url: format!("https://mta-sts.{}/.well-known/mta-sts.txt", answers.domain),
            policy: policy.clone(),
        }),
        relay: relay.clone(),
        tls_cert: postfix.tls_cert.clone(),
        tls_key: postfix.tls_key.clone(),
        ipv4_only: postfix.ipv4_only,
        prefer_ipv4: postfix.prefer_ipv4,
        milter: postfix.milter,
        mynetworks: postfix.mynetworks,
        postfix,
        check_command: check_command(answers, input.keys),
    };

    let mut files = Vec::new();
    let public = |path: &str, text: String| OutputFile::new(path, text, Mode::Public);

    // DNS
    files.push(public(
        "dns/zone.txt",
        renderer.render("dns/zone.txt", &ctx)?,
    ));
    if let Some(zone) = &report_auth_zone {
        let data = serde_json::json!({
            "version": ctx.version, "domain": answers.domain, "zone": zone,
            "ttl": records::TTL, "records": records.other,
        });
        files.push(public(
            "dns/report-auth.zone.txt",
            renderer.render("dns/report-auth.zone.txt", &data)?,
        ));
    }
    let all: Vec<&DnsRecord> = records.all().collect();
    files.push(public(
        "dns/records.tsv",
        renderer.render("dns/records.tsv", &serde_json::json!({ "records": all }))?,
    ));
    let mut zones = vec![serde_json::json!({"zone": answers.domain, "records": records.own})];
    if let Some(zone) = &report_auth_zone {
        zones.push(serde_json::json!({"zone": zone, "records": records.other}));
    }
    files.push(public(
        "dns/nsupdate.txt",
        renderer.render(
            "dns/nsupdate.txt",
            &serde_json::json!({"version": ctx.version, "domain": answers.domain, "zones": zones}),
        )?,
    ));
    if let Some(policy) = &records.mta_sts_policy {
        files.push(public("mta-sts/mta-sts.txt", policy.clone()));
    }

    // DKIM
    files.extend(key_files::files(
        renderer,
        &answers.domain,
        Some(&answers.hostname),
        input.keys,
        "dkim/",
        false,
    )?);

    // Postfix
    let main_cf = renderer.render("postfix/main.cf", &ctx)?;
    check_single_settings("postfix/main.cf.snippet", &main_cf, false)?;
    files.push(public("postfix/main.cf.snippet", main_cf));
    let master_cf = renderer.render("postfix/master.cf", &ctx)?;
    check_single_settings("postfix/master.cf.snippet", &master_cf, true)?;
    files.push(public("postfix/master.cf.snippet", master_cf));
    files.push(OutputFile::new(
        "postfix/apply.sh",
        renderer.render("postfix/apply.sh", &ctx)?,
        Mode::Executable,
    ));
    if let Some(relay) = &relay {
        if let (Some(username), Some(password)) = (&relay.username, input.sasl_password) {
            let data = serde_json::json!({
                "nexthop": relay.nexthop, "username": username, "password": password,
            });
            files.push(OutputFile::new(
                "postfix/sasl_passwd",
                renderer.render("postfix/sasl_passwd", &data)?,
                Mode::Secret,
            ));
        }
        if !relay.all_mail {
            files.push(public(
                "postfix/transport",
                renderer.render("postfix/transport", &ctx)?,
            ));
        }
    }

    // Answers, report, plan
    let yaml = crate::plan::playbook::to_yaml(answers).map_err(GenerateError::Yaml)?;
    files.push(public(
        "answers.yaml",
        format!(
            "# mxdoctor answers for {} (no secrets)\n{yaml}",
            answers.domain
        ),
    ));
    if let Some(report) = input.report_json {
        files.push(public("report.json", report.to_string()));
    }
    let mut planned = plan::build(
        &playbooks.steps,
        answers,
        input.findings,
        &playbooks.findings,
    );
    if let Some(chosen) = input.chosen_steps {
        planned = playbooks
            .steps
            .iter()
            .filter(|s| chosen.contains(&s.id))
            .map(|s| PlannedStep {
                id: s.id.clone(),
                because: planned
                    .iter()
                    .find(|p| p.id == s.id)
                    .map(|p| p.because.clone())
                    .unwrap_or_default(),
            })
            .collect();
    }
    let steps = render_steps(&planned, playbooks, renderer, &ctx)?;
    let written: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let plan_md = renderer.render(
        "plan/plan",
        &serde_json::json!({
            "version": ctx.version, "domain": answers.domain, "from_facts": ctx.from_facts,
            "steps": steps, "files": written,
        }),
    )?;
    files.push(public("plan.md", plan_md));
    Ok(files)
}

fn render_steps(
    planned: &[PlannedStep],
    playbooks: &Playbooks,
    renderer: &Renderer,
    ctx: &Context<'_>,
) -> Result<Vec<StepView>, GenerateError> {
    let mut out = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let step = playbooks
            .steps
            .iter()
            .find(|s| s.id == p.id)
            .ok_or_else(|| GenerateError::UnknownStep(p.id.clone()))?;
        let origin = |part: &str| format!("steps.yaml {} {part}", step.id);
        let render = |part: &str, text: &str| -> Result<String, GenerateError> {
            Ok(renderer
                .render_str(&origin(part), text, ctx)?
                .trim()
                .to_string())
        };
        let mut verify = Vec::new();
        for v in &step.verify {
            let command = render("verify", v)?;
            if !command.is_empty() {
                verify.push(command);
            }
        }
        out.push(StepView {
            number: i + 1,
            id: step.id.clone(),
            title: render("title", &step.title)?,
            because: p.because.clone(),
            why: render("why", &step.why)?,
            actions: render("do", &step.actions)?,
            verify,
            references: step.references.clone(),
        });
    }
    Ok(out)
}

/// True when a finding says an IPv6 sending address has no working reverse DNS.
fn ipv6_lacks_ptr(findings: Option<&[Finding]>) -> bool {
    findings.into_iter().flatten().any(|f| {
        f.severity != Severity::Ok
            && matches!(
                f.id,
                FindingId::PtrMissing
                    | FindingId::PtrNotConfirmed
                    | FindingId::PtrGeneric
                    | FindingId::PostfixIpv6WithoutPtr
            )
            && (f.id == FindingId::PostfixIpv6WithoutPtr
                || f.subject.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()))
    })
}

/// The `mxdoctor check` command that verifies the whole setup.
fn check_command(answers: &Answers, keys: &[SelectorKey]) -> String {
    let mut cmd = format!(
        "mxdoctor check {} --host {}",
        answers.domain, answers.hostname
    );
    for ip in answers
        .ipv4
        .map(IpAddr::V4)
        .into_iter()
        .chain(answers.ipv6.map(IpAddr::V6))
    {
        cmd.push_str(&format!(" --ip {ip}"));
    }
    for k in keys {
        cmd.push_str(&format!(" --selector {}", k.selector));
    }
    cmd
}

/// Defence in depth behind answer validation: every line of a rendered Postfix file is a
/// comment, blank, one `name = value` setting (main.cf), or a service line or an indented
/// `-o name=value` (master.cf), made of characters no value can abuse.
fn check_single_settings(file: &str, text: &str, master: bool) -> Result<(), GenerateError> {
    let safe = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._,:/[]=$@+-!{}>".contains(c))
    };
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ok = if master {
            line.strip_prefix("  -o ")
                .is_some_and(|o| o.contains('=') && !o.contains(' ') && safe(o))
                || (!line.starts_with(' ') && safe(line) && line.split_whitespace().count() == 8)
        } else {
            !line.starts_with(' ')
                && line.split_once(" = ").is_some_and(|(name, value)| {
                    !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                        && safe(value)
                })
        };
        if !ok {
            return Err(GenerateError::Unsafe {
                file: file.to_string(),
                line: i + 1,
                text: line.to_string(),
            });
        }
    }
    Ok(())
}

/// Reads nothing and prints nothing: validates a smarthost password given as text.
pub fn validate_password(text: &str) -> Result<String, validate::InvalidValue> {
    validate::sasl_password("smarthost.password_file", text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::AnswerLayer;
    use crate::assets::Assets;
    use crate::keys::DkimKey;

    fn setup() -> (Playbooks, Renderer) {
        let assets = Assets::default();
        (
            Playbooks::load(&assets).unwrap(),
            Renderer::new(&assets, false).unwrap(),
        )
    }

    fn files_for(yaml: &str, findings: Option<&[Finding]>) -> Vec<OutputFile> {
        let (playbooks, renderer) = setup();
        let answers = AnswerLayer::from_yaml("test", yaml)
            .unwrap()
            .resolve(&playbooks.smarthosts)
            .unwrap();
        let keys: Vec<SelectorKey> = answers
            .dkim_selectors()
            .into_iter()
            .map(|(alg, selector)| SelectorKey {
                selector,
                // Ed25519 is instant; RSA would make every case slow.
                key: DkimKey::generate(crate::answers::Algorithm::Ed25519, 2048).unwrap(),
                kept: alg == crate::answers::Algorithm::Rsa,
            })
            .collect();
        let password = answers
            .smarthost
            .as_ref()
            .and_then(|s| s.username.as_ref())
            .map(|_| "pw".to_string());
        generate(
            &Input {
                answers: &answers,
                facts: None,
                findings,
                keys: &keys,
                sasl_password: password.as_deref(),
                report_json: None,
                chosen_steps: None,
            },
            &playbooks,
            &renderer,
        )
        .unwrap()
    }

    fn text(files: &[OutputFile], path: &str) -> String {
        let f = files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} missing"));
        String::from_utf8(f.contents.clone()).unwrap()
    }

    #[test]
    fn every_kind_of_answers_renders_in_strict_mode() {
        let cases = [
            "domain: example.org\n",
            "domain: example.org\nipv4: 203.0.113.10\nipv6: 2001:db8::10\n",
            "domain: example.org\nhostname: mx.other.example\nreceives_mail: false\nmta_sts: {mode: none}\nipv4: 203.0.113.10\ndmarc: {rua: null}\ntls_rpt: {rua: null}\n",
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: google-workspace}\n",
            "domain: example.org\noutbound: smarthost\nsmarthost: {provider: generic-smtps, host: r.example.net, username: u, password_file: /p, destinations: [microsoft-consumer, yahoo-aol]}\n",
            "domain: example.org\ndkim: {algorithms: [rsa, ed25519]}\ndmarc: {policy: reject, rua: d@reports.example.net}\nmta_sts: {mode: enforce}\n",
        ];
        for yaml in cases {
            let files = files_for(yaml, None);
            let plan = text(&files, "plan.md");
            assert!(plan.contains("## 1. "), "{yaml}\n{plan}");
            assert!(
                !plan.contains("{{"),
                "unrendered template in plan for {yaml}"
            );
            for f in &files {
                if f.mode != Mode::Secret {
                    let t = String::from_utf8_lossy(&f.contents);
                    assert!(!t.contains("{{"), "{}: {t}", f.path);
                }
            }
        }
    }

    #[test]
    fn send_only_server_gets_no_mx_and_no_mta_sts() {
        let files = files_for(
            "domain: example.org\nhostname: out.example.org\nreceives_mail: false\nipv4: 203.0.113.10\n",
            None,
        );
        let zone = text(&files, "dns/zone.txt");
        assert!(!zone.contains(" MX "), "{zone}");
        assert!(!zone.contains("_mta-sts"), "{zone}");
        assert!(zone.contains("\"v=spf1 ip4:203.0.113.10 -all\""), "{zone}");
        assert!(!files.iter().any(|f| f.path.starts_with("mta-sts/")));
    }

    #[test]
    fn ipv6_without_ptr_prefers_ipv4() {
        let yaml = "domain: example.org\nipv4: 203.0.113.10\nipv6: 2001:db8::10\n";
        let main = text(&files_for(yaml, None), "postfix/main.cf.snippet");
        assert!(!main.contains("smtp_address_preference"));
        assert!(!main.contains("inet_protocols"));
        let findings = [Finding::new(
            FindingId::PtrMissing,
            Severity::Critical,
            "2001:db8::10",
        )];
        let main = text(&files_for(yaml, Some(&findings)), "postfix/main.cf.snippet");
        assert!(main.contains("smtp_address_preference = ipv4"), "{main}");
        let findings = [Finding::new(
            FindingId::PtrMissing,
            Severity::Critical,
            "203.0.113.10",
        )];
        let main = text(&files_for(yaml, Some(&findings)), "postfix/main.cf.snippet");
        assert!(!main.contains("smtp_address_preference"));
    }

    #[test]
    fn kept_keys_are_not_written_again() {
        let files = files_for(
            "domain: example.org\ndkim: {algorithms: [rsa, ed25519]}\n",
            None,
        );
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"dkim/mail-ed25519.private"));
        assert!(!paths.contains(&"dkim/mail-rsa.private"), "{paths:?}");
    }

    #[test]
    fn postfix_lines_are_single_settings() {
        assert!(check_single_settings("m", "a = b\n# c\n\nd = e, f\n", false).is_ok());
        for bad in ["a = b\nc", "a = b\n x = y", "a = \"b\"", "a = b;c", "A = b"] {
            assert!(check_single_settings("m", bad, false).is_err(), "{bad:?}");
        }
        assert!(check_single_settings("m", "x inet n - - - - smtpd\n  -o a=b\n", true).is_ok());
        assert!(check_single_settings("m", "x inet n - - - - smtpd\n  -o a=b c\n", true).is_err());
    }
}
