//! The incident explanation: a few sentences filled in from the incident's data.
//! Templates only; every word comes from the data or from the fixed text below.

use crate::assemble::finding_anchor;
use crate::incident::Incident;
use crate::time::{push_datetime, push_duration, push_time_near};
use palisade_core::Finding;
use std::fmt::Write as _;

const MAX_ACTORS: usize = 3;
const MAX_WORKLOADS: usize = 4;
const MAX_STEPS: usize = 12;
const MAX_FINDINGS: usize = 6;

/// `a`, `a and b`, `a, b and c`.
#[cfg(test)]
fn and_list(items: &[String]) -> String {
    limited(items, usize::MAX, "")
}

/// At most `max` items, then `N more <noun>`.
#[cfg(test)]
fn limited(items: &[String], max: usize, noun: &str) -> String {
    let mut out = String::new();
    push_limited(&mut out, items.iter(), max, noun, |o, s| o.push_str(s));
    out
}

/// Append at most `max` items, then `N more <noun>`, as `a`, `a and b`, `a, b and c`.
fn push_limited<T>(
    out: &mut String,
    items: impl Iterator<Item = T> + Clone,
    max: usize,
    noun: &str,
    mut write: impl FnMut(&mut String, T),
) {
    let n = items.clone().count();
    let shown = n.min(max);
    // The entries: the items shown, then "N more" if any are left out.
    let entries = if n > max { shown + 1 } else { shown };
    for (i, item) in items.take(shown).enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == entries { " and " } else { ", " });
        }
        write(out, item);
    }
    if n > max {
        if shown > 0 {
            out.push_str(" and ");
        }
        crate::time::push_u64(out, (n - max) as u64);
        out.push_str(" more ");
        out.push_str(noun);
    }
}

#[cfg(test)]
fn capitalise(s: &str) -> String {
    let mut out = s.to_string();
    capitalise_from(&mut out, 0);
    out
}

/// Uppercase the first character of `out[from..]`.
fn capitalise_from(out: &mut String, from: usize) {
    let Some(first) = out.get(from..).and_then(|s| s.chars().next()) else {
        return;
    };
    if first.is_ascii() {
        if let Some(head) = out.get_mut(from..from + 1) {
            head.make_ascii_uppercase();
        }
    } else {
        let upper: String = first.to_uppercase().collect();
        out.replace_range(from..from + first.len_utf8(), &upper);
    }
}

/// Append what [`crate::WorkloadRef::display`] returns.
fn push_workload(out: &mut String, w: &crate::incident::WorkloadRef) {
    match w.kind.as_str() {
        "Pod" => out.push_str("pod "),
        "Container" => {
            out.push_str("container ");
            out.push_str(&w.name);
            return;
        }
        kind => {
            out.push_str(kind);
            out.push(' ');
        }
    }
    out.push_str(&w.namespace);
    out.push('/');
    out.push_str(&w.name);
}

/// What the explanation needs besides the incident itself.
pub(crate) struct Facts<'a> {
    /// First and last alert time.
    pub first: i64,
    pub last: i64,
    /// First time of each technique step, in step order.
    pub step_times: &'a [i64],
    /// The findings attached, most severe first.
    pub findings: &'a [&'a Finding],
    /// Drop reports that overlap the incident, and the events they say were lost.
    pub drop_reports: usize,
    pub dropped: Option<u64>,
    /// Time of the most severe alert.
    pub top_time: Option<i64>,
}

pub(crate) fn explain(inc: &Incident, facts: &Facts<'_>) -> String {
    let Facts {
        first,
        last,
        step_times,
        findings,
        drop_reports,
        dropped,
        top_time,
    } = *facts;
    // Below 1000 bytes: larger requests take the allocator's slow path.
    let mut out = String::with_capacity((320 + 96 * inc.techniques.len().min(MAX_STEPS)).min(960));

    // 1. Who, when, on what.
    let is_actor = |i: &&crate::incident::IdentityRef| i.roles.iter().any(|r| r == "actor");
    let actors = inc.identities.iter().filter(is_actor);
    let runs_as_only = inc.identities.iter().filter(|i| !is_actor(i));
    let has_actors = actors.clone().next().is_some();
    // The subject, then the workloads not named in it.
    let rest_workloads: &[crate::incident::WorkloadRef] = if has_actors {
        push_limited(&mut out, actors, MAX_ACTORS, "identities", |o, i| {
            o.push_str(&i.display)
        });
        &inc.workloads
    } else if let Some((first_wl, others)) = inc.workloads.split_first() {
        push_workload(&mut out, first_wl);
        others
    } else if !inc.nodes.is_empty() {
        out.push_str("node ");
        push_limited(&mut out, inc.nodes.iter(), usize::MAX, "", |o, n| {
            o.push_str(n)
        });
        &[]
    } else {
        out.push_str("unattributed activity");
        &[]
    };
    capitalise_from(&mut out, 0);
    if has_actors {
        let named_ips = inc.source_ips.iter().filter(|ip| {
            !inc.identities
                .iter()
                .any(|i| i.kind == "anonymous" && &&i.name == ip)
        });
        if named_ips.clone().next().is_some() {
            out.push_str(", from ");
            push_limited(&mut out, named_ips, 3, "addresses", |o, ip| o.push_str(ip));
            out.push(',');
        }
    }
    out.push_str(" raised ");
    push_count(&mut out, inc.alert_count as u64, "alert", "alerts");
    if first == last {
        out.push_str(" at ");
        push_datetime(&mut out, first);
    } else {
        out.push_str(" between ");
        push_datetime(&mut out, first);
        out.push_str(" and ");
        push_time_near(&mut out, last, first);
        out.push_str(" (");
        push_duration(&mut out, last - first);
        out.push(')');
    }
    if !rest_workloads.is_empty() {
        out.push_str(", involving ");
        push_limited(
            &mut out,
            rest_workloads.iter(),
            MAX_WORKLOADS,
            "workloads",
            push_workload,
        );
    }
    if runs_as_only.clone().next().is_some() {
        out.push_str(" (running as ");
        push_limited(&mut out, runs_as_only, usize::MAX, "", |o, i| {
            o.push_str(&i.display)
        });
        out.push(')');
    }
    match inc.namespaces.as_slice() {
        [] => {}
        [one] => {
            out.push_str(" in namespace ");
            out.push_str(one);
        }
        many => {
            out.push_str(" in namespaces ");
            push_limited(&mut out, many.iter(), 4, "namespaces", |o, n| o.push_str(n));
        }
    }
    if let Some(c) = &inc.cluster {
        out.push_str(" of cluster ");
        out.push_str(c);
    }
    out.push('.');

    // 2. The kill chain: techniques grouped by tactic, in matrix order then time.
    if inc.techniques.is_empty() {
        out.push_str(" Its alerts name no ATT&CK technique.");
    } else {
        out.push_str(" Kill chain:");
        let mut current: Option<&str> = None;
        for (i, step) in inc.techniques.iter().take(MAX_STEPS).enumerate() {
            let tactic = step
                .tactic_shortnames
                .first()
                .map_or("unknown tactic", String::as_str);
            if current != Some(tactic) {
                let name = inc
                    .tactics
                    .iter()
                    .find(|t| t.shortname == tactic)
                    .map_or(tactic, |t| t.name.as_str());
                out.push_str(if i == 0 { " " } else { "; " });
                out.push_str(name);
                out.push_str(": ");
                current = Some(tactic);
            } else {
                out.push_str(", ");
            }
            out.push_str(&step.name);
            out.push_str(" (");
            out.push_str(&step.technique);
            out.push(')');
            if let Some(o) = step.objects.first() {
                out.push_str(" on ");
                out.push_str(o);
            }
            out.push_str(" at ");
            let t = step_times.get(i).copied().unwrap_or(first);
            push_time_near(&mut out, t, first);
        }
        if inc.techniques.len() > MAX_STEPS {
            out.push_str("; and ");
            push_count(
                &mut out,
                (inc.techniques.len() - MAX_STEPS) as u64,
                "more technique",
                "more techniques",
            );
        }
        out.push('.');
    }

    // 3. The worst alert.
    if let Some(t) = top_time
        && !inc.score.max_priority_rule.is_empty()
    {
        out.push_str(" The most severe alert is \"");
        out.push_str(&inc.score.max_priority_rule);
        out.push_str("\" (");
        out.push_str(&inc.score.max_priority);
        out.push_str(") at ");
        push_time_near(&mut out, t, first);
        out.push('.');
    }

    // 4. What made it possible.
    if findings.is_empty() {
        out.push_str(" No posture finding was given about these identities or workloads.");
    } else {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for f in findings.iter().take(MAX_FINDINGS) {
            let anchor = finding_anchor(f);
            let item = format!("{} ({})", f.title, f.check);
            match groups.iter_mut().find(|(a, _)| *a == anchor) {
                Some((_, items)) => items.push(item),
                None => groups.push((anchor, vec![item])),
            }
        }
        out.push_str(" Posture findings that made it possible: ");
        for (i, (anchor, items)) in groups.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(anchor);
            out.push_str(": ");
            out.push_str(&items.join(", "));
        }
        if findings.len() > MAX_FINDINGS {
            out.push_str("; and ");
            push_count(
                &mut out,
                (findings.len() - MAX_FINDINGS) as u64,
                "more finding",
                "more findings",
            );
        }
        out.push('.');
    }

    // 5. Score and confidence.
    let _ = write!(
        out,
        " Score {:.1}/100: severity {:.2} (",
        inc.score.total, inc.score.severity
    );
    out.push_str(if inc.score.max_priority.is_empty() {
        "unknown"
    } else {
        &inc.score.max_priority
    });
    out.push_str("), ");
    push_count(&mut out, inc.score.tactic_count as u64, "tactic", "tactics");
    let _ = write!(out, ", confidence {:.2}.", inc.confidence);
    if drop_reports > 0 {
        let mut nodes: Vec<String> = inc
            .sensor_drops
            .iter()
            .filter_map(|d| d.node.clone())
            .collect();
        nodes.sort();
        nodes.dedup();
        out.push_str(
            " Confidence is lowered because the sensor reported dropped events during the incident (",
        );
        push_count(&mut out, drop_reports as u64, "report", "reports");
        if let Some(n) = dropped {
            out.push_str(", ");
            push_count(&mut out, n, "event", "events");
        }
        if !nodes.is_empty() {
            out.push_str(", node ");
            push_limited(&mut out, nodes.iter(), 3, "nodes", |o, n| o.push_str(n));
        }
        out.push_str("): alerts or links may be missing.");
    }
    out
}

/// Append `1 alert`, `3 alerts`.
fn push_count(out: &mut String, n: u64, one: &str, many: &str) {
    crate::time::push_u64(out, n);
    out.push(' ');
    out.push_str(if n == 1 { one } else { many });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_naturally() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&v(&[])), "");
        assert_eq!(and_list(&v(&["a"])), "a");
        assert_eq!(and_list(&v(&["a", "b", "c"])), "a, b and c");
        assert_eq!(
            limited(&v(&["a", "b", "c"]), 2, "things"),
            "a, b and 1 more things"
        );
        assert_eq!(capitalise("service account x"), "Service account x");
    }
}
