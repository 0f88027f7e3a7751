//! PAL-RBAC-002: a bound rule uses `*` in its verbs, resources or API groups.

use super::util::{grant_sentence, permission_grants};
use crate::checks::{Check, ClusterView, Reporter, Run};
use crate::rbac::PolicyRule;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-002",
        name: "wildcard-rbac-rule",
        title: "Bound RBAC rule with a wildcard verb, resource or API group",
        severity: Severity::High,
        techniques: &["T1078", "T1098.006"],
        target: CheckTarget::Rbac,
        rationale: "A `*` in a rule grants everything that matches today and everything added \
            later: `verbs: [\"*\"]` includes `escalate`, `bind`, `impersonate` and `delete`; \
            `resources: [\"*\"]` includes secrets and every subresource such as `pods/exec`; \
            `apiGroups: [\"*\"]` includes every CRD an operator installs next year. Whoever holds \
            the binding, or steals the token of a pod running as its subject, can use all of \
            it. Rules with all three wildcards are reported by PAL-RBAC-001 instead.",
        remediation: "List the exact verbs, resources and API groups the subject needs \
            (`kubectl auth can-i --list --as=...` and audit logs show what it really uses).",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules:
  - apiGroups: ["apps"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "list", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

/// `verbs [*] on resources [pods] in apiGroups [""]`.
fn describe_rule(rule: &PolicyRule<'_>) -> String {
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| {
                if x.is_empty() {
                    "\"\"".to_owned()
                } else {
                    x.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "verbs [{}] on resources [{}] in apiGroups [{}]",
        list(&rule.verbs),
        list(&rule.resources),
        list(&rule.api_groups)
    )
}

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    // All-powerful roles are left out by `permission_grants` (PAL-RBAC-001 reports them).
    for grant in permission_grants(view) {
        // Only resource rules: a `*` verb on a non-resource URL such as `/healthz` reaches
        // no object.
        let wild: Vec<&PolicyRule<'_>> = grant
            .role
            .rules
            .iter()
            .filter(|r| !r.resources.is_empty() && r.has_wildcard())
            .collect();
        let Some(first) = wild.first() else {
            continue;
        };
        let more = match wild.len() {
            1 => String::new(),
            2 => " (and 1 more wildcard rule)".to_owned(),
            n => format!(" (and {} more wildcard rules)", n - 1),
        };
        out.report_subject(
            grant.subject.cursor.spot(),
            grant_sentence(
                &grant,
                &format!("holds a wildcard rule ({}){more}", describe_rule(first)),
            ),
            grant.subject_ref(),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn all_powerful_roles_and_system_subjects_are_left_to_rbac_001() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: god}
rules:
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
  - {apiGroups: [""], resources: [pods], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - {apiGroups: ["*"], resources: [pods], verbs: [get]}
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
  - {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: god}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: god}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
  - {kind: User, name: bob}
  - {kind: User, name: "system:kube-scheduler"}
"#;
        assert_eq!(
            scan(&[("a.yaml", text)], "PAL-RBAC-002"),
            vec![
                r#"User bob holds a wildcard rule (verbs [get] on resources [pods] in apiGroups [*]) cluster-wide through ClusterRole/reader bound by ClusterRoleBinding/reader"#
            ]
        );
    }
}
