//! PAL-RBAC-012: subject can approve certificate signing requests.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-012",
        name: "csr-approve",
        title: "Subject can approve certificate signing requests",
        severity: Severity::High,
        techniques: &["T1098.006"],
        target: CheckTarget::Rbac,
        rationale: "Updating `certificatesigningrequests/approval` together with `approve` on a             signer lets the subject approve its own CSRs. With the             `kubernetes.io/kube-apiserver-client` signer it mints client certificates for any             user or group, `system:masters` included; such certificates cannot be revoked             and stay valid until they expire.",
        remediation: "Leave CSR approval to the controller manager and the node-bootstrap             approver; when a custom approver is needed, restrict `approve` with             `resourceNames` to its own signer.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: csr-approver}
rules:
  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
  - {apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client], verbs: [approve]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-csr}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr-approver}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: csr-approver}
rules:
  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create, get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-csr}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr-approver}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::CsrApprove);
}
