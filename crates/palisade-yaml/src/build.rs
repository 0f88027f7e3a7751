//! Builds the tree from saphyr-parser events, one document at a time.
//!
//! The builder keeps its own stack of open collections instead of recursing, so nesting depth
//! is checked before anything deep is built and hostile input cannot overflow the stack.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Marker, Parser, ScalarStyle as PStyle, ScanError, Tag};

use crate::resolve::resolve;
use crate::{
    Document, Limits, Node, ScalarStyle, Schema, Span, Stream, Value, YamlError, YamlErrorKind,
};

pub(crate) fn parse(src: &str, schema: Schema, limits: &Limits) -> Stream {
    let mut documents = Vec::new();
    if src.len() > limits.max_bytes {
        let error = YamlError {
            line: 1,
            column: 1,
            message: format!(
                "input is {} bytes, more than the limit of {} bytes",
                src.len(),
                limits.max_bytes
            ),
            kind: YamlErrorKind::Limit,
        };
        return Stream {
            documents,
            error: Some(error),
        };
    }
    let mut builder = Builder::new(src, schema, limits);
    let error = builder.run(&mut documents).err();
    Stream { documents, error }
}

/// A completed anchored node, ready to be copied by aliases.
struct Anchored {
    node: Node,
    /// Nodes in the subtree, for the node budget.
    size: usize,
    /// Collection levels in the subtree (0 for a scalar), for the depth limit.
    height: usize,
}

/// A collection whose end event has not arrived yet.
struct Frame {
    kind: FrameKind,
    /// Position of the node; block collections take their first child's when it arrives.
    span: Option<Span>,
    /// Used if a block collection never gets a child.
    fallback: Span,
    tag: Option<Box<str>>,
    anchor: usize,
    size: usize,
    /// Largest height among the children.
    child_height: usize,
    has_merge: bool,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Key text -> line of its first occurrence, built once the map is big.
        index: HashMap<Box<str>, u32>,
    },
}

struct Builder<'a> {
    src: &'a str,
    schema: Schema,
    limits: &'a Limits,
    offsets: Offsets<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    root: Option<Node>,
    root_is_empty: bool,
    doc_index: usize,
    doc_start_line: u32,
    docs_seen: usize,
    budget: Budget,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str, schema: Schema, limits: &'a Limits) -> Self {
        Builder {
            src,
            schema,
            limits,
            offsets: Offsets::new(src),
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            root_is_empty: false,
            doc_index: 0,
            doc_start_line: 1,
            docs_seen: 0,
            budget: Budget {
                max_nodes: limits.max_nodes,
                nodes: 0,
                copied: 0,
                used_alias: false,
            },
        }
    }

    fn run(&mut self, documents: &mut Vec<Document>) -> Result<(), YamlError> {
        let mut parser = Parser::new_from_str(self.src);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            let start = span.start;
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => self.start_document(start)?,
                Event::DocumentEnd => {
                    if let Some(doc) = self.end_document() {
                        documents.push(doc);
                    }
                }
                Event::Alias(id) => self.alias(id, start)?,
                Event::Scalar(text, style, anchor, tag) => {
                    self.scalar(text, style, anchor, tag.as_deref(), start)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.open(true, anchor, tag.as_deref(), start, span.end)?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.open(false, anchor, tag.as_deref(), start, span.end)?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
            }
        }
        Ok(())
    }

    fn start_document(&mut self, start: Marker) -> Result<(), YamlError> {
        let span = self.span_at(start);
        if self.docs_seen >= self.limits.max_documents {
            return Err(error(
                span,
                YamlErrorKind::Limit,
                format!(
                    "stream has more than {} documents",
                    self.limits.max_documents
                ),
            ));
        }
        self.doc_index = self.docs_seen;
        self.docs_seen += 1;
        self.doc_start_line = span.line;
        self.stack.clear();
        self.anchors.clear();
        self.root = None;
        self.root_is_empty = false;
        self.budget.nodes = 0;
        self.budget.used_alias = false;
        Ok(())
    }

    fn end_document(&mut self) -> Option<Document> {
        self.anchors.clear();
        let root = self.root.take()?;
        if self.root_is_empty {
            return None;
        }
        Some(Document {
            index: self.doc_index,
            root,
            start_line: self.doc_start_line,
        })
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: PStyle,
        anchor: usize,
        tag: Option<&Tag>,
        start: Marker,
    ) -> Result<(), YamlError> {
        let mut span = self.span_at(start);
        let style = convert_style(style);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            span = block_scalar_header(self.src, span).unwrap_or(span);
        }
        let tag = tag.map(tag_name);
        self.budget.count(1, span)?;
        let value = resolve(&text, style, tag.as_deref(), self.schema)
            .map_err(|message| error(span, YamlErrorKind::Syntax, message))?;
        let written_as_nothing = text.is_empty() && style == ScalarStyle::Plain;
        // A document holding nothing but comments parses as one untagged empty scalar.
        let is_empty_document = written_as_nothing && tag.is_none() && anchor == 0;
        let raw = if written_as_nothing && value == Value::Null {
            None
        } else {
            Some(Box::from(text.as_ref()))
        };
        let node = Node {
            span,
            value,
            raw,
            style: Some(style),
            tag,
        };
        if anchor != 0 {
            self.register(anchor, &node, 1, 0)?;
        }
        self.push(node, 1, 0, is_empty_document)
    }

    fn open(
        &mut self,
        is_seq: bool,
        anchor: usize,
        tag: Option<&Tag>,
        start: Marker,
        end: Marker,
    ) -> Result<(), YamlError> {
        let span = self.span_at(start);
        if self.stack.len() >= self.limits.max_depth {
            return Err(error(
                span,
                YamlErrorKind::Limit,
                format!(
                    "collections are nested more than {} levels deep",
                    self.limits.max_depth
                ),
            ));
        }
        self.budget.count(1, span)?;
        // saphyr reports a flow collection from its first property or bracket to just after
        // the bracket, and a block one as an empty span at its first entry (or from its
        // properties to there), whose first child then gives the better position.
        let end_offset = self.offsets.byte(end.index());
        let is_flow = end.index() > start.index()
            && end_offset > 0
            && matches!(self.src.as_bytes().get(end_offset - 1), Some(b'[' | b'{'));
        let kind = if is_seq {
            FrameKind::Seq(Vec::new())
        } else {
            FrameKind::Map {
                entries: Vec::new(),
                key: None,
                index: HashMap::new(),
            }
        };
        self.stack.push(Frame {
            kind,
            span: is_flow.then_some(span),
            fallback: span,
            tag: tag.map(tag_name),
            anchor,
            size: 1,
            child_height: 0,
            has_merge: false,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let span = frame.span.unwrap_or(frame.fallback);
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Seq(items),
            FrameKind::Map { entries, .. } if frame.has_merge => Value::Map(apply_merges(entries)?),
            FrameKind::Map { entries, .. } => Value::Map(entries),
        };
        let node = Node {
            span,
            value,
            raw: None,
            style: None,
            tag: frame.tag,
        };
        let height = frame.child_height + 1;
        if frame.anchor != 0 {
            self.register(frame.anchor, &node, frame.size, height)?;
        }
        self.push(node, frame.size, height, false)
    }

    fn alias(&mut self, id: usize, start: Marker) -> Result<(), YamlError> {
        let span = self.span_at(start);
        let Some(anchored) = self.anchors.get(&id) else {
            let name = self.alias_name(start);
            let message = if self.stack.iter().any(|f| f.anchor == id) {
                format!("alias `*{name}` refers to a node that contains it")
            } else {
                format!("unknown alias `*{name}`: no anchor `&{name}` before it in this document")
            };
            return Err(error(span, YamlErrorKind::Syntax, message));
        };
        let (size, height) = (anchored.size, anchored.height);
        if self.stack.len() + height > self.limits.max_depth {
            return Err(error(
                span,
                YamlErrorKind::Limit,
                format!(
                    "alias `*{}` expands to collections nested more than {} levels deep",
                    self.alias_name(start),
                    self.limits.max_depth
                ),
            ));
        }
        self.budget.used_alias = true;
        self.budget.count(size, span)?;
        self.budget.count_copies(size, span)?;
        let mut node = anchored.node.clone();
        node.span = span;
        self.push(node, size, height, false)
    }

    /// Remembers a completed anchored node. The copy counts toward the limits, since nested
    /// anchors could otherwise make copying quadratic.
    fn register(
        &mut self,
        id: usize,
        node: &Node,
        size: usize,
        height: usize,
    ) -> Result<(), YamlError> {
        self.budget.count(size, node.span)?;
        self.budget.count_copies(size, node.span)?;
        self.anchors.insert(
            id,
            Anchored {
                node: node.clone(),
                size,
                height,
            },
        );
        Ok(())
    }

    /// Adds a completed node to the open collection, or makes it the document root.
    fn push(
        &mut self,
        node: Node,
        size: usize,
        height: usize,
        is_empty_document: bool,
    ) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            self.root_is_empty = is_empty_document;
            return Ok(());
        };
        frame.size = frame.size.saturating_add(size);
        frame.child_height = frame.child_height.max(height);
        if frame.span.is_none() {
            frame.span = Some(node.span);
        }
        match &mut frame.kind {
            FrameKind::Seq(items) => items.push(node),
            FrameKind::Map {
                entries,
                key,
                index,
            } => match key.take() {
                Some(k) => entries.push((k, node)),
                None => {
                    if is_merge_key(&node) {
                        frame.has_merge = true;
                    }
                    // go-yaml v2, which kubectl and the API server's YAML path use, keeps the
                    // last value of a repeated key; Compose (yaml.v3) rejects it.
                    if self.schema == Schema::Compose
                        && let Some(text) = key_identity(&node)
                        && let Some(first) = first_occurrence(entries, index, text, node.span.line)
                    {
                        return Err(error(
                            node.span,
                            YamlErrorKind::DuplicateKey,
                            format!("duplicate key `{text}` (first at line {first})"),
                        ));
                    }
                    *key = Some(node);
                }
            },
        }
        Ok(())
    }

    fn span_at(&mut self, m: Marker) -> Span {
        Span {
            offset: self.offsets.byte(m.index()),
            // saphyr's lines are 1-based and its columns 0-based.
            line: saturate(m.line()).max(1),
            column: saturate(m.col()).saturating_add(1),
        }
    }

    fn scan_error(&mut self, e: &ScanError) -> YamlError {
        let span = self.span_at(*e.marker());
        match e.info() {
            "while parsing node, found unknown anchor" => {
                let name = self.alias_name(*e.marker());
                let message = format!(
                    "unknown alias `*{name}`: no anchor `&{name}` before it in this document"
                );
                error(span, YamlErrorKind::Syntax, message)
            }
            // saphyr's scanner counts flow levels in a u8 and reads ahead of us while a flow
            // collection could still turn out to be an implicit key, so on one long line it
            // can hit its own limit before our depth check sees the 201st level.
            "recursion limit exceeded" => {
                let message = if self.limits.max_depth <= usize::from(u8::MAX) {
                    format!(
                        "collections are nested more than {} levels deep",
                        self.limits.max_depth
                    )
                } else {
                    "flow collections are nested more than 255 levels deep, the most the parser supports".to_owned()
                };
                error(span, YamlErrorKind::Limit, message)
            }
            info => error(span, YamlErrorKind::Syntax, info.to_owned()),
        }
    }

    /// The name of the alias written at `m`, for messages.
    fn alias_name(&mut self, m: Marker) -> String {
        let at = self.offsets.byte(m.index());
        let rest = self.src.get(at..).unwrap_or("");
        let rest = rest.strip_prefix('*').unwrap_or(rest);
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
            .take(60)
            .collect();
        name
    }
}

/// Maps up to this many entries are searched linearly for duplicate keys; bigger ones get an
/// index, so that most maps cost no extra allocation and huge ones stay linear.
const INDEX_FROM: usize = 16;

/// The line where `text` first appeared as a key of this map, or `None` after recording it at
/// `line`.
fn first_occurrence(
    entries: &[(Node, Node)],
    index: &mut HashMap<Box<str>, u32>,
    text: &str,
    line: u32,
) -> Option<u32> {
    if entries.len() < INDEX_FROM {
        return entries
            .iter()
            .find(|(k, _)| key_identity(k) == Some(text))
            .map(|(k, _)| k.span.line);
    }
    if index.is_empty() {
        for (k, _) in entries {
            if let Some(t) = key_identity(k) {
                index.entry(Box::from(t)).or_insert(k.span.line);
            }
        }
    }
    match index.entry(Box::from(text)) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(slot) => {
            slot.insert(line);
            None
        }
    }
}

/// Node counts checked against `Limits::max_nodes`. Kept apart from the builder so that it
/// can be charged while an anchored node is borrowed.
struct Budget {
    max_nodes: usize,
    /// Nodes in the current document, alias copies included.
    nodes: usize,
    /// Nodes copied for anchors and aliases over the whole stream.
    copied: usize,
    used_alias: bool,
}

impl Budget {
    fn count(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.max_nodes {
            let hint = if self.used_alias {
                " (alias bomb?)"
            } else {
                ""
            };
            return Err(error(
                span,
                YamlErrorKind::Limit,
                format!(
                    "document expands to more than {} nodes{hint}",
                    self.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn count_copies(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        self.copied = self.copied.saturating_add(n);
        if self.copied > self.max_nodes {
            return Err(error(
                span,
                YamlErrorKind::Limit,
                format!(
                    "anchors and aliases copy more than {} nodes in this stream (alias bomb?)",
                    self.max_nodes
                ),
            ));
        }
        Ok(())
    }
}

/// Applies `<<` entries: explicit keys win over merged ones, and earlier maps in a merged
/// sequence win over later ones. The `<<` entries themselves are dropped.
fn apply_merges(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, YamlError> {
    let mut taken: HashSet<String> = entries
        .iter()
        .filter(|(k, _)| !is_merge_key(k))
        .filter_map(|(k, _)| key_identity(k).map(str::to_owned))
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if !is_merge_key(&key) {
            out.push((key, value));
            continue;
        }
        let sources = match value.value {
            Value::Map(map) => vec![map],
            Value::Seq(items) => {
                let mut maps = Vec::with_capacity(items.len());
                for item in items {
                    match item.value {
                        Value::Map(map) => maps.push(map),
                        _ => return Err(merge_error(item.span)),
                    }
                }
                maps
            }
            _ => return Err(merge_error(value.span)),
        };
        for (k, v) in sources.into_iter().flatten() {
            let fresh = match key_identity(&k) {
                Some(text) => taken.insert(text.to_owned()),
                None => true,
            };
            if fresh {
                out.push((k, v));
            }
        }
    }
    Ok(out)
}

fn merge_error(span: Span) -> YamlError {
    error(
        span,
        YamlErrorKind::Syntax,
        "a merge key `<<` needs a mapping or a sequence of mappings as its value".to_owned(),
    )
}

fn is_merge_key(node: &Node) -> bool {
    // Only a plain `<<` merges; a quoted "<<" is an ordinary string key.
    node.style == Some(ScalarStyle::Plain)
        && node.raw.as_deref() == Some("<<")
        && matches!(node.tag.as_deref(), None | Some("!!merge"))
}

/// The text that identifies a key for duplicate detection and merging; collections used as
/// keys have none and are never considered equal.
fn key_identity(node: &Node) -> Option<&str> {
    match node.value {
        Value::Seq(_) | Value::Map(_) => None,
        _ => Some(node.raw.as_deref().unwrap_or("")),
    }
}

/// saphyr places a block scalar at its first content line; callers want the `|` or `>`
/// header, which is the node's first character. The header is the nearest line above the
/// content that is not blank, since only blank lines may come between the two.
fn block_scalar_header(src: &str, content: Span) -> Option<Span> {
    let bytes = src.as_bytes();
    let line_start = bytes
        .get(..content.offset)?
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Anything but indentation before the content means saphyr already gave the header (an
    // empty scalar at the end of input) or a tag or anchor in front of it.
    if !bytes[line_start..content.offset]
        .iter()
        .all(|&b| b == b' ' || b == b'\t')
    {
        return None;
    }
    let mut end = line_start;
    let mut lines_up = 0u32;
    while end > 0 {
        let newline = end - 1;
        let start = bytes[..newline]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = &bytes[start..newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        lines_up += 1;
        // A lone CR is a line break to saphyr too; line numbers would no longer match.
        if line.contains(&b'\r') {
            return None;
        }
        if line.iter().all(|&b| b == b' ' || b == b'\t') {
            end = start;
            continue;
        }
        let at = header_indicator(line)?;
        let column = src.get(start..start + at)?.chars().count();
        return Some(Span {
            offset: start + at,
            line: content.line.checked_sub(lines_up)?.max(1),
            column: saturate(column).saturating_add(1),
        });
    }
    None
}

/// Position of the `|` or `>` that starts a block scalar header in `line`: preceded by
/// whitespace (or the line start) and followed only by indentation/chomping indicators, blanks
/// and an optional comment.
fn header_indicator(line: &[u8]) -> Option<usize> {
    (0..line.len()).find(|&i| {
        let preceded = i == 0 || matches!(line[i - 1], b' ' | b'\t');
        if !preceded || !matches!(line[i], b'|' | b'>') {
            return false;
        }
        let rest = &line[i + 1..];
        let flags = rest
            .iter()
            .take(2)
            .take_while(|b| matches!(b, b'1'..=b'9' | b'+' | b'-'))
            .count();
        let rest = &rest[flags..];
        let blanks = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let rest = &rest[blanks..];
        rest.is_empty() || (blanks > 0 && rest[0] == b'#')
    })
}

fn tag_name(tag: &Tag) -> Box<str> {
    const CORE: &str = "tag:yaml.org,2002:";
    let full = format!("{}{}", tag.handle, tag.suffix);
    if let Some(name) = full.strip_prefix(CORE) {
        format!("!!{name}").into()
    } else if tag.handle == "!" {
        format!("!{}", tag.suffix).into()
    } else {
        full.into()
    }
}

fn convert_style(style: PStyle) -> ScalarStyle {
    match style {
        PStyle::Plain => ScalarStyle::Plain,
        PStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        PStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        PStyle::Literal => ScalarStyle::Literal,
        PStyle::Folded => ScalarStyle::Folded,
    }
}

fn error(span: Span, kind: YamlErrorKind, message: String) -> YamlError {
    YamlError {
        line: span.line,
        column: span.column,
        message,
        kind,
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts saphyr's character indices to byte offsets. Positions arrive almost in order, so
/// a cursor that walks from the last position keeps the total work linear.
struct Offsets<'a> {
    src: &'a str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'a> Offsets<'a> {
    fn new(src: &'a str) -> Self {
        Offsets {
            src,
            ascii: src.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.src.len());
        }
        while self.chars < char_index {
            let Some(c) = self.src.get(self.bytes..).and_then(|s| s.chars().next()) else {
                break;
            };
            self.bytes += c.len_utf8();
            self.chars += 1;
        }
        while self.chars > char_index && self.bytes > 0 {
            self.bytes -= 1;
            while !self.src.is_char_boundary(self.bytes) {
                self.bytes -= 1;
            }
            self.chars -= 1;
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::Offsets;

    #[test]
    fn offsets_walk_both_ways() {
        let src = "aé€😀b";
        let mut o = Offsets::new(src);
        assert_eq!(o.byte(4), 10);
        assert_eq!(o.byte(1), 1);
        assert_eq!(o.byte(2), 3);
        assert_eq!(o.byte(5), 11);
        assert_eq!(o.byte(99), 11);
        assert_eq!(o.byte(0), 0);
    }
}
