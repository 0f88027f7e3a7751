//! PAL-K8S-108: a workload named like a control-plane component outside kube-system.

use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-108",
        name: "system-component-name-outside-kube-system",
        title: "Workload named like a cluster system component outside kube-system",
        severity: Severity::Medium,
        techniques: &["T1036.005"],
        target: CheckTarget::Workload,
        rationale: "Attackers name their miners and backdoors `kube-proxy`, `coredns` or \
            `calico-node` so they blend into `kubectl get pods -A` and escape a quick review; \
            the real components live in `kube-system` (or their own system namespace). A \
            workload with such a name elsewhere is either a masquerade or a confusing \
            duplicate that hides the next one.",
        remediation: "Check who created the workload and what image it runs; rename \
            legitimate copies so they cannot be mistaken for system components, and deploy \
            real components to `kube-system` or their vendor's namespace.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: default}
spec:
  selector: {matchLabels: {app: kube-proxy}}
  template:
    metadata: {labels: {app: kube-proxy}}
    spec:
      containers:
        - {name: kube-proxy, image: "docker.io/someone/kproxy:latest"}
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      containers:
        - {name: kube-proxy, image: "registry.k8s.io/kube-proxy:v1.33.1"}
"#,
    },
    run: Run::Workload(run),
};

/// Names of components that run in kube-system (or in a namespace of their own name). `etcd`
/// is left out: applications routinely run their own etcd clusters.
const SYSTEM_COMPONENTS: &[&str] = &[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "cloud-controller-manager",
    "kube-proxy",
    "coredns",
    "kube-dns",
    "calico-node",
    "calico-kube-controllers",
    "cilium",
    "cilium-operator",
    "kube-flannel",
    "weave-net",
    "aws-node",
    "kindnet",
    "konnectivity-agent",
    "metrics-server",
];

/// Namespaces where vendors install these components besides kube-system.
fn is_system_namespace(namespace: &str, component: &str) -> bool {
    namespace == "kube-system"
        || namespace == component
        || namespace.starts_with("openshift-")
        || matches!(
            (component, namespace),
            (
                "calico-node" | "calico-kube-controllers",
                "calico-system" | "tigera-operator"
            ) | ("cilium" | "cilium-operator", "cilium-system")
                | ("kube-flannel", "kube-flannel")
        )
}

/// The component a name imitates: the name itself or `<component>-<suffix>` (pods of
/// DaemonSets and static pods are named like that).
fn imitated(name: &str) -> Option<&'static str> {
    SYSTEM_COMPONENTS
        .iter()
        .copied()
        .filter(|c| {
            name == *c
                || name
                    .strip_prefix(c)
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|c| c.len())
}

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    let Some(name) = workload.object.name() else {
        return;
    };
    let Some(component) = imitated(name) else {
        return;
    };
    let namespace = workload.namespace();
    if is_system_namespace(namespace, component) {
        return;
    }
    let root = workload.object.cursor();
    let at = root
        .get_path(&["metadata", "name"])
        .or_else(|| root.get_path(&["metadata", "generateName"]))
        .unwrap_or(root);
    out.report(
        at.spot(),
        format!(
            "{} is named like the system component `{component}` but runs in namespace \
             {namespace}, not kube-system",
            workload.object.display_name()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_namespaces() {
        assert_eq!(imitated("kube-proxy-x7k2p"), Some("kube-proxy"));
        assert_eq!(imitated("cilium-operator-5d"), Some("cilium-operator"));
        assert_eq!(imitated("coredns"), Some("coredns"));
        assert_eq!(imitated("kube-proxyish"), None);
        assert_eq!(imitated("my-coredns"), None);
        assert!(is_system_namespace("calico-system", "calico-node"));
        assert!(is_system_namespace("metrics-server", "metrics-server"));
        assert!(!is_system_namespace("default", "coredns"));
        assert!(!is_system_namespace("calico-system", "coredns"));
    }
}
