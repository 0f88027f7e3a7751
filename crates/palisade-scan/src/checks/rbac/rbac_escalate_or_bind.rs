//! PAL-RBAC-008: subject can escalate, bind or create role bindings.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-008",
        name: "rbac-escalate-or-bind",
        title: "Subject can escalate, bind or create role bindings",
        severity: Severity::Critical,
        techniques: &["T1098.006"],
        target: CheckTarget::Rbac,
        rationale: "RBAC normally stops a subject from granting permissions it does not hold. The             `escalate` verb lifts that limit for editing roles and `bind` lifts it for             binding roles: a subject with `bind` on `clusterroles` binds `cluster-admin` to             itself. Creating or changing role bindings hands the subject's roles to other             identities an attacker controls, a persistence path that survives credential             rotation.",
        remediation: "Remove `escalate` and `bind`, and write access to role bindings, from every             role except the one used by the cluster's access-management tooling; when             delegation is required, restrict `bind` with `resourceNames` to the roles that may             be handed out.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: role-granter}
rules:
  - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}
  - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-granter}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-granter}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: role-granter}
rules:
  - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, clusterrolebindings], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-granter}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-granter}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::RbacEscalate);
}
