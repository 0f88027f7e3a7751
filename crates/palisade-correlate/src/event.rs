//! One alert, normalised into a compact, totally ordered form: every string lives in one
//! buffer (two allocations per alert instead of one per field), which matters at a
//! million alerts.

use crate::hash::Stable;
use palisade_core::AlertRecord;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

/// "Not available" as rendered by Falco-style outputs; treated like a missing value.
const NA: &str = "<NA>";
/// Longest string kept from any alert field (longer values are cut at a char boundary).
const MAX_FIELD: usize = 512;
/// Most items kept per list field (techniques, tactics, groups, source IPs).
const MAX_ITEMS: usize = 64;
/// A reused text buffer larger than this many times what the next alert needs (and
/// larger than [`REUSE_MIN`]) is replaced: buffers must not all grow to the largest
/// alert ever seen.
const REUSE_SLACK: usize = 2;
/// Buffers up to this size are always reused.
const REUSE_MIN: usize = 512;
/// Longest alert output kept, as the evidence summary.
pub(crate) const SUMMARY_MAX: usize = 300;

/// The largest index `<= max` that is a char boundary of `s`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// `s` cut to at most `max` bytes at a char boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    s.get(..floor_boundary(s, max)).unwrap_or_default()
}

/// The parts joined, allocated once at the final size (cheaper than `format!`).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `s` shortened to about `max` bytes with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    let mut out = String::new();
    push_shortened(&mut out, s, max);
    out
}

fn push_shortened(out: &mut String, s: &str, max: usize) {
    if s.len() <= max {
        out.push_str(s);
    } else {
        out.push_str(cut(s, max.saturating_sub(3)).trim_end());
        out.push('…');
    }
}

/// Whether `b` can neither start nor end a char that `str::trim` removes.
fn plain_edge(b: u8) -> bool {
    b < 0x80 && !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// `s.trim()`, without decoding chars when both ends are plain ASCII (the usual case).
fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [] => s,
        [first, .., last] | [first @ last] if plain_edge(*first) && plain_edge(*last) => s,
        _ => s.trim(),
    }
}

/// A trimmed, present value (not empty, not `<NA>`), cut to [`MAX_FIELD`].
fn clean(s: Option<&str>) -> Option<&str> {
    let s = trim(s?);
    if s.is_empty() || s == NA {
        None
    } else {
        Some(cut(s, MAX_FIELD))
    }
}

/// What kind of record an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum EventKind {
    /// Evidence of activity.
    Alert,
    /// The sensor reports it lost events (`dropped` = how many, when stated).
    SensorDrop { dropped: Option<u64> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    start: u32,
    end: u32,
}

/// Scalar fields.
#[derive(Debug, Clone, Copy)]
enum F {
    Source,
    EventId,
    Rule,
    Summary,
    Priority,
    Cluster,
    Namespace,
    Pod,
    Container,
    Image,
    ServiceAccount,
    Node,
    ContainerId,
    User,
    TargetResource,
    TargetNamespace,
    TargetName,
    TargetSubresource,
}
const FIELDS: usize = 18;

/// List fields.
#[derive(Debug, Clone, Copy)]
enum L {
    Techniques,
    Tactics,
    Groups,
    SourceIps,
}
const LISTS: usize = 4;

/// One alert, normalised. Ordered by time, source, event id, rule, then fingerprint (and
/// content, should two fingerprints collide): the processing order. Two events that
/// compare equal are indistinguishable for correlation.
#[derive(Debug)]
pub(crate) struct Event {
    pub time: i64,
    pub kind: EventKind,
    /// Stable 64-bit fingerprint of everything correlation looks at, computed when first
    /// needed (0: not yet; see [`Event::fp`]). Most alerts never need it: it breaks ties
    /// in the processing order and names incidents after their first alert.
    fp: AtomicU64,
    /// The source contains `audit` (see [`Event::is_audit`]).
    audit: bool,
    text: String,
    fields: [Option<Span>; FIELDS],
    items: Vec<Span>,
    list_end: [u32; LISTS],
}

struct Builder {
    text: String,
    fields: [Option<Span>; FIELDS],
    items: Vec<Span>,
    list_end: [u32; LISTS],
}

impl Builder {
    /// A builder writing into `text` and `items` (cleared; their memory is reused).
    fn reusing(mut text: String, mut items: Vec<Span>, capacity: usize) -> Builder {
        if text.capacity() > (REUSE_SLACK * capacity).max(REUSE_MIN) {
            text = String::new();
        }
        text.clear();
        // Rounded up, so that a reused buffer rarely needs to grow for the next alert.
        text.reserve(capacity.next_multiple_of(128));
        items.clear();
        items.reserve(8);
        Builder {
            text,
            fields: [None; FIELDS],
            items,
            list_end: [0; LISTS],
        }
    }

    /// The text is at most a few hundred kilobytes (every part is cut), so `u32` holds
    /// any offset.
    fn pos(&self) -> u32 {
        self.text.len() as u32
    }

    /// Append with `write`, record the span as field `f` (unless nothing was written).
    fn field(&mut self, f: F, write: impl FnOnce(&mut String)) {
        let start = self.pos();
        write(&mut self.text);
        let end = self.pos();
        self.fields[f as usize] = (end > start).then_some(Span { start, end });
    }

    fn put(&mut self, f: F, v: Option<&str>) {
        if let Some(v) = v {
            self.field(f, |t| t.push_str(v));
        }
    }

    fn text_of(&self, s: Span) -> &str {
        self.text
            .get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    /// Append items of list `l` (must be called in list order), optionally sorted and
    /// without duplicates.
    fn list<'s>(&mut self, l: L, values: impl Iterator<Item = &'s str>, sorted: bool) {
        let first = self.items.len();
        for v in values {
            if self.items.len() - first >= MAX_ITEMS {
                break;
            }
            let start = self.pos();
            self.text.push_str(v);
            let span = Span {
                start,
                end: self.pos(),
            };
            if !sorted {
                self.items.push(span);
                continue;
            }
            // Insertion into the sorted tail, skipping duplicates.
            let new = self.text_of(span);
            let tail = &self.items[first..];
            let pos = tail.partition_point(|s| self.text_of(*s) < new);
            if tail.get(pos).is_some_and(|s| self.text_of(*s) == new) {
                self.text.truncate(start as usize);
                continue;
            }
            self.items.insert(first + pos, span);
        }
        self.list_end[l as usize] = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
    }
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str)
}

/// Whether `needle` (not empty) occurs in `hay`, checked at each occurrence of its first
/// byte.
fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    hay.iter()
        .enumerate()
        .any(|(i, &c)| c == first && hay.get(i + 1..i + 1 + rest.len()) == Some(rest))
}

/// ASCII case-insensitive substring test, without allocating.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

fn drop_info(alert: &AlertRecord) -> Option<Option<u64>> {
    let rule = alert.rule.as_str();
    // `rop`, `ROP` or `ost` somewhere: checked around each `o` / `O` only.
    let b = rule.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mut maybe = false;
    let mut from = 0;
    while let Some(p) = b
        .get(from..)
        .and_then(|r| r.iter().position(|&c| c | 0x20 == b'o'))
    {
        let i = from + p;
        maybe = if b[i] == b'o' {
            (i > 0 && at(i - 1) == Some(b'r') && at(i + 1) == Some(b'p'))
                || (at(i + 1) == Some(b's') && at(i + 2) == Some(b't'))
        } else {
            i > 0 && at(i - 1) == Some(b'R') && at(i + 1) == Some(b'P')
        };
        if maybe {
            break;
        }
        from = i + 1;
    }
    let named = maybe
        && (contains_ignore_case(rule, "event drop")
            || contains_ignore_case(rule, "events dropped")
            || contains_ignore_case(rule, "dropped events")
            || contains_ignore_case(rule, "events lost"));
    let has_field = !alert.fields.is_empty() && alert.fields.contains_key("n_drops");
    if !named && !has_field {
        return None;
    }
    let dropped = [
        "n_drops",
        "n_drops_buffer_total",
        "n_drops_buffer",
        "dropped",
        "lost",
    ]
    .iter()
    .find_map(|k| field(&alert.fields, k).and_then(|v| v.trim().parse::<u64>().ok()));
    Some(dropped)
}

/// `T1234` or `T1234.567` exactly (what `normalize_technique_id` would return as is).
fn is_canonical_technique(t: &str) -> bool {
    let b = t.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit)))
}

/// Container ids as runtimes print them: `containerd://<64 hex>`, `docker://...`, or the
/// 12-character short form. Normalised to the lowercase short form when hexadecimal.
fn push_container_id(out: &mut String, raw: &str) {
    let s = trim(raw);
    let s = s.rsplit_once("://").map_or(s, |(_, id)| id);
    if s.is_empty() || s == NA {
        return;
    }
    let hex = s.len() >= 12 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let s = if hex { &s[..12] } else { cut(s, MAX_FIELD) };
    push_lowercase(out, s);
}

/// Append `s` with ASCII letters lowercased.
fn push_lowercase(out: &mut String, s: &str) {
    let start = out.len();
    out.push_str(s);
    if let Some(tail) = out.get_mut(start..) {
        tail.make_ascii_lowercase();
    }
}

impl Event {
    /// Normalise `alert`; `None` when its time is not RFC 3339.
    #[cfg(test)]
    pub(crate) fn from_alert(alert: &AlertRecord, default_cluster: Option<&str>) -> Option<Event> {
        let mut ev = Event::empty();
        ev.fill(alert, default_cluster).then_some(ev)
    }

    /// An event with no content, to be [`Event::fill`]ed.
    pub(crate) fn empty() -> Event {
        Event {
            time: 0,
            kind: EventKind::Alert,
            fp: AtomicU64::new(0),
            audit: false,
            text: String::new(),
            fields: [None; FIELDS],
            items: Vec::new(),
            list_end: [0; LISTS],
        }
    }

    /// Normalise `alert` into `self`, reusing its buffers; `false` (and `self` left
    /// empty) when the alert's time is not RFC 3339.
    pub(crate) fn fill(&mut self, alert: &AlertRecord, default_cluster: Option<&str>) -> bool {
        let Some(time) = crate::time::Timestamp::parse_rfc3339(&alert.time) else {
            self.text.clear();
            self.items.clear();
            self.fields = [None; FIELDS];
            self.list_end = [0; LISTS];
            return false;
        };
        let time = time.0;
        let w = &alert.workload;
        let source = cut(trim(&alert.source), MAX_FIELD);
        let event_id = clean(alert.event_id.as_deref());
        let rule = cut(trim(&alert.rule), MAX_FIELD);
        let output = trim(&alert.output);
        let priority = cut(trim(&alert.priority), 32);
        let cluster = clean(w.cluster.as_deref()).or(default_cluster);
        let namespace = clean(w.namespace.as_deref());
        let pod = clean(w.pod.as_deref());
        let container = clean(w.container.as_deref());
        let image = clean(w.image.as_deref());
        let service_account = clean(w.service_account.as_deref());
        let node = clean(w.node.as_deref());
        let container_id = w.container_id.as_deref();
        let user = clean(alert.actor.user.as_deref());
        let target = clean(field(&alert.fields, "ka.target.resource")).map(|r| {
            (
                r,
                clean(field(&alert.fields, "ka.target.namespace")),
                clean(field(&alert.fields, "ka.target.name")),
                clean(field(&alert.fields, "ka.target.subresource")),
            )
        });
        // The text is allocated once, at (an upper bound of) its final size: it may live
        // on as evidence.
        let len = |s: Option<&str>| s.map_or(0, str::len);
        let list_len = |v: &[String]| -> usize {
            v.iter()
                .take(MAX_ITEMS)
                .map(|s| s.len().min(MAX_FIELD))
                .sum()
        };
        let capacity = source.len()
            + len(event_id)
            + rule.len()
            + output.len().min(SUMMARY_MAX)
            + priority.len()
            + len(cluster)
            + len(namespace)
            + len(pod)
            + len(container)
            + len(image)
            + len(service_account)
            + len(node)
            + len(container_id).min(MAX_FIELD)
            + len(user)
            + target.map_or(0, |(r, a, b, c)| r.len() + len(a) + len(b) + len(c))
            + list_len(&alert.techniques)
            + list_len(&alert.tactics)
            + list_len(&alert.actor.groups)
            + list_len(&alert.actor.source_ips);
        let mut b = Builder::reusing(
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.items),
            capacity,
        );
        b.put(F::Source, Some(source));
        b.put(F::EventId, event_id);
        b.put(F::Rule, Some(rule));
        b.field(F::Summary, |t| push_shortened(t, output, SUMMARY_MAX));
        b.field(F::Priority, |t| push_lowercase(t, priority));
        b.put(F::Cluster, cluster);
        b.put(F::Namespace, namespace);
        b.put(F::Pod, pod);
        b.put(F::Container, container);
        b.put(F::Image, image);
        b.put(F::ServiceAccount, service_account);
        b.put(F::Node, node);
        if let Some(cid) = container_id {
            b.field(F::ContainerId, |t| push_container_id(t, cid));
        }
        b.put(F::User, user);
        if let Some((r, ns, name, sub)) = target {
            b.field(F::TargetResource, |t| push_lowercase(t, r));
            b.put(F::TargetNamespace, ns);
            b.put(F::TargetName, name);
            b.put(F::TargetSubresource, sub);
        }
        // Techniques: canonical ids as given, others normalised, invalid ones dropped.
        let normalised: Vec<String> = alert
            .techniques
            .iter()
            .filter(|t| !is_canonical_technique(t))
            .filter_map(|t| palisade_attack::normalize_technique_id(t))
            .collect();
        let canonical = alert
            .techniques
            .iter()
            .map(String::as_str)
            .filter(|t| is_canonical_technique(t));
        b.list(
            L::Techniques,
            canonical.chain(normalised.iter().map(String::as_str)),
            true,
        );
        b.list(
            L::Tactics,
            alert.tactics.iter().filter_map(|s| clean(Some(s))),
            true,
        );
        b.list(
            L::Groups,
            alert.actor.groups.iter().filter_map(|s| clean(Some(s))),
            true,
        );
        b.list(
            L::SourceIps,
            alert.actor.source_ips.iter().filter_map(|s| clean(Some(s))),
            false,
        );
        let kind = match drop_info(alert) {
            Some(dropped) => EventKind::SensorDrop { dropped },
            None => EventKind::Alert,
        };
        *self = Event {
            time,
            kind,
            fp: AtomicU64::new(0),
            audit: contains_bytes(source.as_bytes(), b"audit"),
            text: b.text,
            fields: b.fields,
            items: b.items,
            list_end: b.list_end,
        };
        true
    }

    /// The stable 64-bit fingerprint of everything correlation looks at.
    pub(crate) fn fp(&self) -> u64 {
        match self.fp.load(Relaxed) {
            0 => {
                let fp = self.fingerprint();
                self.fp.store(fp, Relaxed);
                fp
            }
            fp => fp,
        }
    }

    fn get(&self, f: F) -> Option<&str> {
        let s = self.fields[f as usize]?;
        self.text.get(s.start as usize..s.end as usize)
    }

    fn list(&self, l: L) -> impl Iterator<Item = &str> + Clone {
        let start = match l as usize {
            0 => 0,
            i => self.list_end.get(i - 1).copied().unwrap_or(0) as usize,
        };
        let end = self.list_end.get(l as usize).copied().unwrap_or(0) as usize;
        self.items
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .map(|s| {
                self.text
                    .get(s.start as usize..s.end as usize)
                    .unwrap_or_default()
            })
    }

    pub(crate) fn source(&self) -> &str {
        self.get(F::Source).unwrap_or_default()
    }
    pub(crate) fn event_id(&self) -> Option<&str> {
        self.get(F::EventId)
    }
    pub(crate) fn rule(&self) -> &str {
        self.get(F::Rule).unwrap_or_default()
    }
    /// The output, shortened to [`SUMMARY_MAX`].
    pub(crate) fn summary(&self) -> &str {
        self.get(F::Summary).unwrap_or_default()
    }
    pub(crate) fn priority(&self) -> &str {
        self.get(F::Priority).unwrap_or_default()
    }
    pub(crate) fn cluster(&self) -> Option<&str> {
        self.get(F::Cluster)
    }
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.get(F::Namespace)
    }
    pub(crate) fn pod(&self) -> Option<&str> {
        self.get(F::Pod)
    }
    pub(crate) fn container(&self) -> Option<&str> {
        self.get(F::Container)
    }
    pub(crate) fn image(&self) -> Option<&str> {
        self.get(F::Image)
    }
    pub(crate) fn service_account(&self) -> Option<&str> {
        self.get(F::ServiceAccount)
    }
    pub(crate) fn node(&self) -> Option<&str> {
        self.get(F::Node)
    }
    pub(crate) fn container_id(&self) -> Option<&str> {
        self.get(F::ContainerId)
    }
    pub(crate) fn user(&self) -> Option<&str> {
        self.get(F::User)
    }
    /// Technique ids, normalised, sorted, distinct.
    pub(crate) fn techniques(&self) -> impl Iterator<Item = &str> + Clone {
        self.list(L::Techniques)
    }
    /// Tactic names as the alert gives them, sorted, distinct.
    pub(crate) fn tactics(&self) -> impl Iterator<Item = &str> + Clone {
        self.list(L::Tactics)
    }
    /// Actor groups, sorted, distinct.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &str> + Clone {
        self.list(L::Groups)
    }
    /// Source IPs, in the alert's order.
    pub(crate) fn source_ips(&self) -> impl Iterator<Item = &str> + Clone {
        self.list(L::SourceIps)
    }
    /// The audit target's resource (plural, lowercase), namespace, name.
    pub(crate) fn target_resource(&self) -> Option<&str> {
        self.get(F::TargetResource)
    }
    pub(crate) fn target_namespace(&self) -> Option<&str> {
        self.get(F::TargetNamespace)
    }
    pub(crate) fn target_name(&self) -> Option<&str> {
        self.get(F::TargetName)
    }

    /// Whether the actor is a Kubernetes identity (audit sources) rather than a process
    /// user inside a container (runtime sources).
    pub(crate) fn is_audit(&self) -> bool {
        self.audit
    }

    /// Feed everything that makes this event what it is into `h`.
    pub(crate) fn hash_content(&self, h: &mut crate::hash::FastHasher2) {
        h.u64(self.time as u64);
        match self.kind {
            EventKind::Alert => h.u64(0),
            EventKind::SensorDrop { dropped } => {
                h.u64(1);
                h.u64(dropped.unwrap_or(u64::MAX));
            }
        }
        h.str(&self.text);
        for f in &self.fields {
            let (a, b) = f.map_or((u32::MAX, u32::MAX), |s| (s.start, s.end));
            h.u64((u64::from(a) << 32) | u64::from(b));
        }
        for s in &self.items {
            h.u64((u64::from(s.start) << 32) | u64::from(s.end));
        }
        for e in self.list_end {
            h.u64(u64::from(e));
        }
    }

    fn fingerprint(&self) -> u64 {
        let mut h = Stable::new();
        h.i64(self.time);
        match self.kind {
            EventKind::Alert => h.u64(0),
            EventKind::SensorDrop { dropped } => {
                h.u64(1);
                h.u64(dropped.unwrap_or(u64::MAX));
            }
        }
        for (i, f) in self.fields.iter().enumerate() {
            h.u64(i as u64);
            h.opt(f.and_then(|s| self.text.get(s.start as usize..s.end as usize)));
        }
        for l in [L::Techniques, L::Tactics, L::Groups, L::SourceIps] {
            h.u64(u64::MAX - l as u64);
            for item in self.list(l) {
                h.str(item);
            }
        }
        h.finish()
    }
}

impl Ord for Event {
    fn cmp(&self, o: &Event) -> Ordering {
        self.time
            .cmp(&o.time)
            .then_with(|| self.source().cmp(o.source()))
            .then_with(|| self.event_id().cmp(&o.event_id()))
            .then_with(|| self.rule().cmp(o.rule()))
            .then_with(|| self.fp().cmp(&o.fp()))
            .then_with(|| self.kind.cmp(&o.kind))
            .then_with(|| self.text.cmp(&o.text))
            .then_with(|| self.fields.cmp(&o.fields))
            .then_with(|| self.items.cmp(&o.items))
            .then_with(|| self.list_end.cmp(&o.list_end))
    }
}

impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Event) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Event {
    fn eq(&self, o: &Event) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Event {}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{AlertActor, AlertWorkload};

    fn alert() -> AlertRecord {
        AlertRecord {
            schema: palisade_core::ALERT_SCHEMA.into(),
            time: "2026-11-26T10:00:00.000Z".into(),
            rule: " Some Rule ".into(),
            priority: "WARNING".into(),
            techniques: vec![
                "T1611".into(),
                "attack.t1610".into(),
                "T1611".into(),
                "bogus".into(),
            ],
            tactics: vec!["execution".into(), "<NA>".into(), "discovery".into()],
            source: "k8s_audit".into(),
            output: "x".repeat(1000),
            workload: AlertWorkload {
                namespace: Some("shop".into()),
                pod: Some("<NA>".into()),
                container_id: Some("containerd://3F2A9C1B7D4E5566".into()),
                ..AlertWorkload::default()
            },
            actor: AlertActor {
                user: Some("alice".into()),
                groups: vec!["b".into(), "a".into(), "b".into()],
                source_ips: vec!["2.2.2.2".into(), "1.1.1.1".into()],
            },
            event_id: Some("  ".into()),
            fields: BTreeMap::from([("ka.target.resource".to_string(), "Pods".to_string())]),
        }
    }

    #[test]
    fn normalises_fields_and_lists() {
        let e = Event::from_alert(&alert(), Some("prod")).expect("valid");
        assert_eq!(e.rule(), "Some Rule");
        assert_eq!(e.priority(), "warning");
        assert_eq!(e.event_id(), None);
        assert_eq!(e.cluster(), Some("prod"));
        assert_eq!(e.pod(), None);
        assert_eq!(e.container_id(), Some("3f2a9c1b7d4e"));
        assert_eq!(e.target_resource(), Some("pods"));
        assert_eq!(e.techniques().collect::<Vec<_>>(), vec!["T1610", "T1611"]);
        assert_eq!(
            e.tactics().collect::<Vec<_>>(),
            vec!["discovery", "execution"]
        );
        assert_eq!(e.groups().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(
            e.source_ips().collect::<Vec<_>>(),
            vec!["2.2.2.2", "1.1.1.1"]
        );
        assert!(e.summary().len() <= SUMMARY_MAX + 3 && e.summary().ends_with('…'));
        assert_eq!(e.kind, EventKind::Alert);
    }

    #[test]
    fn order_and_equality_follow_content() {
        let a = Event::from_alert(&alert(), None).expect("valid");
        let b = Event::from_alert(&alert(), None).expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.fp(), b.fp());
        let mut other = alert();
        other.actor.source_ips.reverse();
        let c = Event::from_alert(&other, None).expect("valid");
        assert_ne!(a, c);
        assert_ne!(a.fp(), c.fp());
        let mut later = alert();
        later.time = "2026-11-26T10:00:01Z".into();
        assert!(Event::from_alert(&later, None).expect("valid") > c);
    }

    #[test]
    fn cut_and_shorten_respect_char_boundaries() {
        assert_eq!(cut("ééé", 3), "é");
        assert_eq!(shorten("abcdefghij", 6), "abc…");
    }

    #[test]
    fn sensor_drops_are_recognised() {
        let mut a = alert();
        a.rule = "Falco internal: syscall event drop".into();
        a.fields.insert("n_drops".into(), "42".into());
        let e = Event::from_alert(&a, None).expect("valid");
        assert_eq!(e.kind, EventKind::SensorDrop { dropped: Some(42) });
    }
}
