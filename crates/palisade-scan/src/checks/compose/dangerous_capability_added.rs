//! PAL-CMP-006: a Compose service adds a capability that breaks container isolation.

use super::util::text_items;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-006",
        name: "service-dangerous-capability-added",
        title: "Dangerous capability added to a Compose service",
        severity: Severity::High,
        techniques: &["T1611"],
        target: CheckTarget::Compose,
        rationale: "Capabilities outside Docker's default set give root in the container kernel \
            powers that are known escape routes: `SYS_ADMIN` mounts filesystems and cgroups, \
            `SYS_MODULE` loads kernel modules, `SYS_PTRACE` injects into processes, \
            `DAC_READ_SEARCH` opens host files by handle, `SYS_RAWIO` and `BPF` reach kernel \
            memory, `NET_ADMIN` reconfigures and sniffs the network, and `ALL` is all of them.",
        remediation: "Remove the capability from `cap_add`; start from `cap_drop: [ALL]` and add \
            back only narrow ones such as `NET_BIND_SERVICE`. If the tool truly needs one, \
            isolate it on a dedicated host.",
        bad_example: "services:\n  vpn:\n    image: example/vpn:1.8\n    cap_add:\n      - NET_ADMIN\n      - CAP_SYS_ADMIN\n",
        good_example: "services:\n  web:\n    image: example/web:1.8\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE, CHOWN]\n",
    },
    run: Run::Compose(run),
};

/// Capabilities outside Docker's default set that enable escape, host tampering or
/// credential access.
const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "NET_ADMIN",
    "BPF",
    "PERFMON",
    "DAC_READ_SEARCH",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
];

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for (text, cursor) in text_items(service, "cap_add") {
        let upper = text.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
        if DANGEROUS.contains(&name) {
            out.report(
                cursor.spot(),
                format!("service `{}` adds capability {name}", service.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn spellings() {
        let f = findings(
            "PAL-CMP-006",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    cap_add: [cap_sys_ptrace, CHOWN, all, NET_BIND_SERVICE]\n  b:\n    image: x:1\n    cap_add: SYS_ADMIN\n",
        );
        let messages: Vec<&str> = f.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "service `a` adds capability SYS_PTRACE",
                "service `a` adds capability ALL",
                "service `b` adds capability SYS_ADMIN",
            ]
        );
    }
}
