//! PAL-CMP-001: a Compose service runs privileged.

use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-001",
        name: "privileged-service",
        title: "Compose service runs privileged",
        severity: Severity::Critical,
        techniques: &["T1611"],
        target: CheckTarget::Compose,
        rationale: "`privileged: true` gives the container every capability and every host \
            device with no seccomp or AppArmor profile; breaking out to the Docker host is a \
            matter of mounting its disk.",
        remediation: "Remove `privileged: true` and add only the capabilities the service needs \
            with `cap_add`.",
        bad_example: "services:\n  agent:\n    image: example/agent:1.4\n    privileged: ${AGENT_PRIVILEGED:-true}\n",
        good_example: "services:\n  agent:\n    image: example/agent:1.4\n    cap_add: [NET_BIND_SERVICE]\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let cursor = service.cursor();
    if let Some(flag) = cursor.get("privileged")
        && flag.as_bool() == Some(true)
    {
        out.report(
            flag.spot(),
            format!("service `{}` runs privileged", service.name),
        );
    }
}
