//! The engine: compiled rules, the rule index, per-event evaluation, thresholds and
//! de-duplication across audit stages.

use crate::compile::{
    CompileError, CompiledRule, Node, Prefilters, Scratch, Value, compile_expr, compile_operand,
    eval, eval_value, index_values, reads_field,
};
use crate::field::{Event, FieldTable, FieldValue, ResolvedField};
use crate::output::OutputFormat;
use palisade_rules::{Loaded, Priority, Rule};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// Which matching rules fire for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Every matching rule (Palisade's default: a second technique should not be hidden).
    #[default]
    All,
    /// Only the first matching rule in load order (Falco's default).
    First,
}

/// Engine settings.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// First or all matches.
    pub matching: RuleMatching,
    /// Rules below this priority are not loaded.
    pub min_priority: Option<Priority>,
}

/// A rule the engine could not or would not run, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    /// Rule name.
    pub rule: String,
    /// File and position of the rule.
    pub path: String,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
    /// Why.
    pub reason: String,
    /// `true` when this is an error (the rule should have run), `false` for expected skips
    /// (other source, disabled, below the priority floor, skip-if-unknown-filter).
    pub error: bool,
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// Rendered output sentence.
    pub output: String,
    /// `(token, value)` of every output field.
    pub fields: Vec<(String, String)>,
    /// Event time (ns since the epoch).
    pub time_ns: i64,
    /// For threshold rules: how many events were counted in the window.
    pub count: Option<u64>,
}

struct Threshold {
    count: u64,
    window_ns: i64,
    group_by: Vec<Value>,
}

struct Runnable {
    compiled: CompiledRule,
    rule: Rule,
    output: OutputFormat,
    threshold: Option<Threshold>,
}

/// Statistics of one engine run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Events evaluated.
    pub events: u64,
    /// Rule evaluations performed (after the index).
    pub evaluations: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts not raised because the same request already alerted at another stage.
    pub deduplicated: u64,
}

/// A set of compiled rules for one source, with its state.
pub struct Engine<'t> {
    table: &'t dyn FieldTable,
    rules: Vec<Runnable>,
    by_index: HashMap<String, Vec<usize>>,
    any_index: Vec<usize>,
    index_field: Option<ResolvedField>,
    request_field: Option<ResolvedField>,
    prefilters: Prefilters,
    scratch: Scratch,
    matching: RuleMatching,
    windows: HashMap<(usize, String), VecDeque<i64>>,
    seen_current: HashSet<u64>,
    seen_previous: HashSet<u64>,
    stats: EngineStats,
    candidates: Vec<usize>,
}

const DEDUPE_GENERATION: usize = 200_000;
const WINDOW_SWEEP_EVERY: u64 = 65_536;

impl<'t> Engine<'t> {
    /// Compile the rules of `loaded` whose source is `table.source()`. Rules that cannot run
    /// are returned with the reason; the others run.
    pub fn new(
        loaded: &Loaded,
        table: &'t dyn FieldTable,
        options: &EngineOptions,
    ) -> (Engine<'t>, Vec<SkippedRule>) {
        let mut prefilters = Prefilters::default();
        let mut rules = Vec::new();
        let mut skipped = Vec::new();
        for (index, rule) in loaded.rules.iter().enumerate() {
            let skip = |reason: String, error: bool| SkippedRule {
                rule: rule.name.clone(),
                path: rule.path.clone(),
                line: rule.pos.line,
                column: rule.pos.column,
                reason,
                error,
            };
            if rule.source != table.source() {
                skipped.push(skip(
                    format!(
                        "source `{}` is not this input's source `{}`",
                        rule.source,
                        table.source()
                    ),
                    false,
                ));
                continue;
            }
            if !rule.enabled {
                skipped.push(skip("disabled".into(), false));
                continue;
            }
            if let Some(min) = options.min_priority
                && rule.priority > min
            {
                skipped.push(skip(
                    format!(
                        "priority {} is below the {} floor",
                        rule.priority.as_str(),
                        min.as_str()
                    ),
                    false,
                ));
                continue;
            }
            match compile_rule(index, rule, table, &mut prefilters) {
                Ok(runnable) => rules.push(runnable),
                Err(e) => {
                    let field = e
                        .field
                        .as_deref()
                        .map(|f| format!(" (field `{f}`)"))
                        .unwrap_or_default();
                    skipped.push(skip(
                        format!("{}{field}", e.message),
                        !rule.skip_if_unknown_filter,
                    ));
                }
            }
        }
        prefilters.build();
        let mut by_index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut any_index = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            match &r.compiled.index_values {
                Some(values) => {
                    for v in values {
                        by_index.entry(v.clone()).or_default().push(i);
                    }
                }
                None => any_index.push(i),
            }
        }
        // Each index value's list also holds the rules that match any value, merged in load
        // order once here rather than per event.
        for list in by_index.values_mut() {
            list.extend_from_slice(&any_index);
            list.sort_unstable();
            list.dedup();
        }
        let resolve = |name: Option<&'static str>| name.and_then(|n| table.resolve(n, None).ok());
        let engine = Engine {
            table,
            index_field: resolve(table.index_field()),
            request_field: resolve(table.request_id_field()),
            rules,
            by_index,
            any_index,
            prefilters,
            scratch: Scratch::default(),
            matching: options.matching,
            windows: HashMap::new(),
            seen_current: HashSet::new(),
            seen_previous: HashSet::new(),
            stats: EngineStats::default(),
            candidates: Vec::new(),
        };
        (engine, skipped)
    }

    /// The rules that will run.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|r| &r.rule)
    }

    /// Counters so far.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Evaluate one event; `sink` receives each alert.
    pub fn process(&mut self, event: &dyn Event, mut sink: impl FnMut(Alert<'_>)) {
        self.stats.events += 1;
        self.scratch.reset(&self.prefilters);
        // Candidate rules: the list for this event's index value (which already holds the
        // rules that match any value), else the value-agnostic rules alone.
        let index_value = self.index_field.as_ref().map(|f| event.get(f));
        let candidates: &[usize] = match &index_value {
            Some(FieldValue::Str(v)) => self
                .by_index
                .get(v.as_ref())
                .map_or(self.any_index.as_slice(), Vec::as_slice),
            _ => self.any_index.as_slice(),
        };
        self.candidates.clear();
        self.candidates.extend_from_slice(candidates);
        // Hashing the request id and parsing the timestamp wait until a rule matches.
        let mut request_hash: Option<Option<u64>> = None;
        let mut time: Option<i64> = None;
        if self.stats.events.is_multiple_of(WINDOW_SWEEP_EVERY) {
            let now = *time.get_or_insert_with(|| event.time_ns());
            self.sweep_windows(now);
        }
        for ci in 0..self.candidates.len() {
            let i = self.candidates[ci];
            self.stats.evaluations += 1;
            let runnable = &self.rules[i];
            if !eval(
                &runnable.compiled.condition,
                event,
                &self.prefilters,
                &mut self.scratch,
            ) {
                continue;
            }
            // One request, several stages: alert once unless the rule looks at the stage.
            let request_field = &self.request_field;
            let hash = *request_hash.get_or_insert_with(|| {
                request_field.as_ref().and_then(|f| match event.get(f) {
                    FieldValue::Str(id) => {
                        let mut h = DefaultHasher::new();
                        id.hash(&mut h);
                        Some(h.finish())
                    }
                    _ => None,
                })
            });
            if !runnable.compiled.reads_stage
                && let Some(h) = hash
            {
                let key = h ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                if self.seen_current.contains(&key) || self.seen_previous.contains(&key) {
                    self.stats.deduplicated += 1;
                    if self.matching == RuleMatching::First {
                        break;
                    }
                    continue;
                }
                if self.seen_current.len() >= DEDUPE_GENERATION {
                    self.seen_previous = std::mem::take(&mut self.seen_current);
                }
                self.seen_current.insert(key);
            }
            let time_ns = *time.get_or_insert_with(|| event.time_ns());
            let mut count = None;
            if let Some(threshold) = &runnable.threshold {
                let mut key = String::new();
                for g in &threshold.group_by {
                    key.push_str(&eval_value(g, event).render());
                    key.push('\u{1f}');
                }
                let window = self.windows.entry((i, key)).or_default();
                window.push_back(time_ns);
                while window
                    .front()
                    .is_some_and(|&t| t < time_ns - threshold.window_ns)
                {
                    window.pop_front();
                }
                if (window.len() as u64) < threshold.count {
                    continue;
                }
                count = Some(window.len() as u64);
                // Fire once per full window, then start counting again.
                window.clear();
            }
            let mut fields = Vec::new();
            let output = runnable.output.render(event, &mut fields);
            self.stats.alerts += 1;
            sink(Alert {
                rule: &runnable.rule,
                output,
                fields,
                time_ns,
                count,
            });
            if self.matching == RuleMatching::First {
                break;
            }
        }
    }

    /// Drop threshold windows that can no longer fire, so state stays proportional to the
    /// active keys, not to the number of events.
    fn sweep_windows(&mut self, now_ns: i64) {
        let rules = &self.rules;
        self.windows.retain(|(i, _), window| {
            let window_ns = rules[*i].threshold.as_ref().map_or(0, |t| t.window_ns);
            window.back().is_some_and(|&t| t >= now_ns - window_ns)
        });
    }

    /// The fields a rule's condition reads and their values in `event`: what a rule test
    /// prints when an expectation fails.
    pub fn explain(&self, rule: &str, event: &dyn Event) -> Vec<(String, String)> {
        let Some(r) = self.rules.iter().find(|r| r.rule.name == rule) else {
            return Vec::new();
        };
        let mut fields = Vec::new();
        crate::compile::condition_fields(&r.compiled.condition, &mut fields);
        fields
            .iter()
            .map(|f| (f.display.clone(), event.get(f).render()))
            .collect()
    }

    /// The source's field table.
    pub fn table(&self) -> &dyn FieldTable {
        self.table
    }
}

fn compile_rule(
    index: usize,
    rule: &Rule,
    table: &dyn FieldTable,
    prefilters: &mut Prefilters,
) -> Result<Runnable, CompileError> {
    let mut condition: Node = compile_expr(&rule.condition, table, prefilters)?;
    crate::compile::order_by_cost(&mut condition, table);
    let output = OutputFormat::compile(&rule.output, table)?;
    let threshold = match &rule.threshold {
        None => None,
        Some(t) => Some(Threshold {
            count: t.count.max(1),
            window_ns: i64::try_from(t.window_secs)
                .unwrap_or(i64::MAX / 2_000_000_000)
                .saturating_mul(1_000_000_000),
            group_by: t
                .group_by
                .iter()
                .map(|f| compile_operand(&palisade_rules::ast::Operand::Field(f.clone()), table))
                .collect::<Result<_, _>>()?,
        }),
    };
    let index_values = table
        .index_field()
        .and_then(|f| index_values(&condition, f));
    let reads_stage = reads_field(&condition, &|d| table.is_stage_field(d));
    Ok(Runnable {
        compiled: CompiledRule {
            index,
            name: rule.name.clone(),
            condition,
            reads_stage,
            index_values,
        },
        rule: rule.clone(),
        output,
        threshold,
    })
}
