//! Rule loading shared by `detect`, `rules lint` and `rules test`: the built-in packs,
//! user files and directories, and what a rule's tags say in ATT&CK terms.

use anyhow::{Context, Result};
use palisade_attack::{Catalogue, normalize_technique_id};
use palisade_engine::FieldTable;
use palisade_engine::k8s_audit::K8sAuditFields;
use palisade_runtime::RuntimeFields;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in packs (`rules/<pack>/`) and the event source their rules are written for,
/// in the order they are tested and listed.
pub const PACKS: &[(&str, &str)] = &[
    ("k8s_audit", "k8s_audit"),
    ("runtime", palisade_runtime::SOURCE),
];

static K8S_AUDIT_FIELDS: K8sAuditFields = K8sAuditFields;
static RUNTIME_FIELDS: RuntimeFields = RuntimeFields;

/// The field table of every event source Palisade reads.
pub fn field_tables() -> [&'static dyn FieldTable; 2] {
    [&K8S_AUDIT_FIELDS, &RUNTIME_FIELDS]
}

/// The field table of a rule's `source:` (`k8s_audit`, `syscall`), if Palisade reads it.
pub fn field_table(source: &str) -> Option<&'static dyn FieldTable> {
    field_tables().into_iter().find(|t| t.source() == source)
}

/// A rules file read into memory.
#[derive(Debug, Clone)]
pub struct RulesText {
    /// Path shown in diagnostics (`builtin:k8s_audit/10-execution.yaml` for built-ins).
    pub path: String,
    /// Where it is on disk, when it is on disk.
    pub file: Option<PathBuf>,
    /// Contents.
    pub text: String,
}

/// The built-in rules files of `pack` (`k8s_audit`), in load order.
pub fn builtin(pack: &str) -> Vec<RulesText> {
    BUILTIN_RULES
        .iter()
        .filter(|(p, _, _)| *p == pack)
        .map(|(p, name, text)| RulesText {
            path: format!("builtin:{p}/{name}"),
            file: None,
            text: (*text).to_owned(),
        })
        .collect()
}

/// The rules files of every built-in pack, pack after pack (their list and macro names do not
/// collide, so they load together).
pub fn builtin_all() -> Vec<RulesText> {
    PACKS.iter().flat_map(|(pack, _)| builtin(pack)).collect()
}

/// The directory of a built-in pack in the source tree (where its tests are).
pub fn source_dir(pack: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../rules")
        .join(pack)
}

/// Read rules files and directories (a directory contributes its `*.yaml`/`*.yml` files in
/// name order, test files excluded).
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<RulesText>> {
    let mut out = Vec::new();
    for path in paths {
        let files = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read rules directory {}", path.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_rules_file_name(p))
                .collect();
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read rules file {}", file.display()))?;
            out.push(RulesText {
                path: file.display().to_string(),
                file: Some(file),
                text,
            });
        }
    }
    Ok(out)
}

fn is_rules_file_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    (name.ends_with(".yaml") || name.ends_with(".yml")) && !name.contains(".tests.")
}

/// Load rules texts with the Falco-compatible loader.
pub fn load(texts: &[RulesText]) -> palisade_rules::Loaded {
    let files: Vec<palisade_rules::RulesFile<'_>> = texts
        .iter()
        .map(|t| palisade_rules::RulesFile {
            path: &t.path,
            text: &t.text,
        })
        .collect();
    palisade_rules::load(&files)
}

/// The ATT&CK techniques (translated into `catalogue`) and tactic shortnames (matrix order)
/// a rule's tags name. `T1609`, `attack.t1609`, `mitre_execution` are all understood; a
/// tactic tag picks among a technique's tactics, so a v18 rule tagged `T1562.001` and
/// `mitre_defense_evasion` lands in Defense Impairment under ATT&CK v19.
pub fn attack_of(tags: &[String], catalogue: &Catalogue) -> (Vec<String>, Vec<String>) {
    let tactic_tags: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("mitre_") && catalogue.tactic(t).is_some())
        .collect();
    let mut techniques = Vec::new();
    let mut tactic_idx: Vec<usize> = Vec::new();
    let add_tactic = |id: &str, idx: &mut Vec<usize>| {
        if let Some(i) = catalogue.tactics.iter().position(|t| t.id == id)
            && !idx.contains(&i)
        {
            idx.push(i);
        }
    };
    for tag in tags {
        let Some(id) = normalize_technique_id(tag) else {
            continue;
        };
        let Some(technique) = catalogue.resolve(&id) else {
            continue;
        };
        if !techniques.contains(&technique.id) {
            techniques.push(technique.id.clone());
        }
        let mut placed = Vec::new();
        for hint in &tactic_tags {
            placed.extend(
                catalogue
                    .place(&id, Some(hint))
                    .into_iter()
                    .map(|(t, _)| t.id.clone()),
            );
        }
        if placed.is_empty() {
            placed.extend(
                catalogue
                    .place(&id, None)
                    .into_iter()
                    .map(|(t, _)| t.id.clone()),
            );
        }
        for t in placed {
            add_tactic(&t, &mut tactic_idx);
        }
    }
    if techniques.is_empty() {
        for tag in &tactic_tags {
            if let Some(t) = catalogue.tactic(tag) {
                let id = t.id.clone();
                add_tactic(&id, &mut tactic_idx);
            }
        }
    }
    tactic_idx.sort_unstable();
    let tactics = tactic_idx
        .into_iter()
        .map(|i| catalogue.tactics[i].shortname.clone())
        .collect();
    (techniques, tactics)
}

/// Lint the ATT&CK tags of a rule of `source`: unknown technique ids, techniques off the
/// platform the source observes, and tactic tags that name none of the techniques' tactics.
///
/// Kubernetes audit rules must name techniques of the ATT&CK Containers platform. Runtime
/// (`syscall`) rules see the Linux processes of containers and nodes, so a Linux technique the
/// Containers platform does not list (T1620 Reflective Code Loading, T1055.008 Ptrace System
/// Calls, T1070.003 Clear Command History...) is accepted there too.
pub fn lint_tags(tags: &[String], source: &str, catalogue: &Catalogue) -> Vec<String> {
    let linux_too = source == palisade_runtime::SOURCE;
    let mut problems = Vec::new();
    let mut technique_tactics: Vec<String> = Vec::new();
    let mut any_technique = false;
    for tag in tags {
        let looks_like_id = tag.len() >= 5
            && (tag.starts_with('T') || tag.starts_with("attack.t"))
            && tag
                .chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_digit() || c == 't');
        match normalize_technique_id(tag) {
            Some(id) => match catalogue.resolve(&id) {
                Some(t) => {
                    any_technique = true;
                    technique_tactics
                        .extend(catalogue.tactics_of(&t.id).iter().map(|x| x.id.clone()));
                    if !t.is_live() {
                        problems.push(format!(
                            "technique {id} ({}) is revoked or deprecated in ATT&CK {}",
                            t.name, catalogue.version
                        ));
                    } else if linux_too && !t.is_containers() && !t.has_platform("Linux") {
                        problems.push(format!(
                            "technique {id} ({}) is on neither the ATT&CK Containers nor the Linux platform",
                            t.name
                        ));
                    } else if !linux_too && !t.is_containers() {
                        problems.push(format!(
                            "technique {id} ({}) is not on the ATT&CK Containers platform",
                            t.name
                        ));
                    }
                }
                None => problems.push(format!(
                    "unknown ATT&CK technique `{tag}` (ATT&CK {})",
                    catalogue.version
                )),
            },
            None if looks_like_id => {
                problems.push(format!("`{tag}` looks like a technique id but is not one"))
            }
            None => {}
        }
    }
    if !any_technique {
        problems.push(
            "no ATT&CK technique tag (e.g. `T1609`): its alerts cannot be placed on the matrix"
                .into(),
        );
    }
    // Tags are written against ATT&CK 18.1 (the built-in packs keep its ids): a tactic tag
    // that fits the techniques there still fits after a tactic split (v19 turned Defense
    // Evasion into Stealth and Defense Impairment, and T1562.001 into T1685).
    let v18 = Catalogue::builtin(palisade_attack::AttackVersion::V18_1);
    let fits_in_v18 = |tag: &str| {
        v18.tactic(tag).is_some_and(|tactic| {
            tags.iter()
                .filter_map(|t| normalize_technique_id(t))
                .filter_map(|id| v18.resolve(&id))
                .any(|t| v18.tactics_of(&t.id).iter().any(|x| x.id == tactic.id))
        })
    };
    for tag in tags.iter().filter(|t| t.starts_with("mitre_")) {
        match catalogue.tactic(tag) {
            None => problems.push(format!("unknown ATT&CK tactic tag `{tag}`")),
            Some(tactic)
                if any_technique
                    && !technique_tactics.contains(&tactic.id)
                    && !fits_in_v18(tag) =>
            {
                problems.push(format!(
                    "tactic tag `{tag}` ({}) is not a tactic of the rule's techniques",
                    tactic.name
                ))
            }
            Some(_) => {}
        }
    }
    problems
}
