//! Kubernetes objects read from YAML/JSON documents, and the workload view checks use.

mod workload;

pub use workload::{Container, ContainerKind, Workload, normalise_host_path};

use crate::spot::{Cursor, Origin};
use palisade_core::ObjectRef;
use palisade_yaml::{Document, Node, Value};

/// One Kubernetes object (a document, or an item of a `List`).
#[derive(Debug)]
pub struct K8sObject {
    /// File and object identity.
    pub origin: Origin,
    /// The object's tree.
    pub root: Node,
}

/// The workload kinds whose pod template Palisade checks, and where the pod spec lives.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("PodTemplate", &["template", "spec"]),
];

impl K8sObject {
    /// Cursor at the object's root.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor::root(&self.root, &self.origin)
    }

    fn object_ref(&self) -> &ObjectRef {
        self.origin
            .object
            .as_ref()
            .expect("Kubernetes objects always carry an ObjectRef")
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        &self.object_ref().kind
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        &self.object_ref().api_version
    }

    /// API group of `apiVersion` (`""` for the core group).
    pub fn api_group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// `metadata.name`.
    pub fn name(&self) -> Option<&str> {
        self.object_ref().name.as_deref()
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.object_ref().namespace.as_deref()
    }

    /// `kind/name` or `kind/namespace/name`, for messages.
    pub fn display_name(&self) -> String {
        match (self.namespace(), self.name()) {
            (Some(ns), Some(name)) => format!("{}/{ns}/{name}", self.kind()),
            (None, Some(name)) => format!("{}/{name}", self.kind()),
            _ => self.kind().to_string(),
        }
    }

    /// An annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get_path(&["metadata", "annotations", key])
            .and_then(Node::text)
    }

    /// The workload view, when this object carries a pod template.
    pub fn workload(&self) -> Option<Workload<'_>> {
        let (_, path) = POD_SPEC_PATHS
            .iter()
            .find(|(kind, _)| *kind == self.kind())?;
        let pod_spec = self.cursor().get_path(path)?;
        let template_meta = if path.len() > 1 {
            self.cursor()
                .get_path(&path[..path.len() - 1])
                .and_then(|t| t.get("metadata"))
        } else {
            self.cursor().get("metadata")
        };
        Some(Workload {
            object: self,
            pod_spec,
            pod_meta: template_meta,
        })
    }
}

/// Outcome of turning a YAML document into objects.
#[derive(Debug, Default)]
pub struct LoadedObjects {
    /// Objects found.
    pub objects: Vec<K8sObject>,
    /// Documents that are YAML but not Kubernetes objects (no `apiVersion`/`kind`), e.g.
    /// Helm values or kustomization patches. They are counted, not reported as errors.
    pub non_objects: usize,
}

/// Turn the documents of one file into Kubernetes objects, flattening `List` kinds
/// (`v1/List`, `PodList`, `DeploymentList`...).
pub fn objects_from_documents(path: &str, documents: Vec<Document>) -> LoadedObjects {
    let mut out = LoadedObjects::default();
    for doc in documents {
        push_object(path, doc.index, doc.root, &mut out, 0);
    }
    out
}

fn push_object(path: &str, document: usize, mut root: Node, out: &mut LoadedObjects, depth: u8) {
    let api_version = root
        .get("apiVersion")
        .and_then(Node::text)
        .map(str::to_owned);
    let kind = root.get("kind").and_then(Node::text).map(str::to_owned);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        out.non_objects += 1;
        return;
    };
    if kind.ends_with("List") && depth < 4 {
        if let Value::Map(entries) = &mut root.value
            && let Some((_, items)) = entries.iter_mut().find(|(k, _)| k.text() == Some("items"))
            && let Value::Seq(items) = std::mem::replace(&mut items.value, Value::Null)
        {
            for item in items {
                push_object(path, document, item, out, depth + 1);
            }
        }
        return;
    }
    let name = root
        .get_path(&["metadata", "name"])
        .and_then(Node::text)
        .map(str::to_owned)
        .or_else(|| {
            root.get_path(&["metadata", "generateName"])
                .and_then(Node::text)
                .map(str::to_owned)
        });
    let namespace = root
        .get_path(&["metadata", "namespace"])
        .and_then(Node::text)
        .map(str::to_owned);
    out.objects.push(K8sObject {
        origin: Origin {
            path: path.to_owned(),
            object: Some(ObjectRef {
                api_version,
                kind,
                namespace,
                name,
                document,
            }),
        },
        root,
    });
}
