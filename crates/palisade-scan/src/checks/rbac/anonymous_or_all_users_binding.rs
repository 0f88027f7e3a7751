//! PAL-RBAC-014: a binding grants a role to anonymous users or to every user.

use super::util::{binding_scope, role_ref_display, subject_label, subject_of};
use crate::checks::{Check, ClusterView, Reporter, Run};
use crate::rbac::BindingSubject;
use palisade_core::{CheckInfo, CheckTarget, Severity};
use std::collections::HashSet;

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-014",
        name: "anonymous-or-all-users-binding",
        title: "Role bound to anonymous, unauthenticated or all authenticated users",
        severity: Severity::Critical,
        techniques: &["T1078.001", "T1133", "T1552.007"],
        target: CheckTarget::Rbac,
        rationale: "`system:anonymous` and `system:unauthenticated` are whoever reaches the API \
            server without credentials; `system:authenticated` is every identity the cluster \
            accepts, including every service-account token of every pod and, on some managed \
            clusters, any account of the cloud provider. A binding to them gives its role to \
            anyone who can reach the API endpoint, often from the internet. Only the built-in \
            discovery roles (`system:discovery`, `system:basic-user`, \
            `system:public-info-viewer`) are meant for these groups.",
        remediation: "Bind the role to the named users, groups or service accounts that need it \
            and delete the binding to the anonymous or all-users subject.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: public-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:unauthenticated"}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:public-info-viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:public-info-viewer"}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:unauthenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: team-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "dev-team"}
"#,
    },
    run: Run::Cluster(run),
};

/// Read-only discovery roles that the default bindings give to everyone on purpose.
const EXPECTED_PUBLIC_ROLES: &[&str] = &[
    "system:discovery",
    "system:basic-user",
    "system:public-info-viewer",
];

/// Who the subject stands for, when it is anonymous or everyone.
fn everyone(subject: &BindingSubject<'_>) -> Option<&'static str> {
    match (subject.kind.as_str(), subject.name.as_str()) {
        ("User", "system:anonymous") => Some("any request without credentials"),
        ("Group", "system:unauthenticated") => Some("any request without credentials"),
        ("Group", "system:authenticated") => Some("every authenticated identity"),
        _ => None,
    }
}

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    let mut seen = HashSet::new();
    for binding in &view.rbac.bindings {
        if binding.role_kind == "ClusterRole"
            && EXPECTED_PUBLIC_ROLES.contains(&binding.role_name.as_str())
        {
            continue;
        }
        for subject in &binding.subjects {
            let Some(who) = everyone(subject) else {
                continue;
            };
            let subject_ref = subject_of(binding, subject);
            if !seen.insert(subject_ref.clone()) {
                continue;
            }
            let unknown = if view.rbac.role_of(binding).is_none() {
                " (role not in the scanned files)"
            } else {
                ""
            };
            out.report_subject(
                subject.cursor.spot(),
                format!(
                    "{} ({who}) gets {}{unknown} {} through {}",
                    subject_label(subject),
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
    fn unknown_roles_count_and_discovery_roles_do_not() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: anon, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: somewhere-else}
subjects:
  - {kind: User, name: "system:anonymous"}
  - {kind: User, name: "system:anonymous"}
  - {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: discovery}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:discovery"}
subjects: [{kind: Group, name: "system:authenticated"}]
"#;
        assert_eq!(
            scan(&[("a.yaml", text)], "PAL-RBAC-014"),
            vec![
                "User system:anonymous (any request without credentials) gets Role/shop/somewhere-else (role not in the scanned files) in namespace shop through RoleBinding/shop/anon"
            ]
        );
    }
}
