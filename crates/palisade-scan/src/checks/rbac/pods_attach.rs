//! PAL-RBAC-005: subject can attach to pods.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-005",
        name: "pods-attach",
        title: "Subject can attach to pods",
        severity: Severity::High,
        techniques: &["T1609"],
        target: CheckTarget::Rbac,
        rationale: "`pods/attach` connects to the standard input and output of the main process             of a running container. For containers that run a shell or an interpreter (debug             images, REPL-style jobs) this is the same as exec; in every case it reads whatever             the process prints, secrets included.",
        remediation: "Remove `pods/attach` from the role; use logs (`pods/log`) for observation.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: attacher, namespace: shop}
rules:
  - {apiGroups: [""], resources: [pods/attach], verbs: [create, get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-attach, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: attacher}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: attacher, namespace: shop}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-attach, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: attacher}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::PodsAttach);
}
