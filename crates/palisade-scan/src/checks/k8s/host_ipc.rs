//! PAL-K8S-007: the pod shares the node's IPC namespace.

use super::util::report_pod_flag;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-007",
        name: "host-ipc",
        title: "Pod shares the host IPC namespace",
        severity: Severity::Medium,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "With `hostIPC: true` the containers share System V shared memory, semaphores \
            and message queues, and POSIX message queues, with every process on the node that \
            is not in its own IPC namespace. An attacker in the pod can read or corrupt the \
            shared memory of host daemons and other host-IPC pods, and it removes one more \
            boundary between the container and the node.",
        remediation: "Remove `hostIPC: true`. Containers of one pod already share an IPC \
            namespace, so the flag is rarely needed by anything but node-level agents.",
        bad_example: r#"apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      hostIPC: true
      containers:
        - name: cache
          image: registry.example.com/shm-cache:3.1.0
"#,
        good_example: r#"apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      hostIPC: false
      containers:
        - name: cache
          image: registry.example.com/shm-cache:3.1.0
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_pod_flag(
        workload,
        out,
        "hostIPC",
        "its containers share System V and POSIX IPC objects with the node's processes",
    );
}
