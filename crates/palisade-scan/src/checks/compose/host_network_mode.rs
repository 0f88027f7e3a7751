//! PAL-CMP-003: a Compose service uses the host's network stack.

use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-003",
        name: "host-network-mode",
        title: "Compose service uses the host network",
        severity: Severity::Medium,
        techniques: &["T1046"],
        target: CheckTarget::Compose,
        rationale: "With `network_mode: host` the container has the host's interfaces: it can \
            reach services bound to the host's localhost (the Docker API on a TCP port, \
            databases, cloud metadata helpers), scan every network the host is on, sniff \
            traffic with `NET_RAW`, and every port it opens is open on the host with no \
            published-port filtering.",
        remediation: "Remove `network_mode: host`; attach the service to a user-defined network \
            and publish only the ports it serves (bound to `127.0.0.1` when only local \
            clients need them).",
        bad_example: "services:\n  exporter:\n    image: example/exporter:0.9\n    network_mode: host\n",
        good_example: "services:\n  exporter:\n    image: example/exporter:0.9\n    ports: [\"127.0.0.1:9100:9100\"]\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    if let Some(mode) = service.cursor().get("network_mode")
        && mode
            .text()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("host"))
    {
        out.report(
            mode.spot(),
            format!(
                "service `{}` uses the host's network namespace",
                service.name
            ),
        );
    }
}
