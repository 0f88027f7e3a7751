//! PAL-DF-008: the build uses `sudo` or installs it into the image.

use super::util::{effective_keyword, installed_packages, invocation, package_is, run_commands};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-008",
        name: "sudo-in-image",
        title: "sudo used or installed in the image",
        severity: Severity::Low,
        techniques: &["T1068"],
        target: CheckTarget::Dockerfile,
        rationale: "`sudo` in an image is a ready-made path from the application user back to \
            root: a permissive sudoers entry, a weak or known password, or a vulnerability in \
            sudo itself (such as CVE-2021-3156) turns code execution as the app user into root \
            in the container. A build step does not need it, since it already runs as the \
            Dockerfile's current `USER`.",
        remediation: "Do not install sudo. Run privileged build steps before switching `USER`, \
            or switch back with `USER root` for them; for an entrypoint that must drop \
            privileges use `gosu` or `su-exec`.",
        bad_example: "FROM debian:12\nRUN apt-get update && apt-get install -y sudo curl\nUSER app\nRUN sudo apt-get install -y git\n",
        good_example: "FROM debian:12\nRUN apt-get update && apt-get install -y curl git gosu\nUSER app\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "RUN" {
            continue;
        }
        let mut runs_sudo = false;
        let mut installs_sudo = false;
        for command in run_commands(instruction) {
            let Some(inv) = invocation(&command.words) else {
                continue;
            };
            runs_sudo |= inv.sudo;
            installs_sudo |= installed_packages(&inv)
                .is_some_and(|(_, packages)| packages.iter().any(|p| package_is(p, "sudo")));
        }
        let message = match (runs_sudo, installs_sudo) {
            (_, true) => "RUN installs the sudo package",
            (true, false) => "RUN invokes sudo",
            (false, false) => continue,
        };
        out.report(df.spot(instruction), message.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn messages(src: &str) -> Vec<(u32, String)> {
        findings("PAL-DF-008", "Dockerfile", src)
    }

    #[test]
    fn sudo_commands_and_packages() {
        let m = messages(
            "FROM a:1\nRUN apk add --no-cache sudo\nRUN echo sudo && ls /etc/sudoers.d\nRUN [\"sudo\", \"ls\"]\nRUN set -e; DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y x\nRUN apt-get purge -y sudo\nRUN yum install -y sudo-1.9.5p2\n",
        );
        assert_eq!(
            m,
            vec![
                (2, "RUN installs the sudo package".to_owned()),
                (4, "RUN invokes sudo".to_owned()),
                (5, "RUN invokes sudo".to_owned()),
                (7, "RUN installs the sudo package".to_owned()),
            ]
        );
    }
}
