//! Round trips of findings, alerts and runs, and every query filter.

mod common;

use common::*;
use palisade_core::{AlertRecord, Severity};
use palisade_store::{
    AlertQuery, FindingQuery, NewRun, RunKind, Store, StoreError, parse_rfc3339_ns,
};
use rusqlite::Connection;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("palisade.db")).unwrap();
    (dir, store)
}

#[test]
fn alerts_round_trip_every_field_and_fill_the_columns() {
    let (dir, mut store) = open();
    let run = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
    let mut bare = alert("bare", T0, "T1609", None);
    bare.priority = "made-up".into(); // unknown priorities are kept, just not ranked
    let ids = store
        .insert_alerts(run, &[full_alert(), bare.clone()])
        .unwrap();
    assert_eq!(ids.len(), 2);

    let all = store.query_alerts(&AlertQuery::default()).unwrap();
    assert_eq!(all, vec![bare.clone(), full_alert()], "oldest first");
    let stored = store.get_alerts(&[ids[0], ids[1]]).unwrap();
    assert_eq!(stored[0].alert, full_alert());
    assert_eq!(stored[0].run, run);
    assert_eq!(
        stored[0].time_ns,
        parse_rfc3339_ns("2026-11-26T10:00:00.123Z").unwrap()
    );
    assert_eq!(stored[1].alert, bare);

    // The indexed columns hold what the record says.
    let conn = Connection::open(dir.path().join("palisade.db")).unwrap();
    let row: Vec<Option<String>> = conn
        .query_row(
            "SELECT time, rule, priority, CAST(priority_rank AS TEXT), source, techniques, tactics,
                    cluster, namespace, pod, container, image, service_account, node, container_id,
                    actor_user, source_ips, event_id, output, CAST(run_id AS TEXT)
             FROM alerts WHERE id = ?1",
            [ids[0].0],
            |r| (0..20).map(|i| r.get(i)).collect(),
        )
        .unwrap();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        row,
        vec![
            s("2026-11-26T10:00:00.123Z"),
            s("Pod Created With Host Path Mount"),
            s("warning"),
            s("3"),
            s("k8s_audit"),
            s(r#"["T1611","T1053.007"]"#),
            s(r#"["execution","privilege-escalation"]"#),
            s("prod-eu"),
            s("shop"),
            s("web-7d4b9"),
            s("app"),
            s("registry.example/shop/web:1.2.3"),
            s("default"),
            s("node-3"),
            s("0123456789ab"),
            s("system:serviceaccount:shop:ci"),
            s(r#"["10.0.0.7","fd00::7"]"#),
            s("5b0c5f8e-1111-2222-3333-444455556666"),
            s("pod shop/web-7d4b9 mounts / from the host (user=ci)"),
            s(&run.0.to_string()),
        ]
    );
    let techniques: Vec<String> = conn
        .prepare("SELECT technique FROM alert_techniques WHERE alert_id = ?1 ORDER BY technique")
        .unwrap()
        .query_map([ids[0].0], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(techniques, ["T1053.007", "T1611"]);
    let bare_rank: Option<i64> = conn
        .query_row(
            "SELECT priority_rank FROM alerts WHERE id = ?1",
            [ids[1].0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bare_rank, None);
}

#[test]
fn findings_round_trip_every_field_and_fill_the_columns() {
    let (dir, mut store) = open();
    let run = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
    let plain = finding("PAL-K8S-001", Severity::High, "T1611", None, "x.yaml");
    let ids = store
        .insert_findings_at(run, T0, &[full_finding(), plain.clone()])
        .unwrap();
    let all = store
        .query_findings_with_ids(&FindingQuery {
            include_suppressed: true,
            ..FindingQuery::default()
        })
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].finding, full_finding());
    assert_eq!(
        (all[0].id, all[0].run, all[0].observed_ns),
        (ids[0], run, T0)
    );
    assert_eq!(all[1].finding, plain);
    assert_eq!(store.get_findings(&[ids[1]]).unwrap()[0].finding, plain);

    let conn = Connection::open(dir.path().join("palisade.db")).unwrap();
    let row: Vec<Option<String>> = conn
        .query_row(
            "SELECT check_id, severity, CAST(severity_rank AS TEXT), techniques, tactics, path,
                    CAST(line AS TEXT), CAST(col AS TEXT), pointer, object_api_version,
                    object_kind, object_namespace, object_name, subject, message,
                    CAST(suppressed AS TEXT)
             FROM findings WHERE id = ?1",
            [ids[0].0],
            |r| (0..16).map(|i| r.get(i)).collect(),
        )
        .unwrap();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        row,
        vec![
            s("PAL-RBAC-001"),
            s("critical"),
            s("4"),
            s(r#"["T1610","T1078.001"]"#),
            s(r#"["execution","persistence"]"#),
            s("k8s/rbac/ci.yaml"),
            s("12"),
            s("3"),
            s("/subjects/0"),
            s("rbac.authorization.k8s.io/v1"),
            s("ClusterRoleBinding"),
            s("shop"),
            s("ci-admin"),
            s("ServiceAccount shop/ci"),
            s("ServiceAccount shop/ci can create pods in kube-system"),
            s("1"),
        ]
    );
    let (kind, ns, subject, suppressed): (Option<String>, Option<String>, Option<String>, i64) =
        conn.query_row(
            "SELECT object_kind, object_namespace, subject, suppressed FROM findings WHERE id = ?1",
            [ids[1].0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((kind, ns, subject, suppressed), (None, None, None, 0));
}

#[test]
fn runs_round_trip() {
    let (_dir, mut store) = open();
    let mut new = NewRun::new(RunKind::Watch);
    new.started_ns = T0;
    new.attack_version = Some("18.1".into());
    new.args = vec!["watch".into(), "--store".into(), "p.db".into()];
    let id = store.begin_run(&new).unwrap();
    let run = store.get_run(id).unwrap().unwrap();
    assert_eq!(run.kind, RunKind::Watch);
    assert_eq!(run.started_ns, T0);
    assert_eq!(run.finished_ns, None);
    assert_eq!(run.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(run.attack_version.as_deref(), Some("18.1"));
    assert_eq!(run.args, new.args);
    store.finish_run_at(id, T0 + HOUR).unwrap();
    let run = store.get_run(id).unwrap().unwrap();
    assert_eq!(run.finished_ns, Some(T0 + HOUR));
    assert!(run.last_activity_ns >= T0 + HOUR);

    let scan = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
    assert_eq!(store.latest_run(None).unwrap().unwrap().id, scan);
    assert_eq!(
        store.latest_run(Some(RunKind::Watch)).unwrap().unwrap().id,
        id
    );
    assert_eq!(store.latest_run(Some(RunKind::Detect)).unwrap(), None);
    assert_eq!(store.get_run(palisade_store::RunId(999)).unwrap(), None);
}

#[test]
fn writes_to_an_unknown_run_or_with_a_bad_time_write_nothing() {
    let (_dir, mut store) = open();
    let ghost = palisade_store::RunId(42);
    let err = store
        .insert_alerts(ghost, &[alert("r", T0, "T1611", None)])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownRun(r) if r == ghost),
        "{err}"
    );
    assert!(matches!(
        store.insert_findings(ghost, &[full_finding()]),
        Err(StoreError::UnknownRun(_))
    ));
    assert!(matches!(
        store.finish_run(ghost),
        Err(StoreError::UnknownRun(_))
    ));

    let run = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
    let mut bad = alert("bad", T0, "T1611", None);
    bad.time = "yesterday".into();
    let err = store
        .insert_alerts(run, &[alert("good", T0, "T1611", None), bad])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidAlert { index: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("yesterday"));
    assert_eq!(store.stats().unwrap().alerts, 0);
    assert_eq!(store.insert_alerts(run, &[]).unwrap(), vec![]);
}

fn rules(alerts: Vec<AlertRecord>) -> Vec<String> {
    alerts.into_iter().map(|a| a.rule).collect()
}

#[test]
fn alert_queries_by_each_filter() {
    let (_dir, mut store) = open();
    let r1 = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
    let r2 = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    let mut a = alert("a", T0, "T1053", Some("shop"));
    a.priority = "debug".into();
    let mut b = alert("b", T0 + SEC, "T1053.007", Some("shop"));
    b.priority = "warning".into();
    b.tactics = vec!["persistence".into()];
    let mut c = alert("c", T0 + 2 * SEC, "T1053.003", Some("pay"));
    c.priority = "critical".into();
    c.source = "k8s_audit".into();
    let d = alert("d", T0 + 3 * SEC, "T1610", None);
    let mut e = alert("e", T0 + 4 * SEC, "t1611", Some("shop")); // lower-case id as input
    e.priority = "emergency".into();
    store.insert_alerts(r1, &[a, b, c]).unwrap();
    store.insert_alerts(r2, &[d, e]).unwrap();

    let q = |query: AlertQuery| rules(store.query_alerts(&query).unwrap());
    assert_eq!(q(AlertQuery::default()), ["a", "b", "c", "d", "e"]);
    // Time window: since inclusive, until exclusive.
    assert_eq!(
        q(AlertQuery {
            since_ns: Some(T0 + SEC),
            until_ns: Some(T0 + 3 * SEC),
            ..AlertQuery::default()
        }),
        ["b", "c"]
    );
    // A parent technique matches itself and its sub-techniques; a sub-technique only itself.
    let tech = |t: &str| AlertQuery {
        technique: Some(t.into()),
        ..AlertQuery::default()
    };
    assert_eq!(q(tech("T1053")), ["a", "b", "c"]);
    assert_eq!(q(tech("t1053")), ["a", "b", "c"]);
    assert_eq!(q(tech("T1053.007")), ["b"]);
    assert_eq!(q(tech("T1053.00")), Vec::<String>::new());
    assert_eq!(q(tech("T105")), Vec::<String>::new());
    assert_eq!(q(tech("T1611")), ["e"]);
    assert!(matches!(
        store.query_alerts(&tech(" ")),
        Err(StoreError::InvalidQuery(_))
    ));
    assert_eq!(
        q(AlertQuery {
            tactic: Some("persistence".into()),
            ..AlertQuery::default()
        }),
        ["b"]
    );
    assert_eq!(
        q(AlertQuery {
            namespace: Some("shop".into()),
            ..AlertQuery::default()
        }),
        ["a", "b", "e"]
    );
    assert_eq!(
        q(AlertQuery {
            rule: Some("c".into()),
            ..AlertQuery::default()
        }),
        ["c"]
    );
    assert_eq!(
        q(AlertQuery {
            min_priority: Some("warning".into()),
            ..AlertQuery::default()
        }),
        ["b", "c", "e"]
    );
    assert!(matches!(
        store.query_alerts(&AlertQuery {
            min_priority: Some("loud".into()),
            ..AlertQuery::default()
        }),
        Err(StoreError::InvalidQuery(_))
    ));
    assert_eq!(
        q(AlertQuery {
            source: Some("k8s_audit".into()),
            ..AlertQuery::default()
        }),
        ["c"]
    );
    assert_eq!(
        q(AlertQuery {
            run: Some(r2),
            ..AlertQuery::default()
        }),
        ["d", "e"]
    );
    assert_eq!(
        q(AlertQuery {
            limit: Some(2),
            ..AlertQuery::default()
        }),
        ["a", "b"]
    );
    assert_eq!(
        q(AlertQuery {
            limit: Some(2),
            newest_first: true,
            ..AlertQuery::default()
        }),
        ["e", "d"]
    );
    // Filters combine: `palisade alerts --since 1h --technique T1053 --namespace shop`.
    assert_eq!(
        q(AlertQuery {
            since_ns: Some(T0 + SEC),
            technique: Some("T1053".into()),
            namespace: Some("shop".into()),
            ..AlertQuery::default()
        }),
        ["b"]
    );
}

#[test]
fn finding_queries_by_each_filter() {
    let (_dir, mut store) = open();
    let r1 = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
    let r2 = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
    let mut suppressed = finding(
        "PAL-K8S-009",
        Severity::Low,
        "T1611",
        Some("shop"),
        "k8s/s.yaml",
    );
    suppressed.suppressed = full_finding().suppressed;
    suppressed.tactics = vec!["defense-evasion".into()];
    store
        .insert_findings_at(
            r1,
            T0,
            &[
                finding(
                    "PAL-K8S-001",
                    Severity::High,
                    "T1611",
                    Some("shop"),
                    "k8s/a.yaml",
                ),
                finding(
                    "PAL-K8S-002",
                    Severity::Medium,
                    "T1053.007",
                    Some("pay"),
                    "k8s/b.yaml",
                ),
                suppressed,
            ],
        )
        .unwrap();
    store
        .insert_findings_at(
            r2,
            T0 + HOUR,
            &[
                finding(
                    "PAL-DF-001",
                    Severity::Critical,
                    "T1053",
                    None,
                    "Dockerfile",
                ),
                finding(
                    "PAL-K8S-001",
                    Severity::Info,
                    "T1610",
                    Some("shop"),
                    "k8s/c.yaml",
                ),
            ],
        )
        .unwrap();

    let q = |query: FindingQuery| -> Vec<String> {
        store
            .query_findings(&query)
            .unwrap()
            .into_iter()
            .map(|f| format!("{}@{}", f.check, f.location.path))
            .collect()
    };
    assert_eq!(
        q(FindingQuery::default()),
        [
            "PAL-K8S-001@k8s/a.yaml",
            "PAL-K8S-002@k8s/b.yaml",
            "PAL-DF-001@Dockerfile",
            "PAL-K8S-001@k8s/c.yaml"
        ]
    );
    assert_eq!(
        q(FindingQuery {
            include_suppressed: true,
            check: Some("PAL-K8S-009".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-009@k8s/s.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            technique: Some("T1053".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-002@k8s/b.yaml", "PAL-DF-001@Dockerfile"]
    );
    assert_eq!(
        q(FindingQuery {
            technique: Some("T1053.007".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-002@k8s/b.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            tactic: Some("defense-evasion".into()),
            include_suppressed: true,
            ..FindingQuery::default()
        }),
        ["PAL-K8S-009@k8s/s.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            severity_at_least: Some(Severity::High),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-001@k8s/a.yaml", "PAL-DF-001@Dockerfile"]
    );
    assert_eq!(
        q(FindingQuery {
            namespace: Some("shop".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-001@k8s/a.yaml", "PAL-K8S-001@k8s/c.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            check: Some("PAL-K8S-001".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-001@k8s/a.yaml", "PAL-K8S-001@k8s/c.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            path_glob: Some("k8s/[ab].yaml".into()),
            ..FindingQuery::default()
        }),
        ["PAL-K8S-001@k8s/a.yaml", "PAL-K8S-002@k8s/b.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            path_glob: Some("Docker*".into()),
            ..FindingQuery::default()
        }),
        ["PAL-DF-001@Dockerfile"]
    );
    assert_eq!(
        q(FindingQuery {
            run: Some(r2),
            ..FindingQuery::default()
        }),
        ["PAL-DF-001@Dockerfile", "PAL-K8S-001@k8s/c.yaml"]
    );
    assert_eq!(
        q(FindingQuery {
            since_ns: Some(T0 + 1),
            limit: Some(1),
            ..FindingQuery::default()
        }),
        ["PAL-DF-001@Dockerfile"]
    );
}
