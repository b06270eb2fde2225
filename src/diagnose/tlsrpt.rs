//! TLS-RPT: does the domain ask senders for reports about failed TLS deliveries, and can
//! senders read where to send them?

use crate::facts::{Facts, Lookup};
use crate::records::tags::Problem;
use crate::records::tlsrpt;

use super::{Finding, FindingId, Severity, lookup_failed};

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let txt = &facts.dns.tlsrpt.txt;
    let name = tlsrpt::txt_name(&facts.target.domain);
    if let Some(f) = lookup_failed(FindingId::TlsRptLookupFailed, &name, "TXT", txt) {
        out.push(f);
        return;
    }
    if matches!(txt, Lookup::NotAsked) {
        return;
    }
    let txts = txt.records();
    let records: Vec<&String> = txts.iter().filter(|t| tlsrpt::is_record(t)).collect();
    let attempts: Vec<&String> = txts
        .iter()
        .filter(|t| !tlsrpt::is_record(t) && tlsrpt::looks_like_attempt(t))
        .collect();
    if records.len() > 1 {
        let problem = Problem::fatal(
            "multiple-records",
            format!(
                "{} records start with v=TLSRPTv1; senders use none of them",
                records.len()
            ),
        );
        out.push(syntax(&name, records[0], &[problem]));
        return;
    }
    let Some(txt) = records.first().or(attempts.first()) else {
        out.push(
            Finding::new(
                FindingId::TlsRptMissing,
                Severity::Info,
                &facts.target.domain,
            )
            .with("name", &name),
        );
        return;
    };
    let record = tlsrpt::parse(txt);
    if record.problems.is_empty() {
        out.push(
            Finding::new(FindingId::TlsRptOk, Severity::Ok, &name)
                .with("name", &name)
                .with("rua", &record.rua),
        );
    } else {
        out.push(syntax(&name, txt, &record.problems));
    }
}

fn syntax(name: &str, txt: &str, problems: &[Problem]) -> Finding {
    let errors: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    Finding::new(FindingId::TlsRptSyntax, Severity::Warning, name)
        .with("name", name)
        .with("record", txt)
        .with("errors", errors)
        .with("problems", problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TlsRptFacts;
    use crate::testing::{explain_all, facts_for, failed};
    use FindingId::*;
    use Severity::*;

    /// (name, TXT lookup, expected findings)
    type Case = (&'static str, Lookup<String>, Vec<(FindingId, Severity)>);

    fn answer(txts: &[&str]) -> Lookup<String> {
        Lookup::Answer {
            records: txts.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn table() {
        let cases: Vec<Case> = vec![
            (
                "good",
                answer(&["v=TLSRPTv1; rua=mailto:tls@example.org"]),
                vec![(TlsRptOk, Ok)],
            ),
            ("nxdomain", Lookup::NxDomain, vec![(TlsRptMissing, Info)]),
            (
                "unrelated",
                answer(&["something else"]),
                vec![(TlsRptMissing, Info)],
            ),
            ("timeout", failed(), vec![(TlsRptLookupFailed, Unknown)]),
            (
                "no rua",
                answer(&["v=TLSRPTv1"]),
                vec![(TlsRptSyntax, Warning)],
            ),
            (
                "bad uri",
                answer(&["v=TLSRPTv1; rua=tls@example.org"]),
                vec![(TlsRptSyntax, Warning)],
            ),
            (
                "wrong case",
                answer(&["v=tlsrptv1; rua=mailto:tls@example.org"]),
                vec![(TlsRptSyntax, Warning)],
            ),
            (
                "two",
                answer(&[
                    "v=TLSRPTv1; rua=mailto:a@example.org",
                    "v=TLSRPTv1; rua=mailto:b@example.org",
                ]),
                vec![(TlsRptSyntax, Warning)],
            ),
        ];
        for (name, txt, want) in cases {
            let mut facts = facts_for("example.org");
            facts.dns.tlsrpt = TlsRptFacts { txt };
            let mut out = Vec::new();
            diagnose(&facts, &mut out);
            explain_all(&facts, &out);
            let got: Vec<(FindingId, Severity)> = out.iter().map(|f| (f.id, f.severity)).collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
