//! RBAC as a graph: roles, bindings and the subjects that end up holding each permission.
//!
//! A binding only matters together with the role it references, which may live in another
//! file or be one of the roles every cluster ships (`cluster-admin`, `admin`, `edit`, `view`).
//! [`RbacGraph::grants`] joins them so checks can ask "who can create pods/exec, through
//! which role and which binding?".

use crate::k8s::K8sObject;
use crate::spot::Cursor;
use palisade_core::Subject;

/// One rule of a Role or ClusterRole.
#[derive(Debug, Clone)]
pub struct PolicyRule<'a> {
    /// Where the rule is (None for built-in roles).
    pub cursor: Option<Cursor<'a>>,
    /// Verbs (`*` allowed).
    pub verbs: Vec<String>,
    /// API groups (`""` = core, `*` allowed).
    pub api_groups: Vec<String>,
    /// Resources, with subresources as `pods/exec` (`*` and `pods/*` allowed).
    pub resources: Vec<String>,
    /// Restricts the rule to named objects when non-empty.
    pub resource_names: Vec<String>,
    /// Non-resource URLs (`/metrics`, `*`).
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule<'_> {
    /// Does this rule allow `verb` on `group`/`resource`? Wildcards count, as the API server
    /// evaluates them. `resource` may carry a subresource (`pods/exec`).
    pub fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        let verb_ok = self.verbs.iter().any(|v| v == "*" || v == verb);
        let group_ok = self.api_groups.iter().any(|g| g == "*" || g == group);
        let resource_ok = self.resources.iter().any(|r| resource_matches(r, resource));
        // A rule limited to named objects can never create one or delete a collection.
        let names_ok =
            self.resource_names.is_empty() || !matches!(verb, "create" | "deletecollection");
        verb_ok && group_ok && resource_ok && names_ok
    }

    /// Allows any of `verbs` on `group`/`resource`; returns the first that matches.
    pub fn allows_any<'v>(
        &self,
        verbs: &[&'v str],
        group: &str,
        resource: &str,
    ) -> Option<&'v str> {
        verbs
            .iter()
            .copied()
            .find(|v| self.allows(v, group, resource))
    }

    /// Is any of verbs, groups or resources a wildcard?
    pub fn has_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            || self.resources.iter().any(|r| r == "*")
            || self.api_groups.iter().any(|g| g == "*")
    }
}

/// The API server's matching: `*`, an exact `resource[/subresource]`, or `*/subresource`.
/// (`pods/*` is not a wildcard to Kubernetes: it matches nothing.)
fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" || pattern == resource {
        return true;
    }
    match (pattern.strip_prefix("*/"), resource.split_once('/')) {
        (Some(ps), Some((_, s))) => ps == s,
        _ => false,
    }
}

/// A Role or ClusterRole (from the inputs or built in).
#[derive(Debug)]
pub struct Role<'a> {
    /// The object, None for built-in roles.
    pub object: Option<&'a K8sObject>,
    /// ClusterRole?
    pub cluster: bool,
    /// Name.
    pub name: String,
    /// Namespace of a Role.
    pub namespace: Option<String>,
    /// Its rules (for an aggregated ClusterRole, including the aggregated roles' rules).
    pub rules: Vec<PolicyRule<'a>>,
    /// `metadata.labels`.
    pub labels: Vec<(String, String)>,
    /// `aggregationRule.clusterRoleSelectors[].matchLabels`.
    pub aggregation: Vec<Vec<(String, String)>>,
}

impl Role<'_> {
    /// `ClusterRole/name` or `Role/ns/name`.
    pub fn display(&self) -> String {
        if self.cluster {
            format!("ClusterRole/{}", self.name)
        } else {
            format!(
                "Role/{}/{}",
                self.namespace.as_deref().unwrap_or("default"),
                self.name
            )
        }
    }
}

/// A subject of a binding.
#[derive(Debug, Clone)]
pub struct BindingSubject<'a> {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (service accounts).
    pub namespace: Option<String>,
    /// Where it is declared.
    pub cursor: Cursor<'a>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug)]
pub struct Binding<'a> {
    /// The binding object.
    pub object: &'a K8sObject,
    /// ClusterRoleBinding?
    pub cluster: bool,
    /// `roleRef.kind`.
    pub role_kind: String,
    /// `roleRef.name`.
    pub role_name: String,
    /// Subjects.
    pub subjects: Vec<BindingSubject<'a>>,
}

impl Binding<'_> {
    /// `ClusterRoleBinding/name` or `RoleBinding/ns/name`.
    pub fn display(&self) -> String {
        let name = self.object.name().unwrap_or("?");
        if self.cluster {
            format!("ClusterRoleBinding/{name}")
        } else {
            format!(
                "RoleBinding/{}/{name}",
                self.object.namespace().unwrap_or("default")
            )
        }
    }
}

/// One permission path: a subject holds a role through a binding.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'g, 'a> {
    /// The binding.
    pub binding: &'g Binding<'a>,
    /// The subject.
    pub subject: &'g BindingSubject<'a>,
    /// The role.
    pub role: &'g Role<'a>,
}

impl Grant<'_, '_> {
    /// The `Subject` for a finding.
    pub fn subject_ref(&self) -> Subject {
        Subject {
            kind: self.subject.kind.clone(),
            name: self.subject.name.clone(),
            namespace: self.subject.namespace.clone(),
            role: self.role.display(),
            binding: self.binding.display(),
        }
    }

    /// Is the permission cluster-wide (ClusterRoleBinding)?
    pub fn cluster_wide(&self) -> bool {
        self.binding.cluster
    }

    /// `ServiceAccount shop/ci` etc.
    pub fn subject_label(&self) -> String {
        match &self.subject.namespace {
            Some(ns) => format!("{} {ns}/{}", self.subject.kind, self.subject.name),
            None => format!("{} {}", self.subject.kind, self.subject.name),
        }
    }

    /// `cluster-wide` or `in namespace shop`.
    pub fn scope_label(&self) -> String {
        if self.binding.cluster {
            "cluster-wide".into()
        } else {
            format!(
                "in namespace {}",
                self.binding.object.namespace().unwrap_or("default")
            )
        }
    }

    /// Is the subject one of Kubernetes' own control-plane identities? `system:*` users and
    /// groups, and kube-system service accounts, are; the groups that contain ordinary pods'
    /// service accounts (`system:serviceaccounts`, `system:serviceaccounts:<ns>`), their users
    /// (`system:serviceaccount:<ns>:<name>`) and the anonymous/all-users groups are not.
    pub fn subject_is_system(&self) -> bool {
        let name = self.subject.name.as_str();
        if matches!(
            name,
            "system:anonymous"
                | "system:unauthenticated"
                | "system:authenticated"
                | "system:serviceaccounts"
        ) {
            return false;
        }
        if let Some(ns) = name.strip_prefix("system:serviceaccounts:") {
            return ns == "kube-system";
        }
        if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
            return rest.split(':').next() == Some("kube-system");
        }
        name.starts_with("system:")
            || (self.subject.kind == "ServiceAccount"
                && self.subject.namespace.as_deref() == Some("kube-system"))
    }
}

/// All roles and bindings of a scan, across files.
#[derive(Debug, Default)]
pub struct RbacGraph<'a> {
    /// Roles from the inputs plus built-in ClusterRoles not redefined there.
    pub roles: Vec<Role<'a>>,
    /// Bindings.
    pub bindings: Vec<Binding<'a>>,
}

fn strings(cursor: Option<Cursor<'_>>) -> Vec<String> {
    cursor
        .map(|c| {
            c.node
                .items()
                .iter()
                .filter_map(|n| n.text().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn role_from_object(object: &K8sObject) -> Role<'_> {
    let rules = object
        .cursor()
        .get("rules")
        .map(|rules| {
            rules
                .items()
                .map(|rule| PolicyRule {
                    verbs: strings(rule.get("verbs")),
                    api_groups: strings(rule.get("apiGroups")),
                    resources: strings(rule.get("resources")),
                    resource_names: strings(rule.get("resourceNames")),
                    non_resource_urls: strings(rule.get("nonResourceURLs")),
                    cursor: Some(rule),
                })
                .collect()
        })
        .unwrap_or_default();
    let pairs = |c: Option<Cursor<'_>>| -> Vec<(String, String)> {
        c.map(|m| {
            m.entries()
                .filter_map(|(k, v)| Some((k.to_owned(), v.text()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
    };
    let aggregation = object
        .cursor()
        .get_path(&["aggregationRule", "clusterRoleSelectors"])
        .map(|sel| sel.items().map(|s| pairs(s.get("matchLabels"))).collect())
        .unwrap_or_default();
    Role {
        object: Some(object),
        cluster: object.kind() == "ClusterRole",
        name: object.name().unwrap_or("?").to_owned(),
        namespace: object.namespace().map(str::to_owned),
        rules,
        labels: pairs(object.cursor().get_path(&["metadata", "labels"])),
        aggregation,
    }
}

fn builtin_rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule<'static> {
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

/// The default ClusterRoles every cluster has, reduced to the permissions the checks ask about.
fn builtin_roles() -> Vec<Role<'static>> {
    let write = ["create", "update", "patch", "delete", "deletecollection"];
    let read = ["get", "list", "watch"];
    let all: Vec<&str> = write.iter().chain(read.iter()).copied().collect();
    let workloads = [
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
    ];
    let workload_groups = ["", "apps", "batch"];
    let edit_rules = vec![
        builtin_rule(&all, &workload_groups, &workloads),
        builtin_rule(
            &["create", "get"],
            &[""],
            &["pods/exec", "pods/attach", "pods/portforward"],
        ),
        builtin_rule(
            &all,
            &[""],
            &["secrets", "configmaps", "services", "serviceaccounts"],
        ),
        builtin_rule(&["create"], &[""], &["serviceaccounts/token"]),
        builtin_rule(&["impersonate"], &[""], &["serviceaccounts"]),
    ];
    let mut admin_rules = edit_rules.clone();
    admin_rules.push(builtin_rule(
        &all,
        &["rbac.authorization.k8s.io"],
        &["roles", "rolebindings"],
    ));
    let make = |name: &str, rules| Role {
        object: None,
        cluster: true,
        name: name.to_owned(),
        namespace: None,
        rules,
        labels: Vec::new(),
        aggregation: Vec::new(),
    };
    vec![
        make("cluster-admin", vec![builtin_rule(&["*"], &["*"], &["*"])]),
        make("admin", admin_rules),
        make("edit", edit_rules),
        make(
            "view",
            vec![builtin_rule(&read, &workload_groups, &workloads)],
        ),
    ]
}

impl<'a> RbacGraph<'a> {
    /// Build the graph from every object of the scan.
    pub fn build(objects: impl IntoIterator<Item = &'a K8sObject>) -> Self {
        let mut graph = RbacGraph::default();
        for object in objects {
            if object.api_group() != "rbac.authorization.k8s.io" {
                continue;
            }
            match object.kind() {
                "Role" | "ClusterRole" => graph.roles.push(role_from_object(object)),
                "RoleBinding" | "ClusterRoleBinding" => {
                    let cursor = object.cursor();
                    let subjects = cursor
                        .get("subjects")
                        .map(|s| {
                            s.items()
                                .map(|subject| BindingSubject {
                                    kind: subject.text_of("kind").unwrap_or("?").to_owned(),
                                    name: subject.text_of("name").unwrap_or("?").to_owned(),
                                    namespace: subject
                                        .text_of("namespace")
                                        .map(str::to_owned)
                                        .or_else(|| {
                                            (subject.text_of("kind") == Some("ServiceAccount"))
                                                .then(|| {
                                                    object
                                                        .namespace()
                                                        .unwrap_or("default")
                                                        .to_owned()
                                                })
                                        }),
                                    cursor: subject,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    graph.bindings.push(Binding {
                        object,
                        cluster: object.kind() == "ClusterRoleBinding",
                        role_kind: cursor
                            .text_of_path(&["roleRef", "kind"])
                            .unwrap_or("ClusterRole")
                            .to_owned(),
                        role_name: cursor
                            .text_of_path(&["roleRef", "name"])
                            .unwrap_or("?")
                            .to_owned(),
                        subjects,
                    });
                }
                _ => {}
            }
        }
        for builtin in builtin_roles() {
            if !graph
                .roles
                .iter()
                .any(|r| r.cluster && r.name == builtin.name)
            {
                graph.roles.push(builtin);
            }
        }
        graph.aggregate();
        graph
    }

    /// Give each aggregated ClusterRole the rules of the ClusterRoles its selectors match, as
    /// the controller manager does (one level; aggregated roles are not aggregated again).
    fn aggregate(&mut self) {
        let mut additions: Vec<(usize, Vec<PolicyRule<'a>>)> = Vec::new();
        for (i, role) in self.roles.iter().enumerate() {
            if !role.cluster || role.aggregation.is_empty() {
                continue;
            }
            let rules: Vec<PolicyRule<'a>> = self
                .roles
                .iter()
                .enumerate()
                .filter(|(j, other)| {
                    *j != i
                        && other.cluster
                        && other.aggregation.is_empty()
                        && role.aggregation.iter().any(|selector| {
                            !selector.is_empty()
                                && selector.iter().all(|kv| other.labels.contains(kv))
                        })
                })
                .flat_map(|(_, other)| other.rules.iter().cloned())
                .collect();
            if !rules.is_empty() {
                additions.push((i, rules));
            }
        }
        for (i, rules) in additions {
            self.roles[i].rules.extend(rules);
        }
    }

    /// The role a binding references, if known.
    pub fn role_of(&self, binding: &Binding<'a>) -> Option<&Role<'a>> {
        let cluster = binding.role_kind == "ClusterRole";
        let binding_ns = binding.object.namespace().unwrap_or("default");
        self.roles.iter().find(|role| {
            role.cluster == cluster
                && role.name == binding.role_name
                && (cluster || role.namespace.as_deref().unwrap_or("default") == binding_ns)
        })
    }

    /// Every (binding, subject, role) triple, bindings to unknown roles left out.
    pub fn grants(&self) -> Vec<Grant<'_, 'a>> {
        let mut out = Vec::new();
        for binding in &self.bindings {
            if let Some(role) = self.role_of(binding) {
                for subject in &binding.subjects {
                    out.push(Grant {
                        binding,
                        subject,
                        role,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{ScanOptions, Source, scan_sources};

    #[test]
    fn aggregated_cluster_roles_carry_the_rules_they_select() {
        let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: monitoring}\naggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: {rbac.example.com/aggregate-to-monitoring: \"true\"}\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: secret-reader\n  labels: {rbac.example.com/aggregate-to-monitoring: \"true\"}\nrules:\n  - {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: mon}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}\nsubjects:\n  - {kind: ServiceAccount, name: prom, namespace: mon}\n";
        let report = scan_sources(
            vec![Source::new("rbac.yaml", rbac)],
            &ScanOptions::default(),
        );
        let hit = report
            .findings
            .iter()
            .find(|f| f.check == "PAL-RBAC-003")
            .unwrap_or_else(|| {
                panic!(
                    "{:#?}",
                    report
                        .findings
                        .iter()
                        .map(|f| (&f.check, &f.message))
                        .collect::<Vec<_>>()
                )
            });
        assert!(
            hit.message.contains("ClusterRole/monitoring"),
            "{}",
            hit.message
        );
    }

    #[test]
    fn role_in_unset_namespace_matches_binding_in_default() {
        let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: exec}\nrules:\n  - {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: exec, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}\nsubjects:\n  - {kind: User, name: alice}\n";
        let report = scan_sources(
            vec![Source::new("rbac.yaml", rbac)],
            &ScanOptions::default(),
        );
        assert!(report.findings.iter().any(|f| f.check == "PAL-RBAC-004"));
    }
}
