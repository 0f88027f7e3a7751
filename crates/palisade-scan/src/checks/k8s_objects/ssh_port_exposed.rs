//! PAL-K8S-104: a Service or container exposes an SSH port.

use super::util::{is_service, port_number};
use crate::checks::{Check, Reporter, Run};
use crate::k8s::K8sObject;
use crate::spot::Cursor;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-104",
        name: "ssh-port-exposed",
        title: "SSH port exposed by a Service or a container",
        severity: Severity::Medium,
        techniques: &["T1133"],
        target: CheckTarget::K8sObject,
        rationale: "An SSH server in a container is a second way in that bypasses the \
            Kubernetes API, its RBAC and its audit log. Its keys or passwords are often baked \
            into the image or shared between replicas, and brute-forcing it is routine. \
            Containers should be reached with `kubectl exec` or debug containers, which are \
            authorised and audited.",
        remediation: "Remove the SSH server and its port; use `kubectl exec` / `kubectl debug` \
            for interactive access. If SSH is the product (a Git server), expose it through a \
            dedicated, hardened Service and document the exception with a suppression.",
        bad_example: r#"apiVersion: v1
kind: Service
metadata: {name: build-box, namespace: ci}
spec:
  selector: {app: build-box}
  ports:
    - {name: ssh, port: 22, targetPort: 22}
---
apiVersion: v1
kind: Pod
metadata: {name: build-box, namespace: ci}
spec:
  containers:
    - name: box
      image: registry.example.com/build-box:1.4
      ports:
        - {containerPort: 22}
"#,
        good_example: r#"apiVersion: v1
kind: Service
metadata: {name: build-box, namespace: ci}
spec:
  selector: {app: build-box}
  ports:
    - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Pod
metadata: {name: build-box, namespace: ci}
spec:
  containers:
    - name: box
      image: registry.example.com/build-box:1.4
      ports:
        - {containerPort: 8080}
"#,
    },
    run: Run::Object(run),
};

const SSH_PORTS: &[u32] = &[22, 2222];

/// The field of a port entry that makes it SSH, and what it says.
fn ssh_field<'a>(
    port: &Cursor<'a>,
    numeric: &[&str],
    named: &[&str],
) -> Option<(Cursor<'a>, String)> {
    for field in numeric {
        if let Some(c) = port.get(field)
            && let Some(n) = port_number(&c)
            && SSH_PORTS.contains(&n)
        {
            return Some((c, format!("{field} {n}")));
        }
    }
    for field in named {
        if let Some(c) = port.get(field)
            && c.text().is_some_and(|t| t.eq_ignore_ascii_case("ssh"))
        {
            return Some((c, format!("{field} `ssh`")));
        }
    }
    None
}

fn run(object: &K8sObject, out: &mut Reporter<'_>) {
    if is_service(object) {
        if let Some(ports) = object.cursor().get_path(&["spec", "ports"]) {
            for port in ports.items() {
                if let Some((at, what)) =
                    ssh_field(&port, &["port", "targetPort"], &["targetPort", "name"])
                {
                    out.report(
                        at.spot(),
                        format!("{} exposes an SSH port ({what})", object.display_name()),
                    );
                }
            }
        }
        return;
    }
    let Some(workload) = object.workload() else {
        return;
    };
    for container in workload.containers() {
        let Some(ports) = container.cursor.get("ports") else {
            continue;
        };
        for port in ports.items() {
            if let Some((at, what)) = ssh_field(&port, &["containerPort"], &["name"]) {
                out.report(
                    at.spot(),
                    format!(
                        "{} of {} listens on an SSH port ({what})",
                        container.label(),
                        object.display_name()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::rbac::util::tests::scan;

    #[test]
    fn one_finding_per_port_entry() {
        let text = r#"apiVersion: v1
kind: Service
metadata: {name: git}
spec:
  ports:
    - {name: ssh, port: 22, targetPort: 22}
    - {name: alt, port: 8022, targetPort: ssh}
    - {name: web, port: 80, targetPort: 2222}
    - {name: http, port: 8080, targetPort: "8080"}
"#;
        assert_eq!(
            scan(&[("s.yaml", text)], "PAL-K8S-104"),
            vec![
                "Service/git exposes an SSH port (port 22)",
                "Service/git exposes an SSH port (targetPort `ssh`)",
                "Service/git exposes an SSH port (targetPort 2222)",
            ]
        );
    }
}
