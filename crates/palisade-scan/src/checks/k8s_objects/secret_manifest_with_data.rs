//! PAL-K8S-110: a Secret manifest carries its values.

use super::util::list_some;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-110",
        name: "secret-manifest-with-data",
        title: "Secret manifest with its values committed",
        severity: Severity::Low,
        techniques: &["T1552.001"],
        target: CheckTarget::K8sObject,
        rationale: "`data` in a Secret is only base64, not encryption, and `stringData` is \
            plain text. A Secret manifest with values in a repository, a Helm chart or a CI \
            artefact gives the credential to everyone who can read them, for as long as the \
            history is kept. Secrets should reach the cluster from a secret store, not from \
            the manifests.",
        remediation: "Remove the values from the manifest and rotate them; deliver them with \
            Sealed Secrets, SOPS, the External Secrets Operator or the CSI secrets-store \
            driver.",
        bad_example: r#"apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
type: Opaque
stringData:
  password: hunter2-prod
"#,
        good_example: r#"apiVersion: v1
kind: Secret
metadata:
  name: build-robot-token
  namespace: ci
  annotations: {kubernetes.io/service-account.name: build-robot}
type: kubernetes.io/service-account-token
"#,
    },
    run: Run::Object(run),
};

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if object.kind() != "Secret" || !object.api_group().is_empty() {
        return;
    }
    for field in ["data", "stringData"] {
        let Some(values) = object.cursor().get(field) else {
            continue;
        };
        let keys: Vec<&str> = values
            .entries()
            .filter(|(_, v)| v.text().is_some_and(|t| !t.trim().is_empty()))
            .map(|(k, _)| k)
            .collect();
        if keys.is_empty() {
            continue;
        }
        let encoding = if field == "data" {
            "base64, not encrypted"
        } else {
            "plain text"
        };
        let plural = if keys.len() == 1 { "" } else { "s" };
        out.report(
            values.spot(),
            format!(
                "{} carries {} value{plural} in `{field}` ({encoding}): {}",
                object.display_name(),
                keys.len(),
                list_some(&keys, 5)
            ),
        );
    }
}
