//! Workspace automation: `cargo run -p xtask -- <subcommand>`.
//!
//! Each subcommand lives in its own module; add new ones to [`Command`].

mod attack;
mod docs;
mod ebpf;
mod gen_audit;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "xtask", about = "Palisade workspace tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the ATT&CK catalogues in crates/palisade-attack/data/.
    Attack(attack::AttackArgs),
    /// Regenerate docs/checks.md and docs/fields.md from the code (`--check` verifies them).
    Docs(docs::DocsArgs),
    /// Rebuild the sensor's eBPF object with clang (`--check` verifies the committed one).
    Ebpf(ebpf::EbpfArgs),
    /// Generate a synthetic Kubernetes audit log for the detection benchmark.
    GenAudit(gen_audit::GenAuditArgs),
}

/// The workspace root (the directory above `xtask/`).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Attack(args) => attack::run(&args),
        Command::Docs(args) => docs::run(&args),
        Command::GenAudit(args) => gen_audit::run(&args),
        Command::Ebpf(args) => ebpf::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
