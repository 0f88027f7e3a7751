//! PAL-DF-013: the build installs an SSH server.

use super::util::{
    PackageManager, effective_keyword, installed_packages, invocation, package_is, run_commands,
};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-013",
        name: "ssh-server-installed",
        title: "SSH server installed in the image",
        severity: Severity::Medium,
        techniques: &["T1133"],
        target: CheckTarget::Dockerfile,
        rationale: "An SSH daemon in an image is a remote login service in every container, \
            outside the orchestrator's access control and audit log. Host keys and accounts \
            baked into the image are shared by all its copies, so one leaked password or key \
            opens them all, and the daemon is a further network-facing attack surface.",
        remediation: "Remove openssh-server/dropbear from the image and use `docker exec`, \
            `kubectl exec` or an ephemeral debug container to get a shell.",
        bad_example: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends openssh-server\nCMD [\"/usr/sbin/sshd\", \"-D\"]\n",
        good_example: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends openssh-client\n",
    },
    run: Run::Dockerfile(run),
};

/// The SSH server packages of a package manager (`ssh` is Debian's client+server
/// meta-package; Alpine's and Arch's `openssh` include the server).
fn ssh_server_package(manager: PackageManager, package: &str) -> bool {
    const SERVERS: &[&str] = &[
        "openssh-server",
        "openssh-server-pam",
        "dropbear",
        "dropbear-bin",
        "dropbear-run",
        "tinysshd",
        "tinyssh",
    ];
    SERVERS.iter().any(|p| package_is(package, p))
        || match manager {
            PackageManager::Apt => package == "ssh",
            PackageManager::Apk | PackageManager::Pacman => package == "openssh",
            _ => false,
        }
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "RUN" {
            continue;
        }
        let mut found: Vec<String> = Vec::new();
        for command in run_commands(instruction) {
            let Some(inv) = invocation(&command.words) else {
                continue;
            };
            let Some((manager, packages)) = installed_packages(&inv) else {
                continue;
            };
            for package in packages {
                if ssh_server_package(manager, &package) && !found.contains(&package) {
                    found.push(package);
                }
            }
        }
        if !found.is_empty() {
            out.report(
                df.spot(instruction),
                format!("RUN installs an SSH server ({})", found.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn messages(src: &str) -> Vec<String> {
        findings("PAL-DF-013", "Dockerfile", src)
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn managers_and_meta_packages() {
        let m = messages(
            "FROM a:1\nRUN apk add --no-cache openssh dropbear-scp openssh-server-pam\nRUN apt-get install -y ssh\nRUN apt-get install -y openssh-client\nRUN microdnf install -y openssh-server-8.7p1 && yum install -y openssh\nRUN apk add openssh-client openssh-keygen\n",
        );
        assert_eq!(
            m,
            vec![
                "RUN installs an SSH server (openssh, openssh-server-pam)",
                "RUN installs an SSH server (ssh)",
                "RUN installs an SSH server (openssh-server-8.7p1)",
            ]
        );
    }
}
