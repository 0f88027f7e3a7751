//! PAL-K8S-031: an image is referenced by a tag without a digest.

use super::util::images::{ImageRef, is_judgeable};
use super::util::text;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-031",
        name: "image-not-pinned-by-digest",
        title: "Image not pinned by digest",
        severity: Severity::Low,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Workload,
        rationale: "Version tags look fixed but are not: whoever can push to the repository can \
            move `1.4.2` to a different image, and registries and mirrors can serve different \
            content under the same tag. Only a digest (`@sha256:…`) names one exact image, so \
            a tag-only reference lets a compromised registry account or build pipeline swap \
            in a backdoored image that the cluster pulls on the next restart or scale-up \
            (Malicious Image, Implant Internal Image). Images with no tag or `latest` are \
            reported by PAL-K8S-030 instead.",
        remediation: "Append the digest of the tested image: \
            `image: registry.example.com/app:1.4.2@sha256:…` (the tag then documents, the \
            digest decides); let a dependency bot or your CD tooling update it.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: collector}
spec:
  selector: {matchLabels: {app: collector}}
  template:
    metadata: {labels: {app: collector}}
    spec:
      containers:
        - name: collector
          image: otel/opentelemetry-collector:0.108.0
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: collector}
spec:
  selector: {matchLabels: {app: collector}}
  template:
    metadata: {labels: {app: collector}}
    spec:
      containers:
        - name: collector
          image: otel/opentelemetry-collector:0.108.0@sha256:9d9b4a1b4d5e7b2c8b6b0a3f5d8c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d
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
        let parsed = ImageRef::parse(reference);
        if parsed.is_pinned() || parsed.mutable_tag().is_some() {
            continue;
        }
        out.report(
            image.spot(),
            format!(
                "{} uses image `{reference}` by tag only, without a `@sha256:` digest",
                container.label()
            ),
        );
    }
}
