//! Rule output format strings: literal text with `%field` tokens.
//!
//! A token is `%`, an optional fixed width in digits, then a field (`%proc.name`,
//! `%proc.aname[2]`, `%jevt.value[/requestObject/spec]`) or a transformer application
//! (`%tolower(proc.name)`). The token is the longest prefix after the `%` that reads as a field
//! or a transformer, so `%proc.name)` and `user=%ka.user.name,` work: the `)` and the `,` stay
//! literal text. A format may not end in `%` or `%<digits>`, and there is no escape for a
//! literal `%` (Falco has none either).
//!
//! [`parse_output`] knows nothing about which fields exist, so it takes the longest prefix that
//! is *shaped* like a field. [`parse_output_with`] is given a field table and takes the
//! longest prefix that names a known field, like Falco does: with `proc.name` known,
//! `%proc.namex` is the field `proc.name` followed by the text `x`.

use crate::ast::{FieldRef, Operand};
use crate::condition;

/// A piece of an output format.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text printed as is.
    Literal(String),
    /// A token replaced by a value.
    Field {
        /// The field or transformer.
        operand: Operand,
        /// `%<width>field`: pad or cut the value to this many bytes.
        width: Option<usize>,
    },
}

/// Splits an output format into literal text and field tokens, accepting any syntactically
/// valid field name.
///
/// # Errors
///
/// A plain-English message (with the byte offset) if the format ends in `%` or `%<digits>`,
/// if a `%` is not followed by a field or transformer, or if a transformer is malformed.
pub fn parse_output(fmt: &str) -> Result<Vec<Part>, String> {
    parse_at(fmt, None).map_err(|(offset, message)| format!("offset {offset}: {message}"))
}

/// Like [`parse_output`], but a token is the longest prefix naming a field for which
/// `is_field` returns true (fields inside transformers are not checked).
///
/// # Errors
///
/// As [`parse_output`], and when no prefix of a token names a known field.
pub fn parse_output_with(fmt: &str, is_field: &dyn Fn(&str) -> bool) -> Result<Vec<Part>, String> {
    parse_at(fmt, Some(is_field)).map_err(|(offset, message)| format!("offset {offset}: {message}"))
}

/// The parser behind both entry points; errors carry the byte offset of the problem.
pub(crate) fn parse_at(
    fmt: &str,
    is_field: Option<&dyn Fn(&str) -> bool>,
) -> Result<Vec<Part>, (usize, String)> {
    let b = fmt.as_bytes();
    let mut parts = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let pct = i;
        i += 1;
        if i >= b.len() {
            return Err((pct, "the output cannot end with `%`".to_owned()));
        }
        let mut width = None;
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let w: usize = fmt[start..i]
                .parse()
                .map_err(|_| (start, "the token width is too large".to_owned()))?;
            width = Some(w);
            if i >= b.len() {
                return Err((pct, "the output cannot end with `%` and a width".to_owned()));
            }
        }
        let rest = &fmt[i..];
        let (operand, used) = match condition::parse_operand_prefix(rest) {
            Ok(Some(found)) => found,
            Ok(None) => {
                let shown: String = rest.chars().take(20).collect();
                return Err((
                    i,
                    format!(
                        "`%` must be followed by a field name such as `%proc.name`, found `{}`",
                        shown.escape_debug()
                    ),
                ));
            }
            Err(e) => return Err((i + e.offset, e.message)),
        };
        let (operand, used) = match (operand, is_field) {
            (Operand::Field(field), Some(known)) => {
                shrink(rest, field, used, known).ok_or_else(|| {
                    let end = condition_field_end(rest);
                    (i, format!("unknown field `{}` in the output", &rest[..end]))
                })?
            }
            (operand, _) => (operand, used),
        };
        if literal_start < pct {
            parts.push(Part::Literal(fmt[literal_start..pct].to_owned()));
        }
        parts.push(Part::Field { operand, width });
        i += used;
        literal_start = i;
    }
    if literal_start < b.len() {
        parts.push(Part::Literal(fmt[literal_start..].to_owned()));
    }
    Ok(parts)
}

fn condition_field_end(rest: &str) -> usize {
    rest.char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(rest.len(), |(k, _)| k)
}

/// The longest prefix of the field token naming a known field.
fn shrink(
    rest: &str,
    field: FieldRef,
    used: usize,
    known: &dyn Fn(&str) -> bool,
) -> Option<(Operand, usize)> {
    if known(&field.name) {
        return Some((Operand::Field(field), used));
    }
    let name = field.name;
    (1..name.len())
        .rev()
        .map(|end| &rest[..end])
        .find(|cand| condition::is_field_name(cand) && known(cand))
        .map(|cand| {
            (
                Operand::Field(FieldRef {
                    name: cand.to_owned(),
                    arg: None,
                }),
                cand.len(),
            )
        })
}
