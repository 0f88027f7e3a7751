//! PAL-RBAC-016: subject can delete namespaces, volumes or workloads cluster-wide.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-016",
        name: "broad-delete",
        title: "Subject can delete namespaces, volumes or workloads cluster-wide",
        severity: Severity::Medium,
        techniques: &["T1485"],
        target: CheckTarget::Rbac,
        rationale: "Deleting a namespace deletes everything in it; deleting PersistentVolumes or             PersistentVolumeClaims can destroy the data behind them (reclaim policy `Delete`);             deleting Deployments and StatefulSets in every namespace stops every service at             once. One stolen credential is then enough to wipe the cluster's applications and             data. Deleting workloads or claims inside a single namespace is left out as             ordinary operations.",
        remediation: "Remove cluster-wide `delete`/`deletecollection` on these resources from             automation; scope clean-up jobs to their own namespace with a RoleBinding, and             protect volumes with `persistentVolumeReclaimPolicy: Retain` and backups.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cleanup}
rules:
  - {apiGroups: [""], resources: [namespaces], verbs: [delete]}
  - {apiGroups: [apps], resources: [deployments, statefulsets], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: janitor}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cleanup}
subjects:
  - {kind: ServiceAccount, name: janitor, namespace: ops}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cleanup}
rules:
  - {apiGroups: [apps], resources: [deployments, statefulsets], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: janitor, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cleanup}
subjects:
  - {kind: ServiceAccount, name: janitor, namespace: ops}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::BroadDelete);
}
