//! The runtime event: one syscall-level action of one process, with the process, its
//! ancestors and its container already attached. This is what rules see, what
//! `palisade watch --record` writes (one JSON object per line after a header line), and
//! what `palisade detect --source runtime` replays.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `schema` value of a recording's header line.
pub const RECORDING_SCHEMA: &str = "palisade.runtime/v1";

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RecordingHeader {
    /// Always [`RECORDING_SCHEMA`].
    pub schema: String,
    /// Host name of the machine recorded.
    #[serde(default)]
    pub hostname: String,
    /// Kernel release.
    #[serde(default)]
    pub kernel: String,
    /// Hooks attached, e.g. `exec: tp_btf/sched_process_exec`.
    #[serde(default)]
    pub hooks: Vec<String>,
    /// Hooks the kernel did not offer, with the reason.
    #[serde(default)]
    pub unavailable: Vec<String>,
    /// `ebpf` or `fallback`.
    #[serde(default)]
    pub mode: String,
}

/// The acting process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Process {
    /// Thread group id (host pid namespace).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent pid.
    pub ppid: u32,
    /// Pid inside the process's own pid namespace (the container's).
    pub vpid: u32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Audit login uid, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loginuid: Option<u32>,
    /// User name for `uid`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Kernel thread name (16 bytes).
    pub comm: String,
    /// Process name: comm, or `argv[0]`'s base name when the image was exec'd through
    /// `/proc/self/exe` (BusyBox applets, runc), whose comm says `exe`.
    pub name: String,
    /// `argv[0]`.
    #[serde(default)]
    pub exe: String,
    /// Resolved executable path.
    #[serde(default)]
    pub exepath: String,
    /// argv[1..].
    #[serde(default)]
    pub args: Vec<String>,
    /// Executable runs from memory (memfd or deleted file).
    #[serde(default)]
    pub fileless: bool,
    /// Executable inode.
    #[serde(default)]
    pub exe_ino: u64,
    /// When the process was created (fork), nanoseconds since the epoch; unknown for a
    /// process the sensor saw neither start nor listed at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ns: Option<i64>,
    /// Pid namespace inode.
    #[serde(default)]
    pub pid_ns: u32,
    /// Mount namespace inode.
    #[serde(default)]
    pub mnt_ns: u32,
    /// Network namespace inode.
    #[serde(default)]
    pub net_ns: u32,
    /// `parent/leaf` name of the cgroup.
    #[serde(default)]
    pub cgroup: String,
    /// Controlling terminal (procfs tty_nr; 0: none).
    #[serde(default)]
    pub tty: u32,
    /// Effective capability mask.
    #[serde(default)]
    pub cap_effective: u64,
}

impl Process {
    /// `name args…`, Falco's `proc.cmdline`.
    pub fn cmdline(&self) -> String {
        let mut s = self.name.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

/// One ancestor of the acting process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ancestor {
    /// Pid.
    pub pid: u32,
    /// Name (as [`Process::name`]).
    pub name: String,
    /// Executable path.
    #[serde(default)]
    pub exepath: String,
    /// `argv[0]`.
    #[serde(default)]
    pub exe: String,
    /// Command line.
    #[serde(default)]
    pub cmdline: String,
}

/// A Kubernetes pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Pod {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// UID.
    #[serde(default)]
    pub uid: String,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Service account, when the runtime reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

/// The container the process runs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Container {
    /// Full id.
    pub id: String,
    /// `podman`, `docker`, `containerd`, `cri-o`.
    pub runtime: String,
    /// Name, once the runtime answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Image reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Started privileged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Container labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Pod, for Kubernetes containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<Pod>,
    /// When the container started (its creation where the runtime gives no start),
    /// nanoseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ns: Option<i64>,
}

impl Container {
    /// Take what the runtime says of this container (`meta`: name, image, privilege,
    /// labels, start, pod), keeping the id and runtime read from the cgroup, and the pod
    /// UID read from it when the runtime's answer has none.
    pub fn apply_metadata(&mut self, meta: &Container) {
        self.name = meta.name.clone();
        self.image = meta.image.clone();
        self.privileged = meta.privileged;
        self.labels = meta.labels.clone();
        self.start_ns = meta.start_ns;
        let uid = self.pod.take().map(|p| p.uid).filter(|uid| !uid.is_empty());
        self.pod = meta.pod.clone();
        match (self.pod.as_mut(), uid) {
            (Some(pod), Some(uid)) if pod.uid.is_empty() => pod.uid = uid,
            (None, Some(uid)) => {
                self.pod = Some(Pod {
                    uid,
                    ..Pod::default()
                });
            }
            _ => {}
        }
    }

    /// The 12-character id Falco's `container.id` shows.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

/// What the syscall's file descriptor is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Fd {
    /// Number (-1 before an open returned).
    pub num: i64,
    /// `file`, `ipv4`, `ipv6`, `unix`.
    #[serde(rename = "type")]
    pub kind: String,
    /// File path, unix socket path, or `sip:sport->dip:dport`.
    pub name: String,
    /// Client (source) address of a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<String>,
    /// Client port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<u16>,
    /// Server (destination) address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dip: Option<String>,
    /// Server port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dport: Option<u16>,
    /// This side is the server (listen, accept).
    #[serde(default)]
    pub server: bool,
    /// `tcp`, `udp` or `raw` for IP sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l4proto: Option<String>,
    /// Opened for reading.
    #[serde(default)]
    pub read: bool,
    /// Opened for writing (or truncation, creation, removal).
    #[serde(default)]
    pub write: bool,
}

/// One runtime event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RuntimeEvent {
    /// Sequence number in the stream (1-based).
    pub num: u64,
    /// Wall-clock time, nanoseconds since the Unix epoch.
    pub time_ns: i64,
    /// Falco's `evt.type` (`execve`, `connect`, `openat`, …).
    #[serde(rename = "type")]
    pub evt_type: String,
    /// The process.
    pub proc: Process,
    /// Parent first (shared with the process table: events of one process reuse them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<Arc<Ancestor>>,
    /// The container, absent for host processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// The file descriptor the call used or produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<Fd>,
    /// Named arguments (`flags`, `nstype`, `target`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    /// Return value, when the call completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res: Option<i64>,
    /// Host name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
}

#[cfg(test)]
mod container_tests {
    use super::*;

    /// The cgroup's id, runtime and pod UID stay; everything else is the runtime's.
    #[test]
    fn metadata_is_applied_over_what_the_cgroup_said() {
        let from_cgroup = Container {
            id: "8a73".into(),
            runtime: "containerd".into(),
            pod: Some(Pod {
                uid: "uid-1".into(),
                ..Pod::default()
            }),
            ..Container::default()
        };
        let meta = Container {
            id: "other".into(),
            runtime: "other".into(),
            name: Some("app".into()),
            image: Some("nginx:1".into()),
            privileged: Some(true),
            start_ns: Some(7),
            pod: Some(Pod {
                name: "web-1".into(),
                namespace: "shop".into(),
                ..Pod::default()
            }),
            ..Container::default()
        };
        let mut c = from_cgroup.clone();
        c.apply_metadata(&meta);
        assert_eq!((c.id.as_str(), c.runtime.as_str()), ("8a73", "containerd"));
        assert_eq!(c.name.as_deref(), Some("app"));
        assert_eq!((c.privileged, c.start_ns), (Some(true), Some(7)));
        let pod = c.pod.unwrap();
        assert_eq!((pod.name.as_str(), pod.uid.as_str()), ("web-1", "uid-1"));
        // No pod in the answer: the cgroup's UID is still a pod.
        let mut c = from_cgroup;
        c.apply_metadata(&Container {
            name: Some("app".into()),
            ..Container::default()
        });
        assert_eq!(c.pod.unwrap().uid, "uid-1");
    }
}
