//! The human view: findings grouped by ATT&CK tactic or by severity, then a summary.
//!
//! Wide terminals get a table (severity, check, message, location, techniques, tactics) whose
//! cells wrap inside their columns; when the columns cannot all fit, each finding is printed
//! as a short block instead. No line is ever wider than the requested width (at least
//! [`MIN_WIDTH`]). Text from inputs is sanitised, so a manifest cannot inject escape codes.

use crate::RenderContext;
use crate::sarif::{checks_named, split_declared_at};
use crate::summary::{SEVERITIES_DESC, Summary, Tactics};
use crate::text::{Word, push_styled, sanitize, width, words, wrap, wrap_words};
use anstyle::{AnsiColor, Style};
use palisade_core::{Finding, ScanReport, Severity, SuppressionState};

/// Narrowest width the table renders at; smaller requests are raised to it.
pub const MIN_WIDTH: usize = 60;

const INDENT: usize = 2;
const GAP: usize = 2;
/// Indent of the continuation lines of a block (narrow layout) and of list entries.
const BLOCK_INDENT: &str = "      ";

/// How findings are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// By ATT&CK tactic, in matrix order; a finding is listed under its first tactic.
    #[default]
    Tactic,
    /// By severity, critical first.
    Severity,
}

/// Options of [`render_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Grouping of the findings.
    pub group_by: GroupBy,
    /// Colour severities and headings with ANSI escape codes.
    pub color: bool,
    /// Terminal width in columns (raised to [`MIN_WIDTH`]).
    pub width: usize,
    /// Also list suppressed findings with their reasons.
    pub show_suppressed: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            group_by: GroupBy::Tactic,
            color: false,
            width: 100,
            show_suppressed: false,
        }
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().dimmed(),
    }
}

const HEADING: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const WARNING: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const ERROR: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));

/// One finding, its cells already sanitised.
struct Row {
    severity: Severity,
    check: String,
    message: String,
    location: String,
    techniques: String,
    tactics: String,
}

impl Row {
    fn new(finding: &Finding, tactics: Vec<String>) -> Self {
        let l = &finding.location;
        Row {
            severity: finding.severity,
            check: sanitize(&finding.check),
            message: sanitize(&finding.message),
            location: sanitize(&format!("{}:{}:{}", l.path, l.line, l.column)),
            techniques: sanitize(&finding.techniques.join(" ")),
            tactics: sanitize(&tactics.join(", ")),
        }
    }

    /// The message cell when tactics have no column of their own.
    fn message_lines(&self, by: GroupBy) -> Vec<String> {
        let mut lines = vec![self.message.clone()];
        if !self.tactics.is_empty() {
            lines.push(format!("{} {}", tactics_label(by), self.tactics));
        }
        lines
    }

    fn cells(&self) -> [&str; 6] {
        [
            self.severity.as_str(),
            &self.check,
            &self.message,
            &self.location,
            &self.techniques,
            &self.tactics,
        ]
    }
}

fn tactics_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Tactic => "also in:",
        GroupBy::Severity => "tactics:",
    }
}

struct Group {
    heading: String,
    style: Style,
    rows: Vec<Row>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn groups(report: &ScanReport, tactics: &Tactics, by: GroupBy) -> Vec<Group> {
    let active: Vec<&Finding> = report.active_findings().collect();
    let mut out = Vec::new();
    match by {
        GroupBy::Severity => {
            for severity in SEVERITIES_DESC {
                let rows: Vec<Row> = active
                    .iter()
                    .filter(|f| f.severity == severity)
                    .map(|f| {
                        let names = tactics.ordered(f).into_iter().map(|t| tactics.display(t));
                        Row::new(f, names.collect())
                    })
                    .collect();
                if !rows.is_empty() {
                    let name = severity.as_str();
                    let mut title: String = name[..1].to_uppercase();
                    title.push_str(&name[1..]);
                    out.push(Group {
                        heading: title,
                        style: severity_style(severity).bold(),
                        rows,
                    });
                }
            }
        }
        GroupBy::Tactic => {
            // Group key: the finding's first tactic in matrix order; none → last group.
            let mut keyed: Vec<(Option<&str>, &Finding)> = active
                .iter()
                .map(|f| (tactics.ordered(f).first().copied(), *f))
                .collect();
            // Stable: within a group, most severe first, then the report's order.
            keyed.sort_by(|(a, fa), (b, fb)| {
                let ka = a.map(|t| tactics.key(t));
                let kb = b.map(|t| tactics.key(t));
                (ka.is_none(), ka)
                    .cmp(&(kb.is_none(), kb))
                    .then(fb.severity.cmp(&fa.severity))
            });
            let mut last_key = None;
            for (key, finding) in keyed {
                let others: Vec<String> = tactics
                    .ordered(finding)
                    .iter()
                    .skip(1)
                    .map(|t| tactics.display(t))
                    .collect();
                let row = Row::new(finding, others);
                match out.last_mut() {
                    Some(Group { rows, .. }) if last_key == Some(key) => rows.push(row),
                    _ => out.push(Group {
                        heading: key
                            .map_or_else(|| "No ATT&CK tactic".to_owned(), |t| tactics.display(t)),
                        style: HEADING,
                        rows: vec![row],
                    }),
                }
                last_key = Some(key);
            }
        }
    }
    out
}

/// Column widths of the table layout. `tactic_col`: tactics have their own column (else they
/// are a line of the message cell).
struct Layout {
    widths: Vec<usize>,
    tactic_col: bool,
}

/// The widest table that fits `total` columns: first with a tactic column, then without;
/// `None` when even that leaves the message too narrow (the block layout is used then).
fn layout(rows: &[&Row], headers: &[&str; 6], total: usize, by: GroupBy) -> Option<Layout> {
    let any_tactics = rows.iter().any(|r| !r.tactics.is_empty());
    let with_tactics = any_tactics
        .then(|| fit(rows, headers, total, true, by))
        .flatten();
    with_tactics.or_else(|| fit(rows, headers, total, false, by))
}

fn fit(
    rows: &[&Row],
    headers: &[&str; 6],
    total: usize,
    tactic_col: bool,
    by: GroupBy,
) -> Option<Layout> {
    let ncols = if tactic_col { 6 } else { 5 };
    let lines = |r: &Row, i: usize| -> Vec<String> {
        if i == 2 && !tactic_col {
            r.message_lines(by)
        } else {
            vec![r.cells()[i].to_owned()]
        }
    };
    let natural = |i: usize| {
        rows.iter()
            .flat_map(|r| lines(r, i))
            .map(|l| width(&l))
            .chain([width(headers[i])])
            .max()
            .unwrap_or(0)
    };
    let longest_word = |i: usize| {
        rows.iter()
            .flat_map(|r| lines(r, i))
            .flat_map(|l| l.split_whitespace().map(width).collect::<Vec<_>>())
            .chain([width(headers[i])])
            .max()
            .unwrap_or(0)
    };
    // Minimum widths; headers never wrap.
    let mins = [
        8,
        natural(1).min(16),
        natural(2).min(36),
        natural(3).min(20),
        longest_word(4).min(10),
        natural(5).min(20),
    ];
    let naturals = [
        8,
        natural(1),
        natural(2),
        natural(3).min(40),
        natural(4).min(24),
        natural(5).min(40),
    ];
    let mut widths: Vec<usize> = (0..ncols).map(|i| mins[i].max(width(headers[i]))).collect();
    let avail = total.checked_sub(INDENT + GAP * (ncols - 1))?;
    let mut remaining = avail.checked_sub(widths.iter().sum())?;
    // Locations are short and read badly when wrapped: they get their width first. The rest
    // is shared, the message getting the largest share.
    let mut grow = |i: usize, by: usize, widths: &mut Vec<usize>| -> bool {
        let add = by.min(naturals[i].saturating_sub(widths[i])).min(remaining);
        widths[i] += add;
        remaining -= add;
        add > 0
    };
    grow(3, usize::MAX, &mut widths);
    grow(1, usize::MAX, &mut widths);
    let shares: &[(usize, usize)] = if tactic_col {
        &[(2, 3), (5, 1)]
    } else {
        &[(2, 1)]
    };
    loop {
        let mut grew = false;
        for &(i, share) in shares {
            grew |= grow(i, share, &mut widths);
        }
        if !grew {
            break;
        }
    }
    // Techniques are listed one per line unless there is room to spare.
    grow(4, usize::MAX, &mut widths);
    Some(Layout { widths, tactic_col })
}

struct Printer {
    lines: Vec<String>,
    width: usize,
    color: bool,
}

impl Printer {
    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    fn para(&mut self, words: &[Word], first: &str, rest: &str) {
        let lines = wrap_words(words, first, rest, self.width, self.color);
        self.lines.extend(lines);
    }

    fn heading(&mut self, text: &str, style: Style) {
        self.para(&[Word::styled(text, style)], "", "");
    }

    fn wide_row(&mut self, row: &Row, layout: &Layout, by: GroupBy) {
        let cells = row.cells();
        let wrapped: Vec<Vec<String>> = layout
            .widths
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if i == 2 && !layout.tactic_col {
                    row.message_lines(by)
                        .iter()
                        .flat_map(|l| wrap(l, w))
                        .collect()
                } else {
                    wrap(cells[i], w)
                }
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for n in 0..height {
            let mut line = " ".repeat(INDENT);
            for (i, &w) in layout.widths.iter().enumerate() {
                if i > 0 {
                    line.push_str(&" ".repeat(GAP));
                }
                let text = wrapped[i].get(n).map_or("", String::as_str);
                let style = (i == 0).then(|| severity_style(row.severity));
                push_styled(&mut line, text, style, self.color);
                line.push_str(&" ".repeat(w.saturating_sub(width(text))));
            }
            self.lines.push(line.trim_end().to_owned());
        }
    }

    fn narrow_row(&mut self, row: &Row, by: GroupBy, check_cols: usize) {
        let mut first = vec![
            Word::styled(row.severity.as_str(), severity_style(row.severity)).padded(9),
            Word::plain(&row.check).padded(check_cols + 1),
        ];
        first.extend(words(&row.techniques));
        self.para(&first, &" ".repeat(INDENT), BLOCK_INDENT);
        self.para(&words(&row.message), BLOCK_INDENT, BLOCK_INDENT);
        let mut at = vec![Word::styled("at", DIM)];
        at.push(Word::plain(&row.location));
        self.para(&at, BLOCK_INDENT, BLOCK_INDENT);
        if !row.tactics.is_empty() {
            let mut t = vec![Word::styled(tactics_label(by), DIM)];
            t.extend(words(&row.tactics));
            self.para(&t, BLOCK_INDENT, BLOCK_INDENT);
        }
    }
}

/// Renders `report` for a terminal. See the module docs for the layout; the output ends with
/// a newline and no line is wider than `opts.width` (at least [`MIN_WIDTH`]) columns.
pub fn render_table(report: &ScanReport, cx: &RenderContext<'_>, opts: &TableOptions) -> String {
    let total = opts.width.max(MIN_WIDTH);
    let tactics = Tactics::new(report, cx);
    let summary = Summary::new(report, &tactics);
    let mut p = Printer {
        lines: Vec::new(),
        width: total,
        color: opts.color,
    };

    let groups = groups(report, &tactics, opts.group_by);
    if groups.is_empty() {
        let text = if summary.suppressed > 0 {
            format!("No findings ({} suppressed).", summary.suppressed)
        } else {
            "No findings.".to_owned()
        };
        p.para(&words(&text), "", "");
    } else {
        let rows: Vec<&Row> = groups.iter().flat_map(|g| &g.rows).collect();
        let last = match opts.group_by {
            GroupBy::Tactic => "ALSO IN",
            GroupBy::Severity => "TACTICS",
        };
        let headers = [
            "SEVERITY",
            "CHECK",
            "MESSAGE",
            "LOCATION",
            "TECHNIQUES",
            last,
        ];
        let layout = layout(&rows, &headers, total, opts.group_by);
        let check_cols = rows.iter().map(|r| width(&r.check)).max().unwrap_or(0);
        for group in &groups {
            p.blank();
            let count = plural(group.rows.len(), "finding", "findings");
            p.heading(
                &format!("{} ({count})", sanitize(&group.heading)),
                group.style,
            );
            match &layout {
                Some(layout) => {
                    let mut header = " ".repeat(INDENT);
                    for (i, &w) in layout.widths.iter().enumerate() {
                        if i > 0 {
                            header.push_str(&" ".repeat(GAP));
                        }
                        push_styled(&mut header, headers[i], Some(DIM), p.color);
                        header.push_str(&" ".repeat(w.saturating_sub(width(headers[i]))));
                    }
                    p.lines.push(header.trim_end().to_owned());
                    for row in &group.rows {
                        p.wide_row(row, layout, opts.group_by);
                    }
                }
                None => {
                    for row in &group.rows {
                        p.narrow_row(row, opts.group_by, check_cols);
                    }
                }
            }
        }
    }

    summary_block(&mut p, report, cx, &summary, opts);
    let mut out = p.lines.join("\n");
    out.push('\n');
    out
}

fn summary_block(
    p: &mut Printer,
    report: &ScanReport,
    cx: &RenderContext<'_>,
    summary: &Summary,
    opts: &TableOptions,
) {
    const LABEL: usize = 12;
    p.blank();
    p.heading("Summary", HEADING);
    let label = |text: &str| Word::plain(text).padded(LABEL);
    let rest = " ".repeat(INDENT + LABEL + 1);

    let mut scanned = vec![label("Scanned:")];
    scanned.extend(words(&format!(
        "{}, {} (MITRE ATT&CK v{}, Containers)",
        plural(summary.files, "file", "files"),
        plural(summary.objects, "object", "objects"),
        sanitize(cx.attack_version)
    )));
    p.para(&scanned, "  ", &rest);

    let mut findings = vec![
        label("Findings:"),
        Word::plain(&summary.findings.to_string()),
        Word::plain("active:"),
    ];
    for (i, severity) in SEVERITIES_DESC.iter().enumerate() {
        findings.push(Word::styled(severity.as_str(), severity_style(*severity)));
        let sep = if i + 1 < SEVERITIES_DESC.len() {
            ","
        } else {
            ""
        };
        findings.push(Word::plain(&format!("{}{sep}", summary.by_severity[i])));
    }
    p.para(&findings, "  ", &rest);

    let mut suppressed = vec![
        label("Suppressed:"),
        Word::plain(&summary.suppressed.to_string()),
    ];
    if summary.suppressed > 0 && !opts.show_suppressed {
        suppressed.extend(words("(not listed)"));
    }
    p.para(&suppressed, "  ", &rest);

    let errors_style = if summary.errors > 0 {
        Some(ERROR)
    } else {
        None
    };
    let mut errors = vec![label("Errors:")];
    errors.push(Word {
        style: errors_style,
        ..Word::plain(&summary.errors.to_string())
    });
    errors.push(Word::plain(if summary.errors == 1 {
        "input error,"
    } else {
        "input errors,"
    }));
    errors.extend(words(&format!(
        "{} skipped",
        plural(report.skipped.len(), "input", "inputs")
    )));
    p.para(&errors, "  ", &rest);

    if !report.errors.is_empty() {
        p.blank();
        p.heading(&format!("Input errors ({})", report.errors.len()), HEADING);
        for error in &report.errors {
            let mut ws = vec![Word::styled("error:", ERROR)];
            ws.extend(words(&sanitize(&error.to_string())));
            p.para(&ws, "  ", "    ");
        }
    }

    if !report.skipped.is_empty() {
        p.blank();
        p.heading(
            &format!("Skipped inputs ({})", report.skipped.len()),
            HEADING,
        );
        for skipped in &report.skipped {
            let text = sanitize(&format!("{}: {}", skipped.path, skipped.reason));
            p.para(&words(&text), "  ", "    ");
        }
    }

    let stale: Vec<_> = report
        .suppressions
        .iter()
        .filter(|s| s.state != SuppressionState::Used)
        .collect();
    if !stale.is_empty() {
        p.blank();
        p.heading(&format!("Suppression warnings ({})", stale.len()), HEADING);
        for s in stale {
            let (path, line) = split_declared_at(&s.declared_at);
            let place = if line > 0 {
                format!("{path}:{line}:")
            } else {
                format!("{path}:")
            };
            let what = match s.state {
                SuppressionState::Unused => format!(
                    "suppression of {} matched no finding; remove it if it is stale",
                    checks_named(s)
                ),
                _ => format!(
                    "suppression of {} expired on {}; its findings are reported again",
                    checks_named(s),
                    s.expires.as_deref().unwrap_or("an earlier date")
                ),
            };
            let mut ws = vec![Word::styled("warning:", WARNING)];
            ws.extend(words(&sanitize(&format!("{place} {what}"))));
            p.para(&ws, "  ", "    ");
        }
    }

    if opts.show_suppressed && summary.suppressed > 0 {
        p.blank();
        p.heading(
            &format!("Suppressed findings ({})", summary.suppressed),
            HEADING,
        );
        let suppressed = report.findings.iter().filter(|f| f.suppressed.is_some());
        let check_cols = suppressed
            .map(|f| width(&sanitize(&f.check)))
            .max()
            .unwrap_or(0);
        for finding in report.findings.iter() {
            let Some(s) = &finding.suppressed else {
                continue;
            };
            let row = Row::new(finding, Vec::new());
            let mut ws = vec![
                Word::styled(row.severity.as_str(), severity_style(row.severity)).padded(9),
                Word::plain(&row.check).padded(check_cols + 1),
            ];
            ws.extend(words(&row.message));
            ws.push(Word::styled("at", DIM));
            ws.push(Word::plain(&row.location));
            p.para(&ws, "  ", BLOCK_INDENT);
            let mut why = vec![Word::styled("reason:", DIM)];
            why.extend(words(&sanitize(&s.reason)));
            let mut by = format!("(by {}", s.by);
            if let Some(expires) = &s.expires {
                by.push_str(&format!(", expires {expires}"));
            }
            by.push(')');
            why.extend(words(&sanitize(&by)));
            p.para(&why, BLOCK_INDENT, BLOCK_INDENT);
        }
    }
}
