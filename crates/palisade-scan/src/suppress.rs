//! Suppressions: why a finding is accepted, declared in three places.
//!
//! * an annotation on the Kubernetes object: `palisade.dev/ignore: "PAL-K8S-001 -- reason"`;
//! * an inline comment in YAML, Dockerfile or Compose: `# palisade:ignore PAL-K8S-001 -- reason`
//!   at the end of the offending line or alone on the line above it, or
//!   `# palisade:ignore-file PAL-DF-001 -- reason` anywhere in the file;
//! * a central file (`--suppressions FILE`, default `.palisade-ignore.yaml`) with check ids,
//!   path globs, an object selector, a mandatory reason and an optional expiry date.
//!
//! Every form takes a list of ids (comma or space separated, `*` for all), an optional
//! `until=YYYY-MM-DD`, then ` -- ` and a reason. A suppression without a reason is an error
//! and does not apply. After the scan each suppression is reported as used, unused or expired.

use crate::checks::RawFinding;
use palisade_core::{InputError, InputErrorKind, Suppression, SuppressionReport, SuppressionState};
use palisade_yaml::{Limits, Node, Schema, parse_stream};

/// The annotation key.
pub const ANNOTATION: &str = "palisade.dev/ignore";
const INLINE: &str = "palisade:ignore";
const INLINE_FILE: &str = "palisade:ignore-file";

/// Where a suppression applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One object: (path, document, kind, name).
    Object {
        /// Path.
        path: String,
        /// Document index.
        document: usize,
        /// Kind.
        kind: String,
        /// Name.
        name: Option<String>,
    },
    /// Findings on one line of a file.
    Line {
        /// Path.
        path: String,
        /// Line.
        line: u32,
    },
    /// A whole file.
    File {
        /// Path.
        path: String,
    },
    /// Central-file selector.
    Selector {
        /// Path globs (empty = any path).
        paths: Vec<String>,
        /// Kind (exact, case-insensitive).
        kind: Option<String>,
        /// Namespace glob.
        namespace: Option<String>,
        /// Name glob.
        name: Option<String>,
    },
}

/// A declared suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// `annotation`, `inline` or `file`.
    pub kind: &'static str,
    /// `path:line` where it is declared.
    pub declared_at: String,
    /// Check ids (`*` = any).
    pub checks: Vec<String>,
    /// Reason.
    pub reason: String,
    /// Expiry date `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// Where it applies.
    pub scope: Scope,
}

/// The parsed body of a suppression: ids, optional expiry, reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Check ids.
    pub checks: Vec<String>,
    /// Expiry.
    pub expires: Option<String>,
    /// Reason.
    pub reason: String,
}

/// Parse `PAL-K8S-001,PAL-K8S-002 until=2027-01-31 -- reason`.
pub fn parse_directive(text: &str) -> Result<Directive, String> {
    let (head, reason) = match text.split_once("--") {
        Some((head, reason)) => (head, reason.trim()),
        None => (text, ""),
    };
    let mut checks = Vec::new();
    let mut expires = None;
    for word in head
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if let Some(date) = word.strip_prefix("until=") {
            if !is_date(date) {
                return Err(format!("`{date}` is not a date (expected YYYY-MM-DD)"));
            }
            expires = Some(date.to_owned());
        } else {
            checks.push(word.to_ascii_uppercase());
        }
    }
    if checks.is_empty() {
        return Err("no check id given (e.g. `PAL-K8S-001 -- reason`, or `*`)".into());
    }
    if reason.is_empty() {
        return Err("a reason is required after ` -- `".into());
    }
    Ok(Directive {
        checks,
        expires,
        reason: reason.to_owned(),
    })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Byte offset of the `#` that starts a YAML comment on this line: at the start or after
/// white space, and outside single- and double-quoted scalars.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if double => escaped = true,
            b'"' if !single => double = !double,
            b'\'' if !double => single = !single,
            b'#' if !single && !double && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

/// Inline comment suppressions of a text file. With `trailing_comments` (YAML), a comment at
/// the end of a line counts; Dockerfiles only have whole-line comments.
pub fn inline_suppressions(
    path: &str,
    src: &str,
    trailing_comments: bool,
    errors: &mut Vec<InputError>,
) -> Vec<Declared> {
    let mut out = Vec::new();
    let lines: Vec<&str> = src.lines().collect();
    for (idx, line) in lines.iter().enumerate() {
        if !line.contains(INLINE) {
            continue;
        }
        let Some(hash) = comment_start(line) else {
            continue;
        };
        if !trailing_comments && !line[..hash].trim().is_empty() {
            continue;
        }
        let Some(pos) = line[hash + 1..]
            .trim_start()
            .starts_with(INLINE)
            .then(|| hash + 1 + (line[hash + 1..].len() - line[hash + 1..].trim_start().len()))
        else {
            continue;
        };
        let line_no = idx as u32 + 1;
        let own_line = line[..hash].trim().is_empty();
        let (rest, whole_file) = match line[pos..].strip_prefix(INLINE_FILE) {
            Some(rest) => (rest, true),
            None => (&line[pos + INLINE.len()..], false),
        };
        let directive = match parse_directive(rest) {
            Ok(d) => d,
            Err(message) => {
                errors.push(InputError {
                    path: path.to_owned(),
                    line: line_no,
                    column: hash as u32 + 1,
                    message: format!("ignored suppression comment: {message}"),
                    kind: InputErrorKind::Suppression,
                });
                continue;
            }
        };
        let scope = if whole_file {
            Scope::File {
                path: path.to_owned(),
            }
        } else if own_line {
            // Applies to the next line that is neither blank nor a comment.
            let target = lines
                .iter()
                .enumerate()
                .skip(idx + 1)
                .find(|(_, l)| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map_or(line_no + 1, |(i, _)| i as u32 + 1);
            Scope::Line {
                path: path.to_owned(),
                line: target,
            }
        } else {
            Scope::Line {
                path: path.to_owned(),
                line: line_no,
            }
        };
        out.push(Declared {
            kind: "inline",
            declared_at: format!("{path}:{line_no}"),
            checks: directive.checks,
            reason: directive.reason,
            expires: directive.expires,
            scope,
        });
    }
    out
}

/// The suppression declared by an object's `palisade.dev/ignore` annotation.
pub fn annotation_suppression(
    object: &crate::k8s::K8sObject,
    errors: &mut Vec<InputError>,
) -> Option<Declared> {
    let node = object
        .root
        .get_path(&["metadata", "annotations", ANNOTATION])?;
    let text = node.text().unwrap_or("");
    match parse_directive(text) {
        Ok(d) => {
            let object_ref = object.origin.object.as_ref()?;
            Some(Declared {
                kind: "annotation",
                declared_at: format!("{}:{}", object.origin.path, node.span.line),
                checks: d.checks,
                reason: d.reason,
                expires: d.expires,
                scope: Scope::Object {
                    path: object.origin.path.clone(),
                    document: object_ref.document,
                    kind: object_ref.kind.clone(),
                    name: object_ref.name.clone(),
                },
            })
        }
        Err(message) => {
            errors.push(InputError {
                path: object.origin.path.clone(),
                line: node.span.line,
                column: node.span.column,
                message: format!("ignored `{ANNOTATION}` annotation: {message}"),
                kind: InputErrorKind::Suppression,
            });
            None
        }
    }
}

/// Parse a central suppression file:
///
/// ```yaml
/// suppressions:
///   - checks: [PAL-K8S-001]           # or `check: PAL-K8S-001`, `*` for all
///     paths: ["deploy/cni/**"]        # optional globs
///     object: {kind: DaemonSet, namespace: kube-system, name: "cilium*"}   # optional
///     reason: CNI agent needs host networking
///     expires: 2027-06-30             # optional
/// ```
pub fn parse_suppression_file(path: &str, src: &str) -> (Vec<Declared>, Vec<InputError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let err = |line: u32, column: u32, message: String| InputError {
        path: path.to_owned(),
        line,
        column,
        message,
        kind: InputErrorKind::Suppression,
    };
    let stream = parse_stream(src, Schema::Compose, &Limits::default());
    if let Some(e) = stream.error {
        errors.push(err(e.line, e.column, e.message));
    }
    for doc in &stream.documents {
        let Some(list) = doc.root.get("suppressions") else {
            errors.push(err(
                doc.root.span.line,
                doc.root.span.column,
                "expected a top-level `suppressions:` list".into(),
            ));
            continue;
        };
        for entry in list.items() {
            let (line, column) = (entry.span.line, entry.span.column);
            let mut checks: Vec<String> = entry
                .get("checks")
                .map(|n| {
                    n.items()
                        .iter()
                        .filter_map(Node::text)
                        .map(str::to_ascii_uppercase)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(one) = entry.get("check").and_then(Node::text) {
                checks.push(one.to_ascii_uppercase());
            }
            let reason = entry
                .get("reason")
                .and_then(Node::text)
                .unwrap_or("")
                .trim()
                .to_owned();
            let expires = entry.get("expires").and_then(Node::text).map(str::to_owned);
            if checks.is_empty() {
                errors.push(err(
                    line,
                    column,
                    "suppression names no check (`check:` or `checks:`)".into(),
                ));
                continue;
            }
            if reason.is_empty() {
                errors.push(err(
                    line,
                    column,
                    "suppression has no `reason:`; a reason is required".into(),
                ));
                continue;
            }
            if let Some(date) = &expires
                && !is_date(date)
            {
                errors.push(err(
                    line,
                    column,
                    format!("`expires: {date}` is not a date (expected YYYY-MM-DD)"),
                ));
                continue;
            }
            let paths = entry
                .get("paths")
                .map(|n| {
                    n.items()
                        .iter()
                        .filter_map(Node::text)
                        .map(str::to_owned)
                        .collect()
                })
                .or_else(|| {
                    entry
                        .get("path")
                        .and_then(Node::text)
                        .map(|p| vec![p.to_owned()])
                })
                .unwrap_or_default();
            let object = entry.get("object");
            let field = |k: &str| {
                object
                    .and_then(|o| o.get(k))
                    .and_then(Node::text)
                    .map(str::to_owned)
            };
            out.push(Declared {
                kind: "file",
                declared_at: format!("{path}:{line}"),
                checks,
                reason,
                expires,
                scope: Scope::Selector {
                    paths,
                    kind: field("kind"),
                    namespace: field("namespace"),
                    name: field("name"),
                },
            });
        }
    }
    (out, errors)
}

/// Glob match: `*` any run without `/`, `**` any run, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = p[2..]
                    .strip_prefix(b"/")
                    .filter(|_| true)
                    .unwrap_or(&p[2..]);
                (0..=t.len()).any(|i| go(rest, &t[i..]) || go(&p[2..], &t[i..]))
            }
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(&p[1..], &t[i..])),
            Some(b'?') => !t.is_empty() && t[0] != b'/' && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    let text = text.strip_prefix("./").unwrap_or(text);
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    go(pattern.as_bytes(), text.as_bytes())
}

impl Declared {
    fn names(&self, check: &str) -> bool {
        self.checks
            .iter()
            .any(|c| c == "*" || c.eq_ignore_ascii_case(check))
    }

    fn covers(&self, finding: &RawFinding) -> bool {
        if !self.names(finding.check.id) {
            return false;
        }
        match &self.scope {
            Scope::Object {
                path,
                document,
                kind,
                name,
            } => {
                finding.path == *path
                    && finding.object.as_ref().is_some_and(|o| {
                        o.document == *document && o.kind == *kind && o.name == *name
                    })
            }
            Scope::Line { path, line } => finding.path == *path && finding.line == *line,
            Scope::File { path } => finding.path == *path,
            Scope::Selector {
                paths,
                kind,
                namespace,
                name,
            } => {
                let object = finding.object.as_ref();
                (paths.is_empty() || paths.iter().any(|p| glob_match(p, &finding.path)))
                    && kind
                        .as_ref()
                        .is_none_or(|k| object.is_some_and(|o| o.kind.eq_ignore_ascii_case(k)))
                    && namespace.as_ref().is_none_or(|ns| {
                        object.is_some_and(|o| {
                            glob_match(ns, o.namespace.as_deref().unwrap_or("default"))
                        })
                    })
                    && name.as_ref().is_none_or(|n| {
                        object
                            .is_some_and(|o| o.name.as_deref().is_some_and(|on| glob_match(n, on)))
                    })
            }
        }
    }
}

/// Apply suppressions to findings. Returns, for each finding, the suppression that applies
/// (expired ones never apply), and the report of every declared suppression.
pub fn apply(
    findings: &[RawFinding],
    declared: &[Declared],
    today: &str,
) -> (Vec<Option<Suppression>>, Vec<SuppressionReport>) {
    let mut matched = vec![0usize; declared.len()];
    let mut expired_hit = vec![false; declared.len()];
    let applied = findings
        .iter()
        .map(|finding| {
            for (i, d) in declared.iter().enumerate() {
                if !d.covers(finding) {
                    continue;
                }
                if d.expires.as_deref().is_some_and(|e| e < today) {
                    expired_hit[i] = true;
                    continue;
                }
                matched[i] += 1;
                return Some(Suppression {
                    by: format!("{} {}", d.kind, d.declared_at),
                    reason: d.reason.clone(),
                    expires: d.expires.clone(),
                });
            }
            None
        })
        .collect();
    let reports = declared
        .iter()
        .enumerate()
        .map(|(i, d)| SuppressionReport {
            declared_at: d.declared_at.clone(),
            kind: d.kind.to_owned(),
            checks: d.checks.clone(),
            reason: d.reason.clone(),
            expires: d.expires.clone(),
            state: if d.expires.as_deref().is_some_and(|e| e < today) {
                SuppressionState::Expired
            } else if matched[i] > 0 {
                SuppressionState::Used
            } else {
                SuppressionState::Unused
            },
            matched: matched[i],
        })
        .collect();
    let _ = expired_hit;
    (applied, reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_requires_ids_and_reason() {
        let d =
            parse_directive(" PAL-K8S-001, pal-k8s-002 until=2027-01-31 -- CNI needs it").unwrap();
        assert_eq!(d.checks, ["PAL-K8S-001", "PAL-K8S-002"]);
        assert_eq!(d.expires.as_deref(), Some("2027-01-31"));
        assert_eq!(d.reason, "CNI needs it");
        assert!(
            parse_directive("PAL-K8S-001")
                .unwrap_err()
                .contains("reason")
        );
        assert!(
            parse_directive(" -- why")
                .unwrap_err()
                .contains("no check id")
        );
        assert!(
            parse_directive("X until=2027-1-1 -- r")
                .unwrap_err()
                .contains("not a date")
        );
    }

    #[test]
    fn inline_comments_target_their_line_or_the_next() {
        let src = "a: 1\n# palisade:ignore PAL-K8S-001 -- ok\n\nb: 2\nc: 3 # palisade:ignore * -- fine\nd: \"# palisade:ignore X -- not a comment\"\n";
        let mut errors = Vec::new();
        let found = inline_suppressions("f.yaml", src, true, &mut errors);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0].scope,
            Scope::Line {
                path: "f.yaml".into(),
                line: 4
            }
        );
        assert_eq!(
            found[1].scope,
            Scope::Line {
                path: "f.yaml".into(),
                line: 5
            }
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn globs() {
        assert!(glob_match("deploy/**", "deploy/a/b.yaml"));
        assert!(glob_match("**/*.yaml", "x/y/z.yaml"));
        assert!(glob_match("*.yaml", "z.yaml"));
        assert!(!glob_match("*.yaml", "x/z.yaml"));
        assert!(glob_match("cilium*", "cilium-agent"));
        assert!(glob_match("./deploy/*.yml", "deploy/a.yml"));
    }
}
