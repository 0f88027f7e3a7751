//! Kubernetes metadata from the container runtime's CRI socket (containerd, cri-o).
//!
//! Only the messages and fields Palisade reads are declared, by hand, with their protobuf
//! field numbers from the CRI `runtime.v1` API (k8s.io/cri-api `api.proto`). Protobuf
//! ignores fields a reader does not declare, so these stay compatible with every runtime
//! version, and building Palisade needs no `protoc`.
//!
//! For a container id from a cgroup: `ListContainers` filtered by id gives the container's
//! pod sandbox id, name and labels (`io.kubernetes.pod.{name,namespace,uid}`, set by the
//! kubelet) and image; `PodSandboxStatus` gives the pod's own labels.

use crate::directory::MetadataSource;
use http::uri::PathAndQuery;
use palisade_runtime::cgroup::CgroupContainer;
use palisade_runtime::event::{Container, Pod};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// `runtime.v1.ContainerFilter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerFilter {
    /// Container id (full or a unique prefix).
    #[prost(string, tag = "1")]
    pub id: String,
}

/// `runtime.v1.ListContainersRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListContainersRequest {
    /// Filter.
    #[prost(message, optional, tag = "1")]
    pub filter: Option<ContainerFilter>,
}

/// `runtime.v1.ContainerMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerMetadata {
    /// Container name in the pod spec.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Restart attempt.
    #[prost(uint32, tag = "2")]
    pub attempt: u32,
}

/// `runtime.v1.ImageSpec`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ImageSpec {
    /// Image reference or id.
    #[prost(string, tag = "1")]
    pub image: String,
    /// The image as the user wrote it (newer runtimes).
    #[prost(string, tag = "18")]
    pub user_specified_image: String,
}

/// `runtime.v1.Container`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CriContainer {
    /// Id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Its pod sandbox.
    #[prost(string, tag = "2")]
    pub pod_sandbox_id: String,
    /// Name.
    #[prost(message, optional, tag = "3")]
    pub metadata: Option<ContainerMetadata>,
    /// Image.
    #[prost(message, optional, tag = "4")]
    pub image: Option<ImageSpec>,
    /// Image digest reference.
    #[prost(string, tag = "5")]
    pub image_ref: String,
    /// Creation time, nanoseconds since the epoch.
    #[prost(int64, tag = "7")]
    pub created_at: i64,
    /// Labels.
    #[prost(map = "string, string", tag = "8")]
    pub labels: HashMap<String, String>,
    /// Annotations.
    #[prost(map = "string, string", tag = "9")]
    pub annotations: HashMap<String, String>,
}

/// `runtime.v1.ListContainersResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListContainersResponse {
    /// Containers.
    #[prost(message, repeated, tag = "1")]
    pub containers: Vec<CriContainer>,
}

/// `runtime.v1.PodSandboxStatusRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatusRequest {
    /// Sandbox id.
    #[prost(string, tag = "1")]
    pub pod_sandbox_id: String,
    /// Verbose info.
    #[prost(bool, tag = "2")]
    pub verbose: bool,
}

/// `runtime.v1.PodSandboxMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxMetadata {
    /// Pod name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Pod UID.
    #[prost(string, tag = "2")]
    pub uid: String,
    /// Namespace.
    #[prost(string, tag = "3")]
    pub namespace: String,
}

/// `runtime.v1.PodSandboxStatus`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatus {
    /// Id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Pod identity.
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<PodSandboxMetadata>,
    /// Pod labels.
    #[prost(map = "string, string", tag = "7")]
    pub labels: HashMap<String, String>,
    /// Pod annotations.
    #[prost(map = "string, string", tag = "8")]
    pub annotations: HashMap<String, String>,
}

/// `runtime.v1.PodSandboxStatusResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatusResponse {
    /// Status.
    #[prost(message, optional, tag = "1")]
    pub status: Option<PodSandboxStatus>,
}

/// `runtime.v1.VersionRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VersionRequest {
    /// Client API version.
    #[prost(string, tag = "1")]
    pub version: String,
}

/// `runtime.v1.VersionResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VersionResponse {
    /// API version.
    #[prost(string, tag = "1")]
    pub version: String,
    /// Runtime name.
    #[prost(string, tag = "2")]
    pub runtime_name: String,
    /// Runtime version.
    #[prost(string, tag = "3")]
    pub runtime_version: String,
    /// CRI version.
    #[prost(string, tag = "4")]
    pub runtime_api_version: String,
}

/// A CRI client on a unix socket.
pub struct CriClient {
    runtime: tokio::runtime::Runtime,
    channel: tonic::transport::Channel,
}

const SERVICE: &str = "/runtime.v1.RuntimeService/";

impl CriClient {
    /// Connect (lazily: the first call opens the socket).
    pub fn connect(socket: PathBuf) -> Result<CriClient, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("starting the CRI client runtime: {e}"))?;
        let endpoint = tonic::transport::Endpoint::try_from("http://localhost")
            .map_err(|e| e.to_string())?
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5));
        let channel = {
            let _guard = runtime.enter();
            endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
                let socket = socket.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(socket).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
        };
        Ok(CriClient { runtime, channel })
    }

    /// One unary call of `runtime.v1.RuntimeService` (`method` as in the proto, e.g. `Version`).
    pub fn call<Req, Resp>(&self, method: &'static str, request: Req) -> Result<Resp, String>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let path =
            PathAndQuery::try_from(format!("{SERVICE}{method}")).map_err(|e| e.to_string())?;
        self.runtime.block_on(async move {
            grpc.ready()
                .await
                .map_err(|e| format!("CRI socket not ready: {e}"))?;
            let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
            grpc.unary(tonic::Request::new(request), path, codec)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| format!("CRI {method}: {}", status.message()))
        })
    }

    /// `Version`.
    pub fn version(&self) -> Result<VersionResponse, String> {
        self.call(
            "Version",
            VersionRequest {
                version: "v1".into(),
            },
        )
    }

    /// `ListContainers` for one id.
    pub fn container(&self, id: &str) -> Result<Option<CriContainer>, String> {
        let resp: ListContainersResponse = self.call(
            "ListContainers",
            ListContainersRequest {
                filter: Some(ContainerFilter { id: id.to_owned() }),
            },
        )?;
        Ok(resp
            .containers
            .into_iter()
            .find(|c| c.id.starts_with(id) || id.starts_with(&c.id)))
    }

    /// `PodSandboxStatus`.
    pub fn sandbox(&self, id: &str) -> Result<Option<PodSandboxStatus>, String> {
        let resp: PodSandboxStatusResponse = self.call(
            "PodSandboxStatus",
            PodSandboxStatusRequest {
                pod_sandbox_id: id.to_owned(),
                verbose: false,
            },
        )?;
        Ok(resp.status)
    }
}

/// Container metadata from a CRI container and its sandbox.
pub fn container_from_cri(
    c: &CriContainer,
    sandbox: Option<&PodSandboxStatus>,
    runtime: &str,
) -> Container {
    let sorted = |m: &HashMap<String, String>| -> BTreeMap<String, String> {
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let labels = sorted(&c.labels);
    let meta = sandbox.and_then(|s| s.metadata.as_ref());
    let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
    let pod = Pod {
        name: meta.map_or_else(|| label("io.kubernetes.pod.name"), |m| m.name.clone()),
        namespace: meta.map_or_else(
            || label("io.kubernetes.pod.namespace"),
            |m| m.namespace.clone(),
        ),
        uid: meta.map_or_else(|| label("io.kubernetes.pod.uid"), |m| m.uid.clone()),
        labels: sandbox
            .map(|s| {
                sorted(&s.labels)
                    .into_iter()
                    // the kubelet's own bookkeeping labels are not the pod's labels
                    .filter(|(k, _)| !k.starts_with("io.kubernetes."))
                    .collect()
            })
            .unwrap_or_default(),
        service_account: None,
    };
    let image = c
        .image
        .as_ref()
        .map(|i| {
            if i.user_specified_image.is_empty() {
                i.image.clone()
            } else {
                i.user_specified_image.clone()
            }
        })
        .filter(|i| !i.is_empty())
        .or_else(|| c.annotations.get("io.kubernetes.cri.image-name").cloned());
    Container {
        id: c.id.clone(),
        runtime: runtime.to_owned(),
        name: c
            .metadata
            .as_ref()
            .map(|m| m.name.clone())
            .or_else(|| labels.get("io.kubernetes.container.name").cloned()),
        image,
        privileged: None,
        pod: (!pod.name.is_empty() || !pod.uid.is_empty()).then_some(pod),
        labels,
        start_ns: (c.created_at > 0).then_some(c.created_at),
    }
}

/// CRI as a metadata source.
pub struct CriSource {
    socket: PathBuf,
    client: Option<CriClient>,
}

impl CriSource {
    /// A source on `socket` (connected on first use).
    pub fn new(socket: PathBuf) -> CriSource {
        CriSource {
            socket,
            client: None,
        }
    }
}

impl MetadataSource for CriSource {
    fn name(&self) -> &str {
        "cri"
    }

    fn handles(&self, runtime: &str) -> bool {
        matches!(runtime, "containerd" | "cri-o")
    }

    fn inspect(&self, container: &CgroupContainer) -> Result<Option<Container>, String> {
        // `inspect` takes &self; a client per call would reconnect each time, so connect
        // once per source in `connected`.
        let fresh;
        let client = match &self.client {
            Some(c) => c,
            None => {
                fresh = CriClient::connect(self.socket.clone())?;
                &fresh
            }
        };
        let Some(c) = client.container(&container.id)? else {
            return Ok(None);
        };
        let sandbox = if c.pod_sandbox_id.is_empty() {
            None
        } else {
            client.sandbox(&c.pod_sandbox_id)?
        };
        Ok(Some(container_from_cri(
            &c,
            sandbox.as_ref(),
            &container.runtime,
        )))
    }
}

impl CriSource {
    /// Connect now (so later lookups reuse one connection).
    pub fn connected(mut self) -> Result<CriSource, String> {
        self.client = Some(CriClient::connect(self.socket.clone())?);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn messages_use_the_cri_field_numbers() {
        // ListContainersRequest{filter{id:"ab"}}: field 1 (len) { field 1 (len) "ab" }
        let req = ListContainersRequest {
            filter: Some(ContainerFilter { id: "ab".into() }),
        };
        assert_eq!(req.encode_to_vec(), vec![0x0a, 4, 0x0a, 2, b'a', b'b']);
        // A Container with fields we do not declare (state = 6) decodes; created_at = 7.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[0x0a, 1, b'c']); // id
        bytes.extend_from_slice(&[0x12, 1, b's']); // pod_sandbox_id
        bytes.extend_from_slice(&[0x30, 1]); // state (undeclared)
        bytes.extend_from_slice(&[0x38, 0x96, 0x01]); // created_at = 150
        bytes.extend_from_slice(&[0x1a, 5, 0x0a, 3, b'a', b'p', b'p']); // metadata.name
        let c = CriContainer::decode(bytes.as_slice()).unwrap();
        assert_eq!((c.id.as_str(), c.pod_sandbox_id.as_str()), ("c", "s"));
        assert_eq!(c.metadata.unwrap().name, "app");
        assert_eq!(c.created_at, 150);
    }

    #[test]
    fn container_and_pod_from_cri() {
        let c = CriContainer {
            id: "c4db".into(),
            pod_sandbox_id: "sb".into(),
            metadata: Some(ContainerMetadata {
                name: "app".into(),
                attempt: 0,
            }),
            image: Some(ImageSpec {
                image: "localhost/palisade-busybox:cri".into(),
                user_specified_image: String::new(),
            }),
            labels: [
                ("io.kubernetes.pod.name".to_owned(), "web-7d4b9".to_owned()),
                ("io.kubernetes.pod.namespace".to_owned(), "shop".to_owned()),
            ]
            .into(),
            ..CriContainer::default()
        };
        let sandbox = PodSandboxStatus {
            id: "sb".into(),
            metadata: Some(PodSandboxMetadata {
                name: "web-7d4b9".into(),
                uid: "0f3c".into(),
                namespace: "shop".into(),
            }),
            labels: [
                ("app".to_owned(), "web".to_owned()),
                ("io.kubernetes.pod.name".to_owned(), "web-7d4b9".to_owned()),
            ]
            .into(),
            ..PodSandboxStatus::default()
        };
        let m = container_from_cri(&c, Some(&sandbox), "containerd");
        assert_eq!(m.name.as_deref(), Some("app"));
        assert_eq!(m.image.as_deref(), Some("localhost/palisade-busybox:cri"));
        let pod = m.pod.unwrap();
        assert_eq!(
            (pod.name.as_str(), pod.namespace.as_str(), pod.uid.as_str()),
            ("web-7d4b9", "shop", "0f3c")
        );
        assert_eq!(pod.labels.len(), 1);
        // without the sandbox, the container's labels still name the pod
        let m = container_from_cri(&c, None, "containerd");
        assert_eq!(m.pod.unwrap().namespace, "shop");
    }
}
