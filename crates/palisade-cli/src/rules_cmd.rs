//! `palisade rules lint` and `palisade rules test`.

use crate::catalogue::AttackOpts;
use crate::rules_pack::{self, RulesText, lint_tags};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields};
use palisade_engine::{Engine, EngineOptions};
use palisade_rules::Severity;
use palisade_yaml::{Limits, Node, Schema, parse_stream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Work with rules files.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rules files like a compiler: syntax, undefined macros, unknown fields, operators
    /// on list fields, ATT&CK tags (unknown ids, tactic tags that do not fit the technique).
    Lint(LintArgs),
    /// Run each rule's test events and report which expectation failed and why.
    ///
    /// For a rules file `X.yaml` the tests are `X.tests.yaml` beside it or in `tests/`. A test
    /// file is a list of `{rule, match: [...], nomatch: [...]}`; each entry is one audit event
    /// or `{events: [...]}` fed in order (for threshold rules). `match`: the rule fires at
    /// least once; `nomatch`: it never fires. Without paths, the built-in pack is tested.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rules files or directories (loaded together, in order).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Lint on top of the built-in pack (for files that extend it).
    #[arg(long)]
    pub with_builtin: bool,
    #[command(flatten)]
    pub attack: AttackOpts,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rules files or directories; default: the built-in pack's directory `rules/k8s_audit`.
    pub paths: Vec<PathBuf>,
    /// Print every case, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    match args.command {
        RulesCommand::Lint(a) => lint(a),
        RulesCommand::Test(a) => test(a),
    }
}

fn lint(args: LintArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let mut texts = if args.with_builtin {
        rules_pack::builtin("k8s_audit")
    } else {
        Vec::new()
    };
    texts.extend(rules_pack::read_paths(&args.paths)?);
    let loaded = rules_pack::load(&texts);
    let (mut errors, mut warnings) = (0usize, 0usize);
    for d in &loaded.diagnostics {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        crate::outln!("{d}");
    }
    let table = K8sAuditFields;
    let (_, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
    for s in skipped.iter().filter(|s| s.error) {
        errors += 1;
        crate::outln!(
            "{}:{}:{}: error: rule `{}`: {}",
            s.path,
            s.line,
            s.column,
            s.rule,
            s.reason
        );
    }
    for s in skipped
        .iter()
        .filter(|s| !s.error && s.reason.starts_with("source"))
    {
        warnings += 1;
        crate::outln!(
            "{}:{}:{}: warning: rule `{}` not checked: {}",
            s.path,
            s.line,
            s.column,
            s.rule,
            s.reason
        );
    }
    for rule in &loaded.rules {
        for problem in lint_tags(&rule.tags, catalogue) {
            warnings += 1;
            crate::outln!(
                "{}:{}:{}: warning: rule `{}`: {problem}",
                rule.path,
                rule.pos.line,
                rule.pos.column,
                rule.name
            );
        }
    }
    crate::outln!(
        "{} rules from {} files: {errors} errors, {warnings} warnings",
        loaded.rules.len(),
        texts.len()
    );
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One test case.
struct Case {
    rule: String,
    expect_match: bool,
    events: Vec<String>,
    at: String,
}

fn default_pack_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/k8s_audit")
}

/// The tests file of a rules file: `X.tests.yaml` beside it, or in `tests/`.
fn tests_file_for(rules_file: &Path) -> Option<PathBuf> {
    let stem = rules_file.file_stem()?.to_str()?;
    let dir = rules_file.parent()?;
    [
        dir.join(format!("{stem}.tests.yaml")),
        dir.join("tests").join(format!("{stem}.tests.yaml")),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn read_cases(path: &Path, cases: &mut Vec<Case>, problems: &mut Vec<String>) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let shown = path.display().to_string();
    let stream = parse_stream(&text, Schema::Compose, &Limits::default());
    if let Some(e) = &stream.error {
        problems.push(format!("{shown}:{}:{}: {}", e.line, e.column, e.message));
    }
    for doc in &stream.documents {
        for entry in doc.root.items() {
            let at = format!("{shown}:{}", entry.span.line);
            let Some(rule) = entry.get("rule").and_then(Node::text) else {
                problems.push(format!("{at}: test case without `rule:`"));
                continue;
            };
            for (key, expect_match) in [("match", true), ("nomatch", false)] {
                for item in entry.get(key).map(Node::items).unwrap_or_default() {
                    let events = match item.get("events") {
                        Some(list) if item.get("auditID").is_none() => list
                            .items()
                            .iter()
                            .map(|e| e.to_json().to_string())
                            .collect(),
                        _ => vec![item.to_json().to_string()],
                    };
                    cases.push(Case {
                        rule: rule.to_owned(),
                        expect_match,
                        events,
                        at: format!("{shown}:{}", item.span.line),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Feed a case's events to a fresh engine (thresholds and de-duplication start empty).
/// Returns how often the case's rule fired and, per event, the fields its condition read.
fn run_case(
    loaded: &palisade_rules::Loaded,
    table: &K8sAuditFields,
    case: &Case,
) -> (usize, Vec<String>) {
    let (mut engine, _) = Engine::new(loaded, table, &EngineOptions::default());
    let mut fired = 0usize;
    let mut explanation = Vec::new();
    for (i, json) in case.events.iter().enumerate() {
        match AuditEvent::parse(json) {
            Ok(event) => {
                engine.process(&event, |alert| {
                    if alert.rule.name == case.rule {
                        fired += 1;
                    }
                });
                let fields = engine.explain(&case.rule, &event);
                explanation.push(format!(
                    "      event {}: {}",
                    i + 1,
                    fields
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            Err(e) => explanation.push(format!(
                "      event {}: not an audit event: {}",
                i + 1,
                e.message()
            )),
        }
    }
    (fired, explanation)
}

/// Rules of the built-in pack (from its directory in the source tree, where its tests are)
/// whose every test case passes, and the rules of the pack.
pub fn validated_builtin_rules()
-> Result<(palisade_rules::Loaded, std::collections::BTreeSet<String>)> {
    let texts = rules_pack::read_paths(&[default_pack_dir()])?;
    let loaded = rules_pack::load(&texts);
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for t in &texts {
        if let Some(file) = &t.file
            && let Some(tests) = tests_file_for(file)
        {
            read_cases(&tests, &mut cases, &mut problems)?;
        }
    }
    let table = K8sAuditFields;
    let mut failed: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut tested: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for case in &cases {
        tested.insert(case.rule.clone());
        let (fired, _) = run_case(&loaded, &table, case);
        if (fired > 0) != case.expect_match {
            failed.insert(case.rule.clone());
        }
    }
    let validated = tested.difference(&failed).cloned().collect();
    Ok((loaded, validated))
}

fn test(args: TestArgs) -> Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![default_pack_dir()]
    } else {
        args.paths.clone()
    };
    let texts: Vec<RulesText> = rules_pack::read_paths(&paths)?;
    let loaded = rules_pack::load(&texts);
    let mut problems: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let mut cases = Vec::new();
    for t in &texts {
        if let Some(file) = &t.file
            && let Some(tests) = tests_file_for(file)
        {
            read_cases(&tests, &mut cases, &mut problems)?;
        }
    }
    let table = K8sAuditFields;
    let (_, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
    for s in skipped.iter().filter(|s| s.error) {
        problems.push(format!(
            "{}:{}:{}: rule `{}` cannot run: {}",
            s.path, s.line, s.column, s.rule, s.reason
        ));
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut untested: Vec<&str> = loaded
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.name.as_str())
        .collect();
    for case in &cases {
        untested.retain(|r| *r != case.rule);
        if loaded.rule(&case.rule).is_none() {
            failed += 1;
            crate::outln!("FAIL {}: no rule named `{}`", case.at, case.rule);
            continue;
        }
        let (fired, explanation) = run_case(&loaded, &table, case);
        let ok = (fired > 0) == case.expect_match;
        let expectation = if case.expect_match {
            "should fire"
        } else {
            "should not fire"
        };
        if ok {
            passed += 1;
            if args.verbose {
                crate::outln!("ok   {} `{}` {expectation}", case.at, case.rule);
            }
        } else {
            failed += 1;
            crate::outln!(
                "FAIL {} `{}` {expectation} but fired {fired} times; fields seen:",
                case.at,
                case.rule
            );
            for line in &explanation {
                crate::outln!("{line}");
            }
        }
    }
    for p in &problems {
        crate::outln!("error: {p}");
    }
    for rule in &untested {
        crate::outln!("warning: rule `{rule}` has no test case");
    }
    crate::outln!(
        "{passed} passed, {failed} failed ({} rules, {} cases, {} without tests)",
        loaded.rules.len(),
        cases.len(),
        untested.len()
    );
    Ok(if failed > 0 || !problems.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
