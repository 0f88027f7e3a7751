//! Choosing the ATT&CK catalogue (`--attack-version`, `--attack-data`) and expressing
//! findings in it.

use anyhow::{Context, Result};
use clap::Args;
use palisade_attack::{AttackVersion, Catalogue};
use palisade_core::Finding;
use std::path::PathBuf;

/// ATT&CK options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct AttackOpts {
    /// ATT&CK version to speak: 18.1, or 19 (Defense Evasion split into Stealth and Defense
    /// Impairment; T1562.001 is T1685 there).
    #[arg(long, value_name = "VERSION", default_value = "18.1", global = true)]
    pub attack_version: AttackVersion,
    /// Load a newer ATT&CK Enterprise STIX 2.0/2.1 bundle instead of the built-in data
    /// (e.g. enterprise-attack-19.1.json), so a new ATT&CK release needs no new Palisade.
    #[arg(long, value_name = "FILE", global = true)]
    pub attack_data: Option<PathBuf>,
}

impl AttackOpts {
    /// The catalogue these options select.
    pub fn catalogue(&self) -> Result<&'static Catalogue> {
        match &self.attack_data {
            None => Ok(Catalogue::builtin(self.attack_version)),
            Some(path) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read ATT&CK data {}", path.display()))?;
                let catalogue = Catalogue::from_stix_bytes(&bytes).with_context(|| {
                    format!("{} is not a usable ATT&CK STIX bundle", path.display())
                })?;
                // One catalogue per process run: leaking it gives the same lifetime as the
                // built-in ones.
                Ok(Box::leak(Box::new(catalogue)))
            }
        }
    }
}

/// Translate a finding's techniques into `catalogue` (revoked ids follow their successor)
/// and fill its tactics in matrix order.
pub fn localise(finding: &mut Finding, catalogue: &Catalogue) {
    let mut techniques: Vec<String> = Vec::new();
    let mut tactic_idx: Vec<usize> = Vec::new();
    for id in &finding.techniques {
        let resolved = catalogue
            .resolve(id)
            .map_or_else(|| id.clone(), |t| t.id.clone());
        if !techniques.contains(&resolved) {
            techniques.push(resolved);
        }
        for (tactic, _) in catalogue.place(id, None) {
            if let Some(i) = catalogue.tactics.iter().position(|t| t.id == tactic.id)
                && !tactic_idx.contains(&i)
            {
                tactic_idx.push(i);
            }
        }
    }
    tactic_idx.sort_unstable();
    finding.techniques = techniques;
    finding.tactics = tactic_idx
        .into_iter()
        .map(|i| catalogue.tactics[i].shortname.clone())
        .collect();
}

/// `(shortname, name, matrix order)` of the tactics a technique sits in.
pub fn tactics_of(catalogue: &Catalogue, technique: &str) -> Vec<(String, String, usize)> {
    catalogue
        .place(technique, None)
        .into_iter()
        .map(|(tactic, _)| {
            let order = catalogue
                .tactics
                .iter()
                .position(|t| t.id == tactic.id)
                .unwrap_or(usize::MAX);
            (tactic.shortname.clone(), tactic.name.clone(), order)
        })
        .collect()
}
