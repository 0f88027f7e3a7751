//! Opening and migrating, refusing foreign and future files, incidents, retention, stats.

mod common;

use common::*;
use palisade_core::Severity;
use palisade_store::{
    AlertQuery, FindingQuery, Incident, IncidentQuery, NewRun, RetentionCounts, RunKind,
    SCHEMA_VERSION, Store, StoreError, StoreOptions,
};
use rusqlite::Connection;
use serde_json::json;

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn migrates_an_empty_file_and_reopens_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::File::create(&path).unwrap(); // zero bytes, as `touch` leaves it
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let run = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
    store
        .insert_alerts(run, &[alert("kept", T0, "T1611", Some("shop"))])
        .unwrap();
    drop(store);

    let tables: Vec<String> = Connection::open(&path)
        .unwrap()
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "alert_techniques",
            "alerts",
            "finding_techniques",
            "findings",
            "incident_alerts",
            "incident_findings",
            "incidents",
            "runs"
        ]
    );
    let journal: String = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal", "WAL is persistent in the file");

    for _ in 0..3 {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.stats().unwrap().alerts, 1);
        assert_eq!(store.stats().unwrap().runs, 1);
    }
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}

#[test]
fn creates_a_missing_file_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let no_create = StoreOptions {
        create: false,
        ..StoreOptions::default()
    };
    let err = Store::open_with(&path, &no_create).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert!(!path.exists());
    Store::open(&path).unwrap();
    Store::open_with(&path, &no_create).unwrap();
    let err = Store::open(dir.path().join("no/such/dir/x.db")).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[test]
fn refuses_a_store_from_a_newer_palisade_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    Store::open(&path).unwrap();
    let future = SCHEMA_VERSION + 7;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", future)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::NewerSchema {
            found, supported, ..
        } => assert_eq!((*found, *supported), (future, SCHEMA_VERSION)),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("newer Palisade"), "{msg}");
    assert!(msg.contains(&future.to_string()), "{msg}");
    assert_eq!(user_version(&path), future);
    let stat_tables: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stat_tables, 0, "the refused file was not analysed");
}

#[test]
fn refuses_files_that_are_not_palisade_stores() {
    let dir = tempfile::tempdir().unwrap();
    // Another program's SQLite database: left untouched (still in rollback-journal mode).
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    let err = Store::open(&other).unwrap_err();
    assert!(matches!(err, StoreError::NotAPalisadeStore { .. }), "{err}");
    let journal: String = Connection::open(&other)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    let objects: i64 = Connection::open(&other)
        .unwrap()
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        objects, 1,
        "nothing added (no sqlite_stat1 from PRAGMA optimize either)"
    );
    // Not SQLite at all.
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, just some text long enough".repeat(20),
    )
    .unwrap();
    let err = Store::open(&text).unwrap_err();
    assert!(matches!(err, StoreError::NotAPalisadeStore { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
}

fn incident(key: &str, alerts: &[palisade_store::AlertId], score: f64) -> Incident {
    Incident {
        key: key.into(),
        first_seen_ns: T0,
        last_seen_ns: T0 + SEC,
        score,
        alerts: alerts.to_vec(),
        findings: Vec::new(),
        body: json!({"chain": ["initial-access", "execution"], "namespace": "shop"}),
    }
}

#[test]
fn incidents_upsert_merge_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("i.db")).unwrap();
    let run = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    let a = store
        .insert_alerts(
            run,
            &[
                alert("a", T0, "T1611", Some("shop")),
                alert("b", T0 + SEC, "T1610", Some("shop")),
            ],
        )
        .unwrap();
    let f = store
        .insert_findings(
            run,
            &[finding(
                "PAL-K8S-001",
                Severity::High,
                "T1611",
                Some("shop"),
                "x.yaml",
            )],
        )
        .unwrap();

    let mut first = incident("shop/web", &[a[0]], 5.0);
    first.findings = f.clone();
    let ids = store
        .upsert_incidents(&[first.clone(), incident("pay/api", &[], 1.0)])
        .unwrap();
    // Same key again: times widen, score and body replaced, links added.
    let mut again = incident("shop/web", &[a[1]], 9.5);
    again.first_seen_ns = T0 - HOUR;
    again.last_seen_ns = T0;
    again.body = json!({"chain": ["execution"]});
    assert_eq!(store.upsert_incidents(&[again]).unwrap(), vec![ids[0]]);

    let got = store.query_incidents(&IncidentQuery::default()).unwrap();
    assert_eq!(got.len(), 2);
    let web = got.iter().find(|i| i.incident.key == "shop/web").unwrap();
    assert_eq!(web.id, ids[0]);
    assert_eq!(web.incident.first_seen_ns, T0 - HOUR);
    assert_eq!(web.incident.last_seen_ns, T0 + SEC);
    assert_eq!(web.incident.score, 9.5);
    assert_eq!(web.incident.alerts, a);
    assert_eq!(web.incident.findings, f);
    assert_eq!(web.incident.body, json!({"chain": ["execution"]}));
    let high = store
        .query_incidents(&IncidentQuery {
            min_score: Some(2.0),
            ..IncidentQuery::default()
        })
        .unwrap();
    assert_eq!(high.len(), 1);
    assert!(
        store
            .query_incidents(&IncidentQuery {
                since_ns: Some(T0 + 2 * SEC),
                ..IncidentQuery::default()
            })
            .unwrap()
            .is_empty()
    );

    // Unknown evidence or a NaN score: nothing of the batch is written.
    let err = store
        .upsert_incidents(&[
            incident("new/one", &[a[0]], 1.0),
            incident("new/two", &[palisade_store::AlertId(9_999)], 1.0),
        ])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnknownEvidence {
                what: "alert",
                id: 9_999,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        store.upsert_incidents(&[incident("nan", &[], f64::NAN)]),
        Err(StoreError::InvalidIncident { .. })
    ));
    assert_eq!(store.stats().unwrap().incidents, 2);
}

#[test]
fn retention_deletes_old_rows_then_orphaned_runs_and_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("r.db")).unwrap();
    let cutoff = T0;

    // An old detect run whose alerts are all old.
    let mut old = NewRun::new(RunKind::Detect);
    old.started_ns = T0 - 10 * HOUR;
    let old_run = store.begin_run(&old).unwrap();
    let old_alerts = store
        .insert_alerts(
            old_run,
            &[
                alert("old1", T0 - 5 * HOUR, "T1611", Some("shop")),
                alert("old2", T0 - 1, "T1611", Some("shop")),
            ],
        )
        .unwrap();
    // A long watch run with alerts on both sides of the cutoff.
    let watch = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    let mixed = store
        .insert_alerts(
            watch,
            &[
                alert("older", T0 - HOUR, "T1610", Some("pay")),
                alert("edge", T0, "T1610", Some("pay")), // not older than the cutoff: kept
                alert("newer", T0 + HOUR, "T1610", Some("pay")),
            ],
        )
        .unwrap();
    // Findings recorded before and after the cutoff.
    let scan = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
    let old_findings = store
        .insert_findings_at(
            scan,
            T0 - HOUR,
            &[finding(
                "PAL-K8S-001",
                Severity::High,
                "T1611",
                None,
                "a.yaml",
            )],
        )
        .unwrap();
    store
        .insert_findings_at(
            scan,
            T0 + HOUR,
            &[finding(
                "PAL-K8S-002",
                Severity::High,
                "T1611",
                None,
                "b.yaml",
            )],
        )
        .unwrap();
    // Incidents: one on old evidence only, one on old + new, one on an old finding.
    store
        .upsert_incidents(&[
            incident("old-only", &old_alerts, 1.0),
            incident("mixed", &[mixed[0], mixed[2]], 2.0),
            Incident {
                findings: old_findings.clone(),
                ..incident("finding-only", &[], 3.0)
            },
        ])
        .unwrap();

    let counts = store.apply_retention(cutoff).unwrap();
    assert_eq!(
        counts,
        RetentionCounts {
            alerts: 3,
            findings: 1,
            runs: 0, // the old run's last activity (its insert) is recent: kept until it ages
            incidents: 2,
        }
    );
    let left: Vec<String> = store
        .query_alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.rule)
        .collect();
    assert_eq!(left, ["edge", "newer"]);
    // Technique index rows went with their alerts.
    assert!(
        store
            .query_alerts(&AlertQuery {
                technique: Some("T1611".into()),
                ..AlertQuery::default()
            })
            .unwrap()
            .is_empty()
    );
    let findings = store.query_findings(&FindingQuery::default()).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].check, "PAL-K8S-002");
    let incidents = store.query_incidents(&IncidentQuery::default()).unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].incident.key, "mixed");
    assert_eq!(incidents[0].incident.alerts, vec![mixed[2]]);

    // Much later everything has aged: evidence, then the runs left empty, then incidents.
    let counts = store.apply_retention(i64::MAX).unwrap();
    assert_eq!(
        counts,
        RetentionCounts {
            alerts: 2,
            findings: 1,
            runs: 3,
            incidents: 1,
        }
    );
    let stats = store.stats().unwrap();
    assert_eq!(
        (stats.runs, stats.alerts, stats.findings, stats.incidents),
        (0, 0, 0, 0)
    );
    assert_eq!(
        store.apply_retention(i64::MAX).unwrap(),
        RetentionCounts::default()
    );
}

#[test]
fn retention_works_in_chunks_on_large_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("big.db")).unwrap();
    let run = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    let batch: Vec<_> = (0..12_345)
        .map(|i| alert("bulk", T0 + i * MS, "T1611", Some("shop"))) // alert times carry ms
        .collect();
    store.insert_alerts(run, &batch).unwrap();
    let counts = store.apply_retention(T0 + 12_000 * MS).unwrap();
    assert_eq!(counts.alerts, 12_000);
    assert_eq!(store.stats().unwrap().alerts, 345);
}

#[test]
fn stats_report_counts_and_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("s.db")).unwrap();
    let empty = store.stats().unwrap();
    assert_eq!(empty.schema_version, SCHEMA_VERSION);
    assert_eq!((empty.oldest_alert_ns, empty.newest_alert_ns), (None, None));
    let run = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
    store
        .insert_alerts(
            run,
            &[
                alert("x", T0 + SEC, "T1611", None),
                alert("y", T0, "T1611", None),
            ],
        )
        .unwrap();
    store.insert_findings(run, &[full_finding()]).unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.runs, s.alerts, s.findings, s.incidents), (1, 2, 1, 0));
    assert_eq!(
        (s.oldest_alert_ns, s.newest_alert_ns),
        (Some(T0), Some(T0 + SEC))
    );
    assert!(s.size_bytes > 0);
}
