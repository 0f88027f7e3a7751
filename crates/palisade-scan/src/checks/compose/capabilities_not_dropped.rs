//! PAL-CMP-007: a Compose service keeps Docker's default capability set.

use super::util::text_items;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-007",
        name: "service-capabilities-not-dropped",
        title: "Compose service does not drop all capabilities",
        severity: Severity::Low,
        techniques: &["T1611"],
        target: CheckTarget::Compose,
        rationale: "Docker's default set still includes capabilities most services never use \
            (`NET_RAW` for spoofing and sniffing on the bridge, `MKNOD`, `SETUID`/`SETGID`, \
            `DAC_OVERRIDE`, `CHOWN`...). Each is kernel attack surface an attacker who lands in \
            the container can use, and several have featured in container escapes.",
        remediation: "Add `cap_drop: [ALL]` and list in `cap_add` only the capabilities the \
            service needs (often none, or `NET_BIND_SERVICE`).",
        bad_example: "services:\n  web:\n    image: example/web:1.8\n    cap_drop: [NET_RAW]\n",
        good_example: "services:\n  web:\n    image: example/web:1.8\n    cap_drop: [all]\n    cap_add: [NET_BIND_SERVICE]\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let drops = text_items(service, "cap_drop");
    let drops_all = drops.iter().any(|(text, _)| {
        let upper = text.trim().to_ascii_uppercase();
        upper == "ALL" || upper == "CAP_ALL"
    });
    if drops_all {
        return;
    }
    let at = service
        .cursor()
        .get("cap_drop")
        .unwrap_or_else(|| service.cursor());
    out.report(
        at.spot(),
        format!("service `{}` does not drop ALL capabilities", service.name),
    );
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn reported_at_cap_drop_or_service() {
        let f = findings(
            "PAL-CMP-007",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n    cap_drop:\n      - NET_RAW\n  c:\n    image: x:1\n    cap_drop: [CAP_ALL]\n  d:\n    image: x:1\n    cap_drop: ALL\n",
        );
        let lines: Vec<u32> = f.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 7]);
    }
}
