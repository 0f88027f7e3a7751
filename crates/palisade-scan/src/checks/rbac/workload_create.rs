//! PAL-RBAC-007: subject can create pods or workload controllers.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-007",
        name: "workload-create",
        title: "Subject can create pods or workload controllers",
        severity: Severity::Medium,
        techniques: &["T1610", "T1611"],
        target: CheckTarget::Rbac,
        rationale: "Creating pods, or any controller that creates them (Deployments, DaemonSets,             StatefulSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers), lets the             subject run its own containers: with any service account of the namespace,             any Secret mounted, and, unless admission policy blocks it, privileged with             the host filesystem mounted (escape to the node).",
        remediation: "Keep workload creation to the deployment pipeline; enforce the Pod Security             `restricted` (or `baseline`) level on the namespace so created pods cannot be             privileged.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules:
  - {apiGroups: [apps], resources: [deployments], verbs: [create, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules:
  - {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::WorkloadCreate);
}
