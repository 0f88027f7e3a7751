//! The streaming correlator: a reorder buffer, then union-find over entity keys with
//! incidents that close after a period of inactivity.

use crate::agg::Aggregate;
use crate::assemble::{DropNote, Lookup, assemble_closed};
use crate::assembler::{Assembler, Done, Job};
use crate::entity::{Facts, Key, KeyHasher, KeyKind};
use crate::event::{Event, EventKind};
use crate::findings::FindingIndex;
use crate::hash::{FastMap, FastSet, FastState};
use crate::incident::Incident;
use crate::options::{Options, nanos};
use crate::time::Timestamp;
use palisade_attack::Catalogue;
use palisade_core::{AlertRecord, Finding};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::sync::Arc;

/// Alerts kept for reuse (their memory) at most.
const SPARE_MAX: usize = 4096;
/// Closed incidents kept for reuse (their memory) at most.
const OPEN_POOL_MAX: usize = 256;

/// Why an alert was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrelateError {
    /// The alert's `time` is not an RFC 3339 date-time.
    InvalidTime {
        /// The value given (shortened).
        time: String,
    },
}

impl fmt::Display for CorrelateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorrelateError::InvalidTime { time } => {
                write!(f, "alert time `{time}` is not an RFC 3339 date-time")
            }
        }
    }
}

impl std::error::Error for CorrelateError {}

/// Counters, for monitoring and for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Alerts accepted by [`Correlator::push_alert`] (sensor drop reports included).
    pub alerts_accepted: u64,
    /// Alerts rejected (unreadable time).
    pub alerts_rejected: u64,
    /// Alerts already part of their incident (same content), not counted again.
    pub duplicate_alerts: u64,
    /// Alerts processed after a newer alert had been (they arrived more than the
    /// reorder slack out of order); joined best-effort.
    pub late_alerts: u64,
    /// Sensor reports of dropped events.
    pub sensor_drop_reports: u64,
    /// Weak links not followed because too many open incidents shared them.
    pub ambiguous_links: u64,
    /// Incidents closed so far.
    pub incidents_closed: u64,
    /// Incidents open now.
    pub open_incidents: u64,
    /// Alerts waiting in the reorder buffer now.
    pub buffered_alerts: u64,
    /// Posture findings indexed (suppressed ones and duplicates are not).
    pub findings: u64,
}

/// An alert in the reorder buffer. Its time is kept inline so that the heap compares
/// without following the box (the rest of the order is the [`Event`]'s).
#[derive(Debug, PartialEq, Eq)]
struct Pending {
    time: i64,
    event: Box<Event>,
}

impl Ord for Pending {
    fn cmp(&self, o: &Pending) -> std::cmp::Ordering {
        self.time
            .cmp(&o.time)
            .then_with(|| self.event.cmp(&o.event))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Pending) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Default)]
struct KeySlot {
    /// The incident holding this key as an explicit key.
    explicit: Option<usize>,
    /// Incidents holding it as a derived key (slot indices, possibly merged since).
    derived: SlotSet,
}

/// A set of slot indices; no allocation for one (the usual case).
#[derive(Debug, Default)]
enum SlotSet {
    #[default]
    Empty,
    One(usize),
    Many(FastSet<usize>),
}

impl SlotSet {
    /// Add `x`; `true` if it was not there.
    fn insert(&mut self, x: usize, state: FastState) -> bool {
        match self {
            SlotSet::Empty => {
                *self = SlotSet::One(x);
                true
            }
            SlotSet::One(y) if *y == x => false,
            SlotSet::One(y) => {
                let mut set = FastSet::with_hasher(state);
                set.insert(*y);
                set.insert(x);
                *self = SlotSet::Many(set);
                true
            }
            SlotSet::Many(set) => set.insert(x),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            SlotSet::Empty => true,
            SlotSet::One(_) => false,
            SlotSet::Many(set) => set.is_empty(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (one, many) = match self {
            SlotSet::Empty => (None, None),
            SlotSet::One(x) => (Some(*x), None),
            SlotSet::Many(set) => (None, Some(set.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        match self {
            SlotSet::Empty => {}
            SlotSet::One(x) => {
                if !keep(*x) {
                    *self = SlotSet::Empty;
                }
            }
            SlotSet::Many(set) => {
                set.retain(|&x| keep(x));
                if set.is_empty() {
                    *self = SlotSet::Empty;
                }
            }
        }
    }
}

/// An open incident (and, once closed, what its assembly needs and gives back).
#[derive(Debug)]
pub(crate) struct Open {
    pub agg: Aggregate,
    explicit: FastSet<Key>,
    derived: FastSet<Key>,
    /// Slots merged into this one (now forwarding here).
    members: Vec<usize>,
    /// Once closed: the sensor drop reports of its cluster that may overlap it.
    pub drops: Vec<Arc<DropNote>>,
    /// Once assembled: its alerts, for reuse.
    pub returned: Vec<Box<Event>>,
}

#[derive(Debug)]
enum State {
    Free,
    Forward(usize),
    Open(Box<Open>),
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    /// First and last alert time of the open incident (a copy of its aggregate's, so
    /// that join checks need not follow the box).
    first: i64,
    last: i64,
    state: State,
}

/// Groups alerts into incidents. See the crate documentation for the workflow and
/// docs/correlation.md for the algorithm.
pub struct Correlator<'c> {
    lookup: Lookup<'c>,
    options: Options,
    window: i64,
    max_span: i64,
    slack: i64,
    buffer: BinaryHeap<Reverse<Pending>>,
    max_seen: Option<i64>,
    /// Time of the last event processed in order (everything before it is settled).
    processed_until: i64,
    slots: Vec<Entry>,
    free: Vec<usize>,
    index: FastMap<Key, KeySlot>,
    keys: KeyHasher,
    hash_state: FastState,
    /// (expiry, slot, generation), earliest first; stale entries are skipped.
    expiries: BinaryHeap<Reverse<(i64, usize, u64)>>,
    /// Shared with the incidents in flight to the assembly thread.
    drops: BTreeMap<(i64, u64), Arc<DropNote>>,
    drop_seq: u64,
    /// Shared with the assembly thread (copied on write when a finding arrives while
    /// closed incidents are in flight).
    findings: Arc<FindingIndex>,
    /// The assembly thread, once started (see [`crate::assembler`]).
    assembler: Option<Assembler>,
    /// Whether starting it was tried.
    assembler_tried: bool,
    ready: Vec<Incident>,
    stats: Stats,
    /// Reusable memory: alerts no longer needed (at most [`SPARE_MAX`]), incidents
    /// closed (at most [`OPEN_POOL_MAX`]), buffers.
    spare: Vec<Box<Event>>,
    opens: Vec<Box<Open>>,
    tree: Vec<usize>,
    scratch: String,
    targets: Vec<usize>,
    roots: Vec<usize>,
}

impl fmt::Debug for Correlator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correlator")
            .field("options", &self.options)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The root of `x`'s tree, compressing the path.
fn find(slots: &mut [Entry], x: usize) -> usize {
    let mut root = x;
    let mut hops = 0usize;
    while let Some(Entry {
        state: State::Forward(p),
        ..
    }) = slots.get(root)
    {
        root = *p;
        hops += 1;
        if hops > slots.len() {
            break; // cannot happen; never loop forever
        }
    }
    let mut cur = x;
    while cur != root {
        match slots.get_mut(cur) {
            Some(Entry {
                state: State::Forward(p),
                ..
            }) => {
                let next = *p;
                *p = root;
                cur = next;
            }
            _ => break,
        }
    }
    root
}

/// When the open incident at `x` expires: `window` after its last alert, or `max_span`
/// after its first, whichever comes first. `None` unless `x` is open.
fn expiry_in(slots: &[Entry], window: i64, max_span: i64, x: usize) -> Option<i64> {
    match slots.get(x) {
        Some(
            e @ Entry {
                state: State::Open(_),
                ..
            },
        ) => Some(
            e.last
                .saturating_add(window)
                .min(e.first.saturating_add(max_span)),
        ),
        _ => None,
    }
}

/// Whether an alert at `t` can join the open incident at `x`.
fn joinable_in(slots: &[Entry], window: i64, max_span: i64, x: usize, t: i64) -> bool {
    match (expiry_in(slots, window, max_span, x), slots.get(x)) {
        (Some(expiry), Some(e)) => t <= expiry && t >= e.first.saturating_sub(window),
        _ => false,
    }
}

fn open_ref(slots: &[Entry], x: usize) -> Option<&Open> {
    match slots.get(x) {
        Some(Entry {
            state: State::Open(o),
            ..
        }) => Some(o),
        _ => None,
    }
}

fn open_mut(slots: &mut [Entry], x: usize) -> Option<&mut Open> {
    match slots.get_mut(x) {
        Some(Entry {
            state: State::Open(o),
            ..
        }) => Some(o),
        _ => None,
    }
}

impl<'c> Correlator<'c> {
    /// A correlator naming techniques and tactics from `catalogue`.
    pub fn new(catalogue: &'c Catalogue, options: Options) -> Correlator<'c> {
        let hash_state = FastState::default();
        Correlator {
            lookup: Lookup::new(catalogue),
            window: nanos(options.window),
            max_span: nanos(options.max_span),
            slack: nanos(options.reorder_slack),
            options,
            buffer: BinaryHeap::new(),
            max_seen: None,
            processed_until: i64::MIN,
            slots: Vec::new(),
            free: Vec::new(),
            index: FastMap::with_hasher(hash_state),
            keys: KeyHasher::default(),
            hash_state,
            expiries: BinaryHeap::new(),
            drops: BTreeMap::new(),
            drop_seq: 0,
            findings: Arc::new(FindingIndex::default()),
            assembler: None,
            assembler_tried: false,
            ready: Vec::new(),
            stats: Stats::default(),
            spare: Vec::new(),
            opens: Vec::new(),
            tree: Vec::new(),
            scratch: String::new(),
            targets: Vec::new(),
            roots: Vec::new(),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.open_incidents = self
            .slots
            .iter()
            .filter(|e| matches!(e.state, State::Open(_)))
            .count() as u64;
        s.buffered_alerts = self.buffer.len() as u64;
        s.findings = self.findings.len() as u64;
        s
    }

    /// Add a posture finding. Findings are matched to incidents when the incidents close,
    /// so give them before the alerts (or at least before [`Correlator::close_idle`]) for
    /// every incident to see them. Suppressed findings are ignored.
    pub fn push_finding(&mut self, finding: &Finding) {
        Arc::make_mut(&mut self.findings).push(finding);
    }

    /// Add an alert. It waits in the reorder buffer until alerts `reorder_slack` newer
    /// have been seen (or until [`Correlator::close_idle`] / [`Correlator::finish`]),
    /// then joins or opens an incident. Sensor drop reports (Falco's "syscall event
    /// drop" and similar) are recognised and lower the confidence of the incidents they
    /// overlap instead of opening one.
    pub fn push_alert(&mut self, alert: &AlertRecord) -> Result<(), CorrelateError> {
        let mut event = self.spare.pop().unwrap_or_else(|| Box::new(Event::empty()));
        if !event.fill(alert, self.options.default_cluster.as_deref()) {
            self.spare.push(event);
            self.stats.alerts_rejected += 1;
            return Err(CorrelateError::InvalidTime {
                time: crate::event::shorten(&alert.time, 64),
            });
        }
        self.stats.alerts_accepted += 1;
        let time = event.time;
        self.max_seen = Some(self.max_seen.map_or(time, |m| m.max(time)));
        self.buffer.push(Reverse(Pending { time, event }));
        if let Some(max) = self.max_seen {
            self.release(max.saturating_sub(self.slack));
        }
        Ok(())
    }

    /// Declare that the stream has reached `now`: alerts older than `now -
    /// reorder_slack` are processed, incidents idle for longer than the window at that
    /// point are closed, and every incident closed so far is returned (sorted by first
    /// seen, then id). Alerts arriving later with a time before `now - reorder_slack`
    /// count as late.
    pub fn close_idle(&mut self, now: Timestamp) -> Vec<Incident> {
        let watermark = now.0.saturating_sub(self.slack);
        self.release(watermark);
        if watermark > self.processed_until {
            self.sweep(watermark);
            self.processed_until = watermark;
        }
        self.take_closed()
    }

    /// The incidents closed so far (while processing alerts), without advancing time.
    pub fn take_closed(&mut self) -> Vec<Incident> {
        while let Some(done) = self.assembler.as_mut().and_then(Assembler::take) {
            self.receive(done);
        }
        // The next batch is probably as large: allocate it once rather than by doubling.
        let next = Vec::with_capacity(self.ready.len());
        let mut out = std::mem::replace(&mut self.ready, next);
        sort_incidents(&mut out);
        out
    }

    /// Process everything still buffered, close every incident and return all incidents
    /// not handed out yet, sorted by first seen, then id.
    pub fn finish(mut self) -> Vec<Incident> {
        while let Some(Reverse(p)) = self.buffer.pop() {
            self.process(p.event);
        }
        let roots: Vec<usize> = (0..self.slots.len())
            .filter(|&i| matches!(self.slots[i].state, State::Open(_)))
            .collect();
        for r in roots {
            self.close(r);
        }
        self.take_closed()
    }

    fn release(&mut self, watermark: i64) {
        while let Some(Reverse(p)) = self.buffer.peek() {
            if p.time >= watermark {
                break;
            }
            if let Some(Reverse(p)) = self.buffer.pop() {
                self.process(p.event);
            }
        }
    }

    /// The expiry of the open incident at `x`.
    fn expiry(&self, x: usize) -> Option<i64> {
        expiry_in(&self.slots, self.window, self.max_span, x)
    }

    fn joinable(&self, root: usize, t: i64) -> bool {
        joinable_in(&self.slots, self.window, self.max_span, root, t)
    }

    /// Copy the aggregate's first and last time into the slot entry.
    fn sync_span(&mut self, x: usize) {
        if let Some(e) = self.slots.get_mut(x)
            && let State::Open(o) = &e.state
        {
            e.first = o.agg.first;
            e.last = o.agg.last;
        }
    }

    /// Close every incident whose expiry is before `t`.
    fn sweep(&mut self, t: i64) {
        while let Some(&Reverse((exp, idx, generation))) = self.expiries.peek() {
            if exp >= t {
                break;
            }
            self.expiries.pop();
            let current = match self.slots.get(idx) {
                Some(e) if e.generation == generation => match self.expiry(idx) {
                    Some(x) => x,
                    None => continue,
                },
                _ => continue,
            };
            if current >= t {
                self.expiries.push(Reverse((current, idx, generation)));
            } else {
                self.close(idx);
            }
        }
        // Drop reports older than any open incident can reach.
        let horizon = t
            .saturating_sub(self.max_span)
            .saturating_sub(self.window.saturating_mul(2));
        while let Some(entry) = self.drops.first_entry() {
            if entry.key().0 >= horizon {
                break;
            }
            entry.remove();
        }
    }

    fn process(&mut self, event: Box<Event>) {
        let t = event.time;
        let late = t < self.processed_until;
        if late {
            self.stats.late_alerts += 1;
        } else {
            self.sweep(t);
            self.processed_until = t;
        }
        if let EventKind::SensorDrop { dropped } = event.kind {
            self.stats.sensor_drop_reports += 1;
            self.drops.insert(
                (t, self.drop_seq),
                Arc::new(DropNote {
                    time: t,
                    cluster: event.cluster().map(str::to_string),
                    node: event.node().map(str::to_string),
                    dropped,
                    rule: event.rule().to_string(),
                    audit: event.is_audit(),
                }),
            );
            self.drop_seq += 1;
            self.spare.push(event);
            return;
        }
        let facts = Facts::of(&event, &self.options, Some(&self.keys));

        // Which open incidents does this alert reach?
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        for k in facts.explicit.iter() {
            let Some(slot) = self.index.get(&k) else {
                continue;
            };
            if let Some(e) = slot.explicit {
                let r = find(&mut self.slots, e);
                if self.joinable(r, t) {
                    targets.push(r);
                }
            }
            if slot.derived.is_empty() {
                continue;
            }
            // Host activity is attributed only to a single pod that escaped there.
            let fanout = if k.kind == KeyKind::Node {
                1
            } else {
                self.options.max_link_fanout
            };
            let mut roots = std::mem::take(&mut self.roots);
            roots.clear();
            // Iterated in place: `find` needs the slots, the index is untouched.
            if let Some(slot) = self.index.get(&k) {
                for d in slot.derived.iter() {
                    let r = find(&mut self.slots, d);
                    if joinable_in(&self.slots, self.window, self.max_span, r, t)
                        && !roots.contains(&r)
                    {
                        roots.push(r);
                        if roots.len() > fanout {
                            break;
                        }
                    }
                }
            }
            if roots.len() > fanout {
                self.stats.ambiguous_links += 1;
            } else {
                targets.extend_from_slice(&roots);
            }
            self.roots = roots;
        }
        for k in facts.derived.iter().filter(|k| k.kind != KeyKind::Node) {
            if let Some(e) = self.index.get(&k).and_then(|s| s.explicit) {
                let r = find(&mut self.slots, e);
                if self.joinable(r, t) {
                    targets.push(r);
                }
            }
        }
        // An escape reaches the host activity on its node only if no other open incident
        // escaped there: the same rule as above, seen from the other side (host activity
        // first, then escapes from two pods, must not join the two pods). Last, so that
        // `targets` already holds every incident this alert joins on other grounds.
        for k in facts.derived.iter().filter(|k| k.kind == KeyKind::Node) {
            let Some(slot) = self.index.get(&k) else {
                continue;
            };
            let Some(e) = slot.explicit else {
                continue;
            };
            let r = find(&mut self.slots, e);
            if targets.contains(&r) || !self.joinable(r, t) {
                continue;
            }
            let mut contested = false;
            for d in slot.derived.iter() {
                let other = find(&mut self.slots, d);
                if !targets.contains(&other)
                    && joinable_in(&self.slots, self.window, self.max_span, other, t)
                {
                    contested = true;
                    break;
                }
            }
            if contested {
                self.stats.ambiguous_links += 1;
            } else {
                targets.push(r);
            }
        }
        targets.sort_unstable();
        targets.dedup();

        let root = match targets.split_first() {
            None => self.open_incident(&event),
            Some((&first, rest)) => {
                let mut root = first;
                for &other in rest {
                    root = self.merge(root, other);
                }
                root
            }
        };
        self.targets = targets;
        // Register the keys.
        for k in facts.explicit.iter() {
            let slot = self.index.entry(k).or_default();
            // Already registered for this incident (then its key set has it too).
            if slot.explicit == Some(root) {
                continue;
            }
            let keep_other = match slot.explicit {
                None => false,
                Some(e) => {
                    let r = find(&mut self.slots, e);
                    r != root
                        && expiry_in(&self.slots, self.window, self.max_span, r)
                            .is_some_and(|x| x >= t)
                }
            };
            if !keep_other {
                slot.explicit = Some(root);
            }
            if let Some(o) = open_mut(&mut self.slots, root) {
                o.explicit.insert(k);
            }
        }
        for k in facts.derived.iter() {
            let new = self
                .index
                .entry(k)
                .or_default()
                .derived
                .insert(root, self.hash_state);
            if new && let Some(o) = open_mut(&mut self.slots, root) {
                o.derived.insert(k);
            }
        }

        let before = self.expiry(root);
        let dedup = self.keys.content(&event);
        let (options, scratch, spare) = (&self.options, &mut self.scratch, &mut self.spare);
        if let Some(o) = open_mut(&mut self.slots, root) {
            if o.agg.push(event, dedup, late, spare) {
                if o.agg.should_flush() {
                    o.agg.flush(options, options.max_evidence, scratch, spare);
                }
            } else {
                self.stats.duplicate_alerts += 1;
            }
        }
        self.sync_span(root);
        self.spare.truncate(SPARE_MAX);
        self.schedule_if_earlier(root, before);
    }

    /// Push a new expiry entry when `root`'s expiry moved earlier than `before` (or it
    /// is new), so the sweep never closes it late.
    fn schedule_if_earlier(&mut self, root: usize, before: Option<i64>) {
        let (Some(now), Some(e)) = (self.expiry(root), self.slots.get(root)) else {
            return;
        };
        if before.is_none_or(|b| now < b) {
            self.expiries.push(Reverse((now, root, e.generation)));
        }
    }

    fn open_incident(&mut self, event: &Event) -> usize {
        let open = match self.opens.pop() {
            Some(mut open) => {
                open.agg.reset(event.cluster(), event.time);
                open
            }
            None => Box::new(Open {
                agg: Aggregate::new(
                    event.cluster().map(str::to_string),
                    event.time,
                    self.hash_state,
                ),
                explicit: FastSet::with_hasher(self.hash_state),
                derived: FastSet::with_hasher(self.hash_state),
                members: Vec::new(),
                drops: Vec::new(),
                returned: Vec::new(),
            }),
        };
        let t = event.time;
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(e) = self.slots.get_mut(i) {
                    e.state = State::Open(open);
                    e.first = t;
                    e.last = t;
                }
                i
            }
            None => {
                self.slots.push(Entry {
                    generation: 0,
                    first: t,
                    last: t,
                    state: State::Open(open),
                });
                self.slots.len() - 1
            }
        };
        self.schedule_if_earlier(idx, None);
        idx
    }

    /// Merge two open roots; returns the surviving root. The result does not depend on
    /// which one survives.
    fn merge(&mut self, a: usize, b: usize) -> usize {
        if a == b {
            return a;
        }
        let size = |x: usize| open_ref(&self.slots, x).map_or(0, |o| o.agg.alert_count);
        let (winner, loser) = if (Reverse(size(a)), a) <= (Reverse(size(b)), b) {
            (a, b)
        } else {
            (b, a)
        };
        let before = self.expiry(winner);
        let Some(entry) = self.slots.get_mut(loser) else {
            return winner;
        };
        let State::Open(lost) = std::mem::replace(&mut entry.state, State::Forward(winner)) else {
            return winner;
        };
        let mut lost = lost;
        let max_evidence = self.options.max_evidence;
        if let Some(w) = open_mut(&mut self.slots, winner) {
            w.agg.absorb(
                &mut lost.agg,
                &self.options,
                max_evidence,
                &mut self.scratch,
                &mut self.spare,
            );
            if w.explicit.len() < lost.explicit.len() {
                std::mem::swap(&mut w.explicit, &mut lost.explicit);
            }
            w.explicit.extend(lost.explicit.drain());
            if w.derived.len() < lost.derived.len() {
                std::mem::swap(&mut w.derived, &mut lost.derived);
            }
            w.derived.extend(lost.derived.drain());
            w.members.push(loser);
            w.members.append(&mut lost.members);
        }
        self.recycle(lost);
        self.sync_span(winner);
        self.schedule_if_earlier(winner, before);
        winner
    }

    /// Keep `open`'s memory for a next incident (unless enough are kept, or it is large).
    fn recycle(&mut self, mut open: Box<Open>) {
        if self.opens.len() >= OPEN_POOL_MAX
            || open.agg.is_large()
            || open.explicit.capacity() > 32
            || open.derived.capacity() > 32
            || open.members.capacity() > 8
            || open.drops.capacity() > 32
            || open.returned.capacity() > 64
        {
            return;
        }
        open.explicit.clear();
        open.derived.clear();
        open.members.clear();
        open.drops.clear();
        open.returned.clear();
        self.opens.push(open);
    }

    /// Close the incident rooted at `root`: forget its keys, free its slots, assemble it.
    fn close(&mut self, root: usize) {
        let Some(entry) = self.slots.get_mut(root) else {
            return;
        };
        let State::Open(open) = std::mem::replace(&mut entry.state, State::Free) else {
            return;
        };
        entry.generation += 1;
        let mut open = open;
        let mut tree = std::mem::take(&mut self.tree);
        tree.clear();
        tree.extend(open.members.iter().copied());
        tree.push(root);
        tree.sort_unstable();
        for k in &open.explicit {
            if let Some(slot) = self.index.get_mut(k) {
                if slot
                    .explicit
                    .is_some_and(|e| tree.binary_search(&e).is_ok())
                {
                    slot.explicit = None;
                }
                if slot.explicit.is_none() && slot.derived.is_empty() {
                    self.index.remove(k);
                }
            }
        }
        for k in &open.derived {
            if let Some(slot) = self.index.get_mut(k) {
                slot.derived.retain(|s| tree.binary_search(&s).is_err());
                if slot.explicit.is_none() && slot.derived.is_empty() {
                    self.index.remove(k);
                }
            }
        }
        for &m in &open.members {
            if let Some(e) = self.slots.get_mut(m) {
                e.state = State::Free;
                e.generation += 1;
            }
            self.free.push(m);
        }
        self.free.push(root);
        self.tree = tree;
        self.stats.incidents_closed += 1;
        // Its last alerts may still be queued in the aggregate: the span is at least this.
        let lo = open.agg.first.saturating_sub(self.window);
        let hi = open.agg.last.saturating_add(self.window);
        let drops = self.drops.range((lo, 0)..=(hi, u64::MAX)).map(|(_, d)| d);
        if !self.assembler_tried {
            self.assembler_tried = true;
            if self.options.background_assembly {
                self.assembler = Assembler::start(self.lookup.catalogue, &self.options);
            }
        }
        let Some(assembler) = self.assembler.as_mut() else {
            let incident = assemble_closed(
                &mut open.agg,
                &self.options,
                &mut self.lookup,
                &self.findings,
                drops.map(|d| &**d),
                &mut self.scratch,
                &mut self.spare,
            );
            self.spare.truncate(SPARE_MAX);
            self.recycle(open);
            self.ready.push(incident);
            return;
        };
        let Open {
            agg, drops: own, ..
        } = &mut *open;
        own.clear();
        own.extend(drops.filter(|d| d.cluster == agg.cluster).cloned());
        let job = Job {
            open,
            findings: Arc::clone(&self.findings),
        };
        assembler.submit(job);
        while let Some(done) = self.assembler.as_mut().and_then(Assembler::try_take) {
            self.receive(done);
        }
    }

    /// An incident assembled by the worker: hand it out, keep its memory.
    fn receive(&mut self, done: Done) {
        let Done { incident, mut open } = done;
        let room = SPARE_MAX.saturating_sub(self.spare.len());
        let n = room.min(open.returned.len());
        self.spare.extend(open.returned.drain(..n));
        self.recycle(open);
        self.ready.push(incident);
    }
}

// A correlator can move to (and be shared with) other threads, as before its memory was
// pooled and interned.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Correlator<'static>>();
};

fn sort_incidents(v: &mut [Incident]) {
    v.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// Correlate a batch: every finding, then every alert, then [`Correlator::finish`].
///
/// The whole batch is sorted before processing (`options.reorder_slack` is ignored), so
/// the result does not depend on the order of `alerts` at all. Alerts whose time cannot
/// be read are skipped (see [`Correlator::push_alert`]).
pub fn correlate(
    catalogue: &Catalogue,
    options: Options,
    alerts: &[AlertRecord],
    findings: &[Finding],
) -> Vec<Incident> {
    let options = Options {
        reorder_slack: std::time::Duration::MAX,
        ..options
    };
    let mut c = Correlator::new(catalogue, options);
    for f in findings {
        c.push_finding(f);
    }
    for a in alerts {
        let _ = c.push_alert(a);
    }
    c.finish()
}
