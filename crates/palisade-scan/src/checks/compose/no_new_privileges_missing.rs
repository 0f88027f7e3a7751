//! PAL-CMP-009: a Compose service allows setuid binaries to raise privileges.

use super::util::text_items;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-009",
        name: "no-new-privileges-missing",
        title: "Compose service does not set no-new-privileges",
        severity: Severity::Low,
        techniques: &["T1068"],
        target: CheckTarget::Compose,
        rationale: "Without `no-new-privileges`, a process in the container can gain privileges \
            by executing a setuid or setgid binary or one with file capabilities (`sudo`, `su`, \
            a vulnerable setuid helper), turning code execution as the application user into \
            root inside the container.",
        remediation: "Add `security_opt: [\"no-new-privileges:true\"]` to the service.",
        bad_example: "services:\n  app:\n    image: example/app:1.0\n    security_opt:\n      - no-new-privileges:false\n",
        good_example: "services:\n  app:\n    image: example/app:1.0\n    security_opt: [\"no-new-privileges=true\"]\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let mut explicit_off = None;
    for (text, cursor) in text_items(service, "security_opt") {
        let lower = text.trim().to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("no-new-privileges") else {
            continue;
        };
        match rest.trim_start_matches([':', '=']).trim() {
            "" | "true" => return,
            _ => explicit_off = Some(cursor),
        }
    }
    let (at, how) = match explicit_off {
        Some(cursor) => (cursor, "turns no-new-privileges off"),
        None => (
            service
                .cursor()
                .get("security_opt")
                .unwrap_or_else(|| service.cursor()),
            "does not set no-new-privileges",
        ),
    };
    out.report(at.spot(), format!("service `{}` {how}", service.name));
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn spellings_and_placement() {
        let f = findings(
            "PAL-CMP-009",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    security_opt: [no-new-privileges]\n  b:\n    image: x:1\n    security_opt: [\"no-new-privileges=true\"]\n  c:\n    image: x:1\n    security_opt:\n      - seccomp=./p.json\n  d:\n    image: x:1\n    security_opt: [\"no-new-privileges:false\"]\n  e:\n    image: x:1\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (11, "service `c` does not set no-new-privileges"),
                (14, "service `d` turns no-new-privileges off"),
                (16, "service `e` does not set no-new-privileges"),
            ]
        );
    }
}
