//! PAL-K8S-028: a credential is written into the manifest as an environment variable value.

use super::util::secrets::{credential_like_value, secret_like_name, trivially_not_secret};
use super::util::{at, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-028",
        name: "secret-in-env-literal",
        title: "Secret written as a literal environment variable",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::Workload,
        rationale: "A password, token or key written as `env[].value` lives in plain text in the \
            manifest, its Git history, CI logs, the rendered Helm release, and the pod object in \
            etcd, where anyone allowed to `get` pods or the owning Deployment can read it. RBAC \
            that protects Secrets does not protect it (Credentials In Files). Variables are \
            flagged when their name says they hold a secret (`DB_PASSWORD`, `apiKey`, \
            `CLIENT_SECRET`, `REDIS_AUTH`...) and the value is not a boolean, number, path or \
            `$(VAR)` reference, or when the value itself looks like a credential (an AWS \
            access key id, a PEM private key, a GitHub or Slack token, a URL with a password). \
            Findings name the variable, never the value.",
        remediation: "Move the value into a Secret (or an external secret store) and reference \
            it, preferably as a mounted file; if the application only reads environment \
            variables, use `valueFrom.secretKeyRef`. Then rotate the credential: it has \
            already been exposed.",
        bad_example: r#"apiVersion: v1
kind: Pod
metadata: {name: billing}
spec:
  containers:
    - name: billing
      image: registry.example.com/billing:3.9.0
      env:
        - {name: DB_HOST, value: postgres.billing.svc}
        - {name: DB_PASSWORD, value: "S3cure!pass"}
"#,
        good_example: r#"apiVersion: v1
kind: Pod
metadata: {name: billing}
spec:
  containers:
    - name: billing
      image: registry.example.com/billing:3.9.0
      env:
        - {name: DB_HOST, value: postgres.billing.svc}
        - {name: DB_PASSWORD_FILE, value: /run/secrets/db/password}
      volumeMounts: [{name: db, mountPath: /run/secrets/db, readOnly: true}]
  volumes:
    - name: db
      secret: {secretName: billing-db}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        let Some(env) = container.cursor.get("env") else {
            continue;
        };
        for var in env.items() {
            let name = var.text_of("name").unwrap_or("?");
            let Some(value_cursor) = at(&var, &["value"]) else {
                continue;
            };
            let Some(value) = text(&value_cursor) else {
                continue;
            };
            let why = if let Some(looks_like) = credential_like_value(value) {
                format!("its value looks like {looks_like}")
            } else if secret_like_name(name) && !trivially_not_secret(value) {
                "its name says it holds a secret".to_owned()
            } else {
                continue;
            };
            out.report(
                value_cursor.spot(),
                format!(
                    "{} sets environment variable `{name}` to a literal value in the manifest; \
                     {why}",
                    container.label()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn names_and_values_are_judged_and_the_value_is_never_printed() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: init
      image: app:1
      env:
        - {name: AWS_ACCESS_KEY_ID, value: AKIAIOSFODNN7EXAMPLE}
  containers:
    - name: app
      image: app:1
      env:
        - {name: API_KEY, value: abcdef0123456789}
        - {name: DATABASE_URL, value: "postgres://app:hunter2@db:5432/app"}
        - {name: DB_PASSWORD, value: "$(ROOT_PASSWORD)"}
        - {name: AUTH_ENABLED, value: "true"}
        - {name: TOKEN_TTL, value: "3600"}
        - {name: SECRET_NAME, value: app-secret}
        - {name: PASSWORD, value: ""}
        - {name: GITHUB_TOKEN, valueFrom: {secretKeyRef: {name: gh, key: token}}}
        - {name: LOG_LEVEL, value: debug}
"#;
        let found = findings(&CHECK, yaml);
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/spec/initContainers/0/env/0/value",
                "/spec/containers/0/env/0/value",
                "/spec/containers/0/env/1/value"
            ]
        );
        assert_eq!(
            found[0].1,
            "init container `init` sets environment variable `AWS_ACCESS_KEY_ID` to a literal value in the manifest; its value looks like an AWS access key id"
        );
        assert!(found[1].1.ends_with("its name says it holds a secret"));
        for (_, message) in &found {
            for secret in ["AKIAIOSFODNN7EXAMPLE", "abcdef0123456789", "hunter2"] {
                assert!(!message.contains(secret), "{message}");
            }
        }
    }
}
