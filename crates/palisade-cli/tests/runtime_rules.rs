//! The built-in runtime rule pack (`rules/runtime`, `source: syscall`) and the runtime side of
//! `palisade rules test`, `palisade rules lint` and `palisade coverage`: the pack passes its
//! own test events and every rule has positive and negative cases, it lints clean under every
//! ATT&CK version Palisade speaks, its techniques are live and land on the matrix, its outputs
//! name the container, the process and its parent, and it loads beside the Kubernetes audit
//! pack. Falco's own syscall rules, when `../shared/rules/falco/falco_rules.yaml` is there,
//! are measured against the runtime field table.

use palisade_attack::{AttackVersion, Catalogue, normalize_technique_id};
use palisade_engine::{Engine, EngineOptions, FieldTable};
use palisade_rules::ast::{Expr, Operand, Rhs};
use palisade_rules::output::{Part, parse_output};
use palisade_rules::{Loaded, RulesFile};
use palisade_runtime::RuntimeFields;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("palisade runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rules files of a directory, in load order, tests excluded.
fn rules_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            p.is_file() && name.ends_with(".yaml") && !name.contains(".tests.")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect()
}

fn load(files: &[(String, String)]) -> Loaded {
    let files: Vec<RulesFile<'_>> = files
        .iter()
        .map(|(path, text)| RulesFile { path, text })
        .collect();
    palisade_rules::load(&files)
}

fn runtime_pack() -> Loaded {
    let loaded = load(&rules_files(&root().join("rules/runtime")));
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded
}

#[test]
fn the_runtime_pack_passes_its_tests_and_every_rule_has_both_kinds_of_case() {
    let out = palisade(&["rules", "test", "--verbose", "rules/runtime"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(text.contains(" 0 without tests)"), "{text}");
    assert!(!text.contains("error:"), "{text}");
    let pack = runtime_pack();
    assert!(pack.rules.len() >= 30, "{} rules", pack.rules.len());
    for rule in &pack.rules {
        for expectation in ["should fire", "should not fire"] {
            let ok = format!("`{}` {expectation}", rule.name);
            assert!(
                text.lines()
                    .any(|l| l.starts_with("ok ") && l.ends_with(&ok)),
                "rule `{}` has no passing case that {expectation}",
                rule.name
            );
        }
    }
}

#[test]
fn the_runtime_pack_lints_clean_under_every_attack_version() {
    for version in ["18.1", "19"] {
        let out = palisade(&[
            "rules",
            "lint",
            "rules/runtime",
            "--attack-version",
            version,
        ]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(
            text.contains(" 0 errors, 0 warnings"),
            "ATT&CK {version}: {text}"
        );
    }
}

#[test]
fn runtime_rules_are_tagged_with_live_placeable_techniques_and_name_the_container() {
    let v18 = Catalogue::builtin(AttackVersion::V18_1);
    let mut problems = Vec::new();
    for rule in &runtime_pack().rules {
        let name = &rule.name;
        if rule.source != "syscall" {
            problems.push(format!("{name}: source `{}`", rule.source));
        }
        if !rule.tags.iter().any(|t| t == "runtime") {
            problems.push(format!("{name}: no `runtime` tag"));
        }
        let techniques: Vec<String> = rule
            .tags
            .iter()
            .filter_map(|t| normalize_technique_id(t))
            .collect();
        if techniques.is_empty() {
            problems.push(format!("{name}: no technique"));
        }
        for id in &techniques {
            match v18.technique(id) {
                None => problems.push(format!("{name}: {id} is not an ATT&CK technique")),
                Some(t) if !t.is_live() => problems.push(format!("{name}: {id} is revoked")),
                Some(t) if !t.is_containers() && !t.has_platform("Linux") => {
                    problems.push(format!("{name}: {id} is on neither Containers nor Linux"))
                }
                Some(_) => {}
            }
            for version in AttackVersion::ALL {
                if Catalogue::builtin(version).place(id, None).is_empty() {
                    problems.push(format!(
                        "{name}: {id} has no matrix cell in ATT&CK {version}"
                    ));
                }
            }
        }
        for field in [
            "%container.name",
            "%container.id",
            "%container.image",
            "%k8s.ns.name",
            "%k8s.pod.name",
            "%proc.name",
            "%proc.pname",
            "%proc.pid",
        ] {
            if !rule.output.contains(field) {
                problems.push(format!("{name}: the output does not show {field}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_packs_load_together_without_a_name_clash() {
    let k8s = load(&rules_files(&root().join("rules/k8s_audit")));
    let runtime = runtime_pack();
    let names = |l: &Loaded| -> BTreeSet<String> {
        l.macros
            .iter()
            .map(|m| format!("macro {}", m.name))
            .chain(l.lists.iter().map(|x| format!("list {}", x.name)))
            .chain(l.rules.iter().map(|r| format!("rule {}", r.name)))
            .collect()
    };
    let clash: Vec<String> = names(&k8s)
        .intersection(&names(&runtime))
        .cloned()
        .collect();
    assert!(clash.is_empty(), "defined by both packs: {clash:?}");
    let mut both = rules_files(&root().join("rules/k8s_audit"));
    both.extend(rules_files(&root().join("rules/runtime")));
    let together = load(&both);
    assert!(!together.has_errors(), "{:?}", together.diagnostics);
    assert_eq!(together.rules.len(), k8s.rules.len() + runtime.rules.len());
}

#[test]
fn rules_test_without_paths_tests_both_built_in_packs() {
    let out = palisade(&["rules", "test"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for line in ["rules/k8s_audit: ", "rules/runtime: ", "all packs: "] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(line) && l.contains(" 0 failed")),
            "{line}: {text}"
        );
    }
}

const TEST_RULE: &str = "- rule: Shell In Web Container\n  desc: d\n  condition: evt.type = execve and proc.name = sh and container.name = web\n  output: shell %proc.cmdline in %container.name (id=%container.id)\n  priority: WARNING\n  source: syscall\n  tags: [T1609, mitre_execution]\n";

const GOOD_EVENT: &str = "{num: 1, time_ns: 1773113400000000000, type: execve, proc: {pid: 7, tid: 7, ppid: 1, vpid: 7, uid: 0, gid: 0, euid: 0, comm: sh, name: sh, args: [-i]}, container: {id: 7c1e9a4f2b3d5e6f, runtime: containerd, name: web}}";

#[test]
fn rules_test_runs_runtime_events_and_reports_bad_ones_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.yaml"), TEST_RULE).unwrap();
    let tests = format!(
        "- rule: Shell In Web Container\n  match:\n    - {GOOD_EVENT}\n    - {}\n  nomatch:\n    - {}\n    - {{num: 2, time_ns: 0, type: execve, proc: {{pid: 7, comm: sh, name: sh}}}}\n    - {}\n",
        GOOD_EVENT.replace("name: web}", "name: db}"),
        GOOD_EVENT.replace("name: sh,", "name: ash,"),
        GOOD_EVENT.replace("container:", "contianer:"),
    );
    std::fs::write(dir.path().join("mine.tests.yaml"), tests).unwrap();
    let out = palisade(&["rules", "test", dir.path().to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // the good event fires; the match case against another container fails and says why
    assert!(text.contains("2 passed, 3 failed"), "{text}");
    assert!(
        text.contains("mine.tests.yaml:4 `Shell In Web Container` should fire"),
        "{text}"
    );
    assert!(text.contains("container.name=db"), "{text}");
    // an incomplete event and a misspelt key are reported with their line
    assert!(
        text.contains("mine.tests.yaml:7: not a runtime event: missing field `tid`"),
        "{text}"
    );
    assert!(
        text.contains("mine.tests.yaml:8: runtime event with unknown keys: `contianer`"),
        "{text}"
    );
}

#[test]
fn lint_checks_each_rule_against_the_fields_of_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.yaml");
    std::fs::write(
        &path,
        "- rule: Memfd Exec\n  desc: d\n  condition: evt.type = execve and proc.is_exe_from_memfd = true\n  output: \"%proc.name from %proc.exepath in %container.id\"\n  priority: WARNING\n  source: syscall\n  tags: [T1620, mitre_defense_evasion]\n\
         - rule: Terminal\n  desc: d\n  condition: evt.type = execve and proc.ttyx != 0\n  output: o\n  priority: NOTICE\n  tags: [T1609, mitre_execution]\n\
         - rule: Audit Exec\n  desc: d\n  condition: ka.verb = create\n  output: o\n  priority: NOTICE\n  source: k8s_audit\n  tags: [T1620, mitre_defense_evasion]\n\
         - rule: Cloud\n  desc: d\n  condition: ct.name = x\n  output: o\n  priority: NOTICE\n  source: aws_cloudtrail\n  tags: [T1609, mitre_execution]\n\
         - rule: Shm Exec\n  desc: d\n  condition: evt.type = execve and proc.exepath startswith /dev/shm/\n  output: \"%proc.name in %proc.cwd\"\n  priority: WARNING\n  tags: [T1059.004, mitre_execution]\n",
    )
    .unwrap();
    let out = palisade(&["rules", "lint", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // a syscall rule (the default source) is compiled against the runtime fields
    assert!(
        text.contains("error: rule `Terminal`: unknown field `proc.ttyx`"),
        "{text}"
    );
    assert!(!text.contains("rule `Memfd Exec`"), "{text}");
    // Linux techniques are fine for syscall rules, not for audit rules
    assert!(
        text.contains("rule `Audit Exec`: technique T1620 (Reflective Code Loading) is not on the ATT&CK Containers platform"),
        "{text}"
    );
    assert!(
        text.contains("rule `Cloud` not checked: source `aws_cloudtrail`"),
        "{text}"
    );
    // An output field the source lacks does not stop the rule: it shows as <NA>.
    assert!(
        text.contains(
            "warning: rule `Shm Exec` runs, but its output shows `proc.cwd` as <NA>: it is \
             not a field of this source"
        ),
        "{text}"
    );
    assert!(
        text.contains("5 rules from 1 files: 1 errors, 3 warnings"),
        "{text}"
    );
}

/// The `(claimed, deployed, validated)` counts of a technique in `palisade coverage`.
fn coverage_row(text: &str, id: &str) -> (usize, usize, usize) {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("no row for {id}: {text}"));
    let n: Vec<usize> = line
        .split_whitespace()
        .rev()
        .take(3)
        .map(|x| x.parse().unwrap())
        .collect();
    (n[2], n[1], n[0])
}

#[test]
fn coverage_counts_runtime_rules_as_deployed_only_when_the_runtime_source_is_on() {
    let on = palisade(&["coverage", "--runtime", "on"]);
    let off = palisade(&["coverage", "--runtime", "off"]);
    let (on, off) = (stdout(&on), stdout(&off));
    // T1612 Build Image on Host: one runtime rule besides the checks
    let (c_on, d_on, v_on) = coverage_row(&on, "T1612");
    let (c_off, d_off, v_off) = coverage_row(&off, "T1612");
    assert_eq!(c_on, c_off, "claimed does not depend on the sensor");
    assert_eq!(d_on, d_off + 1, "on:\n{on}\noff:\n{off}");
    assert_eq!(v_on, v_off + 1, "on:\n{on}\noff:\n{off}");
    // T1611: several runtime rules
    let (_, d_on, _) = coverage_row(&on, "T1611");
    let (_, d_off, _) = coverage_row(&off, "T1611");
    assert!(
        d_on >= d_off + 8,
        "T1611 deployed {d_on} with the sensor, {d_off} without"
    );
}

/// Every field a rule reads, in its condition and its output.
fn rule_fields(rule: &palisade_rules::Rule) -> BTreeSet<(String, Option<String>)> {
    fn operand(o: &Operand, out: &mut BTreeSet<(String, Option<String>)>) {
        match o {
            Operand::Field(f) => {
                out.insert((f.name.clone(), f.arg.clone()));
            }
            Operand::Transform { args, .. } => args.iter().for_each(|a| operand(a, out)),
            Operand::Literal(_) => {}
        }
    }
    fn expr(e: &Expr, out: &mut BTreeSet<(String, Option<String>)>) {
        match e {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| expr(x, out)),
            Expr::Not(x) => expr(x, out),
            Expr::Test(t) => {
                operand(&t.lhs, out);
                if let Rhs::Operand(o) = &t.rhs {
                    operand(o, out);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    expr(&rule.condition, &mut out);
    for part in parse_output(&rule.output).unwrap_or_default() {
        if let Part::Field { operand: o, .. } = part {
            operand(&o, &mut out);
        }
    }
    out
}

#[test]
fn falcos_syscall_rules_measured_against_the_runtime_field_table() {
    let path = root().join("../shared/rules/falco/falco_rules.yaml");
    if !path.exists() {
        eprintln!("NOTICE: ../shared/rules/falco/falco_rules.yaml not found; test skipped");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = load(&[(path.display().to_string(), text)]);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let table = RuntimeFields;
    let (engine, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
    let runs = engine.rules().count();
    eprintln!(
        "Falco's falco_rules.yaml against the runtime field table: {runs} of {} rules run, {} skipped",
        loaded.rules.len(),
        skipped.len()
    );
    for s in &skipped {
        eprintln!("  skipped `{}`: {}", s.rule, s.reason);
    }
    // The engine names the first field a rule cannot have; list every one, for the record.
    let mut missing: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for rule in &loaded.rules {
        for (name, arg) in rule_fields(rule) {
            if let Err(e) = table.resolve(&name, arg.as_deref()) {
                let field = match &arg {
                    Some(a) => format!("{name}[{a}]"),
                    None => name.clone(),
                };
                if e.contains("unknown field") {
                    missing.entry(field).or_default().push(&rule.name);
                }
            }
        }
    }
    for (field, rules) in &missing {
        eprintln!(
            "  field `{field}` unknown, used by {} rules: {}",
            rules.len(),
            rules.join(", ")
        );
    }
    let mut problems = Vec::new();
    for s in skipped.iter().filter(|s| s.error) {
        if !s.reason.contains("(field `") {
            problems.push(format!(
                "`{}` skipped without naming a field: {}",
                s.rule, s.reason
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mut by_use: Vec<(&String, &Vec<&str>)> = missing.iter().collect();
    by_use.sort_by_key(|(_, rules)| std::cmp::Reverse(rules.len()));
    let top: Vec<String> = by_use
        .iter()
        .take(3)
        .map(|(f, rules)| format!("`{f}` ({} rules)", rules.len()))
        .collect();
    assert!(
        runs > 0,
        "none of Falco's {} syscall rules runs on the runtime field table; the fields \
         palisade-runtime does not know are listed above, most used first: {}",
        loaded.rules.len(),
        top.join(", ")
    );
}

#[test]
fn the_readme_table_lists_every_runtime_rule_as_written() {
    let readme = std::fs::read_to_string(root().join("rules/README.md")).unwrap();
    let section = readme
        .split("## What the runtime pack detects")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("rules/README.md has a runtime section");
    let mut rows: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for line in section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| rule "))
    {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(['|', ' ']))
            .collect();
        rows.insert(
            cells[0].to_owned(),
            (
                cells[1].to_owned(),
                cells[2].to_owned(),
                cells[3].to_owned(),
            ),
        );
    }
    let pack = runtime_pack();
    assert!(
        section.contains(&format!("{} rules", pack.rules.len())),
        "the section does not say {} rules",
        pack.rules.len()
    );
    assert_eq!(rows.len(), pack.rules.len(), "{:?}", rows.keys());
    for rule in &pack.rules {
        let techniques: Vec<String> = rule
            .tags
            .iter()
            .filter_map(|t| normalize_technique_id(t))
            .collect();
        let where_ = if rule.condition_text.contains("pal_rt_container") {
            "containers"
        } else {
            "anywhere"
        };
        let expected = (
            techniques.join(", "),
            rule.priority.as_str().to_owned(),
            where_.to_owned(),
        );
        assert_eq!(
            rows.get(&rule.name),
            Some(&expected),
            "row of `{}`",
            rule.name
        );
    }
}

#[test]
fn rules_fields_lists_each_sources_fields_as_docs_fields_md_does() {
    let out = palisade(&["rules", "fields", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let docs = std::fs::read_to_string(root().join("docs/fields.md")).unwrap();
    assert_eq!(stdout(&out).trim_end(), docs.trim_end());

    let out = palisade(&["rules", "fields", "syscall"]);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "source: syscall ({} fields)\n",
            RuntimeFields.fields().len()
        )),
        "{text}"
    );
    assert_eq!(text.lines().count(), RuntimeFields.fields().len() + 1);
    assert!(!text.contains("ka.verb"), "{text}");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not listed: {text}"))
            .to_owned()
    };
    assert!(line("fd.snet ").contains("compared by network"));
    assert!(line("proc.aname, proc.aname[N] ").contains("holds for one element"));
    assert!(line("evt.arg.KEY ").contains("One argument by name"));

    let out = palisade(&["rules", "fields", "cloudtrail"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown source `cloudtrail`: Palisade reads k8s_audit and syscall"),
        "{:?}",
        out
    );
}
