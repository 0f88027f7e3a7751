//! PAL-RBAC-011: subject can mint service-account tokens.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-011",
        name: "serviceaccount-token-create",
        title: "Subject can mint service-account tokens",
        severity: Severity::High,
        techniques: &["T1528"],
        target: CheckTarget::Rbac,
        rationale: "`create` on `serviceaccounts/token` (the TokenRequest API) issues a fresh             token for any service account the binding reaches, with the lifetime the caller             asks for. The subject then acts as the most privileged service account of the             namespace, and the tokens stay valid after the original credential is revoked.",
        remediation: "Remove `serviceaccounts/token` from the role, or limit it with             `resourceNames` to the service accounts the subject legitimately mints tokens for.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: token-minter, namespace: shop}
rules:
  - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-tokens, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-minter}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: token-minter, namespace: shop}
rules:
  - {apiGroups: [""], resources: [serviceaccounts], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-tokens, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-minter}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::TokenCreate);
}
