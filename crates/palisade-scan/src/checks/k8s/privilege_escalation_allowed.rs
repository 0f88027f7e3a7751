//! PAL-K8S-002: a container may gain privileges through setuid binaries or file capabilities.

use super::util::{at, is_privileged, is_windows, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-002",
        name: "privilege-escalation-allowed",
        title: "Container allows privilege escalation",
        severity: Severity::Medium,
        techniques: &["T1068", "T1611"],
        target: CheckTarget::Workload,
        rationale: "Unless `allowPrivilegeEscalation` is `false`, the container's processes run \
            without the kernel's `no_new_privs` flag, so executing a setuid-root binary or a file \
            with capabilities gives the caller more privileges than it started with. An \
            attacker who lands as an unprivileged user in the container can then climb to root \
            through a setuid helper or a local kernel or sudo bug (Exploitation for Privilege \
            Escalation), the usual first step before trying to leave the container. Kubernetes \
            defaults the field to `true`.",
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container, \
            init container and ephemeral container. It cannot be combined with `privileged: true` \
            or an added `SYS_ADMIN` capability, which imply escalation anyway.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:2.4.1
          securityContext:
            runAsNonRoot: true
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:2.4.1
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        // A privileged container escalates whatever this field says; PAL-K8S-001 reports it.
        if is_privileged(&container) {
            continue;
        }
        match at(
            &container.cursor,
            &["securityContext", "allowPrivilegeEscalation"],
        ) {
            Some(flag) if flag.as_bool() == Some(false) => {}
            Some(flag) => out.report(
                flag.spot(),
                format!(
                    "{} sets allowPrivilegeEscalation to `{}`, so setuid binaries and file \
                     capabilities can raise its privileges",
                    container.label(),
                    flag.text().unwrap_or("?")
                ),
            ),
            None => out.report(
                nearest(&container.cursor, &["securityContext"]).spot(),
                format!(
                    "{} does not set allowPrivilegeEscalation: false (it defaults to true)",
                    container.label()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::{findings, pointers};

    fn pod(container_fields: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: app\n      image: app:1\n{container_fields}"
        )
    }

    #[test]
    fn yaml_1_1_false_spellings_count_as_false() {
        for spelling in ["false", "no", "off", "False", "NO", "Off", "n"] {
            let yaml = pod(&format!(
                "      securityContext:\n        allowPrivilegeEscalation: {spelling}\n"
            ));
            assert!(pointers(&CHECK, &yaml).is_empty(), "{spelling}");
        }
    }

    #[test]
    fn true_or_a_quoted_string_is_reported_at_the_field() {
        for spelling in ["true", "yes", "on", "\"false\""] {
            let yaml = pod(&format!(
                "      securityContext:\n        allowPrivilegeEscalation: {spelling}\n"
            ));
            assert_eq!(
                pointers(&CHECK, &yaml),
                ["/spec/containers/0/securityContext/allowPrivilegeEscalation"],
                "{spelling}"
            );
        }
    }

    #[test]
    fn missing_is_reported_at_the_security_context_or_the_container() {
        assert_eq!(pointers(&CHECK, &pod("")), ["/spec/containers/0"]);
        assert_eq!(
            pointers(&CHECK, &pod("      securityContext: {runAsUser: 1000}\n")),
            ["/spec/containers/0/securityContext"]
        );
        let (_, message) = &findings(&CHECK, &pod(""))[0];
        assert_eq!(
            message,
            "container `app` does not set allowPrivilegeEscalation: false (it defaults to true)"
        );
    }

    #[test]
    fn the_pod_security_context_does_not_cover_it() {
        // `allowPrivilegeEscalation` only exists on containers.
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n    allowPrivilegeEscalation: false\n  containers:\n    - {name: app, image: app:1}\n";
        assert_eq!(pointers(&CHECK, yaml), ["/spec/containers/0"]);
    }

    #[test]
    fn init_and_ephemeral_containers_are_checked_and_privileged_ones_skipped() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - {name: setup, image: busybox:1.36}
  containers:
    - name: app
      image: app:1
      securityContext: {allowPrivilegeEscalation: false}
    - name: root
      image: app:1
      securityContext: {privileged: true}
  ephemeralContainers:
    - {name: debug, image: busybox:1.36}
"#;
        let found = findings(&CHECK, yaml);
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            ["/spec/initContainers/0", "/spec/ephemeralContainers/0"]
        );
        assert!(found[0].1.starts_with("init container `setup`"));
        assert!(found[1].1.starts_with("ephemeral container `debug`"));
    }

    #[test]
    fn windows_pods_are_skipped() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  os: {name: windows}\n  containers:\n    - {name: app, image: app:1}\n";
        assert!(pointers(&CHECK, yaml).is_empty());
    }
}
