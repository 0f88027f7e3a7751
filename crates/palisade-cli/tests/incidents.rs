//! The terminal views of attacks: `palisade incidents` (each chain drawn on the ATT&CK
//! matrix, with the explanation) and `palisade attack --matrix`. Golden tests of the text,
//! colour only when asked for, NO_COLOR honoured, 120 columns kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("PALISADE_STORE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("palisade runs")
}

/// A store with the examples' scan and the example attack's alerts.
fn example_store(dir: &Path) -> String {
    let db = dir.join("palisade.db").display().to_string();
    let scan = palisade(
        &[
            "scan",
            "examples",
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--store",
            &db,
        ],
        &[],
    );
    assert_eq!(
        scan.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let detect = palisade(
        &[
            "detect",
            "examples/audit/cryptojacking-attack.jsonl",
            "--format",
            "none",
            "--no-summary",
            "--store",
            &db,
        ],
        &[],
    );
    assert_eq!(
        detect.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    db
}

fn text(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// Display columns, ANSI escapes removed (every character here is one column wide).
fn columns(line: &str) -> usize {
    let mut n = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

fn assert_fits(output: &str, width: usize) {
    for line in output.lines() {
        assert!(
            columns(line) <= width,
            "{} columns, more than {width}: {line}",
            columns(line)
        );
    }
}

#[test]
fn incidents_text_draws_each_chain_on_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let db = example_store(dir.path());
    let out = text(&palisade(
        &["incidents", "--store", &db, "--width", "120"],
        &[("NO_COLOR", "1")],
    ));
    assert!(!out.contains('\x1b'), "NO_COLOR: no escapes");
    assert_fits(&out, 120);
    // The main chain: who, the kill chain in order, the matrix with the techniques numbered
    // in the order the attack reached them, and the explanation.
    assert!(out.contains("  Who:     service account shop/ci (actor, runs-as); from 203.0.113.50"));
    assert!(out.contains("Kill chain (# = order the attack reached it"));
    assert!(out.contains("on the ATT&CK v18.1 for Containers matrix"));
    assert!(out.contains("Highlighted (heat ~ 1  + 2  * 3  # 4):"));
    assert!(out.contains("# T1496.001 Compute Hijacking - "));
    assert!(out.contains("  Service account shop/ci, from 203.0.113.50, raised"));
    insta::assert_snapshot!("incidents_text_120", out);
}

#[test]
fn incidents_text_is_the_same_with_no_color_or_color_never_and_fits_narrow_terminals() {
    let dir = tempfile::tempdir().unwrap();
    let db = example_store(dir.path());
    let never = text(&palisade(
        &[
            "incidents",
            "--store",
            &db,
            "--color",
            "never",
            "--width",
            "120",
        ],
        &[],
    ));
    let no_color = text(&palisade(
        &["incidents", "--store", &db, "--width", "120"],
        &[("NO_COLOR", "1")],
    ));
    assert_eq!(never, no_color);
    // COLUMNS is honoured like --width.
    let narrow = text(&palisade(
        &["incidents", "--store", &db],
        &[("COLUMNS", "80"), ("NO_COLOR", "1")],
    ));
    assert_fits(&narrow, 80);
    assert!(narrow.contains("T1611"));
    // Without the matrix, only the chain and the explanation.
    let short = text(&palisade(
        &["incidents", "--store", &db, "--no-matrix", "--width", "120"],
        &[],
    ));
    assert!(!short.contains("Highlighted (heat"));
    assert!(short.contains("Kill chain"));
    assert!(short.lines().count() < never.lines().count());
}

#[test]
fn incidents_colour_highlights_the_chain_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = example_store(dir.path());
    let plain = text(&palisade(
        &[
            "incidents",
            "--store",
            &db,
            "--color",
            "never",
            "--width",
            "120",
        ],
        &[],
    ));
    let coloured = text(&palisade(
        &[
            "incidents",
            "--store",
            &db,
            "--color",
            "always",
            "--width",
            "120",
        ],
        // --color always wins over NO_COLOR, as for scan.
        &[("NO_COLOR", "1")],
    ));
    assert!(coloured.contains("\x1b["), "escapes with --color always");
    // The critical miner cell carries the heat-4 background (ANSI 256 colour 160).
    assert!(coloured.contains("48;5;160m"), "heat 4 background");
    assert_fits(&coloured, 120);
    // Markers stay with colour, so the same cells are highlighted either way.
    let markers = |s: &str| {
        s.lines()
            .filter(|l| l.contains("Highlighted (heat"))
            .count()
    };
    assert_eq!(markers(&plain), markers(&coloured));
    assert!(markers(&plain) >= 3, "one matrix per incident");
}

#[test]
fn attack_matrix_highlights_coverage_and_fits_120_columns() {
    let plain = text(&palisade(
        &["attack", "--matrix", "--width", "120"],
        &[("NO_COLOR", "1")],
    ));
    assert!(!plain.contains('\x1b'));
    assert_fits(&plain, 120);
    assert!(plain.contains("techniques covered by Palisade"));
    assert!(plain.contains("Highlighted (heat ~ 1  + 2  * 3  # 4):"));
    // Escape to Host is covered by many checks and rules: the hottest marker.
    assert!(
        plain
            .lines()
            .any(|l| l.starts_with("# T1611 Escape to Host - ")),
        "{plain}"
    );
    let coloured = text(&palisade(
        &["attack", "--matrix", "--color", "always", "--width", "120"],
        &[],
    ));
    assert!(coloured.contains("\x1b["));
    assert_fits(&coloured, 120);
}
