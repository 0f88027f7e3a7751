//! Throughput of the `k8s_audit` source (ignored by default; run in release mode):
//! `cargo test --release -p palisade-engine --test k8s_audit_bench -- --ignored --nocapture`

use std::hint::black_box;
use std::time::Instant;

use palisade_engine::field::{Event, FieldTable, FieldValue, ResolvedField};
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields, split_events};

/// About 1.3 KB per event on average; two in three carry a pod spec in `requestObject`.
fn corpus(n: usize) -> Vec<String> {
    let verbs = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let resources = ["pods", "secrets", "configmaps", "deployments", "services"];
    (0..n)
        .map(|i| {
            let verb = verbs[i % verbs.len()];
            let resource = resources[i % resources.len()];
            let body = if i % 3 != 0 {
                format!(
                    r#","requestObject":{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"web-{i}","namespace":"team-{ns}","labels":{{"app":"web","tier":"frontend"}}}},"spec":{{"containers":[{{"name":"web","image":"registry.example.com/web:1.{i}","ports":[{{"containerPort":8080,"protocol":"TCP"}}],"securityContext":{{"privileged":{p},"runAsUser":1000}},"resources":{{"limits":{{"cpu":"500m","memory":"256Mi"}}}}}}],"volumes":[{{"name":"data","emptyDir":{{}}}}]}}}}"#,
                    ns = i % 17,
                    p = i % 5 == 0
                )
            } else {
                String::new()
            };
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{i:08x}-1b2c-4d5e-8f90-a1b2c3d4e5f6","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-{ns}/{resource}/obj-{i}","verb":"{verb}","user":{{"username":"system:serviceaccount:team-{ns}:builder-{u}","uid":"5c0d9a8e-7f6b-4a3c-9d2e-1f0a9b8c7d6e","groups":["system:serviceaccounts","system:serviceaccounts:team-{ns}","system:authenticated"],"extra":{{"authentication.kubernetes.io/pod-name":["builder-{u}-7d9f8c6b5-x2x4z"]}}}},"sourceIPs":["10.{a}.{b}.7"],"userAgent":"kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819","objectRef":{{"resource":"{resource}","namespace":"team-{ns}","name":"obj-{i}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":{code}}}{body},"requestReceivedTimestamp":"2024-03-05T10:15:30.123456Z","stageTimestamp":"2024-03-05T10:15:30.145678Z","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"builders/team-{ns}\" of ClusterRole \"edit\" to ServiceAccount \"builder-{u}/team-{ns}\""}}}}"#,
                ns = i % 17,
                u = i % 5,
                a = i % 200,
                b = i % 250,
                code = if verb == "create" { 201 } else { 200 },
            )
        })
        .collect()
}

fn resolve(spec: &str) -> ResolvedField {
    let (name, arg) = match spec.split_once('[') {
        Some((n, a)) => (n, a.strip_suffix(']')),
        None => (spec, None),
    };
    K8sAuditFields.resolve(name, arg).expect("field")
}

/// Best time per chunk of 5,000 events over several rounds (robust to a busy machine).
fn rate(label: &str, events: &[String], f: impl Fn(&[String])) {
    let bytes: usize = events.iter().map(String::len).sum();
    let chunk = 5_000;
    let mut best = f64::MAX;
    for _ in 0..8 {
        for part in events.chunks(chunk) {
            let t = Instant::now();
            f(part);
            best = best.min(t.elapsed().as_secs_f64() / part.len() as f64);
        }
    }
    println!(
        "{label}: {:.0} k events/s, {:.0} MB/s",
        1.0 / best / 1e3,
        bytes as f64 / events.len() as f64 / best / 1e6
    );
}

#[test]
#[ignore = "benchmark; run in release mode with --ignored --nocapture"]
fn k8s_audit_throughput() {
    let events = corpus(100_000);
    let bytes: usize = events.iter().map(String::len).sum();
    println!(
        "{} events, mean {} bytes",
        events.len(),
        bytes / events.len()
    );

    rate("parse only", &events, |part| {
        for e in part {
            black_box(AuditEvent::parse(black_box(e)).expect("parses"));
        }
    });

    // What the official rules read on every event, plus a pod rule's fields when the
    // event is a pod create.
    let hot: Vec<ResolvedField> = [
        "jevt.value[/stage]",
        "ka.verb",
        "ka.target.resource",
        "ka.target.subresource",
        "ka.user.name",
        "ka.target.namespace",
        "ka.response.code",
        "ka.auth.decision",
        "jevt.rawtime",
    ]
    .iter()
    .map(|s| resolve(s))
    .collect();
    let pod: Vec<ResolvedField> = [
        "ka.req.pod.containers.privileged",
        "ka.req.pod.containers.image.repository",
        "ka.req.pod.host_network",
        "ka.req.pod.volumes.hostpath",
    ]
    .iter()
    .map(|s| resolve(s))
    .collect();
    let verb = resolve("ka.verb");
    let resource = resolve("ka.target.resource");
    rate(
        "parse + 9 hot fields (+4 pod fields on pod creates)",
        &events,
        |part| {
            for e in part {
                let ev = AuditEvent::parse(e).expect("parses");
                for f in &hot {
                    black_box(ev.get(f));
                }
                let is_pod_create = matches!(ev.get(&verb), FieldValue::Str(v) if v == "create")
                    && matches!(ev.get(&resource), FieldValue::Str(r) if r == "pods");
                if is_pod_create {
                    for f in &pod {
                        black_box(ev.get(f));
                    }
                }
            }
        },
    );

    let chunks: Vec<(usize, String)> = events
        .chunks(5_000)
        .map(|c| (c.len(), c.join("\n")))
        .collect();
    let mut best = f64::MAX;
    for _ in 0..8 {
        for (n, jsonl) in &chunks {
            let t = Instant::now();
            let ok = split_events(jsonl.as_bytes())
                .filter(|(_, r)| r.is_ok())
                .count();
            best = best.min(t.elapsed().as_secs_f64() / *n as f64);
            assert_eq!(ok, *n);
        }
    }
    println!(
        "split_events over JSON lines (reader only): {:.0} k events/s, {:.0} MB/s",
        1.0 / best / 1e3,
        bytes as f64 / events.len() as f64 / best / 1e6
    );
}
