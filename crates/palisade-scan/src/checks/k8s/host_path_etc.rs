//! PAL-K8S-014: a pod mounts the node's `/etc` or something below it.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-014",
        name: "host-path-etc",
        title: "Pod mounts the host's /etc",
        severity: Severity::High,
        techniques: &["T1552.001", "T1611"],
        target: CheckTarget::Workload,
        rationale: "The node's `/etc` holds credentials in plain files: `/etc/shadow`, SSH host \
            keys, and under `/etc/kubernetes` the kubelet's kubeconfig and, on control-plane \
            nodes, the cluster CA keys and admin kubeconfigs (Credentials In Files). Writable, \
            it also holds what the node runs as root: cron jobs, systemd units, the sudoers \
            file and static pod manifests, each a way onto the host (Escape to Host). Mounts of \
            public, harmless files (`/etc/localtime`, `/etc/timezone`, the CA bundles in \
            `/etc/ssl/certs`) are left to PAL-K8S-010.",
        remediation: "Remove the volume; deliver configuration with a ConfigMap or Secret. If a \
            node agent needs one host file, mount that single file read-only.",
        bad_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: audit}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: audit
          image: registry.example.com/node-audit:2.0.0
          volumeMounts: [{name: k8s-config, mountPath: /host/etc/kubernetes, readOnly: true}]
      volumes:
        - name: k8s-config
          hostPath: {path: /etc/kubernetes}
"#,
        good_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: audit}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: audit
          image: registry.example.com/node-audit:2.0.0
          volumeMounts: [{name: tz, mountPath: /etc/localtime, readOnly: true}]
      volumes:
        - name: tz
          hostPath: {path: /etc/localtime, type: File}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::HostConfig);
}
