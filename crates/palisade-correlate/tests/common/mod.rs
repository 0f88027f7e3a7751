//! Hand-built alerts and findings for the correlation tests.
#![allow(dead_code, clippy::too_many_arguments)]

use palisade_attack::{AttackVersion, Catalogue};
use palisade_core::{
    ALERT_SCHEMA, AlertActor, AlertRecord, AlertWorkload, Finding, Location, ObjectRef, Severity,
    Subject, rfc3339_utc,
};
use std::collections::BTreeMap;

/// 2026-11-26T10:00:00Z, the start of the example attack.
pub const START_NS: i64 = 1_795_687_200_000_000_000;

pub fn catalogue() -> &'static Catalogue {
    Catalogue::builtin(AttackVersion::V18_1)
}

/// RFC 3339 time `secs` seconds after [`START_NS`].
pub fn at(secs: f64) -> String {
    rfc3339_utc(START_NS + (secs * 1e9) as i64)
}

pub const CI: &str = "system:serviceaccount:shop:ci";
pub const CI_GROUPS: &[&str] = &[
    "system:serviceaccounts",
    "system:serviceaccounts:shop",
    "system:authenticated",
];
pub const ATTACKER_IP: &str = "203.0.113.50";

/// A chainable alert builder.
#[derive(Debug, Clone)]
pub struct A(pub AlertRecord);

fn base(secs: f64, rule: &str, source: &str) -> AlertRecord {
    AlertRecord {
        schema: ALERT_SCHEMA.to_string(),
        time: at(secs),
        rule: rule.to_string(),
        priority: "warning".to_string(),
        techniques: Vec::new(),
        tactics: Vec::new(),
        source: source.to_string(),
        output: format!("{rule} fired"),
        workload: AlertWorkload::default(),
        actor: AlertActor::default(),
        event_id: None,
        fields: BTreeMap::new(),
    }
}

/// A Kubernetes audit alert by `user`.
pub fn audit(secs: f64, rule: &str, user: &str) -> A {
    let mut a = base(secs, rule, "k8s_audit");
    a.actor.user = Some(user.to_string());
    A(a)
}

/// A runtime (syscall) alert.
pub fn runtime(secs: f64, rule: &str) -> A {
    A(base(secs, rule, "syscall"))
}

impl A {
    pub fn r(self) -> AlertRecord {
        self.0
    }
    pub fn priority(mut self, p: &str) -> A {
        self.0.priority = p.to_string();
        self
    }
    pub fn tech(mut self, techniques: &[&str], tactics: &[&str]) -> A {
        self.0.techniques = techniques.iter().map(|s| s.to_string()).collect();
        self.0.tactics = tactics.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn output(mut self, o: &str) -> A {
        self.0.output = o.to_string();
        self
    }
    pub fn id(mut self, id: &str) -> A {
        self.0.event_id = Some(id.to_string());
        self
    }
    pub fn groups(mut self, groups: &[&str]) -> A {
        self.0.actor.groups = groups.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn ip(mut self, ip: &str) -> A {
        self.0.actor.source_ips = vec![ip.to_string()];
        self
    }
    pub fn ns(mut self, ns: &str) -> A {
        self.0.workload.namespace = Some(ns.to_string());
        self
    }
    pub fn pod(mut self, ns: &str, pod: &str) -> A {
        self.0.workload.namespace = Some(ns.to_string());
        self.0.workload.pod = Some(pod.to_string());
        self
    }
    pub fn container(mut self, name: &str, image: &str) -> A {
        self.0.workload.container = Some(name.to_string());
        self.0.workload.image = Some(image.to_string());
        self
    }
    pub fn sa(mut self, sa: &str) -> A {
        self.0.workload.service_account = Some(sa.to_string());
        self
    }
    pub fn cid(mut self, cid: &str) -> A {
        self.0.workload.container_id = Some(cid.to_string());
        self
    }
    pub fn node(mut self, node: &str) -> A {
        self.0.workload.node = Some(node.to_string());
        self
    }
    pub fn cluster(mut self, c: &str) -> A {
        self.0.workload.cluster = Some(c.to_string());
        self
    }
    pub fn field(mut self, k: &str, v: &str) -> A {
        self.0.fields.insert(k.to_string(), v.to_string());
        self
    }
    /// `ka.target.*` fields (and the namespace).
    pub fn target(self, resource: &str, ns: Option<&str>, name: &str) -> A {
        let a = self
            .field("ka.target.resource", resource)
            .field("ka.target.name", name)
            .field("ka.target.namespace", ns.unwrap_or("<NA>"));
        match ns {
            Some(ns) => a.ns(ns),
            None => a,
        }
    }
}

fn location(path: &str, line: u32) -> Location {
    Location {
        path: path.to_string(),
        line,
        column: 1,
        pointer: String::new(),
    }
}

/// A finding about a Kubernetes object.
pub fn object_finding(
    check: &str,
    title: &str,
    severity: Severity,
    techniques: &[&str],
    kind: &str,
    ns: Option<&str>,
    name: &str,
    message: &str,
    path: &str,
    line: u32,
) -> Finding {
    Finding {
        check: check.to_string(),
        title: title.to_string(),
        severity,
        techniques: techniques.iter().map(|s| s.to_string()).collect(),
        tactics: Vec::new(),
        message: message.to_string(),
        remediation: "fix it".to_string(),
        location: location(path, line),
        object: Some(ObjectRef {
            api_version: "apps/v1".to_string(),
            kind: kind.to_string(),
            namespace: ns.map(str::to_string),
            name: Some(name.to_string()),
            document: 0,
        }),
        subject: None,
        suppressed: None,
    }
}

/// An RBAC finding about `subject_kind` `ns/name`, granted through `role` and `binding`.
pub fn rbac_finding(
    check: &str,
    title: &str,
    severity: Severity,
    techniques: &[&str],
    subject: (&str, Option<&str>, &str),
    role: &str,
    binding: &str,
    message: &str,
    line: u32,
) -> Finding {
    let (kind, ns, name) = subject;
    let binding_name = binding.rsplit('/').next().unwrap_or(binding);
    Finding {
        check: check.to_string(),
        title: title.to_string(),
        severity,
        techniques: techniques.iter().map(|s| s.to_string()).collect(),
        tactics: Vec::new(),
        message: message.to_string(),
        remediation: "fix it".to_string(),
        location: location("examples/kubernetes/rbac.yaml", line),
        object: Some(ObjectRef {
            api_version: "rbac.authorization.k8s.io/v1".to_string(),
            kind: "ClusterRoleBinding".to_string(),
            namespace: None,
            name: Some(binding_name.to_string()),
            document: 1,
        }),
        subject: Some(Subject {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: ns.map(str::to_string),
            role: role.to_string(),
            binding: binding.to_string(),
        }),
        suppressed: None,
    }
}

/// `f` with an RBAC subject.
pub fn with_subject(
    mut f: Finding,
    subject: (&str, Option<&str>, &str),
    role: &str,
    binding: &str,
) -> Finding {
    f.subject = Some(Subject {
        kind: subject.0.to_string(),
        namespace: subject.1.map(str::to_string),
        name: subject.2.to_string(),
        role: role.to_string(),
        binding: binding.to_string(),
    });
    f
}

fn ci(secs: f64, rule: &str) -> A {
    audit(secs, rule, CI).groups(CI_GROUPS).ip(ATTACKER_IP)
}

/// The cryptojacking attack on the example shop (examples/audit), as the alerts
/// `palisade detect` produces from its audit log, plus the runtime alerts a sensor on the
/// node would add, a sensor drop report and an unrelated alert in another namespace.
pub fn shop_attack() -> Vec<AlertRecord> {
    let pod = "kube-proxy-7xk2p";
    let cid = "3f2a9c1b7d4e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b";
    vec![
        // The exposed door and the password spray: anonymous, two addresses.
        audit(0.004, "Anonymous Request Succeeded", "system:anonymous")
            .groups(&["system:unauthenticated"])
            .ip(ATTACKER_IP)
            .tech(&["T1078.001"], &["initial-access"])
            .id("7f3c2a10-0000-4000-8000-000000000001")
            .output("Anonymous request list /api/v1/pods succeeded (response 200, authorization reason: RBAC: allowed) from 203.0.113.50 with curl/8.5.0")
            .r(),
        audit(20.204, "Failed Authentication Burst From One Source", "system:anonymous")
            .groups(&["system:unauthenticated"])
            .ip("198.51.100.23")
            .tech(&["T1110"], &["credential-access"])
            .id("7f3c2a10-0000-4000-8000-000000000021")
            .output("Requests from 198.51.100.23 keep failing authentication (latest: response 401 for user system:anonymous, get /api/v1/namespaces with python-requests/2.31.0)")
            .r(),
        audit(23.404, "Discovery Burst By One Identity", "system:anonymous")
            .groups(&["system:unauthenticated"])
            .ip("198.51.100.23")
            .priority("notice")
            .tech(&["T1613", "T1069"], &["discovery"])
            .id("7f3c2a10-0000-4000-8000-000000000025")
            .output("User system:anonymous in groups (system:unauthenticated) made a burst of discovery requests (latest: get namespaces in namespace <NA>, response 401) from 198.51.100.23 with python-requests/2.31.0")
            .r(),
        // The stolen CI token: secrets and discovery.
        ci(138.008, "Secrets Listed By Unexpected Identity")
            .tech(&["T1552.007"], &["credential-access"])
            .id("7f3c2a10-0000-4000-8000-000000000039")
            .output("User system:serviceaccount:shop:ci ran list on secrets (namespace=<NA> request=/api/v1/secrets) from 203.0.113.50 with kubectl/v1.31.2")
            .r(),
        ci(159.004, "Discovery Burst By One Identity")
            .priority("notice")
            .tech(&["T1613", "T1069"], &["discovery"])
            .id("7f3c2a10-0000-4000-8000-000000000054")
            .target("pods", Some("kube-flannel"), "<NA>")
            .output("User system:serviceaccount:shop:ci made a burst of discovery requests (latest: list pods in namespace kube-flannel, response 200) from 203.0.113.50 with kubectl/v1.31.2")
            .r(),
        ci(160.004, "Secret Read By Unexpected Identity")
            .priority("notice")
            .tech(&["T1552.007"], &["credential-access"])
            .id("7f3c2a10-0000-4000-8000-000000000055")
            .target("secrets", Some("shop"), "storefront")
            .output("User system:serviceaccount:shop:ci read secret shop/storefront from 203.0.113.50 with kubectl/v1.31.2")
            .r(),
        // The privileged pod that looks like kube-proxy.
        ci(180.008, "Privileged Container Started In Pod")
            .tech(&["T1611", "T1610"], &["execution", "privilege-escalation", "defense-evasion"])
            .id("7f3c2a10-0000-4000-8000-000000000056")
            .target("pods", Some("shop"), pod)
            .pod("shop", pod)
            .container("kube-proxy", "docker.io/library/alpine:latest")
            .sa("ci")
            .output("User system:serviceaccount:shop:ci created pod shop/kube-proxy-7xk2p with a privileged or host-capable container (images=(docker.io/library/alpine:latest) privileged=(true)) from 203.0.113.50")
            .r(),
        ci(180.008, "Pod Mounts Sensitive Host Path")
            .tech(&["T1611", "T1610"], &["execution", "privilege-escalation", "defense-evasion"])
            .id("7f3c2a10-0000-4000-8000-000000000056")
            .target("pods", Some("shop"), pod)
            .pod("shop", pod)
            .container("kube-proxy", "docker.io/library/alpine:latest")
            .sa("ci")
            .output("User system:serviceaccount:shop:ci created pod shop/kube-proxy-7xk2p mounting host paths (/) from 203.0.113.50")
            .r(),
        // Into the pod, and from there into the node.
        ci(210.004, "Exec Or Attach Session Opened In Pod")
            .priority("notice")
            .tech(&["T1609"], &["execution"])
            .id("7f3c2a10-0000-4000-8000-000000000057")
            .target("pods", Some("shop"), pod)
            .pod("shop", pod)
            .field("ka.target.subresource", "exec")
            .output("User system:serviceaccount:shop:ci opened an interactive exec session in pod shop/kube-proxy-7xk2p (container=kube-proxy command=nsenter tty=true) from 203.0.113.50")
            .r(),
        runtime(210.900, "Namespace Change Into Host With Nsenter")
            .tech(&["T1611"], &["privilege-escalation"])
            .id("rt-0001")
            .pod("shop", pod)
            .container("kube-proxy", "docker.io/library/alpine:latest")
            .sa("ci")
            .cid(&format!("containerd://{cid}"))
            .node("worker-1")
            .output("nsenter -t 1 -m -u -i -n sh entered the host's namespaces (container kube-proxy of pod shop/kube-proxy-7xk2p, node worker-1)")
            .r(),
        runtime(215.000, "Falco internal: syscall event drop")
            .priority("debug")
            .node("worker-1")
            .field("n_drops", "1337")
            .output("Falco internal: syscall event drop. 1337 system calls dropped in last second.")
            .r(),
        runtime(240.250, "Service Account Token Read In Container")
            .priority("notice")
            .tech(&["T1528"], &["credential-access"])
            .id("rt-0002")
            .cid(&cid[..12])
            .node("worker-1")
            .output("cat read /var/run/secrets/kubernetes.io/serviceaccount/token (container 3f2a9c1b7d4e)")
            .r(),
        runtime(262.500, "Cryptominer Process Started On Host")
            .priority("critical")
            .tech(&["T1496.001"], &["impact"])
            .id("rt-0003")
            .cid("host")
            .node("worker-1")
            .output("xmrig started on the host of node worker-1 connecting to stratum+tcp://pool.example.net:3333")
            .r(),
        // Persistence and profit: a CronJob running a miner.
        ci(300.004, "CronJob Created Or Changed By Unexpected Identity")
            .priority("notice")
            .tech(&["T1053.007"], &["execution", "persistence"])
            .id("7f3c2a10-0000-4000-8000-000000000058")
            .target("cronjobs", Some("shop"), "log-rotate")
            .output("User system:serviceaccount:shop:ci create cronjob shop/log-rotate (schedule */10 * * * * image=docker.io/xmrig/xmrig:6.21.0) from 203.0.113.50")
            .r(),
        ci(300.004, "Cryptominer Deployed In Pod Or Workload")
            .priority("critical")
            .tech(&["T1496.001", "T1204.003"], &["execution", "impact"])
            .id("7f3c2a10-0000-4000-8000-000000000058")
            .target("cronjobs", Some("shop"), "log-rotate")
            .output("User system:serviceaccount:shop:ci create cronjobs shop/log-rotate with cryptocurrency-mining indicators from 203.0.113.50")
            .r(),
        // A way back in, and covering tracks.
        ci(330.004, "Binding Grants Cluster-Admin Or Powerful Role")
            .tech(&["T1098.006"], &["persistence", "privilege-escalation"])
            .id("7f3c2a10-0000-4000-8000-000000000059")
            .target("clusterrolebindings", None, "ci-admin")
            .output("User system:serviceaccount:shop:ci create clusterrolebindings ci-admin granting ClusterRole cluster-admin to serviceaccounts=(shop:ci) from 203.0.113.50")
            .r(),
        ci(360.004, "Cluster Events Deleted")
            .tech(&["T1070"], &["defense-evasion"])
            .id("7f3c2a10-0000-4000-8000-000000000060")
            .ns("shop")
            .output("User system:serviceaccount:shop:ci deletecollection events in namespace shop from 203.0.113.50")
            .r(),
        // The CronJob's first run: its pod mines too.
        runtime(602.300, "Cryptominer Process Started In Container")
            .priority("critical")
            .tech(&["T1496.001"], &["impact"])
            .id("rt-0004")
            .pod("shop", "log-rotate-29406250-x7k9q")
            .container("rotate", "docker.io/xmrig/xmrig:6.21.0")
            .cid("9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c")
            .node("worker-2")
            .output("xmrig started in container rotate of pod shop/log-rotate-29406250-x7k9q connecting to stratum+tcp://pool.example.net:3333")
            .r(),
        // Unrelated: a shell in another team's pod, on the same node, at the same time.
        runtime(250.000, "Terminal Shell In Container")
            .priority("notice")
            .tech(&["T1059.004"], &["execution"])
            .id("rt-0005")
            .pod("payments", "api-6b7c9d8f5-q2w4r")
            .container("api", "registry.example.com/payments/api:1.4.2")
            .sa("api")
            .cid("aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff22aa33bb44cc55dd66")
            .node("worker-1")
            .output("A shell was spawned in container api of pod payments/api-6b7c9d8f5-q2w4r (bash)")
            .r(),
        // The controller reading the storefront deployment: a system identity, no incident link.
        audit(250.0, "Deployment Read By Controller", "system:serviceaccount:kube-system:deployment-controller")
            .priority("informational")
            .ip("10.0.0.2")
            .target("deployments", Some("shop"), "storefront")
            .id("7f3c2a10-0000-4000-8000-000000000067")
            .r(),
    ]
}

/// The posture findings of `palisade scan examples` that concern the attack, plus one
/// that does not.
pub fn shop_findings() -> Vec<Finding> {
    let ci = ("ServiceAccount", Some("shop"), "ci");
    vec![
        rbac_finding(
            "PAL-RBAC-003",
            "Subject can read Secrets",
            Severity::High,
            &["T1552.007", "T1528"],
            ci,
            "ClusterRole/ci-deployer",
            "ClusterRoleBinding/ci-deployer",
            "ServiceAccount shop/ci can get/list secrets cluster-wide through ClusterRole/ci-deployer bound by ClusterRoleBinding/ci-deployer",
            26,
        ),
        rbac_finding(
            "PAL-RBAC-004",
            "Subject can exec into pods",
            Severity::High,
            &["T1609", "T1059.013"],
            ci,
            "ClusterRole/ci-deployer",
            "ClusterRoleBinding/ci-deployer",
            "ServiceAccount shop/ci can create/get pods/exec cluster-wide through ClusterRole/ci-deployer bound by ClusterRoleBinding/ci-deployer",
            26,
        ),
        rbac_finding(
            "PAL-RBAC-007",
            "Subject can create pods or workload controllers",
            Severity::Medium,
            &["T1610", "T1611"],
            ci,
            "ClusterRole/ci-deployer",
            "ClusterRoleBinding/ci-deployer",
            "ServiceAccount shop/ci can create pods, deployments, daemonsets, jobs cluster-wide through ClusterRole/ci-deployer bound by ClusterRoleBinding/ci-deployer",
            26,
        ),
        rbac_finding(
            "PAL-RBAC-014",
            "Role bound to anonymous, unauthenticated or all authenticated users",
            Severity::Critical,
            &["T1078.001", "T1133", "T1552.007"],
            ("User", None, "system:anonymous"),
            "ClusterRole/pod-lister",
            "ClusterRoleBinding/status-page-anonymous",
            "User system:anonymous (any request without credentials) gets ClusterRole/pod-lister cluster-wide through ClusterRoleBinding/status-page-anonymous",
            55,
        ),
        object_finding(
            "PAL-K8S-032",
            "Known cryptominer",
            Severity::Critical,
            &["T1496.001", "T1204.003"],
            "CronJob",
            Some("shop"),
            "log-rotate",
            "container `rotate`: its args points to a mining pool (`stratum+tcp://`)",
            "examples/kubernetes/log-rotate.yaml",
            19,
        ),
        object_finding(
            "PAL-K8S-027",
            "Pod uses the default service account",
            Severity::Low,
            &["T1078.001", "T1528"],
            "CronJob",
            Some("shop"),
            "log-rotate",
            "the pod names no service account, so it runs as the namespace's `default` account",
            "examples/kubernetes/log-rotate.yaml",
            13,
        ),
        with_subject(
            object_finding(
                "PAL-K8S-112",
                "Workload runs with a mounted token that holds dangerous RBAC permissions",
                Severity::High,
                &["T1528", "T1078"],
                "Deployment",
                Some("shop"),
                "ci-runner",
                "Deployment/shop/ci-runner mounts the token of ServiceAccount shop/ci, which can read secrets, exec into pods and create workloads cluster-wide",
                "examples/kubernetes/ci-runner.yaml",
                16,
            ),
            ci,
            "ClusterRole/ci-deployer",
            "ClusterRoleBinding/ci-deployer",
        ),
        object_finding(
            "PAL-K8S-001",
            "Privileged container",
            Severity::Critical,
            &["T1611", "T1610"],
            "DaemonSet",
            Some("monitoring"),
            "node-agent",
            "container `agent` runs privileged",
            "examples/kubernetes/node-agent.yaml",
            20,
        ),
    ]
}
