//! The output of `mxdoctor spf`: the `mxdoctor/spf/v1` JSON document, the view the text and
//! Markdown templates read, and the exit code.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use super::{Evaluation, Identity, MatchedTerm, Request, SpfResult, TraceEvent};
use crate::exit;

pub const SPF_SCHEMA: &str = "mxdoctor/spf/v1";

/// The JSON document of `mxdoctor spf --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct SpfReport {
    pub schema: &'static str,
    pub result: SpfResult,
    pub explanation: Option<String>,
    pub lookups: u32,
    pub void_lookups: u32,
    pub trace: Vec<TraceEvent>,
    pub ip: IpAddr,
    pub domain: String,
    pub sender: String,
    pub helo: String,
    pub identity: Identity,
    pub reason: Option<String>,
    pub matched: Option<MatchedTerm>,
}

impl SpfReport {
    pub fn new(request: &Request, identity: Identity, evaluation: Evaluation) -> Self {
        SpfReport {
            schema: SPF_SCHEMA,
            result: evaluation.result,
            explanation: evaluation.explanation,
            lookups: evaluation.lookups,
            void_lookups: evaluation.void_lookups,
            trace: evaluation.trace,
            ip: request.ip,
            domain: request.domain.clone(),
            sender: request.sender.address(),
            helo: request.helo.clone(),
            identity,
            reason: evaluation.reason,
            matched: evaluation.matched,
        }
    }

    pub fn to_json(&self) -> String {
        // Strings, numbers and enums only: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// What the text and Markdown templates see: the report plus an indentation per step.
    pub fn view(&self) -> Value {
        let mut view = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(steps) = view.get_mut("trace").and_then(Value::as_array_mut) {
            for step in steps {
                let depth = step.get("depth").and_then(Value::as_u64).unwrap_or(0) as usize;
                if let Some(map) = step.as_object_mut() {
                    map.insert("indent".into(), Value::String("  ".repeat(depth)));
                }
            }
        }
        view
    }

    /// `0` pass · `1` neutral, softfail, none · `3` fail, permerror · `4` temperror.
    pub fn exit_code(&self) -> u8 {
        match self.result {
            SpfResult::Pass => exit::CLEAN,
            SpfResult::Neutral | SpfResult::SoftFail | SpfResult::None => exit::WARNINGS,
            SpfResult::Fail | SpfResult::PermError => exit::CRITICAL,
            SpfResult::TempError => exit::INCOMPLETE,
        }
    }
}
