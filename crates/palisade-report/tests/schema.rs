//! Rendered JSON and SARIF validated against their JSON Schemas.
//!
//! - `palisade.scan/v1` and `palisade.alert/v1`: our schemas in `docs/schema/`.
//! - SARIF 2.1.0: the official OASIS schema, which is not committed here. It is read from
//!   where a package installs it: the file named by `PALISADE_SARIF_SCHEMA`, else the copy in
//!   the `serde-sarif` crate's source in the Cargo registry (`src/schema.json`), else the copy
//!   in the npm package `@microsoft/jest-sarif` (`lib/schemas/sarif-2.1.0-rtm.5.json`) under a
//!   `node_modules` folder. When none is found the test prints a notice and passes; the
//!   structural SARIF test in `sarif.rs` still runs.

mod common;

use palisade_core::{Finding, InputError, InputErrorKind, Location, ScanReport, Severity};
use palisade_report::{render_json, render_sarif};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn our_schema(name: &str) -> Value {
    let schema = load(&workspace_root().join("docs/schema").join(name));
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{name} is not a valid JSON Schema: {e}");
    }
    schema
}

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid(schema: &Value, instance: &Value) {
    let errors = errors(schema, instance);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

/// A report with the awkward cases: odd paths, unknown positions, an unregistered check.
fn awkward_report() -> ScanReport {
    let mut report = common::report();
    report.findings.push(Finding {
        check: "PAL-K8S-999".to_string(),
        title: "Not registered".to_string(),
        severity: Severity::Info,
        techniques: vec![],
        tactics: vec![],
        message: "a check the context does not know".to_string(),
        remediation: String::new(),
        location: Location {
            path: "/abs/dir with space/ü#1.yaml".to_string(),
            line: 1,
            column: 1,
            pointer: "/metadata/annotations/a~1b".to_string(),
        },
        object: None,
        subject: None,
        suppressed: None,
    });
    report.errors.push(InputError {
        path: "-".to_string(),
        line: 0,
        column: 0,
        message: "stdin is not valid UTF-8".to_string(),
        kind: InputErrorKind::Io,
    });
    report.errors.push(InputError {
        path: "C:\\work\\x:y.yaml".to_string(),
        line: 2,
        column: 0,
        message: "tab in indentation".to_string(),
        kind: InputErrorKind::Parse,
    });
    report
}

#[test]
fn scan_json_matches_its_schema() {
    let schema = our_schema("palisade.scan.v1.schema.json");
    for report in [common::report(), awkward_report(), ScanReport::default()] {
        let json: Value = serde_json::from_str(&render_json(&report, &common::context())).unwrap();
        assert_valid(&schema, &json);
    }
}

#[test]
fn scan_schema_rejects_contract_breaks() {
    let schema = our_schema("palisade.scan.v1.schema.json");
    let good: Value =
        serde_json::from_str(&render_json(&common::report(), &common::context())).unwrap();
    let mut breaks: Vec<(&str, Value)> = Vec::new();
    let mut v = good.clone();
    v["summary"]["by_severity"]
        .as_object_mut()
        .unwrap()
        .remove("info");
    breaks.push(("missing severity key", v));
    let mut v = good.clone();
    v["findings"][0]["severity"] = json!("severe");
    breaks.push(("unknown severity", v));
    let mut v = good.clone();
    v["findings"][0]["techniques"] = json!(["TA0004"]);
    breaks.push(("tactic id as technique", v));
    let mut v = good.clone();
    v["findings"][0]["location"]["pointer"] = json!("spec/containers");
    breaks.push(("pointer without leading slash", v));
    let mut v = good.clone();
    v["findings"][0].as_object_mut().unwrap().remove("subject");
    breaks.push(("missing nullable field", v));
    let mut v = good;
    v["extra"] = json!(true);
    breaks.push(("undocumented field", v));
    for (what, instance) in breaks {
        assert!(
            !errors(&schema, &instance).is_empty(),
            "schema accepted: {what}"
        );
    }
}

#[test]
fn alert_schema_accepts_the_documented_example() {
    let schema = our_schema("palisade.alert.v1.schema.json");
    let alert = json!({
        "schema": "palisade.alert/v1",
        "time": "2026-11-26T10:00:00.123Z",
        "rule": "Pod Created With Host Path Mount",
        "priority": "warning",
        "techniques": ["T1611"],
        "tactics": ["privilege-escalation"],
        "source": "k8s_audit",
        "output": "pod shop/web-7d4b9 created with hostPath /",
        "workload": {"cluster": null, "namespace": "shop", "pod": "web-7d4b9", "container": "app",
                     "image": "registry.example/web:1.2", "service_account": "default", "node": null,
                     "container_id": null},
        "actor": {"user": "system:serviceaccount:shop:ci", "groups": [], "source_ips": []},
        "event_id": "9f1c2d6e-0000-4000-8000-000000000000",
        "fields": {"ka.verb": "create", "ka.response.code": 201, "ka.req.pod.volumes.hostpath": ["/"]}
    });
    assert_valid(&schema, &alert);

    for (what, patch) in [
        ("local time", json!({"time": "2026-11-26T10:00:00+01:00"})),
        ("unknown priority", json!({"priority": "urgent"})),
        ("bad technique", json!({"techniques": ["1611"]})),
        ("wrong schema", json!({"schema": "palisade.alert/v2"})),
    ] {
        let mut bad = alert.clone();
        for (k, v) in patch.as_object().unwrap() {
            bad[k] = v.clone();
        }
        assert!(!errors(&schema, &bad).is_empty(), "schema accepted: {what}");
    }
}

/// The official SARIF 2.1.0 schema, from wherever a package installed it.
fn sarif_schema() -> Option<(PathBuf, Value)> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PALISADE_SARIF_SCHEMA") {
        candidates.push(PathBuf::from(path));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(registry) = cargo_home.map(|h| h.join("registry/src")) {
        for index in read_dir(&registry) {
            let mut crates: Vec<PathBuf> = read_dir(&index)
                .into_iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("serde-sarif-"))
                })
                .collect();
            crates.sort();
            candidates.extend(crates.into_iter().rev().map(|c| c.join("src/schema.json")));
        }
    }
    for root in [
        workspace_root(),
        PathBuf::from("/usr/local/lib"),
        PathBuf::from("/usr/lib"),
    ] {
        candidates.push(
            root.join("node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"),
        );
    }
    candidates.into_iter().find_map(|path| {
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
        let title = schema["title"].as_str().unwrap_or_default();
        (title.contains("SARIF") && title.contains("2.1.0")).then_some((path, schema))
    })
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

#[test]
fn sarif_matches_the_official_schema() {
    let Some((path, schema)) = sarif_schema() else {
        eprintln!(
            "notice: SARIF 2.1.0 schema not found, official-schema validation skipped \
             (set PALISADE_SARIF_SCHEMA, or fetch the serde-sarif crate or the npm package \
             @microsoft/jest-sarif)"
        );
        return;
    };
    eprintln!("validating SARIF against {}", path.display());
    // The official schema's `language` patterns (of `run` and `toolComponent`) have a stray
    // `]`, which fails the meta-schema's `format: regex` check once formats are validated (we
    // want them validated, for the `uri` fields). Palisade never emits `language`, so those
    // patterns are dropped here.
    let mut schema = schema;
    drop_broken_language_patterns(&mut schema);
    for report in [common::report(), awkward_report(), ScanReport::default()] {
        let sarif: Value =
            serde_json::from_str(&render_sarif(&report, &common::context())).unwrap();
        assert_valid(&schema, &sarif);
    }
    // The validator does bite.
    let good: Value =
        serde_json::from_str(&render_sarif(&common::report(), &common::context())).unwrap();
    let mut breaks = vec![
        ("/runs/0/results/0/level", json!("fatal")),
        (
            "/runs/0/results/0/locations/0/physicalLocation/region/startLine",
            json!(0),
        ),
    ];
    // `uri-reference` is a format from draft 6 on; the npm copy of the schema is draft 4.
    if schema["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("draft-07"))
    {
        let uri = "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri";
        breaks.push((uri, json!("a b\\c")));
    }
    for (pointer, bad) in breaks {
        let mut v = good.clone();
        *v.pointer_mut(pointer).unwrap() = bad;
        assert!(
            !errors(&schema, &v).is_empty(),
            "SARIF schema accepted {pointer}"
        );
    }
}

fn drop_broken_language_patterns(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str)
                == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
            {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_broken_language_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_broken_language_patterns),
        _ => {}
    }
}
