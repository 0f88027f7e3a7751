//! Palisade's posture scanner.
//!
//! Inputs (Kubernetes YAML/JSON, Dockerfiles, Compose files) become objects with spans; every
//! registered check runs over them; findings name the ATT&CK for Containers techniques the
//! misconfiguration enables. RBAC is judged across files as a graph. No I/O happens here: the
//! caller reads files and hands [`Source`]s in (in parallel if it likes, see [`Scanner`]).

pub mod checks;
pub mod compose;
pub mod dockerfile;
pub mod k8s;
pub mod rbac;
pub mod spot;
pub mod suppress;

use checks::{ClusterView, RawFinding, Reporter, Run, WorkloadSummary, all_checks};
use k8s::K8sObject;
use palisade_core::{Finding, InputError, InputErrorKind, Location, ScanReport, SkippedInput};
use palisade_yaml::{Limits, Schema, parse_stream};
use std::collections::HashMap;

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Kubernetes YAML or JSON.
    Kubernetes,
    /// Docker Compose.
    Compose,
    /// Dockerfile / Containerfile.
    Dockerfile,
}

/// One input.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path as the user gave it (`-` for stdin).
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Forced kind (otherwise decided from the name and content).
    pub kind: Option<FileKind>,
}

impl Source {
    /// A source from text.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            path: path.into(),
            bytes: text.into().into_bytes(),
            kind: None,
        }
    }
}

/// Scan options.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Variables for Compose interpolation.
    pub env: HashMap<String, String>,
    /// Suppressions from the central file.
    pub suppressions: Vec<suppress::Declared>,
    /// Today's date (`YYYY-MM-DD`) for suppression expiry.
    pub today: String,
    /// Parser limits.
    pub limits: Limits,
    /// Only run these check ids (empty = all).
    pub select: Vec<String>,
    /// Never run these check ids.
    pub ignore: Vec<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            env: HashMap::new(),
            suppressions: Vec::new(),
            today: "1970-01-01".into(),
            limits: Limits::default(),
            select: Vec::new(),
            ignore: Vec::new(),
        }
    }
}

/// How a file's name decides its kind; `None` means "not a file Palisade reads" when walking
/// directories.
pub fn kind_from_name(path: &str) -> Option<FileKind> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if is_template_name(&lower) {
        return None;
    }
    if lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("dockerfile-")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
    {
        return Some(FileKind::Dockerfile);
    }
    if compose::is_compose_file_name(name) {
        return Some(FileKind::Compose);
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json") {
        return Some(FileKind::Kubernetes);
    }
    None
}

/// Names of files that are templates of something else (`Dockerfile.template`,
/// `deploy.yaml.j2`): they only mean something after rendering.
pub fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".template",
        ".tmpl",
        ".tpl",
        ".j2",
        ".jinja",
        ".jinja2",
        ".gotmpl",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// What one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    findings: Vec<RawFinding>,
    errors: Vec<InputError>,
    skipped: Option<SkippedInput>,
    kept: Vec<K8sObject>,
    workloads: Vec<WorkloadSummary>,
    declared: Vec<suppress::Declared>,
    objects: usize,
    read: bool,
}

impl FileOutcome {
    /// The outcome of an input that could not be read at all.
    pub fn error(error: InputError) -> Self {
        FileOutcome {
            errors: vec![error],
            ..FileOutcome::default()
        }
    }
}

/// Kinds kept in memory after their file is scanned, for the cluster-wide checks.
const KEPT_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
];

/// Runs checks file by file (callable from many threads), then once over the cluster view.
pub struct Scanner<'o> {
    options: &'o ScanOptions,
    checks: Vec<&'static checks::Check>,
}

impl<'o> Scanner<'o> {
    /// A scanner with the checks selected by `options`.
    pub fn new(options: &'o ScanOptions) -> Self {
        let checks = all_checks()
            .into_iter()
            .filter(|c| {
                (options.select.is_empty()
                    || options.select.iter().any(|s| id_matches(s, c.info.id)))
                    && !options.ignore.iter().any(|s| id_matches(s, c.info.id))
            })
            .collect();
        Scanner { options, checks }
    }

    /// Scan one file.
    pub fn scan_source(&self, source: Source) -> FileOutcome {
        let mut out = FileOutcome::default();
        let path = source.path;
        if looks_binary(&source.bytes) {
            out.skipped = Some(SkippedInput {
                path,
                reason: "binary file".into(),
            });
            return out;
        }
        let text = match String::from_utf8(source.bytes) {
            Ok(t) => t,
            Err(e) => {
                out.skipped = Some(SkippedInput {
                    path,
                    reason: format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                });
                return out;
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        out.read = true;
        if path.to_ascii_lowercase().ends_with(".json") && !text.contains("apiVersion") {
            // package.json, tsconfig.json, data dumps: JSON without `apiVersion` cannot hold a
            // Kubernetes object.
            out.read = false;
            out.skipped = Some(SkippedInput {
                path,
                reason: "JSON without `apiVersion`: not a Kubernetes manifest".into(),
            });
            return out;
        }
        let kind = source
            .kind
            .or_else(|| kind_from_name(&path).filter(|_| path != "-"))
            .unwrap_or_else(|| sniff(text));
        out.declared = suppress::inline_suppressions(
            &path,
            text,
            kind != FileKind::Dockerfile,
            &mut out.errors,
        );
        match kind {
            FileKind::Dockerfile => self.scan_dockerfile(&path, text, &mut out),
            FileKind::Kubernetes | FileKind::Compose => self.scan_yaml(&path, text, kind, &mut out),
        }
        out
    }

    fn scan_dockerfile(&self, path: &str, text: &str, out: &mut FileOutcome) {
        let df = dockerfile::parse_dockerfile(path, text);
        for e in &df.errors {
            out.errors.push(InputError {
                path: path.to_owned(),
                line: e.line,
                column: e.column,
                message: e.message.clone(),
                kind: InputErrorKind::Parse,
            });
        }
        out.objects += df.stages.len().max(1);
        for check in &self.checks {
            if let Run::Dockerfile(f) = check.run {
                f(&df, &mut Reporter::new(&check.info, &mut out.findings));
            }
        }
    }

    fn scan_yaml(&self, path: &str, text: &str, kind: FileKind, out: &mut FileOutcome) {
        let schema = if kind == FileKind::Compose {
            Schema::Compose
        } else {
            Schema::Kubernetes
        };
        let stream = parse_stream(text, schema, &self.options.limits);
        if let Some(e) = &stream.error {
            let template = helm_template_position(text);
            let (line, column, message, error_kind) = match (e.kind, template) {
                (palisade_yaml::YamlErrorKind::Syntax, Some((tl, tc))) => (
                    tl,
                    tc,
                    UNRENDERED.to_owned(),
                    InputErrorKind::UnrenderedTemplate,
                ),
                (palisade_yaml::YamlErrorKind::Limit, _) => {
                    (e.line, e.column, e.message.clone(), InputErrorKind::Limit)
                }
                _ => (e.line, e.column, e.message.clone(), InputErrorKind::Parse),
            };
            out.errors.push(InputError {
                path: path.to_owned(),
                line,
                column,
                message,
                kind: error_kind,
            });
        }
        // `name: {{ .Release.Name }}` is valid YAML (a map used as a key), so a Helm template
        // can parse; no Kubernetes or Compose document has such keys.
        let mut stream = stream;
        if stream.error.is_none()
            && text.contains("{{")
            && let Some(span) = stream.documents.iter().find_map(|d| complex_key(&d.root))
        {
            let column = text
                .lines()
                .nth(span.line.saturating_sub(1) as usize)
                .and_then(|l| l.find("{{"))
                .map_or(span.column, |c| c as u32 + 1);
            out.errors.push(InputError {
                path: path.to_owned(),
                line: span.line,
                column,
                message: UNRENDERED.to_owned(),
                kind: InputErrorKind::UnrenderedTemplate,
            });
            stream.documents.clear();
        }
        let is_compose = kind == FileKind::Compose
            || stream
                .documents
                .first()
                .is_some_and(|d| compose::looks_like_compose(&d.root));
        if is_compose {
            for mut doc in stream.documents {
                let mut interp_errors = Vec::new();
                compose::interpolate_tree(&mut doc.root, &self.options.env, &mut interp_errors);
                for (line, column, message) in interp_errors {
                    out.errors.push(InputError {
                        path: path.to_owned(),
                        line,
                        column,
                        message,
                        kind: InputErrorKind::Invalid,
                    });
                }
                for service in compose::services_from_document(path, doc.index, doc.root) {
                    out.objects += 1;
                    for check in &self.checks {
                        if let Run::Compose(f) = check.run {
                            f(&service, &mut Reporter::new(&check.info, &mut out.findings));
                        }
                    }
                }
            }
            return;
        }
        let loaded = k8s::objects_from_documents(path, stream.documents);
        for object in loaded.objects {
            out.objects += 1;
            if let Some(d) = suppress::annotation_suppression(&object, &mut out.errors) {
                out.declared.push(d);
            }
            let workload = object.workload();
            if let Some(w) = &workload {
                let (sa, sa_cursor) = w.service_account();
                let at = sa_cursor.unwrap_or_else(|| w.pod_spec.clone());
                out.workloads.push(WorkloadSummary {
                    origin: object.origin.clone(),
                    line: at.node.span.line,
                    column: at.node.span.column,
                    pointer: at.pointer.clone(),
                    namespace: w.namespace().to_owned(),
                    service_account: sa.to_owned(),
                    automount: w
                        .pod_spec
                        .get("automountServiceAccountToken")
                        .and_then(|c| c.as_bool()),
                });
            }
            for check in &self.checks {
                let mut reporter = Reporter::new(&check.info, &mut out.findings);
                match (check.run, &workload) {
                    (Run::Workload(f), Some(w)) => f(w, &mut reporter),
                    (Run::Object(f), _) => f(&object, &mut reporter),
                    _ => {}
                }
            }
            drop(workload);
            if KEPT_KINDS.contains(&object.kind()) {
                out.kept.push(object);
            }
        }
    }

    /// Join the per-file outcomes, run the cluster-wide checks, apply suppressions and
    /// produce the report (findings in path, line, column, check order).
    pub fn finish(&self, outcomes: Vec<FileOutcome>) -> ScanReport {
        let mut report = ScanReport::default();
        let mut raw = Vec::new();
        let mut kept = Vec::new();
        let mut workloads = Vec::new();
        let mut declared = self.options.suppressions.clone();
        for o in outcomes {
            report.files += usize::from(o.read);
            report.objects += o.objects;
            report.errors.extend(o.errors);
            report.skipped.extend(o.skipped);
            raw.extend(o.findings);
            kept.extend(o.kept);
            workloads.extend(o.workloads);
            declared.extend(o.declared);
        }
        let view = ClusterView {
            rbac: rbac::RbacGraph::build(kept.iter()),
            objects: &kept,
            workloads: &workloads,
        };
        for check in &self.checks {
            if let Run::Cluster(f) = check.run {
                f(&view, &mut Reporter::new(&check.info, &mut raw));
            }
        }
        raw.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.check.id, &a.message)
                .cmp(&(&b.path, b.line, b.column, b.check.id, &b.message))
        });
        raw.dedup();
        let (applied, suppressions) = suppress::apply(&raw, &declared, &self.options.today);
        report.suppressions = suppressions;
        report.findings = raw
            .into_iter()
            .zip(applied)
            .map(|(f, suppressed)| Finding {
                check: f.check.id.to_owned(),
                title: f.check.title.to_owned(),
                severity: f.check.severity,
                techniques: f.check.techniques.iter().map(|t| (*t).to_owned()).collect(),
                tactics: Vec::new(),
                message: f.message,
                remediation: f.check.remediation.to_owned(),
                location: Location {
                    path: f.path,
                    line: f.line,
                    column: f.column,
                    pointer: f.pointer,
                },
                object: f.object,
                subject: f.subject,
                suppressed,
            })
            .collect();
        report.errors.sort();
        report.skipped.sort();
        report
    }
}

fn id_matches(selector: &str, id: &str) -> bool {
    // `PAL-K8S` selects the whole family, `PAL-K8S-001` one check.
    let selector = selector.to_ascii_uppercase();
    id == selector || id.starts_with(&format!("{selector}-"))
}

/// Scan in-memory sources sequentially (tests, small inputs).
pub fn scan_sources(sources: Vec<Source>, options: &ScanOptions) -> ScanReport {
    let scanner = Scanner::new(options);
    let outcomes = sources
        .into_iter()
        .map(|s| scanner.scan_source(s))
        .collect();
    scanner.finish(outcomes)
}

/// NUL bytes in the first 8 KiB mean binary, as git and ripgrep decide.
fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// Decide the kind of stdin or an oddly named file from its content.
fn sniff(text: &str) -> FileKind {
    if dockerfile::looks_like_dockerfile(text) {
        FileKind::Dockerfile
    } else {
        FileKind::Kubernetes
    }
}

const UNRENDERED: &str = "unrendered template: this file contains `{{ ... }}` template actions (Helm or similar); render it first (e.g. `helm template`) and scan the output";

/// The span of the first mapping key that is itself a map or sequence.
fn complex_key(node: &palisade_yaml::Node) -> Option<palisade_yaml::Span> {
    match &node.value {
        palisade_yaml::Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if k.is_map() || k.is_seq() {
                Some(k.span)
            } else {
                complex_key(v)
            }
        }),
        palisade_yaml::Value::Seq(items) => items.iter().find_map(complex_key),
        _ => None,
    }
}

/// Position of the first `{{` that is not inside a comment, if the file has template actions.
fn helm_template_position(text: &str) -> Option<(u32, u32)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let code = line.split(" #").next().unwrap_or(line);
        if line.trim_start().starts_with('#') {
            return None;
        }
        let col = code.find("{{")?;
        code[col..]
            .contains("}}")
            .then_some((i as u32 + 1, col as u32 + 1))
    })
}
