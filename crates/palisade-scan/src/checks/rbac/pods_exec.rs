//! PAL-RBAC-004: subject can exec into pods.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-004",
        name: "pods-exec",
        title: "Subject can exec into pods",
        severity: Severity::High,
        techniques: &["T1609", "T1059.013"],
        target: CheckTarget::Rbac,
        rationale: "`create` on `pods/exec` runs any command in any container the binding reaches,             with that container's identity, mounted secrets and service-account token: a shell             in every pod of the namespace (or of the cluster). `get` counts too: clusters             before Kubernetes 1.31 let a websocket `GET` open an exec session.",
        remediation: "Remove `pods/exec` from roles used by automation; give humans time-bound             access through a break-glass process, and prefer ephemeral debug containers with             audited access.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-debug}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
  - {apiGroups: [""], resources: [pods, pods/log], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-debug}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::PodsExec);
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    fn exec_findings(resources: &str, verbs: &str, binding_kind: &str) -> Vec<String> {
        let role = format!(
            r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: r}}
rules:
  - {{apiGroups: [""], resources: {resources}, verbs: {verbs}}}
"#
        );
        let binding = format!(
            r#"apiVersion: rbac.authorization.k8s.io/v1
kind: {binding_kind}
metadata: {{name: b, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}
subjects: [{{kind: User, name: alice}}]
"#
        );
        scan(
            &[("role.yaml", &role), ("binding.yaml", &binding)],
            "PAL-RBAC-004",
        )
    }

    #[test]
    fn subresource_wildcards() {
        assert_eq!(
            exec_findings("[\"*\"]", "[create]", "ClusterRoleBinding").len(),
            1
        );
        assert_eq!(
            exec_findings("[\"*/exec\"]", "[create]", "ClusterRoleBinding").len(),
            1
        );
        // The API server does not expand `pods/*`, and `pods` does not cover pods/exec.
        assert!(exec_findings("[\"pods/*\"]", "[create]", "ClusterRoleBinding").is_empty());
        assert!(exec_findings("[pods]", "[\"*\"]", "ClusterRoleBinding").is_empty());
        assert!(exec_findings("[pods/log]", "[\"*\"]", "ClusterRoleBinding").is_empty());
    }

    #[test]
    fn get_counts_for_the_websocket_path_and_rolebinding_scopes_to_its_namespace() {
        assert_eq!(
            exec_findings("[pods/exec]", "[get]", "RoleBinding"),
            vec![
                "User alice can get pods/exec in namespace shop through ClusterRole/r bound by RoleBinding/shop/b"
            ]
        );
        assert!(exec_findings("[pods/exec]", "[list, watch]", "RoleBinding").is_empty());
    }
}
