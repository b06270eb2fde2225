//! Reading the local Postfix configuration through `postconf`, the only reader that knows
//! Postfix's defaults, `$name` expansion and master.cf syntax.
//!
//! Commands run through [`CommandRunner`] so that the parsing is tested on recorded
//! outputs. When `check` looks: with `--postfix-config DIR` always (`postconf -c DIR`);
//! by default when `postconf` is installed and its main.cf is readable; never with
//! `--no-postfix` or under the loopback-only safety switch (a test must not depend on the
//! configuration of the machine it runs on).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::connect;
use crate::facts::{MasterService, PostfixConfig, PostfixFacts};

/// main.cf parameters whose effective values the rules read.
pub const PARAMETERS: &[&str] = &[
    "mail_version",
    "compatibility_level",
    "myhostname",
    "mydomain",
    "myorigin",
    "mydestination",
    "smtp_helo_name",
    "inet_interfaces",
    "inet_protocols",
    "mynetworks",
    "mynetworks_style",
    "relayhost",
    "smtp_tls_security_level",
    "smtp_use_tls",
    "smtp_enforce_tls",
    "smtp_tls_policy_maps",
    "smtp_tls_wrappermode",
    "smtp_sasl_auth_enable",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
    "smtpd_sasl_auth_enable",
    "smtpd_tls_security_level",
    "smtpd_tls_auth_only",
    "smtpd_tls_wrappermode",
    "default_transport",
    "relay_transport",
];

/// Longest output accepted from one command.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// What a command printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code; None when it could not run or was killed.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Set when the program could not be started at all.
    pub spawn_error: Option<SpawnError>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpawnError {
    NotFound,
    Other(String),
}

/// Runs a program and collects its output; faked in tests.
pub trait CommandRunner: Send + Sync {
    fn run(&self, program: &str, args: &[String]) -> impl Future<Output = CommandOutput> + Send;
    /// True when `program` can be found.
    fn exists(&self, program: &str) -> bool;
}

/// The real runner: tokio processes with a time limit, looking in PATH and the sbin
/// directories (postconf lives in /usr/sbin, often not in a user's PATH).
pub struct SystemRunner {
    pub timeout: Duration,
}

impl SystemRunner {
    fn locate(program: &str) -> Option<PathBuf> {
        let path = std::env::var("PATH").unwrap_or_default();
        path.split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    }
}

impl CommandRunner for SystemRunner {
    async fn run(&self, program: &str, args: &[String]) -> CommandOutput {
        let Some(path) = Self::locate(program) else {
            return CommandOutput {
                spawn_error: Some(SpawnError::NotFound),
                ..CommandOutput::default()
            };
        };
        let child = tokio::process::Command::new(path)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        match tokio::time::timeout(self.timeout, child).await {
            Ok(Ok(out)) => CommandOutput {
                status: out.status.code(),
                stdout: bounded(&out.stdout),
                stderr: bounded(&out.stderr),
                spawn_error: None,
            },
            Ok(Err(e)) => CommandOutput {
                spawn_error: Some(if e.kind() == std::io::ErrorKind::NotFound {
                    SpawnError::NotFound
                } else {
                    SpawnError::Other(e.to_string())
                }),
                ..CommandOutput::default()
            },
            Err(_) => CommandOutput {
                spawn_error: Some(SpawnError::Other(format!(
                    "{program} did not finish within {} s",
                    self.timeout.as_secs()
                ))),
                ..CommandOutput::default()
            },
        }
    }

    fn exists(&self, program: &str) -> bool {
        Self::locate(program).is_some()
    }
}

fn bounded(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_OUTPUT)]).into_owned()
}

/// What `check` asked about the local Postfix.
#[derive(Clone, Debug, Default)]
pub struct PostfixRequest {
    /// `--no-postfix`.
    pub skip: bool,
    /// `--postfix-config DIR`.
    pub config_dir: Option<PathBuf>,
}

pub async fn gather(request: &PostfixRequest, runner: &impl CommandRunner) -> PostfixFacts {
    if request.skip {
        return PostfixFacts::Skipped {
            reason: "--no-postfix".into(),
        };
    }
    if request.config_dir.is_none() && connect::loopback_only() {
        return PostfixFacts::Skipped {
            reason: connect::LOOPBACK_ONLY_REASON.into(),
        };
    }
    read(runner, request.config_dir.as_deref()).await
}

/// Run postconf (-n, -x for [`PARAMETERS`], -M, -P) and turn what it prints into facts.
pub async fn read(runner: &impl CommandRunner, dir: Option<&Path>) -> PostfixFacts {
    if !runner.exists("postconf") {
        return PostfixFacts::NotInstalled {
            reason: "the postconf program is not installed".into(),
        };
    }
    let base: Vec<String> = match dir {
        Some(d) => vec!["-c".into(), d.display().to_string()],
        None => Vec::new(),
    };
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    let explicit_args = args(&["-n"]);
    let mut effective_args = args(&["-x"]);
    effective_args.extend(PARAMETERS.iter().map(|p| p.to_string()));
    let (master_args, override_args) = (args(&["-M"]), args(&["-P"]));
    let (explicit, effective, master, overrides) = tokio::join!(
        runner.run("postconf", &explicit_args),
        runner.run("postconf", &effective_args),
        runner.run("postconf", &master_args),
        runner.run("postconf", &override_args),
    );
    if let Some(facts) = failure(&explicit, &explicit_args) {
        return facts;
    }
    let mut warnings: Vec<String> = Vec::new();
    for out in [&explicit, &effective, &master, &overrides] {
        for line in out.stderr.lines() {
            let line = line.trim();
            if !line.is_empty() && !warnings.iter().any(|w| w == line) && warnings.len() < 50 {
                warnings.push(line.to_string());
            }
        }
    }
    let explicit = parse_parameters(&explicit.stdout);
    let effective = parse_parameters(&effective.stdout);
    let mut services = if master.status == Some(0) {
        parse_services(&master.stdout)
    } else {
        Vec::new()
    };
    if overrides.status == Some(0) {
        apply_overrides(&mut services, &overrides.stdout);
    }
    PostfixFacts::Read(PostfixConfig {
        config_directory: dir.map(|d| d.display().to_string()),
        explicit,
        effective,
        services,
        warnings,
    })
}

/// Facts for a postconf run that did not work, or None when it did.
fn failure(out: &CommandOutput, args: &[String]) -> Option<PostfixFacts> {
    let command = format!("postconf {}", args.join(" "));
    match &out.spawn_error {
        Some(SpawnError::NotFound) => {
            return Some(PostfixFacts::NotInstalled {
                reason: "the postconf program is not installed".into(),
            });
        }
        Some(SpawnError::Other(detail)) => {
            return Some(PostfixFacts::Unreadable {
                command,
                detail: detail.clone(),
            });
        }
        None => {}
    }
    if out.status == Some(0) {
        return None;
    }
    let detail = out
        .stderr
        .lines()
        .find(|l| l.contains("fatal:"))
        .or_else(|| out.stderr.lines().last())
        .unwrap_or("postconf failed without a message")
        .trim()
        .to_string();
    // "fatal: open /etc/postfix/main.cf: No such file or directory": installed, never set up.
    if detail.contains("main.cf: No such file") {
        return Some(PostfixFacts::NotInstalled {
            reason: format!("Postfix is installed but not configured ({detail})"),
        });
    }
    Some(PostfixFacts::Unreadable { command, detail })
}

/// `name = value` lines (postconf -n / -x). Values are one line each in postconf's output.
pub fn parse_parameters(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('=')?;
            let name = name.trim();
            let valid = !name.is_empty()
                && name.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || b == b'_'
                        || b == b'/'
                        || b == b'.'
                        || b == b':'
                        || b == b'-'
                        || b == b'['
                        || b == b']'
                });
            valid.then(|| (name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// `postconf -M`: "name type private unpriv chroot wakeup maxproc command args…".
pub fn parse_services(text: &str) -> Vec<MasterService> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 || line.starts_with('#') {
                return None;
            }
            Some(MasterService {
                name: fields[0].to_string(),
                kind: fields[1].to_string(),
                command: fields[7].to_string(),
                overrides: BTreeMap::new(),
            })
        })
        .take(500)
        .collect()
}

/// `postconf -P`: "service/type/parameter = value".
pub fn apply_overrides(services: &mut [MasterService], text: &str) {
    for (key, value) in parse_parameters(text) {
        let mut parts = key.rsplitn(3, '/');
        let (Some(param), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if let Some(service) = services
            .iter_mut()
            .find(|s| s.name == name && s.kind == kind)
        {
            service.overrides.insert(param.to_string(), value);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A runner answering from a table: (first non -c argument) → output.
    pub struct FakeRunner {
        pub installed: bool,
        pub outputs: BTreeMap<String, CommandOutput>,
        pub calls: Mutex<Vec<Vec<String>>>,
    }

    impl FakeRunner {
        pub fn new(n: &str, x: &str, m: &str, p: &str) -> Self {
            let ok = |s: &str| CommandOutput {
                status: Some(0),
                stdout: s.into(),
                ..CommandOutput::default()
            };
            FakeRunner {
                installed: true,
                outputs: BTreeMap::from([
                    ("-n".into(), ok(n)),
                    ("-x".into(), ok(x)),
                    ("-M".into(), ok(m)),
                    ("-P".into(), ok(p)),
                ]),
                calls: Mutex::new(Vec::new()),
            }
        }
    }

    impl CommandRunner for FakeRunner {
        async fn run(&self, _program: &str, args: &[String]) -> CommandOutput {
            self.calls.lock().unwrap().push(args.to_vec());
            let key = args
                .iter()
                .skip_while(|a| *a == "-c")
                .find(|a| a.starts_with('-') && *a != "-c")
                .cloned()
                .unwrap_or_default();
            self.outputs.get(&key).cloned().unwrap_or_default()
        }
        fn exists(&self, _program: &str) -> bool {
            self.installed
        }
    }

    const MASTER: &str = "smtp       inet  n       -       y       -       -       smtpd\nsubmission inet  n       -       y       -       -       smtpd -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt\npickup     unix  n       -       y       60      1       pickup\n";
    const OVERRIDES: &str = "submission/inet/smtpd_tls_security_level = encrypt\nsubmission/inet/syslog_name = postfix/submission\n127.0.0.1:2526/inet/mynetworks = 0.0.0.0/0\n";

    #[tokio::test]
    async fn reads_every_part() {
        let runner = FakeRunner::new(
            "compatibility_level = 3.6\nmyhostname = mail.example.org\n",
            "myhostname = mail.example.org\nsmtp_helo_name = mail.example.org\nrelayhost =\n",
            MASTER,
            OVERRIDES,
        );
        let facts = read(&runner, Some(Path::new("/etc/pf"))).await;
        let PostfixFacts::Read(config) = facts else {
            panic!("{facts:?}")
        };
        assert_eq!(config.explicit["myhostname"], "mail.example.org");
        assert_eq!(config.effective["relayhost"], "");
        assert_eq!(config.services.len(), 3);
        let submission = &config.services[1];
        assert!(submission.is_inet_smtpd() && submission.is_submission());
        assert_eq!(submission.overrides["smtpd_tls_security_level"], "encrypt");
        assert_eq!(config.config_directory.as_deref(), Some("/etc/pf"));
        let calls = runner.calls.lock().unwrap();
        assert!(calls.iter().all(|c| c[..2] == ["-c", "/etc/pf"]));
        assert!(
            calls
                .iter()
                .any(|c| c[2] == "-x" && c.len() == 3 + PARAMETERS.len())
        );
    }

    #[tokio::test]
    async fn failures_are_told_apart() {
        let mut runner = FakeRunner::new("", "", "", "");
        runner.installed = false;
        assert!(matches!(
            read(&runner, None).await,
            PostfixFacts::NotInstalled { .. }
        ));
        let mut runner = FakeRunner::new("", "", "", "");
        runner.outputs.insert(
            "-n".into(),
            CommandOutput {
                status: Some(1),
                stderr: "postconf: fatal: open /etc/postfix/main.cf: No such file or directory\n"
                    .into(),
                ..CommandOutput::default()
            },
        );
        assert!(matches!(
            read(&runner, None).await,
            PostfixFacts::NotInstalled { ref reason } if reason.contains("not configured")
        ));
        runner.outputs.insert(
            "-n".into(),
            CommandOutput {
                status: Some(1),
                stderr: "postconf: fatal: /etc/postfix/main.cf, line 3: missing '=' after attribute name: \"oops\"\n".into(),
                ..CommandOutput::default()
            },
        );
        let facts = read(&runner, None).await;
        assert!(
            matches!(facts, PostfixFacts::Unreadable { ref detail, .. } if detail.contains("line 3")),
            "{facts:?}"
        );
    }

    #[tokio::test]
    async fn what_check_asks_for() {
        let runner = FakeRunner::new("myhostname = a.example.org\n", "", "", "");
        let skipped = gather(
            &PostfixRequest {
                skip: true,
                config_dir: Some("/etc/postfix".into()),
            },
            &runner,
        )
        .await;
        assert!(matches!(skipped, PostfixFacts::Skipped { .. }));
        assert!(runner.calls.lock().unwrap().is_empty());
        let explicit = gather(
            &PostfixRequest {
                skip: false,
                config_dir: Some("/srv/pf".into()),
            },
            &runner,
        )
        .await;
        assert!(
            matches!(explicit, PostfixFacts::Read(ref c) if c.explicit["myhostname"] == "a.example.org")
        );
        assert!(
            runner
                .calls
                .lock()
                .unwrap()
                .iter()
                .all(|c| c[..2] == ["-c", "/srv/pf"])
        );
    }

    #[test]
    fn overrides_attach_to_their_service() {
        let mut services = parse_services(
            "127.0.0.1:2526 inet n    -       n       -       -       smtpd -o mynetworks=0.0.0.0/0\n",
        );
        apply_overrides(&mut services, OVERRIDES);
        assert_eq!(services[0].overrides["mynetworks"], "0.0.0.0/0");
        assert_eq!(services[0].overrides.len(), 1);
    }
}
