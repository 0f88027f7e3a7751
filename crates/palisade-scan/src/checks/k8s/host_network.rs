//! PAL-K8S-008: the pod uses the node's network namespace.

use super::util::report_pod_flag;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-008",
        name: "host-network",
        title: "Pod uses the host network",
        severity: Severity::High,
        techniques: &["T1046", "T1611"],
        target: CheckTarget::Workload,
        rationale: "With `hostNetwork: true` the pod sits on the node's own interfaces. It \
            reaches every service bound to the node's loopback or private addresses (the \
            kubelet API, etcd and the control-plane components on control-plane nodes, local \
            daemons, the cloud metadata endpoint), which makes discovering and attacking them \
            trivial (Network Service Discovery), and it can sniff the node's traffic with \
            `NET_RAW`. NetworkPolicies no longer apply to it. Abstract Unix sockets live in the \
            network namespace too, which is how the containerd-shim API was reachable from \
            host-network containers (CVE-2020-15257, Escape to Host).",
        remediation: "Remove `hostNetwork: true` and expose the workload through a Service. \
            Network plugins and node agents that truly need it should run in a dedicated, \
            admission-controlled namespace.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: exporter}
spec:
  selector: {matchLabels: {app: exporter}}
  template:
    metadata: {labels: {app: exporter}}
    spec:
      hostNetwork: true
      containers:
        - name: exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: exporter}
spec:
  selector: {matchLabels: {app: exporter}}
  template:
    metadata: {labels: {app: exporter}}
    spec:
      containers:
        - name: exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
          ports: [{containerPort: 9100}]
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_pod_flag(
        workload,
        out,
        "hostNetwork",
        "it uses the node's network namespace and reaches services bound to the node",
    );
}
