//! The blocklist catalog (`playbooks/blocklists.yaml`): which lists exist, how to ask them,
//! what each answer means, and how to get off them. Decoding answers is pure and lives here
//! so that the probe, the rules and the checklists agree on every code.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::Deserialize;

use crate::answers::validate::{self, InvalidValue};
use crate::diagnose::Severity;

/// Every blocklist mxdoctor knows about, and the delisting procedures they point to.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub lists: Vec<Blocklist>,
    /// Delisting procedures by id; the id names the checklist file (`delisting/<id>.md`).
    #[serde(default)]
    pub procedures: BTreeMap<String, Procedure>,
}

/// What a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Holds {
    Ipv4,
    Ipv6,
    Domain,
}

/// Whether the list can be used today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Active,
    /// A part of a combined zone that is asked instead (SBL, XBL, PBL inside ZEN).
    Component,
    /// An old zone name whose data now lives elsewhere.
    Legacy,
    /// Data only for paying subscribers, no public DNS zone.
    SubscriptionOnly,
    ShutDown,
}

/// How an A answer maps to codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// Each answer address is one code (Spamhaus, most IP lists).
    #[default]
    Exact,
    /// The last octet is a bit mask; each code is one bit (URIBL, SURBL).
    Bitmask,
}

/// What a return code says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeKind {
    /// Listed for sending spam, being infected, hosting abuse…
    Listing,
    /// Listed by policy, not for spam (Spamhaus PBL: end-user address space).
    Policy,
    /// Not an answer about the subject: the query itself was refused or wrong.
    Refused,
    /// An allowlist entry (good reputation).
    Allowlist,
}

/// Do the list's servers answer queries relayed by big public resolvers?
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicResolvers {
    /// "yes" (refused), "no", or "unknown" (not documented).
    pub refused: String,
    pub detail: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocklist {
    /// Stable id, used in facts and evidence ("spamhaus-zen").
    pub id: String,
    pub name: String,
    pub operator: String,
    /// The public DNS zone; none for lists without one.
    #[serde(default)]
    pub zone: Option<String>,
    /// The Spamhaus Data Query Service zone asked instead when a DQS key is given.
    #[serde(default)]
    pub dqs_zone: Option<String>,
    /// Only available through DQS (asked only with a key).
    #[serde(default)]
    pub dqs_only: bool,
    pub holds: Vec<Holds>,
    pub status: Status,
    /// Whether mxdoctor asks it (false for shut-down, component and subscription lists).
    pub query: bool,
    #[serde(default)]
    pub note: Option<String>,
    /// Who acts on a listing, and how (shown as "why it matters").
    pub used_by: String,
    pub public_resolvers: PublicResolvers,
    /// An entry every working copy of the list holds (RFC 5782 §5: 127.0.0.2 for IP lists):
    /// asked once per sweep, so that an empty answer given instead of a refusal code (as
    /// Spamhaus does to some public resolvers) is not read as "not listed".
    #[serde(default)]
    pub test_point: Option<String>,
    /// Where a person can look a subject up; `{subject}` is replaced.
    #[serde(default)]
    pub lookup_url: Option<String>,
    #[serde(default)]
    pub matching: Matching,
    /// A range of answers that are all query errors, documented or not (Spamhaus 127.255.255.0/24).
    #[serde(default)]
    pub error_range: Option<String>,
    #[serde(default)]
    pub codes: Vec<ReturnCode>,
    /// The procedure for an answer outside the documented codes, when the list has one way out.
    #[serde(default)]
    pub default_procedure: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnCode {
    /// The A record (for bit masks: 127.0.0.<bit>).
    pub code: Ipv4Addr,
    pub kind: CodeKind,
    /// The part of a combined list this code stands for ("SBL", "XBL", "PBL"…).
    #[serde(default)]
    pub sublist: Option<String>,
    pub meaning: String,
    /// Required for listings and policy listings; refusals are always `unknown`.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// For refusals: why the query was refused (typo, public-resolver, rate-limit, …).
    #[serde(default)]
    pub cause: Option<String>,
    /// What to do about this very code.
    pub remedy: String,
    /// The delisting procedure id.
    #[serde(default)]
    pub procedure: Option<String>,
}

/// How to get off a list. Every string is a Handlebars template over the listing
/// (`subject`, `ptr`, `helo`, `code`, `list`, `zone`, `lookup_url`, `domain`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub title: String,
    /// The removal form or page; none when removal is automatic only.
    #[serde(default)]
    pub form: Option<String>,
    /// What must be true (fixed) before asking, or the request is refused or the listing returns.
    pub preconditions: Vec<String>,
    pub steps: Vec<String>,
    /// What to write in the request.
    #[serde(default)]
    pub write: Option<String>,
    pub cost: String,
    pub duration: String,
    /// How to check that it worked.
    pub verify: Vec<String>,
}

/// What one subject is: an address or a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Ip(IpAddr),
    Domain(String),
}

impl Subject {
    /// An address, or else a domain. Something shaped like an address that does not parse
    /// is refused as an address, not taken for a domain.
    pub fn parse(arg: &str) -> Result<Subject, InvalidValue> {
        if let Ok(ip) = validate::ip("IP", arg) {
            // An IPv4-mapped IPv6 address is listed, if at all, as its IPv4 address.
            return Ok(Subject::Ip(ip.to_canonical()));
        }
        let trimmed = arg.trim();
        let looks_like_ip = trimmed.contains(':')
            || (!trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.'));
        if looks_like_ip {
            return Err(InvalidValue {
                field: "IP".into(),
                reason: format!("{arg:?} is not an IPv4 or IPv6 address"),
            });
        }
        validate::domain("domain", arg)
            .map(Subject::Domain)
            .map_err(|e| InvalidValue {
                field: "IP|DOMAIN".into(),
                reason: format!(
                    "{arg:?} is neither an IP address nor a domain name ({})",
                    e.reason
                ),
            })
    }

    pub fn as_string(&self) -> String {
        match self {
            Subject::Ip(ip) => ip.to_string(),
            Subject::Domain(d) => d.clone(),
        }
    }

    fn kind(&self) -> Holds {
        match self {
            Subject::Ip(IpAddr::V4(_)) => Holds::Ipv4,
            Subject::Ip(IpAddr::V6(_)) => Holds::Ipv6,
            Subject::Domain(_) => Holds::Domain,
        }
    }

    /// The name to ask under `zone` (RFC 5782 §2.1, §2.4, §3): IPv4 octets reversed, IPv6
    /// as 32 reversed nibbles, a domain as itself.
    pub fn query_name(&self, zone: &str) -> String {
        let zone = zone.trim_end_matches('.');
        match self {
            Subject::Ip(IpAddr::V4(v4)) => {
                let [a, b, c, d] = v4.octets();
                format!("{d}.{c}.{b}.{a}.{zone}")
            }
            Subject::Ip(IpAddr::V6(v6)) => {
                let mut labels = String::with_capacity(64 + zone.len());
                for byte in v6.octets().iter().rev() {
                    labels.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
                }
                labels + zone
            }
            Subject::Domain(d) => format!("{}.{zone}", d.trim_end_matches('.')),
        }
    }
}

/// What one A record of an answer means for a list.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded<'a> {
    /// A documented code (listing, policy listing, refusal or allowlist entry).
    Known(&'a ReturnCode),
    /// Inside the list's error range but not documented: still a query error.
    UndocumentedError(Ipv4Addr),
    /// In 127.0.0.0/8 but not documented for this list.
    Undocumented(Ipv4Addr),
    /// Outside 127.0.0.0/8: no blocklist answers that; a resolver rewrote the answer.
    Foreign(Ipv4Addr),
}

impl Blocklist {
    pub fn holds(&self, subject: &Subject) -> bool {
        self.holds.contains(&subject.kind())
    }

    /// Lists the sweep asks: queryable, and only with a DQS key when DQS-only.
    pub fn is_asked(&self, with_dqs: bool) -> bool {
        self.query && (!self.dqs_only || with_dqs)
    }

    /// The zone to ask, and whether it is the DQS one.
    pub fn zone_for(&self, with_dqs: bool) -> Option<(&str, bool)> {
        match (&self.dqs_zone, with_dqs) {
            (Some(dqs), true) => Some((dqs.as_str(), true)),
            _ if self.dqs_only => None,
            _ => self.zone.as_deref().map(|z| (z, false)),
        }
    }

    /// The lookup URL for one subject.
    pub fn lookup_url_for(&self, subject: &str) -> Option<String> {
        self.lookup_url
            .as_ref()
            .map(|u| u.replace("{subject}", subject))
    }

    /// Decode every A record of an answer (a bit mask may give several codes per record).
    pub fn decode(&self, answer: &[Ipv4Addr]) -> Vec<Decoded<'_>> {
        let mut out = Vec::new();
        for addr in answer {
            for d in self.decode_one(*addr) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    fn decode_one(&self, addr: Ipv4Addr) -> Vec<Decoded<'_>> {
        if addr.octets()[0] != 127 {
            return vec![Decoded::Foreign(addr)];
        }
        if let Some(code) = self.codes.iter().find(|c| c.code == addr) {
            return vec![Decoded::Known(code)];
        }
        if self.in_error_range(addr) {
            return vec![Decoded::UndocumentedError(addr)];
        }
        if self.matching == Matching::Bitmask {
            let [a, b, c, bits] = addr.octets();
            if [a, b, c] == [127, 0, 0] && bits != 0 {
                let mut left = bits;
                let mut found = Vec::new();
                for code in &self.codes {
                    let bit = code.code.octets()[3];
                    if code.code.octets()[..3] == [127, 0, 0] && bits & bit != 0 {
                        found.push(Decoded::Known(code));
                        left &= !bit;
                    }
                }
                // A refusal bit makes the other bits meaningless.
                if let Some(refused) = found
                    .iter()
                    .find(|d| matches!(d, Decoded::Known(c) if c.kind == CodeKind::Refused))
                {
                    return vec![refused.clone()];
                }
                if left != 0 {
                    found.push(Decoded::Undocumented(addr));
                }
                return found;
            }
        }
        vec![Decoded::Undocumented(addr)]
    }

    fn in_error_range(&self, addr: Ipv4Addr) -> bool {
        let Some((net, len)) = self.error_range.as_deref().and_then(parse_cidr) else {
            return false;
        };
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        u32::from(addr) & mask == u32::from(net) & mask
    }

    /// A refusal code, for the probe: no point asking TXT about a refused query.
    pub fn is_refusal(&self, addr: Ipv4Addr) -> bool {
        self.decode_one(addr).iter().all(|d| match d {
            Decoded::Known(c) => c.kind == CodeKind::Refused,
            Decoded::UndocumentedError(_) => true,
            _ => false,
        })
    }
}

fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u32)> {
    let (net, len) = s.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    (len <= 32).then_some((net.parse().ok()?, len))
}

/// The catalog does not make sense (caught when playbooks load, so never at query time).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CatalogError(pub String);

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Blocklist> {
        self.lists.iter().find(|l| l.id == id)
    }

    /// Check what serde cannot: unique ids, zones where queried, severities on listings,
    /// causes on refusals, procedures that exist and ids safe as file names.
    pub fn validate(&self) -> Result<(), CatalogError> {
        let err = |m: String| Err(CatalogError(m));
        for id in self.procedures.keys() {
            if !is_file_safe(id) {
                return err(format!(
                    "procedure id {id:?} must be lower-case letters, digits and hyphens"
                ));
            }
            if super::delisting::PROVIDERS.contains(&id.as_str()) {
                return err(format!(
                    "procedure id {id:?} would overwrite a provider checklist"
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for list in &self.lists {
            let id = &list.id;
            if !is_file_safe(id) || !seen.insert(id.as_str()) {
                return err(format!("list id {id:?} is duplicated or not a plain name"));
            }
            if list.query && list.zone.is_none() && list.dqs_zone.is_none() {
                return err(format!("{id}: queried but has no zone"));
            }
            if list.dqs_only && list.dqs_zone.is_none() {
                return err(format!("{id}: DQS-only without a dqs_zone"));
            }
            if list.query && !matches!(list.status, Status::Active) {
                return err(format!("{id}: only active lists may be queried"));
            }
            if list.holds.is_empty() {
                return err(format!("{id}: says nothing about what it lists"));
            }
            if let Some(point) = &list.test_point
                && !Subject::parse(point).is_ok_and(|s| list.holds(&s))
            {
                return err(format!(
                    "{id}: test point {point:?} is not something it lists"
                ));
            }
            if let Some(range) = &list.error_range
                && parse_cidr(range).is_none()
            {
                return err(format!("{id}: error_range {range:?} is not a.b.c.d/n"));
            }
            if let Some(p) = &list.default_procedure
                && !self.procedures.contains_key(p)
            {
                return err(format!("{id}: unknown default_procedure {p:?}"));
            }
            let mut codes = std::collections::HashSet::new();
            for code in &list.codes {
                let c = code.code;
                if !codes.insert(c) {
                    return err(format!("{id}: code {c} appears twice"));
                }
                if c.octets()[0] != 127 {
                    return err(format!("{id}: code {c} is outside 127.0.0.0/8"));
                }
                match code.kind {
                    CodeKind::Listing | CodeKind::Policy if code.severity.is_none() => {
                        return err(format!("{id}: code {c} needs a severity"));
                    }
                    CodeKind::Refused if code.cause.is_none() => {
                        return err(format!("{id}: refusal {c} needs a cause"));
                    }
                    _ => {}
                }
                if let Some(p) = &code.procedure
                    && !self.procedures.contains_key(p)
                {
                    return err(format!("{id}: code {c} names unknown procedure {p:?}"));
                }
                if list.matching == Matching::Bitmask && !code.code.octets()[3].is_power_of_two() {
                    return err(format!("{id}: bit-mask code {c} is not a single bit"));
                }
            }
        }
        Ok(())
    }
}

fn is_file_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::plan::Playbooks;

    fn catalog() -> Catalog {
        Playbooks::load(&Assets::default()).unwrap().blocklists
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn query_names_follow_rfc_5782() {
        let v4 = Subject::Ip("192.0.2.99".parse().unwrap());
        assert_eq!(
            v4.query_name("zen.spamhaus.org"),
            "99.2.0.192.zen.spamhaus.org"
        );
        // RFC 5782 §2.4's own example.
        let v6 = Subject::Ip("2001:db8:1:2:3:4:567:89ab".parse().unwrap());
        assert_eq!(
            v6.query_name("ugly.example.com."),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"
        );
        let d = Subject::Domain("example.org".into());
        assert_eq!(
            d.query_name("dbl.spamhaus.org"),
            "example.org.dbl.spamhaus.org"
        );
    }

    #[test]
    fn subjects_from_arguments() {
        let ok = |s: &str| Subject::parse(s).unwrap().as_string();
        assert_eq!(ok("192.0.2.1"), "192.0.2.1");
        assert_eq!(ok("[2001:DB8::1]"), "2001:db8::1");
        assert_eq!(ok("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(ok("Example.ORG."), "example.org");
        for bad in [
            "300.1.2.3",
            "2001:db8::zz",
            "192.0.2",
            "not a domain",
            "localhost",
            "",
        ] {
            assert!(Subject::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_shipped_catalog_is_valid_and_complete() {
        let c = catalog();
        c.validate().unwrap();
        assert!(c.lists.len() >= 12, "{} lists", c.lists.len());
        let sorbs = c
            .lists
            .iter()
            .find(|l| l.operator.contains("SORBS"))
            .unwrap();
        assert_eq!(sorbs.status, Status::ShutDown);
        assert!(!sorbs.query);
        for must in [
            "spamhaus-zen",
            "spamhaus-dbl",
            "barracuda",
            "spamcop",
            "uceprotect-1",
            "uceprotect-2",
            "uceprotect-3",
            "psbl",
            "mailspike",
        ] {
            assert!(c.get(must).is_some_and(|l| l.query), "{must} is not asked");
        }
        for list in &c.lists {
            assert!(!list.sources.is_empty(), "{} has no source", list.id);
        }
    }

    #[test]
    fn spamhaus_zen_is_decoded_by_sublist() {
        let c = catalog();
        let zen = c.get("spamhaus-zen").unwrap();
        let sub = |code: &str| match zen.decode(&[ip(code)]).as_slice() {
            [Decoded::Known(c)] => (c.kind, c.sublist.clone().unwrap_or_default()),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(sub("127.0.0.2"), (CodeKind::Listing, "SBL".into()));
        assert_eq!(sub("127.0.0.3"), (CodeKind::Listing, "CSS".into()));
        for x in 4..=7 {
            assert_eq!(
                sub(&format!("127.0.0.{x}")),
                (CodeKind::Listing, "XBL".into())
            );
        }
        assert_eq!(sub("127.0.0.9"), (CodeKind::Listing, "DROP".into()));
        assert_eq!(sub("127.0.0.10"), (CodeKind::Policy, "PBL".into()));
        assert_eq!(sub("127.0.0.11"), (CodeKind::Policy, "PBL".into()));
        for refused in [
            "127.255.255.252",
            "127.255.255.254",
            "127.255.255.255",
            "127.255.255.250",
            "127.255.255.251",
        ] {
            assert_eq!(sub(refused).0, CodeKind::Refused, "{refused}");
            assert!(zen.is_refusal(ip(refused)));
        }
        assert_eq!(
            zen.decode(&[ip("127.255.255.1")]),
            [Decoded::UndocumentedError(ip("127.255.255.1"))]
        );
        assert_eq!(
            zen.decode(&[ip("127.0.0.99")]),
            [Decoded::Undocumented(ip("127.0.0.99"))]
        );
        assert_eq!(
            zen.decode(&[ip("10.0.0.1")]),
            [Decoded::Foreign(ip("10.0.0.1"))]
        );
        assert!(!zen.is_refusal(ip("127.0.0.2")));
        let dbl = c.get("spamhaus-dbl").unwrap();
        assert!(dbl.is_refusal(ip("127.0.1.255")));
    }

    #[test]
    fn bit_masks_give_every_bit_and_refusals_win() {
        let c = catalog();
        let uribl = c.get("uribl").unwrap();
        let found: Vec<String> = uribl
            .decode(&[ip("127.0.0.14")])
            .iter()
            .map(|d| match d {
                Decoded::Known(c) => c.code.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(found, ["127.0.0.2", "127.0.0.4", "127.0.0.8"]);
        assert!(matches!(
            uribl.decode(&[ip("127.0.0.1")]).as_slice(),
            [Decoded::Known(c)] if c.kind == CodeKind::Refused
        ));
        assert!(matches!(
            uribl.decode(&[ip("127.0.0.34")]).as_slice(),
            [Decoded::Known(_), Decoded::Undocumented(_)]
        ));
    }

    #[test]
    fn validation_catches_mistakes() {
        let mut c = catalog();
        c.lists[0].codes[0].procedure = Some("nowhere".into());
        assert!(c.validate().is_err());
        let mut c = catalog();
        let dup = c.lists[0].clone();
        c.lists.push(dup);
        assert!(c.validate().is_err());
        let mut c = catalog();
        let p = c.procedures["psbl"].clone();
        c.procedures.insert("microsoft".into(), p);
        assert!(c.validate().is_err());
        let mut c = catalog();
        c.lists[0].codes[0].severity = None;
        assert!(c.validate().is_err());
    }
}
