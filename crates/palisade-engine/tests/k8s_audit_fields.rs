//! Field extraction of the `k8s_audit` source on hand-written audit events.

use palisade_engine::field::{Event, FieldArg, FieldTable, FieldValue};
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields, stage_of};

/// Split `name[arg]` and resolve it.
fn resolve(spec: &str) -> palisade_engine::field::ResolvedField {
    let (name, arg) = match spec.split_once('[') {
        Some((n, rest)) => (n, Some(rest.strip_suffix(']').expect("closing bracket"))),
        None => (spec, None),
    };
    K8sAuditFields
        .resolve(name, arg)
        .unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn value(ev: &str, spec: &str) -> FieldValue<'static> {
    let e = AuditEvent::parse(ev).expect("event parses");
    match e.get(&resolve(spec)) {
        FieldValue::Absent => FieldValue::Absent,
        FieldValue::Str(s) => FieldValue::Str(s.into_owned().into()),
        FieldValue::List(l) => {
            FieldValue::List(l.into_iter().map(|s| s.into_owned().into()).collect())
        }
    }
}

/// A single-valued field's text (`None` when absent).
fn s(ev: &str, spec: &str) -> Option<String> {
    match value(ev, spec) {
        FieldValue::Absent => None,
        FieldValue::Str(s) => Some(s.into_owned()),
        FieldValue::List(l) => panic!("{spec} is a list: {l:?}"),
    }
}

/// A list field's values (`None` when absent).
fn l(ev: &str, spec: &str) -> Option<Vec<String>> {
    match value(ev, spec) {
        FieldValue::Absent => None,
        FieldValue::List(l) => Some(l.into_iter().map(|s| s.into_owned()).collect()),
        FieldValue::Str(s) => panic!("{spec} is not a list: {s}"),
    }
}

fn v(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

const POD_CREATE: &str = r#"{
  "kind": "Event",
  "apiVersion": "audit.k8s.io/v1",
  "level": "RequestResponse",
  "auditID": "6f1c2a44-9b1e-4a61-8a6f-2f0c5d7e9a10",
  "stage": "ResponseComplete",
  "requestURI": "/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply",
  "verb": "create",
  "user": {
    "username": "alice@example.com",
    "uid": "a1b2",
    "groups": ["dev-team", "system:authenticated"],
    "extra": {"scopes": ["openid"]}
  },
  "sourceIPs": ["10.0.12.7", "192.168.1.20"],
  "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
  "objectRef": {"resource": "pods", "namespace": "default", "name": "web-debug", "apiVersion": "v1"},
  "responseStatus": {"metadata": {}, "code": 201},
  "requestObject": {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "web-debug", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
      "hostNetwork": true,
      "hostPID": true,
      "hostIPC": false,
      "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000, 5000]},
      "initContainers": [
        {"name": "init-perms", "image": "busybox:1.36", "command": ["sh", "-c", "chmod 777 /data"],
         "securityContext": {"privileged": true, "runAsUser": 0}}
      ],
      "containers": [
        {
          "name": "web",
          "image": "docker.io/library/nginx:1.25.3",
          "args": ["--port", "8080"],
          "ports": [{"containerPort": 8080, "hostPort": 80, "protocol": "TCP"}, {"containerPort": 9090}],
          "securityContext": {
            "privileged": true,
            "allowPrivilegeEscalation": true,
            "readOnlyRootFilesystem": false,
            "runAsUser": 0,
            "procMount": "Unmasked",
            "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"], "drop": ["ALL"]}
          },
          "volumeMounts": [{"name": "host-etc", "mountPath": "/host/etc"}]
        },
        {
          "name": "sidecar",
          "image": "ghcr.io/example/log-shipper@sha256:0123abcd",
          "command": ["/bin/shipper"]
        }
      ],
      "ephemeralContainers": [
        {"name": "debugger", "image": "nicolaka/netshoot:latest", "securityContext": {"runAsGroup": 0, "privileged": false}}
      ],
      "volumes": [
        {"name": "host-etc", "hostPath": {"path": "/etc", "type": "Directory"}},
        {"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock"}},
        {"name": "config", "configMap": {"name": "web-config"}},
        {"name": "nfs", "flexVolume": {"driver": "example.com/nfs", "options": {"server": "10.0.0.5"}}}
      ]
    }
  },
  "responseObject": {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "web-debug", "namespace": "default", "uid": "0f0e"},
    "spec": {},
    "status": {"phase": "Pending"}
  },
  "requestReceivedTimestamp": "2024-03-05T10:15:30.123456Z",
  "stageTimestamp": "2024-03-05T10:15:30.145678Z",
  "annotations": {
    "authorization.k8s.io/decision": "allow",
    "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"dev-edit\" of ClusterRole \"edit\" to Group \"dev-team\"",
    "pod-security.kubernetes.io/audit-violations": "would violate PodSecurity \"restricted:latest\": privileged",
    "cluster_name": "prod-eu-1"
  }
}"#;

const EXEC: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"0a7d7a34-6c4e-45b4-b1d7-5f3a1c0c9e11","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/payments/pods/api-7d9f/exec?command=sh\u0026command=-c\u0026command=cat+%2Fetc%2Fshadow\u0026container=api\u0026stdin=true\u0026stdout=true\u0026tty=true","verb":"create","user":{"username":"bob","groups":["system:authenticated"]},"sourceIPs":["203.0.113.9"],"userAgent":"kubectl/v1.28.4 (darwin/arm64) kubernetes/bae2c62","objectRef":{"resource":"pods","namespace":"payments","name":"api-7d9f","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2024-03-05T11:00:00.000000Z","stageTimestamp":"2024-03-05T11:00:00.052310Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"oncall\""}}"#;

const SECRET_GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"c8f4f0aa-18a9-4d35-9f0e-7a3ed0e0c001","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets/cloud-credentials","verb":"get","user":{"username":"system:serviceaccount:ci:deployer","uid":"9f8e","groups":["system:serviceaccounts","system:serviceaccounts:ci","system:authenticated"]},"sourceIPs":["10.4.0.21"],"userAgent":"argocd-application-controller/v0.0.0","objectRef":{"resource":"secrets","namespace":"kube-system","name":"cloud-credentials","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-03-05T12:00:00.100000Z","stageTimestamp":"2024-03-05T12:00:00.104000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"ci-admin\""}}"#;

const CRB_CREATE: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"5b0c3e2d-1111-4e2f-8d3c-0a1b2c3d4e5f","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings","verb":"create","user":{"username":"mallory","groups":["system:authenticated"]},"sourceIPs":["198.51.100.4"],"objectRef":{"resource":"clusterrolebindings","name":"backdoor","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"backdoor"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"contractors"},{"kind":"ServiceAccount","name":"builder","namespace":"ci"},{"kind":"ServiceAccount","name":"orphan"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}},"responseObject":{"kind":"ClusterRoleBinding","metadata":{"name":"backdoor","uid":"77"}},"requestReceivedTimestamp":"2024-03-05T13:00:00.000000Z","stageTimestamp":"2024-03-05T13:00:00.010000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}"#;

const ROLE_CREATE: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"aa11bb22-0000-4000-8000-000000000001","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterroles","verb":"create","user":{"username":"admin"},"objectRef":{"resource":"clusterroles","name":"too-much","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ClusterRole","metadata":{"name":"too-much"},"rules":[{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]},{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},{"nonResourceURLs":["/metrics"],"verbs":["get"]}]},"stageTimestamp":"2024-03-05T14:00:00Z"}"#;

const CONFIGMAP_CREATE: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"cm000000-0000-4000-8000-000000000002","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps","verb":"create","user":{"username":"dev"},"objectRef":{"resource":"configmaps","namespace":"default","name":"app-settings","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app-settings"},"data":{"aws_access_key_id":"AKIAEXAMPLE","region":"eu-west-1","note":"say \"hi\""}},"stageTimestamp":"2024-03-05T15:00:00Z"}"#;

const SERVICE_NODEPORT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"svc00000-0000-4000-8000-000000000003","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/services","verb":"create","user":{"username":"dev"},"objectRef":{"resource":"services","namespace":"shop","name":"frontend","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Service","apiVersion":"v1","metadata":{"name":"frontend"},"spec":{"type":"NodePort","selector":{"app":"frontend"},"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"},{"name":"metrics","port":9100}]}},"stageTimestamp":"2024-03-05T16:00:00Z"}"#;

const ANONYMOUS: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"anon0000-0000-4000-8000-000000000004","stage":"ResponseComplete","requestURI":"/version","verb":"get","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["45.33.32.156"],"userAgent":"curl/8.4.0","responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-03-05T17:00:00.000000Z","stageTimestamp":"2024-03-05T17:00:00.001000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\""}}"#;

const FORBIDDEN: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"f0rb1dd3-0000-4000-8000-000000000005","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets/admin-token","verb":"get","user":{"username":"intern","groups":["system:authenticated"]},"impersonatedUser":{"username":"system:admin"},"sourceIPs":["10.9.8.7"],"objectRef":{"resource":"secrets","namespace":"kube-system","name":"admin-token","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"secrets \"admin-token\" is forbidden","reason":"Forbidden","code":403},"stageTimestamp":"2024-03-05T18:00:00.5+01:00","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}"#;

#[test]
fn basic_request_fields() {
    assert_eq!(
        s(POD_CREATE, "ka.auditid"),
        some("6f1c2a44-9b1e-4a61-8a6f-2f0c5d7e9a10")
    );
    assert_eq!(s(POD_CREATE, "ka.stage"), some("ResponseComplete"));
    assert_eq!(s(POD_CREATE, "ka.verb"), some("create"));
    assert_eq!(
        s(POD_CREATE, "ka.uri"),
        some("/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply")
    );
    assert_eq!(s(POD_CREATE, "ka.user.name"), some("alice@example.com"));
    assert_eq!(
        l(POD_CREATE, "ka.user.groups"),
        v(&["dev-team", "system:authenticated"])
    );
    assert_eq!(
        s(POD_CREATE, "ka.useragent"),
        some("kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819")
    );
    assert_eq!(s(POD_CREATE, "ka.target.resource"), some("pods"));
    assert_eq!(s(POD_CREATE, "ka.target.namespace"), some("default"));
    assert_eq!(s(POD_CREATE, "ka.target.name"), some("web-debug"));
    assert_eq!(s(POD_CREATE, "ka.target.subresource"), None);
    assert_eq!(s(POD_CREATE, "ka.target.pod.name"), some("web-debug"));
    assert_eq!(s(POD_CREATE, "ka.resp.name"), some("web-debug"));
    assert_eq!(s(POD_CREATE, "ka.response.code"), some("201"));
    assert_eq!(s(POD_CREATE, "ka.response.reason"), None);
    assert_eq!(s(POD_CREATE, "ka.impuser.name"), None);
    assert_eq!(
        l(POD_CREATE, "ka.sourceips"),
        v(&["10.0.12.7", "192.168.1.20"])
    );
    assert_eq!(l(POD_CREATE, "ka.sourceips[1]"), v(&["192.168.1.20"]));
}

#[test]
fn indexed_single_values_of_list_fields() {
    // `[i]` on a list field selects one element; the field stays a list.
    let e = AuditEvent::parse(POD_CREATE).unwrap();
    assert_eq!(
        e.get(&resolve("ka.sourceips[1]")),
        FieldValue::List(vec!["192.168.1.20".into()])
    );
    assert_eq!(e.get(&resolve("ka.sourceips[2]")), FieldValue::Absent);
}

#[test]
fn annotations() {
    assert_eq!(s(POD_CREATE, "ka.auth.decision"), some("allow"));
    assert_eq!(
        s(POD_CREATE, "ka.auth.reason"),
        some(
            "RBAC: allowed by ClusterRoleBinding \"dev-edit\" of ClusterRole \"edit\" to Group \"dev-team\""
        )
    );
    assert_eq!(
        s(POD_CREATE, "ka.security.pod.violations"),
        some("would violate PodSecurity \"restricted:latest\": privileged")
    );
    assert_eq!(s(POD_CREATE, "ka.cluster.name"), some("prod-eu-1"));
    assert_eq!(s(POD_CREATE, "ka.auth.openshift.decision"), None);
    assert_eq!(s(POD_CREATE, "ka.auth.openshift.username"), None);
    assert_eq!(
        s(POD_CREATE, "ka.validations.admission.policy.failure"),
        None
    );
    assert_eq!(s(FORBIDDEN, "ka.auth.decision"), some("forbid"));
    assert_eq!(s(FORBIDDEN, "ka.auth.reason"), some(""));
    assert_eq!(s(ROLE_CREATE, "ka.auth.decision"), None);
}

#[test]
fn pod_containers() {
    let e = POD_CREATE;
    assert_eq!(l(e, "ka.req.pod.containers.name"), v(&["web", "sidecar"]));
    assert_eq!(
        l(e, "ka.req.pod.containers.image"),
        v(&[
            "docker.io/library/nginx:1.25.3",
            "ghcr.io/example/log-shipper@sha256:0123abcd"
        ])
    );
    assert_eq!(
        l(e, "ka.req.pod.containers.image.repository"),
        v(&["docker.io/library/nginx", "ghcr.io/example/log-shipper"])
    );
    assert_eq!(
        s(e, "ka.req.container.image"),
        some("docker.io/library/nginx:1.25.3")
    );
    assert_eq!(
        s(e, "ka.req.container.image.repository"),
        some("docker.io/library/nginx")
    );
    // args / command: joined with spaces; containers without them are skipped.
    assert_eq!(l(e, "ka.req.pod.containers.args"), v(&["--port 8080"]));
    assert_eq!(l(e, "ka.req.pod.containers.command"), v(&["/bin/shipper"]));
    // Ports: hostPort when set, else containerPort.
    assert_eq!(l(e, "ka.req.pod.containers.host_port"), v(&["80", "9090"]));
    // Nil placeholders (the sidecar has no securityContext) are dropped.
    assert_eq!(l(e, "ka.req.pod.containers.privileged"), v(&["true"]));
    assert_eq!(s(e, "ka.req.container.privileged"), some("true"));
    assert_eq!(
        l(e, "ka.req.pod.containers.allow_privilege_escalation"),
        v(&["true"])
    );
    assert_eq!(l(e, "ka.req.pod.containers.read_only_fs"), v(&["false"]));
    assert_eq!(l(e, "ka.req.pod.containers.run_as_user"), v(&["0"]));
    assert_eq!(l(e, "ka.req.pod.containers.run_as_group"), None);
    assert_eq!(l(e, "ka.req.pod.containers.proc_mount"), v(&["Unmasked"]));
    assert_eq!(
        l(e, "ka.req.pod.containers.add_capabilities"),
        v(&["NET_ADMIN", "SYS_TIME"])
    );
    // Effective ids: the container's own, else the pod's.
    assert_eq!(
        l(e, "ka.req.pod.containers.eff_run_as_user"),
        v(&["0", "1000"])
    );
    assert_eq!(
        l(e, "ka.req.pod.containers.eff_run_as_group"),
        v(&["3000", "3000"])
    );
}

#[test]
fn pod_level_fields() {
    let e = POD_CREATE;
    assert_eq!(s(e, "ka.req.pod.host_network"), some("true"));
    assert_eq!(s(e, "ka.req.container.host_network"), some("true"));
    assert_eq!(s(e, "ka.req.pod.host_pid"), some("true"));
    assert_eq!(s(e, "ka.req.pod.host_ipc"), some("false"));
    assert_eq!(s(e, "ka.req.pod.run_as_user"), some("1000"));
    assert_eq!(s(e, "ka.req.pod.run_as_group"), some("3000"));
    assert_eq!(s(e, "ka.req.pod.fs_group"), some("2000"));
    assert_eq!(l(e, "ka.req.pod.supplemental_groups"), v(&["4000", "5000"]));
    assert_eq!(
        l(e, "ka.req.pod.volumes.hostpath"),
        v(&["/etc", "/var/run/docker.sock"])
    );
    assert_eq!(
        l(e, "ka.req.pod.volumes.flexvolume_driver"),
        v(&["example.com/nfs"])
    );
    assert_eq!(
        l(e, "ka.req.pod.volumes.volume_type"),
        v(&["hostPath", "hostPath", "configMap", "flexVolume"])
    );
    let ev = AuditEvent::parse(e).unwrap();
    assert_eq!(
        ev.get(&resolve("ka.req.pod.volumes.volume_type[2]")),
        FieldValue::List(vec!["configMap".into()])
    );
}

#[test]
fn init_and_ephemeral_containers_are_separate() {
    let e = POD_CREATE;
    assert_eq!(l(e, "ka.req.pod.initContainers.name"), v(&["init-perms"]));
    assert_eq!(
        l(e, "ka.req.pod.initContainers.image"),
        v(&["busybox:1.36"])
    );
    assert_eq!(
        l(e, "ka.req.pod.initContainers.image.repository"),
        v(&["busybox"])
    );
    assert_eq!(
        l(e, "ka.req.pod.initContainers.command"),
        v(&["sh -c chmod 777 /data"])
    );
    assert_eq!(l(e, "ka.req.pod.initContainers.args"), None);
    assert_eq!(l(e, "ka.req.pod.initContainers.privileged"), v(&["true"]));
    assert_eq!(l(e, "ka.req.pod.initContainers.eff_run_as_user"), v(&["0"]));
    assert_eq!(l(e, "ka.req.pod.initContainers.host_port"), None);
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.name"),
        v(&["debugger"])
    );
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.image"),
        v(&["nicolaka/netshoot:latest"])
    );
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.image.repository"),
        v(&["nicolaka/netshoot"])
    );
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.privileged"),
        v(&["false"])
    );
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.eff_run_as_group"),
        v(&["0"])
    );
    assert_eq!(
        l(e, "ka.req.pod.ephemeralContainers.eff_run_as_user"),
        v(&["1000"])
    );
    // The containers fields never reach into the other lists.
    assert!(
        !l(e, "ka.req.pod.containers.image")
            .unwrap()
            .contains(&"busybox:1.36".to_owned())
    );
}

#[test]
fn index_arguments() {
    let e = POD_CREATE;
    let ev = AuditEvent::parse(e).unwrap();
    let one = |spec: &str| ev.get(&resolve(spec));
    assert_eq!(
        one("ka.req.pod.containers.image[1]"),
        FieldValue::List(vec!["ghcr.io/example/log-shipper@sha256:0123abcd".into()])
    );
    assert_eq!(one("ka.req.pod.containers.image[2]"), FieldValue::Absent);
    assert_eq!(
        one("ka.req.pod.containers.privileged[1]"),
        FieldValue::Absent
    );
    assert_eq!(
        one("ka.req.pod.containers.privileged[0]"),
        FieldValue::List(vec!["true".into()])
    );
    assert_eq!(
        one("ka.req.pod.containers.host_port[0]"),
        FieldValue::List(vec!["80".into(), "9090".into()])
    );
    assert_eq!(
        one("ka.req.pod.containers.add_capabilities[0]"),
        FieldValue::List(vec!["NET_ADMIN".into(), "SYS_TIME".into()])
    );
    assert_eq!(
        one("ka.req.pod.volumes.hostpath[1]"),
        FieldValue::List(vec!["/var/run/docker.sock".into()])
    );
    assert_eq!(one("ka.req.pod.volumes.hostpath[2]"), FieldValue::Absent);
    assert_eq!(one("ka.req.pod.volumes.hostpath[9]"), FieldValue::Absent);
    assert_eq!(
        one("ka.req.pod.containers.eff_run_as_user[1]"),
        FieldValue::List(vec!["1000".into()])
    );
}

#[test]
fn missing_names_make_name_and_image_absent() {
    let ev = r#"{"auditID":"x","requestObject":{"spec":{"containers":[{"name":"a","image":"nginx"},{"image":"redis:7"},{"name":"c"}]}}}"#;
    assert_eq!(l(ev, "ka.req.pod.containers.name"), None);
    assert_eq!(l(ev, "ka.req.pod.containers.image"), None);
    assert_eq!(l(ev, "ka.req.pod.containers.image.repository"), None);
    assert_eq!(s(ev, "ka.req.container.image"), some("nginx"));
    // Container 2 alone has no image (`[2]` looks at it only).
    let e = AuditEvent::parse(ev).unwrap();
    assert_eq!(
        e.get(&resolve("ka.req.pod.containers.image[2]")),
        FieldValue::Absent
    );
    assert_eq!(
        e.get(&resolve("ka.req.pod.containers.name[2]")),
        FieldValue::List(vec!["c".into()])
    );
    // No privileged anywhere: the deprecated field is "false", the list is absent.
    assert_eq!(s(ev, "ka.req.container.privileged"), some("false"));
    assert_eq!(l(ev, "ka.req.pod.containers.privileged"), None);
    // Non-string command words make the field unavailable.
    let bad = r#"{"auditID":"x","requestObject":{"spec":{"containers":[{"name":"a","command":["sleep",3600]}]}}}"#;
    assert_eq!(l(bad, "ka.req.pod.containers.command"), None);
}

#[test]
fn exec_request() {
    let e = EXEC;
    assert_eq!(s(e, "ka.target.subresource"), some("exec"));
    assert_eq!(
        s(e, "ka.target.pod.name"),
        None,
        "only for pods without subresource"
    );
    assert_eq!(s(e, "ka.stage"), some("ResponseStarted"));
    assert_eq!(s(e, "ka.response.code"), some("101"));
    // \u0026 in the JSON is `&`; `+` and %2F are decoded; the first value wins.
    assert!(s(e, "ka.uri").unwrap().contains("?command=sh&command=-c&"));
    assert_eq!(s(e, "ka.uri.param[command]"), some("sh"));
    assert_eq!(s(e, "ka.uri.param[container]"), some("api"));
    assert_eq!(s(e, "ka.uri.param[tty]"), some("true"));
    assert_eq!(s(e, "ka.uri.param[follow]"), None);
    assert_eq!(s(SECRET_GET, "ka.uri.param[command]"), None);
    let ev = AuditEvent::parse(e).unwrap();
    assert_eq!(stage_of(&ev), Some("ResponseStarted"));
    assert_eq!(ev.verb(), Some("create"));
    assert_eq!(ev.subresource(), Some("exec"));
    assert_eq!(ev.response_code(), Some(101));
    // Nothing of a request body.
    assert_eq!(l(e, "ka.req.pod.containers.image"), None);
    assert_eq!(s(e, "ka.req.container.privileged"), None);
    assert_eq!(s(e, "ka.req.volume.hostpath[/etc]"), None);
}

#[test]
fn secrets_and_failures() {
    assert_eq!(s(SECRET_GET, "ka.target.resource"), some("secrets"));
    assert_eq!(
        s(SECRET_GET, "ka.user.name"),
        some("system:serviceaccount:ci:deployer")
    );
    assert_eq!(s(SECRET_GET, "ka.response.code"), some("200"));
    assert_eq!(s(FORBIDDEN, "ka.response.code"), some("403"));
    assert_eq!(s(FORBIDDEN, "ka.response.reason"), some("Forbidden"));
    assert_eq!(s(FORBIDDEN, "ka.impuser.name"), some("system:admin"));
    assert_eq!(s(FORBIDDEN, "ka.resp.name"), None);
    assert_eq!(s(ANONYMOUS, "ka.user.name"), some("system:anonymous"));
    assert_eq!(s(ANONYMOUS, "ka.target.resource"), None);
    assert_eq!(s(ANONYMOUS, "ka.uri"), some("/version"));
    assert_eq!(
        l(ANONYMOUS, "ka.user.groups"),
        v(&["system:unauthenticated"])
    );
}

#[test]
fn bindings() {
    let e = CRB_CREATE;
    assert_eq!(s(e, "ka.req.binding.role"), some("cluster-admin"));
    assert_eq!(
        l(e, "ka.req.binding.subjects"),
        v(&[
            r#"{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"}"#,
            r#"{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"contractors"}"#,
            r#"{"kind":"ServiceAccount","name":"builder","namespace":"ci"}"#,
            r#"{"kind":"ServiceAccount","name":"orphan"}"#,
        ])
    );
    assert_eq!(l(e, "ka.req.binding.subjects.user_names"), v(&["mallory"]));
    assert_eq!(
        l(e, "ka.req.binding.subjects.group_names"),
        v(&["contractors"])
    );
    assert_eq!(
        l(e, "ka.req.binding.subjects.serviceaccount_names"),
        v(&["builder", "orphan"])
    );
    assert_eq!(
        l(e, "ka.req.binding.subjects.serviceaccount_ns_names"),
        v(&["ci:builder"])
    );
    assert_eq!(
        s(e, "ka.req.binding.subject.has_name[mallory]"),
        some("true")
    );
    assert_eq!(s(e, "ka.resp.name"), some("backdoor"));
    assert_eq!(s(e, "ka.target.pod.name"), None);
    assert_eq!(l(POD_CREATE, "ka.req.binding.subjects.user_names"), None);
}

#[test]
fn roles() {
    let e = ROLE_CREATE;
    assert_eq!(l(e, "ka.req.role.rules").map(|r| r.len()), Some(3));
    assert_eq!(
        l(e, "ka.req.role.rules").unwrap()[0],
        r#"{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]}"#
    );
    assert_eq!(
        l(e, "ka.req.role.rules.verbs"),
        v(&["get", "create", "*", "get"])
    );
    assert_eq!(
        l(e, "ka.req.role.rules.resources"),
        v(&["pods", "pods/exec", "*"])
    );
    assert_eq!(l(e, "ka.req.role.rules.apiGroups"), v(&["", "*"]));
    assert_eq!(l(e, "ka.req.role.rules.nonResourceURLs"), v(&["/metrics"]));
    let ev = AuditEvent::parse(e).unwrap();
    assert_eq!(
        ev.get(&resolve("ka.req.role.rules.verbs[1]")),
        FieldValue::List(vec!["*".into()])
    );
    assert_eq!(
        ev.get(&resolve("ka.req.role.rules.verbs[3]")),
        FieldValue::Absent
    );
    assert_eq!(
        ev.get(&resolve("ka.req.role.rules.nonResourceURLs[0]")),
        FieldValue::Absent
    );
}

#[test]
fn configmaps_and_services() {
    assert_eq!(
        s(CONFIGMAP_CREATE, "ka.req.configmap.name"),
        some("app-settings")
    );
    assert_eq!(
        s(CONFIGMAP_CREATE, "ka.req.configmap.obj"),
        some(r#"{"aws_access_key_id":"AKIAEXAMPLE","region":"eu-west-1","note":"say \"hi\""}"#)
    );
    assert_eq!(s(SERVICE_NODEPORT, "ka.req.service.type"), some("NodePort"));
    assert_eq!(
        l(SERVICE_NODEPORT, "ka.req.service.ports"),
        v(&[
            r#"{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}"#,
            r#"{"name":"metrics","port":9100}"#,
        ])
    );
    let ev = AuditEvent::parse(SERVICE_NODEPORT).unwrap();
    assert_eq!(
        ev.get(&resolve("ka.req.service.ports[1]")),
        FieldValue::List(vec![r#"{"name":"metrics","port":9100}"#.into()])
    );
    assert_eq!(
        ev.get(&resolve("ka.req.service.ports[2]")),
        FieldValue::Absent
    );
}

#[test]
fn hostpath_match_semantics() {
    let e = POD_CREATE;
    assert_eq!(s(e, "ka.req.volume.hostpath[/etc]"), some("true"));
    assert_eq!(
        s(e, "ka.req.volume.hostpath[/et]"),
        some("false"),
        "exact match without *"
    );
    assert_eq!(
        s(e, "ka.req.volume.hostpath[/var/run/docker.sock]"),
        some("true"),
        "second volume is checked"
    );
    assert_eq!(s(e, "ka.req.volume.hostpath[/var/run/*]"), some("true"));
    assert_eq!(s(e, "ka.req.volume.hostpath[/var/lib/*]"), some("false"));
    assert_eq!(s(e, "ka.req.volume.hostpath[*]"), some("true"));
    assert_eq!(s(SERVICE_NODEPORT, "ka.req.volume.hostpath[/etc]"), None);
}

#[test]
fn non_string_values_render_as_compact_json() {
    let ev = r#"{"auditID": 42, "stage": true, "verb": null, "requestURI": {"a": [1, 2]},
      "objectRef": {"resource": "pods", "name": 7},
      "responseStatus": {"code": 200.5, "reason": ["x", {"y": false}]},
      "requestObject": {"spec": {"hostNetwork": "yes", "hostPID": {"nested": {"deep": 1}}}}}"#;
    assert_eq!(s(ev, "ka.auditid"), some("42"));
    assert_eq!(s(ev, "ka.stage"), some("true"));
    assert_eq!(s(ev, "ka.verb"), some("null"));
    assert_eq!(s(ev, "ka.uri"), some(r#"{"a":[1,2]}"#));
    assert_eq!(s(ev, "ka.target.name"), some("7"));
    assert_eq!(s(ev, "ka.response.code"), some("200.5"));
    assert_eq!(s(ev, "ka.response.reason"), some(r#"["x",{"y":false}]"#));
    assert_eq!(s(ev, "ka.req.pod.host_network"), some("yes"));
    assert_eq!(
        s(ev, "ka.req.pod.host_pid"),
        some(r#"{"nested":{"deep":1}}"#)
    );
    assert_eq!(s(ev, "ka.uri.param[a]"), None);
}

#[test]
fn events_without_audit_id_have_no_ka_fields() {
    let ev = r#"{"kind":"Event","verb":"get","user":{"username":"x"},"stageTimestamp":"2024-01-01T00:00:00Z"}"#;
    for f in [
        "ka.verb",
        "ka.user.name",
        "ka.req.binding.subject.has_name[x]",
        "ka.req.container.privileged",
    ] {
        assert_eq!(value(ev, f), FieldValue::Absent, "{f}");
    }
    assert_eq!(s(ev, "jevt.value[/verb]"), some("get"));
    assert_eq!(s(ev, "json.value[/user/username]"), some("x"));
    assert_eq!(s(ev, "jevt.rawtime"), some("1704067200000000000"));
}

#[test]
fn empty_lists_are_absent() {
    let ev = r#"{"auditID":"x","user":{"username":"u","groups":[]},"sourceIPs":[],"requestObject":{"spec":{"containers":[],"volumes":[]},"subjects":[],"rules":[]}}"#;
    for f in [
        "ka.user.groups",
        "ka.sourceips",
        "ka.req.pod.containers.image",
        "ka.req.pod.containers.privileged",
        "ka.req.pod.volumes.hostpath",
        "ka.req.pod.volumes.volume_type",
        "ka.req.binding.subjects",
        "ka.req.binding.subjects.user_names",
        "ka.req.role.rules",
        "ka.req.role.rules.verbs",
        "ka.req.container.image",
    ] {
        assert_eq!(value(ev, f), FieldValue::Absent, "{f}");
    }
    assert_eq!(s(ev, "ka.req.container.privileged"), some("false"));
    assert_eq!(s(ev, "ka.req.volume.hostpath[/etc]"), some("false"));
}

#[test]
fn wrong_types_are_absent_not_errors() {
    let ev = r#"{"auditID":"x","user":{"username":"u","groups":"admins"},"sourceIPs":"1.2.3.4","requestObject":{"spec":{"containers":{"name":"a"},"volumes":"none","securityContext":{"supplementalGroups":5}},"subjects":{"kind":"User"},"rules":7}}"#;
    for f in [
        "ka.user.groups",
        "ka.sourceips",
        "ka.req.pod.supplemental_groups",
        "ka.req.binding.subjects",
        "ka.req.binding.subjects.user_names",
        "ka.req.role.rules",
        "ka.req.role.rules.verbs",
        "ka.req.pod.volumes.hostpath",
    ] {
        assert_eq!(value(ev, f), FieldValue::Absent, "{f}");
    }
    // A single container object (not an array) is walked like Falco's extractor does.
    assert_eq!(l(ev, "ka.req.pod.containers.name"), v(&["a"]));
}

#[test]
fn json_pointer_values() {
    let e = POD_CREATE;
    assert_eq!(s(e, "jevt.value[/stage]"), some("ResponseComplete"));
    assert_eq!(s(e, "json.value[/objectRef/resource]"), some("pods"));
    assert_eq!(s(e, "jevt.value[/responseStatus/code]"), some("201"));
    assert_eq!(
        s(e, "jevt.value[/responseStatus]"),
        some(r#"{"metadata":{},"code":201}"#)
    );
    assert_eq!(
        s(e, "jevt.value[/annotations/authorization.k8s.io~1decision]"),
        some("allow")
    );
    assert_eq!(
        s(e, "jevt.value[/annotations/cluster_name]"),
        some("prod-eu-1")
    );
    assert_eq!(s(e, "jevt.value[/user/extra/scopes/0]"), some("openid"));
    assert_eq!(
        s(e, "jevt.value[/user/groups/1]"),
        some("system:authenticated")
    );
    assert_eq!(s(e, "jevt.value[/user/groups/2]"), None);
    assert_eq!(s(e, "jevt.value[/user/groups/01]"), None);
    assert_eq!(
        s(e, "jevt.value[/sourceIPs]"),
        some(r#"["10.0.12.7","192.168.1.20"]"#)
    );
    assert_eq!(
        s(
            e,
            "jevt.value[/requestObject/spec/containers/0/securityContext/privileged]"
        ),
        some("true")
    );
    assert_eq!(
        s(e, "jevt.value[/requestObject/spec/volumes/1/hostPath]"),
        some(r#"{"path":"/var/run/docker.sock"}"#)
    );
    assert_eq!(s(e, "jevt.value[/requestObject/spec/tls]"), None);
    assert_eq!(
        s(e, "jevt.value[/requestObject/ephemeralContainers/0/name]"),
        None
    );
    assert_eq!(
        s(
            e,
            "jevt.value[/requestObject/spec/ephemeralContainers/0/name]"
        ),
        some("debugger")
    );
    assert_eq!(
        s(e, "jevt.value[/responseObject/status/phase]"),
        some("Pending")
    );
    assert_eq!(s(e, "jevt.value[/nope]"), None);
    assert_eq!(s(e, "jevt.value[/objectRef/nope]"), None);
    assert_eq!(s(e, "jevt.value[/verb/x]"), None);
    // `~0` is `~`, `~1` is `/` (RFC 6901).
    let ev = r#"{"a/b":{"c~d":"slash-tilde"},"m~1n":1}"#;
    assert_eq!(s(ev, "jevt.value[/a~1b/c~0d]"), some("slash-tilde"));
    assert_eq!(s(ev, "jevt.value[/m~01n]"), some("1"));
    assert_eq!(s(ev, "jevt.value[/a/b]"), None);
}

#[test]
fn json_obj_and_rawtime() {
    let ev = r#"{"auditID":"x","a":[1,{"b":"c"}],"d":{},"stageTimestamp":"2024-03-05T10:15:30.145678Z"}"#;
    assert_eq!(
        s(ev, "jevt.obj"),
        some(
            "{\n  \"auditID\": \"x\",\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"d\": {},\n  \"stageTimestamp\": \"2024-03-05T10:15:30.145678Z\"\n}"
        )
    );
    assert_eq!(s(ev, "json.rawtime"), some("1709633730145678000"));
    let e = AuditEvent::parse(POD_CREATE).unwrap();
    assert_eq!(e.time_ns(), 1_709_633_730_145_678_000);
    assert_eq!(
        AuditEvent::parse(FORBIDDEN).unwrap().time_ns(),
        1_709_658_000_500_000_000
    );
    // No stageTimestamp: requestReceivedTimestamp; neither: 0 and no rawtime.
    let rr = r#"{"auditID":"x","requestReceivedTimestamp":"1970-01-01T00:00:01Z"}"#;
    assert_eq!(AuditEvent::parse(rr).unwrap().time_ns(), 1_000_000_000);
    let none = r#"{"auditID":"x","stageTimestamp":"yesterday"}"#;
    assert_eq!(AuditEvent::parse(none).unwrap().time_ns(), 0);
    assert_eq!(s(none, "jevt.rawtime"), None);
}

#[test]
fn parse_errors() {
    for bad in [
        "",
        "   ",
        "[]",
        "\"x\"",
        "42",
        "{",
        "{\"auditID\":}",
        "{} {}",
        "{\"verb\":\"a\",\"verb\":\"b\"}",
    ] {
        assert!(AuditEvent::parse(bad).is_err(), "{bad:?}");
    }
    let err = AuditEvent::parse("{\n\"auditID\": tru}").unwrap_err();
    assert_eq!(err.line(), 2);
    assert!(err.to_string().contains("line 2"), "{err}");
    // Unknown keys, and a byte-order mark, are fine.
    let ok =
        AuditEvent::parse("\u{feff}{\"auditID\":\"1\",\"somethingNew\":{\"x\":[1,2,3]}}").unwrap();
    assert_eq!(ok.audit_id(), Some("1"));
    assert!(ok.is_audit_event());
    assert!(
        !AuditEvent::parse(r#"{"kind":"Event","apiVersion":"v1","auditID":"1"}"#)
            .unwrap()
            .is_audit_event()
    );
    assert!(AuditEvent::parse(POD_CREATE).unwrap().is_audit_event());
}

#[test]
fn escaped_strings_decode() {
    let ev = r#"{"auditID":"x","user":{"username":"caf\u00e9 \"q\""},"objectRef":{"name":"a\/b"}}"#;
    assert_eq!(s(ev, "ka.user.name"), some("café \"q\""));
    assert_eq!(s(ev, "ka.target.name"), some("a/b"));
    let e = AuditEvent::parse(ev).unwrap();
    assert_eq!(e.user_name(), Some("café \"q\""));
}

#[test]
fn resolve_validates_arguments() {
    let t = K8sAuditFields;
    assert_eq!(t.source(), "k8s_audit");
    assert_eq!(
        t.resolve("ka.foo", None).unwrap_err(),
        "unknown field `ka.foo` for source k8s_audit"
    );
    assert!(t.resolve("ka.verb", Some("x")).is_err());
    assert!(t.resolve("ka.uri.param", None).is_err());
    assert!(t.resolve("jevt.value", None).is_err());
    assert!(
        t.resolve("jevt.value", Some("stage")).is_err(),
        "pointer must start with /"
    );
    assert!(t.resolve("jevt.value", Some("/a~2b")).is_err());
    assert!(t.resolve("jevt.value", Some("/a~")).is_err());
    assert!(t.resolve("ka.req.volume.hostpath", Some("")).is_err());
    assert!(
        t.resolve("ka.req.pod.containers.image", Some("01"))
            .is_err()
    );
    assert!(
        t.resolve("ka.req.pod.containers.image", Some("-1"))
            .is_err()
    );
    assert!(t.resolve("ka.req.pod.containers.image", Some("a")).is_err());
    assert!(t.resolve("ka.req.pod.containers.image", Some("")).is_err());
    assert!(
        t.resolve(
            "ka.req.pod.containers.image",
            Some("99999999999999999999999999")
        )
        .is_err()
    );
    let r = t.resolve("ka.req.pod.containers.image", Some("0")).unwrap();
    assert_eq!(r.arg, Some(FieldArg::Index(0)));
    assert!(r.list);
    assert_eq!(r.display, "ka.req.pod.containers.image[0]");
    let r = t
        .resolve("ka.req.pod.containers.image", Some("10"))
        .unwrap();
    assert_eq!(r.arg, Some(FieldArg::Index(10)));
    let r = t.resolve("ka.uri.param", Some("command")).unwrap();
    assert_eq!(r.arg, Some(FieldArg::Key("command".into())));
    assert!(!r.list);
    let r = t
        .resolve("jevt.value", Some("/requestObject/spec/tls"))
        .unwrap();
    assert_eq!(r.display, "jevt.value[/requestObject/spec/tls]");
    // json.* and jevt.* resolve to the same extraction but keep their own ids and names.
    let a = t.resolve("json.obj", None).unwrap();
    let b = t.resolve("jevt.obj", None).unwrap();
    assert_ne!(a.id, b.id);
    // Palisade's one field beyond Falco's plugin compares by network.
    assert!(t.resolve("ka.sourceip.net", None).unwrap().network);
    assert!(!t.resolve("ka.sourceips", None).unwrap().network);
    assert_eq!(t.fields().len(), 107);
}

#[test]
fn every_field_the_falco_rules_use_resolves_and_extracts() {
    // Fields referenced by Falco's k8s_audit_rules.yaml (conditions and outputs).
    let used = [
        "ka.target.resource",
        "ka.user.name",
        "ka.target.name",
        "ka.target.namespace",
        "ka.response.code",
        "ka.auth.reason",
        "ka.auth.decision",
        "ka.verb",
        "ka.uri",
        "ka.req.pod.containers.image.repository",
        "ka.target.subresource",
        "ka.resp.name",
        "ka.req.pod.containers.image",
        "ka.req.configmap.obj",
        "ka.req.role.rules",
        "ka.req.binding.subjects",
        "ka.req.binding.role",
        "jevt.rawtime",
        "ka.req.role.rules.verbs",
        "ka.req.role.rules.resources",
        "jevt.value[/stage]",
        "ka.uri.param[command]",
        "ka.response.reason",
        "ka.req.service.type",
        "ka.req.service.ports",
        "ka.req.pod.volumes.hostpath",
        "ka.req.pod.initContainers.privileged",
        "ka.req.pod.initContainers.image",
        "ka.req.pod.host_pid",
        "ka.req.pod.host_network",
        "ka.req.pod.host_ipc",
        "ka.req.pod.ephemeralContainers.privileged",
        "ka.req.pod.ephemeralContainers.image",
        "ka.req.pod.containers.privileged",
        "ka.req.configmap.name",
        "jevt.value[/requestObject/spec/volumes]",
        "jevt.value[/requestObject/spec/tls]",
        "jevt.value[/requestObject/ephemeralContainers/0/name]",
        "jevt.value[/requestObject/ephemeralContainers/0/image]",
        "jevt.obj",
    ];
    let all = [
        POD_CREATE,
        EXEC,
        SECRET_GET,
        CRB_CREATE,
        ROLE_CREATE,
        CONFIGMAP_CREATE,
        SERVICE_NODEPORT,
        ANONYMOUS,
        FORBIDDEN,
    ];
    for spec in used {
        let f = resolve(spec);
        let present = all
            .iter()
            .filter(|e| AuditEvent::parse(e).unwrap().get(&f).is_present())
            .count();
        let expect_none =
            spec.contains("/tls]") || spec.contains("/requestObject/ephemeralContainers/");
        assert_eq!(
            present == 0,
            expect_none,
            "{spec} present in {present} events"
        );
    }
}

#[test]
fn every_field_extracts_without_panicking_on_every_fixture() {
    let all = [
        POD_CREATE,
        EXEC,
        SECRET_GET,
        CRB_CREATE,
        ROLE_CREATE,
        CONFIGMAP_CREATE,
        SERVICE_NODEPORT,
        ANONYMOUS,
        FORBIDDEN,
    ];
    for info in K8sAuditFields.fields() {
        let specs: Vec<Option<&str>> = match info.arg_required {
            None => vec![None],
            Some(false) => vec![None, Some("0"), Some("1"), Some("7")],
            Some(true) if info.name.ends_with(".value") => {
                vec![Some("/"), Some("/requestObject/spec"), Some("/x/0")]
            }
            Some(true) => vec![Some("/etc*"), Some("command")],
        };
        for arg in specs {
            let f = K8sAuditFields.resolve(info.name, arg).unwrap();
            for e in all {
                let ev = AuditEvent::parse(e).unwrap();
                let _ = ev.get(&f).render();
            }
        }
    }
}

#[test]
fn nested_objects_of_the_wrong_type_only_blank_their_members() {
    let ev = r#"{"auditID":"x","verb":"get","user":["alice"],"objectRef":"pods","responseStatus":null,"annotations":7,"impersonatedUser":{"username":"bob"}}"#;
    assert_eq!(s(ev, "ka.verb"), some("get"));
    assert_eq!(s(ev, "ka.user.name"), None);
    assert_eq!(s(ev, "ka.target.resource"), None);
    assert_eq!(s(ev, "ka.response.code"), None);
    assert_eq!(s(ev, "ka.auth.decision"), None);
    assert_eq!(s(ev, "ka.cluster.name"), None);
    assert_eq!(s(ev, "ka.impuser.name"), some("bob"));
    assert_eq!(s(ev, "jevt.value[/user/0]"), some("alice"));
    assert_eq!(s(ev, "jevt.value[/user/username]"), None);
    assert_eq!(s(ev, "jevt.value[/objectRef]"), some("pods"));
    assert_eq!(s(ev, "jevt.value[/responseStatus]"), some("null"));
    // A present null is a value, as in Falco.
    let ev = r#"{"auditID":"x","objectRef":{"resource":"pods","subresource":null}}"#;
    assert_eq!(s(ev, "ka.target.subresource"), some("null"));
}

#[test]
fn deep_nesting_is_absent_not_a_crash() {
    let deep = format!(
        r#"{{"auditID":"x","verb":"create","requestObject":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = AuditEvent::parse(&deep).unwrap();
    assert_eq!(e.get(&resolve("ka.verb")), FieldValue::Str("create".into()));
    assert_eq!(
        e.get(&resolve("ka.req.pod.containers.image")),
        FieldValue::Absent
    );
    assert_eq!(
        e.get(&resolve("jevt.value[/requestObject/0/0/0]")),
        FieldValue::Absent
    );
    assert_eq!(e.get(&resolve("jevt.value[/nothing]")), FieldValue::Absent);
    // The indented rendering does not recurse either.
    assert!(e.get(&resolve("jevt.obj")).is_present());
    // Deep nesting in a parse-time member is a parse error.
    let deep_verb = format!(
        r#"{{"auditID":"x","verb":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(AuditEvent::parse(&deep_verb).is_err());
}

#[test]
fn engine_hooks() {
    let t = K8sAuditFields;
    assert_eq!(t.index_field(), Some("ka.verb"));
    assert_eq!(t.request_id_field(), Some("ka.auditid"));
    for f in ["ka.stage", "jevt.value[/stage]", "json.value[/stage]"] {
        assert!(t.is_stage_field(f), "{f}");
    }
    for f in ["ka.verb", "jevt.value[/verb]", "ka.auditid"] {
        assert!(!t.is_stage_field(f), "{f}");
    }
    for f in [t.index_field(), t.request_id_field()]
        .into_iter()
        .flatten()
    {
        assert!(t.resolve(f, None).is_ok());
    }
}
