//! PAL-K8S-113: a ServiceAccount mounts its token by default although nothing grants it RBAC.

use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-113",
        name: "service-account-token-automount-enabled",
        title: "ServiceAccount mounts its API token into pods by default",
        severity: Severity::Low,
        techniques: &["T1528"],
        target: CheckTarget::K8sObject,
        rationale: "Unless `automountServiceAccountToken: false` is set, every pod running as \
            the service account gets a bearer token for the API server. An attacker with code \
            execution in the pod reads it and uses it from anywhere the API is reachable, \
            with whatever the account is granted today or tomorrow (and with the \
            `system:serviceaccounts` and `system:authenticated` groups' rights). Accounts \
            bound to a role in the scanned files are left out, since their pods evidently \
            call the API (PAL-K8S-112 judges those); `default` accounts are included, since \
            most pods that use them never need a token.",
        remediation: "Set `automountServiceAccountToken: false` on the ServiceAccount and \
            `automountServiceAccountToken: true` only in the pod specs that call the API.",
        bad_example: r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
"#,
        good_example: r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: ServiceAccount, name: deployer}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    for object in view.objects {
        if object.kind() != "ServiceAccount" || !object.api_group().is_empty() {
            continue;
        }
        let root = object.cursor();
        let automount = root.get("automountServiceAccountToken");
        if automount.as_ref().and_then(|c| c.as_bool()) == Some(false) {
            continue;
        }
        let name = object.name().unwrap_or("?");
        let ns = object.namespace().unwrap_or("default");
        let bound = view.rbac.bindings.iter().any(|b| {
            b.subjects.iter().any(|s| {
                s.kind == "ServiceAccount"
                    && s.name == name
                    && s.namespace.as_deref().unwrap_or("default") == ns
            })
        });
        if bound {
            continue;
        }
        let how = if automount.is_some() {
            "sets automountServiceAccountToken: true"
        } else {
            "does not set automountServiceAccountToken: false"
        };
        out.report(
            automount.unwrap_or(root).spot(),
            format!(
                "ServiceAccount {ns}/{name} {how}, so every pod using it gets an API token, \
                 yet no binding in the scanned files grants it a role"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn explicit_true_and_bindings_in_other_files() {
        let sas = r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: shop}
automountServiceAccountToken: true
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: operator, namespace: shop}
"#;
        let binding = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: operator}
subjects: [{kind: ServiceAccount, name: operator, namespace: shop}]
"#;
        assert_eq!(
            scan(&[("sa.yaml", sas), ("rbac.yaml", binding)], "PAL-K8S-113"),
            vec![
                "ServiceAccount shop/default sets automountServiceAccountToken: true, so every pod using it gets an API token, yet no binding in the scanned files grants it a role"
            ]
        );
    }
}
