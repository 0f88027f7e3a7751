//! PAL-K8S-009: a container port is published on the node's addresses.

use super::util::text;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-009",
        name: "host-port",
        title: "Container binds a host port",
        severity: Severity::Medium,
        techniques: &["T1133", "T1190"],
        target: CheckTarget::Workload,
        rationale: "A `hostPort` publishes the container port on the node's IP addresses, \
            outside the Service abstraction: it is reachable by anyone who can reach the node, \
            often from outside the cluster, and NetworkPolicies enforced by many CNI plugins do \
            not cover it. An unintended remote service or a vulnerable application on a node \
            address is an entry point (External Remote Services, Exploit Public-Facing \
            Application). It also pins the pod to nodes where the port is free.",
        remediation: "Remove `hostPort` and expose the port through a Service (ClusterIP, or a \
            LoadBalancer/Ingress when it must be public, where access can be controlled).",
        bad_example: r#"apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - {containerPort: 80, hostPort: 8080}
"#,
        good_example: r#"apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - {containerPort: 80, hostPort: 0}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        let Some(ports) = container.cursor.get("ports") else {
            continue;
        };
        for port in ports.items() {
            let Some(host_port) = port.get("hostPort") else {
                continue;
            };
            let number = host_port
                .node
                .as_i64()
                .or_else(|| text(&host_port).and_then(|t| t.parse().ok()));
            if number.is_some_and(|n| n > 0) {
                let protocol = port.text_of("protocol").unwrap_or("TCP");
                let container_port = port
                    .text_of("containerPort")
                    .map(|p| format!(" (container port {p})"))
                    .unwrap_or_default();
                let addresses = match port.text_of("hostIP").map(str::trim) {
                    Some(ip) if !ip.is_empty() && ip != "0.0.0.0" && ip != "::" => {
                        format!("node address {ip}")
                    }
                    _ => "every address of its node".to_owned(),
                };
                out.report(
                    host_port.spot(),
                    format!(
                        "{} publishes host port {}/{protocol}{container_port} on {addresses}",
                        container.label(),
                        number.unwrap_or_default()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn host_ports_are_reported_with_their_address() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: init
      image: app:1
      ports: [{containerPort: 53, hostPort: 53, protocol: UDP, hostIP: 10.0.0.5}]
  containers:
    - name: app
      image: app:1
      ports:
        - {containerPort: 80}
        - {containerPort: 81, hostPort: 0}
        - {containerPort: 443, hostPort: 0x1bb}
"#;
        let found = findings(&CHECK, yaml);
        assert_eq!(
            found,
            [
                (
                    "/spec/initContainers/0/ports/0/hostPort".to_owned(),
                    "init container `init` publishes host port 53/UDP (container port 53) on node address 10.0.0.5".to_owned()
                ),
                (
                    "/spec/containers/0/ports/2/hostPort".to_owned(),
                    "container `app` publishes host port 443/TCP (container port 443) on every address of its node".to_owned()
                ),
            ]
        );
    }
}
