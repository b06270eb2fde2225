//! Every command and flag, in one place. Help, completions and the man page come from here.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::answers::questions::QUESTIONS;

#[derive(Debug, Parser)]
#[command(
    name = "mxdoctor",
    version,
    about = "Get a self-hosted mail server's mail delivered: diagnose DNS, reputation and \
             Postfix, then generate the fixes.",
    long_about = None,
    after_help = "Run without a command on a terminal to start the wizard.\n\
                  Exit codes: 0 nothing to fix, 1 warnings only, 3 critical findings, \
                  4 some checks could not complete, 2 the tool failed, 130 cancelled.\n\
                  Safety switch for test suites: with MXDOCTOR_LOOPBACK_ONLY=1, mxdoctor \
                  connects only to loopback addresses, skips its built-in Internet targets \
                  and ignores this machine's own Postfix and addresses."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// DNS resolver to ask, ADDR or ADDR:PORT (repeatable). When given, no other server is
    /// asked anything.
    #[arg(
        long,
        global = true,
        env = "MXDOCTOR_RESOLVER",
        value_delimiter = ',',
        value_name = "ADDR[:PORT]",
        value_parser = parse_resolver
    )]
    pub resolver: Vec<SocketAddr>,

    /// Time allowed for one network try, in seconds (e.g. 2 or 0.5); DNS retries once.
    #[arg(long, global = true, value_name = "SECONDS", default_value = "2", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Never show progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Never use colour (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Show only problems.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also show the evidence behind every finding.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Directory of templates that replace the built-in ones (same relative paths).
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Directory of playbooks that replace the built-in ones (same relative paths).
    #[arg(long, global = true, value_name = "DIR")]
    pub playbooks: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Guided run: a few questions, every check, then the fixes written to a directory.
    Wizard(Box<WizardArgs>),
    /// Diagnose a domain: MX, mail host, reverse DNS, SPF, DKIM, DMARC, MTA-STS, TLS-RPT,
    /// blocklists.
    Check(CheckArgs),
    /// Evaluate SPF (RFC 7208 check_host) for an IP and a sender, with a trace.
    Spf(SpfArgs),
    /// Write DNS records, DKIM keys, Postfix settings and a step-by-step plan (offline).
    Generate(Box<GenerateArgs>),
    /// DKIM key tools.
    Dkim {
        #[command(subcommand)]
        command: DkimCommand,
    },
    /// Look IP addresses and domains up on DNS blocklists and say what each answer means.
    Blocklist(BlocklistArgs),
    /// Try to relay through an SMTP server, stopping at RCPT (never DATA); exit 3 if it would.
    RelayTest(RelayTestArgs),
    /// Explain a bounce: a bounce message (.eml), a delivery report, or a pasted SMTP reply.
    Bounce(BounceArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The mail domain to check (the part after @).
    #[arg(required_unless_present_any = ["facts_in", "answers"])]
    pub domain: Option<String>,

    /// An address your server sends mail from (repeatable; IPv4 and IPv6).
    #[arg(long = "ip", value_name = "IP")]
    pub ips: Vec<String>,

    /// Your mail server's host name: what it says in EHLO and what its PTR should be.
    #[arg(long, value_name = "FQDN")]
    pub host: Option<String>,

    /// DKIM selector to check (repeatable). Without one, common selectors are tried.
    #[arg(long = "selector", value_name = "S")]
    pub selectors: Vec<String>,

    /// Take the domain, host, addresses and DKIM selectors from an answers file (as written
    /// by the wizard or generate); the domain, --host, --ip and --selector win over it.
    #[arg(long, value_name = "FILE", conflicts_with = "facts_in")]
    pub answers: Option<PathBuf>,

    /// Write the gathered facts to FILE (JSON) to replay or attach to a bug report.
    #[arg(long, value_name = "FILE", conflicts_with = "facts_in")]
    pub facts_out: Option<PathBuf>,

    /// Diagnose facts saved by --facts-out instead of asking the network.
    #[arg(long, value_name = "FILE")]
    pub facts_in: Option<PathBuf>,

    /// Also write report.json and the delisting and provider checklists into DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Overwrite existing files in --out.
    #[arg(long)]
    pub force: bool,

    /// First wait until the domain's own name servers publish the generated records
    /// (dns/records.tsv beside the answers file, or --watch-records), then check.
    #[arg(long, conflicts_with = "facts_in")]
    pub watch: bool,

    /// Give up waiting after this long (e.g. 30m, 90s, 2h).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration, requires = "watch")]
    pub watch_timeout: Duration,

    /// The records to wait for: a records.tsv written by the wizard or generate.
    #[arg(long, value_name = "FILE", requires = "watch")]
    pub watch_records: Option<PathBuf>,

    /// Ask the domain's name servers on this port instead of 53 (for test servers).
    #[arg(long, value_name = "PORT", hide = true, requires = "watch")]
    pub ns_port: Option<u16>,

    #[command(flatten)]
    pub probes: ProbeArgs,
}

/// What `check` and the wizard probe besides DNS records, and how.
#[derive(Clone, Debug, Args)]
pub struct ProbeArgs {
    /// Skip the IP and domain blocklist checks.
    #[arg(long, env = "MXDOCTOR_NO_DNSBL", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_dnsbl: bool,

    /// SMTP server to probe instead of the domain's MX hosts (repeatable): HOST[:PORT], or
    /// smtps://HOST[:PORT] for TLS from the first byte.
    #[arg(long = "smtp", value_name = "HOST[:PORT]", conflicts_with = "no_smtp")]
    pub smtp: Vec<String>,

    /// Do not connect to any SMTP server (no greeting, TLS, relay or postmaster@ checks).
    #[arg(long)]
    pub no_smtp: bool,

    /// Probe the MX hosts on this port instead of 25 (for test servers).
    #[arg(long, value_name = "PORT", hide = true)]
    pub smtp_port: Option<u16>,

    /// Test outbound port 25 against HOST:PORT instead of the best MX of gmail.com.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "no_egress")]
    pub egress_target: Option<String>,

    /// Do not test whether this machine can reach port 25 on the Internet.
    #[arg(long)]
    pub no_egress: bool,

    /// Read the Postfix configuration in DIR (postconf -c DIR) instead of the default one.
    /// Without it, the local Postfix is read when postconf is installed and configured.
    #[arg(long, value_name = "DIR", conflicts_with = "no_postfix")]
    pub postfix_config: Option<PathBuf>,

    /// Do not read the local Postfix configuration.
    #[arg(long)]
    pub no_postfix: bool,

    /// HTTPS service that answers with the caller's address, instead of the built-in ones
    /// (repeatable; for test servers).
    #[arg(long, value_name = "URL", hide = true)]
    pub ip_echo_url: Vec<String>,

    #[command(flatten)]
    pub smtp_session: SmtpArgs,

    #[command(flatten)]
    pub dqs: DqsArgs,

    #[command(flatten)]
    pub tls: TlsArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Every answer has a flag (see Answers below); the wizard asks only for the \
                  answers that flags and --answers leave open. Without a terminal, pass them \
                  all or add --yes to take the defaults.\n\
                  Exit codes as for check: 0 nothing to fix, 1 warnings, 3 critical findings, \
                  4 some checks could not complete, 2 the tool failed, 130 cancelled."
)]
pub struct WizardArgs {
    /// Answers file (YAML, as written by a previous run) that pre-fills the questions;
    /// flags override it.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,

    /// Directory to write the fix kit into (default: ./mxdoctor-DOMAIN).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Overwrite files that already exist in --out (DKIM private keys already there are kept).
    #[arg(long)]
    pub force: bool,

    /// Ask nothing: take the default for every answer not given by a flag or --answers.
    #[arg(short, long)]
    pub yes: bool,

    /// Which fixes go into the plan: critical (the default choice), all, none, or plan step
    /// ids separated by commas (e.g. spf-record,dkim-record).
    #[arg(long, value_name = "LIST")]
    pub fixes: Option<String>,

    #[command(flatten)]
    pub answer_flags: AnswerArgs,

    #[command(flatten)]
    pub probes: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct BlocklistArgs {
    /// IPv4 or IPv6 addresses and domains to look up.
    #[arg(required = true, value_name = "IP|DOMAIN")]
    pub subjects: Vec<String>,

    /// Your mail server's EHLO name, for the delisting checklists.
    #[arg(long, value_name = "FQDN")]
    pub host: Option<String>,

    /// Write report.json and the delisting and provider checklists into DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Overwrite existing files in --out.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub dqs: DqsArgs,
}

/// How mxdoctor talks to SMTP servers.
#[derive(Clone, Debug, Args)]
pub struct SmtpArgs {
    /// Longest wait for one SMTP reply, in seconds; a whole session gets twelve times that.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_timeout)]
    pub smtp_timeout: Duration,

    /// The name mxdoctor gives in EHLO (default: this machine's full host name).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
}

#[derive(Debug, Args)]
pub struct RelayTestArgs {
    /// The server: HOST[:PORT] (port 25 by default), or smtps://HOST[:PORT] for TLS from the
    /// first byte.
    #[arg(value_name = "HOST[:PORT]")]
    pub server: String,

    /// The server's own domain, used in the %-hack, quoted-@, source-route and own-domain
    /// cases (default: the host name without its first label).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,

    #[command(flatten)]
    pub smtp_session: SmtpArgs,

    #[command(flatten)]
    pub tls: TlsArgs,
}

/// Access to Spamhaus through its Data Query Service.
#[derive(Clone, Debug, Args)]
pub struct DqsArgs {
    /// Spamhaus DQS key (free for low volume): ask Spamhaus through <KEY>.zen.dq.spamhaus.net
    /// instead of the public mirrors, which refuse public resolvers. Never printed; prefer
    /// the environment variable so it stays out of shell history.
    #[arg(
        long,
        env = "MXDOCTOR_DQS_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub dqs_key: Option<String>,
}

/// Trust settings for HTTPS (MTA-STS policies) and SMTP TLS.
#[derive(Clone, Debug, Args)]
pub struct TlsArgs {
    /// Also trust the CA certificates in this PEM file (e.g. a private CA).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Fetch MTA-STS policies from this port instead of 443 (for test servers).
    #[arg(long, value_name = "PORT", hide = true)]
    pub https_port: Option<u16>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The sender's domain is checked (MAIL FROM). A bare domain means \
                  postmaster@domain; \"@domain\" also means postmaster@domain. An empty sender \
                  (--sender '', the null reverse-path of bounces) checks the --helo name instead. \
                  --helo fills the %{h} macro (default: the sender's domain).\n\
                  Exit codes: 0 pass, 1 neutral, softfail or none, 3 fail or permerror, \
                  4 temperror (DNS did not answer), 2 bad usage."
)]
pub struct SpfArgs {
    /// The connecting client's address (IPv4 or IPv6).
    #[arg(long, value_name = "IP")]
    pub ip: String,

    /// The envelope sender (MAIL FROM); a bare domain means postmaster@domain, '' the null sender.
    #[arg(long, value_name = "ADDR", allow_hyphen_values = true)]
    pub sender: String,

    /// The HELO/EHLO name the client gave.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Answers file (YAML, as written by the wizard or a previous generate); flags override it.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,

    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Overwrite files that already exist (DKIM private keys already there are kept).
    #[arg(long)]
    pub force: bool,

    /// Only list what would be written.
    #[arg(long)]
    pub dry_run: bool,

    /// Facts saved by `check --facts-out`: merge with the records already published and
    /// plan only the steps the findings call for.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,

    #[command(flatten)]
    pub answer_flags: AnswerArgs,
}

/// One flag per answer, made from the table of questions (`answers::questions::QUESTIONS`):
/// the flags, their help and the wizard's prompts cannot drift apart. Each overrides the
/// answers file.
#[derive(Clone, Debug, Default)]
pub struct AnswerArgs {
    /// (answer key, value as typed), in table order.
    values: Vec<(&'static str, String)>,
}

impl AnswerArgs {
    /// Every answer as (answer key, flag value if given), for
    /// `answers::questions::layer_from_pairs`.
    pub fn pairs(&self) -> Vec<(&'static str, Option<&str>)> {
        QUESTIONS
            .iter()
            .map(|q| {
                let value = self
                    .values
                    .iter()
                    .find(|(k, _)| *k == q.key)
                    .map(|(_, v)| v.as_str());
                (q.key, value)
            })
            .collect()
    }

    /// The value given for one answer key, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl clap::FromArgMatches for AnswerArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let values = QUESTIONS
            .iter()
            .filter_map(|q| matches.get_one::<String>(q.key).map(|v| (q.key, v.clone())))
            .collect();
        Ok(AnswerArgs { values })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for AnswerArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        QUESTIONS.iter().fold(cmd, |cmd, q| {
            cmd.arg(
                clap::Arg::new(q.key)
                    .long(q.flag.trim_start_matches("--"))
                    .value_name(q.value_name)
                    .help(q.help)
                    .help_heading("Answers")
                    .action(clap::ArgAction::Set),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl WizardArgs {
    /// The wizard's flags as if none were given (`mxdoctor` alone on a terminal).
    pub fn defaults() -> Self {
        use clap::FromArgMatches;
        let cmd = <WizardArgs as Args>::augment_args(clap::Command::new("wizard"));
        let matches = cmd.get_matches_from(["wizard"]);
        WizardArgs::from_arg_matches(&matches).expect("the wizard's flags have defaults")
    }
}

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Generate a DKIM key pair with its DNS record and OpenDKIM/Postfix settings.
    Keygen(KeygenArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyAlgorithm {
    Rsa,
    Ed25519,
    /// One RSA and one Ed25519 key (dual signing), selectors S-rsa and S-ed25519.
    Both,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The signing domain (d=).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,
    /// The selector (s=), e.g. mail2026.
    #[arg(long, value_name = "S")]
    pub selector: String,
    #[arg(long, value_enum, default_value_t = KeyAlgorithm::Rsa)]
    pub algorithm: KeyAlgorithm,
    /// RSA key size: 2048, 3072 or 4096.
    #[arg(long, value_name = "BITS", default_value_t = 2048)]
    pub bits: u32,
    /// Directory to write the key and settings into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite existing files (replacing a published key breaks signing until DNS has
    /// the new record).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct BounceArgs {
    /// The bounce: a saved message (.eml), a delivery-status report, or text holding the
    /// server's reply (e.g. "550 5.7.1 ..."); `-` or nothing reads standard input.
    /// At most 16 MiB.
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,
}

/// `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address; port 53 by default.
pub fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "{s:?} is not a resolver address (expected 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)"
    ))
}

/// Seconds as a decimal number, or with an `ms`/`s` suffix; between 10 ms and 10 minutes.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let secs = if let Some(ms) = s.strip_suffix("ms") {
        ms.trim().parse::<f64>().map(|v| v / 1000.0)
    } else {
        s.strip_suffix('s').unwrap_or(s).trim().parse::<f64>()
    }
    .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.01..=600.0).contains(&secs) {
        return Err(format!(
            "{s:?}: the timeout must be between 0.01 and 600 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A duration for waits longer than a timeout: a number with `ms`, `s`, `m` or `h` (seconds
/// without a suffix); between one second and a day.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t.strip_suffix('s').unwrap_or(t), 1.0)
    };
    let secs = number
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30m, 90s, 2h)"))?
        * scale;
    if !(1.0..=86400.0).contains(&secs) {
        return Err(format!("{s:?}: the duration must be between 1 s and 24 h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_question_has_its_flag_in_generate_and_wizard() {
        let cmd = Cli::command();
        for sub in ["generate", "wizard"] {
            let sub = cmd.find_subcommand(sub).unwrap();
            for q in QUESTIONS {
                let long = q.flag.trim_start_matches("--");
                let arg = sub
                    .get_arguments()
                    .find(|a| a.get_long() == Some(long))
                    .unwrap_or_else(|| panic!("{} has no flag {}", q.key, q.flag));
                assert_eq!(arg.get_id().as_str(), q.key);
                assert!(arg.get_help().is_some(), "{} has no help", q.flag);
            }
        }
        let parsed = Cli::try_parse_from([
            "mxdoctor",
            "wizard",
            "--domain",
            "example.org",
            "--dkim-selector",
            "s1",
        ])
        .unwrap();
        let Some(Command::Wizard(args)) = parsed.command else {
            panic!("not the wizard");
        };
        let pairs = args.answer_flags.pairs();
        assert_eq!(pairs.len(), QUESTIONS.len());
        assert_eq!(pairs[0], ("domain", Some("example.org")));
        assert!(pairs.contains(&("dkim.selector", Some("s1"))));
        assert!(pairs.contains(&("hostname", None)));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("0.5s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn resolver_forms() {
        assert_eq!(
            parse_resolver("127.0.0.1").unwrap().to_string(),
            "127.0.0.1:53"
        );
        assert_eq!(parse_resolver("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_resolver("::1").unwrap().to_string(), "[::1]:53");
        assert_eq!(parse_resolver("[::1]:15353").unwrap().port(), 15353);
        assert!(parse_resolver("dns.example").is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_timeout("0.25").unwrap(), Duration::from_millis(250));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
