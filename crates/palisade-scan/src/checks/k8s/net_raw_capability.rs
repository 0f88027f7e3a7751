//! PAL-K8S-005: a container can open raw sockets.

use super::util::{at, capabilities, is_all, is_privileged, is_windows, nearest};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-005",
        name: "net-raw-capability",
        title: "Container keeps the NET_RAW capability",
        severity: Severity::Low,
        techniques: &["T1046"],
        target: CheckTarget::Workload,
        rationale: "`NET_RAW` lets a process open raw and packet sockets: craft arbitrary \
            packets, sweep the pod network with ICMP and SYN scans below the application layer, \
            and spoof ARP or DNS answers to neighbouring pods on bridge-based networks. Runtimes \
            grant it by default (it exists so that `ping` works), so a container keeps it unless \
            it drops it. Several kernel vulnerabilities reachable from containers also needed \
            raw sockets.",
        remediation: "Drop it: `securityContext.capabilities.drop: [ALL]` (or at least \
            `[NET_RAW]`), and do not add it back. Modern `ping` works without it through \
            `net.ipv4.ping_group_range`, a safe sysctl.",
        bad_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: probe}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: probe
          image: registry.example.com/netcheck:0.3.0
          securityContext:
            capabilities:
              add: [NET_RAW]
"#,
        good_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: probe}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: probe
          image: registry.example.com/netcheck:0.3.0
          securityContext:
            capabilities:
              drop: [NET_RAW]
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
        let added = capabilities(&container, "add");
        // `add: [ALL]` includes NET_RAW; PAL-K8S-003 reports it.
        if added.iter().any(|(item, _)| is_all(item)) {
            continue;
        }
        if let Some((item, _)) = added.iter().find(|(_, name)| name == "NET_RAW") {
            out.report(
                item.spot(),
                format!(
                    "{} adds capability NET_RAW (raw sockets)",
                    container.label()
                ),
            );
            continue;
        }
        let dropped = at(
            &container.cursor,
            &["securityContext", "capabilities", "drop"],
        )
        .is_some_and(|d| d.items().any(|i| is_all(&i)))
            || capabilities(&container, "drop")
                .iter()
                .any(|(_, name)| name == "NET_RAW");
        if !dropped {
            out.report(
                nearest(
                    &container.cursor,
                    &["securityContext", "capabilities", "drop"],
                )
                .spot(),
                format!(
                    "{} keeps NET_RAW: it drops neither ALL nor NET_RAW, and the runtime grants \
                     it by default",
                    container.label()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    fn pod(capabilities: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  initContainers:\n    - name: c\n      image: app:1\n      securityContext:\n        capabilities: {capabilities}\n"
        )
    }

    #[test]
    fn dropping_all_or_net_raw_is_enough() {
        for caps in [
            "{drop: [ALL]}",
            "{drop: [net_raw]}",
            "{drop: [CAP_NET_RAW]}",
        ] {
            assert!(pointers(&CHECK, &pod(caps)).is_empty(), "{caps}");
        }
    }

    #[test]
    fn adding_it_back_is_reported_at_the_item() {
        assert_eq!(
            pointers(&CHECK, &pod("{drop: [ALL], add: [CHOWN, cap_net_raw]}")),
            ["/spec/initContainers/0/securityContext/capabilities/add/1"]
        );
    }

    #[test]
    fn keeping_the_default_is_reported() {
        assert_eq!(
            pointers(&CHECK, &pod("{drop: []}")),
            ["/spec/initContainers/0/securityContext/capabilities/drop"]
        );
        assert_eq!(
            pointers(&CHECK, &pod("{add: [CHOWN]}")),
            ["/spec/initContainers/0/securityContext/capabilities"]
        );
    }

    #[test]
    fn add_all_is_left_to_pal_k8s_003() {
        assert!(pointers(&CHECK, &pod("{add: [ALL]}")).is_empty());
    }
}
