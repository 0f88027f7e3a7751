//! PAL-RBAC-013: subject can change admission webhook configurations.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-013",
        name: "admission-webhook-modify",
        title: "Subject can change admission webhook configurations",
        severity: Severity::High,
        techniques: &["T1562.001"],
        target: CheckTarget::Rbac,
        rationale: "Admission webhooks enforce policy (Gatekeeper, Kyverno, image verification)             and inject sidecars. A subject that can change or delete their configurations             switches that enforcement off (delete it, narrow its rules, set `failurePolicy:             Ignore`) or points a mutating webhook at its own server, which then sees and             rewrites every new pod.",
        remediation: "Keep write access to `validatingwebhookconfigurations` and             `mutatingwebhookconfigurations` to the policy engine's own installer; give             everyone else read access at most.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: webhook-editor}
rules:
  - apiGroups: [admissionregistration.k8s.io]
    resources: [validatingwebhookconfigurations]
    verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-webhooks}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: webhook-editor}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: webhook-editor}
rules:
  - apiGroups: [admissionregistration.k8s.io]
    resources: [validatingwebhookconfigurations]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-webhooks}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: webhook-editor}
subjects:
  - {kind: ServiceAccount, name: ci, namespace: shop}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::WebhookModify);
}
