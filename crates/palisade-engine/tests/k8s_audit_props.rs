//! Property tests of the `k8s_audit` source: no panics on any input, and `jevt.value`
//! agrees with `serde_json::Value::pointer`.

use std::io::Write;

use palisade_engine::field::{Event, FieldTable, FieldValue, ResolvedField};
use palisade_engine::k8s_audit::{
    AuditEvent, K8sAuditFields, ReaderLimits, split_events_with_limits,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every field, with a few argument variants each.
fn all_fields() -> Vec<ResolvedField> {
    let mut out = Vec::new();
    for info in K8sAuditFields.fields() {
        let args: &[Option<&str>] = match info.arg_required {
            None => &[None],
            Some(false) => &[None, Some("0"), Some("1"), Some("3")],
            Some(true) if info.name.ends_with(".value") => &[
                Some("/"),
                Some("/requestObject/spec/containers/0"),
                Some("/user/groups/0"),
                Some("/a~1b"),
            ],
            Some(true) => &[Some("/etc"), Some("/var/*"), Some("command"), Some("*")],
        };
        for arg in args {
            out.push(K8sAuditFields.resolve(info.name, *arg).expect("resolves"));
        }
    }
    out
}

fn extract_everything(ev: &AuditEvent<'_>, fields: &[ResolvedField]) {
    for f in fields {
        let v = ev.get(f);
        let _ = v.render();
        if f.list {
            assert!(
                !matches!(v, FieldValue::Str(_)),
                "{} returned a single value",
                f.display
            );
        } else {
            assert!(
                !matches!(v, FieldValue::List(_)),
                "{} returned a list",
                f.display
            );
        }
    }
    let _ = ev.time_ns();
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e9f64..1.0e9).prop_map(|f| json!(f)),
        "[a-z0-9~/ \"\\\\é:@*]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z~/ ]{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

const KEYS: &[&str] = &[
    "spec",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "securityContext",
    "privileged",
    "image",
    "name",
    "command",
    "args",
    "ports",
    "hostPort",
    "containerPort",
    "volumes",
    "hostPath",
    "path",
    "flexVolume",
    "driver",
    "capabilities",
    "add",
    "runAsUser",
    "runAsGroup",
    "subjects",
    "kind",
    "namespace",
    "rules",
    "verbs",
    "roleRef",
    "data",
    "metadata",
    "type",
    "hostNetwork",
];

/// JSON shaped like pod specs, bindings and roles, with random types in random places.
fn arb_k8s_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0i64..70000).prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "User",
            "ServiceAccount",
            "Group",
            "nginx:1.2",
            "a@b:c",
            "/etc",
            "/var/run",
            ""
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 64, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..5).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

fn event_with(parts: Vec<(&str, Value)>) -> Value {
    let mut ev = json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": "p",
        "stage": "ResponseComplete",
        "verb": "create",
        "requestURI": "/api/v1/namespaces/default/pods?dryRun=All",
        "user": {"username": "u", "groups": ["g1", "g2"]},
        "objectRef": {"resource": "pods", "namespace": "default", "name": "x"},
        "responseStatus": {"code": 201},
        "stageTimestamp": "2024-01-01T00:00:00Z"
    });
    if let Some(o) = ev.as_object_mut() {
        for (k, v) in parts {
            o.insert(k.to_owned(), v);
        }
    }
    ev
}

/// A fixed event with escapes, odd keys and pretty-printing.
fn fixed_event() -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": "fixed",
        "stage": "ResponseComplete",
        "verb": "create",
        "requestURI": "/api/v1/namespaces/a/pods/b/exec?command=ls&tty=1",
        "user": {"username": "jo\"e", "groups": ["a", "b/c", "d~e"], "extra": {"k/e~y": ["v"]}},
        "sourceIPs": ["10.0.0.1"],
        "objectRef": {"resource": "pods", "namespace": "a", "name": "b", "subresource": "exec"},
        "responseStatus": {"metadata": {}, "code": 101},
        "requestObject": {
            "spec": {
                "containers": [
                    {"name": "c1", "image": "x:1", "securityContext": {"privileged": true, "runAsUser": 0}},
                    {"name": "c2", "image": "y", "ports": [{"containerPort": 80}, {"hostPort": 8080}]}
                ],
                "volumes": [{"name": "v", "hostPath": {"path": "/etc"}}],
                "": {"empty key": [null, true, 1.5e3, -2]}
            },
            "a/b": {"~": "tilde", "~1": "tilde-one"}
        },
        "annotations": {"authorization.k8s.io/decision": "allow", "x/y": "z"},
        "stageTimestamp": "2024-01-01T00:00:00.5Z"
    })
}

fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

/// A pointer made by walking `root` with `choices`; some steps pick missing keys or
/// bad indices so misses are tested too.
fn pointer_from(root: &Value, choices: &[(u8, u8)]) -> String {
    let mut ptr = String::new();
    let mut cur = Some(root);
    for &(pick, mode) in choices {
        let tok = match (cur, mode % 8) {
            (_, 0) => "missing".to_owned(),
            (_, 1) => format!("{}", pick % 4),
            (_, 2) => "01".to_owned(),
            (_, 3) => "-".to_owned(),
            (Some(Value::Object(m)), _) if !m.is_empty() => m
                .keys()
                .nth(usize::from(pick) % m.len())
                .cloned()
                .unwrap_or_default(),
            (Some(Value::Array(a)), _) if !a.is_empty() => {
                (usize::from(pick) % (a.len() + 1)).to_string()
            }
            _ => "x".to_owned(),
        };
        cur = cur.and_then(|c| match c {
            Value::Object(m) => m.get(&tok),
            Value::Array(a) => tok.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        });
        ptr.push('/');
        ptr.push_str(&escape_token(&tok));
    }
    ptr
}

/// serde_json (without `float_roundtrip`) may parse a float's shortest text to a
/// neighbouring value, so the reference is the event text as serde_json reads it.
fn check_pointer(text: &str, ptr: &str) -> Result<(), TestCaseError> {
    let root: Value = serde_json::from_str(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let root = &root;
    let ev = AuditEvent::parse(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let f = K8sAuditFields
        .resolve("jevt.value", Some(ptr))
        .map_err(TestCaseError::fail)?;
    let got = ev.get(&f);
    match (root.pointer(ptr), got) {
        (None, FieldValue::Absent) => {}
        (Some(Value::String(want)), FieldValue::Str(s)) => {
            prop_assert_eq!(want.as_str(), &*s, "{}", ptr)
        }
        (Some(want), FieldValue::Str(s)) => {
            prop_assert!(!want.is_string());
            let parsed: Value = serde_json::from_str(&s)
                .map_err(|e| TestCaseError::fail(format!("{ptr}: {s}: {e}")))?;
            prop_assert_eq!(&parsed, want, "{}", ptr);
            prop_assert!(!s.contains('\n'), "compact rendering for {}", ptr);
        }
        (want, got) => prop_assert!(false, "{}: serde_json {:?}, ours {:?}", ptr, want, got),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_strings(s in any::<String>()) {
        if let Ok(ev) = AuditEvent::parse(&s) {
            extract_everything(&ev, &all_fields());
        }
    }

    #[test]
    fn parse_never_panics_on_jsonish_text(s in "[{}\\[\\]\":,a-z0-9 \\\\.eE+\\-]{0,80}") {
        let s = format!("{{\"auditID\":{s}");
        if let Ok(ev) = AuditEvent::parse(&s) {
            extract_everything(&ev, &all_fields());
        }
    }

    #[test]
    fn extraction_never_panics_on_odd_shapes(
        req in arb_k8s_json(),
        resp in arb_json(),
        user in arb_json(),
        oref in arb_json(),
        ann in arb_json(),
        ips in arb_json(),
        pretty in any::<bool>(),
    ) {
        let ev = event_with(vec![
            ("requestObject", req),
            ("responseObject", resp),
            ("user", user),
            ("objectRef", oref),
            ("annotations", ann),
            ("sourceIPs", ips),
        ]);
        let text = if pretty { serde_json::to_string_pretty(&ev) } else { serde_json::to_string(&ev) }.unwrap();
        let parsed = AuditEvent::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        if let Ok(e) = parsed {
            extract_everything(&e, &all_fields());
        }
    }

    #[test]
    fn pointer_agrees_with_serde_json_on_fixed_event(
        choices in prop::collection::vec((any::<u8>(), any::<u8>()), 0..6),
        pretty in any::<bool>(),
    ) {
        let root = fixed_event();
        let text = if pretty { serde_json::to_string_pretty(&root) } else { serde_json::to_string(&root) }.unwrap();
        let ptr = pointer_from(&root, &choices);
        if !ptr.is_empty() {
            check_pointer(&text, &ptr)?;
        }
    }

    #[test]
    fn pointer_agrees_with_serde_json_on_random_events(
        req in arb_json(),
        user in arb_json(),
        extra in arb_json(),
        choices in prop::collection::vec((any::<u8>(), any::<u8>()), 1..7),
    ) {
        let root = event_with(vec![("requestObject", req), ("user", user), ("zzz", extra)]);
        let text = serde_json::to_string_pretty(&root).unwrap();
        let ptr = pointer_from(&root, &choices);
        check_pointer(&text, &ptr)?;
    }

    #[test]
    fn reader_never_panics(data in prop::collection::vec(any::<u8>(), 0..600), gzip in any::<bool>()) {
        let data = if gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&data).unwrap();
            gz.finish().unwrap()
        } else {
            data
        };
        let limits = ReaderLimits { max_event_bytes: 256, max_document_bytes: 512, max_decompressed_bytes: 4096 };
        let fields = all_fields();
        for (_, item) in split_events_with_limits(&data[..], limits).take(10_000) {
            if let Ok(text) = item
                && let Ok(ev) = AuditEvent::parse(&text)
            {
                extract_everything(&ev, &fields);
            }
        }
    }

    #[test]
    fn reader_never_panics_on_jsonish_lines(s in "([{}\\[\\]\":,a-z \n]|\"kind\"|\"Event\"|\"items\"|\"records\"|\"message\"){0,60}") {
        for (loc, _) in split_events_with_limits(s.as_bytes(), ReaderLimits::default()).take(10_000) {
            prop_assert!(loc.line >= 1);
        }
    }
}
