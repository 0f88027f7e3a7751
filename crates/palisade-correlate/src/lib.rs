//! Palisade's correlation engine: groups `palisade.alert/v1` alerts, and the posture
//! findings that made them possible, into incidents per workload and identity.
//!
//! A Kubernetes audit alert names an actor (user or service account) and a target (pod,
//! workload, namespace); a runtime alert names a container, which belongs to a pod, which
//! runs as a service account on a node. The correlator joins alerts that share such an
//! entity within a sliding window of inactivity, never across clusters, and never
//! across namespaces or identities unless a concrete entity links them. Each
//! [`Incident`] lists its workloads and identities, the ATT&CK techniques in kill-chain
//! order, a score, the evidence (alerts and findings with references to their sources)
//! and an explanation generated from templates.
//!
//! The algorithm, the join keys and where it can go wrong are described in
//! `docs/correlation.md`.
//!
//! ```
//! use palisade_attack::{AttackVersion, Catalogue};
//! use palisade_correlate::{Correlator, Options, Timestamp};
//!
//! let catalogue = Catalogue::builtin(AttackVersion::V18_1);
//! let mut correlator = Correlator::new(catalogue, Options::default());
//! // correlator.push_finding(&finding);          // posture findings, up front
//! // correlator.push_alert(&alert)?;             // alerts, as they arrive
//! // let closed = correlator.close_idle(now);    // from time to time
//! let rest = correlator.finish();                // at the end of the stream
//! assert!(rest.is_empty());
//! # let _ = Timestamp::parse_rfc3339("2026-11-26T10:00:00Z");
//! ```
//!
//! Results are deterministic: the same alerts and findings give the same incidents (ids,
//! order and text) whatever order they arrive in, as long as no alert arrives more than
//! [`Options::reorder_slack`] after a newer one. Memory is proportional to the open
//! incidents and the reorder buffer: closed incidents are handed out, not kept.
//!
//! On a machine with more than one CPU, closed incidents are assembled (evidence
//! rendered, techniques named, explanation written) on a second thread while the next
//! alerts are processed ([`Options::background_assembly`]); the incidents are the same
//! bytes either way.
//!
//! The crate does no I/O.

#![deny(missing_docs)]
// Alerts (a few hundred bytes each) move between the reorder buffer, the incidents'
// queues and evidence lists and a reuse pool: by pointer, not by copy.
#![allow(clippy::vec_box)]

mod agg;
mod assemble;
mod assembler;
mod correlator;
mod entity;
mod event;
mod explain;
mod findings;
mod hash;
mod incident;
mod options;
mod time;

pub use correlator::{CorrelateError, Correlator, Stats, correlate};
pub use incident::{
    Evidence, EvidenceKind, IdentityRef, Incident, Score, SensorDrop, TacticRef, TechniqueStep,
    WorkloadRef,
};
pub use options::{DEFAULT_SYSTEM_GROUPS, DEFAULT_SYSTEM_USERS, Options};
pub use time::Timestamp;
