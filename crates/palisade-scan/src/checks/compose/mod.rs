//! Checks of this family, one per file.

use super::Check;

mod capabilities_not_dropped;
mod dangerous_capability_added;
mod docker_api_port_published;
mod docker_socket_mounted;
mod host_devices_mapped;
mod host_namespace_shared;
mod host_network_mode;
mod image_mutable_tag;
mod no_new_privileges_missing;
mod port_published_on_all_interfaces;
mod privileged_service;
mod resource_limits_missing;
mod secret_in_environment;
mod security_profile_disabled;
mod sensitive_host_path_mounted;
pub(crate) mod util;

/// The checks of this family, in id order.
pub(crate) const CHECKS: &[&Check] = &[
    &privileged_service::CHECK,
    &host_namespace_shared::CHECK,
    &host_network_mode::CHECK,
    &docker_socket_mounted::CHECK,
    &sensitive_host_path_mounted::CHECK,
    &dangerous_capability_added::CHECK,
    &capabilities_not_dropped::CHECK,
    &security_profile_disabled::CHECK,
    &no_new_privileges_missing::CHECK,
    &resource_limits_missing::CHECK,
    &port_published_on_all_interfaces::CHECK,
    &image_mutable_tag::CHECK,
    &secret_in_environment::CHECK,
    &docker_api_port_published::CHECK,
    &host_devices_mapped::CHECK,
];
