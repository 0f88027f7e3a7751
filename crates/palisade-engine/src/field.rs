//! The seam between the engine and event sources.
//!
//! A source (Kubernetes audit today, the runtime sensor later) publishes a [`FieldTable`]
//! that validates field names and arguments at rule-compile time and turns them into a
//! [`ResolvedField`], and an event type implementing [`Event`] that extracts a resolved
//! field's value. Rules are compiled once; per event, only extraction and comparison run.

use std::borrow::Cow;

/// How an output shows a value that is absent, or a field the source does not have (as
/// Falco does).
pub const NOT_AVAILABLE: &str = "<NA>";

/// A field's argument after validation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldArg {
    /// `[3]`: an index into a list field.
    Index(usize),
    /// `[key]`: a key (URL parameter name, JSON pointer, label...).
    Key(String),
}

/// A field validated against a source's field table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedField {
    /// Source-specific field number.
    pub id: u16,
    /// Validated argument.
    pub arg: Option<FieldArg>,
    /// Does the field extract a list (only `exists`, `in`, `intersects` apply, unless
    /// `any_element`)?
    pub list: bool,
    /// A list whose tests hold when they hold for any of its elements, whatever the
    /// operator (Falco's ancestor fields: `proc.aname=sshd` is true when any ancestor is
    /// `sshd`, `proc.aname in (a, b)` when any ancestor is `a` or `b`).
    pub any_element: bool,
    /// Values are IP addresses compared by network, as Falco's `fd.net`: `=`, `in` and
    /// `intersects` take addresses or networks (`10.0.0.0/8`) and hold when a value is in
    /// one of them, `!=` when none is. Other operators compare the text.
    pub network: bool,
    /// The field as written, for output and diagnostics (`ka.req.pod.containers.image[0]`).
    pub display: String,
}

/// One field a source offers, for documentation and `--list-fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// Name, e.g. `ka.verb`.
    pub name: &'static str,
    /// Whether the field yields a list.
    pub list: bool,
    /// Argument: `None` not allowed, `Some(true)` required, `Some(false)` optional.
    pub arg_required: Option<bool>,
    /// Whether the argument is an index (else a key).
    pub arg_index: bool,
    /// One-line description.
    pub desc: &'static str,
}

/// Field lookup for one event source.
pub trait FieldTable: Sync {
    /// The source name rules use in `source:` (`k8s_audit`).
    fn source(&self) -> &'static str;
    /// Validate `name[arg]`: unknown field, missing or unexpected argument, bad index are
    /// errors with a plain message.
    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String>;
    /// Every field.
    fn fields(&self) -> &'static [FieldInfo];
    /// Whether `name` is one of this source's fields, whatever its argument or dotted key
    /// (`evt.arg.flags` is the field `evt.arg`).
    fn knows(&self, name: &str) -> bool {
        self.fields().iter().any(|f| {
            name.strip_prefix(f.name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }
    /// The field whose value rules are indexed by (`ka.verb` for audit events): a rule
    /// that can only match `ka.verb = create` is never evaluated for a `get`.
    fn index_field(&self) -> Option<&'static str> {
        None
    }
    /// The field identifying one request across the stages it is logged at (`ka.auditid`):
    /// a rule that does not read the stage alerts once per request.
    fn request_id_field(&self) -> Option<&'static str> {
        None
    }
    /// Relative cost of extracting a field (1 = a field decoded at parse time; higher =
    /// lazily parsed parts of the event). The compiler evaluates cheap tests of an `and`/`or`
    /// first, which is safe because evaluation has no side effects, and the engine indexes
    /// rules by fields of cost 1 (read once for every event).
    fn cost(&self, _field: &ResolvedField) -> u32 {
        4
    }
    /// Does a field (display form) read the event's stage?
    fn is_stage_field(&self, _display: &str) -> bool {
        false
    }
}

/// The value of a field in one event. Falco's k8saudit fields are all strings; numbers,
/// booleans and objects are rendered as compact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue<'e> {
    /// The field cannot be extracted for this event: every comparison is false.
    Absent,
    /// One value.
    Str(Cow<'e, str>),
    /// A list field's values (an empty list counts as absent).
    List(Vec<Cow<'e, str>>),
}

impl FieldValue<'_> {
    /// Is the value present (a non-empty list counts)?
    pub fn is_present(&self) -> bool {
        match self {
            FieldValue::Absent => false,
            FieldValue::Str(_) => true,
            FieldValue::List(items) => !items.is_empty(),
        }
    }

    /// Text for output formatting (`<NA>` when absent, lists as `(a,b)`).
    pub fn render(&self) -> String {
        match self {
            FieldValue::Absent => NOT_AVAILABLE.to_owned(),
            FieldValue::Str(s) => s.to_string(),
            FieldValue::List(items) if items.is_empty() => NOT_AVAILABLE.to_owned(),
            FieldValue::List(items) => format!("({})", items.join(",")),
        }
    }
}

/// An event the engine can evaluate.
pub trait Event {
    /// Extract a field resolved by this event's source table.
    fn get(&self, field: &ResolvedField) -> FieldValue<'_>;
    /// Event time in nanoseconds since the Unix epoch (0 when unknown).
    fn time_ns(&self) -> i64;
}
