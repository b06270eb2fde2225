//! `mxdoctor spf` (RFC 7208 check_host()) through a real DNS server.
//!
//! Scenarios use the format of the openspf/RFC 7208 test suite: `tests` (helo, host,
//! mailfrom, result, explanation) and `zonedata`. Each scenario's zone data becomes one root
//! zone ("."), so every name lives in it, served by NSD behind a proxy that swallows the
//! questions the data marks TIMEOUT: they time out for real. The built binary answers every
//! case with `--format json`.
//!
//! - `own_cases` runs `tests/fixtures/spf/cases.yml`, written for mxdoctor: always on.
//! - `rfc7208_suite` runs `$MXDOCTOR_TEST_DATA/spf/rfc7208-tests.yml`, the official suite
//!   (not shipped with mxdoctor): `#[ignore]`d, run with `cargo test -- --ignored`.
//!
//! Zone data conventions, as the suite's own drivers read them: an `SPF` entry is served as
//! type SPF and, when the name has no `TXT` entry at all, also as TXT (RFC 7208 dropped the
//! SPF type; the suite relies on this copy); `TXT: NONE` means "no TXT record"; `TIMEOUT`
//! makes every question about the name for a type it has no data for go unanswered. Strings
//! are served byte for byte: characters up to U+00FF as one byte (the suite writes raw bytes
//! such as a UTF-8 BOM as "\xEF\xBB\xBF"). A TXT with no strings at all (`SPF: [ ]`) is not
//! legal DNS (RFC 1035 §3.3.14 requires one string; hickory rejects such an answer), so it
//! is served as one empty string, which SPF treats the same way: not an SPF record.

#[path = "harness/dnsproxy.rs"]
mod dnsproxy;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;

use crate::harness::{Nsd, fixtures, mxdoctor, run};
use dnsproxy::DropProxy;

#[derive(Debug, Deserialize)]
struct Scenario {
    description: String,
    #[serde(default)]
    tests: BTreeMap<String, Case>,
    #[serde(default)]
    zonedata: BTreeMap<String, Vec<Value>>,
}

#[derive(Clone, Debug, Deserialize)]
struct Case {
    helo: String,
    host: String,
    mailfrom: String,
    /// One result, or a list of acceptable ones.
    result: Value,
    #[serde(default)]
    explanation: Option<String>,
}

/// Cases where RFC 7208 itself and the suite's expectation differ in form only.
const RFC_SPELLING: &[(&str, &str)] = &[(
    "v-macro-ip6",
    "RFC 7208 §7.4 writes the %{i} nibbles of an IPv6 address in lower case; the suite expects upper case",
)];

#[test]
fn own_cases() {
    let path = fixtures().join("spf/cases.yml");
    let outcome = run_file(&path);
    assert!(outcome.total >= 40, "only {} cases", outcome.total);
    assert!(
        outcome.failures.is_empty(),
        "{} of {} cases failed:\n{}",
        outcome.failures.len(),
        outcome.total,
        outcome.failures.join("\n")
    );
}

#[test]
#[ignore = "needs the RFC 7208 test suite: set MXDOCTOR_TEST_DATA to the folder holding spf/rfc7208-tests.yml"]
fn rfc7208_suite() {
    let dir = std::env::var_os("MXDOCTOR_TEST_DATA").unwrap_or_else(|| {
        panic!(
            "MXDOCTOR_TEST_DATA is not set: point it at the reference data folder that holds \
             spf/rfc7208-tests.yml (e.g. MXDOCTOR_TEST_DATA=../shared/data cargo test -- --ignored)"
        )
    });
    let path = PathBuf::from(dir).join("spf/rfc7208-tests.yml");
    let outcome = run_file(&path);
    assert!(
        outcome.failures.is_empty(),
        "{} of {} RFC 7208 suite cases failed:\n{}",
        outcome.failures.len(),
        outcome.total,
        outcome.failures.join("\n")
    );
}

struct FileOutcome {
    total: usize,
    failures: Vec<String>,
}

fn run_file(path: &Path) -> FileOutcome {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let scenarios: Vec<Scenario> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|e| panic!("{} is not a test suite: {e}", path.display()));
    let mut total = 0;
    let mut failures = Vec::new();
    println!("SPF cases from {}", path.display());
    for scenario in &scenarios {
        let (passed, failed) = run_scenario(scenario);
        total += passed + failed.len();
        println!(
            "  {:<45} {:>3} of {:>3} pass",
            scenario.description,
            passed,
            passed + failed.len()
        );
        failures.extend(failed);
    }
    println!(
        "  {:<45} {:>3} of {:>3} pass",
        "TOTAL",
        total - failures.len(),
        total
    );
    FileOutcome { total, failures }
}

/// Run every case of one scenario against its own DNS server; (passed, failure reports).
fn run_scenario(scenario: &Scenario) -> (usize, Vec<String>) {
    let zone = Zone::build(&scenario.zonedata);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("root.zone");
    std::fs::write(&file, &zone.text).unwrap();
    let nsd = Nsd::start_zones(&[(".".to_string(), file)]);
    let upstream = nsd.addr().parse().unwrap();
    let timeouts = Arc::new(zone.timeouts);
    let proxy = DropProxy::start(
        upstream,
        Arc::new(move |name: &str, qtype: u16| {
            timeouts
                .get(name)
                .is_some_and(|served| !served.contains(&qtype) && !served.contains(&CNAME))
        }),
    );
    let queue: Mutex<Vec<(&String, &Case)>> = Mutex::new(scenario.tests.iter().collect());
    let results: Mutex<Vec<Option<String>>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Some((name, case)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let verdict = run_case(&proxy.addr(), &scenario.description, name, case);
                    results.lock().unwrap().push(verdict);
                }
            });
        }
    });
    drop(nsd);
    let results = results.into_inner().unwrap();
    let passed = results.iter().filter(|r| r.is_none()).count();
    let mut failures: Vec<String> = results.into_iter().flatten().collect();
    failures.sort();
    (passed, failures)
}

/// None when the case passes, else a report.
fn run_case(resolver: &str, scenario: &str, name: &str, case: &Case) -> Option<String> {
    let (code, stdout, stderr) = run(mxdoctor().args([
        "spf",
        "--resolver",
        resolver,
        "--timeout",
        "0.4",
        "--format",
        "json",
        "--ip",
        &case.host,
        "--sender",
        &case.mailfrom,
        "--helo",
        &case.helo,
    ]));
    let report: Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => {
            return Some(format!(
                "{scenario} / {name}: no JSON ({e}), exit {code}: {stderr}"
            ));
        }
    };
    let got = report["result"].as_str().unwrap_or("?").to_string();
    let wanted: Vec<String> = match &case.result {
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        other => vec![other.to_string()],
    };
    let explanation = report["explanation"].as_str();
    let reason = report["reason"].as_str().unwrap_or("");
    if !wanted.contains(&got) {
        return Some(format!(
            "{scenario} / {name}: want {wanted:?}, got {got} ({reason})"
        ));
    }
    let want_code = match got.as_str() {
        "pass" => 0,
        "neutral" | "softfail" | "none" => 1,
        "fail" | "permerror" => 3,
        _ => 4,
    };
    if code != want_code {
        return Some(format!(
            "{scenario} / {name}: result {got} but exit code {code}"
        ));
    }
    if let Some(want) = &case.explanation {
        let ok = match (want.as_str(), explanation) {
            ("DEFAULT", None) => true,
            ("DEFAULT", Some(_)) => false,
            (want, Some(got)) if want == got => true,
            (want, Some(got)) => RFC_SPELLING.iter().any(|(case_name, why)| {
                *case_name == name && want.eq_ignore_ascii_case(got) && {
                    println!("    note: {name}: {why}");
                    true
                }
            }),
            (_, None) => false,
        };
        if !ok {
            return Some(format!(
                "{scenario} / {name}: explanation {explanation:?}, want {want:?}"
            ));
        }
    }
    None
}

const CNAME: u16 = 5;

/// One scenario's zone data as a root zone file, plus the TIMEOUT names with the types
/// they do have data for.
struct Zone {
    text: String,
    timeouts: HashMap<String, HashSet<u16>>,
}

impl Zone {
    fn build(zonedata: &BTreeMap<String, Vec<Value>>) -> Zone {
        let mut text = String::from(
            "$ORIGIN .\n$TTL 300\n\
             .\tIN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n\
             .\tIN NS ns.test.\n\
             ns.test.\tIN A 127.0.0.1\n",
        );
        let mut timeouts = HashMap::new();
        for (name, entries) in zonedata {
            let owner = zone_name(name);
            let key = name.trim_end_matches('.').to_ascii_lowercase();
            let has_txt = entries.iter().any(|e| e.get("TXT").is_some());
            let mut served: HashSet<u16> = HashSet::new();
            let mut timeout = false;
            for entry in entries {
                if entry.as_str() == Some("TIMEOUT") {
                    timeout = true;
                    continue;
                }
                let Some(map) = entry.as_object() else {
                    panic!("{name}: unexpected zone entry {entry}");
                };
                for (rtype, value) in map {
                    let mut line = |t: &str, code: u16, rdata: String| {
                        served.insert(code);
                        text.push_str(&format!("{owner}\tIN {t} {rdata}\n"));
                    };
                    match rtype.as_str() {
                        "SPF" => {
                            let strings = txt_strings(value);
                            line("SPF", 99, strings.clone());
                            if !has_txt {
                                line("TXT", 16, strings);
                            }
                        }
                        "TXT" if value.as_str() == Some("NONE") => {}
                        "TXT" => line("TXT", 16, txt_strings(value)),
                        "A" => line("A", 1, scalar(value)),
                        "AAAA" => line("AAAA", 28, scalar(value)),
                        "PTR" => line("PTR", 12, zone_name(&scalar(value))),
                        "CNAME" => line("CNAME", CNAME, zone_name(&scalar(value))),
                        "MX" => {
                            let pref = value[0].as_u64().unwrap_or(0);
                            let host = value[1].as_str().unwrap_or_default();
                            line("MX", 15, format!("{pref} {}", zone_name(host)));
                        }
                        other => panic!("{name}: record type {other} not supported"),
                    }
                }
            }
            if timeout {
                timeouts.insert(key, served);
            }
        }
        Zone { text, timeouts }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A name for the zone file: absolute, every byte outside letters, digits, "-" and "_"
/// written as \DDD (names in test data hold ":", "/", "%" and spaces).
fn zone_name(name: &str) -> String {
    let name = name.trim_end_matches('.');
    if name.is_empty() {
        return ".".into();
    }
    let mut out = String::new();
    for label in name.split('.') {
        for b in raw_bytes(label) {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("\\{b:03}"));
            }
        }
        out.push('.');
    }
    out
}

/// Characters up to U+00FF as one byte each (the suite's "\xNN" are bytes), others as UTF-8.
fn raw_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in s.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => out.push(b),
            Err(_) => out.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    out
}

/// TXT rdata: one or more quoted character-strings of at most 255 bytes each.
fn txt_strings(value: &Value) -> String {
    let strings: Vec<String> = match value {
        Value::Array(list) => list.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    let mut chunks: Vec<String> = Vec::new();
    for s in &strings {
        let bytes = raw_bytes(s);
        if bytes.is_empty() {
            chunks.push("\"\"".into());
        }
        for chunk in bytes.chunks(255) {
            let mut quoted = String::from("\"");
            for &b in chunk {
                if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                    quoted.push(char::from(b));
                } else {
                    quoted.push_str(&format!("\\{b:03}"));
                }
            }
            quoted.push('"');
            chunks.push(quoted);
        }
    }
    if chunks.is_empty() {
        chunks.push("\"\"".into());
    }
    chunks.join(" ")
}
