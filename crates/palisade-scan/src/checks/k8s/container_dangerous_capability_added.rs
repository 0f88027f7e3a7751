//! PAL-K8S-003: a container adds a Linux capability that opens a way out of the container.

use super::util::{capabilities, is_privileged, is_windows};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-003",
        name: "container-dangerous-capability-added",
        title: "Container adds a dangerous capability",
        severity: Severity::High,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "Capabilities split root's power into pieces, and some pieces are enough to \
            leave the container on their own: `SYS_ADMIN` mounts filesystems and reaches the \
            cgroup `release_agent`, `SYS_MODULE` loads code into the host kernel, `SYS_PTRACE` \
            injects into other processes, `DAC_READ_SEARCH` opens host files by handle (the \
            \"Shocker\" escape), `BPF` and `PERFMON` observe and hook the whole node, \
            `SYS_RAWIO` and `SYS_BOOT` touch hardware and the running kernel, `NET_ADMIN` \
            rewires the network, `MAC_ADMIN`/`MAC_OVERRIDE` undo AppArmor or SELinux, and `ALL` \
            grants everything. An attacker who gets code execution in such a container has a \
            short, well-documented path to the node (Escape to Host). Capabilities the \
            runtimes grant by default and the Pod Security Standards' Baseline profile allows \
            (`CHOWN`, `DAC_OVERRIDE`, `SYS_CHROOT`, `NET_BIND_SERVICE`...) are not reported.",
        remediation: "Remove the capability from `securityContext.capabilities.add`. If the \
            workload really needs it (a CNI plugin needs `NET_ADMIN`, a tracing agent `BPF` and \
            `PERFMON`), run it in a dedicated, tightly controlled namespace and prefer the \
            narrowest capability over `SYS_ADMIN` or `ALL`.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      containers:
        - name: agent
          image: registry.example.com/node-agent:1.8.0
          securityContext:
            capabilities:
              drop: [ALL]
              add: [cap_sys_admin, NET_BIND_SERVICE]
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      containers:
        - name: agent
          image: registry.example.com/node-agent:1.8.0
          securityContext:
            capabilities:
              drop: [ALL]
              add: [NET_BIND_SERVICE]
"#,
    },
    run: Run::Workload(run),
};

/// Capabilities reported, with what each one allows. `SYS_CHROOT` and `DAC_OVERRIDE` are
/// left out on purpose: both are in the default set of containerd, CRI-O and Docker and in
/// the Baseline allow-list, so adding them explicitly changes nothing for a root container.
const DANGEROUS: &[(&str, &str)] = &[
    (
        "ALL",
        "every capability, which leaves little between the container and the node",
    ),
    (
        "SYS_ADMIN",
        "mounting filesystems, cgroup `release_agent` and namespace operations, the classic \
         container escape",
    ),
    (
        "SYS_MODULE",
        "loading kernel modules, i.e. running code in the host kernel",
    ),
    (
        "SYS_PTRACE",
        "tracing and injecting code into other processes (the node's too, with hostPID)",
    ),
    (
        "SYS_RAWIO",
        "raw I/O port and memory access to the hardware",
    ),
    (
        "SYS_BOOT",
        "rebooting the node or loading a new kernel with kexec",
    ),
    (
        "BPF",
        "loading eBPF programs and maps, which with PERFMON can read kernel memory and hook \
         every process of the node",
    ),
    (
        "PERFMON",
        "tracing the whole node through perf events and eBPF",
    ),
    (
        "DAC_READ_SEARCH",
        "opening host files by handle with `open_by_handle_at`, outside the container's \
         filesystem (the \"Shocker\" escape)",
    ),
    (
        "NET_ADMIN",
        "reconfiguring interfaces, routes and firewall rules (the node's own with \
         hostNetwork) to intercept or redirect traffic",
    ),
    (
        "MAC_ADMIN",
        "changing the AppArmor or SELinux policy that confines containers",
    ),
    ("MAC_OVERRIDE", "overriding mandatory access control"),
];

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    for container in workload.containers() {
        if is_privileged(&container) {
            continue;
        }
        for (item, name) in capabilities(&container, "add") {
            if let Some((_, allows)) = DANGEROUS.iter().find(|(cap, _)| *cap == name) {
                out.report(
                    item.spot(),
                    format!("{} adds capability {name}: {allows}", container.label()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn with_add(kind_list: &str, add: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  {kind_list}:\n    - name: c\n      image: app:1\n      securityContext:\n        capabilities:\n          add: {add}\n"
        )
    }

    #[test]
    fn names_are_matched_in_any_case_with_or_without_the_prefix() {
        let found = findings(
            &CHECK,
            &with_add(
                "containers",
                "[SYS_ADMIN, cap_sys_module, Sys_Ptrace, all, CAP_BPF]",
            ),
        );
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages.len(), 5, "{messages:?}");
        assert!(messages[0].starts_with("container `c` adds capability SYS_ADMIN: mounting"));
        assert!(messages[1].contains("SYS_MODULE"));
        assert!(messages[2].contains("SYS_PTRACE"));
        assert!(messages[3].contains("capability ALL"));
        assert!(messages[4].contains("capability BPF"));
        assert_eq!(
            found[1].0,
            "/spec/containers/0/securityContext/capabilities/add/1"
        );
    }

    #[test]
    fn default_and_baseline_capabilities_are_not_reported() {
        let yaml = with_add(
            "containers",
            "[NET_BIND_SERVICE, SYS_CHROOT, DAC_OVERRIDE, CHOWN, KILL, NET_RAW]",
        );
        assert!(findings(&CHECK, &yaml).is_empty());
        assert!(findings(&CHECK, &with_add("containers", "[]")).is_empty());
    }

    #[test]
    fn init_and_ephemeral_containers_are_checked() {
        assert_eq!(
            findings(&CHECK, &with_add("initContainers", "[NET_ADMIN]")).len(),
            1
        );
        let found = findings(
            &CHECK,
            &with_add("ephemeralContainers", "[DAC_READ_SEARCH]"),
        );
        assert!(
            found[0]
                .1
                .starts_with("ephemeral container `c` adds capability DAC_READ_SEARCH")
        );
    }
}
