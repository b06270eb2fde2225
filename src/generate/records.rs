//! The DNS records the answers call for, as data for the zone, TSV and nsupdate templates.

use rsa::sha2::{Digest as _, Sha256};
use serde::Serialize;

use crate::answers::{Answers, DmarcPolicy, MtaStsMode, in_zone};
use crate::keys::DkimKey;

use super::existing::{Existing, dmarc_tag};
use super::spf::{self, SpfInput, SpfRecord};

/// TTL of every generated record: an hour, short enough to correct a mistake the same day.
pub const TTL: u32 = 3600;

/// How an nsupdate script replaces what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replace {
    /// Only add (MX, A, AAAA: other records of the name may be legitimate).
    Add,
    /// Delete the whole set at the name first (dedicated names such as `_dmarc`).
    Rrset,
    /// Delete exactly these old values first (the apex TXT set holds other records too).
    Values(Vec<String>),
}

/// One record to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Name relative to its zone ("@" for the apex).
    pub name: String,
    /// Full name without the trailing dot.
    pub fqdn: String,
    pub zone: String,
    #[serde(rename = "type")]
    pub rtype: &'static str,
    pub ttl: u32,
    /// The value as one string, as web forms want it (TXT unquoted and unsplit).
    pub value: String,
    /// The zone-file data (host names with a trailing dot); for TXT the same text, quoted and
    /// split by the template.
    pub data: String,
    pub txt: bool,
    /// What the record is for: mx, host, spf, dkim, dmarc, mta-sts, mta-sts-host, tls-rpt,
    /// report-auth.
    pub purpose: &'static str,
    /// nsupdate: delete every record of this type at the name first.
    pub delete_rrset: bool,
    /// nsupdate: delete exactly these old values first.
    pub delete_values: Vec<String>,
}

/// Every record, plus the derived pieces the plan and other files need.
#[derive(Clone, Debug, Serialize)]
pub struct RecordSet {
    /// Records of the domain's own zone.
    pub own: Vec<DnsRecord>,
    /// Records for other zones (the DMARC report authorisation at the report domain).
    pub other: Vec<DnsRecord>,
    pub spf: SpfRecord,
    pub dmarc: DmarcStages,
    /// The MTA-STS policy file, when a policy is published.
    pub mta_sts_policy: Option<String>,
    /// Hosts the MTA-STS policy names.
    pub mta_sts_mx: Vec<String>,
}

/// The DMARC record now and the stricter ones to move to later.
#[derive(Clone, Debug, Serialize)]
pub struct DmarcStages {
    pub now: String,
    pub policy: DmarcPolicy,
    /// True when a stricter published policy was kept over the answers' one.
    pub kept_stricter: bool,
    /// Where aggregate reports go (the answers' address, else the published one).
    pub rua: Option<String>,
    pub quarantine: String,
    pub reject: String,
}

impl RecordSet {
    pub fn all(&self) -> impl Iterator<Item = &DnsRecord> {
        self.own.iter().chain(self.other.iter())
    }
}

/// Build the records for `answers`, merging with `existing` ones.
pub fn build(
    answers: &Answers,
    keys: &[(String, &DkimKey)],
    relay_spf_include: Option<&str>,
    existing: &Existing,
) -> RecordSet {
    let zone = answers.domain.as_str();
    let mut own = Vec::new();
    let mut add =
        |fqdn: &str, rtype: &'static str, value: String, data: String, purpose, replace| {
            own.push(record(zone, fqdn, rtype, value, data, purpose, replace));
        };

    if answers.receives_mail {
        add(
            zone,
            "MX",
            format!("10 {}", answers.hostname),
            format!("10 {}.", answers.hostname),
            "mx",
            Replace::Add,
        );
    }
    if answers.hostname_in_zone() {
        host_addresses(answers, &answers.hostname, "host", &mut add);
    }

    let spf = spf::build(
        &SpfInput {
            own: own_spf_terms(answers),
            include: relay_spf_include,
        },
        &existing.spf,
    );
    add(
        zone,
        "TXT",
        spf.value.clone(),
        spf.value.clone(),
        "spf",
        Replace::Values(spf.replaces.clone()),
    );

    for (selector, key) in keys {
        let value = key.dns_value();
        add(
            &format!("{selector}._domainkey.{zone}"),
            "TXT",
            value.clone(),
            value,
            "dkim",
            Replace::Rrset,
        );
    }

    let dmarc = dmarc_stages(answers, existing);
    add(
        &format!("_dmarc.{zone}"),
        "TXT",
        dmarc.now.clone(),
        dmarc.now.clone(),
        "dmarc",
        Replace::Rrset,
    );

    let mut mta_sts_policy = None;
    let mut mta_sts_mx = Vec::new();
    if answers.mta_sts.mode != MtaStsMode::None {
        if answers.receives_mail {
            mta_sts_mx.push(answers.hostname.clone());
        }
        for host in &existing.mx_hosts {
            if !mta_sts_mx.contains(host) {
                mta_sts_mx.push(host.clone());
            }
        }
        let policy = mta_sts_policy_text(answers.mta_sts.mode, &mta_sts_mx);
        let value = format!("v=STSv1; id={}", policy_id(&policy));
        add(
            &format!("_mta-sts.{zone}"),
            "TXT",
            value.clone(),
            value,
            "mta-sts",
            Replace::Rrset,
        );
        host_addresses(
            answers,
            &format!("mta-sts.{zone}"),
            "mta-sts-host",
            &mut add,
        );
        mta_sts_policy = Some(policy);
    }

    if let Some(rua) = &answers.tls_rpt.rua {
        let value = format!("v=TLSRPTv1; rua=mailto:{rua}");
        add(
            &format!("_smtp._tls.{zone}"),
            "TXT",
            value.clone(),
            value,
            "tls-rpt",
            Replace::Rrset,
        );
    }

    let mut other = Vec::new();
    if let Some(rua_domain) = dmarc
        .rua
        .as_deref()
        .and_then(|r| r.rsplit_once('@'))
        .map(|(_, d)| d.to_string())
        && !in_zone(&rua_domain, zone)
    {
        other.push(record(
            &rua_domain,
            &format!("{zone}._report._dmarc.{rua_domain}"),
            "TXT",
            "v=DMARC1".into(),
            "v=DMARC1".into(),
            "report-auth",
            Replace::Rrset,
        ));
    }

    RecordSet {
        own,
        other,
        spf,
        dmarc,
        mta_sts_policy,
        mta_sts_mx,
    }
}

fn record(
    zone: &str,
    fqdn: &str,
    rtype: &'static str,
    value: String,
    data: String,
    purpose: &'static str,
    replace: Replace,
) -> DnsRecord {
    let name = if fqdn == zone {
        "@".to_string()
    } else {
        fqdn.strip_suffix(&format!(".{zone}"))
            .unwrap_or(fqdn)
            .to_string()
    };
    DnsRecord {
        name,
        fqdn: fqdn.to_string(),
        zone: zone.to_string(),
        rtype,
        ttl: TTL,
        txt: rtype == "TXT",
        value,
        data,
        purpose,
        delete_rrset: replace == Replace::Rrset,
        delete_values: match replace {
            Replace::Values(v) => v,
            _ => Vec::new(),
        },
    }
}

fn host_addresses(
    answers: &Answers,
    fqdn: &str,
    purpose: &'static str,
    add: &mut impl FnMut(&str, &'static str, String, String, &'static str, Replace),
) {
    if let Some(ip) = answers.ipv4 {
        add(
            fqdn,
            "A",
            ip.to_string(),
            ip.to_string(),
            purpose,
            Replace::Add,
        );
    }
    if let Some(ip) = answers.ipv6 {
        add(
            fqdn,
            "AAAA",
            ip.to_string(),
            ip.to_string(),
            purpose,
            Replace::Add,
        );
    }
}

/// The server's own SPF terms: its addresses when known, else `mx` (it is the MX) or
/// `a:<hostname>`.
fn own_spf_terms(answers: &Answers) -> Vec<String> {
    let mut terms = Vec::new();
    if let Some(ip) = answers.ipv4 {
        terms.push(format!("ip4:{ip}"));
    }
    if let Some(ip) = answers.ipv6 {
        terms.push(format!("ip6:{ip}"));
    }
    if terms.is_empty() && answers.sends_directly() {
        terms.push(if answers.receives_mail {
            "mx".to_string()
        } else {
            format!("a:{}", answers.hostname)
        });
    }
    terms
}

fn dmarc_record(policy: DmarcPolicy, rua: Option<&str>, extra: &[String]) -> String {
    let mut parts = vec!["v=DMARC1".to_string(), format!("p={policy}")];
    if let Some(rua) = rua {
        parts.push(format!("rua=mailto:{rua}"));
    }
    parts.extend(extra.iter().cloned());
    parts.join("; ")
}

/// DMARC now (the answers' policy, or a stricter published one) and the later stages.
/// Tags of a published record that the answers do not set (ruf, fo, adkim, aspf, sp) are
/// kept; `pct` is dropped (removed from DMARC).
fn dmarc_stages(answers: &Answers, existing: &Existing) -> DmarcStages {
    let published = existing.dmarc_policy();
    let policy = published.map_or(answers.dmarc.policy, |p| p.max(answers.dmarc.policy));
    let kept_stricter = published.is_some_and(|p| p > answers.dmarc.policy);
    let existing_rua = existing
        .dmarc
        .as_deref()
        .and_then(|r| dmarc_tag(r, "rua"))
        .map(|r| r.trim_start_matches("mailto:").to_string());
    let rua = answers.dmarc.rua.clone().or(existing_rua);
    let extra: Vec<String> = existing
        .dmarc
        .as_deref()
        .map(|r| {
            r.split(';')
                .map(str::trim)
                .filter(|t| {
                    t.split_once('=').is_some_and(|(k, _)| {
                        !["v", "p", "rua", "pct"].contains(&k.trim().to_ascii_lowercase().as_str())
                    })
                })
                .filter(|t| safe_dmarc_tag(t))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    DmarcStages {
        now: dmarc_record(policy, rua.as_deref(), &extra),
        policy,
        kept_stricter,
        quarantine: dmarc_record(DmarcPolicy::Quarantine, rua.as_deref(), &extra),
        reject: dmarc_record(DmarcPolicy::Reject, rua.as_deref(), &extra),
        rua,
    }
}

/// A kept DMARC tag from DNS goes back into a zone line: printable ASCII only.
fn safe_dmarc_tag(tag: &str) -> bool {
    tag.len() <= 200 && tag.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !tag.contains('"')
}

/// The policy file served at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
fn mta_sts_policy_text(mode: MtaStsMode, mx: &[String]) -> String {
    let max_age = match mode {
        MtaStsMode::Enforce => 604_800,
        _ => 86_400,
    };
    let mut text = format!("version: STSv1\nmode: {mode}\n");
    for host in mx {
        text.push_str(&format!("mx: {host}\n"));
    }
    text.push_str(&format!("max_age: {max_age}\n"));
    text
}

/// The policy id: a digest of the policy, so it changes exactly when the policy does and a
/// re-run with the same answers publishes the same id.
fn policy_id(policy: &str) -> String {
    let digest = Sha256::digest(policy.as_bytes());
    digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::AnswerLayer;
    use crate::plan::Smarthosts;

    fn answers(yaml: &str) -> Answers {
        AnswerLayer::from_yaml("t", yaml)
            .unwrap()
            .resolve(&Smarthosts::default())
            .unwrap()
    }

    #[test]
    fn merges_with_published_spf_and_dmarc() {
        let a = answers("domain: example.org\nipv4: 203.0.113.10\n");
        let existing = Existing {
            mx_hosts: vec!["mx.backup.example.net".into()],
            spf: vec!["v=spf1 include:_spf.google.com ~all".into()],
            dmarc: Some(
                "v=DMARC1; p=reject; pct=50; ruf=mailto:f@example.org; rua=mailto:old@example.org"
                    .into(),
            ),
        };
        let set = build(&a, &[], None, &existing);
        let spf = set.own.iter().find(|r| r.purpose == "spf").unwrap();
        assert_eq!(
            spf.value,
            "v=spf1 include:_spf.google.com ip4:203.0.113.10 ~all"
        );
        assert_eq!(spf.delete_values, existing.spf);
        let dmarc = set.own.iter().find(|r| r.purpose == "dmarc").unwrap();
        assert_eq!(
            dmarc.value,
            "v=DMARC1; p=reject; rua=mailto:dmarc@example.org; ruf=mailto:f@example.org"
        );
        assert!(set.dmarc.kept_stricter);
        assert_eq!(
            set.mta_sts_mx,
            vec!["mail.example.org", "mx.backup.example.net"]
        );
        assert!(
            set.mta_sts_policy
                .unwrap()
                .contains("mx: mx.backup.example.net\n")
        );
    }

    #[test]
    fn report_authorisation_only_for_another_domain() {
        let same = build(
            &answers("domain: example.org\ndmarc: {rua: d@reports.example.org}\n"),
            &[],
            None,
            &Existing::default(),
        );
        assert!(same.other.is_empty());
        let other = build(
            &answers("domain: example.org\ndmarc: {rua: d@example.net}\n"),
            &[],
            None,
            &Existing::default(),
        );
        assert_eq!(
            other.other[0].fqdn,
            "example.org._report._dmarc.example.net"
        );
        assert_eq!(other.other[0].name, "example.org._report._dmarc");
        assert_eq!(other.other[0].value, "v=DMARC1");
    }

    #[test]
    fn policy_and_id() {
        let p = mta_sts_policy_text(MtaStsMode::Testing, &["mail.example.org".into()]);
        assert_eq!(
            p,
            "version: STSv1\nmode: testing\nmx: mail.example.org\nmax_age: 86400\n"
        );
        let id = policy_id(&p);
        assert_eq!(id.len(), 20);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, policy_id("other"));
    }
}
