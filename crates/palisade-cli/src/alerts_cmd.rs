//! The store from the command line: recording findings and alerts (`--store` on `scan` and
//! `detect`), `palisade alerts` queries, and retention.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use palisade_core::{AlertRecord, ScanReport};
use palisade_store::{
    AlertQuery, NewRun, RunId, RunKind, Store, now_ns, parse_duration_ns, parse_since,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Alerts are written in batches of this many: each batch is one transaction, and memory
/// stays bounded on long replays.
const BATCH: usize = 5_000;

fn open(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("cannot open store {}", path.display()))
}

fn args_of_process() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// Record a scan's findings as one run.
pub fn store_findings(path: &Path, report: &ScanReport, attack_version: &str) -> Result<()> {
    let mut store = open(path)?;
    let mut run = NewRun::new(RunKind::Scan);
    run.attack_version = Some(attack_version.to_owned());
    run.args = args_of_process();
    let id = store.begin_run(&run)?;
    store.insert_findings(id, &report.findings)?;
    store.finish_run(id)?;
    Ok(())
}

/// Alerts of one `detect` run on their way into the store.
pub struct AlertSink {
    store: Store,
    run: RunId,
    pending: Vec<AlertRecord>,
    error: Option<anyhow::Error>,
}

impl AlertSink {
    /// Start a run.
    pub fn open(path: &Path, attack_version: &str) -> Result<AlertSink> {
        let mut store = open(path)?;
        let mut run = NewRun::new(RunKind::Detect);
        run.attack_version = Some(attack_version.to_owned());
        run.args = args_of_process();
        let run = store.begin_run(&run)?;
        Ok(AlertSink {
            store,
            run,
            pending: Vec::with_capacity(BATCH),
            error: None,
        })
    }

    /// Queue an alert; a full batch is committed.
    pub fn push(&mut self, alert: AlertRecord) {
        self.pending.push(alert);
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() || self.error.is_some() {
            return;
        }
        if let Err(e) = self.store.insert_alerts(self.run, &self.pending) {
            self.error = Some(anyhow::Error::new(e).context("cannot write alerts to the store"));
        }
        self.pending.clear();
    }

    /// Commit what is left and close the run.
    pub fn finish(mut self) -> Result<()> {
        self.flush();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.store.finish_run(self.run)?;
        Ok(())
    }
}

/// Output formats of `palisade alerts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertsFormat {
    /// One line per alert.
    Table,
    /// `palisade.alert/v1` JSON lines.
    Jsonl,
}

/// Query the alerts kept in a store.
///
/// Examples: `palisade alerts --since 1h --technique T1611 --namespace shop`,
/// `palisade alerts --technique T1053` (sub-techniques included),
/// `palisade alerts --prune-older-than 30d`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// The store (default: $PALISADE_STORE, else palisade.db).
    #[arg(
        long,
        value_name = "PATH",
        env = "PALISADE_STORE",
        default_value = "palisade.db"
    )]
    pub store: PathBuf,
    /// Only alerts since this long ago (`90s`, `1h`, `7d`) or since an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Only alerts showing this technique (a parent id includes its sub-techniques).
    #[arg(long)]
    pub technique: Option<String>,
    /// Only alerts of this tactic (shortname, e.g. privilege-escalation).
    #[arg(long)]
    pub tactic: Option<String>,
    /// Only alerts in this namespace.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Only alerts of this rule.
    #[arg(long)]
    pub rule: Option<String>,
    /// Only alerts of this priority or a more severe one.
    #[arg(long)]
    pub min_priority: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: AlertsFormat,
    /// Delete alerts, findings and runs older than this (`30d`), then exit.
    #[arg(long, value_name = "AGE")]
    pub prune_older_than: Option<String>,
}

pub fn run(args: AlertsArgs) -> Result<ExitCode> {
    if !args.store.exists() {
        anyhow::bail!(
            "no store at {} (record into one with `palisade detect --store {} ...`)",
            args.store.display(),
            args.store.display()
        );
    }
    let mut store = open(&args.store)?;
    if let Some(age) = &args.prune_older_than {
        let age_ns = parse_duration_ns(age)
            .with_context(|| format!("`{age}` is not a duration (e.g. 30d, 12h)"))?;
        let counts = store.apply_retention(now_ns() - age_ns)?;
        crate::outln!("pruned {counts:?}");
        return Ok(ExitCode::SUCCESS);
    }
    let since_ns = match &args.since {
        Some(s) => Some(
            parse_since(s, now_ns())
                .with_context(|| format!("`{s}` is neither a duration nor an RFC 3339 time"))?,
        ),
        None => None,
    };
    let query = AlertQuery {
        since_ns,
        technique: args.technique.clone(),
        tactic: args.tactic.clone(),
        namespace: args.namespace.clone(),
        rule: args.rule.clone(),
        min_priority: args.min_priority.clone(),
        newest_first: true,
        limit: Some(args.limit),
        ..AlertQuery::default()
    };
    let mut alerts = store.query_alerts(&query)?;
    alerts.reverse();
    for a in &alerts {
        match args.format {
            AlertsFormat::Jsonl => crate::outln!("{}", serde_json::to_string(a)?),
            AlertsFormat::Table => {
                let workload = match (&a.workload.namespace, &a.workload.pod) {
                    (Some(ns), Some(pod)) => format!("{ns}/{pod}"),
                    (Some(ns), None) => ns.clone(),
                    _ => "-".into(),
                };
                crate::outln!(
                    "{}  {:<13} {:<18} {:<28} {}",
                    a.time,
                    a.priority,
                    a.techniques.join(","),
                    workload,
                    a.rule
                );
            }
        }
    }
    if args.format == AlertsFormat::Table {
        crate::outln!("{} alerts", alerts.len());
    }
    Ok(ExitCode::SUCCESS)
}
