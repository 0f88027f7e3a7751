//! `palisade report`: one self-contained HTML file with the ATT&CK matrix as a heatmap,
//! incident timelines, a drill-down per technique and the posture per namespace.

use crate::catalogue::AttackOpts;
use crate::detect_cmd::{
    InputStats, alert_record, audit_engine, input_files, load_rules, replay_audit,
};
use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_attack::Catalogue;
use palisade_core::{AlertRecord, Finding, rfc3339_utc};
use palisade_correlate::{EvidenceKind, Incident};
use palisade_engine::EngineOptions;
use palisade_engine::k8s_audit::K8sAuditFields;
use palisade_report::html::{
    HtmlCoverage, HtmlInput, HtmlLimits, HtmlTactic, HtmlTechnique, IncidentEvidence, IncidentStep,
    IncidentView, ReportSources, render_report,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const REPORT_EXAMPLES: &str = "Examples:
  palisade report examples/ --audit examples/audit/cryptojacking-attack.jsonl -o report.html
  palisade report --store palisade.db -o incidents.html
(--help for more)";

/// Write one self-contained HTML report: the ATT&CK for Containers matrix as a heatmap
/// (posture findings, alerts or coverage), a drill-down per technique with its evidence,
/// the incidents with their timelines and tactic progression, and the posture per
/// namespace and workload.
///
/// Inputs can be combined: PATHs are scanned as by `palisade scan`, --audit logs replayed
/// as by `palisade detect`, --alerts files (palisade.alert/v1 JSON lines of any source: `palisade
/// detect --format jsonl`, a runtime sensor) read as they are, and --store adds every stored
/// alert and the latest stored scan. The alerts and findings are then correlated into
/// incidents as by `palisade incidents`.
///
/// The file loads nothing from the network (no fonts, scripts or images; a Content Security
/// Policy forbids it) and opens in any browser; its data is embedded as JSON
/// (palisade.report-data/v1). Exit code: 0 written; 2 usage error, or an input that could
/// not be read or parsed (the report is still written, listing the problem).
#[derive(Debug, Args)]
#[command(
    after_help = REPORT_EXAMPLES,
    after_long_help = concat!(
        "Inputs can be combined. PATHs are scanned as by `palisade scan`; --audit logs are replayed through the built-in Kubernetes audit rules (and --rules) as by `palisade detect`; --alerts files hold palisade.alert/v1 JSON lines of any source (`palisade detect --format jsonl`, the runtime sensor); --store adds every stored alert and the latest stored scan. Alerts and findings are then correlated into incidents as by `palisade incidents`, and each technique's coverage is computed as by `palisade coverage`.\n\n",
        "The page shows the ATT&CK for Containers matrix as a heatmap with three layers (posture findings: worst severity; alerts: highest priority; coverage: claimed, deployed, validated), a drill-down per technique (click a cell: its findings, alerts, incidents and covering checks and rules), every incident with its tactic progression, timeline, explanation and evidence, and the posture per namespace and workload.\n\n",
        "The file is self-contained: no network, fonts, images or external scripts, and a Content Security Policy forbids loading any. The data is embedded as JSON (palisade.report-data/v1). SOURCE_DATE_EPOCH fixes the `generated` time. See docs/report.md.\n\n",
        "Exit code: 0 written; 2 usage error, or an input that could not be read or parsed (the report is still written and lists the problem).\n\n",
        "Examples:\n",
        "  palisade report examples/ --audit examples/audit/cryptojacking-attack.jsonl -o report.html\n",
        "  palisade report k8s/ Dockerfile                      # posture only\n",
        "  palisade report --audit /var/log/kubernetes/audit.log --alerts runtime.jsonl\n",
        "  palisade report --store palisade.db -o incidents.html\n",
        "  palisade report k8s/ -o - > report.html\n\n",
        "Open the file and click a technique for its evidence. The address keeps the view:\n",
        "report.html#layer=alerts&technique=T1611"
    )
)]
pub struct ReportArgs {
    /// Manifests, RBAC, Dockerfiles, Compose files or directories to scan (as `palisade scan`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Kubernetes audit logs (files or directories; JSON lines, EventLists, gzip) to replay
    /// through the rules. Repeatable.
    #[arg(long = "audit", value_name = "LOG")]
    pub audit: Vec<PathBuf>,
    /// palisade.alert/v1 JSON lines from any source (`palisade detect --format jsonl`, the
    /// runtime sensor). Repeatable.
    #[arg(long = "alerts", value_name = "FILE")]
    pub alerts: Vec<PathBuf>,
    /// Also read every alert and the latest scan's findings kept in this store.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Extra rules files or directories (Falco format) for --audit, after the built-in pack.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,
    /// Central suppression file for the scan (default: .palisade-ignore.yaml, if present).
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Write the report here (`-` for stdout).
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "palisade-report.html"
    )]
    pub output: PathBuf,
    /// Title of the page.
    #[arg(long, default_value = "Palisade report")]
    pub title: String,
    /// List at most this many alerts and this many findings in the page (the most severe;
    /// everything is counted on the matrix).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub max_listed: usize,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// Technique ids of an alert expressed in `catalogue` (revoked ids follow their successor).
pub fn localise_alert(alert: &mut AlertRecord, catalogue: &Catalogue) {
    let mut ids: Vec<String> = Vec::with_capacity(alert.techniques.len());
    for t in &alert.techniques {
        let id = catalogue
            .resolve(t)
            .map_or_else(|| t.clone(), |x| x.id.clone());
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    alert.techniques = ids;
}

/// Read palisade.alert/v1 JSON lines; bad lines become problems.
fn read_alert_file(path: &std::path::Path, problems: &mut Vec<String>) -> Vec<AlertRecord> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            return Vec::new();
        }
    };
    let mut alerts = Vec::new();
    let mut bad = 0usize;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{}:{}: {e}", path.display(), n + 1));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<AlertRecord>(&line) {
            Ok(a) => alerts.push(a),
            Err(e) => {
                bad += 1;
                if bad <= 20 {
                    problems.push(format!(
                        "{}:{}: not a palisade.alert/v1 record: {e}",
                        path.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    if bad > 20 {
        problems.push(format!(
            "{}: {} more lines that are not alerts",
            path.display(),
            bad - 20
        ));
    }
    alerts
}

/// The incident as the HTML report shows it.
pub fn incident_view(incident: &Incident) -> IncidentView {
    IncidentView {
        id: incident.id.clone(),
        cluster: incident.cluster.clone(),
        first_seen: incident.first_seen.clone(),
        last_seen: incident.last_seen.clone(),
        score: incident.score.total,
        confidence: incident.confidence,
        max_priority: incident.score.max_priority.clone(),
        max_priority_rule: incident.score.max_priority_rule.clone(),
        alert_count: incident.alert_count,
        finding_count: incident.finding_count,
        evidence_omitted: incident.evidence_omitted,
        namespaces: incident.namespaces.clone(),
        workloads: incident.workloads.iter().map(|w| w.display()).collect(),
        identities: incident
            .identities
            .iter()
            .map(|i| format!("{} ({})", i.display, i.roles.join(", ")))
            .collect(),
        nodes: incident.nodes.clone(),
        source_ips: incident.source_ips.clone(),
        objects: incident.objects.clone(),
        tactics: incident
            .tactics
            .iter()
            .map(|t| t.shortname.clone())
            .collect(),
        steps: incident
            .techniques
            .iter()
            .map(|s| IncidentStep {
                technique: s.technique.clone(),
                name: s.name.clone(),
                tactics: s.tactic_shortnames.clone(),
                first_seen: s.first_seen.clone(),
                last_seen: s.last_seen.clone(),
                count: s.evidence_count,
                objects: s.objects.clone(),
            })
            .collect(),
        evidence: incident
            .evidence
            .iter()
            .map(|e| IncidentEvidence {
                kind: match e.kind {
                    EvidenceKind::Alert => "alert".into(),
                    EvidenceKind::Finding => "finding".into(),
                },
                time: e.time.clone(),
                rule_or_check: e.rule_or_check.clone(),
                severity: e.severity.clone(),
                techniques: e.techniques.clone(),
                summary: e.summary.clone(),
                source: e.source.clone(),
                source_ref: e.source_ref.clone(),
            })
            .collect(),
        explanation: incident.explanation.clone(),
    }
}

/// The matrix columns and the catalogue facts of every technique shown or referenced.
fn matrix_of(
    catalogue: &Catalogue,
    referenced: &BTreeSet<String>,
) -> (Vec<HtmlTactic>, Vec<HtmlTechnique>) {
    let mut tactics = Vec::new();
    let mut ids: BTreeSet<String> = referenced.clone();
    for (tactic, techniques) in catalogue.containers_matrix() {
        ids.extend(techniques.iter().map(|t| t.id.clone()));
        tactics.push(HtmlTactic {
            id: tactic.id.clone(),
            shortname: tactic.shortname.clone(),
            name: tactic.name.clone(),
            techniques: techniques.iter().map(|t| t.id.clone()).collect(),
        });
    }
    let techniques = ids
        .iter()
        .filter_map(|id| catalogue.technique(id))
        .map(|t| HtmlTechnique {
            id: t.id.clone(),
            name: t.name.clone(),
            parent: t.parent.clone(),
            parent_name: t
                .parent
                .as_deref()
                .and_then(|p| catalogue.technique(p))
                .map(|p| p.name.clone()),
            tactics: t.tactics.clone(),
        })
        .collect();
    (tactics, techniques)
}

/// Now as RFC 3339 UTC; `SOURCE_DATE_EPOCH` (seconds) makes it reproducible.
fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let ns = match secs {
        Some(s) => s.saturating_mul(1_000_000_000),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
    };
    let mut text = rfc3339_utc(ns);
    // Seconds are precise enough for a report header.
    if let Some(dot) = text.find('.') {
        text.truncate(dot);
        text.push('Z');
    }
    text
}

/// The report page of `findings`, `alerts` and `incidents` (their views, in the order to
/// show them): the matrix, each technique's coverage, the generation time
/// (`SOURCE_DATE_EPOCH`, else now). Shared by `palisade report` and `palisade demo`.
pub fn render_html(
    catalogue: &Catalogue,
    title: &str,
    findings: &[Finding],
    alerts: &[AlertRecord],
    views: &[IncidentView],
    sources: &ReportSources,
    max_listed: usize,
) -> String {
    let coverage: BTreeMap<String, HtmlCoverage> =
        crate::coverage_cmd::technique_coverage(catalogue)
            .into_iter()
            .map(|(id, c)| {
                (
                    id,
                    HtmlCoverage {
                        claimed: c.claimed.into_iter().collect(),
                        deployed: c.deployed.into_iter().collect(),
                        validated: c.validated.into_iter().collect(),
                    },
                )
            })
            .collect();

    let mut referenced: BTreeSet<String> = BTreeSet::new();
    referenced.extend(findings.iter().flat_map(|f| f.techniques.iter().cloned()));
    referenced.extend(alerts.iter().flat_map(|a| a.techniques.iter().cloned()));
    referenced.extend(
        views
            .iter()
            .flat_map(|v| v.steps.iter().map(|s| s.technique.clone())),
    );
    let (tactics, techniques) = matrix_of(catalogue, &referenced);
    let generated = generated_at();
    render_report(&HtmlInput {
        title,
        generated: &generated,
        tool_version: env!("CARGO_PKG_VERSION"),
        attack_version: &catalogue.version,
        tactics: &tactics,
        techniques: &techniques,
        findings,
        alerts,
        incidents: views,
        coverage: &coverage,
        sources,
        limits: HtmlLimits {
            findings: max_listed,
            alerts: max_listed,
        },
    })
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    if args.paths.is_empty()
        && args.audit.is_empty()
        && args.alerts.is_empty()
        && args.store.is_none()
    {
        bail!(
            "nothing to report on: give PATHs to scan, --audit logs, --alerts files or --store (see `palisade report --help`)"
        );
    }
    let catalogue = args.attack.catalogue()?;
    let mut sources = ReportSources::default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut alerts: Vec<AlertRecord> = Vec::new();
    let mut input_problem = false;

    if let Some(store) = &args.store {
        let (stored_alerts, stored_findings) = crate::incidents_cmd::load_store(store, catalogue)?;
        alerts.extend(stored_alerts);
        findings.extend(stored_findings);
        sources.store = Some(store.display().to_string());
    }

    if !args.paths.is_empty() {
        let (options, extra_errors) =
            crate::scan_cmd::scan_options(&[], &[], &[], args.suppressions.as_deref())?;
        let report =
            crate::scan_cmd::scan_paths(&args.paths, &options, extra_errors, false, catalogue);
        sources.scanned = args.paths.iter().map(|p| p.display().to_string()).collect();
        sources.files = report.files;
        sources.objects = report.objects;
        input_problem |= !report.errors.is_empty();
        sources
            .problems
            .extend(report.errors.iter().map(ToString::to_string));
        findings.extend(report.findings);
    }

    if !args.audit.is_empty() {
        let (loaded, rule_errors) = load_rules(&args.rules, false, true)?;
        let table = K8sAuditFields;
        let (mut engine, skipped) = audit_engine(&loaded, &table, &EngineOptions::default());
        if rule_errors + skipped > 0 {
            input_problem = true;
            sources.problems.push(format!(
                "{} rule errors (see the messages on stderr)",
                rule_errors + skipped
            ));
        }
        let files = input_files(&args.audit)?;
        let mut stats = InputStats::default();
        replay_audit(
            &files,
            &mut engine,
            &mut stats,
            &indicatif::ProgressBar::hidden(),
            false,
            |alert, event| alerts.push(alert_record(&alert, event, &table, catalogue)),
        );
        sources.audit_logs = args.audit.iter().map(|p| p.display().to_string()).collect();
        sources.events_read = stats.read;
        sources.events_parsed = stats.parsed;
        sources.events_skipped = stats.skipped.values().sum();
        input_problem |= sources.events_skipped > 0;
        sources.problems.extend(stats.problems);
    }

    for path in &args.alerts {
        let before = sources.problems.len();
        alerts.extend(read_alert_file(path, &mut sources.problems));
        input_problem |= sources.problems.len() > before;
        sources.alert_files.push(path.display().to_string());
    }

    for alert in &mut alerts {
        localise_alert(alert, catalogue);
    }
    let incidents = crate::incidents_cmd::incidents(catalogue, &alerts, &findings);
    let views: Vec<IncidentView> = incidents.iter().map(incident_view).collect();

    let html = render_html(
        catalogue,
        &args.title,
        &findings,
        &alerts,
        &views,
        &sources,
        args.max_listed,
    );

    if args.output.as_os_str() == "-" {
        let _ = std::io::stdout().lock().write_all(html.as_bytes());
    } else {
        std::fs::write(&args.output, &html)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        crate::outln!("{}", args.output.display());
    }
    let active = findings.iter().filter(|f| f.suppressed.is_none()).count();
    eprintln!(
        "palisade: report of {active} findings, {} alerts and {} incidents ({} KiB)",
        alerts.len(),
        incidents.len(),
        html.len().div_ceil(1024)
    );
    for problem in &sources.problems {
        eprintln!("palisade: {problem}");
    }
    Ok(if input_problem {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
