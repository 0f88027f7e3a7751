//! PAL-K8S-103: an admin UI (Kubernetes Dashboard, Argo CD, Jupyter, Ray...) is published
//! outside the cluster, or the Dashboard runs with its login switched off.

use super::util::{exposed_type, sensitive_ui};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use crate::spot::Cursor;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-103",
        name: "exposed-sensitive-ui",
        title: "Sensitive admin UI exposed outside the cluster, or Dashboard login disabled",
        severity: Severity::High,
        techniques: &["T1133", "T1610", "T1613"],
        target: CheckTarget::K8sObject,
        rationale: "Cluster dashboards and ML or CD consoles (Kubernetes Dashboard, Argo CD, \
            Jupyter, Kubeflow, Ray, Helm Tiller, Weave Scope, Portainer, Rancher) list cluster \
            resources and deploy or run code with their own, usually broad, service account. \
            Published through a NodePort or LoadBalancer Service or an Ingress, they are a \
            favourite initial-access target (Tesla's cryptojacking incident began with an open \
            Dashboard; ShadowRay with exposed Ray job APIs). The Dashboard's \
            `--enable-skip-login` and `--disable-settings-authorizer` flags hand its service \
            account to anyone who reaches it.",
        remediation: "Keep these UIs on ClusterIP Services and reach them with `kubectl \
            port-forward` or through an authenticating proxy or VPN; remove \
            `--enable-skip-login` and `--disable-settings-authorizer` from the Dashboard.",
        bad_example: r#"apiVersion: v1
kind: Service
metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
spec:
  type: NodePort
  selector: {k8s-app: kubernetes-dashboard}
  ports:
    - {port: 443, targetPort: 8443, nodePort: 30443}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
spec:
  selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
  template:
    metadata: {labels: {k8s-app: kubernetes-dashboard}}
    spec:
      containers:
        - name: kubernetes-dashboard
          image: kubernetesui/dashboard:v2.7.0
          args: [--auto-generate-certificates, --enable-skip-login]
"#,
        good_example: r#"apiVersion: v1
kind: Service
metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
spec:
  type: ClusterIP
  selector: {k8s-app: kubernetes-dashboard}
  ports:
    - {port: 443, targetPort: 8443}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: storefront, port: {number: 80}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
spec:
  selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
  template:
    metadata: {labels: {k8s-app: kubernetes-dashboard}}
    spec:
      containers:
        - name: kubernetes-dashboard
          image: kubernetesui/dashboard:v2.7.0
          args: [--auto-generate-certificates, --enable-skip-login=false]
"#,
    },
    run: Run::Object(run),
};

/// Dashboard flags that switch off authentication or authorisation.
const DASHBOARD_FLAGS: &[(&str, &str)] = &[
    (
        "--enable-skip-login",
        "shows a Skip button that logs anyone in as the Dashboard's own service account",
    ),
    (
        "--disable-settings-authorizer",
        "lets anyone who reaches it change the Dashboard's settings",
    ),
];

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if let Some((ty, kind)) = exposed_type(object) {
        service(object, ty, kind, out);
    }
    match (object.kind(), object.api_group()) {
        ("Ingress", "networking.k8s.io" | "extensions") => ingress(object, out),
        ("HTTPRoute", "gateway.networking.k8s.io") => http_route(object, out),
        _ => {}
    }
    if let Some(workload) = object.workload() {
        for container in workload.containers() {
            for list in ["command", "args"] {
                let Some(items) = container.cursor.get(list) else {
                    continue;
                };
                for arg in items.items() {
                    let Some(text) = arg.text() else { continue };
                    let (flag, value) = text.split_once('=').unwrap_or((text, "true"));
                    if let Some((flag, effect)) = DASHBOARD_FLAGS.iter().find(|(f, _)| *f == flag)
                        && !value.eq_ignore_ascii_case("false")
                    {
                        out.report(
                            arg.spot(),
                            format!(
                                "{} of {} runs the Kubernetes Dashboard with `{flag}`: it {effect}",
                                container.label(),
                                object.display_name()
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn service(object: &K8sObject, ty: Cursor<'_>, kind: &str, out: &mut Reporter<'_>) {
    let root = object.cursor();
    let mut names: Vec<String> = object.name().into_iter().map(str::to_owned).collect();
    if let Some(selector) = root.get_path(&["spec", "selector"]) {
        for (key, value) in selector.entries() {
            names.push(format!("{key}={}", value.text().unwrap_or("")));
        }
    }
    if let Some(ui) = sensitive_ui(names.iter().map(String::as_str)) {
        out.report(
            ty.spot(),
            format!(
                "{} publishes {ui} outside the cluster (type {kind})",
                object.display_name()
            ),
        );
    }
}

fn report_backend(object: &K8sObject, backend: Option<Cursor<'_>>, out: &mut Reporter<'_>) -> bool {
    let Some(backend) = backend else {
        return false;
    };
    let Some(name) = backend.text() else {
        return false;
    };
    let Some(ui) = sensitive_ui([name]) else {
        return false;
    };
    out.report(
        backend.spot(),
        format!(
            "{} routes external traffic to Service {name}, which looks like {ui}",
            object.display_name()
        ),
    );
    true
}

fn ingress(object: &K8sObject, out: &mut Reporter<'_>) {
    let Some(spec) = object.cursor().get("spec") else {
        return;
    };
    let mut backends = Vec::new();
    for default in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(default) {
            backends.push(b);
        }
    }
    if let Some(rules) = spec.get("rules") {
        for rule in rules.items() {
            if let Some(paths) = rule.get_path(&["http", "paths"]) {
                backends.extend(paths.items().filter_map(|p| p.get("backend")));
            }
        }
    }
    let mut found = false;
    for backend in backends {
        // networking.k8s.io/v1: backend.service.name; v1beta1: backend.serviceName.
        let name = backend
            .get_path(&["service", "name"])
            .or_else(|| backend.get("serviceName"));
        found |= report_backend(object, name, out);
    }
    if !found {
        report_named_route(object, out);
    }
}

fn http_route(object: &K8sObject, out: &mut Reporter<'_>) {
    let mut found = false;
    if let Some(rules) = object.cursor().get_path(&["spec", "rules"]) {
        for rule in rules.items() {
            if let Some(refs) = rule.get("backendRefs") {
                for backend in refs.items() {
                    let is_service = backend.text_of("kind").is_none_or(|k| k == "Service");
                    if is_service {
                        found |= report_backend(object, backend.get("name"), out);
                    }
                }
            }
        }
    }
    if !found {
        report_named_route(object, out);
    }
}

/// An Ingress or route named after a sensitive UI whose backends did not give it away.
fn report_named_route(object: &K8sObject, out: &mut Reporter<'_>) {
    let Some(name) = object.cursor().get_path(&["metadata", "name"]) else {
        return;
    };
    if let Some(ui) = name.text().and_then(|n| sensitive_ui([n])) {
        out.report(
            name.spot(),
            format!(
                "{} routes external traffic to what looks like {ui}",
                object.display_name()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn ingresses_routes_and_selectors() {
        let text = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: tools, namespace: argocd}
spec:
  rules:
    - http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: argocd-server, port: {number: 80}}}}
          - {path: /shop, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: ml}
spec:
  backend: {serviceName: jupyterhub-proxy, servicePort: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ray, namespace: ml}
spec:
  rules:
    - backendRefs: [{name: raycluster-head-svc, port: 8265}]
---
apiVersion: v1
kind: Service
metadata: {name: raycluster-head-svc, namespace: ml}
spec:
  type: LoadBalancer
  selector: {ray.io/cluster: raycluster, ray.io/node-type: head}
---
apiVersion: v1
kind: Service
metadata: {name: grafana, namespace: monitoring}
spec:
  type: LoadBalancer
  selector: {app: grafana}
"#;
        let got = scan(&[("i.yaml", text)], "PAL-K8S-103");
        assert_eq!(
            got,
            vec![
                "Ingress/argocd/tools routes external traffic to Service argocd-server, which looks like the Argo CD API server",
                "Ingress/ml/old routes external traffic to Service jupyterhub-proxy, which looks like Jupyter (runs arbitrary code)",
                "Service/ml/raycluster-head-svc publishes the Ray head node (dashboard and job submission API) outside the cluster (type LoadBalancer)",
            ],
            "an HTTPRoute backend named `raycluster-head-svc` does not say Ray by name; the Service selector does"
        );
    }
}
