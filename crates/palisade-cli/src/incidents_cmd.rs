//! `palisade incidents`: alerts and the posture findings that enabled them, joined per
//! workload and identity into attack chains ordered by tactic.

use crate::catalogue::{AttackOpts, localise};
use crate::term::TermOpts;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use palisade_attack::Catalogue;
use palisade_attack::matrix::{Highlight, MatrixOptions, render_matrix};
use palisade_core::{AlertRecord, Finding};
use palisade_correlate::{Incident, Options, correlate};
use palisade_report::html::priority_level;
use palisade_report::term_text::{sanitize, wrap};
use palisade_store::{AlertQuery, FindingQuery, RunKind, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `palisade incidents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IncidentsFormat {
    /// Each incident: who, where, the kill chain, the chain drawn on the ATT&CK matrix, and
    /// the explanation.
    Text,
    /// One JSON document with every incident.
    Json,
}

/// Join stored alerts (`palisade detect --store`) and the latest stored scan's findings
/// (`palisade scan --store`) into incidents, most severe first. See docs/correlation.md.
///
/// The text view draws each incident's chain on the ATT&CK for Containers matrix: a
/// technique's number is the order in which the attack reached it (first seen), its heat
/// the highest priority of its alerts (`~` notice, `+` warning, `*` error, `#` critical;
/// coloured on terminals unless NO_COLOR is set or --color never). For a browser view
/// with timelines, see `palisade report`.
#[derive(Debug, Args)]
#[command(
    after_long_help = "The text view shows, per incident: score and span; who and where; the tactics reached; the kill chain (# = the order in which the attack reached each technique); the chain drawn on the ATT&CK for Containers matrix, each technique numbered with that order and heated by the highest priority of its alerts (~ notice, + warning, * error, # critical; coloured on terminals unless NO_COLOR is set or --color never); and the generated explanation. Lines fit --width, else COLUMNS, else the terminal, else 120 columns.\n\nFor a browser view with timelines and drill-down, see `palisade report --store PATH`. How incidents are built: docs/correlation.md."
)]
pub struct IncidentsArgs {
    /// The store (default: $PALISADE_STORE, else palisade.db).
    #[arg(
        long,
        value_name = "PATH",
        env = "PALISADE_STORE",
        default_value = "palisade.db"
    )]
    pub store: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: IncidentsFormat,
    /// Only incidents scoring at least this much (0-100).
    #[arg(long, default_value_t = 0.0)]
    pub min_score: f64,
    /// Leave out the ATT&CK matrix of each incident.
    #[arg(long)]
    pub no_matrix: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// Every stored alert, and the findings of the latest stored scan expressed in `catalogue`.
pub fn load_store(path: &Path, catalogue: &Catalogue) -> Result<(Vec<AlertRecord>, Vec<Finding>)> {
    if !path.exists() {
        bail!(
            "no store at {} (record into one with `palisade detect --store ...`)",
            path.display()
        );
    }
    let store =
        Store::open(path).with_context(|| format!("cannot open store {}", path.display()))?;
    let alerts = store.query_alerts(&AlertQuery::default())?;
    let mut findings = match store.latest_run(Some(RunKind::Scan))? {
        Some(run) => store.query_findings(&FindingQuery {
            run: Some(run.id),
            ..FindingQuery::default()
        })?,
        None => Vec::new(),
    };
    for finding in &mut findings {
        localise(finding, catalogue);
    }
    Ok((alerts, findings))
}

/// Correlate and order: highest score first, then id.
pub fn incidents(
    catalogue: &Catalogue,
    alerts: &[AlertRecord],
    findings: &[Finding],
) -> Vec<Incident> {
    incidents_with(catalogue, Options::default(), alerts, findings)
}

/// [`incidents`] with correlation options.
pub fn incidents_with(
    catalogue: &Catalogue,
    options: Options,
    alerts: &[AlertRecord],
    findings: &[Finding],
) -> Vec<Incident> {
    let mut incidents = correlate(catalogue, options, alerts, findings);
    incidents.sort_by(|a, b| {
        b.score
            .total
            .total_cmp(&a.score.total)
            .then_with(|| a.id.cmp(&b.id))
    });
    incidents
}

pub fn run(args: IncidentsArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let (alerts, findings) = load_store(&args.store, catalogue)?;
    let mut incidents = incidents(catalogue, &alerts, &findings);
    incidents.retain(|i| i.score.total >= args.min_score);
    match args.format {
        IncidentsFormat::Json => crate::outln!("{}", serde_json::to_string_pretty(&incidents)?),
        IncidentsFormat::Text => {
            let view = TextView {
                catalogue,
                width: args.term.width(),
                color: args.term.color(false),
                matrix: !args.no_matrix,
            };
            for incident in &incidents {
                crate::out!("{}", view.render(incident));
                crate::outln!();
            }
            crate::outln!(
                "{}",
                fit(
                    &format!(
                        "{} incidents from {} alerts and {} findings",
                        incidents.len(),
                        alerts.len(),
                        findings.len()
                    ),
                    view.width
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How the text view renders.
pub struct TextView<'a> {
    /// The catalogue (tactic names, the matrix).
    pub catalogue: &'a Catalogue,
    /// No line is longer than this.
    pub width: usize,
    /// ANSI colour.
    pub color: bool,
    /// Draw the matrix.
    pub matrix: bool,
}

/// Truncate to `cols` display columns with `…`.
pub(crate) fn fit(text: &str, cols: usize) -> String {
    let text = sanitize(text);
    if palisade_report::term_text::width(&text) <= cols {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = palisade_report::term_text::width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > cols {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

fn pad(text: &str, cols: usize) -> String {
    let text = fit(text, cols);
    let w = palisade_report::term_text::width(&text);
    format!("{text}{}", " ".repeat(cols.saturating_sub(w)))
}

/// `10:03:00` when on `day`, else `2026-11-27 10:03:00`.
pub(crate) fn short_time(time: &str, day: &str) -> String {
    let (d, rest) = time.split_once('T').unwrap_or((time, ""));
    let clock = rest.get(..8).unwrap_or(rest);
    if d == day {
        clock.to_owned()
    } else {
        format!("{d} {clock}")
    }
}

fn duration(first: &str, last: &str) -> Option<String> {
    let a = palisade_correlate::Timestamp::parse_rfc3339(first)?.as_nanos();
    let b = palisade_correlate::Timestamp::parse_rfc3339(last)?.as_nanos();
    let s = (b - a).max(0) / 1_000_000_000;
    Some(match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..172_800 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    })
}

impl TextView<'_> {
    fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// `  Label:   text` wrapped with a hanging indent.
    fn field(&self, out: &mut String, label: &str, text: &str) {
        let prefix = format!("  {label:<9}");
        let cols = self.width.saturating_sub(prefix.len()).max(10);
        for (i, line) in wrap(&sanitize(text), cols).into_iter().enumerate() {
            if i == 0 {
                out.push_str(&prefix);
            } else {
                out.push_str(&" ".repeat(prefix.len()));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }

    fn tactic_name(&self, shortname: &str) -> String {
        self.catalogue
            .tactic(shortname)
            .map_or_else(|| shortname.to_owned(), |t| t.name.clone())
    }

    fn resolve(&self, id: &str) -> String {
        self.catalogue
            .resolve(id)
            .map_or_else(|| id.to_owned(), |t| t.id.clone())
    }

    /// One incident: header, who and where, the kill chain, the matrix, the explanation.
    pub fn render(&self, incident: &Incident) -> String {
        let w = self.width;
        let mut out = String::new();
        let day = incident.first_seen.split('T').next().unwrap_or("");
        let span = format!(
            "{} {} .. {} UTC{}",
            day,
            short_time(&incident.first_seen, day),
            short_time(&incident.last_seen, day),
            duration(&incident.first_seen, &incident.last_seen)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
        let head = fit(
            &format!(
                "Incident {}  score {:.0}/100  {span}",
                incident.id, incident.score.total
            ),
            w,
        );
        out.push_str(&self.bold(&head));
        out.push('\n');
        let mut counts = format!(
            "{} alert{}, {} posture finding{}, highest priority {} (\"{}\")",
            incident.alert_count,
            if incident.alert_count == 1 { "" } else { "s" },
            incident.finding_count,
            if incident.finding_count == 1 { "" } else { "s" },
            incident.score.max_priority,
            incident.score.max_priority_rule
        );
        if incident.confidence < 1.0 {
            counts.push_str(&format!(", confidence {:.2}", incident.confidence));
        }
        self.field(&mut out, "Alerts:", &counts);
        let mut who: Vec<String> = incident
            .identities
            .iter()
            .map(|i| format!("{} ({})", i.display, i.roles.join(", ")))
            .collect();
        // Addresses not already named by an anonymous identity.
        let ips: Vec<&str> = incident
            .source_ips
            .iter()
            .map(String::as_str)
            .filter(|ip| {
                !incident
                    .identities
                    .iter()
                    .any(|i| i.display.ends_with(&format!(" {ip}")))
            })
            .collect();
        if !ips.is_empty() {
            who.push(format!("from {}", ips.join(", ")));
        }
        if !who.is_empty() {
            self.field(&mut out, "Who:", &who.join("; "));
        }
        let mut place: Vec<String> = incident.workloads.iter().map(|w| w.display()).collect();
        if !incident.namespaces.is_empty() {
            place.push(format!("namespaces {}", incident.namespaces.join(", ")));
        }
        if !incident.nodes.is_empty() {
            place.push(format!("nodes {}", incident.nodes.join(", ")));
        }
        if let Some(cluster) = &incident.cluster {
            place.push(format!("cluster {cluster}"));
        }
        if !place.is_empty() {
            self.field(&mut out, "Where:", &place.join("; "));
        }
        let tactics: Vec<&str> = incident.tactics.iter().map(|t| t.name.as_str()).collect();
        self.field(&mut out, "Tactics:", &tactics.join(" > "));

        // Order in which the attack reached each technique (equal times share a number).
        let mut times: Vec<&str> = incident
            .techniques
            .iter()
            .map(|s| s.first_seen.as_str())
            .collect();
        times.sort_unstable();
        times.dedup();
        let order = |t: &str| times.iter().position(|x| *x == t).map_or(0, |i| i + 1);
        // Heat: the highest priority among all the technique's alerts (listed or not).
        let mut heat: BTreeMap<String, u8> = BTreeMap::new();
        for step in &incident.techniques {
            let level = heat.entry(self.resolve(&step.technique)).or_insert(1);
            *level = (*level).max(priority_level(&step.max_priority));
        }

        out.push('\n');
        out.push_str(&fit(
            "  Kill chain (# = order the attack reached it, as numbered on the matrix)",
            w,
        ));
        out.push('\n');
        // "  #  TACTIC(20) TECHNIQUE(10) NAME ALERTS(6)  FIRST SEEN(8)"
        let time_w = incident
            .techniques
            .iter()
            .map(|s| short_time(&s.first_seen, day).len())
            .max()
            .unwrap_or(8)
            .max(10);
        let fixed = 2 + 3 + 1 + 20 + 1 + 10 + 1 + 1 + 6 + 2 + time_w;
        let name_w = w.saturating_sub(fixed).max(10);
        let header = format!(
            "  {:>3} {} {} {} {:>6}  {}",
            "#",
            pad("TACTIC", 20),
            pad("TECHNIQUE", 10),
            pad("NAME", name_w),
            "ALERTS",
            "FIRST SEEN"
        );
        out.push_str(&self.bold(fit(header.trim_end(), w).as_str()));
        out.push('\n');
        for step in &incident.techniques {
            let tactic = step
                .tactic_shortnames
                .iter()
                .map(|t| self.tactic_name(t))
                .collect::<Vec<_>>()
                .join(", ");
            let line = format!(
                "  {:>3} {} {} {} {:>6}  {}",
                order(&step.first_seen),
                pad(&tactic, 20),
                pad(&step.technique, 10),
                pad(&step.name, name_w),
                step.evidence_count,
                short_time(&step.first_seen, day)
            );
            out.push_str(&fit(line.trim_end(), w));
            out.push('\n');
        }

        if self.matrix {
            let highlights = incident
                .techniques
                .iter()
                .map(|step| {
                    (
                        step.technique.clone(),
                        Highlight {
                            level: heat
                                .get(&self.resolve(&step.technique))
                                .copied()
                                .unwrap_or(1),
                            label: Some(order(&step.first_seen).to_string()),
                        },
                    )
                })
                .collect();
            out.push('\n');
            out.push_str(&render_matrix(
                self.catalogue,
                &MatrixOptions {
                    width: w,
                    color: self.color,
                    highlights,
                    title: Some(format!(
                        "{} on the ATT&CK v{} for Containers matrix (number = order reached, heat = highest alert priority)",
                        incident.id, self.catalogue.version
                    )),
                },
            ));
        }

        out.push('\n');
        for line in wrap(
            &sanitize(&incident.explanation),
            w.saturating_sub(2).max(10),
        ) {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_truncates_to_the_width() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdefg", 6), "abcde…");
        assert_eq!(fit("a\u{1b}[31mb", 40), "a\\u{1b}[31mb");
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(
            short_time("2026-11-26T10:02:18.008Z", "2026-11-26"),
            "10:02:18"
        );
        assert_eq!(
            short_time("2026-11-27T00:00:01.000Z", "2026-11-26"),
            "2026-11-27 00:00:01"
        );
        assert_eq!(
            duration("2026-11-26T10:02:18.008Z", "2026-11-26T10:06:00.004Z").as_deref(),
            Some("3m 41s")
        );
        assert_eq!(
            duration("2026-11-26T10:00:00Z", "2026-11-28T12:00:00Z").as_deref(),
            Some("2d 2h")
        );
    }
}
