//! What the sensor reads from the host at start: the processes already running, pid 1's
//! namespaces, the clock offset, user names.

use palisade_runtime::tracker::{HostNamespaces, ProcInfo, TrackerOptions};
use std::collections::HashMap;
use std::fs;
use std::sync::Arc;

/// CLOCK_REALTIME − CLOCK_BOOTTIME in nanoseconds.
pub fn boot_to_wall_ns() -> i64 {
    use nix::time::{ClockId, clock_gettime};
    let ns = |c: ClockId| {
        clock_gettime(c)
            .map(|t| t.tv_sec() * 1_000_000_000 + t.tv_nsec())
            .unwrap_or(0)
    };
    let wall = ns(ClockId::CLOCK_REALTIME);
    let boot = ns(ClockId::CLOCK_BOOTTIME);
    wall - boot
}

fn ns_inode(pid: &str, ns: &str) -> u32 {
    // The link reads `mnt:[4026531841]`.
    fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .ok()
        .and_then(|p| {
            let s = p.to_string_lossy().into_owned();
            let start = s.find('[')? + 1;
            let end = s.find(']')?;
            s.get(start..end)?.parse().ok()
        })
        .unwrap_or(0)
}

/// The host's namespaces: pid 1's, or this process's own where pid 1's cannot be read
/// (some sandboxes hide them; the sensor runs in the host's namespaces).
pub fn host_namespaces() -> HostNamespaces {
    let of = |ns: &str| match ns_inode("1", ns) {
        0 => ns_inode("self", ns),
        n => n,
    };
    HostNamespaces {
        pid: of("pid"),
        mnt: of("mnt"),
        net: of("net"),
        uts: of("uts"),
        ipc: of("ipc"),
        cgroup: of("cgroup"),
        user: of("user"),
    }
}

/// uid → name from `/etc/passwd`.
pub fn users() -> HashMap<u32, String> {
    parse_passwd(&fs::read_to_string("/etc/passwd").unwrap_or_default())
}

/// Parse passwd text.
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(':');
            let name = parts.next()?;
            let uid = parts.nth(1)?.parse().ok()?;
            Some((uid, name.to_owned()))
        })
        .collect()
}

/// Host name.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Kernel release.
pub fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Tracker settings for this host.
pub fn tracker_options() -> TrackerOptions {
    TrackerOptions {
        boot_to_wall_ns: boot_to_wall_ns(),
        host: host_namespaces(),
        hostname: hostname(),
        users: users(),
    }
}

/// Parent pid from the text of `/proc/<pid>/stat` (the comm may contain spaces and
/// parentheses, so read after the last `)`).
pub fn ppid_from_stat(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Nanoseconds per clock tick of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux
/// architecture Palisade runs on).
const NS_PER_TICK: u64 = 10_000_000;

/// When the process started, nanoseconds since boot, from `/proc/<pid>/stat`'s field 22
/// (`starttime`, in clock ticks).
pub fn start_boot_ns_from_stat(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    ticks.checked_mul(NS_PER_TICK)
}

/// Every process now running, for the tracker's table.
pub fn running_processes() -> Vec<(u32, ProcInfo)> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let base = format!("/proc/{pid}");
        let Ok(stat) = fs::read_to_string(format!("{base}/stat")) else {
            continue;
        };
        let Some(ppid) = ppid_from_stat(&stat) else {
            continue;
        };
        let comm = fs::read_to_string(format!("{base}/comm"))
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default();
        let cmdline = fs::read(format!("{base}/cmdline")).unwrap_or_default();
        let argv: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        let exepath = fs::read_link(format!("{base}/exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fileless = exepath.contains("memfd:") || exepath.ends_with(" (deleted)");
        out.push((
            pid,
            ProcInfo {
                ppid,
                name: comm,
                exe: argv.first().cloned().unwrap_or_default(),
                exepath,
                args: Arc::new(argv.into_iter().skip(1).collect()),
                fileless,
                exe_ino: 0,
                start_boot_ns: start_boot_ns_from_stat(&stat),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_passwd() {
        assert_eq!(ppid_from_stat("42 (a) b) c) S 7 42 42 0"), Some(7));
        assert_eq!(ppid_from_stat("garbage"), None);
        let stat = "42 (a b) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10";
        assert_eq!(start_boot_ns_from_stat(stat), Some(1_234_560_000_000));
        assert_eq!(start_boot_ns_from_stat("42 (a) S 7"), None);
        let users =
            parse_passwd("root:x:0:0:root:/root:/bin/sh\nbad\nbob:x:1000:1000::/h:/bin/sh\n");
        assert_eq!(users[&0], "root");
        assert_eq!(users[&1000], "bob");
        assert_eq!(users.len(), 2);
    }

    #[test]
    fn this_host_has_namespaces_and_processes() {
        // Reads the real /proc: pid 1 exists everywhere Linux runs.
        let ns = host_namespaces();
        assert!(ns.mnt != 0 && ns.pid != 0);
        let procs = running_processes();
        let me = std::process::id();
        assert!(procs.iter().any(|(pid, _)| *pid == me));
    }
}
