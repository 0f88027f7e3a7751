//! PAL-CMP-005: a Compose service mounts a sensitive host directory.

use super::util::{host_mounts, runtime_socket, sensitive_host_path};
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-005",
        name: "sensitive-host-path-mounted",
        title: "Sensitive host path mounted into a Compose service",
        severity: Severity::High,
        techniques: &["T1611", "T1552.001"],
        target: CheckTarget::Compose,
        rationale: "Bind-mounting `/`, `/etc`, `/root`, `/home`, `/proc`, `/sys`, `/dev`, `/boot`, \
            the runtime's or kubelet's state directories or the host's logs hands the container \
            the host's credentials (shadow file, SSH keys, kubeconfigs, other containers' \
            secrets) and, when writable, a way to run code on the host through cron, systemd \
            units, authorized_keys or kernel interfaces.",
        remediation: "Mount only the specific project directory or file the service needs, \
            read-only (`:ro`), or use a named volume; never a system directory or one of its \
            parents.",
        bad_example: "services:\n  agent:\n    image: example/agent:3.2\n    volumes:\n      - /:/host:ro\n      - type: bind\n        source: /var/log\n        target: /logs\n",
        good_example: "services:\n  agent:\n    image: example/agent:3.2\n    volumes:\n      - ./config:/etc/agent:ro\n      - /etc/localtime:/etc/localtime:ro\n      - agent_logs:/var/log/agent\nvolumes:\n  agent_logs: {}\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for mount in host_mounts(service) {
        let Some(absolute) = &mount.absolute else {
            continue;
        };
        // Runtime sockets and their directories are PAL-CMP-004's finding.
        if runtime_socket(absolute).is_some() {
            continue;
        }
        if let Some(dir) = sensitive_host_path(absolute) {
            let relation = if absolute == dir {
                String::new()
            } else if absolute.starts_with(dir) || dir == "/" {
                format!(", inside `{dir}`")
            } else {
                format!(", a parent of `{dir}`")
            };
            out.report(
                mount.cursor.spot(),
                format!(
                    "service `{}` mounts host path `{}`{relation} at `{}`",
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
    fn short_long_parents_and_harmless_paths() {
        let f = findings(
            "PAL-CMP-005",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    volumes:\n      - /var:/host/var\n      - /proc:/host/proc:ro\n      - ./data:/data\n      - data:/var/log\n      - /var/log\n      - /etc/localtime:/etc/localtime:ro\n      - /var/run/docker.sock:/var/run/docker.sock\n      - ~/.ssh:/root/.ssh:ro\n      - ~/projects/app:/app\n      - type: bind\n        source: /sys/fs/cgroup\n        target: /sys/fs/cgroup\n        read_only: true\n      - type: volume\n        source: etc\n        target: /etc/app\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    5,
                    "service `a` mounts host path `/var`, a parent of `/var/lib/docker` at `/host/var`"
                ),
                (6, "service `a` mounts host path `/proc` at `/host/proc`"),
                (
                    12,
                    "service `a` mounts host path `~/.ssh`, inside `/home` at `/root/.ssh`"
                ),
                (
                    14,
                    "service `a` mounts host path `/sys/fs/cgroup`, inside `/sys` at `/sys/fs/cgroup`"
                ),
            ]
        );
    }
}
