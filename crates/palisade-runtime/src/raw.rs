//! Decoding of the records the kernel side writes (`crates/palisade-sensor/bpf/sensor.h`).
//!
//! Records are read by offset from a byte slice, so a short or garbled record is an error,
//! never a panic or an out-of-bounds read. The offsets are the C layout's; the tests build
//! records byte by byte and check every field lands where `sensor.h` says.

use std::fmt;

/// Event kinds, numbered as `enum pal_kind` in `sensor.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RawKind {
    /// A process replaced its image (execve / execveat).
    Exec,
    /// A new process (fork / vfork / clone without CLONE_THREAD).
    Fork,
    /// A process ended.
    Exit,
    /// connect(2).
    Connect,
    /// listen(2).
    Listen,
    /// accept(2) / accept4(2).
    Accept,
    /// open / openat / openat2 of a watched path.
    Open,
    /// setns(2).
    Setns,
    /// unshare(2).
    Unshare,
    /// mount(2).
    Mount,
    /// ptrace(2).
    Ptrace,
    /// memfd_create(2).
    MemfdCreate,
    /// setuid / setreuid / setresuid.
    Setuid,
    /// setgid / setregid / setresgid.
    Setgid,
    /// capset(2).
    Capset,
    /// init_module(2).
    InitModule,
    /// finit_module(2).
    FinitModule,
    /// bpf(2) loading or attaching a program.
    Bpf,
    /// unlinkat of a watched path.
    Unlink,
}

impl RawKind {
    /// Every kind, in numbering order.
    pub const ALL: [RawKind; 19] = [
        RawKind::Exec,
        RawKind::Fork,
        RawKind::Exit,
        RawKind::Connect,
        RawKind::Listen,
        RawKind::Accept,
        RawKind::Open,
        RawKind::Setns,
        RawKind::Unshare,
        RawKind::Mount,
        RawKind::Ptrace,
        RawKind::MemfdCreate,
        RawKind::Setuid,
        RawKind::Setgid,
        RawKind::Capset,
        RawKind::InitModule,
        RawKind::FinitModule,
        RawKind::Bpf,
        RawKind::Unlink,
    ];

    /// The kind numbered `n` in `sensor.h`.
    pub fn from_u32(n: u32) -> Option<RawKind> {
        let index = usize::try_from(n).ok()?.checked_sub(1)?;
        RawKind::ALL.get(index).copied()
    }

    /// The number `sensor.h` gives this kind.
    pub fn number(self) -> u32 {
        RawKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u32 + 1
    }

    /// Falco's `evt.type` name for the event.
    pub fn evt_type(self) -> &'static str {
        match self {
            RawKind::Exec => "execve",
            RawKind::Fork => "clone",
            RawKind::Exit => "procexit",
            RawKind::Connect => "connect",
            RawKind::Listen => "listen",
            RawKind::Accept => "accept",
            RawKind::Open => "openat",
            RawKind::Setns => "setns",
            RawKind::Unshare => "unshare",
            RawKind::Mount => "mount",
            RawKind::Ptrace => "ptrace",
            RawKind::MemfdCreate => "memfd_create",
            RawKind::Setuid => "setuid",
            RawKind::Setgid => "setgid",
            RawKind::Capset => "capset",
            RawKind::InitModule => "init_module",
            RawKind::FinitModule => "finit_module",
            RawKind::Bpf => "bpf",
            RawKind::Unlink => "unlinkat",
        }
    }

    /// The kind whose `evt.type` is `name` (also accepts Falco's aliases such as `open`,
    /// `execveat`, `accept4`, `fork`).
    pub fn from_evt_type(name: &str) -> Option<RawKind> {
        Some(match name {
            "execve" | "execveat" => RawKind::Exec,
            "clone" | "clone3" | "fork" | "vfork" => RawKind::Fork,
            "procexit" => RawKind::Exit,
            "connect" => RawKind::Connect,
            "listen" => RawKind::Listen,
            "accept" | "accept4" => RawKind::Accept,
            "open" | "openat" | "openat2" => RawKind::Open,
            "setns" => RawKind::Setns,
            "unshare" => RawKind::Unshare,
            "mount" => RawKind::Mount,
            "ptrace" => RawKind::Ptrace,
            "memfd_create" => RawKind::MemfdCreate,
            "setuid" | "setreuid" | "setresuid" => RawKind::Setuid,
            "setgid" | "setregid" | "setresgid" => RawKind::Setgid,
            "capset" => RawKind::Capset,
            "init_module" => RawKind::InitModule,
            "finit_module" => RawKind::FinitModule,
            "bpf" => RawKind::Bpf,
            "unlink" | "unlinkat" => RawKind::Unlink,
            _ => return None,
        })
    }
}

impl fmt::Display for RawKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.evt_type())
    }
}

/// Sizes and offsets from `sensor.h`.
pub mod layout {
    /// `struct pal_header`.
    pub const HEADER: usize = 296;
    /// `struct pal_exec`.
    pub const EXEC: usize = 1848;
    /// `struct pal_sock`.
    pub const SOCK: usize = 456;
    /// `struct pal_open`.
    pub const OPEN: usize = 576;
    /// `struct pal_syscall` without its strings.
    pub const SYSCALL_SHORT: usize = 344;
    /// `struct pal_syscall`.
    pub const SYSCALL: usize = 728;
    /// `PAL_COMM_LEN`.
    pub const COMM: usize = 16;
    /// `PAL_CGROUP_NAME_LEN`.
    pub const CGROUP_NAME: usize = 96;
    /// `PAL_PATH_LEN`.
    pub const PATH: usize = 256;
    /// `PAL_ARGS_LEN`.
    pub const ARGS: usize = 1024;
    /// `PAL_STR_LEN`.
    pub const STR: usize = 128;
    /// `PAL_UNIX_PATH_LEN`.
    pub const UNIX_PATH: usize = 108;
    /// `PAL_PREFIX_LEN`.
    pub const PREFIX: usize = 60;
    /// `PAL_MAX_PREFIXES`.
    pub const MAX_PREFIXES: usize = 32;
    /// `PAL_MAX_KINDS`: size of the per-CPU `lost` counter array.
    pub const MAX_KINDS: usize = 32;
}

/// The common header of every record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawHeader {
    /// CLOCK_BOOTTIME nanoseconds.
    pub ts_boot_ns: u64,
    /// cgroup v2 id (1 = the root: host process, or a v1-only host).
    pub cgroup_v2_id: u64,
    /// kernfs id of the memory controller's cgroup.
    pub cgroup_v1_id: u64,
    /// Thread group id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent's thread group id.
    pub ppid: u32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Audit login uid (u32::MAX when unset).
    pub loginuid: u32,
    /// Pid inside its own pid namespace.
    pub ns_pid: u32,
    /// Pid namespace inode.
    pub pid_ns: u32,
    /// Mount namespace inode.
    pub mnt_ns: u32,
    /// Network namespace inode.
    pub net_ns: u32,
    /// Thread name.
    pub comm: String,
    /// Name of the task's cgroup (memory controller, else unified).
    pub cgroup_leaf: String,
    /// Name of that cgroup's parent.
    pub cgroup_parent: String,
    /// Controlling terminal as procfs' tty_nr (0: none).
    pub tty_nr: u32,
    /// Effective capabilities.
    pub cap_effective: u64,
}

/// Socket addresses of a connect / listen / accept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawSock {
    /// File descriptor.
    pub fd: i32,
    /// AF_INET = 2, AF_INET6 = 10, AF_UNIX = 1.
    pub family: u16,
    /// Local port (listen, accept).
    pub local_port: u16,
    /// Remote port (connect, accept).
    pub remote_port: u16,
    /// Local address (network order bytes; IPv4 in the first four).
    pub local_addr: [u8; 16],
    /// Remote address.
    pub remote_addr: [u8; 16],
    /// Path of an AF_UNIX address (`@name` for the abstract namespace).
    pub unix_path: String,
    /// SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3 (0 unknown).
    pub sock_type: u16,
}

/// What a record carries after its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawBody {
    /// An exec.
    Exec {
        /// Link count of the executable (0: deleted or memfd).
        exe_nlink: u32,
        /// Inode of the executable.
        exe_ino: u64,
        /// The path given to execve.
        filename: String,
        /// The executable's resolved path.
        exe_path: String,
        /// argv.
        args: Vec<String>,
        /// argv was cut at the buffer size.
        args_truncated: bool,
    },
    /// A socket call.
    Sock(RawSock),
    /// An open or unlink of a watched path.
    Open {
        /// open flags.
        flags: i32,
        /// open mode.
        mode: u32,
        /// fd or -errno.
        ret: i64,
        /// 1 = prefix table, 2 = escape target (release_agent, core_pattern, uevent_helper).
        matched: u32,
        /// Path as the process gave it.
        path: String,
    },
    /// Any other syscall: its arguments and up to three strings.
    Syscall {
        /// Arguments (meaning per kind, see `sensor.bpf.c`).
        args: [i64; 6],
        /// Strings (mount: source, target, fstype; memfd_create: name; modules: params).
        strings: [String; 3],
    },
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Kind.
    pub kind: RawKind,
    /// Header.
    pub header: RawHeader,
    /// Body.
    pub body: RawBody,
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its kind's layout.
    Short {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// Unknown kind number.
    Kind(u32),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Short { need, got } => {
                write!(
                    f,
                    "record of {got} bytes is shorter than its layout ({need} bytes)"
                )
            }
            DecodeError::Kind(k) => write!(f, "unknown event kind {k}"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(x)
}

/// A NUL-terminated C string in a fixed field (lossy UTF-8).
fn cstr(b: &[u8], off: usize, len: usize) -> String {
    let field = &b[off..off + len];
    let end = field.iter().position(|&c| c == 0).unwrap_or(len);
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// NUL-separated strings in the first `used` bytes of a field (argv).
fn split_nul(b: &[u8]) -> Vec<String> {
    let mut items: Vec<String> = b
        .split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    while items.last().is_some_and(|s| s.is_empty()) {
        items.pop();
    }
    items
}

/// A path written leaf first as NUL-separated components, as `/a/b/c`.
fn leaf_first_path(b: &[u8]) -> String {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in b.split(|&c| c == 0) {
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in parts.iter().rev() {
        out.push('/');
        out.push_str(&String::from_utf8_lossy(part));
    }
    out
}

fn need(b: &[u8], n: usize) -> Result<(), DecodeError> {
    if b.len() < n {
        Err(DecodeError::Short {
            need: n,
            got: b.len(),
        })
    } else {
        Ok(())
    }
}

/// Decode one record.
pub fn decode(b: &[u8]) -> Result<RawEvent, DecodeError> {
    use layout as l;
    need(b, l::HEADER)?;
    let kind_no = u32_at(b, 24);
    let kind = RawKind::from_u32(kind_no).ok_or(DecodeError::Kind(kind_no))?;
    let header = RawHeader {
        ts_boot_ns: u64_at(b, 0),
        cgroup_v2_id: u64_at(b, 8),
        cgroup_v1_id: u64_at(b, 16),
        pid: u32_at(b, 28),
        tid: u32_at(b, 32),
        ppid: u32_at(b, 36),
        uid: u32_at(b, 40),
        gid: u32_at(b, 44),
        euid: u32_at(b, 48),
        loginuid: u32_at(b, 52),
        ns_pid: u32_at(b, 56),
        pid_ns: u32_at(b, 60),
        mnt_ns: u32_at(b, 64),
        net_ns: u32_at(b, 68),
        comm: cstr(b, 72, l::COMM),
        cgroup_leaf: cstr(b, 88, l::CGROUP_NAME),
        cgroup_parent: cstr(b, 184, l::CGROUP_NAME),
        tty_nr: u32_at(b, 280),
        cap_effective: u64_at(b, 288),
    };
    let body = match kind {
        RawKind::Exec => {
            need(b, l::EXEC)?;
            let args_len = (u32_at(b, 300) as usize).min(l::ARGS);
            RawBody::Exec {
                exe_nlink: u32_at(b, 296),
                exe_ino: u64_at(b, 304),
                filename: cstr(b, 312, l::PATH),
                exe_path: leaf_first_path(&b[568..568 + l::PATH]),
                args: split_nul(&b[824..824 + args_len]),
                args_truncated: args_len == l::ARGS,
            }
        }
        RawKind::Connect | RawKind::Listen | RawKind::Accept => {
            need(b, l::SOCK)?;
            let mut local_addr = [0u8; 16];
            let mut remote_addr = [0u8; 16];
            local_addr.copy_from_slice(&b[312..328]);
            remote_addr.copy_from_slice(&b[328..344]);
            let raw_unix = &b[344..344 + l::UNIX_PATH];
            // An abstract socket's name starts with a NUL byte.
            let unix_path = if raw_unix[0] == 0 && raw_unix.get(1).is_some_and(|&c| c != 0) {
                format!("@{}", cstr(b, 345, l::UNIX_PATH - 1))
            } else {
                cstr(b, 344, l::UNIX_PATH)
            };
            RawBody::Sock(RawSock {
                fd: u32_at(b, 296) as i32,
                family: u16_at(b, 300),
                local_port: u16_at(b, 302),
                remote_port: u16_at(b, 304),
                sock_type: u16_at(b, 306),
                local_addr,
                remote_addr,
                unix_path,
            })
        }
        RawKind::Open | RawKind::Unlink => {
            need(b, l::OPEN)?;
            RawBody::Open {
                flags: u32_at(b, 296) as i32,
                mode: u32_at(b, 300),
                ret: u64_at(b, 304) as i64,
                matched: u32_at(b, 312),
                path: cstr(b, 320, l::PATH),
            }
        }
        _ => {
            need(b, l::SYSCALL_SHORT)?;
            let mut args = [0i64; 6];
            for (i, arg) in args.iter_mut().enumerate() {
                *arg = u64_at(b, 296 + 8 * i) as i64;
            }
            let strings = if b.len() >= l::SYSCALL {
                [
                    cstr(b, 344, l::STR),
                    cstr(b, 472, l::STR),
                    cstr(b, 600, l::STR),
                ]
            } else {
                Default::default()
            };
            RawBody::Syscall { args, strings }
        }
    };
    Ok(RawEvent { kind, header, body })
}

/// Builders of raw records, for tests of the decoder and of everything downstream.
pub mod build {
    use super::layout as l;

    /// A zeroed record of `size` bytes with a header.
    pub fn record(kind: u32, size: usize, pid: u32, comm: &str) -> Vec<u8> {
        let mut b = vec![0u8; size];
        b[24..28].copy_from_slice(&kind.to_le_bytes());
        b[28..32].copy_from_slice(&pid.to_le_bytes());
        b[32..36].copy_from_slice(&pid.to_le_bytes());
        put_str(&mut b, 72, l::COMM, comm);
        b
    }

    /// Write a NUL-terminated string into a fixed field.
    pub fn put_str(b: &mut [u8], off: usize, len: usize, s: &str) {
        let bytes = s.as_bytes();
        let n = bytes.len().min(len - 1);
        b[off..off + n].copy_from_slice(&bytes[..n]);
        b[off + n] = 0;
    }

    /// Write a little-endian u32.
    pub fn put_u32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Write a little-endian u64.
    pub fn put_u64(b: &mut [u8], off: usize, v: u64) {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Write a little-endian u16.
    pub fn put_u16(b: &mut [u8], off: usize, v: u16) {
        b[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn kinds_round_trip_through_numbers_and_names() {
        for kind in RawKind::ALL {
            assert_eq!(RawKind::from_u32(kind.number()), Some(kind));
            assert_eq!(RawKind::from_evt_type(kind.evt_type()), Some(kind));
        }
        assert_eq!(RawKind::from_u32(0), None);
        assert_eq!(RawKind::from_u32(20), None);
        assert_eq!(RawKind::Exec.number(), 1);
        assert_eq!(RawKind::Unlink.number(), 19);
    }

    #[test]
    fn header_fields_are_read_at_the_c_offsets() {
        let mut b = record(RawKind::Exit.number(), layout::SYSCALL_SHORT, 4242, "xmrig");
        put_u64(&mut b, 0, 123_456_789);
        put_u64(&mut b, 8, 82);
        put_u64(&mut b, 16, 28_227);
        put_u32(&mut b, 36, 1);
        put_u32(&mut b, 40, 1000);
        put_u32(&mut b, 44, 1001);
        put_u32(&mut b, 48, 0);
        put_u32(&mut b, 52, u32::MAX);
        put_u32(&mut b, 56, 8);
        put_u32(&mut b, 60, 4_026_532_327);
        put_u32(&mut b, 64, 4_026_532_325);
        put_u32(&mut b, 68, 4_026_532_330);
        put_str(&mut b, 88, 96, "libpod-8a73346ba4ca");
        put_str(&mut b, 184, 96, "libpod_parent");
        put_u64(&mut b, 296, 9);
        let e = decode(&b).unwrap();
        assert_eq!(e.kind, RawKind::Exit);
        let h = &e.header;
        assert_eq!(
            (h.ts_boot_ns, h.cgroup_v2_id, h.cgroup_v1_id),
            (123_456_789, 82, 28_227)
        );
        assert_eq!((h.pid, h.tid, h.ppid), (4242, 4242, 1));
        assert_eq!(
            (h.uid, h.gid, h.euid, h.loginuid),
            (1000, 1001, 0, u32::MAX)
        );
        assert_eq!(
            (h.ns_pid, h.pid_ns, h.mnt_ns, h.net_ns),
            (8, 4_026_532_327, 4_026_532_325, 4_026_532_330)
        );
        assert_eq!(h.comm, "xmrig");
        assert_eq!(h.cgroup_leaf, "libpod-8a73346ba4ca");
        assert_eq!(h.cgroup_parent, "libpod_parent");
        match e.body {
            RawBody::Syscall { args, strings } => {
                assert_eq!(args[0], 9);
                assert!(strings.iter().all(String::is_empty));
            }
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn exec_body_reassembles_the_leaf_first_path_and_argv() {
        let mut b = record(RawKind::Exec.number(), layout::EXEC, 7, "exe");
        put_u32(&mut b, 296, 1);
        put_u64(&mut b, 304, 793);
        put_str(&mut b, 312, 256, "/proc/self/exe");
        let comps = b"busybox\0bin\0";
        b[568..568 + comps.len()].copy_from_slice(comps);
        let argv = b"cat\0/etc/shadow\0";
        b[824..824 + argv.len()].copy_from_slice(argv);
        put_u32(&mut b, 300, argv.len() as u32);
        let e = decode(&b).unwrap();
        match e.body {
            RawBody::Exec {
                exe_nlink,
                exe_ino,
                filename,
                exe_path,
                args,
                args_truncated,
            } => {
                assert_eq!((exe_nlink, exe_ino), (1, 793));
                assert_eq!(filename, "/proc/self/exe");
                assert_eq!(exe_path, "/bin/busybox");
                assert_eq!(args, vec!["cat", "/etc/shadow"]);
                assert!(!args_truncated);
            }
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn sock_and_open_bodies() {
        let mut b = record(RawKind::Connect.number(), layout::SOCK, 9, "nc");
        put_u32(&mut b, 296, 3);
        put_u16(&mut b, 300, 2);
        put_u16(&mut b, 304, 3333);
        b[328..332].copy_from_slice(&[10, 0, 0, 5]);
        let e = decode(&b).unwrap();
        let RawBody::Sock(s) = e.body else { panic!() };
        assert_eq!((s.fd, s.family, s.remote_port), (3, 2, 3333));
        assert_eq!(&s.remote_addr[..4], &[10, 0, 0, 5]);

        let mut b = record(RawKind::Connect.number(), layout::SOCK, 9, "curl");
        put_u16(&mut b, 300, 1);
        b[345..353].copy_from_slice(b"abstract");
        let RawBody::Sock(s) = decode(&b).unwrap().body else {
            panic!()
        };
        assert_eq!(s.unix_path, "@abstract");

        let mut b = record(RawKind::Open.number(), layout::OPEN, 9, "cat");
        put_u32(&mut b, 296, 0o1101);
        put_u64(&mut b, 304, (-13i64) as u64);
        put_u32(&mut b, 312, 2);
        put_str(&mut b, 320, 256, "/tmp/cgrp/release_agent");
        let e = decode(&b).unwrap();
        assert_eq!(
            e.body,
            RawBody::Open {
                flags: 0o1101,
                mode: 0,
                ret: -13,
                matched: 2,
                path: "/tmp/cgrp/release_agent".into()
            }
        );
    }

    #[test]
    fn short_and_unknown_records_are_errors() {
        assert!(matches!(
            decode(&[0u8; 10]),
            Err(DecodeError::Short { need: 296, got: 10 })
        ));
        let b = record(RawKind::Exec.number(), 316, 1, "x");
        assert!(matches!(
            decode(&b),
            Err(DecodeError::Short { need: 1848, .. })
        ));
        let b = record(99, layout::SYSCALL, 1, "x");
        assert_eq!(decode(&b), Err(DecodeError::Kind(99)));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_valid_kinds(kind in 1u32..20, fill in proptest::num::u8::ANY, len in 280usize..2000) {
            let mut b = vec![fill; len];
            b[24..28].copy_from_slice(&kind.to_le_bytes());
            let _ = decode(&b);
        }
    }
}
