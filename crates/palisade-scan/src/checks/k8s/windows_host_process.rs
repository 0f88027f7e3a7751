//! PAL-K8S-025: a Windows container runs as a HostProcess container.

use super::util::{Grouped, effective};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-025",
        name: "windows-host-process",
        title: "Windows HostProcess container",
        severity: Severity::Critical,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "A Windows HostProcess container is not isolated from the node at all: it \
            runs as a process of the host, in the host's network, with access to the host's \
            filesystem, and usually as `NT AUTHORITY\\SYSTEM`. It is the Windows counterpart of a \
            privileged Linux pod with the host's namespaces; whoever controls it controls the \
            node (Escape to Host).",
        remediation: "Remove `windowsOptions.hostProcess: true` from the pod and container \
            `securityContext`. Node-management tools that need it belong in a dedicated, \
            admission-controlled namespace.",
        bad_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: win-agent}
spec:
  selector: {matchLabels: {app: win-agent}}
  template:
    metadata: {labels: {app: win-agent}}
    spec:
      os: {name: windows}
      hostNetwork: true
      securityContext:
        windowsOptions:
          hostProcess: true
          runAsUserName: "NT AUTHORITY\\SYSTEM"
      containers:
        - name: agent
          image: registry.example.com/win-agent:1.0.0
"#,
        good_example: r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: win-agent}
spec:
  selector: {matchLabels: {app: win-agent}}
  template:
    metadata: {labels: {app: win-agent}}
    spec:
      os: {name: windows}
      securityContext:
        windowsOptions:
          runAsUserName: ContainerUser
      containers:
        - name: agent
          image: registry.example.com/win-agent:1.0.0
"#,
    },
    run: Run::Workload(run),
};

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    let mut host = Grouped::default();
    for container in workload.containers() {
        // windowsOptions merges field by field: the container's hostProcess, else the pod's.
        if let Some(flag) = effective(workload, &container, &["windowsOptions", "hostProcess"])
            && flag.as_bool() == Some(true)
        {
            host.add(flag, container.label());
        }
    }
    host.report(out, |_, who| {
        format!("windowsOptions.hostProcess makes {who} a Windows HostProcess container, with no isolation from the node")
    });
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn pod_level_host_process_merges_with_container_windows_options() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    windowsOptions: {hostProcess: true}
  containers:
    - name: a
      image: app:1
      securityContext:
        windowsOptions: {runAsUserName: "NT AUTHORITY\\Local service"}
    - {name: b, image: app:1}
"#;
        assert_eq!(
            findings(&CHECK, yaml),
            [(
                "/spec/securityContext/windowsOptions/hostProcess".to_owned(),
                "windowsOptions.hostProcess makes container `a` and container `b` a Windows HostProcess container, with no isolation from the node".to_owned()
            )]
        );
    }
}
