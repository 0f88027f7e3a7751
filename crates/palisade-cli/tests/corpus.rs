//! Scans the real-world corpus in ../shared/corpus when it exists: no panic, no input error
//! except the unrendered Helm chart (reported as such), and findings on the deliberately
//! vulnerable sets. Skipped with a notice when ../shared is absent.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    dir.is_dir().then_some(dir)
}

#[test]
fn whole_corpus_scans_without_unexpected_errors() {
    let Some(corpus) = corpus() else {
        eprintln!("NOTICE: ../shared/corpus not found; corpus test skipped");
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(&corpus)
        .output()
        .expect("palisade runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON on stdout");
    assert_eq!(report["schema"], "palisade.scan/v1");

    let errors = report["errors"].as_array().expect("errors array");
    // Unrendered templates (cert-manager's Helm chart, and the `{{var}}` templates some other
    // projects keep next to their manifests) are the only acceptable errors, and they must be
    // reported as such.
    let unexpected: Vec<&Value> = errors
        .iter()
        .filter(|e| e["kind"] != "unrendered-template")
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected input errors: {unexpected:#?}"
    );
    let helm: Vec<&Value> = errors
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .unwrap_or("")
                .contains("cert-manager-chart-unrendered")
        })
        .collect();
    assert!(!helm.is_empty(), "the unrendered chart must be reported");
    for e in &helm {
        assert_eq!(e["kind"], "unrendered-template", "{e}");
        assert!(
            e["message"].as_str().unwrap().contains("helm template"),
            "{e}"
        );
        assert!(e["line"].as_u64().unwrap() > 0, "{e}");
    }
    // Exit code 2: some input (the unrendered chart) could not be parsed.
    assert_eq!(output.status.code(), Some(2));

    let findings = report["findings"].as_array().expect("findings array");
    let count_in = |set: &str| {
        findings
            .iter()
            .filter(|f| f["location"]["path"].as_str().unwrap_or("").contains(set))
            .count()
    };
    assert!(
        count_in("/badpods/") >= 100,
        "badpods: {}",
        count_in("/badpods/")
    );
    assert!(
        count_in("/kubernetes-goat/") >= 20,
        "kubernetes-goat: {}",
        count_in("/kubernetes-goat/")
    );
    // Every badPods escape primitive is caught on the pod that uses it.
    for (dir, check) in [
        ("/badpods/manifests/priv/pod/", "PAL-K8S-001"),
        ("/badpods/manifests/hostpid/pod/", "PAL-K8S-006"),
        ("/badpods/manifests/hostipc/pod/", "PAL-K8S-007"),
        ("/badpods/manifests/hostnetwork/pod/", "PAL-K8S-008"),
        ("/badpods/manifests/hostpath/pod/", "PAL-K8S-011"),
    ] {
        assert!(
            findings.iter().any(|f| f["check"] == check
                && f["location"]["path"].as_str().unwrap_or("").contains(dir)),
            "{check} missing under {dir}"
        );
    }
    // Every finding points somewhere real.
    for f in findings {
        assert!(f["location"]["line"].as_u64().unwrap() >= 1, "{f}");
        assert!(!f["techniques"].as_array().unwrap().is_empty(), "{f}");
        assert!(!f["tactics"].as_array().unwrap().is_empty(), "{f}");
    }
    let summary = &report["summary"];
    eprintln!(
        "corpus: {} files, {} objects, {} findings, {} errors",
        summary["files"],
        summary["objects"],
        summary["findings"],
        errors.len()
    );
    assert!(summary["files"].as_u64().unwrap() > 1000);
}
