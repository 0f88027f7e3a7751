//! PAL-K8S-006: the pod shares the node's process namespace.

use super::util::report_pod_flag;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-006",
        name: "host-pid",
        title: "Pod shares the host PID namespace",
        severity: Severity::High,
        techniques: &["T1611", "T1552"],
        target: CheckTarget::Workload,
        rationale: "With `hostPID: true` the containers see every process of the node, those of \
            other pods and of the kubelet included. They can read `/proc/<pid>/environ` and \
            command lines, which routinely carry passwords and tokens (Unsecured Credentials), \
            and a root process there can signal any of them. Combined with root or \
            `SYS_PTRACE`, `nsenter --target 1` or ptrace injection into a host process puts \
            the attacker on the node (Escape to Host).",
        remediation: "Remove `hostPID: true`. Process-inspection agents that need it belong in a \
            dedicated, admission-controlled namespace; to share processes between the \
            containers of one pod use `shareProcessNamespace: true` instead.",
        bad_example: r#"apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  hostPID: yes   # YAML 1.1: true
  containers:
    - name: shell
      image: busybox:1.36
      command: [sleep, "3600"]
"#,
        good_example: r#"apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  shareProcessNamespace: true
  containers:
    - name: shell
      image: busybox:1.36
      command: [sleep, "3600"]
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_pod_flag(
        workload,
        out,
        "hostPID",
        "its containers see every process of the node and can read their environment",
    );
}
