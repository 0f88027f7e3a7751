//! Terminal rendering of the Containers matrix and of single techniques.

use crate::catalogue::{Catalogue, Technique};
use crate::text::{pad, sanitize, truncate, width, wrap};
use crate::{AttackError, CONTAINERS};
use anstyle::{Ansi256Color, Style};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Narrowest column used for side-by-side tactics. Ten columns fit in 120.
const MIN_COL: usize = 12;
/// Widest column; wider terminals leave the rest empty.
const MAX_COL: usize = 34;
/// Markers for heat levels 1..=4, shown with and without colour.
const GLYPHS: [char; 4] = ['~', '+', '*', '#'];

/// A highlighted matrix cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Highlight {
    /// Heat, 1 (low) to 4 (high). 0 is treated as 1, values over 4 as 4.
    pub level: u8,
    /// Short text shown in the cell when it fits and always in the legend, e.g. a
    /// finding count.
    pub label: Option<String>,
}

/// How to render the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixOptions {
    /// Maximum line width in terminal columns. No line is longer (ANSI escapes do not
    /// count).
    pub width: usize,
    /// Colour highlighted cells with ANSI background colours. Markers and labels are
    /// shown either way.
    pub color: bool,
    /// Highlighted techniques by id. Ids from other versions are translated (a
    /// highlight on `T1562.001` lands on `T1685` in v19).
    pub highlights: BTreeMap<String, Highlight>,
    /// First line of the output; a default naming the ATT&CK version is used if `None`.
    pub title: Option<String>,
}

impl Default for MatrixOptions {
    fn default() -> Self {
        MatrixOptions {
            width: 120,
            color: false,
            highlights: BTreeMap::new(),
            title: None,
        }
    }
}

fn clamp_level(level: u8) -> u8 {
    level.clamp(1, 4)
}

fn glyph(level: u8) -> char {
    GLYPHS[usize::from(clamp_level(level) - 1)]
}

fn level_style(level: u8) -> Style {
    let (bg, fg) = match clamp_level(level) {
        1 => (229, 16),
        2 => (221, 16),
        3 => (208, 16),
        _ => (160, 231),
    };
    Style::new()
        .bg_color(Some(Ansi256Color(bg).into()))
        .fg_color(Some(Ansi256Color(fg).into()))
        .bold()
}

/// A piece of a line: plain text of known width, optionally styled.
struct Cell {
    text: String,
    style: Option<Style>,
}

impl Cell {
    fn plain(text: String) -> Cell {
        Cell { text, style: None }
    }
}

/// Join cells into one line; unstyled trailing spaces are trimmed.
fn join(cells: &[Cell], color: bool) -> String {
    let last_styled = if color {
        cells.iter().rposition(|c| c.style.is_some())
    } else {
        None
    };
    let mut out = String::new();
    let mut tail = String::new();
    for (i, cell) in cells.iter().enumerate() {
        match (cell.style, color) {
            (Some(style), true) => {
                let _ = write!(out, "{style}{}{style:#}", cell.text);
            }
            _ => {
                if last_styled.is_some_and(|l| i < l) {
                    out.push_str(&cell.text);
                } else {
                    tail.push_str(&cell.text);
                }
            }
        }
    }
    out.push_str(tail.trim_end());
    out
}

struct Resolved<'a> {
    tech: &'a Technique,
    level: u8,
    labels: Vec<String>,
}

impl Resolved<'_> {
    fn label(&self) -> Option<String> {
        (!self.labels.is_empty()).then(|| self.labels.join(","))
    }
}

/// Highlights keyed by the id they resolve to, plus keys that resolve to nothing.
fn resolve_highlights<'a>(
    cat: &'a Catalogue,
    highlights: &BTreeMap<String, Highlight>,
) -> (BTreeMap<&'a str, Resolved<'a>>, Vec<String>) {
    let mut out: BTreeMap<&str, Resolved> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (key, h) in highlights {
        let Some(tech) = cat.resolve(key) else {
            unknown.push(sanitize(key));
            continue;
        };
        let entry = out.entry(tech.id.as_str()).or_insert(Resolved {
            tech,
            level: 1,
            labels: Vec::new(),
        });
        entry.level = entry.level.max(clamp_level(h.level));
        if let Some(label) = h.label.as_deref().map(sanitize) {
            let label = label.trim().to_string();
            if !label.is_empty() && !entry.labels.contains(&label) {
                entry.labels.push(label);
            }
        }
    }
    (out, unknown)
}

/// Text of a technique cell, without marker.
fn technique_text(t: &Technique, parent_shown: bool) -> String {
    match (&t.parent, parent_shown) {
        (Some(_), true) => {
            let suffix = t.id.split_once('.').map_or(t.id.as_str(), |(_, s)| s);
            format!(" .{suffix} {}", sanitize(&t.name))
        }
        _ => format!("{} {}", t.id, sanitize(&t.name)),
    }
}

/// One technique cell, exactly `w` columns wide.
fn technique_cell(
    text: &str,
    id_width: usize,
    hl: Option<&Resolved>,
    w: usize,
    color: bool,
) -> Cell {
    if w == 0 {
        return Cell::plain(String::new());
    }
    let avail = w - 1;
    let Some(hl) = hl else {
        return Cell::plain(format!(" {}", pad(&truncate(text, avail), avail)));
    };
    let marker = glyph(hl.level);
    let body = match hl.label() {
        Some(label) if width(&label) + 1 + id_width + 3 <= avail => {
            let label_w = width(&label);
            let text_w = avail - label_w - 1;
            format!("{} {label}", pad(&truncate(text, text_w), text_w))
        }
        _ => pad(&truncate(text, avail), avail),
    };
    Cell {
        text: format!("{marker}{body}"),
        style: color.then(|| level_style(hl.level)),
    }
}

/// Render the Containers matrix of `cat` as text.
///
/// Tactics are columns, side by side when `opts.width` allows (ten 12-column tactics
/// fit in 120); narrower widths split the tactics into bands of fewer columns, down to
/// one tactic block after another. Technique names are truncated with `…`;
/// sub-techniques are indented under their parent as `.007 Name`. Highlighted cells
/// carry a heat marker (`~` `+` `*` `#` for levels 1–4) and their label when it fits,
/// coloured when `opts.color` is set, and are listed in full below the matrix.
pub fn render_matrix(cat: &Catalogue, opts: &MatrixOptions) -> String {
    let w = opts.width;
    let color = opts.color;
    let matrix = cat.containers_matrix();
    let distinct: BTreeSet<&str> = matrix
        .iter()
        .flat_map(|(_, ts)| ts.iter().map(|t| t.id.as_str()))
        .collect();
    let (highlights, unknown) = resolve_highlights(cat, &opts.highlights);

    let mut lines: Vec<String> = Vec::new();
    let title = match &opts.title {
        Some(t) => sanitize(t),
        None => format!(
            "MITRE ATT&CK {} {} matrix: {} techniques in {} tactics",
            cat.version,
            CONTAINERS,
            distinct.len(),
            matrix.len()
        ),
    };
    lines.push(truncate(&title, w));

    if matrix.is_empty() {
        lines.push(truncate("(no Containers techniques in this catalogue)", w));
    }

    let n = matrix.len().max(1);
    let mut per_band = if w >= MIN_COL {
        (w / MIN_COL).min(n)
    } else {
        1
    };
    let bands = n.div_ceil(per_band);
    per_band = n.div_ceil(bands);
    let col_w = if w >= MIN_COL {
        (w / per_band).min(MAX_COL)
    } else {
        w
    };
    let inner = col_w.saturating_sub(1);

    for band in matrix.chunks(per_band) {
        lines.push(String::new());
        // Header: wrapped tactic name, then "TA0004 (11)", then a rule.
        let names: Vec<Vec<String>> = band
            .iter()
            .map(|(tac, _)| wrap(&sanitize(&tac.name), inner, 2))
            .collect();
        let name_rows = names.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..name_rows {
            let cells: Vec<Cell> = names
                .iter()
                .map(|lines| {
                    let text = lines.get(row).map(String::as_str).unwrap_or("");
                    let text = if col_w == 0 {
                        String::new()
                    } else {
                        format!(" {}", pad(text, inner))
                    };
                    Cell {
                        text,
                        style: (color && !text_is_blank(lines.get(row)))
                            .then(|| Style::new().bold()),
                    }
                })
                .collect();
            lines.push(join(&cells, color));
        }
        let ids: Vec<Cell> = band
            .iter()
            .map(|(tac, ts)| {
                let text = truncate(&format!("{} ({})", tac.id, ts.len()), inner);
                Cell::plain(if col_w == 0 {
                    String::new()
                } else {
                    format!(" {}", pad(&text, inner))
                })
            })
            .collect();
        lines.push(join(&ids, color));
        let rules: Vec<Cell> = band
            .iter()
            .map(|_| {
                Cell::plain(if col_w == 0 {
                    String::new()
                } else {
                    format!(" {}", "-".repeat(inner))
                })
            })
            .collect();
        lines.push(join(&rules, color));

        // Body.
        let columns: Vec<Vec<Cell>> = band
            .iter()
            .map(|(_, ts)| {
                let mut seen: BTreeSet<&str> = BTreeSet::new();
                ts.iter()
                    .map(|t| {
                        let parent_shown = t.parent.as_deref().is_some_and(|p| seen.contains(p));
                        seen.insert(t.id.as_str());
                        let text = technique_text(t, parent_shown);
                        let id_width = if parent_shown {
                            t.id.len().saturating_sub(t.id.find('.').unwrap_or(0)) + 1
                        } else {
                            t.id.len()
                        };
                        technique_cell(&text, id_width, highlights.get(t.id.as_str()), col_w, color)
                    })
                    .collect()
            })
            .collect();
        let height = columns.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..height {
            let cells: Vec<Cell> = columns
                .iter()
                .map(|col| match col.get(row) {
                    Some(c) => Cell {
                        text: c.text.clone(),
                        style: c.style,
                    },
                    None => Cell::plain(" ".repeat(col_w)),
                })
                .collect();
            lines.push(join(&cells, color));
        }
    }

    if !highlights.is_empty() || !unknown.is_empty() {
        lines.push(String::new());
        lines.push(truncate("Highlighted (heat ~ 1  + 2  * 3  # 4):", w));
        let mut ordered: Vec<&Resolved> = highlights.values().collect();
        ordered.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then_with(|| a.tech.id.cmp(&b.tech.id))
        });
        for hl in ordered {
            let mut text = format!("{} {}", hl.tech.id, sanitize(&hl.tech.name));
            if let Some(label) = hl.label() {
                let _ = write!(text, " - {label}");
            }
            if !distinct.contains(hl.tech.id.as_str()) {
                text.push_str(" (not in the Containers matrix)");
            }
            let marker = Cell {
                text: truncate(&glyph(hl.level).to_string(), w),
                style: color.then(|| level_style(hl.level)),
            };
            let rest = Cell::plain(truncate(&format!(" {text}"), w.saturating_sub(1)));
            lines.push(join(&[marker, rest], color));
        }
        for key in unknown {
            lines.push(truncate(&format!("? {key} (unknown technique id)"), w));
        }
    }

    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn text_is_blank(s: Option<&String>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// Describe one technique: name, id, tactics, parent / sub-techniques (Containers ones
/// marked), platforms, mitigations, data components, URL, and the Palisade checks or
/// rules covering it (`covered_by`: id and title pairs).
///
/// Ids from other versions are translated (with a note); unknown ids are an error.
pub fn render_technique(
    cat: &Catalogue,
    id: &str,
    covered_by: &[(String, String)],
) -> Result<String, AttackError> {
    let requested = cat
        .technique(id)
        .ok_or_else(|| AttackError::UnknownTechnique(sanitize(id)))?;
    let tech = cat.resolve(id).unwrap_or(requested);
    let full_name = |t: &Technique| -> String {
        match t.parent.as_deref().and_then(|p| cat.technique(p)) {
            Some(p) => format!("{}: {}", sanitize(&p.name), sanitize(&t.name)),
            None => sanitize(&t.name),
        }
    };
    let containers_mark = |t: &Technique| {
        if t.is_containers() {
            " [Containers]"
        } else {
            ""
        }
    };
    const LABEL: usize = 17;
    let field = |label: &str| format!("  {label:<LABEL$}");
    let mut out = String::new();

    let _ = writeln!(out, "{} {}", tech.id, full_name(tech));
    if requested.id != tech.id {
        let _ = writeln!(
            out,
            "  ({} {} is revoked in ATT&CK {}; it is now {})",
            requested.id,
            sanitize(&requested.name),
            cat.version,
            tech.id
        );
    }
    if tech.deprecated {
        let _ = writeln!(out, "  (deprecated in ATT&CK {})", cat.version);
    } else if tech.revoked_by.is_some() {
        let _ = writeln!(out, "  (revoked; its successor is not in this catalogue)");
    }
    let _ = writeln!(out, "{}{} ({})", field("ATT&CK:"), cat.version, cat.domain);
    let tactics: Vec<String> = cat
        .tactics_of(&tech.id)
        .iter()
        .map(|t| format!("{} {}", t.id, sanitize(&t.name)))
        .collect();
    let _ = writeln!(out, "{}{}", field("Tactics:"), join_or_dash(&tactics));
    if let Some(parent) = &tech.parent {
        let line = match cat.technique(parent) {
            Some(p) => format!(
                "{} {}{}",
                p.id,
                sanitize(&p.name),
                match &p.revoked_by {
                    Some(successor) => format!(" (revoked by {successor})"),
                    None if p.is_containers() => " [Containers]".to_string(),
                    None => " (not on the Containers platform)".to_string(),
                }
            ),
            None => parent.clone(),
        };
        let _ = writeln!(out, "{}{line}", field("Parent:"));
    }
    let subs = cat.subtechniques(&tech.id);
    if !subs.is_empty() {
        let _ = writeln!(out, "{}", field("Sub-techniques:").trim_end());
        for s in subs {
            let _ = writeln!(
                out,
                "    {} {}{}",
                s.id,
                sanitize(&s.name),
                containers_mark(s)
            );
        }
    }
    let platforms: Vec<String> = tech.platforms.iter().map(|p| sanitize(p)).collect();
    let _ = writeln!(out, "{}{}", field("Platforms:"), join_or_dash(&platforms));
    let _ = writeln!(
        out,
        "{}{}",
        field("Containers:"),
        if tech.is_containers() {
            "yes, in the Containers matrix"
        } else {
            "no"
        }
    );
    list_section(
        &mut out,
        "Mitigations:",
        tech.mitigations
            .iter()
            .map(|m| match cat.mitigation(m) {
                Some(mit) => format!("{} {}", mit.id, sanitize(&mit.name)),
                None => m.clone(),
            })
            .collect(),
    );
    list_section(
        &mut out,
        "Data components:",
        tech.data_components.iter().map(|d| sanitize(d)).collect(),
    );
    let _ = writeln!(out, "{}{}", field("URL:"), sanitize(&tech.url));
    let _ = writeln!(out, "  Palisade coverage:");
    if covered_by.is_empty() {
        let _ = writeln!(
            out,
            "    no Palisade check or rule covers this technique yet"
        );
    } else {
        for (id, title) in covered_by {
            let _ = writeln!(out, "    - {}  {}", sanitize(id), sanitize(title));
        }
    }
    Ok(out)
}

fn join_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

fn list_section(out: &mut String, label: &str, items: Vec<String>) {
    if items.is_empty() {
        let _ = writeln!(out, "  {label:<17}-");
        return;
    }
    let _ = writeln!(out, "  {label}");
    for item in items {
        let _ = writeln!(out, "    {item}");
    }
}
