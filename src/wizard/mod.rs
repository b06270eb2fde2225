//! The wizard: a guided run from questions to a verified fix kit.
//!
//! 1. Ask what to check (domain, host name, addresses, whether it receives mail), with
//!    defaults from this machine; its probes (public address, port 25, Postfix) and the
//!    playbooks load in the background meanwhile, so the first prompt comes at once.
//! 2. Run every check of `mxdoctor check`, one progress line per area.
//! 3. Show the findings by severity, recommend direct delivery or a smarthost and say why.
//! 4. Ask how to fix it (delivery, relay, DKIM, reports, MTA-STS), with defaults from what
//!    the checks found published.
//! 5. Let the user choose the fixes, write the kit (the files of `generate`, all or none),
//!    and print the first steps and the command line that repeats the run.
//!
//! Every question comes from the table in `answers::questions`; flags and `--answers`
//! pre-fill it and only what is still open is asked. Esc or Ctrl-C at any prompt stops the
//! run with exit code 130 before anything is written.

pub mod ask;
pub mod command_line;
pub mod fixes;
pub mod hints;
pub mod progress;
pub mod prompter;
pub mod words;
pub mod write;

use std::ffi::OsString;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::answers::questions::{self, Hints, Stage};
use crate::answers::{Answers, AnswersError, PasswordSource};
use crate::app::Context;
use crate::app::check::{self as checks, LocalChecks, LocalFacts};
use crate::blocklist;
use crate::cli::{GlobalArgs, WizardArgs};
use crate::diagnose::{self, Severity};
use crate::exit;
use crate::facts::{Facts, Lookup, MxRecord, NameAddresses, PostfixFacts, Target};
use crate::generate::{self, Input};
use crate::plan::Smarthosts;
use crate::probe::dns::{DnsClient, DnsConfig};
use crate::probe::dnsbl::Sweep;
use crate::probe::host::EnvObservation;
use crate::recommend::{self, Recommendation};
use crate::report::{Report, ReportFinding};

use ask::{Answering, Mode, Outcome};
use prompter::{Cancelled, InquirePrompter, Prompter};
use words::Words;

/// Longest wait for a default before the first prompt.
const FIRST_PROMPT_WAIT: Duration = Duration::from_millis(25);

/// `mxdoctor wizard` (and `mxdoctor` alone on a terminal).
pub async fn run(global: &GlobalArgs, args: WizardArgs) -> anyhow::Result<u8> {
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mode = if args.yes {
        Mode::Defaults
    } else if terminal {
        Mode::Ask
    } else {
        Mode::Report
    };
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    Wizard::new(global, args, mode, argv)?
        .run(&mut InquirePrompter)
        .await
}

/// A task started before the first prompt, whose result is taken when needed.
struct Slot<T> {
    handle: Option<JoinHandle<T>>,
    value: Option<T>,
}

impl<T: Send + 'static> Slot<T> {
    fn spawn(f: impl std::future::Future<Output = T> + Send + 'static) -> Self {
        Slot {
            handle: Some(tokio::spawn(f)),
            value: None,
        }
    }

    fn is_ready(&self) -> bool {
        self.value.is_some() || self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The result, waiting at most `limit` for it.
    async fn wait(&mut self, limit: Duration) -> Option<&T> {
        if self.value.is_none()
            && let Some(handle) = self.handle.as_mut()
            && let Ok(joined) = tokio::time::timeout(limit, handle).await
        {
            self.handle = None;
            self.value = joined.ok();
        }
        self.value.as_ref()
    }

    async fn take(mut self) -> Option<T> {
        if let Some(handle) = self.handle.take() {
            self.value = handle.await.ok();
        }
        self.value
    }
}

/// This machine's probes, started at once.
struct Background {
    env: Slot<EnvObservation>,
    egress: Slot<crate::facts::Egress>,
    postfix: Slot<PostfixFacts>,
    context: Slot<anyhow::Result<Context>>,
    mx: Option<Slot<Lookup<MxRecord>>>,
    host: Option<Slot<NameAddresses>>,
}

struct Wizard<'g> {
    global: &'g GlobalArgs,
    args: WizardArgs,
    mode: Mode,
    argv: Vec<OsString>,
    words: Words,
    dns: DnsClient,
    local: Arc<LocalChecks>,
    state: Answering,
    hints: Hints,
    out: Option<PathBuf>,
}

impl<'g> Wizard<'g> {
    /// Read the flags and the answers file and set up the probes: only what the first
    /// prompt needs, and no I/O beyond a few small files.
    fn new(
        global: &'g GlobalArgs,
        args: WizardArgs,
        mode: Mode,
        argv: Vec<OsString>,
    ) -> anyhow::Result<Self> {
        let assets = crate::assets::Assets::new(global.templates.clone(), global.playbooks.clone());
        let words = Words::load(&assets)?;
        let flags = questions::layer_from_pairs(args.answer_flags.pairs()).map_err(AnswersError)?;
        let file = args
            .answers
            .as_deref()
            .map(checks::read_answers_layer)
            .transpose()?;
        let state = Answering::new(flags, file, None);
        let dns = DnsClient::new(&DnsConfig {
            resolvers: global.resolver.clone(),
            timeout: global.timeout,
            retries: 1,
            authoritative: false,
        })?;
        let ips_given = state.layer.ipv4.is_some() || state.layer.ipv6.is_some();
        let local = Arc::new(LocalChecks::new(
            global.timeout,
            &args.probes,
            !global.resolver.is_empty(),
            ips_given,
        )?);
        let hints = Hints {
            fqdn: crate::probe::host::local_fqdn(),
            year: hints::year_now(),
            ..Hints::default()
        };
        let out = args.out.clone();
        Ok(Wizard {
            global,
            args,
            mode,
            argv,
            words,
            dns,
            local,
            state,
            hints,
            out,
        })
    }

    fn start_background(&self) -> Background {
        let (dns, local) = (self.dns.clone(), self.local.clone());
        let env = Slot::spawn(async move {
            crate::probe::host::gather(&local.env, &dns, &local.settings.trust).await
        });
        let (dns, local) = (self.dns.clone(), self.local.clone());
        let egress =
            Slot::spawn(async move { crate::probe::egress::gather(&local.egress, &dns).await });
        let local = self.local.clone();
        let postfix = Slot::spawn(async move {
            let runner = crate::probe::postfix::SystemRunner {
                timeout: Duration::from_secs(10),
            };
            crate::probe::postfix::gather(&local.postfix, &runner).await
        });
        let global = self.global.clone();
        let context = Slot {
            handle: Some(tokio::task::spawn_blocking(move || Context::new(&global))),
            value: None,
        };
        Background {
            env,
            egress,
            postfix,
            context,
            mx: None,
            host: None,
        }
    }

    async fn run(mut self, prompter: &mut dyn Prompter) -> anyhow::Result<u8> {
        if self.mode == Mode::Report {
            self.fail_if_anything_is_missing()?;
        }
        if let Some(out) = &self.out {
            refuse_earlier_kit(out, self.args.force)?;
        }
        let mut bg = self.start_background();
        if self.mode == Mode::Ask {
            print!("{}", self.words.welcome);
            println!();
            let _ = std::io::stdout().flush();
        }
        match self.identity(&mut bg, prompter).await? {
            Err(Cancelled) => return Ok(self.cancelled()),
            Ok(missing) if !missing.is_empty() => return Err(missing_error(self.mode, &missing)),
            Ok(_) => {}
        }
        let Background {
            env,
            egress,
            postfix,
            context,
            ..
        } = bg;
        let ctx = context
            .take()
            .await
            .context("loading the playbooks and templates stopped")??;
        let domain = self.state.layer.domain.clone().unwrap_or_default();
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("mxdoctor-{domain}")));
        refuse_earlier_kit(&out, self.args.force)?;

        let target = self.target()?;
        let mut facts = self
            .run_checks(&ctx, &target, (env, egress, postfix))
            .await?;
        let mut findings = diagnose::diagnose(&facts, &ctx.playbooks);
        let mut report = Report::build(
            facts.target.clone(),
            &findings,
            &ctx.playbooks,
            &ctx.renderer,
        )?;
        print!(
            "{}",
            ctx.renderer
                .render("wizard/findings", &findings_view(&report, &ctx))?
        );
        let advice = recommend::recommend(&findings, &self.words.recommendation.microsoft_lists);
        print!("{}", self.render_advice(&ctx, &advice)?);
        let _ = std::io::stdout().flush();

        hints::add_facts(&mut self.hints, &facts, &advice);
        // Now that the presets are loaded: which of them Postfix already relays through.
        hints::add_postfix(&mut self.hints, &facts.postfix, &ctx.playbooks.smarthosts);
        if self.hints.mx_hosts.is_empty() {
            hints::add_mx(&mut self.hints, &facts.dns.mx);
        }
        let smarthosts = &ctx.playbooks.smarthosts;
        match ask::stage(
            Stage::Setup,
            &mut self.state,
            &self.hints,
            smarthosts,
            &self.words,
            prompter,
            self.mode,
        ) {
            Err(Cancelled) => return Ok(self.cancelled()),
            Ok(missing) if !missing.is_empty() => return Err(missing_error(self.mode, &missing)),
            Ok(_) => {}
        }
        let password_source = if self.state.password.is_some() {
            PasswordSource::Elsewhere
        } else {
            PasswordSource::File
        };
        let answers = self.state.layer.resolve_with(smarthosts, password_source)?;
        // The kit is about the DKIM selectors chosen now: check exactly those, as a run
        // with --dkim-selector given up front does, so flags and prompts give one report.
        let chosen_selectors: Vec<String> = answers
            .dkim_selectors()
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        if facts.target.selectors != chosen_selectors {
            facts.target.selectors = chosen_selectors;
            let common = crate::probe::dkim::CommonSelectors::load(&ctx.assets)?;
            facts.dns.dkim = crate::probe::dkim::gather(&self.dns, &facts.target, &common).await;
            findings = diagnose::diagnose(&facts, &ctx.playbooks);
            report = Report::build(
                facts.target.clone(),
                &findings,
                &ctx.playbooks,
                &ctx.renderer,
            )?;
        }
        let password = match &self.state.password {
            Some(secret) => Some(secret.expose().to_string()),
            None => crate::app::generate::read_password(&answers)?,
        };
        let keys = crate::app::generate::dkim_keys(&answers, &out)?;
        let key_refs: Vec<(String, &crate::keys::DkimKey)> =
            keys.iter().map(|k| (k.selector.clone(), &k.key)).collect();
        let relay = generate::relay_view(&answers, &ctx.playbooks);
        let records = generate::records::build(
            &answers,
            &key_refs,
            relay.as_ref().and_then(|r| r.spf_include.as_deref()),
            &generate::Existing::from_facts(&facts),
        );
        let changed = fixes::changed_steps(&records, &facts, &answers);
        let offered = fixes::offer(
            &ctx.playbooks.steps,
            &answers,
            &findings,
            &ctx.playbooks.findings,
            &changed,
        );
        let titles = step_titles(&ctx, &answers);
        let chosen = match self.choose_fixes(&ctx, &offered, &titles, prompter)? {
            Ok(chosen) => chosen,
            Err(Cancelled) => return Ok(self.cancelled()),
        };

        let report_json = report.to_json();
        let mut files = generate::generate(
            &Input {
                answers: &answers,
                facts: Some(&facts),
                findings: Some(&findings),
                keys: &keys,
                sasl_password: password.as_deref(),
                report_json: Some(&report_json),
                chosen_steps: Some(&chosen),
            },
            &ctx.playbooks,
            &ctx.renderer,
        )?;
        let delisting = blocklist::delisting::files(
            &facts,
            &findings,
            &ctx.playbooks.blocklists,
            &ctx.renderer,
        )?;
        let has_delisting = !delisting.is_empty();
        files.extend(delisting);
        write::write_kit(&out, &files, self.args.force)?;

        let steps: Vec<Value> = chosen
            .iter()
            .enumerate()
            .take(3)
            .map(|(i, id)| json!({"number": i + 1, "title": titles.get(id).cloned().unwrap_or_else(|| id.clone())}))
            .collect();
        let command = command_line::equivalent(&command_line::Parts {
            args: &self.argv,
            answers: &answers,
            layer: &self.state.layer,
            password_typed: self.state.password.is_some(),
            out: &out,
            fixes: &chosen,
        });
        let answers_path = out.join("answers.yaml");
        let verify = format!(
            "mxdoctor check --answers {} --watch",
            command_line::quote(&answers_path.display().to_string())
        );
        let done = json!({
            "out": out.display().to_string(),
            "keys": keys.len(),
            "sasl": files.iter().any(|f| f.path == "postfix/sasl_passwd"),
            "delisting": has_delisting,
            "steps": steps,
            "more": chosen.len().saturating_sub(3),
            "verify": verify,
            "command": command,
            "password_typed": self.state.password.is_some(),
            "placeholder": command_line::PASSWORD_PLACEHOLDER,
        });
        print!("{}", ctx.renderer.render("wizard/done", &done)?);
        Ok(exit::from_outcome(report.outcome()))
    }

    /// Without a terminal, every open answer must come from a flag: list them all before
    /// probing anything.
    fn fail_if_anything_is_missing(&self) -> anyhow::Result<()> {
        let assets = crate::assets::Assets::new(
            self.global.templates.clone(),
            self.global.playbooks.clone(),
        );
        let smarthosts = crate::plan::Playbooks::load(&assets)?.smarthosts;
        let mut state = self.state.clone();
        let mut missing = Vec::new();
        for stage in [Stage::Identity, Stage::Setup] {
            while let Some(q) = state.next_open(stage, &smarthosts) {
                missing.push(q);
                state.settle(q);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing_error(self.mode, &missing))
        }
    }

    fn cancelled(&self) -> u8 {
        eprintln!("{}", self.words.cancelled);
        exit::CANCELLED
    }

    /// Ask the questions of the first stage, refreshing their defaults from the background
    /// probes just before each is asked. Returns the questions found missing.
    async fn identity(
        &mut self,
        bg: &mut Background,
        prompter: &mut dyn Prompter,
    ) -> anyhow::Result<Result<Vec<&'static questions::Question>, Cancelled>> {
        let none = Smarthosts::default();
        let mut missing = Vec::new();
        while let Some(q) = self.state.next_open(Stage::Identity, &none) {
            self.refresh_hints(q.key, bg).await;
            match ask::answer(
                q,
                &mut self.state,
                &self.hints,
                &none,
                &self.words,
                prompter,
                self.mode,
            ) {
                Err(Cancelled) => return Ok(Err(Cancelled)),
                Ok(Outcome::Missing) => missing.push(q),
                Ok(Outcome::Answered) => {}
            }
            self.prefetch(q.key, bg);
        }
        Ok(Ok(missing))
    }

    /// Start the DNS lookups later defaults need as soon as an answer makes them possible;
    /// the check asks the same questions and gets these answers from the client's cache.
    fn prefetch(&self, answered: &str, bg: &mut Background) {
        match answered {
            "domain" => {
                if let Some(domain) = self.state.layer.domain.clone() {
                    let dns = self.dns.clone();
                    bg.mx = Some(Slot::spawn(async move {
                        crate::probe::dns::Resolve::mx(&dns, &domain).await
                    }));
                }
            }
            "hostname" => {
                if let Some(host) = self.state.layer.hostname.clone() {
                    let dns = self.dns.clone();
                    bg.host = Some(Slot::spawn(async move { dns.name_addresses(&host).await }));
                }
            }
            _ => {}
        }
    }

    /// Wait (bounded) for what the default of `key` comes from.
    async fn refresh_hints(&mut self, key: &str, bg: &mut Background) {
        let dns_wait = self.global.timeout * 2 + Duration::from_millis(500);
        let env_wait = self.global.timeout * 3 + Duration::from_secs(1);
        let spinner = Spinner::new(self.mode == Mode::Ask, &self.words.waiting);
        match key {
            // The first prompt waits a moment at most for Postfix's `mydomain` (postconf
            // usually answers within it), so it still comes well within 50 ms.
            "domain" => {
                if let Some(pf) = bg.postfix.wait(FIRST_PROMPT_WAIT).await {
                    hints::add_postfix(&mut self.hints, pf, &Smarthosts::default());
                }
            }
            "hostname" | "receives_mail" => {
                if !(bg.postfix.is_ready() && bg.mx.as_ref().is_none_or(Slot::is_ready)) {
                    spinner.show();
                }
                if let Some(pf) = bg.postfix.wait(dns_wait).await {
                    hints::add_postfix(&mut self.hints, pf, &Smarthosts::default());
                }
                if let Some(mx) = bg.mx.as_mut()
                    && let Some(mx) = mx.wait(dns_wait).await
                {
                    hints::add_mx(&mut self.hints, mx);
                }
            }
            "ipv4" | "ipv6" => {
                if !(bg.env.is_ready() && bg.host.as_ref().is_none_or(Slot::is_ready)) {
                    spinner.show();
                }
                if let Some(env) = bg.env.wait(env_wait).await {
                    hints::add_env(&mut self.hints, env);
                }
                if let Some(host) = bg.host.as_mut()
                    && let Some(host) = host.wait(dns_wait).await
                {
                    hints::add_host(&mut self.hints, host);
                }
            }
            _ => {}
        }
        spinner.clear();
    }

    /// What to check, from the answers so far (before they are complete).
    fn target(&self) -> anyhow::Result<Target> {
        let l = &self.state.layer;
        let domain = l.domain.clone().context("no domain to check")?;
        let mut ips = Vec::new();
        if let Some(v4) = &l.ipv4 {
            ips.push(v4.parse()?);
        }
        if let Some(v6) = &l.ipv6 {
            ips.push(v6.parse()?);
        }
        let selectors = match l.dkim.as_ref().and_then(|d| d.selector.clone()) {
            Some(selector) => {
                let algorithms = l
                    .dkim
                    .as_ref()
                    .and_then(|d| d.algorithms.clone())
                    .unwrap_or_else(|| vec![crate::answers::Algorithm::Rsa]);
                crate::answers::dkim_selectors(&selector, &algorithms)
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(Target {
            domain: domain.clone(),
            ips,
            host: Some(
                l.hostname
                    .clone()
                    .unwrap_or_else(|| format!("mail.{domain}")),
            ),
            selectors,
        })
    }

    /// Every check of `mxdoctor check`, one progress line per area.
    async fn run_checks(
        &self,
        ctx: &Context,
        target: &Target,
        local: (
            Slot<EnvObservation>,
            Slot<crate::facts::Egress>,
            Slot<PostfixFacts>,
        ),
    ) -> anyhow::Result<Facts> {
        let probes = &self.args.probes;
        let visible = !self.global.no_progress && std::io::stderr().is_terminal();
        let lines = progress::AreaProgress::new(&self.words.progress, visible);
        let dqs_key = match probes.dqs.dqs_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) => Some(blocklist::DqsKey::parse(key)?),
        };
        let tls = checks::tls_settings(probes, ctx.dns.timeout)?;
        let selectors = crate::probe::dkim::CommonSelectors::load(&ctx.assets)?;
        let sweep = Sweep {
            catalog: &ctx.playbooks.blocklists,
            dqs_key: dqs_key.as_ref(),
            progress: if probes.no_dnsbl {
                indicatif::ProgressBar::hidden()
            } else {
                lines.blocklist_bar()
            },
        };
        let dnsbl = (!probes.no_dnsbl).then_some(&sweep);
        let (env, egress, postfix) = local;
        let done = |area: &'static str| lines.done(area);
        let (remote, (env, egress), postfix) = tokio::join!(
            checks::gather_remote(
                target,
                &self.dns,
                &tls,
                &selectors,
                dnsbl,
                &self.local,
                &done
            ),
            async {
                let both = tokio::join!(env.take(), egress.take());
                lines.done("net");
                both
            },
            async {
                let p = postfix.take().await;
                lines.done("postfix");
                p
            },
        );
        sweep.progress.finish_and_clear();
        lines.clear();
        let here = LocalFacts {
            env: env.unwrap_or_else(|| EnvObservation {
                hostname: None,
                local: Default::default(),
                public: Default::default(),
                reverse: Vec::new(),
            }),
            egress: egress.unwrap_or_default(),
            postfix: postfix.unwrap_or_default(),
        };
        Ok(checks::combine(remote, here, &self.dns, dqs_key.as_ref()))
    }

    fn render_advice(&self, ctx: &Context, advice: &Recommendation) -> anyhow::Result<String> {
        let words = &self.words.recommendation;
        let text = words.advice.get(advice.kind()).cloned().unwrap_or_default();
        let advice_text = ctx
            .renderer
            .render_str("wizard.yaml advice", &text, &json!({}))?;
        let mut reasons = Vec::new();
        for r in &advice.reasons {
            let Some(template) = words.reasons.get(r.id.as_str()) else {
                continue;
            };
            let mut data = r.evidence.clone();
            data.insert("subject".into(), Value::String(r.subject.clone()));
            for key in ["detail", "list", "sublist", "ptr_name"] {
                data.entry(key).or_insert(Value::Null);
            }
            let origin = format!("wizard.yaml reason {}", r.id.as_str());
            reasons.push(
                ctx.renderer
                    .render_str(&origin, template, &data)?
                    .trim()
                    .to_string(),
            );
        }
        Ok(ctx.renderer.render(
            "wizard/recommendation",
            &json!({"advice": advice_text.trim(), "reasons": reasons}),
        )?)
    }

    /// `--fixes`, the multiple choice, or the preselection.
    fn choose_fixes(
        &self,
        ctx: &Context,
        offered: &[fixes::Fix],
        titles: &std::collections::BTreeMap<String, String>,
        prompter: &mut dyn Prompter,
    ) -> anyhow::Result<Result<Vec<String>, Cancelled>> {
        if let Some(spec) = &self.args.fixes {
            let chosen = fixes::choose(offered, spec).map_err(anyhow::Error::msg)?;
            for id in &chosen {
                if !ctx.playbooks.steps.iter().any(|s| s.id == *id) {
                    bail!("--fixes: {id:?} is not a step of the plan (see playbooks/steps.yaml)");
                }
            }
            return Ok(Ok(chosen));
        }
        let preselected = fixes::choose(offered, "critical").map_err(anyhow::Error::msg)?;
        if self.mode != Mode::Ask || offered.is_empty() {
            return Ok(Ok(preselected));
        }
        let mut labels = Vec::new();
        for f in offered {
            let view = json!({
                "title": titles.get(&f.step).cloned().unwrap_or_else(|| f.step.clone()),
                "worst": f.worst.map(|s| s.as_str()),
                "findings": f.findings,
                "chosen": f.chosen,
                "chosen_word": self.words.fixes.chosen,
            });
            labels.push(ctx.renderer.render("wizard/fix", &view)?.trim().to_string());
        }
        let selected: Vec<usize> = offered
            .iter()
            .enumerate()
            .filter(|(_, f)| f.preselected)
            .map(|(i, _)| i)
            .collect();
        let help = self.words.help_line(&self.words.fixes.help, "--fixes");
        let p = prompter::Prompt {
            key: "fixes",
            message: &self.words.fixes.prompt,
            help: &help,
        };
        Ok(prompter
            .multi_select(&p, &labels, &selected, &self.words.fixes.picked)
            .map(|picked| {
                picked
                    .into_iter()
                    .filter_map(|i| offered.get(i))
                    .map(|f| f.step.clone())
                    .collect()
            }))
    }
}

/// A spinner shown while the wizard waits for a default (only on a terminal, and only
/// once a wait actually happens).
struct Spinner {
    visible: bool,
    message: String,
    bar: std::cell::OnceCell<indicatif::ProgressBar>,
}

impl Spinner {
    fn new(visible: bool, message: &str) -> Self {
        Spinner {
            visible: visible && std::io::stderr().is_terminal(),
            message: message.to_string(),
            bar: std::cell::OnceCell::new(),
        }
    }

    fn show(&self) {
        if self.visible {
            self.bar.get_or_init(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_message(self.message.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
        }
    }

    fn clear(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// An earlier kit in `out` (its plan or answers) is never overwritten without --force.
fn refuse_earlier_kit(out: &std::path::Path, force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for name in ["plan.md", "answers.yaml"] {
        if out.join(name).exists() {
            bail!(
                "{} already holds a kit from an earlier run: pass --out with another directory, or --force to overwrite it",
                out.display()
            );
        }
    }
    Ok(())
}

/// The usage error for answers nobody can give: every flag, with its value name.
fn missing_error(mode: Mode, missing: &[&'static questions::Question]) -> anyhow::Error {
    let flags: Vec<String> = missing
        .iter()
        .map(|q| format!("  {} {}", q.flag, q.value_name))
        .collect();
    let why = match mode {
        Mode::Defaults => "--yes found no default for these answers; pass them as flags:",
        _ => {
            "no terminal to ask on, and these answers are missing; pass them as flags (or add --yes to take the defaults where there are some):"
        }
    };
    let mut text = format!("{why}\n{}", flags.join("\n"));
    if missing.iter().any(|q| q.flag.starts_with("--smarthost")) {
        text.push_str("\n(or --outbound direct, to deliver mail from this server itself)");
    }
    anyhow::anyhow!(text)
}

/// Findings grouped by severity (most severe first); passed checks counted by area.
fn findings_view(report: &Report, ctx: &Context) -> Value {
    let mut groups = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::Warning,
        Severity::Unknown,
        Severity::Info,
    ] {
        let list: Vec<&ReportFinding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if !list.is_empty() {
            groups.push(json!({"severity": severity, "findings": list}));
        }
    }
    let mut passed: Vec<String> = Vec::new();
    for area in &ctx.playbooks.areas {
        let n = report
            .findings
            .iter()
            .filter(|f| {
                f.severity == Severity::Ok && f.id.split('.').next() == Some(area.id.as_str())
            })
            .count();
        if n > 0 {
            passed.push(format!("{} ({n})", area.title));
        }
    }
    json!({
        "domain": report.target.domain,
        "groups": groups,
        "passed": passed,
        "summary": report.summary,
    })
}

/// The title of every plan step for these answers (the words of the fix choice and of the
/// first steps), rendered over the few values titles use.
fn step_titles(ctx: &Context, answers: &Answers) -> std::collections::BTreeMap<String, String> {
    let data = json!({
        "domain": answers.domain,
        "hostname": answers.hostname,
        "relay": generate::relay_view(answers, &ctx.playbooks),
        "dmarc": {"policy": answers.dmarc.policy, "rua": answers.dmarc.rua},
        "mta_sts": (answers.mta_sts.mode != crate::answers::MtaStsMode::None)
            .then(|| json!({"mode": answers.mta_sts.mode})),
    });
    ctx.playbooks
        .steps
        .iter()
        .map(|s| {
            let title = ctx
                .renderer
                .render_str(&format!("steps.yaml {} title", s.id), &s.title, &data)
                .map(|t| t.trim().to_string())
                .unwrap_or_else(|_| s.id.clone());
            (s.id.clone(), title)
        })
        .collect()
}

#[cfg(test)]
mod tests;
