//! PAL-DF-007: a stage is built `FROM` a tag rather than an immutable digest.

use super::base_image_mutable_tag::mutable_tag;
use super::util::{base_image, parse_image_ref};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-007",
        name: "base-image-not-pinned-by-digest",
        title: "Base image not pinned by digest",
        severity: Severity::Low,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Dockerfile,
        rationale: "Version tags are mutable too: a registry account takeover or a careless \
            re-push changes what `python:3.12.4-slim` means without the Dockerfile changing. \
            Only a digest names exactly one image, so builds are reproducible and a swapped \
            base is noticed.",
        remediation: "Append the digest to the tag (`FROM python:3.12.4-slim@sha256:<digest>`, \
            from `docker buildx imagetools inspect`) and let a dependency bot update both.",
        bad_example: "FROM python:3.12.4-slim\nCOPY app.py /app.py\n",
        good_example: "FROM python:3.12.4-slim@sha256:2f3e3b0e7a8c1d6f4b5a9e0c7d2b1a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b\nCOPY app.py /app.py\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for stage in &df.stages {
        let Some(base) = base_image(df, stage.index) else {
            continue;
        };
        // A missing or `latest` tag is PAL-DF-006's finding; one finding per FROM is enough.
        if parse_image_ref(&base.reference).has_digest() || mutable_tag(&base).is_some() {
            continue;
        }
        if let Some(from) = df.instructions.get(stage.from) {
            out.report(
                df.spot(from),
                format!("base image `{}` is not pinned by digest", base.reference),
            );
        }
    }
}
