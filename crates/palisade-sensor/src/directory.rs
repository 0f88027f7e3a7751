//! Container metadata (name, image, labels, pod) for the container ids the cgroups name.
//!
//! Lookups run on a background thread and land in a cache; the event path only reads the
//! cache ([`Directory::lookup`] never waits). A miss schedules one lookup; failures are
//! retried after [`RETRY_AFTER`]. Sources, by the runtime the cgroup names:
//! * podman: `podman container inspect` (works without podman's API service);
//! * docker, and podman when its API service is running: the Docker Engine API
//!   (`GET /containers/<id>/json`) over its unix socket;
//! * containerd and cri-o: the CRI `ContainerStatus` / `PodSandboxStatus` calls (see
//!   [`crate::cri`]).

use palisade_runtime::cgroup::CgroupContainer;
use palisade_runtime::event::{Container, Pod};
use palisade_runtime::tracker::ContainerDirectory;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a failed lookup is remembered before it is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Bound on cached containers.
pub const MAX_CACHED: usize = 16_384;

/// A way to learn a container's metadata.
pub trait MetadataSource: Send {
    /// Short name for messages (`podman`, `docker-api`, `cri`).
    fn name(&self) -> &str;
    /// Does this source answer for the runtime the cgroup named?
    fn handles(&self, runtime: &str) -> bool;
    /// Look the container up. `Ok(None)`: the runtime does not know it.
    fn inspect(&self, container: &CgroupContainer) -> Result<Option<Container>, String>;
}

/// `podman container inspect`.
#[derive(Debug, Clone)]
pub struct PodmanCli {
    /// The podman binary.
    pub binary: PathBuf,
}

impl Default for PodmanCli {
    fn default() -> Self {
        PodmanCli {
            binary: PathBuf::from("podman"),
        }
    }
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A pod from the `io.kubernetes.pod.*` labels kubelet (via CRI or cri-dockerd) sets.
fn pod_from_labels(labels: &BTreeMap<String, String>) -> Option<Pod> {
    let name = labels.get("io.kubernetes.pod.name")?;
    Some(Pod {
        name: name.clone(),
        namespace: labels
            .get("io.kubernetes.pod.namespace")
            .cloned()
            .unwrap_or_default(),
        uid: labels
            .get("io.kubernetes.pod.uid")
            .cloned()
            .unwrap_or_default(),
        labels: BTreeMap::new(),
        service_account: None,
    })
}

/// An RFC 3339 time of the runtime's JSON, in nanoseconds since the epoch; `None` when
/// absent, unreadable or the zero time Go writes for "never" (`0001-01-01T00:00:00Z`).
fn time_of(v: &Value) -> Option<i64> {
    v.as_str()
        .and_then(palisade_core::time::parse_rfc3339_nanos)
        .filter(|&t| t > 0)
}

/// Metadata from `podman container inspect` JSON (an array of one object).
pub fn parse_podman_inspect(text: &str) -> Result<Option<Container>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("podman inspect: {e}"))?;
    let Some(c) = v.as_array().and_then(|a| a.first()) else {
        return Ok(None);
    };
    let labels = labels_of(&c["Config"]["Labels"]);
    Ok(Some(Container {
        id: c["Id"].as_str().unwrap_or_default().to_owned(),
        runtime: "podman".into(),
        name: c["Name"].as_str().map(str::to_owned),
        image: c["ImageName"]
            .as_str()
            .or_else(|| c["Config"]["Image"].as_str())
            .map(str::to_owned),
        privileged: c["HostConfig"]["Privileged"].as_bool(),
        pod: pod_from_labels(&labels),
        labels,
        start_ns: time_of(&c["State"]["StartedAt"]).or_else(|| time_of(&c["Created"])),
    }))
}

impl MetadataSource for PodmanCli {
    fn name(&self) -> &str {
        "podman"
    }

    fn handles(&self, runtime: &str) -> bool {
        runtime == "podman"
    }

    fn inspect(&self, container: &CgroupContainer) -> Result<Option<Container>, String> {
        let out = Command::new(&self.binary)
            .args(["container", "inspect", "--format", "json", &container.id])
            .output()
            .map_err(|e| format!("running {}: {e}", self.binary.display()))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            if err.contains("no such container") {
                return Ok(None);
            }
            return Err(format!("podman inspect: {}", err.trim()));
        }
        parse_podman_inspect(&String::from_utf8_lossy(&out.stdout))
    }
}

/// containers/storage's own records (podman, cri-o, buildah): `containers.json` names the
/// container and its image, the OCI `config.json` beside it carries the annotations
/// (privileged; the kubelet's `io.kubernetes.*` for cri-o). Reading two files takes
/// microseconds and takes no lock, so it answers even for a container that lives a few
/// hundred milliseconds, before `podman inspect` would.
#[derive(Debug, Clone)]
pub struct PodmanStorage {
    /// The storage root (`graphroot`), `/var/lib/containers/storage` by default.
    pub root: PathBuf,
}

impl Default for PodmanStorage {
    fn default() -> Self {
        PodmanStorage {
            root: PathBuf::from("/var/lib/containers/storage"),
        }
    }
}

/// Metadata from a `containers.json` entry and the container's OCI `config.json`.
pub fn parse_storage_container(
    containers_json: &str,
    id: &str,
    config_json: Option<&str>,
    runtime: &str,
) -> Result<Option<Container>, String> {
    let all: Value =
        serde_json::from_str(containers_json).map_err(|e| format!("containers.json: {e}"))?;
    let Some(entry) = all
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"].as_str() == Some(id)))
    else {
        return Ok(None);
    };
    let meta: Value = entry["metadata"]
        .as_str()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    let annotations = config_json
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .map(|c| labels_of(&c["annotations"]))
        .unwrap_or_default();
    let name = meta["name"]
        .as_str()
        .or_else(|| entry["names"].as_array()?.first()?.as_str())
        .map(str::to_owned);
    let privileged = annotations
        .get("io.podman.annotations.privileged")
        .map(|v| v.eq_ignore_ascii_case("true"))
        .or_else(|| {
            annotations
                .get("io.kubernetes.cri-o.Privileged")
                .map(|v| v == "true")
        });
    let pod = pod_from_labels(&annotations);
    Ok(Some(Container {
        id: id.to_owned(),
        runtime: runtime.to_owned(),
        name: annotations
            .get("io.kubernetes.container.name")
            .cloned()
            .or(name),
        image: meta["image-name"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| annotations.get("io.kubernetes.cri-o.ImageName").cloned()),
        privileged,
        labels: BTreeMap::new(),
        pod,
        start_ns: time_of(&entry["created"]),
    }))
}

impl MetadataSource for PodmanStorage {
    fn name(&self) -> &str {
        "containers-storage"
    }

    fn handles(&self, runtime: &str) -> bool {
        matches!(runtime, "podman" | "cri-o")
    }

    fn inspect(&self, container: &CgroupContainer) -> Result<Option<Container>, String> {
        let dir = self.root.join("overlay-containers");
        let list = std::fs::read_to_string(dir.join("containers.json"))
            .map_err(|e| format!("reading {}: {e}", dir.join("containers.json").display()))?;
        let config =
            std::fs::read_to_string(dir.join(&container.id).join("userdata/config.json")).ok();
        parse_storage_container(&list, &container.id, config.as_deref(), &container.runtime)
    }
}

/// The Docker Engine API on a unix socket (docker, or podman's compatible service).
#[derive(Debug, Clone)]
pub struct DockerApi {
    /// Socket path.
    pub socket: PathBuf,
    /// Runtimes it answers for.
    pub runtimes: Vec<String>,
}

/// Metadata from `GET /containers/<id>/json`.
pub fn parse_docker_inspect(text: &str, runtime: &str) -> Result<Option<Container>, String> {
    let c: Value = serde_json::from_str(text).map_err(|e| format!("docker API: {e}"))?;
    if c.get("Id").is_none() {
        return Ok(None);
    }
    let labels = labels_of(&c["Config"]["Labels"]);
    Ok(Some(Container {
        id: c["Id"].as_str().unwrap_or_default().to_owned(),
        runtime: runtime.to_owned(),
        name: c["Name"]
            .as_str()
            .map(|n| n.trim_start_matches('/').to_owned()),
        image: c["Config"]["Image"].as_str().map(str::to_owned),
        privileged: c["HostConfig"]["Privileged"].as_bool(),
        pod: pod_from_labels(&labels),
        labels,
        start_ns: time_of(&c["State"]["StartedAt"]).or_else(|| time_of(&c["Created"])),
    }))
}

/// Split an HTTP/1.1 response into status and (de-chunked) body.
pub fn parse_http_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("HTTP response without a header end")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("HTTP response without a status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk header")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size `{size_text}`"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        if rest.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
    Ok((status, out))
}

impl DockerApi {
    fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let mut stream = UnixStream::connect(&self.socket)
            .map_err(|e| format!("connecting to {}: {e}", self.socket.display()))?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
        stream.set_write_timeout(Some(Duration::from_secs(5))).ok();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: palisade\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .take(16 << 20)
            .read_to_end(&mut raw)
            .map_err(|e| e.to_string())?;
        parse_http_response(&raw)
    }
}

impl MetadataSource for DockerApi {
    fn name(&self) -> &str {
        "docker-api"
    }

    fn handles(&self, runtime: &str) -> bool {
        self.runtimes.iter().any(|r| r == runtime)
    }

    fn inspect(&self, container: &CgroupContainer) -> Result<Option<Container>, String> {
        let (status, body) = self.get(&format!("/containers/{}/json", container.id))?;
        match status {
            200 => parse_docker_inspect(&String::from_utf8_lossy(&body), &container.runtime),
            404 => Ok(None),
            other => Err(format!("docker API answered {other}")),
        }
    }
}

#[derive(Debug, Clone)]
enum Entry {
    Pending,
    Known(Arc<Container>),
    Failed(Instant, String),
}

/// The cache shared by the event path and the lookup thread.
#[derive(Clone)]
pub struct Directory {
    cache: Arc<Mutex<HashMap<String, Entry>>>,
    requests: Sender<CgroupContainer>,
}

/// Counters of the directory, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryStats {
    /// Containers whose metadata is known.
    pub known: usize,
    /// Lookups in flight.
    pub pending: usize,
    /// Containers whose lookup failed, with the last error.
    pub failed: Vec<(String, String)>,
}

impl Directory {
    /// Start the lookup thread with `sources`, tried in order.
    pub fn start(sources: Vec<Box<dyn MetadataSource>>) -> Directory {
        let cache: Arc<Mutex<HashMap<String, Entry>>> = Arc::default();
        let (requests, rx) = channel();
        let thread_cache = Arc::clone(&cache);
        std::thread::Builder::new()
            .name("palisade-metadata".into())
            .spawn(move || lookup_loop(rx, sources, thread_cache))
            .ok();
        Directory { cache, requests }
    }

    /// Is a lookup for this container id still running?
    pub fn is_pending(&self, id: &str) -> bool {
        self.cache
            .lock()
            .map(|c| matches!(c.get(id), Some(Entry::Pending)))
            .unwrap_or(false)
    }

    /// Metadata if known now.
    pub fn known(&self, id: &str) -> Option<Arc<Container>> {
        match self.cache.lock().ok()?.get(id) {
            Some(Entry::Known(c)) => Some(Arc::clone(c)),
            _ => None,
        }
    }

    /// Counters.
    pub fn stats(&self) -> DirectoryStats {
        let mut s = DirectoryStats::default();
        if let Ok(cache) = self.cache.lock() {
            for (id, e) in cache.iter() {
                match e {
                    Entry::Pending => s.pending += 1,
                    Entry::Known(_) => s.known += 1,
                    Entry::Failed(_, why) => s.failed.push((id.clone(), why.clone())),
                }
            }
        }
        s.failed.sort();
        s
    }
}

impl ContainerDirectory for Directory {
    fn lookup(&mut self, container: &CgroupContainer) -> Option<Arc<Container>> {
        let mut cache = self.cache.lock().ok()?;
        match cache.get(&container.id) {
            Some(Entry::Known(c)) => return Some(Arc::clone(c)),
            Some(Entry::Pending) => return None,
            Some(Entry::Failed(when, _)) if when.elapsed() < RETRY_AFTER => return None,
            _ => {}
        }
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, e| matches!(e, Entry::Pending));
        }
        cache.insert(container.id.clone(), Entry::Pending);
        let _ = self.requests.send(container.clone());
        None
    }
}

fn lookup_loop(
    rx: Receiver<CgroupContainer>,
    sources: Vec<Box<dyn MetadataSource>>,
    cache: Arc<Mutex<HashMap<String, Entry>>>,
) {
    for container in rx {
        let mut errors = Vec::new();
        let mut found = None;
        for source in sources.iter().filter(|s| s.handles(&container.runtime)) {
            match source.inspect(&container) {
                Ok(Some(meta)) => {
                    found = Some(meta);
                    break;
                }
                Ok(None) => errors.push(format!("{}: unknown container", source.name())),
                Err(e) => errors.push(format!("{}: {e}", source.name())),
            }
        }
        if errors.is_empty() && found.is_none() {
            errors.push(format!("no metadata source for {}", container.runtime));
        }
        let entry = match found {
            Some(meta) => Entry::Known(Arc::new(meta)),
            None => Entry::Failed(Instant::now(), errors.join("; ")),
        };
        if let Ok(mut c) = cache.lock() {
            c.insert(container.id.clone(), entry);
        }
    }
}

/// The default sources for this host: podman's CLI when podman is installed, the Docker API
/// on the usual sockets, CRI on the usual sockets (or the ones given).
pub fn default_sources(cri_sockets: &[PathBuf]) -> Vec<Box<dyn MetadataSource>> {
    let mut sources: Vec<Box<dyn MetadataSource>> = Vec::new();
    let on_path = |bin: &str| {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
            .unwrap_or(false)
    };
    let storage = PodmanStorage::default();
    if storage.root.join("overlay-containers").is_dir() {
        sources.push(Box::new(storage));
    }
    if on_path("podman") {
        sources.push(Box::new(PodmanCli::default()));
    }
    for socket in ["/var/run/docker.sock", "/run/docker.sock"] {
        if Path::new(socket).exists() {
            sources.push(Box::new(DockerApi {
                socket: socket.into(),
                runtimes: vec!["docker".into(), "podman".into()],
            }));
            break;
        }
    }
    let defaults = [
        PathBuf::from("/run/containerd/containerd.sock"),
        PathBuf::from("/run/crio/crio.sock"),
    ];
    let cri: Vec<PathBuf> = if cri_sockets.is_empty() {
        defaults.into_iter().filter(|p| p.exists()).collect()
    } else {
        cri_sockets.to_vec()
    };
    for socket in cri {
        if let Ok(source) = crate::cri::CriSource::new(socket).connected() {
            sources.push(Box::new(source));
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_and_docker_inspect() {
        let podman = r#"[{"Id":"abc","Name":"web","ImageName":"localhost/palisade-busybox:test",
            "Created":"2026-11-26T09:59:59.5Z","State":{"StartedAt":"2026-11-26T11:00:00.25+01:00"},
            "Config":{"Labels":{"io.kubernetes.pod.name":"web-1","io.kubernetes.pod.namespace":"shop","x":"y"}},
            "HostConfig":{"Privileged":true}}]"#;
        let c = parse_podman_inspect(podman).unwrap().unwrap();
        assert_eq!(c.start_ns, Some(1_795_687_200_250_000_000));
        assert_eq!(c.name.as_deref(), Some("web"));
        assert_eq!(c.image.as_deref(), Some("localhost/palisade-busybox:test"));
        assert_eq!(c.privileged, Some(true));
        let pod = c.pod.unwrap();
        assert_eq!(
            (pod.name.as_str(), pod.namespace.as_str()),
            ("web-1", "shop")
        );
        assert_eq!(parse_podman_inspect("[]").unwrap(), None);
        assert!(parse_podman_inspect("{").is_err());

        let docker = r#"{"Id":"abc","Name":"/api","Created":"2026-11-26T10:00:00Z","State":{"StartedAt":"0001-01-01T00:00:00Z"},"Config":{"Image":"nginx:1.27","Labels":{}},"HostConfig":{"Privileged":false}}"#;
        let c = parse_docker_inspect(docker, "docker").unwrap().unwrap();
        // never started: Go's zero time; the creation time stands in
        assert_eq!(c.start_ns, Some(1_795_687_200_000_000_000));
        assert_eq!(c.name.as_deref(), Some("api"));
        assert_eq!(c.image.as_deref(), Some("nginx:1.27"));
        assert_eq!(c.privileged, Some(false));
        assert_eq!(
            parse_docker_inspect(r#"{"message":"no such container"}"#, "docker").unwrap(),
            None
        );
    }

    #[test]
    fn containers_storage_records() {
        let list = r#"[{"id":"abc","names":["web"],"image":"338c","created":"2026-11-26T10:00:00.000000001Z","metadata":"{\"image-name\":\"localhost/palisade-e2e:1\",\"name\":\"web\"}"}]"#;
        let config = r#"{"annotations":{"io.podman.annotations.privileged":"TRUE"}}"#;
        let c = parse_storage_container(list, "abc", Some(config), "podman")
            .unwrap()
            .unwrap();
        assert_eq!(c.start_ns, Some(1_795_687_200_000_000_001));
        assert_eq!(c.name.as_deref(), Some("web"));
        assert_eq!(c.image.as_deref(), Some("localhost/palisade-e2e:1"));
        assert_eq!(c.privileged, Some(true));
        assert_eq!(
            parse_storage_container(list, "zzz", None, "podman").unwrap(),
            None
        );
        let crio = r#"{"annotations":{"io.kubernetes.pod.name":"api-1","io.kubernetes.pod.namespace":"shop","io.kubernetes.container.name":"api","io.kubernetes.cri-o.ImageName":"nginx:1"}}"#;
        let list = r#"[{"id":"def","names":["k8s_api_api-1"],"metadata":"{}"}]"#;
        let c = parse_storage_container(list, "def", Some(crio), "cri-o")
            .unwrap()
            .unwrap();
        assert_eq!(c.name.as_deref(), Some("api"));
        assert_eq!(c.image.as_deref(), Some("nginx:1"));
        assert_eq!(c.pod.unwrap().namespace, "shop");
        assert!(parse_storage_container("{", "x", None, "podman").is_err());
    }

    #[test]
    fn http_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_http_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse_http_response(chunked).unwrap(),
            (404, b"abcde".to_vec())
        );
        assert!(parse_http_response(b"HTTP/1.1 200").is_err());
        assert!(
            parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                .is_err()
        );
    }

    struct Fixed;
    impl MetadataSource for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
        fn handles(&self, runtime: &str) -> bool {
            runtime == "podman"
        }
        fn inspect(&self, c: &CgroupContainer) -> Result<Option<Container>, String> {
            if c.id.starts_with('a') {
                Ok(Some(Container {
                    id: c.id.clone(),
                    name: Some("found".into()),
                    ..Container::default()
                }))
            } else {
                Err("boom".into())
            }
        }
    }

    #[test]
    fn cache_answers_after_the_background_lookup() {
        let mut dir = Directory::start(vec![Box::new(Fixed)]);
        let c = |id: &str, rt: &str| CgroupContainer {
            id: id.into(),
            runtime: rt.into(),
            pod_uid: None,
        };
        assert!(dir.lookup(&c("a1", "podman")).is_none());
        let _ = dir.lookup(&c("b1", "podman"));
        let _ = dir.lookup(&c("c1", "docker"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while dir.stats().pending > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            dir.lookup(&c("a1", "podman")).unwrap().name.as_deref(),
            Some("found")
        );
        let stats = dir.stats();
        assert_eq!(stats.known, 1);
        assert_eq!(stats.failed.len(), 2);
        assert!(stats.failed[0].1.contains("boom"));
        assert!(stats.failed[1].1.contains("no metadata source for docker"));
    }
}
