//! `palisade detect`: replay Kubernetes audit logs through the rules.

use crate::catalogue::AttackOpts;
use crate::rules_pack::{self, attack_of};
use crate::term::TermOpts;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use palisade_attack::navigator::LayerBuilder;
use palisade_core::{ALERT_SCHEMA, AlertActor, AlertRecord, AlertWorkload, rfc3339_utc};
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields, split_events};
use palisade_engine::{Alert, Engine, EngineOptions, Event, FieldTable, FieldValue, RuleMatching};
use palisade_rules::Priority;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `palisade detect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    /// Human table: time, rule, techniques, workload, output; then a summary.
    Table,
    /// One `palisade.alert/v1` JSON object per line (docs/schema/palisade.alert.v1.schema.json).
    Jsonl,
    /// Falco's JSON alert format, one per line (for Falcosidekick and existing pipelines).
    Falco,
    /// ATT&CK Navigator layer of the observed techniques, scored by alert count.
    Navigator,
    /// Nothing but the summary on stderr (for measuring).
    None,
}

/// `--source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceChoice {
    /// A runtime recording when the first input starts with its header, else audit.
    Auto,
    /// Kubernetes audit events.
    #[value(name = "k8s_audit", alias = "audit")]
    K8sAudit,
    /// Runtime events recorded by `palisade watch --record`.
    Runtime,
}

/// `--rule-matching`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Matching {
    /// Every matching rule fires (default: a second technique should not be hidden).
    All,
    /// Only the first matching rule in load order fires (Falco's default).
    First,
}

/// Replay Kubernetes audit logs, or runtime recordings, through the detection rules.
///
/// Kubernetes audit inputs are audit.k8s.io/v1 Event JSON lines (the API server's log backend), EventList
/// documents (the webhook backend's batches), JSON arrays of events, gzip-compressed rotated
/// files, GKE / EKS / AKS log exports, directories of those, or `-` for stdin. A malformed
/// line is reported with its file and line number, counted, and skipped; everything else is
/// processed. Runtime inputs are recordings of `palisade watch --record FILE`
/// (palisade.runtime/v1): they replay through the built-in runtime pack and syscall rules.
/// `--source auto` tells the two apart by the recording's header line. Exit code: 0 no alert at or above --fail-on, 1 alerts at or above it, 2 usage
/// error, unreadable input, malformed events or rules that failed to load.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Audit log files or directories, or runtime recordings; `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// What the inputs are: Kubernetes audit logs, runtime recordings, or decided by
    /// looking at the first input.
    #[arg(long, value_enum, default_value = "auto")]
    pub source: SourceChoice,
    /// Extra rules files or directories (Falco format), loaded after the built-in pack, so
    /// they can override or append to its macros, lists and rules. Repeatable.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rule pack of the source (Kubernetes audit or runtime).
    #[arg(long)]
    pub no_builtin: bool,
    /// Fire every matching rule, or only the first in load order.
    #[arg(long, value_enum, default_value = "all")]
    pub rule_matching: Matching,
    /// Skip rules below this priority (emergency, alert, critical, error, warning, notice,
    /// informational, debug).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub min_priority: Option<Priority>,
    /// Exit with 1 when an alert has this priority or a more severe one.
    #[arg(long, value_name = "PRIORITY", default_value = "debug", value_parser = parse_priority)]
    pub fail_on: Priority,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DetectFormat,
    /// Write alerts to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record the alerts in this SQLite store (created if missing); query them later
    /// with `palisade alerts`.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Do not print the summary.
    #[arg(long)]
    pub no_summary: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// `--min-priority` / `--fail-on` values.
pub fn parse_priority(s: &str) -> Result<Priority, String> {
    s.parse()
        .map_err(|e: palisade_rules::ParsePriorityError| e.to_string())
}

/// Counters of what happened to the input.
#[derive(Debug, Default)]
pub struct InputStats {
    /// Events (or lines) read.
    pub read: u64,
    /// Events parsed and evaluated.
    pub parsed: u64,
    /// Skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// The first problems, with their position.
    pub problems: Vec<String>,
}

impl InputStats {
    fn skip(&mut self, reason: &str, at: String) {
        *self.skipped.entry(reason.to_owned()).or_default() += 1;
        if self.problems.len() < 50 {
            self.problems.push(at);
        }
    }
}

/// Files to read for the inputs (directories: every regular file below, sorted).
pub fn input_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" || !input.is_dir() {
            out.push(input.clone());
            continue;
        }
        let mut stack = vec![input.clone()];
        let mut found = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
                .flatten()
            {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_dir() => stack.push(path),
                    Ok(t) if t.is_file() => found.push(path),
                    _ => {}
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
}

/// Get a field's text by name from an audit event.
fn text_of(
    table: &dyn FieldTable,
    event: &dyn Event,
    name: &str,
    arg: Option<&str>,
) -> Option<String> {
    let field = table.resolve(name, arg).ok()?;
    match event.get(&field) {
        FieldValue::Str(s) => Some(s.into_owned()),
        FieldValue::List(items) => items.first().map(|s| s.to_string()),
        FieldValue::Absent => None,
    }
}

fn list_of(table: &dyn FieldTable, event: &dyn Event, name: &str) -> Vec<String> {
    let Ok(field) = table.resolve(name, None) else {
        return Vec::new();
    };
    match event.get(&field) {
        FieldValue::Str(s) => vec![s.into_owned()],
        FieldValue::List(items) => items.into_iter().map(|s| s.into_owned()).collect(),
        FieldValue::Absent => Vec::new(),
    }
}

/// The `palisade.alert/v1` record of an alert on an audit event.
pub fn alert_record(
    alert: &Alert<'_>,
    event: &dyn Event,
    table: &dyn FieldTable,
    catalogue: &palisade_attack::Catalogue,
) -> AlertRecord {
    let (techniques, tactics) = attack_of(&alert.rule.tags, catalogue);
    let resource = text_of(table, event, "ka.target.resource", None);
    let subresource = text_of(table, event, "ka.target.subresource", None);
    let is_pod = resource.as_deref() == Some("pods");
    let source_ips = match text_of(table, event, "jevt.value", Some("/sourceIPs")) {
        Some(json) => serde_json::from_str::<Vec<String>>(&json).unwrap_or_default(),
        None => Vec::new(),
    };
    let service_account = if is_pod && subresource.is_none() {
        text_of(
            table,
            event,
            "jevt.value",
            Some("/requestObject/spec/serviceAccountName"),
        )
    } else {
        None
    };
    AlertRecord {
        schema: ALERT_SCHEMA.to_owned(),
        time: rfc3339_utc(alert.time_ns),
        rule: alert.rule.name.clone(),
        priority: alert.rule.priority.as_str().to_owned(),
        techniques,
        tactics,
        source: alert.rule.source.clone(),
        output: alert.output.clone(),
        workload: AlertWorkload {
            cluster: text_of(table, event, "ka.cluster.name", None),
            namespace: text_of(table, event, "ka.target.namespace", None),
            pod: if is_pod {
                text_of(table, event, "ka.target.name", None)
            } else {
                None
            },
            container: if is_pod {
                text_of(table, event, "ka.uri.param", Some("container"))
                    .or_else(|| text_of(table, event, "ka.req.pod.containers.name", Some("0")))
            } else {
                None
            },
            image: if is_pod {
                text_of(table, event, "ka.req.pod.containers.image", Some("0"))
            } else {
                None
            },
            service_account,
            node: text_of(
                table,
                event,
                "jevt.value",
                Some("/requestObject/spec/nodeName"),
            )
            .filter(|_| is_pod),
            container_id: None,
        },
        actor: AlertActor {
            user: text_of(table, event, "ka.user.name", None),
            groups: list_of(table, event, "ka.user.groups"),
            source_ips,
        },
        event_id: text_of(table, event, "ka.auditid", None),
        fields: alert.fields.iter().cloned().collect(),
    }
}

/// Falco's priority spelling in its JSON output.
fn falco_priority(p: Priority) -> &'static str {
    match p {
        Priority::Emergency => "Emergency",
        Priority::Alert => "Alert",
        Priority::Critical => "Critical",
        Priority::Error => "Error",
        Priority::Warning => "Warning",
        Priority::Notice => "Notice",
        Priority::Informational => "Informational",
        Priority::Debug => "Debug",
    }
}

fn falco_json(record: &AlertRecord, priority: Priority, tags: &[String], hostname: &str) -> String {
    let value = serde_json::json!({
        "hostname": hostname,
        "output": format!("{}: {} {}", record.time, falco_priority(priority), record.output),
        "output_fields": record.fields,
        "priority": falco_priority(priority),
        "rule": record.rule,
        "source": record.source,
        "tags": tags,
        "time": record.time,
    });
    value.to_string()
}

fn table_row(record: &AlertRecord, width: usize) -> String {
    let workload = match (&record.workload.namespace, &record.workload.pod) {
        (Some(ns), Some(pod)) => format!("{ns}/{pod}"),
        (Some(ns), None) => ns.clone(),
        (None, Some(pod)) => pod.clone(),
        (None, None) => "-".into(),
    };
    let time = record.time.get(11..23).unwrap_or(&record.time);
    let techniques = if record.techniques.is_empty() {
        "-".to_owned()
    } else {
        record.techniques.join(",")
    };
    let head = format!(
        "{time}  {:<8} {:<11} {:<28} ",
        truncate(&record.priority, 8),
        truncate(&techniques, 11),
        truncate(&workload, 28)
    );
    let rest = width.saturating_sub(head.chars().count()).max(20);
    format!(
        "{head}{}\n{:>14}{}",
        truncate(&record.rule, rest),
        "",
        truncate(&record.output, width.saturating_sub(14).max(20))
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Load the built-in pack (unless `no_builtin`) and the `extra` rules files, printing
/// every error diagnostic on stderr. Returns the rules and the number of errors. With
/// `require_rules`, having no rules at all is an error.
pub fn load_rules(
    extra: &[PathBuf],
    no_builtin: bool,
    require_rules: bool,
) -> Result<(palisade_rules::Loaded, usize)> {
    load_pack_rules("k8s_audit", extra, no_builtin, require_rules)
}

/// [`load_rules`] for the built-in pack `pack` (`k8s_audit`, `runtime`).
pub fn load_pack_rules(
    pack: &str,
    extra: &[PathBuf],
    no_builtin: bool,
    require_rules: bool,
) -> Result<(palisade_rules::Loaded, usize)> {
    let mut texts = if no_builtin {
        Vec::new()
    } else {
        rules_pack::builtin(pack)
    };
    texts.extend(rules_pack::read_paths(extra)?);
    if texts.is_empty() && require_rules {
        bail!("no rules: --no-builtin was given and no --rules file");
    }
    let loaded = rules_pack::load(&texts);
    let mut rule_errors = 0usize;
    for d in &loaded.diagnostics {
        if d.severity == palisade_rules::Severity::Error {
            rule_errors += 1;
            eprintln!("{d}");
        }
    }
    Ok((loaded, rule_errors))
}

/// Compile the audit rules of `loaded`, printing the rules that cannot run. Returns the
/// engine and the number of rules skipped with an error.
pub fn audit_engine<'t>(
    loaded: &palisade_rules::Loaded,
    table: &'t K8sAuditFields,
    options: &EngineOptions,
) -> (Engine<'t>, usize) {
    source_engine(loaded, table, options)
}

/// Compile the rules of `loaded` for `table`'s source, printing the rules that cannot run
/// and the rules whose output shows fields the source does not have.
pub fn source_engine<'t>(
    loaded: &palisade_rules::Loaded,
    table: &'t dyn FieldTable,
    options: &EngineOptions,
) -> (Engine<'t>, usize) {
    let (engine, skipped) = Engine::new(loaded, table, options);
    let mut errors = 0;
    for s in skipped.iter().filter(|s| s.error) {
        errors += 1;
        eprintln!(
            "{}:{}:{}: error: rule `{}` skipped: {}",
            s.path, s.line, s.column, s.rule, s.reason
        );
    }
    for g in engine.output_gaps() {
        eprintln!("{}", output_gap_message(&g, "note"));
    }
    (engine, errors)
}

/// `path:line:col: <level>: rule `R` runs, but its output shows `f` as <NA>: ...`
pub fn output_gap_message(gap: &palisade_engine::OutputGap, level: &str) -> String {
    let fields: Vec<String> = gap.fields.iter().map(|f| format!("`{f}`")).collect();
    format!(
        "{}:{}:{}: {level}: rule `{}` runs, but its output shows {} as {}: {} of this source",
        gap.path,
        gap.line,
        gap.column,
        gap.rule,
        fields.join(", "),
        palisade_engine::NOT_AVAILABLE,
        if gap.fields.len() == 1 {
            "it is not a field"
        } else {
            "they are not fields"
        },
    )
}

/// Replay the audit events of `files` through `engine`, counting what was read, parsed and
/// skipped in `stats`, and handing every alert with its event to `on_alert`. With
/// `parse_only` and an engine without rules, events are parsed but not evaluated (for
/// measuring).
pub fn replay_audit(
    files: &[PathBuf],
    engine: &mut Engine<'_>,
    stats: &mut InputStats,
    progress: &indicatif::ProgressBar,
    parse_only: bool,
    mut on_alert: impl FnMut(Alert<'_>, &AuditEvent<'_>),
) {
    for file in files {
        progress.set_message(file.display().to_string());
        let shown = file.display().to_string();
        match open_input(file) {
            Ok(reader) => replay_audit_reader(
                &shown,
                reader,
                engine,
                stats,
                progress,
                parse_only,
                &mut on_alert,
            ),
            Err(e) => stats.skip("unreadable input", format!("{shown}: {e:#}")),
        }
    }
    progress.finish_and_clear();
}

/// [`replay_audit`] over one reader named `shown` in messages (the demo's embedded log).
pub fn replay_audit_reader(
    shown: &str,
    reader: impl BufRead + Send,
    engine: &mut Engine<'_>,
    stats: &mut InputStats,
    progress: &indicatif::ProgressBar,
    parse_only: bool,
    on_alert: &mut impl FnMut(Alert<'_>, &AuditEvent<'_>),
) {
    for (location, item) in split_events(reader) {
        stats.read += 1;
        if stats.read.is_multiple_of(4096) {
            progress.set_position(stats.read);
        }
        let text = match item {
            Ok(text) => text,
            Err(problem) => {
                stats.skip("malformed input", format!("{shown}:{location}: {problem}"));
                continue;
            }
        };
        let event = match AuditEvent::parse(&text) {
            Ok(e) => e,
            Err(e) => {
                stats.skip(
                    "not an audit event",
                    format!("{shown}:{location}: {}", e.message()),
                );
                continue;
            }
        };
        stats.parsed += 1;
        if parse_only && engine.rules().next().is_none() {
            continue;
        }
        engine.process(&event, |alert| on_alert(alert, &event));
    }
}

/// Where alerts go: the output format on stdout or a file, the store, and the counts the
/// summary reports. Shared by `detect` (replays) and `watch` (live).
pub struct AlertWriter<'c> {
    format: DetectFormat,
    out: Box<dyn Write>,
    store: Option<crate::alerts_cmd::AlertSink>,
    width: usize,
    fail_on: Priority,
    flush_each: bool,
    hostname: String,
    catalogue: &'c palisade_attack::Catalogue,
    write_error: Option<std::io::Error>,
    /// Alerts per rule.
    pub by_rule: BTreeMap<String, u64>,
    /// Alerts per technique.
    pub by_technique: BTreeMap<String, u64>,
    /// An alert at or above `--fail-on` was raised.
    pub failing: bool,
}

impl<'c> AlertWriter<'c> {
    /// Open the output file (or stdout) and the store.
    pub fn open(
        format: DetectFormat,
        output: Option<&Path>,
        store: Option<&Path>,
        width: usize,
        fail_on: Priority,
        catalogue: &'c palisade_attack::Catalogue,
    ) -> Result<Self> {
        let out: Box<dyn Write> = match output {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        };
        let store = match store {
            Some(path) => Some(crate::alerts_cmd::AlertSink::open(
                path,
                &catalogue.version,
            )?),
            None => None,
        };
        Ok(AlertWriter {
            format,
            out,
            store,
            width,
            fail_on,
            flush_each: false,
            hostname: "palisade".into(),
            catalogue,
            write_error: None,
            by_rule: BTreeMap::new(),
            by_technique: BTreeMap::new(),
            failing: false,
        })
    }

    /// Flush after every alert (live output).
    pub fn flush_each(mut self, yes: bool) -> Self {
        self.flush_each = yes;
        self
    }

    /// Host name for Falco-format output.
    pub fn hostname(mut self, name: &str) -> Self {
        if !name.is_empty() {
            self.hostname = name.to_owned();
        }
        self
    }

    /// Total alerts written.
    pub fn alerts(&self) -> u64 {
        self.by_rule.values().sum()
    }

    /// Write one alert.
    pub fn emit(&mut self, record: AlertRecord, alert: &Alert<'_>) {
        let tags = alert.rule.tags.clone();
        self.write(record, alert.rule.priority, &tags);
    }

    /// Write an alert that no rule raised (the sensor's own reports).
    pub fn emit_record(&mut self, record: AlertRecord, priority: Priority) {
        self.write(record, priority, &[]);
    }

    fn write(&mut self, record: AlertRecord, priority: Priority, tags: &[String]) {
        *self.by_rule.entry(record.rule.clone()).or_default() += 1;
        for t in &record.techniques {
            *self.by_technique.entry(t.clone()).or_default() += 1;
        }
        if priority <= self.fail_on {
            self.failing = true;
        }
        let line = match self.format {
            DetectFormat::Jsonl => serde_json::to_string(&record).unwrap_or_default(),
            DetectFormat::Falco => falco_json(&record, priority, tags, &self.hostname),
            DetectFormat::Table => table_row(&record, self.width),
            DetectFormat::Navigator | DetectFormat::None => String::new(),
        };
        if let Some(sink) = self.store.as_mut() {
            sink.push(record);
        }
        if line.is_empty() {
            return;
        }
        let mut result = writeln!(self.out, "{line}");
        if self.flush_each && result.is_ok() {
            result = self.out.flush();
        }
        if let Err(e) = result
            && self.write_error.is_none()
        {
            self.write_error = Some(e);
        }
    }

    /// Write the Navigator layer (for that format), flush, close the store.
    pub fn finish(mut self, what: &str) -> Result<()> {
        if let Some(sink) = self.store.take() {
            sink.finish()?;
        }
        if self.format == DetectFormat::Navigator {
            let mut builder =
                LayerBuilder::new("Palisade observed techniques", self.catalogue).description(
                    format!("Techniques shown by {} alerts over {what}", self.alerts()),
                );
            let max = self.by_technique.values().copied().max().unwrap_or(1) as f64;
            for (technique, n) in &self.by_technique {
                let score = (100.0 * (*n as f64) / max).round();
                let _ = builder.add(
                    technique,
                    None,
                    score,
                    &format!("{n} alerts"),
                    vec![("alerts".into(), n.to_string())],
                );
            }
            writeln!(self.out, "{}", builder.build().to_json_pretty())?;
        }
        self.out.flush().ok();
        if let Some(e) = self.write_error.take()
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e).context("cannot write alerts");
        }
        Ok(())
    }

    /// The per-technique and per-rule part of the summary.
    pub fn summary_counts(&self) -> String {
        let mut summary = String::new();
        if !self.by_technique.is_empty() {
            summary.push_str("  by technique:\n");
            for (t, n) in &self.by_technique {
                let name = self
                    .catalogue
                    .resolve(t)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                summary.push_str(&format!("    {t:<10} {n:>7}  {name}\n"));
            }
            summary.push_str("  by rule:\n");
            for (r, n) in &self.by_rule {
                summary.push_str(&format!("    {n:>7}  {r}\n"));
            }
        }
        summary
    }
}

/// The `palisade.alert/v1` record of an alert on a runtime event: the workload is the
/// container (and its pod), the actor the pod's service account when known.
pub fn runtime_alert_record(
    alert: &Alert<'_>,
    event: &palisade_runtime::RuntimeEvent,
    catalogue: &palisade_attack::Catalogue,
) -> AlertRecord {
    let (techniques, tactics) = attack_of(&alert.rule.tags, catalogue);
    let container = event.container.as_ref();
    let pod = container.and_then(|c| c.pod.as_ref());
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let user = pod.and_then(|p| {
        p.service_account
            .as_ref()
            .map(|sa| format!("system:serviceaccount:{}:{sa}", p.namespace))
    });
    AlertRecord {
        schema: ALERT_SCHEMA.to_owned(),
        time: rfc3339_utc(alert.time_ns),
        rule: alert.rule.name.clone(),
        priority: alert.rule.priority.as_str().to_owned(),
        techniques,
        tactics,
        source: "runtime".to_owned(),
        output: alert.output.clone(),
        workload: AlertWorkload {
            cluster: None,
            namespace: pod.and_then(|p| non_empty(&p.namespace)),
            pod: pod.and_then(|p| non_empty(&p.name)),
            container: container.and_then(|c| c.name.clone()),
            image: container.and_then(|c| c.image.clone()),
            service_account: pod.and_then(|p| p.service_account.clone()),
            node: non_empty(&event.hostname),
            container_id: container.map(|c| c.id.clone()),
        },
        actor: AlertActor {
            user,
            groups: Vec::new(),
            source_ips: Vec::new(),
        },
        event_id: Some(if event.hostname.is_empty() {
            format!("runtime:{}", event.num)
        } else {
            format!("runtime:{}:{}", event.hostname, event.num)
        }),
        fields: alert.fields.iter().cloned().collect(),
    }
}

/// Is the first input a runtime recording?
fn looks_like_recording(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return false;
    }
    let Ok(mut reader) = open_input(path) else {
        return false;
    };
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if !line.trim().is_empty() {
            return line.contains(palisade_runtime::RECORDING_SCHEMA);
        }
        line.clear();
    }
    false
}

/// Replay runtime recordings through `engine`.
pub fn replay_runtime(
    files: &[PathBuf],
    engine: &mut Engine<'_>,
    stats: &mut InputStats,
    progress: &indicatif::ProgressBar,
    mut on_alert: impl FnMut(Alert<'_>, &palisade_runtime::RuntimeEvent),
) {
    for file in files {
        progress.set_message(file.display().to_string());
        let shown = file.display().to_string();
        match open_input(file) {
            Ok(reader) => {
                replay_runtime_reader(&shown, reader, engine, stats, progress, &mut on_alert)
            }
            Err(e) => stats.skip("unreadable input", format!("{shown}: {e:#}")),
        }
    }
    progress.finish_and_clear();
}

/// [`replay_runtime`] over one reader named `shown` in messages.
pub fn replay_runtime_reader(
    shown: &str,
    reader: impl BufRead,
    engine: &mut Engine<'_>,
    stats: &mut InputStats,
    progress: &indicatif::ProgressBar,
    on_alert: &mut impl FnMut(Alert<'_>, &palisade_runtime::RuntimeEvent),
) {
    use palisade_runtime::recording::{RecordingLine, parse_line};
    for (index, line) in reader.split(b'\n').enumerate() {
        let line_no = index + 1;
        let line = match line {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                stats.skip("unreadable input", format!("{shown}:{line_no}: {e}"));
                break;
            }
        };
        match parse_line(&line, line_no) {
            Ok(RecordingLine::Blank | RecordingLine::Header(_)) => {}
            Ok(RecordingLine::Event(event)) => {
                stats.read += 1;
                stats.parsed += 1;
                if stats.read.is_multiple_of(4096) {
                    progress.set_position(stats.read);
                }
                engine.process(event.as_ref(), |alert| on_alert(alert, &event));
            }
            Err(p) => {
                stats.read += 1;
                stats.skip(
                    "not a runtime event",
                    format!("{shown}:{}:{}: {}", p.line, p.column, p.message),
                );
            }
        }
    }
}

fn progress_bar(enabled: bool) -> indicatif::ProgressBar {
    // A spinner with the event count on long replays, only when stderr is a terminal.
    if enabled && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} {pos} events ({per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Print the summary on stdout (table to a terminal) or stderr.
pub fn print_summary(summary: &str, to_stdout: bool, color: bool) {
    if to_stdout {
        let styled = if color {
            format!("\x1b[1m{summary}\x1b[0m")
        } else {
            summary.to_owned()
        };
        let _ = std::io::stdout().write_all(styled.as_bytes());
    } else {
        eprint!("{summary}");
    }
}

pub fn run(args: DetectArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let files = input_files(&args.inputs)?;
    let runtime = match args.source {
        SourceChoice::Runtime => true,
        SourceChoice::K8sAudit => false,
        SourceChoice::Auto => files.first().is_some_and(|f| looks_like_recording(f)),
    };
    let pack = if runtime { "runtime" } else { "k8s_audit" };
    let (loaded, mut rule_errors) = load_pack_rules(
        pack,
        &args.rules,
        args.no_builtin,
        args.format != DetectFormat::None,
    )?;
    let audit_table = K8sAuditFields;
    let runtime_table = palisade_runtime::RuntimeFields;
    let table: &dyn FieldTable = if runtime {
        &runtime_table
    } else {
        &audit_table
    };
    let options = EngineOptions {
        matching: match args.rule_matching {
            Matching::All => RuleMatching::All,
            Matching::First => RuleMatching::First,
        },
        min_priority: args.min_priority,
    };
    let (mut engine, skipped_errors) = source_engine(&loaded, table, &options);
    rule_errors += skipped_errors;
    let color = args.term.color(args.output.is_some());
    let mut writer = AlertWriter::open(
        args.format,
        args.output.as_deref(),
        args.store.as_deref(),
        args.term.width(),
        args.fail_on,
        catalogue,
    )?;
    let mut stats = InputStats::default();
    let progress = progress_bar(!args.no_summary);
    if runtime {
        replay_runtime(
            &files,
            &mut engine,
            &mut stats,
            &progress,
            |alert, event| {
                let record = runtime_alert_record(&alert, event, catalogue);
                writer.emit(record, &alert);
            },
        );
    } else {
        replay_audit(
            &files,
            &mut engine,
            &mut stats,
            &progress,
            args.format == DetectFormat::None,
            |alert, event| {
                let record = alert_record(&alert, event, &audit_table, catalogue);
                writer.emit(record, &alert);
            },
        );
    }
    let counts = writer.summary_counts();
    let failing = writer.failing;
    let what = if runtime {
        format!("{} runtime events", stats.parsed)
    } else {
        format!("{} audit events", stats.parsed)
    };
    writer.finish(&what)?;
    let engine_stats = engine.stats();
    if !args.no_summary {
        let mut summary = String::new();
        if runtime {
            summary.push_str(&format!(
                "\nSummary: {} runtime events read, {} parsed, {} skipped; {} rules run; {} alerts\n",
                stats.read,
                stats.parsed,
                stats.skipped.values().sum::<u64>(),
                engine.rules().count(),
                engine_stats.alerts,
            ));
        } else {
            summary.push_str(&format!(
                "\nSummary: {} events read, {} parsed, {} skipped; {} rules run; {} alerts ({} duplicates across audit stages suppressed)\n",
                stats.read,
                stats.parsed,
                stats.skipped.values().sum::<u64>(),
                engine.rules().count(),
                engine_stats.alerts,
                engine_stats.deduplicated
            ));
        }
        for (reason, n) in &stats.skipped {
            summary.push_str(&format!("  skipped {n}: {reason}\n"));
        }
        for p in &stats.problems {
            summary.push_str(&format!("    {p}\n"));
        }
        summary.push_str(&counts);
        print_summary(
            &summary,
            args.format == DetectFormat::Table && args.output.is_none(),
            color,
        );
    }
    let input_problems = stats.skipped.values().sum::<u64>() > 0;
    Ok(if input_problems || rule_errors > 0 {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
