//! PAL-K8S-033: a container may start from an image cached on the node.

use super::util::images::{ImageRef, is_judgeable};
use super::util::{present, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-033",
        name: "image-pull-policy-not-always",
        title: "Image pull policy is not Always",
        severity: Severity::Info,
        techniques: &["T1204.003"],
        target: CheckTarget::Workload,
        rationale: "With `IfNotPresent` or `Never`, the kubelet starts the container from any \
            image already on the node under that name. Whatever was cached there, by an \
            earlier pull of a since-moved tag or by someone with access to the node's runtime, \
            is what runs (Malicious Image), and a pod without pull credentials can run a \
            private image that another tenant pulled. `Always` makes the kubelet check the \
            reference and the pod's credentials with the registry on every start; layers \
            still come from the cache when unchanged. Images pinned by digest are not reported: \
            the digest already fixes the content. When the field is unset, Kubernetes uses \
            `Always` only for untagged and `latest` images.",
        remediation: "Set `imagePullPolicy: Always`, or pin the image by digest. On clusters \
            with the `AlwaysPullImages` admission plugin or the kubelet's pulled-image \
            credential verification enabled this finding is informational.",
        bad_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
        - name: checkout
          image: registry.example.com/checkout:4.0.0
          imagePullPolicy: IfNotPresent
"#,
        good_example: r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
        - name: checkout
          image: registry.example.com/checkout:4.0.0
          imagePullPolicy: Always
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        let Some(reference) = container
            .image()
            .and_then(|i| text(&i))
            .filter(|i| is_judgeable(i))
        else {
            continue;
        };
        let image = ImageRef::parse(reference);
        if image.is_pinned() {
            continue;
        }
        match present(container.cursor.get("imagePullPolicy")) {
            Some(policy) if text(&policy) == Some("Always") => {}
            Some(policy) => out.report(
                policy.spot(),
                format!(
                    "{} uses imagePullPolicy `{}`: a copy of `{reference}` cached on the node \
                     runs without the registry being asked",
                    container.label(),
                    policy.text().unwrap_or("?")
                ),
            ),
            // Unset: `Always` for no tag or `latest` (PAL-K8S-030 reports those), else
            // `IfNotPresent`.
            None if image.mutable_tag().is_some() => {}
            None => out.report(
                container.cursor.spot(),
                format!(
                    "{} sets no imagePullPolicy, so tagged image `{reference}` is pulled only \
                     if not already on the node (IfNotPresent)",
                    container.label()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::pointers;

    #[test]
    fn defaults_follow_the_tag() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: a, image: "app"}
    - {name: b, image: "app:latest"}
    - {name: c, image: "app:1.0"}
    - {name: d, image: "app:1.0", imagePullPolicy: Never}
    - {name: e, image: "app:latest", imagePullPolicy: IfNotPresent}
    - {name: f, image: "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", imagePullPolicy: IfNotPresent}
    - {name: g, image: "app:1.0", imagePullPolicy: Always}
"#;
        assert_eq!(
            pointers(&CHECK, yaml),
            [
                "/spec/containers/2",
                "/spec/containers/3/imagePullPolicy",
                "/spec/containers/4/imagePullPolicy"
            ]
        );
    }
}
