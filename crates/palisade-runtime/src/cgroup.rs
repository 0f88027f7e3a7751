//! Container ids from cgroup names.
//!
//! The kernel side sends the name of a task's cgroup and of its parent; a runtime's naming
//! convention tells the container id, the runtime, and for Kubernetes the pod UID (in the
//! parent). Conventions recognised (cgroupfs and systemd drivers):
//!
//! | runtime | leaf | parent |
//! |---|---|---|
//! | podman | `libpod-<id>` or `libpod-<id>.scope` (`…/container` below it with crun on v2) | any |
//! | docker | `docker-<id>.scope`, or `<id>` under `docker` | |
//! | containerd (CRI) | `cri-containerd-<id>.scope`, or `<id>` under `pod<uid>` | `kubepods-<qos>-pod<uid_>.slice` / `pod<uid>` |
//! | cri-o | `crio-<id>.scope` / `crio-<id>` | as containerd |
//!
//! Monitors (`libpod-conmon-<id>`, `crio-conmon-<id>`) are not the workload and give no id.

use serde::{Deserialize, Serialize};

/// The container a cgroup belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CgroupContainer {
    /// Full container id (64 hex digits for every runtime above).
    pub id: String,
    /// `podman`, `docker`, `containerd`, `cri-o`.
    pub runtime: String,
    /// Kubernetes pod UID when the parent cgroup names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<String>,
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `pod<uid>` (cgroupfs) or `kubepods-<qos>-pod<uid with _>.slice` / `kubepods-pod<uid>.slice`
/// (systemd) to the pod UID.
pub fn pod_uid_of(parent: &str) -> Option<String> {
    let parent = parent.strip_suffix(".slice").unwrap_or(parent);
    let idx = parent.rfind("pod")?;
    let uid = &parent[idx + 3..];
    // A UID is 36 chars (32 hex + 4 dashes); systemd writes underscores for dashes.
    if uid.len() != 36 {
        return None;
    }
    let uid = uid.replace('_', "-");
    let ok = uid
        .bytes()
        .enumerate()
        .all(|(i, b)| matches!(i, 8 | 13 | 18 | 23) && b == b'-' || b.is_ascii_hexdigit());
    ok.then_some(uid)
}

/// The container of a task whose cgroup is `leaf` under `parent`.
pub fn container_of(leaf: &str, parent: &str) -> Option<CgroupContainer> {
    // crun on cgroup v2 puts the workload in `libpod-<id>.scope/container`.
    if leaf == "container" && parent.starts_with("libpod-") {
        return container_of(parent, "");
    }
    let pod_uid = pod_uid_of(parent);
    let make = |id: &str, runtime: &str| {
        is_container_id(id).then(|| CgroupContainer {
            id: id.to_owned(),
            runtime: runtime.to_owned(),
            pod_uid: pod_uid.clone(),
        })
    };
    let stem = leaf.strip_suffix(".scope").unwrap_or(leaf);
    if stem.starts_with("libpod-conmon-") || stem.starts_with("crio-conmon-") {
        return None;
    }
    if let Some(id) = stem.strip_prefix("libpod-") {
        return make(id, "podman");
    }
    if let Some(id) = stem.strip_prefix("docker-") {
        return make(id, "docker");
    }
    if let Some(id) = stem.strip_prefix("cri-containerd-") {
        return make(id, "containerd");
    }
    if let Some(id) = stem.strip_prefix("crio-") {
        return make(id, "cri-o");
    }
    // containerd without systemd cgroups on a systemd host: `…:cri-containerd:<id>`.
    if let Some((_, id)) = stem.rsplit_once(":cri-containerd:") {
        return make(id, "containerd");
    }
    if is_container_id(stem) {
        if parent == "docker" {
            return make(stem, "docker");
        }
        if pod_uid.is_some() {
            return make(stem, "containerd");
        }
    }
    None
}

/// The container of a full cgroup path (`/kubepods/besteffort/pod…/<id>`), e.g. a line of
/// `/proc/<pid>/cgroup`.
pub fn container_of_path(path: &str) -> Option<CgroupContainer> {
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let leaf = parts.next()?;
    let parent = parts.next().unwrap_or("");
    container_of(leaf, parent).or_else(|| {
        // crun's `…/libpod-<id>.scope/container`
        let grandparent = parts.next().unwrap_or("");
        (leaf == "container")
            .then(|| container_of(parent, grandparent))
            .flatten()
    })
}

/// The container of a process from the text of `/proc/<pid>/cgroup` (v1, v2 or hybrid):
/// the first line whose path names a container.
pub fn container_of_proc_cgroup(text: &str) -> Option<CgroupContainer> {
    text.lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .find_map(container_of_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8a73346ba4ca0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b";
    const UID: &str = "0f3c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6";

    fn ids(leaf: &str, parent: &str) -> Option<(String, String, Option<String>)> {
        container_of(leaf, parent).map(|c| (c.id, c.runtime, c.pod_uid))
    }

    #[test]
    fn every_runtime_convention() {
        let uid_ = UID.replace('-', "_");
        let cases = [
            (
                format!("libpod-{ID}"),
                "libpod_parent".to_owned(),
                "podman",
                None,
            ),
            (
                format!("libpod-{ID}.scope"),
                "machine.slice".into(),
                "podman",
                None,
            ),
            (
                "container".into(),
                format!("libpod-{ID}.scope"),
                "podman",
                None,
            ),
            (
                format!("docker-{ID}.scope"),
                "system.slice".into(),
                "docker",
                None,
            ),
            (ID.into(), "docker".into(), "docker", None),
            (
                format!("cri-containerd-{ID}.scope"),
                format!("kubepods-besteffort-pod{uid_}.slice"),
                "containerd",
                Some(UID),
            ),
            (ID.into(), format!("pod{UID}"), "containerd", Some(UID)),
            (
                format!("crio-{ID}.scope"),
                format!("kubepods-burstable-pod{uid_}.slice"),
                "cri-o",
                Some(UID),
            ),
            (
                format!("crio-{ID}"),
                format!("pod{UID}"),
                "cri-o",
                Some(UID),
            ),
            (
                format!("kubepods-besteffort-pod{uid_}.slice:cri-containerd:{ID}"),
                "kubepods-besteffort.slice".into(),
                "containerd",
                None,
            ),
            (
                format!("cri-containerd-{ID}.scope"),
                format!("kubepods-pod{uid_}.slice"),
                "containerd",
                Some(UID),
            ),
        ];
        for (leaf, parent, runtime, uid) in cases {
            assert_eq!(
                ids(&leaf, &parent),
                Some((ID.to_owned(), runtime.to_owned(), uid.map(str::to_owned))),
                "{leaf} under {parent}"
            );
        }
    }

    #[test]
    fn hosts_monitors_and_lookalikes_are_not_containers() {
        for (leaf, parent) in [
            ("", ""),
            ("user.slice", ""),
            ("libpod_parent", ""),
            (
                &format!("libpod-conmon-{ID}.scope") as &str,
                "machine.slice",
            ),
            (&format!("crio-conmon-{ID}.scope"), "kubepods.slice"),
            (&ID[..63], "docker"),
            (ID, "system.slice"),
            (&format!("libpod-{}", &ID[..12]), "libpod_parent"),
            (&format!("docker-{}zz.scope", &ID[..62]), "system.slice"),
        ] {
            assert_eq!(container_of(leaf, parent), None, "{leaf} under {parent}");
        }
    }

    #[test]
    fn proc_cgroup_text_hybrid_and_v2() {
        let hybrid = format!(
            "12:memory:/libpod_parent/libpod-{ID}\n1:name=systemd:/\n0::/libpod_parent/libpod-{ID}\n"
        );
        assert_eq!(container_of_proc_cgroup(&hybrid).unwrap().runtime, "podman");
        let v2 = format!("0::/kubepods/besteffort/pod{UID}/{ID}\n");
        let c = container_of_proc_cgroup(&v2).unwrap();
        assert_eq!((c.id.as_str(), c.pod_uid.as_deref()), (ID, Some(UID)));
        assert_eq!(
            container_of_proc_cgroup("0::/user.slice/session-1.scope\n"),
            None
        );
        let crun = format!("0::/machine.slice/libpod-{ID}.scope/container\n");
        assert_eq!(container_of_proc_cgroup(&crun).unwrap().id, ID);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(leaf in ".{0,120}", parent in ".{0,120}") {
            let _ = container_of(&leaf, &parent);
            let _ = container_of_path(&format!("{parent}/{leaf}"));
        }
    }
}
