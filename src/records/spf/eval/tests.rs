//! Table tests of check_host() against an in-memory zone.

use super::*;
use crate::records::spf::Sender;
use crate::records::spf::fake_dns::FakeDns;

const ZONE: &str = "
example.org TXT v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.provider.test -all
example.org TXT google-site-verification=xyz
_spf.provider.test TXT v=spf1 ip4:198.51.100.0/24 ~all
mail.example.org A 192.0.2.10
mail.example.org AAAA 2001:db8::10
mail.example.org TXT v=spf1 a -all
amx.test TXT v=spf1 a/24 mx -all
amx.test A 203.0.113.200
amx.test MX 10 mx1.amx.test
amx.test MX 20 mx2.amx.test
mx1.amx.test A 198.51.100.7
mx2.amx.test TIMEOUT
soft.test TXT v=spf1 ~all
neutral.test TXT v=spf1 ip4:192.0.2.1
twice.test TXT v=spf1 -all
twice.test TXT v=spf1 +all
broken.test TXT v=spf1 ip4:192.0.2.1 -all moo
loop1.test TXT v=spf1 include:loop2.test -all
loop2.test TXT v=spf1 include:loop1.test -all
self.test TXT v=spf1 ip4:192.0.2.250 redirect=self.test
many.test TXT v=spf1 a:a1.test a:a2.test a:a3.test a:a4.test a:a5.test a:a6.test a:a7.test a:a8.test a:a9.test a:a10.test a:a11.test -all
a1.test A 198.51.100.1
a2.test A 198.51.100.1
a3.test A 198.51.100.1
a4.test A 198.51.100.1
a5.test A 198.51.100.1
a6.test A 198.51.100.1
a7.test A 198.51.100.1
a8.test A 198.51.100.1
a9.test A 198.51.100.1
a10.test A 198.51.100.1
a11.test A 192.0.2.1
void.test TXT v=spf1 a:nx1.test a:nx2.test a:nx3.test -all
void2.test TXT v=spf1 a:nx1.test a:nx2.test ip4:192.0.2.1 -all
slow.test TIMEOUT
inc-slow.test TXT v=spf1 include:slow.test -all
inc-none.test TXT v=spf1 include:nospf.test -all
nospf.test TXT hello
redir.test TXT v=spf1 exp=no.test redirect=target.test
target.test TXT v=spf1 -all exp=why.target.test
why.target.test TXT %{i} is not one of %{d}'s senders (asked by %{s})
macros.test TXT v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all
1.2.0.192.x._spf.macros.test A 127.0.0.2
ptr.test TXT v=spf1 ptr -all
192.0.2.44 PTR host.ptr.test
192.0.2.44 PTR elsewhere.test
host.ptr.test A 192.0.2.44
elsewhere.test A 192.0.2.44
p.test TXT v=spf1 -all exp=pexp.test
pexp.test TXT from %{p}
alias.test CNAME alias2.test
alias2.test CNAME alias.test
inc-alias.test TXT v=spf1 include:alias.test -all
plain-alias.test CNAME mail.example.org
mxmany.test TXT v=spf1 mx -all
mxmany.test MX 1 m1.test
mxmany.test MX 2 m2.test
mxmany.test MX 3 m3.test
mxmany.test MX 4 m4.test
mxmany.test MX 5 m5.test
mxmany.test MX 6 m6.test
mxmany.test MX 7 m7.test
mxmany.test MX 8 m8.test
mxmany.test MX 9 m9.test
mxmany.test MX 10 m10.test
mxmany.test MX 11 m11.test
";

fn evaluate(dns: &FakeDns, ip: &str, mail_from: &str) -> Evaluation {
    let sender = Sender::from_mail_from(mail_from, Some("helo.example")).unwrap();
    let request = Request {
        ip: ip.parse().unwrap(),
        domain: sender.domain.clone(),
        sender,
        helo: "helo.example".into(),
        receiver: "unknown".into(),
        timestamp: 0,
    };
    futures::executor::block_on(check_host(dns, &request))
}

#[test]
fn results_table() {
    use SpfResult::*;
    let dns = FakeDns::new(ZONE);
    let cases = [
        ("192.0.2.10", "user@example.org", Pass),
        ("2001:db8::10", "user@example.org", Pass),
        ("::ffff:192.0.2.10", "user@example.org", Pass),
        ("198.51.100.9", "user@example.org", Pass),
        ("203.0.113.1", "user@example.org", Fail),
        ("192.0.2.10", "postmaster@mail.example.org", Pass),
        ("192.0.2.11", "mail.example.org", Fail),
        ("203.0.113.1", "x@amx.test", Pass),
        ("198.51.100.7", "x@amx.test", Pass),
        ("192.0.2.1", "x@amx.test", TempError),
        ("192.0.2.1", "x@soft.test", SoftFail),
        ("192.0.2.2", "x@neutral.test", Neutral),
        ("192.0.2.1", "x@neutral.test", Pass),
        ("192.0.2.1", "x@nothing.test", None),
        ("192.0.2.1", "x@nospf.test", None),
        ("192.0.2.1", "x@twice.test", PermError),
        ("192.0.2.1", "x@broken.test", PermError),
        ("192.0.2.1", "x@loop1.test", PermError),
        ("192.0.2.1", "x@self.test", PermError),
        ("192.0.2.250", "x@self.test", Pass),
        ("192.0.2.1", "x@many.test", PermError),
        ("198.51.100.1", "x@many.test", Pass),
        ("192.0.2.1", "x@void.test", PermError),
        ("192.0.2.1", "x@void2.test", Pass),
        ("192.0.2.1", "x@slow.test", TempError),
        ("192.0.2.1", "x@inc-slow.test", TempError),
        ("192.0.2.1", "x@inc-none.test", PermError),
        ("192.0.2.1", "x@redir.test", Fail),
        ("192.0.2.1", "x-y@macros.test", Pass),
        ("192.0.2.2", "x-y@macros.test", Fail),
        ("192.0.2.1", "y-x@macros.test", Fail),
        ("192.0.2.44", "x@ptr.test", Pass),
        ("192.0.2.45", "x@ptr.test", Fail),
        ("192.0.2.1", "x@mxmany.test", PermError),
        ("192.0.2.1", "x@[192.0.2.1]", None),
        ("192.0.2.1", "x@alias.test", TempError),
        ("192.0.2.1", "x@inc-alias.test", TempError),
        ("192.0.2.1", "x@localhost", None),
    ];
    for (ip, from, want) in cases {
        let got = evaluate(&dns, ip, from);
        assert_eq!(
            got.result, want,
            "{ip} {from}: {:?}\n{:#?}",
            got.reason, got.trace
        );
    }
}

#[test]
fn reasons_name_the_problem() {
    let dns = FakeDns::new(ZONE);
    let reason = |ip, from| evaluate(&dns, ip, from).reason.unwrap_or_default();
    assert!(reason("192.0.2.1", "x@loop1.test").contains("loop1.test → loop2.test → loop1.test"));
    assert!(reason("192.0.2.1", "x@many.test").contains("more than 10 DNS-querying terms"));
    assert!(reason("192.0.2.1", "x@void.test").contains("more than 2 void lookups"));
    assert!(reason("192.0.2.1", "x@broken.test").contains("at character 27: unknown mechanism"));
    assert!(reason("192.0.2.1", "x@twice.test").contains("2 SPF records"));
    assert!(reason("192.0.2.1", "x@mxmany.test").contains("11 MX records"));
    assert!(
        reason("192.0.2.1", "x@inc-none.test")
            .contains("include:nospf.test has no usable SPF record")
    );
}

#[test]
fn counts_lookups_and_void_lookups() {
    let dns = FakeDns::new(ZONE);
    let e = evaluate(&dns, "198.51.100.1", "x@many.test");
    assert_eq!((e.lookups, e.void_lookups), (1, 0));
    let e = evaluate(&dns, "192.0.2.1", "x@void2.test");
    assert_eq!((e.lookups, e.void_lookups), (2, 2));
    let e = evaluate(&dns, "203.0.113.1", "x@example.org");
    assert_eq!((e.lookups, e.void_lookups), (1, 0));
    let e = evaluate(&dns, "192.0.2.1", "x@many.test");
    assert_eq!(e.lookups, 11);
}

#[test]
fn explanations_follow_redirect_and_expand_macros() {
    let dns = FakeDns::new(ZONE);
    let e = evaluate(&dns, "192.0.2.1", "someone@redir.test");
    assert_eq!(
        e.explanation.as_deref(),
        Some("192.0.2.1 is not one of target.test's senders (asked by someone@redir.test)")
    );
    assert_eq!(
        e.matched,
        Some(MatchedTerm {
            domain: "target.test".into(),
            term: "-all".into()
        })
    );
    // %{p}: the validated name, "unknown" when the PTR does not validate.
    let dns = FakeDns::new(&format!(
        "{ZONE}\n192.0.2.44 PTR host.p.test\nhost.p.test A 192.0.2.44"
    ));
    assert_eq!(
        evaluate(&dns, "192.0.2.44", "x@p.test")
            .explanation
            .as_deref(),
        Some("from host.p.test")
    );
    assert_eq!(
        evaluate(&dns, "192.0.2.45", "x@p.test")
            .explanation
            .as_deref(),
        Some("from unknown")
    );
    // An include's exp= is never used; a pass has no explanation.
    assert_eq!(
        evaluate(&dns, "192.0.2.10", "x@example.org").explanation,
        None
    );
}

#[test]
fn the_trace_shows_records_terms_and_answers() {
    let dns = FakeDns::new(ZONE);
    let e = evaluate(&dns, "203.0.113.9", "user@example.org");
    let steps: Vec<String> = e
        .trace
        .iter()
        .map(|t| match t {
            TraceEvent::Check { depth, domain, .. } => format!("{depth} check {domain}"),
            TraceEvent::Dns {
                depth,
                name,
                rtype,
                answers,
                ..
            } => format!("{depth} dns {rtype} {name} {}", answers.len()),
            TraceEvent::Record { depth, .. } => format!("{depth} record"),
            TraceEvent::Term {
                depth,
                term,
                outcome,
                lookups,
                ..
            } => format!("{depth} term {term} {outcome:?} {lookups}"),
            TraceEvent::Result { depth, result, .. } => format!("{depth} result {result}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        steps,
        [
            "0 check example.org",
            "0 dns TXT example.org 2",
            "0 record",
            "0 term ip4:192.0.2.0/24 NoMatch 0",
            "0 term ip6:2001:db8::/32 NoMatch 0",
            "1 check _spf.provider.test",
            "1 dns TXT _spf.provider.test 1",
            "1 record",
            "1 term ip4:198.51.100.0/24 NoMatch 1",
            "1 term ~all Match 1",
            "1 result softfail",
            "0 term include:_spf.provider.test NoMatch 1",
            "0 term -all Match 1",
            "0 result fail",
        ]
    );
}

#[test]
fn ptr_names_beyond_ten_are_ignored_and_mx_hosts_are_asked_together() {
    let mut zone = String::from("ptrs.test TXT v=spf1 ptr -all\n");
    for i in 1..=11 {
        zone.push_str(&format!("192.0.2.9 PTR h{i}.ptrs.test\n"));
    }
    zone.push_str("h11.ptrs.test A 192.0.2.9\n");
    let dns = FakeDns::new(&zone);
    assert_eq!(
        evaluate(&dns, "192.0.2.9", "x@ptrs.test").result,
        SpfResult::Fail
    );
    assert!(!dns.asked().iter().any(|q| q.contains("h11.")));
}

#[test]
fn huge_records_keep_a_bounded_trace() {
    let mut record = String::from("v=spf1");
    for i in 0..3000 {
        record.push_str(&format!(" ip4:10.{}.{}.0/24", i / 256, i % 256));
    }
    record.push_str(" -all");
    let dns = FakeDns::new(&format!("big.test TXT {record}"));
    let e = evaluate(&dns, "192.0.2.1", "x@big.test");
    assert_eq!(e.result, SpfResult::Fail);
    assert!(e.trace.len() <= MAX_TRACE + 1);
    assert!(
        matches!(e.trace.last(), Some(TraceEvent::Truncated { omitted, .. }) if *omitted > 2000)
    );
}

#[test]
fn deep_include_chains_stop_at_the_lookup_limit() {
    let mut zone = String::new();
    for i in 0..40 {
        zone.push_str(&format!(
            "c{i}.test TXT v=spf1 include:c{}.test -all\n",
            i + 1
        ));
    }
    let dns = FakeDns::new(&zone);
    let e = evaluate(&dns, "192.0.2.1", "x@c0.test");
    assert_eq!(e.result, SpfResult::PermError);
    assert_eq!(e.lookups, 11);
    assert!(dns.asked().len() <= 12, "{:?}", dns.asked());
}

#[test]
fn senders() {
    let s = |from, helo| Sender::from_mail_from(from, helo).map(|s| s.address());
    assert_eq!(s("a@b.example", None).as_deref(), Some("a@b.example"));
    assert_eq!(
        s("@b.example", None).as_deref(),
        Some("postmaster@b.example")
    );
    assert_eq!(
        s("b.example", None).as_deref(),
        Some("postmaster@b.example")
    );
    assert_eq!(s("<a@b.example>", None).as_deref(), Some("a@b.example"));
    assert_eq!(
        s("", Some("mx.b.example")).as_deref(),
        Some("postmaster@mx.b.example")
    );
    assert_eq!(s("", None), Option::None);
    assert_eq!(
        s("Macro Error@e8.example.com", None).as_deref(),
        Some("Macro Error@e8.example.com")
    );
}
