//! The streaming correlator: a reorder buffer, then union-find over entity keys with
//! incidents that close after a period of inactivity.

use crate::agg::Aggregate;
use crate::assemble::{DropNote, Lookup, assemble};
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

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    event: Box<Event>,
}

#[derive(Debug, Default)]
struct KeySlot {
    /// The incident holding this key as an explicit key.
    explicit: Option<usize>,
    /// Incidents holding it as a derived key (slot indices, possibly merged since).
    derived: FastSet<usize>,
}

#[derive(Debug)]
struct Open {
    agg: Aggregate,
    explicit: FastSet<Key>,
    derived: FastSet<Key>,
    /// Slots merged into this one (now forwarding here).
    members: Vec<usize>,
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
    drops: BTreeMap<(i64, u64), DropNote>,
    drop_seq: u64,
    findings: FindingIndex,
    ready: Vec<Incident>,
    stats: Stats,
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
            findings: FindingIndex::default(),
            ready: Vec::new(),
            stats: Stats::default(),
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
        self.findings.push(finding);
    }

    /// Add an alert. It waits in the reorder buffer until alerts `reorder_slack` newer
    /// have been seen (or until [`Correlator::close_idle`] / [`Correlator::finish`]),
    /// then joins or opens an incident. Sensor drop reports (Falco's "syscall event
    /// drop" and similar) are recognised and lower the confidence of the incidents they
    /// overlap instead of opening one.
    pub fn push_alert(&mut self, alert: &AlertRecord) -> Result<(), CorrelateError> {
        let Some(event) = Event::from_alert(alert, self.options.default_cluster.as_deref()) else {
            self.stats.alerts_rejected += 1;
            return Err(CorrelateError::InvalidTime {
                time: crate::event::shorten(&alert.time, 64),
            });
        };
        self.stats.alerts_accepted += 1;
        let time = event.time;
        self.max_seen = Some(self.max_seen.map_or(time, |m| m.max(time)));
        self.buffer.push(Reverse(Pending {
            event: Box::new(event),
        }));
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
        let mut out = std::mem::take(&mut self.ready);
        sort_incidents(&mut out);
        out
    }

    /// Process everything still buffered, close every incident and return all incidents
    /// not handed out yet, sorted by first seen, then id.
    pub fn finish(mut self) -> Vec<Incident> {
        while let Some(Reverse(p)) = self.buffer.pop() {
            self.process(*p.event);
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
            if p.event.time >= watermark {
                break;
            }
            if let Some(Reverse(p)) = self.buffer.pop() {
                self.process(*p.event);
            }
        }
    }

    fn expiry(&self, o: &Open) -> i64 {
        o.agg
            .last
            .saturating_add(self.window)
            .min(o.agg.first.saturating_add(self.max_span))
    }

    fn joinable(&self, root: usize, t: i64) -> bool {
        open_ref(&self.slots, root)
            .is_some_and(|o| t <= self.expiry(o) && t >= o.agg.first.saturating_sub(self.window))
    }

    /// Close every incident whose expiry is before `t`.
    fn sweep(&mut self, t: i64) {
        while let Some(&Reverse((exp, idx, generation))) = self.expiries.peek() {
            if exp >= t {
                break;
            }
            self.expiries.pop();
            let current = match self.slots.get(idx) {
                Some(Entry {
                    generation: g,
                    state: State::Open(o),
                }) if *g == generation => self.expiry(o),
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

    fn process(&mut self, event: Event) {
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
                DropNote {
                    time: t,
                    cluster: event.cluster().map(str::to_string),
                    node: event.node().map(str::to_string),
                    dropped,
                    rule: event.rule().to_string(),
                    audit: event.is_audit(),
                },
            );
            self.drop_seq += 1;
            return;
        }
        let facts = Facts::of(&event, &self.options, &self.keys);

        // Which open incidents does this alert reach?
        let mut targets: Vec<usize> = Vec::new();
        for k in facts.explicit.iter() {
            let k = &k;
            let Some(slot) = self.index.get(k) else {
                continue;
            };
            let explicit = slot.explicit;
            let derived: Vec<usize> = slot.derived.iter().copied().collect();
            if let Some(e) = explicit {
                let r = find(&mut self.slots, e);
                if self.joinable(r, t) {
                    targets.push(r);
                }
            }
            // Host activity is attributed only to a single pod that escaped there.
            let fanout = if k.kind == KeyKind::Node {
                1
            } else {
                self.options.max_link_fanout
            };
            let mut roots: Vec<usize> = Vec::new();
            for d in derived {
                let r = find(&mut self.slots, d);
                if self.joinable(r, t) && !roots.contains(&r) {
                    roots.push(r);
                    if roots.len() > fanout {
                        break;
                    }
                }
            }
            if roots.len() > fanout {
                self.stats.ambiguous_links += 1;
            } else {
                targets.extend(roots);
            }
        }
        for k in facts.derived.iter() {
            let k = &k;
            if let Some(e) = self.index.get(k).and_then(|s| s.explicit) {
                let r = find(&mut self.slots, e);
                if self.joinable(r, t) {
                    targets.push(r);
                }
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
        // Register the keys.
        for k in facts.explicit.iter() {
            let k = &k;
            let current = self.index.get(k).and_then(|s| s.explicit);
            let keep_other = match current {
                None => false,
                Some(e) => {
                    let r = find(&mut self.slots, e);
                    r != root && open_ref(&self.slots, r).is_some_and(|o| self.expiry(o) >= t)
                }
            };
            if !keep_other {
                match self.index.get_mut(k) {
                    Some(slot) => slot.explicit = Some(root),
                    None => {
                        self.index.insert(
                            *k,
                            KeySlot {
                                explicit: Some(root),
                                derived: FastSet::with_hasher(self.hash_state),
                            },
                        );
                    }
                }
            }
            if let Some(o) = open_mut(&mut self.slots, root)
                && !o.explicit.contains(k)
            {
                o.explicit.insert(*k);
            }
        }
        for k in facts.derived.iter() {
            let k = &k;
            match self.index.get_mut(k) {
                Some(slot) => {
                    slot.derived.insert(root);
                }
                None => {
                    self.index.insert(
                        *k,
                        KeySlot {
                            explicit: None,
                            derived: {
                                let mut d = FastSet::with_hasher(self.hash_state);
                                d.insert(root);
                                d
                            },
                        },
                    );
                }
            }
            if let Some(o) = open_mut(&mut self.slots, root)
                && !o.derived.contains(k)
            {
                o.derived.insert(*k);
            }
        }

        let max_evidence = self.options.max_evidence;
        let before = open_ref(&self.slots, root).map(|o| self.expiry(o));
        let dedup = self.keys.content(&event);
        let added =
            open_mut(&mut self.slots, root).is_some_and(|o| o.agg.add(&event, &facts, dedup, late));
        drop(facts);
        if added {
            if let Some(o) = open_mut(&mut self.slots, root) {
                o.agg.push_evidence(event, max_evidence);
            }
        } else {
            self.stats.duplicate_alerts += 1;
        }
        self.schedule_if_earlier(root, before);
    }

    /// Push a new expiry entry when `root`'s expiry moved earlier than `before` (or it
    /// is new), so the sweep never closes it late.
    fn schedule_if_earlier(&mut self, root: usize, before: Option<i64>) {
        let Some(Entry {
            generation,
            state: State::Open(o),
        }) = self.slots.get(root)
        else {
            return;
        };
        let now = self.expiry(o);
        if before.is_none_or(|b| now < b) {
            self.expiries.push(Reverse((now, root, *generation)));
        }
    }

    fn open_incident(&mut self, event: &Event) -> usize {
        let open = Box::new(Open {
            agg: Aggregate::new(
                event.cluster().map(str::to_string),
                event.time,
                self.hash_state,
            ),
            explicit: FastSet::with_hasher(self.hash_state),
            derived: FastSet::with_hasher(self.hash_state),
            members: Vec::new(),
        });
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(e) = self.slots.get_mut(i) {
                    e.state = State::Open(open);
                }
                i
            }
            None => {
                self.slots.push(Entry {
                    generation: 0,
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
        let before = open_ref(&self.slots, winner).map(|o| self.expiry(o));
        let Some(entry) = self.slots.get_mut(loser) else {
            return winner;
        };
        let State::Open(lost) = std::mem::replace(&mut entry.state, State::Forward(winner)) else {
            return winner;
        };
        let lost = *lost;
        let max_evidence = self.options.max_evidence;
        if let Some(w) = open_mut(&mut self.slots, winner) {
            w.agg.absorb(lost.agg, max_evidence);
            let (mut big, small) = if w.explicit.len() >= lost.explicit.len() {
                (std::mem::take(&mut w.explicit), lost.explicit)
            } else {
                (lost.explicit, std::mem::take(&mut w.explicit))
            };
            big.extend(small);
            w.explicit = big;
            let (mut big, small) = if w.derived.len() >= lost.derived.len() {
                (std::mem::take(&mut w.derived), lost.derived)
            } else {
                (lost.derived, std::mem::take(&mut w.derived))
            };
            big.extend(small);
            w.derived = big;
            w.members.push(loser);
            w.members.extend(lost.members);
        }
        self.schedule_if_earlier(winner, before);
        winner
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
        let open = *open;
        let mut tree: FastSet<usize> = FastSet::with_hasher(self.hash_state);
        tree.extend(open.members.iter().copied());
        tree.insert(root);
        for k in &open.explicit {
            if let Some(slot) = self.index.get_mut(k) {
                if slot.explicit.is_some_and(|e| tree.contains(&e)) {
                    slot.explicit = None;
                }
                if slot.explicit.is_none() && slot.derived.is_empty() {
                    self.index.remove(k);
                }
            }
        }
        for k in &open.derived {
            if let Some(slot) = self.index.get_mut(k) {
                slot.derived.retain(|s| !tree.contains(s));
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
        let agg = open.agg;
        let lo = agg.first.saturating_sub(self.window);
        let hi = agg.last.saturating_add(self.window);
        let incident = assemble(
            agg,
            &mut self.lookup,
            &self.findings,
            self.drops.range((lo, 0)..=(hi, u64::MAX)).map(|(_, d)| d),
        );
        self.stats.incidents_closed += 1;
        self.ready.push(incident);
    }
}

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
