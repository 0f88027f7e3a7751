//! Correlation benchmark: generates synthetic alerts over many clusters, namespaces,
//! identities, pods and nodes, streams them through a `Correlator` and prints wall and CPU
//! time and the peak resident set size.
//!
//! ```sh
//! cargo run --release -p palisade-correlate --example bench_correlate -- 1000000
//! # one mode only: --background (the default) or --inline (one thread)
//! # with the system allocator instead of mimalloc: --features bench-system-allocator
//! ```
//!
//! Each mode runs the same alerts: incidents assembled on a second thread (the default)
//! and inline, side by side.
//!
//! The alerts are generated on the fly (never all in memory), in time order with up to
//! ±60 s of disorder (0.1% arrive 10 minutes late), so the peak RSS reflects the
//! correlator's state: the reorder buffer and the open incidents. Linux only for the CPU
//! and RSS figures (read from `/proc/self`).

use palisade_attack::{AttackVersion, Catalogue};
use palisade_core::{ALERT_SCHEMA, AlertActor, AlertRecord, AlertWorkload, rfc3339_utc};
use palisade_correlate::{Correlator, Options, Timestamp};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

// The CLI's allocator (`--features bench-system-allocator` measures with the system's).
#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 2026-11-26T00:00:00Z.
const T0: i64 = 1_795_651_200_000_000_000;
const SEC: i64 = 1_000_000_000;
/// Simulated time between two alerts: 1M alerts span about 14 hours.
const STEP: i64 = 50_000_000;
const CLUSTERS: usize = 3;
const NAMESPACES: usize = 200;
const SAS_PER_NAMESPACE: usize = 50;
const USERS: usize = 5_000;
const NODES: usize = 300;
const IPS: usize = 20_000;
const ACTIVE_EPISODES: usize = 1_000;
const CLOSE_EVERY: u64 = 10_000;
/// Alerts run through each mode before the measured runs.
const WARM_UP: u64 = 50_000;

const RULES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "Exec Or Attach Session Opened In Pod",
        "notice",
        &["T1609"],
        &["execution"],
    ),
    (
        "Privileged Container Started In Pod",
        "warning",
        &["T1611", "T1610"],
        &["execution", "privilege-escalation"],
    ),
    (
        "Secret Read By Unexpected Identity",
        "notice",
        &["T1552.007"],
        &["credential-access"],
    ),
    (
        "Discovery Burst By One Identity",
        "notice",
        &["T1613", "T1069"],
        &["discovery"],
    ),
    (
        "Terminal Shell In Container",
        "notice",
        &["T1059.004"],
        &["execution"],
    ),
    (
        "Cryptominer Process Started In Container",
        "critical",
        &["T1496.001"],
        &["impact"],
    ),
    (
        "Service Account Token Read In Container",
        "notice",
        &["T1528"],
        &["credential-access"],
    ),
    (
        "Namespace Change Into Host With Nsenter",
        "warning",
        &["T1611"],
        &["privilege-escalation"],
    ),
    (
        "CronJob Created Or Changed By Unexpected Identity",
        "notice",
        &["T1053.007"],
        &["execution", "persistence"],
    ),
];

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// One attack (or noise) story: an identity acting on a pod, whose container then
/// raises runtime alerts.
struct Episode {
    cluster: usize,
    namespace: usize,
    identity: Option<String>,
    pod: String,
    sa: String,
    container_id: String,
    node: usize,
    left: u32,
}

struct Generator {
    rng: Rng,
    episodes: Vec<Episode>,
    serial: u64,
    clock: i64,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut g = Generator {
            rng: Rng(seed),
            episodes: Vec::with_capacity(ACTIVE_EPISODES),
            serial: 0,
            clock: T0,
        };
        for _ in 0..ACTIVE_EPISODES {
            let e = g.episode();
            g.episodes.push(e);
        }
        g
    }

    fn episode(&mut self) -> Episode {
        self.serial += 1;
        let namespace = self.rng.below(NAMESPACES);
        let sa_index = self.rng.below(SAS_PER_NAMESPACE);
        let identity = match self.rng.below(10) {
            0..=5 => Some(format!(
                "system:serviceaccount:ns-{namespace}:sa-{sa_index}"
            )),
            6..=8 => Some(format!("user-{}", self.rng.below(USERS))),
            _ => None, // runtime-only story
        };
        Episode {
            cluster: self.rng.below(CLUSTERS),
            namespace,
            identity,
            pod: format!(
                "app-{}-7d9f8c6b5-x{:04}",
                self.serial % 97,
                self.serial % 10_000
            ),
            sa: format!("sa-{sa_index}"),
            container_id: format!("{:016x}{:016x}", self.rng.next(), self.serial),
            node: self.rng.below(NODES),
            left: 1 + self.rng.below(30) as u32,
        }
    }

    fn base(&self, time: i64, rule: usize, source: &str) -> AlertRecord {
        let (name, priority, techniques, tactics) = RULES[rule];
        AlertRecord {
            schema: ALERT_SCHEMA.to_string(),
            time: rfc3339_utc(time),
            rule: name.to_string(),
            priority: priority.to_string(),
            techniques: techniques.iter().map(|s| s.to_string()).collect(),
            tactics: tactics.iter().map(|s| s.to_string()).collect(),
            source: source.to_string(),
            output: format!("{name} (synthetic alert {})", self.serial),
            workload: AlertWorkload::default(),
            actor: AlertActor::default(),
            event_id: None,
            fields: BTreeMap::new(),
        }
    }

    /// The next alert.
    fn next_alert(&mut self) -> AlertRecord {
        self.clock += STEP;
        let jitter = self.rng.below(120 * 1000) as i64 * 1_000_000 - 60 * SEC;
        let mut time = self.clock + jitter;
        if self.rng.chance(1) {
            time -= 600 * SEC; // a late sensor
        }
        let n = self.rng.below(1000);
        // Sensor drop reports: 0.1%.
        if n < 1 {
            let mut a = self.base(time, 4, "syscall");
            a.rule = "Falco internal: syscall event drop".to_string();
            a.priority = "debug".to_string();
            a.techniques.clear();
            a.tactics.clear();
            a.workload.cluster = Some(format!("c{}", self.rng.below(CLUSTERS)));
            a.workload.node = Some(format!("node-{}", self.rng.below(NODES)));
            a.fields
                .insert("n_drops".to_string(), self.rng.below(5000).to_string());
            return a;
        }
        // Anonymous noise from many addresses: 5%.
        if n < 51 {
            let mut a = self.base(time, 3, "k8s_audit");
            a.actor.user = Some("system:anonymous".to_string());
            a.actor.source_ips = vec![format!(
                "198.51.{}.{}",
                self.rng.below(IPS) / 256,
                self.rng.below(256)
            )];
            a.workload.cluster = Some(format!("c{}", self.rng.below(CLUSTERS)));
            return a;
        }
        let i = self.rng.below(self.episodes.len());
        let rule = self.rng.below(RULES.len());
        let serial = self.serial;
        let e = &self.episodes[i];
        let cluster = format!("c{}", e.cluster);
        let ns = format!("ns-{}", e.namespace);
        let mut a = match (&e.identity, self.rng.below(10)) {
            // System identities acting on the pod: 10%.
            (_, 0) => {
                let mut a = self.base(time, rule, "k8s_audit");
                a.actor.user = Some(format!("system:node:node-{}", e.node));
                a.actor.groups = vec!["system:nodes".to_string()];
                a.workload.namespace = Some(ns.clone());
                a.workload.pod = Some(e.pod.clone());
                a
            }
            // The identity, against the API server (sometimes on the pod).
            (Some(user), 1..=4) => {
                let mut a = self.base(time, rule, "k8s_audit");
                a.actor.user = Some(user.clone());
                a.actor.source_ips = vec![format!("203.0.113.{}", serial % 250)];
                a.workload.namespace = Some(ns.clone());
                if rule.is_multiple_of(2) {
                    a.workload.pod = Some(e.pod.clone());
                    a.workload.service_account = Some(e.sa.clone());
                    a.fields.insert("ka.target.resource".into(), "pods".into());
                    a.fields.insert("ka.target.name".into(), e.pod.clone());
                    a.fields.insert("ka.target.namespace".into(), ns.clone());
                }
                a
            }
            // Runtime alerts in the pod's container (sometimes by container id only).
            (_, k) => {
                let mut a = self.base(time, rule, "syscall");
                a.workload.container_id = Some(e.container_id.clone());
                a.workload.node = Some(format!("node-{}", e.node));
                a.event_id = Some(format!("evt-{serial}-{k}"));
                if k != 9 {
                    a.workload.namespace = Some(ns.clone());
                    a.workload.pod = Some(e.pod.clone());
                    a.workload.container = Some("app".to_string());
                    a.workload.service_account = Some(e.sa.clone());
                }
                a
            }
        };
        a.workload.cluster = Some(cluster);
        let e = &mut self.episodes[i];
        e.left = e.left.saturating_sub(1);
        if e.left == 0 {
            self.episodes[i] = self.episode();
        }
        a
    }
}

/// User + system CPU seconds of this process (Linux; USER_HZ = 100).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `VmHWM` (peak resident set size) in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Reset `VmHWM` to the current RSS (Linux 4.0+), so that each run reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What one run measured.
struct Outcome {
    stats: palisade_correlate::Stats,
    rejected: u64,
    incidents: u64,
    alerts_in_incidents: u64,
    largest: usize,
    with_drops: u64,
    peak_open: u64,
    peak_buffered: u64,
    /// Wall time of the pushes, `close_idle` and `finish` calls.
    timed_wall: f64,
    /// CPU time of the process (every thread) during those calls.
    timed_cpu: Option<f64>,
    peak_rss: Option<f64>,
}

/// Stream `n` generated alerts through a correlator.
///
/// Alerts are generated in batches of `CLOSE_EVERY` outside the timed region, then
/// pushed; only the pushes, the periodic `close_idle` and the final `finish` are timed
/// (until the incidents are handed out: what the consumer does with them, here counting
/// and dropping, is not).
fn run(catalogue: &Catalogue, n: u64, background_assembly: bool) -> Outcome {
    reset_peak_rss();
    let mut g = Generator::new(42);
    let options = Options {
        background_assembly,
        ..Options::default()
    };
    let mut c = Correlator::new(catalogue, options);
    let (mut incidents, mut alerts_in_incidents, mut largest) = (0u64, 0u64, 0usize);
    let mut with_drops = 0u64;
    let mut peak_open = 0u64;
    let mut peak_buffered = 0u64;
    let mut rejected = 0u64;
    let mut newest = i64::MIN;
    let mut wall = Duration::ZERO;
    let mut cpu = Some(0.0);
    let mut count = |batch: Vec<palisade_correlate::Incident>| {
        for i in batch {
            incidents += 1;
            alerts_in_incidents += i.alert_count as u64;
            largest = largest.max(i.alert_count);
            if i.confidence < 1.0 {
                with_drops += 1;
            }
        }
    };
    let mut batch = Vec::with_capacity(CLOSE_EVERY as usize);
    let mut done = 0u64;
    while done < n {
        let size = CLOSE_EVERY.min(n - done);
        batch.clear();
        for _ in 0..size {
            let a = g.next_alert();
            if let Some(t) = Timestamp::parse_rfc3339(&a.time) {
                newest = newest.max(t.0);
            }
            batch.push(a);
        }
        done += size;
        let (start, cpu0) = (Instant::now(), cpu_seconds());
        for a in &batch {
            if c.push_alert(a).is_err() {
                rejected += 1;
            }
        }
        let s = c.stats();
        peak_open = peak_open.max(s.open_incidents);
        peak_buffered = peak_buffered.max(s.buffered_alerts);
        let closed = c.close_idle(Timestamp(newest));
        wall += start.elapsed();
        cpu = cpu
            .zip(cpu_seconds().zip(cpu0))
            .map(|(t, (b, a))| t + b - a);
        count(closed);
    }
    let stats = c.stats();
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let closed = c.finish();
    wall += start.elapsed();
    cpu = cpu
        .zip(cpu_seconds().zip(cpu0))
        .map(|(t, (b, a))| t + b - a);
    count(closed);
    Outcome {
        stats,
        rejected,
        incidents,
        alerts_in_incidents,
        largest,
        with_drops,
        peak_open,
        peak_buffered,
        timed_wall: wall.as_secs_f64(),
        timed_cpu: cpu,
        peak_rss: peak_rss_mib(),
    }
}

fn main() {
    let mut n: u64 = 1_000_000;
    let mut modes = vec![true, false];
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--background" => modes = vec![true],
            "--inline" => modes = vec![false],
            other => match other.replace('_', "").parse() {
                Ok(v) => n = v,
                Err(_) => {
                    eprintln!("usage: bench_correlate [ALERTS] [--background | --inline]");
                    std::process::exit(2);
                }
            },
        }
    }
    let catalogue = Catalogue::builtin(AttackVersion::V18_1);
    let allocator = if cfg!(feature = "bench-system-allocator") {
        "system (glibc malloc)"
    } else {
        "mimalloc (as the CLI)"
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "alerts:     {n} (generated in batches of {CLOSE_EVERY}, not timed; warm-up {WARM_UP} per mode)"
    );
    println!("allocator:  {allocator}; CPUs: {cpus}");
    let fmt = |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"));
    // Warm-up, not reported: the process's first run would otherwise pay for growing
    // the heap and faulting its pages in, and whichever mode runs first would look slower.
    for &background in &modes {
        run(catalogue, n.min(WARM_UP), background);
    }
    let mut first: Option<(u64, u64)> = None;
    for background in modes {
        let o = run(catalogue, n, background);
        let mode = if background {
            "background assembly (default)"
        } else {
            "inline assembly (one thread)"
        };
        println!();
        println!("== {mode}");
        println!(
            "accepted / rejected:   {} / {} (late {}, duplicates {}, sensor drop reports {}, ambiguous links {})",
            o.stats.alerts_accepted,
            o.rejected,
            o.stats.late_alerts,
            o.stats.duplicate_alerts,
            o.stats.sensor_drop_reports,
            o.stats.ambiguous_links
        );
        println!(
            "incidents:             {} ({} alerts; largest {}; {} with lowered confidence)",
            o.incidents, o.alerts_in_incidents, o.largest, o.with_drops
        );
        println!(
            "peak open incidents:   {} (sampled every {CLOSE_EVERY} alerts); peak reorder buffer {} alerts",
            o.peak_open, o.peak_buffered
        );
        println!(
            "correlation:           {:.2} s wall ({:.2} us per alert), {} s CPU",
            o.timed_wall,
            o.timed_wall * 1e6 / n.max(1) as f64,
            fmt(o.timed_cpu)
        );
        println!("peak RSS (VmHWM):      {} MiB", fmt(o.peak_rss));
        // Both modes must find the same incidents.
        match first {
            None => first = Some((o.incidents, o.alerts_in_incidents)),
            Some(f) if f == (o.incidents, o.alerts_in_incidents) => {}
            Some(f) => {
                eprintln!(
                    "the two modes disagree: {f:?} vs {:?}",
                    (o.incidents, o.alerts_in_incidents)
                );
                std::process::exit(1);
            }
        }
    }
}
