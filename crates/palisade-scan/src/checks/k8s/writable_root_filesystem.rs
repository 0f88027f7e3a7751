//! PAL-K8S-018: a container can write to its own root filesystem.

use super::util::{at, is_windows, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-018",
        name: "writable-root-filesystem",
        title: "Container root filesystem is writable",
        severity: Severity::Low,
        techniques: &["T1496.001"],
        target: CheckTarget::Workload,
        rationale: "With a writable root filesystem an intruder can download and run whatever \
            they like inside the container: a cryptominer (Compute Hijacking), scanners, \
            shells, or a modified binary of the application itself that survives until the \
            container is recreated. A read-only root filesystem confines such payloads to the \
            scratch volumes the pod declares, which can be small and watched, and makes \
            tampering with the image's own files impossible.",
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` on each container and \
            mount an `emptyDir` where the application needs to write (`/tmp`, caches).",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
        - name: web
          image: registry.example.com/frontend:7.3.0
          securityContext:
            readOnlyRootFilesystem: false
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
        - name: web
          image: registry.example.com/frontend:7.3.0
          securityContext:
            readOnlyRootFilesystem: true
          volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes:
        - name: tmp
          emptyDir: {}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        match at(
            &container.cursor,
            &["securityContext", "readOnlyRootFilesystem"],
        ) {
            Some(flag) if flag.as_bool() == Some(true) => {}
            Some(flag) => out.report(
                flag.spot(),
                format!(
                    "{} sets readOnlyRootFilesystem to `{}`: its root filesystem is writable",
                    container.label(),
                    flag.text().unwrap_or("?")
                ),
            ),
            None => out.report(
                nearest(&container.cursor, &["securityContext"]).spot(),
                format!(
                    "{} does not set readOnlyRootFilesystem: true, so its root filesystem is \
                     writable",
                    container.label()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    #[test]
    fn only_a_true_boolean_on_the_container_counts() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {readOnlyRootFilesystem: true}   # not a pod-level field
  containers:
    - {name: a, image: app:1, securityContext: {readOnlyRootFilesystem: on}}
    - {name: b, image: app:1, securityContext: {readOnlyRootFilesystem: "true"}}
    - {name: c, image: app:1}
"#;
        assert_eq!(
            pointers(&CHECK, yaml),
            [
                "/spec/containers/1/securityContext/readOnlyRootFilesystem",
                "/spec/containers/2"
            ]
        );
    }
}
