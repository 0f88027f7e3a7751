//! Concurrent writers and readers on one file (one connection each), and a writer process
//! killed with SIGKILL while it writes.

mod common;

use common::*;
use palisade_core::AlertRecord;
use palisade_store::{AlertId, AlertQuery, NewRun, RunKind, Store};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

const BATCH: usize = 25;

fn writer_batch(writer: usize, b: usize) -> Vec<AlertRecord> {
    (0..BATCH)
        .map(|i| {
            let mut a = alert(
                &format!("writer {writer}"),
                T0 + ((b * BATCH + i) * 1000 + writer) as i64,
                if writer == 0 { "T1611" } else { "T1610" },
                Some("shop"),
            );
            a.event_id = Some(format!("{writer}-{b}-{i}"));
            a
        })
        .collect()
}

#[test]
fn two_writers_and_a_reader_on_a_fresh_file() {
    const BATCHES: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("shared.db"));
    // All three open the fresh file at once: creation, WAL switch and migration race.
    let start = Arc::new(Barrier::new(3));
    let writers_done = Arc::new(AtomicBool::new(false));

    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (path, start) = (Arc::clone(&path), Arc::clone(&start));
            thread::spawn(move || -> Vec<AlertId> {
                start.wait();
                let mut store = Store::open(&*path).unwrap();
                let run = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
                let mut acked = Vec::new();
                for b in 0..BATCHES {
                    acked.extend(store.insert_alerts(run, &writer_batch(w, b)).unwrap());
                }
                store.finish_run(run).unwrap();
                acked
            })
        })
        .collect();
    let reader = {
        let (path, start, done) = (
            Arc::clone(&path),
            Arc::clone(&start),
            Arc::clone(&writers_done),
        );
        thread::spawn(move || -> usize {
            start.wait();
            let store = Store::open(&*path).unwrap();
            let (mut last, mut reads) = (0usize, 0usize);
            loop {
                let finished = done.load(Ordering::Acquire);
                let n = store
                    .query_alerts(&AlertQuery {
                        namespace: Some("shop".into()),
                        ..AlertQuery::default()
                    })
                    .unwrap()
                    .len();
                // Readers see whole batches only, and never go backwards.
                assert_eq!(n % BATCH, 0, "a reader saw part of a batch: {n}");
                assert!(n >= last, "count went back from {last} to {n}");
                last = n;
                reads += 1;
                if finished {
                    return reads;
                }
            }
        })
    };
    let acked: Vec<Vec<AlertId>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    writers_done.store(true, Ordering::Release);
    let reads = reader.join().unwrap();
    assert!(reads > 1);

    let store = Store::open(&*path).unwrap();
    assert_eq!(store.stats().unwrap().alerts, (2 * BATCHES * BATCH) as u64);
    for (w, ids) in acked.iter().enumerate() {
        assert_eq!(ids.len(), BATCHES * BATCH);
        let stored = store.get_alerts(ids).unwrap();
        let expected: Vec<AlertRecord> = (0..BATCHES).flat_map(|b| writer_batch(w, b)).collect();
        assert_eq!(
            stored.into_iter().map(|s| s.alert).collect::<Vec<_>>(),
            expected
        );
    }
    let t1611 = store
        .query_alerts(&AlertQuery {
            technique: Some("T1611".into()),
            ..AlertQuery::default()
        })
        .unwrap();
    assert_eq!(t1611.len(), BATCHES * BATCH);
    assert_eq!(store.stats().unwrap().runs, 2);
}

const ENV_DB: &str = "PALISADE_STORE_KILL_TEST_DB";
const KILL_BATCH: usize = 100;

fn kill_batch(b: usize) -> Vec<AlertRecord> {
    (0..KILL_BATCH)
        .map(|i| {
            let mut a = alert(
                &format!("batch {b}"),
                T0 + (b * KILL_BATCH + i) as i64,
                "T1611",
                Some("shop"),
            );
            a.output = "x".repeat(200);
            a
        })
        .collect()
}

/// Not a test on its own: does nothing unless started by the test below.
#[test]
fn kill_helper_writes_until_killed() {
    let Some(path) = std::env::var_os(ENV_DB) else {
        return;
    };
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(&NewRun::new(RunKind::Watch)).unwrap();
    for b in 0..100_000 {
        store.insert_alerts(run, &kill_batch(b)).unwrap();
        println!("ACK {b}");
    }
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    const WAIT_FOR: usize = 30;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("killed.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "kill_helper_writes_until_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DB, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < WAIT_FOR {
        let line = lines
            .next()
            .expect("helper ended early")
            .expect("helper output");
        // libtest prints `test <name> ... ` without a newline before the first ACK.
        if let Some((_, b)) = line.split_once("ACK ") {
            acked.push(b.trim().parse::<usize>().unwrap());
        }
    }
    child.kill().unwrap(); // SIGKILL, most likely in the middle of a batch
    child.wait().unwrap();
    drop(lines);

    let store = Store::open(&db).unwrap();
    let total = store.stats().unwrap().alerts as usize;
    assert_eq!(
        total % KILL_BATCH,
        0,
        "a batch is partly there: {total} rows"
    );
    let present = total / KILL_BATCH;
    // Every acknowledged batch, plus possibly batches committed after the last ACK we read.
    assert!(
        present >= WAIT_FOR,
        "{present} batches, {WAIT_FOR} acknowledged"
    );
    for b in 0..present {
        let got = store
            .query_alerts(&AlertQuery {
                rule: Some(format!("batch {b}")),
                ..AlertQuery::default()
            })
            .unwrap();
        assert_eq!(got, kill_batch(b), "batch {b}");
    }
    assert_eq!(acked, (0..WAIT_FOR).collect::<Vec<_>>());
}

#[test]
fn many_connections_open_a_new_file_at_once() {
    const THREADS: usize = 8;
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join(format!("race-{round}.db")));
        let start = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (path, start) = (Arc::clone(&path), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    let mut store = Store::open(&*path).unwrap();
                    let run = store.begin_run(&NewRun::new(RunKind::Detect)).unwrap();
                    store
                        .insert_alerts(run, &[alert(&format!("t{t}"), T0, "T1611", None)])
                        .unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let store = Store::open(&*path).unwrap();
        let stats = store.stats().unwrap();
        assert_eq!((stats.runs, stats.alerts), (THREADS as u64, THREADS as u64));
    }
}
