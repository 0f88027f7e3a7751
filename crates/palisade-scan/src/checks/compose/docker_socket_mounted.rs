//! PAL-CMP-004: a Compose service mounts a container runtime socket.

use super::util::{host_mounts, runtime_socket};
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-004",
        name: "docker-socket-mounted",
        title: "Container runtime socket mounted into a Compose service",
        severity: Severity::Critical,
        techniques: &["T1611", "T1610", "T1609"],
        target: CheckTarget::Compose,
        rationale: "The Docker, containerd, CRI-O or Podman socket is the runtime's full API \
            with no further authentication. A process that can write to it starts a \
            privileged container with the host's root filesystem mounted, or execs into any \
            other container: root on the host, even when the socket is mounted read-only.",
        remediation: "Do not mount the runtime socket. If a tool really needs the Docker API, \
            put a filtering proxy (such as docker-socket-proxy) in between that allows only \
            the read-only endpoints it uses, or use rootless Docker for that tool.",
        bad_example: "services:\n  ui:\n    image: portainer/portainer-ce:2.21.0\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n",
        good_example: "services:\n  ui:\n    image: portainer/portainer-ce:2.21.0\n    volumes:\n      - portainer_data:/data\n      - /var/run\nvolumes:\n  portainer_data: {}\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for mount in host_mounts(service) {
        let Some(absolute) = &mount.absolute else {
            continue;
        };
        if let Some(what) = runtime_socket(absolute) {
            out.report(
                mount.cursor.spot(),
                format!(
                    "service `{}` mounts `{}` ({what}) at `{}`",
                    service.name, mount.source, mount.target
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn long_syntax_and_directories() {
        let src = "services:\n  a:\n    image: x:1\n    volumes:\n      - type: bind\n        source: /run/containerd/containerd.sock\n        target: /c.sock\n      - /var/run/:/host-run\n      - ./docker.sock.d:/x\n      - /run/secrets:/s\n      - \\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine\n";
        let lines: Vec<u32> = findings("PAL-CMP-004", "compose.yaml", src)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(lines, vec![5, 8, 11]);
    }
}
