//! The local Postfix configuration: the handful of mistakes that get self-hosted servers
//! blocklisted or rejected.

use std::net::IpAddr;

use crate::facts::{
    Facts, MasterService, PostfixConfig, PostfixFacts, PublicAddresses, ReverseDns, is_private,
};

use super::{Finding, FindingId, Severity};

/// TLS levels that refuse to go on without encryption.
const ENFORCING_TLS: &[&str] = &["encrypt", "dane-only", "verify", "secure", "fingerprint"];

pub fn diagnose(facts: &Facts, out: &mut Vec<Finding>) {
    let config = match &facts.postfix {
        PostfixFacts::NotAsked | PostfixFacts::Skipped { .. } => return,
        PostfixFacts::NotInstalled { reason } => {
            out.push(
                Finding::new(FindingId::PostfixNotInstalled, Severity::Info, "postfix")
                    .with("reason", reason),
            );
            return;
        }
        PostfixFacts::Unreadable { command, detail } => {
            out.push(
                Finding::new(
                    FindingId::PostfixConfigUnreadable,
                    Severity::Unknown,
                    "postfix",
                )
                .with("command", command)
                .with("detail", detail),
            );
            return;
        }
        PostfixFacts::Read(config) => config,
    };
    let subject = config
        .config_directory
        .clone()
        .unwrap_or_else(|| "/etc/postfix".into());
    let before = out.len();
    relaying(config, &subject, out);
    let sending = sending_addresses(facts);
    hostname(config, &subject, &sending, out);
    outbound_tls(config, &subject, out);
    submission(config, &subject, out);
    ipv6_ptr(config, &subject, &sending, out);
    if out.len() == before {
        out.push(
            Finding::new(FindingId::PostfixOk, Severity::Ok, &subject)
                .with("myhostname", config.main("myhostname"))
                .with("version", config.main("mail_version")),
        );
    }
}

/// How an SMTP server service of master.cf would treat an unauthenticated client from the
/// Internet asking to relay.
fn relaying(config: &PostfixConfig, subject: &str, out: &mut Vec<Finding>) {
    let main_service = MasterService {
        name: "smtp".into(),
        kind: "inet".into(),
        command: "smtpd".into(),
        overrides: Default::default(),
    };
    let mut services: Vec<&MasterService> = config
        .services
        .iter()
        .filter(|s| s.is_inet_smtpd() && reachable(config, s))
        .collect();
    if config.services.is_empty() {
        services.push(&main_service);
    }
    let mut broad_reported: Vec<String> = Vec::new();
    for service in services {
        let mynetworks = config.for_service(service, "mynetworks");
        let networks = classify_networks(&mynetworks);
        let relay = config.for_service(service, "smtpd_relay_restrictions");
        let recipient = config.for_service(service, "smtpd_recipient_restrictions");
        let mynetworks_open = !networks.open.is_empty();
        let first = walk(&relay, mynetworks_open);
        let second = walk(&recipient, mynetworks_open);
        let permitted_by = match (&first, &second) {
            (Walk::Rejects(_), _) | (_, Walk::Rejects(_)) => None,
            (Walk::Permits(by), _) | (_, Walk::Permits(by)) => Some(by.clone()),
            (Walk::Falls, Walk::Falls) => Some("(nothing refuses relaying)".to_string()),
        };
        if let Some(by) = permitted_by {
            out.push(
                Finding::new(
                    FindingId::PostfixOpenRelayConfig,
                    Severity::Critical,
                    format!("{subject} ({})", service.name),
                )
                .with("service", &service.name)
                .with("permitted_by", &by)
                .with("via_mynetworks", by == "permit_mynetworks")
                .with("open_networks", &networks.open)
                .with("smtpd_relay_restrictions", &relay)
                .with("smtpd_recipient_restrictions", &recipient)
                .with("mynetworks", &mynetworks),
            );
            continue;
        }
        let uses_mynetworks =
            relay.contains("permit_mynetworks") || recipient.contains("permit_mynetworks");
        if !networks.broad.is_empty() && uses_mynetworks && !broad_reported.contains(&mynetworks) {
            broad_reported.push(mynetworks.clone());
            out.push(
                Finding::new(
                    FindingId::PostfixMynetworksBroad,
                    Severity::Warning,
                    format!("{subject} ({})", service.name),
                )
                .with("service", &service.name)
                .with("broad_networks", &networks.broad)
                .with("mynetworks", &mynetworks),
            );
        }
    }
}

/// Can the Internet reach this service at all?
fn reachable(config: &PostfixConfig, service: &MasterService) -> bool {
    let loopback =
        |h: &str| h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match service.host() {
        Some(host) => !loopback(host),
        None => {
            let interfaces = config.main("inet_interfaces");
            let list: Vec<&str> = interfaces
                .split([',', ' '])
                .map(|s| s.trim().trim_start_matches('[').trim_end_matches(']'))
                .filter(|s| !s.is_empty())
                .collect();
            // Empty means Postfix's default, "all".
            list.is_empty() || !list.iter().all(|h| *h == "loopback-only" || loopback(h))
        }
    }
}

/// The first restriction of a list that decides for an unauthenticated client outside
/// mynetworks sending to someone else's domain.
#[derive(Debug, PartialEq, Eq)]
enum Walk {
    Rejects(String),
    Permits(String),
    /// End of the list: Postfix's implicit permit.
    Falls,
}

fn walk(list: &str, mynetworks_open: bool) -> Walk {
    for token in list
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // Lookup tables ("hash:/etc/postfix/access") are arguments of the previous
        // restriction; what they permit is not known here.
        if token.contains(':') || token.starts_with('/') {
            continue;
        }
        match token {
            "reject_unauth_destination"
            | "defer_unauth_destination"
            | "reject"
            | "defer"
            | "defer_if_permit" => return Walk::Rejects(token.into()),
            "permit" | "permit_naked_ip_address" => return Walk::Permits(token.into()),
            "permit_mynetworks" if mynetworks_open => return Walk::Permits(token.into()),
            _ => {}
        }
    }
    Walk::Falls
}

/// mynetworks entries that let the Internet in, and those wider than a server needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Networks {
    open: Vec<String>,
    broad: Vec<String>,
}

fn classify_networks(value: &str) -> Networks {
    let mut networks = Networks::default();
    for entry in value
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        // Negations and lookup tables ("hash:/…", "/etc/postfix/networks") are not judged.
        if entry.starts_with('!') {
            continue;
        }
        let Some((ip, prefix)) = parse_network(entry) else {
            continue;
        };
        match network_class(ip, prefix) {
            Class::Open => networks.open.push(entry.to_string()),
            Class::Broad => networks.broad.push(entry.to_string()),
            Class::Fine => {}
        }
    }
    networks
}

/// "192.0.2.0/24", "192.0.2.10", "[2001:db8::]/32", "[::1]", "2001:db8::/32".
fn parse_network(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip: IpAddr = address
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((ip, prefix))
}

enum Class {
    Open,
    Broad,
    Fine,
}

/// Public ranges of more than 512 IPv4 addresses (or wider than /48 in IPv6) cannot all be
/// one's own: they are an open relay. Smaller public ranges, large private ranges (shared
/// by every tenant of a cloud's private network) and carrier-grade NAT space are too broad.
fn network_class(ip: IpAddr, prefix: u8) -> Class {
    if prefix == 0 {
        return Class::Open;
    }
    if ip.is_loopback() {
        return Class::Fine;
    }
    let private = is_private(&ip);
    match ip {
        IpAddr::V4(_) => {
            if private {
                if prefix < 16 {
                    Class::Broad
                } else {
                    Class::Fine
                }
            } else if prefix <= 23 {
                Class::Open
            } else if prefix < 32 {
                Class::Broad
            } else {
                Class::Fine
            }
        }
        IpAddr::V6(_) => {
            if private {
                if prefix < 48 {
                    Class::Broad
                } else {
                    Class::Fine
                }
            } else if prefix < 48 {
                Class::Open
            } else if prefix < 64 {
                Class::Broad
            } else {
                Class::Fine
            }
        }
    }
}

/// The addresses Postfix sends from, with their reverse DNS: `--ip` when given, else what
/// was detected on this machine.
fn sending_addresses(facts: &Facts) -> Vec<&ReverseDns> {
    if !facts.target.ips.is_empty() {
        return facts.dns.reverse.iter().collect();
    }
    let mut detected: Vec<IpAddr> = Vec::new();
    if let PublicAddresses::Detected { v4, v6 } = &facts.env.public {
        detected.extend(v4.address);
        detected.extend(v6.address);
    }
    detected.extend(facts.env.local.v6.filter(|ip| !is_private(ip)));
    facts
        .env
        .reverse
        .iter()
        .filter(|r| detected.contains(&r.ip))
        .collect()
}

fn relayhost(config: &PostfixConfig) -> Option<&str> {
    Some(config.main("relayhost")).filter(|r| !r.is_empty())
}

/// The EHLO name Postfix sends must be a real name and match the PTR of the sending address.
fn hostname(
    config: &PostfixConfig,
    subject: &str,
    sending: &[&ReverseDns],
    out: &mut Vec<Finding>,
) {
    if relayhost(config).is_some() {
        return;
    }
    let helo = {
        let h = config.main("smtp_helo_name");
        if h.is_empty() || h.contains('$') {
            config.main("myhostname")
        } else {
            h
        }
    };
    let helo = helo.trim_end_matches('.').to_ascii_lowercase();
    let finding = |ip: Option<IpAddr>, ptr: &[String], reason: &str| {
        Finding::new(
            FindingId::PostfixHostnameMismatch,
            Severity::Warning,
            subject,
        )
        .with("helo", &helo)
        .with("myhostname", config.main("myhostname"))
        .with("smtp_helo_name", config.main("smtp_helo_name"))
        .with("ip", ip)
        .with("ptr", ptr)
        .with("reason", reason)
    };
    if !helo.contains('.') {
        out.push(finding(None, &[], "not-fqdn"));
        return;
    }
    for rdns in sending {
        let names = rdns.ptr.records();
        if names.is_empty() {
            continue;
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&helo)) {
            out.push(finding(Some(rdns.ip), names, "ptr-differs"));
        }
    }
}

/// Outbound TLS: opportunistic at least when sending directly; enforced towards a smarthost.
fn outbound_tls(config: &PostfixConfig, subject: &str, out: &mut Vec<Finding>) {
    let level = config.main("smtp_tls_security_level");
    let legacy_may = config.main("smtp_use_tls") == "yes";
    let legacy_enforce = config.main("smtp_enforce_tls") == "yes";
    match relayhost(config) {
        None => {
            if matches!(level, "" | "none") && !legacy_may && !legacy_enforce {
                out.push(
                    Finding::new(FindingId::PostfixNoOutboundTls, Severity::Warning, subject)
                        .with("smtp_tls_security_level", level),
                );
            }
        }
        Some(relayhost) => {
            let enforced = ENFORCING_TLS.contains(&level)
                || legacy_enforce
                || config.main("smtp_tls_wrappermode") == "yes";
            let per_destination = !config.main("smtp_tls_policy_maps").is_empty();
            if !enforced && !per_destination {
                let sasl = config.main("smtp_sasl_auth_enable") == "yes";
                let severity = if sasl {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                out.push(
                    Finding::new(FindingId::PostfixRelayhostNoTls, severity, subject)
                        .with("relayhost", relayhost)
                        .with("smtp_tls_security_level", level)
                        .with("sasl", sasl),
                );
            }
        }
    }
}

/// Submission ports are for your users: they must be able to log in.
fn submission(config: &PostfixConfig, subject: &str, out: &mut Vec<Finding>) {
    for service in config
        .services
        .iter()
        .filter(|s| s.is_inet_smtpd() && s.is_submission())
    {
        let auth = config.for_service(service, "smtpd_sasl_auth_enable");
        if auth != "yes" {
            out.push(
                Finding::new(
                    FindingId::PostfixSubmissionNoAuth,
                    Severity::Warning,
                    format!("{subject} ({})", service.name),
                )
                .with("service", &service.name)
                .with("smtpd_sasl_auth_enable", &auth),
            );
        }
    }
}

/// Postfix sends over IPv6 when it can; Gmail rejects IPv6 senders without a PTR.
fn ipv6_ptr(
    config: &PostfixConfig,
    subject: &str,
    sending: &[&ReverseDns],
    out: &mut Vec<Finding>,
) {
    if relayhost(config).is_some() {
        return;
    }
    let protocols = config.main("inet_protocols").to_ascii_lowercase();
    let uses_ipv6 = protocols
        .split([',', ' '])
        .any(|p| p == "all" || p == "ipv6");
    if !uses_ipv6 {
        return;
    }
    for rdns in sending.iter().filter(|r| r.ip.is_ipv6()) {
        if rdns.ptr.is_missing() {
            out.push(
                Finding::new(
                    FindingId::PostfixIpv6WithoutPtr,
                    Severity::Critical,
                    subject,
                )
                .with("ip", rdns.ip)
                .with("inet_protocols", config.main("inet_protocols")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Lookup;
    use crate::testing::facts_for;
    use std::collections::BTreeMap;

    use FindingId::*;
    use Severity::*;

    fn config(main: &[(&str, &str)], services: Vec<MasterService>) -> PostfixConfig {
        let mut effective: BTreeMap<String, String> = [
            ("myhostname", "mail.example.org"),
            ("inet_protocols", "ipv4"),
            ("inet_interfaces", "all"),
            ("mynetworks", "127.0.0.0/8 [::1]/128"),
            (
                "smtpd_relay_restrictions",
                "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
            ),
            ("smtpd_recipient_restrictions", ""),
            ("smtp_tls_security_level", "may"),
            ("relayhost", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in main {
            effective.insert(k.to_string(), v.to_string());
        }
        PostfixConfig {
            config_directory: Some("/etc/postfix".into()),
            explicit: BTreeMap::new(),
            effective,
            services,
            warnings: vec![],
        }
    }

    fn service(name: &str, overrides: &[(&str, &str)]) -> MasterService {
        MasterService {
            name: name.into(),
            kind: "inet".into(),
            command: "smtpd".into(),
            overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn run_with(
        config: PostfixConfig,
        ips: &[(&str, Lookup<String>)],
    ) -> Vec<(FindingId, Severity)> {
        findings(config, ips)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    fn findings(config: PostfixConfig, ips: &[(&str, Lookup<String>)]) -> Vec<Finding> {
        let mut facts = facts_for("example.org");
        facts.target.ips = ips.iter().map(|(ip, _)| ip.parse().unwrap()).collect();
        facts.dns.reverse = ips
            .iter()
            .map(|(ip, ptr)| ReverseDns {
                ip: ip.parse().unwrap(),
                ptr: ptr.clone(),
                forward: vec![],
            })
            .collect();
        facts.postfix = PostfixFacts::Read(config);
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        out
    }

    fn run(config: PostfixConfig) -> Vec<(FindingId, Severity)> {
        run_with(config, &[])
    }

    fn ptr(name: &str) -> Lookup<String> {
        Lookup::Answer {
            records: vec![name.into()],
        }
    }

    #[test]
    fn a_sound_configuration() {
        assert_eq!(
            run(config(&[], vec![service("smtp", &[])])),
            [(PostfixOk, Ok)]
        );
        assert_eq!(
            run_with(
                config(&[], vec![service("smtp", &[])]),
                &[("192.0.2.10", ptr("mail.example.org"))]
            ),
            [(PostfixOk, Ok)]
        );
    }

    #[test]
    fn open_relay_configurations() {
        let open = |main: &[(&str, &str)], services| run(config(main, services));
        assert_eq!(
            open(
                &[("smtpd_relay_restrictions", "permit_mynetworks, permit")],
                vec![service("smtp", &[])]
            ),
            [(PostfixOpenRelayConfig, Critical)]
        );
        assert_eq!(
            open(&[("mynetworks", "0.0.0.0/0")], vec![service("smtp", &[])]),
            [(PostfixOpenRelayConfig, Critical)]
        );
        assert_eq!(
            open(
                &[("mynetworks", "127.0.0.0/8 198.51.0.0/16")],
                vec![service("smtp", &[])]
            ),
            [(PostfixOpenRelayConfig, Critical)]
        );
        // Only in one service's overrides, as in the test instances.
        assert_eq!(
            open(
                &[],
                vec![
                    service("smtp", &[]),
                    service("0.0.0.0:2526", &[("mynetworks", "0.0.0.0/0")])
                ]
            ),
            [(PostfixOpenRelayConfig, Critical)]
        );
        // The same override on a loopback-only service cannot be reached from outside.
        assert_eq!(
            open(
                &[],
                vec![service("127.0.0.1:2526", &[("mynetworks", "0.0.0.0/0")])]
            ),
            [(PostfixOk, Ok)]
        );
        assert_eq!(
            open(
                &[
                    ("inet_interfaces", "loopback-only"),
                    ("mynetworks", "0.0.0.0/0")
                ],
                vec![service("smtp", &[])]
            ),
            [(PostfixOk, Ok)]
        );
        // No restriction refuses: an open relay by configuration.
        assert_eq!(
            open(
                &[
                    ("smtpd_relay_restrictions", ""),
                    ("smtpd_recipient_restrictions", "permit_mynetworks")
                ],
                vec![]
            ),
            [(PostfixOpenRelayConfig, Critical)]
        );
        // Refused in the recipient restrictions: closed.
        assert_eq!(
            open(
                &[
                    ("smtpd_relay_restrictions", ""),
                    (
                        "smtpd_recipient_restrictions",
                        "permit_sasl_authenticated, reject_unauth_destination, permit"
                    )
                ],
                vec![]
            ),
            [(PostfixOk, Ok)]
        );
        // An access map may permit a few clients: not judged.
        assert_eq!(
            open(
                &[(
                    "smtpd_relay_restrictions",
                    "check_client_access hash:/etc/postfix/ok, permit_mynetworks, reject_unauth_destination"
                )],
                vec![]
            ),
            [(PostfixOk, Ok)]
        );
    }

    #[test]
    fn broad_mynetworks() {
        let broad = |nets: &str| run(config(&[("mynetworks", nets)], vec![service("smtp", &[])]));
        assert_eq!(
            broad("127.0.0.0/8 10.0.0.0/8"),
            [(PostfixMynetworksBroad, Warning)]
        );
        assert_eq!(
            broad("127.0.0.0/8 203.0.113.0/24"),
            [(PostfixMynetworksBroad, Warning)]
        );
        assert_eq!(broad("100.64.0.0/10"), [(PostfixMynetworksBroad, Warning)]);
        assert_eq!(
            broad("[2001:db8::]/56"),
            [(PostfixMynetworksBroad, Warning)]
        );
        assert_eq!(
            broad("[2001:db8::]/32"),
            [(PostfixOpenRelayConfig, Critical)]
        );
        assert_eq!(
            broad(
                "192.168.1.0/24 203.0.113.10/32 [2001:db8::10]/128 hash:/etc/postfix/nets !10.0.0.1"
            ),
            [(PostfixOk, Ok)]
        );
    }

    #[test]
    fn helo_names() {
        let c = |helo: &str| config(&[("smtp_helo_name", helo)], vec![]);
        assert_eq!(
            run_with(
                c("mail.example.org"),
                &[("192.0.2.10", ptr("other.example.org"))]
            ),
            [(PostfixHostnameMismatch, Warning)]
        );
        assert_eq!(run(c("localhost")), [(PostfixHostnameMismatch, Warning)]);
        assert_eq!(
            run_with(
                c("MAIL.example.org"),
                &[("192.0.2.10", ptr("mail.example.org"))]
            ),
            [(PostfixOk, Ok)]
        );
        // A missing PTR is a ptr finding, not this one.
        assert_eq!(
            run_with(c("mail.example.org"), &[("192.0.2.10", Lookup::NxDomain)]),
            [(PostfixOk, Ok)]
        );
        // With a smarthost, receivers never see this name.
        assert_eq!(
            run_with(
                config(
                    &[
                        ("smtp_helo_name", "box"),
                        ("relayhost", "[smtp.example.net]:587"),
                        ("smtp_tls_security_level", "encrypt")
                    ],
                    vec![]
                ),
                &[]
            ),
            [(PostfixOk, Ok)]
        );
    }

    #[test]
    fn tls_and_smarthosts() {
        assert_eq!(
            run(config(&[("smtp_tls_security_level", "")], vec![])),
            [(PostfixNoOutboundTls, Warning)]
        );
        assert_eq!(
            run(config(
                &[("smtp_tls_security_level", ""), ("smtp_use_tls", "yes")],
                vec![]
            )),
            [(PostfixOk, Ok)]
        );
        assert_eq!(
            run(config(&[("relayhost", "[smtp.example.net]:587")], vec![])),
            [(PostfixRelayhostNoTls, Warning)]
        );
        assert_eq!(
            run(config(
                &[
                    ("relayhost", "[smtp.example.net]:587"),
                    ("smtp_sasl_auth_enable", "yes")
                ],
                vec![]
            )),
            [(PostfixRelayhostNoTls, Critical)]
        );
        assert_eq!(
            run(config(
                &[
                    ("relayhost", "[smtp.example.net]:587"),
                    ("smtp_tls_security_level", "encrypt")
                ],
                vec![]
            )),
            [(PostfixOk, Ok)]
        );
    }

    #[test]
    fn submission_needs_auth() {
        let c = config(
            &[],
            vec![
                service("smtp", &[]),
                service("submission", &[("smtpd_tls_security_level", "encrypt")]),
                service("submissions", &[("smtpd_sasl_auth_enable", "yes")]),
            ],
        );
        assert_eq!(run(c), [(PostfixSubmissionNoAuth, Warning)]);
    }

    #[test]
    fn ipv6_without_ptr() {
        let c = |protocols: &str| config(&[("inet_protocols", protocols)], vec![]);
        let ips = [
            ("2001:db8::11", Lookup::NxDomain),
            ("192.0.2.10", ptr("mail.example.org")),
        ];
        assert_eq!(
            run_with(c("all"), &ips),
            [(PostfixIpv6WithoutPtr, Critical)]
        );
        assert_eq!(
            run_with(c("ipv4, ipv6"), &ips),
            [(PostfixIpv6WithoutPtr, Critical)]
        );
        assert_eq!(run_with(c("ipv4"), &ips), [(PostfixOk, Ok)]);
    }

    #[test]
    fn not_installed_and_unreadable() {
        let mut facts = facts_for("example.org");
        facts.postfix = PostfixFacts::NotInstalled {
            reason: "no postconf".into(),
        };
        let mut out = Vec::new();
        diagnose(&facts, &mut out);
        assert_eq!(out[0].id, PostfixNotInstalled);
        assert_eq!(out[0].severity, Info);
        facts.postfix = PostfixFacts::Unreadable {
            command: "postconf -n".into(),
            detail: "x".into(),
        };
        out.clear();
        diagnose(&facts, &mut out);
        assert_eq!(
            (out[0].id, out[0].severity),
            (PostfixConfigUnreadable, Unknown)
        );
        facts.postfix = PostfixFacts::Skipped {
            reason: "--no-postfix".into(),
        };
        out.clear();
        diagnose(&facts, &mut out);
        assert!(out.is_empty());
    }

    /// One finding of every kind this module emits.
    fn samples() -> Vec<Finding> {
        let mut all = Vec::new();
        let plain = |main: &[(&str, &str)]| config(main, vec![service("smtp", &[])]);
        for main in [
            &[][..],
            &[("smtpd_relay_restrictions", "permit")][..],
            &[("mynetworks", "0.0.0.0/0")][..],
            &[("mynetworks", "10.0.0.0/8")][..],
            &[("smtp_tls_security_level", "")][..],
            &[("smtp_helo_name", "box")][..],
            &[
                ("relayhost", "[smtp.example.net]:587"),
                ("smtp_sasl_auth_enable", "yes"),
            ][..],
            &[("inet_protocols", "all")][..],
        ] {
            all.extend(findings(
                plain(main),
                &[
                    ("192.0.2.10", ptr("other.example.org")),
                    ("2001:db8::11", Lookup::NxDomain),
                ],
            ));
        }
        all.extend(findings(plain(&[]), &[]));
        all.extend(findings(config(&[], vec![service("submission", &[])]), &[]));
        all.extend(findings(
            config(
                &[],
                vec![service("0.0.0.0:2526", &[("mynetworks", "0.0.0.0/0")])],
            ),
            &[],
        ));
        let mut facts = facts_for("example.org");
        for state in [
            PostfixFacts::NotInstalled {
                reason: "the postconf program is not installed".into(),
            },
            PostfixFacts::Unreadable {
                command: "postconf -n".into(),
                detail: "fatal: x".into(),
            },
        ] {
            facts.postfix = state;
            diagnose(&facts, &mut all);
        }
        all
    }

    /// Every smtp.*, net.* and postfix.* id has playbook text, and that text renders (in
    /// strict mode) with the evidence the rules really produce.
    #[test]
    fn playbook_text_renders_for_every_finding() {
        use crate::assets::Assets;
        use crate::plan::Playbooks;
        use crate::render::Renderer;
        use crate::report::{Report, Verbosity};

        let assets = Assets::default();
        let playbooks = Playbooks::load(&assets).unwrap();
        let renderer = Renderer::new(&assets, false).unwrap();
        let mut all = samples();
        all.extend(crate::diagnose::smtp::tests::samples());
        all.extend(crate::diagnose::net::tests::samples());
        for id in FindingId::ALL {
            if matches!(id.area(), "smtp" | "net" | "postfix") {
                assert!(
                    playbooks.findings.contains_key(id.as_str()),
                    "no playbook text for {id}"
                );
                assert!(
                    all.iter().any(|f| f.id == *id),
                    "no sample finding for {id}"
                );
            }
        }
        for finding in &all {
            let report = Report::build(
                facts_for("example.org").target,
                std::slice::from_ref(finding),
                &playbooks,
                &renderer,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", finding.id));
            let f = &report.findings[0];
            assert!(!f.title.contains("{{") && !f.detail.is_empty(), "{f:?}");
            report
                .to_template(&renderer, &playbooks, "text", Verbosity::Verbose)
                .unwrap_or_else(|e| panic!("{}: {e}", finding.id));
        }
    }
}
