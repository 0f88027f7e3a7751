//! The pod-template view of a workload object.

use super::K8sObject;
use crate::spot::Cursor;

/// Which list of the pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `containers`
    App,
    /// `initContainers`
    Init,
    /// `ephemeralContainers`
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field name.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::App => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// Word used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::App => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A workload: any object with a pod template (Pod, Deployment, CronJob...).
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The object.
    pub object: &'a K8sObject,
    /// The pod spec.
    pub pod_spec: Cursor<'a>,
    /// The pod template's metadata (the object's own metadata for a Pod).
    pub pod_meta: Option<Cursor<'a>>,
}

/// One container of a workload.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    /// The container node.
    pub cursor: Cursor<'a>,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Its name (`?` when missing).
    pub name: &'a str,
}

impl<'a> Container<'a> {
    /// `container `app``, `init container `setup``: for messages.
    pub fn label(&self) -> String {
        format!("{} `{}`", self.kind.noun(), self.name)
    }

    /// The container's `securityContext`, if any.
    pub fn security_context(&self) -> Option<Cursor<'a>> {
        self.cursor.get("securityContext")
    }

    /// A security-context field, with the container's value winning over the pod's
    /// (`runAsUser`, `runAsNonRoot`, `seccompProfile`, `seLinuxOptions`, `appArmorProfile`...).
    pub fn effective_security(&self, workload: &Workload<'a>, key: &str) -> Option<Cursor<'a>> {
        // An explicit null at container level means "not set": the pod's value applies.
        self.cursor
            .get_path(&["securityContext", key])
            .filter(|c| !c.node.is_null())
            .or_else(|| workload.pod_spec.get_path(&["securityContext", key]))
            .filter(|c| !c.node.is_null())
    }

    /// The image reference.
    pub fn image(&self) -> Option<Cursor<'a>> {
        self.cursor.get("image")
    }
}

impl<'a> Workload<'a> {
    /// All containers: app, init and ephemeral.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for kind in [
            ContainerKind::App,
            ContainerKind::Init,
            ContainerKind::Ephemeral,
        ] {
            if let Some(list) = self.pod_spec.get(kind.field()) {
                for cursor in list.items().collect::<Vec<_>>() {
                    let name = cursor
                        .node
                        .get("name")
                        .and_then(|n| n.text())
                        .unwrap_or("?");
                    out.push(Container { cursor, kind, name });
                }
            }
        }
        out
    }

    /// Volumes of the pod spec.
    pub fn volumes(&self) -> Vec<Cursor<'a>> {
        self.pod_spec
            .get("volumes")
            .map(|v| v.items().collect())
            .unwrap_or_default()
    }

    /// `hostPath` volumes as (volume cursor, normalised path, path cursor).
    pub fn host_paths(&self) -> Vec<(Cursor<'a>, String, Cursor<'a>)> {
        self.volumes()
            .into_iter()
            .filter_map(|vol| {
                let path = vol.get_path(&["hostPath", "path"])?;
                let text = path.text().filter(|t| !t.trim().is_empty())?;
                let normalised = normalise_host_path(text);
                Some((vol, normalised, path))
            })
            .collect()
    }

    /// The service account name the pod runs as (`default` when unset).
    pub fn service_account(&self) -> (&'a str, Option<Cursor<'a>>) {
        // `serviceAccount` is the deprecated spelling; an empty value means unset.
        let named = |key: &str| {
            self.pod_spec
                .get(key)
                .and_then(|c| c.text().filter(|t| !t.is_empty()).map(|t| (t, c)))
        };
        match named("serviceAccountName").or_else(|| named("serviceAccount")) {
            Some((name, cursor)) => (name, Some(cursor)),
            None => ("default", None),
        }
    }

    /// Namespace of the workload (`default` when unset).
    pub fn namespace(&self) -> &'a str {
        self.object.namespace().unwrap_or("default")
    }
}

/// Collapse `//`, `/./` and trailing slashes so `/var/run//docker.sock/` matches
/// `/var/run/docker.sock`.
pub fn normalise_host_path(path: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::normalise_host_path;

    #[test]
    fn host_paths_are_normalised() {
        assert_eq!(
            normalise_host_path("/var/run//docker.sock/"),
            "/var/run/docker.sock"
        );
        assert_eq!(normalise_host_path("/"), "/");
        assert_eq!(normalise_host_path("/etc/../proc/./1"), "/proc/1");
    }
}
