//! Direct delivery or a smarthost? A pure rule over the findings of a check.
//!
//! Some facts make direct delivery from this server hopeless whatever the DNS records say:
//! outbound port 25 blocked, an address on a policy blocklist (Spamhaus PBL: "this range
//! should not send mail directly"), a provider-default or dynamic-looking reverse DNS name
//! (the owner of the address controls the PTR, and it is not you), an address shared
//! through carrier-grade NAT. Each of those decides for a smarthost. A listing on a list
//! Microsoft acts on (Spamhaus) decides for relaying Microsoft's consumer domains. Other
//! problems are caveats: fixable, so direct delivery remains the recommendation. The words
//! for every reason are in `playbooks/wizard.yaml` under `recommendation.reasons`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::answers::Outbound;
use crate::diagnose::{Finding, FindingId, Severity};

/// The destination group relayed when only Microsoft refuses the server's address.
pub const MICROSOFT_GROUP: &str = "microsoft-consumer";

/// Why the recommendation is what it is; the id keys the words in `playbooks/wizard.yaml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonId {
    // Decide for a smarthost.
    Port25Blocked,
    PolicyListed,
    GenericPtr,
    SharedAddress,
    // Decides for relaying Microsoft's consumer domains.
    MicrosoftRefuses,
    // Caveats: fix them, or use a smarthost meanwhile.
    PtrMissing,
    Listed,
    Port25Unknown,
    // In favour of direct delivery.
    Port25Open,
    PtrOk,
    Clean,
}

impl ReasonId {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonId::Port25Blocked => "port-25-blocked",
            ReasonId::PolicyListed => "policy-listed",
            ReasonId::GenericPtr => "generic-ptr",
            ReasonId::SharedAddress => "shared-address",
            ReasonId::MicrosoftRefuses => "microsoft-refuses",
            ReasonId::PtrMissing => "ptr-missing",
            ReasonId::Listed => "listed",
            ReasonId::Port25Unknown => "port-25-unknown",
            ReasonId::Port25Open => "port-25-open",
            ReasonId::PtrOk => "ptr-ok",
            ReasonId::Clean => "clean",
        }
    }

    pub const ALL: &'static [ReasonId] = &[
        ReasonId::Port25Blocked,
        ReasonId::PolicyListed,
        ReasonId::GenericPtr,
        ReasonId::SharedAddress,
        ReasonId::MicrosoftRefuses,
        ReasonId::PtrMissing,
        ReasonId::Listed,
        ReasonId::Port25Unknown,
        ReasonId::Port25Open,
        ReasonId::PtrOk,
        ReasonId::Clean,
    ];

    /// How much the reason weighs.
    pub fn weight(self) -> Weight {
        match self {
            ReasonId::Port25Blocked
            | ReasonId::PolicyListed
            | ReasonId::GenericPtr
            | ReasonId::SharedAddress => Weight::Smarthost,
            ReasonId::MicrosoftRefuses => Weight::MicrosoftOnly,
            ReasonId::PtrMissing | ReasonId::Listed | ReasonId::Port25Unknown => Weight::Caveat,
            ReasonId::Port25Open | ReasonId::PtrOk | ReasonId::Clean => Weight::Direct,
        }
    }
}

/// What a reason does to the recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weight {
    Smarthost,
    MicrosoftOnly,
    Caveat,
    Direct,
}

/// One reason, with the finding's subject and evidence for its words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    pub id: ReasonId,
    pub weight: Weight,
    pub subject: String,
    pub evidence: Map<String, Value>,
}

/// The advice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub outbound: Outbound,
    /// For a smarthost: only these destinations through it (empty: all mail).
    pub destinations: Vec<String>,
    /// Every reason found, deciding ones first.
    pub reasons: Vec<Reason>,
}

impl Recommendation {
    /// The word for the kind of advice: direct, smarthost or smarthost-for.
    pub fn kind(&self) -> &'static str {
        match (self.outbound, self.destinations.is_empty()) {
            (Outbound::Direct, _) => "direct",
            (Outbound::Smarthost, true) => "smarthost",
            (Outbound::Smarthost, false) => "smarthost-for",
        }
    }
}

/// Recommend from a check's findings. `microsoft_lists` are the blocklist ids whose
/// listings Microsoft refuses mail for.
pub fn recommend(findings: &[Finding], microsoft_lists: &[String]) -> Recommendation {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut push = |id: ReasonId, f: &Finding| {
        if !reasons.iter().any(|r| r.id == id && r.subject == f.subject) {
            reasons.push(Reason {
                id,
                weight: id.weight(),
                subject: f.subject.clone(),
                evidence: f.evidence.clone(),
            });
        }
    };
    let mut listed_anywhere = false;
    let mut checked_lists = false;
    for f in findings {
        let problem = f.severity != Severity::Ok;
        match f.id {
            FindingId::NetOutbound25Blocked if problem => push(ReasonId::Port25Blocked, f),
            FindingId::NetOutbound25Unknown => push(ReasonId::Port25Unknown, f),
            FindingId::NetOutbound25Open => push(ReasonId::Port25Open, f),
            FindingId::DnsblPolicyListed => {
                listed_anywhere = true;
                push(ReasonId::PolicyListed, f);
            }
            FindingId::DnsblListed if problem => {
                listed_anywhere = true;
                let list = f.evidence.get("list_id").and_then(Value::as_str);
                if list.is_some_and(|l| microsoft_lists.iter().any(|m| m == l)) {
                    push(ReasonId::MicrosoftRefuses, f);
                } else {
                    push(ReasonId::Listed, f);
                }
            }
            FindingId::DnsblClean => checked_lists = true,
            FindingId::PtrGeneric if problem => push(ReasonId::GenericPtr, f),
            FindingId::PtrMissing if problem => push(ReasonId::PtrMissing, f),
            FindingId::PtrOk => push(ReasonId::PtrOk, f),
            FindingId::NetBehindNat
                if f.evidence.get("cgnat").and_then(Value::as_bool) == Some(true) =>
            {
                push(ReasonId::SharedAddress, f)
            }
            _ => {}
        }
    }
    if checked_lists
        && !listed_anywhere
        && let Some(clean) = findings.iter().find(|f| f.id == FindingId::DnsblClean)
    {
        push(ReasonId::Clean, clean);
    }
    reasons.sort_by_key(|r| r.id);
    let has = |w: Weight| reasons.iter().any(|r| r.weight == w);
    let (outbound, destinations) = if has(Weight::Smarthost) {
        (Outbound::Smarthost, Vec::new())
    } else if has(Weight::MicrosoftOnly) {
        (Outbound::Smarthost, vec![MICROSOFT_GROUP.to_string()])
    } else {
        (Outbound::Direct, Vec::new())
    };
    Recommendation {
        outbound,
        destinations,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: FindingId, severity: Severity, subject: &str) -> Finding {
        Finding::new(id, severity, subject)
    }

    fn ids(r: &Recommendation) -> Vec<&'static str> {
        r.reasons.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn the_rule_by_cases() {
        let microsoft = vec!["spamhaus-zen".to_string()];
        let blocked = f(
            FindingId::NetOutbound25Blocked,
            Severity::Critical,
            "gmail-smtp-in.l.google.com:25",
        );
        let open = f(
            FindingId::NetOutbound25Open,
            Severity::Ok,
            "gmail-smtp-in.l.google.com:25",
        );
        let pbl = f(
            FindingId::DnsblPolicyListed,
            Severity::Warning,
            "192.0.2.10",
        );
        let generic = f(FindingId::PtrGeneric, Severity::Warning, "192.0.2.10");
        let ptr_ok = f(FindingId::PtrOk, Severity::Ok, "192.0.2.10");
        let ptr_missing = f(FindingId::PtrMissing, Severity::Critical, "192.0.2.10");
        let clean = f(FindingId::DnsblClean, Severity::Ok, "192.0.2.10");
        let sbl = f(FindingId::DnsblListed, Severity::Critical, "192.0.2.10")
            .with("list_id", "spamhaus-zen");
        let other =
            f(FindingId::DnsblListed, Severity::Warning, "192.0.2.10").with("list_id", "spamcop");
        let cgnat = f(FindingId::NetBehindNat, Severity::Info, "100.64.1.2").with("cgnat", true);
        let home_nat =
            f(FindingId::NetBehindNat, Severity::Info, "192.0.2.10").with("cgnat", false);
        let cases: Vec<(Vec<&Finding>, &str, Vec<&str>)> = vec![
            (
                vec![&open, &ptr_ok, &clean],
                "direct",
                vec!["port-25-open", "ptr-ok", "clean"],
            ),
            (
                vec![&blocked, &ptr_ok],
                "smarthost",
                vec!["port-25-blocked", "ptr-ok"],
            ),
            (
                vec![&open, &pbl, &clean],
                "smarthost",
                vec!["policy-listed", "port-25-open"],
            ),
            (
                vec![&open, &generic],
                "smarthost",
                vec!["generic-ptr", "port-25-open"],
            ),
            (vec![&cgnat], "smarthost", vec!["shared-address"]),
            (vec![&home_nat, &open], "direct", vec!["port-25-open"]),
            (
                vec![&open, &sbl],
                "smarthost-for",
                vec!["microsoft-refuses", "port-25-open"],
            ),
            (
                vec![&open, &sbl, &blocked],
                "smarthost",
                vec!["port-25-blocked", "microsoft-refuses", "port-25-open"],
            ),
            (
                vec![&open, &other, &ptr_missing, &clean],
                "direct",
                vec!["ptr-missing", "listed", "port-25-open"],
            ),
            (vec![], "direct", vec![]),
        ];
        for (findings, kind, reasons) in cases {
            let owned: Vec<Finding> = findings.into_iter().cloned().collect();
            let r = recommend(&owned, &microsoft);
            assert_eq!(r.kind(), kind, "{:?}", ids(&r));
            assert_eq!(ids(&r), reasons);
            if kind == "smarthost-for" {
                assert_eq!(r.destinations, vec![MICROSOFT_GROUP]);
            }
        }
    }

    #[test]
    fn every_reason_has_an_id_and_weight() {
        for r in ReasonId::ALL {
            assert!(!r.as_str().is_empty());
            let _ = r.weight();
        }
    }
}
