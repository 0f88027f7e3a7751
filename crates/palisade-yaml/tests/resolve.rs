//! Scalar resolution rules of both schemas.

use palisade_yaml::{Limits, Schema, Value, YamlErrorKind, parse_stream};

fn value(src: &str, schema: Schema) -> Value {
    let stream = parse_stream(&format!("v: {src}\n"), schema, &Limits::default());
    assert_eq!(stream.error, None, "{src}");
    let root = &stream.documents[0].root;
    root.get("v").expect("key v").value.clone()
}

fn k8s(src: &str) -> Value {
    value(src, Schema::Kubernetes)
}

fn compose(src: &str) -> Value {
    value(src, Schema::Compose)
}

fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

#[test]
fn kubernetes_booleans_follow_yaml_1_1() {
    for t in [
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
    ] {
        assert_eq!(k8s(t), Value::Bool(true), "{t}");
    }
    for f in [
        "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
    ] {
        assert_eq!(k8s(f), Value::Bool(false), "{f}");
    }
    for other in ["yEs", "oN", "tRUE", "enabled", "1b"] {
        assert_eq!(k8s(other), s(other), "{other}");
    }
}

#[test]
fn compose_booleans_follow_yaml_1_2() {
    for t in ["true", "True", "TRUE"] {
        assert_eq!(compose(t), Value::Bool(true), "{t}");
    }
    for f in ["false", "False", "FALSE"] {
        assert_eq!(compose(f), Value::Bool(false), "{f}");
    }
    for other in ["y", "yes", "on", "ON", "n", "no", "off", "tRUE"] {
        assert_eq!(compose(other), s(other), "{other}");
    }
}

#[test]
fn nulls_in_both_schemas() {
    for schema in [Schema::Kubernetes, Schema::Compose] {
        for n in ["~", "null", "Null", "NULL", ""] {
            assert_eq!(value(n, schema), Value::Null, "{n:?}");
        }
        assert_eq!(value("nULL", schema), s("nULL"));
        assert_eq!(value("'null'", schema), s("null"));
    }
}

#[test]
fn kubernetes_integers_follow_go_yaml_v2() {
    let cases = [
        ("0", 0),
        ("42", 42),
        ("-17", -17),
        ("+17", 17),
        ("1_000", 1000),
        ("1_0_0", 100),
        ("0644", 420),
        ("-0644", -420),
        ("0o17", 15),
        ("0x1F", 31),
        ("0X1f", 31),
        ("-0x10", -16),
        ("0b101", 5),
        ("-0b101", -5),
        ("0b1_0", 2),
        ("00", 0),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
    ];
    for (text, want) in cases {
        assert_eq!(k8s(text), Value::Int(want), "{text}");
    }
}

#[test]
fn compose_integers_follow_yaml_1_2_core() {
    let cases = [
        ("0", 0),
        ("42", 42),
        ("-17", -17),
        ("+17", 17),
        ("0644", 644),
        ("007", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("0xff", 255),
        ("-9223372036854775808", i64::MIN),
    ];
    for (text, want) in cases {
        assert_eq!(compose(text), Value::Int(want), "{text}");
    }
    // Forms YAML 1.2 core does not know stay strings.
    for text in ["1_000", "0b101", "0X1F", "-0x10", "0o8", "0x", "0O17"] {
        assert_eq!(compose(text), s(text), "{text}");
    }
}

#[test]
fn kubernetes_quirks_of_go_number_parsing() {
    // Invalid octal falls through to go-yaml's float pattern.
    assert_eq!(k8s("08"), Value::Float(8.0));
    assert_eq!(k8s("0_9"), Value::Float(9.0));
    // Beyond i64, go-yaml gives a uint64 and then a float.
    assert_eq!(
        k8s("18446744073709551615"),
        Value::Float(18_446_744_073_709_551_615.0)
    );
    assert_eq!(
        k8s("9223372036854775808"),
        Value::Float(9_223_372_036_854_775_808.0)
    );
    for text in [
        "0x", "0xg", "_1", "+", "-x", "1-2", "1.2.3", "0b2", "12:30", "0x1.8p1",
    ] {
        assert_eq!(k8s(text), s(text), "{text}");
    }
    assert_eq!(k8s("1_000_"), Value::Int(1000));
    assert_eq!(k8s("2001-12-14"), s("2001-12-14"));
    assert_eq!(k8s("1.0.0"), s("1.0.0"));
}

#[test]
fn floats_in_both_schemas() {
    for schema in [Schema::Kubernetes, Schema::Compose] {
        let cases = [
            ("1.5", 1.5),
            ("-1.5", -1.5),
            ("+.5", 0.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("2.5e-1", 0.25),
            (".inf", f64::INFINITY),
            (".Inf", f64::INFINITY),
            ("+.INF", f64::INFINITY),
            ("-.inf", f64::NEG_INFINITY),
            ("-.Inf", f64::NEG_INFINITY),
            ("99999999999999999999", 1e20),
        ];
        for (text, want) in cases {
            assert_eq!(value(text, schema), Value::Float(want), "{text} {schema:?}");
        }
        for nan in [".nan", ".NaN", ".NAN"] {
            assert!(
                matches!(value(nan, schema), Value::Float(f) if f.is_nan()),
                "{nan}"
            );
        }
        for text in ["inf", "nan", ".infinity", "1e", "e3", ".", "1.2e3.4"] {
            assert_eq!(value(text, schema), s(text), "{text} {schema:?}");
        }
    }
    assert_eq!(k8s("1_000.5"), Value::Float(1000.5));
    assert_eq!(compose("1_000.5"), s("1_000.5"));
}

#[test]
fn quoted_and_block_scalars_are_always_strings() {
    for schema in [Schema::Kubernetes, Schema::Compose] {
        assert_eq!(value("'true'", schema), s("true"));
        assert_eq!(value("\"42\"", schema), s("42"));
        assert_eq!(value("\"\"", schema), s(""));
        assert_eq!(value("'~'", schema), s("~"));
        assert_eq!(value("|\n  42\n", schema), s("42\n"));
        assert_eq!(value(">-\n  yes\n", schema), s("yes"));
    }
    assert_eq!(k8s("'on'"), s("on"));
}

#[test]
fn explicit_tags_are_honoured() {
    for schema in [Schema::Kubernetes, Schema::Compose] {
        assert_eq!(value("!!str 42", schema), s("42"));
        assert_eq!(value("!!str true", schema), s("true"));
        assert_eq!(value("!!str", schema), s(""));
        assert_eq!(value("!!int \"42\"", schema), Value::Int(42));
        assert_eq!(value("!!bool 'true'", schema), Value::Bool(true));
        assert_eq!(value("!!float 1", schema), Value::Float(1.0));
        assert_eq!(value("!!float '2.5'", schema), Value::Float(2.5));
        assert_eq!(value("!!null ''", schema), Value::Null);
        assert_eq!(value("!!null", schema), Value::Null);
        assert_eq!(value("!<tag:yaml.org,2002:int> 7", schema), Value::Int(7));
        // Local and non-specific tags keep the text.
        assert_eq!(value("!Ref 42", schema), s("42"));
        assert_eq!(value("! 42", schema), s("42"));
    }
    assert_eq!(k8s("!!bool yes"), Value::Bool(true));
    assert_eq!(k8s("!!int 0644"), Value::Int(420));
    assert_eq!(compose("!!int 0644"), Value::Int(644));
}

#[test]
fn tags_are_recorded_in_short_form() {
    let src = "a: !!str 1\nb: !Ref x\nc: !!map {}\nd: !<tag:example.com,2000:x> y\n";
    let stream = parse_stream(src, Schema::Kubernetes, &Limits::default());
    let root = &stream.documents[0].root;
    assert_eq!(root.get("a").unwrap().tag.as_deref(), Some("!!str"));
    assert_eq!(root.get("b").unwrap().tag.as_deref(), Some("!Ref"));
    assert_eq!(root.get("c").unwrap().tag.as_deref(), Some("!!map"));
    assert_eq!(
        root.get("d").unwrap().tag.as_deref(),
        Some("tag:example.com,2000:x")
    );
    assert_eq!(root.get("a").unwrap().text(), Some("1"));
}

#[test]
fn a_tag_that_does_not_fit_is_an_error() {
    for (src, schema) in [
        ("!!int abc", Schema::Kubernetes),
        ("!!bool yes", Schema::Compose),
        ("!!float x", Schema::Compose),
        ("!!int 1.5", Schema::Kubernetes),
    ] {
        let stream = parse_stream(&format!("v: {src}\n"), schema, &Limits::default());
        let err = stream.error.expect(src);
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert_eq!((err.line, err.column), (1, 4), "{src}");
        assert!(
            err.message.starts_with("cannot decode `"),
            "{}",
            err.message
        );
    }
}

#[test]
fn text_keeps_the_written_form() {
    let src = "image: 1.0\nport: 80\nflag: on\nmode: 0644\nempty:\nq: \"it's\"\n";
    let stream = parse_stream(src, Schema::Kubernetes, &Limits::default());
    let root = &stream.documents[0].root;
    assert_eq!(root.get("image").unwrap().text(), Some("1.0"));
    assert_eq!(root.get("image").unwrap().as_f64(), Some(1.0));
    assert_eq!(root.get("port").unwrap().text(), Some("80"));
    assert_eq!(root.get("port").unwrap().as_i64(), Some(80));
    assert_eq!(root.get("port").unwrap().as_f64(), Some(80.0));
    assert_eq!(root.get("port").unwrap().as_str(), None);
    assert_eq!(root.get("flag").unwrap().text(), Some("on"));
    assert_eq!(root.get("flag").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("mode").unwrap().as_i64(), Some(420));
    assert_eq!(root.get("empty").unwrap().text(), None);
    assert!(root.get("empty").unwrap().is_null());
    assert_eq!(root.get("q").unwrap().as_str(), Some("it's"));
    assert_eq!(root.get("q").unwrap().text(), Some("it's"));
    assert_eq!(root.text(), None);
}
