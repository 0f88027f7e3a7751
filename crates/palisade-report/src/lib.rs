//! Palisade's renderers: a [`ScanReport`](palisade_core::ScanReport) in, a `String` out.
//!
//! - [`render_table`]: the human view, grouped by ATT&CK tactic or by severity, width-aware,
//!   optionally coloured.
//! - [`render_json`]: the `palisade.scan/v1` machine contract (JSON Schema in
//!   `docs/schema/palisade.scan.v1.schema.json`).
//! - [`render_sarif`]: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//! - [`html`]: the self-contained HTML report (matrix heatmap, incidents, posture), from
//!   findings, alerts of any source, incidents and coverage.
//!
//! Everything here is a pure function over data: no I/O, no clock, no environment. The
//! caller supplies what the renderers need to know about ATT&CK through a [`RenderContext`],
//! so this crate does not depend on the catalogue. Every renderer ends its output with a
//! newline, so the caller can `print!` it as is.

pub mod html;
mod json;
mod sarif;
mod summary;
mod table;
mod text;

use palisade_core::CheckInfo;

pub use json::{SCAN_SCHEMA, render_json};
pub use sarif::{SARIF_SCHEMA_URI, fingerprint, render_sarif};
pub use table::{GroupBy, MIN_WIDTH, TableOptions, render_table};

/// Text helpers for other terminal views (the CLI's incident view): the same rules the
/// table uses.
pub mod term_text {
    /// Make untrusted text safe to print: whitespace controls become spaces, other control
    /// characters and bidirectional overrides are shown escaped.
    pub fn sanitize(text: &str) -> String {
        crate::text::sanitize(text)
    }

    /// Display width in terminal columns.
    pub fn width(text: &str) -> usize {
        crate::text::width(text)
    }

    /// Word-wrap plain text to `cols` columns (long words are broken). Never empty.
    pub fn wrap(text: &str, cols: usize) -> Vec<String> {
        crate::text::wrap(text, cols)
    }
}

/// Project home page, used as SARIF `informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/palisade-sec/palisade";

/// A tactic as the catalogue describes it: `(shortname, display name, matrix order)`, e.g.
/// `("privilege-escalation", "Privilege Escalation", 3)`.
pub type TacticInfo = (String, String, usize);

/// What the renderers need to know besides the report: versions, check metadata and the
/// ATT&CK catalogue (as two look-up functions, so this crate needs no catalogue of its own).
pub struct RenderContext<'a> {
    /// Palisade's version, e.g. `0.1.0`.
    pub tool_version: &'a str,
    /// ATT&CK release the findings were mapped with, e.g. `18.1`.
    pub attack_version: &'a str,
    /// All registered checks (SARIF rules are generated from them).
    pub checks: &'a [CheckInfo],
    /// The tactics of a technique id: `(shortname, display name, matrix order)`. Unknown
    /// techniques give an empty list.
    pub tactic_of: &'a dyn Fn(&str) -> Vec<TacticInfo>,
    /// The name of a technique id, when the catalogue knows it.
    pub technique_name: &'a dyn Fn(&str) -> Option<String>,
}

impl RenderContext<'_> {
    /// The registered check with this id.
    pub fn check(&self, id: &str) -> Option<&CheckInfo> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// The ATT&CK page of a technique: `T1611` → `https://attack.mitre.org/techniques/T1611/`,
/// `T1053.007` → `https://attack.mitre.org/techniques/T1053/007/`.
pub fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_urls_split_sub_techniques() {
        assert_eq!(
            technique_url("T1611"),
            "https://attack.mitre.org/techniques/T1611/"
        );
        assert_eq!(
            technique_url("T1053.007"),
            "https://attack.mitre.org/techniques/T1053/007/"
        );
    }
}
