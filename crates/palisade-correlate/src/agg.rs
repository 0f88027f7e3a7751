//! The state of one open incident, built so that merging two incidents gives the same
//! result whichever absorbs the other (every part is a set union, a sum, a min or a max).

use crate::entity::{Facts, IdRef, Identity, Key};
use crate::event::Event;

/// The identity made requests.
pub(crate) const ROLE_ACTOR: u8 = 1;
/// A pod of the incident runs as the identity.
pub(crate) const ROLE_RUNS_AS: u8 = 2;
use crate::hash::{FastSet, FastState};
use crate::incident::{Evidence, EvidenceKind};
use std::collections::{BTreeMap, BTreeSet};

/// Objects remembered per technique.
const STEP_OBJECTS: usize = 3;

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

/// One alert kept as evidence (rendered by [`EvItem::into_evidence`]).
#[derive(Debug, Clone)]
pub(crate) struct EvItem {
    pub event: Event,
}

impl EvItem {
    /// Evidence order: time, source, event id, rule, fingerprint.
    pub(crate) fn key(&self) -> (i64, &str, Option<&str>, &str, u64) {
        let e = &self.event;
        (e.time, e.source(), e.event_id(), e.rule(), e.fp)
    }

    pub(crate) fn into_evidence(self) -> Evidence {
        let e = &self.event;
        let time = crate::time::Timestamp(e.time).to_rfc3339();
        Evidence {
            kind: EvidenceKind::Alert,
            source_ref: match e.event_id() {
                Some(id) => id.to_string(),
                None => format!("{}@{time}", e.source()),
            },
            time: Some(time),
            rule_or_check: e.rule().to_string(),
            severity: e.priority().to_string(),
            techniques: e.techniques().map(str::to_string).collect(),
            summary: e.summary().to_string(),
            source: e.source().to_string(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct WorkloadAgg {
    pub containers: BTreeSet<String>,
    pub images: BTreeSet<String>,
    pub service_accounts: BTreeSet<String>,
    pub nodes: BTreeSet<String>,
    pub container_ids: BTreeSet<String>,
}

impl WorkloadAgg {
    fn absorb(&mut self, o: WorkloadAgg) {
        self.containers.extend(o.containers);
        self.images.extend(o.images);
        self.service_accounts.extend(o.service_accounts);
        self.nodes.extend(o.nodes);
        self.container_ids.extend(o.container_ids);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StepAgg {
    pub first: i64,
    pub last: i64,
    pub count: usize,
    /// Tactics the alerts named next to this technique.
    pub hints: BTreeSet<String>,
    /// The earliest objects it was seen on.
    pub objects: Vec<(i64, String)>,
}

/// The most severe alert: highest rank, then earliest, then smallest rule name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Top {
    pub rank: u8,
    pub time: i64,
    pub rule: String,
    pub priority: String,
}

impl Top {
    fn better_than(&self, o: &Top) -> bool {
        (std::cmp::Reverse(self.rank), self.time, &self.rule)
            < (std::cmp::Reverse(o.rank), o.time, &o.rule)
    }
}

/// A workload of an incident and what was seen of it.
#[derive(Debug, Clone)]
pub(crate) struct WlEntry {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub agg: WorkloadAgg,
}

#[derive(Debug, Clone)]
pub(crate) struct Aggregate {
    pub cluster: Option<String>,
    pub first: i64,
    pub last: i64,
    pub alert_count: usize,
    pub duplicates: usize,
    pub late: usize,
    /// Keyed 128-bit hashes of the alerts' content, to recognise duplicates.
    pub fingerprints: FastSet<u128>,
    /// Sorted by key; the first `keep_head` and last `keep_tail` of all alerts.
    pub evidence: Vec<EvItem>,
    pub namespaces: BTreeSet<String>,
    /// By aggregation key.
    pub workloads: BTreeMap<Key, WlEntry>,
    /// Identities and their roles ([`ROLE_ACTOR`], [`ROLE_RUNS_AS`] bits).
    pub identities: Vec<(Identity, u8)>,
    pub groups: BTreeSet<String>,
    pub source_ips: BTreeSet<String>,
    pub nodes: BTreeSet<String>,
    /// Non-workload targets: (kind, namespace or "", name).
    pub objects: BTreeSet<(String, String, String)>,
    pub steps: BTreeMap<String, StepAgg>,
    pub top: Option<Top>,
}

/// The object an alert is about, for the technique steps.
fn object_of(ev: &Event, facts: &Facts<'_>) -> Option<String> {
    if let Some(w) = facts.workloads.first() {
        return Some(if w.kind == "Pod" {
            format!("pod {}/{}", w.namespace, w.name)
        } else {
            format!("{} {}/{}", w.kind, w.namespace, w.name)
        });
    }
    if let Some((kind, ns, name)) = &facts.object {
        return Some(if ns.is_empty() {
            format!("{kind} {name}")
        } else {
            format!("{kind} {ns}/{name}")
        });
    }
    if let Some((_, cid)) = facts.bare_container {
        return Some(format!("container {cid}"));
    }
    if let Some(node) = facts.host_node {
        return Some(format!("node {node}"));
    }
    ev.namespace().map(|ns| format!("namespace {ns}"))
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
            fingerprints: FastSet::with_hasher(state),
            evidence: Vec::new(),
            namespaces: BTreeSet::new(),
            workloads: BTreeMap::new(),
            identities: Vec::new(),
            groups: BTreeSet::new(),
            source_ips: BTreeSet::new(),
            nodes: BTreeSet::new(),
            objects: BTreeSet::new(),
            steps: BTreeMap::new(),
            top: None,
        }
    }

    /// Add one alert's entities, techniques and counts. Returns `false` (and counts a
    /// duplicate) when the same alert is already part of this incident; otherwise the
    /// caller hands the alert to [`Aggregate::push_evidence`].
    pub(crate) fn add(&mut self, ev: &Event, facts: &Facts<'_>, dedup: u128, late: bool) -> bool {
        if !self.fingerprints.insert(dedup) {
            self.duplicates += 1;
            return false;
        }
        self.alert_count += 1;
        if late {
            self.late += 1;
        }
        self.first = self.first.min(ev.time);
        self.last = self.last.max(ev.time);

        if let Some(ns) = ev.namespace() {
            insert_str(&mut self.namespaces, ns);
        }
        // The object is only rendered when some step would keep it.
        let wanted = ev.techniques().any(|t| {
            self.steps.get(t).is_none_or(|s| {
                s.objects.len() < STEP_OBJECTS || s.objects.last().is_some_and(|l| ev.time <= l.0)
            })
        });
        let object = if wanted { object_of(ev, facts) } else { None };
        for w in facts.workloads.iter() {
            insert_str(&mut self.namespaces, w.namespace);
            let entry = self.workloads.entry(w.key).or_insert_with(|| WlEntry {
                namespace: w.namespace.to_string(),
                kind: w.kind.to_string(),
                name: w.name.to_string(),
                agg: WorkloadAgg::default(),
            });
            let agg = &mut entry.agg;
            insert_opt(&mut agg.containers, w.container);
            insert_opt(&mut agg.images, w.image);
            insert_opt(&mut agg.service_accounts, w.service_account);
            insert_opt(&mut agg.nodes, w.node);
            insert_opt(&mut agg.container_ids, w.container_id);
        }
        if let Some((key, cid)) = facts.bare_container {
            let entry = self.workloads.entry(key).or_insert_with(|| WlEntry {
                namespace: String::new(),
                kind: "Container".to_string(),
                name: cid.to_string(),
                agg: WorkloadAgg::default(),
            });
            let agg = &mut entry.agg;
            insert_opt(&mut agg.containers, ev.container());
            insert_opt(&mut agg.images, ev.image());
            insert_opt(&mut agg.nodes, ev.node());
            insert_opt(&mut agg.container_ids, Some(cid));
        }
        if let Some((kind, ns, name)) = &facts.object {
            if !ns.is_empty() {
                insert_str(&mut self.namespaces, ns);
            }
            let present = self
                .objects
                .iter()
                .any(|(k, n, m)| k == kind && n == ns && m == name);
            if !present {
                self.objects
                    .insert((kind.clone(), ns.to_string(), name.to_string()));
            }
        }
        if let Some(actor) = facts.actor {
            add_role(&mut self.identities, actor, "actor");
            if facts.has_groups {
                for g in ev.groups() {
                    insert_str(&mut self.groups, g);
                }
            }
            for ip in ev.source_ips() {
                insert_str(&mut self.source_ips, ip);
            }
        }
        if let Some(sa) = facts.runs_as {
            add_role(&mut self.identities, sa, "runs-as");
        }
        insert_opt(&mut self.nodes, ev.node());

        for t in ev.techniques() {
            let step = match self.steps.get_mut(t) {
                Some(s) => s,
                None => self.steps.entry(t.to_string()).or_insert_with(|| StepAgg {
                    first: ev.time,
                    last: ev.time,
                    count: 0,
                    hints: BTreeSet::new(),
                    objects: Vec::new(),
                }),
            };
            step.first = step.first.min(ev.time);
            step.last = step.last.max(ev.time);
            step.count += 1;
            for h in ev.tactics() {
                insert_str(&mut step.hints, h);
            }
            if let Some(o) = &object {
                add_object(&mut step.objects, (ev.time, o.clone()));
            }
        }
        let rank = priority_rank(ev.priority());
        let better = self.top.as_ref().is_none_or(|cur| {
            (std::cmp::Reverse(rank), ev.time, ev.rule())
                < (std::cmp::Reverse(cur.rank), cur.time, cur.rule.as_str())
        });
        if better {
            self.top = Some(Top {
                rank,
                time: ev.time,
                rule: ev.rule().to_string(),
                priority: ev.priority().to_string(),
            });
        }
        true
    }

    /// Keep `ev` as evidence (after [`Aggregate::add`] accepted it).
    pub(crate) fn push_evidence(&mut self, ev: Event, max_evidence: usize) {
        let item = EvItem { event: ev };
        let pos = self.evidence.partition_point(|e| e.key() < item.key());
        // Past the kept head and before the kept tail: dropped right away.
        let max = max_evidence.max(2);
        let head = max / 2;
        if self.evidence.len() >= max && pos >= head && pos <= self.evidence.len() - (max - head) {
            return;
        }
        self.evidence.insert(pos, item);
        trim_evidence(&mut self.evidence, max_evidence);
    }

    /// Merge `other` into `self`.
    pub(crate) fn absorb(&mut self, other: Aggregate, max_evidence: usize) {
        let overlap = other
            .fingerprints
            .iter()
            .filter(|fp| self.fingerprints.contains(fp))
            .count();
        self.fingerprints.extend(other.fingerprints);
        self.alert_count += other.alert_count.saturating_sub(overlap);
        self.duplicates += other.duplicates + overlap;
        self.late += other.late;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.evidence.extend(other.evidence);
        self.evidence.sort_by(|a, b| a.key().cmp(&b.key()));
        self.evidence.dedup_by(|a, b| a.key() == b.key());
        trim_evidence(&mut self.evidence, max_evidence);
        self.namespaces.extend(other.namespaces);
        for (k, w) in other.workloads {
            match self.workloads.get_mut(&k) {
                Some(mine) => mine.agg.absorb(w.agg),
                None => {
                    self.workloads.insert(k, w);
                }
            }
        }
        for (id, roles) in other.identities {
            match self.identities.iter_mut().find(|(i, _)| *i == id) {
                Some((_, r)) => *r |= roles,
                None => self.identities.push((id, roles)),
            }
        }
        self.groups.extend(other.groups);
        self.source_ips.extend(other.source_ips);
        self.nodes.extend(other.nodes);
        self.objects.extend(other.objects);
        for (t, s) in other.steps {
            match self.steps.get_mut(&t) {
                None => {
                    self.steps.insert(t, s);
                }
                Some(mine) => {
                    mine.first = mine.first.min(s.first);
                    mine.last = mine.last.max(s.last);
                    mine.count += s.count;
                    mine.hints.extend(s.hints);
                    for o in s.objects {
                        add_object(&mut mine.objects, o);
                    }
                }
            }
        }
        if let Some(t) = other.top
            && self.top.as_ref().is_none_or(|cur| t.better_than(cur))
        {
            self.top = Some(t);
        }
    }
}

fn insert_str(set: &mut BTreeSet<String>, v: &str) {
    if !set.contains(v) {
        set.insert(v.to_string());
    }
}

fn insert_opt(set: &mut BTreeSet<String>, v: Option<&str>) {
    if let Some(v) = v {
        insert_str(set, v);
    }
}

fn add_role(map: &mut Vec<(Identity, u8)>, id: IdRef<'_>, role: &'static str) {
    let bit = if role == "actor" {
        ROLE_ACTOR
    } else {
        ROLE_RUNS_AS
    };
    match map.iter_mut().find(|(i, _)| id.matches(i)) {
        Some((_, roles)) => *roles |= bit,
        None => map.push((id.to_owned(), bit)),
    }
}

/// Keep the `STEP_OBJECTS` smallest (time, object) pairs, distinct objects only.
fn add_object(list: &mut Vec<(i64, String)>, item: (i64, String)) {
    if let Some(pos) = list.iter().position(|(_, o)| *o == item.1) {
        if list[pos].0 <= item.0 {
            return;
        }
        list.remove(pos);
    }
    let pos = list.partition_point(|x| *x < item);
    list.insert(pos, item);
    list.truncate(STEP_OBJECTS);
}

/// Keep the first `max / 2` and the last `max - max / 2` items of a sorted list.
fn trim_evidence(list: &mut Vec<EvItem>, max: usize) {
    let max = max.max(2);
    if list.len() > max {
        let head = max / 2;
        let tail = max - head;
        let cut_to = list.len() - tail;
        list.drain(head..cut_to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_objects_keep_the_earliest_distinct() {
        let mut v = Vec::new();
        for (t, o) in [(5, "a"), (3, "b"), (4, "a"), (9, "c"), (1, "d"), (2, "b")] {
            add_object(&mut v, (t, o.to_string()));
        }
        assert_eq!(
            v,
            vec![
                (1, "d".to_string()),
                (2, "b".to_string()),
                (4, "a".to_string())
            ]
        );
    }

    #[test]
    fn priorities_rank() {
        assert!(priority_rank("critical") > priority_rank("warning"));
        assert_eq!(priority_rank("whatever"), priority_rank("notice"));
    }
}
