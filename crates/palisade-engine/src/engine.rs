//! The engine: compiled rules, the rule index, per-event evaluation, thresholds and
//! de-duplication across audit stages.

use crate::compile::{
    CompileError, CompiledRule, Node, Prefilters, Program, Scratch, StrTable, Value, compile_expr,
    compile_operand, equality_fields, eval_value, field_values, index_values, reads_field,
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

/// A rule that runs, but whose output names fields this source does not have: they
/// render as `<NA>` (Falco's `%proc.cwd` on the runtime sensor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputGap {
    /// Rule name.
    pub rule: String,
    /// File of the rule.
    pub path: String,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
    /// The fields, as written.
    pub fields: Vec<String>,
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
    /// The condition as a flat program (what runs per event).
    program: Program,
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

/// One field rules are indexed by: for each value some rule requires, the rules that can
/// match an event with that value (as a bit set over the rules, in load order); `other`
/// holds the rules that can match whatever the value is (absent included).
struct FieldIndex {
    field: ResolvedField,
    /// The values some rule requires, numbered.
    values: StrTable,
    /// For value number `n`, words `n * w .. (n + 1) * w` (`w` words per rule set).
    bits: Vec<u64>,
    other: Box<[u64]>,
}

/// A set of compiled rules for one source, with its state.
pub struct Engine<'t> {
    table: &'t dyn FieldTable,
    rules: Vec<Runnable>,
    /// Candidate rules of an event: the intersection of each index's set for its value.
    indexes: Vec<FieldIndex>,
    /// Every rule, as a bit set.
    all_rules: Box<[u64]>,
    request_field: Option<ResolvedField>,
    prefilters: Prefilters,
    scratch: Scratch,
    matching: RuleMatching,
    windows: HashMap<(usize, String), VecDeque<i64>>,
    seen_current: HashSet<u64>,
    seen_previous: HashSet<u64>,
    stats: EngineStats,
    candidates: Vec<u64>,
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
        let (indexes, all_rules) = build_indexes(&rules, table);
        // What the index guarantees about the events each rule sees decides some of its
        // tests in advance.
        for r in &mut rules {
            let known: Vec<_> = indexes
                .iter()
                .filter_map(|ix| {
                    field_values(&r.compiled.condition, &ix.field).map(|v| (ix.field.clone(), v))
                })
                .collect();
            r.program = Program::new(&r.compiled.condition, &known);
        }
        let resolve = |name: Option<&'static str>| name.and_then(|n| table.resolve(n, None).ok());
        let engine = Engine {
            table,
            request_field: resolve(table.request_id_field()),
            rules,
            indexes,
            all_rules,
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

    /// The running rules whose output names fields this source does not have, in load
    /// order.
    pub fn output_gaps(&self) -> Vec<OutputGap> {
        self.rules
            .iter()
            .filter(|r| !r.output.unavailable().is_empty())
            .map(|r| OutputGap {
                rule: r.rule.name.clone(),
                path: r.rule.path.clone(),
                line: r.rule.pos.line,
                column: r.rule.pos.column,
                fields: r.output.unavailable().to_vec(),
            })
            .collect()
    }

    /// Counters so far.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Evaluate one event; `sink` receives each alert.
    pub fn process(&mut self, event: &dyn Event, mut sink: impl FnMut(Alert<'_>)) {
        self.stats.events += 1;
        self.scratch.reset(&self.prefilters);
        self.find_candidates(event);
        // Hashing the request id and parsing the timestamp wait until a rule matches.
        let mut request_hash: Option<Option<u64>> = None;
        let mut time: Option<i64> = None;
        if self.stats.events.is_multiple_of(WINDOW_SWEEP_EVERY) {
            let now = *time.get_or_insert_with(|| event.time_ns());
            self.sweep_windows(now);
        }
        let mut word = 0;
        while let Some(i) = pop_lowest(&mut self.candidates, &mut word) {
            self.stats.evaluations += 1;
            let runnable = &self.rules[i];
            if !runnable
                .program
                .run(event, &self.prefilters, &mut self.scratch)
            {
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

    /// Candidate rules of `event` into `self.candidates`: those whose necessary field
    /// values (verb, stage, resource...) the event has.
    fn find_candidates(&mut self, event: &dyn Event) {
        self.candidates.clear();
        self.candidates.extend_from_slice(&self.all_rules);
        let words = self.all_rules.len();
        for index in &self.indexes {
            let bits = match event.get(&index.field) {
                FieldValue::Str(v) => index
                    .values
                    .find(&v)
                    .and_then(|n| index.bits.get(n * words..(n + 1) * words))
                    .unwrap_or(&index.other),
                _ => &index.other,
            };
            for (c, b) in self.candidates.iter_mut().zip(bits) {
                *c &= b;
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

/// Take the lowest set bit of `bits` at or after word `word` (load order of the rules).
#[inline]
fn pop_lowest(bits: &mut [u64], word: &mut usize) -> Option<usize> {
    while let Some(w) = bits.get_mut(*word) {
        if *w != 0 {
            let bit = w.trailing_zeros() as usize;
            *w &= *w - 1;
            return Some(*word * 64 + bit);
        }
        *word += 1;
    }
    None
}

/// The field indexes: every cheap scalar field that some rule compares with `=` / `in`
/// against literals on every path to a match (the index field of the table, e.g. the
/// verb, and others such as the stage or the resource). An event is evaluated only against
/// the rules whose required values it has, in every index.
fn build_indexes(rules: &[Runnable], table: &dyn FieldTable) -> (Vec<FieldIndex>, Box<[u64]>) {
    let words = rules.len().div_ceil(64);
    let mut all = vec![0u64; words];
    for i in 0..rules.len() {
        all[i / 64] |= 1 << (i % 64);
    }
    let mut fields = Vec::new();
    if let Some(f) = table
        .index_field()
        .and_then(|n| table.resolve(n, None).ok())
    {
        fields.push(f);
    }
    for r in rules {
        equality_fields(&r.compiled.condition, &mut fields);
    }
    let index_field = table.index_field();
    let mut indexes = Vec::new();
    for field in fields {
        // Only fields that cost nothing to read (an index is read for every event), and
        // the source's own index field.
        let cheap = table.cost(&field) <= 1 || index_field == Some(field.display.as_str());
        if field.list || !cheap {
            continue;
        }
        let sets: Vec<Option<HashSet<String>>> = rules
            .iter()
            .map(|r| field_values(&r.compiled.condition, &field))
            .collect();
        if sets.iter().all(Option::is_none) {
            continue;
        }
        let mut other = vec![0u64; words];
        for (i, set) in sets.iter().enumerate() {
            if set.is_none() {
                other[i / 64] |= 1 << (i % 64);
            }
        }
        let mut all_values: Vec<&str> = sets
            .iter()
            .flatten()
            .flatten()
            .map(String::as_str)
            .collect();
        all_values.sort_unstable();
        let values = StrTable::new(all_values);
        let mut bits = Vec::with_capacity(values.len() * words);
        for _ in 0..values.len() {
            bits.extend_from_slice(&other);
        }
        for (i, set) in sets.iter().enumerate() {
            for v in set.iter().flatten() {
                if let Some(n) = values.find(v) {
                    bits[n * words + i / 64] |= 1 << (i % 64);
                }
            }
        }
        indexes.push((
            sets.iter().filter(|s| s.is_some()).count(),
            FieldIndex {
                field,
                values,
                bits,
                other: other.into_boxed_slice(),
            },
        ));
    }
    // The most selective first (stable: ties keep first-use order).
    indexes.sort_by_key(|(constrained, _)| std::cmp::Reverse(*constrained));
    (
        indexes.into_iter().map(|(_, i)| i).collect(),
        all.into_boxed_slice(),
    )
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
        // Compiled once the index is known (see `Engine::new`).
        program: Program::default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::eval;
    use crate::k8s_audit::{AuditEvent, K8sAuditFields};
    use serde_json::{Value as Json, json};
    use std::path::Path;

    impl Engine<'_> {
        /// The rules the index and the compiled programs find for `event` (no
        /// de-duplication, no thresholds).
        fn matching(&mut self, event: &dyn Event) -> Vec<usize> {
            self.scratch.reset(&self.prefilters);
            self.find_candidates(event);
            let mut out = Vec::new();
            let mut word = 0;
            while let Some(i) = pop_lowest(&mut self.candidates, &mut word) {
                if self.rules[i]
                    .program
                    .run(event, &self.prefilters, &mut self.scratch)
                {
                    out.push(i);
                }
            }
            out
        }

        /// The same by walking every rule's condition tree, without the index.
        fn matching_by_tree(&self, event: &dyn Event) -> Vec<usize> {
            let mut scratch = Scratch::default();
            scratch.reset(&self.prefilters);
            (0..self.rules.len())
                .filter(|&i| {
                    eval(
                        &self.rules[i].compiled.condition,
                        event,
                        &self.prefilters,
                        &mut scratch,
                    )
                })
                .collect()
        }
    }

    fn repo() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
    }

    fn rules_texts(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("rules directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("rules file");
                (p.display().to_string(), text)
            })
            .collect()
    }

    fn load(texts: &[(String, String)]) -> Loaded {
        let files: Vec<_> = texts
            .iter()
            .map(|(path, text)| palisade_rules::RulesFile { path, text })
            .collect();
        let loaded = palisade_rules::load(&files);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded
    }

    /// xorshift64*: deterministic variety without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn index(&mut self, len: usize) -> usize {
            (self.next() % len as u64) as usize
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.index(items.len())]
        }
    }

    /// The example attack log, and variations of its events: every field the index or
    /// the rules' first tests read takes common, rare and missing values.
    fn events() -> Vec<String> {
        let text =
            std::fs::read_to_string(repo().join("examples/audit/cryptojacking-attack.jsonl"))
                .expect("example audit log");
        let originals: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("example event"))
            .collect();
        let verbs = [
            "get",
            "list",
            "watch",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
            "",
        ];
        let stages = ["RequestReceived", "ResponseStarted", "ResponseComplete", ""];
        let targets = [
            ("pods", ""),
            ("pods", "exec"),
            ("pods", "attach"),
            ("pods", "ephemeralcontainers"),
            ("deployments", ""),
            ("deployments", "scale"),
            ("daemonsets", ""),
            ("cronjobs", ""),
            ("secrets", ""),
            ("serviceaccounts", ""),
            ("serviceaccounts", "token"),
            ("nodes", "proxy"),
            ("clusterrolebindings", ""),
            ("roles", ""),
            ("services", ""),
            ("events", ""),
            ("namespaces", ""),
            ("selfsubjectrulesreviews", ""),
            ("validatingwebhookconfigurations", ""),
            ("", ""),
        ];
        let users: [(&str, &[&str]); 7] = [
            ("system:anonymous", &["system:unauthenticated"]),
            ("alice", &["system:authenticated"]),
            ("bob", &["system:unauthenticated", "x"]),
            (
                "system:serviceaccount:shop:default",
                &["system:serviceaccounts"],
            ),
            ("system:node:worker-1", &["system:nodes"]),
            ("system:kube-controller-manager", &[]),
            (
                "system:serviceaccount:kube-system:replicaset-controller",
                &[],
            ),
        ];
        let codes = [
            json!(200),
            json!(201),
            json!(401),
            json!(403),
            json!(500),
            json!("200"),
            Json::Null,
        ];
        let agents = [
            "kubectl/v1.29.2",
            "curl/8.5.0",
            "Kube-Hunter",
            "python-requests/2.31",
            "",
        ];
        let uris = [
            "/api/v1/pods",
            "/healthz",
            "/api/v1/nodes/n/proxy/run/ns/p/c",
            "/version?x=1",
        ];
        let namespaces = ["kube-system", "shop", "falco", ""];
        let names = [
            "web",
            "kube-proxy-x",
            "etcd-m",
            "falco",
            "sh.helm.release.v1.a",
            "dashboard",
            "",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut out: Vec<String> = originals.iter().map(Json::to_string).collect();
        for i in 0..2_500 {
            let mut e = originals[i % originals.len()].clone();
            let o = e.as_object_mut().expect("object");
            let set = |o: &mut serde_json::Map<String, Json>, key: &str, v: &str| {
                if v.is_empty() {
                    o.remove(key);
                } else {
                    o.insert(key.to_owned(), json!(v));
                }
            };
            set(o, "verb", rng.pick(&verbs));
            set(o, "stage", rng.pick(&stages));
            set(o, "userAgent", rng.pick(&agents));
            set(o, "requestURI", rng.pick(&uris));
            let (resource, sub) = rng.pick(&targets);
            if resource.is_empty() {
                o.remove("objectRef");
            } else {
                let mut r = json!({"resource": resource, "apiVersion": "v1"});
                for (k, v) in [
                    ("subresource", sub),
                    ("namespace", rng.pick(&namespaces)),
                    ("name", rng.pick(&names)),
                ] {
                    if !v.is_empty() {
                        r[k] = json!(v);
                    }
                }
                o.insert("objectRef".into(), r);
            }
            let (user, groups) = rng.pick(&users);
            o.insert("user".into(), json!({"username": user, "groups": groups}));
            match &codes[rng.index(codes.len())] {
                Json::Null => {
                    o.remove("responseStatus");
                }
                code => {
                    o.insert("responseStatus".into(), json!({"code": code}));
                }
            }
            if rng.next().is_multiple_of(20) {
                o.remove("auditID");
            }
            out.push(e.to_string());
        }
        out
    }

    /// The index (verb, stage, resource...), the tests it decides in advance, the flat
    /// programs and the cheaper string tests find exactly the rules that walking every
    /// rule's condition tree finds.
    fn check_pack(texts: &[(String, String)]) {
        let loaded = load(texts);
        let table = K8sAuditFields;
        let (mut engine, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
        assert!(skipped.iter().all(|s| !s.error), "{skipped:?}");
        assert!(!engine.indexes.is_empty());
        let mut fired = 0;
        for text in events() {
            let event = AuditEvent::parse(&text).expect("event");
            let by_tree = engine.matching_by_tree(&event);
            assert_eq!(engine.matching(&event), by_tree, "{text}");
            fired += by_tree.len();
        }
        assert!(fired > 100, "too few matches to mean anything: {fired}");
    }

    #[test]
    fn index_and_programs_agree_with_the_condition_trees_on_the_builtin_pack() {
        check_pack(&rules_texts(&repo().join("rules/k8s_audit")));
    }

    #[test]
    fn index_and_programs_agree_with_the_condition_trees_on_falco_rules() {
        let path = repo().join("../shared/rules/falco/k8s_audit_rules.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return; // Falco's rules are not vendored; checked when present.
        };
        check_pack(&[(path.display().to_string(), text)]);
    }

    #[test]
    fn index_skips_rules_by_every_required_field() {
        let rules = "- rule: r\n  desc: d\n  condition: ka.verb = create and jevt.value[/stage] in (ResponseComplete, ResponseStarted) and ka.target.resource = pods and not ka.verb = delete\n  output: o\n  priority: WARNING\n  source: k8s_audit\n";
        let loaded = load(&[("r.yaml".into(), rules.into())]);
        let table = K8sAuditFields;
        let (mut engine, _) = Engine::new(&loaded, &table, &EngineOptions::default());
        let mut displays: Vec<&str> = engine
            .indexes
            .iter()
            .map(|i| i.field.display.as_str())
            .collect();
        displays.sort_unstable();
        assert_eq!(
            displays,
            ["jevt.value[/stage]", "ka.target.resource", "ka.verb"]
        );
        // The index decides every test: nothing is left to evaluate.
        assert!(engine.rules[0].program.steps_len() == 0);
        let ev = |verb: &str, stage: &str, resource: &str| {
            format!(
                r#"{{"auditID":"a","verb":"{verb}","stage":"{stage}","objectRef":{{"resource":"{resource}"}}}}"#
            )
        };
        for (text, want) in [
            (ev("create", "ResponseComplete", "pods"), true),
            (ev("create", "ResponseStarted", "pods"), true),
            (ev("create", "RequestReceived", "pods"), false),
            (ev("update", "ResponseComplete", "pods"), false),
            (ev("create", "ResponseComplete", "secrets"), false),
            (
                r#"{"auditID":"a","verb":"create","stage":"ResponseComplete"}"#.into(),
                false,
            ),
        ] {
            let event = AuditEvent::parse(&text).unwrap();
            let mut n = 0;
            engine.process(&event, |_| n += 1);
            assert_eq!(n > 0, want, "{text}");
            assert_eq!(engine.matching_by_tree(&event).len() == 1, want, "{text}");
        }
    }

    #[test]
    fn output_fields_the_source_lacks_render_as_na_and_are_reported() {
        let rule = |name: &str, output: &str| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: ka.verb = create\n  output: \"{output}\"\n  priority: WARNING\n  source: k8s_audit\n"
            )
        };
        let rules = [
            rule(
                "gap",
                "%ka.verb by %ka.user.name in %proc.cwd and %proc.cwd, %k8s.ns.name",
            ),
            // A field the source has, with a bad argument, is still an error ...
            rule("bad-arg", "%ka.verb[2]"),
            // ... and so is an unknown field inside a transformer.
            rule("transformer", "%tolower(proc.cwd)"),
        ]
        .concat();
        let loaded = load(&[("r.yaml".into(), rules)]);
        let table = K8sAuditFields;
        let (mut engine, skipped) = Engine::new(&loaded, &table, &EngineOptions::default());
        let skipped: Vec<(&str, bool)> =
            skipped.iter().map(|s| (s.rule.as_str(), s.error)).collect();
        assert_eq!(skipped, [("bad-arg", true), ("transformer", true)]);
        assert_eq!(
            engine.output_gaps(),
            [OutputGap {
                rule: "gap".into(),
                path: "r.yaml".into(),
                line: 1,
                column: 3,
                fields: vec!["proc.cwd".into(), "k8s.ns.name".into()],
            }]
        );
        let event = AuditEvent::parse(
            r#"{"auditID":"a","verb":"create","stage":"ResponseComplete","user":{"username":"alice"}}"#,
        )
        .unwrap();
        let mut outputs = Vec::new();
        engine.process(&event, |alert| {
            outputs.push((alert.output.clone(), alert.fields.clone()));
        });
        assert_eq!(
            outputs,
            [(
                "create by alice in <NA> and <NA>, <NA>".to_owned(),
                vec![
                    ("ka.verb".to_owned(), "create".to_owned()),
                    ("ka.user.name".to_owned(), "alice".to_owned()),
                    ("proc.cwd".to_owned(), "<NA>".to_owned()),
                    ("k8s.ns.name".to_owned(), "<NA>".to_owned()),
                ]
            )]
        );
    }
}
