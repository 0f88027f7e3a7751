//! The check framework and the registry of every check.
//!
//! A check is one file under `checks/<family>/` declaring a `pub(crate) const CHECK: Check`:
//! its [`CheckInfo`] (id, title, severity, ATT&CK techniques, rationale, remediation and a
//! failing and a passing example) and the function that finds the problem. The examples are
//! run by the test suite (the bad one must fire, the good one must not) and shown in the
//! generated reference docs, so the docs cannot drift from the code.

pub mod compose;
pub mod dockerfile;
pub mod k8s;
pub mod k8s_objects;
pub mod rbac;

use crate::compose::ComposeService;
use crate::dockerfile::Dockerfile;
use crate::k8s::{K8sObject, Workload};
use crate::rbac::RbacGraph;
use crate::spot::{Origin, Spot};
use palisade_core::{CheckInfo, ObjectRef, Subject};

/// What a check runs on.
#[derive(Clone, Copy)]
pub enum Run {
    /// Each workload (pod template) of the scan.
    Workload(fn(&Workload<'_>, &mut Reporter<'_>)),
    /// Each Kubernetes object of the scan.
    Object(fn(&K8sObject, &mut Reporter<'_>)),
    /// Once, over everything that needs the whole scan (RBAC graph, workload identities).
    Cluster(fn(&ClusterView<'_>, &mut Reporter<'_>)),
    /// Each Dockerfile.
    Dockerfile(fn(&Dockerfile, &mut Reporter<'_>)),
    /// Each Compose service.
    Compose(fn(&ComposeService, &mut Reporter<'_>)),
}

/// A check: its metadata and its function.
#[derive(Clone, Copy)]
pub struct Check {
    /// Metadata shown to users.
    pub info: CheckInfo,
    /// The function.
    pub run: Run,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.info.id).finish()
    }
}

/// Every check, in id order within each family.
pub fn all_checks() -> Vec<&'static Check> {
    k8s::CHECKS
        .iter()
        .chain(k8s_objects::CHECKS)
        .chain(rbac::CHECKS)
        .chain(dockerfile::CHECKS)
        .chain(compose::CHECKS)
        .copied()
        .collect()
}

/// Look a check up by id (case-insensitive).
pub fn check_by_id(id: &str) -> Option<&'static Check> {
    all_checks()
        .into_iter()
        .find(|c| c.info.id.eq_ignore_ascii_case(id))
}

/// A workload as the cluster-wide checks see it after its file was dropped from memory.
#[derive(Debug, Clone)]
pub struct WorkloadSummary {
    /// File and object.
    pub origin: Origin,
    /// Line, column and pointer of the pod spec's `serviceAccountName` (or the pod spec).
    pub line: u32,
    /// Column.
    pub column: u32,
    /// Pointer.
    pub pointer: String,
    /// Namespace (`default` when unset).
    pub namespace: String,
    /// Service account (`default` when unset).
    pub service_account: String,
    /// `automountServiceAccountToken` of the pod spec, if set.
    pub automount: Option<bool>,
}

impl WorkloadSummary {
    /// The place to report on.
    pub fn spot(&self) -> Spot<'_> {
        Spot {
            origin: &self.origin,
            line: self.line,
            column: self.column,
            pointer: self.pointer.clone(),
        }
    }
}

/// What cluster-wide checks see.
#[derive(Debug)]
pub struct ClusterView<'a> {
    /// Roles, bindings and grants across all files.
    pub rbac: RbacGraph<'a>,
    /// Kept objects (RBAC, ServiceAccounts, NetworkPolicies).
    pub objects: &'a [K8sObject],
    /// Every workload of the scan.
    pub workloads: &'a [WorkloadSummary],
}

/// A finding before suppressions and ATT&CK tactics are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    /// The check.
    pub check: &'static CheckInfo,
    /// Message.
    pub message: String,
    /// Input path.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Pointer.
    pub pointer: String,
    /// Object.
    pub object: Option<ObjectRef>,
    /// RBAC subject.
    pub subject: Option<Subject>,
}

/// Collects the findings of one check.
pub struct Reporter<'r> {
    check: &'static CheckInfo,
    out: &'r mut Vec<RawFinding>,
}

impl<'r> Reporter<'r> {
    /// A reporter for `check` writing into `out`.
    pub fn new(check: &'static CheckInfo, out: &'r mut Vec<RawFinding>) -> Self {
        Reporter { check, out }
    }

    /// Report a finding at `spot`.
    pub fn report(&mut self, spot: Spot<'_>, message: impl Into<String>) {
        self.push(spot, message.into(), None);
    }

    /// Report an RBAC finding naming the subject, role and binding.
    pub fn report_subject(&mut self, spot: Spot<'_>, message: impl Into<String>, subject: Subject) {
        self.push(spot, message.into(), Some(subject));
    }

    fn push(&mut self, spot: Spot<'_>, message: String, subject: Option<Subject>) {
        self.out.push(RawFinding {
            check: self.check,
            message,
            path: spot.origin.path.clone(),
            line: spot.line,
            column: spot.column,
            pointer: spot.pointer,
            object: spot.origin.object.clone(),
            subject,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ScanOptions, Source, scan_sources};
    use palisade_core::CheckTarget;

    fn example_path(target: CheckTarget) -> &'static str {
        match target {
            CheckTarget::Dockerfile => "Dockerfile",
            CheckTarget::Compose => "compose.yaml",
            _ => "example.yaml",
        }
    }

    fn findings_of(check: &Check, text: &str) -> Vec<String> {
        let report = scan_sources(
            vec![Source::new(example_path(check.info.target), text)],
            &ScanOptions::default(),
        );
        assert!(
            report.errors.is_empty(),
            "{}: example does not parse: {:?}",
            check.info.id,
            report.errors
        );
        report
            .findings
            .iter()
            .filter(|f| f.check == check.info.id)
            .map(|f| {
                format!(
                    "{}:{}:{} {}",
                    f.location.line, f.location.column, f.location.pointer, f.message
                )
            })
            .collect()
    }

    #[test]
    fn every_check_fires_on_its_bad_example_and_not_on_its_good_one() {
        let mut failures = Vec::new();
        for check in all_checks() {
            if findings_of(check, check.info.bad_example).is_empty() {
                failures.push(format!(
                    "{}: bad example produced no finding",
                    check.info.id
                ));
            }
            let good = findings_of(check, check.info.good_example);
            if !good.is_empty() {
                failures.push(format!("{}: good example produced {good:?}", check.info.id));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn ids_are_unique_well_formed_and_metadata_complete() {
        let checks = all_checks();
        let mut ids: Vec<&str> = checks.iter().map(|c| c.info.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate check ids");
        let mut names: Vec<&str> = checks.iter().map(|c| c.info.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate check names");
        for c in &checks {
            let info = &c.info;
            let prefix = match info.target {
                CheckTarget::Workload | CheckTarget::K8sObject => "PAL-K8S-",
                CheckTarget::Rbac => "PAL-RBAC-",
                CheckTarget::Dockerfile => "PAL-DF-",
                CheckTarget::Compose => "PAL-CMP-",
            };
            assert!(
                info.id.starts_with(prefix),
                "{} should start with {prefix}",
                info.id
            );
            assert!(
                info.id[prefix.len()..].len() == 3
                    && info.id[prefix.len()..].chars().all(|c| c.is_ascii_digit()),
                "{}",
                info.id
            );
            assert!(
                info.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                info.name
            );
            assert!(
                !info.techniques.is_empty(),
                "{} names no technique",
                info.id
            );
            assert!(
                info.rationale.len() > 40 && info.remediation.len() > 15,
                "{} needs rationale and remediation",
                info.id
            );
        }
    }
}
