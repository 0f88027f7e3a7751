//! PAL-CMP-014: a Compose service publishes the Docker Engine API port.

use super::util::ports;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-014",
        name: "docker-api-port-published",
        title: "Docker Engine API port 2375/2376 published",
        severity: Severity::Critical,
        techniques: &["T1552.007", "T1609"],
        target: CheckTarget::Compose,
        rationale: "A service publishing container port 2375 or 2376 is almost always a Docker \
            daemon (docker-in-docker) or a socket proxy. Whoever reaches it drives that daemon: \
            reads container environments and secrets, execs into containers and starts \
            privileged ones that mount the host. Unauthenticated daemons on 2375 are scanned \
            for and hijacked within hours of exposure.",
        remediation: "Do not publish the daemon port. Services in the same Compose project \
            reach it over the project network; if the host needs it, bind to `127.0.0.1` and \
            use TLS client certificates (2376 with `--tlsverify`).",
        bad_example: "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n    ports:\n      - \"2375:2375\"\n",
        good_example: "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n    expose: [\"2376\"]\n  ci:\n    image: example/ci:1.0\n    environment:\n      DOCKER_HOST: tcp://dind:2376\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for (mapping, cursor) in ports(service) {
        for api in [2375, 2376] {
            if mapping.publishes_tcp(api) {
                let tls = if api == 2375 { "without TLS" } else { "TLS" };
                out.report(
                    cursor.spot(),
                    format!(
                        "service `{}` publishes the Docker Engine API port {api} ({tls}) as {}",
                        service.name,
                        mapping.describe()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn container_port_decides() {
        let f = findings(
            "PAL-CMP-014",
            "compose.yaml",
            "services:\n  a:\n    image: docker:27-dind\n    ports:\n      - \"127.0.0.1:12375:2375\"\n      - \"2375:8080\"\n      - 2370-2380:2370-2380\n      - \"2376/udp\"\n      - target: 2376\n        published: 2376\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    5,
                    "service `a` publishes the Docker Engine API port 2375 (without TLS) as 127.0.0.1:12375->2375/tcp"
                ),
                (
                    7,
                    "service `a` publishes the Docker Engine API port 2375 (without TLS) as 2370-2380->2370-2380/tcp"
                ),
                (
                    7,
                    "service `a` publishes the Docker Engine API port 2376 (TLS) as 2370-2380->2370-2380/tcp"
                ),
                (
                    9,
                    "service `a` publishes the Docker Engine API port 2376 (TLS) as 2376->2376/tcp"
                ),
            ]
        );
    }
}
