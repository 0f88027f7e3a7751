//! From decoded records to runtime events: the process tree (fork, exec, exit), the
//! container of each process, and the arguments named the way rules read them.
//!
//! The tracker is a state machine without I/O. The sensor seeds it from `/proc` at start
//! (processes that existed before), feeds it records in order, and supplies container
//! metadata through [`ContainerDirectory`], which must answer from a cache: the tracker
//! never waits.

use crate::cgroup::{CgroupContainer, container_of};
use crate::event::{Ancestor, Container, Fd, Process, RuntimeEvent};
use crate::names;
use crate::raw::{RawBody, RawEvent, RawHeader, RawKind, RawSock};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// How many ancestors an event carries (Falco's `proc.aname[N]` reads up to the root).
pub const MAX_ANCESTORS: usize = 8;

/// Bounds the process table: a pid never seen to exit (lost record) must not leak.
pub const MAX_PROCESSES: usize = 65_536;

/// What the tracker knows of a live process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// Parent pid.
    pub ppid: u32,
    /// Name (see [`Process::name`]).
    pub name: String,
    /// `argv[0]`.
    pub exe: String,
    /// Executable path.
    pub exepath: String,
    /// argv[1..].
    pub args: Arc<Vec<String>>,
    /// Runs from memory.
    pub fileless: bool,
    /// Executable inode.
    pub exe_ino: u64,
    /// When the process was created (its fork; for processes that existed before the
    /// sensor, `/proc`'s start time), nanoseconds since boot (the records' clock).
    pub start_boot_ns: Option<u64>,
}

/// Longest ancestor command line kept in an event (a parent's environment-sized argv
/// would otherwise be copied into every event of its children).
pub const MAX_ANCESTOR_CMDLINE: usize = 512;

impl ProcInfo {
    fn cmdline(&self) -> String {
        let mut s = self.name.clone();
        for a in self.args.iter() {
            if s.len() >= MAX_ANCESTOR_CMDLINE {
                break;
            }
            s.push(' ');
            s.push_str(a);
        }
        if s.len() > MAX_ANCESTOR_CMDLINE {
            let mut cut = MAX_ANCESTOR_CMDLINE;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
        }
        s
    }
}

/// The host's own namespaces (of pid 1), to tell "into the host" from "into a sibling".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostNamespaces {
    /// pid namespace inode of pid 1.
    pub pid: u32,
    /// mount namespace.
    pub mnt: u32,
    /// network namespace.
    pub net: u32,
    /// uts namespace.
    pub uts: u32,
    /// ipc namespace.
    pub ipc: u32,
    /// cgroup namespace.
    pub cgroup: u32,
    /// user namespace.
    pub user: u32,
}

impl HostNamespaces {
    /// Is `inode` one of the host's namespaces?
    pub fn contains(&self, inode: u64) -> bool {
        inode != 0
            && [
                self.pid,
                self.mnt,
                self.net,
                self.uts,
                self.ipc,
                self.cgroup,
                self.user,
            ]
            .iter()
            .any(|&n| u64::from(n) == inode)
    }
}

/// Container metadata, answered from a cache.
pub trait ContainerDirectory {
    /// Metadata of `container` if known now. A miss may schedule a lookup elsewhere; the
    /// event then carries only the id and runtime.
    fn lookup(&mut self, container: &CgroupContainer) -> Option<Arc<Container>>;
}

/// A directory that knows nothing (replays, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDirectory;

impl ContainerDirectory for NoDirectory {
    fn lookup(&mut self, _: &CgroupContainer) -> Option<Arc<Container>> {
        None
    }
}

/// Tracker settings.
#[derive(Debug, Clone, Default)]
pub struct TrackerOptions {
    /// Add this to CLOCK_BOOTTIME to get wall-clock nanoseconds.
    pub boot_to_wall_ns: i64,
    /// The host's namespaces.
    pub host: HostNamespaces,
    /// Host name stamped on events.
    pub hostname: String,
    /// uid → user name (host `/etc/passwd`).
    pub users: HashMap<u32, String>,
}

/// The process table and event builder.
#[derive(Debug, Default)]
pub struct Tracker {
    options: TrackerOptions,
    procs: HashMap<u32, ProcInfo>,
    /// Ancestor records, built once per process image and shared by every event.
    summaries: HashMap<u32, Arc<Ancestor>>,
    next_num: u64,
}

impl Tracker {
    /// A tracker with no known process.
    pub fn new(options: TrackerOptions) -> Tracker {
        Tracker {
            options,
            procs: HashMap::new(),
            summaries: HashMap::new(),
            next_num: 0,
        }
    }

    /// Record a process that existed before the sensor started.
    pub fn seed(&mut self, pid: u32, info: ProcInfo) {
        self.summaries.remove(&pid);
        self.procs.insert(pid, info);
    }

    /// Number of processes known.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// Is the table empty?
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    fn ancestors(&mut self, mut ppid: u32) -> Vec<Arc<Ancestor>> {
        let mut out = Vec::new();
        while ppid != 0 && out.len() < MAX_ANCESTORS {
            let Some(p) = self.procs.get(&ppid) else {
                break;
            };
            let summary = self.summaries.entry(ppid).or_insert_with(|| {
                Arc::new(Ancestor {
                    pid: ppid,
                    name: p.name.clone(),
                    exepath: p.exepath.clone(),
                    exe: p.exe.clone(),
                    cmdline: p.cmdline(),
                })
            });
            out.push(Arc::clone(summary));
            if p.ppid == ppid {
                break;
            }
            ppid = p.ppid;
        }
        out
    }

    fn make_room(&mut self) {
        if self.procs.len() >= MAX_PROCESSES {
            // Lost exits leave stale entries; dropping the table's oldest half by pid is
            // crude but bounded, and live processes are re-learned on their next exec.
            let mut pids: Vec<u32> = self.procs.keys().copied().collect();
            pids.sort_unstable();
            for pid in pids.iter().take(pids.len() / 2) {
                self.procs.remove(pid);
                self.summaries.remove(pid);
            }
        }
    }

    /// Turn one record into an event, updating the process table.
    pub fn process(
        &mut self,
        raw: &RawEvent,
        directory: &mut dyn ContainerDirectory,
    ) -> RuntimeEvent {
        let h = &raw.header;
        self.next_num += 1;
        let mut args = BTreeMap::new();
        let mut fd = None;
        let mut res = None;

        if let RawBody::Exec {
            exe_nlink,
            exe_ino,
            filename,
            exe_path,
            args: argv,
            args_truncated,
        } = &raw.body
        {
            let exe = argv.first().cloned().unwrap_or_else(|| filename.clone());
            let via_self = filename == "/proc/self/exe" || filename.starts_with("/dev/fd/");
            let name = if via_self && !exe.is_empty() {
                base_name(&exe).to_owned()
            } else {
                h.comm.clone()
            };
            let leaf = base_name(exe_path);
            let fileless = *exe_nlink == 0 || leaf.starts_with("memfd:");
            self.make_room();
            self.summaries.remove(&h.pid);
            // exec replaces the image, not the process: it keeps its start time.
            let start_boot_ns = self.procs.get(&h.pid).and_then(|p| p.start_boot_ns);
            self.procs.insert(
                h.pid,
                ProcInfo {
                    start_boot_ns,
                    ppid: h.ppid,
                    name,
                    exe,
                    exepath: if exe_path.is_empty() {
                        filename.clone()
                    } else {
                        exe_path.clone()
                    },
                    args: Arc::new(argv.iter().skip(1).cloned().collect()),
                    fileless,
                    exe_ino: *exe_ino,
                },
            );
            args.insert("filename".into(), filename.clone());
            if *args_truncated {
                args.insert("args_truncated".into(), "true".into());
            }
            res = Some(0);
        }

        let info = match self.procs.get(&h.pid) {
            Some(p) => {
                let mut p = p.clone();
                p.ppid = h.ppid;
                p
            }
            None => ProcInfo {
                ppid: h.ppid,
                name: h.comm.clone(),
                ..ProcInfo::default()
            },
        };

        match (&raw.kind, &raw.body) {
            (RawKind::Fork, RawBody::Syscall { args: a, .. }) => {
                let child = a[0] as u32;
                args.insert("child_pid".into(), child.to_string());
                res = Some(i64::from(child));
                self.make_room();
                let mut child_info = info.clone();
                child_info.ppid = h.pid;
                child_info.start_boot_ns = Some(h.ts_boot_ns);
                self.summaries.remove(&child);
                self.procs.insert(child, child_info);
            }
            (RawKind::Exit, RawBody::Syscall { args: a, .. }) => {
                let status = a[0];
                args.insert("status".into(), (status >> 8 & 0xff).to_string());
                if status & 0x7f != 0 {
                    args.insert("signal".into(), (status & 0x7f).to_string());
                }
            }
            (RawKind::Connect | RawKind::Listen | RawKind::Accept, RawBody::Sock(s)) => {
                fd = Some(sock_fd(raw.kind, s));
            }
            (
                RawKind::Open | RawKind::Unlink,
                RawBody::Open {
                    flags,
                    mode,
                    ret,
                    matched,
                    path,
                },
            ) => {
                let acc = flags & 0o3;
                let destructive = flags & (0o100 | 0o1000) != 0;
                let unlink = raw.kind == RawKind::Unlink;
                fd = Some(Fd {
                    num: if unlink { -1 } else { *ret },
                    kind: "file".into(),
                    name: path.clone(),
                    read: !unlink && (acc == 0 || acc == 2),
                    write: unlink || acc == 1 || acc == 2 || destructive,
                    ..Fd::default()
                });
                if !unlink {
                    args.insert("flags".into(), names::open_flags(*flags));
                    args.insert("mode".into(), format!("{mode:#o}"));
                }
                args.insert(
                    "name".into(),
                    path.clone(), // Falco's evt.arg.name of open
                );
                if *matched == 2 {
                    args.insert("escape_target".into(), "true".into());
                }
                res = Some(*ret);
            }
            (RawKind::Setns, RawBody::Syscall { args: a, .. }) => {
                let target = a[2] as u64;
                args.insert("fd".into(), a[0].to_string());
                args.insert("nstype".into(), names::clone_flags(a[1]));
                args.insert("target_ns".into(), target.to_string());
                let into_host = self.options.host.contains(target)
                    && ![
                        u64::from(h.pid_ns),
                        u64::from(h.mnt_ns),
                        u64::from(h.net_ns),
                    ]
                    .contains(&target);
                args.insert("target_is_host".into(), into_host.to_string());
            }
            (RawKind::Unshare, RawBody::Syscall { args: a, .. }) => {
                args.insert("flags".into(), names::clone_flags(a[0]));
            }
            (RawKind::Mount, RawBody::Syscall { args: a, strings }) => {
                args.insert("dev".into(), strings[0].clone());
                args.insert("dir".into(), strings[1].clone());
                args.insert("type".into(), strings[2].clone());
                args.insert("flags".into(), format!("{:#x}", a[3]));
            }
            (RawKind::Ptrace, RawBody::Syscall { args: a, .. }) => {
                args.insert("request".into(), names::ptrace_request(a[0]));
                args.insert("pid".into(), a[1].to_string());
            }
            (RawKind::MemfdCreate, RawBody::Syscall { args: a, strings }) => {
                args.insert("name".into(), strings[0].clone());
                args.insert("flags".into(), format!("{:#x}", a[1]));
            }
            (RawKind::Setuid | RawKind::Setgid, RawBody::Syscall { args: a, .. }) => {
                let what = if raw.kind == RawKind::Setuid {
                    "uid"
                } else {
                    "gid"
                };
                let ids: Vec<String> = a[..a[3].clamp(1, 3) as usize]
                    .iter()
                    .map(|x| (*x as i32).to_string())
                    .collect();
                match ids.len() {
                    1 => {
                        args.insert(what.into(), ids[0].clone());
                    }
                    _ => {
                        for (prefix, id) in ["r", "e", "s"].iter().zip(&ids) {
                            args.insert(format!("{prefix}{what}"), id.clone());
                        }
                        // the id the process ends up running as
                        args.insert(what.into(), ids[1].clone());
                    }
                }
            }
            (RawKind::Capset, RawBody::Syscall { args: a, .. }) => {
                args.insert("cap_effective".into(), names::capabilities(a[0] as u64));
                args.insert("cap_permitted".into(), names::capabilities(a[1] as u64));
            }
            (RawKind::InitModule | RawKind::FinitModule, RawBody::Syscall { strings, .. }) => {
                args.insert("uargs".into(), strings[0].clone());
            }
            (RawKind::Bpf, RawBody::Syscall { args: a, .. }) => {
                args.insert("cmd".into(), names::bpf_cmd(a[0]));
            }
            _ => {}
        }

        let container = container_of(&h.cgroup_leaf, &h.cgroup_parent).map(|c| {
            let mut container = Container {
                id: c.id.clone(),
                runtime: c.runtime.clone(),
                pod: c.pod_uid.as_ref().map(|uid| crate::event::Pod {
                    uid: uid.clone(),
                    ..Default::default()
                }),
                ..Container::default()
            };
            if let Some(meta) = directory.lookup(&c) {
                container.apply_metadata(&meta);
            }
            container
        });

        let ancestors = self.ancestors(h.ppid);
        let event = RuntimeEvent {
            num: self.next_num,
            time_ns: (h.ts_boot_ns as i64).saturating_add(self.options.boot_to_wall_ns),
            evt_type: raw.kind.evt_type().to_owned(),
            proc: self.process_of(h, &info),
            ancestors,
            container,
            fd,
            args,
            res,
            hostname: self.options.hostname.clone(),
        };
        if raw.kind == RawKind::Exit {
            self.procs.remove(&h.pid);
            self.summaries.remove(&h.pid);
        }
        event
    }

    fn process_of(&self, h: &RawHeader, info: &ProcInfo) -> Process {
        Process {
            pid: h.pid,
            tid: h.tid,
            ppid: h.ppid,
            vpid: h.ns_pid,
            uid: h.uid,
            gid: h.gid,
            euid: h.euid,
            loginuid: (h.loginuid != u32::MAX).then_some(h.loginuid),
            user: self.options.users.get(&h.uid).cloned().or_else(|| {
                // root is root in every container; other uids are only known on the host
                (h.uid == 0).then(|| "root".to_owned())
            }),
            comm: h.comm.clone(),
            name: info.name.clone(),
            exe: info.exe.clone(),
            exepath: info.exepath.clone(),
            args: info.args.as_ref().clone(),
            fileless: info.fileless,
            exe_ino: info.exe_ino,
            start_ns: info
                .start_boot_ns
                .map(|b| (b as i64).saturating_add(self.options.boot_to_wall_ns)),
            pid_ns: h.pid_ns,
            mnt_ns: h.mnt_ns,
            net_ns: h.net_ns,
            cgroup: if h.cgroup_parent.is_empty() {
                h.cgroup_leaf.clone()
            } else {
                format!("{}/{}", h.cgroup_parent, h.cgroup_leaf)
            },
            tty: h.tty_nr,
            cap_effective: h.cap_effective,
        }
    }
}

/// The part of a path after its last `/`.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn ip_text(family: u16, bytes: &[u8; 16]) -> String {
    if family == 2 {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])).to_string()
    } else {
        IpAddr::V6(Ipv6Addr::from(*bytes)).to_string()
    }
}

fn sock_fd(kind: RawKind, s: &RawSock) -> Fd {
    if s.family == 1 {
        return Fd {
            num: i64::from(s.fd),
            kind: "unix".into(),
            name: s.unix_path.clone(),
            read: true,
            write: true,
            ..Fd::default()
        };
    }
    let fam = if s.family == 2 { "ipv4" } else { "ipv6" };
    let l4proto = match s.sock_type {
        1 => Some("tcp".to_owned()),
        2 => Some("udp".to_owned()),
        3 => Some("raw".to_owned()),
        _ => None,
    };
    let local = ip_text(s.family, &s.local_addr);
    let remote = ip_text(s.family, &s.remote_addr);
    let join = |ip: &str, port: u16| {
        if s.family == 2 {
            format!("{ip}:{port}")
        } else {
            format!("[{ip}]:{port}")
        }
    };
    match kind {
        RawKind::Connect => Fd {
            num: i64::from(s.fd),
            kind: fam.into(),
            // the local side is not bound yet at connect time
            name: format!("->{}", join(&remote, s.remote_port)),
            dip: Some(remote),
            dport: Some(s.remote_port),
            read: true,
            write: true,
            l4proto,
            ..Fd::default()
        },
        RawKind::Listen => Fd {
            num: i64::from(s.fd),
            kind: fam.into(),
            name: join(&local, s.local_port),
            dip: Some(local),
            dport: Some(s.local_port),
            server: true,
            l4proto,
            ..Fd::default()
        },
        _ => Fd {
            num: i64::from(s.fd),
            kind: fam.into(),
            name: format!(
                "{}->{}",
                join(&remote, s.remote_port),
                join(&local, s.local_port)
            ),
            sip: Some(remote),
            sport: Some(s.remote_port),
            dip: Some(local),
            dport: Some(s.local_port),
            server: true,
            read: true,
            write: true,
            l4proto,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{RawHeader, RawSock};

    const ID: &str = "8a73346ba4ca0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b";

    fn header(pid: u32, ppid: u32, comm: &str) -> RawHeader {
        RawHeader {
            pid,
            tid: pid,
            ppid,
            comm: comm.into(),
            cgroup_leaf: format!("libpod-{ID}"),
            cgroup_parent: "libpod_parent".into(),
            pid_ns: 11,
            mnt_ns: 12,
            net_ns: 13,
            loginuid: u32::MAX,
            ..RawHeader::default()
        }
    }

    /// `pid` (child of `ppid`, named `comm`) forks `child`.
    fn fork(pid: u32, ppid: u32, comm: &str, child: u32) -> RawEvent {
        RawEvent {
            kind: RawKind::Fork,
            header: header(pid, ppid, comm),
            body: RawBody::Syscall {
                args: [i64::from(child), 1, 0, 0, 0, 0],
                strings: Default::default(),
            },
        }
    }

    fn exec(pid: u32, ppid: u32, filename: &str, exe_path: &str, argv: &[&str]) -> RawEvent {
        RawEvent {
            kind: RawKind::Exec,
            header: header(pid, ppid, base_name(filename)),
            body: RawBody::Exec {
                exe_nlink: 1,
                exe_ino: 5,
                filename: filename.into(),
                exe_path: exe_path.into(),
                args: argv.iter().map(|s| s.to_string()).collect(),
                args_truncated: false,
            },
        }
    }

    struct OneContainer;
    impl ContainerDirectory for OneContainer {
        fn lookup(&mut self, c: &CgroupContainer) -> Option<Arc<Container>> {
            Some(Arc::new(Container {
                id: c.id.clone(),
                runtime: c.runtime.clone(),
                name: Some("web".into()),
                image: Some("localhost/palisade-busybox:test".into()),
                ..Container::default()
            }))
        }
    }

    /// `proc.duration` counts from the fork, through exec; a seeded process from its
    /// `/proc` start; a process seen neither way has none.
    #[test]
    fn process_start_comes_from_the_fork_and_survives_exec() {
        let boot_to_wall = 1_000_000_000_000_000_000;
        let mut t = Tracker::new(TrackerOptions {
            boot_to_wall_ns: boot_to_wall,
            ..TrackerOptions::default()
        });
        t.seed(
            100,
            ProcInfo {
                ppid: 1,
                name: "sh".into(),
                start_boot_ns: Some(5_000_000_000),
                ..ProcInfo::default()
            },
        );
        let at = |mut raw: RawEvent, ns: u64| {
            raw.header.ts_boot_ns = ns;
            raw
        };
        let fork = fork(100, 1, "sh", 101);
        let e = t.process(&at(fork, 9_000_000_000), &mut NoDirectory);
        assert_eq!(e.proc.start_ns, Some(boot_to_wall + 5_000_000_000));
        let e = t.process(
            &at(
                exec(101, 100, "/bin/cat", "/bin/cat", &["cat"]),
                9_500_000_000,
            ),
            &mut NoDirectory,
        );
        assert_eq!(e.proc.start_ns, Some(boot_to_wall + 9_000_000_000));
        let dur = crate::RuntimeFields
            .resolve("proc.duration", None)
            .expect("field");
        use palisade_engine::field::{Event, FieldTable};
        assert_eq!(e.get(&dur).render(), "500000000");
        let e = t.process(
            &at(exec(300, 1, "/bin/ls", "/bin/ls", &["ls"]), 9_600_000_000),
            &mut NoDirectory,
        );
        assert_eq!(e.proc.start_ns, None);
        assert_eq!(e.get(&dur).render(), "<NA>");
    }

    #[test]
    fn busybox_applets_are_named_by_argv0_and_ancestry_follows_fork_and_exec() {
        let mut t = Tracker::new(TrackerOptions::default());
        t.seed(
            100,
            ProcInfo {
                ppid: 1,
                name: "sh".into(),
                exe: "/bin/sh".into(),
                exepath: "/bin/busybox".into(),
                ..ProcInfo::default()
            },
        );
        let fork = fork(100, 1, "sh", 101);
        let e = t.process(&fork, &mut NoDirectory);
        assert_eq!(e.evt_type, "clone");
        assert_eq!(e.args["child_pid"], "101");
        let e = t.process(
            &exec(
                101,
                100,
                "/proc/self/exe",
                "/bin/busybox",
                &["nsenter", "-t", "1", "-m"],
            ),
            &mut OneContainer,
        );
        assert_eq!(e.proc.comm, "exe");
        assert_eq!(e.proc.name, "nsenter");
        assert_eq!(e.proc.exepath, "/bin/busybox");
        assert_eq!(e.proc.cmdline(), "nsenter -t 1 -m");
        assert_eq!(e.ancestors[0].name, "sh");
        let c = e.container.unwrap();
        assert_eq!(c.short_id(), &ID[..12]);
        assert_eq!(c.name.as_deref(), Some("web"));
        // a later event of the same process sees the exec'd image
        let conn = RawEvent {
            kind: RawKind::Connect,
            header: header(101, 100, "exe"),
            body: RawBody::Sock(RawSock {
                fd: 3,
                family: 2,
                remote_port: 3333,
                remote_addr: [10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                ..RawSock::default()
            }),
        };
        let e = t.process(&conn, &mut NoDirectory);
        assert_eq!(e.proc.name, "nsenter");
        let fd = e.fd.unwrap();
        assert_eq!(
            (fd.dip.as_deref(), fd.dport),
            (Some("10.1.2.3"), Some(3333))
        );
        assert_eq!(fd.name, "->10.1.2.3:3333");
        // exit forgets the process
        let exit = RawEvent {
            kind: RawKind::Exit,
            header: header(101, 100, "exe"),
            body: RawBody::Syscall {
                args: [256, 0, 0, 0, 0, 0],
                strings: Default::default(),
            },
        };
        let e = t.process(&exit, &mut NoDirectory);
        assert_eq!(e.args["status"], "1");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn setns_into_the_hosts_namespace_is_marked() {
        let mut t = Tracker::new(TrackerOptions {
            host: HostNamespaces {
                mnt: 4_026_531_841,
                ..HostNamespaces::default()
            },
            ..TrackerOptions::default()
        });
        let raw = |target: i64| RawEvent {
            kind: RawKind::Setns,
            header: header(7, 1, "nsenter"),
            body: RawBody::Syscall {
                args: [3, 0x0002_0000, target, 0, 0, 0],
                strings: Default::default(),
            },
        };
        let e = t.process(&raw(4_026_531_841), &mut NoDirectory);
        assert_eq!(e.args["target_is_host"], "true");
        assert_eq!(e.args["nstype"], "CLONE_NEWNS");
        let e = t.process(&raw(4_026_532_999), &mut NoDirectory);
        assert_eq!(e.args["target_is_host"], "false");
    }

    #[test]
    fn memfd_exec_is_fileless_and_open_flags_are_named() {
        let mut t = Tracker::new(TrackerOptions::default());
        let mut raw = exec(9, 1, "/proc/self/fd/3", "/memfd:payload (deleted)", &["x"]);
        if let RawBody::Exec { exe_nlink, .. } = &mut raw.body {
            *exe_nlink = 0;
        }
        let e = t.process(&raw, &mut NoDirectory);
        assert!(e.proc.fileless);
        let open = RawEvent {
            kind: RawKind::Open,
            header: header(9, 1, "sh"),
            body: RawBody::Open {
                flags: 0o1101,
                mode: 0o644,
                ret: 3,
                matched: 2,
                path: "/tmp/c/release_agent".into(),
            },
        };
        let e = t.process(&open, &mut NoDirectory);
        let fd = e.fd.unwrap();
        assert!(fd.write && !fd.read);
        assert_eq!(e.args["flags"], "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(e.args["escape_target"], "true");
    }
}
