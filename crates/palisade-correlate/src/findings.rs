//! Posture findings, indexed by the objects and identities they are about.

use crate::agg::Aggregate;
use crate::entity::{Identity, owner_guesses};
use crate::hash::{FastMap, FastSet};
use palisade_core::Finding;
use std::collections::BTreeSet;

/// Namespace assumed for a namespaced finding whose manifest names none (what `kubectl
/// apply` does without `-n`).
const DEFAULT_NAMESPACE: &str = "default";

const CLUSTER_SCOPED: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "Node",
    "PersistentVolume",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "PodSecurityPolicy",
];

#[derive(Debug, Default, Clone)]
pub(crate) struct FindingIndex {
    findings: Vec<Finding>,
    seen: FastSet<Finding>,
    /// (kind, namespace or "", name) → findings.
    by_object: FastMap<(String, String, String), Vec<usize>>,
    /// `sa:ns/name`, `user:name`, `group:name` → findings.
    by_subject: FastMap<String, Vec<usize>>,
}

fn subject_key(kind: &str, namespace: Option<&str>, name: &str) -> Option<String> {
    match kind {
        "ServiceAccount" => {
            let ns = namespace.unwrap_or(DEFAULT_NAMESPACE);
            Some(Identity::service_account(ns, name).key())
        }
        "User" => Some(Identity::from_username(name, None).key()),
        "Group" => Some(format!("group:{name}")),
        _ => None,
    }
}

impl FindingIndex {
    pub(crate) fn len(&self) -> usize {
        self.findings.len()
    }

    /// Index one finding. Suppressed findings and exact duplicates are ignored.
    pub(crate) fn push(&mut self, f: &Finding) {
        if f.suppressed.is_some() || self.seen.contains(f) {
            return;
        }
        let idx = self.findings.len();
        if let Some(o) = &f.object
            && let Some(name) = &o.name
        {
            let ns = if CLUSTER_SCOPED.contains(&o.kind.as_str()) {
                String::new()
            } else {
                o.namespace
                    .clone()
                    .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
            };
            self.by_object
                .entry((o.kind.clone(), ns.clone(), name.clone()))
                .or_default()
                .push(idx);
            if o.kind == "ServiceAccount"
                && let Some(k) = subject_key("ServiceAccount", Some(&ns), name)
            {
                self.by_subject.entry(k).or_default().push(idx);
            }
        }
        if let Some(s) = &f.subject
            && let Some(k) = subject_key(&s.kind, s.namespace.as_deref(), &s.name)
        {
            self.by_subject.entry(k).or_default().push(idx);
        }
        self.seen.insert(f.clone());
        self.findings.push(f.clone());
    }

    /// Findings about the workloads, objects and identities of `agg`: most severe first,
    /// then by check id, file and line.
    pub(crate) fn matching(&self, agg: &Aggregate) -> Vec<&Finding> {
        if self.findings.is_empty() {
            return Vec::new();
        }
        let mut hits: BTreeSet<usize> = BTreeSet::new();
        let mut object = |kind: &str, ns: &str, name: &str| {
            if let Some(v) =
                self.by_object
                    .get(&(kind.to_string(), ns.to_string(), name.to_string()))
            {
                hits.extend(v.iter().copied());
            }
        };
        let atoms = &agg.atoms;
        for w in agg.workloads.iter() {
            let (ns, name) = (atoms.get(w.namespace), atoms.get(w.name));
            object(w.kind, ns, name);
            if w.kind == "Pod" {
                for (owner_kind, owner) in owner_guesses(name) {
                    object(owner_kind, ns, owner);
                }
            }
        }
        for &(kind, ns, name) in &agg.objects {
            object(atoms.get(kind), atoms.get(ns), atoms.get(name));
        }
        let mut subjects: Vec<String> = agg
            .identities
            .iter()
            .map(|(i, _)| i.identity(atoms).key())
            .collect();
        // Anonymous requests get what RBAC grants to the user `system:anonymous`.
        if agg
            .identities
            .iter()
            .any(|(i, _)| matches!(i, crate::agg::IdAtoms::Anonymous(_)))
        {
            subjects.push(Identity::Anonymous(None).key());
        }
        subjects.extend(agg.groups.iter().map(|g| format!("group:{}", atoms.get(g))));
        for s in &subjects {
            if let Some(v) = self.by_subject.get(s) {
                hits.extend(v.iter().copied());
            }
        }
        let mut out: Vec<&Finding> = hits
            .into_iter()
            .filter_map(|i| self.findings.get(i))
            .collect();
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.check.cmp(&b.check))
                .then_with(|| a.location.cmp(&b.location))
                .then_with(|| a.cmp(b))
        });
        out
    }
}
