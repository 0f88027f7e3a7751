//! Limits: hostile input fails fast with `YamlErrorKind::Limit` instead of exhausting memory,
//! time or stack.

use std::time::{Duration, Instant};

use palisade_yaml::{Limits, Schema, YamlErrorKind, parse_stream};

fn bomb(levels: usize, fans: usize) -> String {
    let mut src = String::from("l0: &l0 \"lol\"\n");
    for level in 1..=levels {
        let refs = vec![format!("*l{}", level - 1); fans].join(", ");
        src.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    src
}

#[test]
fn alias_bomb_fails_fast() {
    let src = bomb(9, 9);
    for schema in [Schema::Kubernetes, Schema::Compose] {
        let started = Instant::now();
        let stream = parse_stream(&src, schema, &Limits::default());
        let elapsed = started.elapsed();
        let err = stream.error.expect("a limit error");
        assert_eq!(err.kind, YamlErrorKind::Limit);
        assert_eq!(
            err.message,
            "document expands to more than 2000000 nodes (alias bomb?)"
        );
        assert!(err.line > 1, "points into the bomb, not at the start");
        assert!(stream.documents.is_empty());
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    }
}

#[test]
fn small_alias_fan_out_is_fine() {
    let stream = parse_stream(&bomb(3, 3), Schema::Kubernetes, &Limits::default());
    assert_eq!(stream.error, None);
    let l3 = stream.documents[0].root.get("l3").unwrap();
    assert_eq!(l3.items().len(), 3);
    assert_eq!(l3.items()[2].items()[2].as_str(), None);
    assert_eq!(l3.items()[2].items()[2].items()[2].as_str(), Some("lol"));
}

#[test]
fn node_limit_counts_plain_nodes_too() {
    let limits = Limits {
        max_nodes: 10,
        ..Limits::default()
    };
    let err = parse_stream("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", Schema::Compose, &limits)
        .error
        .unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert_eq!(err.message, "document expands to more than 10 nodes");
    assert_eq!((err.line, err.column), (1, 29));
    // The limit is per document.
    let ok = parse_stream("[1, 2, 3]\n---\n[4, 5, 6]\n", Schema::Compose, &limits);
    assert_eq!(ok.error, None);
    assert_eq!(ok.documents.len(), 2);
}

#[test]
fn many_small_bombs_are_capped_across_the_stream() {
    // Each document stays under the per-document limit; together they would not.
    let limits = Limits {
        max_nodes: 1000,
        ..Limits::default()
    };
    let doc = bomb(3, 5); // about 200 copied nodes
    let src: String = (0..50).map(|_| format!("---\n{doc}")).collect();
    let stream = parse_stream(&src, Schema::Kubernetes, &limits);
    let err = stream.error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert!(err.message.contains("alias bomb"), "{}", err.message);
    assert!(!stream.documents.is_empty() && stream.documents.len() < 50);
}

#[test]
fn deep_flow_nesting_is_a_limit_error_not_a_stack_overflow() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let src = format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
        let err = parse_stream(&src, Schema::Kubernetes, &Limits::default())
            .error
            .unwrap();
        assert_eq!(err.kind, YamlErrorKind::Limit);
        assert_eq!(
            err.message,
            "collections are nested more than 200 levels deep"
        );
        assert_eq!(err.line, 1);
        // On one line the parser's scanner reads ahead and may stop at its own limit of 255
        // flow levels before the builder sees level 201.
        let level = (err.column as usize - 1) / open.len() + 1;
        assert!((201..=256).contains(&level), "stopped at level {level}");
    }
    // Between the scanner's limit and ours, the builder's own check fires, at level 201.
    let src = format!("{}1{}", "[\n".repeat(230), "]".repeat(230));
    let err = parse_stream(&src, Schema::Kubernetes, &Limits::default())
        .error
        .unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert_eq!((err.line, err.column), (201, 1));
    // JSON input nests the same way.
    let json = format!("{}{}", "{\"a\": ".repeat(10_000), "}".repeat(10_000));
    let err = parse_stream(&json, Schema::Compose, &Limits::default())
        .error
        .unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
}

#[test]
fn deep_block_nesting_is_a_limit_error() {
    let mut src = String::new();
    for depth in 0..300 {
        src.push_str(&" ".repeat(depth));
        src.push_str("k:\n");
    }
    let err = parse_stream(&src, Schema::Kubernetes, &Limits::default())
        .error
        .unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert_eq!(err.line, 201);
}

#[test]
fn nesting_at_the_limit_is_accepted() {
    let src = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let stream = parse_stream(&src, Schema::Kubernetes, &Limits::default());
    assert_eq!(stream.error, None);
    let mut node = &stream.documents[0].root;
    let mut depth = 1;
    while let Some(inner) = node.items().first() {
        node = inner;
        depth += 1;
    }
    assert_eq!(depth, 200);
}

#[test]
fn aliases_cannot_stack_depth_past_the_limit() {
    // Each level is shallow in the source, but every alias adds the depth of its anchor.
    let mut src = String::from("a0: &a0 [x]\n");
    for i in 1..400 {
        src.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let err = parse_stream(&src, Schema::Kubernetes, &Limits::default())
        .error
        .unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert!(err.message.contains("levels deep"), "{}", err.message);
    assert_eq!(err.line, 200);
}

#[test]
fn oversized_input_is_rejected_immediately() {
    let limits = Limits {
        max_bytes: 16,
        ..Limits::default()
    };
    let stream = parse_stream("key: a value that is too long", Schema::Compose, &limits);
    let err = stream.error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert_eq!((err.line, err.column), (1, 1));
    assert!(err.message.contains("16 bytes"), "{}", err.message);
    assert!(
        parse_stream("a: b", Schema::Compose, &limits)
            .error
            .is_none()
    );
}

#[test]
fn document_count_is_limited() {
    let limits = Limits {
        max_documents: 3,
        ..Limits::default()
    };
    let stream = parse_stream(
        "a: 1\n---\n---\nb: 2\n---\nc: 3\n",
        Schema::Compose,
        &limits,
    );
    let err = stream.error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Limit);
    assert_eq!(err.line, 5);
    assert_eq!(
        stream.documents.len(),
        2,
        "empty documents count but are not returned"
    );
}

#[test]
fn defaults() {
    let l = Limits::default();
    assert_eq!(l.max_bytes, 64 * 1024 * 1024);
    assert_eq!(l.max_depth, 200);
    assert_eq!(l.max_nodes, 2_000_000);
    assert_eq!(l.max_documents, 100_000);
}
