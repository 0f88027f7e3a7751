//! `palisade watch`: the runtime sensor, live, through the rules.

use crate::catalogue::AttackOpts;
use crate::detect_cmd::{
    AlertWriter, DetectFormat, load_pack_rules, parse_priority, print_summary,
    runtime_alert_record, source_engine,
};
use crate::term::TermOpts;
use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_core::{ALERT_SCHEMA, AlertActor, AlertRecord, AlertWorkload, rfc3339_utc};
use palisade_engine::{EngineOptions, RuleMatching};
use palisade_rules::Priority;
use palisade_runtime::recording::{event_line, header_line};
use palisade_runtime::{RECORDING_SCHEMA, RecordingHeader, RuntimeFields};
use palisade_sensor::directory::{Directory, default_sources};
use palisade_sensor::stream::EventStream;
use palisade_sensor::{PathPrefix, Sensor, SensorOptions, default_prefixes, host};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Watch processes, files, network and privilege changes on this machine through eBPF,
/// attribute them to containers and Kubernetes pods, and raise alerts with the built-in
/// runtime rules (and any Falco-style syscall rules given with --rules).
///
/// Needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and a kernel with BTF. Hooks are chosen
/// at start by what the kernel accepts; the ones it refuses are listed. Events are read in
/// batches (the kernel never wakes Palisade per event); records the kernel could not queue
/// are counted per CPU, shown in the metrics line and the summary, and reported as a
/// "sensor dropped events" alert that lowers the confidence of overlapping incidents.
/// Stops on Ctrl-C, SIGTERM or after --duration. Exit code: 0 no alert at or above
/// --fail-on, 1 alerts at or above it, 2 the sensor could not start.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sudo palisade watch\n  sudo palisade watch --format jsonl --record /tmp/run.jsonl --duration 60s\n  palisade detect --source runtime /tmp/run.jsonl\n  sudo palisade watch --rules falco_rules.yaml --watch-path /srv/secrets/"
)]
pub struct WatchArgs {
    /// Output format for alerts.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DetectFormat,
    /// Write alerts to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write every event to FILE (palisade.runtime/v1 JSON lines), to replay later
    /// with `palisade detect --source runtime FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Stop after this long (`30s`, `5m`, `1h`); default: until interrupted.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Extra rules files or directories (Falco format, syscall source).
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in runtime rule pack.
    #[arg(long)]
    pub no_builtin: bool,
    /// Skip rules below this priority.
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub min_priority: Option<Priority>,
    /// Exit with 1 when an alert has this priority or a more severe one.
    #[arg(long, value_name = "PRIORITY", default_value = "debug", value_parser = parse_priority)]
    pub fail_on: Priority,
    /// Also record alerts in this SQLite store.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Also report opens of paths under this prefix (repeatable; at most 32 in all).
    #[arg(long = "watch-path", value_name = "PREFIX")]
    pub watch_paths: Vec<String>,
    /// Only the --watch-path prefixes, not the built-in list of credential and system paths.
    #[arg(long)]
    pub no_default_paths: bool,
    /// Ring buffer size in MiB (a power of two).
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub ring_mb: u32,
    /// CRI sockets to ask for pod metadata (default: containerd's and cri-o's usual ones).
    #[arg(long = "cri-socket", value_name = "PATH")]
    pub cri_sockets: Vec<PathBuf>,
    /// Print a metrics line on stderr this often (`0s` for never).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub metrics_interval: Duration,
    /// Run without eBPF: process exec/fork/exit from the kernel's proc connector only
    /// (no files, network or privilege events; racy attribution of short-lived processes).
    #[arg(long)]
    pub fallback: bool,
    /// Do not print the summary.
    #[arg(long)]
    pub no_summary: bool,
    #[command(flatten)]
    pub term: TermOpts,
    #[command(flatten)]
    pub attack: AttackOpts,
}

/// `500ms`, `30s`, `5m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 5m or 1h"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit in `{s}`: use ms, s, m or h")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("`{s}` is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The alert a drop of sensor records becomes (correlation lowers the confidence of
/// incidents it overlaps).
fn drop_record(lost: u64, total_lost: u64, hostname: &str, time_ns: i64) -> AlertRecord {
    let mut fields = BTreeMap::new();
    fields.insert("n_drops".to_owned(), lost.to_string());
    fields.insert("n_drops_total".to_owned(), total_lost.to_string());
    AlertRecord {
        schema: ALERT_SCHEMA.to_owned(),
        time: rfc3339_utc(time_ns),
        rule: "Palisade sensor: events dropped".to_owned(),
        priority: "warning".to_owned(),
        techniques: Vec::new(),
        tactics: Vec::new(),
        source: "runtime".to_owned(),
        output: format!(
            "The runtime sensor on {hostname} dropped {lost} events (ring buffer full; {total_lost} in all): alerts in this period may be missing"
        ),
        workload: AlertWorkload {
            node: (!hostname.is_empty()).then(|| hostname.to_owned()),
            ..AlertWorkload::default()
        },
        actor: AlertActor::default(),
        event_id: None,
        fields,
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// A source of raw records: the eBPF sensor or the fallback.
enum Source {
    Ebpf(Box<Sensor>),
    Fallback(palisade_sensor::fallback::ProcConnector),
}

impl Source {
    fn drain(&mut self, stream: &mut EventStream) -> usize {
        match self {
            Source::Ebpf(s) => s.drain(|bytes| {
                let _ = stream.push_record(bytes);
            }),
            Source::Fallback(p) => p.drain(|raw| stream.push_raw(raw)),
        }
    }

    fn lost_total(&self) -> u64 {
        match self {
            Source::Ebpf(s) => s.lost().iter().map(|(_, n)| n).sum(),
            Source::Fallback(p) => p.lost(),
        }
    }
}

pub fn run(args: WatchArgs) -> Result<ExitCode> {
    let catalogue = args.attack.catalogue()?;
    let (loaded, rule_errors) = load_pack_rules("runtime", &args.rules, args.no_builtin, false)?;
    let table = RuntimeFields;
    let options = EngineOptions {
        matching: RuleMatching::All,
        min_priority: args.min_priority,
    };
    let (mut engine, skipped_errors) = source_engine(&loaded, &table, &options);
    if rule_errors + skipped_errors > 0 {
        eprintln!(
            "palisade watch: {} rules could not be loaded (above); the others run",
            rule_errors + skipped_errors
        );
    }
    let mut prefixes: Vec<PathPrefix> = if args.no_default_paths {
        Vec::new()
    } else {
        default_prefixes()
    };
    for p in &args.watch_paths {
        if !p.starts_with('/') {
            bail!("--watch-path `{p}` must be an absolute path prefix");
        }
        prefixes.push(PathPrefix {
            prefix: p.clone(),
            write_only: false,
        });
    }
    let ring_bytes = args
        .ring_mb
        .checked_mul(1 << 20)
        .filter(|b| b.is_power_of_two())
        .with_context(|| {
            format!(
                "--ring-mb {} is not a power of two up to 2048",
                args.ring_mb
            )
        })?;

    let (mut source, header) = if args.fallback {
        let pc = palisade_sensor::fallback::ProcConnector::open()
            .map_err(|e| anyhow::anyhow!("the fallback sensor could not start: {e}"))?;
        let header = RecordingHeader {
            schema: RECORDING_SCHEMA.into(),
            hostname: host::hostname(),
            kernel: host::kernel_release(),
            hooks: vec!["exec, fork, exit: netlink proc connector".into()],
            unavailable: palisade_sensor::fallback::UNAVAILABLE
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            mode: "fallback".into(),
        };
        (Source::Fallback(pc), header)
    } else {
        let sensor = match Sensor::start(&SensorOptions {
            ring_bytes,
            prefixes,
            ignore_self: true,
        }) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("palisade watch: the eBPF sensor could not start: {e}");
                eprintln!(
                    "  (run as root on a kernel with BTF; `palisade watch --fallback` gives process events only)"
                );
                return Ok(ExitCode::from(2));
            }
        };
        let report = sensor.report().clone();
        let header = RecordingHeader {
            schema: RECORDING_SCHEMA.into(),
            hostname: host::hostname(),
            kernel: host::kernel_release(),
            hooks: report.attached.clone(),
            unavailable: report.unavailable.clone(),
            mode: "ebpf".into(),
        };
        (Source::Ebpf(Box::new(sensor)), header)
    };
    eprintln!(
        "palisade watch: {} sensor on {} (kernel {}), {} rules",
        header.mode,
        header.hostname,
        header.kernel,
        engine.rules().count()
    );
    for h in &header.hooks {
        eprintln!("  hook {h}");
    }
    for u in &header.unavailable {
        eprintln!("  unavailable {u}");
    }

    let mut recorder = match &args.record {
        Some(path) => {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            writeln!(w, "{}", header_line(&header))?;
            Some(w)
        }
        None => None,
    };
    let hostname = header.hostname.clone();
    let mut writer = AlertWriter::open(
        args.format,
        args.output.as_deref(),
        args.store.as_deref(),
        args.term.width(),
        args.fail_on,
        catalogue,
    )?
    .flush_each(true)
    .hostname(&hostname);
    let color = args.term.color(args.output.is_some());

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the signal handler")?;
    }
    let directory = Directory::start(default_sources(&args.cri_sockets));
    let mut stream = EventStream::new(
        host::tracker_options(),
        host::running_processes(),
        directory,
    );
    let started = Instant::now();
    let mut last_metrics = started;
    let mut events_at_metrics = 0u64;
    let mut events = 0u64;
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut lost_reported = 0u64;
    let mut lost = 0u64;
    let mut last_lost_check = started;
    let mut record_error: Option<std::io::Error> = None;

    loop {
        let finishing =
            stop.load(Ordering::Relaxed) || args.duration.is_some_and(|d| started.elapsed() >= d);
        let drained = source.drain(&mut stream);
        stream.ready(Instant::now(), finishing, |event| {
            events += 1;
            *by_type.entry(event.evt_type.clone()).or_default() += 1;
            if let Some(w) = recorder.as_mut()
                && let Err(e) = writeln!(w, "{}", event_line(&event))
                && record_error.is_none()
            {
                record_error = Some(e);
            }
            engine.process(&event, |alert| {
                let record = runtime_alert_record(&alert, &event, catalogue);
                writer.emit(record, &alert);
            });
        });
        // Reading the per-CPU counters is a syscall per kind: a few times a second is enough.
        if finishing || last_lost_check.elapsed() >= Duration::from_millis(200) {
            lost = source.lost_total();
            last_lost_check = Instant::now();
        }
        if lost > lost_reported {
            writer.emit_record(
                drop_record(lost - lost_reported, lost, &hostname, now_ns()),
                Priority::Warning,
            );
            lost_reported = lost;
        }
        if !args.metrics_interval.is_zero() && last_metrics.elapsed() >= args.metrics_interval {
            let secs = last_metrics.elapsed().as_secs_f64();
            let dir = stream.directory().stats();
            eprintln!(
                "palisade watch: {:.0} events/s, {} events, {} alerts, {} lost, {} containers known, {} held",
                (events - events_at_metrics) as f64 / secs,
                events,
                writer.alerts(),
                lost,
                dir.known,
                stream.held()
            );
            last_metrics = Instant::now();
            events_at_metrics = events;
        }
        if finishing {
            break;
        }
        if drained == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    if let Some(mut w) = recorder.take() {
        w.flush().context("cannot write the recording")?;
    }
    if let Some(e) = record_error {
        return Err(e).context("cannot write the recording");
    }
    let counts = writer.summary_counts();
    let failing = writer.failing;
    let alerts = writer.alerts();
    writer.finish(&format!("{events} runtime events"))?;
    if !args.no_summary {
        let elapsed = started.elapsed().as_secs_f64();
        let mut summary = format!(
            "\nSummary: {events} runtime events in {elapsed:.1} s ({:.0}/s), {alerts} alerts, {} rules run\n",
            events as f64 / elapsed.max(0.001),
            engine.rules().count()
        );
        let types: Vec<String> = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
        if !types.is_empty() {
            summary.push_str(&format!("  events: {}\n", types.join(", ")));
        }
        match &source {
            Source::Ebpf(s) => {
                let lost = s.lost();
                if lost.is_empty() {
                    summary.push_str("  lost: 0\n");
                } else {
                    let kinds: Vec<String> = lost.iter().map(|(k, n)| format!("{k} {n}")).collect();
                    let cpus: Vec<String> = s
                        .lost_per_cpu()
                        .iter()
                        .enumerate()
                        .map(|(cpu, n)| format!("cpu{cpu} {n}"))
                        .collect();
                    summary.push_str(&format!(
                        "  lost: {} ({}; {})\n",
                        lost.iter().map(|(_, n)| n).sum::<u64>(),
                        kinds.join(", "),
                        cpus.join(", ")
                    ));
                }
            }
            Source::Fallback(p) => {
                summary.push_str(&format!(
                    "  fallback mode: process events only; {} lost, {} exits before their details could be read\n",
                    p.lost(),
                    p.unresolved()
                ));
            }
        }
        if stream.decode_errors > 0 {
            summary.push_str(&format!(
                "  {} records could not be decoded\n",
                stream.decode_errors
            ));
            for p in &stream.problems {
                summary.push_str(&format!("    {p}\n"));
            }
        }
        let dir = stream.directory().stats();
        summary.push_str(&format!("  containers: {} with metadata", dir.known));
        if !dir.failed.is_empty() {
            summary.push_str(&format!(", {} without:", dir.failed.len()));
            for (id, why) in dir.failed.iter().take(5) {
                summary.push_str(&format!("\n    {}: {why}", id.get(..12).unwrap_or(id)));
            }
        }
        summary.push('\n');
        summary.push_str(&counts);
        print_summary(
            &summary,
            args.format == DetectFormat::Table && args.output.is_none(),
            color,
        );
    }
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
