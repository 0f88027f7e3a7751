//! Lookups, version translation and the Containers matrix of the built-in catalogues.

use palisade_attack::{AttackVersion, Catalogue, UnplacedReason};
use std::collections::BTreeSet;

fn v18() -> &'static Catalogue {
    Catalogue::builtin(AttackVersion::V18_1)
}

fn v19() -> &'static Catalogue {
    Catalogue::builtin(AttackVersion::V19)
}

/// `(tactic id, technique id)` cells.
fn cells(cat: &Catalogue, id: &str, hint: Option<&str>) -> Vec<(String, String)> {
    cat.place(id, hint)
        .into_iter()
        .map(|(tac, tech)| (tac.id.clone(), tech.id.clone()))
        .collect()
}

fn pair(tactic: &str, technique: &str) -> (String, String) {
    (tactic.to_string(), technique.to_string())
}

#[test]
fn builtin_catalogues_load() {
    for v in AttackVersion::ALL {
        let cat = Catalogue::try_builtin(v).expect("embedded data parses");
        assert_eq!(cat.version, v.as_str());
        assert_eq!(cat.domain, "enterprise-attack");
        assert!(
            cat.techniques.len() > 800,
            "all Enterprise techniques, not just Containers"
        );
        assert!(cat.mitigations.len() > 40);
        let ids: Vec<&str> = cat.techniques.iter().map(|t| t.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "techniques sorted by id, no duplicates");
    }
    assert_eq!(v18().tactics.len(), 14);
    assert_eq!(v19().tactics.len(), 15);
}

#[test]
fn versions_parse_and_display() {
    for (s, v) in [
        ("18", AttackVersion::V18_1),
        ("18.1", AttackVersion::V18_1),
        ("v18.1", AttackVersion::V18_1),
        ("19", AttackVersion::V19),
        (" 19.1 ", AttackVersion::V19),
    ] {
        assert_eq!(s.parse::<AttackVersion>().expect(s), v);
    }
    for bad in ["", "17", "18.2", "20", "nineteen"] {
        assert!(bad.parse::<AttackVersion>().is_err(), "{bad}");
    }
    assert_eq!(AttackVersion::V18_1.to_string(), "18.1");
    assert_eq!(AttackVersion::V19.to_string(), "19.1");
    assert_eq!(v18().major_version(), Some("18"));
    assert_eq!(v19().major_version(), Some("19"));
}

#[test]
fn technique_lookup_is_exact() {
    let cat = v18();
    let t = cat.technique("T1611").expect("T1611");
    assert_eq!(t.name, "Escape to Host");
    assert_eq!(t.tactics, ["privilege-escalation"]);
    assert!(t.is_containers());
    assert_eq!(t.url, "https://attack.mitre.org/techniques/T1611");
    assert!(cat.technique("t1611").is_some(), "case-insensitive");
    assert!(cat.technique("attack.t1611").is_some(), "Sigma tag form");
    assert!(cat.technique("T9999").is_none());
    assert!(cat.technique("nonsense").is_none());

    let sub = cat.technique("T1053.007").expect("T1053.007");
    assert_eq!(sub.parent.as_deref(), Some("T1053"));
    assert_eq!(
        sub.tactics,
        ["execution", "persistence", "privilege-escalation"]
    );

    // A non-Containers technique is in the catalogue too.
    let t = cat.technique("T1003").expect("T1003");
    assert!(!t.is_containers());
    assert!(!cat.is_containers("T1003"));

    // Revoked in 18.1 already: exact lookup returns the stub, resolve the successor.
    let old = cat.technique("T1150").expect("T1150 stub");
    assert_eq!(old.revoked_by.as_deref(), Some("T1547.011"));
    // T1547.011 was itself revoked by T1647: chains are followed.
    assert_eq!(
        cat.technique("T1547.011")
            .and_then(|t| t.revoked_by.as_deref()),
        Some("T1647")
    );
    assert_eq!(cat.resolve("T1150").map(|t| t.id.as_str()), Some("T1647"));
}

#[test]
fn mitigations_and_data_components() {
    let cat = v18();
    let t = cat.technique("T1611").expect("T1611");
    assert!(t.mitigations.iter().any(|m| m == "M1048"));
    assert_eq!(
        cat.mitigation("M1048").map(|m| m.name.as_str()),
        Some("Application Isolation and Sandboxing")
    );
    assert!(!t.data_components.is_empty());
    // T1069 has no Containers-platform analytic: all analytics' components are used.
    assert!(
        !cat.technique("T1069")
            .expect("T1069")
            .data_components
            .is_empty()
    );
}

#[test]
fn resolve_follows_revocations() {
    assert_eq!(
        v18().resolve("T1562.001").map(|t| t.id.as_str()),
        Some("T1562.001")
    );
    assert_eq!(
        v19().resolve("T1562.001").map(|t| t.id.as_str()),
        Some("T1685")
    );
    assert_eq!(v19().resolve("T1562").map(|t| t.id.as_str()), Some("T1685"));
    assert_eq!(
        v19()
            .technique("T1562.001")
            .and_then(|t| t.revoked_by.as_deref()),
        Some("T1685")
    );
    assert!(v19().resolve("T9999").is_none());
    let t1685 = v19().technique("T1685").expect("T1685");
    assert_eq!(t1685.name, "Disable or Modify Tools");
    assert_eq!(t1685.tactics, ["defense-impairment"]);
    assert!(t1685.is_containers());
    assert!(v18().technique("T1685").is_none());
}

#[test]
fn tactic_lookup_accepts_every_form() {
    for form in [
        "TA0005",
        "ta0005",
        "defense-evasion",
        "Defense Evasion",
        "mitre_defense_evasion",
        "attack.defense_evasion",
        "stealth",
        "Stealth",
        "defense-impairment",
    ] {
        let t = v18().tactic(form).unwrap_or_else(|| panic!("18.1: {form}"));
        assert_eq!(
            (t.id.as_str(), t.name.as_str()),
            ("TA0005", "Defense Evasion"),
            "{form}"
        );
    }
    for form in [
        "TA0005",
        "defense-evasion",
        "Defense Evasion",
        "mitre_defense_evasion",
        "stealth",
    ] {
        let t = v19().tactic(form).unwrap_or_else(|| panic!("19: {form}"));
        assert_eq!(
            (t.id.as_str(), t.shortname.as_str(), t.name.as_str()),
            ("TA0005", "stealth", "Stealth"),
            "{form}"
        );
    }
    let di = v19().tactic("defense-impairment").expect("TA0112");
    assert_eq!(
        (di.id.as_str(), di.name.as_str()),
        ("TA0112", "Defense Impairment")
    );
    assert_eq!(
        v19().tactic("TA0112").map(|t| t.shortname.as_str()),
        Some("defense-impairment")
    );

    let pe = v18()
        .tactic("mitre_privilege_escalation")
        .expect("falco tag");
    assert_eq!(pe.id, "TA0004");
    assert_eq!(
        v18().tactic("Command and Control").map(|t| t.id.as_str()),
        Some("TA0011")
    );
    assert_eq!(
        v18()
            .tactic("mitre_command_and_control")
            .map(|t| t.id.as_str()),
        Some("TA0011")
    );
    assert!(v18().tactic("").is_none());
    assert!(v18().tactic("mitre_").is_none());
    assert!(v18().tactic("not-a-tactic").is_none());
    assert!(v18().tactic("TA0112").is_none());
}

#[test]
fn tactics_of_in_matrix_order() {
    let ids: Vec<&str> = v18()
        .tactics_of("T1078")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, ["TA0001", "TA0003", "TA0004", "TA0005"]);
    let ids: Vec<&str> = v19()
        .tactics_of("T1562.001")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, ["TA0112"]);
    assert!(v18().tactics_of("T9999").is_empty());
}

#[test]
fn t1562_001_and_defense_evasion_hint_translate_between_versions() {
    // 18.1: Defense Evasion.
    assert_eq!(
        cells(v18(), "T1562.001", Some("mitre_defense_evasion")),
        [pair("TA0005", "T1562.001")]
    );
    assert_eq!(
        cells(v18(), "T1562.001", None),
        [pair("TA0005", "T1562.001")]
    );
    // v19: revoked by T1685, which sits in Defense Impairment.
    assert_eq!(
        cells(v19(), "T1562.001", Some("mitre_defense_evasion")),
        [pair("TA0112", "T1685")]
    );
    assert_eq!(cells(v19(), "T1562.001", None), [pair("TA0112", "T1685")]);
    assert_eq!(
        cells(v19(), "T1562", Some("defense-evasion")),
        [pair("TA0112", "T1685")]
    );
    // v19: techniques that stayed in TA0005 land in Stealth under the old tag.
    assert_eq!(
        cells(v19(), "T1036", Some("mitre_defense_evasion")),
        [pair("TA0005", "T1036")]
    );
    assert_eq!(
        v19().place("T1036", Some("mitre_defense_evasion"))[0]
            .0
            .name,
        "Stealth"
    );
    assert_eq!(
        cells(v18(), "T1036", Some("mitre_defense_evasion")),
        [pair("TA0005", "T1036")]
    );
    // A v19 tag in 18.1.
    assert_eq!(
        cells(v18(), "T1036", Some("stealth")),
        [pair("TA0005", "T1036")]
    );
}

#[test]
fn hints_pick_among_tactics() {
    // T1078 is in four tactics; a hint picks one.
    assert_eq!(
        cells(v18(), "T1078", Some("mitre_privilege_escalation")),
        [pair("TA0004", "T1078")]
    );
    assert_eq!(
        cells(v19(), "T1078", Some("defense-evasion")),
        [pair("TA0005", "T1078")]
    );
    // A hint that is not one of the technique's tactics: all of them.
    assert_eq!(cells(v18(), "T1078", Some("impact")).len(), 4);
    assert_eq!(cells(v18(), "T1078", Some("garbage")).len(), 4);
    // T1610 lost Defense Evasion in v19: the old hint falls back to Execution.
    assert_eq!(
        cells(v18(), "T1610", Some("mitre_defense_evasion")),
        [pair("TA0005", "T1610")]
    );
    assert_eq!(
        cells(v19(), "T1610", Some("mitre_defense_evasion")),
        [pair("TA0002", "T1610")]
    );
    // T1550 moved to Lateral Movement only.
    assert_eq!(
        cells(v19(), "T1550.001", None),
        [pair("TA0008", "T1550.001")]
    );
    assert_eq!(cells(v18(), "T1550.001", None).len(), 2);
}

#[test]
fn non_containers_and_tagged_ids_place() {
    // Non-Containers technique, Sigma tag form, v19 rename of defense-evasion.
    let c = cells(v19(), "attack.t1027", Some("attack.defense_evasion"));
    assert_eq!(c, [pair("TA0005", "T1027")]);
    let c = cells(v18(), "T1003.001", None);
    assert_eq!(c, [pair("TA0006", "T1003.001")]);
}

#[test]
fn unplaceable_ids_have_reasons() {
    assert!(v18().place("T9999", None).is_empty());
    assert_eq!(
        v18().unplaced_reason("T9999"),
        Some(UnplacedReason::Unknown)
    );
    assert_eq!(
        v18().unplaced_reason("nonsense"),
        Some(UnplacedReason::Unknown)
    );
    assert!(v18().place("T1153", None).is_empty());
    assert_eq!(
        v18().unplaced_reason("T1153"),
        Some(UnplacedReason::Deprecated)
    );
    assert_eq!(v18().unplaced_reason("T1611"), None);
    assert_eq!(v19().unplaced_reason("T1562.001"), None);
}

fn matrix_summary(cat: &Catalogue) -> (usize, Vec<(String, usize)>) {
    let matrix = cat.containers_matrix();
    let distinct: BTreeSet<&str> = matrix
        .iter()
        .flat_map(|(_, ts)| ts.iter().map(|t| t.id.as_str()))
        .collect();
    let per_tactic = matrix
        .iter()
        .map(|(tac, ts)| (tac.shortname.clone(), ts.len()))
        .collect();
    (distinct.len(), per_tactic)
}

#[test]
fn containers_matrix_18_1_matches_the_facts() {
    let (distinct, per_tactic) = matrix_summary(v18());
    assert_eq!(distinct, 48);
    let expected = [
        ("initial-access", 5),
        ("execution", 7),
        ("persistence", 13),
        ("privilege-escalation", 11),
        ("defense-evasion", 13),
        ("credential-access", 8),
        ("discovery", 3),
        ("lateral-movement", 2),
        ("impact", 7),
    ];
    let expected: Vec<(String, usize)> =
        expected.iter().map(|(s, n)| (s.to_string(), *n)).collect();
    assert_eq!(per_tactic, expected);
    let subs = v18()
        .techniques
        .iter()
        .filter(|t| t.is_containers() && t.is_subtechnique())
        .count();
    assert_eq!(subs, 19);
    assert!(v18().is_containers("T1059.013"));
    assert!(!v18().is_containers("T1059"));
}

#[test]
fn containers_matrix_19_has_ten_tactics() {
    let (distinct, per_tactic) = matrix_summary(v19());
    assert_eq!(distinct, 47, "48 - T1562 - T1562.001 + T1685");
    let names: Vec<&str> = per_tactic.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "initial-access",
            "execution",
            "persistence",
            "privilege-escalation",
            "stealth",
            "defense-impairment",
            "credential-access",
            "discovery",
            "lateral-movement",
            "impact"
        ]
    );
    let stealth: Vec<&str> = v19().containers_matrix()[4]
        .1
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(
        stealth,
        [
            "T1612",
            "T1070",
            "T1036",
            "T1036.010",
            "T1036.005",
            "T1078",
            "T1078.001",
            "T1078.003"
        ]
    );
    let di: Vec<&str> = v19().containers_matrix()[5]
        .1
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(di, ["T1685"]);
}

#[test]
fn containers_matrix_order_groups_subtechniques() {
    let matrix = v18().containers_matrix();
    let execution: Vec<&str> = matrix[1].1.iter().map(|t| t.id.as_str()).collect();
    // Sorted by name; T1059.013 sorts under its parent's name "Command and Scripting
    // Interpreter" even though T1059 itself is not a Containers technique.
    assert_eq!(
        execution,
        [
            "T1059.013",
            "T1609",
            "T1610",
            "T1053",
            "T1053.007",
            "T1204",
            "T1204.003"
        ]
    );
    let initial: Vec<&str> = matrix[0].1.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        initial,
        ["T1190", "T1133", "T1078", "T1078.001", "T1078.003"]
    );
}

#[test]
fn subtechniques_listed() {
    let subs: Vec<&str> = v18()
        .subtechniques("T1053")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert!(subs.contains(&"T1053.007"));
    assert!(subs.iter().all(|s| s.starts_with("T1053.")));
    assert!(v18().subtechniques("junk").is_empty());
}
