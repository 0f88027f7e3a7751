//! PAL-K8S-020: no seccomp profile applies to a container.

use super::util::profiles::seccomp;
use super::util::{is_privileged, is_windows, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-020",
        name: "seccomp-profile-missing",
        title: "No seccomp profile",
        severity: Severity::Low,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "Kubernetes runs containers without any seccomp filter unless a profile is \
            requested or the kubelet was started with `--seccomp-default`, which is off by \
            default. The container can then call every system call the kernel offers, \
            including the rarely needed ones behind many kernel privilege escalations and \
            container escapes (Escape to Host). The runtime's default profile costs almost \
            nothing and blocks them.",
        remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod's \
            `securityContext` so every container inherits it, or `Localhost` with a profile \
            tailored to the application.",
        bad_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example.com/migrate:3.3.0
"#,
        good_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext:
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: migrate
          image: registry.example.com/migrate:3.3.0
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        // Privileged containers run without seccomp whatever is set (PAL-K8S-001).
        if is_privileged(&container) || seccomp(workload, &container).is_some() {
            continue;
        }
        out.report(
            nearest(&container.cursor, &["securityContext"]).spot(),
            format!(
                "no seccomp profile applies to {}: neither it nor the pod sets seccompProfile",
                container.label()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    #[test]
    fn any_profile_at_either_level_or_by_annotation_counts() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.seccomp.security.alpha.kubernetes.io/b: runtime/default
spec:
  containers:
    - {name: a, image: app:1, securityContext: {seccompProfile: {type: Localhost, localhostProfile: a.json}}}
    - {name: b, image: app:1}
    - {name: c, image: app:1, securityContext: {seccompProfile: {type: Unconfined}}}
    - {name: d, image: app:1, securityContext: {privileged: true}}
    - {name: e, image: app:1, securityContext: {runAsUser: 1000}}
"#;
        // `c` is PAL-K8S-019's, `d` PAL-K8S-001's; only `e` has nothing.
        assert_eq!(
            pointers(&CHECK, yaml),
            ["/spec/containers/4/securityContext"]
        );
    }
}
