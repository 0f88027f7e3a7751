//! Loads the official Falco rules files from `/work/shared/rules/falco/` when they are present.

use std::path::Path;

use palisade_rules::{Loaded, RulesFile, Severity, load};

const DIR: &str = "/work/shared/rules/falco";

fn read(name: &str) -> Option<String> {
    let path = Path::new(DIR).join(name);
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            eprintln!("notice: {} not found, skipping", path.display());
            None
        }
    }
}

fn load_files(names: &[&str]) -> Option<Loaded> {
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| read(n).map(|t| (format!("{DIR}/{n}"), t)))
        .collect::<Option<_>>()?;
    let files: Vec<RulesFile<'_>> = texts
        .iter()
        .map(|(p, t)| RulesFile { path: p, text: t })
        .collect();
    Some(load(&files))
}

fn print(loaded: &Loaded) {
    for d in &loaded.diagnostics {
        if d.severity == Severity::Error {
            eprintln!("{d}");
        }
    }
}

fn counts(l: &Loaded) -> (usize, usize, usize) {
    (l.rules.len(), l.macros.len(), l.lists.len())
}

#[test]
fn k8s_audit_rules_load_without_errors() {
    let Some(l) = load_files(&["k8s_audit_rules.yaml"]) else {
        return;
    };
    print(&l);
    assert!(!l.has_errors());
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    assert_eq!(counts(&l), (48, 45, 18));
    assert_eq!(l.required_engine_version.as_deref(), Some("0.15.0"));
    assert_eq!(
        l.required_plugin_versions,
        [
            ("k8saudit".to_owned(), "0.18.0".to_owned()),
            ("json".to_owned(), "0.7.0".to_owned())
        ]
    );
    assert!(l.rules.iter().all(|r| r.source == "k8s_audit"));
    assert!(l.macros.iter().all(|m| m.ok && m.used));
    let r = l.rule("Disallowed K8s User").expect("rule");
    assert!(
        r.condition_text.contains("vpa-recommender"),
        "{}",
        r.condition_text
    );
}

#[test]
fn falco_rules_load_without_errors() {
    for (file, expected) in [
        ("falco_rules.yaml", (25, 87, 49)),
        ("falco-incubating_rules.yaml", (31, 82, 54)),
        ("falco-sandbox_rules.yaml", (37, 183, 60)),
    ] {
        let Some(l) = load_files(&[file]) else { return };
        print(&l);
        assert!(!l.has_errors(), "{file}");
        assert_eq!(counts(&l), expected, "{file}");
        eprintln!(
            "{file}: {} rules, {} macros, {} lists, {} warnings",
            l.rules.len(),
            l.macros.len(),
            l.lists.len(),
            l.diagnostics.len()
        );
    }
}

#[test]
fn falco_files_load_together() {
    let Some(l) = load_files(&[
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]) else {
        return;
    };
    print(&l);
    assert!(!l.has_errors());
    // Later files redefine some macros and lists of earlier ones.
    assert_eq!(l.rules.len(), 25 + 31 + 37);
    eprintln!(
        "together: {} rules, {} macros, {} lists, {} warnings",
        l.rules.len(),
        l.macros.len(),
        l.lists.len(),
        l.diagnostics.len()
    );
}
