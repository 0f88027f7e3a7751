//! PAL-K8S-004: a container keeps the runtime's default capability set.

use super::util::{at, is_all, is_privileged, is_windows, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-004",
        name: "container-capabilities-not-dropped",
        title: "Container does not drop all capabilities",
        severity: Severity::Low,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "A container that does not drop `ALL` keeps the runtime's default \
            capabilities: `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `SETUID`, \
            `SETGID`, `SETPCAP`, `SETFCAP`, `NET_BIND_SERVICE`, `NET_RAW`, `SYS_CHROOT`, `MKNOD` \
            and `AUDIT_WRITE`. Most applications need none of them. Each one is extra surface for \
            an attacker who runs code in the container: it bypasses file permissions, switches \
            users, crafts raw packets, and several kernel and runtime escapes have needed exactly \
            one of these defaults to work.",
        remediation: "Add `ALL` to `securityContext.capabilities.drop` and add back only what the \
            process needs, typically nothing or `NET_BIND_SERVICE`.",
        bad_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          securityContext:
            capabilities:
              drop: [NET_RAW]
"#,
        good_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          securityContext:
            capabilities:
              drop: [ALL]
              add: [CHOWN, FOWNER, SETUID, SETGID]
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        if is_privileged(&container) {
            continue;
        }
        let drop = at(
            &container.cursor,
            &["securityContext", "capabilities", "drop"],
        );
        if drop.as_ref().is_some_and(|d| d.items().any(|i| is_all(&i))) {
            continue;
        }
        let at_node = nearest(
            &container.cursor,
            &["securityContext", "capabilities", "drop"],
        );
        out.report(
            at_node.spot(),
            format!(
                "{} does not drop ALL capabilities and keeps the runtime's default set",
                container.label()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    fn pod(security_context: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: c\n      image: app:1\n{security_context}"
        )
    }

    #[test]
    fn all_in_any_case_is_enough() {
        for drop in ["[ALL]", "[all]", "[NET_RAW, All]"] {
            let yaml = pod(&format!(
                "      securityContext:\n        capabilities:\n          drop: {drop}\n"
            ));
            assert!(pointers(&CHECK, &yaml).is_empty(), "{drop}");
        }
    }

    #[test]
    fn the_finding_points_at_the_deepest_existing_node() {
        assert_eq!(pointers(&CHECK, &pod("")), ["/spec/containers/0"]);
        assert_eq!(
            pointers(&CHECK, &pod("      securityContext: {}\n")),
            ["/spec/containers/0/securityContext"]
        );
        assert_eq!(
            pointers(
                &CHECK,
                &pod("      securityContext:\n        capabilities: {add: [CHOWN]}\n")
            ),
            ["/spec/containers/0/securityContext/capabilities"]
        );
        // An empty list drops nothing; `CAP_ALL` is not the keyword the runtimes recognise.
        for drop in ["[]", "[CAP_ALL]"] {
            let yaml = pod(&format!(
                "      securityContext:\n        capabilities:\n          drop: {drop}\n"
            ));
            assert_eq!(
                pointers(&CHECK, &yaml),
                ["/spec/containers/0/securityContext/capabilities/drop"],
                "{drop}"
            );
        }
    }
}
