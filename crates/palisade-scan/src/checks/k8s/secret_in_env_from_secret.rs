//! PAL-K8S-029: a Secret is exposed to a container through environment variables.

use super::util::at;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-029",
        name: "secret-in-env-from-secret",
        title: "Secret exposed through environment variables",
        severity: Severity::Low,
        techniques: &["T1552.001"],
        target: CheckTarget::Workload,
        rationale: "Environment variables are a leaky place for secrets. They are inherited by \
            every child process, readable by any process of the same user through \
            `/proc/<pid>/environ` (and by the whole node with hostPID), dumped by crash \
            reporters, debug endpoints and `env` in support sessions, and often logged at \
            start-up. A Secret mounted as a file stays in one place with its own permissions and \
            can be rotated without restarting the pod (Credentials In Files).",
        remediation: "Mount the Secret as a volume (`secret.secretName`, with `defaultMode: 0400` \
            and `readOnly: true`) and have the application read the file; many images accept a \
            `*_FILE` variable pointing to it.",
        bad_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger}
spec:
  serviceName: ledger
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers:
        - name: ledger
          image: registry.example.com/ledger:1.4.2
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: ledger-db, key: password}
          envFrom:
            - secretRef: {name: ledger-api-keys}
"#,
        good_example: r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger}
spec:
  serviceName: ledger
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers:
        - name: ledger
          image: registry.example.com/ledger:1.4.2
          env:
            - {name: DB_PASSWORD_FILE, value: /run/secrets/db/password}
          volumeMounts: [{name: db, mountPath: /run/secrets/db, readOnly: true}]
      volumes:
        - name: db
          secret: {secretName: ledger-db, defaultMode: 0400}
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        if let Some(env) = container.cursor.get("env") {
            for var in env.items() {
                if let Some(reference) = at(&var, &["valueFrom", "secretKeyRef"]) {
                    out.report(
                        reference.spot(),
                        format!(
                            "{} reads key `{}` of Secret `{}` into environment variable `{}`",
                            container.label(),
                            reference.text_of("key").unwrap_or("?"),
                            reference.text_of("name").unwrap_or("?"),
                            var.text_of("name").unwrap_or("?"),
                        ),
                    );
                }
            }
        }
        if let Some(sources) = container.cursor.get("envFrom") {
            for source in sources.items() {
                if let Some(reference) = at(&source, &["secretRef"]) {
                    let prefix = source
                        .text_of("prefix")
                        .map(|p| format!(" (prefixed `{p}`)"))
                        .unwrap_or_default();
                    out.report(
                        reference.spot(),
                        format!(
                            "{} loads every key of Secret `{}` into its environment{prefix}",
                            container.label(),
                            reference.text_of("name").unwrap_or("?"),
                        ),
                    );
                }
            }
        }
    }
}
