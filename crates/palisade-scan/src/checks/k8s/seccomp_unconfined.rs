//! PAL-K8S-019: seccomp is explicitly disabled for a container.

use super::util::profiles::{report_unconfined, seccomp};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-019",
        name: "seccomp-unconfined",
        title: "Seccomp explicitly disabled",
        severity: Severity::Medium,
        techniques: &["T1611", "T1562.001"],
        target: CheckTarget::Workload,
        rationale: "Seccomp filters the system calls a container may make; the runtime's default \
            profile blocks several dozen that containers do not need and that kernel exploits \
            and escapes rely on (`unshare`, `keyctl`, `bpf`, `mount`, `ptrace` on older \
            kernels...). Setting the profile to `Unconfined` switches that protection off on \
            purpose (Disable or Modify Tools) and hands the full kernel attack surface to \
            whoever runs code in the container (Escape to Host). The legacy annotations \
            `seccomp.security.alpha.kubernetes.io/pod` and \
            `container.seccomp.security.alpha.kubernetes.io/<container>` still take effect \
            (the API server copies them into the fields when the pod is created) and are \
            checked too.",
        remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` \
            with a tailored profile), at pod level so every container inherits it, and remove \
            `Unconfined` fields and `unconfined` annotations.",
        bad_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext:
            seccompProfile: {type: Unconfined}
          containers:
            - name: report
              image: registry.example.com/report:1.0.4
"#,
        good_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext:
            seccompProfile: {type: RuntimeDefault}
          containers:
            - name: report
              image: registry.example.com/report:1.0.4
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    report_unconfined(
        workload,
        out,
        seccomp,
        "a legacy seccomp annotation set to `unconfined`",
        "seccompProfile type Unconfined",
        "seccomp",
    );
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    fn deployment(annotations: &str, pod_sc: &str, app_sc: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  selector: {{matchLabels: {{app: d}}}}\n  template:\n    metadata:\n      labels: {{app: d}}\n      annotations: {annotations}\n    spec:\n      securityContext: {pod_sc}\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {app_sc}\n        - name: side\n          image: side:1\n"
        )
    }

    #[test]
    fn pod_level_unconfined_is_one_finding_for_the_inheriting_containers() {
        let found = findings(
            &CHECK,
            &deployment(
                "{}",
                "{seccompProfile: {type: Unconfined}}",
                "{seccompProfile: {type: RuntimeDefault}}",
            ),
        );
        assert_eq!(
            found,
            [(
                "/spec/template/spec/securityContext/seccompProfile/type".to_owned(),
                "seccompProfile type Unconfined disables seccomp for container `side`".to_owned()
            )]
        );
    }

    #[test]
    fn legacy_annotations_are_read_from_the_pod_template() {
        let found = findings(
            &CHECK,
            &deployment(
                "{container.seccomp.security.alpha.kubernetes.io/app: unconfined}",
                "{}",
                "{}",
            ),
        );
        assert_eq!(
            found,
            [(
                "/spec/template/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1app".to_owned(),
                "a legacy seccomp annotation set to `unconfined` disables seccomp for container `app`".to_owned()
            )]
        );
        let found = findings(
            &CHECK,
            &deployment(
                "{seccomp.security.alpha.kubernetes.io/pod: unconfined}",
                "{}",
                "{}",
            ),
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.ends_with("container `app` and container `side`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_container_field_overrides_an_unconfined_pod_annotation() {
        let found = findings(
            &CHECK,
            &deployment(
                "{seccomp.security.alpha.kubernetes.io/pod: unconfined}",
                "{seccompProfile: {type: RuntimeDefault}}",
                "{}",
            ),
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
