//! The reduced mode for kernels where the eBPF sensor cannot load: process events from the
//! kernel's proc connector (netlink) and opens of the host's own sensitive files from
//! fanotify.
//!
//! What it cannot do, said in every recording header and summary ([`UNAVAILABLE`]):
//! no network, mount, namespace, module or memfd events; no file events inside
//! containers (their files live on other filesystems); and details of a process (argv,
//! executable, cgroup) are read from `/proc` after the fact, so a process that exits first
//! is reported without them (counted as unresolved).

use palisade_runtime::raw::{RawBody, RawEvent, RawHeader, RawKind};
use std::fs;
use std::os::fd::AsRawFd;

/// Event kinds the fallback cannot observe.
pub const UNAVAILABLE: &[&str] = &[
    "connect, listen, accept: no network events without eBPF",
    "setns, unshare, mount, ptrace (other than attach), memfd_create, capset, modules, bpf: no syscall events without eBPF",
    "open: only the host's own sensitive files (fanotify), not files inside containers",
    "exec details: read from /proc after the event, missing for processes that exit first",
];

const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_DONE: u16 = 3;

const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_UID: u32 = 0x4;
const PROC_EVENT_GID: u32 = 0x40;
const PROC_EVENT_PTRACE: u32 = 0x100;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// A process event from the proc connector, before `/proc` is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcEvent {
    /// fork: parent tgid, child pid, child tgid.
    Fork {
        /// Parent process.
        parent_tgid: u32,
        /// New task.
        child_pid: u32,
        /// Its process.
        child_tgid: u32,
    },
    /// exec.
    Exec {
        /// Process.
        tgid: u32,
    },
    /// uid change.
    Uid {
        /// Process.
        tgid: u32,
        /// Real uid.
        ruid: u32,
        /// Effective uid.
        euid: u32,
    },
    /// gid change.
    Gid {
        /// Process.
        tgid: u32,
        /// Real gid.
        rgid: u32,
        /// Effective gid.
        egid: u32,
    },
    /// ptrace attach.
    Ptrace {
        /// Traced process.
        tgid: u32,
        /// Tracer.
        tracer_tgid: u32,
    },
    /// exit.
    Exit {
        /// Task.
        pid: u32,
        /// Process.
        tgid: u32,
        /// Exit code.
        code: u32,
    },
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Parse the netlink messages of one datagram into process events.
pub fn parse_datagram(buf: &[u8]) -> Vec<ProcEvent> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDR <= buf.len() {
        let Some(len) = u32_at(buf, off).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDR || off + len > buf.len() {
            break;
        }
        let msg = &buf[off..off + len];
        // proc_event: what, cpu, timestamp_ns, then the union
        let ev = NLMSG_HDR + CN_MSG;
        let data = ev + 16;
        let get = |i: usize| u32_at(msg, data + 4 * i);
        if let Some(what) = u32_at(msg, ev) {
            let parsed = match what {
                PROC_EVENT_FORK => (|| {
                    Some(ProcEvent::Fork {
                        parent_tgid: get(1)?,
                        child_pid: get(2)?,
                        child_tgid: get(3)?,
                    })
                })(),
                PROC_EVENT_EXEC => get(1).map(|tgid| ProcEvent::Exec { tgid }),
                PROC_EVENT_UID => (|| {
                    Some(ProcEvent::Uid {
                        tgid: get(1)?,
                        ruid: get(2)?,
                        euid: get(3)?,
                    })
                })(),
                PROC_EVENT_GID => (|| {
                    Some(ProcEvent::Gid {
                        tgid: get(1)?,
                        rgid: get(2)?,
                        egid: get(3)?,
                    })
                })(),
                PROC_EVENT_PTRACE => (|| {
                    Some(ProcEvent::Ptrace {
                        tgid: get(1)?,
                        tracer_tgid: get(3)?,
                    })
                })(),
                PROC_EVENT_EXIT => (|| {
                    Some(ProcEvent::Exit {
                        pid: get(0)?,
                        tgid: get(1)?,
                        code: get(2)?,
                    })
                })(),
                _ => None,
            };
            out.extend(parsed);
        }
        off += (len + 3) & !3;
    }
    out
}

/// The subscription message.
fn listen_message() -> Vec<u8> {
    let total = NLMSG_HDR + CN_MSG + 4;
    let mut m = vec![0u8; total];
    m[0..4].copy_from_slice(&(total as u32).to_le_bytes());
    m[4..6].copy_from_slice(&NLMSG_DONE.to_le_bytes());
    m[12..16].copy_from_slice(&std::process::id().to_le_bytes());
    m[16..20].copy_from_slice(&CN_IDX_PROC.to_le_bytes());
    m[20..24].copy_from_slice(&CN_VAL_PROC.to_le_bytes());
    m[32..34].copy_from_slice(&4u16.to_le_bytes());
    m[36..40].copy_from_slice(&PROC_CN_MCAST_LISTEN.to_le_bytes());
    m
}

fn boot_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
        .map(|t| (t.tv_sec() * 1_000_000_000 + t.tv_nsec()) as u64)
        .unwrap_or(0)
}

fn ns_of(pid: u32, ns: &str) -> u32 {
    fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .ok()
        .and_then(|p| {
            let s = p.to_string_lossy().into_owned();
            s.get(s.find('[')? + 1..s.find(']')?)?.parse().ok()
        })
        .unwrap_or(0)
}

/// A record header read from `/proc/<pid>` (None when the process is gone).
pub fn header_from_proc(pid: u32, kind: RawKind) -> Option<RawHeader> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ppid = crate::host::ppid_from_stat(&stat)?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let ids = |key: &str| -> Vec<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|rest| {
                rest.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let uids = ids("Uid:");
    let gids = ids("Gid:");
    let nspid = ids("NSpid:");
    let cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    // the path naming a container if any, else the unified one
    let path = cgroup
        .lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .find(|p| palisade_runtime::cgroup::container_of_path(p).is_some())
        .or_else(|| cgroup.lines().find_map(|l| l.strip_prefix("0::")))
        .unwrap_or("");
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let leaf = parts.next().unwrap_or("").to_owned();
    let parent = parts.next().unwrap_or("").to_owned();
    // tty_nr is the 7th field of stat, the 5th after the `)` that ends comm
    let tty_nr = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().nth(4)?.parse().ok())
        .unwrap_or(0);
    let cap_effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let loginuid = fs::read_to_string(format!("/proc/{pid}/loginuid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u32::MAX);
    Some(RawHeader {
        ts_boot_ns: boot_ns(),
        cgroup_v2_id: 0,
        cgroup_v1_id: 0,
        pid,
        tid: pid,
        ppid,
        uid: uids.first().copied().unwrap_or(0),
        gid: gids.first().copied().unwrap_or(0),
        euid: uids.get(1).copied().unwrap_or(0),
        loginuid,
        ns_pid: nspid.last().copied().unwrap_or(pid),
        pid_ns: ns_of(pid, "pid"),
        mnt_ns: ns_of(pid, "mnt"),
        net_ns: ns_of(pid, "net"),
        comm: fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default(),
        cgroup_leaf: leaf,
        cgroup_parent: if kind == RawKind::Exit {
            String::new()
        } else {
            parent
        },
        tty_nr,
        cap_effective,
    })
}

/// The proc-connector (and fanotify) source.
pub struct ProcConnector {
    socket: netlink_sys::Socket,
    fanotify: Option<nix::sys::fanotify::Fanotify>,
    buf: Vec<u8>,
    lost: u64,
    unresolved: u64,
}

/// Host files watched by fanotify in the fallback mode.
pub const FANOTIFY_FILES: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/root/.kube/config",
    "/etc/kubernetes/admin.conf",
];

impl ProcConnector {
    /// Subscribe to process events (needs CAP_NET_ADMIN).
    pub fn open() -> Result<ProcConnector, String> {
        let mut socket = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_CONNECTOR)
            .map_err(|e| format!("netlink connector socket: {e}"))?;
        socket
            .bind(&netlink_sys::SocketAddr::new(
                std::process::id(),
                CN_IDX_PROC,
            ))
            .map_err(|e| format!("binding the proc connector: {e}"))?;
        socket
            .send(&listen_message(), 0)
            .map_err(|e| format!("subscribing to process events (root needed): {e}"))?;
        socket.set_non_blocking(true).map_err(|e| e.to_string())?;
        let _ = socket.set_rx_buf_sz(8 << 20);
        let fanotify = Self::open_fanotify();
        Ok(ProcConnector {
            socket,
            fanotify,
            buf: vec![0u8; 1 << 16],
            lost: 0,
            unresolved: 0,
        })
    }

    fn open_fanotify() -> Option<nix::sys::fanotify::Fanotify> {
        use nix::fcntl::OFlag;
        use nix::sys::fanotify::{EventFFlags, Fanotify, InitFlags, MarkFlags, MaskFlags};
        let fan = Fanotify::init(
            InitFlags::FAN_CLASS_NOTIF | InitFlags::FAN_NONBLOCK | InitFlags::FAN_CLOEXEC,
            EventFFlags::O_RDONLY
                | EventFFlags::from_bits_truncate(OFlag::O_LARGEFILE.bits() as u32),
        )
        .ok()?;
        let mut any = false;
        for path in FANOTIFY_FILES {
            if fan
                .mark(
                    MarkFlags::FAN_MARK_ADD,
                    MaskFlags::FAN_OPEN | MaskFlags::FAN_MODIFY,
                    None,
                    Some(*path),
                )
                .is_ok()
            {
                any = true;
            }
        }
        any.then_some(fan)
    }

    /// Datagrams the kernel dropped (socket buffer full).
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Events whose process was gone before `/proc` could be read.
    pub fn unresolved(&self) -> u64 {
        self.unresolved
    }

    /// Read what is pending, turned into records.
    pub fn drain(&mut self, mut f: impl FnMut(RawEvent)) -> usize {
        let mut n = 0;
        loop {
            let mut slice = &mut self.buf[..];
            match self.socket.recv(&mut slice, 0) {
                Ok(len) => {
                    let events = parse_datagram(&self.buf[..len]);
                    for ev in events {
                        if let Some(raw) = self.raw_event(ev) {
                            f(raw);
                            n += 1;
                        }
                    }
                }
                Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => self.lost += 1,
                Err(_) => break,
            }
        }
        if let Some(fan) = &self.fanotify
            && let Ok(events) = fan.read_events()
        {
            for ev in events {
                let pid = ev.pid() as u32;
                let path = ev
                    .fd()
                    .and_then(|fd| fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok())
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let write = ev
                    .mask()
                    .contains(nix::sys::fanotify::MaskFlags::FAN_MODIFY);
                let header = header_from_proc(pid, RawKind::Open).unwrap_or_else(|| {
                    self.unresolved += 1;
                    RawHeader {
                        pid,
                        tid: pid,
                        ts_boot_ns: boot_ns(),
                        ..RawHeader::default()
                    }
                });
                f(RawEvent {
                    kind: RawKind::Open,
                    header,
                    body: RawBody::Open {
                        flags: if write { 1 } else { 0 },
                        mode: 0,
                        ret: 0,
                        matched: 1,
                        path,
                    },
                });
                n += 1;
            }
        }
        n
    }

    fn raw_event(&mut self, ev: ProcEvent) -> Option<RawEvent> {
        let short = |args: [i64; 6]| RawBody::Syscall {
            args,
            strings: Default::default(),
        };
        let (pid, kind, body) = match ev {
            ProcEvent::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
            } => {
                if child_pid != child_tgid {
                    return None; // a thread
                }
                (
                    parent_tgid,
                    RawKind::Fork,
                    short([i64::from(child_tgid), 1, 0, 0, 0, 0]),
                )
            }
            ProcEvent::Exec { tgid } => {
                let argv: Vec<String> = fs::read(format!("/proc/{tgid}/cmdline"))
                    .unwrap_or_default()
                    .split(|&b| b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
                let exe = fs::read_link(format!("/proc/{tgid}/exe"))
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let deleted = exe.ends_with(" (deleted)") || exe.contains("memfd:");
                (
                    tgid,
                    RawKind::Exec,
                    RawBody::Exec {
                        exe_nlink: u32::from(!deleted),
                        exe_ino: 0,
                        filename: argv.first().cloned().unwrap_or_else(|| exe.clone()),
                        exe_path: exe,
                        args: argv,
                        args_truncated: false,
                    },
                )
            }
            ProcEvent::Uid { tgid, ruid, euid } => (
                tgid,
                RawKind::Setuid,
                short([i64::from(ruid), i64::from(euid), 0, 2, 1, 0]),
            ),
            ProcEvent::Gid { tgid, rgid, egid } => (
                tgid,
                RawKind::Setgid,
                short([i64::from(rgid), i64::from(egid), 0, 2, 1, 0]),
            ),
            ProcEvent::Ptrace { tgid, tracer_tgid } => {
                if tracer_tgid == 0 {
                    return None; // detach
                }
                (
                    tracer_tgid,
                    RawKind::Ptrace,
                    short([16, i64::from(tgid), 0, 0, 0, 0]),
                )
            }
            ProcEvent::Exit { pid, tgid, code } => {
                if pid != tgid {
                    return None;
                }
                // the process is gone: the tracker knows it from earlier events
                return Some(RawEvent {
                    kind: RawKind::Exit,
                    header: RawHeader {
                        pid: tgid,
                        tid: tgid,
                        ts_boot_ns: boot_ns(),
                        ..RawHeader::default()
                    },
                    body: short([i64::from(code), 0, 0, 0, 0, 0]),
                });
            }
        };
        let header = match header_from_proc(pid, kind) {
            Some(h) => h,
            None => {
                self.unresolved += 1;
                RawHeader {
                    pid,
                    tid: pid,
                    ts_boot_ns: boot_ns(),
                    ..RawHeader::default()
                }
            }
        };
        Some(RawEvent { kind, header, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(what: u32, data: &[u32]) -> Vec<u8> {
        let len = NLMSG_HDR + CN_MSG + 16 + 4 * data.len();
        let mut m = vec![0u8; len];
        m[0..4].copy_from_slice(&(len as u32).to_le_bytes());
        let ev = NLMSG_HDR + CN_MSG;
        m[ev..ev + 4].copy_from_slice(&what.to_le_bytes());
        for (i, d) in data.iter().enumerate() {
            let at = ev + 16 + 4 * i;
            m[at..at + 4].copy_from_slice(&d.to_le_bytes());
        }
        m
    }

    #[test]
    fn datagrams_parse_into_process_events() {
        let mut dgram = message(PROC_EVENT_FORK, &[10, 10, 11, 11]);
        dgram.extend(message(PROC_EVENT_EXEC, &[11, 11]));
        dgram.extend(message(PROC_EVENT_EXIT, &[11, 11, 256, 17, 10, 10]));
        dgram.extend(message(PROC_EVENT_UID, &[11, 11, 0, 0]));
        dgram.extend(message(0x200, &[11, 11])); // comm change: ignored
        assert_eq!(
            parse_datagram(&dgram),
            vec![
                ProcEvent::Fork {
                    parent_tgid: 10,
                    child_pid: 11,
                    child_tgid: 11
                },
                ProcEvent::Exec { tgid: 11 },
                ProcEvent::Exit {
                    pid: 11,
                    tgid: 11,
                    code: 256
                },
                ProcEvent::Uid {
                    tgid: 11,
                    ruid: 0,
                    euid: 0
                },
            ]
        );
        // truncated and garbage input never panics
        assert!(parse_datagram(&dgram[..20]).is_empty());
        assert!(parse_datagram(&[0xff; 64]).is_empty());
    }

    #[test]
    fn subscription_message_layout() {
        let m = listen_message();
        assert_eq!(m.len(), 40);
        assert_eq!(u32_at(&m, 0), Some(40));
        assert_eq!(u32_at(&m, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&m, 36), Some(PROC_CN_MCAST_LISTEN));
    }

    #[test]
    fn this_process_header_from_proc() {
        let me = std::process::id();
        let h = header_from_proc(me, RawKind::Exec).unwrap();
        assert_eq!(h.pid, me);
        assert!(!h.comm.is_empty());
        assert!(h.mnt_ns != 0);
        assert!(header_from_proc(u32::MAX - 1, RawKind::Exec).is_none());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_datagram(&bytes);
        }
    }
}
