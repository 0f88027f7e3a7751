//! `--store` on scan and detect, and `palisade alerts` queries over it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("palisade runs")
}

#[test]
fn detect_and_scan_record_into_a_store_that_alerts_queries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let db = db.to_str().unwrap();
    // Two detect runs at once on the same store (WAL): both land completely.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_palisade"))
                .args([
                    "detect",
                    "examples/audit/cryptojacking-attack.jsonl",
                    "--format",
                    "none",
                    "--no-summary",
                    "--store",
                    db,
                ])
                .current_dir(root())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().unwrap().code(), Some(1));
    }
    let scan = palisade(&[
        "scan",
        "examples",
        "--format",
        "json",
        "--output",
        "/dev/null",
        "--store",
        db,
    ]);
    assert_eq!(scan.status.code(), Some(1));

    let all = palisade(&["alerts", "--store", db, "--format", "jsonl"]);
    let lines = String::from_utf8_lossy(&all.stdout).lines().count();
    let single = palisade(&[
        "detect",
        "examples/audit/cryptojacking-attack.jsonl",
        "--format",
        "jsonl",
        "--no-summary",
    ]);
    let per_run = String::from_utf8_lossy(&single.stdout).lines().count();
    assert_eq!(
        lines,
        2 * per_run,
        "both concurrent runs stored every alert"
    );

    let escape = palisade(&[
        "alerts",
        "--store",
        db,
        "--technique",
        "T1611",
        "--namespace",
        "shop",
        "--format",
        "jsonl",
    ]);
    let text = String::from_utf8_lossy(&escape.stdout);
    assert!(!text.is_empty());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "T1611")
        );
        assert_eq!(v["workload"]["namespace"], "shop");
    }
    // A parent technique finds its sub-techniques.
    let cron = palisade(&[
        "alerts",
        "--store",
        db,
        "--technique",
        "T1053",
        "--format",
        "jsonl",
    ]);
    assert!(String::from_utf8_lossy(&cron.stdout).contains("T1053.007"));
    // Nothing is older than the example's date plus a century.
    let none = palisade(&["alerts", "--store", db, "--since", "2200-01-01T00:00:00Z"]);
    assert!(String::from_utf8_lossy(&none.stdout).contains("0 alerts"));
    // Retention by age removes everything older than a day (the example is from 2026-11-26).
    let prune = palisade(&["alerts", "--store", db, "--prune-older-than", "1d"]);
    assert_eq!(prune.status.code(), Some(0));
}

#[test]
fn incidents_join_the_attack_chain_with_the_findings_that_enabled_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let db = db.to_str().unwrap();
    palisade(&[
        "scan",
        "examples",
        "--format",
        "json",
        "--output",
        "/dev/null",
        "--store",
        db,
    ]);
    palisade(&[
        "detect",
        "examples/audit/cryptojacking-attack.jsonl",
        "--format",
        "none",
        "--no-summary",
        "--store",
        db,
    ]);
    let out = palisade(&["incidents", "--store", db, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let incidents: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incidents = incidents.as_array().unwrap();
    let chain = incidents
        .iter()
        .find(|i| {
            i["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["technique"] == "T1496.001")
        })
        .expect("an incident with the miner");
    let techniques: Vec<&str> = chain["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["technique"].as_str().unwrap())
        .collect();
    for t in [
        "T1552.007",
        "T1611",
        "T1609",
        "T1053.007",
        "T1098.006",
        "T1070",
    ] {
        assert!(
            techniques.contains(&t),
            "{t} not in the chain {techniques:?}"
        );
    }
    assert!(
        chain["finding_count"].as_u64().unwrap() > 0,
        "posture findings joined"
    );
    assert!(chain["explanation"].as_str().unwrap().contains("shop/ci"));
    // The password spray from another address is a separate incident.
    assert!(incidents.len() >= 2);
}
