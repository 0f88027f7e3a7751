//! PAL-RBAC-010: subject can reach the kubelet API through nodes/proxy.

use super::util::{Danger, report_danger};
use crate::checks::{Check, ClusterView, Reporter, Run};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-RBAC-010",
        name: "nodes-proxy",
        title: "Subject can reach the kubelet API through nodes/proxy",
        severity: Severity::Critical,
        techniques: &["T1609", "T1611"],
        target: CheckTarget::Rbac,
        rationale: "`nodes/proxy` forwards requests through the API server to any node's kubelet             API, which runs commands in every container of the node (`/exec`, `/run`) and             reads its logs and pod specs. The kubelet checks only that the caller holds             `nodes/proxy`, so admission control and the API server's per-pod audit trail are             bypassed; `get` is enough, since the exec endpoint accepts a websocket `GET`.",
        remediation: "Grant `nodes/metrics`, `nodes/stats` or `nodes/log` to monitoring agents             instead of `nodes/proxy`; keep `nodes/proxy` to the control plane.",
        bad_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
  - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects:
  - {kind: ServiceAccount, name: agent, namespace: monitoring}
"#,
        good_example: r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
  - {apiGroups: [""], resources: [nodes/metrics, nodes/stats], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects:
  - {kind: ServiceAccount, name: agent, namespace: monitoring}
"#,
    },
    run: Run::Cluster(run),
};

fn run(view: &ClusterView<'_>, out: &mut Reporter<'_>) {
    report_danger(view, out, Danger::NodesProxy);
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn a_rolebinding_cannot_reach_nodes() {
        let text = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-proxy}
rules:
  - {apiGroups: [""], resources: [nodes/proxy], verbs: [get, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ns-only, namespace: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-proxy}
subjects: [{kind: ServiceAccount, name: agent}]
"#;
        assert!(scan(&[("a.yaml", text)], "PAL-RBAC-010").is_empty());
    }
}
