//! PAL-K8S-109: a ConfigMap holds a credential.

use super::util::{embedded_credential, is_literal_secret_value, looks_like_secret_key};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-109",
        name: "secret-in-configmap",
        title: "Credential stored in a ConfigMap",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::K8sObject,
        rationale: "ConfigMaps are meant to be readable: the `view` role, dashboards, CI logs \
            and `kubectl describe` show them, RBAC rarely restricts them, and their manifests \
            sit in Git in clear text. A password, token or private key placed in one is \
            readable by everyone with read access to the namespace or the repository. The \
            finding names the key, never the value.",
        remediation: "Move the value to a Secret (created by an external-secrets operator, \
            Sealed Secrets or the CSI secrets-store driver rather than committed), reference \
            it with `secretKeyRef` or a volume, and rotate the exposed credential.",
        bad_example: r#"apiVersion: v1
kind: ConfigMap
metadata: {name: orders, namespace: shop}
data:
  DB_HOST: postgres.shop.svc
  DB_PASSWORD: hunter2-prod
"#,
        good_example: r#"apiVersion: v1
kind: ConfigMap
metadata: {name: orders, namespace: shop}
data:
  DB_HOST: postgres.shop.svc
  DB_PASSWORD_FILE: /run/secrets/db/password
  TOKEN_TTL: "3600"
"#,
    },
    run: Run::Object(run),
};

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if object.kind() != "ConfigMap" || !object.api_group().is_empty() {
        return;
    }
    let Some(data) = object.cursor().get("data") else {
        return;
    };
    for (key, value) in data.entries() {
        let Some(text) = value.text() else { continue };
        let what = if looks_like_secret_key(key) && is_literal_secret_value(text) {
            Some("a literal credential".to_owned())
        } else {
            embedded_credential(text)
        };
        if let Some(what) = what {
            out.report(
                value.spot(),
                format!("{} key `{key}` holds {what}", object.display_name()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn keys_embedded_files_and_no_values_in_messages() {
        let text = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data:
  apiKey: "sk_live_51Habc"
  api_key_file: /etc/keys/api
  password: ""
  LOG_LEVEL: debug
  application.properties: |
    server.port=8080
    spring.datasource.password=hunter22
  id_rsa: |
    -----BEGIN OPENSSH PRIVATE KEY-----
    b3BlbnNzaC1rZXktdjEAAAAA
    -----END OPENSSH PRIVATE KEY-----
  DATABASE_URL: postgres://app:s3cretpw@db:5432/app
  SAFE_URL: postgres://app:${DB_PASSWORD}@db:5432/app
"#;
        let got = scan(&[("cm.yaml", text)], "PAL-K8S-109");
        assert_eq!(
            got,
            vec![
                "ConfigMap/app key `apiKey` holds a literal credential",
                "ConfigMap/app key `application.properties` holds a literal credential (`spring.datasource.password`, line 2 of the value)",
                "ConfigMap/app key `id_rsa` holds a private key",
                "ConfigMap/app key `DATABASE_URL` holds a URL with an embedded password",
            ]
        );
        for secret in ["sk_live", "hunter22", "b3Blbn", "s3cretpw"] {
            assert!(got.iter().all(|m| !m.contains(secret)));
        }
    }
}
