//! [`AuditEvent`]: a borrowed view over one `audit.k8s.io` Event and field extraction.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::fields::{Annot, CList, CSub, Kind, Subj, kind_of};
use super::json::{Node, compact, decode_string, indent, pointer_tokens};
use crate::field::{Event, FieldArg, FieldValue, ResolvedField};
use palisade_core::time::parse_rfc3339_nanos;

/// The fast path of [`AuditEvent::parse`] (a child module: it fills the private [`Doc`]).
#[path = "scan.rs"]
mod scan;

/// A scalar-position value of the event: a decoded JSON string, or the compact JSON text
/// of anything else (number, boolean, null, or an object/array in an unexpected place).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    #[default]
    Missing,
    Str(Cow<'a, str>),
    Json(Cow<'a, str>),
}

impl<'a> Text<'a> {
    /// From raw JSON text (used where numbers are expected, to borrow their digits).
    fn from_raw(raw: &'a str) -> Self {
        if raw.starts_with('"')
            && let Some(s) = decode_string(raw)
        {
            return Text::Str(s);
        }
        Text::Json(compact(raw))
    }

    /// The value when it is a JSON string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }

    fn is_missing(&self) -> bool {
        matches!(self, Text::Missing)
    }

    /// Falco's rendering (strings as-is, other JSON compact).
    #[inline]
    fn value(&self) -> FieldValue<'_> {
        match self {
            Text::Missing => FieldValue::Absent,
            Text::Str(s) | Text::Json(s) => FieldValue::Str(Cow::Borrowed(s)),
        }
    }
}

/// Strings borrow from the event text (one scan by serde_json); other JSON values, rare in
/// these positions, are re-encoded compactly.
impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

fn json_text<'a, E: de::Error>(v: impl serde::Serialize) -> Result<Text<'a>, E> {
    serde_json::to_string(&v)
        .map(|s| Text::Json(Cow::Owned(s)))
        .map_err(E::custom)
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'de>, E> {
        Ok(Text::Json(Cow::Borrowed(if v { "true" } else { "false" })))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Text<'de>, E> {
        Ok(Text::Json(Cow::Borrowed("null")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
        Ok(Text::Json(Cow::Owned(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
        Ok(Text::Json(Cow::Owned(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'de>, E> {
        json_text(v)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        json_text(serde_json::Value::deserialize(MapAccessDeserializer::new(
            map,
        ))?)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
        json_text(serde_json::Value::deserialize(SeqAccessDeserializer::new(
            seq,
        ))?)
    }
}

/// For `responseStatus.code`: a number borrows its digits from the event text.
fn raw_text<'de, D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
    Ok(Text::from_raw(<&'de RawValue>::deserialize(d)?.get()))
}

/// A value kept as raw JSON text until a field needs it (`null` is kept, unlike `Option`).
#[derive(Debug, Clone, Copy, Default)]
struct Raw<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Raw(Some(<&'de RawValue>::deserialize(d)?.get())))
    }
}

impl<'a> Raw<'a> {
    fn tree(self) -> Option<Node<'a>> {
        Node::parse(self.0?)
    }
}

/// The members decoded at parse time: what rules read on (nearly) every event. Anything
/// else is found in the lazily parsed whole event.
#[derive(Debug, Default, Deserialize)]
struct Doc<'a> {
    #[serde(borrow, default, rename = "auditID")]
    audit_id: Text<'a>,
    #[serde(borrow, default)]
    stage: Text<'a>,
    #[serde(borrow, default, rename = "requestURI")]
    request_uri: Text<'a>,
    #[serde(borrow, default)]
    verb: Text<'a>,
    #[serde(borrow, default, deserialize_with = "object_or_none")]
    user: Option<User<'a>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "object_or_none",
        rename = "impersonatedUser"
    )]
    impersonated_user: Option<ImpUser<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    source_ips: Raw<'a>,
    #[serde(borrow, default, rename = "userAgent")]
    user_agent: Text<'a>,
    #[serde(
        borrow,
        default,
        deserialize_with = "object_or_none",
        rename = "objectRef"
    )]
    object_ref: Option<ObjectRef<'a>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "object_or_none",
        rename = "responseStatus"
    )]
    response_status: Option<Status<'a>>,
    #[serde(borrow, default, rename = "requestObject")]
    request_object: Raw<'a>,
    #[serde(borrow, default, rename = "responseObject")]
    response_object: Raw<'a>,
    #[serde(borrow, default, rename = "stageTimestamp")]
    stage_timestamp: Text<'a>,
    #[serde(borrow, default, deserialize_with = "object_or_none")]
    annotations: Option<Annotations<'a>>,
}

/// A nested object of the event: `None` when it is null or not an object (Falco's
/// extractor then finds none of its members), instead of failing the whole event.
fn object_or_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectVisitor<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
            Ok(None)
        }
    }

    d.deserialize_any(ObjectVisitor(std::marker::PhantomData))
}

#[derive(Debug, Default, Deserialize)]
struct User<'a> {
    #[serde(borrow, default)]
    username: Text<'a>,
    #[serde(borrow, default)]
    groups: Raw<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct ImpUser<'a> {
    #[serde(borrow, default)]
    username: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct ObjectRef<'a> {
    #[serde(borrow, default)]
    resource: Text<'a>,
    #[serde(borrow, default)]
    namespace: Text<'a>,
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    subresource: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Status<'a> {
    #[serde(borrow, default, deserialize_with = "raw_text")]
    code: Text<'a>,
    #[serde(borrow, default)]
    reason: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    decision: Text<'a>,
    #[serde(borrow, default, rename = "authorization.k8s.io/reason")]
    reason: Text<'a>,
}

/// Why a text could not be read as an audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditParseError {
    message: String,
    line: usize,
    column: usize,
}

impl AuditParseError {
    /// 1-based line of the problem inside the event text (0 when not positional).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the problem (0 when not positional).
    pub fn column(&self) -> usize {
        self.column
    }

    /// The message without position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AuditParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{} (line {}, column {})",
                self.message, self.line, self.column
            )
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for AuditParseError {}

/// Parsed-on-demand parts of an event (boxed: most events never need them).
#[derive(Default)]
struct Lazy<'a> {
    request: OnceCell<Option<Node<'a>>>,
    response: OnceCell<Option<Node<'a>>>,
    source_ips: OnceCell<Option<Node<'a>>>,
    whole: OnceCell<Option<Node<'a>>>,
}

/// One Kubernetes audit event, borrowed from its JSON text.
///
/// The members most rules read (auditID, stage, verb, requestURI, user name, userAgent,
/// objectRef resource/namespace/name/subresource, response code and reason, the
/// authorization annotations, stageTimestamp) are decoded at parse time without heap
/// allocation unless a string has JSON escapes. `requestObject`, `responseObject`,
/// `user.groups` and `sourceIPs` stay raw text until a field needs them, and are parsed at
/// most once per event; everything else is found in the whole event, parsed on first use.
pub struct AuditEvent<'a> {
    raw: &'a str,
    doc: Doc<'a>,
    lazy: OnceCell<Box<Lazy<'a>>>,
    /// `json.rawtime` digits, rendered once without allocating.
    rawtime: OnceCell<([u8; 20], u8)>,
}

impl fmt::Debug for AuditEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditEvent")
            .field("audit_id", &self.audit_id())
            .field("stage", &self.stage())
            .field("verb", &self.verb())
            .field("user", &self.user_name())
            .field("resource", &self.resource())
            .finish_non_exhaustive()
    }
}

impl<'a> AuditEvent<'a> {
    /// Read one event. The text must be one JSON object; unknown keys are ignored.
    /// A single-pass scanner reads it; anything it is unsure of (invalid JSON, duplicate
    /// members, escaped keys, unusual shapes) is read by serde_json instead, so results
    /// and errors are serde_json's.
    /// Whether it really is an audit event is not checked here (see
    /// [`AuditEvent::is_audit_event`]); `ka.*` fields are absent on objects without
    /// `auditID`, as in Falco.
    pub fn parse(text: &'a str) -> Result<AuditEvent<'a>, AuditParseError> {
        let first = text.trim_start_matches([' ', '\t', '\n', '\r', '\u{feff}']);
        if !first.starts_with('{') {
            let what = match first.chars().next() {
                None => "empty input",
                Some('[') => "a JSON array",
                Some('"') => "a JSON string",
                Some(_) => "not a JSON object",
            };
            return Err(AuditParseError {
                message: format!("{what}: an audit event is a JSON object"),
                line: 0,
                column: 0,
            });
        }
        let doc = match scan::scan(first) {
            Some(doc) => doc,
            None => Self::parse_slow(first)?,
        };
        Ok(AuditEvent {
            raw: first,
            doc,
            lazy: OnceCell::new(),
            rawtime: OnceCell::new(),
        })
    }

    /// serde_json's reading of the event: used when the scanner is not sure, so that
    /// results and errors are exactly serde's.
    #[cold]
    #[inline(never)]
    fn parse_slow(text: &'a str) -> Result<Doc<'a>, AuditParseError> {
        serde_json::from_str(text).map_err(|e| AuditParseError {
            message: strip_position(&e.to_string()),
            line: e.line(),
            column: e.column(),
        })
    }

    /// The event's JSON text.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// `kind` is `Event` and `apiVersion` is `audit.k8s.io/*` (either may be absent when
    /// `auditID` is present). Parses the whole event; meant for diagnostics.
    pub fn is_audit_event(&self) -> bool {
        let Some(w) = self.whole() else {
            return false;
        };
        let kind_ok = match w.key("kind") {
            Some(k) => k.as_str() == Some("Event"),
            None => !self.doc.audit_id.is_missing(),
        };
        let api_ok = match w.key("apiVersion") {
            Some(v) => v.as_str().is_some_and(|v| v.starts_with("audit.k8s.io/")),
            None => !self.doc.audit_id.is_missing(),
        };
        kind_ok && api_ok
    }

    /// `auditID` (shared by every stage of one request).
    pub fn audit_id(&self) -> Option<&str> {
        self.doc.audit_id.as_str()
    }

    /// `stage` (RequestReceived, ResponseStarted, ResponseComplete, Panic).
    pub fn stage(&self) -> Option<&str> {
        self.doc.stage.as_str()
    }

    /// `verb`.
    pub fn verb(&self) -> Option<&str> {
        self.doc.verb.as_str()
    }

    /// `requestURI`.
    pub fn request_uri(&self) -> Option<&str> {
        self.doc.request_uri.as_str()
    }

    /// `user.username`.
    pub fn user_name(&self) -> Option<&str> {
        self.doc.user.as_ref()?.username.as_str()
    }

    /// `objectRef.resource`.
    pub fn resource(&self) -> Option<&str> {
        self.doc.object_ref.as_ref()?.resource.as_str()
    }

    /// `objectRef.subresource`.
    pub fn subresource(&self) -> Option<&str> {
        self.doc.object_ref.as_ref()?.subresource.as_str()
    }

    /// `objectRef.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.doc.object_ref.as_ref()?.namespace.as_str()
    }

    /// `objectRef.name`.
    pub fn name(&self) -> Option<&str> {
        self.doc.object_ref.as_ref()?.name.as_str()
    }

    /// `responseStatus.code` as a number.
    pub fn response_code(&self) -> Option<u16> {
        match &self.doc.response_status.as_ref()?.code {
            Text::Json(n) | Text::Str(n) => n.parse().ok(),
            Text::Missing => None,
        }
    }

    /// `stageTimestamp` text.
    pub fn stage_timestamp(&self) -> Option<&str> {
        self.doc.stage_timestamp.as_str()
    }

    fn lazy(&self) -> &Lazy<'a> {
        self.lazy.get_or_init(Box::default)
    }

    fn request(&self) -> Option<&Node<'a>> {
        self.lazy()
            .request
            .get_or_init(|| self.doc.request_object.tree())
            .as_ref()
    }

    fn response(&self) -> Option<&Node<'a>> {
        self.lazy()
            .response
            .get_or_init(|| self.doc.response_object.tree())
            .as_ref()
    }

    fn source_ips(&self) -> Option<&Node<'a>> {
        self.lazy()
            .source_ips
            .get_or_init(|| self.doc.source_ips.tree())
            .as_ref()
    }

    fn whole(&self) -> Option<&Node<'a>> {
        self.lazy()
            .whole
            .get_or_init(|| Node::parse(self.raw))
            .as_ref()
    }

    fn annotation(&self, a: Annot) -> FieldValue<'_> {
        let key = match a {
            Annot::Decision => {
                return self
                    .doc
                    .annotations
                    .as_ref()
                    .map_or(FieldValue::Absent, |x| x.decision.value());
            }
            Annot::Reason => {
                return self
                    .doc
                    .annotations
                    .as_ref()
                    .map_or(FieldValue::Absent, |x| x.reason.value());
            }
            Annot::OpenshiftDecision => "authentication.openshift.io/decision",
            Annot::OpenshiftUsername => "authentication.openshift.io/username",
            Annot::AdmissionFailure => "validation.policy.admission.k8s.io/validation_failure",
            Annot::PodSecurityViolations => "pod-security.kubernetes.io/audit-violations",
            Annot::ClusterName => "cluster_name",
        };
        if self.doc.annotations.is_none() {
            return FieldValue::Absent;
        }
        node_value(
            self.whole()
                .and_then(|w| w.key("annotations"))
                .and_then(|a| a.key(key)),
        )
    }

    /// Top-level scalar members decoded at parse time.
    fn top_text(&self, key: &str) -> Option<&Text<'a>> {
        let d = &self.doc;
        Some(match key {
            "auditID" => &d.audit_id,
            "stage" => &d.stage,
            "requestURI" => &d.request_uri,
            "verb" => &d.verb,
            "userAgent" => &d.user_agent,
            "stageTimestamp" => &d.stage_timestamp,
            _ => return None,
        })
    }

    /// Second-level members decoded at parse time: `Some(None)` when the parent object is
    /// absent, `None` when the member is not one of those decoded.
    fn nested_text(&self, parent: &str, key: &str) -> Option<Option<&Text<'a>>> {
        let d = &self.doc;
        match (parent, key) {
            ("user", "username") => Some(d.user.as_ref().map(|u| &u.username)),
            ("impersonatedUser", "username") => {
                Some(d.impersonated_user.as_ref().map(|u| &u.username))
            }
            ("objectRef", "resource" | "namespace" | "name" | "subresource") => {
                Some(d.object_ref.as_ref().map(|o| match key {
                    "resource" => &o.resource,
                    "namespace" => &o.namespace,
                    "name" => &o.name,
                    _ => &o.subresource,
                }))
            }
            ("responseStatus", "code") => Some(d.response_status.as_ref().map(|s| &s.code)),
            ("responseStatus", "reason") => Some(d.response_status.as_ref().map(|s| &s.reason)),
            ("annotations", "authorization.k8s.io/decision") => {
                Some(d.annotations.as_ref().map(|a| &a.decision))
            }
            ("annotations", "authorization.k8s.io/reason") => {
                Some(d.annotations.as_ref().map(|a| &a.reason))
            }
            _ => None,
        }
    }

    /// `json.value[ptr]`.
    fn pointer(&self, ptr: &str) -> FieldValue<'_> {
        let Some(rest) = ptr.strip_prefix('/') else {
            return match self.whole() {
                Some(n) if ptr.is_empty() => FieldValue::Str(n.text()),
                _ => FieldValue::Absent,
            };
        };
        let (first, tail) = match rest.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (rest, None),
        };
        let first = unescape(first);
        let tail_tokens = || tail.into_iter().flat_map(|t| t.split('/')).map(unescape);
        match (&*first, tail) {
            ("requestObject", _) => {
                return node_value(self.request().and_then(|n| n.walk(tail_tokens())));
            }
            ("responseObject", _) => {
                return node_value(self.response().and_then(|n| n.walk(tail_tokens())));
            }
            // Kept raw at parse time (thresholds group failed logins by `/sourceIPs/0`):
            // only this small array is parsed, not the whole event.
            ("sourceIPs", _) => {
                return node_value(self.source_ips().and_then(|n| n.walk(tail_tokens())));
            }
            (key, None) => {
                if let Some(t) = self.top_text(key) {
                    return t.value();
                }
            }
            (parent, Some(t)) if !t.contains('/') => {
                if let Some(found) = self.nested_text(parent, &unescape(t)) {
                    return found.map_or(FieldValue::Absent, Text::value);
                }
            }
            _ => {}
        }
        let Some(tokens) = pointer_tokens(ptr) else {
            return FieldValue::Absent;
        };
        node_value(self.whole().and_then(|n| n.walk(tokens)))
    }

    fn container_field(
        &self,
        list: CList,
        sub: CSub,
        index: Option<usize>,
    ) -> Option<Vec<Cow<'_, str>>> {
        let ro = self.request()?;
        let l = list.key();
        let sc = |k: &'static str| -> Option<Vec<Cow<'_, str>>> {
            Some(skip_nil(&collect(
                ro,
                index,
                &["spec", l, "securityContext", k],
            )?))
        };
        match sub {
            CSub::Args | CSub::Command => {
                let key = if sub == CSub::Args { "args" } else { "command" };
                let mut out = Vec::new();
                for v in collect(ro, index, &["spec", l, key])?.into_iter().flatten() {
                    let mut words = Vec::new();
                    for w in v.as_array()? {
                        words.push(w.as_str()?);
                    }
                    out.push(Cow::Owned(words.join(" ")));
                }
                Some(out)
            }
            CSub::Name | CSub::Image => {
                let key = if sub == CSub::Name { "name" } else { "image" };
                strict(&collect(ro, index, &["spec", l, key])?)
            }
            CSub::ImageRepo => {
                let images = strict(&collect(ro, index, &["spec", l, "image"])?)?;
                Some(images.into_iter().map(repository).collect())
            }
            CSub::HostPort => {
                let mut out = Vec::new();
                for ports in collect(ro, index, &["spec", l, "ports"])?
                    .into_iter()
                    .flatten()
                {
                    for port in ports.as_array()? {
                        if let Some(p) = port.key("hostPort").or_else(|| port.key("containerPort"))
                        {
                            out.push(p.text());
                        }
                    }
                }
                Some(out)
            }
            CSub::Privileged => sc("privileged"),
            CSub::AllowPrivEsc => sc("allowPrivilegeEscalation"),
            CSub::ReadOnlyFs => sc("readOnlyRootFilesystem"),
            CSub::RunAsUser => sc("runAsUser"),
            CSub::RunAsGroup => sc("runAsGroup"),
            CSub::ProcMount => sc("procMount"),
            CSub::EffRunAsUser | CSub::EffRunAsGroup => {
                let key = if sub == CSub::EffRunAsUser {
                    "runAsUser"
                } else {
                    "runAsGroup"
                };
                let pod = ro
                    .key("spec")
                    .and_then(|s| s.key("securityContext"))
                    .and_then(|s| s.key(key))
                    .map_or(Cow::Borrowed("0"), Node::text);
                // Every container of the list counts (with the pod's or the default value
                // when it sets none), also when one is picked with `[i]`.
                let containers: Vec<&Node<'a>> = match (ro.key("spec")?.key(l)?, index) {
                    (Node::Arr(items, _), None) => items.iter().collect(),
                    (Node::Arr(items, _), Some(i)) => vec![items.get(i)?],
                    (single, None | Some(0)) => vec![single],
                    (_, Some(_)) => return None,
                };
                Some(
                    containers
                        .into_iter()
                        .map(|c| {
                            c.key("securityContext")
                                .and_then(|s| s.key(key))
                                .map_or_else(|| pod.clone(), Node::text)
                        })
                        .collect(),
                )
            }
            CSub::AddCaps => {
                let vals = collect(
                    ro,
                    index,
                    &["spec", l, "securityContext", "capabilities", "add"],
                )?;
                let mut out = Vec::new();
                for v in vals.into_iter().flatten() {
                    match v.as_array() {
                        Some(items) => out.extend(items.iter().map(Node::text)),
                        None => out.push(v.text()),
                    }
                }
                Some(out)
            }
        }
    }

    fn extract(&self, kind: Kind, arg: Option<&FieldArg>) -> FieldValue<'_> {
        let d = &self.doc;
        let index = match arg {
            Some(FieldArg::Index(i)) => Some(*i),
            _ => None,
        };
        let key = match arg {
            Some(FieldArg::Key(k)) => Some(k.as_str()),
            _ => None,
        };
        let ro = || self.request();
        let spec = |k: &str| ro().and_then(|r| r.key("spec")).and_then(|s| s.key(k));
        let pod_sc = |k: &str| spec("securityContext").and_then(|s| s.key(k));
        match kind {
            Kind::AuditId => d.audit_id.value(),
            Kind::Stage => d.stage.value(),
            Kind::Annotation(a) => self.annotation(a),
            Kind::UserName => d
                .user
                .as_ref()
                .map_or(FieldValue::Absent, |u| u.username.value()),
            Kind::UserGroups => match d.user.as_ref().and_then(|u| u.groups.0) {
                Some(raw) => match plain_string_array(raw) {
                    Some(items) => list_value(Some(items)),
                    None => owned_list(Raw(Some(raw)).tree()),
                },
                None => FieldValue::Absent,
            },
            Kind::ImpUserName => d
                .impersonated_user
                .as_ref()
                .map_or(FieldValue::Absent, |u| u.username.value()),
            Kind::Verb => d.verb.value(),
            Kind::Uri => d.request_uri.value(),
            Kind::UriParam => match (d.request_uri.as_str(), key) {
                (Some(uri), Some(k)) => opt(uri_param(uri, k)),
                _ => FieldValue::Absent,
            },
            Kind::TargetName => self.object_ref(|o| &o.name),
            Kind::TargetNamespace => self.object_ref(|o| &o.namespace),
            Kind::TargetResource => self.object_ref(|o| &o.resource),
            Kind::TargetSubresource => self.object_ref(|o| &o.subresource),
            Kind::TargetPodName => {
                let o = d.object_ref.as_ref();
                let is_pods = o.and_then(|o| o.resource.as_str()) == Some("pods");
                let no_sub = o
                    .and_then(|o| o.subresource.as_str())
                    .is_none_or(str::is_empty);
                if is_pods && no_sub {
                    node_value(
                        self.response()
                            .and_then(|r| r.key("metadata"))
                            .and_then(|m| m.key("name")),
                    )
                } else {
                    FieldValue::Absent
                }
            }
            Kind::BindingSubjects => node_list(ro().and_then(|r| r.key("subjects"))),
            Kind::SubjectNames(kind) => self.subject_names(kind),
            Kind::BindingRole => node_value(
                ro().and_then(|r| r.key("roleRef"))
                    .and_then(|r| r.key("name")),
            ),
            Kind::SubjectHasName => FieldValue::Str(Cow::Borrowed("true")),
            Kind::ConfigmapObj => node_value(ro().and_then(|r| r.key("data"))),
            Kind::Container(list, sub) => list_value(self.container_field(list, sub, index)),
            Kind::FirstImage | Kind::FirstImageRepo => {
                let first = ro()
                    .and_then(|r| collect(r, Some(0), &["spec", "containers", "image"]))
                    .and_then(|v| strict(&v))
                    .and_then(|v| v.into_iter().next());
                match first {
                    Some(img) if kind == Kind::FirstImageRepo => FieldValue::Str(repository(img)),
                    Some(img) => FieldValue::Str(img),
                    None => FieldValue::Absent,
                }
            }
            Kind::HostIpc => node_value(spec("hostIPC")),
            Kind::HostNetwork => node_value(spec("hostNetwork")),
            Kind::HostPid => node_value(spec("hostPID")),
            Kind::AnyPrivileged => {
                match ro().and_then(|r| {
                    collect(
                        r,
                        None,
                        &["spec", "containers", "securityContext", "privileged"],
                    )
                }) {
                    Some(vals) => {
                        let any = vals.iter().flatten().any(|v| matches!(v, Node::Bool(true)));
                        FieldValue::Str(Cow::Borrowed(if any { "true" } else { "false" }))
                    }
                    None => FieldValue::Absent,
                }
            }
            Kind::PodRunAsUser => node_value(pod_sc("runAsUser")),
            Kind::PodRunAsGroup => node_value(pod_sc("runAsGroup")),
            Kind::FsGroup => node_value(pod_sc("fsGroup")),
            Kind::SupplementalGroups => node_list(pod_sc("supplementalGroups")),
            Kind::RoleRules => node_list(ro().and_then(|r| r.key("rules"))),
            Kind::RoleRuleItems(k) => {
                let vals = ro().and_then(|r| collect(r, index, &["rules", k]));
                list_value(vals.map(|vals| {
                    vals.into_iter()
                        .flatten()
                        .filter_map(Node::as_array)
                        .flat_map(|items| items.iter().map(Node::text))
                        .collect()
                }))
            }
            Kind::ServiceType => node_value(spec("type")),
            Kind::ServicePorts => match spec("ports") {
                Some(Node::Arr(items, _)) => match index {
                    Some(i) => list_value(items.get(i).map(|n| vec![n.text()])),
                    None => list_value(Some(items.iter().map(Node::text).collect())),
                },
                Some(other) if index.is_none() => FieldValue::List(vec![other.text()]),
                _ => FieldValue::Absent,
            },
            Kind::VolumeHostPaths => list_value(
                ro().and_then(|r| collect(r, index, &["spec", "volumes", "hostPath", "path"]))
                    .map(|v| skip_nil(&v)),
            ),
            Kind::VolumeHostPathMatch => {
                let (Some(arg), Some(vals)) = (
                    key,
                    ro().and_then(|r| collect(r, None, &["spec", "volumes", "hostPath", "path"])),
                ) else {
                    return FieldValue::Absent;
                };
                let prefix = arg.strip_suffix('*');
                let hit = skip_nil(&vals).iter().any(|p| match prefix {
                    Some(pre) => p.starts_with(pre),
                    None => p == arg,
                });
                FieldValue::Str(Cow::Borrowed(if hit { "true" } else { "false" }))
            }
            Kind::FlexVolumeDrivers => list_value(
                ro().and_then(|r| collect(r, index, &["spec", "volumes", "flexVolume", "driver"]))
                    .map(|v| skip_nil(&v)),
            ),
            Kind::VolumeTypes => list_value(
                ro().and_then(|r| collect(r, index, &["spec", "volumes", ""]))
                    .map(|vals| {
                        vals.into_iter()
                            .flatten()
                            .filter_map(|v| match v {
                                Node::Obj(members, _) => Some(members),
                                _ => None,
                            })
                            .flat_map(|members| members.iter().map(|(k, _)| k))
                            .filter(|k| *k != "name")
                            .map(|k| Cow::Borrowed(&**k))
                            .collect()
                    }),
            ),
            Kind::RespName => node_value(
                self.response()
                    .and_then(|r| r.key("metadata"))
                    .and_then(|m| m.key("name")),
            ),
            Kind::ResponseCode => d
                .response_status
                .as_ref()
                .map_or(FieldValue::Absent, |s| s.code.value()),
            Kind::ResponseReason => d
                .response_status
                .as_ref()
                .map_or(FieldValue::Absent, |s| s.reason.value()),
            Kind::UserAgent => d.user_agent.value(),
            // Falco's plugin reads /requestObject/rules/*/sourceIPs here (an upstream slip,
            // see the module docs); we read the documented /sourceIPs.
            Kind::SourceIps => match d.source_ips.tree() {
                Some(Node::Arr(items, _)) => match index {
                    Some(i) => list_value(items.into_iter().nth(i).map(|n| vec![n.into_text()])),
                    None => list_value(Some(items.into_iter().map(Node::into_text).collect())),
                },
                _ => FieldValue::Absent,
            },
            Kind::SourceIpNet => match d.source_ips.tree() {
                Some(Node::Arr(items, _)) => items
                    .into_iter()
                    .next()
                    .map_or(FieldValue::Absent, |n| FieldValue::Str(n.into_text())),
                _ => FieldValue::Absent,
            },
            Kind::JsonValue => match key {
                Some(ptr) => self.pointer(ptr),
                None => FieldValue::Absent,
            },
            Kind::JsonObj => FieldValue::Str(Cow::Owned(indent(self.raw))),
            Kind::JsonRawTime => {
                let (buf, len) = self.rawtime.get_or_init(|| match self.time_ns() {
                    0 => ([0u8; 20], 0),
                    ns => decimal(ns),
                });
                match std::str::from_utf8(buf.get(..usize::from(*len)).unwrap_or_default()) {
                    Ok(s) if !s.is_empty() => FieldValue::Str(Cow::Borrowed(s)),
                    _ => FieldValue::Absent,
                }
            }
        }
    }

    #[inline]
    fn object_ref(
        &self,
        f: impl for<'o> FnOnce(&'o ObjectRef<'a>) -> &'o Text<'a>,
    ) -> FieldValue<'_> {
        self.doc
            .object_ref
            .as_ref()
            .map_or(FieldValue::Absent, |o| f(o).value())
    }

    fn subject_names(&self, kind: Subj) -> FieldValue<'_> {
        let Some(Node::Arr(subjects, _)) = self.request().and_then(|r| r.key("subjects")) else {
            return FieldValue::Absent;
        };
        let want = match kind {
            Subj::User => "User",
            Subj::Group => "Group",
            Subj::ServiceAccount | Subj::NamespacedServiceAccount => "ServiceAccount",
        };
        let mut out = Vec::new();
        for s in subjects {
            let (Some(k), Some(name)) = (s.key("kind"), s.key("name")) else {
                continue;
            };
            if k.text() != want {
                continue;
            }
            if kind == Subj::NamespacedServiceAccount {
                let Some(ns) = s.key("namespace") else {
                    continue;
                };
                out.push(Cow::Owned(format!("{}:{}", ns.text(), name.text())));
            } else {
                out.push(name.text());
            }
        }
        list_value(Some(out))
    }
}

impl Event for AuditEvent<'_> {
    fn get(&self, field: &ResolvedField) -> FieldValue<'_> {
        let alias = field.id & super::fields::JSON_ALIAS != 0;
        let Some(kind) = kind_of(field.id & !super::fields::JSON_ALIAS) else {
            return FieldValue::Absent;
        };
        if !alias && kind.needs_audit_id() && self.doc.audit_id.is_missing() {
            return FieldValue::Absent;
        }
        // The members decoded at parse time, read by most rules on every event, without
        // the general extractor.
        let d = &self.doc;
        match kind {
            Kind::Stage => d.stage.value(),
            Kind::Verb => d.verb.value(),
            Kind::UserName => d
                .user
                .as_ref()
                .map_or(FieldValue::Absent, |u| u.username.value()),
            Kind::TargetResource => self.object_ref(|o| &o.resource),
            Kind::TargetSubresource => self.object_ref(|o| &o.subresource),
            Kind::TargetNamespace => self.object_ref(|o| &o.namespace),
            Kind::TargetName => self.object_ref(|o| &o.name),
            Kind::ResponseCode => d
                .response_status
                .as_ref()
                .map_or(FieldValue::Absent, |s| s.code.value()),
            Kind::UserAgent => d.user_agent.value(),
            Kind::Uri => d.request_uri.value(),
            _ => self.extract(kind, field.arg.as_ref()),
        }
    }

    fn time_ns(&self) -> i64 {
        if let Some(ns) = self
            .doc
            .stage_timestamp
            .as_str()
            .and_then(parse_rfc3339_nanos)
        {
            return ns;
        }
        self.whole()
            .and_then(|w| w.key("requestReceivedTimestamp"))
            .and_then(Node::as_str)
            .and_then(parse_rfc3339_nanos)
            .unwrap_or(0)
    }
}

/// The stage of an event (`RequestReceived`, `ResponseStarted`, `ResponseComplete`,
/// `Panic`), for de-duplicating the several records of one request.
pub fn stage_of<'e>(event: &'e AuditEvent<'_>) -> Option<&'e str> {
    event.stage()
}

/// `n` in decimal (what `format!("{n}")` gives) without the formatting machinery: the
/// digits in a buffer and their length.
fn decimal(n: i64) -> ([u8; 20], u8) {
    let mut out = [0u8; 20];
    let mut v = n.unsigned_abs();
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        out[i] = b'-';
    }
    out.copy_within(i.., 0);
    (out, (20 - i) as u8)
}

fn unescape(tok: &str) -> Cow<'_, str> {
    if tok.contains('~') {
        Cow::Owned(tok.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(tok)
    }
}

fn opt(v: Option<Cow<'_, str>>) -> FieldValue<'_> {
    v.map_or(FieldValue::Absent, FieldValue::Str)
}

fn node_value<'e>(n: Option<&'e Node<'_>>) -> FieldValue<'e> {
    n.map_or(FieldValue::Absent, |n| FieldValue::Str(n.text()))
}

/// A JSON array as a list of rendered elements; anything else is absent.
fn node_list<'e>(n: Option<&'e Node<'_>>) -> FieldValue<'e> {
    match n {
        Some(Node::Arr(items, _)) => list_value(Some(items.iter().map(Node::text).collect())),
        _ => FieldValue::Absent,
    }
}

/// `["a","b"]` without escapes, read in place: the common shape of `user.groups` and
/// `sourceIPs`, worth a fast path because rules read them on most events. `None` when the
/// text is anything else (the general parser then handles it). The text is valid JSON
/// (checked at parse time), so only JSON whitespace can surround the tokens.
fn plain_string_array(raw: &str) -> Option<Vec<Cow<'_, str>>> {
    fn ws(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }
    let b = raw.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return (ws(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let end = start + memchr::memchr2(b'"', b'\\', b.get(start..)?)?;
        if b[end] == b'\\' {
            return None;
        }
        out.push(Cow::Borrowed(raw.get(start..end)?));
        i = ws(b, end + 1);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return (ws(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

fn owned_list(n: Option<Node<'_>>) -> FieldValue<'_> {
    match n {
        Some(Node::Arr(items, _)) => {
            list_value(Some(items.into_iter().map(Node::into_text).collect()))
        }
        _ => FieldValue::Absent,
    }
}

fn list_value(v: Option<Vec<Cow<'_, str>>>) -> FieldValue<'_> {
    match v {
        Some(items) if !items.is_empty() => FieldValue::List(items),
        _ => FieldValue::Absent,
    }
}

/// Falco's `getValuesRecursive`: follow `keys`; an array met before a key is walked
/// element by element (or only element `index`). An element missing the rest of the path
/// gives a `None` placeholder. `None` overall when the path is not available.
fn collect<'n, 'a>(
    node: &'n Node<'a>,
    index: Option<usize>,
    keys: &[&str],
) -> Option<Vec<Option<&'n Node<'a>>>> {
    let mut out = Vec::new();
    collect_into(node, index, keys, &mut out).then_some(out)
}

fn collect_into<'n, 'a>(
    node: &'n Node<'a>,
    index: Option<usize>,
    keys: &[&str],
    out: &mut Vec<Option<&'n Node<'a>>>,
) -> bool {
    let mut cur = node;
    for (i, k) in keys.iter().enumerate() {
        if let Node::Arr(items, _) = cur {
            match index {
                None => {
                    for item in items {
                        let mark = out.len();
                        if !collect_into(item, index, keys.get(i..).unwrap_or_default(), out) {
                            out.truncate(mark);
                            out.push(None);
                        }
                    }
                    return true;
                }
                Some(ix) => match items.get(ix) {
                    Some(item) => cur = item,
                    None => return false,
                },
            }
        }
        if !k.is_empty() {
            match cur.key(k) {
                Some(v) => cur = v,
                None => return false,
            }
        }
    }
    out.push(Some(cur));
    true
}

/// Render values, dropping missing ones.
fn skip_nil<'n>(vals: &[Option<&'n Node<'_>>]) -> Vec<Cow<'n, str>> {
    vals.iter().flatten().map(|n| n.text()).collect()
}

/// Render values; a missing one makes the whole field unavailable.
fn strict<'n>(vals: &[Option<&'n Node<'_>>]) -> Option<Vec<Cow<'n, str>>> {
    vals.iter().map(|v| v.map(Node::text)).collect()
}

/// Falco's repository split: the part before the first `:`, then before the first `@`.
/// (A registry with a port, `host:5000/app:1`, therefore gives `host`; kept for
/// compatibility.)
fn repository(image: Cow<'_, str>) -> Cow<'_, str> {
    fn cut(s: &str) -> &str {
        let s = s.split(':').next().unwrap_or(s);
        s.split('@').next().unwrap_or(s)
    }
    match image {
        Cow::Borrowed(s) => Cow::Borrowed(cut(s)),
        Cow::Owned(s) => Cow::Owned(cut(&s).to_owned()),
    }
}

/// First value of a query parameter, following Go's `url.Parse` + `url.ParseQuery` as
/// Falco does: any malformed pair (bad `%` escape, `;`) makes the parameter unavailable.
pub(crate) fn uri_param<'u>(uri: &'u str, key: &str) -> Option<Cow<'u, str>> {
    if uri.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let no_fragment = uri.split('#').next().unwrap_or(uri);
    let (path, query) = no_fragment.split_once('?')?;
    if !percent_ok(path) {
        return None;
    }
    let mut found = None;
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        if pair.contains(';') {
            return None;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = query_unescape(k)?;
        let v = query_unescape(v)?;
        if found.is_none() && k == key {
            found = Some(v);
        }
    }
    found
}

fn percent_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn query_unescape(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains(['%', '+']) {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = (*b.get(i + 1)? as char).to_digit(16)?;
                let lo = (*b.get(i + 2)? as char).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

/// serde_json appends " at line L column C"; positions are reported separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_owned(),
        None => msg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_params() {
        let u =
            "/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&container=c+1&stdin=true";
        assert_eq!(uri_param(u, "command").as_deref(), Some("sh"));
        assert_eq!(uri_param(u, "container").as_deref(), Some("c 1"));
        assert_eq!(uri_param(u, "tty"), None);
        assert_eq!(uri_param("/x?a=%2Fetc", "a").as_deref(), Some("/etc"));
        assert_eq!(uri_param("/x?a=%zz&b=1", "b"), None);
        assert_eq!(uri_param("/x?a=1;b=2", "a"), None);
        assert_eq!(uri_param("/x?a=1#b=2", "b"), None);
        assert_eq!(uri_param("/x", "a"), None);
        assert_eq!(uri_param("/x?a", "a").as_deref(), Some(""));
    }

    #[test]
    fn decimal_is_display() {
        for n in [
            1,
            9,
            10,
            -1,
            -10,
            1_700_000_000_123_456_789,
            i64::MAX,
            i64::MIN,
        ] {
            let (buf, len) = decimal(n);
            assert_eq!(
                std::str::from_utf8(&buf[..usize::from(len)]).unwrap(),
                n.to_string()
            );
        }
    }

    #[test]
    fn repository_split() {
        assert_eq!(
            repository(Cow::Borrowed("docker.io/library/nginx:1.25")),
            "docker.io/library/nginx"
        );
        assert_eq!(repository(Cow::Borrowed("nginx@sha256:abc")), "nginx");
        assert_eq!(repository(Cow::Borrowed("busybox")), "busybox");
        assert_eq!(repository(Cow::Borrowed("reg:5000/app:1")), "reg");
    }
}
