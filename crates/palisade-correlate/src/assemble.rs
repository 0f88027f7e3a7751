//! From a closed incident's aggregate to the [`Incident`] handed out.

use crate::agg::{Aggregate, EvItem, ROLE_ACTOR, ROLE_RUNS_AS, WlEntry, priority_rank};
use crate::entity::{Identity, Key};
use crate::event::shorten;
use crate::findings::FindingIndex;
use crate::hash::FastMap;
use crate::incident::{
    Evidence, EvidenceKind, IdentityRef, Incident, Score, SensorDrop, TacticRef, TechniqueStep,
    WorkloadRef,
};
use crate::time::Timestamp;
use palisade_attack::Catalogue;
use palisade_core::Finding;
use std::collections::{BTreeMap, BTreeSet};

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
}

impl<'c> Lookup<'c> {
    pub(crate) fn new(catalogue: &'c Catalogue) -> Lookup<'c> {
        Lookup {
            catalogue,
            by_id: FastMap::default(),
            infos: Vec::new(),
            hints: FastMap::default(),
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

/// The technique steps in kill-chain order, their first times, and the tactics.
fn steps(agg: &Aggregate, lk: &mut Lookup<'_>) -> (Vec<TechniqueStep>, Vec<i64>, Vec<TacticRef>) {
    let hint_count: usize = agg.steps.values().map(|s| s.hints.len()).sum();
    lk.reserve(agg.steps.len().max(hint_count));
    // Phase 1 (cache lookups): each step's technique and the tactics its alerts named.
    // Revoked and current ids of one technique are merged into one step.
    let mut groups: Vec<(usize, u64, Vec<&crate::agg::StepAgg>)> = Vec::new();
    for (id, s) in &agg.steps {
        let ix = lk.technique(id);
        let mut hints = 0u64;
        for h in &s.hints {
            if let Some(p) = lk.hint(h).filter(|&p| p < 64) {
                hints |= 1 << p;
            }
        }
        let resolved = &lk.infos[ix].id;
        match groups.iter_mut().find(|g| lk.infos[g.0].id == *resolved) {
            Some(g) => {
                g.1 |= hints;
                g.2.push(s);
            }
            None => groups.push((ix, hints, vec![s])),
        }
    }
    // Phase 2: build the steps.
    let lk = &*lk;
    let tactics_all = &lk.catalogue.tactics;
    let mut used = 0u64;
    let mut out: Vec<((usize, i64, &str), TechniqueStep)> = Vec::with_capacity(groups.len());
    for (ix, hints, parts) in groups {
        let info = &lk.infos[ix];
        let all = mask_of(&info.tactics);
        let chosen = if all & hints != 0 { all & hints } else { all };
        used |= chosen;
        let first = parts.iter().map(|p| p.first).min().unwrap_or(agg.first);
        let last = parts.iter().map(|p| p.last).max().unwrap_or(agg.last);
        let count = parts.iter().map(|p| p.count).sum();
        let shortnames: Vec<String> = if chosen == 0 {
            // Unknown to this catalogue: keep what the alerts said.
            let mut v: Vec<String> = parts.iter().flat_map(|p| p.hints.iter().cloned()).collect();
            v.sort();
            v.dedup();
            v
        } else {
            (0..64)
                .filter(|p| chosen & (1 << p) != 0)
                .filter_map(|p| tactics_all.get(p))
                .map(|t| t.shortname.clone())
                .collect()
        };
        let first_pos = if chosen == 0 {
            usize::MAX
        } else {
            chosen.trailing_zeros() as usize
        };
        let mut objects: Vec<&(i64, String)> =
            parts.iter().flat_map(|p| p.objects.iter()).collect();
        objects.sort();
        let mut distinct: Vec<String> = Vec::new();
        for (_, o) in objects {
            if distinct.len() < 3 && !distinct.contains(o) {
                distinct.push(o.clone());
            }
        }
        out.push((
            (first_pos, first, info.id.as_str()),
            TechniqueStep {
                technique: info.id.clone(),
                name: info.name.clone(),
                tactic_shortnames: shortnames,
                first_seen: Timestamp(first).to_rfc3339(),
                last_seen: if last == first {
                    String::new()
                } else {
                    Timestamp(last).to_rfc3339()
                },
                evidence_count: count,
                objects: distinct,
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let tactics = (0..64)
        .filter(|p| used & (1 << p) != 0)
        .filter_map(|p| tactics_all.get(p))
        .map(|t| TacticRef {
            id: t.id.clone(),
            shortname: t.shortname.clone(),
            name: t.name.clone(),
        })
        .collect();
    let times = out.iter().map(|s| s.0.1).collect();
    let steps = out
        .into_iter()
        .map(|(_, mut step)| {
            if step.last_seen.is_empty() {
                step.last_seen = step.first_seen.clone();
            }
            step
        })
        .collect();
    (steps, times, tactics)
}

fn workloads(map: BTreeMap<Key, WlEntry>) -> Vec<WorkloadRef> {
    let pod_containers: BTreeSet<String> = map
        .values()
        .filter(|w| w.kind != "Container")
        .flat_map(|w| w.agg.container_ids.iter().cloned())
        .collect();
    let mut out: Vec<WorkloadRef> = map
        .into_values()
        .filter(|w| w.kind != "Container" || !pod_containers.contains(&w.name))
        .map(|w| WorkloadRef {
            namespace: w.namespace,
            kind: w.kind,
            name: w.name,
            containers: w.agg.containers.into_iter().collect(),
            images: w.agg.images.into_iter().collect(),
            service_accounts: w.agg.service_accounts.into_iter().collect(),
            nodes: w.agg.nodes.into_iter().collect(),
            container_ids: w.agg.container_ids.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    out
}

fn identities(agg: &Aggregate) -> Vec<IdentityRef> {
    let mut out: Vec<IdentityRef> = agg
        .identities
        .iter()
        .map(|(id, roles)| {
            let mut role_names = Vec::new();
            if roles & ROLE_ACTOR != 0 {
                role_names.push("actor".to_string());
            }
            if roles & ROLE_RUNS_AS != 0 {
                role_names.push("runs-as".to_string());
            }
            let (kind, namespace, name) = match id {
                Identity::ServiceAccount { namespace, name } => {
                    ("service-account", Some(namespace.clone()), name.clone())
                }
                Identity::User(name) => ("user", None, name.clone()),
                Identity::Anonymous(ip) => ("anonymous", None, ip.clone().unwrap_or_default()),
            };
            IdentityRef {
                key: id.key(),
                kind: kind.to_string(),
                namespace,
                name,
                roles: role_names,
                display: id.display(),
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
        Some(node) => note.audit || unplaced || agg.nodes.contains(node),
    }
}

pub(crate) fn assemble<'n>(
    agg: Aggregate,
    lookup: &mut Lookup<'_>,
    findings: &FindingIndex,
    drops: impl Iterator<Item = &'n DropNote>,
) -> Incident {
    let (techniques, step_times, tactics) = steps(&agg, lookup);
    let matched = findings.matching(&agg);
    let unplaced = agg
        .workloads
        .values()
        .any(|w| (w.kind == "Pod" || w.kind == "Container") && w.agg.nodes.is_empty());
    let relevant: Vec<&DropNote> = drops.filter(|d| drop_applies(d, &agg, unplaced)).collect();
    let confidence = round_to((1.0 - 0.15 * relevant.len() as f64).max(0.5), 3);
    let rank = agg.top.as_ref().map_or(2, |t| priority_rank(&t.priority));
    let severity = severity_of_rank(rank);
    let tactic_count = tactics.len();
    let breadth = (tactic_count.min(6) as f64) / 6.0;
    let total = round_to(100.0 * (0.6 * severity + 0.4 * breadth) * confidence, 1);
    let id = agg
        .evidence
        .first()
        .map_or(agg.first as u64, |e| e.event.fp);
    let identities = identities(&agg);
    let Aggregate {
        cluster,
        first,
        last,
        alert_count,
        duplicates,
        late,
        evidence: alert_evidence,
        namespaces,
        workloads: workload_map,
        source_ips,
        nodes,
        objects,
        top,
        ..
    } = agg;
    let listed_alerts = alert_evidence.len();
    let mut evidence: Vec<Evidence> = Vec::with_capacity(listed_alerts + matched.len());
    evidence.extend(alert_evidence.into_iter().map(EvItem::into_evidence));
    evidence.extend(matched.iter().map(|f| finding_evidence(f)));
    let top_time = top.as_ref().map(|t| t.time);
    let (max_priority, max_priority_rule) = match top {
        Some(t) => (t.priority, t.rule),
        None => (String::new(), String::new()),
    };
    let mut incident = Incident {
        id: format!("inc-{id:016x}"),
        cluster,
        first_seen: Timestamp(first).to_rfc3339(),
        last_seen: Timestamp(last).to_rfc3339(),
        namespaces: namespaces.into_iter().collect(),
        workloads: workloads(workload_map),
        identities,
        source_ips: source_ips.into_iter().collect(),
        nodes: nodes.into_iter().collect(),
        objects: objects
            .into_iter()
            .map(|(kind, ns, name)| {
                if ns.is_empty() {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {ns}/{name}")
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
        duplicate_alerts: duplicates,
        late_alerts: late,
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
            step_times: &step_times,
            findings: &matched,
            drop_reports: relevant.len(),
            dropped: total_dropped,
            top_time,
        },
    );
    incident
}
