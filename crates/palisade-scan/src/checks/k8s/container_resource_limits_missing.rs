//! PAL-K8S-034: a container has no CPU or memory limit.

use super::util::{at, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::{ContainerKind, Workload};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-034",
        name: "container-resource-limits-missing",
        title: "CPU or memory limit missing",
        severity: Severity::Low,
        techniques: &["T1496.001", "T1499"],
        target: CheckTarget::Workload,
        rationale: "A container without a CPU limit can use every idle core of its node, and one \
            without a memory limit can grow until the kernel starts killing processes, \
            possibly other pods' or node daemons'. A compromised workload then mines \
            cryptocurrency at full speed with nothing to slow it down (Compute Hijacking), and \
            a bug or a flood of requests in one pod degrades its neighbours (Endpoint Denial \
            of Service). Limits also make abuse visible: throttling and OOM kills show up in \
            metrics.",
        remediation: "Set `resources.limits.memory` (and `requests.memory` to a realistic value) \
            on every container and init container, and `resources.limits.cpu` unless you \
            deliberately rely on CPU requests and quotas alone. A LimitRange can provide \
            namespace defaults.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.example.com/worker:6.1.0
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {memory: 512Mi}
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.example.com/worker:6.1.0
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {cpu: "1", memory: 512Mi}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        // Ephemeral containers cannot have resources.
        if container.kind == ContainerKind::Ephemeral {
            continue;
        }
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|resource| {
                // A pod-level limit (`spec.resources`, PodLevelResources) bounds every container.
                at(&container.cursor, &["resources", "limits", resource]).is_none()
                    && at(&workload.pod_spec, &["resources", "limits", resource]).is_none()
            })
            .collect();
        let what = match missing.as_slice() {
            [] => continue,
            [one] => format!("no {} limit", if *one == "cpu" { "CPU" } else { "memory" }),
            _ => "no CPU or memory limit".to_owned(),
        };
        out.report(
            nearest(&container.cursor, &["resources", "limits"]).spot(),
            format!("{} has {what}", container.label()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn names_what_is_missing_and_honours_pod_level_limits() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - {name: init, image: app:1}
  containers:
    - {name: a, image: app:1, resources: {limits: {memory: 1Gi}}}
    - {name: b, image: app:1, resources: {requests: {cpu: "1"}}}
    - {name: c, image: app:1, resources: {limits: {cpu: "1", memory: 1Gi}}}
  ephemeralContainers:
    - {name: debug, image: busybox:1.36}
"#;
        assert_eq!(
            findings(&CHECK, yaml),
            [
                (
                    "/spec/initContainers/0".to_owned(),
                    "init container `init` has no CPU or memory limit".to_owned()
                ),
                (
                    "/spec/containers/0/resources/limits".to_owned(),
                    "container `a` has no CPU limit".to_owned()
                ),
                (
                    "/spec/containers/1/resources".to_owned(),
                    "container `b` has no CPU or memory limit".to_owned()
                ),
            ]
        );
        let pod_level = yaml.replace(
            "spec:\n  initContainers",
            "spec:\n  resources: {limits: {cpu: \"2\"}}\n  initContainers",
        );
        let found = findings(&CHECK, &pod_level);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|(_, m)| m.ends_with("no memory limit")),
            "{found:?}"
        );
    }
}
