//! PAL-K8S-016: a pod mounts kubelet or container-runtime state, etcd data or home
//! directories of the node.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-016",
        name: "host-path-credentials",
        title: "Pod mounts host credentials or runtime state",
        severity: Severity::High,
        techniques: &["T1552.001", "T1528"],
        target: CheckTarget::Workload,
        rationale: "Some node directories are credential stores in all but name. \
            `/var/lib/kubelet` holds the projected service-account tokens and Secret volumes of \
            every pod on the node, plus the kubelet's client certificate; `/var/lib/etcd` is \
            the cluster's whole database; `/var/lib/docker`, `/var/lib/containerd` and \
            `/var/lib/containers` hold every container's filesystem; `/var/lib/rancher` and \
            `/var/lib/k0s` hold distribution tokens and keys; `/root` and `/home` hold SSH keys, \
            kubeconfigs and cloud CLI credentials; `/var/lib/cloud` keeps instance user data. A \
            pod that mounts them can lift other workloads' tokens and act as them (Credentials \
            In Files, Steal Application Access Token). Parents such as `/var` and `/var/lib` \
            count too; the kubelet's plugin registration directories are left to PAL-K8S-010.",
        remediation: "Remove the volume. Workloads should receive their own credentials through \
            their service account and Secrets, never read another workload's. CSI and device \
            plugins should mount only their own directory under `/var/lib/kubelet/plugins`.",
        bad_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/cleanup:1.2.0
              volumeMounts: [{name: kubelet, mountPath: /var/lib/kubelet}]
          volumes:
            - name: kubelet
              hostPath: {path: /var/lib/kubelet}
"#,
        good_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/cleanup:1.2.0
              volumeMounts: [{name: data, mountPath: /data}]
          volumes:
            - name: data
              persistentVolumeClaim: {claimName: cleanup-data}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::Credentials);
}
