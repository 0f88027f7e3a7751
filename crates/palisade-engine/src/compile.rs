//! Compiling a rule's condition against a source's fields into an evaluator.

use crate::field::{Event, FieldTable, FieldValue, ResolvedField};
use crate::matchers::{IpNetwork, decode_hex, glob_match, path_prefix_match};
use palisade_rules::ast::{Expr, Modifier, Op, Operand, Rhs, Test, Transformer};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

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
#[derive(Debug, Clone)]
pub enum Value {
    /// A field of the event.
    Field(ResolvedField),
    /// A transformer over values.
    Transform(Transformer, Vec<Value>),
    /// A literal (in `join`/`concat`).
    Literal(String),
}

/// The compiled right-hand side.
#[derive(Debug, Clone)]
pub(crate) enum Right {
    None,
    Str(String),
    Num(f64),
    /// The values of an `in` / `intersects` list.
    Set(StrSet),
    List(Vec<String>),
    Bytes(Vec<u8>),
    Regex(regex::Regex),
    /// The networks of a test on a network field (see [`ResolvedField::network`]).
    Networks(Vec<IpNetwork>),
    /// A `contains` literal found by the shared automaton of `prefilter`.
    Prefiltered {
        prefilter: usize,
        literal: usize,
        text: String,
    },
    Other(Value),
}

/// A compiled test.
#[derive(Debug, Clone)]
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
    /// Built only when the field has enough literals to be worth one scan for all of them;
    /// otherwise each test compares its literal directly.
    pub(crate) automaton: Option<aho_corasick::dfa::DFA>,
}

/// Fewer literals than this on one field are compared one by one (a substring search per
/// test is cheaper than a scan when the tests are few).
const MIN_AUTOMATON_LITERALS: usize = 3;

impl Prefilters {
    fn literal(
        &mut self,
        field: &ResolvedField,
        case_insensitive: bool,
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
                    automaton: None,
                });
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[idx];
        let lit = match entry.literals.iter().position(|l| l == text) {
            Some(i) => i,
            None => {
                entry.literals.push(text.to_owned());
                entry.literals.len() - 1
            }
        };
        (idx, lit)
    }

    /// Build the automata once every rule is compiled.
    pub fn build(&mut self) {
        for p in &mut self.entries {
            if p.literals.len() < MIN_AUTOMATON_LITERALS {
                p.automaton = None;
                continue;
            }
            // A DFA, run byte by byte below: rules carry few literals per field, so it is
            // small, and one pass finds every literal (overlapping matches included).
            p.automaton = aho_corasick::dfa::DFA::builder()
                .ascii_case_insensitive(p.case_insensitive)
                .match_kind(aho_corasick::MatchKind::Standard)
                .prefilter(false)
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
    let any_element = matches!(&lhs, Value::Field(f) if f.any_element);
    if is_list_value(&lhs) && !any_element && !matches!(op, Op::Exists | Op::In | Op::Intersects) {
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
    let network = matches!(&lhs, Value::Field(f) if f.network)
        && test.modifier.is_none()
        && matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects);
    let rhs = match (&test.rhs, op, test.modifier) {
        (Rhs::Value(v), _, _) if network => {
            Right::Networks(vec![IpNetwork::parse(v).map_err(err)?])
        }
        (Rhs::List(items), Op::In | Op::Intersects, _) if network => Right::Networks(
            items
                .iter()
                .map(|v| IpNetwork::parse(v))
                .collect::<Result<_, _>>()
                .map_err(err)?,
        ),
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
        (Rhs::List(items), Op::In | Op::Intersects, None) => Right::Set(StrSet::new(items)),
        (Rhs::List(items), Op::PMatch, None) => Right::List(items.clone()),
        (Rhs::Value(v), Op::In | Op::Intersects, None) => {
            Right::Set(StrSet::new(std::slice::from_ref(v)))
        }
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
        // `startswith` is a plain prefix comparison, cheaper than any shared scan.
        (Rhs::Value(v), Op::Contains | Op::IContains, _) => match &lhs {
            Value::Field(f) if !v.is_empty() && !f.list => {
                let ci = op == Op::IContains;
                let (prefilter, literal) = prefilters.literal(f, ci, v);
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

/// FxHash: for tables built once from rule literals and only looked up per event, so a
/// fast non-keyed hash is safe.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Tables with more strings than this are hashed; smaller ones are scanned.
const HASHED_TABLE: usize = 8;

/// A fixed set of strings, numbered in insertion order, for exact look-ups per event. The
/// strings live in one buffer and the hash slots in one array, so a look-up touches a few
/// adjacent cache lines rather than one allocation per string.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrTable {
    text: String,
    /// `(start, len)` of each string in `text`.
    spans: Vec<(u32, u32)>,
    /// Bit `min(len, 63)` set for the length of each string: most values are rejected by
    /// their length alone.
    lens: u64,
    /// Open addressing (linear probing) over `spans`: number + 1, 0 for a free slot.
    /// Empty for small tables.
    slots: Vec<u32>,
}

impl StrTable {
    /// Number the distinct strings of `items` in order (a repeat keeps its first number).
    pub(crate) fn new<'s>(items: impl IntoIterator<Item = &'s str>) -> StrTable {
        let mut table = StrTable::default();
        for item in items {
            if table.find(item).is_some() {
                continue;
            }
            let (Ok(start), Ok(len)) = (u32::try_from(table.text.len()), u32::try_from(item.len()))
            else {
                continue;
            };
            table.text.push_str(item);
            table.spans.push((start, len));
            table.lens |= 1u64 << item.len().min(63);
            if table.spans.len() > HASHED_TABLE {
                table.rehash();
            }
        }
        table
    }

    fn rehash(&mut self) {
        let size = (self.spans.len() * 2).next_power_of_two();
        if self.slots.len() >= size {
            // Still at most half full: add the newest string only.
            let id = self.spans.len() - 1;
            self.insert_slot(id);
            return;
        }
        self.slots = vec![0; size];
        for id in 0..self.spans.len() {
            self.insert_slot(id);
        }
    }

    fn insert_slot(&mut self, id: usize) {
        let mask = self.slots.len() - 1;
        let mut i = (hash(self.get(id)) as usize) & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = u32::try_from(id + 1).unwrap_or(0);
    }

    fn get(&self, id: usize) -> &str {
        let (start, len) = self.spans[id];
        &self.text[start as usize..(start + len) as usize]
    }

    #[inline]
    fn matches(&self, id: usize, value: &str) -> bool {
        let Some(&(start, len)) = self.spans.get(id) else {
            return false;
        };
        len as usize == value.len()
            && self
                .text
                .as_bytes()
                .get(start as usize..(start + len) as usize)
                == Some(value.as_bytes())
    }

    /// The number of `value`, if it is in the table.
    #[inline]
    pub(crate) fn find(&self, value: &str) -> Option<usize> {
        if self.lens & (1u64 << value.len().min(63)) == 0 {
            return None;
        }
        if self.slots.is_empty() {
            return (0..self.spans.len()).find(|&id| self.matches(id, value));
        }
        let mask = self.slots.len() - 1;
        let mut i = (hash(value) as usize) & mask;
        loop {
            let id = *self.slots.get(i)?;
            if id == 0 {
                return None;
            }
            let id = id as usize - 1;
            if self.matches(id, value) {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Number of strings.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }
}

fn hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// The values of an `in` / `intersects` list: exact string membership.
#[derive(Debug, Clone)]
pub(crate) struct StrSet {
    /// Sorted, without duplicates (for analysis at compile time).
    items: Vec<String>,
    table: StrTable,
}

impl StrSet {
    fn new(items: &[String]) -> StrSet {
        let mut items = items.to_vec();
        items.sort_unstable();
        items.dedup();
        let table = StrTable::new(items.iter().map(String::as_str));
        StrSet { items, table }
    }

    #[inline]
    pub(crate) fn contains(&self, value: &str) -> bool {
        self.table.find(value).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, String> {
        self.items.iter()
    }
}

fn set_contains(set: &StrSet, value: &str) -> bool {
    set.contains(value)
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
                Right::Networks(networks) => networks.len().min(16) as u32,
                _ => 0,
            };
            value_cost(&t.lhs, table) + rhs
        }
    }
}

/// Estimated (cost, probability of being true) of a node whose `and`/`or` children are
/// already in evaluation order. The probabilities are rough guesses: a comparison with a
/// literal is rarely true (rules look for the unusual), so its negation nearly always is.
fn estimate(node: &Node, table: &dyn FieldTable) -> (f64, f64) {
    match node {
        Node::And(items) => items.iter().fold((0.0, 1.0), |(cost, p), item| {
            let (c, q) = estimate(item, table);
            (cost + p * c, p * q)
        }),
        Node::Or(items) => items.iter().fold((0.0, 0.0), |(cost, p), item| {
            let (c, q) = estimate(item, table);
            (cost + (1.0 - p) * c, 1.0 - (1.0 - p) * (1.0 - q))
        }),
        Node::Not(inner) => {
            let (c, q) = estimate(inner, table);
            (c, 1.0 - q)
        }
        Node::Memo(_, inner) => estimate(inner, table),
        Node::Test(t) => {
            let p = match (&t.rhs, t.op) {
                (_, Op::Exists) => 0.7,
                (_, Op::Ne) => 0.95,
                (Right::Set(set), _) => (0.05 * set.len() as f64).min(0.5),
                (Right::Num(_), _) => 0.5,
                _ => 0.05,
            };
            (f64::from(node_cost(node, table).max(1)), p)
        }
    }
}

/// Order the children of every `and`/`or` so that the answer is known soonest on average:
/// an `and` first runs the children most likely to be false per unit of cost, an `or` the
/// ones most likely to be true (cheap tests first when nothing else tells them apart).
/// Evaluation is side-effect free, so the order does not change the result, only its cost.
pub(crate) fn order_by_cost(node: &mut Node, table: &dyn FieldTable) {
    match node {
        Node::And(items) | Node::Or(items) => {
            for item in items.iter_mut() {
                order_by_cost(item, table);
            }
            let is_and = matches!(node, Node::And(_));
            let (Node::And(items) | Node::Or(items)) = node else {
                return;
            };
            items.sort_by_cached_key(|n| {
                let (c, p) = estimate(n, table);
                // Expected cost per short-circuit: cost / P(decides).
                let decides = if is_and { 1.0 - p } else { p };
                let rank = c / decides.max(1e-6);
                // Finite and non-negative, so the bits order like the values.
                rank.to_bits()
            });
        }
        Node::Not(inner) | Node::Memo(_, inner) => order_by_cost(inner, table),
        Node::Test(_) => {}
    }
}

/// Evaluate a value for an event.
#[inline]
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

/// A condition after [`simplify`]: decided, or what is left to test.
enum Simple {
    Const(bool),
    Node(Node),
}

/// The facts a scalar equality or membership test gives when it is true.
fn fact_of(node: &Node) -> Option<(&ResolvedField, Vec<&String>)> {
    let t = match node {
        Node::Test(t) => t,
        Node::Memo(_, inner) => match &**inner {
            Node::Test(t) => t,
            _ => return None,
        },
        _ => return None,
    };
    let Value::Field(f) = &t.lhs else {
        return None;
    };
    if f.list || t.modifier.is_some() {
        return None;
    }
    match (t.op, &t.rhs) {
        (Op::Eq, Right::Str(v)) => Some((f, vec![v])),
        (Op::In | Op::Intersects, Right::Set(set)) => Some((f, set.iter().collect())),
        _ => None,
    }
}

/// Restrict what is known of `field` to `values` (a new entry: the latest one of a field
/// is what is known, so leaving a scope is a truncation).
fn add_fact(
    facts: &mut Vec<(ResolvedField, HashSet<String>)>,
    field: &ResolvedField,
    values: &[&String],
) {
    let mut known: HashSet<String> = values.iter().map(|v| (*v).clone()).collect();
    if let Some((_, before)) = facts.iter().rev().find(|(f, _)| f == field) {
        known.retain(|v| before.contains(v));
    }
    facts.push((field.clone(), known));
}

/// Simplify a condition given facts true of every event that reaches it:
/// * tests the facts decide are dropped (`and`/`or`/`not` fold around them);
/// * in an `and`, an equality or membership test that passed is a fact for the children
///   after it (`ka.verb = create and ka.verb = delete` is false);
/// * nested `and`s and `or`s without a memo slot are flattened, and in an `or` the
///   `=` / `in` tests of one scalar field become one `in` test over the union.
///
/// The result is the same for every event the facts hold for. A memo slot keeps its
/// meaning: its sub-condition is simplified only by facts that hold whenever it is
/// evaluated, so the value it stores is the sub-condition's value for the event.
fn simplify(node: &Node, facts: &mut Vec<(ResolvedField, HashSet<String>)>) -> Simple {
    match node {
        Node::Test(test) => match Program::decided(test, facts) {
            Some(b) => Simple::Const(b),
            None => Simple::Node(Node::Test(test.clone())),
        },
        Node::Not(inner) => match simplify(inner, facts) {
            Simple::Const(b) => Simple::Const(!b),
            Simple::Node(n) => Simple::Node(Node::Not(Box::new(n))),
        },
        Node::Memo(slot, inner) => match simplify(inner, facts) {
            Simple::Const(b) => Simple::Const(b),
            Simple::Node(n) => Simple::Node(Node::Memo(*slot, Box::new(n))),
        },
        Node::And(items) => {
            let mark = facts.len();
            let mut out = Vec::new();
            let mut result = None;
            for item in items {
                match simplify(item, facts) {
                    Simple::Const(true) => continue,
                    Simple::Const(false) => {
                        result = Some(Simple::Const(false));
                        break;
                    }
                    Simple::Node(n) => {
                        if let Some((field, values)) = fact_of(&n) {
                            add_fact(facts, field, &values);
                        }
                        match n {
                            Node::And(inner) => out.extend(inner),
                            n => out.push(n),
                        }
                    }
                }
            }
            // The facts of this `and` hold only inside it.
            facts.truncate(mark);
            result.unwrap_or_else(|| match out.len() {
                0 => Simple::Const(true),
                1 => Simple::Node(out.pop().unwrap_or(Node::And(Vec::new()))),
                _ => Simple::Node(Node::And(out)),
            })
        }
        Node::Or(items) => {
            let mut out: Vec<Node> = Vec::new();
            for item in items {
                match simplify(item, facts) {
                    Simple::Const(false) => continue,
                    Simple::Const(true) => return Simple::Const(true),
                    Simple::Node(Node::Or(inner)) => out.extend(inner),
                    Simple::Node(n) => out.push(n),
                }
            }
            let out = merge_alternatives(out);
            match out.len() {
                0 => Simple::Const(false),
                1 => Simple::Node(out.into_iter().next().unwrap_or(Node::Or(Vec::new()))),
                _ => Simple::Node(Node::Or(out)),
            }
        }
    }
}

/// In the children of an `or`, fold the `=` / `in` tests of one scalar field (not under a
/// memo slot) into one `in` test, at the place of the first.
fn merge_alternatives(items: Vec<Node>) -> Vec<Node> {
    // (position in `out`, field, values, tests folded)
    let mut merged: Vec<(usize, ResolvedField, Vec<String>, usize)> = Vec::new();
    let mut out: Vec<Node> = Vec::with_capacity(items.len());
    for item in items {
        if matches!(item, Node::Test(_))
            && let Some((field, values)) = fact_of(&item)
        {
            let values: Vec<String> = values.into_iter().cloned().collect();
            if let Some((_, _, acc, n)) = merged.iter_mut().find(|(_, f, _, _)| f == field) {
                acc.extend(values);
                *n += 1;
                continue;
            }
            merged.push((out.len(), field.clone(), values, 1));
        }
        out.push(item);
    }
    for (at, field, values, n) in merged {
        if n > 1 {
            out[at] = Node::Test(Box::new(CTest {
                lhs: Value::Field(field),
                op: Op::In,
                modifier: None,
                rhs: Right::Set(StrSet::new(&values)),
            }));
        }
    }
    out
}

/// Jump target meaning "the condition is true".
const TRUE: u32 = u32::MAX;
/// Jump target meaning "the condition is false".
const FALSE: u32 = u32::MAX - 1;

/// A condition compiled to a flat program: each test names the step to go to when it is
/// true and when it is false (short-circuit `and`/`or`, `not` swapping the two), so an
/// evaluation is a loop over the tests actually needed, without recursion.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    /// Small (20 bytes) and contiguous: a run touches few cache lines.
    steps: Vec<Step>,
    tests: Vec<CTest>,
    entry: u32,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// `tests[test]`.
    Test {
        test: u32,
        t: u32,
        f: u32,
    },
    /// A shared sub-condition: known for this event → `t`/`f`, else evaluate it at `miss`
    /// (whose outcomes go through the two `Store` steps).
    Memo {
        slot: u32,
        t: u32,
        f: u32,
        miss: u32,
    },
    Store {
        slot: u32,
        value: bool,
        next: u32,
    },
}

/// What is known of an event whenever a rule runs: the rule index only lets an event
/// reach a rule when each indexed field is a string among the values the rule can match.
pub(crate) type Known = [(ResolvedField, HashSet<String>)];

impl Program {
    /// Compile a condition tree. `known`: facts guaranteed for every event the program
    /// will see; tests they decide are left out (a rule indexed on `ka.verb = create` does
    /// not compare the verb again).
    pub(crate) fn new(node: &Node, known: &Known) -> Program {
        let mut program = Program::default();
        let mut facts = known.to_vec();
        program.entry = match simplify(node, &mut facts) {
            Simple::Const(true) => TRUE,
            Simple::Const(false) => FALSE,
            Simple::Node(node) => program.emit(&node, TRUE, FALSE),
        };
        program
    }

    /// The outcome of a test when `known` decides it.
    fn decided(test: &CTest, known: &Known) -> Option<bool> {
        if let (Op::In | Op::Intersects, Right::Set(set)) = (test.op, &test.rhs)
            && set.len() == 0
        {
            // Nothing is in an empty list (the overridable `pal_user_*` lists).
            return Some(false);
        }
        let Value::Field(f) = &test.lhs else {
            return None;
        };
        if f.list || test.modifier.is_some() {
            return None;
        }
        let (_, values) = known.iter().rev().find(|(k, _)| k == f)?;
        match (test.op, &test.rhs) {
            (Op::Eq, Right::Str(v)) => {
                if values.iter().all(|x| x == v) {
                    Some(true)
                } else if !values.contains(v) {
                    Some(false)
                } else {
                    None
                }
            }
            (Op::In | Op::Intersects, Right::Set(set)) => {
                let inside = values.iter().filter(|x| set_contains(set, x)).count();
                if inside == values.len() {
                    Some(true)
                } else if inside == 0 {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn push(&mut self, step: Step) -> u32 {
        self.steps.push(step);
        u32::try_from(self.steps.len() - 1).unwrap_or(FALSE)
    }

    /// Emit `node` (simplified) so that it continues at `t` when true and at `f` when
    /// false; returns its entry.
    fn emit(&mut self, node: &Node, t: u32, f: u32) -> u32 {
        match node {
            Node::And(items) => items
                .iter()
                .rev()
                .fold(t, |next, item| self.emit(item, next, f)),
            Node::Or(items) => items
                .iter()
                .rev()
                .fold(f, |next, item| self.emit(item, t, next)),
            Node::Not(inner) => self.emit(inner, f, t),
            Node::Test(test) => {
                self.tests.push((**test).clone());
                let test = u32::try_from(self.tests.len() - 1).unwrap_or(u32::MAX);
                self.push(Step::Test { test, t, f })
            }
            Node::Memo(slot, inner) => {
                let slot = *slot;
                let st = self.push(Step::Store {
                    slot,
                    value: true,
                    next: t,
                });
                let sf = self.push(Step::Store {
                    slot,
                    value: false,
                    next: f,
                });
                let miss = self.emit(inner, st, sf);
                self.push(Step::Memo { slot, t, f, miss })
            }
        }
    }

    /// Number of steps (tests and memo bookkeeping) left after compilation.
    #[cfg(test)]
    pub(crate) fn steps_len(&self) -> usize {
        self.steps.len()
    }

    /// Evaluate for an event (the same result as walking the condition tree).
    pub(crate) fn run(
        &self,
        event: &dyn Event,
        prefilters: &Prefilters,
        scratch: &mut Scratch,
    ) -> bool {
        let mut pc = self.entry;
        loop {
            let Some(step) = self.steps.get(pc as usize) else {
                return pc == TRUE;
            };
            pc = match step {
                Step::Test { test, t, f } => {
                    let Some(test) = self.tests.get(*test as usize) else {
                        return false;
                    };
                    if eval_test(test, event, prefilters, scratch) {
                        *t
                    } else {
                        *f
                    }
                }
                Step::Memo { slot, t, f, miss } => {
                    let i = *slot as usize;
                    if scratch.memo_stamp.get(i) == Some(&scratch.event) {
                        if scratch.memo_value[i] { *t } else { *f }
                    } else {
                        *miss
                    }
                }
                Step::Store { slot, value, next } => {
                    let i = *slot as usize;
                    if let Some(stamp) = scratch.memo_stamp.get_mut(i) {
                        *stamp = scratch.event;
                        scratch.memo_value[i] = *value;
                    }
                    *next
                }
            };
        }
    }
}

/// Evaluate a node by walking the tree (the reference [`Program::run`] is checked against).
#[cfg(test)]
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
    if let Right::Networks(networks) = &test.rhs {
        return network_test(test.op, networks, &lhs);
    }
    match lhs {
        FieldValue::Absent => false,
        FieldValue::List(items) if matches!(&test.lhs, Value::Field(f) if f.any_element) => {
            items.iter().any(|item| eval_scalar(test, item, event))
        }
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
        FieldValue::Str(value) => eval_scalar(test, &value, event),
    }
}

/// `=`/`in`/`intersects`: some address of the value is in one of `networks`; `!=`: none
/// is. A value that is not an address is in no network.
fn network_test(op: Op, networks: &[IpNetwork], value: &FieldValue<'_>) -> bool {
    let inside = |text: &str| {
        text.parse::<std::net::IpAddr>()
            .is_ok_and(|addr| networks.iter().any(|n| n.contains(addr)))
    };
    let hit = match value {
        FieldValue::Str(s) => inside(s),
        FieldValue::List(items) => items.iter().any(|i| inside(i)),
        FieldValue::Absent => return false,
    };
    if op == Op::Ne { !hit } else { hit }
}

/// A test on one value.
fn eval_scalar(test: &CTest, value: &str, event: &dyn Event) -> bool {
    match (&test.rhs, test.modifier) {
        (Right::List(items), Some(modifier)) => {
            let hits = items
                .iter()
                .filter(|rhs| scalar_op(test.op, value, rhs))
                .count();
            match modifier {
                Modifier::AnyOf => hits >= 1,
                Modifier::OneOf => hits == 1,
                Modifier::AllOf => hits == items.len(),
            }
        }
        (Right::Set(set), _) => set_contains(set, value),
        (Right::List(prefixes), _) if test.op == Op::PMatch => path_prefix_match(prefixes, value),
        (Right::Num(n), _) => parse_number(value).is_some_and(|v| compare_num(test.op, v, *n)),
        (Right::Bytes(bytes), _) => {
            let hay = value.as_bytes();
            match test.op {
                Op::BStartsWith => hay.starts_with(bytes),
                _ => !bytes.is_empty() && hay.windows(bytes.len()).any(|w| w == bytes.as_slice()),
            }
        }
        (Right::Regex(re), _) => re.is_match(value),
        (Right::Str(rhs), _) => scalar_op(test.op, value, rhs),
        (Right::Other(v), _) => match eval_value(v, event) {
            FieldValue::Str(rhs) => scalar_op(test.op, value, &rhs),
            FieldValue::List(xs) if matches!(test.op, Op::In | Op::Intersects) => {
                xs.iter().any(|x| x.as_ref() == value)
            }
            _ => false,
        },
        _ => false,
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
        // No automaton (few literals): compare this one directly, with the automaton's
        // semantics (bytes; ASCII case folding for `icontains`).
        return match eval_value(&test.lhs, event) {
            FieldValue::Str(v) => {
                literal_match(v.as_bytes(), text.as_bytes(), entry.case_insensitive)
            }
            _ => false,
        };
    };
    if !scratch.done[prefilter] {
        scratch.done[prefilter] = true;
        let found = &mut scratch.found[prefilter];
        found.clear();
        found.resize(entry.literals.len(), false);
        if let FieldValue::Str(value) = event.get(&entry.field) {
            scan_literals(automaton, value.as_bytes(), found);
        }
    }
    scratch.found[prefilter]
        .get(literal)
        .copied()
        .unwrap_or(false)
}

/// Mark every literal of `dfa` found in `hay` (overlapping occurrences count).
fn scan_literals(dfa: &aho_corasick::dfa::DFA, hay: &[u8], found: &mut [bool]) {
    use aho_corasick::Anchored;
    use aho_corasick::automaton::Automaton;
    let Ok(mut sid) = dfa.start_state(Anchored::No) else {
        return;
    };
    for &b in hay {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            if dfa.is_dead(sid) {
                return;
            }
            if dfa.is_match(sid) {
                for k in 0..dfa.match_len(sid) {
                    if let Some(f) = found.get_mut(dfa.match_pattern(sid, k).as_usize()) {
                        *f = true;
                    }
                }
            }
        }
    }
}

/// One literal in a value: a substring, bytewise, with ASCII case folding when `ci` (the
/// automaton's semantics).
fn literal_match(hay: &[u8], lit: &[u8], ci: bool) -> bool {
    if !ci {
        return memchr::memmem::find(hay, lit).is_some();
    }
    let Some((&first, rest)) = lit.split_first() else {
        return true;
    };
    if hay.len() < lit.len() {
        return false;
    }
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = hay.len() - lit.len();
    let mut from = 0;
    while from <= last_start {
        let Some(pos) = memchr::memchr2(lo, up, &hay[from..=last_start]) else {
            return false;
        };
        let at = from + pos;
        if hay[at + 1..at + lit.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
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
    values_of(node, &|f| f.display == index_field)
}

/// The values of `field` a condition can match (`None`: any value, or the field absent).
/// When it is `Some(set)`, the condition is false for every event whose `field` is absent,
/// a list, or a string outside `set`: a necessary condition the engine indexes rules by.
pub(crate) fn field_values(node: &Node, field: &ResolvedField) -> Option<HashSet<String>> {
    values_of(node, &|f| f == field)
}

fn values_of(node: &Node, is_field: &dyn Fn(&ResolvedField) -> bool) -> Option<HashSet<String>> {
    match node {
        Node::And(items) => {
            let mut acc: Option<HashSet<String>> = None;
            for item in items {
                if let Some(set) = values_of(item, is_field) {
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
                acc.extend(values_of(item, is_field)?);
            }
            Some(acc)
        }
        Node::Not(_) => None,
        Node::Memo(_, inner) => values_of(inner, is_field),
        Node::Test(test) => match (&test.lhs, test.op, &test.rhs, test.modifier) {
            (Value::Field(f), Op::Eq, Right::Str(v), None) if !f.list && is_field(f) => {
                Some(std::iter::once(v.clone()).collect())
            }
            (Value::Field(f), Op::In | Op::Intersects, Right::Set(set), None)
                if !f.list && is_field(f) =>
            {
                Some(set.iter().cloned().collect())
            }
            _ => None,
        },
    }
}

/// The scalar fields a condition compares with `=` or `in` against literals: the fields
/// whose values may narrow which rules an event needs (see [`field_values`]).
pub(crate) fn equality_fields(node: &Node, out: &mut Vec<ResolvedField>) {
    match node {
        Node::And(items) | Node::Or(items) => {
            items.iter().for_each(|n| equality_fields(n, out));
        }
        Node::Not(_) => {}
        Node::Memo(_, inner) => equality_fields(inner, out),
        Node::Test(test) => {
            if let (Value::Field(f), Op::Eq | Op::In | Op::Intersects, None) =
                (&test.lhs, test.op, test.modifier)
                && !f.list
                && matches!(test.rhs, Right::Str(_) | Right::Set(_))
                && !out.contains(f)
            {
                out.push(f.clone());
            }
        }
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

    /// Audit list fields keep Falco's json semantics: `in` means every element, and a
    /// scalar operator is refused at load with the field named.
    #[test]
    fn audit_list_fields_refuse_scalar_operators() {
        assert!(fired(
            "ka.user.groups in (system:serviceaccounts, system:authenticated, x)",
            EVENT
        ));
        assert!(!fired("ka.user.groups in (system:authenticated)", EVENT));
        assert!(fired(
            "ka.user.groups intersects (system:authenticated)",
            EVENT
        ));
        let rules = "- rule: r\n  desc: d\n  condition: ka.user.groups = system:authenticated\n  output: o\n  priority: WARNING\n  source: k8s_audit\n";
        let loaded = palisade_rules::load(&[palisade_rules::RulesFile {
            path: "r.yaml",
            text: rules,
        }]);
        let (_, skipped) = Engine::new(&loaded, &K8sAuditFields, &EngineOptions::default());
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].reason.contains("cannot be used on a list field")
                && skipped[0].reason.contains("ka.user.groups"),
            "{}",
            skipped[0].reason
        );
    }

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
    fn literal_search_matches_a_plain_search_with_and_without_the_automaton() {
        use super::{literal_match, scan_literals};
        // Small alphabet (ASCII letters of both cases, a non-ASCII letter) so that overlaps,
        // case variants and near misses are frequent.
        let alphabet = ["a", "b", "A", "B", "é", "-"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut word = |max: u64| {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..=(seed % max) {
                s.push_str(alphabet[((seed >> (4 * k)) % alphabet.len() as u64) as usize]);
            }
            s
        };
        let reference = |hay: &str, lit: &str, ci: bool| {
            if ci {
                hay.to_ascii_lowercase().contains(&lit.to_ascii_lowercase())
            } else {
                hay.contains(lit)
            }
        };
        for _ in 0..300 {
            let literals: Vec<String> = (0..4).map(|_| word(3)).collect();
            for ci in [false, true] {
                let dfa = aho_corasick::dfa::DFA::builder()
                    .ascii_case_insensitive(ci)
                    .match_kind(aho_corasick::MatchKind::Standard)
                    .prefilter(false)
                    .build(&literals)
                    .unwrap();
                for _ in 0..10 {
                    let hay = word(12);
                    let mut found = vec![false; literals.len()];
                    scan_literals(&dfa, hay.as_bytes(), &mut found);
                    for (lit, f) in literals.iter().zip(&found) {
                        let want = reference(&hay, lit, ci);
                        assert_eq!(*f, want, "{hay:?} {lit:?} ci={ci}");
                        assert_eq!(literal_match(hay.as_bytes(), lit.as_bytes(), ci), want);
                    }
                }
            }
        }
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
