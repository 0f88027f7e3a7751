//! The state of one open incident, built so that merging two incidents gives the same
//! result whichever absorbs the other (every part is a set union, a sum, a min or a max).
//!
//! Every string an incident keeps is interned once in the incident's [`Atoms`]; its sets
//! and lists hold the small ids. Adding an alert thus compares short strings and
//! integers, touches memory that belongs to the incident, and allocates only for values
//! the incident has not seen yet. Strings are rebuilt (and sorted) once, when the
//! incident is assembled.
//!
//! Alerts are counted at once but aggregated in batches ([`Aggregate::flush`]): the
//! incident's memory is then loaded once per batch rather than once per alert.

use crate::entity::{Facts, IdRef};
use crate::event::Event;
use crate::hash::{FastMap, FastSet, FastState};
use crate::incident::{Evidence, EvidenceKind};
use crate::options::Options;
use std::cmp::Ordering;
use std::hash::{BuildHasher, Hasher};

/// The identity made requests.
pub(crate) const ROLE_ACTOR: u8 = 1;
/// A pod of the incident runs as the identity.
pub(crate) const ROLE_RUNS_AS: u8 = 2;

/// Objects remembered per technique.
const STEP_OBJECTS: usize = 3;
/// Alerts queued per incident before they are aggregated.
const FLUSH_AT: usize = 16;
/// Up to this many atoms, lookups scan the atoms' hashes; beyond, a map is kept.
const ATOMS_SCAN: usize = 16;

/// Falco priorities, lowest first; unknown priorities rank as `notice`.
pub(crate) fn priority_rank(p: &str) -> u8 {
    match p {
        "debug" => 0,
        "informational" | "info" => 1,
        "notice" => 2,
        "warning" | "warn" => 3,
        "error" => 4,
        "critical" => 5,
        "alert" => 6,
        "emergency" => 7,
        _ => 2,
    }
}

/// One alert kept as evidence (rendered by [`EvItem::to_evidence`]).
#[derive(Debug)]
pub(crate) struct EvItem {
    /// The alert's time (a copy, to compare without following the box).
    pub time: i64,
    pub event: Box<Event>,
}

impl EvItem {
    /// Evidence order: time, source, event id, rule, fingerprint.
    pub(crate) fn key(&self) -> (i64, &str, Option<&str>, &str, u64) {
        let e = &self.event;
        (e.time, e.source(), e.event_id(), e.rule(), e.fp())
    }

    /// Whether `self` comes before `o` in evidence order (times compared first, without
    /// looking at the text).
    fn before(&self, o: &EvItem) -> bool {
        match self.time.cmp(&o.time) {
            Ordering::Equal => self.key() < o.key(),
            ord => ord == Ordering::Less,
        }
    }

    pub(crate) fn to_evidence(&self) -> Evidence {
        let e = &*self.event;
        let time = crate::time::Timestamp(e.time).to_rfc3339();
        let mut techniques = Vec::with_capacity(e.techniques().count());
        techniques.extend(e.techniques().map(str::to_string));
        Evidence {
            kind: EvidenceKind::Alert,
            source_ref: match e.event_id() {
                Some(id) => id.to_string(),
                None => crate::event::concat(&[e.source(), "@", &time]),
            },
            time: Some(time),
            rule_or_check: e.rule().to_string(),
            severity: e.priority().to_string(),
            techniques,
            summary: e.summary().to_string(),
            source: e.source().to_string(),
        }
    }
}

/// An interned string of one incident (an index into its [`Atoms`]).
pub(crate) type Atom = u32;

/// The distinct strings of one incident, stored back to back in one buffer.
#[derive(Debug, Clone)]
pub(crate) struct Atoms {
    text: String,
    /// Start and end of each atom.
    spans: Vec<(usize, usize)>,
    /// The hash of each atom.
    hashes: Vec<u64>,
    /// Hash → first atom with that hash; kept once there are more than [`ATOMS_SCAN`].
    index: FastMap<u64, Atom>,
    state: FastState,
}

impl Atoms {
    fn new(state: FastState) -> Atoms {
        Atoms {
            text: String::new(),
            spans: Vec::new(),
            hashes: Vec::new(),
            index: FastMap::with_hasher(state),
            state,
        }
    }

    pub(crate) fn get(&self, a: Atom) -> &str {
        self.spans
            .get(a as usize)
            .and_then(|&(s, e)| self.text.get(s..e))
            .unwrap_or_default()
    }

    fn hash(&self, s: &str) -> u64 {
        let mut h = self.state.build_hasher();
        h.write(s.as_bytes());
        h.finish()
    }

    fn scan(&self, h: u64, s: &str) -> Option<Atom> {
        let mut from = 0;
        while let Some(i) = self.hashes.get(from..)?.iter().position(|&x| x == h) {
            let a = (from + i) as Atom;
            if self.get(a) == s {
                return Some(a);
            }
            from += i + 1;
        }
        None
    }

    fn lookup(&self, h: u64, s: &str) -> Option<Atom> {
        if self.index.is_empty() {
            return self.scan(h, s);
        }
        match self.index.get(&h) {
            None => None,
            Some(&a) if self.get(a) == s => Some(a),
            Some(_) => self.scan(h, s), // two strings with one hash
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
        self.hashes.clear();
        self.index.clear();
    }

    /// The atom of `s`, if the incident has it.
    pub(crate) fn find(&self, s: &str) -> Option<Atom> {
        self.lookup(self.hash(s), s)
    }

    /// The atom of `s`, added if new.
    pub(crate) fn intern(&mut self, s: &str) -> Atom {
        let h = self.hash(s);
        self.intern_hashed(h, s)
    }

    fn intern_hashed(&mut self, h: u64, s: &str) -> Atom {
        if let Some(a) = self.lookup(h, s) {
            return a;
        }
        let id = Atom::try_from(self.spans.len()).unwrap_or(Atom::MAX);
        let start = self.text.len();
        self.text.push_str(s);
        self.spans.push((start, self.text.len()));
        self.hashes.push(h);
        if self.spans.len() > ATOMS_SCAN {
            if self.index.is_empty() {
                for (i, &x) in self.hashes.iter().enumerate() {
                    self.index.entry(x).or_insert(i as Atom);
                }
            } else {
                self.index.entry(h).or_insert(id);
            }
        }
        id
    }

    /// Intern every atom of `other`: the returned table maps its atoms to ours.
    fn absorb(&mut self, other: &Atoms) -> Vec<Atom> {
        let same_hash = self.state == other.state;
        other
            .spans
            .iter()
            .zip(&other.hashes)
            .map(|(&(a, b), &h)| {
                let s = other.text.get(a..b).unwrap_or_default();
                if same_hash {
                    self.intern_hashed(h, s)
                } else {
                    self.intern(s)
                }
            })
            .collect()
    }

    /// Order of two atoms by their strings.
    pub(crate) fn cmp(&self, a: Atom, b: Atom) -> Ordering {
        if a == b {
            Ordering::Equal
        } else {
            self.get(a).cmp(self.get(b))
        }
    }
}

fn remap(map: &[Atom], a: Atom) -> Atom {
    map.get(a as usize).copied().unwrap_or(a)
}

/// A set of atoms (no allocation for up to one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum IdSet {
    #[default]
    Empty,
    One(Atom),
    /// Sorted by id, at least two.
    Many(Vec<Atom>),
}

impl IdSet {
    pub(crate) fn insert(&mut self, a: Atom) {
        match self {
            IdSet::Empty => *self = IdSet::One(a),
            IdSet::One(x) if *x == a => {}
            IdSet::One(x) => {
                let x = *x;
                *self = IdSet::Many(vec![x.min(a), x.max(a)]);
            }
            IdSet::Many(v) => {
                if v.last().is_some_and(|&l| l < a) {
                    v.push(a);
                } else if let Err(pos) = v.binary_search(&a) {
                    v.insert(pos, a);
                }
            }
        }
    }

    /// Insert the atom of `v` (interned if new); cheap when `v` is the set's only value.
    pub(crate) fn insert_str(&mut self, atoms: &mut Atoms, v: &str) {
        match self {
            IdSet::One(a) if atoms.get(*a) == v => {}
            IdSet::Many(list) if list.len() <= 4 && list.iter().any(|&a| atoms.get(a) == v) => {}
            _ => {
                let a = atoms.intern(v);
                self.insert(a);
            }
        }
    }

    pub(crate) fn contains(&self, a: Atom) -> bool {
        match self {
            IdSet::Empty => false,
            IdSet::One(x) => *x == a,
            IdSet::Many(v) => v.binary_search(&a).is_ok(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            IdSet::Empty => 0,
            IdSet::One(_) => 1,
            IdSet::Many(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, IdSet::Empty)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Atom> + '_ {
        let (one, many) = match self {
            IdSet::Empty => (None, None),
            IdSet::One(x) => (Some(*x), None),
            IdSet::Many(v) => (None, Some(v.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    fn union(&mut self, other: &IdSet, map: &[Atom]) {
        for a in other.iter() {
            self.insert(remap(map, a));
        }
    }

    /// The strings, sorted.
    pub(crate) fn strings(&self, atoms: &Atoms) -> Vec<String> {
        let mut v: Vec<String> = Vec::with_capacity(self.len());
        v.extend(self.iter().map(|a| atoms.get(a).to_string()));
        v.sort_unstable();
        v
    }
}

/// What was seen of one workload.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkloadAgg {
    pub containers: IdSet,
    pub images: IdSet,
    pub service_accounts: IdSet,
    pub nodes: IdSet,
    pub container_ids: IdSet,
}

impl WorkloadAgg {
    fn union(&mut self, o: &WorkloadAgg, map: &[Atom]) {
        self.containers.union(&o.containers, map);
        self.images.union(&o.images, map);
        self.service_accounts.union(&o.service_accounts, map);
        self.nodes.union(&o.nodes, map);
        self.container_ids.union(&o.container_ids, map);
    }
}

/// Up to [`STEP_OBJECTS`] (time, object) pairs: the earliest, distinct objects only,
/// sorted by time then object text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepObjects {
    items: [(i64, Atom); STEP_OBJECTS],
    len: usize,
}

impl StepObjects {
    pub(crate) fn as_slice(&self) -> &[(i64, Atom)] {
        self.items.get(..self.len).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.len
    }

    fn last(&self) -> Option<(i64, Atom)> {
        self.as_slice().last().copied()
    }

    /// Keep the `STEP_OBJECTS` smallest (time, object) pairs, distinct objects only.
    fn add(&mut self, time: i64, object: Atom, atoms: &Atoms) {
        let less = |a: (i64, Atom), b: (i64, Atom)| {
            a.0.cmp(&b.0).then_with(|| atoms.cmp(a.1, b.1)) == Ordering::Less
        };
        let item = (time, object);
        // Remove the object's current entry if the new one is earlier.
        if let Some(pos) = self.as_slice().iter().position(|&(_, o)| o == object) {
            if self.items[pos].0 <= time {
                return;
            }
            self.items.copy_within(pos + 1..self.len, pos);
            self.len -= 1;
        }
        let pos = self.as_slice().partition_point(|&x| less(x, item));
        if pos >= STEP_OBJECTS {
            return;
        }
        let end = self.len.min(STEP_OBJECTS - 1);
        self.items.copy_within(pos..end, pos + 1);
        self.items[pos] = item;
        self.len = (self.len + 1).min(STEP_OBJECTS);
    }
}

/// One technique of an incident.
#[derive(Debug, Clone)]
pub(crate) struct StepAgg {
    /// The technique id as the alerts give it (normalised).
    pub id: Atom,
    pub first: i64,
    pub last: i64,
    pub count: usize,
    /// Tactics the alerts named next to this technique.
    pub hints: IdSet,
    /// The earliest objects it was seen on.
    pub objects: StepObjects,
    /// The highest priority of its alerts: rank and name (on equal ranks, the smaller
    /// name, so that arrival order does not matter).
    pub rank: u8,
    pub priority: Option<Atom>,
}

/// Whether priority `(rank, name)` replaces `(cur_rank, cur_name)` as a technique's
/// highest: a higher rank, or the same rank and a smaller name (so that arrival order does
/// not matter when two names share a rank, `warn` and `warning`).
pub(crate) fn outranks(rank: u8, name: &str, cur_rank: u8, cur_name: &str) -> bool {
    rank > cur_rank || (rank == cur_rank && name < cur_name)
}

impl StepAgg {
    fn raise_priority(&mut self, rank: u8, priority: Atom, atoms: &Atoms) {
        let higher = match self.priority {
            None => true,
            Some(cur) => {
                priority != cur && outranks(rank, atoms.get(priority), self.rank, atoms.get(cur))
            }
        };
        if higher {
            self.rank = rank;
            self.priority = Some(priority);
        }
    }
}

/// The most severe alert: highest rank, then earliest, then smallest rule name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Top {
    pub rank: u8,
    pub time: i64,
    pub rule: Atom,
    pub priority: Atom,
}

impl Top {
    fn better_than(&self, o: &Top, atoms: &Atoms) -> bool {
        o.rank
            .cmp(&self.rank)
            .then(self.time.cmp(&o.time))
            .then_with(|| atoms.cmp(self.rule, o.rule))
            == Ordering::Less
    }
}

/// An identity of an incident, in atoms (see [`crate::entity::Identity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdAtoms {
    ServiceAccount { namespace: Atom, name: Atom },
    User(Atom),
    Anonymous(Option<Atom>),
}

impl IdAtoms {
    fn remapped(self, map: &[Atom]) -> IdAtoms {
        match self {
            IdAtoms::ServiceAccount { namespace, name } => IdAtoms::ServiceAccount {
                namespace: remap(map, namespace),
                name: remap(map, name),
            },
            IdAtoms::User(u) => IdAtoms::User(remap(map, u)),
            IdAtoms::Anonymous(ip) => IdAtoms::Anonymous(ip.map(|a| remap(map, a))),
        }
    }

    /// The owned identity.
    pub(crate) fn identity(self, atoms: &Atoms) -> crate::entity::Identity {
        use crate::entity::Identity;
        match self {
            IdAtoms::ServiceAccount { namespace, name } => Identity::ServiceAccount {
                namespace: atoms.get(namespace).to_string(),
                name: atoms.get(name).to_string(),
            },
            IdAtoms::User(u) => Identity::User(atoms.get(u).to_string()),
            IdAtoms::Anonymous(ip) => Identity::Anonymous(ip.map(|a| atoms.get(a).to_string())),
        }
    }
}

/// A workload of an incident and what was seen of it.
#[derive(Debug, Clone)]
pub(crate) struct WlEntry {
    pub namespace: Atom,
    pub kind: &'static str,
    pub name: Atom,
    pub agg: WorkloadAgg,
}

#[derive(Debug)]
pub(crate) struct Aggregate {
    pub cluster: Option<String>,
    pub first: i64,
    pub last: i64,
    pub alert_count: usize,
    pub duplicates: usize,
    pub late: usize,
    /// The incident's strings.
    pub atoms: Atoms,
    /// Keyed 128-bit hashes of the alerts' content, to recognise duplicates.
    pub fingerprints: FastSet<u128>,
    /// Aggregated alerts kept as evidence, sorted by key: all of them, or the first and
    /// last `max_evidence / 2`.
    pub evidence: Vec<EvItem>,
    /// Alerts counted but not aggregated yet (see [`Aggregate::flush`]).
    pending: Vec<Box<Event>>,
    pub namespaces: IdSet,
    /// Kind, namespace and name identify a workload.
    pub workloads: Vec<WlEntry>,
    /// Identities and their roles ([`ROLE_ACTOR`], [`ROLE_RUNS_AS`] bits).
    pub identities: Vec<(IdAtoms, u8)>,
    pub groups: IdSet,
    pub source_ips: IdSet,
    pub nodes: IdSet,
    /// Non-workload targets: (kind, namespace or "", name).
    pub objects: Vec<(Atom, Atom, Atom)>,
    /// One per technique id.
    pub steps: Vec<StepAgg>,
    pub top: Option<Top>,
}

/// The index of the workload (`kind`, `namespace`, `name`) in `list`, added if new.
fn workload_index(
    list: &mut Vec<WlEntry>,
    atoms: &mut Atoms,
    kind: &'static str,
    namespace: &str,
    name: &str,
) -> usize {
    let found = list.iter().position(|w| {
        w.kind == kind && atoms.get(w.name) == name && atoms.get(w.namespace) == namespace
    });
    found.unwrap_or_else(|| {
        list.push(WlEntry {
            namespace: atoms.intern(namespace),
            kind,
            name: atoms.intern(name),
            agg: WorkloadAgg::default(),
        });
        list.len() - 1
    })
}

/// Write the object an alert is about (for the technique steps) into `out`; `false`
/// when there is none.
fn write_object(ev: &Event, facts: &Facts<'_>, out: &mut String) -> bool {
    out.clear();
    if let Some(w) = facts.workloads.first() {
        out.push_str(if w.kind == "Pod" { "pod" } else { w.kind });
        out.push(' ');
        out.push_str(w.namespace);
        out.push('/');
        out.push_str(w.name);
        return true;
    }
    if let Some((kind, ns, name)) = &facts.object {
        out.push_str(kind);
        out.push(' ');
        if !ns.is_empty() {
            out.push_str(ns);
            out.push('/');
        }
        out.push_str(name);
        return true;
    }
    if let Some(cid) = facts.bare_container {
        out.push_str("container ");
        out.push_str(cid);
        return true;
    }
    if let Some(node) = facts.host_node {
        out.push_str("node ");
        out.push_str(node);
        return true;
    }
    if let Some(ns) = ev.namespace() {
        out.push_str("namespace ");
        out.push_str(ns);
        return true;
    }
    false
}

impl Aggregate {
    pub(crate) fn new(cluster: Option<String>, time: i64, state: FastState) -> Aggregate {
        Aggregate {
            cluster,
            first: time,
            last: time,
            alert_count: 0,
            duplicates: 0,
            late: 0,
            atoms: Atoms::new(state),
            fingerprints: FastSet::with_hasher(state),
            evidence: Vec::new(),
            pending: Vec::new(),
            namespaces: IdSet::default(),
            workloads: Vec::new(),
            identities: Vec::new(),
            groups: IdSet::default(),
            source_ips: IdSet::default(),
            nodes: IdSet::default(),
            objects: Vec::new(),
            steps: Vec::new(),
            top: None,
        }
    }

    /// Empty `self` for a new incident, keeping its memory.
    pub(crate) fn reset(&mut self, cluster: Option<&str>, time: i64) {
        match (cluster, &mut self.cluster) {
            (Some(c), Some(mine)) => {
                mine.clear();
                mine.push_str(c);
            }
            (c, mine) => *mine = c.map(str::to_string),
        }
        self.first = time;
        self.last = time;
        self.alert_count = 0;
        self.duplicates = 0;
        self.late = 0;
        self.atoms.clear();
        self.fingerprints.clear();
        self.evidence.clear();
        self.pending.clear();
        self.namespaces = IdSet::Empty;
        self.workloads.clear();
        self.identities.clear();
        self.groups = IdSet::Empty;
        self.source_ips = IdSet::Empty;
        self.nodes = IdSet::Empty;
        self.objects.clear();
        self.steps.clear();
        self.top = None;
    }

    /// Whether the memory of `self` is more than a typical incident needs (then it is not
    /// kept for reuse: kept memory must not grow to the largest incident ever seen).
    pub(crate) fn is_large(&self) -> bool {
        self.fingerprints.capacity() > 128
            || self.atoms.text.capacity() > 2048
            || self.atoms.spans.capacity() > 64
            || self.atoms.index.capacity() > 0
            || self.steps.capacity() > 16
            || self.workloads.capacity() > 8
            || self.identities.capacity() > 8
            || self.objects.capacity() > 8
            || self.evidence.capacity() > 32
            || self.pending.capacity() > 2 * FLUSH_AT
    }

    fn step_index(&self, id: Atom) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    fn intern_id(&mut self, id: IdRef<'_>) -> IdAtoms {
        match id {
            IdRef::ServiceAccount { namespace, name } => IdAtoms::ServiceAccount {
                namespace: self.atoms.intern(namespace),
                name: self.atoms.intern(name),
            },
            IdRef::User(u) => IdAtoms::User(self.atoms.intern(u)),
            IdRef::Anonymous(ip) => IdAtoms::Anonymous(ip.map(|ip| self.atoms.intern(ip))),
        }
    }

    fn add_role(&mut self, id: IdRef<'_>, bit: u8) {
        let atoms = &self.atoms;
        let same = |i: &IdAtoms| match (i, id) {
            (
                IdAtoms::ServiceAccount { namespace, name },
                IdRef::ServiceAccount {
                    namespace: n2,
                    name: m2,
                },
            ) => atoms.get(*namespace) == n2 && atoms.get(*name) == m2,
            (IdAtoms::User(a), IdRef::User(b)) => atoms.get(*a) == b,
            (IdAtoms::Anonymous(a), IdRef::Anonymous(b)) => a.map(|a| atoms.get(a)) == b,
            _ => false,
        };
        match self.identities.iter_mut().find(|(i, _)| same(i)) {
            Some((_, roles)) => *roles |= bit,
            None => {
                let id = self.intern_id(id);
                self.identities.push((id, bit));
            }
        }
    }

    /// Count a new alert (its content hash `dedup` was not seen in this incident
    /// before: `false` and a duplicate counted otherwise) and queue it for aggregation.
    /// Counts and times are updated at once, the rest when the queue is flushed (in one
    /// go, while the incident's memory is in cache).
    pub(crate) fn push(
        &mut self,
        ev: Box<Event>,
        dedup: u128,
        late: bool,
        spare: &mut Vec<Box<Event>>,
    ) -> bool {
        if !self.fingerprints.insert(dedup) {
            self.duplicates += 1;
            spare.push(ev);
            return false;
        }
        self.alert_count += 1;
        if late {
            self.late += 1;
        }
        self.first = self.first.min(ev.time);
        self.last = self.last.max(ev.time);
        self.pending.push(ev);
        true
    }

    /// Whether alerts wait for [`Aggregate::flush`].
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether enough alerts wait for [`Aggregate::flush`].
    pub(crate) fn should_flush(&self) -> bool {
        self.pending.len() >= FLUSH_AT
    }

    /// Aggregate the queued alerts and keep them as evidence (or hand them to `spare`).
    pub(crate) fn flush(
        &mut self,
        options: &Options,
        max_evidence: usize,
        scratch: &mut String,
        spare: &mut Vec<Box<Event>>,
    ) {
        let mut pending = std::mem::take(&mut self.pending);
        for ev in pending.drain(..) {
            self.add(&ev, &Facts::of(&ev, options, None), scratch);
            self.push_evidence(ev, max_evidence, spare);
        }
        self.pending = pending;
    }

    /// Add one alert's entities and techniques.
    fn add(&mut self, ev: &Event, facts: &Facts<'_>, scratch: &mut String) {
        let atoms = &mut self.atoms;
        if let Some(ns) = ev.namespace() {
            self.namespaces.insert_str(atoms, ns);
        }
        for w in facts.workloads.iter() {
            self.namespaces.insert_str(atoms, w.namespace);
            let pos = workload_index(&mut self.workloads, atoms, w.kind, w.namespace, w.name);
            let agg = &mut self.workloads[pos].agg;
            for (set, v) in [
                (&mut agg.containers, w.container),
                (&mut agg.images, w.image),
                (&mut agg.service_accounts, w.service_account),
                (&mut agg.nodes, w.node),
                (&mut agg.container_ids, w.container_id),
            ] {
                if let Some(v) = v {
                    set.insert_str(atoms, v);
                }
            }
        }
        if let Some(cid) = facts.bare_container {
            let pos = workload_index(&mut self.workloads, atoms, "Container", "", cid);
            let agg = &mut self.workloads[pos].agg;
            for (set, v) in [
                (&mut agg.containers, ev.container()),
                (&mut agg.images, ev.image()),
                (&mut agg.nodes, ev.node()),
                (&mut agg.container_ids, Some(cid)),
            ] {
                if let Some(v) = v {
                    set.insert_str(atoms, v);
                }
            }
        }
        if let Some((kind, ns, name)) = facts.object {
            if !ns.is_empty() {
                self.namespaces.insert_str(atoms, ns);
            }
            let present = self.objects.iter().any(|&(k, n, m)| {
                atoms.get(k) == kind && atoms.get(n) == ns && atoms.get(m) == name
            });
            if !present {
                let object = (atoms.intern(kind), atoms.intern(ns), atoms.intern(name));
                self.objects.push(object);
            }
        }
        if let Some(actor) = facts.actor {
            self.add_role(actor, ROLE_ACTOR);
            let atoms = &mut self.atoms;
            if facts.has_groups {
                for g in ev.groups() {
                    self.groups.insert_str(atoms, g);
                }
            }
            for ip in ev.source_ips() {
                self.source_ips.insert_str(atoms, ip);
            }
        }
        if let Some(sa) = facts.runs_as {
            self.add_role(sa, ROLE_RUNS_AS);
        }
        if let Some(node) = ev.node() {
            self.nodes.insert_str(&mut self.atoms, node);
        }

        // The object is only rendered (and interned) when some step would keep it.
        let mut object: Option<Option<Atom>> = None;
        let rank = priority_rank(ev.priority());
        for t in ev.techniques() {
            let found = self.steps.iter().position(|s| self.atoms.get(s.id) == t);
            let pos = match found {
                Some(pos) => pos,
                None => {
                    let id = self.atoms.intern(t);
                    self.steps.push(StepAgg {
                        id,
                        first: ev.time,
                        last: ev.time,
                        count: 0,
                        hints: IdSet::default(),
                        objects: StepObjects::default(),
                        rank: 0,
                        priority: None,
                    });
                    self.steps.len() - 1
                }
            };
            for h in ev.tactics() {
                self.steps[pos].hints.insert_str(&mut self.atoms, h);
            }
            let step = &self.steps[pos];
            let wanted = step.count == 0
                || step.objects.len() < STEP_OBJECTS
                || step.objects.last().is_some_and(|l| ev.time <= l.0);
            if wanted {
                let o = *object.get_or_insert_with(|| {
                    write_object(ev, facts, scratch).then(|| self.atoms.intern(scratch))
                });
                if let Some(o) = o {
                    let atoms = &self.atoms;
                    self.steps[pos].objects.add(ev.time, o, atoms);
                }
            }
            let step = &mut self.steps[pos];
            step.first = step.first.min(ev.time);
            step.last = step.last.max(ev.time);
            step.count += 1;
            // Interned only when it becomes the step's priority (rarely after the first).
            let higher = match step.priority {
                None => true,
                Some(cur) => outranks(rank, ev.priority(), step.rank, self.atoms.get(cur)),
            };
            if higher {
                let p = self.atoms.intern(ev.priority());
                let step = &mut self.steps[pos];
                step.rank = rank;
                step.priority = Some(p);
            }
        }
        let better = match &self.top {
            None => true,
            Some(cur) => {
                std::cmp::Reverse(rank)
                    .cmp(&std::cmp::Reverse(cur.rank))
                    .then(ev.time.cmp(&cur.time))
                    .then_with(|| ev.rule().cmp(self.atoms.get(cur.rule)))
                    == Ordering::Less
            }
        };
        if better {
            self.top = Some(Top {
                rank,
                time: ev.time,
                rule: self.atoms.intern(ev.rule()),
                priority: self.atoms.intern(ev.priority()),
            });
        }
    }

    /// Keep `ev` as evidence (after [`Aggregate::add`] accepted it). Alerts that are not
    /// kept (now or any more) go to `spare`.
    fn push_evidence(&mut self, ev: Box<Event>, max_evidence: usize, spare: &mut Vec<Box<Event>>) {
        let item = EvItem {
            time: ev.time,
            event: ev,
        };
        // Alerts mostly come in order: try the end first.
        let pos = match self.evidence.last() {
            None => 0,
            Some(last) if last.before(&item) => self.evidence.len(),
            Some(_) => self.evidence.partition_point(|e| e.before(&item)),
        };
        // Past the kept head and before the kept tail: dropped right away.
        let max = max_evidence.max(2);
        let head = max / 2;
        if self.evidence.len() >= max && pos >= head && pos <= self.evidence.len() - (max - head) {
            spare.push(item.event);
            return;
        }
        self.evidence.insert(pos, item);
        trim_evidence(&mut self.evidence, max_evidence, spare);
    }

    /// Merge `other` into `self` (`other` is left in an unspecified state, to be
    /// [`Aggregate::reset`]).
    pub(crate) fn absorb(
        &mut self,
        other: &mut Aggregate,
        options: &Options,
        max_evidence: usize,
        scratch: &mut String,
        spare: &mut Vec<Box<Event>>,
    ) {
        self.flush(options, max_evidence, scratch, spare);
        other.flush(options, max_evidence, scratch, spare);
        let overlap = other
            .fingerprints
            .iter()
            .filter(|fp| self.fingerprints.contains(fp))
            .count();
        if self.fingerprints.len() < other.fingerprints.len() {
            std::mem::swap(&mut self.fingerprints, &mut other.fingerprints);
        }
        self.fingerprints.extend(other.fingerprints.drain());
        self.alert_count += other.alert_count.saturating_sub(overlap);
        self.duplicates += other.duplicates + overlap;
        self.late += other.late;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.evidence.append(&mut other.evidence);
        self.evidence.sort_by(|a, b| a.key().cmp(&b.key()));
        let mut kept: Vec<EvItem> = Vec::with_capacity(self.evidence.len());
        for item in self.evidence.drain(..) {
            match kept.last() {
                Some(last) if last.key() == item.key() => spare.push(item.event),
                _ => kept.push(item),
            }
        }
        self.evidence = kept;
        trim_evidence(&mut self.evidence, max_evidence, spare);

        let map = self.atoms.absorb(&other.atoms);
        self.namespaces.union(&other.namespaces, &map);
        for w in other.workloads.drain(..) {
            let (namespace, name) = (remap(&map, w.namespace), remap(&map, w.name));
            let found = self
                .workloads
                .iter()
                .position(|x| x.kind == w.kind && x.namespace == namespace && x.name == name);
            match found {
                Some(pos) => self.workloads[pos].agg.union(&w.agg, &map),
                None => {
                    let mut agg = WorkloadAgg::default();
                    agg.union(&w.agg, &map);
                    self.workloads.push(WlEntry {
                        namespace,
                        kind: w.kind,
                        name,
                        agg,
                    });
                }
            }
        }
        for (id, roles) in other.identities.drain(..) {
            let id = id.remapped(&map);
            match self.identities.iter_mut().find(|(i, _)| *i == id) {
                Some((_, r)) => *r |= roles,
                None => self.identities.push((id, roles)),
            }
        }
        self.groups.union(&other.groups, &map);
        self.source_ips.union(&other.source_ips, &map);
        self.nodes.union(&other.nodes, &map);
        for (k, n, m) in other.objects.drain(..) {
            let o = (remap(&map, k), remap(&map, n), remap(&map, m));
            if !self.objects.contains(&o) {
                self.objects.push(o);
            }
        }
        for s in other.steps.drain(..) {
            let id = remap(&map, s.id);
            let pos = match self.step_index(id) {
                Some(pos) => pos,
                None => {
                    self.steps.push(StepAgg {
                        id,
                        first: s.first,
                        last: s.last,
                        count: 0,
                        hints: IdSet::default(),
                        objects: StepObjects::default(),
                        rank: 0,
                        priority: None,
                    });
                    self.steps.len() - 1
                }
            };
            let atoms = &self.atoms;
            let mine = &mut self.steps[pos];
            mine.first = mine.first.min(s.first);
            mine.last = mine.last.max(s.last);
            mine.count += s.count;
            mine.hints.union(&s.hints, &map);
            for &(t, o) in s.objects.as_slice() {
                mine.objects.add(t, remap(&map, o), atoms);
            }
            if let Some(p) = s.priority {
                mine.raise_priority(s.rank, remap(&map, p), atoms);
            }
        }
        if let Some(t) = other.top.take() {
            let t = Top {
                rule: remap(&map, t.rule),
                priority: remap(&map, t.priority),
                ..t
            };
            if self
                .top
                .as_ref()
                .is_none_or(|cur| t.better_than(cur, &self.atoms))
            {
                self.top = Some(t);
            }
        }
    }
}

/// Keep the first `max / 2` and the last `max - max / 2` items of a sorted list; the
/// others go to `spare`.
fn trim_evidence(list: &mut Vec<EvItem>, max: usize, spare: &mut Vec<Box<Event>>) {
    let max = max.max(2);
    if list.len() > max {
        let head = max / 2;
        let tail = max - head;
        let cut_to = list.len() - tail;
        spare.extend(list.drain(head..cut_to).map(|e| e.event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_objects_keep_the_earliest_distinct() {
        let mut atoms = Atoms::new(FastState::default());
        let mut v = StepObjects::default();
        for (t, o) in [(5, "a"), (3, "b"), (4, "a"), (9, "c"), (1, "d"), (2, "b")] {
            let a = atoms.intern(o);
            v.add(t, a, &atoms);
        }
        let got: Vec<(i64, &str)> = v
            .as_slice()
            .iter()
            .map(|&(t, a)| (t, atoms.get(a)))
            .collect();
        assert_eq!(got, vec![(1, "d"), (2, "b"), (4, "a")]);
    }

    #[test]
    fn atoms_are_distinct_and_survive_the_map() {
        let mut atoms = Atoms::new(FastState::default());
        let ids: Vec<Atom> = (0..100).map(|i| atoms.intern(&format!("v{i}"))).collect();
        for (i, &a) in ids.iter().enumerate() {
            assert_eq!(atoms.get(a), format!("v{i}"));
            assert_eq!(atoms.intern(&format!("v{i}")), a);
            assert_eq!(atoms.find(&format!("v{i}")), Some(a));
        }
        assert_eq!(atoms.find("nope"), None);
        let mut other = Atoms::new(FastState::default());
        let x = other.intern("v7");
        let y = other.intern("new");
        let map = atoms.absorb(&other);
        assert_eq!(map[x as usize], ids[7]);
        assert_eq!(atoms.get(map[y as usize]), "new");
    }

    #[test]
    fn id_sets_are_sets() {
        let mut s = IdSet::default();
        for a in [5, 3, 5, 9, 1, 3] {
            s.insert(a);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 3, 5, 9]);
        assert!(s.contains(9) && !s.contains(2));
        assert_eq!(s.len(), 4);
    }

    /// An alert for the merge test: `i` picks its pod, identity, node and techniques.
    fn alert(i: usize) -> palisade_core::AlertRecord {
        use palisade_core::{AlertActor, AlertRecord, AlertWorkload};
        let pods = ["web-7d9f8c6b5-x2x4q", "db-0", "api", "web-7d9f8c6b5-q8zrt"];
        let users = ["system:serviceaccount:shop:ci", "alice", "system:anonymous"];
        let techniques = ["T1609", "T1611", "T1610", "T1552.007"];
        AlertRecord {
            schema: palisade_core::ALERT_SCHEMA.into(),
            time: palisade_core::rfc3339_utc(1_795_687_200_000_000_000 + i as i64 * 7_000_000_000),
            rule: format!("rule-{}", i % 5),
            priority: ["notice", "critical", "warning"][i % 3].into(),
            techniques: vec![techniques[i % 4].into(), techniques[(i / 3) % 4].into()],
            tactics: vec!["execution".into(), ["discovery", "impact"][i % 2].into()],
            source: if i.is_multiple_of(2) {
                "k8s_audit"
            } else {
                "syscall"
            }
            .into(),
            output: format!("alert {i}"),
            workload: AlertWorkload {
                cluster: Some("prod".into()),
                namespace: Some(["shop", "payments"][i % 2].into()),
                pod: Some(pods[i % 4].into()),
                container: Some(format!("c{}", i % 3)),
                image: Some(format!("img:{}", i % 2)),
                service_account: Some(["ci", "default"][i % 2].into()),
                node: Some(format!("worker-{}", i % 3)),
                container_id: i.is_multiple_of(3).then(|| format!("{:012x}", i % 6)),
            },
            actor: AlertActor {
                user: Some(users[i % 3].into()),
                groups: vec![format!("g{}", i % 4)],
                source_ips: vec![format!("10.0.0.{}", i % 7)],
            },
            event_id: Some(format!("e{i}")),
            fields: std::collections::BTreeMap::from([
                (
                    "ka.target.resource".to_string(),
                    ["secrets", "deployments"][i % 2].to_string(),
                ),
                ("ka.target.name".to_string(), format!("t{}", i % 3)),
            ]),
        }
    }

    /// Aggregate alerts `range` into a new aggregate (queued, then partly flushed).
    fn aggregate(
        range: std::ops::Range<usize>,
        state: FastState,
        spare: &mut Vec<Box<Event>>,
    ) -> Aggregate {
        let options = Options::default();
        let mut agg = Aggregate::new(Some("prod".into()), 0, state);
        agg.first = i64::MAX;
        let mut scratch = String::new();
        let keys = crate::entity::KeyHasher::default();
        for i in range {
            let ev = Box::new(Event::from_alert(&alert(i), None).expect("valid"));
            let dedup = keys.content(&ev);
            agg.push(ev, dedup, false, spare);
            if i.is_multiple_of(5) {
                agg.flush(&options, 6, &mut scratch, spare);
            }
        }
        agg
    }

    /// Merging two incidents gives the same incident whichever absorbs the other (the
    /// strings of each are interned in its own table, so this checks the translation).
    #[test]
    fn merging_is_symmetric() {
        let catalogue = palisade_attack::Catalogue::builtin(palisade_attack::AttackVersion::V18_1);
        let findings = crate::findings::FindingIndex::default();
        let state = FastState::default();
        let options = Options::default();
        let mut spare = Vec::new();
        let mut scratch = String::new();
        let mut merged = |a: std::ops::Range<usize>, b: std::ops::Range<usize>| {
            let mut x = aggregate(a, state, &mut spare);
            let mut y = aggregate(b, state, &mut spare);
            x.absorb(&mut y, &options, 6, &mut scratch, &mut spare);
            let mut lookup = crate::assemble::Lookup::new(catalogue);
            crate::assemble::assemble(
                &mut x,
                &mut lookup,
                &findings,
                std::iter::empty(),
                &mut spare,
            )
        };
        let ab = merged(0..23, 23..40);
        let ba = merged(23..40, 0..23);
        assert_eq!(ab, ba);
        let all = {
            let mut x = aggregate(0..40, state, &mut spare);
            x.flush(&options, 6, &mut scratch, &mut spare);
            let mut lookup = crate::assemble::Lookup::new(catalogue);
            crate::assemble::assemble(
                &mut x,
                &mut lookup,
                &findings,
                std::iter::empty(),
                &mut spare,
            )
        };
        assert_eq!(ab, all);
        assert_eq!(ab.alert_count, 40);
        assert!(
            ab.workloads.len() >= 4 && ab.identities.len() >= 2,
            "{ab:#?}"
        );
    }

    #[test]
    fn priorities_rank() {
        assert!(priority_rank("critical") > priority_rank("warning"));
        assert_eq!(priority_rank("whatever"), priority_rank("notice"));
    }
}
