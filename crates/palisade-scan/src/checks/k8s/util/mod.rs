//! Helpers shared by the workload checks: security-context resolution, grouping of findings
//! that several containers inherit from one pod-level setting, and the classifiers in the
//! submodules (host paths, image references, secret-looking environment variables, words).

pub(crate) mod host_paths;
pub(crate) mod images;
pub(crate) mod profiles;
pub(crate) mod secrets;
pub(crate) mod words;

use crate::checks::Reporter;
use crate::k8s::{Container, Workload};
use crate::spot::Cursor;

/// `cursor` unless it is a YAML null: `runAsUser: ~` means "unset" to the API server.
pub(crate) fn present(cursor: Option<Cursor<'_>>) -> Option<Cursor<'_>> {
    cursor.filter(|c| !c.node.is_null())
}

/// The node at `path` below `base`, ignoring nulls.
pub(crate) fn at<'a>(base: &Cursor<'a>, path: &[&str]) -> Option<Cursor<'a>> {
    present(base.get_path(path))
}

/// The deepest existing, non-null node along `path` below `base` (`base` itself when even
/// the first key is missing): where to report a missing field.
pub(crate) fn nearest<'a>(base: &Cursor<'a>, path: &[&str]) -> Cursor<'a> {
    let mut cur = base.clone();
    for key in path {
        match present(cur.get(key)) {
            Some(next) => cur = next,
            None => break,
        }
    }
    cur
}

/// The value at `path` inside the container's `securityContext`, else inside the pod's.
///
/// Unlike [`Container::effective_security`], this follows a whole path and skips nulls, so
/// `windowsOptions.hostProcess` merges field by field the way the kubelet merges it, and a
/// container's `runAsUser: null` does not hide the pod's value.
pub(crate) fn effective<'a>(
    workload: &Workload<'a>,
    container: &Container<'a>,
    path: &[&str],
) -> Option<Cursor<'a>> {
    let mut full = vec!["securityContext"];
    full.extend_from_slice(path);
    at(&container.cursor, &full).or_else(|| at(&workload.pod_spec, &full))
}

/// `securityContext.privileged: true` on the container (PAL-K8S-001 reports it; checks whose
/// finding it makes moot skip such containers).
pub(crate) fn is_privileged(container: &Container<'_>) -> bool {
    container
        .cursor
        .node
        .get_path(&["securityContext", "privileged"])
        .and_then(|n| n.as_bool())
        == Some(true)
}

/// A Windows pod (`spec.os.name: windows`, or a HostProcess pod). Linux-only settings
/// (capabilities, seccomp, AppArmor, SELinux, `runAsUser`, `readOnlyRootFilesystem`...) do
/// not apply to it, and the API server rejects them when `os.name` is `windows`.
pub(crate) fn is_windows(workload: &Workload<'_>) -> bool {
    if workload
        .pod_spec
        .text_of_path(&["os", "name"])
        .is_some_and(|n| n.eq_ignore_ascii_case("windows"))
    {
        return true;
    }
    let host_process = |c: &Cursor<'_>| {
        c.node
            .get_path(&["securityContext", "windowsOptions", "hostProcess"])
            .and_then(|n| n.as_bool())
            == Some(true)
    };
    host_process(&workload.pod_spec)
        || workload
            .containers()
            .iter()
            .any(|c| host_process(&c.cursor))
}

/// The service account the pod runs as and the node naming it: the first non-empty of
/// `serviceAccountName` and its deprecated alias `serviceAccount`, else `default`.
///
/// [`Workload::service_account`] returns `""` for `serviceAccountName: ""` and then ignores
/// `serviceAccount`, whereas the API server treats an empty name as unset.
pub(crate) fn service_account<'a>(workload: &Workload<'a>) -> (&'a str, Option<Cursor<'a>>) {
    ["serviceAccountName", "serviceAccount"]
        .iter()
        .filter_map(|key| present(workload.pod_spec.get(key)))
        .find_map(|c| text(&c).map(|name| (name, Some(c))))
        .unwrap_or(("default", None))
}

/// Report the pod-spec boolean `key` (`hostPID`, `hostIPC`, `hostNetwork`) when it is true.
pub(crate) fn report_pod_flag(
    workload: &Workload<'_>,
    out: &mut Reporter<'_>,
    key: &str,
    consequence: &str,
) {
    if let Some(flag) = present(workload.pod_spec.get(key))
        && flag.as_bool() == Some(true)
    {
        out.report(
            flag.spot(),
            format!("the pod sets {key} to true, so {consequence}"),
        );
    }
}

/// The items of `securityContext.capabilities.<list>` (`add` or `drop`) with each name
/// normalised: trimmed, upper case, `CAP_` prefix removed (`cap_sys_admin` → `SYS_ADMIN`).
pub(crate) fn capabilities<'a>(container: &Container<'a>, list: &str) -> Vec<(Cursor<'a>, String)> {
    let Some(items) = at(
        &container.cursor,
        &["securityContext", "capabilities", list],
    ) else {
        return Vec::new();
    };
    items
        .items()
        .filter_map(|item| {
            let name = normalise_capability(text(&item)?);
            Some((item, name))
        })
        .collect()
}

/// `cap_sys_admin`, `CAP_SYS_ADMIN`, `sys_admin` → `SYS_ADMIN`.
pub(crate) fn normalise_capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_owned)
}

/// Whether a capability list item is the keyword `ALL` (any case). `CAP_ALL` is not: the
/// runtimes only recognise the bare keyword.
pub(crate) fn is_all(cursor: &Cursor<'_>) -> bool {
    cursor
        .text()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("ALL"))
}

/// The text of a scalar, `None` for a collection, a null or an empty string.
pub(crate) fn text<'a>(cursor: &Cursor<'a>) -> Option<&'a str> {
    cursor.text().map(str::trim).filter(|t| !t.is_empty())
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Findings keyed by the node they are reported at, so a pod-level setting inherited by
/// several containers gives one finding naming all of them rather than one per container.
#[derive(Debug, Default)]
pub(crate) struct Grouped<'a> {
    groups: Vec<(Cursor<'a>, Vec<String>)>,
}

impl<'a> Grouped<'a> {
    /// Record that the container `label` is affected by the node at `at`.
    pub(crate) fn add(&mut self, at: Cursor<'a>, label: String) {
        match self
            .groups
            .iter_mut()
            .find(|(c, _)| c.pointer == at.pointer)
        {
            Some((_, labels)) => labels.push(label),
            None => self.groups.push((at, vec![label])),
        }
    }

    /// Report each node once; `message` gets the node and the affected containers, joined.
    pub(crate) fn report(
        self,
        out: &mut Reporter<'_>,
        mut message: impl FnMut(&Cursor<'a>, &str) -> String,
    ) {
        for (cursor, labels) in self.groups {
            let text = message(&cursor, &join_and(&labels));
            out.report(cursor.spot(), text);
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Scan a manifest with one check and return its findings as (pointer, message).

    use crate::checks::Check;
    use crate::{ScanOptions, Source, scan_sources};

    /// Findings of `check` on `yaml`, as (JSON pointer, message); panics if the input does
    /// not parse cleanly.
    pub(crate) fn findings(check: &Check, yaml: &str) -> Vec<(String, String)> {
        let options = ScanOptions {
            select: vec![check.info.id.to_owned()],
            ..ScanOptions::default()
        };
        let report = scan_sources(vec![Source::new("test.yaml", yaml)], &options);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report
            .findings
            .into_iter()
            .filter(|f| f.check == check.info.id)
            .map(|f| (f.location.pointer, f.message))
            .collect()
    }

    /// Just the pointers.
    pub(crate) fn pointers(check: &Check, yaml: &str) -> Vec<String> {
        findings(check, yaml).into_iter().map(|(p, _)| p).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_reads_naturally() {
        let s = |v: &[&str]| join_and(&v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b"]), "a and b");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }
}
