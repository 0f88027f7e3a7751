//! Palisade's shared data model.
//!
//! Everything here is plain data with serde derives: the posture [`Finding`], the
//! [`Severity`] scale, where a finding points ([`Location`], [`ObjectRef`]), who an RBAC
//! finding is about ([`Subject`]), and input errors ([`InputError`]). No I/O happens in
//! this crate, so every other crate can depend on it.

#![deny(missing_docs)]

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod time;
pub use time::rfc3339_utc;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a risk on its own.
    #[default]
    Info,
    /// Hardening gap with little direct impact.
    Low,
    /// Makes an attack technique easier.
    Medium,
    /// Directly enables an attack technique.
    High,
    /// Enables host or cluster takeover on its own.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in JSON, SARIF and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// Where a finding points: file, 1-based line and column, and the RFC 6901 JSON pointer of
/// the offending field inside its object (or of the nearest existing parent when the
/// problem is a missing field).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Path of the input as given on the command line (`-` for stdin).
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// RFC 6901 pointer inside the object (empty string = the whole object).
    pub pointer: String,
}

/// The object a finding belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Kubernetes `apiVersion`, or `dockerfile` / `compose` for the other inputs.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Kubernetes kind, or `Dockerfile` / `ComposeService`.
    pub kind: String,
    /// Namespace, when the object has one.
    pub namespace: Option<String>,
    /// Object name (Dockerfile stage name, Compose service name).
    pub name: Option<String>,
    /// 0-based index of the YAML document in its file.
    pub document: usize,
}

/// Who receives a permission (RBAC findings).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// Subject name.
    pub name: String,
    /// Namespace of a service account.
    pub namespace: Option<String>,
    /// The role that grants the permission, as `ClusterRole/name` or `Role/ns/name`.
    pub role: String,
    /// The binding that grants it, as `ClusterRoleBinding/name` or `RoleBinding/ns/name`.
    pub binding: String,
}

impl Subject {
    /// `ServiceAccount shop/ci`, `User alice`, `Group system:masters`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Why a finding is not counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Suppression {
    /// What suppressed it: `annotation`, `inline`, or `file:<path>:<line>`.
    pub by: String,
    /// The mandatory reason given by whoever suppressed it.
    pub reason: String,
    /// Optional expiry date (`YYYY-MM-DD`); after it the suppression no longer applies.
    pub expires: Option<String>,
}

/// One posture finding: a misconfiguration and the ATT&CK techniques it enables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// Check id, e.g. `PAL-K8S-001`.
    pub check: String,
    /// Check title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// ATT&CK technique ids the misconfiguration enables.
    pub techniques: Vec<String>,
    /// ATT&CK tactic shortnames of those techniques, in matrix order.
    pub tactics: Vec<String>,
    /// What is wrong, naming the container, field or subject.
    pub message: String,
    /// How to fix it.
    pub remediation: String,
    /// Where it is.
    pub location: Location,
    /// The object it belongs to.
    pub object: Option<ObjectRef>,
    /// RBAC: who receives the permission.
    pub subject: Option<Subject>,
    /// Set when a suppression matched.
    pub suppressed: Option<Suppression>,
}

/// What went wrong with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputErrorKind {
    /// The file could not be read.
    Io,
    /// Syntax error.
    Parse,
    /// An unrendered Helm (or other Go) template.
    UnrenderedTemplate,
    /// A size, depth or alias budget was exceeded.
    Limit,
    /// The content is not what it claims to be (e.g. a Kubernetes object without `kind`).
    Invalid,
    /// A suppression file problem.
    Suppression,
}

/// An input Palisade could not (fully) read. Everything else is still processed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputError {
    /// Input path.
    pub path: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// Plain-language message.
    pub message: String,
    /// Category.
    pub kind: InputErrorKind,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// What kind of input a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckTarget {
    /// Kubernetes workloads (pod specs and their containers).
    Workload,
    /// Other Kubernetes objects (Service, Ingress, webhooks, ...).
    K8sObject,
    /// RBAC, judged as a graph of roles, bindings and subjects.
    Rbac,
    /// Dockerfiles.
    Dockerfile,
    /// Docker Compose files.
    Compose,
}

impl CheckTarget {
    /// Human name of the target family.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckTarget::Workload => "kubernetes-workload",
            CheckTarget::K8sObject => "kubernetes-object",
            CheckTarget::Rbac => "kubernetes-rbac",
            CheckTarget::Dockerfile => "dockerfile",
            CheckTarget::Compose => "compose",
        }
    }
}

/// The metadata of one posture check: everything users see about it besides its findings.
/// Each check file declares one of these; reports, docs and SARIF rule metadata are all
/// generated from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckInfo {
    /// Stable id, never reused: `PAL-K8S-001`, `PAL-RBAC-001`, `PAL-DF-001`, `PAL-CMP-001`.
    pub id: &'static str,
    /// kebab-case name of the pattern flagged, e.g. `privileged-container`.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// ATT&CK for Containers technique ids the misconfiguration enables (first = primary).
    pub techniques: &'static [&'static str],
    /// Input family.
    pub target: CheckTarget,
    /// Why it matters (plain prose, Markdown allowed).
    pub rationale: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// A minimal input that triggers the check.
    pub bad_example: &'static str,
    /// The same input, fixed: the check stays silent.
    pub good_example: &'static str,
}

/// An input that was passed over on purpose (binary file, unknown type), with the reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkippedInput {
    /// Input path.
    pub path: String,
    /// Why it was skipped.
    pub reason: String,
}

/// State of a declared suppression after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionState {
    /// It matched at least one finding.
    Used,
    /// It matched nothing: probably stale.
    Unused,
    /// Its expiry date has passed; the findings it covered are reported again.
    Expired,
}

/// A suppression as declared (annotation, inline comment or central file) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SuppressionReport {
    /// Where it is declared (`path:line`).
    pub declared_at: String,
    /// `annotation`, `inline` or `file`.
    pub kind: String,
    /// The check ids it names (`*` = all).
    pub checks: Vec<String>,
    /// Reason given.
    pub reason: String,
    /// Expiry date, if any.
    pub expires: Option<String>,
    /// What happened to it.
    pub state: SuppressionState,
    /// How many findings it suppressed.
    pub matched: usize,
}

/// Everything one `palisade scan` produced; the renderers turn it into table, JSON, SARIF or
/// Navigator output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// All findings, suppressed ones included (with `suppressed` set), in a stable order.
    pub findings: Vec<Finding>,
    /// Inputs (or parts of inputs) that could not be read.
    pub errors: Vec<InputError>,
    /// Inputs passed over on purpose.
    pub skipped: Vec<SkippedInput>,
    /// Declared suppressions and their state.
    pub suppressions: Vec<SuppressionReport>,
    /// Number of files read.
    pub files: usize,
    /// Number of objects checked (Kubernetes objects, Dockerfile stages, Compose services).
    pub objects: usize,
}

impl ScanReport {
    /// Findings that count (not suppressed).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }
}

/// Where an alert happened, as far as known.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertWorkload {
    /// Cluster name.
    pub cluster: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Pod name.
    pub pod: Option<String>,
    /// Container name.
    pub container: Option<String>,
    /// Image.
    pub image: Option<String>,
    /// Service account.
    pub service_account: Option<String>,
    /// Node.
    pub node: Option<String>,
    /// Container id.
    pub container_id: Option<String>,
}

/// Who did it, as far as known.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertActor {
    /// User name (Kubernetes user or service account).
    pub user: Option<String>,
    /// Groups.
    pub groups: Vec<String>,
    /// Source IP addresses.
    pub source_ips: Vec<String>,
}

/// One alert in the `palisade.alert/v1` contract (docs/schema/palisade.alert.v1.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Always `palisade.alert/v1`.
    pub schema: String,
    /// Event time, RFC 3339 UTC.
    pub time: String,
    /// Rule name.
    pub rule: String,
    /// Falco priority, lowercase.
    pub priority: String,
    /// ATT&CK techniques the activity shows.
    pub techniques: Vec<String>,
    /// Tactic shortnames, matrix order.
    pub tactics: Vec<String>,
    /// Event source (`k8s_audit`, `runtime`).
    pub source: String,
    /// Rendered output sentence.
    pub output: String,
    /// Where.
    pub workload: AlertWorkload,
    /// Who.
    pub actor: AlertActor,
    /// auditID or sensor event id.
    pub event_id: Option<String>,
    /// Output fields and their values.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// The `schema` value of alerts.
pub const ALERT_SCHEMA: &str = "palisade.alert/v1";

/// Escape one RFC 6901 reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_case_insensitively_and_orders() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
    }

    #[test]
    fn input_error_displays_location_when_known() {
        let e = InputError {
            path: "x.yaml".into(),
            line: 3,
            column: 7,
            message: "bad".into(),
            kind: InputErrorKind::Parse,
        };
        assert_eq!(e.to_string(), "x.yaml:3:7: bad");
    }
}
