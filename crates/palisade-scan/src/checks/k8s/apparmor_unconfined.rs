//! PAL-K8S-021: AppArmor is explicitly disabled for a container.

use super::util::profiles::{apparmor, report_unconfined};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-021",
        name: "apparmor-unconfined",
        title: "AppArmor explicitly disabled",
        severity: Severity::Medium,
        techniques: &["T1611", "T1562.001"],
        target: CheckTarget::Workload,
        rationale: "On nodes with AppArmor, the runtime's default profile denies containers the \
            operations most escapes use even when a capability would allow them: mounting \
            filesystems, writing to `/proc/sys` and `/sys`, reading `/proc/kcore`. An \
            `Unconfined` profile removes that layer on purpose (Disable or Modify Tools), so a \
            misconfiguration or kernel bug that AppArmor would have stopped becomes a way onto \
            the node (Escape to Host). Both the `appArmorProfile` field and the older \
            `container.apparmor.security.beta.kubernetes.io/<container>` annotation on the pod \
            template are checked.",
        remediation: "Remove the `Unconfined` profile or the `unconfined` annotation so the \
            runtime default applies, or set `appArmorProfile.type: Localhost` with a profile \
            written for the workload.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: scraper}
spec:
  selector: {matchLabels: {app: scraper}}
  template:
    metadata:
      labels: {app: scraper}
      annotations:
        container.apparmor.security.beta.kubernetes.io/scraper: unconfined
    spec:
      containers:
        - name: scraper
          image: registry.example.com/scraper:2.2.2
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: scraper}
spec:
  selector: {matchLabels: {app: scraper}}
  template:
    metadata:
      labels: {app: scraper}
    spec:
      securityContext:
        appArmorProfile: {type: RuntimeDefault}
      containers:
        - name: scraper
          image: registry.example.com/scraper:2.2.2
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_unconfined(
        workload,
        out,
        apparmor,
        "an AppArmor annotation set to `unconfined`",
        "appArmorProfile type Unconfined",
        "AppArmor",
    );
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn fields_and_annotations_at_both_levels() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/b: unconfined
    container.apparmor.security.beta.kubernetes.io/c: unconfined
spec:
  securityContext:
    appArmorProfile: {type: Unconfined}
  initContainers:
    - {name: a, image: app:1}
  containers:
    - {name: b, image: app:1}
    - {name: c, image: app:1, securityContext: {appArmorProfile: {type: RuntimeDefault}}}
    - {name: d, image: app:1, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-d}}}
"#;
        let found = findings(&CHECK, yaml);
        assert_eq!(
            found,
            [
                (
                    "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1b".to_owned(),
                    "an AppArmor annotation set to `unconfined` disables AppArmor for container `b`".to_owned()
                ),
                (
                    "/spec/securityContext/appArmorProfile/type".to_owned(),
                    "appArmorProfile type Unconfined disables AppArmor for init container `a`".to_owned()
                ),
            ]
        );
    }
}
