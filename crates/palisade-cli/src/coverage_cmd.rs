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

/// Whether the runtime (syscall) rules count as deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RuntimeSource {
    /// When this machine can run the eBPF sensor: its kernel exposes BTF at
    /// /sys/kernel/btf/vmlinux.
    #[default]
    Auto,
    /// Always: the sensor runs elsewhere (`palisade watch`, e.g. as a DaemonSet on the
    /// nodes) or its recordings are replayed (`palisade detect --source runtime`).
    On,
    /// Never: only the posture checks and the audit rules count.
    Off,
}

/// Where the kernel publishes its BTF, which the eBPF sensor needs (CO-RE).
const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

impl RuntimeSource {
    /// Does the runtime event source count as available?
    pub fn available(self) -> bool {
        match self {
            RuntimeSource::Auto => std::path::Path::new(KERNEL_BTF).exists(),
            RuntimeSource::On => true,
            RuntimeSource::Off => false,
        }
    }
}

/// Per technique of the Containers matrix: claimed (a check or rule names it), deployed (it
/// is enabled and its data source is one Palisade reads here: manifests, Dockerfiles, Compose
/// and audit logs always; runtime events when the eBPF sensor can run, see `--runtime`),
/// validated (deployed, and its checks fire on their failing example and stay silent on the
/// passing one, its rules pass their test events, both re-run now). Then the techniques
/// reached only through a covered sub-technique, and the gaps: techniques with no coverage
/// at all.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: CoverageFormat,
    /// Level shown by `--format navigator`.
    #[arg(long, value_enum, default_value = "validated")]
    pub level: Level,
    /// Whether the runtime rules (`rules/runtime`, fed by the eBPF sensor) count as deployed:
    /// `auto` when this machine's kernel exposes BTF (/sys/kernel/btf/vmlinux), which the
    /// sensor needs; `on` when the sensor runs elsewhere (a DaemonSet) or recordings are
    /// replayed; `off` to leave them out. Claimed counts them in any case.
    #[arg(long, value_enum, default_value = "auto")]
    pub runtime: RuntimeSource,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// What covers one technique, at each level: check ids and `rule: <name>` labels.
#[derive(Default)]
pub struct Cover {
    /// A check or rule names the technique.
    pub claimed: BTreeSet<String>,
    /// ...and is enabled with its data source active.
    pub deployed: BTreeSet<String>,
    /// ...and its tests passed just now.
    pub validated: BTreeSet<String>,
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

/// Coverage per technique id of `catalogue` (revoked ids translated): the checks, whose
/// examples are re-run now, and the built-in rules, validated by their test events. Runtime
/// rules count as deployed when this machine can run the sensor ([`RuntimeSource::Auto`]).
pub fn technique_coverage(catalogue: &palisade_attack::Catalogue) -> BTreeMap<String, Cover> {
    technique_coverage_with(catalogue, RuntimeSource::Auto.available())
}

/// [`technique_coverage`], saying whether the runtime event source is available.
pub fn technique_coverage_with(
    catalogue: &palisade_attack::Catalogue,
    runtime_available: bool,
) -> BTreeMap<String, Cover> {
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
    let builtin = crate::rules_pack::load(&crate::rules_pack::builtin_all());
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
            let source_available = match rule.source.as_str() {
                "k8s_audit" => true,
                palisade_runtime::SOURCE => runtime_available,
                _ => false,
            };
            if rule.enabled && source_available {
                entry.deployed.insert(label.clone());
                if validated_rules.contains(&rule.name) {
                    entry.validated.insert(label.clone());
                }
            }
        }
    }
    cover
}

pub fn run(args: CoverageArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let cover = technique_coverage_with(catalogue, args.runtime.available());
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
            let claimed_ids: BTreeSet<&str> = rows
                .iter()
                .filter(|(id, _, _)| cover.get(id).is_some_and(|c| !c.claimed.is_empty()))
                .map(|(id, _, _)| id.as_str())
                .collect();
            let (mut gaps, mut through_subs) = (Vec::new(), Vec::new());
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
                    // A parent technique is not a gap when a sub-technique of it is covered
                    // (T1496 Resource Hijacking through T1496.001 Compute Hijacking).
                    let prefix = format!("{id}.");
                    let subs: Vec<&str> = claimed_ids
                        .iter()
                        .filter(|s| s.starts_with(&prefix))
                        .copied()
                        .collect();
                    if subs.is_empty() {
                        gaps.push(format!("{id} {name} ({tactic})"));
                    } else {
                        through_subs.push(format!("{id} {name} ({tactic}): {}", subs.join(", ")));
                    }
                }
                let short: String = name.chars().take(52).collect();
                crate::outln!("{id:<10} {short:<52} {cl:>7} {de:>8} {va:>9}");
            }
            crate::outln!(
                "\n{claimed} of {} Containers techniques claimed, {validated} validated (ATT&CK {}).",
                rows.len(),
                catalogue.version
            );
            if !through_subs.is_empty() {
                crate::outln!(
                    "Covered only through sub-techniques (no check or rule names the technique itself):"
                );
                for t in &through_subs {
                    crate::outln!("  {t}");
                }
            }
            crate::outln!("Gaps (no check or rule at all):");
            for g in &gaps {
                crate::outln!("  {g}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
