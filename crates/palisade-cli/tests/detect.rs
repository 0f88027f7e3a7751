//! `palisade detect`, `palisade rules lint` and `palisade rules test` end to end.

use serde_json::Value;
use std::io::Write;
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

const ATTACK: &str = "examples/audit/cryptojacking-attack.jsonl";

fn alerts(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn the_attack_log_shows_the_whole_cryptojacking_chain() {
    let out = palisade(&["detect", ATTACK, "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts = alerts(&out);
    let techniques: std::collections::BTreeSet<String> = alerts
        .iter()
        .flat_map(|a| {
            a["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
        })
        .collect();
    for expected in [
        "T1078.001",
        "T1110",
        "T1613",
        "T1552.007",
        "T1611",
        "T1610",
        "T1609",
        "T1053.007",
        "T1496.001",
        "T1098.006",
        "T1070",
    ] {
        assert!(
            techniques.contains(expected),
            "{expected} missing from {techniques:?}"
        );
    }
    for a in &alerts {
        assert_eq!(a["schema"], "palisade.alert/v1");
        assert_eq!(a["source"], "k8s_audit");
        assert!(a["time"].as_str().unwrap().ends_with('Z'));
        assert!(!a["tactics"].as_array().unwrap().is_empty(), "{a}");
    }
    let exec = alerts
        .iter()
        .find(|a| a["techniques"][0] == "T1609")
        .expect("exec alert");
    assert_eq!(exec["workload"]["namespace"], "shop");
    assert_eq!(exec["workload"]["pod"], "kube-proxy-7xk2p");
    assert_eq!(exec["workload"]["container"], "kube-proxy");
    assert_eq!(exec["actor"]["user"], "system:serviceaccount:shop:ci");
    assert_eq!(exec["actor"]["source_ips"][0], "203.0.113.50");
    // The summary goes to stderr for machine formats and counts everything.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("164 events read, 164 parsed, 0 skipped"),
        "{stderr}"
    );
}

#[test]
fn alerts_validate_against_the_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/schema/palisade.alert.v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let out = palisade(&["detect", ATTACK, "--format", "jsonl"]);
    for alert in alerts(&out) {
        let errors: Vec<String> = validator
            .iter_errors(&alert)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{alert}\n{errors:#?}");
    }
}

#[test]
fn falco_format_has_falcos_fields() {
    let out = palisade(&["detect", ATTACK, "--format", "falco"]);
    let alerts = alerts(&out);
    assert!(!alerts.is_empty());
    for a in &alerts {
        for key in [
            "hostname",
            "output",
            "output_fields",
            "priority",
            "rule",
            "source",
            "tags",
            "time",
        ] {
            assert!(a.get(key).is_some(), "{key} missing: {a}");
        }
        let priority = a["priority"].as_str().unwrap();
        assert!(
            priority.chars().next().unwrap().is_uppercase(),
            "{priority}"
        );
        assert!(a["output"].as_str().unwrap().contains(priority));
    }
}

#[test]
fn malformed_lines_are_counted_and_reported_and_the_rest_is_processed() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(ATTACK)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(3, "{\"kind\": \"Event\", truncated");
    lines.insert(7, "not json at all");
    let path = dir.path().join("audit.log");
    std::fs::write(&path, lines.join("\n")).unwrap();
    // The same log, gzip-compressed, as a rotated file would be.
    let gz_path = dir.path().join("audit.log.1.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    let out = palisade(&[
        "detect",
        path.to_str().unwrap(),
        gz_path.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2), "malformed input means exit 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("330 events read, 328 parsed, 2 skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("audit.log:line 4"), "{stderr}");
    assert!(stderr.contains("audit.log:line 8"), "{stderr}");
    assert!(alerts(&out).len() >= 20);
}

#[test]
fn falcos_own_k8s_audit_rules_load_and_run_unmodified() {
    let falco = root().join("../shared/rules/falco/k8s_audit_rules.yaml");
    if !falco.exists() {
        eprintln!("NOTICE: ../shared/rules/falco/k8s_audit_rules.yaml not found; test skipped");
        return;
    }
    let lint = palisade(&["rules", "lint", falco.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(0), "{text}");
    assert!(text.contains("48 rules from 1 files: 0 errors"), "{text}");
    let out = palisade(&[
        "detect",
        ATTACK,
        "--no-builtin",
        "--rules",
        falco.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let rules: Vec<String> = alerts(&out)
        .iter()
        .map(|a| a["rule"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "Create Privileged Pod",
        "Attach/Exec Pod",
        "Attach to cluster-admin Role",
        "Anonymous Request Allowed",
    ] {
        assert!(
            rules.iter().any(|r| r == expected),
            "{expected} not in {rules:?}"
        );
    }
}

#[test]
fn a_rule_whose_output_names_a_field_the_source_lacks_runs_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mine.yaml");
    // Written for another source's fields in the output: the condition is all audit.
    std::fs::write(
        &rules,
        "- rule: Privileged Pod By Anyone\n  desc: d\n  condition: ka.verb = create and ka.target.resource = pods and ka.req.pod.containers.privileged intersects (true)\n  output: \"privileged pod by %ka.user.name (cwd %proc.cwd)\"\n  priority: WARNING\n  source: k8s_audit\n  tags: [T1611, mitre_privilege_escalation]\n",
    )
    .unwrap();
    let out = palisade(&[
        "detect",
        ATTACK,
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:1:3: note: rule `Privileged Pod By Anyone` runs, but its output shows \
             `proc.cwd` as <NA>",
            rules.display()
        )),
        "{stderr}"
    );
    let alerts = alerts(&out);
    assert!(!alerts.is_empty(), "{stderr}");
    for a in &alerts {
        let output = a["output"].as_str().unwrap();
        assert!(output.starts_with("privileged pod by "), "{output}");
        assert!(output.ends_with("(cwd <NA>)"), "{output}");
    }
}

#[test]
fn the_built_in_pack_passes_its_own_tests_and_lints_clean() {
    let out = palisade(&["rules", "test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    let lint = palisade(&["rules", "lint", "rules/k8s_audit"]);
    let text = String::from_utf8_lossy(&lint.stdout);
    assert!(text.contains(" 0 errors, 0 warnings"), "{text}");
}

#[test]
fn rule_test_failures_say_which_expectation_and_what_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "- rule: Exec By Alice\n  desc: d\n  condition: ka.verb = create and ka.target.subresource = exec and ka.user.name = alice\n  output: exec by %ka.user.name\n  priority: WARNING\n  source: k8s_audit\n  tags: [T1609, mitre_execution]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mine.tests.yaml"),
        "- rule: Exec By Alice\n  match:\n    - {apiVersion: audit.k8s.io/v1, kind: Event, auditID: a1, stage: ResponseComplete, verb: create, user: {username: bob}, objectRef: {resource: pods, subresource: exec, namespace: x, name: p}, stageTimestamp: '2026-11-26T10:00:00.000000Z'}\n",
    )
    .unwrap();
    let out = palisade(&["rules", "test", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("should fire"), "{text}");
    assert!(text.contains("ka.user.name=bob"), "{text}");
}

#[test]
fn rules_lint_reports_like_a_compiler() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "- rule: Broken\n  desc: d\n  condition: ka.verb = create and (ka.user.name = x\n  output: o\n  priority: WARNING\n  source: k8s_audit\n- rule: Unknown Field\n  desc: d\n  condition: ka.nope = 1\n  output: o\n  priority: WARNING\n  source: k8s_audit\n  tags: [T9999]\n- rule: Fine\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: WARNING\n  source: k8s_audit\n  tags: [T1613, mitre_discovery]\n",
    )
    .unwrap();
    let out = palisade(&["rules", "lint", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("bad.yaml:3:"),
        "position of the syntax error: {text}"
    );
    assert!(text.contains("ka.nope"), "{text}");
    assert!(text.contains("T9999"), "{text}");
}
