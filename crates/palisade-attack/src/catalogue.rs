//! The catalogue types and lookups.

use crate::{AttackError, AttackVersion, CONTAINERS, UnplacedReason};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// An ATT&CK tactic (a matrix column).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tactic {
    /// Tactic id, e.g. `TA0004`.
    pub id: String,
    /// Shortname used in kill-chain phases and Navigator layers, e.g. `privilege-escalation`.
    pub shortname: String,
    /// Display name, e.g. `Privilege Escalation`.
    pub name: String,
}

/// An ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// Technique id, e.g. `T1611` or `T1053.007`.
    pub id: String,
    /// Name, e.g. `Escape to Host`. For sub-techniques this is the sub-technique's own
    /// name (`Container Orchestration Job`), without the parent's.
    pub name: String,
    /// Parent technique id for sub-techniques.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Tactic shortnames, in matrix order. Empty for revoked techniques.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<String>,
    /// `x_mitre_platforms`, in source order. Empty for revoked techniques.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// attack.mitre.org page.
    #[serde(default)]
    pub url: String,
    /// Mitigation ids (`M1048`, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<String>,
    /// Data component names reached through the technique's detection strategies and
    /// their analytics (Containers-platform analytics only when there are any), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_components: Vec<String>,
    /// Successor id when this technique was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// Deprecated without a successor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
}

impl Technique {
    /// `true` for `T####.###` ids.
    pub fn is_subtechnique(&self) -> bool {
        self.parent.is_some() || self.id.contains('.')
    }

    /// Neither revoked nor deprecated.
    pub fn is_live(&self) -> bool {
        self.revoked_by.is_none() && !self.deprecated
    }

    /// Whether `platforms` lists `platform` (case-insensitive).
    pub fn has_platform(&self, platform: &str) -> bool {
        self.platforms
            .iter()
            .any(|p| p.eq_ignore_ascii_case(platform))
    }

    /// Live and on the Containers platform.
    pub fn is_containers(&self) -> bool {
        self.is_live() && self.has_platform(CONTAINERS)
    }
}

/// An ATT&CK mitigation (course of action).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mitigation {
    /// Mitigation id, e.g. `M1048`.
    pub id: String,
    /// Name, e.g. `Application Isolation and Sandboxing`.
    pub name: String,
}

/// One ATT&CK domain at one version: tactics in matrix order, every technique
/// (including revoked and deprecated ones, so old ids still translate) and mitigations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// ATT&CK version, e.g. `18.1`, or `unknown`.
    pub version: String,
    /// ATT&CK domain, e.g. `enterprise-attack`.
    pub domain: String,
    /// Every tactic of the domain's matrix, in matrix order.
    pub tactics: Vec<Tactic>,
    /// Every technique and sub-technique of the domain, sorted by id.
    pub techniques: Vec<Technique>,
    /// Every live mitigation, sorted by id.
    pub mitigations: Vec<Mitigation>,
}

const DATA_18_1: &str = include_str!("../data/enterprise-attack-18.1.json");
const DATA_19: &str = include_str!("../data/enterprise-attack-19.json");

/// Old or alternative tactic names, tried when nothing in the catalogue matches
/// directly. Keys are normalized (see [`normalize_tactic`]).
///
/// `defense-evasion` was renamed `stealth` in v19 and `defense-impairment` was split
/// out of it, so in an 18.1 catalogue both v19 names land in Defense Evasion and in a
/// v19 catalogue the old name lands in Stealth.
const TACTIC_ALIASES: &[(&str, &str)] = &[
    ("defense-evasion", "TA0005"),
    ("stealth", "TA0005"),
    ("defense-impairment", "TA0005"),
];

/// Tactics that were split: when a hint names the old tactic and the catalogue no
/// longer has it, the hint matches any of the successors.
const TACTIC_SPLITS: &[(&str, &[&str])] = &[("defense-evasion", &["TA0005", "TA0112"])];

/// Longest revoked-by chain followed before giving up (guards against cycles).
const MAX_REVOCATION_HOPS: usize = 16;

/// Normalize a technique id or tag to `T####` / `T####.###`.
///
/// Accepts surrounding whitespace, any case, the prefixes `attack.` (Sigma), `mitre_`
/// and `mitre-`, and `/` instead of `.` (URL form). Returns `None` for anything that is
/// not shaped like a technique id.
pub fn normalize_technique_id(raw: &str) -> Option<String> {
    let lower = raw.trim().to_ascii_lowercase();
    let mut s = lower.as_str();
    for prefix in ["attack.", "mitre_", "mitre-", "mitre."] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    let id: String = s
        .chars()
        .map(|c| {
            if c == '/' {
                '.'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    let bytes = id.as_bytes();
    let base_ok =
        bytes.len() >= 5 && bytes[0] == b'T' && bytes[1..5].iter().all(u8::is_ascii_digit);
    let ok = base_ok
        && match bytes.len() {
            5 => true,
            9 => bytes[5] == b'.' && bytes[6..9].iter().all(u8::is_ascii_digit),
            _ => false,
        };
    ok.then_some(id)
}

/// Normalize a tactic reference for comparison: lowercase, without `attack.` /
/// `mitre_` / `mitre-` prefixes, with spaces and underscores as `-`.
pub(crate) fn normalize_tactic(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    let mut s = lower.as_str();
    for prefix in ["attack.", "mitre_", "mitre-"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c == ' ' || c == '_' { '-' } else { c };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn builtin_cell(version: AttackVersion) -> &'static OnceLock<Result<Catalogue, String>> {
    static V18_1: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    static V19: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    match version {
        AttackVersion::V18_1 => &V18_1,
        AttackVersion::V19 => &V19,
    }
}

fn empty_catalogue() -> &'static Catalogue {
    static EMPTY: OnceLock<Catalogue> = OnceLock::new();
    EMPTY.get_or_init(|| Catalogue {
        version: "unknown".to_string(),
        domain: "enterprise-attack".to_string(),
        tactics: Vec::new(),
        techniques: Vec::new(),
        mitigations: Vec::new(),
    })
}

impl Catalogue {
    /// The built-in catalogue for `version`, parsed once on first use.
    ///
    /// The data is generated and tested, so this cannot fail in practice; should the
    /// embedded JSON ever be unreadable, an empty catalogue is returned (use
    /// [`Catalogue::try_builtin`] to see the error).
    pub fn builtin(version: AttackVersion) -> &'static Catalogue {
        Self::try_builtin(version).unwrap_or_else(|_| empty_catalogue())
    }

    /// The built-in catalogue for `version`, or why its embedded data is unreadable.
    pub fn try_builtin(version: AttackVersion) -> Result<&'static Catalogue, AttackError> {
        let cell = builtin_cell(version);
        let parsed = cell.get_or_init(|| {
            let data = match version {
                AttackVersion::V18_1 => DATA_18_1,
                AttackVersion::V19 => DATA_19,
            };
            Catalogue::from_json(data).map_err(|e| e.to_string())
        });
        parsed
            .as_ref()
            .map_err(|e| AttackError::CatalogueJson(e.clone()))
    }

    /// Read a catalogue from its JSON form (the generated `data/*.json` files).
    pub fn from_json(json: &str) -> Result<Catalogue, AttackError> {
        serde_json::from_str(json).map_err(|e| AttackError::CatalogueJson(e.to_string()))
    }

    /// The major version (`"18"` for `"18.1"`), or `None` when the version is unknown.
    pub fn major_version(&self) -> Option<&str> {
        let end = self
            .version
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.version.len());
        (end > 0).then(|| &self.version[..end])
    }

    /// The technique with exactly this id (case-insensitive, tag prefixes accepted),
    /// revoked or not.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let id = normalize_technique_id(id)?;
        self.techniques.iter().find(|t| t.id == id)
    }

    /// The technique `id` stands for in this catalogue: `id` itself, or, when it was
    /// revoked, its successor (following `revoked_by` chains). `None` when the id is
    /// unknown or a revocation chain ends outside the catalogue.
    ///
    /// Deprecated techniques are returned as is; check [`Technique::deprecated`].
    pub fn resolve(&self, id: &str) -> Option<&Technique> {
        let mut current = self.technique(id)?;
        for _ in 0..MAX_REVOCATION_HOPS {
            match &current.revoked_by {
                None => return Some(current),
                Some(next) => current = self.technique(next)?,
            }
        }
        None
    }

    /// The tactic named by `id_or_name`: a tactic id (`TA0005`), shortname
    /// (`defense-evasion`), display name (`Defense Evasion`), Falco tag
    /// (`mitre_defense_evasion`) or Sigma tag (`attack.defense_evasion`).
    ///
    /// Names from other versions work too: `defense-evasion` finds TA0005 "Stealth" in
    /// the v19 catalogue, and `stealth` / `defense-impairment` find TA0005 "Defense
    /// Evasion" in 18.1.
    pub fn tactic(&self, id_or_name: &str) -> Option<&Tactic> {
        let norm = normalize_tactic(id_or_name);
        if norm.is_empty() {
            return None;
        }
        let direct = self.tactics.iter().find(|t| {
            t.id.eq_ignore_ascii_case(&norm)
                || t.shortname == norm
                || normalize_tactic(&t.name) == norm
        });
        if direct.is_some() {
            return direct;
        }
        TACTIC_ALIASES
            .iter()
            .filter(|(alias, _)| *alias == norm)
            .find_map(|(_, id)| self.tactic_by_id(id))
    }

    fn tactic_by_id(&self, id: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.id == id)
    }

    fn tactic_by_shortname(&self, shortname: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.shortname == shortname)
    }

    /// The mitigation with this id.
    pub fn mitigation(&self, id: &str) -> Option<&Mitigation> {
        let id = id.trim();
        self.mitigations
            .iter()
            .find(|m| m.id.eq_ignore_ascii_case(id))
    }

    /// Whether `id` (after following revocations) is a live Containers technique.
    pub fn is_containers(&self, id: &str) -> bool {
        self.resolve(id).is_some_and(Technique::is_containers)
    }

    /// Tactics of the technique `id` stands for (after following revocations), in
    /// matrix order.
    pub fn tactics_of(&self, id: &str) -> Vec<&Tactic> {
        match self.resolve(id) {
            Some(t) => self.tactics_of_technique(t),
            None => Vec::new(),
        }
    }

    fn tactics_of_technique(&self, t: &Technique) -> Vec<&Tactic> {
        self.tactics
            .iter()
            .filter(|tac| t.tactics.contains(&tac.shortname))
            .collect()
    }

    /// Sub-techniques of `id` (live ones), sorted by id.
    pub fn subtechniques(&self, id: &str) -> Vec<&Technique> {
        let Some(id) = normalize_technique_id(id) else {
            return Vec::new();
        };
        self.techniques
            .iter()
            .filter(|t| t.is_live() && t.parent.as_deref() == Some(id.as_str()))
            .collect()
    }

    /// The Containers matrix: tactics (matrix order) that have live Containers
    /// techniques, each with its techniques sorted by name, every parent followed by
    /// its Containers sub-techniques (sorted by name). A Containers sub-technique whose
    /// parent is not in the column (T1059.013) is sorted by its parent's name.
    pub fn containers_matrix(&self) -> Vec<(&Tactic, Vec<&Technique>)> {
        let containers: Vec<&Technique> = self
            .techniques
            .iter()
            .filter(|t| t.is_containers())
            .collect();
        let mut out = Vec::new();
        for tactic in &self.tactics {
            let column: Vec<&Technique> = containers
                .iter()
                .copied()
                .filter(|t| t.tactics.contains(&tactic.shortname))
                .collect();
            if column.is_empty() {
                continue;
            }
            out.push((tactic, self.order_column(&column)));
        }
        out
    }

    /// Group a column's techniques under their parents and sort as on attack.mitre.org.
    fn order_column<'a>(&'a self, column: &[&'a Technique]) -> Vec<&'a Technique> {
        let in_column: BTreeSet<&str> = column.iter().map(|t| t.id.as_str()).collect();
        // group key (parent id) -> (sort name, parent in column?, subs)
        let mut groups: BTreeMap<&str, (String, Option<&Technique>, Vec<&Technique>)> =
            BTreeMap::new();
        for t in column {
            let group_id = match t.parent.as_deref() {
                Some(p) if t.is_subtechnique() => p,
                _ => t.id.as_str(),
            };
            let entry = groups.entry(group_id).or_insert_with(|| {
                let sort_name = self
                    .technique(group_id)
                    .map(|p| p.name.to_lowercase())
                    .unwrap_or_else(|| t.name.to_lowercase());
                (sort_name, None, Vec::new())
            });
            if t.id == group_id {
                entry.1 = Some(t);
            } else if in_column.contains(t.id.as_str()) {
                entry.2.push(t);
            }
        }
        let mut ordered: Vec<(String, &str, Option<&Technique>, Vec<&Technique>)> = groups
            .into_iter()
            .map(|(id, (name, parent, subs))| (name, id, parent, subs))
            .collect();
        ordered.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let mut out = Vec::with_capacity(column.len());
        for (_, _, parent, mut subs) in ordered {
            subs.sort_by(|a, b| {
                a.name
                    .to_lowercase()
                    .cmp(&b.name.to_lowercase())
                    .then_with(|| a.id.cmp(&b.id))
            });
            out.extend(parent);
            out.extend(subs);
        }
        out
    }

    /// The matrix cells a technique id lands in: `(tactic, technique)` pairs in matrix
    /// order.
    ///
    /// `id` may come from another ATT&CK version or be a tag (`T1562.001`,
    /// `attack.t1611`): revocations are followed first. `tactic_hint` (any form
    /// [`Catalogue::tactic`] accepts, including old names) picks among the technique's
    /// tactics when it names one of them; otherwise all its tactics are returned. A hint
    /// naming a tactic that has since been split (`defense-evasion` in v19) matches any
    /// of its successors.
    ///
    /// Returns an empty list for unknown or deprecated techniques; see
    /// [`Catalogue::unplaced_reason`].
    pub fn place(&self, id: &str, tactic_hint: Option<&str>) -> Vec<(&Tactic, &Technique)> {
        let Some(tech) = self.resolve(id) else {
            return Vec::new();
        };
        if !tech.is_live() {
            return Vec::new();
        }
        let all = self.tactics_of_technique(tech);
        let wanted = tactic_hint
            .map(|h| self.hint_candidates(h))
            .unwrap_or_default();
        let hinted: Vec<&Tactic> = all
            .iter()
            .copied()
            .filter(|t| wanted.contains(t.id.as_str()))
            .collect();
        let chosen = if hinted.is_empty() { all } else { hinted };
        chosen.into_iter().map(|tac| (tac, tech)).collect()
    }

    /// Tactic ids a hint may mean in this catalogue.
    fn hint_candidates(&self, hint: &str) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        let norm = normalize_tactic(hint);
        if self.tactic_by_shortname(&norm).is_none() {
            for (old, successors) in TACTIC_SPLITS {
                if *old == norm {
                    out.extend(
                        successors
                            .iter()
                            .filter_map(|id| self.tactic_by_id(id))
                            .map(|t| t.id.as_str()),
                    );
                }
            }
        }
        if let Some(t) = self.tactic(hint) {
            out.insert(t.id.as_str());
        }
        out
    }

    /// Why [`Catalogue::place`] returns nothing for `id`, or `None` when it places.
    pub fn unplaced_reason(&self, id: &str) -> Option<UnplacedReason> {
        if self.technique(id).is_none() {
            return Some(UnplacedReason::Unknown);
        }
        let Some(tech) = self.resolve(id) else {
            return Some(UnplacedReason::RevokedWithoutSuccessor);
        };
        if tech.deprecated {
            return Some(UnplacedReason::Deprecated);
        }
        if self.tactics_of_technique(tech).is_empty() {
            return Some(UnplacedReason::NoTactic);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_technique_ids() {
        assert_eq!(normalize_technique_id(" t1611 ").as_deref(), Some("T1611"));
        assert_eq!(
            normalize_technique_id("attack.t1562.001").as_deref(),
            Some("T1562.001")
        );
        assert_eq!(
            normalize_technique_id("T1562/001").as_deref(),
            Some("T1562.001")
        );
        assert_eq!(normalize_technique_id("T16"), None);
        assert_eq!(normalize_technique_id("T1562.01"), None);
        assert_eq!(normalize_technique_id("TA0005"), None);
        assert_eq!(normalize_technique_id(""), None);
        assert_eq!(normalize_technique_id("T1611ä"), None);
    }

    #[test]
    fn normalizes_tactics() {
        assert_eq!(normalize_tactic("mitre_defense_evasion"), "defense-evasion");
        assert_eq!(normalize_tactic("Defense Evasion"), "defense-evasion");
        assert_eq!(
            normalize_tactic("attack.privilege_escalation"),
            "privilege-escalation"
        );
        assert_eq!(normalize_tactic("  TA0005 "), "ta0005");
        assert_eq!(normalize_tactic("__"), "");
    }
}
