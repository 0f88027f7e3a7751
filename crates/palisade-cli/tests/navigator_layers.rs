//! The Navigator layers Palisade writes load in mitreattack-python (MITRE's own library).
//!
//! Runs `tests/navigator/validate_layers.py` with the interpreter named by
//! `PALISADE_MITREATTACK_PYTHON` (a virtualenv with mitreattack-python; `.ci/run` sets it
//! up). Without it the test prints a notice and passes, unless `PALISADE_REQUIRE_MITREATTACK`
//! is set, in which case a missing interpreter is a failure.

use std::path::Path;
use std::process::Command;

#[test]
fn scan_layers_load_in_mitreattack_python() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("PALISADE_MITREATTACK_PYTHON");
    let required = std::env::var_os("PALISADE_REQUIRE_MITREATTACK").is_some();
    let Some(python) = python else {
        assert!(
            !required,
            "PALISADE_REQUIRE_MITREATTACK is set but PALISADE_MITREATTACK_PYTHON is not"
        );
        eprintln!(
            "NOTICE: PALISADE_MITREATTACK_PYTHON not set; mitreattack-python layer check skipped"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut layers = Vec::new();
    for version in ["18.1", "19"] {
        let path = dir.path().join(format!("scan-{version}.json"));
        let status = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args([
                "scan",
                "examples",
                "--format",
                "navigator",
                "--attack-version",
                version,
                "--output",
            ])
            .arg(&path)
            .current_dir(&root)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "examples have findings");
        layers.push(path);
    }
    for (name, args) in [
        ("coverage.json", vec!["coverage", "--format", "navigator"]),
        (
            "observed.json",
            vec![
                "detect",
                "examples/audit/cryptojacking-attack.jsonl",
                "--format",
                "navigator",
                "--no-summary",
            ],
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(&args)
            .current_dir(&root)
            .output()
            .unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &out.stdout).unwrap();
        layers.push(path);
    }
    let output = Command::new(python)
        .arg(root.join("tests/navigator/validate_layers.py"))
        .arg("--strict")
        .args(&layers)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "mitreattack-python rejected a layer:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout.matches("OK ").count(), 4, "{stdout}");
}
