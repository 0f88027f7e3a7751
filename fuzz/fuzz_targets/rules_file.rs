//! Feeds arbitrary bytes to `palisade_rules` as a whole rules file, as a condition, as an
//! output format, and wrapped into a macro and a rule (to reach the condition parser through
//! YAML, list substitution and macro expansion), and checks that diagnostics point at real
//! positions.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_rules::output::parse_output;
use palisade_rules::{Loaded, RulesFile, load, parse_condition};

fn check(loaded: &Loaded) {
    for d in &loaded.diagnostics {
        assert!(d.line >= 1 && d.column >= 1, "{d:?}");
        let _ = d.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    check(&load(&[RulesFile {
        path: "fuzz.yaml",
        text: &text,
    }]));

    if let Err(e) = parse_condition(&text) {
        assert!(e.offset <= text.len(), "{e:?}");
    }
    let _ = parse_output(&text);

    let quoted = text.replace('\'', "''");
    let wrapped = format!(
        "- list: l\n  items: [a, 'b c']\n- macro: m\n  condition: '{quoted}'\n- rule: r\n  desc: d\n  \
         condition: '{quoted}'\n  output: '{quoted}'\n  priority: INFO\n  exceptions:\n    - name: e\n      \
         fields: [a.b]\n      values: [['{quoted}']]\n"
    );
    check(&load(&[RulesFile {
        path: "fuzz.yaml",
        text: &wrapped,
    }]));
});
