//! Kubernetes attribution through CRI, end to end: Debian's containerd runs with its CRI
//! plugin on a private socket, this test plays the kubelet (RunPodSandbox, CreateContainer,
//! StartContainer with the labels the kubelet sets), and the sensor, with CRI as its only
//! metadata source, must attribute the container's events to the pod: name, namespace,
//! UID, labels, container name and image.
//!
//! Needs root, BTF, containerd, ctr and podman (to build the image without a registry).
//! Skips with a notice without them; fails instead under `PALISADE_REQUIRE_SENSOR=1` when
//! containerd is installed (CI installs it).

use palisade_runtime::RuntimeEvent;
use palisade_sensor::cri::{ContainerMetadata, CriClient, CriSource, ImageSpec};
use palisade_sensor::directory::{Directory, MetadataSource};
use palisade_sensor::stream::EventStream;
use palisade_sensor::{Sensor, SensorOptions, host};
use palisade_testkit::{Need, Rootfs, run};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// The kubelet's side of the CRI messages this test sends (field numbers of runtime.v1).

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxMetadata {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    uid: String,
    #[prost(string, tag = "3")]
    namespace: String,
    #[prost(uint32, tag = "4")]
    attempt: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct NamespaceOption {
    /// 2 = NODE
    #[prost(int32, tag = "1")]
    network: i32,
    #[prost(int32, tag = "2")]
    pid: i32,
    #[prost(int32, tag = "3")]
    ipc: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxSandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxPodSandboxConfig {
    #[prost(string, tag = "1")]
    cgroup_parent: String,
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxSandboxSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PodSandboxMetadata>,
    #[prost(string, tag = "3")]
    log_directory: String,
    #[prost(map = "string, string", tag = "6")]
    labels: HashMap<String, String>,
    #[prost(map = "string, string", tag = "7")]
    annotations: HashMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxResponse {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ContainerMetadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(map = "string, string", tag = "9")]
    labels: HashMap<String, String>,
    #[prost(string, tag = "11")]
    log_path: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerResponse {
    #[prost(string, tag = "1")]
    container_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerIdRequest {
    #[prost(string, tag = "1")]
    container_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SandboxIdRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

const IMAGE: &str = "localhost/palisade-cri:1";
const POD_UID: &str = "0f3c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6";

/// What this test needs.
const NEEDS: &[Need] = &[
    Need::Root,
    Need::Btf,
    Need::Binary("containerd"),
    Need::Binary("ctr"),
    Need::Binary("podman"),
    Need::StaticBusybox,
];

struct Containerd {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_containerd(image_tar: &Path) -> Containerd {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("containerd.sock");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{IMAGE}"
  # this sandbox lacks CAP_SYS_RESOURCE, which the default oom_score_adj needs
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
"#,
            root = dir.path().join("root").display(),
            state = dir.path().join("state").display(),
            socket = socket.display(),
        ),
    )
    .unwrap();
    let child = Command::new("containerd")
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("containerd.log")).unwrap())
        .spawn()
        .expect("starting containerd");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "containerd did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    run(Command::new("ctr")
        .arg("--address")
        .arg(&socket)
        .args(["-n", "k8s.io", "images", "import"])
        .arg(image_tar));
    Containerd {
        child,
        socket,
        _dir: dir,
    }
}

fn build_image(dir: &Path) -> PathBuf {
    Rootfs::busybox(dir, Some(&["sh", "sleep", "cat"]))
        .write("etc/passwd", "root:x:0:0:root:/:/bin/sh\n")
        .write(
            "var/run/secrets/kubernetes.io/serviceaccount/token",
            "eyJhbGciOiJSUzI1NiJ9.cri\n",
        )
        .import(IMAGE, r#"["/bin/sleep", "100000"]"#);
    let archive = dir.join("image.oci.tar");
    run(Command::new("podman")
        .args(["save", "--format", "oci-archive", "-o"])
        .arg(&archive)
        .arg(IMAGE));
    archive
}

#[test]
fn pod_metadata_comes_from_cri() {
    if !palisade_testkit::ready("the CRI end-to-end test", NEEDS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = build_image(dir.path());
    let containerd = start_containerd(&archive);
    let client = CriClient::connect(containerd.socket.clone()).unwrap();
    let version = client.version().expect("CRI Version");
    assert_eq!(version.runtime_name, "containerd");

    let mut sensor = Sensor::start(&SensorOptions::default()).expect("sensor starts");
    let source = CriSource::new(containerd.socket.clone())
        .connected()
        .unwrap();
    assert!(source.handles("containerd"));
    let sources: Vec<Box<dyn MetadataSource>> = vec![Box::new(source)];
    let mut stream = EventStream::new(
        host::tracker_options(),
        host::running_processes(),
        Directory::start(sources),
    );

    let kubelet_labels = |extra: &[(&str, &str)]| -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("io.kubernetes.pod.name", "web-7d4b9"),
            ("io.kubernetes.pod.namespace", "shop"),
            ("io.kubernetes.pod.uid", POD_UID),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        m.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        m
    };
    let sandbox_config = PodSandboxConfig {
        metadata: Some(PodSandboxMetadata {
            name: "web-7d4b9".into(),
            uid: POD_UID.into(),
            namespace: "shop".into(),
            attempt: 0,
        }),
        log_directory: dir.path().join("logs").display().to_string(),
        labels: kubelet_labels(&[("app", "web"), ("tier", "frontend")]),
        annotations: HashMap::new(),
        linux: Some(LinuxPodSandboxConfig {
            cgroup_parent: format!("/kubepods/besteffort/pod{POD_UID}"),
            security_context: Some(LinuxSandboxSecurityContext {
                namespace_options: Some(NamespaceOption {
                    network: 2,
                    pid: 0,
                    ipc: 0,
                }),
            }),
        }),
    };
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let sandbox: RunPodSandboxResponse = client
        .call(
            "RunPodSandbox",
            RunPodSandboxRequest {
                config: Some(sandbox_config.clone()),
            },
        )
        .expect("RunPodSandbox");
    let created: CreateContainerResponse = client
        .call(
            "CreateContainer",
            CreateContainerRequest {
                pod_sandbox_id: sandbox.pod_sandbox_id.clone(),
                config: Some(ContainerConfig {
                    metadata: Some(ContainerMetadata {
                        name: "app".into(),
                        attempt: 0,
                    }),
                    image: Some(ImageSpec {
                        image: IMAGE.into(),
                        user_specified_image: String::new(),
                    }),
                    command: vec![
                        "/bin/sh".into(),
                        "-c".into(),
                        "sleep 0.3; cat /var/run/secrets/kubernetes.io/serviceaccount/token; sleep 0.5".into(),
                    ],
                    labels: kubelet_labels(&[("io.kubernetes.container.name", "app")]),
                    log_path: "app.log".into(),
                }),
                sandbox_config: Some(sandbox_config),
            },
        )
        .expect("CreateContainer");
    let _: Empty = client
        .call(
            "StartContainer",
            ContainerIdRequest {
                container_id: created.container_id.clone(),
            },
        )
        .expect("StartContainer");

    let mut found: Option<RuntimeEvent> = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while found.is_none() && Instant::now() < deadline {
        sensor.drain(|b| {
            let _ = stream.push_record(b);
        });
        stream.ready(Instant::now(), false, |e| {
            if e.evt_type == "openat"
                && e.fd
                    .as_ref()
                    .is_some_and(|f| f.name.ends_with("serviceaccount/token"))
                && e.container
                    .as_ref()
                    .is_some_and(|c| c.id == created.container_id)
            {
                found = Some(e);
            }
        });
        std::thread::sleep(Duration::from_millis(20));
    }
    let _: Empty = client
        .call(
            "StopPodSandbox",
            SandboxIdRequest {
                pod_sandbox_id: sandbox.pod_sandbox_id.clone(),
            },
        )
        .unwrap_or(Empty {});
    let _: Empty = client
        .call(
            "RemovePodSandbox",
            SandboxIdRequest {
                pod_sandbox_id: sandbox.pod_sandbox_id.clone(),
            },
        )
        .unwrap_or(Empty {});

    let event = found.expect("the container's token read was seen and attributed");
    let c = event.container.unwrap();
    assert_eq!(c.runtime, "containerd");
    assert_eq!(c.name.as_deref(), Some("app"));
    assert_eq!(c.image.as_deref(), Some(IMAGE));
    palisade_testkit::assert_started_recently(c.start_ns);
    let pod = c.pod.expect("pod metadata");
    assert_eq!(pod.name, "web-7d4b9");
    assert_eq!(pod.namespace, "shop");
    assert_eq!(pod.uid, POD_UID);
    assert_eq!(pod.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(pod.labels.get("tier").map(String::as_str), Some("frontend"));
    assert!(!pod.labels.contains_key("io.kubernetes.pod.name"));
}
