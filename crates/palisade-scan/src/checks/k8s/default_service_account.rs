//! PAL-K8S-027: the pod runs as its namespace's `default` service account.

use super::util::{present, service_account};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-027",
        name: "default-service-account",
        title: "Pod uses the default service account",
        severity: Severity::Low,
        techniques: &["T1078.001", "T1528"],
        target: CheckTarget::Workload,
        rationale: "Every pod that names no service account runs as its namespace's `default` \
            account, so that one identity is shared by unrelated workloads. Any role bound to \
            `default`, for one workload's convenience, reaches every other pod of the \
            namespace, and a token stolen from any of them is good for all of them (Default \
            Accounts, Steal Application Access Token). Per-workload accounts keep permissions \
            and audit trails separate. Pods that disable token automounting are not reported, \
            as they hold no token of the account.",
        remediation: "Create a ServiceAccount for the workload and set `serviceAccountName`; \
            grant it only what the workload needs. Keep `default` without role bindings and set \
            `automountServiceAccountToken: false` on it.",
        bad_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "30 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          serviceAccountName: default
          containers:
            - name: backup
              image: registry.example.com/backup:2.1.0
"#,
        good_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "30 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          serviceAccountName: backup
          containers:
            - name: backup
              image: registry.example.com/backup:2.1.0
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    let spec = &workload.pod_spec;
    if present(spec.get("automountServiceAccountToken")).and_then(|f| f.as_bool()) == Some(false) {
        return;
    }
    match service_account(workload) {
        ("default", Some(cursor)) => out.report(
            cursor.spot(),
            "the pod runs as the namespace's `default` service account, shared with every pod \
             that names none",
        ),
        (_, Some(_)) => {}
        (_, None) => out.report(
            spec.spot(),
            "the pod names no service account, so it runs as the namespace's `default` \
             account, shared with every pod that names none",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    fn pod(fields: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{fields}  containers: [{{name: a, image: app:1}}]\n"
        )
    }

    #[test]
    fn names_and_aliases() {
        assert_eq!(pointers(&CHECK, &pod("")), ["/spec"]);
        assert_eq!(
            pointers(&CHECK, &pod("  serviceAccountName: default\n")),
            ["/spec/serviceAccountName"]
        );
        assert_eq!(
            pointers(&CHECK, &pod("  serviceAccount: default\n")),
            ["/spec/serviceAccount"]
        );
        assert_eq!(
            pointers(&CHECK, &pod("  serviceAccountName: \"\"\n")),
            ["/spec"]
        );
        assert!(
            pointers(
                &CHECK,
                &pod("  serviceAccountName: \"\"\n  serviceAccount: app\n")
            )
            .is_empty()
        );
        assert!(pointers(&CHECK, &pod("  serviceAccountName: app\n")).is_empty());
    }

    #[test]
    fn no_token_no_finding() {
        assert!(pointers(&CHECK, &pod("  automountServiceAccountToken: off\n")).is_empty());
        assert_eq!(
            pointers(&CHECK, &pod("  automountServiceAccountToken: true\n")),
            ["/spec"]
        );
    }
}
