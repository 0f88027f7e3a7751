//! Counts and tactic ordering shared by the renderers.

use crate::RenderContext;
use palisade_core::{Finding, ScanReport, Severity};
use std::collections::{BTreeMap, BTreeSet};

/// Display names and matrix order of the tactics a report mentions, looked up once.
pub(crate) struct Tactics {
    known: BTreeMap<String, (String, usize)>,
}

impl Tactics {
    /// Looks up the tactics of every technique named by a finding of the report.
    pub(crate) fn new(report: &ScanReport, cx: &RenderContext<'_>) -> Self {
        let techniques: BTreeSet<&str> = report
            .findings
            .iter()
            .flat_map(|f| f.techniques.iter().map(String::as_str))
            .collect();
        let mut known = BTreeMap::new();
        for technique in techniques {
            for (short, display, order) in (cx.tactic_of)(technique) {
                known.entry(short).or_insert((display, order));
            }
        }
        Tactics { known }
    }

    /// `Privilege Escalation` for `privilege-escalation`; unknown shortnames are title-cased.
    pub(crate) fn display(&self, short: &str) -> String {
        match self.known.get(short) {
            Some((display, _)) => display.clone(),
            None => title_case(short),
        }
    }

    /// Sort key: matrix order, unknown tactics last (alphabetically).
    pub(crate) fn key<'s>(&self, short: &'s str) -> (usize, &'s str) {
        let order = self
            .known
            .get(short)
            .map_or(usize::MAX, |(_, order)| *order);
        (order, short)
    }

    /// The finding's tactics in matrix order, without duplicates.
    pub(crate) fn ordered<'f>(&self, finding: &'f Finding) -> Vec<&'f str> {
        let mut tactics: Vec<&str> = finding.tactics.iter().map(String::as_str).collect();
        tactics.sort_by(|a, b| self.key(a).cmp(&self.key(b)));
        tactics.dedup();
        tactics
    }
}

fn title_case(short: &str) -> String {
    short
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// The numbers every renderer shows.
pub(crate) struct Summary {
    pub files: usize,
    pub objects: usize,
    /// Active (not suppressed) findings.
    pub findings: usize,
    pub suppressed: usize,
    pub errors: usize,
    /// Active findings per severity, most severe first (the order of [`SEVERITIES_DESC`]).
    pub by_severity: [usize; 5],
    /// Active findings per technique id, sorted by id.
    pub by_technique: BTreeMap<String, usize>,
    /// Active findings per tactic shortname, in matrix order.
    pub by_tactic: Vec<(String, usize)>,
}

/// Severities, most severe first.
pub(crate) const SEVERITIES_DESC: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

impl Summary {
    pub(crate) fn new(report: &ScanReport, tactics: &Tactics) -> Self {
        let mut by_severity = [0; 5];
        let mut by_technique: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_tactic: BTreeMap<&str, usize> = BTreeMap::new();
        let mut findings = 0;
        for finding in report.active_findings() {
            findings += 1;
            let slot = SEVERITIES_DESC
                .iter()
                .position(|s| *s == finding.severity)
                .unwrap_or(4);
            by_severity[slot] += 1;
            let techniques: BTreeSet<&str> =
                finding.techniques.iter().map(String::as_str).collect();
            for technique in techniques {
                *by_technique.entry(technique.to_owned()).or_default() += 1;
            }
            for tactic in tactics.ordered(finding) {
                *by_tactic.entry(tactic).or_default() += 1;
            }
        }
        let mut by_tactic: Vec<(String, usize)> = by_tactic
            .into_iter()
            .map(|(t, n)| (t.to_owned(), n))
            .collect();
        by_tactic.sort_by(|a, b| tactics.key(&a.0).cmp(&tactics.key(&b.0)));
        Summary {
            files: report.files,
            objects: report.objects,
            findings,
            suppressed: report.findings.len() - findings,
            errors: report.errors.len(),
            by_severity,
            by_technique,
            by_tactic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::title_case;

    #[test]
    fn unknown_tactics_are_title_cased() {
        assert_eq!(title_case("privilege-escalation"), "Privilege Escalation");
        assert_eq!(title_case("x"), "X");
    }
}
