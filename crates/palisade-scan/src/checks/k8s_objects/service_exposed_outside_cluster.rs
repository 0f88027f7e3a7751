//! PAL-K8S-101: a Service of type NodePort or LoadBalancer.

use super::util::{exposed_type, port_number};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-101",
        name: "service-exposed-outside-cluster",
        title: "Service exposed outside the cluster (NodePort or LoadBalancer)",
        severity: Severity::Medium,
        techniques: &["T1133", "T1190"],
        target: CheckTarget::K8sObject,
        rationale: "A `NodePort` Service opens its port on every node's IP address, and a \
            `LoadBalancer` Service also gets a cloud load balancer, usually with a public \
            address. The pods behind it become reachable from outside the cluster, where \
            scanners find exposed admin endpoints, unauthenticated APIs and vulnerable \
            applications within hours. Exposure should be a deliberate, reviewed choice.",
        remediation: "Use `type: ClusterIP` and publish only what must be public through an \
            Ingress or Gateway with TLS and authentication; when a LoadBalancer is required, \
            make it internal or restrict `loadBalancerSourceRanges`.",
        bad_example: r#"apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: orders}
  ports:
    - {port: 80, targetPort: 8080}
"#,
        good_example: r#"apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  type: ClusterIP
  selector: {app: orders}
  ports:
    - {port: 80, targetPort: 8080}
"#,
    },
    run: Run::Object(run),
};

/// Annotations that make a cloud load balancer internal (still reachable from the whole
/// private network, but not from the internet).
const INTERNAL_LB_ANNOTATIONS: &[(&str, &[&str])] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        &["true", "0.0.0.0/0"],
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        &["internal"],
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        &["true"],
    ),
    ("networking.gke.io/load-balancer-type", &["Internal"]),
    ("cloud.google.com/load-balancer-type", &["Internal"]),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        &["true"],
    ),
];

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    let Some((ty, kind)) = exposed_type(object) else {
        return;
    };
    let spec = object.cursor().get("spec");
    let ports: Vec<String> = spec
        .as_ref()
        .and_then(|s| s.get("ports"))
        .map(|ports| {
            ports
                .items()
                .filter_map(|p| {
                    let field = if kind == "NodePort" {
                        "nodePort"
                    } else {
                        "port"
                    };
                    p.get(field)
                        .and_then(|c| port_number(&c))
                        .map(|n| n.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let on_ports = if ports.is_empty() {
        String::new()
    } else {
        format!(" on port {}", ports.join(", "))
    };
    let detail = if kind == "NodePort" {
        format!("open{on_ports} of every node's IP address")
    } else if INTERNAL_LB_ANNOTATIONS.iter().any(|(key, values)| {
        object
            .annotation(key)
            .is_some_and(|v| values.iter().any(|x| x.eq_ignore_ascii_case(v)))
    }) {
        format!("published{on_ports} by an internal load balancer to the whole private network")
    } else if let Some(ranges) = spec
        .as_ref()
        .and_then(|s| s.get("loadBalancerSourceRanges"))
        .filter(|r| !r.node.items().is_empty())
    {
        let ranges: Vec<&str> = ranges.items().filter_map(|r| r.text()).collect();
        format!(
            "published{on_ports} by a load balancer, limited to {}",
            ranges.join(", ")
        )
    } else {
        format!("published{on_ports} by a load balancer, usually on a public address")
    };
    out.report(
        ty.spot(),
        format!("{} is type {kind}: {detail}", object.display_name()),
    );
}
