//! `palisade incidents`: alerts and the posture findings that enabled them, joined per
//! workload and identity into attack chains ordered by tactic.

use crate::catalogue::AttackOpts;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use palisade_correlate::{Options, correlate};
use palisade_store::{AlertQuery, FindingQuery, RunKind, Store};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `palisade incidents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IncidentsFormat {
    /// The chain of each incident, explained.
    Text,
    /// One JSON document with every incident.
    Json,
}

/// Join stored alerts (`palisade detect --store`) and the latest stored scan's findings
/// (`palisade scan --store`) into incidents, most severe first. See docs/correlation.md.
#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// The store (default: $PALISADE_STORE, else palisade.db).
    #[arg(
        long,
        value_name = "PATH",
        env = "PALISADE_STORE",
        default_value = "palisade.db"
    )]
    pub store: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: IncidentsFormat,
    /// Only incidents scoring at least this much (0-100).
    #[arg(long, default_value_t = 0.0)]
    pub min_score: f64,
    #[command(flatten)]
    pub attack: AttackOpts,
}

pub fn run(args: IncidentsArgs) -> Result<ExitCode> {
    if !args.store.exists() {
        bail!(
            "no store at {} (record into one with `palisade detect --store ...`)",
            args.store.display()
        );
    }
    let catalogue = args.attack.catalogue()?;
    let store = Store::open(&args.store)
        .with_context(|| format!("cannot open store {}", args.store.display()))?;
    let alerts = store.query_alerts(&AlertQuery::default())?;
    let findings = match store.latest_run(Some(RunKind::Scan))? {
        Some(run) => store.query_findings(&FindingQuery {
            run: Some(run.id),
            ..FindingQuery::default()
        })?,
        None => Vec::new(),
    };
    let mut incidents = correlate(catalogue, Options::default(), &alerts, &findings);
    incidents.retain(|i| i.score.total >= args.min_score);
    incidents.sort_by(|a, b| {
        b.score
            .total
            .total_cmp(&a.score.total)
            .then_with(|| a.id.cmp(&b.id))
    });
    match args.format {
        IncidentsFormat::Json => crate::outln!("{}", serde_json::to_string_pretty(&incidents)?),
        IncidentsFormat::Text => {
            for incident in &incidents {
                crate::outln!(
                    "Incident {}  score {:.0}  {} .. {}  ({} alerts, {} findings)",
                    incident.id,
                    incident.score.total,
                    incident.first_seen,
                    incident.last_seen,
                    incident.alert_count,
                    incident.finding_count
                );
                for step in &incident.techniques {
                    crate::outln!(
                        "  {:<22} {:<10} {} ({}x, first {})",
                        step.tactic_shortnames.join(","),
                        step.technique,
                        step.name,
                        step.evidence_count,
                        step.first_seen
                    );
                }
                crate::outln!("  {}\n", incident.explanation.replace('\n', "\n  "));
            }
            crate::outln!(
                "{} incidents from {} alerts and {} findings",
                incidents.len(),
                alerts.len(),
                findings.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
