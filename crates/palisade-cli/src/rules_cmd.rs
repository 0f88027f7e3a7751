//! `palisade rules lint`, `palisade rules test` and `palisade rules fields`.

use crate::catalogue::AttackOpts;
use crate::detect_cmd::output_gap_message;
use crate::rules_pack::{self, PACKS, RulesText, field_table, field_tables, lint_tags};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use palisade_engine::k8s_audit::AuditEvent;
use palisade_engine::{Engine, EngineOptions, Event, FieldTable};
use palisade_rules::Severity;
use palisade_runtime::RuntimeEvent;
use palisade_yaml::{Limits, Node, Schema, parse_stream};
use std::collections::{BTreeSet, HashMap};
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
    /// Check rules files like a compiler: syntax, undefined macros, unknown fields (of the
    /// rule's source: `k8s_audit` or `syscall`), operators on list fields, ATT&CK tags
    /// (unknown ids, tactic tags that do not fit the technique).
    Lint(LintArgs),
    /// Run each rule's test events and report which expectation failed and why.
    ///
    /// For a rules file `X.yaml` the tests are `X.tests.yaml` beside it or in `tests/`. A test
    /// file is a list of `{rule, match: [...], nomatch: [...]}`; each entry is one event or
    /// `{events: [...]}` fed in order (for threshold rules). An event is a Kubernetes audit
    /// event for `source: k8s_audit` rules, and a runtime event (one line of `palisade watch
    /// --record`, written as YAML) for `source: syscall` rules. `match`: the rule fires at
    /// least once; `nomatch`: it never fires. Without paths, the built-in packs are tested one
    /// after the other (`rules/k8s_audit`, `rules/runtime`).
    Test(TestArgs),
    /// List the fields rules can use, per event source, with how each is written
    /// (`proc.aname[N]`, `evt.arg.KEY`) and what it holds.
    ///
    /// Fields marked "compared by network" take addresses or CIDR networks
    /// (`fd.snet in ("10.0.0.0/8")`); list fields say which operators they accept. The same
    /// reference, as Markdown, is docs/fields.md.
    Fields(FieldsArgs),
}

#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// Only this source's fields (`k8s_audit` or `syscall`); default: both.
    pub source: Option<String>,
    /// `text` (aligned columns) or `markdown` (the docs/fields.md tables).
    #[arg(long, default_value = "text", value_parser = ["text", "markdown"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rules files or directories (loaded together, in order).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Lint on top of the built-in packs (for files that extend them).
    #[arg(long)]
    pub with_builtin: bool,
    #[command(flatten)]
    pub attack: AttackOpts,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rules files or directories, loaded together; default: each built-in pack's directory
    /// (`rules/k8s_audit`, then `rules/runtime`).
    pub paths: Vec<PathBuf>,
    /// Print every case, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    match args.command {
        RulesCommand::Lint(a) => lint(a),
        RulesCommand::Test(a) => test(a),
        RulesCommand::Fields(a) => fields(&a),
    }
}

fn fields(args: &FieldsArgs) -> Result<ExitCode> {
    let tables: Vec<&dyn FieldTable> = match &args.source {
        None => field_tables().to_vec(),
        Some(source) => match field_table(source) {
            Some(t) => vec![t],
            None => {
                let known: Vec<&str> = field_tables().iter().map(|t| t.source()).collect();
                bail!(
                    "unknown source `{source}`: Palisade reads {}",
                    known.join(" and ")
                );
            }
        },
    };
    if args.format == "markdown" {
        crate::outln!(
            "{}",
            palisade_engine::reference::markdown(&tables).trim_end()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            crate::outln!();
        }
        crate::outln!(
            "source: {} ({} fields)",
            table.source(),
            table.fields().len()
        );
        crate::outln!("{}", palisade_engine::reference::text(*table).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

fn lint(args: LintArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let mut texts = if args.with_builtin {
        rules_pack::builtin_all()
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
    // Each rule is compiled against the field table of its own source; the engine of one
    // source skips the rules of the others without error.
    let order: HashMap<&str, usize> = loaded
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let mut skipped = Vec::new();
    let mut gaps = Vec::new();
    for table in field_tables() {
        let (engine, s) = Engine::new(&loaded, table, &EngineOptions::default());
        skipped.extend(s.into_iter().filter(|s| s.error));
        gaps.extend(engine.output_gaps());
    }
    skipped.sort_by_key(|s| order.get(s.rule.as_str()).copied().unwrap_or(usize::MAX));
    gaps.sort_by_key(|g| order.get(g.rule.as_str()).copied().unwrap_or(usize::MAX));
    for s in &skipped {
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
    for g in &gaps {
        warnings += 1;
        crate::outln!("{}", output_gap_message(g, "warning"));
    }
    let known: Vec<&str> = field_tables().iter().map(|t| t.source()).collect();
    for rule in loaded
        .rules
        .iter()
        .filter(|r| field_table(&r.source).is_none())
    {
        warnings += 1;
        crate::outln!(
            "{}:{}:{}: warning: rule `{}` not checked: source `{}` is not one Palisade reads ({})",
            rule.path,
            rule.pos.line,
            rule.pos.column,
            rule.name,
            rule.source,
            known.join(", ")
        );
    }
    for rule in &loaded.rules {
        for problem in lint_tags(&rule.tags, &rule.source, catalogue) {
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
    /// Some event failed the runtime event check (reported as a problem).
    malformed: bool,
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

/// Read the test cases of `path`. `source_of` gives a rule's source: events of runtime
/// (`syscall`) rules are checked here, so that an event that is not a runtime event, or that
/// carries a key the runtime event does not have (a typo the test would silently ignore), is
/// reported with its file and line.
fn read_cases(
    path: &Path,
    source_of: &dyn Fn(&str) -> Option<String>,
    cases: &mut Vec<Case>,
    problems: &mut Vec<String>,
) -> Result<()> {
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
            let runtime = source_of(rule).as_deref() == Some(palisade_runtime::SOURCE);
            for (key, expect_match) in [("match", true), ("nomatch", false)] {
                for item in entry.get(key).map(Node::items).unwrap_or_default() {
                    let nodes: Vec<&Node> = match item.get("events") {
                        Some(list) if item.get("auditID").is_none() => {
                            list.items().iter().collect()
                        }
                        _ => vec![item],
                    };
                    let mut events = Vec::with_capacity(nodes.len());
                    let mut malformed = false;
                    for node in nodes {
                        let json = node.to_json();
                        if runtime && let Err(e) = check_runtime_event(&json) {
                            malformed = true;
                            problems.push(format!("{shown}:{}: {e}", node.span.line));
                        }
                        events.push(json.to_string());
                    }
                    cases.push(Case {
                        rule: rule.to_owned(),
                        expect_match,
                        events,
                        at: format!("{shown}:{}", item.span.line),
                        malformed,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Is `json` a runtime event, with no key the runtime event does not know?
fn check_runtime_event(json: &serde_json::Value) -> Result<(), String> {
    let event: RuntimeEvent =
        serde_json::from_value(json.clone()).map_err(|e| format!("not a runtime event: {e}"))?;
    let known = serde_json::to_value(&event).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    unknown_keys(json, &known, "", &mut unknown);
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "runtime event with unknown keys: {}",
            unknown.join(", ")
        ))
    }
}

/// Keys of `given` with a value that did not survive the round trip through the runtime
/// event (empty values are left out by the event's serialisation, so they do not count).
fn unknown_keys(
    given: &serde_json::Value,
    known: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, value) in g {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match k.get(key) {
                    Some(kv) => unknown_keys(value, kv, &path, out),
                    None => {
                        let empty = match value {
                            Value::Null => true,
                            Value::Bool(b) => !b,
                            Value::String(s) => s.is_empty(),
                            Value::Array(a) => a.is_empty(),
                            Value::Object(o) => o.is_empty(),
                            Value::Number(_) => false,
                        };
                        if !empty {
                            out.push(format!("`{path}`"));
                        }
                    }
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (gv, kv)) in g.iter().zip(k).enumerate() {
                unknown_keys(gv, kv, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Parse one test event for a rule of `table`'s source.
fn parse_event<'a>(table: &dyn FieldTable, json: &'a str) -> Result<Box<dyn Event + 'a>, String> {
    if table.source() == palisade_runtime::SOURCE {
        serde_json::from_str::<RuntimeEvent>(json)
            .map(|e| Box::new(e) as Box<dyn Event + 'a>)
            .map_err(|e| format!("not a runtime event: {e}"))
    } else {
        AuditEvent::parse(json)
            .map(|e| Box::new(e) as Box<dyn Event + 'a>)
            .map_err(|e| format!("not an audit event: {}", e.message()))
    }
}

/// Feed a case's events to a fresh engine (thresholds and de-duplication start empty).
/// Returns how often the case's rule fired and, per event, the fields its condition read.
fn run_case(
    loaded: &palisade_rules::Loaded,
    table: &dyn FieldTable,
    case: &Case,
) -> (usize, Vec<String>) {
    let (mut engine, _) = Engine::new(loaded, table, &EngineOptions::default());
    let mut fired = 0usize;
    let mut explanation = Vec::new();
    for (i, json) in case.events.iter().enumerate() {
        match parse_event(table, json) {
            Ok(event) => {
                engine.process(&*event, |alert| {
                    if alert.rule.name == case.rule {
                        fired += 1;
                    }
                });
                let fields = engine.explain(&case.rule, &*event);
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
            Err(e) => explanation.push(format!("      event {}: {e}", i + 1)),
        }
    }
    (fired, explanation)
}

/// The test cases of every rules file of `texts` that has a tests file.
fn cases_of(
    texts: &[RulesText],
    loaded: &palisade_rules::Loaded,
    problems: &mut Vec<String>,
) -> Result<Vec<Case>> {
    let source_of = |rule: &str| loaded.rule(rule).map(|r| r.source.clone());
    let mut cases = Vec::new();
    for t in texts {
        if let Some(file) = &t.file
            && let Some(tests) = tests_file_for(file)
        {
            read_cases(&tests, &source_of, &mut cases, problems)?;
        }
    }
    Ok(cases)
}

/// Rules of the built-in packs (from their directories in the source tree, where their tests
/// are), loaded together, and the names of those whose every test case passes. A pack whose
/// directory is missing contributes nothing; all missing is an error.
pub fn validated_builtin_rules() -> Result<(palisade_rules::Loaded, BTreeSet<String>)> {
    let dirs: Vec<PathBuf> = PACKS
        .iter()
        .map(|(pack, _)| rules_pack::source_dir(pack))
        .filter(|d| d.is_dir())
        .collect();
    if dirs.is_empty() {
        bail!(
            "no built-in rules directory under {}",
            rules_pack::source_dir("").display()
        );
    }
    let texts = rules_pack::read_paths(&dirs)?;
    let loaded = rules_pack::load(&texts);
    let mut problems = Vec::new();
    let cases = cases_of(&texts, &loaded, &mut problems)?;
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut tested: BTreeSet<String> = BTreeSet::new();
    for case in &cases {
        tested.insert(case.rule.clone());
        let Some(table) = loaded
            .rule(&case.rule)
            .and_then(|r| field_table(&r.source))
            .filter(|_| !case.malformed)
        else {
            failed.insert(case.rule.clone());
            continue;
        };
        let (fired, _) = run_case(&loaded, table, case);
        if (fired > 0) != case.expect_match {
            failed.insert(case.rule.clone());
        }
    }
    let validated = tested.difference(&failed).cloned().collect();
    Ok((loaded, validated))
}

/// What one run of a set of rules files gave.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    passed: usize,
    failed: usize,
    rules: usize,
    cases: usize,
    untested: usize,
    problems: usize,
}

impl Tally {
    fn line(&self) -> String {
        format!(
            "{} passed, {} failed ({} rules, {} cases, {} without tests)",
            self.passed, self.failed, self.rules, self.cases, self.untested
        )
    }

    fn ok(&self) -> bool {
        self.failed == 0 && self.problems == 0
    }
}

fn test(args: TestArgs) -> Result<ExitCode> {
    if !args.paths.is_empty() {
        let tally = test_paths(&args.paths, args.verbose, "")?;
        return Ok(if tally.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let mut total = Tally::default();
    for (pack, _) in PACKS {
        let tally = test_paths(
            &[rules_pack::source_dir(pack)],
            args.verbose,
            &format!("rules/{pack}: "),
        )?;
        total.passed += tally.passed;
        total.failed += tally.failed;
        total.rules += tally.rules;
        total.cases += tally.cases;
        total.untested += tally.untested;
        total.problems += tally.problems;
    }
    crate::outln!("all packs: {}", total.line());
    Ok(if total.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Load `paths` together, run every case, print failures (every case with `verbose`),
/// problems and the summary line (after `label`).
fn test_paths(paths: &[PathBuf], verbose: bool, label: &str) -> Result<Tally> {
    let texts: Vec<RulesText> = rules_pack::read_paths(paths)?;
    let loaded = rules_pack::load(&texts);
    let mut problems: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let cases = cases_of(&texts, &loaded, &mut problems)?;
    for table in field_tables() {
        let (_, skipped) = Engine::new(&loaded, table, &EngineOptions::default());
        for s in skipped.iter().filter(|s| s.error) {
            problems.push(format!(
                "{}:{}:{}: rule `{}` cannot run: {}",
                s.path, s.line, s.column, s.rule, s.reason
            ));
        }
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
        let Some(rule) = loaded.rule(&case.rule) else {
            failed += 1;
            crate::outln!("FAIL {}: no rule named `{}`", case.at, case.rule);
            continue;
        };
        let Some(table) = field_table(&rule.source) else {
            failed += 1;
            crate::outln!(
                "FAIL {}: rule `{}` has source `{}`, which Palisade does not read",
                case.at,
                case.rule,
                rule.source
            );
            continue;
        };
        if case.malformed {
            failed += 1;
            crate::outln!(
                "FAIL {} `{}`: a test event is not a usable runtime event (errors below)",
                case.at,
                case.rule
            );
            continue;
        }
        let (fired, explanation) = run_case(&loaded, table, case);
        let ok = (fired > 0) == case.expect_match;
        let expectation = if case.expect_match {
            "should fire"
        } else {
            "should not fire"
        };
        if ok {
            passed += 1;
            if verbose {
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
    let tally = Tally {
        passed,
        failed,
        rules: loaded.rules.len(),
        cases: cases.len(),
        untested: untested.len(),
        problems: problems.len(),
    };
    crate::outln!("{label}{}", tally.line());
    Ok(tally)
}
