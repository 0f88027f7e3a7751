//! PAL-K8S-107: an admission webhook with `failurePolicy: Ignore`.

use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-107",
        name: "admission-webhook-fails-open",
        title: "Admission webhook fails open (failurePolicy Ignore)",
        severity: Severity::Medium,
        techniques: &["T1562.001"],
        target: CheckTarget::K8sObject,
        rationale: "With `failurePolicy: Ignore` the API server admits the request unchecked \
            whenever the webhook cannot be reached or times out. A policy webhook then \
            switches itself off exactly when an attacker makes its backend unavailable \
            (delete or starve its pods, block its network path), and privileged pods are \
            admitted without a trace in the policy engine. In \
            `admissionregistration.k8s.io/v1beta1` a webhook without `failurePolicy` \
            defaults to `Ignore`.",
        remediation: "Set `failurePolicy: Fail` on webhooks that enforce security policy, run \
            their backends with several replicas and a PodDisruptionBudget, and exclude only \
            the namespaces the webhook itself needs with `namespaceSelector`.",
        bad_example: r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
  - name: validate.policy.example.com
    clientConfig:
      service: {name: policy, namespace: policy-system, path: /validate}
    rules:
      - {operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
    failurePolicy: Ignore
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
      - {operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: [v1]
"#,
    },
    run: Run::Object(run),
};

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if !matches!(
        object.kind(),
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"
    ) || object.api_group() != "admissionregistration.k8s.io"
    {
        return;
    }
    let defaults_to_ignore = object.api_version().ends_with("/v1beta1");
    let Some(webhooks) = object.cursor().get("webhooks") else {
        return;
    };
    for webhook in webhooks.items() {
        let name = webhook.text_of("name").unwrap_or("?");
        match webhook.get("failurePolicy") {
            Some(policy) if policy.text() == Some("Ignore") => out.report(
                policy.spot(),
                format!(
                    "webhook `{name}` of {} has failurePolicy Ignore: requests are admitted \
                     unchecked whenever its backend is down or slow",
                    object.display_name()
                ),
            ),
            None if defaults_to_ignore => out.report(
                webhook.spot(),
                format!(
                    "webhook `{name}` of {} sets no failurePolicy, which defaults to Ignore in \
                     v1beta1: requests are admitted unchecked whenever its backend is down or \
                     slow",
                    object.display_name()
                ),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn v1beta1_defaults_to_ignore_v1_to_fail() {
        let text = r#"apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingWebhookConfiguration
metadata: {name: old}
webhooks:
  - name: a.example.com
  - name: b.example.com
    failurePolicy: Fail
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: new}
webhooks:
  - name: c.example.com
  - name: d.example.com
    failurePolicy: Ignore
"#;
        let got = scan(&[("w.yaml", text)], "PAL-K8S-107");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with(
            "webhook `a.example.com` of MutatingWebhookConfiguration/old sets no failurePolicy"
        ));
        assert!(got[1].starts_with(
            "webhook `d.example.com` of ValidatingWebhookConfiguration/new has failurePolicy Ignore"
        ));
    }
}
