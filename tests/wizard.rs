use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

use crate::harness::postfix::Postfix;
use crate::harness::{Nsd, fixtures, mxdoctor, mxdoctor_with_dnsbl, run};

const PASSWORD: &str = "Tr0ub4dor&3";
const ENTER: &str = "\r";
const ESC: &str = "\x1b";
const CTRL_C: &str = "\x03";

/// NSD with the wizard's home-server domain and the blocklist fixtures (198.51.100.10 is
/// on the Spamhaus PBL there).
fn servers() -> (Nsd, std::sync::Arc<Postfix>) {
    let nsd = Nsd::start(&[&fixtures().join("dnsbl"), &fixtures().join("wizard")]);
    (nsd, Postfix::shared())
}

/// Everything the wizard probes stays on loopback: the resolver is NSD, the SMTP server,
/// port 25 test and Postfix configuration are the loopback Postfix's.
fn probe_args(nsd: &Nsd, postfix: &Postfix) -> Vec<String> {
    let closed = format!("127.0.0.1:{}", postfix.closed);
    vec![
        "--smtp".into(),
        closed.clone(),
        "--ca-file".into(),
        postfix.ca_file.display().to_string(),
        "--egress-target".into(),
        closed,
        "--postfix-config".into(),
        postfix.etc().display().to_string(),
    ]
    .into_iter()
    .chain(["--resolver".into(), nsd.addr()])
    .collect()
}

fn wizard(nsd: &Nsd, postfix: &Postfix, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = mxdoctor_with_dnsbl();
    cmd.env("TERM", "xterm-256color")
        .args(["--timeout", "1", "--no-color", "wizard"])
        .args(probe_args(nsd, postfix))
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

/// A wizard on a pseudo-terminal, and everything it showed.
struct Screen {
    session: PtySession,
    text: String,
}

impl Screen {
    fn start(cmd: Command) -> Self {
        Screen {
            session: rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty"),
            text: String::new(),
        }
    }

    fn expect(&mut self, needle: &str) {
        match self.session.exp_string(needle) {
            Ok(before) => {
                self.text.push_str(&before);
                self.text.push_str(needle);
            }
            Err(e) => panic!("waiting for {needle:?}: {e}\nscreen so far:\n{}", self.text),
        }
    }

    /// Wait for a prompt, then press keys.
    fn answer(&mut self, prompt: &str, keys: &str) {
        self.expect(prompt);
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Read to the end; the exit code.
    fn finish(&mut self) -> i32 {
        let rest = self.session.exp_eof().unwrap_or_default();
        self.text.push_str(&rest);
        match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("not exited: {other:?}\n{}", self.text),
        }
    }
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Split one line of POSIX shell words (plain or single-quoted, as the wizard prints them).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.trim().chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The whole wizard on a terminal against NSD and Postfix on loopback, every prompt
/// answered; then the command line it printed, run without a terminal, writes the same kit.
#[test]
fn a_whole_run_on_a_terminal_and_the_same_run_from_its_command_line() {
    let (nsd, postfix) = servers();
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("kit");
    let mut s = Screen::start(wizard(&nsd, &postfix, &out, &[]));

    s.answer("Your mail domain:", "wizard.test\r");
    s.answer("Your mail server's name: (mail.wizard.test)", ENTER);
    s.answer("Public IPv4 address it sends from: (198.51.100.10)", ENTER);
    s.answer("Public IPv6 address it sends from:", ENTER);
    s.answer("Does this server receive the domain's mail?", ENTER);
    // The checks, the findings and the advice.
    s.expect("What mxdoctor found for wizard.test");
    s.expect("Spamhaus ZEN PBL");
    s.expect("Send through a smarthost");
    s.expect("198-51-100-10.dsl.wizard.test, a name");
    s.answer("How should mail leave your server?", ENTER);
    s.expect("Through a smarthost");
    s.answer("Which relay?", ENTER);
    s.answer("The relay's host name:", "smtp.isp.example\r");
    s.answer("The relay's port: (587)", ENTER);
    s.answer("Login name at the relay:", "me@isp.example\r");
    s.answer(
        "Password for the relay (not shown):",
        &format!("{PASSWORD}\r"),
    );
    s.answer("Relay only mail to these domains or groups:", ENTER);
    s.answer("SPF include for the relay:", "spf.isp.example\r");
    s.answer("DKIM selector for the new key: (mail)", ENTER);
    s.answer("DKIM key type:", ENTER);
    s.answer("Where should DMARC reports go? (dmarc@wizard.test)", ENTER);
    s.answer("MTA-STS mode:", ENTER);
    // Untick the first fix (the relay is preselected), tick it again, confirm.
    s.answer("Which fixes should the plan walk you through?", " ");
    s.session.send(" ").unwrap();
    s.session.send(ENTER).unwrap();
    s.session.flush().unwrap();
    s.expect("Your fix kit is in");
    s.expect("The same run without questions");
    let code = s.finish();
    let screen = s.text.clone();
    assert_eq!(code, 3, "a critical finding (the PBL listing)\n{screen}");
    for help in [
        "Flag: --domain",
        "Flag: --smarthost-password-file",
        "Flag: --fixes",
    ] {
        assert!(screen.contains(help), "{help} not shown\n{screen}");
    }
    assert!(
        !screen.contains(PASSWORD),
        "the password reached the screen"
    );
    assert!(
        screen.contains("--smarthost-password-file PASSWORD_FILE"),
        "{screen}"
    );

    // The kit.
    let files = tree(&out);
    for path in [
        "plan.md",
        "answers.yaml",
        "report.json",
        "dns/zone.txt",
        "dns/records.tsv",
        "dkim/mail.private",
        "postfix/main.cf.snippet",
        "postfix/sasl_passwd",
        "delisting/spamhaus-pbl.md",
    ] {
        assert!(
            files.contains_key(path),
            "{path} missing: {:?}",
            files.keys()
        );
    }
    let text = |p: &str| String::from_utf8_lossy(&files[p]).into_owned();
    assert_eq!(
        text("postfix/sasl_passwd").lines().last(),
        Some(format!("[smtp.isp.example]:587 me@isp.example:{PASSWORD}").as_str())
    );
    assert_eq!(mode(&out.join("postfix/sasl_passwd")), 0o600);
    assert_eq!(mode(&out.join("dkim/mail.private")), 0o600);
    for (path, bytes) in &files {
        if path != "postfix/sasl_passwd" {
            assert!(
                !String::from_utf8_lossy(bytes).contains(PASSWORD),
                "the password is in {path}"
            );
        }
    }
    let answers = text("answers.yaml");
    assert!(answers.contains("username: me@isp.example"), "{answers}");
    assert!(!answers.contains("password"), "{answers}");
    assert!(text("dns/zone.txt").contains("include:spf.isp.example"));
    assert!(text("plan.md").contains("Send through"));
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "only the kit: {leftovers:?}");

    // The printed command line, without a terminal: the same kit (the DKIM key aside, which
    // is random: the second run is given the first one's key to keep).
    let line = screen
        .lines()
        .skip_while(|l| !l.contains("The same run without questions"))
        .nth(1)
        .expect("the command line")
        .trim()
        .to_string();
    let mut words = shell_words(&line);
    assert_eq!(&words[..2], ["mxdoctor", "wizard"], "{line}");
    let password_file = root.path().join("password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let again = root.path().join("again");
    for w in &mut words {
        if *w == "PASSWORD_FILE" {
            *w = password_file.display().to_string();
        } else if Path::new(w.as_str()) == out {
            *w = again.display().to_string();
        }
    }
    std::fs::create_dir_all(again.join("dkim")).unwrap();
    std::fs::copy(
        out.join("dkim/mail.private"),
        again.join("dkim/mail.private"),
    )
    .unwrap();
    let mut cmd = mxdoctor_with_dnsbl();
    cmd.args(&words[1..]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 3, "{line}\n{stdout}\n{stderr}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    let second = tree(&again);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, first) in &files {
        let (a, b) = (
            String::from_utf8_lossy(first),
            String::from_utf8_lossy(&second[path]),
        );
        match path.as_str() {
            // The key was kept the second time, and the plan says so.
            "plan.md" => {
                let norm = |t: &str| {
                    t.lines()
                        .filter(|l| !l.contains("dkim/mail.private"))
                        .map(|l| l.replace(", key kept from an earlier run", ""))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                assert_eq!(norm(&a), norm(&b), "{path}");
            }
            // The flag names the password's file; the prompt took the password itself.
            "answers.yaml" => {
                let b: String = b
                    .lines()
                    .filter(|l| !l.contains("password_file:"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                assert_eq!(a, b, "{path}");
            }
            // Connection times differ from run to run.
            "report.json" => {
                let ids = |t: &str| {
                    let v: serde_json::Value = serde_json::from_str(t).unwrap();
                    v["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| {
                            (
                                f["id"].to_string(),
                                f["severity"].to_string(),
                                f["subject"].to_string(),
                                f["title"].to_string(),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(ids(&a), ids(&b));
            }
            _ => assert_eq!(a, b, "{path} differs"),
        }
    }
}

/// Ctrl-C at the first prompt and Esc at a later one: exit 130, nothing written.
#[test]
fn cancelling_at_a_prompt_writes_nothing() {
    let (nsd, postfix) = servers();
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("kit");

    let mut s = Screen::start(wizard(&nsd, &postfix, &out, &[]));
    s.answer("Your mail domain:", CTRL_C);
    assert_eq!(s.finish(), 130, "{}", s.text);
    assert!(
        s.text.contains("Cancelled: nothing was written."),
        "{}",
        s.text
    );

    let mut s = Screen::start(wizard(
        &nsd,
        &postfix,
        &out,
        &["--domain", "wizard.test", "--ipv6", "2001:db8::10"],
    ));
    s.answer("Your mail server's name:", ENTER);
    s.answer("Public IPv4 address", ENTER);
    s.answer("receive the domain's mail?", ENTER);
    s.answer("How should mail leave your server?", ENTER);
    s.answer("Which relay?", ESC);
    assert_eq!(s.finish(), 130, "{}", s.text);

    let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left: {left:?}");
}

/// `mxdoctor` alone starts the wizard on a terminal and prints help otherwise.
#[test]
fn no_command_means_the_wizard_on_a_terminal() {
    let mut cmd = mxdoctor();
    cmd.env("TERM", "xterm-256color")
        .args(["--resolver", "127.0.0.1:9"]);
    let mut s = Screen::start(cmd);
    s.answer("Your mail domain:", ESC);
    assert_eq!(s.finish(), 130);

    let (code, stdout, _) = run(mxdoctor().args(["--resolver", "127.0.0.1:9"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("Usage: mxdoctor"), "{stdout}");
}

/// Without a terminal, the wizard names the exact flags it still needs, before probing.
#[test]
fn without_a_terminal_missing_answers_are_listed() {
    let root = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(mxdoctor()
        .args([
            "--resolver",
            "127.0.0.1:9",
            "wizard",
            "--domain",
            "wizard.test",
            "--outbound",
            "smarthost",
        ])
        .arg("--out")
        .arg(root.path().join("kit")));
    assert_eq!(code, 2, "{stdout}{stderr}");
    for flag in [
        "--hostname FQDN",
        "--ipv4 IP",
        "--receives-mail YES|NO",
        "--smarthost-provider NAME",
        "--smarthost-username USER",
        "--dkim-selector S",
    ] {
        assert!(stderr.contains(flag), "{flag} not listed:\n{stderr}");
    }
    assert!(!stderr.contains("--domain"), "{stderr}");
    assert!(!root.path().join("kit").exists());

    // With --yes, a login given by flag still needs the password file: no default for it.
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "--resolver",
            "127.0.0.1:9",
            "--timeout",
            "0.2",
            "wizard",
            "--yes",
            "--no-smtp",
            "--no-egress",
            "--no-dnsbl",
        ])
        .args([
            "--domain",
            "wizard.test",
            "--outbound",
            "smarthost",
            "--smarthost-provider",
            "sendgrid",
            "--smarthost-username",
            "apikey",
        ])
        .arg("--out")
        .arg(root.path().join("kit")));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--smarthost-password-file FILE"),
        "{stderr}"
    );
    assert!(!root.path().join("kit").exists());
}

/// An earlier kit is never overwritten without --force, and the refusal comes first.
#[test]
fn an_earlier_kit_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let out: PathBuf = root.path().join("kit");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("plan.md"), "mine").unwrap();
    let (code, _, stderr) = run(mxdoctor()
        .args([
            "--resolver",
            "127.0.0.1:9",
            "wizard",
            "--yes",
            "--domain",
            "wizard.test",
        ])
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 2);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("plan.md")).unwrap(),
        "mine"
    );
}

/// Ctrl-C while the checks run (no prompt open): exit 130, nothing written.
#[test]
fn ctrl_c_during_the_checks_writes_nothing() {
    let silent = crate::harness::SilentResolver::start();
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("kit");
    let mut cmd = mxdoctor();
    cmd.env("TERM", "xterm-256color")
        .args([
            "--resolver",
            &silent.addr,
            "--timeout",
            "2",
            "wizard",
            "--no-smtp",
            "--no-egress",
        ])
        .args([
            "--domain",
            "wizard.test",
            "--hostname",
            "mail.wizard.test",
            "--ipv4",
            "198.51.100.10",
        ])
        .args(["--receives-mail", "yes", "--out"])
        .arg(&out);
    let mut s = Screen::start(cmd);
    s.answer("Public IPv6 address it sends from:", ENTER);
    // The silent resolver keeps every lookup waiting: the checks are running.
    std::thread::sleep(std::time::Duration::from_millis(700));
    s.session.send(CTRL_C).unwrap();
    s.session.flush().unwrap();
    assert_eq!(s.finish(), 130, "{}", s.text);
    let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left: {left:?}");
}

/// `check --answers` takes the target from the file; the domain, --host, --ip and --selector
/// given on the command line win.
#[test]
fn check_reads_the_target_from_an_answers_file() {
    let nsd = Nsd::start(&[&fixtures().join("zones")]);
    let root = tempfile::tempdir().unwrap();
    let answers = root.path().join("answers.yaml");
    std::fs::write(
        &answers,
        "domain: good.test\nhostname: mail.good.test\nipv4: 192.0.2.10\nipv6: 2001:db8::10\n\
         outbound: smarthost\nsmarthost: {provider: sendgrid, username: apikey}\n\
         dkim: {selector: mail, algorithms: [rsa]}\n",
    )
    .unwrap();
    let mut cmd = mxdoctor();
    cmd.args(["check", "--answers"]).arg(&answers).args([
        "--resolver",
        &nsd.addr(),
        "--format",
        "json",
        "--no-smtp",
    ]);
    let (code, stdout, stderr) = run(&mut cmd);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    assert_eq!(
        report["target"],
        serde_json::json!({"domain": "good.test", "ips": ["192.0.2.10", "2001:db8::10"], "host": "mail.good.test", "selectors": ["mail"]}),
        "exit {code}: {stderr}"
    );
    let mut cmd = mxdoctor();
    cmd.args(["check", "good.test", "--answers"])
        .arg(&answers)
        .args([
            "--ip",
            "192.0.2.20",
            "--selector",
            "other",
            "--host",
            "other.good.test",
        ])
        .args(["--resolver", &nsd.addr(), "--format", "json", "--no-smtp"]);
    let (_, stdout, _) = run(&mut cmd);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["target"]["ips"], serde_json::json!(["192.0.2.20"]));
    assert_eq!(report["target"]["selectors"], serde_json::json!(["other"]));
    assert_eq!(report["target"]["host"], "other.good.test");
}
