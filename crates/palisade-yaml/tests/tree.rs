//! Tree building: spans, documents, anchors, merge keys, duplicate keys and errors.

use palisade_yaml::{
    Limits, Node, ScalarStyle, Schema, Span, Stream, Value, YamlErrorKind, parse_stream,
};
use serde_json::json;

fn parse(src: &str) -> Stream {
    parse_stream(src, Schema::Kubernetes, &Limits::default())
}

fn root(src: &str) -> Node {
    let stream = parse(src);
    assert_eq!(stream.error, None, "{src}");
    stream
        .documents
        .into_iter()
        .next()
        .expect("a document")
        .root
}

fn at(node: &Node) -> (u32, u32) {
    (node.span.line, node.span.column)
}

#[test]
fn block_spans_point_at_keys_values_and_items() {
    let src = "\
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: on
    - name: side
  volumes:
  - emptyDir: {}
";
    let r = root(src);
    assert_eq!(
        r.span,
        Span {
            offset: 0,
            line: 1,
            column: 1
        }
    );
    let kind = r.get("kind").unwrap();
    assert_eq!(at(kind), (2, 7));
    assert_eq!(kind.span.offset, src.find("Pod").unwrap());
    let spec = r.get("spec").unwrap();
    assert_eq!(at(spec), (4, 3), "a block map starts at its first key");
    let containers = spec.get("containers").unwrap();
    assert_eq!(
        at(containers),
        (5, 7),
        "a block seq starts at its first item"
    );
    let first = &containers.items()[0];
    assert_eq!(at(first), (5, 7));
    assert_eq!(at(first.get("image").unwrap()), (6, 14));
    let privileged = r.get_path(&["spec", "containers"]).unwrap().items()[0]
        .get_path(&["securityContext", "privileged"])
        .unwrap();
    assert_eq!(at(privileged), (8, 21));
    assert_eq!(privileged.as_bool(), Some(true));
    assert_eq!(at(&containers.items()[1]), (9, 7));
    // An indentless sequence.
    let volumes = spec.get("volumes").unwrap();
    assert_eq!(at(volumes), (11, 5));
    let empty_dir = volumes.items()[0].get("emptyDir").unwrap();
    assert_eq!(at(empty_dir), (11, 15));
    // Keys carry spans too.
    let (text, key, _) = r.entries().nth(2).unwrap();
    assert_eq!(text, "spec");
    assert_eq!(at(key), (3, 1));
}

#[test]
fn flow_spans_point_at_brackets_and_items() {
    let src = "a: [1, {b: x, c: [y]}]\nd: {e: f}\n";
    let r = root(src);
    let a = r.get("a").unwrap();
    assert_eq!(at(a), (1, 4));
    assert_eq!(at(&a.items()[0]), (1, 5));
    let m = &a.items()[1];
    assert_eq!(at(m), (1, 8));
    assert_eq!(at(m.get("b").unwrap()), (1, 12));
    assert_eq!(at(m.get("c").unwrap()), (1, 18));
    assert_eq!(at(&m.get("c").unwrap().items()[0]), (1, 19));
    assert_eq!(at(r.get("d").unwrap()), (2, 4));
    assert_eq!(at(r.get("d").unwrap().get("e").unwrap()), (2, 8));
}

#[test]
fn json_input_is_yaml() {
    let src = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true, \"ports\": [80, 443]}\n}\n";
    let r = root(src);
    assert_eq!(at(r.get("spec").unwrap()), (3, 11));
    assert_eq!(at(r.get_path(&["spec", "hostPID"]).unwrap()), (3, 23));
    assert_eq!(
        r.to_json(),
        json!({"kind": "Pod", "spec": {"hostPID": true, "ports": [80, 443]}})
    );
}

#[test]
fn offsets_are_bytes_and_columns_are_characters() {
    let src = "\u{feff}name: \"é€\"\r\nnext: 😀 x\r\n";
    let r = root(src);
    let next = r.get("next").unwrap();
    assert_eq!(at(next), (2, 7));
    assert_eq!(next.span.offset, src.find('😀').unwrap());
    assert_eq!(next.as_str(), Some("😀 x"));
    assert_eq!(r.get("name").unwrap().span.offset, src.find('"').unwrap());
}

#[test]
fn multi_document_streams() {
    let src = "\
# leading comment
a: 1
---
# only a comment
---
- x
- y
--- ~
...
--- |
  text
";
    let stream = parse(src);
    assert_eq!(stream.error, None);
    let docs = &stream.documents;
    assert_eq!(docs.len(), 4);
    assert_eq!(
        docs.iter().map(|d| d.index).collect::<Vec<_>>(),
        [0, 2, 3, 4]
    );
    assert_eq!(
        docs.iter().map(|d| d.start_line).collect::<Vec<_>>(),
        [2, 5, 8, 10]
    );
    assert_eq!(at(&docs[1].root.items()[1]), (7, 3));
    assert!(docs[2].root.is_null());
    assert_eq!(docs[3].root.as_str(), Some("text\n"));
    assert_eq!(docs[3].root.style, Some(ScalarStyle::Literal));
}

#[test]
fn empty_inputs_have_no_documents() {
    for src in ["", "# nothing\n", "---\n", "--- # c\n...\n", "\n\n"] {
        let stream = parse(src);
        assert_eq!(stream.error, None, "{src:?}");
        assert!(stream.documents.is_empty(), "{src:?}");
    }
}

#[test]
fn documents_before_an_error_are_kept() {
    let stream = parse("a: 1\n---\nb: 2\n---\nc: [\n");
    assert_eq!(stream.documents.len(), 2);
    let err = stream.error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
}

#[test]
fn aliases_copy_the_anchored_subtree() {
    let src = "base: &b\n  x: 1\n  y: [a, b]\ncopy: *b\nname: &n hello\nagain: *n\n";
    let r = root(src);
    let copy = r.get("copy").unwrap();
    assert_eq!(copy.to_json(), json!({"x": 1, "y": ["a", "b"]}));
    assert_eq!(at(copy), (4, 7), "the copy sits where the alias is");
    assert_eq!(
        at(copy.get("x").unwrap()),
        (2, 6),
        "its insides keep their origin"
    );
    assert_eq!(r.get("again").unwrap().as_str(), Some("hello"));
    assert_eq!(at(r.get("again").unwrap()), (6, 8));
}

#[test]
fn anchors_are_per_document() {
    let stream = parse("a: &x 1\n---\nb: *x\n");
    assert_eq!(stream.documents.len(), 1);
    let err = stream.error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert_eq!((err.line, err.column), (3, 4));
    assert!(err.message.contains("*x"), "{}", err.message);
}

#[test]
fn unknown_alias_is_a_syntax_error() {
    let err = parse("a: 1\nb: *nope\n").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert_eq!((err.line, err.column), (2, 4));
    assert!(
        err.message.contains("unknown alias `*nope`"),
        "{}",
        err.message
    );
}

#[test]
fn recursive_alias_is_an_error() {
    let err = parse("a: &x [1, *x]\n").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert_eq!((err.line, err.column), (1, 11));
}

#[test]
fn merge_key_with_a_single_map() {
    let src = "\
defaults: &d
  restart: always
  privileged: false
svc:
  <<: *d
  privileged: true
  image: app
";
    for schema in [Schema::Kubernetes, Schema::Compose] {
        let stream = parse_stream(src, schema, &Limits::default());
        let svc = stream.documents[0].root.get("svc").unwrap().clone();
        assert_eq!(
            svc.to_json(),
            json!({"restart": "always", "privileged": true, "image": "app"})
        );
        assert!(svc.get("<<").is_none());
        let keys: Vec<&str> = svc.entries().map(|(k, _, _)| k).collect();
        assert_eq!(keys, ["restart", "privileged", "image"]);
        // The merged value keeps the position of its definition.
        assert_eq!(at(svc.get("restart").unwrap()), (2, 12));
        assert_eq!(at(svc.get("privileged").unwrap()), (6, 15));
    }
}

#[test]
fn merge_key_with_a_list_earlier_wins() {
    let src = "\
a: &a {x: 1, y: 1}
b: &b {y: 2, z: 2}
c:
  w: 0
  <<: [*a, *b]
  x: 9
";
    let c = root(src).get("c").unwrap().clone();
    assert_eq!(c.to_json(), json!({"w": 0, "x": 9, "y": 1, "z": 2}));
    let keys: Vec<&str> = c.entries().map(|(k, _, _)| k).collect();
    assert_eq!(keys, ["w", "y", "z", "x"]);
}

#[test]
fn merge_key_with_inline_maps_and_nested_merges() {
    let src = "\
base: &base {a: 1}
mid: &mid
  <<: *base
  b: 2
top:
  <<: [*mid, {c: 3}]
";
    let r = root(src);
    assert_eq!(
        r.get("top").unwrap().to_json(),
        json!({"a": 1, "b": 2, "c": 3})
    );
    assert_eq!(r.get("mid").unwrap().to_json(), json!({"a": 1, "b": 2}));
}

#[test]
fn quoted_merge_key_is_a_plain_key() {
    let r = root("x: {\"<<\": {a: 1}}\n");
    assert_eq!(r.get("x").unwrap().to_json(), json!({"<<": {"a": 1}}));
}

#[test]
fn bad_merge_values_are_errors() {
    for src in ["a:\n  <<: 1\n", "a:\n  <<: [{b: 1}, 2]\n", "a:\n  <<:\n"] {
        let err = parse(src).error.expect(src);
        assert_eq!(err.kind, YamlErrorKind::Syntax, "{src}");
        assert_eq!(err.line, 2, "{src}");
        assert!(err.message.contains("merge"), "{}", err.message);
    }
    let err = parse("a:\n  <<: [{b: 1}, 2]\n").error.unwrap();
    assert_eq!((err.line, err.column), (2, 16));
}

#[test]
fn duplicate_keys_are_errors_in_compose() {
    let src = "metadata:\n  name: a\n  labels: {}\n  name: b\n";
    let err = parse_compose(src).error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::DuplicateKey);
    assert_eq!((err.line, err.column), (4, 3));
    assert_eq!(err.message, "duplicate key `name` (first at line 2)");
    assert_eq!(
        err.to_string(),
        "line 4, column 3: duplicate key `name` (first at line 2)"
    );

    // Quoting does not make a key different, nor does flow style.
    let err = parse_compose("{a: 1, 'a': 2}").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::DuplicateKey);
    assert_eq!((err.line, err.column), (1, 8));

    // The same key in different maps is fine, and so is a merged key overridden explicitly.
    assert_eq!(parse_compose("a: {x: 1}\nb: {x: 1}\n").error, None);
    // Many keys, so the duplicate is found in a larger map too.
    let mut big: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
    big.push_str("k42: again\n");
    let err = parse_compose(&big).error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::DuplicateKey);
    assert_eq!(err.line, 101);
}

#[test]
fn syntax_errors_point_at_the_offending_place() {
    let err = parse("a: 1\nb: : 2\n").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert_eq!(
        err.message,
        "mapping values are not allowed in this context"
    );
    assert_eq!((err.line, err.column), (2, 4));

    let err = parse("a:\n  - x\n  y: z\n").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert_eq!(err.line, 3);

    let err = parse("key: \"unterminated\n").error.unwrap();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert!(err.line >= 1 && err.column >= 1);
}

#[test]
fn accessors_on_the_wrong_kind_are_empty() {
    let r = root("m: {a: 1}\ns: [1, 2]\nx: 3\n");
    let (m, s, x) = (
        r.get("m").unwrap(),
        r.get("s").unwrap(),
        r.get("x").unwrap(),
    );
    assert!(m.is_map() && !m.is_seq() && m.items().is_empty());
    assert!(s.is_seq() && s.entries().next().is_none() && s.get("a").is_none());
    assert!(x.get("a").is_none() && x.items().is_empty() && x.entries().count() == 0);
    assert!(r.get_path(&[]).is_some());
    assert_eq!(r.get_path(&["m", "a"]).and_then(Node::as_i64), Some(1));
    assert!(r.get_path(&["m", "a", "b"]).is_none());
    assert_eq!(m.as_bool(), None);
    assert_eq!(s.text(), None);
}

#[test]
fn to_json_covers_every_value() {
    let src = "\
n: ~
b: yes
i: 0x10
f: 1.5
inf: -.inf
s: hi
seq: [1, two]
? [complex, key]
: v
1: numeric key
";
    let r = root(src);
    assert_eq!(
        r.to_json(),
        json!({
            "n": null, "b": true, "i": 16, "f": 1.5, "inf": "-.inf", "s": "hi",
            "seq": [1, "two"], "[complex, key]": "v", "1": "numeric key"
        })
    );
    assert!(matches!(r.get("f").unwrap().value, Value::Float(_)));
}

#[test]
fn chains_of_collection_keys_stay_small_in_json() {
    // Each key is a map whose key is a map...; embedding JSON in JSON would double per level.
    let src = "? ".repeat(40);
    let stream = parse_stream(&src, Schema::Kubernetes, &Limits::default());
    assert_eq!(stream.error, None);
    let json = stream.documents[0].root.to_json().to_string();
    assert!(json.len() < 1000, "{}", json.len());
    let r = root("? {a: [1, {b: c}]}\n: v\n");
    assert_eq!(r.to_json(), json!({"{a: [1, {b: c}]}": "v"}));
}

#[test]
fn block_scalars_start_at_their_header() {
    let src = "\
a: |
  line
b: >- # folded
  
  x | y
c: !!str |
  tagged
d: |2

   indented
e: |
f|g: |+
  keep
- |
";
    let stream = parse(src);
    // The trailing `- |` is invalid at this point; everything before it was parsed.
    assert!(stream.error.is_some());
    let src = &src[..src.find("- |").unwrap()];
    let r = root(src);
    let pos = |k: &str| {
        let n = r.get(k).unwrap();
        (n.span.line, n.span.column, n.span.offset)
    };
    assert_eq!(pos("a"), (1, 4, 3));
    assert_eq!(r.get("a").unwrap().as_str(), Some("line\n"));
    assert_eq!(pos("b"), (3, 4, src.find(">-").unwrap()));
    assert_eq!(r.get("b").unwrap().as_str(), Some("\nx | y"));
    assert_eq!(pos("c"), (6, 4, src.find("!!str").unwrap()));
    assert_eq!(pos("d").0, 8);
    assert_eq!(r.get("d").unwrap().as_str(), Some("\n indented\n"));
    assert_eq!(pos("e").0, 11);
    assert_eq!(r.get("e").unwrap().as_str(), Some(""));
    assert_eq!(pos("f|g"), (12, 6, src.find("|+").unwrap()));
    // A sequence item and the end of input.
    let r = root("- |\n  one\n- >\n");
    assert_eq!(at(&r.items()[0]), (1, 3));
    assert_eq!(at(&r.items()[1]), (3, 3));
    // CRLF line endings.
    let r = root("k: |\r\n  v\r\n");
    assert_eq!(at(r.get("k").unwrap()), (1, 4));
}

#[test]
fn flow_collection_closed_at_the_parent_indentation_is_accepted_like_go_yaml() {
    let src = "spec:\n  containers:\n    - name: a\n      args: [\n          \"-x\", \"/y\",\n      ]\n      image: b\n";
    let stream = palisade_yaml::parse_stream(
        src,
        palisade_yaml::Schema::Kubernetes,
        &palisade_yaml::Limits::default(),
    );
    assert!(stream.error.is_none(), "{:?}", stream.error);
    let c = &stream.documents[0]
        .root
        .get_path(&["spec", "containers"])
        .unwrap()
        .items()[0];
    assert_eq!(c.get("args").unwrap().items().len(), 2);
    assert_eq!(c.get("image").unwrap().text(), Some("b"));
}

#[test]
fn kubernetes_keeps_the_last_of_repeated_keys_and_compose_rejects_them() {
    let src = "a: 1\nb: 2\na: 3\n";
    let k8s = palisade_yaml::parse_stream(
        src,
        palisade_yaml::Schema::Kubernetes,
        &palisade_yaml::Limits::default(),
    );
    assert!(k8s.error.is_none());
    assert_eq!(k8s.documents[0].root.get("a").unwrap().as_i64(), Some(3));
    let compose = palisade_yaml::parse_stream(
        src,
        palisade_yaml::Schema::Compose,
        &palisade_yaml::Limits::default(),
    );
    assert_eq!(
        compose.error.unwrap().kind,
        palisade_yaml::YamlErrorKind::DuplicateKey
    );
}

fn parse_compose(src: &str) -> palisade_yaml::Stream {
    palisade_yaml::parse_stream(
        src,
        palisade_yaml::Schema::Compose,
        &palisade_yaml::Limits::default(),
    )
}

#[test]
fn lenient_flow_close_keeps_original_offsets() {
    let src = "a:\n  args: [\n      \"x\",\n  ]\n  image: b\n";
    let stream = palisade_yaml::parse_stream(
        src,
        palisade_yaml::Schema::Kubernetes,
        &palisade_yaml::Limits::default(),
    );
    assert!(stream.error.is_none(), "{:?}", stream.error);
    let image = stream.documents[0].root.get_path(&["a", "image"]).unwrap();
    assert_eq!(&src[image.span.offset..image.span.offset + 1], "b");
    assert_eq!((image.span.line, image.span.column), (5, 10));
}
