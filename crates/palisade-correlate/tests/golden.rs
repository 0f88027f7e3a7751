//! Golden tests: the incidents of the example attack (tests/common), as explanation text
//! and as JSON.

mod common;

use palisade_correlate::{Options, correlate};

fn incidents() -> Vec<palisade_correlate::Incident> {
    correlate(
        common::catalogue(),
        Options::default(),
        &common::shop_attack(),
        &common::shop_findings(),
    )
}

#[test]
fn explanations() {
    let text: Vec<String> = incidents()
        .iter()
        .map(|i| format!("{} (score {}):\n{}\n", i.id, i.score.total, i.explanation))
        .collect();
    insta::assert_snapshot!(text.join("\n"));
}

#[test]
fn incident_json() {
    let json = serde_json::to_string_pretty(&incidents()).expect("incidents serialise");
    insta::assert_snapshot!(json);
}
