//! PAL-DF-010: the image exposes the Docker Engine API port.

use super::util::{effective_keyword, exposed_ports};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-010",
        name: "docker-api-port-exposed",
        title: "Docker Engine API port 2375/2376 exposed",
        severity: Severity::Critical,
        techniques: &["T1552.007", "T1609", "T1610"],
        target: CheckTarget::Dockerfile,
        rationale: "2375 is the Docker Engine API without TLS and 2376 with it; images that \
            expose them usually run a Docker daemon (docker-in-docker) listening on the \
            network. Anyone who reaches an unauthenticated daemon can list containers and read \
            their environment secrets, run commands in them, and start a privileged container \
            that mounts the host: the usual entry point of cryptomining campaigns.",
        remediation: "Do not expose the daemon on TCP. Use the Unix socket, or if remote access \
            is unavoidable, 2376 with mutual TLS (`--tlsverify`) on a private network only; \
            prefer rootless build tools (BuildKit, kaniko) over docker-in-docker.",
        bad_example: "FROM docker:27-dind\nEXPOSE 2375\n",
        good_example: "FROM docker:27-cli\nEXPOSE 8080\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "EXPOSE" {
            continue;
        }
        for port in exposed_ports(df, instruction) {
            for api in [2375, 2376] {
                if port.covers_tcp(api) {
                    let tls = if api == 2375 { "without TLS" } else { "TLS" };
                    out.report(
                        df.spot(instruction),
                        format!(
                            "EXPOSE {} publishes the Docker Engine API port {api} ({tls})",
                            port.text
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn count(src: &str, check: &str) -> usize {
        findings(check, "Dockerfile", src).len()
    }

    #[test]
    fn ports_ranges_protocols_and_variables() {
        assert_eq!(count("FROM a:1\nEXPOSE 2376/tcp\n", "PAL-DF-010"), 1);
        assert_eq!(count("FROM a:1\nEXPOSE 2370-2380\n", "PAL-DF-010"), 2);
        assert_eq!(count("FROM a:1\nEXPOSE 2375/udp 12375\n", "PAL-DF-010"), 0);
        assert_eq!(
            count("FROM a:1\nARG P=2375\nEXPOSE ${P}\n", "PAL-DF-010"),
            1
        );
        assert_eq!(
            count(
                "FROM a:1\nENV PORTS=\"22 80\"\nEXPOSE $PORTS\n",
                "PAL-DF-009"
            ),
            1
        );
        assert_eq!(count("FROM a:1\nEXPOSE 22/UDP 2222\n", "PAL-DF-009"), 0);
        assert_eq!(count("FROM a:1\nEXPOSE 20-30\n", "PAL-DF-009"), 1);
    }
}
