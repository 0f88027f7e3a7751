//! A hand-built scan report and a small stand-in for the ATT&CK catalogue.
#![allow(dead_code)] // each test binary uses a different part of this module

use palisade_core::{
    CheckInfo, CheckTarget, Finding, InputError, InputErrorKind, Location, ObjectRef, ScanReport,
    Severity, SkippedInput, Subject, Suppression, SuppressionReport, SuppressionState,
};
use palisade_report::RenderContext;

/// Tactics of the Containers matrix, in matrix order.
const TACTICS: &[(&str, &str)] = &[
    ("initial-access", "Initial Access"),
    ("execution", "Execution"),
    ("persistence", "Persistence"),
    ("privilege-escalation", "Privilege Escalation"),
    ("defense-evasion", "Defense Evasion"),
    ("credential-access", "Credential Access"),
    ("discovery", "Discovery"),
    ("lateral-movement", "Lateral Movement"),
    ("impact", "Impact"),
];

/// (technique, name, tactic shortnames)
const TECHNIQUES: &[(&str, &str, &[&str])] = &[
    ("T1611", "Escape to Host", &["privilege-escalation"]),
    (
        "T1610",
        "Deploy Container",
        &["execution", "defense-evasion"],
    ),
    (
        "T1053.007",
        "Container Orchestration Job",
        &["execution", "persistence", "privilege-escalation"],
    ),
    ("T1552.007", "Container API", &["credential-access"]),
    ("T1552.001", "Credentials In Files", &["credential-access"]),
    (
        "T1068",
        "Exploitation for Privilege Escalation",
        &["privilege-escalation"],
    ),
    ("T1499", "Endpoint Denial of Service", &["impact"]),
];

pub fn tactic_of(technique: &str) -> Vec<(String, String, usize)> {
    let Some((_, _, shorts)) = TECHNIQUES.iter().find(|(id, _, _)| *id == technique) else {
        return Vec::new();
    };
    shorts
        .iter()
        .map(|short| {
            let order = TACTICS.iter().position(|(s, _)| s == short).unwrap();
            (short.to_string(), TACTICS[order].1.to_string(), order)
        })
        .collect()
}

pub fn technique_name(technique: &str) -> Option<String> {
    TECHNIQUES
        .iter()
        .find(|(id, _, _)| *id == technique)
        .map(|(_, name, _)| name.to_string())
}

pub static CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PAL-K8S-001",
        name: "privileged-container",
        title: "Privileged container",
        severity: Severity::Critical,
        techniques: &["T1611"],
        target: CheckTarget::Workload,
        rationale: "A privileged container can use every device and kernel capability of the node, so code in it can take over the host.",
        remediation: "Set `securityContext.privileged` to `false`.",
        bad_example: "privileged: true",
        good_example: "privileged: false",
    },
    CheckInfo {
        id: "PAL-K8S-007",
        name: "service-account-token-mounted",
        title: "Service account token mounted",
        severity: Severity::Medium,
        techniques: &["T1552.007"],
        target: CheckTarget::Workload,
        rationale: "The API token mounted into the pod lets anyone with code execution in it talk to the Kubernetes API.",
        remediation: "Set `automountServiceAccountToken: false` unless the workload calls the API.",
        bad_example: "",
        good_example: "",
    },
    CheckInfo {
        id: "PAL-RBAC-001",
        name: "rbac-create-pods",
        title: "Subject may create pods",
        severity: Severity::High,
        techniques: &["T1610", "T1053.007"],
        target: CheckTarget::Rbac,
        rationale: "Whoever may create pods can run any image with any service account of the namespace.",
        remediation: "Grant `create` on pods only to controllers that need it.",
        bad_example: "",
        good_example: "",
    },
    CheckInfo {
        id: "PAL-DF-001",
        name: "dockerfile-root-user",
        title: "Image runs as root",
        severity: Severity::Medium,
        techniques: &["T1068"],
        target: CheckTarget::Dockerfile,
        rationale: "Without a `USER` instruction the process runs as root inside the container.",
        remediation: "Add `USER 10001` (or another unprivileged user) to the final stage.",
        bad_example: "",
        good_example: "",
    },
    CheckInfo {
        id: "PAL-DF-003",
        name: "dockerfile-secret-in-env",
        title: "Secret in image environment",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::Dockerfile,
        rationale: "`ENV` values are stored in the image and readable by anyone who can pull it.",
        remediation: "Pass secrets at run time or use BuildKit secret mounts.",
        bad_example: "",
        good_example: "",
    },
    CheckInfo {
        id: "PAL-CMP-001",
        name: "compose-docker-socket",
        title: "Docker socket mounted",
        severity: Severity::Critical,
        techniques: &["T1610", "T1611"],
        target: CheckTarget::Compose,
        rationale: "The Docker socket gives full control of the Docker daemon and so of the host.",
        remediation: "Remove the `/var/run/docker.sock` volume.",
        bad_example: "",
        good_example: "",
    },
    CheckInfo {
        id: "PAL-CMP-004",
        name: "compose-no-memory-limit",
        title: "No memory limit",
        severity: Severity::Low,
        techniques: &["T1499"],
        target: CheckTarget::Compose,
        rationale: "A service without a memory limit can exhaust the host's memory.",
        remediation: "Set `deploy.resources.limits.memory`.",
        bad_example: "",
        good_example: "",
    },
];

pub fn context() -> RenderContext<'static> {
    RenderContext {
        tool_version: "0.1.0",
        attack_version: "18.1",
        checks: CHECKS,
        tactic_of: &tactic_of,
        technique_name: &technique_name,
    }
}

fn check(id: &str) -> &'static CheckInfo {
    CHECKS.iter().find(|c| c.id == id).unwrap()
}

fn finding(id: &str, message: &str, path: &str, line: u32, column: u32, pointer: &str) -> Finding {
    let c = check(id);
    let techniques: Vec<String> = c.techniques.iter().map(|t| t.to_string()).collect();
    let mut tactics: Vec<(usize, String)> = techniques
        .iter()
        .flat_map(|t| tactic_of(t))
        .map(|(short, _, order)| (order, short))
        .collect();
    tactics.sort();
    tactics.dedup();
    Finding {
        check: c.id.to_string(),
        title: c.title.to_string(),
        severity: c.severity,
        techniques,
        tactics: tactics.into_iter().map(|(_, s)| s).collect(),
        message: message.to_string(),
        remediation: c.remediation.to_string(),
        location: Location {
            path: path.to_string(),
            line,
            column,
            pointer: pointer.to_string(),
        },
        object: None,
        subject: None,
        suppressed: None,
    }
}

fn object(
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: Option<&str>,
    document: usize,
) -> Option<ObjectRef> {
    Some(ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: namespace.map(str::to_string),
        name: name.map(str::to_string),
        document,
    })
}

/// Six active findings across Kubernetes, RBAC (with a subject), Dockerfile and Compose, one
/// suppressed finding, one input error, one skipped file, and a used, an unused and an
/// expired suppression.
pub fn report() -> ScanReport {
    let mut privileged = finding(
        "PAL-K8S-001",
        "container `app` runs privileged",
        "deploy/web.yaml",
        21,
        13,
        "/spec/template/spec/containers/0/securityContext/privileged",
    );
    privileged.object = object("apps/v1", "Deployment", Some("shop"), Some("web"), 0);

    let mut rbac = finding(
        "PAL-RBAC-001",
        "ServiceAccount shop/ci may create pods in namespace shop through RoleBinding shop/ci-deployer, so it can start a pod with any image and any service account of the namespace",
        "deploy/rbac.yaml",
        14,
        3,
        "/rules/0",
    );
    rbac.object = object(
        "rbac.authorization.k8s.io/v1",
        "Role",
        Some("shop"),
        Some("deployer"),
        1,
    );
    rbac.subject = Some(Subject {
        kind: "ServiceAccount".to_string(),
        name: "ci".to_string(),
        namespace: Some("shop".to_string()),
        role: "Role/shop/deployer".to_string(),
        binding: "RoleBinding/shop/ci-deployer".to_string(),
    });

    let mut root = finding(
        "PAL-DF-001",
        "final stage `runtime` has no USER instruction and runs as root",
        "./docker/Dockerfile",
        12,
        1,
        "",
    );
    root.object = object("dockerfile", "Dockerfile", None, Some("runtime"), 1);

    let mut secret = finding(
        "PAL-DF-003",
        "ENV sets `DB_PASSWORD`, which is stored in the image",
        "./docker/Dockerfile",
        7,
        5,
        "/env/DB_PASSWORD",
    );
    secret.object = object("dockerfile", "Dockerfile", None, Some("runtime"), 1);

    let mut socket = finding(
        "PAL-CMP-001",
        "service `builder` mounts the Docker socket `/var/run/docker.sock`",
        "compose.yaml",
        9,
        9,
        "/services/builder/volumes/0",
    );
    socket.object = object("compose", "ComposeService", None, Some("builder"), 0);

    let mut memory = finding(
        "PAL-CMP-004",
        "service `builder` has no memory limit",
        "compose.yaml",
        4,
        3,
        "/services/builder",
    );
    memory.object = object("compose", "ComposeService", None, Some("builder"), 0);

    let mut token = finding(
        "PAL-K8S-007",
        "pod of `worker` mounts the service account token",
        "deploy/worker.yaml",
        18,
        7,
        "/spec/template/spec",
    );
    token.object = object("apps/v1", "Deployment", Some("shop"), Some("worker"), 0);
    token.suppressed = Some(Suppression {
        by: "annotation".to_string(),
        reason: "worker reads its own ConfigMap through the API".to_string(),
        expires: Some("2027-06-30".to_string()),
    });

    ScanReport {
        findings: vec![privileged, rbac, token, root, secret, socket, memory],
        errors: vec![InputError {
            path: "charts/app/templates/deploy.yaml".to_string(),
            line: 3,
            column: 12,
            message: "unrendered Helm template `{{ .Values.image }}`; render the chart with `helm template` first".to_string(),
            kind: InputErrorKind::UnrenderedTemplate,
        }],
        skipped: vec![SkippedInput {
            path: "assets/logo.png".to_string(),
            reason: "binary file".to_string(),
        }],
        suppressions: vec![
            SuppressionReport {
                declared_at: "deploy/worker.yaml:6".to_string(),
                kind: "annotation".to_string(),
                checks: vec!["PAL-K8S-007".to_string()],
                reason: "worker reads its own ConfigMap through the API".to_string(),
                expires: Some("2027-06-30".to_string()),
                state: SuppressionState::Used,
                matched: 1,
            },
            SuppressionReport {
                declared_at: ".palisade.yaml:12".to_string(),
                kind: "file".to_string(),
                checks: vec!["PAL-K8S-001".to_string()],
                reason: "legacy batch job, replaced next quarter".to_string(),
                expires: None,
                state: SuppressionState::Unused,
                matched: 0,
            },
            SuppressionReport {
                declared_at: "./docker/Dockerfile:6".to_string(),
                kind: "inline".to_string(),
                checks: vec!["PAL-DF-003".to_string()],
                reason: "test credentials only".to_string(),
                expires: Some("2025-01-31".to_string()),
                state: SuppressionState::Expired,
                matched: 0,
            },
        ],
        files: 6,
        objects: 9,
    }
}
