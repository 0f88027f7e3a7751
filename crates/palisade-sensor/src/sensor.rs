//! Loading the eBPF object, attaching its programs, and reading the ring buffer.

use crate::hooks::{Attach, HOOKS};
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use palisade_runtime::raw::{RawKind, layout};
use std::fmt;
use std::path::Path;

/// The kernel side, compiled by `cargo xtask ebpf` (committed so building needs no clang).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../bpf/sensor.bpf.o");

/// A watched path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix {
    /// The prefix (absolute path, at most 59 bytes).
    pub prefix: String,
    /// Only opens for writing, creation, truncation and removals.
    pub write_only: bool,
}

/// The sensitive paths watched by default: credentials and secrets (read or written),
/// and places whose modification is tampering or persistence (written only).
pub fn default_prefixes() -> Vec<PathPrefix> {
    let read = [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/kubernetes/",
        "/var/run/secrets/",
        "/run/secrets/",
        "/var/lib/kubelet/",
        "/root/.kube/",
        "/root/.aws/",
        "/root/.azure/",
        "/root/.config/gcloud/",
        "/root/.docker/",
        "/root/.ssh/",
        "/proc/1/root/",
        "/proc/1/environ",
        "/etc/containerd/",
        "/var/lib/docker/",
    ];
    let write = [
        "/var/log/",
        "/root/.bash_history",
        "/root/.ash_history",
        "/etc/passwd",
        "/etc/crontab",
        "/etc/cron.d/",
        "/var/spool/cron/",
        "/etc/ld.so.preload",
        "/proc/sys/",
        "/sys/kernel/",
        "/sys/fs/cgroup/",
        "/etc/falco/",
    ];
    read.iter()
        .map(|p| PathPrefix {
            prefix: (*p).to_owned(),
            write_only: false,
        })
        .chain(write.iter().map(|p| PathPrefix {
            prefix: (*p).to_owned(),
            write_only: true,
        }))
        .collect()
}

/// Sensor settings.
#[derive(Debug, Clone)]
pub struct SensorOptions {
    /// Ring buffer size in bytes (a power of two, at least a page).
    pub ring_bytes: u32,
    /// Watched path prefixes (at most 32).
    pub prefixes: Vec<PathPrefix>,
    /// Do not report this process's own activity.
    pub ignore_self: bool,
}

impl Default for SensorOptions {
    fn default() -> Self {
        SensorOptions {
            ring_bytes: 16 << 20,
            prefixes: default_prefixes(),
            ignore_self: true,
        }
    }
}

/// Why the sensor could not start.
#[derive(Debug)]
pub enum SensorError {
    /// Not root / missing capabilities.
    Permission(String),
    /// The kernel lacks BTF, the BPF ring buffer, or the object did not load.
    Unsupported(String),
    /// A setting is wrong.
    Config(String),
}

impl fmt::Display for SensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SensorError::Permission(m) | SensorError::Unsupported(m) | SensorError::Config(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for SensorError {}

/// What the sensor attached and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookReport {
    /// `exec: tp_btf/sched_process_exec`.
    pub attached: Vec<String>,
    /// `init_module: tracepoint/syscalls/sys_enter_init_module: <reason>`.
    pub unavailable: Vec<String>,
    /// Events with no working hook at all.
    pub missing_events: Vec<String>,
}

/// A running sensor. Dropping it detaches every program.
pub struct Sensor {
    // Keeps programs, links and maps alive.
    _ebpf: Ebpf,
    ring: RingBuf<MapData>,
    lost: PerCpuArray<MapData, u64>,
    report: HookReport,
}

fn tracefs_ready() -> bool {
    Path::new("/sys/kernel/tracing/events").is_dir()
        || Path::new("/sys/kernel/debug/tracing/events").is_dir()
}

/// Mount tracefs when it is missing (classic tracepoints attach through it).
fn ensure_tracefs() -> Result<(), String> {
    if tracefs_ready() {
        return Ok(());
    }
    nix::mount::mount(
        Some("tracefs"),
        "/sys/kernel/tracing",
        Some("tracefs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|e| format!("tracefs is not mounted and mounting it failed: {e}"))
}

fn encode_prefix(p: &PathPrefix) -> Result<[u8; 8 + layout::PREFIX], SensorError> {
    let bytes = p.prefix.as_bytes();
    if bytes.is_empty() || bytes.len() >= layout::PREFIX {
        return Err(SensorError::Config(format!(
            "watched path `{}` must be 1 to {} bytes",
            p.prefix,
            layout::PREFIX - 1
        )));
    }
    let mut out = [0u8; 8 + layout::PREFIX];
    out[0..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    out[4..8].copy_from_slice(&u32::from(p.write_only).to_le_bytes());
    out[8..8 + bytes.len()].copy_from_slice(bytes);
    Ok(out)
}

impl Sensor {
    /// Load the object, select and attach hooks, configure the path filter.
    pub fn start(options: &SensorOptions) -> Result<Sensor, SensorError> {
        if options.prefixes.len() > layout::MAX_PREFIXES {
            return Err(SensorError::Config(format!(
                "at most {} watched paths, got {}",
                layout::MAX_PREFIXES,
                options.prefixes.len()
            )));
        }
        if !options.ring_bytes.is_power_of_two() || options.ring_bytes < 4096 {
            return Err(SensorError::Config(format!(
                "ring buffer size {} is not a power of two of at least 4096",
                options.ring_bytes
            )));
        }
        let encoded: Vec<_> = options
            .prefixes
            .iter()
            .map(encode_prefix)
            .collect::<Result<_, _>>()?;
        if !Path::new("/sys/kernel/btf/vmlinux").exists() {
            return Err(SensorError::Unsupported(
                "this kernel has no BTF (/sys/kernel/btf/vmlinux): the eBPF sensor needs CONFIG_DEBUG_INFO_BTF; use --fallback for the reduced proc-connector mode".into(),
            ));
        }
        let btf = Btf::from_sys_fs()
            .map_err(|e| SensorError::Unsupported(format!("reading kernel BTF: {e}")))?;
        let tracefs = ensure_tracefs();
        let self_tgid: u32 = if options.ignore_self {
            std::process::id()
        } else {
            0
        };
        let prefix_count = encoded.len() as u32;
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .override_global("self_tgid", &self_tgid, true)
            .override_global("prefix_count", &prefix_count, true)
            .map_max_entries("events", options.ring_bytes)
            .load(OBJECT)
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("Operation not permitted") || text.contains("EPERM") {
                    SensorError::Permission(format!(
                        "loading the eBPF object was refused ({text}); run as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"
                    ))
                } else {
                    SensorError::Unsupported(format!("loading the eBPF object: {text}"))
                }
            })?;

        {
            let map = ebpf
                .map_mut("open_prefixes")
                .ok_or_else(|| SensorError::Unsupported("object lacks open_prefixes".into()))?;
            let mut prefixes: Array<&mut MapData, [u8; 8 + layout::PREFIX]> =
                Array::try_from(map).map_err(|e| SensorError::Unsupported(e.to_string()))?;
            for (i, p) in encoded.iter().enumerate() {
                prefixes
                    .set(i as u32, p, 0)
                    .map_err(|e| SensorError::Unsupported(format!("setting watched paths: {e}")))?;
            }
        }

        let mut report = HookReport::default();
        for hook in HOOKS {
            let mut any = false;
            for variant in hook.variants {
                if any && !hook.all {
                    break;
                }
                let mut errors = Vec::new();
                for (program, attach) in variant.programs {
                    if let Err(e) = attach_one(&mut ebpf, &btf, program, *attach, &tracefs) {
                        errors.push(format!("{}: {e}", attach.describe()));
                    }
                }
                let described: Vec<String> =
                    variant.programs.iter().map(|(_, a)| a.describe()).collect();
                if errors.is_empty() {
                    any = true;
                    report
                        .attached
                        .push(format!("{}: {}", hook.event, described.join(" + ")));
                } else {
                    report
                        .unavailable
                        .push(format!("{}: {}", hook.event, errors.join("; ")));
                }
            }
            if !any {
                report.missing_events.push(hook.event.to_owned());
            }
        }
        if report.attached.is_empty() {
            return Err(SensorError::Unsupported(format!(
                "no hook could be attached: {}",
                report.unavailable.join("; ")
            )));
        }

        let ring = RingBuf::try_from(
            ebpf.take_map("events")
                .ok_or_else(|| SensorError::Unsupported("object lacks the events map".into()))?,
        )
        .map_err(|e| SensorError::Unsupported(e.to_string()))?;
        let lost = PerCpuArray::try_from(
            ebpf.take_map("lost")
                .ok_or_else(|| SensorError::Unsupported("object lacks the lost map".into()))?,
        )
        .map_err(|e| SensorError::Unsupported(e.to_string()))?;
        Ok(Sensor {
            _ebpf: ebpf,
            ring,
            lost,
            report,
        })
    }

    /// What attached and what did not.
    pub fn report(&self) -> &HookReport {
        &self.report
    }

    /// Hand every record waiting in the ring buffer to `f`; returns how many.
    pub fn drain(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while let Some(item) = self.ring.next() {
            f(&item);
            n += 1;
        }
        n
    }

    /// Records the kernel side could not write (ring buffer full), per kind, summed over CPUs.
    pub fn lost(&self) -> Vec<(RawKind, u64)> {
        let mut out = Vec::new();
        for kind in RawKind::ALL {
            if let Ok(values) = self.lost.get(&kind.number(), 0) {
                let total: u64 = values.iter().sum();
                if total > 0 {
                    out.push((kind, total));
                }
            }
        }
        out
    }

    /// Per-CPU lost counts (index = CPU), all kinds together.
    pub fn lost_per_cpu(&self) -> Vec<u64> {
        let mut per_cpu: Vec<u64> = Vec::new();
        for kind in RawKind::ALL {
            if let Ok(values) = self.lost.get(&kind.number(), 0) {
                if per_cpu.len() < values.len() {
                    per_cpu.resize(values.len(), 0);
                }
                for (cpu, v) in values.iter().enumerate() {
                    per_cpu[cpu] += v;
                }
            }
        }
        per_cpu
    }
}

fn attach_one(
    ebpf: &mut Ebpf,
    btf: &Btf,
    program: &str,
    attach: Attach,
    tracefs: &Result<(), String>,
) -> Result<(), String> {
    let prog = ebpf
        .program_mut(program)
        .ok_or_else(|| format!("program {program} is not in the object"))?;
    match attach {
        Attach::TpBtf(name) => {
            let p: &mut BtfTracePoint = prog.try_into().map_err(|e| format!("{e}"))?;
            p.load(name, btf).map_err(|e| format!("load: {e}"))?;
            p.attach().map_err(|e| format!("attach: {e}"))?;
        }
        Attach::TracePoint(category, name) => {
            if let Err(e) = tracefs {
                return Err(e.clone());
            }
            let exists = [
                "/sys/kernel/tracing/events",
                "/sys/kernel/debug/tracing/events",
            ]
            .iter()
            .any(|root| Path::new(root).join(category).join(name).is_dir());
            if !exists {
                return Err("the kernel has no such tracepoint".into());
            }
            let p: &mut TracePoint = prog.try_into().map_err(|e| format!("{e}"))?;
            p.load().map_err(|e| format!("load: {e}"))?;
            p.attach(category, name)
                .map_err(|e| format!("attach: {e}"))?;
        }
    }
    Ok(())
}
