//! PAL-K8S-001: a container runs privileged.

use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-001",
        name: "privileged-container",
        title: "Privileged container",
        severity: Severity::Critical,
        techniques: &["T1611", "T1610"],
        target: CheckTarget::Workload,
        rationale: "A privileged container gets every Linux capability and all host devices, and \
            runs without seccomp or AppArmor confinement. Mounting the host disk, loading a \
            kernel module or writing a cgroup `release_agent` is then enough to run code on the \
            node (Escape to Host), and an attacker who can deploy one has the node.",
        remediation: "Remove `securityContext.privileged: true`; grant only the specific \
            capabilities the container needs with `capabilities.add`.",
        bad_example: r#"apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: on   # go-yaml v2 reads `on` as true
"#,
        good_example: r#"apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: false
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        if let Some(flag) = container
            .cursor
            .get_path(&["securityContext", "privileged"])
            && flag.as_bool() == Some(true)
        {
            out.report(
                flag.spot(),
                format!("{} runs privileged", container.label()),
            );
        }
    }
}
