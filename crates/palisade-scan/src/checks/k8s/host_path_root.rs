//! PAL-K8S-011: a pod mounts the node's root filesystem.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-011",
        name: "host-path-root",
        title: "Pod mounts the host's root filesystem",
        severity: Severity::Critical,
        techniques: &["T1611", "T1543"],
        target: CheckTarget::Workload,
        rationale: "A `hostPath` of `/` gives the container the whole node: the kubelet's \
            credentials, every pod's secrets and tokens, runtime sockets and `/etc/shadow`. \
            With a writable mount, `chroot` into it, adding a systemd unit or cron job, or \
            replacing a binary the node runs is code execution as root on the host (Escape to \
            Host, Create or Modify System Process); even read-only it exposes every credential \
            on the node.",
        remediation: "Remove the volume. Mount only the specific path the workload needs, \
            read-only, or better a ConfigMap, Secret, `emptyDir` or PersistentVolumeClaim.",
        bad_example: r#"apiVersion: v1
kind: Pod
metadata: {name: rescue}
spec:
  containers:
    - name: shell
      image: busybox:1.36
      command: [sleep, "3600"]
      volumeMounts: [{name: host, mountPath: /host}]
  volumes:
    - name: host
      hostPath: {path: /}
"#,
        good_example: r#"apiVersion: v1
kind: Pod
metadata: {name: rescue}
spec:
  containers:
    - name: shell
      image: busybox:1.36
      command: [sleep, "3600"]
      volumeMounts: [{name: work, mountPath: /work}]
  volumes:
    - name: work
      emptyDir: {}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::Root);
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn spellings_of_the_root_are_normalised_but_an_empty_path_is_not_the_root() {
        for (path, expected) in [
            ("/", 1),
            ("//", 1),
            ("/./", 1),
            ("/etc/..", 1),
            ("", 0),
            ("/x", 0),
        ] {
            let yaml = format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: c, image: app:1}}]\n  volumes: [{{name: h, hostPath: {{path: \"{path}\"}}}}]\n"
            );
            assert_eq!(findings(&CHECK, &yaml).len(), expected, "{path:?}");
        }
    }
}
