//! `palisade.scan/v1`: the JSON contract of `palisade scan --format json`.
//!
//! Key order is fixed by the structs below (never by a map type), so the output is
//! byte-for-byte deterministic whatever features `serde_json` is built with.

use crate::RenderContext;
use crate::summary::{Summary, Tactics};
use palisade_core::{Finding, InputError, ScanReport, SkippedInput, SuppressionReport};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::collections::BTreeMap;

/// The `schema` value of a scan report.
pub const SCAN_SCHEMA: &str = "palisade.scan/v1";

#[derive(Serialize)]
struct ScanJson<'a> {
    schema: &'static str,
    tool: Tool<'a>,
    attack: Attack<'a>,
    findings: &'a [Finding],
    errors: &'a [InputError],
    skipped: &'a [SkippedInput],
    suppressions: &'a [SuppressionReport],
    summary: SummaryJson<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

/// The ATT&CK release and matrix the findings are mapped to (also used by SARIF).
#[derive(Serialize)]
pub(crate) struct Attack<'a> {
    pub version: &'a str,
    pub domain: &'static str,
    pub platform: &'static str,
}

impl<'a> Attack<'a> {
    pub(crate) fn new(version: &'a str) -> Self {
        Attack {
            version,
            domain: "enterprise-attack",
            platform: "Containers",
        }
    }
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    files: usize,
    objects: usize,
    findings: usize,
    suppressed: usize,
    errors: usize,
    by_severity: BySeverity,
    by_technique: &'a BTreeMap<String, usize>,
    by_tactic: Ordered<'a>,
}

/// All five keys, always present, most severe first.
#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

/// A JSON object whose keys keep the order of the slice.
struct Ordered<'a>(&'a [(String, usize)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Renders `report` as a `palisade.scan/v1` document (pretty-printed, newline-terminated).
///
/// Findings keep the report's order and include suppressed ones (with `suppressed` set);
/// `summary.findings` and the `by_*` counts cover active findings only.
pub fn render_json(report: &ScanReport, cx: &RenderContext<'_>) -> String {
    let tactics = Tactics::new(report, cx);
    let summary = Summary::new(report, &tactics);
    let [critical, high, medium, low, info] = summary.by_severity;
    let doc = ScanJson {
        schema: SCAN_SCHEMA,
        tool: Tool {
            name: "palisade",
            version: cx.tool_version,
        },
        attack: Attack::new(cx.attack_version),
        findings: &report.findings,
        errors: &report.errors,
        skipped: &report.skipped,
        suppressions: &report.suppressions,
        summary: SummaryJson {
            files: summary.files,
            objects: summary.objects,
            findings: summary.findings,
            suppressed: summary.suppressed,
            errors: summary.errors,
            by_severity: BySeverity {
                critical,
                high,
                medium,
                low,
                info,
            },
            by_technique: &summary.by_technique,
            by_tactic: Ordered(&summary.by_tactic),
        },
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("plain data always serializes");
    out.push('\n');
    out
}
