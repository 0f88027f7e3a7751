//! PAL-K8S-023: a container sees the host kernel's `/proc` without the usual masks.

use super::util::{at, is_windows, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-023",
        name: "unmasked-proc-mount",
        title: "Unmasked /proc mount",
        severity: Severity::High,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "Runtimes mask or mount read-only the parts of a container's `/proc` that \
            reach into the host kernel: `/proc/sys`, `/proc/sysrq-trigger`, `/proc/kcore`, \
            `/proc/keys` and others. `procMount: Unmasked` removes those masks, so a process in \
            the container can read kernel memory and change kernel parameters such as \
            `core_pattern`, which makes the kernel run a program on the node (Escape to Host). \
            It is meant for nested container runtimes inside user namespaces only.",
        remediation: "Remove `procMount: Unmasked` (or set `Default`). If a nested runtime really \
            needs it, combine it with `hostUsers: false` so the container runs in its own user \
            namespace.",
        bad_example: r#"apiVersion: v1
kind: Pod
metadata: {name: builder}
spec:
  containers:
    - name: buildah
      image: quay.io/buildah/stable:v1.37
      securityContext:
        procMount: Unmasked
"#,
        good_example: r#"apiVersion: v1
kind: Pod
metadata: {name: builder}
spec:
  containers:
    - name: buildah
      image: quay.io/buildah/stable:v1.37
      securityContext:
        procMount: Default
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        if let Some(mount) = at(&container.cursor, &["securityContext", "procMount"])
            && text(&mount).is_some_and(|m| m.eq_ignore_ascii_case("Unmasked"))
        {
            out.report(
                mount.spot(),
                format!(
                    "{} mounts /proc unmasked: kernel interfaces under /proc are exposed",
                    container.label()
                ),
            );
        }
    }
}
