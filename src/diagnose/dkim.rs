//! DKIM: is the public key of each selector published, readable and strong enough?

use crate::facts::{Facts, Lookup, SelectorLookup};
use crate::records::dkim::{self, Key, RSA_MIN_BITS, RSA_RECOMMENDED_BITS};
use crate::records::tags::Problem;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let dkim = &facts.dns.dkim;
    if dkim.guessed {
        guessed(&facts.target.domain, &dkim.selectors, out);
    } else {
        for lookup in &dkim.selectors {
            named(lookup, out);
        }
    }
}

/// A selector the user named: it must hold a key.
fn named(lookup: &SelectorLookup, out: &mut Vec<Finding>) {
    if let Some(f) = lookup_failed(
        FindingId::DkimLookupFailed,
        &lookup.name,
        "TXT",
        &lookup.txt,
    ) {
        out.push(f);
        return;
    }
    match &lookup.txt {
        Lookup::NxDomain | Lookup::NoData => out.push(
            Finding::new(FindingId::DkimMissing, Severity::Critical, &lookup.name)
                .with("selector", &lookup.selector)
                .with("name", &lookup.name)
                .with("nxdomain", matches!(lookup.txt, Lookup::NxDomain)),
        ),
        Lookup::Answer { records } => {
            let keys: Vec<&String> = records.iter().filter(|t| dkim::looks_like_key(t)).collect();
            if keys.is_empty() {
                let problem = Problem::fatal(
                    "not-a-key",
                    "the TXT record there is not a DKIM key (it has no p= tag)",
                );
                out.push(syntax(lookup, &records[0], &[problem]));
            }
            for txt in keys {
                judge(lookup, txt, false, out);
            }
        }
        Lookup::Failed { .. } | Lookup::NotAsked => {}
    }
}

/// No selector was named: report the keys found among the common selectors, or that none was.
fn guessed(domain: &str, lookups: &[SelectorLookup], out: &mut Vec<Finding>) {
    let mut found = false;
    for lookup in lookups {
        for txt in lookup
            .txt
            .records()
            .iter()
            .filter(|t| dkim::looks_like_key(t))
        {
            found = true;
            judge(lookup, txt, true, out);
        }
    }
    if found || lookups.is_empty() {
        return;
    }
    let failed: Vec<&SelectorLookup> = lookups
        .iter()
        .filter(|l| l.txt.failure().is_some())
        .collect();
    if let Some(first) = failed.first() {
        if let Some(f) = lookup_failed(FindingId::DkimLookupFailed, &first.name, "TXT", &first.txt)
        {
            let names: Vec<&str> = failed.iter().map(|l| l.name.as_str()).collect();
            out.push(f.with("failed_names", names));
        }
        return;
    }
    let tried: Vec<&str> = lookups.iter().map(|l| l.selector.as_str()).collect();
    out.push(
        Finding::new(FindingId::DkimSelectorUnknown, Severity::Info, domain)
            .with("tried", &tried)
            .with("count", tried.len()),
    );
}

/// Findings about one key record.
fn judge(lookup: &SelectorLookup, txt: &str, guessed: bool, out: &mut Vec<Finding>) {
    let record = dkim::check(txt);
    if !record.problems.is_empty() {
        out.push(syntax(lookup, txt, &record.problems));
        return;
    }
    let finding = |id, severity| {
        Finding::new(id, severity, &lookup.name)
            .with("selector", &lookup.selector)
            .with("name", &lookup.name)
            .with("record", txt)
            .with("record_short", shorten_key(txt))
            .with("guessed", guessed)
    };
    let before = out.len();
    match record.key {
        Key::Revoked => {
            // A withdrawn key is a problem only where mail is still signed with it.
            let severity = if guessed {
                Severity::Info
            } else {
                Severity::Critical
            };
            out.push(finding(FindingId::DkimRevoked, severity));
        }
        Key::Rsa { bits, .. } if bits < RSA_RECOMMENDED_BITS => {
            let severity = if bits < RSA_MIN_BITS {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(
                finding(FindingId::DkimKeyTooShort, severity)
                    .with("bits", bits)
                    .with("minimum", RSA_MIN_BITS)
                    .with("recommended", RSA_RECOMMENDED_BITS),
            );
        }
        _ => {}
    }
    if record.testing {
        out.push(finding(FindingId::DkimTesting, Severity::Warning));
    }
    if out.len() == before {
        let (key_type, bits, encoding) = match &record.key {
            Key::Rsa { bits, encoding } => ("rsa", Some(*bits), Some(*encoding)),
            _ => ("ed25519", None, None),
        };
        out.push(
            finding(FindingId::DkimOk, Severity::Ok)
                .with("key_type", key_type)
                .with("bits", bits)
                .with("encoding", encoding)
                .with("strict", record.strict)
                .with("ignored_tags", &record.ignored_tags),
        );
    }
}

/// The record with the middle of a long p= value cut out, for display.
fn shorten_key(txt: &str) -> String {
    let Some(start) = txt.find("p=").map(|i| i + 2) else {
        return txt.to_string();
    };
    let end = txt[start..].find(';').map_or(txt.len(), |i| start + i);
    let key = &txt[start..end];
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 40 {
        return txt.to_string();
    }
    let head: String = chars[..16].iter().collect();
    let tail: String = chars[chars.len() - 8..].iter().collect();
    format!("{}{head}…{tail}{}", &txt[..start], &txt[end..])
}

fn syntax(lookup: &SelectorLookup, txt: &str, problems: &[Problem]) -> Finding {
    let errors: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    Finding::new(FindingId::DkimSyntax, Severity::Critical, &lookup.name)
        .with("selector", &lookup.selector)
        .with("name", &lookup.name)
        .with("record", txt)
        .with("errors", errors)
        .with("problems", problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::DkimFacts;
    use crate::testing::{explain_all, facts_for, failed};

    /// (name, TXT lookup, expected findings)
    type Case = (&'static str, Lookup<String>, Vec<(FindingId, Severity)>);

    const RSA_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtTNjfA8ze185VsI+RSi87uEf593Cp7sPCU2Hgs1tXB/udWbd75u6z8nxB7OT+jyP9kFY/O25q8f2lDtlYHxKczUkC0zBUKDpMeq1kj7zW22DQxwXRUkR3vCEwVlRMm3ulznr1EVThpvP+OUlab+NwWqqvwutG2+al9r+uA23H2xzZ+tfNmjgJYCy9XluEEmrTj3YlVpybbhr6kVYW/IOaQMlZvl2zpvBDv2xPA6gcmrZXHXJx0v2CoBUnwAH35Ym+1mcQ8K5VsU3jZFIJtRBUCmzMS400nPBszL0Z7TAGOOlHRjpGh73DzC485XU9F2PYcDH3ER9lyGkcYZnX96tlwIDAQAB";
    const RSA_512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANekrqa576NCS59e4hO0RhCDm+Q0oy0DT5L9uFjfezhtbKTGzqmjBiNCB7AkIo9rPPXkSrAjFWV88HHyqyob0nUCAwEAAQ==";
    const RSA_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC6jV7c9dwkyuVw2izK9orL54Swd2/zZbdf01PSlS4aKnM5x4zYt+Gi4AiIv8F0ThlHRtQUpgyXOKi7l3XlJ4XsnkN1baTesWdaXWQSWzaMLPsgg/TYyP34uE3r/MrTMphjS2qTQXS87Rh3iZSUcqtaLfZwjhxU1hBFIXktbiJMnwIDAQAB";

    fn answer(txts: &[&str]) -> Lookup<String> {
        Lookup::Answer {
            records: txts.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn selector(name: &str, txt: Lookup<String>) -> SelectorLookup {
        SelectorLookup {
            selector: name.into(),
            name: format!("{name}._domainkey.example.org"),
            txt,
        }
    }

    fn run(guessed: bool, selectors: Vec<SelectorLookup>) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.dns.dkim = DkimFacts { guessed, selectors };
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        explain_all(&facts, &out);
        out
    }

    fn ids(findings: &[Finding]) -> Vec<(FindingId, Severity)> {
        findings.iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn long_keys_are_shortened_for_display() {
        let txt = format!("v=DKIM1; t=y; p={RSA_2048}");
        assert_eq!(
            shorten_key(&txt),
            "v=DKIM1; t=y; p=MIIBIjANBgkqhkiG…lwIDAQAB"
        );
        assert_eq!(shorten_key("v=DKIM1; p=; t=y"), "v=DKIM1; p=; t=y");
        assert_eq!(shorten_key("p=é"), "p=é");
    }

    #[test]
    fn named_selectors() {
        use FindingId::*;
        use Severity::*;
        let cases: Vec<Case> = vec![
            (
                "good",
                answer(&[&format!("v=DKIM1; k=rsa; p={RSA_2048}")]),
                vec![(DkimOk, Ok)],
            ),
            ("nxdomain", Lookup::NxDomain, vec![(DkimMissing, Critical)]),
            ("nodata", Lookup::NoData, vec![(DkimMissing, Critical)]),
            ("timeout", failed(), vec![(DkimLookupFailed, Unknown)]),
            (
                "revoked",
                answer(&["v=DKIM1; p="]),
                vec![(DkimRevoked, Critical)],
            ),
            (
                "512",
                answer(&[&format!("v=DKIM1; p={RSA_512}")]),
                vec![(DkimKeyTooShort, Critical)],
            ),
            (
                "1024",
                answer(&[&format!("v=DKIM1; p={RSA_1024}")]),
                vec![(DkimKeyTooShort, Warning)],
            ),
            (
                "testing",
                answer(&[&format!("v=DKIM1; t=y; p={RSA_2048}")]),
                vec![(DkimTesting, Warning)],
            ),
            (
                "short and testing",
                answer(&[&format!("v=DKIM1; t=y; p={RSA_1024}")]),
                vec![(DkimKeyTooShort, Warning), (DkimTesting, Warning)],
            ),
            (
                "syntax",
                answer(&["v=DKIM1; k=rsa; p=@@@"]),
                vec![(DkimSyntax, Critical)],
            ),
            (
                "not a key",
                answer(&["v=spf1 -all"]),
                vec![(DkimSyntax, Critical)],
            ),
            (
                "ed25519",
                answer(&["v=DKIM1; k=ed25519; p=qZxwsJk9wBYCjVL27chT1n1LNG5pY+dMNchJj2GGfhE="]),
                vec![(DkimOk, Ok)],
            ),
        ];
        for (name, txt, want) in cases {
            let got = run(false, vec![selector("mail", txt)]);
            assert_eq!(ids(&got), want, "{name}");
        }
    }

    #[test]
    fn guessed_selectors() {
        use FindingId::*;
        use Severity::*;
        let key = format!("v=DKIM1; p={RSA_2048}");
        let got = run(
            true,
            vec![
                selector("default", Lookup::NxDomain),
                selector("mail", answer(&[&key])),
                selector("wild", answer(&["v=spf1 -all"])),
                selector("old", answer(&["v=DKIM1; p="])),
            ],
        );
        assert_eq!(ids(&got), vec![(DkimOk, Ok), (DkimRevoked, Info)]);
        assert_eq!(got[0].evidence["guessed"], true);

        let got = run(
            true,
            vec![
                selector("default", Lookup::NxDomain),
                selector("mail", Lookup::NoData),
            ],
        );
        assert_eq!(ids(&got), vec![(DkimSelectorUnknown, Info)]);
        assert_eq!(got[0].subject, "example.org");

        let got = run(
            true,
            vec![
                selector("default", Lookup::NxDomain),
                selector("mail", failed()),
            ],
        );
        assert_eq!(
            ids(&got),
            vec![(DkimLookupFailed, Unknown)],
            "a failure is never 'unknown selector'"
        );

        assert!(run(false, vec![]).is_empty(), "nothing asked, nothing said");
    }
}
