//! The condition grammar: precedence, operators, values, escapes, transformers, modifiers,
//! errors and limits.

mod common;

use common::*;
use palisade_rules::ast::{Expr, Modifier, Op, Operand, Pos, Rhs, Test, Transformer};
use palisade_rules::{ConditionError, parse_condition};

fn err(s: &str) -> ConditionError {
    match parse_condition(s) {
        Ok(e) => panic!("`{s}` parsed as {e:?}"),
        Err(e) => e,
    }
}

fn single(s: &str) -> Test {
    match parse(s) {
        Expr::Test(t) => t,
        other => panic!("`{s}` is not a single test: {other:?}"),
    }
}

#[test]
fn or_binds_looser_than_and() {
    assert_eq!(
        parse("a.a exists or b.b exists and c.c exists"),
        or(vec![exists("a.a"), and(vec![exists("b.b"), exists("c.c")])])
    );
    assert_eq!(
        parse("a.a exists and b.b exists or c.c exists"),
        or(vec![and(vec![exists("a.a"), exists("b.b")]), exists("c.c")])
    );
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(
        parse("not a.a exists and b.b exists"),
        and(vec![not(exists("a.a")), exists("b.b")])
    );
}

#[test]
fn chains_are_flat_and_parentheses_nest() {
    assert_eq!(
        parse("a.a exists and b.b exists and c.c exists"),
        and(vec![exists("a.a"), exists("b.b"), exists("c.c")])
    );
    assert_eq!(
        parse("(a.a exists or b.b exists) and c.c exists"),
        and(vec![or(vec![exists("a.a"), exists("b.b")]), exists("c.c")])
    );
    assert_eq!(
        parse("a.a exists and (b.b exists and c.c exists)"),
        and(vec![exists("a.a"), and(vec![exists("b.b"), exists("c.c")])])
    );
    assert_eq!(parse("((((a.a exists))))"), exists("a.a"));
}

#[test]
fn double_not_cancels_but_not_across_parentheses() {
    assert_eq!(parse("not not a.a exists"), exists("a.a"));
    assert_eq!(parse("not not not a.a exists"), not(exists("a.a")));
    assert_eq!(parse("not (not a.a exists)"), not(not(exists("a.a"))));
    assert_eq!(parse("not\n\tnot a.a exists"), exists("a.a"));
}

#[test]
fn keywords_glued_to_parentheses() {
    assert_eq!(
        parse("a.a exists and(b.b exists or c.c exists)"),
        and(vec![exists("a.a"), or(vec![exists("b.b"), exists("c.c")])])
    );
    assert_eq!(
        parse("a.a exists or(b.b exists)"),
        or(vec![exists("a.a"), exists("b.b")])
    );
    assert_eq!(parse("not(a.a exists)"), not(exists("a.a")));
    assert_eq!(parse("not not(a.a exists)"), exists("a.a"));
    let e = err("a.a exists andb.b exists");
    assert!(e.message.contains("`and` must be followed"), "{e:?}");
    assert_eq!(e.offset, 11);
    let e = err("a.a = x orb.b exists");
    assert!(e.message.contains("`or` must be followed"), "{e:?}");
}

#[test]
fn every_operator_spelling() {
    let cases: &[(&str, Op)] = &[
        ("a.b = x", Op::Eq),
        ("a.b == x", Op::Eq),
        ("a.b != x", Op::Ne),
        ("a.b contains x", Op::Contains),
        ("a.b icontains x", Op::IContains),
        ("a.b bcontains 414243", Op::BContains),
        ("a.b startswith x", Op::StartsWith),
        ("a.b bstartswith 4142", Op::BStartsWith),
        ("a.b endswith x", Op::EndsWith),
        ("a.b glob x*", Op::Glob),
        ("a.b iglob X*", Op::IGlob),
        ("a.b regex '^x$'", Op::Regex),
        ("a.b in (x)", Op::In),
        ("a.b intersects (x)", Op::Intersects),
        ("a.b pmatch (/x)", Op::PMatch),
        ("a.b exists", Op::Exists),
        ("a.b < 1", Op::Lt),
        ("a.b <= 1", Op::Le),
        ("a.b > 1", Op::Gt),
        ("a.b >= 1", Op::Ge),
    ];
    for (text, op) in cases {
        assert_eq!(single(text).op, *op, "{text}");
    }
}

#[test]
fn symbol_operators_need_no_spaces() {
    assert_eq!(parse("proc.name=cat"), eq("proc.name", "cat"));
    assert_eq!(parse("proc.name==cat"), eq("proc.name", "cat"));
    let t = single("proc.name!=cat");
    assert_eq!((t.op, t.rhs), (Op::Ne, Rhs::Value("cat".into())));
    let t = single("fd.num>=0");
    assert_eq!((t.op, t.rhs), (Op::Ge, Rhs::Value("0".into())));
    let t = single("fd.num<=-1");
    assert_eq!((t.op, t.rhs), (Op::Le, Rhs::Value("-1".into())));
    let t = single("fd.num<5");
    assert_eq!((t.op, t.rhs), (Op::Lt, Rhs::Value("5".into())));
    let t = single("fd.num>5");
    assert_eq!((t.op, t.rhs), (Op::Gt, Rhs::Value("5".into())));
    assert_eq!(
        parse("ka.verb in(create,update)"),
        test(field("ka.verb"), Op::In, list(&["create", "update"]))
    );
}

#[test]
fn word_operators_need_a_word_boundary() {
    assert!(
        err("proc.name containsx")
            .message
            .contains("expected an operator")
    );
    let e = err("proc.name contains\"x\"");
    assert!(
        e.message.contains("`contains` must be followed by a blank"),
        "{e:?}"
    );
    assert_eq!(e.offset, 18);
    assert!(
        err("proc.name inx")
            .message
            .contains("expected an operator")
    );
    assert!(
        err("proc.name existsx")
            .message
            .contains("expected an operator")
    );
    // Any blank may follow a word operator.
    assert_eq!(single("proc.name contains\tx").op, Op::Contains);
    assert_eq!(single("proc.name contains\nx").op, Op::Contains);
    // `exists` right before a parenthesis.
    assert_eq!(parse("(a.b exists)"), exists("a.b"));
}

#[test]
fn intersects_is_not_in_and_icontains_is_not_in() {
    assert_eq!(single("a.b intersects (x)").op, Op::Intersects);
    assert_eq!(single("a.b icontains x").op, Op::IContains);
    assert_eq!(single("a.b iglob x").op, Op::IGlob);
}

#[test]
fn numbers() {
    for n in [
        "0",
        "-1",
        "+2",
        "3.5",
        "4.",
        "1e+5",
        "2.5E-3",
        "0x1F",
        "0XdeadBEEF",
    ] {
        let t = single(&format!("evt.res > {n}"));
        assert_eq!(t.rhs, Rhs::Value(n.to_owned()), "{n}");
    }
    // An exponent needs a sign, as in Falco.
    assert!(parse_condition("evt.res > 1e5").is_err());
    let e = err("evt.res > abc");
    assert!(e.message.contains("expected a number"), "{e:?}");
    assert_eq!(e.offset, 10);
}

#[test]
fn bare_and_quoted_values() {
    assert_eq!(
        single("a.b = /usr/bin/x-y:z").rhs,
        Rhs::Value("/usr/bin/x-y:z".into())
    );
    assert_eq!(single("a.b = 'x y'").rhs, Rhs::Value("x y".into()));
    assert_eq!(single("a.b = \"x y\"").rhs, Rhs::Value("x y".into()));
    assert_eq!(single("a.b contains \"-c\"").rhs, Rhs::Value("-c".into()));
    assert_eq!(single("a.b = ''").rhs, Rhs::Value(String::new()));
    // Bare values stop at blanks, parentheses, commas, `=` and quotes.
    assert!(parse_condition("a.b = x,y").is_err());
    assert_eq!(parse("(a.b = x)"), eq("a.b", "x"),);
}

#[test]
fn escapes() {
    let cases: &[(&str, &str)] = &[
        (r#""a\bb""#, "a\u{8}b"),
        (r#""a\fb""#, "a\u{c}b"),
        (r#""a\nb""#, "a\nb"),
        (r#""a\rb""#, "a\rb"),
        (r#""a\tb""#, "a\tb"),
        (r#""a\\b""#, "a\\b"),
        (r#""a\/b""#, "a/b"),
        (r#""a\"b""#, "a\"b"),
        (r"'a\'b'", "a'b"),
        (r#""\x41\x42""#, "AB"),
        (r#""\xc3\xa9""#, "é"),
        (r#""C:\\""#, "C:\\"),
        (r#""a\ b""#, "a\\b"),
        ("'say \"hi\"'", "say \"hi\""),
    ];
    for (lit, value) in cases {
        let t = single(&format!("a.b = {lit}"));
        assert_eq!(t.rhs, Rhs::Value((*value).to_owned()), "{lit}");
    }
    for bad in [
        r#""\q""#,
        r#""\'""#,
        r#"'\"'"#,
        r#""\x4""#,
        r#""\xzz""#,
        r#""\xff""#,
    ] {
        let e = err(&format!("a.b = {bad}"));
        assert!(e.offset >= 6, "{bad}: {e:?}");
    }
    let e = err(r#"a.b = "x\q""#);
    assert_eq!(e.offset, 8);
    assert!(e.message.contains("unsupported escape"), "{e:?}");
    let e = err("a.b = \"never closed");
    assert_eq!(e.offset, 6);
    assert!(e.message.contains("never closed"), "{e:?}");
}

#[test]
fn field_names_and_arguments() {
    assert_eq!(
        parse("ka.uri.param[user] = bob"),
        test(
            field_arg("ka.uri.param", "user"),
            Op::Eq,
            Rhs::Value("bob".into())
        )
    );
    assert_eq!(
        single("jevt.value[/requestObject/spec/hostNetwork] = true").lhs,
        field_arg("jevt.value", "/requestObject/spec/hostNetwork")
    );
    assert_eq!(
        single("proc.env[\"MY VAR\"] exists").lhs,
        field_arg("proc.env", "MY VAR")
    );
    assert_eq!(
        single("proc.aname[2] = sh").lhs,
        field_arg("proc.aname", "2")
    );
    assert_eq!(single("a_1.b2.c_3 exists").lhs, field("a_1.b2.c_3"));
    assert!(err("proc.aname[2 = sh").message.contains("not closed"));
    assert!(err("proc.aname[] = sh").message.contains("field argument"));
}

#[test]
fn dotless_identifiers_are_macros_and_rejected_standalone() {
    let e = err("spawned_process");
    assert!(
        e.message.contains("`spawned_process` is not a field"),
        "{e:?}"
    );
    assert_eq!(e.offset, 0);
    let e = err("a.b exists and spawned_process");
    assert_eq!(e.offset, 15);
    let e = err("a.b exists and and c.d exists");
    assert!(e.message.contains("expected a condition"), "{e:?}");
}

#[test]
fn transformers() {
    let lower = |o: Operand| Operand::Transform {
        func: Transformer::ToLower,
        args: vec![o],
        arg: None,
    };
    assert_eq!(
        parse("tolower(proc.name) = bash"),
        test(lower(field("proc.name")), Op::Eq, Rhs::Value("bash".into()))
    );
    let t = single("toupper( basename(proc.exe) ) = BASH");
    assert_eq!(
        t.lhs,
        Operand::Transform {
            func: Transformer::ToUpper,
            args: vec![Operand::Transform {
                func: Transformer::Basename,
                args: vec![field("proc.exe")],
                arg: None
            }],
            arg: None
        }
    );
    let t = single("len(ka.req.pod.containers.image) > 2");
    assert!(matches!(
        t.lhs,
        Operand::Transform {
            func: Transformer::Len,
            ..
        }
    ));
    let t = single("b64(evt.buffer)[0] = x");
    assert!(
        matches!(t.lhs, Operand::Transform { func: Transformer::B64, arg: Some(ref a), .. } if a == "0")
    );
    let t = single("join(\",\", proc.name, proc.pname) = \"a,b\"");
    assert_eq!(
        t.lhs,
        Operand::Transform {
            func: Transformer::Join,
            args: vec![
                Operand::Literal(",".into()),
                field("proc.name"),
                field("proc.pname")
            ],
            arg: None
        }
    );
    let t = single("concat(proc.name, '-', 1) = x");
    assert!(
        matches!(t.lhs, Operand::Transform { func: Transformer::Concat, ref args, .. } if args.len() == 3)
    );
    assert!(matches!(
        single("getopt(proc.args) exists").lhs,
        Operand::Transform {
            func: Transformer::Getopt,
            ..
        }
    ));
    // Single-argument transformers take a field or a transformer only.
    assert!(parse_condition("tolower(\"x\") = x").is_err());
    assert!(parse_condition("tolower(proc.name, proc.exe) = x").is_err());
    assert!(
        err("join(\",\", (a, b)) = x")
            .message
            .contains("not supported")
    );
    assert!(err("tolower(proc.name = x").message.contains("not closed"));
    // A transformer on the right-hand side.
    assert_eq!(
        single("proc.name = tolower(proc.pname)").rhs,
        Rhs::Operand(lower(field("proc.pname")))
    );
}

#[test]
fn val_compares_fields() {
    assert_eq!(
        single("proc.name = val(proc.pname)").rhs,
        Rhs::Operand(field("proc.pname"))
    );
    assert_eq!(
        single("proc.pid > val( proc.ppid )").rhs,
        Rhs::Operand(field("proc.ppid"))
    );
    assert!(
        err("val(proc.name) = x")
            .message
            .contains("right-hand side")
    );
    assert!(
        err("proc.name = val(x)")
            .message
            .contains("field inside `val")
    );
}

#[test]
fn modifiers_and_their_lookahead() {
    let t = single("fd.name startswith anyof (/etc, /root)");
    assert_eq!(t.modifier, Some(Modifier::AnyOf));
    assert_eq!(t.rhs, list(&["/etc", "/root"]));
    let t = single("proc.name = oneof(a, b)");
    assert_eq!(
        (t.modifier, t.rhs),
        (Some(Modifier::OneOf), list(&["a", "b"]))
    );
    let t = single("proc.name glob allof my_globs");
    assert_eq!(
        (t.modifier, t.rhs),
        (Some(Modifier::AllOf), list(&["my_globs"]))
    );
    // Not followed by a list or a name: a plain value.
    let t = single("proc.name = anyof");
    assert_eq!((t.modifier, t.rhs), (None, Rhs::Value("anyof".into())));
    assert_eq!(
        parse("proc.name = anyof and a.b exists"),
        and(vec![eq("proc.name", "anyof"), exists("a.b")])
    );
    assert_eq!(parse("(proc.name = oneof)"), eq("proc.name", "oneof"));
    assert_eq!(
        single("proc.name = anyofx").rhs,
        Rhs::Value("anyofx".into())
    );
}

#[test]
fn lists() {
    assert_eq!(single("a.b in ()").rhs, Rhs::List(vec![]));
    assert_eq!(single("a.b in ( )").rhs, Rhs::List(vec![]));
    assert_eq!(single("a.b in (x)").rhs, list(&["x"]));
    assert_eq!(
        single("a.b in ( x , 'y z',\"w\" )").rhs,
        list(&["x", "y z", "w"])
    );
    // A list name no list replaced is a one-item list.
    assert_eq!(single("a.b in foo").rhs, list(&["foo"]));
    let e = err("a.b in (x, )");
    assert!(e.message.contains("list item after `,`"), "{e:?}");
    assert_eq!(e.offset, 11);
    assert!(err("a.b in (x y)").message.contains("in the list"));
    assert!(err("a.b in (,x)").message.contains("in the list"));
    assert!(err("a.b in").message.contains("expected a list"));
    assert_eq!(
        single("a.b pmatch (/tmp, /var/tmp)").rhs,
        list(&["/tmp", "/var/tmp"])
    );
}

#[test]
fn errors_point_at_the_offending_text() {
    let e = err("");
    assert!(e.message.contains("empty"));
    let e = err("   \n ");
    assert!(e.message.contains("empty"));
    let e = err("proc.name ~ x");
    assert_eq!(e.offset, 10);
    assert!(e.message.contains("expected an operator"), "{e:?}");
    assert!(e.expected.as_deref().unwrap_or("").contains("`startswith`"));
    let e = err("proc.name = ");
    assert_eq!(e.offset, 12);
    assert!(
        e.message
            .contains("expected a value, found end of condition"),
        "{e:?}"
    );
    let e = err("(a.b exists");
    assert!(e.message.contains("never closed"), "{e:?}");
    let e = err("a.b exists )");
    assert_eq!(e.offset, 11);
    assert!(e.message.contains("unexpected `)`"), "{e:?}");
    assert_eq!(
        e.expected.as_deref(),
        Some("`and`, `or` or the end of the condition")
    );
    let e = err("()");
    assert!(e.message.contains("empty parentheses"), "{e:?}");
    let e = err("a.b exists and");
    assert!(e.message.contains("`and` must be followed"), "{e:?}");
    let e = err("a.b exists and ");
    assert!(e.message.contains("expected a condition"), "{e:?}");
}

#[test]
fn positions_are_line_and_column_in_the_text() {
    let e = parse_condition("a.b exists and\n  (c.d = 1 or\n   e.f exists)").expect("parses");
    let Expr::And(kids) = e else { panic!() };
    let Expr::Or(inner) = &kids[1] else { panic!() };
    let pos = |e: &Expr| match e {
        Expr::Test(t) => t.pos,
        _ => panic!(),
    };
    assert_eq!(pos(&kids[0]), Pos { line: 1, column: 1 });
    assert_eq!(pos(&inner[0]), Pos { line: 2, column: 4 });
    assert_eq!(pos(&inner[1]), Pos { line: 3, column: 4 });
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "(".repeat(100_000);
    let e = err(&deep);
    assert!(e.message.contains("nests too deeply"), "{e:?}");
    let deep = format!("{}a.b exists{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).message.contains("nests too deeply"));
    let deep = "not (".repeat(100_000);
    assert!(err(&deep).message.contains("nests too deeply"));
    let deep = "a.b exists and(".repeat(100_000);
    assert!(err(&deep).message.contains("nests too deeply"));
    let deep = format!(
        "{}a.b{} = x",
        "tolower(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(err(&deep).message.contains("transformers nest too deeply"));
    // Long flat chains and repeated `not` are fine.
    let flat = vec!["a.b exists"; 50_000].join(" and ");
    assert!(parse_condition(&flat).is_ok());
    let nots = format!("{}a.b exists", "not ".repeat(100_001));
    assert_eq!(parse(&nots), not(exists("a.b")));
    // Falco's 1000 parser levels allow 199 nested parentheses.
    let ok = format!("{}a.b exists{}", "(".repeat(199), ")".repeat(199));
    assert_eq!(parse(&ok), exists("a.b"));
    let too_deep = format!("{}a.b exists{}", "(".repeat(200), ")".repeat(200));
    assert!(err(&too_deep).message.contains("nests too deeply"));
    let ok = format!("{}a.b{} = x", "tolower(".repeat(64), ")".repeat(64));
    assert!(parse_condition(&ok).is_ok());
}

#[test]
fn size_limit() {
    let big = format!(
        "a.b = \"{}\"",
        "x".repeat(palisade_rules::MAX_CONDITION_BYTES)
    );
    assert!(err(&big).message.contains("limit"));
}
