//! A small borrowed JSON tree for the parts of an audit event that are read lazily
//! (`requestObject`, `responseObject`, `user.groups`, `sourceIPs`, pointer look-ups).
//!
//! serde_json has already validated the text by the time it reaches here (it arrives as a
//! `RawValue`), but the parser below still checks everything it relies on and returns
//! `None` instead of panicking on anything unexpected. Unlike `serde_json::Value` it keeps
//! object key order and the original text of every number and container, so values can be
//! rendered as compact JSON exactly as they appear in the event (Falco's extractor does the
//! same: it re-emits the original bytes without whitespace).

use std::borrow::Cow;

/// Deepest nesting the tree parser accepts (serde_json's own limit is 128 for typed
/// parsing; raw values are skipped without one).
const MAX_DEPTH: usize = 256;

/// One JSON value borrowed from the event text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(&'a str),
    /// A decoded string (borrowed when it has no escapes).
    Str(Cow<'a, str>),
    /// An array and its original text.
    Arr(Vec<Node<'a>>, &'a str),
    /// An object (keys in document order) and its original text.
    Obj(Vec<(Cow<'a, str>, Node<'a>)>, &'a str),
}

impl<'a> Node<'a> {
    /// Parse one complete JSON value (surrounding whitespace allowed).
    pub(crate) fn parse(text: &'a str) -> Option<Node<'a>> {
        let mut p = Parser {
            s: text,
            b: text.as_bytes(),
            i: 0,
        };
        let node = p.value(0)?;
        p.ws();
        if p.i == p.b.len() { Some(node) } else { None }
    }

    /// Object member by key (the first one if the key repeats, as Falco's extractor does).
    pub(crate) fn key(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Obj(members, _) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Array element by index.
    pub(crate) fn index(&self, i: usize) -> Option<&Node<'a>> {
        match self {
            Node::Arr(items, _) => items.get(i),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Arr(items, _) => Some(items),
            _ => None,
        }
    }

    /// The string value, only for JSON strings.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Falco's rendering: a string as itself, anything else as compact JSON text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Node::Null => Cow::Borrowed("null"),
            Node::Bool(true) => Cow::Borrowed("true"),
            Node::Bool(false) => Cow::Borrowed("false"),
            Node::Num(n) => Cow::Borrowed(n),
            Node::Str(s) => Cow::Borrowed(s),
            Node::Arr(_, raw) | Node::Obj(_, raw) => compact(raw),
        }
    }

    /// Like [`Node::text`], consuming the node (keeps borrows from the event text).
    pub(crate) fn into_text(self) -> Cow<'a, str> {
        match self {
            Node::Null => Cow::Borrowed("null"),
            Node::Bool(true) => Cow::Borrowed("true"),
            Node::Bool(false) => Cow::Borrowed("false"),
            Node::Num(n) => Cow::Borrowed(n),
            Node::Str(s) => s,
            Node::Arr(_, raw) | Node::Obj(_, raw) => compact(raw),
        }
    }

    /// Walk RFC 6901 reference tokens (already unescaped). Array tokens follow the RFC:
    /// digits without a leading zero.
    pub(crate) fn walk<'t, I>(&self, tokens: I) -> Option<&Node<'a>>
    where
        I: IntoIterator<Item = Cow<'t, str>>,
    {
        let mut cur = self;
        for tok in tokens {
            cur = match cur {
                Node::Obj(..) => cur.key(&tok)?,
                Node::Arr(..) => cur.index(array_index(&tok)?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// An RFC 6901 array index: `0` or digits without a leading zero.
pub(crate) fn array_index(tok: &str) -> Option<usize> {
    let b = tok.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    tok.parse().ok()
}

/// Split a JSON pointer (`/a/b~1c`) into unescaped reference tokens. `None` when the
/// pointer does not start with `/` (the empty pointer yields no tokens).
pub(crate) fn pointer_tokens(ptr: &str) -> Option<impl Iterator<Item = Cow<'_, str>>> {
    let rest = if ptr.is_empty() {
        None
    } else {
        Some(ptr.strip_prefix('/')?)
    };
    Some(
        rest.into_iter()
            .flat_map(|r| r.split('/'))
            .map(unescape_token),
    )
}

fn unescape_token(tok: &str) -> Cow<'_, str> {
    if tok.contains('~') {
        Cow::Owned(tok.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(tok)
    }
}

/// Decode a JSON string literal including its quotes. Borrowed when there is no escape.
/// Lone surrogates become U+FFFD; anything malformed gives `None`.
pub(crate) fn decode_string(lit: &str) -> Option<Cow<'_, str>> {
    let inner = lit.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.as_bytes().contains(&b'\\') {
        return Some(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hi = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate: pair it with a following `\uDC00..DFFF`.
                    let mut look = chars.clone();
                    if look.next() == Some('\\')
                        && look.next() == Some('u')
                        && let Some(lo) = hex4(&mut look)
                        && (0xDC00..0xE000).contains(&lo)
                    {
                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        chars = look;
                        continue;
                    }
                    out.push('\u{FFFD}');
                } else {
                    out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                }
            }
            _ => return None,
        }
    }
    Some(Cow::Owned(out))
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Remove insignificant whitespace from valid JSON text. Borrowed when already compact.
pub(crate) fn compact(raw: &str) -> Cow<'_, str> {
    let b = raw.as_bytes();
    let mut in_str = false;
    let mut esc = false;
    let mut first_ws = None;
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if is_ws(c) {
            first_ws = Some(i);
            break;
        }
    }
    let Some(start) = first_ws else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(raw.get(..start).unwrap_or_default());
    let mut seg = start;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if is_ws(c) {
            out.push_str(raw.get(seg..i).unwrap_or_default());
            seg = i + 1;
        }
    }
    out.push_str(raw.get(seg..).unwrap_or_default());
    Cow::Owned(out)
}

/// Pretty-print valid JSON text with a two-space indent (`"key": value`, empty containers
/// as `{}`/`[]`), keeping strings and numbers exactly as written.
pub(crate) fn indent(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len() + raw.len() / 2);
    let mut depth = 0usize;
    let mut i = 0;
    // Indentation stops growing past this depth, so hostile nesting cannot blow the
    // output up quadratically.
    const MAX_INDENT: usize = 64;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth.min(MAX_INDENT) {
            out.push_str("  ");
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let end = string_end(b, i).unwrap_or(b.len());
                out.push_str(raw.get(i..end).unwrap_or_default());
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                let mut j = i + 1;
                while j < b.len() && is_ws(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&close) {
                    out.push(c as char);
                    out.push(close as char);
                    i = j + 1;
                    continue;
                }
                out.push(c as char);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            _ if is_ws(c) => {}
            _ => {
                let start = i;
                while i < b.len() && !is_ws(b[i]) && !b",:]}".contains(&b[i]) {
                    i += 1;
                }
                out.push_str(raw.get(start..i).unwrap_or_default());
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Index just past the closing quote of the string literal starting at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let start = self.i;
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        let v = self.value(depth + 1)?;
                        members.push((key, v));
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Node::Obj(members, self.s.get(start..self.i)?))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Node::Arr(items, self.s.get(start..self.i)?))
            }
            b'"' => Some(Node::Str(self.string()?)),
            b't' => self.literal("true", Node::Bool(true)),
            b'f' => self.literal("false", Node::Bool(false)),
            b'n' => self.literal("null", Node::Null),
            b'-' | b'0'..=b'9' => {
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let n = self.s.get(start..self.i)?;
                // Validate the shape strictly enough that rendering stays valid JSON.
                n.parse::<f64>().ok()?;
                Some(Node::Num(n))
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Option<Node<'a>> {
        if self.b.get(self.i..self.i + word.len())? == word.as_bytes() {
            self.i += word.len();
            Some(node)
        } else {
            None
        }
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        // The end quote (as `string_end` finds it), noting whether there is an escape.
        let mut i = self.i + 1;
        let mut escaped = false;
        let end = loop {
            let at = i + memchr::memchr2(b'"', b'\\', self.b.get(i..)?)?;
            if self.b[at] == b'"' {
                break at + 1;
            }
            escaped = true;
            i = at + 2;
        };
        let lit = self.s.get(self.i..end)?;
        if lit.bytes().any(|c| c < 0x20) {
            return None;
        }
        self.i = end;
        if escaped {
            decode_string(lit)
        } else {
            // What `decode_string` gives for a literal without a backslash.
            lit.get(1..lit.len() - 1).map(Cow::Borrowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = r#" { "a" : [1, 2.5e3, "x\"y", true, null, {}], "b": {"c" : "d"} } "#;
        let n = Node::parse(t).unwrap();
        assert_eq!(
            n.key("a").unwrap().text(),
            r#"[1,2.5e3,"x\"y",true,null,{}]"#
        );
        assert_eq!(n.key("a").unwrap().index(2).unwrap().text(), "x\"y");
        assert_eq!(n.key("b").unwrap().text(), r#"{"c":"d"}"#);
        assert_eq!(n.key("a").unwrap().index(1).unwrap().text(), "2.5e3");
        assert!(Node::parse("[1,]").is_none());
        assert!(Node::parse("{} x").is_none());
        assert!(Node::parse("\"a\nb\"").is_none());
    }

    #[test]
    fn strings_decode() {
        assert_eq!(decode_string(r#""a\u0026b""#).unwrap(), "a&b");
        assert_eq!(decode_string(r#""\ud83d\ude00""#).unwrap(), "😀");
        assert_eq!(decode_string(r#""\ud83d""#).unwrap(), "\u{FFFD}");
        assert!(matches!(
            decode_string(r#""plain""#).unwrap(),
            Cow::Borrowed("plain")
        ));
        assert!(decode_string(r#""bad\x""#).is_none());
    }

    #[test]
    fn compact_keeps_string_spaces() {
        assert_eq!(compact("{\n  \"a b\": [ 1 , 2 ]\n}"), r#"{"a b":[1,2]}"#);
        assert!(matches!(compact(r#"{"a":1}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn indent_like_go() {
        assert_eq!(
            indent(r#"{"a":[1,{}],"b":{"c":"d, e"},"e":[]}"#),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"d, e\"\n  },\n  \"e\": []\n}"
        );
    }

    #[test]
    fn pointers() {
        let n = Node::parse(r#"{"a/b":{"~x":[10,20]}}"#).unwrap();
        let get = |p: &str| {
            pointer_tokens(p)
                .and_then(|t| n.walk(t))
                .map(|v| v.text().into_owned())
        };
        assert_eq!(get("/a~1b/~0x/1").as_deref(), Some("20"));
        assert_eq!(get("/a~1b/~0x/01"), None);
        assert_eq!(get("/a~1b/~0x/-"), None);
        assert_eq!(get("").as_deref(), Some(r#"{"a/b":{"~x":[10,20]}}"#));
        assert_eq!(get("a"), None);
    }
}
