//! Snapshots of the rendered files, so every change to their text is reviewed. Key
//! material and the version are redacted; everything else is deterministic.

use std::path::Path;

use crate::generate::{direct_answers, generate};
use crate::harness::fixtures;

const FILES: &[&str] = &[
    "dns/zone.txt",
    "dns/records.tsv",
    "dns/nsupdate.txt",
    "postfix/main.cf.snippet",
    "postfix/master.cf.snippet",
    "postfix/apply.sh",
    "dkim/KeyTable",
    "dkim/SigningTable",
    "dkim/opendkim.conf.snippet",
    "plan.md",
    "answers.yaml",
];

/// File text with DKIM public keys and the version replaced by placeholders.
fn redacted(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| redact_key(line).replace(env!("CARGO_PKG_VERSION"), "[version]") + "\n")
        .collect()
}

/// Everything from `p=` to the end of the value of a DKIM record.
fn redact_key(line: &str) -> String {
    if !line.contains("v=DKIM1") {
        return line.to_string();
    }
    let cut = |s: &str| match s.find("p=") {
        Some(i) if s.starts_with('"') || s.contains(" \"") => {
            format!("{}p=[public key]\"", &s[..i])
        }
        Some(i) => format!("{}p=[public key]", &s[..i]),
        None => s.to_string(),
    };
    if line.contains('\t') {
        line.split('\t').map(cut).collect::<Vec<_>>().join("\t")
    } else {
        cut(line)
    }
}

fn snapshot_all(case: &str, out: &Path) {
    for file in FILES {
        let path = out.join(file);
        if !path.exists() {
            continue;
        }
        let name = format!("{case}__{}", file.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, redacted(&path));
    }
}

#[test]
fn direct_server_files() {
    let tmp = tempfile::tempdir().unwrap();
    generate(
        tmp.path(),
        &["--answers", direct_answers().to_str().unwrap()],
    );
    snapshot_all("direct", tmp.path());
}

#[test]
fn relayed_home_server_files() {
    let tmp = tempfile::tempdir().unwrap();
    let answers = fixtures().join("answers/relay.yaml");
    generate(tmp.path(), &["--answers", answers.to_str().unwrap()]);
    snapshot_all("relay", tmp.path());
}
