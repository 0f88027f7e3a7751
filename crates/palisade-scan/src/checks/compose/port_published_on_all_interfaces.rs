//! PAL-CMP-011: a Compose service publishes a port on every host interface.

use super::util::ports;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-011",
        name: "port-published-on-all-interfaces",
        title: "Port published on all host interfaces",
        severity: Severity::Low,
        techniques: &["T1133"],
        target: CheckTarget::Compose,
        rationale: "A `ports` entry without a host address binds `0.0.0.0` (and `::`), so the \
            service is reachable from every network the host is on, and Docker's iptables \
            rules bypass host firewalls such as ufw. Development databases, admin consoles and \
            debug ports meant for the local machine end up exposed to the network.",
        remediation: "Bind to the interface that needs it, usually loopback: \
            `\"127.0.0.1:8080:80\"` or `host_ip: 127.0.0.1` in the long syntax; leave a port \
            unpublished when only other services need it (they reach it over the Compose \
            network).",
        bad_example: "services:\n  db:\n    image: postgres:16.4\n    ports:\n      - \"5432:5432\"\n      - target: 8080\n        published: 8080\n",
        good_example: "services:\n  db:\n    image: postgres:16.4\n    ports:\n      - \"127.0.0.1:5432:5432\"\n      - target: 8080\n        published: 8080\n        host_ip: \"::1\"\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for (mapping, cursor) in ports(service) {
        if mapping.all_interfaces() {
            out.report(
                cursor.spot(),
                format!(
                    "service `{}` publishes port {} on all host interfaces",
                    service.name,
                    mapping.describe()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn short_and_long_syntax() {
        let f = findings(
            "PAL-CMP-011",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    ports:\n      - \"3000\"\n      - 127.0.0.1:8080:80\n      - \"0.0.0.0:5432:5432\"\n      - \"8080-8081:80-81/udp\"\n      - target: 443\n        published: \"8443\"\n        host_ip: 0.0.0.0\n      - target: 9000\n        host_ip: 127.0.0.1\n      - \"[::1]:53:53/udp\"\n    expose: [\"9999\"]\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    5,
                    "service `a` publishes port 3000/tcp on all host interfaces"
                ),
                (
                    7,
                    "service `a` publishes port 0.0.0.0:5432->5432/tcp on all host interfaces"
                ),
                (
                    8,
                    "service `a` publishes port 8080-8081->80-81/udp on all host interfaces"
                ),
                (
                    9,
                    "service `a` publishes port 0.0.0.0:8443->443/tcp on all host interfaces"
                ),
            ]
        );
    }
}
