//! `palisade scan`.

use crate::catalogue::{AttackOpts, localise, tactics_of};
use crate::term::{TermOpts, today};
use crate::walk;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use palisade_attack::navigator::LayerBuilder;
use palisade_core::{InputError, InputErrorKind, ScanReport, Severity};
use palisade_report::{
    GroupBy, RenderContext, TableOptions, render_json, render_sarif, render_table,
};
use palisade_scan::checks::all_checks;
use palisade_scan::suppress::parse_suppression_file;
use palisade_scan::{ScanOptions, Scanner, Source};
use rayon::prelude::*;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `palisade scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human table grouped by ATT&CK tactic (or severity), with file:line.
    Table,
    /// `palisade.scan/v1` JSON (docs/schema/palisade.scan.v1.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// ATT&CK Navigator layer (4.5) of the techniques the findings enable, scored.
    Navigator,
}

/// `--group-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Grouping {
    /// ATT&CK tactic, in kill-chain order.
    Tactic,
    /// Severity, critical first.
    Severity,
}

/// Scan Kubernetes manifests and RBAC, Dockerfiles and Compose files.
///
/// Directories are walked recursively for *.yaml, *.yml, *.json, Dockerfile* /
/// Containerfile* and compose files; `-` reads stdin (e.g. `helm template . | palisade scan -`,
/// `kustomize build | palisade scan -`). Exit code: 0 nothing at or above --fail-on, 1 findings at
/// or above it, 2 usage error or an input that could not be read or parsed (everything else is
/// still scanned and reported).
///
/// Suppress a finding with an annotation `palisade.dev/ignore: "PAL-K8S-001 -- reason"`, an
/// inline comment `# palisade:ignore PAL-K8S-001 -- reason` (on the line or the line above;
/// `until=YYYY-MM-DD` before `--` makes it expire), or a central file (--suppressions).
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when an unsuppressed finding has this severity or higher.
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Table grouping.
    #[arg(long, value_enum, default_value = "tactic")]
    pub group_by: Grouping,
    /// List suppressed findings with their reasons (they never count towards --fail-on).
    #[arg(long)]
    pub show_suppressed: bool,
    /// Central suppression file (default: .palisade-ignore.yaml in the current directory, if
    /// present).
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Only run these checks (ids or families like PAL-K8S; comma separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,
    /// Skip these checks (ids or families; comma separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Variables for Compose `${VAR}` interpolation are read from the environment; this adds
    /// or overrides one (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Do not show the progress bar (it only shows on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Also record the findings in this SQLite store (created if missing), for
    /// `palisade alerts` and incident correlation.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Leave out the ATT&CK matrix that heads the table output.
    #[arg(long)]
    pub no_matrix: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// Read one input, refusing anything larger than the parser would accept anyway.
fn read_input(path: &std::path::Path, max: usize) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(max as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return check_size(buf, max);
    }
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > max as u64 {
        return Err(format!(
            "file is {} bytes, more than the {max} byte limit",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    check_size(bytes, max)
}

fn check_size(bytes: Vec<u8>, max: usize) -> Result<Vec<u8>, String> {
    if bytes.len() > max {
        Err(format!("input is more than the {max} byte limit"))
    } else {
        Ok(bytes)
    }
}

fn display_path(path: &std::path::Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// The scan options of the command line: the environment plus `--env` pairs for Compose
/// interpolation, today's date, `--select` / `--ignore`, and the central suppression file
/// (`suppressions`, else `.palisade-ignore.yaml` when present). Problems in the suppression
/// file are returned as input errors.
pub fn scan_options(
    select: &[String],
    ignore: &[String],
    env: &[String],
    suppressions: Option<&std::path::Path>,
) -> Result<(ScanOptions, Vec<InputError>)> {
    let mut options = ScanOptions {
        env: std::env::vars().collect(),
        today: today(),
        select: select.to_vec(),
        ignore: ignore.to_vec(),
        ..ScanOptions::default()
    };
    for pair in env {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("--env expects NAME=VALUE, got `{pair}`"))?;
        options.env.insert(name.to_owned(), value.to_owned());
    }
    let mut extra_errors = Vec::new();
    let suppression_file = suppressions.map(std::path::Path::to_path_buf).or_else(|| {
        let default = PathBuf::from(".palisade-ignore.yaml");
        default.exists().then_some(default)
    });
    if let Some(path) = &suppression_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read suppression file {}", path.display()))?;
        let (declared, errors) = parse_suppression_file(&display_path(path), &text);
        options.suppressions = declared;
        extra_errors.extend(errors);
    }
    Ok((options, extra_errors))
}

/// Scan `paths` as `palisade scan` does: walk directories, read files in parallel, run the
/// checks, judge RBAC across files, apply suppressions, and express the findings in
/// `catalogue`. `extra_errors` are added to the report's errors. A progress bar shows on a
/// terminal for large inputs unless `no_progress`.
pub fn scan_paths(
    paths: &[PathBuf],
    options: &ScanOptions,
    mut extra_errors: Vec<InputError>,
    no_progress: bool,
    catalogue: &palisade_attack::Catalogue,
) -> ScanReport {
    let inputs = walk::collect(paths);
    for (path, message) in inputs.errors {
        extra_errors.push(InputError {
            path,
            line: 0,
            column: 0,
            message,
            kind: InputErrorKind::Io,
        });
    }
    let template_skips: Vec<_> = inputs
        .skipped
        .into_iter()
        .map(|(path, reason)| palisade_core::SkippedInput {
            path: display_path(std::path::Path::new(&path)),
            reason,
        })
        .collect();
    let progress = if no_progress || !std::io::stderr().is_terminal() || inputs.files.len() < 50 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(inputs.files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning {pos}/{len} files [{bar:30}] {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    };
    let scanner = Scanner::new(options);
    let max = options.limits.max_bytes;
    let outcomes: Vec<_> = inputs
        .files
        .par_iter()
        .map(|path| {
            let shown = display_path(path);
            let outcome = match read_input(path, max) {
                Ok(bytes) => scanner.scan_source(Source {
                    path: shown,
                    bytes,
                    kind: None,
                }),
                Err(message) => palisade_scan::FileOutcome::error(InputError {
                    path: shown,
                    line: 0,
                    column: 0,
                    message,
                    kind: InputErrorKind::Io,
                }),
            };
            progress.inc(1);
            outcome
        })
        .collect();
    progress.finish_and_clear();
    let mut report: ScanReport = scanner.finish(outcomes);
    report.errors.extend(extra_errors);
    report.skipped.extend(template_skips);
    report.skipped.sort();
    report.errors.sort();
    for finding in &mut report.findings {
        localise(finding, catalogue);
    }
    report
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global()
            .context("cannot start worker threads")?;
    }
    let (options, extra_errors) = scan_options(
        &args.select,
        &args.ignore,
        &args.env,
        args.suppressions.as_deref(),
    )?;
    let report = scan_paths(
        &args.paths,
        &options,
        extra_errors,
        args.no_progress,
        catalogue,
    );

    if let Some(path) = &args.store {
        crate::alerts_cmd::store_findings(path, &report, &catalogue.version)?;
    }
    let to_file = args.output.is_some();
    let checks: Vec<_> = all_checks().into_iter().map(|c| c.info).collect();
    let tactic_of = |t: &str| tactics_of(catalogue, t);
    let technique_name = |t: &str| catalogue.resolve(t).map(|x| x.name.clone());
    let cx = RenderContext {
        tool_version: env!("CARGO_PKG_VERSION"),
        attack_version: &catalogue.version,
        checks: &checks,
        tactic_of: &tactic_of,
        technique_name: &technique_name,
    };
    let color = args.term.color(to_file);
    let mut rendered = match args.format {
        Format::Table if !args.no_matrix => {
            let mut text = findings_matrix(&report, catalogue, args.term.width(), color);
            text.push('\n');
            text.push_str(&render_table(
                &report,
                &cx,
                &TableOptions {
                    group_by: match args.group_by {
                        Grouping::Tactic => GroupBy::Tactic,
                        Grouping::Severity => GroupBy::Severity,
                    },
                    color,
                    width: args.term.width(),
                    show_suppressed: args.show_suppressed,
                },
            ));
            text
        }
        Format::Table => render_table(
            &report,
            &cx,
            &TableOptions {
                group_by: match args.group_by {
                    Grouping::Tactic => GroupBy::Tactic,
                    Grouping::Severity => GroupBy::Severity,
                },
                color,
                width: args.term.width(),
                show_suppressed: args.show_suppressed,
            },
        ),
        Format::Json => render_json(&report, &cx),
        Format::Sarif => render_sarif(&report, &cx),
        Format::Navigator => navigator_layer(&report, catalogue)?,
    };
    if !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(rendered.as_bytes());
        }
    }
    if args.format != Format::Table {
        for error in &report.errors {
            eprintln!("palisade: {error}");
        }
    }
    let failing = report.active_findings().any(|f| f.severity >= args.fail_on);
    Ok(if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The ATT&CK matrix with the techniques the active findings enable highlighted: heat by the
/// worst severity, label = number of findings.
fn findings_matrix(
    report: &ScanReport,
    catalogue: &palisade_attack::Catalogue,
    width: usize,
    color: bool,
) -> String {
    use palisade_attack::matrix::{Highlight, MatrixOptions, render_matrix};
    use std::collections::BTreeMap;
    let mut per_technique: BTreeMap<String, (Severity, usize)> = BTreeMap::new();
    for finding in report.active_findings() {
        for technique in &finding.techniques {
            let entry = per_technique
                .entry(technique.clone())
                .or_insert((Severity::Info, 0));
            entry.0 = entry.0.max(finding.severity);
            entry.1 += 1;
        }
    }
    let highlights = per_technique
        .into_iter()
        .map(|(id, (severity, count))| {
            let level = match severity {
                Severity::Critical => 4,
                Severity::High => 3,
                Severity::Medium => 2,
                Severity::Low | Severity::Info => 1,
            };
            (
                id,
                Highlight {
                    level,
                    label: Some(count.to_string()),
                },
            )
        })
        .collect();
    render_matrix(
        catalogue,
        &MatrixOptions {
            width,
            color,
            highlights,
            title: Some(format!(
                "ATT&CK v{} for Containers: techniques your configuration enables (number = findings, heat = worst severity)",
                catalogue.version
            )),
        },
    )
}

/// Score of one finding in the Navigator layer.
fn severity_score(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 100.0,
        Severity::High => 75.0,
        Severity::Medium => 50.0,
        Severity::Low => 25.0,
        Severity::Info => 10.0,
    }
}

/// A layer of the techniques the (unsuppressed) findings enable, scored by the worst severity,
/// commented with the checks and how many findings each has.
fn navigator_layer(report: &ScanReport, catalogue: &palisade_attack::Catalogue) -> Result<String> {
    use std::collections::BTreeMap;
    let mut per_technique: BTreeMap<&str, (Severity, BTreeMap<&str, usize>)> = BTreeMap::new();
    for finding in report.active_findings() {
        for technique in &finding.techniques {
            let entry = per_technique
                .entry(technique)
                .or_insert((Severity::Info, BTreeMap::new()));
            entry.0 = entry.0.max(finding.severity);
            *entry.1.entry(&finding.check).or_default() += 1;
        }
    }
    let mut builder = LayerBuilder::new("Palisade posture findings", catalogue)
        .description(format!(
            "Techniques enabled by {} posture findings in {} files (score: worst severity)",
            report.active_findings().count(),
            report.files
        ))
        .gradient(
            vec!["#fff7bc".into(), "#fd8d3c".into(), "#bd0026".into()],
            0.0,
            100.0,
        );
    for (technique, (severity, checks)) in per_technique {
        let comment = checks
            .iter()
            .map(|(check, n)| format!("{check} x{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let metadata = vec![("worst severity".to_owned(), severity.to_string())];
        // A technique outside this catalogue is reported, not silently dropped.
        if let Err(e) = builder.add(
            technique,
            None,
            severity_score(severity),
            &comment,
            metadata,
        ) {
            eprintln!("palisade: warning: {e}");
        }
    }
    Ok(builder.build().to_json_pretty())
}
