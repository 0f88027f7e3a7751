//! PAL-RBAC-006: subject can port-forward to pods.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-006",
        name: "pods-portforward",
        title: "Subject can port-forward to pods",
        severity: Severity::Medium,
        techniques: &["T1133"],
        target: CheckTarget::Rbac,
        rationale: "`pods/portforward` opens a tunnel from the client, through the API server and             kubelet, to any port of any pod the binding reaches. Services that were only             reachable inside the cluster (databases, admin endpoints) become reachable from             wherever the credential is used, bypassing NetworkPolicies and load-balancer             restrictions.",
        remediation: "Remove `pods/portforward` from roles used by automation; expose what is             needed through an authenticated Service or a bastion instead.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: tunnel, namespace: shop}
rules:
  - {apiGroups: [""], resources: [pods/portforward], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-tunnel, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tunnel}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: tunnel, namespace: shop}
rules:
  - {apiGroups: [""], resources: [services], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-tunnel, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tunnel}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::PodsPortForward);
}
