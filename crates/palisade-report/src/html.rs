//! The HTML report: one self-contained file with the ATT&CK for Containers matrix as a
//! heatmap (posture findings, alerts, coverage), a drill-down per technique, incident
//! timelines and a posture summary per namespace and workload.
//!
//! Two pure functions: [`report_data`] turns findings, alerts, incidents and coverage into
//! the [`ReportData`] model, and [`render_html`] writes the page. The page needs nothing
//! but itself: the data is embedded once as JSON in a `<script type="application/json">`
//! element (escaped so no input text can close it), the CSS and the plain JavaScript that
//! draws the page are inline, there are no fonts, images or requests, and a Content
//! Security Policy forbids loading anything. Every text from the inputs is inserted with
//! `textContent`, never as markup.
//!
//! Alerts are `palisade.alert/v1` records of any source (Kubernetes audit, runtime
//! sensor, ...): the page groups and labels them by their `source` field and knows no
//! source in particular.

use crate::technique_url;
use palisade_core::{AlertRecord, Finding, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The `schema` value of the embedded data model.
pub const REPORT_DATA_SCHEMA: &str = "palisade.report-data/v1";

/// A column of the ATT&CK for Containers matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HtmlTactic {
    /// `TA0004`.
    pub id: String,
    /// `privilege-escalation`.
    pub shortname: String,
    /// `Privilege Escalation`.
    pub name: String,
    /// Technique ids in the column, in matrix order (a parent before its sub-techniques).
    pub techniques: Vec<String>,
}

/// What the report shows about a technique (from the ATT&CK catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlTechnique {
    /// `T1053.007`.
    pub id: String,
    /// The technique's own name: `Container Orchestration Job`.
    pub name: String,
    /// Parent id of a sub-technique.
    pub parent: Option<String>,
    /// Parent name of a sub-technique: `Scheduled Task/Job`.
    pub parent_name: Option<String>,
    /// Tactic shortnames, in matrix order.
    pub tactics: Vec<String>,
}

/// What covers a technique: check ids and rule labels at each level of proof.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlCoverage {
    /// A check or rule names the technique.
    pub claimed: Vec<String>,
    /// ...and is enabled with its data source active.
    pub deployed: Vec<String>,
    /// ...and its tests passed.
    pub validated: Vec<String>,
}

/// What was read to make the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportSources {
    /// Manifests, Dockerfiles and Compose paths scanned, as given.
    pub scanned: Vec<String>,
    /// Files read by the scan.
    pub files: usize,
    /// Objects checked by the scan.
    pub objects: usize,
    /// Audit logs replayed, as given.
    pub audit_logs: Vec<String>,
    /// Audit events read.
    pub events_read: u64,
    /// Audit events parsed and evaluated.
    pub events_parsed: u64,
    /// Audit events skipped (malformed, unreadable).
    pub events_skipped: u64,
    /// Files of `palisade.alert/v1` JSON lines read.
    pub alert_files: Vec<String>,
    /// The store read, if any.
    pub store: Option<String>,
    /// Inputs that could not be (fully) read, one line each.
    pub problems: Vec<String>,
}

/// An incident as the report shows it (from `palisade-correlate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentView {
    /// `inc-` + 16 hex digits.
    pub id: String,
    /// Cluster of its alerts.
    pub cluster: Option<String>,
    /// First alert, RFC 3339 UTC.
    pub first_seen: String,
    /// Last alert, RFC 3339 UTC.
    pub last_seen: String,
    /// 0 to 100.
    pub score: f64,
    /// 0.5 to 1.
    pub confidence: f64,
    /// Highest alert priority.
    pub max_priority: String,
    /// The rule of the earliest alert with that priority.
    pub max_priority_rule: String,
    /// Alerts joined.
    pub alert_count: usize,
    /// Posture findings attached.
    pub finding_count: usize,
    /// Alerts counted but not in `evidence`.
    pub evidence_omitted: usize,
    /// Namespaces.
    pub namespaces: Vec<String>,
    /// Workloads, displayed (`pod shop/web-1`).
    pub workloads: Vec<String>,
    /// Identities, displayed (`service account shop/ci`).
    pub identities: Vec<String>,
    /// Nodes.
    pub nodes: Vec<String>,
    /// Source addresses.
    pub source_ips: Vec<String>,
    /// Other objects the alerts target.
    pub objects: Vec<String>,
    /// Tactic shortnames, matrix order.
    pub tactics: Vec<String>,
    /// Techniques, kill-chain order.
    pub steps: Vec<IncidentStep>,
    /// Alerts (time order) then findings.
    pub evidence: Vec<IncidentEvidence>,
    /// The generated explanation.
    pub explanation: String,
}

/// One technique of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentStep {
    /// Technique id.
    pub technique: String,
    /// Name (`Parent: Sub` for sub-techniques).
    pub name: String,
    /// Tactic shortnames it was seen under.
    pub tactics: Vec<String>,
    /// First alert, RFC 3339 UTC.
    pub first_seen: String,
    /// Last alert, RFC 3339 UTC.
    pub last_seen: String,
    /// Alerts showing it.
    pub count: usize,
    /// Up to three objects it was seen on.
    pub objects: Vec<String>,
}

/// One alert or finding of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentEvidence {
    /// `alert` or `finding`.
    pub kind: String,
    /// Alert time.
    pub time: Option<String>,
    /// Rule name or check id.
    pub rule_or_check: String,
    /// Priority or severity.
    pub severity: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// Alert output or `object: message`.
    pub summary: String,
    /// Event source or `posture`.
    pub source: String,
    /// Audit ID, sensor event id or `file:line`.
    pub source_ref: String,
}

/// How much is listed in full (everything is always counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlLimits {
    /// Findings listed (most severe first).
    pub findings: usize,
    /// Alerts listed (most severe first, then shown in time order).
    pub alerts: usize,
}

impl Default for HtmlLimits {
    fn default() -> Self {
        HtmlLimits {
            findings: 5_000,
            alerts: 5_000,
        }
    }
}

/// Everything the report is made of. Findings carry technique ids of the catalogue in
/// use (`localise`d); alerts should too (ids the matrix does not know are listed apart).
#[derive(Debug, Clone, Copy)]
pub struct HtmlInput<'a> {
    /// Page title.
    pub title: &'a str,
    /// When the report was made, RFC 3339.
    pub generated: &'a str,
    /// Palisade's version.
    pub tool_version: &'a str,
    /// ATT&CK version of the catalogue.
    pub attack_version: &'a str,
    /// The Containers matrix, columns in order.
    pub tactics: &'a [HtmlTactic],
    /// Catalogue facts of the matrix techniques and of any other technique referenced.
    pub techniques: &'a [HtmlTechnique],
    /// Posture findings, suppressed ones included (they are counted, not shown).
    pub findings: &'a [Finding],
    /// Alerts of any source.
    pub alerts: &'a [AlertRecord],
    /// Incidents, in the order to show them.
    pub incidents: &'a [IncidentView],
    /// Coverage per technique id.
    pub coverage: &'a BTreeMap<String, HtmlCoverage>,
    /// What was read.
    pub sources: &'a ReportSources,
    /// Caps on the lists.
    pub limits: HtmlLimits,
}

/// The report's data model, embedded in the page as JSON (`palisade.report-data/v1`). The
/// page's script draws everything from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    /// [`REPORT_DATA_SCHEMA`].
    pub schema: &'static str,
    /// Page title.
    pub title: String,
    /// When the report was made.
    pub generated: String,
    /// Palisade's version.
    pub tool_version: String,
    /// ATT&CK version.
    pub attack_version: String,
    /// What was read.
    pub sources: ReportSources,
    /// Counts for the summary cards.
    pub totals: Totals,
    /// The matrix columns.
    pub tactics: Vec<HtmlTactic>,
    /// Every technique of the matrix or referenced by evidence, by id.
    pub techniques: BTreeMap<String, TechniqueData>,
    /// Listed findings (active, most severe first).
    pub findings: Vec<FindingRow>,
    /// Listed alerts (time order).
    pub alerts: Vec<AlertRow>,
    /// Incidents.
    pub incidents: Vec<IncidentView>,
    /// Posture per namespace (and cluster-scoped objects, images, Compose files), then
    /// per workload; worst first.
    pub posture: Vec<PostureGroup>,
}

/// Counts shown in the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Active findings.
    pub findings: usize,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Findings listed in the page.
    pub findings_listed: usize,
    /// Active findings by severity.
    pub by_severity: SeverityCounts,
    /// Alerts.
    pub alerts: usize,
    /// Alerts listed in the page.
    pub alerts_listed: usize,
    /// Alerts by source (`k8s_audit`, `runtime`, ...).
    pub alerts_by_source: BTreeMap<String, usize>,
    /// Alerts by heat level of their priority: `[notice and below, warning, error,
    /// critical and above]`.
    pub alerts_by_level: [usize; 4],
    /// Incidents.
    pub incidents: usize,
    /// Distinct techniques in the matrix.
    pub matrix_techniques: usize,
    /// Matrix techniques with findings.
    pub techniques_with_findings: usize,
    /// Matrix techniques with alerts.
    pub techniques_with_alerts: usize,
    /// Matrix techniques some check or rule claims.
    pub techniques_claimed: usize,
    /// Matrix techniques with validated coverage.
    pub techniques_validated: usize,
}

/// Findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Info.
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }

    fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }

    /// Sort key: worst first.
    fn rank(&self) -> [usize; 5] {
        [self.critical, self.high, self.medium, self.low, self.info]
    }
}

/// One layer's value in a matrix cell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Heat {
    /// How many findings / alerts.
    pub count: usize,
    /// Heat 0 (nothing) to 4.
    pub level: u8,
    /// The worst severity or priority, when there is any.
    pub worst: Option<String>,
}

/// Coverage of one technique.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CoverageData {
    /// 0 none, 1 claimed, 2 deployed, 3 validated.
    pub level: u8,
    /// Checks and rules that claim it.
    pub claimed: Vec<String>,
    /// ...deployed.
    pub deployed: Vec<String>,
    /// ...validated.
    pub validated: Vec<String>,
}

/// One technique in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TechniqueData {
    /// Id.
    pub id: String,
    /// Own name.
    pub name: String,
    /// `Parent: Sub` for sub-techniques, else the name.
    pub full_name: String,
    /// Parent id.
    pub parent: Option<String>,
    /// attack.mitre.org page.
    pub url: String,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    /// In the Containers matrix shown.
    pub in_matrix: bool,
    /// Posture findings layer.
    pub findings: Heat,
    /// Alerts layer.
    pub alerts: Heat,
    /// Coverage layer.
    pub coverage: CoverageData,
    /// Indices into [`ReportData::findings`].
    pub finding_ids: Vec<usize>,
    /// Indices into [`ReportData::alerts`].
    pub alert_ids: Vec<usize>,
    /// Incidents that show it.
    pub incidents: Vec<String>,
}

/// A finding as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    /// Check id.
    pub check: String,
    /// Check title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub remediation: String,
    /// `path:line:column`.
    pub location: String,
    /// `Deployment shop/web`, or the file.
    pub object: String,
    /// RBAC subject, displayed.
    pub subject: Option<String>,
}

/// An alert as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRow {
    /// RFC 3339 UTC.
    pub time: String,
    /// Rule.
    pub rule: String,
    /// Priority.
    pub priority: String,
    /// Event source.
    pub source: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// Output sentence.
    pub output: String,
    /// `ns/pod (container)`, node, or `-`.
    pub target: String,
    /// Acting user, if known.
    pub actor: Option<String>,
    /// Event id.
    pub event_id: Option<String>,
}

/// Posture of one namespace (or of cluster-scoped objects, or of files outside Kubernetes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostureGroup {
    /// Stable key: the namespace, `~cluster` or `~files`.
    pub key: String,
    /// Display label.
    pub label: String,
    /// Findings per severity.
    pub counts: SeverityCounts,
    /// Distinct techniques enabled.
    pub techniques: Vec<String>,
    /// Alerts naming the namespace.
    pub alerts: usize,
    /// Workloads and objects, worst first.
    pub workloads: Vec<PostureWorkload>,
}

/// Posture of one workload or object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostureWorkload {
    /// `Deployment storefront`, `ServiceAccount ci`, `Dockerfile examples/docker/Dockerfile`.
    pub label: String,
    /// Findings per severity.
    pub counts: SeverityCounts,
    /// Distinct techniques enabled.
    pub techniques: Vec<String>,
    /// Checks that fired, with counts: `PAL-K8S-001 ×2`.
    pub checks: Vec<String>,
    /// Files it is declared in.
    pub files: Vec<String>,
    /// Indices into [`ReportData::findings`].
    pub finding_ids: Vec<usize>,
}

/// Heat of a finding severity: low/info 1 .. critical 4.
fn severity_level(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 4,
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low | Severity::Info => 1,
    }
}

/// Heat of an alert priority (Falco names, any case): notice and below 1, warning 2,
/// error 3, critical and above 4.
pub fn priority_level(priority: &str) -> u8 {
    match priority.to_ascii_lowercase().as_str() {
        "emergency" | "alert" | "critical" => 4,
        "error" => 3,
        "warning" => 2,
        _ => 1,
    }
}

/// Kinds that have no namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
];

const CLUSTER_KEY: &str = "~cluster";
const FILES_KEY: &str = "~files";

/// (group key, group label, workload label) of a finding.
fn posture_place(f: &Finding) -> (String, String, String) {
    if let Some(subject) = &f.subject
        && let Some(ns) = &subject.namespace
    {
        return (
            ns.clone(),
            format!("namespace {ns}"),
            format!("{} {}", subject.kind, subject.name),
        );
    }
    let Some(object) = &f.object else {
        return (
            FILES_KEY.into(),
            "Images and Compose files".into(),
            f.location.path.clone(),
        );
    };
    let name = object.name.clone().unwrap_or_else(|| "(unnamed)".into());
    match object.api_version.as_str() {
        "dockerfile" => {
            return (
                FILES_KEY.into(),
                "Images and Compose files".into(),
                "Dockerfile".into(),
            );
        }
        "compose" => {
            return (
                FILES_KEY.into(),
                "Images and Compose files".into(),
                format!("Compose service {name}"),
            );
        }
        _ => {}
    }
    if let Some(subject) = &f.subject {
        return (
            CLUSTER_KEY.into(),
            "Cluster-scoped".into(),
            format!("{} {}", subject.kind, subject.name),
        );
    }
    if CLUSTER_SCOPED.contains(&object.kind.as_str()) {
        return (
            CLUSTER_KEY.into(),
            "Cluster-scoped".into(),
            format!("{} {name}", object.kind),
        );
    }
    let ns = object.namespace.clone().unwrap_or_else(|| "default".into());
    (
        ns.clone(),
        format!("namespace {ns}"),
        format!("{} {name}", object.kind),
    )
}

fn object_display(f: &Finding) -> String {
    match &f.object {
        Some(o) if o.api_version == "dockerfile" => match &o.name {
            Some(stage) => format!("Dockerfile stage {stage}"),
            None => "Dockerfile".into(),
        },
        Some(o) if o.api_version == "compose" => {
            format!("Compose service {}", o.name.as_deref().unwrap_or("?"))
        }
        Some(o) => match (&o.namespace, &o.name) {
            (Some(ns), Some(name)) => format!("{} {ns}/{name}", o.kind),
            (None, Some(name)) => format!("{} {name}", o.kind),
            _ => o.kind.clone(),
        },
        None => f.location.path.clone(),
    }
}

fn alert_target(a: &AlertRecord) -> String {
    let w = &a.workload;
    let mut out = match (&w.namespace, &w.pod) {
        (Some(ns), Some(pod)) => format!("{ns}/{pod}"),
        (Some(ns), None) => format!("namespace {ns}"),
        (None, Some(pod)) => pod.clone(),
        (None, None) => match (&w.node, &w.container_id) {
            (Some(node), _) => format!("node {node}"),
            (None, Some(id)) => format!("container {id}"),
            (None, None) => "-".into(),
        },
    };
    if let Some(c) = &w.container
        && w.pod.is_some()
    {
        out.push_str(&format!(" ({c})"));
    }
    out
}

fn technique_entry(id: &str, meta: Option<&HtmlTechnique>, in_matrix: bool) -> TechniqueData {
    let (name, full_name, parent, tactics) = match meta {
        Some(m) => (
            m.name.clone(),
            match &m.parent_name {
                Some(p) => format!("{p}: {}", m.name),
                None => m.name.clone(),
            },
            m.parent.clone(),
            m.tactics.clone(),
        ),
        None => (id.to_owned(), id.to_owned(), None, Vec::new()),
    };
    TechniqueData {
        id: id.to_owned(),
        name,
        full_name,
        parent,
        url: technique_url(id),
        tactics,
        in_matrix,
        findings: Heat::default(),
        alerts: Heat::default(),
        coverage: CoverageData::default(),
        finding_ids: Vec::new(),
        alert_ids: Vec::new(),
        incidents: Vec::new(),
    }
}

/// Build the report's data model. Pure: the same input gives the same model.
pub fn report_data(input: &HtmlInput<'_>) -> ReportData {
    let meta: BTreeMap<&str, &HtmlTechnique> = input
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let in_matrix: BTreeSet<&str> = input
        .tactics
        .iter()
        .flat_map(|t| t.techniques.iter().map(String::as_str))
        .collect();
    let mut techniques: BTreeMap<String, TechniqueData> = BTreeMap::new();
    fn entry<'m>(
        techniques: &'m mut BTreeMap<String, TechniqueData>,
        meta: &BTreeMap<&str, &HtmlTechnique>,
        in_matrix: &BTreeSet<&str>,
        id: &str,
    ) -> &'m mut TechniqueData {
        techniques
            .entry(id.to_owned())
            .or_insert_with(|| technique_entry(id, meta.get(id).copied(), in_matrix.contains(id)))
    }
    // Every matrix cell exists even when empty.
    for id in &in_matrix {
        entry(&mut techniques, &meta, &in_matrix, id);
    }

    // Findings: active ones count; the most severe are listed.
    let mut totals = Totals::default();
    let mut active: Vec<&Finding> = Vec::new();
    for f in input.findings {
        if f.suppressed.is_some() {
            totals.suppressed += 1;
        } else {
            active.push(f);
        }
    }
    active.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| a.location.cmp(&b.location))
    });
    let mut findings = Vec::new();
    let mut listed_index: Vec<Option<usize>> = Vec::with_capacity(active.len());
    for f in &active {
        totals.by_severity.add(f.severity);
        if findings.len() < input.limits.findings {
            listed_index.push(Some(findings.len()));
            findings.push(FindingRow {
                check: f.check.clone(),
                title: f.title.clone(),
                severity: f.severity.as_str().to_owned(),
                techniques: f.techniques.clone(),
                message: f.message.clone(),
                remediation: f.remediation.clone(),
                location: format!(
                    "{}:{}:{}",
                    f.location.path, f.location.line, f.location.column
                ),
                object: object_display(f),
                subject: f.subject.as_ref().map(|s| s.display_name()),
            });
        } else {
            listed_index.push(None);
        }
        for t in &f.techniques {
            let e = entry(&mut techniques, &meta, &in_matrix, t);
            e.findings.count += 1;
            e.findings.level = e.findings.level.max(severity_level(f.severity));
            e.findings.worst = Some(worse_severity(e.findings.worst.as_deref(), f.severity));
        }
    }
    for (f, idx) in active.iter().zip(&listed_index) {
        if let Some(i) = idx {
            for t in &f.techniques {
                entry(&mut techniques, &meta, &in_matrix, t)
                    .finding_ids
                    .push(*i);
            }
        }
    }
    totals.findings = active.len();
    totals.findings_listed = findings.len();

    // Alerts: all counted; the most severe listed, shown in time order.
    let mut order: Vec<usize> = (0..input.alerts.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&input.alerts[a], &input.alerts[b]);
        priority_level(&y.priority)
            .cmp(&priority_level(&x.priority))
            .then_with(|| x.time.cmp(&y.time))
            .then_with(|| a.cmp(&b))
    });
    order.truncate(input.limits.alerts);
    order.sort_by(|&a, &b| {
        input.alerts[a]
            .time
            .cmp(&input.alerts[b].time)
            .then_with(|| a.cmp(&b))
    });
    let mut alert_listed: Vec<Option<usize>> = vec![None; input.alerts.len()];
    let mut alerts = Vec::with_capacity(order.len());
    for &i in &order {
        let a = &input.alerts[i];
        alert_listed[i] = Some(alerts.len());
        alerts.push(AlertRow {
            time: a.time.clone(),
            rule: a.rule.clone(),
            priority: a.priority.to_ascii_lowercase(),
            source: a.source.clone(),
            techniques: a.techniques.clone(),
            output: a.output.clone(),
            target: alert_target(a),
            actor: a.actor.user.clone(),
            event_id: a.event_id.clone(),
        });
    }
    let mut alerts_by_namespace: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, a) in input.alerts.iter().enumerate() {
        totals.alerts += 1;
        *totals.alerts_by_source.entry(a.source.clone()).or_default() += 1;
        let level = priority_level(&a.priority);
        totals.alerts_by_level[usize::from(level - 1)] += 1;
        if let Some(ns) = &a.workload.namespace {
            *alerts_by_namespace.entry(ns.as_str()).or_default() += 1;
        }
        let mut seen = BTreeSet::new();
        for t in &a.techniques {
            if !seen.insert(t.as_str()) {
                continue;
            }
            let e = entry(&mut techniques, &meta, &in_matrix, t);
            e.alerts.count += 1;
            if level > e.alerts.level {
                e.alerts.level = level;
                e.alerts.worst = Some(a.priority.to_ascii_lowercase());
            }
            if let Some(j) = alert_listed[i] {
                e.alert_ids.push(j);
            }
        }
    }
    totals.alerts_listed = alerts.len();

    // Coverage.
    for (id, c) in input.coverage {
        if c.claimed.is_empty() && c.deployed.is_empty() && c.validated.is_empty() {
            continue;
        }
        // Coverage is drawn on the matrix, and shown for techniques with evidence.
        let Some(e) = techniques.get_mut(id) else {
            continue;
        };
        e.coverage = CoverageData {
            level: if !c.validated.is_empty() {
                3
            } else if !c.deployed.is_empty() {
                2
            } else {
                1
            },
            claimed: c.claimed.clone(),
            deployed: c.deployed.clone(),
            validated: c.validated.clone(),
        };
    }

    // Incidents.
    for incident in input.incidents {
        for step in &incident.steps {
            let e = entry(&mut techniques, &meta, &in_matrix, &step.technique);
            if !e.incidents.contains(&incident.id) {
                e.incidents.push(incident.id.clone());
            }
        }
    }

    for t in techniques.values() {
        if !t.in_matrix {
            continue;
        }
        totals.matrix_techniques += 1;
        totals.techniques_with_findings += usize::from(t.findings.count > 0);
        totals.techniques_with_alerts += usize::from(t.alerts.count > 0);
        totals.techniques_claimed += usize::from(t.coverage.level > 0);
        totals.techniques_validated += usize::from(t.coverage.level == 3);
    }
    totals.incidents = input.incidents.len();

    let posture = posture_groups(&active, &listed_index, &alerts_by_namespace);

    ReportData {
        schema: REPORT_DATA_SCHEMA,
        title: input.title.to_owned(),
        generated: input.generated.to_owned(),
        tool_version: input.tool_version.to_owned(),
        attack_version: input.attack_version.to_owned(),
        sources: input.sources.clone(),
        totals,
        tactics: input.tactics.to_vec(),
        techniques,
        findings,
        alerts,
        incidents: input.incidents.to_vec(),
        posture,
    }
}

/// The worse of a severity name seen so far and a new severity.
fn worse_severity(current: Option<&str>, new: Severity) -> String {
    match current.and_then(|c| c.parse::<Severity>().ok()) {
        Some(c) if c >= new => c.as_str().to_owned(),
        _ => new.as_str().to_owned(),
    }
}

fn posture_groups(
    active: &[&Finding],
    listed: &[Option<usize>],
    alerts_by_namespace: &BTreeMap<&str, usize>,
) -> Vec<PostureGroup> {
    struct W {
        counts: SeverityCounts,
        techniques: BTreeSet<String>,
        checks: BTreeMap<String, usize>,
        files: BTreeSet<String>,
        finding_ids: Vec<usize>,
    }
    /// Workloads of a group by (label, file: only for files outside Kubernetes).
    type Workloads = BTreeMap<(String, String), W>;
    let mut groups: BTreeMap<String, (String, Workloads)> = BTreeMap::new();
    for (f, idx) in active.iter().zip(listed) {
        let (key, label, workload) = posture_place(f);
        // Outside Kubernetes, the same name in two files is two things.
        let workload_key = if key == FILES_KEY {
            (workload, f.location.path.clone())
        } else {
            (workload, String::new())
        };
        let group = groups
            .entry(key)
            .or_insert_with(|| (label, BTreeMap::new()));
        let w = group.1.entry(workload_key).or_insert_with(|| W {
            counts: SeverityCounts::default(),
            techniques: BTreeSet::new(),
            checks: BTreeMap::new(),
            files: BTreeSet::new(),
            finding_ids: Vec::new(),
        });
        w.counts.add(f.severity);
        w.techniques.extend(f.techniques.iter().cloned());
        *w.checks.entry(f.check.clone()).or_default() += 1;
        w.files.insert(f.location.path.clone());
        if let Some(i) = idx {
            w.finding_ids.push(*i);
        }
    }
    // Namespaces with alerts but no findings still get a row.
    for (ns, _) in alerts_by_namespace.iter() {
        groups
            .entry((*ns).to_owned())
            .or_insert_with(|| (format!("namespace {ns}"), BTreeMap::new()));
    }
    let mut out: Vec<PostureGroup> = groups
        .into_iter()
        .map(|(key, (label, workloads))| {
            let mut counts = SeverityCounts::default();
            let mut techniques = BTreeSet::new();
            let mut rows: Vec<PostureWorkload> = workloads
                .into_iter()
                .map(|((label, _), w)| {
                    counts.critical += w.counts.critical;
                    counts.high += w.counts.high;
                    counts.medium += w.counts.medium;
                    counts.low += w.counts.low;
                    counts.info += w.counts.info;
                    techniques.extend(w.techniques.iter().cloned());
                    let mut finding_ids = w.finding_ids;
                    finding_ids.sort_unstable();
                    PostureWorkload {
                        label,
                        counts: w.counts,
                        techniques: w.techniques.into_iter().collect(),
                        checks: w
                            .checks
                            .into_iter()
                            .map(|(c, n)| if n > 1 { format!("{c} ×{n}") } else { c })
                            .collect(),
                        files: w.files.into_iter().collect(),
                        finding_ids,
                    }
                })
                .collect();
            rows.sort_by(|a, b| {
                b.counts
                    .rank()
                    .cmp(&a.counts.rank())
                    .then_with(|| a.label.cmp(&b.label))
            });
            let alerts = alerts_by_namespace.get(key.as_str()).copied().unwrap_or(0);
            PostureGroup {
                key,
                label,
                counts,
                techniques: techniques.into_iter().collect(),
                alerts,
                workloads: rows,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.counts
            .rank()
            .cmp(&a.counts.rank())
            .then_with(|| b.counts.total().cmp(&a.counts.total()))
            .then_with(|| b.alerts.cmp(&a.alerts))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// JSON for a `<script type="application/json">` element: `<`, `>` and `&` (which JSON
/// allows only inside strings) become `\u003c`, `\u003e`, `\u0026`, so no input text can
/// end the element (`</script>`) or open a comment (`<!--`); U+2028 and U+2029 are escaped
/// too. The result is still JSON with the same value.
pub fn json_for_script<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML element content or a quoted attribute value.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Write the page. Pure: the same data gives the same bytes.
pub fn render_html(data: &ReportData) -> String {
    let title = escape_html(&data.title);
    let meta = escape_html(&format!(
        "Generated {} · MITRE ATT&CK® v{} for Containers · Palisade {}",
        data.generated, data.attack_version, data.tool_version
    ));
    let json = json_for_script(data);
    let mut out = String::with_capacity(json.len() + CSS.len() + SCRIPT.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"false\" data-errors=\"0\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n");
    out.push_str("<meta name=\"color-scheme\" content=\"light\">\n");
    out.push_str("<meta name=\"generator\" content=\"Palisade ");
    out.push_str(&escape_html(&data.tool_version));
    out.push_str("\">\n<title>");
    out.push_str(&title);
    out.push_str("</title>\n<script>");
    out.push_str(ERROR_TRAP);
    out.push_str("</script>\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<header class=\"top\"><div class=\"wrap\">\n<div class=\"brand\">");
    out.push_str(LOGO);
    out.push_str("<span>Palisade</span></div>\n<h1>");
    out.push_str(&title);
    out.push_str("</h1>\n<p class=\"meta\">");
    out.push_str(&meta);
    out.push_str("</p>\n<nav class=\"toc\"><a href=\"#matrix-section\">Matrix</a><a href=\"#incidents\">Incidents</a><a href=\"#posture\">Posture</a><a href=\"#inputs\">Inputs</a></nav>\n</div></header>\n");
    out.push_str("<main class=\"wrap\" id=\"app\">\n<noscript><p class=\"panel\">This report draws its content with JavaScript; enable it to see the matrix, the incidents and the posture summary. The data is embedded in this file as JSON (palisade.report-data/v1).</p></noscript>\n");
    out.push_str("<section id=\"summary\" class=\"cards\" aria-label=\"Summary\"></section>\n");
    out.push_str("<section id=\"matrix-section\" class=\"panel\">\n<div class=\"section-head\"><h2>ATT&amp;CK for Containers</h2><div class=\"toggles\" role=\"group\" aria-label=\"Heatmap layer\" id=\"toggles\"></div></div>\n<div class=\"legend\" id=\"legend\"></div>\n<div class=\"matrix\" id=\"matrix\" role=\"grid\"></div>\n<div id=\"offmatrix\"></div>\n</section>\n");
    out.push_str("<section id=\"detail\" class=\"panel\" aria-live=\"polite\"></section>\n");
    out.push_str("<section id=\"incidents\" class=\"panel\"></section>\n");
    out.push_str("<section id=\"posture\" class=\"panel\"></section>\n");
    out.push_str("<section id=\"inputs\" class=\"panel\"></section>\n");
    out.push_str("</main>\n<footer class=\"wrap foot\">Generated by Palisade ");
    out.push_str(&escape_html(&data.tool_version));
    out.push_str(". MITRE ATT&amp;CK® is a registered trademark of The MITRE Corporation; technique names and ids are used under the ATT&amp;CK terms of use. This file loads nothing from the network.</footer>\n");
    out.push_str("<script type=\"application/json\" id=\"palisade-data\">");
    out.push_str(&json);
    out.push_str("</script>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// The page for `input`: [`report_data`] then [`render_html`].
pub fn render_report(input: &HtmlInput<'_>) -> String {
    render_html(&report_data(input))
}

/// Runs first: records uncaught errors and `console.error` calls on the root element
/// (`data-errors`, `data-error-messages`), so a headless browser's DOM dump shows them.
const ERROR_TRAP: &str = r#"
(function () {
  var root = document.documentElement, messages = [];
  function record(message) {
    messages.push(String(message).slice(0, 300));
    root.setAttribute('data-errors', String(messages.length));
    root.setAttribute('data-error-messages', messages.join(' | '));
  }
  window.__palisadeRecordError = record;
  window.addEventListener('error', function (e) {
    record((e && e.message) || 'error' + (e && e.filename ? ' in ' + e.filename : ''));
  });
  window.addEventListener('unhandledrejection', function (e) {
    record('unhandled rejection: ' + (e && e.reason));
  });
  var original = console.error;
  console.error = function () {
    record(Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
"#;

const LOGO: &str = r##"<svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><path d="M16 2 4 7v8c0 7.7 5.1 13.4 12 15 6.9-1.6 12-7.3 12-15V7z" fill="#1f3a5f"/><path d="M10 11h2v11h-2zm5-2h2v13h-2zm5 2h2v11h-2z" fill="#f2b33d"/></svg>"##;

const CSS: &str = r#"
:root {
  --bg: #f4f6f8; --panel: #ffffff; --ink: #1b2430; --muted: #5b6675; --line: #dde3ea;
  --accent: #1f3a5f; --accent-2: #2f6fb3; --soft: #eef2f6;
  --h1: #fde8b0; --h2: #f8b862; --h3: #e8743b; --h4: #b8232f;
  --c1: #dcefe9; --c2: #8fd0bf; --c3: #1f8a78;
  --sev-critical: #b8232f; --sev-high: #e8743b; --sev-medium: #d9a21b; --sev-low: #6b8fb3; --sev-info: #9aa5b1;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--ink); }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
a { color: var(--accent-2); }
.wrap { max-width: 1560px; margin: 0 auto; padding: 0 20px; }
header.top { background: var(--accent); color: #fff; padding: 14px 0 12px; }
header.top .wrap { display: grid; grid-template-columns: auto 1fr auto; grid-template-rows: auto auto; column-gap: 18px; align-items: center; }
.brand { display: flex; align-items: center; gap: 8px; font-weight: 700; letter-spacing: .02em; grid-row: 1 / span 2; padding-right: 16px; border-right: 1px solid rgba(255,255,255,.25); }
.brand .logo { background: #fff; border-radius: 6px; padding: 2px; }
header.top h1 { margin: 0; font-size: 20px; font-weight: 650; }
header.top .meta { margin: 0; color: #c9d6e6; font-size: 12.5px; grid-column: 2; }
.toc { grid-row: 1 / span 2; grid-column: 3; display: flex; gap: 14px; }
.toc a { color: #fff; text-decoration: none; font-size: 13px; opacity: .85; }
.toc a:hover { opacity: 1; text-decoration: underline; }
main { padding-top: 16px; padding-bottom: 8px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 0; }
.section-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.section-head h2 { margin: 0; }
.muted { color: var(--muted); }
.mono { font-family: var(--mono); font-size: 12.5px; }
.nowrap { white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 14px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
.card .value { font-size: 28px; font-weight: 700; margin: 2px 0 4px; }
.card .value small { font-size: 14px; font-weight: 500; color: var(--muted); }
.bar { display: flex; height: 8px; border-radius: 4px; overflow: hidden; background: var(--soft); margin: 6px 0 4px; }
.bar span { display: block; height: 100%; }
.card .sub { font-size: 12.5px; color: var(--muted); }
.toggles { display: inline-flex; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--soft); }
.toggles button { border: 0; background: transparent; padding: 7px 14px; font: inherit; font-size: 13px; cursor: pointer; color: var(--ink); border-right: 1px solid var(--line); }
.toggles button:last-child { border-right: 0; }
.toggles button[aria-pressed="true"] { background: var(--accent); color: #fff; }
.toggles button .n { font-size: 11.5px; opacity: .8; margin-left: 6px; }
.legend { display: flex; flex-wrap: wrap; align-items: center; gap: 14px; margin: 10px 0 12px; font-size: 12.5px; color: var(--muted); }
.legend .sw { display: inline-flex; align-items: center; gap: 6px; }
.legend .sw i { display: inline-block; width: 16px; height: 12px; border-radius: 3px; border: 1px solid rgba(0,0,0,.08); }
.matrix { display: grid; gap: 6px; align-items: start; }
.col { min-width: 0; }
.col-head { background: var(--accent); color: #fff; border-radius: 6px 6px 0 0; padding: 6px 8px; min-height: 50px; }
.col-head .name { font-weight: 650; font-size: 12.5px; line-height: 1.2; }
.col-head .meta { font-size: 11px; color: #c9d6e6; font-family: var(--mono); }
.cells { display: flex; flex-direction: column; gap: 3px; margin-top: 3px; }
.cell { display: block; width: 100%; text-align: left; border: 1px solid var(--line); background: #fff; border-radius: 4px; padding: 4px 6px 5px; font: inherit; font-size: 11.5px; line-height: 1.25; cursor: pointer; color: var(--ink); position: relative; min-height: 42px; }
.cell:hover { border-color: var(--accent-2); box-shadow: 0 0 0 1px var(--accent-2) inset; }
.cell.sub { margin-left: 10px; width: calc(100% - 10px); min-height: 36px; }
.cell .tid { font-family: var(--mono); font-size: 10.5px; color: var(--muted); display: block; }
.cell .tname { display: block; padding-right: 18px; overflow-wrap: anywhere; }
.cell .count { position: absolute; top: 3px; right: 4px; font-weight: 700; font-size: 11px; min-width: 18px; text-align: center; border-radius: 9px; padding: 0 4px; background: rgba(255,255,255,.75); color: var(--ink); }
.cell.sel { outline: 3px solid var(--accent-2); outline-offset: 1px; z-index: 1; }
.cell.l1 { background: var(--h1); border-color: #f1d58a; }
.cell.l2 { background: var(--h2); border-color: #eaa24a; }
.cell.l3 { background: var(--h3); border-color: #d15f2a; color: #fff; }
.cell.l4 { background: var(--h4); border-color: #931b25; color: #fff; }
.cell.l3 .tid, .cell.l4 .tid { color: rgba(255,255,255,.85); }
.matrix.coverage .cell.l1 { background: var(--c1); border-color: #b9ddd2; color: var(--ink); }
.matrix.coverage .cell.l2 { background: var(--c2); border-color: #6fbba8; color: var(--ink); }
.matrix.coverage .cell.l3 { background: var(--c3); border-color: #176d5f; color: #fff; }
.matrix.coverage .cell.l1 .tid, .matrix.coverage .cell.l2 .tid { color: var(--muted); }
#offmatrix { margin-top: 10px; font-size: 12.5px; color: var(--muted); }
.chip { display: inline-block; border: 1px solid var(--line); background: var(--soft); border-radius: 12px; padding: 1px 9px; margin: 2px 4px 2px 0; font-size: 12px; color: var(--ink); white-space: nowrap; }
button.chip, a.chip { cursor: pointer; text-decoration: none; font: inherit; font-size: 12px; }
button.chip:hover, a.chip:hover { border-color: var(--accent-2); }
.pill { display: inline-block; min-width: 22px; padding: 0 6px; border-radius: 10px; text-align: center; font-weight: 650; font-size: 12px; color: #fff; }
.pill.critical { background: var(--sev-critical); } .pill.high { background: var(--sev-high); }
.pill.medium { background: var(--sev-medium); } .pill.low { background: var(--sev-low); }
.pill.info, .pill.notice, .pill.informational, .pill.debug { background: var(--sev-info); }
.pill.emergency, .pill.alert { background: var(--sev-critical); } .pill.error { background: var(--sev-high); }
.pill.warning { background: var(--sev-medium); }
.zero { color: #b7c0ca; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th { text-align: left; font-weight: 650; color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px 8px; white-space: nowrap; font-size: 12px; }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group td { background: var(--soft); font-weight: 650; }
tr.wl td:first-child { padding-left: 26px; }
.detail-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.detail-head .tid { font-family: var(--mono); color: var(--muted); }
.stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; margin: 12px 0; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: #fbfcfd; }
.stat b { font-size: 20px; display: block; }
.stat span { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
.incident { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 12px 0 0; background: #fff; }
.incident-head { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
.score { width: 54px; height: 54px; border-radius: 50%; display: flex; align-items: center; justify-content: center; flex-direction: column; color: #fff; font-weight: 800; font-size: 18px; line-height: 1; }
.score small { font-size: 9px; font-weight: 600; opacity: .9; margin-top: 2px; }
.score.s4 { background: var(--h4); } .score.s3 { background: var(--h3); } .score.s2 { background: #c98a13; } .score.s1 { background: #7c8895; }
.incident-head .who { flex: 1; min-width: 260px; }
.incident-head .when { color: var(--muted); font-size: 12.5px; }
.progression { display: flex; gap: 0; margin: 12px 0 6px; padding: 0; list-style: none; overflow: hidden; }
.progression li { flex: 1; min-width: 0; position: relative; padding: 6px 8px 6px 16px; background: #e9edf2; color: #8793a0; font-size: 11.5px; line-height: 1.2; clip-path: polygon(0 0, calc(100% - 10px) 0, 100% 50%, calc(100% - 10px) 100%, 0 100%, 10px 50%); margin-right: -6px; }
.progression li:first-child { clip-path: polygon(0 0, calc(100% - 10px) 0, 100% 50%, calc(100% - 10px) 100%, 0 100%); padding-left: 8px; }
.progression li.on { color: #fff; font-weight: 650; }
.progression li b { display: block; font-size: 10.5px; font-weight: 500; opacity: .9; }
.timeline { margin: 10px 0 4px; }
.tl-row { display: grid; grid-template-columns: minmax(220px, 34%) 1fr 52px; gap: 10px; align-items: center; padding: 2px 0; }
.tl-label { font-size: 12.5px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tl-label .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; vertical-align: 0; }
.tl-label .tac { color: var(--muted); font-size: 11.5px; }
.tl-track { position: relative; height: 18px; background: repeating-linear-gradient(90deg, #f1f4f7 0, #f1f4f7 1px, transparent 1px, transparent 25%); border-radius: 3px; border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
.tl-mark { position: absolute; top: 3px; height: 12px; min-width: 10px; border-radius: 6px; }
.tl-n { text-align: right; font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.tl-axis { display: grid; grid-template-columns: minmax(220px, 34%) 1fr 52px; gap: 10px; font-size: 11px; color: var(--muted); }
.tl-axis .ticks { display: flex; justify-content: space-between; font-family: var(--mono); }
.explanation { margin: 10px 0 6px; max-width: 1200px; }
.entities { margin-top: 8px; font-size: 12.5px; }
.entities .k { color: var(--muted); margin-right: 4px; }
details > summary { cursor: pointer; color: var(--accent-2); font-size: 13px; margin: 6px 0; }
.foot { color: var(--muted); font-size: 12px; padding-top: 4px; padding-bottom: 28px; }
.note { font-size: 12.5px; color: var(--muted); margin: 6px 0; }
ul.plain { margin: 4px 0; padding-left: 18px; }
@media (max-width: 1100px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } .matrix { overflow-x: auto; } }
@media print { header.top { background: #fff; color: var(--ink); } .toc, .toggles { display: none; } .panel, .incident { break-inside: avoid; } }
"#;

/// The page's script: draws everything from the embedded data with `textContent` only.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var root = document.documentElement;
  var D = JSON.parse(document.getElementById('palisade-data').textContent);
  var SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  var LAYERS = {
    findings: { label: 'Posture findings', unit: 'findings',
      legend: 'Heat: worst severity of the misconfigurations that enable the technique. Number: findings.',
      steps: ['Low', 'Medium', 'High', 'Critical'] },
    alerts: { label: 'Alerts', unit: 'alerts',
      legend: 'Heat: highest priority of the alerts that show the technique (any source). Number: alerts.',
      steps: ['Notice or lower', 'Warning', 'Error', 'Critical'] },
    coverage: { label: 'Coverage', unit: 'checks and rules',
      legend: 'Palisade coverage: claimed (a check or rule names it), deployed (enabled, data source read), validated (its tests pass). Number: checks and rules.',
      steps: ['Claimed', 'Deployed', 'Validated'] }
  };
  var state = { layer: null, selected: null };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') el.textContent = String(v);
        else if (k === 'class') el.className = v;
        else if (k === 'style') el.setAttribute('style', v);
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function plural(n, word, many) { return n + ' ' + (n === 1 ? word : (many || word + 's')); }
  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  function time(t) { return t ? String(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC') : ''; }
  function clock(t) { var m = /T(\d\d:\d\d:\d\d)/.exec(t || ''); return m ? m[1] : (t || ''); }
  function ms(t) { var v = Date.parse(t); return isNaN(v) ? 0 : v; }
  function duration(a, b) {
    var s = Math.max(0, Math.round((ms(b) - ms(a)) / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60); s = s % 60;
    if (m < 60) return m + 'm ' + s + 's';
    var hh = Math.floor(m / 60); m = m % 60;
    if (hh < 48) return hh + 'h ' + m + 'm';
    return Math.floor(hh / 24) + 'd ' + (hh % 24) + 'h';
  }
  function tech(id) { return D.techniques[id]; }
  function tacticIndex(shortname) {
    for (var i = 0; i < D.tactics.length; i++) if (D.tactics[i].shortname === shortname) return i;
    return -1;
  }
  function tacticName(shortname) {
    var i = tacticIndex(shortname);
    return i >= 0 ? D.tactics[i].name : shortname.replace(/-/g, ' ');
  }
  function tacticColor(shortname) {
    var i = tacticIndex(shortname), n = Math.max(D.tactics.length - 1, 1);
    if (i < 0) return '#7c8895';
    return 'hsl(' + Math.round(212 - 212 * i / n) + ', 62%, ' + (i / n > 0.6 ? 46 : 42) + '%)';
  }
  function heat(t, layer) {
    if (!t) return { level: 0, count: 0 };
    if (layer === 'coverage') return { level: t.coverage.level, count: t.coverage.claimed.length };
    return t[layer];
  }
  function severityPill(s) { return h('span', { class: 'pill ' + s, text: s }); }
  function techLink(id) {
    var t = tech(id);
    return h('button', { class: 'chip mono', title: t ? t.full_name : id, onclick: function () { select(id, true); } }, id);
  }

  function summary() {
    var el = clear(document.getElementById('summary')), T = D.totals;
    var sevBar = h('div', { class: 'bar', title: 'Findings by severity' });
    var total = Math.max(T.findings, 1);
    SEVERITIES.forEach(function (s) {
      var n = T.by_severity[s];
      if (n) sevBar.appendChild(h('span', { style: 'width:' + (100 * n / total) + '%;background:var(--sev-' + s + ')', title: n + ' ' + s }));
    });
    var sevText = SEVERITIES.filter(function (s) { return T.by_severity[s]; }).map(function (s) { return T.by_severity[s] + ' ' + s; }).join(' · ');
    var alertBar = h('div', { class: 'bar', title: 'Alerts by priority' });
    var colors = ['var(--sev-info)', 'var(--sev-medium)', 'var(--sev-high)', 'var(--sev-critical)'];
    for (var i = 3; i >= 0; i--) {
      var n = T.alerts_by_level[i];
      if (n) alertBar.appendChild(h('span', { style: 'width:' + (100 * n / Math.max(T.alerts, 1)) + '%;background:' + colors[i], title: n + ' ' + LAYERS.alerts.steps[i] }));
    }
    var sources = Object.keys(T.alerts_by_source).map(function (s) { return T.alerts_by_source[s] + ' ' + s; }).join(' · ');
    var top = D.incidents.reduce(function (m, x) { return Math.max(m, x.score); }, 0);
    add(el, [
      h('div', { class: 'card' }, h('div', { class: 'label', text: 'Posture findings' }),
        h('div', { class: 'value' }, fmt(T.findings), T.suppressed ? h('small', { text: ' + ' + T.suppressed + ' suppressed' }) : null),
        sevBar, h('div', { class: 'sub', text: sevText || 'nothing to report' })),
      h('div', { class: 'card' }, h('div', { class: 'label', text: 'Alerts' }),
        h('div', { class: 'value' }, fmt(T.alerts)), alertBar,
        h('div', { class: 'sub', text: sources || 'no alerts read' })),
      h('div', { class: 'card' }, h('div', { class: 'label', text: 'Incidents' }),
        h('div', { class: 'value' }, fmt(T.incidents), T.incidents ? h('small', { text: ' top score ' + top.toFixed(0) }) : null),
        h('div', { class: 'bar' }, h('span', { style: 'width:' + top + '%;background:' + (top >= 75 ? 'var(--h4)' : top >= 50 ? 'var(--h3)' : 'var(--sev-medium)') })),
        h('div', { class: 'sub', text: T.incidents ? 'alerts joined per workload and identity' : 'no alerts to correlate' })),
      h('div', { class: 'card' }, h('div', { class: 'label', text: 'Matrix' }),
        h('div', { class: 'value' }, String(T.techniques_with_findings), h('small', { text: ' / ' + T.matrix_techniques + ' techniques enabled' })),
        h('div', { class: 'bar' }, h('span', { style: 'width:' + (100 * T.techniques_validated / Math.max(T.matrix_techniques, 1)) + '%;background:var(--c3)' })),
        h('div', { class: 'sub', text: T.techniques_with_alerts + ' seen in alerts · ' + T.techniques_validated + ' with validated coverage' }))
    ]);
  }

  function toggles() {
    var el = clear(document.getElementById('toggles'));
    var counts = { findings: D.totals.findings, alerts: D.totals.alerts, coverage: D.totals.techniques_validated + '/' + D.totals.matrix_techniques };
    Object.keys(LAYERS).forEach(function (key) {
      el.appendChild(h('button', { type: 'button', 'data-layer': key, 'aria-pressed': String(state.layer === key),
        onclick: function () { setLayer(key); } }, LAYERS[key].label, h('span', { class: 'n', text: String(counts[key]) })));
    });
  }

  function legend() {
    var el = clear(document.getElementById('legend')), L = LAYERS[state.layer];
    var prefix = state.layer === 'coverage' ? '--c' : '--h';
    L.steps.forEach(function (label, i) {
      el.appendChild(h('span', { class: 'sw' }, h('i', { style: 'background:var(' + prefix + (i + 1) + ')' }), label));
    });
    el.appendChild(h('span', { text: L.legend }));
  }

  function matrix() {
    var el = clear(document.getElementById('matrix'));
    el.className = 'matrix ' + state.layer;
    el.style.gridTemplateColumns = 'repeat(' + D.tactics.length + ', minmax(0, 1fr))';
    var cells = 0, hot = 0;
    D.tactics.forEach(function (tac) {
      var col = h('div', { class: 'col', role: 'rowgroup' },
        h('div', { class: 'col-head' }, h('div', { class: 'name', text: tac.name }), h('div', { class: 'meta', text: tac.id + ' · ' + tac.techniques.length })));
      var list = h('div', { class: 'cells' });
      tac.techniques.forEach(function (id) {
        var t = tech(id), v = heat(t, state.layer);
        var isSub = t && t.parent && tac.techniques.indexOf(t.parent) >= 0;
        var cls = 'cell' + (isSub ? ' sub' : '') + (v.level ? ' l' + v.level : '') + (state.selected === id ? ' sel' : '');
        var tip = id + ' ' + (t ? t.full_name : '') + ' — ' + (v.count ? v.count + ' ' + LAYERS[state.layer].unit : 'none');
        list.appendChild(h('button', { type: 'button', class: cls, 'data-technique': id, 'data-level': String(v.level), title: tip, role: 'gridcell',
          onclick: function () { select(id, false); } },
          h('span', { class: 'tid', text: isSub ? '.' + id.split('.')[1] : id }),
          h('span', { class: 'tname', text: t ? t.name : id }),
          v.count ? h('span', { class: 'count', text: String(v.count) }) : null));
        cells++;
        if (v.level) hot++;
      });
      col.appendChild(list);
      el.appendChild(col);
    });
    var off = Object.keys(D.techniques).filter(function (id) {
      var t = tech(id);
      return !t.in_matrix && (t.findings.count || t.alerts.count || t.incidents.length);
    });
    var offEl = clear(document.getElementById('offmatrix'));
    if (off.length) add(offEl, ['Also seen, outside the Containers matrix: ', off.map(techLink)]);
    root.setAttribute('data-heatmap-cells', String(cells));
    root.setAttribute('data-hot-cells', String(hot));
    root.setAttribute('data-layer', state.layer);
  }

  function setLayer(layer) {
    if (!LAYERS[layer]) return;
    state.layer = layer;
    toggles(); legend(); matrix(); writeHash();
  }

  function writeHash() {
    var hash = '#layer=' + state.layer + (state.selected ? '&technique=' + state.selected : '');
    try { history.replaceState(null, '', hash); } catch (e) { /* file URLs in some browsers */ }
  }

  function table(head, rows) {
    return h('table', null, h('thead', null, h('tr', null, head.map(function (c) {
      return h('th', { class: c.num ? 'num' : null, text: c.label || c });
    }))), h('tbody', null, rows));
  }

  function findingRows(ids, cap) {
    return ids.slice(0, cap).map(function (i) {
      var f = D.findings[i];
      return h('tr', null, h('td', null, severityPill(f.severity)),
        h('td', { class: 'mono nowrap', text: f.check }),
        h('td', null, h('div', { text: f.message }), h('div', { class: 'muted', text: 'Fix: ' + f.remediation })),
        h('td', null, h('div', { text: f.object }), f.subject ? h('div', { class: 'muted', text: f.subject }) : null),
        h('td', { class: 'mono', text: f.location }));
    });
  }

  function alertRows(ids, cap) {
    return ids.slice(0, cap).map(function (i) {
      var a = D.alerts[i];
      return h('tr', null, h('td', { class: 'mono', text: time(a.time) }), h('td', null, severityPill(a.priority)),
        h('td', null, h('span', { class: 'chip', text: a.source })),
        h('td', null, h('div', { text: a.rule }), h('div', { class: 'muted', text: a.output })),
        h('td', null, h('div', { text: a.target }), a.actor ? h('div', { class: 'muted', text: a.actor }) : null));
    });
  }

  function select(id, scroll) {
    state.selected = id;
    var t = tech(id), el = clear(document.getElementById('detail'));
    Array.prototype.forEach.call(document.querySelectorAll('.cell.sel'), function (c) { c.classList.remove('sel'); });
    Array.prototype.forEach.call(document.querySelectorAll('.cell[data-technique="' + id + '"]'), function (c) { c.classList.add('sel'); });
    writeHash();
    if (!t) { el.appendChild(h('p', { class: 'empty', text: 'Unknown technique ' + id })); return; }
    var cov = t.coverage, covLabel = ['none', 'claimed', 'deployed', 'validated'][cov.level];
    add(el, [
      h('div', { class: 'detail-head' }, h('h2', { text: t.full_name }), h('span', { class: 'tid', text: id }),
        t.tactics.map(function (s) { return h('span', { class: 'chip', text: tacticName(s) }); }),
        h('a', { href: t.url, rel: 'noopener noreferrer', target: '_blank', text: 'ATT&CK page' })),
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('b', { text: String(t.findings.count) }), h('span', { text: 'posture findings' + (t.findings.worst ? ', worst ' + t.findings.worst : '') })),
        h('div', { class: 'stat' }, h('b', { text: String(t.alerts.count) }), h('span', { text: 'alerts' + (t.alerts.worst ? ', highest ' + t.alerts.worst : '') })),
        h('div', { class: 'stat' }, h('b', { text: covLabel }), h('span', { text: 'coverage: ' + plural(cov.claimed.length, 'check or rule', 'checks and rules') })))
    ]);
    if (t.incidents.length) {
      el.appendChild(h('p', null, 'In incidents: ', t.incidents.map(function (x) {
        return h('a', { class: 'chip mono', href: '#' + x, text: x });
      })));
    }
    var CAP = 200;
    el.appendChild(h('h3', { text: 'Posture findings (' + t.findings.count + ')' }));
    if (t.finding_ids.length) {
      el.appendChild(table(['Severity', 'Check', 'What and how to fix', 'Object', 'Location'], findingRows(t.finding_ids, CAP)));
      if (t.finding_ids.length > CAP || t.findings.count > t.finding_ids.length) el.appendChild(h('p', { class: 'note', text: 'Showing ' + Math.min(CAP, t.finding_ids.length) + ' of ' + t.findings.count + ' findings.' }));
    } else el.appendChild(h('p', { class: 'empty', text: 'No posture finding enables this technique.' }));
    el.appendChild(h('h3', { text: 'Alerts (' + t.alerts.count + ')', style: 'margin-top:14px' }));
    if (t.alert_ids.length) {
      el.appendChild(table(['Time', 'Priority', 'Source', 'Rule and output', 'Where and who'], alertRows(t.alert_ids, CAP)));
      if (t.alert_ids.length > CAP || t.alerts.count > t.alert_ids.length) el.appendChild(h('p', { class: 'note', text: 'Showing ' + Math.min(CAP, t.alert_ids.length) + ' of ' + t.alerts.count + ' alerts.' }));
    } else el.appendChild(h('p', { class: 'empty', text: 'No alert shows this technique.' }));
    el.appendChild(h('h3', { text: 'Coverage', style: 'margin-top:14px' }));
    if (cov.claimed.length) {
      el.appendChild(h('ul', { class: 'plain' }, cov.claimed.map(function (c) {
        var lvl = cov.validated.indexOf(c) >= 0 ? 'validated' : cov.deployed.indexOf(c) >= 0 ? 'deployed' : 'claimed';
        return h('li', null, h('span', { class: 'mono', text: c }), ' ', h('span', { class: 'muted', text: '(' + lvl + ')' }));
      })));
    } else el.appendChild(h('p', { class: 'empty', text: 'No Palisade check or rule covers this technique yet.' }));
    root.setAttribute('data-selected', id);
    if (scroll) el.scrollIntoView({ block: 'start' });
  }

  function detailPlaceholder() {
    var el = clear(document.getElementById('detail'));
    add(el, [h('h2', { text: 'Technique drill-down' }),
      h('p', { class: 'muted', text: 'Select a technique in the matrix to see the findings that enable it, the alerts that show it, the incidents it is part of and what covers it.' })]);
  }

  function scoreClass(s) { return s >= 75 ? 's4' : s >= 50 ? 's3' : s >= 25 ? 's2' : 's1'; }

  function incidentCard(x) {
    var who = x.identities[0] || x.workloads[0] || (x.nodes[0] ? 'node ' + x.nodes[0] : 'Activity');
    who = who.charAt(0).toUpperCase() + who.slice(1);
    var card = h('article', { class: 'incident', id: x.id });
    add(card, h('div', { class: 'incident-head' },
      h('div', { class: 'score ' + scoreClass(x.score), title: 'score ' + x.score.toFixed(1) + '/100, confidence ' + x.confidence.toFixed(2) }, x.score.toFixed(0), h('small', { text: 'score' })),
      h('div', { class: 'who' }, h('h3', { text: who + ': ' + plural(x.tactics.length, 'tactic') + ', ' + plural(x.steps.length, 'technique') }),
        h('div', { class: 'when', text: time(x.first_seen) + ' → ' + clock(x.last_seen) + ' (' + duration(x.first_seen, x.last_seen) + ') · ' +
          plural(x.alert_count, 'alert') + ' · ' + plural(x.finding_count, 'posture finding') + ' · highest priority ' + x.max_priority + (x.cluster ? ' · cluster ' + x.cluster : '') })),
      h('span', { class: 'mono muted', text: x.id })));
    var present = {};
    x.steps.forEach(function (s) { s.tactics.forEach(function (t) { present[t] = (present[t] || 0) + 1; }); });
    card.appendChild(h('ol', { class: 'progression', 'aria-label': 'Tactic progression' }, D.tactics.map(function (tac) {
      var n = present[tac.shortname];
      return h('li', { class: n ? 'on' : null, style: n ? 'background:' + tacticColor(tac.shortname) : null, title: tac.name + (n ? ': ' + plural(n, 'technique') : ': not seen') },
        tac.name, n ? h('b', { text: plural(n, 'technique') }) : null);
    })));
    var t0 = ms(x.first_seen), span = Math.max(ms(x.last_seen) - t0, 1);
    var steps = x.steps.slice().sort(function (a, b) { return ms(a.first_seen) - ms(b.first_seen) || tacticIndex(a.tactics[0]) - tacticIndex(b.tactics[0]); });
    var tl = h('div', { class: 'timeline', 'aria-label': 'Timeline' });
    steps.forEach(function (s) {
      var tac = s.tactics[0] || '', left = 100 * (ms(s.first_seen) - t0) / span, width = 100 * (ms(s.last_seen) - ms(s.first_seen)) / span;
      left = Math.min(Math.max(left, 0), 99);
      tl.appendChild(h('div', { class: 'tl-row' },
        h('div', { class: 'tl-label', title: s.technique + ' ' + s.name + ' — ' + s.tactics.map(tacticName).join(', ') + (s.objects.length ? ' — ' + s.objects.join(', ') : '') },
          h('span', { class: 'dot', style: 'background:' + tacticColor(tac) }),
          h('button', { class: 'chip mono', onclick: function () { select(s.technique, true); }, text: s.technique }), ' ', s.name, ' ',
          h('span', { class: 'tac', text: s.tactics.map(tacticName).join(', ') })),
        h('div', { class: 'tl-track' }, h('span', { class: 'tl-mark', title: time(s.first_seen) + (s.last_seen !== s.first_seen ? ' → ' + clock(s.last_seen) : ''),
          style: 'left:' + left + '%;width:' + Math.max(width, 0.8) + '%;background:' + tacticColor(tac) })),
        h('div', { class: 'tl-n', text: s.count + '×' })));
    });
    var ticks = h('div', { class: 'ticks' }), real = ms(x.last_seen) - t0;
    for (var i = 0; i <= (real > 0 ? 4 : 0); i++) {
      var iso = new Date(t0 + span * i / 4).toISOString();
      ticks.appendChild(h('span', { text: real < 10000 ? iso.slice(11, 23) : clock(iso) }));
    }
    tl.appendChild(h('div', { class: 'tl-axis' }, h('span', { text: 'UTC, first seen → last seen' }), ticks, h('span')));
    card.appendChild(tl);
    var ents = h('div', { class: 'entities' });
    [['Identities', x.identities], ['Workloads', x.workloads], ['Namespaces', x.namespaces], ['Nodes', x.nodes], ['Source IPs', x.source_ips], ['Objects', x.objects]].forEach(function (p) {
      if (p[1].length) ents.appendChild(h('div', null, h('span', { class: 'k', text: p[0] + ':' }), p[1].map(function (v) { return h('span', { class: 'chip', text: v }); })));
    });
    card.appendChild(ents);
    card.appendChild(h('p', { class: 'explanation', text: x.explanation }));
    var alerts = x.evidence.filter(function (e) { return e.kind === 'alert'; }).length;
    var det = h('details', null, h('summary', { text: 'Evidence: ' + plural(alerts, 'alert') + (x.evidence_omitted ? ' (+' + x.evidence_omitted + ' not listed)' : '') + ', ' + plural(x.evidence.length - alerts, 'posture finding') }));
    det.appendChild(table(['When', 'Severity', 'Rule or check', 'Summary', 'Techniques', 'Source'], x.evidence.map(function (e) {
      return h('tr', null, h('td', { class: 'mono', text: e.time ? clock(e.time) : 'posture' }), h('td', null, severityPill(e.severity)),
        h('td', { text: e.rule_or_check }), h('td', { text: e.summary }),
        h('td', null, e.techniques.map(techLink)), h('td', { class: 'mono', text: e.source + ' ' + e.source_ref }));
    })));
    card.appendChild(det);
    return card;
  }

  function incidents() {
    var el = clear(document.getElementById('incidents'));
    el.appendChild(h('h2', { text: 'Incidents (' + D.incidents.length + ')' }));
    if (!D.incidents.length) {
      el.appendChild(h('p', { class: 'empty', text: D.totals.alerts ? 'No incident.' : 'No alerts were read, so there is nothing to correlate. Give audit logs (--audit), alert files (--alerts) or a store (--store).' }));
      return;
    }
    el.appendChild(h('p', { class: 'muted', text: 'Alerts joined per workload and identity, with the posture findings that made them possible; highest score first. Each timeline row is a technique, placed at the time it was first and last seen.' }));
    D.incidents.forEach(function (x) { el.appendChild(incidentCard(x)); });
  }

  function counts(c) {
    return SEVERITIES.map(function (s) {
      return h('td', { class: 'num' }, c[s] ? h('span', { class: 'pill ' + s, text: String(c[s]) }) : h('span', { class: 'zero', text: '·' }));
    });
  }

  function posture() {
    var el = clear(document.getElementById('posture'));
    el.appendChild(h('h2', { text: 'Posture by namespace and workload' }));
    if (!D.posture.length) { el.appendChild(h('p', { class: 'empty', text: 'No posture findings.' })); return; }
    var rows = [];
    D.posture.forEach(function (g) {
      rows.push(h('tr', { class: 'group' }, h('td', { text: g.label }), counts(g.counts),
        h('td', { class: 'num', text: g.alerts ? String(g.alerts) : '·' }), h('td', { text: plural(g.techniques.length, 'technique') })));
      g.workloads.forEach(function (w) {
        rows.push(h('tr', { class: 'wl' }, h('td', null, h('div', { text: w.label }), h('div', { class: 'muted mono', text: w.files.join(', ') })), counts(w.counts),
          h('td', { class: 'num' }), h('td', null, w.techniques.map(techLink), h('div', { class: 'muted mono', text: w.checks.join(', ') }))));
      });
    });
    el.appendChild(table(['Namespace / workload'].concat(SEVERITIES.map(function (s) { return { label: s, num: true }; }), [{ label: 'Alerts', num: true }, 'Techniques enabled and checks']), rows));
  }

  function inputs() {
    var el = clear(document.getElementById('inputs')), S = D.sources;
    el.appendChild(h('h2', { text: 'Inputs' }));
    var items = [];
    if (S.scanned.length) items.push(h('li', null, 'Scanned ' + S.scanned.join(', ') + ': ' + plural(S.files, 'file') + ', ' + plural(S.objects, 'object') + '.'));
    if (S.audit_logs.length) items.push(h('li', null, 'Audit logs ' + S.audit_logs.join(', ') + ': ' + fmt(S.events_read) + ' events read, ' + fmt(S.events_parsed) + ' parsed, ' + fmt(S.events_skipped) + ' skipped.'));
    if (S.alert_files.length) items.push(h('li', null, 'Alert files ' + S.alert_files.join(', ') + '.'));
    if (S.store) items.push(h('li', null, 'Store ' + S.store + ': every stored alert and the latest stored scan.'));
    items.push(h('li', null, plural(D.totals.findings, 'active finding') + ' (' + D.totals.findings_listed + ' listed), ' + plural(D.totals.suppressed, 'suppressed finding') + ', ' + plural(D.totals.alerts, 'alert') + ' (' + D.totals.alerts_listed + ' listed).'));
    el.appendChild(h('ul', { class: 'plain' }, items));
    if (S.problems.length) {
      el.appendChild(h('h3', { text: 'Problems (' + S.problems.length + ')' }));
      el.appendChild(h('ul', { class: 'plain mono' }, S.problems.map(function (p) { return h('li', { text: p }); })));
    }
  }

  function readHash() {
    var out = {};
    String(location.hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  try {
    var want = readHash();
    state.layer = LAYERS[want.layer] ? want.layer : D.totals.findings ? 'findings' : D.totals.alerts ? 'alerts' : 'coverage';
    summary(); toggles(); legend(); matrix(); detailPlaceholder(); incidents(); posture(); inputs();
    if (want.technique && tech(want.technique)) select(want.technique, false);
    root.setAttribute('data-rendered', 'true');
  } catch (e) {
    if (window.__palisadeRecordError) window.__palisadeRecordError('render failed: ' + (e && e.stack || e));
    throw e;
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{AlertActor, AlertWorkload, Location, ObjectRef, Subject, Suppression};

    fn finding(check: &str, severity: Severity, techniques: &[&str], object: ObjectRef) -> Finding {
        Finding {
            check: check.into(),
            title: format!("title of {check}"),
            severity,
            techniques: techniques.iter().map(|t| (*t).to_owned()).collect(),
            tactics: Vec::new(),
            message: format!("message of {check}"),
            remediation: "fix it".into(),
            location: Location {
                path: "k8s/app.yaml".into(),
                line: 3,
                column: 5,
                pointer: String::new(),
            },
            object: Some(object),
            subject: None,
            suppressed: None,
        }
    }

    fn object(kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: Some(name.into()),
            document: 0,
        }
    }

    fn alert(
        time: &str,
        rule: &str,
        priority: &str,
        source: &str,
        techniques: &[&str],
    ) -> AlertRecord {
        AlertRecord {
            schema: "palisade.alert/v1".into(),
            time: time.into(),
            rule: rule.into(),
            priority: priority.into(),
            techniques: techniques.iter().map(|t| (*t).to_owned()).collect(),
            tactics: Vec::new(),
            source: source.into(),
            output: format!("{rule} fired"),
            workload: AlertWorkload {
                namespace: Some("shop".into()),
                pod: Some("web-1".into()),
                container: Some("app".into()),
                ..AlertWorkload::default()
            },
            actor: AlertActor {
                user: Some("system:serviceaccount:shop:ci".into()),
                ..AlertActor::default()
            },
            event_id: Some("e1".into()),
            fields: BTreeMap::new(),
        }
    }

    fn tactics() -> Vec<HtmlTactic> {
        vec![
            HtmlTactic {
                id: "TA0002".into(),
                shortname: "execution".into(),
                name: "Execution".into(),
                techniques: vec!["T1053".into(), "T1053.007".into(), "T1609".into()],
            },
            HtmlTactic {
                id: "TA0004".into(),
                shortname: "privilege-escalation".into(),
                name: "Privilege Escalation".into(),
                techniques: vec!["T1053".into(), "T1053.007".into(), "T1611".into()],
            },
        ]
    }

    fn metas() -> Vec<HtmlTechnique> {
        let t =
            |id: &str, name: &str, parent: Option<(&str, &str)>, tactics: &[&str]| HtmlTechnique {
                id: id.into(),
                name: name.into(),
                parent: parent.map(|p| p.0.to_owned()),
                parent_name: parent.map(|p| p.1.to_owned()),
                tactics: tactics.iter().map(|t| (*t).to_owned()).collect(),
            };
        vec![
            t(
                "T1053",
                "Scheduled Task/Job",
                None,
                &["execution", "privilege-escalation"],
            ),
            t(
                "T1053.007",
                "Container Orchestration Job",
                Some(("T1053", "Scheduled Task/Job")),
                &["execution", "privilege-escalation"],
            ),
            t(
                "T1609",
                "Container Administration Command",
                None,
                &["execution"],
            ),
            t("T1611", "Escape to Host", None, &["privilege-escalation"]),
        ]
    }

    fn sample_data(findings: &[Finding], alerts: &[AlertRecord], limits: HtmlLimits) -> ReportData {
        let tactics = tactics();
        let metas = metas();
        let mut coverage = BTreeMap::new();
        coverage.insert(
            "T1611".to_owned(),
            HtmlCoverage {
                claimed: vec!["PAL-K8S-001".into(), "rule: Privileged Pod".into()],
                deployed: vec!["PAL-K8S-001".into(), "rule: Privileged Pod".into()],
                validated: vec!["PAL-K8S-001".into()],
            },
        );
        coverage.insert(
            "T1609".to_owned(),
            HtmlCoverage {
                claimed: vec!["rule: Exec Into Pod".into()],
                deployed: Vec::new(),
                validated: Vec::new(),
            },
        );
        let incidents = vec![IncidentView {
            id: "inc-0123456789abcdef".into(),
            cluster: None,
            first_seen: "2026-11-26T10:00:00.000Z".into(),
            last_seen: "2026-11-26T10:05:00.000Z".into(),
            score: 85.0,
            confidence: 1.0,
            max_priority: "critical".into(),
            max_priority_rule: "Privileged Pod".into(),
            alert_count: 2,
            finding_count: 1,
            evidence_omitted: 0,
            namespaces: vec!["shop".into()],
            workloads: vec!["pod shop/web-1".into()],
            identities: vec!["service account shop/ci".into()],
            nodes: Vec::new(),
            source_ips: Vec::new(),
            objects: Vec::new(),
            tactics: vec!["execution".into(), "privilege-escalation".into()],
            steps: vec![IncidentStep {
                technique: "T1611".into(),
                name: "Escape to Host".into(),
                tactics: vec!["privilege-escalation".into()],
                first_seen: "2026-11-26T10:00:00.000Z".into(),
                last_seen: "2026-11-26T10:00:00.000Z".into(),
                count: 1,
                objects: vec!["pod shop/web-1".into()],
            }],
            evidence: Vec::new(),
            explanation: "Service account shop/ci did things.".into(),
        }];
        let sources = ReportSources {
            scanned: vec!["k8s/".into()],
            files: 1,
            objects: 2,
            ..ReportSources::default()
        };
        report_data(&HtmlInput {
            title: "Palisade report",
            generated: "2026-11-26T12:00:00Z",
            tool_version: "0.1.0",
            attack_version: "18.1",
            tactics: &tactics,
            techniques: &metas,
            findings,
            alerts,
            incidents: &incidents,
            coverage: &coverage,
            sources: &sources,
            limits,
        })
    }

    fn sample_findings() -> Vec<Finding> {
        let mut rbac = finding(
            "PAL-RBAC-004",
            Severity::High,
            &["T1609"],
            ObjectRef {
                api_version: "rbac.authorization.k8s.io/v1".into(),
                kind: "ClusterRoleBinding".into(),
                namespace: None,
                name: Some("ci".into()),
                document: 0,
            },
        );
        rbac.subject = Some(Subject {
            kind: "ServiceAccount".into(),
            name: "ci".into(),
            namespace: Some("shop".into()),
            role: "ClusterRole/ci".into(),
            binding: "ClusterRoleBinding/ci".into(),
        });
        let mut suppressed = finding(
            "PAL-K8S-008",
            Severity::Medium,
            &["T1611"],
            object("DaemonSet", Some("kube-system"), "cni"),
        );
        suppressed.suppressed = Some(Suppression {
            by: "annotation".into(),
            reason: "CNI".into(),
            expires: None,
        });
        let mut docker = finding(
            "PAL-DF-001",
            Severity::Low,
            &["T1610"],
            ObjectRef {
                api_version: "dockerfile".into(),
                kind: "Dockerfile".into(),
                namespace: None,
                name: None,
                document: 0,
            },
        );
        docker.location.path = "Dockerfile".into();
        vec![
            finding(
                "PAL-K8S-001",
                Severity::Critical,
                &["T1611"],
                object("Deployment", Some("shop"), "web"),
            ),
            finding(
                "PAL-K8S-032",
                Severity::High,
                &["T1053.007", "T1496.001"],
                object("CronJob", Some("shop"), "log-rotate"),
            ),
            finding(
                "PAL-K8S-017",
                Severity::Medium,
                &["T1611"],
                object("Deployment", None, "api"),
            ),
            rbac,
            suppressed,
            docker,
        ]
    }

    fn sample_alerts() -> Vec<AlertRecord> {
        vec![
            alert(
                "2026-11-26T10:00:00.000Z",
                "Privileged Pod",
                "critical",
                "k8s_audit",
                &["T1611"],
            ),
            alert(
                "2026-11-26T10:01:00.000Z",
                "Exec Into Pod",
                "notice",
                "k8s_audit",
                &["T1609"],
            ),
            alert(
                "2026-11-26T10:02:00.000Z",
                "Nsenter In Container",
                "warning",
                "runtime",
                &["T1611", "T1611"],
            ),
        ]
    }

    #[test]
    fn data_model_snapshot() {
        let data = sample_data(&sample_findings(), &sample_alerts(), HtmlLimits::default());
        insta::assert_snapshot!(serde_json::to_string_pretty(&data).unwrap());
    }

    #[test]
    fn layers_count_and_heat_per_technique() {
        let data = sample_data(&sample_findings(), &sample_alerts(), HtmlLimits::default());
        let t1611 = &data.techniques["T1611"];
        // The suppressed finding is counted apart, not on the matrix.
        assert_eq!(t1611.findings.count, 2);
        assert_eq!(t1611.findings.level, 4);
        assert_eq!(t1611.findings.worst.as_deref(), Some("critical"));
        // Alerts of every source; a technique named twice by one alert counts once.
        assert_eq!(t1611.alerts.count, 2);
        assert_eq!(t1611.alerts.level, 4);
        assert_eq!(t1611.coverage.level, 3);
        assert_eq!(data.techniques["T1609"].coverage.level, 1);
        assert_eq!(data.techniques["T1609"].alerts.level, 1);
        assert_eq!(t1611.incidents, vec!["inc-0123456789abcdef"]);
        // Outside the matrix: kept, flagged.
        assert!(!data.techniques["T1496.001"].in_matrix);
        assert!(data.techniques["T1053.007"].in_matrix);
        assert_eq!(data.totals.suppressed, 1);
        assert_eq!(data.totals.findings, 5);
        assert_eq!(data.totals.alerts_by_source["runtime"], 1);
        assert_eq!(data.totals.matrix_techniques, 4);
        assert_eq!(data.totals.techniques_with_findings, 3);
        assert_eq!(data.totals.techniques_with_alerts, 2);
        assert_eq!(data.totals.techniques_validated, 1);
    }

    #[test]
    fn posture_groups_by_namespace_workload_and_subject() {
        let data = sample_data(&sample_findings(), &sample_alerts(), HtmlLimits::default());
        let keys: Vec<&str> = data.posture.iter().map(|g| g.key.as_str()).collect();
        // shop holds the critical finding; a namespaced object without namespace is in
        // default; files outside Kubernetes are a group of their own.
        assert_eq!(keys, vec!["shop", "default", "~files"]);
        let shop = &data.posture[0];
        let labels: Vec<&str> = shop.workloads.iter().map(|w| w.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["Deployment web", "CronJob log-rotate", "ServiceAccount ci"]
        );
        assert_eq!(shop.alerts, 3);
        assert_eq!(shop.counts.critical, 1);
        assert_eq!(shop.counts.high, 2);
    }

    #[test]
    fn limits_keep_the_most_severe_and_count_everything() {
        let limits = HtmlLimits {
            findings: 2,
            alerts: 1,
        };
        let data = sample_data(&sample_findings(), &sample_alerts(), limits);
        assert_eq!(data.findings.len(), 2);
        assert_eq!(data.findings[0].severity, "critical");
        assert_eq!(data.totals.findings, 5);
        assert_eq!(data.alerts.len(), 1);
        assert_eq!(data.alerts[0].rule, "Privileged Pod");
        assert_eq!(data.techniques["T1611"].alerts.count, 2);
        assert_eq!(data.techniques["T1611"].alert_ids, vec![0]);
        for t in data.techniques.values() {
            assert!(t.finding_ids.iter().all(|&i| i < data.findings.len()));
        }
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let hostile = "</script><script>alert(1)</script><!-- & \u{2028} </SCRIPT >";
        let escaped = json_for_script(&hostile);
        assert!(!escaped.contains('<'));
        assert!(!escaped.contains('>'));
        assert!(!escaped.contains('&'));
        assert!(!escaped.contains('\u{2028}'));
        assert!(escaped.contains("\\u003c/script\\u003e"));
        assert!(escaped.contains("\\u003c!--"));
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn html_escapes_markup_characters() {
        assert_eq!(
            escape_html(r#"<b a="1">'&'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn hostile_input_stays_data() {
        let mut findings = sample_findings();
        findings[0].message = "</script><script>window.pwned=1</script><!--".into();
        let mut alerts = sample_alerts();
        alerts[0].output = "<img src=x onerror=alert(1)> </style>".into();
        let mut data = sample_data(&findings, &alerts, HtmlLimits::default());
        data.title = "Report </title><script>x()</script>".into();
        let html = render_html(&data);
        // Exactly the page's own three scripts: the error trap, the data, the code.
        assert_eq!(html.matches("<script").count(), 3);
        assert_eq!(html.matches("</script>").count(), 3);
        assert_eq!(html.to_lowercase().matches("</script").count(), 3);
        assert!(!html.contains("<img"));
        assert!(!html.contains("<!--"));
        assert!(
            html.contains("<title>Report &lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>")
        );
        // The embedded JSON round-trips to the same text.
        let start = html.find("id=\"palisade-data\">").unwrap() + "id=\"palisade-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let value: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(
            value["findings"][0]["message"],
            "</script><script>window.pwned=1</script><!--"
        );
        assert_eq!(
            value["alerts"][0]["output"],
            "<img src=x onerror=alert(1)> </style>"
        );
    }

    #[test]
    fn page_is_self_contained() {
        let html = render_html(&sample_data(
            &sample_findings(),
            &sample_alerts(),
            HtmlLimits::default(),
        ));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Content-Security-Policy"));
        assert!(html.contains("default-src 'none'"));
        for needle in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(",
            "<link",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!html.contains(needle), "{needle} in the page");
        }
        // The only external URLs are the ATT&CK pages, as data for links.
        let stripped = html.replace("https://attack.mitre.org/techniques/", "");
        assert!(
            !stripped.contains("https://"),
            "an external URL besides ATT&CK pages"
        );
        assert!(!stripped.contains("http://"));
        // innerHTML is never used: input text goes through textContent.
        assert!(!html.contains("innerHTML"));
        assert!(!html.contains("document.write"));
    }

    #[test]
    fn rendering_is_deterministic() {
        let data = sample_data(&sample_findings(), &sample_alerts(), HtmlLimits::default());
        assert_eq!(render_html(&data), render_html(&data.clone()));
    }
}
