//! PAL-K8S-111: a namespace has workloads but no NetworkPolicy.

use super::util::object_label;
use crate::checks::{Check, ClusterView, Reporter, Run, WorkloadSummary};
use palisade_core::{CheckInfo, CheckTarget, Severity};
use std::collections::{BTreeMap, HashSet};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-111",
        name: "namespace-without-network-policy",
        title: "Namespace with workloads and no NetworkPolicy",
        severity: Severity::Low,
        techniques: &["T1046", "T1613"],
        target: CheckTarget::K8sObject,
        rationale: "Without a NetworkPolicy selecting them, pods accept connections from every \
            other pod in the cluster and can connect anywhere: one compromised pod scans the \
            pod network, reaches databases and admin ports of other teams, and calls the \
            cloud metadata endpoint. The check runs over the whole scan: it fires once per \
            namespace that has workloads in the scanned files and no NetworkPolicy (Kubernetes, \
            Calico, Antrea or Cilium) in them, on that namespace's first workload, and stays \
            silent when the scan holds a cluster-wide policy. A single-file scan thus gets at \
            most one Low finding per namespace: scan the policies together with the workloads, \
            or suppress it for namespaces protected elsewhere.",
        remediation: "Add a default-deny NetworkPolicy (`podSelector: {}` with `policyTypes: \
            [Ingress, Egress]`) to the namespace, then allow the flows each workload needs.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - {name: orders, image: "registry.example.com/orders:1.4"}
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - {name: orders, image: "registry.example.com/orders:1.4"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"#,
    },
    run: Run::Cluster(run),
};

/// Namespaced policy kinds: Kubernetes, Calico and Antrea `NetworkPolicy`, Cilium's.
const NAMESPACED_POLICIES: &[&str] = &["NetworkPolicy", "CiliumNetworkPolicy"];

/// Cluster-wide policy kinds: when the scan has one, namespaces are judged elsewhere.
const CLUSTER_POLICIES: &[&str] = &[
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
];

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    if view
        .objects
        .iter()
        .any(|o| CLUSTER_POLICIES.contains(&o.kind()))
    {
        return;
    }
    let protected: HashSet<&str> = view
        .objects
        .iter()
        .filter(|o| NAMESPACED_POLICIES.contains(&o.kind()))
        .map(|o| o.namespace().unwrap_or("default"))
        .collect();
    let mut by_namespace: BTreeMap<&str, Vec<&WorkloadSummary>> = BTreeMap::new();
    for workload in view.workloads {
        if !protected.contains(workload.namespace.as_str()) {
            by_namespace
                .entry(workload.namespace.as_str())
                .or_default()
                .push(workload);
        }
    }
    for (namespace, workloads) in by_namespace {
        // The first in file order, whatever order the files were scanned in.
        let Some(first) = workloads.iter().min_by(|a, b| {
            (&a.origin.path, a.line, a.column).cmp(&(&b.origin.path, b.line, b.column))
        }) else {
            continue;
        };
        let count = workloads.len();
        let others = match count {
            1 => String::new(),
            2 => " and 1 other workload".to_owned(),
            n => format!(" and {} other workloads", n - 1),
        };
        let verb = if count == 1 { "accepts" } else { "accept" };
        out.report(
            first.spot(),
            format!(
                "namespace {namespace} has no NetworkPolicy in the scanned files: {}{others} \
                 {verb} connections from every pod in the cluster",
                object_label(first.origin.object.as_ref())
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn one_finding_per_unprotected_namespace_across_files() {
        let workloads = r#"apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {containers: [{name: a, image: "busybox:1.36"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default}
spec: {containers: [{name: b, image: "busybox:1.36"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: shop}
spec: {containers: [{name: c, image: "busybox:1.36"}]}
"#;
        let policy = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
"#;
        assert_eq!(
            scan(
                &[("policy.yaml", policy), ("w.yaml", workloads)],
                "PAL-K8S-111"
            ),
            vec![
                "namespace default has no NetworkPolicy in the scanned files: Pod/a and 1 other workload accept connections from every pod in the cluster"
            ]
        );
    }
}
