//! PAL-K8S-012: a pod mounts the socket (or the directory of the socket) of a container
//! runtime.

use super::util::host_paths::{HostPathClass, report_host_paths};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-012",
        name: "container-runtime-socket-mount",
        title: "Pod mounts a container runtime socket",
        severity: Severity::Critical,
        techniques: &["T1611", "T1610", "T1609", "T1552.007"],
        target: CheckTarget::Workload,
        rationale: "The API socket of Docker, containerd, CRI-O or Podman is root on the node by \
            another name. A process that can connect to it starts a privileged container with \
            the host filesystem mounted (Deploy Container, Escape to Host), runs commands in \
            any other container on the node (Container Administration Command), and reads the \
            environment and mounted secrets of all of them (Container API). Mounting the \
            directory that holds the socket (`/run`, `/var/run`, `/run/containerd`...) is the \
            same thing, and so is a read-only mount: connecting to a socket is not a write. \
            Windows pods reach the runtime through named pipes such as \
            `\\\\.\\pipe\\docker_engine`, which are reported too.",
        remediation: "Remove the volume. Build images with a daemonless builder (BuildKit \
            rootless, Kaniko, Buildah) instead of the node's daemon; monitoring agents should \
            use the kubelet's or the runtime's read-only metrics endpoints, or run in a \
            dedicated, admission-controlled namespace if the socket is unavoidable.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ci-builder}
spec:
  selector: {matchLabels: {app: ci-builder}}
  template:
    metadata: {labels: {app: ci-builder}}
    spec:
      containers:
        - name: docker
          image: docker:27.1-cli
          volumeMounts: [{name: sock, mountPath: /var/run/docker.sock, readOnly: true}]
      volumes:
        - name: sock
          hostPath: {path: /var/run/docker.sock, type: Socket}
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ci-builder}
spec:
  selector: {matchLabels: {app: ci-builder}}
  template:
    metadata: {labels: {app: ci-builder}}
    spec:
      containers:
        - name: buildkit
          image: moby/buildkit:v0.15.2-rootless
          volumeMounts: [{name: cache, mountPath: /home/user/.local/share/buildkit}]
      volumes:
        - name: cache
          emptyDir: {}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_host_paths(workload, out, HostPathClass::RuntimeSocket);
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn pod(path: &str, read_only: bool) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: c\n      image: app:1\n      volumeMounts: [{{name: s, mountPath: /s, readOnly: {read_only}}}]\n  volumes:\n    - name: s\n      hostPath: {{path: '{path}'}}\n"
        )
    }

    #[test]
    fn the_runtime_is_named() {
        let cases = [
            ("/var/run/docker.sock", "the Docker Engine API socket"),
            (
                "/run/containerd/containerd.sock",
                "the containerd API socket",
            ),
            ("/var/run/crio/crio.sock", "the CRI-O API socket"),
            ("/run/podman/podman.sock", "the Podman API socket"),
            ("/var/run/cri-dockerd.sock", "the cri-dockerd socket"),
            (
                "/run/crio",
                "it holds the CRI-O API socket (`/run/crio/crio.sock`)",
            ),
            (
                "/var/run",
                "Docker, containerd, CRI-O, Podman, cri-dockerd and dockershim",
            ),
            (
                r"\\.\pipe\docker_engine",
                "the Docker Engine API named pipe",
            ),
        ];
        for (path, expected) in cases {
            let found = findings(&CHECK, &pod(path, false));
            assert_eq!(found.len(), 1, "{path}");
            assert!(found[0].1.contains(expected), "{path}: {}", found[0].1);
        }
    }

    #[test]
    fn read_only_is_no_protection_and_says_so() {
        let found = findings(&CHECK, &pod("/run/docker.sock", true));
        assert!(
            found[0].1.ends_with(
                "every mount is read-only, which does not stop a client from using a socket"
            ),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn other_run_paths_and_var_are_not_runtime_sockets() {
        for path in [
            "/run/xtables.lock",
            "/var",
            "/var/run/secrets",
            "/run/docker",
        ] {
            assert!(findings(&CHECK, &pod(path, false)).is_empty(), "{path}");
        }
    }
}
