//! PAL-K8S-106: a MutatingWebhookConfiguration (can rewrite every new pod).

use super::util::list_some;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use crate::spot::Cursor;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-106",
        name: "mutating-admission-webhook",
        title: "Mutating admission webhook: review who controls its backend",
        severity: Severity::Low,
        techniques: &["T1610"],
        target: CheckTarget::K8sObject,
        rationale: "The API server sends every matching object to a mutating webhook and \
            applies whatever patch it returns, before validation. Whoever controls its \
            backend (the Service, its pods and their image, or the URL) can add a container, \
            a hostPath mount or a privileged flag to every new pod in the cluster, the \
            \"malicious admission controller\" technique. Listed so each one is known and its \
            backend protected like the control plane.",
        remediation: "Keep only the mutating webhooks you expect; scope them with \
            `namespaceSelector`/`objectSelector`, run their backends in a locked-down \
            namespace, and restrict who can change the configuration and the backend.",
        bad_example: r#"apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: sidecar-injector}
webhooks:
  - name: inject.sidecar.example.com
    clientConfig:
      service: {name: injector, namespace: mesh-system, path: /inject}
    rules:
      - {operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
    sideEffects: None
    admissionReviewVersions: [v1]
"#,
        good_example: r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
  - name: validate.policy.example.com
    clientConfig:
      service: {name: policy, namespace: policy-system, path: /validate}
    rules:
      - {operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: [v1]
"#,
    },
    run: Run::Object(run),
};

/// `service mesh-system/injector` or `URL https://...`.
fn backend(webhook: &Cursor<'_>) -> Option<String> {
    let config = webhook.get("clientConfig")?;
    if let Some(service) = config.get("service") {
        return Some(format!(
            "service {}/{}",
            service.text_of("namespace").unwrap_or("?"),
            service.text_of("name").unwrap_or("?")
        ));
    }
    config.text_of("url").map(|url| format!("URL {url}"))
}

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if object.kind() != "MutatingWebhookConfiguration"
        || object.api_group() != "admissionregistration.k8s.io"
    {
        return;
    }
    let root = object.cursor();
    let webhooks = root.get("webhooks");
    let backends: Vec<String> = webhooks
        .as_ref()
        .map(|w| w.items().filter_map(|h| backend(&h)).collect())
        .unwrap_or_default();
    let backends: Vec<&str> = backends.iter().map(String::as_str).collect();
    let served = if backends.is_empty() {
        String::new()
    } else {
        format!(", served by {}", list_some(&backends, 3))
    };
    out.report(
        webhooks.unwrap_or(root).spot(),
        format!(
            "{} can change every object it matches at admission{served}: whoever controls \
             that backend can inject containers into new pods",
            object.display_name()
        ),
    );
}
