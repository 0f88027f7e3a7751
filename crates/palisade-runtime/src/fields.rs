//! The `syscall` field table: the Falco syscall fields runtime events can provide, so
//! Falco-style rules (`source: syscall`, the default source) run on Palisade's sensor.
//!
//! Differences from Falco, on purpose or by what the sensor sees:
//! * `evt.dir` is `<` for every event: the sensor reports one record per call (connect,
//!   setns, mount, ptrace and the id changes are taken at entry, as attempts; exec, open,
//!   accept at exit, with their result).
//! * `proc.name` of an image exec'd through `/proc/self/exe` or `/dev/fd/N` (BusyBox
//!   applets, runc) is `argv[0]`'s base name, not the kernel's `exe`.
//! * `proc.aname`, `proc.apid` and `proc.aexepath` without an index are every ancestor
//!   (parent first, the process itself excluded), and as in Falco a test on them holds when
//!   it holds for any ancestor: `proc.aname=sshd`, `proc.aname in (a, b)`, `proc.aname
//!   startswith runc`.
//! * `proc.duration` counts from the process's fork (Falco: its clone); for processes
//!   already running when the sensor started, from `/proc`'s start time; unknown (so
//!   `proc.duration <= N` is false) for a process whose fork the sensor missed.
//! * `fd.ip`, `fd.net`, `fd.cnet`, `fd.snet`, `fd.lnet` and `fd.rnet` compare by network,
//!   as in Falco: `fd.snet in ("10.0.0.0/8", "192.168.0.0/16")`; `fd.ip`/`fd.net` are the
//!   client and the server address, and `fd.net != "127.0.0.0/8"` holds when neither is in
//!   it.
//! * Fields the sensor cannot fill (`proc.cwd`, `proc.sname`, `proc.is_exe_upper_layer`,
//!   `fd.connected`, …) are unknown: a rule testing one is skipped at load with the rule
//!   and field named; in an output one prints as `<NA>`.

use crate::event::RuntimeEvent;
use crate::names::result_name;
use palisade_engine::field::{Event, FieldArg, FieldInfo, FieldTable, FieldValue, ResolvedField};
use std::borrow::Cow;

/// The source name rules use (`source: syscall`, Falco's default).
pub const SOURCE: &str = "syscall";

/// Field table of runtime events.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeFields;

const fn f(name: &'static str, desc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        list: false,
        arg_required: None,
        arg_index: false,
        desc,
    }
}

const fn keyed(name: &'static str, desc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        list: false,
        arg_required: Some(true),
        arg_index: false,
        desc,
    }
}

const fn ancestor(name: &'static str, desc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        list: true,
        arg_required: Some(false),
        arg_index: true,
        desc,
    }
}

/// Declares the field table and the matching `Kind` enum from one list, so extraction
/// dispatches on an enum instead of comparing field names per event.
macro_rules! field_table {
    ($($kind:ident => $info:expr),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Kind {
            $($kind),*
        }

        const KINDS: &[Kind] = &[$(Kind::$kind),*];

        /// Every field, in id order.
        pub static FIELDS: &[FieldInfo] = &[$($info),*];
    };
}

field_table! {
    EvtType => f(
        "evt.type",
        "System call name: execve, clone, procexit, connect, listen, accept, openat, unlinkat, setns, unshare, mount, ptrace, memfd_create, setuid, setgid, capset, init_module, finit_module, bpf",
    ),
    EvtDir => f("evt.dir", "`<` (one record per call)"),
    EvtNum => f("evt.num", "Event number in the stream"),
    EvtRawtime => f("evt.rawtime", "Nanoseconds since the epoch"),
    EvtTime => f("evt.time", "Time of day, HH:MM:SS.nnnnnnnnn UTC"),
    EvtArgs => f("evt.args", "All arguments as name=value pairs"),
    EvtArg => keyed(
        "evt.arg",
        "One argument by name (`evt.arg.flags` or `evt.arg[flags]`)",
    ),
    EvtRes => f("evt.res", "SUCCESS or the errno name"),
    EvtRawres => f("evt.rawres", "Return value"),
    EvtFailed => f("evt.failed", "true when the call returned an error"),
    EvtIsOpenRead => f("evt.is_open_read", "true for an open for reading"),
    EvtIsOpenWrite => f(
        "evt.is_open_write",
        "true for an open for writing, creation or truncation",
    ),
    EvtHostname => f("evt.hostname", "Host name"),
    ProcName => f("proc.name", "Process name"),
    ProcExe => f("proc.exe", "argv[0]"),
    ProcExepath => f("proc.exepath", "Resolved executable path"),
    ProcCmdline => f("proc.cmdline", "Name and arguments"),
    ProcArgs => f("proc.args", "Arguments, space-separated"),
    ProcPid => f("proc.pid", "Process id"),
    ProcVpid => f("proc.vpid", "Process id inside its pid namespace"),
    ProcPpid => f("proc.ppid", "Parent process id"),
    ProcPname => f("proc.pname", "Parent's name"),
    ProcPexe => f("proc.pexe", "Parent's argv[0]"),
    ProcPexepath => f("proc.pexepath", "Parent's executable path"),
    ProcPcmdline => f("proc.pcmdline", "Parent's command line"),
    ProcAname => ancestor(
        "proc.aname",
        "Ancestor names: [1] the parent, [2] the grandparent…; without an index every ancestor (a test holds when it holds for any)",
    ),
    ProcApid => ancestor("proc.apid", "Ancestor pids, as proc.aname"),
    ProcAexepath => ancestor("proc.aexepath", "Ancestor executable paths, as proc.aname"),
    ProcDuration => f(
        "proc.duration",
        "Nanoseconds since the process was created (its fork), when known",
    ),
    ProcIsExeFromMemfd => f(
        "proc.is_exe_from_memfd",
        "true when the executable is a memfd or a deleted file",
    ),
    ProcExeIno => f("proc.exe_ino", "Executable inode"),
    ProcPidNs => f("proc.pid_ns", "Pid namespace inode (Palisade)"),
    ProcMntNs => f("proc.mnt_ns", "Mount namespace inode (Palisade)"),
    ProcNetNs => f("proc.net_ns", "Network namespace inode (Palisade)"),
    ProcCgroup => f("proc.cgroup", "parent/leaf cgroup name (Palisade)"),
    ThreadTid => f("thread.tid", "Thread id"),
    UserUid => f("user.uid", "Real user id"),
    UserEuid => f("user.euid", "Effective user id (Palisade)"),
    UserName => f("user.name", "User name (root, or from the host's passwd)"),
    UserLoginuid => f("user.loginuid", "Audit login uid, -1 when unset"),
    UserLoginname => f("user.loginname", "Login user name"),
    GroupGid => f("group.gid", "Group id"),
    GroupName => f("group.name", "Group name (root for 0)"),
    FdNum => f("fd.num", "File descriptor number"),
    FdType => f("fd.type", "file, ipv4, ipv6, unix"),
    FdTypechar => f("fd.typechar", "f, 4, 6, u"),
    FdName => f("fd.name", "File path, unix socket path, or client->server"),
    FdDirectory => f("fd.directory", "Directory of a file"),
    FdFilename => f("fd.filename", "File name without directory"),
    FdSip => f("fd.sip", "Server IP address"),
    FdCip => f("fd.cip", "Client IP address"),
    FdSport => f("fd.sport", "Server port"),
    FdCport => f("fd.cport", "Client port"),
    FdDip => f("fd.dip", "Server IP address (same as fd.sip)"),
    FdDport => f("fd.dport", "Server port"),
    FdLip => f("fd.lip", "Local IP address"),
    FdRip => f("fd.rip", "Remote IP address"),
    FdLport => f("fd.lport", "Local port"),
    FdRport => f("fd.rport", "Remote port"),
    FdSockfamily => f("fd.sockfamily", "ip or unix"),
    FdIp => f("fd.ip", "Client or server IP address"),
    FdNet => f("fd.net", "Client or server IP address (`fd.net != \"127.0.0.0/8\"`: neither end on loopback)"),
    FdCnet => f("fd.cnet", "Client IP address"),
    FdSnet => f("fd.snet", "Server IP address (`fd.snet in (\"10.0.0.0/8\", \"192.168.0.0/16\")`)"),
    FdLnet => f("fd.lnet", "Local IP address"),
    FdRnet => f("fd.rnet", "Remote IP address"),
    FdIsServer => f("fd.is_server", "true for listen and accept"),
    ContainerId => f(
        "container.id",
        "12-character container id, `host` for host processes",
    ),
    ContainerFullId => f(
        "container.full_id",
        "Full container id, `host` for host processes",
    ),
    ContainerName => f("container.name", "Container name (`host` on the host)"),
    ContainerImage => f("container.image", "Image reference"),
    ContainerImageRepository => f("container.image.repository", "Image without tag or digest"),
    ContainerImageTag => f("container.image.tag", "Image tag"),
    ContainerType => f("container.type", "podman, docker, containerd, cri-o, host"),
    ContainerPrivileged => f(
        "container.privileged",
        "true when the container runs privileged",
    ),
    ContainerLabel => keyed("container.label", "A container label"),
    ContainerStartTs => f(
        "container.start_ts",
        "When the container started (created, for CRI and containers/storage), nanoseconds since the epoch",
    ),
    ContainerDuration => f(
        "container.duration",
        "Nanoseconds since the container started",
    ),
    K8sPodName => f("k8s.pod.name", "Pod name"),
    K8sNsName => f("k8s.ns.name", "Namespace"),
    K8sPodUid => f("k8s.pod.uid", "Pod UID"),
    K8sPodLabel => keyed(
        "k8s.pod.label",
        "A pod label (`k8s.pod.label.app` or `k8s.pod.label[app]`)",
    ),
    K8sPodLabels => FieldInfo {
        name: "k8s.pod.labels",
        list: true,
        arg_required: None,
        arg_index: false,
        desc: "Pod labels as key:value",
    },
    K8sPodSa => f("k8s.pod.sa", "Pod service account (Palisade)"),
    ProcTty => f("proc.tty", "Controlling terminal (procfs tty_nr), 0 without one"),
    ThreadCapEffective => f("thread.cap_effective", "Effective capabilities, space-separated names"),
    FdL4proto => f("fd.l4proto", "tcp, udp or raw for IP sockets"),
    FdNameraw => f("fd.nameraw", "The path as the process gave it (the sensor keeps only that: same as fd.name)"),
}

fn id_of(name: &str) -> Option<u16> {
    FIELDS
        .iter()
        .position(|f| f.name == name)
        .and_then(|i| u16::try_from(i).ok())
}

/// Field names with a dotted argument (`evt.arg.flags`).
const DOTTED: [&str; 3] = ["evt.arg", "k8s.pod.label", "container.label"];

impl FieldTable for RuntimeFields {
    fn source(&self) -> &'static str {
        SOURCE
    }

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String> {
        let (name, arg) = match (id_of(name), arg) {
            (Some(_), _) => (name, arg.map(str::to_owned)),
            (None, None) => match DOTTED.iter().find_map(|base| {
                name.strip_prefix(base)?
                    .strip_prefix('.')
                    .map(|k| (*base, k))
            }) {
                Some((base, key)) if !key.is_empty() => (base, Some(key.to_owned())),
                _ => return Err(format!("unknown field `{name}` for source {SOURCE}")),
            },
            (None, Some(_)) => return Err(format!("unknown field `{name}` for source {SOURCE}")),
        };
        let id = id_of(name).ok_or_else(|| format!("unknown field `{name}`"))?;
        let info = &FIELDS[usize::from(id)];
        let display = match &arg {
            Some(a) if DOTTED.contains(&name) => format!("{name}.{a}"),
            Some(a) => format!("{name}[{a}]"),
            None => name.to_owned(),
        };
        let (resolved_arg, list) = match (info.arg_required, arg) {
            (None, None) => (None, info.list),
            (None, Some(a)) => {
                return Err(format!(
                    "field `{name}` takes no argument, got `{name}[{a}]`"
                ));
            }
            (Some(true), None) => {
                return Err(format!(
                    "field `{name}` requires an argument, e.g. `{name}.flags` or `{name}[flags]`"
                ));
            }
            (Some(false), None) => (None, info.list),
            (Some(_), Some(a)) if info.arg_index => {
                let n: usize = a
                    .parse()
                    .map_err(|_| format!("`{name}[{a}]`: the argument must be a number"))?;
                if n == 0 {
                    // Falco: proc.aname[0] is the process itself
                    (Some(FieldArg::Index(0)), false)
                } else {
                    (Some(FieldArg::Index(n)), false)
                }
            }
            (Some(_), Some(a)) => (Some(FieldArg::Key(a)), false),
        };
        Ok(ResolvedField {
            id,
            arg: resolved_arg,
            list,
            // The ancestor lists (the only indexed list fields): any ancestor, as in Falco.
            any_element: list && info.arg_index,
            network: matches!(
                KINDS[usize::from(id)],
                Kind::FdIp
                    | Kind::FdNet
                    | Kind::FdCnet
                    | Kind::FdSnet
                    | Kind::FdLnet
                    | Kind::FdRnet
            ),
            display,
        })
    }

    fn fields(&self) -> &'static [FieldInfo] {
        FIELDS
    }

    fn index_field(&self) -> Option<&'static str> {
        Some("evt.type")
    }

    fn cost(&self, field: &ResolvedField) -> u32 {
        match KINDS[usize::from(field.id)] {
            Kind::EvtType
            | Kind::EvtDir
            | Kind::ProcName
            | Kind::ProcExepath
            | Kind::FdName
            | Kind::ContainerId
            | Kind::EvtArg => 1,
            Kind::ProcCmdline
            | Kind::ProcArgs
            | Kind::ProcPcmdline
            | Kind::EvtArgs
            | Kind::K8sPodLabels => 6,
            _ => 2,
        }
    }
}

fn s(v: &str) -> FieldValue<'_> {
    FieldValue::Str(Cow::Borrowed(v))
}

fn owned<'e>(v: String) -> FieldValue<'e> {
    FieldValue::Str(Cow::Owned(v))
}

fn opt<'e>(v: Option<&'e str>) -> FieldValue<'e> {
    v.map_or(FieldValue::Absent, s)
}

fn num<'e, T: ToString>(v: T) -> FieldValue<'e> {
    owned(v.to_string())
}

fn time_of_day(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let day = secs.rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}.{frac:09}",
        day / 3600,
        day / 60 % 60,
        day % 60
    )
}

fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split('@').next().unwrap_or(image);
    // a ':' after the last '/' is a tag; before it, a registry port
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], Some(&image[slash + i + 1..])),
        None => (image, None),
    }
}

impl RuntimeEvent {
    fn ancestor_value<'e>(
        &'e self,
        arg: &Option<FieldArg>,
        pick: impl Fn(usize) -> Option<FieldValue<'e>>,
    ) -> FieldValue<'e> {
        match arg {
            Some(FieldArg::Index(n)) => pick(*n).unwrap_or(FieldValue::Absent),
            _ => FieldValue::List(
                (1..=self.ancestors.len())
                    .filter_map(&pick)
                    .filter_map(|v| match v {
                        FieldValue::Str(c) => Some(c),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }

    fn fd_is(&self, kinds: &[&str]) -> bool {
        self.fd
            .as_ref()
            .is_some_and(|fd| kinds.contains(&fd.kind.as_str()))
    }
}

impl Event for RuntimeEvent {
    fn get(&self, field: &ResolvedField) -> FieldValue<'_> {
        let p = &self.proc;
        let fd = self.fd.as_ref();
        let c = self.container.as_ref();
        let pod = c.and_then(|c| c.pod.as_ref());
        let parent = self.ancestors.first();
        let key = match &field.arg {
            Some(FieldArg::Key(k)) => k.as_str(),
            _ => "",
        };
        let ip_side = |local: bool| -> FieldValue<'_> {
            let Some(fd) = fd else {
                return FieldValue::Absent;
            };
            if !self.fd_is(&["ipv4", "ipv6"]) {
                return FieldValue::Absent;
            }
            // server side: local is the destination; client side: local is the source
            if fd.server == local {
                opt(fd.dip.as_deref())
            } else {
                opt(fd.sip.as_deref())
            }
        };
        let port_side = |local: bool| -> FieldValue<'_> {
            let Some(fd) = fd else {
                return FieldValue::Absent;
            };
            let port = if fd.server == local {
                fd.dport
            } else {
                fd.sport
            };
            port.map_or(FieldValue::Absent, num)
        };
        match KINDS[usize::from(field.id)] {
            Kind::EvtType => s(&self.evt_type),
            Kind::EvtDir => s("<"),
            Kind::EvtNum => num(self.num),
            Kind::EvtRawtime => num(self.time_ns),
            Kind::EvtTime => owned(time_of_day(self.time_ns)),
            Kind::EvtArgs => owned(
                self.args
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Kind::EvtArg => opt(self.args.get(key).map(String::as_str)),
            Kind::EvtRes => self
                .res
                .map_or(FieldValue::Absent, |r| owned(result_name(r))),
            Kind::EvtRawres => self.res.map_or(FieldValue::Absent, num),
            Kind::EvtFailed => self.res.map_or(FieldValue::Absent, |r| num(r < 0)),
            Kind::EvtIsOpenRead => num(self.evt_type == "openat" && fd.is_some_and(|f| f.read)),
            Kind::EvtIsOpenWrite => num(self.evt_type == "openat" && fd.is_some_and(|f| f.write)),
            Kind::EvtHostname => s(&self.hostname),
            Kind::ProcName => s(&p.name),
            Kind::ProcExe => s(&p.exe),
            Kind::ProcExepath => s(&p.exepath),
            Kind::ProcCmdline => owned(p.cmdline()),
            Kind::ProcArgs => owned(p.args.join(" ")),
            Kind::ProcPid => num(p.pid),
            Kind::ProcVpid => num(p.vpid),
            Kind::ProcPpid => num(p.ppid),
            Kind::ProcPname => opt(parent.map(|a| a.name.as_str())),
            Kind::ProcPexe => opt(parent.map(|a| a.exe.as_str())),
            Kind::ProcPexepath => opt(parent.map(|a| a.exepath.as_str())),
            Kind::ProcPcmdline => opt(parent.map(|a| a.cmdline.as_str())),
            Kind::ProcAname => self.ancestor_value(&field.arg, |n| match n {
                0 => Some(s(&p.name)),
                n => self.ancestors.get(n - 1).map(|a| s(&a.name)),
            }),
            Kind::ProcApid => self.ancestor_value(&field.arg, |n| match n {
                0 => Some(num(p.pid)),
                n => self.ancestors.get(n - 1).map(|a| num(a.pid)),
            }),
            Kind::ProcAexepath => self.ancestor_value(&field.arg, |n| match n {
                0 => Some(s(&p.exepath)),
                n => self.ancestors.get(n - 1).map(|a| s(&a.exepath)),
            }),
            Kind::ProcDuration => p.start_ns.map_or(FieldValue::Absent, |start| {
                num(self.time_ns.saturating_sub(start).max(0))
            }),
            Kind::ProcIsExeFromMemfd => num(p.fileless),
            Kind::ProcExeIno => num(p.exe_ino),
            Kind::ProcPidNs => num(p.pid_ns),
            Kind::ProcMntNs => num(p.mnt_ns),
            Kind::ProcNetNs => num(p.net_ns),
            Kind::ProcCgroup => s(&p.cgroup),
            Kind::ThreadTid => num(p.tid),
            Kind::UserUid => num(p.uid),
            Kind::UserEuid => num(p.euid),
            Kind::UserName => opt(p.user.as_deref()),
            Kind::UserLoginuid => num(p.loginuid.map_or(-1, i64::from)),
            Kind::UserLoginname => match p.loginuid {
                None => s("<NA>"),
                Some(0) => s("root"),
                Some(n) => num(n),
            },
            Kind::GroupGid => num(p.gid),
            Kind::GroupName => {
                if p.gid == 0 {
                    s("root")
                } else {
                    FieldValue::Absent
                }
            }
            Kind::FdNum => fd.map_or(FieldValue::Absent, |f| num(f.num)),
            Kind::FdType => fd.map_or(FieldValue::Absent, |f| s(&f.kind)),
            Kind::FdTypechar => fd.map_or(FieldValue::Absent, |f| {
                s(match f.kind.as_str() {
                    "file" => "f",
                    "ipv4" => "4",
                    "ipv6" => "6",
                    "unix" => "u",
                    _ => "?",
                })
            }),
            Kind::FdName | Kind::FdNameraw => fd.map_or(FieldValue::Absent, |f| s(&f.name)),
            Kind::FdDirectory => match fd {
                Some(f) if f.kind == "file" => {
                    let dir = f.name.rsplit_once('/').map_or("", |(d, _)| d);
                    s(if dir.is_empty() { "/" } else { dir })
                }
                _ => FieldValue::Absent,
            },
            Kind::FdFilename => match fd {
                Some(f) if f.kind == "file" => s(crate::tracker::base_name(&f.name)),
                _ => FieldValue::Absent,
            },
            // Falco: s = server, c = client (whichever side this process is)
            Kind::FdSip | Kind::FdDip => fd.map_or(FieldValue::Absent, |f| opt(f.dip.as_deref())),
            Kind::FdCip => fd.map_or(FieldValue::Absent, |f| opt(f.sip.as_deref())),
            Kind::FdSport | Kind::FdDport => {
                fd.and_then(|f| f.dport).map_or(FieldValue::Absent, num)
            }
            Kind::FdCport => fd.and_then(|f| f.sport).map_or(FieldValue::Absent, num),
            Kind::FdLip | Kind::FdLnet => ip_side(true),
            Kind::FdRip | Kind::FdRnet => ip_side(false),
            Kind::FdCnet => fd.map_or(FieldValue::Absent, |f| opt(f.sip.as_deref())),
            Kind::FdSnet => fd.map_or(FieldValue::Absent, |f| opt(f.dip.as_deref())),
            Kind::FdIp | Kind::FdNet => match fd {
                Some(f) if f.sip.is_some() || f.dip.is_some() => FieldValue::List(
                    [f.sip.as_deref(), f.dip.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(Cow::Borrowed)
                        .collect(),
                ),
                _ => FieldValue::Absent,
            },
            Kind::FdLport => port_side(true),
            Kind::FdRport => port_side(false),
            Kind::FdSockfamily => match fd.map(|f| f.kind.as_str()) {
                Some("ipv4" | "ipv6") => s("ip"),
                Some("unix") => s("unix"),
                _ => FieldValue::Absent,
            },
            Kind::FdIsServer => fd.map_or(FieldValue::Absent, |f| num(f.server)),
            Kind::ContainerId => s(c.map_or("host", |c| c.short_id())),
            Kind::ContainerFullId => s(c.map_or("host", |c| c.id.as_str())),
            Kind::ContainerName => match c {
                None => s("host"),
                Some(c) => opt(c.name.as_deref()),
            },
            Kind::ContainerImage => opt(c.and_then(|c| c.image.as_deref())),
            Kind::ContainerImageRepository => {
                opt(c.and_then(|c| c.image.as_deref()).map(|i| split_image(i).0))
            }
            Kind::ContainerImageTag => opt(c
                .and_then(|c| c.image.as_deref())
                .and_then(|i| split_image(i).1)),
            Kind::ContainerType => s(c.map_or("host", |c| c.runtime.as_str())),
            Kind::ContainerPrivileged => {
                c.and_then(|c| c.privileged).map_or(FieldValue::Absent, num)
            }
            Kind::ContainerLabel => opt(c.and_then(|c| c.labels.get(key)).map(String::as_str)),
            Kind::ContainerStartTs => c.and_then(|c| c.start_ns).map_or(FieldValue::Absent, num),
            Kind::ContainerDuration => c
                .and_then(|c| c.start_ns)
                .map_or(FieldValue::Absent, |start| {
                    num(self.time_ns.saturating_sub(start).max(0))
                }),
            Kind::K8sPodName => opt(pod.map(|p| p.name.as_str()).filter(|n| !n.is_empty())),
            Kind::K8sNsName => opt(pod.map(|p| p.namespace.as_str()).filter(|n| !n.is_empty())),
            Kind::K8sPodUid => opt(pod.map(|p| p.uid.as_str()).filter(|n| !n.is_empty())),
            Kind::K8sPodLabel => opt(pod.and_then(|p| p.labels.get(key)).map(String::as_str)),
            Kind::K8sPodLabels => FieldValue::List(
                pod.map(|p| {
                    p.labels
                        .iter()
                        .map(|(k, v)| Cow::Owned(format!("{k}:{v}")))
                        .collect()
                })
                .unwrap_or_default(),
            ),
            Kind::K8sPodSa => opt(pod.and_then(|p| p.service_account.as_deref())),
            Kind::ProcTty => num(p.tty),
            Kind::ThreadCapEffective => {
                owned(crate::names::capabilities(p.cap_effective).replace('|', " "))
            }
            Kind::FdL4proto => opt(fd.and_then(|f| f.l4proto.as_deref())),
        }
    }

    fn time_ns(&self) -> i64 {
        self.time_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Ancestor, Container, Fd, Pod, Process};

    fn get(e: &RuntimeEvent, name: &str, arg: Option<&str>) -> String {
        let f = RuntimeFields.resolve(name, arg).unwrap();
        e.get(&f).render()
    }

    fn sample() -> RuntimeEvent {
        RuntimeEvent {
            num: 7,
            time_ns: 1_764_000_000_123_456_789,
            evt_type: "connect".into(),
            proc: Process {
                pid: 4242,
                vpid: 8,
                name: "xmrig".into(),
                exe: "/usr/local/bin/xmrig".into(),
                exepath: "/usr/local/bin/xmrig".into(),
                args: vec!["-o".into(), "stratum+tcp://pool:3333".into()],
                user: Some("root".into()),
                ..Process::default()
            },
            ancestors: vec![
                std::sync::Arc::new(Ancestor {
                    pid: 4200,
                    name: "sh".into(),
                    exepath: "/bin/busybox".into(),
                    ..Ancestor::default()
                }),
                std::sync::Arc::new(Ancestor {
                    pid: 4100,
                    name: "conmon".into(),
                    ..Ancestor::default()
                }),
            ],
            container: Some(Container {
                id: "8a73346ba4ca0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b".into(),
                runtime: "podman".into(),
                name: Some("miner".into()),
                image: Some("registry.local:5000/team/app:1.2@sha256:abc".into()),
                start_ns: Some(1_764_000_000_000_000_000),
                pod: Some(Pod {
                    name: "web-1".into(),
                    namespace: "shop".into(),
                    labels: [("app".to_owned(), "web".to_owned())].into(),
                    ..Pod::default()
                }),
                ..Container::default()
            }),
            fd: Some(Fd {
                num: 3,
                kind: "ipv4".into(),
                name: "->10.0.0.9:3333".into(),
                dip: Some("10.0.0.9".into()),
                dport: Some(3333),
                ..Fd::default()
            }),
            args: [("flags".to_owned(), "0".to_owned())].into(),
            res: None,
            hostname: "node-1".into(),
        }
    }

    /// Which of `conditions` hold on `event`, through the engine as rules run them.
    fn holding(event: &RuntimeEvent, conditions: &[&str]) -> Vec<String> {
        let mut text = String::new();
        for (i, c) in conditions.iter().enumerate() {
            text.push_str(&format!(
                "- rule: r{i}\n  desc: d\n  condition: {c}\n  output: o\n  priority: NOTICE\n  source: syscall\n"
            ));
        }
        let files = [palisade_rules::RulesFile {
            path: "t.yaml",
            text: &text,
        }];
        let loaded = palisade_rules::load(&files);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let options = palisade_engine::EngineOptions::default();
        let (mut engine, skipped) = palisade_engine::Engine::new(&loaded, &RuntimeFields, &options);
        assert!(skipped.is_empty(), "{skipped:?}");
        let mut out = Vec::new();
        engine.process(event, |a| {
            out.push(conditions[a.rule.name[1..].parse::<usize>().unwrap()].to_string())
        });
        out.sort();
        out
    }

    /// As in Falco, a test on an ancestor list holds when it holds for any ancestor
    /// (parent `sh`, grandparent `conmon`; the process itself, `xmrig`, is not one).
    #[test]
    fn ancestor_lists_match_any_ancestor() {
        let e = sample();
        let holds = [
            "proc.aname=conmon",
            "proc.aname=sh",
            "proc.aname in (bash, conmon)",
            "proc.aname startswith con",
            "proc.aname != sh",
            "proc.aname intersects (conmon)",
            "proc.aname exists",
        ];
        let fails = [
            "proc.aname=xmrig",
            "proc.aname in (bash, zsh)",
            "proc.aname contains xyz",
            "not proc.aname=conmon",
        ];
        let all: Vec<&str> = holds.iter().chain(fails.iter()).copied().collect();
        let mut expected: Vec<String> = holds.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(holding(&e, &all), expected);
    }

    #[test]
    fn network_fields_compare_by_network() {
        let mut e = sample();
        if let Some(fd) = e.fd.as_mut() {
            fd.sip = Some("172.17.0.5".into());
            fd.sport = Some(40000);
        }
        let holds = [
            r#"fd.snet = "10.0.0.0/8""#,
            r#"fd.snet in ("192.168.0.0/16", "10.0.0.0/8")"#,
            r#"fd.net = "172.16.0.0/12""#,
            r#"fd.ip = "10.0.0.9""#,
            r#"fd.net != "127.0.0.0/8""#,
            r#"fd.cnet intersects ("172.16.0.0/12")"#,
            r#"fd.rnet = "10.0.0.9/32""#,
            r#"fd.lnet = "172.17.0.0/16""#,
            // Other operators compare the text.
            "fd.snet startswith 10.",
        ];
        let fails = [
            r#"fd.snet = "192.168.0.0/16""#,
            r#"fd.net = "127.0.0.0/8""#,
            // Neither address may be in it: the server is.
            r#"fd.net != "10.0.0.0/8""#,
            r#"not fd.snet in ("10.0.0.0/8")"#,
            r#"fd.cnet = "10.0.0.0/8""#,
            r#"fd.ip = "10.0.0.10""#,
        ];
        let all: Vec<&str> = holds.iter().chain(fails.iter()).copied().collect();
        let mut expected: Vec<String> = holds.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(holding(&e, &all), expected);
        assert_eq!(get(&e, "fd.net", None), "(172.17.0.5,10.0.0.9)");
        // Without a socket every test on them is false, `!=` included.
        e.fd = None;
        assert!(
            holding(
                &e,
                &[r#"fd.net != "10.0.0.0/8""#, r#"fd.snet = "0.0.0.0/0""#]
            )
            .is_empty()
        );
    }

    #[test]
    fn network_fields_refuse_what_is_not_a_network() {
        let text = "- rule: r\n  desc: d\n  condition: fd.snet in (\"10.0.0.0/8\", \"10.0.0.0/33\")\n  output: o\n  priority: NOTICE\n";
        let files = [palisade_rules::RulesFile {
            path: "t.yaml",
            text,
        }];
        let loaded = palisade_rules::load(&files);
        let options = palisade_engine::EngineOptions::default();
        let (_, skipped) = palisade_engine::Engine::new(&loaded, &RuntimeFields, &options);
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0]
                .reason
                .contains("`10.0.0.0/33`: the prefix length must be 0 to 32"),
            "{}",
            skipped[0].reason
        );
    }

    #[test]
    fn fields_read_the_event() {
        let e = sample();
        assert_eq!(get(&e, "evt.type", None), "connect");
        assert_eq!(get(&e, "evt.time", None), "16:00:00.123456789");
        assert_eq!(
            get(&e, "proc.cmdline", None),
            "xmrig -o stratum+tcp://pool:3333"
        );
        assert_eq!(get(&e, "proc.pname", None), "sh");
        assert_eq!(get(&e, "proc.aname", Some("2")), "conmon");
        assert_eq!(get(&e, "proc.aname", Some("0")), "xmrig");
        assert_eq!(get(&e, "proc.aname", Some("3")), "<NA>");
        assert_eq!(get(&e, "proc.aname", None), "(sh,conmon)");
        assert_eq!(get(&e, "fd.rport", None), "3333");
        assert_eq!(get(&e, "container.start_ts", None), "1764000000000000000");
        assert_eq!(get(&e, "container.duration", None), "123456789");
        assert_eq!(get(&e, "proc.duration", None), "<NA>");
        assert_eq!(get(&e, "fd.rip", None), "10.0.0.9");
        assert_eq!(get(&e, "fd.lport", None), "<NA>");
        assert_eq!(get(&e, "fd.typechar", None), "4");
        assert_eq!(get(&e, "container.id", None), "8a73346ba4ca");
        assert_eq!(
            get(&e, "container.image.repository", None),
            "registry.local:5000/team/app"
        );
        assert_eq!(get(&e, "container.image.tag", None), "1.2");
        assert_eq!(get(&e, "k8s.ns.name", None), "shop");
        assert_eq!(get(&e, "k8s.pod.label.app", None), "web");
        assert_eq!(get(&e, "k8s.pod.label", Some("app")), "web");
        assert_eq!(get(&e, "evt.arg.flags", None), "0");
        assert_eq!(get(&e, "evt.arg", Some("nope")), "<NA>");
        assert_eq!(get(&e, "evt.res", None), "<NA>");
        let mut host = sample();
        host.container = None;
        assert_eq!(get(&host, "container.id", None), "host");
        assert_eq!(get(&host, "container.name", None), "host");
    }

    #[test]
    fn resolve_errors_are_plain() {
        assert!(
            RuntimeFields
                .resolve("proc.cwd", None)
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            RuntimeFields
                .resolve("evt.arg", None)
                .unwrap_err()
                .contains("requires")
        );
        assert!(
            RuntimeFields
                .resolve("proc.name", Some("1"))
                .unwrap_err()
                .contains("no argument")
        );
        assert!(
            RuntimeFields
                .resolve("proc.aname", Some("x"))
                .unwrap_err()
                .contains("number")
        );
        let f = RuntimeFields.resolve("evt.arg.request", None).unwrap();
        assert_eq!(f.display, "evt.arg.request");
        assert!(RuntimeFields.resolve("proc.aname", None).unwrap().list);
        assert!(!RuntimeFields.resolve("proc.aname", Some("1")).unwrap().list);
    }

    #[test]
    fn image_split() {
        assert_eq!(split_image("busybox"), ("busybox", None));
        assert_eq!(split_image("busybox:1.36"), ("busybox", Some("1.36")));
        assert_eq!(
            split_image("localhost:5000/a/b"),
            ("localhost:5000/a/b", None)
        );
        assert_eq!(split_image("a/b:1@sha256:00"), ("a/b", Some("1")));
    }
}
