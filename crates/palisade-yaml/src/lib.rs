//! A spanned YAML tree for Palisade's posture checks.
//!
//! [`parse_stream`] turns a YAML stream into one [`Document`] per document, where every
//! [`Node`] remembers the line and column it was written at, so findings can point at the
//! exact place in the user's file.
//!
//! The same text can mean different things to different tools, and a posture scanner has to
//! read a file the way the tool that deploys it will. Two [`Schema`]s are therefore offered:
//!
//! * [`Schema::Kubernetes`] follows go-yaml v2 (YAML 1.1 resolution), which is what `kubectl`
//!   and the API server use (through `sigs.k8s.io/yaml`). There `privileged: on` is `true`,
//!   `defaultMode: 0644` is the octal number 420, and `1_000` is 1000. Reading such a manifest
//!   with YAML 1.2 rules would miss a privileged container or misjudge a file mode.
//! * [`Schema::Compose`] follows the YAML 1.2 core schema plus merge keys (`<<`), as Compose
//!   files are commonly written: only `true`/`false` are booleans and `0644` is decimal 644.
//!
//! In both schemas anchors and aliases are expanded, merge keys are applied and removed, and a
//! key repeated in one mapping is an error, as it is for the API server's strict decoding.
//! Every document is checked against [`Limits`] so that hostile input (alias bombs, deep
//! nesting, huge files) fails fast with [`YamlErrorKind::Limit`] instead of exhausting memory,
//! time or stack.

mod build;
mod node;
mod resolve;

/// Where a node starts in the source.
///
/// `line` and `column` are 1-based; `column` counts characters, `offset` counts bytes from the
/// start of the input. For a block mapping or sequence this is where its first key or item
/// starts; for a flow collection it is the opening bracket (or its anchor or tag, if any).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the node's first character.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// Which tool's reading of YAML to reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// go-yaml v2 / YAML 1.1 resolution, as used by kubectl and the Kubernetes API server.
    Kubernetes,
    /// YAML 1.2 core schema plus merge keys.
    Compose,
}

/// Bounds that keep hostile input from exhausting memory, time or stack.
///
/// `max_depth` also bounds the recursion of [`Node::to_json`], `Clone` and `Drop`, so keep it
/// in the hundreds or low thousands.
///
/// Besides `max_nodes` per document, the nodes copied for anchors and aliases across the whole
/// stream may not exceed `max_nodes` either; otherwise a stream of many small alias bombs, each
/// just under the per-document limit, could still take hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of collections, after alias expansion.
    pub max_depth: usize,
    /// Most nodes in one document, counting the copies made by alias expansion.
    pub max_nodes: usize,
    /// Most documents in one stream, empty ones included.
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 200,
            max_nodes: 2_000_000,
            max_documents: 100_000,
        }
    }
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'...'`
    SingleQuoted,
    /// `"..."`
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A node's resolved value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~`, or nothing at all.
    Null,
    /// A boolean, per the schema's spelling rules.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A float; also an integer too large for `i64`.
    Float(f64),
    /// Any other scalar, and every quoted or block scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order, merge keys already applied.
    Map(Vec<(Node, Node)>),
}

/// One node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the node starts. An alias's copy takes the alias's position; the nodes inside it
    /// keep the positions of the anchored original.
    pub span: Span,
    /// The resolved value.
    pub value: Value,
    /// The scalar's text after quote and escape processing; `None` for collections and for a
    /// null written as nothing.
    pub raw: Option<Box<str>>,
    /// How the scalar was written; `None` for collections.
    pub style: Option<ScalarStyle>,
    /// The explicit tag, core tags shortened to `!!name` (e.g. `!!str`), local ones as `!name`.
    pub tag: Option<Box<str>>,
}

/// One non-empty document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// 0-based position in the stream; empty documents are not returned but still counted.
    pub index: usize,
    /// The document's root node.
    pub root: Node,
    /// 1-based line of the `---` marker, or of the first content for an implicit document.
    pub start_line: u32,
}

/// What kind of problem stopped parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not valid YAML, or a tag or merge key cannot be applied.
    Syntax,
    /// A [`Limits`] bound was exceeded.
    Limit,
    /// A key occurs twice in one mapping.
    DuplicateKey,
}

/// Why parsing stopped, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    /// 1-based line of the offending place.
    pub line: u32,
    /// 1-based column (in characters) of the offending place.
    pub column: u32,
    /// Plain-English description.
    pub message: String,
    /// Category of the problem.
    pub kind: YamlErrorKind,
}

/// The result of parsing a whole stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// The non-empty documents completed before any error.
    pub documents: Vec<Document>,
    /// The error that stopped parsing, if any.
    pub error: Option<YamlError>,
}

/// Parses every document of `src`, resolving scalars with `schema`'s rules.
///
/// Documents completed before an error are kept; parsing stops at the first error.
#[must_use]
pub fn parse_stream(src: &str, schema: Schema, limits: &Limits) -> Stream {
    let stream = build::parse(src, schema, limits);
    match &stream.error {
        Some(e) if e.kind == YamlErrorKind::Syntax && e.message == "invalid indentation" => {
            lenient_flow_close(src, schema, limits, e.line).unwrap_or(stream)
        }
        _ => stream,
    }
}

/// libyaml (and so go-yaml v2) does not check indentation inside flow collections, so
/// manifests that kubectl accepts close a `[`/`{` at the indentation of its parent key:
///
/// ```yaml
///     args: [
///         "-a", "b",
///     ]
/// ```
///
/// saphyr rejects that line. When the offending line starts with a closing bracket, indent
/// it a little more and parse again (a few times at most); only that line's columns move.
fn lenient_flow_close(
    src: &str,
    schema: Schema,
    limits: &Limits,
    first_line: u32,
) -> Option<Stream> {
    const PAD: &str = "    ";
    let mut lines: Vec<String> = src.split('\n').map(str::to_owned).collect();
    let mut padded: Vec<u32> = Vec::new();
    let mut line = first_line;
    for _ in 0..16 {
        let idx = usize::try_from(line).ok()?.checked_sub(1)?;
        let text = lines.get_mut(idx)?;
        if !matches!(text.trim_start().chars().next(), Some(']' | '}')) {
            return None;
        }
        text.insert_str(0, PAD);
        padded.push(line);
        let patched = lines.join("\n");
        let mut stream = build::parse(&patched, schema, limits);
        match &stream.error {
            Some(e) if e.kind == YamlErrorKind::Syntax && e.message == "invalid indentation" => {
                line = e.line;
            }
            _ => {
                // Give every span back its position in the original text.
                let unshift = |span: &mut Span| {
                    let before = padded.iter().filter(|&&l| l < span.line).count();
                    let own = padded.contains(&span.line);
                    span.offset = span
                        .offset
                        .saturating_sub(PAD.len() * (before + usize::from(own)));
                    if own {
                        span.column = span.column.saturating_sub(PAD.len() as u32).max(1);
                    }
                };
                fn walk(node: &mut Node, f: &dyn Fn(&mut Span)) {
                    f(&mut node.span);
                    match &mut node.value {
                        Value::Seq(items) => items.iter_mut().for_each(|n| walk(n, f)),
                        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                            walk(k, f);
                            walk(v, f);
                        }),
                        _ => {}
                    }
                }
                for doc in &mut stream.documents {
                    walk(&mut doc.root, &unshift);
                }
                return Some(stream);
            }
        }
    }
    None
}
