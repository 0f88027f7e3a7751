//! PAL-RBAC-003: subject can read Secrets.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-003",
        name: "secrets-read",
        title: "Subject can read Secrets",
        severity: Severity::High,
        techniques: &["T1552.007", "T1528"],
        target: CheckTarget::Rbac,
        rationale: "Reading Secrets through the API returns every credential stored in them:             database passwords, cloud keys, TLS keys and the tokens of other service accounts.             `list` and `watch` return the values too, not only the names, so any of the three             verbs is enough. With a stolen service-account token among them, the attacker             moves on as that identity.",
        remediation: "Grant `get` on the specific Secrets the subject needs with `resourceNames`,             or mount the Secret into the pod instead of reading it through the API; never grant             `list`/`watch` on secrets.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::SecretsRead);
}
