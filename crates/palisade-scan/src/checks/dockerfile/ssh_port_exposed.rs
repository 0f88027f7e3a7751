//! PAL-DF-009: the image exposes the SSH port.

use super::util::{effective_keyword, exposed_ports};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-009",
        name: "image-ssh-port-exposed",
        title: "SSH port 22 exposed",
        severity: Severity::Medium,
        techniques: &["T1133"],
        target: CheckTarget::Dockerfile,
        rationale: "`EXPOSE 22` means the image is meant to run an SSH server. A remote login \
            service in a container is an external way in that bypasses the orchestrator's \
            access control and audit trail; with a guessed, leaked or image-baked password or \
            key, an attacker gets an interactive shell in every container started from it.",
        remediation: "Remove the SSH server and `EXPOSE 22`; use `docker exec` or \
            `kubectl exec` (audited and RBAC-controlled) to get into a container.",
        bad_example: "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y openssh-server\nEXPOSE 22/tcp 8080\n",
        good_example: "FROM ubuntu:24.04\nEXPOSE 8080 22/udp\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "EXPOSE" {
            continue;
        }
        for port in exposed_ports(df, instruction) {
            if port.covers_tcp(22) {
                out.report(
                    df.spot(instruction),
                    format!("EXPOSE {} publishes the SSH port", port.text),
                );
            }
        }
    }
}
