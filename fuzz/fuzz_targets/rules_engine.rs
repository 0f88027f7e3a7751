//! Fuzz the engine's compiler and evaluator: the input is split into a condition and an
//! output (at the first newline), wrapped into a rule for each source, compiled against the
//! source's field table (network literals, list operators, fields the source lacks in the
//! output) and run on one event of each source. Never panic, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields};
use palisade_engine::{Engine, EngineOptions, FieldTable};
use palisade_rules::{RulesFile, load};
use palisade_runtime::recording::{RecordingLine, parse_line};

const AUDIT_EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"create","user":{"username":"system:serviceaccount:shop:ci","groups":["system:serviceaccounts"]},"sourceIPs":["203.0.113.50"],"userAgent":"kubectl/v1.31.2","objectRef":{"resource":"pods","namespace":"shop","name":"p"},"responseStatus":{"code":201},"requestObject":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}},"stageTimestamp":"2026-11-26T10:00:00.000000Z"}"#;

/// The demo's recording: its connect and exec events reach the socket and process fields.
const RECORDING: &str = include_str!("../../examples/runtime/cryptojacking-runtime.jsonl");

fn run(
    table: &dyn FieldTable,
    source: &str,
    condition: &str,
    output: &str,
    event: &dyn palisade_engine::Event,
) {
    let quote = |s: &str| s.replace('\'', "''");
    let text = format!(
        "- rule: r\n  desc: d\n  condition: '{}'\n  output: '{}'\n  priority: WARNING\n  source: {source}\n",
        quote(condition),
        quote(output)
    );
    let loaded = load(&[RulesFile {
        path: "fuzz.yaml",
        text: &text,
    }]);
    let (mut engine, _) = Engine::new(&loaded, table, &EngineOptions::default());
    let _ = engine.output_gaps();
    engine.process(event, |alert| {
        let _ = alert.output.len();
    });
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (condition, output) = text.split_once('\n').unwrap_or((&text, "%proc.name"));
    let audit = AuditEvent::parse(AUDIT_EVENT).expect("the sample audit event parses");
    run(&K8sAuditFields, "k8s_audit", condition, output, &audit);
    for (i, line) in RECORDING.lines().enumerate().take(12) {
        if let Ok(RecordingLine::Event(event)) = parse_line(line, i + 1) {
            if event.fd.is_some() {
                run(
                    &palisade_runtime::RuntimeFields,
                    "syscall",
                    condition,
                    output,
                    &*event,
                );
                break;
            }
        }
    }
});
