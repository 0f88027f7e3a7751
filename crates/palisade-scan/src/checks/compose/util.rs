//! Helpers shared by the Compose checks: host mounts, published ports, string lists,
//! environment entries and the sensitive-host-path table.

use super::super::dockerfile::util::{is_under, normalize_path, parse_port_range};
use crate::compose::ComposeService;
use crate::spot::Cursor;

/// The text items of a list-valued key (`cap_add`, `security_opt`, `devices`), each with its
/// cursor. A single scalar where a list is expected counts as a one-item list.
pub(crate) fn text_items<'a>(service: &'a ComposeService, key: &str) -> Vec<(&'a str, Cursor<'a>)> {
    let Some(list) = service.cursor().get(key) else {
        return Vec::new();
    };
    if let Some(text) = list.text() {
        return vec![(text, list)];
    }
    list.items()
        .filter_map(|item| Some((item.text()?, item)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------

/// One `environment` entry: name, value (`None` for `- NAME` / `NAME:` with no value, which
/// Compose takes from the shell at run time) and the cursor of the entry.
pub(crate) struct EnvEntry<'a> {
    /// Variable name.
    pub name: &'a str,
    /// Value after interpolation, if the file gives one.
    pub value: Option<&'a str>,
    /// The entry (list item or map value).
    pub cursor: Cursor<'a>,
}

/// `environment` in map form (`NAME: value`) or list form (`- NAME=value`).
pub(crate) fn environment(service: &ComposeService) -> Vec<EnvEntry<'_>> {
    let Some(env) = service.cursor().get("environment") else {
        return Vec::new();
    };
    if env.node.is_map() {
        return env
            .entries()
            .map(|(name, cursor)| EnvEntry {
                name,
                value: cursor.text(),
                cursor,
            })
            .collect();
    }
    env.items()
        .filter_map(|item| {
            let text = item.text()?;
            let (name, value) = match text.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (text, None),
            };
            Some(EnvEntry {
                name: name.trim(),
                value,
                cursor: item,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Host mounts
// ---------------------------------------------------------------------------------------

/// A bind mount of a host path into a service.
pub(crate) struct HostMount<'a> {
    /// Host path as written (after interpolation).
    pub source: String,
    /// Normalised absolute host path (`~` is taken as being under `/home`; Windows paths are
    /// kept with `/` separators). `None` for relative paths, which point into the project.
    pub absolute: Option<String>,
    /// Container path.
    pub target: String,
    /// The volume entry.
    pub cursor: Cursor<'a>,
}

/// Is this short-syntax source a host path rather than a named volume?
fn is_path_like(source: &str) -> bool {
    source.starts_with(['/', '.', '~', '\\']) || is_windows_drive(source)
}

fn is_windows_drive(source: &str) -> bool {
    let bytes = source.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Split a short-syntax volume `SOURCE:TARGET[:MODE]`, keeping a Windows drive letter
/// (`C:\data:/data`) in the source.
fn split_short_volume(text: &str) -> (&str, Option<&str>) {
    let skip = if is_windows_drive(text) { 2 } else { 0 };
    match text[skip..].find(':') {
        Some(p) => {
            let (source, rest) = text.split_at(skip + p);
            let rest = &rest[1..];
            // The mode (`ro`, `rw,z`) follows the target; the target itself may be a Windows
            // path with a drive letter.
            let target_skip = if is_windows_drive(rest) { 2 } else { 0 };
            let target = match rest[target_skip..].find(':') {
                Some(q) => &rest[..target_skip + q],
                None => rest,
            };
            (source, Some(target))
        }
        None => (text, None),
    }
}

/// Host paths mounted into the service: short syntax with a path source (a single path with
/// no `:` is an anonymous volume, a name is a named volume) and long syntax `type: bind`.
pub(crate) fn host_mounts(service: &ComposeService) -> Vec<HostMount<'_>> {
    let Some(volumes) = service.cursor().get("volumes") else {
        return Vec::new();
    };
    volumes
        .items()
        .filter_map(|vol| {
            let (source, target) = if let Some(text) = vol.text() {
                let (source, target) = split_short_volume(text);
                (source.to_owned(), target?.to_owned())
            } else {
                let kind = vol.text_of("type");
                let source = vol.text_of("source")?;
                let bind = match kind {
                    Some(k) => k == "bind" || k == "npipe",
                    None => is_path_like(source),
                };
                if !bind {
                    return None;
                }
                (
                    source.to_owned(),
                    vol.text_of("target").unwrap_or("").to_owned(),
                )
            };
            if source.is_empty() || !is_path_like(&source) {
                return None;
            }
            Some(HostMount {
                absolute: absolute_host_path(&source),
                source,
                target,
                cursor: vol,
            })
        })
        .collect()
}

fn absolute_host_path(source: &str) -> Option<String> {
    let unix = source.replace('\\', "/");
    if let Some(rest) = unix.strip_prefix('~') {
        // `~` and `~user` are home directories.
        let rest = rest.split_once('/').map_or("", |(_, r)| r);
        return Some(normalize_path(&format!("/home/~/{rest}")));
    }
    if unix.starts_with('/') || is_windows_drive(&unix) {
        return Some(if is_windows_drive(&unix) {
            unix
        } else {
            normalize_path(&unix)
        });
    }
    None
}

/// Host directories that hold the host's system configuration, credentials, kernel and
/// device interfaces, container runtime state or logs.
pub(crate) const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/home",
    "/lib/modules",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/kubelet",
    "/var/lib/rancher",
    "/etc/kubernetes",
    "/var/log",
];

/// Files under sensitive directories that are routinely and harmlessly mounted.
const BENIGN_HOST_PATHS: &[&str] = &["/etc/localtime", "/etc/timezone"];

/// The sensitive directory a host path exposes: the directory itself or something inside it,
/// or a parent of it (`/var` exposes `/var/lib/docker`). Inside `/home/<user>` and `/root`
/// only the home directory itself and dot-files (`.ssh`, `.aws`, `.bashrc`) count. `None` for
/// benign paths.
pub(crate) fn sensitive_host_path(absolute: &str) -> Option<&'static str> {
    if !absolute.starts_with('/') || BENIGN_HOST_PATHS.contains(&absolute) {
        return None;
    }
    if let Some(home) = ["/root", "/home"]
        .into_iter()
        .find(|h| is_under(absolute, h))
    {
        // A home directory holds credentials and shell start-up files: the home itself and
        // its dot-files are sensitive, a project or data directory inside it is not.
        let inside = absolute[home.len()..].trim_start_matches('/');
        let mut parts = inside.split('/').filter(|p| !p.is_empty());
        let below_user = if home == "/home" {
            parts.next();
            parts.collect::<Vec<_>>()
        } else {
            parts.collect()
        };
        let sensitive = below_user.is_empty() || below_user.iter().any(|p| p.starts_with('.'));
        return sensitive.then_some(home);
    }
    // The most specific entry the path is under; otherwise the first entry under the path.
    SENSITIVE_HOST_PATHS
        .iter()
        // `/` itself is sensitive; everything being "under `/`" is not the point.
        .filter(|dir| is_under(absolute, dir) && (**dir != "/" || absolute == "/"))
        .max_by_key(|dir| dir.len())
        .or_else(|| {
            SENSITIVE_HOST_PATHS
                .iter()
                .find(|dir| absolute != "/" && is_under(dir, absolute))
        })
        .copied()
}

/// Container runtime API sockets (Docker, containerd, CRI-O, Podman, cri-dockerd).
const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "docker.sock.raw",
    "containerd.sock",
    "crio.sock",
    "podman.sock",
    "dockershim.sock",
    "cri-dockerd.sock",
];

/// Directories holding runtime sockets.
const RUNTIME_SOCKET_DIRS: &[&str] = &[
    "/run",
    "/var/run",
    "/run/containerd",
    "/var/run/containerd",
    "/run/crio",
    "/var/run/crio",
    "/run/podman",
    "/var/run/podman",
    "/run/docker",
    "/var/run/docker",
    "/run/k3s/containerd",
];

/// Does this host path give access to a container runtime API: the socket itself, a
/// directory that holds one, or the Windows Docker named pipe?
pub(crate) fn runtime_socket(absolute: &str) -> Option<&'static str> {
    let name = absolute.rsplit('/').next().unwrap_or(absolute);
    if let Some(socket) = RUNTIME_SOCKETS.iter().find(|s| name == **s) {
        return Some(socket);
    }
    if absolute
        .to_ascii_lowercase()
        .ends_with("/pipe/docker_engine")
    {
        return Some("docker_engine named pipe");
    }
    RUNTIME_SOCKET_DIRS
        .iter()
        .find(|d| absolute == **d)
        .map(|_| "runtime socket directory")
}

// ---------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------

/// One `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortMapping {
    /// Host address, if one is given (`127.0.0.1`, `::1`).
    pub host_ip: Option<String>,
    /// Host port or range, if one is given (none means an ephemeral port).
    pub published: Option<String>,
    /// Container port range.
    pub target: (u16, u16),
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
}

impl PortMapping {
    /// Published on every host interface: no host address, `0.0.0.0` or `::`.
    pub fn all_interfaces(&self) -> bool {
        match self.host_ip.as_deref() {
            None => true,
            Some(ip) => {
                let ip = ip.trim_start_matches('[').trim_end_matches(']');
                ip.is_empty() || ip == "0.0.0.0" || ip == "::" || ip == "0:0:0:0:0:0:0:0"
            }
        }
    }

    /// Does it publish container port `port` (TCP)?
    pub fn publishes_tcp(&self, port: u16) -> bool {
        self.protocol == "tcp" && (self.target.0..=self.target.1).contains(&port)
    }

    /// `8080->80/tcp`, `127.0.0.1:8080->80/tcp`, `80/tcp` (ephemeral host port).
    pub fn describe(&self) -> String {
        let target = if self.target.0 == self.target.1 {
            self.target.0.to_string()
        } else {
            format!("{}-{}", self.target.0, self.target.1)
        };
        let ip = match self.host_ip.as_deref() {
            Some(ip) if !ip.is_empty() => {
                if ip.contains(':') && !ip.starts_with('[') {
                    format!("[{ip}]:")
                } else {
                    format!("{ip}:")
                }
            }
            _ => String::new(),
        };
        match &self.published {
            Some(p) if !p.is_empty() => format!("{ip}{p}->{target}/{}", self.protocol),
            _ => format!("{ip}{target}/{}", self.protocol),
        }
    }
}

/// Parse a short-syntax port: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`,
/// `[::1]:8080:80`, `8080-8081:80-81/udp`.
pub(crate) fn parse_short_port(text: &str) -> Option<PortMapping> {
    let text = text.trim();
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, p)) => (s, p.to_ascii_lowercase()),
        None => (text, "tcp".to_owned()),
    };
    let mut parts = spec.rsplitn(3, ':');
    let container = parts.next()?;
    let published = parts.next().map(str::to_owned);
    let host_ip = parts.next().map(str::to_owned);
    let (start, end, _) = parse_port_range(container)?;
    Some(PortMapping {
        host_ip,
        published,
        target: (start, end),
        protocol,
    })
}

/// Every `ports` entry of a service, short or long syntax, with its cursor.
pub(crate) fn ports(service: &ComposeService) -> Vec<(PortMapping, Cursor<'_>)> {
    let Some(list) = service.cursor().get("ports") else {
        return Vec::new();
    };
    list.items()
        .filter_map(|item| {
            let mapping = if let Some(text) = item.text() {
                parse_short_port(text)?
            } else {
                let (start, end, _) = parse_port_range(item.text_of("target")?)?;
                PortMapping {
                    host_ip: item.text_of("host_ip").map(str::to_owned),
                    published: item.text_of("published").map(str::to_owned),
                    target: (start, end),
                    protocol: item
                        .text_of("protocol")
                        .unwrap_or("tcp")
                        .to_ascii_lowercase(),
                }
            };
            Some((mapping, item))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::services_from_document;
    use palisade_yaml::{Limits, Schema, parse_stream};

    pub(crate) fn service(yaml: &str) -> ComposeService {
        let stream = parse_stream(yaml, Schema::Compose, &Limits::default());
        let doc = stream.documents.into_iter().next().expect("a document");
        services_from_document("compose.yaml", 0, doc.root)
            .into_iter()
            .next()
            .expect("a service")
    }

    #[test]
    fn short_ports() {
        let p = |t: &str| parse_short_port(t).map(|m| (m.describe(), m.all_interfaces()));
        assert_eq!(p("80"), Some(("80/tcp".into(), true)));
        assert_eq!(p("8080:80"), Some(("8080->80/tcp".into(), true)));
        assert_eq!(
            p("127.0.0.1:8080:80"),
            Some(("127.0.0.1:8080->80/tcp".into(), false))
        );
        assert_eq!(p("127.0.0.1::80"), Some(("127.0.0.1:80/tcp".into(), false)));
        assert_eq!(
            p("8080-8081:80-81/udp"),
            Some(("8080-8081->80-81/udp".into(), true))
        );
        assert_eq!(
            p("[::1]:8080:80"),
            Some(("[::1]:8080->80/tcp".into(), false))
        );
        assert_eq!(
            p("0.0.0.0:53:53/udp"),
            Some(("0.0.0.0:53->53/udp".into(), true))
        );
        assert_eq!(p("[::]:443:443"), Some(("[::]:443->443/tcp".into(), true)));
        assert_eq!(p(":80"), Some(("80/tcp".into(), true)));
        assert_eq!(p("web"), None);
        assert!(parse_short_port("2375:2375").unwrap().publishes_tcp(2375));
        assert!(
            !parse_short_port("2375:2375/udp")
                .unwrap()
                .publishes_tcp(2375)
        );
        assert!(!parse_short_port("2375:8080").unwrap().publishes_tcp(2375));
    }

    #[test]
    fn all_port_forms_in_a_service() {
        let s = service(
            "services:\n  web:\n    image: x:1\n    ports:\n      - 80\n      - \"8080:80\"\n      - 127.0.0.1:8443:443\n      - \"8080-8081:80-81/udp\"\n      - target: 9000\n        published: \"9000\"\n        host_ip: 127.0.0.1\n      - target: 9001\n        published: 9001\n        protocol: udp\n",
        );
        let got: Vec<(String, bool)> = ports(&s)
            .into_iter()
            .map(|(m, _)| (m.describe(), m.all_interfaces()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("80/tcp".into(), true),
                ("8080->80/tcp".into(), true),
                ("127.0.0.1:8443->443/tcp".into(), false),
                ("8080-8081->80-81/udp".into(), true),
                ("127.0.0.1:9000->9000/tcp".into(), false),
                ("9001->9001/udp".into(), true),
            ]
        );
    }

    #[test]
    fn volume_forms() {
        let s = service(
            "services:\n  db:\n    image: x:1\n    volumes:\n      - /var/lib/mysql\n      - data:/var/lib/mysql\n      - ./conf:/etc/mysql/conf.d:ro\n      - /var/run/docker.sock:/var/run/docker.sock\n      - ~/.aws:/root/.aws:ro\n      - C:\\data:/data\n      - type: bind\n        source: /etc\n        target: /host/etc\n      - type: volume\n        source: logs\n        target: /logs\n      - type: tmpfs\n        target: /tmp\n      - \":/media\"\n",
        );
        let got: Vec<(String, Option<String>, String)> = host_mounts(&s)
            .into_iter()
            .map(|m| (m.source, m.absolute, m.target))
            .collect();
        assert_eq!(
            got,
            vec![
                ("./conf".into(), None, "/etc/mysql/conf.d".into()),
                (
                    "/var/run/docker.sock".into(),
                    Some("/var/run/docker.sock".into()),
                    "/var/run/docker.sock".into()
                ),
                (
                    "~/.aws".into(),
                    Some("/home/~/.aws".into()),
                    "/root/.aws".into()
                ),
                ("C:\\data".into(), Some("C:/data".into()), "/data".into()),
                ("/etc".into(), Some("/etc".into()), "/host/etc".into()),
            ]
        );
    }

    #[test]
    fn sensitive_paths_and_sockets() {
        assert_eq!(sensitive_host_path("/"), Some("/"));
        assert_eq!(sensitive_host_path("/etc/ssl/certs"), Some("/etc"));
        assert_eq!(
            sensitive_host_path("/var/lib/docker/volumes"),
            Some("/var/lib/docker")
        );
        assert_eq!(sensitive_host_path("/var"), Some("/var/lib/docker"));
        assert_eq!(sensitive_host_path("/home/~/.aws"), Some("/home"));
        assert_eq!(sensitive_host_path("/home/~"), Some("/home"));
        assert_eq!(sensitive_host_path("/home"), Some("/home"));
        assert_eq!(
            sensitive_host_path("/root/.ssh/authorized_keys"),
            Some("/root")
        );
        assert_eq!(sensitive_host_path("/home/~/minecraft_data"), None);
        assert_eq!(sensitive_host_path("/home/me/src/app"), None);
        assert_eq!(sensitive_host_path("/root/data"), None);
        assert_eq!(sensitive_host_path("/etc/localtime"), None);
        assert_eq!(sensitive_host_path("/srv/app"), None);
        assert_eq!(sensitive_host_path("/var/run"), None);
        assert_eq!(sensitive_host_path("/opt"), None);
        assert_eq!(sensitive_host_path("C:/Windows"), None);
        assert_eq!(runtime_socket("/var/run/docker.sock"), Some("docker.sock"));
        assert_eq!(
            runtime_socket("/run/user/1000/podman/podman.sock"),
            Some("podman.sock")
        );
        assert_eq!(runtime_socket("/run"), Some("runtime socket directory"));
        assert_eq!(
            runtime_socket("//./pipe/docker_engine"),
            Some("docker_engine named pipe")
        );
        assert_eq!(runtime_socket("/run/secrets"), None);
    }
}
