//! `palisade attack`: the ATT&CK for Containers matrix and technique details.

use crate::catalogue::AttackOpts;
use crate::term::TermOpts;
use anyhow::Result;
use clap::Args;
use palisade_attack::matrix::{Highlight, MatrixOptions, render_matrix, render_technique};
use palisade_scan::checks::all_checks;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Show the ATT&CK for Containers matrix, or one technique.
#[derive(Debug, Args)]
pub struct AttackArgs {
    /// A technique id (T1611, T1053.007, an old id like T1562.001) to describe.
    pub technique: Option<String>,
    /// With a technique: also draw the matrix. (Without one, the matrix is what is shown.)
    #[arg(long)]
    pub matrix: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// (id or name, title, technique tags) of everything that covers techniques: posture checks
/// and the built-in detection rules.
fn coverage_items(catalogue: &palisade_attack::Catalogue) -> Vec<(String, String, Vec<String>)> {
    let mut items: Vec<(String, String, Vec<String>)> = all_checks()
        .iter()
        .map(|c| {
            (
                c.info.id.to_owned(),
                c.info.title.to_owned(),
                c.info.techniques.iter().map(|t| (*t).to_owned()).collect(),
            )
        })
        .collect();
    let loaded = crate::rules_pack::load(&crate::rules_pack::builtin("k8s_audit"));
    for rule in loaded.rules.iter().filter(|r| r.enabled) {
        let (techniques, _) = crate::rules_pack::attack_of(&rule.tags, catalogue);
        items.push((
            format!("rule ({})", rule.source),
            rule.name.clone(),
            techniques,
        ));
    }
    items
}

pub fn run(args: AttackArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let checks = all_checks();
    let items = coverage_items(catalogue);
    if let Some(id) = &args.technique {
        let wanted = catalogue.resolve(id).map(|t| t.id.clone());
        let covered: Vec<(String, String)> = items
            .iter()
            .filter(|(_, _, techniques)| {
                techniques.iter().any(|t| {
                    catalogue.resolve(t).map(|r| r.id.clone()) == wanted
                        || t.eq_ignore_ascii_case(id)
                })
            })
            .map(|(id, title, _)| (id.clone(), title.clone()))
            .collect();
        crate::out!("{}", render_technique(catalogue, id, &covered)?);
        if !args.matrix {
            return Ok(ExitCode::SUCCESS);
        }
        crate::outln!();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, techniques) in &items {
        for t in techniques {
            let id = catalogue
                .resolve(t)
                .map_or_else(|| t.clone(), |r| r.id.clone());
            *counts.entry(id).or_default() += 1;
        }
    }
    let highlights = counts
        .into_iter()
        .map(|(id, n)| {
            let level = match n {
                1 => 1,
                2..=3 => 2,
                4..=7 => 3,
                _ => 4,
            };
            (
                id,
                Highlight {
                    level,
                    label: Some(n.to_string()),
                },
            )
        })
        .collect();
    let options = MatrixOptions {
        width: args.term.width(),
        color: args.term.color(false),
        highlights,
        title: Some(format!(
            "ATT&CK v{} for Containers: techniques covered by Palisade's {} posture checks and {} audit rules (number = checks + rules)",
            catalogue.version,
            checks.len(),
            items.len() - checks.len()
        )),
    };
    crate::out!("{}", render_matrix(catalogue, &options));
    Ok(ExitCode::SUCCESS)
}
