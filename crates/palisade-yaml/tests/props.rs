//! Property tests: integer resolution, round trips of generated trees, and no panics.

use palisade_yaml::{Limits, Schema, Value, parse_stream};
use proptest::prelude::*;
use serde_json::Value as J;

fn scalar(src: &str, schema: Schema) -> Value {
    let stream = parse_stream(src, schema, &Limits::default());
    assert_eq!(stream.error, None, "{src}");
    stream.documents[0].root.value.clone()
}

/// A JSON tree of maps, sequences, strings and a few other scalars.
fn json_tree() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        4 => "\\PC{0,12}".prop_map(J::String),
        1 => any::<i64>().prop_map(J::from),
        1 => any::<bool>().prop_map(J::Bool),
        1 => Just(J::Null),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

/// A tiny block-style emitter: every string double-quoted (JSON escapes are valid YAML
/// escapes), empty collections in flow style.
fn emit_block(value: &J, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        J::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&J::String(k.clone()).to_string());
                out.push(':');
                emit_child(v, indent, out);
            }
        }
        J::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                emit_child(item, indent, out);
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}

fn emit_child(value: &J, indent: usize, out: &mut String) {
    match value {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit_block(value, indent + 2, out);
        }
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit_block(value, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}

fn round_trip(src: &str, schema: Schema) -> J {
    let stream = parse_stream(src, schema, &Limits::default());
    assert_eq!(stream.error, None, "{src}");
    assert_eq!(stream.documents.len(), 1, "{src}");
    stream.documents[0].root.to_json()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decimal_integers_resolve_in_both_schemas(i in any::<i64>()) {
        let text = format!("{i}");
        prop_assert_eq!(scalar(&text, Schema::Kubernetes), Value::Int(i));
        prop_assert_eq!(scalar(&text, Schema::Compose), Value::Int(i));
    }

    #[test]
    fn kubernetes_leading_zero_is_octal(n in 0..=i64::MAX) {
        let text = format!("0{n:o}");
        prop_assert_eq!(scalar(&text, Schema::Kubernetes), Value::Int(n));
        let negative = format!("-0{n:o}");
        prop_assert_eq!(scalar(&negative, Schema::Kubernetes), Value::Int(-n));
    }

    #[test]
    fn compose_leading_zero_is_decimal(n in 0..=999_999_999i64) {
        prop_assert_eq!(scalar(&format!("0{n}"), Schema::Compose), Value::Int(n));
    }

    #[test]
    fn generated_trees_round_trip(tree in json_tree()) {
        let compact = tree.to_string();
        let pretty = serde_json::to_string_pretty(&tree).unwrap();
        let mut block = String::new();
        emit_block(&tree, 0, &mut block);
        for schema in [Schema::Kubernetes, Schema::Compose] {
            prop_assert_eq!(&round_trip(&compact, schema), &tree, "compact: {}", compact);
            prop_assert_eq!(&round_trip(&pretty, schema), &tree, "pretty: {}", pretty);
            prop_assert_eq!(&round_trip(&block, schema), &tree, "block: {}", block);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(src in "\\PC{0,200}|[-:?&*!|>'\"\\[\\]{},#%@` \\n\\ta-c0-9<.~]{0,200}") {
        let limits = Limits { max_depth: 20, max_nodes: 500, ..Limits::default() };
        for schema in [Schema::Kubernetes, Schema::Compose] {
            let stream = parse_stream(&src, schema, &limits);
            if let Some(err) = stream.error {
                prop_assert!(err.line >= 1 && err.column >= 1);
                prop_assert!(!err.message.is_empty());
            }
            for doc in &stream.documents {
                let _ = doc.root.to_json();
                prop_assert!(doc.root.span.offset <= src.len());
                prop_assert!(src.is_char_boundary(doc.root.span.offset));
            }
        }
    }
}
