//! Terminal rendering: width limits, NO_COLOR markers, snapshots.

use palisade_attack::matrix::{Highlight, MatrixOptions, render_matrix, render_technique};
use palisade_attack::{AttackVersion, Catalogue};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Display width with ANSI escape sequences removed (test-side, independent of the
/// crate's helpers: every character the renderer emits for this data is one column).
fn visible_width(line: &str) -> usize {
    let mut width = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

fn highlights() -> BTreeMap<String, Highlight> {
    let mut h = BTreeMap::new();
    let mut add = |id: &str, level: u8, label: Option<&str>| {
        h.insert(
            id.to_string(),
            Highlight {
                level,
                label: label.map(str::to_string),
            },
        );
    };
    add("T1611", 4, Some("3"));
    add("T1610", 2, Some("12"));
    add("T1562.001", 3, None);
    add("T1053.007", 1, Some("1"));
    add("T1003", 2, Some("not containers"));
    add("T9999", 4, Some("bogus"));
    h
}

fn opts(width: usize, color: bool) -> MatrixOptions {
    MatrixOptions {
        width,
        color,
        highlights: highlights(),
        title: None,
    }
}

#[test]
fn never_exceeds_the_width() {
    for version in AttackVersion::ALL {
        let cat = Catalogue::builtin(version);
        for width in 0..=220 {
            for color in [false, true] {
                let out = render_matrix(cat, &opts(width, color));
                for line in out.lines() {
                    assert!(
                        visible_width(line) <= width,
                        "{version} width {width} color {color}: {} columns: {line:?}",
                        visible_width(line)
                    );
                }
            }
        }
    }
}

#[test]
fn side_by_side_at_120() {
    for (version, columns) in [(AttackVersion::V18_1, 9), (AttackVersion::V19, 10)] {
        let out = render_matrix(Catalogue::builtin(version), &opts(120, false));
        let id_row = out
            .lines()
            .find(|l| l.trim_start().starts_with("TA0001"))
            .expect("tactic id row");
        assert_eq!(
            id_row.matches("TA0").count(),
            columns,
            "{version}: {id_row}"
        );
    }
}

#[test]
fn narrow_widths_split_into_bands() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V19), &opts(40, false));
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("TA0"))
        .collect();
    assert!(rows.len() >= 4, "{out}");
    let tactics: usize = rows.iter().map(|r| r.matches("TA0").count()).sum();
    assert_eq!(tactics, 10);
}

#[test]
fn no_color_shows_markers_and_labels() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V18_1), &opts(120, false));
    assert!(!out.contains('\u{1b}'), "no escapes without colour");
    // Cell markers.
    assert!(out.contains("#T1611"), "{out}");
    assert!(out.contains("+T1610"), "{out}");
    assert!(out.contains("* .001"), "{out}");
    // Legend with full names and labels.
    assert!(out.contains("# T1611 Escape to Host - 3"), "{out}");
    assert!(out.contains("+ T1610 Deploy Container - 12"), "{out}");
    assert!(out.contains("* T1562.001 Disable or Modify Tools"), "{out}");
    assert!(
        out.contains("T1003 OS Credential Dumping - not containers (not in the Containers matrix)")
    );
    assert!(out.contains("? T9999 (unknown technique id)"));
}

#[test]
fn color_uses_ansi_and_keeps_markers() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V18_1), &opts(120, true));
    assert!(out.contains("\u{1b}["), "escapes with colour");
    assert!(out.contains("#T1611"));
}

#[test]
fn highlights_translate_to_v19() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V19), &opts(120, false));
    assert!(out.contains("*T1685"), "{out}");
    assert!(out.contains("* T1685 Disable or Modify Tools"), "{out}");
    assert!(out.contains("Stealth"));
    assert!(out.contains("Defense"));
    assert!(out.contains("Impairment"));
}

#[test]
fn snapshot_18_1_at_120() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V18_1), &opts(120, false));
    insta::assert_snapshot!("matrix_18_1_width_120", out);
}

#[test]
fn snapshot_19_at_120() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V19), &opts(120, false));
    insta::assert_snapshot!("matrix_19_width_120", out);
}

#[test]
fn snapshot_19_at_60() {
    let out = render_matrix(Catalogue::builtin(AttackVersion::V19), &opts(60, false));
    insta::assert_snapshot!("matrix_19_width_60", out);
}

#[test]
fn custom_title_is_sanitized() {
    let o = MatrixOptions {
        width: 50,
        color: false,
        highlights: BTreeMap::new(),
        title: Some("Cluster \u{1b}[31mprod\u{1b}[0m\nposture".to_string()),
    };
    let out = render_matrix(Catalogue::builtin(AttackVersion::V18_1), &o);
    assert!(out.starts_with("Cluster [31mprod[0m posture\n"), "{out}");
    assert!(!out.contains("Highlighted"));
}

#[test]
fn empty_catalogue_renders() {
    let cat = Catalogue::from_json(
        r#"{"version":"0","domain":"enterprise-attack","tactics":[],"techniques":[],"mitigations":[]}"#,
    )
    .expect("empty catalogue");
    for width in [0, 1, 5, 40, 120] {
        let out = render_matrix(&cat, &opts(width, true));
        assert!(out.lines().all(|l| visible_width(l) <= width));
    }
}

#[test]
fn technique_detail() {
    let cat = Catalogue::builtin(AttackVersion::V18_1);
    let covered = vec![
        (
            "PAL-K8S-001".to_string(),
            "Privileged container".to_string(),
        ),
        (
            "falco:Launch Privileged Container".to_string(),
            "Falco rule".to_string(),
        ),
    ];
    let out = render_technique(cat, "T1611", &covered).expect("T1611");
    insta::assert_snapshot!("technique_t1611_18_1", out);

    let out = render_technique(cat, "T1053", &[]).expect("T1053");
    assert!(
        out.contains("T1053.007 Container Orchestration Job [Containers]"),
        "{out}"
    );
    assert!(out.contains("no Palisade check or rule covers this technique yet"));

    let out = render_technique(cat, "T1059.013", &[]).expect("T1059.013");
    assert!(out.starts_with("T1059.013 Command and Scripting Interpreter: Container CLI/API"));
    assert!(
        out.contains("T1059 Command and Scripting Interpreter (not on the Containers platform)")
    );

    let v19 = Catalogue::builtin(AttackVersion::V19);
    let out = render_technique(v19, "T1562.001", &[]).expect("T1562.001 in v19");
    insta::assert_snapshot!("technique_t1562_001_19", out);

    assert!(render_technique(cat, "T9999", &[]).is_err());
    assert!(render_technique(cat, "\u{1b}[2J", &[]).is_err());
    let deprecated = render_technique(cat, "T1153", &[]).expect("deprecated");
    assert!(deprecated.contains("(deprecated in ATT&CK 18.1)"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_labels_and_titles_fit(
        width in 0usize..160,
        color in any::<bool>(),
        title in proptest::option::of(".{0,80}"),
        labels in proptest::collection::vec((
            prop_oneof![Just("T1611".to_string()), Just("T1078.001".to_string()),
                        Just("T1562.001".to_string()), "[A-Za-z0-9._ ]{0,12}"],
            any::<u8>(),
            proptest::option::of(".{0,20}"),
        ), 0..6),
    ) {
        let highlights = labels
            .into_iter()
            .map(|(id, level, label)| (id, Highlight { level, label }))
            .collect();
        let o = MatrixOptions { width, color, highlights, title };
        for version in AttackVersion::ALL {
            let out = render_matrix(Catalogue::builtin(version), &o);
            for line in out.lines() {
                // Arbitrary labels may contain wide characters: measure like the
                // renderer does, allowing for its documented approximation.
                let w: usize = strip_ansi(line).chars().map(approx_width).sum();
                prop_assert!(w <= width, "width {} > {}: {:?}", w, width, line);
            }
        }
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Same ranges as the renderer: wide East Asian / emoji count 2.
fn approx_width(c: char) -> usize {
    let cp = c as u32;
    if matches!(cp,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD)
    {
        2
    } else {
        1
    }
}
