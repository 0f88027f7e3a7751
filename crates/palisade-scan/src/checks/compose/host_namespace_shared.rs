//! PAL-CMP-002: a Compose service shares the host's PID, IPC or user namespace.

use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-002",
        name: "host-namespace-shared",
        title: "Compose service shares a host namespace",
        severity: Severity::High,
        techniques: &["T1611"],
        target: CheckTarget::Compose,
        rationale: "`pid: host` lets the container see and signal every host process and, as \
            root, read their memory and environment through `/proc/<pid>` (and `nsenter` into \
            PID 1 with enough capabilities); `ipc: host` exposes the host's shared memory and \
            message queues; `userns_mode: host` turns off user-namespace remapping, so root in \
            the container is root on the host. Each removes a wall between container and host.",
        remediation: "Remove `pid: host`, `ipc: host` and `userns_mode: host`; use \
            `pid: service:<name>` or `ipc: shareable`/`service:<name>` to share with another \
            container when that is what is needed.",
        bad_example: "services:\n  monitor:\n    image: example/monitor:2.1\n    pid: host\n    ipc: host\n",
        good_example: "services:\n  monitor:\n    image: example/monitor:2.1\n    pid: \"service:app\"\n  app:\n    image: example/app:1.0\n    ipc: shareable\n",
    },
    run: Run::Compose(run),
};

const KEYS: &[(&str, &str)] = &[("pid", "PID"), ("ipc", "IPC"), ("userns_mode", "user")];

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let cursor = service.cursor();
    for &(key, namespace) in KEYS {
        if let Some(value) = cursor.get(key)
            && value
                .text()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("host"))
        {
            out.report(
                value.spot(),
                format!(
                    "service `{}` shares the host's {namespace} namespace (`{key}: host`)",
                    service.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn one_finding_per_key() {
        let f = findings(
            "PAL-CMP-002",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    pid: host\n    ipc: \"host\"\n    userns_mode: host\n  b:\n    image: x:1\n    pid: \"service:a\"\n    ipc: private\n",
        );
        let lines: Vec<u32> = f.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![4, 5, 6]);
        assert!(f[2].1.contains("user namespace"), "{f:?}");
    }
}
