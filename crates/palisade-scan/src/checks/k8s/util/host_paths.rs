//! One classifier for `hostPath` volumes, shared by PAL-K8S-010 to 016 so that each path is
//! reported once, by the most specific check.
//!
//! Order of decision: a Windows named pipe of a runtime, `/` itself, a runtime socket or a
//! directory that holds one, then the longest listed directory the path lies in, then a listed
//! directory the path contains (`/var` contains `/var/lib/kubelet`). Anything else is a plain
//! hostPath (PAL-K8S-010).

use super::{join_and, text};
use crate::checks::Reporter;
use crate::k8s::Workload;

/// Which check reports a hostPath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostPathClass {
    /// `/` (PAL-K8S-011).
    Root,
    /// A container runtime socket or the directory holding one (PAL-K8S-012).
    RuntimeSocket,
    /// `/proc`, `/sys`, `/dev`, `/boot`, kernel modules (PAL-K8S-013).
    KernelInterface,
    /// `/etc` (PAL-K8S-014).
    HostConfig,
    /// `/var/log` (PAL-K8S-015).
    Logs,
    /// Kubelet and runtime state, home directories, cloud-init data (PAL-K8S-016).
    Credentials,
    /// Any other host path (PAL-K8S-010).
    Other,
}

/// A classified hostPath: its class and what it gives access to, as a clause for messages
/// (`it is the Docker Engine API socket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    /// The check that reports it.
    pub class: HostPathClass,
    /// What the path gives access to (empty for [`HostPathClass::Other`]).
    pub consequence: String,
}

struct Socket {
    path: &'static str,
    runtime: &'static str,
    what: &'static str,
}

const SOCKETS: &[Socket] = &[
    Socket {
        path: "/var/run/docker.sock",
        runtime: "Docker",
        what: "the Docker Engine API socket",
    },
    Socket {
        path: "/run/docker.sock",
        runtime: "Docker",
        what: "the Docker Engine API socket",
    },
    Socket {
        path: "/run/containerd/containerd.sock",
        runtime: "containerd",
        what: "the containerd API socket",
    },
    Socket {
        path: "/var/run/containerd/containerd.sock",
        runtime: "containerd",
        what: "the containerd API socket",
    },
    Socket {
        path: "/run/k3s/containerd/containerd.sock",
        runtime: "containerd",
        what: "the containerd API socket of k3s",
    },
    Socket {
        path: "/var/run/crio/crio.sock",
        runtime: "CRI-O",
        what: "the CRI-O API socket",
    },
    Socket {
        path: "/run/crio/crio.sock",
        runtime: "CRI-O",
        what: "the CRI-O API socket",
    },
    Socket {
        path: "/run/podman/podman.sock",
        runtime: "Podman",
        what: "the Podman API socket",
    },
    Socket {
        path: "/var/run/podman/podman.sock",
        runtime: "Podman",
        what: "the Podman API socket",
    },
    Socket {
        path: "/var/run/cri-dockerd.sock",
        runtime: "cri-dockerd",
        what: "the cri-dockerd socket (Docker Engine behind the CRI)",
    },
    Socket {
        path: "/run/cri-dockerd.sock",
        runtime: "cri-dockerd",
        what: "the cri-dockerd socket (Docker Engine behind the CRI)",
    },
    Socket {
        path: "/var/run/dockershim.sock",
        runtime: "dockershim",
        what: "the dockershim CRI socket (Docker Engine behind the kubelet)",
    },
    Socket {
        path: "/run/dockershim.sock",
        runtime: "dockershim",
        what: "the dockershim CRI socket (Docker Engine behind the kubelet)",
    },
];

/// Named pipes of Windows runtimes (matched case-insensitively on the end of the raw path,
/// `/` read as `\`).
const PIPES: &[(&str, &str)] = &[
    (r"\pipe\docker_engine", "the Docker Engine API named pipe"),
    (
        r"\pipe\containerd-containerd",
        "the containerd API named pipe",
    ),
];

struct Tree {
    path: &'static str,
    class: HostPathClass,
    what: &'static str,
}

const fn tree(path: &'static str, class: HostPathClass, what: &'static str) -> Tree {
    Tree { path, class, what }
}

use HostPathClass::{Credentials, HostConfig, KernelInterface, Logs, Other};

/// Directories and everything below them. Within a class the first entry is the one named
/// when a path contains several.
const TREES: &[Tree] = &[
    tree(
        "/proc",
        KernelInterface,
        "the host's process filesystem (other processes' memory and environment, and \
         `/proc/sys/kernel/core_pattern`, which makes the kernel run a program of the writer's \
         choice)",
    ),
    tree(
        "/sys",
        KernelInterface,
        "the host's sysfs (kernel and device settings; the cgroup `release_agent` and \
         `uevent_helper` make the kernel run a program)",
    ),
    tree(
        "/sys/fs/cgroup",
        KernelInterface,
        "the host's cgroup filesystem (a writable cgroup v1 `release_agent` makes the kernel \
         run a program on the host)",
    ),
    tree(
        "/dev",
        KernelInterface,
        "the host's device nodes (raw disks, `/dev/mem`, terminals)",
    ),
    tree(
        "/boot",
        KernelInterface,
        "the host's kernel images and bootloader configuration",
    ),
    tree(
        "/lib/modules",
        KernelInterface,
        "the host's kernel modules (a module planted there is loaded into the host kernel)",
    ),
    tree(
        "/usr/lib/modules",
        KernelInterface,
        "the host's kernel modules (a module planted there is loaded into the host kernel)",
    ),
    tree(
        "/etc",
        HostConfig,
        "the host's configuration (`/etc/shadow`, SSH host keys, and cron jobs and systemd \
         units that run as root when it is writable)",
    ),
    tree(
        "/etc/kubernetes",
        HostConfig,
        "the node's Kubernetes configuration (the kubelet's kubeconfig; the cluster CA keys \
         and static pod manifests on control-plane nodes)",
    ),
    tree(
        "/etc/rancher",
        HostConfig,
        "the k3s/RKE2 configuration (the admin kubeconfig on server nodes)",
    ),
    tree(
        "/var/log",
        Logs,
        "the host's logs (the kubelet follows symlinks planted in pod log directories, which \
         exposes arbitrary host files, and a writer can erase or forge evidence)",
    ),
    tree(
        "/var/lib/kubelet",
        Credentials,
        "the kubelet's state (every pod's service-account tokens and Secret volumes, and the \
         kubelet's own client certificate)",
    ),
    tree(
        "/var/lib/etcd",
        Credentials,
        "etcd's data directory (every Secret of the cluster)",
    ),
    tree(
        "/var/lib/rancher",
        Credentials,
        "the k3s/RKE2 state (server token, cluster certificates, container storage)",
    ),
    tree(
        "/var/lib/k0s",
        Credentials,
        "the k0s state (cluster certificates and join tokens)",
    ),
    tree(
        "/var/lib/docker",
        Credentials,
        "Docker's storage (every container's filesystem and image layers, with any secret in \
         them)",
    ),
    tree(
        "/var/lib/containerd",
        Credentials,
        "containerd's storage (every container's filesystem and image layers, with any \
         secret in them)",
    ),
    tree(
        "/var/lib/containers",
        Credentials,
        "the CRI-O/Podman storage (every container's filesystem and image layers, with any \
         secret in them)",
    ),
    tree(
        "/var/lib/cloud",
        Credentials,
        "the cloud-init data (instance user data, which often carries bootstrap credentials)",
    ),
    tree(
        "/root",
        Credentials,
        "root's home directory (SSH keys, kubeconfigs, cloud CLI credentials)",
    ),
    tree(
        "/home",
        Credentials,
        "the users' home directories (SSH keys, kubeconfigs, cloud CLI credentials such as \
         `~/.aws`)",
    ),
    // Carve-outs: harmless or plugin-registration paths inside the directories above. They
    // are still hostPaths (PAL-K8S-010), just not the sensitive kind.
    tree("/dev/log", Other, ""),
    tree("/etc/localtime", Other, ""),
    tree("/etc/timezone", Other, ""),
    tree("/etc/ssl/certs", Other, ""),
    tree("/etc/ca-certificates", Other, ""),
    tree("/etc/pki/ca-trust", Other, ""),
    tree("/etc/pki/tls/certs", Other, ""),
    tree("/var/lib/kubelet/device-plugins", Other, ""),
    tree("/var/lib/kubelet/plugins", Other, ""),
    tree("/var/lib/kubelet/plugins_registry", Other, ""),
    tree("/var/lib/kubelet/pod-resources", Other, ""),
];

/// `child` lies strictly below the directory `parent`.
fn is_below(child: &str, parent: &str) -> bool {
    child.len() > parent.len()
        && child.starts_with(parent)
        && (parent.ends_with('/') || child.as_bytes()[parent.len()] == b'/')
}

/// Classify a hostPath: `raw` as written, `path` as normalised by
/// [`Workload::host_paths`] (no `//`, `.`, `..` or trailing `/`).
pub(crate) fn classify(raw: &str, path: &str) -> Classified {
    let found = |class, consequence: String| Classified { class, consequence };
    let pipe = raw.trim().to_ascii_lowercase().replace('/', "\\");
    if let Some((_, what)) = PIPES.iter().find(|(suffix, _)| pipe.ends_with(suffix)) {
        return found(HostPathClass::RuntimeSocket, format!("it is {what}"));
    }
    if path == "/" {
        return found(
            HostPathClass::Root,
            "it is the host's root filesystem, with every file of the node, kubelet \
             credentials and other pods' volumes included"
                .to_owned(),
        );
    }
    if let Some(socket) = SOCKETS.iter().find(|s| s.path == path) {
        return found(
            HostPathClass::RuntimeSocket,
            format!("it is {}", socket.what),
        );
    }
    // `/var/run` is a symlink to `/run` on current distributions, so `/var` itself does not
    // hold the sockets listed under `/var/run` (the kubelet resolves the symlink only when
    // `/var/run` is the hostPath).
    let held: Vec<&Socket> = SOCKETS
        .iter()
        .filter(|s| is_below(s.path, path) && !(path == "/var" && s.path.starts_with("/var/run/")))
        .collect();
    if let [socket, rest @ ..] = held.as_slice() {
        let mut runtimes: Vec<String> = Vec::new();
        for s in &held {
            if !runtimes.iter().any(|r| r == s.runtime) {
                runtimes.push(s.runtime.to_owned());
            }
        }
        let consequence = if rest.is_empty() || runtimes.len() == 1 {
            format!("it holds {} (`{}`)", socket.what, socket.path)
        } else {
            format!(
                "it holds the API sockets of {} when they run on the node",
                join_and(&runtimes)
            )
        };
        return found(HostPathClass::RuntimeSocket, consequence);
    }
    if let Some(entry) = TREES
        .iter()
        .filter(|e| e.path == path || is_below(path, e.path))
        .max_by_key(|e| e.path.len())
    {
        let consequence = match entry.class {
            Other => String::new(),
            _ if entry.path == path => format!("it is {}", entry.what),
            _ => format!("it lies inside `{}`, {}", entry.path, entry.what),
        };
        return found(entry.class, consequence);
    }
    for class in [Credentials, KernelInterface, HostConfig, Logs] {
        if let Some(entry) = TREES
            .iter()
            .find(|e| e.class == class && is_below(e.path, path))
        {
            return found(
                class,
                format!("it contains `{}`, {}", entry.path, entry.what),
            );
        }
    }
    found(Other, String::new())
}

/// Report every hostPath volume of `workload` whose class is `class`, at its `path`, naming
/// the containers that mount it and whether every mount is read-only.
pub(crate) fn report_host_paths(
    workload: &Workload<'_>,
    out: &mut Reporter<'_>,
    class: HostPathClass,
) {
    let containers = workload.containers();
    for (volume, path, path_cursor) in workload.host_paths() {
        // `normalise_host_path("")` is `/`: an empty path must not read as the host root.
        let Some(raw) = text(&path_cursor) else {
            continue;
        };
        let classified = classify(raw, &path);
        if classified.class != class {
            continue;
        }
        let name = volume.text_of("name").unwrap_or("?");
        let mut users: Vec<String> = Vec::new();
        let mut all_read_only = true;
        for container in &containers {
            let Some(mounts) = container.cursor.get("volumeMounts") else {
                continue;
            };
            for mount in mounts.items() {
                if mount.text_of("name") == Some(name) {
                    all_read_only &= mount.is_true("readOnly");
                    let label = container.label();
                    if !users.contains(&label) {
                        users.push(label);
                    }
                }
            }
        }
        let shown = if raw.contains('\\') {
            raw
        } else {
            path.as_str()
        };
        let subject = format!("hostPath volume `{name}` (`{shown}`)");
        let used = if users.is_empty() {
            "is declared but no container mounts it yet (a debug container can)".to_owned()
        } else {
            format!("is mounted by {}", join_and(&users))
        };
        let read_only = match (users.is_empty() || !all_read_only, class) {
            (true, _) => "",
            (false, HostPathClass::RuntimeSocket) => {
                "; every mount is read-only, which does not stop a client from using a socket"
            }
            (false, _) => "; every mount is read-only",
        };
        let message = if class == Other {
            format!("{subject} {used}, giving direct access to the node's filesystem{read_only}")
        } else {
            format!("{subject} {used}: {}{read_only}", classified.consequence)
        };
        out.report(path_cursor.spot(), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same rules as the framework's `normalise_host_path`, which is not reachable from here
    /// (`k8s::workload` is private and does not re-export it).
    fn normalise(path: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("/{}", parts.join("/"))
    }

    fn class(path: &str) -> HostPathClass {
        classify(path, &normalise(path)).class
    }

    #[test]
    fn the_most_specific_class_wins() {
        use HostPathClass::*;
        let cases = [
            ("/", Root),
            ("//", Root),
            ("/var/run/docker.sock", RuntimeSocket),
            ("/var/run//docker.sock/", RuntimeSocket),
            ("/run/containerd/containerd.sock", RuntimeSocket),
            ("/run/containerd", RuntimeSocket),
            ("/var/run/crio", RuntimeSocket),
            ("/run", RuntimeSocket),
            ("/var/run", RuntimeSocket),
            ("/run/k3s", RuntimeSocket),
            ("/var/run/cri-dockerd.sock", RuntimeSocket),
            (r"\\.\pipe\docker_engine", RuntimeSocket),
            ("//./pipe/containerd-containerd", RuntimeSocket),
            ("/run/xtables.lock", Other),
            ("/run/containerd/io.containerd.runtime.v2.task", Other),
            ("/proc", KernelInterface),
            ("/proc/sys/kernel", KernelInterface),
            ("/sys/fs/cgroup", KernelInterface),
            ("/dev/kmsg", KernelInterface),
            ("/dev/log", Other),
            ("/boot", KernelInterface),
            ("/lib/modules", KernelInterface),
            ("/usr/lib/modules/6.1.0", KernelInterface),
            ("/usr", KernelInterface),
            ("/lib", KernelInterface),
            ("/etc", HostConfig),
            ("/etc/kubernetes/pki", HostConfig),
            ("/etc/localtime", Other),
            ("/etc/ssl/certs", Other),
            ("/etc/ssl", HostConfig),
            ("/var/log", Logs),
            ("/var/log/pods", Logs),
            ("/var/lib/kubelet", Credentials),
            ("/var/lib/kubelet/pods", Credentials),
            ("/var/lib/kubelet/device-plugins", Other),
            ("/var/lib/docker/containers", Credentials),
            ("/var/lib/containerd", Credentials),
            ("/var/lib/rancher/k3s", Credentials),
            ("/root/.aws", Credentials),
            ("/home", Credentials),
            ("/var/lib", Credentials),
            ("/var", Credentials),
            ("/data", Other),
            ("/opt/cni/bin", Other),
            ("/varlog", Other),
            ("/etcd-data", Other),
        ];
        for (path, want) in cases {
            assert_eq!(class(path), want, "{path}");
        }
    }

    #[test]
    fn consequences_name_the_runtime_and_the_container() {
        let c = classify("/run/containerd", "/run/containerd");
        assert_eq!(
            c.consequence,
            "it holds the containerd API socket (`/run/containerd/containerd.sock`)"
        );
        let c = classify("/run", "/run");
        assert!(
            c.consequence.contains("Docker, containerd, CRI-O"),
            "{}",
            c.consequence
        );
        let c = classify("/var", "/var");
        assert!(
            c.consequence.starts_with("it contains `/var/lib/kubelet`"),
            "{}",
            c.consequence
        );
        let c = classify("/proc/1", "/proc/1");
        assert!(
            c.consequence.starts_with("it lies inside `/proc`"),
            "{}",
            c.consequence
        );
    }
}
