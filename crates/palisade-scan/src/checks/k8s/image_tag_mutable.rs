//! PAL-K8S-030: an image is referenced by `latest` or by no tag at all.

use super::util::images::{ImageRef, MutableTag, is_judgeable};
use super::util::text;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-030",
        name: "image-tag-mutable",
        title: "Image uses the latest tag or no tag",
        severity: Severity::Medium,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Workload,
        rationale: "An image without a tag means `latest`, and `latest` is whatever was pushed \
            last. Which code runs depends on when and where the pod was scheduled, rollbacks do \
            not roll anything back, and anyone who can push to the repository, or take over an \
            abandoned public one, changes what the cluster runs at its next pull without \
            touching a manifest (Malicious Image, Implant Internal Image).",
        remediation: "Reference a specific version tag, or better an immutable digest \
            (`image: registry.example.com/app:1.4.2@sha256:…`), and update it through your \
            normal change process.",
        bad_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: seed}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: seed
          image: registry.example.com:5000/tools/seed
"#,
        good_example: r#"apiVersion: batch/v1
kind: Job
metadata: {name: seed}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: seed
          image: registry.example.com:5000/tools/seed:2.0.3
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        let Some(image) = container.image() else {
            continue;
        };
        let Some(reference) = text(&image).filter(|i| is_judgeable(i)) else {
            continue;
        };
        let message = match ImageRef::parse(reference).mutable_tag() {
            Some(MutableTag::Missing) => format!(
                "{} uses image `{reference}` with no tag or digest, which pulls whatever \
                 `latest` points to",
                container.label()
            ),
            Some(MutableTag::Latest) => format!(
                "{} uses image `{reference}` with the mutable tag `latest`",
                container.label()
            ),
            None => continue,
        };
        out.report(image.spot(), message);
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    #[test]
    fn tags_digests_and_registry_ports() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - {name: a, image: "nginx"}
  containers:
    - {name: b, image: "host:5000/app"}
    - {name: c, image: "host:5000/app:1.0"}
    - {name: d, image: "app:latest"}
    - {name: e, image: "app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
    - {name: f, image: "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
    - {name: g, image: "${IMAGE}"}
    - {name: h, image: ""}
    - {name: i, image: 1.0}
  ephemeralContainers:
    - {name: j, image: "busybox"}
"#;
        assert_eq!(
            pointers(&CHECK, yaml),
            [
                "/spec/initContainers/0/image",
                "/spec/containers/0/image",
                "/spec/containers/2/image",
                "/spec/containers/7/image",
                "/spec/ephemeralContainers/0/image"
            ]
        );
    }
}
