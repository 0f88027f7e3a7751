//! Source files, positions, and "located text": strings that remember, byte by byte, where in
//! which rules file each part came from, so that errors found after list substitution,
//! exception building and appends still point at the right line and column.

use palisade_yaml::{Node, ScalarStyle};

use crate::ast::Pos;

/// A rules file being loaded.
pub(crate) struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self.text[start..offset].chars().count() + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: u32) -> Option<&'a str> {
        let idx = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(idx)?;
        let end = self
            .line_starts
            .get(idx + 1)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        let s = self.text.get(start..end.max(start))?;
        Some(s.strip_suffix('\r').unwrap_or(s))
    }

    /// Byte offset of a 1-based line and column.
    pub fn offset_of(&self, line: u32, column: u32) -> usize {
        let Some(idx) = usize::try_from(line).ok().and_then(|l| l.checked_sub(1)) else {
            return 0;
        };
        let Some(&start) = self.line_starts.get(idx) else {
            return self.text.len();
        };
        let col = usize::try_from(column).unwrap_or(1).saturating_sub(1);
        self.text[start..]
            .char_indices()
            .nth(col)
            .map_or(self.text.len(), |(k, _)| start + k)
    }
}

/// A place in one of the files being loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Loc {
    /// Index of the file.
    pub file: usize,
    /// Byte offset in the file.
    pub offset: usize,
}

/// A string with a [`Loc`] for every byte.
#[derive(Debug, Clone, Default)]
pub(crate) struct LText {
    pub s: String,
    locs: Vec<Loc>,
    /// Where the text is, when it is empty.
    pub anchor: Loc,
}

impl LText {
    pub fn empty(anchor: Loc) -> Self {
        LText {
            s: String::new(),
            locs: Vec::new(),
            anchor,
        }
    }

    /// Text that comes from one place as a whole (generated text).
    pub fn at(s: &str, loc: Loc) -> Self {
        let mut t = LText::empty(loc);
        t.push(s, loc);
        t
    }

    pub fn len(&self) -> usize {
        self.s.len()
    }

    pub fn push(&mut self, s: &str, loc: Loc) {
        self.s.push_str(s);
        self.locs.extend(std::iter::repeat_n(loc, s.len()));
    }

    pub fn append(&mut self, other: &LText) {
        self.s.push_str(&other.s);
        self.locs.extend_from_slice(&other.locs);
    }

    /// Where the byte at `offset` came from; the end of the text maps to just after the last
    /// byte's place.
    pub fn loc(&self, offset: usize) -> Loc {
        if let Some(l) = self.locs.get(offset) {
            return *l;
        }
        match self.locs.last() {
            Some(l) => Loc {
                file: l.file,
                offset: l.offset + 1,
            },
            None => self.anchor,
        }
    }

    /// Appends `other[range]` with its places.
    pub fn push_from(&mut self, other: &LText, range: std::ops::Range<usize>) {
        self.s.push_str(&other.s[range.clone()]);
        self.locs.extend_from_slice(&other.locs[range]);
    }

    /// The last byte.
    pub fn last_byte(&self) -> Option<u8> {
        self.s.as_bytes().last().copied()
    }

    /// Removes the last byte, which must be ASCII.
    pub fn pop_ascii(&mut self) {
        if self.last_byte().is_some_and(|b| b.is_ascii()) {
            self.s.pop();
            self.locs.pop();
        }
    }

    /// Removes leading and trailing whitespace.
    pub fn trim(&mut self) {
        let end = self.s.trim_end().len();
        self.s.truncate(end);
        self.locs.truncate(end);
        let start = self.s.len() - self.s.trim_start().len();
        if start > 0 {
            self.s.drain(..start);
            self.locs.drain(..start);
        }
    }
}

/// The located text of a scalar node whose source starts at byte `offset` of `src`.
///
/// The value of a scalar differs from its source text (quotes, escapes, line folding, block
/// indentation), so each character of the value is matched to the next equal character of the
/// source within a short window. For plain and quoted scalars on one line, and for block
/// scalars, this is exact; for folded lines and escape sequences it is within a few
/// characters.
pub(crate) fn scalar_text(file: usize, src: &str, offset: usize, node: &Node) -> LText {
    let value = node.text().unwrap_or("");
    let mut sp = offset.min(src.len());
    while !src.is_char_boundary(sp) {
        sp -= 1;
    }
    match node.style {
        Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => {
            if matches!(src.as_bytes().get(sp), Some(b'"' | b'\'')) {
                sp += 1;
            }
        }
        Some(ScalarStyle::Literal | ScalarStyle::Folded) => {
            // Skip the header line (`|`, `>-`, a comment...) and the indentation.
            if matches!(src.as_bytes().get(sp), Some(b'|' | b'>')) {
                sp = src[sp..].find('\n').map_or(src.len(), |k| sp + k + 1);
            }
            while matches!(src.as_bytes().get(sp), Some(b' ' | b'\t')) {
                sp += 1;
            }
        }
        _ => {}
    }
    let anchor = Loc { file, offset: sp };
    let mut out = LText::empty(anchor);
    out.s.reserve(value.len());
    out.locs.reserve(value.len());
    const WINDOW: usize = 64;
    for c in value.chars() {
        let rest = src.get(sp..).unwrap_or("");
        let here = rest.chars().next();
        let at = if here == Some(c) {
            let at = sp;
            sp += c.len_utf8();
            at
        } else if c.is_whitespace() {
            // A folded line break or an escape such as `\n`: map to here, and skip the
            // source's own run of blanks if there is one.
            let at = sp;
            if here.is_some_and(char::is_whitespace) {
                sp += rest.len() - rest.trim_start().len();
            }
            at
        } else {
            match rest.char_indices().take(WINDOW).find(|&(_, sc)| sc == c) {
                Some((k, sc)) => {
                    let at = sp + k;
                    sp = at + sc.len_utf8();
                    at
                }
                None => sp,
            }
        };
        let mut buf = [0u8; 4];
        out.push(c.encode_utf8(&mut buf), Loc { file, offset: at });
    }
    out
}
