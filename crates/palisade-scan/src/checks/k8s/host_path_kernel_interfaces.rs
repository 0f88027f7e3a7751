//! PAL-K8S-013: a pod mounts `/proc`, `/sys`, `/dev`, `/boot` or the kernel modules of the
//! node.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-013",
        name: "host-path-kernel-interfaces",
        title: "Pod mounts a host kernel interface",
        severity: Severity::High,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "The node's `/proc`, `/sys`, `/dev`, `/boot` and `/lib/modules` are interfaces \
            to its kernel rather than ordinary files. Writing `/proc/sys/kernel/core_pattern` or \
            a cgroup v1 `release_agent` makes the kernel run a program of the attacker's choice \
            on the host; `/proc/<pid>` of host processes leaks their memory, environment and \
            open files; `/dev` exposes raw disks; a planted module or kernel image under \
            `/lib/modules` or `/boot` runs at the next load or boot. Each is a documented route \
            from a container to the node (Escape to Host), and even read-only mounts leak data \
            that eases it.",
        remediation: "Remove the volume. Metrics agents can read most of what they need from the \
            container's own `/proc` and `/sys` or from the kubelet; for a device use a device \
            plugin; if a node agent really needs the host's view, mount the narrowest subpath \
            read-only and run it in a dedicated, admission-controlled namespace.",
        bad_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: tuner}
spec:
  serviceName: tuner
  selector: {matchLabels: {app: tuner}}
  template:
    metadata: {labels: {app: tuner}}
    spec:
      containers:
        - name: tuner
          image: registry.example.com/tuner:0.9.1
          volumeMounts: [{name: host-proc, mountPath: /host/proc}]
      volumes:
        - name: host-proc
          hostPath: {path: /proc}
"#,
        good_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: tuner}
spec:
  serviceName: tuner
  selector: {matchLabels: {app: tuner}}
  template:
    metadata: {labels: {app: tuner}}
    spec:
      containers:
        - name: tuner
          image: registry.example.com/tuner:0.9.1
          volumeMounts: [{name: config, mountPath: /etc/tuner}]
      volumes:
        - name: config
          configMap: {name: tuner-config}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::KernelInterface);
}
