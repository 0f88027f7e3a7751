//! Correlation on hand-built alert sets: what joins, what must not, windows, system
//! identities, findings, sensor drops and the streaming API.

mod common;

use common::{A, CI, CI_GROUPS, START_NS, audit, runtime};
use palisade_core::{AlertRecord, Severity};
use palisade_correlate::{Correlator, EvidenceKind, Incident, Options, Timestamp, correlate};
use std::time::Duration;

fn run(alerts: &[AlertRecord]) -> Vec<Incident> {
    correlate(common::catalogue(), Options::default(), alerts, &[])
}

fn run_with(options: Options, alerts: &[AlertRecord]) -> Vec<Incident> {
    correlate(common::catalogue(), options, alerts, &[])
}

/// Like [`run`], through the streaming API, with the links not followed because they were
/// ambiguous.
fn run_counting_ambiguous_links(alerts: &[AlertRecord]) -> (Vec<Incident>, u64) {
    let mut c = Correlator::new(common::catalogue(), Options::default());
    for a in alerts {
        c.push_alert(a).expect("valid");
    }
    let mut incidents = c.close_idle(Timestamp(START_NS + 3 * 3600 * 1_000_000_000));
    let ambiguous = c.stats().ambiguous_links;
    incidents.extend(c.finish());
    (incidents, ambiguous)
}

/// The rules of each incident's alerts, sorted; incidents sorted by their first rule.
fn groups(incidents: &[Incident]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = incidents
        .iter()
        .map(|i| {
            let mut v: Vec<String> = i
                .evidence
                .iter()
                .filter(|e| e.kind == EvidenceKind::Alert)
                .map(|e| e.rule_or_check.clone())
                .collect();
            v.sort();
            v
        })
        .collect();
    out.sort();
    out
}

fn g(rules: &[&[&str]]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = rules
        .iter()
        .map(|r| {
            let mut v: Vec<String> = r.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        })
        .collect();
    out.sort();
    out
}

fn ci(secs: f64, rule: &str) -> A {
    audit(secs, rule, CI).groups(CI_GROUPS)
}

#[test]
fn identity_creates_pod_whose_container_is_then_seen_at_runtime() {
    let alerts = vec![
        ci(0.0, "a-create-pod")
            .target("pods", Some("shop"), "miner-x2x4q")
            .pod("shop", "miner-x2x4q")
            .sa("ci")
            .r(),
        runtime(30.0, "b-runtime-in-pod")
            .pod("shop", "miner-x2x4q")
            .cid("0123456789abcdef0123")
            .node("worker-1")
            .r(),
        // Only the container id: the sensor had no Kubernetes metadata for it.
        runtime(60.0, "c-runtime-by-container-id")
            .cid("containerd://0123456789ABCDEF0123")
            .r(),
        // The token of the pod's service account used against the API server.
        ci(90.0, "d-token-used").ns("kube-system").r(),
    ];
    let incidents = run(&alerts);
    assert_eq!(
        groups(&incidents),
        g(&[&[
            "a-create-pod",
            "b-runtime-in-pod",
            "c-runtime-by-container-id",
            "d-token-used"
        ]])
    );
    let i = &incidents[0];
    assert_eq!(i.namespaces, vec!["kube-system", "shop"]);
    assert_eq!(i.identities.len(), 1);
    assert_eq!(i.identities[0].key, "sa:shop/ci");
    assert_eq!(i.identities[0].roles, vec!["actor", "runs-as"]);
    // The bare container id is folded into the pod once the pod is known.
    assert_eq!(i.workloads.len(), 1);
    assert_eq!(i.workloads[0].container_ids, vec!["0123456789ab"]);
}

#[test]
fn runtime_alert_links_to_api_activity_of_the_pods_service_account() {
    let alerts = vec![
        runtime(0.0, "token-read")
            .pod("shop", "web-7d9f8c6b5-x2x4q")
            .sa("web")
            .r(),
        audit(120.0, "secrets-listed", "system:serviceaccount:shop:web").r(),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[&["secrets-listed", "token-read"]])
    );
}

#[test]
fn no_join_across_namespaces_identities_or_clusters() {
    let alerts = vec![
        // Same pod name, different namespaces.
        runtime(0.0, "shell-shop").pod("shop", "api-0").r(),
        runtime(1.0, "shell-payments").pod("payments", "api-0").r(),
        // Same service account name, different namespaces.
        audit(2.0, "exec-shop-ci", "system:serviceaccount:shop:ci").r(),
        audit(3.0, "exec-payments-ci", "system:serviceaccount:payments:ci").r(),
        // Two users in the same namespace, different pods.
        audit(4.0, "alice", "alice")
            .target("pods", Some("dev"), "one")
            .pod("dev", "one")
            .r(),
        audit(5.0, "bob", "bob")
            .target("pods", Some("dev"), "two")
            .pod("dev", "two")
            .r(),
        // The same user in two clusters.
        audit(6.0, "carol-prod", "carol").cluster("prod").r(),
        audit(7.0, "carol-stage", "carol").cluster("stage").r(),
        // The same source IP, different identities: weak evidence only.
        audit(8.0, "dave", "dave").ip("192.0.2.7").r(),
        audit(9.0, "erin", "erin").ip("192.0.2.7").r(),
    ];
    let incidents = run(&alerts);
    assert_eq!(incidents.len(), alerts.len());
    // ... and every incident stays within one namespace.
    for i in &incidents {
        assert!(i.namespaces.len() <= 1, "{:?}", i.namespaces);
    }
}

#[test]
fn one_identity_links_its_namespaces() {
    let alerts = vec![
        audit(0.0, "in-shop", "alice")
            .target("pods", Some("shop"), "a")
            .pod("shop", "a")
            .r(),
        audit(60.0, "in-payments", "alice")
            .target("pods", Some("payments"), "b")
            .pod("payments", "b")
            .r(),
    ];
    let incidents = run(&alerts);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].namespaces, vec!["payments", "shop"]);
}

#[test]
fn inactivity_window_splits_incidents() {
    let alerts = vec![
        audit(0.0, "t0", "alice").r(),
        audit(20.0 * 60.0, "t20", "alice").r(),
        // 35 minutes after the previous alert: a new incident.
        audit(55.0 * 60.0, "t55", "alice").r(),
        audit(80.0 * 60.0, "t80", "alice").r(),
    ];
    assert_eq!(groups(&run(&alerts)), g(&[&["t0", "t20"], &["t55", "t80"]]));
    let wide = Options {
        window: Duration::from_secs(3600),
        ..Options::default()
    };
    assert_eq!(
        groups(&run_with(wide, &alerts)),
        g(&[&["t0", "t20", "t55", "t80"]])
    );
    // Exactly at the window's end still joins; one nanosecond later does not.
    let edge = vec![
        audit(0.0, "x0", "alice").r(),
        audit(1800.0, "x30", "alice").r(),
    ];
    assert_eq!(groups(&run(&edge)), g(&[&["x0", "x30"]]));
    let mut late = edge.clone();
    late[1].time = palisade_core::rfc3339_utc(START_NS + 1_800_001_000_000);
    assert_eq!(run(&late).len(), 2);
}

#[test]
fn max_span_caps_a_continuously_active_incident() {
    let alerts: Vec<AlertRecord> = (0..10)
        .map(|i| audit(f64::from(i) * 600.0, &format!("r{i}"), "alice").r())
        .collect();
    let options = Options {
        max_span: Duration::from_secs(3600),
        ..Options::default()
    };
    let incidents = run_with(options, &alerts);
    assert_eq!(incidents.len(), 2);
    assert_eq!(incidents[0].alert_count, 7); // 0 .. 60 min inclusive
    assert_eq!(incidents[1].alert_count, 3);
}

#[test]
fn system_identities_are_not_join_keys() {
    let alerts = vec![
        audit(0.0, "kubelet-a", "system:node:worker-1")
            .groups(&["system:nodes", "system:authenticated"])
            .target("pods", Some("shop"), "a")
            .pod("shop", "a")
            .r(),
        audit(1.0, "kubelet-b", "system:node:worker-1")
            .groups(&["system:nodes", "system:authenticated"])
            .target("pods", Some("shop"), "b")
            .pod("shop", "b")
            .r(),
        audit(
            2.0,
            "controller-c",
            "system:serviceaccount:kube-system:replicaset-controller",
        )
        .target("pods", Some("shop"), "c")
        .pod("shop", "c")
        .r(),
        audit(
            3.0,
            "controller-d",
            "system:serviceaccount:kube-system:replicaset-controller",
        )
        .target("pods", Some("shop"), "d")
        .pod("shop", "d")
        .r(),
        // ... but the kubelet acting on pod a still joins pod a's incident.
        runtime(4.0, "runtime-a").pod("shop", "a").r(),
    ];
    let incidents = run(&alerts);
    assert_eq!(
        groups(&incidents),
        g(&[
            &["kubelet-a", "runtime-a"],
            &["kubelet-b"],
            &["controller-c"],
            &["controller-d"]
        ])
    );
    assert!(incidents.iter().all(|i| i.identities.is_empty()));
    // A custom list can make the kubelet a join key.
    let options = Options {
        system_users: Vec::new(),
        system_groups: Vec::new(),
        ..Options::default()
    };
    assert_eq!(run_with(options, &alerts[..2]).len(), 1);
}

#[test]
fn runtime_process_users_are_not_identities() {
    let mut a = runtime(0.0, "root-in-a").pod("shop", "a").r();
    a.actor.user = Some("root".into());
    let mut b = runtime(1.0, "root-in-b").pod("shop", "b").r();
    b.actor.user = Some("root".into());
    assert_eq!(run(&[a, b]).len(), 2);
}

#[test]
fn anonymous_requests_join_by_source_ip_only_when_enabled() {
    let alerts = vec![
        audit(0.0, "anon-1", "system:anonymous")
            .ip("198.51.100.23")
            .r(),
        audit(5.0, "anon-2", "system:anonymous")
            .ip("198.51.100.23")
            .r(),
        audit(6.0, "anon-other", "system:anonymous")
            .ip("198.51.100.99")
            .r(),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[&["anon-1", "anon-2"], &["anon-other"]])
    );
    let off = Options {
        join_anonymous_by_source_ip: false,
        ..Options::default()
    };
    assert_eq!(run_with(off, &alerts).len(), 3);
}

#[test]
fn shared_service_accounts_and_replicas_do_not_join_pods() {
    let alerts = vec![
        // Two replicas of one Deployment, same service account: separate incidents.
        runtime(0.0, "replica-1")
            .pod("shop", "web-7d9f8c6b5-x2x4q")
            .sa("web")
            .r(),
        runtime(1.0, "replica-2")
            .pod("shop", "web-7d9f8c6b5-q8zrt")
            .sa("web")
            .r(),
        // Pods running as `default` are never linked through it.
        runtime(2.0, "default-1").pod("shop", "x").sa("default").r(),
        audit(3.0, "default-actor", "system:serviceaccount:shop:default").r(),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[
            &["replica-1"],
            &["replica-2"],
            &["default-1"],
            &["default-actor"]
        ])
    );
}

#[test]
fn ambiguous_weak_links_are_not_followed() {
    let pods = ["a", "b", "c", "d", "e"];
    let mut alerts: Vec<AlertRecord> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            runtime(i as f64, &format!("rt-{p}"))
                .pod("shop", p)
                .sa("web")
                .r()
        })
        .collect();
    alerts.push(audit(10.0, "web-acts", "system:serviceaccount:shop:web").r());
    // Five pods run as shop/web: the actor alert could come from any; it joins none.
    let (incidents, ambiguous) = run_counting_ambiguous_links(&alerts);
    assert_eq!(ambiguous, 1);
    assert_eq!(incidents.len(), 6);
    // With two pods the link is followed and both pods join the actor's incident.
    let two = vec![alerts[0].clone(), alerts[1].clone(), alerts[5].clone()];
    assert_eq!(groups(&run(&two)), g(&[&["rt-a", "rt-b", "web-acts"]]));
}

#[test]
fn cronjob_created_by_identity_joins_the_pods_it_starts() {
    let alerts = vec![
        ci(0.0, "cronjob-created")
            .target("cronjobs", Some("shop"), "log-rotate")
            .r(),
        runtime(600.0, "miner-in-job-pod")
            .pod("shop", "log-rotate-29406250-x7k9q")
            .r(),
        // Another CronJob's pod, and the same name in another namespace: no join.
        runtime(601.0, "other-cronjob")
            .pod("shop", "backup-29406250-x7k9q")
            .r(),
        runtime(602.0, "other-namespace")
            .pod("ops", "log-rotate-29406250-x7k9q")
            .r(),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[
            &["cronjob-created", "miner-in-job-pod"],
            &["other-cronjob"],
            &["other-namespace"]
        ])
    );
}

#[test]
fn host_activity_joins_the_pod_that_escaped_to_that_node() {
    let alerts = vec![
        runtime(0.0, "escape")
            .tech(&["T1611"], &["privilege-escalation"])
            .pod("shop", "p")
            .cid("aaaaaaaaaaaa")
            .node("worker-1")
            .r(),
        runtime(10.0, "host-miner").cid("host").node("worker-1").r(),
        runtime(11.0, "host-other-node")
            .cid("host")
            .node("worker-2")
            .r(),
        // A pod on worker-2 without an escape does not claim its host's activity.
        runtime(12.0, "shell-on-worker-2")
            .pod("shop", "q")
            .node("worker-2")
            .r(),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[
            &["escape", "host-miner"],
            &["host-other-node"],
            &["shell-on-worker-2"]
        ])
    );
}

#[test]
fn host_activity_is_not_a_bridge_between_two_pods_that_escaped_to_it() {
    let escape = |secs: f64, rule: &str, ns: &str, pod: &str| {
        runtime(secs, rule)
            .tech(&["T1611"], &["privilege-escalation"])
            .pod(ns, pod)
            .node("worker-2")
            .r()
    };
    let host = |secs: f64, rule: &str| runtime(secs, rule).cid("host").node("worker-2").r();
    // Host activity first, then escapes from pods of two namespaces: the first escape
    // takes the host activity, the second is ambiguous and stays alone (found by the
    // arrival-order property test in CI).
    let alerts = vec![
        host(0.0, "host-shell"),
        escape(60.0, "escape-shop", "shop", "web-7d9f8c6b5-x2x4q"),
        escape(120.0, "escape-payments", "payments", "api-6c8d9f7b4-q8zrt"),
        // The first pod escaping again still joins through the pod.
        escape(180.0, "escape-shop-again", "shop", "web-7d9f8c6b5-x2x4q"),
    ];
    let (incidents, ambiguous) = run_counting_ambiguous_links(&alerts);
    assert_eq!(ambiguous, 1);
    assert_eq!(
        groups(&incidents),
        g(&[
            &["host-shell", "escape-shop", "escape-shop-again"],
            &["escape-payments"]
        ])
    );
    // Both escapes first: the host activity could be either's and joins neither.
    let alerts = vec![
        escape(0.0, "escape-shop", "shop", "web-7d9f8c6b5-x2x4q"),
        escape(60.0, "escape-payments", "payments", "api-6c8d9f7b4-q8zrt"),
        host(120.0, "host-shell"),
    ];
    assert_eq!(
        groups(&run(&alerts)),
        g(&[&["escape-shop"], &["escape-payments"], &["host-shell"]])
    );
}

#[test]
fn findings_join_incidents_about_their_objects_and_subjects() {
    let ci_subject = ("ServiceAccount", Some("shop"), "ci");
    let mut suppressed = common::object_finding(
        "PAL-K8S-018",
        "Container root filesystem is writable",
        Severity::Low,
        &["T1496.001"],
        "Deployment",
        Some("shop"),
        "web",
        "container `web` does not set readOnlyRootFilesystem",
        "web.yaml",
        9,
    );
    suppressed.suppressed = Some(palisade_core::Suppression {
        by: "annotation".into(),
        reason: "accepted".into(),
        expires: None,
    });
    let findings = vec![
        common::rbac_finding(
            "PAL-RBAC-003",
            "Subject can read Secrets",
            Severity::High,
            &["T1552.007"],
            ci_subject,
            "ClusterRole/ci-deployer",
            "ClusterRoleBinding/ci-deployer",
            "ServiceAccount shop/ci can get/list secrets cluster-wide",
            26,
        ),
        common::object_finding(
            "PAL-K8S-001",
            "Privileged container",
            Severity::Critical,
            &["T1611"],
            "Deployment",
            Some("shop"),
            "web",
            "container `web` runs privileged",
            "web.yaml",
            20,
        ),
        // Same name, other namespace: not about these pods.
        common::object_finding(
            "PAL-K8S-001",
            "Privileged container",
            Severity::Critical,
            &["T1611"],
            "Deployment",
            Some("ops"),
            "web",
            "container `web` runs privileged",
            "ops-web.yaml",
            20,
        ),
        suppressed,
    ];
    let alerts = vec![
        ci(0.0, "secrets").r(),
        runtime(5000.0, "shell-in-web")
            .pod("shop", "web-7d9f8c6b5-x2x4q")
            .r(),
    ];
    let incidents = correlate(common::catalogue(), Options::default(), &alerts, &findings);
    assert_eq!(incidents.len(), 2);
    let checks = |i: &Incident| -> Vec<(String, String)> {
        i.evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Finding)
            .map(|e| (e.rule_or_check.clone(), e.source_ref.clone()))
            .collect()
    };
    assert_eq!(
        checks(&incidents[0]),
        vec![(
            "PAL-RBAC-003".to_string(),
            "examples/kubernetes/rbac.yaml:26".to_string()
        )]
    );
    assert_eq!(
        checks(&incidents[1]),
        vec![("PAL-K8S-001".to_string(), "web.yaml:20".to_string())]
    );
    assert_eq!(incidents[1].finding_count, 1);
    assert!(
        incidents[1]
            .explanation
            .contains("Deployment shop/web: Privileged container (PAL-K8S-001)"),
        "{}",
        incidents[1].explanation
    );
}

#[test]
fn sensor_drops_lower_confidence_of_overlapping_incidents_on_that_node() {
    let alerts = vec![
        runtime(0.0, "shell-w1")
            .pod("shop", "a")
            .node("worker-1")
            .r(),
        runtime(0.0, "shell-w2")
            .pod("shop", "b")
            .node("worker-2")
            .r(),
        runtime(30.0, "Falco internal: syscall event drop")
            .node("worker-1")
            .field("n_drops", "250")
            .r(),
        runtime(31.0, "Falco internal: syscall event drop")
            .node("worker-1")
            .field("n_drops", "50")
            .r(),
        // Long after: no overlap.
        runtime(7200.0, "shell-later")
            .pod("shop", "c")
            .node("worker-1")
            .r(),
    ];
    let incidents = run(&alerts);
    assert_eq!(incidents.len(), 3, "drop reports open no incident");
    let by_rule = |rule: &str| {
        incidents
            .iter()
            .find(|i| i.evidence.iter().any(|e| e.rule_or_check == rule))
            .expect("incident")
    };
    let w1 = by_rule("shell-w1");
    assert!((w1.confidence - 0.7).abs() < 1e-9, "{}", w1.confidence);
    assert_eq!(w1.sensor_drops.len(), 2);
    assert!(
        w1.explanation
            .contains("(2 reports, 300 events, node worker-1)")
    );
    assert!((by_rule("shell-w2").confidence - 1.0).abs() < 1e-9);
    assert!((by_rule("shell-later").confidence - 1.0).abs() < 1e-9);
    assert!(w1.score.total < by_rule("shell-w2").score.total);
}

#[test]
fn duplicates_are_counted_once_and_bad_times_rejected() {
    let a = ci(0.0, "dup").id("x").r();
    let mut bad = a.clone();
    bad.time = "yesterday".into();
    let mut c = Correlator::new(common::catalogue(), Options::default());
    assert!(c.push_alert(&a).is_ok());
    assert!(c.push_alert(&a).is_ok());
    let err = c.push_alert(&bad).expect_err("rejected");
    assert!(err.to_string().contains("yesterday"));
    let incidents = c.finish();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].alert_count, 1);
    assert_eq!(incidents[0].duplicate_alerts, 1);
}

#[test]
fn evidence_keeps_the_first_and_last_alerts() {
    let alerts: Vec<AlertRecord> = (0..100)
        .map(|i| {
            runtime(f64::from(i), &format!("r{i:03}"))
                .pod("shop", "a")
                .r()
        })
        .collect();
    let options = Options {
        max_evidence: 10,
        ..Options::default()
    };
    let incidents = run_with(options, &alerts);
    assert_eq!(incidents.len(), 1);
    let rules: Vec<&str> = incidents[0]
        .evidence
        .iter()
        .map(|e| e.rule_or_check.as_str())
        .collect();
    assert_eq!(
        rules,
        vec![
            "r000", "r001", "r002", "r003", "r004", "r095", "r096", "r097", "r098", "r099"
        ]
    );
    assert_eq!(incidents[0].evidence_omitted, 90);
    assert_eq!(incidents[0].alert_count, 100);
}

#[test]
fn a_techniques_priority_counts_alerts_the_evidence_leaves_out() {
    // 30 alerts on one pod; the only critical one, in the middle, is not listed.
    let alerts: Vec<AlertRecord> = (0..30)
        .map(|i| {
            runtime(f64::from(i), &format!("r{i:03}"))
                .tech(&["T1611"], &["privilege-escalation"])
                .priority(if i == 15 { "critical" } else { "notice" })
                .pod("shop", "a")
                .r()
        })
        .collect();
    let options = Options {
        max_evidence: 10,
        ..Options::default()
    };
    let incidents = run_with(options, &alerts);
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert!(!i.evidence.iter().any(|e| e.severity == "critical"));
    assert_eq!(i.techniques.len(), 1);
    assert_eq!(i.techniques[0].max_priority, "critical");
    assert_eq!(i.score.max_priority, "critical");
}

#[test]
fn streaming_with_close_idle_matches_the_batch_result() {
    let alerts = common::shop_attack();
    let findings = common::shop_findings();
    let batch = correlate(common::catalogue(), Options::default(), &alerts, &findings);

    let mut sorted = alerts.clone();
    sorted.sort_by(|a, b| a.time.cmp(&b.time));
    let mut c = Correlator::new(common::catalogue(), Options::default());
    for f in &findings {
        c.push_finding(f);
    }
    let mut streamed = Vec::new();
    for a in &sorted {
        c.push_alert(a).expect("valid");
        let now = Timestamp::parse_rfc3339(&a.time).expect("time");
        streamed.extend(c.close_idle(now));
    }
    // An hour later every incident is idle.
    let later = Timestamp(START_NS + 2 * 3600 * 1_000_000_000);
    let closed = c.close_idle(later);
    assert!(!closed.is_empty());
    streamed.extend(closed);
    assert_eq!(c.stats().open_incidents, 0);
    assert_eq!(c.stats().buffered_alerts, 0);
    streamed.extend(c.finish());
    streamed.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.id.cmp(&b.id)));
    assert_eq!(streamed, batch);
}

#[test]
fn late_alerts_are_still_used_and_counted() {
    let options = Options {
        reorder_slack: Duration::from_secs(10),
        ..Options::default()
    };
    let mut c = Correlator::new(common::catalogue(), options);
    c.push_alert(&audit(0.0, "first", "alice").r()).expect("ok");
    c.push_alert(&audit(100.0, "second", "alice").r())
        .expect("ok");
    c.push_alert(&audit(200.0, "third", "alice").r())
        .expect("ok");
    // "second" (100 s) has been processed already: an alert at 40 s is out of order
    // by more than the 10 s slack. It is late, but still joins its incident.
    c.push_alert(&audit(40.0, "late", "alice").r()).expect("ok");
    assert_eq!(c.stats().late_alerts, 1);
    let incidents = c.finish();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].late_alerts, 1);
    assert_eq!(incidents[0].alert_count, 4);
}

#[test]
fn incident_ids_are_stable_and_distinct() {
    let a = run(&common::shop_attack());
    let b = run(&common::shop_attack());
    assert_eq!(a, b);
    let mut ids: Vec<&str> = a.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), a.len());
    assert!(
        a.iter()
            .all(|i| i.id.starts_with("inc-") && i.id.len() == 20)
    );
}
