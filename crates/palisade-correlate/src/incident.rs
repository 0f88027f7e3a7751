//! The incidents the correlator emits (serde `Serialize`, stable field order).

use serde::Serialize;

/// One incident: alerts joined through shared workloads and identities, the posture
/// findings about those workloads and identities, a score and a generated explanation.
///
/// Every list is sorted (documented per field), so the same input always serialises to
/// the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// `inc-` + 16 hex digits: a hash of the incident's first alert (in processing
    /// order), so the id does not depend on when or in which order alerts arrived.
    pub id: String,
    /// The cluster every alert of the incident came from (`None`: alerts named none).
    pub cluster: Option<String>,
    /// Time of the first alert, RFC 3339 UTC.
    pub first_seen: String,
    /// Time of the last alert, RFC 3339 UTC.
    pub last_seen: String,
    /// Namespaces the alerts name (targets, pods), sorted.
    pub namespaces: Vec<String>,
    /// Workloads involved, sorted by namespace, kind, name.
    pub workloads: Vec<WorkloadRef>,
    /// Identities involved (system identities excluded), sorted by key.
    pub identities: Vec<IdentityRef>,
    /// Source IPs of the audit alerts, sorted (weak evidence: never a join key on its own).
    pub source_ips: Vec<String>,
    /// Nodes named by the alerts, sorted.
    pub nodes: Vec<String>,
    /// Other objects the alerts target (secrets, bindings...), as `Kind ns/name` or
    /// `Kind name`, sorted.
    pub objects: Vec<String>,
    /// Techniques seen in the alerts, in kill-chain order: by the matrix position of
    /// their first tactic, then first time seen, then id.
    pub techniques: Vec<TechniqueStep>,
    /// Tactics of those techniques, in matrix order.
    pub tactics: Vec<TacticRef>,
    /// Score and its components.
    pub score: Score,
    /// 0.5 to 1.0: 1.0 unless the sensor reported dropped events during the incident.
    pub confidence: f64,
    /// Number of alerts (duplicates not counted).
    pub alert_count: usize,
    /// Alerts received more than once (same content), not counted again.
    pub duplicate_alerts: usize,
    /// Alerts that arrived after their reorder window and were joined best-effort.
    pub late_alerts: usize,
    /// Number of posture findings attached.
    pub finding_count: usize,
    /// Sensor drop reports that overlap the incident (at most 20, earliest first).
    pub sensor_drops: Vec<SensorDrop>,
    /// Alerts (in time order: all of them, or the first and last `max_evidence / 2` when
    /// there are more than `max_evidence`) then findings (most severe first).
    pub evidence: Vec<Evidence>,
    /// Alerts counted but not listed in `evidence`.
    pub evidence_omitted: usize,
    /// A few sentences generated from the fields above (templates, no language model).
    pub explanation: String,
}

/// A workload of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadRef {
    /// Namespace (empty for a container known only by id).
    pub namespace: String,
    /// `Pod`, `Deployment`, `CronJob`, ..., or `Container` for a container known only by
    /// its id.
    pub kind: String,
    /// Name (the container id for `Container`).
    pub name: String,
    /// Container names seen, sorted.
    pub containers: Vec<String>,
    /// Images seen, sorted.
    pub images: Vec<String>,
    /// Service accounts the pod runs as, sorted.
    pub service_accounts: Vec<String>,
    /// Nodes it ran on, sorted.
    pub nodes: Vec<String>,
    /// Container ids (12-character short form when hexadecimal), sorted.
    pub container_ids: Vec<String>,
}

impl WorkloadRef {
    /// `pod shop/web-1`, `CronJob shop/log-rotate`, `container 3f2a9c1b7d4e`.
    pub fn display(&self) -> String {
        match self.kind.as_str() {
            "Pod" => format!("pod {}/{}", self.namespace, self.name),
            "Container" => format!("container {}", self.name),
            kind => format!("{kind} {}/{}", self.namespace, self.name),
        }
    }
}

/// An identity of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRef {
    /// The documented key: `sa:<namespace>/<name>`, `user:<name>`, `anonymous@<ip>`.
    pub key: String,
    /// `service-account`, `user` or `anonymous`.
    pub kind: String,
    /// Namespace of a service account.
    pub namespace: Option<String>,
    /// Name (user name, service account name, or the source IP for anonymous).
    pub name: String,
    /// `actor` (made the requests) and/or `runs-as` (a pod of the incident runs as it),
    /// sorted.
    pub roles: Vec<String>,
    /// `service account shop/ci`, `user alice`, `anonymous requests from 203.0.113.50`.
    pub display: String,
}

/// One technique of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TechniqueStep {
    /// Technique id (after following revocations in the catalogue).
    pub technique: String,
    /// Name, `Parent: Sub-technique` for sub-techniques; the id when the catalogue does
    /// not know it.
    pub name: String,
    /// Tactic shortnames it was seen under, in matrix order (the technique's tactics that
    /// the alerts named, else all its tactics).
    pub tactic_shortnames: Vec<String>,
    /// First alert showing it, RFC 3339 UTC.
    pub first_seen: String,
    /// Last alert showing it, RFC 3339 UTC.
    pub last_seen: String,
    /// Number of alerts showing it.
    pub evidence_count: usize,
    /// Up to three objects it was seen on (earliest first): `pod shop/x`,
    /// `CronJob shop/y`, `Secret shop/z`...
    pub objects: Vec<String>,
    /// The highest priority of the alerts showing it (`critical`, `warning`...), over all
    /// of them, listed in `evidence` or not.
    pub max_priority: String,
}

/// A tactic of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TacticRef {
    /// `TA0002`.
    pub id: String,
    /// `execution`.
    pub shortname: String,
    /// `Execution`.
    pub name: String,
}

/// How the score was computed: `total = 100 × (0.6 × severity + 0.4 × breadth) ×
/// confidence`, rounded to one decimal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// 0 to 100.
    pub total: f64,
    /// 0 to 1, from the highest alert priority (critical and above 1.0, error 0.85,
    /// warning 0.7, notice 0.5, informational 0.3, debug 0.1, unknown 0.5).
    pub severity: f64,
    /// 0 to 1: distinct tactics / 6, capped at 1.
    pub breadth: f64,
    /// Distinct tactics.
    pub tactic_count: usize,
    /// The highest alert priority (lowercase).
    pub max_priority: String,
    /// The rule of the earliest alert with that priority.
    pub max_priority_rule: String,
}

/// What an evidence item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// A `palisade.alert/v1` alert.
    Alert,
    /// A posture finding (`palisade.scan/v1`).
    Finding,
}

/// One alert or finding of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Alert or finding.
    pub kind: EvidenceKind,
    /// Alert time, RFC 3339 UTC; `None` for findings.
    pub time: Option<String>,
    /// Rule name (alerts) or check id (findings).
    pub rule_or_check: String,
    /// Alert priority or finding severity.
    pub severity: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// Alerts: the alert's output, shortened; findings: `object: message`, shortened.
    pub summary: String,
    /// Alerts: the event source (`k8s_audit`, `runtime`); findings: `posture`.
    pub source: String,
    /// Where to find the original: the alert's event id (audit ID or sensor event id),
    /// else `<source>@<time>`; for findings `file:line`.
    pub source_ref: String,
}

/// A sensor's report of dropped events that overlaps an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SensorDrop {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// The node whose sensor dropped events, when known.
    pub node: Option<String>,
    /// How many events were dropped, when stated.
    pub dropped: Option<u64>,
    /// The rule that reported it.
    pub rule: String,
}
