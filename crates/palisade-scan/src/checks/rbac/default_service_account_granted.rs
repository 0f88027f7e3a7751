//! PAL-RBAC-017: a role is bound to the `default` service account of a namespace.

use super::util::{Danger, binding_scope, role_hits, role_ref_display, subject_of};
use crate::checks::{Check, ClusterView, Reporter, Run};
use crate::rbac::Role;
use palisade_core::{CheckInfo, CheckTarget, Severity};
use std::collections::HashSet;

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-017",
        name: "default-service-account-granted",
        title: "Permissions granted to a namespace's default service account",
        severity: Severity::Medium,
        techniques: &["T1078.001", "T1528"],
        target: CheckTarget::Rbac,
        rationale: "Every pod that does not name a service account runs as `default`, and its \
            token is mounted unless automounting is switched off. A role bound to `default` \
            therefore reaches every such pod of the namespace, including ones added later \
            for unrelated reasons: compromising any of them yields the permission. Read-only \
            roles that do not read Secrets are left out.",
        remediation: "Create a dedicated service account for the workload that needs the \
            permission, bind the role to it, set `serviceAccountName` on that workload, and \
            keep `default` without bindings (and with `automountServiceAccountToken: false`).",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: default-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: ServiceAccount, name: default, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: ServiceAccount, name: deployer, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: default-view, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: default, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

/// Only `get`/`list`/`watch`, and not on Secrets.
fn is_view_like(role: &Role<'_>, cluster_wide: bool) -> bool {
    role.rules.iter().all(|rule| {
        rule.verbs
            .iter()
            .all(|v| matches!(v.as_str(), "get" | "list" | "watch"))
    }) && role_hits(role, Danger::SecretsRead, cluster_wide).is_empty()
}

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    let mut seen = HashSet::new();
    for binding in &view.rbac.bindings {
        let role = view.rbac.role_of(binding);
        if role.is_some_and(|r| is_view_like(r, binding.cluster)) {
            continue;
        }
        for subject in &binding.subjects {
            if subject.kind != "ServiceAccount" || subject.name != "default" {
                continue;
            }
            let subject_ref = subject_of(binding, subject);
            if !seen.insert(subject_ref.clone()) {
                continue;
            }
            let ns = subject.namespace.as_deref().unwrap_or("default");
            let unknown = if role.is_none() {
                " (role not in the scanned files)"
            } else {
                ""
            };
            out.report_subject(
                subject.cursor.spot(),
                format!(
                    "ServiceAccount {ns}/default, the identity of every pod in namespace {ns} \
                     that names no service account, gets {}{unknown} {} through {}",
                    role_ref_display(binding),
                    binding_scope(binding),
                    binding.display()
                ),
                subject_ref,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn read_only_roles_pass_secret_readers_and_unknown_roles_do_not() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: peek, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: look, namespace: shop}
rules:
  - {apiGroups: [""], resources: [pods, configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: peek, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: peek}
subjects: [{kind: ServiceAccount, name: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: look, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: look}
subjects: [{kind: ServiceAccount, name: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kube-system-default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tiller-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: kube-system}]
"#;
        let got = scan(&[("a.yaml", text)], "PAL-RBAC-017");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("Role/shop/peek") && got[0].contains("RoleBinding/shop/peek"));
        assert!(got[1].starts_with("ServiceAccount kube-system/default"));
        assert!(
            got[1]
                .contains("ClusterRole/tiller-admin (role not in the scanned files) cluster-wide")
        );
    }
}
