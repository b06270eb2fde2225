//! Every command and flag, in one place. Help, completions and the man page come from here.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

#[derive(Debug, Args)]
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
    /// Diagnose a domain: MX, mail host, reverse DNS, SPF, DKIM, DMARC, MTA-STS, TLS-RPT.
    Check(CheckArgs),
    /// Evaluate SPF (RFC 7208 check_host) for an IP and a sender, with a trace.
    Spf(SpfArgs),
    /// Try to relay through an SMTP server, stopping at RCPT (never DATA); exit 3 if it would.
    RelayTest(RelayTestArgs),
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
    #[arg(required_unless_present = "facts_in")]
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

    /// Write the gathered facts to FILE (JSON) to replay or attach to a bug report.
    #[arg(long, value_name = "FILE", conflicts_with = "facts_in")]
    pub facts_out: Option<PathBuf>,

    /// Diagnose facts saved by --facts-out instead of asking the network.
    #[arg(long, value_name = "FILE")]
    pub facts_in: Option<PathBuf>,

    /// Also write report.json into DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Overwrite existing files in --out.
    #[arg(long)]
    pub force: bool,

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
    pub tls: TlsArgs,
}

/// How mxdoctor talks to SMTP servers.
#[derive(Debug, Args)]
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

/// Trust settings for HTTPS (MTA-STS policies) and SMTP TLS.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Also trust the CA certificates in this PEM file (e.g. a private CA).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Fetch MTA-STS policies from this port instead of 443 (for test servers).
    #[arg(long, value_name = "PORT", hide = true)]
    pub https_port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct SpfArgs {
    /// The connecting client's address.
    #[arg(long, value_name = "IP")]
    pub ip: String,

    /// The envelope sender (MAIL FROM); a bare domain means postmaster@domain.
    #[arg(long, value_name = "ADDR")]
    pub sender: String,

    /// The HELO/EHLO name the client gave.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
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
