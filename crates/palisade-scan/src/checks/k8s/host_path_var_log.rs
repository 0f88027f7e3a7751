//! PAL-K8S-015: a pod mounts the node's `/var/log` or something below it.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-015",
        name: "host-path-var-log",
        title: "Pod mounts the host's /var/log",
        severity: Severity::High,
        techniques: &["T1611", "T1070"],
        target: CheckTarget::Workload,
        rationale: "The kubelet serves container logs from `/var/log/pods` by following the \
            files it finds there. A pod that can write into the node's `/var/log` can replace \
            its own log file with a symlink to any host file, such as `/etc/shadow` or the \
            kubelet's key, and read it back with `kubectl logs` or through the kubelet API, \
            which runs as root on the node (Escape to Host). The same mount lets an intruder \
            delete or rewrite the node's logs and other pods' logs to cover their tracks \
            (Indicator Removal). Log shippers mount it routinely, which makes them attractive \
            targets.",
        remediation: "Log shippers should mount `/var/log/pods` (or `/var/log/containers`) \
            read-only and nothing else, run as a dedicated service account with no permission \
            to create pods, and be the only workloads allowed to do so. Applications should \
            write logs to stdout instead of a hostPath.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-shipper}
spec:
  selector: {matchLabels: {app: log-shipper}}
  template:
    metadata: {labels: {app: log-shipper}}
    spec:
      containers:
        - name: shipper
          image: fluent/fluent-bit:3.1.4
          volumeMounts: [{name: varlog, mountPath: /var/log}]
      volumes:
        - name: varlog
          hostPath: {path: /var/log}
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-shipper}
spec:
  selector: {matchLabels: {app: log-shipper}}
  template:
    metadata: {labels: {app: log-shipper}}
    spec:
      containers:
        - name: shipper
          image: fluent/fluent-bit:3.1.4
          volumeMounts: [{name: buffer, mountPath: /buffer}]
      volumes:
        - name: buffer
          emptyDir: {}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::Logs);
}
