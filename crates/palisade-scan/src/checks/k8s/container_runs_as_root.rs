//! PAL-K8S-017: a container runs, or may run, as root.

use super::util::{Grouped, effective, is_windows, nearest, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-017",
        name: "container-runs-as-root",
        title: "Container runs as root",
        severity: Severity::Medium,
        techniques: &["T1611", "T1068"],
        target: CheckTarget::Workload,
        rationale: "A process running as UID 0 in the container is root on the node for every \
            resource the container can reach: files of hostPath and shared volumes, devices, and \
            the kernel's own checks that still compare UIDs. Most container escapes and many \
            kernel and runtime privilege-escalation bugs need root inside the container to \
            work, so running as root turns an application compromise into a likely node \
            compromise (Escape to Host, Exploitation for Privilege Escalation). When neither \
            `runAsUser` nor `runAsNonRoot: true` is set, the container runs as the image's \
            user, which is root for most public images.",
        remediation: "Set `runAsNonRoot: true` and a non-zero `runAsUser` (and `runAsGroup`) in \
            the pod's `securityContext` or the container's, and build images with a `USER` that \
            is not root.",
        bad_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: queue}
spec:
  serviceName: queue
  selector: {matchLabels: {app: queue}}
  template:
    metadata: {labels: {app: queue}}
    spec:
      securityContext:
        runAsUser: 0
      containers:
        - name: broker
          image: registry.example.com/broker:4.2.0
"#,
        good_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: queue}
spec:
  serviceName: queue
  selector: {matchLabels: {app: queue}}
  template:
    metadata: {labels: {app: queue}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
      containers:
        - name: broker
          image: registry.example.com/broker:4.2.0
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    let mut root = Grouped::default();
    for container in workload.containers() {
        let non_root = effective(workload, &container, &["runAsNonRoot"]);
        // With runAsNonRoot: true the kubelet refuses to start a container as UID 0.
        if non_root.as_ref().and_then(|c| c.as_bool()) == Some(true) {
            continue;
        }
        match effective(workload, &container, &["runAsUser"]) {
            Some(user) => {
                let uid = user
                    .node
                    .as_i64()
                    .or_else(|| text(&user).and_then(|t| t.parse().ok()));
                if uid == Some(0) {
                    root.add(user, container.label());
                }
            }
            None => {
                let why = match non_root {
                    Some(c) => format!("runAsNonRoot is `{}`", c.text().unwrap_or("?")),
                    None => "runAsNonRoot is not set".to_owned(),
                };
                out.report(
                    nearest(&container.cursor, &["securityContext"]).spot(),
                    format!(
                        "{} may run as root: runAsUser is unset and {why}, so it runs as the \
                         image's user",
                        container.label()
                    ),
                );
            }
        }
    }
    root.report(out, |_, who| format!("runAsUser 0 runs {who} as root"));
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn pod(pod_sc: &str, app_sc: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  securityContext: {pod_sc}\n  initContainers:\n    - {{name: init, image: app:1}}\n  containers:\n    - name: app\n      image: app:1\n      securityContext: {app_sc}\n"
        )
    }

    #[test]
    fn a_pod_level_uid_0_is_reported_once_for_every_container_inheriting_it() {
        let found = findings(&CHECK, &pod("{runAsUser: 0}", "{}"));
        assert_eq!(
            found,
            [(
                "/spec/securityContext/runAsUser".to_owned(),
                "runAsUser 0 runs container `app` and init container `init` as root".to_owned()
            )]
        );
    }

    #[test]
    fn the_container_value_wins_over_the_pod_value() {
        let found = findings(&CHECK, &pod("{runAsUser: 0}", "{runAsUser: 1000}"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.contains("init container `init` as root"),
            "{found:?}"
        );
        let found = findings(&CHECK, &pod("{runAsUser: 1000}", "{runAsUser: 0}"));
        assert_eq!(found[0].0, "/spec/containers/0/securityContext/runAsUser");
        // A null at container level does not hide the pod's value.
        let found = findings(&CHECK, &pod("{runAsUser: 1000}", "{runAsUser: null}"));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn run_as_non_root_covers_an_unset_uid_in_any_yaml_1_1_spelling() {
        for spelling in ["true", "yes", "on", "Y"] {
            let yaml = pod(&format!("{{runAsNonRoot: {spelling}}}"), "{}");
            assert!(findings(&CHECK, &yaml).is_empty(), "{spelling}");
        }
        let found = findings(
            &CHECK,
            &pod("{runAsNonRoot: true}", "{runAsNonRoot: false}"),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "/spec/containers/0/securityContext");
        assert!(found[0].1.contains("runAsNonRoot is `false`"), "{found:?}");
    }

    #[test]
    fn unset_everywhere_is_reported_per_container() {
        let found = findings(&CHECK, &pod("{}", "{}"));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/spec/initContainers/0",
                "/spec/containers/0/securityContext"
            ]
        );
    }
}
