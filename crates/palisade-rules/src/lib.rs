//! Falco-compatible rules files for Palisade.
//!
//! [`load`] reads rules files (YAML) in order and returns the rules ready for the engine: each
//! [`Rule`] carries its condition as an [`ast::Expr`] with lists substituted, macros expanded
//! and exceptions appended, plus everything the file said about it. Problems are reported as
//! [`Diagnostic`]s in the style of a compiler, with the file, line and column; an item with an
//! error is skipped and the rest of the files still load.
//!
//! # What is supported
//!
//! * Items `rule`, `macro`, `list`, `required_engine_version` and `required_plugin_versions`.
//!   Unknown items and unknown keys are warnings.
//! * Redefinition (replaces, but a rule keeps the place and [`Rule::pos`] of its first
//!   definition), the deprecated `append: true` (a warning), `override: {key: append|replace}`
//!   with Falco's tables of appendable and replaceable keys (every key named in `override` must
//!   be present in the item, and every overridable key present must be named), and the
//!   deprecated `- rule: x` + `enabled:` toggle.
//! * Lists: an item naming a list defined earlier is replaced by that list's items (one level,
//!   as Falco does); lists are substituted into conditions as text before parsing, wherever the
//!   name is delimited by the start or end of the text, a blank, `(`, `)`, `,` or `=` (also
//!   inside a quoted string, when blanks delimit it: Falco's substitution is purely textual).
//!   Items containing a space are double-quoted; an empty list takes a neighbouring comma away.
//! * Macros are parsed into trees and expanded. Inside a macro, only macros defined before the
//!   macro's last definition can be used; rules can use every macro.
//! * Exceptions, in list and single-field forms, become `(condition) and not (...)` text.
//! * The condition grammar of Falco 0.44 (see [`parse_condition`]), including transformers,
//!   `val()`, and the `oneof`/`anyof`/`allof` modifiers.
//! * Outputs are checked with [`output::parse_output`].
//!
//! Which fields exist, and what source a rule's `source` names, is for the engine to check.
//!
//! # Differences from Falco
//!
//! * Falco stops at the first error; this loader reports every error it finds and skips only
//!   the items concerned. After a YAML syntax error the file is read again item by item (a
//!   line starting with `- ` starts an item) so that the other items still load.
//! * `contains`, `startswith` and the other word operators taking a value may be followed by
//!   any blank, not only a space. `in`, `intersects`, `pmatch` and `exists` may be followed by
//!   `(` or `)` but not by a letter, digit or `_`: Falco reads `proc.name inx` as
//!   `proc.name in (x)`, this parser rejects it.
//! * A quoted string may end with an escaped backslash (`"C:\\"`).
//! * `and` and `or` are not accepted as macro names in conditions.
//! * An identifier after `in`/`intersects`/`pmatch` that no list replaced (`x in foo`) becomes a
//!   one-item list, [`ast::Rhs::List`]; a `( ... )` argument to `join`/`concat` is not
//!   supported.
//! * Duplicate exception names are a warning (as in recent Falco), an exception replaced with
//!   `override: {exceptions: replace}` must have `fields`, and the lengths of exception values
//!   are checked when the rule is read.
//! * `capture` and `capture_duration` are checked and then ignored. Tags keep their first
//!   occurrence order instead of being sorted.
//! * [`Loaded::required_plugin_versions`] lists each requirement's first plugin; alternatives
//!   are checked but not returned.
//!
//! # Positions
//!
//! Every error inside a condition or output points at the line and column in the rules file.
//! Text produced by list substitution takes the position of the list name it replaced;
//! exception text takes the position of the exception's `fields`, `comps` and `values`
//! entries. The value of a YAML scalar differs from its source (quotes, escapes, folded
//! lines, block indentation), so each character of the value is matched with the next
//! identical character of the source: this is exact for plain and quoted scalars on one line
//! and for literal (`|`) and folded (`>`) block scalars, and within a few characters after an
//! escape sequence or a folded line break.
//!
//! # What the engine can rely on
//!
//! * `And` and `Or` have at least two children; `not not x` is `x` (but `not (not x)` keeps
//!   both, as in Falco).
//! * `tolower`, `toupper`, `b64`, `basename` and `len` have exactly one argument, a field or a
//!   transformer; `join`, `concat` and `getopt` have at least one, and only they take
//!   [`ast::Operand::Literal`] arguments.
//! * [`ast::Rhs::Operand`] holding a plain field is `val(field)`.
//! * `in`, `intersects` and `pmatch` always have an [`ast::Rhs::List`] or an
//!   [`ast::Rhs::Operand`]; a modifier always comes with a list; `exists` has
//!   [`ast::Rhs::None`]; the numeric comparisons have a value lexed as a number or an operand.
//! * A condition tree is at most 1000 levels deep and 100 000 nodes large.
//!
//! # Limits
//!
//! Hostile input ends in errors, never in a crash or an endless load: a condition may have at
//! most [`MAX_CONDITION_BYTES`] bytes (also after list substitution) and [`MAX_DEPTH`] parser
//! levels (199 nested parentheses), transformers nest at most 64 deep, a list has at most a
//! million items after flattening, macros nest at most 200 deep, an expanded condition has at
//! most 100 000 nodes and 1000 levels, and all expanded conditions together at most two
//! million nodes.
//!
//! # Palisade extension: `threshold`
//!
//! A rule may carry a `threshold`: it then fires only when `count` matching events with the
//! same `group_by` values fall within `window`.
//!
//! ```yaml
//! - rule: Repeated Unauthorized Requests From One Source
//!   desc: Many rejected requests from the same address
//!   condition: kevt and ka.response.code in (401, 403)
//!   output: "%ka.response.code from %jevt.value[/sourceIPs/0]"
//!   priority: WARNING
//!   source: k8s_audit
//!   threshold:
//!     count: 20
//!     window: 60s
//!     group_by:
//!       - jevt.value[/sourceIPs/0]
//! ```
//!
//! * `count` (required): a whole number, at least 1.
//! * `window` (required): a positive duration, a number followed by `s`, `m` or `h`, or a bare
//!   number of seconds.
//! * `group_by` (optional): a sequence of fields, or one field. Without it, all matching events
//!   count together.
//!
//! YAML does not allow `[` in an unquoted item of a flow sequence (`[a, b]`), so there a
//! field with an argument must be quoted: `threshold: {count: 20, window: 60s, group_by:
//! ["jevt.value[/sourceIPs/0]"]}`. `threshold` can be replaced with `override: {threshold:
//! replace}`. Falco does not know this key and warns about it; rules using it are Palisade
//! rules.

pub mod ast;
mod compile;
mod condition;
mod load;
pub mod output;
mod text;

use std::fmt;
use std::str::FromStr;

pub use condition::{ConditionError, MAX_CONDITION_BYTES, MAX_DEPTH};

/// One rules file to load.
#[derive(Debug, Clone, Copy)]
pub struct RulesFile<'a> {
    /// Path shown in diagnostics and stored in [`Rule::path`].
    pub path: &'a str,
    /// The file's contents.
    pub text: &'a str,
}

/// The result of [`load`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// Rules in load order (a redefined rule keeps its first place), enabled or not.
    pub rules: Vec<Rule>,
    /// Errors and warnings, ordered by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The highest `required_engine_version`, as `x.y.z` (a bare number N means `0.N.0`).
    pub required_engine_version: Option<String>,
    /// `(plugin, version)` for each `required_plugin_versions` entry.
    pub required_plugin_versions: Vec<(String, String)>,
    /// Macros in load order, for listings and lint.
    pub macros: Vec<MacroInfo>,
    /// Lists in load order, for listings and lint.
    pub lists: Vec<ListInfo>,
}

/// A macro as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroInfo {
    /// Name.
    pub name: String,
    /// The condition after appends and list substitution.
    pub condition_text: String,
    /// Whether it parsed and expanded without errors.
    pub ok: bool,
    /// Whether a rule or macro refers to it.
    pub used: bool,
    /// The file of its last definition.
    pub path: String,
    /// Where `macro:` of its last definition is.
    pub pos: ast::Pos,
}

/// A list as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    /// Name.
    pub name: String,
    /// Items after appends and flattening.
    pub items: Vec<String>,
    /// Whether a condition or another list refers to it.
    pub used: bool,
    /// The file of its last definition.
    pub path: String,
    /// Where `list:` of its last definition is.
    pub pos: ast::Pos,
}

impl Loaded {
    /// The diagnostics that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// Whether any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The rule with this name.
    #[must_use]
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// A loaded rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// The condition, with lists substituted, macros expanded and exceptions appended as
    /// `and not (...)`.
    pub condition: ast::Expr,
    /// The condition text after list substitution and exceptions, before macro expansion.
    pub condition_text: String,
    /// The output format, trimmed.
    pub output: String,
    /// Priority.
    pub priority: Priority,
    /// Tags, each once, in the order first written.
    pub tags: Vec<String>,
    /// Event source, `syscall` unless given.
    pub source: String,
    /// Whether the rule is enabled.
    pub enabled: bool,
    /// `warn_evttypes` (default true).
    pub warn_evttypes: bool,
    /// `skip-if-unknown-filter` (default false).
    pub skip_if_unknown_filter: bool,
    /// Palisade extension: fire only after `count` matches within a window.
    pub threshold: Option<Threshold>,
    /// The file of the rule's first definition.
    pub path: String,
    /// Where `rule:` of the first definition is.
    pub pos: ast::Pos,
}

/// Rule priority, most severe first (so `Emergency < Debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// `emergency`
    Emergency,
    /// `alert`
    Alert,
    /// `critical`
    Critical,
    /// `error`
    Error,
    /// `warning`
    Warning,
    /// `notice`
    Notice,
    /// `informational` (also written `info`)
    Informational,
    /// `debug`
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Falco's lowercase name (`informational`, not `info`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Alert => "alert",
            Priority::Critical => "critical",
            Priority::Error => "error",
            Priority::Warning => "warning",
            Priority::Notice => "notice",
            Priority::Informational => "informational",
            Priority::Debug => "debug",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown priority name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsePriorityError(pub String);

impl fmt::Display for ParsePriorityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown priority `{}`", self.0)
    }
}

impl std::error::Error for ParsePriorityError {}

impl FromStr for Priority {
    type Err = ParsePriorityError;

    /// Case-insensitive; `info` is accepted for `informational`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "info" {
            return Ok(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == lower)
            .ok_or_else(|| ParsePriorityError(s.to_owned()))
    }
}

/// Palisade's `threshold` rule key (see the crate documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// Matches needed, at least 1.
    pub count: u64,
    /// Window length in seconds, at least 1.
    pub window_secs: u64,
    /// Fields whose values form the group key; empty for one group.
    pub group_by: Vec<ast::FieldRef>,
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The item concerned was skipped.
    Error,
    /// Loaded anyway.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// An error or warning about a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub path: String,
    /// 1-based line in the file.
    pub line: u32,
    /// 1-based column (in characters) in the file.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// The source line the diagnostic points into.
    pub snippet: Option<String>,
    /// What would have been accepted there, when useful.
    pub expected: Option<String>,
    /// The rule, macro or list concerned.
    pub item: Option<String>,
}

impl fmt::Display for Diagnostic {
    /// ```text
    /// rules.yaml:12:25: error: in the condition of rule `x`: expected a value, found `and`
    ///    |   condition: proc.name = and evt.type = open
    ///    |                          ^ expected a quoted or bare string
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path, self.line, self.column, self.severity, self.message
        )?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n   | {snippet}\n   | ")?;
            let col = usize::try_from(self.column).unwrap_or(1).saturating_sub(1);
            let mut chars = snippet.chars();
            for _ in 0..col {
                f.write_str(if chars.next() == Some('\t') {
                    "\t"
                } else {
                    " "
                })?;
            }
            f.write_str("^")?;
            if let Some(expected) = &self.expected {
                write!(f, " expected {expected}")?;
            }
        }
        Ok(())
    }
}

/// Loads rules files in order: later files redefine, append to and override what earlier files
/// defined. Never fails: problems are in [`Loaded::diagnostics`], and every item without an
/// error is loaded.
#[must_use]
pub fn load(files: &[RulesFile<'_>]) -> Loaded {
    let sources = files
        .iter()
        .map(|f| text::Source::new(f.path, f.text))
        .collect();
    let mut collector = load::Collector::new(sources);
    for file in 0..files.len() {
        collector.read_file(file);
    }
    let load::Collector { mut ctx, out, .. } = collector;
    let mut rules = Vec::with_capacity(out.rules.len());
    let (macros, lists);
    {
        let mut compiler = compile::Compiler::new(&mut ctx, &out);
        compiler.compile_macros();
        for r in &out.rules {
            if let Ok(rule) = compiler.compile_rule(r) {
                rules.push(rule);
            }
        }
        compiler.unused_warnings(&out);
        let (m, l) = compiler.infos(&out);
        macros = m;
        lists = l;
    }
    let mut diags = ctx.diags;
    diags.sort_by_key(|(file, d)| (*file, d.line, d.column));
    Loaded {
        rules,
        diagnostics: diags.into_iter().map(|(_, d)| d).collect(),
        required_engine_version: out.engine_version.map(|(a, b, c)| format!("{a}.{b}.{c}")),
        required_plugin_versions: out.plugins,
        macros,
        lists,
    }
}

/// Parses a condition on its own, without lists or macros: a dot-less identifier, which in a
/// rules file would be a macro reference, is an error here. Positions in the tree are the
/// line and column within `text`.
///
/// The grammar, lowest precedence first:
///
/// ```text
/// condition := and_expr { "or" and_expr }
/// and_expr  := not_expr { "and" not_expr }
/// not_expr  := { "not" } primary               ("not not x" is x)
/// primary   := "(" condition ")" | macro_name | operand test
/// test      := "exists" | cmp_op number_or_operand | str_op [modifier] value_or_list
///            | list_op list
/// ```
///
/// `and(`, `or(` and `not(` need no blank; `proc.name=cat` needs none either. Values are bare
/// words or `'...'`/`"..."` strings with the escapes `\b \f \n \r \t \\ \/ \" \' \xHH`.
///
/// # Errors
///
/// The first syntax error, with its byte offset; also inputs longer than
/// [`MAX_CONDITION_BYTES`] or nesting deeper than [`MAX_DEPTH`] parser levels.
pub fn parse_condition(text: &str) -> Result<ast::Expr, ConditionError> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let pos_of = |off: usize| {
        let line = starts.partition_point(|&s| s <= off);
        let start = starts[line.saturating_sub(1)];
        let column = text
            .get(start..off)
            .map_or(off - start, |s| s.chars().count())
            + 1;
        ast::Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    };
    let cond = condition::parse(text, &pos_of)?;
    to_expr(cond)
}

/// Converts a macro-free condition.
fn to_expr(cond: condition::Cond) -> Result<ast::Expr, ConditionError> {
    use condition::Cond;
    Ok(match cond {
        Cond::And(kids) => ast::Expr::And(kids.into_iter().map(to_expr).collect::<Result<_, _>>()?),
        Cond::Or(kids) => ast::Expr::Or(kids.into_iter().map(to_expr).collect::<Result<_, _>>()?),
        Cond::Not(k) => ast::Expr::Not(Box::new(to_expr(*k)?)),
        Cond::Test(t) => ast::Expr::Test(*t),
        Cond::Macro { name, offset } => {
            return Err(ConditionError {
                offset,
                message: format!(
                    "`{name}` is not a field (field names contain a dot) and macros are not \
                     available here"
                ),
                expected: Some("a field, `not` or `(`".to_owned()),
            });
        }
    })
}
