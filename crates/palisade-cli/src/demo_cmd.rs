//! `palisade demo`: the example cryptojacking attack, embedded in the binary, run through
//! scan, detect (Kubernetes audit log and runtime recording) and correlation, shown as one
//! incident on the ATT&CK matrix and written as the HTML report.

use crate::catalogue::{AttackOpts, localise};
use crate::detect_cmd::{
    InputStats, alert_record, load_pack_rules, replay_audit_reader, replay_runtime_reader,
    runtime_alert_record, source_engine,
};
use crate::incidents_cmd::{TextView, fit, incidents_with, short_time};
use crate::report_cmd::{incident_view, localise_alert, render_html};
use crate::term::TermOpts;
use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_core::{AlertRecord, Finding, Severity};
use palisade_correlate::{EvidenceKind, Incident};
use palisade_engine::EngineOptions;
use palisade_engine::k8s_audit::K8sAuditFields;
use palisade_report::html::ReportSources;
use palisade_report::term_text::{sanitize, wrap};
use palisade_scan::{ScanOptions, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// An input embedded in the binary: its path in the repository and its text.
struct Embedded {
    path: &'static str,
    text: &'static str,
}

macro_rules! embed {
    ($path:literal) => {
        Embedded {
            path: $path,
            text: include_str!(concat!("../../../", $path)),
        }
    };
}

/// What `palisade scan examples/` reads, in the order it reads it.
const MANIFESTS: &[Embedded] = &[
    embed!("examples/compose/compose.yaml"),
    embed!("examples/docker/Dockerfile"),
    embed!("examples/docker/Dockerfile.hardened"),
    embed!("examples/kubernetes/ci-runner.yaml"),
    embed!("examples/kubernetes/cni.yaml"),
    embed!("examples/kubernetes/dashboard.yaml"),
    embed!("examples/kubernetes/log-rotate.yaml"),
    embed!("examples/kubernetes/node-agent.yaml"),
    embed!("examples/kubernetes/rbac.yaml"),
    embed!("examples/kubernetes/storefront.yaml"),
];

/// The API server's audit log of the attack (examples/audit/make_attack_log.py).
const AUDIT_LOG: Embedded = embed!("examples/audit/cryptojacking-attack.jsonl");

/// What the eBPF sensor recorded on the node meanwhile
/// (examples/runtime/make_runtime_recording.py).
const RUNTIME_RECORDING: Embedded = embed!("examples/runtime/cryptojacking-runtime.jsonl");

/// The day of the attack: suppression expiry is judged on it, so the demo's findings do
/// not change with the calendar.
const STORY_DAY: &str = "2026-11-26";

/// The attack as told by the data (times UTC).
const STORY: &[(&str, &str)] = &[
    (
        "10:00:00",
        "An anonymous request lists every pod: the status page's ClusterRoleBinding lets \
         anyone in. A password spray follows from another address.",
    ),
    (
        "10:02:18",
        "The CI service account's stolen token (shop/ci) lists secrets and the pods of \
         every namespace.",
    ),
    (
        "10:03:00",
        "It creates pod shop/kube-proxy-7xk2p: privileged, host PID and network, the \
         node's / mounted.",
    ),
    (
        "10:03:30",
        "kubectl exec into it: `nsenter -t 1 -m -u -i -n -p sh`, a root shell on node \
         worker-1, still in the pod's cgroup.",
    ),
    (
        "10:03:43",
        "From the node: a fresh shop/ci token from the kubelet's volumes, a miner \
         downloaded and started as `kswapd0` against stratum+tcp://pool.example.net:3333.",
    ),
    (
        "10:04:22",
        "A cron entry on the node, a security agent killed, the node's logs and root's \
         shell history wiped.",
    ),
    (
        "10:05:00",
        "A CronJob that mines too, cluster-admin for shop/ci, the namespace's events \
         deleted.",
    ),
];

/// Run an embedded cryptojacking attack through scan, detect and correlation, and show it
/// as one incident on the ATT&CK matrix.
///
/// A realistic attack on a small shop, from the exposed door to the miner, in a few seconds
/// and without a cluster. Everything is embedded in the binary (our own data, also in
/// examples/): the shop's manifests, Dockerfiles and Compose file that made the attack
/// possible, the Kubernetes audit log of the attack, and what the eBPF runtime sensor
/// recorded on the node where it happened. The demo scans the manifests, replays the audit
/// log through the Kubernetes audit rules and the recording through the runtime rules, and
/// correlates alerts and findings into incidents, as `palisade scan`, `palisade detect` and
/// `palisade incidents` do.
///
/// It prints the attack in a few lines and what each step found, then the attack as one
/// incident: the API server's side (stolen token, privileged pod, exec) and the runtime
/// sensor's side (nsenter into the host, the miner and its pool, logs wiped) joined through
/// the pod; its kill chain in ATT&CK order; the chain drawn on the ATT&CK for Containers
/// matrix; the generated explanation; the path alert by alert, audit and runtime in turn.
/// Then the posture findings that left the doors open, the other incidents, and the HTML
/// report (-o, default palisade-demo.html; --no-report for none): the matrix as a heatmap,
/// the incident's timeline, a drill-down per technique, the posture per namespace. Exit
/// code 0.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  palisade demo\n  palisade demo -o /tmp/attack.html --width 100\n  palisade demo --no-report --color never",
    after_long_help = "The data is in the repository too: examples/ (manifests), examples/audit/cryptojacking-attack.jsonl (the Kubernetes audit log) and examples/runtime/cryptojacking-runtime.jsonl (the runtime recording, palisade.runtime/v1), each written by a script next to it. To run the steps yourself:\n  palisade scan examples/\n  palisade detect examples/audit/cryptojacking-attack.jsonl\n  palisade detect --source runtime examples/runtime/cryptojacking-runtime.jsonl\n  palisade report examples/ --audit examples/audit/cryptojacking-attack.jsonl --alerts RUNTIME-ALERTS.jsonl\n\nThe matrix marks each technique of the incident with the order in which the attack reached it and its heat (~ notice, + warning, * error, # critical; coloured on terminals unless NO_COLOR is set or --color never). See docs/report.md and docs/correlation.md."
)]
pub struct DemoArgs {
    /// Write the HTML report here.
    #[arg(short, long, value_name = "FILE", default_value = "palisade-demo.html")]
    pub output: PathBuf,
    /// Do not write the HTML report.
    #[arg(long)]
    pub no_report: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// What one replay read and raised.
#[derive(Debug, Default)]
struct Replay {
    events: u64,
    alerts: Vec<AlertRecord>,
    problems: Vec<String>,
}

/// Replay the embedded audit log through the built-in Kubernetes audit rules, as
/// `palisade detect` does.
fn detect_audit(catalogue: &palisade_attack::Catalogue) -> Result<Replay> {
    let (loaded, rule_errors) = load_pack_rules("k8s_audit", &[], false, true)?;
    let table = K8sAuditFields;
    let (mut engine, skipped) = source_engine(&loaded, &table, &EngineOptions::default());
    if rule_errors + skipped > 0 {
        bail!("the built-in Kubernetes audit rules did not load");
    }
    let mut replay = Replay::default();
    let mut stats = InputStats::default();
    replay_audit_reader(
        AUDIT_LOG.path,
        AUDIT_LOG.text.as_bytes(),
        &mut engine,
        &mut stats,
        &indicatif::ProgressBar::hidden(),
        false,
        &mut |alert, event| {
            replay
                .alerts
                .push(alert_record(&alert, event, &table, catalogue));
        },
    );
    replay.events = stats.read;
    replay.problems = stats.problems;
    Ok(replay)
}

/// Replay the embedded runtime recording through the built-in runtime rules, as
/// `palisade detect --source runtime` does.
fn detect_runtime(catalogue: &palisade_attack::Catalogue) -> Result<Replay> {
    let (loaded, rule_errors) = load_pack_rules("runtime", &[], false, true)?;
    let table = palisade_runtime::RuntimeFields;
    let (mut engine, skipped) = source_engine(&loaded, &table, &EngineOptions::default());
    if rule_errors + skipped > 0 {
        bail!("the built-in runtime rules did not load");
    }
    let mut replay = Replay::default();
    let mut stats = InputStats::default();
    replay_runtime_reader(
        RUNTIME_RECORDING.path,
        RUNTIME_RECORDING.text.as_bytes(),
        &mut engine,
        &mut stats,
        &indicatif::ProgressBar::hidden(),
        &mut |alert, event| {
            replay
                .alerts
                .push(runtime_alert_record(&alert, event, catalogue));
        },
    );
    replay.events = stats.read;
    replay.problems = stats.problems;
    Ok(replay)
}

/// How the demo's text is laid out.
struct Page {
    width: usize,
    color: bool,
    out: String,
}

impl Page {
    /// A bold heading, wrapped.
    fn heading(&mut self, text: &str) {
        for line in wrap(&sanitize(text), self.width) {
            if self.color {
                let _ = writeln!(self.out, "\x1b[1m{line}\x1b[0m");
            } else {
                let _ = writeln!(self.out, "{line}");
            }
        }
    }

    /// `text` wrapped to the width, the first line after `first`, the others after
    /// `indent` spaces.
    fn para(&mut self, first: &str, indent: usize, text: &str) {
        let cols = self.width.saturating_sub(indent).max(20);
        for (i, line) in wrap(&sanitize(text), cols).into_iter().enumerate() {
            if i == 0 {
                let _ = writeln!(self.out, "{first:<indent$}{line}");
            } else {
                let _ = writeln!(self.out, "{:indent$}{line}", "");
            }
        }
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", fit(text, self.width));
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `8 critical, 17 high, ...` of the active findings.
fn severity_counts(findings: &[Finding]) -> String {
    let mut counts: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *counts.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.0.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The incident that joins both sources (else the highest scored).
fn main_incident(incidents: &[Incident]) -> Option<&Incident> {
    let sources = |i: &Incident| -> BTreeSet<String> {
        i.evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Alert)
            .map(|e| e.source.clone())
            .collect()
    };
    incidents
        .iter()
        .find(|i| sources(i).len() > 1)
        .or_else(|| incidents.first())
}

/// `k8s_audit` → `audit`, `runtime` → `runtime`.
fn source_label(source: &str) -> &str {
    if source.contains("audit") {
        "audit"
    } else {
        source
    }
}

/// The incident's alerts in time order, consecutive alerts of one rule and source as one
/// line: where the API server's view and the node's view take turns.
fn timeline(page: &mut Page, incident: &Incident) {
    let day = incident.first_seen.split('T').next().unwrap_or("");
    let alerts: Vec<_> = incident
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::Alert)
        .collect();
    let mut rows: Vec<(String, String, String, usize, Vec<String>)> = Vec::new();
    for e in alerts {
        let time = short_time(e.time.as_deref().unwrap_or(""), day);
        let source = source_label(&e.source).to_owned();
        match rows.last_mut() {
            Some(last) if last.1 == source && last.2 == e.rule_or_check => {
                last.3 += 1;
                for t in &e.techniques {
                    if !last.4.contains(t) {
                        last.4.push(t.clone());
                    }
                }
            }
            _ => rows.push((
                time,
                source,
                e.rule_or_check.clone(),
                1,
                e.techniques.clone(),
            )),
        }
    }
    let rule_w = page
        .width
        .saturating_sub(2 + 8 + 2 + 7 + 2 + 22)
        .clamp(20, 52);
    for (time, source, rule, n, techniques) in rows {
        let rule = if n > 1 { format!("{rule} ({n})") } else { rule };
        let rule = fit(&rule, rule_w);
        page.line(&format!(
            "  {time:<8}  {source:<7}  {rule:<rule_w$}  {}",
            techniques.join(" ")
        ));
    }
    if incident.evidence_omitted > 0 {
        page.line(&format!(
            "  ... and {} more alerts",
            incident.evidence_omitted
        ));
    }
}

/// The posture findings that let an attacker in (Initial Access, high or critical), one
/// line per check and object, saying which incident they explain.
fn doors(page: &mut Page, findings: &[Finding], incidents: &[Incident]) {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut rows: Vec<(Severity, String, String, String)> = Vec::new();
    for f in findings.iter().filter(|f| {
        f.suppressed.is_none()
            && f.severity >= Severity::High
            && f.tactics.iter().any(|t| t == "initial-access")
    }) {
        let object = f.object.as_ref().map_or_else(String::new, |o| {
            let mut s = o.kind.clone();
            if let Some(ns) = &o.namespace {
                let _ = write!(s, " {ns}/");
            } else {
                s.push(' ');
            }
            s.push_str(o.name.as_deref().unwrap_or(""));
            s
        });
        if !seen.insert((f.check.clone(), object.clone())) {
            continue;
        }
        let reference = format!("{}:{}", f.location.path, f.location.line);
        let used: Vec<&str> = incidents
            .iter()
            .filter(|i| {
                i.evidence.iter().any(|e| {
                    e.kind == EvidenceKind::Finding
                        && e.rule_or_check == f.check
                        && e.source_ref == reference
                })
            })
            .map(|i| i.id.as_str())
            .collect();
        let fate = if used.is_empty() {
            "open, unused in this log".to_owned()
        } else {
            format!("explains {}", used.join(", "))
        };
        rows.push((
            f.severity,
            format!("{} {}", f.check, f.title),
            format!("{object} ({reference})"),
            fate,
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (severity, what, object, fate) in rows {
        page.para(
            &format!("  {:<8} ", severity.as_str()),
            11,
            &format!("{what}: {object}; {fate}"),
        );
    }
}

/// One line (wrapped) per incident other than the main one.
fn other_incidents(page: &mut Page, incidents: &[Incident], main: &Incident) {
    for incident in incidents.iter().filter(|i| i.id != main.id) {
        let who: Vec<String> = incident
            .identities
            .iter()
            .map(|i| i.display.clone())
            .chain(incident.workloads.iter().map(|w| w.display()))
            .collect();
        let chain: Vec<String> = incident
            .techniques
            .iter()
            .map(|s| format!("{} ({})", s.name, s.technique))
            .collect();
        page.para(
            &format!("  {}  score {:.0}", incident.id, incident.score.total),
            34,
            &format!(
                "{}: {}",
                if who.is_empty() {
                    "unattributed".to_owned()
                } else {
                    who.join(", ")
                },
                chain.join(", ")
            ),
        );
        let shared: Vec<&str> = incident
            .source_ips
            .iter()
            .filter(|ip| main.source_ips.contains(ip))
            .map(String::as_str)
            .collect();
        if !shared.is_empty() {
            page.para(
                "",
                34,
                &format!(
                    "Same address as the attack's API requests ({}): addresses are listed as evidence, never joined on (docs/correlation.md).",
                    shared.join(", ")
                ),
            );
        }
    }
}

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;

    // 1. Posture: the manifests, as `palisade scan examples/` reads them.
    let options = ScanOptions {
        today: STORY_DAY.to_owned(),
        ..ScanOptions::default()
    };
    let sources = MANIFESTS
        .iter()
        .map(|e| Source::new(e.path, e.text))
        .collect();
    let mut scan = palisade_scan::scan_sources(sources, &options);
    for finding in &mut scan.findings {
        localise(finding, catalogue);
    }
    // 2. and 3. Activity: the audit log and the runtime recording through their rules.
    let audit = detect_audit(catalogue)?;
    let runtime = detect_runtime(catalogue)?;
    let problems: Vec<String> = scan
        .errors
        .iter()
        .map(ToString::to_string)
        .chain(audit.problems.iter().cloned())
        .chain(runtime.problems.iter().cloned())
        .collect();
    if !problems.is_empty() {
        bail!(
            "the embedded demo data did not read cleanly:\n  {}",
            problems.join("\n  ")
        );
    }
    // 4. Correlation.
    let mut alerts: Vec<AlertRecord> = audit
        .alerts
        .iter()
        .chain(runtime.alerts.iter())
        .cloned()
        .collect();
    for alert in &mut alerts {
        localise_alert(alert, catalogue);
    }
    // Every alert kept as evidence: the demo shows them all, and which source each came from.
    let options = palisade_correlate::Options {
        max_evidence: alerts.len().max(2),
        ..palisade_correlate::Options::default()
    };
    let incidents = incidents_with(catalogue, options, &alerts, &scan.findings);
    let main = main_incident(&incidents).context("the demo data produced no incident")?;

    let w = args.term.width();
    let color = args.term.color(false);
    let mut page = Page {
        width: w,
        color,
        out: String::new(),
    };
    page.heading(
        "Palisade demo: a cryptojacking attack on a small shop, from the exposed door to the miner",
    );
    page.para(
        "",
        0,
        "Our own data, embedded in this binary (and in examples/): the shop's manifests, the Kubernetes audit log of the attack, and what Palisade's eBPF sensor recorded on node worker-1 meanwhile. No cluster, no network.",
    );
    page.blank();
    page.heading("The attack, 2026-11-26 (UTC)");
    for (time, text) in STORY {
        page.para(&format!("  {time}  "), 12, text);
    }
    page.blank();
    page.heading("What Palisade did");
    let active = scan
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .count();
    let suppressed = scan.findings.len() - active;
    page.para(
        "  scan       ",
        13,
        &format!(
            "{} and {}: {} ({}){}",
            plural(scan.files, "file"),
            plural(scan.objects, "object"),
            plural(active, "posture finding"),
            severity_counts(&scan.findings),
            if suppressed > 0 {
                format!(", {suppressed} suppressed with a reason")
            } else {
                String::new()
            }
        ),
    );
    page.para(
        "  detect     ",
        13,
        &format!(
            "the Kubernetes audit log: {} events, {}",
            audit.events,
            plural(audit.alerts.len(), "alert")
        ),
    );
    page.para(
        "  detect     ",
        13,
        &format!(
            "the runtime recording of node worker-1: {} events, {}",
            runtime.events,
            plural(runtime.alerts.len(), "alert")
        ),
    );
    page.para(
        "  correlate  ",
        13,
        &format!(
            "{} and {}: {}",
            plural(alerts.len(), "alert"),
            plural(active, "finding"),
            plural(incidents.len(), "incident")
        ),
    );
    page.blank();

    let by_source = |label: &str| {
        main.evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Alert && source_label(&e.source) == label)
            .count()
    };
    page.heading(&format!(
        "The attack as one incident: {} audit and {} runtime alerts, joined through pod shop/kube-proxy-7xk2p",
        by_source("audit"),
        by_source("runtime"),
    ));
    page.blank();
    let view = TextView {
        catalogue,
        width: w,
        color,
        matrix: true,
    };
    page.out.push_str(&view.render(main));
    page.blank();
    page.heading(
        "The path, alert by alert (audit = the API server's log, runtime = the sensor on worker-1)",
    );
    timeline(&mut page, main);
    page.blank();
    page.heading("The doors left open: posture findings of Initial Access (high or critical), and the incidents they explain");
    doors(&mut page, &scan.findings, &incidents);
    page.blank();
    page.heading("The other incidents");
    other_incidents(&mut page, &incidents, main);
    page.blank();

    if args.no_report {
        page.line("HTML report: not written (--no-report).");
    } else {
        let views: Vec<_> = incidents.iter().map(incident_view).collect();
        let sources = ReportSources {
            scanned: vec!["examples/ (embedded)".to_owned()],
            files: scan.files,
            objects: scan.objects,
            audit_logs: vec![format!("{} (embedded)", AUDIT_LOG.path)],
            events_read: audit.events,
            events_parsed: audit.events,
            events_skipped: 0,
            alert_files: vec![format!(
                "{} (embedded runtime recording of node worker-1: {} events replayed, {})",
                RUNTIME_RECORDING.path,
                runtime.events,
                plural(runtime.alerts.len(), "alert")
            )],
            store: None,
            problems: Vec::new(),
        };
        let html = render_html(
            catalogue,
            "Palisade demo: cryptojacking attack on the example shop",
            &scan.findings,
            &alerts,
            &views,
            &sources,
            5000,
        );
        std::fs::write(&args.output, &html)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        let shown = args.output.display().to_string();
        page.heading(&format!("HTML report written: {shown}"));
        page.para(
            "  ",
            2,
            "The ATT&CK matrix as a heatmap (posture, alerts, coverage), the incident's timeline and evidence, a drill-down per technique (click a cell), the posture per namespace. One self-contained file; it loads nothing from the network.",
        );
        page.line(&format!(
            "  Open it:  xdg-open {shown}   (macOS: open {shown})"
        ));
    }
    page.blank();
    page.heading("Next steps");
    let steps = [
        ("palisade scan examples/", "the findings by ATT&CK tactic"),
        (
            "palisade detect examples/audit/cryptojacking-attack.jsonl",
            "the audit alerts",
        ),
        (
            "palisade detect --source runtime examples/runtime/cryptojacking-runtime.jsonl",
            "the runtime alerts",
        ),
        (
            "palisade scan k8s/ && palisade detect /var/log/kubernetes/audit.log",
            "your own cluster",
        ),
        ("sudo palisade watch", "your node, live (root, kernel BTF)"),
    ];
    let command_w = steps.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (command, what) in steps {
        let padded = format!("  {command:<command_w$}  # {what}");
        let plain = format!("  {command}  # {what}");
        if palisade_report::term_text::width(&padded) <= w {
            page.line(&padded);
        } else if palisade_report::term_text::width(&plain) <= w {
            page.line(&plain);
        } else {
            page.line(&format!("  {command}"));
            page.para("      # ", 8, what);
        }
    }
    crate::out!("{}", page.out);
    Ok(ExitCode::SUCCESS)
}
