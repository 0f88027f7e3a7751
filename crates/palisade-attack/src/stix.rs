//! Reading an ATT&CK STIX 2.0 / 2.1 bundle into a [`Catalogue`].
//!
//! Only the fields we need are deserialized; description text is never read into
//! memory beyond the JSON parser's skipping. Every field is lenient: a value of an
//! unexpected type is treated as absent rather than failing the whole bundle.

use crate::catalogue::{Catalogue, Mitigation, Tactic, Technique};
use crate::{AttackError, CONTAINERS};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Largest STIX input [`Catalogue::from_stix_bytes`] accepts: 512 MiB. (The Enterprise
/// 18.1 bundle is about 33 MB.)
pub const MAX_STIX_BYTES: usize = 512 * 1024 * 1024;

fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    kind: String,
    #[serde(default)]
    objects: Option<Vec<Obj>>,
}

#[derive(Deserialize, Default)]
struct ExtRef {
    #[serde(default, deserialize_with = "lenient")]
    source_name: String,
    #[serde(default, deserialize_with = "lenient")]
    external_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Phase {
    #[serde(default, deserialize_with = "lenient")]
    kill_chain_name: String,
    #[serde(default, deserialize_with = "lenient")]
    phase_name: String,
}

#[derive(Deserialize, Default)]
struct LogSourceRef {
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_data_component_ref: String,
}

#[derive(Deserialize, Default)]
struct Obj {
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    kind: String,
    #[serde(default, deserialize_with = "lenient")]
    id: String,
    #[serde(default, deserialize_with = "lenient")]
    name: String,
    #[serde(default, deserialize_with = "lenient")]
    revoked: bool,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_deprecated: bool,
    #[serde(default, deserialize_with = "lenient")]
    external_references: Vec<ExtRef>,
    #[serde(default, deserialize_with = "lenient")]
    kill_chain_phases: Vec<Phase>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_platforms: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_is_subtechnique: bool,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_shortname: String,
    #[serde(default, deserialize_with = "lenient")]
    tactic_refs: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_version: String,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_domains: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_analytic_refs: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_log_source_references: Vec<LogSourceRef>,
    #[serde(default, deserialize_with = "lenient")]
    x_mitre_data_sources: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    relationship_type: String,
    #[serde(default, deserialize_with = "lenient")]
    source_ref: String,
    #[serde(default, deserialize_with = "lenient")]
    target_ref: String,
}

impl Obj {
    fn live(&self) -> bool {
        !self.revoked && !self.x_mitre_deprecated
    }

    fn mitre_ref(&self) -> Option<&ExtRef> {
        self.external_references.iter().find(|r| {
            r.source_name.starts_with("mitre-")
                && r.external_id.as_deref().is_some_and(|id| !id.is_empty())
        })
    }

    fn external_id(&self) -> Option<&str> {
        self.mitre_ref().and_then(|r| r.external_id.as_deref())
    }
}

fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}",
        id.replace('.', "/")
    )
}

impl Catalogue {
    /// Build a catalogue from an ATT&CK STIX bundle (2.0 from `mitre/cti` or 2.1 from
    /// `attack-stix-data`), at most [`MAX_STIX_BYTES`] long.
    ///
    /// - Tactic order comes from the `x-mitre-matrix` object's `tactic_refs` (the one
    ///   whose external id is the domain, e.g. `enterprise-attack`, if there are
    ///   several).
    /// - Revoked techniques are kept as stubs carrying `revoked_by` (from `revoked-by`
    ///   relationships) so old ids translate; a revoked technique whose successor is
    ///   unknown is marked deprecated. Deprecated techniques keep their data but are
    ///   flagged. Revoked or deprecated relationships, mitigations, detection
    ///   strategies, analytics and data components are ignored.
    /// - Data components come from detection strategies (`detects`) → analytics →
    ///   log-source data component references (ATT&CK v18 model), preferring analytics
    ///   on the Containers platform when a technique has any; older bundles'
    ///   data-component `detects` relationships and `x_mitre_data_sources` are used as
    ///   fallbacks.
    /// - The version is the `x-mitre-collection` object's `x_mitre_version` (STIX 2.1
    ///   bundles); bundles without one (the STIX 2.0 `mitre/cti` data) get `unknown`,
    ///   because the matrix's and identity's `x_mitre_version` are object versions, not
    ///   the ATT&CK release. Set [`Catalogue::version`] yourself in that case.
    pub fn from_stix_bytes(bytes: &[u8]) -> Result<Catalogue, AttackError> {
        if bytes.len() > MAX_STIX_BYTES {
            return Err(AttackError::InputTooLarge {
                size: bytes.len(),
                limit: MAX_STIX_BYTES,
            });
        }
        let bundle: Bundle =
            serde_json::from_slice(bytes).map_err(|e| AttackError::NotABundle(e.to_string()))?;
        if bundle.kind != "bundle" {
            return Err(AttackError::NotABundle(
                "top-level \"type\" is not \"bundle\"".to_string(),
            ));
        }
        let objects = bundle
            .objects
            .ok_or_else(|| AttackError::NotABundle("no \"objects\" array".to_string()))?;
        build(&objects)
    }
}

fn build(objects: &[Obj]) -> Result<Catalogue, AttackError> {
    let by_id: HashMap<&str, &Obj> = objects.iter().map(|o| (o.id.as_str(), o)).collect();

    // Matrix and tactics.
    let matrices: Vec<&Obj> = objects
        .iter()
        .filter(|o| o.kind == "x-mitre-matrix" && o.live() && !o.tactic_refs.is_empty())
        .collect();
    let matrix = matrices
        .iter()
        .find(|m| {
            m.external_id()
                .is_some_and(|id| m.x_mitre_domains.iter().any(|d| d == id))
        })
        .or_else(|| matrices.first())
        .copied()
        .ok_or(AttackError::NoMatrix)?;
    let domain = matrix
        .external_id()
        .map(str::to_string)
        .or_else(|| matrix.x_mitre_domains.first().cloned())
        .unwrap_or_else(|| "enterprise-attack".to_string());
    let mut tactics: Vec<Tactic> = Vec::new();
    for r in &matrix.tactic_refs {
        let Some(t) = by_id.get(r.as_str()) else {
            continue;
        };
        let Some(id) = t.external_id() else { continue };
        if t.kind != "x-mitre-tactic" || t.x_mitre_shortname.is_empty() {
            continue;
        }
        if tactics.iter().any(|x| x.id == id) {
            continue;
        }
        tactics.push(Tactic {
            id: id.to_string(),
            shortname: t.x_mitre_shortname.clone(),
            name: t.name.clone(),
        });
    }
    if tactics.is_empty() {
        return Err(AttackError::NoMatrix);
    }

    let version = objects
        .iter()
        .find(|o| o.kind == "x-mitre-collection" && !o.x_mitre_version.trim().is_empty())
        .map(|o| o.x_mitre_version.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());

    // Relationships.
    let mut revoked_by: HashMap<&str, &str> = HashMap::new();
    let mut parent_of: HashMap<&str, &str> = HashMap::new();
    let mut mitigated_by: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut detected_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for rel in objects.iter().filter(|o| o.kind == "relationship") {
        let (src, dst) = (rel.source_ref.as_str(), rel.target_ref.as_str());
        match rel.relationship_type.as_str() {
            // Revoked-by relationships are recorded whatever their own status.
            "revoked-by" => {
                revoked_by.insert(src, dst);
            }
            _ if !rel.live() => {}
            "subtechnique-of" => {
                parent_of.insert(src, dst);
            }
            "mitigates" => mitigated_by.entry(dst).or_default().push(src),
            "detects" => detected_by.entry(dst).or_default().push(src),
            _ => {}
        }
    }

    let tactic_rank: HashMap<&str, usize> = tactics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.shortname.as_str(), i))
        .collect();

    // Techniques, keyed by external id; a live object wins over a revoked/deprecated one.
    let mut techniques: BTreeMap<String, Technique> = BTreeMap::new();
    for ap in objects.iter().filter(|o| o.kind == "attack-pattern") {
        let Some(ext) = ap.mitre_ref() else { continue };
        let Some(id) = ext.external_id.as_deref().map(str::trim) else {
            continue;
        };
        if !id.starts_with('T') {
            continue;
        }
        let url = ext
            .url
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| technique_url(id));
        let parent = parent_of
            .get(ap.id.as_str())
            .and_then(|p| by_id.get(p))
            .and_then(|p| p.external_id())
            .map(str::to_string)
            .or_else(|| {
                (ap.x_mitre_is_subtechnique || id.contains('.'))
                    .then(|| id.split('.').next().unwrap_or(id).to_string())
                    .filter(|p| p != id)
            });

        let tech = if ap.revoked {
            let successor = revoked_by
                .get(ap.id.as_str())
                .and_then(|s| by_id.get(s))
                .filter(|s| s.kind == "attack-pattern")
                .and_then(|s| s.external_id())
                .map(str::to_string);
            Technique {
                id: id.to_string(),
                name: ap.name.clone(),
                parent,
                tactics: Vec::new(),
                platforms: Vec::new(),
                url,
                mitigations: Vec::new(),
                data_components: Vec::new(),
                deprecated: successor.is_none(),
                revoked_by: successor,
            }
        } else {
            let mut tac: Vec<&str> = ap
                .kill_chain_phases
                .iter()
                .filter(|p| p.kill_chain_name.starts_with("mitre-"))
                .map(|p| p.phase_name.as_str())
                .filter(|p| tactic_rank.contains_key(p))
                .collect();
            tac.sort_by_key(|p| tactic_rank.get(p).copied().unwrap_or(usize::MAX));
            tac.dedup();

            let mitigations: BTreeSet<String> = mitigated_by
                .get(ap.id.as_str())
                .into_iter()
                .flatten()
                .filter_map(|s| live_of_kind(&by_id, s, "course-of-action"))
                .filter_map(Obj::external_id)
                .filter(|m| m.starts_with('M'))
                .map(str::to_string)
                .collect();

            Technique {
                id: id.to_string(),
                name: ap.name.clone(),
                parent,
                tactics: tac.into_iter().map(str::to_string).collect(),
                platforms: ap.x_mitre_platforms.clone(),
                url,
                mitigations: mitigations.into_iter().collect(),
                data_components: data_components(ap, &detected_by, &by_id),
                revoked_by: None,
                deprecated: ap.x_mitre_deprecated,
            }
        };
        let replace = match techniques.get(id) {
            None => true,
            Some(existing) => !existing.is_live() && tech.is_live(),
        };
        if replace {
            techniques.insert(id.to_string(), tech);
        }
    }

    let mut mitigations: Vec<Mitigation> = objects
        .iter()
        .filter(|o| o.kind == "course-of-action" && o.live())
        .filter_map(|o| {
            let id = o.external_id()?;
            id.starts_with('M').then(|| Mitigation {
                id: id.to_string(),
                name: o.name.clone(),
            })
        })
        .collect();
    mitigations.sort_by(|a, b| a.id.cmp(&b.id));
    mitigations.dedup_by(|a, b| a.id == b.id);

    Ok(Catalogue {
        version,
        domain,
        tactics,
        techniques: techniques.into_values().collect(),
        mitigations,
    })
}

fn live_of_kind<'a>(by_id: &HashMap<&str, &'a Obj>, stix_id: &str, kind: &str) -> Option<&'a Obj> {
    by_id
        .get(stix_id)
        .copied()
        .filter(|o| o.kind == kind && o.live())
}

/// Data component names for one technique.
fn data_components(
    ap: &Obj,
    detected_by: &HashMap<&str, Vec<&str>>,
    by_id: &HashMap<&str, &Obj>,
) -> Vec<String> {
    let mut containers: BTreeSet<String> = BTreeSet::new();
    let mut all: BTreeSet<String> = BTreeSet::new();
    let component_name = |dc_ref: &str| -> Option<String> {
        live_of_kind(by_id, dc_ref, "x-mitre-data-component")
            .map(|dc| dc.name.clone())
            .filter(|n| !n.is_empty())
    };
    for src in detected_by.get(ap.id.as_str()).into_iter().flatten() {
        if let Some(strategy) = live_of_kind(by_id, src, "x-mitre-detection-strategy") {
            for an_ref in &strategy.x_mitre_analytic_refs {
                let Some(analytic) = live_of_kind(by_id, an_ref, "x-mitre-analytic") else {
                    continue;
                };
                let on_containers = analytic
                    .x_mitre_platforms
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(CONTAINERS));
                for ls in &analytic.x_mitre_log_source_references {
                    if let Some(name) = component_name(&ls.x_mitre_data_component_ref) {
                        if on_containers {
                            containers.insert(name.clone());
                        }
                        all.insert(name);
                    }
                }
            }
        } else if let Some(name) = component_name(src) {
            // Pre-v18 model: data component --detects--> technique.
            all.insert(name);
        }
    }
    if all.is_empty() {
        // Pre-v18 model without relationships: "Data Source: Data Component".
        for ds in &ap.x_mitre_data_sources {
            let name = ds.split_once(": ").map_or(ds.as_str(), |(_, c)| c).trim();
            if !name.is_empty() {
                all.insert(name.to_string());
            }
        }
    }
    let chosen = if containers.is_empty() {
        all
    } else {
        containers
    };
    chosen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_bundle(extra: &str) -> String {
        format!(
            r#"{{"type":"bundle","id":"bundle--1","objects":[
            {{"type":"x-mitre-collection","id":"x-mitre-collection--1","x_mitre_version":"99.1"}},
            {{"type":"x-mitre-matrix","id":"x-mitre-matrix--1","tactic_refs":["x-mitre-tactic--2","x-mitre-tactic--1"],
              "external_references":[{{"source_name":"mitre-attack","external_id":"enterprise-attack"}}],
              "x_mitre_domains":["enterprise-attack"]}},
            {{"type":"x-mitre-tactic","id":"x-mitre-tactic--1","name":"Execution","x_mitre_shortname":"execution",
              "external_references":[{{"source_name":"mitre-attack","external_id":"TA0002"}}]}},
            {{"type":"x-mitre-tactic","id":"x-mitre-tactic--2","name":"Initial Access","x_mitre_shortname":"initial-access",
              "external_references":[{{"source_name":"mitre-attack","external_id":"TA0001"}}]}},
            {{"type":"attack-pattern","id":"attack-pattern--1","name":"Deploy Container",
              "kill_chain_phases":[{{"kill_chain_name":"mitre-attack","phase_name":"execution"}},{{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}}],
              "x_mitre_platforms":["Containers"],
              "external_references":[{{"source_name":"mitre-attack","external_id":"T1610","url":"https://attack.mitre.org/techniques/T1610"}}]}},
            {{"type":"attack-pattern","id":"attack-pattern--2","name":"Old","revoked":true,
              "external_references":[{{"source_name":"mitre-attack","external_id":"T1000"}}]}},
            {{"type":"relationship","id":"relationship--1","relationship_type":"revoked-by",
              "source_ref":"attack-pattern--2","target_ref":"attack-pattern--1"}},
            {{"type":"course-of-action","id":"course-of-action--1","name":"Limit Access",
              "external_references":[{{"source_name":"mitre-attack","external_id":"M1035"}}]}},
            {{"type":"relationship","id":"relationship--2","relationship_type":"mitigates",
              "source_ref":"course-of-action--1","target_ref":"attack-pattern--1"}}
            {extra}]}}"#
        )
    }

    #[test]
    fn parses_a_small_bundle() {
        let cat = Catalogue::from_stix_bytes(tiny_bundle("").as_bytes()).expect("parses");
        assert_eq!(cat.version, "99.1");
        assert_eq!(cat.domain, "enterprise-attack");
        let order: Vec<&str> = cat.tactics.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(order, ["TA0001", "TA0002"]);
        let t = cat.technique("T1610").expect("T1610");
        assert_eq!(t.tactics, ["initial-access", "execution"]);
        assert_eq!(t.mitigations, ["M1035"]);
        assert_eq!(cat.resolve("T1000").map(|t| t.id.as_str()), Some("T1610"));
        assert_eq!(cat.mitigations.len(), 1);
    }

    #[test]
    fn tolerates_odd_field_types() {
        let extra = r#",{"type":"attack-pattern","id":5,"name":["x"],"revoked":"yes",
            "external_references":"nope"},{"type":"relationship","relationship_type":7}"#;
        let cat = Catalogue::from_stix_bytes(tiny_bundle(extra).as_bytes()).expect("parses");
        assert!(cat.technique("T1610").is_some());
    }

    #[test]
    fn rejects_non_bundles() {
        for input in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"{\"type\":\"bundle\"}",
            b"{\"type\":\"bundle\",\"objects\":[]}",
            b"{\"type\":\"bundle\",\"objects\":[1,2]}",
            b"\xff\xfe",
        ] {
            assert!(Catalogue::from_stix_bytes(input).is_err());
        }
    }
}
