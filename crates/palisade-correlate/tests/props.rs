//! Property tests: the order of arrival does not change the incidents, joins respect
//! namespaces and identities, and no input makes the correlator panic.

mod common;

use common::{START_NS, audit, runtime};
use palisade_core::{AlertRecord, Finding, Location, ObjectRef, Severity, Subject, rfc3339_utc};
use palisade_correlate::{Correlator, Incident, Options, Timestamp, correlate};
use proptest::prelude::*;
use std::time::Duration;

const NAMESPACES: &[&str] = &["shop", "payments"];
const PODS: &[&str] = &[
    "web-7d9f8c6b5-x2x4q",
    "web-7d9f8c6b5-q8zrt",
    "db-0",
    "log-rotate-29406250-x7k9q",
    "api",
];
const USERS: &[&str] = &[
    "system:serviceaccount:shop:ci",
    "system:serviceaccount:payments:api",
    "alice",
    "system:anonymous",
    "system:node:worker-1",
];
const SAS: &[&str] = &["ci", "api", "default", "web"];
const IPS: &[&str] = &["203.0.113.50", "198.51.100.23"];
const NODES: &[&str] = &["worker-1", "worker-2"];
const TECHNIQUES: &[&str] = &[
    "T1611",
    "T1609",
    "T1610",
    "T1552.007",
    "T1496.001",
    "T1613",
    "T1059.004",
    "T1053.007",
];
const TARGETS: &[(&str, &str)] = &[
    ("cronjobs", "log-rotate"),
    ("deployments", "web"),
    ("secrets", "storefront"),
    ("pods", "db-0"),
];
const PRIORITIES: &[&str] = &["critical", "warning", "notice", "informational"];

/// A container id tied to its pod, as in real clusters.
fn cid_of(ns: &str, pod: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ns.bytes().chain([b'/']).chain(pod.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

#[derive(Debug, Clone)]
struct Spec {
    secs: u32,
    kind: u8,
    cluster: bool,
    ns: usize,
    pod: Option<usize>,
    user: usize,
    ip: usize,
    sa: Option<usize>,
    node: Option<usize>,
    with_cid: bool,
    target: Option<usize>,
    techniques: Vec<usize>,
    priority: usize,
    id: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            0u32..4 * 3600,
            0u8..10,
            any::<bool>(),
            0..NAMESPACES.len(),
            proptest::option::of(0..PODS.len()),
            0..USERS.len(),
            0..IPS.len(),
        ),
        (
            proptest::option::of(0..SAS.len()),
            proptest::option::of(0..NODES.len()),
            any::<bool>(),
            proptest::option::of(0..TARGETS.len()),
            proptest::collection::vec(0..TECHNIQUES.len(), 0..3),
            0..PRIORITIES.len(),
            0u8..4,
        ),
    )
        .prop_map(
            |(
                (secs, kind, cluster, ns, pod, user, ip),
                (sa, node, with_cid, target, techniques, priority, id),
            )| Spec {
                secs,
                kind,
                cluster,
                ns,
                pod,
                user,
                ip,
                sa,
                node,
                with_cid,
                target,
                techniques,
                priority,
                id,
            },
        )
}

fn build(s: &Spec) -> AlertRecord {
    let secs = f64::from(s.secs);
    let ns = NAMESPACES[s.ns];
    let techniques: Vec<&str> = s.techniques.iter().map(|&i| TECHNIQUES[i]).collect();
    let mut a = match s.kind {
        // Audit alerts (most common).
        0..=4 => {
            let mut a = audit(secs, &format!("audit-{}", s.id), USERS[s.user]).ip(IPS[s.ip]);
            if let Some((resource, name)) = s.target.map(|t| TARGETS[t]) {
                a = a.target(resource, Some(ns), name);
                if resource == "pods" {
                    a = a.pod(ns, name);
                }
            }
            if let (Some(p), Some(sa)) = (s.pod, s.sa) {
                a = a
                    .target("pods", Some(ns), PODS[p])
                    .pod(ns, PODS[p])
                    .sa(SAS[sa]);
            }
            a
        }
        // Runtime alerts in a pod, by container id only, or on the host.
        5..=7 => {
            let mut a = runtime(secs, &format!("runtime-{}", s.id));
            if let Some(p) = s.pod {
                if s.kind == 6 && s.with_cid {
                    a = a.cid(&cid_of(ns, PODS[p]));
                } else {
                    a = a.pod(ns, PODS[p]);
                    if s.with_cid {
                        a = a.cid(&cid_of(ns, PODS[p]));
                    }
                }
            } else {
                a = a.cid("host");
            }
            if let Some(sa) = s.sa {
                a = a.sa(SAS[sa]);
            }
            if let Some(n) = s.node {
                a = a.node(NODES[n]);
            }
            a
        }
        // Sensor drop reports.
        8 => {
            let mut a = runtime(secs, "Falco internal: syscall event drop")
                .field("n_drops", &format!("{}", s.id));
            if let Some(n) = s.node {
                a = a.node(NODES[n]);
            }
            a
        }
        // Alerts with nothing to join on.
        _ => runtime(secs, &format!("bare-{}", s.id)),
    };
    a = a
        .tech(&techniques, &["execution", "privilege-escalation"])
        .priority(PRIORITIES[s.priority]);
    if s.cluster {
        a = a.cluster("prod");
    }
    a.r()
}

fn options() -> Options {
    Options {
        window: Duration::from_secs(20 * 60),
        max_span: Duration::from_secs(2 * 3600),
        max_evidence: 6,
        ..Options::default()
    }
}

fn batch(alerts: &[AlertRecord], findings: &[Finding]) -> Vec<Incident> {
    correlate(common::catalogue(), options(), alerts, findings)
}

fn findings() -> Vec<Finding> {
    let mut v = common::shop_findings();
    v.push(common::object_finding(
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
    ));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any permutation of the same alerts (and findings) gives identical incidents.
    #[test]
    fn arrival_order_does_not_change_incidents(
        (alerts, shuffled) in proptest::collection::vec(spec(), 0..60)
            .prop_map(|specs| specs.iter().map(build).collect::<Vec<_>>())
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        reversed_findings in any::<bool>(),
    ) {
        let f = findings();
        let mut f2 = f.clone();
        if reversed_findings {
            f2.reverse();
        }
        let a = batch(&alerts, &f);
        let b = batch(&shuffled, &f2);
        prop_assert_eq!(&a, &b);
        let ja = serde_json::to_string(&a).expect("json");
        let jb = serde_json::to_string(&b).expect("json");
        prop_assert_eq!(ja, jb);

        // Every alert is in exactly one incident; drop reports in none.
        let drops = alerts.iter().filter(|a| a.rule.contains("event drop")).count();
        let counted: usize = a.iter().map(|i| i.alert_count + i.duplicate_alerts).sum();
        prop_assert_eq!(counted, alerts.len() - drops);
        for i in &a {
            // Two namespaces only through an identity that acted in both.
            if i.namespaces.len() > 1 {
                prop_assert!(
                    i.identities.iter().any(|id| id.roles.iter().any(|r| r == "actor")),
                    "{:?}", i
                );
            }
            // Kill-chain order: matrix positions never decrease.
            let pos = |s: &str| common::catalogue().tactics.iter().position(|t| t.shortname == s);
            let firsts: Vec<Option<usize>> = i.techniques.iter()
                .map(|t| t.tactic_shortnames.first().and_then(|s| pos(s)))
                .collect();
            prop_assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "{:?}", firsts);
            prop_assert!((0.0..=100.0).contains(&i.score.total));
            prop_assert!((0.5..=1.0).contains(&i.confidence));
            prop_assert!(i.evidence.iter().filter(|e| e.time.is_some()).count() <= 6);
        }
    }

    /// Streaming with bounded disorder (each alert at most `reorder_slack` late) and
    /// `close_idle` calls at arbitrary points gives the batch result.
    #[test]
    fn streaming_with_bounded_disorder_matches_batch(
        specs in proptest::collection::vec((spec(), 0u32..119_000, any::<bool>()), 0..60),
    ) {
        let alerts: Vec<AlertRecord> = specs.iter().map(|(s, _, _)| build(s)).collect();
        let expected = batch(&alerts, &findings());

        let mut arrival: Vec<(i64, usize)> = specs
            .iter()
            .enumerate()
            .map(|(i, (s, jitter_ms, _))| {
                (i64::from(s.secs) * 1000 + i64::from(*jitter_ms), i)
            })
            .collect();
        arrival.sort();
        let opts = Options { reorder_slack: Duration::from_secs(120), ..options() };
        let mut c = Correlator::new(common::catalogue(), opts);
        for f in findings() {
            c.push_finding(&f);
        }
        let mut got = Vec::new();
        let mut newest = i64::MIN;
        for (_, i) in arrival {
            c.push_alert(&alerts[i]).expect("valid");
            newest = newest.max(START_NS + i64::from(specs[i].0.secs) * 1_000_000_000);
            if specs[i].2 {
                got.extend(c.close_idle(Timestamp(newest)));
            }
        }
        prop_assert_eq!(c.stats().late_alerts, 0);
        got.extend(c.finish());
        got.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.id.cmp(&b.id)));
        prop_assert_eq!(got, expected);
    }

    /// Assembling closed incidents on the worker thread gives exactly what assembling
    /// them inline gives, also when findings arrive while incidents are in flight.
    #[test]
    fn background_assembly_matches_inline(
        specs in proptest::collection::vec((spec(), any::<bool>(), any::<bool>()), 0..60),
    ) {
        let alerts: Vec<AlertRecord> = specs.iter().map(|(s, _, _)| build(s)).collect();
        let mut order: Vec<usize> = (0..alerts.len()).collect();
        order.sort_by_key(|&i| specs[i].0.secs);
        let run = |background_assembly: bool| {
            let opts = Options { background_assembly, ..options() };
            let mut c = Correlator::new(common::catalogue(), opts);
            let mut pending_findings = findings().into_iter();
            let mut got = Vec::new();
            for &i in &order {
                c.push_alert(&alerts[i]).expect("valid");
                if specs[i].1 {
                    let now = START_NS + i64::from(specs[i].0.secs) * 1_000_000_000;
                    got.extend(c.close_idle(Timestamp(now)));
                }
                if specs[i].2 && let Some(f) = pending_findings.next() {
                    c.push_finding(&f);
                }
            }
            got.extend(c.finish());
            got
        };
        let inline = run(false);
        let background = run(true);
        prop_assert_eq!(inline, background);
    }

    /// Arbitrary strings everywhere: no panic, and the result serialises.
    #[test]
    fn no_panic_on_arbitrary_input(
        raw in proptest::collection::vec(
            (
                prop_oneof![
                    "\\PC{0,40}",
                    (-100_000i64..100_000).prop_map(|s| rfc3339_utc(START_NS + s * 1_000_000_000)),
                    Just("9999-12-31T23:59:59.999999999Z".to_string()),
                    Just("0000-01-01T00:00:00Z".to_string()),
                ],
                proptest::collection::vec(proptest::option::of("\\PC{0,12}|<NA>|host|system:serviceaccount:\\PC{0,5}:\\PC{0,5}"), 12),
                proptest::collection::vec("\\PC{0,12}", 0..4),
            ),
            0..30,
        ),
        finding_bits in proptest::collection::vec(
            proptest::collection::vec(proptest::option::of("\\PC{0,10}"), 5),
            0..10,
        ),
        close_at in proptest::collection::vec(-200_000i64..200_000, 0..4),
    ) {
        let alerts: Vec<AlertRecord> = raw
            .iter()
            .map(|(time, s, list)| {
                let o = |i: usize| s[i].clone();
                let mut a = audit(0.0, "x", "y").r();
                a.time = time.clone();
                a.rule = o(0).unwrap_or_default();
                a.source = o(1).unwrap_or_default();
                a.priority = o(2).unwrap_or_default();
                a.event_id = o(3);
                a.workload.cluster = o(4);
                a.workload.namespace = o(5);
                a.workload.pod = o(6);
                a.workload.service_account = o(7);
                a.workload.container_id = o(8);
                a.workload.node = o(9);
                a.actor.user = o(10);
                if let Some(r) = o(11) {
                    a.fields.insert("ka.target.resource".into(), r);
                    a.fields.insert("ka.target.name".into(), list.first().cloned().unwrap_or_default());
                    a.fields.insert("n_drops".into(), list.last().cloned().unwrap_or_default());
                }
                a.techniques = list.clone();
                a.tactics = list.clone();
                a.actor.groups = list.clone();
                a.actor.source_ips = list.clone();
                a
            })
            .collect();
        let findings: Vec<Finding> = finding_bits
            .iter()
            .map(|b| Finding {
                check: "PAL-X".into(),
                title: b[0].clone().unwrap_or_default(),
                severity: Severity::High,
                techniques: vec![b[1].clone().unwrap_or_default()],
                tactics: Vec::new(),
                message: b[2].clone().unwrap_or_default(),
                remediation: String::new(),
                location: Location { path: "f".into(), line: 1, column: 1, pointer: String::new() },
                object: Some(ObjectRef {
                    api_version: "v1".into(),
                    kind: b[3].clone().unwrap_or_default(),
                    namespace: b[4].clone(),
                    name: b[0].clone(),
                    document: 0,
                }),
                subject: b[1].clone().map(|n| Subject {
                    kind: "ServiceAccount".into(),
                    name: n,
                    namespace: b[2].clone(),
                    role: String::new(),
                    binding: String::new(),
                }),
                suppressed: None,
            })
            .collect();
        let out = correlate(common::catalogue(), Options::default(), &alerts, &findings);
        serde_json::to_string(&out).expect("json");
        let mut c = Correlator::new(common::catalogue(), Options { max_evidence: 0, ..Options::default() });
        for f in &findings {
            c.push_finding(f);
        }
        for (i, a) in alerts.iter().enumerate() {
            let _ = c.push_alert(a);
            if let Some(t) = close_at.get(i) {
                let _ = c.close_idle(Timestamp(START_NS + t * 1_000_000_000));
            }
        }
        let _ = c.close_idle(Timestamp(i64::MAX));
        let _ = c.close_idle(Timestamp(i64::MIN));
        serde_json::to_string(&c.finish()).expect("json");
    }
}

/// Alerts packed into half an hour, so that incidents hold many alerts (aggregated in
/// several batches, merged while some are still queued).
fn dense(specs: &[Spec]) -> Vec<AlertRecord> {
    specs
        .iter()
        .map(|s| {
            build(&Spec {
                secs: s.secs % 1800,
                ..s.clone()
            })
        })
        .collect()
}

/// Everything but the alert evidence.
fn without_alert_evidence(mut incidents: Vec<Incident>) -> Vec<Incident> {
    for i in &mut incidents {
        i.evidence.retain(|e| e.time.is_none());
        i.evidence_omitted = 0;
    }
    incidents
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    /// Large incidents: any arrival order gives the same incidents.
    #[test]
    fn dense_incidents_do_not_depend_on_arrival_order(
        (alerts, shuffled) in proptest::collection::vec(spec(), 0..160)
            .prop_map(|specs| dense(&specs))
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let a = batch(&alerts, &findings());
        let b = batch(&shuffled, &findings());
        prop_assert_eq!(&a, &b);
        let counted: usize = a.iter().map(|i| i.alert_count + i.duplicate_alerts).sum();
        let drops = alerts.iter().filter(|a| a.rule.contains("event drop")).count();
        prop_assert_eq!(counted, alerts.len() - drops);
    }

    /// How many alerts are kept as evidence changes the evidence and nothing else:
    /// techniques, entities, counts, score and text cover every alert either way.
    #[test]
    fn the_evidence_cap_changes_only_the_evidence(
        specs in proptest::collection::vec(spec(), 0..160),
    ) {
        let alerts = dense(&specs);
        let run = |max_evidence: usize| {
            let options = Options { max_evidence, ..options() };
            correlate(common::catalogue(), options, &alerts, &findings())
        };
        let (small, large) = (run(2), run(1000));
        for i in &large {
            prop_assert_eq!(i.evidence_omitted, 0);
        }
        for i in &small {
            let listed = i.evidence.iter().filter(|e| e.time.is_some()).count();
            prop_assert_eq!(listed, i.alert_count.min(2));
            prop_assert_eq!(listed + i.evidence_omitted, i.alert_count);
        }
        prop_assert_eq!(without_alert_evidence(small), without_alert_evidence(large));
    }
}

/// Hundreds of incidents closing at once (the worker receives them in batches, returns
/// them out of order): the same incidents, in the same order, as inline.
#[test]
fn many_incidents_assembled_in_the_background_match_inline() {
    let alerts: Vec<AlertRecord> = (0..3000u32)
        .map(|i| {
            let pod = format!("app-{}-x{:04}", i % 7, i % 900);
            let mut a = runtime(f64::from(i) * 2.0, &format!("runtime-{i}"))
                .pod(NAMESPACES[(i % 2) as usize], &pod)
                .node(NODES[(i % 3 % 2) as usize])
                .tech(&[TECHNIQUES[(i % 8) as usize]], &["execution"])
                .priority(PRIORITIES[(i % 4) as usize]);
            if i % 97 == 0 {
                a = runtime(f64::from(i) * 2.0, "Falco internal: syscall event drop")
                    .node(NODES[0])
                    .field("n_drops", "12");
            }
            a.r()
        })
        .collect();
    let run = |background_assembly: bool| {
        let opts = Options {
            background_assembly,
            window: Duration::from_secs(60),
            ..options()
        };
        let mut c = Correlator::new(common::catalogue(), opts);
        for f in findings() {
            c.push_finding(&f);
        }
        let mut got = Vec::new();
        for (i, a) in alerts.iter().enumerate() {
            c.push_alert(a).expect("valid");
            if i % 700 == 699 {
                got.extend(c.close_idle(Timestamp(START_NS + i as i64 * 2_000_000_000)));
            }
        }
        got.extend(c.finish());
        got
    };
    let inline = run(false);
    assert!(inline.len() > 500, "{} incidents", inline.len());
    assert!(inline.iter().any(|i| i.confidence < 1.0));
    assert_eq!(inline, run(true));
}
