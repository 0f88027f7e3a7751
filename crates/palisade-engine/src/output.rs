//! Output sentences: `%field` tokens rendered from the event, `<NA>` for absent values.

use crate::compile::{CompileError, Value, eval_value};
use crate::field::{Event, FieldTable, NOT_AVAILABLE};
use palisade_rules::ast::Operand;
use palisade_rules::output::{Part, parse_output};

/// A compiled output format.
#[derive(Debug)]
pub struct OutputFormat {
    parts: Vec<CompiledPart>,
    /// Output fields this source does not have, rendered as `<NA>` (display form).
    unavailable: Vec<String>,
}

#[derive(Debug)]
enum CompiledPart {
    Literal(String),
    Field {
        value: Value,
        display: String,
        width: Option<usize>,
    },
    /// A field this source does not have (Falco's `%proc.cwd` on the runtime sensor):
    /// shown as `<NA>`, so a rule whose condition can be evaluated still runs.
    Unavailable {
        display: String,
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
    /// Compile `format` against the source's fields. A plain field the source does not
    /// have at all renders as `<NA>` (see [`OutputFormat::unavailable`]); any other problem
    /// (a bad argument, a field unknown inside a transformer) is an error.
    pub fn compile(format: &str, table: &dyn FieldTable) -> Result<OutputFormat, CompileError> {
        let parts = parse_output(format).map_err(|message| CompileError {
            message: format!("output: {message}"),
            field: None,
        })?;
        let mut out = Vec::with_capacity(parts.len());
        let mut unavailable = Vec::new();
        for part in parts {
            out.push(match part {
                Part::Literal(s) => CompiledPart::Literal(s),
                Part::Field { operand, width } => {
                    let display = operand_display(&operand);
                    match crate::compile::compile_operand(&operand, table) {
                        Ok(value) => CompiledPart::Field {
                            value,
                            display,
                            width,
                        },
                        Err(_) if matches!(&operand, Operand::Field(f) if !table.knows(&f.name)) => {
                            if !unavailable.contains(&display) {
                                unavailable.push(display.clone());
                            }
                            CompiledPart::Unavailable { display }
                        }
                        Err(e) => {
                            return Err(CompileError {
                                message: format!("output: {}", e.message),
                                field: e.field,
                            });
                        }
                    }
                }
            });
        }
        Ok(OutputFormat {
            parts: out,
            unavailable,
        })
    }

    /// Output fields the source does not have, in order of first use: they render as
    /// `<NA>`. Callers report them so that a rule written for Falco runs with a note
    /// instead of being skipped for a field that only decorates its alert.
    pub fn unavailable(&self) -> &[String] {
        &self.unavailable
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
                CompiledPart::Unavailable { display } => {
                    text.push_str(NOT_AVAILABLE);
                    if !fields.iter().any(|(k, _)| k == display) {
                        fields.push((display.clone(), NOT_AVAILABLE.to_owned()));
                    }
                }
            }
        }
        text
    }
}
