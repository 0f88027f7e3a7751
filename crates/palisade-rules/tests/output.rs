//! Output format strings.

mod common;

use common::{field, field_arg};
use palisade_rules::ast::{Operand, Transformer};
use palisade_rules::output::{Part, parse_output, parse_output_with};

fn lit(s: &str) -> Part {
    Part::Literal(s.to_owned())
}

fn fld(name: &str) -> Part {
    Part::Field {
        operand: field(name),
        width: None,
    }
}

#[test]
fn literal_text_only() {
    assert_eq!(
        parse_output("nothing to see"),
        Ok(vec![lit("nothing to see")])
    );
    assert_eq!(parse_output(""), Ok(vec![]));
    assert_eq!(parse_output("é ü *"), Ok(vec![lit("é ü *")]));
}

#[test]
fn fields_end_where_a_field_name_cannot_continue() {
    assert_eq!(
        parse_output("user=%ka.user.name, verb=%ka.verb"),
        Ok(vec![
            lit("user="),
            fld("ka.user.name"),
            lit(", verb="),
            fld("ka.verb")
        ])
    );
    assert_eq!(
        parse_output("(%proc.name)"),
        Ok(vec![lit("("), fld("proc.name"), lit(")")])
    );
    assert_eq!(
        parse_output("%ka.target.name/%ka.target.resource"),
        Ok(vec![
            fld("ka.target.name"),
            lit("/"),
            fld("ka.target.resource")
        ])
    );
    assert_eq!(
        parse_output("%proc.name."),
        Ok(vec![fld("proc.name"), lit(".")])
    );
}

#[test]
fn arguments_widths_and_transformers() {
    assert_eq!(
        parse_output("%proc.aname[2] %jevt.value[/requestObject/spec/volumes]"),
        Ok(vec![
            Part::Field {
                operand: field_arg("proc.aname", "2"),
                width: None
            },
            lit(" "),
            Part::Field {
                operand: field_arg("jevt.value", "/requestObject/spec/volumes"),
                width: None
            },
        ])
    );
    assert_eq!(
        parse_output("[%20proc.name]"),
        Ok(vec![
            lit("["),
            Part::Field {
                operand: field("proc.name"),
                width: Some(20)
            },
            lit("]")
        ])
    );
    assert_eq!(
        parse_output("%tolower(proc.name))"),
        Ok(vec![
            Part::Field {
                operand: Operand::Transform {
                    func: Transformer::ToLower,
                    args: vec![field("proc.name")],
                    arg: None
                },
                width: None
            },
            lit(")")
        ])
    );
    // An argument that does not parse is left as text.
    assert_eq!(
        parse_output("%proc.name[oops"),
        Ok(vec![fld("proc.name"), lit("[oops")])
    );
}

#[test]
fn errors() {
    let e = parse_output("x=%proc.name %").expect_err("trailing %");
    assert!(
        e.contains("offset 13") && e.contains("cannot end with `%`"),
        "{e}"
    );
    let e = parse_output("x %12").expect_err("trailing width");
    assert!(e.contains("width"), "{e}");
    let e = parse_output("100% sure").expect_err("bare %");
    assert!(
        e.contains("offset 4") && e.contains("must be followed by a field"),
        "{e}"
    );
    assert!(parse_output("%%").is_err());
    assert!(parse_output("%user").is_err());
    assert!(parse_output("%tolower(proc.name").is_err());
    assert!(parse_output("%99999999999999999999999proc.name").is_err());
}

#[test]
fn longest_known_prefix() {
    let known = |name: &str| matches!(name, "proc.name" | "evt.time" | "evt.time.s" | "ka.verb");
    assert_eq!(
        parse_output_with("%proc.namex", &known),
        Ok(vec![fld("proc.name"), lit("x")])
    );
    assert_eq!(
        parse_output_with("%evt.time.s %evt.time.x", &known),
        Ok(vec![
            fld("evt.time.s"),
            lit(" "),
            fld("evt.time"),
            lit(".x")
        ])
    );
    assert_eq!(
        parse_output_with("%ka.verb_", &known),
        Ok(vec![fld("ka.verb"), lit("_")])
    );
    let e = parse_output_with("%foo.bar", &known).expect_err("unknown");
    assert!(e.contains("unknown field `foo.bar`"), "{e}");
}
