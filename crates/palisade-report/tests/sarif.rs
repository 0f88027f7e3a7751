//! The SARIF fields GitHub code scanning relies on, checked by hand (independent of whether
//! the official schema is available, see `schema.rs`).

mod common;

use palisade_core::{Finding, Location, Severity};
use palisade_report::{fingerprint, render_sarif};
use serde_json::Value;
use std::collections::BTreeSet;

fn sarif(report: &palisade_core::ScanReport) -> Value {
    serde_json::from_str(&render_sarif(report, &common::context())).unwrap()
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
}

#[test]
fn log_and_driver() {
    let log = sarif(&common::report());
    assert_eq!(
        s(&log, "/$schema"),
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(s(&log, "/version"), "2.1.0");
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    assert_eq!(s(&log, "/runs/0/tool/driver/name"), "palisade");
    assert_eq!(s(&log, "/runs/0/tool/driver/version"), "0.1.0");
    assert!(s(&log, "/runs/0/tool/driver/informationUri").starts_with("https://"));
}

#[test]
fn one_rule_per_registered_check() {
    let log = sarif(&common::report());
    let rules = log
        .pointer("/runs/0/tool/driver/rules")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), common::CHECKS.len());
    for (rule, check) in rules.iter().zip(common::CHECKS) {
        assert_eq!(s(rule, "/id"), check.id);
        assert_eq!(s(rule, "/name"), check.name);
        assert_eq!(s(rule, "/shortDescription/text"), check.title);
        assert_eq!(s(rule, "/fullDescription/text"), check.rationale);
        let level = match check.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            _ => "note",
        };
        assert_eq!(s(rule, "/defaultConfiguration/level"), level);
        let score: f64 = s(rule, "/properties/security-severity").parse().unwrap();
        assert!((0.0..=10.0).contains(&score));
        assert_eq!(s(rule, "/properties/precision"), "high");
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"security"));
        for technique in check.techniques {
            assert!(tags.contains(&format!("attack:{technique}").as_str()));
            let url = palisade_report::technique_url(technique);
            assert!(s(rule, "/help/text").contains(&url));
            assert!(s(rule, "/help/markdown").contains(&format!("]({url})")));
        }
        assert!(s(rule, "/help/markdown").contains(check.remediation));
    }
    let rbac = &rules[2];
    assert!(s(rbac, "/help/markdown").contains("https://attack.mitre.org/techniques/T1053/007/"));
    let tags = rbac["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("attack:privilege-escalation")));
    assert_eq!(s(&rules[0], "/properties/security-severity"), "9.5");
}

#[test]
fn results_point_at_rules_and_relative_locations() {
    let report = common::report();
    let log = sarif(&report);
    let rules = log
        .pointer("/runs/0/tool/driver/rules")
        .unwrap()
        .as_array()
        .unwrap();
    let results = log.pointer("/runs/0/results").unwrap().as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    let mut prints = BTreeSet::new();
    for (result, finding) in results.iter().zip(&report.findings) {
        assert_eq!(s(result, "/ruleId"), finding.check);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(s(&rules[index], "/id"), finding.check);
        assert_eq!(s(result, "/message/text"), finding.message);
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = s(physical, "/artifactLocation/uri");
        assert!(!uri.starts_with("./") && !uri.contains('\\'), "{uri}");
        assert_eq!(s(physical, "/artifactLocation/uriBaseId"), "%SRCROOT%");
        assert_eq!(physical["region"]["startLine"], finding.location.line);
        assert_eq!(physical["region"]["startColumn"], finding.location.column);
        let print = s(result, "/partialFingerprints/palisade~1v1");
        assert_eq!(print.len(), 32);
        assert!(prints.insert(print.to_owned()), "duplicate fingerprint");
        assert_eq!(s(result, "/properties/pointer"), finding.location.pointer);
        assert_eq!(
            result["properties"]["techniques"],
            serde_json::json!(finding.techniques)
        );
        assert_eq!(
            result["properties"]["tactics"],
            serde_json::json!(finding.tactics)
        );
    }
    assert_eq!(
        s(
            &results[3],
            "/locations/0/physicalLocation/artifactLocation/uri"
        ),
        "docker/Dockerfile"
    );
    assert_eq!(s(&results[1], "/properties/subject/name"), "ci");
}

#[test]
fn suppressed_findings_carry_a_suppression() {
    let log = sarif(&common::report());
    let results = log.pointer("/runs/0/results").unwrap().as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(s(suppressed[0], "/suppressions/0/kind"), "inSource");
    assert_eq!(
        s(suppressed[0], "/suppressions/0/justification"),
        "worker reads its own ConfigMap through the API"
    );

    let mut report = common::report();
    report.findings[2].suppressed.as_mut().unwrap().by = "file:.palisade.yaml:3".to_string();
    let log = sarif(&report);
    assert_eq!(s(&log, "/runs/0/results/2/suppressions/0/kind"), "external");
}

#[test]
fn input_errors_become_notifications() {
    let log = sarif(&common::report());
    let invocation = log.pointer("/runs/0/invocations/0").unwrap();
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    let error = &notes[0];
    assert_eq!(s(error, "/level"), "error");
    assert_eq!(
        s(error, "/locations/0/physicalLocation/artifactLocation/uri"),
        "charts/app/templates/deploy.yaml"
    );
    assert_eq!(
        error["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    let levels: Vec<&str> = notes.iter().map(|n| s(n, "/level")).collect();
    assert_eq!(levels, ["error", "note", "warning", "warning"]);

    let mut clean = common::report();
    clean.errors.clear();
    let log = sarif(&clean);
    assert_eq!(
        log.pointer("/runs/0/invocations/0/executionSuccessful"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn unregistered_checks_get_a_rule() {
    let mut report = common::report();
    let mut extra: Finding = report.findings[0].clone();
    extra.check = "PAL-K8S-999".to_string();
    extra.title = "Brand new check".to_string();
    report.findings.push(extra);
    let log = sarif(&report);
    let rules = log
        .pointer("/runs/0/tool/driver/rules")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), common::CHECKS.len() + 1);
    assert_eq!(s(rules.last().unwrap(), "/id"), "PAL-K8S-999");
    assert_eq!(s(rules.last().unwrap(), "/name"), "brand-new-check");
    let last = log
        .pointer("/runs/0/results")
        .unwrap()
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["ruleIndex"], common::CHECKS.len());
}

#[test]
fn fingerprints_ignore_lines_and_tell_subjects_apart() {
    let report = common::report();
    let base = report.findings[1].clone();
    let mut moved = base.clone();
    moved.location = Location {
        line: 99,
        column: 1,
        ..base.location.clone()
    };
    moved.message = "reworded".to_string();
    assert_eq!(fingerprint(&base), fingerprint(&moved));
    let mut dotted = base.clone();
    dotted.location.path = format!("./{}", base.location.path);
    assert_eq!(fingerprint(&base), fingerprint(&dotted));
    let mut other = base.clone();
    other.subject.as_mut().unwrap().name = "deployer".to_string();
    assert_ne!(fingerprint(&base), fingerprint(&other));
    let mut pointer = base.clone();
    pointer.location.pointer = "/rules/1".to_string();
    assert_ne!(fingerprint(&base), fingerprint(&pointer));
}

#[test]
fn output_is_deterministic() {
    let report = common::report();
    let cx = common::context();
    assert_eq!(render_sarif(&report, &cx), render_sarif(&report, &cx));
    assert_eq!(
        palisade_report::render_json(&report, &cx),
        palisade_report::render_json(&report, &cx)
    );
}
