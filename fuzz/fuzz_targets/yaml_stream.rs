//! Feeds arbitrary bytes to `parse_stream` in both schemas and checks that every node it
//! returns points inside the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_yaml::{Limits, Node, Schema, parse_stream};

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    // Small limits keep each run fast while still reaching every limit check.
    let limits = Limits {
        max_bytes: 1 << 16,
        max_depth: 48,
        max_nodes: 20_000,
        max_documents: 64,
    };
    for schema in [Schema::Kubernetes, Schema::Compose] {
        let stream = parse_stream(&src, schema, &limits);
        if let Some(err) = &stream.error {
            assert!(err.line >= 1 && err.column >= 1, "{err:?}");
        }
        for doc in &stream.documents {
            check(&doc.root, &src);
            let _ = doc.root.to_json();
        }
    }
});

/// Walks the tree with an explicit stack and checks the invariants callers rely on.
fn check(root: &Node, src: &str) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        assert!(node.span.offset <= src.len(), "{:?}", node.span);
        assert!(src.is_char_boundary(node.span.offset), "{:?}", node.span);
        assert!(
            node.span.line >= 1 && node.span.column >= 1,
            "{:?}",
            node.span
        );
        assert_eq!(node.raw.is_none(), node.text().is_none());
        for (i, (text, key, value)) in node.entries().enumerate() {
            // `get` is a linear scan; checking every key of a huge map would be quadratic.
            if i < 16 {
                assert!(node.get(text).is_some() || key.text().is_none());
            }
            stack.push(key);
            stack.push(value);
        }
        stack.extend(node.items());
    }
}
