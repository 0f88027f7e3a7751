//! From a closed incident's aggregate to the [`Incident`] handed out.

use crate::agg::{
    Aggregate, Atom, Atoms, EvItem, ROLE_ACTOR, ROLE_RUNS_AS, WlEntry, outranks, priority_rank,
};
use crate::entity::Identity;
use crate::event::{concat, shorten};
use crate::findings::FindingIndex;
use crate::hash::FastMap;
use crate::incident::{
    Evidence, EvidenceKind, IdentityRef, Incident, Score, SensorDrop, TacticRef, TechniqueStep,
    WorkloadRef,
};
use crate::time::Timestamp;
use palisade_attack::Catalogue;
use palisade_core::Finding;

/// Drop reports listed per incident.
const MAX_DROPS_LISTED: usize = 20;
/// Finding summary length.
const FINDING_SUMMARY_MAX: usize = 300;

/// A sensor's report of dropped events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DropNote {
    pub time: i64,
    pub cluster: Option<String>,
    pub node: Option<String>,
    pub dropped: Option<u64>,
    pub rule: String,
    pub audit: bool,
}

/// Severity component of the score for an alert priority rank.
fn severity_of_rank(rank: u8) -> f64 {
    match rank {
        0 => 0.1,
        1 => 0.3,
        2 => 0.5,
        3 => 0.7,
        4 => 0.85,
        _ => 1.0,
    }
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// `Parent: Sub-technique` for sub-techniques.
pub(crate) fn technique_name(catalogue: &Catalogue, id: &str) -> Option<String> {
    let t = catalogue.technique(id)?;
    match t.parent.as_deref().and_then(|p| catalogue.technique(p)) {
        Some(parent) => Some(format!("{}: {}", parent.name, t.name)),
        None => Some(t.name.clone()),
    }
}

/// What the catalogue says about one technique id.
#[derive(Debug)]
struct TechInfo {
    /// The id after following revocations.
    id: String,
    name: String,
    /// Positions (indices into `catalogue.tactics`) of its tactics, matrix order.
    tactics: Vec<usize>,
}

/// Most entries a [`Lookup`] cache holds before it starts over.
const CACHE_MAX: usize = 65_536;

/// Catalogue lookups, cached: the catalogue's own lookups scan every technique, and each
/// closing incident needs a few per technique.
#[derive(Debug)]
pub(crate) struct Lookup<'c> {
    pub catalogue: &'c Catalogue,
    by_id: FastMap<String, usize>,
    infos: Vec<TechInfo>,
    hints: FastMap<String, Option<usize>>,
    /// Reusable buffers of [`steps`]: (technique, tactic hints, merged) per step; the
    /// sort key and index of each step; where each goes; each step's first time.
    resolved: Vec<(usize, u64, bool)>,
    order: Vec<(usize, i64, usize, usize)>,
    dest: Vec<usize>,
    times: Vec<i64>,
}

impl<'c> Lookup<'c> {
    pub(crate) fn new(catalogue: &'c Catalogue) -> Lookup<'c> {
        Lookup {
            catalogue,
            by_id: FastMap::default(),
            infos: Vec::new(),
            hints: FastMap::default(),
            resolved: Vec::new(),
            order: Vec::new(),
            dest: Vec::new(),
            times: Vec::new(),
        }
    }

    /// Make room for `n` more entries without evicting any during one incident.
    fn reserve(&mut self, n: usize) {
        if self.infos.len().saturating_add(n) > CACHE_MAX {
            self.by_id.clear();
            self.infos.clear();
        }
        if self.hints.len().saturating_add(n) > CACHE_MAX {
            self.hints.clear();
        }
    }

    fn technique(&mut self, raw: &str) -> usize {
        if let Some(&i) = self.by_id.get(raw) {
            return i;
        }
        let c = self.catalogue;
        let id = c
            .resolve(raw)
            .map_or_else(|| raw.to_string(), |t| t.id.clone());
        let tactics = c
            .place(&id, None)
            .into_iter()
            .filter_map(|(tac, _)| c.tactics.iter().position(|t| t.id == tac.id))
            .collect();
        let info = TechInfo {
            name: technique_name(c, &id).unwrap_or_else(|| id.clone()),
            id,
            tactics,
        };
        self.infos.push(info);
        let i = self.infos.len() - 1;
        self.by_id.insert(raw.to_string(), i);
        i
    }

    fn hint(&mut self, h: &str) -> Option<usize> {
        if let Some(&p) = self.hints.get(h) {
            return p;
        }
        let c = self.catalogue;
        let p = c
            .tactic(h)
            .and_then(|tac| c.tactics.iter().position(|t| t.id == tac.id));
        self.hints.insert(h.to_string(), p);
        p
    }
}

/// Bit `p` set for every tactic position `p` (positions past 63 are dropped: no matrix
/// has that many tactics).
fn mask_of(positions: &[usize]) -> u64 {
    positions
        .iter()
        .filter(|&&p| p < 64)
        .fold(0, |m, &p| m | (1u64 << p))
}

/// The parts (one per technique id as the alerts gave it) of one technique step: almost
/// always one, several when the alerts named a revoked id and its successor.
enum Parts<'a> {
    One(&'a crate::agg::StepAgg),
    Many(Vec<&'a crate::agg::StepAgg>),
}

impl<'a> Parts<'a> {
    fn iter(&self) -> impl Iterator<Item = &'a crate::agg::StepAgg> + '_ {
        let (one, many) = match self {
            Parts::One(p) => (Some(*p), None),
            Parts::Many(v) => (None, Some(v.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

/// The technique steps in kill-chain order, their first times, and the tactics.
/// The technique steps in kill-chain order and the tactics; each step's first time goes
/// to `lk.times`, in step order.
fn steps(agg: &Aggregate, lk: &mut Lookup<'_>) -> (Vec<TechniqueStep>, Vec<TacticRef>) {
    let hint_count: usize = agg.steps.iter().map(|s| s.hints.len()).sum();
    lk.reserve(agg.steps.len().max(hint_count));
    // Phase 1 (cache lookups): each step's technique and the tactics its alerts named.
    let mut resolved = std::mem::take(&mut lk.resolved);
    resolved.clear();
    for s in &agg.steps {
        let ix = lk.technique(agg.atoms.get(s.id));
        let mut hints = 0u64;
        for h in s.hints.iter() {
            if let Some(p) = lk.hint(agg.atoms.get(h)).filter(|&p| p < 64) {
                hints |= 1 << p;
            }
        }
        resolved.push((ix, hints, false));
    }
    // Phase 2: build the steps. Revoked and current ids of one technique are merged into
    // one step (the group of the first step with that resolved id).
    let mut order = std::mem::take(&mut lk.order);
    order.clear();
    let lk_ref = &*lk;
    let tactics_all = &lk_ref.catalogue.tactics;
    let mut used = 0u64;
    let mut out: Vec<TechniqueStep> = Vec::with_capacity(agg.steps.len());
    for i in 0..agg.steps.len() {
        if resolved[i].2 {
            continue;
        }
        let ix = resolved[i].0;
        let id = &lk_ref.infos[ix].id;
        let mut hints = resolved[i].1;
        let mut parts = Parts::One(&agg.steps[i]);
        for (j, other) in resolved.iter_mut().enumerate().skip(i + 1) {
            if !other.2 && lk_ref.infos[other.0].id == *id {
                other.2 = true;
                hints |= other.1;
                match &mut parts {
                    Parts::One(p) => parts = Parts::Many(vec![*p, &agg.steps[j]]),
                    Parts::Many(v) => v.push(&agg.steps[j]),
                }
            }
        }
        let info = &lk_ref.infos[ix];
        let all = mask_of(&info.tactics);
        let chosen = if all & hints != 0 { all & hints } else { all };
        used |= chosen;
        let first = parts.iter().map(|p| p.first).min().unwrap_or(agg.first);
        let last = parts.iter().map(|p| p.last).max().unwrap_or(agg.last);
        let count = parts.iter().map(|p| p.count).sum();
        // The highest priority over the parts.
        let max_priority = parts
            .iter()
            .filter_map(|p| p.priority.map(|a| (p.rank, agg.atoms.get(a))))
            .fold(None, |best: Option<(u8, &str)>, (rank, name)| match best {
                Some((r, n)) if !outranks(rank, name, r, n) => best,
                _ => Some((rank, name)),
            })
            .map_or_else(String::new, |(_, name)| name.to_string());
        let shortnames: Vec<String> = if chosen == 0 {
            // Unknown to this catalogue: keep what the alerts said.
            let mut v: Vec<String> = parts
                .iter()
                .flat_map(|p| p.hints.iter().map(|h| agg.atoms.get(h).to_string()))
                .collect();
            v.sort();
            v.dedup();
            v
        } else {
            let mut v = Vec::with_capacity(chosen.count_ones() as usize);
            v.extend(
                (0..64)
                    .filter(|p| chosen & (1 << p) != 0)
                    .filter_map(|p| tactics_all.get(p))
                    .map(|t| t.shortname.clone()),
            );
            v
        };
        let first_pos = if chosen == 0 {
            usize::MAX
        } else {
            chosen.trailing_zeros() as usize
        };
        // Each part keeps its earliest distinct objects, sorted.
        let distinct: Vec<String> = match &parts {
            Parts::One(p) => p
                .objects
                .as_slice()
                .iter()
                .map(|&(_, o)| agg.atoms.get(o).to_string())
                .collect(),
            Parts::Many(_) => {
                let mut objects: Vec<(i64, &str)> = parts
                    .iter()
                    .flat_map(|p| p.objects.as_slice().iter())
                    .map(|&(t, o)| (t, agg.atoms.get(o)))
                    .collect();
                objects.sort();
                let mut distinct: Vec<String> = Vec::new();
                for (_, o) in objects {
                    if distinct.len() < 3 && !distinct.iter().any(|d| d == o) {
                        distinct.push(o.to_string());
                    }
                }
                distinct
            }
        };
        let first_seen = Timestamp(first).to_rfc3339();
        let last_seen = if last == first {
            first_seen.clone()
        } else {
            Timestamp(last).to_rfc3339()
        };
        order.push((first_pos, first, ix, out.len()));
        out.push(TechniqueStep {
            technique: info.id.clone(),
            name: info.name.clone(),
            tactic_shortnames: shortnames,
            first_seen,
            last_seen,
            evidence_count: count,
            objects: distinct,
            max_priority,
        });
    }
    // Kill-chain order: first tactic's position in the matrix, first time, id.
    order.sort_unstable_by(|a, b| {
        (a.0, a.1, &lk_ref.infos[a.2].id).cmp(&(b.0, b.1, &lk_ref.infos[b.2].id))
    });
    // Move each step to its place: `dest[j]` is where the step now at `j` goes.
    let mut dest = std::mem::take(&mut lk.dest);
    dest.clear();
    dest.resize(order.len(), 0);
    for (k, o) in order.iter().enumerate() {
        dest[o.3] = k;
    }
    for j in 0..out.len() {
        while dest[j] != j {
            let t = dest[j];
            out.swap(j, t);
            dest.swap(j, t);
        }
    }
    lk.times.clear();
    lk.times.extend(order.iter().map(|o| o.1));
    let mut tactics = Vec::with_capacity(used.count_ones() as usize);
    tactics.extend(
        (0..64)
            .filter(|p| used & (1 << p) != 0)
            .filter_map(|p| lk.catalogue.tactics.get(p))
            .map(|t| TacticRef {
                id: t.id.clone(),
                shortname: t.shortname.clone(),
                name: t.name.clone(),
            }),
    );
    lk.resolved = resolved;
    lk.order = order;
    lk.dest = dest;
    (out, tactics)
}

fn workloads(list: &[WlEntry], atoms: &Atoms) -> Vec<WorkloadRef> {
    // A container known by id only is listed only if no pod of the incident has it.
    let in_pod = |cid: Atom| {
        list.iter()
            .any(|w| w.kind != "Container" && w.agg.container_ids.contains(cid))
    };
    let mut out: Vec<WorkloadRef> = list
        .iter()
        .filter(|w| w.kind != "Container" || !in_pod(w.name))
        .map(|w| WorkloadRef {
            namespace: atoms.get(w.namespace).to_string(),
            kind: w.kind.to_string(),
            name: atoms.get(w.name).to_string(),
            containers: w.agg.containers.strings(atoms),
            images: w.agg.images.strings(atoms),
            service_accounts: w.agg.service_accounts.strings(atoms),
            nodes: w.agg.nodes.strings(atoms),
            container_ids: w.agg.container_ids.strings(atoms),
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    out
}

fn identities(agg: &Aggregate) -> Vec<IdentityRef> {
    let mut out: Vec<IdentityRef> = agg
        .identities
        .iter()
        .map(|&(id, roles)| {
            let mut role_names = Vec::with_capacity(2);
            if roles & ROLE_ACTOR != 0 {
                role_names.push("actor".to_string());
            }
            if roles & ROLE_RUNS_AS != 0 {
                role_names.push("runs-as".to_string());
            }
            let id = id.identity(&agg.atoms);
            let key = id.key();
            let display = id.display();
            let (kind, namespace, name) = match id {
                Identity::ServiceAccount { namespace, name } => {
                    ("service-account", Some(namespace), name)
                }
                Identity::User(name) => ("user", None, name),
                Identity::Anonymous(ip) => ("anonymous", None, ip.unwrap_or_default()),
            };
            IdentityRef {
                key,
                kind: kind.to_string(),
                namespace,
                name,
                roles: role_names,
                display,
            }
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// What a finding is about, for the explanation: the role an RBAC finding's binding
/// grants (`ClusterRole/ci-deployer`), else the object (`CronJob shop/log-rotate`), else
/// the file.
pub(crate) fn finding_anchor(f: &Finding) -> String {
    let from_binding = f
        .object
        .as_ref()
        .is_none_or(|o| o.kind == "ClusterRoleBinding" || o.kind == "RoleBinding");
    if let Some(s) = &f.subject
        && from_binding
        && !s.role.is_empty()
    {
        return s.role.clone();
    }
    match &f.object {
        Some(o) => match (&o.namespace, &o.name) {
            (Some(ns), Some(name)) => format!("{} {ns}/{name}", o.kind),
            (None, Some(name)) => format!("{} {name}", o.kind),
            _ => o.kind.clone(),
        },
        None => f.location.path.clone(),
    }
}

fn finding_evidence(f: &Finding) -> Evidence {
    let about = match (&f.subject, &f.object) {
        (Some(s), Some(o)) if o.kind.ends_with("RoleBinding") => s.display_name(),
        (Some(s), None) => s.display_name(),
        _ => finding_anchor(f),
    };
    Evidence {
        kind: EvidenceKind::Finding,
        time: None,
        rule_or_check: f.check.clone(),
        severity: f.severity.as_str().to_string(),
        techniques: f.techniques.clone(),
        summary: if f.message.starts_with(&about) {
            shorten(&f.message, FINDING_SUMMARY_MAX)
        } else {
            shorten(&format!("{about}: {}", f.message), FINDING_SUMMARY_MAX)
        },
        source: "posture".to_string(),
        source_ref: format!("{}:{}", f.location.path, f.location.line),
    }
}

/// Whether a drop report can have hidden activity of this incident.
/// `unplaced` = the incident has a pod or container whose node is unknown.
fn drop_applies(note: &DropNote, agg: &Aggregate, unplaced: bool) -> bool {
    if note.cluster != agg.cluster {
        return false;
    }
    match &note.node {
        None => true,
        Some(node) => {
            note.audit || unplaced || agg.atoms.find(node).is_some_and(|a| agg.nodes.contains(a))
        }
    }
}

/// `inc-` and `id` in 16 lowercase hex digits.
fn incident_id(id: u64) -> String {
    let mut out = String::with_capacity(20);
    out.push_str("inc-");
    for i in (0..16).rev() {
        let d = ((id >> (i * 4)) & 0xf) as u32;
        out.push(char::from_digit(d, 16).unwrap_or('0'));
    }
    out
}

/// The incident of a closed aggregate, whose last alerts are still queued: all that
/// closing costs, wherever it runs (see [`crate::assembler`]). Its alerts go to `spare`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble_closed<'n>(
    agg: &mut Aggregate,
    options: &crate::options::Options,
    lookup: &mut Lookup<'_>,
    findings: &FindingIndex,
    drops: impl Iterator<Item = &'n DropNote>,
    scratch: &mut String,
    spare: &mut Vec<Box<crate::event::Event>>,
) -> Incident {
    agg.flush(options, options.max_evidence, scratch, spare);
    assemble(agg, lookup, findings, drops, spare)
}

/// The incident of a closed aggregate. Its alerts go to `spare` once rendered.
pub(crate) fn assemble<'n>(
    agg_mut: &mut Aggregate,
    lookup: &mut Lookup<'_>,
    findings: &FindingIndex,
    drops: impl Iterator<Item = &'n DropNote>,
    spare: &mut Vec<Box<crate::event::Event>>,
) -> Incident {
    debug_assert!(!agg_mut.has_pending(), "aggregate flushed before assembly");
    let agg = &*agg_mut;
    let (techniques, tactics) = steps(agg, lookup);
    let matched = findings.matching(agg);
    let unplaced = agg
        .workloads
        .iter()
        .any(|w| (w.kind == "Pod" || w.kind == "Container") && w.agg.nodes.is_empty());
    let relevant: Vec<&DropNote> = drops.filter(|d| drop_applies(d, agg, unplaced)).collect();
    let confidence = round_to((1.0 - 0.15 * relevant.len() as f64).max(0.5), 3);
    let rank = agg
        .top
        .as_ref()
        .map_or(2, |t| priority_rank(agg.atoms.get(t.priority)));
    let severity = severity_of_rank(rank);
    let tactic_count = tactics.len();
    let breadth = (tactic_count.min(6) as f64) / 6.0;
    let total = round_to(100.0 * (0.6 * severity + 0.4 * breadth) * confidence, 1);
    let id = agg
        .evidence
        .first()
        .map_or(agg.first as u64, |e| e.event.fp());
    let atoms = &agg.atoms;
    let listed_alerts = agg.evidence.len();
    let mut evidence: Vec<Evidence> = Vec::with_capacity(listed_alerts + matched.len());
    evidence.extend(agg.evidence.iter().map(EvItem::to_evidence));
    evidence.extend(matched.iter().map(|f| finding_evidence(f)));
    let top_time = agg.top.as_ref().map(|t| t.time);
    let (max_priority, max_priority_rule) = match &agg.top {
        Some(t) => (
            atoms.get(t.priority).to_string(),
            atoms.get(t.rule).to_string(),
        ),
        None => (String::new(), String::new()),
    };
    let mut objects: Vec<(&str, &str, &str)> = agg
        .objects
        .iter()
        .map(|&(k, n, m)| (atoms.get(k), atoms.get(n), atoms.get(m)))
        .collect();
    objects.sort_unstable();
    let (first, last, alert_count) = (agg.first, agg.last, agg.alert_count);
    let mut incident = Incident {
        id: incident_id(id),
        cluster: agg.cluster.clone(),
        first_seen: Timestamp(first).to_rfc3339(),
        last_seen: Timestamp(last).to_rfc3339(),
        namespaces: agg.namespaces.strings(atoms),
        workloads: workloads(&agg.workloads, atoms),
        identities: identities(agg),
        source_ips: agg.source_ips.strings(atoms),
        nodes: agg.nodes.strings(atoms),
        objects: objects
            .into_iter()
            .map(|(kind, ns, name)| {
                if ns.is_empty() {
                    concat(&[kind, " ", name])
                } else {
                    concat(&[kind, " ", ns, "/", name])
                }
            })
            .collect(),
        techniques,
        tactics,
        score: Score {
            total,
            severity: round_to(severity, 3),
            breadth: round_to(breadth, 3),
            tactic_count,
            max_priority,
            max_priority_rule,
        },
        confidence,
        alert_count,
        duplicate_alerts: agg.duplicates,
        late_alerts: agg.late,
        finding_count: matched.len(),
        sensor_drops: relevant
            .iter()
            .take(MAX_DROPS_LISTED)
            .map(|d| SensorDrop {
                time: Timestamp(d.time).to_rfc3339(),
                node: d.node.clone(),
                dropped: d.dropped,
                rule: d.rule.clone(),
            })
            .collect(),
        evidence,
        evidence_omitted: alert_count.saturating_sub(listed_alerts),
        explanation: String::new(),
    };
    let total_dropped: Option<u64> = relevant
        .iter()
        .map(|d| d.dropped)
        .try_fold(0u64, |acc, d| d.map(|d| acc.saturating_add(d)));
    incident.explanation = crate::explain::explain(
        &incident,
        &crate::explain::Facts {
            first,
            last,
            step_times: &lookup.times,
            findings: &matched,
            drop_reports: relevant.len(),
            dropped: total_dropped,
            top_time,
        },
    );
    spare.extend(agg_mut.evidence.drain(..).map(|e| e.event));
    incident
}
