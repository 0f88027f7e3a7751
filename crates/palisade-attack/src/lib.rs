//! MITRE ATT&CK knowledge for Palisade.
//!
//! This crate holds a [`Catalogue`] of Enterprise ATT&CK tactics, techniques and
//! mitigations, and the operations Palisade needs on top of it:
//!
//! - lookups by technique id, tactic id, shortname, display name or tag
//!   ([`Catalogue::technique`], [`Catalogue::tactic`]);
//! - version translation: revoked ids follow their `revoked-by` successor
//!   ([`Catalogue::resolve`]) and renamed tactics are still found under their old
//!   names, so [`Catalogue::place`] puts a rule tagged `T1562.001` /
//!   `mitre_defense_evasion` in the right matrix cell of either version;
//! - the Containers matrix ([`Catalogue::containers_matrix`]);
//! - ATT&CK Navigator layers ([`navigator`]);
//! - a terminal rendering of the matrix and of single techniques ([`matrix`]).
//!
//! Two catalogues are built in ([`Catalogue::builtin`]): ATT&CK 18.1, generated from
//! MITRE's STIX bundle by `cargo xtask attack`, and a v19 catalogue derived from the
//! 18.1 data plus the v19.1 facts we have (see `data/README.md` for what is known and
//! what is assumed). [`Catalogue::from_stix_bytes`] reads any Enterprise STIX 2.0 or
//! 2.1 bundle.
//!
//! The crate does no I/O. No MITRE description text is stored: only ids, names,
//! shortnames, platforms, URLs and relationships.

#![deny(missing_docs)]

mod catalogue;
pub mod matrix;
pub mod navigator;
mod stix;
pub mod text;

pub use catalogue::{Catalogue, Mitigation, Tactic, Technique, normalize_technique_id};
pub use stix::MAX_STIX_BYTES;

use std::fmt;
use std::str::FromStr;

/// The platform name that defines the Containers matrix.
pub const CONTAINERS: &str = "Containers";

/// The built-in ATT&CK catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AttackVersion {
    /// ATT&CK Enterprise v18.1 (2025-11-13), generated from MITRE's STIX data.
    #[default]
    V18_1,
    /// ATT&CK Enterprise v19 (tactic membership as of v19.1), derived from the 18.1
    /// data and the v19.1 facts we have. Platforms are 18.1 platforms.
    V19,
}

impl AttackVersion {
    /// Every built-in version, oldest first.
    pub const ALL: [AttackVersion; 2] = [AttackVersion::V18_1, AttackVersion::V19];

    /// The version string, as stored in the catalogue (`"18.1"`, `"19.1"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AttackVersion::V18_1 => "18.1",
            AttackVersion::V19 => "19.1",
        }
    }

    /// The major version (`"18"`, `"19"`), the form ATT&CK Navigator layers use.
    pub fn major(self) -> &'static str {
        match self {
            AttackVersion::V18_1 => "18",
            AttackVersion::V19 => "19",
        }
    }

    /// The newest built-in version.
    pub fn latest() -> AttackVersion {
        AttackVersion::V19
    }
}

impl fmt::Display for AttackVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttackVersion {
    type Err = AttackError;

    /// Accepts `18`, `18.1`, `19`, `19.1`, optionally prefixed with `v`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        match t {
            "18" | "18.1" => Ok(AttackVersion::V18_1),
            "19" | "19.1" => Ok(AttackVersion::V19),
            _ => Err(AttackError::UnknownVersion(s.to_string())),
        }
    }
}

/// Why a technique id could not be placed in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnplacedReason {
    /// The id is not a technique id, or the catalogue does not know it.
    Unknown,
    /// The technique is deprecated and has no successor.
    Deprecated,
    /// The technique is revoked but its successor is missing from the catalogue.
    RevokedWithoutSuccessor,
    /// The technique belongs to no tactic of this catalogue's matrix.
    NoTactic,
}

impl fmt::Display for UnplacedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnplacedReason::Unknown => "unknown technique id",
            UnplacedReason::Deprecated => "technique is deprecated",
            UnplacedReason::RevokedWithoutSuccessor => {
                "technique is revoked and its successor is unknown"
            }
            UnplacedReason::NoTactic => "technique has no tactic in this matrix",
        })
    }
}

/// Errors from this crate.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    /// The STIX input is larger than [`MAX_STIX_BYTES`].
    #[error("STIX input is {size} bytes, over the {limit}-byte limit")]
    InputTooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The input is not JSON, or not shaped like a STIX bundle.
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
    /// The bundle has no usable `x-mitre-matrix` object, so tactic order is unknown.
    #[error("the STIX bundle has no x-mitre-matrix object with tactic_refs")]
    NoMatrix,
    /// A catalogue JSON file (the generated data) could not be read.
    #[error("invalid catalogue JSON: {0}")]
    CatalogueJson(String),
    /// A Navigator layer file could not be read.
    #[error("invalid Navigator layer JSON: {0}")]
    LayerJson(String),
    /// An ATT&CK version string that is not built in.
    #[error("unknown ATT&CK version '{0}' (built in: 18.1, 19)")]
    UnknownVersion(String),
    /// A technique id the catalogue does not know.
    #[error("unknown ATT&CK technique '{0}'")]
    UnknownTechnique(String),
    /// A technique that cannot be placed in a matrix cell.
    #[error("technique '{id}' cannot be placed in the ATT&CK {version} matrix: {reason}")]
    Unplaced {
        /// The id as given.
        id: String,
        /// The catalogue version.
        version: String,
        /// Why.
        reason: UnplacedReason,
    },
}
