//! Checklists for `--out DIR/delisting/`: one per delisting procedure that a listing found
//! points to (`<procedure>.md`, every listed subject in it), and the provider enrolment
//! checklists (Microsoft, Google, Yahoo), written every time.
//!
//! Pure: findings, facts and the catalog in, files out.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use crate::diagnose::{Finding, FindingId};
use crate::facts::Facts;
use crate::output::{Mode, OutputFile};
use crate::render::{RenderError, Renderer};

use super::{Catalog, Procedure};

/// Provider checklists: template name under `delisting/` and file name.
pub const PROVIDERS: [&str; 3] = ["microsoft", "google", "yahoo"];

/// One listing as the procedure and checklist templates see it.
#[derive(Clone, Debug, Serialize)]
pub struct ListingView {
    pub subject: String,
    /// True for an address (PTR and HELO apply), false for a domain.
    pub is_ip: bool,
    pub ptr: Option<String>,
    pub helo: Option<String>,
    pub domain: Option<String>,
    pub list: String,
    pub zone: String,
    pub query: String,
    pub code: String,
    pub sublist: Option<String>,
    pub meaning: Option<String>,
    pub lookup_url: Option<String>,
    pub reason: Option<String>,
}

/// A procedure with every field rendered for one listing.
#[derive(Debug, Serialize)]
struct ProcedureView {
    id: String,
    title: String,
    form: Option<String>,
    preconditions: Vec<String>,
    steps: Vec<String>,
    write: Option<String>,
    cost: String,
    duration: String,
    verify: Vec<String>,
}

#[derive(Serialize)]
struct Entry {
    #[serde(flatten)]
    listing: ListingView,
    procedure: ProcedureView,
}

#[derive(Serialize)]
struct ChecklistView {
    version: &'static str,
    listings: Vec<Entry>,
}

#[derive(Serialize)]
struct ProviderView<'a> {
    version: &'static str,
    domain: Option<&'a str>,
    host: Option<&'a str>,
    ips: Vec<String>,
    /// Listings found in this run, for "fix these first" notes.
    listings: Vec<ListingView>,
    spamhaus_listed: bool,
}

/// Every checklist file for this run.
pub fn files(
    facts: &Facts,
    findings: &[Finding],
    catalog: &Catalog,
    renderer: &Renderer,
) -> Result<Vec<OutputFile>, RenderError> {
    let mut by_procedure: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
    let mut all = Vec::new();
    for finding in findings.iter().filter(|f| is_listing(f.id)) {
        let listing = listing_view(finding, facts);
        all.push(listing.clone());
        let Some(id) = finding.evidence.get("procedure").and_then(Value::as_str) else {
            continue;
        };
        let Some((id, procedure)) = catalog.procedures.get_key_value(id) else {
            continue;
        };
        let procedure = render_procedure(id, procedure, &listing, renderer)?;
        by_procedure
            .entry(id)
            .or_default()
            .push(Entry { listing, procedure });
    }
    let mut out = Vec::new();
    for (id, listings) in by_procedure {
        let view = ChecklistView {
            version: env!("CARGO_PKG_VERSION"),
            listings,
        };
        let text = renderer.render("delisting/listing", &view)?;
        out.push(OutputFile::new(
            format!("delisting/{id}.md"),
            text,
            Mode::Public,
        ));
    }
    let provider = ProviderView {
        version: env!("CARGO_PKG_VERSION"),
        domain: Some(facts.target.domain.as_str()).filter(|d| !d.is_empty()),
        host: facts.target.host.as_deref(),
        ips: facts.target.ips.iter().map(IpAddr::to_string).collect(),
        spamhaus_listed: all.iter().any(|l| l.list.starts_with("Spamhaus")),
        listings: all,
    };
    for name in PROVIDERS {
        let text = renderer.render(&format!("delisting/{name}"), &provider)?;
        out.push(OutputFile::new(
            format!("delisting/{name}.md"),
            text,
            Mode::Public,
        ));
    }
    Ok(out)
}

fn is_listing(id: FindingId) -> bool {
    matches!(
        id,
        FindingId::DnsblListed | FindingId::DnsblPolicyListed | FindingId::DblListed
    )
}

fn listing_view(finding: &Finding, facts: &Facts) -> ListingView {
    let text = |key: &str| {
        finding.evidence.get(key).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
    };
    let subject = finding.subject.clone();
    let ptr = subject.parse::<IpAddr>().ok().and_then(|ip| {
        facts
            .dns
            .reverse
            .iter()
            .find(|r| r.ip == ip)
            .and_then(|r| r.ptr.records().first().cloned())
    });
    ListingView {
        is_ip: subject.parse::<IpAddr>().is_ok(),
        ptr,
        helo: facts.target.host.clone(),
        domain: Some(facts.target.domain.clone()).filter(|d| !d.is_empty()),
        list: text("list").unwrap_or_default(),
        zone: text("zone").unwrap_or_default(),
        query: text("query").unwrap_or_default(),
        code: text("code").unwrap_or_default(),
        sublist: text("sublist"),
        meaning: text("meaning"),
        lookup_url: text("lookup_url"),
        reason: text("reason"),
        subject,
    }
}

fn render_procedure(
    id: &str,
    p: &Procedure,
    listing: &ListingView,
    renderer: &Renderer,
) -> Result<ProcedureView, RenderError> {
    let one =
        |field: &str, t: &str| renderer.render_str(&format!("procedure {id}.{field}"), t, listing);
    let many = |field: &str, items: &[String]| {
        items
            .iter()
            .map(|t| one(field, t))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(ProcedureView {
        id: id.to_string(),
        title: one("title", &p.title)?,
        form: p.form.clone(),
        preconditions: many("preconditions", &p.preconditions)?,
        steps: many("steps", &p.steps)?,
        write: p.write.as_deref().map(|w| one("write", w)).transpose()?,
        cost: p.cost.clone(),
        duration: p.duration.clone(),
        verify: many("verify", &p.verify)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::diagnose::Severity;
    use crate::facts::{Lookup, ReverseDns};
    use crate::plan::Playbooks;
    use crate::testing::facts_for;

    fn listed(subject: &str, list: &str, procedure: &str) -> Finding {
        Finding::new(FindingId::DnsblListed, Severity::Critical, subject)
            .with("list", list)
            .with("zone", "zen.spamhaus.org")
            .with("query", "4.2.0.192.zen.spamhaus.org")
            .with("code", "127.0.0.4")
            .with("sublist", "XBL")
            .with("meaning", "XBL: infected host")
            .with("lookup_url", "https://check.spamhaus.org/")
            .with("reason", Value::Null)
            .with("procedure", procedure)
    }

    fn sample_facts() -> Facts {
        let mut facts = facts_for("example.org");
        facts.target.host = Some("mail.example.org".into());
        facts.target.ips = vec!["192.0.2.4".parse().unwrap()];
        facts.dns.reverse = vec![ReverseDns {
            ip: "192.0.2.4".parse().unwrap(),
            ptr: Lookup::Answer {
                records: vec!["mail.example.org".into()],
            },
            forward: vec![],
        }];
        facts
    }

    /// Every procedure of the catalog renders in strict mode, for an address and a domain,
    /// with and without PTR and HELO, and so do the provider checklists.
    #[test]
    fn every_template_and_procedure_renders_with_sample_data() {
        let pb = Playbooks::load(&Assets::default()).unwrap();
        let renderer = Renderer::new(&Assets::default(), false).unwrap();
        let with_everything = sample_facts();
        let bare = facts_for("example.org");
        for id in pb.blocklists.procedures.keys() {
            for facts in [&with_everything, &bare] {
                let findings = [
                    listed("192.0.2.4", "Spamhaus ZEN", id),
                    listed("example.org", "Spamhaus DBL", id)
                        .with("sublist", Value::Null)
                        .with("meaning", Value::Null)
                        .with("lookup_url", Value::Null),
                ];
                let files = files(facts, &findings, &pb.blocklists, &renderer)
                    .unwrap_or_else(|e| panic!("procedure {id}: {e}"));
                let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                assert_eq!(
                    names,
                    [
                        format!("delisting/{id}.md").as_str(),
                        "delisting/microsoft.md",
                        "delisting/google.md",
                        "delisting/yahoo.md"
                    ]
                );
                let text = String::from_utf8(files[0].contents.clone()).unwrap();
                assert!(text.contains("192.0.2.4") && text.contains("example.org"));
                assert!(!text.contains("{{"), "unrendered template in {id}");
            }
        }
    }

    #[test]
    fn the_checklist_names_ip_ptr_helo_form_and_verification() {
        let pb = Playbooks::load(&Assets::default()).unwrap();
        let renderer = Renderer::new(&Assets::default(), false).unwrap();
        let findings = [listed("192.0.2.4", "Spamhaus ZEN", "spamhaus-xbl")];
        let files = files(&sample_facts(), &findings, &pb.blocklists, &renderer).unwrap();
        let text = String::from_utf8(files[0].contents.clone()).unwrap();
        for needle in [
            "192.0.2.4",
            "mail.example.org",
            "https://check.spamhaus.org/",
            "mxdoctor blocklist 192.0.2.4",
            "- [ ]",
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
        let microsoft = String::from_utf8(files[1].contents.clone()).unwrap();
        for needle in ["SNDS", "JMRP", "sender.office.com", "S3150", "5.7.606"] {
            assert!(microsoft.contains(needle), "{needle} missing:\n{microsoft}");
        }
    }

    #[test]
    fn no_listing_still_gives_the_provider_checklists() {
        let pb = Playbooks::load(&Assets::default()).unwrap();
        let renderer = Renderer::new(&Assets::default(), false).unwrap();
        let files = files(&facts_for("example.org"), &[], &pb.blocklists, &renderer).unwrap();
        assert_eq!(files.len(), 3);
        let google = String::from_utf8(files[1].contents.clone()).unwrap();
        assert!(google.contains("Postmaster Tools"), "{google}");
        let yahoo = String::from_utf8(files[2].contents.clone()).unwrap();
        assert!(yahoo.contains("Sender Hub"), "{yahoo}");
    }
}
