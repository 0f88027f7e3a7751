//! Compiling a rule's condition against a source's fields into an evaluator.

use crate::field::{Event, FieldTable, FieldValue, ResolvedField};
use crate::matchers::{decode_hex, glob_match, path_prefix_match};
use palisade_rules::ast::{Expr, Modifier, Op, Operand, Rhs, Test, Transformer};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Why a rule could not be compiled for its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// Plain message (unknown field, operator not allowed on a list field, bad regex...).
    pub message: String,
    /// The field concerned, when there is one.
    pub field: Option<String>,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A value producer.
#[derive(Debug)]
pub enum Value {
    /// A field of the event.
    Field(ResolvedField),
    /// A transformer over values.
    Transform(Transformer, Vec<Value>),
    /// A literal (in `join`/`concat`).
    Literal(String),
}

/// The compiled right-hand side.
#[derive(Debug)]
pub(crate) enum Right {
    None,
    Str(String),
    Num(f64),
    /// Sorted values: binary search beats hashing for the short lists rules carry.
    Set(Vec<String>),
    List(Vec<String>),
    Bytes(Vec<u8>),
    Regex(regex::Regex),
    /// A `contains` literal found by the shared automaton of `prefilter`.
    Prefiltered {
        prefilter: usize,
        literal: usize,
        text: String,
    },
    Other(Value),
}

/// A compiled test.
#[derive(Debug)]
pub struct CTest {
    pub(crate) lhs: Value,
    pub(crate) op: Op,
    pub(crate) modifier: Option<Modifier>,
    pub(crate) rhs: Right,
}

/// A compiled condition.
#[derive(Debug)]
pub enum Node {
    /// All.
    And(Vec<Node>),
    /// Any.
    Or(Vec<Node>),
    /// Negation.
    Not(Box<Node>),
    /// A test.
    Test(Box<CTest>),
    /// A sub-condition whose result is remembered for the rest of the event, shared by
    /// every rule that contains the same sub-condition (macros such as "the request
    /// succeeded" or "a system identity" appear in most rules).
    Memo(u32, Box<Node>),
}

/// A rule ready to run.
#[derive(Debug)]
pub struct CompiledRule {
    /// Index in the loaded rule list (load order).
    pub index: usize,
    /// Name.
    pub name: String,
    /// The condition.
    pub condition: Node,
    /// Whether the condition reads the audit stage (then every stage is evaluated).
    pub reads_stage: bool,
    /// Index-field values this rule can match (`None` = any).
    pub index_values: Option<HashSet<String>>,
}

/// Shared Aho-Corasick automata, one per (field, case-sensitivity), over every `contains`
/// literal of every rule on that field.
#[derive(Debug, Default)]
pub struct Prefilters {
    pub(crate) entries: Vec<Prefilter>,
    /// Structural key of a sub-condition → its memo slot.
    pub(crate) memo_slots: HashMap<String, u32>,
}

#[derive(Debug)]
pub(crate) struct Prefilter {
    pub(crate) field: ResolvedField,
    pub(crate) case_insensitive: bool,
    pub(crate) literals: Vec<String>,
    /// Per literal: only counts when found at offset 0 (`startswith`).
    pub(crate) anchored: Vec<bool>,
    pub(crate) automaton: Option<aho_corasick::AhoCorasick>,
}

impl Prefilters {
    fn literal(
        &mut self,
        field: &ResolvedField,
        case_insensitive: bool,
        anchored: bool,
        text: &str,
    ) -> (usize, usize) {
        let idx = match self
            .entries
            .iter()
            .position(|p| p.field == *field && p.case_insensitive == case_insensitive)
        {
            Some(i) => i,
            None => {
                self.entries.push(Prefilter {
                    field: field.clone(),
                    case_insensitive,
                    literals: Vec::new(),
                    anchored: Vec::new(),
                    automaton: None,
                });
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[idx];
        let lit = match entry
            .literals
            .iter()
            .zip(&entry.anchored)
            .position(|(l, a)| l == text && *a == anchored)
        {
            Some(i) => i,
            None => {
                entry.literals.push(text.to_owned());
                entry.anchored.push(anchored);
                entry.literals.len() - 1
            }
        };
        (idx, lit)
    }

    /// Build the automata once every rule is compiled.
    pub fn build(&mut self) {
        for p in &mut self.entries {
            // A DFA: rules carry few literals per field, so its size is small, and it is the
            // fastest kind for the overlapping search `contains` semantics need.
            p.automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(p.case_insensitive)
                .match_kind(aho_corasick::MatchKind::Standard)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&p.literals)
                .ok();
        }
    }
}

/// Per-event scratch: which prefilter automata have run and which literals they found.
/// Reused across events, so evaluation allocates nothing once warmed up.
#[derive(Debug, Default)]
pub struct Scratch {
    done: Vec<bool>,
    found: Vec<Vec<bool>>,
    /// Memo slots: valid for this event when the stamp equals `event`.
    memo_stamp: Vec<u32>,
    memo_value: Vec<bool>,
    event: u32,
}

impl Scratch {
    /// Forget the previous event.
    pub fn reset(&mut self, prefilters: &Prefilters) {
        self.event = self.event.wrapping_add(1);
        if self.event == 0 {
            // Stamps wrapped around: clear them so no slot looks valid by accident.
            self.memo_stamp.iter_mut().for_each(|s| *s = u32::MAX);
            self.event = 1;
        }
        let slots = prefilters.memo_slots.len();
        if self.memo_stamp.len() < slots {
            self.memo_stamp.resize(slots, 0);
            self.memo_value.resize(slots, false);
        }
        self.done.clear();
        self.done.resize(prefilters.entries.len(), false);
        if self.found.len() < prefilters.entries.len() {
            self.found.resize_with(prefilters.entries.len(), Vec::new);
        }
    }
}

/// Compile one condition.
pub(crate) fn compile_expr(
    expr: &Expr,
    table: &dyn FieldTable,
    prefilters: &mut Prefilters,
) -> Result<Node, CompileError> {
    let node = match expr {
        Expr::And(items) => Node::And(
            items
                .iter()
                .map(|e| compile_expr(e, table, prefilters))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(items) => Node::Or(
            items
                .iter()
                .map(|e| compile_expr(e, table, prefilters))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(inner) => Node::Not(Box::new(compile_expr(inner, table, prefilters)?)),
        Expr::Test(test) => Node::Test(Box::new(compile_test(test, table, prefilters)?)),
    };
    // Remember results of anything but the cheapest tests; identical sub-conditions of
    // different rules (the same macro) share one slot.
    if matches!(node, Node::Not(_)) || node_cost(&node, table) < 3 {
        return Ok(node);
    }
    let key = format!("{expr:?}");
    let next = u32::try_from(prefilters.memo_slots.len()).unwrap_or(u32::MAX);
    let slot = *prefilters.memo_slots.entry(key).or_insert(next);
    Ok(Node::Memo(slot, Box::new(node)))
}

/// Compile an operand (used by outputs and threshold keys).
pub(crate) fn compile_operand(
    operand: &Operand,
    table: &dyn FieldTable,
) -> Result<Value, CompileError> {
    compile_value(operand, table)
}

fn compile_value(operand: &Operand, table: &dyn FieldTable) -> Result<Value, CompileError> {
    match operand {
        Operand::Field(f) => table
            .resolve(&f.name, f.arg.as_deref())
            .map(Value::Field)
            .map_err(|message| CompileError {
                message,
                field: Some(f.to_string()),
            }),
        Operand::Transform { func, args, .. } => {
            let args = args
                .iter()
                .map(|a| compile_value(a, table))
                .collect::<Result<Vec<_>, _>>()?;
            if args.is_empty() {
                return Err(CompileError {
                    message: format!("transformer {func:?} needs an argument"),
                    field: None,
                });
            }
            Ok(Value::Transform(*func, args))
        }
        Operand::Literal(s) => Ok(Value::Literal(s.clone())),
    }
}

fn is_list_value(v: &Value) -> bool {
    match v {
        Value::Field(f) => f.list,
        Value::Transform(Transformer::Len | Transformer::Join | Transformer::Concat, _) => false,
        Value::Transform(_, args) => args.iter().any(is_list_value),
        Value::Literal(_) => false,
    }
}

fn compile_test(
    test: &Test,
    table: &dyn FieldTable,
    prefilters: &mut Prefilters,
) -> Result<CTest, CompileError> {
    let lhs = compile_value(&test.lhs, table)?;
    let op = test.op;
    if is_list_value(&lhs) && !matches!(op, Op::Exists | Op::In | Op::Intersects) {
        return Err(CompileError {
            message: format!(
                "operator `{}` cannot be used on a list field: use `in`, `intersects` or `exists`",
                op.as_str()
            ),
            field: match &lhs {
                Value::Field(f) => Some(f.display.clone()),
                _ => None,
            },
        });
    }
    let err = |message: String| CompileError {
        message,
        field: None,
    };
    let rhs = match (&test.rhs, op, test.modifier) {
        (Rhs::None, Op::Exists, _) => Right::None,
        (Rhs::None, _, _) => return Err(err(format!("operator `{}` needs a value", op.as_str()))),
        (_, Op::Exists, _) => return Err(err("`exists` takes no value".into())),
        (Rhs::Operand(o), _, _) => Right::Other(compile_value(o, table)?),
        (Rhs::List(items), _, Some(_)) => {
            if matches!(op, Op::Regex) {
                // Validate every pattern now; matching compiles them per use below.
                for item in items {
                    build_regex(item).map_err(err)?;
                }
            }
            Right::List(items.clone())
        }
        (Rhs::List(items), Op::In | Op::Intersects, None) => Right::Set(sorted_set(items)),
        (Rhs::List(items), Op::PMatch, None) => Right::List(items.clone()),
        (Rhs::Value(v), Op::In | Op::Intersects, None) => Right::Set(vec![v.clone()]),
        (Rhs::Value(v), Op::PMatch, None) => Right::List(vec![v.clone()]),
        (Rhs::List(_), _, None) => {
            return Err(err(format!(
                "operator `{}` takes one value, not a list",
                op.as_str()
            )));
        }
        (Rhs::Value(v), Op::Lt | Op::Le | Op::Gt | Op::Ge, _) => {
            Right::Num(parse_number(v).ok_or_else(|| {
                err(format!(
                    "`{v}` is not a number (operator `{}`)",
                    op.as_str()
                ))
            })?)
        }
        (Rhs::Value(v), Op::BContains | Op::BStartsWith, _) => {
            Right::Bytes(decode_hex(v).map_err(err)?)
        }
        (Rhs::Value(v), Op::Regex, _) => Right::Regex(build_regex(v).map_err(err)?),
        (Rhs::Value(v), Op::Contains | Op::IContains | Op::StartsWith, _) => match &lhs {
            Value::Field(f) if !v.is_empty() => {
                let ci = op == Op::IContains;
                let (prefilter, literal) = prefilters.literal(f, ci, op == Op::StartsWith, v);
                Right::Prefiltered {
                    prefilter,
                    literal,
                    text: v.clone(),
                }
            }
            _ => Right::Str(v.clone()),
        },
        (Rhs::Value(v), _, _) => Right::Str(v.clone()),
    };
    Ok(CTest {
        lhs,
        op,
        modifier: test.modifier,
        rhs,
    })
}

fn sorted_set(items: &[String]) -> Vec<String> {
    let mut set = items.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn set_contains(set: &[String], value: &str) -> bool {
    set.binary_search_by(|probe| probe.as_str().cmp(value))
        .is_ok()
}

fn build_regex(pattern: &str) -> Result<regex::Regex, String> {
    // Falco's regex is a full, anchored match; linear-time engine with a size cap, since
    // patterns come from rule authors.
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regex `{pattern}`: {e}"))
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    t.parse::<f64>().ok()
}

fn value_cost(value: &Value, table: &dyn FieldTable) -> u32 {
    match value {
        Value::Field(f) => table.cost(f),
        Value::Transform(_, args) => 4 + args.iter().map(|a| value_cost(a, table)).sum::<u32>(),
        Value::Literal(_) => 0,
    }
}

/// Estimated cost of evaluating a node.
fn node_cost(node: &Node, table: &dyn FieldTable) -> u32 {
    match node {
        Node::And(items) | Node::Or(items) => items
            .iter()
            .map(|n| node_cost(n, table))
            .fold(0u32, u32::saturating_add),
        Node::Not(inner) | Node::Memo(_, inner) => node_cost(inner, table),
        Node::Test(t) => {
            let rhs = match &t.rhs {
                Right::Prefiltered { .. } => 3,
                Right::Regex(_) => 8,
                Right::Other(v) => value_cost(v, table),
                Right::List(items) => items.len().min(16) as u32,
                _ => 0,
            };
            value_cost(&t.lhs, table) + rhs
        }
    }
}

/// Put the cheap tests of every `and`/`or` first: evaluation is side-effect free, so the
/// order does not change the result, only how soon it is known.
pub(crate) fn order_by_cost(node: &mut Node, table: &dyn FieldTable) {
    match node {
        Node::And(items) | Node::Or(items) => {
            for item in items.iter_mut() {
                order_by_cost(item, table);
            }
            items.sort_by_cached_key(|n| node_cost(n, table));
        }
        Node::Not(inner) | Node::Memo(_, inner) => order_by_cost(inner, table),
        Node::Test(_) => {}
    }
}

/// Evaluate a value for an event.
pub(crate) fn eval_value<'e>(value: &Value, event: &'e dyn Event) -> FieldValue<'e> {
    match value {
        Value::Field(f) => event.get(f),
        Value::Literal(s) => FieldValue::Str(Cow::Owned(s.clone())),
        Value::Transform(func, args) => transform(*func, args, event),
    }
}

fn transform<'e>(func: Transformer, args: &[Value], event: &'e dyn Event) -> FieldValue<'e> {
    let map = |v: FieldValue<'e>, f: &dyn Fn(&str) -> Option<String>| -> FieldValue<'e> {
        match v {
            FieldValue::Absent => FieldValue::Absent,
            FieldValue::Str(s) => {
                f(&s).map_or(FieldValue::Absent, |x| FieldValue::Str(Cow::Owned(x)))
            }
            FieldValue::List(items) => {
                FieldValue::List(items.iter().filter_map(|s| f(s).map(Cow::Owned)).collect())
            }
        }
    };
    match func {
        Transformer::ToLower => map(eval_value(&args[0], event), &|s| Some(s.to_lowercase())),
        Transformer::ToUpper => map(eval_value(&args[0], event), &|s| Some(s.to_uppercase())),
        Transformer::B64 => map(eval_value(&args[0], event), &|s| {
            base64_decode(s).map(|b| String::from_utf8_lossy(&b).into_owned())
        }),
        Transformer::Basename => map(eval_value(&args[0], event), &|s| {
            Some(if s.ends_with('/') {
                String::new()
            } else {
                s.rsplit('/').next().unwrap_or("").to_owned()
            })
        }),
        Transformer::Len => match eval_value(&args[0], event) {
            FieldValue::Absent => FieldValue::Absent,
            FieldValue::Str(s) => FieldValue::Str(Cow::Owned(s.chars().count().to_string())),
            FieldValue::List(items) => FieldValue::Str(Cow::Owned(items.len().to_string())),
        },
        Transformer::Join | Transformer::Concat | Transformer::Getopt => {
            let (sep, rest) = match (func, args.split_first()) {
                (Transformer::Join, Some((Value::Literal(sep), rest))) => (sep.as_str(), rest),
                _ => ("", args),
            };
            let mut parts = Vec::new();
            for a in rest {
                match eval_value(a, event) {
                    FieldValue::Absent => return FieldValue::Absent,
                    FieldValue::Str(s) => parts.push(s.into_owned()),
                    FieldValue::List(items) => parts.extend(items.into_iter().map(Cow::into_owned)),
                }
            }
            FieldValue::Str(Cow::Owned(parts.join(sep)))
        }
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// Evaluate a node.
pub(crate) fn eval(
    node: &Node,
    event: &dyn Event,
    prefilters: &Prefilters,
    scratch: &mut Scratch,
) -> bool {
    match node {
        Node::And(items) => items.iter().all(|n| eval(n, event, prefilters, scratch)),
        Node::Or(items) => items.iter().any(|n| eval(n, event, prefilters, scratch)),
        Node::Not(inner) => !eval(inner, event, prefilters, scratch),
        Node::Test(test) => eval_test(test, event, prefilters, scratch),
        Node::Memo(slot, inner) => {
            let i = *slot as usize;
            if scratch.memo_stamp.get(i) == Some(&scratch.event) {
                return scratch.memo_value[i];
            }
            let value = eval(inner, event, prefilters, scratch);
            if let Some(stamp) = scratch.memo_stamp.get_mut(i) {
                *stamp = scratch.event;
                scratch.memo_value[i] = value;
            }
            value
        }
    }
}

fn eval_test(
    test: &CTest,
    event: &dyn Event,
    prefilters: &Prefilters,
    scratch: &mut Scratch,
) -> bool {
    if let Right::Prefiltered {
        prefilter,
        literal,
        text,
    } = &test.rhs
    {
        return prefiltered(*prefilter, *literal, text, test, event, prefilters, scratch);
    }
    let lhs = eval_value(&test.lhs, event);
    if !lhs.is_present() {
        return false;
    }
    if test.op == Op::Exists {
        return true;
    }
    match lhs {
        FieldValue::Absent => false,
        FieldValue::List(items) => match (&test.rhs, test.op) {
            (Right::Set(set), Op::In) => items.iter().all(|i| set_contains(set, i)),
            (Right::Set(set), Op::Intersects) => items.iter().any(|i| set_contains(set, i)),
            (Right::Other(v), op) => {
                let other = eval_value(v, event);
                let set: HashSet<&str> = match &other {
                    FieldValue::Str(s) => std::iter::once(s.as_ref()).collect(),
                    FieldValue::List(xs) => xs.iter().map(AsRef::as_ref).collect(),
                    FieldValue::Absent => return false,
                };
                if op == Op::In {
                    items.iter().all(|i| set.contains(i.as_ref()))
                } else {
                    items.iter().any(|i| set.contains(i.as_ref()))
                }
            }
            _ => false,
        },
        FieldValue::Str(value) => match (&test.rhs, test.modifier) {
            (Right::List(items), Some(modifier)) => {
                let hits = items
                    .iter()
                    .filter(|rhs| scalar_op(test.op, &value, rhs))
                    .count();
                match modifier {
                    Modifier::AnyOf => hits >= 1,
                    Modifier::OneOf => hits == 1,
                    Modifier::AllOf => hits == items.len(),
                }
            }
            (Right::Set(set), _) => set_contains(set, &value),
            (Right::List(prefixes), _) if test.op == Op::PMatch => {
                path_prefix_match(prefixes, &value)
            }
            (Right::Num(n), _) => parse_number(&value).is_some_and(|v| compare_num(test.op, v, *n)),
            (Right::Bytes(bytes), _) => {
                let hay = value.as_bytes();
                match test.op {
                    Op::BStartsWith => hay.starts_with(bytes),
                    _ => {
                        !bytes.is_empty() && hay.windows(bytes.len()).any(|w| w == bytes.as_slice())
                    }
                }
            }
            (Right::Regex(re), _) => re.is_match(&value),
            (Right::Str(rhs), _) => scalar_op(test.op, &value, rhs),
            (Right::Other(v), _) => match eval_value(v, event) {
                FieldValue::Str(rhs) => scalar_op(test.op, &value, &rhs),
                FieldValue::List(xs) if matches!(test.op, Op::In | Op::Intersects) => {
                    xs.iter().any(|x| x.as_ref() == value.as_ref())
                }
                _ => false,
            },
            _ => false,
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn prefiltered(
    prefilter: usize,
    literal: usize,
    text: &str,
    test: &CTest,
    event: &dyn Event,
    prefilters: &Prefilters,
    scratch: &mut Scratch,
) -> bool {
    let Some(entry) = prefilters.entries.get(prefilter) else {
        return false;
    };
    let Some(automaton) = &entry.automaton else {
        // No automaton (build failed): plain comparison.
        let lhs = eval_value(&test.lhs, event);
        return matches!(lhs, FieldValue::Str(v) if scalar_op(test.op, &v, text));
    };
    if !scratch.done[prefilter] {
        scratch.done[prefilter] = true;
        let found = &mut scratch.found[prefilter];
        found.clear();
        found.resize(entry.literals.len(), false);
        if let FieldValue::Str(value) = event.get(&entry.field) {
            for m in automaton.find_overlapping_iter(value.as_ref()) {
                let id = m.pattern().as_usize();
                if m.start() == 0 || !entry.anchored[id] {
                    found[id] = true;
                }
            }
        }
    }
    scratch.found[prefilter]
        .get(literal)
        .copied()
        .unwrap_or(false)
}

fn compare_num(op: Op, lhs: f64, rhs: f64) -> bool {
    match op {
        Op::Lt => lhs < rhs,
        Op::Le => lhs <= rhs,
        Op::Gt => lhs > rhs,
        Op::Ge => lhs >= rhs,
        _ => false,
    }
}

/// A string operator on one scalar value.
pub(crate) fn scalar_op(op: Op, value: &str, rhs: &str) -> bool {
    match op {
        Op::Eq | Op::In | Op::Intersects => value == rhs,
        Op::Ne => value != rhs,
        Op::Contains => value.contains(rhs),
        Op::IContains => value.to_lowercase().contains(&rhs.to_lowercase()),
        Op::StartsWith => value.starts_with(rhs),
        Op::EndsWith => value.ends_with(rhs),
        Op::Glob => glob_match(rhs, value, false),
        Op::IGlob => glob_match(rhs, value, true),
        Op::PMatch => path_prefix_match(&[rhs.to_owned()], value),
        Op::Regex => build_regex(rhs).is_ok_and(|re| re.is_match(value)),
        Op::BContains => decode_hex(rhs).is_ok_and(|b| {
            !b.is_empty() && value.as_bytes().windows(b.len()).any(|w| w == b.as_slice())
        }),
        Op::BStartsWith => decode_hex(rhs).is_ok_and(|b| value.as_bytes().starts_with(&b)),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => match (parse_number(value), parse_number(rhs)) {
            (Some(a), Some(b)) => compare_num(op, a, b),
            _ => false,
        },
        Op::Exists => true,
    }
}

/// The values of `field_name` (e.g. `ka.verb`) a condition can match: `None` means any.
/// And intersects, Or unions, and anything under Not or on other fields is "any", as
/// Falco's event-type analysis does.
pub(crate) fn index_values(node: &Node, index_field: &str) -> Option<HashSet<String>> {
    match node {
        Node::And(items) => {
            let mut acc: Option<HashSet<String>> = None;
            for item in items {
                if let Some(set) = index_values(item, index_field) {
                    acc = Some(match acc {
                        None => set,
                        Some(a) => a.intersection(&set).cloned().collect(),
                    });
                }
            }
            acc
        }
        Node::Or(items) => {
            let mut acc = HashSet::new();
            for item in items {
                acc.extend(index_values(item, index_field)?);
            }
            Some(acc)
        }
        Node::Not(_) => None,
        Node::Memo(_, inner) => index_values(inner, index_field),
        Node::Test(test) => match (&test.lhs, test.op, &test.rhs, test.modifier) {
            (Value::Field(f), Op::Eq, Right::Str(v), None) if f.display == index_field => {
                Some(std::iter::once(v.clone()).collect())
            }
            (Value::Field(f), Op::In | Op::Intersects, Right::Set(set), None)
                if f.display == index_field =>
            {
                Some(set.iter().cloned().collect())
            }
            _ => None,
        },
    }
}

/// Does the condition read a field whose display name satisfies `pred`?
pub(crate) fn reads_field(node: &Node, pred: &dyn Fn(&str) -> bool) -> bool {
    fn value_reads(v: &Value, pred: &dyn Fn(&str) -> bool) -> bool {
        match v {
            Value::Field(f) => pred(&f.display),
            Value::Transform(_, args) => args.iter().any(|a| value_reads(a, pred)),
            Value::Literal(_) => false,
        }
    }
    match node {
        Node::And(items) | Node::Or(items) => items.iter().any(|n| reads_field(n, pred)),
        Node::Not(inner) | Node::Memo(_, inner) => reads_field(inner, pred),
        Node::Test(t) => {
            value_reads(&t.lhs, pred) || matches!(&t.rhs, Right::Other(v) if value_reads(v, pred))
        }
    }
}

/// Every field a condition reads, in first-use order (for explaining a result).
pub(crate) fn condition_fields(node: &Node, out: &mut Vec<ResolvedField>) {
    fn value_fields(v: &Value, out: &mut Vec<ResolvedField>) {
        match v {
            Value::Field(f) => {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
            Value::Transform(_, args) => args.iter().for_each(|a| value_fields(a, out)),
            Value::Literal(_) => {}
        }
    }
    match node {
        Node::And(items) | Node::Or(items) => items.iter().for_each(|n| condition_fields(n, out)),
        Node::Not(inner) | Node::Memo(_, inner) => condition_fields(inner, out),
        Node::Test(t) => {
            value_fields(&t.lhs, out);
            if let Right::Other(v) = &t.rhs {
                value_fields(v, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, EngineOptions};
    use crate::k8s_audit::{AuditEvent, K8sAuditFields};

    fn fired(condition: &str, event: &str) -> bool {
        let rules = format!(
            "- rule: r\n  desc: d\n  condition: {condition}\n  output: o\n  priority: WARNING\n  source: k8s_audit\n"
        );
        let loaded = palisade_rules::load(&[palisade_rules::RulesFile {
            path: "r.yaml",
            text: &rules,
        }]);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let table = K8sAuditFields;
        let (mut engine, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
        assert!(skipped.is_empty(), "{skipped:?}");
        let event = AuditEvent::parse(event).unwrap();
        let mut n = 0;
        engine.process(&event, |_| n += 1);
        n > 0
    }

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/shop/pods","user":{"username":"system:serviceaccount:shop:ci","groups":["system:serviceaccounts","system:authenticated"]},"objectRef":{"resource":"pods","namespace":"shop","name":"web"},"responseStatus":{"code":201},"stageTimestamp":"2026-11-26T10:00:00.000000Z"}"#;

    #[test]
    fn prefiltered_contains_and_startswith_follow_their_operators() {
        assert!(fired("ka.user.name contains serviceaccount", EVENT));
        assert!(fired("ka.user.name icontains SERVICEACCOUNT", EVENT));
        assert!(fired("ka.user.name startswith 'system:s'", EVENT));
        // Found by the shared automaton, but not at the start: startswith must be false.
        assert!(!fired("ka.user.name startswith serviceaccount", EVENT));
        assert!(fired(
            "ka.user.name contains shop and not ka.user.name startswith shop",
            EVENT
        ));
    }

    #[test]
    fn missing_fields_make_every_comparison_false_even_not_equal() {
        assert!(!fired("ka.target.subresource != exec", EVENT));
        assert!(fired("not ka.target.subresource = exec", EVENT));
        assert!(!fired("ka.target.subresource exists", EVENT));
    }

    #[test]
    fn list_fields_use_in_as_all_and_intersects_as_any() {
        assert!(fired(
            "ka.user.groups intersects (system:authenticated, other)",
            EVENT
        ));
        assert!(!fired(
            "ka.user.groups in (system:authenticated, other)",
            EVENT
        ));
        assert!(fired(
            "ka.user.groups in (system:authenticated, system:serviceaccounts)",
            EVENT
        ));
    }

    #[test]
    fn numeric_glob_regex_pmatch_and_modifiers() {
        assert!(fired(
            "ka.response.code >= 200 and ka.response.code < 300",
            EVENT
        ));
        assert!(fired("ka.uri glob '/api/v1/*/shop/*'", EVENT));
        assert!(fired(
            "ka.uri regex '/api/v1/namespaces/[a-z]+/pods'",
            EVENT
        ));
        assert!(!fired("ka.uri regex 'namespaces'", EVENT));
        assert!(fired("ka.uri pmatch (/api/v1/namespaces)", EVENT));
        assert!(fired("ka.target.name startswith anyof (x, w)", EVENT));
        assert!(!fired("ka.target.name startswith allof (x, w)", EVENT));
        assert!(fired("toupper(ka.target.name) = WEB", EVENT));
        assert!(fired(
            "ka.target.namespace = val(ka.target.namespace)",
            EVENT
        ));
    }
}
