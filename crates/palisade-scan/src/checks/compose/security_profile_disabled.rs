//! PAL-CMP-008: a Compose service turns off seccomp, AppArmor or SELinux confinement.

use super::util::text_items;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-008",
        name: "security-profile-disabled",
        title: "Seccomp, AppArmor or SELinux confinement disabled",
        severity: Severity::Medium,
        techniques: &["T1611", "T1562.001"],
        target: CheckTarget::Compose,
        rationale: "Docker's default seccomp profile blocks the system calls most kernel \
            exploits and escape techniques need (`unshare`, `mount`, `keyctl`, `bpf`...), and \
            the default AppArmor/SELinux policy stops writes to `/proc` and `/sys` knobs such \
            as `core_pattern`. `unconfined`/`label=disable` switch those defences off, so a \
            kernel bug or extra capability is enough to reach the host.",
        remediation: "Remove the `security_opt` entry. If a system call is genuinely needed, use \
            a custom seccomp profile (`seccomp=./profile.json`) that allows only that call.",
        bad_example: "services:\n  app:\n    image: example/app:1.0\n    security_opt:\n      - seccomp:unconfined\n      - apparmor=unconfined\n",
        good_example: "services:\n  app:\n    image: example/app:1.0\n    security_opt:\n      - no-new-privileges:true\n      - seccomp=./seccomp.json\n",
    },
    run: Run::Compose(run),
};

/// What an option disables, if it disables a confinement layer. Docker accepts `key:value`
/// and `key=value`.
fn disabled_layer(option: &str) -> Option<&'static str> {
    let lower = option.trim().to_ascii_lowercase();
    let (key, value) = lower.split_once([':', '='])?;
    match (key.trim(), value.trim()) {
        ("seccomp", "unconfined") => Some("seccomp"),
        ("apparmor", "unconfined") => Some("AppArmor"),
        ("label", "disable") => Some("SELinux labelling"),
        ("label", "type:spc_t") => Some("SELinux confinement (spc_t)"),
        ("systempaths", "unconfined") => Some("masking of /proc and /sys paths"),
        _ => None,
    }
}

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for (text, cursor) in text_items(service, "security_opt") {
        if let Some(layer) = disabled_layer(text) {
            out.report(
                cursor.spot(),
                format!(
                    "service `{}` disables {layer} (`{}`)",
                    service.name,
                    text.trim()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::disabled_layer;

    #[test]
    fn both_separators() {
        assert_eq!(disabled_layer("seccomp=unconfined"), Some("seccomp"));
        assert_eq!(disabled_layer("seccomp:unconfined"), Some("seccomp"));
        assert_eq!(disabled_layer("label:disable"), Some("SELinux labelling"));
        assert_eq!(
            disabled_layer("label=type:spc_t"),
            Some("SELinux confinement (spc_t)")
        );
        assert_eq!(disabled_layer("label=type:svirt_apache_t"), None);
        assert_eq!(disabled_layer("seccomp=./profile.json"), None);
        assert_eq!(disabled_layer("no-new-privileges"), None);
    }
}
