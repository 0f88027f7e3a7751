//! Output sentences: `%field` tokens rendered from the event, `<NA>` for absent values.

use crate::compile::{CompileError, Value, eval_value};
use crate::field::{Event, FieldTable};
use palisade_rules::ast::Operand;
use palisade_rules::output::{Part, parse_output};

/// A compiled output format.
#[derive(Debug)]
pub struct OutputFormat {
    parts: Vec<CompiledPart>,
}

#[derive(Debug)]
enum CompiledPart {
    Literal(String),
    Field {
        value: Value,
        display: String,
        width: Option<usize>,
    },
}

fn operand_display(op: &Operand) -> String {
    match op {
        Operand::Field(f) => f.to_string(),
        Operand::Literal(s) => format!("{s:?}"),
        Operand::Transform { func, args, arg } => {
            let inner: Vec<String> = args.iter().map(operand_display).collect();
            let name = format!("{func:?}").to_lowercase();
            match arg {
                Some(a) => format!("{name}({})[{a}]", inner.join(", ")),
                None => format!("{name}({})", inner.join(", ")),
            }
        }
    }
}

impl OutputFormat {
    /// Compile `format` against the source's fields.
    pub fn compile(format: &str, table: &dyn FieldTable) -> Result<OutputFormat, CompileError> {
        let parts = parse_output(format).map_err(|message| CompileError {
            message: format!("output: {message}"),
            field: None,
        })?;
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            out.push(match part {
                Part::Literal(s) => CompiledPart::Literal(s),
                Part::Field { operand, width } => {
                    let display = operand_display(&operand);
                    let value = crate::compile::compile_operand(&operand, table).map_err(|e| {
                        CompileError {
                            message: format!("output: {}", e.message),
                            field: e.field,
                        }
                    })?;
                    CompiledPart::Field {
                        value,
                        display,
                        width,
                    }
                }
            });
        }
        Ok(OutputFormat { parts: out })
    }

    /// Render for an event, and collect `(token, value)` pairs for JSON output.
    pub fn render(&self, event: &dyn Event, fields: &mut Vec<(String, String)>) -> String {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                CompiledPart::Literal(s) => text.push_str(s),
                CompiledPart::Field {
                    value,
                    display,
                    width,
                } => {
                    let mut rendered = eval_value(value, event).render();
                    if let Some(w) = width
                        && rendered.chars().count() > *w
                    {
                        rendered = rendered.chars().take(*w).collect();
                    }
                    text.push_str(&rendered);
                    if !fields.iter().any(|(k, _)| k == display) {
                        fields.push((display.clone(), rendered));
                    }
                }
            }
        }
        text
    }
}
