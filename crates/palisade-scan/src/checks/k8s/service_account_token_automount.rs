//! PAL-K8S-026: the pod gets an API token mounted without asking for one.

use super::util::{present, service_account};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-026",
        name: "service-account-token-automount",
        title: "Service account token mounted automatically",
        severity: Severity::Low,
        techniques: &["T1528", "T1552.001"],
        target: CheckTarget::Workload,
        rationale: "Unless the pod or its ServiceAccount opts out, Kubernetes mounts a token for \
            the pod's service account at `/var/run/secrets/kubernetes.io/serviceaccount/token` \
            in every container. Most applications never call the Kubernetes API, but anyone \
            who can read files in the container (path traversal, SSRF to `file://`, a shell) \
            can take the token and use it against the API server with whatever permissions the \
            account has (Steal Application Access Token, Credentials In Files).",
        remediation: "Set `automountServiceAccountToken: false` in the pod spec of workloads \
            that do not use the API, or on their ServiceAccount (the pod's setting wins when \
            both are set). Pods that need the API can mount a short-lived, audience-bound token \
            with a projected `serviceAccountToken` volume instead.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      serviceAccountName: shop
      containers:
        - name: shop
          image: registry.example.com/shop:12.0.1
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      serviceAccountName: shop
      automountServiceAccountToken: false
      containers:
        - name: shop
          image: registry.example.com/shop:12.0.1
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    let (account, _) = service_account(workload);
    match present(workload.pod_spec.get("automountServiceAccountToken")) {
        Some(flag) if flag.as_bool() == Some(false) => {}
        Some(flag) => out.report(
            flag.spot(),
            format!(
                "the pod sets automountServiceAccountToken to `{}`, so the token of service \
                 account `{account}` is mounted into every container",
                flag.text().unwrap_or("?")
            ),
        ),
        None => out.report(
            workload.pod_spec.spot(),
            format!(
                "the pod does not set automountServiceAccountToken to false, so the token of \
                 service account `{account}` is mounted into every container unless the \
                 ServiceAccount opts out"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn pod(fields: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{fields}  containers: [{{name: a, image: app:1}}]\n"
        )
    }

    #[test]
    fn only_a_false_boolean_opts_out() {
        for spelling in ["false", "no", "off", "N"] {
            let yaml = pod(&format!("  automountServiceAccountToken: {spelling}\n"));
            assert!(findings(&CHECK, &yaml).is_empty(), "{spelling}");
        }
        let found = findings(&CHECK, &pod("  automountServiceAccountToken: \"false\"\n"));
        assert_eq!(found[0].0, "/spec/automountServiceAccountToken");
        let found = findings(
            &CHECK,
            &pod("  serviceAccountName: \"\"\n  serviceAccount: api\n"),
        );
        assert_eq!(
            found,
            [(
                "/spec".to_owned(),
                "the pod does not set automountServiceAccountToken to false, so the token of service account `api` is mounted into every container unless the ServiceAccount opts out".to_owned()
            )]
        );
    }
}
