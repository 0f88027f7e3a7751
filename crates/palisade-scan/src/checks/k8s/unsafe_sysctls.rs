//! PAL-K8S-024: the pod sets a sysctl outside the Kubernetes safe set.

use super::util::{at, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-024",
        name: "unsafe-sysctls",
        title: "Unsafe sysctl",
        severity: Severity::Medium,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "A sysctl is safe for a pod only when the kernel namespaces it and its effect \
            stays inside the pod. Others change the node for everyone: memory and IPC limits, \
            routing and filtering of the node's traffic, kernel hardening switches. The kubelet \
            refuses them unless an administrator allowed them with `--allowed-unsafe-sysctls`, \
            and a pod that sets one either weakens the node's kernel defences (a step toward \
            Escape to Host) or fails to start on hardened nodes.",
        remediation: "Remove the sysctl or set it on the node itself (node configuration, a \
            tuning operator). The safe set is `kernel.shm_rmid_forced`, \
            `net.ipv4.ip_local_port_range`, `net.ipv4.ip_local_reserved_ports`, \
            `net.ipv4.ip_unprivileged_port_start`, `net.ipv4.ping_group_range`, \
            `net.ipv4.tcp_syncookies`, the `net.ipv4.tcp_keepalive_*` trio, \
            `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_rmem` and `net.ipv4.tcp_wmem`.",
        bad_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: search}
spec:
  serviceName: search
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      securityContext:
        sysctls:
          - {name: net.ipv4.ip_local_port_range, value: "1024 65000"}
          - {name: kernel.msgmax, value: "65536"}
      containers:
        - name: search
          image: registry.example.com/search:8.15.0
"#,
        good_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: search}
spec:
  serviceName: search
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      securityContext:
        sysctls:
          - {name: net.ipv4.ip_local_port_range, value: "1024 65000"}
      containers:
        - name: search
          image: registry.example.com/search:8.15.0
"#,
    },
    run: Run::Workload(run),
};

/// The kubelet's safe set: the Pod Security Standards list up to 1.32, plus the two TCP
/// settings the kubelet added in 2026 (kubernetes/kubernetes#138389).
const SAFE: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

/// Kubernetes accepts `/` as the separator (`net/ipv4/ip_local_port_range`); when the first
/// separator is a `/`, dots and slashes swap roles, as the kubelet does.
fn normalise_sysctl(name: &str) -> String {
    match name.find(['.', '/']) {
        Some(i) if name.as_bytes()[i] == b'/' => name
            .chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect(),
        _ => name.to_owned(),
    }
}

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    let Some(sysctls) = at(&workload.pod_spec, &["securityContext", "sysctls"]) else {
        return;
    };
    for item in sysctls.items() {
        let Some(name_cursor) = at(&item, &["name"]) else {
            continue;
        };
        let Some(name) = text(&name_cursor) else {
            continue;
        };
        let normalised = normalise_sysctl(name);
        if !SAFE.contains(&normalised.as_str()) {
            out.report(
                name_cursor.spot(),
                format!(
                    "the pod sets sysctl `{normalised}`, which is not in the Kubernetes safe set \
                     and can affect the whole node"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CHECK, normalise_sysctl};
    use crate::checks::k8s::util::testing::pointers;

    #[test]
    fn slash_separated_names_are_normalised() {
        assert_eq!(
            normalise_sysctl("net/ipv4/tcp_syncookies"),
            "net.ipv4.tcp_syncookies"
        );
        assert_eq!(
            normalise_sysctl("net/ipv4/conf/eno2.100/rp_filter"),
            "net.ipv4.conf.eno2/100.rp_filter"
        );
        assert_eq!(normalise_sysctl("kernel.msgmax"), "kernel.msgmax");
    }

    #[test]
    fn safe_names_in_either_spelling_pass_and_others_are_reported() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    sysctls:
      - {name: net/ipv4/ping_group_range, value: "0 2147483647"}
      - {name: net.ipv4.tcp_keepalive_time, value: "600"}
      - {name: net.core.somaxconn, value: "1024"}
      - {name: vm.max_map_count, value: "262144"}
  containers:
    - {name: app, image: app:1}
"#;
        assert_eq!(
            pointers(&CHECK, yaml),
            [
                "/spec/securityContext/sysctls/2/name",
                "/spec/securityContext/sysctls/3/name"
            ]
        );
    }
}
