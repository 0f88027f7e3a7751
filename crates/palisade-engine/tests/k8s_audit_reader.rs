//! Input splitting of the `k8s_audit` source: JSON lines, documents, gzip, cloud exports.

use std::io::Write;

use palisade_engine::field::{Event, FieldTable, FieldValue};
use palisade_engine::k8s_audit::{
    AuditEvent, K8sAuditFields, Location, ReaderLimits, split_events, split_events_with_limits,
};

fn event(id: &str, verb: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"{verb}","user":{{"username":"alice"}},"objectRef":{{"resource":"pods","namespace":"default","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"stageTimestamp":"2024-03-05T10:00:00Z"}}"#
    )
}

/// (location, Ok(auditID) | Err(message)) for every item.
fn read(input: &[u8]) -> Vec<(Location, Result<String, String>)> {
    read_with(input, ReaderLimits::default())
}

/// Every item of `input` (at most 10,000: a reader that never ends fails the test
/// instead of hanging it).
fn read_with(input: &[u8], limits: ReaderLimits) -> Vec<(Location, Result<String, String>)> {
    split_events_with_limits(input, limits)
        .take(10_000)
        .map(|(loc, r)| {
            let r = r.map_err(|e| e.to_string()).and_then(|text| {
                let ev = AuditEvent::parse(&text)
                    .map_err(|e| format!("yielded text does not parse: {e}"))?;
                Ok(ev.audit_id().unwrap_or("<none>").to_owned())
            });
            (loc, r)
        })
        .collect()
}

fn at(line: u64) -> Location {
    Location { line, item: None }
}

fn item(line: u64, item: u64) -> Location {
    Location {
        line,
        item: Some(item),
    }
}

fn ok(id: &str) -> Result<String, String> {
    Ok(id.to_owned())
}

fn field(text: &str, spec: &str) -> Option<String> {
    let (name, arg) = match spec.split_once('[') {
        Some((n, a)) => (n, a.strip_suffix(']')),
        None => (spec, None),
    };
    let f = K8sAuditFields.resolve(name, arg).unwrap();
    let ev = AuditEvent::parse(text).unwrap();
    match ev.get(&f) {
        FieldValue::Absent => None,
        v => Some(v.render()),
    }
}

#[test]
fn json_lines_with_a_malformed_line_in_the_middle() {
    let input = format!(
        "{}\n{}\n{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"broken\n\n{}\r\n{}",
        event("a", "get"),
        event("b", "list"),
        event("c", "watch"),
        event("d", "create")
    );
    let items = read(input.as_bytes());
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!(items[0], (at(1), ok("a")));
    assert_eq!(items[1], (at(2), ok("b")));
    assert_eq!(items[2].0, at(3));
    let msg = items[2].1.as_ref().unwrap_err();
    assert!(
        msg.contains("malformed JSON") || msg.contains("EOF"),
        "{msg}"
    );
    assert_eq!(items[3], (at(5), ok("c")));
    assert_eq!(items[4], (at(6), ok("d")));
}

#[test]
fn truncated_first_line_does_not_lose_the_rest() {
    let input = format!(
        "{{\"kind\":\"Event\",\"auditID\":\"cut\n{}\n{}\n",
        event("x", "get"),
        event("y", "get")
    );
    let items = read(input.as_bytes());
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].0, at(1));
    assert!(items[0].1.is_err());
    assert_eq!(items[1], (at(2), ok("x")));
    assert_eq!(items[2], (at(3), ok("y")));

    // Unbalanced braces (no open string) are caught too.
    let input = format!(
        "{{\"kind\":\"Event\",\"user\":{{\"username\":\"a\"}}\n{}\n",
        event("z", "get")
    );
    let items = read(input.as_bytes());
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].1.is_err());
    assert_eq!(items[1], (at(2), ok("z")));
}

#[test]
fn event_list_on_one_line_and_pretty_printed() {
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{},{}]}}"#,
        event("e1", "get"),
        event("e2", "delete")
    );
    let items = read(list.as_bytes());
    assert_eq!(items, vec![(item(1, 1), ok("e1")), (item(1, 2), ok("e2"))]);

    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let items = read(pretty.as_bytes());
    assert_eq!(items, vec![(item(1, 1), ok("e1")), (item(1, 2), ok("e2"))]);
}

#[test]
fn json_array_is_streamed_item_by_item() {
    let arr = format!(
        "[\n  {},\n  {},\n  {}\n]\n",
        event("a1", "get"),
        event("a2", "get"),
        event("a3", "get")
    );
    let items = read(arr.as_bytes());
    assert_eq!(
        items,
        vec![
            (item(2, 1), ok("a1")),
            (item(3, 2), ok("a2")),
            (item(4, 3), ok("a3"))
        ]
    );

    // Pretty-printed array of pretty-printed events, with a non-event item.
    let v: serde_json::Value = serde_json::from_str(&format!(
        "[{}, {{\"hello\": 1}}, {}]",
        event("p1", "get"),
        event("p2", "get")
    ))
    .unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let items = read(pretty.as_bytes());
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].1, ok("p1"));
    assert_eq!(items[0].0.item, Some(1));
    assert!(
        items[1]
            .1
            .as_ref()
            .unwrap_err()
            .contains("JSON object with keys hello")
    );
    assert_eq!(items[2].1, ok("p2"));
    assert_eq!(items[2].0.item, Some(3));

    // One-line array.
    let one = format!("[{},{}]", event("o1", "get"), event("o2", "get"));
    assert_eq!(
        read(one.as_bytes()),
        vec![(item(1, 1), ok("o1")), (item(1, 2), ok("o2"))]
    );

    // Unterminated array: items read so far, then an error.
    let cut = format!("[\n{},\n{}", event("u1", "get"), event("u2", "get"));
    let items = read(cut.as_bytes());
    assert_eq!(items[0].1, ok("u1"));
    assert_eq!(items[1].1, ok("u2"));
    assert!(
        items[2].1.as_ref().unwrap_err().contains("no closing `]`"),
        "{items:?}"
    );
}

#[test]
fn pretty_printed_events_one_after_another() {
    let one: serde_json::Value = serde_json::from_str(&event("j1", "get")).unwrap();
    let two: serde_json::Value = serde_json::from_str(&event("j2", "patch")).unwrap();
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&one).unwrap(),
        serde_json::to_string_pretty(&two).unwrap()
    );
    let lines_of_first = serde_json::to_string_pretty(&one).unwrap().lines().count() as u64;
    let items = read(text.as_bytes());
    assert_eq!(
        items,
        vec![(at(1), ok("j1")), (at(1 + lines_of_first), ok("j2"))]
    );
}

#[test]
fn broken_value_in_a_document_is_skipped() {
    let good: serde_json::Value = serde_json::from_str(&event("g1", "get")).unwrap();
    let pretty = serde_json::to_string_pretty(&good).unwrap();
    let text = format!("{{\n  \"auditID\": \"bad\",\n  \"verb\": \"get\n}}\n{pretty}\n");
    let items = read(text.as_bytes());
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].0, at(1));
    assert!(
        items[0]
            .1
            .as_ref()
            .unwrap_err()
            .contains("line break inside a string")
    );
    assert_eq!(items[1], (at(5), ok("g1")));

    // Syntax errors the lexical split cannot see are reported by the parser.
    let text = format!("{{\n  \"auditID\": \"x\",,\n  \"verb\": 1\n}}\n{pretty}\n");
    let items = read(text.as_bytes());
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].1.as_ref().unwrap_err().contains("malformed JSON"));
    assert_eq!(items[1].1, ok("g1"));
}

/// Stray delimiters between values (found by fuzzing: the reader used to return an
/// empty value without consuming the `,` and never ended).
#[test]
fn stray_delimiters_end_in_errors_not_a_loop() {
    let good = event("s1", "get");
    for input in [
        format!("x\"{{k\":\"Event\",\n{good}\n"),
        format!("abc,\n{good}\n"),
        format!("\"a\" }}\n{good}\n"),
        format!(" ]\n{good}\n"),
        ",".to_string(),
        "x}".to_string(),
    ] {
        let items = read(input.as_bytes());
        assert!(items.len() < 10, "{input:?}: {items:?}");
        assert!(
            items.iter().any(|(_, r)| r.is_err()),
            "{input:?}: {items:?}"
        );
        if input.contains("s1") {
            assert_eq!(
                items.last().map(|i| &i.1),
                Some(&ok("s1")),
                "{input:?}: {items:?}"
            );
        }
    }
}

#[test]
fn gzip_input() {
    let plain = format!("{}\n{}\n", event("z1", "get"), event("z2", "get"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let data = gz.finish().unwrap();
    assert_eq!(&data[..2], &[0x1f, 0x8b]);
    assert_eq!(read(&data), vec![(at(1), ok("z1")), (at(2), ok("z2"))]);

    // Concatenated gzip members (rotated logs appended) are read in full.
    let mut two = data.clone();
    two.extend_from_slice(&data);
    assert_eq!(read(&two).len(), 4);

    // Over the decompression cap: a clear error, then the end.
    let limits = ReaderLimits {
        max_decompressed_bytes: 100,
        ..ReaderLimits::default()
    };
    let items = read_with(&data, limits);
    assert_eq!(items.len(), 1, "{items:?}");
    let msg = items[0].1.as_ref().unwrap_err();
    assert!(msg.contains("more than 100 bytes"), "{msg}");

    // Corrupt gzip: one error, no panic.
    let mut bad = data.clone();
    for b in bad.iter_mut().skip(12).take(20) {
        *b ^= 0x5a;
    }
    let items = read(&bad);
    assert!(items.iter().any(|(_, r)| r.is_err()));
}

#[test]
fn line_and_event_size_caps() {
    let big = format!(r#"{{"auditID":"big","pad":"{}"}}"#, "x".repeat(5000));
    let input = format!("{}\n{big}\n{}\n", event("s1", "get"), event("s2", "get"));
    let limits = ReaderLimits {
        max_event_bytes: 1000,
        ..ReaderLimits::default()
    };
    let items = read_with(input.as_bytes(), limits);
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0], (at(1), ok("s1")));
    assert!(
        items[1]
            .1
            .as_ref()
            .unwrap_err()
            .contains("longer than 1000 bytes")
    );
    assert_eq!(items[1].0, at(2));
    assert_eq!(items[2], (at(3), ok("s2")));
}

#[test]
fn unknown_formats_say_what_they_saw() {
    let input = concat!(
        "{\"foo\":1,\"bar\":{\"x\":2}}\n",
        "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"reason\":\"Scheduled\",\"involvedObject\":{}}\n",
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}\n",
        "42\n",
        "hello world\n",
        "{}\n",
    );
    let items = read(input.as_bytes());
    let msgs: Vec<String> = items.iter().map(|(_, r)| r.clone().unwrap_err()).collect();
    assert_eq!(msgs.len(), 6, "{msgs:?}");
    assert!(
        msgs[0].starts_with("JSON object with keys foo, bar: not a Kubernetes audit event (expected an apiVersion audit.k8s.io/v1 kind Event"),
        "{}",
        msgs[0]
    );
    assert!(
        msgs[1].contains("kind Event with apiVersion v1") && msgs[1].contains("kubectl get events"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].starts_with("JSON object of kind Pod (apiVersion v1)"),
        "{}",
        msgs[2]
    );
    assert!(msgs[3].starts_with("a JSON number"), "{}", msgs[3]);
    assert!(msgs[4].contains("not JSON"), "{}", msgs[4]);
    assert!(msgs[5].starts_with("an empty JSON object"), "{}", msgs[5]);
    assert_eq!(
        items.iter().map(|(l, _)| l.line).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn empty_and_blank_inputs() {
    assert!(read(b"").is_empty());
    assert!(read(b"\n\n  \r\n").is_empty());
    let bom = format!("\u{feff}{}\n", event("bom", "get"));
    assert_eq!(read(bom.as_bytes()), vec![(at(1), ok("bom"))]);
    let leading = format!("\n\n{}\n", event("l3", "get"));
    assert_eq!(read(leading.as_bytes()), vec![(at(3), ok("l3"))]);
}

#[test]
fn events_without_kind_but_with_audit_id_are_accepted() {
    let input = r#"{"auditID":"k1","verb":"get","stage":"ResponseComplete"}"#;
    assert_eq!(read(input.as_bytes()), vec![(at(1), ok("k1"))]);
}

const GKE_ENTRY: &str = r#"{
  "insertId": "1x2y3z",
  "logName": "projects/demo/logs/cloudaudit.googleapis.com%2Factivity",
  "operation": {"first": true, "id": "9c1a7f3e-3b9d-4f0f-9e55-5b2a4a3c2d10", "last": true, "producer": "k8s.io"},
  "protoPayload": {
    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
    "authenticationInfo": {"principalEmail": "dev@example.com"},
    "authorizationInfo": [{"granted": true, "permission": "io.k8s.core.v1.pods.create", "resource": "core/v1/namespaces/shop/pods/debug"}],
    "methodName": "io.k8s.core.v1.pods.create",
    "request": {
      "@type": "core.k8s.io/v1.Pod",
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "debug", "namespace": "shop"},
      "spec": {"hostPID": true, "containers": [{"name": "c", "image": "alpine:3.19", "securityContext": {"privileged": true}}]}
    },
    "requestMetadata": {"callerIp": "34.1.2.3", "callerSuppliedUserAgent": "kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9"},
    "resourceName": "core/v1/namespaces/shop/pods/debug",
    "response": {"@type": "core.k8s.io/v1.Pod", "metadata": {"name": "debug", "namespace": "shop"}},
    "serviceName": "k8s.io",
    "status": {}
  },
  "receiveTimestamp": "2024-03-05T09:00:01.5Z",
  "resource": {"labels": {"cluster_name": "gke-prod", "location": "europe-west1", "project_id": "demo"}, "type": "k8s_cluster"},
  "severity": "NOTICE",
  "labels": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "access granted by IAM permissions."},
  "timestamp": "2024-03-05T09:00:00.25Z"
}"#;

#[test]
fn gke_cloud_logging_entries_are_converted() {
    let mut out: Vec<_> = split_events(GKE_ENTRY.as_bytes()).collect();
    assert_eq!(out.len(), 1);
    let (loc, r) = out.remove(0);
    assert_eq!(loc, at(1));
    let text = r.unwrap();
    let ev = AuditEvent::parse(&text).unwrap();
    assert!(ev.is_audit_event());
    assert_eq!(ev.audit_id(), Some("9c1a7f3e-3b9d-4f0f-9e55-5b2a4a3c2d10"));
    assert_eq!(ev.stage(), Some("ResponseComplete"));
    assert_eq!(ev.time_ns(), 1_709_629_200_250_000_000);
    assert_eq!(field(&text, "ka.verb").as_deref(), Some("create"));
    assert_eq!(
        field(&text, "ka.user.name").as_deref(),
        Some("dev@example.com")
    );
    assert_eq!(field(&text, "ka.target.resource").as_deref(), Some("pods"));
    assert_eq!(field(&text, "ka.target.namespace").as_deref(), Some("shop"));
    assert_eq!(field(&text, "ka.target.name").as_deref(), Some("debug"));
    assert_eq!(field(&text, "ka.target.subresource"), None);
    assert_eq!(
        field(&text, "ka.uri").as_deref(),
        Some("/api/v1/namespaces/shop/pods/debug")
    );
    assert_eq!(field(&text, "ka.sourceips").as_deref(), Some("(34.1.2.3)"));
    assert_eq!(
        field(&text, "ka.useragent").as_deref(),
        Some("kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9")
    );
    assert_eq!(field(&text, "ka.response.code").as_deref(), Some("201"));
    assert_eq!(field(&text, "ka.auth.decision").as_deref(), Some("allow"));
    assert_eq!(field(&text, "ka.cluster.name").as_deref(), Some("gke-prod"));
    assert_eq!(field(&text, "ka.req.pod.host_pid").as_deref(), Some("true"));
    assert_eq!(
        field(&text, "ka.req.pod.containers.privileged").as_deref(),
        Some("(true)")
    );
    assert_eq!(field(&text, "ka.target.pod.name").as_deref(), Some("debug"));
    assert_eq!(field(&text, "jevt.value[/requestObject/@type]"), None);

    // A denied exec in one line: subresource from methodName, 403 from google.rpc.Code 7.
    let exec = r#"{"insertId":"e1","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"system:serviceaccount:ci:runner"},"methodName":"io.k8s.core.v1.pods.exec.create","resourceName":"core/v1/namespaces/prod/pods/api-0/exec","serviceName":"k8s.io","status":{"code":7,"message":"PERMISSION_DENIED"}},"timestamp":"2024-03-05T09:10:00Z"}"#;
    let text = split_events(exec.as_bytes()).next().unwrap().1.unwrap();
    assert_eq!(field(&text, "ka.auditid").as_deref(), Some("e1"));
    assert_eq!(
        field(&text, "ka.target.subresource").as_deref(),
        Some("exec")
    );
    assert_eq!(field(&text, "ka.response.code").as_deref(), Some("403"));
    assert_eq!(
        field(&text, "ka.response.reason").as_deref(),
        Some("Forbidden")
    );
    assert_eq!(
        field(&text, "ka.uri").as_deref(),
        Some("/api/v1/namespaces/prod/pods/api-0/exec")
    );

    // Cluster-scoped RBAC object.
    let crb = r#"{"insertId":"r1","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"io.k8s.authorization.rbac.v1.clusterrolebindings.create","resourceName":"rbac.authorization.k8s.io/v1/clusterrolebindings/pwn","serviceName":"k8s.io","request":{"subjects":[{"kind":"User","name":"eve"}],"roleRef":{"name":"cluster-admin"}}},"timestamp":"2024-03-05T09:20:00Z"}"#;
    let text = split_events(crb.as_bytes()).next().unwrap().1.unwrap();
    assert_eq!(
        field(&text, "ka.target.resource").as_deref(),
        Some("clusterrolebindings")
    );
    assert_eq!(
        field(&text, "ka.req.binding.role").as_deref(),
        Some("cluster-admin")
    );
    assert_eq!(
        field(&text, "jevt.value[/objectRef/apiGroup]").as_deref(),
        Some("rbac.authorization.k8s.io")
    );
    assert_eq!(
        field(&text, "ka.uri").as_deref(),
        Some("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pwn")
    );

    // Other GCP services' audit logs are refused with the service named.
    let gce = r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.insert"},"timestamp":"2024-03-05T09:00:00Z"}"#;
    let msg = split_events(gce.as_bytes())
        .next()
        .unwrap()
        .1
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("service compute.googleapis.com")
            && msg.contains("expected serviceName k8s.io"),
        "{msg}"
    );
}

#[test]
fn eks_cloudwatch_exports() {
    let ev = event("eks1", "get");
    let quoted = serde_json::to_string(&ev).unwrap();
    // `aws logs` / console export line: the event is a JSON string in `message`.
    let line = format!(
        r#"{{"timestamp":1709629200000,"message":{quoted},"ingestionTime":1709629201000,"logStreamName":"kube-apiserver-audit-0a1b"}}"#
    );
    // Subscription-filter payload (after base64 + gunzip).
    let sub = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/eks/prod/cluster","logStream":"kube-apiserver-audit-0a1b","subscriptionFilters":["falco"],"logEvents":[{{"id":"1","timestamp":1709629200000,"message":{quoted}}},{{"id":"2","timestamp":1709629200001,"message":{}}}]}}"#,
        serde_json::to_string(&event("eks2", "list")).unwrap()
    );
    let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    // S3 export task line: timestamp, space, message.
    let s3 = format!("2024-03-05T09:00:00.000Z {}", event("eks3", "watch"));
    // `aws logs filter-log-events` output.
    let filter = format!(
        r#"{{"events":[{{"logStreamName":"kube-apiserver-audit-0a1b","timestamp":1,"message":{},"eventId":"x"}}],"searchedLogStreams":[]}}"#,
        serde_json::to_string(&event("eks4", "get")).unwrap()
    );
    let input = format!("{line}\n{sub}\n{control}\n{s3}\n{filter}\n");
    let items = read(input.as_bytes());
    assert_eq!(
        items,
        vec![
            (at(1), ok("eks1")),
            (item(2, 1), ok("eks1")),
            (item(2, 2), ok("eks2")),
            (at(4), ok("eks3")),
            (item(5, 1), ok("eks4")),
        ]
    );

    // An authenticator log line in the same stream is named as such.
    let auth = r#"{"timestamp":1,"message":"time=\"2024-03-05T09:00:00Z\" level=info msg=\"access granted\""}"#;
    let msg = split_events(auth.as_bytes())
        .next()
        .unwrap()
        .1
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("CloudWatch log message is not a Kubernetes audit event"),
        "{msg}"
    );
}

#[test]
fn aks_diagnostic_logs() {
    let log1 = serde_json::to_string(&format!("{}\n", event("aks1", "get"))).unwrap();
    let log2 = serde_json::to_string(&event("aks2", "delete")).unwrap();
    let doc = format!(
        r#"{{"records":[
  {{"time":"2024-03-05T09:00:00Z","resourceId":"/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS1","category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{{"log":{log1},"stream":"stdout","pod":"kube-apiserver-6f9d"}}}},
  {{"time":"2024-03-05T09:00:00Z","category":"kube-apiserver","properties":{{"log":"I0305 09:00:00 flags.go:64] FLAG: --v=2","stream":"stderr"}}}},
  {{"time":"2024-03-05T09:00:01Z","category":"kube-audit-admin","properties":{{"log":{log2}}}}}
]}}"#
    );
    let items = read(doc.as_bytes());
    assert_eq!(
        items,
        vec![(item(1, 1), ok("aks1")), (item(1, 3), ok("aks2"))]
    );
    // One record a line (storage-account archive).
    let line = format!(
        r#"{{"time":"2024-03-05T09:00:00Z","category":"kube-audit","properties":{{"log":{log2}}}}}"#
    );
    assert_eq!(read(line.as_bytes()), vec![(at(1), ok("aks2"))]);
    let bad = r#"{"records":[{"category":"kube-audit","properties":{}}]}"#;
    let msg = split_events(bad.as_bytes())
        .next()
        .unwrap()
        .1
        .unwrap_err()
        .to_string();
    assert!(msg.contains("without properties.log"), "{msg}");
}

#[test]
fn locations_display() {
    assert_eq!(at(7).to_string(), "line 7");
    assert_eq!(item(1, 3).to_string(), "line 1, item 3");
}

#[test]
fn gcloud_json_array_output_is_converted_item_by_item() {
    // `gcloud logging read --format=json` prints a pretty JSON array of LogEntry objects.
    let entry: serde_json::Value = serde_json::from_str(GKE_ENTRY).unwrap();
    let doc = serde_json::to_string_pretty(&serde_json::json!([entry, {"textPayload": "hello"}]))
        .unwrap();
    let items = read(doc.as_bytes());
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].1, ok("9c1a7f3e-3b9d-4f0f-9e55-5b2a4a3c2d10"));
    assert_eq!(items[0].0.item, Some(1));
    assert!(
        items[1]
            .1
            .as_ref()
            .unwrap_err()
            .starts_with("JSON object with keys textPayload")
    );
}

#[test]
fn the_iterator_can_move_to_another_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let input = event("t1", "get");
    let it = split_events(std::io::Cursor::new(input.into_bytes()));
    assert_send(&it);
    let got = std::thread::spawn(move || it.count()).join().unwrap();
    assert_eq!(got, 1);
}
