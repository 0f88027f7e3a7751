//! PAL-K8S-010: a pod mounts a path of the node (one not covered by PAL-K8S-011 to 016).

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-010",
        name: "host-path-volume",
        title: "Pod mounts a host path",
        severity: Severity::Medium,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "A `hostPath` volume hands the container a piece of the node's filesystem, \
            outside anything Kubernetes isolates or accounts for. Whatever lives there (other \
            workloads' data, binaries and plugins the node executes, such as CNI plugins in \
            `/opt/cni/bin`) can be read and, unless every mount is read-only, replaced, and \
            symlinks created inside it resolve on the host side for some host tools. It is the \
            usual foothold for moving from a container onto the node (Escape to Host). Paths \
            with a well-known worse effect (`/`, runtime sockets, `/proc`, `/sys`, `/dev`, \
            `/etc`, `/var/log`, kubelet and runtime state, home directories) are reported by \
            PAL-K8S-011 to PAL-K8S-016 instead.",
        remediation: "Replace the hostPath with an `emptyDir`, a ConfigMap or Secret, or a \
            PersistentVolumeClaim. If node access is unavoidable, mount the narrowest path, set \
            `readOnly: true` on every mount, and restrict hostPath use with admission policy.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: uploader}
spec:
  selector: {matchLabels: {app: uploader}}
  template:
    metadata: {labels: {app: uploader}}
    spec:
      containers:
        - name: uploader
          image: registry.example.com/uploader:5.0.2
          volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes:
        - name: scratch
          hostPath: {path: /mnt/data, type: DirectoryOrCreate}
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: uploader}
spec:
  selector: {matchLabels: {app: uploader}}
  template:
    metadata: {labels: {app: uploader}}
    spec:
      containers:
        - name: uploader
          image: registry.example.com/uploader:5.0.2
          volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes:
        - name: scratch
          emptyDir: {sizeLimit: 1Gi}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::Other);
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn pod(path: &str, mounts: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: app\n      image: app:1\n      volumeMounts: {mounts}\n  volumes:\n    - name: host\n      hostPath: {{path: \"{path}\"}}\n"
        )
    }

    #[test]
    fn messages_say_who_mounts_it_and_how() {
        let found = findings(
            &CHECK,
            &pod("/data//x/", "[{name: host, mountPath: /d, readOnly: true}]"),
        );
        assert_eq!(
            found,
            [(
                "/spec/volumes/0/hostPath/path".to_owned(),
                "hostPath volume `host` (`/data/x`) is mounted by container `app`, giving direct access to the node's filesystem; every mount is read-only".to_owned()
            )]
        );
        let found = findings(&CHECK, &pod("/data", "[]"));
        assert!(
            found[0]
                .1
                .contains("is declared but no container mounts it yet"),
            "{found:?}"
        );
        let found = findings(
            &CHECK,
            &pod(
                "/data",
                "[{name: host, mountPath: /a, readOnly: true}, {name: host, mountPath: /b}]",
            ),
        );
        assert!(!found[0].1.contains("read-only"), "{found:?}");
    }

    #[test]
    fn sensitive_and_empty_paths_are_left_to_other_checks() {
        for path in [
            "/",
            "/etc",
            "/var/run/docker.sock",
            "/proc",
            "/var/log",
            "/home",
            "",
        ] {
            assert!(findings(&CHECK, &pod(path, "[]")).is_empty(), "{path}");
        }
        for path in [
            "/etc/localtime",
            "/var/lib/kubelet/device-plugins",
            "/run/xtables.lock",
        ] {
            assert_eq!(findings(&CHECK, &pod(path, "[]")).len(), 1, "{path}");
        }
    }
}
