//! ATT&CK Navigator layers (layer format 4.5).
//!
//! [`Layer`] and friends mirror the layer file format closely enough to write layers
//! that load in ATT&CK Navigator 5.x and `mitreattack-python`, and to read them back.
//! [`LayerBuilder`] places technique ids through [`Catalogue::place`], so ids and tactic
//! names from other ATT&CK versions land in the right cells.

use crate::catalogue::Catalogue;
use crate::{AttackError, CONTAINERS, UnplacedReason};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

/// Navigator version written into layers.
pub const NAVIGATOR_VERSION: &str = "5.1.0";
/// Layer format version written into layers.
pub const LAYER_VERSION: &str = "4.5";

/// A Navigator layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    /// Layer name.
    pub name: String,
    /// ATT&CK, Navigator and layer-format versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    /// `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub domain: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Platform filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
    /// 0 name ascending, 1 name descending, 2 score ascending, 3 score descending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorting: Option<u8>,
    /// Display layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// Hide disabled techniques.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_disabled: Option<bool>,
    /// Annotated techniques.
    #[serde(default)]
    pub techniques: Vec<LayerTechnique>,
    /// Score colour gradient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<Gradient>,
    /// Legend.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legend_items: Vec<LegendItem>,
    /// Show a background colour on tactic rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_tactic_row_background: Option<bool>,
    /// Tactic row background colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactic_row_background: Option<String>,
    /// Select a technique in every tactic at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_techniques_across_tactics: Option<bool>,
    /// Select sub-techniques with their parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_subtechniques_with_parent: Option<bool>,
    /// Select only visible techniques.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_visible_techniques: Option<bool>,
    /// Layer metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataItem>,
    /// Layer links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// `versions` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    /// ATT&CK major version (`"18"`); Navigator only uses the major.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    /// Navigator version. mitreattack-python drops `versions` without it.
    pub navigator: String,
    /// Layer format version.
    pub layer: String,
}

/// `filters` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// Platforms shown, e.g. `["Containers"]`.
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// `layout` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// `side`, `flat` or `mini`.
    pub layout: String,
    /// Show technique ids.
    #[serde(rename = "showID")]
    pub show_id: bool,
    /// Show technique names.
    pub show_name: bool,
    /// Show aggregate scores on parents.
    pub show_aggregate_scores: bool,
    /// Count unscored techniques in aggregates.
    pub count_unscored: bool,
    /// `average`, `min`, `max` or `sum`.
    pub aggregate_function: String,
    /// `none`, `all` or `annotated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expanded_subtechniques: Option<String>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            layout: "side".to_string(),
            show_id: true,
            show_name: true,
            show_aggregate_scores: false,
            count_unscored: false,
            aggregate_function: "max".to_string(),
            expanded_subtechniques: Some("annotated".to_string()),
        }
    }
}

/// One annotated technique (in one tactic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerTechnique {
    /// `T####` or `T####.###`.
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    /// Tactic shortname; absent means every tactic of the technique.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactic: Option<String>,
    /// Score.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_score"
    )]
    pub score: Option<f64>,
    /// Colour overriding the score colour (`#rrggbb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Enabled (Navigator's default: true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Technique metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataItem>,
    /// Technique links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Show this technique's sub-techniques expanded.
    #[serde(default)]
    pub show_subtechniques: bool,
}

fn yes() -> bool {
    true
}

/// Whole numbers are written as integers (`90`, not `90.0`): mitreattack-python
/// rejects a float `minValue`/`maxValue` in gradients.
fn serialize_number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        // Exact: integral and below 2^53.
        s.serialize_i64(*v as i64)
    } else if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_i64(0)
    }
}

fn serialize_score<S: Serializer>(score: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match score {
        Some(v) => serialize_number(v, s),
        None => s.serialize_none(),
    }
}

/// `gradient` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gradient {
    /// Two or more colours.
    pub colors: Vec<String>,
    /// Score mapped to the first colour.
    #[serde(serialize_with = "serialize_number")]
    pub min_value: f64,
    /// Score mapped to the last colour (greater than `min_value`).
    #[serde(serialize_with = "serialize_number")]
    pub max_value: f64,
}

impl Default for Gradient {
    fn default() -> Self {
        Gradient {
            colors: vec!["#ffffff".to_string(), "#ff6666".to_string()],
            min_value: 0.0,
            max_value: 100.0,
        }
    }
}

/// Legend entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegendItem {
    /// Label.
    pub label: String,
    /// Colour (`#rrggbb`).
    pub color: String,
}

/// Metadata entry: a name/value pair, or a divider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataItem {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// `true` for a divider line (then name and value are absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divider: Option<bool>,
}

impl MetadataItem {
    /// A name/value pair.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> MetadataItem {
        MetadataItem {
            name: name.into(),
            value: value.into(),
            divider: None,
        }
    }
}

/// Link entry: a label/URL pair, or a divider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// `true` for a divider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divider: Option<bool>,
}

impl Layer {
    /// Pretty-printed JSON, as Navigator writes it.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain strings, numbers and vectors cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse a layer file (a single layer object).
    pub fn from_json(json: &str) -> Result<Layer, AttackError> {
        serde_json::from_str(json).map_err(|e| AttackError::LayerJson(e.to_string()))
    }
}

/// A technique id the builder could not place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// The id as given to [`LayerBuilder::add`].
    pub id: String,
    /// Why.
    pub reason: UnplacedReason,
}

#[derive(Debug, Clone)]
struct CellAcc {
    score: f64,
    comments: Vec<String>,
    metadata: Vec<(String, String)>,
}

/// Builds a Navigator layer from technique ids, placing each through
/// [`Catalogue::place`].
///
/// Adding the same technique and tactic twice merges the entries: the higher score wins,
/// comments are joined (`; `) and metadata is appended, without duplicates. Ids that
/// were translated (revoked in this version) carry a `mapped_from` metadata entry.
#[derive(Debug, Clone)]
pub struct LayerBuilder<'c> {
    cat: &'c Catalogue,
    name: String,
    description: Option<String>,
    platforms: Vec<String>,
    sorting: u8,
    gradient: Gradient,
    legend: Vec<LegendItem>,
    metadata: Vec<MetadataItem>,
    /// (technique id, tactic index in matrix order) -> accumulated annotation.
    cells: BTreeMap<(String, usize), CellAcc>,
    unplaced: Vec<Unplaced>,
}

impl<'c> LayerBuilder<'c> {
    /// A builder for a layer named `name` against `cat`'s ATT&CK version, filtered to
    /// the Containers platform.
    pub fn new(name: impl Into<String>, cat: &'c Catalogue) -> LayerBuilder<'c> {
        LayerBuilder {
            cat,
            name: name.into(),
            description: None,
            platforms: vec![CONTAINERS.to_string()],
            sorting: 0,
            gradient: Gradient::default(),
            legend: Vec::new(),
            metadata: vec![
                MetadataItem::new(
                    "generator",
                    concat!("palisade-attack ", env!("CARGO_PKG_VERSION")),
                ),
                MetadataItem::new("attack_version", cat.version.clone()),
            ],
            cells: BTreeMap::new(),
            unplaced: Vec::new(),
        }
    }

    /// Set the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replace the platform filter (default `["Containers"]`; empty means no filter).
    pub fn platforms(mut self, platforms: Vec<String>) -> Self {
        self.platforms = platforms;
        self
    }

    /// Set the sort order (0 name ascending, 1 name descending, 2 score ascending,
    /// 3 score descending; other values are ignored).
    pub fn sorting(mut self, sorting: u8) -> Self {
        if sorting <= 3 {
            self.sorting = sorting;
        }
        self
    }

    /// Replace the score gradient (default white to red over 0..=100). Ignored unless
    /// there are at least two colours and `min < max`.
    pub fn gradient(mut self, colors: Vec<String>, min: f64, max: f64) -> Self {
        if colors.len() >= 2 && min.is_finite() && max.is_finite() && min < max {
            self.gradient = Gradient {
                colors,
                min_value: min,
                max_value: max,
            };
        }
        self
    }

    /// Add a legend entry.
    pub fn legend(mut self, label: impl Into<String>, color: impl Into<String>) -> Self {
        self.legend.push(LegendItem {
            label: label.into(),
            color: color.into(),
        });
        self
    }

    /// Add a layer-level metadata entry.
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push(MetadataItem::new(name, value));
        self
    }

    /// Annotate technique `technique_id` (any version's id or a tag) in the cells
    /// [`Catalogue::place`] picks for it and `tactic_hint`.
    ///
    /// Returns how many cells were annotated. Non-finite scores count as 0. An id that
    /// cannot be placed is an error and is also remembered (see
    /// [`LayerBuilder::unplaced`]); nothing is dropped silently.
    pub fn add(
        &mut self,
        technique_id: &str,
        tactic_hint: Option<&str>,
        score: f64,
        comment: &str,
        metadata: Vec<(String, String)>,
    ) -> Result<usize, AttackError> {
        let placed = self.cat.place(technique_id, tactic_hint);
        if placed.is_empty() {
            let reason = self
                .cat
                .unplaced_reason(technique_id)
                .unwrap_or(UnplacedReason::NoTactic);
            self.unplaced.push(Unplaced {
                id: technique_id.to_string(),
                reason,
            });
            return Err(AttackError::Unplaced {
                id: technique_id.to_string(),
                version: self.cat.version.clone(),
                reason,
            });
        }
        let score = if score.is_finite() { score } else { 0.0 };
        let original = self.cat.technique(technique_id).map(|t| t.id.clone());
        let count = placed.len();
        for (tactic, tech) in placed {
            let idx = self
                .cat
                .tactics
                .iter()
                .position(|t| t.id == tactic.id)
                .unwrap_or(usize::MAX);
            let acc = self
                .cells
                .entry((tech.id.clone(), idx))
                .or_insert_with(|| CellAcc {
                    score,
                    comments: Vec::new(),
                    metadata: Vec::new(),
                });
            acc.score = acc.score.max(score);
            let comment = comment.trim();
            if !comment.is_empty() && !acc.comments.iter().any(|c| c == comment) {
                acc.comments.push(comment.to_string());
            }
            let mut extra = metadata.clone();
            if let Some(orig) = &original
                && *orig != tech.id
            {
                extra.push(("mapped_from".to_string(), orig.clone()));
            }
            for pair in extra {
                if !acc.metadata.contains(&pair) {
                    acc.metadata.push(pair);
                }
            }
        }
        Ok(count)
    }

    /// Ids that could not be placed so far.
    pub fn unplaced(&self) -> &[Unplaced] {
        &self.unplaced
    }

    /// Build the layer. Techniques are ordered by id, then tactic (matrix order).
    /// Parents get `showSubtechniques: true` when one of their sub-techniques is
    /// annotated in the same tactic.
    pub fn build(self) -> Layer {
        let tactic_name = |idx: usize| self.cat.tactics.get(idx).map(|t| t.shortname.clone());
        let techniques: Vec<LayerTechnique> = self
            .cells
            .iter()
            .map(|((id, idx), acc)| {
                let show_subtechniques = self.cells.keys().any(|(other, other_idx)| {
                    other_idx == idx
                        && other.len() > id.len()
                        && other.starts_with(id.as_str())
                        && other.as_bytes().get(id.len()) == Some(&b'.')
                });
                LayerTechnique {
                    technique_id: id.clone(),
                    tactic: tactic_name(*idx),
                    score: Some(acc.score),
                    color: None,
                    comment: (!acc.comments.is_empty()).then(|| acc.comments.join("; ")),
                    enabled: true,
                    metadata: acc
                        .metadata
                        .iter()
                        .map(|(n, v)| MetadataItem::new(n.clone(), v.clone()))
                        .collect(),
                    links: Vec::new(),
                    show_subtechniques,
                }
            })
            .collect();
        Layer {
            name: self.name,
            versions: Some(Versions {
                attack: self.cat.major_version().map(str::to_string),
                navigator: NAVIGATOR_VERSION.to_string(),
                layer: LAYER_VERSION.to_string(),
            }),
            domain: self.cat.domain.clone(),
            description: self.description,
            filters: (!self.platforms.is_empty()).then_some(Filters {
                platforms: self.platforms,
            }),
            sorting: Some(self.sorting),
            layout: Some(Layout::default()),
            hide_disabled: Some(false),
            techniques,
            gradient: Some(self.gradient),
            legend_items: self.legend,
            show_tactic_row_background: None,
            tactic_row_background: None,
            select_techniques_across_tactics: None,
            select_subtechniques_with_parent: None,
            select_visible_techniques: None,
            metadata: self.metadata,
            links: Vec::new(),
        }
    }
}
