//! Durability: a child process (this test binary, re-run with an environment variable) writes
//! acknowledged batches, then aborts in the middle of the next one, inside the store's own
//! insert loop (fault injection through the test-only `abort_after_rows`). Every acknowledged
//! batch must be there after the crash, the partial one must be absent.

use super::*;
use palisade_core::{ALERT_SCHEMA, AlertActor, AlertWorkload};
use std::path::Path;
use std::process::Command;

const ENV_DB: &str = "PALISADE_STORE_CRASH_TEST_DB";
const HELPER: &str = "crash_tests::crash_helper_writes_then_aborts_mid_batch";
const BATCHES: usize = 6;
const BATCH: usize = 250;
const PARTIAL: usize = 600;

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

fn batch(b: usize) -> Vec<AlertRecord> {
    (0..BATCH)
        .map(|i| AlertRecord {
            schema: ALERT_SCHEMA.into(),
            time: palisade_core::rfc3339_utc(1_795_687_200_000_000_000 + (b * BATCH + i) as i64),
            rule: format!("batch {b}"),
            priority: "warning".into(),
            techniques: vec!["T1611".into()],
            tactics: vec!["privilege-escalation".into()],
            source: "runtime".into(),
            output: format!("alert {i} of batch {b}"),
            workload: AlertWorkload {
                namespace: Some("shop".into()),
                ..AlertWorkload::default()
            },
            actor: AlertActor::default(),
            event_id: Some(format!("{b}-{i}")),
            fields: Default::default(),
        })
        .collect()
}

/// Not a test on its own: does nothing unless started by the test below.
#[test]
fn crash_helper_writes_then_aborts_mid_batch() {
    let Some(path) = std::env::var_os(ENV_DB) else {
        return;
    };
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    for b in 0..BATCHES {
        store.insert_alerts(run, &batch(b)).unwrap();
        println!("ACK {b}"); // stdout is line-buffered: flushed here
    }
    // With a small page cache, the last batch spills pages into the WAL before the abort:
    // uncommitted frames that recovery must ignore.
    store.conn.pragma_update(None, "cache_size", 20).unwrap();
    let big: Vec<AlertRecord> = (0..PARTIAL)
        .map(|i| {
            let mut a = batch(BATCHES)[i % BATCH].clone();
            a.output = format!("{i:06} {}", "x".repeat(1_000));
            a
        })
        .collect();
    println!(
        "WAL before the partial batch: {}",
        wal_len(Path::new(&path))
    );
    store.abort_after_rows = Some(PARTIAL - 1);
    let _ = store.insert_alerts(run, &big);
    unreachable!("the insert aborts the process");
}

#[test]
fn acknowledged_batches_survive_an_abort_mid_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([HELPER, "--exact", "--nocapture", "--test-threads=1"])
        .env(ENV_DB, &db)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the helper must die: {out:?}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "SIGABRT expected: {out:?}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let acked: Vec<usize> = stdout
        .lines()
        // libtest prints `test <name> ... ` without a newline before the helper's first line.
        .filter_map(|l| l.split_once("ACK ")?.1.trim().parse().ok())
        .collect();
    assert_eq!(acked, (0..BATCHES).collect::<Vec<_>>(), "{stdout}");
    // The abort skipped the close-time checkpoint: the commits live in the WAL and are
    // recovered from it on open.
    // The partial batch's spilled pages made the WAL grow past what was committed.
    let before: u64 = stdout
        .lines()
        .find_map(|l| {
            l.split_once("WAL before the partial batch: ")?
                .1
                .trim()
                .parse()
                .ok()
        })
        .unwrap();
    let after = wal_len(&db);
    assert!(
        before > 0 && after > before,
        "WAL {before} -> {after} bytes"
    );

    let store = Store::open(&db).unwrap();
    for b in acked {
        let got = store
            .query_alerts(&AlertQuery {
                rule: Some(format!("batch {b}")),
                ..AlertQuery::default()
            })
            .unwrap();
        assert_eq!(got, batch(b), "batch {b}");
    }
    let partial = store
        .query_alerts(&AlertQuery {
            rule: Some(format!("batch {BATCHES}")),
            ..AlertQuery::default()
        })
        .unwrap();
    assert!(
        partial.is_empty(),
        "{} rows of the partial batch",
        partial.len()
    );
    assert_eq!(store.stats().unwrap().alerts, (BATCHES * BATCH) as u64);
    let check: String = store
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
