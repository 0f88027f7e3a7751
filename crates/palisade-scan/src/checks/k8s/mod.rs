//! Checks of this family, one per file.

use super::Check;

mod util;

mod privileged_container;

mod apparmor_unconfined;
mod container_capabilities_not_dropped;
mod container_dangerous_capability_added;
mod container_resource_limits_missing;
mod container_runs_as_root;
mod container_runtime_socket_mount;
mod default_service_account;
mod host_ipc;
mod host_network;
mod host_path_credentials;
mod host_path_etc;
mod host_path_kernel_interfaces;
mod host_path_root;
mod host_path_var_log;
mod host_path_volume;
mod host_pid;
mod host_port;
mod image_not_pinned_by_digest;
mod image_pull_policy_not_always;
mod image_tag_mutable;
mod known_miner_image;
mod net_raw_capability;
mod privilege_escalation_allowed;
mod seccomp_profile_missing;
mod seccomp_unconfined;
mod secret_in_env_from_secret;
mod secret_in_env_literal;
mod selinux_custom_options;
mod service_account_token_automount;
mod unmasked_proc_mount;
mod unsafe_sysctls;
mod windows_host_process;
mod writable_root_filesystem;

/// The checks of this family, in id order.
pub(crate) const CHECKS: &[&Check] = &[
    &privileged_container::CHECK,                 // PAL-K8S-001
    &privilege_escalation_allowed::CHECK,         // PAL-K8S-002
    &container_dangerous_capability_added::CHECK, // PAL-K8S-003
    &container_capabilities_not_dropped::CHECK,   // PAL-K8S-004
    &net_raw_capability::CHECK,                   // PAL-K8S-005
    &host_pid::CHECK,                             // PAL-K8S-006
    &host_ipc::CHECK,                             // PAL-K8S-007
    &host_network::CHECK,                         // PAL-K8S-008
    &host_port::CHECK,                            // PAL-K8S-009
    &host_path_volume::CHECK,                     // PAL-K8S-010
    &host_path_root::CHECK,                       // PAL-K8S-011
    &container_runtime_socket_mount::CHECK,       // PAL-K8S-012
    &host_path_kernel_interfaces::CHECK,          // PAL-K8S-013
    &host_path_etc::CHECK,                        // PAL-K8S-014
    &host_path_var_log::CHECK,                    // PAL-K8S-015
    &host_path_credentials::CHECK,                // PAL-K8S-016
    &container_runs_as_root::CHECK,               // PAL-K8S-017
    &writable_root_filesystem::CHECK,             // PAL-K8S-018
    &seccomp_unconfined::CHECK,                   // PAL-K8S-019
    &seccomp_profile_missing::CHECK,              // PAL-K8S-020
    &apparmor_unconfined::CHECK,                  // PAL-K8S-021
    &selinux_custom_options::CHECK,               // PAL-K8S-022
    &unmasked_proc_mount::CHECK,                  // PAL-K8S-023
    &unsafe_sysctls::CHECK,                       // PAL-K8S-024
    &windows_host_process::CHECK,                 // PAL-K8S-025
    &service_account_token_automount::CHECK,      // PAL-K8S-026
    &default_service_account::CHECK,              // PAL-K8S-027
    &secret_in_env_literal::CHECK,                // PAL-K8S-028
    &secret_in_env_from_secret::CHECK,            // PAL-K8S-029
    &image_tag_mutable::CHECK,                    // PAL-K8S-030
    &image_not_pinned_by_digest::CHECK,           // PAL-K8S-031
    &known_miner_image::CHECK,                    // PAL-K8S-032
    &image_pull_policy_not_always::CHECK,         // PAL-K8S-033
    &container_resource_limits_missing::CHECK,    // PAL-K8S-034
];

#[cfg(test)]
mod tests {
    use super::CHECKS;

    #[test]
    fn checks_are_listed_in_id_order() {
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.info.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        assert_eq!(ids.len(), 34);
    }

    #[test]
    fn the_examples_exercise_every_workload_kind() {
        let mut kinds: Vec<&str> = CHECKS
            .iter()
            .flat_map(|c| [c.info.bad_example, c.info.good_example])
            .filter_map(|example| example.lines().find_map(|l| l.strip_prefix("kind: ")))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(
            kinds,
            [
                "CronJob",
                "DaemonSet",
                "Deployment",
                "Job",
                "Pod",
                "PodTemplate",
                "ReplicaSet",
                "ReplicationController",
                "StatefulSet"
            ]
        );
    }
}
