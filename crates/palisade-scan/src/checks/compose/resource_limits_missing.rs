//! PAL-CMP-010: a Compose service has neither a memory nor a CPU limit.

use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use crate::spot::Cursor;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-010",
        name: "service-resource-limits-missing",
        title: "Compose service has no memory or CPU limit",
        severity: Severity::Low,
        techniques: &["T1496.001", "T1499"],
        target: CheckTarget::Compose,
        rationale: "An unlimited container can take every CPU and all the memory of the host. A \
            compromised service becomes a free cryptominer, and a runaway or attacked one \
            starves the other services on the host (or triggers the kernel's OOM killer on \
            them).",
        remediation: "Set `deploy.resources.limits.memory` and `.cpus` (or `mem_limit` and \
            `cpus`), and `pids_limit` against fork bombs.",
        bad_example: "services:\n  worker:\n    image: example/worker:2.0\n    pids_limit: 200\n",
        good_example: "services:\n  worker:\n    image: example/worker:2.0\n    deploy:\n      resources:\n        limits:\n          cpus: \"1.5\"\n          memory: 512M\n  cache:\n    image: example/cache:7.2\n    mem_limit: 256m\n",
    },
    run: Run::Compose(run),
};

/// A limit that is set to something other than 0 (Compose's and Docker's "unlimited").
fn is_set(cursor: Option<Cursor<'_>>) -> bool {
    cursor
        .and_then(|c| c.text())
        .map(str::trim)
        .is_some_and(|t| !t.is_empty() && !t.chars().all(|c| c == '0' || c == '.'))
}

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let cursor = service.cursor();
    let limits = cursor.get_path(&["deploy", "resources", "limits"]);
    let limit = |key: &str| is_set(limits.as_ref().and_then(|l| l.get(key)));
    let memory = is_set(cursor.get("mem_limit")) || limit("memory");
    let cpu = ["cpus", "cpu_quota", "cpu_count", "cpu_percent"]
        .iter()
        .any(|k| is_set(cursor.get(k)))
        || limit("cpus");
    if memory || cpu {
        return;
    }
    let at = limits
        .or_else(|| cursor.get_path(&["deploy", "resources"]))
        .or_else(|| cursor.get("deploy"))
        .unwrap_or(cursor);
    out.report(
        at.spot(),
        format!("service `{}` has no memory or CPU limit", service.name),
    );
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn memory_or_cpu_is_enough() {
        let f = findings(
            "PAL-CMP-010",
            "compose.yaml",
            "services:\n  mem:\n    image: x:1\n    mem_limit: 1g\n  cpu:\n    image: x:1\n    cpus: 0.5\n  deploy_mem:\n    image: x:1\n    deploy:\n      resources:\n        limits:\n          memory: 50M\n  reservations_only:\n    image: x:1\n    deploy:\n      resources:\n        reservations:\n          memory: 50M\n  zero:\n    image: x:1\n    mem_limit: 0\n    cpus: \"0.0\"\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (18, "service `reservations_only` has no memory or CPU limit"),
                (21, "service `zero` has no memory or CPU limit"),
            ]
        );
    }
}
