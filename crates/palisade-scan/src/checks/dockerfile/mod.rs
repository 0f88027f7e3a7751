//! Checks of this family, one per file.

use super::Check;

mod add_from_url_without_checksum;
mod base_image_mutable_tag;
mod base_image_not_pinned_by_digest;
mod docker_api_port_exposed;
mod password_set_in_build;
mod remote_script_piped_to_shell;
mod runs_as_root;
mod secret_file_copied;
mod secret_in_env_or_arg;
mod ssh_port_exposed;
mod ssh_server_installed;
mod sudo_in_image;
mod tls_verification_disabled;
pub(crate) mod util;

/// The checks of this family, in id order.
pub(crate) const CHECKS: &[&Check] = &[
    &remote_script_piped_to_shell::CHECK,
    &runs_as_root::CHECK,
    &add_from_url_without_checksum::CHECK,
    &secret_in_env_or_arg::CHECK,
    &tls_verification_disabled::CHECK,
    &base_image_mutable_tag::CHECK,
    &base_image_not_pinned_by_digest::CHECK,
    &sudo_in_image::CHECK,
    &ssh_port_exposed::CHECK,
    &docker_api_port_exposed::CHECK,
    &password_set_in_build::CHECK,
    &secret_file_copied::CHECK,
    &ssh_server_installed::CHECK,
];
