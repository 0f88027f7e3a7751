//! Navigator layer building and round-trip.

use palisade_attack::navigator::{Layer, LayerBuilder};
use palisade_attack::{AttackError, AttackVersion, Catalogue, UnplacedReason};

fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// id, tactic hint, score, comment, metadata.
type Add = (
    &'static str,
    Option<&'static str>,
    f64,
    &'static str,
    Vec<(String, String)>,
);

fn sample(version: AttackVersion) -> (Layer, Vec<String>) {
    let cat = Catalogue::builtin(version);
    let mut b = LayerBuilder::new("Palisade test", cat)
        .description("posture + runtime")
        .legend("runtime", "#ff6666");
    let mut errors = Vec::new();
    let adds: [Add; 8] = [
        (
            "T1611",
            None,
            90.0,
            "hostPath /",
            meta(&[("check", "PAL-001")]),
        ),
        (
            "T1611",
            Some("privilege-escalation"),
            40.0,
            "nsenter",
            meta(&[("rule", "falco:x")]),
        ),
        (
            "T1611",
            None,
            10.0,
            "hostPath /",
            meta(&[("check", "PAL-001")]),
        ),
        (
            "T1562.001",
            Some("mitre_defense_evasion"),
            70.0,
            "falco stopped",
            vec![],
        ),
        ("T1053.007", None, 30.0, "", vec![]),
        ("T1053", Some("execution"), 20.5, "cron", vec![]),
        ("T9999", None, 50.0, "bogus", vec![]),
        (
            "T1610",
            Some("defense-evasion"),
            f64::NAN,
            "nan score",
            vec![],
        ),
    ];
    for (id, hint, score, comment, md) in adds {
        if let Err(e) = b.add(id, hint, score, comment, md) {
            errors.push(e.to_string());
        }
    }
    assert_eq!(b.unplaced().len(), 1);
    assert_eq!(b.unplaced()[0].id, "T9999");
    assert_eq!(b.unplaced()[0].reason, UnplacedReason::Unknown);
    (b.build(), errors)
}

fn entry<'a>(
    layer: &'a Layer,
    id: &str,
    tactic: &str,
) -> &'a palisade_attack::navigator::LayerTechnique {
    layer
        .techniques
        .iter()
        .find(|t| t.technique_id == id && t.tactic.as_deref() == Some(tactic))
        .unwrap_or_else(|| panic!("{id} in {tactic}"))
}

#[test]
fn builds_a_v18_layer() {
    let (layer, errors) = sample(AttackVersion::V18_1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("T9999"), "{errors:?}");
    let versions = layer.versions.as_ref().expect("versions");
    assert_eq!(versions.attack.as_deref(), Some("18"));
    assert_eq!(versions.navigator, "5.1.0");
    assert_eq!(versions.layer, "4.5");
    assert_eq!(layer.domain, "enterprise-attack");
    assert_eq!(
        layer.filters.as_ref().map(|f| f.platforms.clone()),
        Some(vec!["Containers".to_string()])
    );
    // Merged: max score, comments joined without duplicates, metadata deduplicated.
    let t = entry(&layer, "T1611", "privilege-escalation");
    assert_eq!(t.score, Some(90.0));
    assert_eq!(t.comment.as_deref(), Some("hostPath /; nsenter"));
    assert_eq!(t.metadata.len(), 2);
    // One entry per cell.
    assert_eq!(
        layer
            .techniques
            .iter()
            .filter(|t| t.technique_id == "T1611")
            .count(),
        1
    );
    // No hint: every tactic of the technique.
    for tactic in ["execution", "persistence", "privilege-escalation"] {
        assert_eq!(entry(&layer, "T1053.007", tactic).score, Some(30.0));
    }
    // Parent shows its annotated sub-techniques.
    assert!(entry(&layer, "T1053", "execution").show_subtechniques);
    assert!(!entry(&layer, "T1611", "privilege-escalation").show_subtechniques);
    // 18.1 keeps T1562.001 in Defense Evasion.
    assert_eq!(
        entry(&layer, "T1562.001", "defense-evasion").score,
        Some(70.0)
    );
    // NaN score counts as 0.
    assert_eq!(entry(&layer, "T1610", "defense-evasion").score, Some(0.0));
}

#[test]
fn builds_a_v19_layer_with_translated_ids() {
    let (layer, _) = sample(AttackVersion::V19);
    assert_eq!(
        layer.versions.as_ref().and_then(|v| v.attack.as_deref()),
        Some("19")
    );
    let t = entry(&layer, "T1685", "defense-impairment");
    assert_eq!(t.score, Some(70.0));
    assert!(
        t.metadata
            .iter()
            .any(|m| m.name == "mapped_from" && m.value == "T1562.001"),
        "{:?}",
        t.metadata
    );
    assert!(
        !layer
            .techniques
            .iter()
            .any(|t| t.technique_id.starts_with("T1562"))
    );
    // T1610 lost Defense Evasion in v19: the old hint lands in Execution.
    entry(&layer, "T1610", "execution");
    let shortnames: Vec<&str> = layer
        .techniques
        .iter()
        .filter_map(|t| t.tactic.as_deref())
        .collect();
    assert!(!shortnames.contains(&"defense-evasion"));
}

#[test]
fn layer_round_trips() {
    for version in AttackVersion::ALL {
        let (layer, _) = sample(version);
        let json = layer.to_json_pretty();
        let back = Layer::from_json(&json).expect("parses back");
        assert_eq!(back, layer);
        // Field names as Navigator expects them.
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["versions"]["layer"], "4.5");
        assert_eq!(v["versions"]["navigator"], "5.1.0");
        assert_eq!(v["filters"]["platforms"][0], "Containers");
        assert_eq!(v["layout"]["showID"], true);
        assert_eq!(v["layout"]["expandedSubtechniques"], "annotated");
        assert_eq!(v["hideDisabled"], false);
        // Integers: mitreattack-python rejects float gradient bounds.
        assert!(v["gradient"]["minValue"].is_i64(), "{}", v["gradient"]);
        assert!(v["gradient"]["maxValue"].is_i64(), "{}", v["gradient"]);
        assert_eq!(v["legendItems"][0]["label"], "runtime");
        let first = &v["techniques"][0];
        assert!(first["techniqueID"].is_string());
        assert!(first["showSubtechniques"].is_boolean());
        assert!(first["enabled"].is_boolean());
        // Whole scores are integers; fractional ones stay fractional.
        assert!(json.contains("\"score\": 90,"), "{json}");
        assert!(json.contains("\"score\": 20.5,"), "{json}");
    }
}

#[test]
fn reads_the_reference_example_shape() {
    // A minimal layer as in the design notes, including a technique without tactic and
    // a metadata divider.
    let json = r##"{
      "name": "Palisade minimal",
      "versions": {"attack": "18", "navigator": "5.1.0", "layer": "4.5"},
      "domain": "enterprise-attack",
      "filters": {"platforms": ["Containers"]},
      "techniques": [
        {"techniqueID": "T1611", "tactic": "privilege-escalation", "score": 90, "comment": "x"},
        {"techniqueID": "T1053.007", "score": 30}
      ],
      "gradient": {"colors": ["#ffffff", "#ff6666"], "minValue": 0, "maxValue": 100},
      "metadata": [{"name": "a", "value": "b"}, {"divider": true}]
    }"##;
    let layer = Layer::from_json(json).expect("parses");
    assert_eq!(layer.techniques.len(), 2);
    assert!(layer.techniques[1].tactic.is_none());
    assert!(layer.techniques[1].enabled, "Navigator default");
    assert_eq!(layer.metadata[1].divider, Some(true));
    assert!(Layer::from_json("[").is_err());
    assert!(Layer::from_json("{}").is_err());
}

#[test]
fn deprecated_ids_are_reported() {
    let cat = Catalogue::builtin(AttackVersion::V18_1);
    let mut b = LayerBuilder::new("x", cat);
    match b.add("T1153", None, 1.0, "", vec![]) {
        Err(AttackError::Unplaced { reason, .. }) => assert_eq!(reason, UnplacedReason::Deprecated),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        b.add("attack.t1611", None, 1.0, "", vec![])
            .expect("tag form"),
        1
    );
    let layer = b.build();
    assert_eq!(layer.techniques.len(), 1);
}
