//! PAL-RBAC-001: a subject is bound to cluster-admin (or a role equivalent to it).

use super::util::{grant_key, is_all_powerful, is_control_plane};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};
use std::collections::HashSet;

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-001",
        name: "cluster-admin-binding",
        title: "Subject bound to cluster-admin or an equivalent all-powerful role",
        severity: Severity::Critical,
        techniques: &["T1078", "T1098.006"],
        target: CheckTarget::Rbac,
        rationale: "A role that allows every verb on every resource in every API group is full \
            control of the cluster: read every secret, run any pod on any node, rewrite RBAC. \
            Whoever holds such a binding (and whoever steals its token) owns the cluster.",
        remediation: "Bind a role that lists only the resources and verbs the subject needs; keep \
            cluster-admin for break-glass human accounts outside day-to-day tooling.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: build}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: build}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    let mut seen = HashSet::new();
    for grant in view.rbac.grants() {
        // `is_control_plane` keeps `Group system:serviceaccounts` (every pod of the cluster),
        // which `subject_is_system` alone would skip.
        if is_control_plane(&grant) || !is_all_powerful(grant.role) {
            continue;
        }
        if !seen.insert(grant_key(&grant)) {
            continue;
        }
        out.report_subject(
            grant.subject.cursor.spot(),
            format!(
                "{} gets every permission {} through {} bound by {}",
                grant.subject_label(),
                grant.scope_label(),
                grant.role.display(),
                grant.binding.display()
            ),
            grant.subject_ref(),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn group_of_all_service_accounts_is_not_skipped_as_system() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: permissive-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts"}
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}
"#;
        assert_eq!(
            scan(&[("a.yaml", text)], "PAL-RBAC-001"),
            vec![
                "Group system:serviceaccounts gets every permission cluster-wide through ClusterRole/cluster-admin bound by ClusterRoleBinding/permissive-binding"
            ]
        );
    }
}
