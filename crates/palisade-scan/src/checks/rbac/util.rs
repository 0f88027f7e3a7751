//! What the RBAC checks (and the workload identity check PAL-K8S-112) share: one table of
//! dangerous permissions, a rule matcher that follows the API server's authorizer exactly, the
//! filter for Kubernetes' own control-plane identities, and the walk over grants that reports
//! each (subject, binding, role) once.

use crate::checks::{ClusterView, Reporter};
use crate::rbac::{Binding, BindingSubject, Grant, PolicyRule, Role};
use palisade_core::Subject;
use std::collections::HashSet;

/// One way to hold a dangerous permission: any of `verbs` on any of `resources` in any of
/// `groups`.
#[derive(Debug)]
pub(crate) struct Access {
    pub(crate) verbs: &'static [&'static str],
    pub(crate) groups: &'static [&'static str],
    /// Resources as the API server names them (`pods/exec`). `name/*` stands for "any
    /// subresource of `name`" (used for `userextras/<key>`).
    pub(crate) resources: &'static [&'static str],
    /// Only a ClusterRoleBinding gives it: the resource is cluster-scoped (a RoleBinding
    /// cannot reach it), or the check only cares about the cluster-wide case.
    pub(crate) cluster_only: bool,
}

const fn access(
    verbs: &'static [&'static str],
    groups: &'static [&'static str],
    resources: &'static [&'static str],
) -> Access {
    Access {
        verbs,
        groups,
        resources,
        cluster_only: false,
    }
}

const fn cluster_access(
    verbs: &'static [&'static str],
    groups: &'static [&'static str],
    resources: &'static [&'static str],
) -> Access {
    Access {
        verbs,
        groups,
        resources,
        cluster_only: true,
    }
}

const CORE: &[&str] = &[""];
const RBAC: &[&str] = &["rbac.authorization.k8s.io"];
const DELETE: &[&str] = &["delete", "deletecollection"];

/// The dangerous permissions Palisade looks for in RBAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Danger {
    SecretsRead,
    PodsExec,
    PodsAttach,
    PodsPortForward,
    WorkloadCreate,
    RbacEscalate,
    Impersonate,
    NodesProxy,
    TokenCreate,
    CsrApprove,
    WebhookModify,
    EventsDelete,
    BroadDelete,
}

impl Danger {
    /// What must be held: every inner list is a requirement, satisfied by any of its
    /// accesses. Only approving certificates needs two things at once.
    pub(crate) fn requirements(self) -> &'static [&'static [Access]] {
        match self {
            Danger::SecretsRead => {
                const { &[&[access(&["get", "list", "watch"], CORE, &["secrets"])]] }
            }
            Danger::PodsExec => const { &[&[access(&["create", "get"], CORE, &["pods/exec"])]] },
            Danger::PodsAttach => {
                const { &[&[access(&["create", "get"], CORE, &["pods/attach"])]] }
            }
            Danger::PodsPortForward => {
                const { &[&[access(&["create", "get"], CORE, &["pods/portforward"])]] }
            }
            Danger::WorkloadCreate => {
                const {
                    &[&[
                        access(&["create"], CORE, &["pods", "replicationcontrollers"]),
                        access(
                            &["create"],
                            &["apps"],
                            &["deployments", "daemonsets", "statefulsets", "replicasets"],
                        ),
                        access(&["create"], &["batch"], &["jobs", "cronjobs"]),
                    ]]
                }
            }
            Danger::RbacEscalate => {
                const {
                    &[&[
                        access(&["escalate", "bind"], RBAC, &["roles"]),
                        // `bind` is checked in the namespace of the new binding, so a RoleBinding
                        // that allows binding ClusterRoles hands out cluster-admin in that namespace.
                        access(&["bind"], RBAC, &["clusterroles"]),
                        cluster_access(&["escalate"], RBAC, &["clusterroles"]),
                        access(&["create", "update", "patch"], RBAC, &["rolebindings"]),
                        cluster_access(
                            &["create", "update", "patch"],
                            RBAC,
                            &["clusterrolebindings"],
                        ),
                    ]]
                }
            }
            Danger::Impersonate => {
                const {
                    &[&[
                        cluster_access(&["impersonate"], CORE, &["users", "groups"]),
                        access(&["impersonate"], CORE, &["serviceaccounts"]),
                        cluster_access(
                            &["impersonate"],
                            &["authentication.k8s.io"],
                            &["uids", "userextras/*"],
                        ),
                    ]]
                }
            }
            Danger::NodesProxy => {
                const { &[&[cluster_access(&["get", "create"], CORE, &["nodes/proxy"])]] }
            }
            Danger::TokenCreate => {
                const { &[&[access(&["create"], CORE, &["serviceaccounts/token"])]] }
            }
            Danger::CsrApprove => {
                const {
                    &[
                        &[cluster_access(
                            &["update", "patch"],
                            &["certificates.k8s.io"],
                            &["certificatesigningrequests/approval"],
                        )],
                        &[cluster_access(
                            &["approve"],
                            &["certificates.k8s.io"],
                            &["signers"],
                        )],
                    ]
                }
            }
            Danger::WebhookModify => {
                const {
                    &[&[cluster_access(
                        &["create", "update", "patch", "delete"],
                        &["admissionregistration.k8s.io"],
                        &[
                            "validatingwebhookconfigurations",
                            "mutatingwebhookconfigurations",
                        ],
                    )]]
                }
            }
            Danger::EventsDelete => {
                const {
                    &[&[
                        access(DELETE, CORE, &["events"]),
                        access(DELETE, &["events.k8s.io"], &["events"]),
                    ]]
                }
            }
            Danger::BroadDelete => {
                const {
                    &[&[
                        // A RoleBinding reaches the namespace object of its own namespace.
                        access(DELETE, CORE, &["namespaces"]),
                        cluster_access(
                            DELETE,
                            CORE,
                            &["persistentvolumes", "persistentvolumeclaims"],
                        ),
                        cluster_access(DELETE, &["apps"], &["deployments", "statefulsets"]),
                    ]]
                }
            }
        }
    }
}

impl Danger {
    /// What holding it lets a subject do, in a few words.
    pub(crate) fn summary(self) -> &'static str {
        match self {
            Danger::SecretsRead => "read secrets",
            Danger::PodsExec => "exec into pods",
            Danger::PodsAttach => "attach to pods",
            Danger::PodsPortForward => "port-forward to pods",
            Danger::WorkloadCreate => "create workloads",
            Danger::RbacEscalate => "escalate or bind RBAC roles",
            Danger::Impersonate => "impersonate other identities",
            Danger::NodesProxy => "reach the kubelet API through nodes/proxy",
            Danger::TokenCreate => "mint service-account tokens",
            Danger::CsrApprove => "approve certificate requests",
            Danger::WebhookModify => "change admission webhooks",
            Danger::EventsDelete => "delete events",
            Danger::BroadDelete => "delete namespaces, volumes or workloads",
        }
    }
}

/// The permissions PAL-K8S-112 treats as "a compromised pod becomes a cluster attacker".
pub(crate) const WORKLOAD_IDENTITY_DANGERS: &[Danger] = &[
    Danger::SecretsRead,
    Danger::PodsExec,
    Danger::WorkloadCreate,
    Danger::RbacEscalate,
    Danger::Impersonate,
    Danger::NodesProxy,
    Danger::TokenCreate,
];

/// One permission a role holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) verb: &'static str,
    /// As the table names it (`userextras/*` shown as `userextras`).
    pub(crate) resource: &'static str,
    /// Objects it is limited to by `resourceNames` (empty: every object).
    pub(crate) names: Vec<String>,
}

/// Does `rule` allow `verb` on `group`/`resource`, as the API server's RBAC authorizer
/// decides? `Some(names)` when it does (`names` empty = any object, otherwise only those
/// named), `None` when it does not.
///
/// Unlike [`PolicyRule::allows`], `pods/*` is **not** a wildcard: the authorizer only knows
/// `*` and `*/subresource`, so a rule listing `pods/*` grants nothing real. A rule with
/// `resourceNames` never allows `create` of a top-level object or `deletecollection` (those
/// requests carry no name).
pub(crate) fn rule_allows(
    rule: &PolicyRule<'_>,
    verb: &str,
    group: &str,
    resource: &str,
) -> Option<Vec<String>> {
    let verb_ok = rule.verbs.iter().any(|v| v == "*" || v == verb);
    let group_ok = rule.api_groups.iter().any(|g| g == "*" || g == group);
    let resource_ok = rule
        .resources
        .iter()
        .any(|r| authorizer_resource_matches(r, resource));
    if !(verb_ok && group_ok && resource_ok) {
        return None;
    }
    if rule.resource_names.is_empty() {
        return Some(Vec::new());
    }
    let nameless = verb == "deletecollection" || (verb == "create" && !resource.contains('/'));
    (!nameless).then(|| rule.resource_names.clone())
}

/// The authorizer's `ResourceMatches`. `requested` may be the table's `name/*`, meaning "some
/// subresource of `name`": matched by `*`, `*/x` or any `name/x`.
fn authorizer_resource_matches(rule_resource: &str, requested: &str) -> bool {
    if rule_resource == "*" {
        return true;
    }
    if let Some(parent) = requested.strip_suffix("/*") {
        return rule_resource.starts_with("*/")
            || rule_resource
                .strip_prefix(parent)
                .is_some_and(|rest| rest.starts_with('/'));
    }
    if rule_resource == requested {
        return true;
    }
    match (rule_resource.strip_prefix("*/"), requested.split_once('/')) {
        (Some(sub), Some((_, requested_sub))) => sub == requested_sub,
        _ => false,
    }
}

/// Does the role have a rule allowing every verb on every resource of every group?
pub(crate) fn is_all_powerful(role: &Role<'_>) -> bool {
    role.rules.iter().any(|rule| {
        rule.verbs.iter().any(|v| v == "*")
            && rule.resources.iter().any(|r| r == "*")
            && rule.api_groups.iter().any(|g| g == "*")
    })
}

/// The permissions of `danger` that `role` holds when bound cluster-wide or not. Empty when
/// any requirement is not met.
pub(crate) fn role_hits(role: &Role<'_>, danger: Danger, cluster_wide: bool) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    for requirement in danger.requirements() {
        let before = hits.len();
        for access in requirement.iter() {
            if access.cluster_only && !cluster_wide {
                continue;
            }
            for resource in access.resources {
                for group in access.groups {
                    for verb in access.verbs {
                        for rule in &role.rules {
                            if let Some(names) = rule_allows(rule, verb, group, resource) {
                                add_hit(&mut hits, verb, resource, names);
                            }
                        }
                    }
                }
            }
        }
        if hits.len() == before {
            return Vec::new();
        }
    }
    hits
}

/// Merge a hit: an unrestricted grant of (verb, resource) absorbs restricted ones.
fn add_hit(hits: &mut Vec<Hit>, verb: &'static str, resource: &'static str, names: Vec<String>) {
    let resource = resource.strip_suffix("/*").unwrap_or(resource);
    if let Some(hit) = hits
        .iter_mut()
        .find(|h| h.verb == verb && h.resource == resource)
    {
        if hit.names.is_empty() || names.is_empty() {
            hit.names.clear();
        } else {
            for name in names {
                if !hit.names.contains(&name) {
                    hit.names.push(name);
                }
            }
        }
        return;
    }
    hits.push(Hit {
        verb,
        resource,
        names,
    });
}

/// `get/list/watch secrets`, `create pods, deployments`, `get secrets named db, api`: verbs
/// per resource, resources with the same verbs merged.
pub(crate) fn describe(hits: &[Hit]) -> String {
    // (resource label, verbs) in first-seen order.
    let mut per_resource: Vec<(String, Vec<&str>)> = Vec::new();
    for hit in hits {
        let label = if hit.names.is_empty() {
            hit.resource.to_owned()
        } else {
            format!("{} named {}", hit.resource, hit.names.join(", "))
        };
        match per_resource.iter_mut().find(|(l, _)| *l == label) {
            Some((_, verbs)) => {
                if !verbs.contains(&hit.verb) {
                    verbs.push(hit.verb);
                }
            }
            None => per_resource.push((label, vec![hit.verb])),
        }
    }
    let mut groups: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for (label, verbs) in per_resource {
        match groups.iter_mut().find(|(v, _)| *v == verbs) {
            Some((_, labels)) => labels.push(label),
            None => groups.push((verbs, vec![label])),
        }
    }
    groups
        .iter()
        .map(|(verbs, labels)| format!("{} {}", verbs.join("/"), labels.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Kubernetes' own control-plane identities, which hold powerful roles by design. Unlike
/// [`Grant::subject_is_system`], the groups of *all* service accounts
/// (`system:serviceaccounts`, `system:serviceaccounts:<ns>`) and the user name of a service
/// account outside kube-system (`system:serviceaccount:<ns>:<name>`) are not control plane:
/// a grant to them reaches ordinary pods.
pub(crate) fn is_control_plane(grant: &Grant<'_, '_>) -> bool {
    grant.subject_is_system()
}

/// `ClusterRole/name` or `Role/ns/name` for a binding's `roleRef`, whether or not the role
/// is in the scan.
pub(crate) fn role_ref_display(binding: &Binding<'_>) -> String {
    if binding.role_kind == "ClusterRole" {
        format!("ClusterRole/{}", binding.role_name)
    } else {
        format!(
            "Role/{}/{}",
            binding.object.namespace().unwrap_or("default"),
            binding.role_name
        )
    }
}

/// `ServiceAccount shop/ci`, `User alice`.
pub(crate) fn subject_label(subject: &BindingSubject<'_>) -> String {
    match &subject.namespace {
        Some(ns) => format!("{} {ns}/{}", subject.kind, subject.name),
        None => format!("{} {}", subject.kind, subject.name),
    }
}

/// The finding's `Subject` for a binding whose role may be unknown.
pub(crate) fn subject_of(binding: &Binding<'_>, subject: &BindingSubject<'_>) -> Subject {
    Subject {
        kind: subject.kind.clone(),
        name: subject.name.clone(),
        namespace: subject.namespace.clone(),
        role: role_ref_display(binding),
        binding: binding.display(),
    }
}

/// `cluster-wide` or `in namespace shop`.
pub(crate) fn binding_scope(binding: &Binding<'_>) -> String {
    if binding.cluster {
        "cluster-wide".into()
    } else {
        format!(
            "in namespace {}",
            binding.object.namespace().unwrap_or("default")
        )
    }
}

/// Identity of a grant for de-duplication: subject, binding and role.
pub(crate) fn grant_key(grant: &Grant<'_, '_>) -> Subject {
    grant.subject_ref()
}

/// The grants RBAC permission checks look at, each (subject, binding, role) once: control
/// plane identities and all-powerful roles (reported by PAL-RBAC-001) left out.
pub(crate) fn permission_grants<'g, 'a>(view: &'g ClusterView<'a>) -> Vec<Grant<'g, 'a>> {
    let mut seen = HashSet::new();
    view.rbac
        .grants()
        .into_iter()
        .filter(|g| !is_control_plane(g) && !is_all_powerful(g.role))
        .filter(|g| seen.insert(grant_key(g)))
        .collect()
}

/// `ServiceAccount shop/ci can create pods/exec cluster-wide through ClusterRole/debugger
/// bound by ClusterRoleBinding/ci-debug`.
pub(crate) fn grant_message(grant: &Grant<'_, '_>, what: &str) -> String {
    grant_sentence(grant, &format!("can {what}"))
}

/// `<subject> <predicate> <scope> through <role> bound by <binding>`.
pub(crate) fn grant_sentence(grant: &Grant<'_, '_>, predicate: &str) -> String {
    format!(
        "{} {predicate} {} through {} bound by {}",
        grant.subject_label(),
        grant.scope_label(),
        grant.role.display(),
        grant.binding.display()
    )
}

/// Report every grant holding `danger`.
pub(crate) fn report_danger(view: &ClusterView<'_>, out: &mut Reporter<'_>, danger: Danger) {
    for grant in permission_grants(view) {
        let hits = role_hits(grant.role, danger, grant.cluster_wide());
        if !hits.is_empty() {
            out.report_subject(
                grant.subject.cursor.spot(),
                grant_message(&grant, &describe(&hits)),
                grant.subject_ref(),
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ScanOptions, Source, scan_sources};
    use palisade_core::ScanReport;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule<'static> {
        let owned = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
        PolicyRule {
            cursor: None,
            verbs: owned(verbs),
            api_groups: owned(groups),
            resources: owned(resources),
            resource_names: Vec::new(),
            non_resource_urls: Vec::new(),
        }
    }

    fn role(rules: Vec<PolicyRule<'static>>) -> Role<'static> {
        Role {
            object: None,
            cluster: true,
            name: "r".into(),
            namespace: None,
            rules,
            labels: Vec::new(),
            aggregation: Vec::new(),
        }
    }

    /// Scan several files and return `check: message` lines of one check.
    pub(crate) fn scan(files: &[(&str, &str)], check: &str) -> Vec<String> {
        let report: ScanReport = scan_sources(
            files
                .iter()
                .map(|(path, text)| Source::new(*path, *text))
                .collect(),
            &ScanOptions::default(),
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report
            .findings
            .iter()
            .filter(|f| f.check == check)
            .map(|f| f.message.clone())
            .collect()
    }

    #[test]
    fn wildcards_match_like_the_authorizer() {
        let star = rule(&["*"], &["*"], &["*"]);
        assert_eq!(rule_allows(&star, "create", "", "pods/exec"), Some(vec![]));
        let sub = rule(&["create"], &[""], &["*/exec"]);
        assert!(rule_allows(&sub, "create", "", "pods/exec").is_some());
        assert!(rule_allows(&sub, "create", "", "pods").is_none());
        assert!(rule_allows(&sub, "create", "", "pods/attach").is_none());
        // `pods/*` is not a wildcard for the API server.
        let pods_star = rule(&["create"], &[""], &["pods/*"]);
        assert!(rule_allows(&pods_star, "create", "", "pods/exec").is_none());
        // `pods` does not reach its subresources.
        let pods = rule(&["*"], &[""], &["pods"]);
        assert!(rule_allows(&pods, "create", "", "pods/exec").is_none());
        assert!(rule_allows(&pods, "create", "", "pods").is_some());
        // Group must match.
        assert!(rule_allows(&pods, "create", "apps", "pods").is_none());
        let any_group = rule(&["get"], &["*"], &["secrets"]);
        assert!(rule_allows(&any_group, "get", "", "secrets").is_some());
    }

    #[test]
    fn resource_names_limit_but_never_allow_create_or_deletecollection() {
        let mut named = rule(&["*"], &[""], &["secrets", "pods/exec", "pods"]);
        named.resource_names = vec!["db".into()];
        assert_eq!(
            rule_allows(&named, "get", "", "secrets"),
            Some(vec!["db".to_owned()])
        );
        assert!(rule_allows(&named, "create", "", "pods").is_none());
        assert!(rule_allows(&named, "deletecollection", "", "pods").is_none());
        assert_eq!(
            rule_allows(&named, "create", "", "pods/exec"),
            Some(vec!["db".to_owned()])
        );
    }

    #[test]
    fn parent_star_in_the_table_means_any_subresource() {
        let extras = rule(
            &["impersonate"],
            &["authentication.k8s.io"],
            &["userextras/scopes"],
        );
        assert!(
            rule_allows(
                &extras,
                "impersonate",
                "authentication.k8s.io",
                "userextras/*"
            )
            .is_some()
        );
        let other = rule(
            &["impersonate"],
            &["authentication.k8s.io"],
            &["userextrasx"],
        );
        assert!(
            rule_allows(
                &other,
                "impersonate",
                "authentication.k8s.io",
                "userextras/*"
            )
            .is_none()
        );
    }

    #[test]
    fn hits_respect_scope_and_every_requirement() {
        let r = role(vec![rule(&["get"], &[""], &["nodes/proxy"])]);
        assert!(role_hits(&r, Danger::NodesProxy, false).is_empty());
        assert_eq!(role_hits(&r, Danger::NodesProxy, true).len(), 1);
        let approve_only = role(vec![rule(
            &["approve"],
            &["certificates.k8s.io"],
            &["signers"],
        )]);
        assert!(role_hits(&approve_only, Danger::CsrApprove, true).is_empty());
        let both = role(vec![
            rule(&["approve"], &["certificates.k8s.io"], &["signers"]),
            rule(
                &["update"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests/approval"],
            ),
        ]);
        assert_eq!(role_hits(&both, Danger::CsrApprove, true).len(), 2);
    }

    #[test]
    fn describe_merges_verbs_and_resources() {
        let r = role(vec![
            rule(&["get", "list"], &[""], &["secrets"]),
            rule(&["watch", "get"], &[""], &["secrets"]),
        ]);
        assert_eq!(
            describe(&role_hits(&r, Danger::SecretsRead, false)),
            "get/list/watch secrets"
        );
        let w = role(vec![rule(&["create"], &["", "apps", "batch"], &["*"])]);
        assert_eq!(
            describe(&role_hits(&w, Danger::WorkloadCreate, false)),
            "create pods, replicationcontrollers, deployments, daemonsets, statefulsets, replicasets, jobs, cronjobs"
        );
        let mut named = rule(&["get"], &[""], &["secrets"]);
        named.resource_names = vec!["a".into(), "b".into()];
        let mut named2 = rule(&["get"], &[""], &["secrets"]);
        named2.resource_names = vec!["b".into(), "c".into()];
        let n = role(vec![named.clone(), named2]);
        assert_eq!(
            describe(&role_hits(&n, Danger::SecretsRead, false)),
            "get secrets named a, b, c"
        );
        // An unrestricted rule wins over a restricted one.
        let n = role(vec![named, rule(&["get"], &[""], &["secrets"])]);
        assert_eq!(
            describe(&role_hits(&n, Danger::SecretsRead, false)),
            "get secrets"
        );
        let e = role(vec![
            rule(&["bind"], RBAC, &["roles"]),
            rule(&["create"], RBAC, &["rolebindings"]),
        ]);
        assert_eq!(
            describe(&role_hits(&e, Danger::RbacEscalate, false)),
            "bind roles; create rolebindings"
        );
    }

    const ROLE_FILE: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [list]}
"#;

    #[test]
    fn role_and_binding_in_different_files_role_vs_clusterrole() {
        let bindings = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: uses-role, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: uses-clusterrole, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: b}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: other-ns, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: c}]
"#;
        let mut got = scan(
            &[("roles.yaml", ROLE_FILE), ("bindings.yaml", bindings)],
            "PAL-RBAC-003",
        );
        got.sort();
        assert_eq!(
            got,
            vec![
                "ServiceAccount shop/a can get secrets in namespace shop through Role/shop/reader bound by RoleBinding/shop/uses-role",
                "ServiceAccount shop/b can list secrets in namespace shop through ClusterRole/reader bound by RoleBinding/shop/uses-clusterrole",
            ],
            "the Role of namespace shop must not be resolved from namespace web"
        );
    }

    #[test]
    fn each_subject_binding_role_is_reported_once() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: dup}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
  - {apiGroups: ["*"], resources: [secrets, configmaps], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dup}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dup}
subjects:
  - {kind: User, name: alice}
  - {kind: User, name: alice}
"#;
        assert_eq!(
            scan(&[("a.yaml", text)], "PAL-RBAC-003"),
            vec![
                "User alice can get/list/watch secrets cluster-wide through ClusterRole/dup bound by ClusterRoleBinding/dup"
            ]
        );
    }

    #[test]
    fn control_plane_filter_keeps_groups_of_all_service_accounts() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: peek}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: peek}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: peek}
subjects:
  - {kind: Group, name: "system:serviceaccounts"}
  - {kind: Group, name: "system:serviceaccounts:shop"}
  - {kind: User, name: "system:serviceaccount:shop:ci"}
  - {kind: Group, name: "system:serviceaccounts:kube-system"}
  - {kind: User, name: "system:kube-controller-manager"}
  - {kind: ServiceAccount, name: ctrl, namespace: kube-system}
  - {kind: Group, name: "system:authenticated"}
"#;
        let got = scan(&[("a.yaml", text)], "PAL-RBAC-003");
        let subjects: Vec<&str> = got
            .iter()
            .map(|m| m.split(" can ").next().unwrap())
            .collect();
        assert_eq!(
            subjects,
            vec![
                "Group system:serviceaccounts",
                "Group system:serviceaccounts:shop",
                "User system:serviceaccount:shop:ci",
                "Group system:authenticated",
            ]
        );
    }
}
