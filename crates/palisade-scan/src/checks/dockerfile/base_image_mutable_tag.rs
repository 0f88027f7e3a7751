//! PAL-DF-006: a stage is built `FROM` an image with no tag or the `latest` tag.

use super::util::{BaseImage, base_image, parse_image_ref};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-006",
        name: "base-image-mutable-tag",
        title: "Base image uses the latest tag or no tag",
        severity: Severity::Medium,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Dockerfile,
        rationale: "`FROM image` and `FROM image:latest` take whatever the registry serves at \
            build time. The base can change between two builds of the same commit, and a \
            compromised or typo-squatted repository, or an attacker who can push to it, gets \
            their layer into the image with nothing in the Dockerfile changing.",
        remediation: "Name a specific version tag (`python:3.12.4-slim`) and preferably pin the \
            digest as well (`python:3.12.4-slim@sha256:...`), updated by a bot such as \
            Renovate or Dependabot.",
        bad_example: "ARG BASE=ubuntu\nFROM golang AS build\nRUN go build -o /app .\nFROM ${BASE}\nCOPY --from=build /app /app\n",
        good_example: "ARG BASE=ubuntu:24.04\nFROM golang:1.22 AS build\nRUN go build -o /app .\nFROM ${BASE}\nCOPY --from=build /app /app\nFROM build AS test\nRUN go test ./...\nFROM scratch\nCOPY --from=build /app /app\n",
    },
    run: Run::Dockerfile(run),
};

/// Why `base` can change under the same name, if it can because of its tag.
pub(super) fn mutable_tag(base: &BaseImage) -> Option<&'static str> {
    parse_image_ref(&base.reference).mutable_tag()
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for stage in &df.stages {
        let Some(base) = base_image(df, stage.index) else {
            continue;
        };
        let Some(why) = mutable_tag(&base) else {
            continue;
        };
        let Some(from) = df.instructions.get(stage.from) else {
            continue;
        };
        let via = base
            .written
            .as_deref()
            .map(|w| format!(" (from `{w}`)"))
            .unwrap_or_default();
        out.report(
            df.spot(from),
            format!("base image `{}`{via} {why}", base.reference),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn lines(src: &str, check: &str) -> Vec<u32> {
        findings(check, "Dockerfile", src)
            .into_iter()
            .map(|(l, _)| l)
            .collect()
    }

    #[test]
    fn stage_names_scratch_args_and_digests() {
        let src = "ARG TAG=latest\nARG FIXED=3.12\nARG UNSET\nFROM python:${TAG} AS a\nFROM python:${FIXED}\nFROM a\nFROM scratch\nFROM $UNSET\nFROM localhost:5000/app\nFROM app:latest@sha256:abcd\nFROM --platform=$BUILDPLATFORM b:1\n";
        assert_eq!(lines(src, "PAL-DF-006"), vec![4, 9]);
        // PAL-DF-007 stays quiet where PAL-DF-006 fires and on pinned digests.
        assert_eq!(lines(src, "PAL-DF-007"), vec![5, 11]);
    }
}
