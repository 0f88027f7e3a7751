//! `palisade checks`: the check catalogue from the command line.

use anyhow::{Result, bail};
use clap::Args;
use palisade_scan::checks::{all_checks, check_by_id};
use std::process::ExitCode;

/// List the posture checks, or explain one.
#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// A check id (e.g. PAL-K8S-001) to explain: rationale, remediation, examples.
    pub id: Option<String>,
    /// Print the list as JSON (id, name, title, severity, techniques, target).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ChecksArgs) -> Result<ExitCode> {
    if let Some(id) = &args.id {
        let Some(check) = check_by_id(id) else {
            bail!("no check `{id}`; `palisade checks` lists them all");
        };
        let info = &check.info;
        if args.json {
            crate::outln!("{}", serde_json::to_string_pretty(info)?);
            return Ok(ExitCode::SUCCESS);
        }
        crate::outln!("{} {} ({})", info.id, info.title, info.name);
        crate::outln!(
            "severity: {}   techniques: {}   input: {}",
            info.severity,
            info.techniques.join(", "),
            info.target.as_str()
        );
        crate::outln!("\nWhy it matters\n  {}", wrap(info.rationale));
        crate::outln!("\nHow to fix\n  {}", wrap(info.remediation));
        crate::outln!("\nFlagged\n{}", indent(info.bad_example));
        crate::outln!("Fixed\n{}", indent(info.good_example));
        return Ok(ExitCode::SUCCESS);
    }
    let checks = all_checks();
    if args.json {
        let infos: Vec<_> = checks.iter().map(|c| &c.info).collect();
        crate::outln!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(ExitCode::SUCCESS);
    }
    for check in &checks {
        let info = &check.info;
        crate::outln!(
            "{:<13} {:<8} {:<24} {}",
            info.id,
            info.severity.as_str(),
            info.techniques.join(","),
            info.title
        );
    }
    crate::outln!(
        "\n{} checks. `palisade checks ID` explains one.",
        checks.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        if line_len + word.len() > 90 && line_len > 0 {
            out.push_str("\n  ");
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
