//! PAL-RBAC-009: subject can impersonate users, groups or service accounts.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-009",
        name: "impersonate",
        title: "Subject can impersonate users, groups or service accounts",
        severity: Severity::Critical,
        techniques: &["T1078", "T1098.006"],
        target: CheckTarget::Rbac,
        rationale: "With `impersonate` the subject sends requests as another user, group or             service account (`kubectl --as=... --as-group=system:masters`) and gets that             identity's permissions. Impersonating a group or a user is cluster-wide and             reaches `system:masters`, which no RBAC rule can restrict; impersonating service             accounts reaches every service account of the namespace.",
        remediation: "Remove `impersonate` from the role. Where a proxy or gateway must             impersonate, restrict the rule with `resourceNames` to the identities it may             assume and never include privileged groups.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonator}
rules:
  - {apiGroups: [""], resources: [users, groups], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: gateway-impersonate}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonator}
rules:
  - {apiGroups: [""], resources: [serviceaccounts], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: gateway-impersonate}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::Impersonate);
}
