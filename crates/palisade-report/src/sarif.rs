//! SARIF 2.1.0 output, shaped for GitHub code scanning.
//!
//! One run; one rule per registered check (plus a minimal rule for any check id a finding
//! names that is not registered); one result per finding, suppressed ones included with a
//! `suppressions` entry. Input errors, skipped inputs and stale suppressions become tool
//! execution notifications of the single invocation. Field order is fixed by the structs.

use crate::json::Attack;
use crate::{INFORMATION_URI, RenderContext, technique_url};
use palisade_core::{
    Finding, InputErrorKind, ObjectRef, ScanReport, Severity, Subject, SuppressionReport,
    SuppressionState,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `$schema` of the SARIF log.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Key of Palisade's entry in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "palisade/v1";

const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation; 1],
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    attack: Attack<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

impl Text {
    fn new(text: impl Into<String>) -> Self {
        Text { text: text.into() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
    properties: SuppressionProperties<'a>,
}

#[derive(Serialize)]
struct SuppressionProperties<'a> {
    by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'static str,
    techniques: &'a [String],
    tactics: &'a [String],
    pointer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a ObjectRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Subject>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    properties: NotificationProperties,
}

#[derive(Serialize)]
struct NotificationProperties {
    kind: &'static str,
}

/// SARIF level of a severity: critical/high → `error`, medium → `warning`, else `note`.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (0.0–10.0) of a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// What a rule is made from: a registered check, or what a finding says about an
/// unregistered one.
struct RuleSource<'a> {
    id: &'a str,
    name: String,
    title: &'a str,
    rationale: &'a str,
    remediation: &'a str,
    severity: Severity,
    techniques: Vec<&'a str>,
    target: Option<&'static str>,
}

fn rule_sources<'a>(report: &'a ScanReport, cx: &RenderContext<'a>) -> Vec<RuleSource<'a>> {
    let mut rules: Vec<RuleSource<'a>> = cx
        .checks
        .iter()
        .map(|c| RuleSource {
            id: c.id,
            name: c.name.to_owned(),
            title: c.title,
            rationale: c.rationale,
            remediation: c.remediation,
            severity: c.severity,
            techniques: c.techniques.to_vec(),
            target: Some(c.target.as_str()),
        })
        .collect();
    for finding in &report.findings {
        if rules.iter().all(|r| r.id != finding.check) {
            rules.push(RuleSource {
                id: &finding.check,
                name: kebab(&finding.title),
                title: &finding.title,
                rationale: &finding.title,
                remediation: &finding.remediation,
                severity: finding.severity,
                techniques: finding.techniques.iter().map(String::as_str).collect(),
                target: None,
            });
        }
    }
    rules
}

fn kebab(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.join("-")
}

fn rule(source: &RuleSource<'_>, cx: &RenderContext<'_>) -> Rule {
    let mut tags = vec!["security".to_owned()];
    if let Some(target) = source.target {
        tags.push(target.to_owned());
    }
    let mut tactic_tags = Vec::new();
    let mut text_refs = String::new();
    let mut markdown_refs = String::new();
    for technique in &source.techniques {
        tags.push(format!("attack:{technique}"));
        let tactics = (cx.tactic_of)(technique);
        let mut tactic_names = Vec::new();
        for (short, display, order) in tactics {
            if !tactic_tags.iter().any(|(_, s)| *s == short) {
                tactic_tags.push((order, short));
            }
            tactic_names.push(display);
        }
        let name = (cx.technique_name)(technique)
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        let url = technique_url(technique);
        let tactics_note = if tactic_names.is_empty() {
            String::new()
        } else {
            format!(" ({})", tactic_names.join(", "))
        };
        text_refs.push_str(&format!("\n- {technique}{name}{tactics_note}: {url}"));
        markdown_refs.push_str(&format!("\n- [{technique}{name}]({url}){tactics_note}"));
    }
    tactic_tags.sort();
    tags.extend(
        tactic_tags
            .into_iter()
            .map(|(_, short)| format!("attack:{short}")),
    );

    let mut text = format!(
        "{}\n\nRemediation: {}",
        source.rationale.trim(),
        source.remediation.trim()
    );
    let mut markdown = format!(
        "{}\n\n**Remediation:** {}",
        source.rationale.trim(),
        source.remediation.trim()
    );
    if !source.techniques.is_empty() {
        text.push_str(&format!(
            "\n\nMITRE ATT&CK for Containers (v{}) techniques this enables:{text_refs}",
            cx.attack_version
        ));
        markdown.push_str(&format!(
            "\n\n**MITRE ATT&CK for Containers** (v{}) techniques this enables:\n{markdown_refs}",
            cx.attack_version
        ));
    }

    Rule {
        id: source.id.to_owned(),
        name: source.name.clone(),
        short_description: Text::new(source.title),
        full_description: Text::new(source.rationale.trim()),
        help: Help { text, markdown },
        default_configuration: Configuration {
            level: level(source.severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: security_severity(source.severity),
            precision: "high",
        },
    }
}

/// Relative paths get `%SRCROOT%` and forward slashes, with any leading `./` removed;
/// absolute paths become `file://` URIs. Everything is percent-encoded as needed for a
/// valid URI reference.
fn artifact_location(path: &str) -> ArtifactLocation {
    let mut path = path.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/').to_owned();
    }
    let bytes = path.as_bytes();
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", percent_encode(&path)),
            uri_base_id: None,
        }
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        ArtifactLocation {
            uri: format!("file:///{}:{}", &path[..1], percent_encode(&path[2..])),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(&path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// Percent-encodes everything but unreserved characters, `/` and the sub-delimiters.
/// `:` is encoded too, so a relative path can never be read as a URI scheme.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn physical(path: &str, line: u32, column: u32) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact_location(path),
        region: (line > 0).then(|| Region {
            start_line: line,
            start_column: (column > 0).then_some(column),
        }),
    }
}

fn logical(object: &ObjectRef) -> Option<LogicalLocation> {
    let name = object.name.clone()?;
    let fully_qualified_name = match &object.namespace {
        Some(ns) => format!("{}/{}/{}", object.kind, ns, name),
        None => format!("{}/{}", object.kind, name),
    };
    Some(LogicalLocation {
        name,
        fully_qualified_name,
        kind: "resource",
    })
}

/// A stable identity for a finding, independent of line numbers: a 128-bit FNV-1a hash (as
/// 32 hex digits) of the check id, the normalised path, the object (kind, namespace and name;
/// the document index when it has no name), the JSON pointer and, for RBAC, the subject and
/// binding. Used as SARIF `partialFingerprints["palisade/v1"]`; GitHub matches alerts across
/// runs with it.
pub fn fingerprint(finding: &Finding) -> String {
    let mut hash = Fnv128::new();
    hash.field(FINGERPRINT_KEY.as_bytes());
    hash.field(finding.check.as_bytes());
    hash.field(artifact_location(&finding.location.path).uri.as_bytes());
    match &finding.object {
        Some(object) => {
            hash.field(b"object");
            hash.field(object.kind.as_bytes());
            hash.field(object.namespace.as_deref().unwrap_or("").as_bytes());
            match &object.name {
                Some(name) => hash.field(name.as_bytes()),
                None => hash.field(format!("#{}", object.document).as_bytes()),
            }
        }
        None => hash.field(b"-"),
    }
    hash.field(finding.location.pointer.as_bytes());
    match &finding.subject {
        Some(subject) => {
            hash.field(b"subject");
            hash.field(subject.kind.as_bytes());
            hash.field(subject.namespace.as_deref().unwrap_or("").as_bytes());
            hash.field(subject.name.as_bytes());
            hash.field(subject.binding.as_bytes());
        }
        None => hash.field(b"-"),
    }
    format!("{:032x}", hash.0)
}

/// FNV-1a, 128 bits: tiny, and stable across platforms and Rust releases.
struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    fn new() -> Self {
        Fnv128(Self::OFFSET)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// Length-prefixed, so field boundaries cannot be confused.
    fn field(&mut self, bytes: &[u8]) {
        self.bytes(&(bytes.len() as u64).to_le_bytes());
        self.bytes(bytes);
    }
}

fn suppression_kind(by: &str) -> &'static str {
    if by.starts_with("file") {
        "external"
    } else {
        "inSource"
    }
}

fn input_error_kind(kind: InputErrorKind) -> &'static str {
    match kind {
        InputErrorKind::Io => "io",
        InputErrorKind::Parse => "parse",
        InputErrorKind::UnrenderedTemplate => "unrendered-template",
        InputErrorKind::Limit => "limit",
        InputErrorKind::Invalid => "invalid",
        InputErrorKind::Suppression => "suppression",
    }
}

/// `path:line` → (path, line); anything else → (whole string, 0).
pub(crate) fn split_declared_at(declared_at: &str) -> (&str, u32) {
    if let Some((path, line)) = declared_at.rsplit_once(':')
        && let Ok(line) = line.parse::<u32>()
        && !path.is_empty()
    {
        return (path, line);
    }
    (declared_at, 0)
}

pub(crate) fn checks_named(suppression: &SuppressionReport) -> String {
    if suppression.checks.is_empty() || suppression.checks.iter().any(|c| c == "*") {
        "all checks".to_owned()
    } else {
        suppression.checks.join(", ")
    }
}

fn notifications(report: &ScanReport) -> Vec<Notification> {
    let mut out = Vec::new();
    for error in &report.errors {
        out.push(Notification {
            level: "error",
            message: Text::new(error.message.clone()),
            locations: vec![Location {
                physical_location: physical(&error.path, error.line, error.column),
                logical_locations: Vec::new(),
            }],
            properties: NotificationProperties {
                kind: input_error_kind(error.kind),
            },
        });
    }
    for skipped in &report.skipped {
        out.push(Notification {
            level: "note",
            message: Text::new(format!("skipped: {}", skipped.reason)),
            locations: vec![Location {
                physical_location: physical(&skipped.path, 0, 0),
                logical_locations: Vec::new(),
            }],
            properties: NotificationProperties { kind: "skipped" },
        });
    }
    for suppression in &report.suppressions {
        let (message, kind) = match suppression.state {
            SuppressionState::Used => continue,
            SuppressionState::Unused => (
                format!(
                    "suppression of {} matched no finding; remove it if it is stale",
                    checks_named(suppression)
                ),
                "unused-suppression",
            ),
            SuppressionState::Expired => (
                format!(
                    "suppression of {} expired on {}; the findings it covered are reported again",
                    checks_named(suppression),
                    suppression.expires.as_deref().unwrap_or("an earlier date")
                ),
                "expired-suppression",
            ),
        };
        let (path, line) = split_declared_at(&suppression.declared_at);
        out.push(Notification {
            level: "warning",
            message: Text::new(message),
            locations: vec![Location {
                physical_location: physical(path, line, 0),
                logical_locations: Vec::new(),
            }],
            properties: NotificationProperties { kind },
        });
    }
    out
}

/// Renders `report` as a SARIF 2.1.0 log (pretty-printed, newline-terminated).
pub fn render_sarif(report: &ScanReport, cx: &RenderContext<'_>) -> String {
    let sources = rule_sources(report, cx);
    let rules: Vec<Rule> = sources.iter().map(|s| rule(s, cx)).collect();

    let results = report
        .findings
        .iter()
        .map(|finding| {
            let rule_index = sources
                .iter()
                .position(|s| s.id == finding.check)
                .unwrap_or_default();
            let mut partial_fingerprints = BTreeMap::new();
            partial_fingerprints.insert(FINGERPRINT_KEY, fingerprint(finding));
            let suppressions = finding
                .suppressed
                .iter()
                .map(|s| Suppression {
                    kind: suppression_kind(&s.by),
                    status: "accepted",
                    justification: &s.reason,
                    properties: SuppressionProperties {
                        by: &s.by,
                        expires: s.expires.as_deref(),
                    },
                })
                .collect();
            let location = &finding.location;
            SarifResult {
                rule_id: &finding.check,
                rule_index,
                level: level(finding.severity),
                message: Text::new(finding.message.clone()),
                locations: [Location {
                    physical_location: physical(&location.path, location.line, location.column),
                    logical_locations: finding
                        .object
                        .as_ref()
                        .and_then(logical)
                        .into_iter()
                        .collect(),
                }],
                partial_fingerprints,
                suppressions,
                properties: ResultProperties {
                    severity: finding.severity.as_str(),
                    techniques: &finding.techniques,
                    tactics: &finding.tactics,
                    pointer: &location.pointer,
                    object: finding.object.as_ref(),
                    subject: finding.subject.as_ref(),
                },
            }
        })
        .collect();

    let log = Log {
        schema: SARIF_SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "palisade",
                    version: cx.tool_version,
                    semantic_version: cx.tool_version,
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications(report),
            }],
            results,
            properties: RunProperties {
                attack: Attack::new(cx.attack_version),
            },
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("plain data always serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_forward_slashed_and_encoded() {
        let loc = artifact_location("./k8s\\deploy.yaml");
        assert_eq!(loc.uri, "k8s/deploy.yaml");
        assert_eq!(loc.uri_base_id, Some(SRCROOT));
        assert_eq!(
            artifact_location("././a b/c#d:e.yaml").uri,
            "a%20b/c%23d%3Ae.yaml"
        );
        let abs = artifact_location("/srv/app/x.yaml");
        assert_eq!(abs.uri, "file:///srv/app/x.yaml");
        assert_eq!(abs.uri_base_id, None);
        assert_eq!(
            artifact_location("C:\\src\\x.yaml").uri,
            "file:///C:/src/x.yaml"
        );
        assert_eq!(artifact_location("é.yaml").uri, "%C3%A9.yaml");
    }

    #[test]
    fn declared_at_splits_on_the_last_colon() {
        assert_eq!(split_declared_at("a:b.yaml:12"), ("a:b.yaml", 12));
        assert_eq!(split_declared_at("annotation"), ("annotation", 0));
    }

    #[test]
    fn fnv128_matches_the_reference_vector() {
        // FNV-1a 128 of "a", from the FNV reference test suite.
        let mut h = Fnv128::new();
        h.bytes(b"a");
        assert_eq!(h.0, 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn levels_and_scores() {
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(security_severity(Severity::Critical), "9.5");
    }
}
