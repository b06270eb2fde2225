//! Every finding id mxdoctor can emit, in one list.
//!
//! Ids are a contract: playbooks, templates, JSON consumers and tests key on them. Add new
//! ones here; never rename one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! finding_ids {
    ($($variant:ident = $id:literal,)*) => {
        /// A stable `area.condition` finding id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FindingId { $($variant,)* }

        impl FindingId {
            /// Every id, in the order of this list.
            pub const ALL: &'static [FindingId] = &[$(FindingId::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(FindingId::$variant => $id,)* }
            }

            /// The Rust name of the variant, for the test that every id has a rule.
            #[cfg(test)]
            fn variant_name(self) -> &'static str {
                match self { $(FindingId::$variant => stringify!($variant),)* }
            }
        }
    };
}

finding_ids! {
    MxMissing = "mx.missing",
    MxNull = "mx.null",
    MxTargetCname = "mx.target-cname",
    MxTargetUnresolvable = "mx.target-unresolvable",
    MxOk = "mx.ok",
    MxLookupFailed = "mx.lookup-failed",

    HostNoAddress = "host.no-address",
    HostIpMismatch = "host.ip-mismatch",
    HostOk = "host.ok",
    HostLookupFailed = "host.lookup-failed",

    PtrMissing = "ptr.missing",
    PtrNotConfirmed = "ptr.not-confirmed",
    PtrGeneric = "ptr.generic",
    HeloMismatch = "helo.mismatch",
    PtrOk = "ptr.ok",
    PtrLookupFailed = "ptr.lookup-failed",

    SpfMissing = "spf.missing",
    SpfMultiple = "spf.multiple",
    SpfSyntax = "spf.syntax",
    SpfTooManyLookups = "spf.too-many-lookups",
    SpfTooManyVoidLookups = "spf.too-many-void-lookups",
    SpfIncludeLoop = "spf.include-loop",
    SpfIpNotPermitted = "spf.ip-not-permitted",
    SpfPassAll = "spf.pass-all",
    SpfNeutralAll = "spf.neutral-all",
    SpfNoAll = "spf.no-all",
    SpfPtrMechanism = "spf.ptr-mechanism",
    SpfRecordTooLong = "spf.record-too-long",
    SpfOk = "spf.ok",
    SpfLookupFailed = "spf.lookup-failed",

    DkimMissing = "dkim.missing",
    DkimSyntax = "dkim.syntax",
    DkimRevoked = "dkim.revoked",
    DkimKeyTooShort = "dkim.key-too-short",
    DkimTesting = "dkim.testing",
    DkimSelectorUnknown = "dkim.selector-unknown",
    DkimOk = "dkim.ok",
    DkimLookupFailed = "dkim.lookup-failed",

    DmarcMissing = "dmarc.missing",
    DmarcMultiple = "dmarc.multiple",
    DmarcSyntax = "dmarc.syntax",
    DmarcPolicyNone = "dmarc.policy-none",
    DmarcNoReports = "dmarc.no-reports",
    DmarcReportUnauthorized = "dmarc.report-unauthorized",
    DmarcObsoleteTag = "dmarc.obsolete-tag",
    DmarcOk = "dmarc.ok",
    DmarcLookupFailed = "dmarc.lookup-failed",

    MtaStsMissing = "mta-sts.missing",
    MtaStsSyntax = "mta-sts.syntax",
    MtaStsPolicyUnreachable = "mta-sts.policy-unreachable",
    MtaStsPolicyInvalid = "mta-sts.policy-invalid",
    MtaStsMxNotCovered = "mta-sts.mx-not-covered",
    MtaStsOk = "mta-sts.ok",
    MtaStsLookupFailed = "mta-sts.lookup-failed",

    TlsRptMissing = "tlsrpt.missing",
    TlsRptSyntax = "tlsrpt.syntax",
    TlsRptOk = "tlsrpt.ok",
    TlsRptLookupFailed = "tlsrpt.lookup-failed",

    DnsblListed = "dnsbl.listed",
    DnsblPolicyListed = "dnsbl.policy-listed",
    DnsblQueryRefused = "dnsbl.query-refused",
    DnsblClean = "dnsbl.clean",
    DblListed = "dbl.listed",
    DblClean = "dbl.clean",
    DnsblLookupFailed = "dnsbl.lookup-failed",
    DblLookupFailed = "dbl.lookup-failed",

    SmtpUnreachable = "smtp.unreachable",
    SmtpBannerMismatch = "smtp.banner-mismatch",
    SmtpNoStarttls = "smtp.no-starttls",
    SmtpTlsFailed = "smtp.tls-failed",
    SmtpTlsCertificateInvalid = "smtp.tls-certificate-invalid",
    SmtpOpenRelay = "smtp.open-relay",
    SmtpRelayClosed = "smtp.relay-closed",
    SmtpPostmasterRejected = "smtp.postmaster-rejected",
    SmtpAbuseRejected = "smtp.abuse-rejected",
    SmtpOk = "smtp.ok",

    NetBehindNat = "net.behind-nat",
    NetOutbound25Blocked = "net.outbound-25-blocked",

    PostfixOpenRelayConfig = "postfix.open-relay-config",
    PostfixMynetworksBroad = "postfix.mynetworks-broad",
    PostfixHostnameMismatch = "postfix.hostname-mismatch",
    PostfixNoOutboundTls = "postfix.no-outbound-tls",
    PostfixSubmissionNoAuth = "postfix.submission-no-auth",
    PostfixIpv6WithoutPtr = "postfix.ipv6-without-ptr",
    PostfixRelayhostNoTls = "postfix.relayhost-no-tls",
    PostfixNotInstalled = "postfix.not-installed",
    PostfixOk = "postfix.ok",

    // SMTP probe, environment and Postfix outcomes beyond the reserved ones above.
    SmtpProtocolError = "smtp.protocol-error",
    SmtpRelayTestIncomplete = "smtp.relay-test-incomplete",
    SmtpTlsCertificateExpiring = "smtp.tls-certificate-expiring",
    NetOutbound25Open = "net.outbound-25-open",
    NetOutbound25Unknown = "net.outbound-25-unknown",
    NetPublicAddress = "net.public-address",
    NetPublicAddressUnknown = "net.public-address-unknown",
    PostfixConfigUnreadable = "postfix.config-unreadable",
}

impl FindingId {
    /// The area before the dot: "spf" for "spf.too-many-lookups".
    pub fn area(self) -> &'static str {
        let id = self.as_str();
        id.split_once('.').map_or(id, |(area, _)| area)
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| format!("unknown finding id {s:?}"))
    }
}

impl Serialize for FindingId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for id in FindingId::ALL {
            assert!(seen.insert(id.as_str()), "duplicate id {id}");
            assert_eq!(id.as_str().parse::<FindingId>().unwrap(), *id);
            assert!(id.as_str().contains('.'), "{id} has no area");
        }
    }

    /// Every id is emitted by some rule: its variant is named in the code outside this list
    /// (the integration tests then trigger each one through the binary).
    #[test]
    fn every_id_has_a_rule() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("diagnose/ids.rs")
                {
                    out.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut code = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut code,
        );
        let orphans: Vec<&str> = FindingId::ALL
            .iter()
            .filter(|id| {
                let name = id.variant_name();
                !code.match_indices(name).any(|(at, _)| {
                    let before = code[..at].chars().next_back();
                    let after = code[at + name.len()..].chars().next();
                    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !word(before) && !word(after)
                })
            })
            .map(|id| id.as_str())
            .collect();
        assert!(orphans.is_empty(), "ids no rule emits: {orphans:?}");
    }
}
