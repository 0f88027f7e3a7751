//! Every technique a check names is a live ATT&CK for Containers technique in the built-in
//! catalogues, and lands in at least one matrix cell under every ATT&CK version we speak.

use palisade_attack::{AttackVersion, Catalogue};
use palisade_scan::checks::all_checks;

#[test]
fn check_techniques_are_live_containers_techniques() {
    let v18 = Catalogue::builtin(AttackVersion::V18_1);
    let mut problems = Vec::new();
    for check in all_checks() {
        for id in check.info.techniques {
            match v18.technique(id) {
                None => problems.push(format!(
                    "{}: {id} is not an ATT&CK technique",
                    check.info.id
                )),
                Some(t) if !t.is_live() => {
                    problems.push(format!("{}: {id} is revoked or deprecated", check.info.id))
                }
                Some(t) if !t.is_containers() => problems.push(format!(
                    "{}: {id} is not on the Containers platform",
                    check.info.id
                )),
                Some(_) => {}
            }
            for version in AttackVersion::ALL {
                if Catalogue::builtin(version).place(id, None).is_empty() {
                    problems.push(format!(
                        "{}: {id} has no matrix cell in ATT&CK {version}",
                        check.info.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn there_are_at_least_sixty_checks_and_they_cover_most_of_the_matrix() {
    let checks = all_checks();
    assert!(checks.len() >= 60, "{} checks", checks.len());
    let v18 = Catalogue::builtin(AttackVersion::V18_1);
    let covered: std::collections::BTreeSet<&str> = checks
        .iter()
        .flat_map(|c| c.info.techniques.iter().copied())
        .collect();
    let tactics_covered = v18
        .containers_matrix()
        .into_iter()
        .filter(|(_, techniques)| techniques.iter().any(|t| covered.contains(t.id.as_str())))
        .count();
    assert!(
        tactics_covered >= 7,
        "checks reach only {tactics_covered} tactics"
    );
}
