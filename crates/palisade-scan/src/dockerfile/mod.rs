//! A Dockerfile front-end: instructions with line and column, line continuations, parser
//! directives (`# escape=`), BuildKit heredocs (`RUN <<EOF`), flags (`--chmod=...`), exec and
//! shell form, and stages. Never fails as a whole: an unknown instruction or an unterminated
//! heredoc becomes a [`DockerfileError`] and the rest of the file is still read.

use crate::spot::{Origin, Spot};
use palisade_core::ObjectRef;

/// Largest Dockerfile read (bigger is refused with an error).
pub const MAX_DOCKERFILE_BYTES: usize = 8 * 1024 * 1024;

const KNOWN: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word.
    pub delimiter: String,
    /// Body lines joined with `\n`.
    pub body: String,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Position in the file (0-based).
    pub index: usize,
    /// Upper-case keyword (`RUN`).
    pub keyword: String,
    /// 1-based line of the keyword.
    pub line: u32,
    /// 1-based column of the keyword.
    pub column: u32,
    /// `--name=value` flags before the arguments.
    pub flags: Vec<(String, Option<String>)>,
    /// Arguments after the flags, continuation lines joined by a space.
    pub args: String,
    /// Exec form (`["a", "b"]`) when the arguments are a JSON string array.
    pub exec_form: Option<Vec<String>>,
    /// Heredoc bodies.
    pub heredocs: Vec<Heredoc>,
    /// Stage index (None before the first `FROM`).
    pub stage: Option<usize>,
    /// For `ONBUILD X`, the wrapped keyword.
    pub onbuild: Option<String>,
}

impl Instruction {
    /// The command text a `RUN`/`CMD`/`ENTRYPOINT` runs: exec form joined by spaces, or the
    /// shell text, followed by any heredoc bodies.
    pub fn command_text(&self) -> String {
        let mut text = match &self.exec_form {
            Some(argv) => argv.join(" "),
            None => self.args.clone(),
        };
        for heredoc in &self.heredocs {
            text.push('\n');
            text.push_str(&heredoc.body);
        }
        text
    }

    /// Value of a flag (`--from`, `--chmod`, `--checksum`).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

/// A build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based stage index.
    pub index: usize,
    /// `AS name`.
    pub name: Option<String>,
    /// Base image reference as written.
    pub base: String,
    /// Index of the `FROM` instruction.
    pub from: usize,
}

/// A problem in a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Plain message.
    pub message: String,
}

/// A parsed Dockerfile.
#[derive(Debug)]
pub struct Dockerfile {
    /// Path.
    pub path: String,
    /// Instructions in order.
    pub instructions: Vec<Instruction>,
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// Comment lines as (line, text after `#`), for inline suppressions.
    pub comments: Vec<(u32, String)>,
    /// Problems found while reading.
    pub errors: Vec<DockerfileError>,
    origins: Vec<Origin>,
    global_origin: Origin,
}

impl Dockerfile {
    /// The place of an instruction.
    pub fn spot(&self, instruction: &Instruction) -> Spot<'_> {
        let origin = instruction
            .stage
            .and_then(|s| self.origins.get(s))
            .unwrap_or(&self.global_origin);
        Spot {
            origin,
            line: instruction.line,
            column: instruction.column,
            pointer: format!("/instructions/{}", instruction.index),
        }
    }

    /// The place of the whole file (line 1), for findings about something missing.
    pub fn file_spot(&self) -> Spot<'_> {
        let origin = self.origins.last().unwrap_or(&self.global_origin);
        let first = self
            .stages
            .last()
            .and_then(|s| self.instructions.get(s.from));
        Spot {
            origin,
            line: first.map_or(1, |i| i.line),
            column: first.map_or(1, |i| i.column),
            pointer: first.map_or(String::new(), |i| format!("/instructions/{}", i.index)),
        }
    }

    /// Instructions of one stage.
    pub fn stage_instructions(&self, stage: usize) -> impl Iterator<Item = &Instruction> {
        self.instructions
            .iter()
            .filter(move |i| i.stage == Some(stage))
    }

    /// The final stage (the image that ships).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }
}

fn dockerfile_origin(path: &str, stage: Option<&Stage>) -> Origin {
    Origin {
        path: path.to_owned(),
        object: Some(ObjectRef {
            api_version: "dockerfile".into(),
            kind: "Dockerfile".into(),
            namespace: None,
            name: stage.map(|s| {
                s.name
                    .clone()
                    .unwrap_or_else(|| format!("stage-{}", s.index))
            }),
            document: stage.map_or(0, |s| s.index),
        }),
    }
}

/// Split leading `--flag[=value]` words off the argument text.
fn split_flags(args: &str) -> (Vec<(String, Option<String>)>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while let Some(after) = rest.strip_prefix("--") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let word = &after[..end];
        if word.is_empty() {
            break;
        }
        match word.split_once('=') {
            Some((name, value)) => flags.push((name.to_owned(), Some(unquote(value).to_owned()))),
            None => flags.push((word.to_owned(), None)),
        }
        rest = after[end..].trim_start();
    }
    (flags, rest)
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Byte offset of the next `<<` that is outside single and double quotes.
fn unquoted_heredoc_marker(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'<' if !single && !double && bytes.get(i + 1) == Some(&b'<') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Heredoc delimiters opened in `args`: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`.
fn heredoc_openers(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(pos) = unquoted_heredoc_marker(rest) {
        let mut after = &rest[pos + 2..];
        let strip_tabs = after.starts_with('-');
        if strip_tabs {
            after = &after[1..];
        }
        let quoted = after.starts_with('"') || after.starts_with('\'');
        let body = if quoted { &after[1..] } else { after };
        let word: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
            .collect();
        if !word.is_empty() && !word.chars().all(|c| c.is_ascii_digit()) {
            out.push((word, strip_tabs));
        }
        rest = &rest[pos + 2..];
    }
    out
}

/// Parse a Dockerfile. Never panics; problems are returned in [`Dockerfile::errors`].
pub fn parse_dockerfile(path: &str, src: &str) -> Dockerfile {
    let mut df = Dockerfile {
        path: path.to_owned(),
        instructions: Vec::new(),
        stages: Vec::new(),
        comments: Vec::new(),
        errors: Vec::new(),
        origins: Vec::new(),
        global_origin: dockerfile_origin(path, None),
    };
    if src.len() > MAX_DOCKERFILE_BYTES {
        df.errors.push(DockerfileError {
            line: 1,
            column: 1,
            message: format!(
                "Dockerfile is {} bytes, more than the {} byte limit",
                src.len(),
                MAX_DOCKERFILE_BYTES
            ),
        });
        return df;
    }
    let lines: Vec<&str> = src.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only at the very top, before any instruction, comment or blank line.
    while i < lines.len() {
        let line = lines[i].trim();
        let Some(body) = line.strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = body.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        if key == "escape" {
            match value.trim() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                other => df.errors.push(DockerfileError {
                    line: i as u32 + 1,
                    column: 1,
                    message: format!("invalid escape directive `{other}`: expected \\ or `"),
                }),
            }
        }
        df.comments.push((i as u32 + 1, body.to_owned()));
        i += 1;
    }
    let mut stage: Option<usize> = None;
    while i < lines.len() {
        let raw = lines[i];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            df.comments.push((i as u32 + 1, comment.to_owned()));
            i += 1;
            continue;
        }
        let line_no = i as u32 + 1;
        let column = (raw.len() - trimmed.len()) as u32 + 1;
        // Join continuation lines; comments and blank lines inside a continuation are dropped.
        let mut text = String::new();
        let mut current = trimmed;
        loop {
            let stripped = current.trim_end();
            match stripped.strip_suffix(escape) {
                Some(head) if i + 1 < lines.len() => {
                    text.push_str(head);
                    text.push(' ');
                    i += 1;
                    while i < lines.len() {
                        let next = lines[i].trim_start();
                        if let Some(comment) = next.strip_prefix('#') {
                            df.comments.push((i as u32 + 1, comment.to_owned()));
                            i += 1;
                        } else if next.is_empty() {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    if i >= lines.len() {
                        break;
                    }
                    current = lines[i];
                }
                Some(head) => {
                    text.push_str(head);
                    break;
                }
                None => {
                    text.push_str(stripped);
                    break;
                }
            }
        }
        i += 1;
        let (keyword_raw, rest) = match text.find(char::is_whitespace) {
            Some(pos) => (&text[..pos], text[pos..].trim()),
            None => (text.as_str(), ""),
        };
        let keyword = keyword_raw.to_ascii_uppercase();
        if !KNOWN.contains(&keyword.as_str()) {
            df.errors.push(DockerfileError {
                line: line_no,
                column,
                message: format!("unknown instruction `{keyword_raw}`"),
            });
            continue;
        }
        let (mut keyword, mut onbuild, mut rest) = (keyword, None, rest.to_owned());
        if keyword == "ONBUILD" {
            let inner = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            onbuild = Some(inner.clone());
            rest = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..]
                .trim()
                .to_owned();
            keyword = "ONBUILD".into();
        }
        let effective = onbuild.as_deref().unwrap_or(&keyword);
        let mut heredocs = Vec::new();
        if matches!(effective, "RUN" | "COPY" | "ADD") {
            for (delimiter, strip_tabs) in heredoc_openers(&rest) {
                let mut body = Vec::new();
                let mut closed = false;
                while i < lines.len() {
                    let line = lines[i];
                    i += 1;
                    let candidate = if strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    if candidate.trim_end() == delimiter {
                        closed = true;
                        break;
                    }
                    body.push(candidate);
                }
                if !closed {
                    df.errors.push(DockerfileError {
                        line: line_no,
                        column,
                        message: format!("heredoc `{delimiter}` is never closed"),
                    });
                }
                heredocs.push(Heredoc {
                    delimiter,
                    body: body.join("\n"),
                });
            }
        }
        let (flags, args) = if matches!(effective, "RUN" | "COPY" | "ADD" | "FROM" | "HEALTHCHECK")
        {
            split_flags(&rest)
        } else {
            (Vec::new(), rest.as_str())
        };
        let exec_form = if args.starts_with('[') {
            serde_json::from_str::<Vec<String>>(args).ok()
        } else {
            None
        };
        let index = df.instructions.len();
        if keyword == "FROM" {
            let mut words = args.split_whitespace();
            let base = words.next().unwrap_or("").to_owned();
            let name = match (words.next(), words.next()) {
                (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => Some(name.to_owned()),
                _ => None,
            };
            let s = Stage {
                index: df.stages.len(),
                name,
                base,
                from: index,
            };
            df.origins.push(dockerfile_origin(path, Some(&s)));
            stage = Some(s.index);
            df.stages.push(s);
        }
        df.instructions.push(Instruction {
            index,
            keyword,
            line: line_no,
            column,
            flags,
            args: args.to_owned(),
            exec_form,
            heredocs,
            stage,
            onbuild,
        });
    }
    df
}

/// Does this text look like a Dockerfile (used for stdin)? The first instruction must be
/// `FROM`, `ARG` or a parser directive.
pub fn looks_like_dockerfile(src: &str) -> bool {
    src.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|w| w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("ARG"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_continuations_heredocs_flags_and_stages() {
        let src = "# syntax=docker/dockerfile:1\nFROM golang:1.22 AS build\nRUN apt-get update && \\\n    # a comment inside\n    apt-get install -y curl\nCOPY --chown=1000:1000 --from=build /out /app\nRUN <<EOF\nset -e\ncurl -fsSL https://x | sh\nEOF\nFROM scratch\nUSER 1000\n";
        let df = parse_dockerfile("Dockerfile", src);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.stages.len(), 2);
        assert_eq!(df.stages[0].name.as_deref(), Some("build"));
        let run = &df.instructions[1];
        assert_eq!(run.keyword, "RUN");
        assert_eq!(run.line, 3);
        assert_eq!(run.args, "apt-get update &&      apt-get install -y curl");
        let copy = &df.instructions[2];
        assert_eq!(copy.flag("chown"), Some("1000:1000"));
        assert_eq!(copy.flag("from"), Some("build"));
        assert_eq!(copy.args, "/out /app");
        let heredoc = &df.instructions[3];
        assert_eq!(
            heredoc.heredocs[0].body,
            "set -e\ncurl -fsSL https://x | sh"
        );
        assert_eq!(df.instructions[4].line, 11);
        assert_eq!(df.instructions[5].stage, Some(1));
    }

    #[test]
    fn quoted_heredoc_markers_are_text() {
        let df = parse_dockerfile(
            "Dockerfile",
            "FROM x\nRUN echo \"a<<b\" 'c<<d'\nUSER 1\nb\n",
        );
        assert!(df.instructions[1].heredocs.is_empty());
        assert_eq!(df.instructions[2].keyword, "USER");
    }

    #[test]
    fn escape_directive_and_exec_form() {
        let src =
            "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCMD [\"a\", \"b\"]\n";
        let df = parse_dockerfile("Dockerfile", src);
        assert_eq!(df.instructions[1].args, "dir    c:\\");
        assert_eq!(
            df.instructions[2].exec_form,
            Some(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn unknown_instruction_and_open_heredoc_are_errors_not_failures() {
        let df = parse_dockerfile("Dockerfile", "FROM x\nFOO bar\nUSER app\nRUN <<EOT\necho\n");
        assert_eq!(df.errors.len(), 2);
        assert_eq!((df.errors[0].line, df.errors[0].column), (2, 1));
        assert_eq!(df.instructions.len(), 3);
    }
}
