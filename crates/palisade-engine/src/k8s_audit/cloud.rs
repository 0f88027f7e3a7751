//! GKE: Cloud Logging `LogEntry` with a Cloud Audit Log `protoPayload` → `audit.k8s.io/v1`
//! Event.
//!
//! What maps: `methodName` (`io.k8s.core.v1.pods.exec.create`) → verb, resource,
//! subresource; `resourceName` (`core/v1/namespaces/default/pods/web/exec`) → apiGroup,
//! apiVersion, namespace, name (and the request URI, rebuilt from it without a query);
//! `authenticationInfo.principalEmail` → user; `requestMetadata.callerIp` / `callerSuppliedUserAgent`
//! → sourceIPs / userAgent; `status.code` (a `google.rpc.Code`) → HTTP status code, reason
//! and message; `request` / `response` → requestObject / responseObject (their `@type` key
//! dropped); `timestamp` → both timestamps; `operation.id` (else `insertId`) → auditID;
//! `labels` (GKE puts the authorization annotations there) → annotations, plus
//! `resource.labels.cluster_name` → the `cluster_name` annotation (`ka.cluster.name`).
//! Not available in the export: user groups, impersonation, query parameters (so
//! `ka.uri.param` is absent), intermediate stages (everything is `ResponseComplete`).

use serde_json::{Map, Value, json};

const AUDIT_LOG_TYPE: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

/// Convert one GKE `LogEntry` (JSON text) to audit Event JSON text.
pub(crate) fn gke_entry_to_event(text: &str) -> Result<String, String> {
    let entry: Value =
        serde_json::from_str(text).map_err(|e| format!("malformed Cloud Logging entry: {e}"))?;
    let event = gke_to_event(&entry)?;
    serde_json::to_string(&event).map_err(|e| format!("cannot re-encode converted GKE entry: {e}"))
}

fn s<'v>(v: &'v Value, path: &str) -> Option<&'v str> {
    v.pointer(path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn gke_to_event(entry: &Value) -> Result<Value, String> {
    let pp = entry
        .get("protoPayload")
        .ok_or("Cloud Logging entry without protoPayload")?;
    let ty = s(pp, "/@type").unwrap_or("none");
    if ty != AUDIT_LOG_TYPE {
        return Err(format!(
            "Cloud Logging entry whose protoPayload is of type {ty}: not a Cloud Audit Log (expected {AUDIT_LOG_TYPE})"
        ));
    }
    let method = s(pp, "/methodName").unwrap_or("");
    let service = s(pp, "/serviceName").unwrap_or("none");
    if service != "k8s.io" {
        return Err(format!(
            "GKE Cloud Audit Log entry for service {service} (method {method}): not a Kubernetes API audit entry \
             (expected serviceName k8s.io)"
        ));
    }
    let m = parse_method(method);
    let r = s(pp, "/resourceName")
        .map(parse_resource_name)
        .unwrap_or_default();
    let verb = m
        .verb
        .clone()
        .ok_or_else(|| format!("GKE audit entry with unusable methodName `{method}`"))?;

    let mut ev = Map::new();
    ev.insert("kind".into(), json!("Event"));
    ev.insert("apiVersion".into(), json!("audit.k8s.io/v1"));
    let has_bodies = pp.get("request").is_some() || pp.get("response").is_some();
    ev.insert(
        "level".into(),
        json!(if has_bodies {
            "RequestResponse"
        } else {
            "Metadata"
        }),
    );
    let audit_id = s(entry, "/operation/id")
        .or_else(|| s(entry, "/insertId"))
        .unwrap_or("");
    ev.insert("auditID".into(), json!(audit_id));
    ev.insert("stage".into(), json!("ResponseComplete"));

    let resource = m.resource.clone().or_else(|| r.resource.clone());
    let subresource = m.subresource.clone().or_else(|| r.subresource.clone());
    if let Some(uri) = request_uri(&r, resource.as_deref(), subresource.as_deref()) {
        ev.insert("requestURI".into(), json!(uri));
    }
    ev.insert("verb".into(), json!(verb));

    let mut user = Map::new();
    if let Some(email) = s(pp, "/authenticationInfo/principalEmail") {
        user.insert("username".into(), json!(email));
    }
    ev.insert("user".into(), Value::Object(user));
    if let Some(ip) = s(pp, "/requestMetadata/callerIp") {
        ev.insert("sourceIPs".into(), json!([ip]));
    }
    if let Some(ua) = s(pp, "/requestMetadata/callerSuppliedUserAgent") {
        ev.insert("userAgent".into(), json!(ua));
    }

    let mut obj = Map::new();
    if let Some(res) = &resource {
        obj.insert("resource".into(), json!(res));
    }
    if let Some(ns) = &r.namespace {
        obj.insert("namespace".into(), json!(ns));
    }
    if let Some(name) = &r.name {
        obj.insert("name".into(), json!(name));
    }
    if let Some(g) = r.group.as_deref().filter(|g| *g != "core") {
        obj.insert("apiGroup".into(), json!(g));
    }
    if let Some(v) = r.version.clone().or(m.version.clone()) {
        obj.insert("apiVersion".into(), json!(v));
    }
    if let Some(sub) = &subresource {
        obj.insert("subresource".into(), json!(sub));
    }
    if !obj.is_empty() {
        ev.insert("objectRef".into(), Value::Object(obj));
    }

    let rpc = pp
        .pointer("/status/code")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let (http, reason) = http_status(rpc, &verb);
    let mut status = Map::new();
    status.insert("metadata".into(), json!({}));
    status.insert("code".into(), json!(http));
    if rpc != 0 {
        status.insert("status".into(), json!("Failure"));
        status.insert("reason".into(), json!(reason));
        if let Some(msg) = s(pp, "/status/message") {
            status.insert("message".into(), json!(msg));
        }
    }
    ev.insert("responseStatus".into(), Value::Object(status));

    for (from, to) in [("request", "requestObject"), ("response", "responseObject")] {
        if let Some(mut body) = pp.get(from).cloned() {
            if let Some(o) = body.as_object_mut() {
                o.remove("@type");
            }
            ev.insert(to.into(), body);
        }
    }
    if let Some(ts) = s(entry, "/timestamp").or_else(|| s(entry, "/receiveTimestamp")) {
        ev.insert("requestReceivedTimestamp".into(), json!(ts));
        ev.insert("stageTimestamp".into(), json!(ts));
    }
    let mut ann = Map::new();
    if let Some(labels) = entry.get("labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if v.is_string() {
                ann.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(c) = s(entry, "/resource/labels/cluster_name") {
        ann.entry("cluster_name").or_insert_with(|| json!(c));
    }
    if !ann.is_empty() {
        ev.insert("annotations".into(), Value::Object(ann));
    }
    Ok(Value::Object(ev))
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Method {
    version: Option<String>,
    resource: Option<String>,
    subresource: Option<String>,
    verb: Option<String>,
}

/// `io.k8s.<group...>.<version>.<resource>[.<subresource>].<verb>`.
fn parse_method(method: &str) -> Method {
    let toks: Vec<&str> = method.split('.').collect();
    let mut m = Method {
        verb: toks
            .last()
            .filter(|v| !v.is_empty())
            .map(|v| (*v).to_owned()),
        ..Method::default()
    };
    if let Some(vi) = toks.iter().position(|t| is_version(t)) {
        m.version = Some(toks[vi].to_owned());
        if toks.len() >= vi + 3 {
            m.resource = Some(toks[vi + 1].to_owned());
            let sub = toks.get(vi + 2..toks.len() - 1).unwrap_or_default();
            if !sub.is_empty() {
                m.subresource = Some(sub.join("/"));
            }
        }
    }
    m
}

/// `v1`, `v2beta1`, `v1alpha3`.
fn is_version(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    if tail.is_empty() {
        return true;
    }
    let num = tail
        .strip_prefix("alpha")
        .or_else(|| tail.strip_prefix("beta"));
    num.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct ResourceName {
    group: Option<String>,
    version: Option<String>,
    namespace: Option<String>,
    resource: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

/// `core/v1/namespaces/default/pods/web/exec`, `rbac.authorization.k8s.io/v1/clusterroles/x`,
/// `core/v1/namespaces/team-a` (the namespace object).
fn parse_resource_name(rn: &str) -> ResourceName {
    let segs: Vec<&str> = rn.split('/').filter(|s| !s.is_empty()).collect();
    let mut r = ResourceName::default();
    if segs.len() < 2 || !is_version(segs[1]) {
        return r;
    }
    r.group = Some(segs[0].to_owned());
    r.version = Some(segs[1].to_owned());
    let mut rest = &segs[2..];
    if rest.first() == Some(&"namespaces") {
        if rest.len() <= 2 {
            r.resource = Some("namespaces".to_owned());
            if let Some(n) = rest.get(1) {
                r.name = Some((*n).to_owned());
                r.namespace = Some((*n).to_owned());
            }
            return r;
        }
        r.namespace = Some(rest[1].to_owned());
        rest = &rest[2..];
    }
    r.resource = rest.first().map(|s| (*s).to_owned());
    r.name = rest.get(1).map(|s| (*s).to_owned());
    if rest.len() > 2 {
        r.subresource = Some(rest[2..].join("/"));
    }
    r
}

fn request_uri(r: &ResourceName, resource: Option<&str>, sub: Option<&str>) -> Option<String> {
    let group = r.group.as_deref()?;
    let version = r.version.as_deref()?;
    let resource = resource?;
    let mut uri = if group == "core" {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    if let Some(ns) = &r.namespace
        && resource != "namespaces"
    {
        uri.push_str(&format!("/namespaces/{ns}"));
    }
    uri.push('/');
    uri.push_str(resource);
    if let Some(n) = &r.name {
        uri.push('/');
        uri.push_str(n);
        if let Some(sub) = sub {
            uri.push('/');
            uri.push_str(sub);
        }
    }
    Some(uri)
}

/// `google.rpc.Code` → HTTP status and Kubernetes `StatusReason`.
fn http_status(rpc: i64, verb: &str) -> (u16, &'static str) {
    match rpc {
        0 if verb == "create" => (201, ""),
        0 => (200, ""),
        1 => (499, "Unknown"),
        3 | 11 => (400, "BadRequest"),
        4 => (504, "Timeout"),
        5 => (404, "NotFound"),
        6 => (409, "AlreadyExists"),
        7 => (403, "Forbidden"),
        8 => (429, "TooManyRequests"),
        9 => (400, "BadRequest"),
        10 => (409, "Conflict"),
        12 => (501, "Unknown"),
        14 => (503, "ServiceUnavailable"),
        16 => (401, "Unauthorized"),
        _ => (500, "InternalError"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        let m = parse_method("io.k8s.core.v1.pods.exec.create");
        assert_eq!(m.resource.as_deref(), Some("pods"));
        assert_eq!(m.subresource.as_deref(), Some("exec"));
        assert_eq!(m.verb.as_deref(), Some("create"));
        let m = parse_method("io.k8s.authorization.rbac.v1.clusterrolebindings.create");
        assert_eq!(m.resource.as_deref(), Some("clusterrolebindings"));
        assert_eq!(m.subresource, None);
        let m = parse_method("io.k8s.networking.v1beta1.ingresses.update");
        assert_eq!(m.version.as_deref(), Some("v1beta1"));
        assert!(!is_version("vx"));
        assert!(!is_version("v1gamma"));
    }

    #[test]
    fn resource_names() {
        let r = parse_resource_name("core/v1/namespaces/default/pods/web/exec");
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.resource.as_deref(), Some("pods"));
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(r.subresource.as_deref(), Some("exec"));
        let r = parse_resource_name("core/v1/namespaces/team-a");
        assert_eq!(r.resource.as_deref(), Some("namespaces"));
        assert_eq!(r.name.as_deref(), Some("team-a"));
        let r = parse_resource_name("rbac.authorization.k8s.io/v1/clusterroles/admin");
        assert_eq!(r.group.as_deref(), Some("rbac.authorization.k8s.io"));
        assert_eq!(r.namespace, None);
        assert_eq!(
            request_uri(&r, Some("clusterroles"), None).as_deref(),
            Some("/apis/rbac.authorization.k8s.io/v1/clusterroles/admin")
        );
        assert_eq!(parse_resource_name("projects/x"), ResourceName::default());
    }
}
