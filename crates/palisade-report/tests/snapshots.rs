//! Snapshot tests of every renderer on one hand-built report (`tests/common`).

mod common;

use palisade_core::ScanReport;
use palisade_report::{GroupBy, TableOptions, render_json, render_sarif, render_table};

fn table(report: &ScanReport, group_by: GroupBy, width: usize, show_suppressed: bool) -> String {
    let opts = TableOptions {
        group_by,
        color: false,
        width,
        show_suppressed,
    };
    render_table(report, &common::context(), &opts)
}

#[test]
fn table_by_tactic() {
    insta::assert_snapshot!(table(&common::report(), GroupBy::Tactic, 100, true));
}

#[test]
fn table_by_severity() {
    insta::assert_snapshot!(table(&common::report(), GroupBy::Severity, 100, false));
}

#[test]
fn table_narrow() {
    insta::assert_snapshot!(table(&common::report(), GroupBy::Tactic, 60, true));
}

#[test]
fn table_without_findings() {
    let mut report = common::report();
    report.findings.retain(|f| f.suppressed.is_some());
    report.errors.clear();
    report.skipped.clear();
    report.suppressions.clear();
    insta::assert_snapshot!(table(&report, GroupBy::Tactic, 100, false));
}

#[test]
fn json() {
    insta::assert_snapshot!(render_json(&common::report(), &common::context()));
}

#[test]
fn sarif() {
    insta::assert_snapshot!(render_sarif(&common::report(), &common::context()));
}
