//! PAL-K8S-105: a CronJob (inventory of scheduled workloads).

use super::util::list_some;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-105",
        name: "cronjob-scheduled-workload",
        title: "CronJob: scheduled workload to review",
        severity: Severity::Info,
        techniques: &["T1053.007"],
        target: CheckTarget::K8sObject,
        rationale: "A CronJob starts new pods on a schedule for as long as it exists, which \
            is how attackers keep a foothold in a cluster: a miner or a reverse shell that \
            comes back every few minutes after its pods are deleted. Reported for inventory: \
            every CronJob should be expected, owned, and run an image and service account \
            someone reviewed.",
        remediation: "Confirm the CronJob is expected and owned; give it a dedicated service \
            account with only what it needs, pin its image, and suppress this finding for \
            reviewed jobs.",
        bad_example: r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup, namespace: ops}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - {name: cleanup, image: "busybox:1.36", args: [sh, -c, "echo done"]}
"#,
        good_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: cleanup, namespace: ops}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - {name: cleanup, image: "busybox:1.36", args: [sh, -c, "echo done"]}
"#,
    },
    run: Run::Object(run),
};

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if object.kind() != "CronJob" || object.api_group() != "batch" {
        return;
    }
    let root = object.cursor();
    let schedule = root.get_path(&["spec", "schedule"]);
    let when = schedule.as_ref().and_then(|s| s.text()).map_or_else(
        || "on a schedule".to_owned(),
        |s| format!("on schedule `{s}`"),
    );
    let images: Vec<&str> = object
        .workload()
        .map(|w| {
            w.containers()
                .iter()
                .filter_map(|c| c.cursor.text_of("image"))
                .collect()
        })
        .unwrap_or_default();
    let image = if images.is_empty() {
        String::new()
    } else {
        format!(" (image {})", list_some(&images, 3))
    };
    let suspended = if root
        .get_path(&["spec", "suspend"])
        .and_then(|c| c.as_bool())
        == Some(true)
    {
        ", currently suspended"
    } else {
        ""
    };
    out.report(
        schedule.unwrap_or(root).spot(),
        format!(
            "{} starts pods {when}{image}{suspended}: confirm it is expected and owned",
            object.display_name()
        ),
    );
}
