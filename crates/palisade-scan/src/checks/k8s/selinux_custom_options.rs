//! PAL-K8S-022: a container gets an SELinux type, user or role outside the container
//! defaults.

use super::util::{Grouped, at, effective, is_windows, text};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-022",
        name: "selinux-custom-options",
        title: "Custom SELinux type, user or role",
        severity: Severity::Medium,
        techniques: &["T1611", "T1562.001"],
        target: CheckTarget::Workload,
        rationale: "On SELinux nodes the container's process type decides what it may touch on \
            the host. The container types (`container_t` and its init, KVM and engine variants) \
            keep it away from host files, devices and other containers even when it runs as \
            root. `spc_t` (super-privileged container) and `unconfined_t` are exempt from that \
            policy, and a custom type, user or role replaces it with one nobody reviewed: \
            confinement is switched off (Disable or Modify Tools) and a container compromise \
            reaches the node more easily (Escape to Host). Only `level` (the MCS categories) is \
            safe to customise.",
        remediation: "Remove `seLinuxOptions.type`, `user` and `role` so the runtime assigns the \
            default container type, or use one of `container_t`, `container_init_t`, \
            `container_kvm_t` and `container_engine_t`; set `level` only if pods must share MCS \
            categories.",
        bad_example: r#"apiVersion: v1
kind: PodTemplate
metadata: {name: node-debug}
template:
  metadata: {labels: {app: node-debug}}
  spec:
    containers:
      - name: debug
        image: registry.example.com/debug:1.0.0
        securityContext:
          seLinuxOptions: {type: spc_t}
"#,
        good_example: r#"apiVersion: v1
kind: PodTemplate
metadata: {name: node-debug}
template:
  metadata: {labels: {app: node-debug}}
  spec:
    containers:
      - name: debug
        image: registry.example.com/debug:1.0.0
        securityContext:
          seLinuxOptions: {level: "s0:c123,c456"}
"#,
    },
    run: Run::Workload(run),
};

/// The types the Pod Security Standards' Baseline profile allows.
const CONFINED_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    if is_windows(workload) {
        return;
    }
    let mut types = Grouped::default();
    let mut users = Grouped::default();
    let mut roles = Grouped::default();
    for container in workload.containers() {
        // The kubelet takes the container's seLinuxOptions as a whole when it has one.
        let Some(options) = effective(workload, &container, &["seLinuxOptions"]) else {
            continue;
        };
        if let Some(ty) = at(&options, &["type"])
            && text(&ty).is_some_and(|t| !CONFINED_TYPES.contains(&t))
        {
            types.add(ty, container.label());
        }
        if let Some(user) = at(&options, &["user"])
            && text(&user).is_some()
        {
            users.add(user, container.label());
        }
        if let Some(role) = at(&options, &["role"])
            && text(&role).is_some()
        {
            roles.add(role, container.label());
        }
    }
    types.report(out, |cursor, who| {
        let ty = text(cursor).unwrap_or("?");
        let meaning = match ty {
            "spc_t" => "the super-privileged container type, which SELinux does not confine",
            "unconfined_t" => "a type SELinux does not confine",
            _ => "not one of the confined container types",
        };
        format!("SELinux type `{ty}` for {who} is {meaning}")
    });
    users.report(out, |cursor, who| {
        format!(
            "{who} gets the custom SELinux user `{}`",
            text(cursor).unwrap_or("?")
        )
    });
    roles.report(out, |cursor, who| {
        format!(
            "{who} gets the custom SELinux role `{}`",
            text(cursor).unwrap_or("?")
        )
    });
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn types_users_and_roles() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seLinuxOptions: {type: unconfined_t, user: system_u}
  containers:
    - {name: a, image: app:1}
    - {name: b, image: app:1, securityContext: {seLinuxOptions: {type: container_init_t, level: "s0:c1,c2"}}}
    - {name: c, image: app:1, securityContext: {seLinuxOptions: {type: my_custom_t, role: system_r}}}
    - {name: d, image: app:1, securityContext: {seLinuxOptions: {level: "s0:c1,c2", type: ""}}}
"#;
        let found = findings(&CHECK, yaml);
        assert_eq!(
            found,
            [
                (
                    "/spec/securityContext/seLinuxOptions/type".to_owned(),
                    "SELinux type `unconfined_t` for container `a` is a type SELinux does not confine".to_owned()
                ),
                (
                    "/spec/securityContext/seLinuxOptions/user".to_owned(),
                    "container `a` gets the custom SELinux user `system_u`".to_owned()
                ),
                (
                    "/spec/containers/2/securityContext/seLinuxOptions/type".to_owned(),
                    "SELinux type `my_custom_t` for container `c` is not one of the confined container types".to_owned()
                ),
                (
                    "/spec/containers/2/securityContext/seLinuxOptions/role".to_owned(),
                    "container `c` gets the custom SELinux role `system_r`".to_owned()
                ),
            ]
        );
    }
}
