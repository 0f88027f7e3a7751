//! PAL-CMP-012: a Compose service runs an image with no tag or the `latest` tag.

use super::super::dockerfile::util::{is_template_placeholder, parse_image_ref};
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-012",
        name: "image-mutable-tag",
        title: "Compose service image uses the latest tag or no tag",
        severity: Severity::Medium,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Compose,
        rationale: "`image: name` and `image: name:latest` run whatever the registry serves when \
            the image is pulled. A compromised or typo-squatted repository, or anyone who can \
            push to it, changes what runs on the next `docker compose pull`/`up` with nothing \
            in the file changing, and two hosts can run different code from the same file.",
        remediation: "Use a specific version tag (`postgres:16.4`), preferably with its digest \
            (`postgres:16.4@sha256:...`), and update it deliberately.",
        bad_example: "services:\n  db:\n    image: postgres\n  proxy:\n    image: ${PROXY_IMAGE:-nginx:latest}\n",
        good_example: "services:\n  db:\n    image: postgres:16.4\n  app:\n    build: .\n    image: example/app\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let cursor = service.cursor();
    // With `build:`, `image:` names the image Compose builds, not one pulled from a registry.
    if cursor.get("build").is_some() {
        return;
    }
    let Some(image) = cursor.get("image") else {
        return;
    };
    let Some(reference) = image.text().map(str::trim) else {
        return;
    };
    // `image: ${IMAGE}` with the variable unset interpolates to nothing: Compose would fail.
    if reference.is_empty() || is_template_placeholder(reference) {
        return;
    }
    if let Some(why) = parse_image_ref(reference).mutable_tag() {
        out.report(
            image.spot(),
            format!("service `{}` image `{reference}` {why}", service.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn tags_digests_build_and_interpolation() {
        let f = findings(
            "PAL-CMP-012",
            "compose.yaml",
            "services:\n  a:\n    image: redis\n  b:\n    image: registry.local:5000/team/app\n  c:\n    image: nginx:latest@sha256:0123abcd\n  d:\n    image: ${IMG:-nginx:1.27}\n  e:\n    build: ./e\n    image: team/e\n  f:\n    image: ${UNSET_IMAGE}\n  g:\n    image: \"ghcr.io/o/app:${TAG:-latest}\"\n",
        );
        let lines: Vec<u32> = f.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 5, 16]);
    }
}
