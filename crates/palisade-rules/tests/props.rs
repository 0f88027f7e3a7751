//! Property tests: the parsers never panic, and printing a random tree then parsing it gives
//! the tree back.

mod common;

use common::{print, strip};
use palisade_rules::ast::{Expr, FieldRef, Modifier, Op, Operand, Pos, Rhs, Test, Transformer};
use palisade_rules::output::parse_output;
use palisade_rules::{RulesFile, load, parse_condition};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "(",
    ")",
    "not ",
    "not(",
    "and ",
    "and(",
    "or ",
    "or(",
    " ",
    "\n",
    "\t",
    "a.b",
    "c.d[x]",
    "e.f['y z']",
    "macro",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains ",
    "icontains ",
    "startswith ",
    "glob ",
    "regex ",
    "in ",
    "in(",
    "intersects ",
    "pmatch ",
    "exists",
    "anyof ",
    "oneof(",
    "allof",
    "val(",
    "tolower(",
    "join(",
    "concat(",
    "len(",
    "b64(",
    "[",
    "]",
    ",",
    "'",
    "\"",
    "\\",
    "\\x4",
    "\\n",
    "0x1f",
    "-1",
    "1e+5",
    "bare",
    "'q'",
    "\"d\\\"q\"",
    "%",
    "%proc.name",
    "%5",
    "é",
    "\u{0}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|v| v.concat())
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,4}(\\.[a-z][a-z0-9_]{0,4}){1,2}"
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z/ ,()=\"'\\\\]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,4}(\\.[0-9]{0,3})?([eE][+-][0-9]{1,2})?",
        "0[xX][0-9a-fA-F]{1,6}",
    ]
}

fn field_ref() -> impl Strategy<Value = FieldRef> {
    (field_name(), prop::option::of(text())).prop_map(|(name, arg)| FieldRef { name, arg })
}

const SINGLE: [Transformer; 5] = [
    Transformer::ToLower,
    Transformer::ToUpper,
    Transformer::B64,
    Transformer::Basename,
    Transformer::Len,
];
const MULTI: [Transformer; 3] = [Transformer::Join, Transformer::Concat, Transformer::Getopt];

/// A field or a transformer application (never a bare literal).
fn operand() -> impl Strategy<Value = Operand> {
    let leaf = field_ref().prop_map(Operand::Field);
    leaf.prop_recursive(3, 12, 3, |inner| {
        let arg = prop_oneof![inner.clone(), text().prop_map(Operand::Literal)];
        prop_oneof![
            (
                prop::sample::select(&SINGLE[..]),
                inner,
                prop::option::of(text())
            )
                .prop_map(|(func, a, arg)| Operand::Transform {
                    func,
                    args: vec![a],
                    arg
                }),
            (
                prop::sample::select(&MULTI[..]),
                prop::collection::vec(arg, 1..4),
                prop::option::of(text())
            )
                .prop_map(|(func, args, arg)| Operand::Transform { func, args, arg }),
        ]
    })
}

const STR_OPS: [Op; 11] = [
    Op::Eq,
    Op::Ne,
    Op::Contains,
    Op::IContains,
    Op::BContains,
    Op::StartsWith,
    Op::BStartsWith,
    Op::EndsWith,
    Op::Glob,
    Op::IGlob,
    Op::Regex,
];
const NUM_OPS: [Op; 4] = [Op::Lt, Op::Le, Op::Gt, Op::Ge];
const LIST_OPS: [Op; 3] = [Op::In, Op::Intersects, Op::PMatch];
const MODIFIERS: [Modifier; 3] = [Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf];

fn list_rhs() -> impl Strategy<Value = Rhs> {
    prop::collection::vec(text(), 0..4).prop_map(Rhs::List)
}

fn rhs_operand() -> impl Strategy<Value = Rhs> {
    operand().prop_map(Rhs::Operand)
}

fn test_node() -> impl Strategy<Value = Test> {
    let mk = |lhs, op, modifier, rhs| Test {
        lhs,
        op,
        modifier,
        rhs,
        pos: Pos::default(),
    };
    prop_oneof![
        operand().prop_map(move |l| mk(l, Op::Exists, None, Rhs::None)),
        (
            operand(),
            prop::sample::select(&NUM_OPS[..]),
            prop_oneof![number().prop_map(Rhs::Value), rhs_operand()]
        )
            .prop_map(move |(l, op, r)| mk(l, op, None, r)),
        (
            operand(),
            prop::sample::select(&STR_OPS[..]),
            prop_oneof![text().prop_map(Rhs::Value), rhs_operand()]
        )
            .prop_map(move |(l, op, r)| mk(l, op, None, r)),
        (
            operand(),
            prop::sample::select(&STR_OPS[..]),
            prop::sample::select(&MODIFIERS[..]),
            list_rhs()
        )
            .prop_map(move |(l, op, m, r)| mk(l, op, Some(m), r)),
        (
            operand(),
            prop::sample::select(&LIST_OPS[..]),
            prop_oneof![list_rhs(), rhs_operand()]
        )
            .prop_map(move |(l, op, r)| mk(l, op, None, r)),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    test_node()
        .prop_map(Expr::Test)
        .prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn condition_parser_never_panics(s in any::<String>()) {
        let _ = parse_condition(&s);
        let _ = parse_output(&s);
    }

    #[test]
    fn condition_parser_never_panics_on_token_soup(s in soup()) {
        if let Err(e) = parse_condition(&s) {
            prop_assert!(e.offset <= s.len(), "{e:?}");
        }
        let _ = parse_output(&s);
    }

    #[test]
    fn printed_trees_parse_back(e in expr()) {
        let text = print(&e);
        let parsed = parse_condition(&text)
            .map_err(|err| TestCaseError::fail(format!("`{text}`: {err}")))?;
        prop_assert_eq!(strip(&parsed), e, "text: {}", text);
    }

    #[test]
    fn loader_never_panics(cond in soup(), out in soup(), extra in soup()) {
        let yaml = format!(
            "- list: l\n  items: [a, '{}']\n- macro: m\n  condition: '{}'\n- rule: R\n  desc: d\n  condition: '{}'\n  output: '{}'\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a.b]\n      values: [['{}']]\n",
            extra.replace('\'', "''"),
            extra.replace('\'', "''"),
            cond.replace('\'', "''"),
            out.replace('\'', "''"),
            cond.replace('\'', "''"),
        );
        let loaded = load(&[RulesFile { path: "p.yaml", text: &yaml }]);
        for d in &loaded.diagnostics {
            prop_assert!(d.line >= 1 && d.column >= 1, "{d}");
            let _ = d.to_string();
        }
    }

    #[test]
    fn loader_never_panics_on_arbitrary_text(s in any::<String>()) {
        let loaded = load(&[RulesFile { path: "p.yaml", text: &s }]);
        for d in &loaded.diagnostics {
            prop_assert!(d.line >= 1 && d.column >= 1, "{d}");
        }
    }
}

/// Falco's in-place list substitution, written from its description, as a reference.
fn reference_substitution(cnd: &str, name: &str, items: &[String]) -> String {
    const BLANKS: &[u8] = b" \t\n\r";
    const DELIMS: &[u8] = b" \t\n\r(),=";
    let mut cnd = cnd.as_bytes().to_vec();
    let name = name.as_bytes();
    let find = |hay: &[u8], from: usize| -> Option<usize> {
        (from..=hay.len().saturating_sub(name.len()))
            .find(|&i| hay.len() >= name.len() && &hay[i..i + name.len()] == name)
    };
    let quoted: Vec<String> = items
        .iter()
        .map(|v| {
            if v.contains(' ') && !v.starts_with('"') && !v.starts_with('\'') {
                format!("\"{v}\"")
            } else {
                v.clone()
            }
        })
        .collect();
    let sub = quoted.join(", ");
    let mut start = find(&cnd, 0);
    while let Some(mut st) = start {
        let mut end = st + name.len();
        if (st == 0 || DELIMS.contains(&cnd[st - 1]))
            && (end >= cnd.len() || DELIMS.contains(&cnd[end]))
        {
            while st > 0 && BLANKS.contains(&cnd[st - 1]) {
                st -= 1;
            }
            while end < cnd.len() && BLANKS.contains(&cnd[end]) {
                end += 1;
            }
            if sub.is_empty() {
                if st > 0 && cnd[st - 1] == b',' {
                    st -= 1;
                } else if end < cnd.len() && cnd[end] == b',' {
                    end += 1;
                }
            }
            let mut next = Vec::new();
            if st > 0 {
                next.extend_from_slice(&cnd[..st]);
                next.push(b' ');
            }
            next.extend_from_slice(sub.as_bytes());
            next.push(b' ');
            next.extend_from_slice(&cnd[end.min(cnd.len())..]);
            cnd = next;
            st += sub.len() + 1;
        }
        start = if st < cnd.len() {
            find(&cnd, st + 1)
        } else {
            None
        };
    }
    String::from_utf8(cnd).unwrap_or_default()
}

const SUBST_TOKENS: &[&str] = &[
    "l", "l", "ll", "l_", "xl", " ", "  ", "\t", ",", "(", ")", "=", "x", "'",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn list_substitution_matches_falco(
        cond in prop::collection::vec(prop::sample::select(SUBST_TOKENS), 1..16).prop_map(|v| v.concat()),
        items in prop::collection::vec(prop::sample::select(&["a", "b c", "'d e'", ""][..]), 0..3),
    ) {
        prop_assume!(!cond.trim().is_empty());
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        let yaml_items: Vec<String> = items.iter().map(|i| format!("'{}'", i.replace('\'', "''"))).collect();
        let yaml = format!(
            "- list: l\n  items: [{}]\n- macro: m\n  condition: '{}'\n",
            yaml_items.join(", "),
            cond.replace('\'', "''")
        );
        let loaded = load(&[RulesFile { path: "p.yaml", text: &yaml }]);
        let m = loaded.macros.iter().find(|m| m.name == "m");
        let m = m.ok_or_else(|| TestCaseError::fail(format!("{yaml}\n{:?}", loaded.diagnostics)))?;
        prop_assert_eq!(&m.condition_text, &reference_substitution(&cond, "l", &items), "yaml: {}", yaml);
    }
}
