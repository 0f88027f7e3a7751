//! RBAC checks, judged over the graph of roles, bindings and subjects of the whole scan.
//! Checks of this family, one per file; shared matching and reporting lives in `util`.

use super::Check;

mod admission_webhook_modify;
mod anonymous_or_all_users_binding;
mod broad_delete;
mod cluster_admin_binding;
mod csr_approve;
mod default_service_account_granted;
mod events_delete;
mod impersonate;
mod nodes_proxy;
mod pods_attach;
mod pods_exec;
mod pods_portforward;
mod rbac_escalate_or_bind;
mod secrets_read;
mod serviceaccount_token_create;
pub(crate) mod util;
mod wildcard_rbac_rule;
mod workload_create;

/// The checks of this family, in id order.
pub(crate) const CHECKS: &[&Check] = &[
    &cluster_admin_binding::CHECK,
    &wildcard_rbac_rule::CHECK,
    &secrets_read::CHECK,
    &pods_exec::CHECK,
    &pods_attach::CHECK,
    &pods_portforward::CHECK,
    &workload_create::CHECK,
    &rbac_escalate_or_bind::CHECK,
    &impersonate::CHECK,
    &nodes_proxy::CHECK,
    &serviceaccount_token_create::CHECK,
    &csr_approve::CHECK,
    &admission_webhook_modify::CHECK,
    &anonymous_or_all_users_binding::CHECK,
    &events_delete::CHECK,
    &broad_delete::CHECK,
    &default_service_account_granted::CHECK,
];
