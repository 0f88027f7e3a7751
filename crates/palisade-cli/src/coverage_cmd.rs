//! `palisade coverage`: what Palisade covers of the ATT&CK for Containers matrix, at three
//! levels of proof.

use crate::catalogue::AttackOpts;
use crate::rules_pack::attack_of;
use anyhow::Result;
use clap::{Args, ValueEnum};
use palisade_attack::navigator::LayerBuilder;
use palisade_core::CheckTarget;
use palisade_scan::checks::all_checks;
use palisade_scan::{ScanOptions, Source, scan_sources};
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

/// Output formats of `palisade coverage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// A table per technique, then the gaps.
    Table,
    /// An ATT&CK Navigator layer of one level (`--level`).
    Navigator,
}

/// Which level a Navigator layer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// A check or rule exists for the technique.
    Claimed,
    /// ...and is enabled with its data source active in this configuration.
    Deployed,
    /// ...and its tests passed just now.
    Validated,
}

/// Per technique of the Containers matrix: claimed (a check or rule names it), deployed (it
/// is enabled and its data source is one Palisade reads: manifests, Dockerfiles, Compose, audit
/// logs), validated (its checks fire on their failing example and stay silent on the passing
/// one, its rules pass their test events, both re-run now). Then the gaps.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: CoverageFormat,
    /// Level shown by `--format navigator`.
    #[arg(long, value_enum, default_value = "validated")]
    pub level: Level,
    #[command(flatten)]
    pub attack: AttackOpts,
}

#[derive(Default)]
struct Cover {
    claimed: BTreeSet<String>,
    deployed: BTreeSet<String>,
    validated: BTreeSet<String>,
}

fn example_path(target: CheckTarget) -> &'static str {
    match target {
        CheckTarget::Dockerfile => "Dockerfile",
        CheckTarget::Compose => "compose.yaml",
        _ => "example.yaml",
    }
}

/// Does the check fire on its failing example and stay silent on its passing one?
fn check_validates(id: &str, target: CheckTarget, bad: &str, good: &str) -> bool {
    let options = ScanOptions {
        select: vec![id.to_owned()],
        ..ScanOptions::default()
    };
    let fires = |text: &str| {
        scan_sources(vec![Source::new(example_path(target), text)], &options)
            .findings
            .iter()
            .any(|f| f.check == id)
    };
    fires(bad) && !fires(good)
}

pub fn run(args: CoverageArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let mut cover: BTreeMap<String, Cover> = BTreeMap::new();
    let resolve = |t: &str| {
        catalogue
            .resolve(t)
            .map_or_else(|| t.to_owned(), |x| x.id.clone())
    };
    for check in all_checks() {
        let i = &check.info;
        let valid = check_validates(i.id, i.target, i.bad_example, i.good_example);
        for t in i.techniques {
            let entry = cover.entry(resolve(t)).or_default();
            entry.claimed.insert(i.id.to_owned());
            entry.deployed.insert(i.id.to_owned());
            if valid {
                entry.validated.insert(i.id.to_owned());
            }
        }
    }
    let builtin = crate::rules_pack::load(&crate::rules_pack::builtin("k8s_audit"));
    let validated_rules = match crate::rules_cmd::validated_builtin_rules() {
        Ok((_, set)) => set,
        Err(e) => {
            eprintln!(
                "palisade: notice: rule tests not found ({e:#}); no rule counts as validated"
            );
            BTreeSet::new()
        }
    };
    for rule in &builtin.rules {
        let (techniques, _) = attack_of(&rule.tags, catalogue);
        let label = format!("rule: {}", rule.name);
        for t in techniques {
            let entry = cover.entry(t).or_default();
            entry.claimed.insert(label.clone());
            if rule.enabled && rule.source == "k8s_audit" {
                entry.deployed.insert(label.clone());
                if validated_rules.contains(&rule.name) {
                    entry.validated.insert(label.clone());
                }
            }
        }
    }
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for (tactic, techniques) in catalogue.containers_matrix() {
        for t in techniques {
            if seen.insert(t.id.clone()) {
                rows.push((t.id.clone(), t.name.clone(), tactic.name.clone()));
            }
        }
    }
    match args.format {
        CoverageFormat::Navigator => {
            let mut builder = LayerBuilder::new(format!("Palisade coverage: {:?}", args.level), catalogue)
                .description("Techniques of ATT&CK for Containers covered by Palisade's checks and rules (score = number of checks and rules)");
            for (id, _, _) in &rows {
                let Some(c) = cover.get(id) else { continue };
                let set = match args.level {
                    Level::Claimed => &c.claimed,
                    Level::Deployed => &c.deployed,
                    Level::Validated => &c.validated,
                };
                if !set.is_empty() {
                    let comment = set.iter().cloned().collect::<Vec<_>>().join(", ");
                    let _ = builder.add(id, None, set.len() as f64, &comment, Vec::new());
                }
            }
            crate::outln!("{}", builder.build().to_json_pretty());
        }
        CoverageFormat::Table => {
            crate::outln!(
                "{:<10} {:<52} {:>7} {:>8} {:>9}",
                "TECHNIQUE",
                "NAME",
                "CLAIMED",
                "DEPLOYED",
                "VALIDATED"
            );
            let mut gaps = Vec::new();
            let (mut claimed, mut validated) = (0, 0);
            for (id, name, tactic) in &rows {
                let c = cover.get(id);
                let n = |f: fn(&Cover) -> usize| c.map_or(0, f);
                let (cl, de, va) = (
                    n(|c| c.claimed.len()),
                    n(|c| c.deployed.len()),
                    n(|c| c.validated.len()),
                );
                claimed += usize::from(cl > 0);
                validated += usize::from(va > 0);
                if cl == 0 {
                    gaps.push(format!("{id} {name} ({tactic})"));
                }
                let short: String = name.chars().take(52).collect();
                crate::outln!("{id:<10} {short:<52} {cl:>7} {de:>8} {va:>9}");
            }
            crate::outln!(
                "\n{claimed} of {} Containers techniques claimed, {validated} validated (ATT&CK {}).",
                rows.len(),
                catalogue.version
            );
            crate::outln!("Gaps (no check or rule at all):");
            for g in &gaps {
                crate::outln!("  {g}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
