//! PAL-RBAC-015: subject can delete Kubernetes events.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-015",
        name: "events-delete",
        title: "Subject can delete Kubernetes events",
        severity: Severity::Medium,
        techniques: &["T1070"],
        target: CheckTarget::Rbac,
        rationale: "Events record what happened to pods (scheduled, pulled, killed, failed             probes) and are often the only trace of a short-lived malicious pod. Deleting             them erases that trace before the usual one-hour expiry; only the audit log, if             enabled, still shows it.",
        remediation: "Grant `create`/`patch` on events (enough to emit them) and never `delete`             or `deletecollection`; ship events and audit logs to storage outside the cluster.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: event-cleaner, namespace: shop}
rules:
  - {apiGroups: [""], resources: [events], verbs: [delete, deletecollection]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-events, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: event-cleaner}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: event-cleaner, namespace: shop}
rules:
  - {apiGroups: [""], resources: [events], verbs: [create, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-events, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: event-cleaner}
subjects:
  - {kind: ServiceAccount, name: ci}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::EventsDelete);
}
