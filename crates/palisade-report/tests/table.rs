//! Table layout properties: width limits, colour, sanitising.

mod common;

use palisade_core::ScanReport;
use palisade_report::{GroupBy, TableOptions, render_table};

/// Removes ANSI SGR sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The fixture, with text long enough to wrap everywhere.
fn long_report() -> ScanReport {
    let mut report = common::report();
    for (i, f) in report.findings.iter_mut().enumerate() {
        f.message = format!(
            "{} {} and-a-very-long-hyphenated-identifier-that-cannot-possibly-fit-on-one-line-{i} {}",
            f.message,
            "lorem ipsum dolor sit amet ".repeat(i + 1),
            "x".repeat(90)
        );
        f.location.path = format!(
            "very/deeply/nested/directory/structure/for/testing/{i}/{}",
            f.location.path
        );
        f.check = format!("{}{}", f.check, "-EXTRA".repeat(i % 3));
    }
    report.findings[1].techniques.extend([
        "T1611".to_string(),
        "T1068".to_string(),
        "T1552.007".to_string(),
    ]);
    report.errors[0].path = "/".to_string() + &"segment/".repeat(30) + "values.yaml";
    report.skipped[0].reason = "binary ".repeat(40);
    report.suppressions[1].declared_at = format!("{}:12", "nested/".repeat(25));
    report
}

fn options(group_by: GroupBy, color: bool, width: usize) -> TableOptions {
    TableOptions {
        group_by,
        color,
        width,
        show_suppressed: true,
    }
}

#[test]
fn no_line_exceeds_the_width() {
    let cx = common::context();
    for report in [common::report(), long_report()] {
        for width in 60..=200 {
            for group_by in [GroupBy::Tactic, GroupBy::Severity] {
                for color in [false, true] {
                    let out = render_table(&report, &cx, &options(group_by, color, width));
                    let plain = strip_ansi(&out);
                    for line in plain.lines() {
                        assert!(
                            line.chars().count() <= width,
                            "width {width}, {group_by:?}, color {color}: {} columns:\n{line}",
                            line.chars().count()
                        );
                        assert_eq!(line, line.trim_end(), "trailing space at width {width}");
                    }
                }
            }
        }
    }
}

#[test]
fn nothing_is_lost_when_wrapping() {
    let cx = common::context();
    let report = long_report();
    // Block layout: each message is contiguous once the line breaks are removed.
    let out = render_table(&report, &cx, &options(GroupBy::Tactic, false, 60));
    let joined: String = out.split_whitespace().collect();
    for f in &report.findings {
        let message: String = f.message.split_whitespace().collect();
        assert!(joined.contains(&message), "lost part of {}", f.check);
    }
    // Table layout: every short word of every message is still a word of the output.
    for width in [100, 160, 200] {
        let out = render_table(&report, &cx, &options(GroupBy::Severity, false, width));
        let words: std::collections::BTreeSet<&str> = out.split_whitespace().collect();
        for f in &report.findings {
            for word in f.message.split_whitespace().filter(|w| w.len() <= 20) {
                assert!(words.contains(word), "lost `{word}` at width {width}");
            }
            if f.check.len() <= 16 {
                // Longer ids may wrap.
                assert!(
                    words.contains(f.check.as_str()),
                    "lost {} at width {width}",
                    f.check
                );
            }
        }
    }
}

#[test]
fn widths_below_the_minimum_are_raised() {
    let cx = common::context();
    let report = common::report();
    for width in [0, 10, 59] {
        assert_eq!(
            render_table(&report, &cx, &options(GroupBy::Tactic, false, width)),
            render_table(&report, &cx, &options(GroupBy::Tactic, false, 60)),
        );
    }
}

#[test]
fn colour_only_adds_escape_codes() {
    let cx = common::context();
    let report = common::report();
    for width in [60, 100, 160] {
        for group_by in [GroupBy::Tactic, GroupBy::Severity] {
            let plain = render_table(&report, &cx, &options(group_by, false, width));
            let colored = render_table(&report, &cx, &options(group_by, true, width));
            assert!(colored.contains("\u{1b}[31m"), "no red in coloured output");
            assert!(!plain.contains('\u{1b}'));
            assert_eq!(strip_ansi(&colored), plain);
        }
    }
}

#[test]
fn escape_sequences_from_inputs_are_neutralised() {
    let cx = common::context();
    let mut report = common::report();
    report.findings[0].message =
        "container `\u{1b}[2J\u{1b}]0;pwned\u{7}app` runs privileged".to_string();
    report.errors[0].message = "bad\rline\u{1b}[1A".to_string();
    for color in [false, true] {
        let out = render_table(&report, &cx, &options(GroupBy::Tactic, color, 120));
        let plain = strip_ansi(&out);
        assert!(!plain.contains('\u{1b}'), "raw escape in output");
        assert!(!plain.contains('\u{7}') && !plain.contains('\r'));
        assert!(plain.contains("\\u{1b}[2J"));
    }
}

#[test]
fn wide_tables_give_tactics_their_own_column() {
    let cx = common::context();
    let out = render_table(
        &common::report(),
        &cx,
        &options(GroupBy::Tactic, false, 160),
    );
    assert!(out.lines().any(|l| l.contains("ALSO IN")));
    let out = render_table(
        &common::report(),
        &cx,
        &options(GroupBy::Severity, false, 160),
    );
    assert!(out.lines().any(|l| l.contains("TACTICS")));
    let out = render_table(
        &common::report(),
        &cx,
        &options(GroupBy::Tactic, false, 100),
    );
    assert!(out.contains("also in: Persistence"));
}

#[test]
fn findings_with_several_tactics_are_listed_once() {
    let cx = common::context();
    let out = render_table(
        &common::report(),
        &cx,
        &options(GroupBy::Tactic, false, 100),
    );
    assert_eq!(out.matches("PAL-RBAC-001").count(), 1);
    // Under its first tactic in matrix order (execution), the others shown beside it.
    let execution = out.find("Execution (").unwrap();
    let privesc = out.find("Privilege Escalation (").unwrap();
    let rbac = out.find("PAL-RBAC-001").unwrap();
    assert!(execution < rbac && rbac < privesc);
}

#[test]
fn empty_report_says_so() {
    let cx = common::context();
    let out = render_table(&ScanReport::default(), &cx, &TableOptions::default());
    assert!(out.starts_with("No findings.\n"));
}

#[test]
fn findings_without_tactics_come_last() {
    let cx = common::context();
    let mut report = common::report();
    report.findings[0].tactics.clear();
    report.findings[0].techniques = vec!["T9999".to_string()];
    let out = render_table(&report, &cx, &options(GroupBy::Tactic, false, 100));
    let none = out
        .find("No ATT&CK tactic (1 finding)")
        .expect("group present");
    assert!(out.find("Impact (").unwrap() < none);
}
