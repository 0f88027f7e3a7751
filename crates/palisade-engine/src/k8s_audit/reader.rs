//! Splitting audit-log input into single events.
//!
//! Accepted input (detected, not configured):
//! * JSON lines, one value per line (the API server's log backend writes one `Event` a
//!   line); a line may also hold an `EventList`, an array, or a cloud envelope;
//! * JSON documents spread over many lines (`jq .` output, a saved webhook `EventList`, a
//!   JSON array of events, several pretty-printed events one after another); a top-level
//!   array is streamed item by item;
//! * any of the above gzip-compressed (detected by the `1f 8b` magic bytes);
//! * cloud exports: GKE Cloud Logging `LogEntry`s with a `protoPayload` of type
//!   `google.cloud.audit.AuditLog` (converted into an `audit.k8s.io/v1` Event), EKS
//!   CloudWatch Logs records (the event is the `message` string; subscription payloads
//!   with `logEvents`, `filter-log-events` output with `events`, and S3 export lines
//!   `<timestamp> <event>`), and AKS diagnostic logs (`records[].properties.log` of
//!   category `kube-audit` / `kube-audit-admin`; records of other categories are skipped).
//!
//! A malformed line or value is one error item carrying its line number; reading goes on
//! with the next one.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, BufReader, Cursor, Read};

use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::cloud;
use super::json::decode_string;
use palisade_core::time::parse_rfc3339_nanos;

/// Where an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line where the line or JSON value holding the event starts.
    pub line: u64,
    /// 1-based position inside a batch (`EventList` items, array elements, cloud
    /// records), when the event came from one.
    pub item: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.item {
            Some(i) => write!(f, "line {}, item {}", self.line, i),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// Why one piece of input yielded no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    message: String,
}

impl InputProblem {
    fn new(message: impl Into<String>) -> Self {
        InputProblem {
            message: message.into(),
        }
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputProblem {}

/// Size caps for untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLimits {
    /// Largest single event, and largest line (default 16 MiB).
    pub max_event_bytes: usize,
    /// Largest multi-line JSON document that is not a top-level array (default 512 MiB).
    pub max_document_bytes: usize,
    /// Largest total size after gzip decompression (default 4 GiB).
    pub max_decompressed_bytes: u64,
}

impl Default for ReaderLimits {
    fn default() -> Self {
        ReaderLimits {
            max_event_bytes: 16 << 20,
            max_document_bytes: 512 << 20,
            max_decompressed_bytes: 4 << 30,
        }
    }
}

/// One item: where it came from, and the event's JSON text or the problem.
pub type InputItem = (Location, Result<String, InputProblem>);

/// Split an audit log into events with the default [`ReaderLimits`].
///
/// Each item is the text of one event (an `audit.k8s.io` Event, or one converted from a
/// cloud export) or the reason a line / value / batch item gave none, with where it came
/// from. Lines that start like the API server's log backend output
/// (`{"kind":"Event","apiVersion":"audit.k8s.io/...`) are passed through without a
/// second parse, so a truncated one surfaces as an [`AuditEvent::parse`] error: report
/// that with the item's [`Location`] too.
///
/// [`AuditEvent::parse`]: super::AuditEvent::parse
pub fn split_events<'r, R: BufRead + Send + 'r>(reader: R) -> AuditEvents<'r> {
    split_events_with_limits(reader, ReaderLimits::default())
}

/// Split an audit log into events.
pub fn split_events_with_limits<'r, R: BufRead + Send + 'r>(
    reader: R,
    limits: ReaderLimits,
) -> AuditEvents<'r> {
    AuditEvents {
        input: Box::new(reader),
        limits,
        mode: Mode::Start,
        line: 1,
        line_start: true,
        array: None,
        pending: VecDeque::new(),
        buf: Vec::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Start,
    Lines,
    Document,
    Done,
}

/// A top-level array being streamed in document mode.
#[derive(Debug, Clone, Copy)]
struct ArrayCtx {
    start_line: u64,
    items: u64,
}

/// Iterator over the events of one input; see [`split_events`].
pub struct AuditEvents<'r> {
    input: Box<dyn BufRead + Send + 'r>,
    limits: ReaderLimits,
    mode: Mode,
    /// Line of the next unread byte.
    line: u64,
    /// Only whitespace since the last newline (document mode).
    line_start: bool,
    array: Option<ArrayCtx>,
    pending: VecDeque<InputItem>,
    buf: Vec<u8>,
}

impl fmt::Debug for AuditEvents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditEvents")
            .field("mode", &self.mode)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Iterator for AuditEvents<'_> {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let step = match self.mode {
                Mode::Done => return None,
                Mode::Start => self.start(),
                Mode::Lines => self.next_line(),
                Mode::Document => self.next_document_value(),
            };
            if let Err(e) = step {
                let loc = Location {
                    line: self.line,
                    item: None,
                };
                self.pending
                    .push_back((loc, Err(InputProblem::new(format!("read error: {e}")))));
                self.mode = Mode::Done;
            }
        }
    }
}

/// Counts decompressed bytes and fails past the cap.
struct Capped<R> {
    inner: R,
    read: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.cap {
            return Err(io::Error::other(format!(
                "gzip input decompresses to more than {} bytes; refusing to read further",
                self.cap
            )));
        }
        Ok(n)
    }
}

enum Scanned {
    Value(Vec<u8>),
    TooBig,
    /// Malformed: `restart_here` when the offending byte begins a new value on its line.
    Broken(&'static str, bool),
    Unterminated,
}

impl<'r> AuditEvents<'r> {
    fn start(&mut self) -> io::Result<()> {
        let head = self.input.fill_buf()?;
        if head.starts_with(&[0x1f, 0x8b]) {
            let inner = std::mem::replace(&mut self.input, Box::new(io::empty()));
            let gz = flate2::bufread::MultiGzDecoder::new(inner);
            let capped = Capped {
                inner: gz,
                read: 0,
                cap: self.limits.max_decompressed_bytes,
            };
            self.input = Box::new(BufReader::with_capacity(1 << 16, capped));
        }
        // Blank lines and a byte-order mark before the first value.
        loop {
            let head = self.input.fill_buf()?;
            let Some(&c) = head.first() else {
                self.mode = Mode::Done;
                return Ok(());
            };
            if c == b'\n' {
                self.line += 1;
                self.input.consume(1);
            } else if matches!(c, b' ' | b'\t' | b'\r') {
                self.input.consume(1);
            } else if head.starts_with(b"\xef\xbb\xbf") {
                self.input.consume(3);
            } else {
                break;
            }
        }
        // Mode: JSON lines when the first line is one complete value (or looks like one);
        // otherwise one or more documents spread over lines.
        let line_no = self.line;
        let mut first = Vec::new();
        let too_long = self.read_line(&mut first)?;
        let trimmed = trim(&first);
        let complete = !too_long && serde_json::from_slice::<IgnoredAny>(trimmed).is_ok();
        let looks_like_line = matches!(
            (trimmed.first(), trimmed.last()),
            (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
        );
        if too_long || complete || looks_like_line {
            self.mode = Mode::Lines;
            self.handle_line(first, too_long, line_no);
        } else {
            self.mode = Mode::Document;
            if self.line > line_no {
                first.push(b'\n');
            }
            self.line = line_no;
            let rest = std::mem::replace(&mut self.input, Box::new(io::empty()));
            self.input = Box::new(Cursor::new(first).chain(rest));
        }
        Ok(())
    }

    /// Read one line into `buf` (without the newline), up to the event cap. Returns
    /// whether the line was longer than the cap (its rest is skipped). Advances `line`.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        let cap = self.limits.max_event_bytes as u64;
        // `read_until` on `take(cap + 1)`, with a SIMD newline search.
        let limit = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
        loop {
            let avail = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let room = limit - buf.len();
            let window = avail.get(..avail.len().min(room)).unwrap_or_default();
            if window.is_empty() {
                break;
            }
            if let Some(p) = memchr::memchr(b'\n', window) {
                buf.extend_from_slice(window.get(..=p).unwrap_or_default());
                self.input.consume(p + 1);
                break;
            }
            let n = window.len();
            buf.extend_from_slice(window);
            self.input.consume(n);
        }
        if buf.is_empty() {
            return Ok(false);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            self.line += 1;
            return Ok(false);
        }
        if buf.len() as u64 > cap {
            buf.clear();
            let skipped = self.input.skip_until(b'\n')?;
            if skipped > 0 {
                self.line += 1;
            }
            return Ok(true);
        }
        Ok(false)
    }

    fn next_line(&mut self) -> io::Result<()> {
        let line_no = self.line;
        let mut buf = std::mem::take(&mut self.buf);
        let too_long = self.read_line(&mut buf)?;
        if buf.is_empty() && !too_long && self.line == line_no {
            self.mode = Mode::Done;
            return Ok(());
        }
        self.handle_line(buf, too_long, line_no);
        Ok(())
    }

    /// Classify one line; its buffer becomes the yielded text (no copy).
    fn handle_line(&mut self, mut bytes: Vec<u8>, too_long: bool, line_no: u64) {
        let loc = Location {
            line: line_no,
            item: None,
        };
        if too_long {
            let msg = format!(
                "line longer than {} bytes; skipped",
                self.limits.max_event_bytes
            );
            self.pending.push_back((loc, Err(InputProblem::new(msg))));
            self.buf = bytes;
            return;
        }
        let (start, end) = trim_range(&bytes);
        if start == end {
            self.buf = bytes;
            return;
        }
        bytes.truncate(end);
        bytes.drain(..start);
        classify(
            Cow::Owned(bytes_to_string(bytes)),
            loc,
            0,
            &self.limits,
            &mut self.pending,
        );
    }

    /// Skip whitespace, counting lines. Returns the next byte, if any.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            for &c in buf {
                match c {
                    b'\n' => {
                        self.line += 1;
                        self.line_start = true;
                    }
                    b' ' | b'\t' | b'\r' => {}
                    _ => {
                        self.input.consume(n);
                        return Ok(Some(c));
                    }
                }
                n += 1;
            }
            self.input.consume(n);
        }
    }

    fn next_document_value(&mut self) -> io::Result<()> {
        let Some(c) = self.skip_ws()? else {
            if let Some(arr) = self.array.take() {
                let loc = Location {
                    line: arr.start_line,
                    item: None,
                };
                let msg =
                    "unexpected end of input: the JSON array starting here has no closing `]`";
                self.pending.push_back((loc, Err(InputProblem::new(msg))));
            }
            self.mode = Mode::Done;
            return Ok(());
        };
        if let Some(arr) = self.array.as_mut() {
            match c {
                b']' => {
                    self.input.consume(1);
                    self.line_start = false;
                    self.array = None;
                    return Ok(());
                }
                b',' => {
                    self.input.consume(1);
                    self.line_start = false;
                    return Ok(());
                }
                _ => arr.items += 1,
            }
        } else if c == b'[' {
            self.array = Some(ArrayCtx {
                start_line: self.line,
                items: 0,
            });
            self.input.consume(1);
            self.line_start = false;
            return Ok(());
        }
        let start_line = self.line;
        let item = self.array.map(|a| a.items);
        let loc = Location {
            line: start_line,
            item,
        };
        let cap = if item.is_some() {
            self.limits.max_event_bytes
        } else {
            self.limits.max_document_bytes
        };
        match self.scan_value(cap)? {
            Scanned::Value(bytes) => {
                let text = bytes_to_string(bytes);
                classify(Cow::Owned(text), loc, 0, &self.limits, &mut self.pending);
            }
            Scanned::TooBig => {
                let msg = format!("JSON value larger than {cap} bytes; skipped");
                self.pending.push_back((loc, Err(InputProblem::new(msg))));
            }
            Scanned::Broken(why, restart_here) => {
                let msg = format!(
                    "malformed JSON value starting here ({why}); skipped to the next line that starts a value"
                );
                self.pending.push_back((loc, Err(InputProblem::new(msg))));
                if !restart_here {
                    self.resync()?;
                }
            }
            Scanned::Unterminated => {
                let msg = "unexpected end of input inside the JSON value starting here";
                self.pending.push_back((loc, Err(InputProblem::new(msg))));
                self.array = None;
                self.mode = Mode::Done;
            }
        }
        Ok(())
    }

    /// After a malformed value: skip to the next line whose first non-blank byte is `{`
    /// or `[` (or `]` closing a streamed array).
    fn resync(&mut self) -> io::Result<()> {
        if !self.line_start {
            if self.input.skip_until(b'\n')? == 0 {
                return Ok(());
            }
            self.line += 1;
        }
        loop {
            let buf = self.input.fill_buf()?;
            let Some(&c) = buf.first() else {
                return Ok(());
            };
            match c {
                b' ' | b'\t' | b'\r' => self.input.consume(1),
                b'\n' => {
                    self.input.consume(1);
                    self.line += 1;
                }
                b'{' | b'[' => break,
                b']' if self.array.is_some() => break,
                _ => {
                    if self.input.skip_until(b'\n')? == 0 {
                        return Ok(());
                    }
                    self.line += 1;
                }
            }
        }
        self.line_start = true;
        Ok(())
    }

    /// Read one JSON value lexically (strings, nesting), without validating it.
    fn scan_value(&mut self, cap: usize) -> io::Result<Scanned> {
        let mut out = Vec::new();
        let mut too_big = false;
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut prev = 0u8;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                if depth == 0 && !in_str && !out.is_empty() {
                    return Ok(if too_big {
                        Scanned::TooBig
                    } else {
                        Scanned::Value(out)
                    });
                }
                return Ok(Scanned::Unterminated);
            }
            // (end of consumed bytes, outcome) once the value ends or breaks.
            let mut end: Option<(usize, Option<Scanned>)> = None;
            for (i, &c) in chunk.iter().enumerate() {
                if in_str {
                    if esc {
                        esc = false;
                    } else if c == b'\\' {
                        esc = true;
                    } else if c == b'"' {
                        in_str = false;
                        prev = b'"';
                        if depth == 0 {
                            end = Some((i + 1, None));
                            break;
                        }
                    } else if c == b'\n' {
                        end = Some((
                            i,
                            Some(Scanned::Broken("line break inside a string", false)),
                        ));
                        break;
                    }
                    continue;
                }
                match c {
                    b'"' => {
                        in_str = true;
                        self.line_start = false;
                    }
                    b'{' | b'[' => {
                        if depth > 0 && !matches!(prev, b',' | b':' | b'[') {
                            let restart = self.line_start;
                            end = Some((
                                i,
                                Some(Scanned::Broken(
                                    "a new value begins before this one ends",
                                    restart,
                                )),
                            ));
                            break;
                        }
                        depth += 1;
                        prev = c;
                        self.line_start = false;
                    }
                    b'}' | b']' => {
                        if depth == 0 {
                            end = Some((i, None));
                            break;
                        }
                        depth -= 1;
                        prev = c;
                        self.line_start = false;
                        if depth == 0 {
                            end = Some((i + 1, None));
                            break;
                        }
                    }
                    b' ' | b'\t' | b'\r' | b'\n' | b',' if depth == 0 => {
                        end = Some((i, None));
                        break;
                    }
                    b'\n' => {
                        self.line += 1;
                        self.line_start = true;
                    }
                    b' ' | b'\t' | b'\r' => {}
                    _ => {
                        prev = c;
                        self.line_start = false;
                    }
                }
            }
            let used = end.as_ref().map_or(chunk.len(), |(n, _)| *n);
            if !too_big {
                if out.len() + used > cap {
                    too_big = true;
                    out = Vec::new();
                } else {
                    out.extend_from_slice(chunk.get(..used).unwrap_or_default());
                }
            }
            self.input.consume(used);
            if let Some((_, outcome)) = end {
                if outcome.is_none() && used == 0 && out.is_empty() && !too_big {
                    // A `,`, `}` or `]` where a value should start: nothing was read, so
                    // report it and let the caller skip ahead (returning an empty value
                    // would read the same byte again, forever).
                    return Ok(Scanned::Broken(
                        "a `,`, `}` or `]` where a value should start",
                        false,
                    ));
                }
                return Ok(match outcome {
                    Some(broken) => broken,
                    None if too_big => Scanned::TooBig,
                    None => Scanned::Value(out),
                });
            }
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let (start, end) = trim_range(b);
    b.get(start..end).unwrap_or_default()
}

/// Bounds of `b` without surrounding ASCII whitespace and a leading byte-order mark.
fn trim_range(b: &[u8]) -> (usize, usize) {
    let bom = if b.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let rest = b.get(bom..).unwrap_or_default();
    let start = rest
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let end = rest
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    (bom + start, bom + end)
}

fn bytes_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The top-level members of a JSON object that tell formats apart.
#[derive(Default)]
struct Probe<'a> {
    keys: Vec<Cow<'a, str>>,
    key_count: usize,
    kind: Option<&'a RawValue>,
    api_version: Option<&'a RawValue>,
    audit_id: bool,
    items: Option<&'a RawValue>,
    records: Option<&'a RawValue>,
    log_events: Option<&'a RawValue>,
    events: Option<&'a RawValue>,
    message: Option<&'a RawValue>,
    message_type: Option<&'a RawValue>,
    proto_payload: bool,
    category: Option<&'a RawValue>,
    properties: Option<&'a RawValue>,
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe<'de>, A::Error> {
        let mut p = Probe::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            p.key_count += 1;
            let slot = match &*key {
                "kind" => &mut p.kind,
                "apiVersion" => &mut p.api_version,
                "items" => &mut p.items,
                "records" => &mut p.records,
                "logEvents" => &mut p.log_events,
                "events" => &mut p.events,
                "message" => &mut p.message,
                "messageType" => &mut p.message_type,
                "category" => &mut p.category,
                "properties" => &mut p.properties,
                "auditID" => {
                    p.audit_id = true;
                    map.next_value::<IgnoredAny>()?;
                    p.push_key(key);
                    continue;
                }
                "protoPayload" => {
                    p.proto_payload = true;
                    map.next_value::<IgnoredAny>()?;
                    p.push_key(key);
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    p.push_key(key);
                    continue;
                }
            };
            *slot = Some(map.next_value::<&'de RawValue>()?);
            p.push_key(key);
        }
        Ok(p)
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'a> Probe<'a> {
    fn push_key(&mut self, key: Cow<'a, str>) {
        if self.keys.len() < 8 {
            self.keys.push(key);
        }
    }

    fn describe_keys(&self) -> String {
        if self.key_count == 0 {
            return "an empty JSON object".to_owned();
        }
        let mut s = format!("JSON object with keys {}", self.keys.join(", "));
        if self.key_count > self.keys.len() {
            s.push_str(&format!(" (and {} more)", self.key_count - self.keys.len()));
        }
        s
    }
}

fn raw_str(v: Option<&RawValue>) -> Option<Cow<'_, str>> {
    decode_string(v?.get())
}

const EXPECTED: &str = "expected an apiVersion audit.k8s.io/v1 kind Event, an EventList, \
                        or a GKE, EKS or AKS audit log export";

/// Turn one complete JSON text into events (pushed onto `out`).
fn classify(
    text: Cow<'_, str>,
    loc: Location,
    depth: u8,
    limits: &ReaderLimits,
    out: &mut VecDeque<InputItem>,
) {
    let err = |out: &mut VecDeque<InputItem>, msg: String| {
        out.push_back((loc, Err(InputProblem::new(msg))))
    };
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\u{feff}']);
    // Fast path: the log backend's lines start exactly like this.
    if t.starts_with("{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/") {
        return push_event(text, loc, limits, out);
    }
    if depth > 4 {
        return err(
            out,
            "audit events nested too deeply in envelopes".to_owned(),
        );
    }
    match t.as_bytes().first() {
        Some(b'{') => {}
        Some(b'[') => {
            let items: Vec<&RawValue> = match serde_json::from_str(t) {
                Ok(items) => items,
                Err(e) => return err(out, format!("malformed JSON array: {e}")),
            };
            return each_item(&items, loc, depth, limits, out);
        }
        Some(c) if c.is_ascii_digit() => {
            // CloudWatch Logs S3 export: `<RFC 3339 timestamp> <message>`.
            if let Some((ts, rest)) = t.split_once(' ')
                && parse_rfc3339_nanos(ts).is_some()
                && rest.trim_start().starts_with('{')
            {
                return classify(
                    Cow::Borrowed(rest.trim_start()),
                    loc,
                    depth + 1,
                    limits,
                    out,
                );
            }
            return err(
                out,
                format!(
                    "{}: not a Kubernetes audit event ({EXPECTED})",
                    what_json(t)
                ),
            );
        }
        _ => {
            return err(
                out,
                format!(
                    "{}: not a Kubernetes audit event ({EXPECTED})",
                    what_json(t)
                ),
            );
        }
    }
    let mut de = serde_json::Deserializer::from_str(t);
    let probe = match (&mut de)
        .deserialize_map(ProbeVisitor)
        .and_then(|p| de.end().map(|()| p))
    {
        Ok(p) => p,
        Err(e) => return err(out, format!("malformed JSON: {e}")),
    };
    let kind = raw_str(probe.kind);
    let api = raw_str(probe.api_version);
    let api_is_audit = api
        .as_deref()
        .is_none_or(|a| a.starts_with("audit.k8s.io/"));
    match kind.as_deref() {
        Some("Event") if api_is_audit => return push_event(text, loc, limits, out),
        Some("Event") => {
            return err(
                out,
                format!(
                    "kind Event with apiVersion {}: a cluster Event object (as from `kubectl get events`), \
                     not an audit event ({EXPECTED})",
                    api.as_deref().unwrap_or("?")
                ),
            );
        }
        Some("EventList") if api_is_audit => {
            let Some(items) = probe.items else {
                return err(out, "EventList without items".to_owned());
            };
            return match serde_json::from_str::<Vec<&RawValue>>(items.get()) {
                Ok(items) => each_item(&items, loc, depth, limits, out),
                Err(e) => err(out, format!("EventList items is not an array: {e}")),
            };
        }
        Some(k) => {
            let api = api.as_deref().unwrap_or("none");
            return err(
                out,
                format!(
                    "JSON object of kind {k} (apiVersion {api}): not a Kubernetes audit event ({EXPECTED})"
                ),
            );
        }
        None => {}
    }
    if probe.audit_id {
        return push_event(text, loc, limits, out);
    }
    if probe.proto_payload {
        return match cloud::gke_entry_to_event(t) {
            Ok(event) => push_event(Cow::Owned(event), loc, limits, out),
            Err(msg) => err(out, msg),
        };
    }
    if let Some(events) = probe.log_events.or(probe.events) {
        if raw_str(probe.message_type).as_deref() == Some("CONTROL_MESSAGE") {
            return;
        }
        let records: Vec<&RawValue> = match serde_json::from_str(events.get()) {
            Ok(r) => r,
            Err(_) => {
                return err(
                    out,
                    "CloudWatch Logs record list is not an array".to_owned(),
                );
            }
        };
        for (i, rec) in records.iter().enumerate() {
            let loc = item_loc(loc, i);
            match serde_json::from_str::<CloudWatchEvent<'_>>(rec.get()) {
                Ok(CloudWatchEvent { message: Some(m) }) => {
                    cloudwatch_message(m, loc, depth, limits, out)
                }
                _ => out.push_back((
                    loc,
                    Err(InputProblem::new(
                        "CloudWatch Logs record without a message",
                    )),
                )),
            }
        }
        return;
    }
    if let Some(records) = probe.records {
        let records: Vec<&RawValue> = match serde_json::from_str(records.get()) {
            Ok(r) => r,
            Err(_) => {
                return err(
                    out,
                    "Azure diagnostic log `records` is not an array".to_owned(),
                );
            }
        };
        for (i, rec) in records.iter().enumerate() {
            azure_record(rec.get(), item_loc(loc, i), depth, limits, out);
        }
        return;
    }
    if probe.category.is_some() && probe.properties.is_some() {
        return azure_record(t, loc, depth, limits, out);
    }
    if let Some(m) = probe.message {
        return cloudwatch_message(m, loc, depth, limits, out);
    }
    err(
        out,
        format!(
            "{}: not a Kubernetes audit event ({EXPECTED})",
            probe.describe_keys()
        ),
    );
}

fn item_loc(loc: Location, i: usize) -> Location {
    Location {
        item: Some(loc.item.unwrap_or(i as u64 + 1)),
        ..loc
    }
}

fn each_item(
    items: &[&RawValue],
    loc: Location,
    depth: u8,
    limits: &ReaderLimits,
    out: &mut VecDeque<InputItem>,
) {
    for (i, item) in items.iter().enumerate() {
        classify(
            Cow::Borrowed(item.get()),
            item_loc(loc, i),
            depth + 1,
            limits,
            out,
        );
    }
}

fn push_event(
    text: Cow<'_, str>,
    loc: Location,
    limits: &ReaderLimits,
    out: &mut VecDeque<InputItem>,
) {
    if text.len() > limits.max_event_bytes {
        let msg = format!(
            "audit event larger than {} bytes; skipped",
            limits.max_event_bytes
        );
        out.push_back((loc, Err(InputProblem::new(msg))));
    } else {
        out.push_back((loc, Ok(text.into_owned())));
    }
}

#[derive(serde::Deserialize)]
struct CloudWatchEvent<'a> {
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// A CloudWatch record's `message`: the audit event as a JSON string (or, from some
/// exporters, as an embedded object).
fn cloudwatch_message(
    m: &RawValue,
    loc: Location,
    depth: u8,
    limits: &ReaderLimits,
    out: &mut VecDeque<InputItem>,
) {
    let raw = m.get();
    let text = if raw.starts_with('"') {
        match decode_string(raw) {
            Some(s) => s,
            None => {
                return out.push_back((
                    loc,
                    Err(InputProblem::new(
                        "CloudWatch message is not a valid string",
                    )),
                ));
            }
        }
    } else {
        Cow::Borrowed(raw)
    };
    let t = text.trim();
    if !t.starts_with('{') {
        let head: String = t.chars().take(60).collect();
        let msg =
            format!("CloudWatch log message is not a Kubernetes audit event (it starts `{head}`)");
        return out.push_back((loc, Err(InputProblem::new(msg))));
    }
    classify(Cow::Owned(t.to_owned()), loc, depth + 1, limits, out);
}

#[derive(serde::Deserialize)]
struct AzureRecord<'a> {
    #[serde(borrow, default)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    properties: Option<AzureProperties<'a>>,
}

#[derive(serde::Deserialize)]
struct AzureProperties<'a> {
    #[serde(borrow, default)]
    log: Option<Cow<'a, str>>,
}

fn azure_record(
    raw: &str,
    loc: Location,
    depth: u8,
    limits: &ReaderLimits,
    out: &mut VecDeque<InputItem>,
) {
    let rec: AzureRecord<'_> = match serde_json::from_str(raw) {
        Ok(r) => r,
        Err(e) => {
            return out.push_back((
                loc,
                Err(InputProblem::new(format!(
                    "malformed Azure diagnostic record: {e}"
                ))),
            ));
        }
    };
    match rec.category.as_deref() {
        Some("kube-audit" | "kube-audit-admin") => {}
        // Other AKS control-plane logs (kube-apiserver, guard, ...) travel in the same
        // export; they are not audit events and are skipped silently.
        Some(_) => return,
        None => {
            return out.push_back((
                loc,
                Err(InputProblem::new(
                    "Azure diagnostic record without a category",
                )),
            ));
        }
    }
    match rec.properties.and_then(|p| p.log) {
        Some(log) => {
            let t = log.trim();
            classify(Cow::Owned(t.to_owned()), loc, depth + 1, limits, out);
        }
        None => out.push_back((
            loc,
            Err(InputProblem::new(
                "AKS kube-audit record without properties.log",
            )),
        )),
    }
}

/// Describe a non-object JSON text for error messages.
fn what_json(t: &str) -> String {
    match t.as_bytes().first() {
        None => "empty input".to_owned(),
        Some(b'"') => "a JSON string".to_owned(),
        Some(b't' | b'f') if serde_json::from_str::<bool>(t).is_ok() => "a JSON boolean".to_owned(),
        Some(b'n') if t == "null" => "JSON null".to_owned(),
        Some(c) if (c.is_ascii_digit() || *c == b'-') && serde_json::from_str::<f64>(t).is_ok() => {
            "a JSON number".to_owned()
        }
        _ => {
            let head: String = t.chars().take(40).collect();
            format!("text that is not JSON (`{head}`)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(input: &[u8], capacity: usize, max_event_bytes: usize) -> Vec<String> {
        let limits = ReaderLimits {
            max_event_bytes,
            ..ReaderLimits::default()
        };
        split_events_with_limits(BufReader::with_capacity(capacity, input), limits)
            .map(|(loc, r)| format!("{loc}: {r:?}"))
            .collect()
    }

    /// Lines split across many small reads, near and over the cap, read as with one big
    /// buffer.
    #[test]
    fn lines_across_buffer_boundaries() {
        let ev = |id: &str, pad: usize| {
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","p":"{}"}}"#,
                "x".repeat(pad)
            )
        };
        let mut input = String::new();
        for (i, pad) in [0, 1, 7, 30, 31, 32, 33, 200, 3, 0].into_iter().enumerate() {
            input.push_str(&ev(&i.to_string(), pad));
            input.push_str(if i % 2 == 0 { "\n" } else { "\r\n\n" });
        }
        input.push_str(&ev("last", 5));
        let cap = ev("0", 32).len();
        let want = items(input.as_bytes(), 1 << 16, cap);
        assert_eq!(want.len(), 11, "{want:#?}");
        // Over the cap: pads 33 and 200, and pad 32 with its `\r`.
        assert_eq!(want.iter().filter(|w| w.contains("longer than")).count(), 3);
        for capacity in [1, 2, 3, 7, 64, 100] {
            assert_eq!(items(input.as_bytes(), capacity, cap), want, "{capacity}");
        }
    }
}
