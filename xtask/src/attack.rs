//! `xtask attack`: regenerate the ATT&CK catalogues embedded in `palisade-attack`.
//!
//! - `enterprise-attack-18.1.json` is `Catalogue::from_stix_bytes` of the Enterprise
//!   STIX bundle, serialized with serde_json.
//! - `enterprise-attack-19.json` is derived from the same catalogue plus the v19 facts
//!   in `containers.json` (`newer_versions`): tactic renames and the new Defense
//!   Impairment tactic, v19.1 tactics of the Containers techniques, revocations and the
//!   new Defense Impairment techniques. See `crates/palisade-attack/data/README.md`.
//!
//! Output is deterministic: running twice produces identical bytes.

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_attack::{Catalogue, Technique, normalize_technique_id};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the v19 catalogue puts tactics that did not exist in 18.1: right after the
/// tactic they were split from. Only TA0112 Defense Impairment (split from TA0005)
/// is known; its real position in the v19 matrix is unverified.
const SPLIT_FROM: &str = "TA0005";
/// Version recorded in the derived catalogue (its tactic facts are from v19.1).
const V19_VERSION: &str = "19.1";
const FILE_18_1: &str = "enterprise-attack-18.1.json";
const FILE_19: &str = "enterprise-attack-19.json";

#[derive(Args, Debug)]
pub(crate) struct AttackArgs {
    /// ATT&CK Enterprise STIX bundle, 2.0 or 2.1
    /// [default: ../shared/attack/enterprise-attack-18.1.stix20.json]
    #[arg(long, value_name = "PATH")]
    stix: Option<PathBuf>,
    /// Facts file with the `newer_versions` section
    /// [default: ../shared/attack/containers.json]
    #[arg(long = "containers-json", value_name = "PATH")]
    containers_json: Option<PathBuf>,
    /// Output directory [default: crates/palisade-attack/data]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// ATT&CK version to record when the bundle has no x-mitre-collection object
    /// [default: meta.attack_version from the facts file]
    #[arg(long, value_name = "VERSION")]
    attack_version: Option<String>,
    /// Do not write; fail if the files in the output directory differ
    #[arg(long)]
    check: bool,
}

#[derive(Deserialize)]
struct Facts {
    #[serde(default)]
    meta: Meta,
    newer_versions: NewerVersions,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    attack_version: Option<String>,
}

#[derive(Deserialize)]
struct NewerVersions {
    /// Tactic id -> "TA0005 Stealth".
    v19_tactics_enterprise: BTreeMap<String, String>,
    /// Containers technique id -> v19.1 tactic ids.
    v19_1_tactic_ids_for_v18_1_containers_techniques: BTreeMap<String, Vec<String>>,
    /// Technique id -> "revoked by T1685 Disable or Modify Tools".
    v19_revoked_containers_techniques: BTreeMap<String, String>,
    /// New technique id -> name ("\[ENT\] T1685 Disable or Modify Tools") and tactic ids.
    v19_new_defense_impairment_techniques: BTreeMap<String, NewTechnique>,
}

#[derive(Deserialize)]
struct NewTechnique {
    name: String,
    tactics: Vec<String>,
}

pub(crate) fn run(args: &AttackArgs) -> Result<()> {
    let root = crate::workspace_root();
    let shared = root.join("../shared/attack");
    let stix_path = args
        .stix
        .clone()
        .unwrap_or_else(|| shared.join("enterprise-attack-18.1.stix20.json"));
    let facts_path = args
        .containers_json
        .clone()
        .unwrap_or_else(|| shared.join("containers.json"));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("crates/palisade-attack/data"));

    let bytes = std::fs::read(&stix_path)
        .with_context(|| format!("reading STIX bundle {}", stix_path.display()))?;
    let facts_text = std::fs::read_to_string(&facts_path)
        .with_context(|| format!("reading facts {}", facts_path.display()))?;
    let facts: Facts = serde_json::from_str(&facts_text)
        .with_context(|| format!("parsing facts {}", facts_path.display()))?;

    let mut base = Catalogue::from_stix_bytes(&bytes)
        .with_context(|| format!("parsing STIX bundle {}", stix_path.display()))?;
    if let Some(v) = &args.attack_version {
        base.version = v.clone();
    } else if base.version == "unknown" {
        let Some(v) = facts.meta.attack_version.clone() else {
            bail!(
                "the bundle has no x-mitre-collection version; pass --attack-version or \
                 set meta.attack_version in {}",
                facts_path.display()
            );
        };
        println!(
            "note: bundle has no x-mitre-collection object; recording version {v} from the facts file"
        );
        base.version = v;
    }
    let v19 = derive_v19(&base, &facts.newer_versions)?;

    let mut stale = Vec::new();
    for (file, cat) in [(FILE_18_1, &base), (FILE_19, &v19)] {
        let mut json = serde_json::to_string(cat).context("serializing catalogue")?;
        json.push('\n');
        let path = out.join(file);
        let live = cat.techniques.iter().filter(|t| t.is_live()).count();
        let containers = cat.techniques.iter().filter(|t| t.is_containers()).count();
        println!(
            "ATT&CK {}: {} tactics, {} techniques ({} live, {} Containers), {} mitigations -> {} ({} bytes)",
            cat.version,
            cat.tactics.len(),
            cat.techniques.len(),
            live,
            containers,
            cat.mitigations.len(),
            path.display(),
            json.len()
        );
        if args.check {
            let current = std::fs::read(&path).unwrap_or_default();
            if current != json.as_bytes() {
                stale.push(path);
            }
        } else {
            write_if_changed(&path, json.as_bytes())?;
        }
    }
    if !stale.is_empty() {
        let list: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "out of date: {} (run `cargo run -p xtask -- attack`)",
            list.join(", ")
        );
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// "TA0005 Stealth" -> "Stealth"; "\[ENT\] T1685 Disable or Modify Tools" -> "Disable or Modify Tools".
fn strip_id_prefix<'a>(text: &'a str, id: &str) -> &'a str {
    let t = text.trim();
    let t = t.strip_prefix("[ENT]").unwrap_or(t).trim_start();
    t.strip_prefix(id).unwrap_or(t).trim()
}

/// "Defense Impairment" -> "defense-impairment".
fn shortname_for(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The first technique id in "revoked by T1685 Disable or Modify Tools".
fn first_technique_id(text: &str) -> Option<String> {
    text.split_whitespace().find_map(normalize_technique_id)
}

/// Build the v19 catalogue from the 18.1 catalogue and the v19 facts.
fn derive_v19(base: &Catalogue, facts: &NewerVersions) -> Result<Catalogue> {
    // Tactics: renames from the facts; tactics new in v19 go right after SPLIT_FROM.
    let known: BTreeSet<&str> = base.tactics.iter().map(|t| t.id.as_str()).collect();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let mut tactics = Vec::new();
    for t in &base.tactics {
        let mut t = t.clone();
        if let Some(fact) = facts.v19_tactics_enterprise.get(&t.id) {
            let name = strip_id_prefix(fact, &t.id);
            if !name.is_empty() && name != t.name {
                let shortname = shortname_for(name);
                renames.insert(t.shortname.clone(), shortname.clone());
                t.name = name.to_string();
                t.shortname = shortname;
            }
        }
        let id = t.id.clone();
        tactics.push(t);
        if id == SPLIT_FROM {
            for (new_id, fact) in &facts.v19_tactics_enterprise {
                if known.contains(new_id.as_str()) {
                    continue;
                }
                let name = strip_id_prefix(fact, new_id);
                tactics.push(palisade_attack::Tactic {
                    id: new_id.clone(),
                    shortname: shortname_for(name),
                    name: name.to_string(),
                });
            }
        }
    }
    for id in facts.v19_tactics_enterprise.keys() {
        if !tactics.iter().any(|t| t.id == *id) {
            bail!("v19 tactic {id} could not be placed (is {SPLIT_FROM} missing from the matrix?)");
        }
    }
    let shortname_of = |tactic_id: &str| -> Result<String> {
        tactics
            .iter()
            .find(|t| t.id == tactic_id)
            .map(|t| t.shortname.clone())
            .with_context(|| format!("unknown v19 tactic id {tactic_id}"))
    };
    let in_matrix_order = |ids: &[String]| -> Result<Vec<String>> {
        let wanted: BTreeSet<String> = ids
            .iter()
            .map(|id| shortname_of(id))
            .collect::<Result<_>>()?;
        Ok(tactics
            .iter()
            .filter(|t| wanted.contains(&t.shortname))
            .map(|t| t.shortname.clone())
            .collect())
    };

    // Revocations.
    let mut revoked: BTreeMap<&str, String> = BTreeMap::new();
    for (id, text) in &facts.v19_revoked_containers_techniques {
        let successor = first_technique_id(text)
            .with_context(|| format!("no successor id in revocation fact for {id}: {text}"))?;
        revoked.insert(id.as_str(), successor);
    }

    // Existing techniques.
    let mut techniques: BTreeMap<String, Technique> = BTreeMap::new();
    for t in &base.techniques {
        let mut t = t.clone();
        if let Some(successor) = revoked.get(t.id.as_str()) {
            t.tactics.clear();
            t.platforms.clear();
            t.mitigations.clear();
            t.data_components.clear();
            t.deprecated = false;
            t.revoked_by = Some(successor.clone());
        } else if let Some(ids) = facts
            .v19_1_tactic_ids_for_v18_1_containers_techniques
            .get(&t.id)
        {
            t.tactics = in_matrix_order(ids)?;
        } else {
            for s in &mut t.tactics {
                if let Some(new) = renames.get(s) {
                    *s = new.clone();
                }
            }
        }
        techniques.insert(t.id.clone(), t);
    }
    for id in facts
        .v19_1_tactic_ids_for_v18_1_containers_techniques
        .keys()
        .chain(facts.v19_revoked_containers_techniques.keys())
    {
        if !base.techniques.iter().any(|t| t.id == *id) {
            bail!(
                "v19 fact names {id}, which is not in the ATT&CK {} catalogue",
                base.version
            );
        }
    }
    for t in base.techniques.iter().filter(|t| t.is_containers()) {
        if !facts
            .v19_1_tactic_ids_for_v18_1_containers_techniques
            .contains_key(&t.id)
            && !revoked.contains_key(t.id.as_str())
        {
            println!(
                "warning: no v19 facts for Containers technique {}; keeping its renamed 18.1 tactics",
                t.id
            );
        }
    }

    // New techniques. Platforms, mitigations and data components are inherited from the
    // techniques they revoke (assumption): from the one with the same name if there is
    // one (T1562.001 "Disable or Modify Tools" for T1685), else from all of them; with
    // no such technique they stay empty (unknown).
    for (id, fact) in &facts.v19_new_defense_impairment_techniques {
        if base.techniques.iter().any(|t| t.id == *id) {
            bail!(
                "new v19 technique {id} already exists in ATT&CK {}",
                base.version
            );
        }
        let name = strip_id_prefix(&fact.name, id);
        let mut predecessors: Vec<&Technique> = revoked
            .iter()
            .filter(|(_, successor)| *successor == id)
            .filter_map(|(old, _)| base.techniques.iter().find(|t| t.id == *old))
            .collect();
        if predecessors.iter().any(|p| p.name == name) {
            predecessors.retain(|p| p.name == name);
        }
        let mut platforms: Vec<String> = Vec::new();
        let mut mitigations: BTreeSet<String> = BTreeSet::new();
        let mut data_components: BTreeSet<String> = BTreeSet::new();
        for p in &predecessors {
            for platform in &p.platforms {
                if !platforms.contains(platform) {
                    platforms.push(platform.clone());
                }
            }
            mitigations.extend(p.mitigations.iter().cloned());
            data_components.extend(p.data_components.iter().cloned());
        }
        let parent = id.split_once('.').map(|(p, _)| p.to_string());
        techniques.insert(
            id.clone(),
            Technique {
                id: id.clone(),
                name: name.to_string(),
                parent,
                tactics: in_matrix_order(&fact.tactics)?,
                platforms,
                url: format!(
                    "https://attack.mitre.org/techniques/{}",
                    id.replace('.', "/")
                ),
                mitigations: mitigations.into_iter().collect(),
                data_components: data_components.into_iter().collect(),
                revoked_by: None,
                deprecated: false,
            },
        );
    }
    for successor in revoked.values() {
        if !techniques.contains_key(successor) {
            bail!(
                "revocation successor {successor} is neither in 18.1 nor among the new v19 techniques"
            );
        }
    }

    Ok(Catalogue {
        version: V19_VERSION.to_string(),
        domain: base.domain.clone(),
        tactics,
        techniques: techniques.into_values().collect(),
        mitigations: base.mitigations.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fact_strings() {
        assert_eq!(strip_id_prefix("TA0005 Stealth", "TA0005"), "Stealth");
        assert_eq!(
            strip_id_prefix(
                "[ENT] T1685.001 Disable or Modify Windows Event Log",
                "T1685.001"
            ),
            "Disable or Modify Windows Event Log"
        );
        assert_eq!(shortname_for("Defense Impairment"), "defense-impairment");
        assert_eq!(
            first_technique_id("revoked by T1685 Disable or Modify Tools").as_deref(),
            Some("T1685")
        );
        assert_eq!(first_technique_id("revoked"), None);
    }
}
