//! A single-pass scanner that fills [`Doc`] straight from the event bytes.
//!
//! It is the fast path of [`AuditEvent::parse`](super::AuditEvent::parse) and is strictly
//! conservative: it returns `None` whenever it is not certain that serde_json would accept
//! the text and produce the very same [`Doc`] (any syntax error, a duplicate wanted member,
//! an escaped key, a non-string where a string is decoded, a surrogate escape in a decoded
//! string, deep nesting...). The caller then runs the serde path, which gives the exact
//! previous result or error. Skipped values are fully validated (JSON grammar, string
//! escapes, no raw control characters) but never decoded.

use std::borrow::Cow;

use super::{Annotations, Doc, ImpUser, ObjectRef, Raw, Status, Text, User};

/// Nesting below serde_json's recursion limit (128); deeper values take the serde path.
const MAX_DEPTH: usize = 100;

/// Scan one event (`text` starts with `{`). `None`: let serde decide.
pub(super) fn scan(text: &str) -> Option<Doc<'_>> {
    let b = text.as_bytes();
    // Raw control bytes are only valid as whitespace between tokens. Without any, string
    // scanning only looks for quotes and backslashes.
    let ctl = b.iter().fold(0xff, |m, &c| m.min(c)) < 0x20;
    let mut sc = Scanner {
        s: text,
        b,
        i: 0,
        ctl,
    };
    let doc = sc.doc()?;
    sc.ws();
    (sc.i == sc.b.len()).then_some(doc)
}

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// The text has bytes below 0x20 (strings must be checked for them).
    ctl: bool,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is `"`, `\` or below 0x20 (exact for the lowest
/// flagged byte, which is all that is used).
#[inline]
fn special(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let bs = w ^ (LO * u64::from(b'\\'));
    let zq = q.wrapping_sub(LO) & !q;
    let zb = bs.wrapping_sub(LO) & !bs;
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    (zq | zb | ctl) & HI
}

/// High bit set in each byte of `w` that is `"` or `\\` (exact for the lowest one).
#[inline]
fn quote_or_backslash(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let bs = w ^ (LO * u64::from(b'\\'));
    ((q.wrapping_sub(LO) & !q) | (bs.wrapping_sub(LO) & !bs)) & HI
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Decode the inside of a validated string literal that has escapes. `None` on a
/// surrogate escape: serde pairs them or rejects lone ones, so it decides.
fn unescape(inner: &str) -> Option<String> {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\\', b.get(i..)?) {
        let j = i + p;
        out.push_str(inner.get(i..j)?);
        i = j + 2;
        out.push(match *b.get(j + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let mut cp = 0u32;
                for &h in b.get(j + 2..j + 6)? {
                    cp = cp * 16 + char::from(h).to_digit(16)?;
                }
                i = j + 6;
                char::from_u32(cp)?
            }
            _ => return None,
        });
    }
    out.push_str(inner.get(i..)?);
    Some(out)
}

/// Which wanted members have been seen (a second one is a serde error: take that path).
#[derive(Default)]
struct Seen(u32);

impl Seen {
    #[inline]
    fn first(&mut self, bit: u32) -> Option<()> {
        let m = 1u32 << bit;
        if self.0 & m != 0 {
            return None;
        }
        self.0 |= m;
        Some(())
    }
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        // Compact JSON: usually no whitespace at all.
        if self.b.get(self.i).is_some_and(|&c| c > b' ') {
            return;
        }
        while let Some(&c) = self.b.get(self.i) {
            if !is_ws(c) {
                break;
            }
            self.i += 1;
        }
    }

    /// Expect byte `c` (after whitespace) and step over it.
    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.peek()? != c {
            return None;
        }
        self.i += 1;
        Some(())
    }

    /// At an opening quote: step past the closing one. Returns whether the string has an
    /// escape. Escapes are validated; raw control characters are refused.
    #[inline(always)]
    fn string(&mut self) -> Option<bool> {
        let b = self.b;
        let mut i = self.i + 1;
        let mut escaped = false;
        loop {
            i = self.find_special(i)?;
            match *b.get(i)? {
                b'"' => {
                    self.i = i + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    i = match *b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i + 2,
                        b'u' => {
                            let hex = b.get(i + 2..i + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            i + 6
                        }
                        _ => return None,
                    };
                }
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
    }

    /// Index of the next `"` or `\\` from `i` (or control byte, when the event has any).
    #[inline(always)]
    fn find_special(&self, mut i: usize) -> Option<usize> {
        let b = self.b;
        if self.ctl {
            while let Some(chunk) = b.get(i..i + 8) {
                let m = special(u64::from_le_bytes(chunk.try_into().ok()?));
                if m != 0 {
                    return Some(i + (m.trailing_zeros() / 8) as usize);
                }
                i += 8;
            }
            return b
                .get(i..)?
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|p| i + p);
        }
        // Most strings are short (under 64 bytes): words by hand, then SIMD search, whose
        // set-up only pays off on long strings.
        for _ in 0..12 {
            let Some(chunk) = b.get(i..i + 8) else { break };
            let m = quote_or_backslash(u64::from_le_bytes(chunk.try_into().ok()?));
            if m != 0 {
                return Some(i + (m.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        memchr::memchr2(b'"', b'\\', b.get(i..)?).map(|p| i + p)
    }

    /// An object key: its text, without escapes (an escaped key takes the serde path),
    /// then the `:`; leaves the scanner on the value.
    #[inline]
    fn key(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        if self.string()? {
            return None;
        }
        let key = self.b.get(start..self.i - 1)?;
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// After a member: `,` (true, more follow) or the closing `}` (false).
    #[inline]
    fn next_member(&mut self) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b'}' => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// At `{`: step in; false when the object is empty (and has been stepped over).
    #[inline]
    fn open_object(&mut self) -> Option<bool> {
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// A decoded string member: only a JSON string is handled here.
    fn text(&mut self) -> Option<Text<'a>> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i;
        let escaped = self.string()?;
        let lit = self.s.get(start..self.i)?;
        let inner = lit.get(1..lit.len() - 1)?;
        if !escaped {
            return Some(Text::Str(Cow::Borrowed(inner)));
        }
        unescape(inner).map(|s| Text::Str(Cow::Owned(s)))
    }

    /// Any value, validated and stepped over; returns its text.
    fn raw(&mut self, depth: usize) -> Option<&'a str> {
        let start = self.i;
        self.skip(depth)?;
        self.s.get(start..self.i)
    }

    /// Step over one value (the scanner is on its first byte). Iterative: open
    /// containers are a bit stack (1 = object), at most 64 deep here.
    fn skip(&mut self, depth: usize) -> Option<()> {
        let mut stack: u64 = 0;
        let mut level = 0usize;
        loop {
            // On a value.
            match self.peek()? {
                c @ (b'{' | b'[') => {
                    if level >= 63 || depth + level >= MAX_DEPTH {
                        return None;
                    }
                    let obj = c == b'{';
                    self.i += 1;
                    self.ws();
                    if self.peek()? == if obj { b'}' } else { b']' } {
                        self.i += 1;
                    } else {
                        stack = (stack << 1) | u64::from(obj);
                        level += 1;
                        if obj {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'n' => self.word(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a complete value: separators and closing brackets.
            loop {
                if level == 0 {
                    return Some(());
                }
                self.ws();
                let obj = stack & 1 == 1;
                match (self.peek()?, obj) {
                    (b',', _) => {
                        self.i += 1;
                        if obj {
                            self.key()?;
                        } else {
                            self.ws();
                        }
                        break;
                    }
                    (b'}', true) | (b']', false) => {
                        self.i += 1;
                        stack >>= 1;
                        level -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + w.len())? != w {
            return None;
        }
        self.i += w.len();
        Some(())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// JSON's number grammar (what follows is checked by the enclosing value).
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// A nested object read by `fill` member by member, or `null` (no object). Anything
    /// else takes the serde path.
    fn object<T: Default>(
        &mut self,
        mut fill: impl FnMut(&mut Self, &[u8], &mut T, &mut Seen) -> Option<()>,
    ) -> Option<Option<T>> {
        match self.peek()? {
            b'n' => {
                self.word(b"null")?;
                Some(None)
            }
            b'{' => {
                let mut t = T::default();
                if self.open_object()? {
                    let mut seen = Seen::default();
                    loop {
                        let key = self.key()?;
                        fill(self, key, &mut t, &mut seen)?;
                        if !self.next_member()? {
                            break;
                        }
                    }
                }
                Some(Some(t))
            }
            _ => None,
        }
    }

    fn doc(&mut self) -> Option<Doc<'a>> {
        if self.peek()? != b'{' {
            return None;
        }
        let mut d = Doc::default();
        if !self.open_object()? {
            return Some(d);
        }
        let mut seen = Seen::default();
        loop {
            let key = self.key()?;
            match key {
                b"auditID" => {
                    seen.first(0)?;
                    d.audit_id = self.text()?;
                }
                b"stage" => {
                    seen.first(1)?;
                    d.stage = self.text()?;
                }
                b"requestURI" => {
                    seen.first(2)?;
                    d.request_uri = self.text()?;
                }
                b"verb" => {
                    seen.first(3)?;
                    d.verb = self.text()?;
                }
                b"user" => {
                    seen.first(4)?;
                    d.user = self.object(|sc, k, u: &mut User<'a>, seen| {
                        match k {
                            b"username" => {
                                seen.first(0)?;
                                u.username = sc.text()?;
                            }
                            b"groups" => {
                                seen.first(1)?;
                                u.groups = Raw(Some(sc.raw(2)?));
                            }
                            _ => sc.skip(2)?,
                        }
                        Some(())
                    })?;
                }
                b"impersonatedUser" => {
                    seen.first(5)?;
                    d.impersonated_user = self.object(|sc, k, u: &mut ImpUser<'a>, seen| {
                        match k {
                            b"username" => {
                                seen.first(0)?;
                                u.username = sc.text()?;
                            }
                            _ => sc.skip(2)?,
                        }
                        Some(())
                    })?;
                }
                b"sourceIPs" => {
                    seen.first(6)?;
                    d.source_ips = Raw(Some(self.raw(1)?));
                }
                b"userAgent" => {
                    seen.first(7)?;
                    d.user_agent = self.text()?;
                }
                b"objectRef" => {
                    seen.first(8)?;
                    d.object_ref = self.object(|sc, k, o: &mut ObjectRef<'a>, seen| {
                        let (bit, slot) = match k {
                            b"resource" => (0, &mut o.resource),
                            b"namespace" => (1, &mut o.namespace),
                            b"name" => (2, &mut o.name),
                            b"subresource" => (3, &mut o.subresource),
                            _ => return sc.skip(2),
                        };
                        seen.first(bit)?;
                        *slot = sc.text()?;
                        Some(())
                    })?;
                }
                b"responseStatus" => {
                    seen.first(9)?;
                    d.response_status = self.object(|sc, k, st: &mut Status<'a>, seen| {
                        match k {
                            b"code" => {
                                seen.first(0)?;
                                st.code = Text::from_raw(sc.raw(2)?);
                            }
                            b"reason" => {
                                seen.first(1)?;
                                st.reason = sc.text()?;
                            }
                            _ => sc.skip(2)?,
                        }
                        Some(())
                    })?;
                }
                b"requestObject" => {
                    seen.first(10)?;
                    d.request_object = Raw(Some(self.raw(1)?));
                }
                b"responseObject" => {
                    seen.first(11)?;
                    d.response_object = Raw(Some(self.raw(1)?));
                }
                b"stageTimestamp" => {
                    seen.first(12)?;
                    d.stage_timestamp = self.text()?;
                }
                b"annotations" => {
                    seen.first(13)?;
                    d.annotations = self.object(|sc, k, a: &mut Annotations<'a>, seen| {
                        match k {
                            b"authorization.k8s.io/decision" => {
                                seen.first(0)?;
                                a.decision = sc.text()?;
                            }
                            b"authorization.k8s.io/reason" => {
                                seen.first(1)?;
                                a.reason = sc.text()?;
                            }
                            _ => sc.skip(2)?,
                        }
                        Some(())
                    })?;
                }
                _ => self.skip(1)?,
            }
            if !self.next_member()? {
                return Some(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::AuditEvent;
    use super::*;

    /// The scanner either defers (`None`) or gives exactly serde's `Doc`. Returns whether
    /// it took the text.
    fn agrees(t: &str) -> bool {
        let fast = scan(t);
        match (&fast, serde_json::from_str::<Doc<'_>>(t)) {
            (Some(f), Ok(s)) => assert_eq!(format!("{f:?}"), format!("{s:?}"), "{t}"),
            (Some(_), Err(e)) => panic!("scanner accepted what serde rejects ({e}): {t}"),
            (None, _) => {}
        }
        fast.is_some()
    }

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?limit=500\u0026watch=true","verb":"create","user":{"username":"alice","uid":"u","groups":["system:authenticated", "dev"],"extra":{"k":["v"]}},"impersonatedUser":{"username":"bob"},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl/v1.30 (linux/amd64)","objectRef":{"resource":"pods","namespace":"default","name":"p","subresource":"exec","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"nginx","args":["a]}{\"b","\\"],"n":-1.5e+3,"t":true,"f":false,"z":null}]}},"responseObject":{},"requestReceivedTimestamp":"2025-06-02T07:55:22.037031Z","stageTimestamp":"2025-06-02T07:55:22.040000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by \"x\"","other":"o"}}"#;

    #[test]
    fn typical_event_is_scanned() {
        assert!(agrees(EVENT));
        let d = scan(EVENT).unwrap();
        assert_eq!(d.verb.as_str(), Some("create"));
        assert_eq!(
            d.request_uri.as_str(),
            Some("/api/v1/namespaces/default/pods?limit=500&watch=true")
        );
        let u = d.user.as_ref().unwrap();
        assert_eq!(u.username.as_str(), Some("alice"));
        assert_eq!(u.groups.0, Some(r#"["system:authenticated", "dev"]"#));
        assert_eq!(
            d.impersonated_user.as_ref().unwrap().username.as_str(),
            Some("bob")
        );
        let o = d.object_ref.as_ref().unwrap();
        assert_eq!(o.subresource.as_str(), Some("exec"));
        assert_eq!(
            d.response_status.as_ref().unwrap().code,
            Text::Json(Cow::Borrowed("201"))
        );
        let a = d.annotations.as_ref().unwrap();
        assert_eq!(a.reason.as_str(), Some(r#"RBAC: allowed by "x""#));
        assert!(d.request_object.0.unwrap().ends_with(r#""z":null}]}}"#));
        assert_eq!(d.response_object.0, Some("{}"));
    }

    #[test]
    fn brackets_inside_strings_are_skipped() {
        let t = r#"{"requestObject":{"a":"}]{[\"","b":[1,{"c":"]"}]},"x":"{","verb":"get"}"#;
        assert!(agrees(t));
        let d = scan(t).unwrap();
        assert_eq!(
            d.request_object.0,
            Some(r#"{"a":"}]{[\"","b":[1,{"c":"]"}]}"#)
        );
        assert_eq!(d.verb.as_str(), Some("get"));
    }

    #[test]
    fn escapes_and_unicode() {
        for t in [
            r#"{"verb":"g\u00e9t","userAgent":"h\u00e9llo ✓ 😀 \/ \b\f\n\r\t \\"}"#,
            r#"{"userAgent":"héllo ✓ 😀","objectRef":{"name":"\"q\""}}"#,
            r#"{"x":"\ud83d\ude00","verb":"get"}"#,
        ] {
            assert!(agrees(t), "{t}");
        }
        let d = scan(r#"{"verb":"g\u00e9t"}"#).unwrap();
        assert_eq!(d.verb.as_str(), Some("gét"));
        // Surrogates in decoded strings are serde's to pair or reject.
        let t = r#"{"verb":"\ud83d\ude00"}"#;
        assert!(!agrees(t));
        assert_eq!(AuditEvent::parse(t).unwrap().verb(), Some("😀"));
        assert!(AuditEvent::parse(r#"{"verb":"\ud83d"}"#).is_err());
        // An escaped key is serde's too.
        let t = r#"{"\u0076erb":"get"}"#;
        assert!(!agrees(t));
        assert_eq!(AuditEvent::parse(t).unwrap().verb(), Some("get"));
    }

    #[test]
    fn duplicate_keys_match_serde() {
        // Unwanted duplicates are fine; a wanted one is serde's error.
        assert!(agrees(r#"{"x":1,"x":[2],"verb":"get"}"#));
        for t in [
            r#"{"verb":"get","verb":"list"}"#,
            r#"{"user":null,"user":{"username":"a"}}"#,
            r#"{"user":{"username":"a","username":"b"}}"#,
            r#"{"objectRef":{"name":"a","name":"b"}}"#,
            r#"{"annotations":{"authorization.k8s.io/decision":"a","authorization.k8s.io/decision":"b"}}"#,
        ] {
            assert!(!agrees(t), "{t}");
            let e = AuditEvent::parse(t).unwrap_err();
            assert!(e.message().contains("duplicate field"), "{e}");
        }
    }

    #[test]
    fn odd_shapes_defer_to_serde() {
        assert!(agrees(r#"{"user":null,"objectRef":null}"#));
        assert!(agrees(r#" {} "#.trim()));
        assert!(agrees(
            r#"{"responseStatus":{"code":"403","reason":"Forbidden"}}"#
        ));
        for t in [
            r#"{"user":"x"}"#,
            r#"{"verb":1}"#,
            r#"{"stage":null}"#,
            r#"{"objectRef":[1,2]}"#,
        ] {
            assert!(!agrees(t), "{t}");
            assert!(AuditEvent::parse(t).is_ok(), "{t}");
        }
        // Pretty-printed: control bytes are whitespace only.
        let pretty = "{\n\t\"verb\": \"get\",\r\n  \"user\" : { \"username\" : \"a\" } ,\n \"x\": [ 1 , 2 ]\n}\n";
        assert!(agrees(pretty));
        // Deep nesting is serde's to judge.
        let deep = format!(
            r#"{{"x":{}{},"verb":"get"}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(!agrees(&deep));
        assert_eq!(
            AuditEvent::parse(&deep).is_ok(),
            serde_json::from_str::<Doc<'_>>(&deep).is_ok()
        );
        let ok = format!(
            r#"{{"x":{}{},"verb":"get"}}"#,
            "[".repeat(50),
            "]".repeat(50)
        );
        assert!(agrees(&ok));
    }

    #[test]
    fn invalid_json_is_rejected_with_position() {
        for t in [
            r#"{"verb":"get",}"#,
            r#"{"verb" "get"}"#,
            r#"{"verb":"get""#,
            r#"{"verb":"get"} x"#,
            r#"{"x":01,"verb":"get"}"#,
            r#"{"x":1.,"verb":"get"}"#,
            r#"{"x":-,"verb":"get"}"#,
            r#"{"x":1e,"verb":"get"}"#,
            r#"{"x":tru,"verb":"get"}"#,
            r#"{"x":"\q","verb":"get"}"#,
            r#"{"x":"\u12g4","verb":"get"}"#,
            "{\"x\":\"a\tb\",\"verb\":\"get\"}",
            r#"{"x":[1,],"verb":"get"}"#,
            r#"{"x":[1 2],"verb":"get"}"#,
            r#"{"x":{"a":1,},"verb":"get"}"#,
            r#"{"x":{"a"},"verb":"get"}"#,
            r#"{"requestObject":{"a":[}],"verb":"get"}"#,
            r#"{"x":"unterminated}"#,
            r#"{"verb":"get""x":1}"#,
        ] {
            assert!(!agrees(t), "{t}");
            let e = AuditEvent::parse(t).unwrap_err();
            assert!(e.line() > 0 && e.column() > 0, "{t}: {e}");
        }
    }

    #[test]
    fn skipped_numbers_and_literals() {
        for t in [
            r#"{"x":1e400,"y":-123456789012345678901234567890.5E-7,"verb":"get"}"#,
            r#"{"x":[-0,0.0,1E+2,2e-2,true,false,null,"",{}],"verb":"get"}"#,
            r#"{"responseStatus":{"code":4e2},"requestObject":[1e999]}"#,
            r#"{"responseStatus":{"code":{"a": [1, 2]}}}"#,
        ] {
            assert!(agrees(t), "{t}");
        }
        for t in [
            r#"{"x":+1,"verb":"get"}"#,
            r#"{"x":.5,"verb":"get"}"#,
            r#"{"x":1.5e+,"verb":"get"}"#,
            r#"{"x":nul,"verb":"get"}"#,
            r#"{"x":True,"verb":"get"}"#,
        ] {
            assert!(!agrees(t), "{t}");
            assert!(AuditEvent::parse(t).is_err(), "{t}");
        }
    }

    /// Small edits of a valid event: the scanner must never accept what serde rejects nor
    /// read anything differently.
    #[test]
    fn mutations_agree_with_serde() {
        let base = EVENT.as_bytes();
        let alphabet = b"{}[]\",:\\ u0e1-.tn\t\x01a";
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut scanned = 0;
        for _ in 0..20_000 {
            let mut t = base.to_vec();
            for _ in 0..(next() % 3 + 1) {
                let at = (next() as usize) % t.len();
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => t[at] = c,
                    1 => t.insert(at, c),
                    _ => {
                        t.remove(at);
                    }
                }
            }
            if let Ok(s) = std::str::from_utf8(&t) {
                scanned += usize::from(agrees(s));
            }
        }
        assert!(scanned > 1000, "{scanned}");
    }
}
