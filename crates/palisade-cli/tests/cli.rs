//! End-to-end behaviour of `palisade scan` as a user sees it: exit codes, stdin, bad input,
//! output formats, suppressions.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn palisade(args: &[&str], cwd: &Path, stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(cwd)
        .env("PALISADE_TODAY", "2026-11-26")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palisade starts");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27@sha256:aaaa\n      securityContext:\n        privileged: true\n";

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), PRIVILEGED_POD).unwrap();
    let out = palisade(
        &["scan", "pod.yaml", "--select", "PAL-K8S-001"],
        dir.path(),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Critical finding, threshold above it does not exist; `info` threshold trips too.
    let out = palisade(
        &["scan", "pod.yaml", "--select", "PAL-K8S-006"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let out = palisade(
        &["scan", "pod.yaml", "--fail-on", "nonsense"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_is_scanned_and_reported_as_dash() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade(
        &["scan", "-", "--format", "json", "--select", "PAL-K8S-001"],
        dir.path(),
        Some(PRIVILEGED_POD.as_bytes()),
    );
    let report = json_of(&out);
    let f = &report["findings"][0];
    assert_eq!(f["check"], "PAL-K8S-001");
    assert_eq!(f["location"]["path"], "-");
    assert_eq!(f["location"]["line"], 9);
    assert_eq!(f["location"]["column"], 21);
    assert_eq!(
        f["location"]["pointer"],
        "/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(f["object"]["kind"], "Pod");
    assert_eq!(f["object"]["namespace"], "shop");
    assert_eq!(
        f["tactics"],
        serde_json::json!(["execution", "privilege-escalation", "defense-evasion"])
    );
}

#[test]
fn bad_files_are_reported_with_position_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chart.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("blob.yaml"), b"\x00\x01binary\x00").unwrap();
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    std::fs::write(
        dir.path().join("deep.json"),
        format!(
            "{{\"apiVersion\": {}{}}}",
            "[".repeat(5000),
            "]".repeat(5000)
        ),
    )
    .unwrap();
    let out = palisade(&["scan", ".", "--format", "json"], dir.path(), None);
    assert_eq!(out.status.code(), Some(2), "input errors mean exit 2");
    let report = json_of(&out);
    let errors = report["errors"].as_array().unwrap();
    let by_path = |p: &str| {
        errors
            .iter()
            .find(|e| e["path"] == p)
            .unwrap_or_else(|| panic!("no error for {p}: {errors:#?}"))
    };
    let broken = by_path("broken.yaml");
    assert_eq!(broken["kind"], "parse");
    assert!(broken["line"].as_u64().unwrap() >= 4, "{broken}");
    let chart = by_path("chart.yaml");
    assert_eq!(chart["kind"], "unrendered-template");
    assert_eq!(
        (chart["line"].as_u64(), chart["column"].as_u64()),
        (Some(4), Some(9))
    );
    assert_eq!(by_path("bomb.yaml")["kind"], "limit");
    assert_eq!(by_path("deep.json")["kind"], "limit");
    assert!(
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"] == "blob.yaml" && s["reason"] == "binary file")
    );
    // The good file was still scanned.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "PAL-K8S-001" && f["location"]["path"] == "good.yaml")
    );
    // Human output names file:line:column too.
    let table = palisade(&["scan", "."], dir.path(), None);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("chart.yaml:4:9"), "{text}");
}

#[test]
fn suppressions_from_all_three_places_are_applied_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = PRIVILEGED_POD.replace("metadata: {name: p, namespace: shop}", "metadata:\n  name: p\n  namespace: shop\n  annotations:\n    palisade.dev/ignore: \"PAL-K8S-001 -- lab pod\"");
    std::fs::write(dir.path().join("annotated.yaml"), annotated).unwrap();
    let inline = PRIVILEGED_POD.replace(
        "privileged: true",
        "privileged: true # palisade:ignore PAL-K8S-001 -- CNI test",
    );
    std::fs::write(dir.path().join("inline.yaml"), inline).unwrap();
    std::fs::write(dir.path().join("central.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(
        dir.path().join("expired.yaml"),
        PRIVILEGED_POD.replace(
            "privileged: true",
            "privileged: true # palisade:ignore PAL-K8S-001 until=2026-01-01 -- temporary",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ignore.yaml"),
        "suppressions:\n  - check: PAL-K8S-001\n    paths: [central.yaml]\n    object: {kind: Pod, name: p}\n    reason: accepted risk\n  - check: PAL-K8S-006\n    reason: never used\n  - check: PAL-K8S-007\n",
    )
    .unwrap();
    let out = palisade(
        &[
            "scan",
            "annotated.yaml",
            "inline.yaml",
            "central.yaml",
            "expired.yaml",
            "--suppressions",
            "ignore.yaml",
            "--select",
            "PAL-K8S-001",
            "--format",
            "json",
        ],
        dir.path(),
        None,
    );
    let report = json_of(&out);
    let findings = report["findings"].as_array().unwrap();
    let state = |path: &str| {
        findings
            .iter()
            .find(|f| f["location"]["path"] == path)
            .map(|f| f["suppressed"].clone())
            .unwrap()
    };
    assert_eq!(state("annotated.yaml")["reason"], "lab pod");
    assert_eq!(state("inline.yaml")["reason"], "CNI test");
    assert_eq!(state("central.yaml")["reason"], "accepted risk");
    assert!(
        state("expired.yaml").is_null(),
        "expired suppression must not apply"
    );
    let sups = report["suppressions"].as_array().unwrap();
    assert!(sups.iter().any(|s| s["state"] == "expired"));
    assert!(
        sups.iter()
            .any(|s| s["state"] == "unused" && s["checks"][0] == "PAL-K8S-006")
    );
    // The entry without a reason is an error, and does not apply.
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(
            |e| e["path"] == "ignore.yaml" && e["message"].as_str().unwrap().contains("reason")
        ),
        "{errors:#?}"
    );
    // One active finding (expired) keeps the exit code at 2 because of the bad suppression file entry.
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(report["summary"]["findings"], 1);
}

#[test]
fn every_format_renders_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for format in ["table", "json", "sarif", "navigator"] {
        let out = palisade(&["scan", "examples", "--format", format], &root, None);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
        if format != "table" {
            let v = json_of(&out);
            match format {
                "json" => assert_eq!(v["schema"], "palisade.scan/v1"),
                "sarif" => assert_eq!(v["version"], "2.1.0"),
                _ => {
                    assert_eq!(v["versions"]["layer"], "4.5");
                    assert_eq!(v["filters"]["platforms"][0], "Containers");
                    assert!(v["techniques"].as_array().unwrap().len() >= 10);
                }
            }
        }
    }
}

#[test]
fn attack_version_19_translates_tactics() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade(
        &[
            "scan",
            "-",
            "--format",
            "json",
            "--select",
            "PAL-K8S-001",
            "--attack-version",
            "19",
        ],
        dir.path(),
        Some(PRIVILEGED_POD.as_bytes()),
    );
    let report = json_of(&out);
    assert_eq!(report["attack"]["version"], "19.1");
    let tactics = report["findings"][0]["tactics"].as_array().unwrap();
    assert!(
        !tactics.iter().any(|t| t == "defense-evasion"),
        "{tactics:?}"
    );
}

#[test]
fn coverage_reports_three_levels_and_the_gaps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = palisade(&["coverage"], &root, None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("Containers techniques claimed"))
        .expect("summary line");
    let claimed: usize = line.split_whitespace().next().unwrap().parse().unwrap();
    assert!(claimed >= 25, "{line}");
    // Every technique of the matrix is either claimed, covered through a sub-technique or
    // a gap; Resource Hijacking is reached through Compute Hijacking, not a gap.
    let (subs, gaps) = text
        .split_once("Covered only through sub-techniques")
        .and_then(|(_, rest)| rest.split_once("Gaps (no check or rule at all):"))
        .expect("both lists");
    assert!(
        subs.contains("\n  T1496 Resource Hijacking (Impact): T1496.001\n"),
        "{subs}"
    );
    assert!(!gaps.contains("T1496 "), "{gaps}");
    let total: usize = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    let listed = |block: &str| block.lines().filter(|l| l.starts_with("  T")).count();
    assert_eq!(claimed + listed(subs) + listed(gaps), total, "{text}");
    // Escape to Host is claimed, deployed and validated by several checks and rules.
    let t1611 = text.lines().find(|l| l.starts_with("T1611 ")).unwrap();
    let counts: Vec<usize> = t1611
        .split_whitespace()
        .rev()
        .take(3)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(counts.iter().all(|&n| n >= 5), "{t1611}");
    let layer = palisade(
        &["coverage", "--format", "navigator", "--level", "validated"],
        &root,
        None,
    );
    let v: Value = serde_json::from_slice(&layer.stdout).unwrap();
    assert_eq!(v["versions"]["layer"], "4.5");
    assert!(v["techniques"].as_array().unwrap().len() >= 25);
}

#[test]
fn navigator_output_of_the_examples_is_stable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = palisade(&["scan", "examples", "--format", "navigator"], &root, None);
    insta::assert_snapshot!(
        "scan_examples_navigator",
        String::from_utf8_lossy(&out.stdout)
    );
}
