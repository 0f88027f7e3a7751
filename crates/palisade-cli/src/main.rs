//! `palisade`: container risk in the language of MITRE ATT&CK for Containers.

mod alerts_cmd;
mod attack_cmd;
mod catalogue;
mod checks_cmd;
mod coverage_cmd;
mod demo_cmd;
mod detect_cmd;
mod incidents_cmd;
mod report_cmd;
mod rules_cmd;
mod rules_pack;
mod scan_cmd;
mod term;
mod walk;
mod watch_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// Correlation and detection allocate many short strings; glibc malloc spends about a
// third of the correlator's time on them (docs/performance.md, "Correlation").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Palisade names the MITRE ATT&CK for Containers technique behind every finding.
///
/// Scan Kubernetes manifests, RBAC, Dockerfiles and Compose files for the misconfigurations
/// attackers use, see them on the ATT&CK matrix, and export them as JSON, SARIF or ATT&CK
/// Navigator layers.
#[derive(Debug, Parser)]
#[command(
    name = "palisade",
    version,
    about,
    long_about,
    propagate_version = true
)]
#[command(
    after_help = "Examples:\n  palisade demo\n  palisade scan examples/\n  palisade scan k8s/ --format sarif --output palisade.sarif\n  helm template ./chart | palisade scan -\n  palisade attack --matrix\n  palisade attack T1611\n  palisade checks PAL-K8S-012"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // `about` only (a doc comment here would also replace the long help of the Args struct).
    Demo(demo_cmd::DemoArgs),
    #[command(about = "Scan manifests, RBAC, Dockerfiles and Compose files for misconfigurations.")]
    Scan(scan_cmd::ScanArgs),
    #[command(
        about = "Show the ATT&CK for Containers matrix, or one technique and what covers it."
    )]
    Attack(attack_cmd::AttackArgs),
    #[command(about = "List the posture checks, or explain one.")]
    Checks(checks_cmd::ChecksArgs),
    #[command(
        about = "Replay Kubernetes audit logs or runtime recordings through the detection rules."
    )]
    Detect(detect_cmd::DetectArgs),
    #[command(
        about = "Watch this machine's containers live with the eBPF sensor and the runtime rules."
    )]
    Watch(watch_cmd::WatchArgs),
    #[command(about = "Lint rules files, or run their test events.")]
    Rules(rules_cmd::RulesArgs),
    #[command(
        about = "Query the alerts kept in a store (`--store` on scan/detect), or prune old ones."
    )]
    Alerts(alerts_cmd::AlertsArgs),
    #[command(
        about = "Join the stored alerts and the latest scan's findings into incidents (attack chains)."
    )]
    Incidents(incidents_cmd::IncidentsArgs),
    #[command(
        about = "What Palisade covers of the ATT&CK for Containers matrix: claimed, deployed, validated."
    )]
    Coverage(coverage_cmd::CoverageArgs),
    #[command(about = "Write one self-contained HTML report: matrix heatmap, incidents, posture.")]
    Report(report_cmd::ReportArgs),
}

/// `println!` that treats a closed stdout (`palisade checks | head`) as the end of output
/// rather than a crash.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` with the same behaviour as [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo_cmd::run(args),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Attack(args) => attack_cmd::run(args),
        Command::Checks(args) => checks_cmd::run(args),
        Command::Detect(args) => detect_cmd::run(args),
        Command::Watch(args) => watch_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Alerts(args) => alerts_cmd::run(args),
        Command::Incidents(args) => incidents_cmd::run(args),
        Command::Coverage(args) => coverage_cmd::run(args),
        Command::Report(args) => report_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("palisade: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
