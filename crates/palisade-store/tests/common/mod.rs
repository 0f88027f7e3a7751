//! Builders shared by the integration tests.
#![allow(dead_code)]

use palisade_core::{
    ALERT_SCHEMA, AlertActor, AlertRecord, AlertWorkload, Finding, Location, ObjectRef, Severity,
    Subject, Suppression, rfc3339_utc,
};

/// 2020-09-13T12:26:40Z: in the past, so that "now" (run activity) is always later.
pub const T0: i64 = 1_600_000_000_000_000_000;
pub const MS: i64 = 1_000_000;
pub const SEC: i64 = 1_000_000_000;
pub const HOUR: i64 = 3_600 * SEC;

/// An alert with every field set.
pub fn full_alert() -> AlertRecord {
    AlertRecord {
        schema: ALERT_SCHEMA.into(),
        time: "2026-11-26T10:00:00.123Z".into(),
        rule: "Pod Created With Host Path Mount".into(),
        priority: "warning".into(),
        techniques: vec!["T1611".into(), "T1053.007".into()],
        tactics: vec!["execution".into(), "privilege-escalation".into()],
        source: "k8s_audit".into(),
        output: "pod shop/web-7d4b9 mounts / from the host (user=ci)".into(),
        workload: AlertWorkload {
            cluster: Some("prod-eu".into()),
            namespace: Some("shop".into()),
            pod: Some("web-7d4b9".into()),
            container: Some("app".into()),
            image: Some("registry.example/shop/web:1.2.3".into()),
            service_account: Some("default".into()),
            node: Some("node-3".into()),
            container_id: Some("0123456789ab".into()),
        },
        actor: AlertActor {
            user: Some("system:serviceaccount:shop:ci".into()),
            groups: vec![
                "system:serviceaccounts".into(),
                "system:authenticated".into(),
            ],
            source_ips: vec!["10.0.0.7".into(), "fd00::7".into()],
        },
        event_id: Some("5b0c5f8e-1111-2222-3333-444455556666".into()),
        fields: [
            ("ka.verb".to_string(), "create".to_string()),
            ("ka.target.resource".to_string(), "pods".to_string()),
            ("unicode".to_string(), "é ✓ \"quoted\"".to_string()),
        ]
        .into_iter()
        .collect(),
    }
}

/// A minimal alert: `rule`, `time_ns`, one technique, optional namespace.
pub fn alert(rule: &str, time_ns: i64, technique: &str, namespace: Option<&str>) -> AlertRecord {
    AlertRecord {
        schema: ALERT_SCHEMA.into(),
        time: rfc3339_utc(time_ns),
        rule: rule.into(),
        priority: "notice".into(),
        techniques: vec![technique.into()],
        tactics: vec!["execution".into()],
        source: "runtime".into(),
        output: format!("{rule} at {time_ns}"),
        workload: AlertWorkload {
            namespace: namespace.map(Into::into),
            ..AlertWorkload::default()
        },
        actor: AlertActor::default(),
        event_id: None,
        fields: Default::default(),
    }
}

/// A finding with every field set.
pub fn full_finding() -> Finding {
    Finding {
        check: "PAL-RBAC-001".into(),
        title: "Subject can create pods in kube-system".into(),
        severity: Severity::Critical,
        techniques: vec!["T1610".into(), "T1078.001".into()],
        tactics: vec!["execution".into(), "persistence".into()],
        message: "ServiceAccount shop/ci can create pods in kube-system".into(),
        remediation: "bind a narrower role".into(),
        location: Location {
            path: "k8s/rbac/ci.yaml".into(),
            line: 12,
            column: 3,
            pointer: "/subjects/0".into(),
        },
        object: Some(ObjectRef {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRoleBinding".into(),
            namespace: Some("shop".into()),
            name: Some("ci-admin".into()),
            document: 2,
        }),
        subject: Some(Subject {
            kind: "ServiceAccount".into(),
            name: "ci".into(),
            namespace: Some("shop".into()),
            role: "ClusterRole/cluster-admin".into(),
            binding: "ClusterRoleBinding/ci-admin".into(),
        }),
        suppressed: Some(Suppression {
            by: "file:.palisade-ignore:3".into(),
            reason: "CI needs it until Q3".into(),
            expires: Some("2027-01-01".into()),
        }),
    }
}

/// A minimal finding.
pub fn finding(
    check: &str,
    severity: Severity,
    technique: &str,
    namespace: Option<&str>,
    path: &str,
) -> Finding {
    Finding {
        check: check.into(),
        title: format!("{check} title"),
        severity,
        techniques: vec![technique.into()],
        tactics: vec!["privilege-escalation".into()],
        message: format!("{check} in {path}"),
        remediation: "fix it".into(),
        location: Location {
            path: path.into(),
            line: 1,
            column: 1,
            pointer: String::new(),
        },
        object: namespace.map(|ns| ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some(ns.into()),
            name: Some("web".into()),
            document: 0,
        }),
        subject: None,
        suppressed: None,
    }
}
