//! Helpers shared by the integration tests: AST builders, a position eraser and a printer
//! that writes an AST back as condition text.

#![allow(dead_code)]

use palisade_rules::ast::{Expr, FieldRef, Modifier, Op, Operand, Pos, Rhs, Test, Transformer};

pub fn field(name: &str) -> Operand {
    Operand::Field(FieldRef {
        name: name.to_owned(),
        arg: None,
    })
}

pub fn field_arg(name: &str, arg: &str) -> Operand {
    Operand::Field(FieldRef {
        name: name.to_owned(),
        arg: Some(arg.to_owned()),
    })
}

pub fn test(lhs: Operand, op: Op, rhs: Rhs) -> Expr {
    Expr::Test(Test {
        lhs,
        op,
        modifier: None,
        rhs,
        pos: Pos::default(),
    })
}

pub fn eq(f: &str, v: &str) -> Expr {
    test(field(f), Op::Eq, Rhs::Value(v.to_owned()))
}

pub fn exists(f: &str) -> Expr {
    test(field(f), Op::Exists, Rhs::None)
}

pub fn list(items: &[&str]) -> Rhs {
    Rhs::List(items.iter().map(|s| (*s).to_owned()).collect())
}

pub fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}

pub fn and(v: Vec<Expr>) -> Expr {
    Expr::And(v)
}

pub fn or(v: Vec<Expr>) -> Expr {
    Expr::Or(v)
}

/// Sets every position to the default, for comparisons that ignore positions.
pub fn strip(e: &Expr) -> Expr {
    match e {
        Expr::And(k) => Expr::And(k.iter().map(strip).collect()),
        Expr::Or(k) => Expr::Or(k.iter().map(strip).collect()),
        Expr::Not(k) => Expr::Not(Box::new(strip(k))),
        Expr::Test(t) => Expr::Test(Test {
            pos: Pos::default(),
            ..t.clone()
        }),
    }
}

/// Parses and strips positions; panics on error.
pub fn parse(s: &str) -> Expr {
    match palisade_rules::parse_condition(s) {
        Ok(e) => strip(&e),
        Err(e) => panic!("`{s}` failed to parse: {e}"),
    }
}

/// A double-quoted string literal for `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn transformer_name(t: Transformer) -> &'static str {
    match t {
        Transformer::ToLower => "tolower",
        Transformer::ToUpper => "toupper",
        Transformer::B64 => "b64",
        Transformer::Basename => "basename",
        Transformer::Len => "len",
        Transformer::Join => "join",
        Transformer::Concat => "concat",
        Transformer::Getopt => "getopt",
    }
}

pub fn modifier_name(m: Modifier) -> &'static str {
    match m {
        Modifier::OneOf => "oneof",
        Modifier::AnyOf => "anyof",
        Modifier::AllOf => "allof",
    }
}

pub fn print_operand(o: &Operand) -> String {
    match o {
        Operand::Field(f) => match &f.arg {
            Some(a) => format!("{}[{}]", f.name, quote(a)),
            None => f.name.clone(),
        },
        Operand::Transform { func, args, arg } => {
            let args: Vec<String> = args.iter().map(print_operand).collect();
            let mut s = format!("{}({})", transformer_name(*func), args.join(", "));
            if let Some(a) = arg {
                s.push_str(&format!("[{}]", quote(a)));
            }
            s
        }
        Operand::Literal(l) => quote(l),
    }
}

fn is_num_op(op: Op) -> bool {
    matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
}

pub fn print_test(t: &Test) -> String {
    let mut s = print_operand(&t.lhs);
    s.push(' ');
    s.push_str(t.op.as_str());
    if let Some(m) = t.modifier {
        s.push(' ');
        s.push_str(modifier_name(m));
    }
    match &t.rhs {
        Rhs::None => {}
        Rhs::Value(v) if is_num_op(t.op) => {
            s.push(' ');
            s.push_str(v);
        }
        Rhs::Value(v) => {
            s.push(' ');
            s.push_str(&quote(v));
        }
        Rhs::List(items) => {
            let items: Vec<String> = items.iter().map(|i| quote(i)).collect();
            s.push_str(&format!(" ({})", items.join(", ")));
        }
        Rhs::Operand(Operand::Field(f)) => {
            s.push_str(&format!(
                " val({})",
                print_operand(&Operand::Field(f.clone()))
            ));
        }
        Rhs::Operand(o) => {
            s.push(' ');
            s.push_str(&print_operand(o));
        }
    }
    s
}

/// Writes an expression as condition text that parses back to the same tree.
pub fn print(e: &Expr) -> String {
    match e {
        Expr::And(kids) => kids
            .iter()
            .map(|k| match k {
                Expr::And(_) | Expr::Or(_) => format!("({})", print(k)),
                _ => print(k),
            })
            .collect::<Vec<_>>()
            .join(" and "),
        Expr::Or(kids) => kids
            .iter()
            .map(|k| match k {
                Expr::Or(_) => format!("({})", print(k)),
                _ => print(k),
            })
            .collect::<Vec<_>>()
            .join(" or "),
        Expr::Not(k) => match **k {
            Expr::Test(_) => format!("not {}", print(k)),
            _ => format!("not ({})", print(k)),
        },
        Expr::Test(t) => print_test(t),
    }
}
