//! Checks of Kubernetes objects other than pod templates (Services, Ingresses, webhooks,
//! ConfigMaps...) and of workloads seen across the whole scan. Ids `PAL-K8S-1NN`. Shared
//! heuristics (credential names and values, sensitive UIs) live in `util`.

use super::Check;

mod admission_webhook_fails_open;
mod cronjob_scheduled_workload;
mod exposed_sensitive_ui;
mod mutating_admission_webhook;
mod namespace_without_network_policy;
mod secret_in_configmap;
mod secret_manifest_with_data;
mod service_account_token_automount_enabled;
mod service_exposed_outside_cluster;
mod service_external_ips;
mod ssh_port_exposed;
mod system_component_name_outside_kube_system;
pub(crate) mod util;
mod workload_service_account_has_powerful_rbac;

/// The checks of this family, in id order.
pub(crate) const CHECKS: &[&Check] = &[
    &service_exposed_outside_cluster::CHECK,
    &service_external_ips::CHECK,
    &exposed_sensitive_ui::CHECK,
    &ssh_port_exposed::CHECK,
    &cronjob_scheduled_workload::CHECK,
    &mutating_admission_webhook::CHECK,
    &admission_webhook_fails_open::CHECK,
    &system_component_name_outside_kube_system::CHECK,
    &secret_in_configmap::CHECK,
    &secret_manifest_with_data::CHECK,
    &namespace_without_network_policy::CHECK,
    &workload_service_account_has_powerful_rbac::CHECK,
    &service_account_token_automount_enabled::CHECK,
];
