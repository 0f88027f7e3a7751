//! PAL-K8S-102: a Service with `spec.externalIPs`.

use super::util::{is_service, list_some};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-102",
        name: "service-external-ips",
        title: "Service with externalIPs",
        severity: Severity::Medium,
        techniques: &["T1133"],
        target: CheckTarget::K8sObject,
        rationale: "Every node forwards traffic addressed to a Service's `externalIPs` to its \
            pods, so the pods are reachable wherever those addresses route. Nothing checks \
            that the Service owns the addresses: anyone who can create or edit Services can \
            claim the IP of another service, inside or outside the cluster, and intercept the \
            traffic the cluster's pods send to it (CVE-2020-8554, unpatched by design).",
        remediation: "Remove `externalIPs`; use a LoadBalancer or an Ingress. Block the field \
            cluster-wide with the `DenyServiceExternalIPs` admission plugin or a policy engine \
            rule.",
        bad_example: r#"apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  selector: {app: legacy}
  ports:
    - {port: 443}
  externalIPs: [203.0.113.10]
"#,
        good_example: r#"apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  selector: {app: legacy}
  ports:
    - {port: 443}
"#,
    },
    run: Run::Object(run),
};

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if !is_service(object) {
        return;
    }
    let Some(ips) = object.cursor().get_path(&["spec", "externalIPs"]) else {
        return;
    };
    let list: Vec<&str> = ips.items().filter_map(|ip| ip.text()).collect();
    if list.is_empty() {
        return;
    }
    out.report(
        ips.spot(),
        format!(
            "{} claims external IPs {}: every node sends traffic for these addresses to its \
             pods, whoever owns them",
            object.display_name(),
            list_some(&list, 4)
        ),
    );
}
