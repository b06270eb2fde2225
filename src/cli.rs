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
                  4 some checks could not complete, 2 the tool failed, 130 cancelled."
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a domain: MX, mail host, reverse DNS, SPF, DKIM, DMARC, MTA-STS, TLS-RPT.
    Check(CheckArgs),
    /// Evaluate SPF (RFC 7208 check_host) for an IP and a sender, with a trace.
    Spf(SpfArgs),
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
