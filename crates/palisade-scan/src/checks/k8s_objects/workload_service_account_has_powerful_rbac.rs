//! PAL-K8S-112: a workload mounts the token of a service account that holds dangerous RBAC.

use super::util::object_label;
use crate::checks::rbac::util::{
    WORKLOAD_IDENTITY_DANGERS, grant_key, is_all_powerful, is_control_plane, role_hits,
};
use crate::checks::{Check, ClusterView, Reporter, Run, WorkloadSummary};
use crate::rbac::BindingSubject;
use palisade_core::{CheckInfo, CheckTarget, Severity};
use std::collections::HashSet;

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-112",
        name: "workload-service-account-has-powerful-rbac",
        title: "Workload runs with a mounted token that holds dangerous RBAC permissions",
        severity: Severity::High,
        techniques: &["T1528", "T1078"],
        target: CheckTarget::K8sObject,
        rationale: "Every container of a pod can read the service-account token mounted at \
            `/var/run/secrets/kubernetes.io/serviceaccount/token`. When that account can read \
            secrets, exec into pods, create workloads, change RBAC, impersonate, mint tokens or \
            reach the kubelet, a single remote-code-execution bug or malicious dependency in \
            the application turns into control of the namespace or the cluster. The check \
            joins the workloads, service accounts and RBAC of every scanned file, including \
            grants to `system:serviceaccounts` and `system:authenticated`.",
        remediation: "Run the workload with a service account that holds only what the \
            application itself calls; move powerful permissions to a separate account used by \
            a dedicated controller or the pipeline, and set `automountServiceAccountToken: \
            false` where the application never calls the API.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - {name: web, image: "registry.example.com/web:2.1"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: ServiceAccount, name: web, namespace: shop}
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - {name: web, image: "registry.example.com/web:2.1"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: ServiceAccount, name: web, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

/// Is the token mounted? The pod spec's `automountServiceAccountToken` wins; otherwise the
/// ServiceAccount's (when it is in the scan); otherwise it is mounted.
fn token_mounted(view: &ClusterView<'_>, workload: &WorkloadSummary) -> bool {
    workload.automount.unwrap_or_else(|| {
        !view.objects.iter().any(|o| {
            o.kind() == "ServiceAccount"
                && o.api_group().is_empty()
                && o.name() == Some(workload.service_account.as_str())
                && o.namespace().unwrap_or("default") == workload.namespace
                && o.root
                    .get("automountServiceAccountToken")
                    .and_then(|n| n.as_bool())
                    == Some(false)
        })
    })
}

/// Does a binding subject include service account `ns/name`? `Some(None)` for the account
/// itself, `Some(Some(label))` for a group or user spelling that includes it.
fn includes(subject: &BindingSubject<'_>, ns: &str, name: &str) -> Option<Option<String>> {
    let direct = match subject.kind.as_str() {
        "ServiceAccount" => {
            subject.name == name && subject.namespace.as_deref().unwrap_or("default") == ns
        }
        "User" => subject.name == format!("system:serviceaccount:{ns}:{name}"),
        _ => false,
    };
    if direct {
        return Some(None);
    }
    let group = subject.kind == "Group"
        && (subject.name == "system:serviceaccounts"
            || subject.name == "system:authenticated"
            || subject.name == format!("system:serviceaccounts:{ns}"));
    group.then(|| Some(format!("Group {}", subject.name)))
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    let grants: Vec<_> = view
        .rbac
        .grants()
        .into_iter()
        .filter(|g| !is_control_plane(g))
        .collect();
    for workload in view.workloads {
        let (ns, sa) = (
            workload.namespace.as_str(),
            workload.service_account.as_str(),
        );
        if grants.is_empty() || !token_mounted(view, workload) {
            continue;
        }
        let mut seen = HashSet::new();
        for grant in &grants {
            let Some(via) = includes(grant.subject, ns, sa) else {
                continue;
            };
            if !seen.insert(grant_key(grant)) {
                continue;
            }
            let what = if is_all_powerful(grant.role) {
                "do anything (every verb on every resource)".to_owned()
            } else {
                let held: Vec<&str> = WORKLOAD_IDENTITY_DANGERS
                    .iter()
                    .filter(|d| !role_hits(grant.role, **d, grant.cluster_wide()).is_empty())
                    .map(|d| d.summary())
                    .collect();
                if held.is_empty() {
                    continue;
                }
                and_list(&held)
            };
            let through = via.map_or_else(String::new, |group| format!(" as a member of {group}"));
            out.report_subject(
                workload.spot(),
                format!(
                    "{} mounts the token of ServiceAccount {ns}/{sa}, which{through} can {what} \
                     {} through {} bound by {}",
                    object_label(workload.origin.object.as_ref()),
                    grant.scope_label(),
                    grant.role.display(),
                    grant.binding.display()
                ),
                grant.subject_ref(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    const DEPLOY: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - {name: web, image: "registry.example.com/web:2.1"}
"#;

    const DEBUGGER: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
  - {apiGroups: [""], resources: ["*/exec"], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: web-debug}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects:
  - {kind: ServiceAccount, name: web, namespace: shop}
  - {kind: Group, name: "system:serviceaccounts:shop"}
  - {kind: ServiceAccount, name: web, namespace: other}
"#;

    #[test]
    fn joins_workload_and_rbac_from_different_files() {
        // Findings at the same place come out in message order.
        assert_eq!(
            scan(
                &[("deploy.yaml", DEPLOY), ("rbac.yaml", DEBUGGER)],
                "PAL-K8S-112"
            ),
            vec![
                "Deployment/shop/web mounts the token of ServiceAccount shop/web, which as a member of Group system:serviceaccounts:shop can exec into pods cluster-wide through ClusterRole/debugger bound by ClusterRoleBinding/web-debug",
                "Deployment/shop/web mounts the token of ServiceAccount shop/web, which can exec into pods cluster-wide through ClusterRole/debugger bound by ClusterRoleBinding/web-debug",
            ]
        );
    }

    #[test]
    fn automount_pod_setting_wins_over_the_service_account() {
        let sa_off = r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
"#;
        assert!(
            scan(
                &[
                    ("d.yaml", DEPLOY),
                    ("r.yaml", DEBUGGER),
                    ("sa.yaml", sa_off)
                ],
                "PAL-K8S-112"
            )
            .is_empty()
        );
        let pod_on = DEPLOY.replace(
            "serviceAccountName: web",
            "serviceAccountName: web\n      automountServiceAccountToken: true",
        );
        assert_eq!(
            scan(
                &[
                    ("d.yaml", &pod_on),
                    ("r.yaml", DEBUGGER),
                    ("sa.yaml", sa_off)
                ],
                "PAL-K8S-112"
            )
            .len(),
            2
        );
        let pod_off = DEPLOY.replace(
            "serviceAccountName: web",
            "serviceAccountName: web\n      automountServiceAccountToken: false",
        );
        assert!(scan(&[("d.yaml", &pod_off), ("r.yaml", DEBUGGER)], "PAL-K8S-112").is_empty());
    }

    #[test]
    fn default_service_account_and_all_powerful_roles() {
        let pod = r#"apiVersion: v1
kind: Pod
metadata: {name: tool}
spec:
  containers: [{name: tool, image: "busybox:1.36"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: default-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: ServiceAccount, name: default}
"#;
        assert_eq!(
            scan(&[("p.yaml", pod)], "PAL-K8S-112"),
            vec![
                "Pod/tool mounts the token of ServiceAccount default/default, which can do anything (every verb on every resource) in namespace default through ClusterRole/cluster-admin bound by RoleBinding/default/default-admin"
            ]
        );
    }
}
